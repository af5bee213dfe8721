//! The document being edited: a [`Scenario`] whose clients, services and queues carry
//! stable [`NodeId`]s, and the primitive edits that every command is made of.
//!
//! A primitive edit applied to the document returns the primitive that undoes it, so a
//! list of primitives applied in order is undone by applying their inverses in reverse
//! order. Commands ([`super::command`]) compile into such lists; this keeps undo exact,
//! map order included, without each command having to know how to reverse itself.

use std::fmt;

use indexmap::IndexMap;

use crate::scenario::{
    Arrivals, Client, Defaults, Distribution, Duration, Fault, Link, Operation, Queue, Rate,
    RunSettings, Scenario, Service, Workload,
};

use super::command::EditError;

/// The identity of a client, service or queue in an [`EditorDocument`].
///
/// An id stays the same when its node is renamed, edited or moved, and when it is
/// deleted and the deletion is undone. Ids are never reused within one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u64);

impl NodeId {
    /// Returns the id with the given number. Documents number their nodes from 0 in the order
    /// clients, services, queues, and give later nodes the next unused number.
    #[must_use]
    pub const fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    /// Returns the id's number.
    #[must_use]
    pub const fn raw(self) -> u64 {
        self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The three kinds of node, which share one namespace of names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A load generator.
    Client,
    /// A service with operations.
    Service,
    /// A message queue.
    Queue,
}

impl NodeKind {
    /// Every kind, in the order of the document's sections.
    pub const ALL: [NodeKind; 3] = [NodeKind::Client, NodeKind::Service, NodeKind::Queue];

    /// Returns the lower-case word for messages and generated names.
    #[must_use]
    pub const fn word(self) -> &'static str {
        match self {
            NodeKind::Client => "client",
            NodeKind::Service => "service",
            NodeKind::Queue => "queue",
        }
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// The contents of one node, as stored in its section of the scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    /// A client.
    Client(Client),
    /// A service.
    Service(Service),
    /// A queue.
    Queue(Queue),
}

impl NodeValue {
    /// Returns the node's kind.
    #[must_use]
    pub fn kind(&self) -> NodeKind {
        match self {
            NodeValue::Client(_) => NodeKind::Client,
            NodeValue::Service(_) => NodeKind::Service,
            NodeValue::Queue(_) => NodeKind::Queue,
        }
    }

    /// Returns the contents of a node just added in the editor: a Poisson client at 10/s with no
    /// target yet, a service with one operation `handle` of exponential service time with
    /// mean 10 ms, or an unbounded queue with no consumer.
    #[must_use]
    pub fn new_default(kind: NodeKind) -> Self {
        match kind {
            NodeKind::Client => NodeValue::Client(Client {
                target: String::new(),
                workload: Workload::Open {
                    arrivals: Arrivals::Poisson(Rate::per_sec(10.0)),
                    profile: Vec::new(),
                },
                timeout: None,
                retry: None,
                bulkhead: None,
                circuit_breaker: None,
                retry_budget: None,
                deadline: None,
            }),
            NodeKind::Service => {
                let mut operations = IndexMap::new();
                operations.insert("handle".to_owned(), new_operation());
                NodeValue::Service(Service {
                    operations,
                    ..Service::default()
                })
            }
            // `Queue::default()` has `max_deliveries: 0`, which is invalid; the file
            // format's default is 3.
            NodeKind::Queue => NodeValue::Queue(Queue {
                max_deliveries: 3,
                ..Queue::default()
            }),
        }
    }
}

/// Returns the contents of an operation just added in the editor: exponential service
/// time with mean 10 ms, no errors and no steps.
#[must_use]
pub fn new_operation() -> Operation {
    Operation {
        service_time: Distribution::Exponential {
            mean: Duration::from_millis(10),
        },
        error_probability: 0.0,
        steps: Vec::new(),
    }
}

/// The scenario-level fields that are not nodes, links, faults or layout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// The scenario's title.
    pub name: Option<String>,
    /// The scenario's Markdown description.
    pub description: Option<String>,
    /// Network defaults.
    pub defaults: Defaults,
    /// Run settings.
    pub run: RunSettings,
}

/// One edit of the document that can be reversed exactly.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Primitive {
    /// Inserts a node at `index` in its section.
    Insert {
        id: NodeId,
        index: usize,
        name: String,
        value: NodeValue,
    },
    /// Removes a node from its section.
    Remove { id: NodeId },
    /// Replaces a node's contents, which must be of the same kind.
    Set { id: NodeId, value: NodeValue },
    /// Changes a node's name in its section, keeping its place. References to the node
    /// are separate `Set`, `Links`, `Faults` and `Layout` edits.
    Rename { id: NodeId, name: String },
    /// Replaces the links.
    Links(Vec<Link>),
    /// Replaces the faults.
    Faults(Vec<Fault>),
    /// Replaces the layout.
    Layout(IndexMap<String, [f64; 2]>),
    /// Replaces the scenario-level settings.
    Settings(Settings),
}

