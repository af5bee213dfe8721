//! The scenario document, its file format and its validation.

pub mod breaker;
pub mod brokers;
pub mod diagnostic;
pub mod distribution;
pub mod document;
pub mod protections;
pub mod read;
pub mod retries;
pub mod schema;
pub mod tree;
pub mod units;
pub mod validate;
pub mod write;

pub use breaker::{CircuitBreaker, SlidingWindowSize, SlidingWindowType};
pub use diagnostic::{Diagnostic, Severity, SourceMap};
pub use distribution::Distribution;
pub use document::*;
pub use protections::{
    Autoscaling, AutoscalingMetric, AutoscalingTarget, Bulkhead, LoadShedding, RateLimit,
};
pub use read::{
    Loaded, check_regular_file, load_bytes, load_file, load_file_for_editing, load_str,
    load_str_for_editing,
};
pub use units::{Duration, Rate};
