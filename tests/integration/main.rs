//! The integration tests, built as one test binary so that the suite links once.
//!
//! Run one part with `cargo test --test integration <module>`, for example
//! `cargo test --test integration accuracy`.

mod common;

mod accuracy;
mod breaker;
mod brokers;
mod cli;
mod conservation;
mod determinism;
mod editor;
mod editor_files;
mod faults;
mod little;
mod live_changes;
mod profiles;
mod protections;
mod retries;
mod schema;
mod theory_reference;
mod validate;
mod write;
