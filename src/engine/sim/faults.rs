//! Faults: when they start and end (scheduled, random or by hand), the fault timeline,
//! and their effect on services, replicas, links and queues.

use crate::engine::fault_model::compile_fault_kind;
use crate::engine::model::{CompileError, EdgeKind, FaultEffect, FaultModel, FaultTiming, NodeRef};
use crate::engine::random::{self, Stream, chance};
use crate::metrics::recorder::ErrorKind;
use crate::scenario::{Duration, FaultKind, OutageMode};

use super::{Event, Origin, Simulation};

/// The origin of a fault interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultOrigin {
    /// The window of a fault in the scenario.
    Scheduled,
    /// An occurrence of a fault with `mtbf` and `mttr`.
    Random,
    /// Started by hand while running, with [`Simulation::inject_fault`].
    Manual,
}

/// One interval during which a fault was active.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultInterval {
    /// Index of the fault in [`crate::engine::Model::faults`].
    pub fault: u32,
    /// The key of the fault's kind, such as `crash`.
    pub kind: &'static str,
    /// A short description, such as `crash payments#0`.
    pub label: String,
    /// The nodes it affects.
    pub targets: Vec<NodeRef>,
    /// Start, ns.
    pub start_ns: u64,
    /// End, ns, or `None` while it is still active.
    pub end_ns: Option<u64>,
    /// Its origin.
    pub origin: FaultOrigin,
}

/// Faults on the edges between two nodes, kept per edge only while one is active, so
/// that an edge without faults costs one branch per message.
#[derive(Clone, Debug, Default)]
pub(super) struct EdgeFaults {
    /// Whether messages from the edge's sender to its receiver are lost.
    cut_forward: bool,
    /// Whether messages back from the receiver, responses and acknowledgements, are lost.
    cut_backward: bool,
    /// Active loss faults: the fault and its probability.
    loss: Vec<(u32, f64)>,
    /// Active latency faults.
    added: Vec<u32>,
}

/// Fault intervals kept in the timeline of a run. Random faults with short `mtbf` and
/// `mttr` can start millions of times in a long run. Intervals after the first
/// `MAX_TIMELINE_INTERVALS` still act on the run but are only counted, so the timeline,
/// the summary's recovery list and the app's copies of them stay small.
pub const MAX_TIMELINE_INTERVALS: usize = 10_000;

/// The state of every fault of a run.
#[derive(Debug, Default)]
pub(super) struct FaultState {
    /// The random stream of each fault, named from its index.
    streams: Vec<Stream>,
    /// Failures left to inject by each `first` errors fault in its current interval.
    first_left: Vec<u64>,
    /// The open interval of each active fault, as an index into `timeline`.
    open: Vec<Option<usize>>,
    /// Every interval so far, in order of start, up to [`MAX_TIMELINE_INTERVALS`].
    timeline: Vec<FaultInterval>,
    /// Intervals that started after the timeline was full.
    omitted: u64,
    /// The broker outage of each queue; empty when the run has no faults.
    pub(super) queue_outage: Vec<Option<OutageMode>>,
    /// The consumer slowdown of each queue; empty when the run has no faults.
    queue_slow: Vec<f64>,
    /// Whether some consumer slowdown is active, checked before looking up a job's queue.
    pub(super) slow_consumers: bool,
    /// Faults started by hand.
    manual: u32,
}

impl FaultState {
    pub(super) fn new(seed: u64, faults: &[FaultModel], queues: usize) -> Self {
        let mut state = Self::default();
        if faults.is_empty() {
            return state;
        }
        for index in 0..faults.len() {
            state.add_fault(seed, index);
        }
        state.queue_outage = vec![None; queues];
        state.queue_slow = vec![1.0; queues];
        state
    }

    fn add_fault(&mut self, seed: u64, index: usize) {
        self.streams
            .push(random::stream(seed, &format!("fault/{index}")));
        self.first_left.push(0);
        self.open.push(None);
    }
}

