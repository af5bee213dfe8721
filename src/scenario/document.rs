//! The scenario document: topology, parameters, faults and layout, as saved in a file.
//!
//! These types are what the editor changes and what a file is read into. They hold names,
//! not indices; the engine compiles a validated document into its own indexed model.
//! Serializing a document writes the same format that [`super::read`] accepts, with
//! defaults left out so that saved files stay short and diff-friendly.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

use super::breaker::CircuitBreaker;
use super::distribution::Distribution;
use super::protections::{Autoscaling, Bulkhead, LoadShedding, RateLimit};
use super::units::{Duration, Rate};
use crate::metrics::recorder::ErrorKind;

/// The only format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Simulated time run when neither the scenario nor the caller sets one.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);

/// Time-series window when neither the scenario nor the caller sets one.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(1);

/// Seed used when neither the scenario nor the caller sets one.
pub const DEFAULT_SEED: u64 = 1;

/// Windows kept per entity at most, which bounds the memory of the time series.
pub const MAX_WINDOWS: u64 = 1_000_000;

/// A whole scenario.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// A short title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Markdown text saying what the scenario shows and what to look at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Settings that apply wherever a node or link does not set its own.
    #[serde(default, skip_serializing_if = "Defaults::is_default")]
    pub defaults: Defaults,
    /// Run settings used when the command line does not override them.
    #[serde(default, skip_serializing_if = "RunSettings::is_empty")]
    pub run: RunSettings,
    /// Load generators, by name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub clients: IndexMap<String, Client>,
    /// Services, by name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub services: IndexMap<String, Service>,
    /// Message queues, by name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub queues: IndexMap<String, Queue>,
    /// Network settings of individual edges, overriding the defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Scheduled faults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// Node positions on the canvas, by node name, in canvas units.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub layout: IndexMap<String, [f64; 2]>,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            name: None,
            description: None,
            defaults: Defaults::default(),
            run: RunSettings::default(),
            clients: IndexMap::new(),
            services: IndexMap::new(),
            queues: IndexMap::new(),
            links: Vec::new(),
            faults: Vec::new(),
            layout: IndexMap::new(),
        }
    }
}

/// Scenario-wide defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// One-way network latency of every edge without a link of its own. Default: 0.
    #[serde(default, skip_serializing_if = "Distribution::is_zero")]
    pub network_latency: Distribution,
    /// Probability that one message on a call or publish edge is lost. Default: 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub loss: f64,
}

impl Defaults {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Settings of a run that the command line can override.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Simulated time to run. Default: 60s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Initial simulated time excluded from the summary. Default: 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<Duration>,
    /// Seed of all random streams. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Width of a time-series window. Default: 1s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
}

impl RunSettings {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A load generator that sends requests to one operation of one service.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// The operation called, as `service.operation`.
    pub target: String,
    /// How requests are generated.
    #[serde(flatten)]
    pub workload: Workload,
    /// Time the client waits for each attempt before giving up on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// What the client does after a failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// Limit of the client's concurrent attempts. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulkhead: Option<Bulkhead>,
    /// Circuit breaker on each attempt. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Limit on the client's concurrent retries. Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<RetryBudget>,
    /// Overall time allowed for each request, its retries and every call made on its
    /// behalf downstream, as a gRPC deadline. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Duration>,
}

/// Open or closed workload.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Workload {
    /// Requests arrive on their own schedule, whatever the responses do.
    Open {
        /// The arrival process and its base rate.
        arrivals: Arrivals,
        /// Changes of the rate over simulated time, in order of `at`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        profile: Vec<RateChange>,
    },
    /// A fixed population of users, each waiting for its response, then thinking.
    Closed {
        /// Number of users.
        #[schemars(range(min = 1, max = super::read::MAX_USERS))]
        users: u32,
        /// Time a user waits between a response and its next request. Default: 0.
        #[serde(default, skip_serializing_if = "Distribution::is_zero")]
        think_time: Distribution,
    },
}

/// An open arrival process.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Arrivals {
    /// Exponential inter-arrival times at the given rate.
    Poisson(Rate),
    /// Evenly spaced arrivals at the given rate.
    Constant(Rate),
}

impl Arrivals {
    /// The base rate.
    #[must_use]
    pub fn rate(self) -> Rate {
        match self {
            Arrivals::Poisson(rate) | Arrivals::Constant(rate) => rate,
        }
    }
}

/// One change of an open client's rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateChange {
    /// Simulated time at which the change starts.
    pub at: Duration,
    /// The rate reached at the end of the change.
    pub rate: Rate,
    /// Time over which the rate moves linearly to the new value. Default: 0, a step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Duration>,
}

