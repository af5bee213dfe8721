//! Live plots of the run: throughput and goodput, latency percentiles, backlog and
//! errors, for the whole system in the bottom panel and for the selected node in its
//! side panel.
//!
//! The plots show the whole run, downsampled to a minimum and a maximum for every two
//! pixel columns, so one point per pixel and no spike lost. They follow the latest
//! simulated time until the user pans or zooms, and follow again after a double click
//! or "Follow latest". The plots of one panel share their time axis. A new run, a new
//! duration or another node starts them again from a view that follows and fits.

use std::collections::BTreeMap;

use egui::ecolor::Hsva;
use egui::{Color32, Id, Rangef, Ui, Vec2, vec2};
use egui_plot::{
    AxisHints, GridInput, GridMark, Line, LineStyle, Plot, PlotPoints, Points, Span, VLine,
    uniform_grid_spacer,
};

use crate::engine::sim::FaultInterval;
use crate::metrics::recorder::ErrorKind;

use super::driver::EntityKind;
use super::fault_timeline::kind_color;
use super::history::{Row, RunHistory};

/// Width of the plots' lines, in points; also the radius of a lone point.
const LINE_WIDTH: f32 = 1.5;

/// Narrowest plot for which four fit side by side, in points.
const MIN_PLOT_WIDTH: f32 = 300.0;

/// Queues drawn one by one in the system's backlog plot; deeper ones come first, and
/// the rest add up into one line.
const MAX_BACKLOG_QUEUES: usize = 5;

/// Spacing of grid lines, in points, from which they fade in and at which they are
/// fully drawn: `egui_plot` 0.38's default, set on every plot because [`grid_steps`]
/// converts the steps that `egui_plot` derives from it back to points.
const GRID_SPACING: Rangef = Rangef {
    min: 8.0,
    max: 300.0,
};

/// Spacing of axis labels, in points, on the x and the y axis. `egui_plot` draws no label
/// closer than the first value to the next and fades labels in up to the second.
/// [`grid_steps`] aims at the middle, where a label shows at about 70 % opacity.
#[derive(Clone, Copy)]
struct LabelSpacing {
    x: Rangef,
    y: Rangef,
}

/// Label spacing of the system's plots: `egui_plot` 0.38's default.
const WIDE_LABELS: LabelSpacing = LabelSpacing {
    x: Rangef {
        min: 60.0,
        max: 80.0,
    },
    y: Rangef {
        min: 20.0,
        max: 30.0,
    },
};

/// Label spacing of a node's plots in its side panel, which are narrow and low.
const COMPACT_LABELS: LabelSpacing = LabelSpacing {
    x: Rangef {
        min: 40.0,
        max: 60.0,
    },
    y: Rangef {
        min: 14.0,
        max: 24.0,
    },
};

/// Smallest height of a plot, in points, below its title and legend. A low panel gets
/// low plots rather than plots that push it taller.
const MIN_PLOT_HEIGHT: f32 = 24.0;

/// Height of one plot of a node in its side panel, in points, below its title and legend.
const NODE_PLOT_HEIGHT: f32 = 120.0;

/// The subject of a set of plots: the run, its duration and the node, if any. When it
/// changes, the plots drop their pan and zoom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Subject {
    run: u64,
    duration_ns: u64,
    node: Option<usize>,
}

/// View state of one panel's plots.
#[derive(Clone, Debug, Default)]
pub struct PlotsView {
    /// The subject drawn in the last frame.
    subject: Option<Subject>,
    /// The bounds of each plot in the last frame, by title: x from and to in s, then y.
    bounds: BTreeMap<&'static str, [[f64; 2]; 2]>,
    /// The area of each plot on screen in the last frame, by title, without its axes.
    frames: BTreeMap<&'static str, egui::Rect>,
    /// Whether the time axis followed the latest time in the last frame.
    following: bool,
    /// Set by "Follow latest"; applied to every plot in the next frame.
    follow_requested: bool,
    /// Points drawn per plot title in the last frame.
    drawn_points: BTreeMap<&'static str, usize>,
    /// Height of the tallest title and legend in the last frame, in points; every plot's
    /// header takes it, so that the plots line up.
    header_height: f32,
    /// Bars of the fault timeline drawn in the last frame.
    timeline_bars: usize,
}

impl PlotsView {
    /// Returns the points that the plot titled `title` drew in the last frame, over all
    /// its lines.
    #[must_use]
    pub fn drawn_points(&self, title: &str) -> usize {
        self.drawn_points.get(title).copied().unwrap_or(0)
    }

    /// Returns the number of bars the fault timeline drew in the last frame.
    #[must_use]
    pub fn timeline_bars(&self) -> usize {
        self.timeline_bars
    }

    /// Returns whether the time axis follows the latest simulated time.
    #[must_use]
    pub fn is_following(&self) -> bool {
        self.following
    }

    /// Returns the x range (simulated s) and the y range that the plot titled `title`
    /// showed in the last frame.
    #[must_use]
    pub fn bounds(&self, title: &str) -> Option<[[f64; 2]; 2]> {
        self.bounds.get(title).copied()
    }

    /// Returns where the plot titled `title` drew its lines in the last frame, in screen
    /// points. Its axis labels lie outside that area, below it and to its left.
    #[must_use]
    pub fn frame(&self, title: &str) -> Option<egui::Rect> {
        self.frames.get(title).copied()
    }

