//! The display graph of a scenario: its nodes, its edges and where each node sits.
//!
//! Nodes are the clients, services and queues. Edges are deduplicated per (from, to,
//! kind), so a service that calls another from three operations gets one call edge.
//! Positions come from the scenario's `layout` where it has one. Every other node is placed
//! by a layered layout that runs left to right along the direction of the messages:
//!
//! 1. Cycles are broken by reversing the back edges of a depth-first search. Only
//!    asynchronous edges can legally close a cycle, because validation rejects cycles of
//!    synchronous calls, but the layout breaks any cycle so that it always terminates.
//! 2. Each node's layer is the length of the longest path that reaches it from a source.
//! 3. Edges spanning several layers get one virtual node per layer they cross, and a few
//!    barycenter sweeps order each layer to reduce edge crossings.
//!
//! Every step is deterministic: nodes are visited in name order, ties keep the earlier
//! order, and no hash map is iterated.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use egui::{Pos2, Rect, Vec2, pos2, vec2};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef as _;

use crate::scenario::brokers::{BrokerKind, BrokerSettings};
use crate::scenario::{Scenario, Step};

/// Size of every node on the canvas, in canvas units.
pub const NODE_SIZE: Vec2 = vec2(150.0, 64.0);

/// Horizontal distance between the centers of adjacent layers, in canvas units.
pub const LAYER_SPACING: f32 = 220.0;

/// Vertical distance between the centers of adjacent nodes in a layer, in canvas units.
pub const ROW_SPACING: f32 = 110.0;

/// Largest absolute coordinate of a position taken from the layout. Larger values are
/// clamped, because `f32` canvas coordinates lose whole units of precision beyond it.
pub const COORDINATE_LIMIT: f32 = 1.0e6;

/// Down-and-up sweep pairs of the crossing reduction.
const ORDERING_SWEEPS: usize = 6;

/// The kind of a node: client, service or queue, with the figures drawn on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A load generator.
    Client,
    /// A service with its replicas and the workers of each replica.
    Service {
        /// Number of replicas.
        replicas: u32,
        /// Workers per replica.
        workers: u32,
    },
    /// A message queue.
    Queue {
        /// Messages the queue can hold, or `None` when it is unbounded.
        capacity: Option<u64>,
        /// The broker it behaves like, when it has broker settings.
        broker: Option<BrokerKind>,
    },
}

impl NodeKind {
    /// Returns the kind's name as shown to the user.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Client => "client",
            NodeKind::Service { .. } => "service",
            NodeKind::Queue { broker: None, .. } => "queue",
            NodeKind::Queue {
                broker: Some(kind), ..
            } => match kind {
                BrokerKind::Rabbitmq => "RabbitMQ-like queue",
                BrokerKind::Sqs => "SQS-like queue",
                BrokerKind::Kafka => "Kafka-like queue",
                BrokerKind::DbPoll => "database queue",
            },
        }
    }
}

/// The source of a node's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// From the scenario's `layout`.
    Layout,
    /// From the layered automatic layout.
    Automatic,
}

/// A node of the display graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The client, service or queue name.
    pub name: String,
    /// The node's kind.
    pub kind: NodeKind,
    /// Center of the node on the canvas, in canvas units.
    pub position: Pos2,
    /// Whether the position came from the layout or was computed.
    pub placement: Placement,
    /// Layer of the automatic layout, counted from 0 at the sources, left to right.
    pub layer: usize,
}

impl Node {
    /// Returns the node's rectangle on the canvas.
    #[must_use]
    pub fn rect(&self) -> Rect {
        Rect::from_center_size(self.position, NODE_SIZE)
    }
}

/// The kind of an edge: call, publish, consume or dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A synchronous call, from a client or from a `call` or `parallel` step.
    Call,
    /// A `publish` step of a service to a queue.
    Publish,
    /// Delivery of a queue's messages to its consumer service.
    Consume,
    /// Messages that failed every delivery, moved to the dead-letter queue.
    DeadLetter,
}

impl EdgeKind {
    /// Returns whether the sender waits for the receiver's response.
    #[must_use]
    pub fn is_synchronous(self) -> bool {
        self == EdgeKind::Call
    }

    /// Returns the kind's name as shown to the user.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            EdgeKind::Call => "call",
            EdgeKind::Publish => "publish",
            EdgeKind::Consume => "consume",
            EdgeKind::DeadLetter => "dead letter",
        }
    }
}

/// The display graph of a scenario, with a position for every node.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    graph: DiGraph<Node, EdgeKind>,
    by_name: BTreeMap<String, NodeIndex>,
}

