//! Circuit breakers: the state machine of resilience4j 2.x on small scenarios with
//! constant times, so that every transition happens at a known nanosecond.
//!
//! Most scenarios have a client that sends one request per millisecond, at 1 ms, 2 ms
//! and so on, with no network latency, to an operation that a fail-fast outage makes
//! fail at once. Each attempt's outcome is then known at the instant it is sent.

use topolab::engine::run::RunConfig;
use topolab::engine::sim::breaker::{Breaker, BreakerState};
use topolab::engine::{Model, Simulation};
use topolab::metrics::breakers::{BreakerSummary, breakers_csv};
use topolab::metrics::summary::Summary;
use topolab::scenario::{Duration, load_str};

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

/// Starts a run of `yaml` with the given horizon.
fn start(yaml: &str, duration: Duration) -> Simulation {
    let loaded = match load_str(yaml, None) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("invalid scenario: {diagnostics:?}"),
    };
    let config = RunConfig::resolve(&loaded.scenario.run, Some(duration), None, None, None)
        .expect("valid settings");
    let model = Model::compile(&loaded.scenario).expect("the scenario compiles");
    Simulation::new(model, config.options())
}

/// Builds a scenario with a client that calls `api.serve` once per millisecond, with
/// `breaker` on its calls and `rest` appended (faults, settings).
fn client_scenario(breaker: &str, rest: &str) -> String {
    format!(
        "version: 1
clients:
  users:
    target: api.serve
    arrivals: {{ constant: 1000/s }}
    circuit_breaker: {breaker}
services:
  api:
    workers: 100
    operations:
      serve:
        service_time: 0
{rest}"
    )
}

fn state(simulation: &Simulation) -> BreakerState {
    simulation.site_breakers(0)[0].state()
}

fn edge_attempts(simulation: &Simulation) -> u64 {
    let entity = simulation.layout().edges as usize;
    simulation.metrics().stats[entity].total.attempts
}

fn breaker_summary(simulation: &Simulation) -> BreakerSummary {
    BreakerSummary::of_edge(simulation, 0).expect("the edge has a breaker")
}

#[test]
fn opens_at_call_reaching_threshold() {
    // Calls at 1, 2 and 3 ms succeed, and those from 4 ms fail. With at least 4 calls,
    // the failure rate is 1/4, then 2/5, then 3/6 at 6 ms, which reaches 50 %.
    let yaml = client_scenario(
        "{ sliding_window_size: 10, minimum_number_of_calls: 4, wait_duration_in_open_state: 1s }",
        "faults:\n  - { at: 3500us, for: 1s, outage: { service: api } }\n",
    );
    let mut simulation = start(&yaml, Duration::from_secs(1));
    simulation.run_until(6 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Closed);
    simulation.run_until(6 * MS + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Open);
    assert_eq!(edge_attempts(&simulation), 6);
    assert_eq!(breaker_summary(&simulation).transitions_to_open, 1);
}

#[test]
fn count_window_forgets_old_calls() {
    // Failures at 1 and 2 ms, successes from 3 to 6 ms, failures from 7 ms. A window of
    // the last 4 calls contains 3 failures at 9 ms, 75 %. Counting every call, it would
    // be 5 of 9, below the threshold.
    let yaml = client_scenario(
        "{ sliding_window_size: 4, minimum_number_of_calls: 4, failure_rate_threshold: 75 }",
        "faults:
  - { at: 0, for: 2500us, outage: { service: api } }
  - { at: 6500us, for: 1s, outage: { service: api } }
",
    );
    let mut simulation = start(&yaml, Duration::from_secs(1));
    simulation.run_until(9 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Closed);
    simulation.run_until(9 * MS + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Open);
    assert_eq!(edge_attempts(&simulation), 9);
}

#[test]
fn time_window_forgets_old_seconds() {
    // Two calls per second, at 0.5 s, 1 s, 1.5 s, ... The call at 0.5 s fails, those
    // at 1 s and 1.5 s succeed, and those from 2 s fail. At 2 s the window of 2 s
    // contains the seconds 1 and 2 only: 1 failure in 3 calls. At 2.5 s it is 2 in 4, 50 %.
    // A window that still held the failure at 0.5 s would open at 2 s.
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 2/s }
    circuit_breaker:
      sliding_window_type: time-based
      sliding_window_size: 2s
      minimum_number_of_calls: 3
