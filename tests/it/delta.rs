//! Delta Lake tables: `generate --table delta` writes version 0 of the log,
//! `append` the next window as version 1; the log's actions describe the
//! files written, the appended days are the bytes of one longer run, and
//! tables written by others are refused.

use crate::common;

use std::path::Path;

use common::{run, run_ok, tree};
use serde_json::Value;

const WORLD: [&str; 8] = [
    "--events-per-day",
    "2k",
    "--seed",
    "11",
    "--users",
    "1500",
    "--row-group-rows",
    "1000",
];

fn create(table: &Path, start: &str, days: &str) {
    let mut args = vec![
        "generate", "--table", "delta", "--start", start, "--days", days, "--quiet",
    ];
    args.extend_from_slice(&WORLD);
    args.extend_from_slice(&["--out", table.to_str().unwrap()]);
    run_ok(&args);
}

/// The actions of version `version`, one JSON value per line.
fn actions(table: &Path, version: u64) -> Vec<Value> {
    let text = std::fs::read_to_string(table.join(format!("_delta_log/{version:020}.json"))).unwrap();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// The files of `dir`'s day folders (`event_date=…/…`) with their bytes.
fn day_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| p.starts_with("event_date="))
        .collect()
}

fn of_kind<'a>(actions: &'a [Value], kind: &str) -> Vec<&'a Value> {
    actions.iter().filter_map(|a| a.get(kind)).collect()
}

#[test]
fn a_table_grows_by_appended_windows_of_one_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let table = tmp.path().join("t");
    create(&table, "2026-03-02", "3");
    run_ok(&[
        "append",
        table.to_str().unwrap(),
        "--days",
        "4",
        "--quiet",
        "--threads",
        "3",
    ]);

    let v0 = actions(&table, 0);
    let protocol = of_kind(&v0, "protocol");
    assert_eq!(protocol.len(), 1);
    assert_eq!(
        (
            protocol[0]["minReaderVersion"].as_u64(),
            protocol[0]["minWriterVersion"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let metadata = of_kind(&v0, "metaData")[0];
    assert_eq!(metadata["partitionColumns"], serde_json::json!(["event_date"]));
    let schema: Value = serde_json::from_str(metadata["schemaString"].as_str().unwrap()).unwrap();
    assert_eq!(schema["fields"].as_array().unwrap().len(), 13);
    let configuration = &metadata["configuration"];
    assert_eq!(configuration["customerEvents.tool"], "customer-events");
    assert_eq!(configuration["customerEvents.lastDay"], "2026-03-04");
    let config: Value = serde_json::from_str(configuration["customerEvents.config"].as_str().unwrap()).unwrap();
    assert_eq!(
        (config["seed"].as_u64(), config["events_per_day"].as_u64()),
        (Some(11), Some(2000))
    );

    let v1 = actions(&table, 1);
    assert!(of_kind(&v1, "protocol").is_empty());
    let metadata1 = of_kind(&v1, "metaData")[0];
    assert_eq!(metadata1["id"], metadata["id"], "the table keeps its id");
    assert_eq!(metadata1["configuration"]["customerEvents.firstDay"], "2026-03-02");
    assert_eq!(metadata1["configuration"]["customerEvents.lastDay"], "2026-03-08");

    // Every add names a file of the table with its size, day and row count.
    let mut dates = Vec::new();
    for add in of_kind(&v0, "add").into_iter().chain(of_kind(&v1, "add")) {
        let path = table.join(add["path"].as_str().unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), add["size"].as_u64().unwrap());
        let date = add["partitionValues"]["event_date"].as_str().unwrap().to_string();
        assert!(
            add["path"]
                .as_str()
                .unwrap()
                .starts_with(&format!("event_date={date}/"))
        );
        let stats: Value = serde_json::from_str(add["stats"].as_str().unwrap()).unwrap();
        let rows: usize = common::read_parquet(&path).iter().map(|b| b.num_rows()).sum();
        assert_eq!(stats["numRecords"].as_u64(), Some(rows as u64));
        let (min, max) = (
            stats["minValues"]["timestamp"].as_str().unwrap(),
            stats["maxValues"]["timestamp"].as_str().unwrap(),
        );
        assert!(
            min.starts_with(&date) && max.starts_with(&date) && min < max,
            "{min} {max}"
        );
        assert_eq!(stats["nullCount"]["timestamp"].as_u64(), Some(0));
        for column in ["event_id", "user_id", "event_type"] {
            let (lo, hi) = (
                stats["minValues"][column].as_str().unwrap(),
                stats["maxValues"][column].as_str().unwrap(),
            );
            assert!(lo <= hi, "{column}: {lo} > {hi}");
            assert_eq!(stats["nullCount"][column].as_u64(), Some(0));
        }
        assert!(["browse", "content_play"].contains(&stats["minValues"]["event_type"].as_str().unwrap()));
        dates.push(date);
    }
    assert_eq!(dates.len(), 7);
    // Nothing but the days and the log: no staging left behind.
    let names: Vec<String> = std::fs::read_dir(&table)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("event_date="))
        .collect();
    assert_eq!(names, ["_delta_log"]);

    // The appended days are the bytes of one run of all seven days.
    let whole = tmp.path().join("whole");
    let mut args = vec!["generate", "--start", "2026-03-02", "--days", "7", "--quiet"];
    args.extend_from_slice(&WORLD);
    args.extend_from_slice(&["--out", whole.to_str().unwrap()]);
    run_ok(&args);
    assert!(
        day_files(&table) == day_files(&whole),
        "the table's days differ from one run of them"
    );
}

