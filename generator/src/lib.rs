//! The generator of `customer-events`: the world of a dataset (config,
//! keyed randomness, vocabularies, catalog, users, calendar, sessions,
//! subscriptions, taste) and its rows, as [`Event`] values or Arrow record
//! batches of [`event_schema`]. It does no I/O: the formats, destinations,
//! manifests and tables are the `customer-events` library's, above it.
//!
//! Every row is a pure function of the [`Config`] (seed included) and its
//! row index, so any slice can be generated anywhere and the output is
//! byte-identical whatever the thread count.
//!
//! ```
//! use customer_events_generator::{Config, World};
//!
//! let world = World::new(Config { rows: 1000, ..Config::default() }).unwrap();
//! let event = world.event(7);
//! assert_eq!(event, world.event(7));
//! let batch = world.record_batch(0..100).unwrap();
//! assert_eq!(batch.num_rows(), 100);
//! ```

pub mod calendar;
pub mod cancel;
pub mod catalog;
pub mod columns;
pub mod config;
pub mod error;
mod event;
pub mod faults;
pub mod lifecycle;
pub mod model;
pub mod rng;
pub mod schema;
pub mod session;
pub mod sweep;
pub mod taste;
pub mod users;
pub mod vocab;
pub mod world;

pub use cancel::Cancel;
pub use config::Config;
pub use error::Error;
pub use model::Event;
pub use schema::event_schema;
pub use world::World;
