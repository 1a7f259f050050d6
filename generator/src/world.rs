//! The [`World`]: everything fixed about a dataset before its first row (the
//! catalog, the user universe, the calendar and the distributions), built
//! once from a [`Config`] and then only read, by any number of workers; and
//! the ways to read rows out of it: one event ([`World::event`],
//! [`World::fill_event`], defined beside the generation of an event in
//! `event`, which decides its values) or an Arrow batch of a row range
//! ([`World::record_batch`]).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::RecordBatch;

use crate::calendar::Calendar;
use crate::cancel::Cancel;
use crate::catalog::Catalog;
use crate::columns::EventColumns;
use crate::config::{Config, MAX_ROWS_PER_DAY};
use crate::error::Error;
use crate::lifecycle::Lifecycle;
use crate::model::Event;
use crate::rng::{Weighted, Zipf};
use crate::session::{Ground, SessionModel, Walk};
use crate::sweep::{Crossing, DaySweep, OVERRUN_MICROS, PlannedRows, SweepWorld};
use crate::taste::Taste;
use crate::users::Population;
use crate::vocab::device::NETWORK_WEIGHTS;

/// A dataset's fixed world. Row `i`'s event is a pure function of the world
/// and `i` (see [`World::fill_event`]); more exactly, of the seed, the world
/// options, row `i`'s day, that day's rows and `i`'s index within the day.
#[derive(Debug)]
pub struct World {
    pub(crate) config: Config,
    pub(crate) catalog: Catalog,
    pub(crate) popularity: Zipf,
    pub(crate) population: Population,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) calendar: Calendar,
    pub(crate) networks: Vec<Weighted>,
    pub(crate) sessions: SessionModel,
    pub(crate) taste: Taste,
    /// The country of each zone of the population.
    pub(crate) zone_countries: Vec<u8>,
    /// Expected events of a session (a first guess of a day's sessions).
    mean_session_events: f64,
    /// The days being read, each at its last row read.
    sweeps: Mutex<Vec<DaySweep>>,
    /// The days before the first, built when late events arrive from them
    /// ([`World::lookback`]).
    pub(crate) lookback: OnceLock<Option<Box<World>>>,
    /// Whether this world is another's days before its first.
    pub(crate) is_lookback: bool,
    /// The plans of late rows planned with their day, by row, until their
    /// late file is planned ([`World::plan_late`]).
    pub(crate) kept_late: Mutex<HashMap<u64, PlannedRows>>,
    /// In a lookback world: set once its late rows are planned and kept.
    pub(crate) late_primed: OnceLock<()>,
}

/// Days whose sweeps a world keeps: the one being read and the one before.
const SWEEPS_KEPT: usize = 2;
/// Sessions simulated to estimate a session's events.
const MEAN_SAMPLE: u64 = 8192;

impl World {
    /// Builds the world of `config`.
    ///
    /// # Errors
    /// [`Error::Config`] when the config is impossible.
    pub fn new(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let catalog = Catalog::build(
            config.seed,
            config.catalog_size,
            crate::model::Days::from_date(config.epoch()).0,
        );
        let population = Population::build(&config);
        let calendar = Calendar::build(&config, population.zones());
        if let Some(day) = calendar.days().iter().find(|d| d.rows > MAX_ROWS_PER_DAY) {
            return Err(Error::Config {
                at: None,
                key: "rows".into(),
                message: format!(
                    "{} events on {} is above the most one day holds, {MAX_ROWS_PER_DAY}; pass more --days",
                    day.rows, day.date
                ),
            });
        }
        let zone_countries: Vec<u8> = population.zones().iter().map(Taste::country_of).collect();
        let mut world = World {
            popularity: Zipf::new(config.catalog_size, config.content_skew),
            sessions: SessionModel::new(&config),
            taste: Taste::new(
                config.seed,
                &catalog,
                &Zipf::new(config.catalog_size, config.content_skew),
                &zone_countries,
            ),
            lifecycle: Lifecycle::new(&config),
            zone_countries,
            mean_session_events: 1.0,
            sweeps: Mutex::new(Vec::new()),
            lookback: OnceLock::new(),
            is_lookback: false,
            kept_late: Mutex::new(HashMap::new()),
            late_primed: OnceLock::new(),
            networks: NETWORK_WEIGHTS
                .iter()
                .map(|w| Weighted::new(*w).expect("network weights"))
                .collect(),
            catalog,
            population,
            calendar,
            config,
        };
        world.mean_session_events = world.estimate_session_events();
        Ok(world)
    }

    /// The mean events of a session, from [`MEAN_SAMPLE`] sessions keyed
    /// outside every day (keys below 2^34 are day 0, before 0001-01-01),
    /// starting evenly over the epoch's day and going on past its midnight
    /// as a day's do (a first guess of a day's sessions, which each day's
    /// plan then sizes).
    fn estimate_session_events(&self) -> f64 {
        const DAY: i64 = 86_400_000_000;
        let ground = self.ground();
        // On the epoch's day: a day of the catalog's time (titles are
        // released by then), the same in every window.
        let base = crate::model::Days::from_date(self.config.epoch()).0 as i64 * DAY;
        let total: u64 = (0..MEAN_SAMPLE)
            .map(|key| {
                let start = base + DAY * key as i64 / MEAN_SAMPLE as i64;
                let country = self.zone_countries[key as usize % self.zone_countries.len()];
                let end = base + DAY + OVERRUN_MICROS;
                let mut walk = Walk::start(ground, Walk::stream(self.config.seed, key), start, end, country);
                while walk.advance(ground, false, end) {}
                walk.index as u64 + 1
            })
            .sum();
        total as f64 / MEAN_SAMPLE as f64
    }

