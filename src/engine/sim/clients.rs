//! Clients: open arrivals with rate profiles, closed users, and rate changes while
//! running.

use crate::engine::model::{Target, WorkloadModel};
use crate::engine::random;

use super::protections::Permit;
use super::{Call, Caller, Event, Simulation, encode_target};

impl Simulation {
    pub(super) fn schedule_arrival(&mut self, client: u32) {
        let WorkloadModel::Open { poisson, profile } =
            &self.model.clients[client as usize].workload
        else {
            return;
        };
        let state = &mut self.clients[client as usize];
        let factor = state.rate_factor;
        let now = self.now_ns;
        let next = if *poisson {
            let max_rate = state.max_rate;
            if max_rate <= 0.0 {
                state.arrival_scheduled = false;
                return;
            }
            if profile.changes.is_empty() {
                self.schedule_steady_arrival(client);
                return;
            }
            // Thinning (Lewis and Shedler) between the profile's breakpoints: candidates
            // at the maximum rate of the current stretch, each kept with probability
            // rate(t) / that rate, give a Poisson process of rate(t). A candidate past
            // the stretch is dropped and drawing starts again at its end, which the
            // memoryless gaps allow. A short peak so costs candidates at its rate only
            // while it lasts.
            let mut from = now;
            let mut offset = 0.0;
            loop {
                let at = from.saturating_add(offset as u64);
                let boundary = profile.next_breakpoint_after(at);
                let bound = profile.max_rate_between(at, boundary) * factor;
                let stretch = (boundary - from) as f64;
                let candidate = if bound > 0.0 {
                    offset + random::exponential(&mut state.stream) * 1e9 / bound
                } else {
                    f64::INFINITY
                };
                if candidate >= stretch {
                    if boundary == u64::MAX {
                        state.arrival_scheduled = false;
                        return;
                    }
                    from = boundary;
                    offset = 0.0;
                    continue;
                }
                offset = candidate;
                if from as f64 + offset >= u64::MAX as f64 / 2.0 {
                    state.arrival_scheduled = false;
                    return;
                }
                let rate = profile.rate_at(from.saturating_add(offset as u64)) * factor;
                if rate >= bound || random::unit(&mut state.stream) * bound < rate {
                    break;
                }
            }
            // The loop above returned unless the arrival is before 2^63 ns.
            from.saturating_add(random::round_non_negative(offset))
        } else {
            let rate = profile.rate_at(now) * factor;
            if rate <= 0.0 {
                // Wait for the profile's next change, if any.
                state.arrival_scheduled = false;
                if let Some(change) = profile.next_change_after(now) {
                    let generation = state.arrival_generation;
                    self.events
                        .push(change, Event::Arrival { client, generation });
                    state.arrival_scheduled = true;
                }
                return;
            }
            // A rate changed while running can make the gap longer than any horizon.
            now.saturating_add(random::round_non_negative(1e9 / rate).max(1))
        };
        state.arrival_scheduled = true;
        let generation = state.arrival_generation;
        self.events
            .push(next, Event::Arrival { client, generation });
    }

    /// Schedules the next arrival of a Poisson client whose profile has no changes: one
    /// exponential gap at its rate.
    #[inline(always)]
    fn schedule_steady_arrival(&mut self, client: u32) {
        let state = &mut self.clients[client as usize];
        if state.max_rate <= 0.0 {
            state.arrival_scheduled = false;
            return;
        }
        let t = self.now_ns as f64 + random::exponential(&mut state.stream) * state.ns_per_draw;
        if t >= u64::MAX as f64 / 2.0 {
            state.arrival_scheduled = false;
            return;
        }
        state.arrival_scheduled = true;
        let generation = state.arrival_generation;
        self.events.push(
            random::round_below_2_pow_63(t),
            Event::Arrival { client, generation },
        );
    }

