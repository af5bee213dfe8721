//! The app's record of the current run: the engine's reports folded into one bounded
//! time series per entity, the latest status and summary, and the live figures for the
//! graph.
//!
//! The series keeps the whole run. When it reaches its capacity, adjacent rows merge
//! pairwise and later windows go into rows twice as wide, so memory stays bounded and
//! every row covers the same number of engine windows (the last one may still be
//! filling).

use std::collections::BTreeMap;

use crate::metrics::recorder::{ErrorKind, Window};
use crate::metrics::summary::Summary;

use super::driver::{BreakerWindow, EntityKind, Report, RunInfo, RunState, Status, WindowRow};
use super::live::{LiveView, NodeLive};

/// Rows kept at most before they merge pairwise.
pub const SERIES_CAPACITY: usize = 4096;

/// The figures of one entity over one row of the series.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Requests or messages that arrived.
    pub offered: u64,
    /// Those that ended, successfully or not.
    pub completed: u64,
    /// Those that ended successfully.
    pub successes: u64,
    /// Failures by kind, in the order of [`ErrorKind::ALL`].
    pub errors: [u64; crate::metrics::recorder::ERROR_KINDS],
    /// Attempts sent, first attempts included.
    pub attempts: u64,
    /// Latency percentiles of the successes, ns.
    pub p50_ns: u64,
    /// 95th percentile, ns.
    pub p95_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// Integral of the requests in flight (for queues, messages queued) over the row,
    /// in request-nanoseconds.
    pub in_flight_ns: f64,
    /// Integral of the busy workers or consumers over the row, in worker-nanoseconds.
    pub busy_ns: f64,
    /// Age of the oldest queued message at the end of the row, ns.
    pub oldest_age_ns: u64,
    /// Circuit breakers on an edge, at the end of the row; 0 for other entities.
    pub breakers: u32,
    /// Integral of the open breakers of an edge over the row, in breaker-nanoseconds.
    pub breakers_open_ns: f64,
    /// Integral of the half-open breakers of an edge over the row.
    pub breakers_half_open_ns: f64,
    /// Breakers of an edge open at the end of the row.
    pub breakers_open: u32,
    /// Breakers of an edge half-open at the end of the row.
    pub breakers_half_open: u32,
    /// Integral of the ready replicas of an autoscaled service over the row, in
    /// replica-nanoseconds; 0 for every other entity.
    pub replicas_ns: f64,
    /// Integral of the workers and consumer slots that a service or a queue's
    /// consumers had over the row, in slot-nanoseconds, with the replicas that received
    /// work at each time; 0 for every other entity. Utilization is `busy_ns` over it.
    pub slots_ns: f64,
}

impl Sample {
    fn from_window(window: &Window, width_ns: u64) -> Self {
        let width = width_ns as f64;
        Self {
            offered: window.counts.offered,
            completed: window.counts.completed,
            successes: window.counts.successes,
            errors: window.counts.errors,
            attempts: window.counts.attempts,
            p50_ns: window.p50_ns,
            p95_ns: window.p95_ns,
            p99_ns: window.p99_ns,
            in_flight_ns: window.mean_in_flight * width,
            busy_ns: window.mean_busy * width,
            oldest_age_ns: window.oldest_age_ns,
            replicas_ns: 0.0,
            ..Self::default()
        }
    }

    fn add_breakers(&mut self, breakers: &BreakerWindow) {
        self.breakers = breakers.breakers;
        self.breakers_open_ns = breakers.open_ns as f64;
        self.breakers_half_open_ns = breakers.half_open_ns as f64;
        self.breakers_open = breakers.open;
        self.breakers_half_open = breakers.half_open;
    }

