//! Throughput of the engine on `scenarios/mm1.yaml` and `scenarios/checkout-async.yaml`,
//! against a minimal binary-heap M/M/1 event loop measured in the same run.
//!
//! Run with `cargo bench --bench engine`. Divan reports each benchmark's time per run and
//! events per second. A summary printed afterwards runs the engine and the bare loop in
//! alternation, so that both sides of the ratio see the same machine load. It reports
//! their medians, the requests per second and the ratio of engine to bare loop.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use divan::Bencher;
use divan::counter::ItemsCount;
use rand::SeedableRng;
use rand_distr::{Distribution as _, Exp1};
use rand_pcg::Pcg64Mcg;
use topolab::engine::run::{self, RunConfig};
use topolab::engine::{Model, Simulation};
use topolab::scenario::{self, Duration, Scenario};

const MM1_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mm1.yaml");
const CHECKOUT_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/checkout-async.yaml");

/// Arrival rate of `scenarios/mm1.yaml`, per second.
const MM1_ARRIVALS_PER_S: u64 = 800;
/// Mean gap between arrivals of `scenarios/mm1.yaml`, ns.
const MM1_MEAN_GAP_NS: f64 = 1e9 / MM1_ARRIVALS_PER_S as f64;
/// Mean service time of `scenarios/mm1.yaml`, ns.
const MM1_MEAN_SERVICE_NS: f64 = 1e6;
/// Customers expected in the M/M/1 runs: the horizon is this many mean arrival gaps.
const MM1_CUSTOMERS: u64 = 1_000_000;
/// Horizon of the M/M/1 runs: 1 250 s of simulated time at 800 arrivals/s.
const MM1_DURATION: Duration = Duration::from_secs(MM1_CUSTOMERS / MM1_ARRIVALS_PER_S);
/// Horizon of the checkout runs, the scenario's own `run.duration`.
const CHECKOUT_DURATION: Duration = Duration::from_secs(180);
const SEED: u64 = 1;

/// Divan samples per benchmark, fewer than divan's default of 100 because each sample
/// is one whole run of the simulation.
const SAMPLES: u32 = 15;
/// Rounds of the alternating summary.
const SUMMARY_ROUNDS: usize = 9;

fn main() {
    divan::main();
    // `cargo bench` passes `--bench`. Under `cargo test --benches` it is absent, so
    // divan runs each benchmark once as a test and the timed summary is skipped.
    if std::env::args().any(|arg| arg == "--bench") {
        print_summary();
    }
}

// ---- The engine ----

/// A scenario read and its run settings resolved, ready to run.
struct Prepared {
    scenario: Scenario,
    config: RunConfig,
}

impl Prepared {
    fn load(path: &str, duration: Duration) -> Self {
        let loaded = scenario::load_file(Path::new(path)).unwrap_or_else(|diagnostics| {
            panic!("failed to load {path}: {diagnostics:?}");
        });
        let scenario = loaded.scenario;
        let config = RunConfig::resolve(
            &scenario.run,
            Some(duration),
            Some(Duration::ZERO),
            Some(SEED),
            None,
        )
        .expect("the benchmark's run settings are valid");
        Self { scenario, config }
    }

    /// Compiles and runs the scenario to its horizon.
    fn run(&self) -> Simulation {
        run::run(&self.scenario, &self.config, |_| {}).expect("the scenario runs to its horizon")
    }
}

/// Counts of one engine run, the same on every run because the seed is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunCounts {
    events: u64,
    /// Client requests that ended, successfully or not, before the horizon.
    requests: u64,
    /// Jobs still being served or waiting at the horizon.
    jobs_in_flight: u64,
}

impl RunCounts {
    fn of(simulation: &Simulation) -> Self {
        let layout = simulation.layout();
        let stats = &simulation.metrics().stats;
        let requests = (layout.clients..layout.services)
            .map(|client| stats[client as usize].total.completed)
            .sum();
        Self {
            events: simulation.events_processed(),
            requests,
            jobs_in_flight: simulation.in_flight().1 as u64,
        }
    }
}

