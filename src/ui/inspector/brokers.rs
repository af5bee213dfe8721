//! The broker settings of a queue: its preset and the settings that make it
//! RabbitMQ-, SQS-, Kafka-like or database-backed.
//!
//! A preset fills, when the file is read, the settings that the queue leaves out
//! ([`BrokerSettings::of_queue`]). The inspector does the same: choosing a preset writes
//! only `preset`, and each setting the queue leaves out shows the preset's value, marked
//! as coming from it, until the user checks the setting to override it.

use egui::{Id, RichText, Ui};

use crate::scenario::brokers::{
    BrokerKind, BrokerSettings, DEFAULT_SESSION_TIMEOUT, MAX_BATCH_SIZE, MAX_PARTITIONS,
    MAX_PREFETCH,
};
use crate::scenario::{Duration, Preset, Queue};

use super::fields::{
    Messages, choice_ui, count_ui, duration_ui, field_ui, inherited_ui, marked, messages_ui,
};

/// The keys of a queue's broker settings, the preset first.
const KEYS: [&str; 11] = [
    "preset",
    "prefetch",
    "requeue",
    "message_ttl",
    "visibility_timeout",
    "partitions",
    "keys",
    "retention",
    "session_timeout",
    "poll_interval",
    "batch_size",
];

/// Shows the broker settings of the queue at `path` under a collapsible header, open at
/// first when the queue has any, and in the error colour while one has an error.
/// Returns whether any changed.
pub fn broker_section_ui(
    ui: &mut Ui,
    id: Id,
    path: &str,
    queue: &mut Queue,
    messages: Messages<'_>,
) -> bool {
    let error = KEYS.iter().any(|key| {
        messages
            .under(&format!("{path}.{key}"))
            .any(crate::scenario::Diagnostic::is_error)
    });
    let title = if error {
        RichText::new("Broker").color(ui.visuals().error_fg_color)
    } else {
        RichText::new("Broker")
    };
    egui::CollapsingHeader::new(title)
        .id_salt(id)
        .default_open(error || BrokerSettings::of_queue(queue).any())
        .show(ui, |ui| broker_ui(ui, id, path, queue, messages))
        .body_returned
        .unwrap_or(false)
}

