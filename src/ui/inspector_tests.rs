//! Headless tests of the inspector's settings of calls, services, queues and faults:
//! each section is found by its label, changed by UI actions, undone as one step per
//! action, and saved without default values.

use std::path::PathBuf;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::app::TopolabApp;
use super::tests::{harness, loaded, new_app, step_until};
use crate::metrics::recorder::ErrorKind;
use crate::scenario::write::to_yaml;
use crate::scenario::{
    self, AutoscalingMetric, AutoscalingTarget, Duration, FaultKind, OutageMode,
    PartitionDirection, Preset, Scenario, SlidingWindowSize, SlidingWindowType, Step,
};

/// A client calling a gateway that calls payments and publishes to a queue.
const TOPOLOGY: &str = "version: 1
name: Inspector
run: { duration: 5s }
clients:
  users:
    target: gateway.checkout
    arrivals: { poisson: 10/s }
services:
  gateway:
    replicas: 2
    operations:
      checkout:
        service_time: 1ms
        steps:
          - call: payments.pay
            timeout: 1s
          - publish: events
  payments:
    operations:
      pay: { service_time: 1ms }
  mailer:
    operations:
      send: { service_time: 1ms }
queues:
  events:
    capacity: 100
    consumer: { operation: mailer.send }
";

/// Undo presses a test makes at most before it gives up.
const MAX_UNDOS: usize = 100;

struct Session {
    harness: Harness<'static, TopolabApp>,
    path: PathBuf,
    _folder: tempfile::TempDir,
}

/// Opens `TOPOLOGY` from a file of its own, so that Save writes back to it.
fn open() -> Session {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("inspector.yaml");
    std::fs::write(&path, TOPOLOGY).expect("the file is written");
    let mut harness = harness(new_app(Some(path.clone())));
    step_until(&mut harness, "the engine has loaded", loaded);
    Session {
        harness,
        path,
        _folder: folder,
    }
}

impl Session {
    fn scenario(&self) -> Scenario {
        self.harness.state().editing().scenario().clone()
    }

    fn select(&mut self, node: &str) {
        self.harness.state_mut().select(Some(node.to_owned()));
        self.harness.run_steps(3);
    }

    /// Clicks the checkbox called `label`.
    fn toggle(&mut self, label: &str) {
        self.harness
            .get_by_role_and_label(Role::CheckBox, label)
            .click_accesskit();
        self.harness.run_steps(3);
    }

    /// Opens the combo box called `label` and picks `option`.
    fn choose(&mut self, label: &str, option: &str) {
        self.harness.get_by_label(label).click_accesskit();
        self.harness.run_steps(2);
        self.pick(option);
    }

    /// Picks `option` in the open popup of a combo box, and closes the popup: an
    /// accessibility click picks without a pointer click, which would close it.
    fn pick(&mut self, option: &str) {
        self.harness.get_by_label(option).click_accesskit();
        self.harness.run_steps(2);
        self.harness.key_press(Key::Escape);
        self.harness.run_steps(2);
    }

    /// Opens the unlabelled combo box that shows `current`, such as a distribution's
    /// kind, and picks `option`.
    fn choose_in(&mut self, current: &str, option: &str) {
        self.field_showing(Role::ComboBox, current)
            .click_accesskit();
        self.harness.run_steps(2);
        self.pick(option);
    }

    /// Opens the collapsed section called `header`.
    fn open_header(&mut self, header: &str) {
        self.harness.get_by_label(header).click_accesskit();
        self.harness.run_steps(3);
    }

    /// Sets the number field called `label`.
    fn set_number(&mut self, label: &str, value: f64) {
        self.harness.get_by_label(label).set_value_accesskit(value);
        self.harness.run_steps(3);
    }

    /// Sets the text of the field called `label`, as a screen reader does.
    fn set_text(&mut self, label: &str, text: &str) {
        self.harness
            .get_by_label(label)
            .set_text_value_accesskit(text);
        self.harness.run_steps(3);
    }

