//! The inspector: typed fields for every setting of the selected client, service or
//! queue.
//!
//! Each function edits a copy of one node's value and returns whether the user changed
//! it. The app turns a change into one document command, so that the edit can be
//! undone. Each field shows the validation messages of its path, the same messages
//! that `topolab validate` prints.

mod brokers;
mod calls;
mod faults;
pub mod fields;
pub mod preview;
mod protections;

use egui::{Id, Ui};

use crate::editor::Settings;
use crate::scenario::distribution::{Lognormal, gamma};
use crate::scenario::{
    Arrivals, CallStep, Client, Consumer, DEFAULT_DURATION, DEFAULT_SEED, DEFAULT_WINDOW,
    Distribution, Duration, Link, LoadBalancing, Operation, Overflow, ParallelStep, PublishStep,
    Queue, Rate, RateChange, Scenario, Service, Step, WorkStep, Workload,
};
pub use faults::faults_ui;
use fields::{
    Messages, choice_ui, count_ui, duration_ui, field_ui, messages_ui, name_choice_ui,
    name_field_ui, optional_field_ui, optional_section_ui, optional_ui, own_messages_ui,
    probability_ui, rate_ui, real_ui, stable_scope_ui,
};

/// Largest counts the inspector offers, the same limits the file reader enforces.
const MAX_REPLICAS: u32 = 10_000;
const MAX_WORKERS: u32 = 100_000;
const MAX_USERS: u32 = 1_000_000;
const MAX_ATTEMPTS: u32 = 100;

/// The names in the document and its messages, which the inspector's fields refer to.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The document, for the names that references may choose from.
    pub scenario: &'a Scenario,
    /// The validation messages of the document.
    pub messages: Messages<'a>,
}

impl Context<'_> {
    /// Returns every operation as `service.operation`, in document order.
    fn operations(&self) -> Vec<String> {
        self.scenario
            .services
            .iter()
            .flat_map(|(service, s)| {
                s.operations
                    .keys()
                    .map(move |operation| format!("{service}.{operation}"))
            })
            .collect()
    }

    /// Returns every client, service and queue name, in document order.
    fn nodes(&self) -> Vec<String> {
        let scenario = self.scenario;
        scenario
            .clients
            .keys()
            .chain(scenario.services.keys())
            .chain(scenario.queues.keys())
            .cloned()
            .collect()
    }

    /// Returns every queue name, in document order.
    fn queues(&self) -> Vec<String> {
        self.scenario.queues.keys().cloned().collect()
    }
}

/// Edits a client. Returns whether it changed.
pub fn client_ui(ui: &mut Ui, name: &str, client: &mut Client, context: Context<'_>) -> bool {
    stable_scope_ui(ui, Id::unique(("inspector-client", name)), |ui| {
        client_fields_ui(ui, name, client, context)
    })
}

fn client_fields_ui(ui: &mut Ui, name: &str, client: &mut Client, context: Context<'_>) -> bool {
    let path = format!("clients.{name}");
    let id = Id::unique(("inspector", path.as_str()));
    let mut changed = false;
    own_messages_ui(ui, context.messages, &path);
    egui::Grid::new(id.with("grid"))
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Target");
            ui.vertical(|ui| {
                changed |= name_choice_ui(
                    ui,
                    id.with("target"),
                    &mut client.target,
                    &context.operations(),
                );
                messages_ui(ui, context.messages, &format!("{path}.target"));
            });
            ui.end_row();

            ui.label("Workload");
            let mut closed = matches!(client.workload, Workload::Closed { .. });
            ui.horizontal_wrapped(|ui| {
                let open = ui.radio_value(&mut closed, false, "Open").changed();
                let shut = ui.radio_value(&mut closed, true, "Closed").changed();
                if open || shut {
                    client.workload = if closed {
                        Workload::Closed {
                            users: 10,
                            think_time: Distribution::Constant(Duration::from_millis(100)),
                        }
                    } else {
                        Workload::Open {
                            arrivals: Arrivals::Poisson(Rate::per_sec(10.0)),
                            profile: Vec::new(),
                        }
                    };
                    changed = true;
                }
            });
            ui.end_row();
        });
    changed |= workload_ui(ui, id, &path, &mut client.workload, context.messages);
    ui.separator();
    changed |= calls::call_site_ui(
        ui,
        id,
        &path,
        calls::CallSite::of_client(client),
        context.messages,
    );
    changed
}

