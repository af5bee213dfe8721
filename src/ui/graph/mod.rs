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
    Align2, Color32, CornerRadius, DragPanButtons, FontId, Pos2, Rect, Response, Scene, Sense,
    Shape, Stroke, StrokeKind, Ui, Vec2, pos2, vec2,
};

mod edges;
mod edit;
mod fault_menu;
mod nodes;
mod palette;
#[cfg(test)]
mod tests;

use super::live::LiveView;
use super::topology::{EdgeKind, NODE_SIZE, Node, Topology};
use crate::scenario::Scenario;
use edges::{
    dot_rate, dots_ui, edge_badge_ui, edge_live, edge_shapes, edge_throughput, edge_tooltip_ui,
    edge_ui, hovered_edge_index,
};
use nodes::node_ui;
use palette::Palette;

use edit::{
    Gesture, PORT_RADIUS, Renaming, connect_preview_ui, nodes_in, port_position, selection_box_ui,
};
pub use edit::{GraphEdit, NewNode, edge_kind_between};

/// Smallest zoom factor, in screen points per canvas unit, small enough to fit the largest
/// layout.
const MIN_ZOOM: f32 = 1.0e-4;

/// Largest zoom factor. Text turns blurry above 1, so zoom to fit stops at 1.
const MAX_ZOOM: f32 = 2.0;

/// Smallest width and height of the canvas that the graph is drawn into, in screen
/// points.
const MIN_CANVAS: f32 = 16.0;

/// Space kept free around the nodes by zoom to fit, in screen points.
const FIT_MARGIN: f32 = 24.0;

/// Error rate above which a node or edge gets a badge, as a fraction.
pub(super) const ERROR_BADGE_THRESHOLD: f32 = 0.001;

/// Maximum frame step that advances the dots, in seconds of wall time, so that a stalled
/// frame does not make them jump.
const MAX_FRAME_STEP_S: f64 = 0.1;

/// View state of the graph canvas: pan and zoom, selection, gestures and animation.
///
/// The display graph cached here is derived from the scenario passed to [`graph_ui`] and
/// rebuilt whenever that scenario changes.
#[derive(Debug)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent switches of the view, not states of one machine"
)]
pub struct GraphView {
    /// Canvas area shown, in canvas units, as [`Scene`] stores it.
    scene_rect: Rect,
    fit_requested: bool,
    /// Whether the view is as zoom to fit left it, with no pan or zoom by the user
    /// since. Such a view fits again when the window changes size.
    fitted: bool,
    /// Size of the window in the last frame, in screen points.
    last_window: Option<Vec2>,
    /// Whether to zoom to fit in every frame until the canvas keeps its size, after the
    /// window changed size.
    fit_until_settled: bool,
    /// Whether to zoom to fit once the scenario has changed, as after an automatic layout.
    fit_after_change: bool,
    /// Selected nodes in the order they were selected; the last one is the primary
    /// selection that the node panel shows.
    selection: Vec<String>,
    /// Whether the canvas offers editing: dragging nodes, connecting, renaming, menus.
    pub editable: bool,
    /// Nodes drawn with an error marker, such as those with validation errors.
    pub marked: std::collections::BTreeSet<String>,
    gesture: Gesture,
    renaming: Option<Renaming>,
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
    /// Size of the canvas on screen in the last frame, in screen points.
    last_canvas: Option<Vec2>,
    /// The canvas's area on screen in the last frame, in screen points.
    canvas_screen_rect: Option<Rect>,
    /// Whether a run exists, so that node menus offer faults.
    pub run_exists: bool,
    /// Whether the run is playing. Dots move only then, so that a paused or finished
    /// run draws them still and asks for no frames.
    pub playing: bool,
    /// Duration of a fault started from a node's menu, in seconds.
    pub fault_seconds: f64,
}

