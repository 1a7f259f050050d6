//! A day's sessions, and its rows as their events in time order.
//!
//! A day of `n` rows has `s` sessions, session `j` starting at the day's
//! quantile `(j + u) / s` (the calendar's stratified sampling, so sessions
//! come in start order with no sort) in a zone drawn by the viewing at that
//! instant. [`DayPlan`] fixes `s` and, for a few sessions, an exact number
//! of events, so that the sessions' events add up to exactly `n`: each
//! session's natural length is what its chain gives (cut at midnight UTC,
//! where the day's partition ends), and a spread of sessions are made one
//! event longer or shorter to close the gap.
//!
//! [`DaySweep`] then walks the sessions in time order (a heap of the
//! sessions under way, keyed by their next event's time), so that row `i`
//! of the day is the `i`-th event of the day. Each session is given, at its
//! start, a user of its zone who is not in another session and has been
//! idle for the configured gap (heavy users first, by the zone's Zipf
//! activity): a user's sessions never overlap. The walk is sequential, so
//! a sweep is kept between calls and reading a day's rows in order costs
//! one walk of the day; reading rows behind the sweep starts it over.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::calendar::{Day, ROW_IN_DAY_BITS};
use crate::cancel::Cancel;
use crate::lifecycle::{Held, Lifecycle, Version};
use crate::rng::{KeyedRng, Stream, mix64};
use crate::session::{Ground, MAX_SESSION_EVENTS, SEARCH, Step, Walk};
use crate::users::Population;

/// A search made in a session (a `search` event), as later events list it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SessionSearch {
    /// The search event's index in its session.
    pub index: u32,
    /// When it was made.
    pub time: i64,
    /// The catalog entry searched for.
    pub content: u32,
}

/// What the sweep decides about one row: its session's step and who made it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Planned {
    /// The event's type, time, content, play and click.
    pub step: Step,
    /// User index.
    pub user: u64,
    /// The session's timeline key.
    pub session_key: u64,
    /// When the session started.
    pub session_start: i64,
    /// The event's index in its session.
    pub index: u32,
    /// Where the session's searches up to this event lie in
    /// [`PlannedRows::searches`] (oldest first).
    pub searches_from: u32,
    /// How many.
    pub searches_len: u32,
    /// The subscription in force at the event.
    pub held: Held,
}

/// The plans of a range of rows, in row order.
#[derive(Clone, Debug, Default)]
pub struct PlannedRows {
    /// Global index of the first row.
    pub first_row: u64,
    /// One plan per row.
    pub rows: Vec<Planned>,
    /// The session searches the rows list.
    pub searches: Vec<SessionSearch>,
}

impl PlannedRows {
    /// The session searches of row `i` of the range, oldest first.
    #[inline]
    pub fn searches_of(&self, i: usize) -> &[SessionSearch] {
        let p = &self.rows[i];
        &self.searches[p.searches_from as usize..(p.searches_from + p.searches_len) as usize]
    }
}

/// A day's sessions: how many, and which have an exact length.
#[derive(Clone, Debug)]
pub struct DayPlan {
    /// Sessions of the day.
    pub sessions: u64,
    /// `(session, events)` for the sessions whose length is set, by session.
    pub lengths: Vec<(u64, u32)>,
}

/// The start of session `j` of `sessions` on `day`: its stream (positioned
/// after the start and zone), its instant and its zone.
fn session_start(seed: u64, day: &Day, sessions: u64, j: u64) -> (KeyedRng, i64, usize) {
    let mut rng = Walk::stream(seed, day.key(j));
    let (time, slot) = day.instant_among(j, sessions, &mut rng);
    let zone = day.zone(slot, &mut rng);
    (rng, time.0, zone)
}

/// Events of session `j` when it must have `length` events (`None`: as
/// its chain goes), and whether its last event leads to another (a click
/// or a search that converts, which a session cut there would leave
/// without its play).
fn session_length(ground: Ground<'_>, seed: u64, day: &Day, sessions: u64, j: u64, length: Option<u32>) -> (u32, bool) {
    let (rng, start, zone) = session_start(seed, day, sessions, j);
    let mut walk = Walk::start(ground, rng, start, day.end(), ground.zone_countries[zone]);
    loop {
        let go_on = match length {
            Some(n) if walk.index + 1 >= n => break,
            Some(_) => true,
            None => false,
        };
        if !walk.advance(ground, go_on, day.end()) {
            break;
        }
    }
    (walk.index + 1, walk.step.leads_on())
}