/// A service: replicas, each with workers and an inbound queue, serving operations.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Number of replicas. Default: 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[schemars(range(min = 1, max = super::read::MAX_REPLICAS))]
    pub replicas: u32,
    /// Workers per replica: requests served at once by one replica. Default: 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[schemars(range(min = 1, max = super::read::MAX_WORKERS))]
    pub workers: u32,
    /// Requests that may wait per replica while all workers are busy; arrivals past it
    /// are rejected. Default: unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_capacity: Option<u32>,
    /// How a request picks a replica. Default: round-robin.
    #[serde(default, skip_serializing_if = "LoadBalancing::is_default")]
    pub load_balancing: LoadBalancing,
    /// Token bucket of each replica's inbound requests. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Shedding of waiting requests. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_shedding: Option<LoadShedding>,
    /// Changes of `replicas` with the load. Default: none, a fixed count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Operations, by name.
    pub operations: IndexMap<String, Operation>,
}

impl Default for Service {
    fn default() -> Self {
        Self {
            replicas: 1,
            workers: 1,
            queue_capacity: None,
            load_balancing: LoadBalancing::default(),
            rate_limit: None,
            load_shedding: None,
            autoscaling: None,
            operations: IndexMap::new(),
        }
    }
}

/// Replica selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LoadBalancing {
    /// Each replica in turn.
    #[default]
    RoundRobin,
    /// A replica drawn uniformly at random.
    Random,
    /// The replica with the fewest requests in service or waiting; ties go to the lowest
    /// replica number.
    LeastOutstanding,
}

impl LoadBalancing {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 3] = ["round-robin", "random", "least-outstanding"];

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde passes fields by reference"
    )]
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// One operation of a service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Time a worker spends on the request before its steps.
    pub service_time: Distribution,
    /// Probability that the operation fails at the end of its service time, skipping its
    /// steps. Default: 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub error_probability: f64,
    /// Steps run in order after the service time; the worker is held throughout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

/// A step of an operation.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Step {
    /// A synchronous call: the worker waits for the response or the timeout.
    Call(CallStep),
    /// A message published to a queue: the worker waits for the broker's acknowledgement.
    Publish(PublishStep),
    /// Several calls sent at once; the step ends when all of them have ended.
    Parallel(ParallelStep),
    /// More time on the worker, for work between calls.
    Work(WorkStep),
}

/// A synchronous call.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallStep {
    /// The operation called, as `service.operation`.
    pub call: String,
    /// Time to wait for each attempt. Default: no timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// What to do after a failed attempt. Default: no retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// Limit of this call's concurrent attempts per replica of the caller. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulkhead: Option<Bulkhead>,
    /// Circuit breaker on each attempt. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Limit on the concurrent retries of this call, per replica of the caller. Default:
    /// no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<RetryBudget>,
    /// Time allowed for this call and its retries. It can only shorten the deadline that
    /// the request being served carries. Default: the inherited deadline, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Duration>,
}

/// A publish to a queue.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishStep {
    /// The queue's name.
    pub publish: String,
    /// Time to wait for the acknowledgement of each attempt. Default: no timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// What to do after a rejected or timed-out publish. Default: no retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
}

/// Calls made concurrently.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelStep {
    /// The calls; the step fails if any of them fails.
    pub parallel: Vec<CallStep>,
}

/// Extra time on the worker.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkStep {
    /// How long the work takes.
    pub work: Distribution,
}

/// What a caller does after a failed attempt.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Total attempts, the first one included; at least 1.
    #[schemars(range(min = 1, max = super::read::MAX_ATTEMPTS))]
    pub attempts: u32,
    /// Wait before each retry. Default: no wait.
    #[serde(default, skip_serializing_if = "Backoff::is_none")]
    pub backoff: Backoff,
    /// Randomization of each wait. Default: none.
    #[serde(default, skip_serializing_if = "Jitter::is_none")]
    pub jitter: Jitter,
    /// Error kinds of a failed attempt that are retried, as gRPC's
    /// `retryableStatusCodes` and Envoy's `retry_on` list them; an attempt that fails
    /// with another kind ends the call with its error. Default: every kind.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::retries::serialize_retry_on"
    )]
    #[schemars(schema_with = "super::retries::retry_on_schema")]
    pub retry_on: Option<Vec<ErrorKind>>,
}

