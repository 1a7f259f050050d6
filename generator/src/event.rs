//! Generation of one event from its plan: the only place where a row's
//! values are decided. The row's session (`sweep`) fixed its time, user,
//! type, content, play length and click; here come the device of the
//! session, the playback and its actions, the recommendations around the
//! click, and the search history (the session's own searches after the
//! user's searches from before it). [`World::fill_planned`] (through which
//! the JSON output, the single-event API and the columnar builders all go)
//! is defined here, over [`fill_event`].

use crate::catalog::QueryKind;
use crate::model::{
    Bandwidth, Event, EventDetails, MAX_ACTIONS, MAX_RECOMMENDATIONS, MAX_SEARCH_HISTORY, Micros, Recommendation,
    Search, UserAction, Uuid,
};
use crate::rng::{KeyedRng, Stream, mix64};
use crate::session::{CONTENT_PLAY, MAX_SESSION_EVENTS, Step};
use crate::sweep::{Planned, PlannedRows, SessionSearch};
use crate::vocab::device::MAX_QUALITY;
use crate::vocab::{
    ACTION_CHANGE_QUALITY, ACTION_COMPLETED, ACTION_PAUSE, ACTION_PLAYBACK_SPEED, ACTION_TYPE, ALGORITHM, ALGORITHMS,
    EVENT_TYPE, NETWORK_MBPS, NETWORK_TYPE, NORMAL_SPEED, QUALITY, QUALITY_MIN_MBPS, SPEEDS,
};
use crate::world::World;

const SECOND: i64 = 1_000_000;
/// How far back a search history reaches.
const HISTORY_SPAN: i64 = 3 * 24 * 3600 * SECOND;

impl World {
    /// The event at global row `row` (in `0..rows()`), newly allocated.
    ///
    /// # Panics
    /// If `row >= self.rows()`.
    pub fn event(&self, row: u64) -> Event<'_> {
        let mut event = Event::default();
        self.fill_event(row, &mut event);
        event
    }

    /// Overwrites `event` with the event at global row `row`, reusing its
    /// lists' memory. For many rows, plan them together
    /// ([`World::plan_rows`]) and fill each ([`World::fill_planned`]).
    ///
    /// # Panics
    /// If `row >= self.rows()`.
    pub fn fill_event<'w>(&'w self, row: u64, event: &mut Event<'w>) {
        assert!(
            row < self.config.rows,
            "row {row} is outside the dataset's {} rows",
            self.config.rows
        );
        let planned = self.plan_rows(row..row + 1);
        fill_event(self, &planned, 0, event);
    }

    /// Overwrites `event` with the event of row `i` of `planned`, reusing
    /// its lists' memory: the hot loop of every output path.
    #[inline]
    pub fn fill_planned<'w>(&'w self, planned: &PlannedRows, i: usize, event: &mut Event<'w>) {
        fill_event(self, planned, i, event);
    }
}

/// Overwrites `event` with the event of row `i` of `planned` (rows of
/// `world`), reusing its lists' memory.
pub(crate) fn fill_event<'w>(world: &'w World, planned: &PlannedRows, i: usize, event: &mut Event<'w>) {
    let seed = world.config.seed;
    let row = planned.row_of(i);
    let day = world.calendar.day_of(row);
    let key = day.key(row - day.first_row);
    let plan = &planned.rows[i];
    let step = &plan.step;
    let mut rng = KeyedRng::new(seed, Stream::Event, key);
    let zone_index = world.population.zone_index_of(plan.user);
    let zone = &world.population.zones()[zone_index];
    let country = world.zone_countries[zone_index];
    let user = world.population.user_in_zone(zone, plan.user);
    let slot = device_slot(seed, plan.session_key, user.devices);
    let (device_type, device) = world.population.device(plan.user, slot);
    let content_index = step.content as usize;
    let content = world.catalog.content(content_index);
    let timestamp = Micros(step.time);

    event.event_id = Uuid::derive(seed, Stream::EventId, key);
    event.user_id = user.id;
    event.device = device;
    event.location = user.location;
    event.event_type = EVENT_TYPE.word(step.event_type as usize);
    event.user_subscription = plan.held.subscription();
    event.timestamp = timestamp;
    event.user_action.clear();
    event.event_details = if step.event_type == CONTENT_PLAY {
        let premium = event.user_subscription.plan == "Premium";
        let plan_cap = if premium { 2 } else { 1 };
        Some(playback(
            world,
            &mut rng,
            timestamp,
            content.duration,
            step.play_seconds,
            device_type,
            plan_cap,
            &mut event.user_action,
        ))
    } else {
        None
    };
    recommend(world, &mut rng, step, country, &mut event.recommendations);
    search_history(
        world,
        &mut rng,
        plan,
        country,
        planned.searches_of(i),
        &mut event.search_history,
    );
    event.content = content;
}

