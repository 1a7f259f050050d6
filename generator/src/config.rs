//! What a dataset is: the seed, its size, its date range and every
//! distribution, as one validated [`Config`], and how a TOML config file
//! becomes one. A file sets any part of it (a partial table keeps the
//! defaults of the keys it leaves out; `[countries]` replaces the whole list);
//! command-line flags override the file. Every refusal is one line naming the
//! key and, for a file, the line and column.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{MAX_ACTIONS, MAX_DEVICES_PER_USER, MAX_RECOMMENDATIONS, MAX_SEARCH_HISTORY};
use crate::vocab::device::DEVICE_TYPES;
use crate::vocab::places::{DEFAULT_COUNTRY_WEIGHTS, country_codes};

/// The default seed: a dataset is reproducible without naming one.
pub const DEFAULT_SEED: u64 = 42;
/// The default first day of events.
pub const DEFAULT_START: &str = "2026-01-01";
/// The default number of days.
pub const DEFAULT_DAYS: u32 = 7;
/// The default row count of `generate`.
pub const DEFAULT_ROWS: u64 = 1_000_000;
/// The default catalog size.
pub const DEFAULT_CATALOG_SIZE: u64 = 10_000;
/// The most rows a dataset can have: one hundred billion. Planning lists every
/// row group (24 bytes each) and every file before the first row is generated:
/// at this ceiling that holds about 40 MiB with Parquet's default row groups
/// and about 100 MiB with Arrow IPC's smaller ones in the normalized layout
/// (measured); ten times as many rows would take Arrow IPC past 1 GiB.
pub const MAX_ROWS: u64 = 100_000_000_000;
/// The most days a dataset can span: ten years. Each day's time-of-day and
/// timezone tables are built at start-up (a few KiB a day).
pub const MAX_DAYS: u32 = 3_660;
/// The last day an event can fall on: folder names have four-digit years.
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
/// The first day an event can fall on.
pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date");
/// The default epoch of the timeline: every user has subscribed by this day
/// (or by `start`, when a run begins earlier and sets no `epoch`).
pub const DEFAULT_EPOCH: NaiveDate = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date");
/// The most events one day can hold: a row's key within its day has
/// [`ROW_IN_DAY_BITS`] bits.
pub const MAX_ROWS_PER_DAY: u64 = (1 << ROW_IN_DAY_BITS) - 1;

/// Bits of a row's index within its day in its key (the calendar's
/// `Day::key`); the day (days from 0001-01-01, below 2^22 up to
/// 9999-12-31) takes the bits above, so keys stay below 2^56 and a search's
/// key (× 64 searches) below 2^62, where
/// [`Uuid::derive`](crate::model::Uuid::derive) is a bijection.
pub const ROW_IN_DAY_BITS: u32 = 34;

/// The weekday factor of a local date: more viewing on Friday and the weekend.
pub fn weekday_factor(date: NaiveDate) -> f64 {
    match chrono::Datelike::weekday(&date) {
        chrono::Weekday::Fri => 1.1,
        chrono::Weekday::Sat | chrono::Weekday::Sun => 1.3,
        _ => 1.0,
    }
}

/// An inclusive range of list lengths.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LengthRange {
    /// Shortest list.
    pub min: u32,
    /// Longest list.
    pub max: u32,
}

impl LengthRange {
    const fn new(min: u32, max: u32) -> Self {
        Self { min, max }
    }
}

/// Share of each event type. A key left out keeps its default weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventMix {
    /// Weight of `content_play`.
    pub content_play: f64,
    /// Weight of `search`.
    pub search: f64,
    /// Weight of `browse`.
    pub browse: f64,
}

/// Where a session goes after one of its events: relative weights of the
/// next event's type (each also multiplied by the type's `event_mix`
/// weight) and of ending the session.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// Weight of a `content_play` next.
    pub content_play: f64,
    /// Weight of a `search` next.
    pub search: f64,
    /// Weight of a `browse` next.
    pub browse: f64,
    /// Weight of ending the session.
    pub end: f64,
}

impl Transition {
    const fn new(content_play: f64, search: f64, browse: f64, end: f64) -> Self {
        Self {
            content_play,
            search,
            browse,
            end,
        }
    }

    /// The weights in event-type order (`content_play`, `search`, `browse`), then `end`.
    pub fn weights(&self) -> [f64; 4] {
        [self.content_play, self.search, self.browse, self.end]
    }
}

/// How a user's events come in sessions: a Markov chain over the event
/// types, the time between events, the idle time between sessions and the
/// journeys that tie one event to the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Mean think time in seconds: from the end of an event (a play ends
    /// `play_duration` after it starts) to the start of the next.
    pub think_seconds: f64,
    /// Least idle time, in minutes, between the end of a user's session and
    /// the start of their next.
    pub gap_minutes: f64,
    /// Share of searches followed by a play of the title searched for.
    pub search_to_play: f64,
    /// Share of finished episodes followed by the next episode of the show.
    pub binge: f64,
    /// The first event's type (`end` must be 0).
    pub first: Transition,
    /// After a `browse`.
    pub after_browse: Transition,
    /// After a `search` (when it does not lead straight to a play).
    pub after_search: Transition,
    /// After a `content_play` (when it does not lead to the next episode).
    pub after_content_play: Transition,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            think_seconds: 90.0,
            gap_minutes: 30.0,
            search_to_play: 0.3,
            binge: 0.6,
            first: Transition::new(0.5, 1.5, 2.0, 0.0),
            after_browse: Transition::new(1.0, 1.0, 1.0, 0.12),
            after_search: Transition::new(0.8, 1.0, 0.8, 0.1),
            after_content_play: Transition::new(0.5, 0.8, 0.8, 0.3),
        }
    }
}

