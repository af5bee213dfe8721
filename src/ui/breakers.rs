//! Circuit breakers in the app: the marker text of an edge whose breakers are not all
//! closed, and the section of a calling node's side panel with their state over time.

use egui::{Color32, Ui};
use egui_plot::{Line, Plot, PlotPoints};

use super::driver::{BreakerNow, EntityKind};
use super::history::{Row, RunHistory};

/// Fill of the marker of an edge with an open breaker.
pub const OPEN_COLOR: Color32 = Color32::from_rgb(200, 44, 44);

/// Fill of the marker of an edge with a half-open breaker and none open.
pub const HALF_OPEN_COLOR: Color32 = Color32::from_rgb(230, 160, 20);

/// Height of the breaker plot in the side panel, in points.
const PLOT_HEIGHT: f32 = 140.0;

/// Returns the marker of an edge with `breakers` breakers, of which `open` are open and
/// `half_open` half-open: "open 2/3" in red while any is open, "half-open 1/3" in amber
/// while any is half-open, and `None` when all are closed.
#[must_use]
pub fn marker(breakers: u32, open: u32, half_open: u32) -> Option<(String, Color32)> {
    if open > 0 {
        Some((format!("open {open}/{breakers}"), OPEN_COLOR))
    } else if half_open > 0 {
        Some((format!("half-open {half_open}/{breakers}"), HALF_OPEN_COLOR))
    } else {
        None
    }
}

/// An edge from the panel's node with breakers: its target's name and its state now.
struct CalledEdge<'a> {
    to: &'a str,
    now: BreakerNow,
}

/// Draws the "Circuit breakers" section of the side panel of `name`, if calls from it
/// have breakers: each edge's state now, and the open and half-open breakers of each
/// edge over the run.
pub fn breakers_panel_ui(ui: &mut Ui, name: &str, history: &RunHistory) {
    let Some(status) = history.status() else {
        return;
    };
    let edges: Vec<CalledEdge<'_>> = status
        .breakers
        .iter()
        .filter_map(|now| match history.kind(now.entity) {
            Some(EntityKind::Edge { from, to, .. }) if from == name => Some(CalledEdge {
                to: to.as_str(),
                now: *now,
            }),
            _ => None,
        })
        .collect();
    if edges.is_empty() {
        return;
    }
    egui::CollapsingHeader::new("Circuit breakers")
        .default_open(true)
        .show(ui, |ui| {
            for edge in &edges {
                let now = edge.now;
                match marker(now.breakers, now.open, now.half_open) {
                    Some((text, color)) => {
                        ui.colored_label(color, format!("{}: {text}", edge.to));
                    }
                    None => {
                        ui.label(format!("{}: closed 0/{}", edge.to, now.breakers));
                    }
                }
            }
            legend_ui(ui, &edges);
            let window_s = super::plots::first_window_s(history);
            plot_ui(ui, name, &edges, history.rows(), window_s);
        });
}

/// Returns the colors of the open and half-open lines of the edge at `index`.
fn line_colors(index: usize) -> (Color32, Color32) {
    let fade = 1.0 - 0.3 * (index % 3) as f32;
    (
        OPEN_COLOR.gamma_multiply(fade),
        HALF_OPEN_COLOR.gamma_multiply(fade),
    )
}

/// Draws the plot's title and legend as one label, with no-break spaces inside each
/// entry, as the main plots do.
fn legend_ui(ui: &mut Ui, edges: &[CalledEdge<'_>]) {
    ui.label(egui::RichText::new("Breakers open and half-open (mean per window)").strong());
    let small = egui::TextStyle::Small.resolve(ui.style());
    let text_color = ui.visuals().text_color();
    let mut job = egui::text::LayoutJob::default();
    for (index, edge) in edges.iter().enumerate() {
        let (open, half_open) = line_colors(index);
        for (state, color) in [("open", open), ("half-open", half_open)] {
            job.append(
                "\u{2014}\u{a0}",
                0.0,
                egui::TextFormat::simple(small.clone(), color),
            );
            job.append(
                &format!("{state}\u{a0}→\u{a0}{}   ", edge.to),
                0.0,
                egui::TextFormat::simple(small.clone(), text_color),
            );
        }
    }
    job.wrap.max_width = ui.available_width();
    ui.add(egui::Label::new(job).wrap());
}

fn plot_ui(ui: &mut Ui, name: &str, edges: &[CalledEdge<'_>], rows: &[Row], window_s: f64) {
    Plot::new(("breakers", name))
        .height(PLOT_HEIGHT)
        .width(ui.available_width())
        .include_x(0.0)
        .include_x(window_s)
        .set_margin_fraction(egui::vec2(0.0, 0.05))
        .include_y(0.0)
        .include_y(edges.iter().map(|e| e.now.breakers).max().unwrap_or(1))
        .y_axis_min_width(24.0)
        .x_axis_formatter(|mark, _| format!("{} s", mark.value))
        .show(ui, |plot_ui| {
            for (index, edge) in edges.iter().enumerate() {
                let entity = edge.now.entity;
                let (open_color, half_open_color) = line_colors(index);
                let open = mean_points(rows, entity, |s| s.breakers_open_ns);
                let half_open = mean_points(rows, entity, |s| s.breakers_half_open_ns);
                plot_ui.line(
                    Line::new(format!("open → {}", edge.to), PlotPoints::new(open))
                        .color(open_color)
                        .width(1.5),
                );
                plot_ui.line(
                    Line::new(
                        format!("half-open → {}", edge.to),
                        PlotPoints::new(half_open),
                    )
                    .color(half_open_color)
                    .width(1.5),
                );
            }
        });
}

/// Returns, for each row, its end and the mean over the row of the integral that `pick`
/// reads from the sample of `entity`: a number of breakers.
fn mean_points(
    rows: &[Row],
    entity: usize,
    pick: fn(&super::history::Sample) -> f64,
) -> Vec<[f64; 2]> {
    rows.iter()
        .filter_map(|row| {
            let sample = row.samples.get(entity)?;
            Some([row.end_s(), row.mean(pick(sample))])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_shows_open_before_half_open() {
        assert_eq!(marker(3, 2, 1), Some(("open 2/3".to_owned(), OPEN_COLOR)));
        assert_eq!(
            marker(3, 0, 1),
            Some(("half-open 1/3".to_owned(), HALF_OPEN_COLOR))
        );
        assert_eq!(marker(3, 0, 0), None);
    }
}
