//! Circuit breakers on the attempts of synchronous calls, with the state machine of
//! resilience4j 2.x's `CircuitBreakerStateMachine`.
//!
//! A breaker is closed, open or half-open. Closed, it lets every attempt through and
//! records each outcome in a sliding window. Once the window contains at least the
//! minimum number of calls, a failure rate or slow-call rate at or above its threshold opens it.
//! Open, it rejects every attempt with [`ErrorKind::CircuitOpen`] until the wait
//! duration has passed; the first attempt after that moves it to half-open, as
//! resilience4j does without `automaticTransitionFromOpenToHalfOpenEnabled`. Half-open,
//! it lets a fixed number of attempts through and rejects the others; when that many
//! outcomes are recorded, their rates open it again or close it.
//!
//! Each call site with a breaker has one breaker per replica of the calling service,
//! because each process keeps its own resilience4j registry; a client is one caller.

use std::collections::VecDeque;

use crate::metrics::recorder::ErrorKind;
use crate::scenario::{self, SlidingWindowType};

use super::{Caller, Simulation};

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A call site with a circuit breaker.
#[derive(Clone, Debug)]
pub struct BreakerModel {
    /// The call site's path in the scenario, such as `clients.users` or
    /// `services.api.operations.get.steps[0]`.
    pub site: String,
    /// The edge its attempts travel on.
    pub edge: u32,
    /// Its settings.
    pub config: BreakerConfig,
}

impl BreakerModel {
    /// Compiles the breaker of the call site `site` on `edge`, with resilience4j's
    /// defaults for the keys that the scenario leaves out.
    #[must_use]
    pub fn new(breaker: &scenario::CircuitBreaker, edge: u32, site: String) -> Self {
        use scenario::breaker::{
            DEFAULT_FAILURE_RATE_THRESHOLD, DEFAULT_MINIMUM_NUMBER_OF_CALLS,
            DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE, DEFAULT_SLOW_CALL_DURATION_THRESHOLD,
            DEFAULT_SLOW_CALL_RATE_THRESHOLD, DEFAULT_WAIT_DURATION_IN_OPEN_STATE,
        };
        let window_size = breaker.window_size().max(1);
        let minimum = u64::from(
            breaker
                .minimum_number_of_calls
                .unwrap_or(DEFAULT_MINIMUM_NUMBER_OF_CALLS)
                .max(1),
        );
        let window = match breaker.sliding_window_type {
            SlidingWindowType::CountBased => WindowKind::Count(window_size),
            SlidingWindowType::TimeBased => WindowKind::Time(window_size),
        };
        // resilience4j 2.x caps the minimum of a count-based window at its size, so that
        // a small window can still open the breaker.
        let minimum_calls = match window {
            WindowKind::Count(calls) => minimum.min(calls),
            WindowKind::Time(_) => minimum,
        };
        let config = BreakerConfig {
            window,
            minimum_calls,
            failure_rate_threshold: breaker
                .failure_rate_threshold
                .unwrap_or(DEFAULT_FAILURE_RATE_THRESHOLD),
            slow_call_rate_threshold: breaker
                .slow_call_rate_threshold
                .unwrap_or(DEFAULT_SLOW_CALL_RATE_THRESHOLD),
            slow_call_ns: breaker
                .slow_call_duration_threshold
                .unwrap_or(DEFAULT_SLOW_CALL_DURATION_THRESHOLD)
                .as_nanos(),
            wait_ns: breaker
                .wait_duration_in_open_state
                .unwrap_or(DEFAULT_WAIT_DURATION_IN_OPEN_STATE)
                .as_nanos(),
            half_open_calls: breaker
                .permitted_number_of_calls_in_half_open_state
                .unwrap_or(DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE)
                .max(1),
        };
        Self { site, edge, config }
    }
}

