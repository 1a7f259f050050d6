//! Keyed random streams, and the one list of every namespace of randomness.
//!
//! Every random value in a dataset is a pure function of `(seed, stream, key)`:
//! a row's values are keyed by its timeline key (its day and its index within
//! the day, [`Day::key`](crate::calendar::Day::key)), a user's attributes by the
//! user index, a catalog entry's by its content index. No stream belongs to a
//! thread, so the output does not depend on how work is split. [`Stream`] names
//! every namespace, the ones values are drawn from ([`KeyedRng`]) and the ones
//! ids are derived in ([`Uuid::derive`](crate::model::Uuid::derive)), with the
//! key each is indexed by.
//!
//! The generator is wyrand (a 64-bit counter hashed with a 128-bit multiply):
//! tiny state, one multiply per draw, and good enough statistical quality for
//! synthetic data. It is not cryptographic.

/// Every namespace of randomness, so that e.g. user 7 and row 7 draw unrelated
/// values and event 7 and user 7 get unrelated ids.
///
/// The first six are drawn from, through [`KeyedRng::new`]; the last five are
/// id spaces, through [`Uuid::derive`](crate::model::Uuid::derive). The numbers
/// are part of the output: changing one changes every value drawn from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// A row's own values, given its session's plan: its network, quality,
    /// speed and actions, the recommendations besides a clicked one, and the
    /// searches from before its session. Key: the row's timeline key
    /// ([`Day::key`](crate::calendar::Day::key)).
    Event = 0x6576_656e_7473_0001,
    /// A user's stable attributes: city, plan, billing cycle, connected
    /// services, subscription start and number of devices. Key: the user index.
    User = 0x7573_6572_7300_0002,
    /// One of a user's devices: type, OS, OS and app versions, model. Key: user
    /// index × [`MAX_DEVICES_PER_USER`](crate::model::MAX_DEVICES_PER_USER) +
    /// device slot.
    Device = 0x6465_7669_6365_0003,
    /// A catalog entry's attributes: type, duration, season and episode, genre,
    /// provider, title, language and release year. Key: the content index.
    Content = 0x636f_6e74_656e_0004,
    /// A session's course: its start and zone, then per event the type,
    /// content, play length, think time and clicked recommendation. Key:
    /// the session's timeline key (its day and its index among the day's
    /// sessions, packed as [`Day::key`](crate::calendar::Day::key) packs rows).
    Session = 0x7365_7373_696f_0005,
    /// Who a session belongs to: its user (among the zone's users free at
    /// its start) and device slot. Key: the session's timeline key.
    SessionUser = 0x7365_7375_7365_0006,
    /// A user's subscription lifecycle: whether they sign up after the
    /// epoch and when, then each change (its instant and kind) and each
    /// return. Key: the user index.
    Lifecycle = 0x6c69_6665_6379_0007,
    /// Whether a row is faulty, and how ([`crate::faults`]): its kind,
    /// where its copy goes and the change made. Key: the row's timeline key.
    Fault = 0x6661_756c_7473_0008,
    /// Whether a change of the subscription feed is duplicated or late.
    /// Key: the user index × 65,536 + the change's index among the user's.
    ChangeFault = 0x6368_616e_6765_0009,
    /// `event_id`. Key: the row's timeline key, so ids are unique across
    /// every day of every window.
    EventId = 1,
    /// `user_id`. Key: the user index.
    UserId = 2,
    /// `content.id` and `recommendations.content_id`. Key: the content index.
    ContentId = 3,
    /// `search_history.search_id`. Key: the row's timeline key ×
    /// [`MAX_SEARCH_HISTORY`](crate::model::MAX_SEARCH_HISTORY) + the search's
    /// position in the row's history.
    SearchId = 4,
    /// `search_history.search_id` of a search made in a session (a `search`
    /// event), the same in every later event of the session that lists it.
    /// Key: the session's timeline key ×
    /// [`MAX_SESSION_EVENTS`](crate::session::MAX_SESSION_EVENTS) + the
    /// search event's index in the session.
    SessionSearchId = 5,
}

impl Stream {
    /// The number that keys the namespace.
    #[inline]
    pub const fn number(self) -> u64 {
        self as u64
    }
}

/// SplitMix64's finaliser: a bijective 64-bit mixer.
#[inline]
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small, fast random stream (wyrand) keyed by `(seed, stream, key)`.
///
/// It implements `rand_core`'s `TryRng` (infallible), so rand's
/// distributions and helpers work with it; its own methods below are the
/// ones the generator's hot loops use. With the `chacha8` feature (an A/B
/// of the generator, not for use) every stream is a ChaCha8 stream instead:
/// the key `(seed, stream)` and the stream number `key`.
#[derive(Clone, Debug)]
pub struct KeyedRng {
    #[cfg(not(feature = "chacha8"))]
    state: u64,
    #[cfg(feature = "chacha8")]
    chacha: rand_chacha::ChaCha8Rng,
}

