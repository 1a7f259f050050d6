//! One event for (seed, index), as JSON: the library without the CLI.
//!
//! `cargo run --example single_event`

use customer_events::{Config, World};

fn main() {
    // The world (catalog, users, calendar) is built once; events are then cheap.
    let world = World::new(Config {
        seed: 7,
        rows: 1_000,
        ..Config::default()
    })
    .expect("valid config");
    let event = world.event(42);
    println!("{}", serde_json::to_string_pretty(&event).expect("events serialize"));
    // The same (seed, index) always gives the same event.
    assert_eq!(event, world.event(42));
}
