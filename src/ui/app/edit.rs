//! The editing side of the window: edits from the canvas and the inspector, undo and
//! redo, saving, the questions about unsaved edits, and recovery after a crash.

use std::path::{Path, PathBuf};
use std::time::Instant;

use egui::Ui;

use super::{Notice, PathMode, Pending, RecoveryPreview, TopolabApp};
use crate::editor::recovery::discard;
use crate::editor::{
    Command as Edit, MergeKey, NodeId, NodeKind as EditKind, NodeValue, RecoveryEntry, Restored,
    save_scenario,
};
use crate::scenario::diagnostic::counted;
use crate::ui::actions::Action;
use crate::ui::document::{Document, Source};
use crate::ui::driver::{Command, RunState};
use crate::ui::editing::{Editing, LiveChange, RunEffect};
use crate::ui::graph::{GraphEdit, NewNode};
use crate::ui::inspector::{self, fields::Messages};

impl TopolabApp {
    /// Carries out an editing action; returns `false` for an action that is not one.
    pub(super) fn perform_edit(&mut self, ctx: &egui::Context, action: Action) -> bool {
        match action {
            Action::New => self.request(Pending::New),
            Action::Save => {
                self.save();
            }
            Action::SaveAs => self.save_as(),
            Action::Undo => self.undo(),
            Action::Redo => self.redo(),
            Action::Delete => {
                let ids = self.selected_ids();
                if !ids.is_empty() {
                    self.apply(&Edit::DeleteNodes(ids), None);
                }
            }
            Action::Duplicate => {
                let names = self.graph.selected_nodes().to_vec();
                self.duplicate(&names);
            }
            Action::Copy => self.copy_selection(ctx),
            Action::Paste => self.request_paste(ctx, None),
            Action::SelectAll => {
                let names = self.editing.scenario().clients.keys();
                let names = names
                    .chain(self.editing.scenario().services.keys())
                    .chain(self.editing.scenario().queues.keys())
                    .cloned()
                    .collect();
                self.graph.select_all_of(names);
            }
            Action::Rename => {
                if let Some(name) = self.graph.selection().map(str::to_owned) {
                    self.graph.start_rename(&name);
                }
            }
            Action::Arrange => {
                let positions =
                    crate::ui::topology::Topology::automatic_positions(self.editing.scenario())
                        .into_iter()
                        .map(|(name, at)| (name, [f64::from(at.x), f64::from(at.y)]))
                        .collect();
                self.graph_edits(ctx, vec![GraphEdit::Move(positions)]);
                self.graph.zoom_to_fit();
            }
            Action::Shortcuts => self.show_shortcuts = !self.show_shortcuts,
            _ => return false,
        }
        true
    }

    /// Returns the ids of the selected nodes.
    pub(super) fn selected_ids(&self) -> Vec<NodeId> {
        self.editing.ids_of(self.graph.selected_nodes())
    }

