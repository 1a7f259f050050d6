//! The batch engine: runs a dataset's file plan on a rayon pool.
//!
//! Row groups are the unit of work. Workers claim them in row order and
//! generate and encode them in parallel, each at most a window (two row
//! groups per thread) ahead of the writer thread, which appends them to their
//! files in row order. No worker waits for another, and memory is bounded by
//! the window, never by the row count.
//!
//! The engine is generic over the [`FileFormat`] of the run's tables: a
//! worker hands a format the rows of a row group (as its [`Input`] asks) and
//! gets an encoded group back; the writer hands it the groups in order and
//! the destination of each file. [`generate`] picks the format of
//! `--format`; [`generate_with`] takes any; [`run`] and [`run_with`] also
//! tell whether the run committed the dataset (a part may not).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;

use crate::cancel::Cancel;
use crate::columns::{EventColumns, Strings, event_cells};
use crate::config::Config;
use crate::error::Error;
use crate::faults::{GroundTruth, Injected, MALFORMED_METADATA, faults_schema};
use crate::model::Event;
use crate::normalize::{
    USER_TABLES, change_rows, content_batch, content_schema, event_table_schemas_of, split, subscription_changes_batch,
    subscription_changes_schema, subscriptions_batch, subscriptions_schema, users_batch, users_schema,
};
use crate::schema::event_schema_of;
use crate::sink::destination::{Destination, destination};
use crate::sink::format::{Batches, Events, FaultSite, FileFormat, Input, KeyedBatches, KnownFormat, TableSpec};
use crate::sink::ipc::IpcFormat;
use crate::sink::journal::{self, Entry, Journal};
use crate::sink::ndjson::{NdjsonBatches, NdjsonEvents};
use crate::sink::object::{self, ObjectOutput};
use crate::sink::parquet::{Compression, ParquetFormat};
use crate::sink::parts::{self, PartOf, Place};
use crate::sink::{
    FileSlot, Format, Layout, Manifest, PartitionBy, Source, WrittenFile, built_in_formats, crc32_text, finish_folder,
    lock_folder, markers_of, plan_files, prepare_folder, remove_staged,
};
use crate::sweep::PlannedRows;
use crate::world::World;

/// DuckDB's own row-group size: a good default for both DuckDB and Spark.
pub const DEFAULT_ROW_GROUP_ROWS: u64 = 122_880;
/// About 250 MB per file with snappy.
pub const DEFAULT_MAX_ROWS_PER_FILE: u64 = 1_000_000;
/// Rows generated at a time within a row group: one Arrow batch (about 20 MB).
/// Larger batches amortize the Parquet writer's per-call work (level
/// computation, page checks) and the buffers' allocation: 8,192 rows ran 10%
/// slower, 65,536 no faster and with a third more memory.
pub const SUB_BATCH_ROWS: u64 = 32_768;
pub use crate::sink::destination::NULL_OUTPUT;
/// Most row groups a run plans (`rows / --row-group-rows`): the plan holds
/// one entry per row group, so this bounds its memory (about 240 MB).
pub const MAX_PLANNED_ROW_GROUPS: u64 = 10_000_000;
/// Most files a run plans (`rows / --max-rows-per-file`).
pub const MAX_PLANNED_FILES: u64 = 1_000_000;
/// `--threads` is capped at this many threads per core: more only costs
/// memory and switching (5,000 threads ran for minutes on 1k rows).
pub const MAX_THREADS_PER_CORE: usize = 4;

/// How and where to write a dataset.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutputOptions {
    /// Output folder, or [`NULL_OUTPUT`]. Not in the manifest, which lives
    /// inside it, so a copy of a dataset elsewhere is byte-identical.
    #[serde(skip)]
    pub out: PathBuf,
    /// File format.
    pub format: Format,
    /// Which tables.
    pub layout: Layout,
    /// Compression; `None` picks the format's default
    /// ([`FileFormat::DEFAULT_COMPRESSION`]: snappy for Parquet, none otherwise).
    #[serde(serialize_with = "display_compression")]
    pub compression: Option<Compression>,
    /// Rows per row group.
    pub row_group_rows: u64,
    /// Most rows in one file.
    pub max_rows_per_file: u64,
    /// Folder layout.
    pub partition_by: PartitionBy,
    /// Parquet min/max statistics on string columns too (off by default:
    /// they cannot skip a row group in this data, see
    /// [`crate::sink::parquet::writer_properties`]).
    pub string_statistics: bool,
    /// Replace earlier output in `out`.
    #[serde(skip)]
    pub overwrite: bool,
    /// Continue an interrupted run in `out`: keep the files its journal
    /// lists and that match on disk, write the rest.
    #[serde(skip)]
    pub resume: bool,
    /// Worker threads (`None`: one per core). Does not change the output.
    #[serde(skip)]
    pub threads: Option<usize>,
    /// Write only this part of the dataset's files (`--parts N --part K`),
    /// with a part manifest instead of `_manifest.json`; see [`crate::sink::parts`].
    /// Not in the manifest: every part writes the same options.
    #[serde(skip)]
    pub part: Option<PartOf>,
}

fn display_compression<S: serde::Serializer>(c: &Option<Compression>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.collect_str(c),
        None => s.serialize_none(),
    }
}