impl Simulation {
    /// Schedules the first start of every fault of the scenario: both ends of a window,
    /// or the first failure of a random fault.
    pub(super) fn schedule_faults(&mut self) {
        for i in 0..self.model.faults.len() {
            let fault = i as u32;
            match self.model.faults[i].timing {
                FaultTiming::Window { start_ns, end_ns } => {
                    if end_ns > start_ns {
                        self.events.push(start_ns, Event::FaultStart { fault });
                        self.events.push(end_ns, Event::FaultEnd { fault });
                    }
                }
                FaultTiming::Random {
                    start_ns, mtbf_ns, ..
                } => {
                    let wait = self.draw_exponential(fault, mtbf_ns);
                    self.events
                        .push(start_ns.saturating_add(wait), Event::FaultStart { fault });
                }
                FaultTiming::Manual { .. } => {}
            }
        }
    }

    fn draw_exponential(&mut self, fault: u32, mean_ns: u64) -> u64 {
        let draw = random::exponential(&mut self.faults.streams[fault as usize]) * mean_ns as f64;
        random::round_non_negative(draw.min(random::MAX_SAMPLE_NS as f64))
    }

    pub(super) fn on_fault_start(&mut self, fault: u32) {
        let origin = match self.model.faults[fault as usize].timing {
            FaultTiming::Window { .. } => FaultOrigin::Scheduled,
            FaultTiming::Random { mttr_ns, .. } => {
                let repair = self.draw_exponential(fault, mttr_ns);
                self.events.push(
                    self.now_ns.saturating_add(repair),
                    Event::FaultEnd { fault },
                );
                FaultOrigin::Random
            }
            FaultTiming::Manual { .. } => FaultOrigin::Manual,
        };
        let model = &self.model.faults[fault as usize];
        if self.faults.timeline.len() < MAX_TIMELINE_INTERVALS {
            self.faults.open[fault as usize] = Some(self.faults.timeline.len());
            self.faults.timeline.push(FaultInterval {
                fault,
                kind: effect_name(&model.effect),
                label: model.label.clone(),
                targets: model.targets.clone(),
                start_ns: self.now_ns,
                end_ns: None,
                origin,
            });
        } else {
            self.faults.omitted += 1;
        }
        if let FaultEffect::FirstErrors { count, .. } = model.effect {
            self.faults.first_left[fault as usize] = count;
        }
        self.set_fault(fault, true);
    }

    pub(super) fn on_fault_end(&mut self, fault: u32) {
        if let Some(open) = self.faults.open[fault as usize].take() {
            self.faults.timeline[open].end_ns = Some(self.now_ns);
        }
        if let FaultTiming::Random { mtbf_ns, .. } = self.model.faults[fault as usize].timing {
            let wait = self.draw_exponential(fault, mtbf_ns);
            self.events.push(
                self.now_ns.saturating_add(wait),
                Event::FaultStart { fault },
            );
        }
        self.set_fault(fault, false);
    }

    /// Returns every interval during which a fault was active so far, in order of start,
    /// up to the first [`MAX_TIMELINE_INTERVALS`].
    #[must_use]
    pub fn fault_timeline(&self) -> &[FaultInterval] {
        &self.faults.timeline
    }

    /// Returns the number of fault intervals that started after the timeline was full,
    /// see [`MAX_TIMELINE_INTERVALS`].
    #[must_use]
    pub fn fault_intervals_omitted(&self) -> u64 {
        self.faults.omitted
    }

    /// Returns the number of faults started by hand so far.
    #[must_use]
    pub fn manual_faults(&self) -> u32 {
        self.faults.manual
    }

    /// Starts a fault by hand at the current simulated time, for `duration`, and returns
    /// its index in [`crate::engine::Model::faults`]. It has the effect of the same fault
    /// scheduled at this time, except that its end runs after the other events of that
    /// instant that were already scheduled. Its random stream, if it draws any, is named
    /// from its index, as a scheduled fault's is.
    ///
    /// # Errors
    /// Fails when `kind` names a node the model does not have, or has a distribution that
    /// cannot be sampled.
    pub fn inject_fault(
        &mut self,
        kind: &FaultKind,
        duration: Duration,
    ) -> Result<u32, CompileError> {
        let duration_ns = duration.as_nanos().max(1);
        let model = &self.model;
        let resolve = |name: &str| model.find_node(name);
        let compiled = compile_fault_kind(kind, FaultTiming::Manual { duration_ns }, &resolve)?;
        // A fault may lose a client's requests or make them fail in ways its edge sees
        // apart from the client.
        self.end_mirrors();
        let index = self.model.faults.len();
        let fault = index as u32;
        self.model.faults.push(compiled);
        self.active_faults.push(false);
        if self.faults.queue_outage.is_empty() {
            self.faults.queue_outage = vec![None; self.queues.len()];
            self.faults.queue_slow = vec![1.0; self.queues.len()];
        }
        self.faults.add_fault(self.options.seed, index);
        self.faults.manual += 1;
        self.on_fault_start(fault);
        self.events.push(
            self.now_ns.saturating_add(duration_ns),
            Event::FaultEnd { fault },
        );
        Ok(fault)
    }

