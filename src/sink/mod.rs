//! Where rows go: the file plan (which rows land in which file under which
//! Hive partition), the output folder's safety rules, and the manifest.
//!
//! [`format`](mod@format) is the seam between the engine and a file format, implemented
//! by [`parquet`], [`ipc`] and [`ndjson`]; [`Format`] is the one list of
//! these built-in formats ([`Format::known`], [`built_in_formats`]), which
//! `verify` and `--overwrite` read files by. A format writes each file into a
//! [`destination`], which makes it appear only when complete (a local file
//! is written under a hidden temporary name and renamed). `_SUCCESS` and
//! `_manifest.json` are written last, after every file. A dataset split
//! into [`parts`] has each part write its own manifest under `_parts/`,
//! merged into `_manifest.json` by a commit.

pub mod avro;
pub mod compression;
pub mod destination;
pub mod format;
pub mod ipc;
pub mod journal;
pub mod lock;
pub mod ndjson;
pub mod object;
pub mod parquet;
pub mod parts;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::Error;
use crate::faults::{CHANGE_FAULTS_TABLE, FAULTS_TABLE};
use crate::normalize::{DIMENSION_TABLES, EVENT_TABLES, USER_TABLES};
use crate::options::{Choice, choice_text};
use crate::schema::PARTITION_COLUMN;
use crate::sweep::RowOrigin;
use crate::world::World;
use format::KnownFormat;
use lock::FolderLock;

/// How files are grouped into folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartitionBy {
    /// `event_date=YYYY-MM-DD/part-NNNNN.parquet`, one folder per day.
    Date,
    /// Flat `part-NNNNN.parquet` files.
    None,
}

impl Choice for PartitionBy {
    const KIND: &'static str = "partitioning";
    const ALL: &'static [Self] = &[PartitionBy::Date, PartitionBy::None];

    fn name(self) -> &'static str {
        match self {
            PartitionBy::Date => "date",
            PartitionBy::None => "none",
        }
    }

    fn description(self) -> &'static str {
        match self {
            PartitionBy::Date => "One folder per day: event_date=YYYY-MM-DD/",
            PartitionBy::None => "Flat part-NNNNN.parquet files",
        }
    }
}

choice_text!(PartitionBy);

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Apache Parquet (the default).
    Parquet,
    /// One JSON object per line, with the original module's key names and nesting.
    Ndjson,
    /// Arrow IPC files (the Feather v2 file format).
    Arrow,
}

impl Choice for Format {
    const KIND: &'static str = "format";
    const ALL: &'static [Self] = &[Format::Parquet, Format::Ndjson, Format::Arrow];

    fn name(self) -> &'static str {
        self.known().name()
    }

    fn description(self) -> &'static str {
        match self {
            Format::Parquet => "Apache Parquet (the default)",
            Format::Ndjson => "One JSON object per line, with the original module's key names and nesting",
            Format::Arrow => "Arrow IPC files (the Feather v2 file format)",
        }
    }
}

choice_text!(Format);

impl Format {
    /// The built-in format's type, as the rest of the tool knows it: its
    /// name, codecs, extensions and row count. (Both NDJSON types, of
    /// events and of batches, know the same.)
    pub const fn known(self) -> KnownFormat {
        match self {
            Format::Parquet => KnownFormat::of::<parquet::ParquetFormat>(),
            Format::Ndjson => KnownFormat::of::<ndjson::NdjsonBatches>(),
            Format::Arrow => KnownFormat::of::<ipc::IpcFormat>(),
        }
    }

    /// The file-name extension, with the compression's for NDJSON.
    pub fn extension(self, compression: parquet::Compression) -> &'static str {
        self.known().extension(compression)
    }
}

/// Every built-in format ([`Format::ALL`]), as the tool knows it: the list
/// `verify` and `--overwrite` read files by, which a run or a caller extends
/// with a format of its own ([`KnownFormat::of`]).
pub fn built_in_formats() -> Vec<KnownFormat> {
    Format::ALL.iter().map(|f| f.known()).collect()
}

