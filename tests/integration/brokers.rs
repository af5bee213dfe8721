//! Broker semantics of queues: RabbitMQ-like overflow, prefetch, requeue and time to
//! live; SQS-like visibility timeouts and redrive; Kafka-like partitions, lag and
//! retention; database-backed polls; presets and the checks of broker settings.
//!
//! Every scenario has constant times and no network latency, so the expectations are
//! exact. A producer publishes at evenly spaced instants: at a rate of 10/s, the n-th
//! message (from 1) is published at n × 100 ms.

use topolab::engine::sim::brokers::{BrokerStatus, TraceEvent, partition_of_key};
use topolab::engine::{Model, RunOptions, Simulation};
use topolab::metrics::summary::{QueueSummary, Summary};
use topolab::scenario::brokers::{BrokerKind, BrokerSettings};
use topolab::scenario::{self, Duration, Preset, load_str};

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

/// Builds a scenario in which `producer` publishes to queue `jobs` at `rate`, and
/// `worker.handle` consumes it in `handling`. `queue` and `extra` are indented YAML
/// appended to the queue and to the `queues` section.
fn scenario(rate: &str, handling: &str, replicas: u32, queue: &str, extra: &str) -> String {
    format!(
        r"
version: 1
clients:
  producer:
    target: app.send
    arrivals: {{ constant: {rate} }}
services:
  app:
    workers: 1000
    operations:
      send:
        service_time: 0ms
        steps:
          - publish: jobs
  worker:
    replicas: {replicas}
    workers: 1
    operations:
      handle:
        service_time: {handling}
queues:
  jobs:
{queue}
{extra}
"
    )
}

fn start(yaml: &str) -> Simulation {
    let loaded = load_str(yaml, None).unwrap_or_else(|e| panic!("invalid scenario: {e:?}"));
    let model = Model::compile(&loaded.scenario).expect("the scenario compiles");
    Simulation::new(
        model,
        RunOptions {
            seed: 1,
            warmup_ns: 0,
            window_ns: S,
        },
    )
}

fn run_to(simulation: &mut Simulation, end_ns: u64) {
    simulation.run_until(end_ns).expect("the run finishes");
}

fn status(simulation: &Simulation, queue: usize) -> BrokerStatus {
    simulation
        .broker_status(queue)
        .expect("the queue has broker settings")
}

fn queue_summary(simulation: &mut Simulation, queue: usize) -> QueueSummary {
    simulation.finish();
    Summary::new(simulation, "test").queues[queue].clone()
}

/// Operation `worker.handle`'s arrivals: the deliveries that reached a consumer.
fn handlings(simulation: &Simulation) -> u64 {
    let layout = simulation.layout();
    // Operations: app.send, then worker.handle.
    simulation.metrics().stats[layout.operations as usize + 1]
        .total
        .offered
}

/// Returns the diagnostics of `yaml`, each as `LINE:COLUMN: error: PATH: MESSAGE`.
fn diagnostics(yaml: &str) -> Vec<String> {
    let found = match load_str(yaml, None) {
        Ok(loaded) => loaded.warnings,
        Err(diagnostics) => diagnostics,
    };
    found
        .iter()
        .map(|d| {
            let position = d
                .position
                .map_or_else(String::new, |p| format!("{}:{}: ", p.line, p.column));
            format!("{position}{d}")
        })
        .collect()
}

const DLQ: &str = "  dlq: {}";

#[test]
fn drop_head_keeps_newest() {
    let yaml = scenario(
        "10/s",
        "0ms",
        1,
        "    capacity: 3\n    overflow: drop-head",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 550 * MS);
    // Five publishes at 100..500 ms into room for three: the two oldest are dropped.
    assert_eq!(
        simulation.queued_enqueue_times(0),
        vec![300 * MS, 400 * MS, 500 * MS]
    );
    let summary = queue_summary(&mut simulation, 0);
    assert_eq!(summary.dropped, 2);
    assert_eq!(summary.queued, 3);
}

#[test]
fn reject_publish_dlx_dead_letters() {
    let yaml = scenario(
        "10/s",
        "0ms",
        1,
        "    capacity: 1\n    overflow: reject-publish-dlx\n    dead_letter: dlq",
        DLQ,
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 350 * MS);
    assert_eq!(simulation.queued_enqueue_times(0), vec![100 * MS]);
    assert_eq!(simulation.queued_enqueue_times(1), vec![200 * MS, 300 * MS]);
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.queues[0].rejected, 2);
    assert_eq!(summary.queues[1].published, 2);
    // The publisher receives each rejection.
    assert_eq!(summary.operations[0].errors.failed, 2);
}

