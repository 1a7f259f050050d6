//! Config files and dataset bounds end to end: partial tables take the
//! defaults of the keys they leave out, syntax and type errors name the file,
//! line, column and dotted key, out-of-bounds flags are refused before
//! anything is written, and no mutation of the default config makes the
//! parser panic or print more than one line.

use crate::common;

use std::path::Path;

use common::run;
use customer_events::{Config, Error, config::DEFAULT_CONFIG_TOML};
use proptest::prelude::*;

/// Runs `generate` with `config_text` as `--config` into a fresh folder;
/// returns the exit code, stderr and the folder.
fn generate_with(dir: &Path, config_text: &str, extra: &[&str]) -> (Option<i32>, String) {
    let config = dir.join("my.toml");
    std::fs::write(&config, config_text).unwrap();
    let out = dir.join("out");
    let mut args = vec![
        "generate",
        "--quiet",
        "--rows",
        "1k",
        "--days",
        "1",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let result = run(&args);
    (
        result.status.code(),
        String::from_utf8_lossy(&result.stderr).into_owned(),
    )
}

/// A refusal: exit 2, one line, nothing written; returns the line.
fn refused(dir: &Path, config_text: &str) -> String {
    let (code, stderr) = generate_with(dir, config_text, &[]);
    assert_eq!(code, Some(2), "{config_text:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "more than one line: {stderr}");
    assert!(!dir.join("out").exists(), "{config_text:?} created the output folder");
    stderr
}

#[test]
fn a_partial_table_keeps_the_defaults_of_the_keys_it_leaves_out() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "[event_mix]\ncontent_play = 0.9\n\n[actions]\nmax = 3\n\n[countries]\nJP = 1.0\n";
    let (code, stderr) = generate_with(tmp.path(), text, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("out/_manifest.json")).unwrap()).unwrap();
    let config = &manifest["config"];
    assert_eq!(
        config["event_mix"],
        serde_json::json!({"content_play": 0.9, "search": 0.15, "browse": 0.25})
    );
    assert_eq!(config["actions"], serde_json::json!({"min": 1, "max": 3}));
    assert_eq!(config["devices_per_user"], serde_json::json!({"min": 1, "max": 4}));
    assert_eq!(config["device_mix"]["smartTV"], serde_json::json!(0.25));
    // A country list replaces the default list whole.
    assert_eq!(config["countries"], serde_json::json!({"JP": 1.0}));
}

#[test]
fn the_library_fills_partial_tables_too() {
    let config = Config::from_toml("[device_mix]\nsmartTV = 2\n[search_history]\nmin = 2").unwrap();
    let default = Config::default();
    assert_eq!(config.device_mix.smart_tv, 2.0);
    assert_eq!(config.device_mix.mobile, default.device_mix.mobile);
    assert_eq!((config.search_history.min, config.search_history.max), (2, 5));
    assert_eq!(config.event_mix, default.event_mix);
    assert_eq!(Config::from_toml("").unwrap(), default);
}

#[test]
fn a_key_with_a_newline_stays_on_one_line() {
    for text in [
        "[countries]\n\"a\\nb\" = 1",
        "\"a\\nb\" = 1",
        "[event_mix]\n\"a\\nb\" = 1",
    ] {
        let message = Config::from_toml(text).unwrap_err().to_string();
        assert!(message.contains("a\\nb") && !message.contains('\n'), "{message:?}");
    }
}

#[test]
fn a_syntax_error_names_the_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let line = refused(tmp.path(), "seed = 1\n\n[event_mix\ncontent_play = 1\n");
    let file = tmp.path().join("my.toml");
    assert!(
        line.contains(&format!("{}, line 3, column 11", file.display())),
        "{line}"
    );
    assert!(line.contains("not valid TOML"), "{line}");
}

#[test]
fn a_wrong_type_names_the_dotted_key_and_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let line = refused(tmp.path(), "rows = 5000\n[event_mix]\nsearch = \"lots\"\n");
    assert!(line.contains("line 3, column 10"), "{line}");
    assert!(line.contains("`event_mix.search`"), "{line}");
    assert!(line.trim_end().ends_with("write a number, e.g. 0.25"), "{line}");

    let line = refused(tmp.path(), "[actions]\nmax = -1\n");
    assert!(line.contains("`actions.max`"), "{line}");
    let line = refused(tmp.path(), "start = 2026-01-01\n");
    assert!(line.contains("`start`") && line.contains("\"2026-01-01\""), "{line}");
}

#[test]
fn an_unknown_key_is_refused_with_the_valid_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let line = refused(tmp.path(), "[event_mix]\nserch = 0.2\n");
    assert!(line.contains("`event_mix.serch`"), "{line}");
    assert!(line.contains("content_play, search, browse"), "{line}");
    assert!(line.contains("line 2, column 1"), "{line}");
    let line = refused(tmp.path(), "colour = 3\n");
    assert!(line.contains("`colour`") && line.contains("catalog_size"), "{line}");
}

