//! `customer-events stream`: the dataset's events in timestamp order as the
//! lines of `generate --format ndjson`, paced by --rate or --realtime; a
//! stopped stream continues, with the command it prints, without a duplicate
//! or a gap; refusals are one line with exit 2.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{run, run_ok, walk};

const BIN: &str = env!("CARGO_BIN_EXE_customer-events");

/// The timestamp of a JSON line.
fn timestamp(line: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
    value["timestamp"].as_str().expect("a timestamp").to_string()
}

/// The NDJSON files of a dataset in `dir`, concatenated in day and file order.
fn ndjson_dataset(dir: &Path) -> String {
    let mut files: Vec<_> = walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

#[test]
fn streamed_lines_are_the_ndjson_dataset_in_timestamp_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let options = ["--rows", "12k", "--days", "2", "--seed", "7"];
    let mut generate = vec!["generate", "--format", "ndjson", "--quiet", "--max-rows-per-file", "5k"];
    generate.extend(options);
    generate.extend(["--out", dir.to_str().unwrap()]);
    run_ok(&generate);
    let mut stream = vec!["stream", "--quiet"];
    stream.extend(options);
    let streamed = run_ok(&stream);
    let streamed = String::from_utf8(streamed.stdout).unwrap();
    assert_eq!(streamed.lines().count(), 12_000);
    assert!(
        streamed == ndjson_dataset(&dir),
        "the stream differs from the NDJSON files"
    );
    let times: Vec<String> = streamed.lines().map(timestamp).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "events out of timestamp order");
}

#[test]
fn a_stopped_stream_continues_with_the_command_it_prints() {
    let options = ["--rows", "3000", "--days", "1", "--seed", "11"];
    let mut whole = vec!["stream", "--quiet"];
    whole.extend(options);
    let whole = String::from_utf8(run_ok(&whole).stdout).unwrap();

    let mut child = Command::new(BIN)
        .arg("stream")
        .args(options)
        .args(["--rate", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(killed.unwrap().success());
    let mut first = String::new();
    child.stdout.take().unwrap().read_to_string(&mut first).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(143),
        "a stream stopped by SIGTERM exits with 143"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let sent = first.lines().count();
    assert!(sent > 0 && sent < 3000, "{sent} events before the signal");
    let expected = format!("customer-events: stopped after {} events; continue with: ", fmt(sent));
    let command = stderr
        .trim_end()
        .strip_prefix(&expected)
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(command.ends_with(&format!("--from-event {sent}")), "{command}");

    // The printed command, run as printed, sends the rest.
    let words: Vec<&str> = command.split(' ').collect();
    let rest = Command::new(words[0]).args(&words[1..]).output().unwrap();
    assert!(rest.status.success(), "{}", String::from_utf8_lossy(&rest.stderr));
    let rest = String::from_utf8(rest.stdout).unwrap();
    assert!(
        first.clone() + &rest == whole,
        "the two streams are not the whole stream"
    );
}

/// `n` with thousands separators, as the tool prints counts.
fn fmt(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn a_rate_holds_events_back() {
    let started = Instant::now();
    let out = run_ok(&["stream", "--rows", "600", "--days", "1", "--rate", "300", "--quiet"]);
    let elapsed = started.elapsed();
    assert_eq!(out.stdout.as_slice().lines().count(), 600);
    // 600 events at 300 a second: two seconds, less the first event.
    assert!(
        elapsed >= Duration::from_millis(1900),
        "600 events at --rate 300 took {elapsed:?}"
    );
}

#[test]
fn realtime_starts_now_and_releases_events_when_their_time_comes() {
    const SPEED: f64 = 600.0;
    let started = chrono::Utc::now();
    let mut child = Command::new(BIN)
        .args(["stream", "--realtime", "--speed", "600", "--events-per-day", "100k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let clock = Instant::now();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut times = Vec::new();
    while clock.elapsed() < Duration::from_secs(3) {
        let line = lines.next().expect("the stream goes on").unwrap();
        let time = chrono::DateTime::parse_from_rfc3339(&timestamp(&line).replace(' ', "T"))
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        // Never ahead of the sped-up clock (a second of slack for start-up).
        let clock_now = started + chrono::Duration::milliseconds((clock.elapsed().as_secs_f64() * SPEED * 1e3) as i64);
        assert!(
            time <= clock_now + chrono::Duration::seconds(SPEED as i64),
            "{time} released at {clock_now}"
        );
        times.push(time);
    }
    // Stopped, it says how to go on: the same command (from now).
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(killed.unwrap().success());
    // Read to the end, so the reader is there for the stream's last flush.
    for line in lines {
        line.unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("customer-events: stopped after ")
            && stderr.ends_with("events; run the same command to stream again from now\n"),
        "{stderr}"
    );
    let first = times[0];
    assert!(
        first >= started - chrono::Duration::seconds(1),
        "{first} is before the start {started}"
    );

    // The same command, run again, streams again from its own now.
    let again = chrono::Utc::now();
    let mut child = Command::new(BIN)
        .args(["stream", "--realtime", "--speed", "600", "--events-per-day", "100k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let restarted = chrono::DateTime::parse_from_rfc3339(&timestamp(&line)).unwrap();
    assert!(
        restarted >= again - chrono::Duration::seconds(1),
        "{restarted} is before {again}"
    );
    // 100k events a day at 600×: about 700 a second of wall clock.
    assert!(times.len() > 100, "{} events in 3 s", times.len());
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn refusals_are_one_line_with_exit_2() {
    for (args, names) in [
        (&["stream", "--to", "events.ndjson"][..], "--to"),
        (
            &["stream", "--to", "kafka://127.0.0.1:9092"][..],
            "kafka://HOST:PORT/TOPIC",
        ),
        (&["stream", "--resume"][..], "--resume"),
        // Nothing listens on port 1: the broker is named, and the fix.
        (
            &["stream", "--to", "kafka://127.0.0.1:1/events"][..],
            "no Kafka broker answers at 127.0.0.1:1",
        ),
        (&["stream", "--rate", "0"][..], "--rate"),
        (&["stream", "--realtime", "--rows", "5"][..], "--rows"),
        (&["stream", "--speed", "10"][..], "--realtime"),
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(names), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_pipe_ends_the_stream_quietly() {
    let mut child = Command::new(BIN)
        .args(["stream", "--rows", "1M", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'));
    // The reader is gone (as `| head -1` goes): the stream ends, exit 0, no message.
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
