//! The sink seam: a format defined here, outside the crate, written through
//! the real engine (plan, workers, ordered writer, destinations, manifest),
//! and supported end to end: its manifest names it, `verify_with` counts its
//! rows, `--overwrite` and `--resume` recognize the files its killed runs staged.

use std::io::Write;
use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use customer_events::Cancel;
use customer_events::engine::Progress;
use customer_events::engine::{OutputOptions, generate_with};
use customer_events::sink::PartitionBy;
use customer_events::sink::destination::{Committed, Destination};
use customer_events::sink::format::{Batches, FileFormat, KnownFormat, TableSpec};
use customer_events::verify::{verify, verify_with};
use customer_events::{Compression, Config, Error, World};

/// A CSV-ish format: a header line with the table's first column name, then
/// that column's value for every row; each row group ends with a `# rows N`
/// line, so the files show how the engine cut and ordered the groups.
struct FirstColumn {
    header: String,
}

impl FileFormat for FirstColumn {
    type Input = Batches;
    type Building = Vec<u8>;
    type Group = Vec<u8>;
    type File = Box<dyn Destination>;

    const NAME: &'static str = "first-column";

    fn extension(_: Compression) -> &'static str {
        "txt"
    }

    /// The lines that are neither the header nor a `# rows` line.
    fn count_rows(path: &Path) -> Result<u64, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        Ok(text.lines().skip(1).filter(|l| !l.starts_with('#')).count() as u64)
    }

    fn new(table: &TableSpec) -> Result<Self, Error> {
        Ok(Self {
            header: table.schema.field(0).name().clone(),
        })
    }

    fn start(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }

    fn add(&self, lines: &mut Vec<u8>, batch: &RecordBatch, _share: bool) -> Result<(), Error> {
        for value in batch.column(0).as_string::<i32>().iter() {
            lines.extend_from_slice(value.unwrap_or("").as_bytes());
            lines.push(b'\n');
        }
        Ok(())
    }

    fn finish(&self, mut lines: Vec<u8>, _share: bool) -> Result<Vec<u8>, Error> {
        let rows = lines.iter().filter(|&&b| b == b'\n').count();
        lines.extend_from_slice(format!("# rows {rows}\n").as_bytes());
        Ok(lines)
    }

    fn group_bytes(group: &Vec<u8>) -> u64 {
        group.len() as u64
    }

    fn open(&self, mut destination: Box<dyn Destination>) -> Result<Box<dyn Destination>, Error> {
        writeln!(destination, "{}", self.header).map_err(|e| Error::io(destination.location(), e))?;
        Ok(destination)
    }

    fn append(&self, file: &mut Box<dyn Destination>, group: Vec<u8>) -> Result<(), Error> {
        file.write_all(&group).map_err(|e| Error::io(file.location(), e))
    }

    fn close(&self, file: Box<dyn Destination>) -> Result<Committed, Error> {
        file.commit()
    }
}

fn config() -> Config {
    Config {
        rows: 5_000,
        ..Config::default()
    }
}

fn options(out: &Path) -> OutputOptions {
    OutputOptions {
        partition_by: PartitionBy::None,
        max_rows_per_file: 2_000,
        row_group_rows: 700,
        threads: Some(3),
        ..OutputOptions::new(out)
    }
}

