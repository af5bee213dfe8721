//! Connecting two nodes on the canvas: the choice of the operations and, between two
//! services, of the kind of edge.

use egui::Ui;

use super::TopolabApp;
use crate::editor::{Command as Edit, Endpoint, NodeId, NodeKind};

/// A connection between two nodes that waits for the user's choice of operations or of
/// the kind of edge.
#[derive(Clone, Debug)]
pub(super) struct ConnectChoice {
    from: NodeId,
    to: NodeId,
    from_operations: Vec<String>,
    to_operations: Vec<String>,
    from_index: usize,
    to_index: usize,
    /// Whether both ends are services, which can also be connected through a new queue.
    between_services: bool,
    /// The position of a new queue: the free place nearest to halfway between the two
    /// nodes, in canvas units.
    midpoint: Option<[f64; 2]>,
}

/// The kinds of edge that a connection can make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EdgeChoice {
    /// The one kind that the two kinds of node allow.
    Only,
    /// A synchronous call from a service to a service.
    Call,
    /// A publish to a new queue, which the target service consumes.
    ThroughQueue,
}

impl TopolabApp {
    /// Connects two nodes. Two services can be connected by a call or through a new
    /// queue, and a service with several operations needs one picked, so in those cases
    /// a window offers the choice first.
    pub(super) fn connect(&mut self, from: &str, to: &str) {
        let (Some(from_id), Some(to_id)) = (self.editing.id_of(from), self.editing.id_of(to))
        else {
            return;
        };
        let operations = |id: NodeId| -> Vec<String> {
            self.editing
                .document()
                .service(id)
                .map(|service| service.operations.keys().cloned().collect())
                .unwrap_or_default()
        };
        let from_operations = operations(from_id);
        let to_operations = operations(to_id);
        let is_service = |id: NodeId| self.editing.document().kind(id) == Some(NodeKind::Service);
        for (id, name, list) in [
            (from_id, from, &from_operations),
            (to_id, to, &to_operations),
        ] {
            if is_service(id) && list.is_empty() {
                self.warn(format!(
                    "Cannot connect: {name} has no operation; add one in its inspector"
                ));
                return;
            }
        }
        // The free place nearest to the middle, as the two nodes may stand side by side.
        let midpoint = match (self.graph.node_position(from), self.graph.node_position(to)) {
            (Some(a), Some(b)) => {
                let middle = egui::pos2(
                    f64::midpoint(a[0], b[0]) as f32,
                    f64::midpoint(a[1], b[1]) as f32,
                );
                let spot = self.graph.free_spot(middle).round();
                Some([f64::from(spot.x), f64::from(spot.y)])
            }
            _ => None,
        };
        let choice = ConnectChoice {
            from: from_id,
            to: to_id,
            from_operations,
            to_operations,
            from_index: 0,
            to_index: 0,
            between_services: is_service(from_id) && is_service(to_id),
            midpoint,
        };
        let several = choice.from_operations.len() > 1 || choice.to_operations.len() > 1;
        if several || choice.between_services {
            self.connect = Some(choice);
        } else {
            self.finish_connect(&choice, EdgeChoice::Only);
        }
    }

