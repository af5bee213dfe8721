//! Headless tests of the whole window with `egui_kittest`: the harness draws through
//! [`TopolabApp::ui`], the same function the eframe app calls, and drives it by labels
//! and pointer events. The engine thread runs for real, so tests step frames until its
//! reports have arrived.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Event, Modifiers, PointerButton, Pos2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::scenario;

use super::app::{AppOptions, TopolabApp};
use super::document::Source;
use super::driver::RunState;
use super::panels::REPLICAS_TOOLTIP;
use super::settings::Settings;

/// Wall time a test waits at most for the engine.
const PATIENCE: Duration = Duration::from_secs(30);

pub(super) fn new_app(initial: Option<PathBuf>) -> TopolabApp {
    new_app_with_recovery(initial, None)
}

/// Starts an app that keeps its recovery files in `recovery_dir`.
pub(super) fn new_app_with_recovery(
    initial: Option<PathBuf>,
    recovery_dir: Option<PathBuf>,
) -> TopolabApp {
    TopolabApp::new(AppOptions {
        initial,
        settings: Settings::default(),
        dialogs: false,
        waker: None,
        play: false,
        pacing: None,
        duration: None,
        recovery_dir,
        software_renderer: false,
    })
    .expect("the engine thread starts")
}

pub(super) fn harness(app: TopolabApp) -> Harness<'static, TopolabApp> {
    Harness::builder()
        .with_size(vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut TopolabApp| app.ui(ui), app)
}

/// Steps frames until `done` holds, pausing between them so that the engine thread can
/// send its reports. It uses `run_steps`, because a playing run requests a repaint every
/// frame.
pub(super) fn step_until(
    harness: &mut Harness<'_, TopolabApp>,
    what: &str,
    done: impl Fn(&TopolabApp) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(1);
}

pub(super) fn loaded(app: &TopolabApp) -> bool {
    app.history().info().is_some()
}

pub(super) fn click_at(harness: &mut Harness<'_, TopolabApp>, position: Pos2) {
    harness.event(Event::PointerMoved(position));
    harness.run_steps(1);
    for pressed in [true, false] {
        harness.event(Event::PointerButton {
            pos: position,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
        harness.run_steps(1);
    }
}

#[test]
fn app_opens_default_scenario() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);

    let app = harness.state();
    assert_eq!(
        app.document().source,
        Source::Bundled("checkout-async.yaml".to_owned())
    );
    assert_eq!(
        app.history().info().map(|info| info.scenario_name.as_str()),
        Some("Web shop checkout, with queues")
    );
    assert_eq!(app.history().state(), RunState::Ready);
    harness.get_by_label("Web shop checkout, with queues");
    harness.get_by_label("Play");
}

#[test]
fn play_advances_time_and_plots() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("As fast as possible").click();
    harness.run_steps(1);
    harness.get_by_label("Play").click();

    step_until(&mut harness, "five simulated seconds have passed", |app| {
        app.history().now_ns() > 5_000_000_000 && app.plots().drawn_points("Throughput") > 0
    });

    let app = harness.state();
    assert!(app.settings().unpaced, "the checkbox set unpaced play");
    assert!(!app.history().rows().is_empty(), "windows arrived");
    assert!(
        app.plots().drawn_points("Throughput") >= 3,
        "the throughput plot has its lines"
    );
    assert!(app.plots().drawn_points("Latency") > 0, "latency points");
    assert!(app.history().live().is_some(), "live figures for the graph");
    harness.get_by_label("Pause").click();
    step_until(&mut harness, "the run has paused", |app| {
        app.history().state() != RunState::Playing
    });
}

