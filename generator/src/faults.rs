//! Faults: the dirt a real event feed carries, injected on demand, and the
//! ground truth of every fault injected.
//!
//! A feed delivered at least once repeats events; a retry re-sends an event
//! with a field that moved on; a device's clock drifts; a client breaks
//! the contract. [`FaultsConfig`] (the config's `[faults]` table, or a
//! preset) gives each kind its rate, a share of the events. Whether a row
//! is faulty, and how, is a function of the seed and the row's timeline key
//! alone ([`World::fault_of`], [`Stream::Fault`]): the same rows are faulty
//! whatever the threads, parts or windows. A row has at most one fault.
//!
//! [`World::fill_written`] is the one place faults are applied: it fills a
//! range of rows and hands over each event *as written*, with the record of
//! its fault ([`Injected`]) when it has one. A duplicate (or near-duplicate)
//! is written `after` rows after its original, within the same range (the
//! engine's sub-batch: a run never splits one), so a file holds the rows of
//! its range plus their copies.
//!
//! A late arrival is left out of its own day's file and written, with the
//! other late events of its arrival day, into that day's late file
//! ([`World::late_arrivals`] lists them, [`World::plan_late`] plans them,
//! from the plans kept when their own day was planned, or from
//! [`World::lookback`]'s days before the first). [`World::written_rows`]
//! counts what a range's file holds.
//!
//! With every rate at zero (the default) nothing here runs: the rows and
//! their bytes are those of a clean run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::columns::Utf8Column;
use crate::config::FaultsConfig;
use crate::error::Error;
use crate::model::{Event, Micros, Uuid};
use crate::rng::{KeyedRng, Stream};
use crate::schema::MissingColumn;
use crate::sweep::{PlannedRows, RowOrigin};
use crate::vocab::device::DEVICE_TYPE_MISSPELT;
use crate::vocab::places::COUNTRY_MISSPELT;
use crate::vocab::{Vocabulary, Word};
use crate::world::World;

/// The most rows a copy is written after its original.
pub const MAX_COPY_DISTANCE: u32 = 500;
/// The largest clock skew of an out-of-order event, either way (ten minutes).
pub const MAX_SKEW_MICROS: i64 = 600_000_000;

/// A day, in microseconds.
const DAY_MICROS: i64 = 86_400_000_000;

/// The kinds with their rates in `faults`, in the order a row's draw tries them.
fn rates(faults: &FaultsConfig) -> [(FaultKind, f64); 7] {
    [
        (FaultKind::Duplicate, faults.duplicates),
        (FaultKind::NearDuplicate, faults.near_duplicates),
        (FaultKind::OutOfOrder, faults.out_of_order),
        (FaultKind::BrokenValue, faults.broken_values),
        (FaultKind::LateArrival, faults.late_arrivals),
        (FaultKind::MissingValue, faults.missing_values),
        (FaultKind::MalformedRecord, faults.malformed_records),
    ]
}

/// The draw below which a row is a copy, and the range of draws of a late
/// arrival, as [`World::fault_of`] sums the rates.
fn thresholds(faults: &FaultsConfig) -> (f64, Range<f64>) {
    let mut sum = 0.0;
    let mut copies = 0.0;
    let mut late = 0.0..0.0;
    for (kind, rate) in rates(faults) {
        let before = sum;
        sum += rate;
        if kind.copies() {
            copies = sum;
        }
        if kind == FaultKind::LateArrival {
            late = before..sum;
        }
    }
    (copies, late)
}

/// A kind of fault, as the ground truth names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The event again, unchanged.
    Duplicate,
    /// The event again, one field changed.
    NearDuplicate,
    /// The event's timestamp moved by its device's clock.
    OutOfOrder,
    /// A value outside the contract.
    BrokenValue,
    /// The event delivered on a later day, with that day's events.
    LateArrival,
    /// A null where the contract promises a value.
    MissingValue,
    /// An NDJSON line that breaks: cut short, or a number as a string.
    MalformedRecord,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [Self; 7] = [
        Self::Duplicate,
        Self::NearDuplicate,
        Self::OutOfOrder,
        Self::BrokenValue,
        Self::LateArrival,
        Self::MissingValue,
        Self::MalformedRecord,
    ];

    /// The name in the ground truth's `kind` column.
    pub fn name(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::NearDuplicate => "near_duplicate",
            Self::OutOfOrder => "out_of_order",
            Self::BrokenValue => "broken_value",
            Self::LateArrival => "late_arrival",
            Self::MissingValue => "missing_value",
            Self::MalformedRecord => "malformed_record",
        }
    }

    /// The `[faults]` key of its rate.
    pub fn key(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicates",
            Self::NearDuplicate => "near_duplicates",
            Self::OutOfOrder => "out_of_order",
            Self::BrokenValue => "broken_values",
            Self::LateArrival => "late_arrivals",
            Self::MissingValue => "missing_values",
            Self::MalformedRecord => "malformed_records",
        }
    }

    /// Whether the fault writes a second row (a copy of the original).
    pub fn copies(self) -> bool {
        matches!(self, Self::Duplicate | Self::NearDuplicate)
    }
}