#[test]
fn append_refuses_tables_it_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let refused = |args: &[&str], needle: &str| {
        let out = run(args);
        let message = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains(needle), "{args:?}: {message}");
        assert_eq!(message.trim().lines().count(), 1, "{message}");
    };
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    refused(&["append", plain.to_str().unwrap()], "no Delta log");
    refused(
        &[
            "generate",
            "--table",
            "delta",
            "--rows",
            "1k",
            "--out",
            tmp.path().join("x").to_str().unwrap(),
        ],
        "--events-per-day",
    );

    let table = tmp.path().join("t");
    create(&table, "2026-03-02", "1");
    let t = table.to_str().unwrap();
    refused(
        &["generate", "--table", "delta", "--events-per-day", "1k", "--out", t],
        "already a Delta table",
    );
    let log = table.join("_delta_log/00000000000000000000.json");
    let original = std::fs::read_to_string(&log).unwrap();

    std::fs::write(
        &log,
        original.replace(
            "\"customerEvents.schemaVersion\":\"1\"",
            "\"customerEvents.schemaVersion\":\"9\"",
        ),
    )
    .unwrap();
    refused(&["append", t], "schema version 9");
    std::fs::write(&log, original.replace("customerEvents.tool\"", "someoneElse.tool\"")).unwrap();
    refused(&["append", t], "not written by customer-events");
    std::fs::write(&log, &original).unwrap();

    // A version another writer added (here one without data) is read past:
    // the append commits the next one. (A race lost between reading the log
    // and committing is tested in the library: `table::tests`.)
    std::fs::write(
        table.join("_delta_log/00000000000000000001.json"),
        "{\"commitInfo\":{}}\n",
    )
    .unwrap();
    run_ok(&["append", t, "--days", "2", "--quiet"]);
    assert!(table.join("_delta_log/00000000000000000002.json").is_file());
    assert!(table.join("event_date=2026-03-04").is_dir());
}

/// The actions of a commit without what differs from run to run: the
/// commit's time, the table's id and creation time, the files' times.
fn settled(mut actions: Vec<Value>) -> Vec<Value> {
    for action in &mut actions {
        if let Some(info) = action.get_mut("commitInfo") {
            info["timestamp"] = Value::Null;
        }
        if let Some(metadata) = action.get_mut("metaData") {
            metadata["id"] = Value::Null;
            metadata["createdTime"] = Value::Null;
        }
        if let Some(add) = action.get_mut("add") {
            add["modificationTime"] = Value::Null;
        }
    }
    actions
}

/// A table written through the object store code path (a `file://` URL:
/// staged objects copied into place, commits put-if-absent, statistics read
/// by ranges) holds the same files and the same log as one written to a
/// folder; it is refused a second creation, and it can be appended to.
#[test]
fn a_table_in_an_object_store_equals_one_in_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (folder, objects) = (tmp.path().join("folder"), tmp.path().join("objects"));
    std::fs::create_dir(&objects).unwrap();
    let url = format!("file://{}", objects.display());
    for table in [folder.to_str().unwrap(), url.as_str()] {
        create(Path::new(table), "2026-03-02", "2");
        run_ok(&["append", table, "--days", "2", "--quiet", "--threads", "2"]);
    }
    assert!(tree(&folder).len() > 4);
    assert!(
        day_files(&objects) == day_files(&folder),
        "the object store's days differ from the folder's"
    );
    for version in [0, 1] {
        assert_eq!(settled(actions(&objects, version)), settled(actions(&folder, version)));
    }
    // Nothing but the days and the log: no staging objects, no lock left.
    let names: Vec<String> = std::fs::read_dir(&objects)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("event_date="))
        .collect();
    assert_eq!(names, ["_delta_log"]);

    let out = run(&["generate", "--table", "delta", "--events-per-day", "1k", "--out", &url]);
    let message = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(message.contains("already a Delta table"), "{message}");
}

