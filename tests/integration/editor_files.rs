//! Atomic saves and recovery files, on temporary directories.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use topolab::editor::recovery::{discard, read_recovery};
use topolab::editor::round_trip::RoundTripError;
use topolab::editor::{
    Command, EditorDocument, History, NodeKind, RecoveryError, RecoveryStore, SaveError,
    find_recovery, save_scenario, write_atomic,
};
use topolab::scenario::distribution::{Distribution, Lognormal};
use topolab::scenario::{Scenario, load_file};

fn checkout() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-async.yaml");
    load_file(&path).expect("bundled scenarios load").scenario
}

fn file_names(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(directory)
        .expect("the directory lists")
        .map(|entry| {
            entry
                .expect("the entry reads")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

// ---- Atomic save ----

#[test]
fn save_replaces_content() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("shop.yaml");
    fs::write(&path, "old").expect("the old file is written");

    let scenario = checkout();
    save_scenario(&path, &scenario).expect("the save succeeds");
    let saved = load_file(&path).expect("the saved file loads").scenario;
    assert_eq!(saved, scenario);
    assert_eq!(file_names(directory.path()), ["shop.yaml"]);

    write_atomic(&path, b"second").expect("the second save succeeds");
    assert_eq!(fs::read(&path).expect("the file reads"), b"second");
}

#[test]
fn save_creates_missing_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("new.yaml");
    write_atomic(&path, b"content").expect("the save succeeds");
    assert_eq!(fs::read(&path).expect("the file reads"), b"content");
}

#[cfg(unix)]
#[test]
fn save_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;

    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("shop.yaml");
    fs::write(&path, "old").expect("the old file is written");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod succeeds");

    write_atomic(&path, b"new").expect("the save succeeds");
    let mode = fs::metadata(&path)
        .expect("metadata reads")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[cfg(unix)]
#[test]
fn save_through_symlink_keeps_link() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let target = directory.path().join("real.yaml");
    let link = directory.path().join("link.yaml");
    fs::write(&target, "old").expect("the old file is written");
    std::os::unix::fs::symlink(&target, &link).expect("the link is created");

    write_atomic(&link, b"new").expect("the save succeeds");
    assert!(
        fs::symlink_metadata(&link)
            .expect("the link exists")
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&target).expect("the target reads"), b"new");
}

#[test]
fn save_under_file_fails_cleanly() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let parent = directory.path().join("not-a-directory");
    fs::write(&parent, "a file").expect("the file is written");
    let path = parent.join("shop.yaml");

    let error = write_atomic(&path, b"new").expect_err("a file has no children");
    let SaveError::Io { path: failed, .. } = &error else {
        panic!("expected an I/O error, got {error:?}");
    };
    assert_eq!(*failed, path);
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("cannot save {}: ", path.display())),
        "{message}"
    );
    assert!(message.contains("Not a directory"), "{message}");
    assert_eq!(fs::read(&parent).expect("the file reads"), b"a file");
    assert_eq!(file_names(directory.path()), ["not-a-directory"]);
}

#[test]
fn failed_rename_keeps_old_file() {
    // A directory in the target's place cannot be replaced by a file, so the rename
    // fails after the temporary file was written.
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("shop.yaml");
    fs::create_dir(&path).expect("the directory is created");
    fs::write(path.join("inside"), "kept").expect("the inner file is written");

    let error = write_atomic(&path, b"new").expect_err("a directory cannot be replaced");
    let message = error.to_string();
    assert!(message.contains("renaming"), "{message}");
    assert_eq!(
        fs::read(path.join("inside")).expect("the file reads"),
        b"kept"
    );
    assert_eq!(file_names(directory.path()), ["shop.yaml"]);
}