/// The device slot a session uses: the user's first device half the time,
/// else one of the others; the same for every event of the session.
#[inline]
fn device_slot(seed: u64, session_key: u64, devices: u32) -> u32 {
    let r = mix64(seed ^ mix64(session_key ^ 0x6465_7669_6365));
    if devices <= 1 || r & 1 == 0 {
        0
    } else {
        1 + ((r >> 1) % (devices as u64 - 1)) as u32
    }
}

/// Playback details and the actions during the playback of
/// `play_duration` seconds (the session decided how long).
#[allow(clippy::too_many_arguments)]
fn playback(
    world: &World,
    rng: &mut KeyedRng,
    start: Micros,
    duration_minutes: i32,
    play_duration: i32,
    device_type: usize,
    plan_cap: usize,
    actions: &mut Vec<UserAction>,
) -> EventDetails {
    let length = duration_minutes * 60;
    let play_percentage = 100.0 * play_duration as f64 / length as f64;
    let completed = play_percentage >= 95.0;

    let network = world.networks[device_type].sample(rng);
    let (lo, hi) = NETWORK_MBPS[network];
    // Log-uniform: slow connections are as common as fast ones per decade.
    let mbps = ((lo as f64) * ((hi as f64) / (lo as f64)).powf(rng.unit())).round() as u32;
    let mbps = if mbps >= 1000 { 1000 } else { mbps };
    let bandwidth_cap = QUALITY_MIN_MBPS.iter().rposition(|&need| mbps >= need).unwrap_or(0);
    let max_quality = bandwidth_cap.min(MAX_QUALITY[device_type]).min(plan_cap);
    let mut quality = if rng.chance(0.75) {
        max_quality
    } else {
        rng.below(max_quality as u32 + 1) as usize
    };
    let mut speed = if rng.chance(0.9) {
        NORMAL_SPEED
    } else {
        rng.below(SPEEDS.len() as u32) as usize
    };

    let count = rng.range_i32(world.config.actions.min as i32, world.config.actions.max as i32) as usize;
    let others = if completed { count - 1 } else { count };
    let mut offsets = [0i64; MAX_ACTIONS as usize];
    let span = play_duration as i64 * SECOND;
    for o in offsets.iter_mut().take(others) {
        *o = (rng.unit() * span as f64) as i64;
    }
    offsets[..others].sort_unstable();
    let mut paused = false;
    for &offset in &offsets[..others] {
        let timestamp = Micros(start.0 + offset);
        let roll = rng.below(4);
        let action = if roll < 2 || (roll == 2 && max_quality == 0) {
            paused = true;
            UserAction {
                action_type: ACTION_TYPE.word(ACTION_PAUSE),
                timestamp,
                duration: Some(rng.range_i32(5, 600)),
                ..UserAction::default()
            }
        } else if roll == 2 {
            let old = quality;
            quality = (old + 1 + rng.below(max_quality as u32) as usize) % (max_quality + 1);
            UserAction {
                action_type: ACTION_TYPE.word(ACTION_CHANGE_QUALITY),
                timestamp,
                old_quality: Some(QUALITY.word(old)),
                new_quality: Some(QUALITY.word(quality)),
                ..UserAction::default()
            }
        } else {
            let old = speed;
            speed = (old + 1 + rng.below(SPEEDS.len() as u32 - 1) as usize) % SPEEDS.len();
            UserAction {
                action_type: ACTION_TYPE.word(ACTION_PLAYBACK_SPEED),
                timestamp,
                old_speed: Some(SPEEDS[old]),
                new_speed: Some(SPEEDS[speed]),
                ..UserAction::default()
            }
        };
        actions.push(action);
    }
    if completed {
        actions.push(UserAction {
            action_type: ACTION_TYPE.word(ACTION_COMPLETED),
            timestamp: Micros(start.0 + span),
            duration: Some(play_duration),
            completed: Some(true),
            ..UserAction::default()
        });
    }

    // Buffering grows with watch time and with how close the stream's
    // needs come to the bandwidth; mobile networks stall more.
    let strain = (QUALITY_MIN_MBPS[quality] as f64 * 3.0 / mbps as f64) * if network == 1 { 2.0 } else { 1.0 };
    let expected = play_duration as f64 / 1200.0 * strain;
    let buffering_incidents = ((expected + rng.unit()) as i32).min(30);

    EventDetails {
        play_duration,
        play_percentage,
        playback_quality: QUALITY.word(quality),
        buffering_incidents,
        playback_speed: SPEEDS[speed],
        paused,
        completed,
        network_type: NETWORK_TYPE.word(network),
        bandwidth: Bandwidth { mbps },
    }
}

