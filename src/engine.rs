//! The batch engine: runs a dataset's file plan on a rayon pool.
//!
//! Row groups are the unit of work. The engine takes them in row order, a
//! window at a time; workers generate and encode the window's row groups in
//! parallel, and a writer thread appends finished windows to their files in
//! order while the workers move on to the next window. Memory is bounded by
//! the window (about two row groups per thread), never by the row count.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::sink::parquet::{Compression, EncodedRowGroup, ParquetFile, RowGroupEncoder};
use crate::sink::{FilePlan, Manifest, PartitionBy, WrittenFile, finish_folder, plan_files, prepare_folder};
use crate::world::World;

/// DuckDB's own row-group size: a good default for both DuckDB and Spark.
pub const DEFAULT_ROW_GROUP_ROWS: u64 = 122_880;
/// About 150–250 MB per file with snappy.
pub const DEFAULT_MAX_ROWS_PER_FILE: u64 = 1_000_000;

/// Set by a Ctrl-C handler; the engine stops at the next row group.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How and where to write a dataset.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutputOptions {
    /// Output folder (not in the manifest, which lives inside it, so a copy
    /// of a dataset elsewhere is byte-identical).
    #[serde(skip)]
    pub out: PathBuf,
    /// Parquet compression.
    #[serde(serialize_with = "display")]
    pub compression: Compression,
    /// Rows per row group.
    pub row_group_rows: u64,
    /// Most rows in one file.
    pub max_rows_per_file: u64,
    /// Folder layout.
    pub partition_by: PartitionBy,
    /// Replace earlier output in `out`.
    #[serde(skip)]
    pub overwrite: bool,
    /// Worker threads (`None`: one per core). Does not change the output.
    #[serde(skip)]
    pub threads: Option<usize>,
}

fn display<S: serde::Serializer>(c: &Compression, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(c)
}

impl OutputOptions {
    /// Defaults for writing to `out`.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            compression: Compression::Snappy,
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            max_rows_per_file: DEFAULT_MAX_ROWS_PER_FILE,
            partition_by: PartitionBy::Date,
            overwrite: false,
            threads: None,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        if self.row_group_rows == 0 {
            return Err(Error::Option {
                flag: "--row-group-rows",
                message: "must be at least 1".into(),
            });
        }
        if self.max_rows_per_file == 0 {
            return Err(Error::Option {
                flag: "--max-rows-per-file",
                message: "must be at least 1".into(),
            });
        }
        if self.threads == Some(0) {
            return Err(Error::Option {
                flag: "--threads",
                message: "must be at least 1 (leave it out to use every core)".into(),
            });
        }
        Ok(())
    }
}

/// What a run wrote.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Rows written.
    pub rows: u64,
    /// Files written.
    pub files: Vec<WrittenFile>,
    /// Bytes written in data files.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Progress reports: rows and bytes written so far.
pub trait Progress: Sync {
    /// Called after each row group is written.
    fn advance(&self, rows: u64, bytes: u64);
}

impl Progress for () {
    fn advance(&self, _: u64, _: u64) {}
}

/// Generates the dataset of `config` into `options.out`.
///
/// # Errors
/// [`Error::Config`] or [`Error::Option`] before anything is written;
/// [`Error::Output`] when the folder cannot be used; [`Error::Io`] on a
/// write failure (the partial file is removed); [`Error::Interrupted`] after
/// Ctrl-C.
pub fn generate(config: Config, options: &OutputOptions, progress: &dyn Progress) -> Result<Summary, Error> {
    let started = Instant::now();
    config.validate()?;
    options.validate()?;
    let world = World::new(config)?;
    let encoder = RowGroupEncoder::new(options.compression)?;
    let files = plan_files(&world, options.partition_by, options.max_rows_per_file);
    prepare_folder(&options.out, options.overwrite)?;

    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = options.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| Error::Option {
        flag: "--threads",
        message: e.to_string(),
    })?;
    let window = pool.current_num_threads() * 2;

    // (file index, first row, rows) for every row group, in row order.
    let groups: Vec<(usize, u64, u64)> = files
        .iter()
        .enumerate()
        .flat_map(|(f, file)| {
            let n = file.rows.div_ceil(options.row_group_rows);
            (0..n).map(move |g| {
                let first = file.first_row + g * options.row_group_rows;
                (f, first, options.row_group_rows.min(file.first_row + file.rows - first))
            })
        })
        .collect();

    let (sender, receiver) = mpsc::sync_channel::<Vec<(usize, EncodedRowGroup)>>(1);
    let written = std::thread::scope(|scope| {
        let writer = scope.spawn(|| write_in_order(&options.out, &files, &encoder, receiver, progress));
        let produced = pool.install(|| -> Result<(), Error> {
            for chunk in groups.chunks(window) {
                if INTERRUPTED.load(Ordering::Relaxed) {
                    return Err(Error::Interrupted);
                }
                let encoded: Vec<(usize, EncodedRowGroup)> = chunk
                    .par_iter()
                    .map(|&(f, first, rows)| Ok((f, encoder.encode(&world, first, rows)?)))
                    .collect::<Result<_, Error>>()?;
                if sender.send(encoded).is_err() {
                    // The writer stopped on an error; it reports it.
                    break;
                }
            }
            Ok(())
        });
        drop(sender);
        let written = writer.join().expect("writer thread panicked");
        produced.and(written)
    })?;

    let rows = written.iter().map(|f| f.rows).sum();
    let bytes = written.iter().map(|f| f.bytes).sum();
    let output = serde_json::to_value(options).expect("options serialize");
    let manifest = Manifest {
        tool: "customer-events",
        tool_version: env!("CARGO_PKG_VERSION"),
        schema_version: crate::schema::SCHEMA_VERSION,
        config: world.config(),
        users: world.population().len(),
        output: &output,
        rows,
        files: &written,
    };
    finish_folder(&options.out, &manifest)?;
    Ok(Summary {
        rows,
        files: written,
        bytes,
        elapsed: started.elapsed(),
    })
}

fn write_in_order(
    out: &Path,
    files: &[FilePlan],
    encoder: &RowGroupEncoder,
    receiver: mpsc::Receiver<Vec<(usize, EncodedRowGroup)>>,
    progress: &dyn Progress,
) -> Result<Vec<WrittenFile>, Error> {
    let mut written = Vec::with_capacity(files.len());
    let mut open: Option<(usize, ParquetFile)> = None;
    let mut bytes_so_far = 0u64;
    for window in receiver {
        for (f, group) in window {
            if INTERRUPTED.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            if open.as_ref().map(|(i, _)| *i) != Some(f) {
                if let Some((i, file)) = open.take() {
                    let bytes = file.finish()?;
                    written.push(WrittenFile {
                        path: files[i].path.clone(),
                        rows: files[i].rows,
                        bytes,
                    });
                }
                open = Some((f, ParquetFile::create(&out.join(&files[f].path), encoder)?));
            }
            let rows = group.rows;
            bytes_so_far += group.bytes() as u64;
            open.as_mut().expect("file opened above").1.append(group)?;
            progress.advance(rows, bytes_so_far);
        }
    }
    if let Some((i, file)) = open.take() {
        let bytes = file.finish()?;
        written.push(WrittenFile {
            path: files[i].path.clone(),
            rows: files[i].rows,
            bytes,
        });
    }
    Ok(written)
}
