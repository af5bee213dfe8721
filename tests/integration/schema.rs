//! The JSON Schema kept in `assets/` matches the one the binary prints.

use std::path::Path;

#[test]
fn schema_asset_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenario.schema.json");
    let kept = std::fs::read_to_string(&path).expect("the schema asset exists");
    let generated = topolab::scenario::schema::json_schema_text().expect("the schema serializes");
    assert!(
        kept == generated,
        "assets/scenario.schema.json is out of date; regenerate it with `cargo run -- schema > assets/scenario.schema.json`"
    );
}

#[test]
fn schema_lists_top_level_keys() {
    let text = topolab::scenario::schema::json_schema_text().expect("the schema serializes");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    let properties = schema["properties"]
        .as_object()
        .expect("top-level properties");
    for key in [
        "version",
        "name",
        "description",
        "defaults",
        "run",
        "clients",
        "services",
        "queues",
        "links",
        "faults",
        "layout",
    ] {
        assert!(
            properties.contains_key(key),
            "the schema lacks the key {key}"
        );
    }
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
}
