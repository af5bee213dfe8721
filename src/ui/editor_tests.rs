//! Headless tests of editing in the whole window: building a topology with the palette
//! and the canvas, undo and redo, saving, the question about unsaved changes, and the
//! offer of a recovered document.

use egui::{Key, Modifiers, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

use super::app::TopolabApp;
use super::tests::{click_at, drag, harness, loaded, new_app, new_app_with_recovery, step_until};
use crate::editor::RecoveryStore;
use crate::scenario::write::to_yaml;
use crate::scenario::{self, Scenario};

/// Undo or redo steps a test presses at most before it gives up.
const MAX_STEPS: usize = 100;

pub(super) fn node_center(harness: &Harness<'_, TopolabApp>, name: &str) -> Pos2 {
    harness
        .state()
        .graph_node_rect(name)
        .unwrap_or_else(|| panic!("{name} is on the canvas"))
        .center()
}

pub(super) fn port(harness: &Harness<'_, TopolabApp>, name: &str) -> Pos2 {
    harness
        .state()
        .graph_node_rect(name)
        .unwrap_or_else(|| panic!("{name} is on the canvas"))
        .right_center()
}

pub(super) fn new_document(harness: &mut Harness<'_, TopolabApp>) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    harness.run_steps(3);
}

pub(super) fn add(harness: &mut Harness<'_, TopolabApp>, kind: &str) {
    harness.get_by_label(&format!("+ {kind}")).click();
    harness.run_steps(3);
}

pub(super) fn connect(harness: &mut Harness<'_, TopolabApp>, from: &str, to: &str) {
    let (start, end) = (port(harness, from), node_center(harness, to));
    drag(harness, start, end);
    harness.run_steps(2);
}

fn click_node(harness: &mut Harness<'_, TopolabApp>, name: &str) {
    let center = node_center(harness, name);
    click_at(harness, center);
}

/// Double-clicks the node called `name`. Each click is one frame, because `egui_kittest`
/// 0.37 runs frames 0.25 s apart and egui 0.37 counts a second click as a double
/// click only within 0.3 s of the first.
fn double_click_node(harness: &mut Harness<'_, TopolabApp>, name: &str) {
    let center = node_center(harness, name);
    harness.event(egui::Event::PointerMoved(center));
    harness.run_steps(1);
    for _ in 0..2 {
        for pressed in [true, false] {
            harness.input_mut().events.push(egui::Event::PointerButton {
                pos: center,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: Modifiers::NONE,
            });
        }
        harness.run_steps(1);
    }
    harness.run_steps(2);
}

/// Types `text` into the focused text field, replacing its content.
pub(super) fn type_text(harness: &mut Harness<'_, TopolabApp>, text: &str) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_steps(1);
    harness.event(egui::Event::Text(text.to_owned()));
    harness.run_steps(1);
}

/// Sets the modifier keys held from the next frame on, until they are set again.
fn hold(harness: &mut Harness<'_, TopolabApp>, modifiers: Modifiers) {
    harness.event(egui::Event::ModifiersChanged(modifiers));
    harness.run_steps(1);
}

/// Presses `key` with `modifiers` until the history has nothing left to undo or redo,
/// and returns how many presses changed the document.
fn press_until_done(
    harness: &mut Harness<'_, TopolabApp>,
    modifiers: Modifiers,
    key: Key,
    done: impl Fn(&TopolabApp) -> bool,
) -> usize {
    let mut presses = 0;
    while !done(harness.state()) {
        assert!(
            presses < MAX_STEPS,
            "still not done after {MAX_STEPS} presses"
        );
        harness.key_press_modifiers(modifiers, key);
        harness.run_steps(2);
        presses += 1;
    }
    presses
}

#[test]
fn build_run_save_undo_and_redo() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("built.yaml");
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);

    new_document(&mut harness);
    assert_eq!(*harness.state().editing().scenario(), Scenario::default());

    add(&mut harness, "client");
    add(&mut harness, "service");
    add(&mut harness, "queue");
    add(&mut harness, "service");
    let scenario = harness.state().editing().scenario().clone();
    assert_eq!(scenario.clients.len(), 1);
    assert_eq!(scenario.services.len(), 2);
    assert_eq!(scenario.queues.len(), 1);
    assert!(
        harness.state().editing().error_count() > 0,
        "a client without a target is an error"
    );
    assert!(
        harness.get_by_label("Play").accesskit_node().is_disabled(),
        "Play waits for the errors to be fixed"
    );

    connect(&mut harness, "client-1", "service-1");
    connect(&mut harness, "service-1", "queue-1");
    connect(&mut harness, "queue-1", "service-2");
    let scenario = harness.state().editing().scenario().clone();
    assert_eq!(scenario.clients["client-1"].target, "service-1.handle");
    assert_eq!(
        scenario.services["service-1"].operations["handle"].steps,
        vec![scenario::Step::Publish(scenario::PublishStep {
            publish: "queue-1".to_owned(),
            timeout: None,
            retry: None,
        })]
    );
    let consumer = scenario.queues["queue-1"]
        .consumer
        .as_ref()
        .expect("queue-1 has a consumer");
    assert_eq!(consumer.operation, "service-2.handle");
    assert_eq!(
        harness.state().editing().error_count(),
        0,
        "{:?}",
        harness.state().editing().diagnostics()
    );

    // The edited topology runs.
    step_until(&mut harness, "the new document has loaded", |app| {
        app.history()
            .info()
            .is_some_and(|info| info.entities.iter().any(|e| e.name == "queue-1"))
    });
    harness.get_by_label("Step").click();
    // The summary comes in a report after the status with the time, which a busy frame
    // may leave for the next one.
    step_until(
        &mut harness,
        "the summary of one window has arrived",
        |app| app.history().now_ns() > 0 && app.history().summary().is_some(),
    );
    let messages = harness
        .state()
        .history()
        .summary()
        .map(|(summary, _)| summary.queues[0].published);
    assert!(
        messages.is_some_and(|published| published > 0),
        "messages flow"
    );

    // Save through the path field, which replaces the file dialog in tests.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::S);
    harness.run_steps(2);
    type_text(&mut harness, &path.display().to_string());
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    assert!(!harness.state().editing().is_modified(), "saved");
    assert!(
        !harness.state().window_title().starts_with('●'),
        "{}",
        harness.state().window_title()
    );
    let saved = scenario::load_file(&path)
        .expect("the saved file is valid")
        .scenario;
    assert_eq!(saved, *harness.state().editing().scenario());

    // Undo every step back to the empty document, then redo all of them.
    let undone = press_until_done(&mut harness, Modifiers::COMMAND, Key::Z, |app| {
        !app.editing().history().can_undo()
    });
    assert_eq!(undone, 7, "four nodes added and three connections");
    assert_eq!(*harness.state().editing().scenario(), Scenario::default());
    assert!(harness.state().editing().is_modified());
    let redone = press_until_done(
        &mut harness,
        Modifiers::COMMAND | Modifiers::SHIFT,
        Key::Z,
        |app| !app.editing().history().can_redo(),
    );
    assert_eq!(redone, undone);
    assert_eq!(*harness.state().editing().scenario(), saved);
    let text = std::fs::read_to_string(&path).expect("the saved file is readable");
    assert_eq!(
        to_yaml(harness.state().editing().scenario()).expect("the document writes"),
        text,
        "the redone document writes the saved file's text"
    );
    assert!(
        !harness.state().editing().is_modified(),
        "back at the save point"
    );
}

