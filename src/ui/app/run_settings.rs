//! The toolbar's seed and duration, which replace the scenario's own for every run
//! until another document opens, and the edits that take them back.

use super::TopolabApp;
use crate::engine::run::{DEFAULT_DURATION, DEFAULT_SEED, RunConfig, RunError};
use crate::scenario::RunSettings;

impl TopolabApp {
    /// Drops each toolbar setting that an edit of the scenario's `run:` block from
    /// `before` replaced or made invalid, and returns a sentence naming the scenario's
    /// settings that the run uses in their place.
    pub(super) fn update_overrides(&mut self, before: &RunSettings) -> Option<String> {
        let run = &self.document.scenario.run;
        let overrides = &mut self.controls.overrides;
        let mut changes = Vec::new();
        if run.seed != before.seed
            && let Some(typed) = overrides.seed.take()
        {
            let seed = run.seed.unwrap_or(DEFAULT_SEED);
            changes.push(format!("seed {seed} in place of the toolbar's {typed}"));
        }
        if run.duration != before.duration
            && let Some(typed) = overrides.duration.take()
        {
            let duration = run.duration.unwrap_or(DEFAULT_DURATION);
            changes.push(format!(
                "duration {duration} in place of the toolbar's {typed}"
            ));
        }
        // A new warm-up or window can make the toolbar's duration invalid, such as a
        // warm-up longer than it.
        if let Some(typed) = overrides.duration
            && let Err(RunError::Settings(reason)) =
                RunConfig::resolve(run, Some(typed), None, None, None)
            && let Ok(config) = RunConfig::resolve(run, None, None, None, None)
        {
            overrides.duration = None;
            changes.push(format!(
                "duration {} in place of the toolbar's {typed}, because {reason}",
                config.duration
            ));
        }
        if changes.is_empty() {
            return None;
        }
        Some(format!(
            "The run uses the scenario's {}",
            changes.join(" and ")
        ))
    }
}
