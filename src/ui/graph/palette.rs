//! Colours of the canvas for the light and dark themes.

use egui::Color32;

use crate::ui::topology::EdgeKind;

/// Colours of the canvas, chosen for the current theme.
pub(super) struct Palette {
    pub(super) canvas: Color32,
    pub(super) node_fill: Color32,
    pub(super) node_stroke: Color32,
    pub(super) text: Color32,
    /// Text of lesser rank on a node: the strong text colour, partly transparent, so
    /// that it stays readable on every utilization fill.
    pub(super) secondary_text: Color32,
    pub(super) weak_text: Color32,
    pub(super) selection: Color32,
    pub(super) call: Color32,
    pub(super) message: Color32,
    pub(super) dead_letter: Color32,
    pub(super) dot: Color32,
    pub(super) badge_fill: Color32,
    pub(super) badge_text: Color32,
    /// Utilization scale from idle to saturated: green, yellow, orange, red.
    pub(super) heat: [Color32; 4],
}

impl Palette {
    pub(super) fn new(visuals: &egui::Visuals) -> Self {
        // The scales are dark in the dark theme and pale in the light one, so that the
        // theme's text colour stays readable on every node.
        let (message, heat) = if visuals.dark_mode {
            (
                Color32::from_rgb(96, 156, 230),
                [
                    Color32::from_rgb(34, 74, 48),
                    Color32::from_rgb(100, 88, 26),
                    Color32::from_rgb(122, 66, 24),
                    Color32::from_rgb(136, 36, 36),
                ],
            )
        } else {
            (
                Color32::from_rgb(38, 98, 186),
                [
                    Color32::from_rgb(206, 236, 212),
                    Color32::from_rgb(248, 232, 164),
                    Color32::from_rgb(248, 204, 150),
                    Color32::from_rgb(242, 168, 168),
                ],
            )
        };
        Self {
            canvas: visuals.extreme_bg_color,
            node_fill: visuals.window_fill,
            node_stroke: visuals.widgets.noninteractive.bg_stroke.color,
            text: visuals.strong_text_color(),
            secondary_text: visuals.strong_text_color().gamma_multiply(0.7),
            weak_text: visuals.weak_text_color(),
            selection: visuals.selection.stroke.color,
            call: visuals.widgets.noninteractive.fg_stroke.color,
            message,
            dead_letter: visuals.warn_fg_color,
            dot: visuals.strong_text_color(),
            badge_fill: Color32::from_rgb(200, 44, 44),
            badge_text: Color32::WHITE,
            heat,
        }
    }

    /// Returns the utilization colour of `level`, from 0 (idle) to 1 (saturated).
    pub(super) fn heat(&self, level: f32) -> Color32 {
        let level = if level.is_finite() {
            level.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let stops = [0.0, 0.5, 0.8, 1.0];
        let upper = stops
            .iter()
            .position(|&stop| level <= stop)
            .unwrap_or(3)
            .max(1);
        let span = stops[upper] - stops[upper - 1];
        let t = (level - stops[upper - 1]) / span;
        self.heat[upper - 1].lerp_to_gamma(self.heat[upper], t)
    }

    /// Returns the colour of a queue bar filled to `fraction` of its capacity: the message colour,
    /// turning to the warning colour from 70 % and to the error colour from 90 %.
    pub(super) fn depth_color(&self, fraction: f32) -> Color32 {
        if fraction >= 0.9 {
            self.badge_fill
        } else if fraction >= 0.7 {
            self.dead_letter
        } else {
            self.message
        }
    }

    pub(super) fn edge_color(&self, kind: EdgeKind) -> Color32 {
        match kind {
            EdgeKind::Call => self.call,
            EdgeKind::Publish | EdgeKind::Consume => self.message,
            EdgeKind::DeadLetter => self.dead_letter,
        }
    }
}