/// The step's recommendations: distinct catalog entries other than the
/// one playing, popular ones first more often, with the step's click (if
/// any) at its position.
fn recommend(world: &World, rng: &mut KeyedRng, step: &Step, country: u8, out: &mut Vec<Recommendation>) {
    out.clear();
    let count = step.recommendations as usize;
    let playing = step.content as usize;
    let size = world.catalog.len();
    let clicked_at = step.clicked_position as usize;
    let day = crate::session::day_of(step.time);
    let mut chosen = [usize::MAX; MAX_RECOMMENDATIONS as usize];
    if clicked_at > 0 {
        chosen[clicked_at - 1] = step.clicked_content as usize;
    }
    for position in 0..count {
        if position + 1 == clicked_at {
            out.push(Recommendation {
                content_id: world.catalog.entry(chosen[position]).id,
                position: position as i32 + 1,
                algorithm: ALGORITHM.word(step.clicked_algorithm as usize),
                entry: chosen[position] as u32,
                clicked: true,
            });
            continue;
        }
        // Titles streamed in the user's country only (when the catalog has
        // too few of them, any title).
        let mut candidate = world.catalog.ranked(world.popularity.sample(rng));
        let mut tries = 0;
        while candidate == playing
            || chosen[..count].contains(&candidate)
            || (tries < 8 + size && !world.taste.available(&world.catalog, country, candidate, day))
        {
            tries += 1;
            candidate = if tries < 8 {
                world.catalog.ranked(world.popularity.sample(rng))
            } else {
                (candidate + 1) % size
            };
        }
        chosen[position] = candidate;
        let algorithm = rng.below(ALGORITHMS.len() as u32) as usize;
        out.push(Recommendation {
            content_id: world.catalog.entry(candidate).id,
            position: position as i32 + 1,
            algorithm: ALGORITHM.word(algorithm),
            entry: candidate as u32,
            clicked: false,
        });
    }
}

/// The user's searches, oldest first: the session's own searches up to
/// this event (a `search` event's ends with itself) after the searches the
/// user made before the session, as many as the row's history length.
/// The searches from before a session are the same for all its events.
fn search_history<'w>(
    world: &'w World,
    rng: &mut KeyedRng,
    plan: &Planned,
    country: u8,
    own: &[SessionSearch],
    out: &mut Vec<Search<'w>>,
) {
    out.clear();
    let seed = world.config.seed;
    let day = crate::session::day_of(plan.step.time);
    let count = rng.range_i32(
        world.config.search_history.min as i32,
        world.config.search_history.max as i32,
    ) as usize;
    let own = &own[own.len().saturating_sub(count)..];
    let before = count - own.len();
    if before > 0 {
        // The session's earlier searches: a stream keyed by the session
        // with bit 62 set (session keys stay below 2^56), two draws per
        // search (its age within its slot of the history span, oldest slot
        // first, and its target), so that any search is read alone.
        let max = world.config.search_history.max as i64;
        let mut earlier = KeyedRng::new(seed, Stream::Session, plan.session_key | 1 << 62);
        earlier.skip(2 * (max as u64 - before as u64));
        for i in max - before as i64..max {
            let age = 1.0 + ((max - i) as f64 - earlier.unit()) * (HISTORY_SPAN / max) as f64;
            // A title streamed in the user's country (the next one that is).
            let drawn = world.catalog.ranked(world.popularity.sample(&mut earlier));
            let size = world.catalog.len();
            let target = (0..size)
                .map(|step| (drawn + step) % size)
                .find(|&t| world.taste.available(&world.catalog, country, t, day))
                .unwrap_or(drawn);
            let key = earlier_key(plan.session_key, i as usize);
            let (query, results_count) = world.catalog.query(target, query_kind(mix64(key ^ seed)));
            out.push(Search {
                search_id: Uuid::derive(seed, Stream::SearchId, key),
                timestamp: Micros(plan.session_start - age as i64),
                query,
                results_count,
            });
        }
    }
    for search in own {
        let key = plan.session_key * MAX_SESSION_EVENTS as u64 + search.index as u64;
        let kind = query_kind(mix64(key ^ mix64(seed ^ Stream::SessionSearchId.number())));
        let (query, results_count) = world.catalog.query(search.content as usize, kind);
        out.push(Search {
            search_id: Uuid::derive(seed, Stream::SessionSearchId, key),
            timestamp: Micros(search.time),
            query,
            results_count,
        });
    }
}

