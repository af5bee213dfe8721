//! The scenario writer: every bundled file and every generated document reads back
//! unchanged, the text is stable, and its layout matches hand-written scenarios.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use topolab::metrics::ErrorKind;
use topolab::scenario::RetryBudget;
use topolab::scenario::write::to_yaml;
use topolab::scenario::{
    Arrivals, Backoff, CallStep, CircuitBreaker, Client, Consumer, Defaults, Distribution,
    Duration, ErrorFault, Fault, FaultKind, Jitter, Link, LoadBalancing, Operation, OutageFault,
    OutageMode, Overflow, ParallelStep, Preset, PublishStep, Queue, Rate, RateChange, RetryPolicy,
    RunSettings, Scenario, Service, SlidingWindowSize, SlidingWindowType, Step, WorkStep, Workload,
    load_file, load_str,
};
use topolab::scenario::{
    Autoscaling, AutoscalingMetric, AutoscalingTarget, Bulkhead, LoadShedding, RateLimit,
};

fn scenario_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "tests/scenarios/accuracy"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(&dir).expect("the scenario directory exists") {
            let path = entry.expect("the directory lists").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read_back(text: &str) -> Scenario {
    match load_str(text, None) {
        Ok(loaded) => loaded.scenario,
        Err(diagnostics) => panic!("the written text does not load: {diagnostics:#?}\n{text}"),
    }
}

#[test]
fn bundled_files_round_trip() {
    let files = scenario_files();
    assert!(files.len() >= 10, "found only {files:?}");
    for file in files {
        let original = load_file(&file).expect("bundled files load").scenario;
        let text = to_yaml(&original).expect("bundled files write");
        let back = read_back(&text);
        assert_eq!(back, original, "{}", file.display());
        let again = to_yaml(&back).expect("the read-back document writes");
        assert_eq!(again, text, "{}", file.display());
    }
}

#[test]
fn small_document_exact_text() {
    let text = "\
version: 1
name: Two services
description: |
  First line.

  Second paragraph: with a colon.
run: { duration: 90s, seed: 7 }
clients:
  users:
    target: api.get
    arrivals: { poisson: 50/min }
    profile:
      - { at: 60s, rate: 100/min, ramp: 1500ms }
services:
  api:
    workers: 4
    operations:
      get:
        service_time: { lognormal: { mean: 2ms, p99: 10ms } }
        steps:
          - call: db.read
            timeout: 250ms
            retry: { attempts: 3, backoff: { exponential: { base: 10ms, cap: 1s, multiplier: 1.5 } }, jitter: equal }
          - publish: events
  db:
    operations:
      read: { service_time: 1ms }
queues:
  events: {}
faults:
  - { at: 10s, for: 5s, slow: { service: db, latency_multiplier: 2.5 } }
layout:
  users: [0, 0]
  api: [200.5, -40]
";
    let scenario = read_back(text);
    let written = to_yaml(&scenario).expect("the document writes");
    let expected = "\
version: 1

name: Two services

description: |
  First line.

  Second paragraph: with a colon.

run:
  duration: 90s
  seed: 7

clients:
  users:
    target: api.get
    arrivals: {poisson: 50/min}
    profile:
      - {at: 1m, rate: 100/min, ramp: 1.5s}

services:
  api:
    workers: 4
    operations:
      get:
        service_time: {lognormal: {mean: 2ms, p99: 10ms}}
        steps:
          - call: db.read
            timeout: 250ms
            retry:
              attempts: 3
              backoff: {exponential: {base: 10ms, cap: 1s, multiplier: 1.5}}
              jitter: equal
          - {publish: events}
  db:
    operations:
      read: {service_time: {constant: 1ms}}

queues:
  events: {}

faults:
  - at: 10s
    for: 5s
    slow: {service: db, latency_multiplier: 2.5}

layout:
  users: [0, 0]
  api: [200.5, -40]
";
    assert_eq!(written, expected);
    assert_eq!(read_back(&written), scenario);
}

#[test]
fn descriptions_keep_line_breaks() {
    let descriptions = [
        "one line",
        "ends with a break\n",
        "ends with two breaks\n\n",
        "ends with three\n\n\n",
        "\nstarts with a break",
        "  starts with spaces\nand a second line",
        "trailing spaces  \nsecond line",
        "a long line without breaks that is longer than eighty characters, which YAML may fold",
        "tab\tinside\nand a second line",
        "# not a comment\n- not a list\n",
    ];
    for description in descriptions {
        let mut scenario = Scenario {
            description: Some(description.to_owned()),
            ..Scenario::default()
        };
        scenario.queues.insert("q".to_owned(), queue());
        let text = to_yaml(&scenario).expect("the document writes");
        let back = read_back(&text);
        assert_eq!(back.description.as_deref(), Some(description), "{text}");
    }
}

#[test]
fn names_yaml_reads_as_other_types() {
    let names = [
        "true", "FALSE", "null", "007", "1e3", "0x1F", "1_000", "yes", "off", "y", "-", "_",
    ];
    let mut scenario = Scenario::default();
    for name in names {
        scenario.queues.insert(name.to_owned(), queue());
        scenario.layout.insert(name.to_owned(), [1.0, 2.0]);
    }
    let text = to_yaml(&scenario).expect("the document writes");
    let back = read_back(&text);
    let back_names: Vec<&str> = back.queues.keys().map(String::as_str).collect();
    assert_eq!(back_names, names, "{text}");
}

#[test]
fn floats_keep_every_bit() {
    let values = [
        0.1,
        1.0 / 3.0,
        -0.0,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        9_007_199_254_740_993.0,
        123_456_789.123_456_78,
        -2.5e-10,
    ];
    let mut scenario = Scenario::default();
    for (i, value) in values.iter().enumerate() {
        let name = format!("q{i}");
        scenario.queues.insert(name.clone(), queue());
        scenario.layout.insert(name, [*value, -*value]);
    }
    let text = to_yaml(&scenario).expect("the document writes");
    let back = read_back(&text);
    for (i, value) in values.iter().enumerate() {
        let [x, y] = back.layout[&format!("q{i}")];
        assert_eq!(x.to_bits(), value.to_bits(), "x of q{i} in\n{text}");
        assert_eq!(y.to_bits(), (-value).to_bits(), "y of q{i} in\n{text}");
    }
}

#[test]
fn non_finite_number_is_an_error() {
    let mut scenario = Scenario::default();
    scenario.queues.insert("q".to_owned(), queue());
    scenario.layout.insert("q".to_owned(), [f64::NAN, 0.0]);
    let error = to_yaml(&scenario).expect_err("NaN has no scenario form");
    assert!(error.to_string().contains("not finite"), "{error}");
}

fn queue() -> Queue {
    Queue {
        max_deliveries: 3,
        ..Queue::default()
    }
}

// ---- Generated documents ----

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (1u64..10_000).prop_map(Duration::from_millis),
        (1u64..100_000_000_000).prop_map(Duration::from_nanos),
        (1u64..3_600).prop_map(Duration::from_secs),
    ]
}

