//! A dataset written in parts (`--parts N --part K`), on as many machines,
//! and their commit into one dataset.
//!
//! Part K writes whole file slots of the plan ([`slots_of_part`]): a
//! contiguous run of slots, balanced by rows, decided by the plan alone, so
//! its files are the very files (names and bytes) a single run writes for
//! those rows. Instead of `_manifest.json` and `_SUCCESS` it writes its own
//! manifest, `_parts/part-0000K-of-0000N.json`: the fields of
//! `_manifest.json` for its share, plus `parts` and `part`. [`commit`]
//! merges the part manifests into the `_manifest.json` a single run writes,
//! byte for byte, removes `_parts/` and writes `_SUCCESS`; the last part to
//! finish calls it itself. A [`Place`] is where the parts are: a local
//! folder or a prefix of an object store.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::object::ObjectOutput;
use super::{FileSlot, Manifest, WrittenFile, write_atomically};
use crate::config::Config;
use crate::error::Error;

/// The folder of the part manifests, inside the output folder.
pub const PARTS_FOLDER: &str = "_parts";

/// Where a dataset's files and part manifests are.
#[derive(Clone, Copy, Debug)]
pub enum Place<'a> {
    /// A local folder.
    Folder(&'a Path),
    /// A prefix of an object store.
    Store(&'a ObjectOutput),
}

impl Place<'_> {
    /// The folder or URL, for messages.
    fn name(&self) -> PathBuf {
        match self {
            Place::Folder(out) => out.to_path_buf(),
            Place::Store(output) => output.url().to_path_buf(),
        }
    }

    fn output_error(&self, message: String) -> Error {
        Error::Output {
            path: self.name(),
            message,
        }
    }

    /// The text of `relative`, `None` if it is missing.
    fn read(&self, relative: &str) -> Result<Option<String>, Error> {
        match self {
            Place::Folder(out) => {
                let path = out.join(relative);
                match fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io(&path, e)),
                }
            }
            Place::Store(output) => Ok(output
                .read(relative)?
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())),
        }
    }

    /// Writes `relative` whole (a staged file renamed, or one object).
    fn write(&self, relative: &str, bytes: &[u8]) -> Result<(), Error> {
        match self {
            Place::Folder(out) => write_atomically(&out.join(relative), bytes, &staging_id()),
            Place::Store(output) => output.put(relative, bytes),
        }
    }

    /// The size of `relative`, `None` if it is missing.
    fn size(&self, relative: &str) -> Result<Option<u64>, Error> {
        match self {
            Place::Folder(out) => Ok(fs::metadata(out.join(relative)).map(|m| m.len()).ok()),
            Place::Store(output) => output.size(relative),
        }
    }

    /// The names (not paths) in `_parts/`.
    fn part_names(&self) -> Result<Vec<String>, Error> {
        match self {
            Place::Folder(out) => {
                let folder = out.join(PARTS_FOLDER);
                let entries = match fs::read_dir(&folder) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(Error::io(&folder, e)),
                };
                entries
                    .map(|entry| {
                        entry
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .map_err(|e| Error::io(&folder, e))
                    })
                    .collect()
            }
            Place::Store(output) => Ok(output
                .list(PARTS_FOLDER)?
                .into_iter()
                .filter_map(|o| o.strip_prefix(&format!("{PARTS_FOLDER}/")).map(str::to_string))
                .collect()),
        }
    }

    /// Removes `_parts/` and what it holds.
    fn remove_parts(&self) -> Result<(), Error> {
        match self {
            Place::Folder(out) => {
                let parts_folder = out.join(PARTS_FOLDER);
                match fs::remove_dir_all(&parts_folder) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&parts_folder, e)),
                    _ => Ok(()),
                }
            }
            Place::Store(output) => {
                for name in self.part_names()? {
                    output.delete(&format!("{PARTS_FOLDER}/{name}"))?;
                }
                Ok(())
            }
        }
    }
}

