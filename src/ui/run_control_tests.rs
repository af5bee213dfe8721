//! Headless tests of starting and stepping a run from every control: the toolbar, the
//! Run menu, the keys and the start option, and of what an edit does to a run.

use egui::accesskit::Role;
use egui::{Key, Pos2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

use super::app::{AppOptions, TopolabApp};
use super::driver::RunState;
use super::editor_tests::add;
use super::settings::Settings;
use super::tests::{click_at, harness, loaded, new_app, step_until};

/// Frames a test lets pass before it concludes that nothing started.
const SETTLE_FRAMES: usize = 20;

/// Returns a point of the canvas background, just above its bottom row of buttons.
fn background(harness: &Harness<'_, TopolabApp>) -> Pos2 {
    harness.get_by_label("Fit").rect().center() - vec2(0.0, 40.0)
}

/// Steps frames with pauses, so that any command sent to the engine has its effect.
fn settle(harness: &mut Harness<'_, TopolabApp>) {
    for _ in 0..SETTLE_FRAMES {
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn notice(harness: &Harness<'_, TopolabApp>) -> String {
    harness.state().notice().unwrap_or_default().to_owned()
}

#[test]
fn keys_do_not_run_a_document_with_errors() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    add(&mut harness, "client");
    assert_eq!(harness.state().editing().error_count(), 1);
    let point = background(&harness);
    click_at(&mut harness, point);
    assert_eq!(
        harness.state().selection(),
        None,
        "the background was clicked"
    );

    harness.key_press(Key::Space);
    settle(&mut harness);
    assert_eq!(harness.state().history().state(), RunState::Ready);
    assert_eq!(harness.state().history().now_ns(), 0);
    let message = notice(&harness);
    assert!(message.starts_with("Cannot play"), "{message}");
    assert!(
        message.starts_with("Cannot play: the scenario has 1 error;"),
        "{message}"
    );

    harness.key_press(Key::ArrowRight);
    settle(&mut harness);
    assert_eq!(harness.state().history().now_ns(), 0, "no step either");
    let message = notice(&harness);
    assert!(message.starts_with("Cannot step"), "{message}");
}

#[test]
fn run_menu_follows_the_toolbar() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Run").click();
    harness.run_steps(2);
    let plays: Vec<_> = harness.get_all_by_label_contains("Play").collect();
    assert_eq!(plays.len(), 2, "the toolbar button and the menu entry");
    for play in plays {
        assert!(!play.accesskit_node().is_disabled(), "Play is enabled");
    }
    harness.key_press(Key::Escape);
    harness.run_steps(2);

    add(&mut harness, "client");
    harness.get_by_label("Run").click();
    harness.run_steps(2);
    // The new client's panel mentions Play and Step in a label, which is no control.
    let entries: Vec<_> = harness
        .get_all_by_label_contains("Play")
        .chain(harness.get_all_by_label_contains("Step"))
        .filter(|node| node.accesskit_node().role() == Role::Button)
        .collect();
    assert_eq!(entries.len(), 4, "toolbar buttons and menu entries");
    for entry in entries {
        assert!(
            entry.accesskit_node().is_disabled(),
            "disabled by the error"
        );
    }
}

#[test]
fn edit_with_error_pauses_playing_run() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Play").click();
    step_until(&mut harness, "the run plays", |app| {
        app.history().state() == RunState::Playing
    });
    add(&mut harness, "client");
    step_until(&mut harness, "the run has paused", |app| {
        app.history().state() == RunState::Paused
    });
    let message = notice(&harness);
    assert!(
        message.starts_with("Paused: the scenario has 1 error"),
        "{message}"
    );
}

#[test]
fn play_option_waits_for_the_engine() {
    let app = TopolabApp::new(AppOptions {
        initial: None,
        settings: Settings::default(),
        dialogs: false,
        waker: None,
        play: true,
        pacing: None,
        duration: None,
        recovery_dir: None,
        software_renderer: false,
    })
    .expect("the engine thread starts");
    let mut harness = harness(app);
    step_until(&mut harness, "the run plays", |app| {
        app.history().state() == RunState::Playing
    });
}

