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
use std::sync::Arc;

use egui::emath::TSTransform;
use egui::text::{LayoutJob, TextWrapping};
use egui::{
    Align2, Color32, CornerRadius, FontId, Galley, Painter, Pos2, Rect, Response, Scene, Sense,
    Shape, Stroke, StrokeKind, Ui, Vec2, pos2, vec2,
};

use super::live::{EdgeLive, LiveView, NodeLive};
use super::topology::{EdgeKind, Node, NodeKind, Topology};
use crate::scenario::Scenario;

/// Smallest zoom factor, in screen points per canvas unit, small enough to fit the largest
/// layout.
const MIN_ZOOM: f32 = 1.0e-4;

/// Largest zoom factor. Text turns blurry above 1, so zoom to fit stops at 1.
const MAX_ZOOM: f32 = 2.0;

/// Space kept free around the nodes by zoom to fit, in screen points.
const FIT_MARGIN: f32 = 24.0;

/// Error rate above which a node or edge gets a badge, as a fraction.
const ERROR_BADGE_THRESHOLD: f32 = 0.001;

/// Dots shown per message, so one dot stands for 20 messages.
const DOTS_PER_MESSAGE: f32 = 0.05;

/// Largest dot rate of one edge, in dots per second of wall time. Edges with more than
/// `MAX_DOT_RATE / DOTS_PER_MESSAGE` messages per second all show this rate.
const MAX_DOT_RATE: f32 = 20.0;

/// Speed of a dot along its edge, in canvas units per second of wall time.
const DOT_SPEED: f32 = 140.0;

/// Maximum frame step that advances the dots, in seconds of wall time, so that a stalled
/// frame does not make them jump.
const MAX_FRAME_STEP_S: f64 = 0.1;

/// Maximum number of dots drawn on one edge.
const MAX_DOTS_PER_EDGE: usize = 64;

/// Points sampled along each edge curve.
const CURVE_SAMPLES: usize = 24;

/// Largest distance from the pointer to an edge that counts as hovering it, in screen
/// points.
const EDGE_HOVER_DISTANCE: f32 = 6.0;

/// Distance between edges that join the same two nodes, in canvas units.
const PARALLEL_EDGE_GAP: f32 = 10.0;

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

/// Colours of the canvas, chosen for the current theme.
struct Palette {
    canvas: Color32,
    node_fill: Color32,
    node_stroke: Color32,
    text: Color32,
    /// Text of lesser rank on a node: the strong text colour, partly transparent, so
    /// that it stays readable on every utilization fill.
    secondary_text: Color32,
    weak_text: Color32,
    selection: Color32,
    call: Color32,
    message: Color32,
    dead_letter: Color32,
    dot: Color32,
    badge_fill: Color32,
    badge_text: Color32,
    /// Utilization scale from idle to saturated: green, yellow, orange, red.
    heat: [Color32; 4],
}

impl Palette {
    fn new(visuals: &egui::Visuals) -> Self {
        // The scales are dark in the dark theme and pale in the light one, so that the
        // theme's text colour stays readable on every node.
        let (message, heat) = if visuals.dark_mode {
            (
                Color32::from_rgb(96, 156, 230),
                [
                    Color32::from_rgb(34, 74, 48),
                    Color32::from_rgb(100, 88, 26),
                    Color32::from_rgb(122, 66, 24),
                    Color32::from_rgb(136, 36, 36),
                ],
            )
        } else {
            (
                Color32::from_rgb(38, 98, 186),
                [
                    Color32::from_rgb(206, 236, 212),
                    Color32::from_rgb(248, 232, 164),
                    Color32::from_rgb(248, 204, 150),
                    Color32::from_rgb(242, 168, 168),
                ],
            )
        };
        Self {
            canvas: visuals.extreme_bg_color,
            node_fill: visuals.window_fill,
            node_stroke: visuals.widgets.noninteractive.bg_stroke.color,
            text: visuals.strong_text_color(),
            secondary_text: visuals.strong_text_color().gamma_multiply(0.7),
            weak_text: visuals.weak_text_color(),
            selection: visuals.selection.stroke.color,
            call: visuals.widgets.noninteractive.fg_stroke.color,
            message,
            dead_letter: visuals.warn_fg_color,
            dot: visuals.strong_text_color(),
            badge_fill: Color32::from_rgb(200, 44, 44),
            badge_text: Color32::WHITE,
            heat,
        }
    }

