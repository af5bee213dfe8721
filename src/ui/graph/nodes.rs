//! Nodes of the canvas: boxes with name, replicas or queue bar, live fill and tooltip.

use std::sync::Arc;

use egui::text::{LayoutJob, TextWrapping};
use egui::{
    Align2, Color32, CornerRadius, FontId, Galley, Painter, Rect, Response, Sense, Stroke,
    StrokeKind, Ui, Vec2, pos2, vec2,
};

use super::ERROR_BADGE_THRESHOLD;
use super::edges::{badge_ui, finite_or_zero};
use super::palette::Palette;
use crate::ui::live::NodeLive;
use crate::ui::topology::{Node, NodeKind};

/// Draws one node and returns its response, with a tooltip of its figures on hover.
pub(super) fn node_ui(
    ui: &Ui,
    palette: &Palette,
    node: &Node,
    live: Option<&NodeLive>,
    is_selected: bool,
    editable: bool,
) -> Response {
    let rect = node.rect();
    let id = ui.scope_id().with(("topology-node", node.name.as_str()));
    let sense = if editable {
        Sense::click_and_drag()
    } else {
        Sense::click()
    };
    let response = ui.interact(rect, id, sense);
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, true, is_selected, &node.name)
    });

    let painter = ui.painter();
    let corner_radius = match node.kind {
        NodeKind::Client => CornerRadius::same(32),
        NodeKind::Service { .. } => CornerRadius::same(8),
        NodeKind::Queue { .. } => CornerRadius::same(3),
    };
    let fill = match (node.kind, live) {
        (NodeKind::Client, _) | (_, None) => palette.node_fill,
        (_, Some(live)) => palette.heat(live.utilization),
    };
    let stroke = if is_selected {
        Stroke::new(3.0, palette.selection)
    } else if response.hovered() {
        Stroke::new(1.5, palette.text)
    } else {
        Stroke::new(1.0, palette.node_stroke)
    };
    painter.rect(rect, corner_radius, fill, stroke, StrokeKind::Outside);

    // Three rows: the kind with one figure, the name, then the details of the kind.
    let inset = if node.kind == NodeKind::Client {
        22.0
    } else {
        10.0
    };
    let caption_y = rect.top() + 12.0;
    let caption_font = FontId::proportional(11.0);
    painter.text(
        pos2(rect.left() + inset, caption_y),
        Align2::LEFT_CENTER,
        node.kind.label(),
        caption_font.clone(),
        palette.secondary_text,
    );
    if let Some(figure) = caption_figure(node.kind, live) {
        painter.text(
            pos2(rect.right() - inset, caption_y),
            Align2::RIGHT_CENTER,
            figure,
            caption_font,
            palette.text,
        );
    }

    let name = single_line(
        painter,
        &node.name,
        FontId::proportional(14.0),
        palette.text,
        rect.width() - 2.0 * inset,
    );
    let name_center = pos2(rect.center().x, rect.top() + 31.0);
    painter.galley(name_center - galley_half(&name), name, palette.text);

    let detail_y = rect.bottom() - 13.0;
    match node.kind {
        NodeKind::Client => {}
        NodeKind::Service { replicas, workers } => {
            let replicas = live.and_then(|live| live.replicas).unwrap_or(replicas);
            let label = match live.and_then(|live| live.starting_replicas) {
                Some(starting) => format!("{replicas} (+{starting}) × {workers}"),
                None => format!("{replicas} × {workers}"),
            };
            painter.text(
                pos2(rect.center().x, detail_y),
                Align2::CENTER_CENTER,
                label,
                FontId::proportional(12.0),
                palette.secondary_text,
            );
        }
        NodeKind::Queue { capacity, .. } => {
            let capacity = live.and_then(|live| live.queue_capacity).or(capacity);
            let depth = live.and_then(|live| live.queue_depth);
            let track = Rect::from_center_size(
                pos2(rect.center().x, detail_y),
                vec2(rect.width() - 2.0 * inset, 7.0),
            );
            queue_bar_ui(painter, palette, track, depth, capacity);
        }
    }

    if let Some(live) = live
        && finite_or_zero(live.error_rate) > ERROR_BADGE_THRESHOLD
    {
        let center = rect.right_top() + vec2(-10.0, -4.0);
        badge_ui(painter, palette, center, &format_percent(live.error_rate));
    }

    response.on_hover_ui(|ui| node_tooltip_ui(ui, node, live))
}

/// Returns the figure in the top right corner of a live node.
pub(super) fn caption_figure(kind: NodeKind, live: Option<&NodeLive>) -> Option<String> {
    let live = live?;
    Some(match kind {
        NodeKind::Client => format!("{}/s", format_count(live.throughput_per_s)),
        NodeKind::Service { .. } => format!("{:.0} %", 100.0 * finite_or_zero(live.utilization)),
        NodeKind::Queue { capacity, .. } => {
            let depth = live.queue_depth?;
            match live.queue_capacity.or(capacity) {
                Some(capacity) => format!(
                    "{} / {}",
                    format_count(depth as f32),
                    format_count(capacity as f32)
                ),
                None => format_count(depth as f32),
            }
        }
    })
}

