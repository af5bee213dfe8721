//! The edges of a document, and the rewriting of the names that make them.
//!
//! A scenario stores its edges as names inside the nodes: a client's `target`, the
//! `call` and `publish` steps of operations, a queue's `consumer` and `dead_letter`.
//! [`edges`] lists them with ids that name the place where each one is stored, and the rewriting
//! functions below change or remove the names when nodes are renamed, deleted or copied.

use crate::scenario::{Fault, FaultKind, Link, Step};

use super::document::{EditorDocument, NodeId, NodeValue};

/// The meaning of an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// A client sends its requests to a service's operation.
    ClientTarget,
    /// An operation calls another service's operation, alone or in a `parallel` step.
    Call,
    /// An operation publishes to a queue.
    Publish,
    /// A queue delivers its messages to a service's operation.
    Consume,
    /// A queue sends messages that failed too often to another queue.
    DeadLetter,
}

/// The place where an edge is stored in the document, which identifies it.
///
/// The id stays valid until the step list of its operation changes; an edit of another
/// operation or node leaves it valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EdgeId {
    /// The `target` of a client.
    Target {
        /// The client.
        client: NodeId,
    },
    /// A `call` or `publish` step, or one call of a `parallel` step.
    Step {
        /// The service whose operation contains the step.
        service: NodeId,
        /// The operation.
        operation: String,
        /// Index of the step in the operation's steps.
        step: usize,
        /// Index of the call inside a `parallel` step; `None` for other steps.
        call: Option<usize>,
    },
    /// The `consumer` of a queue.
    Consumer {
        /// The queue.
        queue: NodeId,
    },
    /// The `dead_letter` queue of a queue.
    DeadLetter {
        /// The queue whose failed messages go to the other one.
        queue: NodeId,
    },
}

/// One edge between two nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The place where the edge is stored.
    pub id: EdgeId,
    /// The meaning of the edge.
    pub kind: EdgeKind,
    /// The node the edge starts from: the client, the calling or publishing service, or
    /// the queue.
    pub from: NodeId,
    /// The node the edge leads to.
    pub to: NodeId,
    /// The operation called or consumed at `to`, for edges that lead to a service.
    pub to_operation: Option<String>,
}

/// Lists the edges of `document`: client targets, then for each service in order the
/// steps of its operations, then queue consumers and dead-letter queues.
///
/// A reference to a node that does not exist, such as a client whose target service was
/// deleted, is no edge; validation reports it.
#[must_use]
pub fn edges(document: &EditorDocument) -> Vec<Edge> {
    let mut edges = Vec::new();
    for id in document.node_ids() {
        match document.value(id) {
            Some(NodeValue::Client(client)) => {
                if let Some((to, operation)) = resolve_operation(document, &client.target) {
                    edges.push(Edge {
                        id: EdgeId::Target { client: id },
                        kind: EdgeKind::ClientTarget,
                        from: id,
                        to,
                        to_operation: Some(operation),
                    });
                }
            }
            Some(NodeValue::Service(service)) => {
                for (operation, body) in &service.operations {
                    for (step_index, step) in body.steps.iter().enumerate() {
                        let step_id = |call| EdgeId::Step {
                            service: id,
                            operation: operation.clone(),
                            step: step_index,
                            call,
                        };
                        match step {
                            Step::Call(call) => {
                                if let Some((to, op)) = resolve_operation(document, &call.call) {
                                    edges.push(Edge {
                                        id: step_id(None),
                                        kind: EdgeKind::Call,
                                        from: id,
                                        to,
                                        to_operation: Some(op),
                                    });
                                }
                            }
                            Step::Parallel(parallel) => {
                                for (call_index, call) in parallel.parallel.iter().enumerate() {
                                    if let Some((to, op)) = resolve_operation(document, &call.call)
                                    {
                                        edges.push(Edge {
                                            id: step_id(Some(call_index)),
                                            kind: EdgeKind::Call,
                                            from: id,
                                            to,
                                            to_operation: Some(op),
                                        });
                                    }
                                }
                            }
                            Step::Publish(publish) => {
                                if let Some(to) = resolve_queue(document, &publish.publish) {
                                    edges.push(Edge {
                                        id: step_id(None),
                                        kind: EdgeKind::Publish,
                                        from: id,
                                        to,
                                        to_operation: None,
                                    });
                                }
                            }
                            Step::Work(_) => {}
                        }
                    }
                }
            }
            Some(NodeValue::Queue(queue)) => {
                if let Some(consumer) = &queue.consumer
                    && let Some((to, operation)) = resolve_operation(document, &consumer.operation)
                {
                    edges.push(Edge {
                        id: EdgeId::Consumer { queue: id },
                        kind: EdgeKind::Consume,
                        from: id,
                        to,
                        to_operation: Some(operation),
                    });
                }
                if let Some(dead_letter) = &queue.dead_letter
                    && let Some(to) = resolve_queue(document, dead_letter)
                {
                    edges.push(Edge {
                        id: EdgeId::DeadLetter { queue: id },
                        kind: EdgeKind::DeadLetter,
                        from: id,
                        to,
                        to_operation: None,
                    });
                }
            }
            None => {}
        }
    }
    edges
}

/// Returns the service and operation named by a `service.operation` reference, if both exist.
fn resolve_operation(document: &EditorDocument, reference: &str) -> Option<(NodeId, String)> {
    let (service, operation) = reference.split_once('.')?;
    let id = document.id_of(service)?;
    document
        .service(id)?
        .operations
        .contains_key(operation)
        .then(|| (id, operation.to_owned()))
}

