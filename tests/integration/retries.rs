//! Retries across layers, `retry_on`, retry budgets, deadlines, wasted work and the time
//! to recover after a fault, each on a small scenario with constant times.

use std::path::PathBuf;

use topolab::engine::run::{RunConfig, run};
use topolab::engine::{Model, Simulation};
use topolab::metrics::ErrorKind;
use topolab::metrics::summary::{EdgeSummary, Summary};
use topolab::scenario::{self, Diagnostic, Duration, load_str};

use crate::common::Z_99_9;

/// Runs `yaml` for `duration` with seed 1 and summarizes it.
fn run_for(yaml: &str, duration: Duration) -> Summary {
    let loaded = load_str(yaml, None).expect("the scenario is valid");
    let config = RunConfig::resolve(&loaded.scenario.run, Some(duration), None, Some(1), None)
        .expect("valid settings");
    let simulation = run(&loaded.scenario, &config, |_| {}).expect("the run ends");
    Summary::new(&simulation, "test")
}

/// Starts a run of `yaml` without running it.
fn start(yaml: &str) -> Simulation {
    let loaded = load_str(yaml, None).expect("the scenario is valid");
    let config = RunConfig::resolve(&loaded.scenario.run, None, None, Some(1), None)
        .expect("valid settings");
    let model = Model::compile(&loaded.scenario).expect("the scenario compiles");
    Simulation::new(model, config.options())
}

fn edge<'a>(summary: &'a Summary, name: &str) -> &'a EdgeSummary {
    summary
        .edges
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no edge {name}"))
}

const MS: u64 = 1_000_000;

#[test]
fn two_layers_multiply_attempts() {
    // One request at 1 s; every backend attempt fails after 1 ms.
    let summary = run_for(
        r"
version: 1
clients:
  c:
    target: api.get
    arrivals: { constant: 1/s }
    retry: { attempts: 3 }
services:
  api:
    workers: 10
    operations:
      get:
        service_time: 1ms
        steps:
          - call: backend.get
            retry: { attempts: 3 }
  backend:
    operations:
      get:
        service_time: 1ms
        error_probability: 1
",
        Duration::from_secs(2),
    );
    let bottom = edge(&summary, "api → backend");
    assert_eq!(bottom.attempts, 9);
    assert_eq!(bottom.retries, 6);
    assert_eq!(bottom.retry_amplification, 3.0);
    let top = edge(&summary, "c → api");
    assert_eq!(top.attempts, 3);
    assert_eq!(top.retry_amplification, 3.0);
    let client = &summary.clients[0];
    assert_eq!(client.attempts, 3);
    assert_eq!(client.errors.failed, 1);
    // Each client attempt takes 1 ms at the API and 3 × 1 ms at the backend.
    assert_eq!(client.mean_sojourn_ms, 12.0);
}

#[test]
fn retry_on_retries_listed_kinds() {
    let summary = run_for(
        r"
version: 1
clients:
  unlisted:
    target: failing.get
    arrivals: { constant: 1/s }
    retry: { attempts: 3, retry_on: [timeout, rejected] }
  listed:
    target: failing-too.get
    arrivals: { constant: 1/s }
    retry: { attempts: 3, retry_on: [failed] }
  timing-out:
    target: slow.get
    arrivals: { constant: 1/s }
    timeout: 10ms
    retry: { attempts: 3, retry_on: [timeout] }
services:
  failing:
    operations:
      get: { service_time: 1ms, error_probability: 1 }
  failing-too:
    operations:
      get: { service_time: 1ms, error_probability: 1 }
  slow:
    workers: 10
    operations:
      get: { service_time: 50ms }
",
        Duration::from_secs(2),
    );
    let [unlisted, listed, timing_out] = &summary.clients[..] else {
        panic!("three clients");
    };
    assert_eq!(unlisted.attempts, 1);
    assert_eq!(unlisted.errors.failed, 1);
    assert_eq!(listed.attempts, 3);
    assert_eq!(listed.errors.failed, 1);
    assert_eq!(timing_out.attempts, 3);
    assert_eq!(timing_out.errors.timeout, 1);
}

