//! The faults of the Scenario panel: when each one is active, a window or random
//! failures, and what goes wrong, for every kind of fault.

use egui::{Id, Ui};

use crate::scenario::{
    BrokerOutageFault, CrashFault, Distribution, Duration, ErrorFault, Fault, FaultKind,
    LatencyFault, LinkRef, LossFault, OutageFault, OutageMode, PartitionDirection, PartitionFault,
    SlowConsumerFault, SlowFault,
};

use super::fields::{
    choice_ui, count_ui, duration_ui, field_ui, labelled_ui, marked, messages_ui, name_choice_ui,
    own_messages_ui, probability_ui, real_ui, stable_scope_ui,
};
use super::{Context, distribution_ui};

/// Window of a new fault and of one switched from random failures.
const DEFAULT_WINDOW: Duration = Duration::from_secs(10);

/// Mean time between failures of a fault switched to random failures.
const DEFAULT_MTBF: Duration = Duration::from_secs(60);

/// Mean time to repair of a fault switched to random failures.
const DEFAULT_MTTR: Duration = Duration::from_secs(5);

/// The names a fault may refer to, in document order.
struct Names {
    services: Vec<String>,
    queues: Vec<String>,
    nodes: Vec<String>,
}

impl Names {
    fn of(context: Context<'_>) -> Self {
        Self {
            services: context.scenario.services.keys().cloned().collect(),
            queues: context.queues(),
            nodes: context.nodes(),
        }
    }

    fn first_service(&self) -> String {
        self.services.first().cloned().unwrap_or_default()
    }

    fn first_queue(&self) -> String {
        self.queues.first().cloned().unwrap_or_default()
    }

    /// Two nodes joined by an edge, for a new link fault: the first client and the
    /// service it calls when there is one, else the first two nodes.
    fn first_link(&self, context: Context<'_>) -> LinkRef {
        let called = context.scenario.clients.iter().find_map(|(name, client)| {
            let service = client.target.split('.').next()?;
            context
                .scenario
                .services
                .contains_key(service)
                .then(|| (name.clone(), service.to_owned()))
        });
        let (from, to) = called.unwrap_or_else(|| {
            (
                self.nodes.first().cloned().unwrap_or_default(),
                self.nodes.get(1).cloned().unwrap_or_default(),
            )
        });
        LinkRef { from, to }
    }

    /// Returns a fault of the kind at `index` of [`FaultKind::NAMES`], on the first
    /// service, queue or link, with values the validator accepts.
    fn new_kind(&self, index: usize, context: Context<'_>) -> FaultKind {
        let service = self.first_service();
        match index {
            1 => FaultKind::Slow(SlowFault {
                service: Some(service),
                link: None,
                latency_multiplier: 3.0,
            }),
            2 => FaultKind::Errors(ErrorFault {
                service,
                probability: Some(0.5),
                first: None,
            }),
            3 => FaultKind::Crash(CrashFault {
                service,
                replica: None,
                mode: OutageMode::FailFast,
            }),
            4 => FaultKind::Latency(LatencyFault {
                service: Some(service),
                link: None,
                add: Distribution::Exponential {
                    mean: Duration::from_millis(20),
                },
            }),
            5 => {
                let link = self.first_link(context);
                FaultKind::Partition(PartitionFault {
                    between: [link.from, link.to],
                    direction: PartitionDirection::Both,
                })
            }
            6 => FaultKind::Loss(LossFault {
                link: self.first_link(context),
                probability: 0.1,
            }),
            7 => FaultKind::BrokerOutage(BrokerOutageFault {
                queue: self.first_queue(),
                mode: OutageMode::FailFast,
            }),
            8 => FaultKind::SlowConsumer(SlowConsumerFault {
                queue: self.first_queue(),
                latency_multiplier: 3.0,
            }),
            _ => FaultKind::Outage(OutageFault {
                service,
                mode: OutageMode::FailFast,
            }),
        }
    }
}

