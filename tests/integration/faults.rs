//! Faults on services, replicas, links and queues: crashes, added latency, `first`
//! errors, partitions, loss, broker outages, slow consumers, random faults, faults
//! started by hand, the fault timeline and the validation of every field.
//!
//! Each scenario has constant times and evenly spaced arrivals, so that the counts and
//! times are exact. An open client with `constant: 10/s` sends its first request at
//! 100 ms and one every 100 ms after that.

use topolab::engine::run::RunConfig;
use topolab::engine::sim::{FaultOrigin, MAX_TIMELINE_INTERVALS};
use topolab::engine::{Model, Simulation};
use topolab::metrics::summary::Summary;
use topolab::scenario::{CrashFault, Duration, FaultKind, OutageMode, load_str};

use crate::common::Z_99_9;

const SECOND: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;

fn start(yaml: &str, duration: Duration) -> Simulation {
    let loaded = load_str(yaml, None).expect("the scenario is valid");
    let config = RunConfig::resolve(&loaded.scenario.run, Some(duration), None, None, None)
        .expect("valid settings");
    let model = Model::compile(&loaded.scenario).expect("the scenario compiles");
    Simulation::new(model, config.options())
}

fn run(yaml: &str, duration: Duration) -> (Simulation, Summary) {
    let mut simulation = start(yaml, duration);
    simulation.run_until(duration.as_nanos()).expect("runs");
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    (simulation, summary)
}

/// A client calling `api.serve`, 10 ms of service time, with a 100 ms timeout.
fn direct_call(faults: &str) -> String {
    format!(
        r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: {{ constant: 10/s }}
    timeout: 100ms
services:
  api:
    operations:
      serve:
        service_time: 10ms
faults:
{faults}
"
    )
}

#[test]
fn partition_times_out_every_call() {
    let yaml = direct_call("  - { at: 0s, for: 1h, partition: { between: [load, api] } }");
    let (_, summary) = run(&yaml, Duration::from_secs(2));
    let client = &summary.clients[0];
    // Requests at 0.1 s to 1.9 s; the one at 1.9 s times out at 2 s, the end of the
    // run, which is not part of it.
    assert_eq!(client.issued, 19);
    assert_eq!(client.in_flight, 1);
    assert_eq!(client.successes, 0);
    assert_eq!(client.errors.timeout, 18);
    assert_eq!(client.mean_sojourn_ms, 100.0);
    assert_eq!(summary.services[0].arrivals, 0);
    assert_eq!(summary.edges[0].lost, 19);
}

#[test]
fn one_way_partition_wastes_work() {
    // Only messages from api to load are lost: requests arrive, responses do not.
    let yaml = direct_call(
        "  - { at: 0s, for: 1h, partition: { between: [api, load], direction: one-way } }",
    );
    let (_, summary) = run(&yaml, Duration::from_secs(2));
    let client = &summary.clients[0];
    assert_eq!(client.successes, 0);
    assert_eq!(client.errors.timeout, 18);
    assert_eq!(client.mean_sojourn_ms, 100.0);
    let api = &summary.services[0];
    assert_eq!(api.arrivals, 19);
    assert_eq!(api.successes, 19);
    assert_eq!(summary.edges[0].lost, 19);
}

/// Two round-robin replicas with one worker each and 180 ms of service time: each
/// replica gets every second request, 200 ms apart, so nothing waits.
fn two_replicas(faults: &str) -> String {
    format!(
        r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: {{ constant: 10/s }}
    timeout: 1s
services:
  api:
    replicas: 2
    operations:
      serve:
        service_time: 180ms
faults:
{faults}
"
    )
}