    /// Finds the field of `role` that shows `current`, for the field of an optional
    /// value, which its checkbox names.
    fn field_showing(&self, role: Role, current: &str) -> egui_kittest::Node<'_> {
        self.harness
            .get_all_by_role(role)
            .find(|node| node.value().as_deref() == Some(current))
            .unwrap_or_else(|| panic!("a {role:?} showing {current}"))
    }

    /// Sets the text of the field that shows `current`.
    fn set_text_in(&mut self, current: &str, text: &str) {
        self.field_showing(Role::TextInput, current)
            .set_text_value_accesskit(text);
        self.harness.run_steps(3);
    }

    /// Sets the number field that shows `current`.
    fn set_number_in(&mut self, current: &str, value: f64) {
        self.field_showing(Role::SpinButton, current)
            .set_value_accesskit(value);
        self.harness.run_steps(3);
    }

    /// Types `text` into the field called `label` key by key, then presses Enter.
    fn type_into(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.run_steps(2);
        self.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
        self.harness.run_steps(1);
        for character in text.chars() {
            self.harness
                .get_by_label(label)
                .type_text(&character.to_string());
            self.harness.run_steps(1);
        }
        self.harness.key_press(Key::Enter);
        self.harness.run_steps(3);
    }

    /// Clicks the widget called `label` at `index` among those of that label, in the
    /// order they are drawn.
    fn click_nth(&mut self, label: &str, index: usize) {
        self.harness
            .get_all_by_label(label)
            .nth(index)
            .unwrap_or_else(|| panic!("no widget {index} called {label}"))
            .click_accesskit();
        self.harness.run_steps(3);
    }

    fn undo(&mut self) {
        self.harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        self.harness.run_steps(2);
    }

    /// Undoes every step and returns how many there were.
    fn undo_all(&mut self) -> usize {
        let mut presses = 0;
        while self.harness.state().editing().history().can_undo() {
            assert!(
                presses < MAX_UNDOS,
                "still undoing after {MAX_UNDOS} presses"
            );
            self.undo();
            presses += 1;
        }
        presses
    }

    fn error_count(&self) -> usize {
        self.harness.state().editing().error_count()
    }

    /// Returns the messages of the document at `path`.
    fn messages_at(&self, path: &str) -> Vec<String> {
        self.harness
            .state()
            .editing()
            .diagnostics()
            .iter()
            .filter(|d| d.path == path)
            .map(|d| d.message.clone())
            .collect()
    }

    /// Checks that the message at `path` is shown just under the field called `label`.
    fn assert_marked(&self, path: &str, label: &str) {
        let messages = self.messages_at(path);
        assert_eq!(messages.len(), 1, "one message at {path}: {messages:?}");
        let field = self.harness.get_by_label(label).rect();
        let message = self.harness.get_by_label(&messages[0]).rect();
        assert!(
            message.top() >= field.top() && message.top() - field.bottom() < 30.0,
            "the message at {path} ({message:?}) is under its field {label} ({field:?})"
        );
    }
}

/// Returns whether `scenario` is written and read back unchanged.
fn round_trips(scenario: &Scenario) -> bool {
    let text = to_yaml(scenario).expect("the document is written");
    scenario::load_str(&text, None).is_ok_and(|loaded| loaded.scenario == *scenario)
}

