//! Parquet files: our writer properties (codec, which columns go without a
//! dictionary, no string statistics), the row-group encoder with them, and
//! the file that appends encoded row groups.
//!
//! Row groups are encoded independently (any thread, any order) into
//! in-memory column chunks by [`RowGroupEncoder`], whose chunk writers live
//! in the `parquet-chunks` crate; one [`ParquetFile`] per output file
//! appends them in row order. The bytes of a file therefore do not depend on
//! the thread count. The format takes every codec (snappy by default), and
//! `verify` counts a file's rows from its footer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::basic::{Compression as Codec, GzipLevel, Type as PhysicalType, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
pub use parquet_chunks::{EncodedRowGroup, RowGroupInProgress};

pub use super::compression::Compression;
use super::destination::{Committed, Destination};
use super::format::{FileFormat, KeyedBatches, TableSpec};
use crate::error::Error;

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
const DISTINCT_LEAVES: [&str; 3] = ["event_id", "timestamp", "play_percentage"];

/// Leaf columns of long ids that repeat across a row group but not within
/// snappy's reach: a search's id is listed in the histories of its user's
/// later events, which lie far apart in a file sorted by time (a row group
/// of events holds three ids a row, and under a third of them distinct).
/// Written PLAIN they cost the codec more than any other column; in a
/// dictionary each distinct id is stored once and every listing is an index
/// of a few bits. Their dictionary holds a row group's distinct ids (a few
/// MB), beyond the default page limit, which would give up after a quarter.
const REPEATED_ID_LEAVES: [&str; 1] = ["search_id"];

/// The dictionary page limit of [`REPEATED_ID_LEAVES`]: the distinct
/// search ids of a row group at the default row-group size (about 4 MB at
/// the default 2M rows), with room for more searches than that.
const REPEATED_ID_DICTIONARY_BYTES: usize = 16 << 20;

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
            if REPEATED_ID_LEAVES.contains(&column.name()) {
                builder =
                    builder.set_column_dictionary_page_size_limit(column.path().clone(), REPEATED_ID_DICTIONARY_BYTES);
            }
            if !string_statistics && column.physical_type() == PhysicalType::BYTE_ARRAY {
                builder = builder.set_column_statistics_enabled(column.path().clone(), EnabledStatistics::None);
            }
        }
    }
    Arc::new(builder.build())
}

/// Encodes row groups of one table into column chunks with our
/// [`writer_properties`]. Shared by all workers.
///
/// The encoding is [`parquet_chunks::RowGroupEncoder`]'s; this wrapper
/// applies our properties and turns its errors into ours.
#[derive(Debug)]
pub struct RowGroupEncoder {
    inner: parquet_chunks::RowGroupEncoder,
}

impl RowGroupEncoder {
    /// An encoder of `schema` with `compression`, writing min/max statistics
    /// of string columns only if `string_statistics` (see [`writer_properties`]).
    ///
    /// # Errors
    /// [`Error::Parquet`] if the schema cannot be expressed in Parquet (a bug).
    pub fn new(schema: SchemaRef, compression: Compression, string_statistics: bool) -> Result<Self, Error> {
        let properties = writer_properties(&schema, compression, string_statistics);
        let inner = parquet_chunks::RowGroupEncoder::new(schema, properties)?;
        Ok(Self { inner })
    }

    /// Starts a row group.
    ///
    /// # Errors
    /// [`Error::Parquet`] (a bug).
    pub fn start(&self) -> Result<RowGroupInProgress, Error> {
        Ok(self.inner.start()?)
    }

    /// Encodes `batch` (of this encoder's schema, string columns possibly
    /// as dictionaries of it) into the row group; with `share`, leaf
    /// columns are encoded as rayon tasks that idle workers of the pool can
    /// take.
    ///
    /// # Errors
    /// [`Error::Parquet`] on an encoding failure.
    #[inline]
    pub fn add(&self, group: &mut RowGroupInProgress, batch: &RecordBatch, share: bool) -> Result<(), Error> {
        Ok(self.inner.add(group, batch, share)?)
    }

    /// Closes the row group's column chunks (flushing and compressing their
    /// last pages); with `share`, as rayon tasks that idle workers can take.
    ///
    /// # Errors
    /// [`Error::Parquet`] on an encoding failure.
    pub fn finish(&self, group: RowGroupInProgress, share: bool) -> Result<EncodedRowGroup, Error> {
        Ok(self.inner.finish(group, share)?)
    }

    /// The encoder of [`parquet_chunks`] under this one.
    pub fn chunks(&self) -> &parquet_chunks::RowGroupEncoder {
        &self.inner
    }
}

/// The Parquet format of one table: a [`RowGroupEncoder`] shared by the
/// workers, and [`ParquetFile`]s on the writer thread.
#[derive(Debug)]
pub struct ParquetFormat {
    encoder: RowGroupEncoder,
}

impl FileFormat for ParquetFormat {
    type Input = KeyedBatches;
    type Building = RowGroupInProgress;
    type Group = EncodedRowGroup;
    type File = ParquetFile;

    const NAME: &'static str = "parquet";
    const DEFAULT_COMPRESSION: Compression = Compression::Snappy;
    const CODECS: &'static str = "snappy, zstd, zstd(N), lz4, gzip, gzip(N) or none";

    /// Parquet takes every codec.
    fn accepts(_: Compression) -> bool {
        true
    }

    fn extension(_: Compression) -> &'static str {
        "parquet"
    }

    /// The rows of the row groups in its footer.
    fn count_rows(path: &Path) -> Result<u64, String> {
        use parquet::file::reader::FileReader;
        let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
        let reader = parquet::file::serialized_reader::SerializedFileReader::new(file)
            .map_err(|e| format!("unreadable Parquet footer: {e}"))?;
        Ok(reader.metadata().row_groups().iter().map(|g| g.num_rows() as u64).sum())
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

    fn close(&self, file: ParquetFile) -> Result<Committed, Error> {
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
        let writer = encoder
            .inner
            .file_writer(destination)
            .map_err(|e| io_error(&location, e))?;
        Ok(Self { writer, location })
    }

    /// Appends an encoded row group.
    ///
    /// # Errors
    /// [`Error::Io`] (e.g. a full disk) or [`Error::Parquet`].
    pub fn append(&mut self, group: EncodedRowGroup) -> Result<(), Error> {
        group
            .append_to(&mut self.writer)
            .map_err(|e| io_error(&self.location, e))
    }

    /// Writes the footer and commits the destination. Returns its size and checksum.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Parquet`].
    pub fn finish(self) -> Result<Committed, Error> {
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