fn workload_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    workload: &mut Workload,
    messages: Messages<'_>,
) -> bool {
    let mut changed = false;
    match workload {
        Workload::Open { arrivals, profile } => {
            let poisson = matches!(arrivals, Arrivals::Poisson(_));
            let mut rate = arrivals.rate();
            let mut kind = poisson;
            ui.horizontal_wrapped(|ui| {
                ui.label("Arrivals");
                changed |= choice_ui(
                    ui,
                    id.with("arrivals"),
                    &mut kind,
                    &[(true, "poisson"), (false, "constant")],
                );
                changed |= rate_ui(ui, id.with("rate"), &mut rate);
            });
            *arrivals = if kind {
                Arrivals::Poisson(rate)
            } else {
                Arrivals::Constant(rate)
            };
            messages_ui(ui, messages, &format!("{path}.arrivals"));
            changed |= profile_ui(
                ui,
                id.with("profile"),
                &format!("{path}.profile"),
                profile,
                rate,
                messages,
            );
        }
        Workload::Closed { users, think_time } => {
            ui.horizontal_wrapped(|ui| {
                ui.label("Users");
                changed |= count_ui(ui, users, 1, MAX_USERS);
            });
            messages_ui(ui, messages, &format!("{path}.users"));
            ui.label("Think time");
            changed |= distribution_ui(
                ui,
                id.with("think"),
                &format!("{path}.think_time"),
                think_time,
                messages,
            );
        }
    }
    changed
}

fn profile_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    profile: &mut Vec<RateChange>,
    base: Rate,
    messages: Messages<'_>,
) -> bool {
    let mut changed = false;
    let mut remove = None;
    ui.collapsing(
        format!(
            "Rate profile ({})",
            crate::scenario::diagnostic::counted(profile.len(), "change", "changes")
        ),
        |ui| {
            for (index, change) in profile.iter_mut().enumerate() {
                let id = id.with(index);
                ui.horizontal_wrapped(|ui| {
                    ui.label("At");
                    changed |= duration_ui(ui, id.with("at"), &mut change.at);
                    ui.label("Rate");
                    changed |= rate_ui(ui, id.with("rate"), &mut change.rate);
                    changed |= optional_ui(
                        ui,
                        "Ramp",
                        &mut change.ramp,
                        || Duration::from_secs(10),
                        |ui, ramp| duration_ui(ui, id.with("ramp"), ramp),
                    );
                    if ui
                        .small_button("Remove")
                        .on_hover_text("Remove this change")
                        .clicked()
                    {
                        remove = Some(index);
                    }
                });
                messages_ui(ui, messages, &format!("{path}[{index}]"));
            }
            if ui.button("Add a change").clicked() {
                let at = profile.last().map_or(Duration::from_secs(30), |last| {
                    Duration::from_nanos(last.at.as_nanos() + 30_000_000_000)
                });
                profile.push(RateChange {
                    at,
                    rate: base.scaled(2.0),
                    ramp: None,
                });
                changed = true;
            }
        },
    );
    if let Some(index) = remove {
        profile.remove(index);
        changed = true;
    }
    changed
}

/// Edits a service and its operations. Returns whether it changed. Renamed operations
/// are not changed in `service` but listed in `renames` as (old name, new name), because
/// a rename also changes the references to the operation elsewhere.
pub fn service_ui(
    ui: &mut Ui,
    name: &str,
    service: &mut Service,
    renames: &mut Vec<(String, String)>,
    context: Context<'_>,
) -> bool {
    stable_scope_ui(ui, Id::unique(("inspector-service", name)), |ui| {
        service_fields_ui(ui, name, service, renames, context)
    })
}

