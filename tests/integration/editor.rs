//! The editor's commands, edges, undo history and automatic layout, on the bundled
//! scenarios: each command's exact effect, and that undo and redo restore the states
//! before and after it exactly.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use topolab::editor::{
    Clipboard, Command, Edge, EdgeId, EdgeKind, EditError, EditorDocument, Endpoint, History,
    MergeKey, NodeId, NodeKind, NodeValue, auto_layout, edges,
};
use topolab::scenario::write::to_yaml;
use topolab::scenario::{
    Arrivals, Duration, Fault, FaultKind, Link, LinkRef, OutageFault, OutageMode, Rate,
    RunSettings, Scenario, SlowFault, Step, Workload, load_file,
};

fn bundled(name: &str) -> EditorDocument {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    EditorDocument::new(load_file(&path).expect("bundled scenarios load").scenario)
}

fn checkout() -> EditorDocument {
    bundled("checkout-async.yaml")
}

fn id(document: &EditorDocument, name: &str) -> NodeId {
    document
        .id_of(name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

fn names(document: &EditorDocument, kind: NodeKind) -> Vec<String> {
    let scenario = document.scenario();
    let keys: Vec<&String> = match kind {
        NodeKind::Client => scenario.clients.keys().collect(),
        NodeKind::Service => scenario.services.keys().collect(),
        NodeKind::Queue => scenario.queues.keys().collect(),
    };
    keys.into_iter().cloned().collect()
}

fn layout_names(document: &EditorDocument) -> Vec<String> {
    document.scenario().layout.keys().cloned().collect()
}

fn steps<'d>(document: &'d EditorDocument, service: &str, operation: &str) -> &'d [Step] {
    &document.scenario().services[service].operations[operation].steps
}

fn step_targets(document: &EditorDocument, service: &str, operation: &str) -> Vec<String> {
    steps(document, service, operation)
        .iter()
        .map(|step| match step {
            Step::Call(call) => format!("call {}", call.call),
            Step::Publish(publish) => format!("publish {}", publish.publish),
            Step::Parallel(parallel) => {
                let calls: Vec<&str> = parallel.parallel.iter().map(|c| c.call.as_str()).collect();
                format!("parallel {}", calls.join(" "))
            }
            Step::Work(_) => "work".to_owned(),
        })
        .collect()
}

/// Applies `command`, lets `check` inspect the result, then checks that undo restores
/// the document before and redo the document after, exactly.
fn check_command(
    document: &mut EditorDocument,
    command: &Command,
    check: impl FnOnce(&EditorDocument, &[NodeId]),
) {
    let before = document.clone();
    let change = document.apply(command).expect("the command applies");
    assert!(!change.is_empty(), "{command:?} changed nothing");
    let after = document.clone();
    check(document, change.created());

    document.undo(&change).expect("undo applies");
    assert_eq!(*document, before, "undo of {command:?}");
    assert_eq!(
        format!("{:?}", document.scenario()),
        format!("{:?}", before.scenario())
    );
    let ids: Vec<NodeId> = document.node_ids().collect();
    let ids_before: Vec<NodeId> = before.node_ids().collect();
    assert_eq!(ids, ids_before);

    document.redo(&change).expect("redo applies");
    assert_eq!(*document, after, "redo of {command:?}");
    assert_eq!(
        format!("{:?}", document.scenario()),
        format!("{:?}", after.scenario())
    );
}

/// Checks that `command` fails with `expected` and leaves the document unchanged.
fn check_rejected(document: &mut EditorDocument, command: &Command, expected: &EditError) {
    let before = document.clone();
    let error = document
        .apply(command)
        .expect_err("the command is rejected");
    assert_eq!(error, *expected);
    assert_eq!(*document, before);
}

// ---- Ids ----

#[test]
fn ids_number_nodes_in_section_order() {
    let document = checkout();
    let order: Vec<(u64, &str)> = document
        .node_ids()
        .map(|id| (id.raw(), document.name(id).unwrap_or_default()))
        .collect();
    assert_eq!(
        order,
        [
            (0, "shoppers"),
            (1, "gateway"),
            (2, "orders"),
            (3, "payments"),
            (4, "inventory"),
            (5, "notifications"),
            (6, "inventory-events"),
            (7, "notification-events"),
            (8, "inventory-dlq"),
        ]
    );
    assert_eq!(document.kind(NodeId::from_raw(0)), Some(NodeKind::Client));
    assert_eq!(document.kind(NodeId::from_raw(3)), Some(NodeKind::Service));
    assert_eq!(document.kind(NodeId::from_raw(8)), Some(NodeKind::Queue));
    assert_eq!(document.kind(NodeId::from_raw(9)), None);
    assert_eq!(document.position(NodeId::from_raw(3)), Some([620.0, 80.0]));
}

// ---- Add ----

#[test]
fn add_service_gets_free_name() {
    let mut document = checkout();
    let command = Command::AddNode {
        kind: NodeKind::Service,
        name: None,
        position: Some([10.0, 20.0]),
    };
    check_command(&mut document, &command, |document, created| {
        assert_eq!(created, [NodeId::from_raw(9)]);
        assert_eq!(document.name(created[0]), Some("service-1"));
        assert_eq!(
            names(document, NodeKind::Service)
                .last()
                .map(String::as_str),
            Some("service-1")
        );
        assert_eq!(
            document.value(created[0]),
            Some(NodeValue::new_default(NodeKind::Service))
        );
        assert_eq!(document.position(created[0]), Some([10.0, 20.0]));
        assert_eq!(
            layout_names(document).last().map(String::as_str),
            Some("service-1")
        );
    });

    document
        .apply(&Command::AddNode {
            kind: NodeKind::Service,
            name: None,
            position: None,
        })
        .expect("a second service is added");
    assert!(document.id_of("service-2").is_some());
}

#[test]
fn add_client_and_queue() {
    let mut document = EditorDocument::default();
    let client = Command::AddNode {
        kind: NodeKind::Client,
        name: Some("users".to_owned()),
        position: None,
    };
    check_command(&mut document, &client, |document, created| {
        assert_eq!(document.name(created[0]), Some("users"));
        assert_eq!(
            document.client(created[0]).map(|c| c.target.as_str()),
            Some("")
        );
        assert!(document.scenario().layout.is_empty());
    });
    let queue = Command::AddNode {
        kind: NodeKind::Queue,
        name: None,
        position: None,
    };
    check_command(&mut document, &queue, |document, created| {
        assert_eq!(document.name(created[0]), Some("queue-1"));
        let queue = document.queue(created[0]).expect("the node is a queue");
        assert_eq!(queue.max_deliveries, 3);
        assert_eq!(queue.consumer, None);
    });
}

#[test]
fn add_rejects_bad_names() {
    let mut document = checkout();
    let add = |name: &str| Command::AddNode {
        kind: NodeKind::Queue,
        name: Some(name.to_owned()),
        position: None,
    };
    check_rejected(
        &mut document,
        &add("gateway"),
        &EditError::DuplicateName("gateway".to_owned()),
    );
    check_rejected(&mut document, &add(""), &EditError::EmptyName);
    check_rejected(
        &mut document,
        &add("a.b"),
        &EditError::InvalidName("a.b".to_owned()),
    );
    check_rejected(
        &mut document,
        &Command::AddNode {
            kind: NodeKind::Queue,
            name: None,
            position: Some([f64::INFINITY, 0.0]),
        },
        &EditError::InvalidPosition([f64::INFINITY, 0.0]),
    );
}

