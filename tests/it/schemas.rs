//! `schemas/` holds every schema form; each file must equal what the code
//! generates. Run with `UPDATE_SCHEMAS=1 cargo test --test it schemas::` to
//! rewrite the files after a deliberate schema change.

use crate::common;

use std::path::Path;

use customer_events::event_schema;
use customer_events::schema::event_schema_of;
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
            "{} drifted from the code; rerun with UPDATE_SCHEMAS=1 cargo test --test it schemas:: after a deliberate change",
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

/// With missing values (`--faults typical`, or `missing_values` in a
/// config's `[faults]`), every form makes `user_id`, `timestamp` and
/// `location.country` nullable, and nothing else changes; other faults
/// leave the schema as it is.
#[test]
fn schema_with_missing_values_makes_exactly_their_columns_nullable() {
    let dir = tempfile::tempdir().unwrap();
    let with_missing = dir.path().join("missing.toml");
    std::fs::write(&with_missing, "[faults]\nmissing_values = 0.01\n").unwrap();
    let without = dir.path().join("broken.toml");
    std::fs::write(&without, "[faults]\nbroken_values = 0.01\n").unwrap();
    let (with_missing, without) = (with_missing.to_str().unwrap(), without.to_str().unwrap());
    for format in SchemaFormat::ALL {
        let flag = format.to_string();
        let printed = |extra: &[&str]| {
            let mut args = vec!["schema", "--format", &flag];
            args.extend_from_slice(extra);
            String::from_utf8(common::run_ok(&args).stdout).unwrap()
        };
        let nullable = printed(&["--faults", "typical"]);
        assert_eq!(nullable, format.render(&event_schema_of(true)), "{flag}");
        assert_ne!(nullable, format.render(&event_schema()), "{flag}");
        assert_eq!(printed(&["--config", with_missing]), nullable, "{flag}");
        assert_eq!(
            printed(&["--config", without]),
            format.render(&event_schema()),
            "{flag}"
        );
        assert_eq!(
            printed(&["--faults", "none", "--config", with_missing]),
            format.render(&event_schema())
        );
    }
    let spark = |schema: arrow::datatypes::SchemaRef| SchemaFormat::SparkDdl.render(&schema);
    let (clean, nullable) = (spark(event_schema()), spark(event_schema_of(true)));
    for (was, now) in [
        ("`user_id` STRING NOT NULL", "`user_id` STRING,"),
        ("`timestamp` TIMESTAMP NOT NULL", "`timestamp` TIMESTAMP,"),
        ("`country`: STRING NOT NULL", "`country`: STRING,"),
    ] {
        assert!(clean.contains(was) && nullable.contains(now), "{now}");
    }
    assert_eq!(
        clean.matches("NOT NULL").count(),
        nullable.matches("NOT NULL").count() + 3
    );
}
