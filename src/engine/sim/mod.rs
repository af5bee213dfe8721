//! The event loop and the behaviour of clients, services and queues.
//!
//! The handlers on the path of every request (sending an attempt, arriving at a service,
//! finishing a job, responding) are marked `#[inline(always)]`, so that they run without
//! calls between them. On `scenarios/mm1.yaml` this takes 4 % fewer instructions (counted
//! with callgrind) and about 6 % less time than leaving the choice to the compiler.
#![expect(
    clippy::inline_always,
    reason = "the request path is inlined on purpose, see the module documentation"
)]

use std::collections::VecDeque;

use crate::metrics::recorder::{Entity, ErrorKind, Recorder};
use crate::scenario::{LoadBalancing, OutageMode};

mod autoscaling;
pub mod breaker;
pub mod brokers;
mod calls;
mod clients;
mod faults;
mod protections;
mod queues;
mod retries;

pub use autoscaling::{AutoscalingCounts, ReplicaWindow};

pub use faults::{FaultInterval, FaultOrigin, MAX_TIMELINE_INTERVALS};

use super::events::{Event, EventQueue};
use super::model::{CallModel, FaultEffect, Model, StepModel, Target, WorkloadModel};
use super::random::{self, Stream, chance};
use super::slab::{Handle, Slab};

/// Consecutive events allowed at one simulated instant before the run is stopped as a
/// zero-time loop, such as closed users with no think time calling an operation that
/// takes no time.
pub const MAX_EVENTS_PER_INSTANT: u64 = 10_000_000;

/// Requests and messages a run may hold at once, calls, jobs and queued messages
/// together. A waiting request is a call and a job, about 210 bytes, so the limit keeps
/// a run within about half a gigabyte: 418 MB measured for one overloaded worker. Without
/// it, a load far beyond an unbounded queue's capacity would fill the memory.
pub const MAX_IN_FLIGHT: usize = 4_000_000;

/// Events between two checks of [`MAX_IN_FLIGHT`].
const IN_FLIGHT_CHECK_EVENTS: u64 = 1 << 16;

/// An error that stops a run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// Simulated time stopped advancing.
    #[error(
        "simulated time stopped advancing at {time_s:.9} s: more than {MAX_EVENTS_PER_INSTANT} events happened at that instant; \
         give some step a non-zero time (a service time, a think time or a latency)"
    )]
    ZeroTimeLoop {
        /// The instant, in seconds.
        time_s: f64,
    },
    /// More requests and messages were held at once than [`MAX_IN_FLIGHT`].
    #[error(
        "at {time_s:.3} s, {in_flight} requests and messages were in flight, more than the {MAX_IN_FLIGHT} a run may hold; \
         the most wait at {place} ({waiting} waiting): give it a capacity (`queue_capacity` for a service, `capacity` for a queue), \
         more workers or replicas, or lower the load"
    )]
    TooManyInFlight {
        /// When the run stopped, in seconds.
        time_s: f64,
        /// Calls, jobs and queued messages at that time.
        in_flight: usize,
        /// The service or queue with the most waiting, as "service NAME" or "queue NAME".
        place: String,
        /// How many wait there.
        waiting: usize,
    },
}

/// The waiter of a call: a client or a job of an operation.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Client { client: u32 },
    Job { job: Handle },
}

/// One logical request, across its attempts.
#[derive(Clone, Copy, Debug)]
struct Call {
    caller: Caller,
    target: Target,
    edge: u32,
    policy: u32,
    /// Attempts sent so far; the current one is this number.
    attempt: u32,
    /// Whether the current attempt still waits for its response.
    waiting: bool,
    started_ns: u64,
    attempt_started_ns: u64,
    /// Identity of the published message, the same for every attempt, so that a retry
    /// after a lost acknowledgement publishes a duplicate.
    message_id: u64,
    /// The call site's bulkhead, index into [`Model::bulkheads`].
    bulkhead: Option<u32>,
    /// Whether the current attempt holds or waits for a permit of the bulkhead.
    permit: protections::Permit,
    /// Absolute deadline, ns; `u64::MAX` when the call has none.
    deadline_ns: u64,
    /// Replica of the calling service, whose retry budget the call uses (0 for a client).
    caller_replica: u32,
    /// Whether the call's policy has a retry budget.
    budgeted: bool,
    /// Whether the call takes a place in its retry budget: a retry waits for its backoff
    /// or is in flight.
    retrying: bool,
}

impl Default for Call {
    fn default() -> Self {
        Call {
            caller: Caller::Client { client: 0 },
            target: Target::Operation(0),
            edge: 0,
            policy: 0,
            attempt: 0,
            waiting: false,
            started_ns: 0,
            attempt_started_ns: 0,
            message_id: 0,
            bulkhead: None,
            permit: protections::Permit::None,
            deadline_ns: u64::MAX,
            caller_replica: 0,
            budgeted: false,
            retrying: false,
        }
    }
}

/// A message in a queue.
#[derive(Clone, Copy, Debug, Default)]
struct Message {
    id: u64,
    /// When it entered this queue.
    enqueued_ns: u64,
    /// Deliveries so far.
    deliveries: u32,
    /// The broker consumer it was last delivered to, on a queue with broker settings.
    consumer: u32,
    /// Its place on a queue with broker settings: partition and offset (Kafka-like),
    /// sequence number (SQS-like), or 1 after a handling that succeeded but was not
    /// acknowledged (RabbitMQ-like and database-backed).
    position: u64,
}

/// The source of a job, which also receives its outcome.
#[derive(Clone, Copy, Debug)]
enum Origin {
    Call {
        call: Handle,
        attempt: u32,
        edge: u32,
    },
    Message {
        queue: u32,
        message: Message,
        edge: u32,
        dispatched_ns: u64,
    },
}

impl Default for Origin {
    fn default() -> Self {
        Origin::Call {
            call: Handle::default(),
            attempt: 0,
            edge: 0,
        }
    }
}

/// An invocation of an operation on one replica.
#[derive(Clone, Copy, Debug, Default)]
struct Job {
    operation: u32,
    service: u32,
    replica: u32,
    origin: Origin,
    /// Index of the next step to run.
    next_step: u32,
    /// Whether the service time is over.
    served: bool,
    /// Calls of the current step still outstanding.
    pending: u32,
    /// Whether a call of the current step failed.
    step_failed: bool,
    arrived_ns: u64,
    /// When the job took its worker or consumer, ns.
    service_start_ns: u64,
    /// Absolute deadline inherited from the request, ns; `u64::MAX` when it has none.
    deadline_ns: u64,
}

