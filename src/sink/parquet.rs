//! Parquet files: the writer properties, the row-group encoder that routes
//! each leaf column to its chunk writer (ours for strings and numbers, the
//! crate's for the rest), and the file that appends encoded row groups.
//!
//! Row groups are encoded independently (any thread, any order) into
//! in-memory column chunks by [`RowGroupEncoder`]; one [`ParquetFile`] per
//! output file appends them in row order. The bytes of a file therefore do
//! not depend on the thread count.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef};

use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowLeafColumn;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression as Codec, GzipLevel, Type as PhysicalType, ZstdLevel};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor};
use rayon::prelude::*;

use super::destination::Destination;
use super::dictionary::{self, ChunkBytes, Limits, StringChunkWriter};
use super::format::{Batches, FileFormat, TableSpec};
use super::levels::{Leaf, leaves};
use super::primitive::{self, PrimitiveChunkWriter};
use crate::error::Error;

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
    pub(crate) fn codec(self) -> Codec {
        match self {
            Compression::None => Codec::UNCOMPRESSED,
            Compression::Snappy => Codec::SNAPPY,
            Compression::Zstd(l) => Codec::ZSTD(ZstdLevel::try_new(l).expect("validated zstd level")),
            Compression::Lz4 => Codec::LZ4_RAW,
            Compression::Gzip(l) => Codec::GZIP(GzipLevel::try_new(l).expect("validated gzip level")),
        }
    }
}

/// Leaf columns whose values are (nearly) all distinct: a dictionary only
/// costs time there (every value hashed and compared, then the dictionary is
/// abandoned at its size limit), so they are written plain.
const DISTINCT_LEAVES: [&str; 4] = ["event_id", "search_id", "timestamp", "play_percentage"];

/// Writer properties for files of `schema`.
///
/// Min/max statistics are kept on numbers, dates, timestamps and booleans,
/// and on strings only when `string_statistics` is set. No string column is
/// ordered within a file: every row group holds the whole vocabulary (or
/// random ids spread over the whole id space), so its min/max cannot skip a
/// row group for any value in the data, while computing them (two byte
/// comparisons per value) costs about a tenth of the run time.
pub fn writer_properties(
    schema: &SchemaRef,
    compression: Compression,
    string_statistics: bool,
) -> Arc<WriterProperties> {
    let mut builder = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(compression.codec())
        .set_created_by(format!("customer-events version {}", env!("CARGO_PKG_VERSION")));
    if let Ok(descriptor) = parquet::arrow::ArrowSchemaConverter::new().convert(schema) {
        for column in descriptor.columns() {
            if DISTINCT_LEAVES.contains(&column.name()) {
                builder = builder.set_column_dictionary_enabled(column.path().clone(), false);
            }
            if !string_statistics && column.physical_type() == PhysicalType::BYTE_ARRAY {
                builder = builder.set_column_statistics_enabled(column.path().clone(), EnabledStatistics::None);
            }
        }
    }
    Arc::new(builder.build())
}

/// Encodes row groups of one table into column chunks. Shared by all workers.
pub struct RowGroupEncoder {
    factory: ArrowRowGroupWriterFactory,
    properties: Arc<WriterProperties>,
    schema: SchemaRef,
    /// Per top-level field: the writer of each of its leaves.
    fields: Vec<Vec<LeafKind>>,
}

/// Which writer encodes a leaf column.
#[derive(Clone, Debug)]
enum LeafKind {
    /// The parquet crate's Arrow writer.
    Arrow,
    /// [`StringChunkWriter`].
    Strings(ColumnDescPtr),
    /// [`PrimitiveChunkWriter`].
    Primitive(ColumnDescPtr),
}

impl std::fmt::Debug for RowGroupEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowGroupEncoder").finish_non_exhaustive()
    }
}

/// One encoded column chunk.
enum Chunk {
    Arrow(ArrowColumnChunk),
    Blocks(ChunkBytes, ColumnCloseResult),
}

impl Chunk {
    /// Appends the chunk to the row group being written.
    fn append_to<W: std::io::Write + Send>(
        self,
        row_group: &mut parquet::file::writer::SerializedRowGroupWriter<'_, W>,
    ) -> Result<(), parquet::errors::ParquetError> {
        match self {
            Chunk::Arrow(chunk) => chunk.append_to_row_group(row_group),
            Chunk::Blocks(bytes, close) => row_group.append_column(&bytes, close),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Chunk::Arrow(chunk) => chunk.close().bytes_written as usize,
            Chunk::Blocks(bytes, _) => parquet::file::reader::Length::len(bytes) as usize,
        }
    }
}

