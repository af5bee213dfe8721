//! The event queue: a binary heap ordered by simulated time, then by sequence number.
//!
//! Tie rule: events at the same nanosecond run in the order they were scheduled, because
//! each gets the next sequence number when it is pushed. Nothing else, such as memory
//! addresses or hash order, decides the order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::slab::Handle;

/// What happens at a scheduled time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// The next arrival of an open client; stale unless `generation` is the client's
    /// current one, which changes when its rate is changed while running.
    Arrival { client: u32, generation: u32 },
    /// A user of a closed client ends its think time and sends a request.
    UserWake { client: u32 },
    /// A call's next attempt leaves after its backoff.
    SendAttempt { call: Handle },
    /// A request or publish reaches its target.
    RequestArrive {
        call: Handle,
        attempt: u32,
        target: u32,
        edge: u32,
    },
    /// A response or acknowledgement reaches the caller; `outcome` is 0 for success or
    /// 1 + the error kind.
    ResponseArrive {
        call: Handle,
        attempt: u32,
        edge: u32,
        outcome: u8,
    },
    /// A call's attempt times out.
    Timeout { call: Handle, attempt: u32 },
    /// A job ends its service time or a work step.
    StageDone { job: Handle },
    /// A message reaches its consumer.
    Deliver { job: Handle },
    /// A queue tries to hand messages to free consumers.
    Dispatch { queue: u32 },
    /// A scheduled fault begins.
    FaultStart { fault: u32 },
    /// A scheduled fault ends.
    FaultEnd { fault: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Scheduled {
    time_ns: u64,
    sequence: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.time_ns == other.time_ns && self.sequence == other.sequence
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed, so that the max-heap pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time_ns, other.sequence).cmp(&(self.time_ns, self.sequence))
    }
}

/// Pending events.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Scheduled>,
    next_sequence: u64,
}

impl EventQueue {
    /// Schedules `event` at `time_ns`.
    #[inline]
    pub fn push(&mut self, time_ns: u64, event: Event) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Scheduled {
            time_ns,
            sequence,
            event,
        });
    }

    /// The time of the earliest event.
    #[inline]
    #[must_use]
    pub fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|s| s.time_ns)
    }

    /// Takes the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        self.heap.pop().map(|s| (s.time_ns, s.event))
    }

    /// Number of pending events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_push_order() {
        let mut queue = EventQueue::default();
        queue.push(
            5,
            Event::Arrival {
                client: 1,
                generation: 0,
            },
        );
        queue.push(
            3,
            Event::Arrival {
                client: 0,
                generation: 0,
            },
        );
        queue.push(
            5,
            Event::Arrival {
                client: 2,
                generation: 0,
            },
        );
        queue.push(
            5,
            Event::Arrival {
                client: 3,
                generation: 0,
            },
        );
        let order: Vec<Event> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        let clients: Vec<u32> = order
            .iter()
            .map(|e| match e {
                Event::Arrival { client, .. } => *client,
                _ => u32::MAX,
            })
            .collect();
        assert_eq!(clients, vec![0, 1, 2, 3]);
    }
}
