//! Determinism: a scenario and a seed give byte-identical reports, and another seed gives
//! different ones. Each entity draws from a random stream of its own, so a change to one
//! entity leaves the results of the entities it does not interact with unchanged.

use std::path::{Path, PathBuf};

use topolab::engine::run::{RunConfig, run};
use topolab::engine::{Model, Simulation};
use topolab::metrics::report;
use topolab::metrics::summary::{ClientSummary, ServiceSummary, Summary};
use topolab::scenario::{self, Duration, FaultKind, PartitionDirection, PartitionFault, Scenario};

/// The reports of one run, as the command line writes them.
struct Reports {
    summary: Summary,
    summary_json: String,
    timeseries_csv: String,
}

fn load(text: &str) -> Scenario {
    match scenario::load_str(text, None) {
        Ok(loaded) => loaded.scenario,
        Err(diagnostics) => panic!("the scenario is invalid: {diagnostics:#?}"),
    }
}

fn load_path(path: &Path) -> Scenario {
    match scenario::load_file(path) {
        Ok(loaded) => loaded.scenario,
        Err(diagnostics) => panic!("{} is invalid: {diagnostics:#?}", path.display()),
    }
}

/// Runs `scenario` with its own run settings, except for `seed` when given.
fn run_reports(scenario: &Scenario, seed: Option<u64>) -> Reports {
    let config =
        RunConfig::resolve(&scenario.run, None, None, seed, None).expect("valid run settings");
    let simulation: Simulation = run(scenario, &config, |_| {}).expect("the run finishes");
    let summary = Summary::new(&simulation, scenario.name.as_deref().unwrap_or("unnamed"));
    let summary_json = report::json(&summary).expect("the summary serializes");
    let timeseries_csv = report::timeseries_csv(&simulation);
    Reports {
        summary,
        summary_json,
        timeseries_csv,
    }
}

fn bundled_scenarios() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir("scenarios")
        .expect("scenarios is readable")
        .map(|entry| entry.expect("directory entry is readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 4,
        "expected the bundled scenarios, found {paths:?}"
    );
    paths
}

fn client<'a>(summary: &'a Summary, name: &str) -> &'a ClientSummary {
    summary
        .clients
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no client {name} in the summary"))
}

fn operation<'a>(summary: &'a Summary, name: &str) -> &'a ServiceSummary {
    summary
        .operations
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no operation {name} in the summary"))
}

/// Two clients, each calling a service of its own, with nothing between the two pairs.
const INDEPENDENT_PAIRS: &str = "version: 1
name: Two independent pairs
run: { duration: 30s, warmup: 2s }
defaults:
  network_latency: { exponential: { mean: 1ms } }
clients:
  web:
    target: catalog.browse
    arrivals: { poisson: 300/s }
    timeout: 200ms
    retry: { attempts: 2, backoff: { constant: 10ms }, jitter: full }
  batch:
    target: reports.build
    arrivals: { poisson: 40/s }
services:
  catalog:
    replicas: 2
    workers: 2
    load_balancing: random
    operations:
      browse:
        service_time: { lognormal: { mean: 4ms, p99: 20ms } }
        error_probability: 0.01
  reports:
    workers: 2
    operations:
      build:
        service_time: { exponential: { mean: 20ms } }
";

#[test]
fn same_seed_gives_identical_reports() {
    for path in bundled_scenarios() {
        let scenario = load_path(&path);
        let first = run_reports(&scenario, None);
        let second = run_reports(&scenario, None);
        assert!(
            first.summary_json == second.summary_json,
            "{}: summary.json differs between two runs",
            path.display()
        );
        assert!(
            first.timeseries_csv == second.timeseries_csv,
            "{}: timeseries.csv differs between two runs",
            path.display()
        );
        assert!(
            first.summary.events > 0,
            "{}: nothing happened",
            path.display()
        );
    }
}

#[test]
fn other_seed_gives_different_reports() {
    for path in bundled_scenarios() {
        let scenario = load_path(&path);
        let base = run_reports(&scenario, Some(1));
        let other = run_reports(&scenario, Some(2));
        assert_eq!(base.summary.seed, 1);
        assert_eq!(other.summary.seed, 2);
        assert_ne!(
            base.summary.clients,
            other.summary.clients,
            "{}: seeds 1 and 2 give the same client results",
            path.display()
        );
        assert_ne!(
            base.timeseries_csv,
            other.timeseries_csv,
            "{}",
            path.display()
        );
    }
}

