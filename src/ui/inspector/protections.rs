//! The protections of a service: its rate limit, load shedding and autoscaling.

use egui::{Id, Ui};

use crate::scenario::{
    Autoscaling, AutoscalingMetric, AutoscalingTarget, Duration, LoadShedding, Rate, RateLimit,
    Service,
};

use super::MAX_REPLICAS;
use super::fields::{
    Messages, choice_ui, count_ui, duration_ui, field_ui, optional_field_ui, optional_section_ui,
    percent_ui, real_ui,
};

/// Utilization target of a new autoscaler, and of one switched to that metric.
const DEFAULT_UTILIZATION_TARGET: f64 = 70.0;

/// Waiting requests per replica targeted by an autoscaler switched to `queue-depth`.
const DEFAULT_QUEUE_DEPTH_TARGET: f64 = 10.0;

/// Edits the rate limit, load shedding and autoscaling of the service at `path`.
/// Returns whether any changed.
pub fn service_protections_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    service: &mut Service,
    messages: Messages<'_>,
) -> bool {
    let rate_path = format!("{path}.rate_limit");
    let mut changed = optional_section_ui(
        ui,
        id.with("rate_limit"),
        messages,
        &rate_path,
        "Rate limit",
        &mut service.rate_limit,
        || RateLimit {
            max_tokens: 100,
            tokens_per_fill: 10,
            fill_interval: Duration::from_millis(100),
        },
        |ui, limit| rate_limit_ui(ui, id.with("rate_limit"), &rate_path, limit, messages),
    );
    let shedding_path = format!("{path}.load_shedding");
    changed |= optional_section_ui(
        ui,
        id.with("load_shedding"),
        messages,
        &shedding_path,
        "Load shedding",
        &mut service.load_shedding,
        || LoadShedding {
            max_waiting: Some(50),
            max_queue_time: None,
        },
        |ui, shedding| {
            load_shedding_ui(
                ui,
                id.with("load_shedding"),
                &shedding_path,
                shedding,
                messages,
            )
        },
    );
    let replicas = service.replicas;
    let scaling_path = format!("{path}.autoscaling");
    changed |= optional_section_ui(
        ui,
        id.with("autoscaling"),
        messages,
        &scaling_path,
        "Autoscaling",
        &mut service.autoscaling,
        || new_autoscaling(replicas),
        |ui, autoscaling| {
            autoscaling_ui(
                ui,
                id.with("autoscaling"),
                &scaling_path,
                autoscaling,
                messages,
            )
        },
    );
    changed
}

/// Returns the autoscaling a service with `replicas` gets when it is turned on: from 1
/// replica to 4 times the current count, at 70 % utilization, so that the current count
/// is in range and the other settings keep their defaults.
fn new_autoscaling(replicas: u32) -> Autoscaling {
    Autoscaling {
        min_replicas: 1,
        max_replicas: replicas
            .saturating_mul(4)
            .clamp(replicas.max(1), MAX_REPLICAS),
        metric: AutoscalingMetric::Utilization,
        target: AutoscalingTarget::Percent(DEFAULT_UTILIZATION_TARGET),
        evaluation_period: crate::scenario::protections::DEFAULT_EVALUATION_PERIOD,
        scale_down_stabilization: crate::scenario::protections::DEFAULT_SCALE_DOWN_STABILIZATION,
        startup_delay: Duration::ZERO,
        tolerance: crate::scenario::protections::DEFAULT_TOLERANCE,
    }
}

fn rate_limit_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    limit: &mut RateLimit,
    messages: Messages<'_>,
) -> bool {
    let mut changed = field_ui(
        ui,
        messages,
        &format!("{path}.max_tokens"),
        "Max tokens",
        |ui| count_ui(ui, &mut limit.max_tokens, 1, u64::MAX),
    );
    changed |= field_ui(
        ui,
        messages,
        &format!("{path}.tokens_per_fill"),
        "Tokens per fill",
        |ui| count_ui(ui, &mut limit.tokens_per_fill, 1, u64::MAX),
    );
    changed |= field_ui(
        ui,
        messages,
        &format!("{path}.fill_interval"),
        "Fill interval",
        |ui| duration_ui(ui, id.with("fill_interval"), &mut limit.fill_interval),
    );
    let seconds = limit.fill_interval.as_secs_f64();
    if seconds > 0.0 {
        ui.weak(format!(
            "Each replica admits {} on average, in bursts of up to {}.",
            Rate::per_sec(limit.tokens_per_fill as f64 / seconds),
            limit.max_tokens
        ));
    }
    changed
}