impl Job {
    /// Returns a function that writes a job of `operation` arriving at `now` on
    /// `replica` of `service` into its slab slot, see `Slab::insert_with`.
    #[inline(always)]
    fn arriving(
        operation: u32,
        service: u32,
        replica: u32,
        origin: Origin,
        now: u64,
        deadline_ns: u64,
    ) -> impl FnOnce(&mut Job) {
        move |slot: &mut Job| {
            *slot = Job {
                operation,
                service,
                replica,
                origin,
                next_step: 0,
                served: false,
                pending: 0,
                step_failed: false,
                arrived_ns: now,
                service_start_ns: now,
                deadline_ns,
            };
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Replica {
    busy_workers: u32,
    waiting: VecDeque<Handle>,
    /// Mode of the crash fault that has the replica down, which decides what callers see.
    crashed: Option<OutageMode>,
}

#[derive(Clone, Debug)]
struct ServiceState {
    replicas: Vec<Replica>,
    /// Replicas that receive new requests and messages: the first `active` of
    /// `replicas`. Replicas past it finish what they hold and then stay idle.
    active: u32,
    next_replica: u32,
    /// Draws for random load balancing and for the backoff jitter of its calls.
    stream: Stream,
    outage: Option<OutageMode>,
    slow: f64,
    error_override: Option<f64>,
    /// Active `first` errors faults.
    first_errors: Vec<u32>,
    /// Active latency faults.
    added_latency: Vec<u32>,
    /// Integral of `active` over the measured time up to `active_since`, in
    /// replica-nanoseconds, for utilization against the replicas a run really had.
    active_time: u128,
    /// Time from which `active` has held, at least the end of the warm-up.
    active_since: u64,
    /// Integral of `active` from time 0 to `active_changed_ns`, in replica-nanoseconds.
    replica_integral: u128,
    /// Time of the last change of `active`.
    active_changed_ns: u64,
    /// `replica_integral` at the start of the open window, brought up to that time.
    window_start_replica_integral: u128,
    /// Mean of `active` over each closed window, so that a window's utilization counts
    /// the replicas it had, even across a live change.
    window_replicas: Vec<f64>,
    /// Token buckets of the replicas, when the service has a rate limit.
    buckets: Vec<protections::TokenBucket>,
    /// Whether the service's in-flight level mirrors that of its only operation in the
    /// metrics, so that it is not recorded; see [`Simulation::service_level`].
    level_mirrored: bool,
    /// Whether the service's requests and messages can skip every check of a fault, a
    /// protection or a deadline, because none applies; see [`Simulation::refresh_plain`].
    plain: bool,
}

#[derive(Clone, Debug)]
struct QueueState {
    messages: VecDeque<Message>,
    blocked: VecDeque<(Handle, u32, u32, Message)>,
    /// Busy consumers per replica of the consuming service.
    busy_consumers: Vec<u32>,
    /// Replicas of the consuming service that receive messages.
    active_replicas: u32,
    next_replica: u32,
    /// State of the broker semantics, for a queue with broker settings.
    broker: Option<Box<brokers::BrokerState>>,
}

#[derive(Clone, Debug)]
struct ClientState {
    stream: Stream,
    /// Factor applied to the client's rate profile, changed while running.
    rate_factor: f64,
    /// Highest rate of a Poisson client's profile times `rate_factor`, per second, and
    /// the nanoseconds per unit of an exponential draw at that rate, kept so that an
    /// arrival costs a multiplication rather than a division.
    max_rate: f64,
    ns_per_draw: f64,
    /// Whether an arrival event is scheduled (open clients).
    arrival_scheduled: bool,
    /// Generation of the scheduled arrival; arrivals of older generations are stale.
    arrival_generation: u32,
    /// Whether the client's edge mirrors the client in the metrics, so that its
    /// requests are recorded once, on the client; see [`Simulation::mirror_client_edges`].
    edge_mirrored: bool,
}

#[derive(Clone, Debug)]
struct EdgeState {
    stream: Stream,
    slow: f64,
    /// Active latency, partition and loss faults, if any.
    faults: Option<Box<faults::EdgeFaults>>,
}

/// Index offsets of each kind of entity in the [`Recorder`].
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// First client.
    pub clients: u32,
    /// First service.
    pub services: u32,
    /// First operation.
    pub operations: u32,
    /// First queue.
    pub queues: u32,
    /// First edge.
    pub edges: u32,
    /// The sum of every client: their counters and latency histograms merged, for
    /// system-wide percentiles, which an average of the clients' own cannot give.
    pub all_clients: u32,
    /// Number of entities.
    pub total: u32,
}

impl Layout {
    /// Lays out the entities of `model`: its clients, services, operations, queues and
    /// edges, then the sum of all clients.
    #[must_use]
    pub fn new(model: &Model) -> Self {
        let clients = 0;
        let services = clients + model.clients.len() as u32;
        let operations = services + model.services.len() as u32;
        let queues = operations + model.operations.len() as u32;
        let edges = queues + model.queues.len() as u32;
        let all_clients = edges + model.edges.len() as u32;
        let total = all_clients + 1;
        Self {
            clients,
            services,
            operations,
            queues,
            edges,
            all_clients,
            total,
        }
    }
}

/// Settings of one run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Seed of every random stream.
    pub seed: u64,
    /// Start of the measured part of the run, ns.
    pub warmup_ns: u64,
    /// Width of a time-series window, ns.
    pub window_ns: u64,
}

/// A run of a model: all of its state, advanced by [`Simulation::step`] and
/// [`Simulation::run_until`].
pub struct Simulation {
    model: Model,
    options: RunOptions,
    layout: Layout,
    now_ns: u64,
    events: EventQueue,
    events_processed: u64,
    events_at_instant: u64,
    calls: Slab<Call>,
    jobs: Slab<Job>,
    clients: Vec<ClientState>,
    services: Vec<ServiceState>,
    queues: Vec<QueueState>,
    edges: Vec<EdgeState>,
    operation_streams: Vec<Stream>,
    active_faults: Vec<bool>,
    /// Retry budgets, by policy and replica of the caller; empty for a policy without a
    /// budget.
    retry_budgets: Vec<Vec<retries::BudgetState>>,
    /// Whether any policy sets a deadline, so that requests carry deadlines.
    deadlines_used: bool,
    faults: faults::FaultState,
    next_message_id: u64,
    metrics: Recorder,
    error: Option<EngineError>,
    /// Permits of each bulkhead, per replica of the caller.
    bulkheads: Vec<Vec<protections::BulkheadState>>,
    /// Autoscalers of the services that have one.
    autoscalers: Vec<autoscaling::Autoscaler>,
    /// Circuit breakers, per call site of [`Model::breakers`] and calling replica.
    breakers: Vec<Vec<breaker::Breaker>>,
}

impl Simulation {
    /// Starts a run of `model` at simulated time 0.
    #[must_use]
    pub fn new(model: Model, options: RunOptions) -> Self {
        let seed = options.seed;
        let layout = Layout::new(&model);
        let clients = model
            .clients
            .iter()
            .map(|c| {
                let max_rate = match &c.workload {
                    crate::engine::model::WorkloadModel::Open { profile, .. } => profile.max_rate(),
                    crate::engine::model::WorkloadModel::Closed { .. } => 0.0,
                };
                ClientState {
                    stream: random::stream(seed, &format!("client/{}", c.name)),
                    rate_factor: 1.0,
                    max_rate,
                    ns_per_draw: 1e9 / max_rate,
                    arrival_scheduled: false,
                    arrival_generation: 0,
                    edge_mirrored: false,
                }
            })
            .collect();
        let services = model
            .services
            .iter()
            .map(|s| ServiceState {
                replicas: vec![Replica::default(); s.replicas as usize],
                active: s.replicas,
                next_replica: 0,
                stream: random::stream(seed, &format!("service/{}", s.name)),
                outage: None,
                slow: 1.0,
                error_override: None,
                first_errors: Vec::new(),
                added_latency: Vec::new(),
                active_time: 0,
                active_since: options.warmup_ns,
                replica_integral: 0,
                active_changed_ns: 0,
                window_start_replica_integral: 0,
                window_replicas: Vec::new(),
                buckets: Vec::new(),
                level_mirrored: false,
                plain: false,
            })
            .collect();
        let queues = model
            .queues
            .iter()
            .map(|q| {
                let replicas = q.consumer.map_or(0, |(operation, _, _)| {
                    model.services[model.operations[operation as usize].service as usize].replicas
                });
                QueueState {
                    messages: VecDeque::new(),
                    blocked: VecDeque::new(),
                    busy_consumers: vec![0; replicas as usize],
                    active_replicas: replicas,
                    next_replica: 0,
                    broker: q
                        .broker
                        .as_ref()
                        .map(|b| Box::new(brokers::BrokerState::new(b, seed, &q.name))),
                }
            })
            .collect();
        let edges = model
            .edges
            .iter()
            .map(|e| EdgeState {
                stream: random::stream(seed, &format!("edge/{}/{}", e.kind.name(), e.name)),
                slow: 1.0,
                faults: None,
            })
            .collect();
        let operation_streams = model
            .operations
            .iter()
            .map(|o| random::stream(seed, &format!("operation/{}", o.name)))
            .collect();
        let mut metrics =
            Recorder::new(layout.total as usize, options.warmup_ns, options.window_ns);
        // A service's counters, histograms and busy time are the sums of its operations',
        // so the engine records them once, per operation; only the service's in-flight
        // level is kept directly, because the maximum of a sum is not a sum of maxima.
        let mut first_operation = layout.operations;
        for service in 0..model.services.len() {
            let count = model
                .operations
                .iter()
                .filter(|o| o.service as usize == service)
                .count() as u32;
            metrics.group(
                layout.services + service as u32,
                first_operation..first_operation + count,
            );
            first_operation += count;
        }
        if !model.clients.is_empty() {
            metrics.group(layout.all_clients, layout.clients..layout.services);
        }
        let active_faults = vec![false; model.faults.len()];
        let bulkheads = vec![Vec::new(); model.bulkheads.len()];
        let autoscalers = autoscaling::Autoscaler::for_model(&model, options.warmup_ns);
        let breakers = Self::new_breakers(&model);
        let retry_budgets = vec![Vec::new(); model.policies.len()];
        let deadlines_used = model.policies.iter().any(|p| p.deadline_ns.is_some());
        let faults = faults::FaultState::new(seed, &model.faults, model.queues.len());
        let mut simulation = Self {
            model,
            options,
            layout,
            now_ns: 0,
            events: EventQueue::default(),
            events_processed: 0,
            events_at_instant: 0,
            calls: Slab::default(),
            jobs: Slab::default(),
            clients,
            services,
            queues,
            edges,
            operation_streams,
            active_faults,
            retry_budgets,
            deadlines_used,
            faults,
            next_message_id: 0,
            metrics,
            error: None,
            bulkheads,
            autoscalers,
            breakers,
        };
        simulation.set_up_mirrors();
        simulation.refresh_plain();
        simulation.schedule_start();
        simulation.schedule_autoscaling();
        simulation
    }