/// How subscriptions change after the epoch: sign-ups, cancellations by
/// plan, plan and billing changes, and returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifecycleConfig {
    /// New subscribers in the first month after the epoch, as a share of
    /// the audience at the epoch (later months bring fewer).
    pub signups_per_month: f64,
    /// Cancellations a month, as a share of a plan's subscribers.
    pub churn_per_month: ChurnByPlan,
    /// Plan changes (one step up or down) a month, as a share of subscribers.
    pub plan_changes_per_month: f64,
    /// Billing-cycle changes a month, as a share of subscribers.
    pub billing_changes_per_month: f64,
    /// Share of those who cancel who subscribe again.
    pub come_back: f64,
    /// Mean days from a cancellation to the return.
    pub come_back_days: f64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            signups_per_month: 0.03,
            churn_per_month: ChurnByPlan {
                basic: 0.065,
                standard: 0.045,
                premium: 0.03,
            },
            plan_changes_per_month: 0.015,
            billing_changes_per_month: 0.01,
            come_back: 0.4,
            come_back_days: 90.0,
        }
    }
}

/// Monthly cancellation rate of each plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChurnByPlan {
    /// `Basic`.
    #[serde(rename = "Basic")]
    pub basic: f64,
    /// `Standard`.
    #[serde(rename = "Standard")]
    pub standard: f64,
    /// `Premium`.
    #[serde(rename = "Premium")]
    pub premium: f64,
}

impl ChurnByPlan {
    /// The rates in the order of the plan vocabulary.
    pub fn by_plan(&self) -> [f64; 3] {
        [self.basic, self.standard, self.premium]
    }
}

/// Share of each device type among users' devices. A key left out keeps its
/// default weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceMix {
    /// Weight of `mobile`.
    pub mobile: f64,
    /// Weight of `desktop`.
    pub desktop: f64,
    /// Weight of `tablet`.
    pub tablet: f64,
    /// Weight of `smartTV`.
    #[serde(rename = "smartTV")]
    pub smart_tv: f64,
}

impl Default for EventMix {
    fn default() -> Self {
        EventMix {
            content_play: 0.6,
            search: 0.15,
            browse: 0.25,
        }
    }
}

impl Default for DeviceMix {
    fn default() -> Self {
        DeviceMix {
            mobile: 0.40,
            desktop: 0.20,
            tablet: 0.15,
            smart_tv: 0.25,
        }
    }
}

impl DeviceMix {
    /// Weights in [`DEVICE_TYPES`] order.
    pub fn weights(&self) -> [f64; 4] {
        [self.mobile, self.desktop, self.tablet, self.smart_tv]
    }
}

/// Everything that decides a dataset's content. Same config → same bytes.
///
/// It deserializes as a config file does: every key is optional, a key left
/// out (at any level) keeps its default, unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ConfigFile")]
pub struct Config {
    /// Seed of every random stream.
    pub seed: u64,
    /// Number of events. With [`Config::events_per_day`] it is the sum of
    /// the days' volumes ([`Config::settle_rows`] sets it).
    pub rows: u64,
    /// The volume of an average day, when days are sized by the date alone
    /// (the weekly pattern applied per day, see [`day_volume`]) instead of
    /// by sharing `rows` out over the window: the same day then gets the
    /// same rows in any window, so adjacent windows make one history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_per_day: Option<u64>,
    /// First day of events (UTC).
    pub start: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// The day by which every user has subscribed: subscriptions start up to
    /// eight years before it. `None` means the earlier of
    /// [`DEFAULT_EPOCH`] and `start` (see [`Config::epoch`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<NaiveDate>,
    /// Users in the universe; `None` scales with `rows` (see [`Config::user_count`]).
    pub users: Option<u64>,
    /// Entries in the content catalog.
    pub catalog_size: u64,
    /// Zipf exponent of user activity (0 = every user equally active).
    pub user_skew: f64,
    /// Zipf exponent of content popularity.
    pub content_skew: f64,
    /// Share of playbacks watched to the end (at least 95%).
    pub completion_rate: f64,
    /// Event-type mix.
    pub event_mix: EventMix,
    /// Device-type mix.
    pub device_mix: DeviceMix,
    /// Share of users per country (ISO 3166-1 alpha-2 codes of the gazetteer).
    pub countries: BTreeMap<String, f64>,
    /// Devices per user.
    pub devices_per_user: LengthRange,
    /// Actions per `content_play` event.
    pub actions: LengthRange,
    /// Recommendations per event.
    pub recommendations: LengthRange,
    /// Searches in each event's history.
    pub search_history: LengthRange,
    /// Sessions: the chain of event types, think time, gaps and journeys.
    pub session: SessionConfig,
    /// Subscriptions over time: sign-ups, changes, cancellations, returns.
    pub lifecycle: LifecycleConfig,
    /// Faults injected into the events, with their ground truth; none by
    /// default (and then left out of the manifest, whose bytes stay those
    /// of a run without the key).
    #[serde(skip_serializing_if = "FaultsConfig::is_off")]
    pub faults: FaultsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            rows: DEFAULT_ROWS,
            events_per_day: None,
            start: DEFAULT_START.parse().expect("valid default date"),
            days: DEFAULT_DAYS,
            epoch: None,
            users: None,
            catalog_size: DEFAULT_CATALOG_SIZE,
            user_skew: 0.7,
            content_skew: 1.0,
            completion_rate: 0.4,
            event_mix: EventMix::default(),
            device_mix: DeviceMix::default(),
            countries: DEFAULT_COUNTRY_WEIGHTS
                .iter()
                .map(|(c, w)| (c.to_string(), *w))
                .collect(),
            devices_per_user: LengthRange::new(1, 4),
            actions: LengthRange::new(1, 5),
            recommendations: LengthRange::new(1, 5),
            search_history: LengthRange::new(1, 5),
            session: SessionConfig::default(),
            lifecycle: LifecycleConfig::default(),
            faults: FaultsConfig::NONE,
        }
    }
}

