//! String column chunks (dictionary-encoded, or PLAIN for columns without a
//! dictionary), written without the Parquet writer's general-purpose
//! dictionary encoder and level computation.
//!
//! Most string columns of the events hold a small vocabulary (device models,
//! cities, genres) or ids that repeat (users, titles). The parquet crate's
//! encoder hashes every value with a general-purpose hash and compares it byte
//! by byte with its dictionary entry, then computes levels for it through the
//! generic nested-array machinery: together the largest single cost of a run
//! after compression. Here a value of up to 16 bytes is identified by its
//! length and two machine words (loaded, not looped over), so interning is a
//! multiply, a table probe and two compares; levels are computed once per
//! list or struct and shared by its string leaves.
//!
//! Everything else is the parquet crate's: page headers
//! ([`SerializedPageWriter`]), chunk metadata, the offset index. The chunk has
//! the layout the crate itself writes: a PLAIN dictionary page, then v1 data
//! pages (RLE levels, RLE_DICTIONARY indices) cut at row boundaries by row
//! count and size, falling back to PLAIN pages once the dictionary outgrows its
//! size limit; without a dictionary, PLAIN data pages only, compressed only
//! if the codec saves an eighth of the first page. Finished chunks are held
//! in blocks ([`ChunkBytes`]) until their row group is appended.
//!
//! A leaf may also come as a dictionary array (`Dictionary(UInt16 | UInt32 |
//! Int32, Utf8)`): keys into a vocabulary, as a generator that chose each
//! value from a list writes them. Then a key's value is interned once per
//! chunk, the first time the key occurs, and every later occurrence costs an
//! array lookup (key to dictionary entry): no value is hashed or compared
//! again. Entries still come out in the order values are first used, and a
//! vocabulary that lists one value under two keys still gets one entry, so
//! the chunk's bytes are exactly those of the same values given as Utf8.

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::datatypes::{ArrowNativeType, DataType, Int32Type, UInt16Type, UInt32Type};
use bytes::Bytes;
use parquet::basic::{Compression as Codec, Encoding, PageType};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder, PageEncodingStats};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use crate::chunk_bytes::ChunkBytes;
use crate::levels::{Leaf, NO_VALUE};

/// Rows written between checks of the page and dictionary limits (the
/// parquet crate's default write batch size).
const MINI_BATCH_ROWS: usize = 1024;

/// A dictionary of byte strings in first-seen order, with its PLAIN page.
#[derive(Debug)]
struct Dictionary {
    /// Open-addressed: entry number + 1, or 0 for an empty slot.
    table: Vec<u32>,
    keys: Vec<Key>,
    /// The dictionary page: each value as a 4-byte length and its bytes.
    page: Vec<u8>,
}

/// What identifies a value: its hash, its length and the two words of
/// [`words`], which are the whole value up to 16 bytes. Half a cache line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(align(32))]
struct Key {
    hash: u64,
    lo: u64,
    hi: u64,
    len: u32,
    /// Where the value's bytes start in the page (after its length).
    start: u32,
}

impl Key {
    #[inline(always)]
    fn of(v: &[u8]) -> Key {
        let (lo, hi) = words(v);
        Key {
            hash: hash(v, lo, hi),
            lo,
            hi,
            len: v.len() as u32,
            start: 0,
        }
    }

    #[inline(always)]
    fn matches(&self, other: &Key) -> bool {
        self.hash == other.hash && self.lo == other.lo && self.hi == other.hi && self.len == other.len
    }
}

/// Two words that, with the length, identify a value of up to 16 bytes
/// exactly (longer values are compared in full).
#[inline(always)]
fn words(v: &[u8]) -> (u64, u64) {
    let n = v.len();
    if n >= 8 {
        (load64(v, 0), load64(v, n - 8))
    } else if n >= 4 {
        let lo = u32::from_le_bytes(v[..4].try_into().expect("4 bytes")) as u64;
        let hi = u32::from_le_bytes(v[n - 4..].try_into().expect("4 bytes")) as u64;
        (lo, hi)
    } else if n > 0 {
        let packed = v[0] as u64 | (v[n / 2] as u64) << 8 | (v[n - 1] as u64) << 16;
        (packed, 0)
    } else {
        (0, 0)
    }
}

#[inline(always)]
fn load64(v: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(v[at..at + 8].try_into().expect("8 bytes"))
}

#[inline(always)]
fn hash(v: &[u8], lo: u64, hi: u64) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = v.len();
    let mut h = (lo ^ (n as u64).wrapping_mul(K)).wrapping_mul(K) ^ hi.rotate_left(29);
    // The middle of a longer value, in (possibly overlapping) words.
    let mut at = 8;
    while at + 8 < n {
        h = (h ^ load64(v, at.min(n - 16))).wrapping_mul(K);
        at += 8;
    }
    let h = h.wrapping_mul(K);
    h ^ (h >> 32)
}

/// Whether two values of the same length (over 16 bytes) are equal, a word
/// at a time.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert!(n == b.len() && n >= 8);
    let mut at = 0;
    while at + 8 <= n {
        if load64(a, at) != load64(b, at) {
            return false;
        }
        at += 8;
    }
    n.is_multiple_of(8) || load64(a, n - 8) == load64(b, n - 8)
}

