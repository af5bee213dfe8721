//! The application window: menus, run controls, panels and the status bar.
//!
//! Three kinds of state stay apart here. The [`Document`] is the scenario as read from
//! its file. The run state lives on the engine thread; the app only keeps the
//! [`RunHistory`] it has drained from the engine's reports. View state (panels shown,
//! pacing, recent files, the plots' and the graph's pan and zoom) belongs to the app, and
//! only [`Settings`] of it are persisted, through eframe's storage, never with the
//! scenario.

use std::path::{Path, PathBuf};
use std::time::{Duration as WallDuration, Instant};

use anyhow::Context as _;
use egui::{Key, Modifiers, RichText, Ui};

use crate::editor::round_trip::check_round_trip;
use crate::editor::{RecoveryEntry, RecoveryStore, Restored, find_recovery};
use crate::scenario::diagnostic::counted;
use crate::scenario::{self, Diagnostic, Duration};

use super::actions::Action;
use super::bundled::{self, BUNDLED};
use super::document::{Document, Source};
use super::driver::{
    Command, Driver, MAX_SPEED, MIN_SPEED, Pacing, Report, RunOverrides, RunState, Setting, Status,
    Waker,
};
use super::editing::Editing;
use super::graph::{self, GraphView};
use super::history::RunHistory;
use super::panel_size::{PLOTS, SIDE};
use super::panels::{self, DiagnosticsAction};
use super::plots::{self, PlotsView};
use super::settings::Settings;

mod clipboard;
mod connect;
mod edit;
mod run_settings;
mod selection;

/// Wall time the UI spends per frame at most on draining engine reports.
const DRAIN_BUDGET: WallDuration = WallDuration::from_millis(4);

/// Interval between repaints while a run plays, unless a report requests one sooner.
const PLAYING_REPAINT: WallDuration = WallDuration::from_millis(33);

/// A source that could not be opened, with everything wrong with it.
#[derive(Clone, Debug)]
struct OpenFailure {
    source: Source,
    diagnostics: Vec<Diagnostic>,
}

/// An offered recovery file and what it holds.
struct RecoveryPreview {
    /// The recovery file.
    path: PathBuf,
    /// The document read from it, or why its text is not a scenario.
    restored: Result<Restored, String>,
}

/// The starting point of the app.
pub struct AppOptions {
    /// A file to open instead of the last document.
    pub initial: Option<PathBuf>,
    /// Settings restored from the last session.
    pub settings: Settings,
    /// Whether File ▸ Open shows the system's file dialog; tests turn it off.
    pub dialogs: bool,
    /// Called by the engine thread after it sends reports.
    pub waker: Option<Waker>,
    /// Whether the first run starts playing as soon as it has loaded.
    pub play: bool,
    /// Pacing that replaces the one in `settings`.
    pub pacing: Option<Pacing>,
    /// Simulated time of the runs of the first document, replacing the scenario's as a
    /// duration typed in the toolbar does.
    pub duration: Option<Duration>,
    /// Folder of the recovery files, which keep unsaved edits through a crash; `None`
    /// keeps none.
    pub recovery_dir: Option<PathBuf>,
    /// Whether the window draws with a software OpenGL renderer, such as Mesa's
    /// llvmpipe, where anti-aliasing is off unless the user turns it on.
    pub software_renderer: bool,
}

/// The values of the run controls as the user edits them.
#[derive(Clone, Debug, Default)]
struct Controls {
    /// Rate factor of each client, in file order.
    rate_factors: Vec<f64>,
    /// Replicas of each service, in file order.
    replicas: Vec<u32>,
    seed: u64,
    /// The seed and duration set in the toolbar, kept across edits until another
    /// document opens.
    overrides: RunOverrides,
    /// The toolbar's duration before the last one sent to the engine, which comes back
    /// if the engine rejects that one.
    previous_duration: Option<Duration>,
    /// The message for seed text that is not a valid seed.
    seed_error: Option<String>,
    duration_text: String,
    duration_error: Option<String>,
    /// The horizon last reported by the engine, ns.
    known_duration_ns: u64,
    path_text: String,
    show_path_field: bool,
    /// Whether the path field takes the keyboard focus in the next frame.
    focus_path_field: bool,
}

/// The rectangles of the resizable panels and the canvas, in screen points; `None` for
/// a panel that is hidden.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PanelRects {
    /// The system's plots at the bottom.
    pub plots: Option<egui::Rect>,
    /// The scenario panel on the left.
    pub scenario: Option<egui::Rect>,
    /// The selected node's panel on the right.
    pub node: Option<egui::Rect>,
    /// The graph canvas between them.
    pub canvas: Option<egui::Rect>,
}

/// A message in the status bar.
#[derive(Clone, Debug)]
struct Notice {
    text: String,
    is_error: bool,
}

/// A user request that would drop unsaved edits, waiting for the user's choice.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pending {
    /// Open another document.
    Open(Source),
    /// Start an empty document.
    New,
    /// Close the window.
    Close,
}

/// The use of the path typed into the path field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum PathMode {
    /// Open the file.
    #[default]
    Open,
    /// Save the document to the file.
    Save,
}

