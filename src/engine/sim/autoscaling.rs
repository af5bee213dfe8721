//! Autoscaling of services, as the Kubernetes `HorizontalPodAutoscaler` does it.
//!
//! Every evaluation period, the autoscaler measures the metric over that period on the
//! ready replicas: for `utilization`, busy worker and consumer time over the capacity
//! of the ready replicas; for `queue-depth`, the time-average of waiting requests per
//! ready replica. With `ratio = metric / target`, nothing changes while
//! `|ratio - 1| <= tolerance`; otherwise the desired count is `ceil(ready × ratio)`,
//! clamped to `[min_replicas, max_replicas]`, where `ready` is the mean count of ready
//! replicas over the period, so that a replica that became ready at the end of the
//! period does not multiply a metric measured without it. Replicas that are starting
//! count towards the current count but not towards `ready`, as the
//! `HorizontalPodAutoscaler` counts pods that are not ready yet at 0 % when it scales up.
//!
//! A scale-up adds replicas that become ready after `startup_delay`. A scale-down goes
//! only to the highest count desired over the stabilization window, the evaluations
//! less than `scale_down_stabilization` before this one included. It drops starting
//! replicas first, the newest first; ready replicas that are removed finish what they
//! hold.

use std::collections::VecDeque;

use crate::engine::model::{AutoscalingModel, Model};
use crate::scenario::AutoscalingMetric;

use super::{Event, Simulation};

/// The state of one service's autoscaler.
#[derive(Clone, Debug)]
pub(super) struct Autoscaler {
    service: u32,
    model: AutoscalingModel,
    /// Ready times of the replicas starting, in the order they were added.
    starting: VecDeque<u64>,
    /// Desired counts of the evaluations within the stabilization window, with their
    /// times.
    recommendations: VecDeque<(u64, u32)>,
    /// Integral of the ready replicas from time 0 to `ready_since`, in replica-ns.
    ready_integral: u128,
    ready_since: u64,
    /// Time of the previous evaluation, and the integrals then: ready replicas, busy
    /// workers, and requests in the service.
    last_evaluation_ns: u64,
    last_ready_integral: u128,
    last_busy_integral: i128,
    last_in_flight_integral: i128,
    /// Scale-ups and scale-downs at or after the end of the warm-up.
    scale_ups: u64,
    scale_downs: u64,
    warmup_ns: u64,
    /// Ready replicas at the end of the warm-up, as far as known.
    ready_at_warmup: u32,
    /// Minimum and maximum ready replicas after the end of the warm-up.
    min_ready: u32,
    max_ready: u32,
    /// Replicas of each closed window.
    windows: Vec<ReplicaWindow>,
    /// Ready-replica integral at the end of the last closed window.
    window_start_integral: u128,
    window_start_ns: u64,
}

/// The replicas of an autoscaled service in one window of the time series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicaWindow {
    /// Ready replicas at the end of the window.
    pub ready: u32,
    /// Replicas starting at the end of the window.
    pub starting: u32,
    /// Time-average of the ready replicas over the window.
    pub mean_ready: f64,
}

/// Replica changes of an autoscaler over a run, for the summary.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoscalingCounts {
    /// Scale-ups decided at or after the end of the warm-up.
    pub scale_ups: u64,
    /// Scale-downs decided at or after the end of the warm-up.
    pub scale_downs: u64,
    /// Minimum ready replicas over the measured part of the run.
    pub min_replicas: u32,
    /// Maximum ready replicas over the measured part of the run.
    pub max_replicas: u32,
}

impl Autoscaler {
    /// One autoscaler per autoscaled service of `model`, in service order.
    pub(super) fn for_model(model: &Model, warmup_ns: u64) -> Vec<Self> {
        model
            .services
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let autoscaling = s.autoscaling?;
                Some(Self {
                    service: i as u32,
                    model: autoscaling,
                    starting: VecDeque::new(),
                    recommendations: VecDeque::new(),
                    ready_integral: 0,
                    ready_since: 0,
                    last_evaluation_ns: 0,
                    last_ready_integral: 0,
                    last_busy_integral: 0,
                    last_in_flight_integral: 0,
                    scale_ups: 0,
                    scale_downs: 0,
                    warmup_ns,
                    ready_at_warmup: s.replicas,
                    min_ready: u32::MAX,
                    max_ready: 0,
                    windows: Vec::new(),
                    window_start_integral: 0,
                    window_start_ns: 0,
                })
            })
            .collect()
    }

    /// Records that the ready count is `ready` from `now` on.
    fn note_ready(&mut self, now: u64, ready: u32) {
        if now <= self.warmup_ns {
            self.ready_at_warmup = ready;
        } else {
            self.min_ready = self.min_ready.min(ready);
            self.max_ready = self.max_ready.max(ready);
        }
    }
}

impl Simulation {
    fn autoscaler_index(&self, service: usize) -> Option<usize> {
        self.autoscalers
            .iter()
            .position(|a| a.service as usize == service)
    }

