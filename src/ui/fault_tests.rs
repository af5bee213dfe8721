//! Headless tests of faults in the app: the fault timeline under the plots, and faults
//! started by hand from a node's context menu.

use std::path::PathBuf;

use egui::{Event, Modifiers, PointerButton};
use egui_kittest::kittest::Queryable;

use crate::engine::sim::FaultOrigin;

use super::tests::{harness, loaded, new_app, step_until};

fn checkout_sync() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-sync.yaml")
}

fn manual_intervals(app: &super::app::TopolabApp) -> usize {
    app.history().status().map_or(0, |status| {
        status
            .fault_timeline
            .iter()
            .filter(|interval| interval.origin == FaultOrigin::Manual)
            .count()
    })
}

fn payments_dropped(app: &super::app::TopolabApp) -> u64 {
    app.history().summary().map_or(0, |(summary, _)| {
        summary
            .services
            .iter()
            .find(|service| service.name == "payments")
            .map_or(0, |service| service.errors.dropped)
    })
}

#[test]
fn timeline_shows_scenario_fault() {
    let mut harness = harness(new_app(Some(checkout_sync())));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("As fast as possible").click();
    harness.run_steps(1);
    harness.get_by_label("Play").click();
    // The scenario slows payments down from 120 s to 140 s.
    step_until(&mut harness, "the slowdown has started", |app| {
        app.history()
            .status()
            .is_some_and(|status| !status.fault_timeline.is_empty())
    });
    step_until(&mut harness, "the timeline has drawn its bar", |app| {
        app.plots().timeline_bars() == 1
    });
    let app = harness.state();
    let status = app.history().status().expect("a run");
    assert_eq!(status.fault_timeline.len(), 1);
    assert_eq!(status.fault_timeline[0].label, "slow payments ×4");
    assert_eq!(status.fault_timeline[0].origin, FaultOrigin::Scheduled);
    assert_eq!(status.manual_faults, 0);
}

#[test]
fn context_menu_crash_adds_manual_bar() {
    let mut harness = harness(new_app(Some(checkout_sync())));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Step").click();
    step_until(&mut harness, "a window has run", |app| {
        app.history().now_ns() > 0
    });
    assert_eq!(payments_dropped(harness.state()), 0);
    harness.run_steps(5);

    let rect = harness
        .state()
        .graph_node_rect("payments")
        .expect("payments is on the canvas");
    let position = rect.center();
    harness.event(Event::PointerMoved(position));
    harness.run_steps(2);
    // Press and release in one frame, so that the canvas gets a click, not a drag.
    for pressed in [true, false] {
        harness.event(Event::PointerButton {
            pos: position,
            button: PointerButton::Secondary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    harness.run_steps(2);
    harness.get_by_label("Crash").hover();
    harness.run_steps(2);
    harness.get_by_label("All replicas").click();
    harness.run_steps(1);

    step_until(&mut harness, "the crash is in the timeline", |app| {
        manual_intervals(app) == 1
    });
    assert_eq!(
        harness
            .state()
            .history()
            .status()
            .map(|status| status.manual_faults),
        Some(1)
    );
    harness.get_by_label("As fast as possible").click();
    harness.run_steps(1);
    harness.get_by_label("Play").click();
    step_until(&mut harness, "payments dropped requests", |app| {
        payments_dropped(app) > 0
    });
    step_until(
        &mut harness,
        "the timeline has drawn the manual bar",
        |app| app.plots().timeline_bars() >= 1,
    );
}
