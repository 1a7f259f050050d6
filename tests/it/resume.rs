//! `generate --resume` after `kill -9`: the resumed folder is byte-identical
//! to an uninterrupted run; a resume of another config, of a complete
//! dataset or of a folder without a journal is refused.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{run, run_ok, tree};

const ARGS: [&str; 7] = [
    "generate",
    "--rows",
    "1.5M",
    "--max-rows-per-file",
    "100k",
    "--threads",
    "2",
];

fn generate(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&str> = ARGS.to_vec();
    args.extend(["--quiet", "--out", out.to_str().unwrap()]);
    args.extend(extra);
    run(&args)
}

/// Files the journal of `out` lists as committed.
fn journaled(out: &Path) -> usize {
    std::fs::read_to_string(out.join("_progress.jsonl"))
        .map(|text| text.lines().filter(|l| l.contains("\"crc32\"")).count())
        .unwrap_or(0)
}

#[test]
fn a_run_killed_mid_way_resumes_to_the_same_bytes() {
    killed_and_resumed(&[]);
}

/// With faults, late events of days the killed run finished are planned
/// again by the resumed run for their arrival days' late files.
#[test]
fn a_run_with_faults_killed_mid_way_resumes_to_the_same_bytes() {
    killed_and_resumed(&["--faults", "typical", "--days", "4"]);
}

/// Kills a run of `ARGS` + `extra` once it committed two files, resumes
/// it, and compares the folder with an uninterrupted run's.
fn killed_and_resumed(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (killed, whole) = (dir.path().join("killed"), dir.path().join("whole"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_customer-events"))
        .args(ARGS)
        .args(extra)
        .args(["--quiet", "--out", killed.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while journaled(&killed) < 2 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no file committed in time"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!killed.join("_SUCCESS").exists(), "the killed run finished");

    let resumed = generate(&killed, &[extra, &["--resume"]].concat());
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert!(!killed.join("_progress.jsonl").exists(), "the journal outlives the run");
    generate(&whole, extra);
    let (resumed_tree, whole_tree) = (tree(&killed), tree(&whole));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&resumed_tree), names(&whole_tree));
    for ((name, resumed), (_, whole)) in resumed_tree.iter().zip(&whole_tree) {
        assert!(resumed == whole, "{name} differs after the resume");
    }
    run_ok(&["verify", killed.to_str().unwrap()]);
}

#[test]
fn a_resume_with_another_seed_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_text = out.to_str().unwrap();
    run_ok(&["generate", "--rows", "2000", "--quiet", "--out", out_text]);
    interrupt(&out);
    let refused = run(&[
        "generate", "--rows", "2000", "--seed", "7", "--quiet", "--out", out_text, "--resume",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("`config.seed`"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    // The same flags resume (and finish) it.
    run_ok(&["generate", "--rows", "2000", "--quiet", "--out", out_text, "--resume"]);
    run_ok(&["verify", out_text]);
}

/// Turns the complete dataset in `out` into what a run interrupted before
/// its first commit leaves: its files, no manifest, no `_SUCCESS`, and a
/// journal holding only the run's identity (rebuilt from the manifest).
fn interrupt(out: &Path) {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let identity = serde_json::json!({
        "tool": manifest["tool"],
        "tool_version": manifest["tool_version"],
        "schema_version": manifest["schema_version"],
        "config": manifest["config"],
        "output": manifest["output"],
    });
    std::fs::remove_file(out.join("_SUCCESS")).unwrap();
    std::fs::remove_file(out.join("_manifest.json")).unwrap();
    std::fs::write(out.join("_progress.jsonl"), format!("{identity}\n")).unwrap();
}

#[test]
fn a_complete_dataset_or_a_folder_without_journal_is_not_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_text = out.to_str().unwrap();
    run_ok(&["generate", "--rows", "2000", "--quiet", "--out", out_text]);
    let refused = run(&["generate", "--rows", "2000", "--quiet", "--out", out_text, "--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing to resume"));

    std::fs::remove_file(out.join("_SUCCESS")).unwrap();
    let refused = run(&["generate", "--rows", "2000", "--quiet", "--out", out_text, "--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("_progress.jsonl"));
}

#[test]
fn a_journaled_file_that_was_damaged_or_removed_is_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_text = out.to_str().unwrap();
    let flags = [
        "--rows",
        "4000",
        "--max-rows-per-file",
        "1000",
        "--partition-by",
        "none",
        "--quiet",
    ];
    let mut args = vec!["generate", "--out", out_text];
    args.extend(flags);
    run_ok(&args);
    let whole = tree(&out);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    interrupt(&out);
    // The journal lists every file (their leaf values are not in the
    // manifest: the kill -9 test checks those; here the files are compared).
    let mut journal = std::fs::read_to_string(out.join("_progress.jsonl")).unwrap();
    for file in manifest["files"].as_array().unwrap() {
        let mut entry = file.clone();
        entry["cells"] = 0.into();
        journal.push_str(&format!("{entry}\n"));
    }
    std::fs::write(out.join("_progress.jsonl"), journal).unwrap();
    // One file damaged in place (same size), one removed, one staged file left.
    let damaged = out.join("part-00001.parquet");
    let mut bytes = std::fs::read(&damaged).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&damaged, bytes).unwrap();
    std::fs::remove_file(out.join("part-00002.parquet")).unwrap();
    std::fs::write(out.join(".part-00002.parquet.run7.tmp"), b"partial").unwrap();

    args.push("--resume");
    run_ok(&args);
    let resumed = tree(&out);
    assert_eq!(resumed.len(), whole.len());
    for ((name, bytes), (_, expected)) in resumed.iter().zip(&whole) {
        if name == "_manifest.json" {
            let resumed: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(resumed["files"], manifest["files"]);
        } else {
            assert!(bytes == expected, "{name} differs from the uninterrupted run's");
        }
    }
}
