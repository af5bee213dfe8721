//! Reading the protections of calls and services: `bulkhead`, `rate_limit`,
//! `load_shedding` and `autoscaling`. Values are read here with the ranges of their
//! types; the checks that relate values to each other are in [`crate::scenario::validate`].

use super::super::protections::{
    Autoscaling, AutoscalingMetric, AutoscalingTarget, Bulkhead, DEFAULT_EVALUATION_PERIOD,
    DEFAULT_SCALE_DOWN_STABILIZATION, DEFAULT_TOLERANCE, LoadShedding, RateLimit,
};
use super::{Duration, MAX_REPLICAS, MAX_WORKERS, Node, Reader, Value};

impl Reader<'_> {
    pub(super) fn bulkhead(&mut self, node: &Node, path: &str) -> Option<Bulkhead> {
        let mut fields = self.fields(node, path)?;
        let max_concurrent_calls = self
            .required(&mut fields, node, "max_concurrent_calls")
            .and_then(|(n, p)| self.count_up_to(n, &p, 1, MAX_WORKERS));
        let max_wait_duration = fields
            .take("max_wait_duration")
            .and_then(|(n, p)| self.duration(n, &p));
        self.finish(&fields);
        Some(Bulkhead {
            max_concurrent_calls: max_concurrent_calls?,
            max_wait_duration: max_wait_duration.unwrap_or(Duration::ZERO),
        })
    }

    pub(super) fn rate_limit(&mut self, node: &Node, path: &str) -> Option<RateLimit> {
        let mut fields = self.fields(node, path)?;
        let max_tokens = self
            .required(&mut fields, node, "max_tokens")
            .and_then(|(n, p)| self.count(n, &p, 1, u64::MAX));
        let tokens_per_fill = fields
            .take("tokens_per_fill")
            .and_then(|(n, p)| self.count(n, &p, 1, u64::MAX));
        let fill_interval = self
            .required(&mut fields, node, "fill_interval")
            .and_then(|(n, p)| self.positive_duration(n, &p));
        self.finish(&fields);
        Some(RateLimit {
            max_tokens: max_tokens?,
            tokens_per_fill: tokens_per_fill.unwrap_or(1),
            fill_interval: fill_interval?,
        })
    }

    pub(super) fn load_shedding(&mut self, node: &Node, path: &str) -> Option<LoadShedding> {
        let mut fields = self.fields(node, path)?;
        let max_waiting = fields
            .take("max_waiting")
            .and_then(|(n, p)| self.count_u32(n, &p, 0));
        let max_queue_time = fields
            .take("max_queue_time")
            .and_then(|(n, p)| self.positive_duration(n, &p));
        if !fields.has("max_waiting") && !fields.has("max_queue_time") {
            self.error(
                node,
                path,
                "load shedding needs \"max_waiting\", \"max_queue_time\" or both, as in \"load_shedding: { max_waiting: 50 }\"",
            );
        }
        self.finish(&fields);
        // A field given but invalid has its message already; leaving the whole setting
        // out keeps the validator from adding that none was given.
        if (fields.has("max_waiting") && max_waiting.is_none())
            || (fields.has("max_queue_time") && max_queue_time.is_none())
        {
            return None;
        }
        Some(LoadShedding {
            max_waiting,
            max_queue_time,
        })
    }

    pub(super) fn autoscaling(&mut self, node: &Node, path: &str) -> Option<Autoscaling> {
        let mut fields = self.fields(node, path)?;
        let min_replicas = fields
            .take("min_replicas")
            .and_then(|(n, p)| self.count_up_to(n, &p, 1, MAX_REPLICAS));
        let max_replicas = self
            .required(&mut fields, node, "max_replicas")
            .and_then(|(n, p)| self.count_up_to(n, &p, 1, MAX_REPLICAS));
        let metric = self
            .required(&mut fields, node, "metric")
            .and_then(|(n, p)| {
                self.choice(
                    n,
                    &p,
                    &AutoscalingMetric::NAMES,
                    &[
                        AutoscalingMetric::Utilization,
                        AutoscalingMetric::QueueDepth,
                    ],
                )
            });
        let target = self
            .required(&mut fields, node, "target")
            .and_then(|(n, p)| self.autoscaling_target(n, &p));
        let evaluation_period = fields
            .take("evaluation_period")
            .and_then(|(n, p)| self.period(n, &p, "evaluation_period"));
        let scale_down_stabilization = fields
            .take("scale_down_stabilization")
            .and_then(|(n, p)| self.duration(n, &p));
        let startup_delay = fields
            .take("startup_delay")
            .and_then(|(n, p)| self.duration(n, &p));
        let tolerance = fields
            .take("tolerance")
            .and_then(|(n, p)| self.number(n, &p));
        self.finish(&fields);
        Some(Autoscaling {
            min_replicas: min_replicas.unwrap_or(1),
            max_replicas: max_replicas?,
            metric: metric?,
            target: target?,
            evaluation_period: evaluation_period.unwrap_or(DEFAULT_EVALUATION_PERIOD),
            scale_down_stabilization: scale_down_stabilization
                .unwrap_or(DEFAULT_SCALE_DOWN_STABILIZATION),
            startup_delay: startup_delay.unwrap_or(Duration::ZERO),
            tolerance: tolerance.unwrap_or(DEFAULT_TOLERANCE),
        })
    }

    /// Reads `70%` as a percentage and a plain number as a value. The validator checks
    /// the range of either, because it depends on the metric.
    fn autoscaling_target(&mut self, node: &Node, path: &str) -> Option<AutoscalingTarget> {
        self.record(node, path);
        if let Value::String(text) = &node.value
            && let Some(number) = text.trim().strip_suffix('%')
        {
            if let Ok(percent) = number.trim().parse::<f64>()
                && percent.is_finite()
            {
                return Some(AutoscalingTarget::Percent(percent));
            }
        } else if matches!(node.value, Value::Int(_) | Value::Float(_)) {
            return self.number(node, path).map(AutoscalingTarget::Value);
        }
        self.error(
            node,
            path,
            format!(
                "invalid target {}: expected a percentage such as 70% for the utilization metric, or a number of waiting requests per replica such as 20 for queue-depth",
                self.shown(node)
            ),
        );
        None
    }
}
