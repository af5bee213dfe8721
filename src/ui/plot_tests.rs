//! Headless tests of the plots: the system's latency percentiles over all clients, a
//! view that starts again with every new run, and a node's plots in its side panel.

use egui::Pos2;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

use crate::engine::run::{self, RunConfig};
use crate::scenario::{self, Duration};

use super::app::TopolabApp;
use super::document::Source;
use super::plots::TITLES;
use super::tests::{drag, harness, loaded, new_app, step_until};
use super::toolbar_tests::{TWO_CLIENTS, open_two_clients};

/// A point inside the first system plot at the default window size of 1280 × 800.
const IN_FIRST_PLOT: Pos2 = Pos2::new(160.0, 650.0);

/// Steps `windows` windows and waits until they have arrived.
fn step_windows(harness: &mut Harness<'_, TopolabApp>, windows: usize) {
    let before = harness.state().history().rows().len();
    for _ in 0..windows {
        harness.get_by_label("Step").click();
        harness.run_steps(1);
    }
    step_until(harness, "the windows have arrived", |app| {
        app.history().rows().len() >= before + windows
    });
    harness.run_steps(2);
}

#[test]
fn system_latency_merges_all_clients() {
    let (_folder, mut harness) = open_two_clients();
    step_windows(&mut harness, 4);

    let latency_legend: Vec<String> = harness
        .query_all_by_label_contains("p95")
        // A label keeps its text as its value.
        .filter_map(|node| node.accesskit_node().value())
        .collect();
    assert_eq!(latency_legend.len(), 1, "{latency_legend:?}");
    for line in ["p50", "p95", "p99"] {
        assert!(
            latency_legend[0].contains(line),
            "{line}: {latency_legend:?}"
        );
    }
    assert!(
        !latency_legend[0].contains("fast") && !latency_legend[0].contains("slow"),
        "no line per client: {latency_legend:?}"
    );
    assert!(harness.state().plots().drawn_points("Latency") >= 3 * 4);

    // The same windows headless: the aggregate of both clients, whose histograms the
    // engine merges when a window closes.
    let scenario = scenario::load_str(TWO_CLIENTS, None)
        .expect("the scenario is valid")
        .scenario;
    let config = RunConfig::resolve(
        &scenario.run,
        Some(Duration::from_secs(4)),
        None,
        None,
        None,
    )
    .expect("valid settings");
    let simulation = run::run(&scenario, &config, |_| {}).expect("the run finishes");
    let layout = simulation.layout();
    let stats = &simulation.metrics().stats;
    let merged = &stats[layout.all_clients as usize].series;
    let fast = &stats[layout.clients as usize].series;
    let slow = &stats[layout.clients as usize + 1].series;

    let history = harness.state().history();
    let (index, _) = history
        .entities_where(|kind| matches!(kind, super::driver::EntityKind::AllClients))
        .next()
        .expect("the run has an entity of all clients");
    for (window, row) in history.rows().iter().take(4).enumerate() {
        let sample = row.samples[index];
        assert_eq!(
            sample.p50_ns, merged[window].p50_ns,
            "p50 of window {window}"
        );
        assert_eq!(
            sample.p95_ns, merged[window].p95_ns,
            "p95 of window {window}"
        );
        assert_eq!(
            sample.p99_ns, merged[window].p99_ns,
            "p99 of window {window}"
        );
        assert_eq!(
            sample.successes,
            fast[window].counts.successes + slow[window].counts.successes,
            "successes of window {window}"
        );
        assert!(
            fast[window].p50_ns <= sample.p50_ns && sample.p50_ns <= slow[window].p50_ns,
            "the system's p50 of window {window} lies between the clients'"
        );
    }
}

fn run_number(harness: &Harness<'_, TopolabApp>) -> u64 {
    harness
        .state()
        .history()
        .status()
        .map_or(0, |status| status.run)
}

/// Waits until a run after `run` has started and reported its status.
fn wait_for_run_after(harness: &mut Harness<'_, TopolabApp>, run: u64) {
    step_until(harness, "a new run has started", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.run > run)
    });
}

/// Pans the first system plot and checks that it stopped following.
fn pan_first_plot(harness: &mut Harness<'_, TopolabApp>) {
    drag(
        harness,
        IN_FIRST_PLOT,
        IN_FIRST_PLOT + egui::vec2(120.0, -60.0),
    );
    harness.run_steps(1);
    assert!(
        !harness.state().plots().is_following(),
        "panning stops following"
    );
}

