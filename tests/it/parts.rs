//! `generate --parts N --part K` and `commit`, through the binary: parts
//! write exactly a single run's files, whatever order they run in and
//! wherever, and the commit makes the folder equal a single run's.

use crate::common;

use std::path::Path;

use common::{run, run_ok, tree};

const NESTED: &[&str] = &["--rows", "60k", "--max-rows-per-file", "10k", "--threads", "2", "-q"];

fn generate(out: &Path, options: &[&str], extra: &[&str]) {
    let mut args = vec!["generate", "--out", out.to_str().unwrap()];
    args.extend_from_slice(options);
    args.extend_from_slice(extra);
    run_ok(&args);
}

fn part(out: &Path, options: &[&str], k: u32, n: u32) {
    let (k, n) = (k.to_string(), n.to_string());
    generate(out, options, &["--parts", &n, "--part", &k]);
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn copy_tree(from: &Path, to: &Path) {
    for (relative, bytes) in tree(from) {
        let path = to.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(name, _)| name.as_str()).collect()
}

#[test]
fn parts_in_any_order_into_one_folder_equal_a_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let (full, parts) = (dir.path().join("full"), dir.path().join("parts"));
    generate(&full, NESTED, &[]);
    part(&parts, NESTED, 3, 3);
    part(&parts, NESTED, 1, 3);
    // Two of three: part manifests, no _manifest.json, no _SUCCESS.
    let partial = tree(&parts);
    assert!(!parts.join("_SUCCESS").exists() && !parts.join("_manifest.json").exists());
    assert!(parts.join("_parts/part-00001-of-00003.json").exists());
    assert!(parts.join("_parts/part-00003-of-00003.json").exists());
    for (name, bytes) in &partial {
        if !name.starts_with("_parts/") {
            assert_eq!(
                Some(bytes),
                tree(&full).iter().find(|(n, _)| n == name).map(|(_, b)| b),
                "{name}"
            );
        }
    }
    // The last part commits: the folder is the single run's, manifest included.
    part(&parts, NESTED, 2, 3);
    assert!(!parts.join("_parts").exists());
    let (expected, got) = (tree(&full), tree(&parts));
    assert_eq!(names(&expected), names(&got));
    assert!(expected == got, "bytes differ from a single run");
    // A commit of a committed folder changes nothing.
    let again = run_ok(&["commit", parts.to_str().unwrap()]);
    assert!(stderr(&again).contains("already committed"));
    assert!(tree(&parts) == expected);
}

