//! Headless export of run charts (throughput, latency percentiles, backlog)
//! over simulated time, written as PNG and SVG.
//!
//! Rendering needs no display and no system font lookup: `DejaVu Sans` from
//! `assets/fonts/` is compiled into the binary and registered with the
//! `ab_glyph` text renderer of plotters on first use. The same input gives
//! byte-identical files (a test checks this for both formats), so charts of two
//! runs can be compared as files.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::data::float::pretty_print_float;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

/// Width of both output images, in pixels.
pub const CHART_WIDTH: u32 = 1200;
/// Height of both output images, in pixels.
pub const CHART_HEIGHT: u32 = 600;

/// Description of the x axis, which is simulated time in every chart.
pub const X_AXIS_LABEL: &str = "simulated time (s)";

/// `DejaVu Sans` 2.37 as shipped by the Debian package `fonts-dejavu-core`.
/// Its license is in `assets/fonts/LICENSE-DejaVu.txt`.
pub(crate) static FONT_DATA: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Family name under which the embedded font is registered. plotters looks
/// fonts up by this name, and the SVG output writes it as `font-family`, so an
/// SVG viewer uses its own sans-serif font. Text widths in the viewer can
/// therefore differ slightly from the `DejaVu Sans` widths of the layout.
const FONT_FAMILY: &str = "sans-serif";

/// Coordinates with a larger magnitude are skipped like non-finite ones,
/// because the axis span plus `Y_HEADROOM` must stay finite.
const MAX_ABS_COORDINATE: f64 = f64::MAX / 4.0;

/// Fraction of the data span added above the maximum (and below a negative
/// minimum), so that the highest line does not touch the frame.
const Y_HEADROOM: f64 = 0.05;

// Font sizes in pixels, as plotters measures them.
const TITLE_FONT_SIZE: f64 = 26.0;
const AXIS_DESC_FONT_SIZE: f64 = 18.0;
const TICK_FONT_SIZE: f64 = 15.0;
const LEGEND_FONT_SIZE: f64 = 15.0;

const STROKE_WIDTH: u32 = 2;
/// Radius in pixels of the marker drawn for a line that has a single point.
const MARKER_RADIUS: i32 = 4;

// Legend layout in pixels. The legend is drawn right of the plot, so it never
// hides data.
const LEGEND_MAX_WIDTH: u32 = CHART_WIDTH / 3;
/// Space between the plot and the legend box.
const LEGEND_GAP: i32 = 10;
/// Space inside the legend box around and between its elements.
const LEGEND_PADDING: i32 = 10;
const LEGEND_SWATCH_LENGTH: i32 = 30;
const LEGEND_ROW_HEIGHT: i32 = 24;
// Offsets from the left edge of the legend area.
const LEGEND_SWATCH_LEFT: i32 = LEGEND_GAP + LEGEND_PADDING;
const LEGEND_TEXT_LEFT: i32 = LEGEND_SWATCH_LEFT + LEGEND_SWATCH_LENGTH + LEGEND_PADDING;
/// Offset of the legend box below the top of the area under the title, equal
/// to the top margin of the plot so that both frames start at the same height.
const LEGEND_TOP: i32 = 10;

const OUTER_MARGIN: u32 = 12;
const PLOT_MARGIN_TOP: i32 = LEGEND_TOP;
const PLOT_MARGIN_RIGHT: u32 = 24;
const X_LABEL_AREA_SIZE: u32 = 60;
const Y_LABEL_AREA_SIZE: u32 = 80;

const GRID_COLOR: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const FRAME_COLOR: RGBColor = RGBColor(0x80, 0x80, 0x80);
const MUTED_TEXT_COLOR: RGBColor = RGBColor(0x60, 0x60, 0x60);

/// The Tableau 10 palette in the order of matplotlib's `tab10`, which is the
/// default colour cycle of matplotlib 2.0 and later.
/// Lines a chart can tell apart: every colour solid, then every colour dashed.
pub const DISTINCT_STYLES: usize = 2 * PALETTE.len();