/// The documented default config, as `customer-events config --default` prints it.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("default_config.toml");

/// The most any one kind of fault's rate may be: faults are the exception.
pub const MAX_FAULT_RATE: f64 = 0.25;

/// The most days an event may arrive late ([`FaultsConfig::late_max_days`]).
pub const MAX_LATE_DAYS: u32 = 30;

/// The rate of each kind of fault, a share of the events (`[faults]`;
/// [`crate::faults`] injects them).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultsConfig {
    /// Events delivered again, same `event_id` and values, later in the file.
    pub duplicates: f64,
    /// Events re-sent by a retry with one field moved on: a longer
    /// `play_duration` (a later heartbeat) for a play, a later `timestamp`
    /// (stamped again on send) for the others.
    pub near_duplicates: f64,
    /// Events whose device clock is off by up to ten minutes either way, so
    /// timestamps within a file are not sorted locally.
    pub out_of_order: f64,
    /// Events with a value that breaks the contract: a negative
    /// `play_duration`, a `play_percentage` over 100, a `completed` that
    /// contradicts the share played, a timestamp years ahead, a word
    /// outside its vocabulary.
    pub broken_values: f64,
    /// Events with a null where the contract promises a value (`user_id`,
    /// `timestamp` or `location.country`); those columns are nullable in
    /// the schema only when this rate is above zero
    /// ([`crate::schema::event_schema_of`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub missing_values: f64,
    /// NDJSON events written as a broken line: cut short (invalid JSON),
    /// or a play's `event_details.play_duration` as a string (`"45"`).
    /// NDJSON only (nested layout); not in `typical`, which every format takes.
    #[serde(skip_serializing_if = "is_zero")]
    pub malformed_records: f64,
    /// Changes of the `subscription_changes` feed delivered after the
    /// user's next change (the normalized layout's change feed; its
    /// duplicates come at the `duplicates` rate).
    pub late_changes: f64,
    /// Events delivered on a later day than their own (UTC): written into
    /// that day's partition (`event_date=<arrival>/late-*`), as a feed
    /// partitioned by ingestion holds them. Needs date partitions.
    pub late_arrivals: f64,
    /// The most days a late event arrives after its own day: it arrives 1
    /// day late with chance 1/2, 2 days with 1/4, and so on, the days past
    /// this many folded back onto 1 to this many.
    pub late_max_days: u32,
}

/// Whether a rate is zero: a kind added after a config was recorded is left
/// out of it when off, so the records of earlier runs read the same.
fn is_zero(rate: &f64) -> bool {
    *rate == 0.0
}

impl Default for FaultsConfig {
    fn default() -> Self {
        Self::NONE
    }
}

/// The named sets of rates of `--faults`.
pub const FAULT_PRESETS: [&str; 2] = ["none", "typical"];

impl FaultsConfig {
    /// No faults: the default.
    pub const NONE: Self = Self {
        duplicates: 0.0,
        near_duplicates: 0.0,
        out_of_order: 0.0,
        broken_values: 0.0,
        missing_values: 0.0,
        malformed_records: 0.0,
        late_changes: 0.0,
        late_arrivals: 0.0,
        late_max_days: 3,
    };

    /// A feed as it usually arrives: 1% duplicates, 0.2% retries, 2% of
    /// events off by a clock, 0.1% broken values, 0.1% missing values, 0.5% of events a day or
    /// more late (up to 3 days), 1% of the subscription changes that have
    /// a next change late.
    pub const TYPICAL: Self = Self {
        duplicates: 0.01,
        near_duplicates: 0.002,
        out_of_order: 0.02,
        broken_values: 0.001,
        missing_values: 0.001,
        malformed_records: 0.0,
        late_changes: 0.01,
        late_arrivals: 0.005,
        late_max_days: 3,
    };

