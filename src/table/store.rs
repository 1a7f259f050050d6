//! The few file operations a table needs, behind one seam: for its log,
//! read a file, write a file only if it does not exist yet (the commit of a
//! version, a checkpoint), replace a file whole (the checkpoint hint) and
//! list a folder; for a window's data, the statistics of a
//! staged file, moving a staged day folder into the table, and removing
//! what a window that did not commit left. [`LocalStore`] implements them on
//! a local folder (a rename moves a folder), [`ObjectTableStore`] under a
//! prefix of an object store (a conditional put commits, the store copies
//! the staged objects).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};
use serde_json::Value;

use crate::error::Error;
use crate::sink::lock::{FolderLock, LOCK_FILE};
use crate::sink::object::{ObjectOutput, StoreLock};
use crate::table::stats;

/// Where a table's log lives. Paths are relative to the table's root and
/// use `/`.
pub trait TableStore {
    /// The bytes of `path`, or `None` when there is no such file.
    ///
    /// # Errors
    /// [`Error::Io`] when it exists but cannot be read.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error>;

    /// Writes `bytes` to `path` only if no file is there: `Ok(false)` (and
    /// nothing written) when one is. Two writers racing for one path: one
    /// wins, the other gets `false`.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    fn put_if_absent(&self, path: &str, bytes: &[u8]) -> Result<bool, Error>;

    /// Writes `bytes` to `path`, replacing what is there; a reader sees the
    /// old bytes or the new, never part of them (`_last_checkpoint`).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Error>;

    /// The names of the files directly in folder `prefix` (empty when the
    /// folder does not exist), sorted.
    ///
    /// # Errors
    /// [`Error::Io`] when it exists but cannot be listed.
    fn list(&self, prefix: &str) -> Result<Vec<String>, Error>;

    /// The names of what is directly in `folder` (`""`: the table's root),
    /// files and folders alike, sorted; empty when it does not exist.
    ///
    /// # Errors
    /// [`Error::Io`] when it exists but cannot be listed.
    fn entries(&self, folder: &str) -> Result<Vec<String>, Error>;

    /// The `--out` (a path or a URL) of the engine's run that writes `folder`.
    fn out(&self, folder: &str) -> PathBuf;

    /// The table's writer lock, held while a window is written, so that two
    /// writers never stage the same days at once.
    ///
    /// # Errors
    /// [`Error::Output`] naming the holder when another run holds it.
    fn lock(&self) -> Result<Box<dyn std::any::Any>, Error>;

    /// The Delta statistics of the Parquet file `path` (see [`stats::file_stats`]).
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Parquet`] when it cannot be read.
    fn file_stats(&self, path: &str) -> Result<Value, Error>;

    /// Moves the files `files` (paths relative to folder `from`) under
    /// folder `to`, which holds nothing yet.
    ///
    /// # Errors
    /// [`Error::Io`] when one cannot be moved.
    fn move_files(&self, from: &str, to: &str, files: &[String]) -> Result<(), Error>;

    /// Removes the files `files` and then, once empty, the folders that held
    /// them (best effort: what a window that did not commit moved in).
    fn remove_files(&self, files: &[String]);

    /// Removes folder `folder` with everything in it (best effort: a
    /// window's staging folder, which holds only what its run wrote).
    fn remove_folder(&self, folder: &str);
}

/// A table in a local folder.
#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// The table whose root is `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The table's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` to a hidden file beside `path`, synced: the temporary
    /// file's path and `path`, both under the root.
    fn staged_bytes(&self, path: &str, bytes: &[u8]) -> Result<(PathBuf, PathBuf), Error> {
        let path = self.root.join(path);
        let parent = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = parent.join(format!(".{name}.{}-{nanos}.tmp", std::process::id()));
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(Error::io(temp, e));
        }
        Ok((temp, path))
    }

    /// The sorted names in `folder` (only its files when `files_only`);
    /// empty when it does not exist.
    fn names_in(&self, folder: &str, files_only: bool) -> Result<Vec<String>, Error> {
        let folder = self.root.join(folder);
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(folder, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&folder, e))?;
            if !files_only || entry.file_type().map_err(|e| Error::io(entry.path(), e))?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

