//! The normalized (star-schema) layout: the nested batch reshaped into flat
//! tables keyed by `event_id`, plus the `users` and `content` dimensions.
//!
//! ```text
//! events          one row per event; device_*, location_*, subscription_* and
//!                 the playback columns flattened; content_id → content
//! user_actions    (event_id, position) → one action      event_id → events
//! recommendations (event_id, position) → one item        content_id → content
//! search_history  (event_id, position) → one search
//! users           user_id → home, device count            (user_id ← events)
//! subscriptions   (user_id, valid_from) → one version of the user's
//!                 subscription (SCD2): each event joins the one version with
//!                 valid_from <= timestamp < valid_to (open when null)
//! subscription_changes
//!                 the same versions as a change feed (Debezium's envelope:
//!                 op, ts, user_id, before, after), from a snapshot at the
//!                 first day's start; replayed, it rebuilds `subscriptions`
//! content         content_id → the catalog entry
//! ```
//!
//! The event tables are derived from the nested batch by Arrow reshaping
//! (child arrays reused, `take` for the repeated keys), so the values are the
//! nested layout's values by construction.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Int32Array, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray, UInt32Array, make_array,
};
use arrow::buffer::NullBuffer;
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};

use crate::columns::{ContentColumns, LocationColumns, SubscriptionColumns, uuid_column};
use crate::error::Error;
use crate::faults::GroundTruth;
use crate::lifecycle::{Held, Version};
use crate::rng::{KeyedRng, Stream};
use crate::schema::{event_schema, event_schema_of, list_item, struct_fields};
use crate::world::World;

/// The event tables, in the order [`split`] returns them.
pub const EVENT_TABLES: [&str; 4] = ["events", "user_actions", "recommendations", "search_history"];
/// The dimension tables: the user tables (one file of each per range of
/// users), then `content`.
pub const DIMENSION_TABLES: [&str; 4] = ["users", "subscriptions", "subscription_changes", "content"];
/// How many of [`DIMENSION_TABLES`] are written per range of users.
pub const USER_TABLES: usize = 3;

/// Prefix of each flattened struct's columns in `events`.
const FLATTENED: [(&str, &str); 4] = [
    ("device", "device_"),
    ("location", "location_"),
    ("content", "content_"),
    ("user_subscription", "subscription_"),
];

/// Schemas of [`EVENT_TABLES`].
pub fn event_table_schemas() -> &'static [SchemaRef; 4] {
    event_table_schemas_of(false)
}

/// Schemas of [`EVENT_TABLES`] split from [`event_schema_of`]`(missing_values)`:
/// with missing values, the events table's `user_id`, `timestamp` and
/// `location_country` are nullable.
pub fn event_table_schemas_of(missing_values: bool) -> &'static [SchemaRef; 4] {
    static SCHEMAS: OnceLock<[SchemaRef; 4]> = OnceLock::new();
    static MISSING: OnceLock<[SchemaRef; 4]> = OnceLock::new();
    let schemas = if missing_values { &MISSING } else { &SCHEMAS };
    schemas.get_or_init(|| {
        let nested = event_schema_of(missing_values);
        let mut events: Vec<FieldRef> = Vec::new();
        for field in nested.fields() {
            match (field.name().as_str(), field.data_type()) {
                ("content", DataType::Struct(children)) => {
                    events.push(Arc::new(Field::new(
                        "content_id",
                        children[0].data_type().clone(),
                        false,
                    )));
                }
                ("event_details", DataType::Struct(children)) => {
                    events.extend(
                        children
                            .iter()
                            .map(|c| Arc::new(c.as_ref().clone().with_nullable(true))),
                    );
                }
                (name, DataType::Struct(children)) => {
                    let prefix = FLATTENED.iter().find(|(n, _)| *n == name).expect("flattened struct").1;
                    for c in children.iter().filter(|c| !matches!(c.data_type(), DataType::List(_))) {
                        events.push(Arc::new(c.as_ref().clone().with_name(format!("{prefix}{}", c.name()))));
                    }
                }
                (_, DataType::List(_)) => {}
                _ => events.push(field.clone()),
            }
        }
        let child = |list: &str| {
            let item = list_item(nested.field_with_name(list).expect("list column").data_type());
            let items = struct_fields(item.data_type());
            let mut fields: Vec<FieldRef> = vec![Arc::new(Field::new("event_id", DataType::Utf8, false))];
            // Recommendations carry their own 1-based position; the other lists get one.
            if items.find("position").is_none() {
                fields.push(Arc::new(Field::new("position", DataType::Int32, false)));
            }
            fields.extend(items.iter().cloned());
            Arc::new(Schema::new(fields))
        };
        [
            Arc::new(Schema::new(events)),
            child("user_action"),
            child("recommendations"),
            child("search_history"),
        ]
    })
}

