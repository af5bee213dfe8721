//! Commands: every change the editor can make to a document, and their undo.
//!
//! [`EditorDocument::apply`] checks a [`Command`] against the document, applies it and
//! returns a [`Change`] that records how to undo and redo it. A command that cannot
//! apply returns an [`EditError`] and leaves the document as it was.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::scenario::{
    CallStep, Client, Consumer, Defaults, Fault, Link, PublishStep, Queue, RunSettings, Service,
    Step,
};

use super::clipboard::Clipboard;
use super::document::{EditorDocument, NodeId, NodeKind, NodeValue, Primitive};
use super::graph::{
    EdgeId, ReferenceKind, Rewrite, referenced_node, rewrite_faults, rewrite_links,
    rewrite_references, with_node,
};

/// One end of a connection: a node, and for a service the operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The node.
    pub node: NodeId,
    /// The operation, required where the end is a service.
    pub operation: Option<String>,
}

impl Endpoint {
    /// Returns a client or queue end.
    #[must_use]
    pub fn node(node: NodeId) -> Self {
        Self {
            node,
            operation: None,
        }
    }

    /// Returns a service operation end.
    #[must_use]
    pub fn operation(service: NodeId, operation: impl Into<String>) -> Self {
        Self {
            node: service,
            operation: Some(operation.into()),
        }
    }
}

/// A change the user asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Adds a node of `kind` with default contents ([`NodeValue::new_default`]), named
    /// `name` or, without one, the first free name of the form `service-1`.
    AddNode {
        /// The kind of node.
        kind: NodeKind,
        /// The name; `None` picks a free one.
        name: Option<String>,
        /// The position on the canvas; `None` leaves the node out of the layout.
        position: Option<[f64; 2]>,
    },
    /// Deletes nodes together with every edge, link, fault and layout entry that names
    /// them. Client targets that name a deleted service become empty.
    DeleteNodes(Vec<NodeId>),
    /// Renames a node and every reference to it.
    RenameNode {
        /// The node.
        id: NodeId,
        /// The new name.
        name: String,
    },
    /// Renames an operation of a service and every reference to it.
    RenameOperation {
        /// The service.
        service: NodeId,
        /// The current name of the operation.
        from: String,
        /// The new name.
        to: String,
    },
    /// Sets the positions of nodes, as at the end of a drag.
    MoveNodes(Vec<(NodeId, [f64; 2])>),
    /// Adds an edge: client to operation sets the client's target, operation to
    /// operation appends a call step, operation to queue appends a publish step, queue to
    /// operation sets the queue's consumer, and queue to queue sets its dead-letter queue.
    Connect {
        /// The start of the edge.
        from: Endpoint,
        /// The end of the edge.
        to: Endpoint,
    },
    /// Connects two service operations asynchronously: adds a queue, appends a step
    /// that publishes to it to `from`, and makes `to` its consumer.
    PublishThroughQueue {
        /// The publishing operation.
        from: Endpoint,
        /// The consuming operation.
        to: Endpoint,
        /// The queue's name; `None` picks a free one from the consumer's service name,
        /// such as `inventory-queue`.
        queue: Option<String>,
        /// The queue's position on the canvas; `None` leaves it out of the layout.
        position: Option<[f64; 2]>,
    },
    /// Removes one edge; a client whose target is removed keeps an empty target.
    Disconnect(EdgeId),
    /// Replaces a client's contents, as an inspector edit does.
    SetClient {
        /// The client.
        id: NodeId,
        /// Its new contents.
        value: Client,
    },
    /// Replaces a service's contents. References to an operation that the new value no
    /// longer has are left as they are; use [`Command::RenameOperation`] to rename one.
    SetService {
        /// The service.
        id: NodeId,
        /// Its new contents.
        value: Service,
    },
    /// Replaces a queue's contents.
    SetQueue {
        /// The queue.
        id: NodeId,
        /// Its new contents.
        value: Queue,
    },
    /// Sets the scenario's title.
    SetName(Option<String>),
    /// Sets the scenario's description.
    SetDescription(Option<String>),
    /// Sets the network defaults.
    SetDefaults(Defaults),
    /// Sets the run settings.
    SetRun(RunSettings),
    /// Replaces the links.
    SetLinks(Vec<Link>),
    /// Replaces the faults.
    SetFaults(Vec<Fault>),
    /// Adds copies of the clipboard's nodes with free names, moved by `offset`.
    /// Edges between copied nodes lead to the copies; edges to other nodes are kept.
    Paste {
        /// The copied nodes.
        clipboard: Clipboard,
        /// Added to each copied position.
        offset: [f64; 2],
    },
    /// Copies nodes and pastes them at once, as [`Command::Paste`] does.
    Duplicate {
        /// The nodes to copy.
        ids: Vec<NodeId>,
        /// Added to each copied position.
        offset: [f64; 2],
    },
    /// Moves every node to a position computed by [`super::layout::auto_layout`].
    AutoLayout,
    /// Several commands applied, undone and redone as one step. Each command applies to
    /// the document as the commands before it left it.
    Batch {
        /// The label shown in the undo menu.
        label: String,
        /// The commands, in order.
        commands: Vec<Command>,
    },
}

