//! Copy, paste and duplicate in the window: the text form of copied nodes on the
//! system clipboard, and where pasted nodes land.
//!
//! The windowing layer turns Ctrl+V into a paste event with the system clipboard's
//! text, and sends nothing when the clipboard contains no text. So Copy puts the nodes'
//! text form there as well as into the document's own clipboard, and a paste reads
//! the nodes from the text, which also carries them from one window to another.

use egui::{Pos2, pos2};

use super::TopolabApp;
use crate::editor::{Clipboard, Command as Edit};
use crate::scenario::diagnostic::counted;
use crate::ui::topology::ROW_SPACING;

/// Offset of each paste or duplicate from the last one at the same place, in canvas
/// units.
pub(super) const PASTE_OFFSET: [f64; 2] = [40.0, 40.0];

/// A paste waiting for the system clipboard's text.
#[derive(Clone, Copy, Debug)]
pub(super) struct PendingPaste {
    /// The canvas point to paste at, if any.
    pointer: Option<Pos2>,
}

/// Steps of [`PASTE_OFFSET`] that a paste tries at most to find a free place. A paste
/// that finds none lands on the last place tried.
const MAX_CASCADE_STEPS: usize = 100;

impl TopolabApp {
    /// Copies the selected nodes to the document's clipboard and their text form to the
    /// system clipboard.
    pub(super) fn copy_selection(&mut self, ctx: &egui::Context) {
        let ids = self.selected_ids();
        if ids.is_empty() {
            self.tell("Select the nodes to copy first".to_owned());
            return;
        }
        let graph = &self.graph;
        match self.editing.copy(&ids, |name| graph.node_position(name)) {
            Ok(clipboard) => {
                match clipboard.to_text() {
                    Ok(text) => ctx.copy_text(text),
                    Err(error) => {
                        tracing::warn!(%error, "cannot write the copied nodes as text");
                    }
                }
                let count = counted(clipboard.nodes.len(), "node", "nodes");
                self.tell(format!("Copied {count}"));
            }
            Err(error) => self.warn(error.to_string()),
        }
    }

    /// Pastes the system clipboard's `text`: the nodes it contains, or else, for text
    /// that is not a Topolab fragment, the nodes last copied in this window. `pointer`
    /// is the canvas point to paste at, if the pointer is over the canvas.
    pub(super) fn paste_text(&mut self, text: &str, pointer: Option<Pos2>) {
        match Clipboard::from_text(text) {
            Some(clipboard) => {
                self.editing.set_clipboard(clipboard.clone());
                self.paste(clipboard, pointer);
            }
            None => self.paste_copied(pointer),
        }
    }

    /// Pastes the nodes last copied in this window, as Edit ▸ Paste does when the
    /// system clipboard has no Topolab nodes.
    pub(super) fn paste_copied(&mut self, pointer: Option<Pos2>) {
        match self.editing.clipboard().cloned() {
            Some(clipboard) => self.paste(clipboard, pointer),
            None => self.tell("Nothing to paste: copy nodes first".to_owned()),
        }
    }

    fn paste(&mut self, clipboard: Clipboard, pointer: Option<Pos2>) {
        let (clipboard, offset) = self.place(clipboard, pointer);
        self.apply(&Edit::Paste { clipboard, offset }, None);
    }

    /// Adds copies of the nodes called `names` next to them, offset from earlier copies.
    pub(super) fn duplicate(&mut self, names: &[String]) {
        let ids = self.editing.ids_of(names);
        if ids.is_empty() {
            return;
        }
        let graph = &self.graph;
        match self
            .editing
            .copy_shown(&ids, |name| graph.node_position(name))
        {
            Ok(clipboard) => {
                let (clipboard, offset) = self.place(clipboard, None);
                let command = Edit::Batch {
                    label: "Duplicate".to_owned(),
                    commands: vec![Edit::Paste { clipboard, offset }],
                };
                self.apply(&command, None);
            }
            Err(error) => self.warn(error.to_string()),
        }
    }

