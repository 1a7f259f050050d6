//! Helpers shared by the integration tests: running the binary and reading
//! its Parquet output back with the parquet crate.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Runs `customer-events` with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_customer-events"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// Runs `customer-events` and asserts success; a complete dataset written
/// by `generate` must then pass `verify` too.
pub fn run_ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let folder = args.iter().position(|a| *a == "--out").and_then(|i| args.get(i + 1));
    // A part run leaves a dataset to verify only when it was the last part
    // and committed it.
    let complete = |folder: &str| !args.contains(&"--parts") || Path::new(folder).join("_SUCCESS").exists();
    // A lakehouse table has its log instead of a manifest; tests/delta.rs checks it.
    let complete = |folder: &str| !args.contains(&"--table") && complete(folder);
    if let (Some(&"generate"), Some(folder)) = (args.first(), folder)
        && *folder != "null:"
        && complete(folder)
    {
        let verified = run(&["verify", folder]);
        assert!(
            verified.status.success(),
            "verify {folder} after {args:?}: {}{}",
            String::from_utf8_lossy(&verified.stdout),
            String::from_utf8_lossy(&verified.stderr)
        );
    }
    out
}

/// Every file under `dir`, sorted by path.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path)
            } else {
                found.push(path)
            }
        }
    }
    found.sort();
    found
}

/// Every `.parquet` file under `dir`, sorted by path.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect()
}

/// Every file under `dir` (relative path, bytes), sorted.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    walk(dir)
        .into_iter()
        .map(|path| {
            (
                path.strip_prefix(dir).unwrap().to_string_lossy().to_string(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect()
}

/// Reads one Parquet file into batches.
pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    reader.collect::<Result<Vec<_>, _>>().unwrap()
}