fn service_fields_ui(
    ui: &mut Ui,
    name: &str,
    service: &mut Service,
    renames: &mut Vec<(String, String)>,
    context: Context<'_>,
) -> bool {
    let path = format!("services.{name}");
    let id = Id::unique(("inspector", path.as_str()));
    let mut changed = false;
    own_messages_ui(ui, context.messages, &path);
    let field = |key: &str| format!("{path}.{key}");
    changed |= field_ui(ui, context.messages, &field("replicas"), "Replicas", |ui| {
        count_ui(ui, &mut service.replicas, 1, MAX_REPLICAS)
    });
    changed |= field_ui(
        ui,
        context.messages,
        &field("workers"),
        "Workers per replica",
        |ui| count_ui(ui, &mut service.workers, 1, MAX_WORKERS),
    );
    changed |= field_ui(
        ui,
        context.messages,
        &field("load_balancing"),
        "Load balancing",
        |ui| {
            choice_ui(
                ui,
                id.with("lb"),
                &mut service.load_balancing,
                &[
                    (LoadBalancing::RoundRobin, "round-robin"),
                    (LoadBalancing::Random, "random"),
                    (LoadBalancing::LeastOutstanding, "least-outstanding"),
                ],
            )
        },
    );
    changed |= optional_field_ui(
        ui,
        context.messages,
        &format!("{path}.queue_capacity"),
        "Inbound queue capacity per replica",
        &mut service.queue_capacity,
        || 100,
        |ui, capacity| count_ui(ui, capacity, 0, u32::MAX),
    );
    changed |= protections::service_protections_ui(ui, id, &path, service, context.messages);

    ui.separator();
    ui.strong("Operations");
    own_messages_ui(ui, context.messages, &format!("{path}.operations"));
    let mut remove = None;
    let count = service.operations.len();
    for (index, (operation_name, operation)) in service.operations.iter_mut().enumerate() {
        let op_path = format!("{path}.operations.{operation_name}");
        let op_id = id.with(("operation", index));
        egui::CollapsingHeader::new(operation_name.as_str())
            .id_salt(op_id)
            .default_open(count <= 2)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Name");
                    if let Some(new_name) = name_field_ui(ui, op_id.with("name"), operation_name) {
                        renames.push((operation_name.clone(), new_name));
                    }
                });
                changed |= operation_ui(ui, op_id, &op_path, operation, context);
                if ui.button("Remove operation").clicked() {
                    remove = Some(index);
                }
            });
    }
    if let Some(index) = remove {
        service.operations.shift_remove_index(index);
        changed = true;
    }
    if ui.button("Add an operation").clicked() {
        let taken: Vec<&str> = service.operations.keys().map(String::as_str).collect();
        let name = fresh_name(&taken, "operation");
        service
            .operations
            .insert(name, crate::editor::document::new_operation());
        changed = true;
    }
    changed
}

/// Returns `stem`, or the first of `stem-2`, `stem-3` and so on that `taken` does not
/// contain.
#[must_use]
pub fn fresh_name(taken: &[&str], stem: &str) -> String {
    if !taken.contains(&stem) {
        return stem.to_owned();
    }
    // One of the first `taken.len() + 1` candidates is free, so the search ends.
    (2..=taken.len() + 2)
        .map(|n| format!("{stem}-{n}"))
        .find(|candidate| !taken.contains(&candidate.as_str()))
        .unwrap_or_else(|| stem.to_owned())
}

fn operation_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    operation: &mut Operation,
    context: Context<'_>,
) -> bool {
    let mut changed = false;
    own_messages_ui(ui, context.messages, path);
    ui.label("Service time");
    changed |= distribution_ui(
        ui,
        id.with("service_time"),
        &format!("{path}.service_time"),
        &mut operation.service_time,
        context.messages,
    );
    ui.horizontal_wrapped(|ui| {
        ui.label("Error probability");
        changed |= probability_ui(ui, &mut operation.error_probability);
    });
    messages_ui(ui, context.messages, &format!("{path}.error_probability"));

    ui.label(format!("Steps ({})", operation.steps.len()));
    let steps_path = format!("{path}.steps");
    own_messages_ui(ui, context.messages, &steps_path);
    let mut action = None;
    let last = operation.steps.len().saturating_sub(1);
    for (index, step) in operation.steps.iter_mut().enumerate() {
        let step_id = id.with(("step", index));
        let step_path = format!("{steps_path}[{index}]");
        ui.group(|ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("{}.", index + 1));
                changed |= step_kind_ui(ui, step_id, step, context);
                if ui
                    .add_enabled(index > 0, egui::Button::new("Up").small())
                    .on_hover_text("Move up")
                    .clicked()
                {
                    action = Some(StepAction::Swap(index - 1, index));
                }
                if ui
                    .add_enabled(index < last, egui::Button::new("Down").small())
                    .on_hover_text("Move down")
                    .clicked()
                {
                    action = Some(StepAction::Swap(index, index + 1));
                }
                if ui
                    .small_button("Remove")
                    .on_hover_text("Remove this step")
                    .clicked()
                {
                    action = Some(StepAction::Remove(index));
                }
            });
            own_messages_ui(ui, context.messages, &step_path);
            changed |= step_ui(ui, step_id, &step_path, step, context);
        });
    }
    match action {
        Some(StepAction::Swap(a, b)) => {
            operation.steps.swap(a, b);
            changed = true;
        }
        Some(StepAction::Remove(index)) => {
            operation.steps.remove(index);
            changed = true;
        }
        None => {}
    }
    if ui.button("Add a step").clicked() {
        operation.steps.push(Step::Work(WorkStep {
            work: Distribution::Constant(Duration::from_millis(1)),
        }));
        changed = true;
    }
    changed
}