    pub(super) fn tell(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: false,
        });
    }

    pub(super) fn warn(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: true,
        });
    }

    /// Applies an edit made in a field of a panel, as [`TopolabApp::apply`] does. It
    /// merges with the step before only while the same field has kept the focus since
    /// the last frame, or while a drag goes on. So a click on another widget starts a new
    /// step, even when the press and the release come in one frame.
    pub(super) fn apply_field_edit(
        &mut self,
        ctx: &egui::Context,
        command: &Edit,
        merge: Option<MergeKey>,
    ) {
        let focus = ctx.memory(egui::Memory::focused);
        let typing = focus.is_some() && focus == self.last_focus;
        let dragging = ctx.input(|input| input.pointer.any_down() && !input.pointer.any_pressed());
        if !typing && !dragging {
            self.editing.end_merge();
        }
        self.apply(command, merge);
    }

    /// Applies one edit and returns whether it applied. `merge` makes consecutive edits
    /// of one field a single undo step.
    pub(super) fn apply(&mut self, command: &Edit, merge: Option<MergeKey>) -> bool {
        match self.editing.execute(command, merge) {
            Ok((created, effect)) => {
                if !created.is_empty() {
                    let names = self.editing.names_of(&created);
                    self.graph.select_all_of(names);
                }
                self.after_change(effect);
                true
            }
            Err(error) => {
                self.warn(format!("{}: {error}", command.label()));
                false
            }
        }
    }

    fn undo(&mut self) {
        match self.editing.undo() {
            Ok(Some((label, effect))) => {
                self.tell(format!("Undid {label}"));
                self.after_change(effect);
            }
            Ok(None) => self.tell("Nothing to undo".to_owned()),
            Err(error) => self.warn(format!("Cannot undo: {error}")),
        }
    }

    fn redo(&mut self) {
        match self.editing.redo() {
            Ok(Some((label, effect))) => {
                self.tell(format!("Redid {label}"));
                self.after_change(effect);
            }
            Ok(None) => self.tell("Nothing to redo".to_owned()),
            Err(error) => self.warn(format!("Cannot redo: {error}")),
        }
    }

    /// Copies the edited scenario into the document and sends the engine what changed.
    fn after_change(&mut self, effect: RunEffect) {
        let before = self.document.scenario.run.clone();
        self.sync_document();
        let replaced = self.update_overrides(&before);
        // The engine still runs an older document if the last one had errors, and a
        // document with errors never reaches it.
        let invalid = self.engine_stale || self.editing.error_count() > 0;
        let effect = if invalid && effect != RunEffect::None {
            RunEffect::Reset
        } else {
            effect
        };
        let mut notice = None;
        match effect {
            RunEffect::None => {}
            RunEffect::Live(changes) => self.apply_live(changes),
            RunEffect::Reset => {
                let had_run = self.run_phase.is_some();
                let playing = self.run_phase == Some(RunState::Playing);
                let errors = self.editing.error_count();
                if errors > 0 {
                    self.engine_stale = true;
                    // A run goes on only while it runs the document as shown.
                    if playing {
                        self.driver.send(Command::Pause);
                        let text = format!(
                            "Paused: the scenario has {}; fix {} to run it again",
                            counted(errors, "error", "errors"),
                            if errors == 1 { "it" } else { "them" }
                        );
                        notice = Some(Notice {
                            text,
                            is_error: true,
                        });
                    }
                } else {
                    self.reload_engine();
                    let text = if playing {
                        self.driver.send(Command::Play);
                        Some("The scenario changed, so the run started again from 0 s")
                    } else if had_run {
                        Some(
                            "The scenario changed, so the run was reset to 0 s; press Play to \
                             run it",
                        )
                    } else {
                        None
                    };
                    notice = text.map(|text| Notice {
                        text: text.to_owned(),
                        is_error: false,
                    });
                }
            }
        }
        // A change of the run's seed or duration by the edit is named with the reset.
        match (notice, replaced) {
            (Some(notice), None) => self.notice = Some(notice),
            (Some(notice), Some(replaced)) => {
                self.notice = Some(Notice {
                    text: format!("{}. {replaced}", notice.text),
                    is_error: notice.is_error,
                });
            }
            (None, Some(replaced)) => self.tell(replaced),
            (None, None) => {}
        }
    }

    /// Sends the engine the changes that it applies to the running run.
    fn apply_live(&mut self, changes: Vec<LiveChange>) {
        let mut rates = Vec::new();
        for change in changes {
            match change {
                LiveChange::Replicas { service, replicas } => {
                    if let Some(control) = self.controls.replicas.get_mut(service) {
                        *control = replicas;
                    }
                    self.driver.send(Command::SetReplicas { service, replicas });
                }
                LiveChange::ClientRate { client, per_sec } => {
                    self.driver
                        .send(Command::SetClientBaseRate { client, per_sec });
                    if let Some(name) = self.editing.scenario().clients.get_index(client) {
                        rates.push(name.0.clone());
                    }
                }
            }
        }
        if !rates.is_empty() && self.run_phase.is_some() {
            self.tell(format!(
                "The new rate of {} applies to the run from now on, without a reset",
                rates.join(", ")
            ));
        }
    }

    /// Makes the document's copy of the scenario equal to the edited one.
    pub(super) fn sync_document(&mut self) {
        if self.document.scenario != *self.editing.scenario() {
            self.document.scenario = self.editing.scenario().clone();
        }
    }

    /// Sends the edited document to the engine, which starts a new run on it with the
    /// toolbar's seed and duration, keeping the view: the selection and the pan and zoom
    /// stay.
    pub(super) fn reload_engine(&mut self) {
        self.engine_stale = false;
        self.controls.rate_factors = vec![1.0; self.document.scenario.clients.len()];
        self.controls.replicas = self
            .document
            .scenario
            .services
            .values()
            .map(|service| service.replicas)
            .collect();
        self.driver.send(Command::Load(
            Box::new(self.document.scenario.clone()),
            self.controls.overrides,
        ));
    }

    /// Drops the engine's run, for a document with errors, so that no run of another
    /// document stays on screen. The next valid edit loads the document.
    pub(super) fn unload_engine(&mut self) {
        self.engine_stale = true;
        self.controls.rate_factors.clear();
        self.controls.replicas.clear();
        self.history = crate::ui::history::RunHistory::default();
        self.driver.send(Command::Unload);
    }

    /// Turns the canvas's edits into document commands.
    pub(super) fn graph_edits(&mut self, _ctx: &egui::Context, edits: Vec<GraphEdit>) {
        for edit in edits {
            match edit {
                GraphEdit::Add { kind, at } => {
                    let kind = match kind {
                        NewNode::Client => EditKind::Client,
                        NewNode::Service => EditKind::Service,
                        NewNode::Queue => EditKind::Queue,
                    };
                    self.apply(
                        &Edit::AddNode {
                            kind,
                            name: None,
                            position: Some(at),
                        },
                        None,
                    );
                }
                GraphEdit::Move(positions) => {
                    let moves: Vec<(NodeId, [f64; 2])> = positions
                        .into_iter()
                        .filter_map(|(name, at)| self.editing.id_of(&name).map(|id| (id, at)))
                        .collect();
                    if !moves.is_empty() {
                        self.apply(&Edit::MoveNodes(moves), None);
                    }
                }
                GraphEdit::Connect { from, to } => self.connect(&from, &to),
                GraphEdit::Disconnect { from, to, kind } => {
                    let commands: Vec<Edit> = self
                        .editing
                        .edges_between(&from, &to, kind)
                        .into_iter()
                        .map(Edit::Disconnect)
                        .collect();
                    if !commands.is_empty() {
                        self.apply(
                            &Edit::Batch {
                                label: format!("Remove {} {from} → {to}", kind.label()),
                                commands,
                            },
                            None,
                        );
                    }
                }
                GraphEdit::Rename { from, to } => {
                    let Some(id) = self.editing.id_of(&from) else {
                        continue;
                    };
                    if self.apply(&Edit::RenameNode { id, name: to }, None) {
                        let names = self.editing.names_of(&[id]);
                        self.graph.select_all_of(names);
                    }
                }
                GraphEdit::Delete(names) => {
                    let ids = self.editing.ids_of(&names);
                    self.apply(&Edit::DeleteNodes(ids), None);
                }
                GraphEdit::Duplicate(names) => self.duplicate(&names),
            }
        }
    }

    /// Saves to the document's file, or opens Save as if it has none. Returns whether
    /// the document was saved.
    pub(super) fn save(&mut self) -> bool {
        if let Some(path) = self
            .document
            .source
            .path()
            .map(std::path::Path::to_path_buf)
        {
            self.save_to(path)
        } else {
            self.save_as();
            false
        }
    }

    fn save_as(&mut self) {
        if !self.dialogs {
            self.path_mode = PathMode::Save;
            self.show_path_field();
            return;
        }
        let mut dialog = rfd::FileDialog::new()
            .add_filter("Scenario", &["yaml", "yml"])
            .set_file_name(default_file_name(&self.document.source));
        if let Some(folder) = self
            .document
            .source
            .path()
            .and_then(std::path::Path::parent)
        {
            dialog = dialog.set_directory(folder);
        }
        if let Some(path) = dialog.save_file() {
            self.save_to(path);
        } else {
            // Without a dialog service the result is the same as for a cancelled dialog,
            // so offer the path field as well.
            self.path_mode = PathMode::Save;
            self.show_path_field();
        }
    }

    /// Saves to a path typed into the path field, asking first if that would replace
    /// a file other than the document's own.
    pub(super) fn save_to_path_field(&mut self, path: PathBuf) {
        let own = self.document.source.path() == Some(path.as_path());
        if path.exists() && !own {
            self.confirm_overwrite = Some(path);
        } else {
            self.save_to(path);
        }
    }

    /// Shows the question whether to replace an existing file, while a save waits.
    pub(super) fn overwrite_window_ui(&mut self, ctx: &egui::Context) {
        let Some(path) = self.confirm_overwrite.clone() else {
            return;
        };
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("confirm-overwrite")).show(ctx, |ui| {
            ui.heading("Replace the file?");
            ui.label(format!(
                "{} already exists. Saving replaces its content with this scenario.",
                path.display()
            ));
            ui.horizontal(|ui| {
                if ui.button("Replace").clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    answer = Some(false);
                }
            });
        });
        match answer {
            Some(true) => {
                self.confirm_overwrite = None;
                self.save_to(path);
            }
            Some(false) => self.confirm_overwrite = None,
            None => {}
        }
    }

    /// Writes the document to `path` atomically and makes it the document's file, then
    /// carries out what waited for the save.
    pub(super) fn save_to(&mut self, path: PathBuf) -> bool {
        match save_scenario(&path, self.editing.scenario()) {
            Ok(()) => {
                self.editing.mark_saved();
                self.discard_recovery();
                self.settings.add_recent(&path);
                self.tell(format!("Saved {}", path.display()));
                self.document.source = Source::File(path);
                self.settings.last = Some(self.document.source.clone());
                self.controls.show_path_field = false;
                self.path_mode = PathMode::Open;
                self.title_changed = true;
                if let Some(pending) = self.after_save.take() {
                    self.carry_out(pending);
                }
                true
            }
            Err(error) => {
                self.warn(format!("Not saved: {error}"));
                false
            }
        }
    }

    /// Carries out `pending` now if nothing unsaved would be lost, else shows the
    /// question about unsaved changes first.
    pub(super) fn request(&mut self, pending: Pending) {
        if self.editing.is_modified() {
            self.pending = Some(pending);
        } else {
            self.carry_out(pending);
        }
    }

    fn carry_out(&mut self, pending: Pending) {
        match pending {
            Pending::Open(source) => {
                self.open(source);
            }
            Pending::New => {
                self.open(Source::Untitled);
            }
            Pending::Close => {
                self.close_confirmed = true;
                self.discard_recovery();
                self.close_requested = true;
            }
        }
    }

    /// Asks what to do with unsaved edits before a pending action, while one waits.
    pub(super) fn unsaved_window_ui(&mut self, ctx: &egui::Context) {
        let Some(pending) = self.pending.clone() else {
            return;
        };
        let what = match &pending {
            Pending::Open(source) => format!("before opening {}", source.display_name()),
            Pending::New => "before starting a new scenario".to_owned(),
            Pending::Close => "before closing".to_owned(),
        };
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("unsaved-changes")).show(ctx, |ui| {
            ui.heading("Unsaved changes");
            ui.label(format!(
                "{} has changes that are not saved. Save them {what}?",
                self.document.source.display_name()
            ));
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    answer = Some(Answer::Save);
                }
                if ui.button("Discard changes").clicked() {
                    answer = Some(Answer::Discard);
                }
                if ui.button("Cancel").clicked() {
                    answer = Some(Answer::Cancel);
                }
            });
        });
        match answer {
            Some(Answer::Save) => {
                self.pending = None;
                if self.save() {
                    self.carry_out(pending);
                } else if self.controls.show_path_field && self.path_mode == PathMode::Save {
                    // The save goes on in the path field; carry on once it is done.
                    self.after_save = Some(pending);
                }
            }
            Some(Answer::Discard) => {
                self.pending = None;
                self.carry_out(pending);
            }
            Some(Answer::Cancel) => self.pending = None,
            None => {}
        }
    }

    /// Offers the documents recovered from earlier sessions, one at a time.
    pub(super) fn recovery_window_ui(&mut self, ctx: &egui::Context) {
        let Some(entry) = self.offered.first() else {
            return;
        };
        let path = entry.path.clone();
        if self
            .recovery_preview
            .as_ref()
            .is_none_or(|preview| preview.path != path)
        {
            self.recovery_preview = Some(preview_recovery(entry));
        }
        let Some(preview) = &self.recovery_preview else {
            return;
        };
        let description = recovery_description(entry, preview);
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("recovery")).show(ctx, |ui| {
            ui.heading("Recover unsaved work?");
            let error_color = ui.visuals().error_fg_color;
            match &description {
                Ok(text) => {
                    ui.label(text);
                    ui.label("Topolab closed without saving them.");
                }
                Err(error) => {
                    ui.colored_label(error_color, error);
                }
            }
            if let Ok(restored) = &preview.restored {
                let errors = restored.error_count();
                if errors > 0 {
                    ui.label(format!(
                        "The document has {errors} {}, which the Scenario panel lists once \
                         it is recovered. Play stays disabled until they are fixed.",
                        if errors == 1 { "error" } else { "errors" }
                    ));
                }
                if let Some(incomplete) = &restored.incomplete {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "Part of the document cannot be recovered as written: \
                             {incomplete}. Recover opens the rest and keeps the recovery \
                             file {}, so that nothing is lost.",
                            path.display()
                        ),
                    );
                }
            }
            ui.horizontal(|ui| {
                if description.is_ok() && ui.button("Recover").clicked() {
                    answer = Some(Answer::Save);
                }
                if ui.button("Discard").clicked() {
                    answer = Some(Answer::Discard);
                }
                if ui
                    .button("Later")
                    .on_hover_text("Keep the file and ask again at the next start")
                    .clicked()
                {
                    answer = Some(Answer::Cancel);
                }
            });
        });
        let Some(answer) = answer else {
            return;
        };
        let entry = self.offered.remove(0);
        let preview = self.recovery_preview.take();
        match answer {
            Answer::Save => {
                if let (
                    Ok(recovery),
                    Some(RecoveryPreview {
                        restored: Ok(restored),
                        ..
                    }),
                ) = (&entry.content, preview)
                {
                    self.recover(recovery.original.clone(), restored, &path);
                }
            }
            Answer::Discard => {
                if let Err(error) = discard(&path) {
                    self.warn(error.to_string());
                }
            }
            Answer::Cancel => {}
        }
    }

    /// Makes the recovered document the open one, and discards its recovery file if the
    /// document contains everything of it.
    fn recover(&mut self, original: Option<PathBuf>, restored: Restored, path: &Path) {
        let errors = restored.error_count();
        self.editing = Editing::recovered(restored.scenario.clone());
        self.document = Document {
            source: original.map_or(Source::Untitled, Source::File),
            scenario: restored.scenario,
            warnings: Vec::new(),
        };
        self.failure = None;
        self.load_document();
        // The work now lives in this session's recovery file too.
        self.autosave_now();
        let listed = match errors {
            0 => String::new(),
            1 => "; it has 1 error, listed in the Scenario panel".to_owned(),
            n => format!("; it has {n} errors, listed in the Scenario panel"),
        };
        if let Some(incomplete) = restored.incomplete {
            tracing::warn!(path = %path.display(), %incomplete, "the recovery file is kept, because its document cannot hold all of it");
            self.warn(format!(
                "Recovered the unsaved changes{listed}. {} is kept, because part of it cannot be recovered as written: {incomplete}",
                path.display()
            ));
        } else if let Err(error) = discard(path) {
            self.warn(error.to_string());
        } else if errors > 0 {
            self.warn(format!("Recovered the unsaved changes{listed}"));
        } else {
            self.tell("Recovered the unsaved changes".to_owned());
        }
    }

    /// Writes the recovery file if it is due.
    pub(super) fn autosave(&mut self) {
        let Some(store) = &self.recovery else {
            return;
        };
        let original = self
            .document
            .source
            .path()
            .map(std::path::Path::to_path_buf);
        if let Err(error) = self
            .editing
            .autosave(store, original.as_deref(), Instant::now())
        {
            tracing::warn!(%error, "cannot write the recovery file");
            self.warn(format!("Unsaved changes are not backed up: {error}"));
        }
    }

    fn autosave_now(&mut self) {
        if let Some(store) = &self.recovery {
            let original = self.document.source.path();
            if let Err(error) = store.write(self.editing.scenario(), original) {
                tracing::warn!(%error, "cannot write the recovery file");
            }
        }
    }

    /// Removes this session's recovery file, after a save or a deliberate discard.
    pub(super) fn discard_recovery(&mut self) {
        self.editing.recovery_discarded();
        if let Some(store) = &self.recovery
            && let Err(error) = store.discard()
        {
            tracing::warn!(%error, "cannot remove the recovery file");
        }
    }

    /// Shows the inspector of the node called `name`.
    pub(super) fn inspector_ui(&mut self, ui: &mut Ui, name: &str) {
        let Some(id) = self.editing.id_of(name) else {
            return;
        };
        self.rename_field_ui(ui, id, name);
        let Some(value) = self.editing.document().value(id) else {
            return;
        };
        let context = inspector::Context {
            scenario: self.editing.scenario(),
            messages: Messages::new(self.editing.diagnostics()),
        };
        let command = match value {
            NodeValue::Client(mut client) => inspector::client_ui(ui, name, &mut client, context)
                .then_some(Edit::SetClient { id, value: client }),
            NodeValue::Service(mut service) => {
                let mut renames = Vec::new();
                let changed = inspector::service_ui(ui, name, &mut service, &mut renames, context);
                for (from, to) in renames {
                    self.apply(
                        &Edit::RenameOperation {
                            service: id,
                            from,
                            to,
                        },
                        None,
                    );
                }
                changed.then_some(Edit::SetService { id, value: service })
            }
            NodeValue::Queue(mut queue) => inspector::queue_ui(ui, name, &mut queue, context)
                .then_some(Edit::SetQueue { id, value: queue }),
        };
        if let Some(command) = command {
            let key = MergeKey::new(format!("{id}/inspector"));
            self.apply_field_edit(ui.ctx(), &command, Some(key));
        }
    }

    fn rename_field_ui(&mut self, ui: &mut Ui, id: NodeId, name: &str) {
        let renamed = ui
            .horizontal(|ui| {
                ui.label("Name");
                inspector::fields::name_field_ui(
                    ui,
                    egui::Id::unique(("rename-field", id.raw())),
                    name,
                )
            })
            .inner;
        if let Some(new_name) = renamed
            && self.apply(&Edit::RenameNode { id, name: new_name }, None)
        {
            let names = self.editing.names_of(&[id]);
            self.graph.select_all_of(names);
        }
    }

    /// Lists every keyboard shortcut and canvas gesture, while the list is open.
    pub(super) fn shortcuts_window_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.show_shortcuts;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .resizable(false)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for action in Action::WITH_SHORTCUTS {
                        if let Some(shortcut) = action.shortcut() {
                            ui.monospace(ctx.format_shortcut(&shortcut));
                            ui.label(action.tooltip());
                            ui.end_row();
                        }
                    }
                    for (keys, what) in CANVAS_GESTURES {
                        ui.monospace(*keys);
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            });
        self.show_shortcuts = open;
    }
}

