//! Diagnostics of scenario files: the exact messages for each file under
//! `tests/invalid/`, the limits of the reader, odd inputs that must be rejected without a
//! panic, and the bundled scenarios, which must read with no diagnostics at all.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use topolab::engine::Model;
use topolab::scenario::{self, Diagnostic, read::MAX_FILE_BYTES};

/// A file under `tests/invalid/` and what reading it gives.
struct Case {
    file: &'static str,
    /// Whether the file loads, with warnings only.
    loads: bool,
    /// Every diagnostic, in the order reported, as printed.
    diagnostics: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "duration-unknown-unit.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/duration-unknown-unit.yaml:7:14: error: clients.shoppers.timeout: invalid duration \"5 parsecs\": unknown unit \"parsecs\"; allowed units: ns, us, µs, ms, s, m, h (e.g. 250ms, 1.5s)",
            "tests/invalid/duration-unknown-unit.yaml:8:15: error: clients.shoppers.deadline: invalid duration \"1m30s\": compound durations such as \"1m30s\" are not accepted; write it with one unit, as 90s",
        ],
    },
    Case {
        file: "distribution-two-keys.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/distribution-two-keys.yaml:21:23: error: services.fulfilment.operations.ship.service_time: expected a distribution with exactly one key, one of \"constant\", \"exponential\", \"uniform\", \"normal\", \"lognormal\", \"erlang\", \"pareto\", \"weibull\" or \"empirical\"; found 2 keys: \"exponential\" and \"constant\"",
        ],
    },
    Case {
        file: "lognormal-mixed-forms.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/lognormal-mixed-forms.yaml:21:36: error: services.fulfilment.operations.ship.service_time.lognormal: a lognormal is given by \"mean\" and \"p99\", or by \"mu\" and \"sigma\", not a mix of the two; found \"mean\" and \"sigma\", so either add \"p99\" and remove \"sigma\", or add \"mu\" and remove \"mean\"",
        ],
    },
    Case {
        file: "dead-letter-names-service.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/dead-letter-names-service.yaml:26:18: error: queues.orders.dead_letter: \"api\" is a service, not a queue; \"dead_letter\" must name a queue. Queues: \"orders\"",
        ],
    },
    Case {
        file: "wrong-kind-references.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/wrong-kind-references.yaml:4:13: error: clients.shoppers.target: \"orders\" is a queue, not a service; \"target\" must name an operation of a service, as \"service.operation\"",
            "tests/invalid/wrong-kind-references.yaml:8:3: warning: services.api: service \"api\" is never called: no client, call or queue consumer targets it",
            "tests/invalid/wrong-kind-references.yaml:13:19: error: services.api.operations.order.steps[0].call: \"orders\" is a queue, not a service; \"call\" must name an operation of a service, as \"service.operation\"; to send to the queue, write \"publish: orders\"",
            "tests/invalid/wrong-kind-references.yaml:14:22: error: services.api.operations.order.steps[1].publish: \"fulfilment\" is a service, not a queue; \"publish\" must name a queue; to call the service, write \"call: fulfilment.operation\". Queues: \"orders\"",
            "tests/invalid/wrong-kind-references.yaml:15:3: warning: services.fulfilment: service \"fulfilment\" is never called: no client, call or queue consumer targets it",
            "tests/invalid/wrong-kind-references.yaml:21:28: error: queues.orders.consumer.operation: \"shoppers\" is a client, not a service; \"operation\" must name an operation of a service, as \"service.operation\"",
            "tests/invalid/wrong-kind-references.yaml:23:24: error: faults[0].outage.service: \"orders\" is a queue, not a service; \"service\" must name a service. Services: \"api\" and \"fulfilment\"",
        ],
    },
    Case {
        file: "lossy-call-without-timeout.yaml",
        loads: true,
        diagnostics: &[
            "tests/invalid/lossy-call-without-timeout.yaml:14:13: warning: services.shop.operations.checkout.steps[0]: messages between \"shop\" and \"stock\" are lost with probability 0.01, and this call has no timeout, so a lost request or response leaves its caller waiting until the end of the run; add a timeout",
        ],
    },
    Case {
        file: "warmup-beyond-default-duration.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/warmup-beyond-default-duration.yaml:4:11: error: run.warmup: invalid warmup 90s: must be shorter than the default duration 1m",
        ],
    },
    Case {
        file: "window-too-narrow.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/window-too-narrow.yaml:5:11: error: run.window: 3600000 windows of 1ms in 1h: at most 1000000 are kept; choose a wider window",
        ],
    },
    Case {
        file: "alias-bomb.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/alias-bomb.yaml:8:16: error: the file expands to more than the 250000 nodes or 500000 parser events allowed for a scenario once its aliases are replaced. Aliases that refer to lists of other aliases multiply in size; expand them by hand, or use fewer",
        ],
    },
    Case {
        file: "bad-rate.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/bad-rate.yaml:6:26: error: clients.shoppers.arrivals.poisson: invalid rate \"100/day\": unknown unit \"/day\"; allowed units: /s, /sec, /second, /min, /minute, /h, /hour (e.g. 800/s, 50/min)",
        ],
    },
    Case {
        file: "call-cycle.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/call-cycle.yaml:13:13: error: services.a.operations.x.steps[0]: synchronous call cycle: a.x → b.y → a.x; a request would wait for itself. Break the cycle, or make one of the calls a publish to a queue",
        ],
    },
    Case {
        file: "client-without-target.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/client-without-target.yaml:5:5: error: clients.shoppers.target: missing required key \"target\": the operation that the client calls, as \"service.operation\"",
        ],
    },
    Case {
        file: "duplicate-name.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/duplicate-name.yaml:8:3: error: services.shop: duplicate name \"shop\": clients.shop has the same name; clients, services and queues share one set of names, so rename one of them",
        ],
    },
    Case {
        file: "duplicate-service.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/duplicate-service.yaml:18:3: error: services.shop: duplicate key \"shop\": it is already set at line 8, column 3; keys of a mapping must be unique, so remove or rename one of them",
        ],
    },
    Case {
        file: "duration-without-unit.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/duration-without-unit.yaml:7:14: error: clients.shoppers.timeout: invalid duration 5: a duration needs a unit, such as 5ms or 5s; expected a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)",
        ],
    },
    Case {
        file: "duration-word.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/duration-word.yaml:11:23: error: services.shop.operations.checkout.service_time: invalid duration \"fast\": expected a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)",
        ],
    },
    Case {
        file: "duration-too-long.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/duration-too-long.yaml:3:18: error: run.duration: invalid duration \"4611686018427387905ns\": is too long: the longest duration is 4611686018427387904ns (2^62 ns, about 146 years)",
            "tests/invalid/duration-too-long.yaml:3:49: error: run.window: invalid duration \"9999999999s\": is too long: the longest duration is 4611686018427387904ns (2^62 ns, about 146 years)",
            "tests/invalid/duration-too-long.yaml:8:14: error: clients.shoppers.timeout: invalid duration \"1e300s\": is too long: the longest duration is 4611686018427387904ns (2^62 ns, about 146 years)",
            "tests/invalid/duration-too-long.yaml:9:15: error: clients.shoppers.deadline: invalid duration \"1.0000001ns\": is not a whole number of nanoseconds",
            "tests/invalid/duration-too-long.yaml:14:23: error: services.shop.operations.checkout.service_time: invalid duration \"4611686018.4273879045s\": is too long: the longest duration is 4611686018427387904ns (2^62 ns, about 146 years)",
        ],
    },
    Case {
        file: "huge-numbers.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/huge-numbers.yaml:5:3: warning: clients.shoppers: messages between \"shoppers\" and \"shop\" are lost with probability 1e-300, and this call has no timeout, so a lost request or response leaves its caller waiting until the end of the run; add a timeout",
            "tests/invalid/huge-numbers.yaml:7:26: error: clients.shoppers.arrivals.poisson: invalid rate \"1e300/s\": must be at most 1000000000/s, one event per nanosecond, the resolution of simulated time",
            "tests/invalid/huge-numbers.yaml:8:85: error: clients.shoppers.retry.backoff.exponential.multiplier: invalid multiplier -1e300: must be at least 1",
            "tests/invalid/huge-numbers.yaml:9:37: error: clients.shoppers.retry_budget.budget_percent: invalid budget_percent 1e300: must be from 0 to 100",
            "tests/invalid/huge-numbers.yaml:10:48: error: clients.shoppers.circuit_breaker.failure_rate_threshold: invalid percentage 1e300: must be greater than 0 and at most 100",
            "tests/invalid/huge-numbers.yaml:13:21: error: services.shop.queue_capacity: invalid value 1e300: too large; expected a whole number from 0 to 4294967295",
            "tests/invalid/huge-numbers.yaml:14:66: error: services.shop.autoscaling.target: invalid target 1e300%: a utilization target must be greater than 0% and at most 100%",
            "tests/invalid/huge-numbers.yaml:14:85: error: services.shop.autoscaling.tolerance: invalid tolerance 1e300: must be at least 0 and less than 1",
            "tests/invalid/huge-numbers.yaml:17:54: error: services.shop.operations.checkout.service_time.pareto.shape: invalid pareto parameter shape: -1e300 must be a positive finite number",
            "tests/invalid/huge-numbers.yaml:18:28: error: services.shop.operations.checkout.error_probability: invalid probability 1e300: must be from 0 to 1",
            "tests/invalid/huge-numbers.yaml:22:48: error: faults[0].slow.latency_multiplier: invalid latency_multiplier -1e300: must be greater than 0",
        ],
    },
    Case {
        file: "version-string.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/version-string.yaml:1:10: error: version: invalid version \"1\": expected the number 1, as in \"version: 1\"",
        ],
    },
    Case {
        file: "invalid-load-shedding.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/invalid-load-shedding.yaml:8:35: error: services.shop.load_shedding.max_waiting: invalid value -1: expected a whole number from 0 to 4294967295",
            "tests/invalid/invalid-load-shedding.yaml:12:38: error: services.search.load_shedding.max_queue_time: invalid duration 0: must be greater than zero",
        ],
    },
    Case {
        file: "integer-out-of-range.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/integer-out-of-range.yaml:3:14: error: run.seed: invalid value 18446744073709551616: too large; expected a whole number from 0 to 18446744073709551615",
            "tests/invalid/integer-out-of-range.yaml:10:14: error: services.shop.workers: invalid value 18446744073709551616: too large; expected a whole number from 1 to 100000",
            "tests/invalid/integer-out-of-range.yaml:11:21: error: services.shop.queue_capacity: invalid value 4294967296: too large; expected a whole number from 0 to 4294967295",
            "tests/invalid/integer-out-of-range.yaml:14:38: error: services.shop.operations.checkout.service_time.erlang.k: invalid value 99999999999999999999999999999999: too large; expected a whole number from 1 to 4294967295",
        ],
    },
    Case {
        file: "rate-out-of-range.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/rate-out-of-range.yaml:6:27: error: clients.fast.arrivals.constant: invalid rate \"6.1e10/min\": must be at most 1000000000/s, one event per nanosecond, the resolution of simulated time",
            "tests/invalid/rate-out-of-range.yaml:10:32: error: clients.slow.profile[0].rate: invalid rate \"1e-300/s\": is too low: a rate other than zero must be at least one event per 2^62 ns (about 146 years), the longest duration, which is about 2.17e-10/s",
            "tests/invalid/rate-out-of-range.yaml:13:26: error: clients.underflow.arrivals.poisson: invalid rate \"1e-400/h\": is too low: a rate other than zero must be at least one event per 2^62 ns (about 146 years), the longest duration, which is about 2.17e-10/s",
            "tests/invalid/rate-out-of-range.yaml:16:26: error: clients.overflow.arrivals.poisson: invalid rate \"1e400/s\": must be at most 1000000000/s, one event per nanosecond, the resolution of simulated time",
        ],
    },
    Case {
        file: "empty.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/empty.yaml:1:1: error: the file is empty: a scenario needs at least \"version: 1\"",
        ],
    },
    Case {
        file: "empty-references.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/empty-references.yaml:8:52: error: services.s.operations.op.steps[0].publish: the queue name is empty. Queues: \"q\"",
            "tests/invalid/empty-references.yaml:8:66: error: services.s.operations.op.steps[1].call: the operation is empty: expected \"service.operation\"",
            "tests/invalid/empty-references.yaml:10:21: error: queues.q.dead_letter: the queue name is empty. Queues: \"q\"",
            "tests/invalid/empty-references.yaml:12:13: error: links[0].from: the node name is empty. Nodes: \"c\", \"s\" and \"q\"",
            "tests/invalid/empty-references.yaml:14:43: error: faults[0].outage.service: the service name is empty. Services: \"s\"",
        ],
    },
    Case {
        file: "infinite-number.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/infinite-number.yaml:15:48: error: faults[0].slow.latency_multiplier: invalid number .inf: expected a finite number (numbers beyond about ±1.8e308 read as infinite)",
        ],
    },
    Case {
        file: "list-root.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/list-root.yaml:1:1: error: a scenario file is a mapping of keys to values that starts with \"version: 1\"; found a list",
        ],
    },
    Case {
        file: "lognormal-p99-below-mean.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/lognormal-p99-below-mean.yaml:14:18: error: services.shop.operations.checkout.service_time.lognormal.p99: invalid lognormal parameter p99: 20ms is not above the mean 40ms: a lognormal's p99 must exceed its mean",
        ],
    },
    Case {
        file: "missing-operation.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/missing-operation.yaml:13:19: error: services.shop.operations.checkout.steps[0].call: operation \"refund\" not found in service \"payments\". Operations of \"payments\": \"charge\" and \"authorize\"",
        ],
    },
    Case {
        file: "missing-queue.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/missing-queue.yaml:13:22: error: services.orders.operations.place.steps[0].publish: queue \"order-event\" not found; did you mean \"order-events\"? Queues: \"order-events\"",
        ],
    },
    Case {
        file: "missing-service.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/missing-service.yaml:13:19: error: services.shop.operations.checkout.steps[0].call: service \"paymnts\" not found; did you mean \"payments\"? Services: \"shop\" and \"payments\"",
            "tests/invalid/missing-service.yaml:15:3: warning: services.payments: service \"payments\" is never called: no client, call or queue consumer targets it",
        ],
    },
    Case {
        file: "missing-version.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/missing-version.yaml:1:1: error: version: missing required key \"version\": add \"version: 1\" at the top",
        ],
    },
    Case {
        file: "multiple-documents.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/multiple-documents.yaml:4:1: error: the file contains more than one YAML document; a scenario file holds exactly one, so remove the \"---\" separator and what follows it",
        ],
    },
    Case {
        file: "nan-number.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/nan-number.yaml:12:28: error: services.shop.operations.checkout.error_probability: invalid number .nan: expected a finite number",
        ],
    },
    Case {
        file: "negative-capacity.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/negative-capacity.yaml:20:15: error: queues.order-events.capacity: invalid value -100: expected a whole number of at least 1",
        ],
    },
    Case {
        file: "negative-mean.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/negative-mean.yaml:11:46: error: services.shop.operations.checkout.service_time.exponential.mean: invalid duration \"-5ms\": must not be negative",
        ],
    },
    Case {
        file: "non-utf8.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/non-utf8.yaml:2:11: error: invalid UTF-8: byte 0xe9 at offset 21 is not part of a UTF-8 character; save the file as UTF-8",
        ],
    },
    Case {
        file: "number-too-large.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/number-too-large.yaml:11:54: error: services.shop.operations.checkout.service_time.pareto.shape: invalid number 1e400: expected a finite number (numbers beyond about ±1.8e308 read as infinite)",
        ],
    },
    Case {
        file: "queue-without-consumer.yaml",
        loads: true,
        diagnostics: &[
            "tests/invalid/queue-without-consumer.yaml:15:3: warning: queues.audit-log: queue \"audit-log\" has no consumer, so its messages only accumulate; add \"consumer: { operation: service.operation }\"",
        ],
    },
    Case {
        file: "rate-without-unit.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/rate-without-unit.yaml:6:27: error: clients.shoppers.arrivals.constant: invalid rate 250: a rate needs a unit, such as 250/s; expected a number per unit of time: /s, /min or /h (e.g. 800/s, 50/min)",
        ],
    },
    Case {
        file: "several-errors.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/several-errors.yaml:4:13: error: run.duration: invalid duration 60: a duration needs a unit, such as 60ms or 60s; expected a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)",
            "tests/invalid/several-errors.yaml:9:26: error: clients.shoppers.arrivals.poisson: invalid rate \"fast\": expected a number per unit of time: /s, /min or /h (e.g. 800/s, 50/min)",
            "tests/invalid/several-errors.yaml:10:24: error: clients.shoppers.retry.attempts: invalid value 0: expected a whole number from 1 to 100",
            "tests/invalid/several-errors.yaml:13:15: error: services.gateway.replicas: invalid value 0: expected a whole number from 1 to 10000",
            "tests/invalid/several-errors.yaml:14:21: error: services.gateway.load_balancing: invalid value \"round-robbin\"; did you mean \"round-robin\"? Allowed values: \"round-robin\", \"random\" or \"least-outstanding\"",
            "tests/invalid/several-errors.yaml:17:25: error: services.gateway.operations.checkout.service_time.exponental: unknown distribution \"exponental\"; did you mean \"exponential\"? Allowed: \"constant\", \"exponential\", \"uniform\", \"normal\", \"lognormal\", \"erlang\", \"pareto\", \"weibull\" or \"empirical\"",
            "tests/invalid/several-errors.yaml:19:19: error: services.gateway.operations.checkout.steps[0].call: operation \"plaec\" not found in service \"orders\". Operations of \"orders\": \"place\"",
            "tests/invalid/several-errors.yaml:20:22: error: services.gateway.operations.checkout.steps[1].publish: queue \"notifications\" not found. Queues: \"notification-events\"",
            "tests/invalid/several-errors.yaml:25:28: error: services.orders.operations.place.error_probability: invalid probability 1.5: must be from 0 to 1",
            "tests/invalid/several-errors.yaml:28:15: error: queues.notification-events.capacity: invalid value 0: expected a whole number of at least 1",
            "tests/invalid/several-errors.yaml:29:28: error: queues.notification-events.consumer.operation: service \"mailer\" not found. Services: \"gateway\" and \"orders\"",
        ],
    },
    Case {
        file: "slow-link-without-latency.yaml",
        loads: true,
        diagnostics: &[
            "tests/invalid/slow-link-without-latency.yaml:16:13: warning: faults[0].slow.link: the link between \"shoppers\" and \"orders\" has no latency, so multiplying it changes nothing; give it a latency in links or defaults.network_latency",
        ],
    },
    Case {
        file: "tab-indent.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/tab-indent.yaml:5:2: error: invalid YAML: tabs disallowed within this context (block indentation); indent with spaces",
        ],
    },
    Case {
        file: "unclosed-bracket.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/unclosed-bracket.yaml:7:9: error: invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'; check that every \"{\" and \"[\" before this point is closed",
        ],
    },
    Case {
        file: "unknown-choice.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/unknown-choice.yaml:10:21: error: services.shop.load_balancing: invalid value \"least-outstandng\"; did you mean \"least-outstanding\"? Allowed values: \"round-robin\", \"random\" or \"least-outstanding\"",
        ],
    },
    Case {
        file: "unknown-distribution.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/unknown-distribution.yaml:11:25: error: services.shop.operations.checkout.service_time.exponental: unknown distribution \"exponental\"; did you mean \"exponential\"? Allowed: \"constant\", \"exponential\", \"uniform\", \"normal\", \"lognormal\", \"erlang\", \"pareto\", \"weibull\" or \"empirical\"",
        ],
    },
    Case {
        file: "unknown-key.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/unknown-key.yaml:9:5: error: services.shop.workrs: unknown key \"workrs\"; did you mean \"workers\"? Allowed keys here: replicas, workers, queue_capacity, load_balancing, rate_limit, load_shedding, autoscaling, operations",
        ],
    },
    Case {
        file: "warmup-too-long.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/warmup-too-long.yaml:5:11: error: run.warmup: invalid warmup 45s: must be shorter than the duration 30s",
        ],
    },
    Case {
        file: "wrong-version.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/wrong-version.yaml:1:10: error: version: unsupported version 2: this build reads version 1",
        ],
    },
    Case {
        file: "zero-rate.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/zero-rate.yaml:6:26: error: clients.shoppers.arrivals.poisson: invalid rate \"0/s\": must be greater than zero",
        ],
    },
    Case {
        file: "zero-workers.yaml",
        loads: false,
        diagnostics: &[
            "tests/invalid/zero-workers.yaml:10:14: error: services.shop.workers: invalid value 0: expected a whole number from 1 to 100000",
        ],
    },
];