    /// Returns the utilization colour of `level`, from 0 (idle) to 1 (saturated).
    fn heat(&self, level: f32) -> Color32 {
        let level = if level.is_finite() {
            level.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let stops = [0.0, 0.5, 0.8, 1.0];
        let upper = stops
            .iter()
            .position(|&stop| level <= stop)
            .unwrap_or(3)
            .max(1);
        let span = stops[upper] - stops[upper - 1];
        let t = (level - stops[upper - 1]) / span;
        self.heat[upper - 1].lerp_to_gamma(self.heat[upper], t)
    }

    /// Returns the colour of a queue bar filled to `fraction` of its capacity: the message colour,
    /// turning to the warning colour from 70 % and to the error colour from 90 %.
    fn depth_color(&self, fraction: f32) -> Color32 {
        if fraction >= 0.9 {
            self.badge_fill
        } else if fraction >= 0.7 {
            self.dead_letter
        } else {
            self.message
        }
    }

    fn edge_color(&self, kind: EdgeKind) -> Color32 {
        match kind {
            EdgeKind::Call => self.call,
            EdgeKind::Publish | EdgeKind::Consume => self.message,
            EdgeKind::DeadLetter => self.dead_letter,
        }
    }
}

/// One edge with its curve on the canvas.
struct EdgeShape<'a> {
    from: &'a Node,
    to: &'a Node,
    kind: EdgeKind,
    /// The curve from the source's border to the target's border, in canvas units.
    points: Vec<Pos2>,
    /// Length of the curve up to each point, in canvas units.
    lengths: Vec<f32>,
}

impl EdgeShape<'_> {
    fn length(&self) -> f32 {
        self.lengths.last().copied().unwrap_or(0.0)
    }

    /// Returns the point at `fraction` of the curve's length.
    fn point_at(&self, fraction: f32) -> Pos2 {
        let target = fraction.clamp(0.0, 1.0) * self.length();
        let after = self.lengths.partition_point(|&length| length < target);
        if after == 0 {
            return self.points[0];
        }
        let Some(&end) = self.points.get(after) else {
            return self.points[self.points.len() - 1];
        };
        let start = self.points[after - 1];
        let segment = self.lengths[after] - self.lengths[after - 1];
        if segment <= 0.0 {
            return end;
        }
        start.lerp(end, (target - self.lengths[after - 1]) / segment)
    }

    /// Returns the distance from `position` to the nearest point of the curve.
    fn distance_to(&self, position: Pos2) -> f32 {
        self.points
            .windows(2)
            .map(|segment| {
                let along = segment[1] - segment[0];
                let length_squared = along.length_sq();
                let t = if length_squared > 0.0 {
                    ((position - segment[0]).dot(along) / length_squared).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                position.distance(segment[0] + along * t)
            })
            .fold(f32::INFINITY, f32::min)
    }

    fn involves(&self, name: Option<&str>) -> bool {
        name.is_some_and(|name| self.from.name == name || self.to.name == name)
    }
}

