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

/// A text that the last frame painted: its string, its area on screen and its opacity.
#[derive(Debug)]
struct PaintedText {
    text: String,
    rect: egui::Rect,
    alpha: u8,
}

/// Returns every text that the last frame painted.
fn painted_texts(harness: &Harness<'_, TopolabApp>) -> Vec<PaintedText> {
    fn collect(shape: &egui::Shape, texts: &mut Vec<PaintedText>) {
        match shape {
            egui::Shape::Text(text) => texts.push(PaintedText {
                text: text.galley.text().to_owned(),
                rect: text.visual_bounding_rect(),
                alpha: text.fallback_color.a(),
            }),
            egui::Shape::Vec(shapes) => {
                for shape in shapes {
                    collect(shape, texts);
                }
            }
            _ => {}
        }
    }
    let mut texts = Vec::new();
    for clipped in &harness.output().shapes {
        collect(&clipped.shape, &mut texts);
    }
    texts
}

/// Returns the values of the labels left of `frame` that are at least half opaque, from
/// the bottom up.
fn y_labels(texts: &[PaintedText], frame: egui::Rect) -> Vec<f64> {
    let mut labels: Vec<(f32, f64)> = texts
        .iter()
        .filter(|t| t.alpha >= 128)
        .filter(|t| t.rect.max.x <= frame.min.x + 8.0 && t.rect.min.x >= frame.min.x - 80.0)
        .filter(|t| frame.y_range().expand(4.0).contains(t.rect.center().y))
        .filter_map(|t| t.text.parse::<f64>().ok().map(|v| (t.rect.center().y, v)))
        .collect();
    labels.sort_by(|a, b| b.0.total_cmp(&a.0));
    labels.into_iter().map(|(_, value)| value).collect()
}

/// Returns the time labels under `frame`, from left to right.
fn x_labels(texts: &[PaintedText], frame: egui::Rect) -> Vec<&PaintedText> {
    let mut labels: Vec<&PaintedText> = texts
        .iter()
        .filter(|t| t.alpha > 0 && t.text.ends_with(" s"))
        .filter(|t| t.rect.min.y >= frame.max.y - 2.0 && t.rect.min.y <= frame.max.y + 24.0)
        .filter(|t| frame.x_range().expand(4.0).contains(t.rect.center().x))
        .collect();
    labels.sort_by(|a, b| a.rect.min.x.total_cmp(&b.rect.min.x));
    labels
}

/// Checks the axes of the plot titled `title`: at least `min_y_labels` values on its
/// y axis, and time labels that neither overlap nor skip a step.
fn assert_readable_axes(
    texts: &[PaintedText],
    frame: egui::Rect,
    title: &str,
    min_y_labels: usize,
) {
    let values = y_labels(texts, frame);
    assert!(
        values.len() >= min_y_labels,
        "{title}: {} y labels, {values:?}, expected at least {min_y_labels}",
        values.len()
    );
    let steps: Vec<f64> = values.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(
        steps
            .iter()
            .all(|step| (step - steps[0]).abs() < 1e-9 * steps[0].abs().max(1.0)),
        "{title}: y labels {values:?} are evenly spaced"
    );

    let times = x_labels(texts, frame);
    assert!(times.len() >= 2, "{title}: time labels {times:?}");
    for pair in times.windows(2) {
        assert!(
            pair[0].rect.max.x < pair[1].rect.min.x,
            "{title}: time labels {:?} and {:?} overlap",
            pair[0].text,
            pair[1].text
        );
    }
    let seconds: Vec<f64> = times
        .iter()
        .map(|t| {
            t.text
                .trim_end_matches(" s")
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{title}: time label {:?} is a number", t.text))
        })
        .collect();
    let gaps: Vec<f64> = seconds.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(
        gaps.iter().all(|gap| (gap - gaps[0]).abs() < 1e-9),
        "{title}: time labels {seconds:?} are evenly spaced"
    );
}

#[test]
fn plot_axes_have_readable_labels() {
    let mut harness = harness(new_app(None));
    step_until(&mut harness, "the engine has loaded", loaded);
    step_windows(&mut harness, 10);
    harness.state_mut().select(Some("payments".to_owned()));
    harness.run_steps(3);

    let texts = painted_texts(&harness);
    let app = harness.state();
    for title in TITLES {
        let frame = app.plots().frame(title).expect("the system plot is drawn");
        assert_readable_axes(&texts, frame, &format!("system {title}"), 3);
    }
    let panel = app.panel_rects().node.expect("the node panel is open");
    let mut checked = 0;
    for title in TITLES {
        let frame = app
            .node_plots()
            .frame(title)
            .expect("the node plot is drawn");
        if panel.contains_rect(frame.expand2(egui::vec2(0.0, 20.0))) {
            assert_readable_axes(&texts, frame, &format!("payments {title}"), 2);
            checked += 1;
        }
    }
    assert!(checked >= 2, "{checked} of the node's plots are in view");
}