/// Edits the scheduled faults. Returns whether they changed.
pub fn faults_ui(ui: &mut Ui, faults: &mut Vec<Fault>, context: Context<'_>) -> bool {
    stable_scope_ui(ui, Id::unique("inspector-faults-scope"), |ui| {
        faults_fields_ui(ui, faults, context)
    })
}

fn faults_fields_ui(ui: &mut Ui, faults: &mut Vec<Fault>, context: Context<'_>) -> bool {
    let id = Id::unique("inspector-faults");
    let names = Names::of(context);
    let kinds: Vec<(usize, &str)> = FaultKind::NAMES.into_iter().enumerate().collect();
    let mut changed = false;
    let mut remove = None;
    for (index, fault) in faults.iter_mut().enumerate() {
        let path = format!("faults[{index}]");
        let fault_id = id.with(index);
        ui.group(|ui| {
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!("{}.", index + 1));
                let before = FaultKind::NAMES
                    .iter()
                    .position(|name| *name == fault.kind.name())
                    .unwrap_or(0);
                let mut kind = before;
                let chosen = labelled_ui(ui, "Kind", "the key of the fault's kind", |ui| {
                    choice_ui(ui, fault_id.with("kind"), &mut kind, &kinds)
                });
                if chosen && kind != before {
                    fault.kind = names.new_kind(kind, context);
                    changed = true;
                }
                if ui.small_button("Remove").clicked() {
                    remove = Some(index);
                }
            });
            own_messages_ui(ui, context.messages, &path);
            changed |= timing_ui(ui, fault_id, &path, fault, context);
            changed |= fault_kind_ui(ui, fault_id, &path, &mut fault.kind, &names, context);
        });
    }
    if let Some(index) = remove {
        faults.remove(index);
        changed = true;
    }
    if ui.button("Add a fault").clicked() {
        let at = faults.last().map_or(Duration::from_secs(10), |last| {
            Duration::from_nanos(last.at.as_nanos() + 10_000_000_000)
        });
        faults.push(Fault {
            at,
            duration: Some(DEFAULT_WINDOW),
            mtbf: None,
            mttr: None,
            kind: names.new_kind(0, context),
        });
        changed = true;
    }
    changed
}

/// Edits when a fault is active: one window from `at`, or random failures from `at`
/// with their mean times between failures and to repair.
fn timing_ui(ui: &mut Ui, id: Id, path: &str, fault: &mut Fault, context: Context<'_>) -> bool {
    let mut random = fault.duration.is_none() && (fault.mtbf.is_some() || fault.mttr.is_some());
    let mut changed = ui
        .horizontal_wrapped(|ui| {
            labelled_ui(ui, "Active", "for, or mtbf and mttr", |ui| {
                choice_ui(
                    ui,
                    id.with("timing"),
                    &mut random,
                    &[(false, "one window"), (true, "random failures")],
                )
            })
        })
        .inner;
    if changed {
        if random {
            fault.duration = None;
            fault.mtbf = Some(fault.mtbf.unwrap_or(DEFAULT_MTBF));
            fault.mttr = Some(fault.mttr.unwrap_or(DEFAULT_MTTR));
        } else {
            fault.mtbf = None;
            fault.mttr = None;
            fault.duration = Some(DEFAULT_WINDOW);
        }
    }
    let at_label = if fault.duration.is_some() {
        "At"
    } else {
        "From"
    };
    let messages = context.messages;
    ui.horizontal_wrapped(|ui| {
        let label = marked(ui, messages, &format!("{path}.at"), at_label);
        changed |= labelled_ui(ui, label, "at", |ui| {
            duration_ui(ui, id.with("at"), &mut fault.at)
        });
        for (label, key, value) in [
            ("for", "for", &mut fault.duration),
            ("MTBF", "mtbf", &mut fault.mtbf),
            ("MTTR", "mttr", &mut fault.mttr),
        ] {
            if let Some(value) = value {
                let label = marked(ui, messages, &format!("{path}.{key}"), label);
                changed |= labelled_ui(ui, label, key, |ui| duration_ui(ui, id.with(key), value));
            }
        }
    });
    for key in ["at", "for", "mtbf", "mttr"] {
        messages_ui(ui, context.messages, &format!("{path}.{key}"));
    }
    changed
}