    /// Records that the plots show `subject` in this frame, and returns whether it
    /// differs from the last frame's, so that the plots start again.
    fn show(&mut self, subject: Option<Subject>) -> bool {
        let changed = subject.is_some() && subject != self.subject;
        self.subject = subject;
        changed
    }
}

/// Returns the subject of plots of `history` about the entity `node`, or about the
/// system when it is `None`.
fn subject(history: &RunHistory, node: Option<usize>) -> Option<Subject> {
    history.status().map(|status| Subject {
        run: status.run,
        duration_ns: status.duration_ns,
        node,
    })
}

/// The value of one line in one row; `None` leaves a gap.
type Value<'a> = Box<dyn Fn(&Row) -> Option<f64> + 'a>;

struct LineSpec<'a> {
    name: String,
    value: Value<'a>,
}

impl<'a> LineSpec<'a> {
    fn new(name: impl Into<String>, value: impl Fn(&Row) -> Option<f64> + 'a) -> Self {
        Self {
            name: name.into(),
            value: Box::new(value),
        }
    }
}

struct PlotSpec<'a> {
    title: &'static str,
    unit: &'static str,
    lines: Vec<LineSpec<'a>>,
}

/// Titles of the four plots, in display order.
pub const TITLES: [&str; 4] = ["Throughput", "Latency", "Backlog", "Errors"];

/// Title of the plot of an autoscaled service's ready replicas, shown only for such a
/// service.
pub const REPLICAS_TITLE: &str = "Replicas";

/// Draws the header and the four plots of the whole system into the whole of `ui`, with
/// the fault timeline under them.
pub fn system_plots_ui(ui: &mut Ui, view: &mut PlotsView, history: &RunHistory) {
    let reset = view.show(subject(history, None));
    header_ui(ui, view, true);
    let specs = system_specs(history);

    let timeline = history
        .status()
        .map_or(&[][..], |status| status.fault_timeline.as_slice());
    let timeline_height = super::fault_timeline::timeline_height(timeline);
    let mut available = ui.available_size();
    let spacing = ui.spacing().item_spacing;
    if timeline_height > 0.0 {
        available.y = (available.y - timeline_height - spacing.y).max(0.0);
    }
    let columns = if available.x >= 4.0 * MIN_PLOT_WIDTH {
        4
    } else {
        2
    };
    let grid_rows = specs.len().div_ceil(columns);
    // A tiny window leaves less than nothing after the spacing, which egui rejects.
    let cell = vec2(
        (available.x - spacing.x * (columns - 1) as f32) / columns as f32,
        (available.y - spacing.y * (grid_rows.saturating_sub(1)) as f32) / grid_rows as f32,
    )
    .max(Vec2::ZERO);
    let frame = PlotFrame::new(
        history,
        view,
        reset,
        ui.make_persistent_id("plots-time-axis"),
        "plot",
    );
    let mut drawn_plots = Vec::new();
    for chunk in specs.chunks(columns) {
        ui.horizontal(|ui| {
            for spec in chunk {
                ui.allocate_ui(cell, |ui| {
                    let height = None;
                    drawn_plots.push((spec.title, plot_ui(ui, spec, &frame, height)));
                });
            }
        });
    }
    view.record(drawn_plots);
    if timeline_height > 0.0 {
        view.timeline_bars = super::fault_timeline::timeline_ui(
            ui,
            timeline,
            frame.now_s,
            frame.link,
            timeline_height,
        );
    } else {
        view.timeline_bars = 0;
    }
}

/// Draws the plots of the node called `name` one under the other, each
/// [`NODE_PLOT_HEIGHT`] high, as in its side panel. A node that the run has no figures
/// for gets a note instead.
pub fn node_plots_ui(ui: &mut Ui, view: &mut PlotsView, history: &RunHistory, name: &str) {
    let Some(entity) = history.node_entity(name) else {
        ui.weak("No figures for this node in the current run.");
        return;
    };
    let reset = view.show(subject(history, Some(entity)));
    header_ui(ui, view, false);
    let specs = node_specs(history, entity);
    let frame = PlotFrame::new(
        history,
        view,
        reset,
        ui.make_persistent_id("node-plots-time-axis"),
        "node-plot",
    );
    let mut drawn_plots = Vec::new();
    for spec in &specs {
        drawn_plots.push((
            spec.title,
            plot_ui(ui, spec, &frame, Some(NODE_PLOT_HEIGHT)),
        ));
    }
    view.record(drawn_plots);
}

/// Shows how the plots follow the latest time, or a button that makes them follow again.
/// The system's header also explains the dashed line and the gestures, which a node's
/// narrow panel has no room for.
fn header_ui(ui: &mut Ui, view: &mut PlotsView, system: bool) {
    ui.horizontal_wrapped(|ui| {
        if system {
            ui.strong("System");
            ui.weak("Dashed line: end of the warm-up.");
        }
        if view.following && system {
            ui.weak("Following the latest time; drag to pan, scroll or pinch to zoom");
        } else if view.following {
            ui.weak("Following the latest time");
        } else if ui
            .button("Follow latest")
            .on_hover_text("Show the whole run and keep up with it (or double-click a plot)")
            .clicked()
        {
            view.follow_requested = true;
        }
    });
}

/// Returns the end of the run's first time-series window, in seconds, or 1 s before a
/// run exists. Time axes span at least this much, so that an empty run's axes start at
/// 0 s rather than around it.
#[must_use]
pub fn first_window_s(history: &RunHistory) -> f64 {
    history
        .info()
        .map_or(1.0, |info| info.config.window.as_secs_f64())
}