/// The Topolab window.
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent flags of the window, each with its own meaning"
)]
pub struct TopolabApp {
    /// The document's source and warnings, and a copy of the edited scenario that
    /// [`TopolabApp::sync_document`] keeps equal to `editing`'s.
    document: Document,
    editing: Editing,
    recovery: Option<RecoveryStore>,
    /// Recovery files of earlier sessions, offered at start.
    offered: Vec<RecoveryEntry>,
    /// The recovery offered now, read once rather than on every frame.
    recovery_preview: Option<RecoveryPreview>,
    pending: Option<Pending>,
    close_confirmed: bool,
    /// Whether the next frame closes the window, after the user confirmed it.
    close_requested: bool,
    fonts_installed: bool,
    software_renderer: bool,
    /// The anti-aliasing last applied to the context.
    applied_smoothing: Option<bool>,
    /// A file that a save would replace, waiting for the user to confirm.
    confirm_overwrite: Option<PathBuf>,
    /// The request to carry out once a save, still waiting for its file, is done.
    after_save: Option<Pending>,
    connect: Option<connect::ConnectChoice>,
    show_shortcuts: bool,
    path_mode: PathMode,
    /// Whether the engine still runs an older document, because the current one has
    /// errors.
    engine_stale: bool,
    /// Whether the run starts playing once the engine reports it, as `--play` requests.
    play_on_load: bool,
    /// The phase of the run as of the reports drained this frame, or `None` before a
    /// run exists. Edits read it here, because the node panel borrows the history while
    /// it draws the inspector.
    run_phase: Option<RunState>,
    /// A paste waiting for the system clipboard's text.
    pending_paste: Option<clipboard::PendingPaste>,
    last_title: String,
    failure: Option<OpenFailure>,
    history: RunHistory,
    driver: Driver,
    settings: Settings,
    controls: Controls,
    /// The system's plots, in the bottom panel.
    plots: PlotsView,
    /// The selected node's plots, in its side panel.
    node_plots: PlotsView,
    /// The canvas's view state, which includes the selection.
    graph: GraphView,
    /// The rectangles of the resizable panels and the canvas in the last frame.
    layout: PanelRects,
    notice: Option<Notice>,
    dialogs: bool,
    /// Title of each bundled scenario, for the Scenarios menu.
    bundled_titles: Vec<(&'static str, String)>,
    title_changed: bool,
    /// The widget that had the keyboard focus at the end of the last frame.
    last_focus: Option<egui::Id>,
}

impl TopolabApp {
    /// Starts the engine thread and opens the first document: `options.initial`, else
    /// the last document, else the bundled default. A source that cannot be opened
    /// leaves the default open and lists its errors.
    ///
    /// Fails if the engine thread cannot start, or if the bundled default scenario is
    /// invalid, which a test rules out.
    pub fn new(options: AppOptions) -> anyhow::Result<Self> {
        let default = bundled::DEFAULT.load().map_err(|diagnostics| {
            let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "the bundled default scenario is invalid:\n{}",
                messages.join("\n")
            )
        })?;
        let bundled_titles = BUNDLED
            .iter()
            .map(|b| {
                let title = b
                    .load()
                    .ok()
                    .and_then(|loaded| loaded.scenario.name)
                    .unwrap_or_default();
                (b.file, title)
            })
            .collect();
        let mut recovery_error = None;
        let recovery = match options.recovery_dir.clone().map(RecoveryStore::open) {
            Some(Ok(store)) => Some(store),
            Some(Err(error)) => {
                tracing::warn!(%error, "cannot open the recovery file");
                recovery_error = Some(error);
                None
            }
            None => None,
        };
        let offered = options
            .recovery_dir
            .as_deref()
            .map(offered_recoveries)
            .unwrap_or_default();
        let mut app = Self {
            editing: Editing::new(default.scenario.clone()),
            recovery,
            offered,
            recovery_preview: None,
            pending: None,
            close_confirmed: false,
            close_requested: false,
            fonts_installed: false,
            software_renderer: options.software_renderer,
            applied_smoothing: None,
            confirm_overwrite: None,
            after_save: None,
            connect: None,
            show_shortcuts: false,
            path_mode: PathMode::Open,
            engine_stale: false,
            play_on_load: false,
            run_phase: None,
            pending_paste: None,
            last_title: String::new(),
            document: Document {
                source: Source::Bundled(bundled::DEFAULT.file.to_owned()),
                scenario: default.scenario,
                warnings: default.warnings,
            },
            failure: None,
            history: RunHistory::default(),
            driver: Driver::spawn(options.waker).context("cannot start the engine thread")?,
            settings: options.settings,
            controls: Controls::default(),
            plots: PlotsView::default(),
            node_plots: PlotsView::default(),
            graph: GraphView::default(),
            layout: PanelRects::default(),
            notice: None,
            dialogs: options.dialogs,
            bundled_titles,
            title_changed: true,
            last_focus: None,
        };
        app.graph.editable = true;
        if let Some(pacing) = options.pacing {
            app.settings.set_pacing(pacing);
        }
        let pacing = app.settings.pacing();
        app.driver.send(Command::SetSpeed(pacing));
        let first = options
            .initial
            .map(Source::File)
            .or_else(|| app.settings.last.clone())
            .unwrap_or_else(|| app.document.source.clone());
        let opened = first != app.document.source && app.open(first);
        if !opened {
            app.load_document();
        }
        if let Some(error) = recovery_error {
            app.warn(format!("Unsaved changes are not backed up: {error}"));
        }
        if let Some(duration) = options.duration.filter(|d| d.as_nanos() > 0) {
            app.controls.overrides.duration = Some(duration);
            app.driver.send(Command::SetDuration(duration));
        }
        if options.play {
            match &app.failure {
                Some(failure) => {
                    let reason = format!(
                        "Not playing: {} could not be opened",
                        failure.source.display_name()
                    );
                    app.warn(reason);
                }
                None => app.play_on_load = true,
            }
        }
        Ok(app)
    }

    /// Returns the open document.
    #[must_use]
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Returns the editing state: the document, its history and its messages.
    #[must_use]
    pub fn editing(&self) -> &Editing {
        &self.editing
    }

    /// Returns whether lines and shapes are anti-aliased: the user's choice, else on
    /// unless the renderer is software OpenGL.
    #[must_use]
    pub fn smooth_lines(&self) -> bool {
        self.settings
            .smooth_lines
            .unwrap_or(!self.software_renderer)
    }

    /// Returns the window title last sent, with ● while there are unsaved changes.
    #[must_use]
    pub fn window_title(&self) -> &str {
        &self.last_title
    }