impl OutputOptions {
    /// Defaults for writing Parquet to `out`.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            format: Format::Parquet,
            layout: Layout::Nested,
            compression: None,
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            max_rows_per_file: DEFAULT_MAX_ROWS_PER_FILE,
            partition_by: PartitionBy::Date,
            string_statistics: false,
            overwrite: false,
            resume: false,
            threads: None,
            part: None,
        }
    }

    /// Whether the output is object storage (`s3://…`, `gs://…`, `az://…`, `file://…`).
    pub fn is_object_store(&self) -> bool {
        object::is_object_url(&self.out)
    }

    /// Whether the output is discarded (`--out null:`).
    pub fn is_null(&self) -> bool {
        self.out.as_os_str() == NULL_OUTPUT
    }

    /// The compression to use, checked against the format of `--format`.
    ///
    /// # Errors
    /// [`Error::Option`] naming `--compression` when the format cannot use it.
    pub fn resolved_compression(&self) -> Result<Compression, Error> {
        self.compression_for(&self.format.known())
    }

    /// The compression to use, checked against `format` (its codecs and
    /// default are its own, [`FileFormat`]).
    ///
    /// # Errors
    /// [`Error::Option`] naming `--compression` when the format cannot use it.
    pub fn compression_for(&self, format: &KnownFormat) -> Result<Compression, Error> {
        format.compression(self.compression).map_err(|message| Error::Option {
            flag: "--compression",
            message,
        })
    }

    /// The most worker threads a run uses: `--threads`, capped at
    /// [`MAX_THREADS_PER_CORE`] per core; `None` is one per core.
    pub fn effective_threads(&self) -> Option<usize> {
        self.threads.map(|n| n.min(max_threads()))
    }

    /// Notes for the user about the options as given, e.g. a capped
    /// `--threads`; the library prints nothing, the caller may.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let (Some(asked), Some(used)) = (self.threads, self.effective_threads())
            && used < asked
        {
            notes.push(format!(
                "--threads {asked} is more than {MAX_THREADS_PER_CORE} per core; using {used}"
            ));
        }
        notes
    }

    /// Checks the options for a dataset of `rows` events in `format`;
    /// returns the compression.
    fn validate(&self, rows: u64, format: &KnownFormat) -> Result<Compression, Error> {
        if self.row_group_rows == 0 {
            return Err(Error::Option {
                flag: "--row-group-rows",
                message: "must be at least 1".into(),
            });
        }
        if self.max_rows_per_file == 0 {
            return Err(Error::Option {
                flag: "--max-rows-per-file",
                message: "must be at least 1".into(),
            });
        }
        if rows.div_ceil(self.row_group_rows) > MAX_PLANNED_ROW_GROUPS {
            return Err(Error::Option {
                flag: "--row-group-rows",
                message: format!(
                    "{} makes more than {} row groups of {rows} rows; use at least {}",
                    self.row_group_rows,
                    MAX_PLANNED_ROW_GROUPS,
                    rows.div_ceil(MAX_PLANNED_ROW_GROUPS)
                ),
            });
        }
        if rows.div_ceil(self.max_rows_per_file) > MAX_PLANNED_FILES {
            return Err(Error::Option {
                flag: "--max-rows-per-file",
                message: format!(
                    "{} makes more than {} files of {rows} rows; use at least {}",
                    self.max_rows_per_file,
                    MAX_PLANNED_FILES,
                    rows.div_ceil(MAX_PLANNED_FILES)
                ),
            });
        }
        if self.resume && self.is_null() {
            return Err(Error::Option {
                flag: "--resume",
                message: "null: writes no files to resume; leave out --resume".into(),
            });
        }
        if self.resume && self.is_object_store() {
            return Err(Error::Option {
                flag: "--resume",
                message: "resuming is for local folders; run again with --overwrite (object storage keeps no \
                          partial objects, so only whole files are written again)"
                    .into(),
            });
        }
        if self.threads == Some(0) {
            return Err(Error::Option {
                flag: "--threads",
                message: "must be at least 1 (leave it out to use every core)".into(),
            });
        }
        self.compression_for(format)
    }
}

/// What a run wrote.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Events generated.
    pub rows: u64,
    /// Leaf values of the events (every struct field and list element counts).
    pub cells: u64,
    /// Files written (empty for `null:`).
    pub files: Vec<WrittenFile>,
    /// Bytes written (encoded bytes for `null:`).
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// What a run wrote, and whether it completed the dataset ([`run`]).
#[derive(Clone, Debug)]
pub struct Outcome {
    /// What the run wrote.
    pub summary: Summary,
    /// Whether this run committed the dataset, wherever it is (a folder or
    /// a prefix): wrote its `_manifest.json` and `_SUCCESS`. Always for a
    /// whole run; for a part, when it was the last of them to finish and
    /// merged them ([`crate::sink::parts::finish_part`]); never for `null:`.
    pub committed: bool,
}

/// Progress reports: events and bytes written so far.
pub trait Progress: Sync {
    /// Called after each row group is written.
    fn advance(&self, rows: u64, bytes: u64);
}

impl Progress for () {
    fn advance(&self, _: u64, _: u64) {}
}

/// The formats of a run's tables, by source (the dimension tables exist
/// only in the normalized layout).
struct Tables<F> {
    events: Vec<F>,
    users: Vec<F>,
    content: Vec<F>,
}

