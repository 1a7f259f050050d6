//! Option values as people write them, for every front end (the command
//! line, and the bindings to come): counts like `10k` or `1_000_000`, dates,
//! and the named choices (a format, a layout, a schema form) with the name
//! and one-line description each is listed under.

use chrono::NaiveDate;

/// A value chosen by name from a fixed set: a front end lists
/// [`Choice::ALL`] with their [`name`](Choice::name) and
/// [`description`](Choice::description), and parses one with [`parse_choice`].
pub trait Choice: Copy + Sized + 'static {
    /// What the value chooses, for error messages: `format`, `layout`.
    const KIND: &'static str;
    /// Every value, in the order they are listed.
    const ALL: &'static [Self];
    /// The name it is written as.
    fn name(self) -> &'static str;
    /// What it means, in one line.
    fn description(self) -> &'static str;
}

/// The value of `T` named `text` (exactly, as [`Choice::name`] spells it).
///
/// # Errors
/// A message naming the valid values when none is called `text`.
pub fn parse_choice<T: Choice>(text: &str) -> Result<T, String> {
    T::ALL
        .iter()
        .copied()
        .find(|value| value.name() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = T::ALL.iter().map(|value| value.name()).collect();
            format!("unknown {} `{text}`; use {}", T::KIND, names.join(", "))
        })
}

/// `FromStr` (by [`parse_choice`]) and `Display` (the [`Choice::name`]) for
/// a [`Choice`].
macro_rules! choice_text {
    ($type:ty) => {
        impl std::str::FromStr for $type {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                $crate::options::parse_choice(text)
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::options::Choice::name(*self))
            }
        }
    };
}
pub(crate) use choice_text;

/// Parses a count such as `10k`, `5M`, `1.5B`, `1_000_000` or `1,000,000`.
///
/// # Errors
/// A message with examples when `text` is not a whole, non-negative count
/// that fits in a `u64`.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != '_' && *c != ',').collect();
    let (number, multiplier) = match cleaned.chars().last() {
        Some('k' | 'K') => (&cleaned[..cleaned.len() - 1], 1e3),
        Some('m' | 'M') => (&cleaned[..cleaned.len() - 1], 1e6),
        Some('b' | 'B' | 'g' | 'G') => (&cleaned[..cleaned.len() - 1], 1e9),
        _ => (cleaned.as_str(), 1.0),
    };
    let invalid = || format!("`{text}` is not a count; write e.g. 1000, 10k, 5M or 1B");
    if let Ok(n) = number.parse::<u64>() {
        return n.checked_mul(multiplier as u64).ok_or_else(invalid);
    }
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let total = value * multiplier;
    if !total.is_finite() || total < 0.0 || total.fract() != 0.0 || total > u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(total as u64)
}

/// Parses a day written `YYYY-MM-DD`.
///
/// # Errors
/// A message with an example when `text` is not such a date.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date; write YYYY-MM-DD, e.g. 2026-01-01"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parse_like_people_write_them() {
        assert_eq!(parse_count("10k"), Ok(10_000));
        assert_eq!(parse_count("5M"), Ok(5_000_000));
        assert_eq!(parse_count("1B"), Ok(1_000_000_000));
        assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_count("1,000,000"), Ok(1_000_000));
        assert_eq!(parse_count("2.5M"), Ok(2_500_000));
        assert!(parse_count("ten").is_err());
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("100000000000B").is_err());
    }

    #[test]
    fn dates_are_iso_days() {
        assert_eq!(
            parse_date(" 2026-03-29 "),
            Ok(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap())
        );
        assert_eq!(
            parse_date("2026-13-01"),
            Err("`2026-13-01` is not a date; write YYYY-MM-DD, e.g. 2026-01-01".to_string())
        );
    }
}
