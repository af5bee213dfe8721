//! Reports of a finished run: the summary table, `summary.json`, `timeseries.csv` and
//! the charts.

use std::fmt::Write as _;
use std::path::Path;

use crate::engine::Simulation;

use super::chart::{ChartError, DISTINCT_STYLES, Line, LineChart, write_chart};
use super::recorder::{ErrorKind, Window};
use super::summary::{ErrorCounts, Latency, Summary};

/// Narrowest name column of the table, in characters.
const NAME_WIDTH: usize = 28;

/// Formats the summary as a fixed-width table for a terminal. The name column is as
/// wide as the longest name, so that the columns stay aligned.
#[must_use]
pub fn table(summary: &Summary) -> String {
    let mut out = String::new();
    let names = summary
        .clients
        .iter()
        .map(|c| &c.name)
        .chain(summary.operations.iter().map(|o| &o.name))
        .chain(summary.queues.iter().map(|q| &q.name));
    let w = names
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0)
        .max(NAME_WIDTH);
    let latency = |l: &Latency| {
        format!(
            "{:>8} {:>8} {:>8}",
            ms(l.p50_ms),
            ms(l.p95_ms),
            ms(l.p99_ms)
        )
    };
    let _ = writeln!(
        out,
        "{:<w$} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9} {:>6}",
        "client", "offered/s", "goodput/s", "p50", "p95", "p99", "errors", "retry×"
    );
    for c in &summary.clients {
        let _ = writeln!(
            out,
            "{:<w$} {:>10.1} {:>10.1} {} {:>9} {:>6.2}",
            c.name,
            c.offered_per_s,
            c.goodput_per_s,
            latency(&c.latency),
            c.errors.total(),
            c.retry_amplification
        );
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{:<w$} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9} {:>6}",
        "operation", "offered/s", "goodput/s", "p50", "p95", "p99", "errors", "util"
    );
    for o in &summary.operations {
        let _ = writeln!(
            out,
            "{:<w$} {:>10.1} {:>10.1} {} {:>9} {:>5.0}%",
            o.name,
            o.offered_per_s,
            o.goodput_per_s,
            latency(&o.latency),
            o.errors.total(),
            o.utilization * 100.0
        );
    }
    if !summary.queues.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "{:<w$} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9} {:>10}",
            "queue", "published", "consumed", "dropped", "dead", "rejected", "queued", "max age"
        );
        for q in &summary.queues {
            let _ = writeln!(
                out,
                "{:<w$} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9} {:>10}",
                q.name,
                q.published,
                q.consumed,
                q.dropped,
                q.dead_lettered,
                q.rejected,
                q.queued,
                ms(q.max_oldest_age_ms)
            );
        }
    }
    out
}

/// A latency in milliseconds, with a unit and a precision that suits its size.
fn ms(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.2}s", value / 1000.0)
    } else if value >= 10.0 {
        format!("{value:.0}ms")
    } else {
        format!("{value:.2}ms")
    }
}

/// Formats the summary as pretty-printed JSON, ending with a newline.
pub fn json(summary: &Summary) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(summary)?;
    text.push('\n');
    Ok(text)
}