const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4), // blue
    RGBColor(0xff, 0x7f, 0x0e), // orange
    RGBColor(0x2c, 0xa0, 0x2c), // green
    RGBColor(0xd6, 0x27, 0x28), // red
    RGBColor(0x94, 0x67, 0xbd), // purple
    RGBColor(0x8c, 0x56, 0x4b), // brown
    RGBColor(0xe3, 0x77, 0xc2), // pink
    RGBColor(0x7f, 0x7f, 0x7f), // grey
    RGBColor(0xbc, 0xbd, 0x22), // olive
    RGBColor(0x17, 0xbe, 0xcf), // cyan
];

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Name shown in the legend.
    pub label: String,
    /// Points as (simulated time in seconds, value in the unit of the chart's
    /// y axis), connected in the given order. A point with a NaN, infinite or
    /// larger than `f64::MAX / 4` coordinate is not drawn and breaks the line, so
    /// NaN marks a window without data.
    pub points: Vec<(f64, f64)>,
}

/// A chart of one or more lines over simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title drawn above the chart.
    pub title: String,
    /// Description of the y axis with its unit, such as `"requests/s"` or
    /// `"latency (ms)"`.
    pub y_label: String,
    /// Lines in legend order. Line `i` gets colour `i % 10` of the Tableau 10
    /// palette, solid for `i % 20 < 10` and dashed otherwise.
    pub lines: Vec<Line>,
}

/// Failure to export a chart.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font could not be parsed, which means the binary was built
    /// from a damaged `assets/fonts/DejaVuSans.ttf`.
    #[error(
        "failed to register the embedded font DejaVu Sans because its data is invalid. \
         Restore assets/fonts/DejaVuSans.ttf from the Debian package fonts-dejavu-core \
         and rebuild"
    )]
    InvalidFont,
    /// Creating or writing an output file failed. The message includes the
    /// I/O error, so `error` is not also returned as the error source.
    #[error("failed to write chart file {}: {error}", path.display())]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// The I/O error from the operating system.
        error: std::io::Error,
    },
    /// Drawing or encoding failed inside plotters.
    #[error("failed to render chart file {}: {message}", path.display())]
    Render {
        /// The file that was being rendered.
        path: PathBuf,
        /// The error message from plotters.
        message: String,
    },
}

/// Writes `chart` to `<stem>.png` and `<stem>.svg`, each
/// `CHART_WIDTH` x `CHART_HEIGHT` pixels, replacing existing files.
///
/// The extensions are appended, so a stem of `out/latency.p99` gives
/// `out/latency.p99.png`. The directory must exist. The SVG is written first,
/// so an error on the PNG can leave a new SVG beside an old PNG.
pub fn write_chart(stem: &Path, chart: &LineChart) -> Result<(), ChartError> {
    register_embedded_font()?;
    write_svg(&append_extension(stem, "svg"), chart)?;
    write_png(&append_extension(stem, "png"), chart)
}

/// Registers the embedded font once per process. Later calls return the
/// result of the first.
fn register_embedded_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED
        .get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT_DATA).is_ok());
    if registered {
        Ok(())
    } else {
        Err(ChartError::InvalidFont)
    }
}

fn append_extension(stem: &Path, extension: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

fn write_svg(path: &Path, chart: &LineChart) -> Result<(), ChartError> {
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
        draw_chart(&root, chart).map_err(|error| render_error(path, &error))?;
        root.present().map_err(|error| render_error(path, &error))?;
    }
    std::fs::write(path, svg).map_err(|error| ChartError::Write {
        path: path.to_path_buf(),
        error,
    })
}

