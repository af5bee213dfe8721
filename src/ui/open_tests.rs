//! Headless tests of documents with errors in the whole window. A file saved while it had
//! an error opens for editing, and a file with values the editor cannot hold does not.
//! A recovered document keeps its invalid values, and its recovery file when needed.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

use super::app::TopolabApp;
use super::document::Source;
use super::tests::{harness, loaded, new_app, new_app_with_recovery, step_until};
use crate::editor::RecoveryStore;
use crate::editor::recovery::find_recovery;
use crate::scenario::distribution::{Distribution, Lognormal};
use crate::scenario::{self, Duration};

/// A scenario whose only error is one the editor holds: a lognormal whose p99 is below
/// its mean.
const REPRESENTABLE_ERROR: &str = "version: 1\n\
    clients:\n  shoppers: { target: api.get, arrivals: { poisson: 10/s } }\n\
    services:\n  api:\n    operations:\n      get:\n        service_time: { lognormal: { mean: 8ms, p99: 5ms } }\n";

/// The message of the error in [`REPRESENTABLE_ERROR`].
const P99_MESSAGE: &str = "invalid lognormal parameter p99: 5ms is not above the mean 8ms: a lognormal's p99 must exceed its mean";

fn open_by_path(harness: &mut Harness<'_, TopolabApp>, path: &std::path::Path) {
    harness
        .state_mut()
        .set_path_text(path.to_str().expect("the temporary path is UTF-8"));
    harness.run_steps(1);
    harness.get_by_label("Open").click();
    harness.run_steps(3);
}

/// Selects the service `api` and sets the text field that shows `current` to `text`, as a
/// screen reader does.
fn set_text_in(harness: &mut Harness<'_, TopolabApp>, current: &str, text: &str) {
    harness.state_mut().select(Some("api".to_owned()));
    harness.run_steps(3);
    harness
        .get_all_by_role(Role::TextInput)
        .find(|node| node.value().as_deref() == Some(current))
        .unwrap_or_else(|| panic!("a field showing {current}"))
        .set_text_value_accesskit(text);
    harness.run_steps(3);
}

fn invalid_lognormal() -> Distribution {
    Distribution::Lognormal(Lognormal::MeanP99 {
        mean: Duration::from_millis(8),
        p99: Duration::from_millis(5),
    })
}

#[test]
fn file_with_error_opens_for_editing() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("b.yaml");
    std::fs::write(&path, REPRESENTABLE_ERROR).expect("the file is written");
    let expected = scenario::load_file(&path).expect_err("the file is invalid");

    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    open_by_path(&mut harness, &path);

    let app = harness.state();
    assert_eq!(app.document().source, Source::File(path.clone()));
    assert!(
        app.failed_diagnostics().is_none(),
        "no list of a failed open"
    );
    assert_eq!(
        app.editing().scenario().services["api"].operations["get"].service_time,
        invalid_lognormal(),
        "the value is kept as written"
    );
    assert_eq!(
        app.editing().diagnostics(),
        expected.as_slice(),
        "the messages of topolab validate, with the file's positions"
    );
    assert!(app.editing().nodes_with_errors().contains("api"));
    assert!(
        app.history().info().is_none(),
        "no run of the previous scenario stays"
    );
    assert!(!app.editing().is_modified());
    assert_eq!(app.window_title(), "b.yaml — Topolab");
    assert!(
        harness.get_by_label("Play").accesskit_node().is_disabled(),
        "Play waits for the error to be fixed"
    );
    harness.get_by_label(&expected[0].to_string());

    // Space does not play either.
    harness.key_press(Key::Space);
    harness.run_steps(3);
    assert!(harness.state().history().info().is_none());
    harness.get_by_label_contains("fix it to run it");

    // The message also appears under the field in the inspector.
    harness.state_mut().select(Some("api".to_owned()));
    harness.run_steps(3);
    let marked = harness.query_all_by_label_contains(P99_MESSAGE).count();
    assert!(marked >= 2, "listed and under its field: {marked}");
    assert!(
        !harness.state().editing().is_modified(),
        "showing the inspector changes nothing"
    );
}