impl Default for GraphView {
    fn default() -> Self {
        Self {
            scene_rect: Rect::ZERO,
            fit_requested: true,
            fitted: false,
            last_window: None,
            fit_until_settled: false,
            fit_after_change: false,
            selection: Vec::new(),
            editable: false,
            marked: std::collections::BTreeSet::new(),
            gesture: Gesture::Idle,
            renaming: None,
            show_dots: true,
            dot_phases: BTreeMap::new(),
            last_frame_time: None,
            topology: Topology::default(),
            topology_source: None,
            canvas_to_screen: None,
            last_canvas: None,
            canvas_screen_rect: None,
            run_exists: false,
            playing: false,
            fault_seconds: fault_menu::DEFAULT_FAULT_SECONDS,
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

    /// Returns the name of the primary selected node: the one selected last.
    #[must_use]
    pub fn selection(&self) -> Option<&str> {
        self.selection.last().map(String::as_str)
    }

    /// Returns every selected node, the primary one last.
    #[must_use]
    pub fn selected_nodes(&self) -> &[String] {
        &self.selection
    }

    /// Selects the node called `name` alone, or clears the selection with `None`.
    ///
    /// A name that is not in the scenario is dropped in the next frame.
    pub fn select(&mut self, name: Option<String>) {
        self.selection = name.into_iter().collect();
    }

    /// Selects `names`, the last one as the primary selection.
    pub fn select_all_of(&mut self, names: Vec<String>) {
        self.selection = names;
    }

    /// Starts renaming the node called `name` in place.
    pub fn start_rename(&mut self, name: &str) {
        self.renaming = Some(Renaming {
            name: name.to_owned(),
            text: name.to_owned(),
            focused: false,
        });
    }

    /// Returns whether a node is being renamed in place.
    #[must_use]
    pub fn is_renaming(&self) -> bool {
        self.renaming.is_some()
    }

    /// Returns the node's rectangle on screen in the last frame, in screen points.
    #[must_use]
    pub fn node_screen_rect(&self, name: &str) -> Option<Rect> {
        let transform = self.canvas_to_screen?;
        let node = self.topology.node(name)?;
        Some(transform * node.rect())
    }

    /// Returns the center of the node called `name` as drawn in the last frame, in
    /// canvas units.
    #[must_use]
    pub fn node_position(&self, name: &str) -> Option<[f64; 2]> {
        let node = self.topology.node(name)?;
        Some([f64::from(node.position.x), f64::from(node.position.y)])
    }

    /// Returns the canvas point under the screen point `screen`, in canvas units, if
    /// the canvas covered that point in the last frame.
    #[must_use]
    pub fn canvas_point(&self, screen: Pos2) -> Option<Pos2> {
        let rect = self.canvas_screen_rect?;
        let transform = self.canvas_to_screen?;
        rect.contains(screen).then(|| transform.inverse() * screen)
    }

    /// Returns whether a node drawn in the last frame has its center within `distance`
    /// canvas units of `point` along both axes.
    #[must_use]
    pub fn is_occupied(&self, point: Pos2, distance: f32) -> bool {
        self.topology.nodes().any(|node| {
            (node.position.x - point.x).abs() < distance
                && (node.position.y - point.y).abs() < distance
        })
    }

    /// Returns the canvas point at the center of the area shown, in canvas units.
    #[must_use]
    pub fn view_center(&self) -> Pos2 {
        if self.scene_rect.is_positive() {
            self.scene_rect.center()
        } else {
            self.topology.bounds().map_or(Pos2::ZERO, |b| b.center())
        }
    }

    /// Returns the point nearest to `near`, on a grid of node-sized cells, where a new
    /// node overlaps no other node.
    #[must_use]
    pub fn free_spot(&self, near: Pos2) -> Pos2 {
        let cell = NODE_SIZE + vec2(30.0, 30.0);
        let is_free = |center: Pos2| {
            let area = Rect::from_center_size(center, cell);
            !self
                .topology
                .nodes()
                .any(|node| node.rect().intersects(area))
        };
        // Rings of cells around `near`, nearest first; each ring has room for one
        // more node than the graph has, so the search ends.
        let rings = i32::try_from(self.topology.node_count()).unwrap_or(i32::MAX);
        for ring in 0..=rings {
            for dy in -ring..=ring {
                for dx in -ring..=ring {
                    if dx.abs() != ring && dy.abs() != ring {
                        continue;
                    }
                    let candidate = near + vec2(dx as f32 * cell.x, dy as f32 * cell.y);
                    if is_free(candidate) {
                        return candidate;
                    }
                }
            }
        }
        near
    }

    /// Rebuilds the display graph if `scenario` differs from the one it was built from.
    fn refresh_topology(&mut self, scenario: &Scenario) {
        if self.topology_source.as_ref() == Some(scenario) {
            return;
        }
        self.topology = Topology::from_scenario(scenario);
        self.topology_source = Some(scenario.clone());
        if std::mem::take(&mut self.fit_after_change) {
            self.fit_requested = true;
        }
        let topology = &self.topology;
        self.dot_phases
            .retain(|(from, to), _| topology.node(from).is_some() && topology.node(to).is_some());
        self.selection.retain(|name| topology.node(name).is_some());
        if let Some(renaming) = &self.renaming
            && topology.node(&renaming.name).is_none()
        {
            self.renaming = None;
        }
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
        self.fitted = true;
    }

    /// Keeps the zoom and the top left corner of the view when the canvas changes size,
    /// as when a side panel opens, so that nodes stay where the user clicked them.
    fn keep_scale(&mut self, screen_size: Vec2) {
        let Some(old) = self.last_canvas else {
            return;
        };
        let shown = self.scene_rect.size();
        if old == screen_size || shown.x <= 0.0 || shown.y <= 0.0 || old.x <= 0.0 || old.y <= 0.0 {
            return;
        }
        let scale = (old / shown).min_elem();
        if scale.is_finite() && scale > 0.0 {
            self.scene_rect = Rect::from_min_size(self.scene_rect.min, screen_size / scale);
        }
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

    /// Changes the selection for a click on `name`: shift or ctrl adds or removes it,
    /// a plain click selects it alone.
    fn click_node(&mut self, name: &str, toggle: bool) {
        if toggle {
            if let Some(index) = self.selection.iter().position(|n| n == name) {
                self.selection.remove(index);
            } else {
                self.selection.push(name.to_owned());
            }
        } else {
            self.select(Some(name.to_owned()));
        }
    }
}

/// Events of one frame of the canvas.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphResponse {
    /// The node selected this frame, if the primary selection changed to a node.
    pub selected: Option<String>,
    /// Edits the user made, in the order made.
    pub edits: Vec<GraphEdit>,
    /// A connection that the user tried and that cannot be made, with the reason.
    pub refused: Option<String>,
    /// Faults the user started by hand from a node's menu, with their durations.
    pub faults: Vec<(crate::scenario::FaultKind, crate::scenario::Duration)>,
}

/// Per-frame input of the canvas that does not depend on the scene.
#[expect(
    clippy::struct_excessive_bools,
    reason = "one flag per input state of the frame"
)]
struct Pointer {
    /// Pointer position in canvas units, if the pointer is over the window.
    canvas: Option<Pos2>,
    /// Whether shift or the command key is held.
    toggle: bool,
    pressed: bool,
    down: bool,
    released: bool,
    escape: bool,
}

