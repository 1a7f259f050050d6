//! `generate --resume`: which files of an interrupted run can be kept, and
//! which slots of the plan are still to write.
//!
//! A run's journal ([`crate::sink::journal`]; a part's own) lists every
//! file it committed. Resuming checks that the journal was written by the
//! same config and output options and keeps each slot whose files all match
//! their journal entry on disk (size and a recomputed CRC-32); the engine
//! removes the staged files the interrupted run left
//! ([`crate::sink::remove_staged`]) and writes the rest; the result is
//! byte-identical to an uninterrupted run.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::Error;
use crate::sink::journal::{self, Entry};
use crate::sink::parts::PartOf;
use crate::sink::{FileSlot, SUCCESS_FILE, crc32_text, file_checksum};

/// The complete slots of an interrupted run in `out` (of part `part`, or
/// of a whole run), by index in `slots`, with their journal entries in the
/// slot's path order.
///
/// # Errors
/// [`Error::Output`] (exit 2) when there is nothing to resume: a complete
/// dataset (`_SUCCESS`), a complete part (its part manifest), no journal,
/// or a journal of another config or output options (naming the first
/// differing key); [`Error::Io`] when a file cannot be read.
pub fn completed_slots(
    out: &Path,
    part: Option<PartOf>,
    identity: &Value,
    slots: &[FileSlot],
) -> Result<BTreeMap<usize, Vec<Entry>>, Error> {
    let refuse = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    if out.join(SUCCESS_FILE).exists() {
        return Err(refuse(format!(
            "holds a complete dataset ({SUCCESS_FILE}): nothing to resume"
        )));
    }
    if let Some(of) = part
        && out.join(of.manifest_path()).exists()
    {
        return Err(refuse(format!(
            "already holds the whole of part {} of {} ({}): nothing to resume; once every part is there, \
             `customer-events commit {}` commits the dataset (to write the part again, use --overwrite instead of --resume)",
            of.part,
            of.parts,
            of.manifest_path(),
            out.display()
        )));
    }
    let journal = journal::path_of(part);
    let Some((recorded, entries)) = journal::read(out, &journal)? else {
        return Err(refuse(format!(
            "has no {journal} journal, so there is nothing to resume; run without --resume"
        )));
    };
    if let Some(key) = first_difference(identity, &recorded, "") {
        return Err(refuse(format!(
            "was written with another `{key}` than this run's; --resume needs the same config and output options"
        )));
    }
    let by_path: BTreeMap<&str, &Entry> = entries.iter().map(|e| (e.file.path.as_str(), e)).collect();
    let mut done = BTreeMap::new();
    for (index, slot) in slots.iter().enumerate() {
        let kept: Option<Vec<Entry>> = slot
            .paths
            .iter()
            .map(|path| {
                let entry = *by_path.get(path.as_str())?;
                let on_disk = file_checksum(&out.join(path)).ok()?;
                (on_disk.0 == entry.file.bytes && crc32_text(on_disk.1) == entry.file.crc32).then(|| entry.clone())
            })
            .collect();
        if let Some(kept) = kept {
            done.insert(index, kept);
        }
    }
    Ok(done)
}

/// The indices of `slots` still to write: those not in `done`.
pub fn pending_slots(slots: &[FileSlot], done: &BTreeMap<usize, Vec<Entry>>) -> Vec<usize> {
    (0..slots.len()).filter(|i| !done.contains_key(i)).collect()
}

/// The dotted key of the first value that differs between `ours` and
/// `theirs` (in `ours`' key order), or `None` when they are equal.
fn first_difference(ours: &Value, theirs: &Value, prefix: &str) -> Option<String> {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .find_map(|(key, value)| match b.get(key) {
                Some(other) => first_difference(value, other, &join(key)),
                None => Some(join(key)),
            })
            .or_else(|| b.keys().find(|key| !a.contains_key(*key)).map(|key| join(key))),
        _ if ours == theirs => None,
        _ => Some(if prefix.is_empty() {
            "identity".into()
        } else {
            prefix.to_string()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Source;

    fn slot(paths: &[&str]) -> FileSlot {
        FileSlot {
            source: Source::Events,
            paths: paths.iter().map(|p| p.to_string()).collect(),
            event_date: None,
            first_row: 0,
            rows: 1,
            late: Vec::new(),
        }
    }

    #[test]
    fn the_first_differing_key_is_named() {
        let ours = serde_json::json!({"config": {"rows": 5, "seed": 1}, "output": {"format": "parquet"}});
        let theirs = serde_json::json!({"config": {"rows": 5, "seed": 2}, "output": {"format": "arrow"}});
        assert_eq!(first_difference(&ours, &theirs, "").as_deref(), Some("config.seed"));
        assert_eq!(first_difference(&ours, &ours, ""), None);
    }

    #[test]
    fn pending_slots_are_those_not_done() {
        let slots = vec![slot(&["a"]), slot(&["b"]), slot(&["c"])];
        let done = BTreeMap::from([(1, Vec::new())]);
        assert_eq!(pending_slots(&slots, &done), vec![0, 2]);
    }
}
