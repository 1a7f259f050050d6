//! Row groups encoded off the file writer: [`RowGroupEncoder`] routes each
//! leaf column of a record batch to its chunk writer (ours for strings,
//! numbers, dates, timestamps and booleans, the parquet crate's for the rest)
//! and closes them into an [`EncodedRowGroup`], which is appended to a
//! [`SerializedFileWriter`] later, in order.
//!
//! A batch may give string leaves as dictionary arrays (keys into a
//! vocabulary) in place of Utf8; the file's schema is the encoder's.
//!
//! Row groups are encoded independently (any thread, any order); one writer
//! per file appends them in row order, so a file's bytes do not depend on
//! which thread encoded what.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::Type as PhysicalType;
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::Result;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor};
use rayon::prelude::*;

use crate::chunk_bytes::ChunkBytes;
use crate::levels::{Leaf, leaves};
use crate::numbers::{self, NumberChunkWriter};
use crate::primitive::{self, PrimitiveChunkWriter};
use crate::strings::{self, Limits, StringChunkWriter};

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
    /// [`NumberChunkWriter`].
    Numbers(ColumnDescPtr),
}

/// Which chunk writer encodes a leaf column (see [`RowGroupEncoder::writers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkWriterKind {
    /// The parquet crate's Arrow writer (levels computed by the crate).
    Crate,
    /// [`StringChunkWriter`].
    Strings,
    /// [`PrimitiveChunkWriter`] (the crate's column writer fed our levels).
    Primitive,
    /// [`NumberChunkWriter`].
    Numbers,
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
    fn append_to<W: std::io::Write + Send>(self, row_group: &mut SerializedRowGroupWriter<'_, W>) -> Result<()> {
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

/// One encoded row group (compressed pages and their metadata), ready to
/// append to a file of the encoder's schema and properties.
pub struct EncodedRowGroup {
    chunks: Vec<Chunk>,
}

impl std::fmt::Debug for EncodedRowGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedRowGroup")
            .field("chunks", &self.chunks.len())
            .field("bytes", &self.bytes())
            .finish()
    }
}

impl EncodedRowGroup {
    /// Encoded bytes held in memory.
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(Chunk::bytes).sum()
    }

    /// Appends the row group to `file` (one made by
    /// [`RowGroupEncoder::file_writer`], or with the same schema and
    /// properties) as its next row group.
    ///
    /// # Errors
    /// A failure to write; an I/O error comes as
    /// [`ParquetError::External`](parquet::errors::ParquetError::External).
    pub fn append_to<W: std::io::Write + Send>(self, file: &mut SerializedFileWriter<W>) -> Result<()> {
        let mut row_group = file.next_row_group()?;
        for chunk in self.chunks {
            chunk.append_to(&mut row_group)?;
        }
        row_group.close()?;
        Ok(())
    }
}

/// The writer of one leaf column.
enum LeafWriter {
    Arrow(Box<ArrowColumnWriter>),
    Strings(Box<StringChunkWriter>),
    Primitive(Box<PrimitiveChunkWriter>),
    Numbers(Box<NumberChunkWriter>),
}

/// One leaf's values of a batch, as its writer takes them: with the
/// crate's levels, or with the level slots of [`leaves`].
enum LeafInput {
    Arrow(ArrowLeafColumn),
    Slotted(Leaf),
}

impl LeafWriter {
    fn write(&mut self, input: &LeafInput) -> Result<()> {
        match (self, input) {
            (LeafWriter::Arrow(writer), LeafInput::Arrow(leaf)) => writer.write(leaf),
            (LeafWriter::Strings(writer), LeafInput::Slotted(leaf)) => writer.write(leaf),
            (LeafWriter::Primitive(writer), LeafInput::Slotted(leaf)) => writer.write(leaf),
            (LeafWriter::Numbers(writer), LeafInput::Slotted(leaf)) => writer.write(leaf),
            _ => unreachable!("each leaf's input is built for its writer"),
        }
    }