/// A duration of at least 1 ms, the shortest period the reader accepts.
fn period() -> impl Strategy<Value = Duration> {
    duration().prop_map(|d| d.max(Duration::from_millis(1)))
}

fn rate() -> impl Strategy<Value = Rate> {
    (
        1u32..100_000,
        0u32..4,
        prop::sample::select(vec!["s", "min", "h"]),
    )
        .prop_map(|(number, decimals, unit)| {
            let value = f64::from(number) / 10f64.powi(decimals.cast_signed());
            Rate::parse(&format!("{value}/{unit}")).expect("generated rates parse")
        })
}

fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0..1.0, Just(1.0)]
}

fn distribution() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        duration().prop_map(Distribution::Constant),
        duration().prop_map(|mean| Distribution::Exponential { mean }),
        (duration(), duration()).prop_map(|(a, b)| Distribution::Uniform {
            min: a.min(b),
            max: a.max(b),
        }),
        (duration(), duration()).prop_map(|(mean, stddev)| Distribution::Normal { mean, stddev }),
        (1u32..8, duration()).prop_map(|(k, mean)| Distribution::Erlang { k, mean }),
        (duration(), 0.01..10.0f64)
            .prop_map(|(scale, shape)| Distribution::Weibull { scale, shape }),
        (duration(), 0.5..5.0f64).prop_map(|(scale, shape)| Distribution::Pareto { scale, shape }),
        (-10.0..0.0f64, 0.01..2.0f64).prop_map(|(mu, sigma)| Distribution::Lognormal(
            topolab::scenario::distribution::Lognormal::MuSigma { mu, sigma }
        )),
        (1u64..1000).prop_map(|mean_us| Distribution::Lognormal(
            topolab::scenario::distribution::Lognormal::MeanP99 {
                mean: Duration::from_nanos(mean_us * 1000),
                p99: Duration::from_nanos(mean_us * 3000),
            }
        )),
        prop::collection::vec(duration(), 1..4).prop_flat_map(|values| {
            let n = values.len();
            (
                Just(values),
                prop::option::of(prop::collection::vec(0.1..10.0f64, n)),
            )
                .prop_map(|(values, weights)| Distribution::Empirical { values, weights })
        }),
    ]
}

