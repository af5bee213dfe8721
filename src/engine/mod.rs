//! The discrete-event simulation engine.
//!
//! Simulated time is an integer count of nanoseconds from 0. Events are ordered by
//! (time, sequence number): events at the same instant run in the order they were
//! scheduled. A run is a model plus a seed; every random stream derives from the seed
//! and the name of the entity that draws from it. No wall clock and no hash-map order is
//! read on any path that reaches results.

pub mod events;
pub mod fault_model;
pub mod model;
pub mod random;
pub mod run;
pub mod sim;
pub mod slab;

pub use model::{CompileError, Model};
pub use sim::{EngineError, Layout, RunOptions, Simulation};
