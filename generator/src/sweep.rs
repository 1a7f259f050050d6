//! A day's sessions, and its rows as their events in time order.
//!
//! A day of `n` rows has `s` sessions, session `j` starting at the day's
//! quantile `(j + u) / s` (the calendar's stratified sampling, so sessions
//! come in start order with no sort) in a zone drawn by the viewing at that
//! instant. A session goes on past midnight UTC as its chain goes (up to
//! [`OVERRUN_MICROS`] into the next day): its events after midnight are
//! rows of the next day, as a table partitioned by date holds them.
//! [`Crossing`] sizes `s` from the day alone and lists the sessions that
//! reach past midnight, each given at once a user of the day's parity, so
//! that the next day knows them, who is busy and until when, without
//! walking this day. [`DayPlan`] then sets, for a few of the sessions that
//! end before midnight, an exact number of events, so that those of the
//! day's sessions before midnight and those the day before's bring past it
//! add up to exactly `n` (a spread of sessions are made one event longer or
//! shorter to close the gap). A day of fewer than [`CROSSING_DAY_ROWS`]
//! rows, or whose sessions run for hours (a chain that rarely ends, a long
//! gap), keeps its sessions within the day ([`Crossing::of`]).
//!
//! [`DaySweep`] then walks the sessions in time order (a heap of the
//! sessions under way, keyed by their next event's time, starting with
//! the day before's still under way at midnight), so that row `i`
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

/// Where a row of a [`PlannedRows`] gathered from other days comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowOrigin {
    /// Whether the row is one of the days before the first
    /// ([`crate::world::World::lookback`]), numbered as that world numbers them.
    pub lookback: bool,
    /// The row's global index in its world.
    pub row: u64,
}

/// The plans of a range of rows, in row order, or of rows gathered one by
/// one from other days (`origins`).
#[derive(Clone, Debug, Default)]
pub struct PlannedRows {
    /// Global index of the first row (of the range; with `origins`, the
    /// index of the first gathered row among those gathered).
    pub first_row: u64,
    /// One plan per row.
    pub rows: Vec<Planned>,
    /// The session searches the rows list.
    pub searches: Vec<SessionSearch>,
    /// For gathered rows, where each comes from; empty for a range.
    pub origins: Vec<RowOrigin>,
}

impl PlannedRows {
    /// The global index of row `i` in its world.
    #[inline]
    pub fn row_of(&self, i: usize) -> u64 {
        match self.origins.get(i) {
            Some(origin) => origin.row,
            None => self.first_row + i as u64,
        }
    }

    /// Appends row `i` of `from`, its plan and its searches, as a row of `origin`.
    pub fn gather(&mut self, from: &PlannedRows, i: usize, origin: RowOrigin) {
        let mut plan = from.rows[i];
        plan.searches_from = self.searches.len() as u32;
        self.searches.extend_from_slice(from.searches_of(i));
        self.rows.push(plan);
        self.origins.push(origin);
    }

    /// The session searches of row `i` of the range, oldest first.
    #[inline]
    pub fn searches_of(&self, i: usize) -> &[SessionSearch] {
        let p = &self.rows[i];
        &self.searches[p.searches_from as usize..(p.searches_from + p.searches_len) as usize]
    }
}

/// How long after midnight a session of the day before may go on: its
/// events up to then are rows of the next day (a play started before then
/// runs to its end, and nothing of it reaches a third day).
pub const OVERRUN_MICROS: i64 = 12 * 3_600 * 1_000_000;

/// Days of fewer rows keep every session within the day (cut at midnight,
/// a play stopping there): their few sessions could not make room for the
/// events that the day before's sessions bring past midnight.
pub const CROSSING_DAY_ROWS: u64 = 2_048;

/// Where `day`'s sessions stop at the latest: `OVERRUN_MICROS` past its
/// midnight when they go on past it (`crosses`), else at midnight.
#[inline]
fn limit_of(day: &Day, crosses: bool) -> i64 {
    if crosses { day.end() + OVERRUN_MICROS } else { day.end() }
}