fn circuit_breaker() -> impl Strategy<Value = CircuitBreaker> {
    (
        any::<bool>(),
        prop::option::of(1u32..1000),
        prop::option::of(1u32..1000),
        prop::option::of(prop_oneof![Just(100.0), 0.5..100.0f64]),
        prop::option::of(prop_oneof![Just(100.0), 0.5..100.0f64]),
        prop::option::of(duration()),
        prop::option::of(duration()),
        prop::option::of(1u32..20),
    )
        .prop_map(
            |(time_based, size, minimum, failure, slow, slow_duration, wait, permitted)| {
                let size = size.map(|n| {
                    if time_based {
                        SlidingWindowSize::Time(Duration::from_secs(u64::from(n)))
                    } else {
                        SlidingWindowSize::Calls(n)
                    }
                });
                CircuitBreaker {
                    sliding_window_type: if time_based {
                        SlidingWindowType::TimeBased
                    } else {
                        SlidingWindowType::CountBased
                    },
                    sliding_window_size: size,
                    minimum_number_of_calls: minimum,
                    failure_rate_threshold: failure,
                    slow_call_rate_threshold: slow,
                    slow_call_duration_threshold: slow_duration,
                    wait_duration_in_open_state: wait,
                    permitted_number_of_calls_in_half_open_state: permitted,
                }
            },
        )
}

fn retry() -> impl Strategy<Value = RetryPolicy> {
    (
        1u32..5,
        prop_oneof![
            Just(Backoff::default()),
            duration().prop_map(Backoff::Constant),
            (duration(), 1.0..4.0f64).prop_map(|(base, multiplier)| Backoff::Exponential {
                base,
                cap: Duration::from_nanos(base.as_nanos() * 10),
                multiplier,
            }),
        ],
        prop::sample::select(vec![Jitter::None, Jitter::Full, Jitter::Equal]),
        prop::option::of(prop::sample::subsequence(ErrorKind::ALL.to_vec(), 0..4)),
    )
        .prop_map(|(attempts, backoff, jitter, retry_on)| RetryPolicy {
            attempts,
            backoff,
            jitter,
            retry_on,
        })
}

/// A retry budget and a deadline of a client or a call step.
fn limits() -> impl Strategy<Value = (Option<RetryBudget>, Option<Duration>)> {
    let budget = (
        prop_oneof![Just(20.0), Just(0.0), Just(100.0), 0.0..=100.0f64],
        prop_oneof![Just(3u32), 0u32..10],
    )
        .prop_map(|(budget_percent, min_retry_concurrency)| RetryBudget {
            budget_percent,
            min_retry_concurrency,
        });
    (prop::option::of(budget), prop::option::of(duration()))
}

/// Free text, with line breaks, quotes, YAML indicators and non-ASCII letters.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 :#'\"\\-\\|>{}\\[\\],&*!%@`éß→\n]{0,120}"
}

/// Text that YAML might read as something else, or that needs quoting.
fn name_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        text(),
        prop::sample::select(vec![
            "true".to_owned(),
            "null".to_owned(),
            "1.5".to_owned(),
            " leading space".to_owned(),
            "trailing space ".to_owned(),
            "- dash".to_owned(),
            String::new(),
            "x".repeat(200),
        ]),
    ])
}

/// Node names: plain words, and names that YAML reads as booleans, numbers or null.
fn node_names(count: usize) -> impl Strategy<Value = Vec<String>> {
    let pool = prop::sample::select(vec![
        "api",
        "db",
        "true",
        "007",
        "null",
        "yes",
        "1e3",
        "ß-dienst",
        "a_b",
        "x-1",
    ]);
    prop::collection::vec(pool, count).prop_map(|names| {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{name}{i}"))
            .collect()
    })
}