#[divan::bench(sample_count = SAMPLES)]
fn mm1_engine(bencher: Bencher) {
    let prepared = Prepared::load(MM1_PATH, MM1_DURATION);
    let counts = RunCounts::of(&prepared.run());
    bencher
        .counter(ItemsCount::new(counts.events))
        .bench_local(|| prepared.run());
}

#[divan::bench(sample_count = SAMPLES)]
fn mm1_bare_loop(bencher: Bencher) {
    let horizon_ns = MM1_DURATION.as_nanos();
    let events = bare_mm1(horizon_ns, SEED).events;
    bencher
        .counter(ItemsCount::new(events))
        .bench_local(|| bare_mm1(black_box(horizon_ns), black_box(SEED)));
}

#[divan::bench(sample_count = SAMPLES)]
fn checkout_async_engine(bencher: Bencher) {
    let prepared = Prepared::load(CHECKOUT_PATH, CHECKOUT_DURATION);
    let counts = RunCounts::of(&prepared.run());
    bencher
        .counter(ItemsCount::new(counts.events))
        .bench_local(|| prepared.run());
}

/// Measures the part of [`run::run`] before the first event: compiling the model and
/// creating the simulation. The engine benchmarks above include it in their timings.
#[divan::bench(args = ["mm1", "checkout-async"])]
fn compile_and_start(bencher: Bencher, name: &str) {
    let path = if name == "mm1" {
        MM1_PATH
    } else {
        CHECKOUT_PATH
    };
    let prepared = Prepared::load(path, CHECKOUT_DURATION);
    let options = prepared.config.options();
    bencher.bench_local(|| {
        let model = Model::compile(&prepared.scenario).expect("the scenario compiles");
        Simulation::new(model, options)
    });
}

// ---- The bare loop ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
}

/// Counts of one run of [`bare_mm1`].
#[derive(Clone, Copy, Debug)]
struct BareCounts {
    events: u64,
    customers_served: u64,
    /// Sum of the sojourn times of the customers served, ns. It is returned so that the
    /// optimizer cannot remove the work.
    sojourn_sum_ns: u64,
}

/// Draws an exponential duration with the given mean, in whole ns.
#[inline]
fn draw_ns(rng: &mut Pcg64Mcg, mean_ns: f64) -> u64 {
    let unit: f64 = Exp1.sample(rng);
    (unit * mean_ns).round() as u64
}

/// Runs a single-server FIFO queue with Poisson arrivals and exponential service times
/// at the rates of `scenarios/mm1.yaml`, processing every event before `horizon_ns`.
fn bare_mm1(horizon_ns: u64, seed: u64) -> BareCounts {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut heap: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    // Arrival times of the customers in the system. The front one is in service.
    let mut in_system: VecDeque<u64> = VecDeque::new();
    let mut sequence = 0u64;
    let mut counts = BareCounts {
        events: 0,
        customers_served: 0,
        sojourn_sum_ns: 0,
    };
    heap.push(Reverse((
        draw_ns(&mut rng, MM1_MEAN_GAP_NS),
        sequence,
        Kind::Arrival,
    )));
    while let Some(Reverse((now, _, kind))) = heap.pop() {
        if now >= horizon_ns {
            break;
        }
        counts.events += 1;
        match kind {
            Kind::Arrival => {
                in_system.push_back(now);
                if in_system.len() == 1 {
                    sequence += 1;
                    let done = now + draw_ns(&mut rng, MM1_MEAN_SERVICE_NS);
                    heap.push(Reverse((done, sequence, Kind::Departure)));
                }
                sequence += 1;
                let next = now + draw_ns(&mut rng, MM1_MEAN_GAP_NS);
                heap.push(Reverse((next, sequence, Kind::Arrival)));
            }
            Kind::Departure => {
                let arrived = in_system
                    .pop_front()
                    .expect("a departure has a customer in service");
                counts.customers_served += 1;
                counts.sojourn_sum_ns += now - arrived;
                if !in_system.is_empty() {
                    sequence += 1;
                    let done = now + draw_ns(&mut rng, MM1_MEAN_SERVICE_NS);
                    heap.push(Reverse((done, sequence, Kind::Departure)));
                }
            }
        }
    }
    counts
}

