//! Atomic saves and recovery files, on temporary directories.

use std::fs;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use topolab::editor::recovery::{discard, read_recovery};
use topolab::editor::{
    Command, EditorDocument, History, NodeKind, RecoveryError, RecoveryStore, SaveError,
    find_recovery, save_scenario, write_atomic,
};
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