    /// Sets whether each service is plain: no fault is active on it or on any queue's
    /// consumers, it has no rate limit and no load shedding, and no call in the scenario
    /// has a deadline. Its requests and messages then skip those checks. Every change of
    /// a fault's state calls it again.
    pub(super) fn refresh_plain(&mut self) {
        let global = !self.deadlines_used && !self.faults.slow_consumers;
        for (state, model) in self.services.iter_mut().zip(&self.model.services) {
            state.plain = global
                && model.rate_limit.is_none()
                && model.load_shedding.is_none()
                && state.outage.is_none()
                && state.slow == 1.0
                && state.error_override.is_none()
                && state.first_errors.is_empty()
                && state.added_latency.is_empty()
                && state.replicas.iter().all(|r| r.crashed.is_none());
        }
    }

    /// Records some entities through others that see exactly the same requests, which
    /// saves recording them twice; see [`Recorder::mirror`].
    fn set_up_mirrors(&mut self) {
        // The level of a service with one operation changes exactly when that of the
        // operation does: at every arrival and end of one of its requests or messages.
        let mut first_operation = 0;
        for (service, state) in self.services.iter_mut().enumerate() {
            let count = self
                .model
                .operations
                .iter()
                .filter(|o| o.service as usize == service)
                .count() as u32;
            if count == 1 {
                self.metrics.mirror_level(
                    self.layout.services + service as u32,
                    self.layout.operations + first_operation,
                );
                state.level_mirrored = true;
            }
            first_operation += count;
        }
        self.mirror_client_edges();
    }