/// One encoded row group, ready to append.
pub struct EncodedRowGroup {
    chunks: Vec<Chunk>,
}

impl EncodedRowGroup {
    /// Encoded bytes held in memory.
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(Chunk::bytes).sum()
    }
}

/// The writer of one leaf column.
enum LeafWriter {
    Arrow(Box<ArrowColumnWriter>),
    Strings(Box<StringChunkWriter>),
    Primitive(Box<PrimitiveChunkWriter>),
}

/// One leaf's values of a batch, as its writer takes them: with the
/// crate's levels, or with the level slots of [`leaves`].
enum LeafInput {
    Arrow(ArrowLeafColumn),
    Slotted(Leaf),
}

impl LeafWriter {
    fn write(&mut self, input: &LeafInput) -> Result<(), parquet::errors::ParquetError> {
        match (self, input) {
            (LeafWriter::Arrow(writer), LeafInput::Arrow(leaf)) => writer.write(leaf),
            (LeafWriter::Strings(writer), LeafInput::Slotted(leaf)) => writer.write(leaf),
            (LeafWriter::Primitive(writer), LeafInput::Slotted(leaf)) => writer.write(leaf),
            _ => unreachable!("each leaf's input is built for its writer"),
        }
    }

    fn close(self) -> Result<Chunk, parquet::errors::ParquetError> {
        Ok(match self {
            LeafWriter::Arrow(writer) => Chunk::Arrow(writer.close()?),
            LeafWriter::Strings(writer) => {
                let (bytes, close) = writer.close()?;
                Chunk::Blocks(bytes, close)
            }
            LeafWriter::Primitive(writer) => {
                let (bytes, close) = writer.close()?;
                Chunk::Blocks(bytes, close)
            }
        })
    }
}

/// A row group being encoded: one column writer per leaf.
pub struct RowGroupInProgress {
    writers: Vec<LeafWriter>,
}

impl RowGroupEncoder {
    /// An encoder of `schema` with `compression`, writing min/max statistics
    /// of string columns only if `string_statistics` (see [`writer_properties`]).
    ///
    /// # Errors
    /// [`Error::Parquet`] if the schema cannot be expressed in Parquet (a bug).
    pub fn new(schema: SchemaRef, compression: Compression, string_statistics: bool) -> Result<Self, Error> {
        let properties = writer_properties(&schema, compression, string_statistics);
        Self::with_properties(schema, properties)
    }

