//! Every other form of the schema, generated from the one Arrow schema
//! ([`event_schema`](crate::schema::event_schema)): Arrow (JSON), DuckDB DDL,
//! Spark (StructType JSON and DDL), Avro and JSON Schema. `schemas/` holds
//! their output, and a test fails when a file drifts from the code.

use std::fmt::Write;

use arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};
use serde_json::{Value, json};

use crate::options::{Choice, choice_text};

/// A schema form `customer-events schema --format` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaFormat {
    /// Arrow fields as JSON (name, type, nullable, children).
    Arrow,
    /// A DuckDB `CREATE TABLE` statement.
    Duckdb,
    /// Spark's StructType JSON (`StructType.fromJson`, `DataType.fromJson`).
    Spark,
    /// A Spark DDL string (`spark.read.schema("...")`).
    SparkDdl,
    /// An Avro record schema (`UserEvent`), an evolution of the original module's.
    Avro,
    /// A JSON Schema (2020-12) of one event as `sample` and NDJSON print it.
    JsonSchema,
}

impl Choice for SchemaFormat {
    const KIND: &'static str = "schema format";
    const ALL: &'static [Self] = &SchemaFormat::ALL;

    fn name(self) -> &'static str {
        match self {
            SchemaFormat::Arrow => "arrow",
            SchemaFormat::Duckdb => "duckdb",
            SchemaFormat::Spark => "spark",
            SchemaFormat::SparkDdl => "spark-ddl",
            SchemaFormat::Avro => "avro",
            SchemaFormat::JsonSchema => "json-schema",
        }
    }

    fn description(self) -> &'static str {
        match self {
            SchemaFormat::Arrow => "Arrow fields as JSON (name, type, nullable, children)",
            SchemaFormat::Duckdb => "A DuckDB `CREATE TABLE` statement",
            SchemaFormat::Spark => "Spark's StructType JSON (`StructType.fromJson`, `DataType.fromJson`)",
            SchemaFormat::SparkDdl => "A Spark DDL string (`spark.read.schema(\"...\")`)",
            SchemaFormat::Avro => "An Avro record schema (`UserEvent`), an evolution of the original module's",
            SchemaFormat::JsonSchema => "A JSON Schema (2020-12) of one event as `sample` and NDJSON print it",
        }
    }
}

choice_text!(SchemaFormat);

impl SchemaFormat {
    /// Every format, in `schemas/` order.
    pub const ALL: [SchemaFormat; 6] = [
        SchemaFormat::Arrow,
        SchemaFormat::Duckdb,
        SchemaFormat::Spark,
        SchemaFormat::SparkDdl,
        SchemaFormat::Avro,
        SchemaFormat::JsonSchema,
    ];

    /// The file under `schemas/` that holds this form.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaFormat::Arrow => "events.arrow.json",
            SchemaFormat::Duckdb => "events.duckdb.sql",
            SchemaFormat::Spark => "events.spark.json",
            SchemaFormat::SparkDdl => "events.spark.ddl",
            SchemaFormat::Avro => "events.avsc",
            SchemaFormat::JsonSchema => "events.schema.json",
        }
    }

    /// The schema `schema` in this form, ending with a newline.
    pub fn render(self, schema: &Schema) -> String {
        let text = match self {
            SchemaFormat::Arrow => {
                pretty(&json!({ "fields": schema.fields().iter().map(|f| arrow_field(f)).collect::<Vec<_>>() }))
            }
            SchemaFormat::Duckdb => duckdb_table("events", schema.fields()),
            SchemaFormat::Spark => pretty(&spark_struct(schema.fields())),
            SchemaFormat::SparkDdl => schema
                .fields()
                .iter()
                .map(|f| spark_ddl_field(f, " "))
                .collect::<Vec<_>>()
                .join(", "),
            SchemaFormat::Avro => pretty(&avro_schema(schema)),
            SchemaFormat::JsonSchema => pretty(&json_schema(schema)),
        };
        format!("{}\n", text.trim_end())
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialize")
}

