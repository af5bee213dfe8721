//! Bulkheads, rate limits, load shedding and autoscaling, each on a small scenario with
//! constant times, so that every count and time is exact.

use std::path::PathBuf;

use topolab::engine::run::{RunConfig, run};
use topolab::engine::{Model, RunOptions, Simulation};
use topolab::metrics::summary::Summary;
use topolab::scenario::{Diagnostic, load_str};

const S: u64 = 1_000_000_000;

fn summarize(yaml: &str) -> (Simulation, Summary) {
    let loaded = load_str(yaml, None).unwrap_or_else(|errors| panic!("invalid: {errors:?}"));
    let config =
        RunConfig::resolve(&loaded.scenario.run, None, None, None, None).expect("valid settings");
    let simulation = run(&loaded.scenario, &config, |_| {}).expect("the run finishes");
    let summary = Summary::new(&simulation, "test");
    (simulation, summary)
}

/// Compiles `yaml` into a simulation at time 0, for the test to step.
fn start(yaml: &str) -> Simulation {
    let loaded = load_str(yaml, None).unwrap_or_else(|errors| panic!("invalid: {errors:?}"));
    let model = Model::compile(&loaded.scenario).expect("compiles");
    Simulation::new(
        model,
        RunOptions {
            seed: 1,
            warmup_ns: 0,
            window_ns: S,
        },
    )
}

/// Runs `simulation` up to `end_ns`, the events at `end_ns` excluded.
fn advance(simulation: &mut Simulation, end_ns: u64) {
    simulation.run_until(end_ns).expect("the run goes on");
}

fn errors_of(yaml: &str) -> Vec<String> {
    match load_str(yaml, Some(PathBuf::from("inline.yaml"))) {
        Ok(loaded) => panic!("expected errors, loaded with {:?}", loaded.warnings),
        Err(diagnostics) => diagnostics.iter().map(Diagnostic::to_string).collect(),
    }
}

#[test]
fn client_bulkhead_without_wait() {
    // Arrivals come every 10 ms from 10 ms to 90 ms, and each call takes 1 s. So the
    // first three take the three permits and the six after them fail without being sent.
    let (_, summary) = summarize(
        "
version: 1
run: { duration: 95ms }
clients:
  users:
    target: api.get
    arrivals: { constant: 100/s }
    bulkhead: { max_concurrent_calls: 3 }
services:
  api:
    workers: 100
    operations:
      get: { service_time: 1s }
",
    );
    let client = &summary.clients[0];
    assert_eq!(client.issued, 9);
    assert_eq!(client.errors.bulkhead_full, 6);
    assert_eq!(client.in_flight, 3);
    assert_eq!(client.attempts, 3);
    assert_eq!(summary.services[0].arrivals, 3);
    assert_eq!(summary.edges[0].errors.bulkhead_full, 6);
    assert_eq!(summary.edges[0].attempts, 3);
}

/// Returns a frontend that calls a backend through a bulkhead of one permit. `replicas`
/// sets the frontend's replicas and `wait` the bulkhead's `max_wait_duration`.
fn frontend_with_bulkhead(replicas: u32, wait: &str, duration: &str) -> String {
    format!(
        "
version: 1
run: {{ duration: {duration} }}
clients:
  users:
    target: frontend.page
    arrivals: {{ constant: 100/s }}
services:
  frontend:
    replicas: {replicas}
    workers: 100
    operations:
      page:
        service_time: 0ms
        steps:
          - call: backend.get
            bulkhead: {{ max_concurrent_calls: 1, max_wait_duration: {wait} }}
  backend:
    workers: 100
    operations:
      get: {{ service_time: 30ms }}
"
    )
}

#[test]
fn call_bulkhead_is_per_replica() {
    // Arrivals at 10, 20, 30 and 40 ms alternate between the two frontend replicas.
    // Each replica's bulkhead lets one call through. The calls at 30 and 40 ms find
    // their replica's permit taken until 40 and 50 ms, and fail.
    let (_, summary) = summarize(&frontend_with_bulkhead(2, "0ms", "45ms"));
    let frontend_to_backend = &summary.edges[1];
    assert_eq!(frontend_to_backend.attempts, 2);
    assert_eq!(frontend_to_backend.errors.bulkhead_full, 2);
    assert_eq!(summary.services[1].arrivals, 2);
    assert_eq!(summary.clients[0].errors.failed, 2);

    // With one replica, the calls at 20 and 30 ms fail. The call at 40 ms gets the
    // permit, because the response to the first call frees it at the same instant and
    // was scheduled before that arrival.
    let (_, summary) = summarize(&frontend_with_bulkhead(1, "0ms", "45ms"));
    assert_eq!(summary.edges[1].attempts, 2);
    assert_eq!(summary.edges[1].errors.bulkhead_full, 2);
}

