//! Where a file's bytes go: a [`Destination`] that a format writes into and
//! commits when the file is complete.
//!
//! [`LocalFile`] writes under a hidden temporary name and renames on commit;
//! [`Null`] only counts bytes (`--out null:`). A destination dropped without
//! a commit (an error, Ctrl-C) leaves nothing behind. Both compute the
//! file's CRC-32 as its bytes go through, so a commit reports the
//! [`Committed`] size and checksum the manifest records. Another kind of
//! destination (object storage) is one more implementation here and one more
//! arm of [`destination`].

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::temporary_path;
use crate::error::Error;

/// `--out null:` generates and encodes everything and writes nothing: it
/// measures the tool without the disk.
pub const NULL_OUTPUT: &str = "null:";

/// What a committed file is: its size and the CRC-32 (IEEE, as zlib's
/// `crc32`) of its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32 of the bytes.
    pub crc32: u32,
}

/// The bytes of one output file. A format writes the file through
/// [`Write`]; [`Destination::commit`] makes it appear whole.
pub trait Destination: Write + Send {
    /// Where the bytes go, for error messages.
    fn location(&self) -> &Path;

    /// Flushes and publishes the file under its final name; returns its
    /// size and checksum.
    /// Dropped without this, a destination discards what was written.
    ///
    /// # Errors
    /// [`Error::Io`] on a write failure (e.g. a full disk).
    fn commit(self: Box<Self>) -> Result<Committed, Error>;
}

/// The destination of `relative` (a path of the file plan) under `out`:
/// a [`Null`] for [`NULL_OUTPUT`], a [`LocalFile`] staged
/// under a name carrying `run_id` otherwise.
///
/// # Errors
/// [`Error::Io`] when the file cannot be created.
pub fn destination(out: &Path, relative: &str, run_id: &str) -> Result<Box<dyn Destination>, Error> {
    if out.as_os_str() == NULL_OUTPUT {
        return Ok(Box::new(Null::new(relative)));
    }
    Ok(Box::new(LocalFile::create(&out.join(relative), run_id)?))
}

/// A local file written under a hidden temporary name carrying the run's id
/// (`.part-00000.parquet.<run_id>.tmp`,
/// which DuckDB's `*.parquet` globs and Spark's hidden-file rule both skip)
/// and renamed to its final name on commit. Dropped uncommitted, it removes
/// the temporary file, so no partial file is ever left behind.
#[derive(Debug)]
pub struct LocalFile {
    writer: Option<BufWriter<File>>,
    checksum: crc32fast::Hasher,
    temporary: PathBuf,
    path: PathBuf,
}

impl LocalFile {
    /// Creates the temporary file of `path` for the run `run_id` (and its folders).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be created (or a file of that name exists).
    pub fn create(path: &Path, run_id: &str) -> Result<Self, Error> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let temporary = temporary_path(path, run_id);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(|e| Error::io(&temporary, e))?;
        Ok(Self {
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
            checksum: crc32fast::Hasher::new(),
            temporary,
            path: path.to_path_buf(),
        })
    }

    fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer
            .as_mut()
            .expect("a local file is open until it is committed or dropped")
    }
}

impl Write for LocalFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.writer().write(bytes)?;
        self.checksum.update(&bytes[..written]);
        Ok(written)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer().write_all(bytes)?;
        self.checksum.update(bytes);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

impl Destination for LocalFile {
    fn location(&self) -> &Path {
        &self.temporary
    }

    fn commit(mut self: Box<Self>) -> Result<Committed, Error> {
        let mut writer = self.writer.take().expect("committed once");
        writer.flush().map_err(|e| Error::io(&self.temporary, e))?;
        let file = writer
            .into_inner()
            .map_err(|e| Error::io(&self.temporary, e.into_error()))?;
        let bytes = file.metadata().map_err(|e| Error::io(&self.temporary, e))?.len();
        drop(file);
        fs::rename(&self.temporary, &self.path).map_err(|e| Error::io(&self.path, e))?;
        // Renamed: nothing is left under the temporary name for `drop` to remove.
        self.temporary = PathBuf::new();
        Ok(Committed {
            bytes,
            crc32: self.checksum.clone().finalize(),
        })
    }
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        if !self.temporary.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// Discards bytes and counts them (`--out null:`): the run does all its
/// work but the disk's.
#[derive(Debug)]
pub struct Null {
    location: PathBuf,
    bytes: u64,
    checksum: crc32fast::Hasher,
}

impl Null {
    /// A null destination standing for `relative`.
    pub fn new(relative: &str) -> Self {
        Self {
            location: Path::new(NULL_OUTPUT).join(relative),
            bytes: 0,
            checksum: crc32fast::Hasher::new(),
        }
    }
}

impl Write for Null {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.bytes += bytes.len() as u64;
        self.checksum.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Destination for Null {
    fn location(&self) -> &Path {
        &self.location
    }

    fn commit(self: Box<Self>) -> Result<Committed, Error> {
        Ok(Committed {
            bytes: self.bytes,
            crc32: self.checksum.finalize(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("day/part-00000.txt");
        let mut file: Box<dyn Destination> = Box::new(LocalFile::create(&path, "run1").unwrap());
        file.write_all(b"hello").unwrap();
        assert!(!path.exists());
        assert!(temporary_path(&path, "run1").exists());
        let committed = file.commit().unwrap();
        assert_eq!(committed.bytes, 5);
        // zlib's crc32(b"hello").
        assert_eq!(committed.crc32, 0x3610_a686);
        assert_eq!(fs::read(&path).unwrap(), b"hello");
        assert!(!temporary_path(&path, "run1").exists());
    }

    #[test]
    fn a_dropped_local_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-00000.txt");
        let mut file = LocalFile::create(&path, "run1").unwrap();
        file.write_all(b"partial").unwrap();
        drop(file);
        assert!(!path.exists());
        assert!(!temporary_path(&path, "run1").exists());
    }

    #[test]
    fn null_counts_bytes() {
        let mut null: Box<dyn Destination> = Box::new(Null::new("part-00000.parquet"));
        null.write_all(&[0; 1000]).unwrap();
        null.write_all(b"abc").unwrap();
        let committed = null.commit().unwrap();
        assert_eq!(committed.bytes, 1003);
        let mut all = vec![0; 1000];
        all.extend_from_slice(b"abc");
        assert_eq!(committed.crc32, crc32fast::hash(&all));
    }
}
