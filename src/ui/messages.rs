//! The messages between the app and the engine thread: the [`Command`]s the app sends
//! and the [`Report`]s the engine sends back, with the types they carry.

use serde::{Deserialize, Serialize};

use crate::engine::model::EdgeKind;
use crate::engine::run::RunConfig;
use crate::metrics::recorder::Window;
use crate::metrics::summary::Summary;
use crate::scenario::{Duration, Scenario};

/// Slowest real-time factor offered.
pub const MIN_SPEED: f64 = 0.1;

/// Fastest real-time factor offered; beyond it, use [`Pacing::AsFastAsPossible`].
pub const MAX_SPEED: f64 = 1000.0;

/// The pace of simulated time against wall time while a run plays.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Pacing {
    /// As fast as the engine can go.
    AsFastAsPossible,
    /// Simulated seconds per wall second, from [`MIN_SPEED`] to [`MAX_SPEED`].
    RealTime(f64),
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing::RealTime(1.0)
    }
}

impl Pacing {
    /// Clamps the factor into [`MIN_SPEED`]..=[`MAX_SPEED`] and turns a factor that is
    /// not a number into 1×.
    #[must_use]
    pub fn clamped(self) -> Self {
        match self {
            Pacing::AsFastAsPossible => self,
            Pacing::RealTime(factor) if factor.is_nan() => Pacing::RealTime(1.0),
            Pacing::RealTime(factor) => Pacing::RealTime(factor.clamp(MIN_SPEED, MAX_SPEED)),
        }
    }
}

/// A request from the app to the engine.
#[derive(Clone, Debug)]
pub enum Command {
    /// Replaces the scenario and starts a new run of it, with the run settings of its
    /// `run:` block where the toolbar's settings do not replace them, and without live
    /// rate changes.
    Load(Box<Scenario>, RunOverrides),
    /// Plays the run; after the end of a finished run, starts a new run first.
    Play,
    /// Stops playing, keeping the run where it is.
    Pause,
    /// Advances to the end of the current time-series window and pauses.
    Step,
    /// Starts the run again from simulated time 0 with the same settings.
    Reset,
    /// Changes the pacing, at once if the run plays.
    SetSpeed(Pacing),
    /// Starts a new run with this seed.
    SetSeed(u64),
    /// Moves the horizon. The run goes on if it has not passed the new horizon and has
    /// not finished; otherwise a new run starts.
    SetDuration(Duration),
    /// Multiplies an open client's rate profile by `factor` from the current simulated
    /// time on, without a reset.
    SetClientRate {
        /// Index of the client in the model, which is file order.
        client: usize,
        /// Factor on the file's rates; 1 is the file's rates.
        factor: f64,
    },
    /// Changes an open client's base rate from the current simulated time on, without a
    /// reset, keeping its rate factor. Later runs of the loaded scenario use it too.
    SetClientBaseRate {
        /// Index of the client in the model, which is file order.
        client: usize,
        /// The new base rate, per second.
        per_sec: f64,
    },
    /// Changes a service's replicas from the current simulated time on, without a reset.
    /// Replicas removed finish the work they already hold.
    SetReplicas {
        /// Index of the service in the model, which is file order.
        service: usize,
        /// Replicas that receive new work, at least 1.
        replicas: u32,
    },
    /// Starts a fault by hand at the current simulated time, for `duration`, without a
    /// reset. [`Command::Reset`] clears it.
    InjectFault {
        /// What goes wrong, with nodes by name.
        kind: Box<crate::scenario::FaultKind>,
        /// How long it lasts.
        duration: Duration,
    },
    /// Drops the scenario and its run, for a document that has errors and so cannot
    /// run, and answers with [`Report::Unloaded`]. Until the next [`Command::Load`],
    /// the commands of a run are ignored or rejected.
    Unload,
}