#[derive(Debug, Clone)]
struct Shape {
    services: usize,
    queues: usize,
    clients: usize,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (1usize..5, 0usize..4, 0usize..4)
        .prop_map(|(services, queues, clients)| Shape {
            services,
            queues,
            clients,
        })
        .prop_flat_map(|shape| {
            let total = shape.services + shape.queues + shape.clients;
            (Just(shape), node_names(total), any::<u64>(), settings())
        })
        .prop_flat_map(|(shape, names, seed, settings)| {
            let services: Vec<String> = names[..shape.services].to_vec();
            let queues: Vec<String> = names[shape.services..shape.services + shape.queues].to_vec();
            let clients: Vec<String> = names[shape.services + shape.queues..].to_vec();
            let service_values = prop::collection::vec(service_body(), shape.services);
            let queue_values = prop::collection::vec(queue_body(), shape.queues);
            let client_values = prop::collection::vec(client_body(), shape.clients);
            let positions = prop::collection::vec(prop::option::of(position()), names.len());
            let extras = (
                prop::collection::vec(link(), 0..3),
                prop::collection::vec(fault(), 0..3),
            );
            (
                Just((services, queues, clients, seed, settings)),
                service_values,
                queue_values,
                client_values,
                positions,
                extras,
            )
        })
        .prop_map(
            |(
                (services, queues, clients, seed, settings),
                mut service_values,
                queue_values,
                client_values,
                positions,
                (links, faults),
            )| {
                assemble(
                    &services,
                    &queues,
                    &clients,
                    seed,
                    settings,
                    &mut service_values,
                    queue_values,
                    client_values,
                    &positions,
                    links,
                    faults,
                )
            },
        )
}

type SettingsParts = (Option<String>, Option<String>, Defaults, RunSettings);

fn settings() -> impl Strategy<Value = SettingsParts> {
    (
        name_text(),
        name_text(),
        (
            prop_oneof![Just(Distribution::default()), distribution()],
            probability(),
        ),
        (
            prop::option::of(duration()),
            prop::option::of(duration()),
            prop::option::of(any::<u64>()),
            prop::option::of(Just(Duration::from_millis(500))),
        ),
    )
        .prop_map(
            |(name, description, (latency, loss), (duration, warmup, seed, window))| {
                // A warmup must be shorter than the run, whose default is 60 s.
                let duration =
                    duration.map(|d| Duration::from_nanos(d.as_nanos().max(1_000_000_000)));
                let limit = duration.unwrap_or(Duration::from_secs(60));
                let warmup = warmup.filter(|&warmup| warmup < limit);
                (
                    name,
                    description,
                    Defaults {
                        network_latency: latency,
                        loss,
                    },
                    RunSettings {
                        duration,
                        warmup,
                        seed,
                        window,
                    },
                )
            },
        )
}

/// A service body whose steps `assemble` fills in once the node names are chosen.
#[derive(Debug, Clone)]
struct ServiceBody {
    replicas: u32,
    workers: u32,
    queue_capacity: Option<u32>,
    load_balancing: LoadBalancing,
    operations: Vec<(Distribution, f64, Vec<StepShape>)>,
    protections: ServiceProtections,
}

/// Rate limit, load shedding and autoscaling of a service; `assemble` fits the
/// autoscaling range around the replicas.
type ServiceProtections = (Option<RateLimit>, Option<LoadShedding>, Option<Autoscaling>);

fn bulkhead() -> impl Strategy<Value = Bulkhead> {
    (1u32..100, prop_oneof![Just(Duration::ZERO), duration()]).prop_map(
        |(max_concurrent_calls, max_wait_duration)| Bulkhead {
            max_concurrent_calls,
            max_wait_duration,
        },
    )
}

fn service_protections() -> impl Strategy<Value = ServiceProtections> {
    let rate_limit = (1u64..10_000, 1u64..100, duration()).prop_map(
        |(max_tokens, tokens_per_fill, fill_interval)| RateLimit {
            max_tokens,
            tokens_per_fill,
            fill_interval,
        },
    );
    let shedding = prop_oneof![
        (0u32..100).prop_map(|n| LoadShedding {
            max_waiting: Some(n),
            max_queue_time: None,
        }),
        duration().prop_map(|d| LoadShedding {
            max_waiting: None,
            max_queue_time: Some(d),
        }),
        (0u32..100, duration()).prop_map(|(n, d)| LoadShedding {
            max_waiting: Some(n),
            max_queue_time: Some(d),
        }),
    ];
    let target = prop_oneof![
        (1u32..=1000).prop_map(|tenths| (
            AutoscalingMetric::Utilization,
            AutoscalingTarget::Percent(f64::from(tenths) / 10.0)
        )),
        (0.01..1000.0f64).prop_map(|value| (
            AutoscalingMetric::QueueDepth,
            AutoscalingTarget::Value(value)
        )),
    ];
    let autoscaling = (
        0u32..10,
        target,
        period(),
        prop_oneof![Just(Duration::ZERO), duration()],
        prop_oneof![Just(Duration::ZERO), duration()],
        prop_oneof![Just(0.1), 0.0..0.99f64],
    )
        .prop_map(
            |(extra, (metric, target), evaluation_period, stabilization, startup, tolerance)| {
                Autoscaling {
                    min_replicas: 1,
                    max_replicas: 1 + extra,
                    metric,
                    target,
                    evaluation_period,
                    scale_down_stabilization: stabilization,
                    startup_delay: startup,
                    tolerance,
                }
            },
        );
    (
        prop::option::of(rate_limit),
        prop::option::of(shedding),
        prop::option::of(autoscaling),
    )
}