const MODES: [(OutageMode, &str); 2] = [
    (OutageMode::FailFast, "an error at once"),
    (OutageMode::Timeout, "no answer"),
];

fn fault_kind_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    kind: &mut FaultKind,
    names: &Names,
    context: Context<'_>,
) -> bool {
    let messages = context.messages;
    let path = format!("{path}.{}", kind.name());
    let field = |key: &str| format!("{path}.{key}");
    own_messages_ui(ui, messages, &path);
    let service_ui = |ui: &mut Ui, service: &mut String| {
        field_ui(ui, messages, &field("service"), "Service", |ui| {
            name_choice_ui(ui, id.with("service"), service, &names.services)
        })
    };
    let queue_ui = |ui: &mut Ui, queue: &mut String| {
        field_ui(ui, messages, &field("queue"), "Queue", |ui| {
            name_choice_ui(ui, id.with("queue"), queue, &names.queues)
        })
    };
    let mode_ui = |ui: &mut Ui, label: &str, mode: &mut OutageMode| {
        field_ui(ui, messages, &field("mode"), label, |ui| {
            choice_ui(ui, id.with("mode"), mode, &MODES)
        })
    };
    let multiplier_ui = |ui: &mut Ui, multiplier: &mut f64| {
        field_ui(
            ui,
            messages,
            &field("latency_multiplier"),
            "Multiplier ×",
            |ui| real_ui(ui, multiplier, 0.0),
        )
    };
    match kind {
        FaultKind::Outage(outage) => {
            service_ui(ui, &mut outage.service) | mode_ui(ui, "Callers see", &mut outage.mode)
        }
        FaultKind::Slow(slow) => {
            let target = target_ui(
                ui,
                id,
                &path,
                &mut slow.service,
                &mut slow.link,
                names,
                context,
            );
            target | multiplier_ui(ui, &mut slow.latency_multiplier)
        }
        FaultKind::Errors(errors) => {
            let mut changed = service_ui(ui, &mut errors.service);
            let mut first = errors.first.is_some();
            let chosen = ui
                .horizontal_wrapped(|ui| {
                    labelled_ui(ui, "Fails", "probability or first", |ui| {
                        choice_ui(
                            ui,
                            id.with("errors"),
                            &mut first,
                            &[(false, "with a probability"), (true, "its first requests")],
                        )
                    })
                })
                .inner;
            if chosen {
                errors.first = first.then_some(errors.first.unwrap_or(10));
                errors.probability = (!first).then_some(errors.probability.unwrap_or(0.5));
                changed = true;
            }
            if let Some(probability) = &mut errors.probability {
                changed |= field_ui(ui, messages, &field("probability"), "Probability", |ui| {
                    probability_ui(ui, probability)
                });
            }
            if let Some(first) = &mut errors.first {
                changed |= field_ui(ui, messages, &field("first"), "First", |ui| {
                    let changed = count_ui(ui, first, 1, u64::MAX);
                    ui.label("requests");
                    changed
                });
            }
            changed
        }
        FaultKind::Crash(crash) => {
            let mut changed = service_ui(ui, &mut crash.service);
            let replicas = context
                .scenario
                .services
                .get(&crash.service)
                .map_or(1, |service| service.replicas);
            changed |= field_ui(ui, messages, &field("replica"), "Replica", |ui| {
                let mut one = crash.replica.is_some();
                let mut changed = false;
                if choice_ui(
                    ui,
                    id.with("replica-choice"),
                    &mut one,
                    &[(false, "every replica"), (true, "one replica")],
                ) {
                    crash.replica = one.then_some(0);
                    changed = true;
                }
                if let Some(replica) = &mut crash.replica {
                    changed |= labelled_ui(ui, "number", "from 0", |ui| {
                        count_ui(ui, replica, 0, replicas.saturating_sub(1))
                    });
                }
                changed
            });
            changed | mode_ui(ui, "Callers see", &mut crash.mode)
        }
        FaultKind::Latency(latency) => {
            let mut changed = target_ui(
                ui,
                id,
                &path,
                &mut latency.service,
                &mut latency.link,
                names,
                context,
            );
            ui.label("Time added");
            changed |= distribution_ui(
                ui,
                id.with("add"),
                &field("add"),
                &mut latency.add,
                messages,
            );
            changed
        }
        FaultKind::Partition(partition) => {
            let between = field("between");
            let [a, b] = &mut partition.between;
            let mut changed = field_ui(ui, messages, &between, "Between", |ui| {
                let changed = name_choice_ui(ui, id.with("a"), a, &names.nodes);
                changed
                    | labelled_ui(ui, "and", "", |ui| {
                        name_choice_ui(ui, id.with("b"), b, &names.nodes)
                    })
            });
            changed |= field_ui(ui, messages, &field("direction"), "Messages lost", |ui| {
                choice_ui(
                    ui,
                    id.with("direction"),
                    &mut partition.direction,
                    &[
                        (PartitionDirection::Both, "both ways"),
                        (PartitionDirection::OneWay, "first to second only"),
                    ],
                )
            });
            changed
        }
        FaultKind::Loss(loss) => {
            let changed = link_ui(ui, id, &field("link"), &mut loss.link, names, context);
            changed
                | field_ui(ui, messages, &field("probability"), "Probability", |ui| {
                    probability_ui(ui, &mut loss.probability)
                })
        }
        FaultKind::BrokerOutage(outage) => {
            queue_ui(ui, &mut outage.queue) | mode_ui(ui, "Publishers see", &mut outage.mode)
        }
        FaultKind::SlowConsumer(slow) => {
            queue_ui(ui, &mut slow.queue) | multiplier_ui(ui, &mut slow.latency_multiplier)
        }
    }
}