fn invalid_path(file: &str) -> PathBuf {
    Path::new("tests/invalid").join(file)
}

fn messages(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

/// Splits a load into whether it succeeded and its diagnostics.
fn outcome(result: Result<scenario::Loaded, Vec<Diagnostic>>) -> (bool, Vec<String>) {
    match result {
        Ok(loaded) => (true, messages(&loaded.warnings)),
        Err(diagnostics) => (false, messages(&diagnostics)),
    }
}

/// The errors of text that must not load, as printed for a file named `shop.yaml`.
fn errors_of(text: &str) -> Vec<String> {
    match scenario::load_str(text, Some(PathBuf::from("shop.yaml"))) {
        Ok(loaded) => panic!(
            "expected errors, but the text loaded: {:?}",
            loaded.scenario
        ),
        Err(diagnostics) => messages(&diagnostics),
    }
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// A small valid scenario, without its first two lines, to build odd inputs from.
const SHOP_BODY: &str = "clients:
  shoppers:
    target: shop.checkout
    arrivals: { poisson: 100/s }
services:
  shop:
    workers: 4
    operations:
      checkout:
        service_time: { exponential: { mean: 5ms } }
";

/// The small valid scenario with the given first lines in place of its version and name.
fn shop_with_header(header: &str) -> String {
    format!("{header}\n{SHOP_BODY}")
}

fn shop() -> String {
    shop_with_header("version: 1\nname: Shop")
}

/// Strips the file, position and severity from the start of each message.
fn without_location(errors: &[String]) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            e.split_once(" error: ")
                .map_or(e.as_str(), |(_, rest)| rest)
                .to_owned()
        })
        .collect()
}