impl<F: FileFormat> Tables<F> {
    /// The formats of `world`'s tables as `options` writes them; with
    /// faults, the events' tables, and the user tables when the change
    /// feed has faults, are followed by the ground truth's (`_faults`).
    fn new(options: &OutputOptions, compression: Compression, world: &World) -> Result<Self, Error> {
        let faults = world.has_faults();
        let format = |schema| {
            F::new(&TableSpec {
                schema,
                compression,
                string_statistics: options.string_statistics,
            })
        };
        let (mut events, dimensions) = match options.layout {
            Layout::Nested => (vec![event_schema_of(world.has_missing_values())], Vec::new()),
            Layout::Normalized => (
                event_table_schemas_of(world.has_missing_values()).to_vec(),
                vec![
                    users_schema(),
                    subscriptions_schema(),
                    subscription_changes_schema(),
                    content_schema(),
                ],
            ),
        };
        if faults {
            events.push(faults_schema());
        }
        let mut dimensions = dimensions.into_iter().map(format).collect::<Result<Vec<_>, _>>()?;
        let content = dimensions.split_off(dimensions.len().min(USER_TABLES));
        if world.has_change_faults() && !dimensions.is_empty() {
            // The change feed's ground truth, after the user tables.
            dimensions.push(format(faults_schema())?);
        }
        Ok(Self {
            events: events.into_iter().map(format).collect::<Result<_, _>>()?,
            users: dimensions,
            content,
        })
    }

    fn of(&self, source: Source) -> &[F] {
        match source {
            Source::Events => &self.events,
            Source::Users => &self.users,
            Source::Content => &self.content,
        }
    }
}

/// One encoded row group of a slot: a group and row count per table.
struct EncodedGroup<G> {
    slot: usize,
    parts: Vec<(G, u64)>,
    events: u64,
    cells: u64,
}

/// What a worker sends the writer: a group's index in the plan and its encoding.
type Sent<G> = (usize, Result<EncodedGroup<G>, Error>);

/// A row group of the plan: rows `first..first + rows` of slot `slot`.
#[derive(Clone, Copy, Debug)]
struct PlannedGroup {
    slot: usize,
    first: u64,
    rows: u64,
    /// With faults: the rows the slot's file (the events', or the change
    /// feed's) holds before the group, for the ground truth.
    written_before: u64,
}

/// Generates and encodes `group`'s rows in each table's format. With
/// `share`, the work is split into rayon tasks (generating the next
/// sub-batch while encoding this one; leaf columns) that idle workers can
/// take; without it, one sub-batch is alive at a time, which keeps memory low.
#[allow(clippy::too_many_arguments)]
fn encode_group<F: FileFormat>(
    world: &World,
    layout: Layout,
    formats: &[F],
    source: Source,
    group: PlannedGroup,
    planned: Option<&PlannedRows>,
    site: Option<FaultSite<'_>>,
    share: bool,
) -> Result<EncodedGroup<F::Group>, Error> {
    let mut building: Vec<(F::Building, u64)> = formats
        .iter()
        .map(|f| Ok((f.start()?, 0)))
        .collect::<Result<_, Error>>()?;
    let rows = group.first..group.first + group.rows;
    let (events, cells) = F::Input::produce(world, layout, source, rows, planned, site, share, |tables_rows| {
        for ((format, (b, n)), rows) in formats.iter().zip(&mut building).zip(tables_rows) {
            *n += F::Input::count(rows);
            format.add(b, rows, share)?;
        }
        Ok(())
    })?;
    let parts = formats
        .iter()
        .zip(building)
        .map(|(format, (b, n))| Ok((format.finish(b, share)?, n)))
        .collect::<Result<_, Error>>()?;
    Ok(EncodedGroup {
        slot: group.slot,
        parts,
        events,
        cells,
    })
}

/// [`Input`] for the two batch inputs, which differ only in whether the
/// nested events' strings come as dictionary keys.
macro_rules! batch_input {
    ($input:ty, keyed: $keyed:expr) => {
        impl Input for $input {
            type Rows<'a> = RecordBatch;

            fn count(batch: &RecordBatch) -> u64 {
                batch.num_rows() as u64
            }

            fn produce<A>(
                world: &World,
                layout: Layout,
                source: Source,
                rows: Range<u64>,
                planned: Option<&PlannedRows>,
                site: Option<FaultSite<'_>>,
                share: bool,
                add: A,
            ) -> Result<(u64, u64), Error>
            where
                A: for<'a> FnMut(&[RecordBatch]) -> Result<(), Error> + Send,
            {
                produce_batches(world, layout, source, rows, planned, site, share, $keyed, add)
            }
        }
    };
}
batch_input!(Batches, keyed: false);
batch_input!(KeyedBatches, keyed: true);

/// Generates sub-batches of [`SUB_BATCH_ROWS`] (nested events with their
/// strings as keys if `keyed`). With `share`, sub-batch k + 1 is generated
/// while sub-batch k is added, each half open to an idle worker; without
/// it, k is added (and freed) before k + 1 is generated.
#[allow(clippy::too_many_arguments)]
fn produce_batches<A>(
    world: &World,
    layout: Layout,
    source: Source,
    rows: Range<u64>,
    planned: Option<&PlannedRows>,
    mut site: Option<FaultSite<'_>>,
    share: bool,
    keyed: bool,
    mut add: A,
) -> Result<(u64, u64), Error>
where
    A: for<'a> FnMut(&[RecordBatch]) -> Result<(), Error> + Send,
{
    let (mut events, mut cells) = (0, 0);
    let mut start = rows.start;
    let mut pending: Option<Vec<RecordBatch>> = None;
    while start < rows.end || pending.is_some() {
        let n = SUB_BATCH_ROWS.min(rows.end - start);
        let mut encode = || pending.take().map_or(Ok(()), |batches| add(&batches));
        let here = site;
        let generate = || (n > 0).then(|| sub_batch(world, layout, source, start..start + n, planned, here, keyed));
        let (added, generated) = if share {
            rayon::join(encode, generate)
        } else {
            (encode(), generate())
        };
        added?;
        if let Some(generated) = generated {
            let (batches, batch_cells) = generated?;
            cells += batch_cells;
            events += n;
            if let Some(site) = &mut site {
                // The rows of the table the ground truth points into.
                let table = if source == Source::Users { 2 } else { 0 };
                site.written_before += batches[table].num_rows() as u64;
            }
            pending = Some(batches);
        }
        start += n;
    }
    Ok((events, cells))
}

