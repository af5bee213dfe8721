//! Collection of metrics while a run goes on: counters, gauges integrated over simulated
//! time, and HDR latency histograms, per window and for the whole run.
//!
//! Memory is fixed per entity (two histograms and a few counters) plus one row per
//! closed window; it does not grow with the number of requests.
//!
//! Counting rule for the whole-run summary: a request or message counts if it started
//! (was issued, arrived or was enqueued) at or after the end of the warm-up, and its
//! completion counts with it whenever it happens. Gauges are averaged over
//! [warm-up, horizon). Windows count every event by the time it happens.

use hdrhistogram::Histogram;
use serde::Serialize;

/// The ways a request or message can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No response within the caller's timeout.
    Timeout,
    /// Refused because a queue was full.
    Rejected,
    /// The operation, or one it depends on, failed.
    Failed,
    /// Discarded: a request to a service in a timeout-mode outage, or a message pushed
    /// out of a full queue.
    Dropped,
    /// A message moved to the dead-letter queue after its last delivery failed.
    DeadLettered,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 5] = [
        ErrorKind::Timeout,
        ErrorKind::Rejected,
        ErrorKind::Failed,
        ErrorKind::Dropped,
        ErrorKind::DeadLettered,
    ];

    /// The name used in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Failed => "failed",
            ErrorKind::Dropped => "dropped",
            ErrorKind::DeadLettered => "dead_lettered",
        }
    }
}

/// Counters of one window or of the whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    /// Requests or messages that arrived.
    pub offered: u64,
    /// Those that ended, successfully or not.
    pub completed: u64,
    /// Those that ended successfully.
    pub successes: u64,
    /// Failures, by [`ErrorKind`] in the order of [`ErrorKind::ALL`].
    pub errors: [u64; 5],
    /// Attempts sent, the first ones included.
    pub attempts: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Messages lost on the network.
    pub lost: u64,
    /// Responses that arrived after their caller had given up.
    pub late: u64,
    /// Sum of the times from start to end of every completed request, in ns.
    pub sojourn_sum_ns: u128,
    /// Sum of the times of the successful ones, in ns.
    pub success_sum_ns: u128,
}

impl Counts {
    /// Failures of all kinds.
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.errors.iter().sum()
    }
}

/// A level that changes over time, with its integral over the current window and over
/// the measured part of the run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gauge {
    value: i64,
    last_ns: u64,
    window_integral: f64,
    window_max: i64,
    total_integral: f64,
    total_max: i64,
}

impl Gauge {
    fn advance(&mut self, now: u64, warmup_ns: u64) {
        if now <= self.last_ns {
            return;
        }
        let level = self.value as f64;
        self.window_integral += level * (now - self.last_ns) as f64;
        if self.last_ns < warmup_ns && now >= warmup_ns {
            // The level at the end of the warm-up counts towards the measured maximum.
            self.total_max = self.total_max.max(self.value);
        }
        if now > warmup_ns {
            let from = self.last_ns.max(warmup_ns);
            self.total_integral += level * (now - from) as f64;
        }
        self.last_ns = now;
    }

    fn change(&mut self, now: u64, warmup_ns: u64, delta: i64) {
        self.advance(now, warmup_ns);
        self.value += delta;
        self.window_max = self.window_max.max(self.value);
        if now >= warmup_ns {
            self.total_max = self.total_max.max(self.value);
        }
    }

    /// The current level.
    #[must_use]
    pub fn value(&self) -> i64 {
        self.value
    }
}

/// One closed window of one entity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Window {
    /// Start of the window, simulated ns.
    pub start_ns: u64,
    /// Counters of the window.
    #[serde(skip)]
    pub counts: Counts,
    /// Latency percentiles of the successes that ended in the window, in ns.
    pub p50_ns: u64,
    /// 95th percentile, ns.
    pub p95_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// Maximum, ns.
    pub max_ns: u64,
    /// Time-average of requests in flight (for queues: messages queued).
    pub mean_in_flight: f64,
    /// Maximum of requests in flight.
    pub max_in_flight: i64,
    /// Time-average of busy workers or consumers.
    pub mean_busy: f64,
    /// Age of the oldest queued message at the end of the window, ns (queues only).
    pub oldest_age_ns: u64,
}

/// Everything recorded for one entity.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Counters of the open window.
    pub window: Counts,
    /// Counters of the measured part of the run.
    pub total: Counts,
    window_latency: Histogram<u64>,
    total_latency: Histogram<u64>,
    /// Requests in flight, or messages queued.
    pub in_flight: Gauge,
    /// Busy workers or consumers.
    pub busy: Gauge,
    /// Maximum age of the oldest queued message over the measured run, ns.
    pub max_oldest_age_ns: u64,
    /// Closed windows, in time order.
    pub series: Vec<Window>,
}

