//! What each country watches: which providers are offered there, which
//! languages its viewers prefer and how much it likes each genre.
//!
//! A title is drawn by its popularity, in the global ranking of the
//! catalog or (a share [`LOCAL_SHARE`]) in the country's own ranking (its
//! local hits), and then kept with the chance its country gives it: 0 when
//! its provider is not offered there (Hulu and Peacock only in the United
//! States, HBO Max and Paramount+ in some countries: a simplification of
//! where the services stream, not a guide), lower for a language the
//! country does not speak (Spanish titles are watched most in Spain, Mexico
//! and Argentina, French ones in France and Canada), affinities for each
//! provider and genre drawn per country and seed, and each title's own
//! appeal in each country. So the top titles and providers differ between
//! countries while popularity stays Zipf-skewed everywhere. A share
//! [`FRESH_SHARE`] of picks goes to the titles released in the last four
//! weeks, and no title is picked before its release day.

use crate::catalog::Catalog;
use crate::rng::{Alias, KeyedRng, Zipf, mix64};
use crate::users::Zone;
use crate::vocab::content::{GENRES, LANGUAGES, PROVIDERS};
use crate::vocab::places::country_codes;

/// Where each provider streams (ISO codes of the gazetteer's countries);
/// a provider not listed streams everywhere.
const OFFERED_IN: [(&str, &[&str]); 4] = [
    ("Hulu", &["US"]),
    ("Peacock", &["US"]),
    ("HBO Max", &["US", "MX", "AR", "BR", "ES", "NL", "PL", "SE", "AU"]),
    (
        "Paramount+",
        &["US", "CA", "AU", "GB", "IE", "MX", "AR", "BR", "DE", "FR", "IT"],
    ),
];

/// The languages of [`LANGUAGES`] each country speaks, most spoken first; a
/// country not listed watches English titles most.
const SPOKEN: [(&str, &[&str]); 6] = [
    ("ES", &["es"]),
    ("MX", &["es"]),
    ("AR", &["es"]),
    ("FR", &["fr"]),
    ("CA", &["en", "fr"]),
    ("US", &["en", "es"]),
];

/// The chance a title in a language the country does not speak is kept.
const FOREIGN: f64 = 0.35;
/// Draws of a title before the last one drawn is taken as it is.
const TRIES: usize = 8;
/// Share of picks that go to a title released in the last [`FRESH_DAYS`]
/// (when there is one), the newest most: new releases are watched most in
/// their first weeks.
pub const FRESH_SHARE: f64 = 0.08;
/// Share of picks drawn from the country's own ranking of the catalog
/// (its local hits) rather than the global one.
pub const LOCAL_SHARE: f64 = 0.6;
/// Most catalog entries × countries drawn from alias tables (8 bytes
/// each); a larger catalog draws by rejection, with the same distribution.
pub const ALIAS_SLOTS_MAX: usize = 1 << 23;
/// How long a release counts as new, in days.
pub const FRESH_DAYS: i32 = 28;

/// The taste of every country of the gazetteer.
#[derive(Clone, Debug)]
pub struct Taste {
    seed: u64,
    /// By country: the chance of keeping a title, by provider, language and genre.
    providers: Vec<[f64; PROVIDERS.len()]>,
    languages: Vec<[f64; LANGUAGES.len()]>,
    genres: Vec<[f64; GENRES.len()]>,
    /// By country: the (stride, offset) of its own ranking of the catalog.
    local: Vec<(u64, u64)>,
    /// By country (those with users): every entry's chance of being picked,
    /// as a constant-time table.
    tables: Vec<Option<Alias>>,
}

impl Taste {
    /// The taste of each country under `seed` (genre affinities vary by
    /// seed) for `catalog`, whose ranks `popularity` draws; `countries`
    /// (indices among the gazetteer's) are those with users.
    pub fn new(seed: u64, catalog: &Catalog, popularity: &Zipf, countries: &[u8]) -> Self {
        let codes = country_codes();
        // A number in [lo, 1) for (country, kind, item), fixed by the seed.
        let affinity = |country: usize, kind: u64, item: usize, lo: f64| {
            let bits = mix64(seed ^ mix64(0x7461_7374_6500 ^ (kind << 32 | (country as u64) << 8 | item as u64)));
            lo + (1.0 - lo) * (bits >> 11) as f64 / (1u64 << 53) as f64
        };
        let providers = codes
            .iter()
            .enumerate()
            .map(|(country, code)| {
                let mut keep = [0.0; PROVIDERS.len()];
                for (p, provider) in PROVIDERS.iter().enumerate() {
                    let listed = OFFERED_IN.iter().find(|(name, _)| name == provider);
                    keep[p] = match listed {
                        Some((_, countries)) if !countries.contains(code) => 0.0,
                        _ => affinity(country, 1, p, 0.35),
                    };
                }
                keep
            })
            .collect();
        let languages = codes
            .iter()
            .map(|code| {
                let spoken = SPOKEN.iter().find(|(c, _)| c == code).map_or(&["en"][..], |(_, l)| *l);
                LANGUAGES.map(|language| match spoken.iter().position(|l| *l == language) {
                    Some(0) => 1.0,
                    Some(_) => 0.7,
                    None => FOREIGN,
                })
            })
            .collect();
        let genres = (0..codes.len())
            .map(|country| {
                let mut keep = [0.0; GENRES.len()];
                for (genre, k) in keep.iter_mut().enumerate() {
                    *k = affinity(country, 2, genre, 0.35);
                }
                keep
            })
            .collect();
        let local = (0..codes.len())
            .map(|country| {
                let fraction = affinity(country, 3, 0, 0.05) * 0.9;
                let offset = mix64(seed ^ mix64(0x6869_7473 ^ country as u64));
                (
                    catalog.stride_prime_to_size(fraction),
                    offset % catalog.len().max(1) as u64,
                )
            })
            .collect();
        let mut taste = Taste {
            seed,
            providers,
            languages,
            genres,
            local,
            tables: vec![None; codes.len()],
        };
        let mut used: Vec<u8> = countries.to_vec();
        used.sort_unstable();
        used.dedup();
        if catalog.len() * used.len() <= ALIAS_SLOTS_MAX {
            for &country in &used {
                taste.tables[country as usize] = taste.table(catalog, popularity, country);
            }
        }
        taste
    }

