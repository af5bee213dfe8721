//! The side panels: the scenario (description, live load controls, services, nodes),
//! the selected node's configuration and summary, and the list of validation errors.
//!
//! Panels never change the scenario or the run themselves: they push [`Command`]s for
//! the engine and return what the user asked for.

use egui::{Grid, RichText, Ui};

use crate::metrics::recorder::ErrorKind;
use crate::metrics::summary::{ErrorCounts, Latency, PartitionSummary, Summary};
use crate::scenario::diagnostic::counted;
use crate::scenario::{Diagnostic, Scenario, Workload};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::driver::Command;
use super::history::RunHistory;
use super::markdown::markdown_ui;
use super::plots::PlotsView;

/// Tooltip of the replicas controls.
pub const REPLICAS_TOOLTIP: &str = "Replicas that receive new work, from the current simulated \
     time on. Removed replicas finish the work they already hold. Utilization counts each \
     replica for the time it was there.";

/// Maximum replicas that the replicas controls offer.
pub const MAX_REPLICAS: u32 = 1000;

/// Largest client rate factor offered by the load sliders.
pub const MAX_RATE_FACTOR: f64 = 5.0;

/// The kind of a node, found by its name in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A load generator.
    Client,
    /// A service.
    Service,
    /// A message queue.
    Queue,
}

impl NodeKind {
    /// Finds the node called `name` in `scenario`.
    #[must_use]
    pub fn of(scenario: &Scenario, name: &str) -> Option<Self> {
        if scenario.clients.contains_key(name) {
            Some(NodeKind::Client)
        } else if scenario.services.contains_key(name) {
            Some(NodeKind::Service)
        } else if scenario.queues.contains_key(name) {
            Some(NodeKind::Queue)
        } else {
            None
        }
    }

    /// Returns the kind's name as the panels show it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Client => "client",
            NodeKind::Service => "service",
            NodeKind::Queue => "queue",
        }
    }
}

/// Draws the scenario panel: description, load controls, services, the node list and
/// the scenario's settings, which `settings` draws.
/// `rate_factors` contains the factor of each client and `replicas` the replicas of each
/// service, in file order. A click on a node of the list changes `selection`.
pub fn scenario_panel_ui(
    ui: &mut Ui,
    scenario: &Scenario,
    rate_factors: &mut [f64],
    replicas: &mut [u32],
    selection: &mut Option<String>,
    commands: &mut Vec<Command>,
    settings: impl FnOnce(&mut Ui),
) {
    // Both ways, so that content wider than a narrow panel scrolls instead of pushing
    // the panel over the canvas.
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::CollapsingHeader::new("Description")
                .default_open(true)
                .show(ui, |ui| match &scenario.description {
                    Some(text) => markdown_ui(ui, text),
                    None => {
                        ui.weak("This scenario has no description.");
                    }
                });
            egui::CollapsingHeader::new("Load")
                .default_open(true)
                .show(ui, |ui| load_ui(ui, scenario, rate_factors, commands));
            egui::CollapsingHeader::new("Services")
                .default_open(false)
                .show(ui, |ui| services_ui(ui, scenario, replicas, commands));
            egui::CollapsingHeader::new("Nodes")
                .default_open(false)
                .show(ui, |ui| node_list_ui(ui, scenario, selection));
            egui::CollapsingHeader::new("Settings")
                .default_open(false)
                .show(ui, settings);
        });
}

fn load_ui(
    ui: &mut Ui,
    scenario: &Scenario,
    rate_factors: &mut [f64],
    commands: &mut Vec<Command>,
) {
    if scenario.clients.is_empty() {
        ui.weak("No clients.");
        return;
    }
    ui.weak("Changes apply at the current simulated time, without a reset.");
    for (index, (name, client)) in scenario.clients.iter().enumerate() {
        let Some(factor) = rate_factors.get_mut(index) else {
            continue;
        };
        ui.label(RichText::new(name).strong());
        match &client.workload {
            Workload::Open { arrivals, .. } => {
                let slider = egui::Slider::new(factor, 0.0..=MAX_RATE_FACTOR)
                    .step_by(0.05)
                    .suffix("×")
                    .text("rate factor");
                let response = ui
                    .add(slider)
                    .on_hover_text("Multiplies the client's rates, profile included");
                if response.changed() {
                    commands.push(Command::SetClientRate {
                        client: index,
                        factor: *factor,
                    });
                }
                ui.weak(format!(
                    "base rate {}, now {}",
                    arrivals.rate(),
                    arrivals.rate().scaled(*factor)
                ));
            }
            Workload::Closed { users, .. } => {
                ui.add_enabled(
                    false,
                    egui::Slider::new(factor, 0.0..=MAX_RATE_FACTOR).text("rate factor"),
                )
                .on_disabled_hover_text(
                    "A closed client's load is its number of users, which cannot change during a run",
                );
                ui.weak(counted(*users as usize, "user", "users"));
            }
        }
        ui.add_space(4.0);
    }
}