fn histogram(significant_digits: u8) -> Histogram<u64> {
    Histogram::new(significant_digits).expect("1 to 5 significant digits are valid")
}

impl Stats {
    fn new() -> Self {
        Self {
            window: Counts::default(),
            total: Counts::default(),
            // Windows keep two significant digits (1 % resolution) to stay small; the
            // whole-run histogram keeps three (0.1 %), which accuracy tests rely on.
            window_latency: histogram(2),
            total_latency: histogram(3),
            in_flight: Gauge::default(),
            busy: Gauge::default(),
            max_oldest_age_ns: 0,
            series: Vec::new(),
        }
    }

    /// The whole-run latency histogram of successes, in ns.
    #[must_use]
    pub fn latency(&self) -> &Histogram<u64> {
        &self.total_latency
    }

    /// The time-average of requests in flight over the measured run.
    #[must_use]
    pub fn mean_in_flight(&self, measured_ns: u64) -> f64 {
        self.in_flight.total_integral / measured_ns.max(1) as f64
    }

    /// The time-average of busy workers over the measured run.
    #[must_use]
    pub fn mean_busy(&self, measured_ns: u64) -> f64 {
        self.busy.total_integral / measured_ns.max(1) as f64
    }

    /// The largest number in flight during the measured run.
    #[must_use]
    pub fn max_in_flight(&self) -> i64 {
        self.in_flight.total_max
    }
}

/// Metrics of every entity of a run, addressed by a flat index.
#[derive(Clone, Debug)]
pub struct Recorder {
    /// End of the warm-up, ns.
    pub warmup_ns: u64,
    /// Width of a window, ns.
    pub window_ns: u64,
    /// End of the open window, ns.
    pub window_end_ns: u64,
    /// Statistics, one per entity.
    pub stats: Vec<Stats>,
}

/// Index of an entity in a [`Recorder`].
pub type Entity = u32;

impl Recorder {
    /// A recorder for `entities` entities.
    #[must_use]
    pub fn new(entities: usize, warmup_ns: u64, window_ns: u64) -> Self {
        Self {
            warmup_ns,
            window_ns,
            window_end_ns: window_ns,
            stats: (0..entities).map(|_| Stats::new()).collect(),
        }
    }

    #[inline]
    fn measured(&self, started_ns: u64) -> bool {
        started_ns >= self.warmup_ns
    }

    /// Records an arrival at `entity`, which is now in flight.
    #[inline]
    pub fn arrive(&mut self, entity: Entity, now: u64) {
        let measured = self.measured(now);
        let warmup = self.warmup_ns;
        let stats = &mut self.stats[entity as usize];
        stats.window.offered += 1;
        if measured {
            stats.total.offered += 1;
        }
        stats.in_flight.change(now, warmup, 1);
    }

    /// Records the end of a request at `entity` that arrived at `started_ns`.
    #[inline]
    pub fn finish(
        &mut self,
        entity: Entity,
        now: u64,
        started_ns: u64,
        outcome: Result<(), ErrorKind>,
    ) {
        let warmup = self.warmup_ns;
        self.stats[entity as usize]
            .in_flight
            .change(now, warmup, -1);
        self.finish_counts(entity, now, started_ns, outcome);
    }

    /// Records the end of a request or message like [`Recorder::finish`], leaving the
    /// in-flight gauge alone; a queue uses it for messages that already left its depth.
    #[inline]
    pub fn finish_counts(
        &mut self,
        entity: Entity,
        now: u64,
        started_ns: u64,
        outcome: Result<(), ErrorKind>,
    ) {
        let measured = self.measured(started_ns);
        let stats = &mut self.stats[entity as usize];
        let sojourn = now.saturating_sub(started_ns);
        record_end(&mut stats.window, sojourn, outcome);
        if outcome.is_ok() {
            record_latency(&mut stats.window_latency, sojourn);
        }
        if measured {
            record_end(&mut stats.total, sojourn, outcome);
            if outcome.is_ok() {
                record_latency(&mut stats.total_latency, sojourn);
            }
        }
    }

    /// Records a rejection of something that was never in flight, such as a publish to a
    /// full queue.
    pub fn reject(&mut self, entity: Entity, now: u64, kind: ErrorKind) {
        let measured = self.measured(now);
        let stats = &mut self.stats[entity as usize];
        stats.window.errors[kind as usize] += 1;
        if measured {
            stats.total.errors[kind as usize] += 1;
        }
    }

