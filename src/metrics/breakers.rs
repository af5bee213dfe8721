//! Reports of circuit breakers: the `circuit_breaker` entry of an edge in
//! `summary.json`, and `breakers.csv`, the state of each breaker per window.

use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::Simulation;
use crate::engine::sim::breaker::BreakerState;

/// The circuit breakers of the call sites on one edge, summed over the sites and the
/// calling replicas.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BreakerSummary {
    /// Breakers: call sites on the edge with a breaker, times the replicas of the caller.
    pub breakers: u64,
    /// Transitions to the open state in the measured run.
    pub transitions_to_open: u64,
    /// Attempts rejected by an open or half-open breaker, never sent.
    pub calls_not_permitted: u64,
    /// Time spent open, summed over the breakers, in seconds.
    pub open_s: f64,
    /// Time spent half-open, summed over the breakers, in seconds.
    pub half_open_s: f64,
    /// Breakers open at the end of the run.
    pub open_at_end: u64,
    /// Breakers half-open at the end of the run.
    pub half_open_at_end: u64,
}

impl BreakerSummary {
    /// Sums the breakers on `edge`, or returns `None` when the edge has none.
    #[must_use]
    pub fn of_edge(simulation: &Simulation, edge: u32) -> Option<Self> {
        let model = simulation.model();
        let now = simulation.now_ns();
        let warmup = simulation.options().warmup_ns;
        let mut summary: Option<Self> = None;
        let mut open_ns = 0u64;
        let mut half_open_ns = 0u64;
        for (site, breaker_model) in model.breakers.iter().enumerate() {
            if breaker_model.edge != edge {
                continue;
            }
            let totals = summary.get_or_insert_with(Self::default);
            for breaker in simulation.site_breakers(site) {
                let stats = breaker.stats_at(now, warmup);
                totals.breakers += 1;
                totals.transitions_to_open += stats.transitions_to_open;
                totals.calls_not_permitted += stats.calls_not_permitted;
                open_ns += stats.open_ns;
                half_open_ns += stats.half_open_ns;
                match breaker.state() {
                    BreakerState::Open => totals.open_at_end += 1,
                    BreakerState::HalfOpen => totals.half_open_at_end += 1,
                    BreakerState::Closed => {}
                }
            }
        }
        summary.map(|mut s| {
            s.open_s = round6(open_ns as f64 / 1e9);
            s.half_open_s = round6(half_open_ns as f64 / 1e9);
            s
        })
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Formats `breakers.csv`: one row per breaker and window, grouped by breaker in the
/// order of the call sites and then of the calling replicas, each with its windows in
/// time order. Fractions are of the window's length.
#[must_use]
pub fn breakers_csv(simulation: &Simulation) -> String {
    let mut out = String::from(
        "window_start_s,window_s,edge,call_site,replica,open_fraction,half_open_fraction,state\n",
    );
    let model = simulation.model();
    let window_ns = simulation.options().window_ns;
    let end_ns = simulation.now_ns();
    for (site, breaker_model) in model.breakers.iter().enumerate() {
        let edge = &model.edges[breaker_model.edge as usize].name;
        for (replica, breaker) in simulation.site_breakers(site).iter().enumerate() {
            // A breaker of a replica added while running has fewer windows: they end
            // with the others, at the latest window.
            let windows = breaker.series();
            let total = simulation_windows(end_ns, window_ns);
            let first = total.saturating_sub(windows.len() as u64);
            for (k, w) in windows.iter().enumerate() {
                let start = (first + k as u64) * window_ns;
                let length = window_ns.min(end_ns.saturating_sub(start)).max(1);
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{:.6},{:.6},{}",
                    start as f64 / 1e9,
                    length as f64 / 1e9,
                    csv_field(edge),
                    csv_field(&breaker_model.site),
                    replica,
                    w.open_ns as f64 / length as f64,
                    w.half_open_ns as f64 / length as f64,
                    w.state.name()
                );
            }
        }
    }
    out
}

/// Windows closed by a run that ended at `end_ns`, the last partial one included.
fn simulation_windows(end_ns: u64, window_ns: u64) -> u64 {
    end_ns.div_ceil(window_ns.max(1))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
