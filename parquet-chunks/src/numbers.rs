//! Number, date, timestamp and boolean column chunks (INT32, INT64, DOUBLE,
//! BOOLEAN) encoded by our own writer, with the bytes and metadata the
//! parquet crate's column writer produces for them.
//!
//! The crate's writer interns every value of a dictionary column through a
//! general-purpose hash map and runs its levels and indices through a
//! value-at-a-time RLE encoder. Here a value is interned with a multiply and
//! a probe of an open-addressed table of entry numbers, and a page's levels
//! and indices are encoded once, whole, when the page is cut.
//!
//! Everything the crate decides is decided the same way: values and levels
//! are taken in mini-batches of `write_batch_size` levels (extended to a row
//! boundary), page and dictionary limits are checked after each, with the
//! crate's size estimates; dictionary entries are in first-seen order (by
//! their bits) and fall back to PLAIN at the dictionary's size limit;
//! statistics (NaN counts and NaN-skipping bounds for doubles, total order),
//! level histograms, the column index (null pages, boundary order) and the
//! offset index are those the crate computes. The run-length encoding
//! follows the crate's encoder to its last group (a trailing run shorter than
//! a group that repeats one value is a run, not a packed group). [`supports`]
//! says which columns and properties this holds for; the crate's writer
//! ([`PrimitiveChunkWriter`](crate::primitive::PrimitiveChunkWriter)) takes
//! the rest.

use std::collections::BTreeSet;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Date32Type, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use parquet::basic::{BoundaryOrder, Compression as Codec, Encoding, EncodingMask, PageType, SortOrder};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{
    ColumnChunkMetaData, ColumnIndexBuilder, LevelHistogram, OffsetIndexBuilder, PageEncodingStats,
};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use crate::chunk_bytes::ChunkBytes;
use crate::levels::Leaf;
use crate::primitive::LeafLayout;
use crate::strings::{self, PageCodec, bit_width};

/// Whether [`NumberChunkWriter`] writes the chunks of `descr`, a leaf of
/// `data_type`, with `properties` exactly as the crate's column writer
/// would: a signed INT32 (Int32, Date32) or INT64 (Int64, microsecond
/// timestamp) leaf, a DOUBLE (Float64) or a BOOLEAN leaf, in a Parquet 1.0
/// file, uncompressed or snappy, with the default encodings, no bloom
/// filter, no page header statistics, an offset index, and mini-batches
/// whose values always fit the page and dictionary byte limits (the crate
/// then never splits them further).
pub fn supports(descr: &ColumnDescPtr, data_type: &DataType, properties: &WriterProperties) -> bool {
    use parquet::basic::Type as PhysicalType;
    let order = descr.sort_order();
    let width = match (data_type, descr.physical_type()) {
        (DataType::Int32 | DataType::Date32, PhysicalType::INT32) if order == SortOrder::SIGNED => 4,
        (DataType::Int64 | DataType::Timestamp(TimeUnit::Microsecond, _), PhysicalType::INT64)
            if order == SortOrder::SIGNED =>
        {
            8
        }
        // Doubles compare in IEEE total order, whatever their sort order.
        (DataType::Float64, PhysicalType::DOUBLE) => 8,
        (DataType::Boolean, PhysicalType::BOOLEAN) if order == SortOrder::UNSIGNED => 1,
        _ => return false,
    };
    let path = descr.path();
    let batch_bytes = width * properties.write_batch_size();
    properties.writer_version() == WriterVersion::PARQUET_1_0
        && strings::supports(properties.compression(path))
        && properties.encoding(path).is_none()
        && properties.bloom_filter_properties(path).is_none()
        && !properties.write_page_header_statistics(path)
        && !properties.offset_index_disabled()
        && properties.write_batch_size() > 0
        && batch_bytes <= properties.data_page_size_limit()
        && batch_bytes <= properties.column_dictionary_page_size_limit(path)
}