/// Which part of how many a run writes (1-based, like tpchgen-cli).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartOf {
    /// How many parts the dataset is split into.
    pub parts: u32,
    /// This run's part, `1..=parts`.
    pub part: u32,
}

impl PartOf {
    /// The lock of this part's run, `.customer-events.part-0000K-of-0000N.lock`
    /// (a whole run's is `LOCK_FILE`), so the parts of a dataset write into one
    /// folder or prefix at once (their files never overlap) while a second run
    /// of the same part is refused.
    pub fn lock_name(self) -> String {
        format!(".customer-events.part-{:05}-of-{:05}.lock", self.part, self.parts)
    }

    /// Part `part` of `parts`.
    ///
    /// # Errors
    /// [`Error::Option`] unless `1 <= part <= parts`.
    pub fn new(parts: u32, part: u32) -> Result<Self, Error> {
        if parts == 0 {
            return Err(Error::Option {
                flag: "--parts",
                message: "must be at least 1".into(),
            });
        }
        if part == 0 || part > parts {
            return Err(Error::Option {
                flag: "--part",
                message: format!("{part} is not a part of {parts}; parts are numbered 1 to {parts}"),
            });
        }
        Ok(Self { parts, part })
    }

    /// The part manifest's path relative to the output folder,
    /// `_parts/part-0000K-of-0000N.json`.
    pub fn manifest_path(self) -> String {
        format!("{PARTS_FOLDER}/part-{:05}-of-{:05}.json", self.part, self.parts)
    }

    /// The part's journal relative to the output folder,
    /// `_parts/progress-0000K-of-0000N.jsonl` (see [`super::journal`]): each
    /// part keeps its own, so a killed part resumes whatever the others did.
    pub fn journal_path(self) -> String {
        format!("{PARTS_FOLDER}/progress-{:05}-of-{:05}.jsonl", self.part, self.parts)
    }
}

/// Where part k of n (0-based, `0..n`) starts in `rows` (the rows of each
/// slot): `n + 1` bounds, first 0, last `rows.len()`. A slot goes to the part
/// its cumulative-row midpoint falls in, `[k, k + 1) · total / n`, and every
/// part keeps at least one slot (`n <= rows.len()`).
fn part_bounds(rows: &[u64], n: usize) -> Vec<usize> {
    let total: u128 = rows.iter().map(|&r| u128::from(r)).sum::<u128>().max(1);
    // The part of each slot by its midpoint (twice the midpoint, to stay in integers).
    let mut before = 0u128;
    let part_of: Vec<usize> = rows
        .iter()
        .map(|&r| {
            let twice_mid = 2 * before + u128::from(r);
            before += u128::from(r);
            ((twice_mid * n as u128) / (2 * total)).min(n as u128 - 1) as usize
        })
        .collect();
    let mut bounds = vec![0; n + 1];
    bounds[n] = rows.len();
    for k in 1..n {
        let by_rows = part_of.partition_point(|&p| p < k);
        // At least one slot for each part before and after.
        bounds[k] = by_rows.max(bounds[k - 1] + 1).min(rows.len() - (n - k));
    }
    bounds
}

/// The slots of `slots` (the whole plan) that part `part` writes: a
/// contiguous run, balanced by rows (see `part_bounds`), never empty.
///
/// # Errors
/// [`Error::Option`] naming `--parts` when there are more parts than slots.
pub fn slots_of_part(slots: Vec<FileSlot>, part: PartOf) -> Result<Vec<FileSlot>, Error> {
    let n = part.parts as usize;
    if n > slots.len() {
        return Err(Error::Option {
            flag: "--parts",
            message: format!(
                "{n} is more than the {} files of the plan (a part writes whole files); use at most {}, or a smaller --max-rows-per-file",
                slots.len(),
                slots.len()
            ),
        });
    }
    let rows: Vec<u64> = slots.iter().map(|s| s.rows).collect();
    let bounds = part_bounds(&rows, n);
    let k = part.part as usize - 1;
    Ok(slots
        .into_iter()
        .skip(bounds[k])
        .take(bounds[k + 1] - bounds[k])
        .collect())
}

