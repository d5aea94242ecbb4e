//! One pending wake-up per component, for simulations whose components each wait for
//! a single next cycle (the DRAM channels of a memory system).

/// The key of a leaf: the cycle in the high 64 bits, the sequence number in the low
/// ones, so that one comparison orders by (cycle, sequence). An empty leaf has the
/// largest key.
type Key = u128;

const EMPTY: Key = u128::MAX;

#[inline]
fn key(cycle: u64, seq: u64) -> Key {
    (u128::from(cycle) << 64) | u128::from(seq)
}

#[inline]
fn cycle_of(key: Key) -> u64 {
    (key >> 64) as u64
}

/// A schedule holding at most one wake-up cycle for each of a fixed set of
/// components `0..n`.
///
/// Ordering is that of [`EventQueue`](super::EventQueue): wake-ups pop by increasing
/// cycle, and wake-ups at the same cycle in the order they were set (every
/// [`set`](Self::set) takes a new place in the tie order). The schedule is a tournament
/// tree over the components, so moving one wake-up costs `log2(n)` comparisons, the
/// earliest one is read in constant time and the earliest of all the others (see
/// [`earliest_other`](Self::earliest_other)) in `log2(n)`.
///
/// ```
/// use deepstack::sim::WakeSchedule;
/// let mut w = WakeSchedule::new(3);
/// w.set(2, 10);
/// w.set(0, 10);
/// w.set(1, 12);
/// assert_eq!(w.peek(), Some((10, 2)));
/// assert_eq!(w.earliest_other(2), 10);
/// w.set(2, 11);
/// assert_eq!(w.peek(), Some((10, 0)));
/// w.clear(0);
/// assert_eq!(w.peek(), Some((11, 2)));
/// assert_eq!(w.earliest_other(2), 12);
/// ```
#[derive(Clone, Debug)]
pub struct WakeSchedule {
    /// Per component: its key, [`EMPTY`] when it has no wake-up.
    keys: Vec<Key>,
    /// Tournament tree: node `k` holds the component with the smallest key below it;
    /// the leaves are at `leaves..2 * leaves`, the root at 1.
    tree: Vec<u32>,
    leaves: usize,
    next_seq: u64,
    now: u64,
}

impl WakeSchedule {
    /// An empty schedule for components `0..n`, at cycle 0.
    pub fn new(n: usize) -> Self {
        let leaves = n.max(1).next_power_of_two();
        let mut tree = vec![0u32; 2 * leaves];
        for (i, node) in tree[leaves..].iter_mut().enumerate() {
            *node = i as u32;
        }
        let mut w = WakeSchedule {
            keys: vec![EMPTY; leaves],
            tree,
            leaves,
            next_seq: 0,
            now: 0,
        };
        for k in (1..leaves).rev() {
            w.tree[k] = w.winner(w.tree[2 * k], w.tree[2 * k + 1]);
        }
        w
    }

    #[inline]
    fn winner(&self, a: u32, b: u32) -> u32 {
        if self.keys[b as usize] < self.keys[a as usize] {
            b
        } else {
            a
        }
    }

    #[inline]
    fn replay(&mut self, i: usize) {
        let mut k = (self.leaves + i) / 2;
        while k >= 1 {
            self.tree[k] = self.winner(self.tree[2 * k], self.tree[2 * k + 1]);
            k /= 2;
        }
    }

    /// The cycle of the last wake-up taken (see [`advance_now`](Self::advance_now)).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Sets (or moves) component `i`'s wake-up to `cycle`, after every wake-up already
    /// set for the same cycle. Returns false, and changes nothing, if `cycle` is
    /// before [`now`](Self::now) or `i` is not a component.
    #[inline]
    pub fn set(&mut self, i: usize, cycle: u64) -> bool {
        if cycle < self.now || i >= self.keys.len() {
            return false;
        }
        self.keys[i] = key(cycle, self.next_seq);
        self.next_seq += 1;
        self.replay(i);
        true
    }

    /// Removes component `i`'s wake-up, if any.
    #[inline]
    pub fn clear(&mut self, i: usize) {
        if i < self.keys.len() && self.keys[i] != EMPTY {
            self.keys[i] = EMPTY;
            self.replay(i);
        }
    }

    /// Component `i`'s wake-up cycle, if it has one.
    #[inline]
    pub fn get(&self, i: usize) -> Option<u64> {
        self.keys
            .get(i)
            .filter(|k| **k != EMPTY)
            .map(|&k| cycle_of(k))
    }

    /// The earliest wake-up: its cycle and component.
    #[inline]
    pub fn peek(&self) -> Option<(u64, usize)> {
        let w = self.tree[1] as usize;
        let key = self.keys[w];
        (key != EMPTY).then_some((cycle_of(key), w))
    }

    /// The earliest wake-up cycle among the components other than `i` (`u64::MAX` if
    /// none has one).
    #[inline]
    pub fn earliest_other(&self, i: usize) -> u64 {
        let mut best = u64::MAX;
        let mut k = self.leaves + i;
        while k > 1 {
            best = best.min(cycle_of(self.keys[self.tree[k ^ 1] as usize]));
            k /= 2;
        }
        best
    }

    /// Moves [`now`](Self::now) to `cycle` (never backwards).
    #[inline]
    pub fn advance_now(&mut self, cycle: u64) {
        self.now = self.now.max(cycle);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sim::{EventQueue, SimTime};

    /// The schedule pops in the same order as an event queue holding one event per
    /// component, under a deterministic pseudo-random mix of moves and removals.
    #[test]
    fn pops_in_event_queue_order() {
        for n in [1usize, 3, 8, 13, 32] {
            let mut w = WakeSchedule::new(n);
            let mut q: EventQueue<usize> = EventQueue::new();
            let mut ids = vec![None; n];
            let mut x: u64 = 0x2545_F491_4F6C_DD1D ^ n as u64;
            let mut rand = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut now = 0u64;
            for _ in 0..5000 {
                let i = (rand() % n as u64) as usize;
                match rand() % 4 {
                    0 => {
                        w.clear(i);
                        if let Some(id) = ids[i].take() {
                            q.cancel(id).unwrap();
                        }
                    }
                    1 => {
                        let expect = q.peek().map(|(t, _, &c)| (t.as_ps(), c));
                        assert_eq!(w.peek(), expect);
                        if let Some((t, c)) = expect {
                            let other = (0..n)
                                .filter(|&j| j != c)
                                .filter_map(|j| w.get(j))
                                .min()
                                .unwrap_or(u64::MAX);
                            assert_eq!(w.earliest_other(c), other);
                            now = t;
                            w.advance_now(t);
                            q.pop().unwrap();
                            ids[c] = None;
                            w.clear(c);
                        }
                    }
                    _ => {
                        let c = now + rand() % 6;
                        assert!(w.set(i, c));
                        let at = SimTime::from_ps(c);
                        match ids[i] {
                            Some(id) => q.reschedule(id, at).unwrap(),
                            None => ids[i] = Some(q.schedule(at, i).unwrap()),
                        }
                    }
                }
                if now > 0 {
                    assert!(!w.set(i, now - 1), "a wake-up in the past is refused");
                }
            }
        }
    }
}
