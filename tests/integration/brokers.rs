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
                "25:25: error: queues.jobs.visibility_timeout: visibility_timeout is not allowed on a Kafka-like queue (it sets partitions): it belongs to SQS-like queues. Allowed there: partitions, keys, retention",
            ],
        ),
        (
            "    partitions: 4\n    overflow: block\n",
            &[
                "25:15: error: queues.jobs.overflow: overflow is not allowed on a Kafka-like queue (it sets partitions): a log accepts every publish, so nothing blocks, drops or rejects. Allowed there: partitions, keys, retention",
            ],
        ),
        (
            "    preset: kafka\n    capacity: 10\n",
            &[
                "25:15: error: queues.jobs.capacity: capacity is not allowed on a Kafka-like queue (it sets partitions): a log has no maximum length; use retention. Allowed there: partitions, keys, retention",
            ],
        ),
        (
            "    preset: kafka\n    visibility_timeout: 5s\n",
            &[
                "25:25: error: queues.jobs.visibility_timeout: visibility_timeout is not allowed on a Kafka-like queue (it sets partitions): it belongs to SQS-like queues. Allowed there: partitions, keys, retention",
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
            "    capacity: 5\n    overflow: reject-publish-dlx\n",
            &[
                "25:15: error: queues.jobs.overflow: overflow \"reject-publish-dlx\" of queue \"jobs\" needs a dead_letter queue to send rejected messages to; add \"dead_letter: QUEUE\", or use \"reject-publish\"",
            ],
        ),
        (
            "    prefetchs: 5\n",
            &[
                "24:5: error: queues.jobs.prefetchs: unknown key \"prefetchs\"; did you mean \"prefetch\"? Allowed keys here: capacity, overflow, consumer, max_deliveries, dead_letter, preset, prefetch, requeue, message_ttl, visibility_timeout, partitions, keys, retention, poll_interval, batch_size",
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
        "  log:\n    partitions: 6\n    keys: 100\n    retention: 1h\n  table:\n    poll_interval: 250ms\n    batch_size: 20\n  hidden:\n    visibility_timeout: 45s\n    max_deliveries: 5",
    );
    let loaded = load_str(&yaml, None).expect("valid");
    let text = scenario::write::to_yaml(&loaded.scenario).expect("writes");
    let back = load_str(&text, None).expect("reads back");
    assert_eq!(back.scenario, loaded.scenario, "written as:\n{text}");
    assert!(text.contains("overflow: drop-head"), "{text}");
}
