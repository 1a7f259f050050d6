//! Parity of the event schema's Parquet chunks with the parquet crate's own
//! writer: every chunk our writers make (31 string leaves, 21 numbers, dates,
//! timestamps and booleans) against the crate's `ArrowWriter` output for the
//! same batches and our writer properties, metadata and page indexes
//! included; string chunks read back with their page kinds and skip pages
//! by their offset index. The comparison itself is `parquet-chunks`'
//! (`parquet-chunks/tests/common/mod.rs`).

#[path = "../../parquet-chunks/tests/common/mod.rs"]
mod parity;

use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use bytes::Bytes;
use customer_events::sink::parquet::{Compression, RowGroupEncoder as OurEncoder, writer_properties};
use customer_events::{Config, World};
use parity::{assert_parity, encode};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector};
use parquet::basic::{Compression as Codec, Encoding};
use parquet::column::page::Page;
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet_chunks::{ChunkWriterKind, RowGroupEncoder};

fn batches(rows: u64, per_batch: u64) -> Vec<RecordBatch> {
    let world = World::new(Config {
        rows,
        ..Config::default()
    })
    .expect("valid config");
    (0..rows)
        .step_by(per_batch as usize)
        .map(|start| world.record_batch(start..(start + per_batch).min(rows)).expect("batch"))
        .collect()
}

fn read_selected(file: Bytes, selection: Option<RowSelection>) -> RecordBatch {
    // With a selection, the offset index must be there and is used to
    // skip pages.
    let policy = match selection {
        Some(_) => PageIndexPolicy::Required,
        None => PageIndexPolicy::Skip,
    };
    let options = ArrowReaderOptions::new().with_page_index_policy(policy);
    let mut builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).unwrap();
    if let Some(selection) = selection {
        builder = builder.with_row_selection(selection);
    }
    let schema = builder.schema().clone();
    let read: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &read).unwrap()
}

/// `input` as one batch, and an encoder of its schema with our properties
/// but small pages and a small dictionary limit, so that string chunks span
/// many pages and the id and title columns fall back to PLAIN pages.
fn with_small_limits(input: &[RecordBatch]) -> (RecordBatch, RowGroupEncoder) {
    let expected = arrow::compute::concat_batches(&input[0].schema(), input).unwrap();
    let schema = expected.schema();
    let properties = (*writer_properties(&schema, Compression::Snappy, false))
        .clone()
        .into_builder()
        .set_data_page_row_count_limit(700)
        .set_dictionary_page_size_limit(4096)
        .build();
    let encoder = RowGroupEncoder::new(schema, Arc::new(properties)).unwrap();
    (expected, encoder)
}

#[test]
fn string_chunks_read_back_as_written() {
    let input = batches(9_000, 2_500);
    let (expected, encoder) = with_small_limits(&input);
    let writers = encoder.writers();
    let kinds: Vec<&ChunkWriterKind> = writers.iter().flatten().collect();
    let strings = kinds.iter().filter(|k| ***k == ChunkWriterKind::Strings).count();
    let primitive = kinds
        .iter()
        .filter(|k| matches!(***k, ChunkWriterKind::Primitive | ChunkWriterKind::Numbers))
        .count();
    assert!(
        strings >= 25,
        "{strings} string leaves written by the string chunk writer"
    );
    assert_eq!(strings + primitive, kinds.len(), "every leaf written by our writers");

    let file = encode(&encoder, &input, 2);
    let back = read_selected(file.clone(), None);
    assert_eq!(back, expected);

    // Both kinds of data page are in the file: dictionary indices, and
    // PLAIN pages after the dictionary outgrew its limit.
    let reader = SerializedFileReader::new(file).unwrap();
    let user_id = 1;
    assert_eq!(
        reader.metadata().file_metadata().schema_descr().column(user_id).name(),
        "user_id"
    );
    let mut encodings = Vec::new();
    for g in 0..reader.num_row_groups() {
        for page in reader
            .get_row_group(g)
            .unwrap()
            .get_column_page_reader(user_id)
            .unwrap()
        {
            if let Page::DataPage { encoding, .. } = page.unwrap() {
                encodings.push(encoding);
            }
        }
    }
    assert!(encodings.contains(&Encoding::RLE_DICTIONARY), "{encodings:?}");
    assert!(encodings.contains(&Encoding::PLAIN), "{encodings:?}");

    // Columns of distinct values are written by the same writer, plain
    // from the start and without a dictionary page.
    let event_id = 0;
    assert_eq!(encoder.writers()[event_id], [ChunkWriterKind::Strings]);
    for g in 0..reader.num_row_groups() {
        let chunk = reader.metadata().row_group(g).column(event_id);
        assert_eq!(chunk.column_path().string(), "event_id");
        assert_eq!(chunk.dictionary_page_offset(), None);
        // Snappy saves a tenth of random hex: these chunks are raw.
        assert_eq!(chunk.compression(), Codec::UNCOMPRESSED);
        assert_eq!(
            reader.metadata().row_group(g).column(user_id).compression(),
            Codec::SNAPPY
        );
        assert!(!chunk.encodings().any(|e| e == Encoding::RLE_DICTIONARY));
        for page in reader
            .get_row_group(g)
            .unwrap()
            .get_column_page_reader(event_id)
            .unwrap()
        {
            assert!(matches!(
                page.unwrap(),
                Page::DataPage {
                    encoding: Encoding::PLAIN,
                    ..
                }
            ));
        }
    }
}

