//! Accuracy of simulated steady-state results against queueing theory.
//!
//! Every check runs independent replications of one scenario from
//! `tests/scenarios/accuracy/`: the same model with 20 consecutive seeds. Each
//! replication starts empty, discards a warm-up and measures the requests that
//! arrived after it. The replication estimates are independent and identically
//! distributed, and each is an average over hundreds of thousands of requests, so
//! close to normal. A two-sided Student t interval at 99.9 % with
//! `replications - 1` degrees of freedom is therefore exact up to that normal
//! approximation, however strongly the requests within one replication are
//! correlated. Each assert fails a correct engine with probability 0.001, and the
//! runs are seeded, so an assert that passes keeps passing until the engine or
//! the seeds change.
//!
//! Two biases are smaller than the intervals by orders of magnitude, so no check
//! corrects for them:
//! - Initial transient. The M/M/1 relaxation time `1/(mu (1 - sqrt(rho))^2)` is
//!   90 ms at rho = 0.8 and 144 ms for the last tandem station, the slowest here
//!   by this estimate. The 2 s warm-up is at least 13 relaxation times, after
//!   which the bias of the empty start has decayed by a factor of about
//!   e^-13 ≈ 2e-6.
//! - End of the run. A request still in the system at the horizon is not
//!   counted, and those tend to be the requests with long sojourn times. About
//!   L = λW of them (4 for M/M/1) are left out of λT = 640 000 per replication,
//!   which shifts a mean by a relative amount of the order of `L / (λ T)` ≈ 6e-6.
//!
//! The default runs took 16 s of wall-clock time (30 s of CPU time) in
//! `cargo test` on a 2-core machine. The long runs, ten times longer per
//! replication with fresh seeds and so with intervals about three times
//! narrower, took about 5 minutes of CPU time there. Run them with
//! `cargo test --test integration accuracy -- --ignored`.

use crate::common::{CONFIDENCE_99_9, assert_within, batch_means, theory};
use topolab::engine::Simulation;
use topolab::engine::run::{RunConfig, run};
use topolab::metrics::recorder::{ErrorKind, Stats};
use topolab::scenario::{Duration, load_str};

const MM1: &str = include_str!("../scenarios/accuracy/mm1.yaml");
const MMC: &str = include_str!("../scenarios/accuracy/mmc.yaml");
const MD1: &str = include_str!("../scenarios/accuracy/md1.yaml");
const MM1K: &str = include_str!("../scenarios/accuracy/mm1k.yaml");
const TANDEM: &str = include_str!("../scenarios/accuracy/tandem.yaml");

/// Number of independent replications, the length of each and their seeds.
struct Design {
    replications: u64,
    warmup: Duration,
    measured: Duration,
    /// Added to every seed, so that the long runs do not repeat the default ones.
    seed_offset: u64,
}

impl Design {
    fn describe(&self) -> String {
        format!(
            "two-sided 99.9 % Student t interval over {} independent replications of {} after a {} warm-up",
            self.replications, self.measured, self.warmup
        )
    }
}

/// The design of the default test run.
const DEFAULT: Design = Design {
    replications: 20,
    warmup: Duration::from_secs(2),
    measured: Duration::from_secs(800),
    seed_offset: 0,
};

/// The design of the ignored long runs.
const LONG: Design = Design {
    replications: 20,
    warmup: Duration::from_secs(2),
    measured: Duration::from_secs(8000),
    seed_offset: 10_000,
};

/// Width of the time-series windows, which no check reads. A wide window keeps
/// the series short.
const WINDOW: Duration = Duration::from_secs(10);

/// Runs `yaml` once with `seed`, with the warm-up and measured length of `design`.
fn simulate(yaml: &str, design: &Design, seed: u64) -> Simulation {
    let loaded = load_str(yaml, None).expect("the accuracy scenario is valid");
    let duration = Duration::from_nanos(design.warmup.as_nanos() + design.measured.as_nanos());
    let config = RunConfig::resolve(
        &loaded.scenario.run,
        Some(duration),
        Some(design.warmup),
        Some(seed),
        Some(WINDOW),
    )
    .expect("the run settings are consistent");
    run(&loaded.scenario, &config, |_| {}).expect("the run finishes")
}

