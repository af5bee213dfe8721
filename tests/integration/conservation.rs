//! Conservation of requests and messages on every bundled scenario: everything that
//! entered is accounted for exactly once, as a success, a failure of one kind, or still
//! in flight. The in-flight counts come from the engine's live state, not from the
//! counters, so the identities can fail.

use std::path::{Path, PathBuf};

use topolab::engine::run::{RunConfig, run};
use topolab::metrics::summary::Summary;
use topolab::scenario::{Duration, load_file};

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
