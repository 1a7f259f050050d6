//! Formats and layouts: NDJSON and Arrow IPC carry the same events as
//! Parquet, the normalized layout's keys always resolve, every form is
//! deterministic across thread counts, and `null:` writes nothing.

use crate::common;

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::ipc::reader::FileReader;
use common::{parquet_files, read_parquet, run, run_ok, tree};
use customer_events::normalize::subscription_changes_batch;

fn generate(dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "generate",
        "--out",
        dir.to_str().unwrap(),
        "--quiet",
        "--rows",
        "12k",
        "--days",
        "2",
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
}

fn files_with(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = tree(dir)
        .into_iter()
        .map(|(p, _)| dir.join(p))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(column)
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|s| s.unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn ndjson_holds_the_same_events_as_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let (pq, plain, gz, zst) = (
        tmp.path().join("pq"),
        tmp.path().join("j"),
        tmp.path().join("gz"),
        tmp.path().join("zst"),
    );
    generate(&pq, &[]);
    generate(&plain, &["--format", "ndjson"]);
    generate(&gz, &["--format", "ndjson", "--compression", "gzip"]);
    generate(&zst, &["--format", "ndjson", "--compression", "zstd(3)"]);
    let ids: Vec<String> = parquet_files(&pq)
        .iter()
        .flat_map(|f| strings(&read_parquet(f), "event_id"))
        .collect();
    let mut lines = Vec::new();
    for f in files_with(&plain, ".ndjson") {
        lines.extend(std::fs::read_to_string(f).unwrap().lines().map(String::from));
    }
    let events: Vec<serde_json::Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let json_ids: Vec<String> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(json_ids, ids, "NDJSON and Parquet hold different events");
    // The original module's keys and nesting.
    assert!(events[0]["device"]["type"].is_string() && events[0]["user_action"].is_array());
    // Compressed forms decompress to the same lines.
    let mut gz_text = String::new();
    for f in files_with(&gz, ".ndjson.gz") {
        flate2::read::MultiGzDecoder::new(File::open(f).unwrap())
            .read_to_string(&mut gz_text)
            .unwrap();
    }
    let mut zst_text = Vec::new();
    for f in files_with(&zst, ".ndjson.zst") {
        zstd::stream::copy_decode(File::open(f).unwrap(), &mut zst_text).unwrap();
    }
    assert_eq!(gz_text.lines().collect::<Vec<_>>(), lines);
    assert_eq!(String::from_utf8(zst_text).unwrap().lines().collect::<Vec<_>>(), lines);
}

#[test]
fn arrow_ipc_holds_the_same_events_as_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let (pq, ipc) = (tmp.path().join("pq"), tmp.path().join("ipc"));
    generate(&pq, &[]);
    generate(&ipc, &["--format", "arrow", "--compression", "zstd"]);
    let parquet_batches: Vec<RecordBatch> = parquet_files(&pq).iter().flat_map(|f| read_parquet(f)).collect();
    let mut ipc_batches = Vec::new();
    for f in files_with(&ipc, ".arrow") {
        let reader = FileReader::try_new(File::open(f).unwrap(), None).unwrap();
        assert_eq!(reader.schema(), customer_events::event_schema());
        ipc_batches.extend(reader.map(|b| b.unwrap()));
    }
    let concat = |b: &[RecordBatch]| arrow::compute::concat_batches(&customer_events::event_schema(), b).unwrap();
    assert_eq!(
        concat(&ipc_batches),
        concat(&parquet_batches),
        "Arrow IPC and Parquet hold different values"
    );
}

#[test]
fn the_change_feed_reads_back_from_parquet_as_generated() {
    let tmp = tempfile::tempdir().unwrap();
    let normalized = tmp.path().join("normalized");
    let out = normalized.to_str().unwrap();
    run_ok(&[
        "generate",
        "--out",
        out,
        "--quiet",
        "--rows",
        "12k",
        "--days",
        "14",
        "--layout",
        "normalized",
    ]);
    let world = customer_events::World::new(customer_events::Config {
        rows: 12_000,
        days: 14,
        ..customer_events::Config::default()
    })
    .unwrap();
    let expected = subscription_changes_batch(&world, 0..world.population().len(), None).unwrap();
    let read: Vec<RecordBatch> = parquet_files(&normalized.join("subscription_changes"))
        .iter()
        .flat_map(|f| read_parquet(f))
        .collect();
    let read = arrow::compute::concat_batches(&expected.schema(), &read).unwrap();
    assert_eq!(read, expected, "subscription_changes as written differs from the feed");
    let ops = read.column_by_name("op").unwrap().as_string::<i32>();
    assert!(
        ops.iter().any(|op| op == Some("d")),
        "the feed holds a cancellation (after is null)"
    );
}