// ---- Delete ----

#[test]
fn delete_service_removes_its_edges() {
    let mut document = checkout();
    let payments = id(&document, "payments");
    check_command(
        &mut document,
        &Command::DeleteNodes(vec![payments]),
        |document, _| {
            assert!(!document.contains(payments));
            assert_eq!(
                names(document, NodeKind::Service),
                ["gateway", "orders", "inventory", "notifications"]
            );
            assert_eq!(
                step_targets(document, "orders", "place"),
                ["publish inventory-events", "publish notification-events"]
            );
            assert!(document.scenario().links.is_empty());
            assert!(document.scenario().faults.is_empty());
            assert!(!document.scenario().layout.contains_key("payments"));
            assert_eq!(document.scenario().layout.len(), 8);
        },
    );
}

#[test]
fn delete_several_nodes_at_once() {
    let mut document = checkout();
    let ids = vec![
        id(&document, "gateway"),
        id(&document, "inventory"),
        id(&document, "inventory-dlq"),
        id(&document, "notifications"),
        // A repeated id counts once.
        id(&document, "gateway"),
    ];
    check_command(&mut document, &Command::DeleteNodes(ids), |document, _| {
        assert_eq!(names(document, NodeKind::Service), ["orders", "payments"]);
        assert_eq!(
            names(document, NodeKind::Queue),
            ["inventory-events", "notification-events"]
        );
        let shoppers = &document.scenario().clients["shoppers"];
        assert_eq!(shoppers.target, "");
        let queues = &document.scenario().queues;
        assert_eq!(queues["inventory-events"].consumer, None);
        assert_eq!(queues["inventory-events"].dead_letter, None);
        assert_eq!(queues["notification-events"].consumer, None);
        // The link and fault name only orders and payments, which stay.
        assert_eq!(document.scenario().links.len(), 1);
        assert_eq!(document.scenario().faults.len(), 1);
        assert_eq!(
            layout_names(document),
            [
                "shoppers",
                "orders",
                "payments",
                "inventory-events",
                "notification-events"
            ]
        );
    });
}

#[test]
fn delete_call_inside_parallel() {
    let mut document = bundled("platform-50.yaml");
    let search = id(&document, "search");
    let email = id(&document, "email");
    let push = id(&document, "push");
    check_command(
        &mut document,
        &Command::DeleteNodes(vec![search]),
        |document, _| {
            assert_eq!(
                step_targets(document, "edge", "browse"),
                [
                    "parallel catalog.list recommend.suggest",
                    "call users.lookup"
                ]
            );
        },
    );
    // A parallel step that loses all its calls goes away.
    check_command(
        &mut document,
        &Command::DeleteNodes(vec![email, push]),
        |document, _| {
            assert!(steps(document, "notify", "route").is_empty());
        },
    );
}

#[test]
fn delete_removes_faults_on_links() {
    let mut document = checkout();
    let mut faults = document.scenario().faults.clone();
    faults.push(Fault {
        at: Duration::from_secs(1),
        duration: Some(Duration::from_secs(2)),
        mtbf: None,
        mttr: None,
        kind: FaultKind::Slow(SlowFault {
            service: None,
            link: Some(LinkRef {
                from: "shoppers".to_owned(),
                to: "gateway".to_owned(),
            }),
            latency_multiplier: 2.0,
        }),
    });
    faults.push(Fault {
        at: Duration::from_secs(3),
        duration: Some(Duration::from_secs(1)),
        mtbf: None,
        mttr: None,
        kind: FaultKind::Outage(OutageFault {
            service: "orders".to_owned(),
            mode: OutageMode::Timeout,
        }),
    });
    document
        .apply(&Command::SetFaults(faults.clone()))
        .expect("the faults are set");
    let gateway = id(&document, "gateway");
    check_command(
        &mut document,
        &Command::DeleteNodes(vec![gateway]),
        |document, _| {
            assert_eq!(
                document.scenario().faults,
                [faults[0].clone(), faults[2].clone()]
            );
        },
    );
}

#[test]
fn delete_unknown_node_rejected() {
    let mut document = checkout();
    let gateway = id(&document, "gateway");
    check_rejected(
        &mut document,
        &Command::DeleteNodes(vec![gateway, NodeId::from_raw(99)]),
        &EditError::UnknownNode(NodeId::from_raw(99)),
    );
}

#[test]
fn undo_of_delete_keeps_ids() {
    let mut document = checkout();
    let mut history = History::default();
    let orders = id(&document, "orders");
    history
        .execute(&mut document, &Command::DeleteNodes(vec![orders]))
        .expect("the node is deleted");
    assert_eq!(document.id_of("orders"), None);
    history.undo(&mut document).expect("undo applies");
    assert_eq!(document.id_of("orders"), Some(orders));
    // The restored node can be edited by its old id.
    history
        .execute(
            &mut document,
            &Command::RenameNode {
                id: orders,
                name: "orders-v2".to_owned(),
            },
        )
        .expect("the restored node is renamed");
    assert_eq!(document.name(orders), Some("orders-v2"));
}

// ---- Rename ----

#[test]
fn rename_service_updates_references() {
    let mut document = checkout();
    let payments = id(&document, "payments");
    let command = Command::RenameNode {
        id: payments,
        name: "billing".to_owned(),
    };
    check_command(&mut document, &command, |document, _| {
        assert_eq!(document.name(payments), Some("billing"));
        assert_eq!(
            names(document, NodeKind::Service),
            ["gateway", "orders", "billing", "inventory", "notifications"]
        );
        assert_eq!(
            step_targets(document, "orders", "place")[0],
            "call billing.charge"
        );
        let link = &document.scenario().links[0];
        assert_eq!(
            (link.from.as_str(), link.to.as_str()),
            ("orders", "billing")
        );
        let FaultKind::Slow(slow) = &document.scenario().faults[0].kind else {
            panic!("the fault is a slowdown");
        };
        assert_eq!(slow.service.as_deref(), Some("billing"));
        assert_eq!(layout_names(document)[3], "billing");
        assert_eq!(document.position(payments), Some([620.0, 80.0]));
    });
}

#[test]
fn rename_queue_and_client() {
    let mut document = checkout();
    let dlq = id(&document, "inventory-dlq");
    let events = id(&document, "inventory-events");
    let command = Command::Batch {
        label: "Rename queues".to_owned(),
        commands: vec![
            Command::RenameNode {
                id: dlq,
                name: "dead".to_owned(),
            },
            Command::RenameNode {
                id: events,
                name: "stock".to_owned(),
            },
        ],
    };
    check_command(&mut document, &command, |document, _| {
        let queues = &document.scenario().queues;
        assert_eq!(
            names(document, NodeKind::Queue),
            ["stock", "notification-events", "dead"]
        );
        assert_eq!(queues["stock"].dead_letter.as_deref(), Some("dead"));
        assert_eq!(
            step_targets(document, "orders", "place")[1],
            "publish stock"
        );
    });
    let gateway = id(&document, "gateway");
    check_command(
        &mut document,
        &Command::RenameNode {
            id: gateway,
            name: "edge".to_owned(),
        },
        |document, _| {
            assert_eq!(
                document.scenario().clients["shoppers"].target,
                "edge.checkout"
            );
        },
    );
}

