//! `customer-events` writes large, realistic, synthetic datasets of
//! media-streaming customer events: nested rows (device, location, content,
//! subscription, playback, actions, recommendations, searches) in a small,
//! coherent world of users and titles, as Hive-partitioned Parquet.
//!
//! Every row is a pure function of the [`Config`] (seed included) and its
//! row index, so any slice can be generated anywhere and the output is
//! byte-identical whatever the thread count.
//!
//! ```
//! use customer_events::{Config, World};
//!
//! let world = World::new(Config { rows: 1000, ..Config::default() }).unwrap();
//! let event = world.event(7);
//! assert_eq!(event, world.event(7));
//! let batch = world.record_batch(0..100).unwrap();
//! assert_eq!(batch.num_rows(), 100);
//! ```

pub mod engine;
pub mod error;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod normalize;
pub mod options;
pub mod resume;
pub mod schema_formats;
pub mod sink;
pub mod stream;
pub mod table;
pub mod verify;

pub use customer_events_generator::{
    calendar, cancel, catalog, columns, config, faults, lifecycle, model, rng, schema, session, sweep, taste, users,
    vocab, world,
};

pub use cancel::Cancel;
pub use config::Config;
pub use engine::{OutputOptions, Summary, generate};
pub use error::Error;
pub use model::Event;
pub use schema::event_schema;
pub use sink::PartitionBy;
pub use sink::parquet::Compression;
pub use world::World;

/// The event at row `index` of the default dataset with `seed` (the
/// equivalent of the original module's `generate_consumer_event_data()`,
/// but reproducible). Builds a default world each call: for many events,
/// build a [`World`] once and call [`World::event`].
///
/// # Panics
/// If `index` is not below the default row count.
pub fn event_json(seed: u64, index: u64) -> serde_json::Value {
    let world = World::new(Config {
        seed,
        ..Config::default()
    })
    .expect("the default config is valid");
    serde_json::to_value(world.event(index)).expect("events serialize")
}