/// Runs every replication of `design` and returns `statistic` of each.
///
/// Every entity draws from a random stream derived from the seed and its name, and
/// the accuracy scenarios share names such as `server.serve`. Each scenario
/// therefore has its own block of seeds starting at `first_seed`, so that the
/// checks of different scenarios draw different numbers and fail independently.
fn replicate<T>(
    yaml: &str,
    design: &Design,
    first_seed: u64,
    statistic: impl Fn(&Simulation) -> T,
) -> Vec<T> {
    let first = design.seed_offset + first_seed;
    (first..first + design.replications)
        .map(|seed| statistic(&simulate(yaml, design, seed)))
        .collect()
}

/// Asserts that the mean of the replication estimates `values` is within the
/// 99.9 % Student t half-width of `expected`.
#[track_caller]
fn assert_replications_within(name: &str, values: &[f64], expected: f64, design: &Design) {
    // With one replication per batch, batch means is the plain i.i.d. estimate:
    // the sample standard deviation of the replications over sqrt(replications).
    let estimate = batch_means(values, values.len());
    let half_width = estimate.student_t_half_width(CONFIDENCE_99_9);
    eprintln!(
        "{name}: observed {:.6e}, expected {expected:.6e}, half-width {half_width:.3e}",
        estimate.mean
    );
    assert_within(
        name,
        estimate.mean,
        expected,
        half_width,
        &design.describe(),
    );
}

fn service_stats<'a>(simulation: &'a Simulation, name: &str) -> &'a Stats {
    let index = simulation
        .model()
        .services
        .iter()
        .position(|service| service.name == name)
        .expect("the scenario has this service");
    &simulation.metrics().stats[simulation.layout().services as usize + index]
}

fn queue_stats<'a>(simulation: &'a Simulation, name: &str) -> &'a Stats {
    let index = simulation
        .model()
        .queues
        .iter()
        .position(|queue| queue.name == name)
        .expect("the scenario has this queue");
    &simulation.metrics().stats[simulation.layout().queues as usize + index]
}

/// Returns the mean time from arrival to end, in seconds, of the measured requests
/// or messages that ended, after checking that none of them failed.
fn mean_sojourn_without_failures(stats: &Stats) -> f64 {
    let total = &stats.total;
    assert!(total.completed > 0, "no measured request ended");
    assert_eq!(
        total.failures(),
        0,
        "requests failed at a station with an unbounded queue and no error probability"
    );
    total.sojourn_sum_ns as f64 / total.completed as f64 / 1e9
}

// M/M/1: λ = 800/s, μ = 1000/s.

const MM1_ARRIVAL_RATE: f64 = 800.0;
const MM1_SERVICE_RATE: f64 = 1000.0;

/// Returns the mean sojourn time in seconds and the difference between the
/// empirical and the theoretical sojourn-time distribution functions near the
/// theoretical 95th percentile q95.
///
/// The latency histogram keeps 3 significant digits, so a value near q95 ≈ 15 ms
/// shares its bucket with values up to 8 µs away. Counting the values up to a
/// bucket's upper edge is exact, so both distribution functions are evaluated at
/// the upper edge of the bucket that contains q95 instead of at q95 itself, which
/// leaves no resolution error. The engine rounds every drawn time to whole
/// nanoseconds, which shifts a sojourn time by a few nanoseconds and the
/// distribution function by about the density (10/s) times that, of the order
/// of 1e-8.
fn mm1_statistics(simulation: &Simulation) -> (f64, f64) {
    let stats = service_stats(simulation, "server");
    let mean = mean_sojourn_without_failures(stats);

    let p95 = theory::mm1_sojourn_quantile(MM1_ARRIVAL_RATE, MM1_SERVICE_RATE, 0.95);
    let histogram = stats.latency();
    let edge_ns = histogram.highest_equivalent((p95 * 1e9).round() as u64);
    let observed = histogram.count_between(0, edge_ns) as f64 / histogram.len() as f64;
    // F(t) = 1 - e^{-(μ - λ) t}, written with exp_m1 for accuracy.
    let decay_rate = MM1_SERVICE_RATE - MM1_ARRIVAL_RATE;
    let expected = -(-decay_rate * edge_ns as f64 / 1e9).exp_m1();
    (mean, observed - expected)
}