/// Schema of the `users` dimension.
pub fn users_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |n: &str| Field::new(n, DataType::Utf8, false);
            Arc::new(Schema::new(vec![
                utf8("user_id"),
                utf8("country"),
                utf8("city"),
                utf8("region"),
                utf8("timezone"),
                Field::new("devices", DataType::Int32, false),
            ]))
        })
        .clone()
}

/// Schema of the `subscriptions` dimension: the versions of each user's
/// subscription in SCD2 form. `start_date` is the stint's first day (the
/// sign-up or the return), which plan and billing changes keep.
pub fn subscriptions_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |n: &str| Field::new(n, DataType::Utf8, false);
            let timestamp = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
            Arc::new(Schema::new(vec![
                utf8("user_id"),
                utf8("plan"),
                Field::new("start_date", DataType::Date32, false),
                utf8("billing_cycle"),
                Field::new("connected_services", services_type(), false),
                Field::new("valid_from", timestamp.clone(), false),
                Field::new("valid_to", timestamp, true),
                Field::new("is_current", DataType::Boolean, false),
            ]))
        })
        .clone()
}

/// Schema of the `subscription_changes` feed, in Debezium's envelope: `op`
/// (`r` a snapshot row, `c` a sign-up or a return, `u` a plan or billing
/// change, `d` a cancellation), `ts` (when the change took effect; for `r`,
/// the first day's start, when the snapshot is taken), the key `user_id`,
/// and the row `before` (null for `r` and `c`) and `after` (null for `d`)
/// the change, whose `updated_at` is when that row was last changed.
pub fn subscription_changes_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let timestamp = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
            let row = DataType::Struct(subscription_row_fields());
            Arc::new(Schema::new(vec![
                Field::new("op", DataType::Utf8, false),
                Field::new("ts", timestamp, false),
                Field::new("user_id", DataType::Utf8, false),
                Field::new("before", row.clone(), true),
                Field::new("after", row, true),
            ]))
        })
        .clone()
}

/// The fields of a subscription row in `subscription_changes`.
fn subscription_row_fields() -> Fields {
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    subscriptions_schema()
        .fields()
        .iter()
        .filter(|f| ["plan", "start_date", "billing_cycle", "connected_services"].contains(&f.name().as_str()))
        .cloned()
        .chain([Arc::new(Field::new("updated_at", timestamp, false))])
        .collect()
}

fn services_type() -> DataType {
    crate::schema::list_of(DataType::Utf8)
}

