//! Calls: attempts over the network, responses, timeouts, retries with backoff and
//! jitter.

use crate::engine::model::{Target, WorkloadModel};
use crate::engine::random::{self, chance};
use crate::engine::slab::Handle;
use crate::metrics::recorder::ErrorKind;
use crate::scenario::Jitter;

use super::{Call, Caller, Event, Simulation, encode_outcome, encode_target, scale};

impl Simulation {
    pub(super) fn start_call(&mut self, caller: Caller, target: Target, edge: u32, policy: u32) {
        let now = self.now_ns;
        let message_id = if matches!(target, Target::Queue(_)) {
            self.next_message_id += 1;
            self.next_message_id
        } else {
            0
        };
        let call = Call {
            caller,
            target,
            edge,
            policy,
            attempt: 1,
            waiting: true,
            started_ns: now,
            attempt_started_ns: now,
            message_id,
        };
        let handle = self.calls.insert(call);
        self.transmit_attempt(handle, &call);
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
        let call = *call;
        self.transmit_attempt(handle, &call);
    }

    /// Records the current attempt of `call`, schedules its timeout and sends it.
    #[inline(always)]
    fn transmit_attempt(&mut self, handle: Handle, call: &Call) {
        let now = self.now_ns;
        let (attempt, edge, target) = (call.attempt, call.edge, call.target);
        let retry = attempt > 1;
        if let Caller::Client { client } = call.caller {
            self.metrics
                .attempt(self.layout.clients + client, call.started_ns, retry);
        }
        self.metrics
            .attempt_arrival(self.layout.edges + edge, now, retry);
        if let Some(timeout) = self.model.policies[call.policy as usize].timeout_ns {
            self.events.push(
                now.saturating_add(timeout),
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
        let attempt_started = match self.calls.get_mut(handle) {
            Some(call) if call.attempt == attempt && call.waiting => {
                call.waiting = false;
                call.attempt_started_ns
            }
            _ => {
                // The caller gave up on this attempt already, or on the whole call: the
                // server's work was wasted.
                self.metrics.late(self.layout.edges + edge, now);
                return;
            }
        };
        self.metrics
            .finish(self.layout.edges + edge, now, attempt_started, outcome);
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
        let (edge, attempt_started) = (call.edge, call.attempt_started_ns);
        self.metrics.finish(
            self.layout.edges + edge,
            now,
            attempt_started,
            Err(ErrorKind::Timeout),
        );
        self.attempt_failed(handle, ErrorKind::Timeout);
    }

    pub(super) fn attempt_failed(&mut self, handle: Handle, kind: ErrorKind) {
        let Some(call) = self.calls.get(handle) else {
            return;
        };
        let policy = &self.model.policies[call.policy as usize];
        if call.attempt >= policy.attempts {
            self.resolve(handle, Err(kind));
            return;
        }
        let wait = policy.backoff.wait(call.attempt).as_nanos();
        let jitter = policy.jitter;
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
        self.events.push(
            self.now_ns.saturating_add(wait),
            Event::SendAttempt { call: handle },
        );
    }

    #[inline(always)]
    pub(super) fn resolve(&mut self, handle: Handle, outcome: Result<(), ErrorKind>) {
        let Some(call) = self.calls.remove(handle) else {
            return;
        };
        match call.caller {
            Caller::Client { client } => {
                let now = self.now_ns;
                self.metrics
                    .finish(self.layout.clients + client, now, call.started_ns, outcome);
                if let WorkloadModel::Closed { think_time, .. } =
                    &self.model.clients[client as usize].workload
                {
                    let think = think_time.sample(&mut self.clients[client as usize].stream);
                    self.events
                        .push(now.saturating_add(think), Event::UserWake { client });
                }
            }
            Caller::Job { job } => self.job_call_done(job, outcome),
        }
    }
}
