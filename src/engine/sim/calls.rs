//! Calls: attempts over the network, responses, timeouts, retries with backoff and
//! jitter.

use crate::engine::model::{Target, WorkloadModel};
use crate::engine::random::{self, chance};
use crate::engine::slab::Handle;
use crate::metrics::recorder::ErrorKind;
use crate::scenario::Jitter;

use super::protections::Permit;
use super::{Call, Caller, Event, Simulation, encode_outcome, encode_target, scale};

impl Simulation {
    /// Starts a call from `caller`. `context` is the deadline inherited from the request
    /// being served (`u64::MAX` for none) and the replica of the caller (0 for a client).
    pub(super) fn start_call(
        &mut self,
        caller: Caller,
        target: Target,
        edge: u32,
        policy: u32,
        bulkhead: Option<u32>,
        context: (u64, u32),
    ) {
        let now = self.now_ns;
        let (inherited_deadline_ns, caller_replica) = context;
        let policy_model = &self.model.policies[policy as usize];
        let budgeted = policy_model.retry_budget.is_some();
        let deadline_ns = match policy_model.deadline_ns {
            Some(own) => inherited_deadline_ns.min(now.saturating_add(own)),
            None => inherited_deadline_ns,
        };
        let message_id = if matches!(target, Target::Queue(_)) {
            self.next_message_id += 1;
            self.next_message_id
        } else {
            0
        };
        let handle = self.calls.insert_with(|slot| {
            *slot = Call {
                caller,
                target,
                edge,
                policy,
                attempt: 1,
                waiting: true,
                started_ns: now,
                attempt_started_ns: now,
                message_id,
                bulkhead,
                permit: Permit::None,
                deadline_ns,
                caller_replica,
                budgeted,
                retrying: false,
            };
        });
        if budgeted {
            self.budget_state(policy, caller_replica).active_requests += 1;
        }
        if deadline_ns <= now {
            self.resolve(handle, Err(ErrorKind::DeadlineExceeded));
            return;
        }
        if bulkhead.is_some() && !self.acquire_permit(handle) {
            return;
        }
        self.transmit_attempt(handle);
    }

    /// Sends the next attempt of a call, after its backoff.
    pub(super) fn send_attempt(&mut self, handle: Handle) {
        let now = self.now_ns;
        let Some(call) = self.calls.get_mut(handle) else {
            return;
        };
        call.attempt += 1;
        call.waiting = true;
        call.attempt_started_ns = now;
        if call.bulkhead.is_some() && !self.acquire_permit(handle) {
            return;
        }
        self.transmit_attempt(handle);
    }

    /// Records the current attempt of the call `handle`, schedules its timeout and sends
    /// it.
    #[inline(always)]
    pub(super) fn transmit_attempt(&mut self, handle: Handle) {
        let Some(call) = self.calls.get(handle) else {
            return;
        };
        let (policy, caller, attempt, edge, target) = (
            call.policy,
            call.caller,
            call.attempt,
            call.edge,
            call.target,
        );
        let (started_ns, deadline_ns) = (call.started_ns, call.deadline_ns);
        if let Some(site) = self.model.policies[policy as usize].breaker
            && !self.breaker_permits(site, caller)
        {
            // Rejected by the breaker: not sent, and failed at once, so that the retry
            // policy around the breaker may try again after its backoff. The breaker sits
            // inside the bulkhead, so a permit taken for this attempt is given back.
            self.release_permit(handle);
            self.attempt_failed(handle, ErrorKind::CircuitOpen);
            return;
        }
        let now = self.now_ns;
        let retry = attempt > 1;
        if let Caller::Client { client } = caller {
            self.metrics
                .attempt(self.layout.clients + client, started_ns, retry);
        }
        self.metrics
            .attempt_arrival(self.layout.edges + edge, now, retry);
        // Each attempt's timer is its timeout, or less when the deadline comes first.
        let time_left = deadline_ns.saturating_sub(now);
        let timer = match self.model.policies[policy as usize].timeout_ns {
            Some(timeout) => Some(timeout.min(time_left)),
            None => (deadline_ns != u64::MAX).then_some(time_left),
        };
        if let Some(timer) = timer {
            self.events.push(
                now.saturating_add(timer),
                Event::Timeout {
                    call: handle,
                    attempt,
                },
            );
        }
        match self.transmit(edge) {
            None => {}
            Some(0) => self.request_arrive(handle, attempt, target, edge),
            Some(delay) => self.events.push(
                now + delay,
                Event::RequestArrive {
                    call: handle,
                    attempt,
                    target: encode_target(target),
                    edge,
                },
            ),
        }
    }

