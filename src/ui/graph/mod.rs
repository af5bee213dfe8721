//! The topology graph canvas: clients, services and queues with their calls and messages,
//! and, while a run is live, its figures drawn on top.
//!
//! The canvas draws on egui's [`Scene`], which pans on drag and zooms on pinch or
//! ctrl-scroll. [`GraphView`] holds view state and a cache of the display graph. The
//! scenario and the live figures are passed in every frame, and the display graph is
//! rebuilt when the scenario changes.
//!
//! Synchronous calls are solid lines and asynchronous edges (publish, consume, dead
//! letter) are dashed. While live, node fill shows utilization, queue bars show depth,
//! edge width shows throughput on a log scale, and dots move along edges at a rate
//! proportional to their throughput.

use std::collections::BTreeMap;

use egui::emath::TSTransform;
use egui::{
    Align2, Color32, CornerRadius, FontId, Rect, Scene, Sense, Shape, Stroke, StrokeKind, Ui, Vec2,
    pos2, vec2,
};

mod edges;
mod nodes;
mod palette;
#[cfg(test)]
mod tests;

use super::live::LiveView;
use super::topology::Topology;
use crate::scenario::Scenario;
use edges::{
    dot_rate, dots_ui, edge_badge_ui, edge_live, edge_shapes, edge_throughput, edge_tooltip_ui,
    edge_ui, hovered_edge_index,
};
use nodes::node_ui;
use palette::Palette;

/// Smallest zoom factor, in screen points per canvas unit, small enough to fit the largest
/// layout.
const MIN_ZOOM: f32 = 1.0e-4;

/// Largest zoom factor. Text turns blurry above 1, so zoom to fit stops at 1.
const MAX_ZOOM: f32 = 2.0;

/// Space kept free around the nodes by zoom to fit, in screen points.
const FIT_MARGIN: f32 = 24.0;

/// Error rate above which a node or edge gets a badge, as a fraction.
pub(super) const ERROR_BADGE_THRESHOLD: f32 = 0.001;

/// Maximum frame step that advances the dots, in seconds of wall time, so that a stalled
/// frame does not make them jump.
const MAX_FRAME_STEP_S: f64 = 0.1;

/// View state of the graph canvas: pan and zoom, selection and animation.
///
/// The display graph cached here is derived from the scenario passed to [`graph_ui`] and
/// rebuilt whenever that scenario changes.
#[derive(Debug)]
pub struct GraphView {
    /// Canvas area shown, in canvas units, as [`Scene`] stores it.
    scene_rect: Rect,
    fit_requested: bool,
    selected: Option<String>,
    /// Whether dots move along the edges while a run is live.
    pub show_dots: bool,
    /// Dots emitted so far per edge, by (from, to). The fractional part places them.
    dot_phases: BTreeMap<(String, String), f64>,
    /// Input time of the last live frame, in seconds of wall time.
    last_frame_time: Option<f64>,
    topology: Topology,
    topology_source: Option<Scenario>,
    /// Transform from canvas units to screen points in the last frame.
    canvas_to_screen: Option<TSTransform>,
}

impl Default for GraphView {
    fn default() -> Self {
        Self {
            scene_rect: Rect::ZERO,
            fit_requested: true,
            selected: None,
            show_dots: true,
            dot_phases: BTreeMap::new(),
            last_frame_time: None,
            topology: Topology::default(),
            topology_source: None,
            canvas_to_screen: None,
        }
    }
}

impl GraphView {
    /// Requests that the next frame pan and zoom so that every node is visible.
    ///
    /// Zoom to fit never zooms in past 1:1, so a small graph is centered at full size.
    pub fn zoom_to_fit(&mut self) {
        self.fit_requested = true;
    }