impl KeyedRng {
    /// The stream for `key` within `stream` under `seed`.
    #[cfg(not(feature = "chacha8"))]
    #[inline]
    pub fn new(seed: u64, stream: Stream, key: u64) -> Self {
        let state = mix64(seed ^ mix64(stream.number() ^ mix64(key.wrapping_add(0x9e37_79b9_7f4a_7c15))));
        Self { state }
    }

    /// Skips `n` draws: the stream continues as if `n` values had been
    /// drawn (each draw advances one counter step).
    #[cfg(not(feature = "chacha8"))]
    #[inline]
    pub fn skip(&mut self, n: u64) {
        self.state = self.state.wrapping_add(n.wrapping_mul(0xa076_1d64_78bd_642f));
    }

    /// The next 64 random bits.
    #[cfg(not(feature = "chacha8"))]
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let t = (self.state as u128).wrapping_mul((self.state ^ 0xe703_7ed1_a0b4_28db) as u128);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// The stream for `key` within `stream` under `seed`: ChaCha8 keyed by
    /// `(seed, stream)`, at stream number `key`.
    #[cfg(feature = "chacha8")]
    #[inline]
    pub fn new(seed: u64, stream: Stream, key: u64) -> Self {
        use rand_chacha::rand_core::SeedableRng;
        let mut bytes = [0u8; 32];
        let mut word = mix64(seed ^ mix64(stream.number()));
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&word.to_le_bytes());
            word = mix64(word);
        }
        let mut chacha = rand_chacha::ChaCha8Rng::from_seed(bytes);
        chacha.set_stream(key);
        Self { chacha }
    }

    /// Skips `n` draws (two 32-bit words each).
    #[cfg(feature = "chacha8")]
    #[inline]
    pub fn skip(&mut self, n: u64) {
        let at = self.chacha.get_word_pos();
        self.chacha.set_word_pos(at + 2 * n as u128);
    }

    /// The next 64 random bits.
    #[cfg(feature = "chacha8")]
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        use rand_chacha::rand_core::Rng;
        self.chacha.next_u64()
    }

    /// A uniform integer in `0..n` (`n > 0`), by Lemire's multiply-shift.
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * n as u64) >> 32) as u32
    }

    /// A uniform integer in `lo..=hi`.
    #[inline]
    pub fn range_i32(&mut self, lo: i32, hi: i32) -> i32 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo + 1) as u32) as i32
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    #[inline]
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

impl rand_core::TryRng for KeyedRng {
    type Error = core::convert::Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.next_u64() >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// A discrete distribution over `0..n` given by non-negative weights,
/// sampled by a scan over cumulative 32-bit thresholds (short tables) or a
/// binary search (long ones).
#[derive(Clone, Debug)]
pub struct Weighted {
    cumulative: Vec<u32>,
}

impl Weighted {
    /// Builds the table; returns `None` when no weight is positive.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Option<Self> {
        let weights: Vec<f64> = weights.into_iter().map(|w| w.max(0.0)).collect();
        let total: f64 = weights.iter().sum();
        if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !total.is_finite() {
            return None;
        }
        let mut acc = 0.0;
        let scale = u32::MAX as f64;
        let mut cumulative: Vec<u32> = weights
            .iter()
            .map(|w| {
                acc += w;
                (acc / total * scale) as u32
            })
            .collect();
        // Zero-weight tail entries must never be chosen: the last positive entry
        // owns the top of the range.
        let last_positive = weights.iter().rposition(|w| *w > 0.0).unwrap_or(0);
        cumulative[last_positive] = u32::MAX;
        for c in cumulative.iter_mut().skip(last_positive + 1) {
            *c = u32::MAX;
        }
        Some(Self { cumulative })
    }

    /// Number of outcomes.
    pub fn len(&self) -> usize {
        self.cumulative.len()
    }

    /// Whether the table is empty (never true for a built table).
    pub fn is_empty(&self) -> bool {
        self.cumulative.is_empty()
    }

    /// Draws an outcome index.
    #[inline]
    pub fn sample(&self, rng: &mut KeyedRng) -> usize {
        let x = (rng.next_u64() >> 32) as u32;
        self.index_of(x)
    }

    /// The outcome owning the 32-bit point `x`.
    #[inline]
    pub fn index_of(&self, x: u32) -> usize {
        if self.cumulative.len() <= 16 {
            self.cumulative
                .iter()
                .position(|&c| x < c)
                .unwrap_or(self.cumulative.len() - 1)
        } else {
            self.cumulative
                .partition_point(|&c| c <= x)
                .min(self.cumulative.len() - 1)
        }
    }
}

/// A discrete distribution over `0..n` sampled in constant time (Vose's
/// alias method): one draw picks a column and a coin within it.
#[derive(Clone, Debug)]
pub struct Alias {
    /// Per column: the 32-bit threshold below which the column itself is taken.
    keep: Vec<u32>,
    /// Per column: the outcome taken above the threshold.
    alias: Vec<u32>,
}

