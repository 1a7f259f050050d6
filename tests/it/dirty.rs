//! Dirty data on demand (`--faults`, `[faults]`), through the binary: the
//! faults found in the written files by comparing them with a clean run of
//! the same seed are exactly those the ground truth (`_faults/`) lists,
//! each kind at its rate; a clean run is unchanged; and faults, like every
//! value, do not depend on the threads, the parts or the files' split.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use customer_events::model::Micros;
use customer_events::schema::event_schema_of;
use customer_events::vocab::device::DEVICE_TYPES;

use common::{read_parquet, run, run_ok, tree};

/// Two days in files of two sub-batches (32,768 rows each), so copies are
/// placed within and across sub-batches of one file.
const SHAPE: &[&str] = &["--rows", "100k", "--days", "2", "--max-rows-per-file", "50k", "-q"];

/// Rates high enough to see each kind a few hundred times.
const RATES: &str = "[faults]\nduplicates = 0.02\nnear_duplicates = 0.01\nout_of_order = 0.03\nbroken_values = 0.01\n\
                     late_arrivals = 0.02\nlate_max_days = 1\nmissing_values = 0.01\n";

fn generate(out: &Path, extra: &[&str]) {
    let mut args = vec!["generate", "--out", out.to_str().unwrap()];
    args.extend_from_slice(SHAPE);
    args.extend_from_slice(extra);
    run_ok(&args);
}

/// The values faults change, as the ground truth writes them.
#[derive(Clone, Debug, PartialEq)]
struct Values {
    user_id: String,
    timestamp: String,
    play_duration: Option<String>,
    play_percentage: Option<String>,
    completed: Option<String>,
    device_type: String,
    country: String,
}

/// How [`rows_of`] reads a null.
const NULL_TEXT: &str = "<null>";

/// Each row of each events file under `dir` (nested layout), in file order:
/// (file relative to `dir`, row in the file, event_id, values).
fn rows_of(dir: &Path) -> Vec<(String, i64, String, Values)> {
    let mut rows = Vec::new();
    for path in common::parquet_files(dir) {
        let file = path.strip_prefix(dir).unwrap().to_string_lossy().to_string();
        if file.starts_with("_faults/") {
            continue;
        }
        let mut n = 0;
        for batch in read_parquet(&path) {
            let ids = batch.column_by_name("event_id").unwrap().as_string::<i32>();
            let times = batch
                .column_by_name("timestamp")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>();
            let details = batch.column_by_name("event_details").unwrap().as_struct();
            let durations = details
                .column_by_name("play_duration")
                .unwrap()
                .as_primitive::<Int32Type>();
            let percentages = details
                .column_by_name("play_percentage")
                .unwrap()
                .as_primitive::<Float64Type>();
            let completed = details.column_by_name("completed").unwrap().as_boolean();
            let word = |parent: &str, child: &str| {
                let parent = batch.column_by_name(parent).unwrap().as_struct();
                arrow::compute::cast(parent.column_by_name(child).unwrap(), &DataType::Utf8).unwrap()
            };
            let (device_types, countries) = (word("device", "type"), word("location", "country"));
            let (device_types, countries) = (device_types.as_string::<i32>(), countries.as_string::<i32>());
            let users = batch.column_by_name("user_id").unwrap().as_string::<i32>();
            // A missing value reads as NULL_TEXT.
            let text = |valid: bool, value: String| if valid { value } else { NULL_TEXT.to_string() };
            for i in 0..batch.num_rows() {
                let played = details.is_valid(i);
                let values = Values {
                    user_id: text(users.is_valid(i), users.value(i).to_string()),
                    timestamp: text(times.is_valid(i), Micros(times.value(i)).to_string()),
                    play_duration: played.then(|| durations.value(i).to_string()),
                    play_percentage: played.then(|| percentages.value(i).to_string()),
                    completed: played.then(|| completed.value(i).to_string()),
                    device_type: device_types.value(i).to_string(),
                    country: text(countries.is_valid(i), countries.value(i).to_string()),
                };
                rows.push((file.clone(), n, ids.value(i).to_string(), values));
                n += 1;
            }
        }
    }
    rows
}

/// One fault: (event_id, kind, column_name, file, file_row_number, clean, written).
type Fault = (
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<String>,
    Option<String>,
);

