//! Headless tests of copy, paste and duplicate, with input as the windowing layer sends
//! it: Ctrl+C arrives as a copy event, and Ctrl+V as a paste event with the system
//! clipboard's text, or as nothing at all when the clipboard contains no text.

use egui::{Event, Key, Modifiers, Pos2, output::OutputCommand};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::app::TopolabApp;
use super::editor_tests::{new_document, node_center};
use super::tests::{click_at, harness, loaded, new_app, step_until};
use crate::editor::Clipboard;

/// The system clipboard, as the windowing layer keeps it for the app.
#[derive(Default)]
struct SystemClipboard {
    text: Option<String>,
}

impl SystemClipboard {
    /// Takes the text that the app's last frame put on the clipboard, if any.
    fn record(&mut self, harness: &Harness<'_, TopolabApp>) {
        for command in &harness.output().platform_output.commands {
            if let OutputCommand::CopyText(text) = command {
                self.text = Some(text.clone());
            }
        }
    }

    /// Presses Ctrl+C.
    fn copy(&mut self, harness: &mut Harness<'_, TopolabApp>) {
        harness.event(Event::Copy);
        harness.run_steps(1);
        self.record(harness);
        harness.run_steps(1);
    }

    /// Presses Ctrl+V, which sends the clipboard's text, and nothing when it has none.
    fn paste(&self, harness: &mut Harness<'_, TopolabApp>) {
        if let Some(text) = self.text.clone().filter(|text| !text.is_empty()) {
            harness.event(Event::Paste(text));
        }
        harness.run_steps(2);
    }
}

fn service_names(harness: &Harness<'_, TopolabApp>) -> Vec<String> {
    let scenario = harness.state().editing().scenario();
    scenario.services.keys().cloned().collect()
}

fn position(harness: &Harness<'_, TopolabApp>, name: &str) -> [f64; 2] {
    harness.state().editing().scenario().layout[name]
}

/// Returns a point of the Scenario panel, away from the canvas.
fn off_canvas() -> Pos2 {
    Pos2::new(150.0, 300.0)
}

#[test]
fn ctrl_c_then_ctrl_v_pastes() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    let mut clipboard = SystemClipboard::default();
    clipboard.copy(&mut harness);
    let text = clipboard
        .text
        .clone()
        .expect("Copy put text on the clipboard");
    let copied = Clipboard::from_text(&text).expect("the text is a Topolab fragment");
    assert_eq!(copied.nodes.len(), 1);
    assert_eq!(copied.nodes[0].name, "orders");
    assert_eq!(harness.state().notice(), Some("Copied 1 node"));

    clipboard.paste(&mut harness);
    assert!(
        service_names(&harness).contains(&"orders-2".to_owned()),
        "{:?}",
        service_names(&harness)
    );
    assert_eq!(harness.state().selection(), Some("orders-2"));
}

#[test]
fn nodes_paste_into_another_window() {
    let mut source = harness(new_app(None));
    step_until(&mut source, "the engine has loaded", loaded);
    source.key_press_modifiers(Modifiers::COMMAND, Key::A);
    source.run_steps(2);
    let mut clipboard = SystemClipboard::default();
    clipboard.copy(&mut source);
    let original = source.state().editing().scenario().clone();

    let mut target = harness(new_app(None));
    step_until(&mut target, "the engine has loaded", loaded);
    new_document(&mut target);
    clipboard.paste(&mut target);
    let pasted = target.state().editing().scenario();
    assert_eq!(pasted.clients, original.clients);
    assert_eq!(pasted.services, original.services);
    assert_eq!(pasted.queues, original.queues);
    assert_eq!(
        target.state().editing().error_count(),
        0,
        "{:?}",
        target.state().editing().diagnostics()
    );
}

#[test]
fn plain_text_pastes_only_into_fields() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let before = harness.state().editing().scenario().clone();
    let clipboard = SystemClipboard {
        text: Some("hello".to_owned()),
    };
    clipboard.paste(&mut harness);
    assert_eq!(*harness.state().editing().scenario(), before);
    assert_eq!(
        harness.state().notice(),
        Some("Nothing to paste: copy nodes first")
    );

    // The duration field takes the text.
    harness.get_by_label("Duration").click();
    harness.run_steps(1);
    let field = harness
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .find(|node| node.value().is_some_and(|value| value == "3m"))
        .expect("the duration field")
        .rect()
        .center();
    click_at(&mut harness, field);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_steps(1);
    clipboard.paste(&mut harness);
    assert!(
        harness
            .get_all_by_role(egui::accesskit::Role::TextInput)
            .any(|node| node.value().is_some_and(|value| value == "hello")),
        "the field has the text"
    );
    assert_eq!(*harness.state().editing().scenario(), before);
}

#[test]
fn plain_text_falls_back_to_copied_nodes() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    let mut clipboard = SystemClipboard::default();
    clipboard.copy(&mut harness);
    // Text copied in another program since, which the app cannot paste as nodes.
    clipboard.text = Some("https://example.org".to_owned());
    clipboard.paste(&mut harness);
    assert!(service_names(&harness).contains(&"orders-2".to_owned()));
}

#[test]
fn edit_menu_pastes_copied_nodes() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    SystemClipboard::default().copy(&mut harness);
    harness.get_by_label("Edit").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Paste").click();
    // The test harness has no system clipboard, so the next frame pastes the nodes
    // copied in the window.
    harness.run_steps(3);
    assert!(service_names(&harness).contains(&"orders-2".to_owned()));
}

#[test]
fn repeated_pastes_cascade() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    let mut clipboard = SystemClipboard::default();
    clipboard.copy(&mut harness);
    harness.event(Event::PointerMoved(off_canvas()));
    harness.run_steps(1);
    let original = position(&harness, "orders");
    let mut last = original;
    for copy in 2..=21 {
        clipboard.paste(&mut harness);
        let name = format!("orders-{copy}");
        let at = position(&harness, &name);
        assert_eq!(
            [at[0] - last[0], at[1] - last[1]],
            [40.0, 40.0],
            "{name} lands 40 units from the copy before it"
        );
        last = at;
    }
}

#[test]
fn duplicates_of_one_node_cascade() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    let original = position(&harness, "orders");
    let mut seen = vec![original];
    for copy in 2..=4 {
        click_at(&mut harness, orders);
        assert_eq!(harness.state().selection(), Some("orders"));
        harness.key_press_modifiers(Modifiers::COMMAND, Key::D);
        harness.run_steps(2);
        let at = position(&harness, &format!("orders-{copy}"));
        assert!(
            !seen.contains(&at),
            "orders-{copy} at {at:?} lands on {seen:?}"
        );
        seen.push(at);
    }
    assert_eq!(
        harness.state().editing().history().undo_label(),
        Some("Duplicate")
    );
}

#[test]
fn paste_lands_at_the_pointer() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    let orders = node_center(&harness, "orders");
    click_at(&mut harness, orders);
    let mut clipboard = SystemClipboard::default();
    clipboard.copy(&mut harness);
    let target = harness.get_by_label("Fit").rect().center() - egui::vec2(-300.0, 60.0);
    harness.event(Event::PointerMoved(target));
    harness.run_steps(1);
    clipboard.paste(&mut harness);
    let pasted = harness
        .state()
        .graph_node_rect("orders-2")
        .expect("the copy is on the canvas");
    assert!(
        (pasted.center() - target).length() < 2.0,
        "the copy is at {:?}, the pointer at {target:?}",
        pasted.center()
    );
}