/// The parity of the users that `day`'s sessions reaching past its
/// midnight are given: the day's number, so that those of two consecutive
/// days never share a user.
#[inline]
fn reaching_parity(day: &Day) -> u64 {
    (day.key(0) >> ROW_IN_DAY_BITS) & 1
}

/// A session of a day that goes on past its midnight, or ends less than
/// the gap between sessions before it, so that its user is not free at
/// the next day's start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reaching {
    /// The session's index in its day.
    pub session: u64,
    /// Its user, chosen when the day is planned (of the day's parity, so
    /// that the next day knows who is busy without walking this one).
    pub user: u64,
    /// When it starts.
    pub start: i64,
    /// Its events after midnight: rows of the next day.
    pub tails: u32,
    /// When its last event ends.
    pub end: i64,
    /// When its last event before midnight ends.
    pub head_end: i64,
}

/// What a day's sessions bring past its midnight, with how many sessions
/// the day has and how many of their events fall before it: a function of
/// the day alone (its date and rows), never of the day before, so that
/// the next day can be planned without planning this one's own start.
#[derive(Clone, Debug, Default)]
pub struct Crossing {
    /// Whether the day's sessions go on past its midnight (up to
    /// [`OVERRUN_MICROS`] after it) or stop there.
    pub crosses: bool,
    /// Sessions of the day.
    pub sessions: u64,
    /// Their events before midnight, as their chains go.
    pub heads: u64,
    /// Their events in all, as their chains go.
    pub total: u64,
    /// The sessions reaching past midnight, by session.
    pub reaching: Vec<Reaching>,
}

impl Crossing {
    /// Events that the day's sessions hold after midnight.
    pub fn tails(&self) -> u64 {
        self.reaching.iter().map(|r| r.tails as u64).sum()
    }

    /// Sizes `day`'s sessions (about `mean` events each) so that their
    /// events, before and after midnight, come close to the day's rows
    /// (when `arriving`: a day before brings its own events past midnight,
    /// about as many as this day's go past its own), or those before
    /// midnight do (the first day of a run sized by `rows`), and gives
    /// each session that reaches past midnight its user; `None` when
    /// `cancel` stops it.
    ///
    /// A day's sessions go on past its midnight when it has at least
    /// [`CROSSING_DAY_ROWS`] rows, at most a quarter of its sessions reach
    /// past midnight and they average at most half of
    /// [`MAX_SESSION_EVENTS`]: enough sessions that end before midnight,
    /// with room to grow or shrink, to close any gap the day before's
    /// events leave. Otherwise (a small day, or a chain whose sessions run
    /// for hours) they stop at midnight.
    pub fn of(world: SweepWorld<'_>, day: &Day, mean: f64, arriving: bool, cancel: &Cancel) -> Option<Self> {
        if day.rows == 0 {
            return Some(Crossing::default());
        }
        if day.rows >= CROSSING_DAY_ROWS {
            let crossing = Self::sized(world, day, mean, true, arriving, cancel)?;
            let room = crossing.total <= crossing.sessions * MAX_SESSION_EVENTS as u64 / 2;
            if room && crossing.reaching.len() as u64 * 4 <= crossing.sessions {
                return Some(crossing);
            }
        }
        Self::sized(world, day, mean, false, arriving, cancel)
    }