    fn finish_connect(&mut self, choice: &ConnectChoice, kind: EdgeChoice) {
        let end = |id: NodeId, operations: &[String], index: usize| match operations.get(index) {
            Some(operation) => Endpoint::operation(id, operation.clone()),
            None => Endpoint::node(id),
        };
        let from = end(choice.from, &choice.from_operations, choice.from_index);
        let to = end(choice.to, &choice.to_operations, choice.to_index);
        let names = self.editing.names_of(&[choice.from, choice.to]);
        let [from_name, to_name] = [0, 1].map(|i| names.get(i).cloned().unwrap_or_default());
        let shown = |name: &str, endpoint: &Endpoint| match &endpoint.operation {
            Some(operation) => format!("{name}.{operation}"),
            None => name.to_owned(),
        };
        let (source, target) = (shown(&from_name, &from), shown(&to_name, &to));

        let command = if kind == EdgeChoice::ThroughQueue {
            Edit::PublishThroughQueue {
                from,
                to,
                queue: None,
                position: choice.midpoint,
            }
        } else {
            Edit::Connect { from, to }
        };
        if !self.apply(&command, None) {
            return;
        }

        let kinds = [choice.from, choice.to].map(|id| self.editing.document().kind(id));
        let message = match (kind, kinds) {
            (EdgeChoice::ThroughQueue, _) => {
                let queue = self.graph.selection().unwrap_or_default().to_owned();
                format!(
                    "Added the queue {queue}: {source} publishes to it and {target} consumes it"
                )
            }
            (_, [Some(NodeKind::Client), _]) => {
                format!("{source} now sends its requests to {target}")
            }
            (_, [Some(NodeKind::Service), Some(NodeKind::Service)]) => {
                format!("Added a synchronous call from {source} to {target}")
            }
            (_, [Some(NodeKind::Service), _]) => format!("{source} now publishes to {target}"),
            (_, [Some(NodeKind::Queue), Some(NodeKind::Service)]) => {
                format!("{target} now consumes the messages of {source}")
            }
            (_, [Some(NodeKind::Queue), _]) => {
                format!("{target} is now the dead-letter queue of {source}")
            }
            _ => format!("Connected {source} to {target}"),
        };
        self.tell(message);
    }

    /// Shows the choice of operations and of the kind of edge for a connection, while
    /// one is pending.
    pub(super) fn connect_window_ui(&mut self, ctx: &egui::Context) {
        let Some(mut choice) = self.connect.take() else {
            return;
        };
        let names = self.editing.names_of(&[choice.from, choice.to]);
        let [from, to] = [0, 1].map(|i| names.get(i).cloned().unwrap_or_default());
        let mut open = true;
        let mut decided = None;
        let title = format!(
            "Connect {} to {}",
            crate::ui::names::shown_name(&from),
            crate::ui::names::shown_name(&to)
        );
        egui::Window::new(title)
            .id(egui::Id::unique("connect-window"))
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                operation_choice_ui(
                    ui,
                    "from",
                    &from,
                    &choice.from_operations,
                    &mut choice.from_index,
                );
                operation_choice_ui(ui, "to", &to, &choice.to_operations, &mut choice.to_index);
                ui.horizontal(|ui| {
                    if choice.between_services {
                        let call = ui.button("Synchronous call").on_hover_text(
                            "The caller waits for the response: a call step at the end of \
                             the operation",
                        );
                        if call.clicked() {
                            decided = Some(Some(EdgeChoice::Call));
                        }
                        let queue = ui.button("Publish through a new queue").on_hover_text(
                            "The caller publishes a message and goes on: a new queue between \
                             the two, which the target consumes",
                        );
                        if queue.clicked() {
                            decided = Some(Some(EdgeChoice::ThroughQueue));
                        }
                    } else if ui.button("Connect").clicked() {
                        decided = Some(Some(EdgeChoice::Only));
                    }
                    if ui.button("Cancel").clicked() {
                        decided = Some(None);
                    }
                });
            });
        match decided {
            Some(Some(kind)) => self.finish_connect(&choice, kind),
            None if open => self.connect = Some(choice),
            // Cancelled, or the window was closed.
            _ => {}
        }
    }
}

fn operation_choice_ui(
    ui: &mut Ui,
    label: &str,
    node: &str,
    operations: &[String],
    index: &mut usize,
) {
    let node = crate::ui::names::shown_name(node);
    if operations.is_empty() {
        ui.label(format!("{label} {node}"));
        return;
    }
    ui.horizontal(|ui| {
        ui.label(format!("{label} {node}."));
        egui::ComboBox::from_id_salt(("connect", label))
            .selected_text(operations.get(*index).cloned().unwrap_or_default())
            .show_ui(ui, |ui| {
                for (i, operation) in operations.iter().enumerate() {
                    ui.selectable_value(index, i, operation);
                }
            });
    });
}