    /// Makes the edge of each client that sends every request once, at once, and waits
    /// for its response whatever happens, a mirror of the client in the metrics: with
    /// no retry, timeout, deadline, circuit breaker, bulkhead or retry budget, and no
    /// loss on the way, the edge sees exactly the client's requests, at the same times
    /// and with the same outcomes. Such requests are then recorded once rather than
    /// twice. A fault started by hand ends the mirrors, see [`Simulation::end_mirrors`].
    fn mirror_client_edges(&mut self) {
        let model = &self.model;
        let link_faults = model.faults.iter().any(|fault| {
            matches!(
                fault.effect,
                FaultEffect::Partition { .. } | FaultEffect::Loss { .. }
            )
        });
        if link_faults {
            return;
        }
        let mut clients_of_edge = vec![0u32; model.edges.len()];
        for client in &model.clients {
            clients_of_edge[client.edge as usize] += 1;
        }
        for (index, client) in model.clients.iter().enumerate() {
            let policy = &model.policies[client.policy as usize];
            let plain = policy.attempts == 1
                && policy.timeout_ns.is_none()
                && policy.deadline_ns.is_none()
                && policy.breaker.is_none()
                && policy.retry_budget.is_none()
                && client.bulkhead.is_none()
                && model.edges[client.edge as usize].loss == 0.0
                && clients_of_edge[client.edge as usize] == 1;
            if plain {
                self.metrics.mirror(
                    self.layout.edges + client.edge,
                    self.layout.clients + index as u32,
                );
                self.clients[index].edge_mirrored = true;
            }
        }
    }

    /// Records every client's edge and every service's level on its own from now on.
    /// The reports stay the same: a mirror only saves work.
    pub fn end_mirrors(&mut self) {
        self.metrics.end_mirrors();
        for client in &mut self.clients {
            client.edge_mirrored = false;
        }
        for service in &mut self.services {
            service.level_mirrored = false;
        }
    }

    /// Changes the in-flight level of `service` by `delta`, unless it mirrors that of
    /// its only operation.
    #[inline(always)]
    fn service_level(&mut self, service: u32, now: u64, delta: i64) {
        if !self.services[service as usize].level_mirrored {
            self.metrics
                .level(self.layout.services + service, now, delta);
        }
    }

    fn schedule_start(&mut self) {
        self.schedule_faults();
        for client in 0..self.model.clients.len() as u32 {
            match &self.model.clients[client as usize].workload {
                WorkloadModel::Open { .. } => self.schedule_arrival(client),
                WorkloadModel::Closed { users, think_time } => {
                    let stream = &mut self.clients[client as usize].stream;
                    let wakes: Vec<u64> = (0..*users).map(|_| think_time.sample(stream)).collect();
                    for wake in wakes {
                        self.events.push(wake, Event::UserWake { client });
                    }
                }
            }
        }
        self.schedule_broker_start();
    }

    /// The current simulated time, ns.
    #[must_use]
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// Events processed so far.
    #[must_use]
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// The compiled model being run.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The options of the run.
    #[must_use]
    pub fn options(&self) -> RunOptions {
        self.options
    }

    /// Where each entity's statistics are in [`Simulation::metrics`].
    #[must_use]
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Everything measured so far.
    #[must_use]
    pub fn metrics(&self) -> &Recorder {
        &self.metrics
    }

    /// Changes the number of replicas of `service` from now on. New replicas start idle
    /// and receive requests and messages at once; removed replicas receive nothing new
    /// and finish the requests and messages they already hold.
    ///
    /// On an autoscaled service, the count set here is ready at once, replicas still
    /// starting are dropped, and the autoscaler goes on from this count at its next
    /// evaluation, which brings it back within `min_replicas` and `max_replicas`.
    ///
    /// NOTE: utilization in the headless time series (`timeseries.csv`) is still computed
    /// against the replica count of the scenario file; [`Simulation::window_replicas`]
    /// has the count of each window.
    pub fn set_replicas(&mut self, service: usize, replicas: u32) {
        self.cancel_starting_replicas(service);
        self.resize(service, replicas);
        self.note_ready_count(service);
    }

    /// Makes the first `replicas` replicas of `service` the ones that receive work, as
    /// [`Simulation::set_replicas`] describes.
    fn resize(&mut self, service: usize, replicas: u32) {
        self.note_replica_change(service);
        let Some(state) = self.services.get_mut(service) else {
            return;
        };
        let replicas = replicas.max(1);
        let now = self.now_ns;
        if now > state.active_since {
            state.active_time += u128::from(state.active) * u128::from(now - state.active_since);
            state.active_since = now;
        }
        state.replica_integral +=
            u128::from(state.active) * u128::from(now.saturating_sub(state.active_changed_ns));
        state.active_changed_ns = now;
        if state.replicas.len() < replicas as usize {
            state.replicas.resize(replicas as usize, Replica::default());
        }
        state.active = replicas;
        state.next_replica %= replicas;
        for (queue, model) in self.queues.iter_mut().zip(&self.model.queues) {
            let consumes = model.consumer.is_some_and(|(operation, _, _)| {
                self.model.operations[operation as usize].service as usize == service
            });
            if consumes && queue.busy_consumers.len() < replicas as usize {
                queue.busy_consumers.resize(replicas as usize, 0);
            }
            if consumes {
                queue.active_replicas = replicas;
            }
        }
        for queue in 0..self.queues.len() as u32 {
            self.events.push(self.now_ns, Event::Dispatch { queue });
        }
    }

    /// Returns the mean number of replicas of `service` that received work over each
    /// closed window, in time order; empty for an unknown service.
    #[must_use]
    pub fn window_replicas(&self, service: usize) -> &[f64] {
        self.services
            .get(service)
            .map_or(&[], |state| state.window_replicas.as_slice())
    }

    /// Records the mean replicas of every service over the window that ends at `end_ns`,
    /// which the recorder has just closed.
    fn record_window_replicas(&mut self, end_ns: u64) {
        let window_ns = self.options.window_ns;
        for state in &mut self.services {
            let start_ns = (state.window_replicas.len() as u64).saturating_mul(window_ns);
            let integral = state.replica_integral
                + u128::from(state.active)
                    * u128::from(end_ns.saturating_sub(state.active_changed_ns));
            let length = end_ns.saturating_sub(start_ns);
            let mean = if length == 0 {
                f64::from(state.active)
            } else {
                integral.saturating_sub(state.window_start_replica_integral) as f64 / length as f64
            };
            state.window_replicas.push(mean);
            state.window_start_replica_integral = integral;
        }
    }

