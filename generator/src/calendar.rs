//! When events happen: how many rows each day gets and the UTC instant and
//! timezone of every row.
//!
//! Viewing follows a daily curve in the user's local time (evening peak,
//! night trough) and a weekly one (more on Fridays and weekends); on a
//! public holiday of the zone's country ([`is_holiday`]) a zone watches
//! more, and more in the daytime. A UTC day's
//! density is the mixture of every zone's local curve weighted by its users;
//! days get rows in proportion to their total density. Row `j` of a day with
//! `n` rows takes its instant by stratified sampling of the day's CDF at
//! `(j + u) / n`, so rows come out sorted by time with no sort; its zone is
//! then drawn in proportion to each zone's users × local curve at that
//! instant. Everything is computed once per day at start-up.
//!
//! A row is keyed by its day and its index within the day ([`Day::key`]),
//! never by its position in the run, so a day's rows are the same in every
//! window that holds the day with the same volume.

use chrono::{Datelike, NaiveDate, Offset, TimeZone};

use crate::config::{Config, day_volume};
pub use crate::config::{ROW_IN_DAY_BITS, weekday_factor};
use crate::model::Micros;
use crate::rng::{KeyedRng, Weighted};
use crate::users::{Zone, apportion};
use crate::vocab::holidays::is_holiday;

/// Half-hour slots per day.
const SLOTS: usize = 48;
const SLOT_MICROS: i64 = 30 * 60 * 1_000_000;
const DAY_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

/// Relative viewing by local hour: a trough at 4:00, a peak at 21:00.
pub const LOCAL_HOUR_CURVE: [f64; 24] = [
    0.40, 0.24, 0.14, 0.09, 0.08, 0.10, 0.18, 0.30, 0.38, 0.42, 0.46, 0.52, 0.58, 0.58, 0.56, 0.60, 0.70, 0.85, 1.05,
    1.30, 1.55, 1.65, 1.40, 0.85,
];

/// A public holiday's viewing relative to an average day of the same zone
/// (a weekend day is 1.3): people are off work.
pub const HOLIDAY_FACTOR: f64 = 1.4;

/// Relative viewing by local hour on a public holiday: the daytime of a
/// day off (late morning to late afternoon twice an ordinary day's), the
/// same evening peak.
pub const HOLIDAY_HOUR_CURVE: [f64; 24] = {
    let mut curve = LOCAL_HOUR_CURVE;
    let mut hour = 10;
    while hour < 18 {
        curve[hour] *= 2.0;
        hour += 1;
    }
    curve
};

/// One UTC day of the dataset.
#[derive(Debug)]
pub struct Day {
    /// The date (UTC).
    pub date: NaiveDate,
    /// Midnight UTC, in microseconds since the epoch.
    pub start: Micros,
    /// Global index of the day's first row in this run.
    pub first_row: u64,
    /// The day's part of its rows' keys: days from 0001-01-01, shifted
    /// above [`ROW_IN_DAY_BITS`].
    key_base: u64,
    /// Rows of the day.
    pub rows: u64,
    /// Cumulative share of the day's rows at each slot boundary (`SLOTS + 1` values, 0 to 1).
    slot_cdf: Vec<f64>,
    /// Per slot: which zone a row at that instant comes from.
    zone_pick: Vec<Weighted>,
}

impl Day {
    /// The timeline key of row `j` of this day: `(day, j)` packed in one
    /// number, unique across every day of every window. A row's random
    /// stream and its ids are keyed by it.
    #[inline]
    pub fn key(&self, j: u64) -> u64 {
        self.key_base | j
    }

    /// The instant of row `j` of this day, drawing its jitter from `rng`,
    /// and the slot it falls in.
    #[inline]
    pub fn instant(&self, j: u64, rng: &mut KeyedRng) -> (Micros, usize) {
        self.instant_among(j, self.rows, rng)
    }