fn write_png(path: &Path, chart: &LineChart) -> Result<(), ChartError> {
    // The bitmap backend of plotters 0.3.7 reports I/O failures only as a
    // debug-formatted message, so the file is created here first to report a
    // missing directory or a permission problem as an I/O error.
    File::create(path).map_err(|error| ChartError::Write {
        path: path.to_path_buf(),
        error,
    })?;
    // NOTE: The `ab_glyph` renderer of plotters 0.3.7 draws each glyph without
    // its left side bearing, so letter spacing in the PNG is slightly uneven,
    // most visibly next to `i`, `l`, `t` and `1`. The SVG is not affected
    // because the viewer lays out its text.
    let root = BitMapBackend::new(path, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
    draw_chart(&root, chart).map_err(|error| render_error(path, &error))?;
    root.present().map_err(|error| render_error(path, &error))
}

fn render_error(path: &Path, error: &dyn std::error::Error) -> ChartError {
    ChartError::Render {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// Line style of the line at `index` in the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SeriesStyle {
    color: RGBColor,
    dashed: bool,
}

fn series_style(index: usize) -> SeriesStyle {
    SeriesStyle {
        color: PALETTE[index % PALETTE.len()],
        dashed: (index / PALETTE.len()) % 2 == 1,
    }
}

fn is_plottable(value: f64) -> bool {
    value.is_finite() && value.abs() <= MAX_ABS_COORDINATE
}

/// Returns the runs of consecutive points of `line` that can be drawn, in order.
fn plottable_segments(line: &Line) -> Vec<Vec<(f64, f64)>> {
    let mut segments = vec![Vec::new()];
    for &(x, y) in &line.points {
        if is_plottable(x) && is_plottable(y) {
            if let Some(segment) = segments.last_mut() {
                segment.push((x, y));
            }
        } else if segments.last().is_some_and(|segment| !segment.is_empty()) {
            segments.push(Vec::new());
        }
    }
    segments.retain(|segment| !segment.is_empty());
    segments
}

/// Axis ranges that contain every point in `lines`.
#[derive(Debug, Clone, PartialEq)]
struct AxisRanges {
    x: Range<f64>,
    y: Range<f64>,
}

/// Computes the axis ranges. The x axis spans the data, and the y axis spans
/// 0 and the data plus `Y_HEADROOM`. Empty or constant data gets a non-empty
/// range, and a range of non-negative data stays non-negative.
fn axis_ranges(lines: &[Vec<(f64, f64)>]) -> AxisRanges {
    let points = || lines.iter().flatten();
    let x_min = points().map(|&(x, _)| x).fold(f64::INFINITY, f64::min);
    let x_max = points().map(|&(x, _)| x).fold(f64::NEG_INFINITY, f64::max);
    let y_min = points().map(|&(_, y)| y).fold(0.0, f64::min);
    let y_max = points().map(|&(_, y)| y).fold(0.0, f64::max);

    let x = if x_min > x_max {
        // No points: show the first second.
        0.0..1.0
    } else if x_min < x_max {
        x_min..x_max
    } else {
        let pad = (x_min.abs() * 0.05).max(0.5);
        let start = if x_min >= 0.0 {
            (x_min - pad).max(0.0)
        } else {
            x_min - pad
        };
        start..x_min + pad
    };

    let span = y_max - y_min;
    let y = if span > 0.0 {
        let headroom = span * Y_HEADROOM;
        let start = if y_min < 0.0 { y_min - headroom } else { 0.0 };
        let end = if y_max > 0.0 { y_max + headroom } else { 0.0 };
        start..end
    } else {
        // All values are zero, or there are none.
        0.0..1.0
    };

    AxisRanges { x, y }
}

/// Formats an axis tick value with the fewest digits that represent it, on an
/// axis whose range is `span` wide.
///
/// Magnitudes from 10^6 on use scientific notation, which keeps 5 significant
/// digits, unless the ticks are closer than a thousandth of the value (as for
/// times late in a long run), where it would print neighbouring ticks alike.
fn format_tick(value: f64, span: f64) -> String {
    let magnitude = value.abs();
    let large = magnitude >= 1e6 && span >= magnitude * 1e-3;
    let small = magnitude > 0.0 && magnitude < 1e-4;
    pretty_print_float(value, large || small)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws the whole chart on `root`, which has the output size.
fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &LineChart,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let framed = root.margin(OUTER_MARGIN, OUTER_MARGIN, OUTER_MARGIN, OUTER_MARGIN);
    let title_style = (FONT_FAMILY, TITLE_FONT_SIZE).into_font().color(&BLACK);
    let body = framed.titled(&chart.title, title_style)?;

    let lines: Vec<Vec<Vec<(f64, f64)>>> = chart.lines.iter().map(plottable_segments).collect();
    let all_points: Vec<Vec<(f64, f64)>> = lines.iter().map(|segments| segments.concat()).collect();
    let ranges = axis_ranges(&all_points);

    if chart.lines.is_empty() {
        return draw_plot(&body, chart, &lines, &ranges);
    }
    let (body_width, _) = body.dim_in_pixel();
    let legend_width = legend_width(&body, chart)?;
    let (plot_area, legend_area) = body.split_horizontally(body_width.saturating_sub(legend_width));
    draw_plot(&plot_area, chart, &lines, &ranges)?;
    draw_legend(&legend_area, chart)
}

fn draw_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    lines: &[Vec<Vec<(f64, f64)>>],
    ranges: &AxisRanges,
) -> DrawResult<DB> {
    let mut context = ChartBuilder::on(area)
        .margin_top(PLOT_MARGIN_TOP)
        .margin_right(PLOT_MARGIN_RIGHT)
        .x_label_area_size(X_LABEL_AREA_SIZE)
        .y_label_area_size(Y_LABEL_AREA_SIZE)
        .build_cartesian_2d(ranges.x.clone(), ranges.y.clone())?;

    let x_span = ranges.x.end - ranges.x.start;
    let y_span = ranges.y.end - ranges.y.start;
    context
        .configure_mesh()
        .x_desc(X_AXIS_LABEL)
        .y_desc(chart.y_label.as_str())
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&|value| format_tick(*value, x_span))
        .y_label_formatter(&|value| format_tick(*value, y_span))
        .label_style((FONT_FAMILY, TICK_FONT_SIZE))
        .axis_desc_style((FONT_FAMILY, AXIS_DESC_FONT_SIZE))
        .bold_line_style(GRID_COLOR)
        .max_light_lines(0)
        .axis_style(FRAME_COLOR)
        .draw()?;

    for (index, segments) in lines.iter().enumerate() {
        let style = series_style(index);
        let shape = style.color.stroke_width(STROKE_WIDTH);
        for points in segments {
            match points.as_slice() {
                [] => {}
                // A line through one point draws nothing, so mark the point.
                [point] => {
                    context.draw_series([Circle::new(
                        *point,
                        MARKER_RADIUS,
                        style.color.filled(),
                    )])?;
                }
                _ if style.dashed => {
                    context.draw_series(DashedLineSeries::new(
                        points.iter().copied(),
                        10,
                        6,
                        shape,
                    ))?;
                }
                _ => {
                    context.draw_series(LineSeries::new(points.iter().copied(), shape))?;
                }
            }
        }
    }

    if lines.iter().all(Vec::is_empty) {
        let center = (
            f64::midpoint(ranges.x.start, ranges.x.end),
            f64::midpoint(ranges.y.start, ranges.y.end),
        );
        let style = (FONT_FAMILY, AXIS_DESC_FONT_SIZE)
            .into_font()
            .color(&MUTED_TEXT_COLOR)
            .pos(Pos::new(HPos::Center, VPos::Center));
        context
            .plotting_area()
            .draw(&Text::new("no data", center, style))?;
    }
    Ok(())
}

