//! Dataset-level checks of every coherence rule of "What the data
//! guarantees" (docs/data.md), over the Arrow batches the Parquet writer encodes.
//! Each rule is one assertion that names the rule when it fails; the same
//! checks run over random seeds and configs.

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, AsArray, RecordBatch, StructArray};
use arrow::datatypes::{Date32Type, Float64Type, Int32Type, TimestampMicrosecondType};
use chrono::{Datelike, TimeZone, Timelike};
use customer_events::config::LengthRange;
use customer_events::rng::{KeyedRng, Stream};
use customer_events::vocab::device::{DEVICE_TYPES, PLATFORMS};
use customer_events::vocab::places::cities;
use customer_events::{Config, World};

/// A row's fields read from Arrow, with the nested lists flattened.
struct Row {
    user_id: String,
    event_type: String,
    ts: i64,
    device: [String; 5],
    location: [String; 4],
    content: Vec<String>,
    content_id: String,
    duration: i32,
    season: Option<i32>,
    episode: Option<i32>,
    content_type: String,
    start_date: i32,
    details: Option<Details>,
    actions: Vec<Action>,
    recommendations: Vec<String>,
    searches: Vec<(i64, String, i32)>,
}

struct Details {
    play_duration: i32,
    play_percentage: f64,
    quality: String,
    paused: bool,
    completed: bool,
    bandwidth: String,
    buffering: i32,
}

struct Action {
    kind: String,
    ts: i64,
    old_quality: Option<String>,
    new_quality: Option<String>,
    old_speed: Option<f64>,
    new_speed: Option<f64>,
}

fn string(s: &StructArray, name: &str, i: usize) -> String {
    s.column_by_name(name).unwrap().as_string::<i32>().value(i).to_string()
}

fn opt_string(s: &StructArray, name: &str, i: usize) -> Option<String> {
    let a = s.column_by_name(name).unwrap().as_string::<i32>();
    a.is_valid(i).then(|| a.value(i).to_string())
}

fn int(s: &StructArray, name: &str, i: usize) -> Option<i32> {
    let a = s.column_by_name(name).unwrap().as_primitive::<Int32Type>();
    a.is_valid(i).then(|| a.value(i))
}

fn float(s: &StructArray, name: &str, i: usize) -> Option<f64> {
    let a = s.column_by_name(name).unwrap().as_primitive::<Float64Type>();
    a.is_valid(i).then(|| a.value(i))
}

fn micros(s: &StructArray, name: &str, i: usize) -> i64 {
    s.column_by_name(name)
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>()
        .value(i)
}