    /// Returns `clipboard` with a position for every node, and the offset that places
    /// its copies: their middle at `pointer` if given, else [`PASTE_OFFSET`] from the
    /// originals. Where a copy would land on a node, the offset grows by
    /// [`PASTE_OFFSET`] until none does, so that repeated pastes cascade.
    fn place(&self, mut clipboard: Clipboard, pointer: Option<Pos2>) -> (Clipboard, [f64; 2]) {
        let anchor = pointer.unwrap_or_else(|| self.graph.view_center());
        let placed: Vec<[f64; 2]> = clipboard.nodes.iter().filter_map(|n| n.position).collect();

        let (left, mut bottom) = match bounds(&placed) {
            Some((min, max)) => (min[0], max[1]),
            None => (
                f64::from(anchor.x),
                f64::from(anchor.y) - f64::from(ROW_SPACING),
            ),
        };
        // Nodes without a position, as in text without a layout, go in a column below
        // the others.
        for node in &mut clipboard.nodes {
            if node.position.is_none() {
                bottom += f64::from(ROW_SPACING);
                node.position = Some([left, bottom]);
            }
        }
        let positions: Vec<[f64; 2]> = clipboard.nodes.iter().filter_map(|n| n.position).collect();

        let mut offset = match (pointer, bounds(&positions)) {
            (Some(at), Some((min, max))) => [
                f64::from(at.x) - f64::midpoint(min[0], max[0]),
                f64::from(at.y) - f64::midpoint(min[1], max[1]),
            ],
            (None, _) if placed.is_empty() => [0.0, 0.0],
            _ => PASTE_OFFSET,
        };
        offset = offset.map(f64::round);

        let steps = (self.editing.document().node_count() + 1).min(MAX_CASCADE_STEPS);
        for _ in 0..steps {
            if !positions.iter().any(|&p| self.is_taken(p, offset)) {
                break;
            }
            offset = [offset[0] + PASTE_OFFSET[0], offset[1] + PASTE_OFFSET[1]];
        }
        (clipboard, offset)
    }

    /// Returns whether a node sits where a copy at `position` moved by `offset` would.
    fn is_taken(&self, position: [f64; 2], offset: [f64; 2]) -> bool {
        let [x, y] = [position[0] + offset[0], position[1] + offset[1]];
        let near = PASTE_OFFSET[0] / 2.0;
        let in_layout = self
            .editing
            .scenario()
            .layout
            .values()
            .any(|[a, b]| (a - x).abs() < near && (b - y).abs() < near);
        in_layout
            || self
                .graph
                .is_occupied(pos2(x as f32, y as f32), near as f32)
    }

    /// Requests the system clipboard's text from the windowing layer. The text arrives
    /// as a paste event in the next frame, and without one that frame pastes the nodes
    /// copied in this window. `pointer` is the canvas point to paste at.
    pub(super) fn request_paste(&mut self, ctx: &egui::Context, pointer: Option<Pos2>) {
        ctx.send_viewport_cmd(egui::ViewportCommand::RequestPaste);
        ctx.request_repaint();
        self.pending_paste = Some(PendingPaste { pointer });
    }

    /// Pastes what arrived for Ctrl+V or a paste requested in the last frame, unless a
    /// text field has the focus and takes the text.
    pub(super) fn handle_paste_events(&mut self, ctx: &egui::Context, typing: bool) {
        if typing {
            self.pending_paste = None;
            return;
        }
        let texts: Vec<String> = ctx.input_mut(|input| {
            let mut texts = Vec::new();
            input.events.retain(|event| match event {
                egui::Event::Paste(text) => {
                    texts.push(text.clone());
                    false
                }
                _ => true,
            });
            texts
        });
        let requested = self.pending_paste.take();
        if texts.is_empty() {
            if let Some(request) = requested {
                self.paste_copied(request.pointer);
            }
            return;
        }
        let pointer = requested.map_or_else(|| self.pointer_on_canvas(ctx), |r| r.pointer);
        for text in texts {
            self.paste_text(&text, pointer);
        }
    }

    /// Returns the canvas point under the pointer, if the pointer is over the canvas and
    /// no window or menu covers it there.
    pub(super) fn pointer_on_canvas(&self, ctx: &egui::Context) -> Option<Pos2> {
        let screen = ctx.pointer_hover_pos()?;
        let covered = ctx
            .layer_id_at(screen)
            .is_some_and(|layer| layer.order != egui::Order::Background);
        if covered {
            return None;
        }
        self.graph.canvas_point(screen)
    }
}

/// Returns the smallest and largest coordinates of `positions`, or `None` for none.
fn bounds(positions: &[[f64; 2]]) -> Option<([f64; 2], [f64; 2])> {
    let first = *positions.first()?;
    Some(positions.iter().fold((first, first), |(min, max), p| {
        (
            [min[0].min(p[0]), min[1].min(p[1])],
            [max[0].max(p[0]), max[1].max(p[1])],
        )
    }))
}