#[test]
fn rename_rejects_bad_names() {
    let mut document = checkout();
    let orders = id(&document, "orders");
    let rename = |name: &str| Command::RenameNode {
        id: orders,
        name: name.to_owned(),
    };
    check_rejected(
        &mut document,
        &rename("inventory-dlq"),
        &EditError::DuplicateName("inventory-dlq".to_owned()),
    );
    check_rejected(&mut document, &rename(""), &EditError::EmptyName);
    check_rejected(
        &mut document,
        &rename("or ders"),
        &EditError::InvalidName("or ders".to_owned()),
    );
    check_rejected(
        &mut document,
        &Command::RenameNode {
            id: NodeId::from_raw(42),
            name: "x".to_owned(),
        },
        &EditError::UnknownNode(NodeId::from_raw(42)),
    );
    let same = document
        .apply(&rename("orders"))
        .expect("a rename to the same name applies");
    assert!(same.is_empty());
}

#[test]
fn rename_operation_updates_references() {
    let mut document = checkout();
    let inventory = id(&document, "inventory");
    let command = Command::RenameOperation {
        service: inventory,
        from: "reserve".to_owned(),
        to: "hold".to_owned(),
    };
    check_command(&mut document, &command, |document, _| {
        let service = &document.scenario().services["inventory"];
        assert_eq!(service.operations.keys().collect::<Vec<_>>(), ["hold"]);
        let consumer = document.scenario().queues["inventory-events"]
            .consumer
            .as_ref()
            .expect("the consumer stays");
        assert_eq!(consumer.operation, "inventory.hold");
    });
    check_rejected(
        &mut document,
        &Command::RenameOperation {
            service: inventory,
            from: "missing".to_owned(),
            to: "x".to_owned(),
        },
        &EditError::UnknownOperation {
            service: "inventory".to_owned(),
            operation: "missing".to_owned(),
        },
    );
}

// ---- Move and layout ----

#[test]
fn move_nodes_is_one_step() {
    let mut document = checkout();
    let gateway = id(&document, "gateway");
    let orders = id(&document, "orders");
    let mut history = History::default();
    let command = Command::MoveNodes(vec![(gateway, [1.0, 2.0]), (orders, [3.0, 4.0])]);
    check_command(&mut document.clone(), &command, |document, _| {
        assert_eq!(document.position(gateway), Some([1.0, 2.0]));
        assert_eq!(document.position(orders), Some([3.0, 4.0]));
        assert_eq!(layout_names(document)[1..3], ["gateway", "orders"]);
    });
    history
        .execute(&mut document, &command)
        .expect("the nodes move");
    assert_eq!(history.undo_depth(), 1);
    assert_eq!(history.undo_label(), Some("Move 2 nodes"));

    let unplaced = history
        .execute(
            &mut document,
            &Command::AddNode {
                kind: NodeKind::Queue,
                name: None,
                position: None,
            },
        )
        .expect("a queue is added")
        .created[0];
    check_command(
        &mut document,
        &Command::MoveNodes(vec![(unplaced, [5.0, 6.0])]),
        |document, _| {
            assert_eq!(
                layout_names(document).last().map(String::as_str),
                Some("queue-1")
            );
        },
    );
    check_rejected(
        &mut document,
        &Command::MoveNodes(vec![(gateway, [0.0, f64::INFINITY])]),
        &EditError::InvalidPosition([0.0, f64::INFINITY]),
    );
}

#[test]
fn auto_layout_follows_edges() {
    let document = checkout();
    let positions: Vec<(&str, [f64; 2])> = auto_layout(&document)
        .into_iter()
        .map(|(id, position)| (document.name(id).unwrap_or_default(), position))
        .collect();
    assert_eq!(
        positions,
        [
            ("shoppers", [0.0, 0.0]),
            ("gateway", [220.0, 0.0]),
            ("orders", [440.0, 0.0]),
            ("payments", [660.0, 0.0]),
            ("inventory", [880.0, 0.0]),
            ("notifications", [880.0, 240.0]),
            ("inventory-events", [660.0, 120.0]),
            ("notification-events", [660.0, 240.0]),
            ("inventory-dlq", [880.0, 120.0]),
        ]
    );
    let mut document = document;
    check_command(&mut document, &Command::AutoLayout, |document, _| {
        assert_eq!(
            document.position(id(document, "inventory-dlq")),
            Some([880.0, 120.0])
        );
    });
}

#[test]
fn auto_layout_breaks_cycles() {
    let mut document = EditorDocument::default();
    let mut add = |name: &str| {
        document
            .apply(&Command::AddNode {
                kind: NodeKind::Service,
                name: Some(name.to_owned()),
                position: None,
            })
            .expect("the service is added")
            .created()[0]
    };
    let a = add("a");
    let b = add("b");
    for (from, to) in [(a, b), (b, a)] {
        document
            .apply(&Command::Connect {
                from: Endpoint::operation(from, "handle"),
                to: Endpoint::operation(to, "handle"),
            })
            .expect("the services connect");
    }
    assert_eq!(auto_layout(&document), [(a, [0.0, 0.0]), (b, [220.0, 0.0])]);
}

// ---- Connect and disconnect ----

#[test]
fn connect_each_edge_kind() {
    let mut document = checkout();
    let shoppers = id(&document, "shoppers");
    let gateway = id(&document, "gateway");
    let payments = id(&document, "payments");
    let notifications = id(&document, "notifications");
    let dlq = id(&document, "inventory-dlq");
    let events = id(&document, "notification-events");

    let client_target = Command::Connect {
        from: Endpoint::node(shoppers),
        to: Endpoint::operation(payments, "charge"),
    };
    check_command(&mut document, &client_target, |document, _| {
        assert_eq!(
            document.scenario().clients["shoppers"].target,
            "payments.charge"
        );
    });

    let call = Command::Connect {
        from: Endpoint::operation(gateway, "checkout"),
        to: Endpoint::operation(notifications, "send"),
    };
    check_command(&mut document, &call, |document, _| {
        assert_eq!(
            step_targets(document, "gateway", "checkout"),
            ["call orders.place", "call notifications.send"]
        );
    });

    let publish = Command::Connect {
        from: Endpoint::operation(payments, "charge"),
        to: Endpoint::node(dlq),
    };
    check_command(&mut document, &publish, |document, _| {
        assert_eq!(
            step_targets(document, "payments", "charge"),
            ["publish inventory-dlq"]
        );
    });

    let consume = Command::Connect {
        from: Endpoint::node(dlq),
        to: Endpoint::operation(notifications, "send"),
    };
    check_command(&mut document, &consume, |document, _| {
        let consumer = document.scenario().queues["inventory-dlq"]
            .consumer
            .clone()
            .expect("the queue has a consumer");
        assert_eq!(consumer.operation, "notifications.send");
        assert_eq!(consumer.concurrency, 1);
    });

    // A new consumer keeps the concurrency of the one it replaces.
    let replace_consumer = Command::Connect {
        from: Endpoint::node(events),
        to: Endpoint::operation(payments, "charge"),
    };
    check_command(&mut document, &replace_consumer, |document, _| {
        let consumer = document.scenario().queues["notification-events"]
            .consumer
            .clone()
            .expect("the queue has a consumer");
        assert_eq!(consumer.operation, "payments.charge");
        assert_eq!(consumer.concurrency, 4);
    });

    let dead_letter = Command::Connect {
        from: Endpoint::node(events),
        to: Endpoint::node(dlq),
    };
    check_command(&mut document, &dead_letter, |document, _| {
        assert_eq!(
            document.scenario().queues["notification-events"]
                .dead_letter
                .as_deref(),
            Some("inventory-dlq")
        );
    });
}

