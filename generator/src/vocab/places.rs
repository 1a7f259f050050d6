//! The gazetteer: real cities with their first-level region, IANA timezone
//! and population, compiled into the binary.
//!
//! Source: GeoNames (<https://www.geonames.org>), cities with 15,000+
//! inhabitants and first-level division names, licensed CC BY 4.0. The table
//! (`cities.csv` beside this file) holds up to 60 of the most populous cities
//! of 20 countries.

use std::sync::OnceLock;

/// One city of the gazetteer. Every string borrows the compiled-in table.
#[derive(Clone, Debug)]
pub struct City {
    /// ISO 3166-1 alpha-2 code, e.g. `US`.
    pub country_code: &'static str,
    /// English country name, e.g. `United States`.
    pub country: &'static str,
    /// Place name.
    pub name: &'static str,
    /// First-level division: state, province, nation, Land, région, …
    pub region: &'static str,
    /// IANA timezone of the place.
    pub timezone: &'static str,
    /// Inhabitants; the weight for picking the city within its country.
    pub population: u64,
}

const TABLE: &str = include_str!("cities.csv");

/// One field of every city of [`cities`], by city index.
fn city_field(field: fn(&City) -> &'static str) -> Vec<&'static str> {
    cities().iter().map(field).collect()
}

/// Each city's country name, keyed by city index in [`cities`].
pub static COUNTRY: super::Vocabulary = super::Vocabulary::new(|| {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| city_field(|c| c.country))
});
/// [`COUNTRY`], then misspelt ([`super::with_misspellings`]): `UNITED STATES`, `United States `, … by city.
pub static COUNTRY_MISSPELT: super::Vocabulary = super::Vocabulary::new(|| {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| super::with_misspellings(COUNTRY.words()))
});
/// Each city's name, keyed by city index.
pub static CITY: super::Vocabulary = super::Vocabulary::new(|| {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| city_field(|c| c.name))
});
/// Each city's region, keyed by city index.
pub static REGION: super::Vocabulary = super::Vocabulary::new(|| {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| city_field(|c| c.region))
});
/// Each city's timezone, keyed by city index.
pub static TIMEZONE: super::Vocabulary = super::Vocabulary::new(|| {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| city_field(|c| c.timezone))
});

/// The countries of the original module, with their default share of users.
pub const DEFAULT_COUNTRY_WEIGHTS: [(&str, f64); 8] = [
    ("US", 0.40),
    ("GB", 0.12),
    ("CA", 0.08),
    ("AU", 0.06),
    ("DE", 0.12),
    ("FR", 0.10),
    ("IT", 0.06),
    ("ES", 0.06),
];

/// Every city of the table, parsed once.
pub fn cities() -> &'static [City] {
    static CITIES: OnceLock<Vec<City>> = OnceLock::new();
    CITIES.get_or_init(|| {
        TABLE
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(parse_line)
            .collect()
    })
}

/// The ISO codes of every country in the gazetteer.
pub fn country_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = cities().iter().map(|c| c.country_code).collect();
    codes.dedup();
    codes
}

fn parse_line(line: &'static str) -> City {
    let fields = split_csv(line);
    City {
        country_code: fields[0],
        country: fields[1],
        name: fields[2],
        region: fields[3],
        timezone: fields[4],
        population: fields[5].parse().expect("gazetteer population is an integer"),
    }
}

/// Splits one CSV line; a field may be double-quoted (no escaped quotes occur).
fn split_csv(line: &'static str) -> Vec<&'static str> {
    let mut fields = Vec::with_capacity(8);
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').expect("closing quote in gazetteer");
            fields.push(&quoted[..end]);
            rest = &quoted[end + 1..];
            match rest.strip_prefix(',') {
                Some(r) => rest = r,
                None => break,
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    fields.push(&rest[..i]);
                    rest = &rest[i + 1..];
                }
                None => {
                    fields.push(rest);
                    break;
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_original_country_has_25_real_cities_with_regions() {
        for (code, _) in DEFAULT_COUNTRY_WEIGHTS {
            let of_country: Vec<&City> = cities().iter().filter(|c| c.country_code == code).collect();
            assert!(of_country.len() >= 25, "{code} has {} cities", of_country.len());
            for c in of_country {
                assert_ne!(c.region, c.country_code, "{} region is the country code", c.name);
                assert!(!c.region.is_empty() && c.timezone.contains('/'), "{c:?}");
                assert!(c.timezone.parse::<chrono_tz::Tz>().is_ok(), "{c:?}");
            }
        }
        let dc = cities().iter().find(|c| c.name == "Washington").unwrap();
        assert_eq!(dc.region, "Washington, D.C.");
    }
}