#[test]
fn prefetch_holds_exactly_n() {
    let yaml = scenario(
        "10/s",
        "10s",
        1,
        "    prefetch: 3\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 1050 * MS);
    // Ten messages: the one consumer holds three, handles one of them, and seven wait.
    assert_eq!(status(&simulation, 0).unacked, 3);
    assert_eq!(simulation.queue_depths()[0], 7);
    assert_eq!(handlings(&simulation), 1);
}

#[test]
fn max_length_counts_ready_only() {
    let yaml = scenario(
        "10/s",
        "10s",
        1,
        "    prefetch: 2\n    capacity: 2\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 1050 * MS);
    // Two unacknowledged and two ready fit; the other six publishes are rejected.
    assert_eq!(status(&simulation, 0).unacked, 2);
    assert_eq!(simulation.queue_depths()[0], 2);
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.queues[0].rejected, 6);
}

#[test]
fn requeue_false_dead_letters_at_once() {
    let mut yaml = scenario(
        "10/s",
        "10ms",
        1,
        "    requeue: false\n    max_deliveries: 5\n    dead_letter: dlq\n    consumer: { operation: worker.handle }",
        DLQ,
    );
    yaml = yaml.replace(
        "service_time: 10ms",
        "service_time: 10ms\n        error_probability: 1",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 1050 * MS);
    // Each of the ten messages is delivered once and dead-lettered 10 ms later.
    assert_eq!(handlings(&simulation), 10);
    let times: Vec<u64> = (1..=10).map(|n| n * 100 * MS + 10 * MS).collect();
    assert_eq!(simulation.queued_enqueue_times(1), times);
}

#[test]
fn requeue_redelivers_until_max_deliveries() {
    let mut yaml = scenario(
        "10/s",
        "10ms",
        1,
        "    requeue: true\n    max_deliveries: 4\n    dead_letter: dlq\n    consumer: { operation: worker.handle }",
        DLQ,
    );
    yaml = yaml.replace(
        "service_time: 10ms",
        "service_time: 10ms\n        error_probability: 1",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 150 * MS);
    // Four deliveries of 10 ms from 100 ms, then the dead-letter queue at 140 ms.
    assert_eq!(handlings(&simulation), 4);
    assert_eq!(simulation.queued_enqueue_times(1), vec![140 * MS]);
}

#[test]
fn ttl_expires_into_dead_letter_queue() {
    let yaml = scenario(
        "10/s",
        "10s",
        1,
        "    message_ttl: 500ms\n    dead_letter: dlq\n    consumer: { operation: worker.handle }",
        DLQ,
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 1000 * MS);
    // The first message is in handling. Those of 200, 300 and 400 ms expired at 700,
    // 800 and 900 ms. The one of 500 ms expires at 1 s, which the run has not reached.
    assert_eq!(
        simulation.queued_enqueue_times(1),
        vec![700 * MS, 800 * MS, 900 * MS]
    );
    assert_eq!(
        simulation.queued_enqueue_times(0),
        vec![500 * MS, 600 * MS, 700 * MS, 800 * MS, 900 * MS]
    );
    let summary = queue_summary(&mut simulation, 0);
    assert_eq!(summary.expired, Some(3));
    assert_eq!(summary.dead_lettered, 0);
}

#[test]
fn visibility_timeout_duplicates() {
    // One message at 100 s, hidden for 1 s and handled for 2.5 s, with three
    // consumers: it reappears at 101 s and 102 s and is received twice more before the
    // first handling deletes it at 102.5 s.
    let yaml = scenario(
        "0.01/s",
        "2500ms",
        3,
        "    visibility_timeout: 1s\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 105 * S);
    assert_eq!(handlings(&simulation), 3);
    let summary = queue_summary(&mut simulation, 0);
    assert_eq!(summary.duplicates, Some(2));
    assert_eq!(summary.consumed, 1);
    assert_eq!(summary.unacked, Some(0));
    assert_eq!(summary.queued, 0);
    assert_eq!(summary.in_handling, 0);
}

#[test]
fn visibility_timeout_redrives_after_max_deliveries() {
    let mut yaml = scenario(
        "0.01/s",
        "100ms",
        1,
        "    visibility_timeout: 1s\n    max_deliveries: 3\n    dead_letter: dlq\n    consumer: { operation: worker.handle }",
        DLQ,
    );
    yaml = yaml.replace(
        "service_time: 100ms",
        "service_time: 100ms\n        error_probability: 1",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 102_500 * MS);
    // A failed receive is not returned: the message reappears at 101 s and 102 s.
    assert_eq!(handlings(&simulation), 3);
    assert!(simulation.queued_enqueue_times(1).is_empty());
    run_to(&mut simulation, 104 * S);
    // The visibility timeout of the third receive ends at 103 s: redrive.
    assert_eq!(simulation.queued_enqueue_times(1), vec![103 * S]);
    let summary = queue_summary(&mut simulation, 0);
    assert_eq!(summary.dead_lettered, 1);
    assert_eq!(summary.duplicates, Some(0));
}

const KAFKA: &str = "    partitions: 3\n    keys: 10\n    max_deliveries: 3\n    consumer: { operation: worker.handle, concurrency: 2 }";

/// Groups the traced handlings by partition, in start order: (start, end, consumer,
/// offset).
fn handlings_by_partition(trace: &[TraceEvent], partitions: u32) -> Vec<Vec<(u64, u64, u32, u64)>> {
    let mut out = vec![Vec::new(); partitions as usize];
    let mut open: Vec<Option<(u64, u32, u64)>> = vec![None; partitions as usize];
    for event in trace {
        let p = event.partition as usize;
        if event.start {
            assert!(
                open[p].is_none(),
                "partition {p} started offset {} at {} ns while another handling ran",
                event.offset,
                event.at_ns
            );
            open[p] = Some((event.at_ns, event.consumer, event.offset));
        } else {
            let (start, consumer, offset) = open[p].take().expect("an end follows a start");
            assert_eq!(offset, event.offset);
            out[p].push((start, event.at_ns, consumer, offset));
        }
    }
    out
}

#[test]
fn kafka_keeps_partition_order() {
    let mut yaml = scenario("100/s", "20ms", 3, KAFKA, "");
    yaml = yaml.replace(
        "service_time: 20ms",
        "service_time: 20ms\n        error_probability: 0.2",
    );
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 5 * S);
    let per_partition = handlings_by_partition(simulation.handling_trace(0), 3);
    for (p, handlings) in per_partition.iter().enumerate() {
        assert!(
            handlings.len() > 50,
            "partition {p}: {} handlings",
            handlings.len()
        );
        // Offsets never go back: a failed record is retried before the next one.
        for pair in handlings.windows(2) {
            assert!(pair[1].3 >= pair[0].3, "partition {p} went back: {pair:?}");
            assert!(
                pair[1].3 <= pair[0].3 + 1,
                "partition {p} skipped: {pair:?}"
            );
        }
    }
    // Every key goes to one partition, so per-partition order is per-key order.
    for key in 0..10 {
        assert_eq!(partition_of_key(key, 3), partition_of_key(key, 3));
    }
}

#[test]
fn kafka_one_consumer_per_partition() {
    // Three replicas with two consumers each make six consumers for three partitions:
    // each partition has one consumer, and three consumers stay idle.
    let yaml = scenario("100/s", "20ms", 3, KAFKA, "");
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 5 * S);
    let per_partition = handlings_by_partition(simulation.handling_trace(0), 3);
    let mut used = Vec::new();
    for (p, handlings) in per_partition.iter().enumerate() {
        let consumers: std::collections::BTreeSet<u32> = handlings.iter().map(|h| h.2).collect();
        assert_eq!(consumers.len(), 1, "partition {p}: consumers {consumers:?}");
        used.extend(consumers);
    }
    used.sort_unstable();
    // Slot 0 of each replica: consumers 0, 2 and 4.
    assert_eq!(used, vec![0, 2, 4]);
}