#[test]
fn moving_a_node_is_one_step() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let before = harness.state().editing().scenario().clone();
    let start = node_center(&harness, "orders");
    drag(&mut harness, start, start + egui::vec2(0.0, 120.0));
    harness.run_steps(2);
    let after = harness.state().editing().scenario().clone();
    assert_ne!(after.layout, before.layout, "orders moved");
    assert_eq!(
        harness.state().window_title(),
        "● checkout-async.yaml (bundled) — Topolab",
        "the title marks unsaved changes"
    );
    assert_eq!(
        after.services, before.services,
        "nothing but the layout changed"
    );
    assert_eq!(harness.state().editing().history().undo_depth(), 1);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert_eq!(*harness.state().editing().scenario(), before);
    assert_eq!(
        harness.state().window_title(),
        "checkout-async.yaml (bundled) — Topolab"
    );
}

#[test]
fn opening_with_unsaved_changes_asks_first() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    harness.key_press(Key::Delete);
    harness.run_steps(2);
    assert!(harness.state().editing().is_modified());
    assert!(
        !harness
            .state()
            .editing()
            .scenario()
            .services
            .contains_key("orders")
    );

    harness.get_by_label("Scenarios").click();
    harness.run_steps(2);
    harness.get_by_label("M/M/1 queue (mm1.yaml)").click();
    harness.run_steps(2);
    harness.get_by_label("Unsaved changes");
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert!(
        !harness
            .state()
            .editing()
            .scenario()
            .services
            .contains_key("orders"),
        "the edit is still there"
    );

    harness.get_by_label("Scenarios").click();
    harness.run_steps(2);
    harness.get_by_label("M/M/1 queue (mm1.yaml)").click();
    harness.run_steps(2);
    harness.get_by_label("Discard changes").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().document().source,
        super::document::Source::Bundled("mm1.yaml".to_owned())
    );
    assert!(!harness.state().editing().is_modified());
}