/// Draws the scenario's topology graph with the live figures of a run, if any.
///
/// Clicking a node selects it (shift- or ctrl-click adds it to the selection), clicking
/// the background clears the selection, shift-dragging the background selects the
/// nodes in a box, and double-clicking the background zooms to fit. When the view is
/// editable, dragging a node moves the selection, dragging a node's handle onto another
/// node connects them, double-clicking a node renames it, and a right click opens a
/// node's or an edge's menu. Hovering a node or an edge shows its figures.
pub fn graph_ui(
    ui: &mut Ui,
    view: &mut GraphView,
    scenario: &Scenario,
    live: Option<&LiveView>,
) -> GraphResponse {
    view.refresh_topology(scenario);
    let mut response = GraphResponse::default();
    let before = view.selection().map(str::to_owned);

    if view.editable {
        palette_ui(ui, view, scenario, &mut response.edits);
    }
    legend_ui(ui, view, live.is_some());
    let canvas = ui.available_rect_before_wrap();
    view.canvas_screen_rect = Some(canvas);
    let palette = Palette::new(ui.visuals());
    ui.painter()
        .rect_filled(canvas, CornerRadius::ZERO, palette.canvas);

    if view.topology.node_count() == 0 {
        let hint = if view.editable {
            "No clients, services or queues yet: add one with the buttons above"
        } else {
            "No clients, services or queues yet"
        };
        ui.painter().text(
            canvas.center(),
            Align2::CENTER_CENTER,
            hint,
            FontId::proportional(14.0),
            palette.weak_text,
        );
        ui.allocate_rect(canvas, Sense::hover());
        return response;
    }
    if canvas.width() < MIN_CANVAS || canvas.height() < MIN_CANVAS {
        // A window made tiny for a moment: drawing into it would change the zoom that
        // the canvas keeps when it grows back, so it is left empty, and the window size
        // of the last drawn frame stays.
        return response;
    }
    // A new window size fits the graph again unless the user has moved the view; a
    // panel that opens keeps the scale, so that nodes stay under the pointer. The
    // panels may take a frame or two to settle at their sizes in a new window, so the
    // graph fits until the canvas keeps its size.
    let window = ui.ctx().content_rect().size();
    if view.last_window.is_some_and(|last| last != window) && view.fitted {
        view.fit_until_settled = true;
    }
    view.last_window = Some(window);
    if view.fit_until_settled {
        view.fit(canvas.size());
        if view.last_canvas == Some(canvas.size()) {
            view.fit_until_settled = false;
        }
    } else if view.fit_requested {
        view.fit(canvas.size());
    } else {
        view.keep_scale(canvas.size());
    }
    view.last_canvas = Some(canvas.size());

    let animate = view.show_dots && live.is_some();
    match live {
        Some(live) if animate && view.playing => {
            view.advance_dots(ui.input(|i| i.time), live);
        }
        _ => view.last_frame_time = None,
    }

    // Nodes being dragged are drawn at their new place before the drop commits it.
    let offsets = view.gesture.offsets();
    let base = std::mem::take(&mut view.topology);
    let moved;
    let topology = if offsets.is_empty() {
        &base
    } else {
        let mut copy = base.clone();
        copy.translate(&offsets);
        moved = copy;
        &moved
    };
    let edges = edge_shapes(topology);
    let mut clicked_node = None;
    let mut hovered_edge = None;
    let mut node_events = Vec::new();
    let mut edge_menu = None;
    let (mut input, latest) = ui.input(|state| {
        let input = Pointer {
            canvas: None,
            toggle: state.modifiers.shift || state.modifiers.command,
            pressed: state.pointer.primary_pressed(),
            down: state.pointer.primary_down(),
            released: state.pointer.primary_released(),
            escape: state.key_pressed(egui::Key::Escape),
        };
        (input, state.pointer.latest_pos())
    });
    let selecting_box = matches!(view.gesture, Gesture::Select { .. })
        || (input.toggle && matches!(view.gesture, Gesture::Idle));
    let pan_buttons = if selecting_box {
        DragPanButtons::SECONDARY | DragPanButtons::MIDDLE
    } else {
        DragPanButtons::all()
    };
    let scene = Scene::new()
        .zoom_range(MIN_ZOOM..=MAX_ZOOM)
        .drag_pan_buttons(pan_buttons);
    let mut renaming = view.renaming.take();
    let shown_rect = view.scene_rect;
    let scene_response = scene.show(ui, &mut view.scene_rect, |ui| {
        let to_screen = ui.ctx().layer_transform_to_global(ui.layer_id());
        view.canvas_to_screen = to_screen;
        input.canvas = latest.map(|p| to_screen.map_or(p, |t| t.inverse() * p));
        hovered_edge = hovered_edge_index(ui, to_screen, topology, &edges);

        let painter = ui.painter().clone();
        for (index, edge) in edges.iter().enumerate() {
            let hovered = hovered_edge == Some(index);
            edge_ui(
                &painter,
                &palette,
                edge,
                live,
                view.selection.last().map(String::as_str),
                hovered,
            );
        }
        if animate {
            for edge in &edges {
                dots_ui(&painter, &palette, edge, live, &view.dot_phases);
            }
        }
        for node in topology.nodes() {
            let node_live = live.and_then(|live| live.nodes.get(&node.name));
            let is_selected = view.selection.contains(&node.name);
            let node_response = node_ui(ui, &palette, node, node_live, is_selected, view.editable);
            if view.marked.contains(&node.name) {
                error_marker_ui(ui, node);
            }
            if node_response.clicked() {
                clicked_node = Some(node.name.clone());
            }
            let mut fault_menu = view.run_exists.then(|| FaultMenu {
                others: topology
                    .nodes()
                    .filter(|other| other.name != node.name)
                    .map(|other| other.name.clone())
                    .collect(),
                seconds: &mut view.fault_seconds,
            });
            if view.editable {
                node_events.extend(node_editing_ui(
                    ui,
                    &palette,
                    node,
                    &node_response,
                    &view.selection,
                    &view.gesture,
                    fault_menu.as_mut(),
                ));
            } else if let Some(menu) = fault_menu.as_mut() {
                node_response.context_menu(|ui| {
                    if let Some((kind, duration)) =
                        fault_menu::fault_menu_ui(ui, node, &menu.others, menu.seconds)
                    {
                        node_events.push(NodeEvent::Fault(kind, duration));
                    }
                });
            }
        }
        for edge in &edges {
            edge_badge_ui(&painter, &palette, edge, live);
        }
        match &view.gesture {
            Gesture::Connect { from, pointer } => {
                connect_preview_ui(ui, &palette, topology, from, *pointer);
            }
            Gesture::Select { start, end, .. } => selection_box_ui(ui, &palette, *start, *end),
            _ => {}
        }
        if let Some(state) = &mut renaming {
            if let Some(node) = topology.node(&state.name) {
                match rename_field_ui(ui, node, state) {
                    RenameOutcome::Editing => {}
                    RenameOutcome::Cancelled => renaming = None,
                    RenameOutcome::Done(edit) => {
                        response.edits.push(edit);
                        renaming = None;
                    }
                }
            } else {
                renaming = None;
            }
        }
    });
    if view.renaming.is_none() {
        view.renaming = renaming;
    }
    if view.scene_rect != shown_rect {
        // The user panned or zoomed.
        view.fitted = false;
    }

    if let Some(index) = hovered_edge {
        let hovered = &edges[index];
        let background = scene_response.response.clone();
        if view.editable && background.secondary_clicked() {
            edge_menu = Some((
                hovered.from.name.clone(),
                hovered.to.name.clone(),
                hovered.kind,
            ));
        }
        background.on_hover_ui_at_pointer(|ui| {
            edge_tooltip_ui(ui, hovered, edge_live(hovered, live));
        });
    }
    let any_edge_moving =
        animate && view.playing && edges.iter().any(|edge| edge_throughput(edge, live) > 0.0);
    drop(edges);
    view.topology = base;
    if let Some(edge) = edge_menu {
        ui.memory_mut(|memory| memory.data.insert_temp(edge_menu_id(ui), edge));
    }
    edge_context_menu(ui, &scene_response.response, &mut response.edits);

    for event in node_events {
        apply_node_event(view, event, &input, &mut response);
    }
    track_gesture(view, &scene_response.response, &input, &mut response);

    if let Some(name) = clicked_node {
        view.click_node(&name, input.toggle);
    } else if scene_response.response.double_clicked() {
        view.fit_requested = true;
    } else if scene_response.response.clicked() && !input.toggle {
        view.selection.clear();
    }

    if any_edge_moving || !matches!(view.gesture, Gesture::Idle) {
        ui.ctx().request_repaint();
    }

    let after = view.selection().map(str::to_owned);
    if after != before {
        response.selected = after;
    }
    response
}