enum StepAction {
    Swap(usize, usize),
    Remove(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StepKind {
    Call,
    Publish,
    Parallel,
    Work,
}

fn step_kind_ui(ui: &mut Ui, id: Id, step: &mut Step, context: Context<'_>) -> bool {
    let before = match step {
        Step::Call(_) => StepKind::Call,
        Step::Publish(_) => StepKind::Publish,
        Step::Parallel(_) => StepKind::Parallel,
        Step::Work(_) => StepKind::Work,
    };
    let mut kind = before;
    let changed = choice_ui(
        ui,
        id.with("kind"),
        &mut kind,
        &[
            (StepKind::Call, "call"),
            (StepKind::Publish, "publish"),
            (StepKind::Parallel, "parallel"),
            (StepKind::Work, "work"),
        ],
    );
    if !changed || kind == before {
        return false;
    }
    // A call keeps its settings when it becomes a parallel step's first call, and back.
    let kept = match step {
        Step::Call(call) => Some(call.clone()),
        Step::Parallel(parallel) => parallel.parallel.first().cloned(),
        Step::Publish(_) | Step::Work(_) => None,
    };
    let call = kept.unwrap_or_else(|| CallStep {
        call: context.operations().into_iter().next().unwrap_or_default(),
        timeout: None,
        retry: None,
        circuit_breaker: None,
        bulkhead: None,
        retry_budget: None,
        deadline: None,
    });
    *step = match kind {
        StepKind::Call => Step::Call(call),
        StepKind::Publish => Step::Publish(PublishStep {
            publish: context.queues().into_iter().next().unwrap_or_default(),
            timeout: None,
            retry: None,
        }),
        StepKind::Parallel => Step::Parallel(ParallelStep {
            parallel: vec![call],
        }),
        StepKind::Work => Step::Work(WorkStep {
            work: Distribution::Constant(Duration::from_millis(1)),
        }),
    };
    true
}

fn step_ui(ui: &mut Ui, id: Id, path: &str, step: &mut Step, context: Context<'_>) -> bool {
    match step {
        Step::Call(call) => call_ui(ui, id, path, call, context),
        Step::Publish(publish) => {
            let mut changed = false;
            ui.horizontal_wrapped(|ui| {
                ui.label("Queue");
                changed |= name_choice_ui(
                    ui,
                    id.with("queue"),
                    &mut publish.publish,
                    &context.queues(),
                );
            });
            messages_ui(ui, context.messages, &format!("{path}.publish"));
            changed |= calls::attempts_ui(
                ui,
                id,
                path,
                &mut publish.timeout,
                &mut publish.retry,
                context.messages,
            );
            changed
        }
        Step::Parallel(parallel) => {
            let mut changed = false;
            let mut remove = None;
            for (index, call) in parallel.parallel.iter_mut().enumerate() {
                let call_path = format!("{path}.parallel[{index}]");
                ui.group(|ui| {
                    changed |= call_ui(ui, id.with(index), &call_path, call, context);
                    if ui.small_button("Remove call").clicked() {
                        remove = Some(index);
                    }
                });
            }
            if let Some(index) = remove {
                parallel.parallel.remove(index);
                changed = true;
            }
            if ui.button("Add a call").clicked() {
                parallel.parallel.push(CallStep {
                    call: context.operations().into_iter().next().unwrap_or_default(),
                    timeout: None,
                    retry: None,
                    circuit_breaker: None,
                    bulkhead: None,
                    retry_budget: None,
                    deadline: None,
                });
                changed = true;
            }
            changed
        }
        Step::Work(work) => distribution_ui(
            ui,
            id.with("work"),
            &format!("{path}.work"),
            &mut work.work,
            context.messages,
        ),
    }
}

fn call_ui(ui: &mut Ui, id: Id, path: &str, call: &mut CallStep, context: Context<'_>) -> bool {
    let mut changed = field_ui(
        ui,
        context.messages,
        &format!("{path}.call"),
        "Operation",
        |ui| name_choice_ui(ui, id.with("call"), &mut call.call, &context.operations()),
    );
    changed |= calls::call_site_ui(
        ui,
        id,
        path,
        calls::CallSite::of_call(call),
        context.messages,
    );
    changed
}

/// Edits a queue. Returns whether it changed.
pub fn queue_ui(ui: &mut Ui, name: &str, queue: &mut Queue, context: Context<'_>) -> bool {
    stable_scope_ui(ui, Id::unique(("inspector-queue", name)), |ui| {
        queue_fields_ui(ui, name, queue, context)
    })
}

fn queue_fields_ui(ui: &mut Ui, name: &str, queue: &mut Queue, context: Context<'_>) -> bool {
    let path = format!("queues.{name}");
    let id = Id::unique(("inspector", path.as_str()));
    let mut changed = false;
    own_messages_ui(ui, context.messages, &path);
    changed |= optional_field_ui(
        ui,
        context.messages,
        &format!("{path}.capacity"),
        "Capacity",
        &mut queue.capacity,
        || 1_000,
        |ui, capacity| count_ui(ui, capacity, 1, u64::MAX),
    );
    changed |= field_ui(
        ui,
        context.messages,
        &format!("{path}.overflow"),
        "When full",
        |ui| {
            choice_ui(
                ui,
                id.with("overflow"),
                &mut queue.overflow,
                &[
                    (Overflow::Reject, "reject the publish"),
                    (Overflow::DropOldest, "drop the oldest"),
                    (Overflow::Block, "block the publisher"),
                    (Overflow::DropHead, "drop the head (RabbitMQ)"),
                    (Overflow::RejectPublish, "reject the publish (RabbitMQ)"),
                    (
                        Overflow::RejectPublishDlx,
                        "reject and dead-letter (RabbitMQ)",
                    ),
                ],
            )
        },
    );
    changed |= field_ui(
        ui,
        context.messages,
        &format!("{path}.max_deliveries"),
        "Deliveries before dead-lettering",
        |ui| count_ui(ui, &mut queue.max_deliveries, 1, MAX_ATTEMPTS),
    );

    let others: Vec<String> = context.queues().into_iter().filter(|q| q != name).collect();
    changed |= optional_ui(
        ui,
        "Dead-letter queue",
        &mut queue.dead_letter,
        || others.first().cloned().unwrap_or_default(),
        |ui, target| name_choice_ui(ui, id.with("dlq"), target, &others),
    );
    messages_ui(ui, context.messages, &format!("{path}.dead_letter"));

    ui.separator();
    let operations = context.operations();
    let consumer_path = format!("{path}.consumer");
    changed |= optional_section_ui(
        ui,
        id.with("consumer"),
        context.messages,
        &consumer_path,
        "Consumer",
        &mut queue.consumer,
        || Consumer {
            operation: operations.first().cloned().unwrap_or_default(),
            concurrency: 1,
        },
        |ui, consumer| {
            let mut changed = field_ui(
                ui,
                context.messages,
                &format!("{consumer_path}.operation"),
                "Operation",
                |ui| {
                    name_choice_ui(
                        ui,
                        id.with("consumer-op"),
                        &mut consumer.operation,
                        &operations,
                    )
                },
            );
            changed |= field_ui(
                ui,
                context.messages,
                &format!("{consumer_path}.concurrency"),
                "Concurrency per replica",
                |ui| count_ui(ui, &mut consumer.concurrency, 1, MAX_WORKERS),
            );
            changed
        },
    );
    changed |= brokers::broker_section_ui(ui, id.with("broker"), &path, queue, context.messages);
    changed
}

/// Edits the scenario's title, description, network defaults and run settings.
/// Returns whether they changed.
pub fn settings_ui(ui: &mut Ui, settings: &mut Settings, messages: Messages<'_>) -> bool {
    stable_scope_ui(ui, Id::unique("inspector-settings-scope"), |ui| {
        settings_fields_ui(ui, settings, messages)
    })
}

fn settings_fields_ui(ui: &mut Ui, settings: &mut Settings, messages: Messages<'_>) -> bool {
    let id = Id::unique("inspector-settings");
    let mut changed = false;
    ui.label("Title");
    let mut name = settings.name.clone().unwrap_or_default();
    if ui
        .add(egui::TextEdit::singleline(&mut name).id(id.with("name")))
        .changed()
    {
        settings.name = (!name.trim().is_empty()).then_some(name);
        changed = true;
    }
    ui.label("Description (Markdown)");
    let mut description = settings.description.clone().unwrap_or_default();
    if ui
        .add(
            egui::TextEdit::multiline(&mut description)
                .id(id.with("description"))
                .desired_rows(4),
        )
        .changed()
    {
        settings.description = (!description.trim().is_empty()).then_some(description);
        changed = true;
    }

    ui.separator();
    ui.strong("Network defaults");
    ui.label("Latency of every edge without a link of its own");
    changed |= distribution_ui(
        ui,
        id.with("latency"),
        "defaults.network_latency",
        &mut settings.defaults.network_latency,
        messages,
    );
    ui.horizontal_wrapped(|ui| {
        ui.label("Loss probability");
        changed |= probability_ui(ui, &mut settings.defaults.loss);
    });
    messages_ui(ui, messages, "defaults.loss");

    ui.separator();
    ui.strong("Run");
    ui.label(
        "Defaults of every run; a seed or duration set in the toolbar replaces them until \
         another file opens or the value changes here",
    );
    let run = &mut settings.run;
    for (label, field, value, default) in [
        ("Duration", "duration", &mut run.duration, DEFAULT_DURATION),
        ("Warm-up", "warmup", &mut run.warmup, Duration::ZERO),
        ("Window", "window", &mut run.window, DEFAULT_WINDOW),
    ] {
        changed |= optional_ui(
            ui,
            label,
            value,
            || default,
            |ui, value| duration_ui(ui, id.with(field), value),
        );
        messages_ui(ui, messages, &format!("run.{field}"));
    }
    changed |= optional_ui(
        ui,
        "Seed",
        &mut run.seed,
        || DEFAULT_SEED,
        |ui, seed| count_ui(ui, seed, 0, u64::MAX),
    );
    changed
}

/// Edits the links: per-edge latency and loss. Returns whether they changed.
pub fn links_ui(ui: &mut Ui, links: &mut Vec<Link>, context: Context<'_>) -> bool {
    stable_scope_ui(ui, Id::unique("inspector-links-scope"), |ui| {
        links_fields_ui(ui, links, context)
    })
}

fn links_fields_ui(ui: &mut Ui, links: &mut Vec<Link>, context: Context<'_>) -> bool {
    let id = Id::unique("inspector-links");
    let names = context.nodes();
    let mut changed = false;
    let mut remove = None;
    for (index, link) in links.iter_mut().enumerate() {
        let path = format!("links[{index}]");
        let link_id = id.with(index);
        ui.group(|ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Between");
                changed |= name_choice_ui(ui, link_id.with("from"), &mut link.from, &names);
                ui.label("and");
                changed |= name_choice_ui(ui, link_id.with("to"), &mut link.to, &names);
                if ui.small_button("Remove").clicked() {
                    remove = Some(index);
                }
            });
            own_messages_ui(ui, context.messages, &path);
            for field in ["from", "to"] {
                messages_ui(ui, context.messages, &format!("{path}.{field}"));
            }
            changed |= optional_ui(
                ui,
                "Latency",
                &mut link.latency,
                || Distribution::Constant(Duration::from_millis(1)),
                |_, _| false,
            );
            if let Some(latency) = &mut link.latency {
                changed |= distribution_ui(
                    ui,
                    link_id.with("latency"),
                    &format!("{path}.latency"),
                    latency,
                    context.messages,
                );
            }
            changed |= optional_field_ui(
                ui,
                context.messages,
                &format!("{path}.loss"),
                "Loss probability",
                &mut link.loss,
                || 0.01,
                probability_ui,
            );
        });
    }
    if let Some(index) = remove {
        links.remove(index);
        changed = true;
    }
    if ui.button("Add a link").clicked() {
        links.push(Link {
            from: names.first().cloned().unwrap_or_default(),
            to: names.get(1).cloned().unwrap_or_default(),
            latency: Some(Distribution::Constant(Duration::from_millis(1))),
            loss: None,
        });
        changed = true;
    }
    changed
}

