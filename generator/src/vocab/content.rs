//! The content vocabulary: types with their duration and season ranges,
//! providers, genres, languages, and the word lists titles are made from.

/// A content type and the ranges the catalog draws for it.
#[derive(Debug)]
pub struct ContentType {
    /// Name as written in the data.
    pub name: &'static str,
    /// Duration range in minutes (inclusive).
    pub minutes: (i32, i32),
    /// Season range (inclusive) for episodic types; `None` for the others.
    pub seasons: Option<(i32, i32)>,
    /// Episodes per season (inclusive) for episodic types.
    pub episodes: (i32, i32),
    /// Share of the catalog.
    pub weight: f64,
}

/// Content types, from the original module.
pub const CONTENT_TYPES: [ContentType; 7] = [
    ContentType {
        name: "Movie",
        minutes: (90, 120),
        seasons: None,
        episodes: (0, 0),
        weight: 0.30,
    },
    ContentType {
        name: "TV Show",
        minutes: (20, 60),
        seasons: Some((1, 15)),
        episodes: (6, 24),
        weight: 0.30,
    },
    ContentType {
        name: "Documentary",
        minutes: (30, 90),
        seasons: None,
        episodes: (0, 0),
        weight: 0.10,
    },
    ContentType {
        name: "Animation",
        minutes: (30, 120),
        seasons: None,
        episodes: (0, 0),
        weight: 0.08,
    },
    ContentType {
        name: "Short Film",
        minutes: (5, 30),
        seasons: None,
        episodes: (0, 0),
        weight: 0.05,
    },
    ContentType {
        name: "Mini-series",
        minutes: (60, 120),
        seasons: Some((1, 5)),
        episodes: (3, 10),
        weight: 0.07,
    },
    ContentType {
        name: "Reality Show",
        minutes: (20, 60),
        seasons: Some((1, 20)),
        episodes: (8, 16),
        weight: 0.10,
    },
];

/// Providers.
pub const PROVIDERS: [&str; 10] = [
    "Netflix",
    "Hulu",
    "Amazon Prime Video",
    "Disney+",
    "HBO Max",
    "Apple TV+",
    "YouTube",
    "Vimeo",
    "Peacock",
    "Paramount+",
];

/// Genres.
pub const GENRES: [&str; 16] = [
    "Action",
    "Drama",
    "Comedy",
    "Thriller",
    "Horror",
    "Action-comedy",
    "Romantic",
    "Science Fiction",
    "Fantasy",
    "Mystery",
    "Adventure",
    "Documentary",
    "Animation",
    "Family",
    "Musical",
    "Biography",
];

/// Languages (ISO 639-1) with their share of the catalog.
pub const LANGUAGES: [&str; 3] = ["en", "es", "fr"];
/// Share of the catalog in each of [`LANGUAGES`].
pub const LANGUAGE_WEIGHTS: [f64; 3] = [0.70, 0.18, 0.12];

/// Release years (inclusive).
pub const RELEASE_YEARS: (i32, i32) = (2000, 2024);

/// Title nouns.
pub const NOUNS: [&str; 25] = [
    "House", "Story", "Life", "World", "Game", "Night", "Day", "King", "Queen", "Castle", "Empire", "Journey", "Road",
    "Secret", "Dream", "Shadow", "Light", "Mountain", "River", "Ocean", "Star", "Planet", "Hero", "Legend", "Myth",
];

/// Title adjectives.
pub const ADJECTIVES: [&str; 21] = [
    "Dark",
    "Bright",
    "Silent",
    "Loud",
    "Ancient",
    "Modern",
    "Wild",
    "Quiet",
    "Hidden",
    "Lost",
    "Eternal",
    "Broken",
    "Perfect",
    "Golden",
    "Silver",
    "Crystal",
    "Frozen",
    "Burning",
    "Sacred",
    "Magical",
    "Mysterious",
];

/// Title verbs.
pub const VERBS: [&str; 17] = [
    "Run",
    "Hide",
    "Seek",
    "Find",
    "Love",
    "Hate",
    "Build",
    "Destroy",
    "Create",
    "Begin",
    "End",
    "Rise",
    "Fall",
    "Fight",
    "Surrender",
    "Remember",
    "Forget",
];

/// Title proper nouns.
pub const PROPER_NOUNS: [&str; 11] = [
    "Avalon",
    "Elysium",
    "Atlantis",
    "Gotham",
    "Olympus",
    "Eden",
    "Alexandria",
    "Shangri-La",
    "Valhalla",
    "Camelot",
    "Narnia",
];

/// Title prepositions.
pub const PREPOSITIONS: [&str; 8] = [
    "of", "in", "under", "beyond", "through", "without", "between", "beneath",
];

/// Number words for the "The {number} {noun}s" template.
pub const NUMBERS: [&str; 9] = [
    "Two", "Three", "Four", "Five", "Seven", "Nine", "Ten", "Twelve", "Hundred",
];

/// The names of [`CONTENT_TYPES`].
pub static CONTENT_TYPE: super::Vocabulary = super::Vocabulary::new(|| {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| CONTENT_TYPES.iter().map(|t| t.name).collect())
});
/// [`PROVIDERS`].
pub static PROVIDER: super::Vocabulary = super::Vocabulary::new(|| &PROVIDERS);
/// [`GENRES`].
pub static GENRE: super::Vocabulary = super::Vocabulary::new(|| &GENRES);
/// [`LANGUAGES`].
pub static LANGUAGE: super::Vocabulary = super::Vocabulary::new(|| &LANGUAGES);
