//! The event data model: one generated event as plain Rust values.
//!
//! An [`Event`] borrows every string from the static vocabularies or from the
//! [`World`](crate::World) (catalog titles, gazetteer), so filling one allocates
//! nothing once its lists have grown to their working size. The same value
//! feeds the JSON output (through serde) and the columnar builders. A choice
//! from a static list is a [`Word`]: its text, and its key for the columns
//! written as dictionary keys.

use std::fmt;

use chrono::{DateTime, NaiveDate};
use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::rng::{Stream, mix64};
use crate::vocab::{CONNECTED_SERVICE, CONNECTED_SERVICES, Word};

/// Most entries in an event's `user_action` list: the ceiling of the config's
/// `actions.max`, and the size of the buffer the action times are sorted in.
pub const MAX_ACTIONS: u32 = 64;
/// Most entries in an event's `recommendations` list: the ceiling of the
/// config's `recommendations.max`, and the size of the buffer of titles
/// already chosen.
pub const MAX_RECOMMENDATIONS: u32 = 64;
/// Most entries in an event's `search_history` list: the ceiling of the
/// config's `search_history.max`, the size of the buffer the search times are
/// sorted in, and the stride of [`Stream::SearchId`] keys (so no two searches
/// share an id).
pub const MAX_SEARCH_HISTORY: u32 = 64;
/// Most devices a user owns: the ceiling of the config's
/// `devices_per_user.max`, and the stride of [`Stream::Device`] keys (so no
/// two users share a device).
pub const MAX_DEVICES_PER_USER: u32 = 8;

/// How every JSON output writes a timestamp: RFC 3339 in UTC with
/// microseconds and `Z` (`2026-01-04T00:00:01.174000Z`), which DuckDB and
/// Spark read as a timestamp.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Microseconds since the Unix epoch, UTC. Serialized as RFC 3339 text
/// ([`TIMESTAMP_FORMAT`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Micros(pub i64);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = utc_micros_text(self.0) {
            return f.write_str(std::str::from_utf8(&text).expect("ASCII digits"));
        }
        match DateTime::from_timestamp_micros(self.0) {
            Some(t) => write!(f, "{}", t.format(TIMESTAMP_FORMAT)),
            None => write!(f, "{}", self.0),
        }
    }
}

/// `micros` since the epoch as [`TIMESTAMP_FORMAT`] text
/// (`2026-01-04T00:00:01.174000Z`), without chrono's formatter (which took
/// a seventh of a stream's time); `None` for years outside 0–9999.
pub fn utc_micros_text(micros: i64) -> Option<[u8; 27]> {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000) as u32;
    let of_day = seconds.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    if !(0..=9_999).contains(&year) {
        return None;
    }
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    put_digits(&mut text[0..4], year as u32);
    put_digits(&mut text[5..7], month);
    put_digits(&mut text[8..10], day);
    put_digits(&mut text[11..13], of_day / 3_600);
    put_digits(&mut text[14..16], of_day / 60 % 60);
    put_digits(&mut text[17..19], of_day % 60);
    put_digits(&mut text[20..26], fraction);
    Some(text)
}

/// Days since the epoch as (year, month, day) of the proleptic Gregorian
/// calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let of_era = z.rem_euclid(146_097);
    let year_of_era = (of_era - of_era / 1_460 + of_era / 36_524 - of_era / 146_096) / 365;
    let day_of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// Writes the last `digits.len()` decimal digits of `value`, zero-padded.
fn put_digits(digits: &mut [u8], mut value: u32) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl Serialize for Micros {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Days since the Unix epoch (Arrow `Date32`). Serialized as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Days(pub i32);

impl Days {
    /// The calendar date.
    pub fn date(self) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.0 + EPOCH_DAYS_FROM_CE).unwrap_or_default()
    }

    /// Days since the epoch of a calendar date.
    pub fn from_date(date: NaiveDate) -> Self {
        use chrono::Datelike;
        Days(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
    }
}

const EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(i64::from(self.0));
        if !(0..=9_999).contains(&year) {
            return write!(f, "{}", self.date().format("%Y-%m-%d"));
        }
        let mut text = *b"0000-00-00";
        put_digits(&mut text[0..4], year as u32);
        put_digits(&mut text[5..7], month);
        put_digits(&mut text[8..10], day);
        f.write_str(std::str::from_utf8(&text).expect("ASCII digits"))
    }
}