/// A window written in parts (`--parts 3`, run in any order, into a folder
/// or an object store) is committed once, by the last part to finish, as
/// the same version a single run commits: same files, same log.
#[test]
fn a_window_in_parts_is_committed_once_by_its_last_part() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    create(&single, "2026-03-02", "3");
    run_ok(&["append", single.to_str().unwrap(), "--days", "2", "--quiet"]);

    let (folder, objects) = (tmp.path().join("folder"), tmp.path().join("objects"));
    std::fs::create_dir(&objects).unwrap();
    let url = format!("file://{}", objects.display());
    for (table, root) in [(folder.to_str().unwrap(), &folder), (url.as_str(), &objects)] {
        for part in ["2", "3", "1"] {
            let mut args = vec![
                "generate",
                "--table",
                "delta",
                "--start",
                "2026-03-02",
                "--days",
                "3",
                "--quiet",
                "--parts",
                "3",
                "--part",
                part,
                "--out",
                table,
            ];
            args.extend_from_slice(&WORLD);
            run_ok(&args);
            let committed = root.join("_delta_log/00000000000000000000.json").is_file();
            assert_eq!(
                committed,
                part == "1",
                "after part {part}, version 0 committed: {committed}"
            );
        }
        // The last part finds the table locked (as if another run were
        // committing, which then died): it stages its files and leaves the
        // commit; a rerun of any part commits the window.
        let lock = root.join(".customer-events.lock");
        for (part, threads) in [("1", "1"), ("2", "3"), ("1", "2")] {
            if part == "2" {
                std::fs::copy(root.join("_delta_log/00000000000000000000.json"), &lock).unwrap();
            }
            let out = run(&[
                "append",
                table,
                "--days",
                "2",
                "--parts",
                "2",
                "--part",
                part,
                "--threads",
                threads,
            ]);
            let message = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{message}");
            let _ = std::fs::remove_file(&lock);
            let committed = root.join("_delta_log/00000000000000000001.json").is_file();
            assert_eq!(committed, message.contains("committed version 1"), "{message}");
            if part == "2" {
                assert!(!committed && message.contains("every part is staged"), "{message}");
            }
        }
        assert!(root.join("_delta_log/00000000000000000001.json").is_file());
        assert!(
            day_files(root) == day_files(&single),
            "{table}: the parts' days differ from single runs'"
        );
        for version in [0, 1] {
            assert_eq!(
                settled(actions(root, version)),
                settled(actions(&single, version)),
                "{table}"
            );
        }
        let names: Vec<String> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("event_date="))
            .collect();
        assert_eq!(names, ["_delta_log"], "{table}: staging left behind");
    }
}

/// `verify` checks a table against its log: intact after create and
/// append; a missing file, a truncated one and a stray file in a day folder
/// are each named, exit 1.
#[test]
fn verify_checks_a_table_against_its_log() {
    let tmp = tempfile::tempdir().unwrap();
    let table = tmp.path().join("t");
    create(&table, "2026-03-02", "2");
    let t = table.to_str().unwrap();
    run_ok(&["append", t, "--days", "1", "--quiet"]);
    let out = run(&["verify", t]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("intact") && stdout.contains("Delta log"),
        "{stdout}"
    );

    let day = table.join("event_date=2026-03-03");
    let file = day.join("part-00000.parquet");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 10]).unwrap();
    std::fs::write(day.join("part-00009.parquet"), b"stray").unwrap();
    std::fs::remove_file(table.join("event_date=2026-03-04/part-00000.parquet")).unwrap();
    let out = run(&["verify", t]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for needle in [
        "event_date=2026-03-03/part-00000.parquet: ",
        "event_date=2026-03-03/part-00009.parquet: not in the log",
        "event_date=2026-03-04/part-00000.parquet: missing",
    ] {
        assert!(stdout.contains(needle), "{needle} in {stdout}");
    }
}