/// The kinds of distribution, in picker order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DistributionKind {
    Constant,
    Exponential,
    Uniform,
    Normal,
    Lognormal,
    Erlang,
    Pareto,
    Weibull,
    Empirical,
}

const DISTRIBUTION_KINDS: [(DistributionKind, &str); 9] = [
    (DistributionKind::Constant, "constant"),
    (DistributionKind::Exponential, "exponential"),
    (DistributionKind::Uniform, "uniform"),
    (DistributionKind::Normal, "normal"),
    (DistributionKind::Lognormal, "lognormal"),
    (DistributionKind::Erlang, "erlang"),
    (DistributionKind::Pareto, "pareto"),
    (DistributionKind::Weibull, "weibull"),
    (DistributionKind::Empirical, "empirical"),
];

fn kind_of(distribution: &Distribution) -> DistributionKind {
    match distribution {
        Distribution::Constant(_) => DistributionKind::Constant,
        Distribution::Exponential { .. } => DistributionKind::Exponential,
        Distribution::Uniform { .. } => DistributionKind::Uniform,
        Distribution::Normal { .. } => DistributionKind::Normal,
        Distribution::Lognormal(_) => DistributionKind::Lognormal,
        Distribution::Erlang { .. } => DistributionKind::Erlang,
        Distribution::Pareto { .. } => DistributionKind::Pareto,
        Distribution::Weibull { .. } => DistributionKind::Weibull,
        Distribution::Empirical { .. } => DistributionKind::Empirical,
    }
}

