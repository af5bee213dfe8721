//! The editor's document core: everything of the graph editor except drawing.
//!
//! Nothing here depends on the GUI, so the whole editing model is tested without a
//! window. The user interface uses it in this way:
//!
//! - Open a file with [`crate::scenario::load_file`] and wrap the scenario in an
//!   [`EditorDocument`], which gives every client, service and queue a [`NodeId`] that
//!   survives renames, edits and undone deletions. Start a [`History`] next to it.
//! - Draw nodes from [`EditorDocument::node_ids`], [`EditorDocument::name`],
//!   [`EditorDocument::position`] and the node getters, and edges from [`edges`]. An
//!   [`EdgeId`] names the place where its edge is stored, and serves to select and
//!   disconnect it.
//! - Never change the scenario directly. Turn each user action into a [`Command`] and
//!   pass it to [`History::execute`]; typing in one field goes to
//!   [`History::execute_merging`] with a [`MergeKey`] naming the field, so that it
//!   becomes one undo step. A drag becomes one [`Command::MoveNodes`] at its end. An
//!   [`EditError`] is a message for the user, and the document is then unchanged.
//! - Show [`History::is_modified`] as the modified flag, call [`History::mark_saved`]
//!   after [`save_scenario`] succeeds, and check the document with
//!   [`crate::scenario::validate::validate_document`] for the diagnostics panel.
//! - Every so often while the document is modified, write it with
//!   [`RecoveryStore::write`]; call [`RecoveryStore::discard`] after a save and on a
//!   clean close. At start, offer the files from [`find_recovery`].
//!
//! Commands compile into primitive edits whose inverses are recorded as they apply, so
//! that undo restores the document exactly, map order and ids included.

pub mod clipboard;
pub mod command;
pub mod document;
pub mod graph;
pub mod history;
pub mod layout;
pub mod recovery;
pub mod round_trip;
pub mod save;

pub use clipboard::{Clipboard, CopiedNode};
pub use command::{Change, Command, EditError, Endpoint, is_valid_name, tidy_position};
pub use document::{EditorDocument, NodeId, NodeKind, NodeValue, Settings};
pub use graph::{Edge, EdgeId, EdgeKind, edges};
pub use history::{DEFAULT_MAX_DEPTH, History, MergeKey, Outcome};
pub use layout::auto_layout;
pub use recovery::{
    Recovery, RecoveryEntry, RecoveryError, RecoveryStore, Restored, find_recovery,
};
pub use save::{SaveError, save_scenario, write_atomic};