/// Returns the curve of every edge that can be drawn.
///
/// Edges between the same two nodes, in either direction, are spread apart. Edges
/// between two nodes on the same spot have no curve and are left out.
fn edge_shapes(topology: &Topology) -> Vec<EdgeShape<'_>> {
    let pair = |a: &str, b: &str| -> (String, String) {
        if a <= b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        }
    };
    let mut per_pair: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (from, to, _) in topology.edges() {
        *per_pair.entry(pair(&from.name, &to.name)).or_default() += 1;
    }
    let mut drawn: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut shapes = Vec::new();
    for (from, to, kind) in topology.edges() {
        let key = pair(&from.name, &to.name);
        let total = per_pair.get(&key).copied().unwrap_or(1);
        let index = drawn.entry(key).or_default();
        let offset = (*index as f32 - (total as f32 - 1.0) / 2.0) * PARALLEL_EDGE_GAP;
        *index += 1;

        let points = if from.name == to.name {
            self_loop_points(from.rect())
        } else {
            edge_points(from.rect(), to.rect(), offset)
        };
        if points.len() < 2 {
            continue;
        }
        let mut lengths = Vec::with_capacity(points.len());
        let mut total_length = 0.0;
        lengths.push(0.0);
        for segment in points.windows(2) {
            total_length += segment[0].distance(segment[1]);
            lengths.push(total_length);
        }
        if total_length <= f32::EPSILON {
            continue;
        }
        shapes.push(EdgeShape {
            from,
            to,
            kind,
            points,
            lengths,
        });
    }
    shapes
}

/// Returns the curve between two node rectangles: from side to side when they are apart
/// horizontally, else from top to bottom, with tangents along that direction.
fn edge_points(from: Rect, to: Rect, offset: f32) -> Vec<Pos2> {
    let delta = to.center() - from.center();
    let (start, end, along) = if delta.x.abs() > f32::midpoint(from.width(), to.width()) {
        let sign = delta.x.signum();
        let start = pos2(
            from.center().x + sign * from.width() / 2.0,
            from.center().y + offset,
        );
        let end = pos2(
            to.center().x - sign * to.width() / 2.0,
            to.center().y + offset,
        );
        (start, end, vec2(end.x - start.x, 0.0))
    } else if delta.y.abs() > f32::midpoint(from.height(), to.height()) {
        let sign = delta.y.signum();
        let start = pos2(
            from.center().x + offset,
            from.center().y + sign * from.height() / 2.0,
        );
        let end = pos2(
            to.center().x + offset,
            to.center().y - sign * to.height() / 2.0,
        );
        (start, end, vec2(0.0, end.y - start.y))
    } else {
        // The rectangles overlap: a straight line between the centers, if they differ.
        return if delta.length() > f32::EPSILON {
            vec![from.center(), to.center()]
        } else {
            Vec::new()
        };
    };
    cubic_points([start, start + along * 0.5, end - along * 0.5, end])
}

/// Returns a loop above the node, for an edge from a node to itself.
fn self_loop_points(rect: Rect) -> Vec<Pos2> {
    let start = rect.center_top() + vec2(18.0, 0.0);
    let end = rect.center_top() - vec2(18.0, 0.0);
    cubic_points([
        start,
        start + vec2(26.0, -46.0),
        end + vec2(-26.0, -46.0),
        end,
    ])
}

fn cubic_points([p0, p1, p2, p3]: [Pos2; 4]) -> Vec<Pos2> {
    (0..=CURVE_SAMPLES)
        .map(|sample| {
            let t = sample as f32 / CURVE_SAMPLES as f32;
            let u = 1.0 - t;
            let weights = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            let v = p0.to_vec2() * weights[0]
                + p1.to_vec2() * weights[1]
                + p2.to_vec2() * weights[2]
                + p3.to_vec2() * weights[3];
            v.to_pos2()
        })
        .collect()
}

fn edge_live<'a>(edge: &EdgeShape<'_>, live: Option<&'a LiveView>) -> Option<&'a EdgeLive> {
    live?
        .edges
        .get(&(edge.from.name.clone(), edge.to.name.clone()))
}

fn edge_throughput(edge: &EdgeShape<'_>, live: Option<&LiveView>) -> f32 {
    edge_live(edge, live).map_or(0.0, |edge| finite_or_zero(edge.throughput_per_s))
}

