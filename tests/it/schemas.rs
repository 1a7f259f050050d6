//! `schemas/` holds every schema form; each file must equal what the code
//! generates. Run with `UPDATE_SCHEMAS=1` to rewrite the files after a
//! deliberate schema change.

use crate::common;

use std::path::Path;

use customer_events::event_schema;
use customer_events::schema_formats::SchemaFormat;

#[test]
fn schema_files_match_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    for format in SchemaFormat::ALL {
        let generated = format.render(&event_schema());
        let path = dir.join(format.file_name());
        if update {
            std::fs::write(&path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "{} drifted from the code; rerun with UPDATE_SCHEMAS=1 cargo test --test schemas after a deliberate change",
            path.display()
        );
    }
}

#[test]
fn schema_command_prints_each_form() {
    for (flag, format) in [
        ("duckdb", SchemaFormat::Duckdb),
        ("avro", SchemaFormat::Avro),
        ("spark-ddl", SchemaFormat::SparkDdl),
    ] {
        let out = common::run_ok(&["schema", "--format", flag]);
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format.render(&event_schema()));
    }
    let avro: serde_json::Value = serde_json::from_str(&SchemaFormat::Avro.render(&event_schema())).unwrap();
    assert_eq!(avro["name"], "UserEvent");
    // Fields added since the original record carry defaults (forward compatible).
    let event_id = avro["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "event_id")
        .unwrap();
    assert!(event_id.get("default").is_some());
}
