//! Headless tests that the window survives any input: the run buttons pressed in every
//! order, and a seeded storm of clicks, drags, scrolls and keys at random places while a
//! run plays and the window changes size.

use egui::{Event, Key, Modifiers, MouseWheelUnit, PointerButton, Pos2, Vec2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::app::TopolabApp;
use super::document::Source;
use super::driver::RunState;
use super::tests::{harness, loaded, new_app, step_until};

/// The run buttons, by label.
const RUN_BUTTONS: [&str; 4] = ["Play", "Pause", "Step", "Reset"];

/// Presses the button labelled `label` if it is enabled, and draws a frame.
fn press(harness: &mut Harness<'_, TopolabApp>, label: &str) {
    let button = harness.get_by_label(label);
    if !button.accesskit_node().is_disabled() {
        button.click();
    }
    harness.run_steps(1);
}

#[test]
fn run_buttons_in_every_order() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("As fast as possible").click();
    harness.run_steps(1);

    // Every sequence of three presses, one after the other in one window, so that each
    // sequence starts from the state that the one before left.
    let count = RUN_BUTTONS.len();
    for index in 0..count.pow(3) {
        let sequence = [
            index / (count * count),
            (index / count) % count,
            index % count,
        ];
        for button in sequence {
            press(&mut harness, RUN_BUTTONS[button]);
        }
        harness.run_steps(2);
        let state = harness.state().history().state();
        assert_ne!(state, RunState::Failed, "after {sequence:?}");
    }

    // The engine still responds: Reset and one Step reach the end of the first window.
    press(&mut harness, "Pause");
    press(&mut harness, "Reset");
    let run = harness.state().history().info().map_or(0, |info| info.run);
    step_until(&mut harness, "the reset has arrived", |app| {
        app.history().info().is_some_and(|info| info.run > run)
            && app.history().state() == RunState::Ready
    });
    press(&mut harness, "Step");
    step_until(&mut harness, "one window has passed", |app| {
        app.history().now_ns() == 1_000_000_000
    });
    assert_eq!(harness.state().history().state(), RunState::Paused);
}

/// Keys of the storm with their modifiers. Typed text, Enter and Ctrl+S are left out, so
/// that the storm cannot type a path and save to it. A click on Save next to the path
/// field writes to the path that the test puts there, in a temporary folder.
const KEYS: [(Key, Modifiers); 20] = [
    (Key::Space, Modifiers::NONE),
    (Key::ArrowRight, Modifiers::NONE),
    (Key::ArrowLeft, Modifiers::NONE),
    (Key::Delete, Modifiers::NONE),
    (Key::Backspace, Modifiers::NONE),
    (Key::Backspace, Modifiers::COMMAND),
    (Key::Escape, Modifiers::NONE),
    (Key::Tab, Modifiers::NONE),
    (Key::F1, Modifiers::NONE),
    (Key::F2, Modifiers::NONE),
    (Key::Z, Modifiers::COMMAND),
    (Key::Y, Modifiers::COMMAND),
    (Key::Z, Modifiers::COMMAND.plus(Modifiers::SHIFT)),
    (Key::A, Modifiers::COMMAND),
    (Key::C, Modifiers::COMMAND),
    (Key::V, Modifiers::COMMAND),
    (Key::D, Modifiers::COMMAND),
    (Key::L, Modifiers::COMMAND),
    (Key::N, Modifiers::COMMAND),
    (Key::R, Modifiers::COMMAND),
];

/// Window sizes of the storm, down to the smallest that the app allows.
const SIZES: [Vec2; 3] = [vec2(1280.0, 800.0), vec2(900.0, 640.0), vec2(640.0, 480.0)];

fn button_event(
    position: Pos2,
    button: PointerButton,
    pressed: bool,
    modifiers: Modifiers,
) -> Event {
    Event::PointerButton {
        pos: position,
        button,
        pressed,
        modifiers,
    }
}

/// Sends one random gesture: a click, a double click, a right click, a drag, a scroll
/// or a key.
fn random_gesture(harness: &mut Harness<'_, TopolabApp>, rng: &mut Pcg64Mcg, size: Vec2) {
    let mut position = || Pos2::new(rng.random_range(0.0..size.x), rng.random_range(0.0..size.y));
    let from = position();
    let to = position();
    let modifiers =
        [Modifiers::NONE, Modifiers::SHIFT, Modifiers::COMMAND][rng.random_range(0..3_usize)];
    match rng.random_range(0..10_u32) {
        0..=3 => {
            harness.event(Event::PointerMoved(from));
            harness.event(button_event(from, PointerButton::Primary, true, modifiers));
            harness.event(button_event(from, PointerButton::Primary, false, modifiers));
        }
        4 => {
            harness.event(Event::PointerMoved(from));
            for pressed in [true, false, true, false] {
                harness.event(button_event(
                    from,
                    PointerButton::Primary,
                    pressed,
                    modifiers,
                ));
            }
        }
        5 => {
            harness.event(Event::PointerMoved(from));
            harness.event(button_event(
                from,
                PointerButton::Secondary,
                true,
                modifiers,
            ));
            harness.event(button_event(
                from,
                PointerButton::Secondary,
                false,
                modifiers,
            ));
        }
        6 | 7 => {
            harness.event(Event::PointerMoved(from));
            harness.event(button_event(from, PointerButton::Primary, true, modifiers));
            for step in 1..=4 {
                harness.run_steps(1);
                harness.event(Event::PointerMoved(
                    from + (to - from) * (step as f32 / 4.0),
                ));
            }
            harness.event(button_event(to, PointerButton::Primary, false, modifiers));
        }
        8 => {
            harness.event(Event::PointerMoved(from));
            harness.event(Event::MouseWheel {
                unit: MouseWheelUnit::Line,
                delta: vec2(0.0, rng.random_range(-5.0..5.0)),
                modifiers,
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
            });
        }
        _ => {
            let (key, modifiers) = KEYS[rng.random_range(0..KEYS.len())];
            harness.key_press_modifiers(modifiers, key);
        }
    }
    harness.run_steps(1);
}

#[test]
fn random_input_does_not_panic() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut app = new_app(None);
    app.open(Source::Bundled("platform-50.yaml".to_owned()));
    app.set_path_text(&folder.path().join("storm.yaml").display().to_string());
    let mut harness = harness(app);
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("As fast as possible").click();
    harness.run_steps(1);
    harness.get_by_label("Play").click();
    harness.run_steps(1);

    let mut rng = Pcg64Mcg::seed_from_u64(7);
    for round in 0..600 {
        let size = SIZES[(round / 100) % SIZES.len()];
        if round % 100 == 0 {
            harness.set_size(size);
            harness.run_steps(2);
        }
        random_gesture(&mut harness, &mut rng, size);
        if round % 150 == 149 {
            // Start the run again now and then, in case the storm has stopped it.
            harness.key_press(Key::Escape);
            harness.key_press(Key::Space);
            harness.run_steps(1);
        }
    }

    harness.set_size(SIZES[0]);
    harness.run_steps(3);
    // The window and the engine thread still work: a new document loads into the engine.
    harness
        .state_mut()
        .open(Source::Bundled("mm1.yaml".to_owned()));
    step_until(&mut harness, "mm1 has loaded", |app| {
        app.history()
            .info()
            .is_some_and(|info| info.scenario_name.contains("M/M/1"))
    });
}