impl Serialize for Days {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A 128-bit identifier written as canonical UUID text (version 4 layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub u128);

impl Uuid {
    /// The identifier of `index` in the id space `space` (one of the id
    /// [`Stream`]s) under `seed`.
    ///
    /// The low 62 bits are a bijection of `index`, so ids of one space never
    /// collide; the high bits are a hash of (seed, space, index).
    pub fn derive(seed: u64, space: Stream, index: u64) -> Self {
        const MASK: u64 = (1 << 62) - 1;
        let space = space.number();
        let mut x = (index ^ mix64(seed ^ space)) & MASK;
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15) & MASK;
        x ^= x >> 29;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9) & MASK;
        x ^= x >> 32;
        let hi = mix64(seed ^ mix64(space ^ mix64(index)));
        // Version 4 in the high half, RFC 4122 variant in the low half.
        let hi = (hi & !0xf000) | 0x4000;
        let lo = (0b10 << 62) | x;
        Uuid(((hi as u128) << 64) | lo as u128)
    }

    /// Writes the 36-byte canonical text.
    #[inline]
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The 36-byte canonical text.
    #[inline]
    pub fn to_bytes(&self) -> [u8; 36] {
        let hi = hex16((self.0 >> 64) as u64);
        let lo = hex16(self.0 as u64);
        let mut buf = [b'-'; 36];
        buf[0..8].copy_from_slice(&hi[0..8]);
        buf[9..13].copy_from_slice(&hi[8..12]);
        buf[14..18].copy_from_slice(&hi[12..16]);
        buf[19..23].copy_from_slice(&lo[0..4]);
        buf[24..36].copy_from_slice(&lo[4..16]);
        buf
    }
}

/// Lowercase hex of `x`, most significant digit first, without a per-digit
/// loop: the nibbles are spread one per byte, then turned into ASCII with
/// byte-parallel arithmetic.
#[inline]
fn hex16(x: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&hex8((x >> 32) as u32).to_be_bytes());
    out[8..].copy_from_slice(&hex8(x as u32).to_be_bytes());
    out
}

/// The 8 hex digits of `x` as the bytes of a u64, least significant digit in
/// the lowest byte.
#[inline]
fn hex8(x: u32) -> u64 {
    let mut v = x as u64;
    v = ((v & 0xffff_0000) << 16) | (v & 0xffff);
    v = ((v << 8) & 0x00ff_0000_00ff_0000) | (v & 0x0000_00ff_0000_00ff);
    v = ((v << 4) & 0x0f00_0f00_0f00_0f00) | (v & 0x000f_000f_000f_000f);
    // Digit d: b'0' + d, plus 0x27 more when d >= 10 (so 10 becomes b'a').
    let letters = ((v + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    v + 0x3030_3030_3030_3030 + letters * 0x27
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Uuid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An OS version such as `17.4` (or `11` for OSes without minor versions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OsVersion {
    /// Major version.
    pub major: u8,
    /// Minor version, when the OS writes one.
    pub minor: Option<u8>,
}

impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minor {
            Some(minor) => write!(f, "{}.{}", self.major, minor),
            None => write!(f, "{}", self.major),
        }
    }
}

/// An app version `A.B.C`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppVersion(pub u8, pub u8, pub u8);

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// A bandwidth such as `39mbps` or `1gbps`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bandwidth {
    /// Megabits per second.
    pub mbps: u32,
}

impl Bandwidth {
    /// The number and unit as written: `(39, "mbps")` or `(1, "gbps")`.
    #[inline]
    pub fn parts(self) -> (u32, &'static str) {
        if self.mbps >= 1000 && self.mbps.is_multiple_of(1000) {
            (self.mbps / 1000, "gbps")
        } else {
            (self.mbps, "mbps")
        }
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = self.parts();
        write!(f, "{n}{unit}")
    }
}

macro_rules! serialize_as_text {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
serialize_as_text!(OsVersion, AppVersion, Bandwidth);

/// A subset of [`CONNECTED_SERVICES`] as a bit mask; serialized as a list of names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceSet(pub u8);

impl ServiceSet {
    /// The services in the set, in vocabulary order.
    pub fn words(self) -> impl Iterator<Item = Word> {
        (0..CONNECTED_SERVICES.len())
            .filter(move |i| self.0 & (1 << i) != 0)
            .map(|i| CONNECTED_SERVICE.word(i))
    }

    /// The names in the set, in vocabulary order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        self.words().map(Word::as_str)
    }
}

impl Serialize for ServiceSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.count_ones() as usize))?;
        for name in self.names() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}