#[test]
fn a_format_defined_outside_the_crate_writes_a_whole_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let summary = generate_with::<FirstColumn>(config(), &options(&out), &(), &Cancel::new()).unwrap();

    // Three even files of 1,667 + 1,667 + 1,666 rows, in row order.
    let world = World::new(config()).unwrap();
    let mut first_row = 0;
    assert_eq!(summary.files.len(), 3);
    for (k, file) in summary.files.iter().enumerate() {
        assert_eq!(file.path, format!("part-{k:05}.txt"));
        let text = std::fs::read_to_string(out.join(&file.path)).unwrap();
        assert_eq!(file.bytes, text.len() as u64);

        let ids = world.record_batch(first_row..first_row + file.rows).unwrap();
        let mut expected = String::from("event_id\n");
        for (i, id) in ids.column(0).as_string::<i32>().iter().enumerate() {
            expected.push_str(id.unwrap());
            expected.push('\n');
            let in_group = i as u64 % 700;
            if in_group == 699 || i as u64 + 1 == file.rows {
                expected.push_str(&format!("# rows {}\n", in_group + 1));
            }
        }
        assert_eq!(text, expected, "{}", file.path);
        first_row += file.rows;
    }
    assert_eq!(first_row, 5_000);

    // The manifest lists the files with their rows and sizes; _SUCCESS closes the run.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["rows"], 5_000);
    let listed: Vec<(String, u64, u64)> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rows"].as_u64().unwrap(),
                f["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let written: Vec<(String, u64, u64)> = summary
        .files
        .iter()
        .map(|f| (f.path.clone(), f.rows, f.bytes))
        .collect();
    assert_eq!(listed, written);
    assert_eq!(std::fs::read(out.join("_SUCCESS")).unwrap(), b"");

    // Nothing else: no temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "_SUCCESS",
            "_manifest.json",
            "part-00000.txt",
            "part-00001.txt",
            "part-00002.txt"
        ]
    );

    // The null destination runs the same format and counts the same bytes.
    let null = generate_with::<FirstColumn>(config(), &options(Path::new("null:")), &(), &Cancel::new()).unwrap();
    assert!(null.files.is_empty());
    assert_eq!(null.bytes, summary.bytes);
}

/// A format whose files fail on their second row group.
struct FailsOnSecondGroup;

impl FileFormat for FailsOnSecondGroup {
    type Input = Batches;
    type Building = ();
    type Group = ();
    type File = (Box<dyn Destination>, u32);

    const NAME: &'static str = "fails-on-second-group";

    fn extension(_: Compression) -> &'static str {
        "txt"
    }

    fn count_rows(_: &Path) -> Result<u64, String> {
        Err("never complete".into())
    }

    fn new(_: &TableSpec) -> Result<Self, Error> {
        Ok(Self)
    }

    fn start(&self) -> Result<(), Error> {
        Ok(())
    }

    fn add(&self, _: &mut (), _: &RecordBatch, _: bool) -> Result<(), Error> {
        Ok(())
    }

    fn finish(&self, _: (), _: bool) -> Result<(), Error> {
        Ok(())
    }

    fn group_bytes(_: &()) -> u64 {
        0
    }

    fn open(&self, destination: Box<dyn Destination>) -> Result<Self::File, Error> {
        Ok((destination, 0))
    }

    fn append(&self, file: &mut Self::File, _: ()) -> Result<(), Error> {
        file.1 += 1;
        file.0.write_all(b"group\n").unwrap();
        if file.1 == 2 {
            return Err(Error::io(file.0.location(), std::io::Error::other("disk full")));
        }
        Ok(())
    }

    fn close(&self, file: Self::File) -> Result<Committed, Error> {
        file.0.commit()
    }
}

#[test]
fn a_failing_format_leaves_no_file_and_no_manifest_only_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let error = generate_with::<FailsOnSecondGroup>(config(), &options(&out), &(), &Cancel::new()).unwrap_err();
    assert!(error.to_string().contains("disk full"), "{error}");
    // Only the journal, which lists no file: `--resume` starts over.
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["_progress.jsonl"]);
    let journal = std::fs::read_to_string(out.join("_progress.jsonl")).unwrap();
    assert_eq!(journal.lines().count(), 1, "{journal}");
}

/// The dataset `out` holds, as its manifest lists it: (path, rows, bytes, crc32).
fn listed(out: &Path) -> Vec<(String, u64, u64, String)> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rows"].as_u64().unwrap(),
                f["bytes"].as_u64().unwrap(),
                f["crc32"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_manifest_names_an_outside_format_and_verify_with_counts_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate_with::<FirstColumn>(config(), &options(&out), &(), &Cancel::new()).unwrap();

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["output"]["format"], "first-column");
    assert_eq!(manifest["output"]["compression"], serde_json::Value::Null);
    let files = listed(&out);
    assert_eq!(files.len(), 3);
    assert!(files.iter().all(|f| f.0.ends_with(".txt")), "{files:?}");

    // Read by the format itself: intact.
    let first_column = KnownFormat::of::<FirstColumn>();
    assert_eq!(verify_with(&out, &[first_column]).unwrap(), []);
    // The built-in formats alone cannot read its files.
    let problems = verify(&out).unwrap();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].message.contains("unknown extension"), "{problems:?}");

    // Its count is the one the file holds: one value line less is one row less.
    let path = out.join("part-00001.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let (_, rest) = rest.split_once('\n').unwrap();
    std::fs::write(&path, format!("{header}\n{rest}")).unwrap();
    let messages: Vec<String> = verify_with(&out, &[first_column])
        .unwrap()
        .into_iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        messages.contains(&"part-00001.txt: 1666 rows, the manifest says 1667".to_string()),
        "{messages:?}"
    );
}