pub(super) fn drag(harness: &mut Harness<'_, TopolabApp>, from: Pos2, to: Pos2) {
    harness.event(Event::PointerMoved(from));
    harness.run_steps(1);
    harness.event(Event::PointerButton {
        pos: from,
        button: PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    harness.run_steps(1);
    for step in 1..=5 {
        let position = from + (to - from) * (step as f32 / 5.0);
        harness.event(Event::PointerMoved(position));
        harness.run_steps(1);
    }
    harness.event(Event::PointerButton {
        pos: to,
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.run_steps(1);
}

#[test]
fn plots_follow_until_panned() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    for _ in 0..3 {
        harness.get_by_label("Step").click();
        harness.run_steps(1);
    }
    step_until(&mut harness, "three windows have arrived", |app| {
        app.history().rows().len() >= 3
    });
    assert!(harness.state().plots().is_following(), "following at first");

    // The plots fill the bottom panel; this point is inside the first one.
    drag(
        &mut harness,
        Pos2::new(160.0, 650.0),
        Pos2::new(260.0, 650.0),
    );
    harness.run_steps(1);
    assert!(
        !harness.state().plots().is_following(),
        "panning stops following"
    );

    harness.get_by_label("Follow latest").click();
    harness.run_steps(2);
    assert!(
        harness.state().plots().is_following(),
        "the button follows again"
    );
}

#[test]
fn step_advances_one_window() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Step").click();
    step_until(&mut harness, "one window has passed", |app| {
        app.history().now_ns() > 0
    });
    assert_eq!(harness.state().history().now_ns(), 1_000_000_000);
    assert_eq!(harness.state().history().state(), RunState::Paused);
}

#[test]
fn clicking_node_on_canvas_shows_panel() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Step").click();
    // The summary and its time come in separate reports, which a busy frame may drain
    // in different frames. The panel shows the summary once both have arrived.
    step_until(
        &mut harness,
        "a summary of the stepped window has arrived",
        |app| app.history().summary().is_some() && app.history().now_ns() > 0,
    );
    let rect = harness
        .state()
        .graph_node_rect("payments")
        .expect("the canvas has drawn payments");

    click_at(&mut harness, rect.center());
    harness.run_steps(2);

    assert_eq!(harness.state().selection(), Some("payments"));
    harness.get_by_label("Workers per replica");
    harness.get_by_label("Arrivals");
    for title in super::plots::TITLES {
        assert!(
            harness.state().node_plots().drawn_points(title) > 0,
            "the panel plots the node's {title}"
        );
        assert!(
            harness.state().plots().drawn_points(title) > 0,
            "the system's {title} plot stays"
        );
    }
}

#[test]
fn selecting_node_shows_its_plots() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness
        .state_mut()
        .select(Some("notification-events".to_owned()));
    harness.run_steps(1);
    harness.get_by_label("Step").click();
    step_until(&mut harness, "one window has arrived", |app| {
        !app.history().rows().is_empty()
    });

    harness.get_by_label("Published");
    // Legends are one label each, with no-break spaces inside the names.
    harness.get_by_label_contains("oldest\u{a0}message\u{a0}age");
    assert!(harness.state().node_plots().drawn_points("Backlog") > 0);
}

#[test]
fn kafka_queue_panel_shows_lag() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("kafka-lag.yaml");
    let text = super::bundled::find("kafka-lag.yaml")
        .expect("the scenario is bundled")
        .text;
    std::fs::write(&path, text).expect("the file is written");
    let mut harness = harness(new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.state_mut().select(Some("clicks".to_owned()));
    harness.get_by_label("Step").click();
    step_until(&mut harness, "one window has arrived", |app| {
        !app.history().rows().is_empty()
    });
    harness.run_steps(2);
    harness.get_by_label("Unacked");
    harness.get_by_label("Duplicates");
    harness.get_by_label("Expired");
    harness.get_by_label("Partition");
    harness.get_by_label("Max lag");
}

#[test]
fn replicas_change_without_reset() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Step").click();
    step_until(&mut harness, "one window has passed", |app| {
        app.history().now_ns() > 0
    });
    // Collapse what is above the services, so that they are on screen.
    for header in ["Description", "Load", "Services"] {
        harness.get_by_label(header).click();
        harness.run_steps(3);
    }
    let services = harness.state().document().scenario.services.len();
    let payments = harness
        .state()
        .document()
        .scenario
        .services
        .get_index_of("payments")
        .expect("the checkout scenario has payments");
    let controls = harness.get_all_by_label(REPLICAS_TOOLTIP).count();
    assert_eq!(controls, services, "one replicas control per service");

    harness
        .get_all_by_label(REPLICAS_TOOLTIP)
        .nth(payments)
        .expect("the payments control")
        .set_value_accesskit(5.0);
    step_until(&mut harness, "the engine reports 5 replicas", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.replicas.get(payments) == Some(&5))
    });

    let status = harness.state().history().status().expect("a status");
    assert_eq!(status.run, 1, "the same run goes on");
    assert_eq!(status.now_ns, 1_000_000_000, "at the same simulated time");
    let live = harness.state().history().live().expect("live figures");
    assert_eq!(
        live.nodes["payments"].replicas,
        Some(5),
        "the canvas draws the current replicas"
    );
}