#[test]
fn call_bulkhead_wait_is_exact() {
    // One permit, a wait of 25 ms, and calls of 30 ms every 10 ms. The call at 20 ms
    // gets the permit at 40 ms, after waiting 20 ms; the call at 30 ms is still waiting
    // at 55 ms and fails then. From there on every third call gets the permit after
    // 20 ms and the two others fail after exactly 25 ms. Up to 200 ms: successes at
    // 10, 20, 50, 80, 110 and 140 ms arrivals, ten failures, three still in flight.
    let (_, summary) = summarize(&frontend_with_bulkhead(1, "25ms", "200ms"));
    let client = &summary.clients[0];
    assert_eq!(client.issued, 19);
    assert_eq!(client.successes, 6);
    assert_eq!(client.errors.failed, 10);
    assert_eq!(client.in_flight, 3);
    assert_eq!(summary.edges[1].errors.bulkhead_full, 10);
    // One success of 30 ms, five of 20 + 30 ms, and ten failures after 25 ms.
    assert_eq!(
        client.mean_sojourn_ms,
        (30.0 + 5.0 * 50.0 + 10.0 * 25.0) / 16.0
    );
}

#[test]
fn rate_limiter_fills_at_interval_multiples() {
    // One arrival per millisecond from 1 ms. The bucket starts with 5 tokens and gains
    // 2 at 100, 200 and 300 ms, so the windows of 100 ms admit 5, 2, 2 and 2.
    let (simulation, summary) = summarize(
        "
version: 1
run: { duration: 350ms, window: 100ms }
clients:
  users:
    target: api.get
    arrivals: { constant: 1000/s }
services:
  api:
    rate_limit: { max_tokens: 5, tokens_per_fill: 2, fill_interval: 100ms }
    operations:
      get: { service_time: 0ms }
",
    );
    let service = &summary.services[0];
    assert_eq!(service.arrivals, 349);
    assert_eq!(service.successes, 11);
    assert_eq!(service.errors.rate_limited, 338);
    assert_eq!(summary.clients[0].errors.rate_limited, 338);
    let layout = simulation.layout();
    let windows = &simulation.metrics().stats[layout.operations as usize].series;
    let admitted: Vec<u64> = windows.iter().map(|w| w.counts.successes).collect();
    assert_eq!(admitted, vec![5, 2, 2, 2]);
}

#[test]
fn rate_limiter_caps_at_max_tokens() {
    // Arrivals every 100 ms find the bucket refilled, but never above 3 tokens: a burst
    // client of 1000/s from 1 s would otherwise take the 10 fills of the first second.
    let (_, summary) = summarize(
        "
version: 1
run: { duration: 1100ms }
clients:
  users:
    target: api.get
    arrivals: { constant: 10/s }
    profile:
      - { at: 1s, rate: 1000/s }
services:
  api:
    rate_limit: { max_tokens: 3, tokens_per_fill: 1, fill_interval: 100ms }
    operations:
      get: { service_time: 0ms }
",
    );
    // Ten arrivals at 100 ms to 1 s, each with a token. The bucket holds 3 after the
    // one at 1 s, because 10 fills are capped; the arrivals at 1001 ms to 1099 ms take
    // those 3 and the one of the fill at 1100 ms is after the horizon.
    let service = &summary.services[0];
    assert_eq!(service.arrivals, 10 + 99);
    assert_eq!(service.successes, 10 + 2);
    assert_eq!(service.errors.rate_limited, 97);
}

#[test]
fn shedding_by_max_waiting() {
    // One worker busy for 100 ms with the arrival at 10 ms; two may wait, and the six
    // arrivals at 40 to 90 ms are shed at once.
    let (_, summary) = summarize(
        "
version: 1
run: { duration: 95ms }
clients:
  users:
    target: api.get
    arrivals: { constant: 100/s }
services:
  api:
    load_shedding: { max_waiting: 2 }
    operations:
      get: { service_time: 100ms }
",
    );
    let service = &summary.services[0];
    assert_eq!(service.arrivals, 9);
    assert_eq!(service.errors.shed, 6);
    assert_eq!(service.in_flight, 3);
    assert_eq!(summary.clients[0].errors.shed, 6);
}

