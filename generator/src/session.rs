//! Sessions: the chain of event types a user's session follows and the
//! course of one session, event by event ([`Walk`]).
//!
//! A session opens with an event drawn from `[session.first]` and moves on
//! by `[session.after_…]` (each type's weight multiplied by its
//! `event_mix` weight), until the chain draws `end`. Journeys override the
//! chain: a search is followed by a play of the title searched for
//! (`search_to_play`), a finished episode by the next episode of its show
//! (`binge`), and otherwise a clicked recommendation by a play of that
//! title (a list has no click when one of the first two happens). The next
//! event starts after the previous one ends (a play ends `play_duration`
//! after it starts) plus a think time. Every draw comes from the session's
//! own stream ([`Stream::Session`]), so a session's course is a pure
//! function of its key, its start and the number of events it must have.

use crate::catalog::Catalog;
use crate::config::{Config, SessionConfig};
use crate::rng::{KeyedRng, Stream, Weighted, Zipf};
use crate::taste::Taste;

/// Most events in one session; also the stride of session search ids
/// ([`Stream::SessionSearchId`]).
pub const MAX_SESSION_EVENTS: u32 = 64;

/// Event types, in the order of `EVENT_TYPE` and of [`Transition::weights`](crate::config::Transition::weights).
pub const CONTENT_PLAY: u8 = 0;
/// A search.
pub const SEARCH: u8 = 1;
/// A browse.
pub const BROWSE: u8 = 2;
/// The chain's "end the session".
const END: usize = 3;

const SECOND: i64 = 1_000_000;
/// A think time is at least this long.
const MIN_THINK: i64 = 2 * SECOND;
/// Click-through of a recommendation at position 1 from an average
/// algorithm; it falls with the position as `1 / position^0.8`.
const CLICK_THROUGH: f64 = 0.12;
/// Longest title, in minutes, whose finish rate is tabled (longer ones share it).
const MAX_MINUTES: usize = 600;
/// How much better each algorithm's lists convert (collaborative, content
/// based, hybrid).
pub const ALGORITHM_APPEAL: [f64; 3] = [1.0, 0.8, 1.3];

/// The chain and the journeys of a dataset's sessions, built once.
#[derive(Clone, Debug)]
pub struct SessionModel {
    first: Weighted,
    /// After each event type: next type or end.
    next: [Weighted; 3],
    /// After each event type, when the session must go on: next type only.
    onward: [Weighted; 3],
    think_micros: f64,
    /// Least idle time between a user's sessions.
    pub gap_micros: i64,
    search_to_play: f64,
    binge: f64,
    /// Share of plays finished, by the title's minutes (short titles are
    /// finished more often; `completion_rate` holds for 45 minutes).
    finish_by_minutes: Vec<f64>,
    /// By list length: the cumulative chance of the list's first click
    /// being at each (position, algorithm), in list order (one draw picks
    /// the click, or none past the last).
    first_click: Vec<Vec<(f64, u8, u8)>>,
    recommendations: (i32, i32),
    /// Whether plays can happen at all (journeys lead to plays).
    plays: bool,
}

impl SessionModel {
    /// The model of `config` (validated).
    pub fn new(config: &Config) -> Self {
        let s: &SessionConfig = &config.session;
        let mix = [
            config.event_mix.content_play,
            config.event_mix.search,
            config.event_mix.browse,
        ];
        let types_of = |w: [f64; 4]| [w[0] * mix[0], w[1] * mix[1], w[2] * mix[2]];
        let with_end = |w: [f64; 4]| {
            let t = types_of(w);
            Weighted::new([t[0], t[1], t[2], w[3]]).unwrap_or_else(|| Weighted::new([0.0, 0.0, 0.0, 1.0]).expect("end"))
        };
        // Going on without a type of its own weight falls back to the mix.
        let onward = |w: [f64; 4]| Weighted::new(types_of(w)).unwrap_or_else(|| Weighted::new(mix).expect("mix"));
        let after = [
            s.after_content_play.weights(),
            s.after_search.weights(),
            s.after_browse.weights(),
        ];
        SessionModel {
            first: Weighted::new(types_of(s.first.weights())).expect("validated first event"),
            next: after.map(with_end),
            onward: after.map(onward),
            think_micros: s.think_seconds * SECOND as f64,
            gap_micros: (s.gap_minutes * 60.0 * SECOND as f64) as i64,
            search_to_play: s.search_to_play,
            binge: s.binge,
            finish_by_minutes: (0..=MAX_MINUTES)
                .map(|minutes| (config.completion_rate * (45.0 / minutes.max(1) as f64).powf(0.35)).min(0.98))
                .collect(),
            first_click: (0..=config.recommendations.max).map(first_click_table).collect(),
            recommendations: (config.recommendations.min as i32, config.recommendations.max as i32),
            plays: mix[0] > 0.0,
        }
    }
}

