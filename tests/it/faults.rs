//! Faults, driving the real binary: two runs into one folder, stale locks,
//! `--overwrite` over files the tool did not write, signals, runaway
//! options and a full disk. Each test checks what the user sees (exit code,
//! message) and what is left on disk.

use crate::common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{run, run_ok, tree, walk};

const BIN: &str = env!("CARGO_BIN_EXE_customer-events");
const LOCK: &str = ".customer-events.lock";

fn out_arg(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Starts `generate` with `args` into `dir`, its stderr piped.
fn start(dir: &Path, args: &[&str]) -> Child {
    Command::new(BIN)
        .args(["generate", "--quiet", "--out", out_arg(dir)])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Files under `dir` whose name ends with `.tmp` (staged files).
fn staged(dir: &Path) -> Vec<PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    walk(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// Waits (at most 60 s) until a staged file appears under `dir`.
fn wait_for_staged_file(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while staged(dir).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no staged file appeared in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The first partition folder of a dataset.
fn first_partition(dir: &Path) -> PathBuf {
    let mut days: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("event_date="))
        .collect();
    days.sort();
    days.remove(0)
}

#[test]
fn a_second_run_into_the_same_folder_is_refused_and_the_first_completes_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |seed: &'static str| ["--rows", "40k", "--seed", seed, "--threads", "2"];
    let solo: Vec<_> = ["1", "2"]
        .iter()
        .map(|seed| {
            let dir = tmp.path().join(format!("solo-{seed}"));
            run_ok(&[&["generate", "--quiet", "--out", out_arg(&dir)][..], &args(seed)].concat());
            tree(&dir)
        })
        .collect();
    // Rounds in which the second run met the first still writing (on a
    // loaded machine the first may be done before the second starts).
    let mut raced = 0;
    for round in 0..20 {
        let dir = tmp.path().join(format!("shared-{round}"));
        let first = start(&dir, &args("1"));
        let second = start(&dir, &args("2"));
        let (first_pid, second_pid) = (first.id(), second.id());
        let first = first.wait_with_output().unwrap();
        let second = second.wait_with_output().unwrap();
        // Either may win the lock; exactly one writes, the other is refused.
        let (winner, winner_seed, loser, winner_pid) = match (first.status.code(), second.status.code()) {
            (Some(0), Some(2)) => (&first, 0, &second, first_pid),
            (Some(2), Some(0)) => (&second, 1, &first, second_pid),
            codes => panic!(
                "round {round}: exit codes {codes:?}, stderr {:?} / {:?}",
                stderr_of(&first),
                stderr_of(&second)
            ),
        };
        assert!(winner.status.success());
        let message = stderr_of(loser);
        assert_eq!(message.lines().count(), 1, "{message}");
        if message.contains("already holds files; pass --overwrite") {
            // The winner had finished: the loser met a complete dataset.
            assert!(dir.join("_SUCCESS").exists());
        } else {
            assert!(
                message.contains("being written by another run") && message.contains(&format!("pid {winner_pid}")),
                "round {round}: the refusal does not name the holder: {message}"
            );
            raced += 1;
        }
        assert!(
            tree(&dir) == solo[winner_seed],
            "round {round}: the dataset differs from a solo run"
        );
        assert!(!dir.join(LOCK).exists());
    }
    assert!(raced > 0, "no round had two runs at once");
}

#[test]
fn a_killed_run_leaves_a_stale_lock_that_is_reported_not_stolen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let mut child = start(&dir, &["--rows", "2M", "--row-group-rows", "20000"]);
    wait_for_staged_file(&dir);
    send(&child, "KILL");
    child.wait().unwrap();
    assert!(dir.join(LOCK).exists(), "kill -9 leaves the lock");
    let before = tree(&dir);
    for extra in [&[][..], &["--overwrite"][..]] {
        let output = run(&[&["generate", "--rows", "1k", "--out", out_arg(&dir)][..], extra].concat());
        assert_eq!(output.status.code(), Some(2));
        let message = stderr_of(&output);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains("stale lock"), "{message}");
        assert!(
            message.contains(&format!("rm {}", dir.join(LOCK).display())),
            "{message}"
        );
        assert!(tree(&dir) == before, "a refused run changed the folder");
    }
}

#[test]
fn overwrite_refuses_foreign_files_at_any_depth_before_deleting_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&[], "PARTITION/mynotes.txt"),
        (&[], ".mywork.tmp"),
        (&["--layout", "normalized"], "content/posts/hello.md"),
        (&["--layout", "normalized"], "users/alice/key.txt"),
        (
            &["--layout", "normalized", "--partition-by", "none"],
            "notes/empty-folder-marker",
        ),
    ];
    for (k, (layout, foreign)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("case-{k}"));
        run_ok(
            &[
                &["generate", "--quiet", "--rows", "2k", "--out", out_arg(&dir)][..],
                layout,
            ]
            .concat(),
        );
        let foreign = if let Some(rest) = foreign.strip_prefix("PARTITION/") {
            first_partition(&dir).join(rest)
        } else {
            dir.join(foreign)
        };
        std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
        std::fs::write(&foreign, b"mine").unwrap();
        let before = tree(&dir);
        let output = run(&[
            &["generate", "--rows", "3k", "--overwrite", "--out", out_arg(&dir)][..],
            layout,
        ]
        .concat());
        assert_eq!(output.status.code(), Some(2), "{}", foreign.display());
        let message = stderr_of(&output);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(
            message.contains(&foreign.display().to_string())
                || message.contains(&foreign.parent().unwrap().display().to_string()),
            "the refusal does not name {}: {message}",
            foreign.display()
        );
        assert!(tree(&dir) == before, "{}: something was deleted", foreign.display());
    }

    // A folder without a manifest of this tool: nothing tells its files apart.
    let dir = tmp.path().join("no-manifest");
    run_ok(&["generate", "--quiet", "--rows", "2k", "--out", out_arg(&dir)]);
    std::fs::remove_file(dir.join("_manifest.json")).unwrap();
    let before = tree(&dir);
    let output = run(&["generate", "--rows", "2k", "--overwrite", "--out", out_arg(&dir)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("no _manifest.json of this tool"),
        "{}",
        stderr_of(&output)
    );
    assert!(tree(&dir) == before);
}