#[test]
fn inspector_edit_marks_the_field() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let shoppers = node_center(&harness, "shoppers");
    click_at(&mut harness, shoppers);
    harness.run_steps(2);
    // Switch the client to a closed workload, then undo it as one step.
    harness.get_by_label("Closed").click();
    harness.run_steps(3);
    assert!(matches!(
        harness.state().editing().scenario().clients["shoppers"].workload,
        scenario::Workload::Closed { .. }
    ));
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert!(matches!(
        harness.state().editing().scenario().clients["shoppers"].workload,
        scenario::Workload::Open { .. }
    ));
}

#[test]
fn crashed_session_is_offered_at_start() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut edited = scenario::load_str(include_str!("../../scenarios/mm1.yaml"), None)
        .expect("the bundled scenario is valid")
        .scenario;
    edited.name = Some("Edited before the crash".to_owned());
    // A recovery file left by another instance, as a killed process leaves it.
    let dead = RecoveryStore::with_pid(folder.path(), 1)
        .write(&edited, None)
        .expect("the recovery file is written");

    let app = new_app_with_recovery(None, Some(folder.path().to_path_buf()));
    assert_eq!(app.offered_recoveries().len(), 1);
    let mut harness = harness(app);
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Recover unsaved work?");
    harness.get_by_label("Recover").click();
    harness.run_steps(3);
    assert_eq!(*harness.state().editing().scenario(), edited);
    assert!(
        harness.state().editing().is_modified(),
        "recovered work is unsaved"
    );
    assert!(
        !dead.exists(),
        "the file of the ended instance is discarded"
    );
    let own = RecoveryStore::with_pid(folder.path(), std::process::id()).path();
    assert!(
        own.exists(),
        "the work moved to this session's recovery file"
    );
    assert!(
        crate::editor::find_recovery(folder.path())
            .expect("the folder is readable")
            .is_empty(),
        "the file of a running instance is not offered"
    );
}

#[test]
fn scenario_settings_are_edited_and_undone() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let before = harness.state().editing().scenario().clone();
    for header in ["Description", "Load", "Settings"] {
        harness.get_by_label(header).click();
        harness.run_steps(3);
    }
    harness.get_by_label("Warm-up").scroll_to_me();
    harness.run_steps(3);
    harness.get_by_label("Warm-up").click();
    harness.run_steps(3);
    let scenario = harness.state().editing().scenario().clone();
    assert_eq!(
        scenario.run.warmup, None,
        "the warm-up of the file is turned off"
    );
    assert_ne!(before.run.warmup, None);
    assert_eq!(scenario.services, before.services);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert_eq!(*harness.state().editing().scenario(), before);
}

#[test]
fn links_and_faults_are_added_and_undone() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let before = harness.state().editing().scenario().clone();
    for header in ["Description", "Load", "Settings"] {
        harness.get_by_label(header).click();
        harness.run_steps(3);
    }
    for button in ["Add a link", "Add a fault"] {
        harness.get_by_label(button).scroll_to_me();
        harness.run_steps(3);
        harness.get_by_label(button).click();
        harness.run_steps(3);
    }
    let scenario = harness.state().editing().scenario().clone();
    assert_eq!(scenario.links.len(), before.links.len() + 1);
    assert_eq!(scenario.faults.len(), before.faults.len() + 1);
    let added = scenario.faults.last().expect("a fault");
    assert!(
        matches!(&added.kind, scenario::FaultKind::Outage(outage) if outage.service == "gateway"),
        "{added:?}"
    );
    press_until_done(&mut harness, Modifiers::COMMAND, Key::Z, |app| {
        !app.editing().history().can_undo()
    });
    assert_eq!(*harness.state().editing().scenario(), before);
}

