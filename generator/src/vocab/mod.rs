//! Static vocabularies: every word the generator can write, in tables built
//! into the binary. They start from the original module's lists and extend
//! them where that adds realism (more device models, real places).
//!
//! A [`Vocabulary`] is one such list as the generator chooses from it: an
//! event holds a [`Word`] (the vocabulary and the chosen key), which reads
//! as its text for JSON and Utf8 columns, and as its key for the dictionary
//! columns of Parquet, whose dictionary is the vocabulary's Arrow array.

pub mod content;
pub mod device;
pub mod holidays;
pub mod places;

use std::fmt;
use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, StringArray};
use serde::{Serialize, Serializer};

/// A list of words chosen by key (a word's index in the list), with the
/// same words as an Arrow array, built once and shared by every dictionary
/// column of the vocabulary. A word may be listed under several keys (a
/// model name on two platforms, a region of several cities).
pub struct Vocabulary {
    words: fn() -> &'static [&'static str],
    array: OnceLock<ArrayRef>,
}

impl fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vocabulary")
            .field("words", &self.words().len())
            .finish()
    }
}

impl Vocabulary {
    /// The vocabulary of the list `words` returns (always the same list).
    pub const fn new(words: fn() -> &'static [&'static str]) -> Self {
        Vocabulary {
            words,
            array: OnceLock::new(),
        }
    }

    /// The words, by key.
    #[inline]
    pub fn words(&self) -> &'static [&'static str] {
        (self.words)()
    }

    /// The word of `key`.
    ///
    /// # Panics
    /// If `key` is not below the vocabulary's length (or 65,536).
    #[inline]
    pub fn word(&'static self, key: usize) -> Word {
        assert!(
            key < self.words().len(),
            "key {key} outside a vocabulary of {}",
            self.words().len()
        );
        Word {
            vocabulary: self,
            key: key as u16,
        }
    }

    /// The words as an Arrow Utf8 array (the dictionary of keyed columns).
    pub fn array(&self) -> &ArrayRef {
        self.array
            .get_or_init(|| Arc::new(StringArray::from(self.words().to_vec())))
    }
}

/// A vocabulary's words followed by words outside it, as a client that
/// breaks the contract writes them: each of `words` in capitals
/// (`SMARTTV`), then with a trailing space (`mobile `). Key `k` is word `k`
/// itself (so the list is the dictionary of a column holding both), key
/// `n + 2k` word `k` in capitals and `n + 2k + 1` with the space, for `n`
/// words; each distinct word's pair is made once (and kept for the
/// process, as every vocabulary is).
pub fn with_misspellings(words: &[&'static str]) -> Vec<&'static str> {
    let mut made: std::collections::HashMap<&'static str, [&'static str; 2]> = std::collections::HashMap::new();
    let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
    let misspelt = words.iter().flat_map(|&word| {
        *made
            .entry(word)
            .or_insert_with(|| [leak(word.to_uppercase()), leak(format!("{word} "))])
    });
    words.iter().copied().chain(misspelt.collect::<Vec<_>>()).collect()
}

/// A word chosen from a [`Vocabulary`]: the vocabulary and the key. Reads,
/// prints, compares and serializes as its text.
#[derive(Clone, Copy)]
pub struct Word {
    vocabulary: &'static Vocabulary,
    key: u16,
}

impl Word {
    /// The text.
    #[inline]
    pub fn as_str(self) -> &'static str {
        self.vocabulary.words()[self.key as usize]
    }

    /// The key in its vocabulary.
    #[inline]
    pub fn key(self) -> u16 {
        self.key
    }

    /// The vocabulary the word was chosen from.
    #[inline]
    pub fn vocabulary(self) -> &'static Vocabulary {
        self.vocabulary
    }
}

/// The empty word (of a vocabulary of one empty word), for events not yet filled.
impl Default for Word {
    fn default() -> Self {
        static EMPTY: Vocabulary = Vocabulary::new(|| &[""]);
        EMPTY.word(0)
    }
}

impl std::ops::Deref for Word {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Word {
    fn eq(&self, other: &Word) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<&str> for Word {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Word {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl Serialize for Word {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// [`EVENT_TYPES`].
pub static EVENT_TYPE: Vocabulary = Vocabulary::new(|| &EVENT_TYPES);
/// [`PLANS`].
pub static PLAN: Vocabulary = Vocabulary::new(|| &PLANS);
/// [`BILLING_CYCLES`].
pub static BILLING_CYCLE: Vocabulary = Vocabulary::new(|| &BILLING_CYCLES);
/// [`CONNECTED_SERVICES`].
pub static CONNECTED_SERVICE: Vocabulary = Vocabulary::new(|| &CONNECTED_SERVICES);
/// [`QUALITIES`].
pub static QUALITY: Vocabulary = Vocabulary::new(|| &QUALITIES);
/// [`NETWORK_TYPES`].
pub static NETWORK_TYPE: Vocabulary = Vocabulary::new(|| &NETWORK_TYPES);
/// [`ACTION_TYPES`].
pub static ACTION_TYPE: Vocabulary = Vocabulary::new(|| &ACTION_TYPES);
/// [`ALGORITHMS`].
pub static ALGORITHM: Vocabulary = Vocabulary::new(|| &ALGORITHMS);

/// Event types, in the order the config's `event_mix` weights them.
pub const EVENT_TYPES: [&str; 3] = ["content_play", "search", "browse"];

/// Subscription plans.
pub const PLANS: [&str; 3] = ["Basic", "Standard", "Premium"];
/// Default weight of each plan.
pub const PLAN_WEIGHTS: [f64; 3] = [0.35, 0.40, 0.25];

/// Billing cycles.
pub const BILLING_CYCLES: [&str; 2] = ["monthly", "yearly"];

/// Services a subscription can be connected to (a user holds a subset).
pub const CONNECTED_SERVICES: [&str; 5] = ["Netflix", "Hulu", "Amazon Prime", "Disney+", "HBO Max"];

/// Playback qualities, from lowest to highest; the index is the quality level.
pub const QUALITIES: [&str; 3] = ["SD", "HD", "4K"];
/// Bandwidth (Mbit/s) a quality needs to play without constant buffering.
pub const QUALITY_MIN_MBPS: [u32; 3] = [1, 5, 25];

/// Playback speeds a player offers.
pub const SPEEDS: [f64; 7] = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];
/// Index of normal speed in [`SPEEDS`].
pub const NORMAL_SPEED: usize = 2;

/// Network types.
pub const NETWORK_TYPES: [&str; 4] = ["WiFi", "Mobile", "Ethernet", "cable"];
/// Bandwidth range (Mbit/s, inclusive) of each network type.
pub const NETWORK_MBPS: [(u32, u32); 4] = [(10, 500), (3, 120), (100, 1000), (50, 600)];

/// User action types, by the keys below.
pub const ACTION_TYPES: [&str; 4] = ["pause", "completed", "change quality", "playback_speed"];
/// A pause (key into [`ACTION_TYPES`]).
pub const ACTION_PAUSE: usize = 0;
/// The action that closes a playback watched to the end.
pub const ACTION_COMPLETED: usize = 1;
/// A quality change (old and new quality always differ).
pub const ACTION_CHANGE_QUALITY: usize = 2;
/// A speed change (old and new speed always differ).
pub const ACTION_PLAYBACK_SPEED: usize = 3;

/// Recommendation algorithms.
pub const ALGORITHMS: [&str; 3] = ["collaborative", "content_based", "hybrid"];
