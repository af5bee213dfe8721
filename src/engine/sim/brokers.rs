//! Broker semantics of queues with broker settings: RabbitMQ-like prefetch, requeue and
//! time to live, SQS-like visibility timeouts, Kafka-like partitions and consumer
//! groups, and database-backed queues polled in batches.
//!
//! Consumers: each replica of the consuming service runs `concurrency` consumers, each
//! handling one message at a time. Consumer `k` runs on replica `k / concurrency`, so
//! that adding replicas adds consumers at the end. Deliveries go round robin over the
//! consumers in slot-major order: slot 0 of every replica, then slot 1, and so on.
//!
//! A crashed replica's consumers receive nothing until it restarts, and what they held
//! goes back by the rules of the broker: see `Simulation::crash_consumers`.
//!
//! A queue without broker settings never reaches this file: its state has no broker,
//! and the plain queue code in `queues.rs` runs unchanged.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::engine::model::BrokerModel;
use crate::engine::random::{self, Stream};
use crate::engine::slab::Handle;
use crate::metrics::recorder::ErrorKind;
use crate::scenario::brokers::BrokerKind;

use super::{Event, Message, Origin, Simulation};

/// Kafka-like queues with at most this many partitions have their bookkeeping checked on
/// every dispatch in debug builds. For larger ones the check would cost more than the run.
const DEBUG_CHECKED_PARTITIONS: usize = 4096;

/// Bits of [`Message::position`] that hold a Kafka offset; the partition is above them.
const OFFSET_BITS: u32 = 48;

/// The state of a queue with broker settings.
#[derive(Clone, Debug)]
pub(super) struct BrokerState {
    consumers: Vec<ConsumerState>,
    /// Slot-major index of the consumer that the next round of deliveries starts at.
    next_consumer: u32,
    /// Draws of message keys, for a Kafka-like queue with `keys`.
    key_stream: Option<Stream>,
    /// Measured deliveries of a message while another handling of it runs or after one
    /// succeeded.
    duplicates: u64,
    /// SQS-like: messages not yet deleted, by sequence number.
    records: BTreeMap<u64, SqsRecord>,
    next_sequence: u64,
    /// SQS-like: ends of visibility timeouts in time order, with the sequence number and
    /// the receive they end.
    visibility: VecDeque<(u64, u64, u32)>,
    /// SQS-like: messages received and hidden.
    hidden: u64,
    /// Kafka-like partitions.
    partitions: Vec<Partition>,
    /// Kafka-like: the partitions with a record that waits, not in handling, so that a
    /// dispatch looks only at them. [`BrokerState::update_ready`] keeps it.
    ready: BTreeSet<u32>,
    /// Kafka-like: the partition of the next keyless message, and the first partition
    /// that a dispatch looks at.
    next_partition: u32,
    /// Database-backed: the time of the next poll.
    next_poll_ns: u64,
    /// Database-backed: measured polls of an idle consumer that found no row.
    empty_polls: u64,
    /// Handling starts and ends, when tracing is on.
    trace: Option<Vec<TraceEvent>>,
    /// Crashed replicas of the consuming service, until they restart; usually empty.
    down: Vec<DownReplica>,
}

/// A crashed replica of the consuming service.
#[derive(Clone, Copy, Debug)]
struct DownReplica {
    replica: u32,
    /// When its consumers leave the consumer group of a Kafka-like queue, so that their
    /// partitions go to the others: the crash plus the session timeout. Other kinds of
    /// queue notice the crash at once, so this is the crash itself.
    leaves_group_ns: u64,
}

impl BrokerState {
    /// Returns whether `consumer` is on a crashed replica, so that it receives nothing.
    #[inline]
    /// Adds partition `p` to `ready` when a record in it waits, and removes it otherwise.
    /// Called after every change to the partition's log or `busy` flag.
    fn update_ready(&mut self, p: usize) {
        let partition = &self.partitions[p];
        if partition.log.len() > usize::from(partition.busy) {
            self.ready.insert(p as u32);
        } else {
            self.ready.remove(&(p as u32));
        }
    }

    fn is_down(&self, consumer: u32, concurrency: u32) -> bool {
        !self.down.is_empty() && {
            let replica = consumer / concurrency.max(1);
            self.down.iter().any(|d| d.replica == replica)
        }
    }

    /// Returns whether `consumer` is a member of the consumer group at `now`: it is live,
    /// or it crashed less than the session timeout ago.
    fn is_member(&self, consumer: u32, concurrency: u32, now: u64) -> bool {
        let replica = consumer / concurrency.max(1);
        self.down
            .iter()
            .all(|d| d.replica != replica || now < d.leaves_group_ns)
    }
}

#[derive(Clone, Debug, Default)]
struct ConsumerState {
    /// The job being handled.
    current: Option<Handle>,
    /// Jobs delivered to this consumer and waiting for it, in delivery order.
    held: VecDeque<Handle>,
    /// Messages delivered and not yet acknowledged: `current`, `held` and those on
    /// their way.
    unacked: u32,
}

#[derive(Clone, Copy, Debug)]
struct SqsRecord {
    message: Message,
    /// Receives so far; the latest receive has this number.
    receives: u32,
    /// Whether the message is hidden by the visibility timeout of its latest receive.
    hidden: bool,
    /// Handlings running.
    running: u32,
    /// Whether a handling succeeded, even if its consumer did not delete the message.
    handled: bool,
    /// Whether the message was deleted or moved to the dead-letter queue.
    deleted: bool,
}

#[derive(Clone, Debug, Default)]
struct Partition {
    /// Records from the committed offset to the log end.
    log: VecDeque<Message>,
    end_offset: u64,
    /// Whether the record at the committed offset is being handled.
    busy: bool,
    /// Whether a handling of that record succeeded before its consumer vanished.
    head_handled: bool,
    /// Largest lag since the end of the warm-up.
    max_lag: u64,
    /// Lag at the end of each closed window.
    lag_series: Vec<u64>,
}

impl Partition {
    fn committed_offset(&self) -> u64 {
        self.log
            .front()
            .map_or(self.end_offset, Message::position_offset)
    }

    fn lag(&self) -> u64 {
        self.end_offset - self.committed_offset()
    }
}

impl Message {
    fn position_offset(&self) -> u64 {
        self.position & ((1 << OFFSET_BITS) - 1)
    }

