//! `customer-events verify OUT`: checks a dataset against its manifest.
//!
//! Every listed file must be present with its size and CRC-32, its footer or
//! content readable with the manifest's row count (counted by the format its
//! extension names, [`FileFormat::count_rows`](crate::sink::format::FileFormat::count_rows):
//! Parquet the row groups' rows in the footer, Arrow IPC the rows of its
//! batches, NDJSON the lines, decompressed; [`verify_with`] knows formats
//! defined outside the crate too), no file may be there that the manifest does not list
//! (other than `_manifest.json` and `_SUCCESS`), and `_SUCCESS` must be
//! present.
//!
//! A Delta table (a `_delta_log/` and no manifest) is checked against its
//! log instead (its newest checkpoint and the commits after it): every file
//! its versions add (and no later one removes) must
//! be present with the size and row count the log gives, and no data file
//! may be in a day folder that the log does not list (what an interrupted
//! window leaves).

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::sink::format::KnownFormat;
use crate::sink::{built_in_formats, crc32_text, file_checksum};

/// One thing wrong with a dataset: the file (relative to the dataset's
/// folder) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the dataset's folder.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The part of `_manifest.json` a check needs.
#[derive(Deserialize)]
struct ListedManifest {
    files: Vec<ListedFile>,
}

/// A file as the manifest lists it (`crc32` is missing from manifests of
/// earlier versions, which are then checked without it).
#[derive(Deserialize)]
struct ListedFile {
    path: String,
    rows: u64,
    bytes: u64,
    crc32: Option<String>,
}

/// What the dataset in `out` holds that its manifest says it should not
/// (empty when it is intact). Files are read by the built-in formats.
///
/// # Errors
/// [`Error::Output`] when `out` has no readable `_manifest.json`.
pub fn verify(out: &Path) -> Result<Vec<Problem>, Error> {
    verify_with(out, &[])
}

