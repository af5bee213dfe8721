//! The JSON Schema of scenario files, generated from the document types.

use super::document::Scenario;

/// The schema as pretty-printed JSON, ending with a newline.
pub fn json_schema_text() -> Result<String, serde_json::Error> {
    let schema = schemars::schema_for!(Scenario);
    let mut text = serde_json::to_string_pretty(&schema)?;
    text.push('\n');
    Ok(text)
}