#[test]
fn scenario_seed_used_without_override() {
    let with_seed = load(&INDEPENDENT_PAIRS.replace("warmup: 2s }", "warmup: 2s, seed: 9 }"));
    let from_file = run_reports(&with_seed, None);
    let overridden = run_reports(&load(INDEPENDENT_PAIRS), Some(9));
    assert_eq!(from_file.summary.seed, 9);
    assert_eq!(from_file.summary_json, overridden.summary_json);
}

#[test]
fn independent_service_change_leaves_client_unchanged() {
    let base = run_reports(&load(INDEPENDENT_PAIRS), None);
    let slower = INDEPENDENT_PAIRS.replace(
        "{ exponential: { mean: 20ms } }",
        "{ uniform: { min: 5ms, max: 90ms } }",
    );
    assert_ne!(slower, INDEPENDENT_PAIRS);
    let changed = run_reports(&load(&slower), None);

    // The change shows where it applies...
    assert_ne!(
        client(&base.summary, "batch"),
        client(&changed.summary, "batch")
    );
    assert_ne!(
        operation(&base.summary, "reports.build"),
        operation(&changed.summary, "reports.build")
    );
    // ...and nowhere else.
    assert_eq!(
        client(&base.summary, "web"),
        client(&changed.summary, "web")
    );
    assert_eq!(
        operation(&base.summary, "catalog.browse"),
        operation(&changed.summary, "catalog.browse")
    );
}

#[test]
fn independent_client_change_leaves_client_unchanged() {
    let base = run_reports(&load(INDEPENDENT_PAIRS), None);
    let busier = INDEPENDENT_PAIRS.replace("poisson: 40/s", "poisson: 55/s");
    assert_ne!(busier, INDEPENDENT_PAIRS);
    let changed = run_reports(&load(&busier), None);
    assert_ne!(
        client(&base.summary, "batch"),
        client(&changed.summary, "batch")
    );
    assert_eq!(
        client(&base.summary, "web"),
        client(&changed.summary, "web")
    );
}

#[test]
fn added_entities_leave_others_unchanged() {
    let base = run_reports(&load(INDEPENDENT_PAIRS), None);
    let extended = INDEPENDENT_PAIRS.replace(
        "services:\n",
        "  audit:\n    target: ledger.append\n    arrivals: { constant: 25/s }\nservices:\n  ledger:\n    operations:\n      append: { service_time: { normal: { mean: 3ms, stddev: 1ms } } }\n",
    );
    let changed = run_reports(&load(&extended), None);
    assert_eq!(changed.summary.clients.len(), 3);
    for name in ["web", "batch"] {
        assert_eq!(
            client(&base.summary, name),
            client(&changed.summary, name),
            "client {name}"
        );
    }
}

#[test]
fn file_order_leaves_entities_unchanged() {
    let base = run_reports(&load(INDEPENDENT_PAIRS), None);
    // The same clients, listed the other way round.
    let web = "  web:\n    target: catalog.browse\n    arrivals: { poisson: 300/s }\n    timeout: 200ms\n    retry: { attempts: 2, backoff: { constant: 10ms }, jitter: full }\n";
    let batch = "  batch:\n    target: reports.build\n    arrivals: { poisson: 40/s }\n";
    let both = format!("{web}{batch}");
    assert!(INDEPENDENT_PAIRS.contains(&both));
    let reordered = INDEPENDENT_PAIRS.replace(&both, &format!("{batch}{web}"));
    let changed = run_reports(&load(&reordered), None);
    assert_eq!(changed.summary.clients[0].name, "batch");
    for name in ["web", "batch"] {
        assert_eq!(
            client(&base.summary, name),
            client(&changed.summary, name),
            "client {name}"
        );
    }
}