    /// Returns the message shown in the status bar, if any.
    #[must_use]
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|notice| notice.text.as_str())
    }

    /// Returns the recovery files of earlier sessions that the app offers.
    #[must_use]
    pub fn offered_recoveries(&self) -> &[RecoveryEntry] {
        &self.offered
    }

    /// Returns the app's copy of the current run.
    #[must_use]
    pub fn history(&self) -> &RunHistory {
        &self.history
    }

    /// Returns the view state of the system's plots.
    #[must_use]
    pub fn plots(&self) -> &PlotsView {
        &self.plots
    }

    /// Returns where the resizable panels and the canvas were drawn in the last frame.
    #[must_use]
    pub fn panel_rects(&self) -> PanelRects {
        self.layout
    }

    /// Returns the view state of the selected node's plots.
    #[must_use]
    pub fn node_plots(&self) -> &PlotsView {
        &self.node_plots
    }

    /// Returns the persisted view settings.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Returns the selected node's name.
    #[must_use]
    pub fn selection(&self) -> Option<&str> {
        self.graph.selection()
    }

    /// Selects the node called `name`, or clears the selection.
    pub fn select(&mut self, name: Option<String>) {
        self.graph.select(name);
    }

    /// Selects the nodes called `names`, the last one as the primary selection.
    pub fn select_nodes(&mut self, names: Vec<String>) {
        self.graph.select_all_of(names);
    }

    /// Returns the rectangle in which the canvas drew the node called `name` in the last
    /// frame, in screen points.
    #[must_use]
    pub fn graph_node_rect(&self, name: &str) -> Option<egui::Rect> {
        self.graph.node_screen_rect(name)
    }

    /// Returns the diagnostics of the last source that could not be opened.
    #[must_use]
    pub fn failed_diagnostics(&self) -> Option<&[Diagnostic]> {
        self.failure.as_ref().map(|f| f.diagnostics.as_slice())
    }

    /// Sets the text of the path field, as typing into it would.
    pub fn set_path_text(&mut self, text: &str) {
        text.clone_into(&mut self.controls.path_text);
        self.controls.show_path_field = true;
    }

    /// Opens `source` unless the document has unsaved edits, in which case the app
    /// shows the question about them first.
    pub fn request_open(&mut self, source: Source) {
        if self.editing.is_modified() {
            self.pending = Some(Pending::Open(source));
        } else {
            self.open(source);
        }
    }

    /// Opens `source` and returns whether it opened, dropping unsaved edits. On success
    /// the engine loads it and a new run starts. A file whose errors the editor can hold,
    /// such as one saved in the middle of an edit, opens with its errors listed and
    /// without a run. Otherwise the current document stays and the errors are listed.
    pub fn open(&mut self, source: Source) -> bool {
        let result = match &source {
            Source::Untitled => Ok(scenario::Loaded {
                scenario: scenario::Scenario::default(),
                sources: scenario::SourceMap::default(),
                warnings: Vec::new(),
            }),
            Source::Bundled(file) => {
                let Some(bundled) = bundled::find(file) else {
                    tracing::warn!(file, "unknown bundled scenario; keeping the current one");
                    return false;
                };
                bundled.load()
            }
            Source::File(path) => {
                scenario::check_regular_file(path).and_then(|()| scenario::load_file(path))
            }
        };
        // A file that cannot be read at all, such as a missing file or a named pipe, is
        // not worth offering again.
        let readable = source.path().is_some_and(Path::is_file);
        if let (Source::File(path), true) = (&source, readable) {
            self.settings.add_recent(path);
        }
        match result {
            Ok(loaded) => {
                tracing::info!(source = %source.display_name(), "scenario opened");
                self.editing = Editing::new(loaded.scenario.clone());
                self.discard_recovery();
                self.document = Document {
                    source,
                    scenario: loaded.scenario,
                    warnings: loaded.warnings,
                };
                self.failure = None;
                self.load_document();
                self.notice = Some(Notice {
                    text: format!("Opened {}", self.document.source.display_name()),
                    is_error: false,
                });
                true
            }
            Err(diagnostics) => {
                if let Some((scenario, diagnostics)) = source
                    .path()
                    .filter(|_| readable)
                    .and_then(editable_with_errors)
                {
                    self.open_with_errors(source, scenario, diagnostics);
                    return true;
                }
                tracing::info!(
                    source = %source.display_name(),
                    errors = diagnostics.len(),
                    "scenario could not be opened"
                );
                self.notice = Some(Notice {
                    text: format!("{} could not be opened", source.display_name()),
                    is_error: true,
                });
                self.failure = Some(OpenFailure {
                    source,
                    diagnostics,
                });
                false
            }
        }
    }

    /// Opens a file whose `diagnostics` include errors that the document holds, as a
    /// document that the user edited into that state.
    fn open_with_errors(
        &mut self,
        source: Source,
        scenario: scenario::Scenario,
        diagnostics: Vec<Diagnostic>,
    ) {
        let warnings = diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .cloned()
            .collect();
        self.editing = Editing::opened(scenario.clone(), diagnostics);
        self.discard_recovery();
        self.document = Document {
            source,
            scenario,
            warnings,
        };
        self.failure = None;
        self.load_document();
        let errors = self.editing.error_count();
        tracing::info!(source = %self.document.source.display_name(), errors, "scenario opened with errors");
        self.warn(format!(
            "Opened {} with {errors} {}; fix {} to run it",
            self.document.source.display_name(),
            if errors == 1 { "error" } else { "errors" },
            if errors == 1 { "it" } else { "them" },
        ));
    }

    /// Sends the document to the engine, or drops the engine's run if the document has
    /// errors, and resets what depends on the old document.
    fn load_document(&mut self) {
        if self.document.source != Source::Untitled {
            self.settings.last = Some(self.document.source.clone());
        }
        self.graph.select(None);
        self.graph.zoom_to_fit();
        self.title_changed = true;
        // Another document runs with its own seed and duration.
        self.controls.overrides = RunOverrides::default();
        if self.editing.error_count() == 0 {
            self.reload_engine();
        } else {
            self.unload_engine();
        }
    }

    /// Carries out `action`.
    pub fn perform(&mut self, ctx: &egui::Context, action: Action) {
        if self.perform_edit(ctx, action) {
            return;
        }
        match action {
            Action::Play | Action::Step => self.start_run(action),
            Action::Pause => self.driver.send(Command::Pause),
            Action::Reset => self.driver.send(Command::Reset),
            Action::Open => self.open_dialog(),
            Action::OpenPath => self.show_path_field(),
            Action::Reload => {
                let source = self
                    .failure
                    .as_ref()
                    .map_or_else(|| self.document.source.clone(), |f| f.source.clone());
                self.request_open(source);
            }
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            _ => {}
        }
    }

    /// Returns why `action`, Play or Step, cannot start or advance the run now, or
    /// `None` when it can. The toolbar, the Run menu, the keys and `--play` all follow
    /// this rule.
    fn run_refusal(&self, action: Action) -> Option<String> {
        let errors = self.editing.error_count();
        if errors > 0 {
            let first = self
                .editing
                .diagnostics()
                .iter()
                .find(|d| d.is_error())
                .map(ToString::to_string)
                .unwrap_or_default();
            return Some(format!(
                "The scenario has {}; fix {} to run it. {first}",
                counted(errors, "error", "errors"),
                if errors == 1 { "it" } else { "them" },
            ));
        }
        if self.history.info().is_none() {
            return Some("No scenario is loaded into the engine yet".to_owned());
        }
        match (action, self.history.state()) {
            (_, RunState::Failed) => {
                Some("The run stopped with an error; press Reset to start it again".to_owned())
            }
            (Action::Play, RunState::Playing) => Some("The run is already playing".to_owned()),
            (Action::Step, RunState::Finished) => {
                Some("The run has finished; press Play or Reset to run it again".to_owned())
            }
            _ => None,
        }
    }

    /// Plays or steps the run, or shows why it cannot.
    fn start_run(&mut self, action: Action) {
        if let Some(reason) = self.run_refusal(action) {
            let verb = if action == Action::Play {
                "play"
            } else {
                "step"
            };
            tracing::info!(%reason, "run not started");
            self.warn(format!("Cannot {verb}: {}", lowercase_first(&reason)));
            return;
        }
        let command = if action == Action::Play {
            Command::Play
        } else {
            Command::Step
        };
        self.driver.send(command);
    }

    fn show_path_field(&mut self) {
        self.controls.show_path_field = true;
        self.controls.focus_path_field = true;
    }

    fn open_dialog(&mut self) {
        self.path_mode = PathMode::Open;
        if !self.dialogs {
            self.show_path_field();
            return;
        }
        let mut dialog = rfd::FileDialog::new().add_filter("Scenario", &["yaml", "yml"]);
        if let Source::File(path) = &self.document.source
            && let Some(folder) = path.parent()
        {
            dialog = dialog.set_directory(folder);
        }
        match dialog.pick_file() {
            Some(path) => {
                self.request_open(Source::File(path));
            }
            None => {
                // Without a file dialog service (as under a bare X server) this is
                // also what comes back, so offer the path field.
                self.show_path_field();
            }
        }
    }

    /// Draws the whole window into `ui`; the eframe app and the tests both call it.
    pub fn ui(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        if !std::mem::replace(&mut self.fonts_installed, true) {
            install_fallback_font(&ctx);
        }
        let smooth = self.smooth_lines();
        if self.applied_smoothing != Some(smooth) {
            ctx.tessellation_options_mut(|options| options.feathering = smooth);
            self.applied_smoothing = Some(smooth);
        }
        self.drain_reports();
        self.handle_close(&ctx);
        self.handle_dropped_files(&ctx);
        self.handle_shortcuts(&ctx);
        let title = format!(
            "{}{} — Topolab",
            if self.editing.is_modified() {
                "● "
            } else {
                ""
            },
            self.document.source.display_name()
        );
        if std::mem::take(&mut self.title_changed) || title != self.last_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.last_title = title;
        }
        if self.graph.marked != *self.editing.nodes_with_errors() {
            self.graph
                .marked
                .clone_from(self.editing.nodes_with_errors());
        }

        egui::Panel::top("menu-bar").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        if self.controls.show_path_field {
            egui::Panel::top("path-field").show(ui, |ui| self.path_field_ui(ui));
        }
        if self.failure.is_some() {
            egui::Panel::top("diagnostics").show(ui, |ui| self.diagnostics_ui(ui));
        }
        egui::Panel::bottom("status-bar").show(ui, |ui| self.status_bar_ui(ui));
        self.resizable_panels_ui(ui);

        file_hover_overlay(&ctx);
        self.unsaved_window_ui(&ctx);
        self.overwrite_window_ui(&ctx);
        self.recovery_window_ui(&ctx);
        self.connect_window_ui(&ctx);
        self.shortcuts_window_ui(&ctx);

        // Edits merge into one undo step while one field keeps the focus or a drag goes
        // on. Moving the focus ends the step, so that typing in a field and then clicking
        // a checkbox of the same node are two steps.
        let focus = ctx.memory(egui::Memory::focused);
        let editing_field = (focus.is_some() || ctx.input(|input| input.pointer.any_down()))
            && focus == self.last_focus;
        if !editing_field {
            self.editing.end_merge();
        }
        self.last_focus = focus;
        self.autosave();
        if self.editing.is_modified() && self.recovery.is_some() {
            // The recovery file is written on a frame, so one comes while changes wait.
            ctx.request_repaint_after(super::editing::AUTOSAVE_INTERVAL);
        }

        if self.history.state() == RunState::Playing {
            ctx.request_repaint_after(PLAYING_REPAINT);
        }
        self.driver.flush();
    }

    /// Draws the plots, the scenario panel, the selected node's panel and the canvas
    /// between them. Each panel takes a bounded share of the window, so that the graph
    /// keeps room in a small window.
    fn resizable_panels_ui(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        let window = ctx.content_rect().size();
        let dragging = ctx.input(|input| input.pointer.any_down());
        self.layout = PanelRects::default();
        if self.settings.panels.plots {
            let panel = egui::Panel::bottom("plots").resizable(true);
            let panel = self
                .settings
                .panel_sizes
                .plots
                .apply(panel, PLOTS, window.y);
            let shown = panel.show(ui, |ui| {
                plots::system_plots_ui(ui, &mut self.plots, &self.history);
            });
            let rect = shown.response.rect;
            self.settings
                .panel_sizes
                .plots
                .update(rect.height(), window.y, dragging);
            self.layout.plots = Some(rect);
        } else {
            self.settings.panel_sizes.plots.forget_window();
        }
        if self.settings.panels.scenario {
            let panel = egui::Panel::left("scenario-panel").resizable(true);
            let panel = self
                .settings
                .panel_sizes
                .scenario
                .apply(panel, SIDE, window.x);
            let shown = panel.show(ui, |ui| self.scenario_panel_ui(ui));
            let rect = shown.response.rect;
            self.settings
                .panel_sizes
                .scenario
                .update(rect.width(), window.x, dragging);
            self.layout.scenario = Some(rect);
        } else {
            self.settings.panel_sizes.scenario.forget_window();
        }
        let several = self.graph.selected_nodes().len() > 1;
        let node = self
            .graph
            .selection()
            .map(str::to_owned)
            .filter(|_| self.settings.panels.node);
        if let Some(name) = node {
            let panel = egui::Panel::right("node-panel").resizable(true);
            let panel = self.settings.panel_sizes.node.apply(panel, SIDE, window.x);
            let shown = panel.show(ui, |ui| {
                if several {
                    self.selection_panel_ui(ui);
                    return;
                }
                let scenario = self.document.scenario.clone();
                let history = std::mem::take(&mut self.history);
                let mut node_plots = std::mem::take(&mut self.node_plots);
                panels::node_panel_ui(ui, &name, &scenario, &history, &mut node_plots, |ui| {
                    self.inspector_ui(ui, &name);
                });
                self.history = history;
                self.node_plots = node_plots;
            });
            let rect = shown.response.rect;
            self.settings
                .panel_sizes
                .node
                .update(rect.width(), window.x, dragging);
            self.layout.node = Some(rect);
        } else {
            self.settings.panel_sizes.node.forget_window();
        }
        let canvas = egui::CentralPanel::default().show(ui, |ui| self.canvas_ui(ui));
        self.layout.canvas = Some(canvas.response.rect);
    }

    /// Folds the reports that have arrived into the history, for [`DRAIN_BUDGET`] at
    /// most, so that a flood of reports cannot stall a frame.
    fn drain_reports(&mut self) {
        let started = Instant::now();
        while started.elapsed() < DRAIN_BUDGET {
            let Some(report) = self.driver.try_recv() else {
                break;
            };
            let started = matches!(report, Report::Started(_));
            if let Report::Started(info) = &report {
                self.controls.rate_factors.clone_from(&info.rate_factors);
                self.controls.replicas.clone_from(&info.replicas);
                self.controls.seed = info.config.seed;
                // The next status shows the new run's duration, without an older error.
                self.controls.known_duration_ns = 0;
            }
            // A rejected duration is shown at its field, which clears the message once
            // a valid duration is applied or a new run starts.
            if let Report::Rejected {
                message,
                setting: Some(Setting::Duration),
            } = &report
            {
                self.controls.duration_error = Some(message.clone());
                self.controls.overrides.duration = self.controls.previous_duration;
                continue;
            }
            if let Report::Unloaded = &report {
                self.controls.rate_factors.clear();
                self.controls.replicas.clear();
            }
            if let Some(message) = self.history.apply(report) {
                self.notice = Some(Notice {
                    text: message,
                    is_error: true,
                });
            }
            if started && std::mem::take(&mut self.play_on_load) {
                self.start_run(Action::Play);
            }
        }
        self.history.update_live();
        self.run_phase = self.history.info().map(|_| self.history.state());
        if let Some(status) = self.history.status()
            && status.duration_ns != self.controls.known_duration_ns
        {
            self.controls.known_duration_ns = status.duration_ns;
            self.controls.duration_text = Duration::from_nanos(status.duration_ns).to_string();
            self.controls.duration_error = None;
        }
        if !self.driver.is_connected() {
            self.notice = Some(Notice {
                text: "The engine thread has stopped; restart Topolab to run again".to_owned(),
                is_error: true,
            });
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .collect()
        });
        let Some(path) = dropped.into_iter().next() else {
            return;
        };
        if is_scenario_file(&path) {
            self.request_open(Source::File(path));
        } else {
            self.notice = Some(Notice {
                text: format!("{} is not a .yaml scenario file", path.display()),
                is_error: true,
            });
        }
    }

    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        // Keys without modifiers belong to the focused widget, if any: a text field takes
        // them as text, a slider moves on arrows and a button presses on Space.
        // A text field also takes the shortcuts of text editing: undo, copy, paste and
        // select all work on its text, not on the document, while it has the focus.
        let typing = ctx.egui_wants_keyboard_input() || ctx.memory(|m| m.focused().is_some());
        let text_editing = [
            Action::Undo,
            Action::Redo,
            Action::Copy,
            Action::Paste,
            Action::SelectAll,
        ];
        self.handle_paste_events(ctx, typing);
        // Redo comes before undo, whose shortcut is redo's without shift.
        let actions = [
            Action::Step,
            Action::Reset,
            Action::New,
            Action::Open,
            Action::OpenPath,
            Action::SaveAs,
            Action::Save,
            Action::Reload,
            Action::Quit,
            Action::Redo,
            Action::Undo,
            Action::Copy,
            Action::Paste,
            Action::Duplicate,
            Action::Delete,
            Action::SelectAll,
            Action::Rename,
            Action::Arrange,
            Action::Shortcuts,
        ];
        for action in actions {
            let Some(shortcut) = action.shortcut() else {
                continue;
            };
            if typing && (shortcut.modifiers.is_none() || text_editing.contains(&action)) {
                continue;
            }
            if !ctx.input_mut(|input| input.consume_shortcut(&shortcut)) {
                continue;
            }
            if action == Action::Paste {
                // A backend that sends the key itself, rather than a paste event.
                let pointer = self.pointer_on_canvas(ctx);
                self.request_paste(ctx, pointer);
            } else {
                self.perform(ctx, action);
            }
        }
        // The windowing layer turns the copy key into an event of its own, without a
        // key event, so that is taken here; paste events are taken above.
        if !typing {
            for (event, action) in [
                (egui::Event::Copy, Action::Copy),
                (egui::Event::Cut, Action::Copy),
            ] {
                if take_event(ctx, |e| *e == event) {
                    self.perform(ctx, action);
                }
            }
        }
        let redo_y = egui::KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
        if !typing && ctx.input_mut(|input| input.consume_shortcut(&redo_y)) {
            self.perform(ctx, Action::Redo);
        }
        if !typing
            && !self.graph.selected_nodes().is_empty()
            && ctx.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Backspace))
        {
            self.perform(ctx, Action::Delete);
        }
        if !typing && ctx.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Space)) {
            let action = if self.history.state() == RunState::Playing {
                Action::Pause
            } else {
                Action::Play
            };
            self.perform(ctx, action);
        }
    }

    fn action_button(&mut self, ui: &mut Ui, action: Action, enabled: bool) -> egui::Response {
        let mut tooltip = action.tooltip().to_owned();
        if let Some(shortcut) = action.shortcut() {
            tooltip.push_str(&format!(" ({})", ui.ctx().format_shortcut(&shortcut)));
        } else if matches!(action, Action::Play | Action::Pause) {
            tooltip.push_str(" (Space)");
        }
        let response = ui
            .add_enabled(enabled, egui::Button::new(action.label()))
            .on_hover_text(tooltip);
        if response.clicked() {
            self.perform(ui.ctx(), action);
        }
        response
    }

    fn menu_entry(&mut self, ui: &mut Ui, action: Action) {
        self.menu_entry_enabled(ui, action, true);
    }

    fn menu_entry_enabled(&mut self, ui: &mut Ui, action: Action, enabled: bool) -> egui::Response {
        let mut button = egui::Button::new(action.label());
        if let Some(shortcut) = action.shortcut() {
            button = button.shortcut_text(ui.ctx().format_shortcut(&shortcut));
        } else if matches!(action, Action::Play | Action::Pause) {
            button = button.shortcut_text("Space");
        }
        let response = ui
            .add_enabled(enabled, button)
            .on_hover_text(action.tooltip());
        if response.clicked() {
            self.perform(ui.ctx(), action);
        }
        response
    }

    fn menu_bar_ui(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                self.menu_entry(ui, Action::New);
                self.menu_entry(ui, Action::Open);
                self.menu_entry(ui, Action::OpenPath);
                self.menu_entry(ui, Action::Reload);
                ui.menu_button("Recent files", |ui| self.recent_menu_ui(ui));
                ui.separator();
                self.menu_entry(ui, Action::Save);
                self.menu_entry(ui, Action::SaveAs);
                ui.separator();
                self.menu_entry(ui, Action::Quit);
            });
            ui.menu_button("Edit", |ui| self.edit_menu_ui(ui));
            ui.menu_button("Run", |ui| self.run_menu_ui(ui));
            ui.menu_button("Scenarios", |ui| {
                for (file, title) in self.bundled_titles.clone() {
                    let label = if title.is_empty() {
                        file.to_owned()
                    } else {
                        format!("{title} ({file})")
                    };
                    if ui.button(label).clicked() {
                        self.request_open(Source::Bundled(file.to_owned()));
                    }
                }
            });
            ui.menu_button("View", |ui| {
                ui.checkbox(&mut self.settings.panels.scenario, "Scenario panel");
                ui.checkbox(&mut self.settings.panels.node, "Selected node panel");
                ui.checkbox(&mut self.settings.panels.plots, "Plots");
                ui.separator();
                let mut smooth = self.smooth_lines();
                let response = ui.checkbox(&mut smooth, "Smooth lines").on_hover_text(
                    "Anti-aliased lines and shapes. Off at first on software OpenGL, where \
                     it costs about a third of each frame",
                );
                if response.changed() {
                    self.settings.smooth_lines = Some(smooth);
                }
            });
            ui.menu_button("Help", |ui| self.menu_entry(ui, Action::Shortcuts));
        });
    }

    fn run_menu_ui(&mut self, ui: &mut Ui) {
        let playing = self.history.state() == RunState::Playing;
        for action in [Action::Play, Action::Pause, Action::Step, Action::Reset] {
            let refusal = match action {
                Action::Play | Action::Step => self.run_refusal(action),
                Action::Pause => (!playing).then(|| "The run is not playing".to_owned()),
                _ => self
                    .history
                    .info()
                    .is_none()
                    .then(|| "No scenario is loaded into the engine yet".to_owned()),
            };
            let response = self.menu_entry_enabled(ui, action, refusal.is_none());
            if let Some(reason) = refusal {
                response.on_disabled_hover_text(reason);
            }
        }
    }

    fn edit_menu_ui(&mut self, ui: &mut Ui) {
        let history = self.editing.history();
        let undo = history.undo_label().map(|label| format!("Undo {label}"));
        let redo = history.redo_label().map(|label| format!("Redo {label}"));
        for (action, label) in [(Action::Undo, undo), (Action::Redo, redo)] {
            let enabled = label.is_some();
            let mut button = egui::Button::new(label.unwrap_or_else(|| action.label().to_owned()));
            if let Some(shortcut) = action.shortcut() {
                button = button.shortcut_text(ui.ctx().format_shortcut(&shortcut));
            }
            if ui.add_enabled(enabled, button).clicked() {
                self.perform(ui.ctx(), action);
            }
        }
        ui.separator();
        let selected = !self.graph.selected_nodes().is_empty();
        // The system clipboard's text is read only on request, so Paste stays enabled.
        for (action, enabled) in [
            (Action::Copy, selected),
            (Action::Paste, true),
            (Action::Duplicate, selected),
            (Action::Delete, selected),
            (Action::SelectAll, true),
            (Action::Rename, selected),
        ] {
            ui.add_enabled_ui(enabled, |ui| self.menu_entry(ui, action));
        }
        ui.separator();
        self.menu_entry(ui, Action::Arrange);
    }

    fn recent_menu_ui(&mut self, ui: &mut Ui) {
        if self.settings.recent.is_empty() {
            ui.weak("No recent files");
            return;
        }
        for path in self.settings.recent.clone() {
            if ui.button(path.display().to_string()).clicked() {
                self.request_open(Source::File(path));
            }
        }
        ui.separator();
        if ui.button("Clear recent files").clicked() {
            self.settings.recent.clear();
        }
    }

    fn toolbar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            let playing = self.history.state() == RunState::Playing;
            for action in [Action::Play, Action::Step] {
                let refusal = self.run_refusal(action);
                let button = self.action_button(ui, action, refusal.is_none());
                if let Some(reason) = &refusal {
                    button.on_disabled_hover_text(reason);
                }
                if action == Action::Play {
                    self.action_button(ui, Action::Pause, playing);
                }
            }
            self.action_button(ui, Action::Reset, self.history.info().is_some());
            ui.separator();
            self.speed_ui(ui);
            ui.separator();
            self.seed_ui(ui);
            ui.separator();
            self.duration_ui(ui);
        });
        self.field_errors_ui(ui);
    }

    fn speed_ui(&mut self, ui: &mut Ui) {
        let before = self.settings.pacing();
        ui.add_enabled_ui(!self.settings.unpaced, |ui| {
            ui.add(
                egui::Slider::new(&mut self.settings.speed, MIN_SPEED..=MAX_SPEED)
                    .logarithmic(true)
                    .suffix("×")
                    .text("speed"),
            )
            .on_hover_text("Simulated seconds per wall second");
        });
        ui.checkbox(&mut self.settings.unpaced, "As fast as possible")
            .on_hover_text("Play without pacing; the results are the same at every speed");
        let after = self.settings.pacing();
        if after != before {
            self.driver.send(Command::SetSpeed(after));
        }
    }

    fn seed_ui(&mut self, ui: &mut Ui) {
        let label = ui.label("Seed");
        // A text field, because a drag field goes through f64 and rounds seeds past 2^53.
        let field =
            super::inspector::fields::whole_number_field(ui, &mut self.controls.seed, 0, u64::MAX);
        field.response.labelled_by(label.id).on_hover_text(
            "Seed of every random stream, a whole number from 0 to 18446744073709551615; \
             press Enter to start a new run with it",
        );
        self.controls.seed_error = field.error.map(|error| format!("Seed {error}"));
        if field.changed {
            self.controls.overrides.seed = Some(self.controls.seed);
            self.driver.send(Command::SetSeed(self.controls.seed));
        }
    }

    fn duration_ui(&mut self, ui: &mut Ui) {
        let label = ui.label("Duration");
        // The field grows with its text, so that a long value shows whole.
        let mut edit = egui::TextEdit::singleline(&mut self.controls.duration_text)
            .desired_width(64.0)
            .clip_text(false)
            .hint_text("60s");
        if self.controls.duration_error.is_some() {
            edit = edit.text_color(ui.visuals().error_fg_color);
        }
        let response = ui.add(edit).labelled_by(label.id);
        let hover = self.controls.duration_error.clone().unwrap_or_else(|| {
            "Simulated time to run, such as 90s or 5m; press Enter to apply".to_owned()
        });
        let response = response.on_hover_text(hover);
        let current = Duration::from_nanos(self.controls.known_duration_ns).to_string();
        let edited = self.controls.duration_text.trim() != current;
        if response.lost_focus() && ui.input(|input| input.key_pressed(Key::Escape)) {
            // Escape drops the typed text.
            self.controls.duration_text = current;
            self.controls.duration_error = None;
        } else if response.lost_focus() && edited || submitted(ui, &response) {
            match Duration::parse(&self.controls.duration_text) {
                Ok(duration) if duration.as_nanos() > 0 => {
                    self.controls.duration_error = None;
                    // NOTE: two durations sent before the engine replies to the first can
                    // restore the wrong one if the first is rejected.
                    self.controls.previous_duration = self.controls.overrides.duration;
                    self.controls.overrides.duration = Some(duration);
                    self.driver.send(Command::SetDuration(duration));
                }
                Ok(_) => {
                    self.controls.duration_error =
                        Some("The duration must be greater than zero".to_owned());
                }
                Err(message) => {
                    let text = self.controls.duration_text.trim();
                    self.controls.duration_error = Some(format!("Duration {text:?} {message}"));
                }
            }
        }
    }

    /// Shows the errors of the toolbar's fields on lines of their own under the
    /// controls, where a long message wraps instead of running off the toolbar.
    fn field_errors_ui(&self, ui: &mut Ui) {
        let errors = [&self.controls.seed_error, &self.controls.duration_error];
        for error in errors.into_iter().flatten() {
            ui.add(
                egui::Label::new(RichText::new(error).color(ui.visuals().error_fg_color)).wrap(),
            );
        }
    }

    fn path_field_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.label(match self.path_mode {
                PathMode::Open => "Open path",
                PathMode::Save => "Save to path",
            });
            let hint = match self.path_mode {
                PathMode::Open => "scenarios/mm1.yaml",
                PathMode::Save => "my-scenario.yaml",
            };
            let response = ui.add(
                egui::TextEdit::singleline(&mut self.controls.path_text)
                    .desired_width(420.0)
                    .hint_text(hint),
            );
            if std::mem::take(&mut self.controls.focus_path_field) {
                response.request_focus();
            }
            let label = match self.path_mode {
                PathMode::Open => "Open",
                PathMode::Save => "Save",
            };
            let open = ui.button(label).clicked() || submitted(ui, &response);
            if open {
                let text = self.controls.path_text.trim();
                if text.is_empty() {
                    self.notice = Some(Notice {
                        text: "Type the path of a scenario file first".to_owned(),
                        is_error: true,
                    });
                } else {
                    let path = PathBuf::from(text);
                    match self.path_mode {
                        PathMode::Open => self.request_open(Source::File(path)),
                        PathMode::Save => self.save_to_path_field(path),
                    }
                }
            }
            if ui.button("Close").clicked() {
                self.controls.show_path_field = false;
                self.after_save = None;
            }
        });
    }

    fn diagnostics_ui(&mut self, ui: &mut Ui) {
        let Some(failure) = &self.failure else {
            return;
        };
        let title = format!("{} is invalid", failure.source.display_name());
        let note = format!("{} stays open.", self.document.source.display_name());
        match panels::diagnostics_ui(ui, &title, &failure.diagnostics, &note) {
            Some(DiagnosticsAction::Reload) => {
                let source = failure.source.clone();
                self.request_open(source);
            }
            Some(DiagnosticsAction::Dismiss) => self.failure = None,
            None => {}
        }
    }

    fn scenario_panel_ui(&mut self, ui: &mut Ui) {
        let scenario = &self.document.scenario;
        ui.heading(scenario.name.as_deref().unwrap_or("Untitled scenario"));
        ui.weak(match &self.document.source {
            Source::Bundled(file) => format!("bundled: scenarios/{file}"),
            Source::File(path) => path.display().to_string(),
            Source::Untitled => "not saved yet".to_owned(),
        });
        let diagnostics = self.editing.diagnostics();
        if !diagnostics.is_empty() {
            let errors = self.editing.error_count();
            let warnings = diagnostics.len() - errors;
            let title = match (errors, warnings) {
                (0, w) => counted(w, "warning", "warnings"),
                (e, 0) => counted(e, "error", "errors"),
                (e, w) => format!(
                    "{}, {}",
                    counted(e, "error", "errors"),
                    counted(w, "warning", "warnings")
                ),
            };
            let mut select = None;
            egui::CollapsingHeader::new(RichText::new(title).color(if errors > 0 {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().warn_fg_color
            }))
            .id_salt("problems")
            .default_open(errors > 0)
            .show(ui, |ui| {
                for diagnostic in diagnostics {
                    let color = if diagnostic.is_error() {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().warn_fg_color
                    };
                    let text = RichText::new(diagnostic.to_string()).color(color);
                    let node = super::editing::node_of_path(&diagnostic.path);
                    let response = ui.add(egui::Label::new(text).sense(egui::Sense::click()));
                    if let Some(node) = node
                        && response.on_hover_text("Select the node").clicked()
                    {
                        select = Some(node);
                    }
                }
            });
            if let Some(node) = select {
                self.graph.select(Some(node));
            }
        }
        ui.separator();
        let mut commands = Vec::new();
        let mut selection = self.graph.selection().map(str::to_owned);
        // The copies are made only while the Settings section is open, and come back
        // as commands only when the user changed them.
        let mut edits = Vec::new();
        let editing = &self.editing;
        panels::scenario_panel_ui(
            ui,
            scenario,
            &mut self.controls.rate_factors,
            &mut self.controls.replicas,
            &mut selection,
            &mut commands,
            |ui| edits = settings_section_ui(ui, editing),
        );
        for (command, merge) in edits {
            self.apply_field_edit(ui.ctx(), &command, merge);
        }
        if selection.as_deref() != self.graph.selection() {
            self.graph.select(selection);
        }
        for command in commands {
            self.driver.send(command);
        }
    }

    fn canvas_ui(&mut self, ui: &mut Ui) {
        self.graph.run_exists = self.history.status().is_some();
        self.graph.playing = self.history.state() == RunState::Playing;
        let response = graph::graph_ui(
            ui,
            &mut self.graph,
            &self.document.scenario,
            self.history.live(),
        );
        if let Some(reason) = response.refused {
            self.warn(reason);
        }
        for (kind, duration) in response.faults {
            self.driver.send(Command::InjectFault {
                kind: Box::new(kind),
                duration,
            });
        }
        if !response.edits.is_empty() {
            let ctx = ui.ctx().clone();
            self.graph_edits(&ctx, response.edits);
        }
    }

    /// Shows the question about unsaved edits before closing, and closes once the user
    /// has chosen.
    fn handle_close(&mut self, ctx: &egui::Context) {
        if std::mem::take(&mut self.close_requested) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        let asked = ctx.input(|input| input.viewport().close_requested());
        if asked && self.editing.is_modified() && !self.close_confirmed {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.pending = Some(Pending::Close);
        }
    }

    /// Removes the recovery file when the window closes with nothing unsaved.
    pub fn on_exit(&mut self) {
        if !self.editing.is_modified() {
            self.discard_recovery();
        }
    }

    /// Shows the run's figures on the left and the notice on the right, on one line.
    /// The notice takes at most half of it, and text that does not fit ends with an
    /// ellipsis, with the whole text on hover, so that the two never overlap.
    fn status_bar_ui(&mut self, ui: &mut Ui) {
        let figures = status_figures(ui, self.history.state(), self.history.status());
        let whole = figures.text.clone();
        egui::Sides::new().shrink_left().truncate().show(
            ui,
            |ui| {
                ui.add(egui::Label::new(figures)).on_hover_text(whole);
            },
            |ui| {
                ui.set_max_width(ui.available_width() / 2.0);
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                if let Some(notice) = &self.notice {
                    let response = if notice.is_error {
                        ui.colored_label(ui.visuals().error_fg_color, &notice.text)
                    } else {
                        ui.weak(&notice.text)
                    };
                    response.on_hover_text(&notice.text);
                }
            },
        );
    }
}