/// The device an event came from.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Device {
    /// `mobile`, `desktop`, `tablet` or `smartTV`.
    #[serde(rename = "type")]
    pub device_type: Word,
    /// Operating system; fits the device type.
    pub os: Word,
    /// OS version.
    pub os_version: OsVersion,
    /// App version.
    pub app_version: AppVersion,
    /// Model; fits both the type and the OS.
    pub model: Word,
}

/// Where the user lives (a real city of the gazetteer).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Location {
    /// English country name.
    pub country: Word,
    /// City name.
    pub city: Word,
    /// First-level region (state, province, …), never the country code.
    pub region: Word,
    /// IANA timezone of the city.
    pub timezone: Word,
}

/// A catalog entry as it appears in an event.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Content<'a> {
    /// Catalog id.
    pub id: Uuid,
    /// Title.
    pub title: &'a str,
    /// Content type (`Movie`, `TV Show`, …).
    #[serde(rename = "type")]
    pub content_type: Word,
    /// Episode within the season, for episodic types.
    pub episode: Option<i32>,
    /// Season, for episodic types.
    pub season: Option<i32>,
    /// Provider.
    pub provider: Word,
    /// Genre.
    pub genre: Word,
    /// Release year.
    pub release_year: i32,
    /// Duration in minutes.
    pub duration: i32,
    /// Language (ISO 639-1).
    pub language: Word,
    /// Index of the entry in the catalog (the key of its id and title in
    /// columns written as dictionary keys).
    #[serde(skip)]
    pub entry: u32,
}

/// The user's subscription.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Subscription {
    /// `Basic`, `Standard` or `Premium`.
    pub plan: Word,
    /// First day of the subscription; on or before every event of the user.
    pub start_date: Days,
    /// `monthly` or `yearly`.
    pub billing_cycle: Word,
    /// Services linked to the account.
    pub connected_services: ServiceSet,
}

/// Playback details of a `content_play` event.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct EventDetails {
    /// Seconds played; at most the content's duration.
    pub play_duration: i32,
    /// `100 × play_duration / (60 × duration)`.
    pub play_percentage: f64,
    /// Quality at the end of the playback.
    pub playback_quality: Word,
    /// Times playback stalled to buffer.
    pub buffering_incidents: i32,
    /// Speed at the end of the playback.
    pub playback_speed: f64,
    /// True exactly when the actions include a `pause`.
    pub paused: bool,
    /// True exactly when `play_percentage >= 95`.
    pub completed: bool,
    /// `WiFi`, `Mobile`, `Ethernet` or `cable`.
    pub network_type: Word,
    /// Connection bandwidth.
    pub bandwidth: Bandwidth,
}

/// Something the user did during a playback.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct UserAction {
    /// `pause`, `completed`, `change quality` or `playback_speed`.
    pub action_type: Word,
    /// When, within the playback.
    pub timestamp: Micros,
    /// Seconds: the pause's length, or the playback's for `completed`.
    pub duration: Option<i32>,
    /// `Some(true)` on the `completed` action.
    pub completed: Option<bool>,
    /// Quality before a `change quality`.
    pub old_quality: Option<Word>,
    /// Quality after a `change quality`; never the old one.
    pub new_quality: Option<Word>,
    /// Speed before a `playback_speed` change.
    pub old_speed: Option<f64>,
    /// Speed after a `playback_speed` change; never the old one.
    pub new_speed: Option<f64>,
}

/// A recommended catalog entry.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Recommendation {
    /// Catalog id; never the event's own content, distinct within the list.
    pub content_id: Uuid,
    /// 1-based rank in the list.
    pub position: i32,
    /// `collaborative`, `content_based` or `hybrid`.
    pub algorithm: Word,
    /// Index of the content's catalog entry (the key of its id in columns
    /// written as dictionary keys).
    #[serde(skip)]
    pub entry: u32,
    /// Whether the user clicked it.
    pub clicked: bool,
}

