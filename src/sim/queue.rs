//! A deterministic event queue on the `priority-queue` crate.

use super::time::SimTime;
use priority_queue::PriorityQueue;
use std::borrow::Borrow;
use std::cmp::Reverse;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Identifies a scheduled event; returned by [`EventQueue::schedule`] and usable to
/// cancel or move the event before it pops. Ids are never reused within one queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

impl EventId {
    /// The sequence number of the event: the order in which it was scheduled.
    pub fn sequence(self) -> u64 {
        self.0
    }
}

/// Errors of the event queue. None of them is fatal to the queue itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchedulingError {
    /// The requested time is earlier than the time of the last popped event.
    #[error("cannot schedule an event at {at} before the current time {now}")]
    InPast {
        /// The queue's current time.
        now: SimTime,
        /// The requested time.
        at: SimTime,
    },
    /// The event id is not (or no longer) in the queue.
    #[error("event {0:?} is not pending")]
    NotPending(EventId),
}

/// A pending event: the payload, identified (hashed and compared) by its id only.
#[derive(Debug)]
struct Slot<E> {
    id: EventId,
    payload: E,
}

impl<E> PartialEq for Slot<E> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl<E> Eq for Slot<E> {}
impl<E> Hash for Slot<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}
impl<E> Borrow<EventId> for Slot<E> {
    fn borrow(&self) -> &EventId {
        &self.id
    }
}

/// A hasher for the queue's internal index, keyed by unique sequence numbers: a
/// multiplicative mix is enough and much cheaper than SipHash.
#[derive(Default)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A priority queue of timed events.
///
/// Ordering: events pop by increasing time; events with equal times pop in the
/// order they were scheduled (FIFO), because every event carries a sequence number
/// assigned by the queue and the key is `(time, sequence)`. The order is therefore a
/// pure function of the calls made, never of hashing or memory layout.
///
/// The queue's current time ([`now`](Self::now)) is the time of the last popped event.
/// Scheduling before it returns [`SchedulingError::InPast`].
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: PriorityQueue<Slot<E>, Reverse<(SimTime, u64)>, BuildHasherDefault<SeqHasher>>,
    next_seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            heap: PriorityQueue::with_default_hasher(),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the last popped event (zero before the first pop).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `payload` at `at`. Fails if `at` is before [`now`](Self::now).
    pub fn schedule(&mut self, at: SimTime, payload: E) -> Result<EventId, SchedulingError> {
        if at < self.now {
            return Err(SchedulingError::InPast { now: self.now, at });
        }
        let id = EventId(self.next_seq);
        self.next_seq += 1;
        self.heap.push(Slot { id, payload }, Reverse((at, id.0)));
        Ok(id)
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|(_, Reverse((t, _)))| *t)
    }

    /// The next event without removing it: its time, id and payload.
    pub fn peek(&self) -> Option<(SimTime, EventId, &E)> {
        self.heap
            .peek()
            .map(|(slot, Reverse((t, _)))| (*t, slot.id, &slot.payload))
    }

    /// Removes and returns the next event, advancing [`now`](Self::now) to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (slot, Reverse((t, _))) = self.heap.pop()?;
        self.now = t;
        Some((t, slot.payload))
    }

    /// Removes the next event if its time is at or before `limit`.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        match self.peek_time() {
            Some(t) if t <= limit => self.pop(),
            _ => None,
        }
    }

    /// Cancels a pending event and returns its payload.
    pub fn cancel(&mut self, id: EventId) -> Result<E, SchedulingError> {
        self.heap
            .remove(&id)
            .map(|(slot, _)| slot.payload)
            .ok_or(SchedulingError::NotPending(id))
    }

    /// Moves a pending event to a new time. The event keeps its id but takes a new
    /// place in the tie order, as if it had been scheduled now.
    pub fn reschedule(&mut self, id: EventId, at: SimTime) -> Result<(), SchedulingError> {
        if at < self.now {
            return Err(SchedulingError::InPast { now: self.now, at });
        }
        let seq = self.next_seq;
        match self.heap.change_priority(&id, Reverse((at, seq))) {
            Some(_) => {
                self.next_seq += 1;
                Ok(())
            }
            None => Err(SchedulingError::NotPending(id)),
        }
    }

    /// Advances the current time without popping (for callers that process their own
    /// local events); fails if `t` is before the current time or after a pending event.
    pub fn advance_now(&mut self, t: SimTime) -> Result<(), SchedulingError> {
        if t < self.now {
            return Err(SchedulingError::InPast {
                now: self.now,
                at: t,
            });
        }
        if let Some(next) = self.peek_time() {
            if t > next {
                return Err(SchedulingError::InPast { now: next, at: t });
            }
        }
        self.now = t;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sim::Picos;

    #[test]
    fn equal_times_pop_fifo() {
        let mut q = EventQueue::new();
        for i in 0..100u32 {
            q.schedule(SimTime::from_ps(7), i).unwrap();
        }
        let out: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(out, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn pops_are_non_decreasing() {
        // A deterministic pseudo-random schedule, including events scheduled while popping.
        let mut q = EventQueue::new();
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..1000 {
            let t = next() % 10_000;
            q.schedule(SimTime::from_ps(t), t).unwrap();
        }
        let mut last = SimTime::ZERO;
        let mut popped = 0;
        while let Some((t, _)) = q.pop() {
            assert!(t >= last);
            last = t;
            popped += 1;
            if popped < 2000 {
                let d = next() % 50;
                q.schedule(t + Picos(d), 0).unwrap();
            }
        }
        assert_eq!(popped, 1000 + 1999);
    }

    #[test]
    fn past_is_an_error_not_a_panic() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_ps(10), ()).unwrap();
        q.pop().unwrap();
        let err = q.schedule(SimTime::from_ps(9), ()).unwrap_err();
        assert_eq!(
            err,
            SchedulingError::InPast {
                now: SimTime::from_ps(10),
                at: SimTime::from_ps(9)
            }
        );
        assert!(q.schedule(SimTime::from_ps(10), ()).is_ok());
    }

    #[test]
    fn cancel_and_reschedule() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime::from_ps(5), 'a').unwrap();
        let b = q.schedule(SimTime::from_ps(5), 'b').unwrap();
        let c = q.schedule(SimTime::from_ps(6), 'c').unwrap();
        assert_eq!(q.cancel(b).unwrap(), 'b');
        assert!(q.cancel(b).is_err());
        q.reschedule(a, SimTime::from_ps(6)).unwrap();
        // 'a' was moved after 'c' was scheduled, so at the tie 'c' pops first.
        assert_eq!(q.pop(), Some((SimTime::from_ps(6), 'c')));
        assert_eq!(q.pop(), Some((SimTime::from_ps(6), 'a')));
        assert!(q.reschedule(c, SimTime::from_ps(9)).is_err());
    }
}
