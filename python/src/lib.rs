//! `customer_events._native`, the extension module of the `customer_events`
//! Python package: one event as a dict, the schema, a row range of a dataset
//! as a `pyarrow.RecordBatchReader` (zero-copy, through the Arrow C stream
//! interface), a whole dataset written as the command line writes it, and
//! the row groups a Spark data source splits a dataset by. Generation runs
//! without the GIL; the Python package (`python/customer_events/`) wraps
//! these functions with its documented, typed API.

mod options;
mod reader;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use arrow::pyarrow::{IntoPyArrow, ToPyArrow};
use arrow::record_batch::RecordBatchReader;
use customer_events::config::{FAULT_PRESETS, FaultsConfig};
use customer_events::engine::{self, OutputOptions};
use customer_events::schema_formats::SchemaFormat;
use customer_events::sink::{Format, Layout, PartitionBy, plan_files};
use customer_events::{Cancel, Compression, Config, Error};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use options::{DatasetKeywords, bad, count, positive, to_py_err};
use reader::{BatchReader, batch_schema, world};

/// The next row of the default world for calls without an index.
static NEXT_EVENT: AtomicU64 = AtomicU64::new(0);

/// The refusal of a config with faults by `what` (the batches and their
/// plan, which the Spark source reads, are clean events).
fn refuse_faults(config: &Config, what: &str) -> PyResult<()> {
    if config.faults.is_off() {
        return Ok(());
    }
    Err(bad(
        "config",
        format!("{what}; faults ([faults]) are written by generate(…) only (docs/faults.md)"),
    ))
}

/// The event at row `index` of a dataset, as a dict with the original
/// module's keys (a JSON round trip through Python's `json`).
#[pyfunction]
#[pyo3(signature = (seed=None, index=None, *, rows=None, config=None))]
fn generate_consumer_event_data<'py>(
    py: Python<'py>,
    seed: Option<Bound<'py, PyAny>>,
    index: Option<Bound<'py, PyAny>>,
    rows: Option<Bound<'py, PyAny>>,
    config: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let keywords = DatasetKeywords {
        rows,
        seed,
        config,
        ..Default::default()
    };
    let config = keywords.resolve()?;
    let rows = config.rows;
    let index = match &index {
        Some(index) => count("index", index)?,
        None => NEXT_EVENT.fetch_add(1, Ordering::Relaxed) % rows,
    };
    if index >= rows {
        return Err(bad(
            "index",
            format!("{index} is outside the dataset's {rows} rows (pass rows= for a larger dataset)"),
        ));
    }
    let json = py.detach(|| -> Result<String, Error> {
        let world = world(config)?;
        Ok(serde_json::to_string(&world.event(index)).expect("events serialize"))
    });
    let json = json.map_err(to_py_err)?;
    py.import("json")?.call_method1("loads", (json,))
}

/// The faults preset `name` (`faults=`), or none.
fn faults_preset(name: Option<&str>) -> PyResult<FaultsConfig> {
    match name {
        None => Ok(FaultsConfig::NONE),
        Some(name) => FaultsConfig::preset(name)
            .ok_or_else(|| bad("faults", format!("'{name}' is not one of {}", FAULT_PRESETS.join(", ")))),
    }
}

/// The Arrow schema of the events (with `event_date` last when asked); with
/// `faults`, of a dataset `generate(…, faults=…)` writes (missing values
/// make `user_id`, `timestamp` and `location.country` nullable).
#[pyfunction]
#[pyo3(signature = (*, event_date=false, faults=None))]
fn schema<'py>(py: Python<'py>, event_date: bool, faults: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    let missing_values = faults_preset(faults)?.missing_values > 0.0;
    batch_schema(event_date, missing_values).as_ref().to_pyarrow(py)
}

/// The schema in one of `customer-events schema`'s forms (`spark`, `spark-ddl`, `duckdb`, …);
/// with `faults`, as `customer-events schema --faults` prints it.
#[pyfunction]
#[pyo3(signature = (form, *, faults=None))]
fn schema_text(form: &str, faults: Option<&str>) -> PyResult<String> {
    let form: SchemaFormat = form.parse().map_err(|message| bad("form", message))?;
    let missing_values = faults_preset(faults)?.missing_values > 0.0;
    Ok(form.render(&customer_events::schema::event_schema_of(missing_values)))
}