/// What a session decides about one of its events; the row fills in the rest.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Step {
    /// Start, in microseconds since the Unix epoch.
    pub time: i64,
    /// [`CONTENT_PLAY`], [`SEARCH`] or [`BROWSE`].
    pub event_type: u8,
    /// Recommendations shown with the event.
    pub recommendations: u8,
    /// The clicked recommendation's position (1-based), 0 for none.
    pub clicked_position: u8,
    /// The clicked recommendation's algorithm.
    pub clicked_algorithm: u8,
    /// Catalog entry played, searched for or browsed.
    pub content: u32,
    /// The clicked recommendation's catalog entry.
    pub clicked_content: u32,
    /// Seconds watched, for a play (0 otherwise).
    pub play_seconds: i32,
    /// A search that leads straight to a play of the title searched for.
    pub converts: bool,
    /// A finished episode followed by the next episode of its show.
    pub binges: bool,
    /// When the next event of the session would start: a think time after
    /// this one ends.
    pub next: i64,
}

impl Step {
    /// Whether the event leads straight to a play (a clicked
    /// recommendation, a search that converts).
    #[inline]
    pub fn leads_on(&self) -> bool {
        self.clicked_position > 0 || self.converts || self.binges
    }

    /// When the event is over: a play lasts its `play_seconds`.
    #[inline]
    pub fn end(&self) -> i64 {
        self.time + self.play_seconds as i64 * SECOND
    }
}

/// One session's course, an event at a time.
#[derive(Clone, Debug)]
pub struct Walk {
    rng: KeyedRng,
    /// The country the session's titles are chosen for.
    country: u8,
    /// Index of the current event in the session.
    pub index: u32,
    /// The current event.
    pub step: Step,
}

/// What a walk needs from the world.
#[derive(Clone, Copy, Debug)]
pub struct Ground<'w> {
    /// The chain.
    pub model: &'w SessionModel,
    /// The catalog (durations, next episodes).
    pub catalog: &'w Catalog,
    /// Content popularity.
    pub popularity: &'w Zipf,
    /// What each country watches.
    pub taste: &'w Taste,
    /// The country of each zone (index into the gazetteer's countries).
    pub zone_countries: &'w [u8],
}

/// The day (since the Unix epoch) of instant `time`.
#[inline]
pub fn day_of(time: i64) -> i32 {
    time.div_euclid(86_400 * SECOND) as i32
}

impl Walk {
    /// The session keyed `key` under `seed`: its stream, from which the
    /// caller draws the start and zone first, then hands it to [`Walk::start`].
    pub fn stream(seed: u64, key: u64) -> KeyedRng {
        KeyedRng::new(seed, Stream::Session, key)
    }

    /// Starts a session at `start` (drawing from `rng`, the session's
    /// stream after its start and zone): its first event.
    /// A play stops at `limit` (where the day's sessions stop at the latest:
    /// midnight UTC for a small day, the next day's noon otherwise); titles are chosen for viewers in `country` ([`Taste`]).
    pub fn start(ground: Ground<'_>, mut rng: KeyedRng, start: i64, limit: i64, country: u8) -> Self {
        let event_type = ground.model.first.sample(&mut rng) as u8;
        let content = ground
            .taste
            .pick(ground.catalog, ground.popularity, country, day_of(start), &mut rng) as u32;
        let mut walk = Walk {
            rng,
            country,
            index: 0,
            step: Step::default(),
        };
        walk.step = walk.decide(ground, start, event_type, content, limit);
        walk
    }

    /// Moves to the next event of a session planned to `length` events
    /// (going on past the chain's end until then), or, with no length, as
    /// far as the chain goes: false when the session has ended (see
    /// [`Walk::advance`]).
    pub fn advance_to(&mut self, ground: Ground<'_>, length: Option<u32>, limit: i64) -> bool {
        match length {
            Some(n) if self.index + 1 >= n => false,
            Some(_) => self.advance(ground, true, limit),
            None => self.advance(ground, false, limit),
        }
    }

