//! The seam between the engine and a file format.
//!
//! The engine cuts a run into row groups; a [`FileFormat`] (one per table of
//! the run) encodes a table's part of a row group on a worker
//! ([`start`](FileFormat::start), [`add`](FileFormat::add),
//! [`finish`](FileFormat::finish)), and the writer thread appends the encoded
//! groups, in row order, to a file it writes into a
//! [`Destination`]
//! ([`open`](FileFormat::open), [`append`](FileFormat::append),
//! [`close`](FileFormat::close)). The engine is generic over the format, so
//! calls are resolved at compile time; they happen per sub-batch, per row
//! group and per file, and per row only for a format that takes
//! [`Events`].
//!
//! A format's type also says everything else the tool knows about its
//! files: its name as the manifest records it ([`FileFormat::NAME`]), its
//! codecs and their default, its extension for a codec, and how to count
//! the rows of one of its files (for `verify`). [`KnownFormat`] is that
//! knowledge without the encoder, as a value: `verify` and `--overwrite`'s
//! recognition of staged files go through a list of them (the built-in
//! formats, [`crate::sink::Format`], plus the run's own or the caller's).
//!
//! Adding a built-in format is one file that implements [`FileFormat`],
//! plus its variant in that list and its arm in the engine's `run`; a format
//! defined outside the crate needs neither (`engine::generate_with`,
//! `verify::verify_with`).

use std::ops::Range;
use std::path::Path;

use arrow::datatypes::SchemaRef;

use super::compression::Compression;
use super::destination::{Committed, Destination};
use super::{Layout, Source};
use crate::error::Error;
use crate::sweep::PlannedRows;
use crate::world::World;

/// One table of a run, as its format is made for it.
#[derive(Clone, Debug)]
pub struct TableSpec {
    /// The table's Arrow schema (the batches a [`Batches`] format is given).
    pub schema: SchemaRef,
    /// The resolved compression.
    pub compression: Compression,
    /// Parquet min/max statistics on string columns.
    pub string_statistics: bool,
}

/// A file format: encodes a table's row groups (on any worker, in any
/// order) and writes them to files (on the writer thread, in row order).
pub trait FileFormat: Sized + Send + Sync {
    /// What the format is given rows as: [`Batches`] or [`Events`].
    type Input: Input;
    /// A table's part of a row group while rows are added to it.
    type Building: Send;
    /// A table's part of a row group, encoded, waiting for the writer.
    type Group: Send;
    /// A file being written.
    type File;

    /// Most rows in one row group (a format that holds a group uncompressed
    /// until it is written caps it to bound memory).
    const MAX_GROUP_ROWS: u64 = u64::MAX;

    /// The format's name, as the manifest records it (`output.format`)
    /// and `--format` names a built-in format.
    const NAME: &'static str;

    /// The codec used when none is given.
    const DEFAULT_COMPRESSION: Compression = Compression::None;

    /// The codecs [`accepts`](FileFormat::accepts) takes, as a user writes
    /// them (the refusal of another lists them).
    const CODECS: &'static str = "none";

    /// Whether the format can write with `compression`.
    fn accepts(compression: Compression) -> bool {
        compression == Compression::None
    }

    /// The file-name extension (without the dot) for `compression`; it may
    /// depend on the codec, not on its level.
    fn extension(compression: Compression) -> &'static str;

    /// The rows of one of its files at `path`, read back (`verify`), or
    /// what is wrong with it.
    ///
    /// # Errors
    /// A message saying why the file cannot be read.
    fn count_rows(path: &Path) -> Result<u64, String>;

    /// The format of one table of a run.
    ///
    /// # Errors
    /// When the table cannot be written in this format.
    fn new(table: &TableSpec) -> Result<Self, Error>;

    /// Starts a row group.
    ///
    /// # Errors
    /// The format's own.
    fn start(&self) -> Result<Self::Building, Error>;

    /// Adds rows to a row group; with `share`, the work may be split into
    /// rayon tasks that idle workers take.
    ///
    /// # Errors
    /// The format's own.
    fn add(&self, group: &mut Self::Building, rows: &InputRows<'_, Self>, share: bool) -> Result<(), Error>;

    /// Finishes the encoding of a row group.
    ///
    /// # Errors
    /// The format's own.
    fn finish(&self, group: Self::Building, share: bool) -> Result<Self::Group, Error>;

    /// Bytes an encoded group holds (for progress reports).
    fn group_bytes(group: &Self::Group) -> u64;

    /// Opens a file that writes into `destination`.
    ///
    /// # Errors
    /// [`Error::Io`] or the format's own.
    fn open(&self, destination: Box<dyn Destination>) -> Result<Self::File, Error>;

    /// Appends an encoded row group to a file.
    ///
    /// # Errors
    /// [`Error::Io`] (e.g. a full disk) or the format's own.
    fn append(&self, file: &mut Self::File, group: Self::Group) -> Result<(), Error>;

    /// Finishes a file and commits its destination; returns its size and checksum.
    ///
    /// # Errors
    /// [`Error::Io`] or the format's own.
    fn close(&self, file: Self::File) -> Result<Committed, Error>;
}

/// A format as the rest of the tool knows it, without its encoder: its
/// name, codecs, extensions and the row count of its files, taken from its
/// [`FileFormat`] by [`KnownFormat::of`].
#[derive(Clone, Copy, Debug)]
pub struct KnownFormat {
    name: &'static str,
    default_compression: Compression,
    codecs: &'static str,
    accepts: fn(Compression) -> bool,
    extension: fn(Compression) -> &'static str,
    count_rows: fn(&Path) -> Result<u64, String>,
}

impl KnownFormat {
    /// What the tool knows of format `F`.
    pub const fn of<F: FileFormat>() -> Self {
        Self {
            name: F::NAME,
            default_compression: F::DEFAULT_COMPRESSION,
            codecs: F::CODECS,
            accepts: F::accepts,
            extension: F::extension,
            count_rows: F::count_rows,
        }
    }

