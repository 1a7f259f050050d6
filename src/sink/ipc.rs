//! Arrow IPC files (`--format arrow`): record batches appended in row order
//! by the writer, optionally LZ4- or Zstandard-compressed buffers.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::CompressionType;
use arrow::ipc::writer::{FileWriter, IpcWriteOptions};

use super::Staged;
use super::parquet::Compression;
use crate::error::Error;

/// One Arrow IPC file being written under its temporary name.
pub struct IpcFile {
    writer: FileWriter<BufWriter<File>>,
    staged: Staged,
}

impl IpcFile {
    /// Creates `path`'s temporary file for batches of `schema`.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Arrow`].
    pub fn create(path: &Path, schema: &SchemaRef, compression: Compression) -> Result<Self, Error> {
        let (staged, file) = Staged::create(path)?;
        let codec = match compression {
            Compression::Lz4 => Some(CompressionType::LZ4_FRAME),
            Compression::Zstd(_) => Some(CompressionType::ZSTD),
            _ => None,
        };
        let options = IpcWriteOptions::default().try_with_compression(codec)?;
        let writer = FileWriter::try_new_with_options(file, schema, options)?;
        Ok(Self { writer, staged })
    }

    /// Appends batches.
    ///
    /// # Errors
    /// [`Error::Arrow`] wrapping an I/O failure (e.g. a full disk).
    pub fn append(&mut self, batches: &[RecordBatch]) -> Result<(), Error> {
        for batch in batches {
            self.writer.write(batch)?;
        }
        Ok(())
    }

    /// Writes the footer and moves the file to its final name. Returns its size.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Arrow`].
    pub fn finish(mut self) -> Result<u64, Error> {
        self.writer.finish()?;
        let inner = self.writer.into_inner()?;
        self.staged.commit(inner)
    }
}
