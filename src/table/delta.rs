//! The Delta Lake transaction log, written by hand: the schema string from
//! our one Arrow schema, the actions of a commit (protocol, metadata, an
//! `add` per file with its statistics from the file's own footer) and the
//! reading back of a table's state (its newest metadata and the files it
//! holds) from its newest checkpoint and the commits after it, and the
//! classic Parquet checkpoint written every `delta.checkpointInterval`
//! versions. Only what a blind, partitioned append needs (reader version 1,
//! writer version 2); no deletion vectors or table features.
//!
//! Why by hand: `delta_kernel`'s arrow-60 feature pulls `object_store` with
//! every cloud backend and needs an engine (tokio, or one implemented
//! here) to write, which costs more than these few hundred lines; a log
//! entry is newline-delimited JSON, and a checkpoint is those same actions
//! decoded by arrow's JSON reader into the protocol's checkpoint columns and
//! written by the parquet crate we already use; both are checked in CI by
//! the `deltalake`, polars and DuckDB readers.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use serde_json::{Value, json};

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

/// The table property naming how many versions lie between checkpoints.
pub const CHECKPOINT_INTERVAL_KEY: &str = "delta.checkpointInterval";
/// Versions between checkpoints when a table does not say (Delta's default).
pub const DEFAULT_CHECKPOINT_INTERVAL: u64 = 10;
/// The hint naming a table's newest checkpoint.
pub const LAST_CHECKPOINT: &str = "_delta_log/_last_checkpoint";

/// The path of version `version`'s classic (single-file) checkpoint.
pub fn checkpoint_path(version: u64) -> String {
    format!("{LOG_FOLDER}/{version:020}.checkpoint.parquet")
}

