//! What a dataset is: the seed, its size, its date range and every
//! distribution, as one validated [`Config`]. A TOML file (`--config`) sets
//! any part of it; command-line flags override the file.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{MAX_ACTIONS, MAX_DEVICES_PER_USER, MAX_RECOMMENDATIONS, MAX_SEARCH_HISTORY};
use crate::vocab::device::DEVICE_TYPES;
use crate::vocab::places::{DEFAULT_COUNTRY_WEIGHTS, country_codes};

/// The default seed: a dataset is reproducible without naming one.
pub const DEFAULT_SEED: u64 = 42;
/// The default first day of events.
pub const DEFAULT_START: &str = "2026-01-01";
/// The default number of days.
pub const DEFAULT_DAYS: u32 = 7;
/// The default row count of `generate`.
pub const DEFAULT_ROWS: u64 = 1_000_000;
/// The default catalog size.
pub const DEFAULT_CATALOG_SIZE: u64 = 10_000;

/// An inclusive range of list lengths.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LengthRange {
    /// Shortest list.
    pub min: u32,
    /// Longest list.
    pub max: u32,
}

impl LengthRange {
    const fn new(min: u32, max: u32) -> Self {
        Self { min, max }
    }
}

/// Share of each event type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventMix {
    /// Weight of `content_play`.
    pub content_play: f64,
    /// Weight of `search`.
    pub search: f64,
    /// Weight of `browse`.
    pub browse: f64,
}

/// Share of each device type among users' devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceMix {
    /// Weight of `mobile`.
    pub mobile: f64,
    /// Weight of `desktop`.
    pub desktop: f64,
    /// Weight of `tablet`.
    pub tablet: f64,
    /// Weight of `smartTV`.
    #[serde(rename = "smartTV")]
    pub smart_tv: f64,
}

impl DeviceMix {
    /// Weights in [`DEVICE_TYPES`] order.
    pub fn weights(&self) -> [f64; 4] {
        [self.mobile, self.desktop, self.tablet, self.smart_tv]
    }
}

/// Everything that decides a dataset's content. Same config → same bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seed of every random stream.
    pub seed: u64,
    /// Number of events.
    pub rows: u64,
    /// First day of events (UTC).
    pub start: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// Users in the universe; `None` scales with `rows` (see [`Config::user_count`]).
    pub users: Option<u64>,
    /// Entries in the content catalog.
    pub catalog_size: u64,
    /// Zipf exponent of user activity (0 = every user equally active).
    pub user_skew: f64,
    /// Zipf exponent of content popularity.
    pub content_skew: f64,
    /// Share of playbacks watched to the end (at least 95%).
    pub completion_rate: f64,
    /// Event-type mix.
    pub event_mix: EventMix,
    /// Device-type mix.
    pub device_mix: DeviceMix,
    /// Share of users per country (ISO 3166-1 alpha-2 codes of the gazetteer).
    pub countries: BTreeMap<String, f64>,
    /// Devices per user.
    pub devices_per_user: LengthRange,
    /// Actions per `content_play` event.
    pub actions: LengthRange,
    /// Recommendations per event.
    pub recommendations: LengthRange,
    /// Searches in each event's history.
    pub search_history: LengthRange,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            rows: DEFAULT_ROWS,
            start: DEFAULT_START.parse().expect("valid default date"),
            days: DEFAULT_DAYS,
            users: None,
            catalog_size: DEFAULT_CATALOG_SIZE,
            user_skew: 0.7,
            content_skew: 1.0,
            completion_rate: 0.4,
            event_mix: EventMix {
                content_play: 0.6,
                search: 0.15,
                browse: 0.25,
            },
            device_mix: DeviceMix {
                mobile: 0.40,
                desktop: 0.20,
                tablet: 0.15,
                smart_tv: 0.25,
            },
            countries: DEFAULT_COUNTRY_WEIGHTS
                .iter()
                .map(|(c, w)| (c.to_string(), *w))
                .collect(),
            devices_per_user: LengthRange::new(1, 4),
            actions: LengthRange::new(1, 5),
            recommendations: LengthRange::new(1, 5),
            search_history: LengthRange::new(1, 5),
        }
    }
}

/// The documented default config, as `customer-events config --default` prints it.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("default_config.toml");