impl Topology {
    /// Builds the display graph of `scenario` and places its nodes.
    ///
    /// References to missing nodes are left out, so a scenario that fails validation
    /// still draws. A name used by more than one node keeps only the first node, in the
    /// order clients, services, queues.
    #[must_use]
    pub fn from_scenario(scenario: &Scenario) -> Self {
        let mut topology = Topology::default();
        for name in scenario.clients.keys() {
            topology.add_node(name, NodeKind::Client);
        }
        for (name, service) in &scenario.services {
            let kind = NodeKind::Service {
                replicas: service.replicas,
                workers: service.workers,
            };
            topology.add_node(name, kind);
        }
        for (name, queue) in &scenario.queues {
            let settings = BrokerSettings::of_queue(queue);
            let kind = NodeKind::Queue {
                capacity: queue.capacity,
                broker: settings.any().then(|| settings.kind()),
            };
            topology.add_node(name, kind);
        }
        topology.add_edges(scenario);
        topology.place(scenario);
        topology
    }

    /// Returns the nodes, in the order clients, services, queues, each in document order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights()
    }

    /// Returns the edges as (from, to, kind), in the order they were found.
    pub fn edges(&self) -> impl Iterator<Item = (&Node, &Node, EdgeKind)> {
        self.graph.edge_references().map(|edge| {
            (
                &self.graph[edge.source()],
                &self.graph[edge.target()],
                *edge.weight(),
            )
        })
    }

    /// Returns the node called `name`.
    #[must_use]
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.by_name.get(name).map(|&index| &self.graph[index])
    }

    /// Returns the number of nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Returns the number of edges.
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Returns the smallest rectangle containing every node, or `None` without nodes.
    #[must_use]
    pub fn bounds(&self) -> Option<Rect> {
        self.nodes().map(Node::rect).reduce(Rect::union)
    }

    /// Returns the top-most node whose rectangle contains `position`, in canvas units.
    #[must_use]
    pub fn node_at(&self, position: Pos2) -> Option<&Node> {
        // Nodes drawn later are on top, so search from the last one.
        self.graph
            .raw_nodes()
            .iter()
            .rev()
            .map(|node| &node.weight)
            .find(|node| node.rect().contains(position))
    }

    /// Moves the nodes named in `offsets` by their offset, in canvas units, for drawing
    /// a drag before it lands in the document.
    pub fn translate(&mut self, offsets: &BTreeMap<String, Vec2>) {
        for node in self.graph.node_weights_mut() {
            if let Some(offset) = offsets.get(&node.name) {
                node.position += *offset;
            }
        }
    }

    /// Returns the position of every node that the automatic layout would choose if the
    /// scenario had no layout at all, in node order.
    #[must_use]
    pub fn automatic_positions(scenario: &Scenario) -> Vec<(String, Pos2)> {
        let mut unplaced = scenario.clone();
        unplaced.layout.clear();
        Topology::from_scenario(&unplaced)
            .nodes()
            .map(|node| (node.name.clone(), node.position))
            .collect()
    }

    fn add_node(&mut self, name: &str, kind: NodeKind) {
        if self.by_name.contains_key(name) {
            return;
        }
        let index = self.graph.add_node(Node {
            name: name.to_owned(),
            kind,
            position: Pos2::ZERO,
            placement: Placement::Automatic,
            layer: 0,
        });
        self.by_name.insert(name.to_owned(), index);
    }

    fn add_edges(&mut self, scenario: &Scenario) {
        let mut seen = BTreeSet::new();
        for (name, client) in &scenario.clients {
            self.add_edge(&mut seen, name, service_of(&client.target), EdgeKind::Call);
        }
        for (name, service) in &scenario.services {
            for operation in service.operations.values() {
                for step in &operation.steps {
                    match step {
                        Step::Call(call) => {
                            self.add_edge(&mut seen, name, service_of(&call.call), EdgeKind::Call);
                        }
                        Step::Parallel(parallel) => {
                            for call in &parallel.parallel {
                                let target = service_of(&call.call);
                                self.add_edge(&mut seen, name, target, EdgeKind::Call);
                            }
                        }
                        Step::Publish(publish) => {
                            self.add_edge(&mut seen, name, &publish.publish, EdgeKind::Publish);
                        }
                        Step::Work(_) => {}
                    }
                }
            }
        }
        for (name, queue) in &scenario.queues {
            if let Some(consumer) = &queue.consumer {
                let target = service_of(&consumer.operation);
                self.add_edge(&mut seen, name, target, EdgeKind::Consume);
            }
            if let Some(dead_letter) = &queue.dead_letter {
                self.add_edge(&mut seen, name, dead_letter, EdgeKind::DeadLetter);
            }
        }
    }

    /// Adds the edge unless it was added before or an end is missing or of the wrong kind.
    fn add_edge(
        &mut self,
        seen: &mut BTreeSet<(NodeIndex, NodeIndex, EdgeKind)>,
        from: &str,
        to: &str,
        kind: EdgeKind,
    ) {
        let (Some(&source), Some(&target)) = (self.by_name.get(from), self.by_name.get(to)) else {
            return;
        };
        let is_service =
            |index: NodeIndex| matches!(self.graph[index].kind, NodeKind::Service { .. });
        let is_queue = |index: NodeIndex| matches!(self.graph[index].kind, NodeKind::Queue { .. });
        let ends_fit = match kind {
            EdgeKind::Call => !is_queue(source) && is_service(target),
            EdgeKind::Publish => is_service(source) && is_queue(target),
            EdgeKind::Consume => is_queue(source) && is_service(target),
            EdgeKind::DeadLetter => is_queue(source) && is_queue(target),
        };
        if ends_fit && seen.insert((source, target, kind)) {
            self.graph.add_edge(source, target, kind);
        }
    }

    /// Sets every node's layer and position.
    fn place(&mut self, scenario: &Scenario) {
        let count = self.graph.node_count();
        let names: Vec<&str> = self.graph.node_weights().map(|n| n.name.as_str()).collect();
        let edges: Vec<(usize, usize)> = self
            .graph
            .edge_references()
            .map(|edge| (edge.source().index(), edge.target().index()))
            .collect();
        let fixed: Vec<Option<Pos2>> = names
            .iter()
            .map(|name| {
                scenario
                    .layout
                    .get(*name)
                    .and_then(|&xy| layout_position(xy))
            })
            .collect();

        let acyclic = break_cycles(count, &edges, &names);
        let layers = assign_layers(count, &acyclic);
        let order = order_layers(&layers, &acyclic, &names);
        let positions = if fixed.iter().all(Option::is_none) {
            automatic_positions(&order, &acyclic)
        } else {
            partial_positions(&order, &fixed, &edges)
        };

        for (index, node) in self.graph.node_weights_mut().enumerate() {
            node.layer = layers[index];
            node.position = positions[index];
            node.placement = if fixed[index].is_some() {
                Placement::Layout
            } else {
                Placement::Automatic
            };
        }
    }
}