#[test]
fn an_impossible_value_in_a_file_names_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let line = refused(tmp.path(), "seed = 3\n[event_mix]\nsearch = -2\n");
    assert!(line.contains("line 3, column 1"), "{line}");
    assert!(line.contains("`event_mix.search`"), "{line}");
}

#[test]
fn the_session_table_is_read_in_part_and_refused_by_its_dotted_keys() {
    let tmp = tempfile::tempdir().unwrap();
    // A partial [session] keeps the defaults of the rest, and a sub-table too.
    let config = Config::from_toml("[session]\nbinge = 0.9\n[session.after_search]\nend = 0.5\n").unwrap();
    let default = Config::default().session;
    assert_eq!(config.session.binge, 0.9);
    assert_eq!(config.session.after_search.end, 0.5);
    assert_eq!(config.session.after_search.search, default.after_search.search);
    assert_eq!(config.session.first, default.first);

    for (text, key, says) in [
        (
            "[session.first]\nend = 0.2\n",
            "`session.first.end`",
            "at least one event",
        ),
        (
            "[session]\nthink_seconds = 0\n",
            "`session.think_seconds`",
            "1 ..= 3600",
        ),
        (
            "[session]\ngap_minutes = 721\n",
            "`session.gap_minutes`",
            "0 ..= 720 minutes",
        ),
        (
            "[session]\nsearch_to_play = 1.5\n",
            "`session.search_to_play`",
            "0 ..= 1",
        ),
        (
            "[session.after_browse]\nbrowse = -1\n",
            "`session.after_browse.browse`",
            ">= 0",
        ),
        (
            "[session.after_browse]\nbrowze = 1\n",
            "`session.after_browse.browze`",
            "content_play, search, browse, end",
        ),
        ("[session]\nfirst = 2\n", "`session.first`", "write it as a table"),
    ] {
        let line = refused(tmp.path(), text);
        assert!(line.contains(key) && line.contains(says), "{text:?}: {line}");
    }
}

#[test]
fn the_lifecycle_table_is_read_in_part_and_refused_by_its_dotted_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config::from_toml("[lifecycle]\ncome_back = 0.1\n[lifecycle.churn_per_month]\nBasic = 0.2\n").unwrap();
    let default = Config::default().lifecycle;
    assert_eq!(config.lifecycle.come_back, 0.1);
    assert_eq!(config.lifecycle.churn_per_month.basic, 0.2);
    assert_eq!(
        config.lifecycle.churn_per_month.premium,
        default.churn_per_month.premium
    );
    assert_eq!(config.lifecycle.signups_per_month, default.signups_per_month);

    for (text, key, says) in [
        (
            "[lifecycle.churn_per_month]\nPremium = 1.5\n",
            "`lifecycle.churn_per_month.Premium`",
            "0 ..= 1",
        ),
        (
            "[lifecycle]\ncome_back_days = 0\n",
            "`lifecycle.come_back_days`",
            "1 ..= 3650",
        ),
        (
            "[lifecycle.churn_per_month]\nGold = 0.1\n",
            "`lifecycle.churn_per_month.Gold`",
            "Basic, Standard, Premium",
        ),
        (
            "[lifecycle]\nchurn_per_month = 2\n",
            "`lifecycle.churn_per_month`",
            "write it as a table",
        ),
    ] {
        let line = refused(tmp.path(), text);
        assert!(line.contains(key) && line.contains(says), "{text:?}: {line}");
    }
}

#[test]
fn flags_past_their_bounds_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let out_s = out.to_str().unwrap();
    for (flags, flag) in [
        (vec!["--days", "100000"], "--days"),
        (vec!["--days", "3661"], "--days"),
        (vec!["--start", "9999-12-31"], "--start"),
        (vec!["--start", "9999-12-30", "--days", "3"], "--start"),
        (vec!["--rows", "1_000_000_000_000_000"], "--rows"),
        (vec!["--rows", "100000000001"], "--rows"),
    ] {
        let mut args = vec!["generate", "--out", out_s];
        args.extend(flags.iter());
        let result = run(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{flags:?}: {stderr}");
        assert!(stderr.contains(flag), "{flags:?}: does not name {flag}: {stderr}");
        assert!(!out.exists(), "{flags:?} created the output folder");
    }
}

#[test]
fn the_bounds_themselves_are_accepted() {
    let last = Config {
        start: "9999-12-29".parse().unwrap(),
        days: 3,
        rows: customer_events::config::MAX_ROWS,
        ..Config::default()
    };
    last.validate().unwrap();
    let longest = Config {
        days: customer_events::config::MAX_DAYS,
        ..Config::default()
    };
    longest.validate().unwrap();
    let first = Config {
        start: "0001-01-01".parse().unwrap(),
        ..Config::default()
    };
    first.validate().unwrap();
}

