//! Checks of a scenario that go beyond its shape: references between nodes, synchronous
//! call cycles, and settings that are valid alone but wrong together.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::{DiGraph, NodeIndex};

mod retries;

use super::diagnostic::{
    Diagnostics, Severity, SourceMap, did_you_mean_ending, number, quoted_names,
};
use super::document::{
    CallStep, DEFAULT_DURATION, DEFAULT_WINDOW, MAX_WINDOWS, Scenario, Step, Workload,
};

mod faults;
mod protections;

/// Runs every check and adds what it finds to `diagnostics`.
pub fn validate(scenario: &Scenario, sources: &SourceMap, diagnostics: &mut Diagnostics) {
    let mut check = Checker {
        scenario,
        sources,
        diagnostics,
        suggestion_budget: MAX_SUGGESTION_COMPARISONS,
    };
    check.names();
    check.clients();
    check.services();
    check.queues();
    check.links();
    check.faults();
    check.protections();
    check.run_settings();
    check.lossy_calls_without_timeout();
    check.budgets_without_retries();
    check.layout();
    check.call_cycles();
    check.reachability();
}

/// Validates a document that did not come from a file, such as one built in the editor.
#[must_use]
pub fn validate_document(scenario: &Scenario) -> Vec<super::Diagnostic> {
    let mut diagnostics = Diagnostics::new(None);
    validate(scenario, &SourceMap::default(), &mut diagnostics);
    diagnostics.into_sorted()
}

/// Comparisons of a misspelled name with a candidate allowed in one validation, after
/// which messages list the names without a suggestion. Each comparison is an edit
/// distance, so this bounds the time of a file with many unknown references among many
/// names.
const MAX_SUGGESTION_COMPARISONS: usize = 1_000_000;

struct Checker<'a> {
    scenario: &'a Scenario,
    sources: &'a SourceMap,
    diagnostics: &'a mut Diagnostics,
    /// Comparisons left for suggestions.
    suggestion_budget: usize,
}

/// Whether `name` can name a node: letters, digits, `_` and `-`, so that
/// `service.operation` references stay unambiguous.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

impl<'a> Checker<'a> {
    /// Reports an error, unless the field could not be read, because its value is then a
    /// stand-in and the reader has reported the error already.
    fn error(&mut self, path: &str, message: impl Into<String>) {
        if !self.sources.is_unreadable(path) {
            self.diagnostics
                .add(Severity::Error, self.sources, path, message);
        }
    }

    fn warning(&mut self, path: &str, message: impl Into<String>) {
        if !self.sources.is_unreadable(path) {
            self.diagnostics
                .add(Severity::Warning, self.sources, path, message);
        }
    }

    /// Ends a sentence about the unknown `word` as [`did_you_mean_ending`] does, while
    /// the budget of comparisons lasts.
    fn suggestion(&mut self, word: &str, candidates: &[&str]) -> String {
        if candidates.len() > self.suggestion_budget {
            self.suggestion_budget = 0;
            return ".".to_owned();
        }
        self.suggestion_budget -= candidates.len();
        did_you_mean_ending(word, candidates.iter().copied())
    }

    /// Checks whether a node of this name may be missing only because its section or its
    /// entry could not be read.
    fn node_unreadable(&self, name: &str) -> bool {
        ["clients", "services", "queues"]
            .iter()
            .any(|section| self.sources.is_unreadable(&format!("{section}.{name}")))
    }