    pub(super) fn on_arrival(&mut self, client: u32) {
        let steady = matches!(
            &self.model.clients[client as usize].workload,
            WorkloadModel::Open { poisson: true, profile } if profile.changes.is_empty()
        );
        if steady {
            self.issue(client);
            self.schedule_steady_arrival(client);
            return;
        }
        // A client whose rate never changes has an arrival scheduled only while its rate
        // is above zero, see `schedule_arrival`.
        let is_rate_zero = matches!(
            &self.model.clients[client as usize].workload,
            WorkloadModel::Open { profile, .. } if !profile.changes.is_empty()
                && profile.rate_at(self.now_ns) * self.clients[client as usize].rate_factor <= 0.0
        );
        if !is_rate_zero {
            self.issue(client);
        }
        self.schedule_arrival(client);
    }

    /// Sends a new request from `client`.
    #[inline(always)]
    pub(super) fn issue(&mut self, client: u32) {
        let model = &self.model.clients[client as usize];
        let (target, edge, policy, bulkhead) =
            (model.target, model.edge, model.policy, model.bulkhead);
        if self.clients[client as usize].edge_mirrored {
            self.start_plain_call(client, target, edge, policy);
            return;
        }
        self.metrics
            .arrive(self.layout.clients + client, self.now_ns);
        self.start_call(
            Caller::Client { client },
            Target::Operation(target),
            edge,
            policy,
            bulkhead,
            (u64::MAX, 0),
        );
    }

    /// Starts a call of a client whose edge mirrors it, see
    /// [`Simulation::mirror_client_edges`]. Such a call has one attempt, no timer, no
    /// deadline, no breaker, bulkhead or budget, so this does what
    /// [`Simulation::start_call`] and [`Simulation::transmit_attempt`] do for it,
    /// without their checks and without reading the call back.
    #[inline(always)]
    fn start_plain_call(&mut self, client: u32, operation: u32, edge: u32, policy: u32) {
        let now = self.now_ns;
        let handle = self.calls.insert_with(|slot| {
            *slot = Call {
                caller: Caller::Client { client },
                target: Target::Operation(operation),
                edge,
                policy,
                attempt: 1,
                waiting: true,
                started_ns: now,
                attempt_started_ns: now,
                message_id: 0,
                bulkhead: None,
                permit: Permit::None,
                deadline_ns: u64::MAX,
                caller_replica: 0,
                budgeted: false,
                retrying: false,
            };
        });
        // The request arrives at the client and is sent as its first attempt at once.
        self.metrics
            .attempt_arrival(self.layout.clients + client, now, false);
        match self.transmit(edge) {
            None => {}
            Some(0) => self.service_arrive(handle, 1, operation, edge),
            Some(delay) => self.events.push(
                now + delay,
                Event::RequestArrive {
                    call: handle,
                    attempt: 1,
                    target: encode_target(Target::Operation(operation)),
                    edge,
                },
            ),
        }
    }

    /// Changes the rate of an open client to `factor` times its profile, from now on.
    pub fn set_client_rate_factor(&mut self, client: usize, factor: f64) {
        let Some(state) = self.clients.get_mut(client) else {
            return;
        };
        state.rate_factor = factor.max(0.0);
        self.redraw_arrival(client);
    }

    /// Changes the base rate of an open client's profile to `per_sec`, from now on,
    /// keeping its rate factor. A closed client is left as it is.
    pub fn set_client_base_rate(&mut self, client: usize, per_sec: f64) {
        let Some(model) = self.model.clients.get_mut(client) else {
            return;
        };
        if let WorkloadModel::Open { profile, .. } = &mut model.workload {
            profile.base_per_sec = per_sec.max(0.0);
            self.redraw_arrival(client);
        }
    }

    /// Draws the pending arrival of `client` again from now, after a rate change.
    fn redraw_arrival(&mut self, client: usize) {
        let Some(state) = self.clients.get_mut(client) else {
            return;
        };
        if let WorkloadModel::Open { profile, .. } = &self.model.clients[client].workload {
            state.max_rate = profile.max_rate() * state.rate_factor;
            state.ns_per_draw = 1e9 / state.max_rate;
        }
        // The pending arrival was drawn at the old rate: replace it with one drawn from
        // now at the new rate. For Poisson arrivals this is exact, because the process
        // is memoryless; evenly spaced arrivals restart their spacing from now.
        state.arrival_generation = state.arrival_generation.wrapping_add(1);
        state.arrival_scheduled = false;
        self.schedule_arrival(client as u32);
    }
}
