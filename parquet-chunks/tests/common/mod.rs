//! The parity check: a file encoded by [`RowGroupEncoder`] against the one
//! the parquet crate's own `ArrowWriter` writes from the same batches and
//! properties, chunk by chunk. Shared with the root crate's tests of the event
//! schema (included there by path).

#![allow(dead_code)]

use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression as Codec, Type as PhysicalType};
use parquet::file::metadata::{ColumnChunkMetaData, PageIndexPolicy, ParquetMetaData};
use parquet::file::properties::WriterProperties;
use parquet_chunks::RowGroupEncoder;

/// What [`assert_parity`] compared.
#[derive(Debug, Default)]
pub struct Parity {
    /// Chunks compared, of strings (BYTE_ARRAY) and of other types.
    pub string_chunks: usize,
    pub other_chunks: usize,
    /// Chunks whose bytes (pages and headers) are the crate's exactly.
    pub identical_bytes: usize,
    /// Paths of the chunks equal in every metadata but not in bytes.
    pub other_bytes: Vec<String>,
    /// Paths of the string chunks stored uncompressed by the rule for
    /// dictionary-less chunks (compared with an uncompressed crate chunk).
    pub raw_by_rule: Vec<String>,
}

/// `input` as one file of `groups` row groups (the batches split evenly),
/// encoded by `encoder`.
pub fn encode(encoder: &RowGroupEncoder, input: &[RecordBatch], groups: usize) -> Bytes {
    let mut file = encoder.file_writer(Vec::new()).unwrap();
    for part in input.chunks(input.len().div_ceil(groups)) {
        let mut group = encoder.start().unwrap();
        for batch in part {
            encoder.add(&mut group, batch, false).unwrap();
        }
        encoder.finish(group, false).unwrap().append_to(&mut file).unwrap();
    }
    Bytes::from(file.into_inner().unwrap())
}

/// The same file written by the parquet crate's `ArrowWriter` with `properties`.
pub fn encode_with_the_crate(input: &[RecordBatch], properties: WriterProperties, groups: usize) -> Bytes {
    let mut writer = ArrowWriter::try_new(Vec::new(), input[0].schema(), Some(properties)).unwrap();
    for part in input.chunks(input.len().div_ceil(groups)) {
        for batch in part {
            writer.write(batch).unwrap();
        }
        writer.flush().unwrap();
    }
    Bytes::from(writer.into_inner().unwrap())
}

