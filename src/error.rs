//! The library's error type. Every message names the flag, key or path at
//! fault and, where there is one, the fix.

use std::path::PathBuf;

use customer_events_generator::error::config_line;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config key (or the flag that sets it) is unknown, mistyped or
    /// impossible, or a config file is not TOML.
    #[error("{}", config_line(at.as_deref(), key, message))]
    Config {
        /// Where in a config file, e.g. `my.toml, line 3, column 10`; `None`
        /// for a config built in code or a flag.
        at: Option<String>,
        /// The dotted key, e.g. `event_mix.search`; empty for a TOML syntax error.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An output option is invalid.
    #[error("{flag}: {message}")]
    Option {
        /// The flag, e.g. `--compression`.
        flag: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The output folder cannot be used.
    #[error("output folder {}: {message}", path.display())]
    Output {
        /// The folder.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A stream's destination (a Kafka topic) cannot be used: unreachable,
    /// refused, or holding records a new stream would duplicate.
    #[error("{destination}: {message}")]
    Destination {
        /// The destination as given, e.g. `kafka://127.0.0.1:9092/events`.
        destination: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A stream's destination failed to take events it had accepted.
    #[error("{destination}: {message}")]
    Delivery {
        /// The destination as given.
        destination: String,
        /// What failed.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Encoding Parquet failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Building Arrow arrays failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// `verify` found a dataset that does not match its manifest.
    #[error("dataset {}: {problems} problem(s), listed above", path.display())]
    Damaged {
        /// The dataset's folder.
        path: PathBuf,
        /// How many problems were found.
        problems: usize,
    },
    /// The run was interrupted (Ctrl-C: its [`Cancel`](crate::Cancel) was cancelled); completed
    /// files were kept, partial ones removed.
    #[error("interrupted; partial files were removed and no _SUCCESS marker was written")]
    Interrupted,
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<customer_events_generator::Error> for Error {
    /// The generator's errors, as the same variants.
    fn from(e: customer_events_generator::Error) -> Self {
        match e {
            customer_events_generator::Error::Config { at, key, message } => Error::Config { at, key, message },
            customer_events_generator::Error::Arrow(e) => Error::Arrow(e),
        }
    }
}