    /// Schedules the first evaluation of every autoscaler.
    pub(super) fn schedule_autoscaling(&mut self) {
        for autoscaler in &self.autoscalers {
            self.events.push(
                autoscaler.model.evaluation_period_ns,
                Event::AutoscaleEvaluate {
                    service: autoscaler.service,
                },
            );
        }
    }

    /// Brings the ready-replica integral of `service`'s autoscaler up to now, before
    /// its count changes.
    pub(super) fn note_replica_change(&mut self, service: usize) {
        if self.autoscalers.is_empty() {
            return;
        }
        let Some(index) = self.autoscaler_index(service) else {
            return;
        };
        let (now, ready) = (self.now_ns, self.services[service].active);
        self.autoscalers[index].ready_integral +=
            u128::from(ready) * u128::from(now - self.autoscalers[index].ready_since);
        self.autoscalers[index].ready_since = now;
    }

    /// Drops the replicas of `service` that are still starting, for a count set from
    /// outside the autoscaler.
    pub(super) fn cancel_starting_replicas(&mut self, service: usize) {
        if let Some(index) = self.autoscaler_index(service) {
            self.autoscalers[index].starting.clear();
        }
    }

    /// Records the ready count of `service` after a change, for the summary.
    pub(super) fn note_ready_count(&mut self, service: usize) {
        if self.autoscalers.is_empty() {
            return;
        }
        if let Some(index) = self.autoscaler_index(service) {
            let (now, ready) = (self.now_ns, self.services[service].active);
            self.autoscalers[index].note_ready(now, ready);
        }
    }

    /// Changes the ready count of an autoscaled service and records it.
    fn set_ready(&mut self, index: usize, ready: u32) {
        let service = self.autoscalers[index].service as usize;
        self.resize(service, ready);
        self.note_ready_count(service);
    }

    pub(super) fn evaluate_autoscaler(&mut self, service: u32) {
        let Some(index) = self.autoscaler_index(service as usize) else {
            return;
        };
        let now = self.now_ns;
        let model = self.autoscalers[index].model;
        self.events.push(
            now.saturating_add(model.evaluation_period_ns),
            Event::AutoscaleEvaluate { service },
        );
        let ready = self.services[service as usize].active;
        let starting = self.autoscalers[index].starting.len() as u32;
        let current = ready + starting;
        let desired = match self.measure(index) {
            Some((metric, mean_ready)) => {
                let ratio = metric / model.target;
                if (ratio - 1.0).abs() <= model.tolerance {
                    current
                } else {
                    let wanted = (mean_ready * ratio).ceil();
                    wanted.min(f64::from(model.max_replicas)) as u32
                }
            }
            // No ready replica was measured over the period: keep the count.
            None => current,
        };
        let desired = desired.clamp(model.min_replicas, model.max_replicas);
        let autoscaler = &mut self.autoscalers[index];
        autoscaler.recommendations.push_back((now, desired));
        while let Some(&(time, _)) = autoscaler.recommendations.front() {
            if time.saturating_add(model.scale_down_stabilization_ns) > now {
                break;
            }
            autoscaler.recommendations.pop_front();
        }
        let measured = now >= autoscaler.warmup_ns;
        if desired > current {
            if measured {
                autoscaler.scale_ups += 1;
            }
            self.add_replicas(index, desired - current);
            return;
        }
        let stabilized = autoscaler
            .recommendations
            .iter()
            .map(|&(_, count)| count)
            .max()
            .unwrap_or(desired);
        if stabilized < current {
            if measured {
                autoscaler.scale_downs += 1;
            }
            self.remove_replicas(index, current - stabilized);
        }
    }

    /// Returns the metric over the period since the previous evaluation and the mean
    /// number of ready replicas over it, or `None` when no replica was ready during it.
    fn measure(&mut self, index: usize) -> Option<(f64, f64)> {
        let service = self.autoscalers[index].service as usize;
        self.note_replica_change(service);
        let now = self.now_ns;
        let layout = self.layout;
        let mut busy: i128 = 0;
        for (operation, model) in self.model.operations.iter().enumerate() {
            if model.service as usize == service {
                let stats = &self.metrics.stats[layout.operations as usize + operation];
                busy = busy.wrapping_add(stats.busy.integral_at(now));
            }
        }
        let in_flight = self
            .metrics
            .in_flight_of(layout.services as usize + service)
            .integral_at(now);
        let autoscaler = &mut self.autoscalers[index];
        let ready_time = autoscaler.ready_integral - autoscaler.last_ready_integral;
        let busy_time = busy.wrapping_sub(autoscaler.last_busy_integral);
        let in_service_time = in_flight.wrapping_sub(autoscaler.last_in_flight_integral);
        autoscaler.last_ready_integral = autoscaler.ready_integral;
        autoscaler.last_busy_integral = busy;
        autoscaler.last_in_flight_integral = in_flight;
        let period = now - autoscaler.last_evaluation_ns;
        autoscaler.last_evaluation_ns = now;
        if ready_time == 0 || period == 0 {
            return None;
        }
        let mean_ready = ready_time as f64 / period as f64;
        let metric = match autoscaler.model.metric {
            // NOTE: replicas removed by a scale-down still count their busy time until
            // they finish what they hold, but not their capacity, so the first period
            // after a scale-down can overstate utilization.
            AutoscalingMetric::Utilization => {
                let model = &self.model.services[service];
                let slots = f64::from(model.workers) + f64::from(model.consumer_slots);
                busy_time as f64 / (ready_time as f64 * slots)
            }
            // Requests in the service are those waiting and those being served, which
            // hold a worker or consumer each.
            AutoscalingMetric::QueueDepth => {
                (in_service_time - busy_time).max(0) as f64 / ready_time as f64
            }
        };
        Some((metric, mean_ready))
    }

