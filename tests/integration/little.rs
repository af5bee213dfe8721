//! Little's law, `L = λW`, for every client, service, operation and consumed
//! queue of every bundled scenario in `scenarios/` and every accuracy scenario in
//! `tests/scenarios/accuracy/`.
//!
//! Over the measured interval `[w, T)`, the time integral of the number in the
//! system, `L (T - w)`, is the sum over all requests of the time each spent in the
//! system within the interval. The engine counts a request whose arrival is at or
//! after `w` and that ends before `T`, so `λW (T - w)` is the sum of the sojourn
//! times of those requests only. The two differ by two boundary terms, both
//! non-negative:
//! - `A`, the time that requests which arrived before `w` spent in the system after `w`;
//! - `B`, the time that measured requests still in the system at `T` spent there
//!   before `T`.
//!
//! The test measures `A` exactly, by stepping through the events after `w` until
//! every request that arrived before `w` has ended. It then removes `B`: at `T`
//! it stops every open client and runs until the system is empty, so that every
//! measured request ends. After this drain, `L (T_end - w) = A + λW (T_end - w)`
//! is exact, and only the floating-point rounding of the engine's time integral
//! is allowed. The values at `T`, before the drain, which the summary reports,
//! satisfy `0 <= L (T - w) - A - λW (T - w) = B`, and `B` is at most the sojourn
//! time that the drain added, because a request in the system at `T` has spent
//! at most its whole sojourn time there before `T`.
//!
//! A queue's in-flight gauge counts waiting messages only, and its busy gauge
//! the messages being handled, so for a queue `L` is the sum of both and `W` runs
//! from the publish to the acknowledgement. Queues without a consumer keep their
//! messages forever and have no sojourn time, so they are skipped.
//!
//! NOTE: closed clients keep sending after the drain starts, so a scenario with a
//! closed client never drains and fails this test.

use std::path::{Path, PathBuf};

use topolab::engine::run::RunConfig;
use topolab::engine::{Model, Simulation};
use topolab::metrics::recorder::{Recorder, Stats};
use topolab::scenario::load_file;

/// Simulated time the drain may take after the horizon, ns, so that a scenario that
/// never empties fails instead of running forever. The scenarios here empty within
/// 10 s of simulated time, because their requests time out within a few seconds.
const MAX_DRAIN_NS: u64 = 600_000_000_000;

/// An entity whose requests or messages Little's law is checked on.
struct Tracked {
    name: String,
    entity: usize,
    /// Whether the entity is a queue, whose number in system is waiting plus handled.
    queue: bool,
    /// Entities whose arrival and end counters, summed, count the entity's measured
    /// requests: its operations for a service, else the entity itself.
    ///
    /// The engine may update a service's counters only when a window closes or the
    /// run finishes, as the sums of its operations' counters, which are current after
    /// every event.
    counted_by: Vec<usize>,
}

impl Tracked {
    /// Returns the number of requests or messages in the system now. The level is read
    /// through the recorder, which the engine may keep on another entity that changes
    /// with this one.
    fn in_system(&self, metrics: &Recorder) -> i64 {
        let level = metrics.in_flight_of(self.entity).value();
        if self.queue {
            level + metrics.stats[self.entity].busy.value()
        } else {
            level
        }
    }

    /// Returns the number of measured requests or messages in the system now: those
    /// that arrived at or after the warm-up and have not ended.
    fn measured_in_system(&self, stats: &[Stats]) -> i64 {
        self.counted_by
            .iter()
            .map(|&entity| {
                let total = &stats[entity].total;
                let offered = i64::try_from(total.offered).expect("the count fits in i64");
                let completed = i64::try_from(total.completed).expect("the count fits in i64");
                offered - completed
            })
            .sum()
    }

    /// Returns the time integral of the number in the system over `measured_ns`, in
    /// request-nanoseconds.
    fn integral(&self, stats: &Stats, measured_ns: u64) -> f64 {
        let waiting_or_in_flight = stats.mean_in_flight(measured_ns) * measured_ns as f64;
        if self.queue {
            waiting_or_in_flight + stats.mean_busy(measured_ns) * measured_ns as f64
        } else {
            waiting_or_in_flight
        }
    }
}