impl Command {
    /// Returns a short description for the undo and redo menu items, as in "Undo Rename node".
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Command::AddNode { kind, .. } => format!("Add {kind}"),
            Command::DeleteNodes(ids) if ids.len() == 1 => "Delete node".to_owned(),
            Command::DeleteNodes(ids) => format!("Delete {} nodes", ids.len()),
            Command::RenameNode { .. } => "Rename node".to_owned(),
            Command::RenameOperation { .. } => "Rename operation".to_owned(),
            Command::MoveNodes(moves) if moves.len() == 1 => "Move node".to_owned(),
            Command::MoveNodes(moves) => format!("Move {} nodes", moves.len()),
            Command::Connect { .. } => "Connect".to_owned(),
            Command::PublishThroughQueue { .. } => "Publish through a new queue".to_owned(),
            Command::Disconnect(_) => "Disconnect".to_owned(),
            Command::SetClient { .. } => "Edit client".to_owned(),
            Command::SetService { .. } => "Edit service".to_owned(),
            Command::SetQueue { .. } => "Edit queue".to_owned(),
            Command::SetName(_) => "Edit scenario name".to_owned(),
            Command::SetDescription(_) => "Edit description".to_owned(),
            Command::SetDefaults(_) => "Edit defaults".to_owned(),
            Command::SetRun(_) => "Edit run settings".to_owned(),
            Command::SetLinks(_) => "Edit links".to_owned(),
            Command::SetFaults(_) => "Edit faults".to_owned(),
            Command::Paste { .. } => "Paste".to_owned(),
            Command::Duplicate { .. } => "Duplicate".to_owned(),
            Command::AutoLayout => "Arrange nodes".to_owned(),
            Command::Batch { label, .. } => label.clone(),
        }
    }
}

/// The reason a command cannot apply.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EditError {
    /// No node has this id, for instance because it was deleted.
    #[error("node {0} does not exist; it may have been deleted")]
    UnknownNode(NodeId),
    /// A name is empty.
    #[error("a name must not be empty")]
    EmptyName,
    /// A name contains a character that names may not contain.
    #[error("invalid name \"{0}\": names may contain only letters, digits, '_' and '-'")]
    InvalidName(String),
    /// Another client, service or queue already has this name.
    #[error("the name \"{0}\" is already used; clients, services and queues need different names")]
    DuplicateName(String),
    /// A node's contents were given as another kind of node.
    #[error("\"{name}\" is a {found}, not a {expected}")]
    WrongKind {
        /// The node's name.
        name: String,
        /// The kind the command expected.
        expected: NodeKind,
        /// The node's kind.
        found: NodeKind,
    },
    /// A service has no operation of this name.
    #[error("service \"{service}\" has no operation \"{operation}\"")]
    UnknownOperation {
        /// The service's name.
        service: String,
        /// The missing operation.
        operation: String,
    },
    /// A service already has an operation of this name.
    #[error("service \"{service}\" already has an operation \"{operation}\"")]
    DuplicateOperation {
        /// The service's name.
        service: String,
        /// The operation.
        operation: String,
    },
    /// A connection to or from a service did not name the operation.
    #[error("connecting service \"{service}\" needs one of its operations")]
    MissingOperation {
        /// The service's name.
        service: String,
    },
    /// No edge leads from this kind of node to that one.
    #[error(
        "cannot connect a {from} to a {to}; edges go from a client to an operation, from an operation to an operation or a queue, and from a queue to an operation or another queue"
    )]
    InvalidConnection {
        /// The kind of the start.
        from: NodeKind,
        /// The kind of the end.
        to: NodeKind,
    },
    /// The edge does not exist, for instance because its step was removed.
    #[error("the edge {0:?} does not exist")]
    UnknownEdge(EdgeId),
    /// A position has a coordinate that is not a finite number.
    #[error("invalid position [{}, {}]: both coordinates must be finite numbers", .0[0], .0[1])]
    InvalidPosition([f64; 2]),
    /// An undo or redo was applied to a document in another state than the one it was
    /// recorded on.
    #[error("the undo history does not match the document")]
    HistoryMismatch,
}

