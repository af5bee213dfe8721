//! Undo and redo stacks, with a saved marker for the modified flag and coalescing of
//! consecutive edits of one field.

use std::collections::VecDeque;

use super::command::{Change, Command, EditError};
use super::document::{EditorDocument, NodeId};

/// Undo steps kept by [`History::default`]. Each step contains copies of the nodes it
/// changed, so the memory used grows with the size of the edited nodes.
pub const DEFAULT_MAX_DEPTH: usize = 500;

/// A key that makes consecutive commands one undo step, such as the keystrokes typed
/// into one text field. Build it from what the field edits, as in
/// `MergeKey::new(format!("{id}/workers"))`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MergeKey(String);

impl MergeKey {
    /// Returns a key from any text that identifies the edited field.
    #[must_use]
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
}

/// The result of [`History::execute`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The nodes the command added, for the UI to select.
    pub created: Vec<NodeId>,
    /// Whether the command was recorded; a command that changes nothing is not.
    pub recorded: bool,
}

/// The undo and redo stacks of one document.
///
/// Each state of the document reached through the history has a serial number: the
/// number of the entry that produced it, or `base` for the oldest state still
/// reachable. The document is modified when the current state's number differs from
/// the number saved by [`History::mark_saved`].
#[derive(Debug)]
pub struct History {
    undo: VecDeque<Entry>,
    redo: Vec<Entry>,
    max_depth: usize,
    next_serial: u64,
    /// Serial of the state below the oldest undo entry.
    base: u64,
    /// Serial of the saved state, or `None` if no reachable state was saved.
    saved: Option<u64>,
    /// The merge key of the last command, while the next one may still merge with it.
    open_merge: Option<MergeKey>,
}

#[derive(Debug)]
struct Entry {
    change: Change,
    serial: u64,
}

impl Default for History {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_DEPTH)
    }
}

impl History {
    /// Returns an empty history that keeps at most `max_depth` undo steps (at least 1). The
    /// document starts unmodified.
    #[must_use]
    pub fn new(max_depth: usize) -> Self {
        Self {
            undo: VecDeque::new(),
            redo: Vec::new(),
            max_depth: max_depth.max(1),
            next_serial: 1,
            base: 0,
            saved: Some(0),
            open_merge: None,
        }
    }

    /// Applies `command` to `document` and records it as one undo step. Clears the redo
    /// stack unless the command changed nothing.
    pub fn execute(
        &mut self,
        document: &mut EditorDocument,
        command: &Command,
    ) -> Result<Outcome, EditError> {
        self.execute_inner(document, command, None)
    }

    /// Applies `command` like [`History::execute`], merging it into the last undo step
    /// if that step was recorded with the same `key` just before, and has not been saved
    /// since. Call [`History::end_merge`] when the field loses focus.
    pub fn execute_merging(
        &mut self,
        document: &mut EditorDocument,
        command: &Command,
        key: MergeKey,
    ) -> Result<Outcome, EditError> {
        self.execute_inner(document, command, Some(key))
    }

    fn execute_inner(
        &mut self,
        document: &mut EditorDocument,
        command: &Command,
        key: Option<MergeKey>,
    ) -> Result<Outcome, EditError> {
        let change = document.apply(command)?;
        let created = change.created().to_vec();
        if change.is_empty() {
            return Ok(Outcome {
                created,
                recorded: false,
            });
        }
        self.redo.clear();
        let merges = key.is_some() && key == self.open_merge;
        let serial = self.next_serial;
        self.next_serial += 1;
        match self.undo.back_mut() {
            Some(last) if merges => {
                last.change.absorb(change);
                // A new number, because the merged step leads to a new state.
                last.serial = serial;
            }
            _ => {
                self.undo.push_back(Entry { change, serial });
                if self.undo.len() > self.max_depth
                    && let Some(dropped) = self.undo.pop_front()
                {
                    self.base = dropped.serial;
                }
            }
        }
        self.open_merge = key;
        Ok(Outcome {
            created,
            recorded: true,
        })
    }

    /// Undoes the last step and returns its label, or `None` if there is nothing to undo.
    pub fn undo(&mut self, document: &mut EditorDocument) -> Result<Option<String>, EditError> {
        self.open_merge = None;
        let Some(entry) = self.undo.pop_back() else {
            return Ok(None);
        };
        if let Err(error) = document.undo(&entry.change) {
            self.undo.push_back(entry);
            return Err(error);
        }
        let label = entry.change.label().to_owned();
        self.redo.push(entry);
        Ok(Some(label))
    }

    /// Redoes the last undone step and returns its label, or `None` if there is nothing
    /// to redo.
    pub fn redo(&mut self, document: &mut EditorDocument) -> Result<Option<String>, EditError> {
        self.open_merge = None;
        let Some(entry) = self.redo.pop() else {
            return Ok(None);
        };
        if let Err(error) = document.redo(&entry.change) {
            self.redo.push(entry);
            return Err(error);
        }
        let label = entry.change.label().to_owned();
        self.undo.push_back(entry);
        Ok(Some(label))
    }

    /// Ends coalescing, so that the next command is a step of its own even with the same
    /// merge key.
    pub fn end_merge(&mut self) {
        self.open_merge = None;
    }

    /// Records the current state as saved.
    pub fn mark_saved(&mut self) {
        self.saved = Some(self.current_serial());
        // A later edit must not change the saved step.
        self.open_merge = None;
    }

    /// Records that no reachable state is saved, as for a document not yet written to a
    /// file.
    pub fn mark_unsaved(&mut self) {
        self.saved = None;
    }

    /// Returns whether the document differs from the last saved state, also after undoing back
    /// past it.
    #[must_use]
    pub fn is_modified(&self) -> bool {
        self.saved != Some(self.current_serial())
    }

    /// Returns whether there is a step to undo.
    #[must_use]
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Returns whether there is a step to redo.
    #[must_use]
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Returns the label of the step that [`History::undo`] would undo.
    #[must_use]
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.back().map(|entry| entry.change.label())
    }

    /// Returns the label of the step that [`History::redo`] would redo.
    #[must_use]
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|entry| entry.change.label())
    }

    /// Returns the number of steps that can be undone.
    #[must_use]
    pub fn undo_depth(&self) -> usize {
        self.undo.len()
    }

    /// Returns the number of steps that can be redone.
    #[must_use]
    pub fn redo_depth(&self) -> usize {
        self.redo.len()
    }

    fn current_serial(&self) -> u64 {
        self.undo.back().map_or(self.base, |entry| entry.serial)
    }
}
