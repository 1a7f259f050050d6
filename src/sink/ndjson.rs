//! NDJSON files (`--format ndjson`): one JSON object per line. Workers
//! render and compress whole row groups; a gzip member or zstd frame per row
//! group concatenates into one valid stream, so the writer only appends bytes.
//!
//! Nested events are rendered from [`Event`] with serde ([`NdjsonEvents`],
//! the same text as `sample`); the flat tables of the normalized layout from
//! their Arrow batches with arrow-json ([`NdjsonBatches`]). Both write
//! timestamps as [`TIMESTAMP_FORMAT`], so the two agree value for value.

use std::io::Write;
use std::marker::PhantomData;
use std::path::PathBuf;

use arrow::array::RecordBatch;
use arrow::json::writer::{LineDelimited, WriterBuilder};

use super::destination::Destination;
use super::format::{Batches, Events, FileFormat, Input, TableSpec};
use super::parquet::Compression;
use crate::error::Error;
use crate::model::{Event, TIMESTAMP_FORMAT};

/// Appends `batch` as JSON lines, timestamps as [`TIMESTAMP_FORMAT`].
///
/// # Errors
/// [`Error::Arrow`] if a value cannot be written.
pub fn write_batch(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), Error> {
    let mut writer = WriterBuilder::new()
        .with_timestamp_tz_format(TIMESTAMP_FORMAT.to_string())
        .build::<_, LineDelimited>(out);
    writer.write(batch)?;
    writer.finish()?;
    Ok(())
}

/// Appends `event` as one JSON line (the text `sample` prints).
///
/// # Errors
/// [`Error::Io`] if the event cannot be serialized (a bug).
pub fn write_event(out: &mut Vec<u8>, event: &Event<'_>) -> Result<(), Error> {
    serde_json::to_writer(&mut *out, event).map_err(|e| Error::io("json", e.into()))?;
    out.push(b'\n');
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

/// One NDJSON file being written into its destination.
pub struct NdjsonFile {
    destination: Box<dyn Destination>,
    location: PathBuf,
}

impl NdjsonFile {
    /// A file that writes into `destination`.
    pub fn new(destination: Box<dyn Destination>) -> Self {
        let location = destination.location().to_path_buf();
        Self { destination, location }
    }

    /// Appends rendered (and compressed) bytes.
    ///
    /// # Errors
    /// [`Error::Io`] (e.g. a full disk).
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.destination
            .write_all(bytes)
            .map_err(|e| Error::io(&self.location, e))
    }

    /// Commits the destination. Returns the file's size.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn finish(self) -> Result<u64, Error> {
        self.destination.commit()
    }
}

/// How an NDJSON format renders the rows of its [`Input`].
pub trait RenderLines: Input {
    /// Appends `rows` as JSON lines.
    ///
    /// # Errors
    /// When a value cannot be written.
    fn render(out: &mut Vec<u8>, rows: &Self::Rows<'_>) -> Result<(), Error>;
}

impl RenderLines for Batches {
    fn render(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), Error> {
        write_batch(out, batch)
    }
}

impl RenderLines for Events {
    fn render(out: &mut Vec<u8>, event: &Event<'_>) -> Result<(), Error> {
        write_event(out, event)
    }
}

/// The NDJSON format of one table, rendering rows given as `I`.
pub struct Ndjson<I> {
    compression: Compression,
    input: PhantomData<fn() -> I>,
}

/// NDJSON of Arrow batches (the tables of the normalized layout), rendered
/// by arrow-json.
pub type NdjsonBatches = Ndjson<Batches>;

/// NDJSON of nested events, rendered from each [`Event`] by serde (no Arrow
/// batch is built).
pub type NdjsonEvents = Ndjson<Events>;

impl<I: RenderLines> FileFormat for Ndjson<I> {
    type Input = I;
    type Building = Vec<u8>;
    type Group = Vec<u8>;
    type File = NdjsonFile;

    fn extension(compression: Compression) -> &'static str {
        match compression {
            Compression::Gzip(_) => "ndjson.gz",
            Compression::Zstd(_) => "ndjson.zst",
            _ => "ndjson",
        }
    }

    fn new(table: &TableSpec) -> Result<Self, Error> {
        Ok(Self {
            compression: table.compression,
            input: PhantomData,
        })
    }

    fn start(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }

    fn add(&self, lines: &mut Vec<u8>, rows: &I::Rows<'_>, _share: bool) -> Result<(), Error> {
        I::render(lines, rows)
    }

    fn finish(&self, lines: Vec<u8>, _share: bool) -> Result<Vec<u8>, Error> {
        compress(lines, self.compression)
    }

    fn group_bytes(group: &Vec<u8>) -> u64 {
        group.len() as u64
    }

    fn open(&self, destination: Box<dyn Destination>) -> Result<NdjsonFile, Error> {
        Ok(NdjsonFile::new(destination))
    }

    fn append(&self, file: &mut NdjsonFile, group: Vec<u8>) -> Result<(), Error> {
        file.append(&group)
    }

    fn close(&self, file: NdjsonFile) -> Result<u64, Error> {
        file.finish()
    }
}