#[cfg(unix)]
#[test]
fn save_into_read_only_directory_fails() {
    use std::os::unix::fs::PermissionsExt;

    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("shop.yaml");
    fs::write(&path, "old").expect("the old file is written");
    fs::set_permissions(directory.path(), fs::Permissions::from_mode(0o555)).expect("chmod");

    // A superuser may write anyway; the test then has nothing to check.
    let probe = directory.path().join("probe");
    let writable = fs::write(&probe, "").is_ok();
    let result = if writable {
        fs::remove_file(&probe).expect("the probe is removed");
        None
    } else {
        Some(write_atomic(&path, b"new"))
    };
    fs::set_permissions(directory.path(), fs::Permissions::from_mode(0o755)).expect("chmod");

    if let Some(result) = result {
        let error = result.expect_err("the directory is read-only");
        assert!(error.to_string().contains("Permission denied"), "{error}");
        assert_eq!(fs::read(&path).expect("the file reads"), b"old");
        assert_eq!(file_names(directory.path()), ["shop.yaml"]);
    }
}

// ---- Recovery ----

#[test]
fn recovery_round_trip_and_discard() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let recovery_dir = directory.path().join("recovery");
    let store = RecoveryStore::with_pid(&recovery_dir, 41);
    let original = directory.path().join("shop.yaml");
    let written_at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);

    let mut document = EditorDocument::new(checkout());
    let mut history = History::default();
    history
        .execute(
            &mut document,
            &Command::AddNode {
                kind: NodeKind::Queue,
                name: Some("audit".to_owned()),
                position: None,
            },
        )
        .expect("the queue is added");
    let path = store
        .write_at(document.scenario(), Some(&original), written_at)
        .expect("the recovery file is written");
    assert_eq!(path, recovery_dir.join("topolab-recovery-41.json"));

    let found = find_recovery(&recovery_dir).expect("the directory lists");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, path);
    let recovery = found[0].content.as_ref().expect("the file reads");
    assert_eq!(recovery.pid, 41);
    assert_eq!(recovery.written_at, written_at);
    assert_eq!(recovery.original.as_deref(), Some(original.as_path()));
    let loaded = recovery.load().expect("the recovered document loads");
    assert_eq!(loaded.scenario, *document.scenario());
    assert!(loaded.scenario.queues.contains_key("audit"));

    // A clean save discards the file.
    store.discard().expect("the file is removed");
    assert!(
        find_recovery(&recovery_dir)
            .expect("the directory lists")
            .is_empty()
    );
    store.discard().expect("a missing file is no error");
}

#[test]
fn recovery_instances_keep_own_files() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let first = RecoveryStore::with_pid(directory.path(), 100);
    let second = RecoveryStore::with_pid(directory.path(), 200);
    let mut older = checkout();
    older.name = Some("older".to_owned());
    let mut newer = checkout();
    newer.name = Some("newer".to_owned());
    first
        .write_at(&older, None, UNIX_EPOCH + Duration::from_secs(10))
        .expect("the first file is written");
    second
        .write_at(&newer, None, UNIX_EPOCH + Duration::from_secs(20))
        .expect("the second file is written");

    let found = find_recovery(directory.path()).expect("the directory lists");
    let names: Vec<Option<String>> = found
        .iter()
        .map(|entry| {
            let recovery = entry.content.as_ref().expect("the file reads");
            recovery.load().expect("the document loads").scenario.name
        })
        .collect();
    assert_eq!(names, [Some("newer".to_owned()), Some("older".to_owned())]);

    second.discard().expect("the second file is removed");
    let found = find_recovery(directory.path()).expect("the directory lists");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, first.path());
    discard(&found[0].path).expect("the first file is removed");
    assert!(file_names(directory.path()).is_empty());
}