/// A command as applied: how to redo and undo it.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    label: String,
    forward: Vec<Primitive>,
    inverse: Vec<Primitive>,
    created: Vec<NodeId>,
}

impl Change {
    /// Returns the command's label.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Returns the nodes the command added, in order, for the UI to select.
    #[must_use]
    pub fn created(&self) -> &[NodeId] {
        &self.created
    }

    /// Returns whether the command changed nothing, such as a move to the same place.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }

    /// Appends `later`, so that one undo reverses both, as when typing in one field.
    pub(crate) fn absorb(&mut self, later: Change) {
        self.forward.extend(later.forward);
        let mut inverse = later.inverse;
        inverse.append(&mut self.inverse);
        self.inverse = inverse;
        self.created.extend(later.created);
    }
}

impl EditorDocument {
    /// Applies `command`, returning the change that undoes and redoes it.
    ///
    /// On error the document is unchanged.
    pub fn apply(&mut self, command: &Command) -> Result<Change, EditError> {
        if let Command::Batch { label, commands } = command {
            return self.apply_batch(label, commands);
        }
        if let Command::PublishThroughQueue {
            from,
            to,
            queue,
            position,
        } = command
        {
            return self.apply_publish_through_queue(from, to, queue.as_deref(), *position);
        }
        let mut created = Vec::new();
        let forward = self.compile(command, &mut created)?;
        let inverse = self.apply_all(&forward)?;
        Ok(Change {
            label: command.label(),
            forward,
            inverse,
            created,
        })
    }

    /// Undoes `change`, which must be the last change applied or redone.
    pub fn undo(&mut self, change: &Change) -> Result<(), EditError> {
        self.apply_all(&change.inverse).map(drop)
    }

    /// Applies `change` again after [`EditorDocument::undo`].
    pub fn redo(&mut self, change: &Change) -> Result<(), EditError> {
        self.apply_all(&change.forward).map(drop)
    }

    fn apply_publish_through_queue(
        &mut self,
        from: &Endpoint,
        to: &Endpoint,
        queue: Option<&str>,
        position: Option<[f64; 2]>,
    ) -> Result<Change, EditError> {
        // Both ends are checked first, so that a failure adds no queue.
        self.expect_service(from.node)?;
        self.check_operation(from)?;
        self.expect_service(to.node)?;
        self.check_operation(to)?;
        let name = if let Some(name) = queue {
            name.to_owned()
        } else {
            let service = self.name(to.node).unwrap_or_default();
            self.free_copy_name(&format!("{service}-queue"), &BTreeSet::new())
        };
        let mut total = self.apply(&Command::AddNode {
            kind: NodeKind::Queue,
            name: Some(name),
            position,
        })?;
        "Publish through a new queue".clone_into(&mut total.label);
        let Some(&queue) = total.created.first() else {
            return Err(EditError::HistoryMismatch);
        };
        let connections = [
            Command::Connect {
                from: from.clone(),
                to: Endpoint::node(queue),
            },
            Command::Connect {
                from: Endpoint::node(queue),
                to: to.clone(),
            },
        ];
        for command in &connections {
            match self.apply(command) {
                Ok(change) => total.absorb(change),
                Err(error) => {
                    self.undo(&total)?;
                    return Err(error);
                }
            }
        }
        Ok(total)
    }