fn resolve_queue(document: &EditorDocument, name: &str) -> Option<NodeId> {
    let id = document.id_of(name)?;
    document.queue(id).map(|_| id)
}

/// The kind of a name stored in a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReferenceKind {
    /// A client's target, `service.operation`.
    Target,
    /// A call, `service.operation`.
    Call,
    /// A publish step's queue.
    Publish,
    /// A consumer's operation, `service.operation`.
    Consumer,
    /// A dead-letter queue.
    DeadLetter,
}

/// The action to take on one reference.
pub(crate) enum Rewrite {
    Keep,
    Replace(String),
    /// Removes the edge: the step, the call of a `parallel` step (and the step, once
    /// it has no call left), the consumer or the dead-letter queue. A client's target
    /// becomes empty, because a client has no other form.
    Remove,
}

/// Returns the node named by a reference: the part before the dot of `service.operation`.
pub(crate) fn referenced_node(reference: &str) -> &str {
    reference
        .split_once('.')
        .map_or(reference, |(node, _)| node)
}

/// Applies `rewrite` to every reference in `value` and returns the result, or `None` if
/// nothing changed.
pub(crate) fn rewrite_references(
    value: &NodeValue,
    rewrite: &mut impl FnMut(ReferenceKind, &str) -> Rewrite,
) -> Option<NodeValue> {
    let mut value = value.clone();
    let mut changed = false;
    let mut apply = |kind, reference: &mut String| -> bool {
        match rewrite(kind, reference) {
            Rewrite::Keep => true,
            Rewrite::Replace(new) => {
                if *reference != new {
                    *reference = new;
                    changed = true;
                }
                true
            }
            Rewrite::Remove => {
                changed = true;
                false
            }
        }
    };
    match &mut value {
        NodeValue::Client(client) => {
            if !apply(ReferenceKind::Target, &mut client.target) {
                client.target.clear();
            }
        }
        NodeValue::Service(service) => {
            for operation in service.operations.values_mut() {
                operation.steps.retain_mut(|step| match step {
                    Step::Call(call) => apply(ReferenceKind::Call, &mut call.call),
                    Step::Publish(publish) => apply(ReferenceKind::Publish, &mut publish.publish),
                    Step::Parallel(parallel) => {
                        parallel
                            .parallel
                            .retain_mut(|call| apply(ReferenceKind::Call, &mut call.call));
                        !parallel.parallel.is_empty()
                    }
                    Step::Work(_) => true,
                });
            }
        }
        NodeValue::Queue(queue) => {
            if let Some(consumer) = &mut queue.consumer
                && !apply(ReferenceKind::Consumer, &mut consumer.operation)
            {
                queue.consumer = None;
            }
            if let Some(dead_letter) = &mut queue.dead_letter
                && !apply(ReferenceKind::DeadLetter, dead_letter)
            {
                queue.dead_letter = None;
            }
        }
    }
    changed.then_some(value)
}

/// Replaces the node name in a reference, keeping the `.operation` part if any.
pub(crate) fn with_node(reference: &str, node: &str) -> String {
    match reference.split_once('.') {
        Some((_, operation)) => format!("{node}.{operation}"),
        None => node.to_owned(),
    }
}

/// Returns the links after renaming the nodes that `rename` maps to a new name and dropping
/// the links that touch a node it maps to `None`.
pub(crate) fn rewrite_links(
    links: &[Link],
    rename: &impl Fn(&str) -> Option<Option<String>>,
) -> Vec<Link> {
    links
        .iter()
        .filter_map(|link| {
            let mut link = link.clone();
            for end in [&mut link.from, &mut link.to] {
                match rename(end) {
                    None => {}
                    Some(None) => return None,
                    Some(Some(new)) => *end = new,
                }
            }
            Some(link)
        })
        .collect()
}

/// Returns the faults after renaming and dropping nodes, as [`rewrite_links`] does for links.
pub(crate) fn rewrite_faults(
    faults: &[Fault],
    rename: &impl Fn(&str) -> Option<Option<String>>,
) -> Vec<Fault> {
    faults
        .iter()
        .filter_map(|fault| {
            let mut fault = fault.clone();
            let mut names: Vec<&mut String> = Vec::new();
            match &mut fault.kind {
                FaultKind::Outage(outage) => names.push(&mut outage.service),
                FaultKind::Errors(errors) => names.push(&mut errors.service),
                FaultKind::Slow(slow) => {
                    if let Some(service) = &mut slow.service {
                        names.push(service);
                    }
                    if let Some(link) = &mut slow.link {
                        names.push(&mut link.from);
                        names.push(&mut link.to);
                    }
                }
                FaultKind::Crash(crash) => names.push(&mut crash.service),
                FaultKind::Latency(latency) => {
                    if let Some(service) = &mut latency.service {
                        names.push(service);
                    }
                    if let Some(link) = &mut latency.link {
                        names.push(&mut link.from);
                        names.push(&mut link.to);
                    }
                }
                FaultKind::Partition(partition) => {
                    let [a, b] = &mut partition.between;
                    names.push(a);
                    names.push(b);
                }
                FaultKind::Loss(loss) => {
                    names.push(&mut loss.link.from);
                    names.push(&mut loss.link.to);
                }
                FaultKind::BrokerOutage(outage) => names.push(&mut outage.queue),
                FaultKind::SlowConsumer(slow) => names.push(&mut slow.queue),
            }
            for name in names {
                match rename(name) {
                    None => {}
                    Some(None) => return None,
                    Some(Some(new)) => *name = new,
                }
            }
            Some(fault)
        })
        .collect()
}