    /// Records an attempt of a request that started at `started_ns`.
    #[inline]
    pub fn attempt(&mut self, entity: Entity, started_ns: u64, retry: bool) {
        let measured = self.measured(started_ns);
        let stats = &mut self.stats[entity as usize];
        stats.window.attempts += 1;
        stats.window.retries += u64::from(retry);
        if measured {
            stats.total.attempts += 1;
            stats.total.retries += u64::from(retry);
        }
    }

    /// Counts a message lost on the network.
    pub fn lost(&mut self, entity: Entity, now: u64) {
        let measured = self.measured(now);
        let stats = &mut self.stats[entity as usize];
        stats.window.lost += 1;
        if measured {
            stats.total.lost += 1;
        }
    }

    /// Counts a response that came after its caller gave up.
    pub fn late(&mut self, entity: Entity, now: u64) {
        let measured = self.measured(now);
        let stats = &mut self.stats[entity as usize];
        stats.window.late += 1;
        if measured {
            stats.total.late += 1;
        }
    }

    /// Changes the number of busy workers or consumers of `entity`.
    #[inline]
    pub fn busy(&mut self, entity: Entity, now: u64, delta: i64) {
        let warmup = self.warmup_ns;
        self.stats[entity as usize].busy.change(now, warmup, delta);
    }

    /// Changes the level of `entity`'s in-flight gauge without counting an arrival or an
    /// end, as for a queue's depth while a message is handled.
    #[inline]
    pub fn level(&mut self, entity: Entity, now: u64, delta: i64) {
        let warmup = self.warmup_ns;
        self.stats[entity as usize]
            .in_flight
            .change(now, warmup, delta);
    }

    /// Closes the open window at `end`, its regular end or the end of the run.
    /// `oldest_age_ns` gives, per entity, the age of its oldest queued message at that
    /// time (0 for entities without a queue).
    pub fn close_window_at(&mut self, end: u64, oldest_age_ns: impl Fn(usize) -> u64) {
        let start = self.window_end_ns - self.window_ns;
        let warmup = self.warmup_ns;
        let window_len = end.saturating_sub(start).max(1) as f64;
        for (i, stats) in self.stats.iter_mut().enumerate() {
            stats.in_flight.advance(end, warmup);
            stats.busy.advance(end, warmup);
            let latency = &stats.window_latency;
            let age = oldest_age_ns(i);
            if end > warmup {
                stats.max_oldest_age_ns = stats.max_oldest_age_ns.max(age);
            }
            let window = Window {
                start_ns: start,
                counts: stats.window,
                p50_ns: latency.value_at_quantile(0.50),
                p95_ns: latency.value_at_quantile(0.95),
                p99_ns: latency.value_at_quantile(0.99),
                max_ns: latency.max(),
                mean_in_flight: stats.in_flight.window_integral / window_len,
                max_in_flight: stats.in_flight.window_max,
                mean_busy: stats.busy.window_integral / window_len,
                oldest_age_ns: age,
            };
            stats.series.push(window);
            stats.window = Counts::default();
            stats.window_latency.reset();
            stats.in_flight.window_integral = 0.0;
            stats.in_flight.window_max = stats.in_flight.value;
            stats.busy.window_integral = 0.0;
            stats.busy.window_max = stats.busy.value;
        }
        self.window_end_ns = end + self.window_ns;
    }

    /// Brings every gauge's integral up to `now`, the end of the run.
    pub fn flush(&mut self, now: u64) {
        let warmup = self.warmup_ns;
        for stats in &mut self.stats {
            stats.in_flight.advance(now, warmup);
            stats.busy.advance(now, warmup);
        }
    }
}

/// Records into an auto-resizing histogram, which grows to fit the value; only if it
/// cannot grow is the value clamped to the histogram's range.
#[inline]
fn record_latency(histogram: &mut Histogram<u64>, value: u64) {
    if histogram.record(value).is_err() {
        histogram.saturating_record(value);
    }
}

#[inline]
fn record_end(counts: &mut Counts, sojourn: u64, outcome: Result<(), ErrorKind>) {
    counts.completed += 1;
    counts.sojourn_sum_ns += u128::from(sojourn);
    match outcome {
        Ok(()) => {
            counts.successes += 1;
            counts.success_sum_ns += u128::from(sojourn);
        }
        Err(kind) => counts.errors[kind as usize] += 1,
    }
}