#[test]
fn connecting_services_with_several_operations_asks_which() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("two-operations.yaml");
    let text = "version: 1\n\
        clients:\n  users: { target: api.get, arrivals: { poisson: 10/s } }\n\
        services:\n  api:\n    operations:\n      get: { service_time: 1ms }\n      put: { service_time: 2ms }\n\
        \x20 db:\n    operations:\n      read: { service_time: 1ms }\n      write: { service_time: 3ms }\n";
    std::fs::write(&path, text).expect("the file is written");
    let mut harness = harness(new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", loaded);
    connect(&mut harness, "api", "db");
    harness.get_by_label("Connect api to db");
    assert!(
        harness.state().editing().scenario().services["api"].operations["get"]
            .steps
            .is_empty(),
        "nothing is connected before the choice"
    );
    // The first operation of each side is chosen until the user picks another.
    harness.get_by_label("Synchronous call").click();
    harness.run_steps(2);
    let steps = &harness.state().editing().scenario().services["api"].operations["get"].steps;
    assert_eq!(
        *steps,
        vec![scenario::Step::Call(scenario::CallStep {
            call: "db.read".to_owned(),
            timeout: None,
            retry: None,
            circuit_breaker: None,
            bulkhead: None,
            retry_budget: None,
            deadline: None,
        })]
    );
}

#[test]
fn invalid_recovery_opens_with_errors() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut edited = scenario::load_str(include_str!("../../scenarios/mm1.yaml"), None)
        .expect("the bundled scenario is valid")
        .scenario;
    let mut client = edited.clients[0].clone();
    client.target = String::new();
    edited.clients.insert("client-1".to_owned(), client);
    RecoveryStore::with_pid(folder.path(), 1)
        .write(&edited, Some(std::path::Path::new("scenarios/mm1.yaml")))
        .expect("the recovery file is written");

    let mut harness = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Recover").click();
    harness.run_steps(3);
    assert_eq!(*harness.state().editing().scenario(), edited);
    assert_eq!(harness.state().editing().error_count(), 1);
    assert!(
        harness
            .state()
            .editing()
            .nodes_with_errors()
            .contains("client-1")
    );
}

#[test]
fn node_panel_keeps_node_in_place() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let inventory = node_center(&harness, "inventory");
    click_at(&mut harness, inventory);
    harness.run_steps(3);
    assert_eq!(harness.state().selection(), Some("inventory"));
    let after = harness
        .state()
        .graph_node_rect("inventory")
        .expect("inventory is on the canvas");
    assert!(
        after.contains(inventory),
        "inventory moved from {inventory:?} to {after:?} when the panel opened"
    );
}

#[test]
fn call_cycle_lists_its_arrows() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    connect(&mut harness, "payments", "orders");
    harness.get_by_label("Synchronous call").click();
    harness.run_steps(3);
    let cycle = harness
        .state()
        .editing()
        .diagnostics()
        .iter()
        .find(|d| d.message.contains("cycle"))
        .map(|d| d.message.clone())
        .expect("a cycle is reported");
    assert!(cycle.contains('→'), "{cycle}");
    // The panel draws the arrows; a missing glyph would fail the harness.
    harness.get_by_label_contains("synchronous call cycle");
}

#[test]
fn saving_over_another_file_asks_and_then_opens() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let existing = folder.path().join("existing.yaml");
    std::fs::write(&existing, include_str!("../../scenarios/mm1.yaml")).expect("written");
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    harness.key_press(Key::Delete);
    harness.run_steps(2);

    // Opening another scenario shows the question; Save opens the path field, because
    // a bundled scenario has no file of its own.
    harness.get_by_label("Scenarios").click();
    harness.run_steps(2);
    harness.get_by_label("M/M/1 queue (mm1.yaml)").click();
    harness.run_steps(2);
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness
        .state_mut()
        .set_path_text(&existing.display().to_string());
    harness.run_steps(1);
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label("Replace the file?");
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert_eq!(
        std::fs::read_to_string(&existing).expect("readable"),
        include_str!("../../scenarios/mm1.yaml"),
        "nothing replaced before the user agrees"
    );
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label("Replace").click();
    harness.run_steps(3);
    let saved = scenario::load_file(&existing).expect("the saved file is valid");
    assert!(!saved.scenario.services.contains_key("orders"));
    assert_eq!(
        harness.state().document().source,
        super::document::Source::Bundled("mm1.yaml".to_owned()),
        "after the save, the scenario the user asked for opens"
    );
}