/// A row's fault, drawn before its event is filled ([`World::fault_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What kind.
    pub kind: FaultKind,
    /// For a copy: how many rows after the original it is written (at
    /// most [`MAX_COPY_DISTANCE`], and never past its range).
    pub after: u32,
    /// The rest of the row's draw, from which the change is made.
    bits: u64,
}

/// A value a fault changed, typed as the column holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A timestamp.
    Time(Micros),
    /// A whole number.
    Int(i32),
    /// A real number.
    Real(f64),
    /// A flag.
    Bool(bool),
    /// A date.
    Date(chrono::NaiveDate),
    /// A word.
    Text(&'static str),
    /// An id.
    Id(Uuid),
    /// A number written as a JSON string (`"45"`).
    Quoted(i32),
}

impl Value {
    /// Appends the value as the ground truth writes it: a timestamp as the
    /// events' text form (RFC 3339, `…Z`), numbers as Rust prints them.
    pub fn write_to(&self, out: &mut impl std::fmt::Write) {
        let _ = match self {
            Self::Time(t) => write!(out, "{t}"),
            Self::Int(v) => write!(out, "{v}"),
            Self::Real(v) => write!(out, "{v}"),
            Self::Bool(v) => write!(out, "{v}"),
            Self::Date(v) => write!(out, "{v}"),
            Self::Text(v) => out.write_str(v),
            Self::Id(v) => write!(out, "{v}"),
            Self::Quoted(v) => write!(out, "\"{v}\""),
        };
    }
}

/// The ground truth of one injected fault, for the written row it is in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Injected {
    /// What kind.
    pub kind: FaultKind,
    /// The column changed, as a dotted path (`event_details.play_duration`);
    /// `None` for a plain duplicate.
    pub column: Option<&'static str>,
    /// The value of the clean event; `None` for a plain duplicate.
    pub clean: Option<Value>,
    /// The value written; `None` for a plain duplicate.
    pub written: Option<Value>,
}

/// How an NDJSON line is broken ([`FaultKind::MalformedRecord`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// The line cut short, at half its length: not JSON.
    Truncated,
    /// `event_details.play_duration` written as a string.
    QuotedPlayDuration,
}

impl Malformed {
    /// The letter that names it in a batch's [`MALFORMED_METADATA`].
    pub fn letter(self) -> char {
        match self {
            Self::Truncated => 't',
            Self::QuotedPlayDuration => 'q',
        }
    }

    /// The kind a letter names.
    pub fn of_letter(letter: char) -> Option<Self> {
        match letter {
            't' => Some(Self::Truncated),
            'q' => Some(Self::QuotedPlayDuration),
            _ => None,
        }
    }
}

/// The schema metadata key under which a batch of nested events lists the
/// rows its NDJSON writer breaks: `row:letter` pairs, comma-separated
/// (`3:t,17:q`), rows counted from the batch's first.
pub const MALFORMED_METADATA: &str = "customer-events.malformed";

impl Injected {
    /// For a malformed record, how its line is broken.
    pub fn malformed(&self) -> Option<Malformed> {
        (self.kind == FaultKind::MalformedRecord).then(|| {
            if self.column.is_some() {
                Malformed::QuotedPlayDuration
            } else {
                Malformed::Truncated
            }
        })
    }

    /// For a missing value, the column the row's null is in.
    pub fn missing(&self) -> Option<MissingColumn> {
        if self.kind != FaultKind::MissingValue {
            return None;
        }
        MissingColumn::ALL.into_iter().find(|c| Some(c.path()) == self.column)
    }
}

/// The column names of the values faults change.
const TIMESTAMP: &str = "timestamp";
const PLAY_DURATION: &str = "event_details.play_duration";
const PLAY_PERCENTAGE: &str = "event_details.play_percentage";
const COMPLETED: &str = "event_details.completed";
const DEVICE_TYPE: &str = "device.type";
const COUNTRY: &str = "location.country";
/// The partition a late event is written in.
const EVENT_DATE: &str = "event_date";

/// A year, in microseconds, for timestamps set years ahead.
const YEAR_MICROS: i64 = 365 * 86_400_000_000;

impl Fault {
    /// For a late arrival, how many days after its own day it arrives: 1
    /// with chance 1/2, 2 with 1/4 and so on, folded onto `1..=max`.
    pub fn late_days(&self, max: u32) -> Option<u32> {
        (self.kind == FaultKind::LateArrival).then(|| 1 + self.bits.trailing_zeros() % max.max(1))
    }

