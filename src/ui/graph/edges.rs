//! Edges of the canvas: their curves, hover, tooltips, moving dots and error badges.

use std::collections::BTreeMap;

use egui::emath::TSTransform;
use egui::{
    Color32, CornerRadius, FontId, Painter, Pos2, Rect, Shape, Stroke, Ui, Vec2, pos2, vec2,
};

use super::ERROR_BADGE_THRESHOLD;
use super::nodes::format_percent;
use super::palette::Palette;
use crate::ui::live::{EdgeLive, LiveView};
use crate::ui::topology::{EdgeKind, Node, Topology};

/// Dots shown per message, so one dot stands for 20 messages.
const DOTS_PER_MESSAGE: f32 = 0.05;

/// Largest dot rate of one edge, in dots per second of wall time. Edges with more than
/// `MAX_DOT_RATE / DOTS_PER_MESSAGE` messages per second all show this rate.
const MAX_DOT_RATE: f32 = 20.0;

/// Half the diagonal of a dot, in canvas units.
const DOT_RADIUS: f32 = 3.0;

/// Speed of a dot along its edge, in canvas units per second of wall time.
const DOT_SPEED: f32 = 140.0;

/// Maximum number of dots drawn on one edge.
const MAX_DOTS_PER_EDGE: usize = 64;

/// Points sampled along each edge curve.
const CURVE_SAMPLES: usize = 24;

/// Largest distance from the pointer to an edge that counts as hovering it, in screen
/// points.
const EDGE_HOVER_DISTANCE: f32 = 6.0;

/// Distance between edges that join the same two nodes, in canvas units.
const PARALLEL_EDGE_GAP: f32 = 10.0;

/// One edge with its curve on the canvas.
pub(super) struct EdgeShape<'a> {
    pub(super) from: &'a Node,
    pub(super) to: &'a Node,
    pub(super) kind: EdgeKind,
    /// The curve from the source's border to the target's border, in canvas units.
    pub(super) points: Vec<Pos2>,
    /// Length of the curve up to each point, in canvas units.
    pub(super) lengths: Vec<f32>,
}

impl EdgeShape<'_> {
    pub(super) fn length(&self) -> f32 {
        self.lengths.last().copied().unwrap_or(0.0)
    }

    /// Returns the point at `fraction` of the curve's length.
    pub(super) fn point_at(&self, fraction: f32) -> Pos2 {
        let target = fraction.clamp(0.0, 1.0) * self.length();
        let after = self.lengths.partition_point(|&length| length < target);
        if after == 0 {
            return self.points[0];
        }
        let Some(&end) = self.points.get(after) else {
            return self.points[self.points.len() - 1];
        };
        let start = self.points[after - 1];
        let segment = self.lengths[after] - self.lengths[after - 1];
        if segment <= 0.0 {
            return end;
        }
        start.lerp(end, (target - self.lengths[after - 1]) / segment)
    }

    /// Returns the distance from `position` to the nearest point of the curve.
    pub(super) fn distance_to(&self, position: Pos2) -> f32 {
        self.points
            .windows(2)
            .map(|segment| {
                let along = segment[1] - segment[0];
                let length_squared = along.length_sq();
                let t = if length_squared > 0.0 {
                    ((position - segment[0]).dot(along) / length_squared).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                position.distance(segment[0] + along * t)
            })
            .fold(f32::INFINITY, f32::min)
    }

    pub(super) fn involves(&self, name: Option<&str>) -> bool {
        name.is_some_and(|name| self.from.name == name || self.to.name == name)
    }
}