/// Makes `out` ready for part `part` writing `slots`: created if missing;
/// other parts' files and manifests are left alone, but any of this part's
/// own files or its part manifest is refused, unless `overwrite`, which
/// removes them (and the markers of a committed dataset, which is no longer
/// whole), or `resume`, which keeps them for the journal to check.
///
/// # Errors
/// [`Error::Output`] naming the folder or the file.
pub fn prepare_folder_for_part(
    out: &Path,
    slots: &[FileSlot],
    part: PartOf,
    overwrite: bool,
    resume: bool,
) -> Result<(), Error> {
    let output_error = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    if out.exists() && !out.is_dir() {
        return Err(output_error("is a file, not a folder; choose another --out".into()));
    }
    let manifest = part.manifest_path();
    let (own, markers) = paths_of_part(slots, &manifest, overwrite);
    for relative in own.chain(markers).filter(|_| !resume) {
        let path = out.join(relative);
        if !path.exists() {
            continue;
        }
        if !overwrite {
            return Err(output_error(format!(
                "already holds {relative}, which part {} of {} writes; pass --overwrite to replace it",
                part.part, part.parts
            )));
        }
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    fs::create_dir_all(out.join(PARTS_FOLDER))
        .map_err(|e| output_error(format!("cannot be created ({e}); choose another --out")))?;
    let probe = out.join(PARTS_FOLDER).join(".customer-events-probe.tmp");
    fs::write(&probe, b"").map_err(|e| output_error(format!("is not writable ({e}); choose another --out")))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// [`prepare_folder_for_part`] for a prefix of an object store (no folder
/// to create or probe: the part's lock object was just written).
///
/// # Errors
/// [`Error::Output`] naming the prefix or the object; a failed request's error.
pub fn prepare_prefix_for_part(
    output: &ObjectOutput,
    slots: &[FileSlot],
    part: PartOf,
    overwrite: bool,
) -> Result<(), Error> {
    let manifest = part.manifest_path();
    let (own, markers) = paths_of_part(slots, &manifest, overwrite);
    // `_SUCCESS` goes first, so the prefix stops looking complete at once.
    for relative in markers.rev().chain(own) {
        if output.size(relative)?.is_none() {
            continue;
        }
        if !overwrite {
            return Err(Error::Output {
                path: output.url().to_path_buf(),
                message: format!(
                    "already holds {relative}, which part {} of {} writes; pass --overwrite to replace it",
                    part.part, part.parts
                ),
            });
        }
        output.delete(relative)?;
    }
    Ok(())
}

/// The paths a part writes (its files, then its manifest `manifest`), and
/// with `overwrite` the dataset's markers a rerun must clear
/// (`_manifest.json`, `_SUCCESS`).
fn paths_of_part<'a>(
    slots: &'a [FileSlot],
    manifest: &'a str,
    overwrite: bool,
) -> (impl Iterator<Item = &'a str>, impl DoubleEndedIterator<Item = &'a str>) {
    let own = slots
        .iter()
        .flat_map(|s| s.paths.iter().map(String::as_str))
        .chain([manifest]);
    let markers = overwrite
        .then_some(["_manifest.json", "_SUCCESS"])
        .into_iter()
        .flatten();
    (own, markers)
}

/// Renders a manifest as it is written to disk.
fn render(manifest: &Manifest<'_>) -> String {
    serde_json::to_string_pretty(manifest).expect("manifest serializes")
}

/// Writes part `part`'s manifest (atomically) and, when every other part's
/// manifest is there too, commits the dataset. Returns whether it committed.
///
/// # Errors
/// [`Error::Io`] when it cannot be written; [`commit`]'s errors.
pub fn finish_part(out: Place<'_>, manifest: &Manifest<'_>, part: PartOf) -> Result<bool, Error> {
    out.write(&part.manifest_path(), render(manifest).as_bytes())?;
    let present = part_manifests(out)?;
    let all = (1..=part.parts).all(|k| {
        present.iter().any(|(of, _)| {
            *of == PartOf {
                parts: part.parts,
                part: k,
            }
        })
    });
    if all && present.len() == part.parts as usize {
        if let Err(e) = commit(out) {
            // Parts that finish together both commit, and the same bytes:
            // one may remove `_parts/` under the other, which then finishes
            // from the merged manifest (or finds the dataset committed).
            if part_manifests(out)?.is_empty() {
                std::thread::sleep(std::time::Duration::from_millis(200));
                commit(out)?;
                return Ok(true);
            }
            return Err(e);
        }
        return Ok(true);
    }
    Ok(false)
}

/// The id in the staged names of the files a part run or `commit` writes
/// here, so two processes never share one.
fn staging_id() -> String {
    super::lock::new_run_id()
}

/// The part manifests in `out/_parts`, by part number, with their paths
/// relative to `out`.
fn part_manifests(out: Place<'_>) -> Result<Vec<(PartOf, String)>, Error> {
    let mut found: Vec<(PartOf, String)> = out
        .part_names()?
        .into_iter()
        .filter_map(|name| parse_manifest_name(&name).map(|of| (of, format!("{PARTS_FOLDER}/{name}"))))
        .collect();
    found.sort_by_key(|(of, _)| (of.parts, of.part));
    Ok(found)
}

/// `part-0000K-of-0000N.json` → part K of N.
fn parse_manifest_name(name: &str) -> Option<PartOf> {
    let middle = name.strip_prefix("part-")?.strip_suffix(".json")?;
    let (part, parts) = middle.split_once("-of-")?;
    PartOf::new(parts.parse().ok()?, part.parse().ok()?).ok()
}

/// A part manifest as read back.
#[derive(Debug, Deserialize)]
struct PartManifest {
    tool: String,
    tool_version: String,
    schema_version: u32,
    config: Value,
    users: u64,
    output: Value,
    cells: u64,
    rows: u64,
    files: Vec<WrittenFile>,
    parts: u32,
    part: u32,
}

/// What [`commit`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Committed {
    /// The part manifests were merged into `_manifest.json` and `_SUCCESS` written.
    Now {
        /// How many parts were merged.
        parts: u32,
    },
    /// The folder was already committed (`_SUCCESS` and no `_parts/`).
    Already,
}

