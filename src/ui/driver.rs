//! The engine on its own named thread, driven by commands from the app.
//!
//! The app sends [`Command`]s over a bounded channel and never waits for the engine:
//! each frame it drains the [`Report`]s that have arrived. The engine thread owns all
//! run state (the [`Simulation`]) and moves simulated time only with
//! [`Simulation::run_until`]. Pacing decides how far each wall-clock slice goes, never
//! what happens in it, so a run played at 1× gives the same windows and summary as the
//! same run unpaced or headless. Only live changes (a client's rate, a service's
//! replicas) depend on when the user makes them.
//!
//! Nothing here depends on egui: the app passes a [`Waker`] that asks for a repaint.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration as WallDuration, Instant};

use crate::engine::Simulation;
use crate::engine::model::{Model, WorkloadModel};
use crate::engine::run::RunConfig;
use crate::engine::sim::breaker::BreakerState;
use crate::metrics::recorder::Window;
use crate::metrics::summary::Summary;
use crate::scenario::{Duration, RunSettings, Scenario};

pub use super::messages::{
    BreakerNow, BreakerWindow, Command, EntityInfo, EntityKind, MAX_SPEED, MIN_SPEED, Pacing,
    Report, RunInfo, RunOverrides, RunState, Setting, Status, WindowRow,
};

/// Commands waiting in the channel to the engine at most.
const COMMAND_CAPACITY: usize = 64;

/// Reports waiting in the channel to the app at most. The engine waits while the channel
/// is full, so a stalled app slows the run down instead of filling memory.
const REPORT_CAPACITY: usize = 256;

/// Wall time that one `run_until` call should take. The engine adapts the simulated
/// length of its slices to it, so that it handles commands within a few frames.
const SLICE_WALL: WallDuration = WallDuration::from_millis(15);

/// Minimum and maximum of the events one slice may process.
const MIN_SLICE_EVENTS: u64 = 1_000;
const MAX_SLICE_EVENTS: u64 = 1 << 24;

/// Shortest simulated slice, ns.
const MIN_SLICE_NS: u64 = 1_000;

/// Wall time a paced engine sleeps once it has caught up with its clock.
const TICK: WallDuration = WallDuration::from_millis(10);

/// Wall time a paced engine may fall behind its clock before it gives up catching up,
/// so that a slow model plays as fast as it can instead of racing after a backlog.
const MAX_LAG: WallDuration = WallDuration::from_millis(250);

/// Wall time between live summaries while a run plays.
const SUMMARY_INTERVAL: WallDuration = WallDuration::from_millis(250);

/// Called by the engine thread after it has sent reports, for example to ask the UI
/// for a repaint.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The app's end of the engine thread.
pub struct Driver {
    commands: SyncSender<Command>,
    reports: Receiver<Report>,
    /// Commands that the full channel has not taken yet, sent first on the next call.
    backlog: VecDeque<Command>,
    connected: bool,
    // Declared last: fields drop in order, so both channel ends are closed when the guard
    // joins the thread, and the thread notices the disconnection and ends.
    thread: JoinGuard,
}

struct JoinGuard(Option<JoinHandle<()>>);

impl Drop for JoinGuard {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take()
            && handle.join().is_err()
        {
            tracing::error!("the engine thread panicked");
        }
    }
}

impl Driver {
    /// Starts the engine thread, which waits for a [`Command::Load`].
    pub fn spawn(waker: Option<Waker>) -> std::io::Result<Self> {
        let (command_sender, command_receiver) = mpsc::sync_channel(COMMAND_CAPACITY);
        let (report_sender, report_receiver) = mpsc::sync_channel(REPORT_CAPACITY);
        let engine = Engine::new(report_sender, waker);
        let handle = std::thread::Builder::new()
            .name("topolab-engine".to_owned())
            .spawn(move || {
                // The window's thread and the renderer's come first, so frames keep their
                // pace while a run plays as fast as possible. The engine takes the CPU time
                // they leave, and its results do not depend on it.
                if let Err(error) = thread_priority::set_current_thread_priority(
                    thread_priority::ThreadPriority::Min,
                ) {
                    tracing::debug!(?error, "cannot lower the engine thread's priority");
                }
                engine.run(&command_receiver);
            })?;
        tracing::debug!("engine thread started");
        Ok(Self {
            commands: command_sender,
            reports: report_receiver,
            backlog: VecDeque::new(),
            connected: true,
            thread: JoinGuard(Some(handle)),
        })
    }

    /// Queues `command` and sends what the channel takes without waiting; the rest goes
    /// on the next call or [`Driver::flush`]. A command replaces a queued one of the same
    /// kind that it makes pointless, such as an older speed.
    pub fn send(&mut self, command: Command) {
        self.backlog.retain(|queued| !command.supersedes(queued));
        self.backlog.push_back(command);
        self.flush();
    }

    /// Sends queued commands until the channel is full.
    pub fn flush(&mut self) {
        while let Some(command) = self.backlog.pop_front() {
            match self.commands.try_send(command) {
                Ok(()) => {}
                Err(TrySendError::Full(command)) => {
                    self.backlog.push_front(command);
                    break;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.disconnect();
                    break;
                }
            }
        }
    }

