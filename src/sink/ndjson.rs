//! NDJSON files (`--format ndjson`): one JSON object per line. Workers
//! render and compress whole row groups; a gzip member or zstd frame per row
//! group concatenates into one valid stream, so the writer only appends bytes.
//!
//! Nested events are rendered from [`Event`] with serde ([`NdjsonEvents`],
//! the same text as `sample`); the flat tables of the normalized layout, and
//! nested events with faults (whose ground truth and nulls come with their
//! batches), from their Arrow batches with arrow-json ([`NdjsonBatches`]). Both write
//! timestamps as [`TIMESTAMP_FORMAT`], so the two agree value for value.
//! The format's codecs (none, gzip, zstd), its extensions (`.ndjson`,
//! `.ndjson.gz`, `.ndjson.zst`) and the row count `verify` reads (the
//! lines, decompressed) are its own too.

use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use arrow::array::{Array, AsArray, PrimitiveArray, RecordBatch};
use arrow::datatypes::{DataType, FieldRef, TimeUnit, TimestampMicrosecondType};
use arrow::error::ArrowError;
use arrow::json::writer::{Encoder, EncoderFactory, EncoderOptions, LineDelimited, NullableEncoder, WriterBuilder};

use super::destination::{Committed, Destination};
use super::format::{Batches, Events, FileFormat, Input, TableSpec};
use super::parquet::Compression;
use crate::error::Error;
use crate::faults::{MALFORMED_METADATA, Malformed};
use crate::model::{Event, TIMESTAMP_FORMAT};

/// Appends `batch` as JSON lines, timestamps as [`TIMESTAMP_FORMAT`].
///
/// # Errors
/// [`Error::Arrow`] if a value cannot be written.
pub fn write_batch(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), Error> {
    if let Some(listed) = batch.schema().metadata().get(MALFORMED_METADATA) {
        let mut lines = Vec::new();
        write_lines(&mut lines, batch)?;
        break_lines(out, &lines, listed);
        return Ok(());
    }
    write_lines(out, batch)
}

/// Appends `lines` to `out`, with the lines `listed` names (`row:letter`
/// pairs of a batch's [`MALFORMED_METADATA`]) broken: cut at half their
/// length (at a character's boundary), or with `play_duration`'s number
/// quoted.
fn break_lines(out: &mut Vec<u8>, lines: &[u8], listed: &str) {
    let broken: std::collections::HashMap<usize, Malformed> = listed
        .split(',')
        .filter_map(|pair| {
            let (row, letter) = pair.split_once(':')?;
            Some((row.parse().ok()?, Malformed::of_letter(letter.chars().next()?)?))
        })
        .collect();
    for (row, line) in lines.split_inclusive(|&b| b == b'\n').enumerate() {
        match broken.get(&row) {
            None => out.extend_from_slice(line),
            Some(Malformed::Truncated) => {
                let text = std::str::from_utf8(line).expect("arrow-json writes UTF-8");
                let mut cut = text.len() / 2;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.extend_from_slice(&line[..cut]);
                out.push(b'\n');
            }
            Some(Malformed::QuotedPlayDuration) => {
                const KEY: &[u8] = b"\"play_duration\":";
                match line.windows(KEY.len()).position(|w| w == KEY) {
                    Some(at) => {
                        let start = at + KEY.len();
                        let end = start
                            + line[start..]
                                .iter()
                                .take_while(|b| b.is_ascii_digit() || **b == b'-')
                                .count();
                        out.extend_from_slice(&line[..start]);
                        out.push(b'"');
                        out.extend_from_slice(&line[start..end]);
                        out.push(b'"');
                        out.extend_from_slice(&line[end..]);
                    }
                    None => {
                        debug_assert!(false, "row {row} is listed as malformed but has no play_duration");
                        out.extend_from_slice(line);
                    }
                }
            }
        }
    }
    debug_assert!(
        broken
            .keys()
            .all(|&row| row < lines.split_inclusive(|&b| b == b'\n').count()),
        "a row listed as malformed is past the batch's lines"
    );
}