impl TableStore for LocalStore {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        let path = self.root.join(path);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    fn put_if_absent(&self, path: &str, bytes: &[u8]) -> Result<bool, Error> {
        // The bytes go to a hidden file of this run first; a hard link then
        // gives them the name only if nothing has it (the file system
        // refuses a second creator), so a reader, or a crash, never meets a
        // partly written commit or checkpoint.
        let (temp, path) = self.staged_bytes(path, bytes)?;
        let linked = fs::hard_link(&temp, &path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Error> {
        let (temp, path) = self.staged_bytes(path, bytes)?;
        fs::rename(&temp, &path).map_err(|e| {
            let _ = fs::remove_file(&temp);
            Error::io(&path, e)
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.names_in(prefix, true)
    }

    fn entries(&self, folder: &str) -> Result<Vec<String>, Error> {
        self.names_in(folder, false)
    }

    fn out(&self, folder: &str) -> PathBuf {
        self.root.join(folder)
    }

    fn lock(&self) -> Result<Box<dyn std::any::Any>, Error> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        Ok(Box::new(FolderLock::acquire_named(&self.root, LOCK_FILE, false)?))
    }

    fn file_stats(&self, path: &str) -> Result<Value, Error> {
        let path = self.root.join(path);
        stats::file_stats(|| fs::File::open(&path).map_err(|e| Error::io(&path, e)))
    }

    fn move_files(&self, from: &str, to: &str, _files: &[String]) -> Result<(), Error> {
        // The folder moves whole: one rename, refused by the file system if
        // `to` appeared meanwhile.
        let (from, to) = (self.root.join(from), self.root.join(to));
        // A ground truth's day (`_faults/event_date=…`) goes into the
        // table's `_faults/`, made by the first window with faults.
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        fs::rename(&from, &to).map_err(|e| Error::io(to, e))
    }

    fn remove_files(&self, files: &[String]) {
        let mut folders = std::collections::BTreeSet::new();
        for file in files {
            let path = self.root.join(file);
            let _ = fs::remove_file(&path);
            if let Some(parent) = path.parent() {
                folders.insert(parent.to_path_buf());
            }
        }
        // Emptied folders go up to the root: a ground truth's day leaves
        // no empty `_faults/` behind that a first window created.
        for folder in folders.into_iter().rev() {
            let mut folder = folder.as_path();
            while folder != self.root && folder.starts_with(&self.root) && fs::remove_dir(folder).is_ok() {
                match folder.parent() {
                    Some(parent) => folder = parent,
                    None => break,
                }
            }
        }
    }

    fn remove_folder(&self, folder: &str) {
        let _ = fs::remove_dir_all(self.root.join(folder));
    }
}

/// A table under a prefix of an object store (`s3://bucket/table`, …).
#[derive(Debug)]
pub struct ObjectTableStore {
    output: Arc<ObjectOutput>,
}

impl ObjectTableStore {
    /// The table under the prefix `url` (configured from the environment,
    /// as `--out` is).
    ///
    /// # Errors
    /// As [`ObjectOutput::open`].
    pub fn open(url: &Path) -> Result<Self, Error> {
        Ok(Self {
            output: Arc::new(ObjectOutput::open(url)?),
        })
    }
}

impl TableStore for ObjectTableStore {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        self.output.read(path)
    }

    fn put_if_absent(&self, path: &str, bytes: &[u8]) -> Result<bool, Error> {
        self.output.create(path, bytes)
    }

    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), Error> {
        // An object appears whole when its PUT completes.
        self.output.put(path, bytes)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let folder = format!("{}/", prefix.trim_end_matches('/'));
        Ok(self
            .output
            .list(prefix)?
            .into_iter()
            .filter_map(|object| object.strip_prefix(&folder).map(str::to_string))
            .filter(|name| !name.contains('/'))
            .collect())
    }

    fn entries(&self, folder: &str) -> Result<Vec<String>, Error> {
        let prefix = if folder.is_empty() {
            String::new()
        } else {
            format!("{}/", folder.trim_end_matches('/'))
        };
        let mut names: Vec<String> = self
            .output
            .list(folder)?
            .into_iter()
            .filter_map(|object| {
                let rest = object.strip_prefix(&prefix)?;
                Some(rest.split('/').next().unwrap_or(rest).to_string())
            })
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn out(&self, folder: &str) -> PathBuf {
        self.output.url_of(folder)
    }

    fn lock(&self) -> Result<Box<dyn std::any::Any>, Error> {
        Ok(Box::new(StoreLock::acquire(&self.output, LOCK_FILE)?))
    }

    fn file_stats(&self, path: &str) -> Result<Value, Error> {
        let size = self.output.size(path)?.ok_or_else(|| {
            Error::io(
                self.output.url_of(path),
                std::io::Error::new(std::io::ErrorKind::NotFound, "the staged object is gone"),
            )
        })?;
        stats::file_stats(|| Ok(ObjectFile::new(Arc::clone(&self.output), path, size)))
    }

    fn move_files(&self, from: &str, to: &str, files: &[String]) -> Result<(), Error> {
        // Objects do not move: each is copied by the store, then the staged
        // one is deleted. The table's lock keeps other writers of this tool
        // out of `to` meanwhile.
        for file in files {
            let (staged, placed) = (format!("{from}/{file}"), format!("{to}/{file}"));
            self.output.copy(&staged, &placed)?;
            self.output.delete(&staged)?;
        }
        Ok(())
    }

    fn remove_files(&self, files: &[String]) {
        for file in files {
            let _ = self.output.delete(file);
        }
    }

    fn remove_folder(&self, folder: &str) {
        if let Ok(objects) = self.output.list(folder) {
            for object in objects {
                let _ = self.output.delete(&object);
            }
        }
        // A `file://` store leaves the emptied directories behind.
        if let Some(path) = self.output.local_path(folder) {
            let _ = fs::remove_dir_all(path);
        }
    }
}

/// A Parquet object read by ranges, for its footer and a few columns: the
/// parquet crate asks for byte ranges ([`ChunkReader::get_bytes`]) and for
/// readers from an offset ([`ChunkReader::get_read`], a page header at a
/// time). Both are served from one window of the object, [`WINDOW`] bytes
/// fetched by one ranged GET, so reading a column chunk page by page costs a
/// request per window, not two per page.
#[derive(Clone)]
struct ObjectFile {
    output: Arc<ObjectOutput>,
    path: String,
    size: u64,
    /// The bytes last fetched, and their offset in the object.
    window: Arc<std::sync::Mutex<Option<(u64, Bytes)>>>,
}

/// Bytes fetched by one request (more when a range asked for is longer).
const WINDOW: u64 = 8 << 20;
/// Bytes a reader from an offset takes from the window at a time.
const READ_AHEAD: u64 = 64 << 10;

impl ObjectFile {
    fn new(output: Arc<ObjectOutput>, path: &str, size: u64) -> Self {
        Self {
            output,
            path: path.to_string(),
            size,
            window: Arc::default(),
        }
    }