#[test]
fn budget_allows_one_retry_at_once() {
    // Requests every 10 ms from 10 ms on, to a service that never responds. Each attempt
    // times out after 25 ms, and a retry is sent at once. With room for one retry,
    // request 1's retry runs from 35 ms to 60 ms, so requests 2 and 3 (first timeouts at
    // 45 and 55 ms) are denied and request 4 (65 ms) is retried: every third request.
    let summary = run_for(
        r"
version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 100/s }
    timeout: 25ms
    retry: { attempts: 2 }
    retry_budget: { budget_percent: 0, min_retry_concurrency: 1 }
services:
  backend:
    operations:
      get: { service_time: 1ms }
faults:
  - { at: 0s, for: 10s, outage: { service: backend, mode: timeout } }
",
        Duration::from_secs(1),
    );
    // Requests 1 to 97 time out before 1 s; 1, 4, ..., 97 are retried.
    let calls = edge(&summary, "c → backend");
    assert_eq!(calls.retries, 33);
    assert_eq!(calls.retries_denied, 64);
    assert_eq!(calls.attempts, 99 + 33);
    assert_eq!(summary.clients[0].attempts, 99 + 33);
}

#[test]
fn budget_is_per_caller_replica() {
    // Two API replicas take requests in turn, and each has its own budget with room for
    // one retry. Requests 1 and 2 are on different replicas, so both are retried.
    // Request 3 (first timeout at 55 ms) is denied, because replica 0's retry of
    // request 1 (45 to 70 ms) is still running.
    let summary = run_for(
        r"
version: 1
clients:
  c:
    target: api.get
    arrivals: { constant: 100/s }
services:
  api:
    replicas: 2
    workers: 100
    operations:
      get:
        service_time: 10ms
        steps:
          - call: backend.get
            timeout: 25ms
            retry: { attempts: 2 }
            retry_budget: { budget_percent: 0, min_retry_concurrency: 1 }
  backend:
    operations:
      get: { service_time: 1ms }
faults:
  - { at: 0s, for: 10s, outage: { service: backend, mode: timeout } }
",
        Duration::from_millis(75),
    );
    // Requests 1 to 4 reach the backend at 20, 30, 40 and 50 ms. The first timeouts of
    // requests 1, 2 and 3 happen at 45, 55 and 65 ms, before the end at 75 ms.
    let calls = edge(&summary, "api → backend");
    assert_eq!(calls.retries, 2);
    assert_eq!(calls.retries_denied, 1);
}

const DEADLINE: &str = r"
version: 1
clients:
  c:
    target: api.get
    arrivals: { constant: 1/s }
    deadline: 300ms
services:
  api:
    workers: 10
    operations:
      get:
        service_time: 10ms
        steps:
          - call: backend.get
            timeout: 200ms
            retry: { attempts: 3, backoff: { constant: BACKOFF } }
  backend:
    workers: 10
    operations:
      get: { service_time: 1s }
";

#[test]
fn deadline_shortens_child_attempt() {
    // The request starts at 1 s with a deadline at 1.3 s. The API calls the backend at
    // 1.01 s, and attempt 1 times out at 1.21 s. Attempt 2 starts at 1.26 s with 40 ms
    // left, so its timer ends at the deadline.
    let summary = run_for(&DEADLINE.replace("BACKOFF", "50ms"), Duration::from_secs(2));
    let client = &summary.clients[0];
    assert_eq!(client.errors.deadline_exceeded, 1);
    assert_eq!(client.mean_sojourn_ms, 300.0);
    let bottom = edge(&summary, "api → backend");
    assert_eq!(bottom.attempts, 2);
    assert_eq!(bottom.errors.timeout, 1);
    assert_eq!(bottom.errors.deadline_exceeded, 1);
    // The API job fails at the deadline too, after the client has given up.
    let top = edge(&summary, "c → api");
    assert_eq!(top.errors.deadline_exceeded, 1);
    assert_eq!(top.late_responses, 1);
    let api = &summary.operations[0];
    assert_eq!(api.errors.failed, 1);
    assert_eq!(api.mean_sojourn_ms, 300.0);
}

