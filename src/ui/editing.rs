//! The app's side of editing: the document with its undo history, its validation
//! messages, the clipboard and the recovery file, and how an edit reaches the engine.
//!
//! Every change goes through [`Editing::execute`], [`Editing::undo`] or
//! [`Editing::redo`]. Each of them validates the new document and returns the
//! change's effect on the run: none for a move, a live change for replicas and plain
//! client rates, and a reset for anything else.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration as WallDuration, Instant};

use crate::editor::{
    Clipboard, Command, EdgeId, EditError, EditorDocument, History, MergeKey, NodeId,
    RecoveryStore, edges,
};
use crate::scenario::write::to_yaml;
use crate::scenario::{Diagnostic, Scenario, load_str};

/// Time between two writes of the recovery file while the document has unsaved changes.
pub const AUTOSAVE_INTERVAL: WallDuration = WallDuration::from_secs(5);

/// The effect of a change of the document on the run.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEffect {
    /// Only node positions changed; the run goes on.
    None,
    /// Only changes that the engine applies to the running run changed.
    Live(Vec<LiveChange>),
    /// Anything else: the run starts again on the new document.
    Reset,
}

/// A change of the document that the engine applies at the current simulated time,
/// without a reset.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveChange {
    /// The replicas of the service at this index, in file order.
    Replicas {
        /// The service's index.
        service: usize,
        /// Its new replicas.
        replicas: u32,
    },
    /// The rate of an open client with a constant rate, Poisson or evenly spaced.
    ClientRate {
        /// The client's index, in file order.
        client: usize,
        /// Its new rate, per second.
        per_sec: f64,
    },
}

/// The edited document, its history and what depends on it.
pub struct Editing {
    document: EditorDocument,
    history: History,
    diagnostics: Vec<Diagnostic>,
    /// Names of the nodes with an error in `diagnostics`, kept with them.
    error_nodes: BTreeSet<String>,
    clipboard: Option<Clipboard>,
    /// Bumped on every change, so that the recovery file is written only when needed.
    revision: u64,
    /// The revision last written to the recovery file, and when.
    autosaved: Option<(u64, Instant)>,
    /// When the recovery file was last found in place, with no change to write.
    autosave_checked: Option<Instant>,
    /// The revision whose recovery file was removed on purpose, which the autosave
    /// does not write again.
    discarded: Option<u64>,
}

impl Editing {
    /// Starts editing `scenario`, unmodified.
    #[must_use]
    pub fn new(scenario: Scenario) -> Self {
        let diagnostics = check(&scenario);
        Self {
            document: EditorDocument::new(scenario),
            history: History::default(),
            error_nodes: nodes_with_errors(&diagnostics),
            diagnostics,
            clipboard: None,
            revision: 0,
            autosaved: None,
            autosave_checked: None,
            discarded: None,
        }
    }

    /// Starts editing `scenario` as read from a file that has `diagnostics`, unmodified.
    /// The caller checks that the document gives the same messages when it is written,
    /// with [`crate::editor::round_trip::check_round_trip`]. Until the first change, the
    /// diagnostics keep the file and the positions they have there.
    #[must_use]
    pub fn opened(scenario: Scenario, diagnostics: Vec<Diagnostic>) -> Self {
        let mut editing = Self::new(scenario);
        editing.error_nodes = nodes_with_errors(&diagnostics);
        editing.diagnostics = diagnostics;
        editing
    }

    /// Starts editing a recovered `scenario`, which counts as modified.
    #[must_use]
    pub fn recovered(scenario: Scenario) -> Self {
        let mut editing = Self::new(scenario);
        editing.history.mark_unsaved();
        editing
    }

    /// Returns the document.
    #[must_use]
    pub fn document(&self) -> &EditorDocument {
        &self.document
    }

    /// Returns the scenario being edited.
    #[must_use]
    pub fn scenario(&self) -> &Scenario {
        self.document.scenario()
    }

    /// Returns the undo history.
    #[must_use]
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Returns the errors and warnings of the current document, as `topolab validate`
    /// reports them for the saved file. They have no file, line and column, except for
    /// a document opened with errors and not changed since, as [`Editing::opened`] describes.
    #[must_use]
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Returns the number of errors of the current document.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Returns the names of the nodes that have an error at or below their path.
    #[must_use]
    pub fn nodes_with_errors(&self) -> &BTreeSet<String> {
        &self.error_nodes
    }