/// The ground truth under `dir`.
fn ground_truth(dir: &Path) -> BTreeSet<Fault> {
    let mut faults = BTreeSet::new();
    for path in common::parquet_files(&dir.join("_faults")) {
        if path.starts_with(dir.join("_faults/subscription_changes")) {
            continue;
        }
        for batch in read_parquet(&path) {
            let text = |name: &str, i: usize| {
                let column = batch.column_by_name(name).unwrap().as_string::<i32>();
                column.is_valid(i).then(|| column.value(i).to_string())
            };
            let rows = batch
                .column_by_name("file_row_number")
                .unwrap()
                .as_primitive::<Int64Type>();
            for i in 0..batch.num_rows() {
                faults.insert((
                    text("event_id", i).unwrap(),
                    text("kind", i).unwrap(),
                    text("column_name", i),
                    text("file", i).unwrap(),
                    rows.value(i),
                    text("clean_value", i),
                    text("written_value", i),
                ));
            }
        }
    }
    faults
}

/// The date partition of `file` (`event_date=D/…`).
fn partition_of(file: &str) -> &str {
    file.strip_prefix("event_date=").unwrap().split('/').next().unwrap()
}

/// The faults a pipeline finds by comparing the written rows with a clean
/// run's (file and values by event id): an event's second row is a copy (a
/// duplicate when equal to the clean event, else a near-duplicate naming
/// the field that moved); a first row in a later day's partition is a late
/// arrival; a first row that differs is out of order (a timestamp off by
/// minutes) or broken.
fn found_faults(
    written: &[(String, i64, String, Values)],
    clean: &BTreeMap<String, (String, Values)>,
) -> BTreeSet<Fault> {
    let mut seen = BTreeSet::new();
    let mut found = BTreeSet::new();
    for (file, row, id, values) in written {
        let (clean_file, expected) = clean.get(id).expect("every written event is an event of the clean run");
        let (own_day, written_day) = (partition_of(clean_file), partition_of(file));
        if written_day != own_day {
            assert!(written_day > own_day, "{id} is written before its day");
            assert_eq!(values, expected, "{id}: a late event is the clean event");
            assert!(seen.insert(id.clone()), "{id}: a late event is written once");
            found.insert((
                id.clone(),
                "late_arrival".to_string(),
                Some("event_date".to_string()),
                file.clone(),
                *row,
                Some(own_day.to_string()),
                Some(written_day.to_string()),
            ));
            continue;
        }
        let first = seen.insert(id.clone());
        let mut changed = Vec::new();
        if values.user_id != expected.user_id {
            changed.push(("user_id", expected.user_id.clone(), values.user_id.clone()));
        }
        if values.timestamp != expected.timestamp {
            changed.push(("timestamp", expected.timestamp.clone(), values.timestamp.clone()));
        }
        if values.play_duration != expected.play_duration {
            changed.push((
                "event_details.play_duration",
                expected.play_duration.clone().unwrap(),
                values.play_duration.clone().unwrap(),
            ));
        }
        if values.play_percentage != expected.play_percentage {
            changed.push((
                "event_details.play_percentage",
                expected.play_percentage.clone().unwrap(),
                values.play_percentage.clone().unwrap(),
            ));
        }
        if values.completed != expected.completed {
            changed.push((
                "event_details.completed",
                expected.completed.clone().unwrap(),
                values.completed.clone().unwrap(),
            ));
        }
        if values.device_type != expected.device_type {
            changed.push(("device.type", expected.device_type.clone(), values.device_type.clone()));
        }
        if values.country != expected.country {
            changed.push(("location.country", expected.country.clone(), values.country.clone()));
        }
        assert!(changed.len() <= 1, "{id}: one fault changes one value: {changed:?}");
        let fault = |kind: &str, change: Option<&(&str, String, String)>| {
            (
                id.clone(),
                kind.to_string(),
                change.map(|c| c.0.to_string()),
                file.clone(),
                *row,
                change.map(|c| c.1.clone()),
                // A missing value's written value is null.
                change.map(|c| c.2.clone()).filter(|written| written != NULL_TEXT),
            )
        };
        match (first, changed.first()) {
            (false, None) => found.insert(fault("duplicate", None)),
            (false, Some(change)) => found.insert(fault("near_duplicate", Some(change))),
            (true, None) => false,
            (true, Some(change)) => {
                let minutes_apart = change.0 == "timestamp" && change.2 != NULL_TEXT && {
                    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp();
                    (at(&change.1) - at(&change.2)).abs() <= 600
                };
                let kind = if change.2 == NULL_TEXT {
                    "missing_value"
                } else if minutes_apart {
                    "out_of_order"
                } else {
                    "broken_value"
                };
                found.insert(fault(kind, Some(change)))
            }
        };
    }
    found
}

