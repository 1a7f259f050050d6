//! Arrow IPC files (`--format arrow`): record batches appended in row order
//! by the writer, optionally LZ4- or Zstandard-compressed buffers (no
//! level); `verify` counts a file's rows from its batches.

use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::CompressionType;
use arrow::ipc::writer::{FileWriter, IpcWriteOptions};

use super::destination::{Committed, Destination};
use super::format::{Batches, FileFormat, TableSpec};
use super::parquet::Compression;
use crate::error::Error;

/// The Arrow IPC format of one table. A row group is held as the batches
/// themselves until the writer encodes them into the file.
#[derive(Debug)]
pub struct IpcFormat {
    schema: SchemaRef,
    options: IpcWriteOptions,
}

impl FileFormat for IpcFormat {
    type Input = Batches;
    type Building = Vec<RecordBatch>;
    type Group = Vec<RecordBatch>;
    type File = FileWriter<Box<dyn Destination>>;

    /// Batches are held uncompressed until written: groups are capped to
    /// keep memory bounded.
    const MAX_GROUP_ROWS: u64 = 32_768;

    const NAME: &'static str = "arrow";
    const CODECS: &'static str = "none, lz4 or zstd (Arrow IPC compression has no level)";

    fn accepts(compression: Compression) -> bool {
        matches!(compression, Compression::None | Compression::Lz4 | Compression::Zstd(1))
    }

    fn extension(_: Compression) -> &'static str {
        "arrow"
    }

    /// The rows of its batches.
    fn count_rows(path: &Path) -> Result<u64, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
        let reader = arrow::ipc::reader::FileReader::try_new(file, None)
            .map_err(|e| format!("unreadable Arrow IPC footer: {e}"))?;
        let mut rows = 0;
        for batch in reader {
            rows += batch
                .map_err(|e| format!("unreadable Arrow IPC batch: {e}"))?
                .num_rows() as u64;
        }
        Ok(rows)
    }

    fn new(table: &TableSpec) -> Result<Self, Error> {
        let codec = match table.compression {
            Compression::Lz4 => Some(CompressionType::LZ4_FRAME),
            Compression::Zstd(_) => Some(CompressionType::ZSTD),
            _ => None,
        };
        let options = IpcWriteOptions::default().try_with_compression(codec)?;
        Ok(Self {
            schema: table.schema.clone(),
            options,
        })
    }

    fn start(&self) -> Result<Vec<RecordBatch>, Error> {
        Ok(Vec::new())
    }

    fn add(&self, group: &mut Vec<RecordBatch>, batch: &RecordBatch, _share: bool) -> Result<(), Error> {
        group.push(batch.clone());
        Ok(())
    }

    fn finish(&self, group: Vec<RecordBatch>, _share: bool) -> Result<Vec<RecordBatch>, Error> {
        Ok(group)
    }

    fn group_bytes(group: &Vec<RecordBatch>) -> u64 {
        group.iter().map(|b| b.get_array_memory_size() as u64).sum()
    }

    fn open(&self, destination: Box<dyn Destination>) -> Result<Self::File, Error> {
        Ok(FileWriter::try_new_with_options(
            destination,
            &self.schema,
            self.options.clone(),
        )?)
    }

    fn append(&self, file: &mut Self::File, group: Vec<RecordBatch>) -> Result<(), Error> {
        for batch in &group {
            file.write(batch)?;
        }
        Ok(())
    }

    fn close(&self, mut file: Self::File) -> Result<Committed, Error> {
        file.finish()?;
        file.into_inner()?.commit()
    }
}
