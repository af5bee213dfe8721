//! Recovery files: the unsaved document, written now and then so that it survives a
//! crash, and offered again at the next start.
//!
//! Each running instance writes its own file, named after its process id, into a
//! directory the caller chooses, so that two instances never overwrite each other's
//! document. A clean save or close discards the file; one left behind means that an
//! instance stopped with unsaved changes.
//!
//! A running instance also holds an exclusive lock on a lock file of its own next to its
//! recovery file, `topolab-recovery-1234.lock` next to `topolab-recovery-1234.json`.
//! The operating system releases the lock when the process ends, even when it is
//! killed, so [`find_recovery`] lists only the files whose lock it can take: those of
//! instances that have ended.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::scenario::write::{WriteError, to_yaml};
use crate::scenario::{Diagnostic, Loaded, Scenario, load_str, load_str_for_editing};

use super::round_trip::{RoundTripError, check_round_trip};
use super::save::{SaveError, write_atomic};

/// The version of the recovery file's layout.
const RECOVERY_FORMAT: u32 = 1;

const FILE_PREFIX: &str = "topolab-recovery-";
const FILE_SUFFIX: &str = ".json";
const LOCK_EXTENSION: &str = "lock";

/// Names tried for the files of one instance before giving up: the process id, then the
/// process id with a number, when an ended instance with the same id left its file.
const MAX_NAME_ATTEMPTS: u32 = 100;

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

    /// Reads the recovered document to go on editing it, as
    /// [`Recovery::load_for_editing`] does, and checks that it contains everything of
    /// the file, its errors included. Only then may the file be discarded.
    ///
    /// # Errors
    /// Fails with the diagnostics if the text is not a scenario at all.
    pub fn restore(&self) -> Result<Restored, Vec<Diagnostic>> {
        let (scenario, diagnostics) = self.load_for_editing()?;
        let incomplete = check_round_trip(&scenario, &diagnostics).err();
        Ok(Restored {
            scenario,
            diagnostics,
            incomplete,
        })
    }
}

/// A recovered document read by [`Recovery::restore`].
#[derive(Debug)]
pub struct Restored {
    /// The document, with the values of the file, invalid ones included.
    pub scenario: Scenario,
    /// Its errors and warnings, as `topolab validate` reports them.
    pub diagnostics: Vec<Diagnostic>,
    /// The reason the document does not contain everything of the file, which must
    /// then be kept.
    pub incomplete: Option<RoundTripError>,
}

impl Restored {
    /// Returns the number of errors of the document.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
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

/// The recovery file of one instance, with the lock that marks the instance as running
/// for a store made by [`RecoveryStore::open`].
#[derive(Clone, Debug)]
pub struct RecoveryStore {
    directory: PathBuf,
    pid: u32,
    /// The file name between [`FILE_PREFIX`] and the extension, such as `1234` or
    /// `1234-1`.
    name: String,
    lock: Option<Arc<InstanceLock>>,
}

/// An exclusive lock on an instance's lock file, held until the last clone of its store
/// is dropped or the process ends.
#[derive(Debug)]
struct InstanceLock {
    /// The open lock file, which holds the lock.
    file: File,
    path: PathBuf,
    recovery_path: PathBuf,
}

impl Drop for InstanceLock {
    /// Removes the lock file when there is no recovery file. A recovery file left for
    /// the next start keeps its lock file, as after a crash, and [`discard`] removes
    /// both once the document is recovered or declined.
    fn drop(&mut self) {
        if !self.recovery_path.exists()
            && let Err(error) = fs::remove_file(&self.path)
        {
            tracing::debug!(path = %self.path.display(), %error, "cannot remove the lock file");
        }
        if let Err(error) = self.file.unlock() {
            tracing::debug!(path = %self.path.display(), %error, "cannot release the lock");
        }
    }
}

impl RecoveryStore {
    /// Opens the recovery file of this process in `directory`, as
    /// [`RecoveryStore::open_as`] does.
    pub fn open(directory: impl Into<PathBuf>) -> Result<Self, RecoveryError> {
        Self::open_as(directory, std::process::id())
    }

