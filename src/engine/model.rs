//! The compiled model: a validated scenario with names resolved to indices and
//! distributions turned into samplers, in the form the event loop works on.

use std::collections::BTreeMap;

use crate::scenario::{
    self, Arrivals, Backoff, Jitter, LoadBalancing, OutageMode, Overflow, Scenario, Step, Workload,
};

use super::random::Sampler;
use super::sim::breaker::BreakerModel;
use crate::metrics::recorder::{ERROR_KINDS, ErrorKind};

/// A node of the topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRef {
    /// A client, by index.
    Client(u32),
    /// A service, by index.
    Service(u32),
    /// A queue, by index.
    Queue(u32),
}

/// What travels along an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// Synchronous requests and their responses.
    Call,
    /// Messages published to a queue and their acknowledgements.
    Publish,
    /// Messages delivered from a queue to its consumers.
    Consume,
}

impl EdgeKind {
    /// The lower-case name used in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Call => "call",
            EdgeKind::Publish => "publish",
            EdgeKind::Consume => "consume",
        }
    }
}

/// An edge between two nodes, with its network.
#[derive(Clone, Debug)]
pub struct EdgeModel {
    /// The sender of requests or messages.
    pub from: NodeRef,
    /// The receiver.
    pub to: NodeRef,
    /// What travels along it.
    pub kind: EdgeKind,
    /// One-way latency of each message.
    pub latency: Sampler,
    /// Probability that one message is lost.
    pub loss: f64,
    /// `from → to`, by node names.
    pub name: String,
}

/// Timeout and retry settings of one kind of call.
#[derive(Clone, Debug, Default)]
pub struct CallPolicy {
    /// Time to wait for each attempt, in nanoseconds.
    pub timeout_ns: Option<u64>,
    /// Total attempts, at least 1.
    pub attempts: u32,
    /// Wait before each retry.
    pub backoff: Backoff,
    /// Randomization of the wait.
    pub jitter: Jitter,
    /// Circuit breaker on each attempt, index into [`Model::breakers`].
    pub breaker: Option<u32>,
    /// The error kinds retried, one bit per kind at `1 << kind as u32`.
    pub retry_on: u32,
    /// Overall time allowed for the call, in nanoseconds, before the inherited deadline
    /// is applied.
    pub deadline_ns: Option<u64>,
    /// The call site's retry budget.
    pub retry_budget: Option<RetryBudgetModel>,
}

/// A retry budget, compiled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryBudgetModel {
    /// Share of the active requests that may be retries, from 0 to 1.
    pub fraction: f64,
    /// Retries allowed at once whatever the number of active requests.
    pub min_retry_concurrency: u32,
}

impl CallPolicy {
    /// Returns whether an attempt that failed with `kind` may be retried.
    #[inline]
    #[must_use]
    pub fn retries(&self, kind: ErrorKind) -> bool {
        self.retry_on & (1 << kind as u32) != 0
    }
}

/// Every error kind, as a `retry_on` mask.
const RETRY_ON_ALL: u32 = (1 << ERROR_KINDS) - 1;

fn retry_on_mask(retry: Option<&scenario::RetryPolicy>) -> u32 {
    match retry.and_then(|r| r.retry_on.as_ref()) {
        None => RETRY_ON_ALL,
        Some(kinds) => kinds
            .iter()
            .fold(0, |mask, kind| mask | (1 << *kind as u32)),
    }
}

impl CallPolicy {
    fn new(timeout: Option<scenario::Duration>, retry: Option<&scenario::RetryPolicy>) -> Self {
        Self {
            timeout_ns: timeout.map(scenario::Duration::as_nanos),
            attempts: retry.map_or(1, |r| r.attempts.max(1)),
            backoff: retry.map_or_else(Backoff::default, |r| r.backoff),
            jitter: retry.map_or(Jitter::None, |r| r.jitter),
            breaker: None,
            retry_on: retry_on_mask(retry),
            deadline_ns: None,
            retry_budget: None,
        }
    }
}

/// What a call goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An operation, by global index.
    Operation(u32),
    /// A queue, by index: a publish.
    Queue(u32),
}

/// One outgoing call of a step.
#[derive(Clone, Debug)]
pub struct CallModel {
    /// Where it goes.
    pub target: Target,
    /// The edge it travels on.
    pub edge: u32,
    /// Index into [`Model::policies`].
    pub policy: u32,
    /// Index into [`Model::bulkheads`], if the call site has a bulkhead.
    pub bulkhead: Option<u32>,
}