/// All rows of `file`.
pub fn read(file: Bytes) -> RecordBatch {
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

fn metadata(file: &Bytes) -> Arc<ParquetMetaData> {
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
    ParquetRecordBatchReaderBuilder::try_new_with_options(file.clone(), options)
        .unwrap()
        .metadata()
        .clone()
}

/// The bytes of a chunk (its pages with their headers).
fn chunk_bytes(file: &Bytes, chunk: &ColumnChunkMetaData) -> Bytes {
    let (start, len) = chunk.byte_range();
    file.slice(start as usize..(start + len) as usize)
}

/// Asserts that `encoder` writes `input` (in `groups` row groups) as the
/// parquet crate's `ArrowWriter` does with the same properties: the same
/// values read back, and for every chunk of every row group the same
/// codec, encodings, page encoding stats, statistics, null counts, level
/// histograms, unencoded byte array sizes, value count, compressed and
/// uncompressed sizes, dictionary page (present or not), column index and
/// offset index (page sizes, first rows, unencoded byte array sizes; the
/// page count with them).
///
/// With `same_pages` false, page boundaries are allowed to differ (and
/// with them sizes, page counts and encoding stats): our string writer cuts
/// a page at exactly the row limit, while the crate checks its limits after
/// mini-batches of 1,024 levels (and sub-batches of its byte budget), so
/// under a row limit below a mini-batch its pages differ. Then the chunks
/// are compared on everything that does not depend on where pages are cut,
/// and our string pages are checked to hold exactly the row limit.
///
/// The one deliberate difference: a string chunk without a dictionary that
/// our writer stored uncompressed although the properties name a codec
/// (the codec saved less than an eighth of its first page) is compared with
/// the crate's chunk written uncompressed, after checking that the crate's
/// compressed chunk of that column indeed saves less than an eighth.
pub fn assert_parity(encoder: &RowGroupEncoder, input: &[RecordBatch], groups: usize, same_pages: bool) -> Parity {
    let expected = arrow::compute::concat_batches(&input[0].schema(), input).unwrap();
    let properties = (**encoder.properties()).clone();
    let ours = encode(encoder, input, groups);
    let theirs = encode_with_the_crate(input, properties.clone(), groups);
    assert_eq!(read(ours.clone()), expected, "our file reads back as the batches");
    assert_eq!(
        read(theirs.clone()),
        expected,
        "the crate's file reads back as the batches"
    );
    let (ours_meta, theirs_meta) = (metadata(&ours), metadata(&theirs));
    assert_eq!(ours_meta.num_row_groups(), groups);
    assert_eq!(theirs_meta.num_row_groups(), groups);

    // The rule for dictionary-less chunks: find the columns it applied to,
    // check it, and write the crate's reference of them uncompressed.
    let mut parity = Parity::default();
    let mut raw = properties.clone().into_builder();
    for g in 0..groups {
        for (a, b) in ours_meta
            .row_group(g)
            .columns()
            .iter()
            .zip(theirs_meta.row_group(g).columns())
        {
            let path = a.column_path();
            if a.compression() == b.compression() {
                continue;
            }
            let name = path.string();
            assert_eq!(
                a.compression(),
                Codec::UNCOMPRESSED,
                "{name}: only the codec may be dropped"
            );
            assert_eq!(
                a.column_type(),
                PhysicalType::BYTE_ARRAY,
                "{name}: only by the string writer"
            );
            assert!(
                !properties.dictionary_enabled(path),
                "{name}: only without a dictionary"
            );
            assert!(
                b.compressed_size() * 8 > b.uncompressed_size() * 7,
                "{name}: the crate's {:?} chunk saves an eighth ({} of {} bytes)",
                b.compression(),
                b.compressed_size(),
                b.uncompressed_size()
            );
            raw = raw.set_column_compression(path.clone(), Codec::UNCOMPRESSED);
            if !parity.raw_by_rule.contains(&name) {
                parity.raw_by_rule.push(name);
            }
        }
    }
    let (theirs, theirs_meta) = if parity.raw_by_rule.is_empty() {
        (theirs, theirs_meta)
    } else {
        let theirs = encode_with_the_crate(input, raw.build(), groups);
        let meta = metadata(&theirs);
        (theirs, meta)
    };

    for g in 0..groups {
        let (pa, pb) = (
            ours_meta.page_index_for_row_group(g),
            theirs_meta.page_index_for_row_group(g),
        );
        let (ra, rb) = (ours_meta.row_group(g), theirs_meta.row_group(g));
        assert_eq!(ra.num_rows(), rb.num_rows());
        for (i, (a, b)) in ra.columns().iter().zip(rb.columns()).enumerate() {
            let path = a.column_path().string();
            assert_eq!(a.column_path(), b.column_path());
            match a.column_type() {
                PhysicalType::BYTE_ARRAY => parity.string_chunks += 1,
                _ => parity.other_chunks += 1,
            }
            assert_eq!(a.compression(), b.compression(), "{path}: codec");
            assert_eq!(
                a.encodings().collect::<Vec<_>>(),
                b.encodings().collect::<Vec<_>>(),
                "{path}: encodings"
            );
            assert_eq!(a.statistics(), b.statistics(), "{path}: statistics and null counts");
            assert_eq!(
                a.unencoded_byte_array_data_bytes(),
                b.unencoded_byte_array_data_bytes(),
                "{path}: unencoded byte array bytes"
            );
            assert_eq!(
                a.repetition_level_histogram(),
                b.repetition_level_histogram(),
                "{path}: repetition level histogram"
            );
            assert_eq!(
                a.definition_level_histogram(),
                b.definition_level_histogram(),
                "{path}: definition level histogram"
            );
            assert_eq!(a.num_values(), b.num_values(), "{path}: values");
            assert_eq!(
                a.dictionary_page_offset().is_some(),
                b.dictionary_page_offset().is_some(),
                "{path}: dictionary page"
            );
            let (oa, ob) = (pa.offset_index(i).unwrap(), pb.offset_index(i).unwrap());
            let total = |o: &parquet::file::page_index::offset_index::OffsetIndexMetaData| {
                o.unencoded_byte_array_data_bytes().map(|b| b.iter().sum::<i64>())
            };
            assert_eq!(total(oa), total(ob), "{path}: unencoded byte array bytes of the pages");
            if !same_pages && a.column_type() == PhysicalType::BYTE_ARRAY {
                let (ca, cb) = (pa.column_index(i), pb.column_index(i));
                assert_eq!(ca.is_some(), cb.is_some(), "{path}: column index");
                if ca.is_none() {
                    let limit = properties.data_page_row_count_limit() as i64;
                    let firsts: Vec<i64> = oa.page_locations().iter().map(|p| p.first_row_index).collect();
                    let expected: Vec<i64> = (0..firsts.len() as i64).map(|k| k * limit).collect();
                    assert_eq!(firsts, expected, "{path}: pages of exactly {limit} rows");
                }
                continue;
            }
            assert_eq!(
                a.page_encoding_stats(),
                b.page_encoding_stats(),
                "{path}: page encoding stats"
            );
            let (ca, cb) = (pa.column_index(i), pb.column_index(i));
            assert_eq!(format!("{ca:?}"), format!("{cb:?}"), "{path}: column index");
            let pages = |o: &parquet::file::page_index::offset_index::OffsetIndexMetaData, start: u64| {
                o.page_locations()
                    .iter()
                    .map(|p| (p.offset - start as i64, p.compressed_page_size, p.first_row_index))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                pages(oa, a.byte_range().0),
                pages(ob, b.byte_range().0),
                "{path}: page locations"
            );
            assert_eq!(
                oa.unencoded_byte_array_data_bytes(),
                ob.unencoded_byte_array_data_bytes(),
                "{path}: unencoded byte array bytes per page"
            );
            assert_eq!(a.compressed_size(), b.compressed_size(), "{path}: compressed size");
            assert_eq!(
                a.uncompressed_size(),
                b.uncompressed_size(),
                "{path}: uncompressed size"
            );
            assert_eq!(
                a.data_page_offset() - a.byte_range().0 as i64,
                b.data_page_offset() - b.byte_range().0 as i64,
                "{path}: first data page"
            );

            if chunk_bytes(&ours, a) == chunk_bytes(&theirs, b) {
                parity.identical_bytes += 1;
            } else {
                parity.other_bytes.push(path);
            }
        }
    }
    parity
}
