//! Definition and repetition levels of nested Arrow columns, as slots: the
//! levels of a list or struct are computed once and shared by every leaf
//! below it (the parquet crate's writer walks the nesting again per leaf).
//!
//! ```text
//! recommendations: List<Struct{content_id, position, ..}>
//!   rows        [2 items]   [empty]   [1 item]
//!   slots  def   1  1        0         1
//!          rep   0  1        0         0
//!        index   0  1        -         2      (into the items)
//! ```

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field};
use parquet::errors::{ParquetError, Result};

/// No value at this level slot (a null, or an empty list, above the leaf).
pub const NO_VALUE: u32 = u32::MAX;

/// One leaf of a batch: its values, and the level slots above it unless the
/// leaf is a required column outside any list or nullable struct (one value
/// per row). The slots are shared by the leaves of a list or struct; a
/// nullable leaf adds its own validity.
#[derive(Debug)]
pub struct Leaf {
    pub array: ArrayRef,
    pub slots: Option<Arc<Slots>>,
    pub nullable: bool,
}

/// Level slots on the way down from the rows to a leaf.
#[derive(Clone, Debug, Default)]
pub struct Slots {
    /// Definition level of each slot (of the list or struct above the leaf).
    pub def: Vec<u16>,
    /// Repetition level of each slot.
    pub rep: Vec<u16>,
    /// Index into the array at this depth, or [`NO_VALUE`].
    pub index: Vec<u32>,
    /// The first slot of each row, and the number of slots at the end.
    pub row_starts: Vec<u32>,
}

impl Slots {
    /// One slot per row, all present, at definition level 0.
    fn rows(n: usize) -> Self {
        Slots {
            def: vec![0; n],
            rep: vec![0; n],
            index: (0..n as u32).collect(),
            row_starts: (0..=n as u32).collect(),
        }
    }
}

/// Every leaf of `array` (a column of `field`), in Parquet leaf order.
///
/// # Errors
/// A large list, map or other nested type inside `field`, whose levels are
/// left to the parquet crate.
pub fn leaves(field: &Field, array: &ArrayRef) -> Result<Vec<Leaf>> {
    let mut out = Vec::new();
    walk(field, array, None, 0, &mut out)?;
    Ok(out)
}

fn walk(
    field: &Field,
    array: &ArrayRef,
    slots: Option<&Arc<Slots>>,
    rep_depth: u16,
    out: &mut Vec<Leaf>,
) -> Result<()> {
    match field.data_type() {
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let inner = if field.is_nullable() {
                let mut next = slots.map_or_else(|| Slots::rows(s.len()), |s| Slots::clone(s));
                for (def, index) in next.def.iter_mut().zip(next.index.iter_mut()) {
                    if *index == NO_VALUE {
                        continue;
                    }
                    if s.is_null(*index as usize) {
                        *index = NO_VALUE;
                    } else {
                        *def += 1;
                    }
                }
                Some(Arc::new(next))
            } else {
                None
            };
            let slots = inner.as_ref().or(slots);
            for (child_field, child) in fields.iter().zip(s.columns()) {
                walk(child_field, child, slots, rep_depth, out)?;
            }
            Ok(())
        }
        DataType::List(item) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            let null_def = field.is_nullable() as u16;
            let next = match slots {
                None if !list.is_nullable() => list_slots_of_rows(offsets, null_def, rep_depth),
                _ => {
                    let identity;
                    let slots = match slots {
                        Some(s) => s.as_ref(),
                        None => {
                            identity = Slots::rows(list.len());
                            &identity
                        }
                    };
                    list_slots(slots, list, null_def, rep_depth)
                }
            };
            walk(item, list.values(), Some(&Arc::new(next)), rep_depth + 1, out)
        }
        other if other.is_nested() => Err(ParquetError::General(format!(
            "column `{}` of type {other} has no level computation here",
            field.name()
        ))),
        _ => {
            let nullable = field.is_nullable();
            let slots = match (slots, nullable) {
                (None, false) => None,
                (None, true) => Some(Arc::new(Slots::rows(array.len()))),
                (Some(s), _) => Some(s.clone()),
            };
            out.push(Leaf {
                array: array.clone(),
                slots,
                nullable,
            });
            Ok(())
        }
    }
}

/// The slots of a list's items when the list has no levels above it (a
/// top-level column, or inside required structs) and no nulls: each row
/// holds its items, or one empty slot. `null_def` is 1 when the list's
/// field is nullable (an empty list is then defined one level up).
fn list_slots_of_rows(offsets: &[i32], null_def: u16, rep_depth: u16) -> Slots {
    let rows = offsets.len() - 1;
    let capacity = rows + (offsets[rows] - offsets[0]) as usize;
    let mut next = Slots {
        def: Vec::with_capacity(capacity),
        rep: Vec::with_capacity(capacity),
        index: Vec::with_capacity(capacity),
        row_starts: Vec::with_capacity(rows + 1),
    };
    for w in offsets.windows(2) {
        let (start, end) = (w[0] as u32, w[1] as u32);
        next.row_starts.push(next.def.len() as u32);
        if start == end {
            next.def.push(null_def);
            next.rep.push(0);
            next.index.push(NO_VALUE);
        } else {
            next.def
                .extend(std::iter::repeat_n(null_def + 1, (end - start) as usize));
            next.rep.push(0);
            next.rep
                .extend(std::iter::repeat_n(rep_depth + 1, (end - start - 1) as usize));
            next.index.extend(start..end);
        }
    }
    next.row_starts.push(next.def.len() as u32);
    next
}

/// The slots of a list's items under `slots`; `null_def` as in
/// [`list_slots_of_rows`].
fn list_slots(slots: &Slots, list: &arrow::array::ListArray, null_def: u16, rep_depth: u16) -> Slots {
    let offsets = list.value_offsets();
    let capacity = slots.index.len() + list.values().len();
    let mut next = Slots {
        def: Vec::with_capacity(capacity),
        rep: Vec::with_capacity(capacity),
        index: Vec::with_capacity(capacity),
        row_starts: Vec::with_capacity(slots.row_starts.len()),
    };
    for ((&def, &rep), &index) in slots.def.iter().zip(&slots.rep).zip(&slots.index) {
        if rep == 0 {
            next.row_starts.push(next.def.len() as u32);
        }
        if index == NO_VALUE || list.is_null(index as usize) {
            next.def.push(def);
            next.rep.push(rep);
            next.index.push(NO_VALUE);
            continue;
        }
        let (start, end) = (offsets[index as usize] as u32, offsets[index as usize + 1] as u32);
        if start == end {
            next.def.push(def + null_def);
            next.rep.push(rep);
            next.index.push(NO_VALUE);
            continue;
        }
        for k in start..end {
            next.def.push(def + null_def + 1);
            next.rep.push(if k == start { rep } else { rep_depth + 1 });
            next.index.push(k);
        }
    }
    next.row_starts.push(next.def.len() as u32);
    next
}