/// Which tables are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One nested table of events (the default).
    Nested,
    /// A star schema: `events`, `user_actions`, `recommendations`, `search_history`
    /// (keyed by event_id) and the `users` and `content` dimensions, each in its own folder.
    Normalized,
}

impl Choice for Layout {
    const KIND: &'static str = "layout";
    const ALL: &'static [Self] = &[Layout::Nested, Layout::Normalized];

    fn name(self) -> &'static str {
        match self {
            Layout::Nested => "nested",
            Layout::Normalized => "normalized",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Layout::Nested => "One nested table of events (the default)",
            Layout::Normalized => {
                "A star schema: `events`, `user_actions`, `recommendations`, `search_history` \
                 (keyed by event_id) and the `users` and `content` dimensions, each in its own folder"
            }
        }
    }
}

choice_text!(Layout);

/// What a file's rows come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A range of event rows; one file per event table of the layout.
    Events,
    /// A range of user indices (the `users` and `subscriptions` tables).
    Users,
    /// A range of catalog indices (the `content` table).
    Content,
}

/// A slot of the plan: a row range of one source, written to one file per
/// table of that source (one for the nested layout, four for normalized events).
#[derive(Clone, Debug, PartialEq)]
pub struct FileSlot {
    /// Where the rows come from.
    pub source: Source,
    /// One path per table, relative to the output folder.
    pub paths: Vec<String>,
    /// The day of a date partition.
    pub event_date: Option<NaiveDate>,
    /// First row (event row, user index or catalog index).
    pub first_row: u64,
    /// Rows of the source in the slot.
    pub rows: u64,
    /// A late file's rows: the late events it holds, gathered from earlier
    /// days (its rows `first_row..` index them); empty for every other file.
    pub late: Vec<RowOrigin>,
}

/// Splits the dataset into file slots of at most `max_rows_per_file` source
/// rows; with date partitions no event file spans two days.
pub fn plan_files(
    world: &World,
    layout: Layout,
    partition_by: PartitionBy,
    max_rows_per_file: u64,
    extension: &str,
) -> Vec<FileSlot> {
    let mut slots = Vec::new();
    let mut event_tables: Vec<&str> = match layout {
        Layout::Nested => vec![""],
        Layout::Normalized => EVENT_TABLES.to_vec(),
    };
    if world.has_faults() {
        event_tables.push(FAULTS_TABLE);
    }
    let mut split =
        |source: Source, tables: &[&str], first: u64, rows: u64, date: Option<NaiveDate>, mut late: Vec<RowOrigin>| {
            let count = rows.div_ceil(max_rows_per_file);
            // Even file sizes rather than one small leftover file.
            let parts = crate::users::apportion(rows, &vec![1.0; count as usize]);
            let mut start = first;
            let is_late = !late.is_empty();
            let prefix = if is_late { LATE_FILE_PREFIX } else { "part" };
            for (k, n) in parts.into_iter().enumerate() {
                let name = format!("{prefix}-{k:05}.{extension}");
                let paths = tables
                    .iter()
                    .map(|table| {
                        let mut path = String::new();
                        if !table.is_empty() {
                            path.push_str(table);
                            path.push('/');
                        }
                        if let Some(d) = date {
                            path.push_str(&format!("{PARTITION_COLUMN}={d}/"));
                        }
                        path.push_str(&name);
                        path
                    })
                    .collect();
                slots.push(FileSlot {
                    source,
                    paths,
                    event_date: date,
                    first_row: if is_late { 0 } else { start },
                    rows: n,
                    // The file's late rows, taken from the front of the day's.
                    late: {
                        let rest = late.split_off((n as usize).min(late.len()));
                        std::mem::replace(&mut late, rest)
                    },
                });
                start += n;
            }
        };
    match partition_by {
        PartitionBy::Date => {
            let late = world.late_arrivals();
            for (day, arriving) in world.calendar().days().iter().zip(late) {
                if day.rows > 0 {
                    split(
                        Source::Events,
                        &event_tables,
                        day.first_row,
                        day.rows,
                        Some(day.date),
                        Vec::new(),
                    );
                }
                if !arriving.is_empty() {
                    split(
                        Source::Events,
                        &event_tables,
                        0,
                        arriving.len() as u64,
                        Some(day.date),
                        arriving,
                    );
                }
            }
        }
        PartitionBy::None => split(Source::Events, &event_tables, 0, world.rows(), None, Vec::new()),
    }
    if layout == Layout::Normalized {
        let mut user_tables = DIMENSION_TABLES[..USER_TABLES].to_vec();
        if world.has_change_faults() {
            user_tables.push(CHANGE_FAULTS_TABLE);
        }
        split(
            Source::Users,
            &user_tables,
            0,
            world.population().len(),
            None,
            Vec::new(),
        );
        split(
            Source::Content,
            &DIMENSION_TABLES[USER_TABLES..],
            0,
            world.catalog().len() as u64,
            None,
            Vec::new(),
        );
    }
    slots
}