#[test]
fn shedding_by_max_queue_time() {
    // One worker, 30 ms per request, an arrival every 10 ms. The request of 30 ms
    // starts at 70 ms after waiting exactly the limit of 40 ms and is served; after it,
    // each time the worker frees, the two oldest waiting requests have waited 60 and
    // 50 ms and are shed, and the third has waited 40 ms and starts.
    let (_, summary) = summarize(
        "
version: 1
run: { duration: 200ms }
clients:
  users:
    target: api.get
    arrivals: { constant: 100/s }
services:
  api:
    load_shedding: { max_queue_time: 40ms }
    operations:
      get: { service_time: 30ms }
",
    );
    let service = &summary.services[0];
    assert_eq!(service.arrivals, 19);
    assert_eq!(service.successes, 6);
    assert_eq!(service.errors.shed, 8);
    assert_eq!(service.in_flight, 5);
    // Shed requests take no service time: the worker is busy 6 × 30 ms and 10 ms of
    // the request in service at the end, over 200 ms.
    assert_eq!(service.utilization, (6.0 * 30.0 + 10.0) / 200.0);
}

/// A service of one worker with 10 ms per request, loaded at 100/s until 5 s and at
/// 20/s after, autoscaled on utilization; `settings` completes the autoscaling mapping.
fn autoscaled(settings: &str) -> String {
    format!(
        "
version: 1
run: {{ duration: 20s }}
clients:
  users:
    target: api.get
    arrivals: {{ constant: 100/s }}
    profile:
      - {{ at: 5s, rate: 20/s }}
services:
  api:
    autoscaling: {{ {settings} }}
    operations:
      get: {{ service_time: 10ms }}
"
    )
}

const SCALING: &str = "min_replicas: 1, max_replicas: 4, metric: utilization, target: 50%, evaluation_period: 1s, startup_delay: 2s, scale_down_stabilization: 5s";

#[test]
fn autoscaling_scale_out_and_in_times() {
    let mut simulation = start(&autoscaled(SCALING));
    // The evaluation at 1 s measures 99 % on one replica against 50 %: it wants
    // ceil(1.98) = 2 replicas, and the new one starts.
    advance(&mut simulation, S);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (1, 0)
    );
    advance(&mut simulation, S + 1);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (1, 1)
    );
    // It is ready 2 s later.
    advance(&mut simulation, 3 * S);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (1, 1)
    );
    advance(&mut simulation, 3 * S + 1);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (2, 0)
    );
    // From 6 s each evaluation wants 1 replica, but the one at 5 s wanted 2 and stays
    // in the window of 5 s until 10 s, when the service scales in.
    advance(&mut simulation, 10 * S);
    assert_eq!(simulation.replicas(0), 2);
    advance(&mut simulation, 10 * S + 1);
    assert_eq!(simulation.replicas(0), 1);
    advance(&mut simulation, 20 * S);
    simulation.finish();
    let summary = Summary::new(&simulation, "test");
    let autoscaling = summary.services[0].autoscaling.expect("autoscaled");
    assert_eq!(autoscaling.scale_ups, 1);
    assert_eq!(autoscaling.scale_downs, 1);
    assert_eq!(autoscaling.min_replicas, 1);
    assert_eq!(autoscaling.max_replicas, 2);
    // One replica for 3 s, two for 7 s, one for 10 s.
    assert_eq!(autoscaling.mean_replicas, (3.0 + 2.0 * 7.0 + 10.0) / 20.0);
    let windows: Vec<(u32, u32, f64)> = simulation
        .replica_windows(0)
        .expect("autoscaled")
        .iter()
        .map(|w| (w.ready, w.starting, w.mean_ready))
        .collect();
    assert_eq!(windows.len(), 20);
    assert_eq!(windows[0], (1, 0, 1.0));
    assert_eq!(windows[1], (1, 1, 1.0));
    assert_eq!(windows[3], (2, 0, 2.0));
    assert_eq!(windows[9], (2, 0, 2.0));
    assert_eq!(windows[10], (1, 0, 1.0));
}