/// A scenario with stable node ids, edited only through commands.
///
/// Two documents are equal when their scenarios are equal with every map in the same
/// order and their nodes have the same ids. The counter of the next id is not compared,
/// so that a document after an undo equals the document before the command.
#[derive(Clone, Debug)]
pub struct EditorDocument {
    scenario: Scenario,
    /// Ids of `scenario.clients`, in the same order; likewise for services and queues.
    client_ids: Vec<NodeId>,
    service_ids: Vec<NodeId>,
    queue_ids: Vec<NodeId>,
    next_id: u64,
}

impl PartialEq for EditorDocument {
    fn eq(&self, other: &Self) -> bool {
        // `IndexMap` equality ignores order, so the keys are compared in order as well.
        let same_order = self
            .scenario
            .clients
            .keys()
            .eq(other.scenario.clients.keys())
            && self
                .scenario
                .services
                .keys()
                .eq(other.scenario.services.keys())
            && self.scenario.queues.keys().eq(other.scenario.queues.keys())
            && self.scenario.layout.keys().eq(other.scenario.layout.keys())
            && self
                .scenario
                .services
                .values()
                .zip(other.scenario.services.values())
                .all(|(a, b)| a.operations.keys().eq(b.operations.keys()));
        self.client_ids == other.client_ids
            && self.service_ids == other.service_ids
            && self.queue_ids == other.queue_ids
            && self.scenario == other.scenario
            && same_order
    }
}

impl Default for EditorDocument {
    fn default() -> Self {
        Self::new(Scenario::default())
    }
}

impl EditorDocument {
    /// Wraps `scenario`, numbering its nodes from 0 in the order clients, services,
    /// queues.
    #[must_use]
    pub fn new(scenario: Scenario) -> Self {
        let mut next_id = 0;
        let mut number = |count: usize| {
            let ids: Vec<NodeId> = (next_id..next_id + count as u64).map(NodeId).collect();
            next_id += count as u64;
            ids
        };
        let client_ids = number(scenario.clients.len());
        let service_ids = number(scenario.services.len());
        let queue_ids = number(scenario.queues.len());
        Self {
            scenario,
            client_ids,
            service_ids,
            queue_ids,
            next_id,
        }
    }

    /// Returns the scenario as edited so far.
    #[must_use]
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Returns the scenario, giving up the ids.
    #[must_use]
    pub fn into_scenario(self) -> Scenario {
        self.scenario
    }