/// Returns a distribution of `kind` with about the same mean as `mean_secs`, so that
/// switching the kind keeps the scale the user chose.
fn switched(kind: DistributionKind, mean_secs: f64) -> Distribution {
    let mean_nanos = if mean_secs.is_finite() && mean_secs > 0.0 {
        (mean_secs * 1e9).round() as u64
    } else {
        10_000_000
    };
    let mean = Duration::from_nanos(mean_nanos);
    let part = |factor: f64| Duration::from_nanos((mean_nanos as f64 * factor).round() as u64);
    match kind {
        DistributionKind::Constant => Distribution::Constant(mean),
        DistributionKind::Exponential => Distribution::Exponential { mean },
        DistributionKind::Uniform => Distribution::Uniform {
            min: part(0.5),
            max: part(1.5),
        },
        DistributionKind::Normal => Distribution::Normal {
            mean,
            stddev: part(0.25),
        },
        DistributionKind::Lognormal => Distribution::Lognormal(Lognormal::MeanP99 {
            mean,
            p99: part(4.0),
        }),
        DistributionKind::Erlang => Distribution::Erlang { k: 2, mean },
        DistributionKind::Pareto => Distribution::Pareto {
            scale: part(2.0 / 3.0),
            shape: 3.0,
        },
        DistributionKind::Weibull => Distribution::Weibull {
            scale: part(1.0 / gamma(1.0 + 1.0 / 1.5)),
            shape: 1.5,
        },
        DistributionKind::Empirical => Distribution::Empirical {
            values: vec![part(0.5), mean, part(1.5)],
            weights: None,
        },
    }
}

