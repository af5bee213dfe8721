//! Running a whole scenario from start to horizon, as the command line does.

pub use crate::scenario::document::{DEFAULT_DURATION, DEFAULT_SEED, DEFAULT_WINDOW, MAX_WINDOWS};
use crate::scenario::{Duration, RunSettings, Scenario};

use super::model::{CompileError, Model};
use super::sim::{EngineError, Layout, RunOptions, Simulation};

/// Windows kept at most over all entities of a run: windows times recorded entities.
/// One entity's window takes about 320 bytes (a maximum resident set of 1.58 GB for
/// 1 000 000 windows of 5 entities, measured with `/usr/bin/time -v`), so this keeps the
/// time series near 1.6 GB at most.
pub const MAX_WINDOW_ROWS: u64 = 5_000_000;

/// The settings of one run, after overrides and defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// Horizon: the run covers [0, duration).
    pub duration: Duration,
    /// Start of the measured part.
    pub warmup: Duration,
    /// Seed of every random stream.
    pub seed: u64,
    /// Time-series window.
    pub window: Duration,
}

/// Why a run could not be made or finished.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The settings contradict each other.
    #[error("invalid run settings: {0}")]
    Settings(String),
    /// The scenario could not be compiled.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The engine stopped.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl RunConfig {
    /// Takes each setting from the override if given, else from the scenario, else the
    /// default.
    pub fn resolve(
        settings: &RunSettings,
        duration: Option<Duration>,
        warmup: Option<Duration>,
        seed: Option<u64>,
        window: Option<Duration>,
    ) -> Result<Self, RunError> {
        let config = Self {
            duration: duration.or(settings.duration).unwrap_or(DEFAULT_DURATION),
            warmup: warmup.or(settings.warmup).unwrap_or(Duration::ZERO),
            seed: seed.or(settings.seed).unwrap_or(DEFAULT_SEED),
            window: window.or(settings.window).unwrap_or(DEFAULT_WINDOW),
        };
        if config.duration == Duration::ZERO {
            return Err(RunError::Settings(
                "the duration must be greater than zero".to_owned(),
            ));
        }
        if config.warmup >= config.duration {
            return Err(RunError::Settings(format!(
                "the warm-up {} must be shorter than the duration {}",
                config.warmup, config.duration
            )));
        }
        if config.window == Duration::ZERO {
            return Err(RunError::Settings(
                "the window must be greater than zero".to_owned(),
            ));
        }
        if config.duration.as_nanos() / config.window.as_nanos() > MAX_WINDOWS {
            return Err(RunError::Settings(format!(
                "{} windows of {} in {}: at most {MAX_WINDOWS} are kept; choose a wider window",
                config.duration.as_nanos() / config.window.as_nanos(),
                config.window,
                config.duration
            )));
        }
        Ok(config)
    }

    /// Checks that the time series of `model` under these settings has at most
    /// [`MAX_WINDOW_ROWS`] windows over all its entities.
    pub fn check_window_rows(&self, model: &Model) -> Result<(), RunError> {
        let entities = u64::from(Layout::new(model).total);
        let window_ns = self.window.as_nanos().max(1);
        let windows = self.duration.as_nanos() / window_ns;
        let rows = windows.saturating_mul(entities);
        if rows <= MAX_WINDOW_ROWS {
            return Ok(());
        }
        // The narrowest window that keeps the rows within the limit, rounded up to a
        // whole millisecond.
        let narrowest_ns = (u128::from(self.duration.as_nanos()) * u128::from(entities))
            .div_ceil(u128::from(MAX_WINDOW_ROWS))
            .div_ceil(1_000_000)
            * 1_000_000;
        let narrowest = Duration::from_nanos(u64::try_from(narrowest_ns).unwrap_or(u64::MAX));
        Err(RunError::Settings(format!(
            "{windows} windows of {} in {} for {entities} entities make {rows} time-series rows, \
             about {} MB: at most {MAX_WINDOW_ROWS} are kept; choose a window of at least \
             {narrowest} or a shorter duration",
            self.window,
            self.duration,
            rows.saturating_mul(320) / 1_000_000,
        )))
    }

    /// The engine's options for this configuration.
    #[must_use]
    pub fn options(&self) -> RunOptions {
        RunOptions {
            seed: self.seed,
            warmup_ns: self.warmup.as_nanos(),
            window_ns: self.window.as_nanos(),
        }
    }
}

/// Compiles and runs `scenario` to its horizon, calling `progress` with the simulated
/// time after each slice of about a hundredth of the run.
pub fn run(
    scenario: &Scenario,
    config: &RunConfig,
    mut progress: impl FnMut(u64),
) -> Result<Simulation, RunError> {
    let model = Model::compile(scenario)?;
    config.check_window_rows(&model)?;
    let mut simulation = Simulation::new(model, config.options());
    let end = config.duration.as_nanos();
    let slice = (end / 100).max(1);
    let mut next = 0u64;
    while next < end {
        next = next.saturating_add(slice).min(end);
        simulation.run_until(next)?;
        progress(next);
    }
    simulation.finish();
    Ok(simulation)
}