/// The settings of a breaker, with defaults applied.
#[derive(Clone, Copy, Debug)]
pub struct BreakerConfig {
    /// The sliding window of the closed state.
    pub window: WindowKind,
    /// Calls in the window before the rates are evaluated.
    pub minimum_calls: u64,
    /// Failure rate, percent, that opens the breaker.
    pub failure_rate_threshold: f64,
    /// Slow-call rate, percent, that opens the breaker.
    pub slow_call_rate_threshold: f64,
    /// A call that took longer than this is slow, ns.
    pub slow_call_ns: u64,
    /// Time from opening to the first attempt let through, ns.
    pub wait_ns: u64,
    /// Attempts let through in the half-open state.
    pub half_open_calls: u32,
}

/// The kind and size of a sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    /// The last N calls.
    Count(u64),
    /// The calls that ended in the last N whole seconds of simulated time, the current
    /// second included.
    Time(u64),
}

/// The state of a circuit breaker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BreakerState {
    /// Every attempt goes through.
    #[default]
    Closed,
    /// Every attempt is rejected.
    Open,
    /// A few attempts go through to probe the target.
    HalfOpen,
}

impl BreakerState {
    /// Returns the name used in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// Calls recorded, and how many of them failed or were slow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Outcomes {
    calls: u64,
    failures: u64,
    slow: u64,
}

impl Outcomes {
    fn add(&mut self, failed: bool, slow: bool) {
        self.calls += 1;
        self.failures += u64::from(failed);
        self.slow += u64::from(slow);
    }

    fn remove(&mut self, other: Outcomes) {
        self.calls -= other.calls;
        self.failures -= other.failures;
        self.slow -= other.slow;
    }

    /// Whether, with at least `minimum` calls, either rate reaches its threshold, as
    /// resilience4j's `CircuitBreakerMetrics.checkIfThresholdsExceeded` decides.
    fn exceeds(&self, config: &BreakerConfig, minimum: u64) -> Option<bool> {
        if self.calls == 0 || self.calls < minimum {
            return None;
        }
        // The rates compare as failures × 100 / calls ≥ threshold, without the division.
        let calls = self.calls as f64;
        let failing = self.failures as f64 * 100.0 >= config.failure_rate_threshold * calls;
        let slow = self.slow as f64 * 100.0 >= config.slow_call_rate_threshold * calls;
        Some(failing || slow)
    }
}

/// The closed state's window of recent outcomes.
#[derive(Clone, Debug)]
enum Window {
    /// One entry per call, oldest first: bit 0 failed, bit 1 slow.
    Count(VecDeque<u8>),
    /// One bucket per second of simulated time in which calls ended, oldest first.
    Time(VecDeque<(u64, Outcomes)>),
}

/// Counters of one breaker over the measured part of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BreakerStats {
    /// Transitions to the open state, from closed or half-open.
    pub transitions_to_open: u64,
    /// Attempts rejected without being sent.
    pub calls_not_permitted: u64,
    /// Time spent open, ns.
    pub open_ns: u64,
    /// Time spent half-open, ns.
    pub half_open_ns: u64,
}

/// One time-series window of one breaker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BreakerWindow {
    /// Time spent open in the window, ns.
    pub open_ns: u64,
    /// Time spent half-open in the window, ns.
    pub half_open_ns: u64,
    /// The state at the end of the window.
    pub state: BreakerState,
}

/// The breaker of one call site in one calling replica.
#[derive(Clone, Debug)]
pub struct Breaker {
    state: BreakerState,
    window: Window,
    /// Outcomes in `window`.
    totals: Outcomes,
    /// Outcomes recorded since the breaker became half-open.
    probes: Outcomes,
    /// Attempts still allowed in the half-open state.
    permits_left: u32,
    /// When an open breaker lets the next attempt through, ns.
    retry_at_ns: u64,
    /// Time up to which the state's time has been added to the counters, ns.
    accounted_ns: u64,
    window_open_ns: u64,
    window_half_open_ns: u64,
    stats: BreakerStats,
    series: Vec<BreakerWindow>,
}