/// Returns the stroke width of an edge carrying `throughput_per_s`, in canvas units: 1
/// when idle, growing with the logarithm of the throughput to at most 5, which it reaches
/// at about 28 000 messages/s.
fn edge_width(throughput_per_s: f32) -> f32 {
    (1.0 + 0.9 * (1.0 + finite_or_zero(throughput_per_s).max(0.0)).log10()).clamp(1.0, 5.0)
}

/// Returns the dots per second of wall time shown on an edge carrying `throughput_per_s`.
fn dot_rate(throughput_per_s: f32) -> f32 {
    (finite_or_zero(throughput_per_s) * DOTS_PER_MESSAGE).clamp(0.0, MAX_DOT_RATE)
}

fn finite_or_zero(value: f32) -> f32 {
    if value.is_finite() { value } else { 0.0 }
}

fn edge_ui(
    painter: &Painter,
    palette: &Palette,
    edge: &EdgeShape<'_>,
    live: Option<&LiveView>,
    selected: Option<&str>,
    hovered: bool,
) {
    let width = match live {
        Some(_) => edge_width(edge_throughput(edge, live)),
        None => 1.5,
    };
    let mut color = palette.edge_color(edge.kind);
    if hovered {
        color = palette.text;
    } else if edge.involves(selected) {
        color = palette.selection;
    } else if selected.is_some() {
        color = color.gamma_multiply(0.4);
    }
    let stroke = Stroke::new(width, color);

    // The line stops inside the arrowhead, so that a wide line does not show past its tip.
    let arrow_length = 7.0 + 1.5 * width;
    let tip = edge.points[edge.points.len() - 1];
    let base = edge.point_at(1.0 - arrow_length / edge.length());
    let direction = (tip - base).normalized();
    let mut path = edge.points.clone();
    let path_end = tip - direction * arrow_length * 0.6;
    while path.len() > 2 && path[path.len() - 2].distance(tip) < arrow_length * 0.6 {
        path.pop();
    }
    let last = path.len() - 1;
    path[last] = path_end;

    if edge.kind.is_synchronous() {
        painter.line(path, stroke);
    } else {
        painter.extend(Shape::dashed_line(&path, stroke, 7.0, 4.0));
    }
    if direction.is_finite() && direction != Vec2::ZERO {
        let normal = direction.rot90() * (3.5 + width);
        let back = tip - direction * arrow_length;
        painter.add(Shape::convex_polygon(
            vec![tip, back + normal, back - normal],
            color,
            Stroke::NONE,
        ));
    }
}

/// Returns the index in `edges` of the edge nearest to the pointer, if the pointer is on
/// the canvas, over no node, and within a few screen points of that edge.
fn hovered_edge_index(
    ui: &Ui,
    to_screen: Option<TSTransform>,
    topology: &Topology,
    edges: &[EdgeShape<'_>],
) -> Option<usize> {
    let to_screen = to_screen?;
    // The canvas's own response is hovered only where no other layer covers it, and it
    // reports the pointer in canvas units.
    let pointer = ui.response().hover_pos()?;
    if topology.node_at(pointer).is_some() {
        return None;
    }
    let max_distance = EDGE_HOVER_DISTANCE / to_screen.scaling;
    edges
        .iter()
        .enumerate()
        .map(|(index, edge)| (index, edge.distance_to(pointer)))
        .filter(|&(_, distance)| distance <= max_distance)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(index, _)| index)
}

fn edge_tooltip_ui(ui: &mut Ui, edge: &EdgeShape<'_>, live: Option<&EdgeLive>) {
    // The default fonts have no arrow glyph.
    ui.strong(format!("{} -> {}", edge.from.name, edge.to.name));
    egui::Grid::new("topology-edge-tooltip")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("kind");
            ui.label(edge.kind.label());
            ui.end_row();
            let Some(live) = live else {
                return;
            };
            ui.label("throughput");
            ui.label(format!("{:.1}/s", finite_or_zero(live.throughput_per_s)));
            ui.end_row();
            ui.label("error rate");
            ui.label(format_percent(live.error_rate));
            ui.end_row();
        });
}