/// Draws a red exclamation mark on the top left corner of a node that has errors.
fn error_marker_ui(ui: &Ui, node: &Node) {
    let center = node.rect().left_top() + vec2(2.0, 2.0);
    let color = ui.visuals().error_fg_color;
    ui.painter().circle_filled(center, 9.0, color);
    ui.painter().text(
        center,
        Align2::CENTER_CENTER,
        "!",
        FontId::proportional(13.0),
        Color32::WHITE,
    );
}

/// An event of one node in this frame, applied after the scene is drawn.
enum NodeEvent {
    /// A drag of the node started.
    MoveStarted(String),
    /// A drag from the node's handle started.
    ConnectStarted(String),
    /// The node was double-clicked.
    Rename(String),
    /// An edit from the node's menu.
    Edit(GraphEdit),
    /// A fault started from the node's menu.
    Fault(crate::scenario::FaultKind, crate::scenario::Duration),
}

/// Adds the node's handle and menu, and returns what the user started on the node.
fn node_editing_ui(
    ui: &Ui,
    palette: &Palette,
    node: &Node,
    node_response: &Response,
    selection: &[String],
    gesture: &Gesture,
    fault_menu: Option<&mut FaultMenu<'_>>,
) -> Vec<NodeEvent> {
    let mut events = Vec::new();
    let port = port_position(node);
    let port_rect = Rect::from_center_size(port, Vec2::splat(PORT_RADIUS * 3.0));
    let port_id = ui.scope_id().with(("topology-port", node.name.as_str()));
    let port_response = ui
        .interact(port_rect, port_id, Sense::drag())
        .on_hover_text("Drag onto another node to connect them");
    let connecting = matches!(gesture, Gesture::Connect { from, .. } if *from == node.name);
    if node_response.hovered() || port_response.hovered() || connecting {
        let color = if port_response.hovered() || connecting {
            palette.selection
        } else {
            palette.node_stroke
        };
        ui.painter().circle(
            port,
            PORT_RADIUS,
            palette.node_fill,
            Stroke::new(2.0, color),
        );
    }
    if port_response.drag_started() {
        events.push(NodeEvent::ConnectStarted(node.name.clone()));
    } else if node_response.drag_started() {
        events.push(NodeEvent::MoveStarted(node.name.clone()));
    }
    if node_response.double_clicked() {
        events.push(NodeEvent::Rename(node.name.clone()));
    }
    node_response.context_menu(|ui| {
        let targets = if selection.contains(&node.name) {
            selection.to_vec()
        } else {
            vec![node.name.clone()]
        };
        let plural = targets.len() > 1;
        if ui.button("Rename").clicked() {
            events.push(NodeEvent::Rename(node.name.clone()));
            ui.close();
        }
        let duplicate = if plural {
            "Duplicate selection"
        } else {
            "Duplicate"
        };
        if ui.button(duplicate).clicked() {
            events.push(NodeEvent::Edit(GraphEdit::Duplicate(targets.clone())));
            ui.close();
        }
        let delete = if plural { "Delete selection" } else { "Delete" };
        if ui.button(delete).clicked() {
            events.push(NodeEvent::Edit(GraphEdit::Delete(targets)));
            ui.close();
        }
        if let Some(menu) = fault_menu
            && let Some((kind, duration)) =
                fault_menu::fault_menu_ui(ui, node, &menu.others, menu.seconds)
        {
            events.push(NodeEvent::Fault(kind, duration));
        }
    });
    events
}

