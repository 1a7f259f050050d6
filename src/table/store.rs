//! The few file operations a table's log needs, behind one seam: read a
//! file, write a file only if it does not exist yet (the commit of a
//! version), and list a folder. [`LocalStore`] implements them on a local
//! folder; an object store implements the same three (a conditional put for
//! [`TableStore::put_if_absent`]).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

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

    /// The names of the files directly in folder `prefix` (empty when the
    /// folder does not exist), sorted.
    ///
    /// # Errors
    /// [`Error::Io`] when it exists but cannot be listed.
    fn list(&self, prefix: &str) -> Result<Vec<String>, Error>;
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
        let path = self.root.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        // create_new is the put-if-absent: the file system refuses a second
        // creator. The bytes are written and synced before anyone could
        // rely on them only by the reader retrying a torn read; a log entry
        // is small, written in one call.
        let mut file = match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(Error::io(path, e)),
        };
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(&path, e))?;
        Ok(true)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let folder = self.root.join(prefix);
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(folder, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&folder, e))?;
            if entry.file_type().map_err(|e| Error::io(entry.path(), e))?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
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
}