    fn position_partition(&self) -> usize {
        (self.position >> OFFSET_BITS) as usize
    }
}

/// A handling that started or ended, as traced by [`Simulation::trace_handlings`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Simulated time, ns.
    pub at_ns: u64,
    /// Whether this is the start of a handling, else its end.
    pub start: bool,
    /// Whether the handling succeeded; `false` at a start.
    pub success: bool,
    /// The message's identity, the same for every delivery of it.
    pub message_id: u64,
    /// The consumer, numbered as the module documentation describes.
    pub consumer: u32,
    /// The partition of a Kafka-like queue, else 0.
    pub partition: u32,
    /// The offset in that partition, else 0.
    pub offset: u64,
}

/// The figures of a queue with broker settings at the current time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerStatus {
    /// The kind of broker the queue behaves like.
    pub kind: BrokerKind,
    /// Messages delivered and not yet acknowledged (hidden ones, for an SQS-like queue).
    pub unacked: u64,
    /// Measured duplicate deliveries.
    pub duplicates: u64,
    /// Measured polls that found no row, for a database-backed queue.
    pub empty_polls: u64,
    /// Per partition of a Kafka-like queue.
    pub partitions: Vec<PartitionStatus>,
}

/// The figures of one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionStatus {
    /// Log end offset: records appended so far.
    pub end_offset: u64,
    /// Committed offset: the next record to handle.
    pub committed_offset: u64,
    /// Largest lag since the end of the warm-up.
    pub max_lag: u64,
    /// Lag at the end of each closed window.
    pub lag_series: Vec<u64>,
}

/// Returns the partition of `key` among `partitions`: Kafka's default partitioner applied to the
/// key written in decimal as a UTF-8 string, `murmur2(bytes) & 0x7fffffff` modulo the
/// partition count.
#[must_use]
pub fn partition_of_key(key: u32, partitions: u32) -> u32 {
    let hash = murmur2(key.to_string().as_bytes()) & 0x7fff_ffff;
    hash % partitions.max(1)
}

