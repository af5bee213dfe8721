//! Canvas tests: selection, zoom to fit, live drawing and odd scenarios.

use egui_kittest::Harness;

use egui::Pos2;

use super::edges::edge_width;
use super::nodes::format_count;
use super::*;
use crate::scenario::load_str;
use crate::ui::live::{EdgeLive, NodeLive};
use crate::ui::topology::NodeKind;

fn checkout_async() -> Scenario {
    load_str(include_str!("../../../scenarios/checkout-async.yaml"), None)
        .expect("bundled scenario is valid")
        .scenario
}

/// Live figures for every node and edge of the checkout, with failing payments.
fn checkout_live(scenario: &Scenario) -> LiveView {
    let topology = Topology::from_scenario(scenario);
    let mut live = LiveView::default();
    for node in topology.nodes() {
        let figures = NodeLive {
            utilization: 0.6,
            throughput_per_s: 150.0,
            error_rate: if node.name == "payments" { 0.05 } else { 0.0 },
            queue_depth: matches!(node.kind, NodeKind::Queue { .. }).then_some(2500),
            queue_capacity: None,
            replicas: None,
            starting_replicas: None,
        };
        live.nodes.insert(node.name.clone(), figures);
    }
    for (from, to, _) in topology.edges() {
        let figures = EdgeLive {
            throughput_per_s: 150.0,
            error_rate: 0.0,
            ..EdgeLive::default()
        };
        live.edges
            .insert((from.name.clone(), to.name.clone()), figures);
    }
    live
}

struct State {
    view: GraphView,
    scenario: Scenario,
    live: Option<LiveView>,
    /// Every selection that `graph_ui` reported, in order.
    reported: Vec<String>,
}

fn harness(scenario: Scenario, live: Option<LiveView>) -> Harness<'static, State> {
    build_harness(scenario, live, Harness::builder())
}

/// Builds a harness that draws a box for a character that no font has, as the app does,
/// where the harness would panic by default.
fn harness_allowing_missing_glyphs(
    scenario: Scenario,
    live: Option<LiveView>,
) -> Harness<'static, State> {
    build_harness(scenario, live, Harness::builder().allow_missing_glyphs())
}

fn build_harness(
    scenario: Scenario,
    live: Option<LiveView>,
    builder: egui_kittest::HarnessBuilder<State>,
) -> Harness<'static, State> {
    let state = State {
        view: GraphView::default(),
        scenario,
        live,
        reported: Vec::new(),
    };
    builder.with_size(vec2(1000.0, 600.0)).build_ui_state(
        |ui, state: &mut State| {
            let response = graph_ui(ui, &mut state.view, &state.scenario, state.live.as_ref());
            state.reported.extend(response.selected);
        },
        state,
    )
}

fn click_at(harness: &Harness<'_, State>, position: Pos2) {
    harness.hover_at(position);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: position,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        });
    }
}

#[test]
fn click_selects_node() {
    let mut harness = harness(checkout_async(), None);
    harness.run_steps(3);
    let orders = harness
        .state()
        .view
        .node_screen_rect("orders")
        .expect("orders was drawn");
    assert!(harness.state().view.selection().is_none());

    click_at(&harness, orders.center());
    harness.run_steps(2);
    assert_eq!(harness.state().view.selection(), Some("orders"));
    assert_eq!(harness.state().reported, ["orders"]);
}

#[test]
fn background_click_clears_selection() {
    let mut harness = harness(checkout_async(), None);
    harness.state_mut().view.select(Some("gateway".to_owned()));
    harness.run_steps(3);
    // Halfway between shoppers and gateway, below both: no node there.
    let transform = harness
        .state()
        .view
        .canvas_to_screen
        .expect("the canvas was drawn");
    click_at(&harness, transform * pos2(100.0, 300.0));
    harness.run_steps(2);
    assert_eq!(harness.state().view.selection(), None);
}

#[test]
fn zoom_to_fit_shows_every_node() {
    let mut harness = harness(checkout_async(), None);
    harness.run_steps(3);
    let canvas = Rect::from_min_size(Pos2::ZERO, vec2(1000.0, 600.0));
    for name in harness.state().scenario.layout.keys() {
        let rect = harness
            .state()
            .view
            .node_screen_rect(name)
            .expect("every node was drawn");
        assert!(
            canvas.contains_rect(rect),
            "{name} at {rect:?} is off screen"
        );
    }
}