/// The temporary name a file is written under before its rename: hidden,
/// and carrying the run's id, so two runs never share one
/// (`.part-00000.parquet.<run_id>.tmp`).
pub fn temporary_path(final_path: &Path, run_id: &str) -> PathBuf {
    let name = final_path.file_name().and_then(|n| n.to_str()).unwrap_or("part");
    final_path.with_file_name(format!(".{name}.{run_id}.tmp"))
}

/// The names of the files `name` (a file name, no folder) may be a staged
/// name of ([`temporary_path`]): `X` for `.X.<run_id>.tmp` (a run id has
/// no dot), or for `.X.tmp` (older runs); none when it is not staged.
fn staged_targets(name: &str) -> impl Iterator<Item = &str> {
    let inner = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp"));
    inner
        .into_iter()
        .flat_map(|inner| std::iter::once(inner).chain(inner.rsplit_once('.').map(|(target, _)| target)))
}

/// The files a run writes besides its data files, relative to the output
/// folder: a whole run's `_manifest.json`, `_SUCCESS` and journal; part
/// K's own part manifest and journal (`_manifest.json` and `_SUCCESS` are
/// the commit's).
pub fn markers_of(part: Option<parts::PartOf>) -> Vec<String> {
    match part {
        None => vec![MANIFEST_FILE.into(), SUCCESS_FILE.into(), journal::JOURNAL.into()],
        Some(of) => vec![of.manifest_path(), of.journal_path()],
    }
}

/// Removes the files staged under the names of `paths` (relative to
/// `out`; [`temporary_path`]) by any run: what a killed run writing the
/// same files left behind. Only the run that holds the lock of those paths
/// (a whole run's, or part K's own) calls it, so no live run is writing
/// them, and no other file is touched.
///
/// # Errors
/// [`Error::Io`] when one cannot be removed.
pub fn remove_staged<'a>(out: &Path, paths: impl IntoIterator<Item = &'a str>) -> Result<(), Error> {
    let mut planned: std::collections::BTreeMap<&Path, std::collections::HashSet<&str>> =
        std::collections::BTreeMap::new();
    for path in paths {
        let path = Path::new(path);
        let (Some(folder), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
            continue;
        };
        planned.entry(folder).or_default().insert(name);
    }
    for (folder, names) in planned {
        let Ok(entries) = fs::read_dir(out.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str() else {
                continue;
            };
            if staged_targets(name).any(|target| names.contains(target)) {
                fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            }
        }
    }
    Ok(())
}

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "_manifest.json";
/// The marker of a complete dataset.
pub const SUCCESS_FILE: &str = "_SUCCESS";
/// The journal of committed files of a whole run; its lines with a `path`
/// are files of this tool too.
pub const PROGRESS_FILE: &str = journal::JOURNAL;

/// The name of a late file (`late-00000.parquet`): the late events that
/// arrive on its partition's day ([`crate::faults`]).
pub const LATE_FILE_PREFIX: &str = "late";