/// Formats the summary as CSV: one row per entity, with a column per error kind.
#[must_use]
pub fn summary_csv(summary: &Summary) -> String {
    let mut out = String::from("kind,name,offered,successes");
    for kind in ErrorKind::ALL {
        out.push(',');
        out.push_str(kind.name());
    }
    out.push_str(
        ",in_flight,offered_per_s,goodput_per_s,p50_ms,p95_ms,p99_ms,max_ms,utilization\n",
    );
    let error_columns = |errors: &ErrorCounts| -> String {
        ErrorKind::ALL
            .into_iter()
            .map(|kind| errors.get(kind).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let latency_columns =
        |l: &Latency| format!("{},{},{},{}", l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms);
    for c in &summary.clients {
        let _ = writeln!(
            out,
            "client,{},{},{},{},{},{},{},{},",
            csv_field(&c.name),
            c.issued,
            c.successes,
            error_columns(&c.errors),
            c.in_flight,
            c.offered_per_s,
            c.goodput_per_s,
            latency_columns(&c.latency),
        );
    }
    for (kind, list) in [
        ("service", &summary.services),
        ("operation", &summary.operations),
    ] {
        for s in list {
            let _ = writeln!(
                out,
                "{kind},{},{},{},{},{},{},{},{},{}",
                csv_field(&s.name),
                s.arrivals,
                s.successes,
                error_columns(&s.errors),
                s.in_flight,
                s.offered_per_s,
                s.goodput_per_s,
                latency_columns(&s.latency),
                s.utilization
            );
        }
    }
    for q in &summary.queues {
        // A queue's failures are counted by their own fields; the kinds a queue cannot
        // have stay 0.
        let errors = ErrorCounts {
            rejected: q.rejected,
            dropped: q.dropped,
            dead_lettered: q.dead_lettered,
            ..ErrorCounts::default()
        };
        let _ = writeln!(
            out,
            "queue,{},{},{},{},{},,,{},",
            csv_field(&q.name),
            q.published,
            q.consumed,
            error_columns(&errors),
            q.queued + q.in_handling,
            latency_columns(&q.latency),
        );
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One entity's windows, with its kind and name.
struct Series<'a> {
    kind: &'static str,
    name: &'a str,
    windows: &'a [Window],
    capacity: f64,
    /// Replicas per window of an autoscaled service, whose capacity per window is
    /// that of its mean ready replicas.
    replicas: Option<&'a [crate::engine::sim::ReplicaWindow]>,
}

fn all_series(simulation: &Simulation) -> Vec<Series<'_>> {
    let model = simulation.model();
    let layout = simulation.layout();
    let stats = &simulation.metrics().stats;
    let mut series = Vec::new();
    let windows = |entity: u32| stats[entity as usize].series.as_slice();
    // An autoscaled service's capacity is per replica here, and each window multiplies it
    // by the window's mean ready replicas.
    let capacity = |service: usize| {
        let m = &model.services[service];
        let replicas = if simulation.replica_windows(service).is_some() {
            1.0
        } else {
            f64::from(m.replicas)
        };
        replicas * (f64::from(m.workers) + f64::from(m.consumer_slots))
    };
    for (i, c) in model.clients.iter().enumerate() {
        series.push(Series {
            kind: "client",
            name: &c.name,
            windows: windows(layout.clients + i as u32),
            capacity: 0.0,
            replicas: None,
        });
    }
    for (i, s) in model.services.iter().enumerate() {
        series.push(Series {
            kind: "service",
            name: &s.name,
            windows: windows(layout.services + i as u32),
            capacity: capacity(i),
            replicas: simulation.replica_windows(i),
        });
    }
    for (i, o) in model.operations.iter().enumerate() {
        series.push(Series {
            kind: "operation",
            name: &o.name,
            windows: windows(layout.operations + i as u32),
            capacity: capacity(o.service as usize),
            replicas: simulation.replica_windows(o.service as usize),
        });
    }
    for (i, q) in model.queues.iter().enumerate() {
        series.push(Series {
            kind: "queue",
            name: &q.name,
            windows: windows(layout.queues + i as u32),
            capacity: 0.0,
            replicas: None,
        });
    }
    for (i, e) in model.edges.iter().enumerate() {
        series.push(Series {
            kind: e.kind.name(),
            name: &e.name,
            windows: windows(layout.edges + i as u32),
            capacity: 0.0,
            replicas: None,
        });
    }
    series
}

/// Formats every window of every entity as CSV, one row per entity and window.
#[must_use]
pub fn timeseries_csv(simulation: &Simulation) -> String {
    let mut out = String::from("window_start_s,window_s,kind,name,offered,completed,successes");
    for kind in ErrorKind::ALL {
        out.push(',');
        out.push_str(kind.name());
    }
    out.push_str(
        ",attempts,retries,lost,late,p50_ms,p95_ms,p99_ms,max_ms,mean_in_flight,max_in_flight,utilization,oldest_age_ms,retries_denied,wasted_work_s",
    );
    // The replica columns exist only when some service is autoscaled, so that the
    // file of every other scenario stays as it was.
    let autoscaled = (0..simulation.model().services.len())
        .any(|service| simulation.replica_windows(service).is_some());
    if autoscaled {
        out.push_str(",replicas,starting_replicas");
    }
    out.push('\n');
    let window_ns = simulation.options().window_ns;
    let end_ns = simulation.now_ns();
    for series in all_series(simulation) {
        for (index, w) in series.windows.iter().enumerate() {
            let c = &w.counts;
            let length_ns = window_ns.min(end_ns.saturating_sub(w.start_ns)).max(1);
            let replicas = series.replicas.and_then(|r| r.get(index));
            let capacity = match replicas {
                Some(r) => series.capacity * r.mean_ready,
                None => series.capacity,
            };
            let utilization = if capacity > 0.0 {
                w.mean_busy / capacity
            } else {
                0.0
            };
            let _ = write!(
                out,
                "{},{},{},{},",
                secs(w.start_ns),
                secs(length_ns),
                series.kind,
                csv_field(series.name)
            );
            let _ = write!(out, "{},{},{},", c.offered, c.completed, c.successes);
            for kind in ErrorKind::ALL {
                let _ = write!(out, "{},", c.errors[kind as usize]);
            }
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{:.6},{},{:.6},{},{},{}",
                c.attempts,
                c.retries,
                c.lost,
                c.late,
                ns_to_ms(w.p50_ns),
                ns_to_ms(w.p95_ns),
                ns_to_ms(w.p99_ns),
                ns_to_ms(w.max_ns),
                w.mean_in_flight,
                w.max_in_flight,
                utilization,
                ns_to_ms(w.oldest_age_ns),
                c.retries_denied,
                secs(c.wasted_ns)
            );
            match (autoscaled, replicas) {
                (false, _) => {}
                (true, Some(r)) => {
                    let _ = write!(out, ",{},{}", r.ready, r.starting);
                }
                (true, None) => out.push_str(",,"),
            }
            out.push('\n');
        }
    }
    write_partition_lags(&mut out, simulation);
    out
}

/// Appends one row per partition of each Kafka-like queue and window, with the
/// consumer lag at the end of the window as `mean_in_flight` and `max_in_flight`.
fn write_partition_lags(out: &mut String, simulation: &Simulation) {
    let layout = simulation.layout();
    let window_ns = simulation.options().window_ns;
    let end_ns = simulation.now_ns();
    let zeros = ",0".repeat(ErrorKind::ALL.len() + 8);
    for (i, queue) in simulation.model().queues.iter().enumerate() {
        let Some(status) = simulation.broker_status(i) else {
            continue;
        };
        let windows = &simulation.metrics().stats[(layout.queues as usize) + i].series;
        for (p, partition) in status.partitions.iter().enumerate() {
            let name = csv_field(&format!("{}[{p}]", queue.name));
            for (w, lag) in windows.iter().zip(&partition.lag_series) {
                let length_ns = window_ns.min(end_ns.saturating_sub(w.start_ns)).max(1);
                let _ = writeln!(
                    out,
                    "{},{},partition,{name},0,0,0{zeros},{lag:.6},{lag},0.000000,0",
                    secs(w.start_ns),
                    secs(length_ns),
                    lag = *lag as f64,
                );
            }
        }
    }
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

fn ns_to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Keeps the lines with the highest peaks, at most as many as a chart can tell apart,
/// and folds the rest into one line called "N other `what`". `fold` combines the
/// values of the folded lines at one point, such as a sum for rates or a maximum for
/// percentiles. Every line must have the same x values.
fn limit_lines(mut lines: Vec<Line>, what: &str, fold: fn(f64, f64) -> f64) -> Vec<Line> {
    if lines.len() <= DISTINCT_STYLES {
        return lines;
    }
    let peak = |line: &Line| {
        line.points
            .iter()
            .map(|&(_, y)| y)
            .filter(|y| y.is_finite())
            .fold(f64::NEG_INFINITY, f64::max)
    };
    // A stable sort keeps ties in the order of the document.
    lines.sort_by(|a, b| peak(b).total_cmp(&peak(a)));
    let rest = lines.split_off(DISTINCT_STYLES - 1);
    let mut points: Vec<(f64, f64)> = rest[0].points.iter().map(|&(x, _)| (x, f64::NAN)).collect();
    for line in &rest {
        for (point, &(_, y)) in points.iter_mut().zip(&line.points) {
            point.1 = match (point.1.is_nan(), y.is_nan()) {
                (true, _) => y,
                (false, true) => point.1,
                (false, false) => fold(point.1, y),
            };
        }
    }
    lines.push(Line {
        label: format!("{} other {what}", rest.len()),
        points,
    });
    lines
}

/// Writes the throughput, latency and backlog charts into `directory` as PNG and SVG.
pub fn write_charts(simulation: &Simulation, directory: &Path) -> Result<(), ChartError> {
    let window_ns = simulation.options().window_ns.max(1);
    let end_ns = simulation.now_ns();
    let rate = |w: &Window, count: u64| {
        let length = window_ns.min(end_ns.saturating_sub(w.start_ns)).max(1);
        count as f64 / (length as f64 / 1e9)
    };
    let series = all_series(simulation);
    let midpoint = |w: &Window| secs(w.start_ns);
    let lines = |kinds: &[&str], value: &dyn Fn(&Window) -> f64, suffix: &str| -> Vec<Line> {
        series
            .iter()
            .filter(|s| kinds.contains(&s.kind))
            .map(|s| Line {
                label: format!("{}{suffix}", s.name),
                points: s.windows.iter().map(|w| (midpoint(w), value(w))).collect(),
            })
            .collect()
    };
    let mut throughput = lines(&["client"], &|w| rate(w, w.counts.completed), " throughput");
    throughput.extend(lines(
        &["client"],
        &|w| rate(w, w.counts.successes),
        " goodput",
    ));
    write_chart(
        &directory.join("throughput"),
        &LineChart {
            title: "Client throughput and goodput".to_owned(),
            y_label: "requests/s".to_owned(),
            lines: limit_lines(throughput, "lines", |a, b| a + b),
        },
    )?;
    let mut latency = Vec::new();
    for (label, pick) in [("p50", 0), ("p95", 1), ("p99", 2)] {
        latency.extend(lines(
            &["client"],
            // A window without successes has no percentiles, so the line breaks there.
            &move |w| {
                if w.counts.successes == 0 {
                    f64::NAN
                } else {
                    ns_to_ms([w.p50_ns, w.p95_ns, w.p99_ns][pick])
                }
            },
            &format!(" {label}"),
        ));
    }
    write_chart(
        &directory.join("latency"),
        &LineChart {
            title: "Client latency percentiles (successes)".to_owned(),
            y_label: "ms".to_owned(),
            lines: limit_lines(latency, "percentiles, highest", f64::max),
        },
    )?;
    let mut backlog = lines(&["queue"], &|w| w.mean_in_flight, " depth");
    backlog.extend(lines(&["service"], &|w| w.mean_in_flight, " in flight"));
    write_chart(
        &directory.join("backlog"),
        &LineChart {
            title: "Backlog: queue depth and requests in flight (window means)".to_owned(),
            y_label: "messages or requests".to_owned(),
            lines: limit_lines(backlog, "queues and services", |a, b| a + b),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::run::{RunConfig, run};
    use crate::scenario::{Duration, load_str};

    fn line(label: &str, values: &[f64]) -> Line {
        Line {
            label: label.to_owned(),
            points: values
                .iter()
                .enumerate()
                .map(|(x, &y)| (x as f64, y))
                .collect(),
        }
    }

    #[test]
    fn limit_lines_folds_the_lowest_peaks() {
        let lines: Vec<Line> = (0..25)
            .map(|i| line(&format!("q{i}"), &[f64::from(i), f64::NAN, 1.0]))
            .collect();
        let limited = limit_lines(lines, "queues", |a, b| a + b);
        assert_eq!(limited.len(), DISTINCT_STYLES);
        assert_eq!(limited[0].label, "q24", "the highest peak comes first");
        let last = limited.last().expect("a folded line");
        assert_eq!(last.label, "6 other queues");
        // q0 to q5 are folded: 0 + 1 + ... + 5, a gap, then six ones.
        assert_eq!(last.points[0], (0.0, 15.0));
        assert!(
            last.points[1].1.is_nan(),
            "a gap in every folded line stays a gap"
        );
        assert_eq!(last.points[2], (2.0, 6.0));
    }

    #[test]
    fn limit_lines_keeps_few_lines() {
        let lines = vec![line("a", &[1.0]), line("b", &[2.0])];
        assert_eq!(limit_lines(lines.clone(), "lines", f64::max), lines);
    }

    #[test]
    fn long_names_keep_columns_aligned() {
        let text = "version: 1\n\
            clients:\n  a-very-long-client-name-for-the-table:\n    target: an-extremely-long-service-name.a-long-operation-name\n    arrivals: { poisson: 10/s }\n\
            services:\n  an-extremely-long-service-name:\n    operations:\n      a-long-operation-name: { service_time: 1ms }\n";
        let scenario = load_str(text, None)
            .expect("the scenario is valid")
            .scenario;
        let config = RunConfig::resolve(
            &scenario.run,
            Some(Duration::from_secs(5)),
            None,
            None,
            None,
        )
        .expect("the settings are valid");
        let simulation = run(&scenario, &config, |_| {}).expect("the run succeeds");
        let table = table(&Summary::new(&simulation, "long names"));
        // Every header and row ends its second column, offered/s, at the same column.
        let ends: Vec<usize> = table
            .lines()
            .filter(|line| !line.is_empty())
            .map(|line| {
                let name_end = line.find(' ').expect("a name column");
                let rest = &line[name_end..];
                let start = name_end + (rest.len() - rest.trim_start().len());
                start + rest.trim_start().find(' ').expect("an offered column")
            })
            .collect();
        assert_eq!(ends.len(), 4, "two headers and two rows:\n{table}");
        assert!(
            ends.iter().all(|&end| end == ends[0]),
            "columns end at {ends:?}:\n{table}"
        );
    }
}
