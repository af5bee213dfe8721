//! Queues: publishes, overflow policies, dispatch to consumers, redelivery and
//! dead-lettering.

use crate::metrics::recorder::ErrorKind;
use crate::scenario::Overflow;

use super::{Event, Job, Message, Origin, Simulation};
use crate::engine::slab::Handle;

impl Simulation {
    pub(super) fn publish_arrive(&mut self, call: Handle, attempt: u32, queue: u32, edge: u32) {
        let now = self.now_ns;
        let id = self.calls.get(call).map_or(0, |c| c.message_id);
        let message = Message {
            id,
            enqueued_ns: now,
            ..Message::default()
        };
        if !self.is_full(queue) {
            self.enqueue(queue, message);
            self.respond(call, attempt, edge, Ok(()));
            self.dispatch(queue);
            return;
        }
        let model = &self.model.queues[queue as usize];
        let overflow = match model.overflow {
            // Every message an SQS-like or database-backed queue stores is in flight:
            // none can be dropped, so the publish is refused.
            Overflow::DropOldest | Overflow::DropHead
                if self.queues[queue as usize].messages.is_empty() =>
            {
                Overflow::Reject
            }
            overflow => overflow,
        };
        match overflow {
            Overflow::Reject | Overflow::RejectPublish => {
                self.metrics
                    .reject(self.layout.queues + queue, now, ErrorKind::Rejected);
                self.respond(call, attempt, edge, Err(ErrorKind::Rejected));
            }
            Overflow::RejectPublishDlx => {
                let dead_letter = model.dead_letter;
                self.metrics
                    .reject(self.layout.queues + queue, now, ErrorKind::Rejected);
                self.respond(call, attempt, edge, Err(ErrorKind::Rejected));
                if let Some(target) = dead_letter {
                    self.move_to_dead_letter(target, message);
                }
            }
            Overflow::DropOldest | Overflow::DropHead => {
                self.drop_oldest(queue);
                self.enqueue(queue, message);
                self.respond(call, attempt, edge, Ok(()));
                self.dispatch(queue);
            }
            Overflow::Block => {
                self.queues[queue as usize]
                    .blocked
                    .push_back((call, attempt, edge, message));
            }
        }
    }

    /// Returns whether `queue` has no room for a publish: the messages that take room in
    /// its `capacity` reach it. Those are the ready messages, and on an SQS-like or
    /// database-backed queue also the messages in flight, which stay stored until deleted.
    fn is_full(&self, queue: u32) -> bool {
        self.model.queues[queue as usize]
            .capacity
            .is_some_and(|capacity| self.stored_messages(queue) >= capacity)
    }

    /// Returns `messages`, earliest first, to the head of `queue` in that order, as a
    /// broker requeues unacknowledged messages, even when that puts more ready messages
    /// than `capacity` in the queue.
    ///
    /// With `drop-oldest` (`drop-head`), the head is then dropped until the ready
    /// messages fit, as RabbitMQ drops from the head after a requeue. The ready messages
    /// fit before the requeue, so the messages dropped are the earliest of `messages`,
    /// which are counted as `dropped` without entering the queue again. The other
    /// overflow policies drop nothing: the depth stays above `capacity` until consumers
    /// take messages, and publishes meanwhile are refused or wait. SQS-like and
    /// database-backed queues count their messages in flight towards `capacity`, so a
    /// message coming back never exceeds it.
    pub(super) fn requeue_at_head(&mut self, queue: u32, messages: &[Message]) {
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        let model = &self.model.queues[queue as usize];
        let dropped = match model.capacity {
            Some(capacity) if model.overflow.normalized() == Overflow::DropOldest => {
                let after = self.stored_messages(queue) + messages.len() as u64;
                (after.saturating_sub(capacity) as usize).min(messages.len())
            }
            _ => 0,
        };
        for message in &messages[..dropped] {
            self.metrics.finish_counts(
                queue_entity,
                now,
                message.enqueued_ns,
                Err(ErrorKind::Dropped),
            );
        }
        for message in messages[dropped..].iter().rev() {
            self.metrics.level(queue_entity, now, 1);
            self.queues[queue as usize].messages.push_front(*message);
        }
    }

