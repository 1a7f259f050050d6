//! Generation of one event: the only place where a row's values are decided.
//! The JSON output, the single-event API and the columnar builders all call
//! [`World::fill_event`].

use crate::catalog::QueryKind;
use crate::model::{Bandwidth, Event, EventDetails, Micros, Recommendation, Search, UserAction, Uuid};
use crate::rng::{KeyedRng, Stream};
use crate::vocab::device::MAX_QUALITY;
use crate::vocab::{
    ACTION_CHANGE_QUALITY, ACTION_COMPLETED, ACTION_PAUSE, ACTION_PLAYBACK_SPEED, ALGORITHMS, EVENT_TYPES,
    NETWORK_MBPS, NETWORK_TYPES, NORMAL_SPEED, QUALITIES, QUALITY_MIN_MBPS, SPEEDS,
};
use crate::world::World;

/// Id space of event ids (see [`Uuid::derive`]).
pub const EVENT_ID_SPACE: u64 = 1;
/// Id space of search ids.
pub const SEARCH_ID_SPACE: u64 = 4;

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
    pub fn fill_event<'w>(&'w self, row: u64, event: &mut Event<'w>) {
        assert!(
            row < self.config.rows,
            "row {row} is outside the dataset's {} rows",
            self.config.rows
        );
        let seed = self.config.seed;
        let mut rng = KeyedRng::new(seed, Stream::Event, row);
        let day = self.calendar.day_of(row);
        let (timestamp, slot) = day.instant(row - day.first_row, &mut rng);
        let zone = &self.population.zones()[day.zone(slot, &mut rng)];
        let user_index = zone.pick_user(&mut rng);
        let user = self.population.user_in_zone(zone, user_index);
        let slot = if user.devices == 1 || rng.chance(0.5) {
            0
        } else {
            1 + rng.below(user.devices - 1)
        };
        let (device_type, device) = self.population.device(user_index, slot);
        let event_type = self.event_types.sample(&mut rng);
        let content_index = self.popularity.sample(&mut rng) as usize;
        let content = self.catalog.content(content_index);

        event.event_id = Uuid::derive(seed, EVENT_ID_SPACE, row);
        event.user_id = user.id;
        event.device = device;
        event.location = user.location;
        event.event_type = EVENT_TYPES[event_type];
        event.user_subscription = user.subscription;
        event.timestamp = timestamp;
        event.user_action.clear();
        event.event_details = if event_type == 0 {
            let premium = event.user_subscription.plan == "Premium";
            let plan_cap = if premium { 2 } else { 1 };
            Some(self.playback(
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
        self.recommend(&mut rng, content_index, &mut event.recommendations);
        self.search_history(
            &mut rng,
            row,
            timestamp,
            event_type == 1,
            content_index,
            &mut event.search_history,
        );
        event.content = content;
    }

    /// Playback details and the actions during the playback.
    fn playback(
        &self,
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
        let finish = (self.config.completion_rate * (45.0 / duration_minutes as f64).powf(0.35)).min(0.98);
        let watched = if rng.chance(finish) {
            0.95 + 0.05 * rng.unit()
        } else {
            0.95 * rng.unit().powf(0.8)
        };
        let play_duration = ((watched * length as f64) as i32).clamp(1, length);
        let play_percentage = 100.0 * play_duration as f64 / length as f64;
        let completed = play_percentage >= 95.0;

        let network = self.networks[device_type].sample(rng);
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

        let count = rng.range_i32(self.config.actions.min as i32, self.config.actions.max as i32) as usize;
        let others = if completed { count - 1 } else { count };
        let mut offsets = [0i64; 64];
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
                    action_type: ACTION_PAUSE,
                    timestamp,
                    duration: Some(rng.range_i32(5, 600)),
                    ..UserAction::default()
                }
            } else if roll == 2 {
                let old = quality;
                quality = (old + 1 + rng.below(max_quality as u32) as usize) % (max_quality + 1);
                UserAction {
                    action_type: ACTION_CHANGE_QUALITY,
                    timestamp,
                    old_quality: Some(QUALITIES[old]),
                    new_quality: Some(QUALITIES[quality]),
                    ..UserAction::default()
                }
            } else {
                let old = speed;
                speed = (old + 1 + rng.below(SPEEDS.len() as u32 - 1) as usize) % SPEEDS.len();
                UserAction {
                    action_type: ACTION_PLAYBACK_SPEED,
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
                action_type: ACTION_COMPLETED,
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
            playback_quality: QUALITIES[quality],
            buffering_incidents,
            playback_speed: SPEEDS[speed],
            paused,
            completed,
            network_type: NETWORK_TYPES[network],
            bandwidth: Bandwidth { mbps },
        }
    }

    /// Distinct catalog entries other than `playing`, popular ones first more often.
    fn recommend(&self, rng: &mut KeyedRng, playing: usize, out: &mut Vec<Recommendation>) {
        out.clear();
        let count = rng.range_i32(
            self.config.recommendations.min as i32,
            self.config.recommendations.max as i32,
        );
        let size = self.catalog.len();
        let mut chosen = [usize::MAX; 64];
        for position in 0..count as usize {
            let mut candidate = self.popularity.sample(rng) as usize;
            let mut tries = 0;
            while candidate == playing || chosen[..position].contains(&candidate) {
                tries += 1;
                candidate = if tries < 8 {
                    self.popularity.sample(rng) as usize
                } else {
                    (candidate + 1) % size
                };
            }
            chosen[position] = candidate;
            let algorithm = rng.below(ALGORITHMS.len() as u32) as usize;
            // Clicks fall with the position; hybrid lists convert best.
            let appeal = [1.0, 0.8, 1.3][algorithm];
            out.push(Recommendation {
                content_id: self.catalog.entry(candidate).id,
                position: position as i32 + 1,
                algorithm: ALGORITHMS[algorithm],
                clicked: rng.chance(0.12 * appeal / (position as f64 + 1.0).powf(0.8)),
            });
        }
    }

    /// Past searches, oldest first. A `search` event's history ends with the
    /// search made at the event's time, for the event's content.
    fn search_history<'w>(
        &'w self,
        rng: &mut KeyedRng,
        row: u64,
        now: Micros,
        is_search: bool,
        content: usize,
        out: &mut Vec<Search<'w>>,
    ) {
        out.clear();
        let count = rng.range_i32(
            self.config.search_history.min as i32,
            self.config.search_history.max as i32,
        );
        let count = count as usize;
        let past = if is_search { count - 1 } else { count };
        let mut ages = [0i64; 64];
        for age in ages.iter_mut().take(past) {
            *age = 1 + (rng.unit() * HISTORY_SPAN as f64) as i64;
        }
        // Largest age first: oldest search first.
        ages[..past].sort_unstable_by(|a, b| b.cmp(a));
        for (i, &age) in ages[..past].iter().enumerate() {
            let target = self.popularity.sample(rng) as usize;
            out.push(self.search(rng, row, i, Micros(now.0 - age), target));
        }
        if is_search {
            out.push(self.search(rng, row, past, now, content));
        }
    }

    #[inline]
    fn search<'w>(&'w self, rng: &mut KeyedRng, row: u64, i: usize, timestamp: Micros, target: usize) -> Search<'w> {
        let kind = match rng.below(20) {
            0..=7 => QueryKind::TitleWord,
            8..=13 => QueryKind::Title,
            14..=16 => QueryKind::Genre,
            _ => QueryKind::Provider,
        };
        let (query, results_count) = self.catalog.query(target, kind);
        Search {
            search_id: Uuid::derive(self.config.seed, SEARCH_ID_SPACE, row * 64 + i as u64),
            timestamp,
            query,
            results_count,
        }
    }
}
