//! The content catalog: a fixed set of titles whose every attribute is a pure
//! function of (seed, content index), built once at start-up, plus the search
//! index (result counts per query word) that makes search results plausible.
//! A series entry opens a run of up to eight consecutive episodes of one
//! season of one show (entries after it repeat its title, genre, provider,
//! language and release year, episode + 1 each), drawn from the stream of
//! the run's first index, so that a finished episode has a next one
//! ([`Catalog::next_episode`]).

use std::sync::{Arc, OnceLock};

use arrow::array::StringArray;

use crate::columns::{CatalogVocabularies, uuid_column};
use chrono::{Datelike, NaiveDate};

use crate::model::{Content, Days, Uuid};
use crate::rng::{KeyedRng, Stream, Weighted};
use crate::vocab::content::{
    ADJECTIVES, CONTENT_TYPE, CONTENT_TYPES, GENRE, GENRES, LANGUAGE, LANGUAGE_WEIGHTS, NOUNS, NUMBERS, PREPOSITIONS,
    PROPER_NOUNS, PROVIDER, PROVIDERS, RELEASE_YEARS, VERBS,
};

/// One catalog entry, compact: strings are indices into vocabularies or into
/// the title pool.
#[derive(Clone, Debug)]
pub struct CatalogEntry {
    /// Catalog id.
    pub id: Uuid,
    title_start: u32,
    title_len: u16,
    /// Index into `CONTENT_TYPES`.
    pub content_type: u8,
    /// Index into `PROVIDERS`.
    pub provider: u8,
    /// Index into `GENRES`.
    pub genre: u8,
    /// Index into `LANGUAGES`.
    pub language: u8,
    /// Index into `NOUNS` of the title's first noun.
    pub noun: u8,
    /// Season, 0 when the type has none.
    pub season: u16,
    /// Episode, 0 when the type has none.
    pub episode: u16,
    /// Release year (the year of `release`).
    pub release_year: u16,
    /// Release day, in days since the Unix epoch: nothing plays before it.
    pub release: i32,
    /// Minutes.
    pub duration: u16,
    /// Entries of the catalog with exactly this title.
    pub same_title_count: u32,
}

impl CatalogEntry {
    /// A number naming the entry's title (the same for every episode of a
    /// run, which share their title).
    #[inline]
    pub fn title_key(&self) -> u64 {
        self.title_start as u64
    }
}

/// The catalog and its search index.
#[derive(Debug)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    /// Each entry's provider and release day, packed apart from the
    /// entries: the checks of what streams where and when (a title drawn,
    /// recommendations, the next episode) read many entries at random,
    /// and this array fits a core's cache where the entries do not.
    availability: Vec<Availability>,
    titles: String,
    lowercase_titles: String,
    lowercase_nouns: Vec<String>,
    lowercase_genres: Vec<String>,
    lowercase_providers: Vec<String>,
    noun_counts: Vec<u32>,
    genre_counts: Vec<u32>,
    provider_counts: Vec<u32>,
    /// Built at the first request (see [`Catalog::vocabularies`]).
    vocabularies: OnceLock<Option<CatalogVocabularies>>,
    /// Every entry as (release day, entry), by release day.
    by_release: Vec<(i32, u32)>,
    /// The step between entries of consecutive popularity ranks (prime to
    /// the catalog's size; see [`Catalog::ranked`]).
    rank_stride: u64,
}

/// An entry's provider and release day (see [`Catalog::availability`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Availability {
    /// Release day, in days since the Unix epoch.
    pub release: i32,
    /// Index into `PROVIDERS`.
    pub provider: u8,
}

/// A step near `fraction` of `n` that is prime to `n`.
fn stride_prime_to(n: u64, fraction: f64) -> u64 {
    if n <= 2 {
        return 1;
    }
    let gcd = |mut a: u64, mut b: u64| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let mut stride = ((n as f64 * fraction) as u64).max(1);
    while gcd(stride, n) != 1 {
        stride += 1;
    }
    stride
}

/// Share of the catalog's series runs and films released in the year after
/// the timeline's epoch (the rest came out in [`RELEASE_YEARS`]).
pub const NEW_RELEASE_SHARE: f64 = 0.05;

/// Most catalog entries whose ids and titles are written as dictionary keys
/// into [`CatalogVocabularies`] (about 9 MiB of id text, and a key remap of
/// a MiB per column chunk); a larger catalog writes them as text.
pub const KEYED_ENTRIES_MAX: usize = 1 << 18;

/// Most consecutive episodes of one season in a row of the catalog.
const MAX_EPISODE_RUN: i32 = 8;