    fn add_replicas(&mut self, index: usize, count: u32) {
        let now = self.now_ns;
        let delay = self.autoscalers[index].model.startup_delay_ns;
        let service = self.autoscalers[index].service;
        if delay == 0 {
            let ready = self.services[service as usize].active + count;
            self.set_ready(index, ready);
            return;
        }
        let ready_at = now.saturating_add(delay);
        for _ in 0..count {
            self.autoscalers[index].starting.push_back(ready_at);
            self.events.push(ready_at, Event::ReplicaReady { service });
        }
    }

    fn remove_replicas(&mut self, index: usize, count: u32) {
        let mut left = count;
        while left > 0 && self.autoscalers[index].starting.pop_back().is_some() {
            left -= 1;
        }
        if left > 0 {
            let service = self.autoscalers[index].service as usize;
            let ready = self.services[service].active.saturating_sub(left).max(1);
            self.set_ready(index, ready);
        }
    }

    /// Makes one starting replica ready, unless it was cancelled: the replica that this
    /// event belongs to is the first one starting and is due now.
    pub(super) fn replica_ready(&mut self, service: u32) {
        let Some(index) = self.autoscaler_index(service as usize) else {
            return;
        };
        let now = self.now_ns;
        if self.autoscalers[index].starting.front() != Some(&now) {
            return;
        }
        self.autoscalers[index].starting.pop_front();
        let ready = self.services[service as usize].active + 1;
        self.set_ready(index, ready);
    }

    /// Records the replicas of every autoscaled service in the window that closed now.
    pub(super) fn record_replica_windows(&mut self) {
        let now = self
            .now_ns
            .max(self.metrics.window_end_ns - self.metrics.window_ns);
        for autoscaler in &mut self.autoscalers {
            let ready = self.services[autoscaler.service as usize].active;
            let integral = autoscaler.ready_integral
                + u128::from(ready) * u128::from(now - autoscaler.ready_since);
            let length = now - autoscaler.window_start_ns;
            let mean_ready = if length == 0 {
                f64::from(ready)
            } else {
                (integral - autoscaler.window_start_integral) as f64 / length as f64
            };
            autoscaler.windows.push(ReplicaWindow {
                ready,
                starting: autoscaler.starting.len() as u32,
                mean_ready,
            });
            autoscaler.window_start_integral = integral;
            autoscaler.window_start_ns = now;
        }
    }

    /// Returns whether `service` has an autoscaler.
    #[must_use]
    pub fn is_autoscaled(&self, service: usize) -> bool {
        self.autoscaler_index(service).is_some()
    }

    /// Returns the replicas of `service` that are starting and receive no work yet, or 0
    /// for a service without an autoscaler.
    #[must_use]
    pub fn starting_replicas(&self, service: usize) -> u32 {
        self.autoscaler_index(service)
            .map_or(0, |i| self.autoscalers[i].starting.len() as u32)
    }

    /// Returns the replicas of an autoscaled `service` in each closed window, or `None` for a
    /// service without an autoscaler.
    #[must_use]
    pub fn replica_windows(&self, service: usize) -> Option<&[ReplicaWindow]> {
        self.autoscaler_index(service)
            .map(|i| self.autoscalers[i].windows.as_slice())
    }

    /// Returns the replica changes of `service`'s autoscaler over the measured part of
    /// the run, or `None` for a service without an autoscaler.
    #[must_use]
    pub fn autoscaling_counts(&self, service: usize) -> Option<AutoscalingCounts> {
        let autoscaler = &self.autoscalers[self.autoscaler_index(service)?];
        let at_warmup = autoscaler.ready_at_warmup;
        Some(AutoscalingCounts {
            scale_ups: autoscaler.scale_ups,
            scale_downs: autoscaler.scale_downs,
            min_replicas: autoscaler.min_ready.min(at_warmup),
            max_replicas: autoscaler.max_ready.max(at_warmup),
        })
    }
}