/// Edits a distribution: its kind, its parameters and a preview of its draws.
/// Returns whether it changed.
pub fn distribution_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    distribution: &mut Distribution,
    messages: Messages<'_>,
) -> bool {
    let mut changed = false;
    let before = kind_of(distribution);
    let mut kind = before;
    ui.horizontal_wrapped(|ui| {
        if choice_ui(ui, id.with("kind"), &mut kind, &DISTRIBUTION_KINDS) && kind != before {
            let mean = if distribution.check().is_empty() {
                distribution.mean_secs()
            } else {
                f64::NAN
            };
            *distribution = switched(kind, mean);
            changed = true;
        }
        changed |= parameters_ui(ui, id, distribution);
    });
    messages_ui(ui, messages, path);
    preview::preview_ui(
        ui,
        id.with("preview"),
        distribution,
        messages.any_under(path),
    );
    changed
}

fn parameters_ui(ui: &mut Ui, id: Id, distribution: &mut Distribution) -> bool {
    let mut changed = false;
    let duration = |ui: &mut Ui, label: &str, value: &mut Duration| {
        ui.label(label);
        duration_ui(ui, id.with(label), value)
    };
    match distribution {
        Distribution::Constant(value) => changed |= duration(ui, "value", value),
        Distribution::Exponential { mean } => changed |= duration(ui, "mean", mean),
        Distribution::Uniform { min, max } => {
            changed |= duration(ui, "min", min);
            changed |= duration(ui, "max", max);
        }
        Distribution::Normal { mean, stddev } => {
            changed |= duration(ui, "mean", mean);
            changed |= duration(ui, "stddev", stddev);
        }
        Distribution::Lognormal(Lognormal::MeanP99 { mean, p99 }) => {
            changed |= duration(ui, "mean", mean);
            changed |= duration(ui, "p99", p99);
        }
        Distribution::Lognormal(Lognormal::MuSigma { mu, sigma }) => {
            ui.label("mu");
            changed |= real_ui(ui, mu, f64::MIN);
            ui.label("sigma");
            changed |= real_ui(ui, sigma, 0.0);
        }
        Distribution::Erlang { k, mean } => {
            ui.label("k");
            changed |= count_ui(ui, k, 1, 1_000);
            changed |= duration(ui, "mean", mean);
        }
        Distribution::Pareto { scale, shape } | Distribution::Weibull { scale, shape } => {
            changed |= duration(ui, "scale", scale);
            ui.label("shape");
            changed |= real_ui(ui, shape, 0.0);
        }
        Distribution::Empirical { values, weights } => {
            changed |= empirical_ui(ui, id, values, weights);
        }
    }
    changed
}