#[test]
fn play_option_names_a_file_that_failed() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("broken.yaml");
    std::fs::write(&path, "version: 1\nclients: { c: { target: nowhere.x } }\n")
        .expect("the file is written");
    let app = TopolabApp::new(AppOptions {
        initial: Some(path),
        settings: Settings::default(),
        dialogs: false,
        waker: None,
        play: true,
        pacing: None,
        duration: None,
        recovery_dir: None,
        software_renderer: false,
    })
    .expect("the engine thread starts");
    let mut harness = harness(app);
    step_until(&mut harness, "the engine has loaded", loaded);
    settle(&mut harness);
    assert_eq!(harness.state().history().state(), RunState::Ready);
    let message = notice(&harness);
    assert_eq!(message, "Not playing: broken.yaml could not be opened");
}

/// Sets the text field that shows `current` to `text`, as a screen reader does.
fn set_field(harness: &mut Harness<'_, TopolabApp>, current: &str, text: &str) {
    harness
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .find(|node| node.value().as_deref() == Some(current))
        .unwrap_or_else(|| panic!("a text field showing {current}"))
        .set_text_value_accesskit(text);
    harness.run_steps(3);
}

/// Steps the run by one window and waits until it has passed.
fn step_once(harness: &mut Harness<'_, TopolabApp>) -> u64 {
    harness.get_by_label("Step").click();
    step_until(harness, "one window has passed", |app| {
        app.history().now_ns() > 0 && app.history().state() == RunState::Paused
    });
    harness.state().history().now_ns()
}

#[test]
fn client_rate_edit_applies_live() {
    let mm1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm1.yaml");
    let mut harness = harness(new_app(Some(mm1)));
    step_until(&mut harness, "the engine has loaded", loaded);
    let now = step_once(&mut harness);
    let run = harness.state().history().status().map(|status| status.run);
    harness.state_mut().select(Some("arrivals".to_owned()));
    harness.run_steps(3);

    set_field(&mut harness, "800/s", "300/s");
    settle(&mut harness);
    let client = &harness.state().editing().scenario().clients["arrivals"];
    assert!(
        matches!(&client.workload, crate::scenario::Workload::Open { arrivals, .. }
            if arrivals.rate().as_per_sec() == 300.0),
        "{client:?}"
    );
    let status = harness.state().history().status().expect("a run");
    assert_eq!(Some(status.run), run, "no new run");
    assert_eq!(status.now_ns, now, "the run stays where it was");
    assert_eq!(
        notice(&harness),
        "The new rate of arrivals applies to the run from now on, without a reset"
    );
    // The Scenario panel's slider multiplies the new rate.
    harness.get_by_label("base rate 300/s, now 300/s");

    // Undo applies live as well.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    settle(&mut harness);
    let status = harness.state().history().status().expect("a run");
    assert_eq!(Some(status.run), run, "no new run after the undo");
    harness.get_by_label("base rate 800/s, now 800/s");
}

#[test]
fn other_client_edit_resets_and_says_so() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    step_once(&mut harness);
    let run = harness.state().history().status().map(|status| status.run);
    harness.state_mut().select(Some("shoppers".to_owned()));
    harness.run_steps(3);
    // shoppers has a rate profile, so even its rate needs a reset.
    set_field(&mut harness, "150/s", "200/s");
    step_until(&mut harness, "a new run has started", |app| {
        app.history().status().map(|status| status.run) != run
    });
    assert_eq!(harness.state().history().now_ns(), 0);
    assert_eq!(harness.state().history().state(), RunState::Ready);
    assert_eq!(
        notice(&harness),
        "The scenario changed, so the run was reset to 0 s; press Play to run it"
    );
}
