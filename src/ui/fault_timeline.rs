//! The fault timeline under the plots: one row per fault, a bar for each interval during
//! which it was active, on the plots' time axis.

use egui::{Align2, Color32, Id, Stroke, Ui};
use egui_plot::{Plot, PlotPoint, PlotPoints, Polygon, Text};

use crate::engine::sim::{FaultInterval, FaultOrigin};

/// Height of one row of bars, in points.
const ROW_HEIGHT: f32 = 20.0;

/// Height of the time axis below the rows, in points.
const AXIS_HEIGHT: f32 = 24.0;

/// Maximum rows shown. The strip does not scroll, so the faults past it are left out.
const MAX_ROWS: usize = 8;

/// Returns the height the timeline needs for `timeline`, or 0 when it is empty.
#[must_use]
pub fn timeline_height(timeline: &[FaultInterval]) -> f32 {
    if timeline.is_empty() {
        return 0.0;
    }
    rows(timeline).len().min(MAX_ROWS) as f32 * ROW_HEIGHT + AXIS_HEIGHT
}

/// Returns the faults that have intervals, in index order.
fn rows(timeline: &[FaultInterval]) -> Vec<u32> {
    let mut faults: Vec<u32> = timeline.iter().map(|i| i.fault).collect();
    faults.sort_unstable();
    faults.dedup();
    faults
}

/// Picks the colour of a kind of fault.
#[must_use]
pub fn kind_color(kind: &str) -> Color32 {
    match kind {
        "crash" => Color32::from_rgb(214, 39, 40),
        "outage" => Color32::from_rgb(148, 103, 189),
        "partition" => Color32::from_rgb(255, 127, 14),
        "loss" => Color32::from_rgb(188, 189, 34),
        "latency" | "slow" => Color32::from_rgb(31, 119, 180),
        "errors" => Color32::from_rgb(227, 119, 194),
        "broker_outage" => Color32::from_rgb(140, 86, 75),
        "slow_consumer" => Color32::from_rgb(23, 190, 207),
        _ => Color32::GRAY,
    }
}

/// Draws the bars of `timeline` into a strip of `height` points, with the time axis
/// linked to the plots' through `link`, and returns the number of bars drawn. An
/// interval still active ends at `now_s`.
pub fn timeline_ui(
    ui: &mut Ui,
    timeline: &[FaultInterval],
    now_s: f64,
    link: Id,
    height: f32,
) -> usize {
    let rows = rows(timeline);
    let row_count = rows.len().min(MAX_ROWS);
    let mut bars = 0;
    Plot::new("fault-timeline")
        .height(height)
        .width(ui.available_width())
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .include_x(0.0)
        // The plots' automatic bounds run to the latest window, so the timeline's do too.
        .include_x(now_s)
        .include_y(0.0)
        .include_y(-(row_count as f64))
        .allow_zoom([true, false])
        .allow_drag([true, false])
        .show_y(false)
        .show_grid([true, false])
        .y_axis_min_width(36.0)
        .y_axis_formatter(|_, _| String::new())
        .x_axis_formatter(|mark, _| format!("{} s", mark.value))
        .show(ui, |plot_ui| {
            for interval in timeline {
                let Some(row) = rows.iter().position(|f| *f == interval.fault) else {
                    continue;
                };
                if row >= MAX_ROWS {
                    continue;
                }
                let top = -(row as f64) - 0.1;
                let bottom = -(row as f64) - 0.9;
                let start = interval.start_ns as f64 / 1e9;
                let end = interval.end_ns.map_or(now_s, |end| end as f64 / 1e9);
                let color = kind_color(interval.kind);
                let manual = interval.origin == FaultOrigin::Manual;
                let label = if manual {
                    format!("{} (manual)", interval.label)
                } else {
                    interval.label.clone()
                };
                let stroke = if manual {
                    Stroke::new(2.0, Color32::WHITE)
                } else {
                    Stroke::new(1.0, color)
                };
                plot_ui.polygon(
                    Polygon::new(
                        label.clone(),
                        PlotPoints::new(vec![
                            [start, top],
                            [end, top],
                            [end, bottom],
                            [start, bottom],
                        ]),
                    )
                    .fill_color(color.gamma_multiply(0.6))
                    .stroke(stroke),
                );
                bars += 1;
                plot_ui.text(
                    Text::new(
                        label.clone(),
                        PlotPoint::new(start, f64::midpoint(top, bottom)),
                        label,
                    )
                    .anchor(Align2::LEFT_CENTER)
                    .color(ui_text_color(plot_ui.ctx())),
                );
            }
        });
    bars
}

fn ui_text_color(ctx: &egui::Context) -> Color32 {
    ctx.global_style().visuals.text_color()
}
