//! Headless tests of the window's layout at small sizes: the panels share the window,
//! the graph stays in view, the status bar never overlaps itself, and sizes and zoom
//! come back when the window grows again.

use egui::{Rect, Vec2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::app::{PanelRects, TopolabApp};
use super::tests::{drag, harness, loaded, new_app, step_until};

/// Window sizes from the default down to the smallest that the app allows.
const SIZES: [Vec2; 3] = [vec2(1280.0, 800.0), vec2(800.0, 600.0), vec2(640.0, 480.0)];

/// Nodes of the default scenario.
const NODES: [&str; 8] = [
    "shoppers",
    "gateway",
    "orders",
    "payments",
    "inventory-events",
    "notification-events",
    "inventory",
    "notifications",
];

fn resize(harness: &mut Harness<'_, TopolabApp>, size: Vec2) {
    harness.set_size(size);
    harness.run_steps(4);
}

/// Opens the default scenario, steps two windows and selects `payments`, so that every
/// panel shows.
fn every_panel() -> Harness<'static, TopolabApp> {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    for _ in 0..2 {
        harness.get_by_label("Step").click();
        harness.run_steps(1);
    }
    step_until(&mut harness, "two windows have arrived", |app| {
        app.history().rows().len() >= 2
    });
    harness.state_mut().select(Some("payments".to_owned()));
    harness.run_steps(3);
    harness
}

fn panels(harness: &Harness<'_, TopolabApp>) -> (Rect, Rect, Rect, Rect) {
    let PanelRects {
        plots,
        scenario,
        node,
        canvas,
    } = harness.state().panel_rects();
    (
        plots.expect("the plots are shown"),
        scenario.expect("the scenario panel is shown"),
        node.expect("the node panel is shown"),
        canvas.expect("the canvas is shown"),
    )
}

#[test]
fn panels_share_small_windows() {
    let mut harness = every_panel();
    // Each size is a new one, at which the fitted graph fits again.
    resize(&mut harness, vec2(1000.0, 700.0));
    for size in SIZES {
        resize(&mut harness, size);
        let (plots, scenario, node, canvas) = panels(&harness);
        let window = Rect::from_min_size(egui::Pos2::ZERO, size);
        assert!(
            plots.height() <= 0.5 * size.y + 1.0,
            "{size:?}: the plots take at most half the height: {plots:?}"
        );
        assert!(
            plots.height() >= 0.25 * size.y,
            "{size:?}: the plots keep a quarter of the height: {plots:?}"
        );
        for (name, side) in [("scenario", scenario), ("node", node)] {
            assert!(
                side.width() <= 0.3 * size.x + 1.0,
                "{size:?}: the {name} panel takes at most 30 % of the width: {side:?}"
            );
        }
        assert!(
            canvas.width() >= 0.35 * size.x && canvas.height() >= 0.3 * size.y,
            "{size:?}: the canvas keeps room: {canvas:?}"
        );
        for rect in [plots, scenario, node, canvas] {
            assert!(
                window.expand(0.5).contains_rect(rect),
                "{size:?}: {rect:?} is inside the window"
            );
        }
        assert!(
            !plots.intersects(scenario.shrink(1.0)) && !plots.intersects(canvas.shrink(1.0)),
            "{size:?}: the plots cover no other panel"
        );
        for name in NODES {
            let rect = harness
                .state()
                .graph_node_rect(name)
                .unwrap_or_else(|| panic!("{size:?}: {name} is drawn"));
            assert!(
                canvas.contains_rect(rect),
                "{size:?}: {name} ({rect:?}) is in the canvas {canvas:?}"
            );
        }
    }
}

#[test]
fn status_bar_never_overlaps() {
    let mut harness = every_panel();
    harness
        .state_mut()
        .request_open(super::document::Source::Bundled(
            "checkout-async.yaml".to_owned(),
        ));
    harness.run_steps(2);
    for size in SIZES {
        resize(&mut harness, size);
        let figures = harness.get_by_label_contains("|   wall").rect();
        let notice = harness
            .get_by_label_contains("Opened checkout-async.yaml")
            .rect();
        assert!(
            figures.right() <= notice.left(),
            "{size:?}: the figures {figures:?} end before the notice {notice:?}"
        );
        assert!(notice.right() <= size.x + 0.5, "{size:?}: the notice fits");
        assert!(
            (figures.center().y - notice.center().y).abs() < 1.0,
            "{size:?}: one line"
        );
    }
}

#[test]
fn panel_sizes_return_with_window() {
    let mut harness = every_panel();
    let before = panels(&harness);
    resize(&mut harness, vec2(640.0, 480.0));
    let small = panels(&harness);
    assert!(small.0.height() < before.0.height(), "the plots shrank");
    assert!(
        small.1.width() < before.1.width(),
        "the scenario panel shrank"
    );
    resize(&mut harness, vec2(1280.0, 800.0));
    let after = panels(&harness);
    assert_eq!(after.0.height(), before.0.height(), "the plots' height");
    assert_eq!(
        after.1.width(),
        before.1.width(),
        "the scenario panel's width"
    );
    assert_eq!(after.2.width(), before.2.width(), "the node panel's width");
}

/// Returns the rectangle of `payments` on the canvas.
fn payments(harness: &Harness<'_, TopolabApp>) -> Rect {
    harness
        .state()
        .graph_node_rect("payments")
        .expect("payments is drawn")
}

#[test]
fn graph_zoom_survives_tiny_window() {
    let mut harness = every_panel();
    let fitted = payments(&harness);
    resize(&mut harness, vec2(1.0, 1.0));
    resize(&mut harness, vec2(1280.0, 800.0));
    assert_eq!(payments(&harness), fitted, "the fitted view comes back");

    // Through a small window and a tiny one, a fitted view fits each size it is drawn at.
    resize(&mut harness, vec2(640.0, 480.0));
    let small = panels(&harness).3;
    assert!(
        small.contains_rect(payments(&harness)),
        "fitted at 640 × 480"
    );
    resize(&mut harness, vec2(1.0, 1.0));
    resize(&mut harness, vec2(1280.0, 800.0));
    let canvas = panels(&harness).3;
    for name in NODES {
        let rect = harness.state().graph_node_rect(name).expect("drawn");
        assert!(canvas.contains_rect(rect), "{name} is in the canvas again");
    }
    let fitted = payments(&harness);

    // A view that the user moved keeps its zoom and place. The drag starts above the
    // first node, where nothing else is drawn.
    let shoppers = harness
        .state()
        .graph_node_rect("shoppers")
        .expect("shoppers is drawn");
    let background = shoppers.center_top() - vec2(0.0, 40.0);
    drag(&mut harness, background, background + vec2(40.0, -20.0));
    harness.run_steps(2);
    let moved = payments(&harness);
    assert_ne!(moved, fitted, "the drag moved the view");
    resize(&mut harness, vec2(1.0, 1.0));
    resize(&mut harness, vec2(1280.0, 800.0));
    assert_eq!(payments(&harness), moved, "the moved view comes back");
}