#[test]
fn invalid_files_give_exact_diagnostics() {
    let mut report = String::new();
    for case in CASES {
        let (loads, actual) = outcome(scenario::load_file(&invalid_path(case.file)));
        if loads != case.loads || actual != case.diagnostics {
            let _ = writeln!(
                report,
                "{}: expected {} with\n    {}\n  got {} with\n    {}",
                case.file,
                if case.loads { "a load" } else { "a rejection" },
                case.diagnostics.join("\n    "),
                if loads { "a load" } else { "a rejection" },
                actual.join("\n    "),
            );
        }
    }
    assert!(report.is_empty(), "diagnostics differ:\n{report}");
}

#[test]
fn every_invalid_file_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir("tests/invalid")
        .expect("tests/invalid is readable")
        .map(|entry| {
            entry
                .expect("directory entry is readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let mut cases: Vec<String> = CASES.iter().map(|case| case.file.to_owned()).collect();
    cases.sort();
    assert_eq!(
        files, cases,
        "each file under tests/invalid needs a case in CASES"
    );
}

#[test]
fn several_errors_reported_in_one_run() {
    let diagnostics =
        scenario::load_file(&invalid_path("several-errors.yaml")).expect_err("the file has errors");
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    assert!(
        errors >= 10,
        "expected every mistake reported, got {errors}: {:#?}",
        messages(&diagnostics)
    );
    let lines: Vec<u64> = diagnostics
        .iter()
        .map(|d| d.position.expect("every error has a position").line)
        .collect();
    assert!(
        lines.is_sorted(),
        "diagnostics are in file order: {lines:?}"
    );
}

#[test]
fn queue_without_consumer_only_warns() {
    let loaded = scenario::load_file(&invalid_path("queue-without-consumer.yaml"))
        .expect("a warning does not stop the load");
    assert_eq!(loaded.warnings.len(), 1);
    assert!(!loaded.warnings[0].is_error());
}

#[test]
fn alias_bomb_rejected_quickly() {
    let started = Instant::now();
    let diagnostics = scenario::load_file(&invalid_path("alias-bomb.yaml"))
        .expect_err("the expansion is over budget");
    let elapsed = started.elapsed();
    // Expanded, the file would have 9^9 (about 387 million) scalars.
    assert!(
        elapsed < Duration::from_secs(5),
        "rejecting the alias bomb took {elapsed:?}"
    );
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0].message.contains("aliases"),
        "{}",
        diagnostics[0]
    );
}

