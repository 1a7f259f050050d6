//! The [`World`]: everything fixed about a dataset before its first row (the
//! catalog, the user universe, the calendar and the distributions), built
//! once from a [`Config`] and then only read, by any number of workers; and
//! the ways to read rows out of it: one event ([`World::event`],
//! [`World::fill_event`], defined beside the generation of an event in
//! `event`, which decides its values) or an Arrow batch of a row range
//! ([`World::record_batch`]).

use std::ops::Range;

use arrow::array::RecordBatch;

use crate::calendar::Calendar;
use crate::catalog::Catalog;
use crate::columns::EventColumns;
use crate::config::{Config, MAX_ROWS_PER_DAY};
use crate::error::Error;
use crate::model::Event;
use crate::rng::{Weighted, Zipf};
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
    pub(crate) calendar: Calendar,
    pub(crate) event_types: Weighted,
    pub(crate) networks: Vec<Weighted>,
}

impl World {
    /// Builds the world of `config`.
    ///
    /// # Errors
    /// [`Error::Config`] when the config is impossible.
    pub fn new(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let catalog = Catalog::build(config.seed, config.catalog_size);
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
        let mix = &config.event_mix;
        Ok(World {
            popularity: Zipf::new(config.catalog_size, config.content_skew),
            event_types: Weighted::new([mix.content_play, mix.search, mix.browse]).expect("validated event mix"),
            networks: NETWORK_WEIGHTS
                .iter()
                .map(|w| Weighted::new(*w).expect("network weights"))
                .collect(),
            catalog,
            population,
            calendar,
            config,
        })
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

    /// The days and their row ranges.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The events of global rows `rows` as one Arrow batch of
    /// [`event_schema`](crate::event_schema).
    ///
    /// # Errors
    /// [`Error::Arrow`] if the arrays do not fit the schema (a bug).
    ///
    /// # Panics
    /// If the range reaches past [`World::rows`].
    pub fn record_batch(&self, rows: Range<u64>) -> Result<RecordBatch, Error> {
        let mut columns = EventColumns::with_capacity((rows.end - rows.start) as usize);
        let mut event = Event::default();
        for row in rows {
            self.fill_event(row, &mut event);
            columns.push(&event);
        }
        columns.finish()
    }
}