#[test]
fn kafka_lag_exact_per_window() {
    // One partition, 10 publishes per second, 300 ms per record. At the end of second
    // k, 10k - 1 records were appended and the handlings that ended before k s, at
    // 400, 700, 1000, ... ms, were committed.
    let yaml = scenario(
        "10/s",
        "300ms",
        1,
        "    partitions: 1\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 3 * S);
    let broker = status(&simulation, 0);
    assert_eq!(broker.partitions[0].lag_series, vec![7, 13, 20]);
    assert_eq!(broker.partitions[0].end_offset, 29);
    assert_eq!(broker.partitions[0].committed_offset, 9);
    let summary = queue_summary(&mut simulation, 0);
    let partitions = summary
        .partitions
        .expect("a Kafka-like queue has partitions");
    assert_eq!(partitions[0].final_lag, 20);
    assert_eq!(partitions[0].max_lag, 20);
    // Record k is appended at (k + 1) × 100 ms. At 3 s record 9 is in handling, so the
    // oldest waiting one is record 10, appended at 1.1 s.
    assert_eq!(summary.max_oldest_age_ms, 1900.0);
}

#[test]
fn kafka_retention_expires_unconsumed() {
    let yaml = scenario("10/s", "0ms", 1, "    partitions: 1\n    retention: 1s", "");
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 2050 * MS);
    // Records of 100 ms to 1 s expired at 1.1 s to 2 s; those of 1.1 s to 2 s remain.
    let remaining: Vec<u64> = (11..=20).map(|n| n * 100 * MS).collect();
    assert_eq!(simulation.queued_enqueue_times(0), remaining);
    let summary = queue_summary(&mut simulation, 0);
    assert_eq!(summary.expired, Some(10));
    let partitions = summary
        .partitions
        .expect("a Kafka-like queue has partitions");
    assert_eq!(partitions[0].end_offset, 20);
    assert_eq!(partitions[0].committed_offset, 10);
}

