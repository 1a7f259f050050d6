//! The Arrow stream behind `record_batches`: a producer thread generates a
//! row range's batches in parallel (rayon, a chunk of batches at a time) a
//! bounded number ahead of the consumer, and the reader hands them out in
//! row order. Optionally each batch carries the `event_date` column, the
//! UTC day of its row, which the command line writes as the Hive folder.

use std::ops::Range;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, Date32Array, RecordBatch, RecordBatchReader};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use chrono::NaiveDate;
use customer_events::schema::PARTITION_COLUMN;
use customer_events::sweep::PlannedRows;
use customer_events::{Config, Error, World};
use rayon::prelude::*;

/// The schema of the batches: the event schema, plus a non-null
/// `event_date` (`DATE`) last when `event_date` is set.
pub fn batch_schema(event_date: bool, missing_values: bool) -> SchemaRef {
    let events = customer_events::schema::event_schema_of(missing_values);
    if !event_date {
        return events;
    }
    let mut fields: Vec<Arc<Field>> = events.fields().iter().cloned().collect();
    fields.push(Arc::new(Field::new(PARTITION_COLUMN, DataType::Date32, false)));
    Arc::new(Schema::new_with_metadata(fields, events.metadata().clone()))
}

/// The world of `config`, shared with the previous call when the config is
/// the same (a Spark worker reads many partitions of one dataset).
pub fn world(config: Config) -> Result<Arc<World>, Error> {
    static LAST: Mutex<Option<Arc<World>>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(world) = last.as_ref().filter(|w| *w.config() == config) {
        return Ok(world.clone());
    }
    let world = Arc::new(World::new(config)?);
    *last = Some(world.clone());
    Ok(world)
}

/// Rows `rows` of `world` as one batch of [`batch_schema`].
fn batch(
    world: &World,
    schema: &SchemaRef,
    rows: Range<u64>,
    planned: &PlannedRows,
    event_date: bool,
) -> Result<RecordBatch, ArrowError> {
    let events = world
        .record_batch_planned(planned)
        .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
    if !event_date {
        return Ok(events);
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
    let mut dates = Vec::with_capacity((rows.end - rows.start) as usize);
    for day in world.calendar().days() {
        let overlap = day.first_row.max(rows.start)..(day.first_row + day.rows).min(rows.end);
        if overlap.start < overlap.end {
            let days = (day.date - epoch).num_days() as i32;
            dates.resize(dates.len() + (overlap.end - overlap.start) as usize, days);
        }
    }
    let mut columns: Vec<ArrayRef> = events.columns().to_vec();
    columns.push(Arc::new(Date32Array::from(dates)));
    RecordBatch::try_new(schema.clone(), columns)
}

/// An ordered stream of the batches of a row range, generated ahead by a producer thread.
pub struct BatchReader {
    schema: SchemaRef,
    batches: mpsc::Receiver<Result<RecordBatch, ArrowError>>,
}

impl BatchReader {
    /// Starts generating `rows` of `world` in batches of `batch_rows` on
    /// `threads` workers (`None`: rayon's global pool, one per core).
    ///
    /// # Errors
    /// When the worker pool cannot be built.
    pub fn start(
        world: Arc<World>,
        rows: Range<u64>,
        batch_rows: u64,
        event_date: bool,
        threads: Option<usize>,
    ) -> Result<Self, rayon::ThreadPoolBuildError> {
        let schema = batch_schema(event_date, false);
        let pool = match threads {
            Some(n) => Some(rayon::ThreadPoolBuilder::new().num_threads(n).build()?),
            None => None,
        };
        let workers = pool
            .as_ref()
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
        let ranges: Vec<Range<u64>> = (rows.start..rows.end)
            .step_by(batch_rows as usize)
            .map(|first| first..(first + batch_rows).min(rows.end))
            .collect();
        // A chunk in the channel while the next is generated: at most three
        // chunks of batches are alive at a time.
        let (sender, batches) = mpsc::sync_channel(workers);
        let producer_schema = schema.clone();
        std::thread::spawn(move || {
            let produce = || {
                for chunk in ranges.chunks(workers) {
                    // A day's rows are planned in order (one walk of its
                    // sessions), then filled in parallel.
                    let plans: Vec<PlannedRows> = chunk.iter().map(|r| world.plan_rows(r.clone())).collect();
                    let made: Vec<_> = chunk
                        .par_iter()
                        .zip(plans.par_iter())
                        .map(|(r, planned)| batch(&world, &producer_schema, r.clone(), planned, event_date))
                        .collect();
                    for b in made {
                        // A closed channel: the reader was dropped.
                        if sender.send(b).is_err() {
                            return;
                        }
                    }
                }
            };
            match pool {
                Some(pool) => pool.install(produce),
                None => produce(),
            }
        });
        Ok(Self { schema, batches })
    }
}

impl Iterator for BatchReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.batches.recv().ok()
    }
}

impl RecordBatchReader for BatchReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