#[test]
fn connect_rejects_invalid_edges() {
    let mut document = checkout();
    let shoppers = id(&document, "shoppers");
    let gateway = id(&document, "gateway");
    let dlq = id(&document, "inventory-dlq");
    let cases = [
        (
            Endpoint::operation(gateway, "checkout"),
            Endpoint::node(shoppers),
            EditError::InvalidConnection {
                from: NodeKind::Service,
                to: NodeKind::Client,
            },
        ),
        (
            Endpoint::node(shoppers),
            Endpoint::node(dlq),
            EditError::InvalidConnection {
                from: NodeKind::Client,
                to: NodeKind::Queue,
            },
        ),
        (
            Endpoint::node(dlq),
            Endpoint::node(dlq),
            EditError::InvalidConnection {
                from: NodeKind::Queue,
                to: NodeKind::Queue,
            },
        ),
        (
            Endpoint::node(shoppers),
            Endpoint::node(gateway),
            EditError::MissingOperation {
                service: "gateway".to_owned(),
            },
        ),
        (
            Endpoint::node(shoppers),
            Endpoint::operation(gateway, "nope"),
            EditError::UnknownOperation {
                service: "gateway".to_owned(),
                operation: "nope".to_owned(),
            },
        ),
        (
            Endpoint::node(NodeId::from_raw(77)),
            Endpoint::operation(gateway, "checkout"),
            EditError::UnknownNode(NodeId::from_raw(77)),
        ),
    ];
    for (from, to, expected) in cases {
        check_rejected(&mut document, &Command::Connect { from, to }, &expected);
    }
}

#[test]
fn edges_of_checkout() {
    let document = checkout();
    let n = |name| id(&document, name);
    let step = |service, operation: &str, step| EdgeId::Step {
        service: n(service),
        operation: operation.to_owned(),
        step,
        call: None,
    };
    let edge = |id, kind, from, to, operation: Option<&str>| Edge {
        id,
        kind,
        from: n(from),
        to: n(to),
        to_operation: operation.map(str::to_owned),
    };
    assert_eq!(
        edges(&document),
        [
            edge(
                EdgeId::Target {
                    client: n("shoppers")
                },
                EdgeKind::ClientTarget,
                "shoppers",
                "gateway",
                Some("checkout")
            ),
            edge(
                step("gateway", "checkout", 0),
                EdgeKind::Call,
                "gateway",
                "orders",
                Some("place")
            ),
            edge(
                step("orders", "place", 0),
                EdgeKind::Call,
                "orders",
                "payments",
                Some("charge")
            ),
            edge(
                step("orders", "place", 1),
                EdgeKind::Publish,
                "orders",
                "inventory-events",
                None
            ),
            edge(
                step("orders", "place", 2),
                EdgeKind::Publish,
                "orders",
                "notification-events",
                None
            ),
            edge(
                EdgeId::Consumer {
                    queue: n("inventory-events")
                },
                EdgeKind::Consume,
                "inventory-events",
                "inventory",
                Some("reserve")
            ),
            edge(
                EdgeId::DeadLetter {
                    queue: n("inventory-events")
                },
                EdgeKind::DeadLetter,
                "inventory-events",
                "inventory-dlq",
                None
            ),
            edge(
                EdgeId::Consumer {
                    queue: n("notification-events")
                },
                EdgeKind::Consume,
                "notification-events",
                "notifications",
                Some("send")
            ),
        ]
    );
}

