//! View settings kept between sessions through eframe's storage, apart from the document.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::document::Source;
use super::driver::Pacing;
use super::panel_size::PanelSizes;

/// Recent files kept in the File menu.
const MAX_RECENT: usize = 10;

/// View settings kept between sessions. The window's size and position are persisted by
/// eframe itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Recently opened files, newest first.
    pub recent: Vec<PathBuf>,
    /// The document open when the app last closed.
    pub last: Option<Source>,
    /// Simulated seconds per wall second when paced.
    pub speed: f64,
    /// Whether runs play as fast as possible.
    pub unpaced: bool,
    /// The panels shown.
    pub panels: PanelVisibility,
    /// The sizes of the panels that the user chose.
    pub panel_sizes: PanelSizes,
    /// Whether lines and shapes are anti-aliased. `None` leaves it to the renderer: off
    /// on software OpenGL, because there it costs about a third of each frame, else on.
    pub smooth_lines: Option<bool>,
}

/// The visibility of each optional panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelVisibility {
    /// The scenario panel on the left.
    pub scenario: bool,
    /// The selected node's panel on the right.
    pub node: bool,
    /// The plots at the bottom.
    pub plots: bool,
}

impl Default for PanelVisibility {
    fn default() -> Self {
        Self {
            scenario: true,
            node: true,
            plots: true,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            recent: Vec::new(),
            last: None,
            speed: 1.0,
            unpaced: false,
            panels: PanelVisibility::default(),
            panel_sizes: PanelSizes::default(),
            smooth_lines: None,
        }
    }
}

impl Settings {
    /// Returns the pacing that these settings choose.
    #[must_use]
    pub fn pacing(&self) -> Pacing {
        if self.unpaced {
            Pacing::AsFastAsPossible
        } else {
            Pacing::RealTime(self.speed).clamped()
        }
    }

    /// Makes these settings choose `pacing`.
    pub fn set_pacing(&mut self, pacing: Pacing) {
        match pacing.clamped() {
            Pacing::AsFastAsPossible => self.unpaced = true,
            Pacing::RealTime(factor) => {
                self.unpaced = false;
                self.speed = factor;
            }
        }
    }

    /// Puts `path` first in the recent files, dropping an older entry of it and the
    /// oldest entries beyond the limit.
    pub fn add_recent(&mut self, path: &Path) {
        self.recent.retain(|recent| recent != path);
        self.recent.insert(0, path.to_path_buf());
        self.recent.truncate(MAX_RECENT);
    }
}