/// A limit on concurrent retries, as Envoy's `retry_budget` of a cluster's circuit
/// breakers: a retry may start only while the retries active on the call site, waiting
/// for their backoff or in flight, are fewer than
/// `max(min_retry_concurrency, budget_percent % of the requests active on it)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBudget {
    /// Share of the active requests that may be retries, in percent, from 0 to 100.
    /// Default: 20, as in Envoy.
    #[serde(
        default = "super::retries::default_budget_percent",
        skip_serializing_if = "super::retries::is_default_budget_percent"
    )]
    #[schemars(range(min = 0, max = 100))]
    pub budget_percent: f64,
    /// Retries allowed at once whatever the number of active requests. Default: 3, as
    /// in Envoy.
    #[serde(
        default = "super::retries::default_min_retry_concurrency",
        skip_serializing_if = "super::retries::is_default_min_retry_concurrency"
    )]
    pub min_retry_concurrency: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            budget_percent: super::retries::DEFAULT_BUDGET_PERCENT,
            min_retry_concurrency: super::retries::DEFAULT_MIN_RETRY_CONCURRENCY,
        }
    }
}

/// The wait before a retry, before jitter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Backoff {
    /// The same wait before every retry.
    Constant(Duration),
    /// `base × multiplier^(n−1)` before retry n, at most `cap`.
    Exponential {
        /// Wait before the first retry.
        base: Duration,
        /// Upper bound of any wait.
        cap: Duration,
        /// Growth factor per retry, at least 1. Default: 2.
        #[serde(default = "two", skip_serializing_if = "is_two")]
        multiplier: f64,
    },
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::Constant(Duration::ZERO)
    }
}

impl Backoff {
    fn is_none(&self) -> bool {
        *self == Self::default()
    }

    /// The wait before retry number `retry` (1 for the first retry), before jitter.
    #[must_use]
    pub fn wait(&self, retry: u32) -> Duration {
        match *self {
            Backoff::Constant(wait) => wait,
            Backoff::Exponential {
                base,
                cap,
                multiplier,
            } => {
                let exponent = f64::from(retry.saturating_sub(1));
                let nanos = base.as_nanos() as f64 * multiplier.powf(exponent);
                Duration::from_nanos(nanos.min(cap.as_nanos() as f64) as u64)
            }
        }
    }
}

/// Randomization of a backoff wait `w`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Jitter {
    /// Exactly `w`.
    #[default]
    None,
    /// Uniform between 0 and `w`.
    Full,
    /// `w/2` plus a uniform draw between 0 and `w/2`.
    Equal,
}

impl Jitter {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 3] = ["none", "full", "equal"];

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde passes fields by reference"
    )]
    fn is_none(&self) -> bool {
        *self == Self::None
    }
}

/// A message queue with its consumers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// Messages the queue can hold, not counting those being handled. Default: unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub capacity: Option<u64>,
    /// What a publish to a full queue does. Default: reject.
    #[serde(default, skip_serializing_if = "Overflow::is_default")]
    pub overflow: Overflow,
    /// The operation that handles each message. A queue without a consumer only fills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<Consumer>,
    /// Deliveries of one message before it is dead-lettered, the first one included.
    /// Default: 3.
    #[serde(default = "three", skip_serializing_if = "is_three")]
    #[schemars(range(min = 1))]
    pub max_deliveries: u32,
    /// The queue that receives messages that failed `max_deliveries` times. Without one
    /// they are discarded, and still counted as dead-lettered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<String>,
    /// Broker whose defaults fill the broker settings below that the queue leaves out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Messages delivered to each consumer and not yet acknowledged, as RabbitMQ's
    /// `basic.qos` prefetch count. A consumer handles them one at a time. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = super::brokers::MAX_PREFETCH))]
    pub prefetch: Option<u32>,
    /// Whether a failed message goes back to the head of the queue (RabbitMQ's nack with
    /// requeue), until `max_deliveries`, or is dead-lettered at once. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requeue: Option<bool>,
    /// Time to live of a message in the queue, as RabbitMQ's `x-message-ttl`. A message
    /// past it at the head is removed as expired and dead-lettered when the queue has a
    /// `dead_letter`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_ttl: Option<Duration>,
    /// Time a received message stays hidden, as SQS's `VisibilityTimeout`. The consumer
    /// deletes it when handling succeeds; otherwise it becomes visible again when the
    /// timeout ends. Makes the queue SQS-like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility_timeout: Option<Duration>,
    /// Partitions of a Kafka-like log, each handled in order by at most one consumer of
    /// the group. Makes the queue Kafka-like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = super::brokers::MAX_PARTITIONS))]
    pub partitions: Option<u32>,
    /// Distinct message keys, drawn uniformly for each message, that choose its
    /// partition. Default: no keys, so messages go to the partitions in turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub keys: Option<u32>,
    /// Age after which a Kafka-like queue deletes a message, consumed or not, as Kafka's
    /// `retention.ms`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Duration>,
    /// Time after which the group coordinator of a Kafka-like queue removes a crashed
    /// consumer from the group and gives its partitions to the others, as Kafka's
    /// `session.timeout.ms`. Default: 45 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<Duration>,
    /// Time between two polls of a database-backed queue. Makes the queue poll-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval: Option<Duration>,
    /// Rows each consumer takes at most per poll of a database-backed queue. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = super::brokers::MAX_BATCH_SIZE))]
    pub batch_size: Option<u32>,
}