    /// The rates of the preset `name` (one of [`FAULT_PRESETS`]).
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "none" => Some(Self::NONE),
            "typical" => Some(Self::TYPICAL),
            _ => None,
        }
    }

    /// Whether every rate is zero.
    pub fn is_off(&self) -> bool {
        !self.on_events() && !self.on_changes()
    }

    /// Whether a rate of the events' kinds is above zero (the change
    /// feed's `late_changes` aside): the events then have a ground truth.
    pub fn on_events(&self) -> bool {
        [
            self.duplicates,
            self.near_duplicates,
            self.out_of_order,
            self.broken_values,
            self.late_arrivals,
            self.missing_values,
            self.malformed_records,
        ]
        .iter()
        .any(|&rate| rate > 0.0)
    }

    /// Whether the change feed has faults: duplicates or late changes.
    pub fn on_changes(&self) -> bool {
        self.duplicates > 0.0 || self.late_changes > 0.0
    }

    /// Checks the rates.
    ///
    /// # Errors
    /// [`Error::Config`] naming the `faults.` key at fault.
    pub fn validate(&self) -> Result<(), Error> {
        for (key, rate) in [
            ("duplicates", self.duplicates),
            ("near_duplicates", self.near_duplicates),
            ("out_of_order", self.out_of_order),
            ("broken_values", self.broken_values),
            ("missing_values", self.missing_values),
            ("malformed_records", self.malformed_records),
            ("late_changes", self.late_changes),
            ("late_arrivals", self.late_arrivals),
        ] {
            if !(0.0..=MAX_FAULT_RATE).contains(&rate) {
                return Err(Error::Config {
                    at: None,
                    key: format!("faults.{key}"),
                    message: format!(
                        "{rate} is outside 0 ..= {MAX_FAULT_RATE} (a share of the events); write e.g. 0.01"
                    ),
                });
            }
        }
        if !(1..=MAX_LATE_DAYS).contains(&self.late_max_days) {
            return Err(Error::Config {
                at: None,
                key: "faults.late_max_days".into(),
                message: format!(
                    "{} is outside 1 ..= {MAX_LATE_DAYS} (days an event may arrive late); write e.g. 3",
                    self.late_max_days
                ),
            });
        }
        Ok(())
    }
}

/// The keys a config file sets, each optional; [`Config`] deserializes
/// through it, keeping the default of every key left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    seed: Option<u64>,
    rows: Option<u64>,
    events_per_day: Option<u64>,
    start: Option<NaiveDate>,
    days: Option<u32>,
    epoch: Option<NaiveDate>,
    users: Option<u64>,
    catalog_size: Option<u64>,
    user_skew: Option<f64>,
    content_skew: Option<f64>,
    completion_rate: Option<f64>,
    event_mix: Option<EventMixFile>,
    device_mix: Option<DeviceMixFile>,
    /// A country list replaces the default list whole.
    countries: Option<BTreeMap<String, f64>>,
    devices_per_user: Option<LengthRangeFile>,
    actions: Option<LengthRangeFile>,
    recommendations: Option<LengthRangeFile>,
    search_history: Option<LengthRangeFile>,
    session: Option<SessionFile>,
    lifecycle: Option<LifecycleFile>,
    /// Unlike the other tables, `[faults]` is whole: a rate left out is 0.
    faults: Option<FaultsConfig>,
}

/// The keys of a `[lifecycle]` table, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifecycleFile {
    signups_per_month: Option<f64>,
    churn_per_month: Option<ChurnFile>,
    plan_changes_per_month: Option<f64>,
    billing_changes_per_month: Option<f64>,
    come_back: Option<f64>,
    come_back_days: Option<f64>,
}

/// The keys of a `[lifecycle.churn_per_month]` table, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChurnFile {
    #[serde(rename = "Basic")]
    basic: Option<f64>,
    #[serde(rename = "Standard")]
    standard: Option<f64>,
    #[serde(rename = "Premium")]
    premium: Option<f64>,
}

/// The keys of a `[session]` table, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    think_seconds: Option<f64>,
    gap_minutes: Option<f64>,
    search_to_play: Option<f64>,
    binge: Option<f64>,
    first: Option<TransitionFile>,
    after_browse: Option<TransitionFile>,
    after_search: Option<TransitionFile>,
    after_content_play: Option<TransitionFile>,
}

/// The keys of a `[session.first]` or `[session.after_…]` table, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionFile {
    content_play: Option<f64>,
    search: Option<f64>,
    browse: Option<f64>,
    end: Option<f64>,
}

/// The keys of an `[event_mix]` table, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventMixFile {
    content_play: Option<f64>,
    search: Option<f64>,
    browse: Option<f64>,
}

/// The keys of a `[device_mix]` table, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceMixFile {
    mobile: Option<f64>,
    desktop: Option<f64>,
    tablet: Option<f64>,
    #[serde(rename = "smartTV")]
    smart_tv: Option<f64>,
}

/// The keys of a `min`/`max` table, each optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LengthRangeFile {
    min: Option<u32>,
    max: Option<u32>,
}

/// Sets `slot` to `value` when the file gave one.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

