pub mod scenario;
pub mod metrics;
