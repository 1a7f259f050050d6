//! Parity with the parquet crate on a hand-built schema of every nesting the
//! level slots handle: our chunks (strings, numbers, dates, timestamps,
//! booleans) against the crate's `ArrowWriter` output for the same batches
//! and properties, metadata and indexes included (see `common::assert_parity`).
//! The event schema's parity test is in the root crate
//! (`tests/parquet_parity.rs`). A parquet upgrade that changes the crate's
//! chunks fails these tests.

mod common;

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, SchemaRef};
use common::assert_parity;
use parquet::basic::{Compression as Codec, Type as PhysicalType};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet_chunks::{ChunkWriterKind, RowGroupEncoder};

/// Parquet 1.0 pages with `codec`, and no statistics on strings unless
/// `string_statistics` (the conditions for our string chunk writer).
fn properties(
    schema: &SchemaRef,
    codec: Codec,
    string_statistics: bool,
) -> parquet::file::properties::WriterPropertiesBuilder {
    let mut builder = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(codec);
    let descriptor = parquet::arrow::ArrowSchemaConverter::new().convert(schema).unwrap();
    for column in descriptor.columns() {
        if !string_statistics && column.physical_type() == PhysicalType::BYTE_ARRAY {
            builder = builder.set_column_statistics_enabled(column.path().clone(), EnabledStatistics::None);
        }
    }
    builder
}

/// A deterministic stream of small numbers for hand-built columns.
struct Draws(u64);