    /// [`Crossing::of`] when the day's sessions go on past midnight or not
    /// (`crosses`).
    fn sized(
        world: SweepWorld<'_>,
        day: &Day,
        mean: f64,
        crosses: bool,
        arriving: bool,
        cancel: &Cancel,
    ) -> Option<Self> {
        let rows = day.rows;
        let mut sessions = ((rows as f64 / mean).round() as u64).clamp(1, rows);
        let mut tries = 0;
        loop {
            tries += 1;
            let walked = walk_all(world.ground, world.seed, day, sessions, crosses, cancel)?;
            let held = if arriving { walked.total } else { walked.heads };
            let gap = rows as i64 - held as i64;
            // Far off (a day of few rows): resized, when walking every
            // session again costs less than closing the gap a few sessions
            // at a time (a walk or two each).
            if tries < 4 && gap.unsigned_abs() > 8 + sessions / 3 {
                let resized = ((sessions as f64 * rows as f64 / held as f64).round() as u64).clamp(1, rows);
                if resized != sessions {
                    sessions = resized;
                    continue;
                }
            }
            let mut walked = walked;
            pick_reaching_users(world, day, &mut walked, cancel)?;
            return Some(walked);
        }
    }

    /// Whether session `j` reaches past midnight.
    fn reaches(&self, j: u64) -> bool {
        self.reaching.binary_search_by_key(&j, |r| r.session).is_ok()
    }
}

/// A day's sessions: how many, which have an exact length, and whether
/// the day holds the events that the day before's sessions bring past
/// its midnight.
#[derive(Clone, Debug)]
pub struct DayPlan {
    /// Sessions of the day.
    pub sessions: u64,
    /// `(session, events)` for the sessions whose length is set, by session.
    pub lengths: Vec<(u64, u32)>,
    /// The day's own sessions past its midnight.
    pub crossing: std::sync::Arc<Crossing>,
    /// Whether the day takes the day before's events past midnight (a
    /// day too small for them ends those sessions at midnight).
    pub takes_arrivals: bool,
}

/// The start of session `j` of `sessions` on `day`: its stream (positioned
/// after the start and zone), its instant and its zone.
fn session_start(seed: u64, day: &Day, sessions: u64, j: u64) -> (KeyedRng, i64, usize) {
    let mut rng = Walk::stream(seed, day.key(j));
    let (time, slot) = day.instant_among(j, sessions, &mut rng);
    let zone = day.zone(slot, &mut rng);
    (rng, time.0, zone)
}

/// A session's course as a day's plan sees it.
#[derive(Clone, Copy, Debug)]
struct Course {
    /// Its events.
    events: u32,
    /// Those before the day's midnight.
    heads: u32,
    /// Whether its last event leads to another (a click or a search that
    /// converts, which a session cut there would leave without its play).
    leads_on: bool,
    /// When its last event ends.
    end: i64,
    /// When its last event before midnight ends.
    head_end: i64,
    /// When it starts.
    start: i64,
}

/// The course of session `j` when it must have `length` events (`None`:
/// as its chain goes), the day's sessions going on past midnight or not
/// (`crosses`).
fn course(
    ground: Ground<'_>,
    seed: u64,
    day: &Day,
    sessions: u64,
    j: u64,
    crosses: bool,
    length: Option<u32>,
) -> Course {
    let (rng, start, zone) = session_start(seed, day, sessions, j);
    let (limit, midnight) = (limit_of(day, crosses), day.end());
    let mut walk = Walk::start(ground, rng, start, limit, ground.zone_countries[zone]);
    let (mut heads, mut head_end) = (1, walk.step.end());
    walk_to_end(ground, &mut walk, length, limit, |walk| {
        if walk.step.time < midnight {
            heads += 1;
            head_end = walk.step.end();
        }
    });
    Course {
        events: walk.index + 1,
        heads,
        leads_on: walk.step.leads_on(),
        end: walk.step.end(),
        head_end,
        start,
    }
}