/// Draws the depth of a queue as a bar filling `track` in proportion to its capacity.
///
/// Without a live depth it shows the capacity as text, and an unbounded queue shows no
/// bar.
pub(super) fn queue_bar_ui(
    painter: &Painter,
    palette: &Palette,
    track: Rect,
    depth: Option<u64>,
    capacity: Option<u64>,
) {
    let Some(capacity) = capacity else {
        painter.text(
            track.center(),
            Align2::CENTER_CENTER,
            "unbounded",
            FontId::proportional(12.0),
            palette.secondary_text,
        );
        return;
    };
    let Some(depth) = depth else {
        painter.text(
            track.center(),
            Align2::CENTER_CENTER,
            format!("capacity {}", format_count(capacity as f32)),
            FontId::proportional(12.0),
            palette.secondary_text,
        );
        return;
    };
    painter.rect(
        track,
        CornerRadius::same(3),
        palette.canvas,
        Stroke::new(1.0, palette.node_stroke),
        StrokeKind::Outside,
    );
    let fill_fraction = if capacity == 0 {
        1.0
    } else {
        (depth as f32 / capacity as f32).clamp(0.0, 1.0)
    };
    if depth > 0 {
        // A queue with a few messages still shows a sliver.
        let width = (track.width() * fill_fraction).max(2.0);
        let bar = Rect::from_min_size(track.min, vec2(width, track.height()));
        painter.rect_filled(
            bar,
            CornerRadius::same(3),
            palette.depth_color(fill_fraction),
        );
    }
}

pub(super) fn node_tooltip_ui(ui: &mut Ui, node: &Node, live: Option<&NodeLive>) {
    ui.strong(&node.name);
    egui::Grid::new("topology-node-tooltip")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("kind");
            ui.label(node.kind.label());
            ui.end_row();
            match node.kind {
                NodeKind::Client => {}
                NodeKind::Service { replicas, workers } => {
                    let replicas = live.and_then(|live| live.replicas).unwrap_or(replicas);
                    ui.label("replicas");
                    ui.label(replicas.to_string());
                    ui.end_row();
                    if let Some(starting) = live.and_then(|live| live.starting_replicas) {
                        ui.label("starting replicas");
                        ui.label(starting.to_string());
                        ui.end_row();
                    }
                    ui.label("workers per replica");
                    ui.label(workers.to_string());
                    ui.end_row();
                }
                NodeKind::Queue { capacity, .. } => {
                    ui.label("capacity");
                    ui.label(capacity.map_or_else(|| "unbounded".to_owned(), |c| c.to_string()));
                    ui.end_row();
                }
            }
            let Some(live) = live else {
                return;
            };
            if !matches!(node.kind, NodeKind::Client) {
                ui.label("utilization");
                ui.label(format!("{:.1} %", 100.0 * finite_or_zero(live.utilization)));
                ui.end_row();
            }
            ui.label("throughput");
            ui.label(format!("{:.1}/s", finite_or_zero(live.throughput_per_s)));
            ui.end_row();
            ui.label("error rate");
            ui.label(format_percent(live.error_rate));
            ui.end_row();
            if let Some(depth) = live.queue_depth {
                ui.label("queue depth");
                ui.label(depth.to_string());
                ui.end_row();
            }
        });
}

/// Lays out `text` on one line, cut with an ellipsis where it is wider than `max_width`.
pub(super) fn single_line(
    painter: &Painter,
    text: &str,
    font: FontId,
    color: Color32,
    max_width: f32,
) -> Arc<Galley> {
    let mut job = LayoutJob::simple_singleline(text.to_owned(), font, color);
    job.wrap = TextWrapping::truncate_at_width(max_width);
    painter.layout_job(job)
}

pub(super) fn galley_half(galley: &Galley) -> Vec2 {
    galley.size() / 2.0
}

/// Formats a count or rate with at most three significant digits: 7.5, 150, 1.2k, 3M.
pub(super) fn format_count(value: f32) -> String {
    let value = finite_or_zero(value).max(0.0);
    let (scaled, suffix) = if value >= 1.0e6 {
        (value / 1.0e6, "M")
    } else if value >= 1.0e3 {
        (value / 1.0e3, "k")
    } else {
        (value, "")
    };
    let digits = usize::from(scaled < 10.0 && (scaled.fract() != 0.0 || !suffix.is_empty()));
    let text = format!("{scaled:.digits$}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{suffix}")
}

/// Formats a fraction as a percentage, with two decimals below 1 %.
pub(super) fn format_percent(fraction: f32) -> String {
    let percent = 100.0 * finite_or_zero(fraction);
    if percent < 1.0 {
        format!("{percent:.2} %")
    } else {
        format!("{percent:.1} %")
    }
}