#[test]
fn string_chunks_have_an_offset_index_that_skips_pages() {
    let input = batches(6_000, 2_000);
    let (expected, encoder) = with_small_limits(&input);
    let file = encode(&encoder, &input, 1);
    let selection = RowSelection::from(vec![
        RowSelector::skip(2_345),
        RowSelector::select(1_500),
        RowSelector::skip(1_000),
        RowSelector::select(1_155),
    ]);
    let back = read_selected(file, Some(selection));
    let want = arrow::compute::concat_batches(
        &expected.schema(),
        &[expected.slice(2_345, 1_500), expected.slice(4_845, 1_155)],
    )
    .unwrap();
    assert_eq!(back.num_rows(), 2_655);
    assert_eq!(back, want);
    assert!(back.column(0).null_count() == 0);
}

#[test]
fn every_chunk_of_the_event_schema_matches_the_parquet_writer() {
    // Our properties (snappy): ids stored raw by the rule, the rest as the
    // crate does. One page per chunk: past 20,000 rows the crate cuts string
    // pages later than we do (see parquet-chunks/README.md).
    let input = batches(5_000, 5_000);
    let encoder = OurEncoder::new(input[0].schema(), Compression::Snappy, false).unwrap();
    let encoder = encoder.chunks();
    let writers = encoder.writers();
    let count = |kind| writers.iter().flatten().filter(|k| **k == kind).count();
    assert_eq!(count(ChunkWriterKind::Strings), 31, "strings by our writer");
    assert_eq!(
        count(ChunkWriterKind::Numbers),
        21,
        "numbers, dates, timestamps and booleans by our writer"
    );
    let parity = assert_parity(encoder, &input, 1, true);
    assert_eq!((parity.string_chunks, parity.other_chunks), (31, 21), "{parity:?}");
    // Event ids are unique, so compression cannot save an eighth of them;
    // search ids repeat (a session's later events list its searches).
    assert_eq!(parity.raw_by_rule, ["event_id"], "{parity:?}");
    assert_eq!(parity.identical_bytes, 31 + 21, "every chunk byte for byte: {parity:?}");
}

#[test]
fn string_chunks_of_many_pages_and_fallen_back_dictionaries_match_the_parquet_writer() {
    let input = batches(9_000, 2_500);
    let (_, encoder) = with_small_limits(&input);
    let parity = assert_parity(&encoder, &input, 2, false);
    assert_eq!(
        (parity.string_chunks, parity.other_chunks),
        (31 * 2, 21 * 2),
        "{parity:?}"
    );
}

#[test]
fn uncompressed_chunks_match_the_parquet_writer() {
    let input = batches(4_000, 1_500);
    let encoder = OurEncoder::new(input[0].schema(), Compression::None, false).unwrap();
    let parity = assert_parity(encoder.chunks(), &input, 1, true);
    assert_eq!((parity.string_chunks, parity.other_chunks), (31, 21), "{parity:?}");
    assert!(parity.raw_by_rule.is_empty());
    // Equal in sizes, pages and every metadata, read back equal, and byte
    // for byte.
    assert!(parity.other_bytes.is_empty(), "{parity:?}");
}

/// The events of `rows` in batches whose strings of words and catalog
/// entities are dictionary keys (what the Parquet format is given).
fn keyed_batches(rows: u64, per_batch: u64) -> Vec<RecordBatch> {
    use customer_events::columns::{EventColumns, Strings};
    let world = World::new(Config {
        rows,
        ..Config::default()
    })
    .expect("valid config");
    let mut event = customer_events::Event::default();
    (0..rows)
        .step_by(per_batch as usize)
        .map(|start| {
            let end = (start + per_batch).min(rows);
            let mut columns = EventColumns::new(Strings::Keys(world.catalog().vocabularies()), (end - start) as usize);
            for row in start..end {
                world.fill_event(row, &mut event);
                columns.push(&event);
            }
            columns.finish().expect("batch")
        })
        .collect()
}

#[test]
fn keyed_events_write_the_bytes_of_text_events() {
    let text = batches(9_000, 2_500);
    let keyed = keyed_batches(9_000, 2_500);
    let dictionaries = keyed[0]
        .schema()
        .flattened_fields()
        .iter()
        .filter(|f| matches!(f.data_type(), arrow::datatypes::DataType::Dictionary(..)))
        .count();
    // 24 words and catalog entities, and the histories' search ids.
    assert_eq!(dictionaries, 25, "string leaves as keys");
    let (expected, small) = with_small_limits(&text);
    let schema = expected.schema();
    let ours =
        |compression, string_statistics| OurEncoder::new(schema.clone(), compression, string_statistics).unwrap();
    let encoders = [
        ours(Compression::Snappy, false),
        ours(Compression::None, false),
        ours(Compression::Zstd(1), false),
        ours(Compression::Snappy, true),
    ];
    let mut cases: Vec<(&str, &RowGroupEncoder)> = vec![("small pages, fallen back dictionaries", &small)];
    cases.extend(
        ["snappy", "none", "zstd", "string statistics"]
            .into_iter()
            .zip(encoders.iter().map(OurEncoder::chunks)),
    );
    for (case, encoder) in cases {
        let from_keys = encode(encoder, &keyed, 2);
        assert_eq!(read_selected(from_keys.clone(), None), expected, "{case}: values");
        assert!(from_keys == encode(encoder, &text, 2), "{case}: the file's bytes");
    }
}