/// A bulkhead of one call site, compiled.
#[derive(Clone, Copy, Debug)]
pub struct BulkheadModel {
    /// Attempts outstanding at once per replica of the caller.
    pub max_concurrent_calls: u32,
    /// Time an attempt waits for a permit, in ns.
    pub max_wait_ns: u64,
}

/// A token bucket per replica, compiled.
#[derive(Clone, Copy, Debug)]
pub struct RateLimitModel {
    /// Tokens held at most, and at time 0.
    pub max_tokens: u64,
    /// Tokens added at each whole multiple of the interval.
    pub tokens_per_fill: u64,
    /// Time between fills, in ns, at least 1.
    pub fill_interval_ns: u64,
}

/// Load shedding of a service, compiled.
#[derive(Clone, Copy, Debug)]
pub struct LoadSheddingModel {
    /// Waiting requests per replica from which an arrival is shed.
    pub max_waiting: Option<u32>,
    /// Maximum wait, in ns, after which a request is shed instead of started.
    pub max_queue_time_ns: Option<u64>,
}

/// Autoscaling of a service, compiled.
#[derive(Clone, Copy, Debug)]
pub struct AutoscalingModel {
    /// Fewest replicas.
    pub min_replicas: u32,
    /// Most replicas.
    pub max_replicas: u32,
    /// The measured metric.
    pub metric: scenario::AutoscalingMetric,
    /// Target of the metric: a fraction for utilization, waiting requests per replica
    /// for queue depth.
    pub target: f64,
    /// Time between evaluations, in ns, at least 1.
    pub evaluation_period_ns: u64,
    /// Scale-down stabilization window, in ns.
    pub scale_down_stabilization_ns: u64,
    /// Time from a scale-up until the new replicas are ready, in ns.
    pub startup_delay_ns: u64,
    /// Relative deviation of the metric within which nothing changes.
    pub tolerance: f64,
}

/// A step of an operation.
#[derive(Clone, Debug)]
pub enum StepModel {
    /// One call or publish, waited for.
    Call(CallModel),
    /// Several calls at once.
    Parallel(Vec<CallModel>),
    /// Time on the worker.
    Work(Sampler),
}

/// An operation of a service.
#[derive(Clone, Debug)]
pub struct OperationModel {
    /// `service.operation`.
    pub name: String,
    /// The service's index.
    pub service: u32,
    /// Time on the worker before the steps.
    pub service_time: Sampler,
    /// Probability of failing at the end of the service time.
    pub error_probability: f64,
    /// The steps, in order.
    pub steps: Vec<StepModel>,
}

/// A service.
#[derive(Clone, Debug)]
pub struct ServiceModel {
    /// The service's name.
    pub name: String,
    /// Replicas.
    pub replicas: u32,
    /// Workers per replica.
    pub workers: u32,
    /// Waiting requests allowed per replica; `None` is unbounded.
    pub queue_capacity: Option<u32>,
    /// Replica selection.
    pub load_balancing: LoadBalancing,
    /// Consumer slots per replica, summed over the queues this service consumes.
    pub consumer_slots: u32,
    /// Token bucket per replica.
    pub rate_limit: Option<RateLimitModel>,
    /// Shedding of waiting requests.
    pub load_shedding: Option<LoadSheddingModel>,
    /// Changes of the replica count with the load.
    pub autoscaling: Option<AutoscalingModel>,
}

/// The arrival process of a client.
#[derive(Clone, Debug)]
pub enum WorkloadModel {
    /// Arrivals on a schedule.
    Open {
        /// Poisson or evenly spaced.
        poisson: bool,
        /// The rate profile.
        profile: RateProfile,
    },
    /// A fixed number of users.
    Closed {
        /// Number of users.
        users: u32,
        /// Think time between a response and the next request.
        think_time: Sampler,
    },
}

/// A client.
#[derive(Clone, Debug)]
pub struct ClientModel {
    /// The client's name.
    pub name: String,
    /// The operation called.
    pub target: u32,
    /// The edge to the target's service.
    pub edge: u32,
    /// Timeout and retries, index into [`Model::policies`].
    pub policy: u32,
    /// Index into [`Model::bulkheads`], if the client has a bulkhead.
    pub bulkhead: Option<u32>,
    /// How requests are generated.
    pub workload: WorkloadModel,
}