    /// Moves to the next event, unless the session ends: by the chain
    /// (when `go_on` is false), at `limit` (the next event would start at or
    /// after it) or at [`MAX_SESSION_EVENTS`].
    pub fn advance(&mut self, ground: Ground<'_>, go_on: bool, limit: i64) -> bool {
        let model = ground.model;
        let rng = &mut self.rng;
        let prev = self.step;
        let time = prev.next;
        let journey = if prev.converts {
            Some(prev.content)
        } else if prev.binges {
            Some(prev.content + 1)
        } else if prev.clicked_position > 0 && model.plays {
            Some(prev.clicked_content)
        } else {
            None
        };
        let (event_type, content) = match journey {
            Some(content) => (CONTENT_PLAY, content),
            None => {
                let table = if go_on { &model.onward } else { &model.next };
                let next = table[prev.event_type as usize].sample(rng);
                if next == END {
                    return false;
                }
                let content = ground
                    .taste
                    .pick(ground.catalog, ground.popularity, self.country, day_of(time), rng);
                (next as u8, content as u32)
            }
        };
        if time >= limit || self.index + 1 >= MAX_SESSION_EVENTS {
            return false;
        }
        self.index += 1;
        self.step = self.decide(ground, time, event_type, content, limit);
        true
    }

    /// The event of `event_type` on `content` at `time`: its play length (a
    /// play stops at `limit`), whether a search converts, and its
    /// recommendations' click (none on a search that converts).
    fn decide(&mut self, ground: Ground<'_>, time: i64, event_type: u8, content: u32, limit: i64) -> Step {
        let rng = &mut self.rng;
        let play_seconds = if event_type == CONTENT_PLAY {
            let minutes = ground.catalog.entry(content as usize).duration as i32;
            let length = minutes * 60;
            let finish = ground.model.finish_by_minutes[(minutes as usize).min(MAX_MINUTES)];
            let watched = if rng.chance(finish) {
                0.95 + 0.05 * rng.unit()
            } else {
                // u^0.75, skewed towards longer watches.
                let u = rng.unit();
                0.95 * (u * u.sqrt()).sqrt()
            };
            let left = ((limit - time) / SECOND).clamp(1, i32::MAX as i64) as i32;
            ((watched * length as f64) as i32).clamp(1, length).min(left)
        } else {
            0
        };
        let model = ground.model;
        let think = MIN_THINK + (-(1.0 - rng.unit()).ln() * (model.think_micros - MIN_THINK as f64).max(0.0)) as i64;
        let next = time + play_seconds as i64 * SECOND + think;
        // A journey needs a next event: none from an event whose next
        // would fall past the limit (the session ends there).
        let fits = next < limit;
        let converts = fits && event_type == SEARCH && model.plays && rng.chance(model.search_to_play);
        let binges = fits
            && event_type == CONTENT_PLAY
            && play_seconds as f64 * 100.0 / (ground.catalog.entry(content as usize).duration as f64 * 60.0) >= 95.0
            && ground.catalog.next_episode(content as usize).is_some()
            && rng.chance(ground.model.binge);
        let (lo, hi) = ground.model.recommendations;
        let recommendations = rng.range_i32(lo, hi) as u8;
        let mut step = Step {
            time,
            event_type,
            recommendations,
            content,
            play_seconds,
            converts,
            binges,
            next,
            ..Step::default()
        };
        // At most one click per list; clicks fall with the position. A
        // search that converts or an episode followed by the next has none.
        if fits && !converts && !binges && recommendations > 0 {
            let u = rng.unit();
            let table = &ground.model.first_click[recommendations as usize];
            if let Some(&(_, position, algorithm)) = table.iter().find(|(cumulative, _, _)| u < *cumulative) {
                let day = day_of(time);
                let picked = ground
                    .taste
                    .pick(ground.catalog, ground.popularity, self.country, day, rng)
                    as u32;
                // Never the title itself: then the next title available in the country.
                let size = ground.catalog.len() as u32;
                let clicked = (0..size)
                    .map(|step| (picked + step) % size)
                    .find(|&c| c != content && ground.taste.available(ground.catalog, self.country, c as usize, day));
                if let Some(clicked) = clicked {
                    step.clicked_position = position;
                    step.clicked_algorithm = algorithm;
                    step.clicked_content = clicked;
                }
            }
        }
        step
    }
}

/// For a list of `length` recommendations, each position's algorithm drawn
/// uniformly and clicked with [`CLICK_THROUGH`] × its appeal ÷ position^0.8:
/// the cumulative chance that the first click is at each (position,
/// algorithm), in list order.
fn first_click_table(length: u32) -> Vec<(f64, u8, u8)> {
    let mut table = Vec::with_capacity(length as usize * ALGORITHM_APPEAL.len());
    let (mut none_before, mut cumulative) = (1.0, 0.0);
    for position in 1..=length {
        let decay = (position as f64).powf(0.8);
        let mut any = 0.0;
        for (algorithm, appeal) in ALGORITHM_APPEAL.iter().enumerate() {
            let click = CLICK_THROUGH * appeal / decay / ALGORITHM_APPEAL.len() as f64;
            cumulative += none_before * click;
            any += click;
            table.push((cumulative, position as u8, algorithm as u8));
        }
        none_before *= 1.0 - any;
    }
    table
}