    /// Returns whether the document differs from its last save.
    #[must_use]
    pub fn is_modified(&self) -> bool {
        self.history.is_modified()
    }

    /// Returns the id of the node called `name`.
    #[must_use]
    pub fn id_of(&self, name: &str) -> Option<NodeId> {
        self.document.id_of(name)
    }

    /// Returns the ids of the nodes called `names`, leaving out unknown names.
    #[must_use]
    pub fn ids_of(&self, names: &[String]) -> Vec<NodeId> {
        names.iter().filter_map(|name| self.id_of(name)).collect()
    }

    /// Returns the names of the nodes `ids`, leaving out unknown ids.
    #[must_use]
    pub fn names_of(&self, ids: &[NodeId]) -> Vec<String> {
        ids.iter()
            .filter_map(|&id| self.document.name(id).map(str::to_owned))
            .collect()
    }

    /// Applies `command` as one undo step, or as part of the last one if `merge` names
    /// the same field as the command before. Returns the nodes it created and what the
    /// run must do.
    ///
    /// # Errors
    /// Fails with the editor's reason, and the document is then unchanged.
    pub fn execute(
        &mut self,
        command: &Command,
        merge: Option<MergeKey>,
    ) -> Result<(Vec<NodeId>, RunEffect), EditError> {
        let before = self.scenario().clone();
        let outcome = match merge {
            Some(key) => self
                .history
                .execute_merging(&mut self.document, command, key)?,
            None => self.history.execute(&mut self.document, command)?,
        };
        Ok((outcome.created, self.changed(&before)))
    }

    /// Undoes the last step and returns its label and what the run must do, or `None`
    /// when there is nothing to undo.
    ///
    /// # Errors
    /// Fails if the history does not match the document, which would be a bug.
    pub fn undo(&mut self) -> Result<Option<(String, RunEffect)>, EditError> {
        let before = self.scenario().clone();
        let label = self.history.undo(&mut self.document)?;
        Ok(label.map(|label| (label, self.changed(&before))))
    }

    /// Redoes the last undone step, as [`Editing::undo`] does.
    ///
    /// # Errors
    /// Fails if the history does not match the document, which would be a bug.
    pub fn redo(&mut self) -> Result<Option<(String, RunEffect)>, EditError> {
        let before = self.scenario().clone();
        let label = self.history.redo(&mut self.document)?;
        Ok(label.map(|label| (label, self.changed(&before))))
    }

    /// Ends the merging of edits into one undo step, as when a field loses the focus.
    pub fn end_merge(&mut self) {
        self.history.end_merge();
    }

    /// Records that the document was saved as it is now.
    pub fn mark_saved(&mut self) {
        self.history.mark_saved();
    }

    /// Copies the nodes `ids` to the clipboard and returns the copy. A node without a
    /// layout entry gets the position `shown` returns for its name, the one the canvas
    /// draws it at, so that its copies land next to it.
    ///
    /// # Errors
    /// Fails if an id is unknown.
    pub fn copy(
        &mut self,
        ids: &[NodeId],
        shown: impl Fn(&str) -> Option<[f64; 2]>,
    ) -> Result<Clipboard, EditError> {
        let clipboard = self.copy_shown(ids, shown)?;
        self.clipboard = Some(clipboard.clone());
        Ok(clipboard)
    }

    /// Copies the nodes `ids` as [`Editing::copy`] does, but leaves the clipboard alone,
    /// as a duplicate does.
    ///
    /// # Errors
    /// Fails if an id is unknown.
    pub fn copy_shown(
        &self,
        ids: &[NodeId],
        shown: impl Fn(&str) -> Option<[f64; 2]>,
    ) -> Result<Clipboard, EditError> {
        let mut clipboard = self.document.copy(ids)?;
        for node in &mut clipboard.nodes {
            if node.position.is_none() {
                node.position = shown(&node.name);
            }
        }
        Ok(clipboard)
    }