impl DayPlan {
    /// Plans `day` so that its sessions' events before midnight, with the
    /// events that `arriving` (the day before's sessions) brings past it,
    /// are exactly `day.rows`; `crossing` is the day's own
    /// ([`Crossing::of`]). `None` when `cancel` stops it.
    pub fn new(
        world: SweepWorld<'_>,
        day: &Day,
        crossing: Crossing,
        arriving: Option<&Crossing>,
        cancel: &Cancel,
    ) -> Option<Self> {
        let (ground, seed, rows) = (world.ground, world.seed, day.rows);
        let arrivals = arriving.map_or(0, Crossing::tails);
        // The day before's sessions go on into this day when they leave
        // room for at least three quarters of its own events.
        let mut takes_arrivals = arrivals > 0 && arrivals * 4 <= rows;
        let mut crossing = crossing;
        let mut tries = 0;
        loop {
            tries += 1;
            let taken = if takes_arrivals { arrivals } else { 0 };
            let gap = rows as i64 - taken as i64 - crossing.heads as i64;
            // Sessions that end on a journey's first step (a click with no
            // play after it) only when no other way closes the gap.
            let closed = close_gap(world, day, &crossing, gap, true, cancel)
                .or_else(|| close_gap(world, day, &crossing, gap, false, cancel));
            if cancel.is_cancelled() {
                return None;
            }
            if let Some(lengths) = closed {
                return Some(DayPlan {
                    sessions: crossing.sessions,
                    lengths,
                    crossing: std::sync::Arc::new(crossing),
                    takes_arrivals,
                });
            }
            assert!(tries < 64, "no plan of sessions holds the {rows} rows of {}", day.date);
            if crossing.crosses {
                // The day's sessions are fixed (the next day counts on
                // those past midnight): the day before's end at midnight.
                assert!(
                    takes_arrivals,
                    "no plan of sessions holds the {rows} rows of {}",
                    day.date
                );
                takes_arrivals = false;
                continue;
            }
            // No session could take the difference: one more or fewer (a
            // small day, whose sessions all end before midnight).
            let sessions = if gap > 0 {
                (crossing.sessions + 1).min(rows)
            } else {
                crossing.sessions.saturating_sub(1).max(1)
            };
            crossing = walk_all(ground, seed, day, sessions, false, cancel)?;
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

/// The courses of `sessions` sessions of `day` as their chains go, walked
/// on every core (each session's course is its own): their events, those
/// before midnight and the sessions that reach past it (users not yet
/// chosen); `None` when `cancel` stops it.
fn walk_all(
    ground: Ground<'_>,
    seed: u64,
    day: &Day,
    sessions: u64,
    crosses: bool,
    cancel: &Cancel,
) -> Option<Crossing> {
    const CHUNK: u64 = 1 << 14;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let threads = threads.min(sessions.div_ceil(CHUNK)).max(1);
    let next = std::sync::atomic::AtomicU64::new(0);
    let (midnight, gap) = (day.end(), ground.model.gap_micros);
    let count = || {
        let mut part = Crossing::default();
        loop {
            let from = next.fetch_add(CHUNK, std::sync::atomic::Ordering::Relaxed);
            if from >= sessions || cancel.is_cancelled() {
                return part;
            }
            for j in from..(from + CHUNK).min(sessions) {
                let c = course(ground, seed, day, sessions, j, crosses, None);
                part.total += c.events as u64;
                part.heads += c.heads as u64;
                if crosses && c.end + gap > midnight {
                    part.reaching.push(Reaching {
                        session: j,
                        user: 0,
                        start: c.start,
                        tails: c.events - c.heads,
                        end: c.end,
                        head_end: c.head_end,
                    });
                }
            }
        }
    };
    let parts = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(count)).collect();
        let mut parts = vec![count()];
        parts.extend(
            helpers
                .into_iter()
                .map(|h| h.join().expect("a planning thread panicked")),
        );
        parts
    });
    if cancel.is_cancelled() {
        return None;
    }
    let mut all = Crossing {
        crosses,
        sessions,
        ..Crossing::default()
    };
    for part in parts {
        all.total += part.total;
        all.heads += part.heads;
        all.reaching.extend(part.reaching);
    }
    all.reaching.sort_unstable_by_key(|r| r.session);
    Some(all)
}