fn config_file(dir: &Path, text: &str) -> String {
    let path = dir.join("faults.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn the_faults_in_the_files_are_exactly_the_ground_truth_each_kind_at_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let (dirty, clean) = (dir.path().join("dirty"), dir.path().join("clean"));
    let config = config_file(dir.path(), RATES);
    // Files of two row groups (40k and 10k rows), the first of two
    // sub-batches: the ground truth counts rows across both.
    generate(&dirty, &["--config", &config, "--row-group-rows", "40k"]);
    generate(&clean, &[]);
    let clean_rows: BTreeMap<String, (String, Values)> = rows_of(&clean)
        .into_iter()
        .map(|(file, _, id, v)| (id, (file, v)))
        .collect();
    let written = rows_of(&dirty);
    let truth = ground_truth(&dirty);
    // With missing values, the files' schema allows their nulls; a clean
    // run's does not.
    let schema_of =
        |dir: &Path| read_parquet(&common::parquet_files(&dir.join("event_date=2026-01-01"))[0])[0].schema();
    assert_eq!(schema_of(&dirty).fields(), event_schema_of(true).fields());
    assert_eq!(schema_of(&clean).fields(), event_schema_of(false).fields());
    let found = found_faults(&written, &clean_rows);
    assert_eq!(
        found.difference(&truth).next(),
        None,
        "a fault in the files that the ground truth does not list"
    );
    assert_eq!(truth.difference(&found).next(), None, "a listed fault not in the files");
    // Every clean event is written but those of the last day that arrive
    // after it, and the copies are the rows beyond them.
    let ids: BTreeSet<&String> = written.iter().map(|(_, _, id, _)| id).collect();
    let days: BTreeSet<&str> = clean_rows.values().map(|(file, _)| partition_of(file)).collect();
    let (first_day, last_day) = (*days.first().unwrap(), *days.last().unwrap());
    let undelivered: Vec<&String> = clean_rows.keys().filter(|id| !ids.contains(id)).collect();
    for id in &undelivered {
        assert_eq!(
            partition_of(&clean_rows[*id].0),
            last_day,
            "{id} is lost before the last day"
        );
    }
    let copies = truth.iter().filter(|f| f.1.ends_with("duplicate")).count();
    assert_eq!(written.len(), clean_rows.len() - undelivered.len() + copies);
    // Each kind at its rate (4 standard deviations); late arrivals of the
    // first day (those of the last arrive after the dataset ends).
    let n = clean_rows.len() as f64;
    let first_day_rows = clean_rows
        .values()
        .filter(|(file, _)| partition_of(file) == first_day)
        .count() as f64;
    for (kind, rate, n) in [
        ("duplicate", 0.02, n),
        ("near_duplicate", 0.01, n),
        ("out_of_order", 0.03, n),
        ("broken_value", 0.01, n),
        ("late_arrival", 0.02, first_day_rows),
        ("missing_value", 0.01, n),
    ] {
        let count = truth.iter().filter(|f| f.1 == kind).count() as f64;
        let sd = (n * rate * (1.0 - rate)).sqrt();
        assert!((count - n * rate).abs() < 4.0 * sd, "{kind}: {count} of {n}");
    }
    // Every broken value breaks a rule a quality check can state.
    let mut broken_columns = BTreeSet::new();
    for (_, kind, column, _, _, _, value) in &truth {
        if kind == "broken_value" {
            let value = value.as_deref().unwrap();
            broken_columns.insert(column.clone().unwrap());
            match column.as_deref().unwrap() {
                "event_details.play_duration" => assert!(value.parse::<i32>().unwrap() < 0),
                "event_details.play_percentage" => assert!(value.parse::<f64>().unwrap() > 100.0),
                "event_details.completed" => assert!(value == "true" || value == "false"),
                "timestamp" => assert!(value > "2028"),
                // A word outside the vocabulary, as a check of accepted
                // values finds it: in capitals, or with a trailing space.
                "device.type" => {
                    assert!(!DEVICE_TYPES.contains(&value), "{value}");
                    assert!(value.ends_with(' ') || value == value.to_uppercase(), "{value}");
                }
                "location.country" => {
                    assert!(value.ends_with(' ') || value == value.to_uppercase(), "{value}");
                    assert!(value.trim().len() > 2, "{value}");
                }
                other => panic!("{other}"),
            }
        }
    }
    assert_eq!(
        broken_columns.len(),
        6,
        "each way of breaking a value: {broken_columns:?}"
    );
}

#[test]
fn faults_do_not_depend_on_threads_or_parts_and_none_is_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    generate(&one, &["--faults", "typical", "--threads", "1"]);
    let two = dir.path().join("two");
    generate(&two, &["--faults", "typical", "--threads", "2"]);
    assert_eq!(tree(&one), tree(&two));
    let parts = dir.path().join("parts");
    for k in ["2", "1"] {
        generate(&parts, &["--faults", "typical", "--parts", "2", "--part", k]);
    }
    let without_parts: Vec<_> = tree(&parts)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("_parts/"))
        .collect();
    assert_eq!(without_parts, tree(&one));
    assert!(one.join("_faults/event_date=2026-01-01/part-00000.parquet").exists());

    let none = dir.path().join("none");
    generate(&none, &["--faults", "none"]);
    let plain = dir.path().join("plain");
    generate(&plain, &[]);
    assert_eq!(tree(&none), tree(&plain));
    assert!(!none.join("_faults").exists());
    let manifest = std::fs::read_to_string(none.join("_manifest.json")).unwrap();
    assert!(!manifest.contains("faults"), "a clean run's manifest is unchanged");
    let manifest = std::fs::read_to_string(one.join("_manifest.json")).unwrap();
    assert!(
        manifest.contains("\"faults\""),
        "the rates are recorded with the config"
    );
}