#[test]
fn edges_inside_parallel() {
    let document = bundled("platform-50.yaml");
    let edge_id = id(&document, "edge");
    let parallel: Vec<(Option<usize>, String)> = edges(&document)
        .into_iter()
        .filter_map(|edge| match edge.id {
            EdgeId::Step {
                service,
                step: 0,
                call,
                ref operation,
            } if service == edge_id && operation == "browse" => {
                Some((call, document.name(edge.to).unwrap_or_default().to_owned()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        parallel,
        [
            (Some(0), "catalog".to_owned()),
            (Some(1), "search".to_owned()),
            (Some(2), "recommend".to_owned()),
        ]
    );
}

#[test]
fn disconnect_each_edge_kind() {
    let document = checkout();
    for edge in edges(&document) {
        let mut document = document.clone();
        let count = edges(&document).len();
        check_command(
            &mut document,
            &Command::Disconnect(edge.id.clone()),
            |document, _| {
                let remaining = edges(document);
                assert_eq!(remaining.len(), count - 1, "{edge:?}");
                // Steps after a removed one move up; every other edge is untouched.
                let kinds_to: Vec<(EdgeKind, NodeId)> =
                    remaining.iter().map(|e| (e.kind, e.to)).collect();
                assert!(!kinds_to.contains(&(edge.kind, edge.to)), "{edge:?}");
            },
        );
    }

    let mut platform = bundled("platform-50.yaml");
    let edge_service = id(&platform, "edge");
    let middle_call = EdgeId::Step {
        service: edge_service,
        operation: "browse".to_owned(),
        step: 0,
        call: Some(1),
    };
    check_command(
        &mut platform,
        &Command::Disconnect(middle_call.clone()),
        |document, _| {
            assert_eq!(
                step_targets(document, "edge", "browse")[0],
                "parallel catalog.list recommend.suggest"
            );
        },
    );
    platform
        .apply(&Command::Disconnect(middle_call.clone()))
        .expect("the last call of the parallel step moved up");
    check_rejected(
        &mut platform,
        &Command::Disconnect(middle_call.clone()),
        &EditError::UnknownEdge(middle_call),
    );
}

// ---- Replacing values and settings ----

#[test]
fn set_node_values() {
    let mut document = checkout();
    let payments = id(&document, "payments");
    let mut service = document.service(payments).cloned().expect("a service");
    service.workers = 64;
    check_command(
        &mut document,
        &Command::SetService {
            id: payments,
            value: service.clone(),
        },
        |document, _| {
            assert_eq!(document.scenario().services["payments"].workers, 64);
        },
    );

    let shoppers = id(&document, "shoppers");
    let mut client = document.client(shoppers).cloned().expect("a client");
    client.timeout = None;
    check_command(
        &mut document,
        &Command::SetClient {
            id: shoppers,
            value: client,
        },
        |document, _| {
            assert_eq!(document.scenario().clients["shoppers"].timeout, None);
        },
    );

    let dlq = id(&document, "inventory-dlq");
    let mut queue = document.queue(dlq).cloned().expect("a queue");
    queue.capacity = Some(5);
    check_command(
        &mut document,
        &Command::SetQueue {
            id: dlq,
            value: queue,
        },
        |document, _| {
            assert_eq!(
                document.scenario().queues["inventory-dlq"].capacity,
                Some(5)
            );
        },
    );

    check_rejected(
        &mut document,
        &Command::SetService {
            id: dlq,
            value: service,
        },
        &EditError::WrongKind {
            name: "inventory-dlq".to_owned(),
            expected: NodeKind::Service,
            found: NodeKind::Queue,
        },
    );
}

#[test]
fn set_scenario_fields() {
    let mut document = checkout();
    check_command(
        &mut document,
        &Command::SetName(Some("Renamed".to_owned())),
        |document, _| {
            assert_eq!(document.scenario().name.as_deref(), Some("Renamed"));
        },
    );
    check_command(
        &mut document,
        &Command::SetDescription(None),
        |document, _| {
            assert_eq!(document.scenario().description, None);
        },
    );
    let mut defaults = document.scenario().defaults.clone();
    defaults.loss = 0.25;
    check_command(
        &mut document,
        &Command::SetDefaults(defaults),
        |document, _| {
            assert_eq!(document.scenario().defaults.loss, 0.25);
        },
    );
    let run = RunSettings {
        duration: Some(Duration::from_secs(30)),
        ..RunSettings::default()
    };
    check_command(
        &mut document,
        &Command::SetRun(run.clone()),
        |document, _| {
            assert_eq!(document.scenario().run, run);
        },
    );
    let link = Link {
        from: "gateway".to_owned(),
        to: "orders".to_owned(),
        latency: None,
        loss: Some(0.5),
    };
    check_command(
        &mut document,
        &Command::SetLinks(vec![link.clone()]),
        |document, _| {
            assert_eq!(document.scenario().links, [link]);
        },
    );
    check_command(
        &mut document,
        &Command::SetFaults(Vec::new()),
        |document, _| {
            assert!(document.scenario().faults.is_empty());
        },
    );
}

// ---- Copy, paste, duplicate ----

#[test]
fn duplicate_remaps_inner_edges() {
    let mut document = checkout();
    let orders = id(&document, "orders");
    let payments = id(&document, "payments");
    let command = Command::Duplicate {
        ids: vec![payments, orders],
        offset: [10.0, 20.0],
    };
    check_command(&mut document, &command, |document, created| {
        let created_names: Vec<&str> = created
            .iter()
            .map(|&id| document.name(id).unwrap_or_default())
            .collect();
        assert_eq!(created_names, ["orders-2", "payments-2"]);
        assert_eq!(
            step_targets(document, "orders-2", "place"),
            [
                "call payments-2.charge",
                "publish inventory-events",
                "publish notification-events"
            ]
        );
        assert_eq!(document.position(created[0]), Some([410.0, 220.0]));
        assert_eq!(document.position(created[1]), Some([630.0, 100.0]));
        let links = &document.scenario().links;
        assert_eq!(links.len(), 2);
        assert_eq!(
            (links[1].from.as_str(), links[1].to.as_str()),
            ("orders-2", "payments-2")
        );
        // The original stays as it was.
        assert_eq!(
            step_targets(document, "orders", "place")[0],
            "call payments.charge"
        );
    });
}

#[test]
fn paste_into_other_document() {
    let source = checkout();
    let clipboard = source
        .copy(&[
            id(&source, "inventory-events"),
            id(&source, "inventory-dlq"),
        ])
        .expect("the nodes are copied");
    assert_eq!(clipboard.nodes.len(), 2);

    let mut document = EditorDocument::default();
    let command = Command::Paste {
        clipboard: clipboard.clone(),
        offset: [0.0, 0.0],
    };
    check_command(&mut document, &command, |document, created| {
        assert_eq!(created.len(), 2);
        assert_eq!(
            names(document, NodeKind::Queue),
            ["inventory-events", "inventory-dlq"]
        );
        // The dead-letter edge between the copies is kept; the consumer refers to a
        // service this document lacks, as it did in the original.
        let queue = &document.scenario().queues["inventory-events"];
        assert_eq!(queue.dead_letter.as_deref(), Some("inventory-dlq"));
        assert_eq!(
            queue.consumer.as_ref().map(|c| c.operation.as_str()),
            Some("inventory.reserve")
        );
    });
    // Pasting again picks free names.
    document
        .apply(&command)
        .expect("the clipboard pastes twice");
    assert_eq!(
        names(&document, NodeKind::Queue),
        [
            "inventory-events",
            "inventory-dlq",
            "inventory-events-2",
            "inventory-dlq-2"
        ]
    );
    assert_eq!(
        document.scenario().queues["inventory-events-2"]
            .dead_letter
            .as_deref(),
        Some("inventory-dlq-2")
    );
}

// ---- Batches ----

#[test]
fn failed_batch_changes_nothing() {
    let mut document = checkout();
    let gateway = id(&document, "gateway");
    let command = Command::Batch {
        label: "Two edits".to_owned(),
        commands: vec![
            Command::SetName(Some("First".to_owned())),
            Command::RenameNode {
                id: gateway,
                name: "orders".to_owned(),
            },
        ],
    };
    check_rejected(
        &mut document,
        &command,
        &EditError::DuplicateName("orders".to_owned()),
    );
}

// ---- History ----

fn set_name(name: &str) -> Command {
    Command::SetName(Some(name.to_owned()))
}

#[test]
fn history_undo_redo_and_cap() {
    let mut document = checkout();
    let original = document.clone();
    let mut history = History::new(3);
    for name in ["a", "b", "c", "d"] {
        history
            .execute(&mut document, &set_name(name))
            .expect("the name is set");
    }
    assert_eq!(history.undo_depth(), 3);
    while history.undo(&mut document).expect("undo applies").is_some() {}
    // The first edit fell off the capped stack.
    assert_eq!(document.scenario().name.as_deref(), Some("a"));
    assert_ne!(document, original);
    assert_eq!(history.redo_depth(), 3);

    history
        .execute(&mut document, &set_name("e"))
        .expect("the name is set");
    assert!(!history.can_redo());
    assert_eq!(history.redo(&mut document).expect("redo applies"), None);
    assert_eq!(history.undo_label(), Some("Edit scenario name"));
}

#[test]
fn history_modified_flag() {
    let mut document = checkout();
    let mut history = History::default();
    assert!(!history.is_modified());

    history
        .execute(&mut document, &set_name("a"))
        .expect("the name is set");
    assert!(history.is_modified());
    history.mark_saved();
    assert!(!history.is_modified());

    history
        .execute(&mut document, &set_name("b"))
        .expect("the name is set");
    assert!(history.is_modified());
    history.undo(&mut document).expect("undo applies");
    assert!(!history.is_modified());
    history.undo(&mut document).expect("undo applies");
    assert!(history.is_modified());
    history.redo(&mut document).expect("redo applies");
    assert!(!history.is_modified());

    // Once the saved state is dropped from the redo stack it is out of reach.
    history.undo(&mut document).expect("undo applies");
    history
        .execute(&mut document, &set_name("c"))
        .expect("the name is set");
    assert!(history.is_modified());
    history.undo(&mut document).expect("undo applies");
    assert!(history.is_modified());

    // A command that changes nothing is not recorded.
    let same_name = Command::SetName(document.scenario().name.clone());
    let outcome = history
        .execute(&mut document, &same_name)
        .expect("the command applies");
    assert!(!outcome.recorded);
}

#[test]
fn history_merges_typing() {
    let mut document = checkout();
    let original = document.clone();
    let mut history = History::default();
    let key = MergeKey::new("scenario/name");
    for name in ["W", "We", "Web"] {
        history
            .execute_merging(&mut document, &set_name(name), key.clone())
            .expect("the name is set");
    }
    assert_eq!(history.undo_depth(), 1);
    history.end_merge();
    history
        .execute_merging(&mut document, &set_name("Webs"), key.clone())
        .expect("the name is set");
    assert_eq!(history.undo_depth(), 2);

    // Another key, or a save in between, starts a new step.
    history
        .execute_merging(
            &mut document,
            &Command::SetDescription(None),
            MergeKey::new("d"),
        )
        .expect("the description is cleared");
    assert_eq!(history.undo_depth(), 3);
    history.mark_saved();
    history
        .execute_merging(
            &mut document,
            &Command::SetDescription(Some("x".into())),
            MergeKey::new("d"),
        )
        .expect("the description is set");
    assert_eq!(history.undo_depth(), 4);
    history.undo(&mut document).expect("undo applies");
    assert!(!history.is_modified());

    while history.undo(&mut document).expect("undo applies").is_some() {}
    assert_eq!(document, original);
}

// ---- Random command sequences ----

/// A command in terms of positions in the document's current node list, resolved when
/// it is applied. Positions past the end give ids that no node has.
#[derive(Clone, Debug)]
enum Action {
    Add(usize, Option<usize>, bool),
    Delete(Vec<usize>),
    Rename(usize, usize),
    Move(Vec<(usize, i16, i16)>),
    Connect(usize, usize, usize, usize),
    Disconnect(usize),
    SetWorkers(usize, u32),
    Duplicate(Vec<usize>),
    AutoLayout,
    SetName(usize),
    RenameOperation(usize, usize, usize),
    SetRate(usize, u16),
    SetCapacity(usize, Option<u64>),
    SetDescription(Option<usize>),
    SetLoss(u8),
    SetSeed(Option<u64>),
    SetLinks(Vec<(usize, usize)>),
    SetFaults(Vec<usize>),
    /// Copies the nodes, then pastes them from the text form, as from another window
    /// when the flag is set.
    Paste(Vec<usize>, bool),
    PublishThroughQueue(usize, usize, usize, usize, Option<usize>, bool),
    Batch(Vec<Action>),
    Undo,
    Redo,
}

const NAMES: [&str; 8] = ["a", "b", "gateway", "", "x.y", "service-1", "orders", "ü-2"];

/// Node positions up to a few past the node count of the checkout scenario, so that
/// some commands name nodes that do not exist.
const NODE_RANGE: std::ops::Range<usize> = 0..11;

fn single_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0usize..3, prop::option::of(0..NAMES.len()), any::<bool>())
            .prop_map(|(kind, name, placed)| Action::Add(kind, name, placed)),
        1 => prop::collection::vec(NODE_RANGE, 1..3).prop_map(Action::Delete),
        2 => (NODE_RANGE, 0..NAMES.len()).prop_map(|(node, name)| Action::Rename(node, name)),
        1 => prop::collection::vec((NODE_RANGE, any::<i16>(), any::<i16>()), 1..4)
            .prop_map(Action::Move),
        3 => (NODE_RANGE, 0usize..3, NODE_RANGE, 0usize..3)
            .prop_map(|(a, b, c, d)| Action::Connect(a, b, c, d)),
        2 => (0usize..32).prop_map(Action::Disconnect),
        2 => (NODE_RANGE, 1u32..5).prop_map(|(node, workers)| Action::SetWorkers(node, workers)),
        1 => prop::collection::vec(NODE_RANGE, 1..3).prop_map(Action::Duplicate),
        1 => Just(Action::AutoLayout),
        1 => (0..NAMES.len()).prop_map(Action::SetName),
        1 => (NODE_RANGE, 0usize..3, 0..NAMES.len())
            .prop_map(|(node, operation, name)| Action::RenameOperation(node, operation, name)),
        1 => (NODE_RANGE, any::<u16>()).prop_map(|(node, rate)| Action::SetRate(node, rate)),
        1 => (NODE_RANGE, prop::option::of(0u64..50))
            .prop_map(|(node, capacity)| Action::SetCapacity(node, capacity)),
        1 => prop::option::of(0..NAMES.len()).prop_map(Action::SetDescription),
        1 => any::<u8>().prop_map(Action::SetLoss),
        1 => prop::option::of(any::<u64>()).prop_map(Action::SetSeed),
        1 => prop::collection::vec((NODE_RANGE, NODE_RANGE), 0..3).prop_map(Action::SetLinks),
        1 => prop::collection::vec(NODE_RANGE, 0..3).prop_map(Action::SetFaults),
        1 => (prop::collection::vec(NODE_RANGE, 1..3), any::<bool>())
            .prop_map(|(nodes, as_text)| Action::Paste(nodes, as_text)),
        2 => (
            NODE_RANGE,
            0usize..3,
            NODE_RANGE,
            0usize..3,
            prop::option::of(0..NAMES.len()),
            any::<bool>(),
        )
            .prop_map(|(a, b, c, d, name, placed)| {
                Action::PublishThroughQueue(a, b, c, d, name, placed)
            }),
        1 => Just(Action::Undo),
        1 => Just(Action::Redo),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        9 => single_action(),
        1 => prop::collection::vec(single_action(), 1..4).prop_map(Action::Batch),
    ]
}

fn node_at(document: &EditorDocument, index: usize) -> NodeId {
    let ids: Vec<NodeId> = document.node_ids().collect();
    ids.get(index)
        .copied()
        .unwrap_or(NodeId::from_raw(10_000 + index as u64))
}

fn endpoint(document: &EditorDocument, node: usize, operation: usize) -> Endpoint {
    let id = node_at(document, node);
    let operation = document
        .service(id)
        .and_then(|service| service.operations.keys().nth(operation))
        .cloned()
        .or_else(|| (operation == 2).then(|| "missing".to_owned()));
    Endpoint {
        node: id,
        operation,
    }
}

fn resolve(document: &EditorDocument, action: &Action) -> Option<Command> {
    let command = match action {
        Action::Add(kind, name, placed) => Command::AddNode {
            kind: NodeKind::ALL[*kind],
            name: name.map(|n| NAMES[n].to_owned()),
            position: placed.then_some([1.5, -2.0]),
        },
        Action::Delete(nodes) => {
            Command::DeleteNodes(nodes.iter().map(|&n| node_at(document, n)).collect())
        }
        Action::Rename(node, name) => Command::RenameNode {
            id: node_at(document, *node),
            name: NAMES[*name].to_owned(),
        },
        Action::Move(moves) => Command::MoveNodes(
            moves
                .iter()
                .map(|&(n, x, y)| (node_at(document, n), [f64::from(x), f64::from(y) / 3.0]))
                .collect(),
        ),
        Action::Connect(a, b, c, d) => Command::Connect {
            from: endpoint(document, *a, *b),
            to: endpoint(document, *c, *d),
        },
        Action::Disconnect(index) => {
            let all = edges(document);
            let edge = all.get(*index % (all.len() + 1))?;
            Command::Disconnect(edge.id.clone())
        }
        Action::SetWorkers(node, workers) => {
            let id = node_at(document, *node);
            let mut service = document.service(id).cloned().unwrap_or_default();
            service.workers = *workers;
            Command::SetService { id, value: service }
        }
        Action::Duplicate(nodes) => Command::Duplicate {
            ids: nodes.iter().map(|&n| node_at(document, n)).collect(),
            offset: [30.0, 30.0],
        },
        Action::AutoLayout => Command::AutoLayout,
        Action::SetName(name) => Command::SetName(Some(NAMES[*name].to_owned())),
        Action::RenameOperation(node, operation, name) => {
            let endpoint = endpoint(document, *node, *operation);
            Command::RenameOperation {
                service: endpoint.node,
                from: endpoint.operation.unwrap_or_default(),
                to: NAMES[*name].to_owned(),
            }
        }
        Action::SetRate(node, rate) => {
            let id = node_at(document, *node);
            let mut client = match document.client(id).cloned() {
                Some(client) => client,
                None => match NodeValue::new_default(NodeKind::Client) {
                    NodeValue::Client(client) => client,
                    other => panic!("a new client is a client: {other:?}"),
                },
            };
            if let Workload::Open { arrivals, .. } = &mut client.workload {
                *arrivals = Arrivals::Poisson(Rate::per_sec(f64::from(*rate) + 0.5));
            }
            Command::SetClient { id, value: client }
        }
        Action::SetCapacity(node, capacity) => {
            let id = node_at(document, *node);
            let mut queue = document.queue(id).cloned().unwrap_or_default();
            queue.capacity = *capacity;
            Command::SetQueue { id, value: queue }
        }
        Action::SetDescription(text) => {
            Command::SetDescription(text.map(|n| format!("About {}\n\nMore.", NAMES[n])))
        }
        Action::SetLoss(loss) => {
            let mut defaults = document.scenario().defaults.clone();
            defaults.loss = f64::from(*loss) / 512.0;
            Command::SetDefaults(defaults)
        }
        Action::SetSeed(seed) => {
            let mut run = document.scenario().run.clone();
            run.seed = *seed;
            Command::SetRun(run)
        }
        Action::SetLinks(pairs) => {
            let name = |n: usize| {
                let id = node_at(document, n);
                document.name(id).unwrap_or("nowhere").to_owned()
            };
            Command::SetLinks(
                pairs
                    .iter()
                    .map(|&(a, b)| Link {
                        from: name(a),
                        to: name(b),
                        latency: None,
                        loss: Some(0.25),
                    })
                    .collect(),
            )
        }
        Action::SetFaults(nodes) => Command::SetFaults(
            nodes
                .iter()
                .enumerate()
                .map(|(i, &n)| Fault {
                    at: Duration::from_secs(i as u64),
                    duration: Some(Duration::from_secs(1)),
                    mtbf: None,
                    mttr: None,
                    kind: FaultKind::Outage(OutageFault {
                        service: document
                            .name(node_at(document, n))
                            .unwrap_or("nowhere")
                            .to_owned(),
                        mode: OutageMode::Timeout,
                    }),
                })
                .collect(),
        ),
        Action::Paste(nodes, as_text) => {
            let ids: Vec<NodeId> = nodes.iter().map(|&n| node_at(document, n)).collect();
            let copied = document.copy(&ids).unwrap_or_default();
            let clipboard = if *as_text {
                let text = copied.to_text().expect("copied nodes write as text");
                Clipboard::from_text(&text).unwrap_or_default()
            } else {
                copied
            };
            Command::Paste {
                clipboard,
                offset: [40.0, 40.0],
            }
        }
        Action::PublishThroughQueue(a, b, c, d, name, placed) => Command::PublishThroughQueue {
            from: endpoint(document, *a, *b),
            to: endpoint(document, *c, *d),
            queue: name.map(|n| NAMES[n].to_owned()),
            position: placed.then_some([10.0, 20.25]),
        },
        Action::Batch(actions) => Command::Batch {
            label: "Batch".to_owned(),
            commands: actions
                .iter()
                .filter_map(|action| resolve(document, action))
                .collect(),
        },
        Action::Undo | Action::Redo => return None,
    };
    Some(command)
}

fn check_consistent(document: &EditorDocument) {
    let ids: Vec<NodeId> = document.node_ids().collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids are unique");
    for id in ids {
        let name = document.name(id).expect("every id has a name");
        assert_eq!(document.id_of(name), Some(id));
    }
    to_yaml(document.scenario()).expect("the document writes");
}

fn run_sequence(start: &EditorDocument, actions: &[Action]) -> Result<(), TestCaseError> {
    let mut document = start.clone();
    let mut history = History::new(usize::MAX);
    for action in actions {
        match action {
            Action::Undo => {
                history.undo(&mut document).expect("undo applies");
            }
            Action::Redo => {
                history.redo(&mut document).expect("redo applies");
            }
            _ => {
                let Some(command) = resolve(&document, action) else {
                    continue;
                };
                let before = document.clone();
                let result = if let Action::SetWorkers(node, _) = action {
                    history.execute_merging(
                        &mut document,
                        &command,
                        MergeKey::new(node.to_string()),
                    )
                } else {
                    history.execute(&mut document, &command)
                };
                if result.is_err() {
                    prop_assert_eq!(
                        &document,
                        &before,
                        "{:?} failed but changed the document",
                        command
                    );
                }
            }
        }
        check_consistent(&document);
    }
    // Steps undone by the sequence itself are redone first, so that the final state
    // is the newest one the history can reach.
    while history.redo(&mut document).expect("redo applies").is_some() {}
    let end = document.clone();
    while history.undo(&mut document).expect("undo applies").is_some() {}
    prop_assert_eq!(&document, start);
    prop_assert_eq!(
        format!("{:?}", document.scenario()),
        format!("{:?}", start.scenario())
    );
    while history.redo(&mut document).expect("redo applies").is_some() {}
    prop_assert_eq!(&document, &end);
    prop_assert_eq!(
        format!("{:?}", document.scenario()),
        format!("{:?}", end.scenario())
    );
    Ok(())
}

/// Returns the name of the command's kind. The match has no wildcard, so that a new
/// kind of command does not compile until it is named here, and the test below then
/// fails until the random actions make it.
fn command_kind(command: &Command) -> &'static str {
    match command {
        Command::AddNode { .. } => "AddNode",
        Command::DeleteNodes(_) => "DeleteNodes",
        Command::RenameNode { .. } => "RenameNode",
        Command::RenameOperation { .. } => "RenameOperation",
        Command::MoveNodes(_) => "MoveNodes",
        Command::Connect { .. } => "Connect",
        Command::PublishThroughQueue { .. } => "PublishThroughQueue",
        Command::Disconnect(_) => "Disconnect",
        Command::SetClient { .. } => "SetClient",
        Command::SetService { .. } => "SetService",
        Command::SetQueue { .. } => "SetQueue",
        Command::SetName(_) => "SetName",
        Command::SetDescription(_) => "SetDescription",
        Command::SetDefaults(_) => "SetDefaults",
        Command::SetRun(_) => "SetRun",
        Command::SetLinks(_) => "SetLinks",
        Command::SetFaults(_) => "SetFaults",
        Command::Paste { .. } => "Paste",
        Command::Duplicate { .. } => "Duplicate",
        Command::AutoLayout => "AutoLayout",
        Command::Batch { .. } => "Batch",
    }
}

