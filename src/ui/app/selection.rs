//! The right panel while several nodes are selected: their names, and the actions that
//! apply to all of them. A node's settings are edited one node at a time.

use egui::Ui;

use super::TopolabApp;
use crate::scenario::diagnostic::counted;
use crate::ui::actions::Action;
use crate::ui::graph::GraphEdit;
use crate::ui::names::shown_name;
use crate::ui::panels::NodeKind;

impl TopolabApp {
    /// Shows the selected nodes, each of which selects itself alone when clicked, and
    /// the actions on all of them.
    pub(super) fn selection_panel_ui(&mut self, ui: &mut Ui) {
        let names = self.graph.selected_nodes().to_vec();
        ui.heading(format!(
            "{} selected",
            counted(names.len(), "node", "nodes")
        ));
        ui.weak("Click a node to edit its settings; the actions apply to all of them.");
        ui.horizontal_wrapped(|ui| {
            for action in [Action::Duplicate, Action::Copy, Action::Delete] {
                if ui
                    .button(action.label())
                    .on_hover_text(action.tooltip())
                    .clicked()
                {
                    self.perform(ui.ctx(), action);
                }
            }
            let arrange = ui.button("Arrange selected").on_hover_text(
                "Place the selected nodes by the automatic layout, keeping the group's top \
                 left corner where it is",
            );
            if arrange.clicked() {
                self.arrange_selection(ui.ctx(), &names);
            }
        });
        ui.separator();
        let mut chosen = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for name in &names {
                    let kind =
                        NodeKind::of(self.editing.scenario(), name).map_or("", NodeKind::label);
                    let text = format!("{} ({kind})", shown_name(name));
                    let response = ui.selectable_label(false, text).on_hover_text(name);
                    if response.clicked() {
                        chosen = Some(name.clone());
                    }
                }
            });
        if let Some(name) = chosen {
            self.graph.select(Some(name));
        }
    }

    /// Moves the nodes called `names` to the places that the automatic layout gives
    /// them relative to each other, with the group's top left corner kept in place.
    fn arrange_selection(&mut self, ctx: &egui::Context, names: &[String]) {
        let automatic: Vec<(String, egui::Pos2)> =
            crate::ui::topology::Topology::automatic_positions(self.editing.scenario())
                .into_iter()
                .filter(|(name, _)| names.contains(name))
                .collect();
        let current: Vec<[f64; 2]> = names
            .iter()
            .filter_map(|name| self.graph.node_position(name))
            .collect();
        let corner = |points: &mut dyn Iterator<Item = [f64; 2]>| {
            points.fold([f64::INFINITY; 2], |min, p| {
                [min[0].min(p[0]), min[1].min(p[1])]
            })
        };
        let from = corner(
            &mut automatic
                .iter()
                .map(|(_, at)| [f64::from(at.x), f64::from(at.y)]),
        );
        let to = corner(&mut current.into_iter());
        if !(from.iter().chain(&to).all(|c| c.is_finite())) {
            return;
        }
        let positions = automatic
            .into_iter()
            .map(|(name, at)| {
                let x = f64::from(at.x) - from[0] + to[0];
                let y = f64::from(at.y) - from[1] + to[1];
                (name, [x.round(), y.round()])
            })
            .collect();
        self.graph_edits(ctx, vec![GraphEdit::Move(positions)]);
    }
}