/// What a search query names.
#[derive(Clone, Copy, Debug)]
pub enum QueryKind {
    /// One word of a title.
    TitleWord,
    /// A whole title.
    Title,
    /// A genre.
    Genre,
    /// A provider.
    Provider,
}

impl Catalog {
    /// Builds `size` entries for `seed`; `epoch` is the timeline's epoch
    /// (days since the Unix epoch), after which new titles are released.
    pub fn build(seed: u64, size: u64, epoch: i32) -> Self {
        let types = Weighted::new(CONTENT_TYPES.iter().map(|t| t.weight)).expect("content type weights");
        let languages = Weighted::new(LANGUAGE_WEIGHTS).expect("language weights");
        let mut entries = Vec::with_capacity(size as usize);
        let mut titles = String::with_capacity(size as usize * 20);
        let mut noun_counts = vec![0u32; NOUNS.len()];
        let mut genre_counts = vec![0u32; GENRES.len()];
        let mut provider_counts = vec![0u32; PROVIDERS.len()];
        let mut index = 0;
        while index < size {
            let mut rng = KeyedRng::new(seed, Stream::Content, index);
            let content_type = types.sample(&mut rng);
            let kind = &CONTENT_TYPES[content_type];
            let duration = rng.range_i32(kind.minutes.0, kind.minutes.1);
            // A series entry opens a run of consecutive episodes of one
            // season of one show, so that a finished episode has a next one.
            let (season, episode, run) = match kind.seasons {
                Some((lo, hi)) => {
                    let season = rng.range_i32(lo, hi);
                    let episodes_in_season = rng.range_i32(kind.episodes.0, kind.episodes.1);
                    let episode = rng.range_i32(1, episodes_in_season);
                    let more = (episodes_in_season - episode).min(MAX_EPISODE_RUN - 1);
                    (season, episode, 1 + rng.range_i32(0, more) as u64)
                }
                None => (0, 0, 1),
            };
            let genre = genre_for(kind.name, &mut rng);
            let provider = rng.below(PROVIDERS.len() as u32) as usize;
            let title_start = titles.len();
            let (noun, second_noun) = write_title(&mut rng, &mut titles);
            let language = languages.sample(&mut rng) as u8;
            let release = if rng.chance(NEW_RELEASE_SHARE) {
                epoch + rng.below(365) as i32
            } else {
                let year = rng.range_i32(RELEASE_YEARS.0, RELEASE_YEARS.1);
                let first = NaiveDate::from_yo_opt(year, 1).expect("a release year");
                Days::from_date(first).0 + rng.below(365) as i32
            };
            let release_year = Days(release).date().year() as u16;
            for step in 0..run.min(size - index) {
                noun_counts[noun] += 1;
                if let Some(second) = second_noun.filter(|&n| n != noun) {
                    noun_counts[second] += 1;
                }
                genre_counts[genre] += 1;
                provider_counts[provider] += 1;
                entries.push(CatalogEntry {
                    id: Uuid::derive(seed, Stream::ContentId, index + step),
                    title_start: title_start as u32,
                    title_len: (titles.len() - title_start) as u16,
                    content_type: content_type as u8,
                    provider: provider as u8,
                    genre: genre as u8,
                    language,
                    noun: noun as u8,
                    season: season as u16,
                    episode: (episode + step as i32) as u16,
                    release_year,
                    release,
                    duration: duration as u16,
                    same_title_count: 0,
                });
            }
            index += run.min(size - index);
        }
        let availability = entries
            .iter()
            .map(|e| Availability {
                release: e.release,
                provider: e.provider,
            })
            .collect();
        let mut catalog = Catalog {
            entries,
            availability,
            lowercase_titles: titles.to_lowercase(),
            titles,
            lowercase_nouns: NOUNS.iter().map(|s| s.to_lowercase()).collect(),
            lowercase_genres: GENRES.iter().map(|s| s.to_lowercase()).collect(),
            lowercase_providers: PROVIDERS.iter().map(|s| s.to_lowercase()).collect(),
            noun_counts,
            genre_counts,
            provider_counts,
            vocabularies: OnceLock::new(),
            by_release: Vec::new(),
            rank_stride: 1,
        };
        catalog.rank_stride = stride_prime_to(catalog.entries.len() as u64, 0.618_033_988_7);
        catalog.count_same_titles();
        catalog.by_release = catalog
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.release, i as u32))
            .collect();
        catalog.by_release.sort_unstable();
        catalog
    }

    fn count_same_titles(&mut self) {
        let mut counts: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for e in &self.entries {
            *counts.entry(slice(&self.titles, e)).or_default() += 1;
        }
        let per_entry: Vec<u32> = self.entries.iter().map(|e| counts[slice(&self.titles, e)]).collect();
        for (e, c) in self.entries.iter_mut().zip(per_entry) {
            e.same_title_count = c;
        }
    }

    /// The entry of popularity rank `rank` (0 the most popular). Ranks are
    /// scattered over the catalog, so the episodes of one run (consecutive
    /// entries) do not take consecutive ranks and a show's popularity is
    /// not the sum of the top ranks.
    #[inline]
    pub fn ranked(&self, rank: u64) -> usize {
        self.ranked_by(rank, self.rank_stride, 0)
    }

    /// The entry of rank `rank` in an ordering of the catalog by `stride`
    /// (prime to the size, from [`Catalog::stride_prime_to_size`]) from `offset`.
    #[inline]
    pub fn ranked_by(&self, rank: u64, stride: u64, offset: u64) -> usize {
        let n = self.entries.len().max(1) as u64;
        // Below 2^32 entries the product fits in 64 bits.
        match (rank % n).checked_mul(stride).and_then(|p| p.checked_add(offset % n)) {
            Some(at) => (at % n) as usize,
            None => ((rank as u128 * stride as u128 + offset as u128) % n as u128) as usize,
        }
    }

    /// A step prime to the catalog's size near `fraction` of it.
    pub fn stride_prime_to_size(&self, fraction: f64) -> u64 {
        stride_prime_to(self.entries.len() as u64, fraction)
    }

    /// The entries released from day `from` to day `to` (inclusive), as
    /// (release day, entry), oldest first.
    pub fn released_between(&self, from: i32, to: i32) -> &[(i32, u32)] {
        let lo = self.by_release.partition_point(|&(day, _)| day < from);
        let hi = self.by_release.partition_point(|&(day, _)| day <= to);
        &self.by_release[lo..hi.max(lo)]
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ids and titles by entry, for columns written as keys; `None`
    /// above [`KEYED_ENTRIES_MAX`] entries. Built at the first call.
    pub fn vocabularies(&self) -> Option<&CatalogVocabularies> {
        self.vocabularies
            .get_or_init(|| {
                (self.entries.len() <= KEYED_ENTRIES_MAX).then(|| {
                    let ids: Vec<Uuid> = self.entries.iter().map(|e| e.id).collect();
                    let titles: StringArray = self.entries.iter().map(|e| Some(slice(&self.titles, e))).collect();
                    CatalogVocabularies {
                        ids: uuid_column(&ids),
                        titles: Arc::new(titles),
                    }
                })
            })
            .as_ref()
    }

    /// The episode after entry `index` (same show and season, episode + 1),
    /// when the catalog has it.
    #[inline]
    pub fn next_episode(&self, index: usize) -> Option<usize> {
        let (this, next) = (self.entries.get(index)?, self.entries.get(index + 1)?);
        (this.episode > 0
            && next.title_start == this.title_start
            && next.season == this.season
            && next.episode == this.episode + 1)
            .then_some(index + 1)
    }

    /// The entry at `index`.
    #[inline]
    pub fn entry(&self, index: usize) -> &CatalogEntry {
        &self.entries[index]
    }

    /// The provider and release day of the entry at `index`.
    #[inline]
    pub fn availability(&self, index: usize) -> Availability {
        self.availability[index]
    }

    /// The entry at `index` as event content.
    #[inline]
    pub fn content(&self, index: usize) -> Content<'_> {
        let e = &self.entries[index];
        let kind = &CONTENT_TYPES[e.content_type as usize];
        let episodic = kind.seasons.is_some();
        Content {
            id: e.id,
            title: slice(&self.titles, e),
            content_type: CONTENT_TYPE.word(e.content_type as usize),
            episode: episodic.then_some(e.episode as i32),
            season: episodic.then_some(e.season as i32),
            provider: PROVIDER.word(e.provider as usize),
            genre: GENRE.word(e.genre as usize),
            release_year: e.release_year as i32,
            duration: e.duration as i32,
            language: LANGUAGE.word(e.language as usize),
            entry: index as u32,
        }
    }

    /// A query of `kind` a user would type to find entry `index`, and how
    /// many catalog entries it matches.
    #[inline]
    pub fn query(&self, index: usize, kind: QueryKind) -> (&str, i32) {
        let e = &self.entries[index];
        match kind {
            QueryKind::TitleWord => (
                &self.lowercase_nouns[e.noun as usize],
                self.noun_counts[e.noun as usize] as i32,
            ),
            QueryKind::Title => (slice(&self.lowercase_titles, e), e.same_title_count as i32),
            QueryKind::Genre => (
                &self.lowercase_genres[e.genre as usize],
                self.genre_counts[e.genre as usize] as i32,
            ),
            QueryKind::Provider => (
                &self.lowercase_providers[e.provider as usize],
                self.provider_counts[e.provider as usize] as i32,
            ),
        }
    }
}