/// Every kind that [`command_kind`] names.
const COMMAND_KINDS: [&str; 21] = [
    "AddNode",
    "DeleteNodes",
    "RenameNode",
    "RenameOperation",
    "MoveNodes",
    "Connect",
    "PublishThroughQueue",
    "Disconnect",
    "SetClient",
    "SetService",
    "SetQueue",
    "SetName",
    "SetDescription",
    "SetDefaults",
    "SetRun",
    "SetLinks",
    "SetFaults",
    "Paste",
    "Duplicate",
    "AutoLayout",
    "Batch",
];

#[test]
fn random_actions_cover_every_command_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let document = checkout();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2000 {
        let action = action()
            .new_tree(&mut runner)
            .expect("the strategy draws an action")
            .current();
        if let Some(command) = resolve(&document, &action) {
            seen.insert(command_kind(&command));
        }
    }
    for kind in COMMAND_KINDS {
        assert!(
            seen.contains(kind),
            "no random action makes a {kind} command"
        );
    }
}

proptest! {
    // A fixed seed keeps the test deterministic, and no failure file is written.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: RngSeed::Fixed(0x5eed_0002),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_edits_undo_on_checkout(actions in prop::collection::vec(action(), 1..25)) {
        run_sequence(&checkout(), &actions)?;
    }

    #[test]
    fn random_edits_undo_on_empty(actions in prop::collection::vec(action(), 1..25)) {
        run_sequence(&EditorDocument::new(Scenario::default()), &actions)?;
    }
}