/// Returns the service of a `service.operation` reference, or the whole reference without a dot.
fn service_of(reference: &str) -> &str {
    reference
        .split_once('.')
        .map_or(reference, |(service, _)| service)
}

/// Converts a layout entry to canvas units. A non-finite coordinate counts as no entry.
fn layout_position([x, y]: [f64; 2]) -> Option<Pos2> {
    if !x.is_finite() || !y.is_finite() {
        return None;
    }
    let limit = f64::from(COORDINATE_LIMIT);
    Some(pos2(
        x.clamp(-limit, limit) as f32,
        y.clamp(-limit, limit) as f32,
    ))
}

/// State of a node in the depth-first search of [`break_cycles`].
#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    OnStack,
    Done,
}

/// Returns the edges without self-loops and duplicates, each back edge of a depth-first
/// search reversed, so that the result has no cycle.
///
/// The search starts from the sources, then from the remaining nodes, each in name order,
/// and follows successors in name order.
fn break_cycles(count: usize, edges: &[(usize, usize)], names: &[&str]) -> Vec<(usize, usize)> {
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut has_predecessor = vec![false; count];
    for &(from, to) in edges {
        if from != to {
            successors[from].push(to);
            has_predecessor[to] = true;
        }
    }
    for list in &mut successors {
        list.sort_by(|&a, &b| names[a].cmp(names[b]).then(a.cmp(&b)));
        list.dedup();
    }

    let mut roots: Vec<usize> = (0..count).collect();
    roots.sort_by(|&a, &b| {
        has_predecessor[a]
            .cmp(&has_predecessor[b])
            .then(names[a].cmp(names[b]))
            .then(a.cmp(&b))
    });

    let mut visit = vec![Visit::New; count];
    let mut result = BTreeSet::new();
    // Iterative, so that a long chain of nodes cannot overflow the call stack.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in roots {
        if visit[root] != Visit::New {
            continue;
        }
        visit[root] = Visit::OnStack;
        stack.push((root, 0));
        while let Some(top) = stack.last_mut() {
            let node = top.0;
            let Some(&child) = successors[node].get(top.1) else {
                visit[node] = Visit::Done;
                stack.pop();
                continue;
            };
            top.1 += 1;
            match visit[child] {
                Visit::OnStack => {
                    result.insert((child, node));
                }
                Visit::Done => {
                    result.insert((node, child));
                }
                Visit::New => {
                    result.insert((node, child));
                    visit[child] = Visit::OnStack;
                    stack.push((child, 0));
                }
            }
        }
    }
    result.into_iter().collect()
}

/// Returns each node's layer: the number of edges on the longest path from a source to it.
///
/// `edges` must have no cycle.
fn assign_layers(count: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut in_degree = vec![0_usize; count];
    for &(from, to) in edges {
        successors[from].push(to);
        in_degree[to] += 1;
    }
    let mut layers = vec![0; count];
    let mut ready: VecDeque<usize> = (0..count).filter(|&n| in_degree[n] == 0).collect();
    while let Some(node) = ready.pop_front() {
        for &next in &successors[node] {
            layers[next] = layers[next].max(layers[node] + 1);
            in_degree[next] -= 1;
            if in_degree[next] == 0 {
                ready.push_back(next);
            }
        }
    }
    layers
}

