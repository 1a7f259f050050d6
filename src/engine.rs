//! The batch engine: runs a dataset's file plan on a rayon pool.
//!
//! Row groups are the unit of work. Workers claim them in row order and
//! generate and encode them in parallel, each at most a window (two row
//! groups per thread) ahead of the writer thread, which appends them to their
//! files in row order. No worker waits for another, and memory is bounded by
//! the window, never by the row count.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::cancel::Cancel;
use crate::columns::{EventColumns, event_cells};
use crate::config::Config;
use crate::error::Error;
use crate::model::Event;
use crate::normalize::{content_batch, content_schema, event_table_schemas, split, users_batch, users_schema};
use crate::schema::event_schema;
use crate::sink::ipc::IpcFile;
use crate::sink::ndjson::{self, NdjsonFile};
use crate::sink::parquet::{Compression, EncodedRowGroup, ParquetFile, RowGroupEncoder, RowGroupInProgress};
use crate::sink::{
    FileSlot, Format, Layout, Manifest, PartitionBy, Source, WrittenFile, finish_folder, plan_files, prepare_folder,
};
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
/// Arrow IPC holds a row group as uncompressed batches until it is written:
/// its groups are capped at this many rows to keep memory bounded.
pub const ARROW_GROUP_ROWS: u64 = 32_768;
/// `--out null:` generates and encodes everything and writes nothing: it
/// measures the tool without the disk.
pub const NULL_OUTPUT: &str = "null:";

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
    /// Compression; `None` picks the format's default (snappy for Parquet, none otherwise).
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
    /// Worker threads (`None`: one per core). Does not change the output.
    #[serde(skip)]
    pub threads: Option<usize>,
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
            threads: None,
        }
    }

    /// Whether the output is discarded (`--out null:`).
    pub fn is_null(&self) -> bool {
        self.out.as_os_str() == NULL_OUTPUT
    }

    /// The compression to use, checked against the format.
    ///
    /// # Errors
    /// [`Error::Option`] naming `--compression` when the format cannot use it.
    pub fn resolved_compression(&self) -> Result<Compression, Error> {
        let refuse = |allowed: &str| {
            Err(Error::Option {
                flag: "--compression",
                message: format!(
                    "{} cannot be used with --format {}; use {allowed}",
                    self.compression.map(|c| c.to_string()).unwrap_or_default(),
                    serde_json::to_value(self.format)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                ),
            })
        };
        match (self.format, self.compression) {
            (Format::Parquet, None) => Ok(Compression::Snappy),
            (_, None) => Ok(Compression::None),
            (Format::Parquet, Some(c)) => Ok(c),
            (Format::Ndjson, Some(c @ (Compression::None | Compression::Gzip(_) | Compression::Zstd(_)))) => Ok(c),
            (Format::Ndjson, Some(_)) => refuse("none, gzip, gzip(N), zstd or zstd(N)"),
            (Format::Arrow, Some(c @ (Compression::None | Compression::Lz4 | Compression::Zstd(1)))) => Ok(c),
            (Format::Arrow, Some(_)) => refuse("none, lz4 or zstd (Arrow IPC compression has no level)"),
        }
    }

    fn validate(&self) -> Result<Compression, Error> {
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
        if self.threads == Some(0) {
            return Err(Error::Option {
                flag: "--threads",
                message: "must be at least 1 (leave it out to use every core)".into(),
            });
        }
        self.resolved_compression()
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

/// Progress reports: events and bytes written so far.
pub trait Progress: Sync {
    /// Called after each row group is written.
    fn advance(&self, rows: u64, bytes: u64);
}

impl Progress for () {
    fn advance(&self, _: u64, _: u64) {}
}

/// The tables of a run and how each is encoded.
struct Tables {
    format: Format,
    layout: Layout,
    compression: Compression,
    events: Vec<Table>,
    users: Table,
    content: Table,
}

struct Table {
    schema: SchemaRef,
    parquet: Option<RowGroupEncoder>,
}

impl Table {
    fn new(schema: SchemaRef, options: &OutputOptions, compression: Compression) -> Result<Self, Error> {
        let parquet = match options.format {
            Format::Parquet => Some(RowGroupEncoder::new(
                schema.clone(),
                compression,
                options.string_statistics,
            )?),
            _ => None,
        };
        Ok(Self { schema, parquet })
    }
}

impl Tables {
    fn new(options: &OutputOptions, compression: Compression) -> Result<Self, Error> {
        let (format, layout) = (options.format, options.layout);
        let event_schemas: Vec<SchemaRef> = match layout {
            Layout::Nested => vec![event_schema()],
            Layout::Normalized => event_table_schemas().to_vec(),
        };
        Ok(Self {
            format,
            layout,
            compression,
            events: event_schemas
                .into_iter()
                .map(|s| Table::new(s, options, compression))
                .collect::<Result<_, _>>()?,
            users: Table::new(users_schema(), options, compression)?,
            content: Table::new(content_schema(), options, compression)?,
        })
    }

    fn of(&self, source: Source) -> &[Table] {
        match source {
            Source::Events => &self.events,
            Source::Users => std::slice::from_ref(&self.users),
            Source::Content => std::slice::from_ref(&self.content),
        }
    }
}

/// A table's part of a row group while it is being encoded.
enum Building {
    Parquet(RowGroupInProgress),
    Batches(Vec<RecordBatch>),
    Lines(Vec<u8>),
}

/// A table's part of a row group, encoded.
enum Payload {
    Parquet(EncodedRowGroup),
    Batches(Vec<RecordBatch>),
    Bytes(Vec<u8>),
}

impl Payload {
    fn bytes(&self) -> u64 {
        match self {
            Payload::Parquet(p) => p.bytes() as u64,
            Payload::Batches(b) => b.iter().map(|b| b.get_array_memory_size() as u64).sum(),
            Payload::Bytes(b) => b.len() as u64,
        }
    }
}

/// One encoded row group of a slot: a payload and row count per table.
struct EncodedGroup {
    slot: usize,
    parts: Vec<(Payload, u64)>,
    events: u64,
    cells: u64,
}

/// Generates and encodes rows `first..first + rows` of `slot`. With `share`,
/// the work is split into rayon tasks (generating the next sub-batch while
/// encoding this one; leaf columns) that idle workers can take; without it,
/// one sub-batch is alive at a time, which keeps memory low.
fn encode_group(
    world: &World,
    tables: &Tables,
    slot: &FileSlot,
    first: u64,
    rows: u64,
    share: bool,
) -> Result<EncodedGroup, Error> {
    let of_slot = tables.of(slot.source);
    let mut building: Vec<(Building, u64)> = of_slot
        .iter()
        .map(|t| {
            let b = match (&t.parquet, tables.format) {
                (Some(encoder), _) => Building::Parquet(encoder.start()?),
                (None, Format::Arrow) => Building::Batches(Vec::new()),
                _ => Building::Lines(Vec::new()),
            };
            Ok((b, 0))
        })
        .collect::<Result<_, Error>>()?;
    let mut add = |tables_batches: &[RecordBatch]| -> Result<(), Error> {
        for ((b, n), (table, batch)) in building.iter_mut().zip(of_slot.iter().zip(tables_batches)) {
            *n += batch.num_rows() as u64;
            match b {
                Building::Parquet(g) => table.parquet.as_ref().expect("parquet table").add(g, batch, share)?,
                Building::Batches(v) => v.push(batch.clone()),
                Building::Lines(out) => ndjson::write_batch(out, batch)?,
            }
        }
        Ok(())
    };
    let (mut events, mut cells) = (0, 0);
    let end = first + rows;
    let json_events =
        slot.source == Source::Events && tables.format == Format::Ndjson && tables.layout == Layout::Nested;
    let mut lines = Vec::new();
    if json_events {
        let mut event = Event::default();
        for row in first..end {
            world.fill_event(row, &mut event);
            cells += event_cells(&event);
            serde_json::to_writer(&mut lines, &event).map_err(|e| Error::io("json", e.into()))?;
            lines.push(b'\n');
        }
        events = rows;
    } else {
        // With `share`, sub-batch k + 1 is generated while sub-batch k is
        // encoded, each half open to an idle worker; without it, k is encoded
        // (and freed) before k + 1 is generated.
        let mut start = first;
        let mut pending: Option<Vec<RecordBatch>> = None;
        while start < end || pending.is_some() {
            let n = SUB_BATCH_ROWS.min(end - start);
            let mut encode = || pending.take().map_or(Ok(()), |batches| add(&batches));
            let generate = || (n > 0).then(|| sub_batch(world, tables, slot.source, start..start + n));
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
                pending = Some(batches);
            }
            start += n;
        }
    }
    let mut parts = Vec::with_capacity(building.len());
    for ((b, n), table) in building.into_iter().zip(of_slot) {
        let payload = match b {
            Building::Parquet(g) => Payload::Parquet(table.parquet.as_ref().expect("parquet table").finish(g, share)?),
            Building::Batches(v) => Payload::Batches(v),
            Building::Lines(out) => {
                let out = if json_events { std::mem::take(&mut lines) } else { out };
                Payload::Bytes(ndjson::compress(out, tables.compression)?)
            }
        };
        let n = if json_events { events } else { n };
        parts.push((payload, n));
    }
    Ok(EncodedGroup {
        slot: 0,
        parts,
        events,
        cells,
    })
}