#[test]
fn consumer_change_leaves_upstream_unchanged() {
    // In checkout-async, notifications only consume messages: the orders' publishes are
    // acknowledged by the broker, not by the consumer, and the queue drops its oldest
    // messages when full instead of rejecting publishes. A slower notifications service
    // must therefore leave every entity upstream of the queue unchanged.
    let path = Path::new("scenarios/checkout-async.yaml");
    let text = std::fs::read_to_string(path).expect("the bundled scenario is readable");
    let original = "service_time: { uniform: { min: 20ms, max: 80ms } }";
    assert!(text.contains(original));
    let slower = text.replace(
        original,
        "service_time: { uniform: { min: 30ms, max: 120ms } }",
    );
    let base = run_reports(&load(&text), None);
    let changed = run_reports(&load(&slower), None);

    assert_ne!(
        operation(&base.summary, "notifications.send"),
        operation(&changed.summary, "notifications.send")
    );
    assert_eq!(
        client(&base.summary, "shoppers"),
        client(&changed.summary, "shoppers")
    );
    for name in [
        "gateway.checkout",
        "orders.place",
        "payments.charge",
        "inventory.reserve",
    ] {
        assert_eq!(
            operation(&base.summary, name),
            operation(&changed.summary, name),
            "operation {name}"
        );
    }
}

/// Runs `scenario` like [`run_reports`], with every entity recorded on its own when
/// `mirrors` is false, and with a fault started by hand at half time when `fault` is set.
fn run_recorded(scenario: &Scenario, mirrors: bool, fault: Option<&FaultKind>) -> Reports {
    let config =
        RunConfig::resolve(&scenario.run, None, None, None, None).expect("valid run settings");
    let model = Model::compile(scenario).expect("the scenario compiles");
    let mut simulation = Simulation::new(model, config.options());
    if !mirrors {
        simulation.end_mirrors();
    }
    let horizon = config.duration.as_nanos();
    if let Some(kind) = fault {
        simulation
            .run_until(horizon / 2)
            .expect("the first half runs");
        simulation
            .inject_fault(kind, Duration::from_secs(1))
            .expect("the fault applies");
    }
    simulation.run_until(horizon).expect("the run finishes");
    simulation.finish();
    let summary = Summary::new(&simulation, "mirrors");
    let summary_json = report::json(&summary).expect("the summary serializes");
    let timeseries_csv = report::timeseries_csv(&simulation);
    Reports {
        summary,
        summary_json,
        timeseries_csv,
    }
}

#[test]
fn mirrors_leave_every_report_unchanged() {
    let mut paths = bundled_scenarios();
    let mut accuracy: Vec<PathBuf> = std::fs::read_dir("tests/scenarios/accuracy")
        .expect("the accuracy scenarios are readable")
        .map(|entry| entry.expect("directory entry is readable").path())
        .collect();
    accuracy.sort();
    paths.extend(accuracy);
    for path in paths {
        let scenario = load_path(&path);
        let mirrored = run_recorded(&scenario, true, None);
        let direct = run_recorded(&scenario, false, None);
        assert_eq!(
            mirrored.summary_json,
            direct.summary_json,
            "{}: summary with and without mirrors",
            path.display()
        );
        assert_eq!(
            mirrored.timeseries_csv,
            direct.timeseries_csv,
            "{}: time series with and without mirrors",
            path.display()
        );
    }
}

#[test]
fn manual_fault_ends_mirrors_unchanged_reports() {
    let scenario = load(
        "version: 1
run: { duration: 20s, warmup: 2s }
clients:
  shoppers:
    target: shop.buy
    arrivals: { poisson: 200/s }
services:
  shop:
    workers: 2
    operations:
      buy:
        service_time: { exponential: { mean: 5ms } }
",
    );
    let partition = FaultKind::Partition(PartitionFault {
        between: ["shoppers".to_owned(), "shop".to_owned()],
        direction: PartitionDirection::Both,
    });
    let mirrored = run_recorded(&scenario, true, Some(&partition));
    let direct = run_recorded(&scenario, false, Some(&partition));
    assert_eq!(mirrored.summary_json, direct.summary_json);
    assert_eq!(mirrored.timeseries_csv, direct.timeseries_csv);
    // The partition lost requests on the edge, which the client never saw end.
    let edge = mirrored
        .summary
        .edges
        .iter()
        .find(|edge| edge.name.starts_with("shoppers"))
        .expect("the client's edge is in the summary");
    assert!(edge.lost > 0, "the partition lost no request: {edge:?}");
}
