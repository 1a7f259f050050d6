//! The command line end to end: output layout, schema, row counts,
//! determinism across threads and seeds, bad input, and `sample`.

use crate::common;

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMicrosecondType;
use common::{parquet_files, read_parquet, run, run_ok, tree};
use customer_events::event_schema;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn generate(dir: &Path, extra: &[&str]) {
    let out = dir.to_str().unwrap();
    let mut args = vec!["generate", "--out", out, "--quiet"];
    args.extend_from_slice(extra);
    run_ok(&args);
}

#[test]
fn output_has_the_schema_row_count_and_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    generate(&dir, &["--rows", "20k", "--days", "3", "--start", "2026-03-27"]);
    assert!(dir.join("_SUCCESS").exists());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["rows"], 20_000);
    assert_eq!(manifest["schema_version"], 1);
    let files = parquet_files(&dir);
    assert_eq!(files.len(), manifest["files"].as_array().unwrap().len());
    let mut total = 0;
    for (file, listed) in files.iter().zip(manifest["files"].as_array().unwrap()) {
        let rel = file.strip_prefix(&dir).unwrap().to_string_lossy().to_string();
        assert_eq!(rel, listed["path"].as_str().unwrap());
        let date = rel.split('/').next().unwrap();
        assert!(
            date.starts_with("event_date=2026-03-2") || date == "event_date=2026-03-29",
            "{rel}"
        );
        let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap()).unwrap();
        assert_eq!(builder.schema().as_ref(), event_schema().as_ref(), "schema of {rel}");
        let rows = builder.metadata().file_metadata().num_rows();
        assert_eq!(rows as u64, listed["rows"].as_u64().unwrap());
        total += rows;
    }
    assert_eq!(total, 20_000);
    // No temporary file survives a run.
    assert!(tree(&dir).iter().all(|(p, _)| !p.contains(".tmp")));
}

#[test]
fn timestamps_lie_in_their_day_and_files_are_sorted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    generate(
        &dir,
        &[
            "--rows",
            "30k",
            "--days",
            "2",
            "--start",
            "2026-02-10",
            "--max-rows-per-file",
            "6000",
        ],
    );
    for file in parquet_files(&dir) {
        let date = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("event_date=");
        let day: chrono::NaiveDate = date.parse().unwrap();
        let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
        let end = start + 86_400_000_000;
        let mut last = i64::MIN;
        for batch in read_parquet(&file) {
            let ts = batch
                .column_by_name("timestamp")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>();
            for &t in ts.values() {
                assert!((start..end).contains(&t), "{t} outside {date}");
                assert!(t >= last, "{} not sorted by timestamp", file.display());
                last = t;
            }
        }
    }
}

#[test]
fn bytes_do_not_depend_on_threads_and_follow_the_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let common = [
        "--rows",
        "25k",
        "--row-group-rows",
        "3000",
        "--max-rows-per-file",
        "8000",
    ];
    let one = tmp.path().join("one");
    let four = tmp.path().join("four");
    let again = tmp.path().join("again");
    let other = tmp.path().join("other");
    generate(&one, &[&common[..], &["--threads", "1"]].concat());
    generate(&four, &[&common[..], &["--threads", "4"]].concat());
    generate(&again, &[&common[..], &["--threads", "2"]].concat());
    generate(&other, &[&common[..], &["--seed", "7"]].concat());
    let reference = tree(&one);
    assert!(reference.len() > 8, "several files expected");
    assert!(
        tree(&four) == reference,
        "--threads 4 wrote different bytes than --threads 1"
    );
    assert!(tree(&again) == reference, "the same seed twice wrote different bytes");
    let different = tree(&other);
    let data = |t: &[(String, Vec<u8>)]| {
        t.iter()
            .filter(|(p, _)| p.ends_with(".parquet"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(
        data(&different) != data(&reference),
        "--seed 7 wrote the same data as the default seed"
    );
}

#[test]
fn flat_layout_without_partitions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("flat");
    generate(
        &dir,
        &[
            "--rows",
            "12k",
            "--partition-by",
            "none",
            "--max-rows-per-file",
            "5000",
            "--compression",
            "zstd(3)",
        ],
    );
    let files = parquet_files(&dir);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(&dir).unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(
        names,
        ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    );
    let rows: usize = files.iter().flat_map(|f| read_parquet(f)).map(|b| b.num_rows()).sum();
    assert_eq!(rows, 12_000);
}

/// The last row groups of a run are shared between workers (sub-batches
/// generated ahead, leaf columns encoded in parallel): a group of several
/// sub-batches must come out the same as when one worker writes it.
#[test]
fn a_row_group_shared_between_workers_has_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let common = ["--rows", "100k", "--days", "1", "--row-group-rows", "100k"];
    let one = tmp.path().join("one");
    let three = tmp.path().join("three");
    generate(&one, &[&common[..], &["--threads", "1"]].concat());
    generate(&three, &[&common[..], &["--threads", "3"]].concat());
    let reference = tree(&one);
    assert!(
        reference.iter().any(|(p, _)| p.ends_with(".parquet")),
        "no parquet file written"
    );
    assert!(
        tree(&three) == reference,
        "--threads 3 wrote different bytes than --threads 1"
    );
    assert_eq!(
        read_parquet(&parquet_files(&one)[0])
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>(),
        100_000
    );
}