#[test]
fn client_call_site_sections_are_edited_and_undone() {
    let mut session = open();
    let original = session.scenario();
    session.select("users");
    let client = |session: &Session| session.scenario().clients["users"].clone();
    let mut edits = 0;

    session.toggle("Deadline");
    session.set_text_in("2s", "3s");
    assert_eq!(client(&session).deadline, Some(Duration::from_secs(3)));
    edits += 2;

    session.toggle("Retry");
    session.choose("Retry on", "the kinds checked");
    assert_eq!(
        client(&session).retry.and_then(|r| r.retry_on),
        Some(ErrorKind::ALL.to_vec())
    );
    session.toggle("circuit-open");
    let retry_on = client(&session)
        .retry
        .and_then(|r| r.retry_on)
        .expect("a list");
    assert_eq!(retry_on.len(), ErrorKind::ALL.len() - 1);
    assert!(!retry_on.contains(&ErrorKind::CircuitOpen));
    edits += 3;

    session.toggle("Retry budget");
    session.set_number("Budget", 50.0);
    session.set_number("Min retry concurrency", 5.0);
    let budget = client(&session).retry_budget.expect("a budget");
    assert_eq!(budget.budget_percent, 50.0);
    assert_eq!(budget.min_retry_concurrency, 5);
    edits += 3;

    session.toggle("Circuit breaker");
    assert_eq!(
        client(&session).circuit_breaker,
        Some(scenario::CircuitBreaker::default()),
        "a new breaker takes every default"
    );
    session.set_number("Failure threshold", 30.0);
    session.choose("Window", "time-based");
    session.set_number("Window size", 10.0);
    session.set_text("Open for", "5s");
    let breaker = client(&session).circuit_breaker.expect("a breaker");
    assert_eq!(breaker.failure_rate_threshold, Some(30.0));
    assert_eq!(breaker.sliding_window_type, SlidingWindowType::TimeBased);
    assert_eq!(
        breaker.sliding_window_size,
        Some(SlidingWindowSize::Time(Duration::from_secs(10)))
    );
    assert_eq!(
        breaker.wait_duration_in_open_state,
        Some(Duration::from_secs(5))
    );
    // A value set back to its default is left out again.
    session.set_number("Failure threshold", 50.0);
    assert_eq!(
        client(&session)
            .circuit_breaker
            .expect("a breaker")
            .failure_rate_threshold,
        None
    );
    edits += 6;

    session.toggle("Bulkhead");
    session.set_number("Max concurrent calls", 4.0);
    let before_typing = session.scenario();
    // "20m" parses on the way to "20ms", and both edits are one undo step.
    session.type_into("Max wait", "20ms");
    let bulkhead = client(&session).bulkhead.expect("a bulkhead");
    assert_eq!(bulkhead.max_concurrent_calls, 4);
    assert_eq!(bulkhead.max_wait_duration, Duration::from_millis(20));
    edits += 3;

    assert_eq!(session.error_count(), 0, "{:?}", session.messages_at(""));
    assert!(round_trips(&session.scenario()));
    let text = to_yaml(&session.scenario()).expect("written");
    assert!(
        !text.contains("minimum_number_of_calls") && !text.contains("failure_rate_threshold"),
        "no default is written:\n{text}"
    );

    session.undo();
    assert_eq!(session.scenario(), before_typing, "typing is one step");
    assert_eq!(session.undo_all(), edits - 1);
    assert_eq!(session.scenario(), original);
}

#[test]
fn service_protections_are_edited_and_undone() {
    let mut session = open();
    let original = session.scenario();
    session.select("gateway");
    let gateway = |session: &Session| session.scenario().services["gateway"].clone();

    session.toggle("Rate limit");
    session.type_into("Max tokens", "50");
    session.set_text("Fill interval", "50ms");
    let limit = gateway(&session).rate_limit.expect("a rate limit");
    assert_eq!(limit.max_tokens, 50);
    assert_eq!(limit.fill_interval, Duration::from_millis(50));

    session.toggle("Load shedding");
    session.toggle("Max queue time");
    session.set_text_in("200ms", "300ms");
    session.toggle("Max waiting");
    let shedding = gateway(&session).load_shedding.expect("load shedding");
    assert_eq!(shedding.max_waiting, None);
    assert_eq!(shedding.max_queue_time, Some(Duration::from_millis(300)));

    session.toggle("Autoscaling");
    let autoscaling = gateway(&session).autoscaling.expect("autoscaling");
    assert!((autoscaling.min_replicas..=autoscaling.max_replicas).contains(&2));
    session.set_number("Max replicas", 6.0);
    session.set_text("Start-up delay", "30s");
    session.choose("Metric", "queue-depth");
    assert_eq!(
        gateway(&session).autoscaling.map(|a| a.target),
        Some(AutoscalingTarget::Value(10.0)),
        "a queue-depth target is a number"
    );
    session.set_number("Target", 5.0);
    let autoscaling = gateway(&session).autoscaling.expect("autoscaling");
    assert_eq!(autoscaling.max_replicas, 6);
    assert_eq!(autoscaling.metric, AutoscalingMetric::QueueDepth);
    assert_eq!(autoscaling.target, AutoscalingTarget::Value(5.0));
    assert_eq!(autoscaling.startup_delay, Duration::from_secs(30));

    assert_eq!(session.error_count(), 0);
    assert!(round_trips(&session.scenario()));
    assert_eq!(session.undo_all(), 12);
    assert_eq!(session.scenario(), original);
}