    /// Returns the nodes last copied or pasted from the system clipboard.
    #[must_use]
    pub fn clipboard(&self) -> Option<&Clipboard> {
        self.clipboard
            .as_ref()
            .filter(|clipboard| !clipboard.is_empty())
    }

    /// Makes `clipboard` the nodes that Edit ▸ Paste adds, as after a paste from the
    /// system clipboard.
    pub fn set_clipboard(&mut self, clipboard: Clipboard) {
        self.clipboard = Some(clipboard);
    }

    /// Returns the edges from the node `from` to the node `to` whose kind the canvas
    /// draws as `kind`, in the order that removes them safely: later steps of an
    /// operation first, so that the indices of the others stay valid.
    #[must_use]
    pub fn edges_between(
        &self,
        from: &str,
        to: &str,
        kind: crate::ui::topology::EdgeKind,
    ) -> Vec<EdgeId> {
        use crate::editor::EdgeKind as Stored;
        use crate::ui::topology::EdgeKind as Drawn;
        let (Some(from), Some(to)) = (self.id_of(from), self.id_of(to)) else {
            return Vec::new();
        };
        let mut found: Vec<EdgeId> = edges(&self.document)
            .into_iter()
            .filter(|edge| edge.from == from && edge.to == to)
            .filter(|edge| {
                matches!(
                    (edge.kind, kind),
                    (Stored::ClientTarget | Stored::Call, Drawn::Call)
                        | (Stored::Publish, Drawn::Publish)
                        | (Stored::Consume, Drawn::Consume)
                        | (Stored::DeadLetter, Drawn::DeadLetter)
                )
            })
            .map(|edge| edge.id)
            .collect();
        found.sort_by_key(|id| match id {
            EdgeId::Step { step, call, .. } => std::cmp::Reverse((*step, call.unwrap_or(0))),
            _ => std::cmp::Reverse((0, 0)),
        });
        found
    }

    /// Writes the recovery file of a modified document if at least
    /// [`AUTOSAVE_INTERVAL`] has passed since the last write, and the document changed
    /// since then or the file has disappeared, as when another program removed it.
    /// Returns whether it wrote. The file is looked for once per interval at most.
    /// Once the document is unmodified again, the file written before is removed.
    ///
    /// # Errors
    /// Fails with the reason the file cannot be written.
    pub fn autosave(
        &mut self,
        store: &RecoveryStore,
        original: Option<&Path>,
        now: Instant,
    ) -> Result<bool, crate::editor::RecoveryError> {
        if !self.is_modified() {
            // Back at the saved state, as after undoing every change since the save,
            // the file contains changes that are gone, so it is removed rather than
            // offered after a crash.
            if self.autosaved.take().is_some() {
                store.discard()?;
            }
            return Ok(false);
        }
        if self.discarded == Some(self.revision) {
            return Ok(false);
        }
        if let Some((revision, at)) = self.autosaved {
            if now.duration_since(at) < AUTOSAVE_INTERVAL {
                return Ok(false);
            }
            if revision == self.revision {
                let checked_lately = self
                    .autosave_checked
                    .is_some_and(|checked| now.duration_since(checked) < AUTOSAVE_INTERVAL);
                if checked_lately {
                    return Ok(false);
                }
                self.autosave_checked = Some(now);
                let path = store.path();
                if path.exists() {
                    return Ok(false);
                }
                tracing::warn!(path = %path.display(), "the recovery file has disappeared, so it is written again");
            }
        }
        store.write(self.scenario(), original)?;
        self.autosaved = Some((self.revision, now));
        Ok(true)
    }

    /// Records that the recovery file was removed on purpose, as when the user discards
    /// the changes on closing. The autosave then writes it again only after the next
    /// change, rather than taking it for a file that another program removed.
    pub fn recovery_discarded(&mut self) {
        self.discarded = Some(self.revision);
        self.autosaved = None;
    }

    /// Validates the document after a change and works out what the run must do.
    fn changed(&mut self, before: &Scenario) -> RunEffect {
        let after = self.document.scenario();
        if after == before {
            return RunEffect::None;
        }
        self.revision += 1;
        self.diagnostics = check(after);
        self.error_nodes = nodes_with_errors(&self.diagnostics);
        run_effect(before, after)
    }
}

