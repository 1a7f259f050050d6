//! Number, date, timestamp and boolean column chunks: the parquet crate's own
//! column writer (its dictionary, statistics, column index and pages), fed
//! values and levels from [`levels`](crate::levels) instead of through the
//! crate's Arrow writer. Used under the properties that
//! [`numbers`](crate::numbers), our faster writer of the same chunks, does
//! not reproduce (other codecs, page header statistics, bloom filters,
//! Parquet 2.0 pages).
//!
//! The crate's Arrow writer computes the definition and repetition levels of
//! a list or struct again for every leaf below it: `user_action` has eight
//! leaves, so its levels were built eight times per batch. Here they are
//! built once and shared with the string leaves, and a required leaf of a
//! list (every item present) passes its values slice as it is.

use std::sync::{Arc, Mutex};

use arrow::array::{AsArray, BooleanArray, PrimitiveArray};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use parquet::basic::Type as PhysicalType;
use parquet::column::page::{CompressedPage, PageWriteSpec, PageWriter};
use parquet::column::writer::{ColumnCloseResult, ColumnWriter, ColumnWriterImpl, get_column_writer};
use parquet::data_type::DataType as ParquetType;
use parquet::errors::Result;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use crate::chunk_bytes::ChunkBytes;
use crate::levels::{Leaf, NO_VALUE, Slots};

/// Whether [`PrimitiveChunkWriter`] writes leaves of `data_type` stored as
/// `physical`: values that go to Parquet unconverted.
pub fn supports(data_type: &DataType, physical: PhysicalType) -> bool {
    matches!(
        (data_type, physical),
        (DataType::Int32 | DataType::Date32, PhysicalType::INT32)
            | (DataType::Int64, PhysicalType::INT64)
            | (DataType::Timestamp(TimeUnit::Microsecond, _), PhysicalType::INT64)
            | (DataType::Float64, PhysicalType::DOUBLE)
            | (DataType::Boolean, PhysicalType::BOOLEAN)
    )
}

/// The pages of a chunk, serialized as they come into blocks shared with the
/// chunk's writer (the column writer owns its page writer).
struct SharedPageWriter(Arc<Mutex<TrackedWrite<ChunkBytes>>>);

impl PageWriter for SharedPageWriter {
    fn write_page(&mut self, page: CompressedPage) -> Result<PageWriteSpec> {
        let mut sink = self
            .0
            .lock()
            .expect("no thread panicked while holding the chunk's pages");
        SerializedPageWriter::new(&mut sink).write_page(page)
    }

    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Writes one number, date, timestamp or boolean column chunk of a row group.
pub struct PrimitiveChunkWriter {
    writer: ColumnWriter<'static>,
    sink: Arc<Mutex<TrackedWrite<ChunkBytes>>>,
    max_def: u16,
    max_rep: u16,
    /// The leaf's own definition levels, when it is nullable (reused).
    def: Vec<i16>,
    /// Present values gathered from the slots (reused, one per type).
    gathered: Gathered,
}

#[derive(Default)]
struct Gathered {
    ints: Vec<i32>,
    longs: Vec<i64>,
    doubles: Vec<f64>,
    bools: Vec<bool>,
}

impl std::fmt::Debug for PrimitiveChunkWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrimitiveChunkWriter").finish_non_exhaustive()
    }
}

/// `levels` as the `i16` slices the column writer takes.
pub(crate) fn as_i16(levels: &[u16]) -> &[i16] {
    // Levels are at most the nesting depth, far below `i16::MAX`.
    debug_assert!(levels.iter().all(|l| *l <= i16::MAX as u16));
    // SAFETY: `u16` and `i16` have the same size and alignment, and every bit
    // pattern is valid for both.
    unsafe { std::slice::from_raw_parts(levels.as_ptr().cast::<i16>(), levels.len()) }
}

impl PrimitiveChunkWriter {
    /// A writer of the chunk of `descr` with `properties` (codec, dictionary,
    /// statistics, page limits: the crate applies them all).
    pub fn new(descr: ColumnDescPtr, properties: Arc<WriterProperties>) -> Self {
        let sink = Arc::new(Mutex::new(TrackedWrite::new(ChunkBytes::default())));
        let (max_def, max_rep) = (descr.max_def_level() as u16, descr.max_rep_level() as u16);
        let writer = get_column_writer(descr, properties, Box::new(SharedPageWriter(sink.clone())));
        PrimitiveChunkWriter {
            writer,
            sink,
            max_def,
            max_rep,
            def: Vec::new(),
            gathered: Gathered::default(),
        }
    }