impl Input for Events {
    type Rows<'a> = Event<'a>;

    fn count(_: &Event<'_>) -> u64 {
        1
    }

    /// Fills one event at a time and hands it over.
    fn produce<A>(
        world: &World,
        layout: Layout,
        source: Source,
        rows: Range<u64>,
        planned: Option<&PlannedRows>,
        site: Option<FaultSite<'_>>,
        _share: bool,
        mut add: A,
    ) -> Result<(u64, u64), Error>
    where
        A: for<'a> FnMut(&[Event<'a>]) -> Result<(), Error> + Send,
    {
        if layout != Layout::Nested || source != Source::Events {
            return Err(Error::Option {
                flag: "--layout",
                message: "this format writes nested events only; use --layout nested".into(),
            });
        }
        if site.is_some() {
            return Err(faults_refused("a format given events one at a time (nested NDJSON)"));
        }
        let mut cells = 0;
        let mut event = Event::default();
        let own;
        let planned = match planned {
            Some(planned) => planned,
            None => {
                own = world.plan_rows(rows.clone());
                &own
            }
        };
        for row in rows.clone() {
            world.fill_planned(planned, (row - planned.first_row) as usize, &mut event);
            cells += event_cells(&event);
            add(std::slice::from_ref(&event))?;
        }
        Ok((rows.end - rows.start, cells))
    }
}

/// The batches (one per table of `source`) of `rows`, and their leaf values
/// for the events table (0 for the dimension tables), events filled from
/// `planned` (which holds at least `rows`; planned here without it). With
/// `keyed`, nested events have their strings of words and catalog entities
/// as keys.
fn sub_batch(
    world: &World,
    layout: Layout,
    source: Source,
    rows: Range<u64>,
    planned: Option<&PlannedRows>,
    site: Option<FaultSite<'_>>,
    keyed: bool,
) -> Result<(Vec<RecordBatch>, u64), Error> {
    match source {
        Source::Events => {
            let strings = if keyed && layout == Layout::Nested {
                Strings::Keys(world.catalog().vocabularies())
            } else {
                Strings::Text
            };
            let mut columns = EventColumns::new(strings, (rows.end - rows.start) as usize);
            if world.has_misspellings() {
                columns = columns.taking_misspellings();
            }
            if world.has_missing_values() {
                columns = columns.taking_missing_values();
            }
            let mut event = Event::default();
            let own;
            let planned = match planned {
                Some(planned) => planned,
                None => {
                    own = world.plan_rows(rows.clone());
                    &own
                }
            };
            let mut truth = GroundTruth::default();
            let mut written = site.map_or(0, |s| s.written_before);
            // The lines an NDJSON writer breaks, as `row:letter` pairs.
            let mut malformed = String::new();
            world.fill_written(planned, rows, &mut event, |event, injected| {
                if let (Some(injected), Some(site)) = (injected, site) {
                    truth.record(event, injected, site.file, written);
                }
                columns.push(event);
                if let Some(column) = injected.and_then(Injected::missing) {
                    columns.set_missing(column);
                }
                if let Some(how) = injected.and_then(Injected::malformed) {
                    let comma = if malformed.is_empty() { "" } else { "," };
                    malformed.push_str(&format!("{comma}{}:{}", columns.len() - 1, how.letter()));
                }
                written += 1;
                Ok::<_, Error>(())
            })?;
            let cells = columns.cells();
            let mut batch = columns.finish()?;
            if !malformed.is_empty() {
                let mut metadata = batch.schema().metadata().clone();
                metadata.insert(MALFORMED_METADATA.to_string(), malformed);
                let schema = batch.schema().as_ref().clone().with_metadata(metadata);
                batch = batch.with_schema(Arc::new(schema))?;
            }
            let mut batches = match layout {
                Layout::Nested => vec![batch],
                Layout::Normalized => Vec::from(split(&batch, world.has_missing_values())?),
            };
            if site.is_some() {
                batches.push(truth.finish()?);
            }
            Ok((batches, cells))
        }
        Source::Users => {
            let mut truth = GroundTruth::default();
            let changes = subscription_changes_batch(
                world,
                rows.clone(),
                site.map(|s| (&mut truth, s.file, s.written_before)),
            )?;
            let mut batches = vec![
                users_batch(world, rows.clone())?,
                subscriptions_batch(world, rows)?,
                changes,
            ];
            if site.is_some() {
                batches.push(truth.finish()?);
            }
            Ok((batches, 0))
        }
        Source::Content => Ok((vec![content_batch(world, rows)?], 0)),
    }
}