#[test]
fn positions_are_kept_to_a_tenth() {
    let mut document = checkout();
    let gateway = id(&document, "gateway");
    document
        .apply(&Command::MoveNodes(vec![(
            gateway,
            [106.000_030_517_578_12, -80.549_999],
        )]))
        .expect("the move applies");
    assert_eq!(document.scenario().layout["gateway"], [106.0, -80.5]);
    let text = to_yaml(document.scenario()).expect("the document writes");
    assert!(text.contains("gateway: [106, -80.5]"), "{text}");

    let created = document
        .apply(&Command::AddNode {
            kind: NodeKind::Queue,
            name: Some("q".to_owned()),
            position: Some([1.25, 2.0 / 3.0]),
        })
        .expect("the queue is added");
    assert_eq!(created.created().len(), 1);
    assert_eq!(document.scenario().layout["q"], [1.3, 0.7]);
    let huge = 1.0e300;
    document
        .apply(&Command::MoveNodes(vec![(gateway, [huge, -huge])]))
        .expect("a huge position applies");
    assert_eq!(document.scenario().layout["gateway"], [huge, -huge]);
}

#[test]
fn publish_through_queue_adds_one_step() {
    let mut document = checkout();
    let original = document.clone();
    let mut history = History::new(10);
    let payments = id(&document, "payments");
    let inventory = id(&document, "inventory");
    let payments_operation = document
        .service(payments)
        .expect("a service")
        .operations
        .keys()
        .next()
        .cloned()
        .expect("an operation");
    let inventory_operation = document
        .service(inventory)
        .expect("a service")
        .operations
        .keys()
        .next()
        .cloned()
        .expect("an operation");
    let command = Command::PublishThroughQueue {
        from: Endpoint::operation(payments, payments_operation.clone()),
        to: Endpoint::operation(inventory, inventory_operation.clone()),
        queue: None,
        position: Some([10.04, 20.0]),
    };
    let outcome = history
        .execute(&mut document, &command)
        .expect("the queue is added");
    assert_eq!(outcome.created.len(), 1);
    let scenario = document.scenario();
    let queue = &scenario.queues["inventory-queue"];
    assert_eq!(
        queue.consumer.as_ref().map(|c| c.operation.clone()),
        Some(format!("inventory.{inventory_operation}"))
    );
    let steps = &scenario.services["payments"].operations[&payments_operation].steps;
    assert!(
        matches!(steps.last(), Some(Step::Publish(publish)) if publish.publish == "inventory-queue"),
        "{steps:?}"
    );
    assert_eq!(scenario.layout["inventory-queue"], [10.0, 20.0]);
    assert_eq!(history.undo_depth(), 1);

    // A second one gets the next free name.
    history
        .execute(&mut document, &command)
        .expect("another queue is added");
    assert!(document.scenario().queues.contains_key("inventory-queue-2"));

    while history.undo(&mut document).expect("undo applies").is_some() {}
    assert_eq!(document, original);
}