    /// Changes `event` as the fault does, and says what it changed. For a
    /// copy this is the copy's change: none for a duplicate.
    fn apply(&self, event: &mut Event<'_>) -> Injected {
        let bits = self.bits;
        let changed = |column, clean, written| Injected {
            kind: self.kind,
            column: Some(column),
            clean: Some(clean),
            written: Some(written),
        };
        // A fault that changes no value of the row it names.
        let unchanged = Injected {
            kind: self.kind,
            column: None,
            clean: None,
            written: None,
        };
        match self.kind {
            FaultKind::Duplicate => unchanged,
            FaultKind::NearDuplicate => match event.event_details.as_mut() {
                // A later heartbeat: 10 to 60 seconds more played.
                Some(details) => {
                    let clean = details.play_duration;
                    details.play_duration = clean.saturating_add(10 + (bits % 51) as i32);
                    changed(PLAY_DURATION, Value::Int(clean), Value::Int(details.play_duration))
                }
                // Stamped again when re-sent: 1 to 30 seconds later.
                None => {
                    let clean = event.timestamp;
                    event.timestamp = Micros(clean.0 + (1 + (bits % 30) as i64) * 1_000_000);
                    changed(TIMESTAMP, Value::Time(clean), Value::Time(event.timestamp))
                }
            },
            FaultKind::OutOfOrder => {
                // A skew of at least a second, up to ten minutes, either way;
                // never back into the day before, where only a late
                // arrival's timestamp lies.
                let magnitude = 1_000_000 + (bits >> 1) as i64 % (MAX_SKEW_MICROS - 1_000_000 + 1);
                let clean = event.timestamp;
                let midnight = clean.0.div_euclid(DAY_MICROS) * DAY_MICROS;
                let skew = if bits & 1 == 0 || clean.0 - magnitude < midnight {
                    magnitude
                } else {
                    -magnitude
                };
                event.timestamp = Micros(clean.0 + skew);
                changed(TIMESTAMP, Value::Time(clean), Value::Time(event.timestamp))
            }
            FaultKind::BrokenValue => {
                let which = bits % 6;
                // A word outside its vocabulary: in capitals, or with a
                // trailing space (`SMARTTV`, `mobile `).
                let misspell = |word: Word, misspelt: &'static Vocabulary| {
                    let words = word.vocabulary().words().len();
                    misspelt.word(words + 2 * word.key() as usize + ((bits / 6) & 1) as usize)
                };
                if which == 4 {
                    let clean = event.device.device_type;
                    event.device.device_type = misspell(clean, &DEVICE_TYPE_MISSPELT);
                    return changed(
                        DEVICE_TYPE,
                        Value::Text(clean.as_str()),
                        Value::Text(event.device.device_type.as_str()),
                    );
                }
                if which == 5 {
                    let clean = event.location.country;
                    event.location.country = misspell(clean, &COUNTRY_MISSPELT);
                    return changed(
                        COUNTRY,
                        Value::Text(clean.as_str()),
                        Value::Text(event.location.country.as_str()),
                    );
                }
                match event.event_details.as_mut() {
                    Some(details) if which == 0 => {
                        let clean = details.play_duration;
                        details.play_duration = -clean.max(1);
                        changed(PLAY_DURATION, Value::Int(clean), Value::Int(details.play_duration))
                    }
                    Some(details) if which == 1 => {
                        let clean = details.play_percentage;
                        // Over 100: a player that counted the credits twice.
                        details.play_percentage = 100.5 + ((bits >> 2) % 400) as f64;
                        changed(
                            PLAY_PERCENTAGE,
                            Value::Real(clean),
                            Value::Real(details.play_percentage),
                        )
                    }
                    Some(details) if which == 2 => {
                        // A sub-record that contradicts itself: `completed`
                        // no longer says whether 95% was played.
                        let clean = details.completed;
                        details.completed = !clean;
                        changed(COMPLETED, Value::Bool(clean), Value::Bool(details.completed))
                    }
                    _ => {
                        // A clock set years ahead: 2 to 30 years.
                        let clean = event.timestamp;
                        let years = 2 + ((bits >> 2) % 29) as i64;
                        event.timestamp = Micros(clean.0 + years * YEAR_MICROS);
                        changed(TIMESTAMP, Value::Time(clean), Value::Time(event.timestamp))
                    }
                }
            }
            // The event is kept whole; its columns write the null
            // (`Injected::missing`).
            FaultKind::MissingValue => {
                let column = MissingColumn::ALL[(bits % 3) as usize];
                let clean = match column {
                    MissingColumn::UserId => Value::Id(event.user_id),
                    MissingColumn::Timestamp => Value::Time(event.timestamp),
                    MissingColumn::Country => Value::Text(event.location.country.as_str()),
                };
                Injected {
                    kind: self.kind,
                    column: Some(column.path()),
                    clean: Some(clean),
                    written: None,
                }
            }
            // The event is kept whole; the NDJSON writer breaks its line
            // (`Injected::malformed`): a play's duration as a string, or
            // the line cut short (no column, no values).
            FaultKind::MalformedRecord => match event.event_details.as_ref() {
                Some(details) if bits.is_multiple_of(2) => changed(
                    PLAY_DURATION,
                    Value::Int(details.play_duration),
                    Value::Quoted(details.play_duration),
                ),
                _ => unchanged,
            },
            // Written as it is, in another day's file (`fill_written`).
            FaultKind::LateArrival => Injected {
                kind: self.kind,
                column: Some(EVENT_DATE),
                clean: None,
                written: None,
            },
        }
    }
}