#[test]
fn crash_loses_held_requests() {
    // Replica 0 serves the requests at 0.1 s, 0.3 s, ..., so at 1.05 s it holds the one
    // from 0.9 s. While it is down, until 2.05 s, the requests at 1.1 s, 1.3 s, 1.5 s,
    // 1.7 s and 1.9 s are routed to it and fail, every second request.
    let yaml = two_replicas("  - { at: 1050ms, for: 1s, crash: { service: api, replica: 0 } }");
    let mut simulation = start(&yaml, Duration::from_secs(4));
    simulation.run_until(2_060 * MS).expect("runs");
    // It restarts idle: only the request of 2.0 s on replica 1 is in service.
    assert_eq!(simulation.in_flight(), (1, 1));
    simulation.run_until(4 * SECOND).expect("runs");
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    let client = &summary.clients[0];
    assert_eq!(client.issued, 39);
    assert_eq!(client.errors.failed, 6);
    assert_eq!(client.errors.timeout, 0);
    let api = &summary.services[0];
    assert_eq!(api.errors.dropped, 6);
    assert_eq!(api.errors.failed, 0);
    // The request of 3.9 s is still in service at the end.
    assert_eq!(api.successes, 32);
    assert_eq!(client.successes, 32);
    // Every success takes exactly its 180 ms of service time, the dropped request ended
    // after 150 ms, and the refused ones at once.
    let expected_ms = ((32.0 * 180.0 + 150.0) / 38.0 * 1e6_f64).round() / 1e6;
    assert_eq!(client.mean_sojourn_ms, expected_ms);
    let timeline = simulation.fault_timeline();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].label, "crash api#0");
    assert_eq!(timeline[0].start_ns, 1_050 * MS);
    assert_eq!(timeline[0].end_ns, Some(2_050 * MS));
    assert_eq!(timeline[0].origin, FaultOrigin::Scheduled);
}

#[test]
fn crash_in_timeout_mode_leaves_callers_waiting() {
    let yaml = two_replicas(
        "  - { at: 1050ms, for: 1s, crash: { service: api, replica: 0, mode: timeout } }",
    );
    let (_, summary) = run(&yaml, Duration::from_secs(4));
    let client = &summary.clients[0];
    assert_eq!(client.errors.timeout, 6);
    assert_eq!(client.errors.failed, 0);
    let expected_ms = ((6.0 * 1000.0 + 32.0 * 180.0) / 38.0 * 1e6_f64).round() / 1e6;
    assert_eq!(client.mean_sojourn_ms, expected_ms);
    assert_eq!(summary.services[0].errors.dropped, 6);
}

#[test]
fn crash_of_consumer_redelivers_message() {
    // A message is published at 1 s and handled for 500 ms. The consumer crashes at
    // 1.2 s and restarts at 2.2 s; the message goes back to the queue and is delivered
    // again at 2.2 s, before the one published at 2 s.
    let yaml = r"
version: 1
clients:
  load:
    target: api.accept
    arrivals: { constant: 1/s }
services:
  api:
    operations:
      accept:
        service_time: 0s
        steps:
          - publish: jobs
  worker:
    operations:
      handle:
        service_time: 500ms
queues:
  jobs:
    consumer: { operation: worker.handle }
faults:
  - { at: 1200ms, for: 1s, crash: { service: worker } }
";
    let (_, summary) = run(yaml, Duration::from_secs(4));
    let queue = &summary.queues[0];
    assert_eq!(queue.published, 3);
    assert_eq!(queue.consumed, 3);
    assert_eq!(queue.dead_lettered, 0);
    let worker = summary
        .operations
        .iter()
        .find(|o| o.name == "worker.handle")
        .expect("the consumer's operation");
    assert_eq!(worker.errors.dropped, 1);
    assert_eq!(worker.successes, 3);
    let delivery = summary
        .edges
        .iter()
        .find(|e| e.kind == "consume")
        .expect("the delivery edge");
    assert_eq!(delivery.attempts, 4);
    assert_eq!(delivery.retries, 1);
}

#[test]
fn first_errors_fail_exactly_n() {
    let yaml = direct_call("  - { at: 0s, for: 1h, errors: { service: api, first: 3 } }");
    let (_, summary) = run(&yaml, Duration::from_secs(2));
    let client = &summary.clients[0];
    assert_eq!(client.errors.failed, 3);
    assert_eq!(client.successes, 16);
    assert_eq!(summary.services[0].errors.failed, 3);
}

#[test]
fn constant_service_latency_adds_exactly() {
    let yaml = direct_call("  - { at: 0s, for: 1h, latency: { service: api, add: 50ms } }");
    let (_, summary) = run(&yaml, Duration::from_secs(2));
    let client = &summary.clients[0];
    assert_eq!(client.successes, 19);
    assert_eq!(client.mean_sojourn_ms, 60.0);
}