    /// Returns the mean number of replicas of `service` over the measured time, from the
    /// end of the warm-up to now. Live changes of the replicas make it differ from the
    /// model's number, and before the warm-up ends it is the current number.
    #[must_use]
    pub fn mean_replicas(&self, service: usize) -> f64 {
        let Some(state) = self.services.get(service) else {
            return 0.0;
        };
        let start = self.options.warmup_ns;
        if self.now_ns <= start {
            return f64::from(state.active);
        }
        let tail =
            u128::from(state.active) * u128::from(self.now_ns.saturating_sub(state.active_since));
        (state.active_time + tail) as f64 / (self.now_ns - start) as f64
    }

    /// The number of replicas of `service` that receive new work.
    #[must_use]
    pub fn replicas(&self, service: usize) -> u32 {
        self.services.get(service).map_or(0, |s| s.active)
    }

    /// Requests and publishes currently in flight, and jobs being served or waiting.
    #[must_use]
    pub fn in_flight(&self) -> (usize, usize) {
        (self.calls.len(), self.jobs.len())
    }

    /// Messages waiting in each queue.
    #[must_use]
    pub fn queue_depths(&self) -> Vec<usize> {
        (0..self.queues.len())
            .map(|i| {
                self.broker_depth(i)
                    .unwrap_or(self.queues[i].messages.len())
            })
            .collect()
    }

    /// Requests of each client still in flight that were issued at or after `since_ns`,
    /// counted from the calls themselves rather than from the metrics.
    #[must_use]
    pub fn client_requests_in_flight(&self, since_ns: u64) -> Vec<u64> {
        let mut counts = vec![0; self.clients.len()];
        for call in self.calls.iter() {
            if let Caller::Client { client } = call.caller
                && call.started_ns >= since_ns
            {
                counts[client as usize] += 1;
            }
        }
        counts
    }

    /// For each queue, the messages waiting and the messages being handled (or on their
    /// way to a consumer) that entered the queue at or after `since_ns`.
    #[must_use]
    pub fn queue_contents(&self, since_ns: u64) -> Vec<(u64, u64)> {
        let mut contents: Vec<(u64, u64)> = self
            .queues
            .iter()
            .map(|q| {
                (
                    q.messages
                        .iter()
                        .filter(|m| m.enqueued_ns >= since_ns)
                        .count() as u64,
                    0,
                )
            })
            .collect();
        for job in self.jobs.iter() {
            if let Origin::Message { queue, message, .. } = job.origin
                && message.enqueued_ns >= since_ns
            {
                contents[queue as usize].1 += 1;
            }
        }
        for (i, entry) in contents.iter_mut().enumerate() {
            if let Some(counted) = self.broker_contents(i, since_ns) {
                *entry = counted;
            }
        }
        contents
    }

    /// Publishers waiting for room in each queue with the `block` overflow policy.
    #[must_use]
    pub fn blocked_publishers(&self) -> Vec<usize> {
        self.queues.iter().map(|q| q.blocked.len()).collect()
    }

    /// The error that stopped the run, if any.
    #[must_use]
    pub fn error(&self) -> Option<&EngineError> {
        self.error.as_ref()
    }

    /// Processes the earliest pending event and returns its time, or `None` when no event
    /// is pending or the run has stopped on an error.
    pub fn step(&mut self) -> Option<u64> {
        if self.error.is_some() {
            return None;
        }
        let (time_ns, event) = self.events.pop()?;
        self.process(time_ns, event);
        Some(time_ns)
    }

    /// Moves the clock to `time_ns` and handles `event`, unless moving the clock stopped
    /// the run on an error.
    #[inline(always)]
    fn process(&mut self, time_ns: u64, event: Event) {
        self.advance_to(time_ns);
        if self.error.is_some() {
            return;
        }
        self.handle(event);
        if self.events_processed.is_multiple_of(IN_FLIGHT_CHECK_EVENTS) {
            self.check_in_flight();
        }
    }

    /// Stops the run with [`EngineError::TooManyInFlight`] when it has more than
    /// [`MAX_IN_FLIGHT`] calls, jobs and queued messages.
    #[cold]
    fn check_in_flight(&mut self) {
        let depths = self.queue_depths();
        let in_flight = self.calls.len() + self.jobs.len() + depths.iter().sum::<usize>();
        if in_flight <= MAX_IN_FLIGHT {
            return;
        }
        let services = self.services.iter().enumerate().map(|(i, state)| {
            let waiting = state
                .replicas
                .iter()
                .map(|r| r.waiting.len())
                .sum::<usize>();
            (waiting, format!("service {}", self.model.services[i].name))
        });
        let queues = depths
            .iter()
            .enumerate()
            .map(|(i, &depth)| (depth, format!("queue {}", self.model.queues[i].name)));
        let (waiting, place) = services
            .chain(queues)
            .max_by_key(|(waiting, _)| *waiting)
            .unwrap_or((0, "no service or queue".to_owned()));
        self.error = Some(EngineError::TooManyInFlight {
            time_s: self.now_ns as f64 / 1e9,
            in_flight,
            place,
            waiting,
        });
    }

    /// Processes every event before `end_ns` and moves the clock to `end_ns`; the run's
    /// horizon is half-open, so an event at exactly `end_ns` stays pending.
    pub fn run_until(&mut self, end_ns: u64) -> Result<(), EngineError> {
        // The same as calling `step` while the next event is due before `end_ns`.
        while self.error.is_none()
            && let Some((time_ns, event)) = self.events.pop_before(end_ns)
        {
            self.process(time_ns, event);
        }
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if end_ns > self.now_ns {
            self.metrics.advance_to(end_ns);
            self.close_windows_through(end_ns);
            self.now_ns = end_ns;
        }
        Ok(())
    }