    fn apply_batch(&mut self, label: &str, commands: &[Command]) -> Result<Change, EditError> {
        let mut total = Change {
            label: label.to_owned(),
            forward: Vec::new(),
            inverse: Vec::new(),
            created: Vec::new(),
        };
        for command in commands {
            match self.apply(command) {
                Ok(change) => total.absorb(change),
                Err(error) => {
                    // The inverses of the commands before this one were produced by
                    // applying them, so they apply.
                    self.undo(&total)?;
                    return Err(error);
                }
            }
        }
        Ok(total)
    }

    /// Checks `command` and turns it into primitive edits, without changing the document
    /// other than by handing out ids for new nodes.
    fn compile(
        &mut self,
        command: &Command,
        created: &mut Vec<NodeId>,
    ) -> Result<Vec<Primitive>, EditError> {
        match command {
            Command::AddNode {
                kind,
                name,
                position,
            } => self.compile_add(*kind, name.as_deref(), *position, created),
            Command::DeleteNodes(ids) => self.compile_delete(ids),
            Command::RenameNode { id, name } => self.compile_rename(*id, name),
            Command::RenameOperation { service, from, to } => {
                self.compile_rename_operation(*service, from, to)
            }
            Command::MoveNodes(moves) => self.compile_move(moves),
            Command::Connect { from, to } => self.compile_connect(from, to),
            Command::Disconnect(edge) => self.compile_disconnect(edge),
            Command::SetClient { id, value } => {
                self.compile_set(*id, NodeValue::Client(value.clone()))
            }
            Command::SetService { id, value } => {
                self.compile_set(*id, NodeValue::Service(value.clone()))
            }
            Command::SetQueue { id, value } => {
                self.compile_set(*id, NodeValue::Queue(value.clone()))
            }
            Command::SetName(name) => Ok(self.compile_settings(|s| s.name.clone_from(name))),
            Command::SetDescription(description) => {
                Ok(self.compile_settings(|s| s.description.clone_from(description)))
            }
            Command::SetDefaults(defaults) => {
                Ok(self.compile_settings(|s| s.defaults = defaults.clone()))
            }
            Command::SetRun(run) => Ok(self.compile_settings(|s| s.run = run.clone())),
            Command::SetLinks(links) => Ok(if *links == self.scenario().links {
                Vec::new()
            } else {
                vec![Primitive::Links(links.clone())]
            }),
            Command::SetFaults(faults) => Ok(if *faults == self.scenario().faults {
                Vec::new()
            } else {
                vec![Primitive::Faults(faults.clone())]
            }),
            Command::Paste { clipboard, offset } => self.compile_paste(clipboard, *offset, created),
            Command::Duplicate { ids, offset } => {
                let clipboard = self.copy(ids)?;
                self.compile_paste(&clipboard, *offset, created)
            }
            Command::AutoLayout => self.compile_move(&super::layout::auto_layout(self)),
            // `apply` handles these before compiling.
            Command::Batch { .. } | Command::PublishThroughQueue { .. } => {
                Err(EditError::HistoryMismatch)
            }
        }
    }

    fn compile_add(
        &mut self,
        kind: NodeKind,
        name: Option<&str>,
        position: Option<[f64; 2]>,
        created: &mut Vec<NodeId>,
    ) -> Result<Vec<Primitive>, EditError> {
        let name = match name {
            Some(name) => {
                self.check_new_name(name, None)?;
                name.to_owned()
            }
            None => self.free_name(kind.word(), &BTreeSet::new()),
        };
        let position = position.map(tidy_position).transpose()?;
        let id = self.allocate_id();
        created.push(id);
        let mut primitives = vec![Primitive::Insert {
            id,
            index: self.section_len(kind),
            name: name.clone(),
            value: NodeValue::new_default(kind),
        }];
        if let Some(position) = position {
            let mut layout = self.scenario().layout.clone();
            layout.insert(name, position);
            primitives.push(Primitive::Layout(layout));
        }
        Ok(primitives)
    }