fn check_mm1(design: &Design) {
    let statistics = replicate(MM1, design, 1, mm1_statistics);

    let means: Vec<f64> = statistics.iter().map(|&(mean, _)| mean).collect();
    let expected = theory::mm1_mean_sojourn(MM1_ARRIVAL_RATE, MM1_SERVICE_RATE);
    assert_replications_within("M/M/1 mean sojourn time, s", &means, expected, design);

    let differences: Vec<f64> = statistics
        .iter()
        .map(|&(_, difference)| difference)
        .collect();
    assert_replications_within(
        "M/M/1 empirical minus theoretical sojourn-time CDF at the histogram bucket edge above q95",
        &differences,
        0.0,
        design,
    );
}

// M/M/c: c = 4, λ = 3200/s, μ = 1000/s.

fn check_mmc(design: &Design) {
    let service_rate = 1000.0;
    // The mean sojourn time minus the mean service time 1/μ. The service times drawn
    // in a replication average to 1/μ only approximately, and that deviation is part
    // of the spread between replications, so the interval accounts for it.
    let waits = replicate(MMC, design, 101, |simulation| {
        mean_sojourn_without_failures(service_stats(simulation, "server")) - 1.0 / service_rate
    });
    let expected = theory::mmc_mean_wait(3200.0, service_rate, 4);
    assert_replications_within("M/M/4 mean wait in queue, s", &waits, expected, design);
}

// M/D/1: λ = 800/s, D = 1 ms.

fn check_md1(design: &Design) {
    let service_time = 1e-3;
    // The service time is constant, so each request waited exactly its sojourn
    // time minus D.
    let waits = replicate(MD1, design, 201, |simulation| {
        mean_sojourn_without_failures(service_stats(simulation, "server")) - service_time
    });
    let expected = theory::md1_mean_wait(800.0, service_time);
    assert_replications_within("M/D/1 mean wait in queue, s", &waits, expected, design);
}

// M/M/1/K: λ = 900/s, μ = 1000/s, K = 5, which is 1 worker plus queue_capacity 4.

const MM1K_ARRIVAL_RATE: f64 = 900.0;
const MM1K_SERVICE_RATE: f64 = 1000.0;
const MM1K_CAPACITY: u32 = 5;

/// Returns the fraction of the measured arrivals at the service that it rejected,
/// and the mean sojourn time of the admitted ones in seconds.
fn mm1k_statistics(simulation: &Simulation) -> (f64, f64) {
    let total = &service_stats(simulation, "server").total;
    assert_eq!(
        total.failures(),
        total.errors[ErrorKind::Rejected as usize],
        "the service failed requests other than by rejecting them"
    );
    let blocking = total.errors[ErrorKind::Rejected as usize] as f64 / total.offered as f64;
    // Every admitted request ends successfully, so the mean over successes is the
    // mean over admitted requests.
    let admitted_sojourn = total.success_sum_ns as f64 / total.successes as f64 / 1e9;
    (blocking, admitted_sojourn)
}

fn check_mm1k(design: &Design) {
    let statistics = replicate(MM1K, design, 301, mm1k_statistics);

    let blocking: Vec<f64> = statistics.iter().map(|&(fraction, _)| fraction).collect();
    let expected =
        theory::mm1k_blocking_probability(MM1K_ARRIVAL_RATE, MM1K_SERVICE_RATE, MM1K_CAPACITY);
    assert_replications_within("M/M/1/5 blocking probability", &blocking, expected, design);

    let sojourns: Vec<f64> = statistics.iter().map(|&(_, mean)| mean).collect();
    let expected = theory::mm1k_mean_sojourn(MM1K_ARRIVAL_RATE, MM1K_SERVICE_RATE, MM1K_CAPACITY);
    assert_replications_within(
        "M/M/1/5 mean sojourn time of admitted requests, s",
        &sojourns,
        expected,
        design,
    );
}