impl eframe::App for TopolabApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        TopolabApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}

/// Shows the scenario's settings, links and faults, and returns the commands of what
/// the user changed, each with its merge key.
fn settings_section_ui(
    ui: &mut Ui,
    editing: &Editing,
) -> Vec<(crate::editor::Command, Option<crate::editor::MergeKey>)> {
    use crate::editor::{Command as Edit, MergeKey};
    let context = super::inspector::Context {
        scenario: editing.scenario(),
        messages: super::inspector::fields::Messages::new(editing.diagnostics()),
    };
    let before = editing.document().settings();
    let mut settings = before.clone();
    let mut links = editing.scenario().links.clone();
    let mut faults = editing.scenario().faults.clone();
    let settings_changed = super::inspector::settings_ui(ui, &mut settings, context.messages);
    ui.separator();
    ui.strong("Links");
    let links_changed = super::inspector::links_ui(ui, &mut links, context);
    ui.separator();
    ui.strong("Faults");
    let faults_changed = super::inspector::faults_ui(ui, &mut faults, context);

    let mut edits = Vec::new();
    if settings_changed {
        let key = Some(MergeKey::new("settings"));
        if settings.name != before.name {
            edits.push((Edit::SetName(settings.name), key.clone()));
        }
        if settings.description != before.description {
            edits.push((Edit::SetDescription(settings.description), key.clone()));
        }
        if settings.defaults != before.defaults {
            edits.push((Edit::SetDefaults(settings.defaults), key.clone()));
        }
        if settings.run != before.run {
            edits.push((Edit::SetRun(settings.run), key));
        }
    }
    if links_changed {
        edits.push((Edit::SetLinks(links), Some(MergeKey::new("links"))));
    }
    if faults_changed {
        edits.push((Edit::SetFaults(faults), Some(MergeKey::new("faults"))));
    }
    edits
}