/// Returns what the run must do when the document changes from `before` to `after`.
#[must_use]
pub fn run_effect(before: &Scenario, after: &Scenario) -> RunEffect {
    let mut without_layout = before.clone();
    without_layout.layout.clone_from(&after.layout);
    if without_layout == *after {
        return RunEffect::None;
    }
    // Replicas and rates apply live only when they are all that changed.
    let mut changes = Vec::new();
    for (index, ((name, old), (new_name, new))) in without_layout
        .services
        .iter_mut()
        .zip(&after.services)
        .enumerate()
    {
        if name == new_name && old.replicas != new.replicas {
            changes.push(LiveChange::Replicas {
                service: index,
                replicas: new.replicas,
            });
            old.replicas = new.replicas;
        }
    }
    for (index, ((name, old), (new_name, new))) in without_layout
        .clients
        .iter_mut()
        .zip(&after.clients)
        .enumerate()
    {
        if name != new_name {
            continue;
        }
        if let Some(per_sec) = live_rate(old, new) {
            changes.push(LiveChange::ClientRate {
                client: index,
                per_sec,
            });
            old.workload = new.workload.clone();
        }
    }
    if !changes.is_empty() && without_layout == *after {
        RunEffect::Live(changes)
    } else {
        RunEffect::Reset
    }
}

/// Returns the new rate of a client whose rate the engine can change while running: an
/// open client without a rate profile whose arrivals keep their kind, Poisson or evenly
/// spaced, and change only their rate.
fn live_rate(before: &crate::scenario::Client, after: &crate::scenario::Client) -> Option<f64> {
    use crate::scenario::{Arrivals, Workload};
    let (
        Workload::Open {
            arrivals: old,
            profile: old_profile,
        },
        Workload::Open {
            arrivals: new,
            profile: new_profile,
        },
    ) = (&before.workload, &after.workload)
    else {
        return None;
    };
    let same_kind = matches!(
        (old, new),
        (Arrivals::Poisson(_), Arrivals::Poisson(_))
            | (Arrivals::Constant(_), Arrivals::Constant(_))
    );
    let plain = old_profile.is_empty() && new_profile.is_empty();
    (same_kind && plain && old != new).then(|| new.rate().as_per_sec())
}

/// Checks `scenario` by writing it and reading it back, so that it gets exactly the
/// messages that `topolab validate` prints for the saved file. The positions refer to
/// the written text, which is never shown, so they are dropped.
#[must_use]
pub fn check(scenario: &Scenario) -> Vec<Diagnostic> {
    let text = match to_yaml(scenario) {
        Ok(text) => text,
        Err(error) => {
            return vec![Diagnostic {
                severity: crate::scenario::Severity::Error,
                file: None,
                position: None,
                path: String::new(),
                message: error.to_string(),
            }];
        }
    };
    let diagnostics = match load_str(&text, None) {
        Ok(loaded) => loaded.warnings,
        Err(diagnostics) => diagnostics,
    };
    diagnostics
        .into_iter()
        .map(|diagnostic| Diagnostic {
            position: None,
            ..diagnostic
        })
        .collect()
}

/// Returns the names of the nodes that have an error in `diagnostics`.
fn nodes_with_errors(diagnostics: &[Diagnostic]) -> BTreeSet<String> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| node_of_path(&d.path))
        .collect()
}

