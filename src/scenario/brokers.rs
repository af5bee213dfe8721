//! Broker semantics of a queue: the settings that make it RabbitMQ-, SQS-, Kafka-like
//! or database-backed, the values each preset fills in, and the checks of settings
//! that make no sense together.

use super::document::{Overflow, Preset, Queue};
use super::units::Duration;

/// Largest `prefetch`, the range of RabbitMQ's 16-bit prefetch count.
pub const MAX_PREFETCH: u32 = 65_535;
/// Largest `partitions`.
pub const MAX_PARTITIONS: u32 = 10_000;
/// Largest `batch_size`.
pub const MAX_BATCH_SIZE: u32 = 100_000;
/// `session_timeout` of a Kafka-like queue that leaves it out: Kafka's default
/// `session.timeout.ms` since version 3.0 (KIP-735).
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(45);

/// The kind of broker a queue behaves like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerKind {
    /// Deliveries with acknowledgements, prefetch and requeue (RabbitMQ-like). Queues
    /// without any broker setting behave like this with a prefetch of 1.
    Rabbitmq,
    /// Received messages stay hidden until deleted or their visibility timeout ends.
    Sqs,
    /// A partitioned log read in order by a consumer group.
    Kafka,
    /// Rows taken in batches at each poll.
    DbPoll,
}

impl BrokerKind {
    /// Returns the name used in messages.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            BrokerKind::Rabbitmq => "a RabbitMQ-like queue",
            BrokerKind::Sqs => "an SQS-like queue (it sets visibility_timeout)",
            BrokerKind::Kafka => "a Kafka-like queue (it sets partitions)",
            BrokerKind::DbPoll => "a database-backed queue (it sets poll_interval)",
        }
    }
}

/// The broker settings of a queue after its preset has filled the fields that the file
/// leaves out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BrokerSettings {
    /// Unacknowledged messages per consumer.
    pub prefetch: Option<u32>,
    /// Whether a failed message is requeued.
    pub requeue: Option<bool>,
    /// Time to live in the queue.
    pub message_ttl: Option<Duration>,
    /// SQS visibility timeout.
    pub visibility_timeout: Option<Duration>,
    /// Kafka partitions.
    pub partitions: Option<u32>,
    /// Distinct keys.
    pub keys: Option<u32>,
    /// Kafka retention.
    pub retention: Option<Duration>,
    /// Kafka session timeout.
    pub session_timeout: Option<Duration>,
    /// Database poll interval.
    pub poll_interval: Option<Duration>,
    /// Rows per poll.
    pub batch_size: Option<u32>,
}

impl BrokerSettings {
    /// Returns the settings that `preset` fills in.
    #[must_use]
    pub fn of_preset(preset: Preset) -> Self {
        match preset {
            // Spring AMQP's default prefetch since version 2.0; RabbitMQ's own default is
            // unlimited.
            Preset::Rabbitmq => Self {
                prefetch: Some(250),
                requeue: Some(true),
                ..Self::default()
            },
            // SQS's default visibility timeout.
            Preset::Sqs => Self {
                visibility_timeout: Some(Duration::from_secs(30)),
                ..Self::default()
            },
            // Kafka's broker defaults `num.partitions=1` and `log.retention.hours=168`.
            Preset::Kafka => Self {
                partitions: Some(1),
                retention: Some(Duration::from_secs(7 * 24 * 3600)),
                ..Self::default()
            },
            // Round figures, not the defaults of any one job library.
            Preset::DbPoll => Self {
                poll_interval: Some(Duration::from_secs(1)),
                batch_size: Some(10),
                ..Self::default()
            },
        }
    }

    /// Returns the settings of `queue`: its own fields, and its preset's where it sets none.
    #[must_use]
    pub fn of_queue(queue: &Queue) -> Self {
        let preset = queue.preset.map(Self::of_preset).unwrap_or_default();
        Self {
            prefetch: queue.prefetch.or(preset.prefetch),
            requeue: queue.requeue.or(preset.requeue),
            message_ttl: queue.message_ttl.or(preset.message_ttl),
            visibility_timeout: queue.visibility_timeout.or(preset.visibility_timeout),
            partitions: queue.partitions.or(preset.partitions),
            keys: queue.keys.or(preset.keys),
            retention: queue.retention.or(preset.retention),
            session_timeout: queue.session_timeout.or(preset.session_timeout),
            poll_interval: queue.poll_interval.or(preset.poll_interval),
            batch_size: queue.batch_size.or(preset.batch_size),
        }
    }

    /// Returns whether any broker setting is set, so that the queue needs broker state.
    #[must_use]
    pub fn any(&self) -> bool {
        *self != Self::default()
    }

    /// Returns the kind of broker: Kafka-like with partitions, else SQS-like with a visibility
    /// timeout, else database-backed with a poll interval, else RabbitMQ-like.
    #[must_use]
    pub fn kind(&self) -> BrokerKind {
        if self.partitions.is_some() {
            BrokerKind::Kafka
        } else if self.visibility_timeout.is_some() {
            BrokerKind::Sqs
        } else if self.poll_interval.is_some() {
            BrokerKind::DbPoll
        } else {
            BrokerKind::Rabbitmq
        }
    }
}

