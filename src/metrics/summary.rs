//! The whole-run summary of a finished run, as written to `summary.json` and printed as
//! a table.
//!
//! Everything here derives from simulated time and the seed only, so the same scenario
//! and seed give byte-identical JSON. Wall-clock figures are printed by the command line
//! and never stored here.

use serde::Serialize;

use crate::engine::Simulation;

use super::breakers::BreakerSummary;
use super::recorder::{Counts, ErrorKind, Stats, Window};
use super::recovery::{FaultRecovery, recoveries};
use crate::scenario::brokers::BrokerKind;

/// Failures by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCounts {
    /// No response within the timeout.
    pub timeout: u64,
    /// Refused by a full queue.
    pub rejected: u64,
    /// Failed, or a dependency failed.
    pub failed: u64,
    /// Discarded.
    pub dropped: u64,
    /// Moved to the dead-letter queue.
    pub dead_lettered: u64,
    /// Refused by an open circuit breaker.
    pub circuit_open: u64,
    /// Refused by a full bulkhead.
    pub bulkhead_full: u64,
    /// Refused by a rate limiter.
    pub rate_limited: u64,
    /// Shed by an overloaded service.
    pub shed: u64,
    /// Ended by an overall deadline.
    pub deadline_exceeded: u64,
    /// Messages expired before delivery.
    pub expired: u64,
}

impl ErrorCounts {
    fn from_counts(counts: &Counts) -> Self {
        let e = |kind: ErrorKind| counts.errors[kind as usize];
        Self {
            timeout: e(ErrorKind::Timeout),
            rejected: e(ErrorKind::Rejected),
            failed: e(ErrorKind::Failed),
            dropped: e(ErrorKind::Dropped),
            dead_lettered: e(ErrorKind::DeadLettered),
            circuit_open: e(ErrorKind::CircuitOpen),
            bulkhead_full: e(ErrorKind::BulkheadFull),
            rate_limited: e(ErrorKind::RateLimited),
            shed: e(ErrorKind::Shed),
            deadline_exceeded: e(ErrorKind::DeadlineExceeded),
            expired: e(ErrorKind::Expired),
        }
    }

    /// The count of one kind.
    #[must_use]
    pub fn get(&self, kind: ErrorKind) -> u64 {
        match kind {
            ErrorKind::Timeout => self.timeout,
            ErrorKind::Rejected => self.rejected,
            ErrorKind::Failed => self.failed,
            ErrorKind::Dropped => self.dropped,
            ErrorKind::DeadLettered => self.dead_lettered,
            ErrorKind::CircuitOpen => self.circuit_open,
            ErrorKind::BulkheadFull => self.bulkhead_full,
            ErrorKind::RateLimited => self.rate_limited,
            ErrorKind::Shed => self.shed,
            ErrorKind::DeadlineExceeded => self.deadline_exceeded,
            ErrorKind::Expired => self.expired,
        }
    }

    /// Failures of every kind.
    #[must_use]
    pub fn total(&self) -> u64 {
        ErrorKind::ALL.into_iter().map(|kind| self.get(kind)).sum()
    }
}

/// Latency statistics of successes, in milliseconds of simulated time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