impl Command {
    /// Returns whether `self` makes an earlier `other` pointless, so that a backlog can
    /// drop the earlier one.
    pub(super) fn supersedes(&self, other: &Command) -> bool {
        match (self, other) {
            (Command::SetSpeed(_), Command::SetSpeed(_)) => true,
            (
                Command::SetClientRate { client, .. },
                Command::SetClientRate { client: other, .. },
            )
            | (
                Command::SetClientBaseRate { client, .. },
                Command::SetClientBaseRate { client: other, .. },
            ) => client == other,
            (Command::SetReplicas { service, .. }, Command::SetReplicas { service: other, .. }) => {
                service == other
            }
            _ => false,
        }
    }
}

/// The phase of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// At simulated time 0, not started.
    Ready,
    /// Advancing.
    Playing,
    /// Stopped before the horizon.
    Paused,
    /// At the horizon, with the last window closed.
    Finished,
    /// Stopped by an engine error, given in [`Status::error`].
    Failed,
}

impl RunState {
    /// Returns a word for the status bar.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            RunState::Ready => "Ready",
            RunState::Playing => "Playing",
            RunState::Paused => "Paused",
            RunState::Finished => "Finished",
            RunState::Failed => "Stopped by an error",
        }
    }
}

/// The kind of one entity of the recorder. Entities come in the order of the engine's
/// layout: clients, services, operations, queues, edges, and the sum of all clients.
#[derive(Clone, Debug, PartialEq)]
pub enum EntityKind {
    /// A client.
    Client {
        /// Whether its arrivals follow a rate (its rate can be changed live).
        open: bool,
    },
    /// A service.
    Service {
        /// Index of the service in the model, which is file order.
        index: usize,
        /// Workers and consumer slots of one replica.
        slots_per_replica: u32,
        /// Waiting requests allowed per replica; `None` is unbounded.
        waiting_per_replica: Option<u32>,
    },
    /// An operation of a service.
    Operation {
        /// The service's name.
        service: String,
    },
    /// A queue.
    Queue {
        /// Messages held at most; `None` is unbounded.
        capacity: Option<u64>,
        /// The consuming service's index and its consumers per replica.
        consumer: Option<(usize, u32)>,
    },
    /// An edge between two nodes.
    Edge {
        /// The sending node's name.
        from: String,
        /// The receiving node's name.
        to: String,
        /// Calls, publishes or deliveries.
        kind: EdgeKind,
    },
    /// The sum of every client, whose latency percentiles are those of all requests.
    AllClients,
}

/// One entity of the recorder.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityInfo {
    /// Node name, `service.operation`, or `from → to` for an edge.
    pub name: String,
    /// Its kind.
    pub kind: EntityKind,
}

/// The description of a new run, sent before any of its windows.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// Run number, counted from 1 over the life of the engine thread.
    pub run: u64,
    /// The scenario's name.
    pub scenario_name: String,
    /// The settings of the run.
    pub config: RunConfig,
    /// Every entity, indexed as the windows of a [`WindowRow`].
    pub entities: Vec<EntityInfo>,
    /// Rate factor of each client, all 1 at the start of a run.
    pub rate_factors: Vec<f64>,
    /// Replicas of each service, as in the file at the start of a run.
    pub replicas: Vec<u32>,
}

/// The closed windows of every entity for one time-series window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRow {
    /// End of the window, simulated ns. Only the last window of a run that ends between
    /// window boundaries is shorter than a full window.
    pub end_ns: u64,
    /// One window per entity, indexed as [`RunInfo::entities`].
    pub windows: Vec<Window>,
    /// The circuit breakers of each edge that has any, over the window.
    pub breakers: Vec<BreakerWindow>,
    /// Mean ready replicas of each autoscaled service over the window, by service
    /// index; `None` for a service without an autoscaler.
    pub replicas: Vec<Option<f64>>,
    /// Mean replicas of each service that received work over the window, by service
    /// index, with live changes and autoscaling counted for the time they held.
    pub mean_replicas: Vec<f64>,
}