fn services_ui(
    ui: &mut Ui,
    scenario: &Scenario,
    replicas: &mut [u32],
    commands: &mut Vec<Command>,
) {
    ui.weak("Changes apply at the current simulated time, without a reset.");
    Grid::new("services-grid")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Service");
            ui.strong("Replicas");
            ui.strong("Workers");
            ui.end_row();
            for (index, (name, service)) in scenario.services.iter().enumerate() {
                ui.label(name);
                match replicas.get_mut(index) {
                    Some(count) => {
                        let response = ui
                            .add(egui::DragValue::new(count).range(1..=MAX_REPLICAS))
                            .on_hover_text(REPLICAS_TOOLTIP);
                        if response.changed() {
                            commands.push(Command::SetReplicas {
                                service: index,
                                replicas: *count,
                            });
                        }
                    }
                    None => {
                        ui.label(service.replicas.to_string());
                    }
                }
                ui.label(service.workers.to_string());
                ui.end_row();
            }
        });
}

fn node_list_ui(ui: &mut Ui, scenario: &Scenario, selection: &mut Option<String>) {
    let groups: [(&str, Vec<&String>); 3] = [
        ("Clients", scenario.clients.keys().collect()),
        ("Services", scenario.services.keys().collect()),
        ("Queues", scenario.queues.keys().collect()),
    ];
    for (title, names) in groups {
        if names.is_empty() {
            continue;
        }
        ui.weak(title);
        for name in names {
            let selected = selection.as_deref() == Some(name.as_str());
            if ui.selectable_label(selected, name.as_str()).clicked() {
                *selection = if selected { None } else { Some(name.clone()) };
            }
        }
    }
}

/// Draws the panel of the node called `name`: once the run has started, its plots and
/// its summary, then its configuration, which `configuration` draws.
pub fn node_panel_ui(
    ui: &mut Ui,
    name: &str,
    scenario: &Scenario,
    history: &RunHistory,
    plots: &mut PlotsView,
    configuration: impl FnOnce(&mut Ui),
) {
    let Some(kind) = NodeKind::of(scenario, name) else {
        ui.weak(format!("{name} is not in this scenario."));
        return;
    };
    let heading = ui
        .add(egui::Label::new(RichText::new(super::names::shown_name(name)).heading()).truncate());
    if super::names::shown_name(name) != name {
        heading.on_hover_text(name);
    }
    ui.weak(kind.label());
    // Both ways, so that content wider than a narrow panel, such as a grid of
    // operations, scrolls instead of pushing the panel over the canvas.
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            // First, because a breaker's state is what a running view is looked at for.
            super::breakers::breakers_panel_ui(ui, name, history);
            // A run that has not started yet has nothing to plot, so the configuration
            // comes first until it does.
            let summary = history.summary().filter(|_| history.now_ns() > 0);
            if let Some((summary, complete)) = summary {
                egui::CollapsingHeader::new("Plots")
                    .id_salt("node-plots")
                    .default_open(true)
                    .show(ui, |ui| {
                        super::plots::node_plots_ui(ui, plots, history, name);
                    });
                egui::CollapsingHeader::new("Summary")
                    .default_open(true)
                    .show(ui, |ui| {
                        summary_note_ui(ui, summary, complete);
                        match kind {
                            NodeKind::Client => client_summary_ui(ui, name, summary),
                            NodeKind::Service => service_summary_ui(ui, name, summary),
                            NodeKind::Queue => queue_summary_ui(ui, name, summary),
                        }
                    });
            }
            egui::CollapsingHeader::new("Configuration")
                .default_open(true)
                .show(ui, |ui| {
                    configuration(ui);
                    if kind == NodeKind::Service {
                        live_replicas_note_ui(ui, name, scenario, history);
                    }
                });
            match summary {
                Some((summary, _)) => {
                    egui::CollapsingHeader::new("Edges")
                        .default_open(false)
                        .show(ui, |ui| edges_ui(ui, name, summary));
                }
                None => {
                    ui.weak("No run yet: press Play or Step for its plots and summary.");
                }
            }
        });
}

