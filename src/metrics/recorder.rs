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

use serde::Serialize;

use super::histogram::{LatencyHistogram, WindowHistogram};

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
    /// Refused by an open or half-open circuit breaker, without being sent.
    CircuitOpen,
    /// Refused by a bulkhead whose concurrent calls were all taken.
    BulkheadFull,
    /// Refused by a rate limiter that had no token left.
    RateLimited,
    /// Shed by a service whose inbound queue was past its shedding threshold.
    Shed,
    /// Ended because the request's overall deadline passed.
    DeadlineExceeded,
    /// A message removed because its time to live or the queue's retention passed.
    Expired,
}

/// Number of error kinds.
pub const ERROR_KINDS: usize = 11;

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; ERROR_KINDS] = [
        ErrorKind::Timeout,
        ErrorKind::Rejected,
        ErrorKind::Failed,
        ErrorKind::Dropped,
        ErrorKind::DeadLettered,
        ErrorKind::CircuitOpen,
        ErrorKind::BulkheadFull,
        ErrorKind::RateLimited,
        ErrorKind::Shed,
        ErrorKind::DeadlineExceeded,
        ErrorKind::Expired,
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
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::BulkheadFull => "bulkhead_full",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Shed => "shed",
            ErrorKind::DeadlineExceeded => "deadline_exceeded",
            ErrorKind::Expired => "expired",
        }
    }
}

/// Counters of one window or of the whole run.
///
/// The fields that every request changes come first and fill one cache line; the rest,
/// which change on errors, retries and losses, follow.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(64))]
pub struct Counts {
    /// Sum of the times from start to end of every completed request, in ns.
    pub sojourn_sum_ns: u128,
    /// Sum of the times of the successful ones, in ns.
    pub success_sum_ns: u128,
    /// Requests or messages that arrived.
    pub offered: u64,
    /// Those that ended, successfully or not.
    pub completed: u64,
    /// Those that ended successfully.
    pub successes: u64,
    /// Attempts sent, the first ones included.
    pub attempts: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Messages lost on the network.
    pub lost: u64,
    /// Responses that arrived after their caller had given up.
    pub late: u64,
    /// Retries that a retry budget did not allow.
    pub retries_denied: u64,
    /// Time that workers spent on requests whose caller no longer waited for them when
    /// they ended, in ns.
    pub wasted_ns: u64,
    /// Failures, by [`ErrorKind`] in the order of [`ErrorKind::ALL`].
    pub errors: [u64; ERROR_KINDS],
}

impl Counts {
    /// Adds every counter of `other`.
    pub fn add(&mut self, other: &Counts) {
        self.offered += other.offered;
        self.completed += other.completed;
        self.successes += other.successes;
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        self.attempts += other.attempts;
        self.retries += other.retries;
        self.lost += other.lost;
        self.late += other.late;
        self.sojourn_sum_ns += other.sojourn_sum_ns;
        self.success_sum_ns += other.success_sum_ns;
        self.retries_denied += other.retries_denied;
        self.wasted_ns += other.wasted_ns;
    }

    /// Failures of all kinds.
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.errors.iter().sum()
    }
}

/// A level that changes over time, with its integral over the current window and over
/// the measured part of the run.
///
/// Integrals are exact integers, in level × ns. A change of `delta` at time `t` adds
/// `delta × t` to a running sum. The integral from 0 to any time `T` after the last
/// change is then `level × T` minus that sum, so a change costs two additions, whatever
/// the time since the last one. The sums wrap around, which leaves every integral exact as
/// long as it is below 2^127 in magnitude, as it is for a level below 2^63 held for a
/// run shorter than 2^64 ns.
///
/// A change touches only the fields in the first cache line.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
pub struct Gauge {
    /// Sum of `delta × time` over every change.
    weighted_changes: i128,
    value: i64,
    window_max: i64,
    /// Maximum since the end of the warm-up, or since time 0 while it lasts.
    total_max: i64,
    /// Integral from 0 to the start of the open window.
    window_start_integral: i128,
    /// Integral from 0 to the end of the warm-up, once the measured part has started.
    warmup_integral: i128,
    /// Integral over the measured part of the run, up to the last window close or flush.
    measured_integral: i128,
}