    fn enqueue(&mut self, queue: u32, message: Message) {
        self.metrics.arrive(self.layout.queues + queue, self.now_ns);
        if self.queues[queue as usize].broker.is_some() {
            self.broker_enqueue(queue, message);
            return;
        }
        self.queues[queue as usize].messages.push_back(message);
    }

    fn drop_oldest(&mut self, queue: u32) {
        if let Some(oldest) = self.queues[queue as usize].messages.pop_front() {
            if self.queues[queue as usize].broker.is_some() {
                self.broker_forget(queue, &oldest);
            }
            let now = self.now_ns;
            self.metrics.finish(
                self.layout.queues + queue,
                now,
                oldest.enqueued_ns,
                Err(ErrorKind::Dropped),
            );
        }
    }

    /// Hands queued messages to free consumers, then lets blocked publishers in.
    pub(super) fn dispatch(&mut self, queue: u32) {
        if self.queue_paused(queue) {
            return;
        }
        if self.queues[queue as usize].broker.is_some() {
            self.broker_dispatch(queue);
            self.admit_blocked(queue);
            return;
        }
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        if let Some((operation, concurrency, edge)) = self.model.queues[queue as usize].consumer {
            let service = self.model.operations[operation as usize].service;
            loop {
                let state = &mut self.queues[queue as usize];
                if state.messages.is_empty() {
                    break;
                }
                let replicas = state.active_replicas.min(state.busy_consumers.len() as u32);
                let free = (0..replicas)
                    .map(|k| (state.next_replica + k) % replicas.max(1))
                    .find(|r| state.busy_consumers[*r as usize] < concurrency);
                let Some(replica) = free else { break };
                state.next_replica = (replica + 1) % replicas;
                state.busy_consumers[replica as usize] += 1;
                let Some(mut message) = state.messages.pop_front() else {
                    break;
                };
                message.deliveries += 1;
                self.metrics.level(queue_entity, now, -1);
                self.metrics.busy(queue_entity, now, 1);
                self.send_message(queue, message, (operation, service, replica), edge);
            }
        }
        self.admit_blocked(queue);
    }

    fn admit_blocked(&mut self, queue: u32) {
        loop {
            if self.queues[queue as usize].blocked.is_empty() || self.is_full(queue) {
                return;
            }
            let state = &mut self.queues[queue as usize];
            let Some((call, attempt, edge, mut message)) = state.blocked.pop_front() else {
                return;
            };
            message.enqueued_ns = self.now_ns;
            self.enqueue(queue, message);
            self.respond(call, attempt, edge, Ok(()));
        }
    }

    pub(super) fn deliver(&mut self, handle: Handle) {
        let now = self.now_ns;
        if self.broker_hold(handle) {
            return;
        }
        let Some(job) = self.jobs.get_mut(handle) else {
            return;
        };
        job.arrived_ns = now;
        let (operation, service, replica) = (job.operation, job.service, job.replica);
        self.service_level(service, now, 1);
        self.metrics.arrive(self.layout.operations + operation, now);
        let state = &self.services[service as usize];
        let crashed = state
            .replicas
            .get(replica as usize)
            .is_some_and(|r| r.crashed.is_some());
        // No queue delivers to a crashed replica: a plain queue's consumer slots stay
        // taken, and a queue with broker settings skips the consumers of the replica. A
        // crash ends the deliveries on their way to the replica.
        debug_assert!(!crashed, "a delivery reached a crashed replica");
        if state.outage.is_some() || crashed {
            // A consumer in an outage cannot handle the message; the broker redelivers.
            self.metrics
                .busy(self.layout.operations + operation, now, 1);
            self.finish_job(handle, Err(ErrorKind::Failed));
            return;
        }
        self.start_job(handle, false);
    }