/// Returns the curve of every edge that can be drawn.
///
/// Edges between the same two nodes, in either direction, are spread apart. Edges
/// between two nodes on the same spot have no curve and are left out.
pub(super) fn edge_shapes(topology: &Topology) -> Vec<EdgeShape<'_>> {
    let pair = |a: &str, b: &str| -> (String, String) {
        if a <= b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        }
    };
    let mut per_pair: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (from, to, _) in topology.edges() {
        *per_pair.entry(pair(&from.name, &to.name)).or_default() += 1;
    }
    let mut drawn: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut shapes = Vec::new();
    for (from, to, kind) in topology.edges() {
        let key = pair(&from.name, &to.name);
        let total = per_pair.get(&key).copied().unwrap_or(1);
        let index = drawn.entry(key).or_default();
        let offset = (*index as f32 - (total as f32 - 1.0) / 2.0) * PARALLEL_EDGE_GAP;
        *index += 1;

        let points = if from.name == to.name {
            self_loop_points(from.rect())
        } else {
            edge_points(from.rect(), to.rect(), offset)
        };
        if points.len() < 2 {
            continue;
        }
        let mut lengths = Vec::with_capacity(points.len());
        let mut total_length = 0.0;
        lengths.push(0.0);
        for segment in points.windows(2) {
            total_length += segment[0].distance(segment[1]);
            lengths.push(total_length);
        }
        if total_length <= f32::EPSILON {
            continue;
        }
        shapes.push(EdgeShape {
            from,
            to,
            kind,
            points,
            lengths,
        });
    }
    shapes
}

/// Returns the curve between two node rectangles: from side to side when they are apart
/// horizontally, else from top to bottom, with tangents along that direction.
pub(super) fn edge_points(from: Rect, to: Rect, offset: f32) -> Vec<Pos2> {
    let delta = to.center() - from.center();
    let (start, end, along) = if delta.x.abs() > f32::midpoint(from.width(), to.width()) {
        let sign = delta.x.signum();
        let start = pos2(
            from.center().x + sign * from.width() / 2.0,
            from.center().y + offset,
        );
        let end = pos2(
            to.center().x - sign * to.width() / 2.0,
            to.center().y + offset,
        );
        (start, end, vec2(end.x - start.x, 0.0))
    } else if delta.y.abs() > f32::midpoint(from.height(), to.height()) {
        let sign = delta.y.signum();
        let start = pos2(
            from.center().x + offset,
            from.center().y + sign * from.height() / 2.0,
        );
        let end = pos2(
            to.center().x + offset,
            to.center().y - sign * to.height() / 2.0,
        );
        (start, end, vec2(0.0, end.y - start.y))
    } else {
        // The rectangles overlap: a straight line between the centers, if they differ.
        return if delta.length() > f32::EPSILON {
            vec![from.center(), to.center()]
        } else {
            Vec::new()
        };
    };
    cubic_points([start, start + along * 0.5, end - along * 0.5, end])
}

/// Returns a loop above the node, for an edge from a node to itself.
pub(super) fn self_loop_points(rect: Rect) -> Vec<Pos2> {
    let start = rect.center_top() + vec2(18.0, 0.0);
    let end = rect.center_top() - vec2(18.0, 0.0);
    cubic_points([
        start,
        start + vec2(26.0, -46.0),
        end + vec2(-26.0, -46.0),
        end,
    ])
}

pub(super) fn cubic_points([p0, p1, p2, p3]: [Pos2; 4]) -> Vec<Pos2> {
    (0..=CURVE_SAMPLES)
        .map(|sample| {
            let t = sample as f32 / CURVE_SAMPLES as f32;
            let u = 1.0 - t;
            let weights = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            let v = p0.to_vec2() * weights[0]
                + p1.to_vec2() * weights[1]
                + p2.to_vec2() * weights[2]
                + p3.to_vec2() * weights[3];
            v.to_pos2()
        })
        .collect()
}

pub(super) fn edge_live<'a>(
    edge: &EdgeShape<'_>,
    live: Option<&'a LiveView>,
) -> Option<&'a EdgeLive> {
    live?
        .edges
        .get(&(edge.from.name.clone(), edge.to.name.clone()))
}

pub(super) fn edge_throughput(edge: &EdgeShape<'_>, live: Option<&LiveView>) -> f32 {
    edge_live(edge, live).map_or(0.0, |edge| finite_or_zero(edge.throughput_per_s))
}