/// Gives each session of `day` that reaches past midnight a user of the
/// day's parity, free and subscribed from its start to its end, in start
/// order; the day's other sessions then leave those users alone, and the
/// next day knows them without walking this one.
fn pick_reaching_users(world: SweepWorld<'_>, day: &Day, crossing: &mut Crossing, cancel: &Cancel) -> Option<()> {
    let parity = reaching_parity(day);
    let gap = world.ground.model.gap_micros;
    let mut busy: HashMap<u64, i64, BuildHasherDefault<IndexHasher>> = HashMap::default();
    for (n, r) in crossing.reaching.iter_mut().enumerate() {
        if n % 4096 == 4095 && cancel.is_cancelled() {
            return None;
        }
        let (_, start, zone) = session_start(world.seed, day, crossing.sessions, r.session);
        let end = r.end;
        let subscribed = |user: u64| {
            let first = world.population.first_subscription(user);
            (user & 1 == parity)
                .then(|| world.lifecycle.subscribed_through(user, &first, start, end))
                .flatten()
        };
        let idle = |user: u64| busy.get(&user).is_none_or(|&at| at <= start);
        let free = |user: u64| if idle(user) { subscribed(user) } else { None };
        let (user, _) = pick_user(world, day.key(r.session), zone, start, free, subscribed, parity);
        busy.insert(user, end + gap);
        r.user = user;
    }
    Some(())
}