impl Alias {
    /// Builds the table; `None` when no weight is positive or there are more
    /// than 2^32 outcomes.
    pub fn new(weights: &[f64]) -> Option<Self> {
        let n = weights.len();
        let total: f64 = weights.iter().map(|w| w.max(0.0)).sum();
        if n == 0 || n > u32::MAX as usize || !(total > 0.0 && total.is_finite()) {
            return None;
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w.max(0.0) * n as f64 / total).collect();
        let mut keep = vec![u32::MAX; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) = (0..n as u32).partition(|&i| scaled[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s as usize] = (scaled[s as usize] * u32::MAX as f64) as u32;
            alias[s as usize] = l;
            scaled[l as usize] -= 1.0 - scaled[s as usize];
            if scaled[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers (rounding) keep their own column whole.
        Some(Self { keep, alias })
    }

    /// Draws an outcome.
    #[inline]
    pub fn sample(&self, rng: &mut KeyedRng) -> usize {
        let x = rng.next_u64();
        let column = (((x >> 32) * self.keep.len() as u64) >> 32) as usize;
        if (x as u32) < self.keep[column] {
            column
        } else {
            self.alias[column] as usize
        }
    }
}

/// Skewed ranks in `0..n`: rank 0 is the most popular. A continuous bounded
/// Zipf (power law with exponent `s`) sampled by its inverse CDF.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: f64,
    s: f64,
    // Precomputed: (n+1)^(1-s) - 1, or ln(n+1) when s == 1.
    span: f64,
}

impl Zipf {
    /// A sampler over `0..n` with exponent `s >= 0` (0 = uniform).
    pub fn new(n: u64, s: f64) -> Self {
        let n = n.max(1) as f64;
        let span = if (s - 1.0).abs() < 1e-9 {
            (n + 1.0).ln()
        } else {
            (n + 1.0).powf(1.0 - s) - 1.0
        };
        Self { n, s, span }
    }

    /// The probability of rank `rank`.
    pub fn probability(&self, rank: u64) -> f64 {
        let cdf = |x: f64| {
            let x = x.min(self.n + 1.0);
            if (self.s - 1.0).abs() < 1e-9 {
                x.ln() / self.span
            } else {
                (x.powf(1.0 - self.s) - 1.0) / self.span
            }
        };
        let r = rank as f64;
        if rank + 1 >= self.n as u64 {
            1.0 - cdf(r + 1.0)
        } else {
            cdf(r + 2.0) - cdf(r + 1.0)
        }
    }

    /// Draws a rank.
    #[inline]
    pub fn sample(&self, rng: &mut KeyedRng) -> u64 {
        let u = rng.unit();
        let x = if (self.s - 1.0).abs() < 1e-9 {
            (u * self.span).exp()
        } else {
            (u * self.span + 1.0).powf(1.0 / (1.0 - self.s))
        };
        // x lies in [1, n+1); rank = x - 1, clamped against rounding.
        ((x - 1.0) as u64).min(self.n as u64 - 1)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn rands_distributions_and_shuffles_draw_from_a_keyed_stream() {
        use rand::RngExt;
        use rand::seq::SliceRandom;
        let (mut a, mut b) = (KeyedRng::new(7, Stream::Event, 42), KeyedRng::new(7, Stream::Event, 42));
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            let x: u32 = a.random_range(0..10);
            assert_eq!(x, b.random_range(0..10), "the same key draws the same values");
            counts[x as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "random_range(0..10) is not uniform: {counts:?}"
        );
        let shuffled = |key: u64| {
            let mut v: Vec<u32> = (0..100).collect();
            v.shuffle(&mut KeyedRng::new(7, Stream::Event, key));
            v
        };
        assert_eq!(shuffled(43), shuffled(43));
        assert_ne!(shuffled(43), shuffled(44));
        assert_ne!(shuffled(43), (0..100).collect::<Vec<u32>>());
    }

    use super::*;

    #[test]
    fn same_key_same_values_and_streams_differ() {
        let a: Vec<u64> = (0..4).map(|_| KeyedRng::new(1, Stream::Event, 9).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut e = KeyedRng::new(1, Stream::Event, 9);
        let mut u = KeyedRng::new(1, Stream::User, 9);
        assert_ne!(e.next_u64(), u.next_u64());
    }

    #[test]
    fn weighted_never_picks_zero_weight() {
        let w = Weighted::new([0.0, 1.0, 0.0, 3.0, 0.0]).unwrap();
        let mut rng = KeyedRng::new(3, Stream::Event, 0);
        let mut counts = [0u32; 5];
        for _ in 0..40_000 {
            counts[w.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[0] + counts[2] + counts[4], 0);
        let ratio = counts[3] as f64 / counts[1] as f64;
        assert!((2.7..3.3).contains(&ratio), "ratio {ratio}");
        assert!(Weighted::new([0.0, 0.0]).is_none());
    }

    #[test]
    fn zipf_is_skewed_and_in_range() {
        let z = Zipf::new(1000, 1.0);
        let mut rng = KeyedRng::new(5, Stream::Content, 0);
        let mut top10 = 0;
        for _ in 0..100_000 {
            let r = z.sample(&mut rng);
            assert!(r < 1000);
            if r < 10 {
                top10 += 1;
            }
        }
        // The top 1% of a Zipf(1) catalog of 1000 draws about a third of the picks.
        assert!(top10 > 25_000, "top10 {top10}");
    }
}