impl From<ConfigFile> for Config {
    fn from(file: ConfigFile) -> Self {
        let mut config = Config::default();
        set(&mut config.seed, file.seed);
        set(&mut config.rows, file.rows);
        config.events_per_day = file.events_per_day;
        set(&mut config.start, file.start);
        set(&mut config.days, file.days);
        config.epoch = file.epoch;
        config.users = file.users.or(config.users);
        set(&mut config.catalog_size, file.catalog_size);
        set(&mut config.user_skew, file.user_skew);
        set(&mut config.content_skew, file.content_skew);
        set(&mut config.completion_rate, file.completion_rate);
        if let Some(mix) = file.event_mix {
            set(&mut config.event_mix.content_play, mix.content_play);
            set(&mut config.event_mix.search, mix.search);
            set(&mut config.event_mix.browse, mix.browse);
        }
        if let Some(mix) = file.device_mix {
            set(&mut config.device_mix.mobile, mix.mobile);
            set(&mut config.device_mix.desktop, mix.desktop);
            set(&mut config.device_mix.tablet, mix.tablet);
            set(&mut config.device_mix.smart_tv, mix.smart_tv);
        }
        set(&mut config.countries, file.countries);
        for (range, given) in [
            (&mut config.devices_per_user, file.devices_per_user),
            (&mut config.actions, file.actions),
            (&mut config.recommendations, file.recommendations),
            (&mut config.search_history, file.search_history),
        ] {
            if let Some(given) = given {
                set(&mut range.min, given.min);
                set(&mut range.max, given.max);
            }
        }
        if let Some(session) = file.session {
            let into = &mut config.session;
            set(&mut into.think_seconds, session.think_seconds);
            set(&mut into.gap_minutes, session.gap_minutes);
            set(&mut into.search_to_play, session.search_to_play);
            set(&mut into.binge, session.binge);
            for (transition, given) in [
                (&mut into.first, session.first),
                (&mut into.after_browse, session.after_browse),
                (&mut into.after_search, session.after_search),
                (&mut into.after_content_play, session.after_content_play),
            ] {
                if let Some(given) = given {
                    set(&mut transition.content_play, given.content_play);
                    set(&mut transition.search, given.search);
                    set(&mut transition.browse, given.browse);
                    set(&mut transition.end, given.end);
                }
            }
        }
        if let Some(life) = file.lifecycle {
            let into = &mut config.lifecycle;
            set(&mut into.signups_per_month, life.signups_per_month);
            set(&mut into.plan_changes_per_month, life.plan_changes_per_month);
            set(&mut into.billing_changes_per_month, life.billing_changes_per_month);
            set(&mut into.come_back, life.come_back);
            set(&mut into.come_back_days, life.come_back_days);
            if let Some(churn) = life.churn_per_month {
                set(&mut into.churn_per_month.basic, churn.basic);
                set(&mut into.churn_per_month.standard, churn.standard);
                set(&mut into.churn_per_month.premium, churn.premium);
            }
        }
        set(&mut config.faults, file.faults);
        config.settle_rows();
        config
    }
}

/// Events of `date` in a timeline of `events_per_day` on an average day: the
/// weekly pattern ([`weekday_factor`] of
/// the UTC date) scaled so that a week holds `7 × events_per_day`, rounded.
/// A pure function of the date, so a day's volume does not depend on the
/// window it is generated in.
pub fn day_volume(events_per_day: u64, date: NaiveDate) -> u64 {
    // Factors in tenths: Monday to Thursday 10, Friday 11, weekend 13; a week sums to 77.
    let tenths = (weekday_factor(date) * 10.0).round() as u128;
    ((events_per_day as u128 * 7 * tenths * 2 + 77) / 154) as u64
}

