//! Changes made while a run goes on: a client's rate and a service's replicas take
//! effect at the current simulated time, without a reset.

use topolab::engine::run::RunConfig;
use topolab::engine::{Model, Simulation};
use topolab::scenario::{Duration, load_str};

const OVERLOADED: &str = r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: { poisson: 1500/s }
services:
  api:
    workers: 1
    operations:
      serve:
        service_time: { exponential: { mean: 1ms } }
";

fn start(yaml: &str) -> Simulation {
    let loaded = load_str(yaml, None).expect("the scenario is valid");
    let config = RunConfig::resolve(
        &loaded.scenario.run,
        Some(Duration::from_secs(60)),
        None,
        Some(3),
        None,
    )
    .expect("valid settings");
    let model = Model::compile(&loaded.scenario).expect("the scenario compiles");
    Simulation::new(model, config.options())
}

fn service_in_flight(simulation: &Simulation) -> i64 {
    let entity = simulation.layout().services as usize;
    simulation.metrics().stats[entity].in_flight.value()
}

#[test]
fn added_replicas_drain_backlog() {
    let mut unchanged = start(OVERLOADED);
    let mut scaled = start(OVERLOADED);
    unchanged.run_until(10_000_000_000).expect("runs");
    scaled.run_until(10_000_000_000).expect("runs");
    let backlog = service_in_flight(&scaled);
    // At ρ = 1.5 the backlog grows by about 500 requests per second.
    assert!(
        backlog > 2_000,
        "expected a backlog at 10 s, found {backlog}"
    );

    scaled.set_replicas(0, 3);
    assert_eq!(scaled.replicas(0), 3);
    unchanged.run_until(30_000_000_000).expect("runs");
    scaled.run_until(30_000_000_000).expect("runs");

    let grown = service_in_flight(&unchanged);
    let drained = service_in_flight(&scaled);
    assert!(
        grown > 8_000,
        "without the change the backlog keeps growing, found {grown}"
    );
    assert!(
        drained < 50,
        "with three replicas at ρ = 0.5 the backlog drains, found {drained}"
    );
}

#[test]
fn removed_replicas_finish_their_work() {
    let mut simulation = start(&OVERLOADED.replace("workers: 1", "workers: 1\n    replicas: 3"));
    simulation.run_until(5_000_000_000).expect("runs");
    simulation.set_replicas(0, 1);
    simulation.run_until(6_000_000_000).expect("runs");
    // The single remaining replica is overloaded again, so the backlog grows, but
    // nothing is lost: every arrival is served, waiting or in service.
    let entity = simulation.layout().operations as usize;
    let stats = &simulation.metrics().stats[entity];
    let in_flight = stats.in_flight.value();
    assert!(
        in_flight > 200,
        "expected a growing backlog on one replica, found {in_flight}"
    );
}

#[test]
fn rate_factor_doubles_arrivals() {
    let mut simulation = start(&OVERLOADED.replace("1500/s", "100/s"));
    simulation.run_until(20_000_000_000).expect("runs");
    simulation.set_client_rate_factor(0, 2.0);
    simulation.run_until(40_000_000_000).expect("runs");
    let series = &simulation.metrics().stats[simulation.layout().clients as usize].series;
    let before: u64 = series[..20].iter().map(|w| w.counts.offered).sum();
    let after: u64 = series[20..40].iter().map(|w| w.counts.offered).sum();
    // Poisson counts over 20 s: about 2000 ± 45 before and 4000 ± 63 after (one
    // standard deviation), so these bounds are more than eight deviations wide.
    assert!(
        (1_600..=2_400).contains(&before),
        "arrivals before the change: {before}"
    );
    assert!(
        (3_400..=4_600).contains(&after),
        "arrivals after the change: {after}"
    );
}

#[test]
fn raised_rate_applies_at_once() {
    // A nearly stopped client is raised back to full rate: the arrival drawn at the low
    // rate, seconds away, must not delay the new ones.
    let mut simulation = start(
        &OVERLOADED
            .replace("1500/s", "800/s")
            .replace("workers: 1", "workers: 4"),
    );
    simulation.run_until(1_000_000_000).expect("runs");
    simulation.set_client_rate_factor(0, 0.0001);
    simulation.run_until(1_100_000_000).expect("runs");
    simulation.set_client_rate_factor(0, 1.0);
    simulation.run_until(2_000_000_000).expect("runs");
    let series = &simulation.metrics().stats[simulation.layout().clients as usize].series;
    let second = series[1].counts.offered;
    // About 720 arrivals fall in [1.1 s, 2 s) at 800/s; a Poisson count of that mean has
    // a standard deviation of about 27, so 600 is more than four deviations below.
    assert!(second > 600, "arrivals in the second window: {second}");
}