impl Gauge {
    #[inline]
    fn change(&mut self, now: u64, delta: i64) {
        self.value += delta;
        self.weighted_changes = self
            .weighted_changes
            .wrapping_add(i128::from(delta).wrapping_mul(i128::from(now)));
        // Callers pass constant deltas, so once inlined this test costs nothing. A
        // decrease cannot raise a maximum.
        if delta > 0 {
            self.window_max = self.window_max.max(self.value);
            self.total_max = self.total_max.max(self.value);
        }
    }

    /// The integral from 0 to `time_ns`, which must not be before the last change.
    #[must_use]
    pub fn integral_at(&self, time_ns: u64) -> i128 {
        i128::from(self.value)
            .wrapping_mul(i128::from(time_ns))
            .wrapping_sub(self.weighted_changes)
    }

    /// The integral over the open window up to `time_ns`.
    fn window_integral_at(&self, time_ns: u64) -> i128 {
        self.integral_at(time_ns)
            .wrapping_sub(self.window_start_integral)
    }

    /// Starts a new window at `time_ns`.
    fn start_window(&mut self, time_ns: u64) {
        self.window_start_integral = self.integral_at(time_ns);
        self.window_max = self.value;
    }

    /// Starts the measured part of the run at `warmup_ns`. The level then counts
    /// towards the measured maximum.
    fn start_measuring(&mut self, warmup_ns: u64) {
        self.warmup_integral = self.integral_at(warmup_ns);
        self.total_max = self.value.max(0);
    }

    /// Brings the measured integral up to `time_ns`.
    fn update_measured_integral(&mut self, time_ns: u64) {
        self.measured_integral = self.integral_at(time_ns).wrapping_sub(self.warmup_integral);
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
    window_latency: WindowHistogram,
    total_latency: LatencyHistogram,
    /// Requests in flight, or messages queued.
    pub in_flight: Gauge,
    /// Busy workers or consumers.
    pub busy: Gauge,
    /// Whether the measured part of the run has started.
    measuring: bool,
    /// Maximum age of the oldest queued message over the measured run, ns.
    pub max_oldest_age_ns: u64,
    /// Closed windows, in time order.
    pub series: Vec<Window>,
}

impl Stats {
    fn new(warmup_ns: u64) -> Self {
        Self {
            window: Counts::default(),
            total: Counts::default(),
            // Windows keep two significant digits (1 % resolution) to stay small; the
            // whole-run histogram keeps three (0.1 %), which accuracy tests rely on.
            window_latency: WindowHistogram::new(),
            total_latency: LatencyHistogram::new(),
            in_flight: Gauge::default(),
            busy: Gauge::default(),
            measuring: warmup_ns == 0,
            max_oldest_age_ns: 0,
            series: Vec::new(),
        }
    }

    /// Counts a retry, which leaves the line of the counters that every request changes.
    #[cold]
    fn count_retry(&mut self, measured: bool) {
        self.window.retries += 1;
        if measured {
            self.total.retries += 1;
        }
    }

    /// The whole-run latency histogram of successes, in ns.
    #[must_use]
    pub fn latency(&self) -> &LatencyHistogram {
        &self.total_latency
    }

    /// Records the end of a request or message after `sojourn` ns. `measured` is whether
    /// it counts towards the whole run.
    #[expect(
        clippy::inline_always,
        reason = "inlined into each recorder call, which saves a call per request end"
    )]
    #[inline(always)]
    fn record_end(&mut self, measured: bool, sojourn: u64, outcome: Result<(), ErrorKind>) {
        record_end(&mut self.window, sojourn, outcome);
        if measured {
            record_end(&mut self.total, sojourn, outcome);
        }
        if outcome.is_ok() {
            self.window_latency.record(sojourn);
            if measured {
                self.total_latency.record(sojourn);
            }
        }
    }

    /// The time-average of requests in flight over the measured run.
    #[must_use]
    pub fn mean_in_flight(&self, measured_ns: u64) -> f64 {
        self.in_flight.measured_integral as f64 / measured_ns.max(1) as f64
    }

    /// The time-average of busy workers over the measured run.
    #[must_use]
    pub fn mean_busy(&self, measured_ns: u64) -> f64 {
        self.busy.measured_integral as f64 / measured_ns.max(1) as f64
    }

    /// The largest number in flight during the measured run.
    #[must_use]
    pub fn max_in_flight(&self) -> i64 {
        if self.measuring {
            self.in_flight.total_max
        } else {
            0
        }
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
    /// Whether the measured part of the run has started.
    measuring: bool,
    /// Aggregate entities and the contiguous range of members they sum.
    groups: Vec<(usize, std::ops::Range<usize>)>,
    /// For each entity, the entity whose window histogram contains its window latencies:
    /// itself, the single member of an aggregate, or the source of a mirror.
    latency_sources: Vec<usize>,
    /// Entities recorded through another, see [`Recorder::mirror`].
    mirrors: Vec<Mirror>,
    /// For each entity, the entity whose in-flight gauge is current: itself, or the
    /// source of its mirror.
    level_sources: Vec<usize>,
}