/// The circuit breakers of one edge over one window, summed over its call sites and
/// calling replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BreakerWindow {
    /// The edge's entity index, as in [`RunInfo::entities`].
    pub entity: usize,
    /// Breakers on the edge.
    pub breakers: u32,
    /// Time spent open, summed over the breakers, ns.
    pub open_ns: u64,
    /// Time spent half-open, summed over the breakers, ns.
    pub half_open_ns: u64,
    /// Breakers open at the end of the window.
    pub open: u32,
    /// Breakers half-open at the end of the window.
    pub half_open: u32,
}

/// The circuit breakers of one edge right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BreakerNow {
    /// The edge's entity index, as in [`RunInfo::entities`].
    pub entity: usize,
    /// Breakers on the edge.
    pub breakers: u32,
    /// Breakers open.
    pub open: u32,
    /// Breakers half-open.
    pub half_open: u32,
}

/// The progress of a run, sent after every slice.
#[derive(Clone, Debug)]
pub struct Status {
    /// Run number.
    pub run: u64,
    /// The phase of the run.
    pub state: RunState,
    /// Simulated time, ns.
    pub now_ns: u64,
    /// Horizon, simulated ns.
    pub duration_ns: u64,
    /// Events processed in this run.
    pub events_processed: u64,
    /// Events per second of wall time, measured over the last half second of play; 0
    /// when not playing.
    pub events_per_s: f64,
    /// Wall time this run has spent playing, plus the time its steps took, seconds.
    pub wall_s: f64,
    /// The current pacing.
    pub pacing: Pacing,
    /// The current seed.
    pub seed: u64,
    /// Rate factor of each client.
    pub rate_factors: Vec<f64>,
    /// Replicas of each service that receive new work.
    pub replicas: Vec<u32>,
    /// Replicas of each service that an autoscaler started and that receive no work
    /// yet.
    pub starting_replicas: Vec<u32>,
    /// Requests in flight (for queues, messages queued) of each entity right now.
    pub levels: Vec<i64>,
    /// Busy workers or consumers of each entity right now.
    pub busy: Vec<i64>,
    /// Messages waiting in each queue right now, in model order.
    pub queue_depths: Vec<u64>,
    /// The circuit breakers of each edge that has any, right now.
    pub breakers: Vec<BreakerNow>,
    /// Every interval during which a fault was active so far, in order of start.
    pub fault_timeline: Vec<crate::engine::sim::FaultInterval>,
    /// Faults started by hand in this run.
    pub manual_faults: u32,
    /// The error that stopped the run.
    pub error: Option<String>,
}

/// The seed and duration that the user set in the toolbar, which replace those of the
/// scenario's `run:` block; `None` keeps the scenario's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOverrides {
    /// The seed of every random stream.
    pub seed: Option<u64>,
    /// The simulated time of the run.
    pub duration: Option<Duration>,
}

/// A run setting that the app edits outside the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// The simulated time of the run, [`Command::SetDuration`].
    Duration,
}

/// A message from the engine to the app.
#[derive(Clone, Debug)]
pub enum Report {
    /// A new run has started.
    Started(Box<RunInfo>),
    /// Windows closed since the last batch, in time order.
    Windows {
        /// Run number.
        run: u64,
        /// The windows.
        rows: Vec<WindowRow>,
    },
    /// The progress of the run.
    Status(Box<Status>),
    /// The whole-run summary so far.
    Summary {
        /// Run number.
        run: u64,
        /// The summary. While the run is not finished, its time-averages lag behind
        /// the last event of each entity.
        summary: Box<Summary>,
        /// Whether the run has finished, so that the summary is final.
        complete: bool,
    },
    /// A command could not be carried out; the run, if any, is unchanged.
    Rejected {
        /// The failure and its reason.
        message: String,
        /// The run setting that the command would have changed, if any, so that the app
        /// shows the message at that setting's field until the setting is valid again.
        setting: Option<Setting>,
    },
    /// The scenario and its run were dropped after [`Command::Unload`]. Reports sent
    /// before this one belong to the dropped run.
    Unloaded,
}