impl DayPlan {
    /// Plans `day` so that its sessions hold exactly `day.rows` events;
    /// `mean` is the expected events of a session. `None` when `cancel`
    /// stops it.
    pub fn new(ground: Ground<'_>, seed: u64, day: &Day, mean: f64, cancel: &Cancel) -> Option<Self> {
        let rows = day.rows;
        let mut sessions = ((rows as f64 / mean).round() as u64).clamp(1, rows);
        let mut tries = 0;
        loop {
            tries += 1;
            let total = total_events(ground, seed, day, sessions, cancel)?;
            let gap = rows as i64 - total as i64;
            // Far off (a day of few rows): resized, when walking every
            // session again costs less than closing the gap a few sessions
            // at a time (a walk or two each).
            if tries < 4 && gap.unsigned_abs() > 8 + sessions / 3 {
                let resized = ((sessions as f64 * rows as f64 / total as f64).round() as u64).clamp(1, rows);
                if resized != sessions {
                    sessions = resized;
                    continue;
                }
            }
            // Sessions that end on a journey's first step (a click with no
            // play after it) only when no other way closes the gap.
            let closed = close_gap(ground, seed, day, sessions, gap, true)
                .or_else(|| close_gap(ground, seed, day, sessions, gap, false));
            if let Some(lengths) = closed {
                return Some(DayPlan { sessions, lengths });
            }
            // No session could take the difference: one more or fewer.
            sessions = if gap > 0 {
                (sessions + 1).min(rows)
            } else {
                sessions.saturating_sub(1).max(1)
            };
            assert!(tries < 64, "no plan of sessions holds the {rows} rows of {}", day.date);
        }
    }

    /// The set length of session `j`, if any.
    fn length_of(&self, j: u64) -> Option<u32> {
        self.lengths
            .binary_search_by_key(&j, |&(s, _)| s)
            .ok()
            .map(|i| self.lengths[i].1)
    }
}

/// The events of `sessions` sessions of `day` as their chains go, walked
/// on every core (each session's length is its own); `None` when `cancel`
/// stops it.
fn total_events(ground: Ground<'_>, seed: u64, day: &Day, sessions: u64, cancel: &Cancel) -> Option<u64> {
    const CHUNK: u64 = 1 << 14;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let threads = threads.min(sessions.div_ceil(CHUNK)).max(1);
    let next = std::sync::atomic::AtomicU64::new(0);
    let count = || {
        let mut total = 0u64;
        loop {
            let from = next.fetch_add(CHUNK, std::sync::atomic::Ordering::Relaxed);
            if from >= sessions || cancel.is_cancelled() {
                return total;
            }
            for j in from..(from + CHUNK).min(sessions) {
                total += session_length(ground, seed, day, sessions, j, None).0 as u64;
            }
        }
    };
    let total = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(count)).collect();
        let own = count();
        own + helpers
            .into_iter()
            .map(|h| h.join().expect("a planning thread panicked"))
            .sum::<u64>()
    });
    (!cancel.is_cancelled()).then_some(total)
}

