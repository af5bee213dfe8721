//! The check that a document read for editing holds everything of its text, errors
//! included: writing the document and reading it again must give the same diagnostics.
//!
//! A file with errors opens in the editor, and a recovery file is discarded, only when
//! the check passes, because only then does a save keep what the text said. A value
//! that the reader replaced by a default, such as an unknown key or a duration without a
//! unit, loses its diagnostic on the way, and so fails the check.

use crate::scenario::write::{WriteError, to_yaml};
use crate::scenario::{Diagnostic, Scenario, Severity, load_str};

/// The reason a document does not hold everything of the text it was read from.
#[derive(Debug, thiserror::Error)]
pub enum RoundTripError {
    /// The document cannot be written as YAML.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A diagnostic of the text that the written document does not have, because the
    /// document holds a default in place of the value.
    #[error("{}; the editor cannot hold this value as written, so a save would change it", describe(.0))]
    Lost(Diagnostic),
    /// A diagnostic of the written document that the text does not have.
    #[error("{}: the document as read gets this new message", describe(.0))]
    Added(Diagnostic),
}

/// Checks that `scenario`, read for editing from a text with `diagnostics`, gets the same
/// diagnostics when it is written as YAML and read again. Diagnostics are compared by
/// severity, field path and message, because the positions refer to different texts.
///
/// # Errors
/// Fails with the first diagnostic, in the order of `diagnostics`, that the written
/// document does not have, else with the first one that only the written document has.
pub fn check_round_trip(
    scenario: &Scenario,
    diagnostics: &[Diagnostic],
) -> Result<(), RoundTripError> {
    let text = to_yaml(scenario)?;
    let mut written = match load_str(&text, None) {
        Ok(loaded) => loaded.warnings,
        Err(diagnostics) => diagnostics,
    };
    for diagnostic in diagnostics {
        let same = written
            .iter()
            .position(|other| key(other) == key(diagnostic));
        match same {
            Some(index) => {
                written.remove(index);
            }
            None => return Err(RoundTripError::Lost(diagnostic.clone())),
        }
    }
    match written.into_iter().next() {
        Some(added) => Err(RoundTripError::Added(added)),
        None => Ok(()),
    }
}

fn key(diagnostic: &Diagnostic) -> (Severity, &str, &str) {
    (
        diagnostic.severity,
        diagnostic.path.as_str(),
        diagnostic.message.as_str(),
    )
}

/// Formats a diagnostic as `PATH: MESSAGE`, without the file and the position.
fn describe(diagnostic: &Diagnostic) -> String {
    if diagnostic.path.is_empty() {
        diagnostic.message.clone()
    } else {
        format!("{}: {}", diagnostic.path, diagnostic.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str_for_editing;

    const SERVICE: &str = "version: 1\n\
        clients:\n  shoppers: { target: api.get, arrivals: { poisson: 10/s } }\n\
        services:\n  api:\n";

    fn read(rest: &str) -> (Scenario, Vec<Diagnostic>) {
        load_str_for_editing(&format!("{SERVICE}{rest}"), None).expect("the text is a scenario")
    }

    #[test]
    fn kept_error_survives() {
        let (scenario, diagnostics) = read(
            "    operations:\n      get: { service_time: { lognormal: { mean: 8ms, p99: 5ms } } }\n",
        );
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        check_round_trip(&scenario, &diagnostics).expect("the error survives");
    }

    #[test]
    fn valid_document_survives() {
        let (scenario, diagnostics) = read("    operations:\n      get: { service_time: 1ms }\n");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        check_round_trip(&scenario, &diagnostics).expect("nothing to lose");
    }

    #[test]
    fn defaults_in_place_of_values_are_lost() {
        for (rest, path) in [
            (
                "    colour: blue\n    operations:\n      get: { service_time: 1ms }\n",
                "services.api.colour",
            ),
            (
                "    replicas: -1\n    operations:\n      get: { service_time: 1ms }\n",
                "services.api.replicas",
            ),
            (
                "    replicas: 2.0\n    operations:\n      get: { service_time: 1ms }\n",
                "services.api.replicas",
            ),
            (
                "    replicas: 99999999999\n    operations:\n      get: { service_time: 1ms }\n",
                "services.api.replicas",
            ),
            (
                "    operations:\n      get: { service_time: 5 }\n",
                "services.api.operations.get.service_time",
            ),
            (
                "    operations:\n      get: { service_time: 1ms, error_probability: .inf }\n",
                "services.api.operations.get.error_probability",
            ),
        ] {
            let (scenario, diagnostics) = read(rest);
            match check_round_trip(&scenario, &diagnostics) {
                Err(RoundTripError::Lost(lost)) => assert_eq!(lost.path, path, "{rest}"),
                other => panic!("{rest}: expected a lost diagnostic, got {other:?}"),
            }
        }
    }

    #[test]
    fn new_message_is_reported() {
        let (mut scenario, diagnostics) =
            read("    operations:\n      get: { service_time: 1ms }\n");
        scenario.services["api"].replicas = 0;
        let error = check_round_trip(&scenario, &diagnostics).expect_err("a new error");
        assert!(
            matches!(&error, RoundTripError::Added(added) if added.path == "services.api.replicas"),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("services.api.replicas: invalid value 0"),
            "{error}"
        );
    }
}