/// What a node's menu needs to offer faults.
struct FaultMenu<'a> {
    /// The names of the other nodes.
    others: Vec<String>,
    /// The duration field.
    seconds: &'a mut f64,
}

fn apply_node_event(
    view: &mut GraphView,
    event: NodeEvent,
    pointer: &Pointer,
    response: &mut GraphResponse,
) {
    match event {
        NodeEvent::MoveStarted(name) => {
            if !view.selection.contains(&name) {
                view.click_node(&name, pointer.toggle);
            }
            if let Some(start) = pointer.canvas {
                view.gesture = Gesture::Move {
                    start,
                    offset: Vec2::ZERO,
                    nodes: view.selection.clone(),
                };
            }
        }
        NodeEvent::ConnectStarted(from) => {
            if let Some(pointer) = pointer.canvas {
                view.gesture = Gesture::Connect { from, pointer };
            }
        }
        NodeEvent::Rename(name) => view.start_rename(&name),
        NodeEvent::Edit(edit) => response.edits.push(edit),
        NodeEvent::Fault(kind, duration) => response.faults.push((kind, duration)),
    }
}

/// Follows the gesture in progress with the pointer and ends it on release.
fn track_gesture(
    view: &mut GraphView,
    background: &Response,
    pointer: &Pointer,
    response: &mut GraphResponse,
) {
    if pointer.escape {
        view.gesture = Gesture::Idle;
        return;
    }
    if matches!(view.gesture, Gesture::Idle)
        && pointer.toggle
        && pointer.pressed
        && background.hovered()
        && let Some(start) = pointer.canvas
    {
        view.gesture = Gesture::Select {
            start,
            end: start,
            additive: true,
        };
    }
    let Some(at) = pointer.canvas else {
        return;
    };
    match &mut view.gesture {
        Gesture::Idle => {}
        Gesture::Move { start, offset, .. } => *offset = at - *start,
        Gesture::Connect { pointer, .. } => *pointer = at,
        Gesture::Select { end, .. } => *end = at,
    }
    if pointer.down && !pointer.released {
        return;
    }
    match std::mem::take(&mut view.gesture) {
        Gesture::Idle => {}
        Gesture::Move { offset, nodes, .. } => {
            if offset.length() > 0.0 {
                let positions = nodes
                    .iter()
                    .filter_map(|name| view.topology.node(name))
                    .map(|node| {
                        // Whole canvas units, which the file writes as short numbers.
                        let center = (node.position + offset).round();
                        (
                            node.name.clone(),
                            [f64::from(center.x), f64::from(center.y)],
                        )
                    })
                    .collect();
                response.edits.push(GraphEdit::Move(positions));
            }
        }
        Gesture::Connect { from, pointer } => {
            let source = view.topology.node(&from);
            let target = view
                .topology
                .node_at(pointer)
                .filter(|node| node.name != from);
            if let (Some(source), Some(target)) = (source, target) {
                match edge_kind_between(source.kind, target.kind) {
                    Ok(_) => response.edits.push(GraphEdit::Connect {
                        from,
                        to: target.name.clone(),
                    }),
                    Err(reason) => {
                        response.refused = Some(format!(
                            "Cannot connect {from} to {}: {reason}",
                            target.name
                        ));
                    }
                }
            }
        }
        Gesture::Select {
            start,
            end,
            additive,
        } => {
            let inside = nodes_in(&view.topology, Rect::from_two_pos(start, end));
            if !additive {
                view.selection.clear();
            }
            for name in inside {
                if !view.selection.contains(&name) {
                    view.selection.push(name);
                }
            }
        }
    }
}