/// A piecewise-linear arrival rate over simulated time.
#[derive(Clone, Debug)]
pub struct RateProfile {
    /// Rate before the first change, per second.
    pub base_per_sec: f64,
    /// Changes: start time in ns, end of ramp in ns, target rate per second.
    pub changes: Vec<(u64, u64, f64)>,
}

impl RateProfile {
    /// The rate per second at simulated time `t_ns`.
    #[must_use]
    ///
    /// Each change ramps from the rate at its start to its target. A change that starts
    /// during an earlier ramp cuts that ramp short and ramps on from the rate reached.
    pub fn rate_at(&self, t_ns: u64) -> f64 {
        let mut rate = self.base_per_sec;
        for (i, &(start, end, target)) in self.changes.iter().enumerate() {
            if t_ns < start {
                break;
            }
            let cut = self.changes.get(i + 1).map_or(u64::MAX, |next| next.0);
            let at = t_ns.min(cut);
            if at >= end {
                rate = target;
            } else {
                let fraction = (at - start) as f64 / (end - start) as f64;
                rate += (target - rate) * fraction;
            }
        }
        rate
    }

    /// The highest rate anywhere in the profile, per second.
    #[must_use]
    pub fn max_rate(&self) -> f64 {
        self.changes
            .iter()
            .map(|c| c.2)
            .fold(self.base_per_sec, f64::max)
    }

    /// Returns the first time after `t_ns` at which the rate stops following one straight
    /// line (the start of a change or the end of a ramp), or `u64::MAX` when none comes.
    #[must_use]
    pub fn next_breakpoint_after(&self, t_ns: u64) -> u64 {
        let mut next = u64::MAX;
        for (i, &(start, end, _)) in self.changes.iter().enumerate() {
            if start > t_ns {
                return next.min(start);
            }
            // A change that starts during this one's ramp cuts the ramp short.
            let cut = self.changes.get(i + 1).map_or(u64::MAX, |later| later.0);
            let end = end.min(cut);
            if end > t_ns {
                next = next.min(end);
            }
        }
        next
    }

    /// Returns the maximum rate per second at any whole nanosecond of [`from_ns`,
    /// `to_ns`), an interval with no breakpoint inside (see
    /// [`RateProfile::next_breakpoint_after`]). The rate is a straight line there, so the
    /// maximum is at one of its ends.
    #[must_use]
    pub fn max_rate_between(&self, from_ns: u64, to_ns: u64) -> f64 {
        let last = to_ns.saturating_sub(1).max(from_ns);
        self.rate_at(from_ns).max(self.rate_at(last))
    }

    /// The next time after `t_ns` at which the rate starts to change, if any.
    #[must_use]
    pub fn next_change_after(&self, t_ns: u64) -> Option<u64> {
        self.changes.iter().map(|c| c.0).find(|start| *start > t_ns)
    }
}

/// A queue.
#[derive(Clone, Debug)]
pub struct QueueModel {
    /// The queue's name.
    pub name: String,
    /// Messages held at most; `None` is unbounded.
    pub capacity: Option<u64>,
    /// What a publish to a full queue does.
    pub overflow: Overflow,
    /// Consuming operation, consumers per replica, and the delivery edge.
    pub consumer: Option<(u32, u32, u32)>,
    /// Deliveries before dead-lettering.
    pub max_deliveries: u32,
    /// Dead-letter queue.
    pub dead_letter: Option<u32>,
    /// Broker semantics, for a queue with any broker setting; `None` keeps the plain
    /// queue's behaviour and costs nothing.
    pub broker: Option<BrokerModel>,
}

/// The broker settings of a queue, compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokerModel {
    /// The kind of broker the queue behaves like.
    pub kind: scenario::brokers::BrokerKind,
    /// Unacknowledged messages per consumer (batch size of a database-backed queue).
    pub prefetch: u32,
    /// Whether a failed message is requeued rather than dead-lettered at once.
    pub requeue: bool,
    /// Time to live in the queue, ns.
    pub message_ttl_ns: Option<u64>,
    /// SQS visibility timeout, ns.
    pub visibility_timeout_ns: u64,
    /// Kafka partitions, at least 1.
    pub partitions: u32,
    /// Distinct keys; `None` sends messages to the partitions in turn.
    pub keys: Option<u32>,
    /// Kafka retention, ns.
    pub retention_ns: Option<u64>,
    /// Database poll interval, ns.
    pub poll_interval_ns: u64,
    /// Kafka session timeout: how long a crashed consumer keeps its partitions, ns.
    pub session_timeout_ns: u64,
}