fn write_invalid(folder: &Path) -> PathBuf {
    let path = folder.join("broken.yaml");
    let text = "version: 1\n\
        clients:\n  shoppers:\n    target: nowhere.op\n    arrivals: { poisson: 10/x }\n\
        services:\n  api:\n    workers: 0\n    operations:\n      get:\n        service_time: { constant: 1ms }\n";
    std::fs::write(&path, text).expect("the temporary file is written");
    path
}

#[test]
fn invalid_file_lists_every_error() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = write_invalid(folder.path());
    let expected = scenario::load_file(&path).expect_err("the file is invalid");
    assert!(expected.len() >= 2, "several errors: {expected:?}");

    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness
        .state_mut()
        .set_path_text(path.to_str().expect("the temporary path is UTF-8"));
    harness.run_steps(1);
    harness.get_by_label("Open").click();
    harness.run_steps(2);

    let app = harness.state();
    assert_eq!(app.failed_diagnostics(), Some(expected.as_slice()));
    assert_eq!(
        app.document().source,
        Source::Bundled("checkout-async.yaml".to_owned()),
        "the previous scenario stays open"
    );
    for diagnostic in &expected {
        harness.get_by_label(&diagnostic.to_string());
    }
    harness.get_by_label_contains("broken.yaml is invalid");

    // The app stays usable: the old scenario still runs.
    harness.get_by_label("Step").click();
    step_until(&mut harness, "the old scenario steps", |app| {
        app.history().now_ns() > 0
    });
    harness.get_by_label("Dismiss").click();
    harness.run_steps(1);
    assert!(harness.state().failed_diagnostics().is_none());
}

#[test]
fn invalid_initial_file_falls_back_to_default() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = write_invalid(folder.path());
    let mut harness = harness(new_app(Some(path.clone())));
    step_until(&mut harness, "the engine has loaded", loaded);

    let app = harness.state();
    assert!(app.failed_diagnostics().is_some());
    assert_eq!(
        app.document().source,
        Source::Bundled("checkout-async.yaml".to_owned())
    );
    assert_eq!(app.settings().recent, vec![path]);
}

#[test]
fn missing_file_is_reported() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.state_mut().set_path_text("/no/such/scenario.yaml");
    harness.run_steps(1);
    harness.get_by_label("Open").click();
    harness.run_steps(2);

    let diagnostics = harness
        .state()
        .failed_diagnostics()
        .expect("the missing file is listed");
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0].message.starts_with("cannot read the file"),
        "{}",
        diagnostics[0]
    );
}

#[test]
fn valid_file_opens_and_runs() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("mm1.yaml");
    std::fs::write(&path, super::bundled::BUNDLED[2].text).expect("the file is written");

    let mut harness = harness(new_app(Some(path.clone())));
    step_until(&mut harness, "the engine has loaded", |app| {
        app.history()
            .info()
            .is_some_and(|info| info.scenario_name == "M/M/1 queue")
    });
    assert_eq!(
        harness.state().document().source,
        Source::File(path.clone())
    );
    assert_eq!(harness.state().settings().last, Some(Source::File(path)));
}

/// A file dropped on the window, as egui-winit hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|error| error.to_string())
    }
}

#[test]
fn dropped_yaml_file_opens() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("mmc.yaml");
    std::fs::write(&path, super::bundled::BUNDLED[3].text).expect("the file is written");

    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.clone())));
    harness.run_steps(1);

    assert_eq!(harness.state().document().source, Source::File(path));
}

#[test]
fn scenarios_menu_opens_bundled() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Scenarios").click();
    harness.run_steps(3);
    harness.get_by_label("M/M/1 queue (mm1.yaml)").click();
    step_until(&mut harness, "the M/M/1 scenario has loaded", |app| {
        app.history()
            .info()
            .is_some_and(|info| info.scenario_name == "M/M/1 queue")
    });
    assert_eq!(
        harness.state().document().source,
        Source::Bundled("mm1.yaml".to_owned())
    );
}