fn tracked_entities(simulation: &Simulation) -> Vec<Tracked> {
    let model = simulation.model();
    let layout = simulation.layout();
    let mut tracked = Vec::new();
    let mut add = |kind: &str, name: &str, entity: u32, queue: bool, counted_by: Vec<usize>| {
        tracked.push(Tracked {
            name: format!("{kind} {name}"),
            entity: entity as usize,
            queue,
            counted_by,
        });
    };
    for (i, client) in model.clients.iter().enumerate() {
        let entity = layout.clients + i as u32;
        add("client", &client.name, entity, false, vec![entity as usize]);
    }
    for (i, service) in model.services.iter().enumerate() {
        let operations = (0..model.operations.len())
            .filter(|&operation| model.operations[operation].service as usize == i)
            .map(|operation| layout.operations as usize + operation)
            .collect();
        add(
            "service",
            &service.name,
            layout.services + i as u32,
            false,
            operations,
        );
    }
    for (i, operation) in model.operations.iter().enumerate() {
        let entity = layout.operations + i as u32;
        add(
            "operation",
            &operation.name,
            entity,
            false,
            vec![entity as usize],
        );
    }
    for (i, queue) in model.queues.iter().enumerate() {
        if queue.consumer.is_some() {
            let entity = layout.queues + i as u32;
            add("queue", &queue.name, entity, true, vec![entity as usize]);
        }
    }
    tracked
}

/// Returns a bound on the rounding error of an engine time integral of `magnitude`
/// request-nanoseconds, compared with integer sums.
///
/// A gauge adds `level × Δt` to an f64 at most once per distinct event time, per
/// window end and per finish, and each term is a whole number, exact in f64. The
/// error of recursive summation of `n` non-negative terms is at most `(n - 1) u`
/// times their sum, with the unit roundoff `u = ε/2`. Dividing by the measured
/// time, multiplying back and converting the integer sums to f64 round a few more
/// times, by `u` each. The bound `(n + 4) ε` times the magnitude covers all of
/// them, and also the sum of a queue's two gauges, whose errors add up to at most
/// the same relative bound. With a few million events it is a relative 1e-9.
fn rounding_bound(simulation: &Simulation, stats: &Stats, magnitude: f64) -> f64 {
    let additions = simulation.events_processed() + stats.series.len() as u64 + 2;
    (additions as f64 + 4.0) * f64::EPSILON * magnitude
}

/// Steps from the warm-up until no request that arrived before it is in the system
/// and returns `A` for each tracked entity, in request-nanoseconds.
fn pre_warmup_residence(
    simulation: &mut Simulation,
    tracked: &[Tracked],
    horizon_ns: u64,
    file: &Path,
) -> Vec<u128> {
    let warmup_ns = simulation.options().warmup_ns;
    let pre_warmup_in_system = |simulation: &Simulation| -> Vec<i64> {
        tracked
            .iter()
            .map(|item| {
                let metrics = simulation.metrics();
                item.in_system(metrics) - item.measured_in_system(&metrics.stats)
            })
            .collect()
    };

    let mut residence = vec![0_u128; tracked.len()];
    let mut in_system = pre_warmup_in_system(simulation);
    let mut last_ns = warmup_ns;
    while in_system.iter().any(|&count| count != 0) {
        assert!(
            in_system.iter().all(|&count| count >= 0),
            "{}: more requests from before the warm-up ended than were in the system: \
             {in_system:?}",
            file.display()
        );
        let time_ns = simulation.step().unwrap_or_else(|| {
            panic!(
                "{}: no event left while requests from before the warm-up are in the system",
                file.display()
            )
        });
        assert!(
            time_ns < horizon_ns,
            "{}: requests that arrived before the warm-up are still in the system at the \
             horizon, so the test cannot measure their residence",
            file.display()
        );
        let elapsed = u128::from(time_ns - last_ns);
        for (total, &count) in residence.iter_mut().zip(&in_system) {
            *total += u128::from(count.unsigned_abs()) * elapsed;
        }
        last_ns = time_ns;
        in_system = pre_warmup_in_system(simulation);
    }
    residence
}

/// Snapshot of one tracked entity at some end of the run.
struct Accounting {
    /// Time integral of the number in the system over the measured run.
    integral: f64,
    /// Sum of the sojourn times of the measured requests that ended, ns.
    sojourn_sum_ns: u128,
}

