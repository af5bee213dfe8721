//! Headless tests of how the window lays out long names, long messages, counts and
//! the plots' time axes.

use egui::{Key, vec2};
use egui_kittest::kittest::Queryable;

use super::editor_tests::add;
use super::tests::{click_at, harness, loaded, new_app, step_until};

/// Width of the test window, in points.
const WINDOW_WIDTH: f32 = 1280.0;

/// Returns mm1.yaml with `name` in place of its service's name and without its warm-up.
fn mm1_with(name: &str) -> String {
    include_str!("../../scenarios/mm1.yaml")
        .replace("server", name)
        .replace("  warmup: 20s\n", "")
}

#[test]
fn long_name_keeps_plots_on_screen() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("long.yaml");
    let name = "a".repeat(144);
    std::fs::write(&path, mm1_with(&name)).expect("the file is written");
    let mut harness = harness(super::tests::new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Play").click();
    step_until(&mut harness, "the run has its first window", |app| {
        !app.history().rows().is_empty()
    });
    harness.get_by_label("Pause").click();
    harness.state_mut().select(Some(name.clone()));
    harness.run_steps(3);
    // The system's plots and the node's own, in its panel.
    let plots: Vec<_> = harness.get_all_by_label("Errors (per second)").collect();
    assert_eq!(plots.len(), 2, "the system's and the node's Errors plots");
    for plot in plots {
        let errors = plot.rect();
        assert!(
            errors.max.x <= WINDOW_WIDTH,
            "an Errors plot ends at {} of {WINDOW_WIDTH}",
            errors.max.x
        );
    }
    for label in harness.get_all_by_label_contains("aaaa…") {
        let rect = label.rect();
        assert!(
            rect.max.x <= WINDOW_WIDTH,
            "a shortened name ends at {rect:?}"
        );
    }
}

#[test]
fn long_message_leaves_run_figures_readable() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    add(&mut harness, "client");
    let background = harness.get_by_label("Fit").rect().center() - vec2(0.0, 40.0);
    click_at(&mut harness, background);
    harness.key_press(Key::Space);
    harness.run_steps(3);
    let message = harness.get_by_label_contains("Cannot play").rect();
    let run = harness.get_by_label_contains("run 1, seed 1").rect();
    assert!(
        !message.intersects(run),
        "the message {message:?} covers the run label {run:?}"
    );
    assert!(message.max.x <= WINDOW_WIDTH);
}

#[test]
fn problem_header_counts_in_words() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    add(&mut harness, "client");
    harness.get_by_label("1 error");
    add(&mut harness, "queue");
    harness.get_by_label("1 error, 1 warning");
    add(&mut harness, "service");
    harness.get_by_label("1 error, 2 warnings");
}

#[test]
fn empty_run_axes_start_at_zero() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("mm1.yaml");
    std::fs::write(&path, mm1_with("server")).expect("the file is written");
    let mut harness = harness(new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.run_steps(3);
    for title in ["Throughput", "Latency", "Backlog", "Errors"] {
        let [[from, to], _] = harness
            .state()
            .plots()
            .bounds(title)
            .unwrap_or_else(|| panic!("the {title} plot is drawn"));
        assert_eq!(from, 0.0, "{title} starts at 0 s");
        assert!(to >= 1.0, "{title} spans the first window, to {to} s");
    }
}