    /// The format's name ([`FileFormat::NAME`]).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The file-name extension for `compression` ([`FileFormat::extension`]).
    pub fn extension(&self, compression: Compression) -> &'static str {
        (self.extension)(compression)
    }

    /// The compression to write with: `asked`, or the format's default
    /// when `None`.
    ///
    /// # Errors
    /// A message naming the refused codec, the format and the codecs it takes.
    pub fn compression(&self, asked: Option<Compression>) -> Result<Compression, String> {
        match asked {
            None => Ok(self.default_compression),
            Some(c) if (self.accepts)(c) => Ok(c),
            Some(c) => Err(format!(
                "{c} cannot be used with --format {}; use {}",
                self.name, self.codecs
            )),
        }
    }

    /// Every extension its files have, one per codec it accepts.
    pub fn extensions(&self) -> Vec<&'static str> {
        let mut extensions: Vec<&'static str> = Compression::ONE_OF_EACH
            .into_iter()
            .filter(|&c| (self.accepts)(c))
            .map(self.extension)
            .collect();
        extensions.sort_unstable();
        extensions.dedup();
        extensions
    }

    /// Whether `name` (a file name or a path) is the name of one of its
    /// files: it ends in one of its [`extensions`](Self::extensions).
    pub fn names_file(&self, name: &str) -> bool {
        self.extensions()
            .iter()
            .any(|e| name.strip_suffix(e).is_some_and(|stem| stem.ends_with('.')))
    }

    /// The rows of one of its files at `path` ([`FileFormat::count_rows`]).
    ///
    /// # Errors
    /// A message saying why the file cannot be read.
    pub fn count_rows(&self, path: &Path) -> Result<u64, String> {
        (self.count_rows)(path)
    }
}

/// The rows a format `F` is given at a time.
pub type InputRows<'a, F> = <<F as FileFormat>::Input as Input>::Rows<'a>;

/// How rows reach a format: the engine generates them in this shape and
/// hands them to every table of a row group.
pub trait Input {
    /// The rows handed over at a time.
    type Rows<'a>;

    /// The number of rows in `rows`.
    fn count(rows: &Self::Rows<'_>) -> u64;

    /// Generates rows `rows` of `source` and hands them to `add`, one
    /// `Rows` per table of the source. `planned` holds the plans of `rows`
    /// when the source is the events ([`World::plan_rows`]: a day's rows
    /// are planned in order, so the engine plans each row group as it
    /// claims it). With `share`, generation and `add`
    /// may overlap as rayon tasks. With `site` (faults are on: the events'
    /// source only), the rows are written with their faults
    /// ([`World::fill_written`]) and the events' tables are followed by the
    /// ground truth's ([`crate::faults::faults_schema`]). Returns the
    /// events and their leaf values (0 for the dimension tables).
    ///
    /// # Errors
    /// From `add`, or [`Error::Arrow`] when a batch cannot be built (a bug).
    #[allow(clippy::too_many_arguments)]
    fn produce<A>(
        world: &World,
        layout: Layout,
        source: Source,
        rows: Range<u64>,
        planned: Option<&PlannedRows>,
        site: Option<FaultSite<'_>>,
        share: bool,
        add: A,
    ) -> Result<(u64, u64), Error>
    where
        A: for<'a> FnMut(&[Self::Rows<'a>]) -> Result<(), Error> + Send;
}

/// Where a group's faults are written, for their ground truth: the events'
/// file (relative to the output folder) and the rows written to it before
/// the group (its rows before, plus their copies).
#[derive(Clone, Copy, Debug)]
pub struct FaultSite<'a> {
    /// The events' file, relative to the output folder.
    pub file: &'a str,
    /// Rows written to it before the group.
    pub written_before: u64,
}

/// Rows as Arrow batches of the table's schema, a sub-batch at a time.
/// (The engine implements [`Input`] for it and [`Events`]: generating rows
/// is the engine's.)
#[derive(Debug)]
pub struct Batches;

/// Rows as Arrow batches like [`Batches`], except that the nested events'
/// string columns of words and catalog entities come as dictionary arrays
/// (keys into their vocabularies, see
/// [`Strings::Keys`](crate::columns::Strings)) in place of Utf8: same
/// values, the batch's schema saying which columns are dictionaries. For a
/// format that writes dictionaries itself (Parquet); the normalized layout
/// and the dimension tables come as [`Batches`] give them.
#[derive(Debug)]
pub struct KeyedBatches;

/// Rows as [`Event`](crate::model::Event)s, one at a time, for a format
/// that renders events itself (nested NDJSON, through serde). Only the
/// nested layout's events table can be given events.
#[derive(Debug)]
pub struct Events;