/// A copy waiting for its place: written once the row `due` is.
struct Pending<'w> {
    due: u64,
    event: Event<'w>,
    injected: Injected,
}

impl World {
    /// Whether the events have faults (a rate of the events' kinds above
    /// zero): their files then have a ground truth beside them.
    pub fn has_faults(&self) -> bool {
        self.config.faults.on_events()
    }

    /// Whether a broken value may write a word outside its vocabulary
    /// (`broken_values` above zero): [`EventColumns::taking_misspellings`].
    ///
    /// [`EventColumns::taking_misspellings`]: crate::columns::EventColumns::taking_misspellings
    pub fn has_misspellings(&self) -> bool {
        self.config.faults.broken_values > 0.0
    }

    /// Whether an event may miss a value (`missing_values` above zero):
    /// its columns are then those of [`crate::schema::event_schema_of`]`(true)`.
    pub fn has_missing_values(&self) -> bool {
        self.config.faults.missing_values > 0.0
    }

    /// Whether the change feed (`subscription_changes`) has faults: its
    /// duplicates (the `duplicates` rate) or late changes.
    pub fn has_change_faults(&self) -> bool {
        self.config.faults.on_changes()
    }

    /// The fault of global row `row`, if it has one: a function of the seed,
    /// the rates and the row's timeline key.
    #[inline]
    pub fn fault_of(&self, row: u64) -> Option<Fault> {
        let day = self.calendar.day_of(row);
        let mut rng = KeyedRng::new(self.config.seed, Stream::Fault, day.key(row - day.first_row));
        let u = rng.unit();
        // Cumulative thresholds, summed as `extra_rows` sums them.
        let mut threshold = 0.0;
        for (kind, rate) in rates(&self.config.faults) {
            threshold += rate;
            if u < threshold {
                let after = 1 + rng.below(MAX_COPY_DISTANCE);
                return Some(Fault {
                    kind,
                    after,
                    bits: rng.next_u64(),
                });
            }
        }
        None
    }

    /// The rows a file of rows `rows` holds: each row once, plus the
    /// copies (duplicates and near-duplicates), less the late arrivals
    /// (written with their arrival day). One draw a row (the first of
    /// [`World::fault_of`]'s), a day at a time.
    pub fn written_rows(&self, rows: Range<u64>) -> u64 {
        let (copies, late) = thresholds(&self.config.faults);
        let mut count = rows.end - rows.start;
        if copies == 0.0 && late.is_empty() {
            return count;
        }
        let mut row = rows.start;
        while row < rows.end {
            let day = self.calendar.day_of(row);
            let end = rows.end.min(day.first_row + day.rows);
            for j in row - day.first_row..end - day.first_row {
                let u = KeyedRng::new(self.config.seed, Stream::Fault, day.key(j)).unit();
                if u < copies {
                    count += 1;
                } else if late.contains(&u) {
                    count -= 1;
                }
            }
            row = end;
        }
        count
    }

    /// How many days after its own day row `row` arrives, if it is a late arrival.
    #[inline]
    pub fn late_days_of(&self, row: u64) -> Option<u32> {
        self.fault_of(row)?.late_days(self.config.faults.late_max_days)
    }

    /// The days before the first (as many as an event may arrive late,
    /// from the epoch on), when days are sized by date: their late events
    /// arrive in this world's first days, as they do in a run that holds
    /// them. `None` when days share out `rows` (the first day is the
    /// timeline's first), the first day is the epoch, or no event arrives late.
    pub fn lookback(&self) -> Option<&World> {
        self.lookback
            .get_or_init(|| {
                let faults = &self.config.faults;
                if faults.late_arrivals == 0.0 || self.config.events_per_day.is_none() || self.is_lookback {
                    return None;
                }
                let epoch = self.config.epoch();
                let back = self
                    .config
                    .start
                    .checked_sub_days(chrono::Days::new(u64::from(faults.late_max_days)))?;
                let first = back.max(epoch);
                let days = u32::try_from((self.config.start - first).num_days())
                    .ok()
                    .filter(|&d| d > 0)?;
                let mut config = self.config.clone();
                config.epoch = Some(epoch);
                config.start = first;
                config.days = days;
                config.settle_rows();
                let mut world = World::new(config).ok()?;
                world.is_lookback = true;
                Some(Box::new(world))
            })
            .as_deref()
    }