    fn close(self) -> Result<Chunk> {
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
            LeafWriter::Numbers(writer) => {
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

impl std::fmt::Debug for RowGroupInProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowGroupInProgress")
            .field("leaves", &self.writers.len())
            .finish()
    }
}

impl RowGroupEncoder {
    /// An encoder of `schema` with `properties`.
    ///
    /// String leaves without statistics or bloom filter, in a Parquet 1.0
    /// file compressed with snappy or not at all, are written by
    /// [`StringChunkWriter`]; numbers, dates, timestamps and booleans by
    /// [`NumberChunkWriter`] where it reproduces the crate's chunks (the
    /// default properties), by [`PrimitiveChunkWriter`] otherwise; every other leaf by the parquet crate's
    /// Arrow writer. A top-level field goes whole to one side (see
    /// [`RowGroupEncoder::writers`]).
    ///
    /// # Errors
    /// If the schema cannot be expressed in Parquet.
    pub fn new(schema: SchemaRef, properties: Arc<WriterProperties>) -> Result<Self> {
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

    /// The schema of the batches this encoder takes.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The properties its chunks are written with.
    pub fn properties(&self) -> &Arc<WriterProperties> {
        &self.properties
    }

    /// Per top-level field of the schema, the writer of each of its leaves,
    /// in Parquet leaf order. A field goes whole to one side: when any of its
    /// leaves needs the crate's writer, or its nesting is more than lists and
    /// structs, the crate's writer takes all of them (it walks the nesting
    /// itself, so no field has its levels computed twice).
    pub fn writers(&self) -> Vec<Vec<ChunkWriterKind>> {
        self.fields
            .iter()
            .map(|kinds| {
                kinds
                    .iter()
                    .map(|k| match k {
                        LeafKind::Arrow => ChunkWriterKind::Crate,
                        LeafKind::Strings(_) => ChunkWriterKind::Strings,
                        LeafKind::Primitive(_) => ChunkWriterKind::Primitive,
                        LeafKind::Numbers(_) => ChunkWriterKind::Numbers,
                    })
                    .collect()
            })
            .collect()
    }

    /// A file writer over `out` for this encoder's schema and properties,
    /// to which [`EncodedRowGroup::append_to`] appends.
    ///
    /// # Errors
    /// If the schema cannot be expressed in Parquet.
    pub fn file_writer<W: std::io::Write + Send>(&self, out: W) -> Result<SerializedFileWriter<W>> {
        let writer = ArrowWriter::try_new(out, self.schema.clone(), Some((*self.properties).clone()))?;
        let (writer, _) = writer.into_serialized_writer()?;
        Ok(writer)
    }

    /// Starts a row group.
    ///
    /// # Errors
    /// If the crate's column writers cannot be made (a bug).
    pub fn start(&self) -> Result<RowGroupInProgress> {
        let arrow_writers = self.factory.create_column_writers(0)?;
        let writers = arrow_writers
            .into_iter()
            .zip(self.fields.iter().flatten())
            .map(|(arrow, kind)| match kind {
                LeafKind::Strings(descr) => {
                    let codec = self.properties.compression(descr.path());
                    let dictionary = self.properties.dictionary_enabled(descr.path());
                    let limits = Limits {
                        page_rows: self.properties.data_page_row_count_limit(),
                        page_bytes: self.properties.data_page_size_limit(),
                        dictionary_bytes: self.properties.column_dictionary_page_size_limit(descr.path()),
                    };
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
                LeafKind::Numbers(descr) => {
                    LeafWriter::Numbers(Box::new(NumberChunkWriter::new(descr.clone(), &self.properties)))
                }
                LeafKind::Arrow => LeafWriter::Arrow(Box::new(arrow)),
            })
            .collect();
        Ok(RowGroupInProgress { writers })
    }

    /// The leaves of top-level field `i` of `batch`, as their writers take
    /// them (a field goes whole to our writers or to the crate's).
    fn leaf_inputs(&self, i: usize, batch: &RecordBatch) -> Result<Vec<LeafInput>> {
        let field = self.schema.field(i);
        let column = batch.column(i);
        Ok(if self.fields[i].iter().all(|k| matches!(k, LeafKind::Arrow)) {
            // The crate's writer is given the schema's types: string leaves
            // that came as dictionary arrays are resolved to Utf8 first.
            let resolved;
            let column = if column.data_type() == field.data_type() {
                column
            } else {
                resolved = arrow::compute::cast(column, field.data_type())?;
                &resolved
            };
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
    /// Any Utf8 leaf of the schema may come as a dictionary array
    /// (`Dictionary(UInt16 | UInt32 | Int32, Utf8)`, the batch's schema
    /// saying so): the string chunk writer then takes its keys without
    /// re-interning the values, and the chunk's bytes are those of the same
    /// values as Utf8 (a field written by the crate's writer is cast to the
    /// schema's types first). The file's schema stays this encoder's.
    ///
    /// # Errors
    /// An encoding failure.
    pub fn add(&self, group: &mut RowGroupInProgress, batch: &RecordBatch, share: bool) -> Result<()> {
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
    /// An encoding failure.
    pub fn finish(&self, group: RowGroupInProgress, share: bool) -> Result<EncodedRowGroup> {
        let chunks = if share {
            group
                .writers
                .into_par_iter()
                .with_max_len(1)
                .map(LeafWriter::close)
                .collect::<Result<Vec<_>>>()?
        } else {
            group
                .writers
                .into_iter()
                .map(LeafWriter::close)
                .collect::<Result<Vec<_>>>()?
        };
        Ok(EncodedRowGroup { chunks })
    }
}

/// Per top-level field of `schema`, its leaves in Parquet order, each with
/// its writer: [`StringChunkWriter`] for a Utf8 leaf without statistics or
/// bloom filter, in a v1 file compressed with a codec the writer supports;
/// [`NumberChunkWriter`] for the number, date, timestamp and boolean leaves
/// and properties it [supports](numbers::supports); [`PrimitiveChunkWriter`]
/// for the other types it takes; the crate's Arrow writer
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
                        && strings::supports(properties.compression(path));
                    if strings {
                        LeafKind::Strings((*column).clone())
                    } else if numbers::supports(column, &data_type, properties) {
                        LeafKind::Numbers((*column).clone())
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