/// Schema of the `content` dimension: the content struct with `id` named
/// `content_id`, and the title's `release_date` (no event plays it before).
pub fn content_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let content = event_schema()
                .field_with_name("content")
                .expect("content")
                .data_type()
                .clone();
            let mut fields: Vec<Field> = struct_fields(&content)
                .iter()
                .map(|f| {
                    if f.name() == "id" {
                        f.as_ref().clone().with_name("content_id")
                    } else {
                        f.as_ref().clone()
                    }
                })
                .collect();
            fields.push(Field::new("release_date", DataType::Date32, false));
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// Reshapes a nested batch into the four event tables.
///
/// # Errors
/// [`Error::Arrow`] if the batch does not have [`event_schema_of`]`(missing_values)`.
pub fn split(batch: &RecordBatch, missing_values: bool) -> Result<[RecordBatch; 4], Error> {
    let [events_schema, actions_schema, recommendations_schema, searches_schema] =
        event_table_schemas_of(missing_values);
    let mut events: Vec<ArrayRef> = Vec::with_capacity(events_schema.fields().len());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        match (field.name().as_str(), field.data_type()) {
            ("content", _) => events.push(column.as_struct().column(0).clone()),
            ("event_details", _) => {
                // The struct's nulls move onto each flattened column.
                let details = column.as_struct();
                for child in details.columns() {
                    let data = child.to_data().into_builder().nulls(details.nulls().cloned()).build()?;
                    events.push(make_array(data));
                }
            }
            (_, DataType::Struct(_)) => {
                let s = column.as_struct();
                for (child_field, child) in s.fields().iter().zip(s.columns()) {
                    if !matches!(child_field.data_type(), DataType::List(_)) {
                        events.push(child.clone());
                    }
                }
            }
            (_, DataType::List(_)) => {}
            _ => events.push(column.clone()),
        }
    }
    let event_id = batch.column(0);
    let child_table = |name: &str, schema: &SchemaRef| -> Result<RecordBatch, Error> {
        let list = batch.column_by_name(name).expect("list column").as_list::<i32>();
        let offsets = list.value_offsets();
        let (first, last) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
        let mut parents = Vec::with_capacity(last - first);
        let mut positions = Vec::with_capacity(last - first);
        for (row, pair) in offsets.windows(2).enumerate() {
            for k in 0..(pair[1] - pair[0]) {
                parents.push(row as u32);
                positions.push(k + 1);
            }
        }
        let items = list.values().slice(first, last - first);
        let items = items.as_struct();
        let mut columns: Vec<ArrayRef> = vec![take(event_id.as_ref(), &UInt32Array::from(parents), None)?];
        if items.column_by_name("position").is_none() {
            columns.push(Arc::new(Int32Array::from(positions)));
        }
        columns.extend(items.columns().iter().cloned());
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    };
    Ok([
        RecordBatch::try_new(events_schema.clone(), events)?,
        child_table("user_action", actions_schema)?,
        child_table("recommendations", recommendations_schema)?,
        child_table("search_history", searches_schema)?,
    ])
}

/// Users `range` (indices into the universe) as a batch of [`users_schema`].
///
/// # Errors
/// [`Error::Arrow`] on a schema mismatch (a bug).
pub fn users_batch(world: &World, range: Range<u64>) -> Result<RecordBatch, Error> {
    let n = (range.end - range.start) as usize;
    let mut ids = Vec::with_capacity(n);
    let mut location = LocationColumns::with_capacity(n);
    let mut devices = Vec::with_capacity(n);
    let population = world.population();
    for index in range {
        let user = population.user(index);
        ids.push(user.id);
        location.push(&user.location);
        devices.push(user.devices as i32);
    }
    let mut columns = vec![uuid_column(&ids)];
    columns.extend(location.finish()?);
    columns.push(Arc::new(Int32Array::from(devices)));
    Ok(RecordBatch::try_new(users_schema(), columns)?)
}

/// The subscription versions of users `range` in force at some instant of
/// the dataset's days, as a batch of [`subscriptions_schema`]: a version
/// still in force at the end of the last day is current, with no
/// `valid_to`.
///
/// # Errors
/// [`Error::Arrow`] on a schema mismatch (a bug).
pub fn subscriptions_batch(world: &World, range: Range<u64>) -> Result<RecordBatch, Error> {
    let (from, until) = window(world);
    let n = (range.end - range.start) as usize;
    let mut ids = Vec::with_capacity(n);
    let mut held = SubscriptionColumns::with_capacity(n);
    let (mut valid_from, mut valid_to, mut current) = (Vec::new(), Vec::new(), Vec::new());
    let population = world.population();
    for user in range {
        let first = population.first_subscription(user);
        let versions = world.lifecycle().history(user, &first);
        for version in versions
            .take_while(|v| v.valid_from < until)
            .filter(|v| v.valid_to > from)
        {
            ids.push(population.user_id(user));
            held.push(&version.held.subscription());
            valid_from.push(version.valid_from);
            let open = version.valid_to >= until;
            valid_to.push((!open).then_some(version.valid_to));
            current.push(open);
        }
    }
    let mut columns = vec![uuid_column(&ids)];
    columns.extend(held.finish()?);
    columns.push(Arc::new(
        TimestampMicrosecondArray::from(valid_from).with_timezone("UTC"),
    ));
    columns.push(Arc::new(TimestampMicrosecondArray::from(valid_to).with_timezone("UTC")));
    columns.push(Arc::new(BooleanArray::from(current)));
    Ok(RecordBatch::try_new(subscriptions_schema(), columns)?)
}