services:
  api:
    operations:
      serve: { service_time: 0 }
faults:
  - { at: 0, for: 700ms, outage: { service: api } }
  - { at: 1700ms, for: 10s, outage: { service: api } }
";
    let mut simulation = start(yaml, Duration::from_secs(10));
    simulation.run_until(2 * SEC + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Closed);
    simulation.run_until(2 * SEC + 500 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Closed);
    simulation.run_until(2 * SEC + 500 * MS + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Open);
    assert_eq!(edge_attempts(&simulation), 5);
}

#[test]
fn slow_calls_open_breaker() {
    // Every call succeeds after 10 ms, above the 5 ms threshold. The third result, of
    // the call sent at 3 ms, ends at 13 ms and makes 3 slow calls in 3: 100 %.
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 1000/s }
    circuit_breaker:
      sliding_window_size: 3
      slow_call_duration_threshold: 5ms
services:
  api:
    workers: 100
    operations:
      serve: { service_time: 10ms }
";
    let mut simulation = start(yaml, Duration::from_secs(1));
    simulation.run_until(13 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Closed);
    simulation.run_until(13 * MS + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Open);
    let entity = simulation.layout().edges as usize;
    assert_eq!(simulation.metrics().stats[entity].total.successes, 3);
    assert_eq!(simulation.metrics().stats[entity].total.failures(), 0);
}

#[test]
fn call_at_threshold_is_not_slow() {
    // A call is slow only when it takes longer than the threshold.
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 1000/s }
    circuit_breaker:
      sliding_window_size: 3
      slow_call_duration_threshold: 5ms
services:
  api:
    workers: 100
    operations:
      serve: { service_time: 5ms }
";
    let mut simulation = start(yaml, Duration::from_secs(1));
    simulation.run_until(SEC).expect("runs");
    simulation.finish();
    assert_eq!(state(&simulation), BreakerState::Closed);
    assert_eq!(breaker_summary(&simulation).transitions_to_open, 0);
}

#[test]
fn timeouts_count_as_failures() {
    // In a timeout-mode outage the calls at 1 and 2 ms time out at 6 and 7 ms.
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 1000/s }
    timeout: 5ms
    circuit_breaker: { sliding_window_size: 2 }
services:
  api:
    operations:
      serve: { service_time: 0 }
faults:
  - { at: 0, for: 1s, outage: { service: api, mode: timeout } }
";
    let mut simulation = start(yaml, Duration::from_secs(1));
    simulation.run_until(7 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Closed);
    simulation.run_until(7 * MS + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Open);
}

#[test]
fn open_rejects_for_wait_duration() {
    // The call at 1 ms fails and opens the breaker until 11 ms. The calls from 2 to
    // 10 ms are rejected without being sent. The one at 11 ms goes through, fails as
    // the only half-open call, and opens the breaker again.
    let yaml = client_scenario(
        "{ sliding_window_size: 1, wait_duration_in_open_state: 10ms, permitted_number_of_calls_in_half_open_state: 1 }",
        "faults:\n  - { at: 0, for: 1s, outage: { service: api } }\n",
    );
    let mut simulation = start(&yaml, Duration::from_secs(1));
    simulation.run_until(11 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Open);
    assert_eq!(edge_attempts(&simulation), 1);
    let summary = breaker_summary(&simulation);
    assert_eq!(summary.calls_not_permitted, 9);
    assert_eq!(summary.transitions_to_open, 1);
    simulation.run_until(11 * MS + 1).expect("runs");
    assert_eq!(edge_attempts(&simulation), 2);
    let summary = breaker_summary(&simulation);
    assert_eq!(summary.calls_not_permitted, 9);
    assert_eq!(summary.transitions_to_open, 2);
    assert_eq!(state(&simulation), BreakerState::Open);
    let client = simulation.layout().clients as usize;
    let errors = simulation.metrics().stats[client].total.errors;
    assert_eq!(errors[topolab::metrics::ErrorKind::CircuitOpen as usize], 9);
    assert_eq!(errors[topolab::metrics::ErrorKind::Failed as usize], 2);
}