impl BrokerModel {
    fn new(queue: &scenario::Queue) -> Option<Self> {
        use scenario::brokers::{BrokerKind, BrokerSettings};
        let settings = BrokerSettings::of_queue(queue);
        if !settings.any() {
            return None;
        }
        let kind = settings.kind();
        let nanos = |d: Option<scenario::Duration>| d.map(scenario::Duration::as_nanos);
        Some(Self {
            kind,
            prefetch: if kind == BrokerKind::DbPoll {
                settings.batch_size.unwrap_or(1)
            } else {
                settings.prefetch.unwrap_or(1)
            },
            requeue: settings.requeue.unwrap_or(true),
            message_ttl_ns: nanos(settings.message_ttl),
            visibility_timeout_ns: nanos(settings.visibility_timeout).unwrap_or(0),
            partitions: settings.partitions.unwrap_or(1).max(1),
            keys: settings.keys,
            retention_ns: nanos(settings.retention),
            poll_interval_ns: nanos(settings.poll_interval).unwrap_or(0).max(1),
            session_timeout_ns: nanos(settings.session_timeout)
                .unwrap_or(scenario::brokers::DEFAULT_SESSION_TIMEOUT.as_nanos()),
        })
    }
}

/// A fault, compiled.
#[derive(Clone, Debug)]
pub struct FaultModel {
    /// When it is active.
    pub timing: FaultTiming,
    /// What it does.
    pub effect: FaultEffect,
    /// A short description for the fault timeline, such as `crash payments#0`.
    pub label: String,
    /// The nodes it affects.
    pub targets: Vec<NodeRef>,
}

/// When a fault is active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTiming {
    /// One window, from `start_ns` to `end_ns`.
    Window { start_ns: u64, end_ns: u64 },
    /// Failures and repairs after exponential times with means `mtbf_ns` and `mttr_ns`,
    /// from `start_ns` on.
    Random {
        start_ns: u64,
        mtbf_ns: u64,
        mttr_ns: u64,
    },
    /// Started by hand while running, for `duration_ns`.
    Manual { duration_ns: u64 },
}

/// The effect of a fault while it is active.
#[derive(Clone, Debug)]
pub enum FaultEffect {
    /// Service outage.
    Outage { service: u32, mode: OutageMode },
    /// Service times of a service multiplied.
    SlowService { service: u32, multiplier: f64 },
    /// Latencies of the edges between two nodes multiplied.
    SlowLink {
        a: NodeRef,
        b: NodeRef,
        multiplier: f64,
    },
    /// Error probability of every operation of a service replaced.
    Errors { service: u32, probability: f64 },
    /// The first `count` requests of a service that end their service time fail.
    FirstErrors { service: u32, count: u64 },
    /// One replica, or every replica when `replica` is `None`, crashes.
    Crash {
        service: u32,
        replica: Option<u32>,
        mode: OutageMode,
    },
    /// A time drawn for each request added to a service's service time.
    ServiceLatency { service: u32, add: Sampler },
    /// A time drawn for each message added to the latency of the edges between two nodes.
    LinkLatency {
        a: NodeRef,
        b: NodeRef,
        add: Sampler,
    },
    /// Messages from `a` to `b` lost, and from `b` to `a` too unless `one_way`.
    Partition {
        a: NodeRef,
        b: NodeRef,
        one_way: bool,
    },
    /// Messages between two nodes lost with a probability.
    Loss {
        a: NodeRef,
        b: NodeRef,
        probability: f64,
    },
    /// A queue's broker down: publishes fail or go unacknowledged, deliveries pause.
    BrokerOutage { queue: u32, mode: OutageMode },
    /// Handling times of a queue's messages multiplied.
    SlowConsumer { queue: u32, multiplier: f64 },
}