/// A physical type's values as the crate's writer treats them: PLAIN bytes,
/// order, NaNs and statistics.
trait Value: Copy + PartialEq + Default + 'static {
    /// Bytes of a value in a PLAIN dictionary page.
    const BYTES: usize;
    /// Whether the crate dictionary-encodes the type.
    const DICTIONARY: bool = true;
    /// Whether the crate counts NaNs (floating point).
    const FLOAT: bool = false;
    /// The value's bits: its dictionary identity.
    fn bits(self) -> u64;
    /// Appends the value's PLAIN bytes (as statistics hold them too).
    fn plain(self, out: &mut Vec<u8>);
    /// Appends a data page's PLAIN values.
    fn plain_page(values: &[Self], out: &mut Vec<u8>) {
        out.reserve(values.len() * Self::BYTES);
        for v in values {
            v.plain(out);
        }
    }
    /// The crate's estimate of `count` PLAIN values' bytes.
    fn plain_estimate(count: usize) -> usize {
        count * Self::BYTES
    }
    /// `a > b` in the column's sort order.
    fn greater(a: Self, b: Self) -> bool;
    fn is_nan(self) -> bool {
        false
    }
    /// The bounds and NaN count of a non-empty slice, as the crate's
    /// `min_max` gives them (NaNs skipped unless all are).
    fn min_max(values: &[Self]) -> (Self, Self, u64);
    fn statistics(stats: ValueStatistics<Self>) -> Statistics;
}