#[test]
fn zero_rate_stops_poisson_arrivals() {
    let mut simulation = start(
        &OVERLOADED
            .replace("1500/s", "800/s")
            .replace("workers: 1", "workers: 4"),
    );
    simulation.run_until(1_000_000_000).expect("runs");
    simulation.set_client_rate_factor(0, 0.0);
    simulation.run_until(3_000_000_000).expect("runs");
    let series = &simulation.metrics().stats[simulation.layout().clients as usize].series;
    assert_eq!(series[1].counts.offered, 0);
    assert_eq!(series[2].counts.offered, 0);
}

#[test]
fn tiny_rate_factor_on_evenly_spaced_arrivals_runs_on() {
    let mut simulation = start(&OVERLOADED.replace("poisson: 1500/s", "constant: 500/s"));
    simulation.run_until(1_000_000_000).expect("runs");
    simulation.set_client_rate_factor(0, 1e-300);
    simulation.run_until(2_000_000_000).expect("runs");
    let series = &simulation.metrics().stats[simulation.layout().clients as usize].series;
    assert_eq!(series[1].counts.offered, 0);
}

#[test]
fn utilization_counts_the_replicas_a_run_had() {
    // One replica saturated for 10 s, then three replicas for 10 s: the service is busy
    // 1 + 1 worker-seconds per second at most, against a capacity of 1 then 3 workers.
    let mut simulation = start(OVERLOADED);
    simulation
        .run_until(10_000_000_000)
        .expect("the run goes on");
    assert_eq!(simulation.mean_replicas(0), 1.0);
    simulation.set_replicas(0, 3);
    simulation
        .run_until(20_000_000_000)
        .expect("the run goes on");
    assert_eq!(
        simulation.mean_replicas(0),
        2.0,
        "1 for 10 s, then 3 for 10 s"
    );
    simulation.refresh_metrics();
    let summary = topolab::metrics::summary::Summary::new(&simulation, "live replicas");
    let service = &summary.services[0];
    let busy =
        simulation.metrics().stats[simulation.layout().services as usize].mean_busy(20_000_000_000);
    let expected = busy / 2.0;
    assert!(
        (service.utilization - expected).abs() < 1e-6,
        "utilization {} against busy {busy} over 2 mean workers",
        service.utilization
    );
    // Saturated at first, then 1.5/s of 3 workers' capacity of 3/s: well below 1.
    assert!(service.utilization < 0.9, "{}", service.utilization);
}

#[test]
fn event_budgets_do_not_change_results() {
    let mut whole = start(OVERLOADED);
    whole.run_until(2_000_000_000).expect("the run goes on");
    let mut pieces = start(OVERLOADED);
    let mut calls = 0;
    while !pieces
        .run_until_limited(2_000_000_000, 7)
        .expect("the run goes on")
    {
        calls += 1;
    }
    assert!(calls > 100, "the budget stopped the run {calls} times");
    assert_eq!(pieces.now_ns(), whole.now_ns());
    whole.refresh_metrics();
    pieces.refresh_metrics();
    let summary = |s: &Simulation| {
        topolab::metrics::report::json(&topolab::metrics::summary::Summary::new(s, "budget"))
            .expect("the summary serializes")
    };
    assert_eq!(summary(&pieces), summary(&whole));
}

#[test]
fn windows_record_replicas_they_had() {
    let mut simulation = start(OVERLOADED);
    simulation.run_until(2_250_000_000).expect("runs");
    // A quarter into the third window: one replica for 0.25 s, then four for 0.75 s.
    simulation.set_replicas(0, 4);
    simulation.run_until(4_500_000_000).expect("runs");
    simulation.finish();

    let replicas = simulation.window_replicas(0);
    assert_eq!(
        replicas.len(),
        5,
        "four whole windows and the last half one"
    );
    assert_eq!(replicas[0], 1.0);
    assert_eq!(replicas[1], 1.0);
    assert_eq!(replicas[2], 3.25, "the window of the change");
    assert_eq!(replicas[3], 4.0);
    assert_eq!(replicas[4], 4.0, "the last, half window");
    assert!(simulation.window_replicas(1).is_empty(), "no such service");
}