#[test]
fn corrupt_recovery_is_reported() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let store = RecoveryStore::with_pid(directory.path(), 7);
    store
        .write_at(&checkout(), None, UNIX_EPOCH + Duration::from_secs(5))
        .expect("the file is written");
    let broken = directory.path().join("topolab-recovery-8.json");
    fs::write(&broken, "{ not json").expect("the broken file is written");
    let future = directory.path().join("topolab-recovery-9.json");
    fs::write(
        &future,
        r#"{"format": 2, "pid": 9, "written_at_unix_ms": 0, "original": null, "scenario": ""}"#,
    )
    .expect("the file of another format is written");
    fs::write(directory.path().join("unrelated.json"), "{}").expect("an unrelated file");

    let found = find_recovery(directory.path()).expect("the directory lists");
    let paths: Vec<&Path> = found.iter().map(|entry| entry.path.as_path()).collect();
    assert_eq!(
        paths,
        [store.path().as_path(), broken.as_path(), future.as_path()]
    );
    assert!(found[0].content.is_ok());
    let Err(RecoveryError::Corrupt { path, .. }) = &found[1].content else {
        panic!("expected a corrupt file, got {:?}", found[1].content);
    };
    assert_eq!(*path, broken);
    let message = read_recovery(&future)
        .expect_err("format 2 is unknown")
        .to_string();
    assert!(message.contains("format version is 2"), "{message}");
}

#[test]
fn recovery_in_missing_directory() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let missing = directory.path().join("nothing-here");
    assert!(
        find_recovery(&missing)
            .expect("a missing directory lists")
            .is_empty()
    );
}

// ---- Locks of running instances ----

#[test]
fn running_instance_is_not_listed() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let running = RecoveryStore::open_as(directory.path(), 100).expect("the store opens");
    assert!(running.is_locked());
    let ended = RecoveryStore::with_pid(directory.path(), 200);
    running
        .write(&checkout(), None)
        .expect("the running instance's file is written");
    ended
        .write(&checkout(), None)
        .expect("the ended instance's file is written");
    assert!(
        directory.path().join("topolab-recovery-100.lock").exists(),
        "the lock file is next to the recovery file"
    );

    let found = find_recovery(directory.path()).expect("the directory lists");
    let paths: Vec<&Path> = found.iter().map(|entry| entry.path.as_path()).collect();
    assert_eq!(paths, [ended.path().as_path()]);

    // The lock dies with its holder, as with a process that is killed.
    let running_path = running.path();
    drop(running);
    let found = find_recovery(directory.path()).expect("the directory lists");
    let mut paths: Vec<PathBuf> = found.into_iter().map(|entry| entry.path).collect();
    paths.sort();
    assert_eq!(paths, [running_path, ended.path()]);
}

#[test]
fn lock_outlives_discard() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let running = RecoveryStore::open_as(directory.path(), 300).expect("the store opens");
    running
        .write(&checkout(), None)
        .expect("the recovery file is written");
    // A save discards the recovery file, but the instance still runs.
    running.discard().expect("the file is removed");
    let lock = directory.path().join("topolab-recovery-300.lock");
    assert!(lock.exists(), "the lock file stays while the instance runs");
    let other = RecoveryStore::open_as(directory.path(), 300).expect("a second store opens");
    assert_ne!(other.path(), running.path(), "a held lock is not shared");
    running
        .write(&checkout(), None)
        .expect("the file is written again");
    assert!(
        find_recovery(directory.path())
            .expect("the directory lists")
            .is_empty(),
        "both instances run"
    );

    running.discard().expect("the file is removed");
    drop(running);
    assert!(
        !lock.exists(),
        "a clean close with nothing unsaved removes the lock file"
    );
}

#[test]
fn same_pid_keeps_ended_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let mut older = checkout();
    older.name = Some("left by the ended instance".to_owned());
    let ended = RecoveryStore::with_pid(directory.path(), 400);
    ended.write(&older, None).expect("the file is written");

    // A new instance that got the same process id.
    let running = RecoveryStore::open_as(directory.path(), 400).expect("the store opens");
    assert_eq!(
        running.path(),
        directory.path().join("topolab-recovery-400-1.json")
    );
    running
        .write(&checkout(), None)
        .expect("the new file is written");
    let found = find_recovery(directory.path()).expect("the directory lists");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, ended.path());
    let recovery = found[0].content.as_ref().expect("the file reads");
    let name = recovery.load().expect("the document loads").scenario.name;
    assert_eq!(name.as_deref(), Some("left by the ended instance"));
}