/// Reads the file at `path` for editing and returns its document and diagnostics if
/// writing the document gives every error of the file again, which [`check_round_trip`]
/// checks. A file with a value that the document cannot contain, such as an unknown
/// key, returns `None`.
fn editable_with_errors(path: &Path) -> Option<(scenario::Scenario, Vec<Diagnostic>)> {
    let (scenario, diagnostics) = scenario::load_file_for_editing(path).ok()?;
    match check_round_trip(&scenario, &diagnostics) {
        Ok(()) => Some((scenario, diagnostics)),
        Err(error) => {
            tracing::info!(path = %path.display(), %error, "the file cannot be opened for editing");
            None
        }
    }
}

/// Lists the recovery files in `folder` that instances which have ended left behind; the
/// files of running instances, this one's included, are not listed.
fn offered_recoveries(folder: &Path) -> Vec<RecoveryEntry> {
    match find_recovery(folder) {
        Ok(entries) => entries,
        Err(error) => {
            tracing::warn!(%error, "cannot list the recovery files");
            Vec::new()
        }
    }
}

/// Adds `DejaVu Sans`, the font of the charts, after egui's own fonts, for the arrows,
/// Greek letters and symbols that those lack, as in the call cycles of messages.
fn install_fallback_font(ctx: &egui::Context) {
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| egui::epaint::text::InsertFontFamily {
            family,
            priority: egui::epaint::text::FontPriority::Lowest,
        })
        .collect();
    ctx.add_font(egui::epaint::text::FontInsert::new(
        "DejaVuSans",
        egui::FontData::from_static(crate::metrics::chart::FONT_DATA),
        families,
    ));
}