/// Edits the preset and broker settings of the queue at `path`. Returns whether any
/// changed.
fn broker_ui(ui: &mut Ui, id: Id, path: &str, queue: &mut Queue, messages: Messages<'_>) -> bool {
    let mut changed = field_ui(ui, messages, &format!("{path}.preset"), "Preset", |ui| {
        let mut choices = vec![(None, "none")];
        choices.extend(
            Preset::ALL
                .into_iter()
                .zip(Preset::NAMES)
                .map(|(preset, name)| (Some(preset), name)),
        );
        choice_ui(ui, id.with("preset"), &mut queue.preset, &choices)
    });
    let settings = BrokerSettings::of_queue(queue);
    ui.weak(if settings.any() {
        format!("Behaves like {}.", settings.kind().describe())
    } else {
        "No broker settings: a plain queue.".to_owned()
    });
    let source = queue.preset.map(|preset| {
        let name = Preset::NAMES[Preset::ALL.iter().position(|p| *p == preset).unwrap_or(0)];
        format!("the {name} preset")
    });
    let source = source.as_deref();
    let inherited = queue
        .preset
        .map(BrokerSettings::of_preset)
        .unwrap_or_default();
    let field = |key: &str| format!("{path}.{key}");

    ui.label(RichText::new(kind_title(BrokerKind::Rabbitmq)).strong());
    changed |= setting_ui(ui, messages, &field("prefetch"), "Prefetch", |ui, label| {
        inherited_ui(
            ui,
            label,
            &mut queue.prefetch,
            from(source, inherited.prefetch),
            || 1,
            |ui, prefetch| count_ui(ui, prefetch, 1, MAX_PREFETCH),
        )
    });
    changed |= setting_ui(ui, messages, &field("requeue"), "Requeue", |ui, label| {
        inherited_ui(
            ui,
            label,
            &mut queue.requeue,
            from(source, inherited.requeue),
            || true,
            |ui, requeue| {
                choice_ui(
                    ui,
                    id.with("requeue"),
                    requeue,
                    &[(true, "back to the head"), (false, "dead-letter at once")],
                )
            },
        )
    });
    changed |= setting_ui(
        ui,
        messages,
        &field("message_ttl"),
        "Message TTL",
        |ui, label| {
            inherited_ui(
                ui,
                label,
                &mut queue.message_ttl,
                from(source, inherited.message_ttl),
                || Duration::from_secs(60),
                |ui, ttl| duration_ui(ui, id.with("message_ttl"), ttl),
            )
        },
    );

    ui.label(RichText::new(kind_title(BrokerKind::Sqs)).strong());
    changed |= setting_ui(
        ui,
        messages,
        &field("visibility_timeout"),
        "Visibility timeout",
        |ui, label| {
            inherited_ui(
                ui,
                label,
                &mut queue.visibility_timeout,
                from(source, inherited.visibility_timeout),
                || Duration::from_secs(30),
                |ui, timeout| duration_ui(ui, id.with("visibility_timeout"), timeout),
            )
        },
    );

    ui.label(RichText::new(kind_title(BrokerKind::Kafka)).strong());
    changed |= setting_ui(
        ui,
        messages,
        &field("partitions"),
        "Partitions",
        |ui, label| {
            inherited_ui(
                ui,
                label,
                &mut queue.partitions,
                from(source, inherited.partitions),
                || 1,
                |ui, partitions| count_ui(ui, partitions, 1, MAX_PARTITIONS),
            )
        },
    );
    changed |= setting_ui(ui, messages, &field("keys"), "Keys", |ui, label| {
        inherited_ui(
            ui,
            label,
            &mut queue.keys,
            from(source, inherited.keys),
            || 100,
            |ui, keys| count_ui(ui, keys, 1, u32::MAX),
        )
    });
    changed |= setting_ui(
        ui,
        messages,
        &field("retention"),
        "Retention",
        |ui, label| {
            inherited_ui(
                ui,
                label,
                &mut queue.retention,
                from(source, inherited.retention),
                || Duration::from_secs(7 * 24 * 3600),
                |ui, retention| duration_ui(ui, id.with("retention"), retention),
            )
        },
    );
    changed |= setting_ui(
        ui,
        messages,
        &field("session_timeout"),
        "Session timeout",
        |ui, label| {
            inherited_ui(
                ui,
                label,
                &mut queue.session_timeout,
                from(source, inherited.session_timeout),
                || DEFAULT_SESSION_TIMEOUT,
                |ui, timeout| duration_ui(ui, id.with("session_timeout"), timeout),
            )
        },
    );

    ui.label(RichText::new(kind_title(BrokerKind::DbPoll)).strong());
    changed |= setting_ui(
        ui,
        messages,
        &field("poll_interval"),
        "Poll interval",
        |ui, label| {
            inherited_ui(
                ui,
                label,
                &mut queue.poll_interval,
                from(source, inherited.poll_interval),
                || Duration::from_secs(1),
                |ui, interval| duration_ui(ui, id.with("poll_interval"), interval),
            )
        },
    );
    changed |= setting_ui(
        ui,
        messages,
        &field("batch_size"),
        "Batch size",
        |ui, label| {
            inherited_ui(
                ui,
                label,
                &mut queue.batch_size,
                from(source, inherited.batch_size),
                || 1,
                |ui, batch| count_ui(ui, batch, 1, MAX_BATCH_SIZE),
            )
        },
    );
    changed
}

/// Returns the value that the preset named `source` gives a setting, with the source.
fn from<T>(source: Option<&str>, value: Option<T>) -> Option<(T, &str)> {
    source.and_then(|source| value.map(|value| (value, source)))
}

/// The heading of the settings that belong to `kind`.
fn kind_title(kind: BrokerKind) -> &'static str {
    match kind {
        BrokerKind::Rabbitmq => "RabbitMQ-like",
        BrokerKind::Sqs => "SQS-like",
        BrokerKind::Kafka => "Kafka-like",
        BrokerKind::DbPoll => "Database-backed",
    }
}

/// Shows one broker setting, indented under its kind's heading, with its messages:
/// `add` draws it with `label`, in the error colour while the setting has an error.
fn setting_ui(
    ui: &mut Ui,
    messages: Messages<'_>,
    path: &str,
    label: &str,
    add: impl FnOnce(&mut Ui, RichText) -> bool,
) -> bool {
    ui.indent(path, |ui| {
        let label = marked(ui, messages, path, label);
        let changed = add(ui, label);
        messages_ui(ui, messages, path);
        changed
    })
    .inner
}
