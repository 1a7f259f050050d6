//! The Delta Lake transaction log, written by hand: the schema string from
//! our one Arrow schema, the actions of a commit (protocol, metadata, an
//! `add` per file with its statistics from the file's own footer) and the
//! reading back of the newest metadata a table recorded. Only what a blind,
//! partitioned append needs (reader version 1, writer version 2); no
//! checkpoints, deletion vectors or table features.
//!
//! Why by hand: `delta_kernel`'s arrow-60 feature pulls `object_store` with
//! every cloud backend and needs an engine (tokio, or one implemented
//! here) to write, which costs more than these few hundred lines; a log
//! entry is newline-delimited JSON, checked in CI by the `deltalake` and
//! DuckDB readers.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use parquet::file::metadata::ParquetMetaDataReader;
use parquet::file::reader::ChunkReader;
use parquet::file::statistics::Statistics;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::table::store::TableStore;

/// The log's folder in a table.
pub const LOG_FOLDER: &str = "_delta_log";
/// The partition column.
pub const PARTITION_COLUMN: &str = "event_date";
/// The metadata key naming the tool that wrote a table.
pub const TOOL_KEY: &str = "customerEvents.tool";
/// The metadata key of the schema version of the table's rows.
pub const SCHEMA_VERSION_KEY: &str = "customerEvents.schemaVersion";

/// The path of version `version`'s commit.
pub fn commit_path(version: u64) -> String {
    format!("{LOG_FOLDER}/{version:020}.json")
}

/// The Delta type of an Arrow type, as JSON.
fn delta_type(data_type: &DataType) -> Value {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 => json!("string"),
        DataType::Int32 => json!("integer"),
        DataType::Int64 => json!("long"),
        DataType::Float64 => json!("double"),
        DataType::Boolean => json!("boolean"),
        DataType::Date32 => json!("date"),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => json!("timestamp"),
        DataType::Timestamp(TimeUnit::Microsecond, None) => json!("timestamp_ntz"),
        DataType::List(item) => json!({
            "type": "array",
            "elementType": delta_type(item.data_type()),
            "containsNull": item.is_nullable(),
        }),
        DataType::Struct(fields) => json!({
            "type": "struct",
            "fields": fields.iter().map(|f| delta_field(f)).collect::<Vec<_>>(),
        }),
        other => unreachable!("the event schema has no {other} column"),
    }
}

fn delta_field(field: &Field) -> Value {
    json!({
        "name": field.name(),
        "type": delta_type(field.data_type()),
        "nullable": field.is_nullable(),
        "metadata": {},
    })
}

/// The table's `schemaString`: `schema`'s columns, then the partition column.
pub fn schema_string(schema: &Schema) -> String {
    let mut fields: Vec<Value> = schema.fields().iter().map(|f| delta_field(f)).collect();
    fields.push(json!({"name": PARTITION_COLUMN, "type": "date", "nullable": true, "metadata": {}}));
    json!({"type": "struct", "fields": fields}).to_string()
}

