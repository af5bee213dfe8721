//! Document types of the protections of calls and services: bulkheads, rate limiters,
//! load shedding and autoscaling. The names follow the systems that users know them
//! from: resilience4j for the bulkhead, Envoy's local rate limit for the token bucket,
//! and the Kubernetes `HorizontalPodAutoscaler` for autoscaling.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;

use super::units::Duration;

/// Default time between two evaluations of an autoscaler, as the `HorizontalPodAutoscaler`'s
/// `--horizontal-pod-autoscaler-sync-period`.
pub const DEFAULT_EVALUATION_PERIOD: Duration = Duration::from_secs(15);

/// Default scale-down stabilization window, as the `HorizontalPodAutoscaler`'s
/// `behavior.scaleDown.stabilizationWindowSeconds`.
pub const DEFAULT_SCALE_DOWN_STABILIZATION: Duration = Duration::from_secs(300);

/// Default tolerance of an autoscaler, as the `HorizontalPodAutoscaler`'s
/// `--horizontal-pod-autoscaler-tolerance`.
pub const DEFAULT_TOLERANCE: f64 = 0.1;

/// A semaphore bulkhead on a call site, as resilience4j's `SemaphoreBulkhead`: calls of
/// this site run at most `max_concurrent_calls` at once per replica of the caller.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bulkhead {
    /// Attempts of this call site that may be outstanding at once on one replica of the
    /// caller (resilience4j `maxConcurrentCalls`).
    #[schemars(range(min = 1, max = super::read::MAX_WORKERS))]
    pub max_concurrent_calls: u32,
    /// Time an attempt past the limit waits for a permit, first in first out, before it
    /// fails with `bulkhead_full` (resilience4j `maxWaitDuration`). Default: 0, fail at
    /// once.
    #[serde(default, skip_serializing_if = "is_zero_duration")]
    pub max_wait_duration: Duration,
}

/// A token bucket on the inbound side of each replica of a service, as Envoy's local
/// rate limit filter (`token_bucket`). The bucket starts full and gains
/// `tokens_per_fill` tokens at every whole multiple of `fill_interval`, up to
/// `max_tokens`. Each request takes one token, or fails with `rate_limited`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Maximum tokens in the bucket, and its tokens at the start.
    #[schemars(range(min = 1))]
    pub max_tokens: u64,
    /// Tokens added at each fill. Default: 1.
    #[serde(default = "one_u64", skip_serializing_if = "is_one_u64")]
    #[schemars(range(min = 1))]
    pub tokens_per_fill: u64,
    /// Time between fills, greater than zero.
    pub fill_interval: Duration,
}

/// Load shedding of a service's waiting requests. At least one of the two limits is
/// set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadShedding {
    /// An arrival that finds this many requests or more waiting on its replica is shed
    /// at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_waiting: Option<u32>,
    /// A waiting request that would start after waiting longer than this is shed
    /// instead of served, as its caller has probably given up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue_time: Option<Duration>,
}

/// Autoscaling of a service's replicas, as the Kubernetes `HorizontalPodAutoscaler` does.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Minimum replicas. Default: 1.
    #[serde(default = "one_u32", skip_serializing_if = "is_one_u32")]
    #[schemars(range(min = 1, max = super::read::MAX_REPLICAS))]
    pub min_replicas: u32,
    /// Maximum replicas, at least `min_replicas`.
    #[schemars(range(min = 1, max = super::read::MAX_REPLICAS))]
    pub max_replicas: u32,
    /// What the autoscaler measures.
    pub metric: AutoscalingMetric,
    /// The value of the metric that the autoscaler keeps: a percentage for
    /// `utilization`, a number of waiting requests per replica for `queue-depth`.
    pub target: AutoscalingTarget,
    /// Time between evaluations, and the period each one measures. Default: 15s.
    #[serde(
        default = "default_evaluation_period",
        skip_serializing_if = "is_default_evaluation_period"
    )]
    pub evaluation_period: Duration,
    /// A scale-down happens only to the highest count desired over this window.
    /// Default: 300s.
    #[serde(
        default = "default_scale_down_stabilization",
        skip_serializing_if = "is_default_scale_down_stabilization"
    )]
    pub scale_down_stabilization: Duration,
    /// Time from a scale-up until the new replicas receive work, as pods starting.
    /// Default: 0.
    #[serde(default, skip_serializing_if = "is_zero_duration")]
    pub startup_delay: Duration,
    /// Relative deviation of the metric from the target within which nothing changes.
    /// Default: 0.1.
    #[serde(
        default = "default_tolerance",
        skip_serializing_if = "is_default_tolerance"
    )]
    pub tolerance: f64,
}

/// The metric an autoscaler follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AutoscalingMetric {
    /// Busy worker and consumer time over the capacity of the ready replicas.
    #[default]
    Utilization,
    /// Time-average of the requests waiting per ready replica.
    QueueDepth,
}

impl AutoscalingMetric {
    /// Every spelling, for messages.
    pub const NAMES: [&'static str; 2] = ["utilization", "queue-depth"];
}

/// The target of an autoscaler's metric, written `70%` or as a plain number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AutoscalingTarget {
    /// A percentage, such as 70 for `70%`.
    Percent(f64),
    /// A plain number.
    Value(f64),
}

impl AutoscalingTarget {
    /// The target as a number on the metric's own scale: a fraction for a percentage.
    #[must_use]
    pub fn as_fraction_or_value(self) -> f64 {
        match self {
            AutoscalingTarget::Percent(percent) => percent / 100.0,
            AutoscalingTarget::Value(value) => value,
        }
    }
}

impl Serialize for AutoscalingTarget {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            AutoscalingTarget::Percent(percent) => serializer.serialize_str(&format!("{percent}%")),
            AutoscalingTarget::Value(value) => serializer.serialize_f64(value),
        }
    }
}

impl JsonSchema for AutoscalingTarget {
    fn schema_name() -> Cow<'static, str> {
        "AutoscalingTarget".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A percentage such as 70% for the utilization metric, or a number greater than 0 for queue-depth.",
            "anyOf": [
                { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*%\\s*$" },
                { "type": "number", "exclusiveMinimum": 0 }
            ]
        })
    }
}

fn one_u32() -> u32 {
    1
}

fn one_u64() -> u64 {
    1
}

fn default_evaluation_period() -> Duration {
    DEFAULT_EVALUATION_PERIOD
}

fn default_scale_down_stabilization() -> Duration {
    DEFAULT_SCALE_DOWN_STABILIZATION
}

fn default_tolerance() -> f64 {
    DEFAULT_TOLERANCE
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_one_u32(value: &u32) -> bool {
    *value == 1
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_one_u64(value: &u64) -> bool {
    *value == 1
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_zero_duration(value: &Duration) -> bool {
    *value == Duration::ZERO
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_default_evaluation_period(value: &Duration) -> bool {
    *value == DEFAULT_EVALUATION_PERIOD
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_default_scale_down_stabilization(value: &Duration) -> bool {
    *value == DEFAULT_SCALE_DOWN_STABILIZATION
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
fn is_default_tolerance(value: &f64) -> bool {
    *value == DEFAULT_TOLERANCE
}