/// MurmurHash2 with Kafka's seed, as in `org.apache.kafka.common.utils.Utils.murmur2`.
fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, byte) in rest.iter().enumerate().rev() {
            h ^= u32::from(*byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

impl BrokerState {
    pub(super) fn new(model: &BrokerModel, seed: u64, queue_name: &str) -> Self {
        let kafka = model.kind == BrokerKind::Kafka;
        Self {
            consumers: Vec::new(),
            next_consumer: 0,
            key_stream: (kafka && model.keys.is_some())
                .then(|| random::stream(seed, &format!("queue-keys/{queue_name}"))),
            duplicates: 0,
            records: BTreeMap::new(),
            next_sequence: 0,
            visibility: VecDeque::new(),
            hidden: 0,
            partitions: if kafka {
                vec![Partition::default(); model.partitions as usize]
            } else {
                Vec::new()
            },
            ready: BTreeSet::new(),
            next_partition: 0,
            next_poll_ns: 0,
            empty_polls: 0,
            trace: None,
            down: Vec::new(),
        }
    }
}

impl Simulation {
    fn broker_model(&self, queue: u32) -> BrokerModel {
        self.model.queues[queue as usize]
            .broker
            .expect("only queues with broker settings have broker state")
    }

    fn broker_mut(&mut self, queue: u32) -> &mut BrokerState {
        self.queues[queue as usize]
            .broker
            .as_deref_mut()
            .expect("the queue has broker settings")
    }

    /// Schedules the first poll of every database-backed queue with a consumer.
    pub(super) fn schedule_broker_start(&mut self) {
        for (queue, model) in self.model.queues.iter().enumerate() {
            if model.consumer.is_some()
                && model.broker.is_some_and(|b| b.kind == BrokerKind::DbPoll)
            {
                self.events.push(
                    0,
                    Event::Dispatch {
                        queue: queue as u32,
                    },
                );
            }
        }
    }

    /// Records every handling start and end of `queue` from now on, for
    /// [`Simulation::handling_trace`]. Does nothing on a queue without broker settings.
    pub fn trace_handlings(&mut self, queue: usize) {
        if let Some(broker) = self
            .queues
            .get_mut(queue)
            .and_then(|q| q.broker.as_deref_mut())
        {
            broker.trace.get_or_insert_with(Vec::new);
        }
    }

    /// Returns the handlings traced on `queue` since [`Simulation::trace_handlings`].
    #[must_use]
    pub fn handling_trace(&self, queue: usize) -> &[TraceEvent] {
        self.queues
            .get(queue)
            .and_then(|q| q.broker.as_deref())
            .and_then(|b| b.trace.as_deref())
            .unwrap_or(&[])
    }

    /// Returns the enqueue times of the messages waiting in `queue`, head first; for a
    /// Kafka-like queue, those of every partition in turn.
    #[must_use]
    pub fn queued_enqueue_times(&self, queue: usize) -> Vec<u64> {
        let Some(state) = self.queues.get(queue) else {
            return Vec::new();
        };
        match state.broker.as_deref() {
            Some(broker) if !broker.partitions.is_empty() => broker
                .partitions
                .iter()
                .flat_map(|p| p.log.iter().skip(usize::from(p.busy)))
                .map(|m| m.enqueued_ns)
                .collect(),
            _ => state.messages.iter().map(|m| m.enqueued_ns).collect(),
        }
    }

    /// Returns the broker figures of `queue`, or `None` for a queue without broker settings.
    #[must_use]
    pub fn broker_status(&self, queue: usize) -> Option<BrokerStatus> {
        let broker = self.queues.get(queue)?.broker.as_deref()?;
        let model = self.model.queues[queue].broker?;
        let unacked = match model.kind {
            BrokerKind::Sqs => broker.hidden,
            _ => broker.consumers.iter().map(|c| u64::from(c.unacked)).sum(),
        };
        Some(BrokerStatus {
            kind: model.kind,
            unacked,
            duplicates: broker.duplicates,
            empty_polls: broker.empty_polls,
            partitions: broker
                .partitions
                .iter()
                .map(|p| PartitionStatus {
                    end_offset: p.end_offset,
                    committed_offset: p.committed_offset(),
                    max_lag: p.max_lag,
                    lag_series: p.lag_series.clone(),
                })
                .collect(),
        })
    }

    /// Counts the messages waiting and the messages in handling of a queue with broker
    /// settings that entered it at or after `since_ns`, each message counted once.
    pub(super) fn broker_contents(&self, queue: usize, since_ns: u64) -> Option<(u64, u64)> {
        let state = &self.queues[queue];
        let broker = state.broker.as_deref()?;
        let counted = |m: &Message| m.enqueued_ns >= since_ns;
        let kind = self.model.queues[queue].broker?.kind;
        match kind {
            BrokerKind::Kafka => {
                let mut waiting = 0;
                let mut handling = 0;
                for partition in &broker.partitions {
                    for (i, message) in partition.log.iter().enumerate() {
                        if !counted(message) {
                            continue;
                        }
                        if i == 0 && partition.busy {
                            handling += 1;
                        } else {
                            waiting += 1;
                        }
                    }
                }
                Some((waiting, handling))
            }
            BrokerKind::Sqs => {
                let waiting = state.messages.iter().filter(|m| counted(m)).count() as u64;
                let handling = broker
                    .records
                    .values()
                    .filter(|r| !r.deleted && r.hidden && counted(&r.message))
                    .count() as u64;
                Some((waiting, handling))
            }
            BrokerKind::Rabbitmq | BrokerKind::DbPoll => None,
        }
    }

    /// Counts the messages waiting in a Kafka-like queue, for its depth.
    pub(super) fn broker_depth(&self, queue: usize) -> Option<usize> {
        let broker = self.queues[queue].broker.as_deref()?;
        if broker.partitions.is_empty() {
            return None;
        }
        // The depth gauge counts the waiting records, as `kafka_dispatch` checks in
        // debug builds, and reading it does not visit every partition.
        let gauge = self.metrics.stats[self.layout.queues as usize + queue]
            .in_flight
            .value();
        Some(usize::try_from(gauge).unwrap_or(0))
    }

    /// Counts the records of a Kafka-like queue that wait, not in handling, partition by
    /// partition.
    fn waiting_records(&self, queue: usize) -> usize {
        self.queues[queue].broker.as_deref().map_or(0, |broker| {
            broker
                .partitions
                .iter()
                .map(|p| p.log.len() - usize::from(p.busy))
                .sum()
        })
    }

    /// Returns when the oldest message waiting in `queue` entered it, if any waits: the
    /// oldest record waiting in any partition of a Kafka-like queue, else the first of
    /// its ready messages.
    pub(super) fn oldest_waiting_enqueued(&self, queue: usize) -> Option<u64> {
        let state = &self.queues[queue];
        match state.broker.as_deref() {
            Some(broker) if !broker.partitions.is_empty() => broker
                .partitions
                .iter()
                .filter_map(|p| p.log.get(usize::from(p.busy)))
                .map(|record| record.enqueued_ns)
                .min(),
            _ => state.messages.front().map(|front| front.enqueued_ns),
        }
    }

    /// Adds a message to a queue with broker settings: to a partition of a Kafka-like
    /// queue, else to the tail of the ready messages.
    pub(super) fn broker_enqueue(&mut self, queue: u32, mut message: Message) {
        let now = self.now_ns;
        let model = self.broker_model(queue);
        if let Some(ttl) = model.message_ttl_ns {
            self.events
                .push(now.saturating_add(ttl), Event::Dispatch { queue });
        }
        match model.kind {
            BrokerKind::Kafka => {
                self.kafka_append(queue, message, model);
                return;
            }
            BrokerKind::Sqs => {
                let broker = self.broker_mut(queue);
                let sequence = broker.next_sequence;
                broker.next_sequence += 1;
                message.position = sequence;
                broker.records.insert(
                    sequence,
                    SqsRecord {
                        message,
                        receives: 0,
                        hidden: false,
                        running: 0,
                        handled: false,
                        deleted: false,
                    },
                );
            }
            BrokerKind::Rabbitmq | BrokerKind::DbPoll => message.position = 0,
        }
        self.queues[queue as usize].messages.push_back(message);
    }

    fn kafka_append(&mut self, queue: u32, mut message: Message, model: BrokerModel) {
        let now = self.now_ns;
        let measuring = now >= self.options.warmup_ns;
        let broker = self.broker_mut(queue);
        let partition = if let (Some(keys), Some(stream)) = (model.keys, broker.key_stream.as_mut())
        {
            let key = random::index_below(stream, keys as usize) as u32;
            partition_of_key(key, model.partitions)
        } else {
            let partition = broker.next_partition % model.partitions;
            broker.next_partition = (partition + 1) % model.partitions;
            partition
        };
        let log = &mut broker.partitions[partition as usize];
        message.position = (u64::from(partition) << OFFSET_BITS) | log.end_offset;
        log.end_offset += 1;
        log.log.push_back(message);
        if measuring {
            log.max_lag = log.max_lag.max(log.lag());
        }
        broker.update_ready(partition as usize);
        if let Some(retention) = model.retention_ns {
            self.events
                .push(now.saturating_add(retention), Event::Dispatch { queue });
        }
    }

    /// Removes the bookkeeping of a message dropped from the ready messages.
    pub(super) fn broker_forget(&mut self, queue: u32, message: &Message) {
        if self.broker_model(queue).kind == BrokerKind::Sqs {
            self.broker_mut(queue).records.remove(&message.position);
        }
    }

    /// Expires, releases and delivers messages of a queue with broker settings.
    pub(super) fn broker_dispatch(&mut self, queue: u32) {
        let model = self.broker_model(queue);
        match model.kind {
            BrokerKind::Kafka => {
                self.expire_retention(queue, model);
                self.kafka_dispatch(queue);
            }
            BrokerKind::Sqs => {
                self.expire_ttl(queue, model);
                self.end_visibility_timeouts(queue);
                self.expire_ttl(queue, model);
                self.deliver_round_robin(queue, 1);
            }
            BrokerKind::Rabbitmq => {
                self.expire_ttl(queue, model);
                self.deliver_round_robin(queue, model.prefetch);
            }
            BrokerKind::DbPoll => {
                self.expire_ttl(queue, model);
                self.poll(queue, model);
            }
        }
    }

    /// Returns the consuming operation, the concurrency, the consume edge and the number
    /// of consumers that receive messages now, adding state for new consumers.
    fn consumer_count(&mut self, queue: u32) -> Option<(u32, u32, u32, u32)> {
        let (operation, concurrency, edge) = self.model.queues[queue as usize].consumer?;
        let state = &mut self.queues[queue as usize];
        let count = state.active_replicas.saturating_mul(concurrency);
        let broker = state.broker.as_deref_mut()?;
        if broker.consumers.len() < count as usize {
            broker
                .consumers
                .resize(count as usize, ConsumerState::default());
        }
        Some((operation, concurrency, edge, count))
    }

    /// Returns the consumer at slot-major position `j` of `count` consumers.
    fn consumer_at(j: u32, count: u32, concurrency: u32) -> u32 {
        let replicas = (count / concurrency.max(1)).max(1);
        (j % replicas) * concurrency + j / replicas
    }

    fn expire_ttl(&mut self, queue: u32, model: BrokerModel) {
        let Some(ttl) = model.message_ttl_ns else {
            return;
        };
        let now = self.now_ns;
        loop {
            let state = &mut self.queues[queue as usize];
            let expired = state
                .messages
                .front()
                .is_some_and(|m| m.enqueued_ns.saturating_add(ttl) <= now);
            if !expired {
                return;
            }
            let Some(message) = state.messages.pop_front() else {
                return;
            };
            self.broker_forget(queue, &message);
            let queue_entity = self.layout.queues + queue;
            self.metrics.level(queue_entity, now, -1);
            self.metrics.finish_counts(
                queue_entity,
                now,
                message.enqueued_ns,
                Err(ErrorKind::Expired),
            );
            if let Some(target) = self.model.queues[queue as usize].dead_letter {
                self.move_to_dead_letter(target, message);
            }
        }
    }

    /// Hands ready messages round robin to the consumers that hold fewer than `limit`
    /// unacknowledged ones.
    fn deliver_round_robin(&mut self, queue: u32, limit: u32) {
        let Some((operation, concurrency, edge, count)) = self.consumer_count(queue) else {
            return;
        };
        if count == 0 {
            return;
        }
        loop {
            let mut delivered = false;
            for step in 0..count {
                if self.queues[queue as usize].messages.is_empty() {
                    return;
                }
                let broker = self.broker_mut(queue);
                let j = (broker.next_consumer + step) % count;
                let consumer = Self::consumer_at(j, count, concurrency);
                if broker.consumers[consumer as usize].unacked >= limit
                    || broker.is_down(consumer, concurrency)
                {
                    continue;
                }
                broker.next_consumer = (j + 1) % count;
                let Some(message) = self.queues[queue as usize].messages.pop_front() else {
                    return;
                };
                self.send_to_consumer(queue, consumer, concurrency, operation, edge, message);
                delivered = true;
            }
            if !delivered {
                return;
            }
        }
    }

    /// Runs the poll of a database-backed queue if one is due: each idle consumer takes
    /// up to `batch_size` rows.
    fn poll(&mut self, queue: u32, model: BrokerModel) {
        let now = self.now_ns;
        let broker = self.broker_mut(queue);
        if now < broker.next_poll_ns {
            return;
        }
        while broker.next_poll_ns <= now {
            broker.next_poll_ns = broker.next_poll_ns.saturating_add(model.poll_interval_ns);
        }
        let next = broker.next_poll_ns;
        self.events.push(next, Event::Dispatch { queue });
        let Some((operation, concurrency, edge, count)) = self.consumer_count(queue) else {
            return;
        };
        let measuring = now >= self.options.warmup_ns;
        for j in 0..count {
            let consumer = Self::consumer_at(j, count, concurrency);
            let broker = self.broker_mut(queue);
            if broker.consumers[consumer as usize].unacked > 0
                || broker.is_down(consumer, concurrency)
            {
                continue;
            }
            let mut taken = 0;
            while taken < model.prefetch {
                let Some(message) = self.queues[queue as usize].messages.pop_front() else {
                    break;
                };
                self.send_to_consumer(queue, consumer, concurrency, operation, edge, message);
                taken += 1;
            }
            if taken == 0 && measuring {
                self.broker_mut(queue).empty_polls += 1;
            }
        }
    }

    fn kafka_dispatch(&mut self, queue: u32) {
        let Some((operation, concurrency, edge, count)) = self.consumer_count(queue) else {
            return;
        };
        if count == 0 {
            return;
        }
        let now = self.now_ns;
        let measuring = now >= self.options.warmup_ns;
        // The queue's depth gauge counts the records that wait, not in handling, in every
        // partition: the scan can stop once it has delivered that many.
        let mut waiting = self.metrics.stats[(self.layout.queues + queue) as usize]
            .in_flight
            .value();
        debug_assert!(
            self.broker_mut(queue).partitions.len() > DEBUG_CHECKED_PARTITIONS
                || usize::try_from(waiting).ok() == Some(self.waiting_records(queue as usize)),
            "the depth gauge of a Kafka-like queue counts its waiting records"
        );
        if waiting <= 0 {
            return;
        }
        let broker = self.broker_mut(queue);
        debug_assert!(
            broker.partitions.len() > DEBUG_CHECKED_PARTITIONS
                || (0..broker.partitions.len()).all(|p| {
                    let partition = &broker.partitions[p];
                    broker.ready.contains(&(p as u32))
                        == (partition.log.len() > usize::from(partition.busy))
                }),
            "`ready` lists exactly the partitions with a waiting record"
        );
        let partitions = broker.partitions.len() as u32;
        let first = broker.next_partition % partitions.max(1);
        // The members of the consumer group in slot-major order, when some replica is
        // down: a crashed consumer stays a member, holding its partitions, until its
        // session times out; the rebalance then assigns its partitions to the others.
        let members: Option<Vec<u32>> = (!broker.down.is_empty()).then(|| {
            (0..count)
                .map(|j| Self::consumer_at(j, count, concurrency))
                .filter(|c| broker.is_member(*c, concurrency, now))
                .collect()
        });
        if members.as_ref().is_some_and(Vec::is_empty) {
            return;
        }
        // A consumer takes one record at a time. Once every live member has one, or no
        // record waits, the rest of the scan cannot deliver, so the scan stops there.
        let idle = |c: &u32| {
            !broker.is_down(*c, concurrency) && broker.consumers[*c as usize].unacked == 0
        };
        let mut idle_members = match &members {
            None => (0..count)
                .map(|j| Self::consumer_at(j, count, concurrency))
                .filter(idle)
                .count(),
            Some(members) => members.iter().filter(|c| idle(c)).count(),
        };
        if idle_members == 0 {
            return;
        }
        // The partitions are looked at in turn from `first`, those without a waiting
        // record skipped through `ready`.
        let mut cursor = first;
        let mut wrapped = false;
        loop {
            let broker = self.broker_mut(queue);
            let next = if wrapped {
                broker.ready.range(cursor..first).next().copied()
            } else if let Some(&p) = broker.ready.range(cursor..).next() {
                Some(p)
            } else {
                wrapped = true;
                broker.ready.range(..first).next().copied()
            };
            let Some(p) = next else {
                return;
            };
            cursor = p + 1;
            // Round-robin assignment: partition p belongs to the member at slot-major
            // position p mod the members, so consumers past the partition count stay idle.
            let consumer = match &members {
                None => Self::consumer_at(p % count, count, concurrency),
                Some(members) => members[p as usize % members.len()],
            };
            if broker.is_down(consumer, concurrency) {
                continue;
            }
            let idle = broker.consumers[consumer as usize].unacked == 0;
            let partition = &mut broker.partitions[p as usize];
            if partition.busy || !idle {
                continue;
            }
            let Some(head) = partition.log.front_mut() else {
                continue;
            };
            partition.busy = true;
            let message = *head;
            // Deliveries are counted on the record, which stays in the log until its
            // offset is committed.
            head.deliveries += 1;
            // A record that a consumer handled before it vanished is a duplicate now.
            if partition.head_handled {
                broker.duplicates += u64::from(measuring);
            }
            broker.update_ready(p as usize);
            self.send_to_consumer(queue, consumer, concurrency, operation, edge, message);
            idle_members -= 1;
            waiting -= 1;
            if idle_members == 0 || waiting == 0 {
                return;
            }
        }
    }

    fn expire_retention(&mut self, queue: u32, model: BrokerModel) {
        let Some(retention) = model.retention_ns else {
            return;
        };
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        let partitions = self.broker_mut(queue).partitions.len();
        for p in 0..partitions {
            loop {
                let broker = self.broker_mut(queue);
                let partition = &mut broker.partitions[p];
                // The record in handling was fetched already and stays; the records
                // behind it are removed.
                let index = usize::from(partition.busy);
                let expired = partition
                    .log
                    .get(index)
                    .is_some_and(|m| m.enqueued_ns.saturating_add(retention) <= now);
                if !expired {
                    break;
                }
                let Some(message) = partition.log.remove(index) else {
                    break;
                };
                broker.update_ready(p);
                self.metrics.level(queue_entity, now, -1);
                self.metrics.finish_counts(
                    queue_entity,
                    now,
                    message.enqueued_ns,
                    Err(ErrorKind::Expired),
                );
            }
        }
    }

    /// Makes visible again the messages of an SQS-like queue whose visibility timeout
    /// ended, and moves those received `max_deliveries` times to the dead-letter queue.
    fn end_visibility_timeouts(&mut self, queue: u32) {
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        let max_deliveries = self.model.queues[queue as usize].max_deliveries;
        let dead_letter = self.model.queues[queue as usize].dead_letter;
        loop {
            let broker = self.broker_mut(queue);
            let Some(&(visible_at, sequence, receive)) = broker.visibility.front() else {
                return;
            };
            if visible_at > now {
                return;
            }
            broker.visibility.pop_front();
            let Some(record) = broker.records.get_mut(&sequence) else {
                continue;
            };
            if record.deleted || !record.hidden || record.receives != receive {
                continue;
            }
            record.hidden = false;
            broker.hidden -= 1;
            let mut message = record.message;
            message.deliveries = record.receives;
            message.position = sequence;
            let redrive = record.receives >= max_deliveries;
            if redrive {
                record.deleted = true;
                if record.running == 0 {
                    broker.records.remove(&sequence);
                }
            }
            self.metrics.busy(queue_entity, now, -1);
            if redrive {
                self.metrics.finish_counts(
                    queue_entity,
                    now,
                    message.enqueued_ns,
                    Err(ErrorKind::DeadLettered),
                );
                if let Some(target) = dead_letter {
                    self.move_to_dead_letter(target, message);
                }
            } else {
                self.metrics.level(queue_entity, now, 1);
                self.queues[queue as usize].messages.push_back(message);
            }
        }
    }

    /// Delivers `message` to `consumer` over the consume edge, as a new job.
    fn send_to_consumer(
        &mut self,
        queue: u32,
        consumer: u32,
        concurrency: u32,
        operation: u32,
        edge: u32,
        mut message: Message,
    ) {
        let now = self.now_ns;
        let measuring = now >= self.options.warmup_ns;
        let queue_entity = self.layout.queues + queue;
        let kind = self.broker_model(queue).kind;
        let visibility_timeout = self.broker_model(queue).visibility_timeout_ns;
        let broker = self.broker_mut(queue);
        message.deliveries += 1;
        message.consumer = consumer;
        // The busy gauge of an SQS-like queue counts its hidden messages, which it keeps
        // until they are deleted or visible again, rather than its handlings.
        let mut busy = kind != BrokerKind::Sqs;
        match kind {
            BrokerKind::Sqs => {
                if let Some(record) = broker.records.get_mut(&message.position) {
                    busy = true;
                    if record.running > 0 || record.handled {
                        broker.duplicates += u64::from(measuring);
                    }
                    record.receives += 1;
                    record.running += 1;
                    record.hidden = true;
                    message.deliveries = record.receives;
                    broker.hidden += 1;
                    let visible_at = now.saturating_add(visibility_timeout);
                    broker
                        .visibility
                        .push_back((visible_at, message.position, record.receives));
                    self.events.push(visible_at, Event::Dispatch { queue });
                }
            }
            BrokerKind::Rabbitmq | BrokerKind::DbPoll => {
                // A message requeued after a handling succeeded carries position 1.
                if message.position == 1 {
                    broker.duplicates += u64::from(measuring);
                }
            }
            BrokerKind::Kafka => {}
        }
        let broker = self.broker_mut(queue);
        broker.consumers[consumer as usize].unacked += 1;
        self.metrics.level(queue_entity, now, -1);
        if busy {
            self.metrics.busy(queue_entity, now, 1);
        }
        let service = self.model.operations[operation as usize].service;
        let replica = consumer / concurrency.max(1);
        self.send_message(queue, message, (operation, service, replica), edge);
    }

    /// Holds a job that reached a consumer busy with another one, and returns whether it
    /// was held; otherwise the job becomes the consumer's current one.
    pub(super) fn broker_hold(&mut self, handle: Handle) -> bool {
        let Some(job) = self.jobs.get(handle) else {
            return false;
        };
        let Origin::Message { queue, message, .. } = job.origin else {
            return false;
        };
        let now = self.now_ns;
        let kafka = self.model.queues[queue as usize]
            .broker
            .is_some_and(|b| b.kind == BrokerKind::Kafka);
        let Some(broker) = self.queues[queue as usize].broker.as_deref_mut() else {
            return false;
        };
        let Some(consumer) = broker.consumers.get_mut(message.consumer as usize) else {
            return false;
        };
        match consumer.current {
            Some(current) if current == handle => {}
            Some(_) => {
                consumer.held.push_back(handle);
                return true;
            }
            None => consumer.current = Some(handle),
        }
        if let Some(trace) = broker.trace.as_mut() {
            trace.push(trace_event(now, true, false, &message, kafka));
        }
        false
    }

    /// Ends the handling `handle` of `message` from a queue with broker settings: acks,
    /// deletes or commits it on success, and requeues, retries or dead-letters it on
    /// failure as the kind of queue does.
    pub(super) fn broker_message_done(
        &mut self,
        handle: Handle,
        queue: u32,
        message: Message,
        outcome: Result<(), ErrorKind>,
    ) {
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        let model = self.broker_model(queue);
        if model.kind != BrokerKind::Sqs {
            self.metrics.busy(queue_entity, now, -1);
        }
        self.release_consumer(queue, handle, &message);
        let kafka = model.kind == BrokerKind::Kafka;
        if let Some(trace) = self.broker_mut(queue).trace.as_mut() {
            trace.push(trace_event(now, false, outcome.is_ok(), &message, kafka));
        }
        let max_deliveries = self.model.queues[queue as usize].max_deliveries;
        match model.kind {
            BrokerKind::Rabbitmq | BrokerKind::DbPoll => match outcome {
                Ok(()) => {
                    self.metrics
                        .finish_counts(queue_entity, now, message.enqueued_ns, Ok(()));
                }
                Err(_) if model.requeue && message.deliveries < max_deliveries => {
                    self.requeue_at_head(queue, &[message]);
                }
                Err(_) => self.dead_letter(queue, message),
            },
            BrokerKind::Sqs => self.sqs_done(queue, &message, outcome),
            BrokerKind::Kafka => {
                let broker = self.broker_mut(queue);
                let p = message.position_partition();
                let partition = &mut broker.partitions[p];
                partition.busy = false;
                let retry = outcome.is_err() && message.deliveries < max_deliveries;
                if retry {
                    // Retried in place: the record stays at the committed offset and
                    // blocks its partition.
                    broker.update_ready(p);
                    self.metrics.level(queue_entity, now, 1);
                } else {
                    partition.log.pop_front();
                    partition.head_handled = false;
                    broker.update_ready(p);
                    match outcome {
                        Ok(()) => self.metrics.finish_counts(
                            queue_entity,
                            now,
                            message.enqueued_ns,
                            Ok(()),
                        ),
                        Err(_) => self.dead_letter(queue, message),
                    }
                }
            }
        }
        self.events.push(now, Event::Dispatch { queue });
    }

    /// Reacts to the loss of a delivery whose consumer vanished, such as a replica that
    /// crashed. The caller has removed the job and recorded the operation's side.
    /// `handled` is whether the handling had succeeded before the consumer vanished,
    /// so that the next delivery is a duplicate.
    ///
    /// A plain or RabbitMQ-like queue requeues the message at the head at once, as when
    /// a channel closes, and dead-letters it after `max_deliveries`; a database-backed
    /// queue does the same, as a rolled-back transaction unlocks the row. An SQS-like
    /// queue does nothing: the message reappears when its visibility timeout ends. A
    /// Kafka-like queue consumes again from the committed offset.
    pub(super) fn delivery_abandoned(
        &mut self,
        job: Handle,
        queue: u32,
        mut message: Message,
        replica: u32,
        handled: bool,
    ) {
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        let sqs = self.model.queues[queue as usize]
            .broker
            .is_some_and(|b| b.kind == BrokerKind::Sqs);
        if !sqs {
            self.metrics.busy(queue_entity, now, -1);
        }
        let max_deliveries = self.model.queues[queue as usize].max_deliveries;
        let Some(model) = self.model.queues[queue as usize].broker else {
            let state = &mut self.queues[queue as usize];
            if let Some(busy) = state.busy_consumers.get_mut(replica as usize) {
                *busy = busy.saturating_sub(1);
            }
            self.requeue_or_dead_letter(queue, message, max_deliveries);
            self.events.push(now, Event::Dispatch { queue });
            return;
        };
        self.release_consumer(queue, job, &message);
        match model.kind {
            BrokerKind::Rabbitmq | BrokerKind::DbPoll => {
                if handled {
                    message.position = 1;
                }
                self.requeue_or_dead_letter(queue, message, max_deliveries);
            }
            BrokerKind::Sqs => self.sqs_abandoned(queue, message.position, handled),
            BrokerKind::Kafka => self.kafka_abandoned(queue, &message, handled),
        }
        self.events.push(now, Event::Dispatch { queue });
    }

    /// Ends a receive of an SQS-like message whose consumer vanished: the message stays
    /// hidden until its visibility timeout ends.
    fn sqs_abandoned(&mut self, queue: u32, sequence: u64, handled: bool) {
        let broker = self.broker_mut(queue);
        let Some(record) = broker.records.get_mut(&sequence) else {
            return;
        };
        record.running = record.running.saturating_sub(1);
        record.handled |= handled;
        if record.deleted && record.running == 0 {
            broker.records.remove(&sequence);
        }
    }

    /// Frees the partition of a Kafka-like record whose consumer vanished, so that the
    /// record at the committed offset is consumed again.
    fn kafka_abandoned(&mut self, queue: u32, message: &Message, handled: bool) {
        let p = message.position_partition();
        let broker = self.broker_mut(queue);
        let partition = &mut broker.partitions[p];
        partition.busy = false;
        partition.head_handled |= handled;
        broker.update_ready(p);
        self.metrics
            .level(self.layout.queues + queue, self.now_ns, 1);
    }

    /// Disconnects the consumers of `queue` on `replica`, which crashed, and returns what
    /// they held by the rules of the broker. Those consumers hold nothing afterwards and
    /// receive nothing until [`Simulation::restart_consumers`]. `in_transit` holds the
    /// jobs with a pending [`Event::Deliver`], which have not started.
    ///
    /// Every delivery of those consumers ends: those on their way and those held after a
    /// prefetch, which had not started, and the one each consumer was handling, which the
    /// operation records as `dropped` and whose handling time counts as wasted work. A
    /// handling past its service time without a failed step had done its work without
    /// acknowledging, so the next delivery of its message is a duplicate.
    ///
    /// A RabbitMQ-like queue requeues every unacknowledged message at once, at the head
    /// in the order they entered the queue, as when a channel closes; a message past
    /// `max_deliveries` is dead-lettered instead, as a quorum queue counts a return on a
    /// closed channel as a delivery. A database-backed queue does the same, as the dead
    /// consumer's transaction rolls back and unlocks its rows, which a later poll takes
    /// again. An SQS-like queue leaves the messages hidden until their visibility timeouts
    /// end. A Kafka-like queue keeps the crashed consumers in the group, holding their
    /// partitions, until their session timeout ends, and then assigns their partitions to
    /// the other members, which consume from the committed offsets.
    pub(super) fn crash_consumers(
        &mut self,
        queue: u32,
        replica: u32,
        in_transit: &BTreeSet<Handle>,
    ) {
        let Some((operation, concurrency, _)) = self.model.queues[queue as usize].consumer else {
            return;
        };
        let service = self.model.operations[operation as usize].service;
        let model = self.broker_model(queue);
        let kafka = model.kind == BrokerKind::Kafka;
        let now = self.now_ns;
        let leaves_group_ns = if kafka {
            now.saturating_add(model.session_timeout_ns)
        } else {
            now
        };
        let broker = self.broker_mut(queue);
        broker.down.retain(|d| d.replica != replica);
        broker.down.push(DownReplica {
            replica,
            leaves_group_ns,
        });
        let handles: Vec<Handle> = self
            .jobs
            .handles()
            .filter(|handle| {
                self.jobs.get(*handle).is_some_and(|j| {
                    j.service == service
                        && j.replica == replica
                        && matches!(j.origin, Origin::Message { queue: q, .. } if q == queue)
                })
            })
            .collect();
        let queue_entity = self.layout.queues + queue;
        let mut returned: Vec<(Message, bool)> = Vec::with_capacity(handles.len());
        for handle in handles {
            let Some(job) = self.jobs.remove(handle) else {
                continue;
            };
            let Origin::Message {
                message,
                edge,
                dispatched_ns,
                ..
            } = job.origin
            else {
                continue;
            };
            let started = !in_transit.contains(&handle)
                && self
                    .broker_mut(queue)
                    .consumers
                    .get(message.consumer as usize)
                    .is_some_and(|c| c.current == Some(handle));
            if started {
                let operation_entity = self.layout.operations + job.operation;
                self.metrics.busy(operation_entity, now, -1);
                self.service_level(service, now, -1);
                self.metrics.finish(
                    operation_entity,
                    now,
                    job.arrived_ns,
                    Err(ErrorKind::Dropped),
                );
                self.metrics.wasted(
                    operation_entity,
                    job.arrived_ns,
                    now.saturating_sub(job.service_start_ns),
                );
                if let Some(trace) = self.broker_mut(queue).trace.as_mut() {
                    trace.push(trace_event(now, false, false, &message, kafka));
                }
            }
            self.metrics.finish(
                self.layout.edges + edge,
                now,
                dispatched_ns,
                Err(ErrorKind::Dropped),
            );
            if model.kind != BrokerKind::Sqs {
                self.metrics.busy(queue_entity, now, -1);
            }
            returned.push((message, started && job.served && !job.step_failed));
        }
        let broker = self.broker_mut(queue);
        let first = (replica as usize).saturating_mul(concurrency as usize);
        let end = first
            .saturating_add(concurrency as usize)
            .min(broker.consumers.len());
        if first < end {
            broker.consumers[first..end].fill(ConsumerState::default());
        }
        match model.kind {
            BrokerKind::Rabbitmq | BrokerKind::DbPoll => {
                returned.sort_by_key(|(m, _)| (m.enqueued_ns, m.id));
                let max_deliveries = self.model.queues[queue as usize].max_deliveries;
                let mut requeued = Vec::with_capacity(returned.len());
                for (mut message, handled) in returned {
                    if handled {
                        message.position = 1;
                    }
                    if message.deliveries < max_deliveries {
                        requeued.push(message);
                    } else {
                        self.dead_letter(queue, message);
                    }
                }
                self.requeue_at_head(queue, &requeued);
            }
            BrokerKind::Sqs => {
                for (message, handled) in returned {
                    self.sqs_abandoned(queue, message.position, handled);
                }
            }
            BrokerKind::Kafka => {
                for (message, handled) in returned {
                    self.kafka_abandoned(queue, &message, handled);
                }
            }
        }
        self.events.push(now, Event::Dispatch { queue });
        if leaves_group_ns > now {
            self.events.push(leaves_group_ns, Event::Dispatch { queue });
        }
    }

    /// Reconnects the consumers of `queue` on `replica`, which restarted: they receive
    /// messages again, and a Kafka-like queue's group takes them back at its next
    /// dispatch.
    pub(super) fn restart_consumers(&mut self, queue: u32, replica: u32) {
        if let Some(broker) = self.queues[queue as usize].broker.as_deref_mut() {
            broker.down.retain(|d| d.replica != replica);
        }
    }

    /// Counts the messages of `queue` that take room in its `capacity`: its ready
    /// messages, and on an SQS-like or database-backed queue also the messages received
    /// or taken and not yet deleted, which stay stored until then.
    pub(super) fn stored_messages(&self, queue: u32) -> u64 {
        let state = &self.queues[queue as usize];
        let ready = state.messages.len() as u64;
        let Some(broker) = state.broker.as_deref() else {
            return ready;
        };
        match self.model.queues[queue as usize].broker.map(|b| b.kind) {
            Some(BrokerKind::Sqs) => ready + broker.hidden,
            Some(BrokerKind::DbPoll) => {
                ready
                    + broker
                        .consumers
                        .iter()
                        .map(|c| u64::from(c.unacked))
                        .sum::<u64>()
            }
            _ => ready,
        }
    }

    /// Ends every handling in progress on `queue` as if its consumer vanished, as a
    /// crash of the consuming replicas would, and returns how many ended. `handled` is
    /// whether the handlings had succeeded without acknowledging. The operation records
    /// each as failed. Does nothing on a queue without broker settings.
    pub fn abandon_handlings(&mut self, queue: usize, handled: bool) -> usize {
        let Some(broker) = self.queues.get(queue).and_then(|q| q.broker.as_deref()) else {
            return 0;
        };
        let current: Vec<Handle> = broker.consumers.iter().filter_map(|c| c.current).collect();
        let kafka = self.model.queues[queue]
            .broker
            .is_some_and(|b| b.kind == BrokerKind::Kafka);
        let now = self.now_ns;
        for handle in &current {
            let Some(job) = self.jobs.remove(*handle) else {
                continue;
            };
            let Origin::Message {
                queue,
                message,
                edge,
                dispatched_ns,
            } = job.origin
            else {
                continue;
            };
            let operation_entity = self.layout.operations + job.operation;
            self.metrics.busy(operation_entity, now, -1);
            self.service_level(job.service, now, -1);
            self.metrics.finish(
                operation_entity,
                now,
                job.arrived_ns,
                Err(ErrorKind::Failed),
            );
            self.metrics.finish(
                self.layout.edges + edge,
                now,
                dispatched_ns,
                Err(ErrorKind::Failed),
            );
            if let Some(trace) = self.broker_mut(queue).trace.as_mut() {
                trace.push(trace_event(now, false, false, &message, kafka));
            }
            self.delivery_abandoned(*handle, queue, message, job.replica, handled);
        }
        current.len()
    }

    fn requeue_or_dead_letter(&mut self, queue: u32, message: Message, max_deliveries: u32) {
        if message.deliveries < max_deliveries {
            self.requeue_at_head(queue, &[message]);
        } else {
            self.dead_letter(queue, message);
        }
    }

    /// Frees the consumer of a delivery that ended and hands it its next held job.
    fn release_consumer(&mut self, queue: u32, handle: Handle, message: &Message) {
        let now = self.now_ns;
        let broker = self.broker_mut(queue);
        let Some(consumer) = broker.consumers.get_mut(message.consumer as usize) else {
            return;
        };
        consumer.unacked = consumer.unacked.saturating_sub(1);
        if consumer.current == Some(handle) {
            consumer.current = None;
        } else {
            consumer.held.retain(|h| *h != handle);
            return;
        }
        let next = consumer.held.pop_front();
        if let Some(next) = next {
            consumer.current = Some(next);
            self.events.push(now, Event::Deliver { job: next });
        }
    }

    fn dead_letter(&mut self, queue: u32, message: Message) {
        let now = self.now_ns;
        self.metrics.finish_counts(
            self.layout.queues + queue,
            now,
            message.enqueued_ns,
            Err(ErrorKind::DeadLettered),
        );
        if let Some(target) = self.model.queues[queue as usize].dead_letter {
            self.move_to_dead_letter(target, message);
        }
    }

    fn sqs_done(&mut self, queue: u32, message: &Message, outcome: Result<(), ErrorKind>) {
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        let sequence = message.position;
        let broker = self.broker_mut(queue);
        let Some(record) = broker.records.get_mut(&sequence) else {
            return;
        };
        record.running = record.running.saturating_sub(1);
        if outcome.is_ok() {
            record.handled = true;
            if !record.deleted {
                record.deleted = true;
                let enqueued = record.message.enqueued_ns;
                if record.hidden {
                    record.hidden = false;
                    broker.hidden -= 1;
                    self.metrics.busy(queue_entity, now, -1);
                } else {
                    // Visible again after its timeout and not yet received: the delete
                    // removes it from the ready messages.
                    let messages = &mut self.queues[queue as usize].messages;
                    if let Some(i) = messages.iter().position(|m| m.position == sequence) {
                        messages.remove(i);
                        self.metrics.level(queue_entity, now, -1);
                    }
                }
                self.metrics
                    .finish_counts(queue_entity, now, enqueued, Ok(()));
            }
        }
        let broker = self.broker_mut(queue);
        if broker
            .records
            .get(&sequence)
            .is_some_and(|r| r.deleted && r.running == 0)
        {
            broker.records.remove(&sequence);
        }
    }

    /// Records the lag of every partition at the end of a window.
    pub(super) fn sample_partition_lags(&mut self, time_ns: u64) {
        let measuring = time_ns >= self.options.warmup_ns;
        for state in &mut self.queues {
            let Some(broker) = state.broker.as_deref_mut() else {
                continue;
            };
            for partition in &mut broker.partitions {
                let lag = partition.lag();
                partition.lag_series.push(lag);
                if measuring {
                    partition.max_lag = partition.max_lag.max(lag);
                }
            }
        }
    }
}

fn trace_event(
    at_ns: u64,
    start: bool,
    success: bool,
    message: &Message,
    kafka: bool,
) -> TraceEvent {
    TraceEvent {
        at_ns,
        start,
        success,
        message_id: message.id,
        consumer: message.consumer,
        partition: if kafka {
            message.position_partition() as u32
        } else {
            0
        },
        offset: if kafka { message.position_offset() } else { 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_major_order_spreads_replicas() {
        // Three replicas with two consumers each: consumers 0..6, replica k / 2.
        let order: Vec<u32> = (0..6).map(|j| Simulation::consumer_at(j, 6, 2)).collect();
        assert_eq!(order, vec![0, 2, 4, 1, 3, 5]);
    }

    #[test]
    fn keys_spread_over_partitions() {
        let partitions: Vec<u32> = (0..1000).map(|k| partition_of_key(k, 4)).collect();
        for p in 0..4 {
            let count = partitions.iter().filter(|x| **x == p).count();
            // 250 expected each; the binomial standard deviation is about 14.
            assert!((180..=320).contains(&count), "partition {p}: {count}");
        }
    }
}