#[test]
fn closing_with_unsaved_changes_asks_first() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    harness.key_press(Key::Delete);
    harness.run_steps(2);
    // The window's close button, as the windowing layer reports it.
    harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    harness.run_steps(1);
    let cancelled = harness.output().viewport_output[&egui::ViewportId::ROOT]
        .commands
        .contains(&egui::ViewportCommand::CancelClose);
    assert!(cancelled, "the close waits for an answer");
    harness.run_steps(1);
    harness.get_by_label("Unsaved changes");
    harness.get_by_label("Discard changes").click();
    // The choice is made in one frame, and the window closes in the next.
    harness.run_steps(2);
    let closing = harness.output().viewport_output[&egui::ViewportId::ROOT]
        .commands
        .contains(&egui::ViewportCommand::Close);
    assert!(closing, "the window closes after the answer");
}

/// Saves the document through the path field, which replaces the file dialog in tests.
pub(super) fn save_as(harness: &mut Harness<'_, TopolabApp>, path: &std::path::Path) {
    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::S);
    harness.run_steps(2);
    type_text(harness, &path.display().to_string());
    harness.get_by_label("Save").click();
    harness.run_steps(2);
}

#[test]
fn dragged_positions_save_short() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("dragged.yaml");
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    // An odd distance, which the zoom of the fitted view turns into fractions of units.
    let start = node_center(&harness, "orders");
    drag(&mut harness, start, start + egui::vec2(13.7, 41.3));
    harness.run_steps(2);
    let [x, y] = harness.state().editing().scenario().layout["orders"];
    assert_eq!(x.fract(), 0.0, "x = {x}");
    assert_eq!(y.fract(), 0.0, "y = {y}");

    save_as(&mut harness, &path);
    assert!(!harness.state().editing().is_modified(), "saved");
    let text = std::fs::read_to_string(&path).expect("the file is readable");
    let layout = text
        .split("\nlayout:\n")
        .nth(1)
        .expect("the file has a layout");
    for line in layout.lines() {
        let numbers = line
            .split(['[', ']', ','])
            .skip(1)
            .map(str::trim)
            .filter(|part| !part.is_empty());
        for number in numbers {
            let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 1, "{number} in {line:?}");
        }
    }
    let saved = scenario::load_file(&path).expect("the saved file reads back");
    assert_eq!(saved.scenario, *harness.state().editing().scenario());
}

#[test]
fn connections_name_their_kind() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    new_document(&mut harness);
    add(&mut harness, "client");
    add(&mut harness, "service");
    add(&mut harness, "queue");
    add(&mut harness, "service");
    for (from, to, message) in [
        (
            "client-1",
            "service-1",
            "client-1 now sends its requests to service-1.handle",
        ),
        (
            "service-1",
            "queue-1",
            "service-1.handle now publishes to queue-1",
        ),
        (
            "queue-1",
            "service-2",
            "service-2.handle now consumes the messages of queue-1",
        ),
    ] {
        connect(&mut harness, from, to);
        assert!(
            harness.query_by_label_contains("Connect ").is_none(),
            "only one kind of edge fits {from} to {to}, so nothing asks"
        );
        assert_eq!(harness.state().notice(), Some(message));
    }
}