#[test]
fn an_outside_format_takes_only_its_own_codecs() {
    let dir = tempfile::tempdir().unwrap();
    let options = OutputOptions {
        compression: Some(Compression::Snappy),
        ..options(&dir.path().join("out"))
    };
    // `options.format` is Parquet, which takes snappy; the run's format does not.
    let error = generate_with::<FirstColumn>(config(), &options, &(), &Cancel::new()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--compression: snappy cannot be used with --format first-column; use none"
    );
}

#[test]
fn overwrite_removes_what_a_killed_run_of_an_outside_format_staged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate_with::<FirstColumn>(config(), &options(&out), &(), &Cancel::new()).unwrap();
    let written = listed(&out);
    // What a run killed while writing the second file leaves.
    std::fs::write(out.join(".part-00001.txt.deadrun.tmp"), b"event_id\npartial").unwrap();

    let again = OutputOptions {
        overwrite: true,
        ..options(&out)
    };
    generate_with::<FirstColumn>(config(), &again, &(), &Cancel::new()).unwrap();
    assert!(!out.join(".part-00001.txt.deadrun.tmp").exists());
    assert_eq!(listed(&out), written);
    assert_eq!(verify_with(&out, &[KnownFormat::of::<FirstColumn>()]).unwrap(), []);

    // With no manifest at all, its staged files alone are still this tool's.
    let bare = dir.path().join("bare");
    std::fs::create_dir(&bare).unwrap();
    std::fs::write(bare.join(".part-00000.txt.deadrun.tmp"), b"event_id\n").unwrap();
    generate_with::<FirstColumn>(
        config(),
        &OutputOptions {
            overwrite: true,
            ..options(&bare)
        },
        &(),
        &Cancel::new(),
    )
    .unwrap();
    assert!(!bare.join(".part-00000.txt.deadrun.tmp").exists());
    assert_eq!(listed(&bare), written);
}

/// Cancels its run once `after` rows are written.
struct CancelAfter<'a> {
    cancel: &'a Cancel,
    after: u64,
    rows: std::sync::atomic::AtomicU64,
}

impl Progress for CancelAfter<'_> {
    fn advance(&self, rows: u64, _: u64) {
        let total = self.rows.fetch_add(rows, std::sync::atomic::Ordering::SeqCst) + rows;
        if total >= self.after {
            self.cancel.cancel();
        }
    }
}

#[test]
fn resume_removes_what_a_killed_run_of_an_outside_format_staged() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    generate_with::<FirstColumn>(config(), &options(&whole), &(), &Cancel::new()).unwrap();

    // A run stopped after its first file, then killed while staging the last.
    let out = dir.path().join("out");
    let cancel = Cancel::new();
    let progress = CancelAfter {
        cancel: &cancel,
        after: 1_700,
        rows: 0.into(),
    };
    let options_one = OutputOptions {
        threads: Some(1),
        ..options(&out)
    };
    generate_with::<FirstColumn>(config(), &options_one, &progress, &cancel).unwrap_err();
    assert!(out.join("_progress.jsonl").exists());
    assert!(out.join("part-00000.txt").exists());
    std::fs::write(out.join(".part-00002.txt.deadrun.tmp"), b"event_id\npartial").unwrap();

    let resume = OutputOptions {
        resume: true,
        ..options(&out)
    };
    generate_with::<FirstColumn>(config(), &resume, &(), &Cancel::new()).unwrap();
    assert!(!out.join(".part-00002.txt.deadrun.tmp").exists());
    assert_eq!(listed(&out), listed(&whole));
    assert_eq!(verify_with(&out, &[KnownFormat::of::<FirstColumn>()]).unwrap(), []);
}