#[test]
fn call_step_breaker_and_queue_preset_save_and_load_back() {
    let mut session = open();
    let original = session.scenario();
    session.select("gateway");
    session.toggle("Circuit breaker");
    session.set_number("Minimum calls", 10.0);
    let Step::Call(call) = &session.scenario().services["gateway"].operations["checkout"].steps[0]
    else {
        panic!("the first step is a call");
    };
    let breaker = call.circuit_breaker.clone().expect("a breaker on the call");
    assert_eq!(breaker.minimum_number_of_calls, Some(10));

    session.select("events");
    session.open_header("Broker");
    session.choose("Preset", "rabbitmq");
    let queue = session.scenario().queues["events"].clone();
    assert_eq!(queue.preset, Some(Preset::Rabbitmq));
    assert_eq!(queue.prefetch, None, "the preset's values are not written");
    // Its values are shown as the preset's.
    session.harness.get_by_label("250 from the rabbitmq preset");
    session
        .harness
        .get_by_label("true from the rabbitmq preset");
    // Overriding one starts from the preset's value.
    session.toggle("Prefetch");
    assert_eq!(session.scenario().queues["events"].prefetch, Some(250));
    session.set_number_in("250", 20.0);
    session.harness.get_by_label("preset: 250");
    session.choose("When full", "reject and dead-letter (RabbitMQ)");
    assert_eq!(
        session.error_count(),
        1,
        "reject-publish-dlx needs a dead_letter"
    );
    session.assert_marked("queues.events.overflow", "When full");
    session.undo();
    assert_eq!(session.error_count(), 0);

    session
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::S);
    session.harness.run_steps(3);
    assert!(!session.harness.state().editing().is_modified(), "saved");
    let text = std::fs::read_to_string(&session.path).expect("the saved file");
    assert!(text.contains("preset: rabbitmq"), "{text}");
    assert!(
        !text.contains("requeue"),
        "the preset's requeue is not written:\n{text}"
    );
    let saved = scenario::load_file(&session.path)
        .expect("the saved file is valid")
        .scenario;
    assert_eq!(saved, session.scenario());
    let queue = &saved.queues["events"];
    assert_eq!(
        (queue.preset, queue.prefetch),
        (Some(Preset::Rabbitmq), Some(20))
    );

    session.undo_all();
    assert_eq!(session.scenario(), original);
}

#[test]
fn invalid_values_are_marked_at_their_fields() {
    let mut session = open();
    session.select("gateway");
    session.toggle("Circuit breaker");
    session.set_number("Slow-call threshold", 0.0);
    let path =
        "services.gateway.operations.checkout.steps[0].circuit_breaker.slow_call_rate_threshold";
    session.assert_marked(path, "Slow-call threshold");

    session.toggle("Autoscaling");
    session.set_number("Min replicas", 3.0);
    session.assert_marked("services.gateway.replicas", "Replicas");

    session.select("events");
    session.open_header("Broker");
    session.choose("Preset", "kafka");
    // Capacity is not allowed on a Kafka-like queue.
    session.assert_marked("queues.events.capacity", "Capacity");
    session.toggle("Prefetch");
    session.assert_marked("queues.events.prefetch", "Prefetch");
}