    /// Adds the later sample `next` to this one.
    ///
    /// NOTE: percentiles of two windows cannot be combined exactly from the percentiles
    /// alone. The merged row keeps the larger of each, so that spikes stay visible.
    fn merge(&mut self, next: &Sample) {
        self.offered += next.offered;
        self.completed += next.completed;
        self.successes += next.successes;
        for (mine, theirs) in self.errors.iter_mut().zip(next.errors) {
            *mine += theirs;
        }
        self.attempts += next.attempts;
        self.p50_ns = self.p50_ns.max(next.p50_ns);
        self.p95_ns = self.p95_ns.max(next.p95_ns);
        self.p99_ns = self.p99_ns.max(next.p99_ns);
        self.in_flight_ns += next.in_flight_ns;
        self.busy_ns += next.busy_ns;
        self.oldest_age_ns = next.oldest_age_ns;
        self.breakers = next.breakers;
        self.breakers_open_ns += next.breakers_open_ns;
        self.breakers_half_open_ns += next.breakers_half_open_ns;
        self.breakers_open = next.breakers_open;
        self.breakers_half_open = next.breakers_half_open;
        self.replicas_ns += next.replicas_ns;
        self.slots_ns += next.slots_ns;
    }

    /// Failures of all kinds.
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Failures of one kind.
    #[must_use]
    pub fn errors_of(&self, kind: ErrorKind) -> u64 {
        self.errors[kind as usize]
    }
}

/// One or more consecutive engine windows, for every entity.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Start, simulated ns.
    pub start_ns: u64,
    /// End, simulated ns.
    pub end_ns: u64,
    /// Engine windows merged into this row.
    pub windows: u32,
    /// One sample per entity, indexed as [`RunInfo::entities`].
    pub samples: Vec<Sample>,
}

impl Row {
    /// Returns the row's length in simulated seconds, never 0.
    #[must_use]
    pub fn width_s(&self) -> f64 {
        (self.end_ns.saturating_sub(self.start_ns).max(1)) as f64 / 1e9
    }

    /// Returns the row's end in simulated seconds, where plots draw it.
    #[must_use]
    pub fn end_s(&self) -> f64 {
        self.end_ns as f64 / 1e9
    }

    /// `count` over the row's length, per second.
    #[must_use]
    pub fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.width_s()
    }

    /// Returns the time-average of an integral over the row, such as
    /// [`Sample::in_flight_ns`].
    #[must_use]
    pub fn mean(&self, integral_ns: f64) -> f64 {
        integral_ns / (self.width_s() * 1e9)
    }

    fn merge(&mut self, next: &Row) {
        self.end_ns = next.end_ns;
        self.windows += next.windows;
        for (mine, theirs) in self.samples.iter_mut().zip(&next.samples) {
            mine.merge(theirs);
        }
    }
}

/// A bounded time series covering the whole run.
#[derive(Clone, Debug)]
pub struct Series {
    rows: Vec<Row>,
    capacity: usize,
    /// Engine windows per full row.
    stride: u32,
}

impl Series {
    /// Creates an empty series that keeps at most `capacity` rows (at least 2).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            rows: Vec::new(),
            capacity: capacity.max(2),
            stride: 1,
        }
    }

    /// Returns the rows, in time order.
    #[must_use]
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Returns the number of engine windows per row.
    #[must_use]
    pub fn stride(&self) -> u32 {
        self.stride
    }

    /// Appends one engine window of every entity.
    pub fn push(&mut self, row: Row) {
        if let Some(last) = self.rows.last_mut()
            && last.windows < self.stride
        {
            last.merge(&row);
            return;
        }
        self.rows.push(row);
        if self.rows.len() > self.capacity {
            self.compact();
        }
    }

    /// Merges rows pairwise and doubles the stride.
    fn compact(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        let mut merged: Vec<Row> = Vec::with_capacity(rows.len() / 2 + 1);
        for pair in rows.chunks(2) {
            let mut row = pair[0].clone();
            if let Some(next) = pair.get(1) {
                row.merge(next);
            }
            merged.push(row);
        }
        self.rows = merged;
        self.stride = self.stride.saturating_mul(2);
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.stride = 1;
    }
}

/// The app's copy of the current run, fed from [`Report`]s.
#[derive(Clone, Debug)]
pub struct RunHistory {
    info: Option<RunInfo>,
    status: Option<Status>,
    series: Series,
    summary: Option<Summary>,
    summary_complete: bool,
    live: LiveView,
    /// Whether reports arrived since `live` was last rebuilt.
    live_stale: bool,
    /// Entity index of each client, service and queue, by node name.
    nodes: BTreeMap<String, usize>,
}

