//! Reading for editing: values that are read but invalid stay in the document as
//! written, with exactly the diagnostics of the strict reading.

use super::super::distribution::{Distribution, Lognormal};
use super::super::document::{Arrivals, Backoff, FaultKind, Step, Workload};
use super::super::{SlidingWindowSize, load_str, load_str_for_editing};
use super::Duration;
use crate::editor::round_trip::check_round_trip;
use crate::metrics::recorder::ErrorKind;

/// One invalid value of each kind that the reader range-checks.
const OUT_OF_RANGE: &str = include_str!("../../../tests/editing/out-of-range.yaml");
fn read_for_editing(text: &str) -> super::Scenario {
    load_str_for_editing(text, None)
        .expect("the text is a scenario")
        .0
}

#[test]
fn lognormal_is_kept_as_written() {
    let text = "version: 1\n\
        clients:\n  shoppers: { target: api.get, arrivals: { poisson: 10/s } }\n\
        services:\n  api:\n    operations:\n      get: { service_time: { lognormal: { mean: 8ms, p99: 5ms } } }\n";
    let (scenario, diagnostics) = load_str_for_editing(text, None).expect("a scenario");
    assert_eq!(
        scenario.services["api"].operations["get"].service_time,
        Distribution::Lognormal(Lognormal::MeanP99 {
            mean: Duration::from_millis(8),
            p99: Duration::from_millis(5),
        })
    );
    let strict = load_str(text, None).expect_err("the file is invalid");
    assert_eq!(diagnostics, strict);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].path,
        "services.api.operations.get.service_time.lognormal.p99"
    );
}

#[test]
fn diagnostics_match_strict_reading() {
    let (_, diagnostics) = load_str_for_editing(OUT_OF_RANGE, None).expect("a scenario");
    let strict = load_str(OUT_OF_RANGE, None).expect_err("the file is invalid");
    assert_eq!(diagnostics, strict);
    assert!(diagnostics.len() > 30, "{diagnostics:#?}");
}