    /// Draws the delay of one message on `edge`, from its sender to its receiver, or
    /// `None` if the message is lost.
    #[inline(always)]
    pub(super) fn transmit(&mut self, edge: u32) -> Option<u64> {
        self.transmit_in(edge, true)
    }

    /// Draws the delay of one message on `edge`, in the direction of requests when
    /// `forward` is true and of responses otherwise, or `None` if the message is lost.
    #[inline(always)]
    fn transmit_in(&mut self, edge: u32, forward: bool) -> Option<u64> {
        let model = &self.model.edges[edge as usize];
        let state = &mut self.edges[edge as usize];
        if chance(&mut state.stream, model.loss) {
            self.metrics.lost(self.layout.edges + edge, self.now_ns);
            return None;
        }
        let added = if state.faults.is_some() {
            self.edge_fault_delay(edge, forward)?
        } else {
            0
        };
        let model = &self.model.edges[edge as usize];
        let state = &mut self.edges[edge as usize];
        if model.latency.is_zero() {
            return Some(added);
        }
        let latency = model.latency.sample(&mut state.stream);
        Some(scale(latency, state.slow).saturating_add(added))
    }

    #[inline(always)]
    pub(super) fn respond(
        &mut self,
        call: Handle,
        attempt: u32,
        edge: u32,
        outcome: Result<(), ErrorKind>,
    ) {
        match self.transmit_in(edge, false) {
            None => {}
            Some(0) => self.response_arrive(call, attempt, edge, outcome),
            Some(delay) => self.events.push(
                self.now_ns + delay,
                Event::ResponseArrive {
                    call,
                    attempt,
                    edge,
                    outcome: encode_outcome(outcome),
                },
            ),
        }
    }

    #[inline(always)]
    pub(super) fn response_arrive(
        &mut self,
        handle: Handle,
        attempt: u32,
        edge: u32,
        outcome: Result<(), ErrorKind>,
    ) {
        let now = self.now_ns;
        let (attempt_started, permit, policy, caller) = match self.calls.get_mut(handle) {
            Some(call) if call.attempt == attempt && call.waiting => {
                call.waiting = false;
                (
                    call.attempt_started_ns,
                    call.permit,
                    call.policy,
                    call.caller,
                )
            }
            _ => {
                // The caller gave up on this attempt already, or on the whole call: the
                // server's work was wasted.
                self.metrics.late(self.layout.edges + edge, now);
                return;
            }
        };
        if let Caller::Client { client } = caller
            && self.clients[client as usize].edge_mirrored
        {
            // A plain call, see `start_plain_call`: its only attempt ends the call.
            self.calls.free(handle);
            self.client_call_done(client, attempt_started, outcome);
            return;
        }
        self.metrics
            .finish(self.layout.edges + edge, now, attempt_started, outcome);
        if permit == Permit::Held {
            self.release_permit(handle);
        }
        if let Some(site) = self.model.policies[policy as usize].breaker {
            self.breaker_record(site, caller, attempt_started, outcome);
        }
        match outcome {
            Ok(()) => self.resolve(handle, Ok(())),
            Err(kind) => self.attempt_failed(handle, kind),
        }
    }

