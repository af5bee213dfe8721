//! Poisson arrivals under a rate profile: the count in each stretch of the profile
//! against the integral of its rate.

use topolab::engine::run::{self, RunConfig};
use topolab::metrics::summary::Summary;
use topolab::scenario::{Duration, load_str};

use crate::common::{Z_99_9, assert_within};

/// 100/s, a ramp to 1000/s over [10 s, 20 s), 1000/s to 30 s, a step down to 50/s, a
/// one-second peak of 20 000/s at 35 s and 50/s again from 36 s, with 1 s windows.
const PROFILED: &str = r"
version: 1
clients:
  load:
    target: api.serve
    arrivals: { poisson: 100/s }
    profile:
      - { at: 10s, rate: 1000/s, ramp: 10s }
      - { at: 30s, rate: 50/s }
      - { at: 35s, rate: 20000/s }
      - { at: 36s, rate: 50/s }
services:
  api:
    workers: 100000
    operations:
      serve:
        service_time: 1us
";

/// Requests issued by the client in the windows that start in [`from_s`, `to_s`).
fn issued_between(simulation: &topolab::engine::Simulation, from_s: u64, to_s: u64) -> f64 {
    let client = simulation.layout().clients as usize;
    simulation.metrics().stats[client]
        .series
        .iter()
        .filter(|w| (from_s * 1_000_000_000..to_s * 1_000_000_000).contains(&w.start_ns))
        .map(|w| w.counts.offered as f64)
        .sum()
}

#[test]
fn profile_stretches_get_their_rates() {
    let loaded = load_str(PROFILED, None).expect("the scenario is valid");
    let config = RunConfig::resolve(
        &loaded.scenario.run,
        Some(Duration::from_secs(40)),
        None,
        Some(7),
        None,
    )
    .expect("valid settings");
    let simulation = run::run(&loaded.scenario, &config, |_| {}).expect("runs");
    // Each count is Poisson, so its standard deviation is the square root of its mean.
    let stretches = [
        ("before the ramp", 0, 10, 1_000.0),
        ("during the ramp", 10, 20, 5_500.0),
        ("at the top", 20, 30, 10_000.0),
        ("after the step down", 30, 35, 250.0),
        ("during the peak", 35, 36, 20_000.0),
        ("after the peak", 36, 40, 200.0),
    ];
    for (name, from_s, to_s, expected) in stretches {
        let observed = issued_between(&simulation, from_s, to_s);
        assert_within(
            name,
            observed,
            expected,
            Z_99_9 * f64::sqrt(expected),
            &format!("a Poisson count with mean {expected}"),
        );
    }
    let summary = Summary::new(&simulation, "profiled");
    assert_eq!(
        summary.clients[0].issued as f64,
        issued_between(&simulation, 0, 40)
    );
}
