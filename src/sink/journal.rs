//! `_progress.jsonl`, the journal of a run in progress: its first line is the
//! run's identity (the config and output options the manifest embeds), then
//! one line per committed file (path, rows, bytes, CRC-32, leaf values),
//! appended and synced by the ordered writer right after the file's rename.
//! An interrupted run (even `kill -9`) so loses at most the files in flight,
//! and `generate --resume` knows which files it can keep. A complete run
//! removes the journal after writing `_manifest.json` and `_SUCCESS`.
//!
//! Part K of N (`--parts N --part K`) keeps its own journal,
//! `_parts/progress-0000K-of-0000N.jsonl` ([`path_of`]), so parts writing
//! into one folder at once never replace or remove each other's, and a
//! killed part resumes from its own; it goes when the part has written its
//! part manifest (or with `_parts/` when the dataset is committed).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::WrittenFile;
use super::parts::PartOf;
use crate::config::Config;
use crate::error::Error;

/// The journal's name in the output folder (of a whole run).
pub const JOURNAL: &str = "_progress.jsonl";

/// The journal of a run, relative to the output folder: [`JOURNAL`] for a
/// whole run, [`PartOf::journal_path`] for a part.
pub fn path_of(part: Option<PartOf>) -> String {
    part.map_or_else(|| JOURNAL.to_string(), PartOf::journal_path)
}

/// A committed file, as the journal records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The file, as the manifest will list it.
    #[serde(flatten)]
    pub file: WrittenFile,
    /// Leaf values generated for the file's slot, counted on the slot's
    /// first file (0 on the others), so a dataset's entries sum to its
    /// manifest's `cells`.
    pub cells: u64,
}

/// What makes two runs write the same files: the tool, the row layout's
/// version, the config and the output options (as the manifest embeds them).
pub fn identity(config: &Config, output: &Value) -> Value {
    serde_json::json!({
        "tool": "customer-events",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "schema_version": crate::schema::SCHEMA_VERSION,
        "config": config,
        "output": output,
    })
}

/// The open journal of a run.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Starts the journal `relative` ([`path_of`]) in `out`: the `identity`
    /// line, then the `kept` entries of a resumed run, written under run
    /// `run_id`'s temporary name and renamed over any earlier journal, then
    /// opened for appending.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    pub fn start(out: &Path, relative: &str, identity: &Value, kept: &[Entry], run_id: &str) -> Result<Self, Error> {
        let path = out.join(relative);
        let mut text = serde_json::to_string(identity).expect("identity serializes");
        text.push('\n');
        for entry in kept {
            text.push_str(&serde_json::to_string(entry).expect("entry serializes"));
            text.push('\n');
        }
        let temporary = super::temporary_path(&path, run_id);
        let mut staged = File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
        staged
            .write_all(text.as_bytes())
            .map_err(|e| Error::io(&temporary, e))?;
        staged.sync_data().map_err(|e| Error::io(&temporary, e))?;
        drop(staged);
        fs::rename(&temporary, &path).map_err(|e| Error::io(&path, e))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(Self { file, path })
    }

    /// Appends `entry` as one line and syncs it to the disk.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    pub fn record(&mut self, entry: &Entry) -> Result<(), Error> {
        let mut line = serde_json::to_string(entry).expect("entry serializes");
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }
}

/// The journal `relative` ([`path_of`]) of `out`: its identity line and
/// its entries (a later entry for a path replaces an earlier one; a line
/// cut short by a kill is skipped). `None` when there is no journal.
///
/// # Errors
/// [`Error::Io`] when it cannot be read; [`Error::Output`] when its first
/// line is not a run's identity.
pub fn read(out: &Path, relative: &str) -> Result<Option<(Value, Vec<Entry>)>, Error> {
    let path = out.join(relative);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let mut lines = text.lines();
    let identity: Value = lines
        .next()
        .and_then(|line| serde_json::from_str(line).ok())
        .filter(Value::is_object)
        .ok_or_else(|| Error::Output {
            path: out.to_path_buf(),
            message: format!("{relative} does not start with a run's config; remove the folder or use --overwrite"),
        })?;
    let mut entries: Vec<Entry> = Vec::new();
    for entry in lines.filter_map(|line| serde_json::from_str::<Entry>(line).ok()) {
        entries.retain(|e| e.file.path != entry.file.path);
        entries.push(entry);
    }
    Ok(Some((identity, entries)))
}

/// Removes the journal `relative` of `out` (its run is complete).
///
/// # Errors
/// [`Error::Io`] when it exists and cannot be removed.
pub fn remove(out: &Path, relative: &str) -> Result<(), Error> {
    let path = out.join(relative);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&path, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, bytes: u64) -> Entry {
        Entry {
            file: WrittenFile {
                path: path.into(),
                rows: 10,
                bytes,
                crc32: "0000abcd".into(),
            },
            cells: 7,
        }
    }

    #[test]
    fn entries_read_back_with_later_lines_winning_and_torn_lines_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let identity = serde_json::json!({"config": {"seed": 1}});
        let mut journal = Journal::start(dir.path(), JOURNAL, &identity, &[entry("a", 1)], "run1").unwrap();
        journal.record(&entry("b", 2)).unwrap();
        journal.record(&entry("a", 3)).unwrap();
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(dir.path().join(JOURNAL)).unwrap();
        file.write_all(b"{\"path\":\"c\",\"ro").unwrap();
        let (read_identity, entries) = read(dir.path(), JOURNAL).unwrap().unwrap();
        assert_eq!(read_identity, identity);
        assert_eq!(entries, vec![entry("b", 2), entry("a", 3)]);
        remove(dir.path(), JOURNAL).unwrap();
        assert!(read(dir.path(), JOURNAL).unwrap().is_none());
    }
}