    /// Processes events before `end_ns` as [`Simulation::run_until`] does, but at most
    /// `max_events` of them, and returns whether it reached `end_ns`. When it stops
    /// early, the clock stays at the last event processed, so that a later call goes on
    /// exactly where this one stopped and the results do not depend on the budget.
    ///
    /// # Errors
    /// Fails with the error that stopped the run.
    pub fn run_until_limited(&mut self, end_ns: u64, max_events: u64) -> Result<bool, EngineError> {
        let mut processed = 0;
        while let Some(time_ns) = self.events.peek_time() {
            if time_ns >= end_ns {
                break;
            }
            if processed == max_events {
                return match &self.error {
                    Some(error) => Err(error.clone()),
                    None => Ok(false),
                };
            }
            if self.step().is_none() {
                break;
            }
            processed += 1;
        }
        self.run_until(end_ns).map(|()| true)
    }

    /// Brings the whole-run metrics up to the current time without ending the run: the
    /// sums of each service's operations and the time-averages. A live view calls it
    /// before [`crate::metrics::summary::Summary::new`]; between calls, a service's
    /// whole-run counters lag by up to one window.
    pub fn refresh_metrics(&mut self) {
        self.metrics.flush(self.now_ns);
    }

    /// Ends the run at the current time: closes the last, possibly partial, window and
    /// brings the time-averages up to date.
    pub fn finish(&mut self) {
        let now = self.now_ns;
        let window_start = self.metrics.window_end_ns - self.metrics.window_ns;
        if now > window_start {
            let ages = self.oldest_ages(now);
            self.metrics
                .close_window_at(now, |i| ages.get(i).copied().unwrap_or(0));
            self.record_window_replicas(now);
            self.record_replica_windows();
            if !self.breakers.is_empty() {
                self.close_breaker_windows(now);
            }
            self.sample_partition_lags(now);
        }
        self.metrics.flush(now);
    }

    fn advance_to(&mut self, time_ns: u64) {
        if time_ns == self.now_ns {
            self.events_at_instant += 1;
            if self.events_at_instant > MAX_EVENTS_PER_INSTANT {
                self.error = Some(EngineError::ZeroTimeLoop {
                    time_s: time_ns as f64 / 1e9,
                });
                return;
            }
        } else {
            self.events_at_instant = 0;
            self.metrics.advance_to(time_ns);
            if time_ns >= self.metrics.window_end_ns {
                self.close_windows_through(time_ns);
            }
            self.now_ns = time_ns;
        }
        self.events_processed += 1;
    }

    /// Closes every window that ends at or before `time_ns`.
    #[inline(never)]
    fn close_windows_through(&mut self, time_ns: u64) {
        while self.metrics.window_end_ns <= time_ns {
            let end = self.metrics.window_end_ns;
            let ages = self.oldest_ages(end);
            self.metrics
                .close_window_at(end, |i| ages.get(i).copied().unwrap_or(0));
            self.record_window_replicas(end);
            self.record_replica_windows();
            if !self.breakers.is_empty() {
                self.close_breaker_windows(end);
            }
            self.sample_partition_lags(end);
        }
    }

    /// The age of the oldest queued message of each entity at `time_ns`.
    fn oldest_ages(&self, time_ns: u64) -> Vec<u64> {
        let mut ages = vec![0; self.layout.total as usize];
        for i in 0..self.queues.len() {
            if let Some(enqueued_ns) = self.oldest_waiting_enqueued(i) {
                ages[(self.layout.queues as usize) + i] = time_ns.saturating_sub(enqueued_ns);
            }
        }
        ages
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrival { client, generation } => {
                if self.clients[client as usize].arrival_generation == generation {
                    self.on_arrival(client);
                }
            }
            Event::UserWake { client } => self.issue(client),
            Event::SendAttempt { call } => self.send_attempt(call),
            Event::RequestArrive {
                call,
                attempt,
                target,
                edge,
            } => self.request_arrive(call, attempt, decode_target(target), edge),
            Event::ResponseArrive {
                call,
                attempt,
                edge,
                outcome,
            } => {
                self.response_arrive(call, attempt, edge, decode_outcome(outcome));
            }
            Event::Timeout { call, attempt } => self.on_timeout(call, attempt),
            Event::StageDone { job } => self.stage_done(job),
            Event::Deliver { job } => self.deliver(job),
            Event::Dispatch { queue } => self.dispatch(queue),
            Event::FaultStart { fault } => self.on_fault_start(fault),
            Event::FaultEnd { fault } => self.on_fault_end(fault),
            Event::BulkheadWaitEnd { call, attempt } => self.bulkhead_wait_end(call, attempt),
            Event::AutoscaleEvaluate { service } => self.evaluate_autoscaler(service),
            Event::ReplicaReady { service } => self.replica_ready(service),
        }
    }

    // ---- Services ----

    fn request_arrive(&mut self, call: Handle, attempt: u32, target: Target, edge: u32) {
        match target {
            Target::Operation(operation) => self.service_arrive(call, attempt, operation, edge),
            Target::Queue(queue) => {
                if let Some(Some(mode)) = self.faults.queue_outage.get(queue as usize) {
                    self.reject_publish(call, attempt, queue, edge, *mode);
                } else {
                    self.publish_arrive(call, attempt, queue, edge);
                }
            }
        }
    }

    #[inline(always)]
    fn service_arrive(&mut self, call: Handle, attempt: u32, operation: u32, edge: u32) {
        let now = self.now_ns;
        let service = self.model.operations[operation as usize].service;
        let operation_entity = self.layout.operations + operation;
        self.service_level(service, now, 1);
        self.metrics.arrive(operation_entity, now);
        if self.services[service as usize].plain {
            self.plain_service_arrive(call, attempt, operation, edge);
            return;
        }
        if let Some(mode) = self.services[service as usize].outage {
            let kind = match mode {
                OutageMode::FailFast => ErrorKind::Failed,
                OutageMode::Timeout => ErrorKind::Dropped,
            };
            self.service_level(service, now, -1);
            self.metrics.finish(operation_entity, now, now, Err(kind));
            if mode == OutageMode::FailFast {
                self.respond(call, attempt, edge, Err(ErrorKind::Failed));
            }
            return;
        }
        let deadline_ns = if self.deadlines_used {
            self.request_deadline(call)
        } else {
            u64::MAX
        };
        let replica = self.pick_replica(service);
        if let Some(mode) = self.services[service as usize].replicas[replica as usize].crashed {
            self.fail_on_crashed_replica(call, attempt, operation, edge, mode);
            return;
        }
        if let Some(limit) = self.model.services[service as usize].rate_limit
            && !self.take_token(service, replica, limit)
        {
            self.reject_arrival(call, attempt, operation, edge, ErrorKind::RateLimited);
            return;
        }
        let origin = Origin::Call {
            call,
            attempt,
            edge,
        };
        let job = Job::arriving(operation, service, replica, origin, now, deadline_ns);
        if deadline_ns <= now {
            let handle = self.jobs.insert_with(job);
            self.expire_job(handle);
            return;
        }
        let model = &self.model.services[service as usize];
        let state = &mut self.services[service as usize].replicas[replica as usize];
        if state.busy_workers < model.workers {
            let handle = self.jobs.insert_with(job);
            self.serve(handle, operation, service, replica, true);
        } else if model
            .load_shedding
            .and_then(|shedding| shedding.max_waiting)
            .is_some_and(|max| state.waiting.len() as u64 >= u64::from(max))
        {
            self.reject_arrival(call, attempt, operation, edge, ErrorKind::Shed);
        } else if model
            .queue_capacity
            .is_none_or(|capacity| (state.waiting.len() as u64) < u64::from(capacity))
        {
            let handle = self.jobs.insert_with(job);
            self.services[service as usize].replicas[replica as usize]
                .waiting
                .push_back(handle);
        } else {
            self.reject_arrival(call, attempt, operation, edge, ErrorKind::Rejected);
        }
    }