    /// Bytes `start..end` of the object, from the window when it holds them.
    fn range(&self, start: u64, end: u64) -> parquet::errors::Result<Bytes> {
        if end > self.size || start > end {
            return Err(ParquetError::EOF(format!(
                "bytes {start}..{end} of {}, which holds {}",
                self.path, self.size
            )));
        }
        let mut window = self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, bytes)) = window.as_ref()
            && start >= *at
            && end <= at + bytes.len() as u64
        {
            return Ok(bytes.slice((start - at) as usize..(end - at) as usize));
        }
        let fetch_end = end.max((start + WINDOW).min(self.size));
        let fetched = self
            .output
            .read_range(&self.path, start..fetch_end)
            .map_err(|e| ParquetError::External(Box::new(e)))?;
        let asked = fetched.slice(0..(end - start) as usize);
        *window = Some((start, fetched));
        Ok(asked)
    }
}

impl Length for ObjectFile {
    fn len(&self) -> u64 {
        self.size
    }
}

impl ChunkReader for ObjectFile {
    type T = ObjectFileReader;

    fn get_read(&self, start: u64) -> parquet::errors::Result<ObjectFileReader> {
        Ok(ObjectFileReader {
            file: self.clone(),
            offset: start,
            buffer: Bytes::new(),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.range(start, start + length as u64)
    }
}

/// A sequential reader of an [`ObjectFile`] from an offset, taking
/// [`READ_AHEAD`] bytes at a time as it is read.
struct ObjectFileReader {
    file: ObjectFile,
    /// The offset of `buffer`'s end in the object.
    offset: u64,
    buffer: Bytes,
}

impl Read for ObjectFileReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buffer.is_empty() {
            let end = (self.offset + READ_AHEAD).min(self.file.size);
            if self.offset >= end {
                return Ok(0);
            }
            self.buffer = self.file.range(self.offset, end).map_err(std::io::Error::other)?;
            self.offset = end;
        }
        let n = out.len().min(self.buffer.len());
        out[..n].copy_from_slice(&self.buffer[..n]);
        self.buffer = self.buffer.slice(n..);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_if_absent_writes_once_and_lists_and_reads_back() {
        let tmp = tempfile::tempdir().unwrap();
        let store = LocalStore::new(tmp.path());
        assert_eq!(store.list("_log").unwrap(), Vec::<String>::new());
        assert!(store.put_if_absent("_log/0.json", b"first").unwrap());
        assert!(!store.put_if_absent("_log/0.json", b"second").unwrap());
        assert_eq!(store.read("_log/0.json").unwrap().unwrap(), b"first");
        assert_eq!(store.read("_log/1.json").unwrap(), None);
        assert_eq!(store.list("_log").unwrap(), ["0.json"]);
    }

    /// Log files are created whole and replaced whole: no temporary file is
    /// left, and a replacement leaves the new bytes.
    #[test]
    fn put_replaces_whole_and_leaves_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let store = LocalStore::new(tmp.path());
        store.put("_log/_last", b"old").unwrap();
        store.put("_log/_last", b"new").unwrap();
        assert!(store.put_if_absent("_log/1.json", b"one").unwrap());
        assert_eq!(store.read("_log/_last").unwrap().unwrap(), b"new");
        assert_eq!(store.entries("_log").unwrap(), ["1.json", "_last"]);
    }
}