impl Config {
    /// Parses a TOML config; keys it leaves out keep their defaults.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key that is unknown, mistyped or
    /// impossible, with the line and column where the text has one.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        parse_toml(text, None)
    }

    /// Parses the text of the config file at `path`; errors name the file.
    ///
    /// # Errors
    /// As [`Config::from_toml`].
    pub fn from_toml_file(path: &Path, text: &str) -> Result<Self, Error> {
        parse_toml(text, Some(path))
    }

    /// Users in the universe: `users` if set, else a twentieth of the events
    /// (of a week, `7 × events_per_day`, when days are sized by date, so the
    /// universe does not depend on the window; of a week at the run's pace,
    /// `7 × rows / days`, for a run of under a week, so that a short run's
    /// users are not asked for more sessions a day than their hours hold),
    /// kept within 1,000 ..= 10,000,000.
    pub fn user_count(&self) -> u64 {
        let events = match self.events_per_day {
            Some(per_day) => per_day.saturating_mul(7),
            None if self.days < 7 => (self.rows as u128 * 7 / self.days.max(1) as u128).min(u64::MAX as u128) as u64,
            None => self.rows,
        };
        self.users.unwrap_or_else(|| (events / 20).clamp(1_000, 10_000_000))
    }

    /// The day by which every user has subscribed: `epoch` if set, else the
    /// earlier of [`DEFAULT_EPOCH`] and `start`. A user's subscription start
    /// is measured back from it, so it is the same in every window that
    /// starts on or after it.
    pub fn epoch(&self) -> NaiveDate {
        self.epoch.unwrap_or(DEFAULT_EPOCH.min(self.start))
    }

    /// The number of events of each day, in order, when days are sized by
    /// date ([`day_volume`]); `None` when `rows` is shared out over the window.
    pub fn day_volumes(&self) -> Option<Vec<u64>> {
        let per_day = self.events_per_day?;
        Some(
            (0..self.days as u64)
                .map(|d| {
                    let date = self.start.checked_add_days(chrono::Days::new(d)).unwrap_or(LAST_DAY);
                    day_volume(per_day, date)
                })
                .collect(),
        )
    }

    /// With `events_per_day`, sets `rows` to the sum of the days' volumes;
    /// call it after changing `start`, `days` or `events_per_day`.
    pub fn settle_rows(&mut self) {
        if let Some(volumes) = self.day_volumes() {
            self.rows = volumes.iter().fold(0u64, |a, &b| a.saturating_add(b));
        }
    }

    /// Checks that the config describes a dataset that can exist.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first offending key.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |key: &str, message: String| {
            Err(Error::Config {
                at: None,
                key: key.to_string(),
                message,
            })
        };
        if let Some(per_day) = self.events_per_day {
            if per_day == 0 {
                return bad(
                    "events_per_day",
                    "must be at least 1; pass e.g. --events-per-day 1M".into(),
                );
            }
            // The busiest weekday holds 13/11 of an average day.
            if day_volume(per_day, NaiveDate::from_ymd_opt(2026, 1, 3).expect("a Saturday")) > MAX_ROWS_PER_DAY {
                return bad(
                    "events_per_day",
                    format!(
                        "{per_day} would put more than {MAX_ROWS_PER_DAY} events on a weekend day; \
                         pass at most --events-per-day 13B"
                    ),
                );
            }
            let mut settled = self.clone();
            settled.settle_rows();
            if settled.rows != self.rows {
                return bad(
                    "rows",
                    format!(
                        "{} is not the {} events that events_per_day gives these days; set one of them",
                        self.rows, settled.rows
                    ),
                );
            }
        }
        if self.rows == 0 {
            return bad("rows", "must be at least 1; pass e.g. --rows 1M".into());
        }
        if self.rows > MAX_ROWS {
            return bad(
                "rows",
                format!(
                    "{} is above the most, 100,000,000,000 (planning lists every row group in memory); \
                     pass at most --rows 100B",
                    self.rows
                ),
            );
        }
        if self.days == 0 {
            return bad("days", "must be at least 1; pass e.g. --days 7".into());
        }
        if self.days > MAX_DAYS {
            return bad(
                "days",
                format!(
                    "{} is above the most, {MAX_DAYS} (ten years); pass at most --days {MAX_DAYS}",
                    self.days
                ),
            );
        }
        if !(FIRST_DAY..=LAST_DAY).contains(&self.start) {
            return bad(
                "start",
                format!(
                    "{} is outside years 1 ..= 9999; pass e.g. --start 2026-01-01",
                    self.start
                ),
            );
        }
        let last_day = self.start.checked_add_days(chrono::Days::new(self.days as u64 - 1));
        if last_day.is_none_or(|last| last > LAST_DAY) {
            return bad(
                "start",
                format!(
                    "{} days from {} run past {LAST_DAY} (folder names have four-digit years); \
                     pass an earlier --start or fewer --days",
                    self.days, self.start
                ),
            );
        }
        if let Some(epoch) = self.epoch
            && !(FIRST_DAY..=self.start).contains(&epoch)
        {
            return bad(
                "epoch",
                format!(
                    "{epoch} is after start {} (every subscription starts before the epoch, \
                     and events after their subscription); pass --epoch {} or earlier",
                    self.start, self.start
                ),
            );
        }
        if self.user_count() == 0 {
            return bad("users", "must be at least 1".into());
        }
        if self.catalog_size < 10 {
            return bad(
                "catalog_size",
                "must be at least 10 (recommendations need distinct entries)".into(),
            );
        }
        if self.catalog_size > 100_000_000 {
            return bad("catalog_size", "must be at most 100,000,000".into());
        }
        for (key, value) in [("user_skew", self.user_skew), ("content_skew", self.content_skew)] {
            if !(0.0..=5.0).contains(&value) {
                return bad(key, format!("{value} is outside 0 ..= 5"));
            }
        }
        if !(0.0..=1.0).contains(&self.completion_rate) {
            return bad(
                "completion_rate",
                format!("{} is outside 0 ..= 1", self.completion_rate),
            );
        }
        let mix = &self.event_mix;
        check_weights(
            "event_mix",
            &[
                ("content_play", mix.content_play),
                ("search", mix.search),
                ("browse", mix.browse),
            ],
        )?;
        let devices = self.device_mix.weights();
        let named: Vec<(&str, f64)> = DEVICE_TYPES.iter().copied().zip(devices).collect();
        check_weights("device_mix", &named)?;
        let known = country_codes();
        for code in self.countries.keys() {
            if !known.contains(&code.as_str()) {
                return bad(
                    &format!("countries.{}", one_line(code)),
                    format!("unknown country code; the gazetteer has {}", known.join(", ")),
                );
            }
        }
        let countries: Vec<(&str, f64)> = self.countries.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        check_weights("countries", &countries)?;
        for (key, range, floor, ceiling) in [
            ("devices_per_user", self.devices_per_user, 1, MAX_DEVICES_PER_USER),
            ("actions", self.actions, 1, MAX_ACTIONS),
            ("recommendations", self.recommendations, 1, MAX_RECOMMENDATIONS),
            ("search_history", self.search_history, 1, MAX_SEARCH_HISTORY),
        ] {
            if range.min < floor || range.max > ceiling || range.min > range.max {
                return bad(
                    key,
                    format!(
                        "min {} and max {} must satisfy {floor} <= min <= max <= {ceiling}",
                        range.min, range.max
                    ),
                );
            }
        }
        self.session.validate(&self.event_mix)?;
        self.lifecycle.validate()?;
        self.faults.validate()?;
        if self.recommendations.max as u64 >= self.catalog_size {
            return bad("recommendations.max", "must be below catalog_size".into());
        }
        Ok(())
    }
}