#[test]
fn large_file_without_aliases_names_limit() {
    // Each service is eight nodes, so 40000 services are over the 250000 nodes allowed,
    // with no alias in the file.
    let mut text = String::from("version: 1\nservices:\n");
    for i in 0..40_000 {
        writeln!(
            text,
            "  s{i}: {{ operations: {{ o: {{ service_time: 1ms }} }} }}"
        )
        .expect("write to a string");
    }
    assert_eq!(
        errors_of(&text),
        [
            "shop.yaml:31252:25: error: the file has more than the 250000 nodes (scalars, lists and mappings) allowed for a scenario; reduce the number of services, operations, steps or list entries"
        ]
    );
}

#[test]
fn file_over_size_limit_rejected() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("large.yaml");
    let mut text = shop();
    text.push_str(&"#".repeat(MAX_FILE_BYTES + 1 - text.len()));
    std::fs::write(&path, &text).expect("write the large file");
    let diagnostics = scenario::load_file(&path).expect_err("the file is over the limit");
    assert_eq!(
        messages(&diagnostics),
        [format!(
            "{}: error: the file is 4194305 bytes, larger than the limit of 4194304 bytes (4 MiB) for a scenario",
            path.display()
        )]
    );
}

#[test]
fn file_at_size_limit_accepted() {
    let mut text = shop();
    text.push('#');
    text.push_str(&"x".repeat(MAX_FILE_BYTES - text.len()));
    assert_eq!(text.len(), MAX_FILE_BYTES);
    let loaded = scenario::load_str(&text, None).expect("a file of exactly the limit loads");
    assert!(loaded.warnings.is_empty());
}