/// Gestures of the canvas and keys without an action, for the shortcut list.
const CANVAS_GESTURES: &[(&str, &str)] = &[
    ("Space", "Play or pause the run"),
    ("Backspace", "Delete the selected nodes and their edges"),
    ("Ctrl+Y", "Redo the last undone edit"),
    (
        "Click",
        "Select a node; shift- or ctrl-click adds it to the selection",
    ),
    ("Shift+drag", "Select the nodes in a box"),
    ("Drag a node", "Move the selected nodes"),
    (
        "Drag a node's handle",
        "Connect it to the node where the drag ends",
    ),
    ("Double-click a node", "Rename it"),
    ("Right-click", "The menu of a node or an edge"),
    ("Drag the background", "Pan; ctrl-scroll or pinch zooms"),
    ("Double-click the background", "Zoom to fit"),
    ("Escape", "Cancel a drag or a rename"),
];

/// The choices of the dialogs about unsaved edits and recovery files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Save,
    Discard,
    Cancel,
}

/// Reads an offered recovery file's document once, for the dialog and the recovery.
fn preview_recovery(entry: &RecoveryEntry) -> RecoveryPreview {
    let restored = match &entry.content {
        Ok(recovery) => recovery.restore().map_err(|diagnostics| {
            let first = diagnostics
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            format!(
                "The recovery file {} cannot be read as a scenario: {first}",
                entry.path.display()
            )
        }),
        Err(error) => Err(error.to_string()),
    };
    RecoveryPreview {
        path: entry.path.clone(),
        restored,
    }
}