/// Returns the stroke width of an edge carrying `throughput_per_s`, in canvas units: 1
/// when idle, growing with the logarithm of the throughput to at most 5, which it reaches
/// at about 28 000 messages/s.
pub(super) fn edge_width(throughput_per_s: f32) -> f32 {
    (1.0 + 0.9 * (1.0 + finite_or_zero(throughput_per_s).max(0.0)).log10()).clamp(1.0, 5.0)
}

/// Returns the dots per second of wall time shown on an edge carrying `throughput_per_s`.
pub(super) fn dot_rate(throughput_per_s: f32) -> f32 {
    (finite_or_zero(throughput_per_s) * DOTS_PER_MESSAGE).clamp(0.0, MAX_DOT_RATE)
}

pub(super) fn finite_or_zero(value: f32) -> f32 {
    if value.is_finite() { value } else { 0.0 }
}

pub(super) fn edge_ui(
    painter: &Painter,
    palette: &Palette,
    edge: &EdgeShape<'_>,
    live: Option<&LiveView>,
    selected: Option<&str>,
    hovered: bool,
) {
    let width = match live {
        Some(_) => edge_width(edge_throughput(edge, live)),
        None => 1.5,
    };
    let mut color = palette.edge_color(edge.kind);
    if hovered {
        color = palette.text;
    } else if edge.involves(selected) {
        color = palette.selection;
    } else if selected.is_some() {
        color = color.gamma_multiply(0.4);
    }
    let stroke = Stroke::new(width, color);

    // The line stops inside the arrowhead, so that a wide line does not show past its tip.
    let arrow_length = 7.0 + 1.5 * width;
    let tip = edge.points[edge.points.len() - 1];
    let base = edge.point_at(1.0 - arrow_length / edge.length());
    let direction = (tip - base).normalized();
    let mut path = edge.points.clone();
    let path_end = tip - direction * arrow_length * 0.6;
    while path.len() > 2 && path[path.len() - 2].distance(tip) < arrow_length * 0.6 {
        path.pop();
    }
    let last = path.len() - 1;
    path[last] = path_end;

    if edge.kind.is_synchronous() {
        painter.line(path, stroke);
    } else {
        painter.extend(Shape::dashed_line(&path, stroke, 7.0, 4.0));
    }
    if direction.is_finite() && direction != Vec2::ZERO {
        let normal = direction.rot90() * (3.5 + width);
        let back = tip - direction * arrow_length;
        painter.add(Shape::convex_polygon(
            vec![tip, back + normal, back - normal],
            color,
            Stroke::NONE,
        ));
    }
}

/// Returns the index in `edges` of the edge nearest to the pointer, if the pointer is on
/// the canvas, over no node, and within a few screen points of that edge.
pub(super) fn hovered_edge_index(
    ui: &Ui,
    to_screen: Option<TSTransform>,
    topology: &Topology,
    edges: &[EdgeShape<'_>],
) -> Option<usize> {
    let to_screen = to_screen?;
    // The canvas's own response is hovered only where no other layer covers it, and it
    // reports the pointer in canvas units.
    let pointer = ui.response().hover_pos()?;
    if topology.node_at(pointer).is_some() {
        return None;
    }
    let max_distance = EDGE_HOVER_DISTANCE / to_screen.scaling;
    edges
        .iter()
        .enumerate()
        .map(|(index, edge)| (index, edge.distance_to(pointer)))
        .filter(|&(_, distance)| distance <= max_distance)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(index, _)| index)
}

pub(super) fn edge_tooltip_ui(ui: &mut Ui, edge: &EdgeShape<'_>, live: Option<&EdgeLive>) {
    // The default fonts have no arrow glyph.
    ui.strong(format!("{} -> {}", edge.from.name, edge.to.name));
    egui::Grid::new("topology-edge-tooltip")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("kind");
            ui.label(edge.kind.label());
            ui.end_row();
            let Some(live) = live else {
                return;
            };
            ui.label("throughput");
            ui.label(format!("{:.1}/s", finite_or_zero(live.throughput_per_s)));
            ui.end_row();
            ui.label("error rate");
            ui.label(format_percent(live.error_rate));
            ui.end_row();
            if live.breakers > 0 {
                ui.label("circuit breakers");
                ui.label(format!(
                    "{} open, {} half-open of {}",
                    live.breakers_open, live.breakers_half_open, live.breakers
                ));
                ui.end_row();
            }
        });
}