/// Settings allowed on each kind of queue besides `consumer`, `max_deliveries`,
/// `dead_letter` and `preset`, for messages.
fn allowed(kind: BrokerKind) -> &'static str {
    match kind {
        BrokerKind::Rabbitmq => {
            "capacity, overflow, prefetch, requeue, message_ttl (or visibility_timeout, partitions or poll_interval for another kind of queue)"
        }
        BrokerKind::Sqs => "capacity, overflow, message_ttl, visibility_timeout",
        BrokerKind::Kafka => "partitions, keys, retention, session_timeout",
        BrokerKind::DbPoll => "capacity, overflow, message_ttl, poll_interval, batch_size",
    }
}

/// Checks the broker settings of the queue `name` and calls `report` with the path and
/// message of each error.
pub fn check_queue(name: &str, queue: &Queue, mut report: impl FnMut(String, String)) {
    let path = format!("queues.{name}");
    let settings = BrokerSettings::of_queue(queue);
    let kind = settings.kind();
    let from_preset = |set_in_file: bool| match (set_in_file, queue.preset) {
        (false, Some(preset)) => format!(
            " (the {} preset sets it)",
            Preset::NAMES[Preset::ALL.iter().position(|p| *p == preset).unwrap_or(0)]
        ),
        _ => String::new(),
    };
    let mut forbid = |field: &str, set: bool, set_in_file: bool, reason: &str| {
        if set {
            // A value that only the preset sets is reported at the preset.
            let at = if set_in_file { field } else { "preset" };
            report(
                format!("{path}.{at}"),
                format!(
                    "{field}{} is not allowed on {}: {reason}. Allowed there: {}",
                    from_preset(set_in_file),
                    kind.describe(),
                    allowed(kind)
                ),
            );
        }
    };
    match kind {
        BrokerKind::Kafka => {
            forbid(
                "capacity",
                queue.capacity.is_some(),
                true,
                "a log has no maximum length; use retention",
            );
            forbid(
                "overflow",
                queue.overflow != Overflow::default(),
                true,
                "a log accepts every publish, so nothing blocks, drops or rejects",
            );
            forbid(
                "prefetch",
                settings.prefetch.is_some(),
                queue.prefetch.is_some(),
                "each partition is handled one message at a time",
            );
            forbid(
                "requeue",
                settings.requeue.is_some(),
                queue.requeue.is_some(),
                "a failed message is retried in place, blocking its partition",
            );
            forbid(
                "message_ttl",
                settings.message_ttl.is_some(),
                queue.message_ttl.is_some(),
                "use retention",
            );
            forbid(
                "visibility_timeout",
                settings.visibility_timeout.is_some(),
                queue.visibility_timeout.is_some(),
                "it belongs to SQS-like queues",
            );
            forbid(
                "poll_interval",
                settings.poll_interval.is_some(),
                queue.poll_interval.is_some(),
                "it belongs to database-backed queues",
            );
        }
        BrokerKind::Sqs => {
            forbid(
                "prefetch",
                settings.prefetch.is_some(),
                queue.prefetch.is_some(),
                "each consumer receives one message at a time",
            );
            forbid(
                "requeue",
                settings.requeue.is_some(),
                queue.requeue.is_some(),
                "a failed message reappears when its visibility timeout ends",
            );
            forbid(
                "poll_interval",
                settings.poll_interval.is_some(),
                queue.poll_interval.is_some(),
                "it belongs to database-backed queues",
            );
        }
        BrokerKind::DbPoll => {
            forbid(
                "prefetch",
                settings.prefetch.is_some(),
                queue.prefetch.is_some(),
                "use batch_size",
            );
            forbid(
                "requeue",
                settings.requeue.is_some(),
                queue.requeue.is_some(),
                "a failed row is unlocked and taken again at a later poll",
            );
        }
        BrokerKind::Rabbitmq => {}
    }
    if kind != BrokerKind::Kafka {
        forbid(
            "keys",
            settings.keys.is_some(),
            queue.keys.is_some(),
            "keys choose a partition; set partitions",
        );
        forbid(
            "retention",
            settings.retention.is_some(),
            queue.retention.is_some(),
            "retention belongs to partitioned logs; set partitions, or use message_ttl",
        );
        forbid(
            "session_timeout",
            settings.session_timeout.is_some(),
            queue.session_timeout.is_some(),
            "it belongs to the consumer groups of partitioned logs; set partitions",
        );
    }
    if kind != BrokerKind::DbPoll {
        forbid(
            "batch_size",
            settings.batch_size.is_some(),
            queue.batch_size.is_some(),
            "rows are taken in batches only at polls; set poll_interval",
        );
    }
    if queue.overflow == Overflow::RejectPublishDlx && queue.dead_letter.is_none() {
        report(
            format!("{path}.overflow"),
            format!(
                "overflow \"reject-publish-dlx\" of queue \"{name}\" needs a dead_letter queue to send rejected messages to; add \"dead_letter: QUEUE\", or use \"reject-publish\""
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_fields_win_over_preset() {
        let queue = Queue {
            preset: Some(Preset::Rabbitmq),
            prefetch: Some(3),
            ..Queue::default()
        };
        let settings = BrokerSettings::of_queue(&queue);
        assert_eq!(settings.prefetch, Some(3));
        assert_eq!(settings.requeue, Some(true));
    }

    #[test]
    fn kind_follows_the_settings() {
        let kafka = Queue {
            preset: Some(Preset::Kafka),
            ..Queue::default()
        };
        assert_eq!(BrokerSettings::of_queue(&kafka).kind(), BrokerKind::Kafka);
        assert_eq!(
            BrokerSettings::of_queue(&Queue::default()).kind(),
            BrokerKind::Rabbitmq
        );
        assert!(!BrokerSettings::of_queue(&Queue::default()).any());
    }
}