#[test]
fn db_poll_waits_for_next_poll() {
    // Polls every 700 ms from 0; publishes every second from 1 s.
    let yaml = scenario(
        "1/s",
        "100ms",
        1,
        "    poll_interval: 700ms\n    batch_size: 10\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 6 * S);
    let starts: Vec<u64> = simulation
        .handling_trace(0)
        .iter()
        .filter(|e| e.start)
        .map(|e| e.at_ns)
        .collect();
    assert_eq!(
        starts,
        vec![1400 * MS, 2100 * MS, 3500 * MS, 4200 * MS, 5600 * MS]
    );
    // Of the polls at 0, 0.7, ..., 5.6 s, those at 0, 0.7, 2.8 and 4.9 s found nothing.
    assert_eq!(status(&simulation, 0).empty_polls, 4);
}

#[test]
fn db_poll_takes_a_batch() {
    let yaml = scenario(
        "10/s",
        "10ms",
        1,
        "    poll_interval: 1s\n    batch_size: 4\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 1100 * MS);
    // The poll at 1 s takes four of the nine rows of 100..900 ms and handles them one
    // after another. Five of those rows and the one published at 1 s, just after the
    // poll, wait for the poll at 2 s.
    let starts: Vec<u64> = simulation
        .handling_trace(0)
        .iter()
        .filter(|e| e.start)
        .map(|e| e.at_ns)
        .collect();
    assert_eq!(starts, vec![1000 * MS, 1010 * MS, 1020 * MS, 1030 * MS]);
    assert_eq!(simulation.queue_depths()[0], 6);
}

#[test]
fn abandoned_delivery_per_kind() {
    // RabbitMQ-like: requeued at once, and redelivered as a duplicate.
    let yaml = scenario(
        "0.01/s",
        "1s",
        1,
        "    prefetch: 1\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 100_500 * MS);
    assert_eq!(simulation.abandon_handlings(0, true), 1);
    run_to(&mut simulation, 100_600 * MS);
    assert_eq!(handlings(&simulation), 2);
    assert_eq!(status(&simulation, 0).duplicates, 1);

    // SQS-like: nothing until the visibility timeout ends at 110 s.
    let yaml = scenario(
        "0.01/s",
        "1s",
        1,
        "    visibility_timeout: 10s\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 100_500 * MS);
    assert_eq!(simulation.abandon_handlings(0, true), 1);
    run_to(&mut simulation, 109_900 * MS);
    assert_eq!(handlings(&simulation), 1);
    run_to(&mut simulation, 110_100 * MS);
    assert_eq!(handlings(&simulation), 2);
    assert_eq!(status(&simulation, 0).duplicates, 1);

    // Kafka-like: the record at the committed offset is consumed again at once.
    let yaml = scenario(
        "0.01/s",
        "1s",
        1,
        "    partitions: 1\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 100_500 * MS);
    assert_eq!(simulation.abandon_handlings(0, false), 1);
    run_to(&mut simulation, 100_600 * MS);
    assert_eq!(handlings(&simulation), 2);
    let broker = status(&simulation, 0);
    assert_eq!(broker.duplicates, 0);
    assert_eq!(broker.partitions[0].committed_offset, 0);
}

/// Operation `worker.handle`'s summary.
fn handler(summary: &Summary) -> &topolab::metrics::summary::ServiceSummary {
    summary
        .operations
        .iter()
        .find(|o| o.name == "worker.handle")
        .expect("the consumer's operation")
}

/// Returns the consume edge's summary.
fn consume_edge(summary: &Summary) -> &topolab::metrics::summary::EdgeSummary {
    summary
        .edges
        .iter()
        .find(|e| e.kind == "consume")
        .expect("the delivery edge")
}

/// Returns the message ids of the handlings traced on queue 0 that started in
/// `[from, to)`, in start order. Publishes are numbered from 1, so the n-th message has id n.
fn started_ids(simulation: &Simulation, from: u64, to: u64) -> Vec<(u64, u64)> {
    simulation
        .handling_trace(0)
        .iter()
        .filter(|e| e.start && (from..to).contains(&e.at_ns))
        .map(|e| (e.at_ns, e.message_id))
        .collect()
}

/// Checks that every message published to each queue is accounted for.
fn assert_conserved(summary: &Summary) {
    for queue in &summary.queues {
        let accounted = queue.consumed
            + queue.dropped
            + queue.dead_lettered
            + queue.expired.unwrap_or(0)
            + queue.queued
            + queue.in_handling;
        assert_eq!(
            queue.published, accounted,
            "queue {}: {queue:?}",
            queue.name
        );
    }
}

/// An SQS-like handler that processes a message in its 1 s service time and then spends
/// 1 s in a `work` step before it deletes the message, at the end of the handling.
fn sqs_crash(crash_at: &str) -> String {
    let yaml = scenario(
        "0.25/s",
        "1s",
        1,
        "    visibility_timeout: 5s\n    consumer: { operation: worker.handle }",
        &format!("faults:\n  - {{ at: {crash_at}, for: 1s, crash: {{ service: worker }} }}"),
    );
    yaml.replace(
        "service_time: 1s",
        "service_time: 1s\n        steps:\n          - work: 1s",
    )
}

#[test]
fn sqs_crash_after_processing_duplicates() {
    // Messages at 4, 8, 12, ... s, each handled from its publish for 2 s. The crash at
    // 9.5 s kills the handling of the message of 8 s after its processing (8 s to 9 s)
    // and before its delete: it stays hidden until its visibility timeout ends at 13 s,
    // waits for the handling of the message of 12 s, and is received again at 14 s.
    let mut simulation = start(&sqs_crash("9500ms"));
    simulation.trace_handlings(0);
    run_to(&mut simulation, 23 * S);
    assert_eq!(
        started_ids(&simulation, 0, 23 * S),
        vec![
            (4 * S, 1),
            (8 * S, 2),
            (12 * S, 3),
            (14 * S, 2),
            (16 * S, 4),
            (20 * S, 5)
        ]
    );
    assert_eq!(handlings(&simulation), 6);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    let queue = &summary.queues[0];
    assert_eq!(queue.published, 5);
    assert_eq!(queue.consumed, 5);
    assert_eq!(queue.duplicates, Some(1));
    assert_eq!(queue.dead_lettered, 0);
    assert_eq!(queue.unacked, Some(0));
    assert_conserved(&summary);
    let worker = handler(&summary);
    assert_eq!(worker.successes, 5);
    assert_eq!(worker.errors.dropped, 1);
    // The handling ran from 8 s to 9.5 s.
    assert_eq!(worker.wasted_work_s, 1.5);
    let delivery = consume_edge(&summary);
    assert_eq!(delivery.attempts, 6);
    assert_eq!(delivery.retries, 1);
    assert_eq!(delivery.errors.dropped, 1);
}

#[test]
fn sqs_crash_before_processing_redelivers_without_duplicate() {
    // The crash at 8.5 s comes during the processing of the message of 8 s: it is
    // received again at 14 s as before, but its first handling did no work.
    let mut simulation = start(&sqs_crash("8500ms"));
    run_to(&mut simulation, 23 * S);
    assert_eq!(handlings(&simulation), 6);
    let summary = queue_summary(&mut simulation, 0);
    assert_eq!(summary.consumed, 5);
    assert_eq!(summary.duplicates, Some(0));
}

#[test]
fn sqs_crash_past_max_receives_redrives() {
    // With maxReceiveCount 1, the visibility timeout of the only receive of the message
    // of 8 s ends at 13 s and moves it to the dead-letter queue.
    let yaml = sqs_crash("9500ms").replace(
        "    visibility_timeout: 5s",
        "    visibility_timeout: 5s\n    max_deliveries: 1\n    dead_letter: dlq",
    );
    let yaml = yaml.replace("faults:", "  dlq: {}\nfaults:");
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 23 * S);
    assert_eq!(simulation.queued_enqueue_times(1), vec![13 * S]);
    assert_eq!(handlings(&simulation), 5);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.queues[0].dead_lettered, 1);
    assert_eq!(summary.queues[0].duplicates, Some(0));
    assert_conserved(&summary);
}

#[test]
fn rabbitmq_crash_requeues_every_unacked() {
    // Ten publishes a second and 300 ms a message: the consumer holds its prefetch of 10
    // from 1 s on. At 2.05 s it is handling the 7th message (since 1.9 s) and holds the
    // 8th to the 16th; the 17th to the 20th are ready. The crash requeues the ten at the
    // head, in order, and the restart at 3.05 s takes them again, first.
    let yaml = scenario(
        "10/s",
        "300ms",
        1,
        "    prefetch: 10\n    consumer: { operation: worker.handle }",
        "faults:\n  - { at: 2050ms, for: 1s, crash: { service: worker } }",
    );
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 2050 * MS + 1);
    assert_eq!(status(&simulation, 0).unacked, 0);
    assert_eq!(
        simulation.queued_enqueue_times(0),
        (7..=20).map(|n| n * 100 * MS).collect::<Vec<_>>()
    );
    run_to(&mut simulation, 3050 * MS + 1);
    // Nothing was delivered while the replica was down; ten more were published.
    assert_eq!(status(&simulation, 0).unacked, 10);
    assert_eq!(simulation.queue_depths()[0], 14);
    run_to(&mut simulation, 6 * S);
    let after: Vec<(u64, u64)> = started_ids(&simulation, 2050 * MS, 6 * S);
    let expected: Vec<(u64, u64)> = (0..10).map(|k| (3050 * MS + k * 300 * MS, 7 + k)).collect();
    assert_eq!(after, expected);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    let queue = &summary.queues[0];
    assert_eq!(queue.published, 59);
    assert_eq!(queue.dead_lettered, 0);
    assert_eq!(queue.dropped, 0);
    // None had done its work: redeliveries, not duplicates.
    assert_eq!(queue.duplicates, Some(0));
    // Handled before the crash: 0.1 s to 1.9 s; after: 3.05 s to 5.75 s.
    assert_eq!(queue.consumed, 6 + 9);
    assert_conserved(&summary);
    let delivery = consume_edge(&summary);
    assert_eq!(delivery.retries, 10);
    assert_eq!(delivery.errors.dropped, 10);
    let worker = handler(&summary);
    assert_eq!(worker.errors.dropped, 1);
    assert_eq!(worker.wasted_work_s, 0.15);
}

#[test]
fn rabbitmq_crash_past_max_deliveries_dead_letters() {
    // With a delivery limit of 1, a return on a closed channel dead-letters the ten
    // unacknowledged messages instead of requeueing them.
    let yaml = scenario(
        "10/s",
        "300ms",
        1,
        "    prefetch: 10\n    max_deliveries: 1\n    dead_letter: dlq\n    consumer: { operation: worker.handle }",
        "  dlq: {}\nfaults:\n  - { at: 2050ms, for: 1s, crash: { service: worker } }",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 2100 * MS);
    assert_eq!(simulation.queued_enqueue_times(1), vec![2050 * MS; 10]);
    assert_eq!(
        simulation.queued_enqueue_times(0),
        (17..=20).map(|n| n * 100 * MS).collect::<Vec<_>>()
    );
}

#[test]
fn rabbitmq_one_replica_crash_keeps_consuming() {
    // Two replicas with a prefetch of 5 each. Replica 0 is down from 1.05 s to 3.05 s:
    // its consumer receives nothing, and replica 1's consumer takes every message.
    let yaml = scenario(
        "10/s",
        "50ms",
        2,
        "    prefetch: 5\n    consumer: { operation: worker.handle }",
        "faults:\n  - { at: 1050ms, for: 2s, crash: { service: worker, replica: 0 } }",
    );
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 4 * S);
    let during: Vec<u32> = simulation
        .handling_trace(0)
        .iter()
        .filter(|e| e.start && (1050 * MS..3050 * MS).contains(&e.at_ns))
        .map(|e| e.consumer)
        .collect();
    assert_eq!(during, vec![1; 20]);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.queues[0].consumed, 39);
    assert_eq!(summary.queues[0].dead_lettered, 0);
    assert_eq!(handler(&summary).errors.dropped, 0);
    assert_conserved(&summary);
}

