//! Editing on the canvas: selection, moving nodes, connecting them, renaming in place
//! and the context menus.
//!
//! The canvas never changes the scenario. It reports what the user did as
//! [`GraphEdit`]s, which the app turns into document commands, so that every edit goes
//! through undo and validation.

use std::collections::BTreeMap;

use egui::{Color32, Pos2, Rect, Stroke, StrokeKind, Ui, Vec2};

use super::palette::Palette;
use crate::ui::topology::{EdgeKind, Node, NodeKind, Topology};

/// Radius of a node's connection handle, in canvas units.
pub(super) const PORT_RADIUS: f32 = 6.0;

/// A kind of node that the palette adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewNode {
    /// A load generator.
    Client,
    /// A service with one operation.
    Service,
    /// A message queue.
    Queue,
}

impl NewNode {
    /// Every kind, in palette order.
    pub const ALL: [NewNode; 3] = [NewNode::Client, NewNode::Service, NewNode::Queue];

    /// Returns the kind's name as shown to the user.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            NewNode::Client => "client",
            NewNode::Service => "service",
            NewNode::Queue => "queue",
        }
    }
}

/// An edit the user made on the canvas, for the app to apply to the document.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphEdit {
    /// Add a node of this kind centered at this canvas position.
    Add {
        /// The kind of node.
        kind: NewNode,
        /// Center, in canvas units.
        at: [f64; 2],
    },
    /// Place nodes at new centers, in canvas units: one drag, or an automatic layout.
    Move(Vec<(String, [f64; 2])>),
    /// Connect `from` to `to`; the kinds of the two nodes decide the kind of edge.
    Connect {
        /// The node the edge starts at.
        from: String,
        /// The node the edge ends at.
        to: String,
    },
    /// Remove every edge of `kind` from `from` to `to`.
    Disconnect {
        /// The node the edge starts at.
        from: String,
        /// The node the edge ends at.
        to: String,
        /// The kind of edge.
        kind: EdgeKind,
    },
    /// Rename a node.
    Rename {
        /// The current name.
        from: String,
        /// The new name, as typed.
        to: String,
    },
    /// Delete these nodes and the edges that reference them.
    Delete(Vec<String>),
    /// Copy these nodes, with fresh names.
    Duplicate(Vec<String>),
}

/// A pointer gesture in progress on the canvas.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) enum Gesture {
    /// No button held, or a gesture that the canvas does not track, such as a pan.
    #[default]
    Idle,
    /// Nodes being dragged, by `offset` canvas units since the press at `start`.
    Move {
        start: Pos2,
        offset: Vec2,
        nodes: Vec<String>,
    },
    /// An edge being drawn from `from` to the pointer at `pointer`, in canvas units.
    Connect { from: String, pointer: Pos2 },
    /// A selection box from `start` to `end`, in canvas units. `additive` keeps the
    /// nodes selected before it.
    Select {
        start: Pos2,
        end: Pos2,
        additive: bool,
    },
}

impl Gesture {
    /// Returns the offset of each node being dragged, for drawing.
    pub(super) fn offsets(&self) -> BTreeMap<String, Vec2> {
        match self {
            Gesture::Move { offset, nodes, .. } => {
                nodes.iter().map(|name| (name.clone(), *offset)).collect()
            }
            _ => BTreeMap::new(),
        }
    }
}

/// A node being renamed in place, with the text typed so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Renaming {
    pub(super) name: String,
    pub(super) text: String,
    /// Whether the text field has had the focus, so that losing it ends the rename.
    pub(super) focused: bool,
}

/// Returns the kind of edge that connecting `from` to `to` makes, or why it cannot.
///
/// # Errors
/// Fails with a sentence for the user when the two kinds of node cannot be connected.
pub fn edge_kind_between(from: NodeKind, to: NodeKind) -> Result<EdgeKind, &'static str> {
    match (from, to) {
        (NodeKind::Client | NodeKind::Service { .. }, NodeKind::Service { .. }) => {
            Ok(EdgeKind::Call)
        }
        (NodeKind::Service { .. }, NodeKind::Queue { .. }) => Ok(EdgeKind::Publish),
        (NodeKind::Queue { .. }, NodeKind::Service { .. }) => Ok(EdgeKind::Consume),
        (_, NodeKind::Client) => Err("nothing sends to a client: clients only send requests"),
        (NodeKind::Client, NodeKind::Queue { .. }) => {
            Err("a client calls a service: connect it to a service that publishes")
        }
        (NodeKind::Queue { .. }, NodeKind::Queue { .. }) => Ok(EdgeKind::DeadLetter),
    }
}

/// Returns the position of a node's connection handle: the middle of its right side.
pub(super) fn port_position(node: &Node) -> Pos2 {
    node.rect().right_center()
}

/// Returns the names of the nodes whose rectangles meet `area`, in node order.
pub(super) fn nodes_in(topology: &Topology, area: Rect) -> Vec<String> {
    topology
        .nodes()
        .filter(|node| node.rect().intersects(area))
        .map(|node| node.name.clone())
        .collect()
}

/// Draws the edge being connected, from the handle to the pointer, green over a node
/// that accepts it and red over one that does not.
pub(super) fn connect_preview_ui(
    ui: &Ui,
    palette: &Palette,
    topology: &Topology,
    from: &str,
    tip: Pos2,
) {
    let Some(source) = topology.node(from) else {
        return;
    };
    let target = topology.node_at(tip).filter(|node| node.name != from);
    let color = match target.map(|node| edge_kind_between(source.kind, node.kind)) {
        Some(Ok(kind)) => palette.edge_color(kind),
        Some(Err(_)) => ui.visuals().error_fg_color,
        None => palette.weak_text,
    };
    let painter = ui.painter();
    painter.line_segment([port_position(source), tip], Stroke::new(2.0, color));
    painter.circle_filled(tip, 4.0, color);
    if let Some(target) = target {
        painter.rect_stroke(
            target.rect().expand(4.0),
            6.0,
            Stroke::new(2.0, color),
            StrokeKind::Outside,
        );
    }
}

/// Draws the selection box.
pub(super) fn selection_box_ui(ui: &Ui, palette: &Palette, start: Pos2, end: Pos2) {
    let area = Rect::from_two_pos(start, end);
    let fill = Color32::from_rgba_unmultiplied(
        palette.selection.r(),
        palette.selection.g(),
        palette.selection.b(),
        32,
    );
    ui.painter().rect(
        area,
        0.0,
        fill,
        Stroke::new(1.0, palette.selection),
        StrokeKind::Inside,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_kinds_follow_the_node_kinds() {
        let service = NodeKind::Service {
            replicas: 1,
            workers: 1,
        };
        let queue = NodeKind::Queue {
            capacity: None,
            broker: None,
        };
        assert_eq!(
            edge_kind_between(NodeKind::Client, service),
            Ok(EdgeKind::Call)
        );
        assert_eq!(edge_kind_between(service, service), Ok(EdgeKind::Call));
        assert_eq!(edge_kind_between(service, queue), Ok(EdgeKind::Publish));
        assert_eq!(edge_kind_between(queue, service), Ok(EdgeKind::Consume));
        assert_eq!(edge_kind_between(queue, queue), Ok(EdgeKind::DeadLetter));
        for (from, to) in [
            (service, NodeKind::Client),
            (NodeKind::Client, NodeKind::Client),
            (queue, NodeKind::Client),
            (NodeKind::Client, queue),
        ] {
            assert!(edge_kind_between(from, to).is_err(), "{from:?} to {to:?}");
        }
    }
}