#[test]
fn deadline_blocks_late_retry() {
    // Attempt 1 times out at 1.21 s. A 100 ms backoff would end at 1.31 s, past the
    // deadline at 1.3 s, so the API's call ends at once with the timeout.
    let summary = run_for(
        &DEADLINE.replace("BACKOFF", "100ms"),
        Duration::from_secs(2),
    );
    let bottom = edge(&summary, "api → backend");
    assert_eq!(bottom.attempts, 1);
    assert_eq!(bottom.errors.timeout, 1);
    let client = &summary.clients[0];
    assert_eq!(client.errors.failed, 1);
    assert_eq!(client.mean_sojourn_ms, 210.0);
}

#[test]
fn expired_job_is_not_served() {
    // Requests every 100 ms from 100 ms on, each with a 150 ms deadline, to one worker
    // that takes 500 ms. Request 1 is served from 100 to 600 ms although its caller
    // gave up at 250 ms. At 600 ms requests 2, 3 and 4 have passed their deadlines
    // (350, 450 and 550 ms), so they end unserved. Request 5 (deadline 650 ms) is served.
    let summary = run_for(
        r"
version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 10/s }
    deadline: 150ms
services:
  backend:
    operations:
      get: { service_time: 500ms }
",
        Duration::from_secs(1),
    );
    let backend = &summary.operations[0];
    assert_eq!(backend.arrivals, 9);
    assert_eq!(backend.successes, 1);
    assert_eq!(backend.errors.deadline_exceeded, 3);
    // Busy from 100 ms to the end of the run at 1 s.
    assert_eq!(backend.utilization, 0.9);
    // Request 1's 500 ms of service were for a caller that had given up.
    assert_eq!(backend.wasted_work_s, 0.5);
    // Requests 1 to 8 pass their deadlines by 950 ms.
    assert_eq!(summary.clients[0].errors.deadline_exceeded, 8);
}

#[test]
fn timed_out_request_keeps_server_busy() {
    // One request at 1 s times out at 1.1 s; the backend works on it until 1.3 s.
    let yaml = r"
version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 1/s }
    timeout: 100ms
services:
  backend:
    operations:
      get: { service_time: 300ms }
";
    let mut simulation = start(yaml);
    simulation.run_until(1_200 * MS).expect("runs");
    let client = simulation.layout().clients as usize;
    let operation = simulation.layout().operations as usize;
    let stats = &simulation.metrics().stats;
    assert_eq!(
        stats[client].total.errors[ErrorKind::Timeout as usize],
        1,
        "the request timed out"
    );
    assert_eq!(stats[operation].busy.value(), 1, "the worker is still busy");
    simulation.run_until(2_000 * MS).expect("runs");
    simulation.finish();
    let stats = &simulation.metrics().stats;
    assert_eq!(stats[operation].busy.value(), 0);
    assert_eq!(stats[operation].total.wasted_ns, 300 * MS);
    // The wasted work counts in the window [1 s, 2 s).
    assert_eq!(stats[operation].series[1].counts.wasted_ns, 300 * MS);
    let summary = Summary::new(&simulation, "test");
    assert_eq!(summary.operations[0].wasted_work_s, 0.3);
    assert_eq!(summary.operations[0].wasted_work_share, 1.0);
    assert_eq!(summary.services[0].wasted_work_s, 0.3);
}