#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "a generated test value, built a few hundred times per run"
)]
enum StepShape {
    Call(
        usize,
        Option<Duration>,
        Option<RetryPolicy>,
        Option<Bulkhead>,
        Option<CircuitBreaker>,
        (Option<RetryBudget>, Option<Duration>),
    ),
    Publish(usize, Option<Duration>),
    Parallel(Vec<(usize, Option<Bulkhead>)>),
    Work(Distribution),
}

fn step_shape() -> impl Strategy<Value = StepShape> {
    prop_oneof![
        (
            any::<usize>(),
            prop::option::of(duration()),
            prop::option::of(retry()),
            prop::option::of(bulkhead()),
            prop::option::of(circuit_breaker()),
            limits()
        )
            .prop_map(
                |(to, timeout, retry, bulkhead, breaker, limits)| StepShape::Call(
                    to, timeout, retry, bulkhead, breaker, limits
                )
            ),
        (any::<usize>(), prop::option::of(duration()))
            .prop_map(|(to, timeout)| StepShape::Publish(to, timeout)),
        prop::collection::vec((any::<usize>(), prop::option::of(bulkhead())), 1..3)
            .prop_map(StepShape::Parallel),
        distribution().prop_map(StepShape::Work),
    ]
}

fn service_body() -> impl Strategy<Value = ServiceBody> {
    (
        1u32..5,
        1u32..64,
        prop::option::of(1u32..1000),
        prop::sample::select(vec![
            LoadBalancing::RoundRobin,
            LoadBalancing::Random,
            LoadBalancing::LeastOutstanding,
        ]),
        prop::collection::vec(
            (
                distribution(),
                probability(),
                prop::collection::vec(step_shape(), 0..3),
            ),
            1..3,
        ),
        service_protections(),
    )
        .prop_map(
            |(replicas, workers, queue_capacity, load_balancing, operations, protections)| {
                ServiceBody {
                    replicas,
                    workers,
                    queue_capacity,
                    load_balancing,
                    operations,
                    protections,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct QueueBody {
    capacity: Option<u64>,
    overflow: Overflow,
    consumer: Option<(usize, u32)>,
    max_deliveries: u32,
    dead_letter: Option<usize>,
    broker: Queue,
}

fn queue_body() -> impl Strategy<Value = QueueBody> {
    (
        prop::option::of(1u64..100_000),
        prop::sample::select(Overflow::ALL.to_vec()),
        prop::option::of((any::<usize>(), 1u32..16)),
        1u32..6,
        prop::option::of(any::<usize>()),
        broker_settings(),
    )
        .prop_map(
            |(capacity, overflow, consumer, max_deliveries, dead_letter, broker)| QueueBody {
                capacity,
                overflow,
                consumer,
                max_deliveries,
                dead_letter,
                broker,
            },
        )
}

/// The broker fields of a queue, of one kind of broker at a time so that the
/// combination is valid; the other fields of the returned queue are unused.
fn broker_settings() -> impl Strategy<Value = Queue> {
    let preset = |presets: Vec<Preset>| prop::option::of(prop::sample::select(presets));
    prop_oneof![
        Just(Queue::default()),
        (
            preset(vec![Preset::Rabbitmq]),
            prop::option::of(1u32..1000),
            prop::option::of(any::<bool>()),
            prop::option::of(duration()),
        )
            .prop_map(|(preset, prefetch, requeue, message_ttl)| Queue {
                preset,
                prefetch,
                requeue,
                message_ttl,
                ..Queue::default()
            }),
        (
            preset(vec![Preset::Sqs]),
            duration(),
            prop::option::of(duration())
        )
            .prop_map(|(preset, visibility_timeout, message_ttl)| Queue {
                preset,
                visibility_timeout: Some(visibility_timeout),
                message_ttl,
                ..Queue::default()
            }),
        (
            preset(vec![Preset::Kafka]),
            1u32..100,
            prop::option::of(1u32..10_000),
            prop::option::of(duration()),
            prop::option::of(duration()),
        )
            .prop_map(
                |(preset, partitions, keys, retention, session_timeout)| Queue {
                    preset,
                    partitions: Some(partitions),
                    keys,
                    retention,
                    session_timeout,
                    ..Queue::default()
                }
            ),
        (
            preset(vec![Preset::DbPoll]),
            period(),
            prop::option::of(1u32..1000),
        )
            .prop_map(|(preset, poll_interval, batch_size)| Queue {
                preset,
                poll_interval: Some(poll_interval),
                batch_size,
                ..Queue::default()
            }),
    ]
}

#[derive(Debug, Clone)]
struct ClientBody {
    target: usize,
    workload: Workload,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    bulkhead: Option<Bulkhead>,
    circuit_breaker: Option<CircuitBreaker>,
    limits: (Option<RetryBudget>, Option<Duration>),
}

fn client_body() -> impl Strategy<Value = ClientBody> {
    let open = (
        prop_oneof![
            rate().prop_map(Arrivals::Poisson),
            rate().prop_map(Arrivals::Constant)
        ],
        prop::collection::vec((duration(), rate(), prop::option::of(duration())), 0..3),
    )
        .prop_map(|(arrivals, changes)| {
            let mut at = Duration::ZERO;
            let profile = changes
                .into_iter()
                .map(|(step, rate, ramp)| {
                    at = Duration::from_nanos(at.as_nanos() + step.as_nanos());
                    RateChange { at, rate, ramp }
                })
                .collect();
            Workload::Open { arrivals, profile }
        });
    let closed = (
        1u32..100,
        prop_oneof![Just(Distribution::default()), distribution()],
    )
        .prop_map(|(users, think_time)| Workload::Closed { users, think_time });
    (
        any::<usize>(),
        prop_oneof![open, closed],
        prop::option::of(duration()),
        prop::option::of(retry()),
        prop::option::of(bulkhead()),
        prop::option::of(circuit_breaker()),
        limits(),
    )
        .prop_map(
            |(target, workload, timeout, retry, bulkhead, circuit_breaker, limits)| ClientBody {
                target,
                workload,
                timeout,
                retry,
                bulkhead,
                circuit_breaker,
                limits,
            },
        )
}

fn position() -> impl Strategy<Value = [f64; 2]> {
    let coordinate = prop_oneof![
        -2000.0..2000.0f64,
        (-2000i32..2000).prop_map(f64::from),
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ];
    [coordinate.clone(), coordinate]
}

#[derive(Debug, Clone)]
struct LinkShape(usize, usize, Option<Distribution>, Option<f64>);

fn link() -> impl Strategy<Value = LinkShape> {
    (
        any::<usize>(),
        any::<usize>(),
        prop::option::of(distribution()),
        prop::option::of(probability()),
    )
        .prop_map(|(a, b, latency, loss)| LinkShape(a, b, latency, loss))
}

#[derive(Debug, Clone)]
struct FaultShape(Duration, Duration, usize, u8, f64);

fn fault() -> impl Strategy<Value = FaultShape> {
    (
        duration(),
        duration(),
        any::<usize>(),
        0u8..14,
        0.01..1.0f64,
    )
        .prop_map(|(at, length, service, kind, number)| {
            FaultShape(at, length, service, kind, number)
        })
}

#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one generated document"
)]
fn assemble(
    services: &[String],
    queues: &[String],
    clients: &[String],
    seed: u64,
    (name, description, defaults, run): SettingsParts,
    service_values: &mut [ServiceBody],
    queue_values: Vec<QueueBody>,
    client_values: Vec<ClientBody>,
    positions: &[Option<[f64; 2]>],
    links: Vec<LinkShape>,
    faults: Vec<FaultShape>,
) -> Scenario {
    let op_name = |j: usize| format!("op{j}");
    let mut scenario = Scenario {
        name,
        description,
        defaults,
        run,
        ..Scenario::default()
    };
    let operation_of = |service: usize, pick: usize, bodies: &[ServiceBody]| {
        let count = bodies[service].operations.len();
        format!("{}.{}", services[service], op_name(pick % count))
    };
    let bodies = service_values.to_vec();
    for (i, body) in service_values.iter().enumerate() {
        let mut operations = IndexMap::new();
        for (j, (service_time, error_probability, steps)) in body.operations.iter().enumerate() {
            // Calls lead only to later services, so that there is no call cycle.
            let callee = |pick: usize| {
                let later = services.len() - i - 1;
                (later > 0).then(|| {
                    let service = i + 1 + pick % later;
                    operation_of(service, pick / later, &bodies)
                })
            };
            let steps = steps
                .iter()
                .filter_map(|step| match step {
                    StepShape::Call(
                        pick,
                        timeout,
                        retry,
                        bulkhead,
                        breaker,
                        (retry_budget, deadline),
                    ) => callee(*pick).map(|call| {
                        Step::Call(CallStep {
                            call,
                            timeout: *timeout,
                            retry: retry.clone(),
                            bulkhead: *bulkhead,
                            circuit_breaker: breaker.clone(),
                            retry_budget: *retry_budget,
                            deadline: *deadline,
                        })
                    }),
                    StepShape::Publish(pick, timeout) => (!queues.is_empty()).then(|| {
                        Step::Publish(PublishStep {
                            publish: queues[pick % queues.len()].clone(),
                            timeout: *timeout,
                            retry: None,
                        })
                    }),
                    StepShape::Parallel(picks) => {
                        let calls: Vec<CallStep> = picks
                            .iter()
                            .filter_map(|&(pick, bulkhead)| {
                                callee(pick).map(|call| CallStep {
                                    call,
                                    timeout: None,
                                    retry: None,
                                    bulkhead,
                                    circuit_breaker: None,
                                    retry_budget: None,
                                    deadline: None,
                                })
                            })
                            .collect();
                        (!calls.is_empty())
                            .then_some(Step::Parallel(ParallelStep { parallel: calls }))
                    }
                    StepShape::Work(work) => Some(Step::Work(WorkStep { work: work.clone() })),
                })
                .collect();
            operations.insert(
                op_name(j),
                Operation {
                    service_time: service_time.clone(),
                    error_probability: *error_probability,
                    steps,
                },
            );
        }
        scenario.services.insert(
            services[i].clone(),
            Service {
                replicas: body.replicas,
                workers: body.workers,
                queue_capacity: body.queue_capacity,
                load_balancing: body.load_balancing,
                rate_limit: body.protections.0,
                load_shedding: body.protections.1,
                autoscaling: body.protections.2.map(|autoscaling| Autoscaling {
                    max_replicas: body.replicas + autoscaling.max_replicas,
                    ..autoscaling
                }),
                operations,
            },
        );
    }
    for (i, body) in queue_values.into_iter().enumerate() {
        let dead_letter = body
            .dead_letter
            .map(|pick| queues[pick % queues.len()].clone())
            .filter(|name| *name != queues[i]);
        let kafka = body.broker.partitions.is_some();
        let overflow = match body.overflow {
            _ if kafka => Overflow::Reject,
            Overflow::RejectPublishDlx if dead_letter.is_none() => Overflow::RejectPublish,
            other => other,
        };
        scenario.queues.insert(
            queues[i].clone(),
            Queue {
                capacity: body.capacity.filter(|_| !kafka),
                overflow,
                consumer: body.consumer.map(|(pick, concurrency)| Consumer {
                    operation: operation_of(pick % services.len(), pick / services.len(), &bodies),
                    concurrency,
                }),
                max_deliveries: body.max_deliveries,
                dead_letter,
                ..body.broker
            },
        );
    }
    for (i, body) in client_values.into_iter().enumerate() {
        scenario.clients.insert(
            clients[i].clone(),
            Client {
                target: operation_of(body.target % services.len(), body.target / 7, &bodies),
                workload: body.workload,
                timeout: body.timeout,
                retry: body.retry,
                bulkhead: body.bulkhead,
                circuit_breaker: body.circuit_breaker,
                retry_budget: body.limits.0,
                deadline: body.limits.1,
            },
        );
    }
    let all: Vec<&String> = services.iter().chain(queues).chain(clients).collect();
    // Layout entries in a shuffled order, to check that the writer keeps map order.
    let start = (seed as usize) % all.len();
    for k in 0..all.len() {
        let i = (start + k) % all.len();
        if let Some(position) = positions[i] {
            scenario.layout.insert(all[i].clone(), position);
        }
    }
    for LinkShape(a, b, latency, loss) in links {
        let (from, to) = (all[a % all.len()], all[b % all.len()]);
        let duplicate = scenario.links.iter().any(|link| {
            (link.from == *from && link.to == *to) || (link.from == *to && link.to == *from)
        });
        if from != to && !duplicate {
            scenario.links.push(Link {
                from: from.clone(),
                to: to.clone(),
                latency,
                loss,
            });
        }
    }
    for FaultShape(at, length, pick, kind, number) in faults {
        let service = services[pick % services.len()].clone();
        let a = all[pick % all.len()].clone();
        let b = all[(pick / 3 + 1) % all.len()].clone();
        let queue = (!queues.is_empty()).then(|| queues[pick % queues.len()].clone());
        let link = topolab::scenario::LinkRef {
            from: a.clone(),
            to: b.clone(),
        };
        let kind = match (kind, queue) {
            (4, _) => FaultKind::Errors(ErrorFault {
                service,
                probability: None,
                first: Some(pick as u64 % 1000 + 1),
            }),
            (5, _) => FaultKind::Crash(topolab::scenario::CrashFault {
                service,
                replica: (pick % 2 == 0).then_some(0),
                mode: OutageMode::Timeout,
            }),
            (6, _) => FaultKind::Latency(topolab::scenario::LatencyFault {
                service: Some(service),
                link: None,
                add: Distribution::Constant(length),
            }),
            (7, _) => FaultKind::Latency(topolab::scenario::LatencyFault {
                service: None,
                link: Some(link),
                add: Distribution::Exponential { mean: length },
            }),
            (8, _) if a != b => FaultKind::Partition(topolab::scenario::PartitionFault {
                between: [a, b],
                direction: if pick % 2 == 0 {
                    topolab::scenario::PartitionDirection::Both
                } else {
                    topolab::scenario::PartitionDirection::OneWay
                },
            }),
            (9, _) => FaultKind::Loss(topolab::scenario::LossFault {
                link,
                probability: number,
            }),
            (10, Some(queue)) => FaultKind::BrokerOutage(topolab::scenario::BrokerOutageFault {
                queue,
                mode: OutageMode::Timeout,
            }),
            (11, Some(queue)) => FaultKind::SlowConsumer(topolab::scenario::SlowConsumerFault {
                queue,
                latency_multiplier: number * 10.0,
            }),
            (kind, _) => match kind % 4 {
                0 => FaultKind::Outage(OutageFault {
                    service,
                    mode: OutageMode::FailFast,
                }),
                1 => FaultKind::Outage(OutageFault {
                    service,
                    mode: OutageMode::Timeout,
                }),
                2 => FaultKind::Errors(ErrorFault {
                    service,
                    probability: Some(number),
                    first: None,
                }),
                _ => FaultKind::Slow(topolab::scenario::SlowFault {
                    service: Some(service),
                    link: None,
                    latency_multiplier: number * 10.0,
                }),
            },
        };
        let random = pick % 5 == 0;
        scenario.faults.push(Fault {
            at,
            duration: (!random).then_some(length),
            mtbf: random.then_some(length.max(Duration::from_millis(1))),
            mttr: random.then_some(at.max(Duration::from_millis(1))),
            kind,
        });
    }
    scenario
}

proptest! {
    // A fixed seed keeps the test deterministic, and no failure file is written.
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_seed: RngSeed::Fixed(0x5eed_0001),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_documents_round_trip(scenario in scenario()) {
        // The generator builds only valid documents; one that fails validation is a
        // generator bug, reported with its diagnostics.
        let diagnostics = topolab::scenario::validate::validate_document(&scenario);
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
        prop_assert!(errors.is_empty(), "invalid generated document: {errors:#?}");

        let text = to_yaml(&scenario).expect("valid documents write");
        let back = match load_str(&text, None) {
            Ok(loaded) => loaded.scenario,
            Err(diagnostics) => {
                return Err(TestCaseError::fail(format!("{diagnostics:#?}\n{text}")));
            }
        };
        prop_assert_eq!(&back, &scenario, "{}", text);
        prop_assert!(back.layout.keys().eq(scenario.layout.keys()), "layout order in\n{}", text);
        prop_assert!(back.services.keys().eq(scenario.services.keys()));
        prop_assert!(back.queues.keys().eq(scenario.queues.keys()));
        prop_assert!(back.clients.keys().eq(scenario.clients.keys()));
        prop_assert_eq!(to_yaml(&back).expect("the read-back document writes"), text);
    }
}