/// Rows per event_id of a normalized table's files under `folder`.
fn rows_per_event(folder: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for path in common::parquet_files(folder) {
        for batch in read_parquet(&path) {
            count_ids(&batch, &mut counts);
        }
    }
    counts
}

fn count_ids(batch: &RecordBatch, counts: &mut BTreeMap<String, usize>) {
    let ids = batch.column_by_name("event_id").unwrap().as_string::<i32>();
    for i in 0..batch.num_rows() {
        *counts.entry(ids.value(i).to_string()).or_default() += 1;
    }
}

#[test]
fn in_the_normalized_layout_a_duplicated_event_duplicates_its_child_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (dirty, clean) = (dir.path().join("dirty"), dir.path().join("clean"));
    let config = config_file(dir.path(), RATES);
    generate(&dirty, &["--config", &config, "--layout", "normalized"]);
    generate(&clean, &["--layout", "normalized"]);
    let copied: BTreeSet<String> = ground_truth(&dirty)
        .into_iter()
        .filter(|f| f.1.ends_with("duplicate"))
        .map(|f| f.0)
        .collect();
    assert!(copied.len() > 1000);
    // Late events of the last day arrive after it: not delivered, in any table.
    let delivered = rows_per_event(&dirty.join("events"));
    for table in ["events", "user_actions", "recommendations", "search_history"] {
        let (dirty_counts, mut clean_counts) = (rows_per_event(&dirty.join(table)), rows_per_event(&clean.join(table)));
        clean_counts.retain(|id, _| delivered.contains_key(id));
        assert_eq!(
            dirty_counts.keys().collect::<Vec<_>>(),
            clean_counts.keys().collect::<Vec<_>>(),
            "{table}"
        );
        // A late event's child rows arrive with it, in the table's late file.
        assert!(
            common::parquet_files(&dirty.join(table))
                .iter()
                .any(|p| p.to_string_lossy().contains("/late-")),
            "{table}"
        );
        for (id, n) in &clean_counts {
            let times = if copied.contains(id) { 2 } else { 1 };
            assert_eq!(dirty_counts[id], n * times, "{table}: {id}");
        }
    }
}