/// Draws the dots moving along an edge.
///
/// The phase counts the dots emitted so far. Dots travel at a constant speed, so a dot
/// emitted `k` dots ago has covered `k / (rate × travel time)` of the edge.
fn dots_ui(
    painter: &Painter,
    palette: &Palette,
    edge: &EdgeShape<'_>,
    live: Option<&LiveView>,
    phases: &BTreeMap<(String, String), f64>,
) {
    let rate = dot_rate(edge_throughput(edge, live));
    let Some(&phase) = phases.get(&(edge.from.name.clone(), edge.to.name.clone())) else {
        return;
    };
    let travel_s = edge.length() / DOT_SPEED;
    let gap = 1.0 / (rate * travel_s);
    if rate <= 0.0 || !gap.is_finite() {
        return;
    }
    let color = palette.dot.gamma_multiply(0.85);
    let mut fraction = phase.fract() as f32 * gap;
    let mut drawn = 0;
    while fraction < 1.0 && drawn < MAX_DOTS_PER_EDGE {
        painter.circle_filled(edge.point_at(fraction), 2.6, color);
        fraction += gap;
        drawn += 1;
    }
}

/// Draws the error badge of an edge whose error rate is above the threshold.
fn edge_badge_ui(
    painter: &Painter,
    palette: &Palette,
    edge: &EdgeShape<'_>,
    live: Option<&LiveView>,
) {
    let Some(edge_live) = edge_live(edge, live) else {
        return;
    };
    if finite_or_zero(edge_live.error_rate) > ERROR_BADGE_THRESHOLD {
        badge_ui(
            painter,
            palette,
            edge.point_at(0.5),
            &format_percent(edge_live.error_rate),
        );
    }
}

/// Draws a red badge with white text centered on `center`.
fn badge_ui(painter: &Painter, palette: &Palette, center: Pos2, text: &str) {
    let galley = painter.layout_no_wrap(
        text.to_owned(),
        FontId::proportional(11.0),
        palette.badge_text,
    );
    let rect = Rect::from_center_size(center, galley.size() + vec2(10.0, 4.0));
    painter.rect_filled(rect, CornerRadius::same(8), palette.badge_fill);
    painter.galley(
        rect.center() - galley.size() / 2.0,
        galley,
        palette.badge_text,
    );
}