fn load_shedding_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    shedding: &mut LoadShedding,
    messages: Messages<'_>,
) -> bool {
    let mut changed = optional_field_ui(
        ui,
        messages,
        &format!("{path}.max_waiting"),
        "Max waiting",
        &mut shedding.max_waiting,
        || 50,
        |ui, waiting| count_ui(ui, waiting, 0, u32::MAX),
    );
    changed |= optional_field_ui(
        ui,
        messages,
        &format!("{path}.max_queue_time"),
        "Max queue time",
        &mut shedding.max_queue_time,
        || Duration::from_millis(200),
        |ui, time| duration_ui(ui, id.with("max_queue_time"), time),
    );
    changed
}

fn autoscaling_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    autoscaling: &mut Autoscaling,
    messages: Messages<'_>,
) -> bool {
    let field = |key: &str| format!("{path}.{key}");
    let mut changed = field_ui(ui, messages, &field("min_replicas"), "Min replicas", |ui| {
        count_ui(ui, &mut autoscaling.min_replicas, 1, MAX_REPLICAS)
    });
    changed |= field_ui(ui, messages, &field("max_replicas"), "Max replicas", |ui| {
        count_ui(ui, &mut autoscaling.max_replicas, 1, MAX_REPLICAS)
    });
    changed |= field_ui(ui, messages, &field("metric"), "Metric", |ui| {
        if !choice_ui(
            ui,
            id.with("metric"),
            &mut autoscaling.metric,
            &[
                (AutoscalingMetric::Utilization, "utilization"),
                (AutoscalingMetric::QueueDepth, "queue-depth"),
            ],
        ) {
            return false;
        }
        // Each metric has its own kind of target, a percentage or a number.
        autoscaling.target = match (autoscaling.metric, autoscaling.target) {
            (AutoscalingMetric::Utilization, AutoscalingTarget::Value(_)) => {
                AutoscalingTarget::Percent(DEFAULT_UTILIZATION_TARGET)
            }
            (AutoscalingMetric::QueueDepth, AutoscalingTarget::Percent(_)) => {
                AutoscalingTarget::Value(DEFAULT_QUEUE_DEPTH_TARGET)
            }
            (_, target) => target,
        };
        true
    });
    changed |= field_ui(
        ui,
        messages,
        &field("target"),
        "Target",
        |ui| match &mut autoscaling.target {
            AutoscalingTarget::Percent(percent) => percent_ui(ui, percent),
            AutoscalingTarget::Value(value) => {
                let changed = real_ui(ui, value, 0.0);
                ui.weak("waiting per replica");
                changed
            }
        },
    );
    changed |= field_ui(ui, messages, &field("tolerance"), "Tolerance", |ui| {
        let changed = real_ui(ui, &mut autoscaling.tolerance, 0.0);
        ui.weak("relative deviation");
        changed
    });
    changed |= field_ui(
        ui,
        messages,
        &field("evaluation_period"),
        "Evaluation period",
        |ui| {
            duration_ui(
                ui,
                id.with("evaluation"),
                &mut autoscaling.evaluation_period,
            )
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("scale_down_stabilization"),
        "Scale-down stabilization",
        |ui| {
            duration_ui(
                ui,
                id.with("stabilization"),
                &mut autoscaling.scale_down_stabilization,
            )
        },
    );
    changed |= field_ui(
        ui,
        messages,
        &field("startup_delay"),
        "Start-up delay",
        |ui| duration_ui(ui, id.with("startup"), &mut autoscaling.startup_delay),
    );
    changed
}
