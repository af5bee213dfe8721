//! Time to recover after a fault: per client, from the end of the fault to the start of
//! the first window from which the client stays as healthy as before the fault.
//!
//! A window is healthy when the client's success ratio in it is at least its ratio
//! before the fault minus [`SUCCESS_RATIO_TOLERANCE`], and its p99 latency of successes
//! is at most [`P99_TOLERANCE_FACTOR`] times the highest window p99 before the fault. A
//! window in which nothing ended is healthy only if no request was issued in it.
//! The level before the fault comes from the whole windows after the warm-up that end
//! by the fault's start. Faults are taken by their start and end only, so every kind of
//! fault is measured the same way.

use serde::Serialize;

use super::recorder::Window;

/// How far the success ratio of a window may fall below the level before the fault,
/// as an absolute difference of ratios.
pub const SUCCESS_RATIO_TOLERANCE: f64 = 0.05;

/// How many times the highest p99 before the fault a window's p99 may reach.
pub const P99_TOLERANCE_FACTOR: f64 = 1.5;

/// Recovery of every client from one fault.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultRecovery {
    /// Index of the fault in the scenario's list; faults started by hand follow.
    pub fault: usize,
    /// Start of the fault, seconds.
    pub start_s: f64,
    /// End of the fault, seconds, or `null` while it was still active at the end of the
    /// run.
    pub end_s: Option<f64>,
    /// One entry per client, in file order.
    pub clients: Vec<ClientRecovery>,
}

/// Recovery of one client from one fault.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientRecovery {
    /// Client name.
    pub name: String,
    /// Success ratio over the windows before the fault; `null` without such a window
    /// in which a request ended.
    pub baseline_success_ratio: Option<f64>,
    /// Highest window p99 before the fault, ms.
    pub baseline_p99_ms: Option<f64>,
    /// Seconds from the end of the fault to the start of the first window from which
    /// every window is healthy. It is 0 when the fault left no unhealthy window after its
    /// start, and `null` when the last window is unhealthy or there is no level before
    /// the fault.
    pub recovery_s: Option<f64>,
}

/// The level of a client before a fault.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Baseline {
    success_ratio: f64,
    p99_ns: u64,
}

fn baseline(windows: &[Window], from_ns: u64, to_ns: u64, window_ns: u64) -> Option<Baseline> {
    let before: Vec<&Window> = windows
        .iter()
        .filter(|w| w.start_ns >= from_ns && w.start_ns.saturating_add(window_ns) <= to_ns)
        .collect();
    let completed: u64 = before.iter().map(|w| w.counts.completed).sum();
    let successes: u64 = before.iter().map(|w| w.counts.successes).sum();
    if completed == 0 {
        return None;
    }
    Some(Baseline {
        success_ratio: successes as f64 / completed as f64,
        p99_ns: before.iter().map(|w| w.p99_ns).max().unwrap_or(0),
    })
}

fn is_healthy(window: &Window, baseline: Baseline) -> bool {
    let counts = &window.counts;
    if counts.completed == 0 {
        return counts.offered == 0;
    }
    let ratio = counts.successes as f64 / counts.completed as f64;
    ratio >= baseline.success_ratio - SUCCESS_RATIO_TOLERANCE
        && window.p99_ns as f64 <= P99_TOLERANCE_FACTOR * baseline.p99_ns as f64
}

/// Returns the time to recover, ns, of a client with `windows` from a fault over
/// `[start_ns, end_ns)`.
fn recovery_ns(
    windows: &[Window],
    baseline: Baseline,
    start_ns: u64,
    end_ns: u64,
    window_ns: u64,
) -> Option<u64> {
    let first = windows
        .iter()
        .position(|w| w.start_ns.saturating_add(window_ns) > start_ns)?;
    let after = &windows[first..];
    let recovered = match after.iter().rposition(|w| !is_healthy(w, baseline)) {
        None => 0,
        Some(last) if last + 1 == after.len() => return None,
        Some(last) => last + 1,
    };
    Some(after[recovered].start_ns.saturating_sub(end_ns))
}

/// Computes the recovery of every client from every fault interval. `clients` contains
/// each client's name and windows, and `faults` each interval of the fault timeline: the
/// fault's index, its start and its end in ns, `None` while it is still active.
#[must_use]
pub fn recoveries(
    clients: &[(&str, &[Window])],
    faults: &[(usize, u64, Option<u64>)],
    warmup_ns: u64,
    window_ns: u64,
) -> Vec<FaultRecovery> {
    let seconds = |ns: u64| (ns as f64 / 1e9 * 1e6).round() / 1e6;
    faults
        .iter()
        .map(|&(fault, start_ns, end_ns)| FaultRecovery {
            fault,
            start_s: seconds(start_ns),
            end_s: end_ns.map(seconds),
            clients: clients
                .iter()
                .map(|&(name, windows)| {
                    let level = baseline(windows, warmup_ns, start_ns, window_ns);
                    ClientRecovery {
                        name: name.to_owned(),
                        baseline_success_ratio: level
                            .map(|b| (b.success_ratio * 1e6).round() / 1e6),
                        baseline_p99_ms: level.map(|b| (b.p99_ns as f64 / 1e6 * 1e6).round() / 1e6),
                        recovery_s: level
                            .zip(end_ns)
                            .and_then(|(b, end_ns)| {
                                recovery_ns(windows, b, start_ns, end_ns, window_ns)
                            })
                            .map(seconds),
                    }
                })
                .collect(),
        })
        .collect()
}