#[test]
fn slowdown_applies_only_in_its_window() {
    // Requests every 100 ms from 0.1 s: the 10 that arrive in [1 s, 2 s) draw their
    // service time during the slowdown and take 30 ms, the 19 others 10 ms.
    let yaml =
        direct_call("  - { at: 1s, for: 1s, slow: { service: api, latency_multiplier: 3 } }");
    let (_, summary) = run(&yaml, Duration::from_secs(3));
    let client = &summary.clients[0];
    assert_eq!(client.successes, 29);
    // The maximum is the top of its bin, which has three significant digits.
    assert!((client.latency.max_ms - 30.0).abs() < 0.03);
    // The summary rounds means to a millionth of a millisecond.
    assert!((client.mean_sojourn_ms - 490.0 / 29.0).abs() < 1e-6);
}

#[test]
fn crash_then_restart_serves_again() {
    // Requests every 100 ms from 0.1 s: the only replica is down in [1 s, 2 s), so the
    // 10 requests that arrive then fail at once, and the 19 others take 10 ms.
    let yaml = direct_call("  - { at: 1s, for: 1s, crash: { service: api } }");
    let (_, summary) = run(&yaml, Duration::from_secs(3));
    let client = &summary.clients[0];
    assert_eq!(client.errors.failed, 10);
    assert_eq!(client.successes, 19);
    assert!((client.mean_sojourn_ms - 190.0 / 29.0).abs() < 1e-6);
}

#[test]
fn constant_link_latency_adds_both_ways() {
    let yaml = direct_call(
        "  - { at: 0s, for: 1h, latency: { link: { from: api, to: load }, add: 5ms } }",
    );
    let (_, summary) = run(&yaml, Duration::from_secs(2));
    let client = &summary.clients[0];
    assert_eq!(client.successes, 19);
    assert_eq!(client.mean_sojourn_ms, 20.0);
}

#[test]
fn loss_matches_probability() {
    let yaml = r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: { constant: 1000/s }
    timeout: 100ms
services:
  api:
    operations:
      serve:
        service_time: 0s
faults:
  - { at: 0s, for: 1h, loss: { link: { from: load, to: api }, probability: 0.3 } }
";
    let (_, summary) = run(yaml, Duration::from_secs(20));
    let client = &summary.clients[0];
    let ended = client.successes + client.errors.timeout;
    assert_eq!(ended + client.in_flight, client.issued);
    // A call succeeds when neither its request nor its response is lost.
    let expected = 0.7 * 0.7;
    let n = ended as f64;
    let observed = client.successes as f64 / n;
    let tolerance = Z_99_9 * (expected * (1.0 - expected) / n).sqrt();
    assert!(
        (observed - expected).abs() <= tolerance,
        "success fraction {observed} of {ended} calls, expected {expected} ± {tolerance}"
    );
}

/// A publisher and a consumer that takes 150 ms a message, slower than the 10 per
/// second published, so that messages wait in the queue.
fn publish_and_consume(faults: &str) -> String {
    format!(
        r"
version: 1
clients:
  load:
    target: api.accept
    arrivals: {{ constant: 10/s }}
    timeout: 1s
services:
  api:
    operations:
      accept:
        service_time: 0s
        steps:
          - publish: jobs
            timeout: 100ms
  worker:
    operations:
      handle:
        service_time: 150ms
queues:
  jobs:
    consumer: {{ operation: worker.handle }}
faults:
{faults}
"
    )
}

#[test]
fn broker_outage_fails_publishes_and_pauses() {
    let yaml = publish_and_consume("  - { at: 1050ms, for: 1s, broker_outage: { queue: jobs } }");
    let mut simulation = start(&yaml, Duration::from_secs(10));
    simulation.run_until(1_100 * MS).expect("runs");
    let depth_at_start = simulation.queue_depths()[0];
    assert!(depth_at_start > 0, "messages wait when the outage starts");
    simulation.run_until(2_040 * MS).expect("runs");
    // No delivery during the outage, and no publish gets in.
    assert_eq!(simulation.queue_depths()[0], depth_at_start);
    simulation.run_until(10 * SECOND).expect("runs");
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    // The publishes at 1.1 s to 2.0 s fail at once.
    assert_eq!(summary.clients[0].errors.failed, 10);
    assert_eq!(summary.clients[0].errors.timeout, 0);
    assert_eq!(summary.queues[0].published, 89);
}