#[test]
fn services_connect_by_call_or_queue() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    new_document(&mut harness);
    add(&mut harness, "client");
    add(&mut harness, "service");
    add(&mut harness, "service");
    connect(&mut harness, "client-1", "service-1");
    let before = harness.state().editing().scenario().clone();

    connect(&mut harness, "service-1", "service-2");
    harness.get_by_label("Connect service-1 to service-2");
    assert_eq!(
        *harness.state().editing().scenario(),
        before,
        "nothing is connected before the choice"
    );
    harness.get_by_label("Publish through a new queue").click();
    harness.run_steps(3);
    let scenario = harness.state().editing().scenario().clone();
    let queue = &scenario.queues["service-2-queue"];
    let consumer = queue.consumer.as_ref().expect("the queue has a consumer");
    assert_eq!(consumer.operation, "service-2.handle");
    assert_eq!(
        scenario.services["service-1"].operations["handle"].steps,
        vec![scenario::Step::Publish(scenario::PublishStep {
            publish: "service-2-queue".to_owned(),
            timeout: None,
            retry: None,
        })]
    );
    let queue_rect = harness
        .state()
        .graph_node_rect("service-2-queue")
        .expect("the queue is on the canvas");
    for service in ["service-1", "service-2"] {
        let rect = harness
            .state()
            .graph_node_rect(service)
            .expect("the service is on the canvas");
        assert!(!rect.intersects(queue_rect), "the queue covers {service}");
    }
    assert_eq!(
        harness.state().notice(),
        Some(
            "Added the queue service-2-queue: service-1.handle publishes to it and \
             service-2.handle consumes it"
        )
    );
    assert_eq!(harness.state().editing().error_count(), 0);

    // One undo step removes the queue and both edges.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert_eq!(*harness.state().editing().scenario(), before);

    connect(&mut harness, "service-1", "service-2");
    harness.get_by_label("Synchronous call").click();
    harness.run_steps(3);
    let steps =
        &harness.state().editing().scenario().services["service-1"].operations["handle"].steps;
    assert!(
        matches!(steps.as_slice(), [scenario::Step::Call(call)] if call.call == "service-2.handle"),
        "{steps:?}"
    );
    assert_eq!(
        harness.state().notice(),
        Some("Added a synchronous call from service-1.handle to service-2.handle")
    );
}

#[test]
fn several_selected_nodes_share_a_panel() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let names = vec!["orders".to_owned(), "payments".to_owned()];
    harness.state_mut().select_nodes(names.clone());
    harness.run_steps(3);
    harness.get_by_label("2 nodes selected");
    harness.get_by_label("orders (service)");
    harness.get_by_label("payments (service)");
    assert!(
        harness.query_by_label("Workers per replica").is_none(),
        "no one node's settings"
    );

    harness.get_by_label("orders (service)").click();
    harness.run_steps(3);
    assert_eq!(harness.state().selection(), Some("orders"));
    assert_eq!(harness.state().notice(), None);
    harness.get_by_label("Workers per replica");

    // The actions apply to every selected node, each as one undo step.
    let before = harness.state().editing().scenario().clone();
    harness.state_mut().select_nodes(names.clone());
    harness.run_steps(3);
    harness.get_by_label("Duplicate").click();
    harness.run_steps(3);
    let services = &harness.state().editing().scenario().services;
    assert!(services.contains_key("orders-2"), "{:?}", services.keys());
    assert!(services.contains_key("payments-2"), "{:?}", services.keys());
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert_eq!(*harness.state().editing().scenario(), before);

    harness.state_mut().select_nodes(names.clone());
    harness.run_steps(3);
    harness.get_by_label("Arrange selected").click();
    harness.run_steps(3);
    let after = harness.state().editing().scenario().clone();
    assert_eq!(after.services, before.services, "only the layout changes");
    assert_ne!(after.layout, before.layout, "the selected nodes move");
    for (name, position) in &after.layout {
        if !names.contains(name) {
            assert_eq!(Some(position), before.layout.get(name), "{name} stays");
        }
    }
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert_eq!(*harness.state().editing().scenario(), before);

    harness.state_mut().select_nodes(names);
    harness.run_steps(3);
    harness.get_by_label("Delete").click();
    harness.run_steps(3);
    let services = &harness.state().editing().scenario().services;
    assert!(!services.contains_key("orders"));
    assert!(!services.contains_key("payments"));
}

#[test]
fn running_instance_is_not_offered() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let scenario = scenario::load_str(include_str!("../../scenarios/mm1.yaml"), None)
        .expect("the bundled scenario is valid")
        .scenario;
    // Another instance that still runs holds the lock of its file.
    let running = RecoveryStore::open_as(folder.path(), 1_000_001).expect("the store opens");
    let running_path = running
        .write(&scenario, None)
        .expect("the running instance's file is written");
    let ended_path = RecoveryStore::with_pid(folder.path(), 2)
        .write(&scenario, None)
        .expect("the ended instance's file is written");

    let mut harness = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    let offered: Vec<_> = harness
        .state()
        .offered_recoveries()
        .iter()
        .map(|entry| entry.path.clone())
        .collect();
    assert_eq!(offered, std::slice::from_ref(&ended_path));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Discard").click();
    harness.run_steps(3);
    assert!(
        !ended_path.exists(),
        "the ended instance's file is discarded"
    );
    assert!(running_path.exists(), "the running instance's file stays");
    assert!(
        harness.state().offered_recoveries().is_empty(),
        "nothing else is offered"
    );
}

