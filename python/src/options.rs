//! Python keyword arguments as the library's values: counts and dates the way
//! the command line takes them, the dataset [`Config`] resolved from a TOML
//! text and the keywords the way `DatasetArgs::resolve` resolves the flags,
//! and the library's errors as the Python exceptions they mean.

use customer_events::Config;
use customer_events::Error;
use customer_events::options::{parse_count, parse_date};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// The Python name of a library option: `--row-group-rows` → `row_group_rows`.
pub fn keyword(flag: &str) -> String {
    flag.trim_start_matches("--").replace('-', "_")
}

/// The Python exception of a library error: bad options and configs are
/// `ValueError` naming the keyword or config key, an unusable folder and
/// failed writes `OSError`, a cancelled run `KeyboardInterrupt`.
pub fn to_py_err(error: impl Into<Error>) -> PyErr {
    let error: Error = error.into();
    match error {
        Error::Config { .. } => PyValueError::new_err(in_python_terms(&error.to_string())),
        Error::Option { flag, message } => {
            PyValueError::new_err(format!("{}: {}", keyword(flag), in_python_terms(&message)))
        }
        Error::Output { .. }
        | Error::Io { .. }
        | Error::Damaged { .. }
        | Error::Destination { .. }
        | Error::Delivery { .. } => PyOSError::new_err(in_python_terms(&error.to_string())),
        Error::Interrupted => PyKeyboardInterrupt::new_err(error.to_string()),
        Error::Parquet(_) | Error::Arrow(_) => PyRuntimeError::new_err(error.to_string()),
    }
}

/// The library's options that take no value (`--overwrite`), which Python
/// passes as `keyword=True`.
const SWITCHES: [&str; 3] = ["--overwrite", "--resume", "--string-statistics"];

/// A library message with its options named as Python keywords:
/// `pass --overwrite` → `pass overwrite=True`, `a smaller --max-rows-per-file`
/// → `a smaller max_rows_per_file`. Commands quoted in backticks (`` `customer-events
/// commit` ``) are left as the shell takes them.
pub fn in_python_terms(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, span) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(span);
            continue;
        }
        let mut rest = span;
        while let Some(at) = rest.find("--") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let len = after
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
                .unwrap_or(after.len());
            let flag = &rest[at..at + 2 + len];
            let starts_word = rest[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
            if len == 0 || !after.starts_with(|c: char| c.is_ascii_lowercase()) || !starts_word {
                out.push_str("--");
                rest = after;
                continue;
            }
            out.push_str(&keyword(flag));
            if SWITCHES.contains(&flag) {
                out.push_str("=True");
            }
            rest = &after[len..];
        }
        out.push_str(rest);
    }
    out
}

/// A `ValueError` naming keyword `name`.
pub fn bad(name: &str, message: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{name}: {message}"))
}

/// A count given as an `int` or as text the command line takes (`10k`, `5M`, `1_000_000`).
pub fn count(name: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Ok(text) = value.extract::<String>() {
        return parse_count(&text).map_err(|message| bad(name, message));
    }
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(bad(name, "expected a count, got a bool"));
    }
    match value.extract::<i128>() {
        Ok(n) => u64::try_from(n).map_err(|_| bad(name, format!("{n} is not a count (0 ..= 2^64 - 1)"))),
        Err(_) => Err(bad(
            name,
            format!("expected an int or a count like \"10k\", got {}", type_name(value)),
        )),
    }
}

/// A count that must be at least 1.
pub fn positive(name: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    match count(name, value)? {
        0 => Err(bad(name, "must be at least 1")),
        n => Ok(n),
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The keywords that decide a dataset's content, as given (each `None` keeps
/// the config's value, or the tool's default without a config).
#[derive(Default)]
pub struct DatasetKeywords<'py> {
    /// Total events of the dataset (`--rows`).
    pub rows: Option<Bound<'py, PyAny>>,
    /// Seed of every random stream.
    pub seed: Option<Bound<'py, PyAny>>,
    /// First day, `YYYY-MM-DD` text or a `datetime.date`.
    pub start: Option<Bound<'py, PyAny>>,
    /// Days of events.
    pub days: Option<Bound<'py, PyAny>>,
    /// Users in the universe.
    pub users: Option<Bound<'py, PyAny>>,
    /// Catalog entries.
    pub catalog_size: Option<Bound<'py, PyAny>>,
    /// Events of an average day (`--events-per-day`): days sized by their
    /// date alone, so windows of one timeline can be generated apart.
    pub events_per_day: Option<Bound<'py, PyAny>>,
    /// The TOML text of a config (the `--config` file's content).
    pub config: Option<String>,
}

impl DatasetKeywords<'_> {
    /// The config text (or the default) with the keywords applied, validated:
    /// the same [`Config`] the command line resolves from the same flags.
    pub fn resolve(&self) -> PyResult<Config> {
        let mut config = match &self.config {
            Some(text) => Config::from_toml(text).map_err(to_py_err)?,
            None => Config::default(),
        };
        if let Some(rows) = &self.rows {
            if self.events_per_day.is_some() {
                return Err(bad(
                    "events_per_day",
                    "give rows (a total) or events_per_day (a volume per day), not both",
                ));
            }
            config.rows = positive("rows", rows)?;
            config.events_per_day = None;
        }
        if let Some(per_day) = &self.events_per_day {
            config.events_per_day = Some(positive("events_per_day", per_day)?);
        }
        if let Some(seed) = &self.seed {
            config.seed = seed
                .extract::<u64>()
                .map_err(|_| bad("seed", "expected an int in 0 ..= 2^64 - 1"))?;
        }
        if let Some(start) = &self.start {
            config.start = date("start", start)?;
        }
        if let Some(days) = &self.days {
            let days = positive("days", days)?;
            config.days = u32::try_from(days).map_err(|_| bad("days", format!("{days} days is too many")))?;
        }
        if let Some(users) = &self.users {
            config.users = Some(positive("users", users)?);
        }
        if let Some(size) = &self.catalog_size {
            config.catalog_size = count("catalog_size", size)?;
        }
        config.settle_rows();
        config.validate().map_err(to_py_err)?;
        Ok(config)
    }
}

/// A day given as `YYYY-MM-DD` text or a `datetime.date`.
fn date(name: &str, value: &Bound<'_, PyAny>) -> PyResult<chrono::NaiveDate> {
    let text = match value.extract::<String>() {
        Ok(text) => text,
        Err(_) => value
            .call_method0("isoformat")
            .and_then(|t| t.extract::<String>())
            .map_err(|_| bad(name, format!("expected YYYY-MM-DD or a date, got {}", type_name(value))))?,
    };
    parse_date(&text).map_err(|message| bad(name, message))
}