/// The lines of the NDJSON file at `path`, parsed.
fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Nested NDJSON carries faults: its ground truth lists the same faults at
/// the same rows as the Parquet run's, and the lines that differ from the
/// clean run's (a value changed or null, a second line of an event, an
/// event in a later day's file) are exactly the listed rows.
#[test]
fn nested_ndjson_carries_the_faults_of_the_parquet_run_at_the_listed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), RATES);
    let (dirty, clean, parquet) = (
        dir.path().join("dirty"),
        dir.path().join("clean"),
        dir.path().join("parquet"),
    );
    generate(&dirty, &["--config", &config, "--format", "ndjson"]);
    generate(&clean, &["--format", "ndjson"]);
    generate(&parquet, &["--config", &config]);

    // The clean events by id, with their file; the written lines in order.
    let mut clean_events = BTreeMap::new();
    let mut truth = BTreeSet::new();
    let mut written = Vec::new();
    for (root, lines) in [(&clean, &mut None), (&dirty, &mut Some(&mut written))] {
        for path in common::walk(root) {
            let file = path.strip_prefix(root).unwrap().to_string_lossy().to_string();
            if !file.ends_with(".ndjson") {
                continue;
            }
            if file.starts_with("_faults/") {
                for fault in json_lines(&path) {
                    let text = |key: &str| fault[key].as_str().map(str::to_string);
                    truth.insert((
                        text("event_id").unwrap(),
                        text("kind").unwrap(),
                        text("column_name"),
                        text("file").unwrap().replace(".ndjson", ".parquet"),
                        fault["file_row_number"].as_i64().unwrap(),
                        text("clean_value"),
                        text("written_value"),
                    ));
                }
                continue;
            }
            for (row, event) in json_lines(&path).into_iter().enumerate() {
                match lines {
                    Some(lines) => lines.push((file.clone(), row as i64, event)),
                    None => {
                        clean_events.insert(event["event_id"].as_str().unwrap().to_string(), (file.clone(), event));
                    }
                }
            }
        }
    }
    assert_eq!(truth, ground_truth(&parquet), "the same faults as the Parquet run's");

    let listed: BTreeSet<(String, i64)> = truth
        .iter()
        .map(|f| (f.3.replace(".parquet", ".ndjson"), f.4))
        .collect();
    let mut seen = BTreeSet::new();
    let mut found = BTreeSet::new();
    for (file, row, event) in &written {
        let id = event["event_id"].as_str().unwrap().to_string();
        let (clean_file, clean_event) = &clean_events[&id];
        let first = seen.insert(id);
        if partition_of(file) != partition_of(clean_file) || !first || event != clean_event {
            found.insert((file.clone(), *row));
        }
        // A missing value is an explicit null.
        if event["user_id"].is_null() || event["timestamp"].is_null() || event["location"]["country"].is_null() {
            assert!(listed.contains(&(file.clone(), *row)));
        }
    }
    assert_eq!(found, listed);

    // A rate out of range names its key.
    let config = config_file(dir.path(), "[faults]\nduplicates = 0.6\n");
    let bad = run(&["generate", "--out", "null:", "--rows", "5k", "--config", &config]);
    assert_eq!(bad.status.code(), Some(2));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(
        message.contains("faults.duplicates") && message.contains("0.6"),
        "{message}"
    );
}

#[test]
fn adjacent_windows_with_faults_write_the_days_and_faults_of_one_longer_run() {
    let dir = tempfile::tempdir().unwrap();
    let (windows, whole) = windows_and_whole(dir.path(), "2026-03-02", "2026-03-04");
    // A ground truth per file: each day's and each day's late file, the
    // second window's first day holding late events of the first window's days.
    assert_eq!(whole.iter().filter(|(p, _)| p.starts_with("_faults/")).count(), 8);
    assert!(
        windows
            .iter()
            .any(|(p, _)| p == "event_date=2026-03-04/late-00000.parquet")
    );
    assert!(windows == whole, "the windows' files differ from the four-day run's");
}

#[test]
fn windows_from_the_epoch_on_write_the_late_events_of_one_longer_run() {
    // The timeline starts at the epoch (2026-01-01, the default start):
    // the second window's days before it reach back to the epoch only.
    let dir = tempfile::tempdir().unwrap();
    let (windows, whole) = windows_and_whole(dir.path(), "2026-01-01", "2026-01-03");
    assert!(
        windows
            .iter()
            .any(|(p, _)| p == "event_date=2026-01-03/late-00000.parquet")
    );
    assert!(
        !whole
            .iter()
            .any(|(p, _)| p == "event_date=2026-01-01/late-00000.parquet")
    );
    assert!(windows == whole, "the windows' files differ from the four-day run's");
}