impl Config {
    /// Parses a TOML config; keys it leaves out keep their defaults.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key that is unknown, mistyped or impossible.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let key = e.span().map(|s| text[s].trim().to_string()).unwrap_or_default();
            Error::Config {
                key,
                message: e.message().to_string(),
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Users in the universe: `users` if set, else `rows / 20` kept within
    /// 1,000 ..= 10,000,000.
    pub fn user_count(&self) -> u64 {
        self.users.unwrap_or_else(|| (self.rows / 20).clamp(1_000, 10_000_000))
    }

    /// Checks that the config describes a dataset that can exist.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first offending key.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |key: &str, message: String| {
            Err(Error::Config {
                key: key.to_string(),
                message,
            })
        };
        if self.rows == 0 {
            return bad("rows", "must be at least 1".into());
        }
        if self.days == 0 {
            return bad("days", "must be at least 1".into());
        }
        if self
            .start
            .checked_add_days(chrono::Days::new(self.days as u64))
            .is_none()
        {
            return bad("days", "the date range runs past the calendar".into());
        }
        if self.user_count() == 0 {
            return bad("users", "must be at least 1".into());
        }
        if self.catalog_size < 10 {
            return bad(
                "catalog_size",
                "must be at least 10 (recommendations need distinct entries)".into(),
            );
        }
        if self.catalog_size > 100_000_000 {
            return bad("catalog_size", "must be at most 100,000,000".into());
        }
        for (key, value) in [("user_skew", self.user_skew), ("content_skew", self.content_skew)] {
            if !(0.0..=5.0).contains(&value) {
                return bad(key, format!("{value} is outside 0 ..= 5"));
            }
        }
        if !(0.0..=1.0).contains(&self.completion_rate) {
            return bad(
                "completion_rate",
                format!("{} is outside 0 ..= 1", self.completion_rate),
            );
        }
        let mix = &self.event_mix;
        check_weights(
            "event_mix",
            &[
                ("content_play", mix.content_play),
                ("search", mix.search),
                ("browse", mix.browse),
            ],
        )?;
        let devices = self.device_mix.weights();
        let named: Vec<(&str, f64)> = DEVICE_TYPES.iter().copied().zip(devices).collect();
        check_weights("device_mix", &named)?;
        let known = country_codes();
        for code in self.countries.keys() {
            if !known.contains(&code.as_str()) {
                return bad(
                    &format!("countries.{code}"),
                    format!("unknown country code; the gazetteer has {}", known.join(", ")),
                );
            }
        }
        let countries: Vec<(&str, f64)> = self.countries.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        check_weights("countries", &countries)?;
        for (key, range, floor, ceiling) in [
            ("devices_per_user", self.devices_per_user, 1, MAX_DEVICES_PER_USER),
            ("actions", self.actions, 1, MAX_ACTIONS),
            ("recommendations", self.recommendations, 1, MAX_RECOMMENDATIONS),
            ("search_history", self.search_history, 1, MAX_SEARCH_HISTORY),
        ] {
            if range.min < floor || range.max > ceiling || range.min > range.max {
                return bad(
                    key,
                    format!(
                        "min {} and max {} must satisfy {floor} <= min <= max <= {ceiling}",
                        range.min, range.max
                    ),
                );
            }
        }
        if self.recommendations.max as u64 >= self.catalog_size {
            return bad("recommendations.max", "must be below catalog_size".into());
        }
        Ok(())
    }
}

fn check_weights(table: &str, weights: &[(&str, f64)]) -> Result<(), Error> {
    for (name, w) in weights {
        if !w.is_finite() || *w < 0.0 {
            return Err(Error::Config {
                key: format!("{table}.{name}"),
                message: format!("weight {w} must be a finite number >= 0"),
            });
        }
    }
    if weights.iter().all(|(_, w)| *w == 0.0) {
        return Err(Error::Config {
            key: table.to_string(),
            message: "needs at least one positive weight".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_default_is_the_default() {
        let parsed = Config::from_toml(DEFAULT_CONFIG_TOML).unwrap();
        assert_eq!(parsed, Config::default());
    }

    fn key_of(text: &str) -> String {
        match Config::from_toml(text) {
            Err(Error::Config { key, .. }) => key,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn impossible_configs_name_their_key() {
        assert!(key_of("colour = 3").contains("colour"));
        assert_eq!(
            key_of("[event_mix]\ncontent_play = -1\nsearch = 1\nbrowse = 1"),
            "event_mix.content_play"
        );
        assert_eq!(
            key_of("[event_mix]\ncontent_play = 0\nsearch = 0\nbrowse = 0"),
            "event_mix"
        );
        assert_eq!(key_of("[actions]\nmin = 4\nmax = 2"), "actions");
        assert_eq!(key_of("[countries]\nXX = 1.0"), "countries.XX");
        assert_eq!(key_of("days = 0"), "days");
    }
}