fn accounting(simulation: &Simulation, tracked: &[Tracked]) -> Vec<Accounting> {
    let measured_ns = simulation.now_ns() - simulation.options().warmup_ns;
    tracked
        .iter()
        .map(|item| {
            let stats = &simulation.metrics().stats[item.entity];
            Accounting {
                integral: item.integral(stats, measured_ns),
                sojourn_sum_ns: stats.total.sojourn_sum_ns,
            }
        })
        .collect()
}

fn check_littles_law(file: &Path) {
    let loaded = load_file(file).unwrap_or_else(|diagnostics| {
        panic!(
            "{} is not a valid scenario: {diagnostics:?}",
            file.display()
        )
    });
    let config = RunConfig::resolve(&loaded.scenario.run, None, None, None, None)
        .expect("the scenario's run settings are consistent");
    let model = Model::compile(&loaded.scenario).expect("a valid scenario compiles");
    let mut simulation = Simulation::new(model, config.options());
    let tracked = tracked_entities(&simulation);
    let horizon_ns = config.duration.as_nanos();

    simulation
        .run_until(config.warmup.as_nanos())
        .expect("the warm-up runs");
    let residence = pre_warmup_residence(&mut simulation, &tracked, horizon_ns, file);
    simulation.run_until(horizon_ns).expect("the run finishes");
    simulation.finish();
    let at_horizon = accounting(&simulation, &tracked);

    for client in 0..simulation.model().clients.len() {
        simulation.set_client_rate_factor(client, 0.0);
    }
    while let Some(time_ns) = simulation.step() {
        if time_ns > horizon_ns + MAX_DRAIN_NS {
            break;
        }
    }
    simulation.finish();
    eprintln!(
        "{}: drained {:.3} s of simulated time after the horizon",
        file.display(),
        (simulation.now_ns() - horizon_ns) as f64 / 1e9
    );
    let drained = accounting(&simulation, &tracked);

    for (index, item) in tracked.iter().enumerate() {
        let stats = &simulation.metrics().stats[item.entity];
        let label = format!("{}: {}", file.display(), item.name);
        assert_eq!(
            item.in_system(simulation.metrics()),
            0,
            "{label}: requests are still in the system after draining for {} s",
            MAX_DRAIN_NS / 1_000_000_000
        );

        let before_warmup = residence[index] as f64;
        let drained_sojourn = drained[index].sojourn_sum_ns as f64;
        let expected = before_warmup + drained_sojourn;
        let tolerance = rounding_bound(&simulation, stats, drained[index].integral.max(expected));
        eprintln!(
            "{label}: L T = {:.6e} request-ns, A = {before_warmup:.3e}, λW T = {drained_sojourn:.6e}",
            drained[index].integral
        );
        assert!(
            (drained[index].integral - expected).abs() <= tolerance,
            "{label}: after the drain, the integral of the number in the system is {} \
             request-ns, but the pre-warm-up residence {before_warmup} plus the sojourn \
             times {drained_sojourn} is {expected}; the allowed rounding error is {tolerance}",
            drained[index].integral
        );

        // B at the horizon: time in the system before T of measured requests that had
        // not ended by T.
        let horizon = &at_horizon[index];
        let horizon_sojourn = horizon.sojourn_sum_ns as f64;
        let unfinished = horizon.integral - before_warmup - horizon_sojourn;
        let drain_sojourn = drained_sojourn - horizon_sojourn;
        let tolerance = rounding_bound(&simulation, stats, horizon.integral);
        assert!(
            unfinished >= -tolerance,
            "{label}: at the horizon, the integral of the number in the system {} \
             request-ns is below the pre-warm-up residence {before_warmup} plus the \
             sojourn times {horizon_sojourn} by {}, more than the rounding error {tolerance}",
            horizon.integral,
            -unfinished
        );
        assert!(
            unfinished <= drain_sojourn + tolerance,
            "{label}: at the horizon, the time {unfinished} request-ns that unfinished \
             requests spent in the system exceeds the sojourn time {drain_sojourn} that \
             the drain added, by more than the rounding error {tolerance}"
        );
    }
}

fn yaml_files(directory: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", directory.display()))
        .map(|entry| entry.expect("the directory entry is readable").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "{} contains no scenario",
        directory.display()
    );
    files
}

#[test]
fn bundled_scenarios_obey_littles_law() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for file in yaml_files(&directory) {
        check_littles_law(&file);
    }
}

#[test]
fn accuracy_scenarios_obey_littles_law() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/accuracy");
    for file in yaml_files(&directory) {
        check_littles_law(&file);
    }
}
