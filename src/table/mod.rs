//! Lakehouse tables: a dataset that grows window by window as one Delta Lake
//! table. [`create_delta`] writes the first window of the timeline and
//! version 0 of the log; [`append_delta`] reads the table's recorded
//! configuration from its newest metadata, generates the next days and
//! commits them as the next version.
//!
//! A table is a local folder or a prefix of an object store (`s3://…`);
//! [`store::TableStore`] is the seam between the two. A window is generated
//! by the engine into a staging folder inside the table (`_staging-…`, which
//! Delta readers ignore, as they ignore any file the log does not list),
//! its day folders are moved into the table (renamed, or copied by the
//! object store), and the commit, written with put-if-absent, makes them
//! part of the table. The table's writer lock keeps two runs of this tool
//! from writing one table at once; against any other writer, the commit is
//! the guard: of two writers racing for one version, one commit wins, the
//! other removes the files it moved and fails. Every
//! `delta.checkpointInterval` versions (10 unless the table says), the
//! commit is followed by a checkpoint of the table's state, so that a table
//! a year old is read from one Parquet file and a few commits.

pub mod delta;
pub mod stats;
pub mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Cancel;
use crate::config::Config;
use crate::engine::{self, OutputOptions, Progress, Summary};
use crate::error::Error;
use crate::faults::FAULTS_TABLE;
use crate::schema::{SCHEMA_VERSION, event_schema_of};
use crate::sink::lock::LOCK_FILE;
use crate::sink::parquet::Compression;
use crate::sink::parts::PartOf;
use crate::sink::{Format, Layout, MANIFEST_FILE, PartitionBy, SUCCESS_FILE, WrittenFile};
use delta::{AddedFile, TableMetadata};
use store::{LocalStore, ObjectTableStore, TableStore};

/// The tool, as a table's metadata names it.
pub const TOOL: &str = "customer-events";
/// The metadata key of the config of the newest window (JSON).
pub const CONFIG_KEY: &str = "customerEvents.config";
/// The metadata key of the file options every window keeps (JSON).
pub const FILES_KEY: &str = "customerEvents.files";
/// The metadata key of the first day of the table.
pub const FIRST_DAY_KEY: &str = "customerEvents.firstDay";
/// The metadata key of the last day of the table.
pub const LAST_DAY_KEY: &str = "customerEvents.lastDay";
/// The metadata key of the version of the tool that wrote the newest window.
pub const TOOL_VERSION_KEY: &str = "customerEvents.toolVersion";

/// The file options a table keeps across its windows, so that a day's files
/// are the same bytes whichever window wrote them.
#[derive(Debug, Serialize, Deserialize)]
struct FileOptions {
    compression: Option<String>,
    row_group_rows: u64,
    max_rows_per_file: u64,
    string_statistics: bool,
}