/// The event and ground-truth files of two adjacent two-day windows from
/// `first` and `second`, and of one four-day run from `first`, with
/// `--faults typical`.
type Files = Vec<(String, Vec<u8>)>;
fn windows_and_whole(dir: &Path, first: &str, second: &str) -> (Files, Files) {
    let window = |name: &str, start: &str, days: &str| {
        let out = dir.join(name);
        run_ok(&[
            "generate",
            "--events-per-day",
            "20k",
            "--start",
            start,
            "--days",
            days,
            "--faults",
            "typical",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        tree(&out)
            .into_iter()
            .filter(|(path, _)| path.starts_with("event_date=") || path.starts_with("_faults/"))
            .collect::<Vec<_>>()
    };
    let mut windows = window("first", first, "2");
    windows.extend(window("second", second, "2"));
    windows.sort();
    (windows, window("whole", first, "4"))
}

/// The change feed's rows under `dir` (normalized layout), in file order:
/// (user_id, ts, op).
fn changes_of(dir: &Path) -> Vec<(String, i64, String)> {
    let mut rows = Vec::new();
    for path in common::parquet_files(&dir.join("subscription_changes")) {
        for batch in read_parquet(&path) {
            let users = batch.column_by_name("user_id").unwrap().as_string::<i32>();
            let ts = batch
                .column_by_name("ts")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>();
            let ops = batch.column_by_name("op").unwrap().as_string::<i32>();
            for i in 0..batch.num_rows() {
                rows.push((users.value(i).to_string(), ts.value(i), ops.value(i).to_string()));
            }
        }
    }
    rows
}

#[test]
fn the_change_feed_with_faults_is_the_clean_feed_with_its_listed_copies_and_late_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (dirty, clean) = (dir.path().join("dirty"), dir.path().join("clean"));
    let config = config_file(dir.path(), "[faults]\nduplicates = 0.05\nlate_changes = 0.1\n");
    // A year of a large audience: users with changes after their
    // snapshot, which can come late.
    let feed = |out: &Path, extra: &[&str]| {
        let mut args = vec!["generate", "--out", out.to_str().unwrap(), "--layout", "normalized"];
        args.extend_from_slice(&["--rows", "20k", "--days", "365", "--users", "20000", "-q"]);
        args.extend_from_slice(extra);
        run_ok(&args);
    };
    feed(&dirty, &["--config", &config]);
    feed(&clean, &[]);
    let (written, expected) = (changes_of(&dirty), changes_of(&clean));
    let mut listed: BTreeMap<i64, String> = BTreeMap::new();
    for path in common::parquet_files(&dirty.join("_faults/subscription_changes")) {
        for batch in read_parquet(&path) {
            let kinds = batch.column_by_name("kind").unwrap().as_string::<i32>();
            let rows = batch
                .column_by_name("file_row_number")
                .unwrap()
                .as_primitive::<Int64Type>();
            assert_eq!(batch.column_by_name("event_id").unwrap().null_count(), batch.num_rows());
            for i in 0..batch.num_rows() {
                listed.insert(rows.value(i), kinds.value(i).to_string());
            }
        }
    }
    // What a consumer meets: a change seen before is a copy; a change older
    // than one of its user's before it is late.
    let mut seen = BTreeSet::new();
    let mut latest: BTreeMap<&str, i64> = BTreeMap::new();
    let mut found = BTreeMap::new();
    let mut kept = Vec::new();
    for (row, change) in written.iter().enumerate() {
        let (user, ts, _) = change;
        if !seen.insert(change.clone()) {
            found.insert(row as i64, "duplicate".to_string());
            continue;
        }
        if latest.get(user.as_str()).is_some_and(|&l| *ts < l) {
            found.insert(row as i64, "late".to_string());
        }
        let l = latest.entry(user).or_insert(*ts);
        *l = (*l).max(*ts);
        kept.push(change.clone());
    }
    assert_eq!(found, listed);
    assert!(listed.values().filter(|k| *k == "duplicate").count() > 50, "{listed:?}");
    assert!(listed.values().filter(|k| *k == "late").count() > 20, "{listed:?}");
    // Without the copies, and each user's changes in time order, the feed
    // is the clean one.
    kept.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut expected = expected;
    expected.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    assert_eq!(kept, expected);
}

#[test]
fn late_changes_alone_leave_the_events_clean() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[faults]\nlate_changes = 0.25\n");
    let (only, clean) = (dir.path().join("only"), dir.path().join("clean"));
    // Nested NDJSON too: the events have no faults to refuse.
    for (out, extra) in [(&only, vec!["--config", config.as_str()]), (&clean, vec![])] {
        let mut args = vec![
            "generate",
            "--out",
            out.to_str().unwrap(),
            "--rows",
            "5k",
            "--format",
            "ndjson",
            "-q",
        ];
        args.extend(extra);
        run_ok(&args);
    }
    let events = |dir: &Path| {
        tree(dir)
            .into_iter()
            .filter(|(path, _)| !path.starts_with('_'))
            .collect::<Vec<_>>()
    };
    assert_eq!(events(&only), events(&clean));
    assert!(!only.join("_faults").exists());
}

#[test]
fn a_stream_refuses_faults_in_one_line_and_the_advice_works() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[faults]\nduplicates = 0.01\n");
    let stream = run(&["stream", "--rows", "1k", "--config", &config]);
    assert_eq!(stream.status.code(), Some(2));
    let message = String::from_utf8_lossy(&stream.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.contains("remove [faults]") && stream.stdout.is_empty(),
        "{message}"
    );
    // The advice: the same config without the table streams.
    let config = config_file(dir.path(), "seed = 42\n");
    let streamed = run_ok(&["stream", "--rows", "1k", "--config", &config]);
    assert_eq!(String::from_utf8_lossy(&streamed.stdout).lines().count(), 1000);
}

