//! The timeline: a day's rows depend on the seed, the world options, the day
//! and its volume, not on the window they are generated in. Adjacent windows
//! written with `--events-per-day` make one history: the same `event_date=`
//! folders, byte for byte, as one run of both, and no event id twice.

use crate::common;

use std::collections::HashSet;
use std::path::Path;

use arrow::array::{Array, StringArray};
use common::{parquet_files, read_parquet, run, run_ok, tree};

/// `generate` with the shared world options and a small timeline volume.
fn window(out: &Path, start: &str, days: &str, extra: &[&str]) {
    let mut args = vec![
        "generate",
        "--events-per-day",
        "3k",
        "--seed",
        "7",
        "--users",
        "2000",
        "--start",
        start,
        "--days",
        days,
        "--row-group-rows",
        "1000",
        "--max-rows-per-file",
        "2500",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
}

/// The day folders' files (relative path, bytes), without the run's own
/// manifest and markers.
fn day_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|(path, _)| path.starts_with("event_date="))
        .collect()
}

fn event_ids(dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for file in parquet_files(dir) {
        for batch in read_parquet(&file) {
            let column = batch.column_by_name("event_id").unwrap();
            let column = column.as_any().downcast_ref::<StringArray>().unwrap();
            ids.extend(column.iter().map(|id| id.unwrap().to_string()));
        }
    }
    ids
}

#[test]
fn two_adjacent_windows_write_the_days_of_one_longer_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second, whole) = (tmp.path().join("w1"), tmp.path().join("w2"), tmp.path().join("all"));
    window(&first, "2026-03-02", "7", &["--threads", "1"]);
    window(&second, "2026-03-09", "7", &["--threads", "3"]);
    window(&whole, "2026-03-02", "14", &["--threads", "2"]);

    let mut windows = day_files(&first);
    windows.extend(day_files(&second));
    windows.sort();
    let whole_files = day_files(&whole);
    assert_eq!(
        windows.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        whole_files.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(windows.len(), whole_files.len());
    for ((path, bytes), (_, whole_bytes)) in windows.iter().zip(&whole_files) {
        assert!(bytes == whole_bytes, "{path} differs from the 14-day run");
    }
    assert!(whole_files.iter().filter(|(p, _)| p.ends_with(".parquet")).count() >= 28);

    let mut ids = event_ids(&first);
    ids.extend(event_ids(&second));
    let total = ids.len();
    let distinct: HashSet<String> = ids.into_iter().collect();
    assert_eq!(distinct.len(), total, "an event_id repeats across the two windows");
    // A week holds 7 × 3k events (Friday ×1.1 and the weekend ×1.3 of the
    // others), each day rounded: 4 × 2,727 + 3,000 + 2 × 3,545.
    assert_eq!(total, 2 * 20_998);
}

#[test]
fn a_day_volume_is_a_function_of_its_date() {
    let tmp = tempfile::tempdir().unwrap();
    // A window of one Saturday and one of Friday to Sunday hold the same Saturday.
    let (saturday, weekend) = (tmp.path().join("sat"), tmp.path().join("fri-sun"));
    window(&saturday, "2026-03-07", "1", &[]);
    window(&weekend, "2026-03-06", "3", &[]);
    let of_saturday = |dir: &Path| {
        day_files(dir)
            .into_iter()
            .filter(|(p, _)| p.starts_with("event_date=2026-03-07/"))
            .collect::<Vec<_>>()
    };
    assert_eq!(of_saturday(&saturday), of_saturday(&weekend));
    let rows: usize = parquet_files(&saturday)
        .iter()
        .flat_map(|f| read_parquet(f))
        .map(|b| b.num_rows())
        .sum();
    // 3,000 × 7 × 1.3 / 7.7, rounded.
    assert_eq!(rows, 3545);
}

#[test]
fn events_per_day_and_rows_are_one_volume_or_the_other() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let both = run(&[
        "generate",
        "--rows",
        "10k",
        "--events-per-day",
        "1k",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("--events-per-day"));

    let config = tmp.path().join("c.toml");
    std::fs::write(&config, "rows = 5000\nevents_per_day = 1000\n").unwrap();
    let refused = run(&[
        "generate",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("rows") && message.contains("events_per_day"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");

    // In a file alone it sizes the days; --rows on the command line replaces it.
    std::fs::write(&config, "events_per_day = 1000\ndays = 2\nstart = \"2026-03-02\"\n").unwrap();
    run_ok(&[
        "generate",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let rows: usize = parquet_files(&out)
        .iter()
        .flat_map(|f| read_parquet(f))
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 2 * 909);
    let sample = run_ok(&["sample", "--config", config.to_str().unwrap(), "--count", "5"]);
    assert_eq!(String::from_utf8_lossy(&sample.stdout).lines().count(), 5);
}

#[test]
fn the_epoch_may_not_follow_the_first_day() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let refused = run(&[
        "generate",
        "--rows",
        "1k",
        "--start",
        "2026-03-02",
        "--epoch",
        "2026-04-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("epoch"));
}

/// A country's share of a day's events, and the share of its events in
/// the UTC hours 15 to 22 (10:00 to 18:00 on the US east coast).
fn country_day(world: &customer_events::World, date: &str, country: &str) -> (f64, f64) {
    let day = world
        .calendar()
        .days()
        .iter()
        .find(|d| d.date.to_string() == date)
        .expect("the day is in the timeline");
    let planned = world.plan_rows(day.first_row..day.first_row + day.rows);
    let mut event = customer_events::model::Event::default();
    let (mut theirs, mut daytime) = (0u32, 0u32);
    for i in 0..planned.rows.len() {
        world.fill_planned(&planned, i, &mut event);
        if event.location.country.as_str() == country {
            theirs += 1;
            let hour = event.timestamp.0.rem_euclid(86_400_000_000) / 3_600_000_000;
            daytime += (15..23).contains(&hour) as u32;
        }
    }
    (theirs as f64 / day.rows as f64, daytime as f64 / theirs.max(1) as f64)
}

#[test]
fn a_public_holiday_raises_its_countrys_viewing_and_its_daytime() {
    let mut config = customer_events::Config {
        events_per_day: Some(30_000),
        start: "2026-11-19".parse().unwrap(),
        days: 8,
        ..customer_events::Config::default()
    };
    config.countries = [("US", 0.5), ("GB", 0.5)]
        .iter()
        .map(|(c, w)| (c.to_string(), *w))
        .collect();
    config.settle_rows();
    let world = customer_events::World::new(config).unwrap();
    // Thanksgiving (Thursday 26 November 2026) against the Thursday before.
    let (holiday_share, holiday_daytime) = country_day(&world, "2026-11-26", "United States");
    let (usual_share, usual_daytime) = country_day(&world, "2026-11-19", "United States");
    assert!(
        holiday_share > usual_share * 1.08,
        "rule holidays: the United States hold {holiday_share:.3} of Thanksgiving's events, {usual_share:.3} a week before"
    );
    assert!(
        holiday_daytime > usual_daytime * 1.2,
        "rule holidays: {holiday_daytime:.3} of US events in the daytime on Thanksgiving, {usual_daytime:.3} a week before"
    );
}