#[test]
fn normalized_keys_resolve_and_match_the_nested_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let (nested, normalized) = (tmp.path().join("nested"), tmp.path().join("normalized"));
    generate(&nested, &[]);
    generate(&normalized, &["--layout", "normalized"]);
    let read_table = |t: &str| -> Vec<RecordBatch> {
        parquet_files(&normalized.join(t))
            .iter()
            .flat_map(|f| read_parquet(f))
            .collect()
    };
    let nested_batches: Vec<RecordBatch> = parquet_files(&nested).iter().flat_map(|f| read_parquet(f)).collect();
    let events = read_table("events");
    let event_ids: Vec<String> = strings(&events, "event_id");
    assert_eq!(event_ids, strings(&nested_batches, "event_id"));
    let event_set: HashSet<&String> = event_ids.iter().collect();
    let users: HashSet<String> = strings(&read_table("users"), "user_id").into_iter().collect();
    let content: HashSet<String> = strings(&read_table("content"), "content_id").into_iter().collect();
    assert!(
        strings(&events, "user_id").iter().all(|u| users.contains(u)),
        "events.user_id → users"
    );
    assert!(
        strings(&events, "content_id").iter().all(|c| content.contains(c)),
        "events.content_id → content"
    );
    let nested_count = |list: &str| -> usize {
        nested_batches
            .iter()
            .map(|b| b.column_by_name(list).unwrap().as_list::<i32>().values().len())
            .sum()
    };
    for (table, list) in [
        ("user_actions", "user_action"),
        ("recommendations", "recommendations"),
        ("search_history", "search_history"),
    ] {
        let batches = read_table(table);
        let keys = strings(&batches, "event_id");
        assert!(keys.iter().all(|k| event_set.contains(k)), "{table}.event_id → events");
        assert_eq!(keys.len(), nested_count(list), "{table} has one row per list element");
        let names: Vec<String> = batches[0].schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(
            names.iter().filter(|n| *n == "position").count(),
            1,
            "{table} columns {names:?}"
        );
        let positions = batches[0].column_by_name("position").unwrap();
        assert_eq!(positions.null_count(), 0);
    }
    let recommended = strings(&read_table("recommendations"), "content_id");
    assert!(
        recommended.iter().all(|c| content.contains(c)),
        "recommendations.content_id → content"
    );
    // Playback columns are null exactly for events other than content_play.
    for b in &events {
        let types = b.column_by_name("event_type").unwrap().as_string::<i32>();
        let played = b.column_by_name("play_duration").unwrap();
        for i in 0..b.num_rows() {
            assert_eq!(types.value(i) == "content_play", played.is_valid(i));
        }
    }
}

#[test]
fn every_format_and_layout_is_deterministic_across_threads() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, flags) in [
        ("ndjson", &["--format", "ndjson", "--compression", "gzip"][..]),
        ("arrow", &["--format", "arrow"][..]),
        (
            "normalized",
            &["--layout", "normalized", "--max-rows-per-file", "2500"][..],
        ),
    ] {
        let one = tmp.path().join(format!("{name}-1"));
        let three = tmp.path().join(format!("{name}-3"));
        generate(&one, &[flags, &["--threads", "1", "--row-group-rows", "1000"]].concat());
        generate(
            &three,
            &[flags, &["--threads", "3", "--row-group-rows", "1000"]].concat(),
        );
        assert!(
            tree(&one) == tree(&three),
            "{name}: --threads 3 wrote different bytes than --threads 1"
        );
    }
}

#[test]
fn null_output_writes_nothing_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_ok(&["generate", "--rows", "5k", "--out", "null:"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("5,000 events") && stderr.contains("cells/s"),
        "{stderr}"
    );
    assert!(!Path::new("null:").exists());
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}

#[test]
fn compression_must_fit_the_format() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    for (format, codec) in [("ndjson", "snappy"), ("arrow", "gzip")] {
        let result = run(&[
            "generate",
            "--format",
            format,
            "--compression",
            codec,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(result.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&result.stderr).contains("--compression"));
        assert!(!out.exists());
    }
}