/// The version a log file named `name` belongs to, when it is a commit
/// (`suffix` `.json`) or a classic checkpoint (`.checkpoint.parquet`).
fn version_of(name: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_suffix(suffix)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The checkpoint interval a table's `configuration` sets (a positive
/// integer), or Delta's default.
pub fn checkpoint_interval(configuration: &BTreeMap<String, String>) -> u64 {
    configuration
        .get(CHECKPOINT_INTERVAL_KEY)
        .and_then(|text| text.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_CHECKPOINT_INTERVAL)
}

/// A table at one version: its protocol and newest metadata, the files it
/// holds and what a checkpoint carries besides. Actions are kept as the
/// JSON objects of the log (`{"path": …, "size": …}` for an `add`), whether
/// they were read from a commit or a checkpoint.
#[derive(Debug, Default)]
pub struct TableState {
    /// The version.
    pub version: u64,
    /// The checkpoint the state was read from (then only later commits were
    /// replayed); `None` when every commit was.
    pub checkpoint: Option<u64>,
    /// The newest `protocol` (null when the log holds none).
    pub protocol: Value,
    /// The newest `metaData`.
    pub metadata: Value,
    /// The files the table holds: their path, and the `add` that added them.
    pub files: BTreeMap<String, Value>,
    /// Files removed and not added again: their path, and the `remove`.
    pub removed: BTreeMap<String, Value>,
    /// The newest `txn` of each application.
    pub transactions: BTreeMap<String, Value>,
}

impl TableState {
    /// Applies one action of a commit or checkpoint (`{"add": {…}}`, …);
    /// others (`commitInfo`, …) change nothing a reader plans with.
    fn apply(&mut self, action: &Value) {
        let path = |a: &Value| a["path"].as_str().unwrap_or_default().to_string();
        if let Some(add) = action.get("add").filter(|a| a.is_object()) {
            self.removed.remove(&path(add));
            self.files.insert(path(add), add.clone());
        } else if let Some(remove) = action.get("remove").filter(|a| a.is_object()) {
            self.files.remove(&path(remove));
            self.removed.insert(path(remove), remove.clone());
        } else if let Some(metadata) = action.get("metaData").filter(|a| a.is_object()) {
            self.metadata = metadata.clone();
        } else if let Some(protocol) = action.get("protocol").filter(|a| a.is_object()) {
            self.protocol = protocol.clone();
        } else if let Some(txn) = action.get("txn").filter(|a| a.is_object()) {
            let app = txn["appId"].as_str().unwrap_or_default().to_string();
            self.transactions.insert(app, txn.clone());
        }
    }

    /// The protocol's reader and writer versions.
    pub fn protocol_versions(&self) -> (u64, u64) {
        let version = |key: &str| self.protocol[key].as_u64().unwrap_or(u64::MAX);
        (version("minReaderVersion"), version("minWriterVersion"))
    }

    /// The newest metadata, as a commit of this tool records it.
    pub fn table_metadata(&self) -> TableMetadata {
        let metadata = &self.metadata;
        TableMetadata {
            id: metadata["id"].as_str().unwrap_or_default().to_string(),
            created_time: metadata["createdTime"].as_i64().unwrap_or(0),
            configuration: metadata["configuration"]
                .as_object()
                .map(|c| {
                    c.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The actions a checkpoint of this state holds, one JSON object each:
    /// the protocol, the metadata, the applications' transactions, the
    /// files, then the tombstones.
    fn checkpoint_actions(&self) -> Vec<Value> {
        let mut actions = vec![json!({"protocol": self.protocol}), json!({"metaData": self.metadata})];
        actions.extend(self.transactions.values().map(|txn| json!({"txn": txn})));
        actions.extend(self.files.values().map(|add| json!({"add": add})));
        actions.extend(self.removed.values().map(|remove| json!({"remove": remove})));
        actions
    }
}

/// Reads the table in `store` as of its newest version, or as of version
/// `upto` when given: from the newest classic checkpoint at or before it,
/// then the commits after that checkpoint, in order. `Ok(None)` when there
/// is no log. `table` names the table in messages.
///
/// Checkpoints are found by listing the log, not by `_last_checkpoint`: the
/// listing is needed for the newest commit anyway, and it also finds a
/// checkpoint whose hint a crash kept from being written.
///
/// # Errors
/// [`Error::Output`] when the log cannot be read as a Delta log: a missing
/// commit after the checkpoint, no metadata, unreadable JSON or an
/// unreadable checkpoint.
pub fn read_log(store: &dyn TableStore, table: &Path, upto: Option<u64>) -> Result<Option<TableState>, Error> {
    let refuse = |message: String| Error::Output {
        path: table.to_path_buf(),
        message,
    };
    let within = |version: &u64| upto.is_none_or(|upto| *version <= upto);
    let names = store.list(LOG_FOLDER)?;
    let commits: std::collections::BTreeSet<u64> = names
        .iter()
        .filter_map(|n| version_of(n, ".json"))
        .filter(within)
        .collect();
    let checkpoints: std::collections::BTreeSet<u64> = names
        .iter()
        .filter_map(|n| version_of(n, ".checkpoint.parquet"))
        .filter(within)
        .collect();
    let Some(newest) = commits.last().max(checkpoints.last()).copied() else {
        return Ok(None);
    };
    let mut state = TableState::default();
    let mut next = 0;
    if let Some(&checkpoint) = checkpoints.last() {
        let path = checkpoint_path(checkpoint);
        let bytes = store
            .read(&path)?
            .ok_or_else(|| refuse(format!("{path} went missing while read")))?;
        let actions = read_checkpoint(bytes).map_err(|e| refuse(format!("{path} is not a Delta checkpoint ({e})")))?;
        for action in &actions {
            state.apply(action);
        }
        state.checkpoint = Some(checkpoint);
        next = checkpoint + 1;
    }
    for version in next..=newest {
        let path = commit_path(version);
        let bytes = store.read(&path)?.ok_or_else(|| {
            refuse(format!(
                "its log goes up to version {newest} but has no {path} and no checkpoint that \
                 covers it: the log is incomplete (restore the missing file)"
            ))
        })?;
        for line in String::from_utf8_lossy(&bytes).lines().filter(|l| !l.trim().is_empty()) {
            let action: Value =
                serde_json::from_str(line).map_err(|e| refuse(format!("{path} is not a Delta log entry ({e})")))?;
            state.apply(&action);
        }
    }
    state.version = newest;
    if !state.metadata.is_object() {
        return Err(refuse("its log holds no metadata".into()));
    }
    Ok(Some(state))
}

/// The columns of a classic checkpoint, as the Delta protocol gives them
/// (the fields this tool and the readers use; every one nullable, as Spark
/// writes them): one row per action, with one column set.
pub fn checkpoint_schema() -> Schema {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let long = |name: &str| Field::new(name, DataType::Int64, true);
    let flag = |name: &str| Field::new(name, DataType::Boolean, true);
    let map = |name: &str| {
        Field::new_map(
            name,
            "key_value",
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
            false,
            true,
        )
    };
    let group = |name: &str, fields: Vec<Field>| Field::new(name, DataType::Struct(fields.into()), true);
    let strings = Field::new(
        "partitionColumns",
        DataType::List(std::sync::Arc::new(Field::new("element", DataType::Utf8, true))),
        true,
    );
    Schema::new(vec![
        group("txn", vec![text("appId"), long("version"), long("lastUpdated")]),
        group(
            "add",
            vec![
                text("path"),
                map("partitionValues"),
                long("size"),
                long("modificationTime"),
                flag("dataChange"),
                text("stats"),
                map("tags"),
            ],
        ),
        group(
            "remove",
            vec![
                text("path"),
                long("deletionTimestamp"),
                flag("dataChange"),
                flag("extendedFileMetadata"),
                map("partitionValues"),
                long("size"),
                map("tags"),
            ],
        ),
        group(
            "metaData",
            vec![
                text("id"),
                text("name"),
                text("description"),
                group("format", vec![text("provider"), map("options")]),
                text("schemaString"),
                strings,
                map("configuration"),
                long("createdTime"),
            ],
        ),
        group(
            "protocol",
            vec![
                Field::new("minReaderVersion", DataType::Int32, true),
                Field::new("minWriterVersion", DataType::Int32, true),
            ],
        ),
    ])
}

/// The Parquet bytes of a checkpoint of `state`, in [`checkpoint_schema`]:
/// the actions, as JSON objects, decoded into its columns by arrow's JSON
/// reader (fields it does not have are left out), written by the parquet
/// crate with snappy pages; and its rows (one per action), which
/// `_last_checkpoint` records as its `size`.
///
/// # Errors
/// [`Error::Arrow`] or [`Error::Parquet`] when it cannot be encoded.
pub fn checkpoint_bytes(state: &TableState) -> Result<(Vec<u8>, usize), Error> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;

    let schema = std::sync::Arc::new(checkpoint_schema());
    let actions = state.checkpoint_actions();
    let mut lines = Vec::new();
    for action in &actions {
        serde_json::to_writer(&mut lines, action).expect("JSON values serialize");
        lines.push(b'\n');
    }
    let reader = arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(8192)
        .build(std::io::Cursor::new(lines))?;
    let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema, Some(properties))?;
    for batch in reader {
        writer.write(&batch?)?;
    }
    Ok((writer.into_inner()?, actions.len()))
}

/// The actions of the checkpoint `bytes` (any classic checkpoint, this
/// tool's or another writer's), as JSON objects, one per row, with its null
/// columns left out.
fn read_checkpoint(bytes: Vec<u8>) -> Result<Vec<Value>, Error> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))?.build()?;
    let mut writer = arrow::json::LineDelimitedWriter::new(Vec::new());
    for batch in reader {
        writer.write(&batch?)?;
    }
    writer.finish()?;
    let text = writer.into_inner();
    text.split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            serde_json::from_slice(line).map_err(|e| Error::Arrow(arrow::error::ArrowError::JsonError(e.to_string())))
        })
        .collect()
}