impl Default for RunHistory {
    fn default() -> Self {
        Self::new(SERIES_CAPACITY)
    }
}

impl RunHistory {
    /// Creates an empty history whose series keeps at most `capacity` rows.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            info: None,
            status: None,
            series: Series::new(capacity),
            summary: None,
            summary_complete: false,
            live: LiveView::default(),
            live_stale: false,
            nodes: BTreeMap::new(),
        }
    }

    /// Folds in one report. Reports of an older run than the current one are dropped.
    /// Returns the message of a rejected command, for the app to show.
    pub fn apply(&mut self, report: Report) -> Option<String> {
        match report {
            Report::Started(info) => self.start(*info),
            Report::Windows { run, rows } => {
                if self.is_current(run) {
                    for row in rows {
                        self.push_row(&row);
                    }
                    self.live_stale = true;
                }
            }
            Report::Status(status) => {
                if self.is_current(status.run) {
                    self.status = Some(*status);
                    self.live_stale = true;
                }
            }
            Report::Summary {
                run,
                summary,
                complete,
            } => {
                if self.is_current(run) {
                    self.summary = Some(*summary);
                    self.summary_complete = complete;
                }
            }
            Report::Rejected { message, .. } => return Some(message),
            Report::Unloaded => *self = Self::new(self.series.capacity),
        }
        None
    }

    fn is_current(&self, run: u64) -> bool {
        self.info.as_ref().is_some_and(|info| info.run == run)
    }

    fn start(&mut self, info: RunInfo) {
        self.nodes = info
            .entities
            .iter()
            .enumerate()
            .filter(|(_, entity)| {
                matches!(
                    entity.kind,
                    EntityKind::Client { .. }
                        | EntityKind::Service { .. }
                        | EntityKind::Queue { .. }
                )
            })
            .map(|(index, entity)| (entity.name.clone(), index))
            .collect();
        self.live = LiveView {
            run: info.run,
            ..LiveView::default()
        };
        self.info = Some(info);
        self.status = None;
        self.series.clear();
        self.summary = None;
        self.summary_complete = false;
    }

    fn push_row(&mut self, row: &WindowRow) {
        let start_ns = row.windows.first().map_or(0, |w| w.start_ns);
        let width_ns = row.end_ns.saturating_sub(start_ns).max(1);
        let mut samples: Vec<Sample> = row
            .windows
            .iter()
            .map(|window| Sample::from_window(window, width_ns))
            .collect();
        for breakers in &row.breakers {
            if let Some(sample) = samples.get_mut(breakers.entity) {
                sample.add_breakers(breakers);
            }
        }
        if let Some(info) = &self.info {
            let width = width_ns as f64;
            let mean_replicas =
                |service: usize| row.mean_replicas.get(service).copied().unwrap_or_default();
            for (entity, sample) in info.entities.iter().zip(&mut samples) {
                match entity.kind {
                    EntityKind::Service {
                        index,
                        slots_per_replica,
                        ..
                    } => {
                        if let Some(Some(mean_ready)) = row.replicas.get(index) {
                            sample.replicas_ns = mean_ready * width;
                        }
                        sample.slots_ns =
                            f64::from(slots_per_replica) * mean_replicas(index) * width;
                    }
                    EntityKind::Queue {
                        consumer: Some((service, per_replica)),
                        ..
                    } => {
                        sample.slots_ns = f64::from(per_replica) * mean_replicas(service) * width;
                    }
                    _ => {}
                }
            }
        }
        self.series.push(Row {
            start_ns,
            end_ns: row.end_ns,
            windows: 1,
            samples,
        });
    }

    /// Returns the description of the current run.
    #[must_use]
    pub fn info(&self) -> Option<&RunInfo> {
        self.info.as_ref()
    }

    /// Returns the latest status of the current run.
    #[must_use]
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// Returns the phase of the current run, `Ready` before the first status.
    #[must_use]
    pub fn state(&self) -> RunState {
        self.status.as_ref().map_or(RunState::Ready, |s| s.state)
    }

    /// Returns the simulated time of the current run, ns.
    #[must_use]
    pub fn now_ns(&self) -> u64 {
        self.status.as_ref().map_or(0, |s| s.now_ns)
    }

    /// Returns the rows of the current run, in time order.
    #[must_use]
    pub fn rows(&self) -> &[Row] {
        self.series.rows()
    }

    /// Returns the number of engine windows per row.
    #[must_use]
    pub fn stride(&self) -> u32 {
        self.series.stride()
    }

    /// Returns the latest summary of the current run, and whether it is final.
    #[must_use]
    pub fn summary(&self) -> Option<(&Summary, bool)> {
        self.summary.as_ref().map(|s| (s, self.summary_complete))
    }

    /// Returns the latest figures of each node and edge for the graph, or `None` before
    /// the first status of a run.
    #[must_use]
    pub fn live(&self) -> Option<&LiveView> {
        self.status.as_ref().map(|_| &self.live)
    }

    /// Rebuilds the live figures if reports arrived since the last rebuild. The app
    /// calls it once per frame after draining the reports, so that a frame that drains
    /// many reports rebuilds them once.
    pub fn update_live(&mut self) {
        if std::mem::take(&mut self.live_stale) {
            self.refresh_live();
        }
    }

    /// Returns the entity index of the client, service or queue called `name`.
    #[must_use]
    pub fn node_entity(&self, name: &str) -> Option<usize> {
        self.nodes.get(name).copied()
    }

    /// Lists the index and name of each entity whose kind `filter` accepts.
    pub fn entities_where(
        &self,
        filter: impl Fn(&EntityKind) -> bool,
    ) -> impl Iterator<Item = (usize, &str)> {
        self.info
            .iter()
            .flat_map(|info| info.entities.iter().enumerate())
            .filter(move |(_, entity)| filter(&entity.kind))
            .map(|(index, entity)| (index, entity.name.as_str()))
    }

    /// Returns the kind of entity `index`.
    #[must_use]
    pub fn kind(&self, index: usize) -> Option<&EntityKind> {
        self.info
            .as_ref()
            .and_then(|info| info.entities.get(index))
            .map(|entity| &entity.kind)
    }

    /// Rebuilds the live figures from the last row and the latest status.
    fn refresh_live(&mut self) {
        let Some(info) = &self.info else {
            return;
        };
        let mut live = LiveView {
            run: info.run,
            now_ns: self.status.as_ref().map_or(0, |s| s.now_ns),
            ..LiveView::default()
        };
        let last = self.series.rows().last();
        let status = self.status.as_ref();
        let level = |index: usize| status.and_then(|s| s.levels.get(index)).copied();
        let busy = |index: usize| status.and_then(|s| s.busy.get(index)).copied();
        // Replicas right now, which live changes may have moved from the file's.
        let replicas = |service: usize| {
            status
                .and_then(|s| s.replicas.get(service))
                .or_else(|| info.replicas.get(service))
                .copied()
                .unwrap_or(1)
        };
        // Busy workers are recorded per operation; a service's are the sum of its own.
        let mut busy_by_service: BTreeMap<&str, i64> = BTreeMap::new();
        for (index, entity) in info.entities.iter().enumerate() {
            if let EntityKind::Operation { service } = &entity.kind {
                *busy_by_service.entry(service.as_str()).or_default() += busy(index).unwrap_or(0);
            }
        }
        let mut queue_number = 0;
        for (index, entity) in info.entities.iter().enumerate() {
            let sample = last.and_then(|row| row.samples.get(index).map(|s| (row, s)));
            let (throughput_per_s, errors) = sample.map_or((0.0, 0.0), |(row, s)| {
                (row.per_second(s.completed) as f32, error_rate(s))
            });
            let node = match &entity.kind {
                EntityKind::Client { .. } => NodeLive {
                    throughput_per_s,
                    error_rate: errors,
                    ..NodeLive::default()
                },
                EntityKind::Service {
                    index: service,
                    waiting_per_replica,
                    ..
                } => {
                    let replicas = replicas(*service);
                    let busy_now = busy_by_service
                        .get(entity.name.as_str())
                        .copied()
                        .unwrap_or(0);
                    let waiting = level(index).map(|l| (l - busy_now).max(0) as u64);
                    NodeLive {
                        utilization: sample.map_or(0.0, |(_, s)| utilization(s)),
                        throughput_per_s,
                        error_rate: errors,
                        queue_depth: waiting,
                        queue_capacity: waiting_per_replica
                            .map(|room| u64::from(room) * u64::from(replicas)),
                        replicas: Some(replicas),
                        starting_replicas: status
                            .and_then(|s| s.starting_replicas.get(*service))
                            .copied()
                            .filter(|starting| *starting > 0),
                    }
                }
                EntityKind::Queue { capacity, .. } => {
                    let depth = status
                        .and_then(|s| s.queue_depths.get(queue_number))
                        .copied();
                    queue_number += 1;
                    NodeLive {
                        utilization: sample.map_or(0.0, |(_, s)| utilization(s)),
                        throughput_per_s,
                        error_rate: errors,
                        queue_depth: depth,
                        queue_capacity: *capacity,
                        replicas: None,
                        starting_replicas: None,
                    }
                }
                EntityKind::Operation { .. } | EntityKind::AllClients => continue,
                EntityKind::Edge { from, to, .. } => {
                    // Edges of different kinds between the same two nodes add up.
                    let edge = live.edges.entry((from.clone(), to.clone())).or_default();
                    if let Some(now) =
                        status.and_then(|s| s.breakers.iter().find(|b| b.entity == index))
                    {
                        edge.breakers += now.breakers;
                        edge.breakers_open += now.open;
                        edge.breakers_half_open += now.half_open;
                    }
                    if let Some((row, s)) = sample {
                        let before = edge.throughput_per_s;
                        let attempts = row.per_second(s.attempts) as f32;
                        edge.throughput_per_s += attempts;
                        let total = before + attempts;
                        if total > 0.0 {
                            edge.error_rate =
                                (edge.error_rate * before + error_rate(s) * attempts) / total;
                        }
                    }
                    continue;
                }
            };
            live.nodes.insert(entity.name.clone(), node);
        }
        self.live = live;
    }
}