#[test]
fn file_with_error_saves_and_reopens() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("b.yaml");
    std::fs::write(&path, REPRESENTABLE_ERROR).expect("the file is written");
    let mut harness = harness(new_app(Some(path.clone())));
    harness.run_steps(3);
    assert_eq!(
        harness.state().document().source,
        Source::File(path.clone())
    );
    assert_eq!(harness.state().editing().error_count(), 1);

    // An edit that leaves the error, then a save, which writes the error as it is.
    set_text_in(&mut harness, "5ms", "6ms");
    assert!(harness.state().editing().is_modified());
    assert_eq!(harness.state().window_title(), "● b.yaml — Topolab");
    let edited = harness.state().editing().scenario().clone();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::S);
    harness.run_steps(2);
    assert!(!harness.state().editing().is_modified());
    assert_eq!(harness.state().window_title(), "b.yaml — Topolab");
    let saved = scenario::load_file(&path).expect_err("the saved file keeps its error");
    let messages: Vec<&str> = saved.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [P99_MESSAGE.replace("5ms is not", "6ms is not").as_str()]
    );
    assert_eq!(
        scenario::load_file_for_editing(&path)
            .expect("the saved file reads for editing")
            .0,
        edited
    );

    // Opening it again gives the same document.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::R);
    harness.run_steps(3);
    assert_eq!(harness.state().document().source, Source::File(path));
    assert_eq!(*harness.state().editing().scenario(), edited);
    assert_eq!(harness.state().editing().error_count(), 1);
    assert!(!harness.state().editing().is_modified());
}

#[test]
fn fixed_error_starts_a_run() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("b.yaml");
    std::fs::write(&path, REPRESENTABLE_ERROR).expect("the file is written");
    let mut harness = harness(new_app(Some(path)));
    harness.run_steps(3);
    assert!(harness.state().history().info().is_none());

    set_text_in(&mut harness, "5ms", "20ms");
    assert_eq!(harness.state().editing().error_count(), 0);
    step_until(&mut harness, "the fixed document runs", loaded);
    assert!(!harness.get_by_label("Play").accesskit_node().is_disabled());
}

#[test]
fn unrepresentable_file_stays_closed() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("b.yaml");
    // The unknown key would be lost by a save, so the file does not open for editing.
    let text =
        REPRESENTABLE_ERROR.replace("    operations:\n", "    colour: blue\n    operations:\n");
    std::fs::write(&path, &text).expect("the file is written");
    let expected = scenario::load_file(&path).expect_err("the file is invalid");
    assert_eq!(expected.len(), 2, "{expected:?}");

    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    open_by_path(&mut harness, &path);
    let app = harness.state();
    assert_eq!(app.failed_diagnostics(), Some(expected.as_slice()));
    assert_eq!(
        app.document().source,
        Source::Bundled("checkout-async.yaml".to_owned()),
        "the previous scenario stays open"
    );
    assert!(app.history().info().is_some(), "its run stays");
    for diagnostic in &expected {
        harness.get_by_label(&diagnostic.to_string());
    }
    harness.get_by_label_contains("b.yaml is invalid");
}

#[test]
fn out_of_range_values_survive_inspector() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("out-of-range.yaml");
    std::fs::copy("tests/editing/out-of-range.yaml", &path).expect("the file is copied");
    let (expected, _) = scenario::load_file_for_editing(&path).expect("the file reads");
    let mut harness = harness(new_app(Some(path.clone())));
    harness.run_steps(3);
    assert_eq!(harness.state().document().source, Source::File(path));
    assert!(harness.state().editing().error_count() > 30);

    for header in ["Description", "Load", "Services", "Settings"] {
        harness.get_by_label(header).click();
        harness.run_steps(2);
    }
    for node in ["shoppers", "closed", "api", "db", "jobs"] {
        harness.state_mut().select(Some(node.to_owned()));
        harness.run_steps(4);
        assert!(
            !harness.state().editing().is_modified(),
            "showing {node} changes nothing"
        );
    }
    assert_eq!(*harness.state().editing().scenario(), expected);
}

