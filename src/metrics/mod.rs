//! Metrics of a run and the reports made from them.

pub mod breakers;
pub mod chart;
pub mod histogram;
pub mod recorder;
pub mod recovery;
pub mod report;
pub mod summary;

pub use recorder::{ErrorKind, Recorder};