#[test]
fn playing_run_requests_repaint_with_dots() {
    let scenario = checkout_async();
    let live = checkout_live(&scenario);
    let mut harness = harness(scenario, Some(live));
    harness.state_mut().view.playing = true;
    harness.run_steps(3);
    let phases = &harness.state().view.dot_phases;
    assert_eq!(phases.len(), 8, "one phase per edge with throughput");
    // run() fails when every frame requests another one.
    assert!(harness.try_run().is_err());

    harness.state_mut().view.show_dots = false;
    harness.run_steps(1);
    assert!(harness.try_run().is_ok());
}

#[test]
fn paused_or_finished_run_keeps_dots_still() {
    let scenario = checkout_async();
    let live = checkout_live(&scenario);
    let mut harness = harness(scenario, Some(live));
    harness.state_mut().view.playing = true;
    harness.run_steps(3);
    harness.state_mut().view.playing = false;
    harness.run_steps(1);
    let phases = harness.state().view.dot_phases.clone();
    assert!(harness.try_run().is_ok(), "no frame is requested");
    harness.run_steps(5);
    assert_eq!(harness.state().view.dot_phases, phases);
}

#[test]
fn removed_node_drops_selection() {
    let mut harness = harness(checkout_async(), None);
    harness.state_mut().view.select(Some("payments".to_owned()));
    harness.run_steps(1);
    assert_eq!(harness.state().view.selection(), Some("payments"));

    let state = harness.state_mut();
    state.scenario.services.shift_remove("payments");
    state.scenario.layout.shift_remove("payments");
    harness.run_steps(1);
    assert_eq!(harness.state().view.selection(), None);
}

#[test]
fn odd_scenarios_draw() {
    let mut same_spot = checkout_async();
    for position in same_spot.layout.values_mut() {
        *position = [5.0, 5.0];
    }
    let mut huge = checkout_async();
    huge.layout.insert("shoppers".to_owned(), [-1.0e9, -1.0e9]);
    huge.layout
        .insert("inventory-dlq".to_owned(), [1.0e9, 1.0e9]);
    let mut unicode = checkout_async();
    let service = unicode
        .services
        .swap_remove("payments")
        .expect("bundled service");
    unicode.services.insert(
        "支払い-サービス-mit-sehr-langem-Namen 🚀".to_owned(),
        service,
    );

    for scenario in [Scenario::default(), same_spot, huge, unicode] {
        let live = checkout_live(&scenario);
        let mut harness = harness_allowing_missing_glyphs(scenario, Some(live));
        harness.run_steps(3);
        let center = harness
            .state()
            .view
            .canvas_to_screen
            .map_or(pos2(500.0, 300.0), |t| t * Pos2::ZERO);
        click_at(&harness, center);
        harness.run_steps(2);
    }
}

#[test]
fn long_name_is_elided() {
    // This harness panics on a missing glyph, so the ellipsis must be in the fonts.
    let mut scenario = checkout_async();
    let service = scenario
        .services
        .swap_remove("payments")
        .expect("bundled service");
    let name = "payments-with-a-name-much-wider-than-any-node".to_owned();
    scenario.services.insert(name.clone(), service);
    let mut harness = harness(scenario, None);
    harness.run_steps(3);
    assert!(harness.state().view.node_screen_rect(&name).is_some());
}

#[test]
fn counts_are_compact() {
    let cases = [
        (0.0, "0"),
        (0.5, "0.5"),
        (7.0, "7"),
        (150.0, "150"),
        (999.0, "999"),
        (1234.0, "1.2k"),
        (10_000.0, "10k"),
        (2_500_000.0, "2.5M"),
        (f32::NAN, "0"),
    ];
    for (value, expected) in cases {
        assert_eq!(format_count(value), expected, "format_count({value})");
    }
}

#[test]
fn edge_width_is_clamped() {
    assert_eq!(edge_width(0.0), 1.0);
    assert_eq!(edge_width(-5.0), 1.0);
    assert_eq!(edge_width(f32::INFINITY), 1.0);
    assert_eq!(edge_width(1.0e9), 5.0);
    assert!(edge_width(10.0) < edge_width(100.0));
    assert!(edge_width(100.0) < edge_width(1000.0));
}

#[test]
fn point_at_walks_the_curve() {
    let topology = Topology::from_scenario(&checkout_async());
    let edges = edge_shapes(&topology);
    assert_eq!(edges.len(), 8);
    for edge in &edges {
        let start = edge.points[0];
        assert_eq!(edge.distance_to(start), 0.0);
        assert!(edge.distance_to(start + vec2(0.0, 30.0)) > 0.0);
        assert_eq!(edge.point_at(0.0), edge.points[0]);
        assert_eq!(edge.point_at(1.0), edge.points[edge.points.len() - 1]);
        let middle = edge.point_at(0.5);
        assert!(middle.is_finite());
    }
}
