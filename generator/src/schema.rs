//! Schema v1: the one Arrow schema of an event row. Every other schema form
//! (and the Parquet files) derives from [`event_schema`].

use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};

/// Version of the row layout, recorded in every manifest.
pub const SCHEMA_VERSION: u32 = 1;

/// Name of the Hive partition column (it lives in the folder names, not the files).
pub const PARTITION_COLUMN: &str = "event_date";

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

/// Name of a list's element field: the Parquet format's own name for it
/// (`<list>.list.element`), which pyarrow and Spark write too and Iceberg's
/// name mapping expects; Arrow's default, `item`, is the legacy form.
pub const LIST_ELEMENT: &str = "element";

/// A non-null list of non-null `element`s.
pub fn list_of(element: DataType) -> DataType {
    DataType::List(Arc::new(Field::new(LIST_ELEMENT, element, false)))
}

/// The Arrow schema of one event row (shared, built once).
pub fn event_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA.get_or_init(|| Arc::new(build())).clone()
}

/// A column that a missing value (`[faults] missing_values`) may leave
/// null, though the contract promises a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingColumn {
    /// `user_id`.
    UserId,
    /// `timestamp`.
    Timestamp,
    /// `location.country`.
    Country,
}

impl MissingColumn {
    /// Every such column.
    pub const ALL: [Self; 3] = [Self::UserId, Self::Timestamp, Self::Country];

    /// The column as a dotted path.
    pub fn path(self) -> &'static str {
        match self {
            Self::UserId => "user_id",
            Self::Timestamp => "timestamp",
            Self::Country => "location.country",
        }
    }
}

/// The event schema of a dataset: [`event_schema`], or, when events may
/// miss values (`missing_values`), the same with each [`MissingColumn`]
/// nullable. Nothing else differs.
pub fn event_schema_of(missing_values: bool) -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    if !missing_values {
        return event_schema();
    }
    SCHEMA
        .get_or_init(|| {
            let nested = event_schema();
            let fields: Vec<FieldRef> = nested
                .fields()
                .iter()
                .map(|field| {
                    let nullable = |path: &str| MissingColumn::ALL.iter().any(|c| c.path() == path);
                    match field.data_type() {
                        DataType::Struct(children) => {
                            let children: Fields = children
                                .iter()
                                .map(|child| {
                                    let path = format!("{}.{}", field.name(), child.name());
                                    Arc::new(
                                        child
                                            .as_ref()
                                            .clone()
                                            .with_nullable(nullable(&path) || child.is_nullable()),
                                    )
                                })
                                .collect();
                            Arc::new(field.as_ref().clone().with_data_type(DataType::Struct(children)))
                        }
                        _ => Arc::new(
                            field
                                .as_ref()
                                .clone()
                                .with_nullable(nullable(field.name()) || field.is_nullable()),
                        ),
                    }
                })
                .collect();
            Arc::new(Schema::new_with_metadata(fields, nested.metadata().clone()))
        })
        .clone()
}

fn build() -> Schema {
    let device = Fields::from(vec![
        utf8("type"),
        utf8("os"),
        utf8("os_version"),
        utf8("app_version"),
        utf8("model"),
    ]);
    let location = Fields::from(vec![utf8("country"), utf8("city"), utf8("region"), utf8("timezone")]);
    let content = Fields::from(vec![
        utf8("id"),
        utf8("title"),
        utf8("type"),
        Field::new("episode", DataType::Int32, true),
        Field::new("season", DataType::Int32, true),
        utf8("provider"),
        utf8("genre"),
        Field::new("release_year", DataType::Int32, false),
        Field::new("duration", DataType::Int32, false),
        utf8("language"),
    ]);
    let subscription = Fields::from(vec![
        utf8("plan"),
        Field::new("start_date", DataType::Date32, false),
        utf8("billing_cycle"),
        Field::new("connected_services", list_of(DataType::Utf8), false),
    ]);
    let details = Fields::from(vec![
        Field::new("play_duration", DataType::Int32, false),
        Field::new("play_percentage", DataType::Float64, false),
        utf8("playback_quality"),
        Field::new("buffering_incidents", DataType::Int32, false),
        Field::new("playback_speed", DataType::Float64, false),
        Field::new("paused", DataType::Boolean, false),
        Field::new("completed", DataType::Boolean, false),
        utf8("network_type"),
        utf8("bandwidth"),
    ]);
    let action = Fields::from(vec![
        utf8("action_type"),
        Field::new("timestamp", timestamp(), false),
        Field::new("duration", DataType::Int32, true),
        Field::new("completed", DataType::Boolean, true),
        Field::new("old_quality", DataType::Utf8, true),
        Field::new("new_quality", DataType::Utf8, true),
        Field::new("old_speed", DataType::Float64, true),
        Field::new("new_speed", DataType::Float64, true),
    ]);
    let recommendation = Fields::from(vec![
        utf8("content_id"),
        Field::new("position", DataType::Int32, false),
        utf8("algorithm"),
        Field::new("clicked", DataType::Boolean, false),
    ]);
    let search = Fields::from(vec![
        utf8("search_id"),
        Field::new("timestamp", timestamp(), false),
        utf8("query"),
        Field::new("results_count", DataType::Int32, false),
    ]);
    Schema::new(vec![
        utf8("event_id"),
        utf8("user_id"),
        utf8("event_type"),
        Field::new("timestamp", timestamp(), false),
        Field::new("device", DataType::Struct(device), false),
        Field::new("location", DataType::Struct(location), false),
        Field::new("content", DataType::Struct(content), false),
        Field::new("user_subscription", DataType::Struct(subscription), false),
        Field::new("event_details", DataType::Struct(details), true),
        Field::new("user_action", list_of(DataType::Struct(action)), false),
        Field::new("recommendations", list_of(DataType::Struct(recommendation)), false),
        Field::new("search_history", list_of(DataType::Struct(search)), false),
    ])
}

/// The child fields of a struct type.
///
/// # Panics
/// If `data_type` is not a struct (a bug in [`event_schema`]).
pub fn struct_fields(data_type: &DataType) -> &Fields {
    match data_type {
        DataType::Struct(fields) => fields,
        other => panic!("expected a struct, found {other}"),
    }
}

/// The item field of a list type.
///
/// # Panics
/// If `data_type` is not a list (a bug in [`event_schema`]).
pub fn list_item(data_type: &DataType) -> &FieldRef {
    match data_type {
        DataType::List(item) => item,
        other => panic!("expected a list, found {other}"),
    }
}
