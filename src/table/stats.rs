//! The Delta statistics of a Parquet file (`numRecords`, and the minimum,
//! maximum and null count of its top-level columns), from the file's footer
//! and, for the string bounds a footer lacks, from those columns of the file:
//! what each `add` of a commit records so readers can skip files.

use std::collections::BTreeMap;

use parquet::file::metadata::ParquetMetaDataReader;
use parquet::file::reader::ChunkReader;
use parquet::file::statistics::Statistics;
use serde_json::{Map, Value, json};

use crate::error::Error;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_bounds_round_outwards_to_milliseconds() {
        assert_eq!(timestamp_text(1_500, false), "1970-01-01T00:00:00.001Z");
        assert_eq!(timestamp_text(1_500, true), "1970-01-01T00:00:00.002Z");
        assert_eq!(timestamp_text(2_000, true), "1970-01-01T00:00:00.002Z");
    }
}