    pub(super) fn message_done(
        &mut self,
        queue: u32,
        message: Message,
        outcome: Result<(), ErrorKind>,
    ) {
        let now = self.now_ns;
        let queue_entity = self.layout.queues + queue;
        self.metrics.busy(queue_entity, now, -1);
        let model = &self.model.queues[queue as usize];
        match outcome {
            Ok(()) => {
                self.metrics
                    .finish_counts(queue_entity, now, message.enqueued_ns, Ok(()));
            }
            Err(_) if message.deliveries < model.max_deliveries => {
                // Back to the head of the queue, as a broker requeues a rejected message.
                self.requeue_at_head(queue, &[message]);
            }
            Err(_) => {
                let dead_letter = model.dead_letter;
                self.metrics.finish_counts(
                    queue_entity,
                    now,
                    message.enqueued_ns,
                    Err(ErrorKind::DeadLettered),
                );
                if let Some(target) = dead_letter {
                    self.move_to_dead_letter(target, message);
                }
            }
        }
        // Redelivery goes through an event, so that a consumer failing at once cannot
        // recurse once per delivery.
        self.events.push(now, Event::Dispatch { queue });
    }

    /// Returns a message whose delivery was abandoned, because the consumer that held it
    /// crashed, to its queue by the queue's rules: a queue with broker settings reacts as
    /// its broker does, and a plain queue counts it as a failed delivery. The caller has
    /// removed the job `job` and recorded the operation's side.
    pub(super) fn abandon_delivery(
        &mut self,
        job: Handle,
        queue: u32,
        message: Message,
        replica: u32,
    ) {
        if self.queues[queue as usize].broker.is_some() {
            self.delivery_abandoned(job, queue, message, replica, false);
        } else {
            self.message_done(queue, message, Err(ErrorKind::Dropped));
        }
    }

    pub(super) fn move_to_dead_letter(&mut self, queue: u32, message: Message) {
        let now = self.now_ns;
        let moved = Message {
            id: message.id,
            enqueued_ns: now,
            ..Message::default()
        };
        if self.is_full(queue) {
            let model = &self.model.queues[queue as usize];
            if model.overflow.normalized() == Overflow::DropOldest
                && !self.queues[queue as usize].messages.is_empty()
            {
                self.drop_oldest(queue);
            } else {
                self.metrics
                    .reject(self.layout.queues + queue, now, ErrorKind::Rejected);
                return;
            }
        }
        self.enqueue(queue, moved);
        self.dispatch(queue);
    }

    /// Sends `message` of `queue` over the consume `edge` to the consumer that runs
    /// `operation` on `replica` of `service`, given as (operation, service, replica),
    /// as a new job that starts when it arrives.
    pub(super) fn send_message(
        &mut self,
        queue: u32,
        message: Message,
        (operation, service, replica): (u32, u32, u32),
        edge: u32,
    ) {
        let now = self.now_ns;
        let edge_entity = self.layout.edges + edge;
        self.metrics
            .attempt(edge_entity, now, message.deliveries > 1);
        self.metrics.arrive(edge_entity, now);
        let job = self.jobs.insert(Job {
            operation,
            service,
            replica,
            origin: Origin::Message {
                queue,
                message,
                edge,
                dispatched_ns: now,
            },
            next_step: 0,
            served: false,
            pending: 0,
            step_failed: false,
            arrived_ns: now,
            service_start_ns: now,
            // NOTE: deadlines do not travel with messages, so a consumer's calls start
            // without one.
            deadline_ns: u64::MAX,
        });
        match self.transmit(edge) {
            Some(0) | None => self.deliver(job),
            Some(delay) => self.events.push(now + delay, Event::Deliver { job }),
        }
    }
}