    /// The late events of each day, by the day's index: those that arrive
    /// on it, in the order its late file holds them (by their own day, then
    /// row). They come from the days before it in this world, or before its
    /// first day ([`World::lookback`]). One draw a row.
    pub fn late_arrivals(&self) -> Vec<Vec<RowOrigin>> {
        let mut arriving = vec![Vec::new(); self.calendar.days().len()];
        if self.config.faults.late_arrivals == 0.0 {
            return arriving;
        }
        let offset = self.lookback().map_or(0, |lookback| lookback.calendar.days().len());
        let worlds = self.lookback().map(|w| (w, true)).into_iter().chain([(self, false)]);
        for (world, lookback) in worlds {
            // Day `index` of `world` is day `index - back` of this one.
            let back = if lookback { offset } else { 0 };
            world.each_late_row(|index, row, days_late| {
                if let Some(arrivals) = (index + days_late as usize)
                    .checked_sub(back)
                    .and_then(|a| arriving.get_mut(a))
                {
                    arrivals.push(RowOrigin { lookback, row });
                }
            });
        }
        arriving
    }

    /// Calls `found(day index, row, days late)` for each late row of this
    /// world, in row order: one draw a row, a day at a time.
    fn each_late_row(&self, mut found: impl FnMut(usize, u64, u32)) {
        let late = thresholds(&self.config.faults).1;
        if late.is_empty() {
            return;
        }
        for (index, day) in self.calendar.days().iter().enumerate() {
            for j in 0..day.rows {
                let u = KeyedRng::new(self.config.seed, Stream::Fault, day.key(j)).unit();
                if late.contains(&u) {
                    let row = day.first_row + j;
                    found(index, row, self.late_days_of(row).expect("a draw of a late arrival"));
                }
            }
        }
    }

    /// The plans of late rows `origins` (of [`World::late_arrivals`]),
    /// gathered as rows `first..` of their late file: each kept when this
    /// world planned its day ([`World::plan_rows_keeping_late`]), else
    /// planned now (rows of one day in order continue one sweep). The days
    /// before the first are planned once, all their late rows together.
    pub fn plan_late(&self, origins: &[RowOrigin], first: u64) -> PlannedRows {
        let mut out = PlannedRows {
            first_row: first,
            ..PlannedRows::default()
        };
        for &origin in origins {
            let world = if origin.lookback {
                let lookback = self.lookback().expect("a late row before the first day has a lookback");
                lookback.late_primed.get_or_init(|| lookback.prime_late());
                lookback
            } else {
                self
            };
            let kept = world
                .kept_late
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .remove(&origin.row);
            let planned = kept.unwrap_or_else(|| world.plan_rows(origin.row..origin.row + 1));
            out.gather(&planned, 0, origin);
        }
        out
    }

    /// In a lookback world: plans and keeps every late row that arrives
    /// after its last day, walking each day's sessions once.
    fn prime_late(&self) {
        let days = self.calendar.days().len();
        let mut rows = Vec::new();
        self.each_late_row(|index, row, days_late| {
            if index + days_late as usize >= days {
                rows.push(row);
            }
        });
        let mut kept = HashMap::with_capacity(rows.len());
        for row in rows {
            kept.insert(row, self.plan_rows(row..row + 1));
        }
        self.kept_late
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend(kept);
    }

    /// Keeps the plans of the late rows of `planned` whose arrival day is a
    /// day of this world, for [`World::plan_late`]: one draw a row.
    pub(crate) fn keep_late(&self, planned: &PlannedRows) {
        let late = thresholds(&self.config.faults).1;
        if late.is_empty() {
            return;
        }
        let last = self.calendar.days().len();
        let mut found = Vec::new();
        let mut i = 0;
        while i < planned.rows.len() {
            let row = planned.first_row + i as u64;
            let index = self.calendar.index_of(row);
            let day = &self.calendar.days()[index];
            let end = planned
                .rows
                .len()
                .min((day.first_row + day.rows - planned.first_row) as usize);
            for i in i..end {
                let row = planned.first_row + i as u64;
                let u = KeyedRng::new(self.config.seed, Stream::Fault, day.key(row - day.first_row)).unit();
                if !late.contains(&u) {
                    continue;
                }
                let days_late = self.late_days_of(row).expect("a draw of a late arrival") as usize;
                if index + days_late < last {
                    let mut plan = planned.rows[i];
                    plan.searches_from = 0;
                    let one = PlannedRows {
                        first_row: row,
                        rows: vec![plan],
                        searches: planned.searches_of(i).to_vec(),
                        origins: Vec::new(),
                    };
                    found.push((row, one));
                }
            }
            i = end;
        }
        if !found.is_empty() {
            self.kept_late
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .extend(found);
        }
    }