/// Merges `out/_parts/*.json` into `out/_manifest.json` (files in plan
/// order, rows and leaf values summed: the manifest a single run with the
/// same options writes), checks every listed file's size, removes `_parts/`
/// and writes `_SUCCESS`. Re-runnable: a commit that stopped after writing
/// `_manifest.json` finishes from it.
///
/// # Errors
/// [`Error::Output`] naming the missing parts, the first key two parts
/// disagree on, or a missing or resized file; [`Error::Io`] on a write failure.
pub fn commit(out: Place<'_>) -> Result<Committed, Error> {
    let output_error = |message: String| out.output_error(message);
    if let Place::Folder(folder) = out
        && !folder.is_dir()
    {
        return Err(output_error("is not a folder".into()));
    }
    let found = part_manifests(out)?;
    if found.is_empty() {
        if out.size("_SUCCESS")?.is_some() {
            return Ok(Committed::Already);
        }
        if let Some(text) = out.read("_manifest.json")? {
            // Stopped between removing `_parts/` and writing `_SUCCESS`.
            let merged: PartlessManifest = serde_json::from_str(&text)
                .map_err(|e| output_error(format!("_manifest.json cannot be read ({e})")))?;
            check_files(out, &merged.files)?;
            out.write("_SUCCESS", b"")?;
            return Ok(Committed::Now { parts: 0 });
        }
        return Err(output_error(format!(
            "holds no part manifests ({PARTS_FOLDER}/part-K-of-N.json); run `generate --parts N --part K` first"
        )));
    }
    let parts = found[0].0.parts;
    if let Some((other, _)) = found.iter().find(|(of, _)| of.parts != parts) {
        return Err(output_error(format!(
            "holds parts of {parts} and parts of {}; they are not one dataset",
            other.parts
        )));
    }
    let missing: Vec<String> = (1..=parts)
        .filter(|k| !found.iter().any(|(of, _)| of.part == *k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        let verb = if missing.len() == 1 { "part" } else { "parts" };
        let is = if missing.len() == 1 { "is" } else { "are" };
        return Err(output_error(format!(
            "{verb} {} of {parts} {is} missing; run them (generate --parts {parts} --part K), then commit again",
            missing.join(", ")
        )));
    }
    let mut manifests = Vec::with_capacity(found.len());
    for (of, path) in &found {
        let text = out
            .read(path)?
            .ok_or_else(|| output_error(format!("{path} went missing during the commit")))?;
        let manifest: PartManifest = serde_json::from_str(&text)
            .map_err(|e| output_error(format!("{} cannot be read ({e})", of.manifest_path())))?;
        if (manifest.parts, manifest.part) != (of.parts, of.part) {
            return Err(output_error(format!(
                "{} says it is part {} of {}",
                of.manifest_path(),
                manifest.part,
                manifest.parts
            )));
        }
        manifests.push((text, manifest));
    }
    let first = &manifests[0].1;
    for (_, other) in &manifests[1..] {
        if let Some((key, a, b)) = first_difference(&dataset_keys(first), &dataset_keys(other)) {
            return Err(output_error(format!(
                "parts 1 and {} of {parts} are not the same dataset: `{key}` is {a} in part 1 and {b} in part {}",
                other.part, other.part
            )));
        }
    }
    if first.tool != "customer-events" || first.tool_version != env!("CARGO_PKG_VERSION") {
        return Err(output_error(format!(
            "the parts were written by {} {}; commit them with that version",
            first.tool, first.tool_version
        )));
    }
    let config: Config = serde_json::from_value(first.config.clone())
        .map_err(|e| output_error(format!("the parts' config cannot be read ({e})")))?;
    // The merged manifest is rendered from the values read back; each part
    // manifest rendered from them must be its file, byte for byte, or the
    // merge could differ from what a single run writes.
    for (text, m) in &manifests {
        let of = PartOf::new(m.parts, m.part)?;
        if render(&manifest_of(first, &config, &m.files, m.rows, m.cells, Some(of))) != *text {
            return Err(output_error(format!(
                "{} does not read back exactly (was it edited?); run that part again with --overwrite",
                of.manifest_path()
            )));
        }
    }
    let files: Vec<WrittenFile> = manifests.iter().flat_map(|(_, m)| m.files.iter().cloned()).collect();
    check_files(out, &files)?;
    let rows = manifests.iter().map(|(_, m)| m.rows).sum();
    let cells = manifests.iter().map(|(_, m)| m.cells).sum();
    out.write(
        "_manifest.json",
        render(&manifest_of(first, &config, &files, rows, cells, None)).as_bytes(),
    )?;
    out.remove_parts()?;
    out.write("_SUCCESS", b"")?;
    Ok(Committed::Now { parts })
}

/// The manifest of `files` with the dataset fields of `first` (a part's
/// own with `of`, `_manifest.json` without).
fn manifest_of<'m>(
    first: &'m PartManifest,
    config: &'m Config,
    files: &'m [WrittenFile],
    rows: u64,
    cells: u64,
    of: Option<PartOf>,
) -> Manifest<'m> {
    Manifest {
        tool: "customer-events",
        tool_version: env!("CARGO_PKG_VERSION"),
        schema_version: first.schema_version,
        config,
        users: first.users,
        output: &first.output,
        cells,
        rows,
        files,
        parts: of.map(|o| o.parts),
        part: of.map(|o| o.part),
    }
}