/// Whether `name` is a folder this tool makes: a date partition or a table.
fn is_our_folder(name: &str) -> bool {
    name.starts_with(&format!("{PARTITION_COLUMN}="))
        || EVENT_TABLES.contains(&name)
        || DIMENSION_TABLES.contains(&name)
        || name == FAULTS_TABLE
}

/// Whether `name` is a staged file of this tool: `.<name>.<run_id>.tmp` or
/// (older runs) `.<name>.tmp`, of a data file of one of `formats`
/// (`part-…` with one of its extensions), the manifest or `_SUCCESS`.
fn is_our_staged_file(name: &str, formats: &[KnownFormat]) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    staged_targets(name).any(|target| {
        (target.starts_with("part-") || target.starts_with(&format!("{LATE_FILE_PREFIX}-")))
            && formats.iter().any(|f| f.names_file(target))
    }) || inner.starts_with(MANIFEST_FILE)
        || inner.starts_with(SUCCESS_FILE)
        || inner == "customer-events-probe"
}

/// The files an earlier run says it wrote (relative paths with `/`): the
/// `files[].path` of its `_manifest.json` and the `path` of each line of
/// its `_progress.jsonl`, plus those two files and `_SUCCESS`. `None` when
/// the folder has neither file of this tool.
fn files_of_earlier_run(out: &Path) -> Option<std::collections::HashSet<String>> {
    let mut listed = std::collections::HashSet::new();
    let mut found = false;
    if let Ok(text) = fs::read_to_string(out.join(MANIFEST_FILE))
        && let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text)
        && manifest["tool"] == "customer-events"
    {
        found = true;
        listed.insert(MANIFEST_FILE.to_string());
        for file in manifest["files"].as_array().into_iter().flatten() {
            if let Some(path) = file["path"].as_str() {
                listed.insert(path.to_string());
            }
        }
    }
    if let Ok(text) = fs::read_to_string(out.join(PROGRESS_FILE)) {
        found = true;
        listed.insert(PROGRESS_FILE.to_string());
        for line in text.lines() {
            if let Ok(entry) = serde_json::from_str::<serde_json::Value>(line)
                && let Some(path) = entry["path"].as_str()
            {
                listed.insert(path.to_string());
            }
        }
    }
    if found {
        listed.insert(SUCCESS_FILE.to_string());
        Some(listed)
    } else {
        None
    }
}

/// What `--overwrite` removes: every file an earlier run listed or staged,
/// then its folders, deepest first.
#[derive(Debug, Default)]
struct Removal {
    files: Vec<PathBuf>,
    folders: Vec<PathBuf>,
}

