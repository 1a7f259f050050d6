//! Arrow RecordBatches of a row range, without the CLI: e.g. to feed
//! DataFusion, Polars or your own writer.
//!
//! `cargo run --example record_batches`

use customer_events::{Config, World};

fn main() -> Result<(), customer_events::Error> {
    let world = World::new(Config {
        rows: 100_000,
        ..Config::default()
    })?;
    // Any slice can be built on its own, in any order, on any machine.
    for start in (0..world.rows()).step_by(25_000) {
        let batch = world.record_batch(start..start + 25_000)?;
        println!(
            "rows {start}..{}: {} columns, {} rows",
            start + 25_000,
            batch.num_columns(),
            batch.num_rows()
        );
    }
    println!("{}", customer_events::event_schema());
    Ok(())
}