impl Breaker {
    /// Creates a closed breaker with an empty window at time `now`.
    #[must_use]
    pub fn new(config: &BreakerConfig, now: u64) -> Self {
        Self {
            state: BreakerState::Closed,
            window: empty_window(config),
            totals: Outcomes::default(),
            probes: Outcomes::default(),
            permits_left: 0,
            retry_at_ns: 0,
            accounted_ns: now,
            window_open_ns: 0,
            window_half_open_ns: 0,
            stats: BreakerStats::default(),
            series: Vec::new(),
        }
    }

    /// Returns the current state. An open breaker whose wait has passed stays open until the
    /// next attempt moves it to half-open.
    #[must_use]
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Returns the closed windows of the time series.
    #[must_use]
    pub fn series(&self) -> &[BreakerWindow] {
        &self.series
    }

    /// Returns the counters of the measured run up to `now`, the time in the current state
    /// included.
    #[must_use]
    pub fn stats_at(&self, now: u64, warmup_ns: u64) -> BreakerStats {
        let mut stats = self.stats;
        let measured = measured_span(self.accounted_ns, now, warmup_ns);
        match self.state {
            BreakerState::Open => stats.open_ns += measured,
            BreakerState::HalfOpen => stats.half_open_ns += measured,
            BreakerState::Closed => {}
        }
        stats
    }

    /// Decides whether an attempt at `now` may go through, as resilience4j's
    /// `tryAcquirePermission` does. A rejected attempt is counted here.
    pub fn try_acquire(&mut self, config: &BreakerConfig, now: u64, warmup_ns: u64) -> bool {
        match self.state {
            BreakerState::Closed => return true,
            BreakerState::Open if now >= self.retry_at_ns => {
                self.transition(BreakerState::HalfOpen, config, now, warmup_ns);
                self.permits_left = config.half_open_calls;
            }
            BreakerState::Open | BreakerState::HalfOpen => {}
        }
        if self.state == BreakerState::HalfOpen && self.permits_left > 0 {
            self.permits_left -= 1;
            return true;
        }
        if now >= warmup_ns {
            self.stats.calls_not_permitted += 1;
        }
        false
    }

    /// Records the outcome of an attempt that took `duration_ns`. As in resilience4j, the
    /// outcome goes to the state the breaker is in when it ends: an open breaker ignores
    /// it, and a half-open one counts it as a probe even if it was let through earlier.
    pub fn record(
        &mut self,
        config: &BreakerConfig,
        now: u64,
        warmup_ns: u64,
        duration_ns: u64,
        failed: bool,
    ) {
        let slow = duration_ns > config.slow_call_ns;
        match self.state {
            BreakerState::Open => {}
            BreakerState::Closed => {
                self.push(config, now, failed, slow);
                if self.totals.exceeds(config, config.minimum_calls) == Some(true) {
                    self.open(config, now, warmup_ns);
                }
            }
            BreakerState::HalfOpen => {
                self.probes.add(failed, slow);
                // resilience4j evaluates the half-open state over a count-based window
                // of the permitted calls, with that many as its minimum.
                let minimum = u64::from(config.half_open_calls);
                match self.probes.exceeds(config, minimum) {
                    Some(true) => self.open(config, now, warmup_ns),
                    Some(false) => {
                        self.transition(BreakerState::Closed, config, now, warmup_ns);
                    }
                    None => {}
                }
            }
        }
    }

    /// Adds an outcome to the closed state's window, dropping what falls out of it.
    fn push(&mut self, config: &BreakerConfig, now: u64, failed: bool, slow: bool) {
        match (&mut self.window, config.window) {
            (Window::Count(ring), WindowKind::Count(size)) => {
                if ring.len() as u64 >= size
                    && let Some(oldest) = ring.pop_front()
                {
                    self.totals.remove(Outcomes {
                        calls: 1,
                        failures: u64::from(oldest & 1),
                        slow: u64::from(oldest >> 1),
                    });
                }
                ring.push_back(u8::from(failed) | (u8::from(slow) << 1));
            }
            (Window::Time(buckets), WindowKind::Time(seconds)) => {
                let second = now / NANOS_PER_SEC;
                while let Some(&(start, outcomes)) = buckets.front() {
                    if start.saturating_add(seconds) > second {
                        break;
                    }
                    self.totals.remove(outcomes);
                    buckets.pop_front();
                }
                match buckets.back_mut() {
                    Some((start, outcomes)) if *start == second => outcomes.add(failed, slow),
                    _ => {
                        let mut outcomes = Outcomes::default();
                        outcomes.add(failed, slow);
                        buckets.push_back((second, outcomes));
                    }
                }
            }
            // The window is built from the same configuration, so the kinds match.
            _ => return,
        }
        self.totals.add(failed, slow);
    }

