//! The normalized (star-schema) layout: the nested batch reshaped into flat
//! tables keyed by `event_id`, plus the `users` and `content` dimensions.
//!
//! ```text
//! events          one row per event; device_*, location_*, subscription_* and
//!                 the playback columns flattened; content_id → content
//! user_actions    (event_id, position) → one action      event_id → events
//! recommendations (event_id, position) → one item        content_id → content
//! search_history  (event_id, position) → one search
//! users           user_id → home, subscription, device count (user_id ← events)
//! content         content_id → the catalog entry
//! ```
//!
//! The event tables are derived from the nested batch by Arrow reshaping
//! (child arrays reused, `take` for the repeated keys), so the values are the
//! nested layout's values by construction.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, RecordBatch, UInt32Array, make_array};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};

use crate::columns::{ContentColumns, LocationColumns, SubscriptionColumns, uuid_column};
use crate::error::Error;
use crate::schema::{event_schema, list_item, struct_fields};
use crate::world::World;

/// The event tables, in the order [`split`] returns them.
pub const EVENT_TABLES: [&str; 4] = ["events", "user_actions", "recommendations", "search_history"];
/// The dimension tables.
pub const DIMENSION_TABLES: [&str; 2] = ["users", "content"];

/// Prefix of each flattened struct's columns in `events`.
const FLATTENED: [(&str, &str); 4] = [
    ("device", "device_"),
    ("location", "location_"),
    ("content", "content_"),
    ("user_subscription", "subscription_"),
];

/// Schemas of [`EVENT_TABLES`].
pub fn event_table_schemas() -> &'static [SchemaRef; 4] {
    static SCHEMAS: OnceLock<[SchemaRef; 4]> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let nested = event_schema();
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
                utf8("plan"),
                Field::new("start_date", DataType::Date32, false),
                utf8("billing_cycle"),
                Field::new("connected_services", services_type(), false),
                Field::new("devices", DataType::Int32, false),
            ]))
        })
        .clone()
}

fn services_type() -> DataType {
    crate::schema::list_of(DataType::Utf8)
}

/// Schema of the `content` dimension: the content struct with `id` named `content_id`.
pub fn content_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let content = event_schema()
                .field_with_name("content")
                .expect("content")
                .data_type()
                .clone();
            let fields: Vec<Field> = struct_fields(&content)
                .iter()
                .map(|f| {
                    if f.name() == "id" {
                        f.as_ref().clone().with_name("content_id")
                    } else {
                        f.as_ref().clone()
                    }
                })
                .collect();
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// Reshapes a nested batch into the four event tables.
///
/// # Errors
/// [`Error::Arrow`] if the batch does not have [`event_schema`].
pub fn split(batch: &RecordBatch) -> Result<[RecordBatch; 4], Error> {
    let [events_schema, actions_schema, recommendations_schema, searches_schema] = event_table_schemas();
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
    let mut subscription = SubscriptionColumns::with_capacity(n);
    let mut devices = Vec::with_capacity(n);
    let population = world.population();
    for index in range {
        let user = population.user(index);
        ids.push(user.id);
        location.push(&user.location);
        subscription.push(&user.subscription);
        devices.push(user.devices as i32);
    }
    let mut columns = vec![uuid_column(&ids)];
    columns.extend(location.finish()?);
    columns.extend(subscription.finish()?);
    columns.push(Arc::new(Int32Array::from(devices)));
    Ok(RecordBatch::try_new(users_schema(), columns)?)
}

/// Catalog entries `range` as a batch of [`content_schema`].
///
/// # Errors
/// [`Error::Arrow`] on a schema mismatch (a bug).
pub fn content_batch(world: &World, range: Range<u64>) -> Result<RecordBatch, Error> {
    let mut content = ContentColumns::with_capacity((range.end - range.start) as usize);
    for index in range {
        content.push(&world.catalog().content(index as usize));
    }
    Ok(RecordBatch::try_new(content_schema(), content.finish()?)?)
}