    fn compile_delete(&self, ids: &[NodeId]) -> Result<Vec<Primitive>, EditError> {
        let mut deleted = BTreeSet::new();
        let mut unique_ids = Vec::new();
        for &id in ids {
            let name = self.name(id).ok_or(EditError::UnknownNode(id))?;
            if deleted.insert(name.to_owned()) {
                unique_ids.push(id);
            }
        }
        let mut primitives = Vec::new();
        for id in self.node_ids() {
            if unique_ids.contains(&id) {
                continue;
            }
            let Some(value) = self.value(id) else {
                continue;
            };
            let rewritten = rewrite_references(&value, &mut |_, reference| {
                if deleted.contains(referenced_node(reference)) {
                    Rewrite::Remove
                } else {
                    Rewrite::Keep
                }
            });
            if let Some(value) = rewritten {
                primitives.push(Primitive::Set { id, value });
            }
        }
        let drop_deleted = |name: &str| deleted.contains(name).then_some(None);
        self.push_links_faults_layout(&mut primitives, &drop_deleted);
        for id in unique_ids {
            primitives.push(Primitive::Remove { id });
        }
        Ok(primitives)
    }

    fn compile_rename(&self, id: NodeId, name: &str) -> Result<Vec<Primitive>, EditError> {
        let old = self.name(id).ok_or(EditError::UnknownNode(id))?.to_owned();
        if old == name {
            return Ok(Vec::new());
        }
        self.check_new_name(name, Some(id))?;
        let mut primitives = vec![Primitive::Rename {
            id,
            name: name.to_owned(),
        }];
        for other in self.node_ids() {
            let Some(value) = self.value(other) else {
                continue;
            };
            let rewritten = rewrite_references(&value, &mut |_, reference| {
                if referenced_node(reference) == old {
                    Rewrite::Replace(with_node(reference, name))
                } else {
                    Rewrite::Keep
                }
            });
            if let Some(value) = rewritten {
                primitives.push(Primitive::Set { id: other, value });
            }
        }
        let rename = |node: &str| (node == old).then(|| Some(name.to_owned()));
        self.push_links_faults_layout(&mut primitives, &rename);
        Ok(primitives)
    }

    fn compile_rename_operation(
        &self,
        service_id: NodeId,
        from: &str,
        to: &str,
    ) -> Result<Vec<Primitive>, EditError> {
        let service_name = self
            .name(service_id)
            .ok_or(EditError::UnknownNode(service_id))?;
        let service = self.expect_service(service_id)?;
        let Some(index) = service.operations.get_index_of(from) else {
            return Err(EditError::UnknownOperation {
                service: service_name.to_owned(),
                operation: from.to_owned(),
            });
        };
        if from == to {
            return Ok(Vec::new());
        }
        if !is_valid_name(to) {
            return Err(if to.is_empty() {
                EditError::EmptyName
            } else {
                EditError::InvalidName(to.to_owned())
            });
        }
        if service.operations.contains_key(to) {
            return Err(EditError::DuplicateOperation {
                service: service_name.to_owned(),
                operation: to.to_owned(),
            });
        }
        let old_reference = format!("{service_name}.{from}");
        let new_reference = format!("{service_name}.{to}");
        let mut primitives = Vec::new();
        for id in self.node_ids() {
            let Some(mut value) = self.value(id) else {
                continue;
            };
            let mut changed = false;
            if id == service_id
                && let NodeValue::Service(service) = &mut value
                && let Some((_, body)) = service.operations.shift_remove_index(index)
            {
                service.operations.shift_insert(index, to.to_owned(), body);
                changed = true;
            }
            let rewritten = rewrite_references(&value, &mut |kind, reference| {
                let names_operation = matches!(
                    kind,
                    ReferenceKind::Target | ReferenceKind::Call | ReferenceKind::Consumer
                );
                if names_operation && reference == old_reference {
                    Rewrite::Replace(new_reference.clone())
                } else {
                    Rewrite::Keep
                }
            });
            if let Some(rewritten) = rewritten {
                value = rewritten;
                changed = true;
            }
            if changed {
                primitives.push(Primitive::Set { id, value });
            }
        }
        Ok(primitives)
    }

