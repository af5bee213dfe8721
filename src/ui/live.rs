//! Latest figures of a running simulation, shaped for drawing on the graph canvas.
//!
//! The app builds a [`LiveView`] from the windows it has drained from the engine; the
//! canvas reads it and never talks to the engine itself.

use std::collections::BTreeMap;

/// Latest per-node and per-edge figures of the run, for drawing on the graph.
#[derive(Clone, Debug, Default)]
pub struct LiveView {
    /// Run number, as in the engine's reports.
    pub run: u64,
    /// Simulated time of the latest status, ns.
    pub now_ns: u64,
    /// Figures of each client, service and queue, by name.
    pub nodes: BTreeMap<String, NodeLive>,
    /// Figures of each edge by (from, to) node names; edges of different kinds between
    /// the same two nodes add up.
    pub edges: BTreeMap<(String, String), EdgeLive>,
}

/// Figures of one node over the latest closed window, and its queue right now.
#[derive(Clone, Debug, Default)]
pub struct NodeLive {
    /// Busy workers and consumers over their number, from 0 to 1. For a queue it is its
    /// busy consumers over its consumers, and for a client 0.
    pub utilization: f32,
    /// Requests or messages that ended, per simulated second.
    pub throughput_per_s: f32,
    /// Failures over ended requests or messages, from 0 to 1.
    pub error_rate: f32,
    /// Messages waiting in a queue, or requests waiting for a worker of a service;
    /// `None` for clients.
    pub queue_depth: Option<u64>,
    /// Maximum of [`NodeLive::queue_depth`], or `None` when unbounded.
    pub queue_capacity: Option<u64>,
    /// Replicas of a service right now, which live changes may have moved from the
    /// file's; `None` for clients and queues.
    pub replicas: Option<u32>,
    /// Replicas of an autoscaled service that are starting and receive no work yet;
    /// `None` when there is none.
    pub starting_replicas: Option<u32>,
}

/// Figures of one edge over the latest closed window.
#[derive(Clone, Debug, Default)]
pub struct EdgeLive {
    /// Attempts (on a consume edge, deliveries) per simulated second.
    pub throughput_per_s: f32,
    /// Failed attempts over ended attempts, from 0 to 1.
    pub error_rate: f32,
    /// Circuit breakers on the edge's call sites, one per call site and calling
    /// replica, or 0 when none is configured.
    pub breakers: u32,
    /// Breakers open right now.
    pub breakers_open: u32,
    /// Breakers half-open right now.
    pub breakers_half_open: u32,
}
