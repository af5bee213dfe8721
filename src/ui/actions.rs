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
    /// Start an empty document.
    New,
    /// Write the document to its file.
    Save,
    /// Write the document to a new file.
    SaveAs,
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Delete the selected nodes and their edges.
    Delete,
    /// Copy the selected nodes, with fresh names.
    Duplicate,
    /// Copy the selected nodes to the clipboard.
    Copy,
    /// Add copies of the clipboard's nodes.
    Paste,
    /// Select every node.
    SelectAll,
    /// Rename the selected node in place.
    Rename,
    /// Place every node by the automatic layout.
    Arrange,
    /// Show the keyboard shortcuts.
    Shortcuts,
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
            Action::New => "New",
            Action::Save => "Save",
            Action::SaveAs => "Save as…",
            Action::Undo => "Undo",
            Action::Redo => "Redo",
            Action::Delete => "Delete",
            Action::Duplicate => "Duplicate",
            Action::Copy => "Copy",
            Action::Paste => "Paste",
            Action::SelectAll => "Select all",
            Action::Rename => "Rename",
            Action::Arrange => "Arrange",
            Action::Shortcuts => "Keyboard shortcuts",
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
            Action::New => "Start an empty scenario",
            Action::Save => "Write the scenario to its file",
            Action::SaveAs => "Write the scenario to a new file",
            Action::Undo => "Undo the last edit",
            Action::Redo => "Redo the last undone edit",
            Action::Delete => "Delete the selected nodes and their edges",
            Action::Duplicate => "Copy the selected nodes next to them, with new names",
            Action::Copy => "Copy the selected nodes to the clipboard",
            Action::Paste => "Add copies of the nodes on the clipboard",
            Action::SelectAll => "Select every node",
            Action::Rename => "Rename the selected node on the canvas",
            Action::Arrange => {
                "Place every node by the automatic layout, left to right along the calls"
            }
            Action::Shortcuts => "List the keyboard shortcuts",
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
            Action::New => key(Modifiers::COMMAND, Key::N),
            Action::Save => key(Modifiers::COMMAND, Key::S),
            Action::SaveAs => key(Modifiers::COMMAND | Modifiers::SHIFT, Key::S),
            Action::Undo => key(Modifiers::COMMAND, Key::Z),
            Action::Redo => key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z),
            Action::Delete => key(Modifiers::NONE, Key::Delete),
            Action::Duplicate => key(Modifiers::COMMAND, Key::D),
            Action::Copy => key(Modifiers::COMMAND, Key::C),
            Action::Paste => key(Modifiers::COMMAND, Key::V),
            Action::SelectAll => key(Modifiers::COMMAND, Key::A),
            Action::Rename => key(Modifiers::NONE, Key::F2),
            Action::Arrange => key(Modifiers::COMMAND, Key::L),
            Action::Shortcuts => key(Modifiers::NONE, Key::F1),
        }
    }

    /// Every action that has a shortcut, in the order the shortcut list shows them.
    pub const WITH_SHORTCUTS: [Action; 19] = [
        Action::New,
        Action::Open,
        Action::OpenPath,
        Action::Save,
        Action::SaveAs,
        Action::Reload,
        Action::Quit,
        Action::Undo,
        Action::Redo,
        Action::Copy,
        Action::Paste,
        Action::Duplicate,
        Action::Delete,
        Action::SelectAll,
        Action::Rename,
        Action::Arrange,
        Action::Step,
        Action::Reset,
        Action::Shortcuts,
    ];
}