/// Min/max statistics: always on timestamps and numbers (readers skip row
/// groups by time), on strings only with `--string-statistics`.
#[test]
fn statistics_on_timestamps_and_strings_on_request() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let tmp = tempfile::tempdir().unwrap();
    let stats = |dir: &Path| {
        let file = std::fs::File::open(&parquet_files(dir)[0]).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let group = reader.metadata().row_group(0).clone();
        let has_min_max = |path: &str| {
            let column = group
                .columns()
                .iter()
                .find(|c| c.column_path().string() == path)
                .unwrap_or_else(|| panic!("no column {path}"));
            column.statistics().is_some_and(|s| s.min_bytes_opt().is_some())
        };
        (
            has_min_max("timestamp"),
            has_min_max("content.duration"),
            has_min_max("device.os"),
            has_min_max("user_id"),
        )
    };
    let default = tmp.path().join("default");
    generate(&default, &["--rows", "2000"]);
    assert_eq!(stats(&default), (true, true, false, false));
    let strings = tmp.path().join("strings");
    generate(&strings, &["--rows", "2000", "--string-statistics"]);
    assert_eq!(stats(&strings), (true, true, true, true));
    let manifest = std::fs::read_to_string(strings.join("_manifest.json")).unwrap();
    assert!(manifest.contains("\"string_statistics\": true"), "{manifest}");
}

/// Bad input: exit code 2, one line naming the flag, nothing written.
#[test]
fn bad_input_is_refused_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let out_s = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--rows", "0"], "--rows"),
        (vec!["--rows", "lots"], "--rows"),
        (vec!["--days", "0"], "--days"),
        (vec!["--start", "2026-02-31"], "--start"),
        (vec!["--threads", "0"], "--threads"),
        (vec!["--compression", "brotli"], "--compression"),
        (vec!["--compression", "zstd(99)"], "--compression"),
        (vec!["--partition-by", "month"], "--partition-by"),
        (vec!["--row-group-rows", "0"], "--row-group-rows"),
    ];
    for (flags, flag) in cases {
        let mut args = vec!["generate", "--out", out_s];
        args.extend(flags.iter());
        let result = run(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{flags:?}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{flags:?} printed more than one line: {stderr}"
        );
        assert!(
            stderr.contains(flag),
            "{flags:?}: message does not name {flag}: {stderr}"
        );
        assert!(!out.exists(), "{flags:?} created the output folder");
    }
}

/// A refused named value lists the valid ones, on one line, like a refused
/// codec does.
#[test]
fn a_refused_named_value_lists_the_valid_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let out_s = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec!["generate", "--out", out_s, "--format", "x"],
            &["parquet", "ndjson", "arrow"],
        ),
        (
            vec!["generate", "--out", out_s, "--layout", "x"],
            &["nested", "normalized"],
        ),
        (
            vec!["generate", "--out", out_s, "--partition-by", "x"],
            &["date", "none"],
        ),
        (vec!["generate", "--out", out_s, "--table", "x"], &["delta"]),
        (
            vec!["generate", "--out", out_s, "--compression", "bogus"],
            &["snappy", "zstd", "gzip"],
        ),
        (
            vec!["schema", "--format", "x"],
            &["arrow", "duckdb", "spark-ddl", "avro", "json-schema"],
        ),
    ];
    for (args, valid) in cases {
        let result = run(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        for value in valid {
            assert!(stderr.contains(value), "{args:?} does not list {value}: {stderr}");
        }
        assert!(!out.exists(), "{args:?} created the output folder");
    }
}

/// Without arguments the tool prints its usage and subcommands (exit 2,
/// like any other wrong command line), not an error line.
#[test]
fn no_arguments_print_the_usage() {
    let result = run(&[]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("Usage: customer-events"), "{stderr}");
    for command in ["generate", "sample", "commit", "verify"] {
        assert!(stderr.contains(command), "the usage does not list {command}: {stderr}");
    }
    assert!(!stderr.contains("error:"), "{stderr}");
}