    /// An encoder of `schema` with `properties`.
    ///
    /// String leaves without statistics, compressed with snappy or not at
    /// all (the defaults), are written by [`StringChunkWriter`]; numbers,
    /// dates, timestamps and booleans by [`PrimitiveChunkWriter`]; every
    /// other leaf by the parquet crate's Arrow writer.
    ///
    /// # Errors
    /// [`Error::Parquet`] if the schema cannot be expressed in Parquet (a bug).
    pub(crate) fn with_properties(schema: SchemaRef, properties: Arc<WriterProperties>) -> Result<Self, Error> {
        let writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some((*properties).clone()))?;
        let (_, factory) = writer.into_serialized_writer()?;
        let descriptor = parquet::arrow::ArrowSchemaConverter::new()
            .with_coerce_types(properties.coerce_types())
            .convert(&schema)?;
        let fields = leaf_kinds(&schema, &descriptor, &properties);
        Ok(Self {
            factory,
            properties,
            schema,
            fields,
        })
    }

    /// Starts a row group.
    ///
    /// # Errors
    /// [`Error::Parquet`] (a bug).
    pub fn start(&self) -> Result<RowGroupInProgress, Error> {
        let arrow_writers = self.factory.create_column_writers(0)?;
        let limits = Limits {
            page_rows: self.properties.data_page_row_count_limit(),
            page_bytes: self.properties.data_page_size_limit(),
            dictionary_bytes: self.properties.dictionary_page_size_limit(),
        };
        let writers = arrow_writers
            .into_iter()
            .zip(self.fields.iter().flatten())
            .map(|(arrow, kind)| match kind {
                LeafKind::Strings(descr) => {
                    let codec = self.properties.compression(descr.path());
                    let dictionary = self.properties.dictionary_enabled(descr.path());
                    LeafWriter::Strings(Box::new(StringChunkWriter::new(
                        descr.clone(),
                        codec,
                        limits,
                        dictionary,
                    )))
                }
                LeafKind::Primitive(descr) => LeafWriter::Primitive(Box::new(PrimitiveChunkWriter::new(
                    descr.clone(),
                    self.properties.clone(),
                ))),
                LeafKind::Arrow => LeafWriter::Arrow(Box::new(arrow)),
            })
            .collect();
        Ok(RowGroupInProgress { writers })
    }

    /// The leaves of top-level field `i` of `batch`, as their writers take
    /// them (a field goes whole to our writers or to the crate's).
    fn leaf_inputs(&self, i: usize, batch: &RecordBatch) -> Result<Vec<LeafInput>, Error> {
        let field = self.schema.field(i);
        let column = batch.column(i);
        Ok(if self.fields[i].iter().all(|k| matches!(k, LeafKind::Arrow)) {
            compute_leaves(field, column)?
                .into_iter()
                .map(LeafInput::Arrow)
                .collect()
        } else {
            leaves(field, column)?.into_iter().map(LeafInput::Slotted).collect()
        })
    }

    /// Encodes `batch` (of this encoder's schema) into the row group; with
    /// `share`, leaf columns are encoded as rayon tasks that idle workers of
    /// the pool can take.
    ///
    /// # Errors
    /// [`Error::Parquet`] on an encoding failure.
    pub fn add(&self, group: &mut RowGroupInProgress, batch: &RecordBatch, share: bool) -> Result<(), Error> {
        if share {
            // All leaves (with their levels) up front, so they can be split.
            let mut leaves = Vec::with_capacity(group.writers.len());
            for i in 0..self.fields.len() {
                leaves.extend(self.leaf_inputs(i, batch)?);
            }
            assert_eq!(leaves.len(), group.writers.len(), "one writer per leaf");
            group
                .writers
                .par_iter_mut()
                .zip(leaves.par_iter())
                .with_max_len(1)
                .try_for_each(|(writer, leaf)| writer.write(leaf))?;
        } else {
            // One field's leaves at a time: their levels are short-lived.
            let mut leaf_writers = group.writers.iter_mut();
            for i in 0..self.fields.len() {
                for leaf in self.leaf_inputs(i, batch)? {
                    leaf_writers.next().expect("one writer per leaf").write(&leaf)?;
                }
            }
        }
        Ok(())
    }

    /// Closes the row group's column chunks (flushing and compressing their
    /// last pages); with `share`, as rayon tasks that idle workers can take.
    ///
    /// # Errors
    /// [`Error::Parquet`] on an encoding failure.
    pub fn finish(&self, group: RowGroupInProgress, share: bool) -> Result<EncodedRowGroup, Error> {
        let chunks = if share {
            group
                .writers
                .into_par_iter()
                .with_max_len(1)
                .map(LeafWriter::close)
                .collect::<Result<Vec<_>, _>>()?
        } else {
            group
                .writers
                .into_iter()
                .map(LeafWriter::close)
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(EncodedRowGroup { chunks })
    }
}

/// Per top-level field of `schema`, its leaves in Parquet order, each with
/// its writer: [`StringChunkWriter`] for a Utf8 leaf without statistics or
/// bloom filter, in a v1 file compressed with a codec the writer supports;
/// [`PrimitiveChunkWriter`] for the types it takes; the crate's Arrow writer
/// for the rest. A field is written by one side whole: when any of its
/// leaves needs the crate's writer, or its nesting is more than lists and
/// structs, the crate's writer takes all of them (which walks the nesting
/// itself, so the levels are not computed twice).
fn leaf_kinds(schema: &SchemaRef, descriptor: &SchemaDescriptor, properties: &WriterProperties) -> Vec<Vec<LeafKind>> {
    let mut columns_by_field: Vec<Vec<&ColumnDescPtr>> = vec![Vec::new(); schema.fields().len()];
    for (i, column) in descriptor.columns().iter().enumerate() {
        columns_by_field[descriptor.get_column_root_idx(i)].push(column);
    }
    schema
        .fields()
        .iter()
        .zip(columns_by_field)
        .map(|(field, columns)| {
            let all_arrow = || columns.iter().map(|_| LeafKind::Arrow).collect();
            let mut types = Vec::new();
            if leaf_types(field.data_type(), &mut types).is_none() {
                return all_arrow();
            }
            assert_eq!(
                types.len(),
                columns.len(),
                "one Parquet leaf per Arrow leaf of `{}`",
                field.name()
            );
            let kinds: Vec<LeafKind> = types
                .into_iter()
                .zip(&columns)
                .map(|(data_type, column)| {
                    let path = column.path();
                    let strings = data_type == DataType::Utf8
                        && column.physical_type() == PhysicalType::BYTE_ARRAY
                        && properties.writer_version() == WriterVersion::PARQUET_1_0
                        && properties.statistics_enabled(path) == EnabledStatistics::None
                        && properties.bloom_filter_properties(path).is_none()
                        && dictionary::supports(properties.compression(path));
                    if strings {
                        LeafKind::Strings((*column).clone())
                    } else if primitive::supports(&data_type, column.physical_type()) {
                        LeafKind::Primitive((*column).clone())
                    } else {
                        LeafKind::Arrow
                    }
                })
                .collect();
            if kinds.iter().any(|k| matches!(k, LeafKind::Arrow)) {
                all_arrow()
            } else {
                kinds
            }
        })
        .collect()
}