#[test]
fn discard_removes_ended_lock() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let store = RecoveryStore::open_as(directory.path(), 500).expect("the store opens");
    let path = store
        .write(&checkout(), None)
        .expect("the recovery file is written");
    // The instance ends with unsaved changes, so its files stay.
    drop(store);
    let lock = directory.path().join("topolab-recovery-500.lock");
    assert!(lock.exists());
    assert!(path.exists());
    let found = find_recovery(directory.path()).expect("the directory lists");
    assert_eq!(found.len(), 1);

    discard(&found[0].path).expect("the file is removed");
    assert!(
        file_names(directory.path()).is_empty(),
        "{:?}",
        file_names(directory.path())
    );
}

// ---- Recovery of documents with errors ----

#[test]
fn recovery_keeps_invalid_value() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let mut edited = checkout();
    let invalid = Distribution::Lognormal(Lognormal::MeanP99 {
        mean: topolab::scenario::Duration::from_millis(8),
        p99: topolab::scenario::Duration::from_millis(5),
    });
    let (service, operation) = edited
        .services
        .iter_mut()
        .find_map(|(name, service)| {
            let (operation_name, operation) = service.operations.iter_mut().next()?;
            operation.service_time = invalid.clone();
            Some((name.clone(), operation_name.clone()))
        })
        .expect("an operation");
    let path = RecoveryStore::with_pid(directory.path(), 12)
        .write(&edited, None)
        .expect("the recovery file is written");

    let recovery = read_recovery(&path).expect("the file reads");
    let restored = recovery.restore().expect("the document reads");
    assert_eq!(restored.scenario, edited, "the invalid value is kept");
    assert!(restored.incomplete.is_none(), "{:?}", restored.incomplete);
    assert_eq!(restored.error_count(), 1);
    let error = &restored.diagnostics[0];
    assert_eq!(
        error.path,
        format!("services.{service}.operations.{operation}.service_time.lognormal.p99")
    );
    let from_file = topolab::scenario::load_str(&recovery.yaml, None).expect_err("invalid");
    assert_eq!(
        restored.diagnostics, from_file,
        "the messages of topolab validate"
    );
}

#[test]
fn recovery_with_unknown_key_is_incomplete() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("topolab-recovery-13.json");
    let yaml = "version: 1\nservices:\n  api:\n    colour: blue\n    operations:\n      get: { service_time: 1ms }\n";
    let stored = serde_json::json!({
        "format": 1,
        "pid": 13,
        "written_at_unix_ms": 0,
        "original": null,
        "scenario": yaml,
    });
    fs::write(&path, stored.to_string()).expect("the file is written");

    let restored = read_recovery(&path)
        .expect("the file reads")
        .restore()
        .expect("the document reads");
    match restored.incomplete {
        Some(RoundTripError::Lost(lost)) => assert_eq!(lost.path, "services.api.colour"),
        other => panic!("expected a lost value, got {other:?}"),
    }
}

#[test]
fn listing_removes_orphan_locks() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    // A killed instance with nothing unsaved leaves only its lock file.
    drop(RecoveryStore::open_as(directory.path(), 600).expect("the store opens"));
    let killed = directory.path().join("topolab-recovery-601.lock");
    fs::write(&killed, "").expect("the lock file is written");
    let running = RecoveryStore::open_as(directory.path(), 602).expect("the store opens");

    assert!(
        find_recovery(directory.path())
            .expect("the directory lists")
            .is_empty()
    );
    assert_eq!(
        file_names(directory.path()),
        ["topolab-recovery-602.lock"],
        "only the lock of the running instance stays"
    );
    // The running instance can still write and keep its file.
    running
        .write(&checkout(), None)
        .expect("the recovery file is written");
    assert!(
        find_recovery(directory.path())
            .expect("the directory lists")
            .is_empty()
    );
}