    /// Opens the recovery file of a running instance with process id `pid` and locks it
    /// for the life of the store, creating the directory if needed. The file is named
    /// after `pid` unless an ended instance with the same id left its recovery file, or
    /// a running one holds the lock of that name, as an instance with the same id in
    /// another process namespace does. The name then gets a number, as in `1234-1`, so
    /// that the other file is neither overwritten nor discarded.
    pub fn open_as(directory: impl Into<PathBuf>, pid: u32) -> Result<Self, RecoveryError> {
        let directory = directory.into();
        fs::create_dir_all(&directory).map_err(|source| RecoveryError::Io {
            action: "creating the directory",
            path: directory.clone(),
            source,
        })?;
        for attempt in 0..MAX_NAME_ATTEMPTS {
            let name = if attempt == 0 {
                pid.to_string()
            } else {
                format!("{pid}-{attempt}")
            };
            let mut store = Self {
                directory: directory.clone(),
                pid,
                name,
                lock: None,
            };
            let recovery_path = store.path();
            if fs::symlink_metadata(&recovery_path).is_ok() {
                continue;
            }
            let path = lock_path(&recovery_path);
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|source| RecoveryError::Io {
                    action: "opening the lock file",
                    path: path.clone(),
                    source,
                })?;
            match file.try_lock() {
                // A listing removed the lock file of an ended instance after it was
                // opened here, so the lock is on a file that no other instance finds.
                Ok(()) if fs::symlink_metadata(&path).is_err() => {}
                Ok(()) => {
                    store.lock = Some(Arc::new(InstanceLock {
                        file,
                        path,
                        recovery_path,
                    }));
                    return Ok(store);
                }
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(source)) => {
                    return Err(RecoveryError::Io {
                        action: "locking",
                        path,
                        source,
                    });
                }
            }
        }
        Err(RecoveryError::Io {
            action: "finding an unused recovery file name",
            path: directory,
            source: io::Error::other(format!(
                "the names for process {pid} and {MAX_NAME_ATTEMPTS} numbered ones are all taken"
            )),
        })
    }

    /// Returns the recovery file of the instance with process id `pid` without taking its
    /// lock, as an instance that has ended left it.
    #[must_use]
    pub fn with_pid(directory: impl Into<PathBuf>, pid: u32) -> Self {
        Self {
            directory: directory.into(),
            pid,
            name: pid.to_string(),
            lock: None,
        }
    }

    /// Returns the file this store writes.
    #[must_use]
    pub fn path(&self) -> PathBuf {
        self.directory
            .join(format!("{FILE_PREFIX}{}{FILE_SUFFIX}", self.name))
    }

    /// Returns whether this store holds the lock of a running instance.
    #[must_use]
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
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

/// Returns the lock file that belongs to the recovery file at `path`.
fn lock_path(path: &Path) -> PathBuf {
    path.with_extension(LOCK_EXTENSION)
}

/// The state of the lock of a recovery file's instance.
enum LockState {
    /// No process has the lock, or there is no lock file, so the instance has ended.
    Free,
    /// A running instance holds the lock.
    Held,
}

/// Finds out whether the instance of the recovery file at `path` still runs by trying
/// its lock, which is released at once.
fn lock_state(path: &Path) -> io::Result<LockState> {
    let file = match File::open(lock_path(path)) {
        Ok(file) => file,
        // Written by an instance that has ended and removed its lock file, or by a build
        // without lock files.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(LockState::Free),
        Err(error) => return Err(error),
    };
    match file.try_lock() {
        Ok(()) => Ok(LockState::Free),
        Err(fs::TryLockError::WouldBlock) => Ok(LockState::Held),
        Err(fs::TryLockError::Error(error)) => Err(error),
    }
}

/// Lists the recovery files in `directory` of instances that have ended, newest first,
/// each with its content or the reason it cannot be read. A missing directory has none.
///
/// A file whose instance still runs, its own caller's included, is left out, because it
/// contains that instance's current work. So is a file whose lock cannot be tried, with a
/// warning in the log, because it may belong to a running instance. The lock files of
/// ended instances without a recovery file, as a killed instance with nothing unsaved
/// leaves them, are removed.
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
        if name.starts_with(FILE_PREFIX) && name.ends_with(&format!(".{LOCK_EXTENSION}")) {
            remove_orphan_lock(&entry.path());
            continue;
        }
        if name.starts_with(FILE_PREFIX) && name.ends_with(FILE_SUFFIX) {
            let path = entry.path();
            match lock_state(&path) {
                Ok(LockState::Free) => {}
                Ok(LockState::Held) => continue,
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot try the lock of a recovery file, so it is not offered");
                    continue;
                }
            }
            let content = read_recovery(&path);
            // The instance removed its file after the lock was tried, as on a clean close.
            if matches!(&content, Err(RecoveryError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound)
            {
                continue;
            }
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

/// Removes the lock file at `path` if it has no recovery file and no process holds the
/// lock.
fn remove_orphan_lock(path: &Path) {
    let recovery_path = path.with_extension(&FILE_SUFFIX[1..]);
    if fs::symlink_metadata(&recovery_path).is_ok() {
        return;
    }
    let Ok(file) = File::open(path) else {
        return;
    };
    // The lock is held while the file is removed, so that an instance starting under
    // this name either fails to take it or finds the file gone and creates it anew.
    if file.try_lock().is_ok()
        && let Err(error) = fs::remove_file(path)
    {
        tracing::debug!(path = %path.display(), %error, "cannot remove the lock file of an ended instance");
    }
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

/// Removes the recovery file at `path`, once its document was restored or declined,
/// and its lock file unless a running instance holds the lock. A file that does not
/// exist is no error.
pub fn discard(path: &Path) -> Result<(), RecoveryError> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(RecoveryError::Io {
                action: "removing",
                path: path.to_path_buf(),
                source,
            });
        }
    }
    if let Ok(LockState::Free) = lock_state(path) {
        let lock = lock_path(path);
        match fs::remove_file(&lock) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::debug!(path = %lock.display(), %error, "cannot remove the lock file of an ended instance");
            }
        }
    }
    Ok(())
}
