//! `customer-events verify`: passes on fresh datasets of every format and
//! names each kind of damage on its own line, with exit code 1.

use crate::common;

use std::fs;
use std::path::Path;

use common::{run, run_ok};

fn generate(out: &Path, extra: &[&str]) {
    let mut args = vec!["generate", "--rows", "20k", "--max-rows-per-file", "5k", "--quiet"];
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    run_ok(&args);
}

/// Runs `verify` on `out`: exit code and stdout lines.
fn verify(out: &Path) -> (Option<i32>, Vec<String>) {
    let output = run(&["verify", out.to_str().unwrap()]);
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(String::from)
        .collect();
    (output.status.code(), lines)
}

#[test]
fn fresh_datasets_of_every_format_pass() {
    let dir = tempfile::tempdir().unwrap();
    for (name, flags) in [
        ("parquet", &[][..]),
        ("ndjson-gzip", &["--format", "ndjson", "--compression", "gzip"][..]),
        ("ndjson-zstd", &["--format", "ndjson", "--compression", "zstd"][..]),
        ("arrow", &["--format", "arrow", "--compression", "lz4"][..]),
        ("normalized", &["--layout", "normalized"][..]),
    ] {
        let out = dir.path().join(name);
        generate(&out, flags);
        let (code, lines) = verify(&out);
        assert_eq!(code, Some(0), "{name}: {lines:?}");
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
    }
}

#[test]
fn every_kind_of_damage_is_named_on_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&out, &["--partition-by", "none"]);
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(files.len() >= 4, "{files:?}");
    assert!(manifest["files"][0]["crc32"].as_str().unwrap().len() == 8);

    // A flipped byte in the middle of a Parquet file.
    let flipped = out.join(files[0]);
    let mut bytes = fs::read(&flipped).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&flipped, bytes).unwrap();
    // A truncated file.
    let truncated = out.join(files[1]);
    let bytes = fs::read(&truncated).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    // A missing file, a foreign file, no _SUCCESS.
    fs::remove_file(out.join(files[2])).unwrap();
    fs::write(out.join("notes.txt"), b"mine").unwrap();
    fs::remove_file(out.join("_SUCCESS")).unwrap();

    let (code, lines) = verify(&out);
    assert_eq!(code, Some(1), "{lines:?}");
    let line_of = |path: &str, what: &str| {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{path}: ")) && l.contains(what)),
            "no line names {path} with {what:?}: {lines:?}"
        )
    };
    line_of(files[0], "CRC-32");
    line_of(files[1], "bytes, the manifest says");
    line_of(files[1], "Parquet footer");
    line_of(files[2], "missing");
    line_of("notes.txt", "not listed in the manifest");
    line_of("_SUCCESS", "missing");
    assert!(!lines.iter().any(|l| l.starts_with(files[3])), "{lines:?}");
}

#[test]
fn a_folder_without_a_manifest_is_unusable_input() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["verify", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("_manifest.json"));
}