impl Latency {
    fn from_stats(stats: &Stats) -> Self {
        let histogram = stats.latency();
        if histogram.is_empty() {
            return Self::default();
        }
        let ms = |ns: u64| round6(ns as f64 / 1e6);
        Self {
            mean_ms: round6(histogram.mean() / 1e6),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p95_ms: ms(histogram.value_at_quantile(0.95)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// Rounds to six decimals, so that reports do not show float noise.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Summary of a client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientSummary {
    /// Client name.
    pub name: String,
    /// Requests issued in the measured part of the run.
    pub issued: u64,
    /// Requests that ended successfully, retries included.
    pub successes: u64,
    /// Requests that failed after their last attempt, by the last attempt's error.
    pub errors: ErrorCounts,
    /// Requests still in flight at the end.
    pub in_flight: u64,
    /// Issued requests per second.
    pub offered_per_s: f64,
    /// Ended requests per second.
    pub throughput_per_s: f64,
    /// Successful requests per second.
    pub goodput_per_s: f64,
    /// End-to-end latency of successes.
    pub latency: Latency,
    /// Mean time from issue to end over all ended requests, failures included, ms.
    pub mean_sojourn_ms: f64,
    /// Time-average of requests in flight.
    pub mean_in_flight: f64,
    /// Attempts sent, first attempts included.
    pub attempts: u64,
    /// Attempts per issued request.
    pub retry_amplification: f64,
}

/// Summary of a service or of one operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSummary {
    /// Service name, or `service.operation`.
    pub name: String,
    /// Requests and messages that arrived.
    pub arrivals: u64,
    /// Those served successfully.
    pub successes: u64,
    /// Failures by kind.
    pub errors: ErrorCounts,
    /// Still waiting or in service at the end.
    pub in_flight: u64,
    /// Arrivals per second.
    pub offered_per_s: f64,
    /// Ended requests per second.
    pub throughput_per_s: f64,
    /// Successes per second.
    pub goodput_per_s: f64,
    /// Time from arrival to the end of service, successes only.
    pub latency: Latency,
    /// Mean time from arrival to end over all ended requests, ms.
    pub mean_sojourn_ms: f64,
    /// Busy workers and consumers over their number, time-averaged; for an operation,
    /// its share of the service's capacity.
    pub utilization: f64,
    /// Time-average of requests waiting or in service.
    pub mean_in_flight: f64,
    /// Largest number waiting or in service.
    pub max_in_flight: i64,
    /// Worker time spent on requests whose caller had given up on them when they ended
    /// (their attempt had timed out or their call had ended), seconds.
    pub wasted_work_s: f64,
    /// `wasted_work_s` over the time workers and consumers were busy.
    pub wasted_work_share: f64,
    /// Replica changes of an autoscaled service; absent for other services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingSummary>,
}

/// Replica changes of an autoscaled service over the measured part of the run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AutoscalingSummary {
    /// Evaluations that added replicas.
    pub scale_ups: u64,
    /// Evaluations that removed replicas.
    pub scale_downs: u64,
    /// Minimum ready replicas.
    pub min_replicas: u32,
    /// Maximum ready replicas.
    pub max_replicas: u32,
    /// Time-average of the ready replicas.
    pub mean_replicas: f64,
}

/// Summary of a queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueSummary {
    /// Queue name.
    pub name: String,
    /// Messages accepted.
    pub published: u64,
    /// Messages handled successfully and acknowledged.
    pub consumed: u64,
    /// Messages pushed out by `drop-oldest`.
    pub dropped: u64,
    /// Messages that failed their last delivery.
    pub dead_lettered: u64,
    /// Publishes refused because the queue was full.
    pub rejected: u64,
    /// Messages waiting at the end.
    pub queued: u64,
    /// Messages being delivered or handled at the end.
    pub in_handling: u64,
    /// Time-average of messages waiting.
    pub mean_depth: f64,
    /// Largest number of messages waiting.
    pub max_depth: i64,
    /// Largest age of the oldest waiting message at a window end, ms.
    pub max_oldest_age_ms: f64,
    /// Time from publish to acknowledgement of consumed messages.
    pub latency: Latency,
    /// Publishers still blocked at the end.
    pub blocked_publishers: u64,
    /// Messages delivered and not yet acknowledged at the end (for an SQS-like queue,
    /// received and hidden); only on queues with broker settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unacked: Option<u64>,
    /// Deliveries of a message while another handling of it ran or after one succeeded;
    /// only on queues with broker settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<u64>,
    /// Messages removed by `message_ttl` or `retention`; only on queues with broker
    /// settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired: Option<u64>,
    /// Polls of an idle consumer that found no row; only on database-backed queues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_polls: Option<u64>,
    /// Consumer lag of each partition; only on Kafka-like queues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<Vec<PartitionSummary>>,
}