#[test]
fn shift_click_and_box_select() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    new_document(&mut harness);
    add(&mut harness, "client");
    add(&mut harness, "service");
    add(&mut harness, "queue");
    let before = harness.state().editing().scenario().clone();

    click_node(&mut harness, "service-1");
    assert_eq!(harness.state().selection(), Some("service-1"));

    hold(&mut harness, Modifiers::SHIFT);
    click_node(&mut harness, "queue-1");
    hold(&mut harness, Modifiers::NONE);
    harness.run_steps(2);
    harness.get_by_label("2 nodes selected");
    harness.get_by_label("service-1 (service)");
    harness.get_by_label("queue-1 (queue)");

    // A second shift-click takes the node out of the selection.
    hold(&mut harness, Modifiers::SHIFT);
    click_node(&mut harness, "service-1");
    hold(&mut harness, Modifiers::NONE);
    harness.run_steps(2);
    assert_eq!(harness.state().selection(), Some("queue-1"));
    assert!(harness.query_by_label("2 nodes selected").is_none());

    // A shift-drag over the background adds the nodes inside the box.
    let area = harness
        .state()
        .graph_node_rect("client-1")
        .expect("client-1 is on the canvas")
        .expand(4.0);
    for other in ["service-1", "queue-1"] {
        let rect = harness
            .state()
            .graph_node_rect(other)
            .expect("the node is on the canvas");
        assert!(
            !rect.intersects(area),
            "{other} lies in the box around client-1"
        );
    }
    hold(&mut harness, Modifiers::SHIFT);
    drag(&mut harness, area.left_top(), area.right_bottom());
    hold(&mut harness, Modifiers::NONE);
    harness.run_steps(2);
    harness.get_by_label("2 nodes selected");
    harness.get_by_label("client-1 (client)");
    harness.get_by_label("queue-1 (queue)");
    assert!(harness.query_by_label("service-1 (service)").is_none());
    assert_eq!(
        *harness.state().editing().scenario(),
        before,
        "selecting changes nothing"
    );
    assert!(!harness.state().editing().history().can_redo());
}

#[test]
fn rename_in_place_and_undo() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    new_document(&mut harness);
    add(&mut harness, "client");
    add(&mut harness, "service");
    connect(&mut harness, "client-1", "service-1");
    let before = harness.state().editing().scenario().clone();

    // A double-click opens the field over the node's name, and Enter applies it.
    double_click_node(&mut harness, "service-1");
    type_text(&mut harness, "orders");
    harness.key_press(Key::Enter);
    harness.run_steps(3);
    let scenario = harness.state().editing().scenario().clone();
    assert!(scenario.services.contains_key("orders"), "{scenario:?}");
    assert!(!scenario.services.contains_key("service-1"));
    assert_eq!(scenario.clients["client-1"].target, "orders.handle");
    assert_eq!(
        scenario.layout.get("orders"),
        before.layout.get("service-1")
    );

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert_eq!(*harness.state().editing().scenario(), before);

    // F2 renames the selected node, and Escape cancels the rename.
    click_node(&mut harness, "service-1");
    harness.key_press(Key::F2);
    harness.run_steps(2);
    type_text(&mut harness, "cancelled");
    harness.key_press(Key::Escape);
    harness.run_steps(3);
    assert_eq!(*harness.state().editing().scenario(), before);

    // An invalid name is rejected with the reason, and the document stays as it is.
    click_node(&mut harness, "service-1");
    harness.key_press(Key::F2);
    harness.run_steps(2);
    type_text(&mut harness, "a b");
    harness.key_press(Key::Enter);
    harness.run_steps(3);
    assert_eq!(*harness.state().editing().scenario(), before);
    let notice = harness.state().notice().unwrap_or_default().to_owned();
    assert!(notice.contains("invalid name \"a b\""), "{notice}");
    // The cancelled and the rejected rename left the history as the undo left it.
    let history = harness.state().editing().history();
    assert_eq!(history.undo_depth(), 3, "two nodes and their connection");
    assert_eq!(history.redo_depth(), 1, "the undone rename");
}