#[test]
fn half_open_permits_exactly_n() {
    // The call at 1 ms fails and opens the breaker until 11 ms. The service responds
    // after 5 ms, so the 3 half-open calls of 11, 12 and 13 ms end at 16, 17 and 18 ms.
    // The calls of 14 to 17 ms are rejected. The third success closes the breaker at
    // 18 ms, before the call of 18 ms, which goes through.
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 1000/s }
    circuit_breaker:
      sliding_window_size: 1
      wait_duration_in_open_state: 10ms
      permitted_number_of_calls_in_half_open_state: 3
services:
  api:
    workers: 100
    operations:
      serve: { service_time: 5ms }
faults:
  - { at: 0, for: 1500us, outage: { service: api } }
";
    let mut simulation = start(yaml, Duration::from_secs(1));
    simulation.run_until(18 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::HalfOpen);
    assert_eq!(edge_attempts(&simulation), 4);
    assert_eq!(breaker_summary(&simulation).calls_not_permitted, 9 + 4);
    simulation.run_until(18 * MS + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Closed);
    assert_eq!(edge_attempts(&simulation), 5);
    let summary = breaker_summary(&simulation);
    assert_eq!(summary.calls_not_permitted, 13);
    assert_eq!(summary.open_s, 0.01);
    assert_eq!(summary.half_open_s, 0.007);
}

#[test]
fn half_open_failure_reopens() {
    // Both half-open calls, at 11 and 12 ms, fail: the second ends the probe and opens
    // the breaker again, until 22 ms.
    let yaml = client_scenario(
        "{ sliding_window_size: 1, wait_duration_in_open_state: 10ms, permitted_number_of_calls_in_half_open_state: 2 }",
        "faults:\n  - { at: 0, for: 1s, outage: { service: api } }\n",
    );
    let mut simulation = start(&yaml, Duration::from_secs(1));
    simulation.run_until(12 * MS).expect("runs");
    assert_eq!(state(&simulation), BreakerState::HalfOpen);
    simulation.run_until(12 * MS + 1).expect("runs");
    assert_eq!(state(&simulation), BreakerState::Open);
    assert_eq!(breaker_summary(&simulation).transitions_to_open, 2);
    simulation.run_until(22 * MS).expect("runs");
    assert_eq!(edge_attempts(&simulation), 3);
    simulation.run_until(22 * MS + 1).expect("runs");
    assert_eq!(edge_attempts(&simulation), 4);
}

#[test]
fn retry_sees_circuit_open() {
    // One request at 1 s. Its first attempt fails and opens the breaker for 10 ms. The
    // retries after 4 ms and 8 ms are rejected, so the request fails with circuit_open
    // at 1.008 s, after a single attempt sent.
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 1/s }
    retry: { attempts: 3, backoff: { constant: 4ms } }
    circuit_breaker: { sliding_window_size: 1, wait_duration_in_open_state: 10ms }
services:
  api:
    operations:
      serve: { service_time: 0 }
faults:
  - { at: 0, for: 10s, outage: { service: api } }
";
    let mut simulation = start(yaml, Duration::from_millis(1500));
    simulation.run_until(1500 * MS).expect("runs");
    simulation.finish();
    let summary = Summary::new(&simulation, "retry");
    let client = &summary.clients[0];
    assert_eq!(client.issued, 1);
    assert_eq!(client.errors.circuit_open, 1);
    assert_eq!(client.errors.failed, 0);
    assert_eq!(client.attempts, 1);
    assert_eq!(client.mean_sojourn_ms, 8.0);
    let edge = &summary.edges[0];
    assert_eq!(edge.attempts, 1);
    let breaker = edge.circuit_breaker.as_ref().expect("a breaker summary");
    assert_eq!(breaker.calls_not_permitted, 2);
}

#[test]
fn retry_after_wait_goes_through() {
    // With a backoff of the wait duration, the retry at 1.010 s reaches the breaker
    // exactly when its wait ends and is sent.
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 1/s }
    retry: { attempts: 2, backoff: { constant: 10ms } }
    circuit_breaker: { sliding_window_size: 1, wait_duration_in_open_state: 10ms }
services:
  api:
    operations:
      serve: { service_time: 0 }