#[test]
fn parts_on_separate_machines_copied_together_and_committed() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    generate(&full, NESTED, &[]);
    let together = dir.path().join("together");
    let mut shares = Vec::new();
    for k in 1..=3 {
        let own = dir.path().join(format!("machine-{k}"));
        part(&own, NESTED, k, 3);
        // Alone, no part commits.
        assert!(!own.join("_SUCCESS").exists());
        let files: Vec<String> = names(&tree(&own))
            .into_iter()
            .filter(|n| !n.starts_with("_parts/"))
            .map(String::from)
            .collect();
        assert!(!files.is_empty(), "part {k} writes files");
        shares.push(files);
        copy_tree(&own, &together);
    }
    // Disjoint shares, contiguous in plan order, together every file.
    let mut union: Vec<String> = shares.concat();
    let in_part_order = union.clone();
    union.sort();
    union.dedup();
    assert_eq!(union.len(), in_part_order.len(), "a file written by two parts");
    let full_files: Vec<String> = names(&tree(&full))
        .into_iter()
        .filter(|n| n.ends_with(".parquet"))
        .map(String::from)
        .collect();
    assert_eq!(union, full_files);

    // Committing with a part missing names it.
    let missing = dir.path().join("missing");
    copy_tree(&together, &missing);
    std::fs::remove_file(missing.join("_parts/part-00002-of-00003.json")).unwrap();
    let refused = run(&["commit", missing.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("part 2 of 3 is missing"),
        "{}",
        stderr(&refused)
    );
    assert!(!missing.join("_manifest.json").exists() && !missing.join("_SUCCESS").exists());

    // A file of a part missing is named too.
    let lost = dir.path().join("lost");
    copy_tree(&together, &lost);
    let victim = &shares[1][0];
    std::fs::remove_file(lost.join(victim)).unwrap();
    let refused = run(&["commit", lost.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains(&format!("{victim} is missing")),
        "{}",
        stderr(&refused)
    );

    run_ok(&["commit", together.to_str().unwrap()]);
    assert!(
        tree(&full) == tree(&together),
        "committed parts differ from a single run"
    );
}

#[test]
fn commit_names_every_missing_part() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for k in [1, 3, 4, 6] {
        part(&out, NESTED, k, 6);
    }
    let refused = run(&["commit", out.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("parts 2, 5 of 6 are missing"),
        "{}",
        stderr(&refused)
    );
    // As told: run them, then commit again.
    assert!(stderr(&refused).contains("run them (generate --parts 6 --part K), then commit again"));
    for k in [2, 5] {
        part(&out, NESTED, k, 6);
    }
    run_ok(&["commit", out.to_str().unwrap()]);
    let full = dir.path().join("full");
    generate(&full, NESTED, &[]);
    assert!(
        tree(&out) == tree(&full),
        "the committed parts differ from a single run"
    );
}

/// What a part's `--resume` refuses it for, it names the command that
/// works instead: a part never run has no journal (run it without
/// `--resume`); a finished part has its manifest (`--overwrite` writes it
/// again, the same; `commit` commits the dataset once every part is there,
/// as when the last part died before its commit).
#[test]
fn a_parts_resume_refusals_name_commands_that_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let of_part = |k: &'static str, extra: &[&str]| {
        run(&[
            &["generate", "--out", out.to_str().unwrap()][..],
            NESTED,
            &["--parts", "3", "--part", k],
            extra,
        ]
        .concat())
    };
    let with = |extra: &[&str]| of_part("1", extra);
    let refused = with(&["--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.contains("has no _parts/progress-00001-of-00003.jsonl journal")
            && message.contains("run without --resume"),
        "{message}"
    );
    let first = with(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let written = tree(&out);
    assert!(
        written
            .iter()
            .any(|(name, _)| name == "_parts/part-00001-of-00003.json")
    );

    let refused = with(&["--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.contains("nothing to resume") && message.contains("use --overwrite instead of --resume"),
        "{message}"
    );
    assert!(tree(&out) == written, "a refused resume changed the folder");
    let again = with(&["--overwrite"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(tree(&out) == written, "the part written again differs");

    // Every part there but no commit: part 3 ran elsewhere and was copied in.
    part(&out, NESTED, 2, 3);
    let other = dir.path().join("other");
    part(&other, NESTED, 3, 3);
    copy_tree(&other, &out);
    let refused = of_part("3", &["--resume"]);
    assert_eq!(refused.status.code(), Some(2));
    let command = quoted_after(&stderr(&refused), "nothing to resume").to_string();
    assert_eq!(command, format!("customer-events commit {}", out.display()));
    run_ok(&command.split(' ').skip(1).collect::<Vec<_>>());
    let full = dir.path().join("full");
    generate(&full, NESTED, &[]);
    assert!(
        tree(&out) == tree(&full),
        "the committed parts differ from a single run"
    );
}

#[test]
fn commit_refuses_parts_of_another_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    part(&out, NESTED, 1, 2);
    // Part 2 of another seed, written elsewhere and copied in.
    let other = dir.path().join("other");
    part(&other, NESTED, 2, 2);
    let mut seeded = NESTED.to_vec();
    seeded.extend(["--seed", "7"]);
    let other_seed = dir.path().join("other-seed");
    part(&other_seed, &seeded, 2, 2);
    copy_tree(&other_seed, &out);
    let refused = run(&["commit", out.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("not the same dataset: `config.seed` is 42 in part 1 and 7 in part 2"),
        "{}",
        stderr(&refused)
    );
    assert!(!out.join("_manifest.json").exists());
}

#[test]
fn a_part_refuses_its_own_files_but_not_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    part(&out, NESTED, 1, 3);
    // Another part into the same folder is fine; the same part again is not.
    part(&out, NESTED, 2, 3);
    let refused = run(&[
        "generate",
        "--out",
        out.to_str().unwrap(),
        "--rows",
        "60k",
        "--max-rows-per-file",
        "10k",
        "--parts",
        "3",
        "--part",
        "1",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains("already holds") && message.contains("which part 1 of 3 writes"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    // With --overwrite it is written again, the same.
    let before = tree(&out);
    generate(&out, NESTED, &["--parts", "3", "--part", "1", "--overwrite"]);
    assert!(tree(&out) == before);
}

#[test]
fn part_numbers_out_of_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let path = out.to_str().unwrap();
    for (flags, expected) in [
        (vec!["--parts", "3", "--part", "0"], "--part: 0 is not a part of 3"),
        (vec!["--parts", "3", "--part", "4"], "--part: 4 is not a part of 3"),
        (
            vec!["--parts", "1000", "--part", "1"],
            "more than the 8 files of the plan",
        ),
        (vec!["--parts", "3"], "required arguments were not provided"),
        (vec!["--part", "1"], "required arguments were not provided"),
    ] {
        let mut args = vec!["generate", "--out", path, "--rows", "60k", "--max-rows-per-file", "10k"];
        args.extend(flags.iter());
        let refused = run(&args);
        assert_eq!(refused.status.code(), Some(2), "{flags:?}");
        let message = stderr(&refused);
        assert!(message.contains(expected), "{flags:?}: {message}");
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(!out.exists(), "{flags:?} wrote something");
    }
}

#[test]
fn normalized_parts_equal_a_single_run() {
    let normalized = &[
        "--layout",
        "normalized",
        "--rows",
        "60k",
        "--max-rows-per-file",
        "10k",
        "-q",
    ];
    let dir = tempfile::tempdir().unwrap();
    let (full, parts) = (dir.path().join("full"), dir.path().join("parts"));
    generate(&full, normalized, &[]);
    for k in [2, 4, 1, 3] {
        part(&parts, normalized, k, 4);
    }
    let (expected, got) = (tree(&full), tree(&parts));
    assert_eq!(names(&expected), names(&got));
    assert!(expected == got, "normalized parts differ from a single run");
}

#[test]
fn parts_running_at_once_into_one_folder_equal_a_single_run() {
    // Each part holds its own lock, so none is refused; the last to finish commits.
    let dir = tempfile::tempdir().unwrap();
    let (full, parts) = (dir.path().join("full"), dir.path().join("parts"));
    generate(&full, NESTED, &[]);
    let running: Vec<_> = (1..=3)
        .map(|k| {
            let mut args = vec!["generate".to_string(), "--out".into(), parts.to_str().unwrap().into()];
            args.extend(NESTED.iter().map(|a| a.to_string()));
            args.extend(["--parts".into(), "3".into(), "--part".into(), k.to_string()]);
            std::process::Command::new(env!("CARGO_BIN_EXE_customer-events"))
                .args(&args)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in running {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    assert_eq!(tree(&parts), tree(&full));
}

/// Files part `k` of 3's journal in `out` lists as committed.
fn journaled(out: &Path, k: u32) -> usize {
    std::fs::read_to_string(out.join(format!("_parts/progress-{k:05}-of-00003.jsonl")))
        .map(|text| text.lines().filter(|l| l.contains("\"crc32\"")).count())
        .unwrap_or(0)
}

fn spawn_part(out: &Path, options: &[&str], k: u32, n: u32) -> std::process::Child {
    let (k, n) = (k.to_string(), n.to_string());
    std::process::Command::new(env!("CARGO_BIN_EXE_customer-events"))
        .args(["generate", "--out", out.to_str().unwrap()])
        .args(options)
        .args(["--parts", &n, "--part", &k])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The text between the first pair of backticks after `after` in `message`.
fn quoted_after<'m>(message: &'m str, after: &str) -> &'m str {
    let rest = &message[message
        .find(after)
        .unwrap_or_else(|| panic!("no {after:?} in {message}"))..];
    rest.split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no command after {after:?} in {message}"))
}

/// Part 2 of 3 is killed (`kill -9`) while the three run at once into one
/// folder; the other two finish meanwhile. Both ways out the refusal of
/// part 2's stale lock names work, and each leaves the single run's bytes,
/// which `verify` passes: `--resume` (part 2's own journal survived the
/// others), and removing the lock then `--overwrite` (which also removes
/// what the killed run staged).
#[test]
fn a_part_killed_while_the_others_finish_resumes_or_reruns_to_a_single_runs_bytes() {
    const KILLED: &[&str] = &[
        "--rows",
        "600k",
        "--days",
        "3",
        "--max-rows-per-file",
        "10k",
        "--threads",
        "1",
    ];
    let dir = tempfile::tempdir().unwrap();
    let (full, parts) = (dir.path().join("full"), dir.path().join("parts"));
    generate(&full, KILLED, &["-q"]);
    let mut running: Vec<_> = (1..=3).map(|k| spawn_part(&parts, KILLED, k, 3)).collect();
    let started = std::time::Instant::now();
    while journaled(&parts, 2) < 2 {
        assert!(
            running[1].try_wait().unwrap().is_none(),
            "part 2 ended before it was killed"
        );
        assert!(started.elapsed().as_secs() < 300, "part 2 committed no file in time");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    running[1].kill().unwrap(); // SIGKILL
    running[1].wait().unwrap();
    for (k, child) in [(1, running.remove(0)), (3, running.remove(1))] {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "part {k}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(&format!("part {k} of 3 done")),
            "{}",
            stderr(&output)
        );
    }
    assert!(!parts.join("_SUCCESS").exists(), "committed without part 2");
    assert!(journaled(&parts, 2) >= 2, "the other parts removed part 2's journal");
    // What the killed run had staged: its file in flight (planted if the
    // kill fell between two files, so the rerun is always tested on one).
    let full_tree = tree(&full);
    let full_files = names(&full_tree);
    let staged = |folder: &Path| names(&tree(folder)).iter().filter(|n| n.ends_with(".tmp")).count();
    if staged(&parts) == 0 {
        // Part 2's files: those the other parts' manifests do not list.
        let others: String = [1, 3]
            .map(|k| std::fs::read_to_string(parts.join(format!("_parts/part-{k:05}-of-00003.json"))).unwrap())
            .concat();
        let last = full_files
            .iter()
            .rfind(|n| n.ends_with(".parquet") && !others.contains(&format!("\"{n}\"")))
            .unwrap();
        let (folder, name) = last.rsplit_once('/').unwrap();
        std::fs::write(parts.join(folder).join(format!(".{name}.deadbeef.tmp")), b"partial").unwrap();
    }
    let rerun = dir.path().join("rerun");
    copy_tree(&parts, &rerun);

    // A plain rerun of part 2 is refused: its lock is a dead run's.
    for out in [&parts, &rerun] {
        let refused = run(&[
            &["generate", "--out", out.to_str().unwrap()][..],
            KILLED,
            &["--parts", "3", "--part", "2"],
        ]
        .concat());
        assert_eq!(refused.status.code(), Some(2));
        let message = stderr(&refused);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(
            message.contains("--resume") && message.contains("--overwrite"),
            "{message}"
        );
        if out == &rerun {
            // The second way out: clear the lock as told, then --overwrite.
            let lock = quoted_after(&message, "clear it with").strip_prefix("rm ").unwrap();
            std::fs::remove_file(lock).unwrap();
        }
    }
    let expected = full_tree.clone();
    for (out, flag) in [(&parts, "--resume"), (&rerun, "--overwrite")] {
        let done = run_ok(
            &[
                &["generate", "--out", out.to_str().unwrap()][..],
                KILLED,
                &["--parts", "3", "--part", "2", flag],
            ]
            .concat(),
        );
        assert!(
            stderr(&done).contains(&format!("all 3 parts are in {}: committed", out.display())),
            "{flag}: {}",
            stderr(&done)
        );
        let got = tree(out);
        assert_eq!(names(&got), names(&expected), "{flag}");
        assert!(got == expected, "{flag}: bytes differ from a single run");
        assert_eq!(staged(out), 0, "{flag}");
    }
}

/// A part that leaves the commit to another says how to commit, with a
/// command that works once the other parts' files are copied in.
#[test]
fn the_commit_advice_of_a_part_is_a_command_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    generate(&full, NESTED, &[]);
    let first = dir.path().join("machine-1");
    let told = run_ok(
        &[
            &["generate", "--out", first.to_str().unwrap()][..],
            &NESTED[..NESTED.len() - 1],
            &["--parts", "2", "--part", "1"],
        ]
        .concat(),
    );
    let command = quoted_after(&stderr(&told), "part 1 of 2 done").to_string();
    assert_eq!(command, format!("customer-events commit {}", first.display()));
    let second = dir.path().join("machine-2");
    part(&second, NESTED, 2, 2);
    copy_tree(&second, &first);
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    let committed = run_ok(&args);
    assert!(
        stderr(&committed).contains("committed 2 parts"),
        "{}",
        stderr(&committed)
    );
    assert!(tree(&first) == tree(&full), "the commit differs from a single run");
    run_ok(&["verify", first.to_str().unwrap()]);
}

/// On object storage (`file://` goes through the object store), the part
/// that commits the dataset says so, and the one before it does not; a
/// `--resume` there is refused for `--overwrite`, which works.
#[test]
fn the_part_that_commits_on_object_storage_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (full, local) = (dir.path().join("full"), dir.path().join("store"));
    generate(&full, NESTED, &[]);
    let url = format!("file://{}", local.display());
    let options = &NESTED[..NESTED.len() - 1];
    let said = |k: &str| {
        let output = run_ok(
            &[
                &["generate", "--out", url.as_str()][..],
                options,
                &["--parts", "2", "--part", k],
            ]
            .concat(),
        );
        stderr(&output)
    };
    let first = said("1");
    // --resume is for folders; the advice it gives instead works.
    let refused = run(&[
        &["generate", "--out", url.as_str()][..],
        options,
        &["--parts", "2", "--part", "1", "--resume"],
    ]
    .concat());
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("run again with --overwrite"),
        "{}",
        stderr(&refused)
    );
    let written = tree(&local);
    run_ok(
        &[
            &["generate", "--out", url.as_str()][..],
            options,
            &["--parts", "2", "--part", "1", "--overwrite"],
        ]
        .concat(),
    );
    assert!(tree(&local) == written, "part 1 written again differs");
    assert!(
        first.contains(&format!(
            "part 1 of 2 done; once every part's files are in {url}, run `customer-events commit {url}`"
        )),
        "{first}"
    );
    let last = said("2");
    assert!(last.contains(&format!("all 2 parts are in {url}: committed")), "{last}");
    assert!(
        tree(&local) == tree(&full),
        "the parts on the store differ from a single run"
    );
}
