//! Saving files atomically: the target contains either its old content or the new
//! content, never a partial write, even if the program or the machine stops midway.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::scenario::Scenario;
use crate::scenario::write::{WriteError, to_yaml};

/// Attempts at finding an unused temporary file name before giving up.
const MAX_TEMP_ATTEMPTS: u32 = 100;

/// The reason a save failed.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The document could not be written as YAML.
    #[error("cannot save {}: {source}", path.display())]
    Serialize {
        /// The file that was to be written.
        path: PathBuf,
        /// The writer's error.
        source: WriteError,
    },
    /// A file system operation failed.
    #[error("cannot save {}: {action} failed: {source}", path.display())]
    Io {
        /// The file that was to be written.
        path: PathBuf,
        /// The failed operation, such as "creating a temporary file in /home/me/scenarios".
        action: String,
        /// The operating system's error.
        source: io::Error,
    },
}

/// Writes `scenario` as YAML to `path` atomically, as [`write_atomic`] does.
pub fn save_scenario(path: &Path, scenario: &Scenario) -> Result<(), SaveError> {
    let text = to_yaml(scenario).map_err(|source| SaveError::Serialize {
        path: path.to_path_buf(),
        source,
    })?;
    write_atomic(path, text.as_bytes())
}

/// Replaces the content of `path` with `contents` atomically.
///
/// The bytes go to a new temporary file in the same directory, which is flushed to
/// disk and then renamed over `path`. An existing target keeps its permissions, and a
/// symbolic link is followed so that the file it points to is replaced rather than the
/// link. The directory is synced after the rename where the platform allows opening a
/// directory, so that the rename itself survives a crash. On failure `path` is
/// untouched and the temporary file is removed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), SaveError> {
    let io_error = |action: String| {
        let path = path.to_path_buf();
        move |source| SaveError::Io {
            path,
            action,
            source,
        }
    };
    let target = resolve_symlink(path).map_err(io_error("following the symbolic link".into()))?;
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let permissions = match fs::metadata(&target) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(io_error("reading the file's permissions".into())(error)),
    };

    let (temp_path, mut file) = create_temp_file(&directory, &target).map_err(io_error(
        format!("creating a temporary file in {}", directory.display()),
    ))?;
    let result = (|| {
        file.write_all(contents)
            .map_err(io_error(format!("writing {}", temp_path.display())))?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions).map_err(io_error(format!(
                "setting the permissions of {}",
                temp_path.display()
            )))?;
        }
        file.sync_all().map_err(io_error(format!(
            "flushing {} to disk",
            temp_path.display()
        )))?;
        drop(file);
        fs::rename(&temp_path, &target).map_err(io_error(format!(
            "renaming {} to {}",
            temp_path.display(),
            target.display()
        )))
    })();
    if let Err(error) = result {
        if let Err(remove_error) = fs::remove_file(&temp_path) {
            tracing::warn!(path = %temp_path.display(), error = %remove_error, "cannot remove the temporary file of a failed save");
        }
        return Err(error);
    }
    sync_directory(&directory);
    Ok(())
}

/// Returns the file that `path` points to if it is a symbolic link, else `path` itself.
fn resolve_symlink(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => fs::canonicalize(path),
        _ => Ok(path.to_path_buf()),
    }
}

/// Creates a new file named after the target, as `.orders.yaml.1234-0.tmp`, that no
/// other process has, because it is created only if it does not exist yet.
fn create_temp_file(directory: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    let file_name = target
        .file_name()
        .map_or_else(|| "scenario".into(), |name| name.to_string_lossy());
    let pid = std::process::id();
    let mut last_error = None;
    for attempt in 0..MAX_TEMP_ATTEMPTS {
        let temp_path = directory.join(format!(".{file_name}.{pid}-{attempt}.tmp"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => last_error = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Flushes the directory entry of a rename to disk. Only some platforms can open a
/// directory as a file. Where opening or syncing fails, the rename is still done, but it
/// may be lost in a crash.
fn sync_directory(directory: &Path) {
    match File::open(directory).and_then(|dir| dir.sync_all()) {
        Ok(()) => {}
        Err(error) => {
            tracing::debug!(directory = %directory.display(), %error, "cannot sync the directory after a save");
        }
    }
}