    fn compile_move(&self, moves: &[(NodeId, [f64; 2])]) -> Result<Vec<Primitive>, EditError> {
        let mut layout = self.scenario().layout.clone();
        for &(id, position) in moves {
            let name = self.name(id).ok_or(EditError::UnknownNode(id))?;
            layout.insert(name.to_owned(), tidy_position(position)?);
        }
        Ok(self.layout_primitive(layout).into_iter().collect())
    }

    fn compile_connect(&self, from: &Endpoint, to: &Endpoint) -> Result<Vec<Primitive>, EditError> {
        let from_kind = self
            .kind(from.node)
            .ok_or(EditError::UnknownNode(from.node))?;
        let to_kind = self.kind(to.node).ok_or(EditError::UnknownNode(to.node))?;
        let to_name = self.name(to.node).unwrap_or_default();
        let to_reference = match to_kind {
            NodeKind::Service => format!("{to_name}.{}", self.check_operation(to)?),
            NodeKind::Queue => to_name.to_owned(),
            NodeKind::Client => {
                return Err(EditError::InvalidConnection {
                    from: from_kind,
                    to: to_kind,
                });
            }
        };
        let value = match (self.value(from.node), to_kind) {
            (Some(NodeValue::Client(mut client)), NodeKind::Service) => {
                client.target = to_reference;
                NodeValue::Client(client)
            }
            (Some(NodeValue::Service(mut service)), _) => {
                let operation = self.check_operation(from)?;
                let step = if to_kind == NodeKind::Service {
                    Step::Call(CallStep {
                        call: to_reference,
                        timeout: None,
                        retry: None,
                        bulkhead: None,
                        circuit_breaker: None,
                        retry_budget: None,
                        deadline: None,
                    })
                } else {
                    Step::Publish(PublishStep {
                        publish: to_reference,
                        timeout: None,
                        retry: None,
                    })
                };
                if let Some(body) = service.operations.get_mut(operation) {
                    body.steps.push(step);
                }
                NodeValue::Service(service)
            }
            (Some(NodeValue::Queue(mut queue)), NodeKind::Service) => {
                let concurrency = queue.consumer.as_ref().map_or(1, |c| c.concurrency);
                queue.consumer = Some(Consumer {
                    operation: to_reference,
                    concurrency,
                });
                NodeValue::Queue(queue)
            }
            (Some(NodeValue::Queue(mut queue)), NodeKind::Queue) if from.node != to.node => {
                queue.dead_letter = Some(to_reference);
                NodeValue::Queue(queue)
            }
            _ => {
                return Err(EditError::InvalidConnection {
                    from: from_kind,
                    to: to_kind,
                });
            }
        };
        self.compile_set(from.node, value)
    }

