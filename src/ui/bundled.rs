//! The scenarios shipped inside the binary, so that the app works from any directory.

use std::path::PathBuf;

use crate::scenario::{self, Diagnostic, Loaded};

/// A scenario file compiled into the binary.
#[derive(Clone, Copy, Debug)]
pub struct Bundled {
    /// File name under `scenarios/`.
    pub file: &'static str,
    /// The file's text.
    pub text: &'static str,
}

/// Every bundled scenario, in menu order.
pub const BUNDLED: [Bundled; 12] = [
    Bundled {
        file: "checkout-async.yaml",
        text: include_str!("../../scenarios/checkout-async.yaml"),
    },
    Bundled {
        file: "checkout-sync.yaml",
        text: include_str!("../../scenarios/checkout-sync.yaml"),
    },
    Bundled {
        file: "mm1.yaml",
        text: include_str!("../../scenarios/mm1.yaml"),
    },
    Bundled {
        file: "mmc.yaml",
        text: include_str!("../../scenarios/mmc.yaml"),
    },
    Bundled {
        file: "platform-50.yaml",
        text: include_str!("../../scenarios/platform-50.yaml"),
    },
    Bundled {
        file: "autoscaling.yaml",
        text: include_str!("../../scenarios/autoscaling.yaml"),
    },
    Bundled {
        file: "circuit-breaker.yaml",
        text: include_str!("../../scenarios/circuit-breaker.yaml"),
    },
    Bundled {
        file: "retry-storm.yaml",
        text: include_str!("../../scenarios/retry-storm.yaml"),
    },
    Bundled {
        file: "dead-letter.yaml",
        text: include_str!("../../scenarios/dead-letter.yaml"),
    },
    Bundled {
        file: "kafka-lag.yaml",
        text: include_str!("../../scenarios/kafka-lag.yaml"),
    },
    Bundled {
        file: "backpressure.yaml",
        text: include_str!("../../scenarios/backpressure.yaml"),
    },
    Bundled {
        file: "consumer-crash.yaml",
        text: include_str!("../../scenarios/consumer-crash.yaml"),
    },
];

/// The scenario the app opens when no file was opened before.
pub const DEFAULT: Bundled = BUNDLED[0];

/// Finds the bundled scenario called `file`.
#[must_use]
pub fn find(file: &str) -> Option<Bundled> {
    BUNDLED.into_iter().find(|bundled| bundled.file == file)
}

impl Bundled {
    /// Returns the path that diagnostics name: the file's place in the repository.
    #[must_use]
    pub fn path(self) -> PathBuf {
        PathBuf::from("scenarios").join(self.file)
    }

    /// Reads and validates the scenario.
    pub fn load(self) -> Result<Loaded, Vec<Diagnostic>> {
        scenario::load_str(self.text, Some(self.path()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_scenarios_are_valid() {
        for bundled in BUNDLED {
            let loaded = bundled.load();
            assert!(
                loaded.is_ok(),
                "{} is invalid: {:?}",
                bundled.file,
                loaded.err()
            );
        }
    }

    #[test]
    fn every_repository_scenario_is_bundled() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let entries = std::fs::read_dir(&folder).expect("the scenarios folder exists");
        for entry in entries {
            let path = entry.expect("the folder can be listed").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let file = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                assert!(find(file).is_some(), "{file} is not in BUNDLED");
            }
        }
    }
}