    /// Goes on with the arrival of a request at a plain service, see
    /// [`Simulation::refresh_plain`], as [`Simulation::service_arrive`] does without the
    /// checks that cannot apply: outage, deadline, crashed replica, rate limit and load
    /// shedding.
    #[inline(always)]
    fn plain_service_arrive(&mut self, call: Handle, attempt: u32, operation: u32, edge: u32) {
        let now = self.now_ns;
        let service = self.model.operations[operation as usize].service;
        let replica = self.pick_replica(service);
        let origin = Origin::Call {
            call,
            attempt,
            edge,
        };
        let job = Job::arriving(operation, service, replica, origin, now, u64::MAX);
        let model = &self.model.services[service as usize];
        let state = &mut self.services[service as usize].replicas[replica as usize];
        if state.busy_workers < model.workers {
            let handle = self.jobs.insert_with(job);
            self.serve(handle, operation, service, replica, true);
        } else if model
            .queue_capacity
            .is_none_or(|capacity| (state.waiting.len() as u64) < u64::from(capacity))
        {
            let handle = self.jobs.insert_with(job);
            self.services[service as usize].replicas[replica as usize]
                .waiting
                .push_back(handle);
        } else {
            self.reject_arrival(call, attempt, operation, edge, ErrorKind::Rejected);
        }
    }

    #[inline(always)]
    fn pick_replica(&mut self, service: u32) -> u32 {
        if self.services[service as usize].active <= 1 {
            return 0;
        }
        self.pick_of_replicas(service)
    }

    /// Picks one of the two or more active replicas of `service` by its load balancing.
    fn pick_of_replicas(&mut self, service: u32) -> u32 {
        let model = &self.model.services[service as usize];
        let state = &mut self.services[service as usize];
        let count = state.active;
        match model.load_balancing {
            LoadBalancing::RoundRobin => {
                let replica = state.next_replica % count;
                state.next_replica = (replica + 1) % count;
                replica
            }
            LoadBalancing::Random => random::index_below(&mut state.stream, count as usize) as u32,
            LoadBalancing::LeastOutstanding => state.replicas[..count as usize]
                .iter()
                .enumerate()
                .min_by_key(|(i, r)| (r.busy_workers as usize + r.waiting.len(), *i))
                .map_or(0, |(i, _)| i as u32),
        }
    }

    /// Starts serving a job; `worker` is true when it takes one of the replica's workers
    /// (synchronous requests) rather than a consumer slot (messages). Returns false when
    /// the job's deadline has passed, which ends the job without serving it.
    #[inline(always)]
    fn start_job(&mut self, handle: Handle, worker: bool) -> bool {
        let now = self.now_ns;
        let Some(job) = self.jobs.get_mut(handle) else {
            return false;
        };
        if job.deadline_ns <= now {
            self.expire_job(handle);
            return false;
        }
        job.service_start_ns = now;
        let (operation, service, replica) = (job.operation, job.service, job.replica);
        self.serve(handle, operation, service, replica, worker);
        true
    }

    /// Starts serving a waiting request of a plain service with one of its workers, as
    /// [`Simulation::start_job`] does, without a deadline to check.
    #[inline(always)]
    fn start_plain_job(&mut self, handle: Handle) {
        let now = self.now_ns;
        let Some(job) = self.jobs.get_mut(handle) else {
            return;
        };
        job.service_start_ns = now;
        let (operation, service, replica) = (job.operation, job.service, job.replica);
        self.serve(handle, operation, service, replica, true);
    }

    /// Starts serving the job `handle`, of `operation` on `replica` of `service`, as
    /// [`Simulation::start_job`] does.
    #[inline(always)]
    fn serve(&mut self, handle: Handle, operation: u32, service: u32, replica: u32, worker: bool) {
        let now = self.now_ns;
        if worker {
            self.services[service as usize].replicas[replica as usize].busy_workers += 1;
        }
        self.metrics
            .busy(self.layout.operations + operation, now, 1);
        let sampler = &self.model.operations[operation as usize].service_time;
        let mut time = sampler.sample(&mut self.operation_streams[operation as usize]);
        if !self.services[service as usize].plain {
            time = scale(time, self.services[service as usize].slow);
            if self.faults.slow_consumers
                || !self.services[service as usize].added_latency.is_empty()
            {
                time = self.fault_adjusted_time(handle, service, time, true);
            }
        }
        self.events
            .push(now.saturating_add(time), Event::StageDone { job: handle });
    }

    fn stage_done(&mut self, handle: Handle) {
        let Some(job) = self.jobs.get_mut(handle) else {
            return;
        };
        if !job.served {
            job.served = true;
            let (operation, service) = (job.operation, job.service);
            let state = &self.services[service as usize];
            let probability = if state.plain {
                self.model.operations[operation as usize].error_probability
            } else {
                if !state.first_errors.is_empty() && self.take_first_error(service) {
                    self.finish_job(handle, Err(ErrorKind::Failed));
                    return;
                }
                self.services[service as usize]
                    .error_override
                    .unwrap_or(self.model.operations[operation as usize].error_probability)
            };
            if chance(&mut self.operation_streams[operation as usize], probability) {
                self.finish_job(handle, Err(ErrorKind::Failed));
                return;
            }
        }
        self.advance_job(handle);
    }

