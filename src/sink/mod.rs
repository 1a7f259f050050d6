//! Where rows go: the file plan (which rows land in which file under which
//! Hive partition), the output folder's safety rules, and the manifest.
//!
//! A file appears only when complete: it is written under a hidden temporary
//! name (`.part-00000.parquet.tmp`, which DuckDB's `*.parquet` globs and
//! Spark's hidden-file rule both skip) and renamed at the end. `_SUCCESS` and
//! `_manifest.json` are written last, after every file.

pub mod parquet;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Config;
use crate::error::Error;
use crate::schema::PARTITION_COLUMN;
use crate::world::World;

/// How files are grouped into folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartitionBy {
    /// `event_date=YYYY-MM-DD/part-NNNNN.parquet`, one folder per day.
    Date,
    /// Flat `part-NNNNN.parquet` files.
    None,
}

/// A file to write: which rows, and where.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FilePlan {
    /// Path relative to the output folder.
    pub path: String,
    /// The day of a date partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_date: Option<NaiveDate>,
    /// Global index of the first row.
    pub first_row: u64,
    /// Rows in the file.
    pub rows: u64,
}

/// Splits the dataset's rows into files of at most `max_rows_per_file`
/// rows; with date partitions no file spans two days.
pub fn plan_files(world: &World, partition_by: PartitionBy, max_rows_per_file: u64) -> Vec<FilePlan> {
    let mut files = Vec::new();
    let split = |first: u64, rows: u64, date: Option<NaiveDate>, files: &mut Vec<FilePlan>| {
        let count = rows.div_ceil(max_rows_per_file);
        // Even file sizes within the day rather than one small leftover file.
        let parts = crate::users::apportion(rows, &vec![1.0; count as usize]);
        let mut start = first;
        for (k, n) in parts.into_iter().enumerate() {
            let name = format!("part-{k:05}.parquet");
            let path = match date {
                Some(d) => format!("{PARTITION_COLUMN}={d}/{name}"),
                None => name,
            };
            files.push(FilePlan {
                path,
                event_date: date,
                first_row: start,
                rows: n,
            });
            start += n;
        }
    };
    match partition_by {
        PartitionBy::Date => {
            for day in world.calendar().days().iter().filter(|d| d.rows > 0) {
                split(day.first_row, day.rows, Some(day.date), &mut files);
            }
        }
        PartitionBy::None => split(0, world.rows(), None, &mut files),
    }
    files
}

/// The temporary name a file is written under before its rename.
pub fn temporary_path(final_path: &Path) -> PathBuf {
    let name = final_path.file_name().and_then(|n| n.to_str()).unwrap_or("part");
    final_path.with_file_name(format!(".{name}.tmp"))
}

fn is_ours(name: &str) -> bool {
    name.starts_with(&format!("{PARTITION_COLUMN}="))
        || (name.starts_with("part-") && name.ends_with(".parquet"))
        || (name.starts_with('.') && name.ends_with(".tmp"))
        || name == "_SUCCESS"
        || name == "_manifest.json"
}

/// Makes `out` ready for a run: created if missing; refused if it holds
/// files, unless `overwrite` and every entry is output of this tool, which
/// is then removed.
///
/// # Errors
/// [`Error::Output`] naming the folder and the fix.
pub fn prepare_folder(out: &Path, overwrite: bool) -> Result<(), Error> {
    let output_error = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    if out.exists() {
        if !out.is_dir() {
            return Err(output_error("is a file, not a folder; choose another --out".into()));
        }
        let entries: Vec<fs::DirEntry> = fs::read_dir(out)
            .map_err(|e| output_error(format!("cannot be read ({e}); choose another --out")))?
            .collect::<Result<_, _>>()
            .map_err(|e| output_error(format!("cannot be read ({e})")))?;
        if !entries.is_empty() {
            if !overwrite {
                return Err(output_error(
                    "already holds files; pass --overwrite to replace them, or choose another --out".into(),
                ));
            }
            if let Some(stranger) = entries.iter().find(|e| !is_ours(&e.file_name().to_string_lossy())) {
                return Err(output_error(format!(
                    "holds {:?}, which this tool did not write; --overwrite only replaces earlier output, so choose another --out",
                    stranger.file_name()
                )));
            }
            for entry in entries {
                let path = entry.path();
                let removed = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    fs::create_dir_all(out).map_err(|e| output_error(format!("cannot be created ({e}); choose another --out")))?;
    // Probe writability now rather than after the first row group.
    let probe = out.join(".customer-events-probe.tmp");
    fs::write(&probe, b"").map_err(|e| output_error(format!("is not writable ({e}); choose another --out")))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// A written file, as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WrittenFile {
    /// Path relative to the output folder.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
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
    /// Output options.
    pub output: &'a serde_json::Value,
    /// Total rows.
    pub rows: u64,
    /// Every file.
    pub files: &'a [WrittenFile],
}

/// Writes `_manifest.json` then `_SUCCESS`.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written.
pub fn finish_folder(out: &Path, manifest: &Manifest<'_>) -> Result<(), Error> {
    let path = out.join("_manifest.json");
    let text = serde_json::to_string_pretty(manifest).expect("manifest serializes");
    write_atomically(&path, text.as_bytes())?;
    write_atomically(&out.join("_SUCCESS"), b"")
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = temporary_path(path);
    fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