fn rows_of(batch: &RecordBatch) -> Vec<Row> {
    let top = StructArray::from(batch.clone());
    let device = batch.column_by_name("device").unwrap().as_struct();
    let location = batch.column_by_name("location").unwrap().as_struct();
    let content = batch.column_by_name("content").unwrap().as_struct();
    let subscription = batch.column_by_name("user_subscription").unwrap().as_struct();
    let details = batch.column_by_name("event_details").unwrap().as_struct();
    let actions = batch.column_by_name("user_action").unwrap().as_list::<i32>();
    let recs = batch.column_by_name("recommendations").unwrap().as_list::<i32>();
    let searches = batch.column_by_name("search_history").unwrap().as_list::<i32>();
    (0..batch.num_rows())
        .map(|i| {
            let action_items = actions.value(i);
            let action_items = action_items.as_struct();
            let rec_items = recs.value(i);
            let rec_items = rec_items.as_struct();
            let search_items = searches.value(i);
            let search_items = search_items.as_struct();
            Row {
                user_id: string(&top, "user_id", i),
                event_type: string(&top, "event_type", i),
                ts: micros(&top, "timestamp", i),
                device: ["type", "os", "os_version", "app_version", "model"].map(|f| string(device, f, i)),
                location: ["country", "city", "region", "timezone"].map(|f| string(location, f, i)),
                content: ["id", "title", "type", "provider", "genre", "language"]
                    .iter()
                    .map(|f| string(content, f, i))
                    .chain(
                        ["episode", "season", "release_year", "duration"]
                            .iter()
                            .map(|f| format!("{:?}", int(content, f, i))),
                    )
                    .collect(),
                content_id: string(content, "id", i),
                duration: int(content, "duration", i).unwrap(),
                season: int(content, "season", i),
                episode: int(content, "episode", i),
                content_type: string(content, "type", i),
                start_date: subscription
                    .column_by_name("start_date")
                    .unwrap()
                    .as_primitive::<Date32Type>()
                    .value(i),
                details: details.is_valid(i).then(|| Details {
                    play_duration: int(details, "play_duration", i).unwrap(),
                    play_percentage: float(details, "play_percentage", i).unwrap(),
                    quality: string(details, "playback_quality", i),
                    paused: details.column_by_name("paused").unwrap().as_boolean().value(i),
                    completed: details.column_by_name("completed").unwrap().as_boolean().value(i),
                    bandwidth: string(details, "bandwidth", i),
                    buffering: int(details, "buffering_incidents", i).unwrap(),
                }),
                actions: (0..action_items.len())
                    .map(|j| Action {
                        kind: string(action_items, "action_type", j),
                        ts: micros(action_items, "timestamp", j),
                        old_quality: opt_string(action_items, "old_quality", j),
                        new_quality: opt_string(action_items, "new_quality", j),
                        old_speed: float(action_items, "old_speed", j),
                        new_speed: float(action_items, "new_speed", j),
                    })
                    .collect(),
                recommendations: (0..rec_items.len())
                    .map(|j| string(rec_items, "content_id", j))
                    .collect(),
                searches: (0..search_items.len())
                    .map(|j| {
                        (
                            micros(search_items, "timestamp", j),
                            string(search_items, "query", j),
                            int(search_items, "results_count", j).unwrap(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

fn mbps(bandwidth: &str) -> u32 {
    if let Some(g) = bandwidth.strip_suffix("gbps") {
        g.parse::<u32>().unwrap() * 1000
    } else {
        bandwidth.strip_suffix("mbps").unwrap().parse().unwrap()
    }
}

/// What a user looked like in the first of their events: home, devices seen.
type UserSeen<'a> = (&'a [String; 4], HashSet<&'a [String; 5]>);

/// Every per-row and per-dataset rule that holds for any config.
fn check_rules(world: &World) -> Vec<Row> {
    let config = world.config();
    let mut rows = Vec::with_capacity(config.rows as usize);
    let mut start = 0;
    while start < config.rows {
        let end = (start + 8192).min(config.rows);
        rows.extend(rows_of(&world.record_batch(start..end).unwrap()));
        start = end;
    }
    let first_day = config.start.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
    let last_day = first_day + config.days as i64 * 86_400_000_000;
    let catalog_ids: HashSet<String> = (0..world.catalog().len())
        .map(|i| world.catalog().content(i).id.to_string())
        .collect();
    let gazetteer: HashMap<(&str, &str), (&str, &str)> = cities()
        .iter()
        .map(|c| ((c.country, c.name), (c.region, c.timezone)))
        .collect();
    let platforms: HashSet<(&str, &str, &str)> = PLATFORMS
        .iter()
        .flat_map(|p| {
            p.models
                .iter()
                .map(move |m| (DEVICE_TYPES[p.device_type], p.os.name, *m))
        })
        .collect();

    let mut users: HashMap<&str, UserSeen<'_>> = HashMap::new();
    let mut contents: HashMap<&str, &[String]> = HashMap::new();
    for r in &rows {
        // Users: one home per user, at most devices_per_user.max devices
        // (the subscription changes over time: tests/it/lifecycle.rs).
        let u = users.entry(&r.user_id).or_insert((&r.location, HashSet::new()));
        assert!(u.0 == &r.location, "rule users: user {} changed home", r.user_id);
        u.1.insert(&r.device);
        assert!(
            u.1.len() <= config.devices_per_user.max as usize,
            "rule users: {} has too many devices",
            r.user_id
        );
        // Catalog: one set of attributes per content id; ids from the catalog.
        let c = contents.entry(&r.content_id).or_insert(&r.content);
        assert!(
            *c == r.content.as_slice(),
            "rule catalog: content {} changed attributes",
            r.content_id
        );
        assert!(
            catalog_ids.contains(&r.content_id),
            "rule catalog: {} is not a catalog id",
            r.content_id
        );
        assert!(
            !r.content[1].contains('{') && !r.content[1].is_empty(),
            "rule catalog: unfilled title {}",
            r.content[1]
        );
        let episodic = matches!(r.content_type.as_str(), "TV Show" | "Mini-series" | "Reality Show");
        assert_eq!(
            episodic,
            r.season.is_some_and(|s| s >= 1) && r.episode.is_some_and(|e| e >= 1),
            "rule catalog: season/episode of a {}",
            r.content_type
        );
        assert!(
            episodic || (r.season.is_none() && r.episode.is_none()),
            "rule catalog: {} has a season",
            r.content_type
        );
        // Places: a real city with its own region and timezone.
        let (region, tz) = gazetteer
            .get(&(r.location[0].as_str(), r.location[1].as_str()))
            .unwrap_or_else(|| panic!("rule places: {:?} is not in the gazetteer", r.location));
        assert!(
            r.location[2] == *region && r.location[3] == *tz,
            "rule places: {:?}",
            r.location
        );
        assert!(
            r.location[2].len() > 2,
            "rule places: region {} looks like a country code",
            r.location[2]
        );
        // Devices: OS fits type, model fits both.
        let key = (r.device[0].as_str(), r.device[1].as_str(), r.device[4].as_str());
        assert!(platforms.contains(&key), "rule devices: {key:?} does not exist");
        // Time.
        assert!(
            (first_day..last_day).contains(&r.ts),
            "rule time: event {} outside the date range",
            r.ts
        );
        assert!(
            r.start_date as i64 <= r.ts.div_euclid(86_400_000_000),
            "rule time: subscription starts after its event"
        );
        assert!(
            r.searches.iter().all(|s| s.0 <= r.ts),
            "rule time: a search lies after its event"
        );
        assert!(
            r.searches.windows(2).all(|w| w[0].0 <= w[1].0),
            "rule time: search history is not oldest first"
        );
        // Event types.
        let is_play = r.event_type == "content_play";
        assert_eq!(
            is_play,
            r.details.is_some(),
            "rule event types: details of a {}",
            r.event_type
        );
        assert_eq!(
            is_play,
            !r.actions.is_empty(),
            "rule event types: actions of a {}",
            r.event_type
        );
        if r.event_type == "search" {
            let last = r
                .searches
                .last()
                .expect("rule event types: a search event without searches");
            assert_eq!(
                last.0, r.ts,
                "rule event types: a search event's last search is not at the event time"
            );
        }
        // Recommendations: catalog ids, distinct, never the event's content.
        assert!(!r.recommendations.is_empty(), "rule recommendations: empty list");
        let distinct: HashSet<&String> = r.recommendations.iter().collect();
        assert_eq!(
            distinct.len(),
            r.recommendations.len(),
            "rule recommendations: repeated content id"
        );
        assert!(
            !distinct.contains(&r.content_id),
            "rule recommendations: recommends the event's own content"
        );
        assert!(
            distinct.iter().all(|id| catalog_ids.contains(*id)),
            "rule recommendations: not a catalog id"
        );
        // Search queries match something.
        assert!(
            r.searches.iter().all(|s| !s.1.is_empty() && s.2 >= 1),
            "rule search: a query without results"
        );
        // Playback.
        if let Some(d) = &r.details {
            let length = 60 * r.duration;
            assert!(
                d.play_duration >= 1 && d.play_duration <= length,
                "rule playback: play_duration > duration"
            );
            let expected = 100.0 * d.play_duration as f64 / length as f64;
            assert!(
                (d.play_percentage - expected).abs() < 1e-9,
                "rule playback: play_percentage formula"
            );
            assert_eq!(
                d.completed,
                d.play_percentage >= 95.0,
                "rule playback: completed iff >= 95%"
            );
            let completions = r.actions.iter().filter(|a| a.kind == "completed").count();
            assert_eq!(
                completions, d.completed as usize,
                "rule playback: one completed action iff completed"
            );
            assert_eq!(
                d.paused,
                r.actions.iter().any(|a| a.kind == "pause"),
                "rule playback: paused iff a pause"
            );
            let end = r.ts + d.play_duration as i64 * 1_000_000;
            assert!(
                r.actions.iter().all(|a| a.ts >= r.ts && a.ts <= end),
                "rule time: action outside the playback"
            );
            for a in &r.actions {
                if a.kind == "change quality" {
                    assert!(
                        a.old_quality.is_some() && a.old_quality != a.new_quality,
                        "rule playback: quality kept"
                    );
                }
                if a.kind == "playback_speed" {
                    assert!(
                        a.old_speed.is_some() && a.old_speed != a.new_speed,
                        "rule playback: speed kept"
                    );
                }
            }
            if d.quality == "4K" {
                assert!(mbps(&d.bandwidth) >= 25, "rule playback: 4K on {}", d.bandwidth);
            }
            assert!(
                d.buffering >= 0 && d.buffering <= 30,
                "rule playback: buffering {}",
                d.buffering
            );
        }
    }
    rows
}

#[test]
fn every_rule_holds_over_120k_rows() {
    let world = World::new(Config {
        rows: 120_000,
        ..Config::default()
    })
    .unwrap();
    let rows = check_rules(&world);
    assert_eq!(rows.len(), 120_000);

    // Skewed user activity: the busiest 1% of users produce well over 1% of
    // events (five times their share; a user's hours cap the heaviest, whose
    // sessions never overlap).
    let mut per_user: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *per_user.entry(&r.user_id).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_user.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let universe = world.config().user_count() as usize;
    let top: usize = counts.iter().take(universe / 100).sum();
    assert!(
        top * 100 / rows.len() >= 5,
        "rule users: top 1% of users make only {top} of {} events",
        rows.len()
    );

    // Zipf popularity: the top 1% of the catalog draws a large share of events.
    let mut per_content: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *per_content.entry(&r.content_id).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_content.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top: usize = counts.iter().take(world.catalog().len() / 100).sum();
    assert!(
        top * 100 / rows.len() >= 20,
        "rule catalog: top 1% of titles draw only {top} events"
    );

    // Local time: evenings busier than nights, in the user's own timezone.
    let (mut evening, mut night) = (0, 0);
    let mut by_weekday = [0usize; 7];
    for r in &rows {
        let tz: chrono_tz::Tz = r.location[3].parse().unwrap();
        let local = tz.timestamp_micros(r.ts).unwrap();
        match local.hour() {
            19..=22 => evening += 1,
            2..=5 => night += 1,
            _ => {}
        }
        by_weekday[local.weekday().num_days_from_monday() as usize] += 1;
    }
    // Three times as many at least: sessions begun late in the evening go
    // on into the night, past midnight UTC too.
    assert!(
        evening > 3 * night,
        "rule time: evening {evening} vs night {night} in local time"
    );
    // 2026-01-01 is a Thursday: the 7 default days hold each weekday once.
    let weekend = (by_weekday[5] + by_weekday[6]) as f64 / 2.0;
    let midweek = (by_weekday[1] + by_weekday[2]) as f64 / 2.0;
    assert!(
        weekend > 1.15 * midweek,
        "rule time: weekend {weekend} vs midweek {midweek} events per day"
    );

    // Devices: users keep a small set that all their events reuse.
    let event_mix: HashSet<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(event_mix.len(), 3, "rule event types: all three types occur");
}

#[test]
fn rules_hold_for_random_seeds_and_configs() {
    for case in 0..12u64 {
        let mut rng = KeyedRng::new(case, Stream::Event, 12345);
        let mut config = Config {
            seed: rng.next_u64(),
            rows: 1_000 + rng.below(4_000) as u64,
            days: 1 + rng.below(40),
            start: chrono::NaiveDate::from_ymd_opt(2020 + rng.below(8) as i32, 1 + rng.below(12), 1 + rng.below(28))
                .unwrap(),
            users: Some(1 + rng.below(3_000) as u64),
            catalog_size: 10 + rng.below(5_000) as u64,
            user_skew: rng.unit() * 2.0,
            content_skew: rng.unit() * 2.0,
            completion_rate: rng.unit(),
            ..Config::default()
        };
        config.event_mix.search = rng.unit();
        config.event_mix.browse = rng.unit();
        config.device_mix.tablet = rng.unit() * 3.0;
        config.actions = LengthRange {
            min: 1,
            max: 1 + rng.below(10),
        };
        config.recommendations = LengthRange {
            min: 1,
            max: 1 + rng.below(9),
        };
        config.search_history = LengthRange {
            min: 1,
            max: 1 + rng.below(10),
        };
        config
            .countries
            .insert(["JP", "BR", "NZ", "IN"][rng.below(4) as usize].to_string(), rng.unit());
        let world = World::new(config.clone()).unwrap_or_else(|e| panic!("{config:?}: {e}"));
        let rows = check_rules(&world);
        assert_eq!(rows.len() as u64, config.rows);
    }
}