#[test]
fn publish_through_queue_checks_both_ends() {
    let mut document = checkout();
    let original = document.clone();
    let payments = id(&document, "payments");
    let orders_queue = id(&document, "inventory-events");
    let shoppers = id(&document, "shoppers");
    let cases = [
        (
            Endpoint::node(orders_queue),
            Endpoint::operation(payments, "missing"),
        ),
        (
            Endpoint::operation(payments, "missing"),
            Endpoint::operation(payments, "missing"),
        ),
        (Endpoint::node(shoppers), Endpoint::node(orders_queue)),
    ];
    for (from, to) in cases {
        let command = Command::PublishThroughQueue {
            from,
            to,
            queue: None,
            position: None,
        };
        assert!(document.apply(&command).is_err(), "{command:?}");
        assert_eq!(document, original, "{command:?} changed the document");
    }
    let taken = Command::PublishThroughQueue {
        from: Endpoint::operation(payments, "charge"),
        to: Endpoint::operation(payments, "charge"),
        queue: Some("orders".to_owned()),
        position: None,
    };
    assert!(document.apply(&taken).is_err());
    assert_eq!(document, original);
}

// ---- Pasting edited text ----

/// Characters that change the meaning of YAML or of the scenario format, for the edits
/// of the copied text.
const TEXT_EDITS: &str = " \n:{}[],-#&*!|>'\"%@`?.0123456789e_xyzü\t";

/// One edit of a text: replace, insert or delete the character at a position, given as
/// a fraction of the text's length.
#[derive(Clone, Debug)]
enum TextEdit {
    Replace(f64, usize),
    Insert(f64, usize),
    Delete(f64),
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    let character = 0..TEXT_EDITS.chars().count();
    prop_oneof![
        (0.0..1.0f64, character.clone()).prop_map(|(at, c)| TextEdit::Replace(at, c)),
        (0.0..1.0f64, character).prop_map(|(at, c)| TextEdit::Insert(at, c)),
        (0.0..1.0f64).prop_map(TextEdit::Delete),
    ]
}

fn edit_text(text: &str, edits: &[TextEdit]) -> String {
    let mut characters: Vec<char> = text.chars().collect();
    let replacement = |index: usize| TEXT_EDITS.chars().nth(index).unwrap_or(' ');
    for edit in edits {
        let position = |at: f64| (at * characters.len() as f64) as usize;
        match *edit {
            TextEdit::Replace(at, c) if !characters.is_empty() => {
                let index = position(at).min(characters.len() - 1);
                characters[index] = replacement(c);
            }
            TextEdit::Insert(at, c) => {
                let index = position(at).min(characters.len());
                characters.insert(index, replacement(c));
            }
            TextEdit::Delete(at) if !characters.is_empty() => {
                let index = position(at).min(characters.len() - 1);
                characters.remove(index);
            }
            _ => {}
        }
    }
    characters.into_iter().collect()
}

proptest! {
    // A fixed seed keeps the test deterministic, and no failure file is written.
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x5eed_0003),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Text on the system clipboard comes from anywhere. Whatever it is, reading it
    /// does not panic, and a paste of what it holds is undone exactly.
    #[test]
    fn edited_clipboard_text_pastes_or_is_ignored(
        edits in prop::collection::vec(text_edit(), 1..8),
    ) {
        let source = checkout();
        let ids: Vec<NodeId> = source.node_ids().collect();
        let text = source
            .copy(&ids)
            .expect("every node copies")
            .to_text()
            .expect("the nodes write");
        let edited = edit_text(&text, &edits);
        let Some(clipboard) = Clipboard::from_text(&edited) else {
            return Ok(());
        };
        let mut document = checkout();
        let mut history = History::new(usize::MAX);
        let command = Command::Paste {
            clipboard,
            offset: [40.0, 40.0],
        };
        if history.execute(&mut document, &command).is_err() {
            prop_assert_eq!(&document, &checkout());
            return Ok(());
        }
        check_consistent(&document);
        history.undo(&mut document).expect("undo applies");
        prop_assert_eq!(&document, &checkout());
    }
}