/// The settings and data that the plots of one panel share in a frame.
struct PlotFrame<'a> {
    rows: &'a [Row],
    /// The group whose time axis and cursor the plots share.
    link: Id,
    /// The first part of each plot's id, which the title completes.
    id: &'static str,
    /// Whether the plots follow the latest time from this frame on.
    follow: bool,
    /// Whether the plots drop their pan, zoom and memory in this frame.
    reset: bool,
    /// End of the warm-up, simulated s.
    warmup_s: f64,
    /// End of the first time-series window, simulated s, which every time axis reaches.
    window_s: f64,
    timeline: &'a [FaultInterval],
    /// Current simulated time, s, at which an interval still active ends.
    now_s: f64,
    /// Height that every plot's title and legend take, in points, so that plots side
    /// by side line up.
    header_height: f32,
}

impl<'a> PlotFrame<'a> {
    fn new(
        history: &'a RunHistory,
        view: &mut PlotsView,
        reset: bool,
        link: Id,
        id: &'static str,
    ) -> Self {
        let follow = std::mem::take(&mut view.follow_requested) || reset;
        Self {
            rows: history.rows(),
            link,
            id,
            follow,
            reset,
            warmup_s: history
                .info()
                .map_or(0.0, |info| info.config.warmup.as_secs_f64()),
            window_s: first_window_s(history),
            timeline: history
                .status()
                .map_or(&[][..], |status| status.fault_timeline.as_slice()),
            now_s: history
                .status()
                .map_or(0.0, |status| status.now_ns as f64 / 1e9),
            header_height: view.header_height,
        }
    }
}

