//! The codecs `--compression` names ([`Compression`]), parsed and printed;
//! each format says which it takes ([`FileFormat`](super::format::FileFormat))
//! and how it applies them.

use std::str::FromStr;

/// A compression codec, as given to `--compression` (each format takes
/// some: Parquet all of them).
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

impl Compression {
    /// One value of each codec (at its default level): the extension of a
    /// format's files may depend on the codec, never on the level.
    pub const ONE_OF_EACH: [Compression; 5] = [
        Compression::None,
        Compression::Snappy,
        Compression::Zstd(1),
        Compression::Lz4,
        Compression::Gzip(6),
    ];
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