    fn open(&mut self, config: &BreakerConfig, now: u64, warmup_ns: u64) {
        self.transition(BreakerState::Open, config, now, warmup_ns);
        self.retry_at_ns = now.saturating_add(config.wait_ns);
        if now >= warmup_ns {
            self.stats.transitions_to_open += 1;
        }
    }

    /// Moves to `state` at `now`, with fresh counts for it, as each state of
    /// resilience4j's state machine starts with new metrics.
    fn transition(
        &mut self,
        state: BreakerState,
        config: &BreakerConfig,
        now: u64,
        warmup_ns: u64,
    ) {
        self.account(now, warmup_ns);
        self.state = state;
        match state {
            BreakerState::Closed => {
                self.window = empty_window(config);
                self.totals = Outcomes::default();
            }
            BreakerState::HalfOpen => self.probes = Outcomes::default(),
            BreakerState::Open => {}
        }
    }

    /// Adds the time in the current state up to `now` to the window's and the run's
    /// counters.
    fn account(&mut self, now: u64, warmup_ns: u64) {
        let span = now.saturating_sub(self.accounted_ns);
        let measured = measured_span(self.accounted_ns, now, warmup_ns);
        match self.state {
            BreakerState::Open => {
                self.window_open_ns += span;
                self.stats.open_ns += measured;
            }
            BreakerState::HalfOpen => {
                self.window_half_open_ns += span;
                self.stats.half_open_ns += measured;
            }
            BreakerState::Closed => {}
        }
        self.accounted_ns = self.accounted_ns.max(now);
    }

    /// Closes the time-series window that ends at `end`.
    pub fn close_window(&mut self, end: u64, warmup_ns: u64) {
        self.account(end, warmup_ns);
        self.series.push(BreakerWindow {
            open_ns: self.window_open_ns,
            half_open_ns: self.window_half_open_ns,
            state: self.state,
        });
        self.window_open_ns = 0;
        self.window_half_open_ns = 0;
    }
}

fn empty_window(config: &BreakerConfig) -> Window {
    match config.window {
        WindowKind::Count(_) => Window::Count(VecDeque::new()),
        WindowKind::Time(_) => Window::Time(VecDeque::new()),
    }
}

/// Returns the length of the part of [from, to) at or after the warm-up, ns.
fn measured_span(from: u64, to: u64, warmup_ns: u64) -> u64 {
    to.saturating_sub(from.max(warmup_ns))
}

impl Simulation {
    /// Creates the breakers of each call site with one, one per calling replica.
    pub(super) fn new_breakers(model: &crate::engine::Model) -> Vec<Vec<Breaker>> {
        model
            .breakers
            .iter()
            .map(|site| {
                let callers = match model.edges[site.edge as usize].from {
                    crate::engine::model::NodeRef::Service(service) => {
                        model.services[service as usize].replicas
                    }
                    _ => 1,
                };
                (0..callers)
                    .map(|_| Breaker::new(&site.config, 0))
                    .collect()
            })
            .collect()
    }

    /// Returns the breaker of `site` in the replica of `caller`, and creates it when the
    /// caller is a replica added while running.
    fn breaker_mut(&mut self, site: u32, caller: Caller) -> &mut Breaker {
        let replica = self.caller_replica(caller) as usize;
        let now = self.now_ns;
        let config = self.model.breakers[site as usize].config;
        let breakers = &mut self.breakers[site as usize];
        if breakers.len() <= replica {
            breakers.resize_with(replica + 1, || Breaker::new(&config, now));
        }
        &mut breakers[replica]
    }