    fn node_kind(&self, name: &str) -> Option<&'static str> {
        if self.scenario.clients.contains_key(name) {
            Some("client")
        } else if self.scenario.services.contains_key(name) {
            Some("service")
        } else if self.scenario.queues.contains_key(name) {
            Some("queue")
        } else {
            None
        }
    }

    /// The message for a reference at `path` that names a node of another kind than
    /// `expected`, such as a service where a queue belongs, or `None` if no node of
    /// another kind has that name. `required` says what the field must name.
    fn wrong_kind(&self, path: &str, name: &str, expected: &str, required: &str) -> Option<String> {
        let kind = self.node_kind(name).filter(|kind| *kind != expected)?;
        let field = field_name(path);
        let mut message =
            format!("\"{name}\" is a {kind}, not a {expected}; \"{field}\" must name {required}");
        if field == "call" && kind == "queue" {
            message.push_str(&format!(
                "; to send to the queue, write \"publish: {name}\""
            ));
        } else if field == "publish" && kind == "service" {
            message.push_str(&format!(
                "; to call the service, write \"call: {name}.operation\""
            ));
        }
        Some(message)
    }

    fn all_node_names(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let scenario = self.scenario;
        scenario
            .clients
            .keys()
            .chain(scenario.services.keys())
            .chain(scenario.queues.keys())
            .map(String::as_str)
    }

    fn names(&mut self) {
        let mut seen: BTreeMap<&str, String> = BTreeMap::new();
        let sections = [
            ("clients", self.scenario.clients.keys().collect::<Vec<_>>()),
            ("services", self.scenario.services.keys().collect()),
            ("queues", self.scenario.queues.keys().collect()),
        ];
        for (section, names) in sections {
            for name in names {
                let path = format!("{section}.{name}");
                if !is_valid_name(name) {
                    self.error(
                        &path,
                        format!("invalid name \"{name}\": names may contain only letters, digits, \"_\" and \"-\""),
                    );
                }
                if let Some(first) = seen.get(name.as_str()) {
                    let message = format!(
                        "duplicate name \"{name}\": {first} has the same name; clients, services and queues share one set of names, so rename one of them"
                    );
                    self.error(&path, message);
                } else {
                    seen.insert(name, path);
                }
            }
        }
        for (service_name, service) in &self.scenario.services {
            for operation in service.operations.keys() {
                if !is_valid_name(operation) {
                    let path = format!("services.{service_name}.operations.{operation}");
                    self.error(
                        &path,
                        format!("invalid operation name \"{operation}\": names may contain only letters, digits, \"_\" and \"-\""),
                    );
                }
            }
        }
    }

    /// Checks a `service.operation` reference; empty references were already reported.
    fn operation_reference(&mut self, path: &str, reference: &str) {
        if reference.is_empty() {
            // A field that could not be read was reported by the reader already.
            if !self.sources.is_unreadable(path) {
                self.error(
                    path,
                    "the operation is empty: expected \"service.operation\"",
                );
            }
            return;
        }
        let Some((service_name, operation_name)) = reference
            .split_once('.')
            .filter(|(service, operation)| !service.is_empty() && !operation.is_empty())
        else {
            if let Some(message) = self.wrong_kind(path, reference, "service", OPERATION_REFERENCE)
            {
                self.error(path, message);
                return;
            }
            let mut message = format!(
                "invalid operation reference \"{reference}\": expected \"service.operation\""
            );
            if let Some(service) = self.scenario.services.get(reference) {
                let operations: Vec<&str> = service.operations.keys().map(String::as_str).collect();
                message.push_str(&format!(
                    "; \"{reference}\" has the operations {}",
                    quoted_names(operations)
                ));
            }
            self.error(path, message);
            return;
        };
        if self.sources.is_unreadable(&format!(
            "services.{service_name}.operations.{operation_name}"
        )) {
            return;
        }
        let Some(service) = self.scenario.services.get(service_name) else {
            if let Some(message) =
                self.wrong_kind(path, service_name, "service", OPERATION_REFERENCE)
            {
                self.error(path, message);
                return;
            }
            let mut message = format!("service \"{service_name}\" not found");
            let services: Vec<&str> = self.scenario.services.keys().map(String::as_str).collect();
            message.push_str(&self.suggestion(service_name, &services));
            message.push_str(&format!(" Services: {}", quoted_names(services)));
            self.error(path, message);
            return;
        };
        if !service.operations.contains_key(operation_name) {
            let operations: Vec<&str> = service.operations.keys().map(String::as_str).collect();
            let mut message =
                format!("operation \"{operation_name}\" not found in service \"{service_name}\"");
            message.push_str(&self.suggestion(operation_name, &operations));
            message.push_str(&format!(
                " Operations of \"{service_name}\": {}",
                quoted_names(operations)
            ));
            self.error(path, message);
        }
    }

    fn queue_reference(&mut self, path: &str, name: &str) {
        if name.is_empty() {
            if !self.sources.is_unreadable(path) {
                let queues: Vec<&str> = self.scenario.queues.keys().map(String::as_str).collect();
                let message = format!("the queue name is empty. Queues: {}", quoted_names(queues));
                self.error(path, message);
            }
            return;
        }
        if self.scenario.queues.contains_key(name)
            || self.sources.is_unreadable(&format!("queues.{name}"))
        {
            return;
        }
        let queues: Vec<&str> = self.scenario.queues.keys().map(String::as_str).collect();
        if let Some(message) = self.wrong_kind(path, name, "queue", "a queue") {
            self.error(path, format!("{message}. Queues: {}", quoted_names(queues)));
            return;
        }
        let mut message = format!("queue \"{name}\" not found");
        message.push_str(&self.suggestion(name, &queues));
        message.push_str(&format!(" Queues: {}", quoted_names(queues)));
        self.error(path, message);
    }

    fn clients(&mut self) {
        for (name, client) in &self.scenario.clients {
            let path = format!("clients.{name}");
            self.operation_reference(&format!("{path}.target"), &client.target);
            if let Workload::Open { profile, .. } = &client.workload {
                for pair in profile.windows(2).enumerate() {
                    let (i, [earlier, later]) = pair else {
                        continue;
                    };
                    if later.at < earlier.at {
                        self.error(
                            &format!("{path}.profile[{}].at", i + 1),
                            format!(
                                "the profile is out of order: {} comes after {}; list changes in order of \"at\"",
                                later.at, earlier.at
                            ),
                        );
                    }
                }
            }
        }
    }

    fn services(&mut self) {
        for (service_name, service) in &self.scenario.services {
            let path = format!("services.{service_name}");
            if service.operations.is_empty() {
                self.error(
                    &format!("{path}.operations"),
                    "a service needs at least one operation",
                );
            }
            for (operation_name, operation) in &service.operations {
                let operation_path = format!("{path}.operations.{operation_name}");
                for (i, step) in operation.steps.iter().enumerate() {
                    let step_path = format!("{operation_path}.steps[{i}]");
                    match step {
                        Step::Call(call) => {
                            self.operation_reference(&format!("{step_path}.call"), &call.call);
                        }
                        Step::Publish(publish) => {
                            self.queue_reference(&format!("{step_path}.publish"), &publish.publish);
                        }
                        Step::Parallel(parallel) => {
                            for (j, call) in parallel.parallel.iter().enumerate() {
                                self.operation_reference(
                                    &format!("{step_path}.parallel[{j}].call"),
                                    &call.call,
                                );
                            }
                        }
                        Step::Work(_) => {}
                    }
                }
            }
        }
    }

    fn queues(&mut self) {
        let dead_letter_targets: BTreeSet<&str> = self
            .scenario
            .queues
            .values()
            .filter_map(|q| q.dead_letter.as_deref())
            .collect();
        for (name, queue) in &self.scenario.queues {
            let path = format!("queues.{name}");
            match &queue.consumer {
                Some(consumer) => self.operation_reference(&format!("{path}.consumer.operation"), &consumer.operation),
                None if dead_letter_targets.contains(name.as_str()) => {}
                None if self.sources.is_unreadable(&format!("{path}.consumer")) => {}
                None => self.warning(
                    &path,
                    format!("queue \"{name}\" has no consumer, so its messages only accumulate; add \"consumer: {{ operation: service.operation }}\""),
                ),
            }
            if let Some(dead_letter) = &queue.dead_letter {
                let dead_letter_path = format!("{path}.dead_letter");
                if dead_letter == name {
                    self.error(
                        &dead_letter_path,
                        format!("queue \"{name}\" cannot be its own dead-letter queue"),
                    );
                } else {
                    self.queue_reference(&dead_letter_path, dead_letter);
                }
            }
            super::brokers::check_queue(name, queue, |path, message| self.error(&path, message));
        }
    }

    fn node_reference(&mut self, path: &str, name: &str) -> bool {
        if name.is_empty() {
            if !self.sources.is_unreadable(path) {
                let names: Vec<&str> = self.all_node_names().collect();
                let message = format!("the node name is empty. Nodes: {}", quoted_names(names));
                self.error(path, message);
            }
            return false;
        }
        if self.node_kind(name).is_some() {
            return true;
        }
        if self.node_unreadable(name) {
            return false;
        }
        let names: Vec<&str> = self.all_node_names().collect();
        let mut message = format!("node \"{name}\" not found");
        message.push_str(&self.suggestion(name, &names));
        message.push_str(&format!(
            " Clients, services and queues: {}",
            quoted_names(names)
        ));
        self.error(path, message);
        false
    }

    fn links(&mut self) {
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (i, link) in self.scenario.links.iter().enumerate() {
            let path = format!("links[{i}]");
            let from_ok = self.node_reference(&format!("{path}.from"), &link.from);
            let to_ok = self.node_reference(&format!("{path}.to"), &link.to);
            if from_ok && to_ok && link.from == link.to {
                self.error(
                    &path,
                    format!(
                        "a link joins two different nodes; both ends are \"{}\"",
                        link.from
                    ),
                );
            }
            let key = if link.from <= link.to {
                (link.from.clone(), link.to.clone())
            } else {
                (link.to.clone(), link.from.clone())
            };
            if let Some(first) = seen.get(&key) {
                let message = format!(
                    "duplicate link between \"{}\" and \"{}\": links[{first}] already sets it; a link applies in both directions",
                    link.from, link.to
                );
                self.error(&path, message);
            } else {
                seen.insert(key, i);
            }
        }
    }

    fn service_reference(&mut self, path: &str, name: &str) {
        if name.is_empty() && !self.sources.is_unreadable(path) {
            let services: Vec<&str> = self.scenario.services.keys().map(String::as_str).collect();
            let message = format!(
                "the service name is empty. Services: {}",
                quoted_names(services)
            );
            self.error(path, message);
            return;
        }
        if self.scenario.services.contains_key(name)
            || self.sources.is_unreadable(&format!("services.{name}"))
        {
            return;
        }
        let services: Vec<&str> = self.scenario.services.keys().map(String::as_str).collect();
        if let Some(message) = self.wrong_kind(path, name, "service", "a service") {
            let message = format!("{message}. Services: {}", quoted_names(services));
            self.error(path, message);
            return;
        }
        let mut message = format!("service \"{name}\" not found");
        message.push_str(&self.suggestion(name, &services));
        message.push_str(&format!(" Services: {}", quoted_names(services)));
        self.error(path, message);
    }

    fn run_settings(&mut self) {
        let run = &self.scenario.run;
        let duration = run.duration.unwrap_or(DEFAULT_DURATION);
        let window = run.window.unwrap_or(DEFAULT_WINDOW);
        if let Some(warmup) = run.warmup
            && warmup >= duration
        {
            let source = if run.duration.is_some() {
                "the duration"
            } else {
                "the default duration"
            };
            self.error(
                "run.warmup",
                format!("invalid warmup {warmup}: must be shorter than {source} {duration}"),
            );
        }
        let windows = duration.as_nanos() / window.as_nanos().max(1);
        if windows > MAX_WINDOWS {
            self.error(
                if run.window.is_some() { "run.window" } else { "run.duration" },
                format!(
                    "{windows} windows of {window} in {duration}: at most {MAX_WINDOWS} are kept; choose a wider window"
                ),
            );
        }
    }

    /// Returns the latency of the edge between two nodes.
    fn latency_between(&self, a: &str, b: &str) -> &crate::scenario::Distribution {
        self.scenario
            .links
            .iter()
            .find(|l| (l.from == a && l.to == b) || (l.from == b && l.to == a))
            .and_then(|l| l.latency.as_ref())
            .unwrap_or(&self.scenario.defaults.network_latency)
    }

    /// The loss probability of the edge between two nodes.
    fn loss_between(&self, a: &str, b: &str) -> f64 {
        self.scenario
            .links
            .iter()
            .find(|l| (l.from == a && l.to == b) || (l.from == b && l.to == a))
            .and_then(|l| l.loss)
            .unwrap_or(self.scenario.defaults.loss)
    }

    /// Warns about calls on lossy edges without a timeout, whose callers would wait for
    /// a lost message until the end of the run.
    fn lossy_calls_without_timeout(&mut self) {
        let mut findings = Vec::new();
        for (name, client) in &self.scenario.clients {
            let service = client.target.split_once('.').map_or("", |(s, _)| s);
            let loss = self.loss_between(name, service);
            if loss > 0.0 && client.timeout.is_none() {
                findings.push((
                    format!("clients.{name}"),
                    name.clone(),
                    service.to_owned(),
                    loss,
                ));
            }
        }
        for (service_name, service) in &self.scenario.services {
            for (operation_name, operation) in &service.operations {
                for (i, step) in operation.steps.iter().enumerate() {
                    let path =
                        format!("services.{service_name}.operations.{operation_name}.steps[{i}]");
                    let targets: Vec<(&str, bool)> = match step {
                        Step::Call(call) => vec![(
                            call.call.split_once('.').map_or("", |(s, _)| s),
                            call.timeout.is_some(),
                        )],
                        Step::Parallel(parallel) => parallel
                            .parallel
                            .iter()
                            .map(|c| {
                                (
                                    c.call.split_once('.').map_or("", |(s, _)| s),
                                    c.timeout.is_some(),
                                )
                            })
                            .collect(),
                        Step::Publish(publish) => {
                            vec![(publish.publish.as_str(), publish.timeout.is_some())]
                        }
                        Step::Work(_) => Vec::new(),
                    };
                    for (target, has_timeout) in targets {
                        let loss = self.loss_between(service_name, target);
                        if loss > 0.0 && !has_timeout {
                            findings.push((
                                path.clone(),
                                service_name.clone(),
                                target.to_owned(),
                                loss,
                            ));
                        }
                    }
                }
            }
        }
        for (path, from, to, loss) in findings {
            let loss = number(loss);
            self.warning(
                &path,
                format!(
                    "messages between \"{from}\" and \"{to}\" are lost with probability {loss}, and this call has no timeout, so a lost request or response leaves its caller waiting until the end of the run; add a timeout"
                ),
            );
        }
    }

    fn layout(&mut self) {
        let unknown: Vec<String> = self
            .scenario
            .layout
            .keys()
            .filter(|name| self.node_kind(name).is_none())
            .cloned()
            .collect();
        for name in unknown {
            self.warning(
                &format!("layout.{name}"),
                format!("node \"{name}\" not found; its position is ignored"),
            );
        }
    }

    /// Reports every cycle of synchronous calls between operations, which would make a
    /// request wait for itself.
    fn call_cycles(&mut self) {
        let mut graph: DiGraph<String, ()> = DiGraph::new();
        let mut nodes: BTreeMap<String, NodeIndex> = BTreeMap::new();
        for (service_name, service) in &self.scenario.services {
            for operation_name in service.operations.keys() {
                let name = format!("{service_name}.{operation_name}");
                nodes.insert(name.clone(), graph.add_node(name));
            }
        }
        let mut edge_paths: BTreeMap<(NodeIndex, NodeIndex), String> = BTreeMap::new();
        for (service_name, service) in &self.scenario.services {
            for (operation_name, operation) in &service.operations {
                let from = nodes[&format!("{service_name}.{operation_name}")];
                for (i, step) in operation.steps.iter().enumerate() {
                    let step_path =
                        format!("services.{service_name}.operations.{operation_name}.steps[{i}]");
                    let calls: Vec<&CallStep> = match step {
                        Step::Call(call) => vec![call],
                        Step::Parallel(parallel) => parallel.parallel.iter().collect(),
                        Step::Publish(_) | Step::Work(_) => Vec::new(),
                    };
                    for call in calls {
                        if let Some(&to) = nodes.get(&call.call) {
                            graph.add_edge(from, to, ());
                            edge_paths
                                .entry((from, to))
                                .or_insert_with(|| step_path.clone());
                        }
                    }
                }
            }
        }
        for component in petgraph::algo::tarjan_scc(&graph) {
            let first = component[0];
            let is_cycle = component.len() > 1 || graph.contains_edge(first, first);
            if !is_cycle {
                continue;
            }
            let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
            let start = *members
                .iter()
                .min_by_key(|n| graph[**n].clone())
                .unwrap_or(&first);
            let cycle = find_cycle(&graph, start, &members);
            let names: Vec<&str> = cycle.iter().map(|n| graph[*n].as_str()).collect();
            let path = if cycle.len() >= 2 {
                edge_paths
                    .get(&(cycle[0], cycle[1]))
                    .cloned()
                    .unwrap_or_default()
            } else {
                String::new()
            };
            self.error(
                &path,
                format!(
                    "synchronous call cycle: {}; a request would wait for itself. Break the cycle, or make one of the calls a publish to a queue",
                    names.join(" → ")
                ),
            );
        }
    }

    /// Warns about services that no client, call or consumer ever reaches.
    fn reachability(&mut self) {
        // A reference that could not be read may have been the one that reaches a service.
        if self.sources.has_unreadable() {
            return;
        }
        let mut reached: BTreeSet<&str> = BTreeSet::new();
        let targets = self
            .scenario
            .clients
            .values()
            .map(|c| c.target.as_str())
            .chain(
                self.scenario
                    .queues
                    .values()
                    .filter_map(|q| q.consumer.as_ref().map(|c| c.operation.as_str())),
            )
            .chain(self.scenario.services.values().flat_map(|s| {
                s.operations.values().flat_map(|o| {
                    o.steps.iter().flat_map(|step| match step {
                        Step::Call(call) => vec![call.call.as_str()],
                        Step::Parallel(parallel) => {
                            parallel.parallel.iter().map(|c| c.call.as_str()).collect()
                        }
                        Step::Publish(_) | Step::Work(_) => Vec::new(),
                    })
                })
            }));
        for target in targets {
            if let Some((service, _)) = target.split_once('.') {
                reached.insert(service);
            }
        }
        let unreached: Vec<String> = self
            .scenario
            .services
            .keys()
            .filter(|name| !reached.contains(name.as_str()))
            .cloned()
            .collect();
        for name in unreached {
            self.warning(
                &format!("services.{name}"),
                format!("service \"{name}\" is never called: no client, call or queue consumer targets it"),
            );
        }
    }
}