/// Appends the Arrow types of the leaves under `data_type` to `out`, in
/// Parquet order; `None` when its nesting holds more than lists and structs
/// (the nesting whose levels [`leaves`] computes).
fn leaf_types(data_type: &DataType, out: &mut Vec<DataType>) -> Option<()> {
    match data_type {
        DataType::Struct(children) => children.iter().try_for_each(|c| leaf_types(c.data_type(), out)),
        DataType::List(item) => leaf_types(item.data_type(), out),
        other if other.is_nested() => None,
        other => {
            out.push(other.clone());
            Some(())
        }
    }
}

/// The Parquet format of one table: a [`RowGroupEncoder`] shared by the
/// workers, and [`ParquetFile`]s on the writer thread.
#[derive(Debug)]
pub struct ParquetFormat {
    encoder: RowGroupEncoder,
}

impl FileFormat for ParquetFormat {
    type Input = Batches;
    type Building = RowGroupInProgress;
    type Group = EncodedRowGroup;
    type File = ParquetFile;

    fn extension(_: Compression) -> &'static str {
        "parquet"
    }

    fn new(table: &TableSpec) -> Result<Self, Error> {
        let encoder = RowGroupEncoder::new(table.schema.clone(), table.compression, table.string_statistics)?;
        Ok(Self { encoder })
    }

    fn start(&self) -> Result<RowGroupInProgress, Error> {
        self.encoder.start()
    }

    fn add(&self, group: &mut RowGroupInProgress, batch: &RecordBatch, share: bool) -> Result<(), Error> {
        self.encoder.add(group, batch, share)
    }

    fn finish(&self, group: RowGroupInProgress, share: bool) -> Result<EncodedRowGroup, Error> {
        self.encoder.finish(group, share)
    }

    fn group_bytes(group: &EncodedRowGroup) -> u64 {
        group.bytes() as u64
    }

    fn open(&self, destination: Box<dyn Destination>) -> Result<ParquetFile, Error> {
        ParquetFile::create(destination, &self.encoder)
    }

    fn append(&self, file: &mut ParquetFile, group: EncodedRowGroup) -> Result<(), Error> {
        file.append(group)
    }

    fn close(&self, file: ParquetFile) -> Result<u64, Error> {
        file.finish()
    }
}

/// One Parquet file being written into its destination.
pub struct ParquetFile {
    writer: SerializedFileWriter<Box<dyn Destination>>,
    location: PathBuf,
}

impl ParquetFile {
    /// Starts a file of `encoder`'s row groups in `destination`.
    ///
    /// # Errors
    /// [`Error::Io`] when the header cannot be written.
    pub fn create(destination: Box<dyn Destination>, encoder: &RowGroupEncoder) -> Result<Self, Error> {
        let location = destination.location().to_path_buf();
        let writer = ArrowWriter::try_new(destination, encoder.schema.clone(), Some((*encoder.properties).clone()))
            .map_err(|e| io_error(&location, e))?;
        let (writer, _) = writer.into_serialized_writer()?;
        Ok(Self { writer, location })
    }

    /// Appends an encoded row group.
    ///
    /// # Errors
    /// [`Error::Io`] (e.g. a full disk) or [`Error::Parquet`].
    pub fn append(&mut self, group: EncodedRowGroup) -> Result<(), Error> {
        let mut row_group = self.writer.next_row_group()?;
        for chunk in group.chunks {
            chunk
                .append_to(&mut row_group)
                .map_err(|e| io_error(&self.location, e))?;
        }
        row_group.close().map_err(|e| io_error(&self.location, e))?;
        Ok(())
    }