/// An entity whose figures are copies of another's.
#[derive(Clone, Copy, Debug)]
struct Mirror {
    /// The entity whose figures are copies.
    copy: usize,
    /// The entity recorded.
    source: usize,
    /// Whether only the in-flight level is copied.
    level_only: bool,
}

/// The statistics of a mirror's source, and its own to copy them into.
fn source_and_target(stats: &mut [Stats], mirror: Mirror) -> (&Stats, &mut Stats) {
    let (source, target) = (mirror.source, mirror.copy);
    if source < target {
        let (head, tail) = stats.split_at_mut(target);
        (&head[source], &mut tail[0])
    } else {
        let (head, tail) = stats.split_at_mut(source);
        (&tail[0], &mut head[target])
    }
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
            stats: (0..entities).map(|_| Stats::new(warmup_ns)).collect(),
            measuring: warmup_ns == 0,
            groups: Vec::new(),
            latency_sources: (0..entities).collect(),
            mirrors: Vec::new(),
            level_sources: (0..entities).collect(),
        }
    }

    /// Makes `mirror` a copy of `source`. The engine calls it for two entities that see
    /// exactly the same requests at the same times with the same outcomes, and then
    /// records only on `source`. Counters, gauges and histograms are copied whenever a
    /// window closes and at the end of the run, and [`Recorder::in_flight_of`] reads the
    /// source's level.
    pub fn mirror(&mut self, mirror: Entity, source: Entity) {
        self.latency_sources[mirror as usize] = source as usize;
        self.level_sources[mirror as usize] = source as usize;
        self.mirrors.push(Mirror {
            copy: mirror as usize,
            source: source as usize,
            level_only: false,
        });
    }

    /// Makes the in-flight level of `mirror` a copy of that of `source`, for an
    /// aggregate whose single member's level changes exactly when its own does. The
    /// engine then changes only the level of `source`.
    pub fn mirror_level(&mut self, mirror: Entity, source: Entity) {
        self.level_sources[mirror as usize] = source as usize;
        self.mirrors.push(Mirror {
            copy: mirror as usize,
            source: source as usize,
            level_only: true,
        });
    }

    /// Whether `entity` mirrors another, so that the engine records nothing on it.
    #[must_use]
    pub fn is_mirror(&self, entity: Entity) -> bool {
        self.level_sources[entity as usize] != entity as usize
    }

    /// Ends every mirror: each one gets its source's figures so far and is recorded on
    /// its own from then on.
    pub fn end_mirrors(&mut self) {
        self.copy_mirrors(true);
        for mirror in std::mem::take(&mut self.mirrors) {
            self.level_sources[mirror.copy] = mirror.copy;
            if !mirror.level_only {
                self.latency_sources[mirror.copy] = mirror.copy;
                // From now on the mirror adds to its own window histogram, which starts
                // with what the source has counted in the open window.
                let (source, target) = source_and_target(&mut self.stats, mirror);
                target.window_latency.clone_from(&source.window_latency);
            }
        }
    }

    /// Copies each mirror's figures from its source: its level and, for a full mirror,
    /// its counters, busy time and, when `totals` is set, its whole-run histogram.
    fn copy_mirrors(&mut self, totals: bool) {
        for &mirror in &self.mirrors {
            let (source, target) = source_and_target(&mut self.stats, mirror);
            target.in_flight = source.in_flight;
            if mirror.level_only {
                continue;
            }
            target.window = source.window;
            target.total = source.total;
            target.busy = source.busy;
            target.max_oldest_age_ns = source.max_oldest_age_ns;
            if totals {
                target.total_latency.clone_from(&source.total_latency);
            }
        }
    }

    /// The in-flight gauge of `entity` as of the last event, its source's for a mirror:
    /// requests in flight, or messages queued.
    #[must_use]
    pub fn in_flight_of(&self, entity: usize) -> &Gauge {
        &self.stats[self.level_sources[entity]].in_flight
    }

    /// Makes `aggregate` the sum of the entities in `members`: its counters, latency
    /// histograms and busy time are computed from theirs whenever a window closes and
    /// at the end of the run, and are not recorded directly. Its in-flight level is
    /// still recorded with [`Recorder::level`]. The aggregate comes before or after its
    /// members, never among them.
    ///
    /// # Panics
    ///
    /// If `aggregate` is one of `members`.
    pub fn group(&mut self, aggregate: Entity, members: std::ops::Range<Entity>) {
        assert!(
            !members.contains(&aggregate),
            "an aggregate is not one of its members"
        );
        if members.len() == 1 {
            self.latency_sources[aggregate as usize] = members.start as usize;
        }
        self.groups.push((
            aggregate as usize,
            members.start as usize..members.end as usize,
        ));
    }

    /// Recomputes every aggregate from its members as of `now`: the open window's
    /// counters, histogram and busy time, and the whole-run figures when `totals` is set.
    /// An aggregate with a single member reads that member's window histogram instead of
    /// a copy of it.
    fn aggregate(&mut self, now: u64, totals: bool) {
        self.copy_mirrors(totals);
        for (aggregate, members) in &self.groups {
            let (target, members) = if *aggregate < members.start {
                let (head, tail) = self.stats.split_at_mut(members.start);
                (&mut head[*aggregate], &mut tail[..members.len()])
            } else {
                let (head, tail) = self.stats.split_at_mut(*aggregate);
                (&mut tail[0], &mut head[members.clone()])
            };
            let merge_window = members.len() > 1;
            let mut window = Counts::default();
            let mut total = Counts::default();
            let mut integral: i128 = 0;
            let mut window_start_integral: i128 = 0;
            let mut warmup_integral: i128 = 0;
            if merge_window {
                target.window_latency.clear();
            }
            if totals {
                target.total_latency.clear();
            }
            for member in members.iter_mut() {
                window.add(&member.window);
                total.add(&member.total);
                integral = integral.wrapping_add(member.busy.integral_at(now));
                window_start_integral =
                    window_start_integral.wrapping_add(member.busy.window_start_integral);
                warmup_integral = warmup_integral.wrapping_add(member.busy.warmup_integral);
                if merge_window {
                    target.window_latency.add(&member.window_latency);
                }
                if totals {
                    target.total_latency.add(&member.total_latency);
                }
            }
            target.window = window;
            target.total = total;
            // The aggregate's own busy level stays 0, so its integral at `now` is minus its
            // sum of changes. Setting that sum makes the integral the members' total.
            let busy = &mut target.busy;
            busy.weighted_changes = i128::from(busy.value)
                .wrapping_mul(i128::from(now))
                .wrapping_sub(integral);
            busy.window_start_integral = window_start_integral;
            busy.warmup_integral = warmup_integral;
        }
    }

    /// Brings every aggregate's whole-run figures up to `now`, for a live view of a
    /// run that has not finished; [`Recorder::flush`] does it at the end of a run.
    pub fn refresh_totals(&mut self, now: u64) {
        self.aggregate(now, true);
    }

    /// Moves the recorder to simulated time `now`. The engine calls it whenever time
    /// moves, before it records anything at `now`, so that the measured part of every
    /// gauge starts exactly at the end of the warm-up.
    #[inline]
    pub fn advance_to(&mut self, now: u64) {
        if now >= self.warmup_ns && !self.measuring {
            self.start_measuring();
        }
    }

    #[cold]
    fn start_measuring(&mut self) {
        self.measuring = true;
        for stats in &mut self.stats {
            stats.measuring = true;
            stats.in_flight.start_measuring(self.warmup_ns);
            stats.busy.start_measuring(self.warmup_ns);
        }
    }

    /// The statistics of `entity`, to record on: never those of a mirror.
    #[inline]
    fn recorded(&mut self, entity: Entity) -> &mut Stats {
        debug_assert!(
            !self.is_mirror(entity),
            "entity {entity} is a mirror, whose figures are copied from its source"
        );
        &mut self.stats[entity as usize]
    }

    #[inline]
    fn measured(&self, started_ns: u64) -> bool {
        started_ns >= self.warmup_ns
    }

    /// Records an arrival at `entity`, which is now in flight.
    #[expect(
        clippy::inline_always,
        reason = "a call costs as much as the recording, on every request's arrival"
    )]
    #[inline(always)]
    pub fn arrive(&mut self, entity: Entity, now: u64) {
        let measured = self.measured(now);
        let stats = self.recorded(entity);
        stats.window.offered += 1;
        if measured {
            stats.total.offered += 1;
        }
        stats.in_flight.change(now, 1);
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
        let measured = self.measured(started_ns);
        let stats = self.recorded(entity);
        stats.in_flight.change(now, -1);
        stats.record_end(measured, now.saturating_sub(started_ns), outcome);
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
        self.recorded(entity)
            .record_end(measured, now.saturating_sub(started_ns), outcome);
    }

    /// Records a rejection of something that was never in flight, such as a publish to a
    /// full queue.
    pub fn reject(&mut self, entity: Entity, now: u64, kind: ErrorKind) {
        let measured = self.measured(now);
        let stats = self.recorded(entity);
        stats.window.errors[kind as usize] += 1;
        if measured {
            stats.total.errors[kind as usize] += 1;
        }
    }

    /// Records an attempt of a request that started at `started_ns`.
    #[inline]
    pub fn attempt(&mut self, entity: Entity, started_ns: u64, retry: bool) {
        let measured = self.measured(started_ns);
        let stats = self.recorded(entity);
        stats.window.attempts += 1;
        if measured {
            stats.total.attempts += 1;
        }
        if retry {
            stats.count_retry(measured);
        }
    }

    /// Records an attempt sent to `entity` at `now`, which is now in flight: an
    /// [`Recorder::attempt`] and an [`Recorder::arrive`] in one.
    #[inline]
    pub fn attempt_arrival(&mut self, entity: Entity, now: u64, retry: bool) {
        let measured = self.measured(now);
        let stats = self.recorded(entity);
        stats.window.attempts += 1;
        stats.window.offered += 1;
        if measured {
            stats.total.attempts += 1;
            stats.total.offered += 1;
        }
        if retry {
            stats.count_retry(measured);
        }
        stats.in_flight.change(now, 1);
    }

    /// Counts a message lost on the network.
    pub fn lost(&mut self, entity: Entity, now: u64) {
        let measured = self.measured(now);
        let stats = self.recorded(entity);
        stats.window.lost += 1;
        if measured {
            stats.total.lost += 1;
        }
    }

    /// Counts a response that came after its caller gave up.
    pub fn late(&mut self, entity: Entity, now: u64) {
        let measured = self.measured(now);
        let stats = self.recorded(entity);
        stats.window.late += 1;
        if measured {
            stats.total.late += 1;
        }
    }

    /// Counts a retry that a retry budget did not allow.
    pub fn retry_denied(&mut self, entity: Entity, now: u64) {
        let measured = self.measured(now);
        let stats = self.recorded(entity);
        stats.window.retries_denied += 1;
        if measured {
            stats.total.retries_denied += 1;
        }
    }

    /// Adds `wasted_ns` of work on a request that arrived at `started_ns` and whose
    /// caller had given up on it when it ended.
    pub fn wasted(&mut self, entity: Entity, started_ns: u64, wasted_ns: u64) {
        let measured = self.measured(started_ns);
        let stats = self.recorded(entity);
        stats.window.wasted_ns += wasted_ns;
        if measured {
            stats.total.wasted_ns += wasted_ns;
        }
    }

    /// Changes the number of busy workers or consumers of `entity`.
    #[inline]
    pub fn busy(&mut self, entity: Entity, now: u64, delta: i64) {
        self.recorded(entity).busy.change(now, delta);
    }

    /// Changes the level of `entity`'s in-flight gauge without counting an arrival or an
    /// end, as for a queue's depth while a message is handled.
    #[inline]
    pub fn level(&mut self, entity: Entity, now: u64, delta: i64) {
        self.recorded(entity).in_flight.change(now, delta);
    }

    /// Closes the open window at `end`, its regular end or the end of the run.
    /// `oldest_age_ns` gives, per entity, the age of its oldest queued message at that
    /// time (0 for entities without a queue).
    pub fn close_window_at(&mut self, end: u64, oldest_age_ns: impl Fn(usize) -> u64) {
        self.aggregate(end, false);
        // An aggregate with a single member, and a mirror, read the window of another
        // entity, which is computed first so that each window is read once.
        let mut percentiles = vec![[0; 4]; self.stats.len()];
        for (i, stats) in self.stats.iter().enumerate() {
            if self.latency_sources[i] == i {
                percentiles[i] = stats.window_latency.percentiles();
            }
        }
        for i in 0..self.stats.len() {
            percentiles[i] = percentiles[self.latency_sources[i]];
        }
        let start = self.window_end_ns - self.window_ns;
        let warmup = self.warmup_ns;
        let window_len = end.saturating_sub(start).max(1) as f64;
        for (i, stats) in self.stats.iter_mut().enumerate() {
            if stats.measuring {
                stats.in_flight.update_measured_integral(end);
                stats.busy.update_measured_integral(end);
            }
            let [p50_ns, p95_ns, p99_ns, max_ns] = percentiles[i];
            let age = oldest_age_ns(i);
            if end > warmup {
                stats.max_oldest_age_ns = stats.max_oldest_age_ns.max(age);
            }
            let window = Window {
                start_ns: start,
                counts: stats.window,
                p50_ns,
                p95_ns,
                p99_ns,
                max_ns,
                mean_in_flight: stats.in_flight.window_integral_at(end) as f64 / window_len,
                max_in_flight: stats.in_flight.window_max,
                mean_busy: stats.busy.window_integral_at(end) as f64 / window_len,
                oldest_age_ns: age,
            };
            stats.series.push(window);
            stats.window = Counts::default();
            stats.window_latency.clear();
            stats.in_flight.start_window(end);
            stats.busy.start_window(end);
        }
        self.window_end_ns = end.saturating_add(self.window_ns);
    }

    /// Brings every gauge's integral up to `now`, the end of the run.
    pub fn flush(&mut self, now: u64) {
        self.advance_to(now);
        self.aggregate(now, true);
        for stats in &mut self.stats {
            if stats.measuring {
                stats.in_flight.update_measured_integral(now);
                stats.busy.update_measured_integral(now);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::Recorder;

    /// Records a success of `latency_ns` at `entity` that started at time 0.
    fn succeed(recorder: &mut Recorder, entity: u32, latency_ns: u64) {
        recorder.arrive(entity, 0);
        recorder.finish(entity, latency_ns, 0, Ok(()));
    }

    #[test]
    fn aggregate_after_members_merges_windows() {
        // Entities 0 and 1 are the members and 2 their aggregate; entity 3 records every
        // latency of both, as one histogram would.
        let mut recorder = Recorder::new(4, 0, 1_000_000);
        recorder.group(2, 0..2);
        let latencies = (1..=90u64)
            .map(|i| (0, i * 1_000))
            .chain((1..=10u64).map(|i| (1, 500_000 + i * 10_000)));
        for (member, latency) in latencies {
            succeed(&mut recorder, member, latency);
            succeed(&mut recorder, 3, latency);
        }
        recorder.close_window_at(1_000_000, |_| 0);
        recorder.flush(1_000_000);

        let merged = recorder.stats[2].series[0];
        let reference = recorder.stats[3].series[0];
        assert_eq!(merged.counts, reference.counts);
        assert_eq!(merged.p50_ns, reference.p50_ns);
        assert_eq!(merged.p95_ns, reference.p95_ns);
        assert_eq!(merged.p99_ns, reference.p99_ns);
        assert_eq!(merged.max_ns, reference.max_ns);
        assert!(
            merged.p99_ns > recorder.stats[0].series[0].p99_ns,
            "the merged p99 comes from the slower member"
        );
        assert_eq!(
            recorder.stats[2].latency().percentiles(),
            recorder.stats[3].latency().percentiles(),
            "whole-run histograms merge too"
        );
    }

    #[test]
    fn aggregate_after_single_member_reads_it() {
        let mut recorder = Recorder::new(2, 0, 1_000_000);
        recorder.group(1, 0..1);
        for latency in [2_000, 4_000, 80_000] {
            succeed(&mut recorder, 0, latency);
        }
        recorder.close_window_at(1_000_000, |_| 0);

        let member = recorder.stats[0].series[0];
        let aggregate = recorder.stats[1].series[0];
        assert_eq!(aggregate.counts.successes, 3);
        assert_eq!(aggregate.p50_ns, member.p50_ns);
        assert_eq!(aggregate.p99_ns, member.p99_ns);
        assert!(aggregate.p99_ns > 0);
    }
}