faults:
  - { at: 0, for: 10s, outage: { service: api } }
";
    let mut simulation = start(yaml, Duration::from_millis(1500));
    simulation.run_until(1500 * MS).expect("runs");
    simulation.finish();
    let summary = Summary::new(&simulation, "retry");
    assert_eq!(summary.clients[0].errors.failed, 1);
    assert_eq!(summary.clients[0].errors.circuit_open, 0);
    assert_eq!(summary.edges[0].attempts, 2);
}

#[test]
fn breaker_state_is_per_replica() {
    // Round-robin sends the requests of 1, 3, 5 ms ... to gateway replica 0 and those
    // of 2, 4, 6 ms ... to replica 1. Only the call of 1 ms fails, so only replica 0's
    // breaker opens, and it rejects its calls of 3, 5, 7 and 9 ms.
    let yaml = "version: 1
clients:
  users:
    target: gateway.checkout
    arrivals: { constant: 1000/s }
services:
  gateway:
    replicas: 2
    workers: 10
    operations:
      checkout:
        service_time: 0
        steps:
          - call: payments.pay
            circuit_breaker: { sliding_window_size: 1, wait_duration_in_open_state: 10ms }
  payments:
    workers: 10
    operations:
      pay: { service_time: 0 }
faults:
  - { at: 0, for: 1500us, outage: { service: payments } }
";
    let mut simulation = start(yaml, Duration::from_secs(1));
    simulation.run_until(10 * MS).expect("runs");
    let states: Vec<BreakerState> = simulation
        .site_breakers(0)
        .iter()
        .map(Breaker::state)
        .collect();
    assert_eq!(states, [BreakerState::Open, BreakerState::Closed]);
    let edge = simulation.model().breakers[0].edge;
    let summary = BreakerSummary::of_edge(&simulation, edge).expect("a breaker");
    assert_eq!(summary.breakers, 2);
    assert_eq!(summary.calls_not_permitted, 4);
    assert_eq!(summary.open_at_end, 1);
}

#[test]
fn summary_and_csv_report_breakers() {
    // Open from 1 ms to 11 ms, half-open for no time at 11 ms, open again from 11 ms.
    let yaml = client_scenario(
        "{ sliding_window_size: 1, wait_duration_in_open_state: 10ms, permitted_number_of_calls_in_half_open_state: 1 }",
        "faults:\n  - { at: 0, for: 1s, outage: { service: api } }\nrun: { window: 10ms }\n",
    );
    let mut simulation = start(&yaml, Duration::from_millis(20));
    simulation.run_until(20 * MS).expect("runs");
    simulation.finish();
    assert_eq!(
        breakers_csv(&simulation),
        "window_start_s,window_s,edge,call_site,replica,open_fraction,half_open_fraction,state
0,0.01,users → api,clients.users,0,0.900000,0.000000,open
0.01,0.01,users → api,clients.users,0,1.000000,0.000000,open
"
    );
    let summary = Summary::new(&simulation, "csv");
    let json = serde_json::to_value(&summary.edges[0]).expect("serializes");
    assert_eq!(
        json["circuit_breaker"],
        serde_json::json!({
            "breakers": 1,
            "transitions_to_open": 2,
            "calls_not_permitted": 17,
            "open_s": 0.019,
            "half_open_s": 0.0,
            "open_at_end": 1,
            "half_open_at_end": 0,
        })
    );
}

#[test]
fn summary_omits_breaker_when_unset() {
    let yaml = "version: 1
clients:
  users:
    target: api.serve
    arrivals: { constant: 1000/s }
services:
  api:
    operations:
      serve: { service_time: 0 }
";
    let mut simulation = start(yaml, Duration::from_millis(20));
    simulation.run_until(20 * MS).expect("runs");
    simulation.finish();
    let summary = Summary::new(&simulation, "plain");
    let json = serde_json::to_value(&summary.edges[0]).expect("serializes");
    assert!(json.get("circuit_breaker").is_none());
}