fn rows_ui(ui: &mut Ui, id: &str, rows: &[(&str, String)]) {
    Grid::new(id).num_columns(2).striped(true).show(ui, |ui| {
        for (label, value) in rows {
            ui.label(*label);
            ui.label(value);
            ui.end_row();
        }
    });
}

/// Shows the current replicas of a service when a live change moved them from the
/// file's count, which the summary's utilization still uses.
fn live_replicas_note_ui(ui: &mut Ui, name: &str, scenario: &Scenario, history: &RunHistory) {
    let Some(index) = scenario.services.get_index_of(name) else {
        return;
    };
    let file = scenario.services[index].replicas;
    let now = history
        .status()
        .and_then(|status| status.replicas.get(index))
        .copied();
    if let Some(now) = now
        && now != file
    {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Now {}, changed live from the file's {file}; utilization counts each \
                 replica for the time it was there.",
                counted(now as usize, "replica", "replicas")
            ),
        );
    }
}

fn summary_note_ui(ui: &mut Ui, summary: &Summary, complete: bool) {
    let when = if complete {
        format!("Final, over {:.1} s", summary.duration_s)
    } else {
        format!("So far, up to {:.1} s", summary.duration_s)
    };
    if summary.warmup_s > 0.0 {
        ui.weak(format!(
            "{when}; counts what started after the {} s warm-up.",
            summary.warmup_s
        ));
    } else {
        ui.weak(format!("{when}."));
    }
}

fn rate(value: f64) -> String {
    format!("{value:.1}/s")
}

fn percent(value: f64) -> String {
    format!("{:.1} %", value * 100.0)
}

fn latency_rows(rows: &mut Vec<(&str, String)>, latency: &Latency) {
    rows.push(("Latency mean", format!("{:.2} ms", latency.mean_ms)));
    rows.push(("Latency p50", format!("{:.2} ms", latency.p50_ms)));
    rows.push(("Latency p95", format!("{:.2} ms", latency.p95_ms)));
    rows.push(("Latency p99", format!("{:.2} ms", latency.p99_ms)));
    rows.push(("Latency max", format!("{:.2} ms", latency.max_ms)));
}

fn error_text(errors: &ErrorCounts) -> String {
    if errors.total() == 0 {
        return "0".to_owned();
    }
    let parts: Vec<String> = ErrorKind::ALL
        .into_iter()
        .filter(|kind| errors.get(*kind) > 0)
        .map(|kind| format!("{} {}", errors.get(kind), kind.name().replace('_', "-")))
        .collect();
    format!("{} ({})", errors.total(), parts.join(", "))
}

fn client_summary_ui(ui: &mut Ui, name: &str, summary: &Summary) {
    let Some(client) = summary.clients.iter().find(|c| c.name == name) else {
        return;
    };
    let mut rows = vec![
        ("Issued", client.issued.to_string()),
        ("Successes", client.successes.to_string()),
        ("Errors", error_text(&client.errors)),
        ("In flight", client.in_flight.to_string()),
        ("Offered", rate(client.offered_per_s)),
        ("Throughput", rate(client.throughput_per_s)),
        ("Goodput", rate(client.goodput_per_s)),
    ];
    latency_rows(&mut rows, &client.latency);
    rows.push(("Mean sojourn", format!("{:.2} ms", client.mean_sojourn_ms)));
    rows.push(("Attempts", client.attempts.to_string()));
    rows.push((
        "Retry amplification",
        format!("{:.3}", client.retry_amplification),
    ));
    rows_ui(ui, "client-summary", &rows);
}