    /// Returns the next report, if one has arrived.
    pub fn try_recv(&mut self) -> Option<Report> {
        match self.reports.try_recv() {
            Ok(report) => Some(report),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.disconnect();
                None
            }
        }
    }

    /// Waits up to `timeout` for the next report; for tests and headless use.
    pub fn recv_timeout(&mut self, timeout: WallDuration) -> Option<Report> {
        match self.reports.recv_timeout(timeout) {
            Ok(report) => Some(report),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                self.disconnect();
                None
            }
        }
    }

    /// Returns whether the engine thread still runs.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    fn disconnect(&mut self) {
        if self.connected {
            tracing::error!("the engine thread has stopped");
        }
        self.connected = false;
        self.backlog.clear();
    }
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("backlog", &self.backlog.len())
            .field("connected", &self.connected)
            .field("thread", &self.thread.0.is_some())
            .finish_non_exhaustive()
    }
}

/// The report channel's receiver is gone: the app has dropped its [`Driver`].
struct AppGone;

/// The state of the engine thread.
struct Engine {
    reports: SyncSender<Report>,
    waker: Option<Waker>,
    loaded: Option<Loaded>,
    run: u64,
    state: RunState,
    error: Option<String>,
    pacing: Pacing,
    /// Wall instant and simulated time from which a paced run counts.
    anchor: (Instant, u64),
    /// Simulated length of the next unpaced slice, ns.
    slice_ns: u64,
    /// Events the next slice may process at most.
    slice_events: u64,
    /// Windows of the current run already sent.
    windows_sent: usize,
    /// Wall time this run has played before the current stretch of play, plus the time
    /// its steps took.
    wall_played: WallDuration,
    /// When the current stretch of play started.
    playing_since: Option<Instant>,
    /// Wall instant and event count at the start of the current rate measurement.
    meter: (Instant, u64),
    events_per_s: f64,
    last_summary: Instant,
}

/// A scenario ready to run, with its current run.
struct Loaded {
    name: String,
    model: Model,
    config: RunConfig,
    rate_factors: Vec<f64>,
    simulation: Simulation,
}

impl Engine {
    fn new(reports: SyncSender<Report>, waker: Option<Waker>) -> Self {
        let now = Instant::now();
        Self {
            reports,
            waker,
            loaded: None,
            run: 0,
            state: RunState::Ready,
            error: None,
            pacing: Pacing::default(),
            anchor: (now, 0),
            slice_ns: MIN_SLICE_NS,
            slice_events: 100_000,
            windows_sent: 0,
            wall_played: WallDuration::ZERO,
            playing_since: None,
            meter: (now, 0),
            events_per_s: 0.0,
            last_summary: now,
        }
    }