/// After version `version` was committed with `configuration`: when the
/// table's checkpoint interval divides it, writes its checkpoint, then
/// points `_last_checkpoint` at it, and returns the version. The hint is
/// written only once the checkpoint is whole (readers refuse a hint naming a
/// missing checkpoint) and never moves back; a crash in between leaves a
/// table that reads the same, from the commits.
///
/// # Errors
/// As [`read_log`], and [`Error::Io`] when the checkpoint cannot be written.
pub fn checkpoint_if_due(
    store: &dyn TableStore,
    table: &Path,
    version: u64,
    configuration: &BTreeMap<String, String>,
) -> Result<Option<u64>, Error> {
    if version == 0 || !version.is_multiple_of(checkpoint_interval(configuration)) {
        return Ok(None);
    }
    write_checkpoint(store, table, version)?;
    Ok(Some(version))
}

/// Writes the checkpoint of version `version` (unless one is there) and
/// points `_last_checkpoint` at it (unless it names a later one).
///
/// # Errors
/// As [`checkpoint_if_due`].
pub fn write_checkpoint(store: &dyn TableStore, table: &Path, version: u64) -> Result<(), Error> {
    let state = read_log(store, table, Some(version))?.ok_or_else(|| Error::Output {
        path: table.to_path_buf(),
        message: format!("has no version {version} to checkpoint"),
    })?;
    let (bytes, rows) = checkpoint_bytes(&state)?;
    store.put_if_absent(&checkpoint_path(version), &bytes)?;
    let hinted = store
        .read(LAST_CHECKPOINT)?
        .and_then(|hint| serde_json::from_slice::<Value>(&hint).ok())
        .and_then(|hint| hint["version"].as_u64());
    if hinted.is_none_or(|hinted| hinted < version) {
        let hint = json!({
            "version": version,
            "size": rows,
            "sizeInBytes": bytes.len(),
            "numOfAddFiles": state.files.len(),
        });
        store.put(LAST_CHECKPOINT, hint.to_string().as_bytes())?;
    }
    Ok(())
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

    /// A checkpoint read back gives the state it was written from: files,
    /// tombstones, transactions, metadata and protocol, every field kept.
    #[test]
    fn a_checkpoint_reads_back_as_the_state_it_holds() {
        let mut state = TableState::default();
        let actions = [
            json!({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}),
            json!({"metaData": {"id": "x", "format": {"provider": "parquet", "options": {}},
                "schemaString": schema_string(&crate::event_schema()), "partitionColumns": ["event_date"],
                "configuration": {"delta.checkpointInterval": "10", "k": "v"}, "createdTime": 5}}),
            json!({"add": {"path": "event_date=2026-01-01/a.parquet", "partitionValues": {"event_date": "2026-01-01"},
                "size": 10, "modificationTime": 7, "dataChange": true, "stats": "{\"numRecords\":3}"}}),
            json!({"add": {"path": "event_date=2026-01-02/b.parquet", "partitionValues": {"event_date": "2026-01-02"},
                "size": 11, "modificationTime": 8, "dataChange": true, "stats": "{\"numRecords\":4}"}}),
            json!({"remove": {"path": "event_date=2026-01-01/a.parquet", "deletionTimestamp": 9, "dataChange": true}}),
            json!({"txn": {"appId": "stream", "version": 3, "lastUpdated": 9}}),
        ];
        for action in &actions {
            state.apply(action);
        }
        assert_eq!(state.files.len(), 1);
        let mut read = TableState::default();
        for action in read_checkpoint(checkpoint_bytes(&state).unwrap().0).unwrap() {
            read.apply(&action);
        }
        assert_eq!(read.protocol, state.protocol);
        assert_eq!(read.metadata, state.metadata);
        assert_eq!(read.files, state.files);
        assert_eq!(read.removed, state.removed);
        assert_eq!(read.transactions, state.transactions);
        assert_eq!(checkpoint_interval(&read.table_metadata().configuration), 10);
    }

    #[test]
    fn the_interval_is_the_tables_or_ten() {
        let mut configuration = BTreeMap::new();
        assert_eq!(checkpoint_interval(&configuration), 10);
        configuration.insert(CHECKPOINT_INTERVAL_KEY.to_string(), "3".to_string());
        assert_eq!(checkpoint_interval(&configuration), 3);
        configuration.insert(CHECKPOINT_INTERVAL_KEY.to_string(), "0".to_string());
        assert_eq!(checkpoint_interval(&configuration), 10);
    }
}