#[test]
fn ten_megabyte_line_rejected() {
    let text = format!("version: 1\nname: {}\n", "x".repeat(10 * 1024 * 1024));
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .starts_with("shop.yaml: error: the file is 10485778 bytes, larger than the limit"),
        "{}",
        errors[0]
    );
}

#[test]
fn long_single_line_value_reads() {
    let name = "x".repeat(3 * 1024 * 1024);
    let text = format!("{}description: {name}\n", shop());
    let loaded = scenario::load_str(&text, None).expect("a long value is fine");
    assert_eq!(
        loaded.scenario.description.map(|d| d.len()),
        Some(name.len())
    );
}

#[test]
fn windows_line_endings_give_same_diagnostics() {
    for case in CASES {
        let path = invalid_path(case.file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let windows = text.replace('\n', "\r\n");
        let (loads, actual) = outcome(scenario::load_str(&windows, Some(path)));
        assert_eq!(loads, case.loads, "{} with CRLF", case.file);
        assert_eq!(actual, case.diagnostics, "{} with CRLF", case.file);
    }
}

#[test]
fn byte_order_mark_gives_same_diagnostics() {
    for case in CASES {
        let path = invalid_path(case.file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let marked = format!("\u{feff}{text}");
        let (loads, actual) = outcome(scenario::load_str(&marked, Some(path)));
        assert_eq!(loads, case.loads, "{} with a byte order mark", case.file);
        assert_eq!(
            actual, case.diagnostics,
            "{} with a byte order mark",
            case.file
        );
    }
}

#[test]
fn deep_nesting_rejected() {
    let depth = 100_000;
    let flow = format!(
        "version: 1\nname: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let flow_errors = errors_of(&flow);
    assert_eq!(flow_errors.len(), 1);
    assert!(
        flow_errors[0].contains("nested too deeply"),
        "{}",
        flow_errors[0]
    );

    let mappings = format!(
        "version: 1\nname: {}1{}\n",
        "{a: ".repeat(1000),
        "}".repeat(1000)
    );
    let mapping_errors = errors_of(&mappings);
    assert_eq!(mapping_errors.len(), 1);
    assert!(
        mapping_errors[0].contains("nested"),
        "{}",
        mapping_errors[0]
    );

    let mut block = String::from("version: 1\nname:\n");
    for level in 0..200 {
        let _ = writeln!(block, "{}-", " ".repeat(level * 2));
    }
    let block_errors = errors_of(&block);
    assert_eq!(block_errors.len(), 1);
    assert!(
        block_errors[0].contains("nested more than 64 levels"),
        "{}",
        block_errors[0]
    );
}

#[test]
fn integers_beyond_u64_rejected() {
    let cases = [
        (
            "run: { seed: 18446744073709551616 }",
            "run.seed: invalid value 18446744073709551616: too large; expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "run: { seed: 340282366920938463463374607431768211456 }",
            "run.seed: invalid value 340282366920938463463374607431768211456: too large; expected a whole number from 0 to 18446744073709551615",
        ),
        // Past 40 characters a number is shown in its shortest form.
        (
            "run: { seed: 1000000000000000000000000000000000000000000000 }",
            "run.seed: invalid value 1e45: too large; expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "run: { seed: -1 }",
            "run.seed: invalid value -1: expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "run: { seed: 1e400 }",
            "run.seed: invalid value 1e400: too large; expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "run: { seed: .inf }",
            "run.seed: invalid value .inf: too large; expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "run: { seed: -18446744073709551617 }",
            "run.seed: invalid value -18446744073709551617: expected a whole number from 0 to 18446744073709551615",
        ),
    ];
    for (line, expected) in cases {
        let text = format!("{}{line}\n", shop());
        let errors = errors_of(&text);
        assert_eq!(without_location(&errors), [expected], "{line}");
    }
}

#[test]
fn whole_number_written_as_float_rejected() {
    let text = shop().replace("workers: 4", "workers: 4.0");
    assert_eq!(
        errors_of(&text),
        [
            "shop.yaml:9:14: error: services.shop.workers: invalid value 4.0: expected a whole number from 1 to 100000, written without a decimal point or exponent"
        ]
    );
}

#[test]
fn numbers_in_messages_are_quoted_as_written() {
    let cases = [
        (
            "workers: 4",
            "workers: 4294967296",
            "services.shop.workers: invalid value 4294967296: too large; expected a whole number from 1 to 100000",
        ),
        (
            "workers: 4",
            "workers: 1e300 # a comment after the number",
            "services.shop.workers: invalid value 1e300: too large; expected a whole number from 1 to 100000",
        ),
        (
            "workers: 4",
            "workers: !!float 1e300",
            "services.shop.workers: invalid value 1e300: too large; expected a whole number from 1 to 100000",
        ),
        (
            "workers: 4",
            "workers: 2.50",
            "services.shop.workers: invalid value 2.50: expected a whole number from 1 to 100000",
        ),
        (
            "workers: 4",
            "workers: 1e-300",
            "services.shop.workers: invalid value 1e-300: expected a whole number from 1 to 100000",
        ),
        (
            "mean: 5ms",
            "mean: 1e300",
            "services.shop.operations.checkout.service_time.exponential.mean: invalid duration 1e300: a duration needs a unit, such as 1e300ms or 1e300s; expected a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)",
        ),
        (
            "arrivals: { poisson: 100/s }",
            "arrivals: { poisson: 1e300 }",
            "clients.shoppers.arrivals.poisson: invalid rate 1e300: a rate needs a unit, such as 1e300/s; expected a number per unit of time: /s, /min or /h (e.g. 800/s, 50/min)",
        ),
        (
            "        service_time:",
            "        error_probability: 100000000000000000000000000000000000000000000000000000000000\n        service_time:",
            "services.shop.operations.checkout.error_probability: invalid probability 1e59: must be from 0 to 1",
        ),
        (
            "        service_time:",
            "        error_probability: -0.000000000000000000001\n        service_time:",
            "services.shop.operations.checkout.error_probability: invalid probability -0.000000000000000000001: must be from 0 to 1",
        ),
        (
            "name: Shop",
            "name: Shop\n1e300: x",
            "1e300: unknown key \"1e300\". Allowed keys here: version, name, description, defaults, run, clients, services, queues, links, faults, layout",
        ),
    ];
    for (from, to, expected) in cases {
        let text = shop().replace(from, to);
        assert_ne!(text, shop(), "{from} is in the scenario");
        let errors = errors_of(&text);
        assert_eq!(without_location(&errors), [expected], "{to}");
    }
}

#[test]
fn numbers_under_aliases_are_quoted_as_written_at_the_anchor() {
    let text = shop()
        .replace(
            "name: Shop",
            "name: Shop\nrun: { seed: &many 18446744073709551616, window: 1s }",
        )
        .replace("workers: 4", "workers: *many")
        .replace(
            "        service_time:",
            "        error_probability: *many\n        service_time:",
        );
    assert_eq!(
        without_location(&errors_of(&text)),
        [
            "run.seed: invalid value 18446744073709551616: too large; expected a whole number from 0 to 18446744073709551615",
            "services.shop.workers: invalid value 18446744073709551616: too large; expected a whole number from 1 to 100000",
            "services.shop.operations.checkout.error_probability: invalid probability 18446744073709551616: must be from 0 to 1",
        ]
    );
}

#[test]
fn durations_are_read_exactly() {
    let text = shop()
        .replace(
            "name: Shop",
            "name: Shop\nrun: { duration: 4611686018427387904ns, window: 2h, warmup: 4611686018.427387903s }",
        )
        .replace(
            "arrivals: { poisson: 100/s }",
            "arrivals: { poisson: 100/s }\n    timeout: 1e3ms\n    deadline: 0.1ms",
        )
        .replace(
            "{ exponential: { mean: 5ms } }",
            "{ uniform: { min: 250us, max: 1.5s } }",
        );
    let loaded = scenario::load_str(&text, None).expect("exact durations load");
    let nanos = |d: Option<scenario::Duration>| d.map(scenario::Duration::as_nanos);
    let run = &loaded.scenario.run;
    assert_eq!(nanos(run.duration), Some(1 << 62));
    assert_eq!(nanos(run.warmup), Some((1 << 62) - 1));
    let client = &loaded.scenario.clients["shoppers"];
    assert_eq!(nanos(client.timeout), Some(1_000_000_000));
    assert_eq!(nanos(client.deadline), Some(100_000));
    let service_time = &loaded.scenario.services["shop"].operations["checkout"].service_time;
    assert_eq!(
        *service_time,
        scenario::Distribution::Uniform {
            min: scenario::Duration::from_nanos(250_000),
            max: scenario::Duration::from_nanos(1_500_000_000),
        }
    );
}

#[test]
fn rates_at_their_limits_load() {
    for rate in ["1000000000/s", "6e10/min", "2.2e-10/s", "0.000001/h"] {
        let text = shop().replace("poisson: 100/s", &format!("poisson: {rate}"));
        assert!(scenario::load_str(&text, None).is_ok(), "{rate}");
    }
}

#[test]
fn counts_beyond_engine_limits_rejected() {
    let cases = [
        (
            "workers: 4",
            "replicas: 20000",
            "services.shop.replicas: invalid value 20000: too large; expected a whole number from 1 to 10000",
        ),
        (
            "workers: 4",
            "workers: 4294967295",
            "services.shop.workers: invalid value 4294967295: too large; expected a whole number from 1 to 100000",
        ),
        (
            "arrivals: { poisson: 100/s }",
            "users: 4294967295",
            "clients.shoppers.users: invalid value 4294967295: too large; expected a whole number from 1 to 1000000",
        ),
        (
            "arrivals: { poisson: 100/s }",
            "arrivals: { poisson: 100/s }\n    retry: { attempts: 1000 }",
            "clients.shoppers.retry.attempts: invalid value 1000: too large; expected a whole number from 1 to 100",
        ),
        (
            "arrivals: { poisson: 100/s }",
            "arrivals: { constant: 1e300/s }",
            "clients.shoppers.arrivals.constant: invalid rate \"1e300/s\": must be at most 1000000000/s, one event per nanosecond, the resolution of simulated time",
        ),
    ];
    for (from, to, expected) in cases {
        let text = shop().replace(from, to);
        let errors = errors_of(&text);
        assert_eq!(without_location(&errors), [expected], "{to}");
    }
}

#[test]
fn non_string_keys_rejected() {
    for key in ["[1, 2]", "{ a: 1 }", "? [x]\n", "1", "true", "null", "2.5"] {
        let text = format!("{}{key}: x\n", shop());
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 1, "key {key}: {errors:?}");
        assert!(
            errors[0].contains("unknown key"),
            "key {key}: {}",
            errors[0]
        );
    }
}

#[test]
fn tags_read_without_panic() {
    let loads = [
        "name: !!str Shop",
        "name: !!binary U2hvcA==",
        "name: !custom Shop",
        "description: !!str 12",
    ];
    for line in loads {
        let text = shop_with_header(&format!("version: 1\n{line}"));
        assert!(scenario::load_str(&text, None).is_ok(), "{line}");
    }
    let rejected = [
        (
            "version: !!str 1",
            "version: invalid version \"1\": expected the number 1, as in \"version: 1\"",
        ),
        (
            "version: 1\nname: !!binary \"not base64!\"",
            "invalid YAML: invalid !!binary base64",
        ),
        (
            "version: 1\nname: !!binary /w==",
            "invalid YAML: !!binary scalar is not valid UTF-8 so cannot be stored into string",
        ),
        ("version: 1\nname: !!int Shop", "invalid YAML"),
        ("version: 1\nname: !!map [a, b]", "invalid YAML"),
    ];
    for (header, expected) in rejected {
        let errors = errors_of(&shop_with_header(header));
        assert_eq!(errors.len(), 1, "{header}: {errors:?}");
        assert!(errors[0].contains(expected), "{header}: {}", errors[0]);
    }
}

#[test]
fn anchors_and_merge_keys_expand() {
    let text = "version: 1
clients:
  shoppers: { target: shop.checkout, arrivals: { poisson: 100/s } }
  partners: { target: shop.checkout, arrivals: &rate { poisson: 10/s } }
  bots: { target: shop.checkout, arrivals: *rate }
services:
  shop: &service
    workers: 4
    operations:
      checkout: { service_time: 5ms, steps: [ { call: stock.check } ] }
  stock:
    <<: *service
    operations:
      check: { service_time: 1ms }
";
    let loaded = scenario::load_str(text, None).expect("aliases and merge keys expand");
    assert_eq!(loaded.scenario.services["stock"].workers, 4);
    assert_eq!(loaded.scenario.clients.len(), 3);
}

#[test]
fn errors_under_alias_point_at_each_use() {
    let text = "version: 1
clients:
  shoppers: { target: a.x, arrivals: &rate { poisson: 0/s } }
  bots: { target: a.x, arrivals: *rate }
services:
  a:
    operations:
      x: { service_time: 1ms }
";
    assert_eq!(
        errors_of(text),
        [
            "shop.yaml:3:55: error: clients.shoppers.arrivals.poisson: invalid rate \"0/s\": must be greater than zero",
            "shop.yaml:4:34: error: clients.bots.arrivals.poisson: invalid rate \"0/s\": must be greater than zero",
        ]
    );
}

#[test]
fn anchors_on_keys_read() {
    let text = shop_with_header("version: 1\n&key name: Shop\ndescription: *key");
    let loaded = scenario::load_str(&text, None).expect("an alias of a key is a string value");
    assert_eq!(loaded.scenario.description.as_deref(), Some("name"));
    let alias_key = shop_with_header("version: 1\n&key name: Shop\n*key : Other");
    assert_eq!(
        without_location(&errors_of(&alias_key)),
        [
            "name: duplicate key \"name\": it is already set at line 2, column 6; keys of a mapping must be unique, so remove or rename one of them"
        ]
    );
}

#[test]
fn yaml_1_1_booleans_stay_names() {
    let text = "version: 1
clients:
  on: { target: no.y, arrivals: { poisson: 1/s } }
services:
  no:
    operations:
      y: { service_time: 1ms }
";
    let loaded = scenario::load_str(text, None).expect("yes, no, on, off, y and n are names");
    assert!(loaded.scenario.clients.contains_key("on"));
    assert!(loaded.scenario.services["no"].operations.contains_key("y"));
}

#[test]
fn duplicate_keys_reported_at_every_level() {
    let text = "version: 1
clients:
  shoppers: { target: shop.checkout, arrivals: { poisson: 1/s, poisson: 2/s } }
services:
  shop:
    operations:
      checkout: { service_time: 1ms }
      checkout: { service_time: 2ms }
    workers: 2
    workers: 3
";
    assert_eq!(
        errors_of(text),
        [
            "shop.yaml:3:64: error: clients.shoppers.arrivals.poisson: duplicate key \"poisson\": it is already set at line 3, column 50; keys of a mapping must be unique, so remove or rename one of them",
            "shop.yaml:8:7: error: services.shop.operations.checkout: duplicate key \"checkout\": it is already set at line 7, column 7; keys of a mapping must be unique, so remove or rename one of them",
            "shop.yaml:10:5: error: services.shop.workers: duplicate key \"workers\": it is already set at line 9, column 5; keys of a mapping must be unique, so remove or rename one of them",
        ]
    );
}

#[test]
fn control_characters_rejected() {
    for text in [
        "version: 1\nname: \"a\0b\"\n",
        "version: 1\nname: a\u{1}b\n",
    ] {
        let errors = errors_of(text);
        assert_eq!(errors.len(), 1, "{text:?}");
        assert!(
            errors[0].contains("invalid YAML: unexpected character"),
            "{}",
            errors[0]
        );
    }
}

#[test]
fn files_without_content_are_empty() {
    for text in ["", "\n\n", "---\n", "# only a comment\n", "~\n", "null\n"] {
        let errors = without_location(&errors_of(text));
        assert_eq!(errors.len(), 1, "{text:?}: {errors:?}");
        assert!(
            errors[0].ends_with("the file is empty: a scenario needs at least \"version: 1\""),
            "{text:?}: {}",
            errors[0]
        );
    }
}

#[test]
fn scalar_root_rejected() {
    assert_eq!(
        errors_of("checkout\n"),
        [
            "shop.yaml:1:1: error: a scenario file is a mapping of keys to values that starts with \"version: 1\"; found \"checkout\""
        ]
    );
}

#[test]
fn unreadable_entry_reported_once() {
    // Each mistake is reported where it is, and not again by the checks that use it.
    let text = "version: 1
clients:
  shoppers: { target: shop.checkout, arrivals: { poisson: 1/s } }
services:
  shop: 5
queues:
  events: { consumer: 7 }
";
    assert_eq!(
        errors_of(text),
        [
            "shop.yaml:5:9: error: services.shop: expected a mapping of keys to values, found 5",
            "shop.yaml:7:23: error: queues.events.consumer: expected a mapping of keys to values, found 7",
        ]
    );
}

#[test]
fn list_indices_follow_the_file() {
    // The second step cannot be read, so the document keeps only the first, and no
    // message names the third under the index of the second. Its call to the missing
    // service "stock" is reported once the second step is fixed.
    let text = "version: 1
clients:
  shoppers: { target: shop.checkout, arrivals: { poisson: 1/s } }
services:
  shop:
    operations:
      checkout:
        service_time: 1ms
        steps:
          - call: shop.pay
          - 5
          - call: stock.check
      pay: { service_time: 1ms }
";
    assert_eq!(
        errors_of(text),
        [
            "shop.yaml:11:13: error: services.shop.operations.checkout.steps[1]: expected a mapping of keys to values, found 5"
        ]
    );
    let fixed = text.replace("- 5", "- work: 1ms");
    assert_eq!(
        errors_of(&fixed),
        [
            "shop.yaml:12:19: error: services.shop.operations.checkout.steps[2].call: service \"stock\" not found. Services: \"shop\""
        ]
    );
}

#[test]
fn empirical_with_bad_value_reported_once() {
    let text = shop().replace(
        "{ exponential: { mean: 5ms } }",
        "{ empirical: { values: [1ms, fast, 3ms], weights: [1, 2, 3] } }",
    );
    assert_eq!(
        errors_of(&text),
        [
            "shop.yaml:12:52: error: services.shop.operations.checkout.service_time.empirical.values[1]: invalid duration \"fast\": expected a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)"
        ]
    );
}

#[test]
fn many_unknown_references_validate_quickly() {
    let count = 3000;
    let mut text = String::from("version: 1\nclients:\n");
    for i in 0..count {
        let _ = writeln!(
            text,
            "  c{i}: {{ target: t{i}.x, arrivals: {{ poisson: 1/s }} }}"
        );
    }
    text.push_str("services:\n");
    for i in 0..count {
        let _ = writeln!(
            text,
            "  s{i}: {{ operations: {{ x: {{ service_time: 1ms }} }} }}"
        );
    }
    let started = Instant::now();
    let diagnostics = errors_of(&text);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "validation took {elapsed:?}"
    );
    // Each service is also never called, which is a warning.
    let errors: Vec<&String> = diagnostics
        .iter()
        .filter(|d| d.contains(": error: "))
        .collect();
    assert_eq!(errors.len(), count);
    assert_eq!(diagnostics.len(), 2 * count);
    assert_eq!(
        *errors[0],
        "shop.yaml:3:17: error: clients.c0.target: service \"t0\" not found; did you mean \"s0\"? Services: \"s0\", \"s1\", \"s2\", \"s3\", \"s4\", \"s5\", \"s6\", \"s7\", \"s8\", \"s9\" and 2990 more"
    );
    // Past the budget of comparisons, the names are listed without a suggestion.
    assert!(
        errors[count - 1].ends_with("service \"t2999\" not found. Services: \"s0\", \"s1\", \"s2\", \"s3\", \"s4\", \"s5\", \"s6\", \"s7\", \"s8\", \"s9\" and 2990 more"),
        "{}",
        errors[count - 1]
    );
}

#[test]
fn long_names_get_no_suggestion() {
    let long = "x".repeat(100_000);
    let text = shop()
        .replace(
            "target: shop.checkout",
            &format!("target: {long}a.checkout"),
        )
        .replace("  shop:\n", &format!("  {long}b:\n"));
    let started = Instant::now();
    let errors = errors_of(&text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "validation took {:?}",
        started.elapsed()
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(!errors[0].contains("did you mean"), "{}", &errors[0][..200]);
}

#[test]
fn bundled_scenarios_have_no_diagnostics() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir("scenarios")
        .expect("scenarios is readable")
        .map(|entry| entry.expect("directory entry is readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 4,
        "expected the bundled scenarios, found {paths:?}"
    );
    for path in paths {
        match scenario::load_file(&path) {
            Ok(loaded) => assert!(
                loaded.warnings.is_empty(),
                "{}: {:#?}",
                path.display(),
                messages(&loaded.warnings)
            ),
            Err(diagnostics) => panic!("{}: {:#?}", path.display(), messages(&diagnostics)),
        }
    }
}

/// Pieces of YAML and of scenarios, to be put together at random.
const FRAGMENTS: &[&str] = &[
    "version: 1\n",
    "services:\n",
    "clients:\n",
    "queues:\n",
    "faults:\n",
    "links:\n",
    "layout:\n",
    "  shop:\n",
    "    operations:\n",
    "      checkout:\n",
    "service_time: ",
    "target: shop.checkout\n",
    "arrivals: { poisson: 100/s }\n",
    "  ",
    "    ",
    "\t",
    "- ",
    ": ",
    ", ",
    "{",
    "}",
    "[",
    "]",
    "\n",
    "\r\n",
    "#",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!str ",
    "!!binary ",
    "!x ",
    "? ",
    "---\n",
    "...\n",
    "|\n",
    ">-\n",
    "\"",
    "'",
    "5ms",
    "1.5s",
    "-1s",
    "0",
    "1e400",
    ".nan",
    "-.inf",
    "18446744073709551616",
    "0x1F",
    "~",
    "null",
    "true",
    "no",
    "100/s",
    "0/s",
    "{ exponential: { mean: 2ms } }",
    "{ lognormal: { mean: 10ms, p99: 5ms } }",
    "call: shop.checkout",
    "publish: q",
    "µ",
    "\u{feff}",
    "é",
    "\u{0}",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
];

fn fragment_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..80).prop_map(|pieces| pieces.concat())
}