/// One edit of the default config's text.
#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    SwapValues(usize, usize),
    SetValue(usize, String),
    InsertLine(usize, String),
    InsertChar(usize, char),
    Truncate(usize),
}

/// Values of every TOML type and some that are not TOML at all.
fn value() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'z', '0', '9', '-', '_', '.', '=', '"', '\'', '[', ']', '{', '}', ',', ' ', '\n', '#', 'é', '\u{0}',
    ]);
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        (0.0..2.0f64).prop_map(|f| f.to_string()),
        (0u32..100).prop_map(|n| n.to_string()),
        prop::collection::vec(chars.clone(), 0..12).prop_map(|c| c.into_iter().collect()),
        prop::collection::vec(chars, 0..12).prop_map(|c| format!("\"{}\"", c.into_iter().collect::<String>())),
        prop::sample::select(vec![
            "true",
            "[1, 2]",
            "{ min = 1 }",
            "{}",
            "[]",
            "2026-01-01",
            "\"2026-02-30\"",
            "\"9999-12-31\"",
            "\"0000-01-01\"",
            "nan",
            "-inf",
            "1e400",
            "0x10",
            "\"\"\"a\nb\"\"\"",
            "-0.0",
        ])
        .prop_map(str::to_string),
    ]
}

/// Lines to insert: assignments, table headers and nesting.
fn line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "seed",
        "rows",
        "days",
        "start",
        "users",
        "event_mix",
        "content_play",
        "min",
        "max",
        "US",
        "XX",
        "colour",
        "smartTV",
        "event_mix.search",
        "\"a\\nb\"",
        "countries.JP",
    ]);
    prop_oneof![
        (key.clone(), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        key.clone().prop_map(|k| format!("[{k}]")),
        key.clone().prop_map(|k| format!("[[{k}]]")),
        (key.clone(), key).prop_map(|(a, b)| format!("[{a}.{b}]")),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
        (any::<usize>(), value()).prop_map(|(i, v)| Mutation::SetValue(i, v)),
        (any::<usize>(), line()).prop_map(|(i, l)| Mutation::InsertLine(i, l)),
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| Mutation::InsertChar(i, c)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// The default config's text with `mutations` applied in order.
fn mutate(mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = DEFAULT_CONFIG_TOML.lines().map(str::to_string).collect();
    let mut cut: Option<usize> = None;
    let mut extra: Vec<(usize, char)> = Vec::new();
    let split = |line: &str| line.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()));
    for m in mutations {
        let n = lines.len().max(1);
        match m {
            Mutation::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Mutation::SwapValues(a, b) if !lines.is_empty() => {
                if let (Some((ka, va)), Some((kb, vb))) = (split(&lines[a % n]), split(&lines[b % n])) {
                    lines[a % n] = format!("{ka}={vb}");
                    lines[b % n] = format!("{kb}={va}");
                }
            }
            Mutation::SetValue(i, v) if !lines.is_empty() => {
                if let Some((k, _)) = split(&lines[i % n]) {
                    lines[i % n] = format!("{k}= {v}");
                }
            }
            Mutation::InsertLine(i, l) => lines.insert(i % (lines.len() + 1), l.clone()),
            Mutation::InsertChar(i, c) => extra.push((*i, *c)),
            Mutation::Truncate(i) => cut = Some(*i),
            _ => {}
        }
    }
    let mut text = lines.join("\n");
    for (i, c) in extra {
        let mut at = i % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert(at, c);
    }
    if let Some(i) = cut {
        let mut at = i % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the text, the parser returns a valid config or one
    /// `Error::Config` whose message is one line.
    #[test]
    fn no_config_text_panics_or_prints_more_than_one_line(mutations in prop::collection::vec(mutation(), 0..6)) {
        let text = mutate(&mutations);
        match Config::from_toml(&text).map_err(Error::from) {
            Ok(config) => prop_assert!(config.validate().is_ok()),
            Err(e @ Error::Config { .. }) => {
                let message = e.to_string();
                prop_assert!(!message.contains('\n') && !message.contains('\r'), "{message:?} from {text:?}");
                prop_assert!(!message.is_empty());
            }
            Err(other) => prop_assert!(false, "not a config error: {other:?} from {text:?}"),
        }
        let with_file = Config::from_toml_file(Path::new("fuzz.toml"), &text);
        if let Err(e) = with_file {
            prop_assert!(!e.to_string().contains('\n'));
            prop_assert!(e.to_string().starts_with("fuzz.toml") || e.to_string().starts_with("config key"));
        }
    }
}