#[test]
fn f1_lists_the_shortcuts() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    assert!(harness.query_by_label("Keyboard shortcuts").is_none());
    harness.key_press(Key::F1);
    harness.run_steps(3);
    harness.get_by_label("Keyboard shortcuts");
    for description in [
        "Undo the last edit",
        "Redo the last undone edit",
        "Rename the selected node on the canvas",
        "Select the nodes in a box",
    ] {
        assert!(
            harness.query_all_by_label(description).next().is_some(),
            "{description} is listed"
        );
    }
    harness.key_press(Key::F1);
    harness.run_steps(3);
    assert!(harness.query_by_label("Keyboard shortcuts").is_none());
}

/// An app that stops without its clean close, as a killed process does, leaves the
/// edit it autosaved, and the next start offers exactly that document.
#[test]
fn killed_app_offers_its_edit() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut first = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    step_until(&mut first, "the engine has loaded", loaded);
    click_node(&mut first, "orders");
    first.key_press(Key::Delete);
    first.run_steps(3);
    let edited = first.state().editing().scenario().clone();
    assert!(!edited.services.contains_key("orders"), "orders is deleted");
    assert!(first.state().window_title().starts_with('●'));
    // The harness is dropped without `on_exit`, as a killed app ends.
    drop(first);

    let mut second = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    assert_eq!(second.state().offered_recoveries().len(), 1);
    step_until(&mut second, "the engine has loaded", loaded);
    second.get_by_label("Recover unsaved work?");
    second.get_by_label("Recover").click();
    second.run_steps(3);
    assert_eq!(*second.state().editing().scenario(), edited);
    assert!(second.state().editing().is_modified());
    assert!(second.state().window_title().starts_with('●'));
}

#[test]
fn undo_to_saved_removes_recovery_file() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut harness = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    step_until(&mut harness, "the engine has loaded", loaded);
    let own = RecoveryStore::with_pid(folder.path(), std::process::id()).path();
    click_node(&mut harness, "orders");
    harness.key_press(Key::Delete);
    harness.run_steps(3);
    assert!(own.exists(), "the deletion is backed up");

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(3);
    assert!(!harness.state().editing().is_modified());
    assert!(
        !own.exists(),
        "an undo back to the opened document leaves nothing to recover"
    );
}

/// Sends the window's close button, as the windowing layer reports it.
fn press_close_button(harness: &mut Harness<'_, TopolabApp>) {
    harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    harness.run_steps(2);
}

#[test]
fn discarded_changes_are_not_offered_again() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut edited = scenario::load_str(include_str!("../../scenarios/mm1.yaml"), None)
        .expect("the bundled scenario is valid")
        .scenario;
    edited.name = Some("Edited before the crash".to_owned());
    RecoveryStore::with_pid(folder.path(), 1)
        .write(&edited, None)
        .expect("the recovery file is written");

    let mut harness = harness(new_app_with_recovery(
        None,
        Some(folder.path().to_path_buf()),
    ));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("Recover").click();
    harness.run_steps(3);
    let own = RecoveryStore::with_pid(folder.path(), std::process::id()).path();
    assert!(own.exists(), "the recovered work is backed up");

    press_close_button(&mut harness);
    let discard = harness.get_by_label("Discard changes").rect().center();
    let discard = egui::pos2(discard.x as f32, discard.y as f32);
    harness.event(egui::Event::PointerMoved(discard));
    harness.run_steps(1);
    // The user takes a while to answer. After the autosave interval, the autosave
    // writes a missing recovery file again, as when another program removed it, so
    // it must not take the file that the answer removes for such a one. The click is
    // the first frame after the wait, as when the window was idle meanwhile.
    std::thread::sleep(super::editing::AUTOSAVE_INTERVAL);
    for pressed in [true, false] {
        harness.input_mut().events.push(egui::Event::PointerButton {
            pos: discard,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    // The choice is made in one frame, and the window closes in the next.
    harness.run_steps(2);
    let closing = harness.output().viewport_output[&egui::ViewportId::ROOT]
        .commands
        .contains(&egui::ViewportCommand::Close);
    assert!(closing, "the window closes after the answer");
    // The window system may draw a few more frames before the window closes.
    harness.run_steps(3);
    assert!(
        !own.exists(),
        "changes discarded on close are not offered at the next start"
    );
}
