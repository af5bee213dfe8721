//! Headless tests of the toolbar's run settings: the seed and the duration take typed
//! text, apply it on Enter, and show an error at the field for a value they reject.

use std::path::PathBuf;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::engine::run::{self, RunConfig};
use crate::metrics::summary::Summary;
use crate::scenario;

use super::app::TopolabApp;
use super::driver::RunState;
use super::tests::{harness, loaded, new_app, step_until};

/// The smallest seed that an `f64` cannot hold: 2^53 + 1.
const INEXACT_SEED: u64 = 9_007_199_254_740_993;

/// Two clients of one service, short enough to play to the end in a test.
pub(super) const TWO_CLIENTS: &str = "version: 1
name: Two clients
run: { duration: 5s, warmup: 1s, seed: 9007199254740993 }
clients:
  fast:
    target: api.get
    arrivals: { poisson: 200/s }
  slow:
    target: api.slow
    arrivals: { poisson: 50/s }
services:
  api:
    workers: 8
    operations:
      get: { service_time: { exponential: { mean: 2ms } } }
      slow: { service_time: { exponential: { mean: 20ms } } }
";

/// Writes `text` into a file of a new temporary folder and returns both.
pub(super) fn scenario_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("scenario.yaml");
    std::fs::write(&path, text).expect("the file is written");
    (folder, path)
}

/// Opens `TWO_CLIENTS` and waits until its first run has started.
pub(super) fn open_two_clients() -> (tempfile::TempDir, Harness<'static, TopolabApp>) {
    let (folder, path) = scenario_file(TWO_CLIENTS);
    let mut harness = harness(new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", |app| {
        loaded(app) && app.history().status().is_some()
    });
    (folder, harness)
}

/// Types `text` into the field called `label` key by key, checking after each key that
/// no new run has started, and returns the run number before the typing.
fn type_without_enter(harness: &mut Harness<'_, TopolabApp>, label: &str, text: &str) -> u64 {
    let run = current_run(harness);
    harness.get_by_label(label).focus();
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_steps(1);
    for character in text.chars() {
        harness
            .get_by_label(label)
            .type_text(&character.to_string());
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(5));
        harness.run_steps(1);
        assert_eq!(
            current_run(harness),
            run,
            "typing {character:?} started no run"
        );
    }
    run
}

fn current_run(harness: &Harness<'_, TopolabApp>) -> u64 {
    harness
        .state()
        .history()
        .status()
        .map_or(0, |status| status.run)
}

/// Returns the text that the field called `label` shows.
fn field_text(harness: &Harness<'_, TopolabApp>, label: &str) -> String {
    harness.get_by_label(label).value().unwrap_or_default()
}

/// Plays the current run as fast as possible to its end and returns its final summary.
fn play_to_end(harness: &mut Harness<'_, TopolabApp>) -> Summary {
    harness.get_by_label("As fast as possible").click();
    harness.run_steps(1);
    harness.get_by_label("Play").click();
    step_until(harness, "the run has finished", |app| {
        app.history().state() == RunState::Finished
            && app
                .history()
                .summary()
                .is_some_and(|(_, complete)| complete)
    });
    let (summary, _) = harness.state().history().summary().expect("a summary");
    summary.clone()
}

/// Runs `TWO_CLIENTS` headless with `seed`, as `topolab run --seed` does.
fn headless_summary(seed: u64) -> Summary {
    let scenario = scenario::load_str(TWO_CLIENTS, None)
        .expect("the scenario is valid")
        .scenario;
    let config =
        RunConfig::resolve(&scenario.run, None, None, Some(seed), None).expect("valid settings");
    let simulation = run::run(&scenario, &config, |_| {}).expect("the run finishes");
    Summary::new(&simulation, "Two clients")
}

#[test]
fn seed_field_shows_file_seed_exactly() {
    let (_folder, harness) = open_two_clients();
    let status = harness.state().history().status().expect("a status");
    assert_eq!(status.seed, INEXACT_SEED, "the engine runs the file's seed");
    assert_eq!(field_text(&harness, "Seed"), INEXACT_SEED.to_string());
}