#[test]
fn recovered_invalid_value_is_kept() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut edited = scenario::load_str(include_str!("../../scenarios/mm1.yaml"), None)
        .expect("the bundled scenario is valid")
        .scenario;
    let service = edited.services.keys().next().expect("a service").clone();
    let operation = edited.services[&service]
        .operations
        .keys()
        .next()
        .expect("an operation")
        .clone();
    edited.services[&service].operations[&operation].service_time = invalid_lognormal();
    let dead = RecoveryStore::with_pid(folder.path(), 1)
        .write(&edited, None)
        .expect("the recovery file is written");

    let mut harness = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label_contains("The document has 1 error");
    harness.get_by_label("Recover").click();
    harness.run_steps(3);

    let app = harness.state();
    assert_eq!(
        *app.editing().scenario(),
        edited,
        "the value is not replaced"
    );
    let messages: Vec<String> = app
        .editing()
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    let path = format!("services.{service}.operations.{operation}.service_time.lognormal.p99");
    assert_eq!(messages, [format!("error: {path}: {P99_MESSAGE}")]);
    assert!(app.editing().nodes_with_errors().contains(&service));
    assert!(app.history().info().is_none(), "no run");
    assert!(harness.get_by_label("Play").accesskit_node().is_disabled());
    harness.get_by_label(&messages[0]);
    assert!(!dead.exists(), "everything was recovered, so the file goes");
}

#[test]
fn incomplete_recovery_keeps_file() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    // A recovery file whose scenario has a key that the document cannot hold.
    let yaml =
        REPRESENTABLE_ERROR.replace("    operations:\n", "    colour: blue\n    operations:\n");
    let stored = serde_json::json!({
        "format": 1,
        "pid": 1,
        "written_at_unix_ms": 1_700_000_000_000_u64,
        "original": null,
        "scenario": yaml,
    });
    let dead = folder.path().join("topolab-recovery-1.json");
    std::fs::write(&dead, stored.to_string()).expect("the recovery file is written");

    let mut harness = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label_contains("cannot be recovered as written");
    harness.get_by_label("Recover").click();
    harness.run_steps(3);

    let app = harness.state();
    assert_eq!(
        app.editing().scenario().services["api"].operations["get"].service_time,
        invalid_lognormal()
    );
    assert_eq!(app.editing().error_count(), 1);
    assert!(dead.exists(), "the recovery file is kept");
    harness.get_by_label_contains("is kept, because part of it cannot be recovered");
    // It is offered again at the next start.
    let offered: Vec<_> = find_recovery(folder.path())
        .expect("the folder lists")
        .into_iter()
        .map(|entry| entry.path)
        .collect();
    assert_eq!(offered, [dead]);
}

#[cfg(unix)]
#[test]
fn named_pipe_is_refused_without_blocking() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo made the pipe");

    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let before = harness.state().document().source.clone();
    // Reading the pipe would wait for a writer forever; the check refuses it first.
    open_by_path(&mut harness, &path);

    let app = harness.state();
    assert_eq!(app.document().source, before, "the previous scenario stays");
    let diagnostics = app.failed_diagnostics().expect("the failure is listed");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(
        diagnostics[0].message,
        "cannot read the file: it is a named pipe, not a regular file; give a scenario file"
    );
    assert!(
        !app.settings().recent.contains(&path),
        "a file that cannot be read is not offered again"
    );
}

#[test]
fn directory_is_refused_and_not_recent() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    open_by_path(&mut harness, folder.path());

    let app = harness.state();
    let diagnostics = app.failed_diagnostics().expect("the failure is listed");
    assert_eq!(
        diagnostics[0].message,
        "cannot read the file: it is a directory, not a regular file; give a scenario file"
    );
    assert!(!app.settings().recent.contains(&folder.path().to_path_buf()));
}