    /// Fills the rows `rows` (held by `planned`) and hands each written
    /// event to `emit` in the order written, with the record of its fault:
    /// every row once (an out-of-order or broken one changed), and the copy
    /// of a duplicated row `after` rows after it, or at the end of `rows`.
    /// With faults off, the events of the rows as they are.
    ///
    /// # Errors
    /// The first error of `emit`, which stops the range.
    pub fn fill_written<'w, E>(
        &'w self,
        planned: &PlannedRows,
        rows: Range<u64>,
        event: &mut Event<'w>,
        mut emit: impl FnMut(&Event<'w>, Option<&Injected>) -> Result<(), E>,
    ) -> Result<(), E> {
        if !self.has_faults() {
            for row in rows {
                self.fill_planned(planned, (row - planned.first_row) as usize, event);
                emit(event, None)?;
            }
            return Ok(());
        }
        if !planned.origins.is_empty() {
            return self.fill_late(planned, rows, event, emit);
        }
        let mut pending: Vec<Pending<'w>> = Vec::new();
        for row in rows {
            let fault = self.fault_of(row);
            if fault.is_some_and(|f| f.kind == FaultKind::LateArrival) {
                // Written with its arrival day's events.
                let ready = pending.partition_point(|p| p.due <= row);
                for p in pending.drain(..ready) {
                    emit(&p.event, Some(&p.injected))?;
                }
                continue;
            }
            self.fill_planned(planned, (row - planned.first_row) as usize, event);
            match fault {
                None => emit(event, None)?,
                Some(fault) if fault.kind.copies() => {
                    emit(event, None)?;
                    let mut copy = event.clone();
                    let injected = fault.apply(&mut copy);
                    let due = row + u64::from(fault.after);
                    // Kept in order of `due`, then of the original's row.
                    let at = pending.partition_point(|p| p.due <= due);
                    pending.insert(
                        at,
                        Pending {
                            due,
                            event: copy,
                            injected,
                        },
                    );
                }
                Some(fault) => {
                    let injected = fault.apply(event);
                    emit(event, Some(&injected))?;
                }
            }
            let ready = pending.partition_point(|p| p.due <= row);
            for p in pending.drain(..ready) {
                emit(&p.event, Some(&p.injected))?;
            }
        }
        for p in pending {
            emit(&p.event, Some(&p.injected))?;
        }
        Ok(())
    }

    /// [`World::fill_written`] for late rows gathered by [`World::plan_late`]:
    /// each as it is, with its record (its own day and the arrival day).
    fn fill_late<'w, E>(
        &'w self,
        planned: &PlannedRows,
        rows: Range<u64>,
        event: &mut Event<'w>,
        mut emit: impl FnMut(&Event<'w>, Option<&Injected>) -> Result<(), E>,
    ) -> Result<(), E> {
        for index in rows {
            let i = (index - planned.first_row) as usize;
            let origin = planned.origins[i];
            let world = if origin.lookback {
                self.lookback().expect("a late row before the first day has a lookback")
            } else {
                self
            };
            world.fill_planned(planned, i, event);
            let day = world.calendar.day_of(origin.row).date;
            let days_late = world.late_days_of(origin.row).expect("a gathered row arrives late");
            let arrival = day + chrono::Days::new(u64::from(days_late));
            let injected = Injected {
                kind: FaultKind::LateArrival,
                column: Some(EVENT_DATE),
                clean: Some(Value::Date(day)),
                written: Some(Value::Date(arrival)),
            };
            emit(event, Some(&injected))?;
        }
        Ok(())
    }
}

/// The ground truth's table name: a folder beside the events' (`_faults/`).
pub const FAULTS_TABLE: &str = "_faults";
/// The change feed's ground truth (normalized layout), a table in
/// [`FAULTS_TABLE`]'s folder.
pub const CHANGE_FAULTS_TABLE: &str = "_faults/subscription_changes";

/// The schema of the ground truth: a row per injected fault, naming the
/// written row it is in (`file`, relative to the dataset's folder, and
/// `file_row_number`, the row's 0-based position in it, as DuckDB's
/// `read_parquet(…, file_row_number = true)` counts), the changed column
/// (`column_name`, a dotted path) and its clean and written values as text.
/// A fault of the `subscription_changes` feed has no `event_id`.
pub fn faults_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
            Arc::new(Schema::new(vec![
                text("event_id", true),
                text("kind", false),
                text("column_name", true),
                text("file", false),
                Field::new("file_row_number", DataType::Int64, false),
                text("clean_value", true),
                text("written_value", true),
            ]))
        })
        .clone()
}

/// A text column of the ground truth: its values and which are null.
#[derive(Debug, Default)]
struct TextColumn {
    values: Utf8Column,
    valid: Vec<bool>,
}

impl TextColumn {
    /// Ends the value written so far (empty for a null).
    fn end(&mut self, valid: bool) {
        self.values.end();
        self.valid.push(valid);
    }

    /// Appends `value` whole.
    fn push(&mut self, value: &str) {
        self.values.push(value);
        self.valid.push(true);
    }

    fn finish(self) -> ArrayRef {
        let nulls = self.valid.contains(&false).then(|| NullBuffer::from(self.valid));
        self.values.finish(nulls)
    }
}

/// The ground truth of a range of written rows, built as its faults are
/// injected ([`World::fill_written`]), then made a batch of
/// [`faults_schema`].
#[derive(Debug, Default)]
pub struct GroundTruth {
    event_id: TextColumn,
    kind: TextColumn,
    column: TextColumn,
    file: TextColumn,
    row: Vec<i64>,
    clean: TextColumn,
    written: TextColumn,
}

