//! Parquet column chunks encoded off the file writer, for writers that make
//! many row groups in parallel.
//!
//! [`RowGroupEncoder`] turns record batches into an [`EncodedRowGroup`] (the
//! compressed pages and metadata of every column chunk) in any thread, and
//! [`EncodedRowGroup::append_to`] appends it to a
//! [`SerializedFileWriter`](parquet::file::writer::SerializedFileWriter) in
//! order. Under it:
//!
//! - [`levels`]: definition and repetition levels, computed once per list or
//!   struct and shared by all its leaves;
//! - [`strings`]: string chunks (interned dictionary or PLAIN, v1 pages),
//!   from Utf8 arrays or from dictionary keys without re-interning;
//! - [`numbers`]: number, date, timestamp and boolean chunks encoded by our
//!   own writer, byte for byte as the crate's column writer encodes them;
//! - [`primitive`]: the same through the parquet crate's own column writer
//!   fed our levels, for properties [`numbers`] does not reproduce;
//! - [`chunk_bytes`]: the finished chunks' bytes, held in blocks.
//!
//! Every chunk follows the parquet crate's own layout and metadata rules, so
//! its bytes are the crate's (`tests/parity.rs` checks it), with one
//! deliberate exception: a string chunk without a dictionary is stored
//! uncompressed when the codec saves less than an eighth of its first page.

pub mod chunk_bytes;
pub mod levels;
pub mod numbers;
pub mod primitive;
mod row_group;
pub mod strings;

pub use row_group::{ChunkWriterKind, EncodedRowGroup, RowGroupEncoder, RowGroupInProgress};
