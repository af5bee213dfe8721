//! Recovery files: the unsaved document, written now and then so that it survives a
//! crash, and offered again at the next start.
//!
//! Each running instance writes its own file, named after its process id, into a
//! directory the caller chooses, so that two instances never overwrite each other's
//! document. A clean save or close discards the file; one left behind means that an
//! instance stopped with unsaved changes.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::scenario::write::{WriteError, to_yaml};
use crate::scenario::{Diagnostic, Loaded, Scenario, load_str, load_str_for_editing};

use super::save::{SaveError, write_atomic};

/// The version of the recovery file's layout.
const RECOVERY_FORMAT: u32 = 1;

const FILE_PREFIX: &str = "topolab-recovery-";
const FILE_SUFFIX: &str = ".json";

/// The reason a recovery file could not be written, listed, read or removed.
#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// The document could not be written as YAML.
    #[error("cannot write the recovery file: {0}")]
    Serialize(#[from] WriteError),
    /// Writing the file failed.
    #[error("cannot write the recovery file: {0}")]
    Save(#[from] SaveError),
    /// A file system operation failed.
    #[error("{action} {} failed: {source}", path.display())]
    Io {
        /// The failed operation, such as "listing".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A recovery file exists but cannot be read as one.
    #[error("the recovery file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The problem found in it.
        reason: String,
    },
}

/// The content of a recovery file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The process id of the instance that wrote it.
    pub pid: u32,
    /// When it was written, by the wall clock, to the millisecond.
    pub written_at: SystemTime,
    /// The file the document was opened from or last saved to, if any.
    pub original: Option<PathBuf>,
    /// The document, as YAML text in the scenario format.
    pub yaml: String,
}

impl Recovery {
    /// Reads the recovered document, with diagnostics naming the original file.
    pub fn load(&self) -> Result<Loaded, Vec<Diagnostic>> {
        load_str(&self.yaml, self.original.clone())
    }

    /// Reads the recovered document to go on editing it, even if it has errors, as a
    /// document saved in the middle of an edit often has.
    ///
    /// # Errors
    /// Fails with the diagnostics if the text is not a scenario at all.
    pub fn load_for_editing(&self) -> Result<(Scenario, Vec<Diagnostic>), Vec<Diagnostic>> {
        load_str_for_editing(&self.yaml, None)
    }
}

/// A recovery file found by [`find_recovery`].
#[derive(Debug)]
pub struct RecoveryEntry {
    /// The file, for [`discard`].
    pub path: PathBuf,
    /// Its content, or why it cannot be read.
    pub content: Result<Recovery, RecoveryError>,
}

/// The file as stored, in JSON.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredRecovery {
    format: u32,
    pid: u32,
    written_at_unix_ms: u64,
    original: Option<PathBuf>,
    scenario: String,
}

/// The recovery file of one running instance.
#[derive(Clone, Debug)]
pub struct RecoveryStore {
    directory: PathBuf,
    pid: u32,
}

impl RecoveryStore {
    /// Returns the recovery file of this process in `directory`.
    #[must_use]
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        Self::with_pid(directory, std::process::id())
    }

    /// Returns the recovery file of the instance with process id `pid`, as if written by it.
    #[must_use]
    pub fn with_pid(directory: impl Into<PathBuf>, pid: u32) -> Self {
        Self {
            directory: directory.into(),
            pid,
        }
    }

    /// Returns the file this store writes.
    #[must_use]
    pub fn path(&self) -> PathBuf {
        self.directory
            .join(format!("{FILE_PREFIX}{}{FILE_SUFFIX}", self.pid))
    }

    /// Writes `scenario` and the file it came from to the recovery file atomically,
    /// creating the directory if needed, and returns the file's path.
    pub fn write(
        &self,
        scenario: &Scenario,
        original: Option<&Path>,
    ) -> Result<PathBuf, RecoveryError> {
        self.write_at(scenario, original, SystemTime::now())
    }

    /// Writes the recovery file as [`RecoveryStore::write`] does, stamped with `now`.
    pub fn write_at(
        &self,
        scenario: &Scenario,
        original: Option<&Path>,
        now: SystemTime,
    ) -> Result<PathBuf, RecoveryError> {
        let written_at_unix_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let stored = StoredRecovery {
            format: RECOVERY_FORMAT,
            pid: self.pid,
            written_at_unix_ms,
            original: original.map(Path::to_path_buf),
            scenario: to_yaml(scenario)?,
        };
        let path = self.path();
        let json = serde_json::to_vec_pretty(&stored).map_err(|error| RecoveryError::Io {
            action: "encoding",
            path: path.clone(),
            source: io::Error::other(error),
        })?;
        fs::create_dir_all(&self.directory).map_err(|source| RecoveryError::Io {
            action: "creating the directory",
            path: self.directory.clone(),
            source,
        })?;
        write_atomic(&path, &json)?;
        Ok(path)
    }

    /// Removes this instance's recovery file, after a clean save or close. A file that
    /// does not exist is no error.
    pub fn discard(&self) -> Result<(), RecoveryError> {
        discard(&self.path())
    }
}

/// Lists the recovery files in `directory`, newest first, each with its content or the
/// reason it cannot be read. A missing directory has none.
///
/// NOTE: files of instances that are still running are listed too; the process id in
/// [`Recovery::pid`] lets the caller skip its own.
pub fn find_recovery(directory: &Path) -> Result<Vec<RecoveryEntry>, RecoveryError> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(RecoveryError::Io {
                action: "listing",
                path: directory.to_path_buf(),
                source,
            });
        }
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| RecoveryError::Io {
            action: "listing",
            path: directory.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(FILE_PREFIX) && name.ends_with(FILE_SUFFIX) {
            let path = entry.path();
            let content = read_recovery(&path);
            found.push(RecoveryEntry { path, content });
        }
    }
    // Newest first; unreadable files last, then by path so that the order is stable.
    found.sort_by(|a, b| {
        let time = |entry: &RecoveryEntry| entry.content.as_ref().ok().map(|r| r.written_at);
        time(b).cmp(&time(a)).then_with(|| a.path.cmp(&b.path))
    });
    Ok(found)
}

/// Reads one recovery file.
pub fn read_recovery(path: &Path) -> Result<Recovery, RecoveryError> {
    let bytes = fs::read(path).map_err(|source| RecoveryError::Io {
        action: "reading",
        path: path.to_path_buf(),
        source,
    })?;
    let corrupt = |reason: String| RecoveryError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let stored: StoredRecovery =
        serde_json::from_slice(&bytes).map_err(|error| corrupt(error.to_string()))?;
    if stored.format != RECOVERY_FORMAT {
        return Err(corrupt(format!(
            "its format version is {}, and this build reads only version {RECOVERY_FORMAT}",
            stored.format
        )));
    }
    Ok(Recovery {
        pid: stored.pid,
        written_at: UNIX_EPOCH + Duration::from_millis(stored.written_at_unix_ms),
        original: stored.original,
        yaml: stored.scenario,
    })
}

/// Removes the recovery file at `path`, once its document was restored or declined. A
/// file that does not exist is no error.
pub fn discard(path: &Path) -> Result<(), RecoveryError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RecoveryError::Io {
            action: "removing",
            path: path.to_path_buf(),
            source,
        }),
    }
}
