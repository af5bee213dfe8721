//! The document: the scenario being shown, and where it came from.
//!
//! The document is the only state read from or written to a scenario file. Run state
//! and view state never go into it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::scenario::{Diagnostic, Scenario};

/// The origin of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// A bundled scenario, by file name.
    Bundled(String),
    /// A file on disk.
    File(PathBuf),
    /// A document that has never been saved.
    Untitled,
}

impl Source {
    /// Returns a short name for titles and messages.
    #[must_use]
    pub fn display_name(&self) -> String {
        match self {
            Source::Bundled(file) => format!("{file} (bundled)"),
            Source::File(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |name| name.to_string_lossy().into_owned(),
            ),
            Source::Untitled => "Untitled".to_owned(),
        }
    }
}

/// The scenario being shown, as read from its source.
#[derive(Clone, Debug)]
pub struct Document {
    /// Its origin.
    pub source: Source,
    /// The validated scenario.
    pub scenario: Scenario,
    /// Warnings found when it was read.
    pub warnings: Vec<Diagnostic>,
}

impl Source {
    /// Returns the file, for a source that is one.
    #[must_use]
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Source::File(path) => Some(path),
            Source::Bundled(_) | Source::Untitled => None,
        }
    }
}