#[test]
fn typed_seed_applies_on_enter_exactly() {
    let (_folder, mut harness) = open_two_clients();
    let seed = INEXACT_SEED + 2;
    let run = type_without_enter(&mut harness, "Seed", &seed.to_string());
    harness.key_press(Key::Enter);
    step_until(
        &mut harness,
        "a run with the typed seed has started",
        |app| {
            app.history()
                .status()
                .is_some_and(|status| status.seed == seed)
        },
    );
    assert_eq!(current_run(&harness), run + 1, "one new run for one seed");
    assert_eq!(field_text(&harness, "Seed"), seed.to_string());

    let played = play_to_end(&mut harness);
    assert_eq!(played.seed, seed);
    assert!(
        played == headless_summary(seed),
        "the app's run gives the headless numbers"
    );
}

#[test]
fn seed_field_takes_largest_seed() {
    let (_folder, mut harness) = open_two_clients();
    type_without_enter(&mut harness, "Seed", &u64::MAX.to_string());
    harness.key_press(Key::Enter);
    step_until(
        &mut harness,
        "a run with the largest seed has started",
        |app| {
            app.history()
                .status()
                .is_some_and(|status| status.seed == u64::MAX)
        },
    );
    assert_eq!(field_text(&harness, "Seed"), "18446744073709551615");
}

#[test]
fn seed_field_rejects_invalid_text() {
    let (_folder, mut harness) = open_two_clients();
    for text in ["12x", "18446744073709551616", "-3"] {
        let run = type_without_enter(&mut harness, "Seed", text);
        harness.key_press(Key::Enter);
        harness.run_steps(3);
        harness.get_by_label(&format!(
            "Seed {text:?} is not a whole number from 0 to 18446744073709551615; \
             the value stays {INEXACT_SEED}"
        ));
        assert_eq!(current_run(&harness), run, "{text}: no new run");
        assert_eq!(
            field_text(&harness, "Seed"),
            text,
            "the text stays to be fixed"
        );
    }

    type_without_enter(&mut harness, "Seed", "7");
    harness.key_press(Key::Enter);
    step_until(&mut harness, "a run with seed 7 has started", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.seed == 7)
    });
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("is not a whole number")
            .is_none(),
        "the message is gone once the seed is valid"
    );
}

/// Types `text` into the duration field and presses Enter.
fn set_duration(harness: &mut Harness<'_, TopolabApp>, text: &str) {
    type_without_enter(harness, "Duration", text);
    harness.key_press(Key::Enter);
    harness.run_steps(2);
}

fn duration_ns(harness: &Harness<'_, TopolabApp>) -> u64 {
    harness
        .state()
        .history()
        .status()
        .map_or(0, |status| status.duration_ns)
}

#[test]
fn rejected_duration_clears_once_valid() {
    let (_folder, mut harness) = open_two_clients();
    set_duration(&mut harness, "1ns");
    step_until(
        &mut harness,
        "the engine has rejected the duration",
        |app| app.history().status().is_some(),
    );
    let expected = "cannot set the duration: invalid run settings: the warm-up 1s must be \
                    shorter than the duration 1ns";
    let started = std::time::Instant::now();
    while harness.query_by_label(expected).is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the rejection is shown"
        );
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        harness
            .query_all_by_label_contains("must be shorter")
            .count(),
        1,
        "the message is shown once, at the field"
    );
    assert_eq!(duration_ns(&harness), 5_000_000_000, "the run keeps 5 s");

    set_duration(&mut harness, "3s");
    step_until(&mut harness, "the engine has taken 3 s", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.duration_ns == 3_000_000_000)
    });
    harness.run_steps(2);
    assert!(
        harness.query_by_label_contains("must be shorter").is_none(),
        "the message is gone once the duration is valid"
    );
    assert_eq!(field_text(&harness, "Duration"), "3s");
}

#[test]
fn rejected_duration_clears_on_reset() {
    let (_folder, mut harness) = open_two_clients();
    set_duration(&mut harness, "1ns");
    let started = std::time::Instant::now();
    while harness.query_by_label_contains("must be shorter").is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the rejection is shown"
        );
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let run = current_run(&harness);
    harness.get_by_label("Reset").click();
    step_until(&mut harness, "a new run has started", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.run > run)
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("must be shorter").is_none());
    assert_eq!(field_text(&harness, "Duration"), "5s", "the run's duration");
}

#[test]
fn long_duration_message_fits_window() {
    let (_folder, mut harness) = open_two_clients();
    for width in [1280.0, 640.0] {
        harness.set_size(egui::vec2(width, 480.0));
        harness.run_steps(2);
        set_duration(&mut harness, "100000000000000h");
        let message = harness.get_by_label(
            "Duration \"100000000000000h\" is too long: the longest duration is \
             4611686018427387904ns (2^62 ns, about 146 years)",
        );
        let rect = message.rect();
        assert!(
            rect.left() >= 0.0 && rect.right() <= width,
            "the message fits a {width} px window: {rect:?}"
        );
        assert_eq!(duration_ns(&harness), 5_000_000_000, "the run keeps 5 s");
    }
}