/// eframe's storage, kept in memory.
#[derive(Default)]
struct MemoryStorage(std::collections::BTreeMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

#[test]
fn settings_survive_save_and_load() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("mm1.yaml");
    std::fs::write(&path, super::bundled::BUNDLED[2].text).expect("the file is written");
    let mut app = new_app(Some(path.clone()));
    let mut storage = MemoryStorage::default();

    eframe::App::save(&mut app, &mut storage);
    let restored: Settings =
        eframe::get_value(&storage, eframe::APP_KEY).expect("the settings were stored");

    assert_eq!(&restored, app.settings());
    assert_eq!(restored.last, Some(Source::File(path.clone())));
    assert_eq!(restored.recent, vec![path]);
    let text = storage.0.get(eframe::APP_KEY).expect("one entry");
    assert!(
        !text.contains("clients"),
        "no scenario content is stored: {text}"
    );
}

#[test]
fn software_renderer_draws_without_anti_aliasing() {
    let app = TopolabApp::new(AppOptions {
        initial: None,
        settings: Settings::default(),
        dialogs: false,
        waker: None,
        play: false,
        pacing: None,
        duration: None,
        recovery_dir: None,
        software_renderer: true,
    })
    .expect("the engine thread starts");
    let mut harness = harness(app);
    harness.run_steps(2);
    assert!(!harness.state().smooth_lines());
    assert!(
        !harness
            .ctx
            .tessellation_options(|options| options.feathering)
    );
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Smooth lines").click();
    harness.run_steps(2);
    assert!(harness.state().smooth_lines(), "the user's choice wins");
    assert_eq!(harness.state().settings().smooth_lines, Some(true));
    assert!(
        harness
            .ctx
            .tessellation_options(|options| options.feathering)
    );
}

#[test]
fn autoscaled_service_shows_replicas() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("autoscaling.yaml");
    let bundled = super::bundled::find("autoscaling.yaml").expect("bundled");
    std::fs::write(&path, bundled.text).expect("the file is written");
    let mut harness = harness(new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.state_mut().select(Some("api".to_owned()));
    harness.run_steps(1);
    // The evaluation at 75 s starts a second replica, which is ready at 105 s; the
    // windows are 5 s wide, so 16 steps end at 80 s.
    for window in 1..=16 {
        harness.get_by_label("Step").click();
        step_until(&mut harness, "the next window has arrived", |app| {
            app.history().rows().len() >= window
        });
    }
    let live = harness.state().history().live().expect("a live view");
    let api = &live.nodes["api"];
    assert_eq!(api.replicas, Some(1));
    assert_eq!(api.starting_replicas, Some(1));
    assert!(harness.state().node_plots().drawn_points("Replicas") > 0);
}

#[test]
fn utilization_uses_window_replicas() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    for _ in 0..2 {
        harness.get_by_label("Step").click();
        harness.run_steps(1);
    }
    step_until(&mut harness, "two windows have arrived", |app| {
        app.history().rows().len() >= 2
    });
    harness.run_steps(2);
    let payments = harness
        .state()
        .document()
        .scenario
        .services
        .get_index_of("payments")
        .expect("the checkout scenario has payments");
    let utilization = |app: &TopolabApp| {
        app.history()
            .live()
            .and_then(|live| live.nodes.get("payments"))
            .map_or(f32::NAN, |node| node.utilization)
    };
    let before = utilization(harness.state());
    assert!(before > 0.0, "payments is busy: {before}");

    // Four times the replicas, from the end of the second window on.
    let file_replicas = harness.state().document().scenario.services["payments"].replicas;
    for header in ["Description", "Load", "Services"] {
        harness.get_by_label(header).click();
        harness.run_steps(3);
    }
    harness
        .get_all_by_label(REPLICAS_TOOLTIP)
        .nth(payments)
        .expect("the payments control")
        .set_value_accesskit(f64::from(file_replicas * 4));
    step_until(&mut harness, "the engine reports the new replicas", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.replicas.get(payments) == Some(&(file_replicas * 4)))
    });
    harness.run_steps(2);
    assert_eq!(
        utilization(harness.state()),
        before,
        "the last window keeps the replicas it had"
    );

    harness.get_by_label("Step").click();
    step_until(&mut harness, "the third window has arrived", |app| {
        app.history().rows().len() >= 3
    });
    harness.run_steps(2);
    let app = harness.state();
    let row = app.history().rows().last().expect("a row");
    let entity = app.history().node_entity("payments").expect("payments");
    let workers = app.document().scenario.services["payments"].workers;
    let expected = row.mean(row.samples[entity].busy_ns) / f64::from(workers * file_replicas * 4);
    let after = utilization(app);
    assert!(
        (f64::from(after) - expected).abs() < 1e-6,
        "the third window counts {} replicas: {after} against {expected}",
        file_replicas * 4
    );
}