/// Lengthens (`gap > 0`) or shortens sessions, visiting them in a fixed
/// scattered order, each by the fewest events (up to 8 at a time) that
/// leave it of exactly its new length and, when `strict`, not ending on a
/// step that leads to another, until their events change by `gap`; `None`
/// when a whole round changes none.
fn close_gap(
    ground: Ground<'_>,
    seed: u64,
    day: &Day,
    sessions: u64,
    mut gap: i64,
    strict: bool,
) -> Option<Vec<(u64, u32)>> {
    let mut set: HashMap<u64, u32> = HashMap::new();
    // A stride prime to `sessions` visits every session once per round.
    let mut stride = (sessions as f64 * 0.618_033_988_7) as u64 | 1;
    while gcd(stride, sessions) != 1 {
        stride += 2;
    }
    while gap != 0 {
        let mut changed = false;
        for i in 0..sessions {
            if gap == 0 {
                break;
            }
            let j = (i as u128 * stride as u128 % sessions as u128) as u64;
            let current = match set.get(&j) {
                Some(&n) => n as i64,
                None => session_length(ground, seed, day, sessions, j, None).0 as i64,
            };
            for by in 1..=gap.abs().min(8) {
                let wanted = current + by * gap.signum();
                if wanted < 1 || wanted > MAX_SESSION_EVENTS as i64 {
                    break;
                }
                let (length, leads_on) = session_length(ground, seed, day, sessions, j, Some(wanted as u32));
                if length as i64 == wanted && !(strict && leads_on) {
                    set.insert(j, wanted as u32);
                    gap -= by * gap.signum();
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            return None;
        }
    }
    let mut lengths: Vec<(u64, u32)> = set.into_iter().collect();
    lengths.sort_unstable();
    Some(lengths)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Users a session's fallback examines in each group (its country, the
/// rest) and pass (free, subscribed): the bound on the cost of a session
/// when the audience is saturated.
const FALLBACK_SCAN: u64 = 1024;

/// Up to `count` users of `ranges` (first user, users) taken as one list,
/// from the one at fraction `from` of it on, wrapping around.
fn scan(ranges: &[(u64, u64)], from: f64, count: u64) -> impl Iterator<Item = u64> + '_ {
    let total: u64 = ranges.iter().map(|r| r.1).sum();
    let mut at = if total == 0 {
        0
    } else {
        ((from * total as f64) as u64).min(total - 1)
    };
    let mut range = 0;
    while range < ranges.len() && at >= ranges[range].1 {
        at -= ranges[range].1;
        range += 1;
    }
    let mut left = count.min(total);
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        while at >= ranges[range].1 {
            at = 0;
            range = (range + 1) % ranges.len();
        }
        left -= 1;
        at += 1;
        Some(ranges[range].0 + at - 1)
    })
}

/// A hasher for user indices (already spread by `mix64`).
#[derive(Default)]
struct IndexHasher(u64);