/// Appends `batch` as JSON lines (see [`write_batch`]).
fn write_lines(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), Error> {
    // Nested events (faulty ones, `engine::run`) write their nulls as
    // `sample` does (`"event_details":null`); the flat tables leave them out.
    let nested = batch.schema().field_with_name("event_details").is_ok();
    let mut writer = WriterBuilder::new()
        .with_explicit_nulls(nested)
        .with_timestamp_tz_format(TIMESTAMP_FORMAT.to_string())
        .with_encoder_factory(Arc::new(UtcMicros))
        .build::<_, LineDelimited>(out);
    writer.write(batch)?;
    writer.finish()?;
    Ok(())
}

/// Writes `Timestamp(Microsecond, "UTC")` values as [`TIMESTAMP_FORMAT`]
/// without going through chrono's formatter per value (a fifth of the
/// normalized layout's rendering time); other arrays keep arrow-json's
/// encoders.
#[derive(Debug)]
struct UtcMicros;

impl EncoderFactory for UtcMicros {
    fn make_default_encoder<'a>(
        &self,
        _field: &'a FieldRef,
        array: &'a dyn Array,
        _options: &'a EncoderOptions,
    ) -> Result<Option<NullableEncoder<'a>>, ArrowError> {
        match array.data_type() {
            DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC" => {
                let values = array.as_primitive::<TimestampMicrosecondType>();
                Ok(Some(NullableEncoder::new(
                    Box::new(UtcMicrosEncoder(values)),
                    values.nulls().cloned(),
                )))
            }
            _ => Ok(None),
        }
    }
}

struct UtcMicrosEncoder<'a>(&'a PrimitiveArray<TimestampMicrosecondType>);

impl Encoder for UtcMicrosEncoder<'_> {
    fn encode(&mut self, idx: usize, out: &mut Vec<u8>) {
        out.push(b'"');
        write_utc_micros(out, self.0.value(idx));
        out.push(b'"');
    }
}

/// Appends `micros` since the epoch as [`TIMESTAMP_FORMAT`]
/// (`2026-01-04T00:00:01.174000Z`).
fn write_utc_micros(out: &mut Vec<u8>, micros: i64) {
    match crate::model::utc_micros_text(micros) {
        Some(text) => out.extend_from_slice(&text),
        None => out.extend_from_slice(crate::model::Micros(micros).to_string().as_bytes()),
    }
}

/// Appends `event` as one JSON line (the text `sample` prints).
///
/// # Errors
/// [`Error::Io`] if the event cannot be serialized (a bug).
pub fn write_event(out: &mut Vec<u8>, event: &Event<'_>) -> Result<(), Error> {
    serde_json::to_writer(&mut *out, event).map_err(|e| Error::io("json", e.into()))?;
    out.push(b'\n');
    Ok(())
}

/// Compresses a row group's lines as one gzip member or zstd frame.
///
/// # Errors
/// [`Error::Io`] from the compressor (out of memory only).
pub fn compress(lines: Vec<u8>, compression: Compression) -> Result<Vec<u8>, Error> {
    match compression {
        Compression::Gzip(level) => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::with_capacity(lines.len() / 4), flate2::Compression::new(level));
            encoder.write_all(&lines).map_err(|e| Error::io("gzip", e))?;
            encoder.finish().map_err(|e| Error::io("gzip", e))
        }
        Compression::Zstd(level) => zstd::bulk::compress(&lines, level).map_err(|e| Error::io("zstd", e)),
        _ => Ok(lines),
    }
}

/// One NDJSON file being written into its destination.
pub struct NdjsonFile {
    destination: Box<dyn Destination>,
    location: PathBuf,
}

impl NdjsonFile {
    /// A file that writes into `destination`.
    pub fn new(destination: Box<dyn Destination>) -> Self {
        let location = destination.location().to_path_buf();
        Self { destination, location }
    }

    /// Appends rendered (and compressed) bytes.
    ///
    /// # Errors
    /// [`Error::Io`] (e.g. a full disk).
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.destination
            .write_all(bytes)
            .map_err(|e| Error::io(&self.location, e))
    }

    /// Commits the destination. Returns its size and checksum.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn finish(self) -> Result<Committed, Error> {
        self.destination.commit()
    }
}

