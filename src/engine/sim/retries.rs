//! Retry budgets, deadlines carried by requests, and the check of whether a caller
//! still waits for a response.

use crate::engine::model::RetryBudgetModel;
use crate::engine::slab::Handle;
use crate::metrics::recorder::ErrorKind;

use super::{Origin, Simulation};

/// The load on one retry budget: one call site on one replica of the caller.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct BudgetState {
    /// Calls started and not yet ended.
    pub(super) active_requests: u32,
    /// Retries waiting for their backoff or in flight.
    pub(super) active_retries: u32,
}

impl Simulation {
    /// Returns the budget of call site `policy` on `replica` of the caller. It is created
    /// on first use, so that replicas added while running get their own.
    pub(super) fn budget_state(&mut self, policy: u32, replica: u32) -> &mut BudgetState {
        let replicas = &mut self.retry_budgets[policy as usize];
        if replicas.len() <= replica as usize {
            replicas.resize(replica as usize + 1, BudgetState::default());
        }
        &mut replicas[replica as usize]
    }

    /// Returns whether one more retry may start on the budget. The active retries must be
    /// fewer than `max(min_retry_concurrency, fraction × active requests)`, the limit that
    /// Envoy's `RetryBudget` in `circuit_breaker.proto` describes. Rounding the product
    /// down is this engine's choice, which the proto does not specify.
    pub(super) fn budget_allows_retry(
        &mut self,
        policy: u32,
        replica: u32,
        budget: RetryBudgetModel,
    ) -> bool {
        let state = *self.budget_state(policy, replica);
        let share = (budget.fraction * f64::from(state.active_requests)).floor() as u64;
        let allowed = share.max(u64::from(budget.min_retry_concurrency));
        u64::from(state.active_retries) < allowed
    }

    /// Removes an ended call from its budget.
    pub(super) fn leave_budget(&mut self, policy: u32, caller_replica: u32, retrying: bool) {
        let state = self.budget_state(policy, caller_replica);
        state.active_requests -= 1;
        if retrying {
            state.active_retries -= 1;
        }
    }

    /// Returns the deadline that a request of `call` carries to the server.
    ///
    /// NOTE: a request still on the network when its call ends arrives without a
    /// deadline, because the deadline is kept with the call rather than with each
    /// request. Such a request is served even if its deadline has passed.
    pub(super) fn request_deadline(&self, call: Handle) -> u64 {
        self.calls.get(call).map_or(u64::MAX, |c| c.deadline_ns)
    }

    /// Returns whether the caller of `call` still waits for the response to `attempt`.
    #[inline]
    pub(super) fn awaits_response(&self, call: Handle, attempt: u32) -> bool {
        self.calls
            .get(call)
            .is_some_and(|c| c.attempt == attempt && c.waiting)
    }

    /// Starts the first waiting job on `replica` of `service` whose deadline has not
    /// passed, after a job whose deadline had passed ended without a worker.
    #[cold]
    pub(super) fn start_next_waiting(&mut self, service: u32, replica: u32) {
        while let Some(next) = self.services[service as usize].replicas[replica as usize]
            .waiting
            .pop_front()
        {
            if self.start_job(next, true) {
                break;
            }
        }
    }

    /// Ends a job whose deadline passed before it started service, without serving it.
    ///
    /// NOTE: only jobs that have not started are ended. A job in service runs to its end
    /// even when its deadline passes, because the engine does not preempt work.
    pub(super) fn expire_job(&mut self, handle: Handle) {
        let now = self.now_ns;
        let Some(job) = self.jobs.remove(handle) else {
            return;
        };
        let outcome = Err(ErrorKind::DeadlineExceeded);
        self.service_level(job.service, now, -1);
        self.metrics.finish(
            self.layout.operations + job.operation,
            now,
            job.arrived_ns,
            outcome,
        );
        if let Origin::Call {
            call,
            attempt,
            edge,
        } = job.origin
        {
            self.respond(call, attempt, edge, outcome);
        }
    }
}