/// Generates the dataset of `config` into `options.out`, in the format of
/// `options.format`.
///
/// # Errors
/// [`Error::Config`] or [`Error::Option`] before anything is written;
/// [`Error::Output`] when the folder cannot be used; [`Error::Io`] on a
/// write failure (the partial file is removed); [`Error::Interrupted`] once
/// `cancel` is cancelled (the run stops at the next row group).
pub fn generate(
    config: Config,
    options: &OutputOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Summary, Error> {
    run(config, options, progress, cancel).map(|outcome| outcome.summary)
}

/// [`generate`], telling also whether the run committed the dataset (a
/// part may leave that to another part).
///
/// # Errors
/// As [`generate`].
pub fn run(
    config: Config,
    options: &OutputOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Outcome, Error> {
    match (options.format, options.layout) {
        (Format::Parquet, _) => run_with::<ParquetFormat>(config, options, progress, cancel),
        (Format::Arrow, _) => run_with::<IpcFormat>(config, options, progress, cancel),
        // With faults, nested events are rendered from their batches, as
        // the normalized tables are: the ground truth comes with them, and
        // a missing value is a null (the same JSON values as a clean run's
        // lines, keys in the schema's order).
        (Format::Ndjson, Layout::Nested) if config.faults.on_events() => {
            run_with::<NdjsonBatches>(config, options, progress, cancel)
        }
        (Format::Ndjson, Layout::Nested) => run_with::<NdjsonEvents>(config, options, progress, cancel),
        (Format::Ndjson, Layout::Normalized) => run_with::<NdjsonBatches>(config, options, progress, cancel),
    }
}

/// Generates the dataset of `config` into `options.out` in format `F`, which
/// may be defined outside this crate. `options.format` is not read: the
/// codecs accepted, the files' extension, the name the manifest records and
/// the staged files `--overwrite` recognizes are `F`'s own ([`FileFormat`]).
///
/// # Errors
/// As [`generate`], and the format's own.
pub fn generate_with<F: FileFormat>(
    config: Config,
    options: &OutputOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Summary, Error> {
    run_with::<F>(config, options, progress, cancel).map(|outcome| outcome.summary)
}

/// [`generate_with`], telling also whether the run committed the dataset.
///
/// # Errors
/// As [`generate_with`].
pub fn run_with<F: FileFormat>(
    config: Config,
    options: &OutputOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Outcome, Error> {
    let started = Instant::now();
    config.validate()?;
    let format = KnownFormat::of::<F>();
    let compression = options.validate(config.rows, &format)?;
    // Only NDJSON's writer breaks lines (`sink::ndjson::write_batch`).
    if config.faults.malformed_records > 0.0 && (F::NAME != NdjsonBatches::NAME || options.layout != Layout::Nested) {
        return Err(Error::Option {
            flag: "--faults",
            message: "malformed_records breaks NDJSON lines; use --format ndjson (--layout nested), \
                      or give the rates in a [faults] table without malformed_records"
                .into(),
        });
    }
    if config.faults.late_arrivals > 0.0 && options.partition_by == PartitionBy::None {
        return Err(Error::Option {
            flag: "--partition-by",
            message: "none has no day for a late event to arrive in; use --partition-by date, \
                      or leave out --faults and give the rates in a [faults] table without late_arrivals"
                .into(),
        });
    }
    let world = World::new(config)?;
    let slots = plan_files(
        &world,
        options.layout,
        options.partition_by,
        options.max_rows_per_file,
        F::extension(compression),
    );
    let slots = match options.part {
        Some(part) => parts::slots_of_part(slots, part)?,
        None => slots,
    };
    let mut run = Run::<F>::plan(&world, options, compression, slots, cancel)?;
    // The folder (or prefix) is locked before anything in it is read or
    // written, and the lock is held until the run ends, complete or not
    // (dropping it removes it).
    let store = if options.is_object_store() {
        Some(Arc::new(ObjectOutput::open(&options.out)?))
    } else {
        None
    };
    let mut store_lock = None;
    let mut lock = None;
    match (&store, options.part) {
        _ if options.is_null() => {}
        (Some(store), Some(part)) => {
            let taken = object::StoreLock::acquire(store, &part.lock_name())?;
            parts::prepare_prefix_for_part(store, &run.slots, part, options.overwrite)?;
            store_lock = Some(taken);
        }
        (Some(store), None) => store_lock = Some(object::prepare(store, options.overwrite)?),
        (None, Some(part)) => {
            // A resume takes over the lock of a dead run of this part.
            let taken = lock_folder(&options.out, &part.lock_name(), options.resume)?;
            parts::prepare_folder_for_part(&options.out, &run.slots, part, options.overwrite, options.resume)?;
            lock = Some(taken);
        }
        (None, None) => {
            // Staged files of the built-in formats and of this run's own.
            let mut formats = built_in_formats();
            formats.push(format);
            lock = Some(prepare_folder(
                &options.out,
                options.overwrite,
                options.resume,
                &formats,
            )?);
        }
    }
    if let Some(lock) = &lock {
        run.run_id = lock.run_id().to_string();
    }
    if let Some(lock) = &store_lock {
        run.run_id = lock.run_id().to_string();
    }
    run.store = store.clone();
    // The manifest and the journal name the format written, `F`.
    let mut output = serde_json::to_value(options).expect("options serialize");
    output["format"] = F::NAME.into();
    let identity = journal::identity(world.config(), &output);
    let done = if options.resume {
        crate::resume::completed_slots(&options.out, options.part, &identity, &run.slots)?
    } else {
        BTreeMap::new()
    };
    let todo = crate::resume::pending_slots(&run.slots, &done);
    run.write_only(&todo);
    let journal = if options.is_null() || store.is_some() {
        None
    } else {
        // Holding the lock of its files, the run removes what a killed run
        // of the same files staged, so the dataset it completes is whole.
        let markers = markers_of(options.part);
        let own = run.slots.iter().flat_map(|s| &s.paths).chain(&markers);
        remove_staged(&options.out, own.map(String::as_str))?;
        let kept: Vec<Entry> = done.values().flatten().cloned().collect();
        let path = journal::path_of(options.part);
        Some(Journal::start(&options.out, &path, &identity, &kept, &run.run_id)?)
    };
    let pool = thread_pool(options.effective_threads())?;
    let kept_rows = done
        .keys()
        .map(|&s| &run.slots[s])
        .filter(|s| s.source == Source::Events && s.late.is_empty())
        .map(|s| s.rows)
        .sum();
    let kept_bytes = done.values().flatten().map(|e| e.file.bytes).sum();
    if kept_rows > 0 {
        progress.advance(kept_rows, kept_bytes);
    }
    let written = run.execute(&pool, progress, journal, kept_bytes)?;
    // A part's events are those of its slots; a whole run's, every event.
    let rows = run
        .slots
        .iter()
        .filter(|s| s.source == Source::Events && s.late.is_empty())
        .map(|s| s.rows)
        .sum();
    // Every file, kept and new, in plan order.
    let mut by_slot = done;
    by_slot.extend(written);
    let entries: Vec<Entry> = by_slot.into_values().flatten().collect();
    let outcome = finish_manifest(
        &world,
        options,
        store.as_deref(),
        &output,
        entries,
        rows,
        started,
        &run.run_id,
    );
    // The writer's destinations are gone; the lock goes before the runtime.
    drop((lock, store_lock, run));
    outcome
}

/// A planned run: the tables' formats, the file slots and the row groups.
struct Run<'a, F> {
    world: &'a World,
    options: &'a OutputOptions,
    /// Cancelled by the caller (Ctrl-C): workers and the writer stop at the next row group.
    cancel: &'a Cancel,
    tables: Tables<F>,
    /// The id of the folder's lock, carried by the staged file names.
    run_id: String,
    /// The object store when `out` is one (files are uploads, not local files).
    store: Option<Arc<ObjectOutput>>,
    slots: Vec<FileSlot>,
    /// Every row group, in row order.
    groups: Vec<PlannedGroup>,
}

impl<'a, F: FileFormat> Run<'a, F> {
    /// Makes the tables' formats and cuts the file slots to write into row groups.
    fn plan(
        world: &'a World,
        options: &'a OutputOptions,
        compression: Compression,
        slots: Vec<FileSlot>,
        cancel: &'a Cancel,
    ) -> Result<Self, Error> {
        let tables = Tables::new(options, compression, world)?;
        let group_rows = options.row_group_rows.min(F::MAX_GROUP_ROWS);
        let groups = slots
            .iter()
            .enumerate()
            .flat_map(|(s, slot)| {
                (0..slot.rows.div_ceil(group_rows)).map(move |g| {
                    let first = slot.first_row + g * group_rows;
                    PlannedGroup {
                        slot: s,
                        first,
                        rows: group_rows.min(slot.first_row + slot.rows - first),
                        written_before: 0,
                    }
                })
            })
            .collect();
        let groups = written_before(world, &slots, groups);
        Ok(Self {
            world,
            options,
            cancel,
            tables,
            run_id: String::new(),
            store: None,
            slots,
            groups,
        })
    }

    /// Writes only the slots `todo` (indices in plan order): the others are
    /// complete already.
    fn write_only(&mut self, todo: &[usize]) {
        let mut wanted = vec![false; self.slots.len()];
        for &slot in todo {
            wanted[slot] = true;
        }
        self.groups.retain(|g| wanted[g.slot]);
    }

    /// Runs the workers on `pool` and the ordered writer beside them
    /// (recording each file in `journal`); returns the files written, by
    /// slot. `kept_bytes` were written before (a resumed run).
    ///
    /// Workers claim row groups in order and encode them; the writer appends
    /// them in order. A worker may run at most `window` groups ahead of the
    /// writer, which bounds memory without a barrier between windows.
    fn execute(
        &self,
        pool: &rayon::ThreadPool,
        progress: &dyn Progress,
        journal: Option<Journal>,
        kept_bytes: u64,
    ) -> Result<BTreeMap<usize, Vec<Entry>>, Error> {
        // An upload's parts in flight already give the writer slack, and a
        // store slower than the workers would keep the whole window of
        // encoded groups alive: one group per worker is enough there.
        let window = match self.store {
            Some(_) => pool.current_num_threads(),
            None => pool.current_num_threads() * 2,
        };
        let (sender, receiver) = mpsc::sync_channel::<Sent<F::Group>>(window);
        let next = AtomicUsize::new(0);
        let planning = Mutex::new(());
        let gate = Gate::default();
        std::thread::scope(|scope| {
            let gate = &gate;
            let writing = scope.spawn(move || {
                let mut writer = Writer {
                    run: self,
                    progress,
                    journal,
                };
                let result = writer.run(receiver, gate, kept_bytes);
                gate.stop();
                result
            });
            pool.scope(|workers| {
                for _ in 0..pool.current_num_threads() {
                    let sender = sender.clone();
                    let (next, planning) = (&next, &planning);
                    workers.spawn(move |_| self.work(next, planning, gate, window, pool.current_num_threads(), sender));
                }
            });
            drop(sender);
            let written = writing.join().expect("writer thread panicked")?;
            if self.cancel.is_cancelled() {
                return Err(Error::Interrupted);
            }
            Ok(written)
        })
    }

    /// A worker: claims the next row group, waits until it is within the
    /// window of the writer, encodes it and sends it to the writer; until
    /// the groups run out, the writer stops or encoding fails.
    fn work(
        &self,
        next: &AtomicUsize,
        planning: &Mutex<()>,
        gate: &Gate,
        window: usize,
        threads: usize,
        sender: mpsc::SyncSender<Sent<F::Group>>,
    ) {
        loop {
            // A day's rows are planned in order (one sweep of its
            // sessions): a worker claims a group and plans it in one step.
            let (i, planned) = {
                let _in_order = planning.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= self.groups.len() {
                    break;
                }
                let group = self.groups[i];
                let slot = &self.slots[group.slot];
                let events = slot.source == Source::Events && !self.cancel.is_cancelled();
                let rows = group.first..group.first + group.rows;
                let planned = if !events {
                    None
                } else if slot.late.is_empty() {
                    self.world.plan_rows_keeping_late(rows, self.cancel)
                } else {
                    let late = &slot.late[rows.start as usize..rows.end as usize];
                    Some(self.world.plan_late(late, rows.start))
                };
                (i, planned)
            };
            if self.cancel.is_cancelled() {
                // Wake every worker waiting for the writer: the run is over.
                gate.stop();
                break;
            }
            if !gate.wait_for(i, window) {
                break;
            }
            let group = self.groups[i];
            let source = self.slots[group.slot].source;
            // Among the last groups some workers run out of work:
            // these groups lend them parts of their own.
            let share = threads > 1 && i + threads >= self.groups.len();
            let formats = self.tables.of(source);
            let slot = &self.slots[group.slot];
            let site = match source {
                Source::Events if self.world.has_faults() => Some(FaultSite {
                    file: &slot.paths[0],
                    written_before: group.written_before,
                }),
                // The change feed, the third of the user tables.
                Source::Users if self.world.has_change_faults() => Some(FaultSite {
                    file: &slot.paths[2],
                    written_before: group.written_before,
                }),
                _ => None,
            };
            let encoded = encode_group(
                self.world,
                self.options.layout,
                formats,
                source,
                group,
                planned.as_ref(),
                site,
                share,
            );
            let failed = encoded.is_err();
            // A closed channel means the writer stopped on an error; it reports it.
            if sender.send((i, encoded)).is_err() || failed {
                break;
            }
        }
    }
}

/// The refusal of faults where they are not written yet (`what`).
pub(crate) fn faults_refused(what: &str) -> Error {
    Error::Option {
        flag: "--faults",
        message: format!(
            "faults are not written with {what} yet; write them with a format given batches \
             (Parquet, Arrow IPC, NDJSON), or leave out --faults and [faults]"
        ),
    }
}

/// `groups` (in plan order) with the rows their file holds before each
/// when the file has faults: the group's rows and copies (the events), or
/// its users' changes and copies (the change feed), summed over the slot's
/// earlier groups; one pass over the rows, once per run.
fn written_before(world: &World, slots: &[FileSlot], mut groups: Vec<PlannedGroup>) -> Vec<PlannedGroup> {
    let mut before = 0;
    let mut slot = usize::MAX;
    for group in &mut groups {
        let rows = group.first..group.first + group.rows;
        let written = match slots[group.slot].source {
            Source::Events if !slots[group.slot].late.is_empty() => group.rows,
            Source::Events if world.has_faults() => world.written_rows(rows),
            Source::Users if world.has_change_faults() => change_rows(world, rows),
            _ => continue,
        };
        if group.slot != slot {
            (slot, before) = (group.slot, 0);
        }
        group.written_before = before;
        before += written;
    }
    groups
}

/// [`MAX_THREADS_PER_CORE`] threads per core.
fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores * MAX_THREADS_PER_CORE
}

/// A rayon pool of `threads` workers (one per core if `None`).
fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Error> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder.build().map_err(|e| Error::Option {
        flag: "--threads",
        message: e.to_string(),
    })
}

/// Writes the manifest and `_SUCCESS`, or a part's manifest (and the
/// dataset's when it is the last part), and removes the journal (not for
/// `null:`); sums up the run of `rows` events.
#[allow(clippy::too_many_arguments)]
fn finish_manifest(
    world: &World,
    options: &OutputOptions,
    store: Option<&ObjectOutput>,
    output: &serde_json::Value,
    entries: Vec<Entry>,
    rows: u64,
    started: Instant,
    run_id: &str,
) -> Result<Outcome, Error> {
    let mut committed = false;
    let null = options.is_null();
    let bytes = entries.iter().map(|e| e.file.bytes).sum();
    let cells = entries.iter().map(|e| e.cells).sum();
    let written: Vec<WrittenFile> = entries.into_iter().map(|e| e.file).collect();
    let files = if null { Vec::new() } else { written };
    if !null {
        let manifest = Manifest {
            tool: "customer-events",
            tool_version: env!("CARGO_PKG_VERSION"),
            schema_version: crate::schema::SCHEMA_VERSION,
            config: world.config(),
            users: world.population().len(),
            output,
            rows,
            cells,
            files: &files,
            parts: options.part.map(|p| p.parts),
            part: options.part.map(|p| p.part),
        };
        let place = match store {
            Some(store) => Place::Store(store),
            None => Place::Folder(&options.out),
        };
        committed = match (options.part, store) {
            (Some(part), _) => parts::finish_part(place, &manifest, part)?,
            (None, Some(store)) => {
                object::finish(
                    store,
                    &serde_json::to_string_pretty(&manifest).expect("manifest serializes"),
                )?;
                true
            }
            (None, None) => {
                finish_folder(&options.out, &manifest, run_id)?;
                true
            }
        };
        if store.is_none() {
            journal::remove(&options.out, &journal::path_of(options.part))?;
        }
    }
    Ok(Outcome {
        summary: Summary {
            rows,
            cells,
            files,
            bytes,
            elapsed: started.elapsed(),
        },
        committed,
    })
}

/// How far the writer has got, so workers stay within a window of it.
#[derive(Default)]
struct Gate {
    state: Mutex<(usize, bool)>,
    moved: Condvar,
}

impl Gate {
    /// Blocks until group `i` is within `window` of the writer; false once the writer has stopped.
    fn wait_for(&self, i: usize, window: usize) -> bool {
        let mut state = self.state.lock().expect("gate lock");
        while i >= state.0 + window && !state.1 {
            state = self.moved.wait(state).expect("gate lock");
        }
        !state.1
    }

    fn advance(&self, written: usize) {
        self.state.lock().expect("gate lock").0 = written;
        self.moved.notify_all();
    }

    fn stop(&self) {
        self.state.lock().expect("gate lock").1 = true;
        self.moved.notify_all();
    }
}

/// The ordered writer: appends encoded groups to their files, opening and
/// closing files as slots change.
struct Writer<'r, 'a, F> {
    run: &'r Run<'a, F>,
    progress: &'r dyn Progress,
    /// Where each committed file is recorded (`None` for `null:`).
    journal: Option<Journal>,
}

/// The files of the slot being written: one per table, with its rows so
/// far, and the leaf values of its rows.
struct OpenSlot<F: FileFormat> {
    slot: usize,
    files: Vec<(F::File, u64)>,
    cells: u64,
}

impl<F: FileFormat> Writer<'_, '_, F> {
    /// Opens one file per table of `slot`, each into its destination.
    fn open(&self, slot: usize) -> Result<OpenSlot<F>, Error> {
        let planned = &self.run.slots[slot];
        let files = planned
            .paths
            .iter()
            .zip(self.run.tables.of(planned.source))
            .map(|(path, format)| {
                let destination: Box<dyn Destination> = match &self.run.store {
                    Some(store) => Box::new(store.upload(path)),
                    None => destination(&self.run.options.out, path, &self.run.run_id)?,
                };
                Ok((format.open(destination)?, 0))
            })
            .collect::<Result<_, Error>>()?;
        Ok(OpenSlot { slot, files, cells: 0 })
    }

    /// Finishes the files of `open` and records them, each in the journal
    /// right after its commit. The slot's leaf values go on its first file.
    fn close(&mut self, open: OpenSlot<F>, written: &mut BTreeMap<usize, Vec<Entry>>) -> Result<(), Error> {
        let planned = &self.run.slots[open.slot];
        let formats = self.run.tables.of(planned.source);
        let mut entries = Vec::with_capacity(open.files.len());
        let mut cells = open.cells;
        for (((file, rows), path), format) in open.files.into_iter().zip(&planned.paths).zip(formats) {
            let committed = format.close(file)?;
            let entry = Entry {
                file: WrittenFile {
                    path: path.clone(),
                    rows,
                    bytes: committed.bytes,
                    crc32: crc32_text(committed.crc32),
                },
                cells: std::mem::take(&mut cells),
            };
            if let Some(journal) = &mut self.journal {
                journal.record(&entry)?;
            }
            entries.push(entry);
        }
        written.insert(open.slot, entries);
        Ok(())
    }

    /// Appends `group` to the open files of its slot; returns the bytes it held.
    fn append(&self, open: &mut OpenSlot<F>, group: EncodedGroup<F::Group>) -> Result<u64, Error> {
        let formats = self.run.tables.of(self.run.slots[open.slot].source);
        let mut bytes = 0;
        for (((file, rows), (encoded, added)), format) in open.files.iter_mut().zip(group.parts).zip(formats) {
            *rows += added;
            bytes += F::group_bytes(&encoded);
            format.append(file, encoded)?;
        }
        Ok(bytes)
    }

    /// Receives encoded groups in any order and writes them in row order.
    fn run(
        &mut self,
        receiver: mpsc::Receiver<Sent<F::Group>>,
        gate: &Gate,
        kept_bytes: u64,
    ) -> Result<BTreeMap<usize, Vec<Entry>>, Error> {
        let mut written = BTreeMap::new();
        let mut open: Option<OpenSlot<F>> = None;
        let mut bytes_so_far = kept_bytes;
        // Groups that arrived before their turn.
        let mut early: BTreeMap<usize, Result<EncodedGroup<F::Group>, Error>> = BTreeMap::new();
        let mut expected = 0;
        for (i, result) in receiver {
            early.insert(i, result);
            while let Some(group) = early.remove(&expected) {
                let group = group?;
                expected += 1;
                if self.run.cancel.is_cancelled() {
                    return Err(Error::Interrupted);
                }
                if open.as_ref().map(|o| o.slot) != Some(group.slot) {
                    if let Some(done) = open.take() {
                        self.close(done, &mut written)?;
                    }
                    open = Some(self.open(group.slot)?);
                }
                let slot = open.as_mut().expect("opened above");
                // A late file's events were counted with their own day's.
                let late = !self.run.slots[slot.slot].late.is_empty();
                let (events, group_cells) = (if late { 0 } else { group.events }, group.cells);
                slot.cells += group_cells;
                bytes_so_far += self.append(slot, group)?;
                self.progress.advance(events, bytes_so_far);
                gate.advance(expected);
            }
        }
        if expected < self.run.groups.len() {
            // Workers stopped early (Ctrl-C): the open files are dropped, which
            // removes them, and no manifest is written.
            return Err(Error::Interrupted);
        }
        if let Some(done) = open.take() {
            self.close(done, &mut written)?;
        }
        Ok(written)
    }
}