    pub(super) fn on_timeout(&mut self, handle: Handle, attempt: u32) {
        let now = self.now_ns;
        let Some(call) = self.calls.get_mut(handle) else {
            return;
        };
        if call.attempt != attempt || !call.waiting {
            return;
        }
        call.waiting = false;
        let (edge, attempt_started, permit) = (call.edge, call.attempt_started_ns, call.permit);
        let (policy, caller) = (call.policy, call.caller);
        let kind = if now >= call.deadline_ns {
            ErrorKind::DeadlineExceeded
        } else {
            ErrorKind::Timeout
        };
        self.metrics
            .finish(self.layout.edges + edge, now, attempt_started, Err(kind));
        if permit == Permit::Held {
            self.release_permit(handle);
        }
        if let Some(site) = self.model.policies[policy as usize].breaker {
            self.breaker_record(site, caller, attempt_started, Err(kind));
        }
        if kind == ErrorKind::DeadlineExceeded {
            self.resolve(handle, Err(kind));
        } else {
            self.attempt_failed(handle, kind);
        }
    }

    pub(super) fn attempt_failed(&mut self, handle: Handle, kind: ErrorKind) {
        let Some(call) = self.calls.get_mut(handle) else {
            return;
        };
        if call.retrying {
            // The retry has ended, so it leaves the budget.
            call.retrying = false;
            self.retry_budgets[call.policy as usize][call.caller_replica as usize]
                .active_retries -= 1;
        }
        let call = *call;
        let policy = &self.model.policies[call.policy as usize];
        if call.attempt >= policy.attempts || !policy.retries(kind) {
            self.resolve(handle, Err(kind));
            return;
        }
        let (budget, backoff, jitter) = (policy.retry_budget, policy.backoff, policy.jitter);
        if let Some(budget) = budget
            && !self.budget_allows_retry(call.policy, call.caller_replica, budget)
        {
            self.metrics
                .retry_denied(self.layout.edges + call.edge, self.now_ns);
            self.resolve(handle, Err(kind));
            return;
        }
        let wait = backoff.wait(call.attempt).as_nanos();
        let stream = match call.caller {
            Caller::Client { client } => &mut self.clients[client as usize].stream,
            Caller::Job { job } => {
                let service = self.jobs.get(job).map_or(0, |j| j.service);
                &mut self.services[service as usize].stream
            }
        };
        let wait = match jitter {
            Jitter::None => wait,
            Jitter::Full => (wait as f64 * random::unit(stream)) as u64,
            Jitter::Equal => wait / 2 + ((wait / 2) as f64 * random::unit(stream)) as u64,
        };
        // No retry starts whose backoff ends at or past the deadline. The call ends at
        // once with the error of its last attempt.
        if self.now_ns.saturating_add(wait) >= call.deadline_ns {
            self.resolve(handle, Err(kind));
            return;
        }
        if budget.is_some() {
            self.budget_state(call.policy, call.caller_replica)
                .active_retries += 1;
            if let Some(call) = self.calls.get_mut(handle) {
                call.retrying = true;
            }
        }
        self.events.push(
            self.now_ns.saturating_add(wait),
            Event::SendAttempt { call: handle },
        );
    }

    #[inline(always)]
    pub(super) fn resolve(&mut self, handle: Handle, outcome: Result<(), ErrorKind>) {
        // Read field by field and freed in place, see `Slab::insert_with`.
        let Some(call) = self.calls.get(handle) else {
            return;
        };
        let (caller, started_ns, budgeted) = (call.caller, call.started_ns, call.budgeted);
        if budgeted {
            let (policy, replica, retrying) = (call.policy, call.caller_replica, call.retrying);
            self.leave_budget(policy, replica, retrying);
        }
        self.calls.free(handle);
        match caller {
            Caller::Client { client } => self.client_call_done(client, started_ns, outcome),
            Caller::Job { job } => self.job_call_done(job, outcome),
        }
    }

    /// Records the end of a request of `client` started at `started_ns`, and lets a user
    /// of a closed workload think before the next one.
    #[inline(always)]
    fn client_call_done(&mut self, client: u32, started_ns: u64, outcome: Result<(), ErrorKind>) {
        let now = self.now_ns;
        self.metrics
            .finish(self.layout.clients + client, now, started_ns, outcome);
        if let WorkloadModel::Closed { think_time, .. } =
            &self.model.clients[client as usize].workload
        {
            let think = think_time.sample(&mut self.clients[client as usize].stream);
            self.events
                .push(now.saturating_add(think), Event::UserWake { client });
        }
    }
}