/// Draws the dots moving along an edge.
///
/// The phase counts the dots emitted so far. Dots travel at a constant speed, so a dot
/// emitted `k` dots ago has covered `k / (rate × travel time)` of the edge.
pub(super) fn dots_ui(
    painter: &Painter,
    palette: &Palette,
    edge: &EdgeShape<'_>,
    live: Option<&LiveView>,
    phases: &BTreeMap<(String, String), f64>,
) {
    let rate = dot_rate(edge_throughput(edge, live));
    let Some(&phase) = phases.get(&(edge.from.name.clone(), edge.to.name.clone())) else {
        return;
    };
    let travel_s = edge.length() / DOT_SPEED;
    let gap = 1.0 / (rate * travel_s);
    if rate <= 0.0 || !gap.is_finite() {
        return;
    }
    let color = palette.dot.gamma_multiply(0.85);
    let mut fraction = phase.fract() as f32 * gap;
    let mut drawn = 0;
    // All dots of the edge go into one mesh of small diamonds: four vertices a dot,
    // where a tessellated circle takes several times as many, and busy graphs draw
    // hundreds of dots a frame.
    let mut mesh = egui::Mesh::default();
    while fraction < 1.0 && drawn < MAX_DOTS_PER_EDGE {
        let center = edge.point_at(fraction);
        let first = mesh.vertices.len() as u32;
        for offset in [
            vec2(0.0, -DOT_RADIUS),
            vec2(DOT_RADIUS, 0.0),
            vec2(0.0, DOT_RADIUS),
            vec2(-DOT_RADIUS, 0.0),
        ] {
            mesh.colored_vertex(center + offset, color);
        }
        mesh.add_triangle(first, first + 1, first + 2);
        mesh.add_triangle(first, first + 2, first + 3);
        fraction += gap;
        drawn += 1;
    }
    if !mesh.is_empty() {
        painter.add(Shape::mesh(mesh));
    }
}

/// Draws the error badge of an edge whose error rate is above the threshold.
pub(super) fn edge_badge_ui(
    painter: &Painter,
    palette: &Palette,
    edge: &EdgeShape<'_>,
    live: Option<&LiveView>,
) {
    let Some(edge_live) = edge_live(edge, live) else {
        return;
    };
    if finite_or_zero(edge_live.error_rate) > ERROR_BADGE_THRESHOLD {
        badge_ui(
            painter,
            palette,
            edge.point_at(0.5),
            &format_percent(edge_live.error_rate),
        );
    }
    if let Some((text, fill)) = crate::ui::breakers::marker(
        edge_live.breakers,
        edge_live.breakers_open,
        edge_live.breakers_half_open,
    ) {
        // Nearer the caller than the error badge, so that both can show.
        let center = edge.point_at(0.25);
        let galley = painter.layout_no_wrap(text, FontId::proportional(11.0), Color32::WHITE);
        let rect = Rect::from_center_size(center, galley.size() + vec2(10.0, 4.0));
        painter.rect_filled(rect, CornerRadius::same(8), fill);
        painter.galley(rect.center() - galley.size() / 2.0, galley, Color32::WHITE);
    }
}

/// Draws a red badge with white text centered on `center`.
pub(super) fn badge_ui(painter: &Painter, palette: &Palette, center: Pos2, text: &str) {
    let galley = painter.layout_no_wrap(
        text.to_owned(),
        FontId::proportional(11.0),
        palette.badge_text,
    );
    let rect = Rect::from_center_size(center, galley.size() + vec2(10.0, 4.0));
    painter.rect_filled(rect, CornerRadius::same(8), palette.badge_fill);
    painter.galley(
        rect.center() - galley.size() / 2.0,
        galley,
        palette.badge_text,
    );
}