impl LifecycleConfig {
    /// Checks the rates.
    ///
    /// # Errors
    /// [`Error::Config`] naming the `lifecycle.` key at fault.
    fn validate(&self) -> Result<(), Error> {
        let churn = &self.churn_per_month;
        for (key, value) in [
            ("signups_per_month", self.signups_per_month),
            ("churn_per_month.Basic", churn.basic),
            ("churn_per_month.Standard", churn.standard),
            ("churn_per_month.Premium", churn.premium),
            ("plan_changes_per_month", self.plan_changes_per_month),
            ("billing_changes_per_month", self.billing_changes_per_month),
            ("come_back", self.come_back),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::Config {
                    at: None,
                    key: format!("lifecycle.{key}"),
                    message: format!("{value} is outside 0 ..= 1 (a share a month); write e.g. 0.05"),
                });
            }
        }
        if !(1.0..=3650.0).contains(&self.come_back_days) {
            return Err(Error::Config {
                at: None,
                key: "lifecycle.come_back_days".into(),
                message: format!("{} is outside 1 ..= 3650 days", self.come_back_days),
            });
        }
        Ok(())
    }
}

impl SessionConfig {
    /// Checks the chain and the times.
    ///
    /// # Errors
    /// [`Error::Config`] naming the `session.` key at fault.
    fn validate(&self, mix: &EventMix) -> Result<(), Error> {
        let bad = |key: &str, message: String| {
            Err(Error::Config {
                at: None,
                key: format!("session.{key}"),
                message,
            })
        };
        if !(1.0..=3600.0).contains(&self.think_seconds) {
            return bad(
                "think_seconds",
                format!("{} is outside 1 ..= 3600 seconds", self.think_seconds),
            );
        }
        // A session reaches at most 12 hours past midnight, and the next
        // day keeps its user idle for the gap after it: no more than that.
        if !(0.0..=720.0).contains(&self.gap_minutes) {
            return bad(
                "gap_minutes",
                format!("{} is outside 0 ..= 720 minutes (12 hours)", self.gap_minutes),
            );
        }
        for (key, value) in [("search_to_play", self.search_to_play), ("binge", self.binge)] {
            if !(0.0..=1.0).contains(&value) {
                return bad(key, format!("{value} is outside 0 ..= 1"));
            }
        }
        let types = [mix.content_play, mix.search, mix.browse];
        for (name, transition) in [
            ("first", &self.first),
            ("after_browse", &self.after_browse),
            ("after_search", &self.after_search),
            ("after_content_play", &self.after_content_play),
        ] {
            let w = transition.weights();
            check_weights(
                &format!("session.{name}"),
                &[
                    ("content_play", w[0]),
                    ("search", w[1]),
                    ("browse", w[2]),
                    ("end", w[3]),
                ],
            )?;
            let next: f64 = (0..3).map(|t| w[t] * types[t]).sum();
            if name == "first" && w[3] != 0.0 {
                return bad("first.end", "must be 0: a session has at least one event".into());
            }
            if next <= 0.0 && name == "first" {
                return bad(
                    "first",
                    "gives no event type a positive weight with event_mix; raise a weight there".into(),
                );
            }
        }
        Ok(())
    }
}

/// The top-level keys, as an unknown key's message lists them.
const TOP_LEVEL_KEYS: &str = "seed, rows, events_per_day, start, days, epoch, users, catalog_size, user_skew, content_skew, \
    completion_rate, [event_mix], [device_mix], [countries], [devices_per_user], [actions], \
    [recommendations], [search_history], [session], [lifecycle], [faults]";

/// Parses and validates a config's TOML `text`, read from `file` if given.
fn parse_toml(text: &str, file: Option<&Path>) -> Result<Config, Error> {
    let place = |span: Option<std::ops::Range<usize>>| -> Option<String> {
        let position = span.map(|span| line_and_column(text, span.start));
        match (file, position) {
            (Some(file), Some((line, column))) => Some(format!("{}, line {line}, column {column}", file.display())),
            (Some(file), None) => Some(file.display().to_string()),
            (None, Some((line, column))) => Some(format!("line {line}, column {column}")),
            (None, None) => None,
        }
    };
    let document = toml::Deserializer::parse(text).map_err(|e| Error::Config {
        at: place(e.span()),
        key: String::new(),
        message: one_line(&format!("not valid TOML: {}; fix the syntax there", e.message())),
    })?;
    let config: Config = serde_path_to_error::deserialize(document).map_err(|e| {
        let path: Vec<String> = e.path().iter().map(|segment| segment.to_string()).collect();
        let inner = e.into_inner();
        let (key, message) = describe(&path.join("."), inner.message());
        Error::Config {
            at: place(inner.span()),
            key: one_line(&key),
            message: one_line(&message),
        }
    })?;
    // A manifest records both (the rows being the days' sum); a file that
    // sets both asks for two volumes.
    if config.events_per_day.is_some()
        && let Some(span) = key_span(text, "rows")
    {
        return Err(Error::Config {
            at: place(Some(span)),
            key: "rows".into(),
            message: "and events_per_day are both set; set one of them \
                      (events_per_day sizes each day by its date)"
                .into(),
        });
    }
    config.validate().map_err(|e| match e {
        Error::Config { key, message, .. } => Error::Config {
            at: place(key_span(text, &key)),
            key,
            message,
        },
        other => other,
    })?;
    Ok(config)
}