/// How an NDJSON format renders the rows of its [`Input`].
pub trait RenderLines: Input {
    /// Appends `rows` as JSON lines.
    ///
    /// # Errors
    /// When a value cannot be written.
    fn render(out: &mut Vec<u8>, rows: &Self::Rows<'_>) -> Result<(), Error>;
}

impl RenderLines for Batches {
    fn render(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), Error> {
        write_batch(out, batch)
    }
}

impl RenderLines for Events {
    fn render(out: &mut Vec<u8>, event: &Event<'_>) -> Result<(), Error> {
        write_event(out, event)
    }
}

/// The NDJSON format of one table, rendering rows given as `I`: events
/// (clean nested events) or batches (the normalized tables, and nested
/// events with faults).
pub struct Ndjson<I> {
    compression: Compression,
    input: PhantomData<fn() -> I>,
}

/// NDJSON of Arrow batches (the tables of the normalized layout), rendered
/// by arrow-json.
pub type NdjsonBatches = Ndjson<Batches>;

/// NDJSON of nested events, rendered from each [`Event`] by serde (no Arrow
/// batch is built).
pub type NdjsonEvents = Ndjson<Events>;

impl<I: RenderLines> FileFormat for Ndjson<I> {
    type Input = I;
    type Building = Vec<u8>;
    type Group = Vec<u8>;
    type File = NdjsonFile;

    const NAME: &'static str = "ndjson";
    const CODECS: &'static str = "none, gzip, gzip(N), zstd or zstd(N)";

    fn accepts(compression: Compression) -> bool {
        matches!(
            compression,
            Compression::None | Compression::Gzip(_) | Compression::Zstd(_)
        )
    }

    fn extension(compression: Compression) -> &'static str {
        match compression {
            Compression::Gzip(_) => "ndjson.gz",
            Compression::Zstd(_) => "ndjson.zst",
            _ => "ndjson",
        }
    }

    /// Its lines, decompressed as its extension says.
    fn count_rows(path: &Path) -> Result<u64, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
        let name = path.to_string_lossy();
        if name.ends_with(".gz") {
            count_lines(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file)))
        } else if name.ends_with(".zst") {
            let decoder = zstd::Decoder::new(file).map_err(|e| format!("unreadable zstd stream: {e}"))?;
            count_lines(decoder)
        } else {
            count_lines(file)
        }
    }

    fn new(table: &TableSpec) -> Result<Self, Error> {
        Ok(Self {
            compression: table.compression,
            input: PhantomData,
        })
    }

    fn start(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }

    fn add(&self, lines: &mut Vec<u8>, rows: &I::Rows<'_>, _share: bool) -> Result<(), Error> {
        I::render(lines, rows)
    }

    fn finish(&self, lines: Vec<u8>, _share: bool) -> Result<Vec<u8>, Error> {
        compress(lines, self.compression)
    }

    fn group_bytes(group: &Vec<u8>) -> u64 {
        group.len() as u64
    }

    fn open(&self, destination: Box<dyn Destination>) -> Result<NdjsonFile, Error> {
        Ok(NdjsonFile::new(destination))
    }

    fn append(&self, file: &mut NdjsonFile, group: Vec<u8>) -> Result<(), Error> {
        file.append(&group)
    }

    fn close(&self, file: NdjsonFile) -> Result<Committed, Error> {
        file.finish()
    }
}

/// The lines of an NDJSON stream: its newlines (every line ends in one).
fn count_lines(mut reader: impl std::io::Read) -> Result<u64, String> {
    let mut buffer = vec![0; 1 << 20];
    let mut lines = 0;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(lines),
            Ok(n) => lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(e) => return Err(format!("cannot be decompressed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Micros;

    #[test]
    fn utc_micros_are_written_as_serde_writes_them() {
        let samples = [
            0,
            1,
            -1,
            999_999,
            1_767_484_801_174_000,
            1_767_484_801_174_332,
            951_782_400_000_000, // 2000-02-29
            -2_208_988_800_000_000,
            253_402_300_799_999_999, // 9999-12-31T23:59:59.999999
            253_402_300_800_000_000, // year 10000: chrono's text
            -62_167_219_200_000_001, // before year 0: chrono's text
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let random = std::iter::repeat_with(|| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (state >> 1) as i64 % 253_402_300_800_000_000
        });
        for micros in samples.into_iter().chain(random.take(100_000)) {
            let mut out = Vec::new();
            write_utc_micros(&mut out, micros);
            assert_eq!(String::from_utf8(out).unwrap(), Micros(micros).to_string(), "{micros}");
        }
    }
}