fn service_summary_ui(ui: &mut Ui, name: &str, summary: &Summary) {
    let Some(service) = summary.services.iter().find(|s| s.name == name) else {
        return;
    };
    let mut rows = vec![
        ("Arrivals", service.arrivals.to_string()),
        ("Successes", service.successes.to_string()),
        ("Errors", error_text(&service.errors)),
        ("In flight", service.in_flight.to_string()),
        ("Utilization", percent(service.utilization)),
        ("Offered", rate(service.offered_per_s)),
        ("Throughput", rate(service.throughput_per_s)),
        ("Goodput", rate(service.goodput_per_s)),
    ];
    latency_rows(&mut rows, &service.latency);
    rows.push(("Mean in flight", format!("{:.2}", service.mean_in_flight)));
    rows.push(("Max in flight", service.max_in_flight.to_string()));
    rows_ui(ui, "service-summary", &rows);

    let prefix = format!("{name}.");
    let operations: Vec<_> = summary
        .operations
        .iter()
        .filter(|o| o.name.starts_with(&prefix))
        .collect();
    if operations.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.strong("Operations");
    Grid::new("operations-summary")
        .num_columns(5)
        .striped(true)
        .show(ui, |ui| {
            for header in ["Operation", "Goodput", "p99", "Errors", "Utilization"] {
                ui.strong(header);
            }
            ui.end_row();
            for operation in operations {
                ui.label(&operation.name[prefix.len()..]);
                ui.label(rate(operation.goodput_per_s));
                ui.label(format!("{:.2} ms", operation.latency.p99_ms));
                ui.label(operation.errors.total().to_string());
                ui.label(percent(operation.utilization));
                ui.end_row();
            }
        });
}

fn queue_summary_ui(ui: &mut Ui, name: &str, summary: &Summary) {
    let Some(queue) = summary.queues.iter().find(|q| q.name == name) else {
        return;
    };
    let mut rows = vec![
        ("Published", queue.published.to_string()),
        ("Consumed", queue.consumed.to_string()),
        ("Rejected", queue.rejected.to_string()),
        ("Dropped", queue.dropped.to_string()),
        ("Dead-lettered", queue.dead_lettered.to_string()),
        ("Queued", queue.queued.to_string()),
        ("In handling", queue.in_handling.to_string()),
        ("Mean depth", format!("{:.2}", queue.mean_depth)),
        ("Max depth", queue.max_depth.to_string()),
        (
            "Oldest message, max",
            format!("{:.2} ms", queue.max_oldest_age_ms),
        ),
        ("Blocked publishers", queue.blocked_publishers.to_string()),
    ];
    let broker_rows = [
        ("Unacked", queue.unacked),
        ("Duplicates", queue.duplicates),
        ("Expired", queue.expired),
        ("Empty polls", queue.empty_polls),
    ];
    for (label, value) in broker_rows {
        if let Some(value) = value {
            rows.push((label, value.to_string()));
        }
    }
    latency_rows(&mut rows, &queue.latency);
    rows_ui(ui, "queue-summary", &rows);
    if let Some(partitions) = &queue.partitions {
        partitions_ui(ui, partitions, summary.window_s);
    }
}

/// Partitions of a Kafka-like queue that its panel lists and plots at most.
const SHOWN_PARTITIONS: usize = 16;

/// Returns the indexes of the partitions to show, in increasing order: all of them, or
/// the [`SHOWN_PARTITIONS`] with the largest maximum lag, then the largest lag now.
fn shown_partitions(partitions: &[PartitionSummary]) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..partitions.len()).collect();
    if shown.len() > SHOWN_PARTITIONS {
        let key = |&i: &usize| {
            (
                std::cmp::Reverse(partitions[i].max_lag),
                std::cmp::Reverse(partitions[i].final_lag),
                i,
            )
        };
        shown.select_nth_unstable_by_key(SHOWN_PARTITIONS - 1, key);
        shown.truncate(SHOWN_PARTITIONS);
        shown.sort_unstable();
    }
    shown
}

