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
pub(crate) const NO_VALUE: u32 = u32::MAX;

/// One leaf of a batch: its values, and the level slots above it unless the
/// leaf is a required column outside any list or nullable struct (one value
/// per row). The slots are shared by the leaves of a list or struct; a
/// nullable leaf adds its own validity.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) array: ArrayRef,
    pub(crate) slots: Option<Arc<Slots>>,
    pub(crate) nullable: bool,
}

/// Level slots on the way down from the rows to a leaf.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slots {
    /// Definition level of each slot (of the list or struct above the leaf).
    pub(crate) def: Vec<u16>,
    /// Repetition level of each slot.
    pub(crate) rep: Vec<u16>,
    /// Index into the array at this depth, or [`NO_VALUE`].
    pub(crate) index: Vec<u32>,
    /// The first slot of each row, and the number of slots at the end.
    pub(crate) row_starts: Vec<u32>,
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

/// Number of Parquet leaf columns under `data_type`.
pub(crate) fn leaf_count(data_type: &DataType) -> usize {
    match data_type {
        DataType::Struct(fields) => fields.iter().map(|f| leaf_count(f.data_type())).sum(),
        DataType::List(item) | DataType::LargeList(item) => leaf_count(item.data_type()),
        _ => 1,
    }
}

/// The leaves of `array` (a column of `field`) that `wanted` selects, in
/// Parquet leaf order; `None` for every other leaf. `wanted` has one flag per
/// leaf of `field`; lists on the way to a wanted leaf must be `List`.
///
/// # Errors
/// A large list, map or other nested type on the way to a wanted leaf.
pub(crate) fn leaves(field: &Field, array: &ArrayRef, wanted: &[bool]) -> Result<Vec<Option<Leaf>>> {
    let mut out = Vec::with_capacity(wanted.len());
    walk(field, array, None, 0, wanted, &mut out)?;
    debug_assert_eq!(out.len(), wanted.len());
    Ok(out)
}

fn walk(
    field: &Field,
    array: &ArrayRef,
    slots: Option<&Arc<Slots>>,
    rep_depth: u16,
    wanted: &[bool],
    out: &mut Vec<Option<Leaf>>,
) -> Result<()> {
    if !wanted.iter().any(|w| *w) {
        out.extend(wanted.iter().map(|_| None));
        return Ok(());
    }
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
            let mut start = 0;
            for (child_field, child) in fields.iter().zip(s.columns()) {
                let n = leaf_count(child_field.data_type());
                walk(child_field, child, slots, rep_depth, &wanted[start..start + n], out)?;
                start += n;
            }
            Ok(())
        }
        DataType::List(item) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            let nullable = field.is_nullable() as u16;
            let next = match slots {
                None if !list.is_nullable() => list_slots_of_rows(offsets, nullable, rep_depth),
                _ => {
                    let identity;
                    let slots = match slots {
                        Some(s) => s.as_ref(),
                        None => {
                            identity = Slots::rows(list.len());
                            &identity
                        }
                    };
                    list_slots(slots, list, nullable, rep_depth)
                }
            };
            walk(item, list.values(), Some(&Arc::new(next)), rep_depth + 1, wanted, out)
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
            out.push(Some(Leaf {
                array: array.clone(),
                slots,
                nullable,
            }));
            Ok(())
        }
    }
}

/// The slots of a list's items when the list is a top-level column without
/// nulls: each row holds its items, or one empty slot.
fn list_slots_of_rows(offsets: &[i32], nullable: u16, rep_depth: u16) -> Slots {
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
            next.def.push(nullable);
            next.rep.push(0);
            next.index.push(NO_VALUE);
        } else {
            next.def
                .extend(std::iter::repeat_n(nullable + 1, (end - start) as usize));
            next.rep.push(0);
            next.rep
                .extend(std::iter::repeat_n(rep_depth + 1, (end - start - 1) as usize));
            next.index.extend(start..end);
        }
    }
    next.row_starts.push(next.def.len() as u32);
    next
}

/// The slots of a list's items under `slots`.
fn list_slots(slots: &Slots, list: &arrow::array::ListArray, nullable: u16, rep_depth: u16) -> Slots {
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
            next.def.push(def + nullable);
            next.rep.push(rep);
            next.index.push(NO_VALUE);
            continue;
        }
        for k in start..end {
            next.def.push(def + nullable + 1);
            next.rep.push(if k == start { rep } else { rep_depth + 1 });
            next.index.push(k);
        }
    }
    next.row_starts.push(next.def.len() as u32);
    next
}