    /// Runs the job's next step, or finishes it when no step is left.
    #[inline(always)]
    fn advance_job(&mut self, handle: Handle) {
        let Some(job) = self.jobs.get_mut(handle) else {
            return;
        };
        let operation = job.operation as usize;
        let service = job.service as usize;
        let index = job.next_step as usize;
        let Some(step) = self.model.operations[operation].steps.get(index) else {
            self.finish_job(handle, Ok(()));
            return;
        };
        job.next_step += 1;
        job.step_failed = false;
        match step {
            StepModel::Call(call) => {
                job.pending = 1;
                let CallModel {
                    target,
                    edge,
                    policy,
                    bulkhead,
                } = *call;
                let context = (job.deadline_ns, job.replica);
                self.start_call(
                    Caller::Job { job: handle },
                    target,
                    edge,
                    policy,
                    bulkhead,
                    context,
                );
            }
            StepModel::Parallel(calls) => {
                job.pending = u32::try_from(calls.len()).unwrap_or(u32::MAX);
                let context = (job.deadline_ns, job.replica);
                let calls: Vec<CallModel> = calls.clone();
                for call in calls {
                    self.start_call(
                        Caller::Job { job: handle },
                        call.target,
                        call.edge,
                        call.policy,
                        call.bulkhead,
                        context,
                    );
                }
            }
            StepModel::Work(sampler) => {
                let time = sampler.sample(&mut self.operation_streams[operation]);
                let mut time = scale(time, self.services[service].slow);
                if self.faults.slow_consumers {
                    time = self.fault_adjusted_time(handle, service as u32, time, false);
                }
                self.events.push(
                    self.now_ns.saturating_add(time),
                    Event::StageDone { job: handle },
                );
            }
        }
    }

    fn job_call_done(&mut self, handle: Handle, outcome: Result<(), ErrorKind>) {
        let Some(job) = self.jobs.get_mut(handle) else {
            return;
        };
        job.pending = job.pending.saturating_sub(1);
        if outcome.is_err() {
            job.step_failed = true;
        }
        if job.pending > 0 {
            return;
        }
        if job.step_failed {
            self.finish_job(handle, Err(ErrorKind::Failed));
        } else {
            self.advance_job(handle);
        }
    }

    #[inline(always)]
    fn finish_job(&mut self, handle: Handle, outcome: Result<(), ErrorKind>) {
        let now = self.now_ns;
        // The fields are read one by one and the slot freed in place: a copy of the whole
        // job would read back fields written a moment ago, see `Slab::insert_with`.
        let Some(job) = self.jobs.get(handle) else {
            return;
        };
        let (operation, service, replica) = (job.operation, job.service, job.replica);
        let (arrived_ns, service_start_ns, origin) =
            (job.arrived_ns, job.service_start_ns, job.origin);
        self.jobs.free(handle);
        self.metrics
            .busy(self.layout.operations + operation, now, -1);
        self.service_level(service, now, -1);
        self.metrics
            .finish(self.layout.operations + operation, now, arrived_ns, outcome);
        match origin {
            Origin::Call {
                call,
                attempt,
                edge,
            } => {
                if !self.awaits_response(call, attempt) {
                    self.metrics.wasted(
                        self.layout.operations + operation,
                        arrived_ns,
                        now - service_start_ns,
                    );
                }
                self.release_worker(service, replica);
                self.respond(call, attempt, edge, outcome);
            }
            Origin::Message {
                queue,
                message,
                edge,
                dispatched_ns,
            } => {
                self.metrics
                    .finish(self.layout.edges + edge, now, dispatched_ns, outcome);
                if self.queues[queue as usize].broker.is_some() {
                    self.broker_message_done(handle, queue, message, outcome);
                    return;
                }
                let state = &mut self.queues[queue as usize];
                if let Some(busy) = state.busy_consumers.get_mut(replica as usize) {
                    *busy = busy.saturating_sub(1);
                }
                self.message_done(queue, message, outcome);
            }
        }
    }

    /// Returns the replica of the calling service that keeps a call's client-side
    /// resilience state; a client counts as one caller, replica 0.
    fn caller_replica(&self, caller: Caller) -> u32 {
        match caller {
            Caller::Client { .. } => 0,
            Caller::Job { job } => self.jobs.get(job).map_or(0, |j| j.replica),
        }
    }

    fn release_worker(&mut self, service: u32, replica: u32) {
        let plain = self.services[service as usize].plain;
        let state = &mut self.services[service as usize].replicas[replica as usize];
        state.busy_workers = state.busy_workers.saturating_sub(1);
        if plain {
            if let Some(next) = state.waiting.pop_front() {
                self.start_plain_job(next);
            }
        } else if let Some(max_queue_time_ns) = self.model.services[service as usize]
            .load_shedding
            .and_then(|shedding| shedding.max_queue_time_ns)
        {
            self.start_or_shed(service, replica, max_queue_time_ns);
        } else if let Some(next) = state.waiting.pop_front()
            && !self.start_job(next, true)
        {
            self.start_next_waiting(service, replica);
        }
    }
}

/// Multiplies a duration by a fault's factor.
#[inline]
fn scale(nanos: u64, factor: f64) -> u64 {
    if factor == 1.0 {
        nanos
    } else {
        random::round_non_negative((nanos as f64 * factor).min(random::MAX_SAMPLE_NS as f64))
    }
}

const QUEUE_TARGET_BIT: u32 = 1 << 31;

fn encode_target(target: Target) -> u32 {
    match target {
        Target::Operation(operation) => operation,
        Target::Queue(queue) => queue | QUEUE_TARGET_BIT,
    }
}

fn decode_target(code: u32) -> Target {
    if code & QUEUE_TARGET_BIT == 0 {
        Target::Operation(code)
    } else {
        Target::Queue(code & !QUEUE_TARGET_BIT)
    }
}

fn encode_outcome(outcome: Result<(), ErrorKind>) -> u32 {
    match outcome {
        Ok(()) => 0,
        Err(kind) => 1 + kind as u32,
    }
}

fn decode_outcome(code: u32) -> Result<(), ErrorKind> {
    match code {
        0 => Ok(()),
        n => Err(ErrorKind::ALL[(n as usize - 1).min(ErrorKind::ALL.len() - 1)]),
    }
}

/// Entity index type, re-exported for reports.
pub type EntityIndex = Entity;