/// Orders the nodes of each layer to reduce edge crossings, and returns the real nodes of
/// each layer, top to bottom.
///
/// `edges` must have no cycle and must point from a lower layer to a higher one.
fn order_layers(layers: &[usize], edges: &[(usize, usize)], names: &[&str]) -> Vec<Vec<usize>> {
    let count = layers.len();
    let layer_count = layers.iter().max().map_or(0, |&max| max + 1);

    // Items 0..count are the nodes. The items after them are virtual nodes that split
    // edges spanning more than one layer into edges between adjacent layers.
    let mut item_layer: Vec<usize> = layers.to_vec();
    let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to) in edges {
        let mut previous = from;
        for layer in layers[from] + 1..layers[to] {
            item_layer.push(layer);
            predecessors.push(Vec::new());
            successors.push(Vec::new());
            let virtual_node = item_layer.len() - 1;
            successors[previous].push(virtual_node);
            predecessors[virtual_node].push(previous);
            previous = virtual_node;
        }
        successors[previous].push(to);
        predecessors[to].push(previous);
    }

    let mut order: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    let mut real: Vec<usize> = (0..count).collect();
    real.sort_by(|&a, &b| names[a].cmp(names[b]).then(a.cmp(&b)));
    for node in real {
        order[layers[node]].push(node);
    }
    for item in count..item_layer.len() {
        order[item_layer[item]].push(item);
    }

    let mut position = vec![0_usize; item_layer.len()];
    let update_positions = |order: &[Vec<usize>], position: &mut [usize]| {
        for layer in order {
            for (index, &item) in layer.iter().enumerate() {
                position[item] = index;
            }
        }
    };
    update_positions(&order, &mut position);

    let mut best = order.clone();
    let mut best_crossings = count_crossings(&order, &successors, &position);
    for _ in 0..ORDERING_SWEEPS {
        if best_crossings == 0 {
            break;
        }
        for layer in order.iter_mut().skip(1) {
            sort_by_barycenter(layer, &predecessors, &mut position);
        }
        for layer in order.iter_mut().rev().skip(1) {
            sort_by_barycenter(layer, &successors, &mut position);
        }
        let crossings = count_crossings(&order, &successors, &position);
        if crossings < best_crossings {
            best_crossings = crossings;
            best.clone_from(&order);
        }
    }

    for layer in &mut best {
        layer.retain(|&item| item < count);
    }
    best
}

/// Sorts one layer by the mean position of each item's neighbors in the adjacent layer,
/// then stores the new positions. An item without neighbors keeps its own position as its
/// key, and ties keep the earlier order.
fn sort_by_barycenter(layer: &mut [usize], neighbors: &[Vec<usize>], position: &mut [usize]) {
    let key = |item: usize| -> f64 {
        let list = &neighbors[item];
        if list.is_empty() {
            position[item] as f64
        } else {
            list.iter().map(|&n| position[n] as f64).sum::<f64>() / list.len() as f64
        }
    };
    let mut keyed: Vec<(f64, usize, usize)> = layer
        .iter()
        .map(|&item| (key(item), position[item], item))
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (index, (_, _, item)) in keyed.into_iter().enumerate() {
        layer[index] = item;
        position[item] = index;
    }
}

/// Counts the pairs of edges that cross between adjacent layers.
fn count_crossings(order: &[Vec<usize>], successors: &[Vec<usize>], position: &[usize]) -> u64 {
    let mut total = 0;
    for pair in order.windows(2) {
        let mut segments: Vec<(usize, usize)> = pair[0]
            .iter()
            .flat_map(|&from| successors[from].iter().map(move |&to| (from, to)))
            .map(|(from, to)| (position[from], position[to]))
            .collect();
        segments.sort_unstable();
        // Two segments cross when their order at the top differs from their order at the
        // bottom, so the crossings are the inversions of the bottom positions, counted
        // with a Fenwick tree.
        let mut tree = vec![0_u64; pair[1].len() + 1];
        for (seen, &(_, bottom)) in segments.iter().enumerate() {
            let mut not_greater = 0;
            let mut index = bottom + 1;
            while index > 0 {
                not_greater += tree[index];
                index &= index - 1;
            }
            total += seen as u64 - not_greater;
            let mut index = bottom + 1;
            while index < tree.len() {
                tree[index] += 1;
                index += index & index.wrapping_neg();
            }
        }
    }
    total
}