/// Shows the consumer lag of the partitions of a Kafka-like queue, now and at its
/// maximum, and a plot of the lag per window. A queue with many partitions shows those
/// with the largest lag, so that the panel stays quick to draw.
fn partitions_ui(ui: &mut Ui, partitions: &[PartitionSummary], window_s: f64) {
    let shown = shown_partitions(partitions);
    ui.add_space(6.0);
    if shown.len() < partitions.len() {
        ui.weak(format!(
            "The {} partitions with the largest lag, of {}.",
            shown.len(),
            partitions.len()
        ));
    }
    Grid::new("partition-lags")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Partition");
            ui.strong("Lag");
            ui.strong("Max lag");
            ui.end_row();
            for &i in &shown {
                let partition = &partitions[i];
                ui.label(i.to_string());
                ui.label(partition.final_lag.to_string());
                ui.label(partition.max_lag.to_string());
                ui.end_row();
            }
        });
    Plot::new("partition-lag-plot")
        .height(140.0)
        .legend(Legend::default())
        .x_axis_label("s")
        .y_axis_label("lag")
        .allow_scroll(false)
        .show(ui, |plot| {
            for &i in &shown {
                let partition = &partitions[i];
                // The lag of window k is sampled at its end, (k + 1) windows in.
                let points: PlotPoints<'_> = partition
                    .lag_series
                    .iter()
                    .enumerate()
                    .map(|(k, lag)| [(k + 1) as f64 * window_s, *lag as f64])
                    .collect();
                plot.line(Line::new(format!("partition {i}"), points));
            }
        });
}

fn edges_ui(ui: &mut Ui, name: &str, summary: &Summary) {
    // Edge names are `from → to`, with the node names on either side of the arrow.
    let incident: Vec<_> = summary
        .edges
        .iter()
        .filter(|edge| edge.name.split(" → ").any(|end| end == name))
        .collect();
    if incident.is_empty() {
        ui.weak("No edges.");
        return;
    }
    Grid::new("edges-summary")
        .num_columns(5)
        .striped(true)
        .show(ui, |ui| {
            for header in ["Edge", "Kind", "Attempts/s", "Errors", "p99"] {
                ui.strong(header);
            }
            ui.end_row();
            for edge in incident {
                ui.label(&edge.name);
                ui.label(edge.kind);
                ui.label(format!("{:.1}", edge.throughput_per_s));
                ui.label(error_text(&edge.errors));
                ui.label(format!("{:.2} ms", edge.latency.p99_ms));
                ui.end_row();
            }
        });
}

/// A request from the user in the diagnostics panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticsAction {
    /// Read the file again.
    Reload,
    /// Hide the panel.
    Dismiss,
}

/// Draws every diagnostic of a file that could not be opened, as `topolab validate`
/// prints them.
pub fn diagnostics_ui(
    ui: &mut Ui,
    title: &str,
    diagnostics: &[Diagnostic],
    note: &str,
) -> Option<DiagnosticsAction> {
    let mut action = None;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "{title}: {}, {}",
                plural(errors, "error"),
                plural(warnings, "warning")
            ))
            .strong()
            .color(ui.visuals().error_fg_color),
        );
        if ui.button("Reload").clicked() {
            action = Some(DiagnosticsAction::Reload);
        }
        if ui.button("Dismiss").clicked() {
            action = Some(DiagnosticsAction::Dismiss);
        }
    });
    if !note.is_empty() {
        ui.weak(note);
    }
    egui::ScrollArea::vertical()
        .max_height(160.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for diagnostic in diagnostics {
                let color = if diagnostic.is_error() {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().warn_fg_color
                };
                ui.label(
                    RichText::new(diagnostic.to_string())
                        .monospace()
                        .color(color),
                );
            }
        });
    action
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(max_lag: u64, final_lag: u64) -> PartitionSummary {
        PartitionSummary {
            end_offset: 0,
            committed_offset: 0,
            final_lag,
            max_lag,
            lag_series: Vec::new(),
        }
    }

    #[test]
    fn many_partitions_show_the_largest_lags() {
        let few: Vec<PartitionSummary> = (0..3).map(|i| partition(i, 0)).collect();
        assert_eq!(shown_partitions(&few), vec![0, 1, 2]);
        let mut many: Vec<PartitionSummary> = (0..1000).map(|_| partition(1, 0)).collect();
        for i in (0..1000).step_by(50) {
            many[i] = partition(10 + i as u64, 0);
        }
        many[3] = partition(1, 5);
        let shown = shown_partitions(&many);
        assert_eq!(shown.len(), SHOWN_PARTITIONS);
        let expected: Vec<usize> = (0..1000).step_by(50).skip(4).collect();
        assert_eq!(shown, expected);
    }
}