/// Opens the bundled checkout-async.yaml, whose `run:` block sets seed 1, 180 s and a
/// warm-up of 10 s, and sets seed 12 and 5m in the toolbar.
fn open_checkout_with_typed_settings() -> Harness<'static, TopolabApp> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-async.yaml");
    let mut harness = harness(new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", |app| {
        loaded(app) && app.history().status().is_some()
    });
    type_without_enter(&mut harness, "Seed", "12");
    harness.key_press(Key::Enter);
    step_until(&mut harness, "a run with seed 12 has started", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.seed == 12)
    });
    set_duration(&mut harness, "5m");
    step_until(&mut harness, "the engine has taken 5m", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.duration_ns == 300_000_000_000)
    });
    harness
}

/// Waits for a run after `run` and checks that it and the toolbar show `seed` and
/// `duration`.
fn assert_new_run_with(
    harness: &mut Harness<'_, TopolabApp>,
    run: u64,
    seed: u64,
    duration: &str,
    after: &str,
) {
    step_until(harness, "a new run has started", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.run > run)
    });
    harness.run_steps(2);
    let status = harness.state().history().status().expect("a status");
    let expected_ns = crate::scenario::Duration::parse(duration)
        .expect("a valid duration")
        .as_nanos();
    assert_eq!(status.seed, seed, "the run's seed after {after}");
    assert_eq!(
        status.duration_ns, expected_ns,
        "the run's duration after {after}"
    );
    // By role, because the Settings have checkboxes called Seed and Duration too.
    let toolbar_field = |label: &str| {
        harness
            .get_by_role_and_label(Role::TextInput, label)
            .value()
            .unwrap_or_default()
    };
    assert_eq!(
        toolbar_field("Seed"),
        seed.to_string(),
        "the seed field after {after}"
    );
    assert_eq!(
        toolbar_field("Duration"),
        duration,
        "the duration field after {after}"
    );
    let status_text = format!("run {}, seed {seed}", status.run);
    assert!(
        harness.query_by_label_contains(&status_text).is_some(),
        "the status bar shows {status_text:?} after {after}"
    );
}

#[test]
fn typed_settings_survive_edit_and_undo() {
    let mut harness = open_checkout_with_typed_settings();

    let run = current_run(&harness);
    super::editor_tests::add(&mut harness, "service");
    assert_new_run_with(&mut harness, run, 12, "5m", "adding a service");

    let run = current_run(&harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    assert_new_run_with(&mut harness, run, 12, "5m", "the undo");

    let run = current_run(&harness);
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    assert_new_run_with(&mut harness, run, 12, "5m", "the redo");
}

#[test]
fn scenario_duration_edit_replaces_typed() {
    let mut harness = open_checkout_with_typed_settings();
    for header in ["Description", "Load", "Settings"] {
        harness.get_by_label(header).click();
        harness.run_steps(3);
    }
    let run = current_run(&harness);
    harness
        .get_by_role_and_label(Role::CheckBox, "Duration")
        .scroll_to_me();
    harness.run_steps(3);
    harness
        .get_by_role_and_label(Role::CheckBox, "Duration")
        .click();
    harness.run_steps(3);
    assert_eq!(harness.state().editing().scenario().run.duration, None);
    // Without `run.duration` the scenario runs for the default 60 s.
    assert_new_run_with(&mut harness, run, 12, "1m", "turning off run.duration");
    assert_eq!(
        harness.state().notice(),
        Some(
            "The scenario changed, so the run was reset to 0 s; press Play to run it. The run \
             uses the scenario's duration 1m in place of the toolbar's 5m"
        )
    );

    // The undo changes run.duration back, so the file's 3m applies.
    let run = current_run(&harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    assert_new_run_with(&mut harness, run, 12, "3m", "the undo");
}

#[test]
fn opening_file_drops_typed_settings() {
    let mut harness = open_checkout_with_typed_settings();
    let run = current_run(&harness);
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-async.yaml");
    assert!(
        harness
            .state_mut()
            .open(super::document::Source::File(path))
    );
    assert_new_run_with(&mut harness, run, 1, "3m", "opening the file again");
}