    /// Appends a batch's values of this column.
    ///
    /// # Errors
    /// A failure to encode or compress a page.
    ///
    /// # Panics
    /// If the leaf's type is not one that [`supports`] accepts for this column.
    pub fn write(&mut self, leaf: &Leaf) -> Result<()> {
        let array = leaf.array.as_ref();
        let Gathered {
            ints,
            longs,
            doubles,
            bools,
        } = &mut self.gathered;
        let layout = LeafLayout {
            slots: leaf.slots.as_deref(),
            nullable: leaf.nullable,
            nulls: array.logical_nulls(),
            max_def: self.max_def,
            max_rep: self.max_rep,
        };
        let def = &mut self.def;
        match (&mut self.writer, array.data_type()) {
            (ColumnWriter::Int32ColumnWriter(w), DataType::Int32) => {
                write_primitive(w, array.as_primitive::<Int32Type>(), &layout, def, ints)
            }
            (ColumnWriter::Int32ColumnWriter(w), DataType::Date32) => {
                write_primitive(w, array.as_primitive::<Date32Type>(), &layout, def, ints)
            }
            (ColumnWriter::Int64ColumnWriter(w), DataType::Int64) => {
                write_primitive(w, array.as_primitive::<Int64Type>(), &layout, def, longs)
            }
            (ColumnWriter::Int64ColumnWriter(w), DataType::Timestamp(TimeUnit::Microsecond, _)) => {
                write_primitive(w, array.as_primitive::<TimestampMicrosecondType>(), &layout, def, longs)
            }
            (ColumnWriter::DoubleColumnWriter(w), DataType::Float64) => {
                write_primitive(w, array.as_primitive::<Float64Type>(), &layout, def, doubles)
            }
            (ColumnWriter::BoolColumnWriter(w), DataType::Boolean) => {
                let array: &BooleanArray = array.as_boolean();
                bools.clear();
                let def = layout.gather(array.len(), |i| bools.push(array.value(i)), def);
                let (def, rep) = layout.slices(def);
                w.write_batch(bools, def, rep).map(drop)
            }
            (_, other) => panic!("a {other} leaf given to the writer of a column of another type"),
        }
    }

    /// The encoded chunk and its metadata.
    ///
    /// # Errors
    /// A failure to encode or compress the last page.
    pub fn close(self) -> Result<(ChunkBytes, ColumnCloseResult)> {
        let close = self.writer.close()?;
        let sink = Arc::try_unwrap(self.sink)
            .ok()
            .expect("the column writer, which held the other handle, is closed")
            .into_inner()
            .expect("a page writer never panics while holding the sink");
        Ok((sink.into_inner()?.finish(), close))
    }
}

/// How a leaf's values sit under its slots.
pub(crate) struct LeafLayout<'a> {
    pub(crate) slots: Option<&'a Slots>,
    pub(crate) nullable: bool,
    pub(crate) nulls: Option<arrow::buffer::NullBuffer>,
    pub(crate) max_def: u16,
    pub(crate) max_rep: u16,
}

impl LeafLayout<'_> {
    /// Calls `push` with the index of every present value, in order, and
    /// returns the leaf's definition levels: the slots' own, or (for a
    /// nullable leaf) built in `def`; `None` when the leaf has no slots (a
    /// required column of one value per row, every index pushed).
    pub(crate) fn gather<'d>(
        &'d self,
        len: usize,
        mut push: impl FnMut(usize),
        def: &'d mut Vec<i16>,
    ) -> Option<&'d [i16]> {
        let Some(slots) = self.slots else {
            (0..len).for_each(push);
            return None;
        };
        if self.nullable {
            def.clear();
            for (&d, &i) in slots.def.iter().zip(&slots.index) {
                if i != NO_VALUE && self.nulls.as_ref().is_none_or(|n| n.is_valid(i as usize)) {
                    def.push(d as i16 + 1);
                    push(i as usize);
                } else {
                    def.push(d as i16);
                }
            }
            return Some(def);
        }
        for &i in &slots.index {
            if i != NO_VALUE {
                push(i as usize);
            }
        }
        Some(as_i16(&slots.def))
    }

    /// Whether the leaf's values are all present, in order, one per slot
    /// with a value, so the array's values can be written as they are.
    pub(crate) fn all_present(&self, len: usize) -> bool {
        match self.slots {
            None => true,
            // Slots index their array in increasing order, each at most once,
            // so as many present slots as values means every value in order.
            Some(slots) => !self.nullable && slots.index.iter().filter(|i| **i != NO_VALUE).count() == len,
        }
    }

    /// The definition and repetition levels to hand the column writer.
    pub(crate) fn slices<'d>(&'d self, def: Option<&'d [i16]>) -> (Option<&'d [i16]>, Option<&'d [i16]>) {
        let def = if self.max_def > 0 { def } else { None };
        let rep = match self.slots {
            Some(slots) if self.max_rep > 0 => Some(as_i16(&slots.rep)),
            _ => None,
        };
        (def, rep)
    }
}

/// Writes the present values of `array` with their levels.
fn write_primitive<A, P>(
    writer: &mut ColumnWriterImpl<'static, P>,
    array: &PrimitiveArray<A>,
    layout: &LeafLayout<'_>,
    def: &mut Vec<i16>,
    gathered: &mut Vec<A::Native>,
) -> Result<()>
where
    A: ArrowPrimitiveType,
    P: ParquetType<T = A::Native>,
{
    let values: &[A::Native] = array.values();
    if layout.all_present(array.len()) {
        let (def, rep) = layout.slices(layout.slots.map(|s| as_i16(&s.def)));
        writer.write_batch(values, def, rep)?;
    } else {
        gathered.clear();
        let def = layout.gather(array.len(), |i| gathered.push(values[i]), def);
        let (def, rep) = layout.slices(def);
        writer.write_batch(gathered, def, rep)?;
    }
    Ok(())
}