#[test]
fn out_of_range_values_are_kept() {
    let scenario = read_for_editing(OUT_OF_RANGE);
    assert_eq!(scenario.run.duration, Some(Duration::ZERO));
    assert_eq!(scenario.run.window, Some(Duration::ZERO));

    let shoppers = &scenario.clients["shoppers"];
    let Workload::Open { arrivals, .. } = &shoppers.workload else {
        panic!("an open client: {:?}", shoppers.workload);
    };
    assert!(matches!(arrivals, Arrivals::Poisson(rate) if rate.as_per_sec() == 0.0));
    assert_eq!(shoppers.timeout, Some(Duration::ZERO));
    let retry = shoppers.retry.as_ref().expect("the retry is kept");
    assert_eq!(retry.attempts, 0);
    assert_eq!(
        retry.backoff,
        Backoff::Exponential {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(5),
            multiplier: 0.5,
        }
    );
    assert_eq!(
        retry.retry_on,
        Some(vec![ErrorKind::Timeout, ErrorKind::Timeout])
    );
    let budget = shoppers.retry_budget.as_ref().expect("the budget is kept");
    assert_eq!(budget.budget_percent, 150.0);

    let Workload::Closed { users, think_time } = &scenario.clients["closed"].workload else {
        panic!("a closed client");
    };
    assert_eq!(*users, 0);
    assert_eq!(
        *think_time,
        Distribution::Erlang {
            k: 0,
            mean: Duration::from_millis(1)
        }
    );

    let api = &scenario.services["api"];
    assert_eq!(api.replicas, 0);
    assert_eq!(api.workers, 200_000);
    let rate_limit = api.rate_limit.as_ref().expect("the rate limit is kept");
    assert_eq!(rate_limit.max_tokens, 0);
    assert_eq!(rate_limit.fill_interval, Duration::ZERO);
    let shedding = api.load_shedding.as_ref().expect("load shedding is kept");
    assert_eq!(shedding.max_queue_time, Some(Duration::ZERO));
    let autoscaling = api.autoscaling.as_ref().expect("autoscaling is kept");
    assert_eq!(autoscaling.min_replicas, 0);
    assert_eq!(autoscaling.max_replicas, 20_000);
    assert_eq!(autoscaling.evaluation_period, Duration::from_nanos(100_000));

    let get = &api.operations["get"];
    assert!(matches!(
        get.service_time,
        Distribution::Lognormal(Lognormal::MeanP99 { .. })
    ));
    assert_eq!(get.error_probability, 1.5);
    let Step::Call(call) = &get.steps[0] else {
        panic!("a call: {:?}", get.steps[0]);
    };
    assert_eq!(call.timeout, Some(Duration::ZERO));
    assert_eq!(
        call.bulkhead.as_ref().map(|b| b.max_concurrent_calls),
        Some(0)
    );
    let breaker = call.circuit_breaker.as_ref().expect("the breaker is kept");
    assert_eq!(
        breaker.sliding_window_size,
        Some(SlidingWindowSize::Time(Duration::from_millis(1500)))
    );
    assert_eq!(breaker.failure_rate_threshold, Some(0.0));
    assert_eq!(get.steps.len(), 3, "{:?}", get.steps);
    assert_eq!(
        get.steps[2],
        Step::Work(super::super::document::WorkStep {
            work: Distribution::Uniform {
                min: Duration::from_millis(5),
                max: Duration::from_millis(1),
            }
        })
    );

    let jobs = &scenario.queues["jobs"];
    assert_eq!(jobs.capacity, Some(0));
    assert_eq!(jobs.max_deliveries, 0);
    assert_eq!(jobs.consumer.as_ref().map(|c| c.concurrency), Some(0));
    assert_eq!(jobs.partitions, Some(0));
    assert_eq!(jobs.poll_interval, Some(Duration::from_nanos(100_000)));

    assert_eq!(scenario.links[0].loss, Some(2.0));
    assert_eq!(scenario.faults.len(), 2);
    assert_eq!(scenario.faults[0].duration, Some(Duration::ZERO));
    assert!(matches!(
        &scenario.faults[0].kind,
        FaultKind::Slow(slow) if slow.latency_multiplier == 0.0
    ));
    assert_eq!(scenario.faults[1].mtbf, Some(Duration::from_nanos(100_000)));
    assert!(matches!(
        &scenario.faults[1].kind,
        FaultKind::Errors(errors) if errors.probability == Some(3.0)
    ));
    assert_eq!(scenario.defaults.loss, 1.1);
    assert!(matches!(
        scenario.defaults.network_latency,
        Distribution::Pareto { shape, .. } if shape == 0.0
    ));
}

#[test]
fn strict_reading_uses_stand_ins() {
    let text = "version: 1\nservices:\n  api:\n    replicas: 0\n    operations:\n      get: { service_time: 1ms }\n";
    let mut diagnostics = super::Diagnostics::new(None);
    let mut sources = super::SourceMap::default();
    let scenario = super::parse_text(text, &mut diagnostics, &mut sources).expect("a scenario");
    assert_eq!(scenario.services["api"].replicas, 1);
    assert!(diagnostics.has_errors());
    assert_eq!(read_for_editing(text).services["api"].replicas, 0);
}

#[test]
fn kept_values_survive_round_trip() {
    let (scenario, diagnostics) = load_str_for_editing(OUT_OF_RANGE, None).expect("a scenario");
    check_round_trip(&scenario, &diagnostics).expect("every error survives a save");
}

#[test]
fn unreadable_values_take_defaults() {
    let text = "version: 1\n\
        clients:\n  shoppers: { target: api.get, arrivals: { poisson: 10/s } }\n\
        services:\n  api:\n    replicas: -1\n    workers: 2.0\n    queue_capacity: 99999999999\n    operations:\n      get: { service_time: 5, error_probability: .nan }\n";
    let scenario = read_for_editing(text);
    let api = &scenario.services["api"];
    assert_eq!(api.replicas, 1, "a negative count has no value of the type");
    assert_eq!(api.workers, 1, "a float is not read as a count");
    assert_eq!(api.queue_capacity, None, "beyond the range of u32");
    let get = &api.operations["get"];
    assert_eq!(get.service_time, Distribution::default());
    assert_eq!(get.error_probability, 0.0);
}