/// Returns the errors of reading `breaker` as a client's circuit breaker, as printed.
fn breaker_errors(breaker: &str) -> Vec<String> {
    let yaml = client_scenario(breaker, "");
    match load_str(&yaml, Some("breaker.yaml".into())) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn invalid_breaker_values_are_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "{ failure_rate_threshold: 0 }",
            "breaker.yaml:6:48: error: clients.users.circuit_breaker.failure_rate_threshold: invalid percentage 0: must be greater than 0 and at most 100",
        ),
        (
            "{ slow_call_rate_threshold: 100.5 }",
            "breaker.yaml:6:50: error: clients.users.circuit_breaker.slow_call_rate_threshold: invalid percentage 100.5: must be greater than 0 and at most 100",
        ),
        (
            "{ failure_rate_threshold: -5 }",
            "breaker.yaml:6:48: error: clients.users.circuit_breaker.failure_rate_threshold: invalid percentage -5: must be greater than 0 and at most 100",
        ),
        (
            "{ sliding_window_size: 0 }",
            "breaker.yaml:6:45: error: clients.users.circuit_breaker.sliding_window_size: invalid value 0: expected a whole number from 1 to 1000000",
        ),
        (
            "{ minimum_number_of_calls: 0 }",
            "breaker.yaml:6:49: error: clients.users.circuit_breaker.minimum_number_of_calls: invalid value 0: expected a whole number from 1 to 1000000",
        ),
        (
            "{ permitted_number_of_calls_in_half_open_state: 0 }",
            "breaker.yaml:6:70: error: clients.users.circuit_breaker.permitted_number_of_calls_in_half_open_state: invalid value 0: expected a whole number from 1 to 1000000",
        ),
        (
            "{ wait_duration_in_open_state: 0 }",
            "breaker.yaml:6:53: error: clients.users.circuit_breaker.wait_duration_in_open_state: invalid duration 0: must be greater than zero",
        ),
        (
            "{ sliding_window_type: sliding }",
            "breaker.yaml:6:45: error: clients.users.circuit_breaker.sliding_window_type: invalid value \"sliding\". Allowed values: \"count-based\" or \"time-based\"",
        ),
        (
            "{ sliding_window_type: time-based, sliding_window_size: 1500ms }",
            "breaker.yaml:6:78: error: clients.users.circuit_breaker.sliding_window_size: invalid window size 1.5s: a time-based window is a whole number of seconds from 1s to 86400s, because it counts calls in buckets of one second",
        ),
        (
            "{ sliding_window_type: time-based, sliding_window_size: 10 }",
            "breaker.yaml:6:78: error: clients.users.circuit_breaker.sliding_window_size: invalid value 10: a time-based window's size is a duration in whole seconds, such as 10s",
        ),
        (
            "{ sliding_window_size: 10s }",
            "breaker.yaml:6:45: error: clients.users.circuit_breaker.sliding_window_size: invalid value \"10s\": a count-based window's size is a number of calls, such as 100; for a window of time, set \"sliding_window_type: time-based\"",
        ),
        (
            "{ wait_duration_in_open: 5s }",
            "breaker.yaml:6:24: error: clients.users.circuit_breaker.wait_duration_in_open: unknown key \"wait_duration_in_open\"; did you mean \"wait_duration_in_open_state\"? Allowed keys here: sliding_window_type, sliding_window_size, minimum_number_of_calls, failure_rate_threshold, slow_call_rate_threshold, slow_call_duration_threshold, wait_duration_in_open_state, permitted_number_of_calls_in_half_open_state",
        ),
    ];
    for (breaker, expected) in cases {
        assert_eq!(breaker_errors(breaker), [*expected], "for {breaker}");
    }
}

#[test]
fn breaker_on_parallel_call_compiles() {
    let yaml = "version: 1
clients:
  users:
    target: gateway.checkout
    arrivals: { constant: 1000/s }
services:
  gateway:
    operations:
      checkout:
        service_time: 0
        steps:
          - parallel:
              - call: payments.pay
              - call: payments.pay
                circuit_breaker: { sliding_window_size: 5 }
  payments:
    operations:
      pay: { service_time: 0 }
";
    let simulation = start(yaml, Duration::from_secs(1));
    let sites: Vec<&str> = simulation
        .model()
        .breakers
        .iter()
        .map(|b| b.site.as_str())
        .collect();
    assert_eq!(
        sites,
        ["services.gateway.operations.checkout.steps[0].parallel[1]"]
    );
}