/// Rows `first_row .. first_row + count` of the dataset of `rows` events as a
/// `pyarrow.RecordBatchReader`.
#[pyfunction]
#[pyo3(signature = (
    rows, *, first_row=None, count=None, seed=None, start=None, days=None, users=None,
    catalog_size=None, events_per_day=None, config=None, batch_rows=None, event_date=false, threads=None
))]
#[allow(clippy::too_many_arguments)]
fn record_batches<'py>(
    py: Python<'py>,
    rows: Option<Bound<'py, PyAny>>,
    first_row: Option<Bound<'py, PyAny>>,
    count: Option<Bound<'py, PyAny>>,
    seed: Option<Bound<'py, PyAny>>,
    start: Option<Bound<'py, PyAny>>,
    days: Option<Bound<'py, PyAny>>,
    users: Option<Bound<'py, PyAny>>,
    catalog_size: Option<Bound<'py, PyAny>>,
    events_per_day: Option<Bound<'py, PyAny>>,
    config: Option<String>,
    batch_rows: Option<Bound<'py, PyAny>>,
    event_date: bool,
    threads: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let config = DatasetKeywords {
        rows,
        seed,
        start,
        days,
        users,
        catalog_size,
        events_per_day,
        config,
    }
    .resolve()?;
    let total = config.rows;
    let first = first_row.map_or(Ok(0), |v| options::count("first_row", &v))?;
    if first > total {
        return Err(bad("first_row", format!("{first} is past the dataset's {total} rows")));
    }
    let n = count.map_or(Ok(total - first), |v| options::count("count", &v))?;
    if n > total - first {
        return Err(bad(
            "count",
            format!(
                "{n} rows from first_row {first} run past the dataset's {total} rows (at most {})",
                total - first
            ),
        ));
    }
    let batch_rows = batch_rows.map_or(Ok(engine::SUB_BATCH_ROWS), |v| positive("batch_rows", &v))?;
    let threads = threads
        .map(|v| positive("threads", &v).map(|n| n as usize))
        .transpose()?;
    refuse_faults(&config, "record_batches gives clean events")?;
    let reader = py.detach(|| -> Result<BatchReader, PyErr> {
        let world = world(config).map_err(to_py_err)?;
        BatchReader::start(world, first..first + n, batch_rows, event_date, threads).map_err(|e| bad("threads", e))
    })?;
    let reader: Box<dyn RecordBatchReader + Send> = Box::new(reader);
    reader.into_pyarrow(py)
}

/// The row groups (first row, rows) of the Parquet files the command line
/// writes for a dataset, in row order.
#[pyfunction]
#[pyo3(signature = (
    rows, *, seed=None, start=None, days=None, users=None, catalog_size=None, events_per_day=None, config=None,
    row_group_rows=None, max_rows_per_file=None
))]
#[allow(clippy::too_many_arguments)]
fn row_groups<'py>(
    py: Python<'py>,
    rows: Option<Bound<'py, PyAny>>,
    seed: Option<Bound<'py, PyAny>>,
    start: Option<Bound<'py, PyAny>>,
    days: Option<Bound<'py, PyAny>>,
    users: Option<Bound<'py, PyAny>>,
    catalog_size: Option<Bound<'py, PyAny>>,
    events_per_day: Option<Bound<'py, PyAny>>,
    config: Option<String>,
    row_group_rows: Option<Bound<'py, PyAny>>,
    max_rows_per_file: Option<Bound<'py, PyAny>>,
) -> PyResult<Vec<(u64, u64)>> {
    let config = DatasetKeywords {
        rows,
        seed,
        start,
        days,
        users,
        catalog_size,
        events_per_day,
        config,
    }
    .resolve()?;
    refuse_faults(&config, "row_groups plans clean events")?;
    let group_rows = row_group_rows.map_or(Ok(engine::DEFAULT_ROW_GROUP_ROWS), |v| positive("row_group_rows", &v))?;
    let file_rows = max_rows_per_file.map_or(Ok(engine::DEFAULT_MAX_ROWS_PER_FILE), |v| {
        positive("max_rows_per_file", &v)
    })?;
    py.detach(|| {
        let world = world(config).map_err(to_py_err)?;
        let slots = plan_files(&world, Layout::Nested, PartitionBy::Date, file_rows, "parquet");
        Ok(slots
            .iter()
            .flat_map(|slot| {
                (0..slot.rows.div_ceil(group_rows)).map(move |g| {
                    let first = slot.first_row + g * group_rows;
                    (first, group_rows.min(slot.first_row + slot.rows - first))
                })
            })
            .collect())
    })
}

/// A choice keyword (`format`, `layout`, …) parsed by its type's names.
fn choice<T: std::str::FromStr<Err = String>>(name: &str, value: Option<String>, default: T) -> PyResult<T> {
    value.map_or(Ok(default), |text| text.parse().map_err(|message| bad(name, message)))
}