/// Shows the text field of an in-place rename over the node's name and returns the
/// rename once Enter is pressed or the field loses the focus; Escape cancels it.
fn rename_field_ui(ui: &mut Ui, node: &Node, state: &mut Renaming) -> RenameOutcome {
    let rect = node.rect();
    let field_rect = Rect::from_center_size(
        pos2(rect.center().x, rect.top() + 31.0),
        vec2(rect.width() - 16.0, 22.0),
    );
    let field = egui::TextEdit::singleline(&mut state.text)
        .id_salt(("topology-rename", node.name.as_str()))
        .align(Align2::CENTER_CENTER);
    let field_response = ui.put(field_rect, field);
    if !state.focused {
        field_response.request_focus();
        state.focused = true;
        return RenameOutcome::Editing;
    }
    let escape = ui.input(|input| input.key_pressed(egui::Key::Escape));
    if escape {
        return RenameOutcome::Cancelled;
    }
    if field_response.lost_focus() {
        let to = state.text.trim().to_owned();
        if to == state.name {
            return RenameOutcome::Cancelled;
        }
        return RenameOutcome::Done(GraphEdit::Rename {
            from: state.name.clone(),
            to,
        });
    }
    RenameOutcome::Editing
}

/// The state of an in-place rename after a frame.
enum RenameOutcome {
    /// The field still has the focus.
    Editing,
    /// Escape was pressed, or the name did not change.
    Cancelled,
    /// The user confirmed a new name.
    Done(GraphEdit),
}