/// The files of a committed `_manifest.json`.
#[derive(Debug, Deserialize)]
struct PartlessManifest {
    files: Vec<WrittenFile>,
}

/// Every file of `files` must exist under `out` with its size.
fn check_files(out: Place<'_>, files: &[WrittenFile]) -> Result<(), Error> {
    for file in files {
        let size = out.size(&file.path)?;
        if size != Some(file.bytes) {
            let found = size.map_or("is missing".to_string(), |s| format!("has {s} bytes"));
            return Err(Error::Output {
                path: out.name(),
                message: format!(
                    "{} {found} where its part manifest says {} bytes; copy it again or run its part again",
                    file.path, file.bytes
                ),
            });
        }
    }
    Ok(())
}

/// The keys that must agree between parts of one dataset, flattened to
/// dotted names in a fixed order.
fn dataset_keys(m: &PartManifest) -> Vec<(String, String)> {
    let mut keys = vec![
        ("tool".to_string(), m.tool.clone()),
        ("tool_version".to_string(), m.tool_version.clone()),
        ("schema_version".to_string(), m.schema_version.to_string()),
    ];
    flatten("config", &m.config, &mut keys);
    keys.push(("users".to_string(), m.users.to_string()));
    flatten("output", &m.output, &mut keys);
    keys
}

