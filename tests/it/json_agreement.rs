//! The JSON renderers agree: nested NDJSON and `sample` (serde) and the
//! normalized layout's NDJSON (arrow-json) write every field as the same
//! text, timestamps included, and that text is the Parquet file's value.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType, UInt32Type, UInt64Type,
};
use chrono::{DateTime, NaiveDate, SecondsFormat};
use customer_events::engine::{OutputOptions, generate};
use customer_events::sink::{Format, Layout, PartitionBy};
use customer_events::{Config, World};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

const ROWS: u64 = 3_000;

fn config() -> Config {
    Config {
        rows: ROWS,
        ..Config::default()
    }
}

fn write(out: &Path, format: Format, layout: Layout) {
    let options = OutputOptions {
        format,
        layout,
        partition_by: PartitionBy::None,
        row_group_rows: 1_000,
        ..OutputOptions::new(out)
    };
    generate(config(), &options, &(), &customer_events::Cancel::new()).unwrap();
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A Parquet file's rows as JSON values, each value rendered here from the
/// Arrow value the parquet crate decodes (not by either renderer).
fn parquet_rows(path: &Path) -> Vec<Value> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch: RecordBatch = batch.unwrap();
        let fields = batch.schema().fields().clone();
        for i in 0..batch.num_rows() {
            let object = fields
                .iter()
                .zip(batch.columns())
                .map(|(f, c)| (f.name().clone(), value(c.as_ref(), i)))
                .collect();
            rows.push(Value::Object(object));
        }
    }
    rows
}

/// RFC 3339 in UTC with microseconds and `Z`: what DuckDB and Spark read as a timestamp.
fn timestamp_text(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn value(array: &dyn Array, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => Value::from(array.as_string::<i32>().value(i)),
        DataType::Boolean => Value::from(array.as_boolean().value(i)),
        DataType::Int32 => Value::from(array.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => Value::from(array.as_primitive::<Int64Type>().value(i)),
        DataType::UInt32 => Value::from(array.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => Value::from(array.as_primitive::<UInt64Type>().value(i)),
        DataType::Float64 => Value::from(array.as_primitive::<Float64Type>().value(i)),
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(i);
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(days as u64);
            Value::from(date.format("%Y-%m-%d").to_string())
        }
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC" => Value::from(timestamp_text(
            array.as_primitive::<TimestampMicrosecondType>().value(i),
        )),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(i);
            Value::Array((0..items.len()).map(|k| value(items.as_ref(), k)).collect())
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            Value::Object(
                fields
                    .iter()
                    .zip(s.columns())
                    .map(|(f, c)| (f.name().clone(), value(c.as_ref(), i)))
                    .collect(),
            )
        }
        other => panic!("no JSON rendering for {other}"),
    }
}

#[derive(Default)]
struct Tally {
    leaves: usize,
    timestamps: usize,
    /// Timestamps on a whole millisecond, which arrow-json's default (`AutoSi`) would shorten.
    whole_milliseconds: usize,
}

