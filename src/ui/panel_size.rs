//! The sizes of the resizable panels, as shares of the window with bounds, so that the
//! panels share a small window sensibly and grow back with it.
//!
//! egui keeps a panel's size as it was last drawn, clamped to its size range. A window
//! made small and then large again would leave every panel at its small size. The size
//! that the user chose by dragging is kept here instead, and whenever the window
//! changes size the panel is set to that size, clamped to what the new window allows.

use egui::Rangef;
use serde::{Deserialize, Serialize};

/// The share of the window that a panel takes by default and at most, and its smallest
/// size in points, which a small window may cut down to its largest share.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share {
    /// Size before the user resizes the panel, as a fraction of the window.
    pub default: f32,
    /// Largest size, as a fraction of the window.
    pub max: f32,
    /// Smallest size in points, unless the window is too small for it.
    pub min_points: f32,
}

impl Share {
    /// Returns the sizes that a window `window` points long allows, in points.
    #[must_use]
    pub fn range(self, window: f32) -> Rangef {
        let max = (self.max * window).max(0.0);
        Rangef::new(self.min_points.min(max), max)
    }

    /// Returns the default size in a window `window` points long, in points.
    #[must_use]
    pub fn default_size(self, window: f32) -> f32 {
        let range = self.range(window);
        (self.default * window).clamp(range.min, range.max)
    }
}

/// The bottom panel of plots: about a third of the height, at most half of it.
pub const PLOTS: Share = Share {
    default: 0.36,
    max: 0.5,
    min_points: 140.0,
};

/// A side panel: 300 points in a window 1250 points wide, at most 30 % of the width.
pub const SIDE: Share = Share {
    default: 0.24,
    max: 0.3,
    min_points: 160.0,
};

/// The size of one panel along its axis, as the user chose it and as shown. Only the
/// user's choice is kept between sessions, and two sizes are equal when it is.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelSize {
    /// The size that the user chose by dragging, in points; `None` until then.
    pub preferred: Option<f32>,
    /// The size shown in the last frame and the window length it was shown in.
    #[serde(skip)]
    last: Option<(f32, f32)>,
}

impl PartialEq for PanelSize {
    fn eq(&self, other: &Self) -> bool {
        self.preferred == other.preferred
    }
}

/// The sizes of the resizable panels.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelSizes {
    /// Height of the plots at the bottom.
    pub plots: PanelSize,
    /// Width of the scenario panel on the left.
    pub scenario: PanelSize,
    /// Width of the selected node's panel on the right.
    pub node: PanelSize,
}

impl PanelSize {
    /// Sets the size of `panel` for this frame in a window `window` points long: the
    /// user's size, or the default share, within the share's range. While the window
    /// keeps its size, egui's own size applies, so that the user can drag the panel.
    pub fn apply(&self, panel: egui::Panel, share: Share, window: f32) -> egui::Panel {
        let range = share.range(window);
        let wanted = self.preferred.map_or_else(
            || share.default_size(window),
            |size| size.clamp(range.min, range.max),
        );
        match self.last {
            Some((_, last_window)) if last_window == window => {
                panel.default_size(wanted).size_range(range)
            }
            _ => panel.exact_size(wanted),
        }
    }

    /// Records that the panel was `shown` points long in a window `window` points long.
    /// A change while the window kept its size and `dragging` holds, as while a mouse
    /// button is down, came from the user, and becomes the preferred size. Other changes
    /// come from the panel's content.
    pub fn update(&mut self, shown: f32, window: f32, dragging: bool) {
        if let Some((last_shown, last_window)) = self.last
            && dragging
            && last_window == window
            && (shown - last_shown).abs() >= 0.5
        {
            self.preferred = Some(shown);
        }
        self.last = Some((shown, window));
    }

    /// Forgets the window length, so that the next frame sets the size again, as when
    /// the panel shows again after being hidden.
    pub fn forget_window(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_range_fits_small_windows() {
        assert_eq!(PLOTS.range(800.0), Rangef::new(140.0, 400.0));
        assert_eq!(PLOTS.range(200.0), Rangef::new(100.0, 100.0));
        assert_eq!(PLOTS.default_size(800.0), 288.0);
        assert_eq!(SIDE.default_size(640.0), 160.0);
        assert_eq!(SIDE.range(0.0), Rangef::new(0.0, 0.0));
    }

    #[test]
    fn user_size_survives_window_changes() {
        let mut size = PanelSize::default();
        size.update(288.0, 800.0, true);
        assert_eq!(size.preferred, None, "the first frame is no choice");
        size.update(300.0, 800.0, false);
        assert_eq!(size.preferred, None, "content that grows is no choice");
        size.update(250.0, 800.0, true);
        assert_eq!(size.preferred, Some(250.0), "a drag in the same window");
        size.update(240.0, 480.0, true);
        assert_eq!(
            size.preferred,
            Some(250.0),
            "a smaller window leaves the choice"
        );
        size.update(250.0, 800.0, false);
        assert_eq!(size.preferred, Some(250.0));
    }
}