    /// Returns whether the breaker of `site` lets an attempt of `caller` through now.
    pub(super) fn breaker_permits(&mut self, site: u32, caller: Caller) -> bool {
        let (now, warmup) = (self.now_ns, self.options.warmup_ns);
        let config = self.model.breakers[site as usize].config;
        self.breaker_mut(site, caller)
            .try_acquire(&config, now, warmup)
    }

    /// Records the outcome of an attempt of `caller` at `site` that started at
    /// `started_ns`. Every error counts as a failure; a rejection by a breaker is never
    /// recorded, because the attempt was not sent.
    pub(super) fn breaker_record(
        &mut self,
        site: u32,
        caller: Caller,
        started_ns: u64,
        outcome: Result<(), ErrorKind>,
    ) {
        let (now, warmup) = (self.now_ns, self.options.warmup_ns);
        let config = self.model.breakers[site as usize].config;
        self.breaker_mut(site, caller).record(
            &config,
            now,
            warmup,
            now.saturating_sub(started_ns),
            outcome.is_err(),
        );
    }

    /// Closes the time-series window of every breaker at `end`.
    pub(super) fn close_breaker_windows(&mut self, end: u64) {
        let warmup = self.options.warmup_ns;
        for breaker in self.breakers.iter_mut().flatten() {
            breaker.close_window(end, warmup);
        }
    }

    /// Returns the breakers of the call site `site`, an index into the model's
    /// `breakers`, one per calling replica in replica order. A live view reads their state.
    #[must_use]
    pub fn site_breakers(&self, site: usize) -> &[Breaker] {
        self.breakers.get(site).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(window: WindowKind, minimum_calls: u64) -> BreakerConfig {
        BreakerConfig {
            window,
            minimum_calls,
            failure_rate_threshold: 50.0,
            slow_call_rate_threshold: 100.0,
            slow_call_ns: 1_000,
            wait_ns: 100,
            half_open_calls: 2,
        }
    }

    #[test]
    fn count_window_opens_at_threshold() {
        let config = config(WindowKind::Count(4), 4);
        let mut breaker = Breaker::new(&config, 0);
        for (t, failed) in [(1, false), (2, true), (3, false)] {
            breaker.record(&config, t, 0, 10, failed);
            assert_eq!(
                breaker.state(),
                BreakerState::Closed,
                "after the call at {t}"
            );
        }
        // The fourth call meets the minimum with 2 failures in 4: 50 %.
        breaker.record(&config, 4, 0, 10, true);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.try_acquire(&config, 103, 0));
        assert!(breaker.try_acquire(&config, 104, 0));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        let stats = breaker.stats_at(104, 0);
        assert_eq!(stats.transitions_to_open, 1);
        assert_eq!(stats.calls_not_permitted, 1);
        assert_eq!(stats.open_ns, 100);
    }

    #[test]
    fn time_window_drops_old_seconds() {
        let config = config(WindowKind::Time(2), 2);
        let mut breaker = Breaker::new(&config, 0);
        breaker.record(&config, 0, 0, 10, true);
        // Two seconds later the failure at 0 s is out of the window: 1 failure in 2
        // calls would open it, 1 success alone does not.
        breaker.record(&config, 2 * NANOS_PER_SEC, 0, 10, false);
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.record(&config, 2 * NANOS_PER_SEC + 1, 0, 10, true);
        assert_eq!(breaker.state(), BreakerState::Open);
    }

    #[test]
    fn window_series_splits_time_by_state() {
        let config = config(WindowKind::Count(1), 1);
        let mut breaker = Breaker::new(&config, 0);
        breaker.record(&config, 40, 0, 10, true);
        breaker.close_window(100, 0);
        assert!(breaker.try_acquire(&config, 140, 0));
        breaker.close_window(200, 0);
        let series = breaker.series();
        assert_eq!(series[0].open_ns, 60);
        assert_eq!(series[0].state, BreakerState::Open);
        assert_eq!(series[1].open_ns, 40);
        assert_eq!(series[1].half_open_ns, 60);
        assert_eq!(series[1].state, BreakerState::HalfOpen);
    }
}