    /// Writes the footer and commits the destination. Returns the file's size.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Parquet`].
    pub fn finish(self) -> Result<u64, Error> {
        let destination = self.writer.into_inner().map_err(|e| io_error(&self.location, e))?;
        destination.commit()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, World};
    use arrow::array::{Array, ArrayRef};
    use arrow::buffer::NullBuffer;
    use arrow::datatypes::Field;
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::{
        ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
    };
    use parquet::basic::Encoding;
    use parquet::column::page::Page;
    use parquet::file::metadata::PageIndexPolicy;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn batches(rows: u64, per_batch: u64) -> Vec<RecordBatch> {
        let world = World::new(Config {
            rows,
            ..Config::default()
        })
        .expect("valid config");
        (0..rows)
            .step_by(per_batch as usize)
            .map(|start| world.record_batch(start..(start + per_batch).min(rows)).expect("batch"))
            .collect()
    }

    /// A whole file in memory: `groups` row groups of `batches`, split evenly.
    fn encode(encoder: &RowGroupEncoder, batches: &[RecordBatch], groups: usize) -> Bytes {
        let writer =
            ArrowWriter::try_new(Vec::new(), encoder.schema.clone(), Some((*encoder.properties).clone())).unwrap();
        let (mut writer, _) = writer.into_serialized_writer().unwrap();
        for part in batches.chunks(batches.len().div_ceil(groups)) {
            let mut group = encoder.start().unwrap();
            for batch in part {
                encoder.add(&mut group, batch, false).unwrap();
            }
            let encoded = encoder.finish(group, false).unwrap();
            let mut row_group = writer.next_row_group().unwrap();
            for chunk in encoded.chunks {
                chunk.append_to(&mut row_group).unwrap();
            }
            row_group.close().unwrap();
        }
        Bytes::from(writer.into_inner().unwrap())
    }