    /// Returns the name of the selected node.
    #[must_use]
    pub fn selection(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// Selects the node called `name`, or clears the selection with `None`.
    ///
    /// A name that is not in the scenario is dropped in the next frame.
    pub fn select(&mut self, name: Option<String>) {
        self.selected = name;
    }

    /// Returns the node's rectangle on screen in the last frame, in screen points.
    #[must_use]
    pub fn node_screen_rect(&self, name: &str) -> Option<Rect> {
        let transform = self.canvas_to_screen?;
        let node = self.topology.node(name)?;
        Some(transform * node.rect())
    }

    /// Rebuilds the display graph if `scenario` differs from the one it was built from.
    fn refresh_topology(&mut self, scenario: &Scenario) {
        if self.topology_source.as_ref() == Some(scenario) {
            return;
        }
        self.topology = Topology::from_scenario(scenario);
        self.topology_source = Some(scenario.clone());
        let topology = &self.topology;
        self.dot_phases
            .retain(|(from, to), _| topology.node(from).is_some() && topology.node(to).is_some());
    }

    /// Sets the scene rectangle so that every node fits into a canvas of `screen_size`.
    fn fit(&mut self, screen_size: Vec2) {
        let Some(bounds) = self.topology.bounds() else {
            return;
        };
        let room = screen_size - Vec2::splat(2.0 * FIT_MARGIN);
        if room.x <= 0.0 || room.y <= 0.0 {
            // The canvas has no room yet, so fit again in a later frame.
            return;
        }
        let scale = (room / bounds.size()).min_elem().clamp(MIN_ZOOM, 1.0);
        self.scene_rect = Rect::from_center_size(bounds.center(), screen_size / scale);
        self.fit_requested = false;
    }

    /// Advances the dot phases by the wall time since the last live frame.
    fn advance_dots(&mut self, time: f64, live: &LiveView) {
        let step = self
            .last_frame_time
            .map_or(0.0, |last| (time - last).clamp(0.0, MAX_FRAME_STEP_S));
        self.last_frame_time = Some(time);
        for (key, edge) in &live.edges {
            let rate = dot_rate(edge.throughput_per_s);
            if rate <= 0.0 {
                continue;
            }
            let phase = self.dot_phases.entry(key.clone()).or_insert(0.0);
            // Only the fractional part matters, and wrapping keeps the precision of f64.
            *phase = (*phase + f64::from(rate) * step).rem_euclid(1.0e6);
        }
    }
}

/// Events of one frame of the canvas.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphResponse {
    /// The node selected this frame, if the selection changed to a node.
    pub selected: Option<String>,
}

/// Draws the scenario's topology graph with the live figures of a run, if any.
///
/// Clicking a node selects it, clicking the background clears the selection, and
/// double-clicking the background zooms to fit. Hovering a node or an edge shows its
/// figures.
pub fn graph_ui(
    ui: &mut Ui,
    view: &mut GraphView,
    scenario: &Scenario,
    live: Option<&LiveView>,
) -> GraphResponse {
    view.refresh_topology(scenario);
    if let Some(name) = &view.selected
        && view.topology.node(name).is_none()
    {
        view.selected = None;
    }

    legend_ui(ui, view, live.is_some());
    let canvas = ui.available_rect_before_wrap();
    let palette = Palette::new(ui.visuals());
    ui.painter()
        .rect_filled(canvas, CornerRadius::ZERO, palette.canvas);

    if view.topology.node_count() == 0 {
        ui.painter().text(
            canvas.center(),
            Align2::CENTER_CENTER,
            "No clients, services or queues yet",
            FontId::proportional(14.0),
            palette.weak_text,
        );
        ui.allocate_rect(canvas, Sense::hover());
        return GraphResponse::default();
    }
    if view.fit_requested {
        view.fit(canvas.size());
    }

    let animate = view.show_dots && live.is_some();
    match live {
        Some(live) if animate => view.advance_dots(ui.input(|i| i.time), live),
        _ => view.last_frame_time = None,
    }

    let edges = edge_shapes(&view.topology);
    let selected = view.selected.as_deref();
    let mut clicked_node = None;
    let mut hovered_edge = None;
    let scene = Scene::new().zoom_range(MIN_ZOOM..=MAX_ZOOM);
    let scene_response = scene.show(ui, &mut view.scene_rect, |ui| {
        let to_screen = ui.ctx().layer_transform_to_global(ui.layer_id());
        view.canvas_to_screen = to_screen;
        hovered_edge = hovered_edge_index(ui, to_screen, &view.topology, &edges);

        let painter = ui.painter().clone();
        for (index, edge) in edges.iter().enumerate() {
            let hovered = hovered_edge == Some(index);
            edge_ui(&painter, &palette, edge, live, selected, hovered);
        }
        if animate {
            for edge in &edges {
                dots_ui(&painter, &palette, edge, live, &view.dot_phases);
            }
        }
        for node in view.topology.nodes() {
            let node_live = live.and_then(|live| live.nodes.get(&node.name));
            let response = node_ui(ui, &palette, node, node_live, selected);
            if response.clicked() {
                clicked_node = Some(node.name.clone());
            }
        }
        for edge in &edges {
            edge_badge_ui(&painter, &palette, edge, live);
        }
    });

    if let Some(edge) = hovered_edge.and_then(|index| edges.get(index)) {
        let response = scene_response.response.clone();
        response.on_hover_ui_at_pointer(|ui| edge_tooltip_ui(ui, edge, edge_live(edge, live)));
    }
    let before = view.selected.clone();
    if let Some(name) = clicked_node {
        view.selected = Some(name);
    } else if scene_response.response.double_clicked() {
        // A field, not `zoom_to_fit`, because `edges` still borrows the topology.
        view.fit_requested = true;
    } else if scene_response.response.clicked() {
        view.selected = None;
    }

    if animate && edges.iter().any(|edge| edge_throughput(edge, live) > 0.0) {
        ui.ctx().request_repaint();
    }

    GraphResponse {
        selected: if view.selected == before {
            None
        } else {
            view.selected.clone()
        },
    }
}