/// Plans the removal of the earlier output in `out`, or names the first
/// entry (at any depth) this tool did not write (staged files are this
/// tool's when of one of `formats`). Nothing is removed here.
fn plan_removal(out: &Path, formats: &[KnownFormat]) -> Result<Removal, String> {
    // Without a manifest only empty folders and staged files of this tool can go.
    let manifest = files_of_earlier_run(out);
    let no_manifest = manifest.is_none();
    let listed = manifest.unwrap_or_default();
    let mut removal = Removal::default();
    // (folder, its path relative to `out` with a trailing `/` or empty)
    let mut pending = vec![(out.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = pending.pop() {
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(&folder)
            .and_then(|entries| entries.collect())
            .map_err(|e| format!("cannot be read at {} ({e})", folder.display()))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = format!("{prefix}{name}");
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot be read at {} ({e})", path.display()))?;
            if prefix.is_empty() && lock::is_lock_name(&name) {
                continue;
            }
            if kind.is_dir() && is_our_folder(&name) {
                removal.folders.push(path.clone());
                pending.push((path, format!("{relative}/")));
            } else if kind.is_file() && (listed.contains(&relative) || is_our_staged_file(&name, formats)) {
                removal.files.push(path);
            } else if no_manifest {
                return Err(format!(
                    "has no {MANIFEST_FILE} of this tool, so --overwrite cannot tell its files (such as {}) \
                     from others; choose another --out or remove the files yourself",
                    path.display()
                ));
            } else {
                return Err(format!(
                    "holds {}, which this tool did not write; --overwrite only replaces files an earlier \
                     run listed in its {MANIFEST_FILE}, so choose another --out or move that file",
                    path.display()
                ));
            }
        }
    }
    // Folders were found parents first: remove children first.
    removal.folders.reverse();
    Ok(removal)
}

/// Creates `out` if missing and takes its lock `name` ([`PartOf::lock_name`](parts::PartOf::lock_name):
/// refused while another run holds it; a dead run's lock is taken over only
/// with `take_stale`, for `--resume`), before anything in it is read or written.
///
/// # Errors
/// [`Error::Output`] naming the folder, or the lock's holder, and the fix.
pub fn lock_folder(out: &Path, name: &str, take_stale: bool) -> Result<FolderLock, Error> {
    let output_error = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    if out.exists() && !out.is_dir() {
        return Err(output_error("is a file, not a folder; choose another --out".into()));
    }
    fs::create_dir_all(out).map_err(|e| output_error(format!("cannot be created ({e}); choose another --out")))?;
    FolderLock::acquire_named(out, name, take_stale)
}

/// Makes `out` ready for a run and takes its lock: the folder is created if
/// missing, locked (refused if another run holds it), then refused if it
/// holds files other than the lock, unless `overwrite` and every file is
/// one an earlier run of this tool listed in its manifest (or staged),
/// which are then removed with their folders, or `resume` (the caller
/// checks the folder's journal), which keeps them. Foreign files at any
/// depth refuse an overwrite before anything is removed. Staged files are
/// this tool's when they are of one of `formats` (the built-in ones and the
/// run's own).
///
/// # Errors
/// [`Error::Output`] naming the folder (or the foreign file) and the fix;
/// [`Error::Io`] when a listed file cannot be removed.
pub fn prepare_folder(out: &Path, overwrite: bool, resume: bool, formats: &[KnownFormat]) -> Result<FolderLock, Error> {
    let output_error = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    let lock = lock_folder(out, lock::LOCK_FILE, resume)?;
    let mut entries = fs::read_dir(out)
        .map_err(|e| output_error(format!("cannot be read ({e}); choose another --out")))?
        .filter(|e| {
            e.as_ref()
                .map_or(true, |e| !lock::is_lock_name(&e.file_name().to_string_lossy()))
        });
    if let Some(entry) = entries.next().filter(|_| !resume) {
        entry.map_err(|e| output_error(format!("cannot be read ({e})")))?;
        if !overwrite {
            return Err(output_error(
                "already holds files; pass --overwrite to replace them, or choose another --out".into(),
            ));
        }
        let removal = plan_removal(out, formats).map_err(output_error)?;
        for file in &removal.files {
            fs::remove_file(file).map_err(|e| Error::io(file, e))?;
        }
        for folder in &removal.folders {
            fs::remove_dir(folder).map_err(|e| Error::io(folder, e))?;
        }
    }
    Ok(lock)
}

/// A written file, as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WrittenFile {
    /// Path relative to the output folder.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32 of the file's bytes (IEEE, as zlib's `crc32`): 8 lowercase hex digits.
    pub crc32: String,
}

/// A CRC-32 as the manifest writes it: 8 lowercase hex digits.
pub fn crc32_text(crc32: u32) -> String {
    format!("{crc32:08x}")
}