/// Four partitions, keyless so that the n-th message goes to partition (n - 1) mod 4, and
/// two replicas: consumer 0 on replica 0 has partitions 0 and 2, consumer 1 on replica 1
/// has partitions 1 and 3. Replica 1 is down from 2.12 s to 30 s.
fn kafka_crash(session_timeout: &str) -> String {
    scenario(
        "10/s",
        "50ms",
        2,
        &format!(
            "    partitions: 4\n    session_timeout: {session_timeout}\n    consumer: {{ operation: worker.handle }}"
        ),
        "faults:\n  - { at: 2120ms, for: 27880ms, crash: { service: worker, replica: 1 } }",
    )
}

#[test]
fn kafka_crash_rebalances_after_session_timeout() {
    let mut simulation = start(&kafka_crash("5s"));
    simulation.trace_handlings(0);
    run_to(&mut simulation, 12 * S);
    let broker = status(&simulation, 0);
    // Partition 1 gets a record every 400 ms from 200 ms. Its records of 2.2 s on wait
    // for the rebalance at 7.12 s: its lag at the ends of seconds 1 to 7 counts them.
    assert_eq!(
        &broker.partitions[1].lag_series[..7],
        &[0, 0, 2, 5, 7, 10, 12]
    );
    assert_eq!(
        &broker.partitions[3].lag_series[..7],
        &[0, 0, 2, 4, 7, 9, 12]
    );
    // Consumer 0 then handles all four partitions, 20 records a second against 10
    // published, and drains the backlog.
    for p in 0..4 {
        assert_eq!(broker.partitions[p].lag_series[11], 0, "partition {p}");
    }
    assert!(broker.partitions[0].lag_series.iter().all(|lag| *lag <= 1));
    let trace = simulation.handling_trace(0);
    let moved: Vec<&TraceEvent> = trace
        .iter()
        .filter(|e| e.start && e.at_ns >= 2120 * MS && (e.partition == 1 || e.partition == 3))
        .collect();
    // The rebalance is at 7.12 s; consumer 0 ends partition 2's record of 7.1 s at
    // 7.15 s and then takes the waiting partitions.
    assert_eq!(moved[0].at_ns, 7150 * MS);
    assert!(moved.iter().all(|e| e.consumer == 0));
    // The records wait; none is lost or handled twice.
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.queues[0].duplicates, Some(0));
    assert_eq!(summary.queues[0].dead_lettered, 0);
    assert_conserved(&summary);
}

#[test]
fn kafka_restart_before_session_timeout_keeps_partitions() {
    // A session timeout longer than the crash: partitions 1 and 3 wait for the restart
    // at 30 s, and are then consumed by consumer 1 again.
    let mut simulation = start(&kafka_crash("1m"));
    simulation.trace_handlings(0);
    run_to(&mut simulation, 35 * S);
    let trace = simulation.handling_trace(0);
    let moved: Vec<&TraceEvent> = trace
        .iter()
        .filter(|e| e.start && e.at_ns >= 2120 * MS && (e.partition == 1 || e.partition == 3))
        .collect();
    assert_eq!(moved[0].at_ns, 30 * S);
    assert!(moved.iter().all(|e| e.consumer == 1));
    let broker = status(&simulation, 0);
    assert_eq!(broker.partitions[1].lag_series[29], 70);
}

#[test]
fn kafka_crash_while_handling_retries_the_record() {
    // Crashed at 2.02 s, replica 1 was handling partition 3's record of 2 s (offset 4):
    // the record stays at the committed offset and consumer 0 handles it after the
    // rebalance, before the records behind it.
    let yaml = kafka_crash("5s").replace("at: 2120ms, for: 27880ms", "at: 2020ms, for: 27980ms");
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 12 * S);
    let partition_3: Vec<(u64, u32, u64)> = simulation
        .handling_trace(0)
        .iter()
        .filter(|e| e.partition == 3 && e.at_ns >= 2 * S)
        .map(|e| (e.at_ns, e.consumer, e.offset))
        .take(3)
        .collect();
    // Started at 2 s, ended by the crash at 2.02 s, started again at 7.02 s.
    assert_eq!(
        partition_3,
        vec![(2 * S, 1, 4), (2020 * MS, 1, 4), (7020 * MS, 0, 4)]
    );
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.queues[0].duplicates, Some(0));
    assert_eq!(handler(&summary).errors.dropped, 1);
    assert_conserved(&summary);
}