/// A whole compiled scenario.
#[derive(Clone, Debug)]
pub struct Model {
    /// Clients, in file order.
    pub clients: Vec<ClientModel>,
    /// Services, in file order.
    pub services: Vec<ServiceModel>,
    /// Operations of all services, grouped by service in file order.
    pub operations: Vec<OperationModel>,
    /// Queues, in file order.
    pub queues: Vec<QueueModel>,
    /// Every edge that requests or messages travel on, in order of first use.
    pub edges: Vec<EdgeModel>,
    /// Timeout and retry settings, referenced by index.
    pub policies: Vec<CallPolicy>,
    /// Scheduled faults.
    pub faults: Vec<FaultModel>,
    /// Bulkheads of the call sites that have one, referenced by index.
    pub bulkheads: Vec<BulkheadModel>,
    /// Call sites with a circuit breaker, in order of compilation: clients, then steps.
    pub breakers: Vec<BreakerModel>,
}

/// A scenario that passed validation but still cannot be compiled; validation is meant
/// to make this unreachable, so its message names the check that is missing.
#[derive(Debug, thiserror::Error)]
#[error("cannot compile the scenario: {0}")]
pub struct CompileError(pub String);

struct Builder<'a> {
    scenario: &'a Scenario,
    service_index: BTreeMap<&'a str, u32>,
    queue_index: BTreeMap<&'a str, u32>,
    client_index: BTreeMap<&'a str, u32>,
    operation_index: BTreeMap<String, u32>,
    edges: Vec<EdgeModel>,
    edge_index: BTreeMap<(NodeRef, NodeRef, EdgeKind), u32>,
    policies: Vec<CallPolicy>,
    bulkheads: Vec<BulkheadModel>,
    breakers: Vec<BreakerModel>,
}

impl Model {
    /// Compiles a validated scenario.
    pub fn compile(scenario: &Scenario) -> Result<Self, CompileError> {
        let mut builder = Builder {
            scenario,
            service_index: index_names(scenario.services.keys()),
            queue_index: index_names(scenario.queues.keys()),
            client_index: index_names(scenario.clients.keys()),
            operation_index: BTreeMap::new(),
            edges: Vec::new(),
            edge_index: BTreeMap::new(),
            policies: Vec::new(),
            bulkheads: Vec::new(),
            breakers: Vec::new(),
        };
        builder.build()
    }

    /// Returns the node named `name`, if any.
    #[must_use]
    pub fn find_node(&self, name: &str) -> Option<NodeRef> {
        let index = |position: Option<usize>| position.map(|i| i as u32);
        index(self.clients.iter().position(|c| c.name == name))
            .map(NodeRef::Client)
            .or_else(|| {
                index(self.services.iter().position(|s| s.name == name)).map(NodeRef::Service)
            })
            .or_else(|| index(self.queues.iter().position(|q| q.name == name)).map(NodeRef::Queue))
    }

    /// The display name of a node.
    #[must_use]
    pub fn node_name(&self, node: NodeRef) -> &str {
        match node {
            NodeRef::Client(i) => &self.clients[i as usize].name,
            NodeRef::Service(i) => &self.services[i as usize].name,
            NodeRef::Queue(i) => &self.queues[i as usize].name,
        }
    }
}

fn index_names<'a>(names: impl Iterator<Item = &'a String>) -> BTreeMap<&'a str, u32> {
    names
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect()
}

fn compile_rate_limit(limit: &scenario::RateLimit) -> RateLimitModel {
    RateLimitModel {
        max_tokens: limit.max_tokens.max(1),
        tokens_per_fill: limit.tokens_per_fill.max(1),
        fill_interval_ns: limit.fill_interval.as_nanos().max(1),
    }
}

fn compile_load_shedding(shedding: &scenario::LoadShedding) -> LoadSheddingModel {
    LoadSheddingModel {
        max_waiting: shedding.max_waiting,
        max_queue_time_ns: shedding.max_queue_time.map(scenario::Duration::as_nanos),
    }
}

fn compile_autoscaling(autoscaling: &scenario::Autoscaling) -> AutoscalingModel {
    let min_replicas = autoscaling.min_replicas.max(1);
    AutoscalingModel {
        min_replicas,
        max_replicas: autoscaling.max_replicas.max(min_replicas),
        metric: autoscaling.metric,
        target: autoscaling.target.as_fraction_or_value(),
        evaluation_period_ns: autoscaling.evaluation_period.as_nanos().max(1),
        scale_down_stabilization_ns: autoscaling.scale_down_stabilization.as_nanos(),
        startup_delay_ns: autoscaling.startup_delay.as_nanos(),
        tolerance: autoscaling.tolerance,
    }
}

fn sampler(distribution: &scenario::Distribution, what: &str) -> Result<Sampler, CompileError> {
    Sampler::new(distribution).map_err(|e| CompileError(format!("{what}: {e}")))
}

