//! The circuit breaker of a synchronous call, with the parameters and defaults of
//! resilience4j 2.x (`CircuitBreakerConfig`), with the names in the file's `snake_case`.

use schemars::JsonSchema;
use serde::Serialize;

use super::units::Duration;

/// Calls or seconds of the sliding window when the file does not set a size
/// (resilience4j `slidingWindowSize`).
pub const DEFAULT_SLIDING_WINDOW_SIZE: u32 = 100;

/// Calls needed in the window before the rates are evaluated (resilience4j
/// `minimumNumberOfCalls`).
pub const DEFAULT_MINIMUM_NUMBER_OF_CALLS: u32 = 100;

/// Failure rate, in percent, at or above which the breaker opens (resilience4j
/// `failureRateThreshold`).
pub const DEFAULT_FAILURE_RATE_THRESHOLD: f64 = 50.0;

/// Slow-call rate, in percent, at or above which the breaker opens (resilience4j
/// `slowCallRateThreshold`).
pub const DEFAULT_SLOW_CALL_RATE_THRESHOLD: f64 = 100.0;

/// Duration above which a call is slow (resilience4j `slowCallDurationThreshold`).
pub const DEFAULT_SLOW_CALL_DURATION_THRESHOLD: Duration = Duration::from_secs(60);

/// Time the breaker stays open (resilience4j `waitDurationInOpenState`).
pub const DEFAULT_WAIT_DURATION_IN_OPEN_STATE: Duration = Duration::from_secs(60);

/// Calls let through in the half-open state (resilience4j
/// `permittedNumberOfCallsInHalfOpenState`).
pub const DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE: u32 = 10;

/// Largest count-based window, in calls, and largest minimum number of calls and
/// number of half-open calls. The window keeps one byte per call, per breaker and per
/// calling replica.
pub const MAX_SLIDING_WINDOW_CALLS: u32 = 1_000_000;

/// Largest time-based window, in seconds: one day.
pub const MAX_SLIDING_WINDOW_SECONDS: u64 = 86_400;

/// A circuit breaker on the attempts of a synchronous call. Every key is optional and
/// takes resilience4j's default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    /// Kind of window of recent calls. Default: count-based.
    #[serde(default, skip_serializing_if = "SlidingWindowType::is_default")]
    pub sliding_window_type: SlidingWindowType,
    /// Size of the window: a number of calls when count-based, a whole number of seconds
    /// such as `10s` when time-based. Default: 100 calls, or 100s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sliding_window_size: Option<SlidingWindowSize>,
    /// Calls recorded in the window before the rates are evaluated, at least 1. Default:
    /// 100. A count-based window uses at most its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_SLIDING_WINDOW_CALLS))]
    pub minimum_number_of_calls: Option<u32>,
    /// Failure rate in percent, greater than 0 and at most 100, at or above which the
    /// breaker opens. Default: 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_rate_threshold: Option<f64>,
    /// Slow-call rate in percent, greater than 0 and at most 100, at or above which the
    /// breaker opens. Default: 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_call_rate_threshold: Option<f64>,
    /// Duration above which a call, successful or not, is slow. Default: 60s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_call_duration_threshold: Option<Duration>,
    /// Time the breaker rejects every call after opening. Default: 60s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_duration_in_open_state: Option<Duration>,
    /// Calls let through in the half-open state, at least 1. Their outcomes decide
    /// whether the breaker closes or opens again. Default: 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_SLIDING_WINDOW_CALLS))]
    pub permitted_number_of_calls_in_half_open_state: Option<u32>,
}

impl CircuitBreaker {
    /// Returns the window size in calls (count-based) or seconds (time-based).
    #[must_use]
    pub fn window_size(&self) -> u64 {
        match self.sliding_window_size {
            None => u64::from(DEFAULT_SLIDING_WINDOW_SIZE),
            Some(SlidingWindowSize::Calls(calls)) => u64::from(calls),
            Some(SlidingWindowSize::Time(time)) => time.as_nanos() / 1_000_000_000,
        }
    }
}

/// Kind of window in which a circuit breaker keeps its recent calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SlidingWindowType {
    /// The last N calls.
    #[default]
    CountBased,
    /// The calls that ended in the last N seconds, in buckets of one second.
    TimeBased,
}

impl SlidingWindowType {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 2] = ["count-based", "time-based"];

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde passes fields by reference"
    )]
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The size of a sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SlidingWindowSize {
    /// A number of calls, for a count-based window.
    Calls(#[schemars(range(min = 1, max = MAX_SLIDING_WINDOW_CALLS))] u32),
    /// A whole number of seconds, for a time-based window.
    Time(Duration),
}