impl Value for i32 {
    const BYTES: usize = 4;
    #[inline(always)]
    fn bits(self) -> u64 {
        self as u32 as u64
    }
    #[inline(always)]
    fn plain(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn greater(a: Self, b: Self) -> bool {
        a > b
    }
    fn min_max(values: &[Self]) -> (Self, Self, u64) {
        let (lo, hi) = values
            .iter()
            .fold((i32::MAX, i32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        (lo, hi, 0)
    }
    fn statistics(stats: ValueStatistics<Self>) -> Statistics {
        Statistics::Int32(stats)
    }
}

impl Value for i64 {
    const BYTES: usize = 8;
    #[inline(always)]
    fn bits(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn plain(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn greater(a: Self, b: Self) -> bool {
        a > b
    }
    fn min_max(values: &[Self]) -> (Self, Self, u64) {
        let (lo, hi) = values
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        (lo, hi, 0)
    }
    fn statistics(stats: ValueStatistics<Self>) -> Statistics {
        Statistics::Int64(stats)
    }
}

impl Value for f64 {
    const BYTES: usize = 8;
    const FLOAT: bool = true;
    #[inline(always)]
    fn bits(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn plain(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn greater(a: Self, b: Self) -> bool {
        a.total_cmp(&b) == std::cmp::Ordering::Greater
    }
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    fn min_max(values: &[Self]) -> (Self, Self, u64) {
        // Keys in IEEE total order, NaNs out of the running (the crate's
        // `min_max_f64`).
        let key = |bits: i64| bits ^ ((((bits >> 63) as u64) >> 1) as i64);
        let (mut lo, mut hi, mut nans) = (i64::MAX, i64::MIN, 0u64);
        for v in values {
            let nan = v.is_nan();
            let k = key(v.to_bits() as i64);
            lo = lo.min(if nan { i64::MAX } else { k });
            hi = hi.max(if nan { i64::MIN } else { k });
            nans += nan as u64;
        }
        if nans as usize == values.len() {
            // All NaN: the crate's fallback keeps the first.
            return (values[0], values[0], nans);
        }
        (f64::from_bits(key(lo) as u64), f64::from_bits(key(hi) as u64), nans)
    }
    fn statistics(stats: ValueStatistics<Self>) -> Statistics {
        Statistics::Double(stats)
    }
}

impl Value for bool {
    const BYTES: usize = 1;
    const DICTIONARY: bool = false;
    fn bits(self) -> u64 {
        self as u64
    }
    fn plain(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    /// One bit per value, least significant first.
    fn plain_page(values: &[Self], out: &mut Vec<u8>) {
        out.reserve(values.len().div_ceil(8));
        for group in values.chunks(8) {
            out.push(group.iter().enumerate().fold(0u8, |b, (k, v)| b | (*v as u8) << k));
        }
    }
    fn plain_estimate(count: usize) -> usize {
        count.div_ceil(8)
    }
    fn greater(a: Self, b: Self) -> bool {
        a & !b
    }
    fn min_max(values: &[Self]) -> (Self, Self, u64) {
        let any_true = values.iter().any(|v| *v);
        let all_true = values.iter().all(|v| *v);
        (all_true, any_true, 0)
    }
    fn statistics(stats: ValueStatistics<Self>) -> Statistics {
        Statistics::Boolean(stats)
    }
}

/// The crate's `update_min`: a NaN never replaces a number.
fn update_min<T: Value>(value: T, min: &mut Option<T>) {
    match min {
        None => *min = Some(value),
        Some(m) => match (m.is_nan(), value.is_nan()) {
            (false, true) => {}
            (true, false) => *m = value,
            _ => {
                if T::greater(*m, value) {
                    *m = value;
                }
            }
        },
    }
}

/// The crate's `update_max`: a NaN never replaces a number.
fn update_max<T: Value>(value: T, max: &mut Option<T>) {
    match max {
        None => *max = Some(value),
        Some(m) => match (m.is_nan(), value.is_nan()) {
            (false, true) => {}
            (true, false) => *m = value,
            _ => {
                if T::greater(value, *m) {
                    *m = value;
                }
            }
        },
    }
}

/// Distinct values in first-seen order, found through an open-addressed
/// table of entry numbers.
struct Dictionary<T> {
    /// Entry number + 1, or 0 for an empty slot.
    table: Vec<u32>,
    /// `64 - log2(table.len())`: the hash's top bits pick the slot.
    shift: u32,
    values: Vec<T>,
}

impl<T: Value> Dictionary<T> {
    fn new() -> Self {
        Dictionary {
            table: vec![0; 64],
            shift: 64 - 6,
            values: Vec::new(),
        }
    }

    #[inline(always)]
    fn slot(&self, v: T) -> usize {
        (v.bits().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline(always)]
    fn intern(&mut self, v: T) -> u32 {
        let mask = self.table.len() - 1;
        let mut slot = self.slot(v);
        loop {
            let entry = self.table[slot];
            if entry == 0 {
                return self.insert(slot, v);
            }
            if self.values[entry as usize - 1].bits() == v.bits() {
                return entry - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    #[cold]
    fn insert(&mut self, slot: usize, v: T) -> u32 {
        let entry = self.values.len() as u32;
        self.table[slot] = entry + 1;
        self.values.push(v);
        if self.values.len() * 2 > self.table.len() {
            self.table = vec![0; self.table.len() * 2];
            self.shift -= 1;
            let mask = self.table.len() - 1;
            for (e, v) in self.values.iter().enumerate() {
                let mut s = self.slot(*v);
                while self.table[s] != 0 {
                    s = (s + 1) & mask;
                }
                self.table[s] = e as u32 + 1;
            }
        }
        entry
    }

    /// The crate's estimate of the dictionary page: the PLAIN values.
    fn page_bytes(&self) -> usize {
        self.values.len() * T::BYTES
    }
}

/// The data page being filled.
struct PageBuffer<T> {
    def: Vec<u16>,
    rep: Vec<u16>,
    /// Dictionary entries of the values, while the dictionary is in use.
    indices: Vec<u32>,
    /// Values to write PLAIN, after the dictionary fell back (or without
    /// one).
    plain: Vec<T>,
    /// Levels (values and nulls), rows, nulls.
    slots: u32,
    rows: u32,
    nulls: u64,
    min: Option<T>,
    max: Option<T>,
    /// NaNs among the page's values (floating point, once it has values).
    nans: Option<u64>,
    def_histogram: Option<LevelHistogram>,
    rep_histogram: Option<LevelHistogram>,
}

/// Writes one INT32, INT64, DOUBLE or BOOLEAN column chunk of a row group
/// (see [`supports`]).
pub struct NumberChunkWriter {
    inner: Typed,
}

enum Typed {
    Int32(Chunk<i32>),
    Int64(Chunk<i64>),
    Double(Chunk<f64>),
    /// With the batch's values unpacked from their bitmap (reused).
    Boolean(Chunk<bool>, Vec<bool>),
}

impl std::fmt::Debug for NumberChunkWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumberChunkWriter").finish_non_exhaustive()
    }
}

impl NumberChunkWriter {
    /// A writer of the chunk of `descr` with `properties` (one that
    /// [`supports`] accepts).
    pub fn new(descr: ColumnDescPtr, properties: &WriterProperties) -> Self {
        use parquet::basic::Type as PhysicalType;
        let inner = match descr.physical_type() {
            PhysicalType::INT32 => Typed::Int32(Chunk::new(descr, properties)),
            PhysicalType::INT64 => Typed::Int64(Chunk::new(descr, properties)),
            PhysicalType::DOUBLE => Typed::Double(Chunk::new(descr, properties)),
            _ => Typed::Boolean(Chunk::new(descr, properties), Vec::new()),
        };
        NumberChunkWriter { inner }
    }

    /// Appends a batch's values of this column.
    ///
    /// # Errors
    /// A failure to compress a page, or a leaf of another type.
    pub fn write(&mut self, leaf: &Leaf) -> Result<()> {
        let array = leaf.array.as_ref();
        match (&mut self.inner, array.data_type()) {
            (Typed::Int32(c), DataType::Int32) => c.write(leaf, array.as_primitive::<Int32Type>().values()),
            (Typed::Int32(c), DataType::Date32) => c.write(leaf, array.as_primitive::<Date32Type>().values()),
            (Typed::Int64(c), DataType::Int64) => c.write(leaf, array.as_primitive::<Int64Type>().values()),
            (Typed::Int64(c), DataType::Timestamp(TimeUnit::Microsecond, _)) => {
                c.write(leaf, array.as_primitive::<TimestampMicrosecondType>().values())
            }
            (Typed::Double(c), DataType::Float64) => c.write(leaf, array.as_primitive::<Float64Type>().values()),
            (Typed::Boolean(c, values), DataType::Boolean) => {
                let bits = array.as_boolean().values();
                values.clear();
                values.extend(bits.iter());
                c.write(leaf, values)
            }
            (_, other) => Err(ParquetError::General(format!(
                "a {other} leaf given to the writer of a column of another type"
            ))),
        }
    }

    /// The encoded chunk (dictionary page first) and its metadata.
    ///
    /// # Errors
    /// A failure to compress or serialize a page.
    pub fn close(self) -> Result<(ChunkBytes, ColumnCloseResult)> {
        match self.inner {
            Typed::Int32(c) => c.close(),
            Typed::Int64(c) => c.close(),
            Typed::Double(c) => c.close(),
            Typed::Boolean(c, _) => c.close(),
        }
    }
}

/// The chunk of one physical type.
struct Chunk<T: Value> {
    descr: ColumnDescPtr,
    max_def: u16,
    max_rep: u16,
    codec: Codec,
    compressor: PageCodec,
    mini_batch: usize,
    page_rows: usize,
    page_bytes: usize,
    dictionary_bytes: usize,
    statistics: EnabledStatistics,
    /// The dictionary, until it falls back to PLAIN (or `None` without one).
    dictionary: Option<Dictionary<T>>,
    /// The dictionary page, once the dictionary fell back.
    dictionary_page: Option<CompressedPage>,
    page: PageBuffer<T>,
    /// Finished data pages.
    pages: Vec<CompressedPage>,
    /// Gathered values and own definition levels of a nullable leaf (reused).
    gathered: Vec<T>,
    def: Vec<i16>,
    /// Page-encoding buffer (reused).
    encoded: Vec<u8>,
    rows: u64,
    nulls: u64,
    min: Option<T>,
    max: Option<T>,
    nans: Option<u64>,
    def_histogram: Option<LevelHistogram>,
    rep_histogram: Option<LevelHistogram>,
    column_index: ColumnIndexBuilder,
    offset_index: OffsetIndexBuilder,
    ascending: bool,
    descending: bool,
    last_min_max: Option<(T, T)>,
}

impl<T: Value> Chunk<T> {
    fn new(descr: ColumnDescPtr, properties: &WriterProperties) -> Self {
        let path = descr.path();
        let codec = properties.compression(path);
        let statistics = properties.statistics_enabled(path);
        let (max_def, max_rep) = (descr.max_def_level(), descr.max_rep_level());
        let histogram = |max| {
            if statistics == EnabledStatistics::None {
                None
            } else {
                LevelHistogram::try_new(max)
            }
        };
        let mut column_index = ColumnIndexBuilder::new(descr.physical_type());
        if statistics != EnabledStatistics::Page {
            column_index.to_invalid();
        }
        Chunk {
            max_def: max_def as u16,
            max_rep: max_rep as u16,
            codec,
            compressor: match codec {
                Codec::SNAPPY => PageCodec::Snappy(Box::new(snap::raw::Encoder::new()), Vec::new()),
                _ => PageCodec::None,
            },
            mini_batch: properties.write_batch_size(),
            page_rows: properties.data_page_row_count_limit(),
            page_bytes: properties.data_page_size_limit(),
            dictionary_bytes: properties.column_dictionary_page_size_limit(path),
            statistics,
            dictionary: (T::DICTIONARY && properties.dictionary_enabled(path)).then(Dictionary::new),
            dictionary_page: None,
            page: PageBuffer {
                def: Vec::new(),
                rep: Vec::new(),
                indices: Vec::new(),
                plain: Vec::new(),
                slots: 0,
                rows: 0,
                nulls: 0,
                min: None,
                max: None,
                nans: None,
                def_histogram: histogram(max_def),
                rep_histogram: histogram(max_rep),
            },
            pages: Vec::new(),
            gathered: Vec::new(),
            def: Vec::new(),
            encoded: Vec::new(),
            rows: 0,
            nulls: 0,
            min: None,
            max: None,
            nans: None,
            def_histogram: histogram(max_def),
            rep_histogram: histogram(max_rep),
            column_index,
            offset_index: OffsetIndexBuilder::new(),
            ascending: true,
            descending: true,
            last_min_max: None,
            descr,
        }
    }

    fn write(&mut self, leaf: &Leaf, values: &[T]) -> Result<()> {
        let layout = LeafLayout {
            slots: leaf.slots.as_deref(),
            nullable: leaf.nullable,
            nulls: leaf.array.logical_nulls(),
            max_def: self.max_def,
            max_rep: self.max_rep,
        };
        let mut gathered = std::mem::take(&mut self.gathered);
        let mut def = std::mem::take(&mut self.def);
        let result = if layout.all_present(values.len()) {
            let (def, rep) = layout.slices(layout.slots.map(|s| crate::primitive::as_i16(&s.def)));
            self.write_levels(values, def, rep)
        } else {
            gathered.clear();
            let def = layout.gather(values.len(), |i| gathered.push(values[i]), &mut def);
            let (def, rep) = layout.slices(def);
            self.write_levels(&gathered, def, rep)
        };
        self.gathered = gathered;
        self.def = def;
        result
    }

    /// The crate's `write_batch`: mini-batches of levels, each extended to
    /// a row boundary, with the page and dictionary limits checked after each.
    fn write_levels(&mut self, values: &[T], def: Option<&[i16]>, rep: Option<&[i16]>) -> Result<()> {
        let levels = def.map_or(0, <[i16]>::len).max(rep.map_or(0, <[i16]>::len));
        let levels = if levels > 0 { levels } else { values.len() };
        let (mut at, mut value_at) = (0, 0);
        while at < levels {
            let mut end = levels.min(at + self.mini_batch);
            if let Some(rep) = rep {
                while end < rep.len() && rep[end] != 0 {
                    end += 1;
                }
            }
            let n = end - at;
            let present = match def.filter(|_| self.max_def > 0) {
                Some(def) => {
                    let def = &def[at..end];
                    let present = count_levels(def, self.max_def, self.page.def_histogram.as_mut());
                    self.page.def.extend(def.iter().map(|d| *d as u16));
                    present
                }
                None => n,
            };
            self.page.nulls += (n - present) as u64;
            match rep.filter(|_| self.max_rep > 0) {
                Some(rep) => {
                    let rep = &rep[at..end];
                    // Rows start at repetition level 0.
                    let rows = count_levels(rep, 0, self.page.rep_histogram.as_mut());
                    self.page.rows += rows as u32;
                    self.page.rep.extend(rep.iter().map(|r| *r as u16));
                }
                None => self.page.rows += n as u32,
            }
            let slice = &values[value_at..value_at + present];
            value_at += present;
            if self.statistics != EnabledStatistics::None && !slice.is_empty() {
                let (lo, hi, nans) = T::min_max(slice);
                update_min(lo, &mut self.page.min);
                update_max(hi, &mut self.page.max);
                if T::FLOAT {
                    *self.page.nans.get_or_insert(0) += nans;
                }
            }
            match &mut self.dictionary {
                Some(dictionary) => {
                    let indices = &mut self.page.indices;
                    indices.reserve(slice.len());
                    for v in slice {
                        indices.push(dictionary.intern(*v));
                    }
                }
                None => self.page.plain.extend_from_slice(slice),
            }
            self.page.slots += n as u32;
            if self.page_full() {
                self.add_page()?;
            }
            if self
                .dictionary
                .as_ref()
                .is_some_and(|d| d.page_bytes() >= self.dictionary_bytes)
            {
                self.fall_back()?;
            }
            at = end;
        }
        Ok(())
    }

    /// The crate's `should_add_data_page`, with its size estimates.
    fn page_full(&self) -> bool {
        if self.page.slots == 0 {
            return false;
        }
        let estimate = match &self.dictionary {
            Some(d) => max_hybrid_bytes(
                bit_width(d.values.len().saturating_sub(1) as u64),
                self.page.indices.len(),
            ),
            None => T::plain_estimate(self.page.plain.len()),
        };
        self.page.rows as usize >= self.page_rows || estimate >= self.page_bytes
    }

    /// Ends the dictionary: the page so far is cut, the dictionary page
    /// made, and later values are PLAIN.
    fn fall_back(&mut self) -> Result<()> {
        if self.page.slots > 0 {
            self.add_page()?;
        }
        self.dictionary_page = Some(self.make_dictionary_page()?);
        self.dictionary = None;
        Ok(())
    }

    fn make_dictionary_page(&mut self) -> Result<CompressedPage> {
        let dictionary = self.dictionary.as_ref().expect("a dictionary in use");
        let mut buf = Vec::with_capacity(dictionary.page_bytes());
        for v in &dictionary.values {
            v.plain(&mut buf);
        }
        Ok(CompressedPage::new(
            Page::DictionaryPage {
                buf: self.compressor.compress(&buf)?,
                num_values: dictionary.values.len() as u32,
                encoding: Encoding::PLAIN,
                is_sorted: false,
            },
            buf.len(),
        ))
    }

    /// The crate's `add_data_page`: statistics, column and offset index
    /// entries, and the encoded page.
    fn add_page(&mut self) -> Result<()> {
        let page = &mut self.page;
        self.nulls += page.nulls;
        let page_nans = page.nans.take();
        if let Some(nans) = page_nans {
            *self.nans.get_or_insert(0) += nans;
        }
        // The crate's column index NaN count: floating point columns only.
        let index_nans = T::FLOAT.then(|| page_nans.unwrap_or(0) as i64);
        let page_min_max = match (page.min.take(), page.max.take()) {
            (Some(min), Some(max)) => {
                update_min(min, &mut self.min);
                update_max(max, &mut self.max);
                (self.statistics == EnabledStatistics::Page).then_some((min, max))
            }
            _ => None,
        };
        let null_page = page.rows as u64 == page.nulls;
        if null_page && self.column_index.valid() {
            self.column_index
                .append(true, vec![], vec![], page.nulls as i64, index_nans);
        } else if self.column_index.valid() {
            match page_min_max {
                None => self.column_index.to_invalid(),
                Some((min, max)) => {
                    if let Some((last_min, last_max)) = self.last_min_max {
                        if self.ascending && (T::greater(last_min, min) || T::greater(last_max, max)) {
                            self.ascending = false;
                        }
                        if self.descending && (T::greater(min, last_min) || T::greater(max, last_max)) {
                            self.descending = false;
                        }
                    }
                    self.last_min_max = Some((min, max));
                    let (mut lo, mut hi) = (Vec::new(), Vec::new());
                    min.plain(&mut lo);
                    max.plain(&mut hi);
                    self.column_index.append(false, lo, hi, page.nulls as i64, index_nans);
                }
            }
        }
        self.column_index
            .append_histograms(&page.rep_histogram, &page.def_histogram);
        self.offset_index.append_row_count(page.rows as i64);
        self.offset_index.append_unencoded_byte_array_data_bytes(None);
        if let (Some(chunk), Some(page)) = (&mut self.def_histogram, &page.def_histogram) {
            chunk.add(page);
        }
        if let (Some(chunk), Some(page)) = (&mut self.rep_histogram, &page.rep_histogram) {
            chunk.add(page);
        }

        let buf = &mut self.encoded;
        buf.clear();
        if self.max_rep > 0 {
            encode_levels(&page.rep, self.max_rep, buf);
        }
        if self.max_def > 0 {
            encode_levels(&page.def, self.max_def, buf);
        }
        let encoding = match &self.dictionary {
            Some(d) => {
                let width = bit_width(d.values.len().saturating_sub(1) as u64);
                buf.push(width);
                strings::encode_hybrid(&page.indices, width, buf);
                Encoding::RLE_DICTIONARY
            }
            None => {
                T::plain_page(&page.plain, buf);
                Encoding::PLAIN
            }
        };
        let compressed = CompressedPage::new(
            Page::DataPage {
                buf: self.compressor.compress(buf)?,
                num_values: page.slots,
                encoding,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            },
            buf.len(),
        );
        self.pages.push(compressed);
        self.rows += page.rows as u64;
        page.def.clear();
        page.rep.clear();
        page.indices.clear();
        page.plain.clear();
        page.slots = 0;
        page.rows = 0;
        page.nulls = 0;
        if let Some(h) = &mut page.def_histogram {
            h.reset();
        }
        if let Some(h) = &mut page.rep_histogram {
            h.reset();
        }
        Ok(())
    }

    fn close(mut self) -> Result<(ChunkBytes, ColumnCloseResult)> {
        if self.page.slots > 0 {
            self.add_page()?;
        }
        if self.dictionary.is_some() {
            self.dictionary_page = Some(self.make_dictionary_page()?);
        }
        let mut sink = TrackedWrite::new(ChunkBytes::default());
        let mut page_writer = SerializedPageWriter::new(&mut sink);
        let mut encodings = BTreeSet::from([Encoding::RLE]);
        let mut encoding_stats: Vec<PageEncodingStats> = Vec::new();
        let (mut compressed_size, mut uncompressed_size, mut bytes_written, mut num_values) = (0u64, 0u64, 0u64, 0u64);
        let mut dictionary_page_offset = None;
        let mut data_page_offset = None;
        if let Some(page) = self.dictionary_page.take() {
            encodings.insert(page.encoding());
            encoding_stats.push(PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: page.encoding(),
                count: 1,
            });
            let spec = page_writer.write_page(page)?;
            dictionary_page_offset = Some(spec.offset);
            compressed_size += spec.compressed_size as u64;
            uncompressed_size += spec.uncompressed_size as u64;
            bytes_written += spec.bytes_written;
        }
        for page in std::mem::take(&mut self.pages) {
            let encoding = page.encoding();
            encodings.insert(encoding);
            match encoding_stats.last_mut() {
                Some(stats) if stats.page_type == PageType::DATA_PAGE && stats.encoding == encoding => stats.count += 1,
                _ => encoding_stats.push(PageEncodingStats {
                    page_type: PageType::DATA_PAGE,
                    encoding,
                    count: 1,
                }),
            }
            let spec = page_writer.write_page(page)?;
            self.offset_index
                .append_offset_and_size(spec.offset as i64, spec.compressed_size as i32);
            compressed_size += spec.compressed_size as u64;
            uncompressed_size += spec.uncompressed_size as u64;
            bytes_written += spec.bytes_written;
            num_values += spec.num_values as u64;
            data_page_offset.get_or_insert(spec.offset);
        }
        page_writer.close()?;
        let bytes = sink.into_inner()?.finish();

        let mut builder = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(self.codec)
            .set_encodings_mask(EncodingMask::new_from_encodings(encodings.iter()))
            .set_page_encoding_stats(encoding_stats)
            .set_total_compressed_size(compressed_size as i64)
            .set_total_uncompressed_size(uncompressed_size as i64)
            .set_num_values(num_values as i64)
            .set_data_page_offset(data_page_offset.unwrap_or(0) as i64)
            .set_dictionary_page_offset(dictionary_page_offset.map(|o| o as i64));
        if self.statistics != EnabledStatistics::None {
            let signed = self.descr.sort_order().is_signed();
            let statistics = ValueStatistics::new(self.min, self.max, None, Some(self.nulls), false)
                .with_nan_count(self.nans)
                .with_backwards_compatible_min_max(signed);
            builder = builder
                .set_statistics(T::statistics(statistics))
                .set_unencoded_byte_array_data_bytes(None)
                .set_repetition_level_histogram(self.rep_histogram.take())
                .set_definition_level_histogram(self.def_histogram.take());
        }
        let metadata = builder.build()?;
        let boundary_order = match (self.ascending, self.descending) {
            (true, _) => BoundaryOrder::ASCENDING,
            (false, true) => BoundaryOrder::DESCENDING,
            (false, false) => BoundaryOrder::UNORDERED,
        };
        self.column_index.set_boundary_order(boundary_order);
        let column_index = if self.column_index.valid() {
            Some(self.column_index.build()?)
        } else {
            None
        };
        let close = ColumnCloseResult {
            bytes_written,
            rows_written: self.rows,
            metadata,
            bloom_filter: None,
            column_index,
            offset_index: Some(self.offset_index.build()),
        };
        Ok((bytes, close))
    }
}

/// The crate's bound on the run-length encoding of `values` values of
/// `width` bits (its estimate of a dictionary data page).
fn max_hybrid_bytes(width: u8, values: usize) -> usize {
    let groups = values.div_ceil(8);
    let packed = groups + groups * width as usize;
    let runs = groups * (1 + (width as usize).div_ceil(8));
    packed.max(runs)
}

/// Appends levels as a v1 data page stores them: a 4-byte length, then the
/// run-length encoding.
fn encode_levels(levels: &[u16], max: u16, out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    strings::encode_hybrid(levels, bit_width(max as u64), out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// How many of `levels` equal `level`; with `histogram`, every level's
/// count added to it. A pass per level (vectorized), not a count per level
/// in memory: consecutive increments of one counter wait on each other.
#[inline]
fn count_levels(levels: &[i16], level: u16, histogram: Option<&mut LevelHistogram>) -> usize {
    let count = |l: i16| levels.iter().filter(|x| **x == l).count();
    match histogram {
        Some(h) if (level as usize) < h.len() => {
            let mut of_level = 0;
            for l in 0..h.len() {
                let c = count(l as i16);
                h.increment_by(l as i16, c as i64);
                if l == level as usize {
                    of_level = c;
                }
            }
            of_level
        }
        _ => count(level as i16),
    }
}