/// Compares `actual` (`line`, parsed) with `expected` field by field, by
/// each leaf's JSON text. A key missing from `actual` stands for null
/// (arrow-json omits null fields; serde writes them). serde_json parses a
/// float to within a unit in the last place only, so a float's text is
/// looked up in `line` itself, after its key.
fn compare(expected: &Value, actual: Option<&Value>, line: &str, path: &str, tally: &mut Tally) {
    match expected {
        Value::Object(fields) => {
            let actual = actual
                .and_then(Value::as_object)
                .unwrap_or_else(|| panic!("{path}: not an object"));
            for key in actual.keys() {
                assert!(fields.contains_key(key), "{path}.{key}: not in the Parquet file");
            }
            for (key, field) in fields {
                compare(field, actual.get(key), line, &format!("{path}.{key}"), tally);
            }
        }
        Value::Array(items) => {
            let actual = actual
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{path}: not a list"));
            assert_eq!(items.len(), actual.len(), "{path}: list lengths");
            for (k, (e, a)) in items.iter().zip(actual).enumerate() {
                compare(e, Some(a), line, &format!("{path}[{k}]"), tally);
            }
        }
        leaf => {
            let actual = actual.unwrap_or(&Value::Null);
            if leaf.is_f64() {
                let key = path.rsplit('.').next().unwrap();
                let text = format!("\"{key}\":{leaf}");
                let found = line
                    .match_indices(&text)
                    .any(|(at, _)| matches!(line.as_bytes().get(at + text.len()), Some(b',' | b'}')));
                assert!(found, "{path}: {text} not in {line}");
                let (e, a) = (leaf.as_f64().unwrap(), actual.as_f64().unwrap());
                assert!((e - a).abs() <= e.abs() * 1e-15, "{path}: {e} against {a}");
            } else {
                assert_eq!(leaf.to_string(), actual.to_string(), "{path}");
            }
            tally.leaves += 1;
            if path.ends_with("timestamp") || path.ends_with(".start_date") {
                assert!(leaf.is_string(), "{path}: a date or time is text");
            }
            if path.ends_with("timestamp") {
                tally.timestamps += 1;
                if leaf.as_str().is_some_and(|t| t.ends_with("000Z")) {
                    tally.whole_milliseconds += 1;
                }
            }
        }
    }
}

/// Every NDJSON file of `json` against its Parquet twin in `parquet`.
fn compare_folders(parquet: &Path, json: &Path) -> Tally {
    let mut tally = Tally::default();
    let parquet_files = files(parquet, ".parquet");
    assert!(!parquet_files.is_empty());
    for parquet_file in parquet_files {
        let relative = parquet_file.strip_prefix(parquet).unwrap().with_extension("ndjson");
        let text = std::fs::read_to_string(json.join(&relative)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let expected = parquet_rows(&parquet_file);
        assert_eq!(lines.len(), expected.len(), "{relative:?}: rows");
        for (row, (line, expected)) in lines.iter().zip(&expected).enumerate() {
            let actual: Value = serde_json::from_str(line).unwrap();
            let path = format!("{}:{row}", relative.display());
            compare(expected, Some(&actual), line, &path, &mut tally);
        }
    }
    tally
}

#[test]
fn every_json_renderer_writes_the_parquet_values_as_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let folder = |name: &str| dir.path().join(name);
    write(&folder("nested.parquet"), Format::Parquet, Layout::Nested);
    write(&folder("nested.ndjson"), Format::Ndjson, Layout::Nested);
    write(&folder("normalized.parquet"), Format::Parquet, Layout::Normalized);
    write(&folder("normalized.ndjson"), Format::Ndjson, Layout::Normalized);

    let nested = compare_folders(&folder("nested.parquet"), &folder("nested.ndjson"));
    let normalized = compare_folders(&folder("normalized.parquet"), &folder("normalized.ndjson"));
    for (name, tally) in [("nested", &nested), ("normalized", &normalized)] {
        assert!(tally.leaves > 40 * ROWS as usize, "{name}: {} leaves", tally.leaves);
        assert!(
            tally.timestamps > ROWS as usize,
            "{name}: {} timestamps",
            tally.timestamps
        );
        // The case where the renderers used to disagree is covered.
        assert!(
            tally.whole_milliseconds > 0,
            "{name}: no timestamp on a whole millisecond"
        );
    }

    // `sample` prints the serde rendering of each event: the nested NDJSON lines.
    let world = World::new(config()).unwrap();
    let text = std::fs::read_to_string(folder("nested.ndjson").join("part-00000.ndjson")).unwrap();
    for (row, line) in text.lines().enumerate() {
        assert_eq!(
            line,
            serde_json::to_string(&world.event(row as u64)).unwrap(),
            "row {row}"
        );
    }
}