/// Failures over ended requests, from 0 to 1.
fn error_rate(sample: &Sample) -> f32 {
    if sample.completed == 0 {
        0.0
    } else {
        (sample.failures() as f64 / sample.completed as f64) as f32
    }
}

/// Busy time over the time of the workers or consumers that the row really had, from 0
/// to 1.
fn utilization(sample: &Sample) -> f32 {
    if sample.slots_ns > 0.0 {
        (sample.busy_ns / sample.slots_ns).clamp(0.0, 1.0) as f32
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: u64, offered: u64) -> Row {
        Row {
            start_ns: index * 1_000_000_000,
            end_ns: (index + 1) * 1_000_000_000,
            windows: 1,
            samples: vec![Sample {
                offered,
                p99_ns: offered,
                ..Sample::default()
            }],
        }
    }

    #[test]
    fn series_keeps_whole_run_when_full() {
        let mut series = Series::new(8);
        for index in 0..100 {
            series.push(row(index, 1));
        }
        let rows = series.rows();
        assert!(rows.len() <= 8, "{} rows", rows.len());
        assert_eq!(rows.first().map(|r| r.start_ns), Some(0));
        assert_eq!(rows.last().map(|r| r.end_ns), Some(100_000_000_000));
        let offered: u64 = rows.iter().map(|r| r.samples[0].offered).sum();
        assert_eq!(offered, 100, "no window lost");
        assert_eq!(series.stride(), 16);
    }

    #[test]
    fn series_rows_cover_stride_windows() {
        let mut series = Series::new(4);
        for index in 0..10 {
            series.push(row(index, index));
        }
        let widths: Vec<u32> = series.rows().iter().map(|r| r.windows).collect();
        assert_eq!(widths, vec![4, 4, 2]);
        // The second row merges windows 4 to 7 and keeps the largest p99.
        assert_eq!(series.rows()[1].samples[0].p99_ns, 7);
    }

    #[test]
    fn row_rates_use_width() {
        let mut wide = row(0, 10);
        wide.merge(&row(1, 30));
        assert_eq!(wide.width_s(), 2.0);
        assert_eq!(wide.per_second(wide.samples[0].offered), 20.0);
    }
}
