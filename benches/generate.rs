//! Criterion benchmarks of the hot path: building Arrow batches, encoding
//! them to Parquet, and a whole row group (generate + encode), each with a
//! throughput so results read as events per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use customer_events::engine::SUB_BATCH_ROWS;
use customer_events::sink::parquet::{Compression, RowGroupEncoder};
use customer_events::{Config, World};
use parquet::arrow::ArrowWriter;

fn world() -> World {
    World::new(Config {
        rows: 10_000_000,
        ..Config::default()
    })
    .expect("valid config")
}

fn batches(c: &mut Criterion) {
    let world = world();
    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Elements(SUB_BATCH_ROWS));
    group.bench_function(format!("record_batch_{SUB_BATCH_ROWS}"), |b| {
        let mut start = 0;
        b.iter(|| {
            let batch = world.record_batch(start..start + SUB_BATCH_ROWS).unwrap();
            start = (start + SUB_BATCH_ROWS) % (world.rows() - SUB_BATCH_ROWS);
            batch
        })
    });
    group.finish();
}

/// Encoding one sub-batch as a row group: through [`RowGroupEncoder`] per
/// codec (string columns by our chunk writer with snappy or none, by the
/// parquet crate's writer with zstd), and through the crate's `ArrowWriter`
/// alone with the same properties, as the reference.
fn encode(c: &mut Criterion) {
    let world = world();
    let batch = world.record_batch(0..SUB_BATCH_ROWS).unwrap();
    let bytes: usize = batch.get_array_memory_size();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Bytes(bytes as u64));
    for compression in [Compression::Snappy, Compression::Zstd(1), Compression::None] {
        let encoder = RowGroupEncoder::new(batch.schema(), compression, false).unwrap();
        group.bench_function(format!("row_group_encoder_{SUB_BATCH_ROWS}_{compression}"), |b| {
            b.iter(|| {
                let mut row_group = encoder.start().unwrap();
                encoder.add(&mut row_group, &batch, false).unwrap();
                encoder.finish(row_group, false).unwrap().bytes()
            })
        });
    }
    let props = customer_events::sink::parquet::writer_properties(&batch.schema(), Compression::Snappy, false);
    group.bench_function(format!("arrow_writer_{SUB_BATCH_ROWS}_snappy"), |b| {
        b.iter(|| {
            let mut writer =
                ArrowWriter::try_new(Vec::with_capacity(4 << 20), batch.schema(), Some((*props).clone())).unwrap();
            writer.write(&batch).unwrap();
            writer.into_inner().unwrap().len()
        })
    });
    group.finish();
}

fn row_group(c: &mut Criterion) {
    let world = world();
    let encoder = RowGroupEncoder::new(customer_events::event_schema(), Compression::Snappy, false).unwrap();
    let rows = 4 * SUB_BATCH_ROWS;
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Elements(rows));
    group.sample_size(20);
    group.bench_function(format!("row_group_{rows}_snappy"), |b| {
        b.iter(|| {
            let mut row_group = encoder.start().unwrap();
            for start in (0..rows).step_by(SUB_BATCH_ROWS as usize) {
                let batch = world.record_batch(start..start + SUB_BATCH_ROWS).unwrap();
                encoder.add(&mut row_group, &batch, false).unwrap();
            }
            encoder.finish(row_group, false).unwrap().bytes()
        })
    });
    group.finish();
}

criterion_group!(benches, batches, encode, row_group);
criterion_main!(benches);