#[test]
fn db_poll_crash_unlocks_claimed_rows() {
    // The poll at 1 s takes rows 1 to 4, handled 400 ms each. The crash at 1.5 s kills
    // the handling of row 2 and the claim of rows 3 and 4: they go back to the head, the
    // poll at 2 s skips the crashed consumer, and the poll at 3 s takes them again.
    let yaml = scenario(
        "10/s",
        "400ms",
        1,
        "    poll_interval: 1s\n    batch_size: 4\n    consumer: { operation: worker.handle }",
        "faults:\n  - { at: 1500ms, for: 1s, crash: { service: worker } }",
    );
    let mut simulation = start(&yaml);
    simulation.trace_handlings(0);
    run_to(&mut simulation, 4500 * MS);
    assert_eq!(
        started_ids(&simulation, 0, 4500 * MS),
        vec![
            (1000 * MS, 1),
            (1400 * MS, 2),
            (3000 * MS, 2),
            (3400 * MS, 3),
            (3800 * MS, 4),
            (4200 * MS, 5)
        ]
    );
    // Polls at 0 s and 2 s: the first found nothing; the second skipped the consumer.
    assert_eq!(status(&simulation, 0).empty_polls, 1);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    assert_eq!(consume_edge(&summary).retries, 3);
    assert_eq!(handler(&summary).errors.dropped, 1);
    assert_eq!(handler(&summary).wasted_work_s, 0.1);
    assert_conserved(&summary);
}

/// Returns a RabbitMQ-like queue with a capacity of 5 and a prefetch of 3, whose one consumer
/// takes 10 s a message and crashes at 1.05 s, with `overflow`.
fn full_queue_crash(overflow: &str) -> String {
    scenario(
        "10/s",
        "10s",
        1,
        &format!(
            "    prefetch: 3\n    capacity: 5\n    overflow: {overflow}\n    consumer: {{ operation: worker.handle }}"
        ),
        "faults:\n  - { at: 1050ms, for: 1s, crash: { service: worker } }",
    )
}

#[test]
fn requeue_past_capacity_with_reject_publish() {
    // At 1.05 s the consumer holds messages 1 to 3 and messages 4 to 8 fill the queue.
    // The crash requeues the three: 8 ready messages, above the capacity of 5, as
    // RabbitMQ's max-length counts ready messages and a requeue ignores it. Publishes
    // are rejected until the consumer takes the three again at 2.05 s.
    let mut simulation = start(&full_queue_crash("reject-publish"));
    run_to(&mut simulation, 2 * S);
    assert_eq!(
        simulation.queued_enqueue_times(0),
        (1..=8).map(|n| n * 100 * MS).collect::<Vec<_>>()
    );
    run_to(&mut simulation, 2100 * MS);
    assert_eq!(simulation.queue_depths()[0], 5);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    let queue = &summary.queues[0];
    assert_eq!(queue.max_depth, 8);
    assert_eq!(queue.dropped, 0);
    // The publishes of 0.9 s to 2 s; the restart takes 3 messages, which leaves 5.
    assert_eq!(queue.rejected, 12);
    assert_conserved(&summary);
}

#[test]
fn requeue_past_capacity_with_drop_head() {
    // With drop-head, publishes of 0.9 s and 1 s dropped messages 4 and 5. The crash
    // requeues messages 1 to 3 at the head, and the queue drops them again at once,
    // as RabbitMQ drops from the head after a requeue: the depth never exceeds 5.
    let mut simulation = start(&full_queue_crash("drop-head"));
    run_to(&mut simulation, 1100 * MS);
    assert_eq!(
        simulation.queued_enqueue_times(0),
        (6..=10).map(|n| n * 100 * MS).collect::<Vec<_>>()
    );
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    let queue = &summary.queues[0];
    assert_eq!(queue.max_depth, 5);
    assert_eq!(queue.dropped, 5);
    assert_conserved(&summary);
}

#[test]
fn requeue_past_capacity_with_block() {
    // With block, the requeued messages push the depth to 8 and the publishes of 0.9 s
    // to 1.9 s wait until it falls below 5 again.
    let mut simulation = start(&full_queue_crash("block"));
    run_to(&mut simulation, 2 * S);
    assert_eq!(simulation.queue_depths()[0], 8);
    assert_eq!(simulation.blocked_publishers()[0], 11);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.queues[0].max_depth, 8);
    assert_eq!(summary.queues[0].dropped, 0);
    assert_conserved(&summary);
}

