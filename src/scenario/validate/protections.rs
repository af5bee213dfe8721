//! Checks of bulkheads, rate limits, load shedding and autoscaling. The reader checks
//! the values it reads alone; these checks also cover documents built in the editor,
//! and relate the values of one setting to each other.

use super::super::diagnostic::number;
use super::super::document::{Scenario, Step};
use super::super::protections::{
    Autoscaling, AutoscalingMetric, AutoscalingTarget, Bulkhead, LoadShedding, RateLimit,
};
use super::super::units::Duration;
use super::Checker;

impl Checker<'_> {
    pub(super) fn protections(&mut self) {
        let scenario: &Scenario = self.scenario;
        for (name, client) in &scenario.clients {
            if let Some(bulkhead) = &client.bulkhead {
                self.bulkhead(&format!("clients.{name}.bulkhead"), bulkhead);
            }
        }
        for (service_name, service) in &scenario.services {
            let path = format!("services.{service_name}");
            for (operation_name, operation) in &service.operations {
                for (i, step) in operation.steps.iter().enumerate() {
                    let step_path = format!("{path}.operations.{operation_name}.steps[{i}]");
                    match step {
                        Step::Call(call) => {
                            if let Some(bulkhead) = &call.bulkhead {
                                self.bulkhead(&format!("{step_path}.bulkhead"), bulkhead);
                            }
                        }
                        Step::Parallel(parallel) => {
                            for (j, call) in parallel.parallel.iter().enumerate() {
                                if let Some(bulkhead) = &call.bulkhead {
                                    let call_path = format!("{step_path}.parallel[{j}].bulkhead");
                                    self.bulkhead(&call_path, bulkhead);
                                }
                            }
                        }
                        Step::Publish(_) | Step::Work(_) => {}
                    }
                }
            }
            if let Some(rate_limit) = &service.rate_limit {
                self.rate_limit(&format!("{path}.rate_limit"), rate_limit);
            }
            if let Some(shedding) = &service.load_shedding {
                self.load_shedding(&format!("{path}.load_shedding"), shedding);
            }
            if let Some(autoscaling) = &service.autoscaling {
                self.autoscaling(&path, service.replicas, autoscaling);
            }
        }
    }

    fn bulkhead(&mut self, path: &str, bulkhead: &Bulkhead) {
        if bulkhead.max_concurrent_calls == 0 {
            self.error(
                &format!("{path}.max_concurrent_calls"),
                "invalid max_concurrent_calls 0: must be at least 1",
            );
        }
    }

    fn rate_limit(&mut self, path: &str, rate_limit: &RateLimit) {
        if rate_limit.max_tokens == 0 {
            self.error(
                &format!("{path}.max_tokens"),
                "invalid max_tokens 0: must be at least 1",
            );
        }
        if rate_limit.tokens_per_fill == 0 {
            self.error(
                &format!("{path}.tokens_per_fill"),
                "invalid tokens_per_fill 0: must be at least 1",
            );
        }
        if rate_limit.fill_interval == Duration::ZERO {
            self.error(
                &format!("{path}.fill_interval"),
                "invalid fill_interval 0: must be greater than zero",
            );
        }
    }

    fn load_shedding(&mut self, path: &str, shedding: &LoadShedding) {
        if shedding.max_waiting.is_none() && shedding.max_queue_time.is_none() {
            self.error(
                path,
                "load shedding needs \"max_waiting\", \"max_queue_time\" or both",
            );
        }
        if shedding.max_queue_time == Some(Duration::ZERO) {
            self.error(
                &format!("{path}.max_queue_time"),
                "invalid max_queue_time 0: must be greater than zero",
            );
        }
    }

    fn autoscaling(&mut self, service_path: &str, replicas: u32, autoscaling: &Autoscaling) {
        let path = format!("{service_path}.autoscaling");
        let (min, max) = (autoscaling.min_replicas, autoscaling.max_replicas);
        if min == 0 {
            self.error(
                &format!("{path}.min_replicas"),
                "invalid min_replicas 0: must be at least 1",
            );
        }
        if min > max {
            self.error(
                &format!("{path}.min_replicas"),
                format!("invalid min_replicas {min}: must be at most max_replicas {max}"),
            );
        } else if min > 0 && !(min..=max).contains(&replicas) {
            self.error(
                &format!("{service_path}.replicas"),
                format!(
                    "invalid replicas {replicas}: an autoscaled service starts with a count from min_replicas {min} to max_replicas {max}"
                ),
            );
        }
        match (autoscaling.metric, autoscaling.target) {
            (AutoscalingMetric::Utilization, AutoscalingTarget::Percent(percent)) => {
                if !(percent > 0.0 && percent <= 100.0) {
                    let percent = number(percent);
                    self.error(
                        &format!("{path}.target"),
                        format!(
                            "invalid target {percent}%: a utilization target must be greater than 0% and at most 100%"
                        ),
                    );
                }
            }
            (AutoscalingMetric::Utilization, AutoscalingTarget::Value(value)) => {
                let value = number(value);
                self.error(
                    &format!("{path}.target"),
                    format!(
                        "invalid target {value}: a utilization target is a percentage, such as 70%"
                    ),
                );
            }
            (AutoscalingMetric::QueueDepth, AutoscalingTarget::Value(value)) => {
                if !(value > 0.0 && value.is_finite()) {
                    let value = number(value);
                    self.error(
                        &format!("{path}.target"),
                        format!(
                            "invalid target {value}: a queue-depth target must be a number of waiting requests per replica greater than 0"
                        ),
                    );
                }
            }
            (AutoscalingMetric::QueueDepth, AutoscalingTarget::Percent(percent)) => {
                let percent = number(percent);
                self.error(
                    &format!("{path}.target"),
                    format!(
                        "invalid target {percent}%: a queue-depth target is a number of waiting requests per replica, such as 20, not a percentage"
                    ),
                );
            }
        }
        if autoscaling.evaluation_period == Duration::ZERO {
            self.error(
                &format!("{path}.evaluation_period"),
                "invalid evaluation_period 0: must be greater than zero",
            );
        }
        let tolerance = autoscaling.tolerance;
        if !(0.0..1.0).contains(&tolerance) {
            let tolerance = number(tolerance);
            self.error(
                &format!("{path}.tolerance"),
                format!("invalid tolerance {tolerance}: must be at least 0 and less than 1"),
            );
        }
    }
}