/// A cycle through `start` inside one strongly connected component, as a list of nodes
/// that begins and ends with `start`.
fn find_cycle(
    graph: &DiGraph<String, ()>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Vec<NodeIndex> {
    // Breadth-first search from the successors of `start` back to `start`, visiting
    // successors in name order so that the reported cycle does not depend on file order.
    let mut previous: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut frontier = std::collections::VecDeque::from([start]);
    let mut visited: BTreeSet<NodeIndex> = BTreeSet::new();
    while let Some(node) = frontier.pop_front() {
        let mut successors: Vec<NodeIndex> = graph
            .neighbors(node)
            .filter(|n| members.contains(n))
            .collect();
        successors.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
        successors.dedup();
        for next in successors {
            if next == start {
                let mut chain = Vec::new();
                let mut current = node;
                while current != start {
                    chain.push(current);
                    current = previous[&current];
                }
                chain.reverse();
                let mut cycle = vec![start];
                cycle.extend(chain);
                cycle.push(start);
                return cycle;
            }
            if visited.insert(next) {
                previous.insert(next, node);
                frontier.push_back(next);
            }
        }
    }
    vec![start, start]
}

/// What an operation reference names, for messages.
const OPERATION_REFERENCE: &str = "an operation of a service, as \"service.operation\"";

/// The key at the end of a path such as `services.api.operations.order.steps[0].call`,
/// without its list index: `call`.
fn field_name(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.split('[').next().unwrap_or(last)
}