#[test]
fn overwrite_replaces_an_earlier_dataset_and_leaves_nothing_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let fresh = tmp.path().join("fresh");
    let new_args = ["--rows", "3k", "--partition-by", "none", "--format", "arrow"];
    run_ok(&[
        "generate",
        "--quiet",
        "--rows",
        "5k",
        "--layout",
        "normalized",
        "--out",
        out_arg(&dir),
    ]);
    run_ok(
        &[
            &["generate", "--quiet", "--overwrite", "--out", out_arg(&dir)][..],
            &new_args,
        ]
        .concat(),
    );
    run_ok(&[&["generate", "--quiet", "--out", out_arg(&fresh)][..], &new_args].concat());
    assert!(tree(&dir) == tree(&fresh), "the folder holds more than the new dataset");
    // No empty folders of the earlier dataset either.
    let folders: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .collect();
    assert!(folders.is_empty(), "{folders:?}");
}

#[test]
fn signals_stop_a_run_leaving_only_complete_files() {
    let tmp = tempfile::tempdir().unwrap();
    for (signal, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let dir = tmp.path().join(signal);
        let child = start(&dir, &["--rows", "2M", "--row-group-rows", "20000"]);
        wait_for_staged_file(&dir);
        send(&child, signal);
        let sent = Instant::now();
        let output = child.wait_with_output().unwrap();
        let took = sent.elapsed();
        assert_eq!(output.status.code(), Some(code), "SIG{signal}: {}", stderr_of(&output));
        assert!(
            took < Duration::from_secs(2),
            "SIG{signal} took {took:?} to stop the run"
        );
        assert!(stderr_of(&output).contains("interrupted"), "{}", stderr_of(&output));
        assert!(staged(&dir).is_empty(), "SIG{signal} left {:?}", staged(&dir));
        assert!(!dir.join("_SUCCESS").exists());
        assert!(!dir.join(LOCK).exists(), "SIG{signal} left the lock");
        // Complete files, and the journal that lets `--resume` go on.
        for (path, bytes) in tree(&dir) {
            if path == "_progress.jsonl" {
                continue;
            }
            assert!(bytes.ends_with(b"PAR1"), "{path} is incomplete");
        }
    }
}

#[test]
fn sigterm_stops_sample_within_a_second() {
    let child = Command::new(BIN)
        .args(["sample", "--count", "1B"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    send(&child, "TERM");
    let sent = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(1), "took {:?}", sent.elapsed());
    assert_eq!(output.status.code(), Some(143));
    assert_eq!(stderr_of(&output), "customer-events: error: interrupted\n");
}

#[test]
fn runaway_threads_are_capped_and_runaway_row_groups_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let started = Instant::now();
    let output = run_ok(&[
        "generate",
        "--quiet",
        "--rows",
        "1k",
        "--threads",
        "5000",
        "--out",
        out_arg(&dir),
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(
        stderr_of(&output),
        format!(
            "customer-events: note: --threads 5000 is more than 4 per core; using {}\n",
            4 * cores
        )
    );

    let dir = tmp.path().join("groups");
    let output = run(&[
        "generate",
        "--rows",
        "1B",
        "--row-group-rows",
        "1",
        "--out",
        out_arg(&dir),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr_of(&output);
    assert!(
        message.contains("--row-group-rows") && message.contains("use at least 100"),
        "{message}"
    );
    assert!(!dir.exists());
}

#[test]
fn a_full_disk_fails_with_the_path_and_leaves_no_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let earlier = tmp.path().join("earlier");
    run_ok(&["generate", "--quiet", "--rows", "5k", "--out", out_arg(&earlier)]);
    let earlier_files = tree(&earlier);
    let dir = tmp.path().join("events");
    let mut command = Command::new(BIN);
    command.args(["generate", "--quiet", "--rows", "200k", "--out", out_arg(&dir)]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1 << 20,
                rlim_max: 1 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // A write past the limit then fails with EFBIG instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let message = stderr_of(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains(&dir.display().to_string()), "{message}");
    assert!(message.contains("File too large"), "{message}");
    assert!(staged(&dir).is_empty(), "{:?}", staged(&dir));
    assert!(!dir.join("_SUCCESS").exists());
    assert!(!dir.join(LOCK).exists());
    assert!(tree(&earlier) == earlier_files, "the earlier dataset changed");
}

#[test]
fn a_bucket_whose_endpoint_does_not_answer_is_one_line_naming_the_variables() {
    // A loopback port just freed: nothing listens, the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", port.local_addr().unwrap());
    drop(port);
    let output = Command::new(BIN)
        .args(["generate", "--quiet", "--rows", "1k", "--out", "s3://events/run"])
        .env("AWS_ACCESS_KEY_ID", "key")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &closed)
        .env("AWS_ALLOW_HTTP", "true")
        .output()
        .unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("the store cannot be reached"), "{message}");
    assert!(message.contains("AWS_ENDPOINT_URL"), "{message}");
}