/// A Delta timestamp statistic: milliseconds, as Delta writers give them,
/// `round_up` for a maximum so that the bound still holds every value.
fn timestamp_text(micros: i64, round_up: bool) -> String {
    let millis = if round_up {
        micros.div_euclid(1000) + i64::from(micros.rem_euclid(1000) != 0)
    } else {
        micros.div_euclid(1000)
    };
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// The `stats` of a Parquet file: the row count, and the minimum, maximum
/// and null count of every top-level column that is not a list or struct,
/// from the footer (the timestamp always; strings under
/// `--string-statistics`), the string bounds the footer lacks read back from
/// those columns of the file.
///
/// `open` opens the file (a local file, or an object read by ranges); it is
/// called again to read the string columns.
///
/// # Errors
/// [`Error::Io`] or [`Error::Parquet`] when the footer cannot be read.
pub fn file_stats<R: ChunkReader + 'static>(open: impl Fn() -> Result<R, Error>) -> Result<Value, Error> {
    let metadata = ParquetMetaDataReader::new().parse_and_finish(&open()?)?;
    let schema = metadata.file_metadata().schema_descr();
    let (mut min_values, mut max_values, mut null_count) = (Map::new(), Map::new(), Map::new());
    let mut unbounded_strings = Vec::new();
    for (leaf, column) in schema.columns().iter().enumerate() {
        let path = column.path().parts();
        if path.len() != 1 {
            continue;
        }
        let name = &path[0];
        let mut nulls = 0u64;
        let mut bounds: Option<(Value, Value)> = None;
        let mut complete = true;
        for group in metadata.row_groups() {
            let Some(stats) = group.column(leaf).statistics() else {
                complete = false;
                continue;
            };
            nulls += stats.null_count_opt().unwrap_or(0);
            let pair = match stats {
                Statistics::Int64(s) => s.min_opt().zip(s.max_opt()).map(|(lo, hi)| {
                    // The only top-level Int64 is the timestamp.
                    (json!(timestamp_text(*lo, false)), json!(timestamp_text(*hi, true)))
                }),
                Statistics::Int32(s) => s.min_opt().zip(s.max_opt()).map(|(lo, hi)| (json!(lo), json!(hi))),
                Statistics::ByteArray(s) => s.min_opt().zip(s.max_opt()).and_then(|(lo, hi)| {
                    Some((
                        json!(std::str::from_utf8(lo.data()).ok()?),
                        json!(std::str::from_utf8(hi.data()).ok()?),
                    ))
                }),
                _ => None,
            };
            match (pair, &mut bounds) {
                (None, _) => complete = false,
                (Some(pair), None) => bounds = Some(pair),
                (Some((lo, hi)), Some((min, max))) => {
                    if json_less(&lo, min) {
                        *min = lo;
                    }
                    if json_less(max, &hi) {
                        *max = hi;
                    }
                }
            }
        }
        null_count.insert(name.clone(), json!(nulls));
        match (complete, bounds) {
            (true, Some((min, max))) => {
                min_values.insert(name.clone(), min);
                max_values.insert(name.clone(), max);
            }
            // Strings have no footer statistics unless --string-statistics.
            _ if column.physical_type() == parquet::basic::Type::BYTE_ARRAY => unbounded_strings.push(leaf),
            _ => {}
        }
    }
    if !unbounded_strings.is_empty() {
        for (name, (min, max)) in string_bounds(open()?, &metadata, &unbounded_strings)? {
            min_values.insert(name.clone(), json!(min));
            max_values.insert(name, json!(max));
        }
    }
    Ok(json!({
        "numRecords": metadata.file_metadata().num_rows(),
        "minValues": min_values,
        "maxValues": max_values,
        "nullCount": null_count,
    }))
}

/// The minimum and maximum of the top-level string columns `leaves` of the
/// Parquet file `file`, read back from the file (only those columns).
fn string_bounds<R: ChunkReader + 'static>(
    file: R,
    metadata: &parquet::file::metadata::ParquetMetaData,
    leaves: &[usize],
) -> Result<BTreeMap<String, (String, String)>, Error> {
    use arrow::array::{Array, StringArray};
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let mask = ProjectionMask::leaves(metadata.file_metadata().schema_descr(), leaves.iter().copied());
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()?;
    let mut bounds: BTreeMap<String, (String, String)> = BTreeMap::new();
    for batch in reader {
        let batch = batch?;
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            let Some(strings) = column.as_any().downcast_ref::<StringArray>() else {
                continue;
            };
            let (Some(lo), Some(hi)) = (arrow::compute::min_string(strings), arrow::compute::max_string(strings))
            else {
                continue;
            };
            let entry = bounds
                .entry(field.name().clone())
                .or_insert_with(|| (lo.to_string(), hi.to_string()));
            if lo < entry.0.as_str() {
                entry.0 = lo.to_string();
            }
            if hi > entry.1.as_str() {
                entry.1 = hi.to_string();
            }
        }
    }
    Ok(bounds)
}

/// Orders two statistics of one column (numbers, or texts that compare
/// as strings: ISO timestamps do).
fn json_less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() < b.as_f64(),
        (Value::String(a), Value::String(b)) => a < b,
        _ => false,
    }
}

/// One data file of a commit.
#[derive(Debug)]
pub struct AddedFile {
    /// Path relative to the table's root.
    pub path: String,
    /// The day it holds.
    pub event_date: String,
    /// Bytes.
    pub size: u64,
    /// Milliseconds since the epoch.
    pub modification_time: i64,
    /// Its `stats`.
    pub stats: Value,
}

/// What a commit records about the table.
#[derive(Debug)]
pub struct TableMetadata {
    /// The table's id (a UUID, kept across versions).
    pub id: String,
    /// Milliseconds since the epoch when the table was created.
    pub created_time: i64,
    /// The `configuration`: string keys and values.
    pub configuration: BTreeMap<String, String>,
}

