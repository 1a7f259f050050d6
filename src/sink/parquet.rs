//! Parquet encoding behind one module, because the low-level writer API
//! changes between parquet releases.
//!
//! Row groups are encoded independently (any thread, any order) into
//! in-memory column chunks by [`RowGroupEncoder`]; one [`ParquetFile`] per
//! output file appends them in row order. The bytes of a file therefore do
//! not depend on the thread count.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression as Codec, GzipLevel, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;

use crate::columns::EventColumns;
use crate::error::Error;
use crate::schema::event_schema;
use crate::world::World;

/// Rows generated and encoded at a time within a row group: large enough to
/// amortise per-batch work, small enough to stay in cache-friendly sizes.
pub const SUB_BATCH_ROWS: u64 = 8192;

/// A Parquet compression codec, as given to `--compression`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// No compression.
    None,
    /// Snappy (the default: fast, read everywhere).
    Snappy,
    /// Zstandard at a level (1..=22).
    Zstd(i32),
    /// LZ4 (the `LZ4_RAW` codec).
    Lz4,
    /// Gzip at a level (0..=9).
    Gzip(u32),
}

impl FromStr for Compression {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, level) = match lower.split_once('(') {
            Some((name, rest)) => {
                let digits = rest
                    .strip_suffix(')')
                    .ok_or_else(|| format!("`{s}` is missing its closing `)`"))?;
                let level: i32 = digits
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{digits}` is not a level number"))?;
                (name.to_string(), Some(level))
            }
            None => (lower.clone(), None),
        };
        let compression = match (name.as_str(), level) {
            ("none" | "uncompressed", None) => Compression::None,
            ("snappy", None) => Compression::Snappy,
            ("lz4", None) => Compression::Lz4,
            ("zstd", None) => Compression::Zstd(1),
            ("zstd", Some(l)) if (1..=22).contains(&l) => Compression::Zstd(l),
            ("gzip", None) => Compression::Gzip(6),
            ("gzip", Some(l)) if (0..=9).contains(&l) => Compression::Gzip(l as u32),
            ("zstd" | "gzip", Some(l)) => return Err(format!("level {l} is out of range (zstd 1..=22, gzip 0..=9)")),
            _ => {
                return Err(format!(
                    "unknown compression `{s}`; use snappy, zstd, zstd(N), lz4, gzip, gzip(N) or none"
                ));
            }
        };
        Ok(compression)
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compression::None => write!(f, "none"),
            Compression::Snappy => write!(f, "snappy"),
            Compression::Zstd(l) => write!(f, "zstd({l})"),
            Compression::Lz4 => write!(f, "lz4"),
            Compression::Gzip(l) => write!(f, "gzip({l})"),
        }
    }
}

impl Compression {
    fn codec(self) -> Codec {
        match self {
            Compression::None => Codec::UNCOMPRESSED,
            Compression::Snappy => Codec::SNAPPY,
            Compression::Zstd(l) => Codec::ZSTD(ZstdLevel::try_new(l).expect("validated zstd level")),
            Compression::Lz4 => Codec::LZ4_RAW,
            Compression::Gzip(l) => Codec::GZIP(GzipLevel::try_new(l).expect("validated gzip level")),
        }
    }
}

/// Writer properties shared by every file of a run.
pub fn writer_properties(compression: Compression) -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(compression.codec())
            .set_created_by(format!("customer-events version {}", env!("CARGO_PKG_VERSION")))
            .build(),
    )
}

/// Encodes row groups of events into column chunks. Shared by all workers.
pub struct RowGroupEncoder {
    factory: ArrowRowGroupWriterFactory,
    properties: Arc<WriterProperties>,
}

impl std::fmt::Debug for RowGroupEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowGroupEncoder").finish_non_exhaustive()
    }
}

/// One encoded row group, ready to append.
pub struct EncodedRowGroup {
    chunks: Vec<ArrowColumnChunk>,
    /// Rows in the group.
    pub rows: u64,
}

impl EncodedRowGroup {
    /// Encoded bytes held in memory.
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.close().bytes_written as usize).sum()
    }
}

impl RowGroupEncoder {
    /// An encoder for `compression`.
    ///
    /// # Errors
    /// [`Error::Parquet`] if the schema cannot be expressed in Parquet (a bug).
    pub fn new(compression: Compression) -> Result<Self, Error> {
        let properties = writer_properties(compression);
        let writer = ArrowWriter::try_new(Vec::new(), event_schema(), Some((*properties).clone()))?;
        let (_, factory) = writer.into_serialized_writer()?;
        Ok(Self { factory, properties })
    }

    /// Generates rows `first..first + rows` of `world` and encodes them as
    /// one row group.
    ///
    /// # Errors
    /// [`Error::Parquet`] or [`Error::Arrow`] on an encoding failure.
    pub fn encode(&self, world: &World, first: u64, rows: u64) -> Result<EncodedRowGroup, Error> {
        let mut writers: Vec<ArrowColumnWriter> = self.factory.create_column_writers(0)?;
        let schema = event_schema();
        let mut event = Default::default();
        let end = first + rows;
        let mut start = first;
        while start < end {
            let n = SUB_BATCH_ROWS.min(end - start);
            let mut columns = EventColumns::with_capacity(n as usize);
            for row in start..start + n {
                world.fill_event(row, &mut event);
                columns.push(&event);
            }
            let batch = columns.finish()?;
            let mut leaf_writers = writers.iter_mut();
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                for leaf in compute_leaves(field, column)? {
                    leaf_writers.next().expect("one writer per leaf").write(&leaf)?;
                }
            }
            start += n;
        }
        let chunks = writers.into_iter().map(|w| w.close()).collect::<Result<Vec<_>, _>>()?;
        Ok(EncodedRowGroup { chunks, rows })
    }
}

/// One Parquet file being written under its temporary name.
pub struct ParquetFile {
    writer: Option<SerializedFileWriter<BufWriter<File>>>,
    temporary: PathBuf,
    path: PathBuf,
}

impl ParquetFile {
    /// Creates `path`'s temporary file (and its partition folder).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be created.
    pub fn create(path: &Path, encoder: &RowGroupEncoder) -> Result<Self, Error> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let temporary = super::temporary_path(path);
        let file = File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            event_schema(),
            Some((*encoder.properties).clone()),
        )?;
        let (writer, _) = writer.into_serialized_writer()?;
        Ok(Self {
            writer: Some(writer),
            temporary,
            path: path.to_path_buf(),
        })
    }

    /// Appends an encoded row group.
    ///
    /// # Errors
    /// [`Error::Io`] (e.g. a full disk) or [`Error::Parquet`].
    pub fn append(&mut self, group: EncodedRowGroup) -> Result<(), Error> {
        let temporary = &self.temporary;
        let writer = self.writer.as_mut().expect("file is open");
        let mut row_group = writer.next_row_group()?;
        for chunk in group.chunks {
            chunk
                .append_to_row_group(&mut row_group)
                .map_err(|e| io_error(temporary, e))?;
        }
        row_group.close().map_err(|e| io_error(temporary, e))?;
        Ok(())
    }

    /// Writes the footer, flushes, and renames the file to its final name.
    /// Returns its size in bytes.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Parquet`].
    pub fn finish(mut self) -> Result<u64, Error> {
        let writer = self.writer.take().expect("file is open");
        let mut inner = writer.into_inner().map_err(|e| io_error(&self.temporary, e))?;
        inner.flush().map_err(|e| Error::io(&self.temporary, e))?;
        let file = inner
            .into_inner()
            .map_err(|e| Error::io(&self.temporary, e.into_error()))?;
        let bytes = file.metadata().map_err(|e| Error::io(&self.temporary, e))?.len();
        drop(file);
        std::fs::rename(&self.temporary, &self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(bytes)
    }
}

/// Surfaces an I/O failure inside the Parquet writer (a full disk) as an
/// I/O error on the file.
fn io_error(path: &Path, e: parquet::errors::ParquetError) -> Error {
    match e {
        parquet::errors::ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => Error::io(path, *io),
            Err(other) => Error::Parquet(parquet::errors::ParquetError::External(other)),
        },
        other => Error::Parquet(other),
    }
}

impl Drop for ParquetFile {
    /// A file dropped before [`ParquetFile::finish`] (an error, Ctrl-C) is
    /// removed, so no partial file is left behind.
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}