/// The key of search `i` made before the session keyed `session_key`.
#[inline]
fn earlier_key(session_key: u64, i: usize) -> u64 {
    session_key * MAX_SEARCH_HISTORY as u64 + i as u64
}

/// What a search typed, from 64 random bits: a title word (40%), a whole
/// title (30%), a genre (15%) or a provider (15%).
#[inline]
fn query_kind(bits: u64) -> QueryKind {
    match bits % 20 {
        0..=7 => QueryKind::TitleWord,
        8..=13 => QueryKind::Title,
        14..=16 => QueryKind::Genre,
        _ => QueryKind::Provider,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::config::{Config, LengthRange};
    use crate::model::MAX_DEVICES_PER_USER;

    fn exactly(n: u32) -> LengthRange {
        LengthRange { min: n, max: n }
    }

    /// A config at every limit: the buffers hold the longest lists, and the
    /// key strides keep every search and every device distinct.
    #[test]
    fn lists_at_their_limits_fit_and_keep_ids_distinct() {
        let world = World::new(Config {
            rows: 400,
            users: Some(50),
            devices_per_user: exactly(MAX_DEVICES_PER_USER),
            actions: exactly(MAX_ACTIONS),
            recommendations: exactly(MAX_RECOMMENDATIONS),
            search_history: exactly(MAX_SEARCH_HISTORY),
            ..Config::default()
        })
        .unwrap();
        // A search id names one search: events of a session list the same
        // searches, with the same time, query and result count.
        let mut searches = std::collections::HashMap::new();
        let mut plays = 0;
        for row in 0..world.rows() {
            let event = world.event(row);
            if event.event_details.is_some() {
                plays += 1;
                assert_eq!(event.user_action.len(), MAX_ACTIONS as usize, "row {row}");
            }
            assert_eq!(event.recommendations.len(), MAX_RECOMMENDATIONS as usize);
            let recommended: HashSet<_> = event.recommendations.iter().map(|r| r.content_id).collect();
            assert_eq!(recommended.len(), MAX_RECOMMENDATIONS as usize, "row {row}");
            assert_eq!(event.search_history.len(), MAX_SEARCH_HISTORY as usize);
            for search in &event.search_history {
                let seen = (search.timestamp, search.query, search.results_count);
                let first = *searches.entry(search.search_id).or_insert(seen);
                assert_eq!(
                    first, seen,
                    "row {row}: search id {} names two searches",
                    search.search_id
                );
            }
        }
        assert!(plays > 0);
        let mut devices = HashSet::new();
        for user in 0..world.population().len() {
            assert_eq!(world.population().user(user).devices, MAX_DEVICES_PER_USER);
            for slot in 0..MAX_DEVICES_PER_USER {
                devices.insert(format!("{:?}", world.population().device(user, slot).1));
            }
        }
        // Device attributes come from small vocabularies, so two slots may
        // look alike by chance; overlapping keys would repeat whole devices.
        let slots = world.population().len() as usize * MAX_DEVICES_PER_USER as usize;
        assert!(
            devices.len() * 100 >= slots * 95,
            "{} distinct devices of {slots}",
            devices.len()
        );
    }

    #[test]
    fn config_refuses_lists_past_their_limits() {
        for (key, config) in [
            (
                "devices_per_user",
                Config {
                    devices_per_user: exactly(MAX_DEVICES_PER_USER + 1),
                    ..Config::default()
                },
            ),
            (
                "actions",
                Config {
                    actions: exactly(MAX_ACTIONS + 1),
                    ..Config::default()
                },
            ),
            (
                "recommendations",
                Config {
                    recommendations: exactly(MAX_RECOMMENDATIONS + 1),
                    ..Config::default()
                },
            ),
            (
                "search_history",
                Config {
                    search_history: exactly(MAX_SEARCH_HISTORY + 1),
                    ..Config::default()
                },
            ),
        ] {
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(key), "{key}: {error}");
        }
    }
}