fn legend_text_style() -> TextStyle<'static> {
    (FONT_FAMILY, LEGEND_FONT_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// Width of the legend box, which fits the longest label up to
/// `LEGEND_MAX_WIDTH`.
fn legend_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
) -> Result<u32, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = legend_text_style();
    let mut max_label_width = 0;
    for line in &chart.lines {
        let (width, _) = area.estimate_text_size(&line.label, &style)?;
        max_label_width = max_label_width.max(width);
    }
    // The box border takes the last pixel column of the legend area.
    let chrome = (LEGEND_TEXT_LEFT + LEGEND_PADDING + 1) as u32;
    Ok((max_label_width + chrome).min(LEGEND_MAX_WIDTH))
}

/// Shortens `label` with a trailing ellipsis until it is at most `max_width`
/// pixels wide.
fn fit_label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    style: &TextStyle,
    max_width: u32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if area.estimate_text_size(label, style)?.0 <= max_width {
        return Ok(label.to_owned());
    }
    let chars: Vec<char> = label.chars().collect();
    let shortened =
        |kept: usize| -> String { chars[..kept].iter().chain(['…'].iter()).collect() };
    // Binary search for the longest prefix that fits, because the width grows
    // with the prefix length. `high` chars never fit, and `low` chars fit
    // unless `low` is 0.
    let (mut low, mut high) = (0, chars.len());
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if area.estimate_text_size(&shortened(middle), style)?.0 <= max_width {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(shortened(low))
}