    /// Whether day `index` of the calendar has a day before whose sessions
    /// bring it events past midnight: every day when days are sized by
    /// date, all but the first of a run sized by `rows`.
    fn arrivals_expected(&self, index: usize) -> bool {
        self.config.events_per_day.is_some() || index > 0
    }

    /// What a session's walk reads.
    pub(crate) fn ground(&self) -> Ground<'_> {
        Ground {
            model: &self.sessions,
            catalog: &self.catalog,
            popularity: &self.popularity,
            taste: &self.taste,
            zone_countries: &self.zone_countries,
        }
    }

    /// The plans of global rows `rows` (their sessions' steps and users), in
    /// row order. Rows read in order continue one sweep per day; rows
    /// behind a day's sweep start it over.
    ///
    /// # Panics
    /// If the range reaches past [`World::rows`].
    pub fn plan_rows(&self, rows: Range<u64>) -> PlannedRows {
        self.plan_rows_until(rows, &Cancel::new())
            .expect("planning stops only when cancelled")
    }

    /// As [`World::plan_rows`], or `None` when `cancel` stops it (planning
    /// a day walks all of its sessions once: seconds for a day of a
    /// hundred million rows).
    ///
    /// # Panics
    /// If the range reaches past [`World::rows`].
    pub fn plan_rows_until(&self, rows: Range<u64>, cancel: &Cancel) -> Option<PlannedRows> {
        assert!(
            rows.end <= self.config.rows,
            "rows {rows:?} reach past the dataset's {} rows",
            self.config.rows
        );
        let mut out = PlannedRows {
            first_row: rows.start,
            rows: Vec::with_capacity((rows.end - rows.start) as usize),
            searches: Vec::new(),
            origins: Vec::new(),
        };
        let world = SweepWorld {
            ground: self.ground(),
            population: &self.population,
            lifecycle: &self.lifecycle,
            seed: self.config.seed,
            history_max: self.config.search_history.max,
        };
        let mut at = rows.start;
        while at < rows.end {
            let index = self.calendar.index_of(at);
            let day = &self.calendar.days()[index];
            let until = rows.end.min(day.first_row + day.rows);
            let within = at - day.first_row;
            let mut sweeps = self.sweeps.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let found = sweeps.iter().position(|s| s.day == index);
            let at_sweep = match found {
                Some(i) => i,
                None => {
                    let mean = self.mean_session_events;
                    // The day before's sessions past its midnight: kept
                    // with its sweep when it was read, else walked now.
                    let before = self.calendar.day_before(index);
                    let arriving = match sweeps.iter().find(|s| s.day + 1 == index) {
                        Some(sweep) if before.is_some() => Some(Arc::clone(sweep.crossing())),
                        _ => match before {
                            Some(before) => {
                                let arriving = index == 0 || self.arrivals_expected(index - 1);
                                Some(Arc::new(Crossing::of(world, before, mean, arriving, cancel)?))
                            }
                            None => None,
                        },
                    };
                    let crossing = Crossing::of(world, day, mean, self.arrivals_expected(index), cancel)?;
                    let before = before.zip(arriving.as_deref());
                    let sweep = DaySweep::new(world, day, index, crossing, before, cancel)?;
                    if sweeps.len() >= SWEEPS_KEPT {
                        sweeps.remove(0);
                    }
                    sweeps.push(sweep);
                    sweeps.len() - 1
                }
            };
            let sweep = &mut sweeps[at_sweep];
            if sweep.emitted > within {
                sweep.rewind();
            }
            let behind = within - sweep.emitted;
            if !sweep.emit(world, day, behind, None, cancel)
                || !sweep.emit(world, day, until - at, Some(&mut out), cancel)
            {
                // Cut short: the sweep is somewhere in the day; start it over next time.
                sweep.rewind();
                return None;
            }
            at = until;
        }
        Some(out)
    }

    /// As [`World::plan_rows_until`], keeping the plans of the late rows
    /// among `rows` for their late files ([`World::plan_late`]): how a run
    /// that writes the late files plans the days.
    pub fn plan_rows_keeping_late(&self, rows: Range<u64>, cancel: &Cancel) -> Option<PlannedRows> {
        let planned = self.plan_rows_until(rows, cancel)?;
        self.keep_late(&planned);
        Some(planned)
    }

    /// The config the world was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of events in the dataset.
    pub fn rows(&self) -> u64 {
        self.config.rows
    }

    /// The content catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The user universe.
    pub fn population(&self) -> &Population {
        &self.population
    }

    /// How users' subscriptions change over time.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// The days and their row ranges.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The events of global rows `rows` as one Arrow batch of
    /// [`event_schema`](crate::event_schema). Reading a day's rows in order
    /// continues its sweep; rows behind it start the day over.
    ///
    /// # Errors
    /// [`Error::Arrow`] if the arrays do not fit the schema (a bug).
    ///
    /// # Panics
    /// If the range reaches past [`World::rows`].
    pub fn record_batch(&self, rows: Range<u64>) -> Result<RecordBatch, Error> {
        self.record_batch_planned(&self.plan_rows(rows))
    }

    /// The events of `planned` (from [`World::plan_rows`]) as one Arrow
    /// batch. Planning walks a day's sessions in row order and filling is
    /// free of order: plan ranges in order, then fill them on any threads.
    ///
    /// # Errors
    /// [`Error::Arrow`] if the arrays do not fit the schema (a bug).
    pub fn record_batch_planned(&self, planned: &PlannedRows) -> Result<RecordBatch, Error> {
        let mut columns = EventColumns::with_capacity(planned.rows.len());
        let mut event = Event::default();
        for i in 0..planned.rows.len() {
            self.fill_planned(planned, i, &mut event);
            columns.push(&event);
        }
        columns.finish()
    }
}