/// Consumer lag of one partition of a Kafka-like queue: log end offset minus committed
/// offset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartitionSummary {
    /// Records appended.
    pub end_offset: u64,
    /// Next record to handle.
    pub committed_offset: u64,
    /// Lag at the end.
    pub final_lag: u64,
    /// Largest lag after the warm-up, at a publish or a window end.
    pub max_lag: u64,
    /// Lag at the end of each closed window, for plots; `timeseries.csv` has it too.
    #[serde(skip)]
    pub lag_series: Vec<u64>,
}

/// Summary of an edge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EdgeSummary {
    /// `from → to`.
    pub name: String,
    /// `call`, `publish` or `consume`.
    pub kind: &'static str,
    /// Attempts sent, or, on a consume edge, deliveries.
    pub attempts: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Attempts that succeeded.
    pub successes: u64,
    /// Attempts that failed, by kind, timeouts included.
    pub errors: ErrorCounts,
    /// Messages lost on the network.
    pub lost: u64,
    /// Responses that came after the caller gave up.
    pub late_responses: u64,
    /// Attempts per call: attempts over first attempts.
    pub retry_amplification: f64,
    /// Retries that a retry budget did not allow.
    pub retries_denied: u64,
    /// Round trip of successful attempts.
    pub latency: Latency,
    /// Attempts per second.
    pub throughput_per_s: f64,
    /// The circuit breakers of the call sites on the edge, when any has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<BreakerSummary>,
}

/// The whole-run summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// The run's seed.
    pub seed: u64,
    /// Simulated time run, seconds.
    pub duration_s: f64,
    /// Warm-up excluded from this summary, seconds.
    pub warmup_s: f64,
    /// Time-series window, seconds.
    pub window_s: f64,
    /// Events processed.
    pub events: u64,
    /// Clients, in file order.
    pub clients: Vec<ClientSummary>,
    /// Services, in file order.
    pub services: Vec<ServiceSummary>,
    /// Operations, in file order.
    pub operations: Vec<ServiceSummary>,
    /// Queues, in file order.
    pub queues: Vec<QueueSummary>,
    /// Edges, in order of first use.
    pub edges: Vec<EdgeSummary>,
    /// Each client's recovery from each fault, in the order of the scenario's faults;
    /// left out when the scenario has no fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultRecovery>,
    /// Every interval during which a fault was active, in order of start; present only
    /// when the run has faults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_timeline: Option<Vec<FaultIntervalSummary>>,
    /// Fault intervals that started after the timeline was full, so they are in neither
    /// `fault_timeline` nor `faults`. Present only when there are some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_intervals_omitted: Option<u64>,
}

/// One interval of the fault timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultIntervalSummary {
    /// Index of the fault: its place in the scenario's `faults`, then faults started by
    /// hand in order.
    pub fault: u32,
    /// The key of the fault's kind, such as `crash`.
    pub kind: &'static str,
    /// A short description, such as `crash payments#0`.
    pub label: String,
    /// Names of the nodes it affects.
    pub targets: Vec<String>,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds, or `null` while still active at the end of the run.
    pub end_s: Option<f64>,
    /// `scheduled`, `random` or `manual`.
    pub origin: crate::engine::sim::FaultOrigin,
}

fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        round6(count as f64 / seconds)
    } else {
        0.0
    }
}

fn mean_ms(sum_ns: u128, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        round6(sum_ns as f64 / count as f64 / 1e6)
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        round6(numerator as f64 / denominator as f64)
    }
}