fn edge_menu_id(ui: &Ui) -> egui::Id {
    ui.scope_id().with("topology-edge-menu")
}

/// Shows the menu of the edge last right-clicked, with an entry that removes it.
fn edge_context_menu(ui: &Ui, background: &Response, edits: &mut Vec<GraphEdit>) {
    let id = edge_menu_id(ui);
    let Some((from, to, kind)) =
        ui.memory(|memory| memory.data.get_temp::<(String, String, EdgeKind)>(id))
    else {
        return;
    };
    let shown = background.context_menu(|ui| {
        ui.label(format!("{} {from} → {to}", kind.label()));
        if ui.button("Remove").clicked() {
            edits.push(GraphEdit::Disconnect {
                from: from.clone(),
                to: to.clone(),
                kind,
            });
            ui.close();
        }
    });
    if shown.is_none() {
        ui.memory_mut(|memory| memory.data.remove::<(String, String, EdgeKind)>(id));
    }
}

/// Draws the row above the canvas: buttons that add nodes and the automatic layout.
fn palette_ui(ui: &mut Ui, view: &mut GraphView, scenario: &Scenario, edits: &mut Vec<GraphEdit>) {
    egui::Panel::top("graph-palette")
        .show_separator_line(false)
        .frame(egui::Frame::NONE.inner_margin(egui::Margin::symmetric(6, 4)))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label("Add");
                for kind in NewNode::ALL {
                    let label = format!("+ {}", kind.label());
                    if ui
                        .button(label)
                        .on_hover_text(format!("Add a {} in the middle of the view", kind.label()))
                        .clicked()
                    {
                        let at = view.free_spot(view.view_center().round());
                        edits.push(GraphEdit::Add {
                            kind,
                            at: [f64::from(at.x), f64::from(at.y)],
                        });
                    }
                }
                ui.separator();
                if ui
                    .button("Arrange")
                    .on_hover_text(
                        "Place every node by the automatic layout, left to right along the calls",
                    )
                    .clicked()
                {
                    let positions = Topology::automatic_positions(scenario)
                        .into_iter()
                        .map(|(name, at)| (name, [f64::from(at.x), f64::from(at.y)]))
                        .collect();
                    edits.push(GraphEdit::Move(positions));
                    view.fit_after_change = true;
                }
            });
        });
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