/// Returns the position of every node when none has a layout entry.
///
/// The layers are placed left to right. A node prefers the mean y of its predecessors,
/// or its slot in a centered column when it has none. A pass from the top pushes nodes
/// down and a pass from the bottom pushes them up until they keep the layer's order and
/// row spacing. Each node takes the mean of the two passes, which keeps both constraints.
fn automatic_positions(order: &[Vec<usize>], acyclic: &[(usize, usize)]) -> Vec<Pos2> {
    let count = order.iter().map(Vec::len).sum();
    let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to) in acyclic {
        predecessors[to].push(from);
    }
    let mut positions = vec![Pos2::ZERO; count];
    for (layer, nodes) in order.iter().enumerate() {
        let middle = (nodes.len() as f32 - 1.0) / 2.0;
        let preferred: Vec<f32> = nodes
            .iter()
            .enumerate()
            .map(|(index, &node)| {
                let list = &predecessors[node];
                if list.is_empty() {
                    (index as f32 - middle) * ROW_SPACING
                } else {
                    list.iter().map(|&p| positions[p].y).sum::<f32>() / list.len() as f32
                }
            })
            .collect();
        let mut down = preferred.clone();
        for index in 1..down.len() {
            down[index] = down[index].max(down[index - 1] + ROW_SPACING);
        }
        let mut up = preferred;
        for index in (1..up.len()).rev() {
            up[index - 1] = up[index - 1].min(up[index] - ROW_SPACING);
        }
        let x = layer as f32 * LAYER_SPACING;
        for (index, &node) in nodes.iter().enumerate() {
            positions[node] = pos2(x, f32::midpoint(down[index], up[index]));
        }
    }
    positions
}