/// Removes the input events that `matches` accepts and returns whether there was one.
fn take_event(ctx: &egui::Context, matches: impl Fn(&egui::Event) -> bool) -> bool {
    ctx.input_mut(|input| {
        let before = input.events.len();
        input.events.retain(|event| !matches(event));
        input.events.len() != before
    })
}

/// Returns whether `response`, a text field, lost focus because Enter was pressed.
fn submitted(ui: &Ui, response: &egui::Response) -> bool {
    response.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter))
}

fn is_scenario_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "yaml" || extension == "yml")
}

/// Covers the window with a hint while files are dragged over it.
fn file_hover_overlay(ctx: &egui::Context) {
    let hovering = ctx.input(|input| !input.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("file-drop-overlay"),
    ));
    let rect = ctx.content_rect();
    let visuals = ctx.global_style().visuals.clone();
    painter.rect_filled(rect, 0.0, visuals.extreme_bg_color.gamma_multiply(0.85));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop a .yaml scenario to open it",
        egui::TextStyle::Heading.resolve(&ctx.global_style()),
        visuals.strong_text_color(),
    );
}

/// Returns `text` with its first letter in lower case, to continue a sentence with it.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// Lays out the state and figures of the run for the status bar as one text, so that it
/// can end with an ellipsis where the bar is too narrow.
fn status_figures(ui: &Ui, state: RunState, status: Option<&Status>) -> egui::text::LayoutJob {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let visuals = ui.visuals();
    let mut job = egui::text::LayoutJob::default();
    let mut append = |text: &str, color: egui::Color32| {
        job.append(text, 0.0, egui::TextFormat::simple(font.clone(), color));
    };
    let separator = "   |   ";
    append(state.label(), visuals.strong_text_color());
    append(separator, visuals.weak_text_color());
    let Some(status) = status else {
        append("no run", visuals.text_color());
        return job;
    };
    let figures = [
        format!(
            "simulated {:.3} s of {}",
            status.now_ns as f64 / 1e9,
            Duration::from_nanos(status.duration_ns)
        ),
        format!("wall {:.1} s", status.wall_s),
        format!("{} events/s", si(status.events_per_s)),
        format!("{} events", si(status.events_processed as f64)),
        format!("run {}, seed {}", status.run, status.seed),
    ];
    for (index, figure) in figures.iter().enumerate() {
        if index > 0 {
            append(separator, visuals.weak_text_color());
        }
        append(figure, visuals.text_color());
    }
    if status.manual_faults > 0 {
        append(separator, visuals.weak_text_color());
        append(
            &format!(
                "{} started by hand; Reset clears {}",
                counted(status.manual_faults as usize, "fault", "faults"),
                if status.manual_faults == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
            visuals.warn_fg_color,
        );
    }
    if let Some(error) = &status.error {
        append(separator, visuals.weak_text_color());
        append(error, visuals.error_fg_color);
    }
    job
}

/// Formats a number with an SI suffix: 1234567 becomes "1.23 M".
fn si(value: f64) -> String {
    if value >= 1e9 {
        format!("{:.2} G", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}