#[test]
fn late_arrivals_without_date_partitions_are_refused_in_one_line_and_the_advice_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flat");
    let out = out.to_str().unwrap();
    let args = ["generate", "--out", out, "--rows", "5k", "--days", "2", "-q"];
    let refused = run(&[&args[..], &["--faults", "typical", "--partition-by", "none"]].concat());
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.contains("--partition-by") && message.contains("without late_arrivals"),
        "{message}"
    );
    assert!(!Path::new(out).exists());
    // The advice, either way: date partitions, or no late arrivals.
    run_ok(&[&args[..], &["--faults", "typical", "--partition-by", "date"]].concat());
    let config = config_file(dir.path(), "[faults]\nduplicates = 0.01\n");
    let flat = dir.path().join("flat2");
    run_ok(&[
        "generate",
        "--out",
        flat.to_str().unwrap(),
        "--rows",
        "5k",
        "--days",
        "2",
        "-q",
        "--config",
        &config,
        "--partition-by",
        "none",
    ]);
    assert!(flat.join("part-00000.parquet").exists());
}

/// The (file, row, column) of each null of `user_id`, `timestamp` and
/// `location.country` (`location_country` in the normalized events table)
/// in the Parquet files under `dir` outside `_faults/`.
fn parquet_nulls(dir: &Path) -> BTreeSet<(String, i64, String)> {
    let mut nulls = BTreeSet::new();
    for path in common::parquet_files(dir) {
        let file = path.strip_prefix(dir).unwrap().to_string_lossy().to_string();
        if file.starts_with("_faults/") {
            continue;
        }
        let mut first = 0;
        for batch in read_parquet(&path) {
            let columns: Vec<(&str, arrow::array::ArrayRef)> = match batch.column_by_name("location") {
                Some(location) => vec![
                    ("user_id", batch.column_by_name("user_id").unwrap().clone()),
                    ("timestamp", batch.column_by_name("timestamp").unwrap().clone()),
                    (
                        "location.country",
                        location.as_struct().column_by_name("country").unwrap().clone(),
                    ),
                ],
                None => vec![
                    ("user_id", batch.column_by_name("user_id").unwrap().clone()),
                    ("timestamp", batch.column_by_name("timestamp").unwrap().clone()),
                    (
                        "location.country",
                        batch.column_by_name("location_country").unwrap().clone(),
                    ),
                ],
            };
            for (name, column) in columns {
                for i in 0..batch.num_rows() {
                    if column.is_null(i) {
                        nulls.insert((file.clone(), first + i as i64, name.to_string()));
                    }
                }
            }
            first += batch.num_rows() as i64;
        }
    }
    nulls
}

/// A missing value is a null exactly where the ground truth lists it, and
/// nowhere else: nested Parquet (the country a dictionary column with null
/// keys), the normalized layout's events table in Parquet, and in NDJSON,
/// where a null is a key left out of its line.
#[test]
fn missing_values_are_nulls_exactly_where_listed_in_each_format_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[faults]\nmissing_values = 0.02\n");
    let listed = |truth: BTreeSet<Fault>| -> BTreeSet<(String, i64, String)> {
        truth
            .into_iter()
            .map(|(_, kind, column, file, row, clean, written)| {
                assert_eq!(kind, "missing_value");
                assert!(clean.is_some() && written.is_none());
                (file, row, column.unwrap())
            })
            .collect()
    };
    let nested = dir.path().join("nested");
    generate(&nested, &["--config", &config]);
    let truth = listed(ground_truth(&nested));
    assert!(truth.len() > 1000, "{}", truth.len());
    assert_eq!(parquet_nulls(&nested), truth);

    let normalized = dir.path().join("normalized");
    generate(&normalized, &["--config", &config, "--layout", "normalized"]);
    let truth = listed(ground_truth(&normalized));
    assert_eq!(parquet_nulls(&normalized.join("events")), {
        truth
            .iter()
            .map(|(file, row, column)| (file.strip_prefix("events/").unwrap().to_string(), *row, column.clone()))
            .collect::<BTreeSet<_>>()
    });

    let ndjson = dir.path().join("ndjson");
    generate(
        &ndjson,
        &["--config", &config, "--layout", "normalized", "--format", "ndjson"],
    );
    let mut json_truth = BTreeSet::new();
    let mut json_nulls = BTreeSet::new();
    for path in common::walk(&ndjson) {
        let file = path.strip_prefix(&ndjson).unwrap().to_string_lossy().to_string();
        if file.starts_with("_faults/event_date=") {
            for fault in json_lines(&path) {
                assert!(fault["written_value"].is_null());
                json_truth.insert((
                    fault["file"].as_str().unwrap().to_string(),
                    fault["file_row_number"].as_i64().unwrap(),
                    fault["column_name"].as_str().unwrap().to_string(),
                ));
            }
        } else if file.starts_with("events/") && file.ends_with(".ndjson") {
            for (row, event) in json_lines(&path).iter().enumerate() {
                for (key, column) in [
                    ("user_id", "user_id"),
                    ("timestamp", "timestamp"),
                    ("location_country", "location.country"),
                ] {
                    if event.get(key).is_none_or(|v| v.is_null()) {
                        json_nulls.insert((file.clone(), row as i64, column.to_string()));
                    }
                }
            }
        }
    }
    assert!(json_truth.len() > 1000);
    assert_eq!(json_nulls, json_truth);
}