    /// The chance of each entry being picked in `country` by the rejection
    /// draw of [`Taste::pick`] (popularity in the global and local
    /// rankings, times the keep chance), as an alias table.
    fn table(&self, catalog: &Catalog, popularity: &Zipf, country: u8) -> Option<Alias> {
        let mut weights = vec![0.0; catalog.len()];
        let (stride, offset) = self.local[country as usize];
        for rank in 0..catalog.len() as u64 {
            let p = popularity.probability(rank);
            weights[catalog.ranked(rank)] += (1.0 - LOCAL_SHARE) * p;
            weights[catalog.ranked_by(rank, stride, offset)] += LOCAL_SHARE * p;
        }
        for (entry, w) in weights.iter_mut().enumerate() {
            *w *= self.keep(catalog, country, entry);
        }
        Alias::new(&weights)
    }

    /// The index of `zone`'s country among the gazetteer's countries.
    pub fn country_of(zone: &Zone) -> u8 {
        let code = zone.country_code();
        country_codes().iter().position(|c| *c == code).unwrap_or(0) as u8
    }

    /// The chance `country` keeps catalog entry `entry`: its provider,
    /// language and genre there, and the title's own appeal there (a number
    /// in [0.15, 1) per country, title and seed, the same for every episode
    /// of a run: local hits).
    #[inline]
    fn keep(&self, catalog: &Catalog, country: u8, entry: usize) -> f64 {
        let e = catalog.entry(entry);
        let c = country as usize;
        let bits = mix64(self.seed ^ mix64(e.title_key() ^ (country as u64) << 56));
        let appeal = 0.15 + 0.85 * (bits >> 11) as f64 / (1u64 << 53) as f64;
        self.providers[c][e.provider as usize]
            * self.languages[c][e.language as usize]
            * self.genres[c][e.genre as usize]
            * appeal
    }

    /// A title for a viewer in `country` on `day` (days since the Unix
    /// epoch), released by then: a new release ([`FRESH_SHARE`]), else
    /// drawn by popularity and kept with the country's chance (after eight
    /// draws, the last is taken if it is available, else the most popular
    /// title that is).
    #[inline]
    pub fn pick(&self, catalog: &Catalog, popularity: &Zipf, country: u8, day: i32, rng: &mut KeyedRng) -> usize {
        if rng.chance(FRESH_SHARE) {
            let fresh = catalog.released_between(day - FRESH_DAYS + 1, day);
            if !fresh.is_empty() {
                // The newest most: position from the end by u².
                let u = rng.unit();
                let back = ((u * u * fresh.len() as f64) as usize).min(fresh.len() - 1);
                let entry = fresh[fresh.len() - 1 - back].1 as usize;
                if self.offered(catalog, country, entry) {
                    return entry;
                }
            }
        }
        let mut entry = 0;
        if let Some(table) = &self.tables[country as usize] {
            for _ in 0..TRIES {
                entry = table.sample(rng);
                if catalog.entry(entry).release <= day {
                    return entry;
                }
            }
        } else {
            entry = self.draw(catalog, popularity, country, day, rng);
        }
        if self.available(catalog, country, entry, day) {
            entry
        } else {
            (0..catalog.len())
                .find(|&e| self.available(catalog, country, e, day))
                .unwrap_or(entry)
        }
    }

    /// [`Taste::pick`]'s draw by rejection (a catalog too large for alias
    /// tables): a rank by popularity, kept with the country's chance; the
    /// last of eight draws when none is kept.
    fn draw(&self, catalog: &Catalog, popularity: &Zipf, country: u8, day: i32, rng: &mut KeyedRng) -> usize {
        let mut entry = 0;
        for _ in 0..TRIES {
            let rank = popularity.sample(rng);
            entry = if rng.chance(LOCAL_SHARE) {
                let (stride, offset) = self.local[country as usize];
                catalog.ranked_by(rank, stride, offset)
            } else {
                catalog.ranked(rank)
            };
            if rng.unit() < self.keep(catalog, country, entry) && catalog.availability(entry).release <= day {
                return entry;
            }
        }
        entry
    }

    /// Whether `entry` streams in `country` on `day`: its provider is
    /// offered there and it is released.
    #[inline]
    pub fn available(&self, catalog: &Catalog, country: u8, entry: usize, day: i32) -> bool {
        let a = catalog.availability(entry);
        self.providers[country as usize][a.provider as usize] > 0.0 && a.release <= day
    }

    /// Whether `entry`'s provider streams in `country`.
    #[inline]
    pub fn offered(&self, catalog: &Catalog, country: u8, entry: usize) -> bool {
        self.providers[country as usize][catalog.availability(entry).provider as usize] > 0.0
    }
}
