//! Spellings, defaults and serialization of the retry settings: `retry_on`,
//! `retry_budget` and their defaults.

use serde::Serializer;
use serde::ser::SerializeSeq;

use crate::metrics::recorder::{ERROR_KINDS, ErrorKind};

/// Default `budget_percent` of a retry budget, Envoy's.
pub const DEFAULT_BUDGET_PERCENT: f64 = 20.0;

/// Default `min_retry_concurrency` of a retry budget, Envoy's.
pub const DEFAULT_MIN_RETRY_CONCURRENCY: u32 = 3;

/// The spelling of each error kind in a scenario file, in the order of
/// [`ErrorKind::ALL`]: the report name with hyphens, as the file spells every value.
pub const ERROR_KIND_NAMES: [&str; ERROR_KINDS] = [
    "timeout",
    "rejected",
    "failed",
    "dropped",
    "dead-lettered",
    "circuit-open",
    "bulkhead-full",
    "rate-limited",
    "shed",
    "deadline-exceeded",
    "expired",
];

/// Returns the spelling of `kind` in a scenario file.
#[must_use]
pub fn error_kind_name(kind: ErrorKind) -> &'static str {
    ERROR_KIND_NAMES[kind as usize]
}

pub(super) fn default_budget_percent() -> f64 {
    DEFAULT_BUDGET_PERCENT
}

pub(super) fn default_min_retry_concurrency() -> u32 {
    DEFAULT_MIN_RETRY_CONCURRENCY
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
pub(super) fn is_default_budget_percent(value: &f64) -> bool {
    *value == DEFAULT_BUDGET_PERCENT
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
pub(super) fn is_default_min_retry_concurrency(value: &u32) -> bool {
    *value == DEFAULT_MIN_RETRY_CONCURRENCY
}

/// Writes `retry_on` with the file's spelling of each kind.
#[expect(clippy::ref_option, reason = "serde passes fields by reference")]
pub(super) fn serialize_retry_on<S: Serializer>(
    kinds: &Option<Vec<ErrorKind>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match kinds {
        None => serializer.serialize_none(),
        Some(kinds) => {
            let mut seq = serializer.serialize_seq(Some(kinds.len()))?;
            for kind in kinds {
                seq.serialize_element(error_kind_name(*kind))?;
            }
            seq.end()
        }
    }
}

/// Returns the JSON Schema of `retry_on`: a list of error kinds, by their file spelling.
pub(super) fn retry_on_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["array", "null"],
        "items": { "type": "string", "enum": ERROR_KIND_NAMES },
        "uniqueItems": true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_report_names() {
        for kind in ErrorKind::ALL {
            assert_eq!(error_kind_name(kind), kind.name().replace('_', "-"));
        }
    }
}