/// A broker whose defaults a queue takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// RabbitMQ: prefetch and requeue on failure.
    Rabbitmq,
    /// Amazon SQS: a visibility timeout.
    Sqs,
    /// Apache Kafka: a partitioned log with retention.
    Kafka,
    /// A table polled by its consumers.
    DbPoll,
}

impl Preset {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 4] = ["rabbitmq", "sqs", "kafka", "db-poll"];
    /// The values, in the order of [`Preset::NAMES`].
    pub const ALL: [Preset; 4] = [Preset::Rabbitmq, Preset::Sqs, Preset::Kafka, Preset::DbPoll];
}

/// Overflow policy of a full queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    /// The publish fails and the publisher receives a rejection.
    #[default]
    Reject,
    /// The oldest queued message is dropped to make room.
    DropOldest,
    /// The publisher waits, holding its worker, until there is room: backpressure.
    Block,
    /// RabbitMQ's name of `drop-oldest`: the message at the head is dropped.
    DropHead,
    /// RabbitMQ's name of `reject`: the publish is rejected.
    RejectPublish,
    /// RabbitMQ's `reject-publish-dlx`: the publish is rejected and the message goes to
    /// the dead-letter queue.
    RejectPublishDlx,
}

impl Overflow {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 6] = [
        "reject",
        "drop-oldest",
        "block",
        "drop-head",
        "reject-publish",
        "reject-publish-dlx",
    ];
    /// The values, in the order of [`Overflow::NAMES`].
    pub const ALL: [Overflow; 6] = [
        Overflow::Reject,
        Overflow::DropOldest,
        Overflow::Block,
        Overflow::DropHead,
        Overflow::RejectPublish,
        Overflow::RejectPublishDlx,
    ];

    /// Returns the policy with RabbitMQ's spellings mapped to the ones they name.
    #[must_use]
    pub fn normalized(self) -> Self {
        match self {
            Overflow::DropHead => Overflow::DropOldest,
            Overflow::RejectPublish => Overflow::Reject,
            other => other,
        }
    }

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde passes fields by reference"
    )]
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The consumers of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    /// The operation that handles a message, as `service.operation`.
    pub operation: String,
    /// Messages handled at once per replica of the consuming service, each by a consumer
    /// of its own, apart from the service's workers. Default: 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[schemars(range(min = 1, max = super::read::MAX_WORKERS))]
    pub concurrency: u32,
}

/// Network settings of the edge between two nodes, in both directions.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// One end: a client, service or queue name.
    pub from: String,
    /// The other end.
    pub to: String,
    /// One-way latency of each message. Default: the scenario default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Distribution>,
    /// Probability that one message is lost. Default: the scenario default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
}

/// A fault active during a window of simulated time, or failing and recovering at
/// random with `mtbf` and `mttr` in place of `for`.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Start of the window, or of the failure process of a random fault. Default for a
    /// random fault: 0.
    pub at: Duration,
    /// Length of the window; absent for a random fault.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Mean time between failures of a random fault: the mean of the exponential time
    /// from a repair (or from `at`) to the next failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtbf: Option<Duration>,
    /// Mean time to repair of a random fault: the mean of the exponential length of each
    /// occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mttr: Option<Duration>,
    /// What goes wrong.
    #[serde(flatten)]
    pub kind: FaultKind,
}

/// The kinds of fault.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The service does not serve requests that arrive during the window.
    Outage(OutageFault),
    /// Service times or network latencies are multiplied.
    Slow(SlowFault),
    /// Operations of the service fail with a probability, or the first few fail.
    Errors(ErrorFault),
    /// One replica or all replicas of a service crash and restart at the end.
    Crash(CrashFault),
    /// A random time is added to service times or to network latencies.
    Latency(LatencyFault),
    /// Messages between two nodes are lost, in both directions or in one.
    Partition(PartitionFault),
    /// Messages on a link are lost with a probability.
    Loss(LossFault),
    /// A queue's broker is down: publishes fail and deliveries pause.
    BrokerOutage(BrokerOutageFault),
    /// Handling times of a queue's messages are multiplied.
    SlowConsumer(SlowConsumerFault),
}