impl Draws {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Offsets of `rows` lists of 0..=3 items (a tenth of the rows null when
/// `nulls`), and the lists' validity.
fn lists(draws: &mut Draws, rows: usize, nulls: bool) -> (arrow::buffer::OffsetBuffer<i32>, Option<NullBuffer>) {
    let mut lengths = Vec::with_capacity(rows);
    let mut valid = Vec::with_capacity(rows);
    for _ in 0..rows {
        let null = nulls && draws.below(10) == 0;
        valid.push(!null);
        lengths.push(if null { 0 } else { draws.below(4) as usize });
    }
    (
        arrow::buffer::OffsetBuffer::from_lengths(lengths),
        nulls.then(|| NullBuffer::from(valid)),
    )
}

fn validity(draws: &mut Draws, n: usize) -> Option<NullBuffer> {
    Some(NullBuffer::from(
        (0..n).map(|_| draws.below(5) != 0).collect::<Vec<_>>(),
    ))
}

/// A batch of every nesting our level slots handle: nullable lists of
/// nullable structs with nullable leaves, lists of lists, a nullable
/// struct holding a list, and nullable top-level leaves.
fn nested_batch(rows: usize, seed: u64) -> RecordBatch {
    use arrow::array::{
        BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, ListArray, StringArray, StructArray,
        TimestampMicrosecondArray,
    };
    use arrow::datatypes::{Fields, TimeUnit};
    let mut draws = Draws(seed);
    let words = ["a", "bb", "ccc", "", "déjà", "eeeeeeee"];
    let text = |draws: &mut Draws, n: usize, nulls: Option<NullBuffer>| -> ArrayRef {
        let values: Vec<Option<&str>> = (0..n)
            .map(|i| {
                let word = words[draws.below(words.len() as u64) as usize];
                nulls.as_ref().is_none_or(|v| v.is_valid(i)).then_some(word)
            })
            .collect();
        Arc::new(StringArray::from(values))
    };

    // items: List<Struct{count: Int32?, flag: Boolean, at: Timestamp?, name: Utf8?}>?
    let (item_offsets, item_lists_valid) = lists(&mut draws, rows, true);
    let n = item_offsets.last() as usize;
    let item_fields = Fields::from(vec![
        Field::new("count", DataType::Int32, true),
        Field::new("flag", DataType::Boolean, false),
        Field::new(
            "at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("name", DataType::Utf8, true),
    ]);
    let struct_valid = validity(&mut draws, n);
    let count_valid = validity(&mut draws, n);
    let at_valid = validity(&mut draws, n);
    let name_valid = validity(&mut draws, n);
    let items = StructArray::new(
        item_fields.clone(),
        vec![
            Arc::new(Int32Array::new(
                (0..n).map(|_| draws.below(1000) as i32).collect(),
                count_valid,
            )),
            Arc::new(BooleanArray::from(
                (0..n).map(|_| draws.below(2) == 1).collect::<Vec<_>>(),
            )),
            Arc::new(
                TimestampMicrosecondArray::new((0..n).map(|_| draws.below(1 << 40) as i64).collect(), at_valid)
                    .with_timezone("UTC"),
            ),
            text(&mut draws, n, name_valid),
        ],
        struct_valid,
    );
    let item_field = Arc::new(Field::new("item", DataType::Struct(item_fields), true));
    let items = ListArray::new(item_field.clone(), item_offsets, Arc::new(items), item_lists_valid);

    // grid: List<List<Int64?>> (outer required, inner nullable)
    let (outer_offsets, _) = lists(&mut draws, rows, false);
    let inner_rows = outer_offsets.last() as usize;
    let (inner_offsets, inner_valid) = lists(&mut draws, inner_rows, true);
    let cells = inner_offsets.last() as usize;
    let cell_valid = validity(&mut draws, cells);
    let cell_field = Arc::new(Field::new("item", DataType::Int64, true));
    let inner = ListArray::new(
        cell_field.clone(),
        inner_offsets,
        Arc::new(Int64Array::new(
            (0..cells).map(|_| draws.below(1 << 50) as i64 - (1 << 49)).collect(),
            cell_valid,
        )),
        inner_valid,
    );
    let inner_field = Arc::new(Field::new("item", DataType::List(cell_field), true));
    let grid = ListArray::new(inner_field.clone(), outer_offsets, Arc::new(inner), None);

    // info: Struct{day: Date32?, score: Float64, tags: List<Utf8?>}?
    let (tag_offsets, _) = lists(&mut draws, rows, false);
    let tags = tag_offsets.last() as usize;
    let tag_valid = validity(&mut draws, tags);
    let tag_field = Arc::new(Field::new("item", DataType::Utf8, true));
    let info_fields = Fields::from(vec![
        Field::new("day", DataType::Date32, true),
        Field::new("score", DataType::Float64, false),
        Field::new("tags", DataType::List(tag_field.clone()), false),
    ]);
    let day_valid = validity(&mut draws, rows);
    let info_valid = validity(&mut draws, rows);
    let info = StructArray::new(
        info_fields.clone(),
        vec![
            Arc::new(Date32Array::new(
                (0..rows).map(|_| draws.below(40_000) as i32).collect(),
                day_valid,
            )),
            Arc::new(Float64Array::from(
                (0..rows).map(|_| draws.below(1 << 20) as f64 / 7.0).collect::<Vec<_>>(),
            )),
            Arc::new(ListArray::new(
                tag_field,
                tag_offsets,
                text(&mut draws, tags, tag_valid),
                None,
            )),
        ],
        info_valid,
    );

    // level: Int32? and label: Utf8? at the top
    let level_valid = validity(&mut draws, rows);
    let label_valid = validity(&mut draws, rows);
    let level: ArrayRef = Arc::new(Int32Array::new(
        (0..rows).map(|_| draws.below(9) as i32).collect(),
        level_valid,
    ));
    let label = text(&mut draws, rows, label_valid);

    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        Field::new("items", DataType::List(item_field), true),
        Field::new("grid", DataType::List(inner_field), false),
        Field::new("info", DataType::Struct(info_fields), true),
        Field::new("level", DataType::Int32, true),
        Field::new("label", DataType::Utf8, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![Arc::new(items), Arc::new(grid), Arc::new(info), level, label],
    )
    .unwrap()
}

#[test]
fn level_slots_handle_null_lists_null_structs_and_lists_of_lists() {
    // Several batches, some sliced (offsets not starting at 0), into
    // two row groups of small pages (cut by row count, ours at exactly 300
    // rows, the crate's after its mini-batch of levels: see `assert_parity`).
    let whole = nested_batch(3_000, 7);
    let input = vec![
        nested_batch(1_000, 1),
        whole.slice(250, 1_700),
        nested_batch(800, 2).slice(1, 798),
        whole.slice(0, 1),
    ];
    let schema = input[0].schema();
    let properties = properties(&schema, Codec::SNAPPY, false)
        .set_data_page_row_count_limit(300)
        .set_dictionary_page_size_limit(64)
        .build();
    let encoder = RowGroupEncoder::new(schema, Arc::new(properties)).unwrap();
    assert!(
        encoder.writers().iter().flatten().all(|k| *k != ChunkWriterKind::Crate),
        "every leaf written by our writers"
    );
    let parity = assert_parity(&encoder, &input, 2, false);
    // count, flag, at, grid's cells, day, score, level; name, tags, label.
    assert_eq!(
        (parity.other_chunks, parity.string_chunks),
        (7 * 2, 3 * 2),
        "{parity:?}"
    );
    assert!(parity.raw_by_rule.is_empty());
}

#[test]
fn a_field_is_written_whole_by_one_writer() {
    // With string statistics, the crate writes the strings, and with
    // them every leaf of their fields; a top-level number stays ours.
    let input = vec![nested_batch(2_000, 3)];
    let schema = input[0].schema();
    let properties = properties(&schema, Codec::SNAPPY, true).build();
    let encoder = RowGroupEncoder::new(schema, Arc::new(properties)).unwrap();
    let writers = encoder.writers();
    let crate_only: Vec<bool> = writers
        .iter()
        .map(|kinds| kinds.iter().all(|k| *k == ChunkWriterKind::Crate))
        .collect();
    assert_eq!(
        crate_only,
        [true, false, true, false, true],
        "items, grid, info, level, label"
    );
    assert_eq!(writers[3], [ChunkWriterKind::Numbers]);
    let parity = assert_parity(&encoder, &input, 1, true);
    assert_eq!(parity.other_chunks + parity.string_chunks, 10, "{parity:?}");
}

/// Two vocabularies of the words of [`nested_batch`], in other orders, with
/// unused entries and one word (`a`) under two keys.
fn vocabularies() -> [ArrayRef; 2] {
    use arrow::array::StringArray;
    [
        Arc::new(StringArray::from(vec![
            "unused", "eeeeeeee", "ccc", "a", "bb", "", "a", "déjà", "zz",
        ])),
        Arc::new(StringArray::from(vec!["déjà", "a", "", "bb", "ccc", "eeeeeeee"])),
    ]
}

/// `array` with every Utf8 array in it (at any depth) replaced by keys of
/// type `K` into `vocabulary`, nulls kept. A word listed under two keys
/// takes them in turn.
fn keyed<K: arrow::datatypes::ArrowDictionaryKeyType>(array: &ArrayRef, vocabulary: &ArrayRef) -> ArrayRef {
    use arrow::array::{Array, AsArray, DictionaryArray, ListArray, PrimitiveArray, StructArray};
    use arrow::datatypes::{ArrowNativeType, Fields};
    let retyped = |field: &Field, array: &ArrayRef| Arc::new(field.clone().with_data_type(array.data_type().clone()));
    match array.data_type() {
        DataType::Utf8 => {
            let strings = array.as_string::<i32>();
            let words = vocabulary.as_string::<i32>();
            let keys: PrimitiveArray<K> = (0..strings.len())
                .map(|i| {
                    strings.is_valid(i).then(|| {
                        let value = strings.value(i);
                        let matching: Vec<usize> = (0..words.len()).filter(|&k| words.value(k) == value).collect();
                        K::Native::from_usize(matching[i % matching.len()]).unwrap()
                    })
                })
                .collect();
            Arc::new(DictionaryArray::<K>::try_new(keys, vocabulary.clone()).unwrap())
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let children: Vec<ArrayRef> = s.columns().iter().map(|c| keyed::<K>(c, vocabulary)).collect();
            let fields: Fields = fields.iter().zip(&children).map(|(f, c)| retyped(f, c)).collect();
            Arc::new(StructArray::try_new(fields, children, s.nulls().cloned()).unwrap())
        }
        DataType::List(item) => {
            let list = array.as_list::<i32>();
            let values = keyed::<K>(list.values(), vocabulary);
            let item = retyped(item, &values);
            Arc::new(ListArray::try_new(item, list.offsets().clone(), values, list.nulls().cloned()).unwrap())
        }
        _ => array.clone(),
    }
}

/// `batch` with its string leaves as keys of type `K` into `vocabulary`.
fn keyed_batch<K: arrow::datatypes::ArrowDictionaryKeyType>(batch: &RecordBatch, vocabulary: &ArrayRef) -> RecordBatch {
    let columns: Vec<ArrayRef> = batch.columns().iter().map(|c| keyed::<K>(c, vocabulary)).collect();
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns).unwrap()
}

#[test]
fn dictionary_keys_write_the_bytes_of_their_values() {
    use arrow::datatypes::{Int32Type, UInt16Type, UInt32Type};
    let whole = nested_batch(3_000, 11);
    let input = vec![
        nested_batch(1_000, 4),
        whole.slice(250, 1_700),
        nested_batch(800, 5).slice(1, 798),
        whole.slice(0, 1),
    ];
    let schema = input[0].schema();
    let [first, second] = vocabularies();
    // Batches alternate between the vocabularies, so the key remap is
    // rebuilt mid-chunk; `as_keys` gives every batch in keys of one type.
    let as_keys = |key: usize| -> Vec<RecordBatch> {
        input
            .iter()
            .enumerate()
            .map(|(i, batch)| {
                let vocabulary = if i % 2 == 0 { &first } else { &second };
                match key {
                    0 => keyed_batch::<UInt16Type>(batch, vocabulary),
                    1 => keyed_batch::<UInt32Type>(batch, vocabulary),
                    _ => keyed_batch::<Int32Type>(batch, vocabulary),
                }
            })
            .collect()
    };
    let expected = arrow::compute::concat_batches(&schema, &input).unwrap();
    let cases = [
        // Small pages, and a dictionary limit that sends chunks to PLAIN.
        (
            "snappy, small pages",
            properties(&schema, Codec::SNAPPY, false)
                .set_data_page_row_count_limit(300)
                .set_dictionary_page_size_limit(64),
        ),
        ("uncompressed", properties(&schema, Codec::UNCOMPRESSED, false)),
        // The crate's writer takes the strings (cast to Utf8 first).
        ("string statistics", properties(&schema, Codec::SNAPPY, true)),
        ("zstd", properties(&schema, Codec::ZSTD(Default::default()), false)),
    ];
    for (case, builder) in cases {
        let encoder = RowGroupEncoder::new(schema.clone(), Arc::new(builder.build())).unwrap();
        let from_bytes = common::encode(&encoder, &input, 2);
        // The byte path has the crate's values and metadata.
        assert_parity(&encoder, &input, 2, false);
        for key in 0..3 {
            let keyed = as_keys(key);
            assert_ne!(keyed[0].schema(), schema, "{case}: the batches hold keys");
            let from_keys = common::encode(&encoder, &keyed, 2);
            assert_eq!(
                common::read(from_keys.clone()),
                expected,
                "{case}, key type {key}: values"
            );
            assert!(from_keys == from_bytes, "{case}, key type {key}: the file's bytes");
        }
    }
}

/// Number columns whose pages end the ways the crate's run-length encoder
/// treats specially (a short repeated tail after a run, after 63 packed
/// groups, alone), with one value only (indices of zero bits), a dictionary
/// that falls back to PLAIN, nulls, lists, dates, timestamps, doubles with
/// NaNs, signed zeros and a page of NaNs only, and booleans.
fn number_batch(rows: usize, page: usize, seed: u64) -> RecordBatch {
    use arrow::array::{
        BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, ListArray, TimestampMicrosecondArray,
    };
    let mut draws = Draws(seed);
    let at = |i: usize| i % page;
    let int32 =
        |values: Vec<i32>, valid: Option<NullBuffer>| -> ArrayRef { Arc::new(Int32Array::new(values.into(), valid)) };
    let run_then_tail = int32((0..rows).map(|i| if at(i) < page - 4 { 0 } else { 1 }).collect(), None);
    let packed_then_tail = int32(
        (0..rows)
            .map(|i| if at(i) < page / 8 * 8 { (i % 3) as i32 } else { 2 })
            .collect(),
        None,
    );
    let one_value = int32(vec![7; rows], None);
    let null_tails = int32(
        (0..rows).map(|_| draws.below(20) as i32).collect(),
        Some(NullBuffer::from(
            (0..rows).map(|i| at(i) < page - 3).collect::<Vec<_>>(),
        )),
    );
    let random_nulls = validity(&mut draws, rows);
    let day = Arc::new(Date32Array::new(
        (0..rows).map(|_| 19_000 + draws.below(400) as i32).collect(),
        random_nulls,
    ));
    let distinct = Arc::new(Int64Array::from(
        (0..rows)
            .map(|i| (i as i64) * 1_000_003 - (1 << 40))
            .collect::<Vec<_>>(),
    ));
    let at_time = Arc::new(
        TimestampMicrosecondArray::from(
            (0..rows)
                .map(|i| 1_700_000_000_000_000 + i as i64 * 997)
                .collect::<Vec<_>>(),
        )
        .with_timezone("UTC"),
    );
    let (offsets, lists_valid) = lists(&mut draws, rows, true);
    let n = offsets.last() as usize;
    let item_valid = validity(&mut draws, n);
    let item = Arc::new(Field::new("item", DataType::Int32, true));
    let counts = Arc::new(ListArray::new(
        item.clone(),
        offsets,
        Arc::new(Int32Array::new(
            (0..n).map(|_| draws.below(6) as i32).collect(),
            item_valid,
        )),
        lists_valid,
    ));
    let speeds = [0.5, 1.0, 1.25, -0.0, 0.0, f64::NAN, 2.0];
    let speed_valid = validity(&mut draws, rows);
    let speed = Arc::new(Float64Array::new(
        (0..rows).map(|_| speeds[draws.below(7) as usize]).collect(),
        speed_valid,
    ));
    let nan_first_page = Arc::new(Float64Array::from(
        (0..rows)
            .map(|i| {
                if i < page && seed == 1 {
                    f64::NAN
                } else {
                    draws.below(1000) as f64 / 8.0
                }
            })
            .collect::<Vec<_>>(),
    ));
    let flag_valid = validity(&mut draws, rows);
    let flag = Arc::new(BooleanArray::new(
        (0..rows).map(|_| draws.below(3) == 0).collect(),
        flag_valid,
    ));
    let all_true = Arc::new(BooleanArray::from(vec![true; rows]));
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        Field::new("run_then_tail", DataType::Int32, false),
        Field::new("packed_then_tail", DataType::Int32, false),
        Field::new("one_value", DataType::Int32, false),
        Field::new("null_tails", DataType::Int32, true),
        Field::new("day", DataType::Date32, true),
        Field::new("distinct", DataType::Int64, false),
        Field::new(
            "at",
            DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("counts", DataType::List(item), true),
        Field::new("speed", DataType::Float64, true),
        Field::new("nan_first_page", DataType::Float64, false),
        Field::new("flag", DataType::Boolean, true),
        Field::new("all_true", DataType::Boolean, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            run_then_tail,
            packed_then_tail,
            one_value,
            null_tails,
            day,
            distinct,
            at_time,
            counts,
            speed,
            nan_first_page,
            flag,
            all_true,
        ],
    )
    .unwrap()
}

#[test]
fn number_chunks_are_the_crates_byte_for_byte() {
    // Pages of one mini-batch of 507 levels = 63 groups of 8 and 3 more.
    let page = 507;
    let input = vec![
        number_batch(3 * page, page, 1),
        number_batch(2 * page + 100, page, 2),
        number_batch(page, page, 3),
    ];
    let schema = input[0].schema();
    for codec in [Codec::SNAPPY, Codec::UNCOMPRESSED] {
        for statistics in [
            EnabledStatistics::Page,
            EnabledStatistics::Chunk,
            EnabledStatistics::None,
        ] {
            let properties = properties(&schema, codec, false)
                .set_write_batch_size(page)
                .set_data_page_row_count_limit(page)
                .set_dictionary_page_size_limit(8 * page)
                .set_statistics_enabled(statistics)
                .set_column_dictionary_enabled("at".into(), false)
                .build();
            let encoder = RowGroupEncoder::new(schema.clone(), Arc::new(properties)).unwrap();
            assert!(
                encoder
                    .writers()
                    .iter()
                    .flatten()
                    .all(|k| *k == ChunkWriterKind::Numbers),
                "{:?}",
                encoder.writers()
            );
            let parity = assert_parity(&encoder, &input, 2, true);
            assert_eq!(parity.other_chunks, 12 * 2, "{parity:?}");
            assert_eq!(parity.identical_bytes, 12 * 2, "{codec:?} {statistics:?}: {parity:?}");
        }
    }
}

/// String columns whose one page per row group ends the ways the crate's
/// run-length encoder treats specially: dictionary indices that end in a
/// run and then `tail` equal values of another entry, or in 63 packed groups
/// and then `tail` equal values; a list whose definition levels end in a run
/// of present items and then `tail` empty lists; a nullable leaf whose
/// definition levels end in a run and then `tail` nulls. With `tail` below
/// 8, the crate ends each of these streams with a short run, not a packed
/// group.
fn tail_batch(tail: usize) -> RecordBatch {
    use arrow::array::{ListArray, StringArray};
    let rows = 63 * 8 + tail;
    let cycles = ["monthly", "yearly"];
    let plans = ["free", "basic", "family", "premium"];
    let run_then_tail: Vec<&str> = (0..rows)
        .map(|i| match i {
            i if i < 16 => cycles[i % 3 % 2],
            i if i < rows - tail => cycles[0],
            _ => cycles[1],
        })
        .collect();
    let packed_then_tail: Vec<&str> = (0..rows)
        .map(|i| if i < rows - tail { plans[i % 3] } else { plans[3] })
        .collect();
    let services = ["music", "video", "podcasts"];
    let lengths = (0..rows).map(|i| usize::from(i < rows - tail));
    let offsets = arrow::buffer::OffsetBuffer::from_lengths(lengths);
    let items = offsets.last() as usize;
    let item = Arc::new(Field::new("item", DataType::Utf8, false));
    let connected = ListArray::new(
        item.clone(),
        offsets,
        Arc::new(StringArray::from(
            (0..items).map(|i| services[i % 7 % 3]).collect::<Vec<_>>(),
        )),
        None,
    );
    let null_tail: Vec<Option<&str>> = (0..rows)
        .map(|i| (i < rows - tail).then_some(cycles[i / 100 % 2]))
        .collect();
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        Field::new("run_then_tail", DataType::Utf8, false),
        Field::new("packed_then_tail", DataType::Utf8, false),
        Field::new("connected", DataType::List(item), false),
        Field::new("null_tail", DataType::Utf8, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(run_then_tail)),
            Arc::new(StringArray::from(packed_then_tail)),
            Arc::new(connected),
            Arc::new(StringArray::from(null_tail)),
        ],
    )
    .unwrap()
}

#[test]
fn string_pages_ending_in_a_short_repeated_tail_are_the_crates_byte_for_byte() {
    // A row group (one page) per tail of 1 to 7 values, and one of 5 rows
    // of one value (a page that is a tail alone).
    let mut input: Vec<RecordBatch> = (1..=7).map(tail_batch).collect();
    input.push(tail_batch(7).slice(63 * 8 + 1, 5));
    let schema = input[0].schema();
    for codec in [Codec::SNAPPY, Codec::UNCOMPRESSED] {
        let encoder =
            RowGroupEncoder::new(schema.clone(), Arc::new(properties(&schema, codec, false).build())).unwrap();
        assert!(
            encoder
                .writers()
                .iter()
                .flatten()
                .all(|k| *k == ChunkWriterKind::Strings),
            "{:?}",
            encoder.writers()
        );
        let groups = input.len();
        let parity = assert_parity(&encoder, &input, groups, true);
        assert_eq!(parity.string_chunks, 4 * groups, "{parity:?}");
        assert_eq!(parity.identical_bytes, 4 * groups, "{codec:?}: {parity:?}");
    }
}