/// The dotted key and the message (ending with the fix) of a deserialization
/// error at `path`.
fn describe(path: &str, message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        // The path ends with the unknown key itself.
        let expected = rest.split_once('`').map_or("", |(_, expected)| expected);
        let table = path.rsplit_once('.').map(|(table, _)| table);
        let message = match table {
            None => format!("unknown key; the top-level keys are {TOP_LEVEL_KEYS}"),
            Some(table) => {
                let valid = expected
                    .trim_start_matches(", expected one of ")
                    .trim_start_matches(", expected ")
                    .replace('`', "");
                format!("unknown key; the keys of [{table}] are {valid}")
            }
        };
        return (path.to_string(), message);
    }
    let leaf = path.rsplit('.').next().unwrap_or(path);
    let fix = match leaf {
        "" => "fix the value there",
        "start" => "write a quoted date, e.g. start = \"2026-01-01\"",
        "epoch" => "write a quoted date, e.g. epoch = \"2026-01-01\"",
        "seed" | "rows" | "events_per_day" | "days" | "users" | "catalog_size" | "min" | "max" => {
            "write a whole number, e.g. 1000"
        }
        "event_mix" | "device_mix" | "countries" | "devices_per_user" | "actions" | "recommendations"
        | "search_history" | "session" | "first" | "after_browse" | "after_search" | "after_content_play"
        | "lifecycle" | "churn_per_month" | "faults" => {
            "write it as a table, as `customer-events config --default` shows"
        }
        _ => "write a number, e.g. 0.25",
    };
    // Serde names the Rust type a table deserializes into.
    let message = match message.find("expected struct ") {
        Some(at) => format!("{}expected a table", &message[..at]),
        None => message.to_string(),
    };
    let message = message
        .replace("expected a map", "expected a table")
        .replace("expected f64", "expected a number")
        .replace("expected u64", "expected a whole number >= 0")
        .replace("expected u32", "expected a whole number from 0 to 4294967295");
    (path.to_string(), format!("{message}; {fix}"))
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Where dotted `key` is set in `text`, if the text sets it (a default has
/// no place).
fn key_span(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let mut table = document.get_ref();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let (found, value) = table.get_key_value(part)?;
        if parts.peek().is_none() {
            return Some(found.span());
        }
        table = value.get_ref().as_table()?;
    }
    None
}

/// `text` with control characters (a newline in a quoted key) escaped, so a
/// message stays on one line.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn check_weights(table: &str, weights: &[(&str, f64)]) -> Result<(), Error> {
    for (name, w) in weights {
        if !w.is_finite() || *w < 0.0 {
            return Err(Error::Config {
                at: None,
                key: format!("{table}.{name}"),
                message: format!("weight {w} must be a finite number >= 0"),
            });
        }
    }
    if weights.iter().all(|(_, w)| *w == 0.0) {
        return Err(Error::Config {
            at: None,
            key: table.to_string(),
            message: "needs at least one positive weight".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_run_gets_the_users_of_a_week_at_its_pace() {
        let run = |rows, days| {
            Config {
                rows,
                days,
                ..Config::default()
            }
            .user_count()
        };
        assert_eq!(run(1_000_000, 7), 50_000);
        assert_eq!(run(1_000_000, 28), 50_000);
        // One day of 1.43M events: the users of a week at that pace, not
        // 71,500 users asked for 20 events each in one day.
        assert_eq!(run(1_430_000, 1), 500_500);
        assert_eq!(run(200_000, 2), 35_000);
    }

    #[test]
    fn documented_default_is_the_default() {
        let parsed = Config::from_toml(DEFAULT_CONFIG_TOML).unwrap();
        assert_eq!(parsed, Config::default());
    }

    fn key_of(text: &str) -> String {
        match Config::from_toml(text) {
            Err(Error::Config { key, .. }) => key,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn impossible_configs_name_their_key() {
        assert!(key_of("colour = 3").contains("colour"));
        assert_eq!(
            key_of("[event_mix]\ncontent_play = -1\nsearch = 1\nbrowse = 1"),
            "event_mix.content_play"
        );
        assert_eq!(
            key_of("[event_mix]\ncontent_play = 0\nsearch = 0\nbrowse = 0"),
            "event_mix"
        );
        assert_eq!(key_of("[actions]\nmin = 4\nmax = 2"), "actions");
        assert_eq!(key_of("[countries]\nXX = 1.0"), "countries.XX");
        assert_eq!(key_of("days = 0"), "days");
    }
}
