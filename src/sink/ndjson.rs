//! NDJSON files (`--format ndjson`): one JSON object per line. Workers
//! render and compress whole row groups; a gzip member or zstd frame per row
//! group concatenates into one valid stream, so the writer only appends bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use arrow::array::RecordBatch;

use super::Staged;
use super::parquet::Compression;
use crate::error::Error;

/// Appends `batch` as JSON lines (used for the flat tables of the normalized layout).
///
/// # Errors
/// [`Error::Arrow`] if a value cannot be written.
pub fn write_batch(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), Error> {
    let mut writer = arrow::json::LineDelimitedWriter::new(out);
    writer.write(batch)?;
    writer.finish()?;
    Ok(())
}

/// Compresses a row group's lines as one gzip member or zstd frame.
///
/// # Errors
/// [`Error::Io`] from the compressor (out of memory only).
pub fn compress(lines: Vec<u8>, compression: Compression) -> Result<Vec<u8>, Error> {
    match compression {
        Compression::Gzip(level) => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::with_capacity(lines.len() / 4), flate2::Compression::new(level));
            encoder.write_all(&lines).map_err(|e| Error::io("gzip", e))?;
            encoder.finish().map_err(|e| Error::io("gzip", e))
        }
        Compression::Zstd(level) => zstd::bulk::compress(&lines, level).map_err(|e| Error::io("zstd", e)),
        _ => Ok(lines),
    }
}

/// One NDJSON file being written under its temporary name.
pub struct NdjsonFile {
    writer: BufWriter<File>,
    staged: Staged,
}

impl NdjsonFile {
    /// Creates `path`'s temporary file.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn create(path: &Path) -> Result<Self, Error> {
        let (staged, writer) = Staged::create(path)?;
        Ok(Self { writer, staged })
    }

    /// Appends rendered (and compressed) bytes.
    ///
    /// # Errors
    /// [`Error::Io`] (e.g. a full disk).
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.writer
            .write_all(bytes)
            .map_err(|e| Error::io(self.staged.temporary(), e))
    }

    /// Moves the file to its final name. Returns its size.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn finish(self) -> Result<u64, Error> {
        self.staged.commit(self.writer)
    }
}
