//! Every user action, shared by menus, buttons and keyboard shortcuts.

use egui::{Key, KeyboardShortcut, Modifiers};

/// Every user action, with the label, tooltip and shortcut that menus, buttons and the
/// keyboard share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Play the run.
    Play,
    /// Pause the run.
    Pause,
    /// Advance one time-series window.
    Step,
    /// Start the run again from 0.
    Reset,
    /// Open a file through the system's dialog.
    Open,
    /// Type the path of a file to open.
    OpenPath,
    /// Read the current file again.
    Reload,
    /// Close the window.
    Quit,
}

impl Action {
    /// Returns the text of its button or menu entry.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Action::Play => "Play",
            Action::Pause => "Pause",
            Action::Step => "Step",
            Action::Reset => "Reset",
            Action::Open => "Open…",
            Action::OpenPath => "Open path…",
            Action::Reload => "Reload",
            Action::Quit => "Quit",
        }
    }

    /// Returns a sentence saying what it does.
    #[must_use]
    pub fn tooltip(self) -> &'static str {
        match self {
            Action::Play => "Play the run at the chosen speed",
            Action::Pause => "Pause the run; the simulated time stays where it is",
            Action::Step => "Advance by one time-series window and pause",
            Action::Reset => "Start the run again from simulated time 0",
            Action::Open => "Open a scenario file",
            Action::OpenPath => "Type the path of a scenario file to open",
            Action::Reload => "Read the current scenario file again",
            Action::Quit => "Close Topolab",
        }
    }

    /// Returns its keyboard shortcut.
    #[must_use]
    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        let key = |modifiers, key| Some(KeyboardShortcut::new(modifiers, key));
        match self {
            Action::Play | Action::Pause => None,
            Action::Step => key(Modifiers::NONE, Key::ArrowRight),
            Action::Reset => key(Modifiers::COMMAND, Key::Backspace),
            Action::Open => key(Modifiers::COMMAND, Key::O),
            Action::OpenPath => key(Modifiers::COMMAND | Modifiers::SHIFT, Key::O),
            Action::Reload => key(Modifiers::COMMAND, Key::R),
            Action::Quit => key(Modifiers::COMMAND, Key::Q),
        }
    }
}
