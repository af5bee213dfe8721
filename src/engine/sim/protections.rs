//! Bulkheads of call sites, token buckets of services and load shedding.
//!
//! A bulkhead is resilience4j's semaphore bulkhead, kept per call site and per replica
//! of the calling service, because each process holds its own registry; a client counts
//! as one caller. Each attempt of a call takes a permit before it is sent and gives it
//! back when its caller stops waiting for it: on its response or on its timeout. An
//! attempt that finds no permit waits for one, first in first out, up to the bulkhead's
//! `max_wait_duration`, and otherwise fails with `BulkheadFull` without being sent. The
//! attempt's timeout starts when it is sent, after the wait.

use std::collections::VecDeque;

use crate::engine::model::RateLimitModel;
use crate::engine::slab::Handle;
use crate::metrics::recorder::ErrorKind;

use super::{Event, Simulation};

/// Whether an attempt of a call with a bulkhead holds a permit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Permit {
    /// Neither has a permit nor waits for one.
    #[default]
    None,
    /// Waits in the bulkhead's queue.
    Waiting,
    /// Holds one while the attempt is outstanding.
    Held,
}

/// The permits of one call site on one replica of the caller.
#[derive(Clone, Debug, Default)]
pub(super) struct BulkheadState {
    in_use: u32,
    /// Calls waiting for a permit, with the attempt that waits.
    waiting: VecDeque<(Handle, u32)>,
}

/// The token bucket of one replica.
#[derive(Clone, Copy, Debug)]
pub(super) struct TokenBucket {
    tokens: u64,
    /// Fills counted so far: the number of whole fill intervals from time 0 to the last
    /// time the bucket was read.
    fills: u64,
}

/// Returns the permits of call site `site` on `replica`, created on first use.
fn bulkhead_slot(
    bulkheads: &mut [Vec<BulkheadState>],
    site: u32,
    replica: u32,
) -> &mut BulkheadState {
    let replicas = &mut bulkheads[site as usize];
    if replicas.len() <= replica as usize {
        replicas.resize(replica as usize + 1, BulkheadState::default());
    }
    &mut replicas[replica as usize]
}

impl Simulation {
    /// Takes a permit of the call's bulkhead for its current attempt and returns whether
    /// the attempt may be sent now. Otherwise the attempt waits for a permit, or has
    /// failed with `BulkheadFull` when the bulkhead allows no wait.
    pub(super) fn acquire_permit(&mut self, handle: Handle) -> bool {
        let Some(call) = self.calls.get(handle) else {
            return false;
        };
        let Some(site) = call.bulkhead else {
            return true;
        };
        let (caller, attempt) = (call.caller, call.attempt);
        let model = self.model.bulkheads[site as usize];
        let replica = self.caller_replica(caller);
        let state = bulkhead_slot(&mut self.bulkheads, site, replica);
        if state.in_use < model.max_concurrent_calls {
            state.in_use += 1;
            if let Some(call) = self.calls.get_mut(handle) {
                call.permit = Permit::Held;
            }
            return true;
        }
        if model.max_wait_ns == 0 {
            self.reject_by_bulkhead(handle);
            return false;
        }
        state.waiting.push_back((handle, attempt));
        if let Some(call) = self.calls.get_mut(handle) {
            call.permit = Permit::Waiting;
        }
        self.events.push(
            self.now_ns.saturating_add(model.max_wait_ns),
            Event::BulkheadWaitEnd {
                call: handle,
                attempt,
            },
        );
        false
    }

    /// Gives back the permit of the call's current attempt, if it holds one, and hands
    /// it to the first attempt waiting at the same bulkhead, which is sent at once.
    pub(super) fn release_permit(&mut self, handle: Handle) {
        let Some(call) = self.calls.get_mut(handle) else {
            return;
        };
        if call.permit != Permit::Held {
            return;
        }
        call.permit = Permit::None;
        let (Some(site), caller) = (call.bulkhead, call.caller) else {
            return;
        };
        let replica = self.caller_replica(caller);
        let state = bulkhead_slot(&mut self.bulkheads, site, replica);
        state.in_use = state.in_use.saturating_sub(1);
        while let Some((next, attempt)) = state.waiting.pop_front() {
            let Some(waiter) = self.calls.get_mut(next) else {
                continue;
            };
            if waiter.attempt != attempt || waiter.permit != Permit::Waiting {
                continue;
            }
            waiter.permit = Permit::Held;
            waiter.attempt_started_ns = self.now_ns;
            state.in_use += 1;
            self.transmit_attempt(next);
            return;
        }
    }