/// Asks the CPU to start loading `p`'s cache line (a hint; no effect on
/// results).
#[inline(always)]
fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching never faults, and `p` is a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((p as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// How many values ahead the interning loop prefetches: table slots at
/// twice this distance, entries at this distance.
const PREFETCH_AHEAD: usize = 8;

impl Dictionary {
    fn new() -> Self {
        Dictionary {
            table: vec![0; 64],
            keys: Vec::new(),
            page: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    /// Interns the values of `data` that `keys` locate (by `start` and
    /// `len`) into `out`.
    ///
    /// Dictionaries of ids and titles outgrow the fastest caches, so the
    /// table slot and the entry of a value a few places ahead are
    /// prefetched while the current one is looked up.
    fn intern_all(&mut self, data: &[u8], keys: &[Key], out: &mut Vec<u32>) {
        let n = keys.len();
        out.reserve(n);
        for k in 0..n {
            let mask = self.table.len() - 1;
            if let Some(key) = keys.get(k + 2 * PREFETCH_AHEAD) {
                prefetch(&self.table[key.hash as usize & mask]);
            }
            if let Some(key) = keys.get(k + PREFETCH_AHEAD) {
                let entry = self.table[key.hash as usize & mask];
                if entry != 0 {
                    prefetch(&self.keys[entry as usize - 1]);
                }
            }
            let key = &keys[k];
            let value = &data[key.start as usize..(key.start + key.len) as usize];
            out.push(self.intern_key(value, key));
        }
    }

    /// The entry number of `v`, added if new.
    #[cfg(test)]
    fn intern(&mut self, v: &[u8]) -> u32 {
        self.intern_key(v, &Key::of(v))
    }

    #[inline(always)]
    fn intern_key(&mut self, v: &[u8], key: &Key) -> u32 {
        let mask = self.table.len() - 1;
        let mut slot = key.hash as usize & mask;
        loop {
            let entry = self.table[slot];
            if entry == 0 {
                return self.insert(slot, v, *key);
            }
            let e = (entry - 1) as usize;
            if self.keys[e].matches(key) && (v.len() <= 16 || same_bytes(self.bytes(e), v)) {
                return e as u32;
            }
            slot = (slot + 1) & mask;
        }
    }

    fn bytes(&self, entry: usize) -> &[u8] {
        let key = &self.keys[entry];
        &self.page[key.start as usize..(key.start + key.len) as usize]
    }

    #[cold]
    fn insert(&mut self, slot: usize, v: &[u8], mut key: Key) -> u32 {
        let entry = self.keys.len() as u32;
        self.table[slot] = entry + 1;
        self.page.extend_from_slice(&(v.len() as u32).to_le_bytes());
        key.start = self.page.len() as u32;
        self.page.extend_from_slice(v);
        self.keys.push(key);
        if self.keys.len() * 2 > self.table.len() {
            self.rehash(self.table.len() * 2);
        }
        entry
    }

    /// Rebuilds the table with `slots` slots (a power of two).
    fn rehash(&mut self, slots: usize) {
        let mut table = vec![0u32; slots];
        let mask = table.len() - 1;
        for (e, key) in self.keys.iter().enumerate() {
            let mut s = key.hash as usize & mask;
            while table[s] != 0 {
                s = (s + 1) & mask;
            }
            table[s] = e as u32 + 1;
        }
        self.table = table;
    }

    /// Room for `values` more values of `bytes` bytes in all: a chunk whose
    /// distinct values are known before it starts (a keyed column's
    /// vocabulary) then grows no buffer by doubling, which would hold up
    /// to three times the room while it copies.
    fn reserve(&mut self, values: usize, bytes: usize) {
        self.keys.reserve_exact(values);
        self.page.reserve_exact(bytes + 4 * values);
        let slots = (2 * (self.keys.len() + values)).next_power_of_two();
        if slots > self.table.len() {
            self.rehash(slots);
        }
    }
}

/// Bits needed to hold `max`.
pub(crate) fn bit_width(max: u64) -> u8 {
    (64 - max.leading_zeros()) as u8
}

/// Appends `values` in the RLE / bit-packing hybrid encoding with `width`
/// bits per value, exactly as the parquet crate's `RleEncoder` writes them:
/// runs of equal values that cover a whole group of 8 (groups counted from
/// the start or from the end of the last run) as RLE runs, the rest as
/// bit-packed runs of at most 63 groups of 8. A last partial group is
/// bit-packed (padded with zeros) unless it repeats one value and no packed
/// group precedes it since the last run (or the start, or the end of a full
/// packed run of 63 groups): then the crate writes it as a short run, and so
/// does this.
pub(crate) fn encode_hybrid<T: Copy + PartialEq + Into<u64>>(values: &[T], width: u8, out: &mut Vec<u8>) {
    let n = values.len();
    let mut literal_start = 0;
    let mut i = 0;
    while i + 8 <= n {
        let v = values[i];
        if values[i..i + 8] == [v; 8] {
            let mut end = i + 8;
            while end < n && values[end] == v {
                end += 1;
            }
            // `i - literal_start` is a whole number of groups.
            if i > literal_start {
                bit_pack(&values[literal_start..i], width, out);
            }
            rle_run(v.into(), end - i, width, out);
            literal_start = end;
            i = end;
        } else {
            i += 8;
        }
    }
    let stretch = n - literal_start;
    let (groups, tail) = (stretch / 8, stretch % 8);
    let last = &values[n - tail..];
    if tail > 0 && groups.is_multiple_of(GROUPS_PER_RUN) && last.iter().all(|x| *x == last[0]) {
        // The crate's encoder has no packed group pending: it ends with a
        // run of the tail's value.
        if groups > 0 {
            bit_pack(&values[literal_start..n - tail], width, out);
        }
        rle_run(last[0].into(), tail, width, out);
    } else if stretch > 0 {
        bit_pack(&values[literal_start..], width, out);
    }
}

fn uleb128(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn rle_run(value: u64, count: usize, width: u8, out: &mut Vec<u8>) {
    uleb128((count as u64) << 1, out);
    out.extend_from_slice(&value.to_le_bytes()[..width.div_ceil(8) as usize]);
}

/// The most groups of 8 in one bit-packed run (the crate's encoder closes a
/// run at 63 groups, so that its header fits in one byte).
const GROUPS_PER_RUN: usize = 63;

/// Bit-packed runs of at most [`GROUPS_PER_RUN`] groups of 8 (a one-byte
/// header each).
fn bit_pack<T: Copy + Into<u64>>(values: &[T], width: u8, out: &mut Vec<u8>) {
    for run in values.chunks(GROUPS_PER_RUN * 8) {
        let groups = run.len().div_ceil(8);
        uleb128(((groups as u64) << 1) | 1, out);
        let mut groups_of_8 = run.chunks_exact(8);
        for group in &mut groups_of_8 {
            pack_group(std::array::from_fn(|k| group[k].into()), width, out);
        }
        let rest = groups_of_8.remainder();
        if !rest.is_empty() {
            pack_group(
                std::array::from_fn(|k| rest.get(k).map_or(0, |v| (*v).into())),
                width,
                out,
            );
        }
    }
}

/// Packs 8 values of `width` bits into `width` bytes, least significant
/// bits first.
#[inline]
fn pack_group(values: [u64; 8], width: u8, out: &mut Vec<u8>) {
    let w = width as u32;
    if w <= 8 {
        let mut packed = 0u64;
        for (k, v) in values.iter().enumerate() {
            packed |= *v << (k as u32 * w);
        }
        // A fixed-size copy, then cut to `width` bytes.
        let len = out.len();
        out.extend_from_slice(&packed.to_le_bytes());
        out.truncate(len + w as usize);
    } else if w <= 16 {
        let mut packed = 0u128;
        for (k, v) in values.iter().enumerate() {
            packed |= (*v as u128) << (k as u32 * w);
        }
        // A fixed-size copy, then cut to `width` bytes.
        let len = out.len();
        out.extend_from_slice(&packed.to_le_bytes());
        out.truncate(len + w as usize);
    } else {
        let (mut acc, mut bits) = (0u64, 0u32);
        for v in values {
            acc |= v << bits;
            bits += w;
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
    }
}

/// Appends levels as a v1 data page stores them: a 4-byte length, then the
/// hybrid encoding.
fn encode_levels(levels: &[u16], max: u16, out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    encode_hybrid(levels, bit_width(max as u64), out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// The codecs this encoder compresses with itself.
pub(crate) enum PageCodec {
    None,
    /// Snappy, and the buffer it compresses into (reused across pages).
    Snappy(Box<snap::raw::Encoder>, Vec<u8>),
}

impl PageCodec {
    /// The compressed page, in a buffer of exactly its size: pages are held
    /// until their row group is written, so spare capacity would be memory
    /// held for nothing (snappy's worst-case output is 1/6 larger than its
    /// input).
    pub(crate) fn compress(&mut self, page: &[u8]) -> Result<Bytes> {
        match self {
            PageCodec::None => Ok(Bytes::copy_from_slice(page)),
            PageCodec::Snappy(encoder, out) => {
                out.resize(snap::raw::max_compress_len(page.len()), 0);
                let n = encoder
                    .compress(page, out)
                    .map_err(|e| ParquetError::External(Box::new(e)))?;
                Ok(Bytes::copy_from_slice(&out[..n]))
            }
        }
    }
}

/// Whether [`StringChunkWriter`] can write chunks with `codec`.
pub fn supports(codec: Codec) -> bool {
    matches!(codec, Codec::UNCOMPRESSED | Codec::SNAPPY)
}

/// The page and dictionary limits a chunk is cut by.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub page_rows: usize,
    pub page_bytes: usize,
    pub dictionary_bytes: usize,
}

/// The data page being filled.
#[derive(Debug, Default)]
struct PageBuffer {
    def: Vec<u16>,
    rep: Vec<u16>,
    indices: Vec<u32>,
    plain: Vec<u8>,
    /// Level slots (values and nulls).
    slots: usize,
    rows: usize,
    /// Bytes of the present values, unencoded (for the offset index).
    value_bytes: i64,
}

/// A key of `remap` not yet given a dictionary entry.
const UNSEEN: u32 = u32::MAX;

/// A leaf's values as the writer reads them.
enum Values<'a> {
    /// A Utf8 array: its offsets and bytes.
    Bytes { offsets: &'a [i32], data: &'a [u8] },
    /// A dictionary array: keys into a vocabulary of Utf8 values.
    Keys {
        keys: Keys<'a>,
        vocabulary: &'a StringArray,
    },
}

/// The key buffer of a dictionary array, of the key types taken.
enum Keys<'a> {
    U16(&'a [u16]),
    U32(&'a [u32]),
    I32(&'a [i32]),
}

impl<'a> Values<'a> {
    fn of(array: &'a ArrayRef) -> Result<Self> {
        let unsupported = || {
            ParquetError::General(format!(
                "a string column chunk takes Utf8 or a dictionary of Utf8 values under UInt16, UInt32 or Int32 keys, not {}",
                array.data_type()
            ))
        };
        match array.data_type() {
            DataType::Utf8 => {
                let array = array.as_string::<i32>();
                Ok(Values::Bytes {
                    offsets: array.value_offsets(),
                    data: array.value_data(),
                })
            }
            DataType::Dictionary(key, value) if **value == DataType::Utf8 => {
                let (keys, values) = match **key {
                    DataType::UInt16 => {
                        let d = array.as_dictionary::<UInt16Type>();
                        (Keys::U16(d.keys().values()), d.values())
                    }
                    DataType::UInt32 => {
                        let d = array.as_dictionary::<UInt32Type>();
                        (Keys::U32(d.keys().values()), d.values())
                    }
                    DataType::Int32 => {
                        let d = array.as_dictionary::<Int32Type>();
                        (Keys::I32(d.keys().values()), d.values())
                    }
                    _ => return Err(unsupported()),
                };
                if values.null_count() > 0 {
                    return Err(ParquetError::General(
                        "the values of a dictionary string column must not be null (null keys are)".into(),
                    ));
                }
                Ok(Values::Keys {
                    keys,
                    vocabulary: values.as_string::<i32>(),
                })
            }
            _ => Err(unsupported()),
        }
    }
}

/// Identifies a vocabulary array by its buffers, so the key remap is kept
/// across the batches of a chunk that share one vocabulary (an `Arc`'d
/// array handed to every batch) and reset when the vocabulary changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct VocabularyId {
    data: usize,
    offsets: usize,
    len: usize,
}

impl VocabularyId {
    fn of(vocabulary: &StringArray) -> Self {
        VocabularyId {
            data: vocabulary.value_data().as_ptr() as usize,
            offsets: vocabulary.value_offsets().as_ptr() as usize,
            len: vocabulary.len(),
        }
    }
}

/// Writes one string column chunk of a row group.
pub struct StringChunkWriter {
    descr: ColumnDescPtr,
    codec: Codec,
    compressor: PageCodec,
    limits: Limits,
    dictionary: Dictionary,
    /// Set once the dictionary outgrew its limit (or from the start without
    /// a dictionary): later pages are PLAIN.
    plain: bool,
    /// Whether the chunk starts with a dictionary page.
    dictionary_page: bool,
    page: PageBuffer,
    /// The data page being encoded (reused across pages).
    encoded: Vec<u8>,
    /// The keys of the mini-batch being interned.
    probes: Vec<Key>,
    /// The present values of a nullable leaf's mini-batch.
    present: Vec<u32>,
    /// For a leaf given as keys: the dictionary entry of each key of the
    /// vocabulary, or [`UNSEEN`] before the key's first use in this chunk.
    remap: Vec<u32>,
    /// Which vocabulary `remap` is for (see [`VocabularyId`]).
    remap_of: Option<VocabularyId>,
    /// Finished data pages, their row counts and unencoded value bytes.
    pages: Vec<(CompressedPage, usize, i64)>,
    rows: u64,
    slots: u64,
}

impl std::fmt::Debug for StringChunkWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StringChunkWriter")
            .field("column", &self.descr.path())
            .finish_non_exhaustive()
    }
}

impl StringChunkWriter {
    /// A writer of the chunk of `descr`, compressed with `codec` (one that
    /// [`supports`] accepts), dictionary-encoded if `dictionary` (falling back
    /// to PLAIN at the dictionary's size limit), PLAIN otherwise.
    pub fn new(descr: ColumnDescPtr, codec: Codec, limits: Limits, dictionary: bool) -> Self {
        let compressor = match codec {
            Codec::SNAPPY => PageCodec::Snappy(Box::new(snap::raw::Encoder::new()), Vec::new()),
            _ => PageCodec::None,
        };
        StringChunkWriter {
            descr,
            codec,
            compressor,
            limits,
            dictionary: Dictionary::new(),
            plain: !dictionary,
            dictionary_page: dictionary,
            page: PageBuffer::default(),
            encoded: Vec::new(),
            probes: Vec::new(),
            present: Vec::new(),
            remap: Vec::new(),
            remap_of: None,
            pages: Vec::new(),
            rows: 0,
            slots: 0,
        }
    }

    /// Appends a batch's values of this column.
    ///
    /// # Errors
    /// A failure to compress a page; a leaf that is neither Utf8 nor a
    /// dictionary of Utf8 values (without nulls) under UInt16, UInt32 or
    /// Int32 keys.
    pub fn write(&mut self, leaf: &Leaf) -> Result<()> {
        let values = Values::of(&leaf.array)?;
        if let Values::Keys { vocabulary, .. } = &values {
            let id = VocabularyId::of(vocabulary);
            if self.remap_of != Some(id) {
                self.remap.clear();
                self.remap.resize(vocabulary.len(), UNSEEN);
                self.remap_of = Some(id);
                if !self.plain && self.dictionary.len() == 0 {
                    // At most the vocabulary, and no more than a dictionary
                    // page may hold before the chunk falls back to plain.
                    let total = vocabulary.value_data().len().max(1);
                    let bytes = total.min(self.limits.dictionary_bytes);
                    let values = vocabulary.len().min(leaf.array.len()) * bytes / total;
                    self.dictionary.reserve(values, bytes);
                }
            }
        }
        let array = &leaf.array;
        match &leaf.slots {
            None => {
                let n = array.len();
                let mut i = 0;
                while i < n {
                    self.check_limits()?;
                    let take = (n - i).min(MINI_BATCH_ROWS).min(self.limits.page_rows - self.page.rows);
                    self.push_values(&values, i..i + take);
                    self.page.rows += take;
                    self.page.slots += take;
                    i += take;
                }
            }
            Some(slots) => {
                let max_rep = self.descr.max_rep_level();
                let rows = slots.row_starts.len() - 1;
                let mut row = 0;
                while row < rows {
                    self.check_limits()?;
                    let take = (rows - row)
                        .min(MINI_BATCH_ROWS)
                        .min(self.limits.page_rows - self.page.rows);
                    let (a, b) = (slots.row_starts[row] as usize, slots.row_starts[row + take] as usize);
                    if max_rep > 0 {
                        self.page.rep.extend_from_slice(&slots.rep[a..b]);
                    }
                    let index = &slots.index[a..b];
                    if leaf.nullable {
                        let mut present = std::mem::take(&mut self.present);
                        present.clear();
                        for (&def, &i) in slots.def[a..b].iter().zip(index) {
                            if i != NO_VALUE && array.is_valid(i as usize) {
                                self.page.def.push(def + 1);
                                present.push(i);
                            } else {
                                self.page.def.push(def);
                            }
                        }
                        self.push_values(&values, present.iter().map(|i| *i as usize));
                        self.present = present;
                    } else {
                        self.page.def.extend_from_slice(&slots.def[a..b]);
                        let present = index.iter().filter(|i| **i != NO_VALUE);
                        self.push_values(&values, present.map(|i| *i as usize));
                    }
                    self.page.rows += take;
                    self.page.slots += b - a;
                    row += take;
                }
            }
        }
        Ok(())
    }

    /// Appends the values at `rows` of the leaf's array.
    #[inline]
    fn push_values(&mut self, values: &Values<'_>, rows: impl Iterator<Item = usize>) {
        match values {
            Values::Bytes { offsets, data } => self.push_bytes(offsets, data, rows),
            Values::Keys { keys, vocabulary } => match keys {
                Keys::U16(keys) => self.push_keys(keys, vocabulary, rows),
                Keys::U32(keys) => self.push_keys(keys, vocabulary, rows),
                Keys::I32(keys) => self.push_keys(keys, vocabulary, rows),
            },
        }
    }

    /// Appends the values at `rows` of keys into `vocabulary`: each key's
    /// value is interned at its first use in the chunk, later uses are
    /// looked up in `remap`.
    #[inline]
    fn push_keys<K: ArrowNativeType>(
        &mut self,
        keys: &[K],
        vocabulary: &StringArray,
        rows: impl Iterator<Item = usize>,
    ) {
        let (offsets, data) = (vocabulary.value_offsets(), vocabulary.value_data());
        let span = |k: usize| (offsets[k] as usize, offsets[k + 1] as usize);
        if self.plain {
            let plain = &mut self.page.plain;
            let mut value_bytes = 0;
            for (start, end) in rows.map(|i| span(keys[i].as_usize())) {
                plain.extend_from_slice(&((end - start) as u32).to_le_bytes());
                plain.extend_from_slice(&data[start..end]);
                value_bytes += end - start;
            }
            self.page.value_bytes += value_bytes as i64;
        } else {
            let (remap, dictionary, indices) = (&mut self.remap, &mut self.dictionary, &mut self.page.indices);
            let mut value_bytes = 0;
            for i in rows {
                let k = keys[i].as_usize();
                let mut entry = remap[k];
                if entry == UNSEEN {
                    let (start, end) = span(k);
                    let value = &data[start..end];
                    entry = dictionary.intern_key(value, &Key::of(value));
                    remap[k] = entry;
                }
                value_bytes += dictionary.keys[entry as usize].len as usize;
                indices.push(entry);
            }
            self.page.value_bytes += value_bytes as i64;
        }
    }

    /// Appends the values at `rows` of a Utf8 array (its `offsets` and `data`).
    #[inline]
    fn push_bytes(&mut self, offsets: &[i32], data: &[u8], rows: impl Iterator<Item = usize>) {
        let span = |i: usize| (offsets[i] as usize, offsets[i + 1] as usize);
        if self.plain {
            let plain = &mut self.page.plain;
            let mut value_bytes = 0;
            for (start, end) in rows.map(span) {
                plain.extend_from_slice(&((end - start) as u32).to_le_bytes());
                plain.extend_from_slice(&data[start..end]);
                value_bytes += end - start;
            }
            self.page.value_bytes += value_bytes as i64;
        } else {
            self.probes.clear();
            self.probes.extend(rows.map(span).map(|(start, end)| {
                let mut key = Key::of(&data[start..end]);
                key.start = start as u32;
                key
            }));
            self.page.value_bytes += self.probes.iter().map(|k| k.len as i64).sum::<i64>();
            self.dictionary.intern_all(data, &self.probes, &mut self.page.indices);
        }
    }

    /// Between mini-batches (at a row boundary): cuts the page if full, and
    /// falls back to PLAIN if the dictionary is over its limit.
    fn check_limits(&mut self) -> Result<()> {
        if self.page.rows == 0 {
            return Ok(());
        }
        let bytes = if self.plain {
            self.page.plain.len()
        } else {
            self.page.indices.len() * bit_width(self.dictionary.len() as u64) as usize / 8
        };
        if self.page.rows >= self.limits.page_rows || bytes >= self.limits.page_bytes {
            self.flush_page()?;
        }
        if !self.plain && self.dictionary.page.len() > self.limits.dictionary_bytes {
            if self.page.rows > 0 {
                self.flush_page()?;
            }
            self.plain = true;
        }
        Ok(())
    }

    fn flush_page(&mut self) -> Result<()> {
        let (max_def, max_rep) = (self.descr.max_def_level() as u16, self.descr.max_rep_level() as u16);
        let page = std::mem::take(&mut self.page);
        let mut buf = std::mem::take(&mut self.encoded);
        buf.clear();
        if max_rep > 0 {
            encode_levels(&page.rep, max_rep, &mut buf);
        }
        if max_def > 0 {
            encode_levels(&page.def, max_def, &mut buf);
        }
        let encoding = if self.plain {
            buf.extend_from_slice(&page.plain);
            Encoding::PLAIN
        } else {
            // Zero bits for a dictionary of one entry (then every index
            // is in a run), as the crate's encoder.
            let width = bit_width(self.dictionary.len().saturating_sub(1) as u64);
            buf.push(width);
            encode_hybrid(&page.indices, width, &mut buf);
            Encoding::RLE_DICTIONARY
        };
        let uncompressed = buf.len();
        let mut page_bytes = self.compressor.compress(&buf)?;
        if !self.dictionary_page
            && self.pages.is_empty()
            && self.codec != Codec::UNCOMPRESSED
            && page_bytes.len() * 8 > uncompressed * 7
        {
            // The first page of a chunk without a dictionary decides: a
            // codec that saves less than an eighth of it (snappy on the
            // random hex of ids saves a tenth) is dropped for the chunk.
            self.compressor = PageCodec::None;
            self.codec = Codec::UNCOMPRESSED;
            page_bytes = Bytes::copy_from_slice(&buf);
        }
        let compressed = CompressedPage::new(
            Page::DataPage {
                buf: page_bytes,
                num_values: page.slots as u32,
                encoding,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            },
            uncompressed,
        );
        self.encoded = buf;
        self.pages.push((compressed, page.rows, page.value_bytes));
        self.rows += page.rows as u64;
        self.slots += page.slots as u64;
        // Keep the buffers' capacity for the next page.
        let PageBuffer {
            mut def,
            mut rep,
            mut indices,
            mut plain,
            ..
        } = page;
        def.clear();
        rep.clear();
        indices.clear();
        plain.clear();
        self.page = PageBuffer {
            def,
            rep,
            indices,
            plain,
            slots: 0,
            rows: 0,
            value_bytes: 0,
        };
        Ok(())
    }

    /// The encoded chunk (dictionary page first) and its metadata.
    ///
    /// # Errors
    /// A failure to compress or serialize a page.
    pub fn close(mut self) -> Result<(ChunkBytes, ColumnCloseResult)> {
        if self.page.slots > 0 || self.pages.is_empty() {
            self.flush_page()?;
        }
        let mut sink = TrackedWrite::new(ChunkBytes::default());
        let mut page_writer = SerializedPageWriter::new(&mut sink);
        let mut offset_index = OffsetIndexBuilder::new();
        let mut encoding_stats = Vec::new();
        let mut encodings = vec![Encoding::PLAIN, Encoding::RLE];
        let (mut compressed_size, mut uncompressed_size) = (0, 0);
        if self.dictionary_page {
            let dictionary_entries = self.dictionary.len() as u32;
            let dictionary_bytes = std::mem::take(&mut self.dictionary.page);
            let dictionary_size = dictionary_bytes.len();
            let dictionary_page = CompressedPage::new(
                Page::DictionaryPage {
                    buf: self.compressor.compress(&dictionary_bytes)?,
                    num_values: dictionary_entries,
                    encoding: Encoding::PLAIN,
                    is_sorted: false,
                },
                dictionary_size,
            );
            encoding_stats.push(PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: Encoding::PLAIN,
                count: 1,
            });
            encodings.push(Encoding::RLE_DICTIONARY);
            let spec = page_writer.write_page(dictionary_page)?;
            (compressed_size, uncompressed_size) = (spec.compressed_size, spec.uncompressed_size);
        }
        let mut data_page_offset = None;
        for (page, rows, value_bytes) in self.pages {
            let encoding = page.encoding();
            match encoding_stats.last_mut() {
                Some(stats) if stats.page_type == PageType::DATA_PAGE && stats.encoding == encoding => stats.count += 1,
                _ => encoding_stats.push(PageEncodingStats {
                    page_type: PageType::DATA_PAGE,
                    encoding,
                    count: 1,
                }),
            }
            if !encodings.contains(&encoding) {
                encodings.push(encoding);
            }
            let spec = page_writer.write_page(page)?;
            data_page_offset.get_or_insert(spec.offset);
            compressed_size += spec.compressed_size;
            uncompressed_size += spec.uncompressed_size;
            offset_index.append_offset_and_size(spec.offset as i64, spec.compressed_size as i32);
            offset_index.append_row_count(rows as i64);
            // As the crate's writer does, with or without statistics.
            offset_index.append_unencoded_byte_array_data_bytes(Some(value_bytes));
        }
        page_writer.close()?;
        let bytes = sink.into_inner()?.finish();

        let metadata = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(self.codec)
            .set_encodings(encodings)
            .set_page_encoding_stats(encoding_stats)
            .set_total_compressed_size(compressed_size as i64)
            .set_total_uncompressed_size(uncompressed_size as i64)
            .set_num_values(self.slots as i64)
            .set_data_page_offset(data_page_offset.expect("at least one data page") as i64)
            .set_dictionary_page_offset(self.dictionary_page.then_some(0))
            .build()?;
        let close = ColumnCloseResult {
            bytes_written: parquet::file::reader::Length::len(&bytes),
            rows_written: self.rows,
            metadata,
            bloom_filter: None,
            column_index: None,
            offset_index: Some(offset_index.build()),
        };
        Ok((bytes, close))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes the hybrid encoding (the reading side, for the tests).
    fn decode_hybrid(mut bytes: &[u8], width: u8, n: usize) -> Vec<u64> {
        let mut out = Vec::new();
        while out.len() < n {
            let mut header = 0u64;
            let mut shift = 0;
            loop {
                let b = bytes[0];
                bytes = &bytes[1..];
                header |= ((b & 0x7f) as u64) << shift;
                shift += 7;
                if b < 0x80 {
                    break;
                }
            }
            if header & 1 == 1 {
                let values = (header >> 1) as usize * 8;
                let (mut acc, mut bits) = (0u128, 0u32);
                let mut taken = 0;
                for _ in 0..values {
                    while bits < width as u32 {
                        acc |= (bytes[taken] as u128) << bits;
                        taken += 1;
                        bits += 8;
                    }
                    out.push((acc & ((1u128 << width) - 1)) as u64);
                    acc >>= width;
                    bits -= width as u32;
                }
                bytes = &bytes[taken..];
            } else {
                let count = (header >> 1) as usize;
                let k = width.div_ceil(8) as usize;
                let mut word = [0u8; 8];
                word[..k].copy_from_slice(&bytes[..k]);
                bytes = &bytes[k..];
                out.extend(std::iter::repeat_n(u64::from_le_bytes(word), count));
            }
        }
        out.truncate(n);
        out
    }

    #[test]
    fn hybrid_encoding_round_trips_runs_literals_and_widths() {
        let mut cases: Vec<(Vec<u32>, u8)> = vec![
            (vec![], 1),
            (vec![1], 1),
            (vec![3; 100], 2),
            ((0..1000).map(|i| (i * 7919) % 300).collect(), 9),
            ((0..1000).map(|i| if i % 50 < 30 { 5 } else { i % 7 }).collect(), 3),
            ((0..5000).map(|i| i % 2).collect(), 1),
            ((0..77).map(|i| (i / 9) as u32).collect(), 4),
            ((0..70_000).map(|i| i as u32).collect(), 17),
        ];
        cases.push((vec![u32::MAX >> 1; 3], 31));
        for (values, width) in cases {
            let mut out = Vec::new();
            encode_hybrid(&values, width, &mut out);
            let decoded = decode_hybrid(&out, width, values.len());
            let expected: Vec<u64> = values.iter().map(|v| *v as u64).collect();
            assert_eq!(decoded, expected, "width {width}");
        }
    }

    #[test]
    fn hybrid_encoding_ends_as_the_crates_encoder() {
        let alternating = |groups: usize| -> Vec<u8> { (0..groups * 8).map(|i| (i % 2) as u8).collect() };
        let then = |mut values: Vec<u8>, tail: &[u8]| {
            values.extend_from_slice(tail);
            values
        };
        let packed = |groups: usize| {
            let mut out = vec![(groups as u8) << 1 | 1];
            out.extend(std::iter::repeat_n(0xaa, groups));
            out
        };
        let cases: Vec<(Vec<u8>, u8, Vec<u8>)> = vec![
            // A repeated tail after a run, alone, after 63 packed groups:
            // a run of its own.
            (then(vec![0; 8], &[1]), 1, vec![0x10, 0, 0x02, 1]),
            (vec![1; 3], 2, vec![0x06, 1]),
            (vec![0; 5], 0, vec![0x0a]),
            (then(alternating(63), &[1, 1]), 1, then(packed(63), &[0x04, 1])),
            // A tail of two values, or after a packed group: packed.
            (then(vec![0; 8], &[1, 0]), 1, vec![0x10, 0, 0x03, 1]),
            (then(alternating(1), &[1, 1]), 1, vec![0x05, 0xaa, 0x03]),
            (then(alternating(64), &[1, 1]), 1, then(packed(63), &[0x05, 0xaa, 0x03])),
        ];
        for (values, width, expected) in cases {
            let mut out = Vec::new();
            encode_hybrid(&values, width, &mut out);
            assert_eq!(out, expected, "{values:?}");
        }
    }

    /// The codec of a chunk without a dictionary, written with snappy, of
    /// `values` as a required string column, and its values read back.
    fn plain_chunk(values: Vec<String>) -> (Codec, Vec<String>) {
        use arrow::array::{ArrayRef, StringArray};
        use arrow::datatypes::{DataType, Field};
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::RowAccessor;
        use std::sync::Arc;
        let field = Field::new("id", DataType::Utf8, false);
        let schema = Arc::new(arrow::datatypes::Schema::new(vec![field.clone()]));
        let array: ArrayRef = Arc::new(StringArray::from(values));
        let leaf = crate::levels::leaves(&field, &array).unwrap().pop().unwrap();
        let descr = parquet::arrow::ArrowSchemaConverter::new()
            .convert(&schema)
            .unwrap()
            .column(0);
        let limits = Limits {
            page_rows: 1_000,
            page_bytes: 1 << 20,
            dictionary_bytes: 1 << 20,
        };
        let mut writer = StringChunkWriter::new(descr, Codec::SNAPPY, limits, false);
        writer.write(&leaf).unwrap();
        let (chunk, close) = writer.close().unwrap();
        let codec = close.metadata.compression();

        let file = parquet::arrow::ArrowWriter::try_new(Vec::new(), schema, None).unwrap();
        let (mut file, _) = file.into_serialized_writer().unwrap();
        let mut row_group = file.next_row_group().unwrap();
        row_group.append_column(&chunk, close).unwrap();
        row_group.close().unwrap();
        let file = bytes::Bytes::from(file.into_inner().unwrap());
        let reader = SerializedFileReader::new(file).unwrap();
        let mut back = Vec::new();
        for row in reader.get_row_iter(None).unwrap() {
            back.push(row.unwrap().get_string(0).unwrap().clone());
        }
        (codec, back)
    }

    #[test]
    fn a_codec_that_does_not_pay_is_dropped_for_the_chunk() {
        // Random hex, as in the id columns: snappy saves about a tenth.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let ids: Vec<String> = (0..3_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                format!(
                    "{state:016x}{:016x}",
                    state.rotate_left(29).wrapping_mul(0x2545_f491_4f6c_dd1d)
                )
            })
            .collect();
        let (codec, back) = plain_chunk(ids.clone());
        assert_eq!(codec, Codec::UNCOMPRESSED);
        assert_eq!(back, ids);

        // Text that repeats keeps the codec.
        let text: Vec<String> = (0..3_000).map(|i| format!("session of user {}", i % 40)).collect();
        let (codec, back) = plain_chunk(text.clone());
        assert_eq!(codec, Codec::SNAPPY);
        assert_eq!(back, text);
    }

    #[test]
    fn long_runs_are_run_length_encoded() {
        let mut out = Vec::new();
        encode_hybrid(&[2u16; 20_000], 2, &mut out);
        assert!(out.len() < 8, "{} bytes for one run", out.len());
    }

    #[test]
    fn dictionary_tells_values_apart_by_every_byte() {
        let values: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"b".to_vec(),
            b"ab".to_vec(),
            b"ba".to_vec(),
            b"abc".to_vec(),
            b"acb".to_vec(),
            b"abcd".to_vec(),
            b"abcde".to_vec(),
            b"abdde".to_vec(),
            b"12345678".to_vec(),
            b"123456789".to_vec(),
            b"123406789".to_vec(),
            b"0123456789abcdef".to_vec(),
            b"0123456789abcdeg".to_vec(),
            b"0123456789abcdef0".to_vec(),
            b"01234567-9abc-4ef0-0123-456789abcdef".to_vec(),
            b"01234567-9abc-4ef0-0123-456789abcdeF".to_vec(),
            b"01234567-9abc-4ef0-1123-456789abcdef".to_vec(),
        ];
        let mut dictionary = Dictionary::new();
        for _ in 0..3 {
            for (i, v) in values.iter().enumerate() {
                assert_eq!(dictionary.intern(v), i as u32, "{:?}", String::from_utf8_lossy(v));
            }
        }
        for i in 0..10_000u32 {
            let v = format!("value-{i}");
            assert_eq!(dictionary.intern(v.as_bytes()), values.len() as u32 + i);
        }
        assert_eq!(dictionary.len(), values.len() + 10_000);
        assert_eq!(dictionary.bytes(16), values[16].as_slice());
    }
}