/// Checks the mean backoff under `jitter` against `expected_ratio` times the wait.
fn check_jitter(jitter: &str, expected_ratio: f64, spread_ratio: f64) {
    // Every first attempt fails after 1 ms and its retry takes 1 ms, so a request's time
    // is 2 ms plus its backoff. Uniform noise of width `spread_ratio × w` has a standard
    // deviation of that width over √12.
    let yaml = format!(
        r"
version: 1
clients:
  c:
    target: backend.get
    arrivals: {{ constant: 1000/s }}
    retry: {{ attempts: 2, backoff: {{ constant: 100ms }}, jitter: {jitter} }}
services:
  backend:
    workers: 1000
    operations:
      get: {{ service_time: 1ms, error_probability: 1 }}
"
    );
    let summary = run_for(&yaml, Duration::from_secs(10));
    let client = &summary.clients[0];
    let n = client.errors.failed as f64;
    assert!(n > 9_000.0, "about 10000 requests end, found {n}");
    let wait_ms = 100.0;
    let mean_backoff_ms = client.mean_sojourn_ms - 2.0;
    let standard_error = spread_ratio * wait_ms / 12f64.sqrt() / n.sqrt();
    let tolerance = Z_99_9 * standard_error;
    let expected = expected_ratio * wait_ms;
    assert!(
        (mean_backoff_ms - expected).abs() <= tolerance,
        "mean backoff {mean_backoff_ms} ms, expected {expected} ± {tolerance} ms over {n} requests"
    );
}

#[test]
fn full_jitter_mean_is_half() {
    check_jitter("full", 0.5, 1.0);
}

#[test]
fn equal_jitter_mean_is_three_quarters() {
    check_jitter("equal", 0.75, 0.5);
}

#[test]
fn recovery_time_after_outage() {
    // Requests every 10 ms, served in 5 ms. Requests that arrive during the outage,
    // from 10 s to 12 s, are dropped and time out 3 s later, in the windows [13 s, 14 s)
    // and [14 s, 15 s). From 15 s on every window is as healthy as before, so the client
    // recovers 3 s after the fault ends.
    let summary = run_for(
        r"
version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 100/s }
    timeout: 3s
services:
  backend:
    operations:
      get: { service_time: 5ms }
faults:
  - { at: 10s, for: 2s, outage: { service: backend, mode: timeout } }
",
        Duration::from_secs(20),
    );
    let [fault] = &summary.faults[..] else {
        panic!("one fault");
    };
    assert_eq!(fault.start_s, 10.0);
    assert_eq!(fault.end_s, Some(12.0));
    let [client] = &fault.clients[..] else {
        panic!("one client");
    };
    assert_eq!(client.baseline_success_ratio, Some(1.0));
    assert_eq!(client.recovery_s, Some(3.0));
}

#[test]
fn recovery_null_until_end() {
    // The outage lasts until the end of the run, so the client never recovers.
    let summary = run_for(
        r"
version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 100/s }
    timeout: 500ms
services:
  backend:
    operations:
      get: { service_time: 5ms }
faults:
  - { at: 5s, for: 10s, outage: { service: backend } }
",
        Duration::from_secs(10),
    );
    assert_eq!(summary.faults[0].clients[0].recovery_s, None);
}

#[test]
fn no_faults_key_without_faults() {
    let summary = run_for(
        r"
version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 10/s }
services:
  backend:
    operations:
      get: { service_time: 5ms }
",
        Duration::from_secs(2),
    );
    let json = topolab::metrics::report::json(&summary).expect("serializes");
    assert!(!json.contains("\"faults\""), "{json}");
}

fn errors_of(text: &str) -> Vec<String> {
    match scenario::load_str(text, Some(PathBuf::from("shop.yaml"))) {
        Ok(_) => panic!("expected errors, but the text loaded"),
        Err(diagnostics) => diagnostics.iter().map(Diagnostic::to_string).collect(),
    }
}

const BAD_VALUES: &str = r"version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 10/s }
    deadline: 0s
    retry: { attempts: 2, retry_on: [timeout, timout] }
    retry_budget: { budget_percent: 120, min_retry_concurrency: -1 }
  d:
    target: backend.get
    arrivals: { constant: 10/s }
    retry: { attempts: 2, retry_on: [failed, dead_lettered, failed] }
    retry_budget: { budget_percent: -0.5 }