    /// Returns the endpoint's operation, checked to exist in its service.
    fn check_operation<'e>(&self, endpoint: &'e Endpoint) -> Result<&'e str, EditError> {
        let service_name = self.name(endpoint.node).unwrap_or_default().to_owned();
        let Some(operation) = endpoint.operation.as_deref() else {
            return Err(EditError::MissingOperation {
                service: service_name,
            });
        };
        let service = self.expect_service(endpoint.node)?;
        if service.operations.contains_key(operation) {
            Ok(operation)
        } else {
            Err(EditError::UnknownOperation {
                service: service_name,
                operation: operation.to_owned(),
            })
        }
    }

    fn compile_disconnect(&self, edge: &EdgeId) -> Result<Vec<Primitive>, EditError> {
        let unknown = || EditError::UnknownEdge(edge.clone());
        let (id, value) = match edge {
            EdgeId::Target { client } => {
                let mut value = self.client(*client).cloned().ok_or_else(unknown)?;
                if value.target.is_empty() {
                    return Err(unknown());
                }
                value.target.clear();
                (*client, NodeValue::Client(value))
            }
            EdgeId::Step {
                service,
                operation,
                step,
                call,
            } => {
                let mut value = self.service(*service).cloned().ok_or_else(unknown)?;
                let steps = &mut value
                    .operations
                    .get_mut(operation)
                    .ok_or_else(unknown)?
                    .steps;
                match (steps.get_mut(*step), call) {
                    (Some(Step::Call(_) | Step::Publish(_)), None) => {
                        steps.remove(*step);
                    }
                    (Some(Step::Parallel(parallel)), Some(call))
                        if *call < parallel.parallel.len() =>
                    {
                        parallel.parallel.remove(*call);
                        if parallel.parallel.is_empty() {
                            steps.remove(*step);
                        }
                    }
                    _ => return Err(unknown()),
                }
                (*service, NodeValue::Service(value))
            }
            EdgeId::Consumer { queue } => {
                let mut value = self.queue(*queue).cloned().ok_or_else(unknown)?;
                value.consumer.take().ok_or_else(unknown)?;
                (*queue, NodeValue::Queue(value))
            }
            EdgeId::DeadLetter { queue } => {
                let mut value = self.queue(*queue).cloned().ok_or_else(unknown)?;
                value.dead_letter.take().ok_or_else(unknown)?;
                (*queue, NodeValue::Queue(value))
            }
        };
        self.compile_set(id, value)
    }

    fn compile_set(&self, id: NodeId, value: NodeValue) -> Result<Vec<Primitive>, EditError> {
        let current = self.value(id).ok_or(EditError::UnknownNode(id))?;
        if current.kind() != value.kind() {
            return Err(EditError::WrongKind {
                name: self.name(id).unwrap_or_default().to_owned(),
                expected: value.kind(),
                found: current.kind(),
            });
        }
        Ok(if current == value {
            Vec::new()
        } else {
            vec![Primitive::Set { id, value }]
        })
    }

    fn compile_settings(&self, edit: impl FnOnce(&mut super::Settings)) -> Vec<Primitive> {
        let current = self.settings();
        let mut settings = current.clone();
        edit(&mut settings);
        if settings == current {
            Vec::new()
        } else {
            vec![Primitive::Settings(settings)]
        }
    }

    fn compile_paste(
        &mut self,
        clipboard: &Clipboard,
        offset: [f64; 2],
        created: &mut Vec<NodeId>,
    ) -> Result<Vec<Primitive>, EditError> {
        let mut taken = BTreeSet::new();
        let mut renames: IndexMap<String, String> = IndexMap::new();
        for node in &clipboard.nodes {
            let name = self.free_copy_name(&node.name, &taken);
            taken.insert(name.clone());
            renames.insert(node.name.clone(), name);
        }
        let mut primitives = Vec::new();
        let mut layout = self.scenario().layout.clone();
        let mut section_len = NodeKind::ALL.map(|kind| self.section_len(kind));
        for node in &clipboard.nodes {
            let Some(name) = renames.get(&node.name).cloned() else {
                continue;
            };
            let value = rewrite_references(&node.value, &mut |_, reference| match renames
                .get(referenced_node(reference))
            {
                Some(new) => Rewrite::Replace(with_node(reference, new)),
                None => Rewrite::Keep,
            })
            .unwrap_or_else(|| node.value.clone());
            let kind = value.kind();
            let slot = NodeKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
            let id = self.allocate_id();
            created.push(id);
            primitives.push(Primitive::Insert {
                id,
                index: section_len[slot],
                name: name.clone(),
                value,
            });
            section_len[slot] += 1;
            if let Some([x, y]) = node.position {
                layout.insert(name, tidy_position([x + offset[0], y + offset[1]])?);
            }
        }
        if !clipboard.links.is_empty() {
            let rename = |node: &str| renames.get(node).cloned().map(Some);
            let mut links = self.scenario().links.clone();
            links.extend(rewrite_links(&clipboard.links, &rename));
            primitives.push(Primitive::Links(links));
        }
        primitives.extend(self.layout_primitive(layout));
        Ok(primitives)
    }

    /// Adds the primitives that rename or drop nodes in links, faults and layout, where
    /// `rename` maps a node name to `Some(Some(new))` to rename it and `Some(None)` to
    /// drop what names it.
    fn push_links_faults_layout(
        &self,
        primitives: &mut Vec<Primitive>,
        rename: &impl Fn(&str) -> Option<Option<String>>,
    ) {
        let scenario = self.scenario();
        let links = rewrite_links(&scenario.links, rename);
        if links != scenario.links {
            primitives.push(Primitive::Links(links));
        }
        let faults = rewrite_faults(&scenario.faults, rename);
        if faults != scenario.faults {
            primitives.push(Primitive::Faults(faults));
        }
        let layout: IndexMap<String, [f64; 2]> = scenario
            .layout
            .iter()
            .filter_map(|(name, &position)| match rename(name) {
                None => Some((name.clone(), position)),
                Some(None) => None,
                Some(Some(new)) => Some((new, position)),
            })
            .collect();
        primitives.extend(self.layout_primitive(layout));
    }

    /// Returns a layout edit, or none if `layout` equals the current one in content and order.
    fn layout_primitive(&self, layout: IndexMap<String, [f64; 2]>) -> Option<Primitive> {
        let current = &self.scenario().layout;
        let same = layout.len() == current.len()
            && layout
                .iter()
                .zip(current)
                .all(|((a, p), (b, q))| a == b && p == q);
        (!same).then_some(Primitive::Layout(layout))
    }

    fn expect_service(&self, id: NodeId) -> Result<&Service, EditError> {
        match (self.service(id), self.kind(id)) {
            (Some(service), _) => Ok(service),
            (None, Some(found)) => Err(EditError::WrongKind {
                name: self.name(id).unwrap_or_default().to_owned(),
                expected: NodeKind::Service,
                found,
            }),
            (None, None) => Err(EditError::UnknownNode(id)),
        }
    }

    /// Checks that `name` can name a node; `renamed` is the node that will carry it, which
    /// may already have it.
    fn check_new_name(&self, name: &str, renamed: Option<NodeId>) -> Result<(), EditError> {
        if name.is_empty() {
            return Err(EditError::EmptyName);
        }
        if !is_valid_name(name) {
            return Err(EditError::InvalidName(name.to_owned()));
        }
        match self.id_of(name) {
            Some(other) if Some(other) != renamed => Err(EditError::DuplicateName(name.to_owned())),
            _ => Ok(()),
        }
    }

    /// Returns the first of `base-1`, `base-2`, ... that no node has and `taken` does not contain.
    fn free_name(&self, base: &str, taken: &BTreeSet<String>) -> String {
        // Of any `count + 1` candidates, at least one is free.
        let count = (self.node_count() + taken.len()) as u64;
        (1..=count + 1)
            .map(|n| format!("{base}-{n}"))
            .find(|name| self.id_of(name).is_none() && !taken.contains(name))
            .unwrap_or_else(|| base.to_owned())
    }

    /// Returns a free name for a copy of `name`: `name` itself if no node has it, as when
    /// pasting into another document, else `orders-2` for `orders` and `service-3` for
    /// `service-2`, or the next free number.
    fn free_copy_name(&self, name: &str, taken: &BTreeSet<String>) -> String {
        if self.id_of(name).is_none() && !taken.contains(name) {
            return name.to_owned();
        }
        let (stem, first) = match name.rsplit_once('-') {
            Some((stem, number))
                if !stem.is_empty()
                    && !number.is_empty()
                    && number.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (
                    stem,
                    number.parse::<u64>().map_or(2, |n| n.saturating_add(1)),
                )
            }
            _ => (name, 2),
        };
        let count = (self.node_count() + taken.len()) as u64;
        (first..=first.saturating_add(count))
            .map(|n| format!("{stem}-{n}"))
            .find(|candidate| self.id_of(candidate).is_none() && !taken.contains(candidate))
            .unwrap_or_else(|| format!("{name}-copy"))
    }
}

/// Returns whether `name` can name a node or an operation: letters, digits, `_` and `-`, the
/// rule of the file format, so that `service.operation` stays unambiguous.
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Returns `position` rounded to a tenth of a canvas unit, so that the file gets short
/// numbers such as `106` or `80.5`, and not the float noise of a drag, such as
/// `106.00003051757812`.
///
/// # Errors
/// Fails if a coordinate is not a finite number.
pub fn tidy_position(position: [f64; 2]) -> Result<[f64; 2], EditError> {
    if !position.iter().all(|c| c.is_finite()) {
        return Err(EditError::InvalidPosition(position));
    }
    // From 4e15 on, neighbouring f64 values lie half a unit apart or more, so there is
    // no tenth to round to.
    let tidy = |c: f64| {
        if c.abs() < 4.0e15 {
            (c * 10.0).round() / 10.0
        } else {
            c
        }
    };
    Ok(position.map(tidy))
}