fn pixels_to_i32(pixels: u32) -> i32 {
    i32::try_from(pixels).unwrap_or(i32::MAX)
}

/// Height in pixels of `rows` legend rows.
fn rows_height(rows: usize) -> i32 {
    i32::try_from(rows).map_or(i32::MAX, |rows| rows.saturating_mul(LEGEND_ROW_HEIGHT))
}

/// Draws the legend box at the top of `area`. When the lines do not fit in
/// the height of `area`, the last row counts the lines left out.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
) -> DrawResult<DB> {
    let (width, height) = area.dim_in_pixel();
    let (width, height) = (pixels_to_i32(width), pixels_to_i32(height));
    let style = legend_text_style();

    let box_left = LEGEND_GAP;
    let box_right = width - 1;
    let swatch_left = LEGEND_SWATCH_LEFT;
    let text_left = LEGEND_TEXT_LEFT;
    let max_text_width = (box_right - LEGEND_PADDING - text_left).max(0) as u32;

    let available_rows =
        ((height - LEGEND_TOP - 2 * LEGEND_PADDING) / LEGEND_ROW_HEIGHT).max(1) as usize;
    let line_count = chart.lines.len();
    let (shown, hidden) = if line_count <= available_rows {
        (line_count, 0)
    } else {
        (available_rows - 1, line_count - (available_rows - 1))
    };
    let row_count = shown + usize::from(hidden > 0);

    let box_top = LEGEND_TOP;
    let box_bottom = box_top + 2 * LEGEND_PADDING + rows_height(row_count);
    area.draw(&Rectangle::new(
        [(box_left, box_top), (box_right, box_bottom)],
        WHITE.filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(box_left, box_top), (box_right, box_bottom)],
        FRAME_COLOR.stroke_width(1),
    ))?;

    let row_center =
        |row: usize| box_top + LEGEND_PADDING + rows_height(row) + LEGEND_ROW_HEIGHT / 2;
    for (index, line) in chart.lines.iter().take(shown).enumerate() {
        let y = row_center(index);
        let series = series_style(index);
        let shape = series.color.stroke_width(STROKE_WIDTH);
        let swatch = [(swatch_left, y), (swatch_left + LEGEND_SWATCH_LENGTH, y)];
        if series.dashed {
            area.draw(&DashedPathElement::new(swatch, 10, 6, shape))?;
        } else {
            area.draw(&PathElement::new(swatch, shape))?;
        }
        let label = fit_label(area, &line.label, &style, max_text_width)?;
        area.draw(&Text::new(label, (text_left, y), style.clone()))?;
    }
    if hidden > 0 {
        let text = format!("… and {hidden} more");
        let muted = style.color(&MUTED_TEXT_COLOR);
        area.draw(&Text::new(text, (swatch_left, row_center(shown)), muted))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

    /// Reads width and height from the IHDR chunk, which the PNG format
    /// requires to come first, right after the 8-byte signature.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert!(bytes.len() >= 24, "PNG file has only {} bytes", bytes.len());
        assert_eq!(&bytes[12..16], b"IHDR", "first PNG chunk is not IHDR");
        let width = u32::from_be_bytes(bytes[16..20].try_into().expect("slice has 4 bytes"));
        let height = u32::from_be_bytes(bytes[20..24].try_into().expect("slice has 4 bytes"));
        (width, height)
    }

    fn ramp(scale: f64, phase: f64) -> Vec<(f64, f64)> {
        (0..=120)
            .map(|step| {
                let t = f64::from(step) * 0.5;
                (t, scale * (1.0 + (t / 7.0 + phase).sin() * 0.4 + t / 120.0))
            })
            .collect()
    }

    fn sample_chart() -> LineChart {
        LineChart {
            title: "Latency percentiles, checkout".to_owned(),
            y_label: "latency (ms)".to_owned(),
            lines: vec![
                Line {
                    label: "p50".to_owned(),
                    points: ramp(12.0, 0.0),
                },
                Line {
                    label: "p90".to_owned(),
                    points: ramp(30.0, 0.7),
                },
                Line {
                    label: "p99 <gateway & auth>".to_owned(),
                    points: ramp(55.0, 1.9),
                },
            ],
        }
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path)
            .unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()))
    }

    fn read_text(path: &Path) -> String {
        String::from_utf8(read(path)).expect("SVG is UTF-8")
    }

    fn write_in_temp_dir(chart: &LineChart) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("create temporary directory");
        let stem = dir.path().join("chart");
        write_chart(&stem, chart).expect("write chart");
        (dir, stem)
    }

    #[test]
    fn write_chart_writes_png_and_svg() {
        let (_dir, stem) = write_in_temp_dir(&sample_chart());
        let png = read(&stem.with_extension("png"));
        assert_eq!(png[..8], PNG_SIGNATURE);
        assert_eq!(png_size(&png), (CHART_WIDTH, CHART_HEIGHT));

        let svg = read_text(&stem.with_extension("svg"));
        assert!(
            svg.starts_with("<svg"),
            "SVG starts with {:?}",
            &svg[..svg.len().min(40)]
        );
        assert!(svg.contains(&format!(r#"width="{CHART_WIDTH}" height="{CHART_HEIGHT}""#)));
        assert!(svg.contains("Latency percentiles, checkout"));
        assert!(svg.contains(">\np50\n</text>"));
        assert!(svg.contains(">\np90\n</text>"));
        assert!(svg.contains(">\np99 &lt;gateway &amp; auth&gt;\n</text>"));
        assert!(svg.contains(X_AXIS_LABEL));
        assert!(svg.contains("latency (ms)"));
        assert!(svg.contains(r#"font-family="sans-serif""#));
    }

    #[test]
    fn write_chart_appends_extensions() {
        let dir = tempfile::tempdir().expect("create temporary directory");
        let stem = dir.path().join("latency.p99");
        write_chart(&stem, &sample_chart()).expect("write chart");
        assert!(dir.path().join("latency.p99.png").is_file());
        assert!(dir.path().join("latency.p99.svg").is_file());
    }

    #[test]
    fn write_chart_colours_lines_distinctly() {
        let (_dir, stem) = write_in_temp_dir(&sample_chart());
        let svg = read_text(&stem.with_extension("svg"));
        for color in &PALETTE[..3] {
            let hex = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
            assert!(svg.contains(&hex), "SVG lacks line colour {hex}");
        }
    }

    #[test]
    fn empty_chart_writes_both_files() {
        let chart = LineChart {
            title: "Backlog".to_owned(),
            y_label: "messages".to_owned(),
            lines: Vec::new(),
        };
        let (_dir, stem) = write_in_temp_dir(&chart);
        let png = read(&stem.with_extension("png"));
        assert_eq!(png_size(&png), (CHART_WIDTH, CHART_HEIGHT));
        let svg = read_text(&stem.with_extension("svg"));
        assert!(svg.contains("Backlog"));
        assert!(svg.contains("no data"));
    }

    #[test]
    fn edge_case_data_writes_both_files() {
        let cases: Vec<(&str, Vec<(f64, f64)>)> = vec![
            ("no points", vec![]),
            ("single point", vec![(3.0, 7.5)]),
            ("single point at zero", vec![(0.0, 0.0)]),
            ("all zero", vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]),
            (
                "negative values",
                vec![(0.0, -5.0), (1.0, 3.0), (2.0, -1.0)],
            ),
            ("all negative", vec![(0.0, -5.0), (1.0, -3.0)]),
            (
                "non-finite values",
                vec![
                    (0.0, 1.0),
                    (1.0, f64::NAN),
                    (f64::INFINITY, 2.0),
                    (2.0, f64::NEG_INFINITY),
                    (3.0, 4.0),
                ],
            ),
            (
                "only non-finite values",
                vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
            ),
            (
                "huge values",
                vec![(0.0, 1e12), (1.0, 3e300), (2.0, f64::MAX / 4.0)],
            ),
            (
                "too huge to plot",
                vec![(0.0, 1.0), (1.0, f64::MAX), (2.0, -f64::MAX)],
            ),
            ("tiny values", vec![(0.0, 1e-9), (1.0, 5e-324)]),
            ("constant time", vec![(5.0, 1.0), (5.0, 2.0)]),
            ("late start", vec![(1e6, 1.0), (1e6 + 10.0, 2.0)]),
        ];
        let dir = tempfile::tempdir().expect("create temporary directory");
        for (index, (name, points)) in cases.into_iter().enumerate() {
            let chart = LineChart {
                title: name.to_owned(),
                y_label: "value".to_owned(),
                lines: vec![Line {
                    label: name.to_owned(),
                    points,
                }],
            };
            let stem = dir.path().join(format!("case{index}"));
            write_chart(&stem, &chart)
                .unwrap_or_else(|error| panic!("case {name:?} failed: {error}"));
            let png = read(&stem.with_extension("png"));
            assert_eq!(png_size(&png), (CHART_WIDTH, CHART_HEIGHT), "case {name:?}");
        }
    }

    #[test]
    fn many_lines_fill_legend_with_overflow_row() {
        let lines = (0..40)
            .map(|index| Line {
                label: format!("service-{index:02} p99"),
                points: ramp(1.0 + f64::from(index), f64::from(index)),
            })
            .collect();
        let chart = LineChart {
            title: "Many lines".to_owned(),
            y_label: "ms".to_owned(),
            lines,
        };
        let (_dir, stem) = write_in_temp_dir(&chart);
        let svg = read_text(&stem.with_extension("svg"));
        assert!(svg.contains("service-00 p99"));
        assert!(
            svg.contains(" more\n</text>"),
            "legend lacks the overflow row"
        );
        assert!(
            !svg.contains("service-39 p99"),
            "legend shows more rows than fit"
        );
    }

    #[test]
    fn long_label_is_shortened() {
        let label = "x".repeat(500);
        let chart = LineChart {
            title: "Long label".to_owned(),
            y_label: "ms".to_owned(),
            lines: vec![Line {
                label: label.clone(),
                points: ramp(1.0, 0.0),
            }],
        };
        let (_dir, stem) = write_in_temp_dir(&chart);
        let svg = read_text(&stem.with_extension("svg"));
        assert!(!svg.contains(&label));
        assert!(svg.contains("xxx…"));
    }

    #[test]
    fn missing_directory_error_names_path() {
        let dir = tempfile::tempdir().expect("create temporary directory");
        let stem = dir.path().join("missing").join("throughput");
        let error = write_chart(&stem, &sample_chart()).expect_err("directory does not exist");
        let expected_path = stem.with_extension("svg");
        match &error {
            ChartError::Write { path, error } => {
                assert_eq!(path, &expected_path);
                assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("expected a write error, got {other:?}"),
        }
        let message = error.to_string();
        assert!(
            message.contains(&expected_path.display().to_string()),
            "message: {message}"
        );
    }

    #[test]
    fn unwritable_png_error_names_path() {
        let dir = tempfile::tempdir().expect("create temporary directory");
        let stem = dir.path().join("backlog");
        // A directory in place of the PNG file makes only the PNG write fail.
        std::fs::create_dir(stem.with_extension("png")).expect("create blocking directory");
        let error = write_chart(&stem, &sample_chart()).expect_err("PNG path is a directory");
        match &error {
            ChartError::Write { path, .. } => assert_eq!(path, &stem.with_extension("png")),
            other => panic!("expected a write error, got {other:?}"),
        }
    }

    #[test]
    fn output_is_deterministic() {
        let (_first_dir, first) = write_in_temp_dir(&sample_chart());
        let (_second_dir, second) = write_in_temp_dir(&sample_chart());
        // A second write to the same stem replaces the files.
        write_chart(&second, &sample_chart()).expect("rewrite chart");
        assert!(
            read(&first.with_extension("svg")) == read(&second.with_extension("svg")),
            "SVG output differs between two runs"
        );
        assert!(
            read(&first.with_extension("png")) == read(&second.with_extension("png")),
            "PNG output differs between two runs"
        );
    }

    #[test]
    fn series_style_cycles_palette_then_dashes() {
        assert_eq!(
            series_style(0),
            SeriesStyle {
                color: PALETTE[0],
                dashed: false
            }
        );
        assert_eq!(
            series_style(9),
            SeriesStyle {
                color: PALETTE[9],
                dashed: false
            }
        );
        assert_eq!(
            series_style(10),
            SeriesStyle {
                color: PALETTE[0],
                dashed: true
            }
        );
        assert_eq!(
            series_style(20),
            SeriesStyle {
                color: PALETTE[0],
                dashed: false
            }
        );
    }

    #[test]
    fn axis_ranges_cover_data_with_headroom() {
        let ranges = axis_ranges(&[vec![(2.0, 10.0), (8.0, 40.0)], vec![(4.0, 20.0)]]);
        assert_eq!(ranges.x, 2.0..8.0);
        assert!(ranges.y.start.abs() < 1e-12, "y start {}", ranges.y.start);
        assert!((ranges.y.end - 42.0).abs() < 1e-9, "y end {}", ranges.y.end);
    }

    #[test]
    fn axis_ranges_of_degenerate_data() {
        assert_eq!(
            axis_ranges(&[]),
            AxisRanges {
                x: 0.0..1.0,
                y: 0.0..1.0
            }
        );
        assert_eq!(
            axis_ranges(&[vec![]]),
            AxisRanges {
                x: 0.0..1.0,
                y: 0.0..1.0
            }
        );
        assert_eq!(
            axis_ranges(&[vec![(0.0, 0.0)]]),
            AxisRanges {
                x: 0.0..0.5,
                y: 0.0..1.0
            }
        );
        let single = axis_ranges(&[vec![(100.0, 5.0)]]);
        assert_eq!(single.x, 95.0..105.0);
        assert!((single.y.end - 5.25).abs() < 1e-9, "y end {}", single.y.end);
        let negative = axis_ranges(&[vec![(0.0, -10.0), (1.0, -5.0)]]);
        assert!(
            (negative.y.start + 10.5).abs() < 1e-9,
            "y start {}",
            negative.y.start
        );
        assert!(negative.y.end.abs() < 1e-12, "y end {}", negative.y.end);
    }

    #[test]
    fn plottable_segments_break_at_non_finite_and_huge() {
        let line = Line {
            label: "mixed".to_owned(),
            points: vec![
                (0.0, 1.0),
                (f64::NAN, 2.0),
                (1.0, f64::INFINITY),
                (2.0, f64::MAX),
                (3.0, 4.0),
            ],
        };
        assert_eq!(
            plottable_segments(&line),
            vec![vec![(0.0, 1.0)], vec![(3.0, 4.0)]]
        );
        let gap = Line {
            label: "gap".to_owned(),
            points: vec![
                (0.0, 1.0),
                (1.0, 2.0),
                (2.0, f64::NAN),
                (3.0, 3.0),
                (4.0, 4.0),
            ],
        };
        assert_eq!(
            plottable_segments(&gap),
            vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(3.0, 3.0), (4.0, 4.0)]]
        );
    }

    #[test]
    fn format_tick_uses_short_forms() {
        assert_eq!(format_tick(0.0, 1.0), "0");
        assert_eq!(format_tick(2.5, 10.0), "2.5");
        assert_eq!(format_tick(40.0, 100.0), "40");
        assert_eq!(format_tick(0.3, 1.0), "0.3");
        assert_eq!(format_tick(250_000.0, 1e6), "250000");
        assert_eq!(format_tick(2_000_000.0, 1e7), "2e6");
        assert_eq!(format_tick(2.5e12, 3e12), "2.5e12");
        assert_eq!(format_tick(0.000_02, 1e-4), "2e-5");
    }

    #[test]
    fn format_tick_keeps_close_large_ticks_apart() {
        assert_eq!(format_tick(1_000_002.0, 10.0), "1000002");
        assert_eq!(format_tick(1_000_004.0, 10.0), "1000004");
    }
}