/// The first instant of the dataset's days and the end of its last.
fn window(world: &World) -> (i64, i64) {
    let days = world.calendar().days();
    match (days.first(), days.last()) {
        (Some(first), Some(last)) => (first.start.0, last.end()),
        _ => (0, 0),
    }
}

/// One side (`before` or `after`) of the changes: subscription rows, null
/// where the change has none on that side.
struct ChangeRows {
    held: SubscriptionColumns,
    updated_at: Vec<i64>,
    valid: Vec<bool>,
}

impl ChangeRows {
    fn with_capacity(n: usize) -> Self {
        Self {
            held: SubscriptionColumns::with_capacity(n),
            updated_at: Vec::with_capacity(n),
            valid: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, version: Option<&Version>) {
        // A null row still holds values under its null (Arrow's children are
        // as long as the struct): a default subscription's.
        let (held, updated_at) = version.map_or((Held::default(), 0), |v| (v.held, v.valid_from));
        self.held.push(&held.subscription());
        self.updated_at.push(updated_at);
        self.valid.push(version.is_some());
    }

    fn finish(self) -> Result<ArrayRef, Error> {
        let mut children = self.held.finish()?;
        children.push(Arc::new(
            TimestampMicrosecondArray::from(self.updated_at).with_timezone("UTC"),
        ));
        Ok(Arc::new(StructArray::try_new(
            subscription_row_fields(),
            children,
            Some(NullBuffer::from(self.valid)),
        )?))
    }
}

/// One row of the change feed: its op, `ts` and the versions before and
/// after; with its fault when it is a copy or a late row.
#[derive(Clone, Copy, Debug)]
struct Change {
    op: &'static str,
    ts: i64,
    before: Option<Version>,
    after: Option<Version>,
    fault: Option<ChangeFault>,
}

/// The faults of the change feed (`[faults]` `duplicates` and `late_changes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeFault {
    /// A change delivered again, after the user's other changes.
    Duplicate,
    /// A change delivered after the user's next change.
    Late,
}

impl ChangeFault {
    /// The name in the ground truth's `kind` column.
    pub fn name(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Late => "late",
        }
    }
}

/// The changes of `user` during the days `from..until`, as written: in
/// time order (a snapshot `r`, then `c`, `u`, `d`), then, with faults on,
/// each late change moved after the user's next one (a change with a next
/// one, not a snapshot, may be late) and each duplicated change again at
/// the end. Whether a change is faulty is drawn from
/// [`Stream::ChangeFault`] keyed by the user and the change's index.
fn user_changes(world: &World, user: u64, (from, until): (i64, i64), out: &mut Vec<Change>) {
    out.clear();
    let mut change = |op: &'static str, ts: i64, before: Option<&Version>, after: Option<&Version>| {
        out.push(Change {
            op,
            ts,
            before: before.copied(),
            after: after.copied(),
            fault: None,
        });
    };
    let first = world.population().first_subscription(user);
    let mut previous: Option<Version> = None;
    for version in world
        .lifecycle()
        .history(user, &first)
        .take_while(|v| v.valid_from < until)
    {
        if version.valid_to > from {
            if version.valid_from < from {
                change("r", from, None, Some(&version));
            } else {
                match previous.filter(|p| !p.cancelled && p.valid_to == version.valid_from) {
                    Some(was) => change("u", version.valid_from, Some(&was), Some(&version)),
                    None => change("c", version.valid_from, None, Some(&version)),
                }
            }
            if version.cancelled && version.valid_to < until {
                change("d", version.valid_to, Some(&version), None);
            }
        }
        previous = Some(version);
    }
    let faults = &world.config().faults;
    if !faults.on_changes() {
        return;
    }
    let clean = out.len();
    let mut i = 0;
    while i < clean {
        let mut rng = KeyedRng::new(world.config().seed, Stream::ChangeFault, (user << 16) | i as u64);
        let u = rng.unit();
        if u < faults.duplicates {
            out.push(Change {
                fault: Some(ChangeFault::Duplicate),
                ..out[i]
            });
        } else if u < faults.duplicates + faults.late_changes && out[i].op != "r" && i + 1 < clean {
            // Not a snapshot row, and only a change with one after it can
            // arrive after a later one (which is then not drawn itself).
            out.swap(i, i + 1);
            out[i + 1].fault = Some(ChangeFault::Late);
            i += 1;
        }
        i += 1;
    }
}