/// What a run added to a table.
#[derive(Debug)]
pub struct TableCommit {
    /// The version committed (or, for a part whose window is not complete
    /// yet, the version the window will be).
    pub version: u64,
    /// Whether this run committed the version: true but for a part
    /// (`--parts`) that is not the last one to finish, whose files wait in
    /// the window's staging folder for the others.
    pub committed: bool,
    /// For a part that did not commit: whether every part of the window is
    /// staged (another run holds the table's lock, and commits it; if none
    /// does, rerunning any part commits it).
    pub staged_whole: bool,
    /// The window's first and last day.
    pub days: (NaiveDate, NaiveDate),
    /// The files committed (the whole window's, relative to the table's
    /// root), or the part's run.
    pub summary: Summary,
    /// The version checkpointed after the commit, when the table's
    /// checkpoint interval divides it.
    pub checkpoint: Option<u64>,
    /// Why a checkpoint that was due could not be written (the version is
    /// committed all the same, and the table reads the same without it).
    pub checkpoint_error: Option<String>,
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Writes the first window of `config`'s timeline as a new Delta table in
/// `options.out` (missing or empty): Parquet, nested, partitioned by date,
/// with version 0 of the log recording the seed, the world options, the
/// file options, the schema version and the last day.
///
/// With `options.part`, writes that part of the window into its staging
/// folder; the last part to finish commits the version. The table is
/// checkpointed every `checkpoint_interval` versions (recorded in its
/// configuration as `delta.checkpointInterval`; `None`: Delta's default, 10).
///
/// # Errors
/// [`Error::Option`] for options a table cannot have (another format or
/// layout, `--resume`, `--overwrite`, no `events_per_day`),
/// [`Error::Output`] for a folder that is not empty, and the run's own.
pub fn create_delta(
    mut config: Config,
    options: &OutputOptions,
    checkpoint_interval: Option<u64>,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<TableCommit, Error> {
    let refuse = |message: &str| {
        Err(Error::Option {
            flag: "--table",
            message: message.into(),
        })
    };
    if config.faults.malformed_records > 0.0 {
        return refuse(
            "a Delta table holds Parquet, whose records cannot be malformed; give the [faults] table \
             without malformed_records",
        );
    }
    if options.format != Format::Parquet || options.layout != Layout::Nested {
        return refuse("a Delta table holds nested Parquet; leave out --format and --layout");
    }
    if options.partition_by != PartitionBy::Date {
        return refuse("a Delta table is partitioned by event_date; leave out --partition-by");
    }
    if options.resume || options.overwrite {
        return refuse("a Delta table is written into a new folder; leave out --resume and --overwrite");
    }
    if options.is_null() {
        return refuse("a Delta table needs a folder; pass --out DIR");
    }
    if config.events_per_day.is_none() {
        return refuse("a Delta table grows by whole days of the timeline: pass --events-per-day N instead of --rows");
    }
    let table = options.out.clone();
    let store = open_store(&table)?;
    if !store.list(delta::LOG_FOLDER)?.is_empty() {
        return Err(Error::Output {
            path: table,
            message: "is already a Delta table; add days with `customer-events append`".into(),
        });
    }
    // Parts of the first window share its staging folder.
    let staging = staging_of_parts(0);
    let others = |name: &String| options.part.is_none() || (*name != staging && name != LOCK_FILE);
    if store.entries("")?.iter().any(others) {
        return Err(Error::Output {
            path: table,
            message: "is not empty; a new table needs a new or empty folder (or prefix)".into(),
        });
    }
    // The epoch is pinned, so later windows measure subscriptions from the same day.
    config.epoch = Some(config.epoch());
    config.validate()?;
    let files = FileOptions {
        compression: options.compression.map(|c| c.to_string()),
        row_group_rows: options.row_group_rows,
        max_rows_per_file: options.max_rows_per_file,
        string_statistics: options.string_statistics,
    };
    if checkpoint_interval == Some(0) {
        return Err(Error::Option {
            flag: "--checkpoint-interval",
            message: "must be at least 1, e.g. --checkpoint-interval 10".into(),
        });
    }
    let metadata = TableMetadata {
        id: table_id(),
        created_time: now_millis(),
        configuration: checkpoint_interval
            .map(|n| (delta::CHECKPOINT_INTERVAL_KEY.to_string(), n.to_string()))
            .into_iter()
            .collect(),
    };
    let first_day = config.start;
    write_window(
        store.as_ref(),
        &table,
        config,
        &files,
        options.threads,
        options.part,
        0,
        metadata,
        first_day,
        progress,
        cancel,
    )
}

/// Appends the next `days` days of the timeline to the Delta table at
/// `table` as one new version, with the seed, world and file options its
/// newest metadata recorded. With `part`, writes that part of the window
/// into its staging folder; the last part to finish commits the version
/// (every part of a window runs before it commits: a part run after that
/// starts the next window).
///
/// # Errors
/// [`Error::Output`] when `table` is not a Delta table written by this tool
/// with this schema version (or its log cannot be appended to), and the
/// run's own.
pub fn append_delta(
    table: &Path,
    days: u32,
    threads: Option<usize>,
    part: Option<PartOf>,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<TableCommit, Error> {
    let refuse = |message: String| Error::Output {
        path: table.to_path_buf(),
        message,
    };
    let store = open_store(table)?;
    let state = delta::read_log(store.as_ref(), table, None)?.ok_or_else(|| {
        refuse("has no Delta log (_delta_log/); create the table with `generate --table delta`".into())
    })?;
    let (reader, writer) = state.protocol_versions();
    if reader > 1 || writer > 2 {
        return Err(refuse(format!(
            "its protocol (reader {reader}, writer {writer}) was upgraded by another tool; \
             customer-events appends to reader 1 / writer 2 tables only"
        )));
    }
    let metadata = state.table_metadata();
    let recorded = &metadata.configuration;
    if recorded.get(delta::TOOL_KEY).map(String::as_str) != Some(TOOL) {
        return Err(refuse(format!(
            "was not written by {TOOL} (its metadata has no {}); append adds only to tables it created",
            delta::TOOL_KEY
        )));
    }
    let schema_version = recorded.get(delta::SCHEMA_VERSION_KEY).cloned().unwrap_or_default();
    if schema_version != SCHEMA_VERSION.to_string() {
        return Err(refuse(format!(
            "holds rows of schema version {schema_version}; this {TOOL} writes version {SCHEMA_VERSION}, \
             so its days would not match; append with the {TOOL} that created it"
        )));
    }
    let unreadable = |key: &str| refuse(format!("its metadata's {key} cannot be read; was it edited?"));
    let mut config: Config = recorded
        .get(CONFIG_KEY)
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| unreadable(CONFIG_KEY))?;
    let files: FileOptions = recorded
        .get(FILES_KEY)
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| unreadable(FILES_KEY))?;
    let day = |key: &str| -> Result<NaiveDate, Error> {
        recorded
            .get(key)
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| unreadable(key))
    };
    let (first_day, last_day) = (day(FIRST_DAY_KEY)?, day(LAST_DAY_KEY)?);
    if days == 0 {
        return Err(Error::Option {
            flag: "--days",
            message: "must be at least 1, e.g. --days 7".into(),
        });
    }
    config.start = last_day
        .succ_opt()
        .ok_or_else(|| refuse("ends on the last day there is".into()))?;
    config.days = days;
    config.settle_rows();
    config.validate()?;
    write_window(
        store.as_ref(),
        table,
        config,
        &files,
        threads,
        part,
        state.version + 1,
        metadata,
        first_day,
        progress,
        cancel,
    )
}