/// Checks that the throughput plot follows the latest window and fits every line.
fn assert_follows_and_fits(harness: &Harness<'_, TopolabApp>, what: &str) {
    let app = harness.state();
    assert!(app.plots().is_following(), "{what}: the plots follow");
    let [x, y] = app.plots().bounds("Throughput").expect("a throughput plot");
    let rows = app.history().rows();
    let last = rows.last().expect("windows have arrived");
    assert!(
        x[0] <= 0.0 && x[1] >= last.end_s(),
        "{what}: the time axis {x:?} shows the whole run to {} s",
        last.end_s()
    );
    // The lines of the throughput plot are sums over the clients.
    let clients: Vec<usize> = app
        .history()
        .entities_where(|kind| matches!(kind, super::driver::EntityKind::Client { .. }))
        .map(|(index, _)| index)
        .collect();
    let highest = rows
        .iter()
        .map(|row| {
            let offered: u64 = clients.iter().map(|&c| row.samples[c].offered).sum();
            let completed: u64 = clients.iter().map(|&c| row.samples[c].completed).sum();
            row.per_second(offered.max(completed))
        })
        .fold(0.0, f64::max);
    assert!(
        y[0] <= 0.0 && y[1] >= highest && y[1] <= highest * 1.5 + 1.0,
        "{what}: the y axis {y:?} fits the data up to {highest}"
    );
}

#[test]
fn new_runs_start_with_following_plots() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    step_windows(&mut harness, 3);
    assert_follows_and_fits(&harness, "the first run");

    pan_first_plot(&mut harness);
    let run = run_number(&harness);
    harness.get_by_label("Reset").click();
    wait_for_run_after(&mut harness, run);
    step_windows(&mut harness, 3);
    assert_follows_and_fits(&harness, "after Reset");

    pan_first_plot(&mut harness);
    let run = run_number(&harness);
    harness
        .state_mut()
        .request_open(Source::Bundled("mm1.yaml".to_owned()));
    wait_for_run_after(&mut harness, run);
    assert_eq!(
        harness
            .state()
            .history()
            .info()
            .map(|info| info.scenario_name.as_str()),
        Some("M/M/1 queue")
    );
    step_windows(&mut harness, 3);
    assert_follows_and_fits(&harness, "after another scenario");

    pan_first_plot(&mut harness);
    let run = run_number(&harness);
    harness.get_by_label("Seed").focus();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Seed").type_text("42");
    harness.key_press(egui::Key::Enter);
    wait_for_run_after(&mut harness, run);
    assert_eq!(harness.state().history().status().map(|s| s.seed), Some(42));
    step_windows(&mut harness, 3);
    assert_follows_and_fits(&harness, "after a new seed");
}

#[test]
fn new_duration_starts_plots_again() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    step_windows(&mut harness, 3);
    pan_first_plot(&mut harness);

    harness.get_by_label("Duration").focus();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Duration").type_text("90s");
    harness.key_press(egui::Key::Enter);
    step_until(&mut harness, "the duration is 90 s", |app| {
        app.history()
            .status()
            .is_some_and(|status| status.duration_ns == 90_000_000_000)
    });
    step_windows(&mut harness, 1);
    assert_follows_and_fits(&harness, "after a new duration");
}

#[test]
fn selected_node_shows_plots_and_summary() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    step_windows(&mut harness, 2);
    for node in ["shoppers", "payments", "notification-events"] {
        harness.state_mut().select(Some(node.to_owned()));
        harness.run_steps(3);
        for title in TITLES {
            assert!(
                harness.state().node_plots().drawn_points(title) > 0,
                "{node}: its {title} plot is drawn at once"
            );
            assert!(
                harness.state().plots().drawn_points(title) > 0,
                "{node}: the system's {title} plot stays"
            );
        }
        assert!(
            harness.state().node_plots().is_following(),
            "{node}: its plots follow"
        );
        harness.get_by_label("Summary");
    }
    // The panel names what a client and a queue plot, next to their summaries.
    harness.get_by_label("Published");
    harness.get_by_label_contains("oldest\u{a0}message\u{a0}age");
}