/// The newline-delimited JSON of a commit: `commitInfo`, the protocol (on
/// version 0), the metadata, then an `add` per file.
pub fn commit_text(
    version: u64,
    now_millis: i64,
    metadata: &TableMetadata,
    schema: &Schema,
    files: &[AddedFile],
) -> String {
    let mut lines = vec![json!({"commitInfo": {
        "timestamp": now_millis,
        "operation": if version == 0 { "CREATE TABLE AS SELECT" } else { "WRITE" },
        "operationParameters": {"mode": if version == 0 { "ErrorIfExists" } else { "Append" }, "partitionBy": "[\"event_date\"]"},
        "engineInfo": concat!("customer-events/", env!("CARGO_PKG_VERSION")),
        "isBlindAppend": version != 0,
    }})];
    if version == 0 {
        lines.push(json!({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}));
    }
    lines.push(json!({"metaData": {
        "id": metadata.id,
        "format": {"provider": "parquet", "options": {}},
        "schemaString": schema_string(schema),
        "partitionColumns": [PARTITION_COLUMN],
        "configuration": metadata.configuration,
        "createdTime": metadata.created_time,
    }}));
    for file in files {
        lines.push(json!({"add": {
            "path": file.path,
            "partitionValues": {PARTITION_COLUMN: file.event_date},
            "size": file.size,
            "modificationTime": file.modification_time,
            "dataChange": true,
            "stats": file.stats.to_string(),
        }}));
    }
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    text
}

/// A table's newest version and the newest metadata its log holds.
#[derive(Debug)]
pub struct LogState {
    /// The newest version.
    pub version: u64,
    /// The newest `metaData`.
    pub metadata: TableMetadata,
}

/// Reads the newest version of the log in `store` and its newest metadata;
/// `Ok(None)` when there is no log. `table` names the table in messages.
///
/// # Errors
/// [`Error::Output`] when the log cannot be appended to by this tool: a
/// protocol above reader 1 / writer 2, no metadata, or unreadable JSON.
pub fn read_log(store: &dyn TableStore, table: &Path) -> Result<Option<LogState>, Error> {
    let refuse = |message: String| Error::Output {
        path: table.to_path_buf(),
        message,
    };
    let mut versions: Vec<u64> = store
        .list(LOG_FOLDER)?
        .iter()
        .filter_map(|name| {
            let digits = name.strip_suffix(".json")?;
            (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse().ok())
                .flatten()
        })
        .collect();
    versions.sort_unstable();
    let Some(&newest) = versions.last() else {
        return Ok(None);
    };
    let mut metadata = None;
    for &version in versions.iter().rev() {
        let path = commit_path(version);
        let bytes = store.read(&path)?.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let action: Value =
                serde_json::from_str(line).map_err(|e| refuse(format!("{path} is not a Delta log entry ({e})")))?;
            if let Some(protocol) = action.get("protocol") {
                let reader = protocol["minReaderVersion"].as_u64().unwrap_or(u64::MAX);
                let writer = protocol["minWriterVersion"].as_u64().unwrap_or(u64::MAX);
                if reader > 1 || writer > 2 {
                    return Err(refuse(format!(
                        "its protocol (reader {reader}, writer {writer}) was upgraded by another tool; \
                         customer-events appends to reader 1 / writer 2 tables only"
                    )));
                }
            }
            if metadata.is_none()
                && let Some(m) = action.get("metaData")
            {
                let configuration = m["configuration"]
                    .as_object()
                    .map(|c| {
                        c.iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                metadata = Some(TableMetadata {
                    id: m["id"].as_str().unwrap_or_default().to_string(),
                    created_time: m["createdTime"].as_i64().unwrap_or(0),
                    configuration,
                });
            }
        }
    }
    let metadata = metadata.ok_or_else(|| refuse("its log holds no metadata".into()))?;
    Ok(Some(LogState {
        version: newest,
        metadata,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_string_carries_nesting_nullability_and_the_partition() {
        let schema: Value = serde_json::from_str(&schema_string(&crate::event_schema())).unwrap();
        let fields = schema["fields"].as_array().unwrap();
        let by_name = |name: &str| fields.iter().find(|f| f["name"] == name).unwrap().clone();
        assert_eq!(by_name("timestamp")["type"], "timestamp");
        assert_eq!(by_name("event_date")["type"], "date");
        let actions = by_name("user_action");
        assert_eq!(actions["type"]["type"], "array");
        assert_eq!(actions["type"]["elementType"]["type"], "struct");
        let subscription = by_name("user_subscription");
        let start = &subscription["type"]["fields"].as_array().unwrap()[1];
        assert_eq!(
            (start["name"].as_str(), start["type"].as_str()),
            (Some("start_date"), Some("date"))
        );
        assert_eq!(by_name("event_details")["nullable"], true);
    }

    #[test]
    fn timestamp_bounds_round_outwards_to_milliseconds() {
        assert_eq!(timestamp_text(1_500, false), "1970-01-01T00:00:00.001Z");
        assert_eq!(timestamp_text(1_500, true), "1970-01-01T00:00:00.002Z");
        assert_eq!(timestamp_text(2_000, true), "1970-01-01T00:00:00.002Z");
    }
}