fn empirical_ui(
    ui: &mut Ui,
    id: Id,
    values: &mut Vec<Duration>,
    weights: &mut Option<Vec<f64>>,
) -> bool {
    let mut changed = false;
    let mut remove = None;
    ui.vertical(|ui| {
        let mut weighted = weights.is_some();
        if ui.checkbox(&mut weighted, "weights").changed() {
            *weights = weighted.then(|| vec![1.0; values.len()]);
            changed = true;
        }
        for index in 0..values.len() {
            ui.horizontal_wrapped(|ui| {
                changed |= duration_ui(ui, id.with(("value", index)), &mut values[index]);
                if let Some(weights) = weights.as_mut()
                    && let Some(weight) = weights.get_mut(index)
                {
                    ui.label("weight");
                    changed |= real_ui(ui, weight, 0.0);
                }
                if values.len() > 1 && ui.small_button("Remove").clicked() {
                    remove = Some(index);
                }
            });
        }
        if ui.small_button("Add a value").clicked() {
            values.push(values.last().copied().unwrap_or(Duration::from_millis(1)));
            if let Some(weights) = weights.as_mut() {
                weights.push(1.0);
            }
            changed = true;
        }
    });
    if let Some(index) = remove {
        values.remove(index);
        if let Some(weights) = weights.as_mut()
            && index < weights.len()
        {
            weights.remove(index);
        }
        changed = true;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_names_skip_taken_ones() {
        let taken = ["service", "service-2"];
        assert_eq!(fresh_name(&taken, "service"), "service-3");
        assert_eq!(fresh_name(&taken, "queue"), "queue");
    }

    #[test]
    fn switching_kind_keeps_the_mean() {
        for (kind, _) in DISTRIBUTION_KINDS {
            let distribution = switched(kind, 0.02);
            assert!(
                distribution.check().is_empty(),
                "{kind:?}: {:?}",
                distribution.check()
            );
            let mean = distribution.mean_secs();
            // The normal is truncated at zero, four standard deviations below its mean,
            // which moves its mean by about 3e-5 of it.
            assert!(
                (mean - 0.02).abs() < 0.02 * 1e-4,
                "{kind:?} has mean {mean}"
            );
        }
    }
}