#[test]
fn autoscaling_without_startup_delay() {
    let settings = "max_replicas: 4, metric: utilization, target: 50%, evaluation_period: 1s, scale_down_stabilization: 5s";
    let mut simulation = start(&autoscaled(settings));
    advance(&mut simulation, S + 1);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (2, 0)
    );
}

#[test]
fn autoscaling_clamps_to_max_replicas() {
    // Queue depth far above the target of 1 per replica wants many replicas; the
    // autoscaler starts 2 more, up to max_replicas 3, and no more after.
    let yaml = "
version: 1
run: { duration: 10s }
clients:
  users:
    target: api.get
    arrivals: { constant: 100/s }
services:
  api:
    autoscaling: { max_replicas: 3, metric: queue-depth, target: 1, evaluation_period: 1s, startup_delay: 500ms }
    operations:
      get: { service_time: 100ms }
";
    let mut simulation = start(yaml);
    advance(&mut simulation, S + 1);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (1, 2)
    );
    advance(&mut simulation, 5 * S);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (3, 0)
    );
}

#[test]
fn autoscaling_clamps_to_min_replicas() {
    // Three replicas at 2 % each want one, but min_replicas keeps two.
    let yaml = "
version: 1
run: { duration: 10s }
clients:
  users:
    target: api.get
    arrivals: { constant: 6/s }
services:
  api:
    replicas: 3
    autoscaling: { min_replicas: 2, max_replicas: 3, metric: utilization, target: 50%, evaluation_period: 1s, scale_down_stabilization: 0s }
    operations:
      get: { service_time: 10ms }
";
    let mut simulation = start(yaml);
    advance(&mut simulation, S);
    assert_eq!(simulation.replicas(0), 3);
    advance(&mut simulation, S + 1);
    assert_eq!(simulation.replicas(0), 2);
    advance(&mut simulation, 10 * S);
    assert_eq!(simulation.replicas(0), 2);
}

#[test]
fn autoscaling_tolerance_holds_count() {
    // Two replicas at 50 % against a target of 47 %: the ratio is 1.064, within the
    // default tolerance of 0.1, so nothing changes; with a tolerance of 0.06 the
    // autoscaler wants ceil(2 × 1.064) = 3.
    let yaml = |tolerance: &str| {
        format!(
            "
version: 1
run: {{ duration: 3s }}
clients:
  users:
    target: api.get
    arrivals: {{ constant: 100/s }}
services:
  api:
    replicas: 2
    autoscaling: {{ max_replicas: 4, metric: utilization, target: 47%, evaluation_period: 1s{tolerance} }}
    operations:
      get: {{ service_time: 10ms }}
"
        )
    };
    let mut simulation = start(&yaml(""));
    advance(&mut simulation, 2 * S + 1);
    assert_eq!(simulation.replicas(0), 2);
    let mut simulation = start(&yaml(", tolerance: 0.06"));
    // The first period misses the first 10 ms of work: 49.5 %, a ratio of 1.053, still
    // within 0.06. The second has all of it.
    advance(&mut simulation, S + 1);
    assert_eq!(simulation.replicas(0), 2);
    advance(&mut simulation, 2 * S + 1);
    assert_eq!(simulation.replicas(0), 3);
}

#[test]
fn live_replica_change_on_autoscaled_service() {
    // Setting the count from outside drops the replica that is starting, and the next
    // evaluation goes on from the count set.
    let mut simulation = start(&autoscaled(SCALING));
    advance(&mut simulation, S + 1);
    assert_eq!(simulation.starting_replicas(0), 1);
    simulation.set_replicas(0, 3);
    assert_eq!(
        (simulation.replicas(0), simulation.starting_replicas(0)),
        (3, 0)
    );
    // Three replicas at 33 % want ceil(3 × 0.66) = 2, but the evaluation at 1 s wanted
    // 2 as well, so the service goes down to 2 at 2 s.
    advance(&mut simulation, 2 * S + 1);
    assert_eq!(simulation.replicas(0), 2);
}

#[test]
fn unused_features_add_no_summary_keys() {
    let (_, summary) = summarize(
        "
version: 1
run: { duration: 1s }
clients:
  users:
    target: api.get
    arrivals: { constant: 10/s }
services:
  api:
    operations:
      get: { service_time: 1ms }
",
    );
    let json = topolab::metrics::report::json(&summary).expect("serializes");
    assert!(!json.contains("autoscaling"), "{json}");
}