/// Draws one node and returns its response, with a tooltip of its figures on hover.
fn node_ui(
    ui: &Ui,
    palette: &Palette,
    node: &Node,
    live: Option<&NodeLive>,
    selected: Option<&str>,
) -> Response {
    let rect = node.rect();
    let id = ui.scope_id().with(("topology-node", node.name.as_str()));
    let response = ui.interact(rect, id, Sense::click());
    let is_selected = selected == Some(node.name.as_str());
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, true, is_selected, &node.name)
    });

    let painter = ui.painter();
    let corner_radius = match node.kind {
        NodeKind::Client => CornerRadius::same(32),
        NodeKind::Service { .. } => CornerRadius::same(8),
        NodeKind::Queue { .. } => CornerRadius::same(3),
    };
    let fill = match (node.kind, live) {
        (NodeKind::Client, _) | (_, None) => palette.node_fill,
        (_, Some(live)) => palette.heat(live.utilization),
    };
    let stroke = if is_selected {
        Stroke::new(3.0, palette.selection)
    } else if response.hovered() {
        Stroke::new(1.5, palette.text)
    } else {
        Stroke::new(1.0, palette.node_stroke)
    };
    painter.rect(rect, corner_radius, fill, stroke, StrokeKind::Outside);

    // Three rows: the kind with one figure, the name, then the details of the kind.
    let inset = if node.kind == NodeKind::Client {
        22.0
    } else {
        10.0
    };
    let caption_y = rect.top() + 12.0;
    let caption_font = FontId::proportional(11.0);
    painter.text(
        pos2(rect.left() + inset, caption_y),
        Align2::LEFT_CENTER,
        node.kind.label(),
        caption_font.clone(),
        palette.secondary_text,
    );
    if let Some(figure) = caption_figure(node.kind, live) {
        painter.text(
            pos2(rect.right() - inset, caption_y),
            Align2::RIGHT_CENTER,
            figure,
            caption_font,
            palette.text,
        );
    }

    let name = single_line(
        painter,
        &node.name,
        FontId::proportional(14.0),
        palette.text,
        rect.width() - 2.0 * inset,
    );
    let name_center = pos2(rect.center().x, rect.top() + 31.0);
    painter.galley(name_center - galley_half(&name), name, palette.text);

    let detail_y = rect.bottom() - 13.0;
    match node.kind {
        NodeKind::Client => {}
        NodeKind::Service { replicas, workers } => {
            painter.text(
                pos2(rect.center().x, detail_y),
                Align2::CENTER_CENTER,
                format!("{replicas} × {workers}"),
                FontId::proportional(12.0),
                palette.secondary_text,
            );
        }
        NodeKind::Queue { capacity } => {
            let capacity = live.and_then(|live| live.queue_capacity).or(capacity);
            let depth = live.and_then(|live| live.queue_depth);
            let track = Rect::from_center_size(
                pos2(rect.center().x, detail_y),
                vec2(rect.width() - 2.0 * inset, 7.0),
            );
            queue_bar_ui(painter, palette, track, depth, capacity);
        }
    }

    if let Some(live) = live
        && finite_or_zero(live.error_rate) > ERROR_BADGE_THRESHOLD
    {
        let center = rect.right_top() + vec2(-10.0, -4.0);
        badge_ui(painter, palette, center, &format_percent(live.error_rate));
    }

    response.on_hover_ui(|ui| node_tooltip_ui(ui, node, live))
}

/// Returns the figure in the top right corner of a live node.
fn caption_figure(kind: NodeKind, live: Option<&NodeLive>) -> Option<String> {
    let live = live?;
    Some(match kind {
        NodeKind::Client => format!("{}/s", format_count(live.throughput_per_s)),
        NodeKind::Service { .. } => format!("{:.0} %", 100.0 * finite_or_zero(live.utilization)),
        NodeKind::Queue { capacity } => {
            let depth = live.queue_depth?;
            match live.queue_capacity.or(capacity) {
                Some(capacity) => format!(
                    "{} / {}",
                    format_count(depth as f32),
                    format_count(capacity as f32)
                ),
                None => format_count(depth as f32),
            }
        }
    })
}

/// Draws the depth of a queue as a bar filling `track` in proportion to its capacity.
///
/// Without a live depth it shows the capacity as text, and an unbounded queue shows no
/// bar.
fn queue_bar_ui(
    painter: &Painter,
    palette: &Palette,
    track: Rect,
    depth: Option<u64>,
    capacity: Option<u64>,
) {
    let Some(capacity) = capacity else {
        painter.text(
            track.center(),
            Align2::CENTER_CENTER,
            "unbounded",
            FontId::proportional(12.0),
            palette.secondary_text,
        );
        return;
    };
    let Some(depth) = depth else {
        painter.text(
            track.center(),
            Align2::CENTER_CENTER,
            format!("capacity {}", format_count(capacity as f32)),
            FontId::proportional(12.0),
            palette.secondary_text,
        );
        return;
    };
    painter.rect(
        track,
        CornerRadius::same(3),
        palette.canvas,
        Stroke::new(1.0, palette.node_stroke),
        StrokeKind::Outside,
    );
    let fill_fraction = if capacity == 0 {
        1.0
    } else {
        (depth as f32 / capacity as f32).clamp(0.0, 1.0)
    };
    if depth > 0 {
        // A queue with a few messages still shows a sliver.
        let width = (track.width() * fill_fraction).max(2.0);
        let bar = Rect::from_min_size(track.min, vec2(width, track.height()));
        painter.rect_filled(
            bar,
            CornerRadius::same(3),
            palette.depth_color(fill_fraction),
        );
    }
}