#[test]
fn faults_of_every_kind_are_created_and_edited() {
    let mut session = open();
    let original = session.scenario();
    for header in ["Description", "Load", "Settings"] {
        session.open_header(header);
    }
    session
        .harness
        .get_by_label("Add a fault")
        .click_accesskit();
    session.harness.run_steps(3);
    let fault = |session: &Session| session.scenario().faults[0].clone();
    assert!(matches!(fault(&session).kind, FaultKind::Outage(_)));
    let mut edits = 1;

    // Every kind can be created, with values the validator accepts.
    for name in FaultKind::NAMES.into_iter().skip(1) {
        let current = fault(&session).kind.name();
        session.harness.get_by_label("Kind").click_accesskit();
        session.harness.run_steps(2);
        assert!(
            session.harness.query_by_label(name).is_some(),
            "the kind {name} is offered after {current}"
        );
        session.pick(name);
        assert_eq!(fault(&session).kind.name(), name);
        assert_eq!(
            session.error_count(),
            0,
            "{name}: {:?}",
            session.harness.state().editing().diagnostics()
        );
        edits += 1;
    }

    session.choose("Kind", "crash");
    session.choose("Replica", "one replica");
    session.set_number("number", 1.0);
    session.choose("Callers see", "no answer");
    let FaultKind::Crash(crash) = fault(&session).kind else {
        panic!("a crash");
    };
    assert_eq!(
        (crash.service.as_str(), crash.replica),
        ("gateway", Some(1))
    );
    assert_eq!(crash.mode, OutageMode::Timeout);
    edits += 4;

    session.choose("Active", "random failures");
    session.set_text("MTBF", "2m");
    let random = fault(&session);
    assert_eq!(random.duration, None);
    assert_eq!(random.mtbf, Some(Duration::from_secs(120)));
    assert!(random.mttr.is_some());
    edits += 2;

    session.choose("Kind", "latency");
    session.choose("On", "a link");
    session.choose_in("exponential", "uniform");
    let FaultKind::Latency(latency) = fault(&session).kind else {
        panic!("a latency fault");
    };
    assert_eq!(latency.service, None);
    let link = latency.link.expect("a link");
    assert_eq!((link.from.as_str(), link.to.as_str()), ("users", "gateway"));
    assert!(matches!(
        latency.add,
        scenario::Distribution::Uniform { .. }
    ));
    edits += 3;

    session.choose("Kind", "partition");
    session.choose("Messages lost", "first to second only");
    let FaultKind::Partition(partition) = fault(&session).kind else {
        panic!("a partition");
    };
    assert_eq!(partition.direction, PartitionDirection::OneWay);
    edits += 2;

    session.choose("Kind", "errors");
    session.choose("Fails", "its first requests");
    session.type_into("First", "25");
    let FaultKind::Errors(errors) = fault(&session).kind else {
        panic!("an errors fault");
    };
    assert_eq!((errors.probability, errors.first), (None, Some(25)));
    edits += 3;

    assert_eq!(session.error_count(), 0);
    assert!(round_trips(&session.scenario()));
    assert_eq!(session.undo_all(), edits);
    assert_eq!(session.scenario(), original);
}

#[test]
fn parallel_call_gets_its_own_breaker() {
    let mut session = open();
    let original = session.scenario();
    session.select("gateway");
    session.choose_in("call", "parallel");
    session.toggle("Circuit breaker");
    session.set_number("Half-open calls", 3.0);
    session.toggle("Bulkhead");
    let steps = &session.scenario().services["gateway"].operations["checkout"].steps;
    let Step::Parallel(parallel) = &steps[0] else {
        panic!("the first step is parallel: {steps:?}");
    };
    let call = &parallel.parallel[0];
    assert_eq!(
        call.circuit_breaker
            .as_ref()
            .and_then(|b| b.permitted_number_of_calls_in_half_open_state),
        Some(3)
    );
    assert!(call.bulkhead.is_some());
    assert_eq!(session.error_count(), 0);
    assert_eq!(session.undo_all(), 4);
    assert_eq!(session.scenario(), original);
}

#[test]
fn typing_then_clicking_a_checkbox_are_two_steps() {
    let mut session = open();
    session.select("users");
    session.toggle("Bulkhead");
    let before_typing = session.scenario();
    session.harness.get_by_label("Max wait").focus();
    session.harness.run_steps(2);
    session
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::A);
    session.harness.get_by_label("Max wait").type_text("20ms");
    session.harness.run_steps(2);
    let typed = session.scenario();
    assert_ne!(typed, before_typing);

    // A pointer click, which takes the focus from the field, unlike Enter.
    session
        .harness
        .get_by_role_and_label(Role::CheckBox, "Deadline")
        .click();
    session.harness.run_steps(3);
    assert!(session.scenario().clients["users"].deadline.is_some());

    session.undo();
    assert_eq!(session.scenario(), typed);
    session.undo();
    assert_eq!(session.scenario(), before_typing);
}