#[test]
fn broker_outage_timeout_mode_times_out() {
    let yaml = publish_and_consume(
        "  - { at: 1050ms, for: 1s, broker_outage: { queue: jobs, mode: timeout } }",
    );
    let (_, summary) = run(&yaml, Duration::from_secs(10));
    assert_eq!(summary.clients[0].errors.failed, 10);
    let publish = summary
        .edges
        .iter()
        .find(|e| e.kind == "publish")
        .expect("the publish edge");
    // The ten publishes of 1.1 s to 2 s are lost with the broker and time out.
    assert_eq!(publish.errors.timeout, 10);
    assert_eq!(publish.lost, 10);
    // They never entered the queue, which drops nothing and balances its books.
    let queue = &summary.queues[0];
    assert_eq!(queue.published, 89);
    assert_eq!(queue.dropped, 0);
    assert_eq!(
        queue.published,
        queue.consumed + queue.dead_lettered + queue.queued + queue.in_handling
    );
}

#[test]
fn slow_consumer_multiplies_handling() {
    let yaml = r"
version: 1
clients:
  load:
    target: api.accept
    arrivals: { constant: 10/s }
services:
  api:
    operations:
      accept:
        service_time: 0s
        steps:
          - publish: jobs
  worker:
    operations:
      handle:
        service_time: 10ms
        steps:
          - work: 5ms
queues:
  jobs:
    consumer: { operation: worker.handle }
faults:
  - { at: 0s, for: 1h, slow_consumer: { queue: jobs, latency_multiplier: 3 } }
";
    let (_, summary) = run(yaml, Duration::from_secs(2));
    let worker = summary
        .operations
        .iter()
        .find(|o| o.name == "worker.handle")
        .expect("the consumer's operation");
    assert_eq!(worker.successes, 19);
    assert_eq!(worker.mean_sojourn_ms, 45.0);
    // The publisher's own operation is not a consumer and keeps its time.
    let accept = summary
        .operations
        .iter()
        .find(|o| o.name == "api.accept")
        .expect("the publisher's operation");
    assert_eq!(accept.mean_sojourn_ms, 0.0);
}

const RANDOM_OUTAGE: &str = r"
version: 1
run:
  window: 100s
clients:
  load:
    target: api.serve
    arrivals: { constant: 1/s }
services:
  api:
    operations:
      serve:
        service_time: 1ms
faults:
  - { mtbf: 9s, mttr: 1s, outage: { service: api } }
";

#[test]
fn timeline_stops_growing_at_its_maximum() {
    // One interval about every 2 ms for 60 s: about 30 000 intervals, of which the
    // timeline keeps the first ones and counts the rest.
    let yaml = direct_call("  - { mtbf: 1ms, mttr: 1ms, outage: { service: api } }");
    let (simulation, summary) = run(&yaml, Duration::from_secs(60));
    let omitted = simulation.fault_intervals_omitted();
    assert_eq!(simulation.fault_timeline().len(), MAX_TIMELINE_INTERVALS);
    assert!(omitted > 10_000, "{omitted} intervals omitted");
    assert_eq!(summary.fault_intervals_omitted, Some(omitted));
    assert_eq!(summary.faults.len(), MAX_TIMELINE_INTERVALS);
    let timeline = summary.fault_timeline.expect("the run has faults");
    assert_eq!(timeline.len(), MAX_TIMELINE_INTERVALS);
    // The omitted intervals still act: the service is down about half of the time.
    let client = &summary.clients[0];
    let failed_share = client.errors.failed as f64 / client.issued as f64;
    assert!((0.3..0.7).contains(&failed_share), "{failed_share}");
}