fn node_tooltip_ui(ui: &mut Ui, node: &Node, live: Option<&NodeLive>) {
    ui.strong(&node.name);
    egui::Grid::new("topology-node-tooltip")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("kind");
            ui.label(node.kind.label());
            ui.end_row();
            match node.kind {
                NodeKind::Client => {}
                NodeKind::Service { replicas, workers } => {
                    ui.label("replicas");
                    ui.label(replicas.to_string());
                    ui.end_row();
                    ui.label("workers per replica");
                    ui.label(workers.to_string());
                    ui.end_row();
                }
                NodeKind::Queue { capacity } => {
                    ui.label("capacity");
                    ui.label(capacity.map_or_else(|| "unbounded".to_owned(), |c| c.to_string()));
                    ui.end_row();
                }
            }
            let Some(live) = live else {
                return;
            };
            if !matches!(node.kind, NodeKind::Client) {
                ui.label("utilization");
                ui.label(format!("{:.1} %", 100.0 * finite_or_zero(live.utilization)));
                ui.end_row();
            }
            ui.label("throughput");
            ui.label(format!("{:.1}/s", finite_or_zero(live.throughput_per_s)));
            ui.end_row();
            ui.label("error rate");
            ui.label(format_percent(live.error_rate));
            ui.end_row();
            if let Some(depth) = live.queue_depth {
                ui.label("queue depth");
                ui.label(depth.to_string());
                ui.end_row();
            }
        });
}

/// Lays out `text` on one line, cut with an ellipsis where it is wider than `max_width`.
fn single_line(
    painter: &Painter,
    text: &str,
    font: FontId,
    color: Color32,
    max_width: f32,
) -> Arc<Galley> {
    let mut job = LayoutJob::simple_singleline(text.to_owned(), font, color);
    job.wrap = TextWrapping::truncate_at_width(max_width);
    painter.layout_job(job)
}

fn galley_half(galley: &Galley) -> Vec2 {
    galley.size() / 2.0
}

/// Formats a count or rate with at most three significant digits: 7.5, 150, 1.2k, 3M.
fn format_count(value: f32) -> String {
    let value = finite_or_zero(value).max(0.0);
    let (scaled, suffix) = if value >= 1.0e6 {
        (value / 1.0e6, "M")
    } else if value >= 1.0e3 {
        (value / 1.0e3, "k")
    } else {
        (value, "")
    };
    let digits = usize::from(scaled < 10.0 && (scaled.fract() != 0.0 || !suffix.is_empty()));
    let text = format!("{scaled:.digits$}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{suffix}")
}

/// Formats a fraction as a percentage, with two decimals below 1 %.
fn format_percent(fraction: f32) -> String {
    let percent = 100.0 * finite_or_zero(fraction);
    if percent < 1.0 {
        format!("{percent:.2} %")
    } else {
        format!("{percent:.1} %")
    }
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;

    use super::*;
    use crate::scenario::load_str;
    use crate::ui::live::EdgeLive;

    fn checkout_async() -> Scenario {
        load_str(include_str!("../../scenarios/checkout-async.yaml"), None)
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
            };
            live.nodes.insert(node.name.clone(), figures);
        }
        for (from, to, _) in topology.edges() {
            let figures = EdgeLive {
                throughput_per_s: 150.0,
                error_rate: 0.0,
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
    fn live_run_requests_repaint_with_dots() {
        let scenario = checkout_async();
        let live = checkout_live(&scenario);
        let mut harness = harness(scenario, Some(live));
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
}