/// Lengthens (`gap > 0`) or shortens the day's sessions that end before
/// midnight, visiting them in a fixed scattered order, each by the fewest
/// events (up to 8 at a time) that leave it of exactly its new length,
/// still ending before midnight and, when `strict`, not ending on a step
/// that leads to another, until their events change by `gap`; `None` when
/// a whole round changes none.
fn close_gap(
    world: SweepWorld<'_>,
    day: &Day,
    crossing: &Crossing,
    mut gap: i64,
    strict: bool,
    cancel: &Cancel,
) -> Option<Vec<(u64, u32)>> {
    let (ground, seed, sessions) = (world.ground, world.seed, crossing.sessions);
    let crosses = crossing.crosses;
    let ends_in_day = |c: &Course| !crosses || c.end + ground.model.gap_micros <= day.end();
    let mut set: HashMap<u64, u32> = HashMap::new();
    // A stride prime to `sessions` visits every session once per round.
    let mut stride = (sessions as f64 * 0.618_033_988_7) as u64 | 1;
    while gcd(stride, sessions) != 1 {
        stride += 2;
    }
    while gap != 0 {
        let mut changed = false;
        for i in 0..sessions {
            if gap == 0 || (i % 4096 == 4095 && cancel.is_cancelled()) {
                break;
            }
            let j = (i as u128 * stride as u128 % sessions as u128) as u64;
            if crossing.reaches(j) {
                continue;
            }
            let current = match set.get(&j) {
                Some(&n) => n as i64,
                None => course(ground, seed, day, sessions, j, crosses, None).events as i64,
            };
            for by in 1..=gap.abs().min(8) {
                let wanted = current + by * gap.signum();
                if wanted < 1 || wanted > MAX_SESSION_EVENTS as i64 {
                    break;
                }
                let c = course(ground, seed, day, sessions, j, crosses, Some(wanted as u32));
                if c.events as i64 == wanted && ends_in_day(&c) && !(strict && c.leads_on) {
                    set.insert(j, wanted as u32);
                    gap -= by * gap.signum();
                    changed = true;
                    break;
                }
            }
        }
        if !changed || cancel.is_cancelled() {
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
    /// Where its walk stops at the latest ([`limit_of`] its day).
    limit: i64,
    user: u64,
    key: u64,
    start: i64,
    /// Searches made so far; the last [`SweepWorld::history_max`] of them
    /// are kept in the sweep's `searches`, at the slot's place.
    searches_made: u32,
    /// The user's subscription version at the last event.
    version: Version,
}

/// A session of the day before, at its first event of this day, with its
/// last searches (a ring of [`SweepWorld::history_max`]).
#[derive(Clone, Debug)]
struct Arrival {
    active: Active,
    searches: Vec<SessionSearch>,
}

/// The walk of one day's sessions in time order.
#[derive(Debug)]
pub struct DaySweep {
    /// Index of the day in the calendar.
    pub day: usize,
    plan: DayPlan,
    /// The day before's sessions that go on into this day.
    arrivals: Vec<Arrival>,
    /// Users busy as the day starts, until when: those of the day
    /// before's sessions past its midnight.
    busy_at_start: Vec<(u64, i64)>,
    /// The users of this day's own sessions past midnight, and when those
    /// start: another session of theirs must end the gap before.
    reserved: HashMap<u64, i64, BuildHasherDefault<IndexHasher>>,
    /// The next session to start.
    next_session: u64,
    /// Index into `plan.lengths` of the first set length at or after `next_session`.
    next_length: usize,
    /// Index into the plan's reaching sessions of the first at or after `next_session`.
    next_reaching: usize,
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
    /// A sweep at the start of `day` (index `index` in the calendar), whose
    /// own sessions are `crossing` ([`Crossing::of`]) and whose day before
    /// is `before` with its own; `None` when `cancel` stops its planning.
    pub fn new(
        world: SweepWorld<'_>,
        day: &Day,
        index: usize,
        crossing: Crossing,
        before: Option<(&Day, &Crossing)>,
        cancel: &Cancel,
    ) -> Option<Self> {
        let plan = DayPlan::new(world, day, crossing, before.map(|(_, c)| c), cancel)?;
        let gap = world.ground.model.gap_micros;
        let mut arrivals = Vec::new();
        let mut busy_at_start = Vec::new();
        if let Some((before, arriving)) = before {
            for r in &arriving.reaching {
                let taken = plan.takes_arrivals && r.tails > 0;
                busy_at_start.push((r.user, if taken { r.end } else { r.head_end } + gap));
                if taken {
                    arrivals.push(arrival(world, before, arriving.sessions, r));
                }
            }
        }
        let reserved = plan.crossing.reaching.iter().map(|r| (r.user, r.start)).collect();
        let mut sweep = DaySweep {
            day: index,
            plan,
            arrivals,
            busy_at_start,
            reserved,
            next_session: 0,
            next_length: 0,
            next_reaching: 0,
            pending: None,
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            searches: Vec::new(),
            free: Vec::new(),
            busy: HashMap::default(),
            emitted: 0,
        };
        sweep.rewind();
        Some(sweep)
    }

    /// The day's own sessions past its midnight.
    pub fn crossing(&self) -> &std::sync::Arc<Crossing> {
        &self.plan.crossing
    }

    /// Back to the day's first row (the plan is kept).
    pub fn rewind(&mut self) {
        self.next_session = 0;
        self.next_length = 0;
        self.next_reaching = 0;
        self.pending = None;
        self.heap.clear();
        self.slots.clear();
        self.searches.clear();
        self.free.clear();
        self.busy.clear();
        self.busy.extend(self.busy_at_start.iter().copied());
        self.emitted = 0;
        for (slot, arrival) in self.arrivals.iter().enumerate() {
            let a = &arrival.active;
            let key = (a.walk.step.time, a.key & ((1 << ROW_IN_DAY_BITS) - 1), slot as u32);
            self.heap.push(Reverse(key));
            self.slots.push(a.clone());
            self.searches.extend_from_slice(&arrival.searches);
        }
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
            // cancellation: the session's user is subscribed to its end).
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
        let moved = active.walk.advance_to(world.ground, active.length, active.limit);
        if moved && active.walk.step.time < day.end() {
            let key = (active.walk.step.time, active.key & ((1 << ROW_IN_DAY_BITS) - 1), slot);
            self.heap.push(Reverse(key));
        } else {
            if !moved {
                let free_at = active.walk.step.end() + world.ground.model.gap_micros;
                self.busy.insert(active.user, free_at);
            }
            // Else the session goes on past midnight, in the next day's
            // rows; its user stays busy to the end of this day.
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
        let reaching = match self.plan.crossing.reaching.get(self.next_reaching) {
            Some(r) if r.session == j => {
                self.next_reaching += 1;
                Some(r.user)
            }
            _ => None,
        };
        let key = day.key(j);
        let country = world.ground.zone_countries[zone];
        let (population, lifecycle) = (world.population, world.lifecycle);
        let limit = limit_of(day, self.plan.crossing.crosses);
        let walk = Walk::start(world.ground, rng, start, limit, country);
        let (user, version) = match reaching {
            // Chosen with the day's plan, and kept free for this session.
            Some(user) => {
                let first = population.first_subscription(user);
                (
                    user,
                    lifecycle
                        .at(user, &first, start)
                        .unwrap_or_else(|| as_held(world, user, start)),
                )
            }
            None => {
                // A user is free when not in another session, idle for the
                // gap, and subscribed from the session's start to the day's
                // end (so no event follows a cancellation).
                let (busy, reserved, gap) = (&self.busy, &self.reserved, world.ground.model.gap_micros);
                // A user kept for a session past midnight takes this one
                // when it ends the gap before that one starts (a session
                // that ends before midnight: its end, walked ahead once).
                let end = std::cell::OnceCell::new();
                let ends_by =
                    |from: i64| *end.get_or_init(|| course_end(world.ground, &walk, length, limit)) + gap <= from;
                let idle = |user: u64| {
                    busy.get(&user).is_none_or(|&at| at <= start)
                        && reserved.get(&user).is_none_or(|&from| ends_by(from))
                };
                let subscribed = |user: u64| {
                    let first = population.first_subscription(user);
                    lifecycle.subscribed_through(user, &first, start, day.end())
                };
                let free = |user: u64| if idle(user) { subscribed(user) } else { None };
                pick_user(world, key, zone, start, free, subscribed, ANY_PARITY)
            }
        };
        self.busy.insert(user, i64::MAX);
        let active = Active {
            walk,
            length,
            limit,
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

/// When the session whose first event `walk` holds ends, with `length`
/// events if set (else as its chain goes), stopping at `limit`.
fn course_end(ground: Ground<'_>, walk: &Walk, length: Option<u32>, limit: i64) -> i64 {
    let mut walk = walk.clone();
    walk_to_end(ground, &mut walk, length, limit, |_| {});
    walk.step.end()
}

/// Walks a session on to its last event: `length` events when it is set
/// (the plan's), else as far as its chain goes before `limit`; `each` sees
/// the walk at every event it reaches.
fn walk_to_end(ground: Ground<'_>, walk: &mut Walk, length: Option<u32>, limit: i64, mut each: impl FnMut(&Walk)) {
    while walk.advance_to(ground, length, limit) {
        each(walk);
    }
}

/// A session of `before` (of `sessions`) that reaches past its midnight,
/// walked to its first event after it, with its searches so far.
fn arrival(world: SweepWorld<'_>, before: &Day, sessions: u64, r: &Reaching) -> Arrival {
    let (rng, start, zone) = session_start(world.seed, before, sessions, r.session);
    // A day with sessions past its midnight is a day whose sessions cross.
    let limit = limit_of(before, true);
    let mut walk = Walk::start(world.ground, rng, start, limit, world.ground.zone_countries[zone]);
    let ring = world.history_max.max(1) as usize;
    let mut searches = vec![SessionSearch::default(); ring];
    let mut searches_made = 0u32;
    while walk.step.time < before.end() {
        if walk.step.event_type == SEARCH {
            searches[searches_made as usize % ring] = SessionSearch {
                index: walk.index,
                time: walk.step.time,
                content: walk.step.content,
            };
            searches_made += 1;
        }
        let moved = walk.advance(world.ground, false, limit);
        assert!(
            moved,
            "a session of {} planned past midnight ends before it",
            before.date
        );
    }
    let first = world.population.first_subscription(r.user);
    let version = world
        .lifecycle
        .at(r.user, &first, walk.step.time)
        .unwrap_or_else(|| as_held(world, r.user, walk.step.time));
    Arrival {
        active: Active {
            walk,
            length: None,
            limit,
            user: r.user,
            key: before.key(r.session),
            start,
            searches_made,
            version,
        },
        searches,
    }
}

/// The version `user` holds at `time` as a lasting one (for a session
/// given to a user who is not subscribed then: a tiny audience).
fn as_held(world: SweepWorld<'_>, user: u64, time: i64) -> Version {
    let first = world.population.first_subscription(user);
    let held = world
        .lifecycle
        .history(user, &first)
        .take_while(|v| v.valid_from <= time)
        .last()
        .map_or(Held::of(&first), |v| v.held);
    Version {
        held,
        valid_from: time,
        valid_to: i64::MAX,
        cancelled: false,
    }
}

/// No parity asked of a user.
const ANY_PARITY: u64 = 2;

/// A user for the session keyed `key` starting at `start` in zone `zone`,
/// of `parity` (0, 1 or [`ANY_PARITY`]): heavy users first (the zone's
/// activity), then anyone in the zone, the first that is `free` (the
/// version they hold); when none is, a bounded run of the zone's country's
/// users from a random one and then of everyone else's, first for a free
/// one, then for any `subscribed` one (whose sessions then overlap); then
/// the first pick as it holds.
fn pick_user(
    world: SweepWorld<'_>,
    key: u64,
    zone: usize,
    start: i64,
    free: impl Fn(u64) -> Option<Version>,
    subscribed: impl Fn(u64) -> Option<Version>,
    parity: u64,
) -> (u64, Version) {
    let country = world.ground.zone_countries[zone];
    let zones = world.population.zones();
    let zone = &zones[zone];
    let mut picker = KeyedRng::new(world.seed, Stream::SessionUser, key);
    // A pick of the wrong parity takes its neighbour in the zone.
    let fit = |user: u64| {
        if parity == ANY_PARITY || user & 1 == parity || zone.users < 2 {
            user
        } else if user > zone.first_user {
            user - 1
        } else {
            user + 1
        }
    };
    let mut user = fit(zone.pick_user(&mut picker));
    let mut version = free(user);
    let mut tries = 1;
    while version.is_none() && tries < 256 {
        user = fit(match tries {
            ..16 => zone.pick_user(&mut picker),
            _ => zone.first_user + ((picker.unit() * zone.users as f64) as u64).min(zone.users - 1),
        });
        version = free(user);
        tries += 1;
    }
    if let Some(version) = version {
        return (user, version);
    }
    // Few users free and subscribed (an audience too small for the day's
    // sessions).
    let same_country = |z: &usize| world.ground.zone_countries[*z] == country;
    let ranges = |home: bool| -> Vec<(u64, u64)> {
        (0..zones.len())
            .filter(|z| same_country(z) == home)
            .map(|z| (zones[z].first_user, zones[z].users))
            .collect()
    };
    let groups = [ranges(true), ranges(false)];
    for pass in 0..2 {
        for group in &groups {
            let from = picker.unit();
            for u in scan(group, from, FALLBACK_SCAN) {
                let v = if pass == 0 { free(u) } else { subscribed(u) };
                if let Some(v) = v {
                    return (u, v);
                }
            }
        }
    }
    // Nobody subscribed through the session (a tiny audience): the first
    // pick as it holds.
    (user, as_held(world, user, start))
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