#[test]
fn short_timeline_counts_nothing_omitted() {
    let (simulation, summary) = run(RANDOM_OUTAGE, Duration::from_secs(1000));
    assert_eq!(simulation.fault_intervals_omitted(), 0);
    assert_eq!(summary.fault_intervals_omitted, None);
}

#[test]
fn random_faults_repeat_for_seed() {
    let (first, _) = run(RANDOM_OUTAGE, Duration::from_secs(1000));
    let (second, _) = run(RANDOM_OUTAGE, Duration::from_secs(1000));
    assert!(first.fault_timeline().len() > 50);
    assert_eq!(first.fault_timeline(), second.fault_timeline());
    assert!(
        first
            .fault_timeline()
            .iter()
            .all(|interval| interval.origin == FaultOrigin::Random)
    );
}

#[test]
fn random_downtime_matches_mttr_fraction() {
    let horizon = 20_000 * SECOND;
    let (simulation, _) = run(RANDOM_OUTAGE, Duration::from_nanos(horizon));
    let timeline = simulation.fault_timeline();
    let down: u64 = timeline
        .iter()
        .map(|i| i.end_ns.unwrap_or(horizon).min(horizon) - i.start_ns)
        .sum();
    let cycles = timeline.len() as f64;
    let (mtbf, mttr) = (9.0_f64, 1.0_f64);
    let expected = mttr / (mtbf + mttr);
    // Delta method for a ratio of sums over n cycles of up time U and down time D:
    // Var ≈ ((1 - f)² Var D + f² Var U) / (n E[U + D]²), with Var of an exponential
    // equal to its mean squared.
    let variance = ((1.0 - expected).powi(2) * mttr * mttr + expected.powi(2) * mtbf * mtbf)
        / (cycles * (mtbf + mttr).powi(2));
    let tolerance = Z_99_9 * variance.sqrt();
    let observed = down as f64 / horizon as f64;
    assert!(
        (observed - expected).abs() <= tolerance,
        "down {observed} of the time over {cycles} cycles, expected {expected} ± {tolerance}"
    );
}

#[test]
fn manual_crash_matches_scheduled() {
    let scheduled =
        two_replicas("  - { at: 1050ms, for: 1s, crash: { service: api, replica: 0 } }");
    let (expected_run, expected) = run(&scheduled, Duration::from_secs(4));
    let plain = two_replicas("  []");
    let mut simulation = start(&plain, Duration::from_secs(4));
    simulation.run_until(1_050 * MS).expect("runs");
    let kind = FaultKind::Crash(CrashFault {
        service: "api".to_owned(),
        replica: Some(0),
        mode: OutageMode::FailFast,
    });
    let index = simulation
        .inject_fault(&kind, Duration::from_secs(1))
        .expect("api exists");
    assert_eq!(index, 0);
    assert_eq!(simulation.manual_faults(), 1);
    simulation.run_until(4 * SECOND).expect("runs");
    simulation.finish();
    let actual = Summary::new(&simulation, "test");
    assert_eq!(actual.clients, expected.clients);
    assert_eq!(actual.services, expected.services);
    assert_eq!(actual.edges, expected.edges);
    let timeline = simulation.fault_timeline();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].origin, FaultOrigin::Manual);
    assert_eq!(
        timeline[0].start_ns,
        expected_run.fault_timeline()[0].start_ns
    );
    assert_eq!(timeline[0].end_ns, expected_run.fault_timeline()[0].end_ns);
}

#[test]
fn manual_fault_with_unknown_service_fails() {
    let mut simulation = start(&two_replicas("  []"), Duration::from_secs(1));
    let kind = FaultKind::Crash(CrashFault {
        service: "missing".to_owned(),
        replica: None,
        mode: OutageMode::FailFast,
    });
    let error = simulation
        .inject_fault(&kind, Duration::from_secs(1))
        .expect_err("no such service");
    assert!(error.to_string().contains("\"missing\""), "{error}");
    assert!(simulation.fault_timeline().is_empty());
}

