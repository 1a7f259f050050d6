//! The generator's error type: a config that cannot be (every message names
//! its key and, where there is one, the fix) and arrays that do not fit the
//! schema. The output library's `Error` takes both over unchanged.

/// Everything that can go wrong in generating rows.
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
    /// Building Arrow arrays failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

/// One line: the place in the file (if any), the key (if any), the message.
pub fn config_line(at: Option<&str>, key: &str, message: &str) -> String {
    match (at, key.is_empty()) {
        (Some(at), true) => format!("{at}: {message}"),
        (Some(at), false) => format!("{at}: config key `{key}`: {message}"),
        (None, _) => format!("config key `{key}`: {message}"),
    }
}