/// The actions of the checkpoint at `path`, one JSON object per row with
/// its null columns left out, decoded by arrow's JSON writer.
fn checkpoint_actions(path: &Path) -> Vec<Value> {
    let mut writer = arrow::json::LineDelimitedWriter::new(Vec::new());
    for batch in common::read_parquet(path) {
        writer.write(&batch).unwrap();
    }
    writer.finish().unwrap();
    let text = String::from_utf8(writer.into_inner()).unwrap();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// The checkpoints in `table`'s log, by version.
fn checkpoints(table: &Path) -> Vec<u64> {
    let mut versions: Vec<u64> = std::fs::read_dir(table.join("_delta_log"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".checkpoint.parquet")?.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    versions
}

/// The version `_last_checkpoint` names.
fn hinted(table: &Path) -> Value {
    let text = std::fs::read_to_string(table.join("_delta_log/_last_checkpoint")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn verify_intact(table: &str) {
    let out = run(&["verify", table]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("intact"), "{stdout}");
}

/// Versions 10 and 20 of a table grown a day at a time are followed by
/// checkpoints holding the table's state (the protocol, the newest metadata,
/// every file with the size and statistics its commit gave), and
/// `_last_checkpoint` names the newest; the commits and days are those of a
/// table without checkpoints. `append` and `verify` read the log from its
/// checkpoint: after a crash between a commit and its checkpoint, and after
/// the commits before a checkpoint are cleaned away (as Spark's log
/// retention does), both still work. An interval another writer records in
/// the table is honoured.
#[test]
fn a_table_is_checkpointed_every_ten_versions_and_read_from_its_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let table = tmp.path().join("t");
    let t = table.to_str().unwrap();
    create(&table, "2026-03-02", "1");
    for _ in 0..20 {
        run_ok(&["append", t, "--days", "1", "--quiet"]);
    }
    assert_eq!(checkpoints(&table), [10, 20]);
    let mut added = std::collections::BTreeMap::new();
    for version in 0..=20 {
        for add in of_kind(&actions(&table, version), "add") {
            added.insert(add["path"].as_str().unwrap().to_string(), add.clone());
        }
    }
    let hint = hinted(&table);
    assert_eq!(hint["version"], 20);
    assert_eq!(hint["numOfAddFiles"].as_u64(), Some(added.len() as u64));
    let v20 = actions(&table, 20);
    assert_eq!(
        of_kind(&v20, "metaData")[0]["configuration"]["delta.checkpointInterval"],
        "10"
    );

    let state = checkpoint_actions(&table.join("_delta_log/00000000000000000020.checkpoint.parquet"));
    assert_eq!(hint["size"].as_u64(), Some(state.len() as u64));
    assert_eq!(of_kind(&state, "protocol"), of_kind(&actions(&table, 0), "protocol"));
    assert_eq!(of_kind(&state, "metaData"), of_kind(&v20, "metaData"));
    let in_checkpoint: std::collections::BTreeMap<String, Value> = of_kind(&state, "add")
        .into_iter()
        .map(|add| (add["path"].as_str().unwrap().to_string(), add.clone()))
        .collect();
    assert_eq!(in_checkpoint, added, "the checkpoint's files are the commits' adds");
    assert!(of_kind(&v20, "checkpoint").is_empty());

    // The days are the bytes of one run of all 21.
    let whole = tmp.path().join("whole");
    let mut args = vec!["generate", "--start", "2026-03-02", "--days", "21", "--quiet"];
    args.extend_from_slice(&WORLD);
    args.extend_from_slice(&["--out", whole.to_str().unwrap()]);
    run_ok(&args);
    assert!(
        day_files(&table) == day_files(&whole),
        "the table's days differ from one run"
    );

    // A crash after committing version 20 and before its checkpoint: the
    // table reads and grows the same.
    let log = table.join("_delta_log");
    std::fs::remove_file(log.join("00000000000000000020.checkpoint.parquet")).unwrap();
    let mut earlier = hint.clone();
    earlier["version"] = 10.into();
    std::fs::write(log.join("_last_checkpoint"), earlier.to_string()).unwrap();
    verify_intact(t);
    run_ok(&["append", t, "--days", "1", "--quiet"]);
    assert_eq!(of_kind(&actions(&table, 21), "add").len(), 1);
    assert_eq!(checkpoints(&table), [10]);

    // The commits a checkpoint covers removed: the log is read from it.
    for version in 0..10 {
        std::fs::remove_file(log.join(format!("{version:020}.json"))).unwrap();
    }
    verify_intact(t);
    run_ok(&["append", t, "--days", "1", "--quiet"]);
    let v22 = actions(&table, 22);
    assert_eq!(
        of_kind(&v22, "metaData")[0]["configuration"]["customerEvents.lastDay"],
        "2026-03-24"
    );
    // Without the checkpoint too, the log cannot be read: the tool says so.
    let checkpoint10 = log.join("00000000000000000010.checkpoint.parquet");
    let kept = std::fs::read(&checkpoint10).unwrap();
    std::fs::remove_file(&checkpoint10).unwrap();
    let out = run(&["append", t, "--quiet"]);
    let message = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(
        message.contains("00000000000000000000.json") && message.contains("incomplete"),
        "{message}"
    );
    std::fs::write(&checkpoint10, kept).unwrap();

    // Another writer sets the interval to 4 in version 23: version 24 is
    // checkpointed, and the interval is kept.
    let mut metadata = of_kind(&v22, "metaData")[0].clone();
    metadata["configuration"]["delta.checkpointInterval"] = "4".into();
    std::fs::write(
        log.join("00000000000000000023.json"),
        format!(
            "{}\n{}\n",
            serde_json::json!({"commitInfo": {}}),
            serde_json::json!({"metaData": metadata})
        ),
    )
    .unwrap();
    run_ok(&["append", t, "--days", "1", "--quiet"]);
    assert_eq!(checkpoints(&table), [10, 24]);
    assert_eq!(hinted(&table)["version"], 24);
    assert_eq!(
        of_kind(&actions(&table, 24), "metaData")[0]["configuration"]["delta.checkpointInterval"],
        "4"
    );
    verify_intact(t);
}

/// `--checkpoint-interval` is recorded in the table; a table on an object
/// store (`file://`, through the store's code path), and one whose version 2
/// is written in parts (the finishing part commits, then checkpoints), are
/// checkpointed as one in a folder, with the same actions.
#[test]
fn a_table_on_an_object_store_is_checkpointed_as_in_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (folder, objects, parts) = (
        tmp.path().join("folder"),
        tmp.path().join("objects"),
        tmp.path().join("parts"),
    );
    std::fs::create_dir(&objects).unwrap();
    let url = format!("file://{}", objects.display());
    for table in [folder.to_str().unwrap(), url.as_str(), parts.to_str().unwrap()] {
        let mut args = vec![
            "generate",
            "--table",
            "delta",
            "--checkpoint-interval",
            "2",
            "--start",
            "2026-03-02",
            "--days",
            "1",
            "--quiet",
        ];
        args.extend_from_slice(&WORLD);
        args.extend_from_slice(&["--out", table]);
        run_ok(&args);
        // Version 2 is two days (a part writes whole files: one a day here).
        for days in ["1", "2", "1"] {
            if days == "2" && table == parts.to_str().unwrap() {
                for part in ["2", "1"] {
                    run_ok(&[
                        "append", table, "--days", days, "--parts", "2", "--part", part, "--quiet",
                    ]);
                }
            } else {
                run_ok(&["append", table, "--days", days, "--quiet"]);
            }
        }
    }
    for table in [&folder, &objects, &parts] {
        assert_eq!(checkpoints(table), [2]);
        assert_eq!(hinted(table)["version"], 2);
        assert_eq!(
            of_kind(&actions(table, 0), "metaData")[0]["configuration"]["delta.checkpointInterval"],
            "2"
        );
    }
    let checkpoint = |table: &Path| {
        let actions = checkpoint_actions(&table.join("_delta_log/00000000000000000002.checkpoint.parquet"));
        settled(actions)
    };
    assert_eq!(checkpoint(&objects), checkpoint(&folder));
    assert_eq!(checkpoint(&parts), checkpoint(&folder));
    assert_eq!(of_kind(&checkpoint(&folder), "add").len(), 4);
    // No temporary file is left in any log.
    for table in [&folder, &objects, &parts] {
        let hidden: Vec<String> = std::fs::read_dir(table.join("_delta_log"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
    }
}

#[test]
fn a_table_with_faults_holds_one_runs_days_and_ground_truth_the_late_events_in_a_later_version() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("faults.toml");
    std::fs::write(
        &config,
        "[faults]\nduplicates = 0.01\nout_of_order = 0.01\nlate_arrivals = 0.05\nlate_max_days = 3\nmissing_values = 0.01\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let table = tmp.path().join("t");
    let mut args = vec![
        "generate",
        "--table",
        "delta",
        "--start",
        "2026-03-02",
        "--days",
        "3",
        "--config",
        config,
        "-q",
    ];
    args.extend_from_slice(&WORLD);
    args.extend_from_slice(&["--out", table.to_str().unwrap()]);
    run_ok(&args);
    // The recorded config carries the faults into the appended window.
    run_ok(&["append", table.to_str().unwrap(), "--days", "4", "-q"]);

    // The days and their ground truth are the bytes of one run of all seven.
    let whole = tmp.path().join("whole");
    let mut args = vec![
        "generate",
        "--start",
        "2026-03-02",
        "--days",
        "7",
        "--config",
        config,
        "-q",
    ];
    args.extend_from_slice(&WORLD);
    args.extend_from_slice(&["--out", whole.to_str().unwrap()]);
    run_ok(&args);
    let data_and_truth = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        tree(dir)
            .into_iter()
            .filter(|(p, _)| p.starts_with("event_date=") || p.starts_with("_faults/"))
            .collect()
    };
    let (in_table, in_folder) = (data_and_truth(&table), data_and_truth(&whole));
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&in_table), names(&in_folder));
    assert!(in_table == in_folder, "the table's days differ from one run of them");

    // The log lists the events' files, late files included, never the
    // ground truth's; the second version delivers the late events of the
    // first window's days, in the partitions of their arrival.
    let added = |version| -> Vec<String> {
        of_kind(&actions(&table, version), "add")
            .iter()
            .map(|add| add["path"].as_str().unwrap().to_string())
            .collect()
    };
    let (v0, v1) = (added(0), added(1));
    // With missing values, the log's schema allows their nulls.
    let metadata = of_kind(&actions(&table, 0), "metaData")[0].clone();
    let schema: Value = serde_json::from_str(metadata["schemaString"].as_str().unwrap()).unwrap();
    let nullable = |name: &str| {
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["nullable"]
            .clone()
    };
    assert_eq!(
        (nullable("user_id"), nullable("event_id")),
        (Value::Bool(true), Value::Bool(false))
    );
    assert!(
        v0.iter().chain(&v1).all(|p| p.starts_with("event_date=")),
        "{v0:?} {v1:?}"
    );
    let listed: usize = v0.len() + v1.len();
    let data_files = in_table.iter().filter(|(p, _)| p.starts_with("event_date=")).count();
    assert_eq!(listed, data_files);
    assert!(
        v1.contains(&"event_date=2026-03-05/late-00000.parquet".to_string()),
        "{v1:?}"
    );
    let late_file = table.join("event_date=2026-03-05/late-00000.parquet");
    let late = common::read_parquet(&late_file);
    let timestamps = late[0]
        .column_by_name("timestamp")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::TimestampMicrosecondArray>()
        .unwrap()
        .value(0);
    let first_of_arrival = chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    assert!(timestamps < first_of_arrival, "a late event of an earlier day");
    verify_intact(table.to_str().unwrap());

    // On an object store, the first window in three parts: the same files
    // and the same log.
    let objects = tmp.path().join("objects");
    std::fs::create_dir(&objects).unwrap();
    let url = format!("file://{}", objects.display());
    for part in ["3", "1", "2"] {
        let mut args = vec![
            "generate",
            "--table",
            "delta",
            "--start",
            "2026-03-02",
            "--days",
            "3",
            "--config",
            config,
            "-q",
            "--parts",
            "3",
            "--part",
            part,
            "--out",
            &url,
        ];
        args.extend_from_slice(&WORLD);
        run_ok(&args);
    }
    run_ok(&["append", &url, "--days", "4", "-q", "--threads", "1"]);
    assert!(data_and_truth(&objects) == in_table, "the object store's files differ");
    for version in [0, 1] {
        assert_eq!(settled(actions(&objects, version)), settled(actions(&table, version)));
    }

    // A ground truth's day that an interrupted window left: verify names it,
    // append refuses it, and the advice (remove it, append again) works.
    let stray = table.join("_faults/event_date=2026-03-09");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("part-00000.parquet"), b"left").unwrap();
    let out = run(&["verify", table.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("_faults/event_date=2026-03-09/part-00000.parquet: not in the log"),
        "{stdout}"
    );
    let refused = run(&["append", table.to_str().unwrap(), "--days", "1", "-q"]);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{message}");
    assert!(
        message.contains("_faults/event_date=2026-03-09") && message.contains("remove it and run append again"),
        "{message}"
    );
    std::fs::remove_dir_all(&stray).unwrap();
    run_ok(&["append", table.to_str().unwrap(), "--days", "1", "-q"]);
    verify_intact(table.to_str().unwrap());
}