fn arrow_field(f: &Field) -> Value {
    let mut out = json!({ "name": f.name(), "type": arrow_type_name(f.data_type()), "nullable": f.is_nullable() });
    match f.data_type() {
        DataType::Struct(children) => {
            out["children"] = children.iter().map(|c| arrow_field(c)).collect();
        }
        DataType::List(item) => {
            out["children"] = json!([arrow_field(item)]);
        }
        _ => {}
    }
    out
}

fn arrow_type_name(t: &DataType) -> String {
    match t {
        DataType::Struct(_) => "Struct".into(),
        DataType::List(_) => "List".into(),
        other => other.to_string(),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn duckdb_type(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "VARCHAR".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => "TIMESTAMPTZ".into(),
        DataType::Timestamp(TimeUnit::Microsecond, None) => "TIMESTAMP".into(),
        DataType::Struct(fields) => format!(
            "STRUCT({})",
            fields
                .iter()
                .map(|f| format!("{} {}", quote(f.name()), duckdb_type(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DataType::List(item) => format!("{}[]", duckdb_type(item.data_type())),
        other => unreachable!("schema v1 has no {other}"),
    }
}

/// A DuckDB `CREATE TABLE` for `fields`.
pub fn duckdb_table(name: &str, fields: &Fields) -> String {
    let mut out = format!("CREATE TABLE {name} (\n");
    for (i, f) in fields.iter().enumerate() {
        let not_null = if f.is_nullable() { "" } else { " NOT NULL" };
        let comma = if i + 1 < fields.len() { "," } else { "" };
        let _ = writeln!(
            out,
            "    {} {}{not_null}{comma}",
            quote(f.name()),
            duckdb_type(f.data_type())
        );
    }
    out.push_str(");");
    out
}

fn spark_type(t: &DataType) -> Value {
    match t {
        DataType::Utf8 => json!("string"),
        DataType::Int32 => json!("integer"),
        DataType::Float64 => json!("double"),
        DataType::Boolean => json!("boolean"),
        DataType::Date32 => json!("date"),
        DataType::Timestamp(_, Some(_)) => json!("timestamp"),
        DataType::Timestamp(_, None) => json!("timestamp_ntz"),
        DataType::Struct(fields) => spark_struct(fields),
        DataType::List(item) => json!({
            "type": "array",
            "elementType": spark_type(item.data_type()),
            "containsNull": item.is_nullable(),
        }),
        other => unreachable!("schema v1 has no {other}"),
    }
}

fn spark_struct(fields: &Fields) -> Value {
    json!({
        "type": "struct",
        "fields": fields.iter().map(|f| json!({
            "name": f.name(),
            "type": spark_type(f.data_type()),
            "nullable": f.is_nullable(),
            "metadata": {},
        })).collect::<Vec<_>>(),
    })
}

fn spark_ddl_type(t: &DataType) -> String {
    match t {
        DataType::Struct(fields) => {
            format!(
                "STRUCT<{}>",
                fields
                    .iter()
                    .map(|f| spark_ddl_field(f, ": "))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        DataType::List(item) => format!("ARRAY<{}>", spark_ddl_type(item.data_type())),
        other => spark_type(other).as_str().expect("primitive").to_uppercase(),
    }
}

fn spark_ddl_field(f: &Field, separator: &str) -> String {
    let not_null = if f.is_nullable() { "" } else { " NOT NULL" };
    format!("`{}`{separator}{}{not_null}", f.name(), spark_ddl_type(f.data_type()))
}

/// Avro record names for the nested structs, as the original module named its entities.
fn avro_record_name(field: &str) -> &'static str {
    match field {
        "device" => "Device",
        "location" => "Location",
        "content" => "Content",
        "user_subscription" => "UserSubscription",
        "event_details" => "EventDetails",
        "user_action" => "UserAction",
        "recommendations" => "Recommendation",
        "search_history" => "SearchHistory",
        _ => "Record",
    }
}

fn avro_type(owner: &str, t: &DataType) -> Value {
    match t {
        DataType::Utf8 => json!("string"),
        DataType::Int32 => json!("int"),
        DataType::Float64 => json!("double"),
        DataType::Boolean => json!("boolean"),
        DataType::Date32 => json!({ "type": "int", "logicalType": "date" }),
        DataType::Timestamp(TimeUnit::Microsecond, _) => json!({ "type": "long", "logicalType": "timestamp-micros" }),
        DataType::Struct(fields) => json!({
            "type": "record",
            "name": avro_record_name(owner),
            "fields": fields.iter().map(avro_field).collect::<Vec<_>>(),
        }),
        DataType::List(item) => json!({ "type": "array", "items": avro_type(owner, item.data_type()) }),
        other => unreachable!("schema v1 has no {other}"),
    }
}

fn avro_field(f: &arrow::datatypes::FieldRef) -> Value {
    let t = avro_type(f.name(), f.data_type());
    if f.is_nullable() {
        // Optional fields default to null, so readers of older data fill them in.
        json!({ "name": f.name(), "type": ["null", t], "default": null })
    } else {
        json!({ "name": f.name(), "type": t })
    }
}

fn avro_schema(schema: &Schema) -> Value {
    let fields: Vec<Value> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut field = avro_field(f);
            if f.name() == "event_id" {
                // Added by schema v1: a default keeps the record compatible with the original.
                field["default"] = json!("");
            }
            field
        })
        .collect();
    json!({
        "type": "record",
        "name": "UserEvent",
        "namespace": "customer_events",
        "doc": "One media-streaming customer event (customer-events schema v1).",
        "fields": fields,
    })
}

fn json_type(t: &DataType, nullable: bool) -> Value {
    let base = match t {
        DataType::Utf8 => json!({ "type": "string" }),
        DataType::Int32 => json!({ "type": "integer" }),
        DataType::Float64 => json!({ "type": "number" }),
        DataType::Boolean => json!({ "type": "boolean" }),
        DataType::Date32 => json!({ "type": "string", "format": "date" }),
        DataType::Timestamp(..) => json!({ "type": "string", "format": "date-time" }),
        DataType::Struct(fields) => json_object(fields),
        DataType::List(item) => json!({ "type": "array", "items": json_type(item.data_type(), item.is_nullable()) }),
        other => unreachable!("schema v1 has no {other}"),
    };
    if nullable {
        json!({ "anyOf": [base, { "type": "null" }] })
    } else {
        base
    }
}

fn json_object(fields: &Fields) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.name().clone(), json_type(f.data_type(), f.is_nullable())))
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": fields.iter().map(|f| f.name().clone()).collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

fn json_schema(schema: &Schema) -> Value {
    let mut root = json_object(schema.fields());
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["title"] = json!("customer-events event (schema v1)");
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::{Format, Layout, PartitionBy};

    /// Every value parses back from its name and prints as it, and names are unique.
    fn round_trips<T: Choice + PartialEq + std::fmt::Debug + std::fmt::Display + std::str::FromStr<Err = String>>() {
        for &value in T::ALL {
            assert_eq!(value.name().parse::<T>(), Ok(value));
            assert_eq!(value.to_string(), value.name());
            assert!(!value.description().is_empty());
            assert_eq!(T::ALL.iter().filter(|v| v.name() == value.name()).count(), 1);
        }
    }

    #[test]
    fn choices_round_trip_through_their_names() {
        round_trips::<Format>();
        round_trips::<Layout>();
        round_trips::<PartitionBy>();
        round_trips::<SchemaFormat>();
        assert_eq!(
            "Parquet".parse::<Format>(),
            Err("unknown format `Parquet`; use parquet, ndjson, arrow".to_string())
        );
        assert_eq!("spark-ddl".parse::<SchemaFormat>(), Ok(SchemaFormat::SparkDdl));
    }
}