/// A malformed record breaks exactly its listed NDJSON line: cut short (not
/// JSON, half the line) or with `play_duration` as a string; every other
/// line is the clean run's. Other formats and the normalized layout refuse
/// the rate in one line, and its advice works.
#[test]
fn malformed_records_break_exactly_the_listed_ndjson_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[faults]\nmalformed_records = 0.02\n");
    let (dirty, clean) = (dir.path().join("dirty"), dir.path().join("clean"));
    generate(&dirty, &["--config", &config, "--format", "ndjson"]);
    generate(&clean, &["--format", "ndjson"]);
    let mut truncated = BTreeSet::new();
    let mut quoted = BTreeMap::new();
    for path in common::walk(&dirty.join("_faults")) {
        for fault in json_lines(&path) {
            assert_eq!(fault["kind"], "malformed_record");
            let at = (
                fault["file"].as_str().unwrap().to_string(),
                fault["file_row_number"].as_i64().unwrap(),
            );
            match fault.get("column_name").and_then(|c| c.as_str()) {
                Some(column) => {
                    assert_eq!(column, "event_details.play_duration");
                    let written = fault["written_value"].as_str().unwrap().to_string();
                    assert_eq!(written, format!("\"{}\"", fault["clean_value"].as_str().unwrap()));
                    quoted.insert(at, written);
                }
                None => assert!(truncated.insert(at)),
            }
        }
    }
    assert!(
        truncated.len() > 500 && quoted.len() > 100,
        "{} {}",
        truncated.len(),
        quoted.len()
    );
    let (mut cut, mut strings) = (BTreeSet::new(), BTreeMap::new());
    for path in common::walk(&dirty) {
        let file = path.strip_prefix(&dirty).unwrap().to_string_lossy().to_string();
        if !file.starts_with("event_date=") || !file.ends_with(".ndjson") {
            continue;
        }
        let clean_lines = json_lines(&clean.join(&file));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), clean_lines.len(), "{file}: a line per event");
        for (row, line) in text.lines().enumerate() {
            let at = (file.clone(), row as i64);
            let expected = &clean_lines[row];
            match serde_json::from_str::<serde_json::Value>(line) {
                Err(_) => {
                    let whole = serde_json::to_string(expected).unwrap().len();
                    assert!(line.len() < whole * 2 / 3, "{file}:{row}: cut short");
                    cut.insert(at);
                }
                Ok(mut event) => {
                    let duration = event.get_mut("event_details").and_then(|d| d.get_mut("play_duration"));
                    if let Some(duration) = duration
                        && let Some(text) = duration.as_str().map(str::to_string)
                    {
                        *duration = serde_json::Value::from(text.parse::<i64>().unwrap());
                        strings.insert(at, format!("\"{text}\""));
                    }
                    assert_eq!(&event, expected, "{file}:{row}");
                }
            }
        }
    }
    assert_eq!((cut, strings), (truncated, quoted));

    // Other formats and layouts refuse the rate, naming the way out.
    for extra in [
        &["--format", "parquet"][..],
        &["--format", "ndjson", "--layout", "normalized"],
    ] {
        let out = dir.path().join("refused");
        let mut args = vec![
            "generate",
            "--out",
            out.to_str().unwrap(),
            "--rows",
            "5k",
            "--config",
            &config,
        ];
        args.extend_from_slice(extra);
        let refused = run(&args);
        assert_eq!(refused.status.code(), Some(2));
        let message = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(message.contains("use --format ndjson (--layout nested)"), "{message}");
        assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    }
    // A Delta table refuses it before touching the folder; without the
    // rate, the table is written.
    let table = dir.path().join("table");
    let delta = |config: &str| {
        run(&[
            "generate",
            "--table",
            "delta",
            "--events-per-day",
            "2k",
            "--days",
            "1",
            "-q",
            "--config",
            config,
            "--out",
            table.to_str().unwrap(),
        ])
    };
    let refused = delta(&config);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{message}");
    assert!(message.contains("without malformed_records"), "{message}");
    assert!(!table.exists());
    let without = config_file(dir.path(), "[faults]\nduplicates = 0.01\n");
    assert!(delta(&without).status.success());
}