/// The rows the change feed of users `range` writes (copies included): a
/// file's rows before a group of users, for the ground truth.
pub fn change_rows(world: &World, range: Range<u64>) -> u64 {
    let window = window(world);
    let mut changes = Vec::new();
    range
        .map(|user| {
            user_changes(world, user, window, &mut changes);
            changes.len() as u64
        })
        .sum()
}

/// The changes of users `range`' subscriptions during the dataset's days,
/// as a batch of [`subscription_changes_schema`], each user's in time
/// order: a snapshot row (`r`) of the version in force at the first day's
/// start, then a `c` for each sign-up or return, a `u` for each plan or
/// billing change and a `d` for each cancellation before the last day's
/// end. Replaying them per user (a version runs from one change to the
/// next) gives [`subscriptions_batch`] row for row. With faults on
/// (`duplicates`, `late_changes`), a change may come again after the
/// user's others, or after the user's next change; `truth` then records
/// each such row in `file`, counting rows from `written_before`.
///
/// # Errors
/// [`Error::Arrow`] on a schema mismatch (a bug).
pub fn subscription_changes_batch(
    world: &World,
    range: Range<u64>,
    mut truth: Option<(&mut GroundTruth, &str, u64)>,
) -> Result<RecordBatch, Error> {
    let window = window(world);
    let n = (range.end - range.start) as usize;
    let (mut ops, mut times, mut ids) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut before, mut after) = (ChangeRows::with_capacity(n), ChangeRows::with_capacity(n));
    let population = world.population();
    let mut changes = Vec::new();
    for user in range {
        let id = population.user_id(user);
        user_changes(world, user, window, &mut changes);
        for change in &changes {
            if let (Some(fault), Some((truth, file, written_before))) = (change.fault, truth.as_mut()) {
                truth.record_change(fault.name(), file, *written_before + ops.len() as u64);
            }
            ops.push(change.op);
            times.push(change.ts);
            ids.push(id);
            before.push(change.before.as_ref());
            after.push(change.after.as_ref());
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ops)),
        Arc::new(TimestampMicrosecondArray::from(times).with_timezone("UTC")),
        uuid_column(&ids),
        before.finish()?,
        after.finish()?,
    ];
    Ok(RecordBatch::try_new(subscription_changes_schema(), columns)?)
}

/// Catalog entries `range` as a batch of [`content_schema`].
///
/// # Errors
/// [`Error::Arrow`] on a schema mismatch (a bug).
pub fn content_batch(world: &World, range: Range<u64>) -> Result<RecordBatch, Error> {
    let mut content = ContentColumns::with_capacity((range.end - range.start) as usize);
    let mut release = Vec::with_capacity((range.end - range.start) as usize);
    for index in range {
        content.push(&world.catalog().content(index as usize));
        release.push(world.catalog().entry(index as usize).release);
    }
    let mut columns = content.finish()?;
    columns.push(Arc::new(Date32Array::from(release)));
    Ok(RecordBatch::try_new(content_schema(), columns)?)
}