impl Hasher for IndexHasher {
    fn finish(&self) -> u64 {
        mix64(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A session under way.
#[derive(Clone, Debug)]
struct Active {
    walk: Walk,
    length: Option<u32>,
    user: u64,
    key: u64,
    start: i64,
    /// Searches made so far; the last [`SweepWorld::history_max`] of them
    /// are kept in the sweep's `searches`, at the slot's place.
    searches_made: u32,
    /// The user's subscription version at the last event.
    version: Version,
}

/// The walk of one day's sessions in time order.
#[derive(Debug)]
pub struct DaySweep {
    /// Index of the day in the calendar.
    pub day: usize,
    plan: DayPlan,
    /// The next session to start.
    next_session: u64,
    /// Index into `plan.lengths` of the first set length at or after `next_session`.
    next_length: usize,
    /// Its start, once drawn.
    pending: Option<(KeyedRng, i64, usize)>,
    /// Sessions under way by their next event: (time, session, slot).
    heap: BinaryHeap<Reverse<(i64, u64, u32)>>,
    slots: Vec<Active>,
    /// Each slot's last searches, a ring of `history_max` per slot (out of
    /// `Active`, whose size the day's concurrent sessions multiply).
    searches: Vec<SessionSearch>,
    free: Vec<u32>,
    /// When each recently active user is free again.
    busy: HashMap<u64, i64, BuildHasherDefault<IndexHasher>>,
    /// Rows of the day emitted so far.
    pub emitted: u64,
}

/// What a sweep reads from the world.
#[derive(Clone, Copy, Debug)]
pub struct SweepWorld<'w> {
    /// The chain, catalog and popularity.
    pub ground: Ground<'w>,
    /// Users and zones.
    pub population: &'w Population,
    /// Users' subscriptions over time.
    pub lifecycle: &'w Lifecycle,
    /// The seed.
    pub seed: u64,
    /// The most searches an event's history lists: a row's plan keeps no
    /// more of its session's.
    pub history_max: u32,
}

impl DaySweep {
    /// A sweep at the start of `day` (index `index` in the calendar);
    /// `None` when `cancel` stops its planning.
    pub fn new(world: SweepWorld<'_>, day: &Day, index: usize, mean: f64, cancel: &Cancel) -> Option<Self> {
        Some(DaySweep {
            day: index,
            plan: DayPlan::new(world.ground, world.seed, day, mean, cancel)?,
            next_session: 0,
            next_length: 0,
            pending: None,
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            searches: Vec::new(),
            free: Vec::new(),
            busy: HashMap::default(),
            emitted: 0,
        })
    }

    /// Back to the day's first row (the plan is kept).
    pub fn rewind(&mut self) {
        self.next_session = 0;
        self.next_length = 0;
        self.pending = None;
        self.heap.clear();
        self.slots.clear();
        self.searches.clear();
        self.free.clear();
        self.busy.clear();
        self.emitted = 0;
    }

    /// Emits the day's next `count` rows into `out` (`None`: skips them);
    /// false when `cancel` stops it first.
    pub fn emit(
        &mut self,
        world: SweepWorld<'_>,
        day: &Day,
        count: u64,
        mut out: Option<&mut PlannedRows>,
        cancel: &Cancel,
    ) -> bool {
        for n in 0..count {
            if n % 65_536 == 65_535 && cancel.is_cancelled() {
                return false;
            }
            self.emit_one(world, day, out.as_deref_mut());
        }
        if self.emitted == day.rows {
            // The day is done: its sessions' state (the day's concurrent
            // sessions, tens of MB on a day of millions of rows) goes now,
            // not when the sweep is dropped.
            self.slots = Vec::new();
            self.searches = Vec::new();
            self.free = Vec::new();
            self.heap = BinaryHeap::new();
            self.busy = HashMap::default();
        }
        true
    }

    fn emit_one(&mut self, world: SweepWorld<'_>, day: &Day, out: Option<&mut PlannedRows>) {
        if self.pending.is_none() && self.next_session < self.plan.sessions {
            self.pending = Some(session_start(world.seed, day, self.plan.sessions, self.next_session));
        }
        let starts_first = match (&self.pending, self.heap.peek()) {
            (Some((_, start, _)), Some(Reverse((time, session, _)))) => (*start, self.next_session) < (*time, *session),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => panic!("day {} has no row {}: its plan is short", day.date, self.emitted),
        };
        let slot = if starts_first {
            self.start_session(world, day)
        } else {
            let Reverse((_, _, slot)) = self.heap.pop().expect("peeked");
            slot
        };
        let active = &mut self.slots[slot as usize];
        let step = active.walk.step;
        if step.time >= active.version.valid_to {
            // A plan or billing change during the session (never a
            // cancellation: the session's user is subscribed to the day's end).
            let first = world.population.first_subscription(active.user);
            if let Some(version) = world.lifecycle.at(active.user, &first, step.time) {
                active.version = version;
            }
        }
        let ring = world.history_max.max(1) as usize;
        let searches = &mut self.searches[slot as usize * ring..(slot as usize + 1) * ring];
        if step.event_type == SEARCH {
            let kept = active.searches_made as usize % ring;
            searches[kept] = SessionSearch {
                index: active.walk.index,
                time: step.time,
                content: step.content,
            };
            active.searches_made += 1;
        }
        if let Some(out) = out {
            let made = active.searches_made as usize;
            let listed = made.min(ring);
            let from = out.searches.len() as u32;
            for n in made - listed..made {
                out.searches.push(searches[n % ring]);
            }
            out.rows.push(Planned {
                step,
                user: active.user,
                session_key: active.key,
                session_start: active.start,
                index: active.walk.index,
                searches_from: from,
                searches_len: listed as u32,
                held: active.version.held,
            });
        }
        self.emitted += 1;
        let go_on = match active.length {
            Some(n) if active.walk.index + 1 >= n => None,
            Some(_) => Some(true),
            None => Some(false),
        };
        let moved = go_on.is_some_and(|go_on| active.walk.advance(world.ground, go_on, day.end()));
        if moved {
            let key = (active.walk.step.time, active.key & ((1 << ROW_IN_DAY_BITS) - 1), slot);
            self.heap.push(Reverse(key));
        } else {
            let free_at = active.walk.step.end() + world.ground.model.gap_micros;
            self.busy.insert(active.user, free_at);
            self.free.push(slot);
        }
        if self.emitted.is_multiple_of(65_536) {
            let now = step.time;
            self.busy.retain(|_, free_at| *free_at > now);
        }
    }

    /// Starts the pending session: picks its user and takes a slot.
    fn start_session(&mut self, world: SweepWorld<'_>, day: &Day) -> u32 {
        let (rng, start, zone) = self.pending.take().expect("a session is pending");
        let j = self.next_session;
        self.next_session += 1;
        let length = match self.plan.lengths.get(self.next_length) {
            Some(&(s, n)) if s == j => {
                self.next_length += 1;
                Some(n)
            }
            _ => None,
        };
        debug_assert_eq!(length, self.plan.length_of(j));
        let key = day.key(j);
        let country = world.ground.zone_countries[zone];
        let zone = &world.population.zones()[zone];
        let mut picker = KeyedRng::new(world.seed, Stream::SessionUser, key);
        // A user is free when not in another session, idle for the gap, and
        // subscribed from the session's start to the day's end (so no event
        // follows a cancellation).
        let (busy, population, lifecycle) = (&self.busy, world.population, world.lifecycle);
        let idle = |user: u64| busy.get(&user).is_none_or(|&at| at <= start);
        let subscribed = |user: u64| {
            let first = population.first_subscription(user);
            lifecycle.subscribed_through(user, &first, start, day.end())
        };
        let free = |user: u64| if idle(user) { subscribed(user) } else { None };
        // Heavy users first (the zone's activity), then anyone in the zone;
        // the session's titles were chosen for the zone's country.
        let mut user = zone.pick_user(&mut picker);
        let mut version = free(user);
        let mut tries = 1;
        while version.is_none() && tries < 256 {
            user = match tries {
                ..16 => zone.pick_user(&mut picker),
                _ => zone.first_user + ((picker.unit() * zone.users as f64) as u64).min(zone.users - 1),
            };
            version = free(user);
            tries += 1;
        }
        let version = match version {
            Some(version) => version,
            None => {
                // Few users free and subscribed (an audience too small for
                // the day's sessions): a bounded run of the zone's country's
                // users from a random one, then of everyone else's, first for
                // a free one, then for any subscriber (whose sessions then
                // overlap); then the first pick as it holds.
                let zones = population.zones();
                let same_country = |z: &usize| world.ground.zone_countries[*z] == country;
                let ranges = |home: bool| -> Vec<(u64, u64)> {
                    (0..zones.len())
                        .filter(|z| same_country(z) == home)
                        .map(|z| (zones[z].first_user, zones[z].users))
                        .collect()
                };
                let groups = [ranges(true), ranges(false)];
                let mut found = None;
                'search: for pass in 0..2 {
                    for group in &groups {
                        let from = picker.unit();
                        for u in scan(group, from, FALLBACK_SCAN) {
                            let v = if pass == 0 { free(u) } else { subscribed(u) };
                            if let Some(v) = v {
                                found = Some((u, v));
                                break 'search;
                            }
                        }
                    }
                }
                match found {
                    Some((u, v)) => {
                        user = u;
                        v
                    }
                    // Nobody subscribed through the day (a tiny audience):
                    // the session goes to its first pick as it holds.
                    None => {
                        let first = population.first_subscription(user);
                        let held = lifecycle
                            .history(user, &first)
                            .take_while(|v| v.valid_from <= start)
                            .last()
                            .map_or(Held::of(&first), |v| v.held);
                        Version {
                            held,
                            valid_from: start,
                            valid_to: i64::MAX,
                            cancelled: false,
                        }
                    }
                }
            }
        };
        self.busy.insert(user, i64::MAX);
        let active = Active {
            walk: Walk::start(world.ground, rng, start, day.end(), country),
            length,
            user,
            key,
            start,
            searches_made: 0,
            version,
        };
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = active;
                slot
            }
            None => {
                self.slots.push(active);
                let ring = world.history_max.max(1) as usize;
                self.searches.resize(self.slots.len() * ring, SessionSearch::default());
                (self.slots.len() - 1) as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_takes_consecutive_users_across_ranges_and_wraps() {
        let ranges = [(100, 3), (200, 0), (300, 2)];
        let all: Vec<u64> = scan(&ranges, 0.0, 10).collect();
        assert_eq!(all, [100, 101, 102, 300, 301]);
        // From the fourth of five users, three of them: across the end.
        let some: Vec<u64> = scan(&ranges, 0.6, 3).collect();
        assert_eq!(some, [300, 301, 100]);
        assert_eq!(scan(&[(5, 0)], 0.5, 4).count(), 0);
    }
}