/// Draws the row under the canvas: the legend, the dots switch and the fit button.
fn legend_ui(ui: &mut Ui, view: &mut GraphView, live: bool) {
    let palette = Palette::new(ui.visuals());
    egui::Panel::bottom("graph-legend")
        .show_separator_line(false)
        .frame(egui::Frame::NONE.inner_margin(egui::Margin::symmetric(6, 4)))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .button("Fit")
                    .on_hover_text(
                        "Zoom so that every node is visible (or double-click the background)",
                    )
                    .clicked()
                {
                    view.zoom_to_fit();
                }
                ui.checkbox(&mut view.show_dots, "Dots").on_hover_text(
                    "Move dots along the edges while a run is live, one per 20 messages",
                );
                ui.separator();
                legend_line_ui(ui, palette.call, false, "call");
                legend_line_ui(ui, palette.message, true, "publish, consume");
                legend_line_ui(ui, palette.dead_letter, true, "dead letter");
                if live {
                    ui.separator();
                    utilization_scale_ui(ui, &palette);
                }
            });
        });
}

fn legend_line_ui(ui: &mut Ui, color: Color32, dashed: bool, label: &str) {
    let (rect, _) = ui.allocate_exact_size(vec2(28.0, 12.0), Sense::hover());
    let points = [rect.left_center(), rect.right_center()];
    let stroke = Stroke::new(1.5, color);
    if dashed {
        ui.painter()
            .extend(Shape::dashed_line(&points, stroke, 5.0, 3.0));
    } else {
        ui.painter().line_segment(points, stroke);
    }
    ui.label(label);
}

fn utilization_scale_ui(ui: &mut Ui, palette: &Palette) {
    ui.label("utilization 0");
    let (rect, _) = ui.allocate_exact_size(vec2(80.0, 10.0), Sense::hover());
    let steps = 20;
    let width = rect.width() / steps as f32;
    for step in 0..steps {
        let left = rect.left() + step as f32 * width;
        let cell = Rect::from_min_max(pos2(left, rect.top()), pos2(left + width, rect.bottom()));
        let level = (step as f32 + 0.5) / steps as f32;
        ui.painter()
            .rect_filled(cell, CornerRadius::ZERO, palette.heat(level));
    }
    ui.painter().rect_stroke(
        rect,
        CornerRadius::ZERO,
        Stroke::new(1.0, palette.node_stroke),
        StrokeKind::Outside,
    );
    ui.label("100 %");
}