services:
  backend:
    operations:
      get:
        service_time: 5ms
        steps:
          - call: other.get
            deadline: -1s
            retry: { attempts: 2 }
            retry_budget: { budget_percnt: 10 }
          - publish: jobs
            deadline: 1s
  other:
    operations:
      get: { service_time: 5ms }
queues:
  jobs: {}
";

const ALLOWED_KINDS: &str = "Allowed values: \"timeout\", \"rejected\", \"failed\", \"dropped\", \"dead-lettered\", \"circuit-open\", \"bulkhead-full\", \"rate-limited\", \"shed\", \"deadline-exceeded\" or \"expired\"";

#[test]
fn bad_retry_values_are_errors() {
    let expected = [
        "shop.yaml:6:15: error: clients.c.deadline: invalid duration 0: must be greater than zero".to_owned(),
        format!("shop.yaml:7:47: error: clients.c.retry.retry_on[1]: invalid value \"timout\"; did you mean \"timeout\"? {ALLOWED_KINDS}"),
        "shop.yaml:8:37: error: clients.c.retry_budget.budget_percent: invalid budget_percent 120: must be from 0 to 100".to_owned(),
        "shop.yaml:8:65: error: clients.c.retry_budget.min_retry_concurrency: invalid value -1: expected a whole number from 0 to 1000000".to_owned(),
        format!("shop.yaml:12:46: error: clients.d.retry.retry_on[1]: invalid value \"dead_lettered\"; did you mean \"dead-lettered\"? {ALLOWED_KINDS}"),
        "shop.yaml:13:37: error: clients.d.retry_budget.budget_percent: invalid budget_percent -0.5: must be from 0 to 100".to_owned(),
        "shop.yaml:21:23: error: services.backend.operations.get.steps[0].deadline: invalid duration \"-1s\": must not be negative".to_owned(),
        "shop.yaml:23:29: error: services.backend.operations.get.steps[0].retry_budget.budget_percnt: unknown key \"budget_percnt\"; did you mean \"budget_percent\"? Allowed keys here: budget_percent, min_retry_concurrency".to_owned(),
        // A publish has no deadline of its own.
        "shop.yaml:25:13: error: services.backend.operations.get.steps[1].deadline: unknown key \"deadline\". Allowed keys here: publish, timeout, retry".to_owned(),
        "shop.yaml:30:3: warning: queues.jobs: queue \"jobs\" has no consumer, so its messages only accumulate; add \"consumer: { operation: service.operation }\"".to_owned(),
    ];
    let errors = errors_of(BAD_VALUES);
    for (i, message) in expected.iter().enumerate() {
        assert_eq!(errors.get(i), Some(message), "error {i} of {errors:#?}");
    }
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
}

#[test]
fn duplicate_retry_kind_is_error() {
    let errors = errors_of(
        r"version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 10/s }
    retry: { attempts: 2, retry_on: [failed, timeout, failed] }
services:
  backend:
    operations:
      get: { service_time: 5ms }
",
    );
    assert_eq!(
        errors,
        vec![
            "shop.yaml:6:55: error: clients.c.retry.retry_on[2]: \"failed\" is listed twice; list each error kind once"
                .to_owned()
        ]
    );
}

#[test]
fn budget_without_retry_warns() {
    let loaded = scenario::load_str(
        r"version: 1
clients:
  c:
    target: backend.get
    arrivals: { constant: 10/s }
    retry: { attempts: 3, retry_on: [] }
    retry_budget: {}
services:
  backend:
    operations:
      get: { service_time: 5ms }
",
        Some(PathBuf::from("shop.yaml")),
    )
    .expect("warnings only");
    let warnings: Vec<String> = loaded.warnings.iter().map(Diagnostic::to_string).collect();
    assert_eq!(
        warnings,
        vec![
            "shop.yaml:7:19: warning: clients.c.retry_budget: this retry budget has no effect, because the call has no retry policy that retries (more than 1 attempt and a non-empty retry_on); add a retry policy or remove the budget"
                .to_owned()
        ]
    );
}