#[test]
fn output_folder_rules() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder that cannot be created (its parent is a file).
    let blocker = tmp.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let result = run(&[
        "generate",
        "--rows",
        "1k",
        "--out",
        blocker.join("sub").to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("choose another --out"));

    // A folder that holds data is refused without --overwrite, and kept intact.
    let dir = tmp.path().join("events");
    generate(&dir, &["--rows", "2k"]);
    let before = tree(&dir);
    let result = run(&["generate", "--rows", "3k", "--out", dir.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("--overwrite"));
    assert!(tree(&dir) == before);

    // --overwrite replaces earlier output...
    generate(&dir, &["--rows", "3k", "--overwrite"]);
    let rows: usize = parquet_files(&dir)
        .iter()
        .flat_map(|f| read_parquet(f))
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 3_000);

    // ...but never files this tool did not write.
    std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
    let result = run(&[
        "generate",
        "--rows",
        "1k",
        "--overwrite",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(2));
    assert!(dir.join("notes.txt").exists());
}

#[test]
fn bad_config_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("c.toml");
    std::fs::write(&config, "[event_mix]\ncontent_play = 1\nsearch = -2\nbrowse = 1\n").unwrap();
    let out = tmp.path().join("never");
    let result = run(&[
        "generate",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("event_mix.search"));
    assert!(!out.exists());
}

#[test]
fn sample_prints_the_original_shape() {
    let out = run_ok(&["sample", "--count", "50", "--seed", "3"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let events: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 50);
    let keys = [
        "user_id",
        "device",
        "location",
        "content",
        "event_type",
        "user_subscription",
        "timestamp",
        "event_details",
        "user_action",
        "recommendations",
        "search_history",
    ];
    for e in &events {
        for key in keys {
            assert!(e.get(key).is_some(), "missing {key}");
        }
        for key in ["type", "os", "os_version", "app_version", "model"] {
            assert!(e["device"][key].is_string(), "device.{key}");
        }
        for key in [
            "id",
            "title",
            "type",
            "episode",
            "season",
            "provider",
            "genre",
            "release_year",
            "duration",
            "language",
        ] {
            assert!(e["content"].get(key).is_some(), "content.{key}");
        }
        for key in ["plan", "start_date", "billing_cycle", "connected_services"] {
            assert!(e["user_subscription"].get(key).is_some(), "user_subscription.{key}");
        }
    }
    // The same seed prints the same events; the JSON path and the library agree.
    let again = run_ok(&["sample", "--count", "50", "--seed", "3"]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
    let world = customer_events::World::new(customer_events::Config {
        seed: 3,
        rows: 50,
        ..Default::default()
    })
    .unwrap();
    // Both through the same text-to-number parse (serde_json's default float
    // parsing may miss the last digit; the texts are what must agree).
    let library: serde_json::Value = serde_json::from_str(&serde_json::to_string(&world.event(17)).unwrap()).unwrap();
    assert_eq!(library, events[17]);
}

#[test]
fn parquet_values_equal_the_single_event_api() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    generate(&dir, &["--rows", "5k", "--days", "1"]);
    let batches = read_parquet(&parquet_files(&dir)[0]);
    let world = customer_events::World::new(customer_events::Config {
        rows: 5000,
        days: 1,
        ..Default::default()
    })
    .unwrap();
    let ids = batches[0].column_by_name("event_id").unwrap().as_string::<i32>();
    let titles = batches[0]
        .column_by_name("content")
        .unwrap()
        .as_struct()
        .column_by_name("title")
        .unwrap()
        .as_string::<i32>()
        .clone();
    for row in [0usize, 1, 99, 1000] {
        let event = world.event(row as u64);
        assert_eq!(ids.value(row), event.event_id.to_string());
        assert_eq!(titles.value(row), event.content.title);
    }
    assert_eq!(ids.null_count(), 0);
}

#[test]
fn ctrl_c_leaves_no_partial_file_and_no_success_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_customer-events"))
        .args([
            "generate",
            "--rows",
            "50M",
            "--quiet",
            "--row-group-rows",
            "20000",
            "--out",
            dir.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "an interrupted run exits with 130");
    assert!(!dir.join("_SUCCESS").exists());
    for (path, bytes) in tree(&dir) {
        assert!(!path.contains(".tmp"), "temporary file {path} left behind");
        if path == "_progress.jsonl" {
            // The journal stays for `--resume`.
            continue;
        }
        // Every file that is there is complete: a valid Parquet footer.
        assert!(bytes.ends_with(b"PAR1"), "{path} is incomplete");
    }
}

#[test]
fn ctrl_c_stops_sample() {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_customer-events"))
        .args(["sample", "--count", "1B"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "an interrupted sample exits with 130");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "customer-events: error: interrupted\n"
    );
}