    /// Handles commands and plays the run until the app drops its end of a channel.
    fn run(mut self, commands: &Receiver<Command>) {
        loop {
            let command = if self.state == RunState::Playing {
                let wait = if self.caught_up() {
                    TICK
                } else {
                    WallDuration::ZERO
                };
                match commands.recv_timeout(wait) {
                    Ok(command) => Some(command),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match commands.recv() {
                    Ok(command) => Some(command),
                    Err(_) => break,
                }
            };
            let result = match command {
                Some(command) => self.handle(command),
                None => self.play_slice(),
            };
            if result.is_err() {
                break;
            }
        }
        tracing::debug!("engine thread stopped");
    }

    fn handle(&mut self, command: Command) -> Result<(), AppGone> {
        tracing::trace!(?command, "engine command");
        match command {
            Command::Load(scenario, overrides) => self.load(&scenario, overrides),
            Command::Play => self.play(),
            Command::Pause => {
                if self.state == RunState::Playing {
                    self.state = RunState::Paused;
                    self.stop_wall_clock();
                }
                self.send_progress(true)
            }
            Command::Step => self.step(),
            Command::Reset => self.restart(),
            Command::SetSpeed(pacing) => {
                self.pacing = pacing.clamped();
                self.anchor_clock();
                self.send_progress(false)
            }
            Command::SetSeed(seed) => {
                let Some(loaded) = &mut self.loaded else {
                    return Ok(());
                };
                loaded.config.seed = seed;
                self.restart()
            }
            Command::SetDuration(duration) => self.set_duration(duration),
            Command::SetClientRate { client, factor } => {
                let Some(loaded) = &mut self.loaded else {
                    return Ok(());
                };
                if client >= loaded.rate_factors.len() || !factor.is_finite() {
                    return self.reject(format!(
                        "cannot set the rate of client {client} to {factor}"
                    ));
                }
                let factor = factor.max(0.0);
                loaded.rate_factors[client] = factor;
                loaded.simulation.set_client_rate_factor(client, factor);
                self.send_progress(false)
            }
            Command::SetClientBaseRate { client, per_sec } => {
                let Some(loaded) = &mut self.loaded else {
                    return Ok(());
                };
                let open = matches!(
                    loaded.model.clients.get(client).map(|c| &c.workload),
                    Some(WorkloadModel::Open { .. })
                );
                if !open || !per_sec.is_finite() || per_sec < 0.0 {
                    return self.reject(format!(
                        "cannot set the base rate of client {client} to {per_sec}/s: it \
                         needs an open client and a rate of at least 0"
                    ));
                }
                if let Some(WorkloadModel::Open { profile, .. }) = loaded
                    .model
                    .clients
                    .get_mut(client)
                    .map(|c| &mut c.workload)
                {
                    profile.base_per_sec = per_sec;
                }
                loaded.simulation.set_client_base_rate(client, per_sec);
                self.send_progress(false)
            }
            Command::SetReplicas { service, replicas } => {
                let Some(loaded) = &mut self.loaded else {
                    return Ok(());
                };
                if service >= loaded.model.services.len() || replicas == 0 {
                    return self.reject(format!(
                        "cannot set the replicas of service {service} to {replicas}: \
                         a service needs at least 1"
                    ));
                }
                loaded.simulation.set_replicas(service, replicas);
                self.send_progress(false)
            }
            Command::Unload => self.unload(),
            Command::InjectFault { kind, duration } => {
                let Some(loaded) = &mut self.loaded else {
                    return Ok(());
                };
                match loaded.simulation.inject_fault(&kind, duration) {
                    Ok(fault) => {
                        tracing::info!(fault, label = %kind.name(), "fault started by hand");
                        self.send_progress(false)
                    }
                    Err(error) => self.reject(format!("cannot start the fault: {error}")),
                }
            }
        }
    }

    fn load(&mut self, scenario: &Scenario, overrides: RunOverrides) -> Result<(), AppGone> {
        let name = scenario
            .name
            .clone()
            .unwrap_or_else(|| "scenario".to_owned());
        let model = match Model::compile(scenario) {
            Ok(model) => model,
            Err(error) => return self.reject(format!("cannot load {name}: {error}")),
        };
        let config = match RunConfig::resolve(
            &scenario.run,
            overrides.duration,
            None,
            overrides.seed,
            None,
        )
        .and_then(|config| config.check_window_rows(&model).map(|()| config))
        {
            Ok(config) => config,
            Err(error) => return self.reject(format!("cannot load {name}: {error}")),
        };
        tracing::info!(scenario = %name, "scenario loaded into the engine");
        let simulation = Simulation::new(model.clone(), config.options());
        self.loaded = Some(Loaded {
            name,
            rate_factors: vec![1.0; model.clients.len()],
            model,
            config,
            simulation,
        });
        self.restart()
    }

    fn unload(&mut self) -> Result<(), AppGone> {
        if let Some(loaded) = self.loaded.take() {
            tracing::info!(scenario = %loaded.name, "scenario unloaded from the engine");
        }
        self.stop_wall_clock();
        self.state = RunState::Ready;
        self.error = None;
        self.send(Report::Unloaded)
    }

    fn reject(&mut self, message: String) -> Result<(), AppGone> {
        self.reject_setting(message, None)
    }

    /// Rejects a command that would have changed `setting`.
    fn reject_setting(&mut self, message: String, setting: Option<Setting>) -> Result<(), AppGone> {
        tracing::warn!(%message, ?setting, "engine command rejected");
        self.send(Report::Rejected { message, setting })
    }

    /// Starts a new run of the loaded scenario at simulated time 0.
    fn restart(&mut self) -> Result<(), AppGone> {
        let Some(loaded) = &mut self.loaded else {
            return self.reject("no scenario is loaded".to_owned());
        };
        self.run += 1;
        loaded.simulation = Simulation::new(loaded.model.clone(), loaded.config.options());
        loaded.rate_factors.fill(1.0);
        self.state = RunState::Ready;
        self.error = None;
        self.windows_sent = 0;
        self.wall_played = WallDuration::ZERO;
        self.playing_since = None;
        self.slice_ns = (loaded.config.window.as_nanos() / 16).max(MIN_SLICE_NS);
        self.events_per_s = 0.0;
        let info = RunInfo {
            run: self.run,
            scenario_name: loaded.name.clone(),
            config: loaded.config,
            entities: entities(&loaded.model),
            rate_factors: loaded.rate_factors.clone(),
            replicas: loaded.model.services.iter().map(|s| s.replicas).collect(),
        };
        tracing::debug!(run = self.run, seed = loaded.config.seed, "run started");
        self.send(Report::Started(Box::new(info)))?;
        self.send_progress(true)
    }

    fn play(&mut self) -> Result<(), AppGone> {
        match self.state {
            RunState::Playing | RunState::Failed => return Ok(()),
            RunState::Finished => self.restart()?,
            RunState::Ready | RunState::Paused => {}
        }
        if self.loaded.is_none() {
            return self.reject("no scenario is loaded".to_owned());
        }
        self.state = RunState::Playing;
        self.playing_since = Some(Instant::now());
        self.anchor_clock();
        self.send_progress(false)
    }

    /// Adds the current stretch of play to the run's wall time.
    fn stop_wall_clock(&mut self) {
        if let Some(since) = self.playing_since.take() {
            self.wall_played += since.elapsed();
        }
    }

    fn step(&mut self) -> Result<(), AppGone> {
        if matches!(self.state, RunState::Finished | RunState::Failed) {
            return Ok(());
        }
        let Some(loaded) = &self.loaded else {
            return self.reject("no scenario is loaded".to_owned());
        };
        let window = loaded.config.window.as_nanos();
        let now = loaded.simulation.now_ns();
        let end = (now / window)
            .saturating_add(1)
            .saturating_mul(window)
            .min(loaded.config.duration.as_nanos());
        self.stop_wall_clock();
        self.state = RunState::Paused;
        // The event budget may stop a slice early, so go on until the window is done.
        while self.state == RunState::Paused
            && self
                .loaded
                .as_ref()
                .is_some_and(|l| l.simulation.now_ns() < end)
        {
            self.advance_to(end);
        }
        self.send_progress(true)
    }

    fn set_duration(&mut self, duration: Duration) -> Result<(), AppGone> {
        let Some(loaded) = &mut self.loaded else {
            return Ok(());
        };
        let old = loaded.config;
        let config = match RunConfig::resolve(
            &RunSettings::default(),
            Some(duration),
            Some(old.warmup),
            Some(old.seed),
            Some(old.window),
        )
        .and_then(|config| config.check_window_rows(&loaded.model).map(|()| config))
        {
            Ok(config) => config,
            Err(error) => {
                return self.reject_setting(
                    format!("cannot set the duration: {error}"),
                    Some(Setting::Duration),
                );
            }
        };
        loaded.config = config;
        let now = loaded.simulation.now_ns();
        if self.state == RunState::Finished || now > duration.as_nanos() {
            return self.restart();
        }
        if now == duration.as_nanos() && self.state != RunState::Ready {
            loaded.simulation.finish();
            self.state = RunState::Finished;
        }
        self.send_progress(true)
    }

    /// Restarts the pacing clock from the current simulated time.
    fn anchor_clock(&mut self) {
        let now = self.loaded.as_ref().map_or(0, |l| l.simulation.now_ns());
        self.anchor = (Instant::now(), now);
        self.meter = (Instant::now(), self.events_processed());
    }

    fn events_processed(&self) -> u64 {
        self.loaded
            .as_ref()
            .map_or(0, |l| l.simulation.events_processed())
    }

    /// Returns the simulated time that the pacing clock has reached in ns, or `None`
    /// when unpaced.
    fn paced_target(&mut self) -> Option<u64> {
        let Pacing::RealTime(speed) = self.pacing else {
            return None;
        };
        let now = self.loaded.as_ref().map_or(0, |l| l.simulation.now_ns());
        let nanos_per_wall_second = speed * 1e9;
        let (wall, simulated) = self.anchor;
        let target = simulated + (wall.elapsed().as_secs_f64() * nanos_per_wall_second) as u64;
        let max_ahead = (MAX_LAG.as_secs_f64() * nanos_per_wall_second) as u64;
        if target > now.saturating_add(max_ahead) {
            // Behind by more than MAX_LAG: count from here rather than race to catch up.
            let wall = Instant::now();
            self.anchor = (wall.checked_sub(MAX_LAG).unwrap_or(wall), now);
            return Some(now.saturating_add(max_ahead));
        }
        Some(target)
    }

    fn caught_up(&mut self) -> bool {
        let now = self.loaded.as_ref().map_or(0, |l| l.simulation.now_ns());
        self.paced_target().is_some_and(|target| target <= now)
    }

    /// Advances a playing run by one slice and reports on it.
    fn play_slice(&mut self) -> Result<(), AppGone> {
        let target = self.paced_target();
        let Some(loaded) = &self.loaded else {
            self.state = RunState::Ready;
            return Ok(());
        };
        let now = loaded.simulation.now_ns();
        let horizon = loaded.config.duration.as_nanos();
        let mut end = now.saturating_add(self.slice_ns);
        if let Some(target) = target {
            end = end.min(target);
        }
        let end = end.min(horizon);
        if end <= now && now < horizon {
            return Ok(());
        }
        let chunk_limited = end == now.saturating_add(self.slice_ns);
        let elapsed = self.advance_to(end);
        if chunk_limited {
            self.adapt_slice(elapsed, horizon);
        }
        let due = self.last_summary.elapsed() >= SUMMARY_INTERVAL;
        self.send_progress(due || self.state != RunState::Playing)
    }

    /// Runs the simulation up to `end_ns` (at most the horizon), finishing it at the
    /// horizon, and returns the wall time taken.
    fn advance_to(&mut self, end_ns: u64) -> WallDuration {
        let Some(loaded) = &mut self.loaded else {
            return WallDuration::ZERO;
        };
        let started = Instant::now();
        let horizon = loaded.config.duration.as_nanos();
        let end_ns = end_ns.min(horizon);
        // A budget of events keeps one slice short even when a huge load packs millions
        // of events into a short span of simulated time.
        let result = loaded
            .simulation
            .run_until_limited(end_ns, self.slice_events);
        let took = started.elapsed();
        if took > SLICE_WALL * 2 {
            self.slice_events = (self.slice_events / 2).max(MIN_SLICE_EVENTS);
        } else if took < SLICE_WALL / 4 && matches!(result, Ok(false)) {
            self.slice_events = self.slice_events.saturating_mul(2).min(MAX_SLICE_EVENTS);
        }
        match result {
            Ok(_) => {
                if loaded.simulation.now_ns() >= horizon {
                    loaded.simulation.finish();
                    self.state = RunState::Finished;
                    tracing::debug!(run = self.run, "run finished");
                }
            }
            Err(error) => {
                tracing::warn!(run = self.run, %error, "run stopped by an engine error");
                self.error = Some(error.to_string());
                self.state = RunState::Failed;
            }
        }
        let elapsed = started.elapsed();
        if self.playing_since.is_none() {
            self.wall_played += elapsed;
        }
        if self.state != RunState::Playing {
            self.stop_wall_clock();
        }
        elapsed
    }

    /// Doubles or halves the unpaced slice so that one slice takes about [`SLICE_WALL`].
    fn adapt_slice(&mut self, elapsed: WallDuration, horizon: u64) {
        if elapsed < SLICE_WALL / 4 {
            self.slice_ns = self
                .slice_ns
                .saturating_mul(2)
                .min(horizon.max(MIN_SLICE_NS));
        } else if elapsed > SLICE_WALL * 2 {
            self.slice_ns = (self.slice_ns / 2).max(MIN_SLICE_NS);
        }
    }

    /// Sends the windows closed since the last report, the status and, when `summary`
    /// is set or the run is over, the summary.
    fn send_progress(&mut self, summary: bool) -> Result<(), AppGone> {
        self.update_meter();
        let complete = self.state == RunState::Finished;
        let summary = summary || complete;
        if summary
            && !complete
            && let Some(loaded) = &mut self.loaded
        {
            // A finished run is up to date; a running one has its whole-run figures
            // brought up to the current time first.
            loaded.simulation.refresh_metrics();
        }
        let Some(loaded) = &self.loaded else {
            return Ok(());
        };
        let simulation = &loaded.simulation;
        let rows = new_rows(simulation, self.windows_sent);
        self.windows_sent += rows.len();
        let run = self.run;
        let summary = summary.then(|| Summary::new(simulation, &loaded.name));
        let status = self.status(loaded);
        if !rows.is_empty() {
            self.send(Report::Windows { run, rows })?;
        }
        self.send(Report::Status(Box::new(status)))?;
        if let Some(summary) = summary {
            self.last_summary = Instant::now();
            self.send(Report::Summary {
                run,
                summary: Box::new(summary),
                complete,
            })?;
        }
        Ok(())
    }

    /// Updates the events-per-second figure, measured over at least half a second.
    fn update_meter(&mut self) {
        let events = self.events_processed();
        let (since, counted) = self.meter;
        let elapsed = since.elapsed();
        if self.state != RunState::Playing {
            self.events_per_s = 0.0;
        } else if elapsed >= WallDuration::from_millis(500) {
            self.events_per_s = events.saturating_sub(counted) as f64 / elapsed.as_secs_f64();
            self.meter = (Instant::now(), events);
        }
    }

    fn status(&self, loaded: &Loaded) -> Status {
        let simulation = &loaded.simulation;
        let stats = &simulation.metrics().stats;
        Status {
            run: self.run,
            state: self.state,
            now_ns: simulation.now_ns(),
            duration_ns: loaded.config.duration.as_nanos(),
            events_processed: simulation.events_processed(),
            events_per_s: self.events_per_s,
            wall_s: (self.wall_played
                + self
                    .playing_since
                    .map_or(WallDuration::ZERO, |since| since.elapsed()))
            .as_secs_f64(),
            pacing: self.pacing,
            seed: loaded.config.seed,
            rate_factors: loaded.rate_factors.clone(),
            replicas: (0..loaded.model.services.len())
                .map(|service| simulation.replicas(service))
                .collect(),
            starting_replicas: (0..loaded.model.services.len())
                .map(|service| simulation.starting_replicas(service))
                .collect(),
            levels: (0..stats.len())
                .map(|entity| simulation.metrics().in_flight_of(entity).value())
                .collect(),
            busy: stats.iter().map(|s| s.busy.value()).collect(),
            queue_depths: simulation
                .queue_depths()
                .into_iter()
                .map(|depth| depth as u64)
                .collect(),
            breakers: breakers_now(simulation),
            fault_timeline: simulation.fault_timeline().to_vec(),
            manual_faults: simulation.manual_faults(),
            error: self.error.clone(),
        }
    }

    fn send(&self, report: Report) -> Result<(), AppGone> {
        self.reports.send(report).map_err(|_| AppGone)?;
        if let Some(waker) = &self.waker {
            waker();
        }
        Ok(())
    }
}

/// Collects the rows of windows that `simulation` has closed after the first `sent`.
fn new_rows(simulation: &Simulation, sent: usize) -> Vec<WindowRow> {
    let stats = &simulation.metrics().stats;
    let window_ns = simulation.options().window_ns;
    let closed = stats.first().map_or(0, |s| s.series.len());
    (sent..closed)
        .map(|index| {
            let windows: Vec<Window> = stats.iter().map(|s| s.series[index]).collect();
            let start = windows.first().map_or(0, |w| w.start_ns);
            WindowRow {
                end_ns: start
                    .saturating_add(window_ns)
                    .min(simulation.now_ns().max(start)),
                windows,
                breakers: breaker_windows(simulation, index, closed),
                replicas: (0..simulation.model().services.len())
                    .map(|service| {
                        let windows = simulation.replica_windows(service)?;
                        windows.get(index).map(|w| w.mean_ready)
                    })
                    .collect(),
                mean_replicas: (0..simulation.model().services.len())
                    .map(|service| {
                        let windows = simulation.window_replicas(service);
                        windows.get(index).copied().unwrap_or_default()
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Sums the breakers of each edge that has any over window `index` of the `closed`
/// windows. A breaker of a replica added while running has only the latest windows.
fn breaker_windows(simulation: &Simulation, index: usize, closed: usize) -> Vec<BreakerWindow> {
    let mut sums: Vec<BreakerWindow> = Vec::new();
    for (site, model) in simulation.model().breakers.iter().enumerate() {
        let entity = (simulation.layout().edges + model.edge) as usize;
        let found = sums.iter().position(|sum| sum.entity == entity);
        let position = found.unwrap_or_else(|| {
            sums.push(BreakerWindow {
                entity,
                ..BreakerWindow::default()
            });
            sums.len() - 1
        });
        let sum = &mut sums[position];
        for breaker in simulation.site_breakers(site) {
            let series = breaker.series();
            let Some(window) = (index + series.len())
                .checked_sub(closed)
                .and_then(|offset| series.get(offset))
            else {
                continue;
            };
            sum.breakers += 1;
            sum.open_ns += window.open_ns;
            sum.half_open_ns += window.half_open_ns;
            match window.state {
                BreakerState::Open => sum.open += 1,
                BreakerState::HalfOpen => sum.half_open += 1,
                BreakerState::Closed => {}
            }
        }
    }
    sums
}

/// Counts the breakers of each edge that has any, and those open and half-open now.
fn breakers_now(simulation: &Simulation) -> Vec<BreakerNow> {
    let mut counts: Vec<BreakerNow> = Vec::new();
    for (site, model) in simulation.model().breakers.iter().enumerate() {
        let entity = (simulation.layout().edges + model.edge) as usize;
        let found = counts.iter().position(|count| count.entity == entity);
        let position = found.unwrap_or_else(|| {
            counts.push(BreakerNow {
                entity,
                ..BreakerNow::default()
            });
            counts.len() - 1
        });
        let count = &mut counts[position];
        for breaker in simulation.site_breakers(site) {
            count.breakers += 1;
            match breaker.state() {
                BreakerState::Open => count.open += 1,
                BreakerState::HalfOpen => count.half_open += 1,
                BreakerState::Closed => {}
            }
        }
    }
    counts
}

/// Describes every entity of `model` in the recorder's order.
fn entities(model: &Model) -> Vec<EntityInfo> {
    let mut entities = Vec::new();
    for client in &model.clients {
        entities.push(EntityInfo {
            name: client.name.clone(),
            kind: EntityKind::Client {
                open: matches!(client.workload, WorkloadModel::Open { .. }),
            },
        });
    }
    for (index, service) in model.services.iter().enumerate() {
        entities.push(EntityInfo {
            name: service.name.clone(),
            kind: EntityKind::Service {
                index,
                slots_per_replica: service.workers + service.consumer_slots,
                waiting_per_replica: service.queue_capacity,
            },
        });
    }
    for operation in &model.operations {
        entities.push(EntityInfo {
            name: operation.name.clone(),
            kind: EntityKind::Operation {
                service: model.services[operation.service as usize].name.clone(),
            },
        });
    }
    for queue in &model.queues {
        entities.push(EntityInfo {
            name: queue.name.clone(),
            kind: EntityKind::Queue {
                capacity: queue.capacity,
                consumer: queue.consumer.map(|(operation, concurrency, _)| {
                    let service = model.operations[operation as usize].service;
                    (service as usize, concurrency)
                }),
            },
        });
    }
    for edge in &model.edges {
        entities.push(EntityInfo {
            name: edge.name.clone(),
            kind: EntityKind::Edge {
                from: model.node_name(edge.from).to_owned(),
                to: model.node_name(edge.to).to_owned(),
                kind: edge.kind,
            },
        });
    }
    entities.push(EntityInfo {
        name: "all clients".to_owned(),
        kind: EntityKind::AllClients,
    });
    entities
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::run;
    use crate::scenario::load_str;

    const CHECKOUT: &str = include_str!("../../scenarios/checkout-async.yaml");

    fn checkout() -> Scenario {
        load_str(CHECKOUT, None)
            .expect("the bundled checkout scenario is valid")
            .scenario
    }

    /// Everything one run sent: its windows and its final summary.
    struct Recorded {
        runs: Vec<u64>,
        rows: Vec<WindowRow>,
        summary: Summary,
    }

    /// Collects reports until the final summary of a run arrives, sending `Step` after
    /// each status when `stepping`.
    fn record(driver: &mut Driver, stepping: bool) -> Recorded {
        let deadline = Instant::now() + WallDuration::from_mins(2);
        let mut runs = Vec::new();
        let mut rows = Vec::new();
        while Instant::now() < deadline {
            let Some(report) = driver.recv_timeout(WallDuration::from_millis(100)) else {
                continue;
            };
            match report {
                Report::Started(info) => runs.push(info.run),
                Report::Windows { run, rows: batch } => {
                    assert_eq!(Some(&run), runs.last(), "windows of the current run");
                    rows.extend(batch);
                }
                Report::Status(status) => {
                    if stepping && status.state != RunState::Finished {
                        driver.send(Command::Step);
                    }
                }
                Report::Summary {
                    summary, complete, ..
                } => {
                    if complete {
                        return Recorded {
                            runs,
                            rows,
                            summary: *summary,
                        };
                    }
                }
                Report::Rejected { message, .. } => panic!("command rejected: {message}"),
                Report::Unloaded => panic!("the scenario was unloaded"),
            }
        }
        panic!("the run did not finish within two minutes");
    }

    fn drive(pacing: Option<Pacing>) -> Recorded {
        drive_for(checkout(), pacing, 30)
    }

    /// Plays `scenario` for `seconds` of simulated time at `pacing`, or steps it window
    /// by window when `pacing` is `None`.
    fn drive_for(scenario: Scenario, pacing: Option<Pacing>, seconds: u64) -> Recorded {
        let mut driver = Driver::spawn(None).expect("the engine thread starts");
        driver.send(Command::Load(Box::new(scenario), RunOverrides::default()));
        driver.send(Command::SetDuration(Duration::from_secs(seconds)));
        if let Some(pacing) = pacing {
            driver.send(Command::SetSpeed(pacing));
            driver.send(Command::Play);
            record(&mut driver, false)
        } else {
            driver.send(Command::Step);
            record(&mut driver, true)
        }
    }

    fn headless() -> (Summary, Vec<WindowRow>) {
        headless_for(&checkout(), 30)
    }

    /// Runs `scenario` for `seconds` of simulated time without the driver.
    fn headless_for(scenario: &Scenario, seconds: u64) -> (Summary, Vec<WindowRow>) {
        let config = RunConfig::resolve(
            &scenario.run,
            Some(Duration::from_secs(seconds)),
            None,
            None,
            None,
        )
        .expect("valid settings");
        let simulation = run::run(scenario, &config, |_| {}).expect("the run finishes");
        let rows = new_rows(&simulation, 0);
        let name = scenario.name.clone().expect("the scenario has a name");
        (Summary::new(&simulation, &name), rows)
    }

    #[test]
    fn paced_unpaced_and_headless_agree() {
        let (expected_summary, expected_rows) = headless();
        let unpaced = drive(Some(Pacing::AsFastAsPossible));
        let paced = drive(Some(Pacing::RealTime(300.0)));
        let stepped = drive(None);

        assert_eq!(unpaced.summary, expected_summary, "unpaced summary");
        assert_eq!(paced.summary, expected_summary, "paced summary");
        assert_eq!(stepped.summary, expected_summary, "stepped summary");
        assert_eq!(unpaced.rows.len(), 30, "one row per simulated second");
        assert_eq!(
            unpaced.rows.last().map(|row| row.windows.clone()),
            expected_rows.last().map(|row| row.windows.clone()),
            "last unpaced window"
        );
        assert!(unpaced.rows == expected_rows, "unpaced windows");
        assert!(paced.rows == expected_rows, "paced windows");
        assert!(stepped.rows == expected_rows, "stepped windows");
        assert!(
            expected_summary.clients[0].successes > 0,
            "the run did work"
        );
    }

    #[test]
    fn real_time_run_matches_headless() {
        // Three simulated seconds at 1× take three seconds of wall time, too short for
        // the file's 10 s warm-up.
        let mut scenario = checkout();
        scenario.run.warmup = None;
        let (expected_summary, expected_rows) = headless_for(&scenario, 3);
        let real_time = drive_for(scenario, Some(Pacing::RealTime(1.0)), 3);

        assert_eq!(real_time.runs, vec![1], "one run");
        assert_eq!(real_time.rows.len(), 3, "one row per simulated second");
        assert!(real_time.rows == expected_rows, "windows at 1×");
        assert_eq!(real_time.summary, expected_summary, "summary at 1×");
    }

    #[test]
    fn duration_change_keeps_run() {
        // Load starts run 1; a horizon that the run has not passed keeps that run.
        let unpaced = drive(Some(Pacing::AsFastAsPossible));
        assert_eq!(unpaced.runs, vec![1]);
    }

    #[test]
    fn rate_change_applies_without_reset() {
        let mut driver = Driver::spawn(None).expect("the engine thread starts");
        driver.send(Command::Load(Box::new(checkout()), RunOverrides::default()));
        driver.send(Command::SetDuration(Duration::from_secs(40)));
        // Ten steps of one window reach 10 s; then the rate triples.
        for _ in 0..10 {
            driver.send(Command::Step);
        }
        driver.send(Command::SetClientRate {
            client: 0,
            factor: 3.0,
        });
        driver.send(Command::SetSpeed(Pacing::AsFastAsPossible));
        driver.send(Command::Play);
        let recorded = record(&mut driver, false);

        assert_eq!(recorded.runs, vec![1], "no new run started");
        let offered = |row: &WindowRow| row.windows[0].counts.offered;
        let before: u64 = recorded.rows[1..10].iter().map(offered).sum();
        let after: u64 = recorded.rows[20..29].iter().map(offered).sum();
        // The file's 150/s gives about 1350 requests in 9 s; tripled, about 4050.
        assert!((1100..1600).contains(&before), "before: {before}");
        assert!((3600..4500).contains(&after), "after: {after}");
    }

    #[test]
    fn base_rate_change_applies_and_stays() {
        let mut mm1 = crate::scenario::load_str(include_str!("../../scenarios/mm1.yaml"), None)
            .expect("the bundled scenario is valid")
            .scenario;
        mm1.run.warmup = None;
        let mut driver = Driver::spawn(None).expect("the engine thread starts");
        driver.send(Command::Load(Box::new(mm1), RunOverrides::default()));
        driver.send(Command::SetDuration(Duration::from_secs(20)));
        for _ in 0..10 {
            driver.send(Command::Step);
        }
        driver.send(Command::SetClientBaseRate {
            client: 0,
            per_sec: 400.0,
        });
        driver.send(Command::SetSpeed(Pacing::AsFastAsPossible));
        driver.send(Command::Play);
        let recorded = record(&mut driver, false);
        assert_eq!(recorded.runs, vec![1], "no new run started");
        let offered = |row: &WindowRow| row.windows[0].counts.offered;
        let before: u64 = recorded.rows[1..10].iter().map(offered).sum();
        let after: u64 = recorded.rows[11..20].iter().map(offered).sum();
        // 800/s gives about 7200 requests in 9 s; at 400/s, about 3600.
        assert!((6700..7700).contains(&before), "before: {before}");
        assert!((3200..4000).contains(&after), "after: {after}");

        // A reset keeps the new rate.
        driver.send(Command::Reset);
        driver.send(Command::Play);
        let again = record(&mut driver, false);
        let first: u64 = again.rows[1..10].iter().map(offered).sum();
        assert!((3200..4000).contains(&first), "after the reset: {first}");
    }

    #[test]
    fn replicas_change_applies_without_reset() {
        let mut driver = Driver::spawn(None).expect("the engine thread starts");
        driver.send(Command::Load(Box::new(checkout()), RunOverrides::default()));
        driver.send(Command::Step);
        driver.send(Command::SetReplicas {
            service: 2,
            replicas: 0,
        });
        driver.send(Command::SetReplicas {
            service: 2,
            replicas: 6,
        });
        let deadline = Instant::now() + WallDuration::from_secs(30);
        let mut rejected = Vec::new();
        let mut last = None;
        while Instant::now() < deadline {
            match driver.recv_timeout(WallDuration::from_millis(100)) {
                Some(Report::Rejected { message, .. }) => rejected.push(message),
                Some(Report::Status(status)) => {
                    let changed = status.replicas.get(2) == Some(&6);
                    last = Some(*status);
                    if changed {
                        break;
                    }
                }
                _ => {}
            }
        }
        let status = last.expect("a status arrived");
        assert_eq!(status.replicas.get(2), Some(&6), "payments has 6 replicas");
        assert_eq!(status.run, 1, "no new run started");
        assert_eq!(status.now_ns, 1_000_000_000, "the run stays where it was");
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert!(rejected[0].contains("at least 1"), "{}", rejected[0]);
    }

    #[test]
    fn reset_starts_new_run_from_zero() {
        let mut driver = Driver::spawn(None).expect("the engine thread starts");
        driver.send(Command::Load(Box::new(checkout()), RunOverrides::default()));
        driver.send(Command::Step);
        driver.send(Command::Reset);
        let deadline = Instant::now() + WallDuration::from_secs(30);
        let mut last = None;
        while Instant::now() < deadline {
            if let Some(Report::Status(status)) =
                driver.recv_timeout(WallDuration::from_millis(100))
            {
                let reset = status.run == 2;
                last = Some(*status);
                if reset {
                    break;
                }
            }
        }
        let status = last.expect("a status arrived");
        assert_eq!(status.run, 2, "second run");
        assert_eq!(status.now_ns, 0, "back at simulated time 0");
        assert_eq!(status.state, RunState::Ready);
    }

    #[test]
    fn invalid_commands_are_rejected() {
        let mut driver = Driver::spawn(None).expect("the engine thread starts");
        driver.send(Command::Play);
        driver.send(Command::Load(Box::new(checkout()), RunOverrides::default()));
        // The scenario's warm-up is 10 s, so a 5 s horizon is invalid.
        driver.send(Command::SetDuration(Duration::from_secs(5)));
        let mut messages = Vec::new();
        let deadline = Instant::now() + WallDuration::from_secs(30);
        while messages.len() < 2 && Instant::now() < deadline {
            if let Some(Report::Rejected { message, setting }) =
                driver.recv_timeout(WallDuration::from_millis(100))
            {
                messages.push((message, setting));
            }
        }
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert_eq!(messages[0], ("no scenario is loaded".to_owned(), None));
        assert!(
            messages[1].0.starts_with("cannot set the duration: "),
            "{}",
            messages[1].0
        );
        assert_eq!(messages[1].1, Some(Setting::Duration));
    }

    #[test]
    fn pacing_clamps_factor() {
        assert_eq!(
            Pacing::RealTime(5000.0).clamped(),
            Pacing::RealTime(MAX_SPEED)
        );
        assert_eq!(Pacing::RealTime(0.0).clamped(), Pacing::RealTime(MIN_SPEED));
        assert_eq!(Pacing::RealTime(f64::NAN).clamped(), Pacing::RealTime(1.0));
    }
}