    /// Ends the wait of an attempt for a permit, which fails with `BulkheadFull` unless
    /// it got one in time.
    pub(super) fn bulkhead_wait_end(&mut self, handle: Handle, attempt: u32) {
        let Some(call) = self.calls.get_mut(handle) else {
            return;
        };
        if call.attempt != attempt || call.permit != Permit::Waiting {
            return;
        }
        call.permit = Permit::None;
        let (Some(site), caller) = (call.bulkhead, call.caller) else {
            return;
        };
        let replica = self.caller_replica(caller);
        bulkhead_slot(&mut self.bulkheads, site, replica)
            .waiting
            .retain(|&(waiter, _)| waiter != handle);
        self.reject_by_bulkhead(handle);
    }

    /// Fails the call's current attempt with `BulkheadFull`, counted in the errors of
    /// its edge although it was never sent.
    fn reject_by_bulkhead(&mut self, handle: Handle) {
        let Some(call) = self.calls.get(handle) else {
            return;
        };
        self.metrics.reject(
            self.layout.edges + call.edge,
            self.now_ns,
            ErrorKind::BulkheadFull,
        );
        self.attempt_failed(handle, ErrorKind::BulkheadFull);
    }

    /// Takes a token from the bucket of `replica` of `service` and returns whether there
    /// was one. Tokens are computed from the time: the bucket gains `tokens_per_fill`
    /// at every whole multiple of the interval since time 0. A replica added while the
    /// run goes on starts with a full bucket.
    pub(super) fn take_token(&mut self, service: u32, replica: u32, limit: RateLimitModel) -> bool {
        let fills = self.now_ns / limit.fill_interval_ns;
        let buckets = &mut self.services[service as usize].buckets;
        if buckets.len() <= replica as usize {
            let full = TokenBucket {
                tokens: limit.max_tokens,
                fills,
            };
            buckets.resize(replica as usize + 1, full);
        }
        let bucket = &mut buckets[replica as usize];
        if fills > bucket.fills {
            let added = (fills - bucket.fills).saturating_mul(limit.tokens_per_fill);
            bucket.tokens = bucket.tokens.saturating_add(added).min(limit.max_tokens);
            bucket.fills = fills;
        }
        if bucket.tokens == 0 {
            return false;
        }
        bucket.tokens -= 1;
        true
    }

    /// Responds to a request at once with `kind`, without a worker: a rate-limited or shed
    /// arrival.
    pub(super) fn reject_arrival(
        &mut self,
        call: Handle,
        attempt: u32,
        operation: u32,
        edge: u32,
        kind: ErrorKind,
    ) {
        let now = self.now_ns;
        let service = self.model.operations[operation as usize].service;
        self.service_level(service, now, -1);
        self.metrics
            .finish(self.layout.operations + operation, now, now, Err(kind));
        self.respond(call, attempt, edge, Err(kind));
    }

    /// Starts the first waiting request of `replica` that has not waited longer than
    /// `max_queue_time_ns`, and sheds the ones before it, which take no service time.
    pub(super) fn start_or_shed(&mut self, service: u32, replica: u32, max_queue_time_ns: u64) {
        let now = self.now_ns;
        loop {
            let state = &mut self.services[service as usize].replicas[replica as usize];
            let Some(next) = state.waiting.pop_front() else {
                return;
            };
            let Some(job) = self.jobs.get(next) else {
                continue;
            };
            if now.saturating_sub(job.arrived_ns) <= max_queue_time_ns {
                // A job past its deadline is ended unserved, and the worker takes the
                // next one.
                if self.start_job(next, true) {
                    return;
                }
                continue;
            }
            let Some(job) = self.jobs.remove(next) else {
                continue;
            };
            let operation = job.operation;
            self.service_level(service, now, -1);
            self.metrics.finish(
                self.layout.operations + operation,
                now,
                job.arrived_ns,
                Err(ErrorKind::Shed),
            );
            if let super::Origin::Call {
                call,
                attempt,
                edge,
            } = job.origin
            {
                self.respond(call, attempt, edge, Err(ErrorKind::Shed));
            }
        }
    }
}
