//! Generation of one event: the only place where a row's values are decided.
//! [`World::fill_event`] (through which the JSON output, the single-event API
//! and the columnar builders all go) is defined here, over [`fill_event`].

use crate::catalog::QueryKind;
use crate::model::{
    Bandwidth, Event, EventDetails, MAX_ACTIONS, MAX_RECOMMENDATIONS, MAX_SEARCH_HISTORY, Micros, Recommendation,
    Search, UserAction, Uuid,
};
use crate::rng::{KeyedRng, Stream};
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
    /// lists' memory: the hot loop of every output path.
    ///
    /// # Panics
    /// If `row >= self.rows()`.
    #[inline]
    pub fn fill_event<'w>(&'w self, row: u64, event: &mut Event<'w>) {
        assert!(
            row < self.config.rows,
            "row {row} is outside the dataset's {} rows",
            self.config.rows
        );
        fill_event(self, row, event);
    }
}

/// Overwrites `event` with the event at global row `row` (below
/// `world.rows()`) of `world`, reusing its lists' memory.
pub(crate) fn fill_event<'w>(world: &'w World, row: u64, event: &mut Event<'w>) {
    let seed = world.config.seed;
    let day = world.calendar.day_of(row);
    let within_day = row - day.first_row;
    let key = day.key(within_day);
    let mut rng = KeyedRng::new(seed, Stream::Event, key);
    let (timestamp, slot) = day.instant(within_day, &mut rng);
    let zone = &world.population.zones()[day.zone(slot, &mut rng)];
    let user_index = zone.pick_user(&mut rng);
    let user = world.population.user_in_zone(zone, user_index);
    let slot = if user.devices == 1 || rng.chance(0.5) {
        0
    } else {
        1 + rng.below(user.devices - 1)
    };
    let (device_type, device) = world.population.device(user_index, slot);
    let event_type = world.event_types.sample(&mut rng);
    let content_index = world.popularity.sample(&mut rng) as usize;
    let content = world.catalog.content(content_index);

    event.event_id = Uuid::derive(seed, Stream::EventId, key);
    event.user_id = user.id;
    event.device = device;
    event.location = user.location;
    event.event_type = EVENT_TYPE.word(event_type);
    event.user_subscription = user.subscription;
    event.timestamp = timestamp;
    event.user_action.clear();
    event.event_details = if event_type == 0 {
        let premium = event.user_subscription.plan == "Premium";
        let plan_cap = if premium { 2 } else { 1 };
        Some(playback(
            world,
            &mut rng,
            timestamp,
            content.duration,
            device_type,
            plan_cap,
            &mut event.user_action,
        ))
    } else {
        None
    };
    recommend(world, &mut rng, content_index, &mut event.recommendations);
    search_history(
        world,
        &mut rng,
        key,
        timestamp,
        event_type == 1,
        content_index,
        &mut event.search_history,
    );
    event.content = content;
}

/// Playback details and the actions during the playback.
fn playback(
    world: &World,
    rng: &mut KeyedRng,
    start: Micros,
    duration_minutes: i32,
    device_type: usize,
    plan_cap: usize,
    actions: &mut Vec<UserAction>,
) -> EventDetails {
    let length = duration_minutes * 60;
    // Short content is finished more often than long content; the
    // configured rate holds for a 45-minute title.
    let finish = (world.config.completion_rate * (45.0 / duration_minutes as f64).powf(0.35)).min(0.98);
    let watched = if rng.chance(finish) {
        0.95 + 0.05 * rng.unit()
    } else {
        0.95 * rng.unit().powf(0.8)
    };
    let play_duration = ((watched * length as f64) as i32).clamp(1, length);
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

/// Distinct catalog entries other than `playing`, popular ones first more often.
fn recommend(world: &World, rng: &mut KeyedRng, playing: usize, out: &mut Vec<Recommendation>) {
    out.clear();
    let count = rng.range_i32(
        world.config.recommendations.min as i32,
        world.config.recommendations.max as i32,
    );
    let size = world.catalog.len();
    let mut chosen = [usize::MAX; MAX_RECOMMENDATIONS as usize];
    for position in 0..count as usize {
        let mut candidate = world.popularity.sample(rng) as usize;
        let mut tries = 0;
        while candidate == playing || chosen[..position].contains(&candidate) {
            tries += 1;
            candidate = if tries < 8 {
                world.popularity.sample(rng) as usize
            } else {
                (candidate + 1) % size
            };
        }
        chosen[position] = candidate;
        let algorithm = rng.below(ALGORITHMS.len() as u32) as usize;
        // Clicks fall with the position; hybrid lists convert best.
        let appeal = [1.0, 0.8, 1.3][algorithm];
        out.push(Recommendation {
            content_id: world.catalog.entry(candidate).id,
            position: position as i32 + 1,
            algorithm: ALGORITHM.word(algorithm),
            entry: candidate as u32,
            clicked: rng.chance(0.12 * appeal / (position as f64 + 1.0).powf(0.8)),
        });
    }
}

/// Past searches, oldest first. A `search` event's history ends with the
/// search made at the event's time, for the event's content.
fn search_history<'w>(
    world: &'w World,
    rng: &mut KeyedRng,
    key: u64,
    now: Micros,
    is_search: bool,
    content: usize,
    out: &mut Vec<Search<'w>>,
) {
    out.clear();
    let count = rng.range_i32(
        world.config.search_history.min as i32,
        world.config.search_history.max as i32,
    );
    let count = count as usize;
    let past = if is_search { count - 1 } else { count };
    let mut ages = [0i64; MAX_SEARCH_HISTORY as usize];
    for age in ages.iter_mut().take(past) {
        *age = 1 + (rng.unit() * HISTORY_SPAN as f64) as i64;
    }
    // Largest age first: oldest search first.
    ages[..past].sort_unstable_by(|a, b| b.cmp(a));
    for (i, &age) in ages[..past].iter().enumerate() {
        let target = world.popularity.sample(rng) as usize;
        out.push(search(world, rng, key, i, Micros(now.0 - age), target));
    }
    if is_search {
        out.push(search(world, rng, key, past, now, content));
    }
}

/// Search `i` of the history of the row keyed `key`, made at `timestamp`,
/// for catalog entry `target`.
#[inline]
fn search<'w>(
    world: &'w World,
    rng: &mut KeyedRng,
    key: u64,
    i: usize,
    timestamp: Micros,
    target: usize,
) -> Search<'w> {
    let kind = match rng.below(20) {
        0..=7 => QueryKind::TitleWord,
        8..=13 => QueryKind::Title,
        14..=16 => QueryKind::Genre,
        _ => QueryKind::Provider,
    };
    let (query, results_count) = world.catalog.query(target, kind);
    Search {
        search_id: Uuid::derive(
            world.config.seed,
            Stream::SearchId,
            key * MAX_SEARCH_HISTORY as u64 + i as u64,
        ),
        timestamp,
        query,
        results_count,
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
    /// key strides keep every search id and every device distinct.
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
        let mut search_ids = HashSet::new();
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
                assert!(search_ids.insert(search.search_id), "row {row} repeats a search id");
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
