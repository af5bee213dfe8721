//! The event queue: a binary heap ordered by simulated time, then by sequence number.
//!
//! Tie rule: events at the same nanosecond run in the order they were scheduled, because
//! each gets the next sequence number when it is pushed. Nothing else, such as memory
//! addresses or hash order, decides the order.

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
        outcome: u32,
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
    /// An attempt's wait for a permit of its call site's bulkhead ends.
    BulkheadWaitEnd { call: Handle, attempt: u32 },
    /// An autoscaler evaluates its service's metric.
    AutoscaleEvaluate { service: u32 },
    /// A replica started by an autoscaler becomes ready, unless it was cancelled.
    ReplicaReady { service: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Scheduled {
    time_ns: u64,
    sequence: u64,
    event: Event,
}

impl Scheduled {
    /// Whether `self` runs before `other`. Sequence numbers are unique, so two entries
    /// are never equal.
    #[inline]
    fn runs_before(&self, other: &Self) -> bool {
        // One 128-bit comparison instead of two branches.
        let key = |s: &Self| (u128::from(s.time_ns) << 64) | u128::from(s.sequence);
        key(self) < key(other)
    }
}

/// Pending events, in a binary min-heap on (time, sequence number).
///
/// The heap is written out rather than taken from `std::collections::BinaryHeap`: moving
/// entries into a hole instead of swapping them, with one comparison of a 128-bit key,
/// halves the instructions of a pop.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: Vec<Scheduled>,
    next_sequence: u64,
}

impl EventQueue {
    /// Schedules `event` at `time_ns`.
    ///
    /// Inlined into each caller, so that the event is written once, into the heap. When
    /// it was called, it copied the event from the caller's stack right after the caller
    /// had stored it there, and a `perf` profile put most of its time on that copy.
    #[expect(
        clippy::inline_always,
        reason = "a call costs a slow copy of the event, see the documentation"
    )]
    #[inline(always)]
    pub fn push(&mut self, time_ns: u64, event: Event) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let entry = Scheduled {
            time_ns,
            sequence,
            event,
        };
        let mut hole = self.heap.len();
        self.heap.push(entry);
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if !entry.runs_before(&self.heap[parent]) {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = entry;
    }

    /// The time of the earliest event.
    #[inline]
    #[must_use]
    pub fn peek_time(&self) -> Option<u64> {
        self.heap.first().map(|s| s.time_ns)
    }

    /// Takes the earliest event.
    /// Removes and returns the earliest event if it is due before `end_ns`.
    #[inline]
    pub fn pop_before(&mut self, end_ns: u64) -> Option<(u64, Event)> {
        match self.heap.first() {
            Some(first) if first.time_ns < end_ns => self.pop(),
            _ => None,
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        let last = self.heap.pop()?;
        let Some(&first) = self.heap.first() else {
            return Some((last.time_ns, last.event));
        };
        // Move the last entry down from the root, lifting the earlier child into the hole
        // at each level, until it runs before both children.
        let len = self.heap.len();
        let mut hole = 0;
        loop {
            let mut child = 2 * hole + 1;
            if child >= len {
                break;
            }
            if child + 1 < len && self.heap[child + 1].runs_before(&self.heap[child]) {
                child += 1;
            }
            if !self.heap[child].runs_before(&last) {
                break;
            }
            self.heap[hole] = self.heap[child];
            hole = child;
        }
        self.heap[hole] = last;
        Some((first.time_ns, first.event))
    }

    /// The pending events with their times, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Event)> {
        self.heap.iter().map(|s| (s.time_ns, &s.event))
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

    proptest::proptest! {
        /// Interleaved pushes and pops take events in (time, push order), as a sorted
        /// reference list does.
        #[test]
        fn pops_follow_time_then_push_order(
            operations in proptest::collection::vec(proptest::option::of(0u64..20), 0..300),
        ) {
            let mut queue = EventQueue::default();
            let mut reference: Vec<(u64, u32)> = Vec::new();
            for (index, operation) in operations.into_iter().enumerate() {
                let client = index as u32;
                if let Some(time_ns) = operation {
                    queue.push(time_ns, Event::Arrival { client, generation: 0 });
                    reference.push((time_ns, client));
                    // A stable sort: equal times keep their push order.
                    reference.sort_by_key(|&(time_ns, _)| time_ns);
                } else {
                    let expected = (!reference.is_empty()).then(|| reference.remove(0));
                    let actual = queue.pop().map(|(time_ns, event)| match event {
                        Event::Arrival { client, .. } => (time_ns, client),
                        _ => (time_ns, u32::MAX),
                    });
                    proptest::prop_assert_eq!(actual, expected);
                }
                proptest::prop_assert_eq!(queue.len(), reference.len());
                proptest::prop_assert_eq!(queue.peek_time(), reference.first().map(|r| r.0));
            }
        }
    }
}