#[inline]
fn slice<'a>(pool: &'a str, e: &CatalogEntry) -> &'a str {
    &pool[e.title_start as usize..e.title_start as usize + e.title_len as usize]
}

/// A genre that fits the type: documentaries are documentaries or
/// biographies, animations are animation or family fare.
fn genre_for(content_type: &str, rng: &mut KeyedRng) -> usize {
    let index_of = |g: &str| GENRES.iter().position(|x| *x == g).expect("genre in vocabulary");
    match content_type {
        "Documentary" => index_of(rng.pick(&["Documentary", "Biography"])),
        "Animation" => index_of(rng.pick(&["Animation", "Family", "Comedy", "Adventure", "Fantasy"])),
        _ => loop {
            let g = rng.below(GENRES.len() as u32) as usize;
            if !matches!(GENRES[g], "Documentary" | "Animation") {
                break g;
            }
        },
    }
}

/// Writes a title from one of the original templates, every slot filled.
/// Returns the title's first noun and its second noun if it has one.
fn write_title(rng: &mut KeyedRng, out: &mut String) -> (usize, Option<usize>) {
    let noun = rng.below(NOUNS.len() as u32) as usize;
    let other = rng.below(NOUNS.len() as u32) as usize;
    let parts: [&str; 6];
    let second = match rng.below(7) {
        0 => {
            parts = ["The ", NOUNS[noun], " of ", NOUNS[other], "", ""];
            Some(other)
        }
        1 => {
            parts = [rng.pick(&ADJECTIVES), " ", NOUNS[noun], "", "", ""];
            None
        }
        2 => {
            parts = [NOUNS[noun], ": ", rng.pick(&PROPER_NOUNS), "", "", ""];
            None
        }
        3 => {
            parts = ["The ", NOUNS[noun], " in the ", NOUNS[other], "", ""];
            Some(other)
        }
        4 => {
            parts = [NOUNS[noun], " ", rng.pick(&PREPOSITIONS), " ", NOUNS[other], ""];
            Some(other)
        }
        5 => {
            parts = ["The ", rng.pick(&NUMBERS), " ", NOUNS[noun], "s", ""];
            None
        }
        _ => {
            parts = [rng.pick(&VERBS), " the ", NOUNS[noun], "", "", ""];
            None
        }
    };
    for p in parts {
        if p == "s" && out.ends_with("ry") {
            // "Story" → "Stories" (but "Days", "Journeys")
            out.pop();
            out.push_str("ies");
        } else {
            out.push_str(p);
        }
    }
    (noun, second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_catalog_and_titles_are_filled() {
        let a = Catalog::build(7, 500, 20_454);
        let b = Catalog::build(7, 500, 20_454);
        for i in 0..500 {
            assert_eq!(a.content(i), b.content(i));
            let c = a.content(i);
            assert!(!c.title.contains('{') && !c.title.is_empty(), "{}", c.title);
            assert_eq!(c.season.is_some(), c.episode.is_some());
            if let Some(s) = c.season {
                assert!(s >= 1 && c.episode.unwrap() >= 1);
            }
        }
    }

    #[test]
    fn query_counts_match_the_catalog() {
        let cat = Catalog::build(1, 2000, 20_454);
        for i in 0..50 {
            let (genre, n) = cat.query(i, QueryKind::Genre);
            let actual = (0..cat.len())
                .filter(|&j| cat.content(j).genre.to_lowercase() == genre)
                .count();
            assert_eq!(n as usize, actual);
            let (title, n) = cat.query(i, QueryKind::Title);
            let actual = (0..cat.len())
                .filter(|&j| cat.content(j).title.to_lowercase() == title)
                .count();
            assert_eq!(n as usize, actual);
            let (word, n) = cat.query(i, QueryKind::TitleWord);
            // A search matches plurals too: "story" finds "The Three Stories".
            let stem = word.trim_end_matches('y');
            assert!(cat.content(i).title.to_lowercase().contains(stem));
            assert!(n >= 1);
        }
    }
}