    /// Every node's id, in the order clients, services, queues, each in document order.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.client_ids
            .iter()
            .chain(&self.service_ids)
            .chain(&self.queue_ids)
            .copied()
    }

    /// Returns the number of nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.client_ids.len() + self.service_ids.len() + self.queue_ids.len()
    }

    /// Returns whether `id` names a node of this document.
    #[must_use]
    pub fn contains(&self, id: NodeId) -> bool {
        self.locate(id).is_some()
    }

    /// Returns the node's kind, or `None` if no node has this id.
    #[must_use]
    pub fn kind(&self, id: NodeId) -> Option<NodeKind> {
        self.locate(id).map(|(kind, _)| kind)
    }

    /// Returns the node's name.
    #[must_use]
    pub fn name(&self, id: NodeId) -> Option<&str> {
        let (kind, index) = self.locate(id)?;
        let name = match kind {
            NodeKind::Client => self.scenario.clients.get_index(index)?.0,
            NodeKind::Service => self.scenario.services.get_index(index)?.0,
            NodeKind::Queue => self.scenario.queues.get_index(index)?.0,
        };
        Some(name)
    }

    /// Returns the id of the node called `name`, in any section.
    #[must_use]
    pub fn id_of(&self, name: &str) -> Option<NodeId> {
        if let Some(index) = self.scenario.clients.get_index_of(name) {
            return self.client_ids.get(index).copied();
        }
        if let Some(index) = self.scenario.services.get_index_of(name) {
            return self.service_ids.get(index).copied();
        }
        let index = self.scenario.queues.get_index_of(name)?;
        self.queue_ids.get(index).copied()
    }

    /// Returns the client with this id, if the node is a client.
    #[must_use]
    pub fn client(&self, id: NodeId) -> Option<&Client> {
        match self.locate(id)? {
            (NodeKind::Client, index) => self.scenario.clients.get_index(index).map(|e| e.1),
            _ => None,
        }
    }

    /// Returns the service with this id, if the node is a service.
    #[must_use]
    pub fn service(&self, id: NodeId) -> Option<&Service> {
        match self.locate(id)? {
            (NodeKind::Service, index) => self.scenario.services.get_index(index).map(|e| e.1),
            _ => None,
        }
    }

    /// Returns the queue with this id, if the node is a queue.
    #[must_use]
    pub fn queue(&self, id: NodeId) -> Option<&Queue> {
        match self.locate(id)? {
            (NodeKind::Queue, index) => self.scenario.queues.get_index(index).map(|e| e.1),
            _ => None,
        }
    }

    /// Returns a copy of the node's contents.
    #[must_use]
    pub fn value(&self, id: NodeId) -> Option<NodeValue> {
        match self.kind(id)? {
            NodeKind::Client => self.client(id).cloned().map(NodeValue::Client),
            NodeKind::Service => self.service(id).cloned().map(NodeValue::Service),
            NodeKind::Queue => self.queue(id).cloned().map(NodeValue::Queue),
        }
    }

    /// Returns the node's position on the canvas, if the layout has one.
    #[must_use]
    pub fn position(&self, id: NodeId) -> Option<[f64; 2]> {
        self.scenario.layout.get(self.name(id)?).copied()
    }

    /// Returns the scenario-level settings.
    #[must_use]
    pub fn settings(&self) -> Settings {
        Settings {
            name: self.scenario.name.clone(),
            description: self.scenario.description.clone(),
            defaults: self.scenario.defaults.clone(),
            run: self.scenario.run.clone(),
        }
    }

    /// Returns the node's kind and its index in its section.
    fn locate(&self, id: NodeId) -> Option<(NodeKind, usize)> {
        let find = |ids: &[NodeId]| ids.iter().position(|&other| other == id);
        if let Some(index) = find(&self.client_ids) {
            return Some((NodeKind::Client, index));
        }
        if let Some(index) = find(&self.service_ids) {
            return Some((NodeKind::Service, index));
        }
        find(&self.queue_ids).map(|index| (NodeKind::Queue, index))
    }

    /// Returns the number of nodes in the section of `kind`.
    pub(crate) fn section_len(&self, kind: NodeKind) -> usize {
        match kind {
            NodeKind::Client => self.client_ids.len(),
            NodeKind::Service => self.service_ids.len(),
            NodeKind::Queue => self.queue_ids.len(),
        }
    }

    /// Hands out an id that no node of this document has had.
    pub(crate) fn allocate_id(&mut self) -> NodeId {
        let id = NodeId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Applies `primitives` in order and returns their inverses in the order that undoes
    /// them. If one fails, the ones before it are undone and the document is unchanged.
    pub(crate) fn apply_all(
        &mut self,
        primitives: &[Primitive],
    ) -> Result<Vec<Primitive>, EditError> {
        let mut inverses = Vec::with_capacity(primitives.len());
        for primitive in primitives {
            match self.apply_primitive(primitive.clone()) {
                Ok(inverse) => inverses.push(inverse),
                Err(error) => {
                    self.roll_back(inverses);
                    return Err(error);
                }
            }
        }
        inverses.reverse();
        Ok(inverses)
    }

    fn roll_back(&mut self, mut inverses: Vec<Primitive>) {
        while let Some(inverse) = inverses.pop() {
            // Each inverse was produced from the state it now applies to, so it cannot
            // fail. If it did, the document would stay as it is, which is still valid.
            if let Err(error) = self.apply_primitive(inverse) {
                tracing::error!(%error, "rolling back a failed edit failed");
            }
        }
    }

    fn apply_primitive(&mut self, primitive: Primitive) -> Result<Primitive, EditError> {
        match primitive {
            Primitive::Insert {
                id,
                index,
                name,
                value,
            } => self.insert(id, index, name, value),
            Primitive::Remove { id } => self.remove(id),
            Primitive::Set { id, value } => self.set(id, value),
            Primitive::Rename { id, name } => self.rename(id, name),
            Primitive::Links(links) => Ok(Primitive::Links(std::mem::replace(
                &mut self.scenario.links,
                links,
            ))),
            Primitive::Faults(faults) => Ok(Primitive::Faults(std::mem::replace(
                &mut self.scenario.faults,
                faults,
            ))),
            Primitive::Layout(layout) => Ok(Primitive::Layout(std::mem::replace(
                &mut self.scenario.layout,
                layout,
            ))),
            Primitive::Settings(settings) => {
                let old = self.settings();
                self.scenario.name = settings.name;
                self.scenario.description = settings.description;
                self.scenario.defaults = settings.defaults;
                self.scenario.run = settings.run;
                Ok(Primitive::Settings(old))
            }
        }
    }

    fn insert(
        &mut self,
        id: NodeId,
        index: usize,
        name: String,
        value: NodeValue,
    ) -> Result<Primitive, EditError> {
        if self.contains(id) {
            return Err(EditError::HistoryMismatch);
        }
        if self.id_of(&name).is_some() {
            return Err(EditError::DuplicateName(name));
        }
        if index > self.section_len(value.kind()) {
            return Err(EditError::HistoryMismatch);
        }
        match value {
            NodeValue::Client(client) => {
                self.scenario.clients.shift_insert(index, name, client);
                self.client_ids.insert(index, id);
            }
            NodeValue::Service(service) => {
                self.scenario.services.shift_insert(index, name, service);
                self.service_ids.insert(index, id);
            }
            NodeValue::Queue(queue) => {
                self.scenario.queues.shift_insert(index, name, queue);
                self.queue_ids.insert(index, id);
            }
        }
        self.next_id = self.next_id.max(id.0 + 1);
        Ok(Primitive::Remove { id })
    }

    fn remove(&mut self, id: NodeId) -> Result<Primitive, EditError> {
        let (kind, index) = self.locate(id).ok_or(EditError::UnknownNode(id))?;
        let removed = match kind {
            NodeKind::Client => self
                .scenario
                .clients
                .shift_remove_index(index)
                .map(|(name, value)| (name, NodeValue::Client(value))),
            NodeKind::Service => self
                .scenario
                .services
                .shift_remove_index(index)
                .map(|(name, value)| (name, NodeValue::Service(value))),
            NodeKind::Queue => self
                .scenario
                .queues
                .shift_remove_index(index)
                .map(|(name, value)| (name, NodeValue::Queue(value))),
        };
        let (name, value) = removed.ok_or(EditError::HistoryMismatch)?;
        self.ids_mut(kind).remove(index);
        Ok(Primitive::Insert {
            id,
            index,
            name,
            value,
        })
    }

    fn set(&mut self, id: NodeId, value: NodeValue) -> Result<Primitive, EditError> {
        let (kind, index) = self.locate(id).ok_or(EditError::UnknownNode(id))?;
        let old = match (value, kind) {
            (NodeValue::Client(new), NodeKind::Client) => self
                .scenario
                .clients
                .get_index_mut(index)
                .map(|(_, slot)| NodeValue::Client(std::mem::replace(slot, new))),
            (NodeValue::Service(new), NodeKind::Service) => self
                .scenario
                .services
                .get_index_mut(index)
                .map(|(_, slot)| NodeValue::Service(std::mem::replace(slot, new))),
            (NodeValue::Queue(new), NodeKind::Queue) => self
                .scenario
                .queues
                .get_index_mut(index)
                .map(|(_, slot)| NodeValue::Queue(std::mem::replace(slot, new))),
            (value, found) => {
                return Err(EditError::WrongKind {
                    name: self.name(id).unwrap_or_default().to_owned(),
                    expected: value.kind(),
                    found,
                });
            }
        };
        let old = old.ok_or(EditError::HistoryMismatch)?;
        Ok(Primitive::Set { id, value: old })
    }

    fn rename(&mut self, id: NodeId, name: String) -> Result<Primitive, EditError> {
        let (kind, index) = self.locate(id).ok_or(EditError::UnknownNode(id))?;
        if self.id_of(&name).is_some_and(|other| other != id) {
            return Err(EditError::DuplicateName(name));
        }
        let old = match kind {
            NodeKind::Client => rename_key(&mut self.scenario.clients, index, name),
            NodeKind::Service => rename_key(&mut self.scenario.services, index, name),
            NodeKind::Queue => rename_key(&mut self.scenario.queues, index, name),
        };
        let old = old.ok_or(EditError::HistoryMismatch)?;
        Ok(Primitive::Rename { id, name: old })
    }

    fn ids_mut(&mut self, kind: NodeKind) -> &mut Vec<NodeId> {
        match kind {
            NodeKind::Client => &mut self.client_ids,
            NodeKind::Service => &mut self.service_ids,
            NodeKind::Queue => &mut self.queue_ids,
        }
    }
}

/// Renames the key at `index`, keeping its place, and returns the old key.
fn rename_key<T>(map: &mut IndexMap<String, T>, index: usize, name: String) -> Option<String> {
    let (old, value) = map.shift_remove_index(index)?;
    map.shift_insert(index, name, value);
    Some(old)
}