/// Writes a dataset as `customer-events generate` does and returns its summary.
/// Ctrl-C (a pending `KeyboardInterrupt`) cancels the run at its next row group.
#[pyfunction]
#[pyo3(signature = (
    out, *, rows=None, seed=None, start=None, days=None, users=None, catalog_size=None, events_per_day=None, config=None,
    format=None, layout=None, compression=None, row_group_rows=None, max_rows_per_file=None,
    partition_by=None, string_statistics=false, overwrite=false, threads=None, faults=None
))]
#[allow(clippy::too_many_arguments)]
fn generate<'py>(
    py: Python<'py>,
    out: std::path::PathBuf,
    rows: Option<Bound<'py, PyAny>>,
    seed: Option<Bound<'py, PyAny>>,
    start: Option<Bound<'py, PyAny>>,
    days: Option<Bound<'py, PyAny>>,
    users: Option<Bound<'py, PyAny>>,
    catalog_size: Option<Bound<'py, PyAny>>,
    events_per_day: Option<Bound<'py, PyAny>>,
    config: Option<String>,
    format: Option<String>,
    layout: Option<String>,
    compression: Option<String>,
    row_group_rows: Option<Bound<'py, PyAny>>,
    max_rows_per_file: Option<Bound<'py, PyAny>>,
    partition_by: Option<String>,
    string_statistics: bool,
    overwrite: bool,
    threads: Option<Bound<'py, PyAny>>,
    faults: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut config = DatasetKeywords {
        rows,
        seed,
        start,
        days,
        users,
        catalog_size,
        events_per_day,
        config,
    }
    .resolve()?;
    if faults.is_some() {
        config.faults = faults_preset(faults.as_deref())?;
    }
    let mut output = OutputOptions::new(out);
    output.format = choice("format", format, Format::Parquet)?;
    output.layout = choice("layout", layout, Layout::Nested)?;
    output.partition_by = choice("partition_by", partition_by, PartitionBy::Date)?;
    output.compression = compression
        .map(|text| {
            text.parse::<Compression>()
                .map_err(|message| bad("compression", message))
        })
        .transpose()?;
    if let Some(v) = row_group_rows {
        output.row_group_rows = count("row_group_rows", &v)?;
    }
    if let Some(v) = max_rows_per_file {
        output.max_rows_per_file = count("max_rows_per_file", &v)?;
    }
    output.threads = threads.map(|v| count("threads", &v).map(|n| n as usize)).transpose()?;
    output.string_statistics = string_statistics;
    output.overwrite = overwrite;

    // The run goes on in a thread without the GIL; this one wakes every
    // 100 ms to let Python handle signals, and cancels the run on Ctrl-C.
    let cancel = Cancel::new();
    let (done, mut finished) = mpsc::channel();
    let summary = std::thread::scope(|scope| {
        let (output, cancel) = (&output, &cancel);
        scope.spawn(move || {
            let result = engine::generate(config, output, &(), cancel);
            let _ = done.send(result);
        });
        loop {
            // The receiver moves in and out: a `&Receiver` is not `Sync`.
            let (receiver, received) = py.detach(move || {
                let received = finished.recv_timeout(Duration::from_millis(100));
                (finished, received)
            });
            finished = receiver;
            match received {
                Ok(result) => return result.map_err(to_py_err),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(interrupt) = py.check_signals() {
                        cancel.cancel();
                        // The run removes its partial file before it returns.
                        let _ = py.detach(move || finished.recv());
                        return Err(interrupt);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "the generate thread panicked",
                    ));
                }
            }
        }
    })?;

    let result = PyDict::new(py);
    result.set_item("rows", summary.rows)?;
    result.set_item("cells", summary.cells)?;
    let files = PyList::empty(py);
    for file in &summary.files {
        let entry = PyDict::new(py);
        entry.set_item("path", &file.path)?;
        entry.set_item("rows", file.rows)?;
        entry.set_item("bytes", file.bytes)?;
        files.append(entry)?;
    }
    result.set_item("files", files)?;
    result.set_item("bytes", summary.bytes)?;
    result.set_item("seconds", summary.elapsed.as_secs_f64())?;
    Ok(result)
}

/// The extension module.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(generate_consumer_event_data, module)?)?;
    module.add_function(wrap_pyfunction!(schema, module)?)?;
    module.add_function(wrap_pyfunction!(schema_text, module)?)?;
    module.add_function(wrap_pyfunction!(record_batches, module)?)?;
    module.add_function(wrap_pyfunction!(row_groups, module)?)?;
    module.add_function(wrap_pyfunction!(generate, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