/// Returns the node that a field path belongs to, as `services.payments.workers`
/// belongs to `payments`.
#[must_use]
pub fn node_of_path(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("clients.")
        .or_else(|| path.strip_prefix("services."))
        .or_else(|| path.strip_prefix("queues."))?;
    let name = rest.split(['.', '[']).next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::NodeKind;

    fn checkout() -> Scenario {
        load_str(include_str!("../../scenarios/checkout-async.yaml"), None)
            .expect("the bundled scenario is valid")
            .scenario
    }

    #[test]
    fn paths_name_their_node() {
        assert_eq!(
            node_of_path("services.payments.workers").as_deref(),
            Some("payments")
        );
        assert_eq!(
            node_of_path("clients.shoppers").as_deref(),
            Some("shoppers")
        );
        assert_eq!(node_of_path("queues.q[0]").as_deref(), Some("q"));
        assert_eq!(node_of_path("run.duration"), None);
    }

    #[test]
    fn moves_leave_the_run_alone() {
        let before = checkout();
        let mut after = before.clone();
        after.layout.insert("gateway".to_owned(), [1.0, 2.0]);
        assert_eq!(run_effect(&before, &after), RunEffect::None);
    }

    #[test]
    fn replicas_apply_live() {
        let before = checkout();
        let mut after = before.clone();
        let payments = after.services.get_index_of("payments").expect("payments");
        after.services[payments].replicas = 7;
        assert_eq!(
            run_effect(&before, &after),
            RunEffect::Live(vec![LiveChange::Replicas {
                service: payments,
                replicas: 7
            }])
        );
        after.services[payments].workers += 1;
        assert_eq!(run_effect(&before, &after), RunEffect::Reset);
    }

    fn mm1() -> Scenario {
        load_str(include_str!("../../scenarios/mm1.yaml"), None)
            .expect("the bundled scenario is valid")
            .scenario
    }

    fn with_arrivals(scenario: &Scenario, arrivals: crate::scenario::Arrivals) -> Scenario {
        let mut changed = scenario.clone();
        if let crate::scenario::Workload::Open { arrivals: a, .. } =
            &mut changed.clients[0].workload
        {
            *a = arrivals;
        }
        changed
    }

    #[test]
    fn plain_rates_apply_live() {
        use crate::scenario::{Arrivals, Rate};
        let before = mm1();
        let after = with_arrivals(&before, Arrivals::Poisson(Rate::per_sec(300.0)));
        assert_eq!(
            run_effect(&before, &after),
            RunEffect::Live(vec![LiveChange::ClientRate {
                client: 0,
                per_sec: 300.0
            }])
        );
        let constant = with_arrivals(&before, Arrivals::Constant(Rate::per_sec(800.0)));
        let faster = with_arrivals(&before, Arrivals::Constant(Rate::per_sec(900.0)));
        assert_eq!(
            run_effect(&constant, &faster),
            RunEffect::Live(vec![LiveChange::ClientRate {
                client: 0,
                per_sec: 900.0
            }])
        );
    }

    #[test]
    fn other_client_edits_reset() {
        use crate::scenario::{Arrivals, Rate};
        let before = mm1();
        let kind = with_arrivals(&before, Arrivals::Constant(Rate::per_sec(800.0)));
        assert_eq!(run_effect(&before, &kind), RunEffect::Reset, "kind changed");

        let mut both = with_arrivals(&before, Arrivals::Poisson(Rate::per_sec(300.0)));
        both.clients[0].timeout = Some(crate::scenario::Duration::from_secs(1));
        assert_eq!(run_effect(&before, &both), RunEffect::Reset, "timeout too");

        // checkout-async's shoppers have a rate profile.
        let profiled = checkout();
        let faster = with_arrivals(&profiled, Arrivals::Poisson(Rate::per_sec(300.0)));
        assert_eq!(run_effect(&profiled, &faster), RunEffect::Reset, "profile");
    }

    #[test]
    fn new_client_without_target_is_an_error() {
        let mut editing = Editing::new(checkout());
        assert_eq!(editing.error_count(), 0, "{:?}", editing.diagnostics());
        let (created, effect) = editing
            .execute(
                &Command::AddNode {
                    kind: NodeKind::Client,
                    name: None,
                    position: Some([0.0, 0.0]),
                },
                None,
            )
            .expect("the client is added");
        assert_eq!(effect, RunEffect::Reset);
        let name = editing.names_of(&created).pop().expect("a new client");
        assert!(editing.error_count() > 0);
        assert!(
            editing.nodes_with_errors().contains(&name),
            "{:?}",
            editing.diagnostics()
        );
        let expected = load_str(
            &to_yaml(editing.scenario()).expect("the document is written"),
            None,
        )
        .expect_err("the document is invalid");
        let messages: Vec<&str> = editing
            .diagnostics()
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        let from_file: Vec<&str> = expected.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, from_file, "the same messages as the command line");
        let (label, _) = editing.undo().expect("undo works").expect("a step to undo");
        assert!(label.contains("Add"), "{label}");
        assert_eq!(editing.error_count(), 0);
        assert!(!editing.is_modified());
    }

    #[test]
    fn autosave_waits_for_changes_and_the_interval() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = RecoveryStore::with_pid(folder.path(), 4242);
        let mut editing = Editing::new(checkout());
        let start = Instant::now();
        assert!(
            !editing.autosave(&store, None, start).expect("no error"),
            "unmodified"
        );
        let id = editing.id_of("gateway").expect("gateway");
        editing
            .execute(&Command::MoveNodes(vec![(id, [5.0, 5.0])]), None)
            .expect("the move applies");
        // A move is a change of the document, though not of the run.
        assert!(editing.is_modified());
        assert!(editing.autosave(&store, None, start).expect("written"));
        assert!(store.path().exists());
        let soon = start + WallDuration::from_secs(1);
        assert!(
            !editing.autosave(&store, None, soon).expect("no error"),
            "no change since"
        );
        let later = start + AUTOSAVE_INTERVAL;
        assert!(
            !editing.autosave(&store, None, later).expect("no error"),
            "the file is in place"
        );
    }

    #[test]
    fn autosave_removes_file_after_undo_to_saved() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = RecoveryStore::with_pid(folder.path(), 4244);
        let mut editing = Editing::new(checkout());
        let id = editing.id_of("gateway").expect("gateway");
        editing
            .execute(&Command::MoveNodes(vec![(id, [5.0, 5.0])]), None)
            .expect("the move applies");
        let start = Instant::now();
        assert!(editing.autosave(&store, None, start).expect("written"));
        assert!(store.path().exists());

        editing.undo().expect("undo works").expect("a step to undo");
        assert!(!editing.is_modified());
        let soon = start + WallDuration::from_secs(1);
        assert!(!editing.autosave(&store, None, soon).expect("no error"));
        assert!(
            !store.path().exists(),
            "changes that were undone are not offered after a crash"
        );

        // The next change is written at once, without waiting for the interval.
        editing.redo().expect("redo works").expect("a step to redo");
        assert!(editing.autosave(&store, None, soon).expect("written"));
        assert!(store.path().exists());
    }

    #[test]
    fn autosave_keeps_discarded_file_removed() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = RecoveryStore::with_pid(folder.path(), 4245);
        let mut editing = Editing::new(checkout());
        let id = editing.id_of("gateway").expect("gateway");
        editing
            .execute(&Command::MoveNodes(vec![(id, [5.0, 5.0])]), None)
            .expect("the move applies");
        let start = Instant::now();
        assert!(editing.autosave(&store, None, start).expect("written"));

        store.discard().expect("the file is removed");
        editing.recovery_discarded();
        let later = start + AUTOSAVE_INTERVAL * 2;
        assert!(
            !editing.autosave(&store, None, later).expect("no error"),
            "a file removed on purpose is not written again"
        );
        assert!(!store.path().exists());

        editing
            .execute(&Command::MoveNodes(vec![(id, [9.0, 5.0])]), None)
            .expect("the move applies");
        assert!(
            editing.autosave(&store, None, later).expect("written"),
            "the next change is written at once"
        );
        assert!(store.path().exists());
    }

    #[test]
    fn autosave_rewrites_removed_file() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = RecoveryStore::with_pid(folder.path(), 4243);
        let mut editing = Editing::new(checkout());
        let id = editing.id_of("gateway").expect("gateway");
        editing
            .execute(&Command::MoveNodes(vec![(id, [5.0, 5.0])]), None)
            .expect("the move applies");
        let start = Instant::now();
        assert!(editing.autosave(&store, None, start).expect("written"));
        std::fs::remove_file(store.path()).expect("the file is removed");

        let soon = start + WallDuration::from_secs(1);
        assert!(
            !editing.autosave(&store, None, soon).expect("no error"),
            "not before the interval"
        );
        let later = start + AUTOSAVE_INTERVAL;
        assert!(
            editing.autosave(&store, None, later).expect("written"),
            "a removed file is written again"
        );
        assert!(store.path().exists());
        let restored = crate::editor::recovery::read_recovery(&store.path())
            .expect("the file reads")
            .load()
            .expect("the document loads");
        assert_eq!(restored.scenario, *editing.scenario());
    }
}