/// Writes a time elapsed in the largest unit that keeps it at least 1: "40 s", "12 min",
/// "5 h" or "3 days", rounded down.
fn elapsed_text(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3_600 => format!("{} min", seconds / 60),
        3_600..86_400 => format!("{} h", seconds / 3_600),
        86_400..172_800 => "1 day".to_owned(),
        _ => format!("{} days", seconds / 86_400),
    }
}

/// Describes what an offered recovery file holds, or why it cannot be recovered.
fn recovery_description(
    entry: &RecoveryEntry,
    preview: &RecoveryPreview,
) -> Result<String, String> {
    let recovery = entry.content.as_ref().map_err(ToString::to_string)?;
    let restored = preview.restored.as_ref().map_err(Clone::clone)?;
    let age = recovery.written_at.elapsed().map_or_else(
        |_| "just now".to_owned(),
        |age| format!("{} ago", elapsed_text(age.as_secs())),
    );
    let original = recovery.original.as_ref().map_or_else(
        // A bundled or new scenario has no file, so its title names it.
        || {
            restored.scenario.name.as_ref().map_or_else(
                || "a scenario never saved to a file".to_owned(),
                |title| format!("\"{title}\", never saved to a file"),
            )
        },
        |p| p.display().to_string(),
    );
    Ok(format!("Unsaved changes to {original}, kept {age}."))
}

fn default_file_name(source: &Source) -> String {
    match source {
        Source::Bundled(file) => file.clone(),
        Source::File(path) => path.file_name().map_or_else(
            || "scenario.yaml".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        ),
        Source::Untitled => "scenario.yaml".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::elapsed_text;

    #[test]
    fn elapsed_text_picks_largest_unit() {
        let cases = [
            (0, "0 s"),
            (59, "59 s"),
            (60, "1 min"),
            (1_084, "18 min"),
            (3_599, "59 min"),
            (3_600, "1 h"),
            (86_399, "23 h"),
            (86_400, "1 day"),
            (172_799, "1 day"),
            (172_800, "2 days"),
            (u64::MAX, "213503982334601 days"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(elapsed_text(seconds), expected, "{seconds} s");
        }
    }
}
