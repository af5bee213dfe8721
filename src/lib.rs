//! Topolab: design message-driven microservice architectures and run them in a
//! deterministic discrete-event simulation.

pub mod cli;
pub mod editor;
pub mod engine;
pub mod metrics;
pub mod scenario;
#[cfg(feature = "gui")]
pub mod ui;