#[test]
fn large_counts_are_kept_exactly() {
    let mut session = open();
    session.select("gateway");
    session.toggle("Rate limit");
    let max_tokens = |session: &Session| {
        session.scenario().services["gateway"]
            .rate_limit
            .as_ref()
            .map(|limit| limit.max_tokens)
    };
    // 2^53 + 1, which a drag field rounds to 2^53.
    session.type_into("Max tokens", "9007199254740993");
    assert_eq!(max_tokens(&session), Some(9_007_199_254_740_993));
    session.type_into("Max tokens", "18446744073709551615");
    assert_eq!(max_tokens(&session), Some(u64::MAX));

    session.type_into("Max tokens", "0");
    assert_eq!(max_tokens(&session), Some(u64::MAX), "0 is below the range");
    session.harness.get_by_label(
        "\"0\" is not a whole number from 1 to 18446744073709551615; \
         the value stays 18446744073709551615",
    );
    session.type_into("Max tokens", "20");
    assert_eq!(max_tokens(&session), Some(20));
    assert!(
        session
            .harness
            .query_by_label_contains("is not a whole number")
            .is_none(),
        "the message is gone once the text is valid"
    );
}

#[test]
fn typed_count_applies_once() {
    let mut session = open();
    session.select("gateway");
    let run = |session: &Session| {
        session
            .harness
            .state()
            .history()
            .status()
            .map_or(0, |status| status.run)
    };
    step_until(&mut session.harness, "the first run has a status", |app| {
        app.history().status().is_some()
    });
    let before = run(&session);
    let undo_steps = |session: &Session| session.harness.state().editing().history().can_undo();
    assert!(!undo_steps(&session), "nothing to undo yet");

    session.type_into("Workers per replica", "24");
    assert_eq!(session.scenario().services["gateway"].workers, 24);
    step_until(
        &mut session.harness,
        "the edited scenario has loaded",
        |app| {
            app.history()
                .status()
                .is_some_and(|status| status.run > before)
        },
    );
    session.harness.run_steps(5);
    assert_eq!(run(&session), before + 1, "one new run for one typed value");
    session.undo();
    assert_ne!(session.scenario().services["gateway"].workers, 24);
    assert!(!undo_steps(&session), "the typed value was one step");
}

#[test]
fn step_and_operation_buttons_undo() {
    let mut session = open();
    let original = session.scenario();
    session.select("gateway");
    let steps = |session: &Session| {
        session.scenario().services["gateway"].operations["checkout"]
            .steps
            .clone()
    };
    let original_steps = steps(&session);
    assert_eq!(original_steps.len(), 2);
    let mut edits = 0;

    // The first step's Down and the second step's Up swap the two steps.
    session.click_nth("Down", 0);
    edits += 1;
    let moved = steps(&session);
    assert_eq!(moved[0], original_steps[1]);
    assert_eq!(moved[1], original_steps[0]);
    session.click_nth("Up", 1);
    edits += 1;
    assert_eq!(steps(&session), original_steps);

    session.click_nth("Add a step", 0);
    edits += 1;
    let added = steps(&session);
    assert_eq!(added.len(), 3);
    assert_eq!(added[..2], original_steps[..]);
    assert!(matches!(added[2], Step::Work(_)), "{:?}", added[2]);
    session.click_nth("Remove", 2);
    edits += 1;
    assert_eq!(steps(&session), original_steps);

    session.click_nth("Add an operation", 0);
    edits += 1;
    let operations = |session: &Session| -> Vec<String> {
        session.scenario().services["gateway"]
            .operations
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(operations(&session), ["checkout", "operation"]);
    session.click_nth("Remove operation", 1);
    edits += 1;
    assert_eq!(operations(&session), ["checkout"]);
    assert_eq!(session.scenario(), original);

    assert_eq!(session.undo_all(), edits, "one undo step per action");
    assert_eq!(session.scenario(), original);
}