const BASE: &str = "
version: 1
clients:
  users:
    target: api.get
    arrivals: { constant: 10/s }
services:
  api:
";

fn with_service_settings(settings: &str) -> String {
    format!("{BASE}{settings}\n    operations:\n      get: {{ service_time: 1ms }}\n")
}

#[test]
fn invalid_protection_values() {
    let cases = [
        (
            "    autoscaling: { min_replicas: 3, max_replicas: 2, metric: utilization, target: 70% }",
            "inline.yaml:9:34: error: services.api.autoscaling.min_replicas: invalid min_replicas 3: must be at most max_replicas 2",
        ),
        (
            "    rate_limit: { max_tokens: 10, fill_interval: 0ms }",
            "error: services.api.rate_limit.fill_interval: invalid duration 0: must be greater than zero",
        ),
        (
            "    rate_limit: { max_tokens: 0, fill_interval: 1s }",
            "error: services.api.rate_limit.max_tokens: invalid value 0: expected a whole number of at least 1",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: utilization, target: 0% }",
            "error: services.api.autoscaling.target: invalid target 0%: a utilization target must be greater than 0% and at most 100%",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: utilization, target: 120% }",
            "error: services.api.autoscaling.target: invalid target 120%: a utilization target must be greater than 0% and at most 100%",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: queue-depth, target: -1 }",
            "error: services.api.autoscaling.target: invalid target -1: a queue-depth target must be a number of waiting requests per replica greater than 0",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: queue-depth, target: 0 }",
            "error: services.api.autoscaling.target: invalid target 0: a queue-depth target must be a number of waiting requests per replica greater than 0",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: utilization, target: 0.7 }",
            "error: services.api.autoscaling.target: invalid target 0.7: a utilization target is a percentage, such as 70%",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: cpu, target: 70% }",
            "error: services.api.autoscaling.metric: invalid value \"cpu\". Allowed values: \"utilization\" or \"queue-depth\"",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: utilization, target: 70%, evaluation_period: 0s }",
            "error: services.api.autoscaling.evaluation_period: invalid duration 0: must be greater than zero",
        ),
        (
            "    autoscaling: { max_replicas: 2, metric: utilization, target: 70%, tolerance: 1.5 }",
            "error: services.api.autoscaling.tolerance: invalid tolerance 1.5: must be at least 0 and less than 1",
        ),
        (
            "    replicas: 5\n    autoscaling: { max_replicas: 2, metric: utilization, target: 70% }",
            "error: services.api.replicas: invalid replicas 5: an autoscaled service starts with a count from min_replicas 1 to max_replicas 2",
        ),
        (
            "    load_shedding: {}",
            "error: services.api.load_shedding: load shedding needs \"max_waiting\", \"max_queue_time\" or both",
        ),
        (
            "    load_shedding: { max_queue_time: 0ms }",
            "error: services.api.load_shedding.max_queue_time: invalid duration 0: must be greater than zero",
        ),
        (
            "    load_shedding: { max_wait: 5 }",
            "error: services.api.load_shedding.max_wait: unknown key \"max_wait\"",
        ),
    ];
    for (settings, expected) in cases {
        let errors = errors_of(&with_service_settings(settings));
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{settings}: expected {expected:?} among {errors:#?}"
        );
    }
}

#[test]
fn invalid_bulkhead_values() {
    let yaml = "
version: 1
clients:
  users:
    target: api.get
    arrivals: { constant: 10/s }
    bulkhead: { max_concurrent_calls: 0 }
services:
  api:
    operations:
      get:
        service_time: 1ms
        steps:
          - call: api2.get
            bulkhead: { max_concurrent_calls: 2, max_wait_duration: -1ms }
  api2:
    operations:
      get: { service_time: 1ms }
";
    let errors = errors_of(yaml);
    assert!(
        errors.iter().any(|e| e.contains(
            "inline.yaml:7:39: error: clients.users.bulkhead.max_concurrent_calls: invalid value 0: expected a whole number from 1 to 100000"
        )),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains(
            "error: services.api.operations.get.steps[0].bulkhead.max_wait_duration: invalid duration \"-1ms\": must not be negative"
        )),
        "{errors:#?}"
    );
}