#[test]
fn summary_lists_fault_timeline() {
    let yaml = two_replicas("  - { at: 1050ms, for: 1s, crash: { service: api, replica: 0 } }");
    let (_, summary) = run(&yaml, Duration::from_secs(4));
    let json = topolab::metrics::report::json(&summary).expect("serializes");
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let timeline = value["fault_timeline"].as_array().expect("a list");
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["label"], "crash api#0");
    assert_eq!(timeline[0]["kind"], "crash");
    assert_eq!(timeline[0]["targets"][0], "api");
    assert_eq!(timeline[0]["start_s"], 1.05);
    assert_eq!(timeline[0]["end_s"], 2.05);
    assert_eq!(timeline[0]["origin"], "scheduled");

    let (_, without) = run(&two_replicas("  []"), Duration::from_secs(1));
    let json = topolab::metrics::report::json(&without).expect("serializes");
    assert!(!json.contains("fault_timeline"));
}

/// Reads a scenario with one fault and returns its diagnostics as printed.
fn fault_errors(fault: &str) -> Vec<String> {
    let yaml = format!(
        r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: {{ constant: 10/s }}
    timeout: 1s
services:
  api:
    replicas: 2
    operations:
      serve:
        service_time: 10ms
queues:
  jobs: {{}}
faults:
  - {fault}
"
    );
    match load_str(&yaml, Some(std::path::PathBuf::from("faults.yaml"))) {
        Ok(loaded) => loaded.warnings.iter().map(ToString::to_string).collect(),
        Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn invalid_faults_name_field() {
    let cases: &[(&str, &str)] = &[
        (
            "{ at: 1s, crash: { service: api } }",
            "faults.yaml:17:5: error: faults[0]: a fault needs \"for\", the length of its window, or \"mtbf\" and \"mttr\" for random failures; it has none of them",
        ),
        (
            "{ at: 1s, for: 1s, mttr: 1s, crash: { service: api } }",
            "faults.yaml:17:5: error: faults[0]: a fault has either \"for\" or \"mtbf\" and \"mttr\", not both; remove \"for\" for random failures, or \"mtbf\" and \"mttr\" for one window",
        ),
        (
            "{ mtbf: 1m, crash: { service: api } }",
            "faults.yaml:17:5: error: faults[0]: a random fault needs \"mttr\", the mean time to repair, next to \"mtbf\"",
        ),
        (
            "{ mttr: 1m, crash: { service: api } }",
            "faults.yaml:17:5: error: faults[0]: a random fault needs \"mtbf\", the mean time between failures, next to \"mttr\"",
        ),
        (
            "{ mtbf: 1ns, mttr: 1ns, crash: { service: api } }",
            "faults.yaml:17:13: error: faults[0].mtbf: invalid mtbf 1ns: must be at least 1ms, because every failure and repair is recorded in the fault timeline",
        ),
        (
            "{ mtbf: 1s, mttr: 999us, crash: { service: api } }",
            "faults.yaml:17:23: error: faults[0].mttr: invalid mttr 999us: must be at least 1ms, because every failure and repair is recorded in the fault timeline",
        ),
        (
            "{ mtbf: 0s, mttr: 1s, crash: { service: api } }",
            "faults.yaml:17:13: error: faults[0].mtbf: invalid duration 0: must be greater than zero",
        ),
        (
            "{ at: 1s, for: 1s, crash: { service: api, replica: 2 } }",
            "faults.yaml:17:56: error: faults[0].crash.replica: replica 2 not found: \"api\" has 2 replicas, numbered from 0 to 1",
        ),
        (
            "{ at: 1s, for: 1s, crash: { service: api, replica: -1 } }",
            "faults.yaml:17:56: error: faults[0].crash.replica: invalid value -1: expected a whole number from 0 to 4294967295",
        ),
        (
            "{ at: 1s, for: 1s, crash: { service: apj } }",
            "faults.yaml:17:42: error: faults[0].crash.service: service \"apj\" not found; did you mean \"api\"? Services: \"api\"",
        ),
        (
            "{ at: 1s, for: 1s, crash: { service: api, mode: slow } }",
            "faults.yaml:17:53: error: faults[0].crash.mode: invalid value \"slow\". Allowed values: \"fail-fast\" or \"timeout\"",
        ),
        (
            "{ at: 1s, for: 1s, crsh: { service: api } }",
            "faults.yaml:17:24: error: faults[0].crsh: unknown key \"crsh\"; did you mean \"crash\"? Allowed keys here: at, for, mtbf, mttr, outage, slow, errors, crash, latency, partition, loss, broker_outage, slow_consumer",
        ),
        (
            "{ at: 1s, for: 1s, latency: { service: api } }",
            "faults.yaml:17:33: error: faults[0].latency.add: missing required key \"add\"",
        ),
        (
            "{ at: 1s, for: 1s, latency: { add: 5ms } }",
            "faults.yaml:17:33: error: faults[0].latency: a latency fault names exactly one of \"service\" or \"link\"",
        ),
        (
            "{ at: 1s, for: 1s, latency: { service: api, add: 5 } }",
            "faults.yaml:17:54: error: faults[0].latency.add: invalid duration 5: a duration needs a unit, such as 5ms or 5s; expected a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)",
        ),
        (
            "{ at: 1s, for: 1s, errors: { service: api } }",
            "faults.yaml:17:32: error: faults[0].errors: an errors fault needs \"probability\", the chance that each request fails, or \"first\", the number of requests that fail",
        ),
        (
            "{ at: 1s, for: 1s, errors: { service: api, probability: 0.5, first: 3 } }",
            "faults.yaml:17:32: error: faults[0].errors: an errors fault has either \"probability\" or \"first\", not both",
        ),
        (
            "{ at: 1s, for: 1s, errors: { service: api, first: 0 } }",
            "faults.yaml:17:55: error: faults[0].errors.first: invalid value 0: expected a whole number of at least 1",
        ),
        (
            "{ at: 1s, for: 1s, partition: { between: [api] } }",
            "faults.yaml:17:46: error: faults[0].partition.between: expected a list of two node names, such as [orders, payments], found a list of 1 item",
        ),
        (
            "{ at: 1s, for: 1s, partition: { between: [api, api] } }",
            "faults.yaml:17:46: error: faults[0].partition.between: a partition is between two different nodes; both are \"api\"",
        ),
        (
            "{ at: 1s, for: 1s, partition: { between: [api, lod] } }",
            "faults.yaml:17:52: error: faults[0].partition.between[1]: node \"lod\" not found; did you mean \"load\"? Clients, services and queues: \"load\", \"api\" and \"jobs\"",
        ),
        (
            "{ at: 1s, for: 1s, partition: { between: [api, load], direction: up } }",
            "faults.yaml:17:70: error: faults[0].partition.direction: invalid value \"up\". Allowed values: \"both\" or \"one-way\"",
        ),
        (
            "{ at: 1s, for: 1s, loss: { link: { from: load, to: api }, probability: 2 } }",
            "faults.yaml:17:76: error: faults[0].loss.probability: invalid probability 2: must be from 0 to 1",
        ),
        (
            "{ at: 1s, for: 1s, loss: { probability: 0.1 } }",
            "faults.yaml:17:30: error: faults[0].loss.link: missing required key \"link\"",
        ),
        (
            "{ at: 1s, for: 1s, loss: { link: { from: load, to: nowhere }, probability: 0.1 } }",
            "faults.yaml:17:56: error: faults[0].loss.link.to: node \"nowhere\" not found. Clients, services and queues: \"load\", \"api\" and \"jobs\"",
        ),
        (
            "{ at: 1s, for: 1s, broker_outage: { queue: job } }",
            "faults.yaml:17:48: error: faults[0].broker_outage.queue: queue \"job\" not found; did you mean \"jobs\"? Queues: \"jobs\"",
        ),
        (
            "{ at: 1s, for: 1s, slow_consumer: { queue: jobs, latency_multiplier: 0 } }",
            "faults.yaml:17:74: error: faults[0].slow_consumer.latency_multiplier: invalid latency_multiplier 0: must be greater than 0",
        ),
        (
            "{ at: 1s, for: 1s, slow_consumer: { queue: jobs, latency_multiplier: 2 } }",
            "faults.yaml:17:48: warning: faults[0].slow_consumer.queue: queue \"jobs\" has no consumer, so slowing its consumer changes nothing",
        ),
    ];
    for (fault, expected) in cases {
        let diagnostics = fault_errors(fault);
        assert!(
            diagnostics.iter().any(|d| d.contains(expected)),
            "for {fault}\nexpected: {expected}\nfound: {diagnostics:#?}"
        );
    }
}

#[test]
fn fault_without_timing_has_one_error() {
    let diagnostics = fault_errors("{ crash: { service: api } }");
    let errors: Vec<&String> = diagnostics
        .iter()
        .filter(|d| d.contains("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{diagnostics:#?}");
    assert!(
        errors[0].contains("a fault needs \"for\""),
        "{diagnostics:#?}"
    );
}

/// Returns a publisher and three replicas of a consumer of a queue with broker settings
/// `queue`,
/// whose replica 0 crashes from 1 s to 2 s.
fn broker_consumer_crash(queue: &str, faults: &str) -> String {
    format!(
        r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: {{ constant: 10/s }}
services:
  api:
    operations:
      serve:
        service_time: 1ms
        steps:
          - publish: jobs
  worker:
    replicas: 3
    operations:
      handle:
        service_time: 10ms
queues:
  jobs:
{queue}
    consumer: {{ operation: worker.handle }}
faults:
{faults}
"
    )
}

#[test]
fn crash_of_broker_consumer_is_valid() {
    // A crash of a consumer of a queue with broker settings is modelled, so the file
    // reads without an error or a warning, for every kind of broker.
    for queue in [
        "    prefetch: 3",
        "    preset: sqs",
        "    partitions: 4",
        "    preset: db-poll",
    ] {
        let yaml = broker_consumer_crash(
            queue,
            "  - { at: 1s, for: 1s, crash: { service: worker, replica: 0 } }",
        );
        let loaded = load_str(&yaml, Some(std::path::PathBuf::from("crash.yaml")))
            .unwrap_or_else(|d| panic!("{queue}: {d:?}"));
        assert!(loaded.warnings.is_empty(), "{queue}: {:?}", loaded.warnings);
    }
}

#[test]
fn manual_crash_of_broker_consumer_matches_scheduled() {
    for queue in [
        "    prefetch: 3",
        "    visibility_timeout: 500ms",
        "    partitions: 4\n    session_timeout: 300ms",
        "    poll_interval: 100ms\n    batch_size: 3",
    ] {
        let scheduled = broker_consumer_crash(
            queue,
            "  - { at: 1s, for: 1s, crash: { service: worker, replica: 0 } }",
        );
        let (_, expected) = run(&scheduled, Duration::from_secs(4));
        let mut simulation = start(
            &broker_consumer_crash(queue, "  []"),
            Duration::from_secs(4),
        );
        simulation.run_until(SECOND).expect("runs");
        let kind = FaultKind::Crash(CrashFault {
            service: "worker".to_owned(),
            replica: Some(0),
            mode: OutageMode::FailFast,
        });
        simulation
            .inject_fault(&kind, Duration::from_secs(1))
            .expect("a crash of a broker consumer is modelled");
        simulation.run_until(4 * SECOND).expect("runs");
        simulation.finish();
        let actual = Summary::new(&simulation, "test");
        assert_eq!(actual.queues, expected.queues, "{queue}");
        assert_eq!(actual.operations, expected.operations, "{queue}");
        assert_eq!(actual.edges, expected.edges, "{queue}");
        let queue_summary = &actual.queues[0];
        assert_eq!(queue_summary.published, 39, "{queue}");
        assert_eq!(queue_summary.dead_lettered, 0, "{queue}");
    }
}

#[test]
fn fault_labels_write_numbers_compactly() {
    let yaml = direct_call(
        "  - { at: 0s, for: 1s, slow: { service: api, latency_multiplier: 1e300 } }
  - { at: 0s, for: 1s, errors: { service: api, probability: 0.1 } }",
    );
    let mut simulation = start(&yaml, Duration::from_secs(2));
    simulation.run_until(MS).expect("runs");
    let labels: Vec<String> = simulation
        .fault_timeline()
        .iter()
        .map(|interval| interval.label.clone())
        .collect();
    assert_eq!(labels, vec!["slow api ×1e300", "errors api 10%"]);
}