impl Summary {
    /// Summarizes a run that has been finished with [`Simulation::finish`], or brought
    /// up to date with [`Simulation::refresh_metrics`] while it goes on.
    #[must_use]
    pub fn new(simulation: &Simulation, scenario_name: &str) -> Self {
        let model = simulation.model();
        let layout = simulation.layout();
        let metrics = simulation.metrics();
        let options = simulation.options();
        let now = simulation.now_ns();
        let measured_ns = now.saturating_sub(options.warmup_ns);
        let seconds = measured_ns as f64 / 1e9;
        let stats = |entity: u32| &metrics.stats[entity as usize];

        let client_in_flight = simulation.client_requests_in_flight(options.warmup_ns);
        let clients = model
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let s = stats(layout.clients + i as u32);
                let t = &s.total;
                ClientSummary {
                    name: c.name.clone(),
                    issued: t.offered,
                    successes: t.successes,
                    errors: ErrorCounts::from_counts(t),
                    in_flight: client_in_flight[i],
                    offered_per_s: per_second(t.offered, seconds),
                    throughput_per_s: per_second(t.completed, seconds),
                    goodput_per_s: per_second(t.successes, seconds),
                    latency: Latency::from_stats(s),
                    mean_sojourn_ms: mean_ms(t.sojourn_sum_ns, t.completed),
                    mean_in_flight: round6(s.mean_in_flight(measured_ns)),
                    attempts: t.attempts,
                    retry_amplification: ratio(t.attempts, t.offered),
                }
            })
            .collect();

        let service_summary = |name: &str, s: &Stats, capacity: f64| {
            let t = &s.total;
            ServiceSummary {
                name: name.to_owned(),
                arrivals: t.offered,
                successes: t.successes,
                errors: ErrorCounts::from_counts(t),
                in_flight: t.offered.saturating_sub(t.completed),
                offered_per_s: per_second(t.offered, seconds),
                throughput_per_s: per_second(t.completed, seconds),
                goodput_per_s: per_second(t.successes, seconds),
                latency: Latency::from_stats(s),
                mean_sojourn_ms: mean_ms(t.sojourn_sum_ns, t.completed),
                utilization: if capacity > 0.0 {
                    round6(s.mean_busy(measured_ns) / capacity)
                } else {
                    0.0
                },
                mean_in_flight: round6(s.mean_in_flight(measured_ns)),
                max_in_flight: s.max_in_flight(),
                autoscaling: None,
                wasted_work_s: round6(t.wasted_ns as f64 / 1e9),
                wasted_work_share: {
                    let busy_ns = s.mean_busy(measured_ns) * measured_ns as f64;
                    if busy_ns > 0.0 {
                        round6(t.wasted_ns as f64 / busy_ns)
                    } else {
                        0.0
                    }
                },
            }
        };
        // Replicas changed live count for the time they were there.
        let capacity = |service: usize| {
            let m = &model.services[service];
            simulation.mean_replicas(service) * (f64::from(m.workers) + f64::from(m.consumer_slots))
        };
        let services = model
            .services
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut summary =
                    service_summary(&m.name, stats(layout.services + i as u32), capacity(i));
                summary.autoscaling =
                    simulation
                        .autoscaling_counts(i)
                        .map(|counts| AutoscalingSummary {
                            scale_ups: counts.scale_ups,
                            scale_downs: counts.scale_downs,
                            min_replicas: counts.min_replicas,
                            max_replicas: counts.max_replicas,
                            mean_replicas: round6(simulation.mean_replicas(i)),
                        });
                summary
            })
            .collect();
        let operations = model
            .operations
            .iter()
            .enumerate()
            .map(|(i, m)| {
                service_summary(
                    &m.name,
                    stats(layout.operations + i as u32),
                    capacity(m.service as usize),
                )
            })
            .collect();

        let contents = simulation.queue_contents(options.warmup_ns);
        let blocked = simulation.blocked_publishers();
        let queues = model
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let s = stats(layout.queues + i as u32);
                let t = &s.total;
                let errors = ErrorCounts::from_counts(t);
                let broker = simulation.broker_status(i);
                QueueSummary {
                    name: q.name.clone(),
                    published: t.offered,
                    consumed: t.successes,
                    dropped: errors.dropped,
                    dead_lettered: errors.dead_lettered,
                    rejected: errors.rejected,
                    queued: contents[i].0,
                    in_handling: contents[i].1,
                    mean_depth: round6(s.mean_in_flight(measured_ns)),
                    max_depth: s.max_in_flight(),
                    max_oldest_age_ms: round6(s.max_oldest_age_ns as f64 / 1e6),
                    latency: Latency::from_stats(s),
                    blocked_publishers: blocked[i] as u64,
                    unacked: broker.as_ref().map(|b| b.unacked),
                    duplicates: broker.as_ref().map(|b| b.duplicates),
                    expired: broker.as_ref().map(|_| errors.expired),
                    empty_polls: broker
                        .as_ref()
                        .filter(|b| b.kind == BrokerKind::DbPoll)
                        .map(|b| b.empty_polls),
                    partitions: broker
                        .as_ref()
                        .filter(|b| b.kind == BrokerKind::Kafka)
                        .map(|b| {
                            b.partitions
                                .iter()
                                .map(|p| PartitionSummary {
                                    end_offset: p.end_offset,
                                    committed_offset: p.committed_offset,
                                    final_lag: p.end_offset - p.committed_offset,
                                    max_lag: p.max_lag,
                                    lag_series: p.lag_series.clone(),
                                })
                                .collect()
                        }),
                }
            })
            .collect();

        let edges = model
            .edges
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let s = stats(layout.edges + i as u32);
                let t = &s.total;
                let first_attempts = t.attempts.saturating_sub(t.retries);
                EdgeSummary {
                    name: e.name.clone(),
                    kind: e.kind.name(),
                    attempts: t.attempts,
                    retries: t.retries,
                    successes: t.successes,
                    errors: ErrorCounts::from_counts(t),
                    lost: t.lost,
                    late_responses: t.late,
                    retry_amplification: ratio(t.attempts, first_attempts),
                    retries_denied: t.retries_denied,
                    latency: Latency::from_stats(s),
                    throughput_per_s: per_second(t.attempts, seconds),
                    circuit_breaker: BreakerSummary::of_edge(simulation, i as u32),
                }
            })
            .collect();

        let client_windows: Vec<(&str, &[Window])> = model
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.name.as_str(),
                    stats(layout.clients + i as u32).series.as_slice(),
                )
            })
            .collect();
        let fault_windows: Vec<(usize, u64, Option<u64>)> = simulation
            .fault_timeline()
            .iter()
            .map(|interval| (interval.fault as usize, interval.start_ns, interval.end_ns))
            .collect();
        let faults = recoveries(
            &client_windows,
            &fault_windows,
            options.warmup_ns,
            options.window_ns,
        );

        Self {
            scenario: scenario_name.to_owned(),
            seed: options.seed,
            duration_s: round6(now as f64 / 1e9),
            warmup_s: round6(options.warmup_ns as f64 / 1e9),
            window_s: round6(options.window_ns as f64 / 1e9),
            events: simulation.events_processed(),
            clients,
            services,
            operations,
            queues,
            edges,
            faults,
            fault_timeline: fault_timeline(simulation),
            fault_intervals_omitted: Some(simulation.fault_intervals_omitted())
                .filter(|&omitted| omitted > 0),
        }
    }
}

fn fault_timeline(simulation: &Simulation) -> Option<Vec<FaultIntervalSummary>> {
    let model = simulation.model();
    if model.faults.is_empty() {
        return None;
    }
    let seconds = |ns: u64| ns as f64 / 1e9;
    let intervals = simulation
        .fault_timeline()
        .iter()
        .map(|interval| FaultIntervalSummary {
            fault: interval.fault,
            kind: interval.kind,
            label: interval.label.clone(),
            targets: interval
                .targets
                .iter()
                .map(|node| model.node_name(*node).to_owned())
                .collect(),
            start_s: seconds(interval.start_ns),
            end_s: interval.end_ns.map(seconds),
            origin: interval.origin,
        })
        .collect();
    Some(intervals)
}
