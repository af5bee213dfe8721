//! Conservation of requests and messages on every bundled scenario: everything that
//! entered is accounted for exactly once, as a success, a failure of one kind, or still
//! in flight. The in-flight counts come from the engine's live state, not from the
//! counters, so the identities can fail.

use std::path::{Path, PathBuf};

use topolab::engine::run::{RunConfig, run};
use topolab::metrics::summary::Summary;
use topolab::scenario::{Duration, load_file, load_str};

fn bundled_scenarios() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .expect("the scenarios directory exists")
            .map(|entry| entry.expect("readable directory entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
            .collect();
    paths.sort();
    paths
}

fn summarize(path: &Path, warmup: Duration, duration: Option<Duration>) -> Summary {
    let loaded = load_file(path)
        .unwrap_or_else(|errors| panic!("{} is invalid: {errors:?}", path.display()));
    let config = RunConfig::resolve(&loaded.scenario.run, duration, Some(warmup), Some(7), None)
        .expect("valid settings");
    let simulation = run(&loaded.scenario, &config, |_| {}).expect("the run finishes");
    Summary::new(&simulation, "conservation")
}

/// Runs the scenario `yaml` as [`summarize`] runs a file.
fn summarize_text(yaml: &str, warmup: Duration, duration: Duration) -> Summary {
    let loaded =
        load_str(yaml, None).unwrap_or_else(|errors| panic!("invalid scenario: {errors:?}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let config = RunConfig::resolve(
        &loaded.scenario.run,
        Some(duration),
        Some(warmup),
        Some(7),
        None,
    )
    .expect("valid settings");
    let simulation = run(&loaded.scenario, &config, |_| {}).expect("the run finishes");
    Summary::new(&simulation, "conservation")
}

fn check(summary: &Summary, label: &str) {
    for client in &summary.clients {
        let accounted = client.successes + client.errors.total() + client.in_flight;
        assert_eq!(
            client.issued, accounted,
            "{label}: client {} issued {} but accounts for {accounted}",
            client.name, client.issued
        );
    }
    for queue in &summary.queues {
        let accounted = queue.consumed
            + queue.dropped
            + queue.dead_lettered
            + queue.expired.unwrap_or(0)
            + queue.queued
            + queue.in_handling;
        assert_eq!(
            queue.published, accounted,
            "{label}: queue {} published {} but accounts for {accounted}",
            queue.name, queue.published
        );
    }
}

#[test]
fn bundled_scenarios_conserve_requests() {
    let paths = bundled_scenarios();
    assert!(
        paths.len() >= 4,
        "expected the bundled scenarios, found {paths:?}"
    );
    for path in paths {
        let label = path.display().to_string();
        check(&summarize(&path, Duration::ZERO, None), &label);
    }
}

#[test]
fn conservation_holds_with_warmup() {
    for path in bundled_scenarios() {
        let label = format!("{} with a 7s warm-up", path.display());
        check(&summarize(&path, Duration::from_secs(7), None), &label);
    }
}

#[test]
fn conservation_holds_mid_burst() {
    // Stopping during the checkout's load ramp leaves many requests and messages in
    // flight, which the identities must count.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/checkout-async.yaml");
    let summary = summarize(
        &path,
        Duration::from_secs(5),
        Some(Duration::from_millis(75_500)),
    );
    let in_flight: u64 = summary.clients.iter().map(|c| c.in_flight).sum();
    let queued: u64 = summary
        .queues
        .iter()
        .map(|q| q.queued + q.in_handling)
        .sum();
    assert!(in_flight > 0, "expected requests in flight at 75.5 s");
    assert!(queued > 0, "expected queued messages at 75.5 s");
    check(&summary, "checkout-async stopped at 75.5 s");
}

/// Returns a publisher and three replicas of a consumer of queue `jobs`, which has the settings
/// `queue` and a dead-letter queue, with random crashes of one replica and of the whole
/// consumer, and `faults` besides.
fn crashing_consumers(queue: &str, faults: &str) -> String {
    format!(
        r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: {{ poisson: 80/s }}
services:
  api:
    workers: 200
    operations:
      serve:
        service_time: 1ms
        steps:
          - publish: jobs
            timeout: 200ms
  worker:
    replicas: 3
    operations:
      handle:
        service_time: {{ exponential: {{ mean: 15ms }} }}
        error_probability: 0.1
        steps:
          - work: 5ms
  auditor:
    operations:
      review:
        service_time: 1ms
queues:
  jobs:
{queue}
    dead_letter: dlq
    consumer: {{ operation: worker.handle, concurrency: 2 }}
  dlq:
    consumer: {{ operation: auditor.review }}
faults:
  - {{ mtbf: 3s, mttr: 700ms, crash: {{ service: worker, replica: 0 }} }}
  - {{ at: 5s, mtbf: 8s, mttr: 1500ms, crash: {{ service: worker, mode: timeout }} }}
{faults}
"
    )
}

/// Returns every kind of broker, with crashed consumers, full queues and broker
/// outages.
fn broker_crash_scenarios() -> Vec<(&'static str, String)> {
    let outage = "  - { at: 20s, for: 2s, broker_outage: { queue: jobs, mode: timeout } }\n  - { at: 30s, for: 2s, broker_outage: { queue: jobs } }";
    [
        ("plain", "    capacity: 40\n    overflow: drop-oldest"),
        (
            "rabbitmq reject-publish",
            "    prefetch: 10\n    capacity: 30\n    overflow: reject-publish\n    message_ttl: 2s",
        ),
        (
            "rabbitmq drop-head",
            "    preset: rabbitmq\n    prefetch: 10\n    capacity: 30\n    overflow: drop-head",
        ),
        ("rabbitmq block", "    prefetch: 5\n    capacity: 30\n    overflow: block"),
        (
            "sqs",
            "    visibility_timeout: 300ms\n    capacity: 60\n    overflow: drop-oldest",
        ),
        ("sqs preset", "    preset: sqs\n    capacity: 50\n    overflow: block"),
        (
            "kafka",
            "    partitions: 6\n    keys: 50\n    session_timeout: 1s\n    retention: 3s",
        ),
        (
            "db-poll",
            "    poll_interval: 200ms\n    batch_size: 5\n    capacity: 200\n    overflow: drop-head",
        ),
        ("db-poll preset", "    preset: db-poll\n    capacity: 200\n    overflow: block"),
    ]
    .into_iter()
    .map(|(label, queue)| (label, crashing_consumers(queue, outage)))
    .collect()
}

#[test]
fn conservation_holds_with_broker_crashes() {
    for (label, yaml) in broker_crash_scenarios() {
        let summary = summarize_text(&yaml, Duration::ZERO, Duration::from_secs(60));
        check(&summary, label);
        let jobs = &summary.queues[0];
        assert!(jobs.consumed > 500, "{label}: {jobs:?}");
        check(
            &summarize_text(&yaml, Duration::from_secs(7), Duration::from_secs(60)),
            &format!("{label} with a 7s warm-up"),
        );
        // Stopped while a crash is likely active and messages are in flight.
        check(
            &summarize_text(&yaml, Duration::from_secs(7), Duration::from_millis(33_300)),
            &format!("{label} stopped at 33.3 s"),
        );
    }
}