/// The CRC-32 and size of the file at `path`, read in 1 MiB blocks.
///
/// # Errors
/// [`Error::Io`] when it cannot be read.
pub fn file_checksum(path: &Path) -> Result<(u64, u32), Error> {
    use std::io::Read;
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok((bytes, hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
}

/// `_manifest.json`: what was generated, how, and every file with its rows.
/// It holds no wall-clock time, so the same run writes the same manifest.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    /// Always `customer-events`.
    pub tool: &'static str,
    /// Version of the tool.
    pub tool_version: &'static str,
    /// Version of the row layout.
    pub schema_version: u32,
    /// The dataset's config.
    pub config: &'a Config,
    /// Users in the universe (resolved from the config).
    pub users: u64,
    /// Output options (format, layout, compression, file sizes).
    pub output: &'a serde_json::Value,
    /// Leaf values written (every struct field and list element counts).
    pub cells: u64,
    /// Total rows.
    pub rows: u64,
    /// Every file.
    pub files: &'a [WrittenFile],
    /// How many parts the dataset was split into; only in a part's own
    /// manifest (`_parts/`, see [`parts`]), never in `_manifest.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<u32>,
    /// Which part (1-based); only in a part's own manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
}

/// Writes `_manifest.json` then `_SUCCESS`.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written.
pub fn finish_folder(out: &Path, manifest: &Manifest<'_>, run_id: &str) -> Result<(), Error> {
    let path = out.join(MANIFEST_FILE);
    let text = serde_json::to_string_pretty(manifest).expect("manifest serializes");
    write_atomically(&path, text.as_bytes(), run_id)?;
    write_atomically(&out.join(SUCCESS_FILE), b"", run_id)
}

pub(crate) fn write_atomically(path: &Path, bytes: &[u8], run_id: &str) -> Result<(), Error> {
    let tmp = temporary_path(path, run_id);
    fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_are_recognized_by_the_extensions_of_the_known_formats() {
        let formats = built_in_formats();
        for ours in [
            ".part-00000.parquet.run42.tmp",
            ".part-00000.parquet.tmp",
            ".part-00003.arrow.run42.tmp",
            ".part-00001.ndjson.tmp",
            ".part-00001.ndjson.gz.run42.tmp",
            ".part-00001.ndjson.zst.run42.tmp",
            "._manifest.json.run42.tmp",
            "._SUCCESS.tmp",
        ] {
            assert!(is_our_staged_file(ours, &formats), "{ours}");
        }
        for theirs in [
            ".part-00000.txt.run42.tmp",
            ".part-00000.ndjson.bz2.run42.tmp",
            ".notes.parquet.run42.tmp",
            "part-00000.parquet",
            ".part-00000.parquet",
        ] {
            assert!(!is_our_staged_file(theirs, &formats), "{theirs}");
        }
        let ndjson = Format::Ndjson.known();
        assert_eq!(ndjson.extensions(), ["ndjson", "ndjson.gz", "ndjson.zst"]);
        assert_eq!(Format::Arrow.known().extensions(), ["arrow"]);
        assert_eq!(Format::Parquet.known().extensions(), ["parquet"]);
    }

    #[test]
    fn only_the_staged_files_of_the_given_paths_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("day")).unwrap();
        fs::create_dir_all(dir.path().join("_parts")).unwrap();
        for name in [
            "day/.part-00000.parquet.tmp",
            "day/.part-00000.parquet.run42.tmp",
            "day/.part-00009.parquet.tmp",
            "day/.part-00000.parquet",
            "day/.notes.tmp",
            "day/part-00000.parquet",
            "._manifest.json.run1.tmp",
            "_parts/.progress-00002-of-00003.jsonl.run1.tmp",
            "_parts/.part-00001-of-00003.json.run5.tmp",
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        let part = parts::PartOf::new(3, 2).unwrap();
        let mut paths = vec!["day/part-00000.parquet".to_string()];
        paths.extend(markers_of(Some(part)));
        remove_staged(dir.path(), paths.iter().map(String::as_str)).unwrap();
        let mut left: Vec<String> = Vec::new();
        for folder in ["day", "_parts", ""] {
            for entry in fs::read_dir(dir.path().join(folder)).unwrap() {
                let entry = entry.unwrap();
                if entry.file_type().unwrap().is_file() {
                    left.push(format!("{folder}/{}", entry.file_name().to_string_lossy()));
                }
            }
        }
        left.sort();
        // Another part's staged manifest, the commit's staged marker, other
        // files' staged names and files that are not staged stay.
        assert_eq!(
            left,
            [
                "/._manifest.json.run1.tmp",
                "_parts/.part-00001-of-00003.json.run5.tmp",
                "day/.notes.tmp",
                "day/.part-00000.parquet",
                "day/.part-00009.parquet.tmp",
                "day/part-00000.parquet",
            ]
        );
    }
}