    /// The instant of item `j` of `n` spread over the day by its viewing
    /// (stratified: item `j` falls at quantile `(j + u) / n`), and its slot.
    #[inline]
    pub fn instant_among(&self, j: u64, n: u64, rng: &mut KeyedRng) -> (Micros, usize) {
        let u = (j as f64 + rng.unit()) / n as f64;
        let slot = (self.slot_cdf.partition_point(|&c| c <= u).max(1) - 1).min(SLOTS - 1);
        let (lo, hi) = (self.slot_cdf[slot], self.slot_cdf[slot + 1]);
        let within = if hi > lo {
            ((u - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        let offset = ((slot as f64 + within) * SLOT_MICROS as f64) as i64;
        (Micros(self.start.0 + offset.min(DAY_MICROS - 1)), slot)
    }

    /// Midnight UTC at the end of the day, in microseconds since the epoch.
    #[inline]
    pub fn end(&self) -> i64 {
        self.start.0 + DAY_MICROS
    }

    /// Draws the zone (index into the population's zones) of a row in `slot`.
    #[inline]
    pub fn zone(&self, slot: usize, rng: &mut KeyedRng) -> usize {
        self.zone_pick[slot].sample(rng)
    }
}

/// Every day of the dataset, with its row range.
#[derive(Debug)]
pub struct Calendar {
    days: Vec<Day>,
    /// The day before the first, when days are sized by date: its sessions
    /// that run past midnight bring their events into the first day, as
    /// they do in a run that holds both days.
    before: Option<Day>,
}

/// A day's viewing per slot, and who views in each slot.
fn plan_day(date: NaiveDate, zones: &[Zone], countries: &[&str]) -> (Vec<f64>, Vec<Weighted>) {
    let noon = date.and_hms_opt(12, 0, 0).expect("noon exists");
    let offsets: Vec<i64> = zones
        .iter()
        .map(|z| z.tz.offset_from_utc_datetime(&noon).fix().local_minus_utc() as i64 / 60)
        .collect();
    let mut slot_mass = Vec::with_capacity(SLOTS);
    let mut zone_pick = Vec::with_capacity(SLOTS);
    for slot in 0..SLOTS {
        let weights: Vec<f64> = zones
            .iter()
            .zip(&offsets)
            .zip(countries)
            .map(|((zone, offset), country)| {
                let local_minute = slot as i64 * 30 + 15 + offset;
                let local_date = date + chrono::TimeDelta::days(local_minute.div_euclid(1440));
                let hour = (local_minute.rem_euclid(1440) / 60) as usize;
                let viewing = if is_holiday(country, local_date) {
                    HOLIDAY_HOUR_CURVE[hour] * HOLIDAY_FACTOR
                } else {
                    LOCAL_HOUR_CURVE[hour] * weekday_factor(local_date)
                };
                zone.users as f64 * viewing
            })
            .collect();
        slot_mass.push(weights.iter().sum::<f64>());
        zone_pick.push(Weighted::new(weights).expect("zones with users have positive weight"));
    }
    (slot_mass, zone_pick)
}

impl Day {
    /// The day of `date` with `rows` rows from global row `first_row`, its
    /// viewing `slot_mass` per slot and `zone_pick` per slot.
    fn new(date: NaiveDate, first_row: u64, rows: u64, slot_mass: &[f64], zone_pick: Vec<Weighted>) -> Self {
        let total: f64 = slot_mass.iter().sum();
        let mut slot_cdf = Vec::with_capacity(SLOTS + 1);
        let mut acc = 0.0;
        slot_cdf.push(0.0);
        for m in slot_mass {
            acc += m;
            slot_cdf.push(acc / total);
        }
        slot_cdf[SLOTS] = 1.0;
        Day {
            date,
            start: Micros(
                date.and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_utc()
                    .timestamp_micros(),
            ),
            first_row,
            key_base: (date.num_days_from_ce() as u64) << ROW_IN_DAY_BITS,
            rows,
            slot_cdf,
            zone_pick,
        }
    }
}

impl Calendar {
    /// Plans `config`'s days for users in `zones`: each day gets its volume
    /// by its date ([`Config::day_volumes`]) or, without one, a share of
    /// `config.rows` in proportion to the day's viewing.
    pub fn build(config: &Config, zones: &[Zone]) -> Self {
        let (start, days) = (config.start, config.days);
        let countries: Vec<&str> = zones.iter().map(Zone::country_code).collect();
        let planned: Vec<(NaiveDate, Vec<f64>, Vec<Weighted>)> = (0..days)
            .map(|d| {
                let date = start + chrono::Days::new(d as u64);
                let (slot_mass, zone_pick) = plan_day(date, zones, &countries);
                (date, slot_mass, zone_pick)
            })
            .collect();
        let day_mass: Vec<f64> = planned.iter().map(|(_, m, _)| m.iter().sum()).collect();
        let rows_per_day = config
            .day_volumes()
            .unwrap_or_else(|| apportion(config.rows, &day_mass));
        let mut first_row = 0;
        let days = planned
            .into_iter()
            .zip(rows_per_day)
            .map(|((date, slot_mass, zone_pick), rows)| {
                let day = Day::new(date, first_row, rows, &slot_mass, zone_pick);
                first_row += rows;
                day
            })
            .collect();
        let before = config.events_per_day.and_then(|per_day| {
            let date = start.pred_opt()?;
            let (slot_mass, zone_pick) = plan_day(date, zones, &countries);
            Some(Day::new(date, 0, day_volume(per_day, date), &slot_mass, zone_pick))
        });
        Calendar { days, before }
    }

    /// The days, in order.
    pub fn days(&self) -> &[Day] {
        &self.days
    }

    /// The day before day `index` (outside the run for the first day: only
    /// when days are sized by date, so that it is the same day as in a
    /// run that holds it).
    pub fn day_before(&self, index: usize) -> Option<&Day> {
        match index {
            0 => self.before.as_ref(),
            _ => self.days.get(index - 1),
        }
    }

    /// The day holding global row `row`.
    #[inline]
    pub fn day_of(&self, row: u64) -> &Day {
        &self.days[self.index_of(row)]
    }

    /// The index of the day holding global row `row`.
    #[inline]
    pub fn index_of(&self, row: u64) -> usize {
        let i = self.days.partition_point(|d| d.first_row + d.rows <= row);
        i.min(self.days.len() - 1)
    }
}