impl Builder<'_> {
    fn build(&mut self) -> Result<Model, CompileError> {
        let scenario = self.scenario;
        let mut operations = Vec::new();
        for (service_number, (service_name, service)) in scenario.services.iter().enumerate() {
            for operation_name in service.operations.keys() {
                let name = format!("{service_name}.{operation_name}");
                self.operation_index
                    .insert(name.clone(), operations.len() as u32);
                operations.push(OperationModel {
                    name,
                    service: service_number as u32,
                    service_time: Sampler::Constant(0),
                    error_probability: 0.0,
                    steps: Vec::new(),
                });
            }
        }
        let mut clients = Vec::new();
        for (client_number, (name, client)) in scenario.clients.iter().enumerate() {
            let target = self.operation(&client.target)?;
            let to = NodeRef::Service(operations[target as usize].service);
            let edge = self.edge(NodeRef::Client(client_number as u32), to, EdgeKind::Call)?;
            let policy = self.policy(client.timeout, client.retry.as_ref());
            let bulkhead = self.bulkhead(client.bulkhead.as_ref());
            if let Some(breaker) = &client.circuit_breaker {
                self.breaker(policy, breaker, edge, format!("clients.{name}"));
            }
            self.limit_policy(policy, client.deadline, client.retry_budget);
            let workload = match &client.workload {
                Workload::Open { arrivals, profile } => WorkloadModel::Open {
                    poisson: matches!(arrivals, Arrivals::Poisson(_)),
                    profile: RateProfile {
                        base_per_sec: arrivals.rate().as_per_sec(),
                        changes: profile
                            .iter()
                            .map(|c| {
                                let start = c.at.as_nanos();
                                let ramp = c.ramp.map_or(0, scenario::Duration::as_nanos);
                                (start, start.saturating_add(ramp), c.rate.as_per_sec())
                            })
                            .collect(),
                    },
                },
                Workload::Closed { users, think_time } => WorkloadModel::Closed {
                    users: *users,
                    think_time: sampler(think_time, &format!("clients.{name}.think_time"))?,
                },
            };
            clients.push(ClientModel {
                name: name.clone(),
                target,
                edge,
                policy,
                bulkhead,
                workload,
            });
        }
        let mut global = 0usize;
        for (service_number, (service_name, service)) in scenario.services.iter().enumerate() {
            for (operation_name, operation) in &service.operations {
                let path = format!("services.{service_name}.operations.{operation_name}");
                let from = NodeRef::Service(service_number as u32);
                let mut steps = Vec::new();
                for (number, step) in operation.steps.iter().enumerate() {
                    let site = format!("{path}.steps[{number}]");
                    steps.push(match step {
                        Step::Call(call) => StepModel::Call(self.call(from, call, &site)?),
                        Step::Parallel(parallel) => StepModel::Parallel(
                            parallel
                                .parallel
                                .iter()
                                .enumerate()
                                .map(|(i, c)| self.call(from, c, &format!("{site}.parallel[{i}]")))
                                .collect::<Result<_, _>>()?,
                        ),
                        Step::Publish(publish) => {
                            let queue = self.queue(&publish.publish)?;
                            let edge = self.edge(from, NodeRef::Queue(queue), EdgeKind::Publish)?;
                            let policy = self.policy(publish.timeout, publish.retry.as_ref());
                            StepModel::Call(CallModel {
                                target: Target::Queue(queue),
                                edge,
                                policy,
                                bulkhead: None,
                            })
                        }
                        Step::Work(work) => {
                            StepModel::Work(sampler(&work.work, &format!("{path}.steps"))?)
                        }
                    });
                }
                let compiled = &mut operations[global];
                compiled.service_time =
                    sampler(&operation.service_time, &format!("{path}.service_time"))?;
                compiled.error_probability = operation.error_probability;
                compiled.steps = steps;
                global += 1;
            }
        }
        let mut services: Vec<ServiceModel> = scenario
            .services
            .iter()
            .map(|(name, s)| ServiceModel {
                name: name.clone(),
                replicas: s.replicas,
                workers: s.workers,
                queue_capacity: s.queue_capacity,
                load_balancing: s.load_balancing,
                consumer_slots: 0,
                rate_limit: s.rate_limit.as_ref().map(compile_rate_limit),
                load_shedding: s.load_shedding.as_ref().map(compile_load_shedding),
                autoscaling: s.autoscaling.as_ref().map(compile_autoscaling),
            })
            .collect();
        let mut queues = Vec::new();
        for (queue_number, (name, queue)) in scenario.queues.iter().enumerate() {
            let consumer = match &queue.consumer {
                Some(consumer) => {
                    let operation = self.operation(&consumer.operation)?;
                    let service = operations[operation as usize].service;
                    services[service as usize].consumer_slots = services[service as usize]
                        .consumer_slots
                        .saturating_add(consumer.concurrency);
                    let edge = self.edge(
                        NodeRef::Queue(queue_number as u32),
                        NodeRef::Service(service),
                        EdgeKind::Consume,
                    )?;
                    Some((operation, consumer.concurrency, edge))
                }
                None => None,
            };
            let dead_letter = match &queue.dead_letter {
                Some(dead_letter) => Some(self.queue(dead_letter)?),
                None => None,
            };
            queues.push(QueueModel {
                name: name.clone(),
                capacity: queue.capacity,
                overflow: queue.overflow.normalized(),
                consumer,
                max_deliveries: queue.max_deliveries.max(1),
                dead_letter,
                broker: BrokerModel::new(queue),
            });
        }
        let faults = self.faults()?;
        Ok(Model {
            clients,
            services,
            operations,
            queues,
            edges: std::mem::take(&mut self.edges),
            policies: std::mem::take(&mut self.policies),
            faults,
            bulkheads: std::mem::take(&mut self.bulkheads),
            breakers: std::mem::take(&mut self.breakers),
        })
    }

    fn node(&self, name: &str) -> Result<NodeRef, CompileError> {
        if let Some(i) = self.client_index.get(name) {
            Ok(NodeRef::Client(*i))
        } else if let Some(i) = self.service_index.get(name) {
            Ok(NodeRef::Service(*i))
        } else if let Some(i) = self.queue_index.get(name) {
            Ok(NodeRef::Queue(*i))
        } else {
            Err(CompileError(format!("node \"{name}\" not found")))
        }
    }

    fn node_name(&self, node: NodeRef) -> &str {
        let keys: Vec<&String> = match node {
            NodeRef::Client(_) => self.scenario.clients.keys().collect(),
            NodeRef::Service(_) => self.scenario.services.keys().collect(),
            NodeRef::Queue(_) => self.scenario.queues.keys().collect(),
        };
        let (NodeRef::Client(i) | NodeRef::Service(i) | NodeRef::Queue(i)) = node;
        keys[i as usize]
    }

    fn operation(&self, reference: &str) -> Result<u32, CompileError> {
        self.operation_index
            .get(reference)
            .copied()
            .ok_or_else(|| CompileError(format!("operation \"{reference}\" not found")))
    }

    fn queue(&self, name: &str) -> Result<u32, CompileError> {
        self.queue_index
            .get(name)
            .copied()
            .ok_or_else(|| CompileError(format!("queue \"{name}\" not found")))
    }

    fn policy(
        &mut self,
        timeout: Option<scenario::Duration>,
        retry: Option<&scenario::RetryPolicy>,
    ) -> u32 {
        self.policies.push(CallPolicy::new(timeout, retry));
        (self.policies.len() - 1) as u32
    }

    /// Puts a circuit breaker on the call site of `policy`, whose attempts travel on
    /// `edge`; `site` is the site's path in the scenario.
    fn breaker(
        &mut self,
        policy: u32,
        breaker: &scenario::CircuitBreaker,
        edge: u32,
        site: String,
    ) {
        self.policies[policy as usize].breaker = Some(self.breakers.len() as u32);
        self.breakers.push(BreakerModel::new(breaker, edge, site));
    }

    /// Adds a deadline and a retry budget to the policy `policy`.
    fn limit_policy(
        &mut self,
        policy: u32,
        deadline: Option<scenario::Duration>,
        budget: Option<scenario::RetryBudget>,
    ) {
        let compiled = &mut self.policies[policy as usize];
        compiled.deadline_ns = deadline.map(scenario::Duration::as_nanos);
        compiled.retry_budget = budget.map(|b| RetryBudgetModel {
            fraction: b.budget_percent / 100.0,
            min_retry_concurrency: b.min_retry_concurrency,
        });
    }

    fn call(
        &mut self,
        from: NodeRef,
        call: &scenario::CallStep,
        site: &str,
    ) -> Result<CallModel, CompileError> {
        let operation = self.operation(&call.call)?;
        let service = self.scenario_service_of(operation);
        let edge = self.edge(from, NodeRef::Service(service), EdgeKind::Call)?;
        let policy = self.policy(call.timeout, call.retry.as_ref());
        let bulkhead = self.bulkhead(call.bulkhead.as_ref());
        if let Some(breaker) = &call.circuit_breaker {
            self.breaker(policy, breaker, edge, site.to_owned());
        }
        self.limit_policy(policy, call.deadline, call.retry_budget);
        Ok(CallModel {
            target: Target::Operation(operation),
            edge,
            policy,
            bulkhead,
        })
    }

    /// Adds the bulkhead of one call site, if it has one: each site has a bulkhead of
    /// its own, even where two sites have the same settings.
    fn bulkhead(&mut self, bulkhead: Option<&scenario::Bulkhead>) -> Option<u32> {
        let bulkhead = bulkhead?;
        self.bulkheads.push(BulkheadModel {
            max_concurrent_calls: bulkhead.max_concurrent_calls.max(1),
            max_wait_ns: bulkhead.max_wait_duration.as_nanos(),
        });
        Some((self.bulkheads.len() - 1) as u32)
    }

    fn scenario_service_of(&self, operation: u32) -> u32 {
        // Operations are numbered service by service in file order.
        let mut remaining = operation as usize;
        for (i, service) in self.scenario.services.values().enumerate() {
            if remaining < service.operations.len() {
                return i as u32;
            }
            remaining -= service.operations.len();
        }
        0
    }

    /// The edge from `from` to `to` of `kind`, created on first use with the network
    /// settings of the link between the two nodes, or the defaults.
    fn edge(&mut self, from: NodeRef, to: NodeRef, kind: EdgeKind) -> Result<u32, CompileError> {
        if let Some(edge) = self.edge_index.get(&(from, to, kind)) {
            return Ok(*edge);
        }
        let from_name = self.node_name(from).to_owned();
        let to_name = self.node_name(to).to_owned();
        let defaults = &self.scenario.defaults;
        let link = self.scenario.links.iter().find(|l| {
            (l.from == from_name && l.to == to_name) || (l.from == to_name && l.to == from_name)
        });
        let latency = link
            .and_then(|l| l.latency.as_ref())
            .unwrap_or(&defaults.network_latency);
        let loss = link.and_then(|l| l.loss).unwrap_or(defaults.loss);
        let name = format!("{from_name} → {to_name}");
        let edge = EdgeModel {
            from,
            to,
            kind,
            latency: sampler(latency, &format!("latency of {name}"))?,
            // Loss is modelled on requests and acknowledgements; deliveries to consumers
            // are not lost, as brokers redeliver unacknowledged messages.
            loss: if kind == EdgeKind::Consume { 0.0 } else { loss },
            name,
        };
        self.edges.push(edge);
        let index = (self.edges.len() - 1) as u32;
        self.edge_index.insert((from, to, kind), index);
        Ok(index)
    }

    fn faults(&self) -> Result<Vec<FaultModel>, CompileError> {
        let resolve = |name: &str| self.node(name).ok();
        self.scenario
            .faults
            .iter()
            .map(|fault| super::fault_model::compile_fault(fault, &resolve))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_profile_ramps_and_steps() {
        let profile = RateProfile {
            base_per_sec: 100.0,
            changes: vec![(10, 20, 200.0), (30, 30, 50.0)],
        };
        assert_eq!(profile.rate_at(0), 100.0);
        assert_eq!(profile.rate_at(15), 150.0);
        assert_eq!(profile.rate_at(25), 200.0);
        assert_eq!(profile.rate_at(30), 50.0);
        assert_eq!(profile.max_rate(), 200.0);
    }

    #[test]
    fn overlapping_ramp_continues_smoothly() {
        // The second change starts halfway through the first ramp, at 150/s, and ramps
        // from there to 300/s over 10 ns.
        let profile = RateProfile {
            base_per_sec: 100.0,
            changes: vec![(0, 20, 200.0), (10, 20, 300.0)],
        };
        assert_eq!(profile.rate_at(10), 150.0);
        assert_eq!(profile.rate_at(15), 225.0);
        assert_eq!(profile.rate_at(20), 300.0);
        assert_eq!(profile.rate_at(99), 300.0);
    }
}