/// Returns the position of every node when some have a layout entry: the entry where
/// there is one, else a spot in the node's layer column that overlaps no other node.
fn partial_positions(
    order: &[Vec<usize>],
    fixed: &[Option<Pos2>],
    edges: &[(usize, usize)],
) -> Vec<Pos2> {
    let column_x = column_positions(order, fixed);
    let mut positions: Vec<Option<Pos2>> = fixed.to_vec();

    let mut neighbors: Vec<Vec<usize>> = vec![Vec::new(); fixed.len()];
    for &(from, to) in edges {
        neighbors[from].push(to);
        neighbors[to].push(from);
    }
    let fixed_ys: Vec<f32> = fixed.iter().flatten().map(|p| p.y).collect();
    let fixed_mean_y = fixed_ys.iter().sum::<f32>() / fixed_ys.len().max(1) as f32;

    for (layer, nodes) in order.iter().enumerate() {
        let middle = (nodes.len() as f32 - 1.0) / 2.0;
        for (index, &node) in nodes.iter().enumerate() {
            if positions[node].is_some() {
                continue;
            }
            let placed: Vec<f32> = neighbors[node]
                .iter()
                .filter_map(|&n| positions[n].map(|p| p.y))
                .collect();
            let preferred_y = if placed.is_empty() {
                fixed_mean_y + (index as f32 - middle) * ROW_SPACING
            } else {
                placed.iter().sum::<f32>() / placed.len() as f32
            };
            let spot = free_spot(pos2(column_x[layer], preferred_y), &positions);
            positions[node] = Some(spot);
        }
    }
    positions
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

/// Returns the x coordinate of each layer's column: the mean x of the layer's nodes with a
/// layout entry, else one layer spacing per layer from the nearest column that has one.
fn column_positions(order: &[Vec<usize>], fixed: &[Option<Pos2>]) -> Vec<f32> {
    let known: Vec<Option<f32>> = order
        .iter()
        .map(|nodes| {
            let xs: Vec<f32> = nodes
                .iter()
                .filter_map(|&n| fixed[n])
                .map(|p| p.x)
                .collect();
            (!xs.is_empty()).then(|| xs.iter().sum::<f32>() / xs.len() as f32)
        })
        .collect();
    (0..order.len())
        .map(|layer| {
            let nearest = known
                .iter()
                .enumerate()
                .filter_map(|(other, x)| x.map(|x| (other, x)))
                .min_by_key(|&(other, _)| (other.abs_diff(layer), other));
            match nearest {
                Some((other, x)) => x + (layer as f32 - other as f32) * LAYER_SPACING,
                None => layer as f32 * LAYER_SPACING,
            }
        })
        .collect()
}

/// Returns the spot nearest to `preferred`, stepping up and down by the row spacing, where a
/// node overlaps none of the nodes placed so far.
fn free_spot(preferred: Pos2, positions: &[Option<Pos2>]) -> Pos2 {
    let clearance = NODE_SIZE + vec2(20.0, 20.0);
    let is_free = |spot: Pos2| {
        positions.iter().flatten().all(|other| {
            (other.x - spot.x).abs() >= clearance.x || (other.y - spot.y).abs() >= clearance.y
        })
    };
    // The candidates are one row spacing apart, and the band that one placed node blocks
    // is shorter than two spacings, so each placed node blocks at most two candidates.
    // Twice as many candidates as placed nodes therefore always contain a free one.
    let steps = 2 * positions.len() + 2;
    for step in 0..=steps {
        let offset = step as f32 * ROW_SPACING;
        for candidate in [preferred + vec2(0.0, offset), preferred - vec2(0.0, offset)] {
            if is_free(candidate) {
                return candidate;
            }
        }
    }
    preferred + vec2(0.0, (steps + 1) as f32 * ROW_SPACING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{
        CallStep, Client, Consumer, Distribution, Operation, PublishStep, Queue, Service, Workload,
        load_str,
    };

    fn bundled(text: &str) -> Scenario {
        load_str(text, None)
            .expect("bundled scenario is valid")
            .scenario
    }

    fn checkout_async() -> Scenario {
        bundled(include_str!("../../scenarios/checkout-async.yaml"))
    }

    fn checkout_sync() -> Scenario {
        bundled(include_str!("../../scenarios/checkout-sync.yaml"))
    }

    fn layer_of(topology: &Topology, name: &str) -> usize {
        topology.node(name).expect("node exists").layer
    }

    fn position_of(topology: &Topology, name: &str) -> Pos2 {
        topology.node(name).expect("node exists").position
    }

    fn assert_no_overlap(topology: &Topology) {
        let nodes: Vec<&Node> = topology.nodes().collect();
        for (index, a) in nodes.iter().enumerate() {
            for b in &nodes[index + 1..] {
                assert!(
                    !a.rect().intersects(b.rect()),
                    "{} at {:?} overlaps {} at {:?}",
                    a.name,
                    a.position,
                    b.name,
                    b.position
                );
            }
        }
    }

    fn service_publishing(queue: &str) -> Service {
        let operation = Operation {
            steps: vec![Step::Publish(PublishStep {
                publish: queue.to_owned(),
                timeout: None,
                retry: None,
            })],
            ..Operation::default()
        };
        Service {
            operations: [("handle".to_owned(), operation)].into_iter().collect(),
            ..Service::default()
        }
    }

    fn queue_consumed_by(operation: &str) -> Queue {
        Queue {
            consumer: Some(Consumer {
                operation: operation.to_owned(),
                concurrency: 1,
            }),
            ..Queue::default()
        }
    }

    fn client_of(target: &str) -> Client {
        Client {
            target: target.to_owned(),
            workload: Workload::Closed {
                users: 1,
                think_time: Distribution::default(),
            },
            timeout: None,
            retry: None,
            circuit_breaker: None,
            bulkhead: None,
            retry_budget: None,
            deadline: None,
        }
    }

    fn service_calling(targets: &[&str]) -> Service {
        let steps = targets
            .iter()
            .map(|target| {
                Step::Call(CallStep {
                    call: format!("{target}.handle"),
                    timeout: None,
                    retry: None,
                    circuit_breaker: None,
                    bulkhead: None,
                    retry_budget: None,
                    deadline: None,
                })
            })
            .collect();
        let operation = Operation {
            steps,
            ..Operation::default()
        };
        Service {
            operations: [("handle".to_owned(), operation)].into_iter().collect(),
            ..Service::default()
        }
    }

    #[test]
    fn checkout_async_layers() {
        let mut scenario = checkout_async();
        scenario.layout.clear();
        let topology = Topology::from_scenario(&scenario);

        let expected = [
            ("shoppers", 0),
            ("gateway", 1),
            ("orders", 2),
            ("payments", 3),
            ("inventory-events", 3),
            ("notification-events", 3),
            ("inventory", 4),
            ("notifications", 4),
            ("inventory-dlq", 4),
        ];
        for (name, layer) in expected {
            assert_eq!(layer_of(&topology, name), layer, "layer of {name}");
        }
        assert_eq!(topology.node_count(), 9);
        assert_eq!(topology.edge_count(), 8);
        assert_no_overlap(&topology);
    }

    #[test]
    fn checkout_async_edge_kinds() {
        let topology = Topology::from_scenario(&checkout_async());
        let edges: BTreeSet<(&str, &str, EdgeKind)> = topology
            .edges()
            .map(|(from, to, kind)| (from.name.as_str(), to.name.as_str(), kind))
            .collect();
        let expected: BTreeSet<(&str, &str, EdgeKind)> = [
            ("shoppers", "gateway", EdgeKind::Call),
            ("gateway", "orders", EdgeKind::Call),
            ("orders", "payments", EdgeKind::Call),
            ("orders", "inventory-events", EdgeKind::Publish),
            ("orders", "notification-events", EdgeKind::Publish),
            ("inventory-events", "inventory", EdgeKind::Consume),
            ("notification-events", "notifications", EdgeKind::Consume),
            ("inventory-events", "inventory-dlq", EdgeKind::DeadLetter),
        ]
        .into_iter()
        .collect();
        assert_eq!(edges, expected);
    }

    #[test]
    fn queues_name_the_broker_they_behave_like() {
        let topology = Topology::from_scenario(&bundled(include_str!(
            "../../scenarios/consumer-crash.yaml"
        )));
        let label = |name: &str| topology.node(name).map(|node| node.kind.label());
        assert_eq!(label("emails"), Some("SQS-like queue"));
        assert_eq!(label("invoices"), Some("RabbitMQ-like queue"));
        assert_eq!(label("clicks"), Some("Kafka-like queue"));
        let plain = Topology::from_scenario(&checkout_async());
        assert_eq!(
            plain.node("inventory-events").map(|node| node.kind.label()),
            Some("queue")
        );
    }

    #[test]
    fn checkout_sync_layers() {
        let mut scenario = checkout_sync();
        scenario.layout.clear();
        let topology = Topology::from_scenario(&scenario);

        let expected = [
            ("shoppers", 0),
            ("gateway", 1),
            ("orders", 2),
            ("payments", 3),
            ("inventory", 3),
            ("notifications", 3),
        ];
        for (name, layer) in expected {
            assert_eq!(layer_of(&topology, name), layer, "layer of {name}");
        }
        // Every layer is centered on the chain of single nodes at y = 0.
        assert_eq!(position_of(&topology, "shoppers").y, 0.0);
        assert_eq!(position_of(&topology, "orders").y, 0.0);
        let last_layer_y: f32 = ["payments", "inventory", "notifications"]
            .iter()
            .map(|name| position_of(&topology, name).y)
            .sum();
        assert_eq!(last_layer_y, 0.0);
        assert_no_overlap(&topology);
    }

    #[test]
    fn layout_positions_are_kept() {
        let scenario = checkout_async();
        let topology = Topology::from_scenario(&scenario);
        for (name, [x, y]) in &scenario.layout {
            let node = topology.node(name).expect("layout names a node");
            assert_eq!(
                node.position,
                pos2(*x as f32, *y as f32),
                "position of {name}"
            );
            assert_eq!(node.placement, Placement::Layout, "placement of {name}");
        }
    }

    #[test]
    fn layout_is_deterministic() {
        let mut scenario = checkout_async();
        scenario.layout.clear();
        let first = Topology::from_scenario(&scenario);
        let second = Topology::from_scenario(&scenario);
        let positions = |t: &Topology| -> Vec<(String, Pos2)> {
            t.nodes().map(|n| (n.name.clone(), n.position)).collect()
        };
        assert_eq!(positions(&first), positions(&second));

        // The document order of services and queues does not change the layout.
        let mut reordered = scenario.clone();
        reordered.services.reverse();
        reordered.queues.reverse();
        let third = Topology::from_scenario(&reordered);
        for node in first.nodes() {
            assert_eq!(
                position_of(&third, &node.name),
                node.position,
                "position of {}",
                node.name
            );
        }
    }

    #[test]
    fn partial_layout_places_the_rest() {
        let mut scenario = checkout_async();
        let positioned = ["shoppers", "gateway", "orders", "inventory-events"];
        scenario
            .layout
            .retain(|name, _| positioned.contains(&name.as_str()));
        let topology = Topology::from_scenario(&scenario);

        for name in positioned {
            let [x, y] = scenario.layout[name];
            assert_eq!(position_of(&topology, name), pos2(x as f32, y as f32));
        }
        for node in topology.nodes() {
            let expected = if positioned.contains(&node.name.as_str()) {
                Placement::Layout
            } else {
                Placement::Automatic
            };
            assert_eq!(node.placement, expected, "placement of {}", node.name);
        }
        // Free nodes take the column of the fixed nodes in their layer: payments shares
        // layer 3 with inventory-events at x = 620.
        assert_eq!(position_of(&topology, "payments").x, 620.0);
        assert_eq!(position_of(&topology, "inventory").x, 620.0 + LAYER_SPACING);
        assert_no_overlap(&topology);
    }

    #[test]
    fn cycle_through_queues_terminates() {
        // a publishes to q1, which b consumes, and b publishes to q2, which a consumes.
        let mut scenario = Scenario::default();
        scenario
            .clients
            .insert("users".to_owned(), client_of("a.handle"));
        scenario
            .services
            .insert("a".to_owned(), service_publishing("q1"));
        scenario
            .services
            .insert("b".to_owned(), service_publishing("q2"));
        scenario
            .queues
            .insert("q1".to_owned(), queue_consumed_by("b.handle"));
        scenario
            .queues
            .insert("q2".to_owned(), queue_consumed_by("a.handle"));
        let topology = Topology::from_scenario(&scenario);

        assert_eq!(topology.edge_count(), 5);
        assert_eq!(layer_of(&topology, "users"), 0);
        assert_eq!(layer_of(&topology, "a"), 1);
        assert_eq!(layer_of(&topology, "q1"), 2);
        assert_eq!(layer_of(&topology, "b"), 3);
        assert_eq!(layer_of(&topology, "q2"), 4);
        assert_no_overlap(&topology);
    }

    #[test]
    fn empty_scenario_has_no_bounds() {
        let topology = Topology::from_scenario(&Scenario::default());
        assert_eq!(topology.node_count(), 0);
        assert_eq!(topology.bounds(), None);
        assert!(topology.node_at(Pos2::ZERO).is_none());
    }

    #[test]
    fn odd_layouts_do_not_panic() {
        let mut scenario = checkout_async();
        // Two nodes on the same spot, one far away, one with a non-finite coordinate and
        // a unicode name.
        scenario.layout.insert("gateway".to_owned(), [0.0, 200.0]);
        scenario
            .layout
            .insert("orders".to_owned(), [1.0e12, -1.0e12]);
        scenario
            .layout
            .insert("payments".to_owned(), [f64::NAN, 0.0]);
        let renamed = scenario
            .services
            .swap_remove("notifications")
            .expect("bundled service");
        scenario
            .services
            .insert("通知-サービス 🚀".to_owned(), renamed);
        let topology = Topology::from_scenario(&scenario);

        assert_eq!(
            position_of(&topology, "gateway"),
            position_of(&topology, "shoppers")
        );
        assert_eq!(
            position_of(&topology, "orders"),
            pos2(COORDINATE_LIMIT, -COORDINATE_LIMIT)
        );
        assert_eq!(
            topology.node("payments").expect("node exists").placement,
            Placement::Automatic
        );
        assert!(topology.node("通知-サービス 🚀").is_some());
        let bounds = topology.bounds().expect("nodes exist");
        assert!(bounds.is_finite());
    }

    #[test]
    fn missing_references_are_left_out() {
        let mut scenario = Scenario::default();
        scenario
            .clients
            .insert("users".to_owned(), client_of("nowhere.op"));
        scenario
            .services
            .insert("a".to_owned(), service_publishing("missing"));
        scenario
            .queues
            .insert("a".to_owned(), queue_consumed_by("a.handle"));
        let topology = Topology::from_scenario(&scenario);

        // The queue named like the service is dropped, and so are edges to missing nodes.
        assert_eq!(topology.node_count(), 2);
        assert_eq!(topology.edge_count(), 0);
    }

    #[test]
    fn long_edge_spans_layers() {
        // users calls a, a calls b, b calls c, and admins calls c directly: the edge
        // admins -> c spans three layers.
        let mut scenario = Scenario::default();
        scenario
            .clients
            .insert("users".to_owned(), client_of("a.handle"));
        scenario
            .clients
            .insert("admins".to_owned(), client_of("c.handle"));
        scenario
            .services
            .insert("a".to_owned(), service_calling(&["b"]));
        scenario
            .services
            .insert("b".to_owned(), service_calling(&["c"]));
        scenario
            .services
            .insert("c".to_owned(), service_calling(&[]));
        let topology = Topology::from_scenario(&scenario);

        assert_eq!(layer_of(&topology, "admins"), 0);
        assert_eq!(layer_of(&topology, "c"), 3);
        assert_no_overlap(&topology);
    }

    #[test]
    fn ordering_removes_a_crossing() {
        // In name order, alpha -> zulu and bravo -> mike cross, and the sweeps put zulu on top.
        let mut scenario = Scenario::default();
        scenario
            .clients
            .insert("alpha".to_owned(), client_of("zulu.handle"));
        scenario
            .clients
            .insert("bravo".to_owned(), client_of("mike.handle"));
        scenario
            .services
            .insert("mike".to_owned(), service_calling(&[]));
        scenario
            .services
            .insert("zulu".to_owned(), service_calling(&[]));
        let topology = Topology::from_scenario(&scenario);

        assert!(position_of(&topology, "alpha").y < position_of(&topology, "bravo").y);
        assert!(position_of(&topology, "zulu").y < position_of(&topology, "mike").y);
    }

    #[test]
    fn large_fan_out_is_placed() {
        // One service calling 400 others, half of them with layout entries on one spot.
        let mut scenario = Scenario::default();
        let names: Vec<String> = (0..400).map(|i| format!("s{i:03}")).collect();
        let targets: Vec<&str> = names.iter().map(String::as_str).collect();
        scenario
            .clients
            .insert("users".to_owned(), client_of("hub.handle"));
        scenario
            .services
            .insert("hub".to_owned(), service_calling(&targets));
        for (index, name) in names.iter().enumerate() {
            scenario.services.insert(name.clone(), service_calling(&[]));
            if index % 2 == 0 {
                scenario.layout.insert(name.clone(), [440.0, 0.0]);
            }
        }
        let topology = Topology::from_scenario(&scenario);

        assert_eq!(topology.node_count(), 402);
        assert_eq!(layer_of(&topology, "s399"), 2);
        let automatic: Vec<&Node> = topology
            .nodes()
            .filter(|node| node.placement == Placement::Automatic)
            .collect();
        assert_eq!(automatic.len(), 202);
        // The fixed nodes overlap each other, but no placed node overlaps any node.
        for a in automatic {
            for b in topology.nodes().filter(|b| b.name != a.name) {
                assert!(
                    !a.rect().intersects(b.rect()),
                    "{} overlaps {}",
                    a.name,
                    b.name
                );
            }
        }
    }

    #[test]
    fn crossings_are_counted() {
        // Two layers of two items each, with the edges 0 -> 3 and 1 -> 2: one crossing.
        let order = vec![vec![0, 1], vec![2, 3]];
        let successors = vec![vec![3], vec![2], vec![], vec![]];
        let position = vec![0, 1, 0, 1];
        assert_eq!(count_crossings(&order, &successors, &position), 1);

        let successors = vec![vec![2], vec![3], vec![], vec![]];
        assert_eq!(count_crossings(&order, &successors, &position), 0);
    }
}