    fn read(file: Bytes, selection: Option<RowSelection>) -> RecordBatch {
        // With a selection, the offset index must be there and is used to
        // skip pages.
        let policy = match selection {
            Some(_) => PageIndexPolicy::Required,
            None => PageIndexPolicy::Skip,
        };
        let options = ArrowReaderOptions::new().with_page_index_policy(policy);
        let mut builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).unwrap();
        if let Some(selection) = selection {
            builder = builder.with_row_selection(selection);
        }
        let schema = builder.schema().clone();
        let read: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
        arrow::compute::concat_batches(&schema, &read).unwrap()
    }

    /// `input` as one batch, and an encoder of its schema with small pages
    /// and a small dictionary limit, so that string chunks span many pages
    /// and the id and title columns fall back to PLAIN pages.
    fn with_small_limits(input: &[RecordBatch]) -> (RecordBatch, RowGroupEncoder) {
        let expected = arrow::compute::concat_batches(&input[0].schema(), input).unwrap();
        let schema = expected.schema();
        let properties = (*writer_properties(&schema, Compression::Snappy, false))
            .clone()
            .into_builder()
            .set_data_page_row_count_limit(700)
            .set_dictionary_page_size_limit(4096)
            .build();
        let encoder = RowGroupEncoder::with_properties(schema, Arc::new(properties)).unwrap();
        (expected, encoder)
    }

    #[test]
    fn string_chunks_read_back_as_written() {
        let input = batches(9_000, 2_500);
        let (expected, encoder) = with_small_limits(&input);
        let kinds: Vec<&LeafKind> = encoder.fields.iter().flatten().collect();
        let strings = kinds.iter().filter(|k| matches!(k, LeafKind::Strings(_))).count();
        let primitive = kinds.iter().filter(|k| matches!(k, LeafKind::Primitive(_))).count();
        assert!(
            strings >= 25,
            "{strings} string leaves written by the string chunk writer"
        );
        assert_eq!(strings + primitive, kinds.len(), "every leaf written by our writers");

        let file = encode(&encoder, &input, 2);
        let back = read(file.clone(), None);
        assert_eq!(back, expected);

        // Both kinds of data page are in the file: dictionary indices, and
        // PLAIN pages after the dictionary outgrew its limit.
        let reader = SerializedFileReader::new(file).unwrap();
        let user_id = 1;
        assert_eq!(
            reader.metadata().file_metadata().schema_descr().column(user_id).name(),
            "user_id"
        );
        let mut encodings = Vec::new();
        for g in 0..reader.num_row_groups() {
            for page in reader
                .get_row_group(g)
                .unwrap()
                .get_column_page_reader(user_id)
                .unwrap()
            {
                if let Page::DataPage { encoding, .. } = page.unwrap() {
                    encodings.push(encoding);
                }
            }
        }
        assert!(encodings.contains(&Encoding::RLE_DICTIONARY), "{encodings:?}");
        assert!(encodings.contains(&Encoding::PLAIN), "{encodings:?}");

        // Columns of distinct values are written by the same writer, plain
        // from the start and without a dictionary page.
        let event_id = 0;
        assert!(matches!(encoder.fields[event_id][0], LeafKind::Strings(_)));
        for g in 0..reader.num_row_groups() {
            let chunk = reader.metadata().row_group(g).column(event_id);
            assert_eq!(chunk.column_path().string(), "event_id");
            assert_eq!(chunk.dictionary_page_offset(), None);
            // Snappy saves a tenth of random hex: these chunks are raw.
            assert_eq!(chunk.compression(), Codec::UNCOMPRESSED);
            assert_eq!(
                reader.metadata().row_group(g).column(user_id).compression(),
                Codec::SNAPPY
            );
            assert!(!chunk.encodings().any(|e| e == Encoding::RLE_DICTIONARY));
            for page in reader
                .get_row_group(g)
                .unwrap()
                .get_column_page_reader(event_id)
                .unwrap()
            {
                assert!(matches!(
                    page.unwrap(),
                    Page::DataPage {
                        encoding: Encoding::PLAIN,
                        ..
                    }
                ));
            }
        }
    }

    #[test]
    fn string_chunks_have_an_offset_index_that_skips_pages() {
        let input = batches(6_000, 2_000);
        let (expected, encoder) = with_small_limits(&input);
        let file = encode(&encoder, &input, 1);
        let selection = RowSelection::from(vec![
            RowSelector::skip(2_345),
            RowSelector::select(1_500),
            RowSelector::skip(1_000),
            RowSelector::select(1_155),
        ]);
        let back = read(file, Some(selection));
        let want = arrow::compute::concat_batches(
            &expected.schema(),
            &[expected.slice(2_345, 1_500), expected.slice(4_845, 1_155)],
        )
        .unwrap();
        assert_eq!(back.num_rows(), 2_655);
        assert_eq!(back, want);
        assert!(back.column(0).null_count() == 0);
    }

    /// `input` encoded by `encoder` and by the crate's writer alone, in row groups of `groups`:
    /// both read back as `input`, and the chunks of numbers, dates,
    /// timestamps and booleans carry the same metadata (statistics,
    /// encodings, sizes) and the same column and offset indexes, which
    /// prune pages. Returns how many such chunks were compared.
    fn assert_agrees_with_the_parquet_writer(encoder: RowGroupEncoder, input: &[RecordBatch], groups: usize) -> usize {
        let expected = arrow::compute::concat_batches(&input[0].schema(), input).unwrap();
        let mut theirs = RowGroupEncoder::with_properties(encoder.schema.clone(), encoder.properties.clone()).unwrap();
        theirs.fields.iter_mut().flatten().for_each(|k| *k = LeafKind::Arrow);
        let (ours, theirs) = (encode(&encoder, input, groups), encode(&theirs, input, groups));
        assert_eq!(read(ours.clone(), None), expected);
        assert_eq!(read(theirs.clone(), None), expected);

        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
        let ours = ParquetRecordBatchReaderBuilder::try_new_with_options(ours, options.clone()).unwrap();
        let theirs = ParquetRecordBatchReaderBuilder::try_new_with_options(theirs, options).unwrap();
        let (ours, theirs) = (ours.metadata(), theirs.metadata());
        assert_eq!(ours.num_row_groups(), groups);
        let mut compared = 0;
        for g in 0..groups {
            let (pa, pb) = (ours.page_index_for_row_group(g), theirs.page_index_for_row_group(g));
            for (i, (a, b)) in ours
                .row_group(g)
                .columns()
                .iter()
                .zip(theirs.row_group(g).columns())
                .enumerate()
            {
                if a.column_type() == PhysicalType::BYTE_ARRAY {
                    continue;
                }
                compared += 1;
                let path = a.column_path().string();
                assert_eq!(a.statistics(), b.statistics(), "{path}");
                assert_eq!(
                    a.encodings().collect::<Vec<_>>(),
                    b.encodings().collect::<Vec<_>>(),
                    "{path}"
                );
                assert_eq!(a.compressed_size(), b.compressed_size(), "{path}");
                assert_eq!(a.num_values(), b.num_values(), "{path}");
                let (ca, cb) = (pa.column_index(i).unwrap(), pb.column_index(i).unwrap());
                assert_eq!(format!("{ca:?}"), format!("{cb:?}"), "{path}");
                let rows = |o: &parquet::file::page_index::offset_index::OffsetIndexMetaData| {
                    o.page_locations().iter().map(|p| p.first_row_index).collect::<Vec<_>>()
                };
                assert_eq!(
                    rows(pa.offset_index(i).unwrap()),
                    rows(pb.offset_index(i).unwrap()),
                    "{path}"
                );
            }
        }
        compared
    }

    #[test]
    fn our_chunk_writers_and_the_parquet_writer_agree_on_every_value() {
        let input = batches(5_000, 5_000);
        let encoder = RowGroupEncoder::new(input[0].schema(), Compression::None, false).unwrap();
        let primitive = encoder
            .fields
            .iter()
            .flatten()
            .filter(|k| matches!(k, LeafKind::Primitive(_)))
            .count();
        assert_eq!(primitive, 21, "numbers, dates, timestamps and booleans by our writer");
        assert_eq!(assert_agrees_with_the_parquet_writer(encoder, &input, 1), 21);
    }

    /// A deterministic stream of small numbers for hand-built columns.
    struct Draws(u64);

    impl Draws {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    /// Offsets of `rows` lists of 0..=3 items (a tenth of the rows null when
    /// `nulls`), and the lists' validity.
    fn lists(draws: &mut Draws, rows: usize, nulls: bool) -> (arrow::buffer::OffsetBuffer<i32>, Option<NullBuffer>) {
        let mut lengths = Vec::with_capacity(rows);
        let mut valid = Vec::with_capacity(rows);
        for _ in 0..rows {
            let null = nulls && draws.below(10) == 0;
            valid.push(!null);
            lengths.push(if null { 0 } else { draws.below(4) as usize });
        }
        (
            arrow::buffer::OffsetBuffer::from_lengths(lengths),
            nulls.then(|| NullBuffer::from(valid)),
        )
    }

    fn validity(draws: &mut Draws, n: usize) -> Option<NullBuffer> {
        Some(NullBuffer::from(
            (0..n).map(|_| draws.below(5) != 0).collect::<Vec<_>>(),
        ))
    }

    /// A batch of every nesting our level slots handle: nullable lists of
    /// nullable structs with nullable leaves, lists of lists, a nullable
    /// struct holding a list, and nullable top-level leaves.
    fn nested_batch(rows: usize, seed: u64) -> RecordBatch {
        use arrow::array::{
            BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, ListArray, StringArray, StructArray,
            TimestampMicrosecondArray,
        };
        use arrow::datatypes::{Fields, TimeUnit};
        let mut draws = Draws(seed);
        let words = ["a", "bb", "ccc", "", "déjà", "eeeeeeee"];
        let text = |draws: &mut Draws, n: usize, nulls: Option<NullBuffer>| -> ArrayRef {
            let values: Vec<Option<&str>> = (0..n)
                .map(|i| {
                    let word = words[draws.below(words.len() as u64) as usize];
                    nulls.as_ref().is_none_or(|v| v.is_valid(i)).then_some(word)
                })
                .collect();
            Arc::new(StringArray::from(values))
        };

        // items: List<Struct{count: Int32?, flag: Boolean, at: Timestamp?, name: Utf8?}>?
        let (item_offsets, item_lists_valid) = lists(&mut draws, rows, true);
        let n = item_offsets.last() as usize;
        let item_fields = Fields::from(vec![
            Field::new("count", DataType::Int32, true),
            Field::new("flag", DataType::Boolean, false),
            Field::new(
                "at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("name", DataType::Utf8, true),
        ]);
        let struct_valid = validity(&mut draws, n);
        let count_valid = validity(&mut draws, n);
        let at_valid = validity(&mut draws, n);
        let name_valid = validity(&mut draws, n);
        let items = StructArray::new(
            item_fields.clone(),
            vec![
                Arc::new(Int32Array::new(
                    (0..n).map(|_| draws.below(1000) as i32).collect(),
                    count_valid,
                )),
                Arc::new(BooleanArray::from(
                    (0..n).map(|_| draws.below(2) == 1).collect::<Vec<_>>(),
                )),
                Arc::new(
                    TimestampMicrosecondArray::new((0..n).map(|_| draws.below(1 << 40) as i64).collect(), at_valid)
                        .with_timezone("UTC"),
                ),
                text(&mut draws, n, name_valid),
            ],
            struct_valid,
        );
        let item_field = Arc::new(Field::new("item", DataType::Struct(item_fields), true));
        let items = ListArray::new(item_field.clone(), item_offsets, Arc::new(items), item_lists_valid);

        // grid: List<List<Int64?>> (outer required, inner nullable)
        let (outer_offsets, _) = lists(&mut draws, rows, false);
        let inner_rows = outer_offsets.last() as usize;
        let (inner_offsets, inner_valid) = lists(&mut draws, inner_rows, true);
        let cells = inner_offsets.last() as usize;
        let cell_valid = validity(&mut draws, cells);
        let cell_field = Arc::new(Field::new("item", DataType::Int64, true));
        let inner = ListArray::new(
            cell_field.clone(),
            inner_offsets,
            Arc::new(Int64Array::new(
                (0..cells).map(|_| draws.below(1 << 50) as i64 - (1 << 49)).collect(),
                cell_valid,
            )),
            inner_valid,
        );
        let inner_field = Arc::new(Field::new("item", DataType::List(cell_field), true));
        let grid = ListArray::new(inner_field.clone(), outer_offsets, Arc::new(inner), None);

        // info: Struct{day: Date32?, score: Float64, tags: List<Utf8?>}?
        let (tag_offsets, _) = lists(&mut draws, rows, false);
        let tags = tag_offsets.last() as usize;
        let tag_valid = validity(&mut draws, tags);
        let tag_field = Arc::new(Field::new("item", DataType::Utf8, true));
        let info_fields = Fields::from(vec![
            Field::new("day", DataType::Date32, true),
            Field::new("score", DataType::Float64, false),
            Field::new("tags", DataType::List(tag_field.clone()), false),
        ]);
        let day_valid = validity(&mut draws, rows);
        let info_valid = validity(&mut draws, rows);
        let info = StructArray::new(
            info_fields.clone(),
            vec![
                Arc::new(Date32Array::new(
                    (0..rows).map(|_| draws.below(40_000) as i32).collect(),
                    day_valid,
                )),
                Arc::new(Float64Array::from(
                    (0..rows).map(|_| draws.below(1 << 20) as f64 / 7.0).collect::<Vec<_>>(),
                )),
                Arc::new(ListArray::new(
                    tag_field,
                    tag_offsets,
                    text(&mut draws, tags, tag_valid),
                    None,
                )),
            ],
            info_valid,
        );

        // level: Int32? and label: Utf8? at the top
        let level_valid = validity(&mut draws, rows);
        let label_valid = validity(&mut draws, rows);
        let level: ArrayRef = Arc::new(Int32Array::new(
            (0..rows).map(|_| draws.below(9) as i32).collect(),
            level_valid,
        ));
        let label = text(&mut draws, rows, label_valid);

        let schema = Arc::new(arrow::datatypes::Schema::new(vec![
            Field::new("items", DataType::List(item_field), true),
            Field::new("grid", DataType::List(inner_field), false),
            Field::new("info", DataType::Struct(info_fields), true),
            Field::new("level", DataType::Int32, true),
            Field::new("label", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(items), Arc::new(grid), Arc::new(info), level, label],
        )
        .unwrap()
    }

    #[test]
    fn level_slots_handle_null_lists_null_structs_and_lists_of_lists() {
        // Several batches, some sliced (offsets not starting at 0), into
        // two row groups of small pages.
        let whole = nested_batch(3_000, 7);
        let input = vec![
            nested_batch(1_000, 1),
            whole.slice(250, 1_700),
            nested_batch(800, 2).slice(1, 798),
            whole.slice(0, 1),
        ];
        let schema = input[0].schema();
        let properties = (*writer_properties(&schema, Compression::Snappy, false))
            .clone()
            .into_builder()
            .set_data_page_row_count_limit(300)
            .set_dictionary_page_size_limit(64)
            .build();
        let encoder = RowGroupEncoder::with_properties(schema, Arc::new(properties)).unwrap();
        assert!(
            encoder.fields.iter().flatten().all(|k| !matches!(k, LeafKind::Arrow)),
            "every leaf written by our writers"
        );
        // count, flag, at, grid's cells, day, score, level.
        assert_eq!(assert_agrees_with_the_parquet_writer(encoder, &input, 2), 7 * 2);
    }

    #[test]
    fn a_field_is_written_whole_by_one_writer() {
        // With string statistics, the crate writes the strings, and with
        // them every leaf of their fields; a top-level number stays ours.
        let input = vec![nested_batch(2_000, 3)];
        let schema = input[0].schema();
        let encoder = RowGroupEncoder::new(schema.clone(), Compression::Snappy, true).unwrap();
        let arrow: Vec<bool> = encoder
            .fields
            .iter()
            .map(|kinds| kinds.iter().all(|k| matches!(k, LeafKind::Arrow)))
            .collect();
        assert_eq!(
            arrow,
            [true, false, true, false, true],
            "items, grid, info, level, label"
        );
        assert!(matches!(encoder.fields[3][..], [LeafKind::Primitive(_)]));
        assert_eq!(assert_agrees_with_the_parquet_writer(encoder, &input, 1), 7);
    }
}