/// The batches (one per table of `source`) of `rows`, and their leaf values
/// for the events table (0 for the dimension tables).
fn sub_batch(
    world: &World,
    tables: &Tables,
    source: Source,
    rows: std::ops::Range<u64>,
) -> Result<(Vec<RecordBatch>, u64), Error> {
    match source {
        Source::Events => {
            let mut columns = EventColumns::with_capacity((rows.end - rows.start) as usize);
            let mut event = Event::default();
            for row in rows {
                world.fill_event(row, &mut event);
                columns.push(&event);
            }
            let cells = columns.cells();
            let batch = columns.finish()?;
            let batches = match tables.layout {
                Layout::Nested => vec![batch],
                Layout::Normalized => Vec::from(split(&batch)?),
            };
            Ok((batches, cells))
        }
        Source::Users => Ok((vec![users_batch(world, rows)?], 0)),
        Source::Content => Ok((vec![content_batch(world, rows)?], 0)),
    }
}

/// Generates the dataset of `config` into `options.out`.
///
/// # Errors
/// [`Error::Config`] or [`Error::Option`] before anything is written;
/// [`Error::Output`] when the folder cannot be used; [`Error::Io`] on a
/// write failure (the partial file is removed); [`Error::Interrupted`] after
/// `cancel` is cancelled (the run stops at the next row group).
pub fn generate(
    config: Config,
    options: &OutputOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Summary, Error> {
    let started = Instant::now();
    config.validate()?;
    let compression = options.validate()?;
    let world = World::new(config)?;
    let tables = Tables::new(options, compression)?;
    let extension = options.format.extension(compression);
    let slots = plan_files(
        &world,
        options.layout,
        options.partition_by,
        options.max_rows_per_file,
        extension,
    );
    let null = options.is_null();
    if !null {
        prepare_folder(&options.out, options.overwrite)?;
    }

    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = options.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| Error::Option {
        flag: "--threads",
        message: e.to_string(),
    })?;
    let window = pool.current_num_threads() * 2;
    let group_rows = match options.format {
        Format::Arrow => options.row_group_rows.min(ARROW_GROUP_ROWS),
        _ => options.row_group_rows,
    };

    // (slot, first row, rows) for every row group, in row order.
    let groups: Vec<(usize, u64, u64)> = slots
        .iter()
        .enumerate()
        .flat_map(|(s, slot)| {
            (0..slot.rows.div_ceil(group_rows)).map(move |g| {
                let first = slot.first_row + g * group_rows;
                (s, first, group_rows.min(slot.first_row + slot.rows - first))
            })
        })
        .collect();

    // Workers claim row groups in order and encode them; the writer appends
    // them in order. A worker may run at most `window` groups ahead of the
    // writer, which bounds memory without a barrier between windows.
    let (sender, receiver) = mpsc::sync_channel::<(usize, Result<EncodedGroup, Error>)>(window);
    let next = AtomicUsize::new(0);
    let progress_gate = Gate::default();
    let writer = Writer {
        options,
        tables: &tables,
        slots: &slots,
        compression,
    };
    let (written, cells) = std::thread::scope(|scope| {
        let writing = scope.spawn(|| {
            let result = writer.run(receiver, &progress_gate, progress, cancel, groups.len());
            progress_gate.stop();
            result
        });
        pool.scope(|workers| {
            let threads = pool.current_num_threads();
            for _ in 0..threads {
                let sender = sender.clone();
                let (next, gate, world, tables, slots, groups) =
                    (&next, &progress_gate, &world, &tables, &slots, &groups);
                workers.spawn(move |_| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= groups.len() {
                            break;
                        }
                        if cancel.is_cancelled() {
                            // Wake every worker waiting for the writer: the run is over.
                            gate.stop();
                            break;
                        }
                        if !gate.wait_for(i, window) {
                            break;
                        }
                        let (s, first, rows) = groups[i];
                        // Among the last groups some workers run out of work:
                        // these groups lend them parts of their own.
                        let share = threads > 1 && i + threads >= groups.len();
                        let encoded = encode_group(world, tables, &slots[s], first, rows, share).map(|mut g| {
                            g.slot = s;
                            g
                        });
                        let failed = encoded.is_err();
                        // A closed channel means the writer stopped on an error; it reports it.
                        if sender.send((i, encoded)).is_err() || failed {
                            break;
                        }
                    }
                });
            }
        });
        drop(sender);
        let written = writing.join().expect("writer thread panicked")?;
        if cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        Ok(written)
    })?;

    let rows = world.rows();
    let bytes = written.iter().map(|f| f.bytes).sum();
    let files = if null { Vec::new() } else { written };
    if !null {
        let output = serde_json::to_value(options).expect("options serialize");
        let manifest = Manifest {
            tool: "customer-events",
            tool_version: env!("CARGO_PKG_VERSION"),
            schema_version: crate::schema::SCHEMA_VERSION,
            config: world.config(),
            users: world.population().len(),
            output: &output,
            rows,
            cells,
            files: &files,
        };
        finish_folder(&options.out, &manifest)?;
    }
    Ok(Summary {
        rows,
        cells,
        files,
        bytes,
        elapsed: started.elapsed(),
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
struct Writer<'a> {
    options: &'a OutputOptions,
    tables: &'a Tables,
    slots: &'a [FileSlot],
    compression: Compression,
}

enum OpenFile {
    Parquet(ParquetFile),
    Ipc(IpcFile),
    Ndjson(NdjsonFile),
    Null(u64),
}

impl Writer<'_> {
    fn open(&self, slot: &FileSlot) -> Result<Vec<OpenFile>, Error> {
        slot.paths
            .iter()
            .zip(self.tables.of(slot.source))
            .map(|(path, table)| {
                if self.options.is_null() {
                    return Ok(OpenFile::Null(0));
                }
                let path = self.options.out.join(path);
                Ok(match (&table.parquet, self.tables.format) {
                    (Some(encoder), _) => OpenFile::Parquet(ParquetFile::create(&path, encoder)?),
                    (None, Format::Arrow) => OpenFile::Ipc(IpcFile::create(&path, &table.schema, self.compression)?),
                    _ => OpenFile::Ndjson(NdjsonFile::create(&path)?),
                })
            })
            .collect()
    }

    fn close(
        &self,
        slot: &FileSlot,
        files: Vec<OpenFile>,
        rows: &[u64],
        written: &mut Vec<WrittenFile>,
    ) -> Result<(), Error> {
        for ((file, path), rows) in files.into_iter().zip(&slot.paths).zip(rows) {
            let bytes = match file {
                OpenFile::Parquet(f) => f.finish()?,
                OpenFile::Ipc(f) => f.finish()?,
                OpenFile::Ndjson(f) => f.finish()?,
                OpenFile::Null(bytes) => bytes,
            };
            written.push(WrittenFile {
                path: path.clone(),
                rows: *rows,
                bytes,
            });
        }
        Ok(())
    }

    fn run(
        &self,
        receiver: mpsc::Receiver<(usize, Result<EncodedGroup, Error>)>,
        gate: &Gate,
        progress: &dyn Progress,
        cancel: &Cancel,
        groups: usize,
    ) -> Result<(Vec<WrittenFile>, u64), Error> {
        let mut written = Vec::new();
        let mut open: Option<(usize, Vec<OpenFile>, Vec<u64>)> = None;
        let (mut bytes_so_far, mut cells) = (0u64, 0u64);
        // Groups that arrived before their turn.
        let mut early: BTreeMap<usize, Result<EncodedGroup, Error>> = BTreeMap::new();
        let mut expected = 0;
        for (i, result) in receiver {
            early.insert(i, result);
            while let Some(group) = early.remove(&expected) {
                let group = group?;
                expected += 1;
                if cancel.is_cancelled() {
                    return Err(Error::Interrupted);
                }
                if open.as_ref().map(|(s, _, _)| *s) != Some(group.slot) {
                    if let Some((s, files, rows)) = open.take() {
                        self.close(&self.slots[s], files, &rows, &mut written)?;
                    }
                    let files = self.open(&self.slots[group.slot])?;
                    let n = files.len();
                    open = Some((group.slot, files, vec![0; n]));
                }
                let (_, files, rows) = open.as_mut().expect("opened above");
                for ((file, n), (payload, added)) in files.iter_mut().zip(rows.iter_mut()).zip(group.parts) {
                    *n += added;
                    bytes_so_far += payload.bytes();
                    match (file, payload) {
                        (OpenFile::Parquet(f), Payload::Parquet(p)) => f.append(p)?,
                        (OpenFile::Ipc(f), Payload::Batches(b)) => f.append(&b)?,
                        (OpenFile::Ndjson(f), Payload::Bytes(b)) => f.append(&b)?,
                        (OpenFile::Null(total), p) => *total += p.bytes(),
                        _ => unreachable!("payload and file kinds follow the format"),
                    }
                }
                cells += group.cells;
                progress.advance(group.events, bytes_so_far);
                gate.advance(expected);
            }
        }
        if expected < groups {
            // Workers stopped early (Ctrl-C): the open files are dropped, which
            // removes them, and no manifest is written.
            return Err(Error::Interrupted);
        }
        if let Some((s, files, rows)) = open.take() {
            self.close(&self.slots[s], files, &rows, &mut written)?;
        }
        Ok((written, cells))
    }
}
