//! A small preview of a distribution: a histogram of draws with its mean and
//! percentiles, so that a user sees what the parameters mean before running.
//!
//! The preview draws from the engine's own sampler with a fixed stream, so it shows
//! exactly what a run draws, and it is recomputed only when the distribution changes.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Ui, pos2, vec2};

use crate::engine::random::{Sampler, stream};
use crate::scenario::{Distribution, Duration};

/// Draws per preview: enough for a p99 within about 10 % on common distributions,
/// and cheap enough to redo on every edit (well under a millisecond of sampling).
const DRAWS: usize = 20_000;

/// Bars of the histogram.
const BARS: usize = 40;

/// Height of the histogram, in points.
const HEIGHT: f32 = 56.0;

/// The figures of one distribution's preview.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// Bar heights, as fractions of the tallest bar, from 0 to [`Preview::upper_ns`].
    bars: Vec<f32>,
    /// Right end of the histogram, ns: the 99.5th percentile of the draws, so that a
    /// long tail does not squeeze the bars into one.
    upper_ns: u64,
    mean_ns: f64,
    p50_ns: u64,
    p95_ns: u64,
    p99_ns: u64,
}

impl Preview {
    /// Computes the preview of `distribution`, or the reason it has none.
    ///
    /// # Errors
    /// Fails with the sampler's message if a parameter is out of range.
    pub fn of(distribution: &Distribution) -> Result<Self, String> {
        let sampler = Sampler::new(distribution)?;
        let mut draws_stream = stream(0, "preview");
        let mut draws: Vec<u64> = (0..DRAWS)
            .map(|_| sampler.sample(&mut draws_stream))
            .collect();
        draws.sort_unstable();
        let quantile = |q: f64| draws[((q * DRAWS as f64) as usize).min(DRAWS - 1)];
        let upper_ns = quantile(0.995).max(1);
        let mut counts = [0u32; BARS];
        for &draw in &draws {
            if draw <= upper_ns {
                let bar = ((draw as f64 / upper_ns as f64) * BARS as f64) as usize;
                counts[bar.min(BARS - 1)] += 1;
            }
        }
        let tallest = counts.iter().copied().max().unwrap_or(1).max(1);
        Ok(Self {
            bars: counts
                .iter()
                .map(|&count| count as f32 / tallest as f32)
                .collect(),
            upper_ns,
            mean_ns: draws.iter().map(|&d| d as f64).sum::<f64>() / DRAWS as f64,
            p50_ns: quantile(0.50),
            p95_ns: quantile(0.95),
            p99_ns: quantile(0.99),
        })
    }

    /// Returns the text line of the preview's figures.
    #[must_use]
    pub fn figures(&self) -> String {
        format!(
            "mean {}  p50 {}  p95 {}  p99 {}",
            short(self.mean_ns),
            short(self.p50_ns as f64),
            short(self.p95_ns as f64),
            short(self.p99_ns as f64),
        )
    }
}

/// Formats nanoseconds with three significant digits and a unit.
fn short(nanos: f64) -> String {
    let (value, unit) = if nanos >= 1e9 {
        (nanos / 1e9, "s")
    } else if nanos >= 1e6 {
        (nanos / 1e6, "ms")
    } else if nanos >= 1e3 {
        (nanos / 1e3, "us")
    } else {
        (nanos, "ns")
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$}{unit}")
}

/// Shows the preview of `distribution`, computing it only when the distribution
/// differs from the one cached under `id`. Without a preview, the reason is shown
/// unless `explained`, when the validation message above already gives it.
pub fn preview_ui(ui: &mut Ui, id: egui::Id, distribution: &Distribution, explained: bool) {
    type Cached = (Distribution, Result<Preview, String>);
    let cached: Option<Cached> = ui.data(|data| data.get_temp(id));
    let preview = match cached {
        Some((of, preview)) if of == *distribution => preview,
        _ => {
            let preview = Preview::of(distribution);
            ui.data_mut(|data| data.insert_temp(id, (distribution.clone(), preview.clone())));
            preview
        }
    };
    match preview {
        Ok(preview) => histogram_ui(ui, &preview),
        Err(reason) if !explained => {
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
        Err(_) => {}
    }
}

fn histogram_ui(ui: &mut Ui, preview: &Preview) {
    let width = ui.available_width().clamp(120.0, 260.0);
    let (rect, response) = ui.allocate_exact_size(vec2(width, HEIGHT), Sense::hover());
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 2.0, visuals.extreme_bg_color);
    let bar_width = rect.width() / BARS as f32;
    let fill = visuals.selection.bg_fill;
    for (index, height) in preview.bars.iter().enumerate() {
        let left = rect.left() + index as f32 * bar_width;
        let top = rect.bottom() - height * (rect.height() - 4.0);
        painter.rect_filled(
            Rect::from_min_max(pos2(left, top), pos2(left + bar_width - 1.0, rect.bottom())),
            0.0,
            fill,
        );
    }
    let x_of = |nanos: f64| rect.left() + (nanos / preview.upper_ns as f64) as f32 * rect.width();
    for (nanos, color) in [
        (preview.p50_ns as f64, visuals.text_color()),
        (preview.p99_ns as f64, visuals.warn_fg_color),
    ] {
        let x = x_of(nanos).min(rect.right());
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(1.0, color),
        );
    }
    response.on_hover_text(format!(
        "{} draws; the bars span 0 to {}. Lines: p50 and p99.",
        DRAWS,
        Duration::from_nanos(preview.upper_ns)
    ));
    ui.label(
        egui::RichText::new(preview.figures())
            .small()
            .color(Color32::GRAY),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_has_one_bar_and_exact_percentiles() {
        let preview = Preview::of(&Distribution::Constant(Duration::from_millis(5)))
            .expect("a constant has a preview");
        assert_eq!(preview.p50_ns, 5_000_000);
        assert_eq!(preview.p99_ns, 5_000_000);
        assert_eq!(preview.mean_ns, 5e6);
        assert_eq!(preview.bars.iter().filter(|&&h| h > 0.0).count(), 1);
    }

    #[test]
    fn exponential_percentiles_match_theory() {
        let mean = Duration::from_millis(10);
        let preview = Preview::of(&Distribution::Exponential { mean }).expect("a preview");
        // The p50 of an exponential is ln 2 times its mean. With 20 000 draws the
        // standard error of the sample median is mean / sqrt(n), about 1 % of the
        // p50, so 3 % is three standard errors.
        let p50 = preview.p50_ns as f64;
        let expected = 10e6 * std::f64::consts::LN_2;
        assert!(
            (p50 - expected).abs() < 0.03 * expected,
            "p50 {p50} against {expected}"
        );
        assert!(preview.p50_ns < preview.p95_ns);
        assert!(preview.p95_ns < preview.p99_ns);
    }

    #[test]
    fn invalid_parameters_give_the_reason() {
        let empty = Distribution::Empirical {
            values: Vec::new(),
            weights: None,
        };
        assert!(Preview::of(&empty).is_err());
    }

    #[test]
    fn short_keeps_three_digits() {
        assert_eq!(short(1_234_567.0), "1.23ms");
        assert_eq!(short(45_600_000.0), "45.6ms");
        assert_eq!(short(2.5e9), "2.50s");
        assert_eq!(short(999.0), "999ns");
    }
}