impl FaultKind {
    /// The key of each kind in a fault, in the order of the variants.
    pub const NAMES: [&'static str; 9] = [
        "outage",
        "slow",
        "errors",
        "crash",
        "latency",
        "partition",
        "loss",
        "broker_outage",
        "slow_consumer",
    ];

    /// The key of this kind in a fault.
    #[must_use]
    pub fn name(&self) -> &'static str {
        let index = match self {
            FaultKind::Outage(_) => 0,
            FaultKind::Slow(_) => 1,
            FaultKind::Errors(_) => 2,
            FaultKind::Crash(_) => 3,
            FaultKind::Latency(_) => 4,
            FaultKind::Partition(_) => 5,
            FaultKind::Loss(_) => 6,
            FaultKind::BrokerOutage(_) => 7,
            FaultKind::SlowConsumer(_) => 8,
        };
        Self::NAMES[index]
    }
}

/// A crash of a service's replica process, which restarts idle at the end of the
/// window. The load balancer has no health checks, so it keeps routing to a crashed
/// replica.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrashFault {
    /// The service.
    pub service: String,
    /// The replica that crashes, from 0. Default: every replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<u32>,
    /// How callers see the crash: `fail-fast` for a reset connection, `timeout` for a
    /// host that vanished. Default: fail-fast.
    #[serde(default, skip_serializing_if = "OutageMode::is_default")]
    pub mode: OutageMode,
}

/// Latency added to a service or a link.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyFault {
    /// The service whose service time of each request grows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The link whose messages, in both directions, are delayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkRef>,
    /// Time added, drawn for each request or message from the fault's own random stream.
    pub add: Distribution,
}

/// A network partition between two nodes.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionFault {
    /// The two nodes: clients, services or queues.
    pub between: [String; 2],
    /// Which messages are lost. Default: both.
    #[serde(default, skip_serializing_if = "PartitionDirection::is_default")]
    pub direction: PartitionDirection,
}

/// The messages a partition loses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionDirection {
    /// Messages in both directions.
    #[default]
    Both,
    /// Only messages from the first node of `between` to the second.
    OneWay,
}

impl PartitionDirection {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 2] = ["both", "one-way"];

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde passes fields by reference"
    )]
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Packet loss on a link.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LossFault {
    /// The link, in both directions.
    pub link: LinkRef,
    /// Probability that one message is lost, on top of the link's own loss.
    pub probability: f64,
}

/// An outage of the broker of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerOutageFault {
    /// The queue.
    pub queue: String,
    /// How publishers see the outage: `fail-fast`, an error at once, or `timeout`, no
    /// acknowledgement. Default: fail-fast.
    #[serde(default, skip_serializing_if = "OutageMode::is_default")]
    pub mode: OutageMode,
}

/// A slowdown of the consumers of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlowConsumerFault {
    /// The queue.
    pub queue: String,
    /// Factor applied to the service time and work steps of each of the queue's
    /// messages; greater than 0.
    pub latency_multiplier: f64,
}

/// A service outage.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageFault {
    /// The service.
    pub service: String,
    /// How callers see the outage. Default: fail-fast.
    #[serde(default, skip_serializing_if = "OutageMode::is_default")]
    pub mode: OutageMode,
}

/// How a service in an outage treats requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OutageMode {
    /// Each request is answered at once with an error, as by a refused connection.
    #[default]
    FailFast,
    /// Requests get no answer, so callers wait for their timeouts.
    Timeout,
}

impl OutageMode {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 2] = ["fail-fast", "timeout"];

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde passes fields by reference"
    )]
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A slowdown of a service or a link.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlowFault {
    /// The service whose service times are multiplied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The link whose latencies are multiplied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkRef>,
    /// Factor applied to every time drawn during the window; greater than 0.
    pub latency_multiplier: f64,
}

/// The two ends of a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRef {
    /// One end.
    pub from: String,
    /// The other end.
    pub to: String,
}

/// Injected errors.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorFault {
    /// The service.
    pub service: String,
    /// Probability that an operation fails, replacing each operation's own during the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Number of requests that fail at the end of their service time, counted from the
    /// start of the window; in place of `probability`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
}

fn one() -> u32 {
    1
}

fn three() -> u32 {
    3
}

fn two() -> f64 {
    2.0
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_one(value: &u32) -> bool {
    *value == 1
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_three(value: &u32) -> bool {
    *value == 3
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_two(value: &f64) -> bool {
    *value == 2.0
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_zero(value: &f64) -> bool {
    *value == 0.0
}