#[test]
fn sqs_capacity_counts_messages_in_flight() {
    // SQS has no maximum length; a capacity on an SQS-like queue counts every message
    // not yet deleted, hidden or not. Message 1 is received at 0.1 s and handled for
    // 10 s, and messages 2 and 3 fill the queue, so message 1 reappearing at 0.6 s
    // leaves the depth at 3.
    let yaml = scenario(
        "10/s",
        "10s",
        1,
        "    visibility_timeout: 500ms\n    capacity: 3\n    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 1050 * MS);
    assert_eq!(
        simulation.queued_enqueue_times(0),
        vec![200 * MS, 300 * MS, 100 * MS]
    );
    let summary = queue_summary(&mut simulation, 0);
    assert_eq!(summary.rejected, 7);
    assert_eq!(summary.max_depth, 3);
}

#[test]
fn db_poll_capacity_counts_claimed_rows() {
    // A table of at most 4 rows, every handling failing. The poll at 1 s claims rows 1 to
    // 4, which stay in the table, so the publishes go on being rejected, and the failed
    // rows coming back never exceed the capacity.
    let mut yaml = scenario(
        "10/s",
        "100ms",
        1,
        "    poll_interval: 1s\n    batch_size: 4\n    capacity: 4\n    max_deliveries: 2\n    consumer: { operation: worker.handle }",
        "",
    );
    yaml = yaml.replace(
        "service_time: 100ms",
        "service_time: 100ms\n        error_probability: 1",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, 1450 * MS);
    assert_eq!(simulation.queue_depths()[0], 4);
    run_to(&mut simulation, 6 * S);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    let queue = &summary.queues[0];
    assert_eq!(queue.max_depth, 4);
    // Rows 1 to 4 fail at the polls of 1 s and 2 s, and are dead-lettered from 2.1 s to
    // 2.4 s, which lets four more rows in; those fail at the polls of 3 s and 4 s, and
    // the four rows let in after them fail at the poll of 5 s and wait for the next.
    assert_eq!(queue.published, 12);
    assert_eq!(queue.dead_lettered, 8);
    assert_eq!(queue.queued, 4);
    assert_eq!(queue.rejected, 59 - 12);
    assert_conserved(&summary);
}

#[test]
fn broker_crashes_are_deterministic() {
    let yaml = |queue: &str| {
        let mut yaml = scenario(
            "50/s",
            "20ms",
            3,
            queue,
            "faults:\n  - { mtbf: 2s, mttr: 500ms, crash: { service: worker, replica: 0 } }\n  - { mtbf: 3s, mttr: 1s, crash: { service: worker } }",
        );
        yaml = yaml.replace("constant: 50/s", "poisson: 50/s");
        yaml.replace(
            "service_time: 20ms",
            "service_time: { exponential: { mean: 20ms } }\n        error_probability: 0.1\n        steps:\n          - work: 5ms",
        )
    };
    for queue in [
        "    prefetch: 10\n    capacity: 50\n    overflow: drop-head\n    consumer: { operation: worker.handle, concurrency: 2 }",
        "    visibility_timeout: 200ms\n    capacity: 50\n    consumer: { operation: worker.handle, concurrency: 2 }",
        "    partitions: 5\n    keys: 20\n    session_timeout: 300ms\n    consumer: { operation: worker.handle, concurrency: 2 }",
        "    poll_interval: 100ms\n    batch_size: 5\n    capacity: 200\n    consumer: { operation: worker.handle }",
    ] {
        let text = yaml(queue);
        let summaries: Vec<String> = (0..2)
            .map(|_| {
                let mut simulation = start(&text);
                run_to(&mut simulation, 60 * S);
                simulation.finish();
                let summary = Summary::new(&simulation, "test");
                assert_conserved(&summary);
                topolab::metrics::report::json(&summary).expect("serializes")
            })
            .collect();
        assert_eq!(summaries[0], summaries[1], "{queue}");
        assert!(summaries[0].contains("\"kind\": \"crash\""), "{queue}");
    }
}

fn settings(queue_yaml: &str) -> BrokerSettings {
    let yaml = scenario("1/s", "1ms", 1, queue_yaml, "");
    let loaded = load_str(&yaml, None).expect("valid");
    BrokerSettings::of_queue(&loaded.scenario.queues["jobs"])
}

#[test]
fn presets_fill_documented_values() {
    let rabbitmq = settings("    preset: rabbitmq\n    consumer: { operation: worker.handle }");
    assert_eq!(rabbitmq.prefetch, Some(250));
    assert_eq!(rabbitmq.requeue, Some(true));
    assert_eq!(rabbitmq.kind(), BrokerKind::Rabbitmq);

    let sqs = settings("    preset: sqs\n    consumer: { operation: worker.handle }");
    assert_eq!(sqs.visibility_timeout, Some(Duration::from_secs(30)));
    assert_eq!(sqs.kind(), BrokerKind::Sqs);

    let kafka = settings("    preset: kafka\n    consumer: { operation: worker.handle }");
    assert_eq!(kafka.partitions, Some(1));
    assert_eq!(kafka.retention, Some(Duration::from_secs(604_800)));
    assert_eq!(kafka.keys, None);
    assert_eq!(kafka.kind(), BrokerKind::Kafka);

    let db = settings("    preset: db-poll\n    consumer: { operation: worker.handle }");
    assert_eq!(db.poll_interval, Some(Duration::from_secs(1)));
    assert_eq!(db.batch_size, Some(10));
    assert_eq!(db.kind(), BrokerKind::DbPoll);

    // A field the file sets wins over the preset.
    let own = settings(
        "    preset: kafka\n    partitions: 8\n    consumer: { operation: worker.handle }",
    );
    assert_eq!(own.partitions, Some(8));
    assert_eq!(own.retention, Some(Duration::from_secs(604_800)));
    assert_eq!(
        BrokerSettings::of_preset(Preset::Sqs).visibility_timeout,
        Some(Duration::from_secs(30))
    );
}

#[test]
fn plain_queue_has_no_broker_keys() {
    let yaml = scenario(
        "10/s",
        "1ms",
        1,
        "    consumer: { operation: worker.handle }",
        "",
    );
    let mut simulation = start(&yaml);
    run_to(&mut simulation, S);
    assert!(simulation.broker_status(0).is_none());
    let summary = queue_summary(&mut simulation, 0);
    let json = serde_json::to_string(&summary).expect("serializes");
    for key in [
        "unacked",
        "duplicates",
        "\"expired\"",
        "empty_polls",
        "partitions",
    ] {
        assert!(!json.contains(key), "{key} in {json}");
    }
}

/// Each bad queue setting and the exact diagnostics it gives.
#[test]
fn bad_broker_settings_rejected() {
    let consumer = "    consumer: { operation: worker.handle }\n";
    let cases: &[(&str, &[&str])] = &[
        (
            "    preset: activemq\n",
            &[
                "24:13: error: queues.jobs.preset: invalid value \"activemq\". Allowed values: \"rabbitmq\", \"sqs\", \"kafka\" or \"db-poll\"",
            ],
        ),
        (
            "    prefetch: 0\n",
            &[
                "24:15: error: queues.jobs.prefetch: invalid value 0: expected a whole number from 1 to 65535",
            ],
        ),
        (
            "    requeue: maybe\n",
            &["24:14: error: queues.jobs.requeue: invalid value \"maybe\": expected true or false"],
        ),
        (
            "    message_ttl: 0s\n",
            &[
                "24:18: error: queues.jobs.message_ttl: invalid duration 0: must be greater than zero",
            ],
        ),
        (
            "    partitions: 10001\n",
            &[
                "24:17: error: queues.jobs.partitions: invalid value 10001: too large; expected a whole number from 1 to 10000",
            ],
        ),
        (
            "    batch_size: 2\n",
            &[
                "24:17: error: queues.jobs.batch_size: batch_size is not allowed on a RabbitMQ-like queue: rows are taken in batches only at polls; set poll_interval. Allowed there: capacity, overflow, prefetch, requeue, message_ttl (or visibility_timeout, partitions or poll_interval for another kind of queue)",
            ],
        ),
        (
            "    partitions: 4\n    visibility_timeout: 30s\n",
            &[
                "25:25: error: queues.jobs.visibility_timeout: visibility_timeout is not allowed on a Kafka-like queue (it sets partitions): it belongs to SQS-like queues. Allowed there: partitions, keys, retention, session_timeout",
            ],
        ),
        (
            "    partitions: 4\n    overflow: block\n",
            &[
                "25:15: error: queues.jobs.overflow: overflow is not allowed on a Kafka-like queue (it sets partitions): a log accepts every publish, so nothing blocks, drops or rejects. Allowed there: partitions, keys, retention, session_timeout",
            ],
        ),
        (
            "    preset: kafka\n    capacity: 10\n",
            &[
                "25:15: error: queues.jobs.capacity: capacity is not allowed on a Kafka-like queue (it sets partitions): a log has no maximum length; use retention. Allowed there: partitions, keys, retention, session_timeout",
            ],
        ),
        (
            "    preset: kafka\n    visibility_timeout: 5s\n",
            &[
                "25:25: error: queues.jobs.visibility_timeout: visibility_timeout is not allowed on a Kafka-like queue (it sets partitions): it belongs to SQS-like queues. Allowed there: partitions, keys, retention, session_timeout",
            ],
        ),
        (
            "    visibility_timeout: 5s\n    preset: db-poll\n",
            &[
                "25:13: error: queues.jobs.preset: poll_interval (the db-poll preset sets it) is not allowed on an SQS-like queue (it sets visibility_timeout): it belongs to database-backed queues. Allowed there: capacity, overflow, message_ttl, visibility_timeout",
                "25:13: error: queues.jobs.preset: batch_size (the db-poll preset sets it) is not allowed on an SQS-like queue (it sets visibility_timeout): rows are taken in batches only at polls; set poll_interval. Allowed there: capacity, overflow, message_ttl, visibility_timeout",
            ],
        ),
        (
            "    visibility_timeout: 5s\n    requeue: true\n",
            &[
                "25:14: error: queues.jobs.requeue: requeue is not allowed on an SQS-like queue (it sets visibility_timeout): a failed message reappears when its visibility timeout ends. Allowed there: capacity, overflow, message_ttl, visibility_timeout",
            ],
        ),
        (
            "    poll_interval: 1s\n    prefetch: 5\n",
            &[
                "25:15: error: queues.jobs.prefetch: prefetch is not allowed on a database-backed queue (it sets poll_interval): use batch_size. Allowed there: capacity, overflow, message_ttl, poll_interval, batch_size",
            ],
        ),
        (
            "    keys: 5\n",
            &[
                "24:11: error: queues.jobs.keys: keys is not allowed on a RabbitMQ-like queue: keys choose a partition; set partitions. Allowed there: capacity, overflow, prefetch, requeue, message_ttl (or visibility_timeout, partitions or poll_interval for another kind of queue)",
            ],
        ),
        (
            "    retention: 1h\n",
            &[
                "24:16: error: queues.jobs.retention: retention is not allowed on a RabbitMQ-like queue: retention belongs to partitioned logs; set partitions, or use message_ttl. Allowed there: capacity, overflow, prefetch, requeue, message_ttl (or visibility_timeout, partitions or poll_interval for another kind of queue)",
            ],
        ),
        (
            "    session_timeout: 10s\n",
            &[
                "24:22: error: queues.jobs.session_timeout: session_timeout is not allowed on a RabbitMQ-like queue: it belongs to the consumer groups of partitioned logs; set partitions. Allowed there: capacity, overflow, prefetch, requeue, message_ttl (or visibility_timeout, partitions or poll_interval for another kind of queue)",
            ],
        ),
        (
            "    partitions: 2\n    session_timeout: 0s\n",
            &[
                "25:22: error: queues.jobs.session_timeout: invalid duration 0: must be greater than zero",
            ],
        ),
        (
            "    capacity: 5\n    overflow: reject-publish-dlx\n",
            &[
                "25:15: error: queues.jobs.overflow: overflow \"reject-publish-dlx\" of queue \"jobs\" needs a dead_letter queue to send rejected messages to; add \"dead_letter: QUEUE\", or use \"reject-publish\"",
            ],
        ),
        (
            "    prefetchs: 5\n",
            &[
                "24:5: error: queues.jobs.prefetchs: unknown key \"prefetchs\"; did you mean \"prefetch\"? Allowed keys here: capacity, overflow, consumer, max_deliveries, dead_letter, preset, prefetch, requeue, message_ttl, visibility_timeout, partitions, keys, retention, session_timeout, poll_interval, batch_size",
            ],
        ),
    ];
    let mut mismatches = String::new();
    for (queue, expected) in cases {
        let yaml = scenario("1/s", "1ms", 1, &format!("{consumer}{queue}"), "");
        let found = diagnostics(&yaml);
        if found != *expected {
            mismatches.push_str(&format!(
                "{queue}found:    {found:?}\nexpected: {expected:?}\n\n"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches}");
}

#[test]
fn broker_fields_round_trip() {
    let yaml = scenario(
        "1/s",
        "1ms",
        1,
        "    preset: rabbitmq\n    prefetch: 7\n    requeue: false\n    message_ttl: 2s\n    overflow: drop-head\n    capacity: 9\n    consumer: { operation: worker.handle }",
        "  log:\n    partitions: 6\n    keys: 100\n    retention: 1h\n    session_timeout: 10s\n  table:\n    poll_interval: 250ms\n    batch_size: 20\n  hidden:\n    visibility_timeout: 45s\n    max_deliveries: 5",
    );
    let loaded = load_str(&yaml, None).expect("valid");
    let text = scenario::write::to_yaml(&loaded.scenario).expect("writes");
    let back = load_str(&text, None).expect("reads back");
    assert_eq!(back.scenario, loaded.scenario, "written as:\n{text}");
    assert!(text.contains("overflow: drop-head"), "{text}");
}