fn flatten(prefix: &str, value: &Value, keys: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(&format!("{prefix}.{key}"), value, keys);
            }
        }
        other => keys.push((prefix.to_string(), other.to_string())),
    }
}

/// The first key whose values differ (or that only one side has).
fn first_difference(a: &[(String, String)], b: &[(String, String)]) -> Option<(String, String, String)> {
    let absent = || "absent".to_string();
    for (key, value) in a {
        let other = b.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        if other.as_ref() != Some(value) {
            return Some((key.clone(), value.clone(), other.unwrap_or_else(absent)));
        }
    }
    b.iter()
        .find(|(k, _)| !a.iter().any(|(key, _)| key == k))
        .map(|(k, v)| (k.clone(), absent(), v.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds_of(rows: &[u64], n: usize) -> Vec<usize> {
        part_bounds(rows, n)
    }

    #[test]
    fn even_slots_split_evenly() {
        assert_eq!(bounds_of(&[10; 6], 3), vec![0, 2, 4, 6]);
        assert_eq!(bounds_of(&[10; 6], 1), vec![0, 6]);
        assert_eq!(bounds_of(&[10; 6], 6), vec![0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn uneven_slots_split_by_rows_and_no_part_is_empty() {
        // Midpoints 50, 100.5, 101.5 of 102: by rows alone part 1 would get nothing.
        let b = bounds_of(&[100, 1, 1], 3);
        assert_eq!(b, vec![0, 1, 2, 3]);
        // Big slot first: the two small ones go to the second of two parts.
        assert_eq!(bounds_of(&[100, 1, 1], 2), vec![0, 1, 3]);
        // Balanced by rows, not by count.
        assert_eq!(bounds_of(&[1, 1, 1, 1, 4], 2), vec![0, 4, 5]);
    }

    #[test]
    fn bounds_cover_every_slot_once() {
        for len in 1..20usize {
            let rows: Vec<u64> = (0..len as u64).map(|i| (i * 7919) % 13 + 1).collect();
            for n in 1..=len {
                let b = bounds_of(&rows, n);
                assert_eq!(b.len(), n + 1);
                assert_eq!((b[0], b[n]), (0, len));
                assert!(b.windows(2).all(|w| w[0] < w[1]), "{rows:?} {n} {b:?}");
            }
        }
    }

    #[test]
    fn part_numbers_are_checked_and_named() {
        assert!(PartOf::new(3, 0).is_err());
        assert!(PartOf::new(3, 4).is_err());
        assert!(PartOf::new(0, 0).is_err());
        let of = PartOf::new(8, 5).unwrap();
        assert_eq!(of.manifest_path(), "_parts/part-00005-of-00008.json");
        assert_eq!(of.journal_path(), "_parts/progress-00005-of-00008.jsonl");
        assert_eq!(parse_manifest_name("progress-00005-of-00008.jsonl"), None);
        assert_eq!(parse_manifest_name("part-00005-of-00008.json"), Some(of));
        assert_eq!(parse_manifest_name("part-00009-of-00008.json"), None);
        assert_eq!(parse_manifest_name(".part-00005-of-00008.json.tmp"), None);
    }
}