/// Edits the target of a slow or latency fault: a service, or the link between two
/// nodes. Exactly one of `service` and `link` is set.
fn target_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    service: &mut Option<String>,
    link: &mut Option<LinkRef>,
    names: &Names,
    context: Context<'_>,
) -> bool {
    let messages = context.messages;
    let mut on_link = link.is_some();
    let mut changed = ui
        .horizontal_wrapped(|ui| {
            labelled_ui(ui, "On", "service or link", |ui| {
                choice_ui(
                    ui,
                    id.with("target"),
                    &mut on_link,
                    &[(false, "a service"), (true, "a link")],
                )
            })
        })
        .inner;
    if changed {
        if on_link {
            *service = None;
            *link = Some(names.first_link(context));
        } else {
            *link = None;
            *service = Some(names.first_service());
        }
    }
    if let Some(service) = service {
        changed |= field_ui(ui, messages, &format!("{path}.service"), "Service", |ui| {
            name_choice_ui(ui, id.with("service"), service, &names.services)
        });
    }
    if let Some(link) = link {
        changed |= link_ui(ui, id, &format!("{path}.link"), link, names, context);
    }
    changed
}

/// Edits the two ends of the link at `path`.
fn link_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    link: &mut LinkRef,
    names: &Names,
    context: Context<'_>,
) -> bool {
    let messages = context.messages;
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        changed |= labelled_ui(ui, "Between", "from", |ui| {
            name_choice_ui(ui, id.with("from"), &mut link.from, &names.nodes)
        });
        changed |= labelled_ui(ui, "and", "to", |ui| {
            name_choice_ui(ui, id.with("to"), &mut link.to, &names.nodes)
        });
    });
    messages_ui(ui, messages, path);
    changed
}