// Tandem: λ = 500/s through stations with μ = 1000/s, 800/s and 625/s.

const TANDEM_ARRIVAL_RATE: f64 = 500.0;
const TANDEM_SERVICE_RATES: [f64; 3] = [1000.0, 800.0, 625.0];
const TANDEM_STATIONS: [&str; 3] = ["a", "to-b", "to-c"];

/// Returns the measured mean sojourn time of each tandem station, in seconds.
///
/// Station `a` is measured at the service, from a request's arrival to the end of
/// its operation. The publish step at its end is acknowledged at once, because the
/// network latency is 0, so the operation ends with its service time. Stations `b`
/// and `c` are measured at their queues, from the publish to the consumer's
/// acknowledgement, which is the wait in the queue plus the service time.
fn tandem_station_means(simulation: &Simulation) -> [f64; 3] {
    [
        mean_sojourn_without_failures(service_stats(simulation, "a")),
        mean_sojourn_without_failures(queue_stats(simulation, "to-b")),
        mean_sojourn_without_failures(queue_stats(simulation, "to-c")),
    ]
}

/// Checks the end-to-end mean sojourn time, then each station's.
///
/// The engine measures no time from the client's request to the end of the last
/// station, so the end-to-end check compares the sum of the three station means,
/// which by linearity of expectation estimates the mean end-to-end sojourn time.
fn check_tandem(design: &Design) {
    let stations = replicate(TANDEM, design, 401, tandem_station_means);

    let end_to_end: Vec<f64> = stations.iter().map(|means| means.iter().sum()).collect();
    let expected = theory::tandem_mm1_mean_sojourn(TANDEM_ARRIVAL_RATE, &TANDEM_SERVICE_RATES);
    assert_replications_within(
        "tandem end-to-end mean sojourn time, s",
        &end_to_end,
        expected,
        design,
    );

    for (index, (name, service_rate)) in
        TANDEM_STATIONS.iter().zip(TANDEM_SERVICE_RATES).enumerate()
    {
        let station: Vec<f64> = stations.iter().map(|means| means[index]).collect();
        let expected = theory::mm1_mean_sojourn(TANDEM_ARRIVAL_RATE, service_rate);
        assert_replications_within(
            &format!("tandem station {name} mean sojourn time, s"),
            &station,
            expected,
            design,
        );
    }
}

#[test]
fn mm1_sojourn_matches_theory() {
    check_mm1(&DEFAULT);
}

#[test]
fn mmc_wait_matches_erlang_c() {
    check_mmc(&DEFAULT);
}

#[test]
fn md1_wait_matches_pollaczek_khinchine() {
    check_md1(&DEFAULT);
}

#[test]
fn mm1k_blocking_matches_theory() {
    check_mm1k(&DEFAULT);
}

#[test]
fn tandem_sojourn_is_sum_of_stations() {
    check_tandem(&DEFAULT);
}

// The long runs: ten times longer replications, with fresh seeds.

#[test]
#[ignore = "runs for minutes; run with `cargo test --test integration accuracy -- --ignored`"]
fn mm1_long_runs_match_theory() {
    check_mm1(&LONG);
}

#[test]
#[ignore = "runs for minutes; run with `cargo test --test integration accuracy -- --ignored`"]
fn mmc_long_runs_match_theory() {
    check_mmc(&LONG);
}

#[test]
#[ignore = "runs for minutes; run with `cargo test --test integration accuracy -- --ignored`"]
fn md1_long_runs_match_theory() {
    check_md1(&LONG);
}

#[test]
#[ignore = "runs for minutes; run with `cargo test --test integration accuracy -- --ignored`"]
fn mm1k_long_runs_match_theory() {
    check_mm1k(&LONG);
}

#[test]
#[ignore = "runs for minutes; run with `cargo test --test integration accuracy -- --ignored`"]
fn tandem_long_runs_match_theory() {
    check_tandem(&LONG);
}