/// [`verify`], reading files of `formats` (e.g. `KnownFormat::of::<F>()`
/// for a format `F` written with `engine::generate_with`) as well as of the
/// built-in formats; a file is read by the first format, `formats` first,
/// whose extension it has.
///
/// # Errors
/// As [`verify`].
pub fn verify_with(out: &Path, formats: &[KnownFormat]) -> Result<Vec<Problem>, Error> {
    let known: Vec<KnownFormat> = formats.iter().copied().chain(built_in_formats()).collect();
    let count_rows = |path: &Path, name: &str| match known.iter().find(|f| f.names_file(name)) {
        Some(format) => format.count_rows(path),
        None => Err("not a file this tool writes (unknown extension)".to_string()),
    };
    let manifest_path = out.join("_manifest.json");
    if !manifest_path.exists() && out.join(crate::table::delta::LOG_FOLDER).is_dir() {
        return verify_table(out, count_rows);
    }
    let unusable = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    let text = fs::read_to_string(&manifest_path).map_err(|e| {
        unusable(format!(
            "has no readable _manifest.json ({e}); is it a dataset of this tool?"
        ))
    })?;
    let manifest: ListedManifest =
        serde_json::from_str(&text).map_err(|e| unusable(format!("_manifest.json is not a manifest ({e})")))?;
    let mut problems = Vec::new();
    let mut problem = |path: &str, message: String| {
        problems.push(Problem {
            path: path.to_string(),
            message,
        })
    };
    for listed in &manifest.files {
        let path = out.join(&listed.path);
        if !path.is_file() {
            problem(&listed.path, "missing".into());
            continue;
        }
        let (bytes, crc32) = file_checksum(&path)?;
        if bytes != listed.bytes {
            problem(
                &listed.path,
                format!("{bytes} bytes, the manifest says {}", listed.bytes),
            );
        } else if let Some(expected) = listed.crc32.as_deref().filter(|e| *e != crc32_text(crc32)) {
            problem(
                &listed.path,
                format!("CRC-32 {}, the manifest says {expected}", crc32_text(crc32)),
            );
        }
        match count_rows(&path, &listed.path) {
            Ok(rows) if rows == listed.rows => {}
            Ok(rows) => problem(&listed.path, format!("{rows} rows, the manifest says {}", listed.rows)),
            Err(message) => problem(&listed.path, message),
        }
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for found in files_under(out)? {
        if !listed.contains(found.as_str()) && found != "_manifest.json" && found != "_SUCCESS" {
            problem(&found, "not listed in the manifest".into());
        }
    }
    if !out.join("_SUCCESS").is_file() {
        problem(
            "_SUCCESS",
            "missing: the run that wrote this dataset did not finish".into(),
        );
    }
    Ok(problems)
}

/// A file a Delta log adds: its size and the rows its statistics give.
struct AddedByLog {
    bytes: u64,
    rows: Option<u64>,
}

/// What the Delta table in `out` holds that its log says it should not.
/// The log is read as a reader reads it: from the newest checkpoint and the
/// commits after it.
fn verify_table(out: &Path, count_rows: impl Fn(&Path, &str) -> Result<u64, String>) -> Result<Vec<Problem>, Error> {
    let store = crate::table::store::LocalStore::new(out);
    let state = crate::table::delta::read_log(&store, out, None)?.ok_or_else(|| Error::Output {
        path: out.to_path_buf(),
        message: "has a _delta_log/ without commits; is it a Delta table?".into(),
    })?;
    let added: std::collections::BTreeMap<String, AddedByLog> = state
        .files
        .iter()
        .map(|(name, add)| {
            let rows = add["stats"]
                .as_str()
                .and_then(|stats| serde_json::from_str::<serde_json::Value>(stats).ok())
                .and_then(|stats| stats["numRecords"].as_u64());
            let bytes = add["size"].as_u64().unwrap_or_default();
            (name.clone(), AddedByLog { bytes, rows })
        })
        .collect();
    let mut problems = Vec::new();
    let mut problem = |path: &str, message: String| {
        problems.push(Problem {
            path: path.to_string(),
            message,
        })
    };
    for (name, listed) in &added {
        let path = out.join(name);
        let Ok(metadata) = fs::metadata(&path) else {
            problem(name, "missing".into());
            continue;
        };
        if metadata.len() != listed.bytes {
            problem(name, format!("{} bytes, the log says {}", metadata.len(), listed.bytes));
        }
        match (count_rows(&path, name), listed.rows) {
            (Ok(rows), Some(expected)) if rows != expected => {
                problem(name, format!("{rows} rows, the log says {expected}"));
            }
            (Err(message), _) => problem(name, message),
            _ => {}
        }
    }
    // The days the log holds: a ground truth's day (`_faults/event_date=…`)
    // of none of them was left by a window that did not commit.
    let days: std::collections::BTreeSet<&str> = added.keys().filter_map(|name| name.split('/').next()).collect();
    for found in files_under(out)? {
        let in_day = found
            .split('/')
            .next()
            .is_some_and(|top| top.starts_with("event_date="));
        let truth_of_no_day = found
            .strip_prefix(&format!("{}/", crate::faults::FAULTS_TABLE))
            .and_then(|rest| rest.split('/').next())
            .is_some_and(|day| day.starts_with("event_date=") && !days.contains(day));
        if (in_day && !added.contains_key(&found)) || truth_of_no_day {
            problem(&found, "not in the log: an interrupted window left it".into());
        }
    }
    Ok(problems)
}

/// Every file under `out`, as a `/`-separated path relative to it, sorted.
fn files_under(out: &Path) -> Result<Vec<String>, Error> {
    let mut found = Vec::new();
    let mut folders = vec![out.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))? {
            let entry = entry.map_err(|e| Error::io(&folder, e))?;
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(out).expect("under out");
                let parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                found.push(parts.join("/"));
            }
        }
    }
    found.sort();
    Ok(found)
}