impl GroundTruth {
    /// Records `injected`, a fault of `event`, written as row `row` of `file`.
    pub fn record(&mut self, event: &Event<'_>, injected: &Injected, file: &str, row: u64) {
        let _ = write!(self.event_id.values, "{}", event.event_id);
        self.event_id.end(true);
        self.kind.push(injected.kind.name());
        match injected.column {
            Some(column) => self.column.push(column),
            None => self.column.end(false),
        }
        self.file.push(file);
        self.row.push(row as i64);
        for (column, value) in [(&mut self.clean, injected.clean), (&mut self.written, injected.written)] {
            if let Some(value) = value {
                value.write_to(&mut column.values);
            }
            column.end(value.is_some());
        }
    }

    /// Records a fault of kind `kind` of the change feed (no event, no
    /// column), the row `row` of `file`.
    pub fn record_change(&mut self, kind: &str, file: &str, row: u64) {
        self.event_id.end(false);
        self.kind.push(kind);
        self.column.end(false);
        self.file.push(file);
        self.row.push(row as i64);
        self.clean.end(false);
        self.written.end(false);
    }

    /// Faults recorded.
    pub fn len(&self) -> usize {
        self.row.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.row.is_empty()
    }

    /// The records as a batch of [`faults_schema`].
    ///
    /// # Errors
    /// [`Error::Arrow`] if the arrays do not fit the schema (a bug).
    pub fn finish(self) -> Result<RecordBatch, Error> {
        let columns: Vec<ArrayRef> = vec![
            self.event_id.finish(),
            self.kind.finish(),
            self.column.finish(),
            self.file.finish(),
            Arc::new(Int64Array::from(self.row)),
            self.clean.finish(),
            self.written.finish(),
        ];
        Ok(RecordBatch::try_new(faults_schema(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn world(faults: FaultsConfig) -> World {
        World::new(Config {
            rows: 20_000,
            days: 2,
            faults,
            ..Config::default()
        })
        .unwrap()
    }

    #[test]
    fn a_misspelt_word_is_never_a_word_of_its_vocabulary() {
        use crate::vocab::device::DEVICE_TYPE;
        use crate::vocab::places::COUNTRY;
        for (vocabulary, misspelt) in [(&DEVICE_TYPE, &DEVICE_TYPE_MISSPELT), (&COUNTRY, &COUNTRY_MISSPELT)] {
            let (words, n) = (vocabulary.words(), vocabulary.words().len());
            assert_eq!(misspelt.words().len(), 3 * n);
            // The vocabulary first, so one dictionary holds both.
            assert_eq!(&misspelt.words()[..n], words);
            for (key, word) in words.iter().enumerate() {
                let (capitals, spaced) = (misspelt.words()[n + 2 * key], misspelt.words()[n + 2 * key + 1]);
                assert_eq!((capitals, spaced), (&*word.to_uppercase(), &*format!("{word} ")));
                assert!(!words.contains(&capitals) && !words.contains(&spaced), "{word}");
            }
        }
        assert!(DEVICE_TYPE_MISSPELT.words().contains(&"SMARTTV"));
        assert!(DEVICE_TYPE_MISSPELT.words().contains(&"mobile "));
    }

    #[test]
    fn each_kind_comes_at_its_rate() {
        let world = world(FaultsConfig {
            duplicates: 0.05,
            near_duplicates: 0.02,
            out_of_order: 0.1,
            broken_values: 0.01,
            late_arrivals: 0.03,
            missing_values: 0.02,
            ..FaultsConfig::NONE
        });
        let mut counts = [0u64; 6];
        for row in 0..world.rows() {
            if let Some(f) = world.fault_of(row) {
                counts[FaultKind::ALL.iter().position(|&k| k == f.kind).unwrap()] += 1;
            }
        }
        let n = world.rows() as f64;
        for (count, rate) in counts.iter().zip([0.05, 0.02, 0.1, 0.01, 0.03, 0.02]) {
            let expected = n * rate;
            let sd = (n * rate * (1.0 - rate)).sqrt();
            assert!(
                (*count as f64 - expected).abs() < 4.0 * sd,
                "{counts:?}: {count} against {expected}"
            );
        }
    }

    #[test]
    fn written_rows_are_the_rows_plus_their_copies_and_only_faulty_rows_change() {
        let faulty = world(FaultsConfig::TYPICAL);
        let clean = world(FaultsConfig::NONE);
        let rows = 3_000..9_000;
        let planned = faulty.plan_rows(rows.clone());
        let clean_planned = clean.plan_rows(rows.clone());
        let mut written = Vec::new();
        let mut event = Event::default();
        faulty
            .fill_written(&planned, rows.clone(), &mut event, |e, injected| {
                written.push((e.clone(), injected.copied()));
                Ok::<_, ()>(())
            })
            .unwrap();
        assert_eq!(written.len() as u64, faulty.written_rows(rows.clone()));
        let mut originals = 0;
        for (i, row) in rows.clone().enumerate() {
            let mut clean_event = Event::default();
            clean.fill_planned(&clean_planned, i, &mut clean_event);
            let fault = faulty.fault_of(row);
            if fault.is_some_and(|f| f.kind == FaultKind::LateArrival) {
                // Written with its arrival day's rows, not here.
                assert!(!written.iter().any(|(e, _)| e.event_id == clean_event.event_id));
                continue;
            }
            let first = written
                .iter()
                .position(|(e, _)| e.event_id == clean_event.event_id)
                .unwrap();
            let (e, injected) = &written[first];
            match fault.map(|f| f.kind) {
                Some(FaultKind::OutOfOrder | FaultKind::BrokenValue) => {
                    assert_ne!(e, &clean_event);
                    let injected = injected.unwrap();
                    assert!(injected.clean != injected.written);
                }
                // The event whole; its columns write the null.
                Some(FaultKind::MissingValue) => {
                    assert_eq!(e, &clean_event);
                    let injected = injected.unwrap();
                    assert!(injected.missing().is_some() && injected.clean.is_some() && injected.written.is_none());
                }
                _ => {
                    assert_eq!(e, &clean_event, "row {row}");
                    assert!(injected.is_none());
                    originals += 1;
                }
            }
            let copies: Vec<_> = written
                .iter()
                .filter(|(e, _)| e.event_id == clean_event.event_id)
                .collect();
            let expected = if fault.is_some_and(|f| f.kind.copies()) { 2 } else { 1 };
            assert_eq!(copies.len(), expected, "row {row}");
            if fault.is_some_and(|f| f.kind == FaultKind::Duplicate) {
                assert_eq!(copies[1].0, clean_event);
                assert_eq!(copies[1].1.unwrap().kind, FaultKind::Duplicate);
            }
        }
        assert!(originals > 0);
    }

    #[test]
    fn written_rows_count_the_copies_less_the_late_rows_across_days() {
        let world = world(FaultsConfig::TYPICAL);
        let rows = 7_000..13_000;
        let count = |kind: fn(FaultKind) -> bool| {
            rows.clone()
                .filter(|&r| world.fault_of(r).is_some_and(|f| kind(f.kind)))
                .count() as u64
        };
        let copies = count(FaultKind::copies);
        let late = count(|k| k == FaultKind::LateArrival);
        assert!(world.calendar().day_of(rows.start).date != world.calendar().day_of(rows.end).date);
        assert!(copies > 0 && late > 0);
        assert_eq!(world.written_rows(rows.clone()), 6_000 + copies - late);
    }

    #[test]
    fn a_late_file_holds_the_late_events_of_its_day_as_their_own_day_planned_them() {
        let world = World::new(Config {
            rows: 30_000,
            days: 4,
            faults: FaultsConfig {
                late_arrivals: 0.02,
                late_max_days: 2,
                ..FaultsConfig::NONE
            },
            ..Config::default()
        })
        .unwrap();
        let arriving = world.late_arrivals();
        // Nothing arrives on the first day of a timeline sized by rows.
        assert!(arriving[0].is_empty());
        for (index, origins) in arriving.iter().enumerate() {
            let mut last = None;
            for origin in origins {
                assert!(!origin.lookback);
                let own = world.calendar().index_of(origin.row);
                let days_late = world.late_days_of(origin.row).unwrap() as usize;
                assert_eq!(own + days_late, index);
                assert!(days_late <= 2);
                // By their own day, then row.
                assert!(last < Some((own, origin.row)));
                last = Some((own, origin.row));
            }
        }
        let origins = &arriving[3];
        assert!(origins.len() > 100);
        let planned = world.plan_late(origins, 0);
        let mut written = Vec::new();
        let mut event = Event::default();
        world
            .fill_written(&planned, 0..origins.len() as u64, &mut event, |e, injected| {
                written.push((e.clone(), *injected.unwrap()));
                Ok::<_, ()>(())
            })
            .unwrap();
        for ((e, injected), origin) in written.iter().zip(origins) {
            let mut own = Event::default();
            world.fill_planned(&world.plan_rows(origin.row..origin.row + 1), 0, &mut own);
            assert_eq!(e, &own);
            assert_eq!(injected.kind, FaultKind::LateArrival);
            assert_eq!(injected.written, Some(Value::Date(world.calendar().days()[3].date)));
        }
    }

    #[test]
    fn no_faults_writes_the_clean_events() {
        let world = world(FaultsConfig::NONE);
        let rows = 0..2_000;
        let planned = world.plan_rows(rows.clone());
        let mut event = Event::default();
        let mut i = 0;
        world
            .fill_written(&planned, rows, &mut event, |e, injected| {
                assert!(injected.is_none());
                let mut expected = Event::default();
                world.fill_planned(&planned, i, &mut expected);
                assert_eq!(e, &expected);
                i += 1;
                Ok::<_, ()>(())
            })
            .unwrap();
        assert_eq!(i, 2_000);
    }
}