/// A past search of the user.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Search<'a> {
    /// Search id.
    pub search_id: Uuid,
    /// When; at or before the event.
    pub timestamp: Micros,
    /// What was typed: title words, a genre or a provider.
    pub query: &'a str,
    /// How many catalog entries match the query.
    pub results_count: i32,
}

/// One customer event. Field order is the original module's key order
/// (with `event_id` first), which the JSON output keeps.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Event<'a> {
    /// Unique event id.
    pub event_id: Uuid,
    /// The user, from the fixed universe.
    pub user_id: Uuid,
    /// The device, one of the user's.
    pub device: Device,
    /// The user's home city.
    pub location: Location,
    /// The content played, browsed or searched for.
    pub content: Content<'a>,
    /// `content_play`, `search` or `browse`.
    pub event_type: Word,
    /// The user's subscription.
    pub user_subscription: Subscription,
    /// Event time.
    pub timestamp: Micros,
    /// Playback details; `None` unless `content_play`.
    pub event_details: Option<EventDetails>,
    /// Actions during the playback; empty unless `content_play`.
    pub user_action: Vec<UserAction>,
    /// Recommendations shown with the event.
    pub recommendations: Vec<Recommendation>,
    /// The user's recent searches, oldest first.
    pub search_history: Vec<Search<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_dates_read_as_chrono_writes_them() {
        let chrono_text = |micros: i64| {
            DateTime::from_timestamp_micros(micros)
                .unwrap()
                .format(TIMESTAMP_FORMAT)
                .to_string()
        };
        // Leap days, year and century ends, before the epoch, year 1 and 9999.
        let mut cases = vec![
            0i64,
            -1,
            951_782_400_000_000,
            4_107_542_399_999_999,
            -62_135_596_800_000_000,
        ];
        cases.push(253_402_300_799_999_999);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push((x % 253_402_300_800_000_000) as i64 - 62_135_596_800_000_000);
        }
        for micros in cases {
            assert_eq!(Micros(micros).to_string(), chrono_text(micros), "{micros}");
            let days = micros.div_euclid(86_400_000_000) as i32;
            let date = DateTime::from_timestamp_micros(micros).unwrap().date_naive();
            assert_eq!(Days(days).to_string(), date.format("%Y-%m-%d").to_string(), "{days}");
        }
    }

    #[test]
    fn uuid_text_matches_hex_formatting() {
        let mut x = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        for _ in 0..1000 {
            let hex = format!("{x:032x}");
            let expected = format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            );
            assert_eq!(std::str::from_utf8(&Uuid(x).to_bytes()).unwrap(), expected);
            x = x
                .wrapping_mul(0x2545_f491_4f6c_dd1d)
                .wrapping_add(0x9e37_79b9_7f4a_7c15)
                ^ (x >> 61);
        }
        assert_eq!(Uuid(u128::MAX).to_string(), "ffffffff-ffff-ffff-ffff-ffffffffffff");
        assert_eq!(Uuid(0).to_string(), "00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn uuid_text_is_canonical_v4() {
        let id = Uuid::derive(42, Stream::EventId, 7).to_string();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_eq!(id.matches('-').count(), 4);
    }

    #[test]
    fn uuids_of_one_space_are_unique() {
        let mut ids: Vec<u128> = (0..100_000).map(|i| Uuid::derive(1, Stream::UserId, i).0).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 100_000);
    }

    #[test]
    fn values_print_like_the_original() {
        assert_eq!(Bandwidth { mbps: 39 }.to_string(), "39mbps");
        assert_eq!(Bandwidth { mbps: 1000 }.to_string(), "1gbps");
        assert_eq!(AppVersion(3, 1, 2).to_string(), "3.1.2");
        assert_eq!(
            OsVersion {
                major: 17,
                minor: Some(4)
            }
            .to_string(),
            "17.4"
        );
        assert_eq!(Days(0).to_string(), "1970-01-01");
        assert_eq!(Micros(1_500_000).to_string(), "1970-01-01T00:00:01.500000Z");
    }
}