/// Reads a bundled scenario once, for the mutation test.
fn checkout_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| read_text(Path::new("scenarios/checkout-async.yaml")))
}

/// Replaces the characters between the character positions `start` and
/// `start + length`, each taken modulo the number of positions in `text`, with `insert`.
fn edit(text: &str, start: usize, length: usize, insert: &str) -> String {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let from = boundaries[start % boundaries.len()];
    let to = boundaries[(start + length) % boundaries.len()].max(from);
    format!("{}{insert}{}", &text[..from], &text[to..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn load_never_panics_on_yaml_like_text(text in fragment_text()) {
        let _ = scenario::load_str(&text, None);
    }

    #[test]
    fn load_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = scenario::load_bytes(&bytes, None);
    }

    #[test]
    fn edited_scenario_compiles_or_is_rejected(
        edits in prop::collection::vec((0usize..10_000, 0usize..40, prop::sample::select(FRAGMENTS)), 1..6)
    ) {
        let mut text = checkout_text().to_owned();
        for (start, length, insert) in edits {
            text = edit(&text, start, length, insert);
        }
        // Whatever passes validation must compile: validation is meant to catch every
        // problem that would stop the engine from building its model.
        if let Ok(loaded) = scenario::load_str(&text, None) {
            let compiled = Model::compile(&loaded.scenario);
            prop_assert!(compiled.is_ok(), "{:?} for\n{text}", compiled.err());
        }
    }
}