// ---- The alternating summary ----

fn seconds_of<T>(work: impl FnOnce() -> T) -> f64 {
    let start = Instant::now();
    let output = work();
    let seconds = start.elapsed().as_secs_f64();
    drop(black_box(output));
    seconds
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        f64::midpoint(values[middle - 1], values[middle])
    }
}

fn print_rate_row(name: &str, events: u64, requests: u64, median_s: f64) {
    println!(
        "{name:<24} {median_ms:>9.1} {events_rate:>10.2} {requests_rate:>12.3} {events:>10} {requests:>9} {per_request:>8.2}",
        median_ms = median_s * 1e3,
        events_rate = events as f64 / median_s / 1e6,
        requests_rate = requests as f64 / median_s / 1e6,
        per_request = events as f64 / requests as f64,
    );
}

/// Runs the engine and the bare loop in alternation and prints their medians and ratio.
fn print_summary() {
    let mm1 = Prepared::load(MM1_PATH, MM1_DURATION);
    let checkout = Prepared::load(CHECKOUT_PATH, CHECKOUT_DURATION);
    let horizon_ns = MM1_DURATION.as_nanos();

    let mm1_counts = RunCounts::of(&mm1.run());
    let checkout_counts = RunCounts::of(&checkout.run());
    let bare_counts = bare_mm1(horizon_ns, SEED);
    // With no network latency, each M/M/1 customer costs two events: its arrival and
    // its service completion. Customers still in the system at the horizon have only
    // their arrival counted.
    assert_eq!(
        mm1_counts.events,
        2 * mm1_counts.requests + mm1_counts.jobs_in_flight,
        "the engine's M/M/1 run should take 2 events per customer: {mm1_counts:?}"
    );

    let mut engine_s = Vec::with_capacity(SUMMARY_ROUNDS);
    let mut bare_s = Vec::with_capacity(SUMMARY_ROUNDS);
    let mut checkout_s = Vec::with_capacity(SUMMARY_ROUNDS);
    let mut ratios = Vec::with_capacity(SUMMARY_ROUNDS);
    for _ in 0..SUMMARY_ROUNDS {
        let bare = seconds_of(|| bare_mm1(black_box(horizon_ns), black_box(SEED)));
        let engine = seconds_of(|| mm1.run());
        checkout_s.push(seconds_of(|| checkout.run()));
        // Events per second of the engine over that of the bare loop, in this round.
        ratios.push((mm1_counts.events as f64 / engine) / (bare_counts.events as f64 / bare));
        engine_s.push(engine);
        bare_s.push(bare);
    }

    println!();
    println!(
        "Summary: medians of {SUMMARY_ROUNDS} rounds, each running the bare loop, the engine on M/M/1 and the engine on checkout-async once"
    );
    println!(
        "{:<24} {:>9} {:>10} {:>12} {:>10} {:>9} {:>8}",
        "run", "time (ms)", "Mevents/s", "Mrequests/s", "events", "requests", "ev/req"
    );
    let bare_median = median(&mut bare_s);
    let engine_median = median(&mut engine_s);
    print_rate_row(
        "mm1 bare loop",
        bare_counts.events,
        bare_counts.customers_served,
        bare_median,
    );
    print_rate_row(
        "mm1 engine",
        mm1_counts.events,
        mm1_counts.requests,
        engine_median,
    );
    print_rate_row(
        "checkout-async engine",
        checkout_counts.events,
        checkout_counts.requests,
        median(&mut checkout_s),
    );
    let ratio_of_medians =
        (mm1_counts.events as f64 / engine_median) / (bare_counts.events as f64 / bare_median);
    println!(
        "mm1 engine / bare loop, events per second: {:.3} (median of per-round ratios), {ratio_of_medians:.3} (ratio of medians)",
        median(&mut ratios)
    );
    println!(
        "mm1 events per customer: engine {} events for {} requests and {} in service or waiting at the horizon; bare loop {} events for {} customers",
        mm1_counts.events,
        mm1_counts.requests,
        mm1_counts.jobs_in_flight,
        bare_counts.events,
        bare_counts.customers_served
    );
}