/// The store of the table at `table`: a local folder, or a prefix of an
/// object store (`s3://…`, `gs://…`, `az://…`, `file://…`).
fn open_store(table: &Path) -> Result<Box<dyn TableStore>, Error> {
    if crate::sink::object::is_object_url(table) {
        Ok(Box::new(ObjectTableStore::open(table)?))
    } else {
        Ok(Box::new(LocalStore::new(table)))
    }
}

/// A table id: a random-looking UUID from the clock and the process.
fn table_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let seed = crate::rng::mix64(nanos ^ (u64::from(std::process::id()) << 32));
    crate::model::Uuid::derive(seed, crate::rng::Stream::UserId, nanos).to_string()
}

/// The staging folder the parts of version `version`'s window share.
fn staging_of_parts(version: u64) -> String {
    format!("_staging-v{version}")
}

/// Generates `config`'s window into a staging folder of the table, moves
/// its day folders into the table and commits `version`, holding the
/// table's writer lock throughout. A part (`part`) writes into the staging
/// folder its window's parts share, without the lock; the part that
/// completes the window takes the lock and commits it.
#[allow(clippy::too_many_arguments)]
fn write_window(
    store: &dyn TableStore,
    table: &Path,
    config: Config,
    files: &FileOptions,
    threads: Option<usize>,
    part: Option<PartOf>,
    version: u64,
    mut metadata: TableMetadata,
    first_day: NaiveDate,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<TableCommit, Error> {
    let mut lock = if part.is_none() { Some(store.lock()?) } else { None };
    let last_day = config.start + chrono::Days::new(u64::from(config.days) - 1);
    // Every day of the window must be new to the table, and to its ground
    // truth when the events have faults.
    let faults = config.faults.on_events();
    for d in 0..config.days {
        let day = format!("event_date={}", config.start + chrono::Days::new(u64::from(d)));
        let truth = faults.then(|| format!("{FAULTS_TABLE}/{day}"));
        for folder in std::iter::once(day).chain(truth) {
            if store.entries(&folder)?.is_empty() {
                continue;
            }
            return Err(Error::Output {
                path: table.to_path_buf(),
                message: format!(
                    "already holds {folder}, a day this window would write: an interrupted append \
                     left it uncommitted (remove it and run append again)"
                ),
            });
        }
    }
    let staging = match part {
        Some(_) => staging_of_parts(version),
        None => format!(
            "_staging-v{version}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ),
    };
    let mut options = OutputOptions::new(store.out(&staging));
    options.compression = match &files.compression {
        Some(text) => Some(text.parse::<Compression>().map_err(|message| Error::Option {
            flag: "--compression",
            message,
        })?),
        None => None,
    };
    options.row_group_rows = files.row_group_rows;
    options.max_rows_per_file = files.max_rows_per_file;
    options.string_statistics = files.string_statistics;
    options.threads = threads;
    options.part = part;
    // A part's staging folder holds the other parts' files too: it goes
    // only once the window is committed.
    let staged = part.is_none().then(|| Staging {
        store,
        folder: &staging,
    });
    let success = format!("{staging}/{SUCCESS_FILE}");
    // A part rerun after its window was staged whole (its finishing run
    // died before the commit) commits it without generating anything.
    let mut summary = if part.is_some() && store.read(&success)?.is_some() {
        staged_window(store, &staging, std::time::Duration::ZERO)?
    } else {
        engine::generate(config.clone(), &options, progress, cancel)?
    };
    let waiting = |summary: Summary, staged_whole: bool| {
        Ok(TableCommit {
            version,
            committed: false,
            staged_whole,
            days: (config.start, last_day),
            summary,
            checkpoint: None,
            checkpoint_error: None,
        })
    };
    if part.is_some() {
        // The part that completed the staged dataset commits the window;
        // of two finishing at once, the one refused the lock leaves it to
        // the other.
        if store.read(&success)?.is_none() {
            return waiting(summary, false);
        }
        match store.lock() {
            Ok(held) => lock = Some(held),
            Err(_) => return waiting(summary, true),
        }
        if store.read(&delta::commit_path(version))?.is_some() {
            return waiting(summary, true);
        }
        summary = staged_window(store, &staging, summary.elapsed)?;
    }

    let modification_time = now_millis();
    let mut added = Vec::with_capacity(summary.files.len());
    // The files of each day folder (`event_date=…`, and with faults
    // `_faults/event_date=…`), relative to it.
    let mut folders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &summary.files {
        let (folder, name) = file.path.rsplit_once('/').unwrap_or(("", &file.path));
        folders.entry(folder.to_string()).or_default().push(name.to_string());
        // The ground truth moves into the table beside its days, outside
        // the log: a reader of the table reads the events alone.
        if folder.starts_with(&format!("{FAULTS_TABLE}/")) {
            continue;
        }
        let event_date = folder.strip_prefix("event_date=").unwrap_or_default().to_string();
        added.push(AddedFile {
            path: file.path.clone(),
            event_date,
            size: file.bytes,
            modification_time,
            stats: store.file_stats(&format!("{staging}/{}", file.path))?,
        });
    }
    let mut moved = Vec::new();
    // The days first, the ground truth last: a day that cannot move leaves
    // the ground truth staged.
    let (truth, days): (Vec<_>, Vec<_>) = folders.iter().partition(|(folder, _)| folder.starts_with(FAULTS_TABLE));
    for (folder, names) in days.into_iter().chain(truth) {
        if cancel.is_cancelled() {
            store.remove_files(&moved);
            return Err(Error::Interrupted);
        }
        let result = store.move_files(&format!("{staging}/{folder}"), folder, names);
        // A move that failed half way may have placed some of the folder's files.
        moved.extend(names.iter().map(|name| format!("{folder}/{name}")));
        if let Err(e) = result {
            store.remove_files(&moved);
            return Err(e);
        }
    }
    // What the table recorded is kept (a checkpoint interval a user set,
    // say); this tool's keys describe the newest window.
    let mut configuration = std::mem::take(&mut metadata.configuration);
    configuration
        .entry(delta::CHECKPOINT_INTERVAL_KEY.to_string())
        .or_insert_with(|| delta::DEFAULT_CHECKPOINT_INTERVAL.to_string());
    configuration.insert(delta::TOOL_KEY.to_string(), TOOL.to_string());
    configuration.insert(TOOL_VERSION_KEY.to_string(), env!("CARGO_PKG_VERSION").to_string());
    configuration.insert(delta::SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string());
    configuration.insert(
        CONFIG_KEY.to_string(),
        serde_json::to_string(&config).expect("config serializes"),
    );
    configuration.insert(
        FILES_KEY.to_string(),
        serde_json::to_string(files).expect("options serialize"),
    );
    configuration.insert(FIRST_DAY_KEY.to_string(), first_day.to_string());
    configuration.insert(LAST_DAY_KEY.to_string(), last_day.to_string());
    metadata.configuration = configuration;
    let text = delta::commit_text(
        version,
        now_millis(),
        &metadata,
        &event_schema_of(config.faults.missing_values > 0.0),
        &added,
    );
    let committed = store.put_if_absent(&delta::commit_path(version), text.as_bytes());
    if !matches!(committed, Ok(true)) {
        store.remove_files(&moved);
        committed?;
        return Err(Error::Output {
            path: table.to_path_buf(),
            message: format!(
                "another writer committed version {version} first; this run's files were removed, \
                 run append again"
            ),
        });
    }
    if part.is_some() {
        store.remove_folder(&staging);
    }
    // The version is committed: a checkpoint that cannot be written is
    // reported, not an error (the table reads the same without it).
    let checkpoint = delta::checkpoint_if_due(store, table, version, &metadata.configuration);
    drop((staged, lock));
    Ok(TableCommit {
        version,
        committed: true,
        staged_whole: true,
        days: (config.start, last_day),
        summary,
        checkpoint: checkpoint.as_ref().ok().copied().flatten(),
        checkpoint_error: checkpoint.err().map(|e| e.to_string()),
    })
}

/// The files of the window staged in `staging` by its parts, from the
/// `_manifest.json` their commit merged.
fn staged_window(store: &dyn TableStore, staging: &str, elapsed: std::time::Duration) -> Result<Summary, Error> {
    #[derive(Deserialize)]
    struct Merged {
        rows: u64,
        cells: u64,
        files: Vec<WrittenFile>,
    }
    let path = format!("{staging}/{MANIFEST_FILE}");
    let unreadable = |why: String| Error::Output {
        path: store.out(&path),
        message: format!("cannot be read ({why}); rerun one part with --overwrite to commit the window again"),
    };
    let bytes = store.read(&path)?.ok_or_else(|| unreadable("it is missing".into()))?;
    let merged: Merged = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    Ok(Summary {
        rows: merged.rows,
        cells: merged.cells,
        bytes: merged.files.iter().map(|f| f.bytes).sum(),
        files: merged.files,
        elapsed,
    })
}

/// The staging folder of one window: what is left of it (the run's
/// manifest and marker, or an interrupted run's files) is removed when it
/// goes out of scope. Its name is unique to the run, so it holds only what
/// the run wrote.
struct Staging<'a> {
    store: &'a dyn TableStore,
    folder: &'a str,
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        self.store.remove_folder(self.folder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another writer commits version 0 while this run generates: the
    /// commit is refused and the table keeps only the other writer's files
    /// (no day, no ground truth, no empty `_faults/`).
    #[test]
    fn a_lost_race_for_a_version_keeps_nothing_of_the_run() {
        let tmp = tempfile::tempdir().unwrap();
        let store = LocalStore::new(tmp.path());
        assert!(store.put_if_absent(&delta::commit_path(0), b"{}\n").unwrap());
        let config = Config {
            events_per_day: Some(500),
            days: 2,
            faults: crate::config::FaultsConfig::TYPICAL,
            ..Config::default()
        };
        let mut config = config;
        config.settle_rows();
        let files = FileOptions {
            compression: None,
            row_group_rows: 1000,
            max_rows_per_file: 1000,
            string_statistics: false,
        };
        let metadata = TableMetadata {
            id: table_id(),
            created_time: 0,
            configuration: BTreeMap::new(),
        };
        let start = config.start;
        let err = write_window(
            &store,
            tmp.path(),
            config,
            &files,
            Some(1),
            None,
            0,
            metadata,
            start,
            &(),
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("committed version 0 first"), "{err}");
        let left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["_delta_log"]);
        assert_eq!(store.list(delta::LOG_FOLDER).unwrap(), ["00000000000000000000.json"]);
    }
}