impl PlotsView {
    /// Keeps what the plots drew in this frame, by title.
    fn record(&mut self, drawn_plots: Vec<(&'static str, Drawn)>) {
        let mut following = true;
        let mut header_height: f32 = 0.0;
        self.bounds.clear();
        self.frames.clear();
        for (title, drawn) in drawn_plots {
            self.drawn_points.insert(title, drawn.points);
            self.bounds.insert(title, drawn.bounds);
            self.frames.insert(title, drawn.frame);
            following &= drawn.following;
            header_height = header_height.max(drawn.header_height);
        }
        self.following = following;
        self.header_height = header_height;
    }
}

/// What one plot drew in a frame.
struct Drawn {
    points: usize,
    /// Whether its time axis follows the data.
    following: bool,
    /// Height that its title and legend needed, in points.
    header_height: f32,
    /// The x range and the y range shown.
    bounds: [[f64; 2]; 2],
    /// The plot's area on screen, without its axes.
    frame: egui::Rect,
}

/// Draws one plot below a header at least `frame.header_height` points high: `height`
/// points high, or filling `ui` when it is `None`. A plot of a fixed height sits in a
/// scrolling panel, so the mouse wheel scrolls the panel rather than the plot. The
/// plot shades the intervals of the fault timeline in the colour of their kind.
fn plot_ui(ui: &mut Ui, spec: &PlotSpec<'_>, frame: &PlotFrame<'_>, height: Option<f32>) -> Drawn {
    ui.vertical(|ui| {
        let header = ui.scope(|ui| legend_ui(ui, spec)).response.rect.height();
        if header < frame.header_height {
            ui.add_space(frame.header_height - header);
        }
        let plot_height = height
            .unwrap_or_else(|| ui.available_height())
            .max(MIN_PLOT_HEIGHT);
        // A compact plot labels its axes at closer steps than a wide one, which would
        // leave a narrow plot with only its zeros.
        let labels = if height.is_some() {
            COMPACT_LABELS
        } else {
            WIDE_LABELS
        };
        let mut plot = Plot::new((frame.id, spec.title))
            .height(plot_height)
            .width(ui.available_width())
            .link_axis(frame.link, [true, false])
            .link_cursor(frame.link, [true, false])
            .allow_scroll(height.is_none())
            .include_x(0.0)
            .include_x(frame.window_s)
            // No margin left and right of the time, so that the axis starts at 0 s.
            .set_margin_fraction(vec2(0.0, 0.05))
            .include_y(0.0)
            .include_y(1.0)
            .grid_spacing(GRID_SPACING)
            .x_grid_spacer(uniform_grid_spacer(move |input| {
                grid_steps(&input, labels.x.center())
            }))
            .y_grid_spacer(uniform_grid_spacer(move |input| {
                grid_steps(&input, labels.y.center())
            }))
            .custom_x_axes(vec![
                AxisHints::new_x()
                    .formatter(|mark, _| format!("{} s", format_mark(mark)))
                    .label_spacing(labels.x),
            ])
            .custom_y_axes(vec![
                AxisHints::new_y()
                    .formatter(|mark, _| format_mark(mark))
                    .min_thickness(36.0)
                    .label_spacing(labels.y),
            ]);
        if frame.reset {
            plot = plot.reset();
        }
        let response = plot.show(ui, |plot_ui| {
            if frame.follow {
                plot_ui.set_auto_bounds(true);
            }
            let auto = plot_ui.auto_bounds().x;
            let range = (!auto).then(|| {
                let bounds = plot_ui.plot_bounds();
                (bounds.min()[0], bounds.max()[0])
            });
            // A minimum and a maximum for every two pixels: one point per pixel, and
            // no spike lost.
            let columns = (plot_ui.response().rect.width() / 2.0).max(1.0) as usize;
            let mut drawn = 0;
            for (index, line) in spec.lines.iter().enumerate() {
                // One line per run of rows with a value, so that no line crosses
                // rows without one, such as windows without completed requests.
                let segments = downsample(frame.rows, range, columns, &line.value);
                for (segment_index, points) in segments.into_iter().enumerate() {
                    drawn += points.len();
                    let id = (index, segment_index);
                    if let [point] = points[..] {
                        // A lone value between two gaps: a dot, as a line of one
                        // point draws nothing.
                        plot_ui.points(
                            Points::new(line.name.clone(), PlotPoints::new(vec![point]))
                                .id(id)
                                .color(line_color(index))
                                .radius(LINE_WIDTH),
                        );
                    } else {
                        plot_ui.line(
                            Line::new(line.name.clone(), PlotPoints::new(points))
                                .id(id)
                                .color(line_color(index))
                                .width(LINE_WIDTH),
                        );
                    }
                }
            }
            for interval in frame.timeline {
                let start_s = interval.start_ns as f64 / 1e9;
                let end_s = interval.end_ns.map_or(frame.now_s, |end| end as f64 / 1e9);
                // Unnamed, so that the span draws no label over the lines; the bars
                // of the timeline below the plots name the faults.
                plot_ui.span(
                    Span::new("", start_s..=end_s.max(start_s))
                        .fill(kind_color(interval.kind).gamma_multiply(0.12))
                        .border_width(0.0),
                );
            }
            if frame.warmup_s > 0.0 {
                // Unnamed, so that it has no legend entry covering the lines; the
                // header explains it.
                plot_ui.vline(
                    VLine::new("", frame.warmup_s)
                        .style(LineStyle::dashed_loose())
                        .color(ui_weak_color(plot_ui.ctx())),
                );
            }
            (drawn, auto)
        });
        let (points, following) = response.inner;
        let shown = response.transform.bounds();
        Drawn {
            points,
            following,
            header_height: header,
            frame: *response.transform.frame(),
            bounds: [
                [shown.min()[0], shown.max()[0]],
                [shown.min()[1], shown.max()[1]],
            ],
        }
    })
    .inner
}

/// Picks the colour of the line at `index` of a plot. Hues lie a golden ratio apart,
/// so that neighbouring lines differ clearly.
fn line_color(index: usize) -> Color32 {
    let hue = (index as f32 * 0.618_034 + 0.05).fract();
    Hsva::new(hue, 0.75, 0.85, 1.0).into()
}

/// Draws the title with the unit, and the legend, above a plot; the legend sits outside
/// the plot so that it never covers a line.
fn legend_ui(ui: &mut Ui, spec: &PlotSpec<'_>) {
    ui.label(egui::RichText::new(format!("{} ({})", spec.title, spec.unit)).strong());
    // One wrapped label, because egui cannot wrap a row of separate widgets by their
    // widths. No-break spaces keep each swatch and its name on one line.
    let small = egui::TextStyle::Small.resolve(ui.style());
    let text_color = ui.visuals().text_color();
    let mut job = egui::text::LayoutJob::default();
    for (index, line) in spec.lines.iter().enumerate() {
        let swatch = egui::TextFormat::simple(small.clone(), line_color(index));
        job.append("\u{2014}\u{a0}", 0.0, swatch);
        let name = egui::TextFormat::simple(small.clone(), text_color);
        job.append(
            &format!("{}   ", line.name.replace(' ', "\u{a0}")),
            0.0,
            name,
        );
    }
    job.wrap.max_width = ui.available_width();
    ui.add(egui::Label::new(job).wrap());
}

fn ui_weak_color(ctx: &egui::Context) -> egui::Color32 {
    ctx.global_style().visuals.weak_text_color()
}

/// Splits a series at its gaps: each run of values without a `None` between them
/// becomes one segment, in order, and the gaps themselves are dropped.
#[must_use]
pub fn split_at_gaps(points: impl IntoIterator<Item = Option<[f64; 2]>>) -> Vec<Vec<[f64; 2]>> {
    let mut segments = Vec::new();
    let mut current = Vec::new();
    for point in points {
        match point {
            Some(point) => current.push(point),
            None if current.is_empty() => {}
            None => segments.push(std::mem::take(&mut current)),
        }
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

/// Collects the points of `value` over the rows within `range` (all rows when `None`),
/// with at most one minimum and one maximum per pixel column, in time order, as
/// segments split where `value` is `None`: a line must not join the values on either
/// side of rows without one, such as a latency percentile across windows without
/// completed requests. One row beyond each end of the range is kept so that lines run
/// to the plot's edges.
pub fn downsample(
    rows: &[Row],
    range: Option<(f64, f64)>,
    columns: usize,
    value: impl Fn(&Row) -> Option<f64>,
) -> Vec<Vec<[f64; 2]>> {
    let visible = match range {
        Some((low, high)) => {
            let first = rows
                .partition_point(|row| row.end_s() < low)
                .saturating_sub(1);
            let last = (rows.partition_point(|row| row.end_s() <= high) + 1).min(rows.len());
            &rows[first..last.max(first)]
        }
        None => rows,
    };
    let segments = split_at_gaps(
        visible
            .iter()
            .map(|row| value(row).map(|y| [row.end_s(), y])),
    );
    let columns = columns.max(1);
    if visible.len() <= 2 * columns {
        return segments;
    }
    let (Some(first), Some(last)) = (visible.first(), visible.last()) else {
        return Vec::new();
    };
    // The columns are those of the whole visible range, shared by every segment.
    let start = first.end_s();
    let column_width = (last.end_s() - start) / columns as f64;
    segments
        .into_iter()
        .map(|segment| min_max_per_column(segment, start, column_width))
        .collect()
}

/// Keeps the lowest and the highest point of each column of `column_width` from
/// `start`, in time order.
fn min_max_per_column(points: Vec<[f64; 2]>, start: f64, column_width: f64) -> Vec<[f64; 2]> {
    let mut output = Vec::with_capacity(points.len().min(1024));
    let mut bucket: Option<(usize, [f64; 2], [f64; 2])> = None;
    let flush = |output: &mut Vec<[f64; 2]>, low: [f64; 2], high: [f64; 2]| {
        if low == high {
            output.push(low);
        } else if low[0] <= high[0] {
            output.extend([low, high]);
        } else {
            output.extend([high, low]);
        }
    };
    for point in points {
        let column = ((point[0] - start) / column_width) as usize;
        match &mut bucket {
            Some((current, low, high)) if *current == column => {
                if point[1] < low[1] {
                    *low = point;
                }
                if point[1] > high[1] {
                    *high = point;
                }
            }
            _ => {
                if let Some((_, low, high)) = bucket {
                    flush(&mut output, low, high);
                }
                bucket = Some((column, point, point));
            }
        }
    }
    if let Some((_, low, high)) = bucket {
        flush(&mut output, low, high);
    }
    output
}

/// Returns a latency percentile in ms, or `None` for a row without successes.
fn latency_ms(row: &Row, entity: usize, pick: fn(&super::history::Sample) -> u64) -> Option<f64> {
    let sample = row.samples.get(entity)?;
    (sample.successes > 0).then(|| pick(sample) as f64 / 1e6)
}

fn percentile_lines<'a>(entity: usize, suffix: &str) -> Vec<LineSpec<'a>> {
    vec![
        LineSpec::new(format!("p50{suffix}"), move |row| {
            latency_ms(row, entity, |s| s.p50_ns)
        }),
        LineSpec::new(format!("p95{suffix}"), move |row| {
            latency_ms(row, entity, |s| s.p95_ns)
        }),
        LineSpec::new(format!("p99{suffix}"), move |row| {
            latency_ms(row, entity, |s| s.p99_ns)
        }),
    ]
}

/// Error kinds that occur anywhere in the run for any of `entities`.
fn occurring_kinds(history: &RunHistory, entities: &[usize]) -> Vec<ErrorKind> {
    ErrorKind::ALL
        .into_iter()
        .filter(|kind| {
            history.rows().iter().any(|row| {
                entities
                    .iter()
                    .any(|&e| row.samples.get(e).is_some_and(|s| s.errors_of(*kind) > 0))
            })
        })
        .collect()
}

fn error_lines<'a>(history: &RunHistory, entities: Vec<usize>) -> Vec<LineSpec<'a>> {
    let kinds = occurring_kinds(history, &entities);
    if kinds.is_empty() {
        return vec![LineSpec::new("failures", move |row: &Row| {
            let total: u64 = entities
                .iter()
                .filter_map(|&e| row.samples.get(e))
                .map(super::history::Sample::failures)
                .sum();
            Some(row.per_second(total))
        })];
    }
    kinds
        .into_iter()
        .map(|kind| {
            let entities = entities.clone();
            LineSpec::new(kind.name(), move |row: &Row| {
                let total: u64 = entities
                    .iter()
                    .filter_map(|&e| row.samples.get(e))
                    .map(|s| s.errors_of(kind))
                    .sum();
                Some(row.per_second(total))
            })
        })
        .collect()
}

/// Builds the value of a line: the sum of `count` over `entities` in a row, per second.
fn rate_of(
    entities: Vec<usize>,
    count: fn(&super::history::Sample) -> u64,
) -> impl Fn(&Row) -> Option<f64> {
    move |row| {
        let total: u64 = entities
            .iter()
            .filter_map(|&e| row.samples.get(e))
            .map(count)
            .sum();
        Some(row.per_second(total))
    }
}

/// Splits `queues` into the [`MAX_BACKLOG_QUEUES`] deepest over the run, in their
/// original order, and the entity indices of the rest.
fn deepest_queues(
    history: &RunHistory,
    queues: Vec<(usize, String)>,
) -> (Vec<(usize, String)>, Vec<usize>) {
    if queues.len() <= MAX_BACKLOG_QUEUES {
        return (queues, Vec::new());
    }
    let deepest = |entity: usize| {
        history
            .rows()
            .iter()
            .filter_map(|row| row.samples.get(entity).map(|s| row.mean(s.in_flight_ns)))
            .fold(0.0, f64::max)
    };
    let mut ranked: Vec<(f64, usize)> = queues
        .iter()
        .enumerate()
        .map(|(position, (entity, _))| (deepest(*entity), position))
        .collect();
    // Deepest first; equal depths keep file order, so the choice is stable.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut shown: Vec<usize> = ranked
        .iter()
        .take(MAX_BACKLOG_QUEUES)
        .map(|(_, position)| *position)
        .collect();
    shown.sort_unstable();
    let mut kept = Vec::new();
    let mut rest = Vec::new();
    for (position, queue) in queues.into_iter().enumerate() {
        if shown.contains(&position) {
            kept.push(queue);
        } else {
            rest.push(queue.0);
        }
    }
    (kept, rest)
}

fn system_specs(history: &RunHistory) -> Vec<PlotSpec<'static>> {
    let clients: Vec<(usize, String)> = history
        .entities_where(|kind| matches!(kind, EntityKind::Client { .. }))
        .map(|(index, name)| (index, name.to_owned()))
        .collect();
    let client_indices: Vec<usize> = clients.iter().map(|(index, _)| *index).collect();
    let queues: Vec<(usize, String)> = history
        .entities_where(|kind| matches!(kind, EntityKind::Queue { .. }))
        .map(|(index, name)| (index, name.to_owned()))
        .collect();
    let services: Vec<usize> = history
        .entities_where(|kind| matches!(kind, EntityKind::Service { .. }))
        .map(|(index, _)| index)
        .collect();

    let throughput = vec![
        LineSpec::new("offered", rate_of(client_indices.clone(), |s| s.offered)),
        LineSpec::new(
            "throughput",
            rate_of(client_indices.clone(), |s| s.completed),
        ),
        LineSpec::new("goodput", rate_of(client_indices.clone(), |s| s.successes)),
    ];

    // The percentiles of all clients' requests, from their histograms merged by the
    // engine: percentiles of separate clients cannot be averaged into these.
    let latency = history
        .entities_where(|kind| matches!(kind, EntityKind::AllClients))
        .next()
        .map_or_else(Vec::new, |(index, _)| percentile_lines(index, ""));

    let (queues, other_queues) = deepest_queues(history, queues);
    let mut backlog: Vec<LineSpec<'static>> = queues
        .into_iter()
        .map(|(index, name)| {
            LineSpec::new(format!("{name} depth"), move |row: &Row| {
                row.samples
                    .get(index)
                    .map(|sample| row.mean(sample.in_flight_ns))
            })
        })
        .collect();
    if !other_queues.is_empty() {
        let name = format!("{} other queues", other_queues.len());
        backlog.push(LineSpec::new(name, move |row: &Row| {
            let total: f64 = other_queues
                .iter()
                .filter_map(|&e| row.samples.get(e))
                .map(|s| row.mean(s.in_flight_ns))
                .sum();
            Some(total)
        }));
    }
    backlog.push(LineSpec::new("in services", move |row: &Row| {
        let total: f64 = services
            .iter()
            .filter_map(|&e| row.samples.get(e))
            .map(|s| row.mean(s.in_flight_ns))
            .sum();
        Some(total)
    }));

    vec![
        PlotSpec {
            title: TITLES[0],
            unit: "requests/s",
            lines: throughput,
        },
        PlotSpec {
            title: TITLES[1],
            unit: "ms, end to end",
            lines: latency,
        },
        PlotSpec {
            title: TITLES[2],
            unit: "requests or messages",
            lines: backlog,
        },
        PlotSpec {
            title: TITLES[3],
            unit: "per second",
            lines: error_lines(history, client_indices),
        },
    ]
}

fn node_specs(history: &RunHistory, entity: usize) -> Vec<PlotSpec<'static>> {
    let is_queue = matches!(history.kind(entity), Some(EntityKind::Queue { .. }));
    let is_service = matches!(history.kind(entity), Some(EntityKind::Service { .. }));
    let mean_of = move |pick: fn(&super::history::Sample) -> f64| {
        move |row: &Row| row.samples.get(entity).map(|s| row.mean(pick(s)))
    };

    let throughput = if is_queue {
        vec![
            LineSpec::new("published", rate_of(vec![entity], |s| s.offered)),
            LineSpec::new("consumed", rate_of(vec![entity], |s| s.successes)),
        ]
    } else {
        vec![
            LineSpec::new("arrivals", rate_of(vec![entity], |s| s.offered)),
            LineSpec::new("throughput", rate_of(vec![entity], |s| s.completed)),
            LineSpec::new("goodput", rate_of(vec![entity], |s| s.successes)),
        ]
    };

    let mut latency = percentile_lines(entity, "");
    if is_queue {
        latency.push(LineSpec::new("oldest message age", move |row: &Row| {
            row.samples
                .get(entity)
                .map(|s| s.oldest_age_ns as f64 / 1e6)
        }));
    }

    let backlog = if is_queue {
        vec![
            LineSpec::new("depth", mean_of(|s| s.in_flight_ns)),
            LineSpec::new("in handling", mean_of(|s| s.busy_ns)),
        ]
    } else if is_service {
        vec![
            LineSpec::new("in flight", mean_of(|s| s.in_flight_ns)),
            LineSpec::new(
                "waiting",
                mean_of(|s| (s.in_flight_ns - s.busy_ns).max(0.0)),
            ),
        ]
    } else {
        vec![LineSpec::new("in flight", mean_of(|s| s.in_flight_ns))]
    };

    let (throughput_unit, backlog_unit) = if is_queue {
        ("messages/s", "messages")
    } else {
        ("requests/s", "requests")
    };
    let autoscaled = is_service
        && history
            .rows()
            .iter()
            .any(|row| row.samples.get(entity).is_some_and(|s| s.replicas_ns > 0.0));
    let mut specs = vec![
        PlotSpec {
            title: TITLES[0],
            unit: throughput_unit,
            lines: throughput,
        },
        PlotSpec {
            title: TITLES[1],
            unit: "ms",
            lines: latency,
        },
        PlotSpec {
            title: TITLES[2],
            unit: backlog_unit,
            lines: backlog,
        },
        PlotSpec {
            title: TITLES[3],
            unit: "per second",
            lines: error_lines(history, vec![entity]),
        },
    ];
    if autoscaled {
        specs.push(PlotSpec {
            title: REPLICAS_TITLE,
            unit: "replicas",
            lines: vec![LineSpec::new("ready", mean_of(|s| s.replicas_ns))],
        });
    }
    specs
}

/// Returns the three steps of an axis's grid marks for labels about `label_points`
/// apart: the label step, the smallest of 1, 2 and 5 times a power of ten that keeps
/// labels that far apart, with a finer step for faint grid lines and a coarser one. Each
/// step is a whole multiple of the one before, so every mark of a coarser step is also a
/// mark of the label step and no two labels crowd each other.
///
/// `egui_plot` 0.38's default steps are powers of ten. They left a plot of 0 to 900
/// requests/s with the single label "0", and the steps 2 and 5 that this function once
/// chose for the time axis put "4 s", "5 s" and "6 s" side by side.
fn grid_steps(input: &GridInput, label_points: f32) -> [f64; 3] {
    let units_per_point = input.base_step_size / f64::from(GRID_SPACING.min);
    let label = round_step(units_per_point * f64::from(label_points));
    let power = 10f64.powf(label.log10().floor());
    if (label / power).round() == 2.0 {
        [label / 2.0, label, label * 5.0]
    } else {
        // For 1 and 5 times a power of ten, a fifth and twice the step are steps of the
        // same kind: 1 gives 0.2 and 2, and 5 gives 1 and 10.
        [label / 5.0, label, label * 2.0]
    }
}

/// Formats the value of a grid mark with as many decimals as its step needs, so that a
/// step of 0.5 reads "0.5" and a step of 0.1 never shows a sum such as
/// 0.30000000000000004.
fn format_mark(mark: GridMark) -> String {
    let decimals = if mark.step_size > 0.0 && mark.step_size.is_finite() {
        (-mark.step_size.log10() - 1e-9).ceil().max(0.0) as usize
    } else {
        0
    };
    format!("{:.*}", decimals, mark.value)
}

/// Returns the smallest of 1, 2 and 5 times a power of ten that is at least `value`.
fn round_step(value: f64) -> f64 {
    if !(value.is_finite() && value > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * power)
        .find(|step| *step >= value * (1.0 - 1e-12))
        .unwrap_or(10.0 * power)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_step_is_one_two_or_five() {
        assert_eq!(round_step(1.0), 1.0);
        assert_eq!(round_step(1.3), 2.0);
        assert_eq!(round_step(2.01), 5.0);
        assert_eq!(round_step(7.0), 10.0);
        assert_eq!(round_step(0.03), 0.05);
        assert_eq!(round_step(0.0), 1.0);
        assert_eq!(round_step(f64::NAN), 1.0);
    }

    /// Returns the steps for labels `label_points` apart on an axis showing
    /// `units_per_point` units per point.
    fn steps_at(units_per_point: f64, label_points: f32) -> [f64; 3] {
        let input = GridInput {
            bounds: (0.0, 1000.0),
            base_step_size: units_per_point * f64::from(GRID_SPACING.min),
        };
        grid_steps(&input, label_points)
    }

    #[test]
    fn grid_steps_nest_around_labels() {
        // 900 requests/s on 140 points, labels 25 points apart: a label every 200.
        assert_eq!(steps_at(900.0 / 140.0, 25.0), [100.0, 200.0, 1000.0]);
        // 110 ms on 95 points, labels 19 points apart: a label every 50.
        assert_eq!(steps_at(110.0 / 95.0, 19.0), [10.0, 50.0, 100.0]);
        // 10 s on 235 points, labels 50 points apart: a label every 5 s, not 2 and 5.
        assert_eq!(steps_at(10.0 / 235.0, 50.0), [1.0, 5.0, 10.0]);
        // 180 s on 270 points, labels 70 points apart: a label every 50 s.
        assert_eq!(steps_at(180.0 / 270.0, 70.0), [10.0, 50.0, 100.0]);
        // 1 s on 100 points: a label every 0.5 s.
        assert_eq!(steps_at(0.01, 40.0), [0.1, 0.5, 1.0]);
        for units_per_point in [1e-4, 0.003, 0.07, 1.0, 2.2, 45.0, 6e5] {
            let steps = steps_at(units_per_point, 24.0);
            let label_points = steps[1] / units_per_point;
            assert!(
                (24.0..=60.0).contains(&label_points),
                "{units_per_point}: labels {label_points} points apart"
            );
            for pair in steps.windows(2) {
                let ratio = pair[1] / pair[0];
                assert!(
                    (ratio - ratio.round()).abs() < 1e-9 && ratio >= 2.0,
                    "{units_per_point}: {steps:?} nest"
                );
            }
        }
    }

    #[test]
    fn marks_show_the_decimals_of_their_step() {
        let mark = |value, step_size| format_mark(GridMark { value, step_size });
        assert_eq!(mark(0.5, 0.5), "0.5");
        assert_eq!(mark(3.0 * 0.1, 0.1), "0.3");
        assert_eq!(mark(0.15, 0.05), "0.15");
        assert_eq!(mark(1.0, 1.0), "1");
        assert_eq!(mark(600.0, 200.0), "600");
        assert_eq!(mark(0.0, 0.0), "0");
    }

    use crate::ui::history::Sample;

    fn rows(count: u64) -> Vec<Row> {
        (0..count)
            .map(|index| Row {
                start_ns: index * 1_000_000_000,
                end_ns: (index + 1) * 1_000_000_000,
                windows: 1,
                samples: vec![Sample {
                    // A spike at row 500 must survive downsampling.
                    offered: if index == 500 { 1000 } else { index % 7 },
                    ..Sample::default()
                }],
            })
            .collect()
    }

    fn offered(row: &Row) -> Option<f64> {
        row.samples.first().map(|sample| sample.offered as f64)
    }

    /// The only segment of a series without gaps.
    fn single(mut segments: Vec<Vec<[f64; 2]>>) -> Vec<[f64; 2]> {
        assert_eq!(segments.len(), 1, "one segment: {segments:?}");
        segments.remove(0)
    }

    #[test]
    fn downsample_keeps_short_series() {
        let rows = rows(10);
        let points = single(downsample(&rows, None, 100, offered));
        assert_eq!(points.len(), 10);
        assert_eq!(points[0], [1.0, 0.0]);
    }

    #[test]
    fn downsample_bounds_points_per_column() {
        let rows = rows(10_000);
        let points = single(downsample(&rows, None, 200, offered));
        assert!(points.len() <= 2 * 201, "{} points", points.len());
        assert!(points.iter().any(|p| p[1] == 1000.0), "the spike is kept");
        assert!(
            points.windows(2).all(|pair| pair[0][0] <= pair[1][0]),
            "time order"
        );
    }

    #[test]
    fn downsample_limits_to_range() {
        let rows = rows(1000);
        let points = single(downsample(&rows, Some((100.0, 200.0)), 1000, offered));
        assert_eq!(points.first().map(|p| p[0]), Some(99.0));
        assert_eq!(points.last().map(|p| p[0]), Some(201.0));
    }

    #[test]
    fn downsample_skips_leading_gap() {
        let rows = rows(10);
        let points = single(downsample(&rows, None, 100, |row| {
            (row.end_ns > 5_000_000_000).then_some(1.0)
        }));
        assert_eq!(points.len(), 5);
    }

    #[test]
    fn split_at_gaps_breaks_the_series() {
        let p = |x: f64| Some([x, x * 10.0]);
        assert_eq!(split_at_gaps([]), Vec::<Vec<[f64; 2]>>::new());
        assert_eq!(split_at_gaps([None, None]), Vec::<Vec<[f64; 2]>>::new());
        assert_eq!(
            split_at_gaps([p(1.0), p(2.0), p(3.0)]),
            vec![vec![[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]]
        );
        assert_eq!(
            split_at_gaps([
                None,
                p(1.0),
                p(2.0),
                None,
                None,
                p(5.0),
                None,
                p(7.0),
                p(8.0),
                None
            ]),
            vec![
                vec![[1.0, 10.0], [2.0, 20.0]],
                vec![[5.0, 50.0]],
                vec![[7.0, 70.0], [8.0, 80.0]],
            ]
        );
    }

    /// Rows of one client whose windows 3 to 5 and 8 have no completed request, as in
    /// an outage.
    fn rows_with_idle_windows(count: u64) -> Vec<Row> {
        (0..count)
            .map(|index| {
                let idle = (3..=5).contains(&index) || index == 8;
                Row {
                    start_ns: index * 1_000_000_000,
                    end_ns: (index + 1) * 1_000_000_000,
                    windows: 1,
                    samples: vec![Sample {
                        successes: if idle { 0 } else { 10 },
                        p50_ns: if idle { 0 } else { 2_000_000 },
                        p95_ns: if idle { 0 } else { 5_000_000 },
                        p99_ns: if idle { 0 } else { 9_000_000 },
                        ..Sample::default()
                    }],
                }
            })
            .collect()
    }

    #[test]
    fn percentile_lines_break_at_windows_without_requests() {
        let rows = rows_with_idle_windows(12);
        for line in percentile_lines(0, "") {
            let segments = downsample(&rows, None, 100, &line.value);
            let ends: Vec<Vec<f64>> = segments
                .iter()
                .map(|segment| segment.iter().map(|p| p[0]).collect())
                .collect();
            assert_eq!(
                ends,
                [vec![1.0, 2.0, 3.0], vec![7.0, 8.0], vec![10.0, 11.0, 12.0]],
                "{}",
                line.name
            );
            assert!(
                segments.iter().flatten().all(|p| p[1] > 0.0),
                "{}: no zero stands in for a missing value",
                line.name
            );
        }
    }

    #[test]
    fn downsampled_lines_break_at_gaps() {
        // 10,000 rows into 50 columns, with a gap of 1,000 rows in the middle: the
        // downsampled line keeps the gap, in a column of its own or not.
        let rows = rows(10_000);
        let segments = downsample(&rows, None, 50, |row| {
            let index = row.start_ns / 1_000_000_000;
            (!(4_000..5_000).contains(&index)).then_some(1.0)
        });
        assert_eq!(segments.len(), 2, "{segments:?}");
        assert!(segments[0].last().is_some_and(|p| p[0] <= 4_000.0));
        assert!(segments[1].first().is_some_and(|p| p[0] >= 5_001.0));
        let total: usize = segments.iter().map(Vec::len).sum();
        assert!(total <= 2 * 52, "{total} points");
    }
}