    pub(super) fn set_fault(&mut self, fault: u32, active: bool) {
        // A crash ends jobs and responds to their callers at once, which may send new
        // requests before every effect of the fault is applied. Until then, no service
        // takes the plain path.
        for state in &mut self.services {
            state.plain = false;
        }
        self.active_faults[fault as usize] = active;
        match self.model.faults[fault as usize].effect {
            FaultEffect::Outage { service, .. }
            | FaultEffect::SlowService { service, .. }
            | FaultEffect::Errors { service, .. }
            | FaultEffect::FirstErrors { service, .. }
            | FaultEffect::ServiceLatency { service, .. } => self.refresh_service_faults(service),
            FaultEffect::Crash { service, .. } => self.refresh_crashes(service),
            FaultEffect::SlowLink { a, b, .. } => self.refresh_link_faults(a, b),
            FaultEffect::LinkLatency { .. }
            | FaultEffect::Partition { .. }
            | FaultEffect::Loss { .. } => self.refresh_edge_faults(),
            FaultEffect::BrokerOutage { queue, .. } | FaultEffect::SlowConsumer { queue, .. } => {
                self.refresh_queue_faults(queue);
            }
        }
        self.refresh_plain();
    }

    fn active_effects(&self) -> impl Iterator<Item = (u32, &FaultEffect)> + '_ {
        self.model
            .faults
            .iter()
            .zip(&self.active_faults)
            .enumerate()
            .filter(|(_, (_, active))| **active)
            .map(|(i, (f, _))| (i as u32, &f.effect))
    }

    fn refresh_service_faults(&mut self, service: u32) {
        let mut outage = None;
        let mut slow = 1.0;
        let mut error_override: Option<f64> = None;
        let mut first_errors = Vec::new();
        let mut added_latency = Vec::new();
        for (fault, effect) in self.active_effects() {
            match *effect {
                // A timeout-mode outage hides a fail-fast one active at the same time.
                FaultEffect::Outage { service: s, mode }
                    if s == service && outage != Some(OutageMode::Timeout) =>
                {
                    outage = Some(mode);
                }
                FaultEffect::SlowService {
                    service: s,
                    multiplier,
                } if s == service => slow *= multiplier,
                FaultEffect::Errors {
                    service: s,
                    probability,
                } if s == service => {
                    error_override =
                        Some(error_override.map_or(probability, |p: f64| p.max(probability)));
                }
                FaultEffect::FirstErrors { service: s, .. } if s == service => {
                    first_errors.push(fault);
                }
                FaultEffect::ServiceLatency { service: s, .. } if s == service => {
                    added_latency.push(fault);
                }
                _ => {}
            }
        }
        let state = &mut self.services[service as usize];
        state.outage = outage;
        state.slow = slow;
        state.error_override = error_override;
        state.first_errors = first_errors;
        state.added_latency = added_latency;
    }

    fn refresh_link_faults(&mut self, a: NodeRef, b: NodeRef) {
        let matches = |x: NodeRef, y: NodeRef, p: NodeRef, q: NodeRef| {
            (x == p && y == q) || (x == q && y == p)
        };
        let mut factors = vec![1.0; self.edges.len()];
        for (_, effect) in self.active_effects() {
            if let FaultEffect::SlowLink {
                a: p,
                b: q,
                multiplier,
            } = *effect
            {
                for (i, edge) in self.model.edges.iter().enumerate() {
                    if matches(edge.from, edge.to, p, q) {
                        factors[i] *= multiplier;
                    }
                }
            }
        }
        for (i, edge) in self.model.edges.iter().enumerate() {
            if matches(edge.from, edge.to, a, b) {
                self.edges[i].slow = factors[i];
            }
        }
    }

    /// Recomputes the latency, partition and loss faults of every edge.
    fn refresh_edge_faults(&mut self) {
        let mut faults: Vec<EdgeFaults> = vec![EdgeFaults::default(); self.edges.len()];
        for (fault, effect) in self.active_effects() {
            for (i, edge) in self.model.edges.iter().enumerate() {
                let forward = |p: NodeRef, q: NodeRef| edge.from == p && edge.to == q;
                let either = |p: NodeRef, q: NodeRef| forward(p, q) || forward(q, p);
                // Deliveries from a queue to its consumers are never lost, as elsewhere
                // in the model, because a broker redelivers unacknowledged messages.
                let losable = edge.kind != EdgeKind::Consume;
                let entry = &mut faults[i];
                match *effect {
                    FaultEffect::LinkLatency { a, b, .. } if either(a, b) => {
                        entry.added.push(fault);
                    }
                    FaultEffect::Partition { a, b, one_way } if losable => {
                        if forward(a, b) {
                            entry.cut_forward = true;
                            entry.cut_backward |= !one_way;
                        } else if forward(b, a) {
                            entry.cut_forward |= !one_way;
                            entry.cut_backward = true;
                        }
                    }
                    FaultEffect::Loss { a, b, probability } if losable && either(a, b) => {
                        entry.loss.push((fault, probability));
                    }
                    _ => {}
                }
            }
        }
        for (state, faults) in self.edges.iter_mut().zip(faults) {
            let any = faults.cut_forward
                || faults.cut_backward
                || !faults.loss.is_empty()
                || !faults.added.is_empty();
            state.faults = any.then(|| Box::new(faults));
        }
    }

    /// Draws the fate of one message on an edge with active faults, after the edge's own
    /// loss: `None` if a fault loses it, or else the latency that faults add.
    #[inline(never)]
    pub(super) fn edge_fault_delay(&mut self, edge: u32, forward: bool) -> Option<u64> {
        // Taken out while drawing from the faults' streams, and put back below.
        let Some(faults) = self.edges[edge as usize].faults.take() else {
            return Some(0);
        };
        let cut = if forward {
            faults.cut_forward
        } else {
            faults.cut_backward
        };
        let mut lost = cut;
        for &(fault, probability) in &faults.loss {
            lost |= chance(&mut self.faults.streams[fault as usize], probability);
        }
        let mut added: u64 = 0;
        if !lost {
            for &fault in &faults.added {
                added = added.saturating_add(self.draw_added_latency(fault));
            }
        }
        self.edges[edge as usize].faults = Some(faults);
        if lost {
            self.metrics.lost(self.layout.edges + edge, self.now_ns);
            return None;
        }
        Some(added)
    }

    fn draw_added_latency(&mut self, fault: u32) -> u64 {
        match &self.model.faults[fault as usize].effect {
            FaultEffect::ServiceLatency { add, .. } | FaultEffect::LinkLatency { add, .. } => {
                add.sample(&mut self.faults.streams[fault as usize])
            }
            _ => 0,
        }
    }

    /// Applies the latency and consumer faults to a time of `handle` on `service`: the
    /// service time, when `service_time` is true, or a work step.
    #[inline(never)]
    pub(super) fn fault_adjusted_time(
        &mut self,
        handle: crate::engine::slab::Handle,
        service: u32,
        time: u64,
        service_time: bool,
    ) -> u64 {
        let mut time = time;
        if self.faults.slow_consumers
            && let Some(job) = self.jobs.get(handle)
            && let Origin::Message { queue, .. } = job.origin
        {
            time = super::scale(time, self.faults.queue_slow[queue as usize]);
        }
        if service_time {
            let added = std::mem::take(&mut self.services[service as usize].added_latency);
            for &fault in &added {
                time = time.saturating_add(self.draw_added_latency(fault));
            }
            self.services[service as usize].added_latency = added;
        }
        time
    }

    /// Returns whether a request that ends its service time now on `service` fails because of a
    /// `first` errors fault, counting it if so.
    #[inline(never)]
    pub(super) fn take_first_error(&mut self, service: u32) -> bool {
        for &fault in &self.services[service as usize].first_errors {
            let left = &mut self.faults.first_left[fault as usize];
            if *left > 0 {
                *left -= 1;
                return true;
            }
        }
        false
    }

    fn refresh_queue_faults(&mut self, queue: u32) {
        let mut outage = None;
        let mut slow = 1.0;
        let mut any_slow = false;
        for (_, effect) in self.active_effects() {
            match *effect {
                FaultEffect::BrokerOutage { queue: q, mode }
                    if q == queue && outage != Some(OutageMode::Timeout) =>
                {
                    outage = Some(mode);
                }
                FaultEffect::SlowConsumer {
                    queue: q,
                    multiplier,
                } => {
                    any_slow = true;
                    if q == queue {
                        slow *= multiplier;
                    }
                }
                _ => {}
            }
        }
        let was_down = self.faults.queue_outage[queue as usize].is_some();
        self.faults.queue_outage[queue as usize] = outage;
        self.faults.queue_slow[queue as usize] = slow;
        self.faults.slow_consumers = any_slow;
        if was_down && outage.is_none() {
            self.events.push(self.now_ns, Event::Dispatch { queue });
        }
    }

    /// Returns whether the broker of `queue` is down, so that it delivers nothing.
    #[inline]
    pub(super) fn queue_paused(&self, queue: u32) -> bool {
        self.faults
            .queue_outage
            .get(queue as usize)
            .is_some_and(Option::is_some)
    }

    /// Rejects a publish to a queue whose broker is down, or drops it in `timeout` mode.
    pub(super) fn reject_publish(
        &mut self,
        call: crate::engine::slab::Handle,
        attempt: u32,
        queue: u32,
        edge: u32,
        mode: OutageMode,
    ) {
        let now = self.now_ns;
        match mode {
            OutageMode::FailFast => {
                self.metrics
                    .reject(self.layout.queues + queue, now, ErrorKind::Failed);
                self.respond(call, attempt, edge, Err(ErrorKind::Failed));
            }
            OutageMode::Timeout => {
                // The message never entered the queue, which counts nothing: it is lost on
                // the publish edge, and the publisher's timeout counts the error.
                self.metrics.lost(self.layout.edges + edge, now);
            }
        }
    }

    /// Crashes and restarts the replicas of `service` to match its active crash faults.
    fn refresh_crashes(&mut self, service: u32) {
        let replicas = self.services[service as usize].replicas.len() as u32;
        for replica in 0..replicas {
            let mut mode = None;
            for (_, effect) in self.active_effects() {
                if let FaultEffect::Crash {
                    service: s,
                    replica: r,
                    mode: m,
                } = *effect
                    && s == service
                    && r.is_none_or(|r| r == replica)
                    && mode != Some(OutageMode::Timeout)
                {
                    mode = Some(m);
                }
            }
            let before = self.services[service as usize].replicas[replica as usize].crashed;
            self.services[service as usize].replicas[replica as usize].crashed = mode;
            match (before, mode) {
                (None, Some(mode)) => self.crash_replica(service, replica, mode),
                (Some(_), None) => self.restart_replica(service, replica),
                _ => {}
            }
        }
    }

    /// Kills a replica: drops the requests waiting or in service on it and abandons the
    /// deliveries of its consumers, so that their messages go back to their queues. The
    /// handling time of the messages it was handling counts as wasted work.
    fn crash_replica(&mut self, service: u32, replica: u32, mode: OutageMode) {
        let now = self.now_ns;
        let in_transit: std::collections::BTreeSet<crate::engine::slab::Handle> = self
            .events
            .iter()
            .filter_map(|(_, event)| match event {
                Event::Deliver { job } => Some(*job),
                _ => None,
            })
            .collect();
        // Queues with broker settings return what their consumers held by their own rules.
        for queue in self.consumed_queues(service) {
            if self.queues[queue as usize].broker.is_some() {
                self.crash_consumers(queue, replica, &in_transit);
            }
        }
        let state = &mut self.services[service as usize].replicas[replica as usize];
        let waiting: std::collections::BTreeSet<crate::engine::slab::Handle> =
            state.waiting.drain(..).collect();
        state.busy_workers = 0;
        let held: Vec<crate::engine::slab::Handle> = self
            .jobs
            .handles()
            .filter(|handle| {
                self.jobs
                    .get(*handle)
                    .is_some_and(|j| j.service == service && j.replica == replica)
            })
            .collect();
        for handle in held {
            let Some(job) = self.jobs.remove(handle) else {
                continue;
            };
            let operation_entity = self.layout.operations + job.operation;
            let started = match job.origin {
                Origin::Call { .. } => !waiting.contains(&handle),
                Origin::Message { .. } => !in_transit.contains(&handle),
            };
            if started {
                self.metrics.busy(operation_entity, now, -1);
                if matches!(job.origin, Origin::Message { .. }) {
                    self.metrics.wasted(
                        operation_entity,
                        job.arrived_ns,
                        now.saturating_sub(job.service_start_ns),
                    );
                }
            }
            if started || matches!(job.origin, Origin::Call { .. }) {
                self.service_level(service, now, -1);
                self.metrics.finish(
                    operation_entity,
                    now,
                    job.arrived_ns,
                    Err(ErrorKind::Dropped),
                );
            }
            match job.origin {
                Origin::Call {
                    call,
                    attempt,
                    edge,
                } => {
                    if mode == OutageMode::FailFast {
                        self.respond(call, attempt, edge, Err(ErrorKind::Failed));
                    }
                }
                Origin::Message {
                    queue,
                    message,
                    edge,
                    dispatched_ns,
                } => {
                    self.metrics.finish(
                        self.layout.edges + edge,
                        now,
                        dispatched_ns,
                        Err(ErrorKind::Dropped),
                    );
                    self.abandon_delivery(handle, queue, message, replica);
                }
            }
        }
        // A crashed replica's consumers are disconnected: their slots stay taken, so that
        // the queues deliver nothing to it until it restarts.
        for queue in self.consumed_queues(service) {
            if let Some(busy) = self.queues[queue as usize]
                .busy_consumers
                .get_mut(replica as usize)
            {
                *busy = u32::MAX;
            }
        }
    }

    fn restart_replica(&mut self, service: u32, replica: u32) {
        for queue in self.consumed_queues(service) {
            self.restart_consumers(queue, replica);
            if let Some(busy) = self.queues[queue as usize]
                .busy_consumers
                .get_mut(replica as usize)
            {
                *busy = 0;
            }
            self.events.push(self.now_ns, Event::Dispatch { queue });
        }
    }

    fn consumed_queues(&self, service: u32) -> Vec<u32> {
        self.model
            .queues
            .iter()
            .enumerate()
            .filter(|(_, q)| {
                q.consumer.is_some_and(|(operation, _, _)| {
                    self.model.operations[operation as usize].service == service
                })
            })
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Fails a request routed to a crashed replica, in the mode of the crash.
    #[inline(never)]
    pub(super) fn fail_on_crashed_replica(
        &mut self,
        call: crate::engine::slab::Handle,
        attempt: u32,
        operation: u32,
        edge: u32,
        mode: OutageMode,
    ) {
        let now = self.now_ns;
        let service = self.model.operations[operation as usize].service;
        self.service_level(service, now, -1);
        self.metrics.finish(
            self.layout.operations + operation,
            now,
            now,
            Err(ErrorKind::Dropped),
        );
        if mode == OutageMode::FailFast {
            self.respond(call, attempt, edge, Err(ErrorKind::Failed));
        }
    }
}

fn effect_name(effect: &FaultEffect) -> &'static str {
    match effect {
        FaultEffect::Outage { .. } => "outage",
        FaultEffect::SlowService { .. } | FaultEffect::SlowLink { .. } => "slow",
        FaultEffect::Errors { .. } | FaultEffect::FirstErrors { .. } => "errors",
        FaultEffect::Crash { .. } => "crash",
        FaultEffect::ServiceLatency { .. } | FaultEffect::LinkLatency { .. } => "latency",
        FaultEffect::Partition { .. } => "partition",
        FaultEffect::Loss { .. } => "loss",
        FaultEffect::BrokerOutage { .. } => "broker_outage",
        FaultEffect::SlowConsumer { .. } => "slow_consumer",
    }
}
