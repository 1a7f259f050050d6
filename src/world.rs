//! The [`World`]: everything fixed about a dataset before its first row (the
//! catalog, the user universe, the calendar and the distributions), built
//! once from a [`Config`] and then only read, by any number of workers.

use crate::calendar::Calendar;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::error::Error;
use crate::rng::{Weighted, Zipf};
use crate::users::Population;
use crate::vocab::device::NETWORK_WEIGHTS;

/// A dataset's fixed world. Row `i`'s event is a pure function of the world
/// and `i` (see [`World::fill_event`](crate::World::fill_event)).
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
        let calendar = Calendar::build(config.start, config.days, config.rows, population.zones());
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
}
