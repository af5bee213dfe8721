//! Headless test of circuit breakers in the window: a run whose breakers open shows
//! the marker on the edge and the breaker plot in the calling node's side panel.

use egui_kittest::kittest::Queryable;

use super::breakers::{OPEN_COLOR, marker};
use super::driver::RunState;
use super::tests::{harness, loaded, new_app, step_until};

/// Payments fails from 1 s to the end of the run, so both gateway replicas' breakers
/// open after their first 5 failed calls and stay open through the 60 s wait.
const OPENING: &str = "version: 1
name: Breaker opens
run: { duration: 5s }
clients:
  users:
    target: gateway.checkout
    arrivals: { constant: 100/s }
services:
  gateway:
    replicas: 2
    operations:
      checkout:
        service_time: 1ms
        steps:
          - call: payments.pay
            circuit_breaker: { sliding_window_size: 5 }
  payments:
    operations:
      pay: { service_time: 1ms }
faults:
  - { at: 1s, for: 10s, outage: { service: payments } }
";

#[test]
fn open_breaker_shows_marker_and_plot() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join("opening.yaml");
    std::fs::write(&path, OPENING).expect("the file is written");
    let mut harness = harness(new_app(Some(path)));
    step_until(&mut harness, "the engine has loaded", loaded);
    harness.get_by_label("As fast as possible").click();
    harness.run_steps(1);
    harness.get_by_label("Play").click();
    step_until(&mut harness, "the run has finished", |app| {
        app.history().state() == RunState::Finished && app.history().live().is_some()
    });

    let live = harness.state().history().live().expect("live figures");
    let edge = &live.edges[&("gateway".to_owned(), "payments".to_owned())];
    assert_eq!(edge.breakers, 2);
    assert_eq!(edge.breakers_open, 2);
    assert_eq!(
        marker(edge.breakers, edge.breakers_open, edge.breakers_half_open),
        Some(("open 2/2".to_owned(), OPEN_COLOR))
    );

    harness.state_mut().select(Some("gateway".to_owned()));
    harness.run_steps(2);
    harness.get_by_label("Circuit breakers");
    harness.get_by_label("payments: open 2/2");
    harness.get_by_label_contains("open\u{a0}→\u{a0}payments");
    let history = harness.state().history();
    let (entity, _) = history
        .entities_where(|kind| {
            matches!(kind, super::driver::EntityKind::Edge { from, to, .. } if from == "gateway" && to == "payments")
        })
        .next()
        .expect("the edge is an entity");
    let last = history.rows().last().expect("rows arrived");
    assert_eq!(last.samples[entity].breakers_open, 2);
    assert!(last.samples[entity].breakers_open_ns > 0.0);
}
