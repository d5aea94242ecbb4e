//! One pending wake-up per component, for simulations whose components each wait for
//! a single next cycle (the DRAM channels of a memory system).

/// The key of a wake-up: the cycle in the high 64 bits; in the low ones a sequence
/// number above the component's index (which takes `depth` bits), so that one
/// comparison orders by (cycle, sequence) and the smallest key names its component.
type Key = u128;

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
    /// Tournament tree of keys: node `k` holds the smallest key below it, the leaves
    /// are at `leaves..2 * leaves` (component `i` at `leaves + i`), the root at 1. A
    /// component without a wake-up has its [`empty`](Self::empty) key, larger than
    /// every key of a wake-up.
    tree: Vec<Key>,
    /// `log2` of the number of leaves.
    depth: u32,
    leaves: usize,
    /// The smallest empty key: every key of a wake-up is below it.
    first_empty: Key,
    n: usize,
    next_seq: u64,
    /// Sequence numbers are taken below this; when `next_seq` reaches it the pending
    /// wake-ups are renumbered from 0 in their order.
    seq_end: u64,
    now: u64,
}

impl WakeSchedule {
    /// An empty schedule for components `0..n`, at cycle 0.
    ///
    /// # Panics
    ///
    /// If `n` exceeds `2^32`.
    pub fn new(n: usize) -> Self {
        let depth = n.max(1).next_power_of_two().trailing_zeros();
        Self::with_seq_end(n, u64::MAX >> depth)
    }

    /// An empty schedule whose sequence numbers are taken below `seq_end` (at most
    /// the field's capacity, `u64::MAX >> depth`, and above `n`).
    fn with_seq_end(n: usize, seq_end: u64) -> Self {
        assert!(n as u64 <= 1 << 32, "at most 2^32 components");
        let leaves = n.max(1).next_power_of_two();
        let depth = leaves.trailing_zeros();
        debug_assert!(seq_end <= u64::MAX >> depth && seq_end > n as u64);
        let mut w = WakeSchedule {
            tree: vec![0; 2 * leaves],
            depth,
            leaves,
            first_empty: Key::MAX << depth,
            n,
            next_seq: 0,
            seq_end,
            now: 0,
        };
        for i in 0..leaves {
            w.tree[leaves + i] = w.empty(i);
        }
        w.rebuild();
        w
    }

    /// The key of component `i` without a wake-up: cycle and sequence all ones.
    #[inline]
    fn empty(&self, i: usize) -> Key {
        self.first_empty | i as Key
    }

    #[inline]
    fn is_empty(&self, key: Key) -> bool {
        key >= self.first_empty
    }

    #[inline]
    fn cycle_of(key: Key) -> u64 {
        (key >> 64) as u64
    }

    /// Recomputes every inner node from the leaves.
    fn rebuild(&mut self) {
        for k in (1..self.leaves).rev() {
            self.tree[k] = self.tree[2 * k].min(self.tree[2 * k + 1]);
        }
    }

    /// Recomputes the inner nodes above component `i`'s leaf.
    #[inline]
    fn replay(&mut self, i: usize) {
        let t = &mut self.tree;
        match self.depth {
            0 => {}
            1 => replay_unrolled::<1>(t, i),
            2 => replay_unrolled::<2>(t, i),
            3 => replay_unrolled::<3>(t, i),
            4 => replay_unrolled::<4>(t, i),
            5 => replay_unrolled::<5>(t, i),
            6 => replay_unrolled::<6>(t, i),
            _ => {
                let mut k = t.len() / 2 + i;
                let mut min = t[k];
                while k > 1 {
                    min = min.min(t[k ^ 1]);
                    k /= 2;
                    t[k] = min;
                }
            }
        }
    }

    /// Gives the pending wake-ups the sequence numbers `0..` in their current order.
    #[cold]
    fn renumber(&mut self) {
        let leaves = self.leaves;
        let mut pending: Vec<Key> = self.tree[leaves..]
            .iter()
            .copied()
            .filter(|&k| !self.is_empty(k))
            .collect();
        pending.sort_unstable();
        for (seq, key) in pending.iter().enumerate() {
            let i = (*key as u64 & (leaves as u64 - 1)) as usize;
            self.tree[leaves + i] = (key >> 64 << 64) | ((seq as Key) << self.depth) | i as Key;
        }
        self.next_seq = pending.len() as u64;
        self.rebuild();
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
        if cycle < self.now || i >= self.n {
            return false;
        }
        let low = (self.next_seq << self.depth) | i as u64;
        self.tree[self.leaves + i] = (Key::from(cycle) << 64) | Key::from(low);
        self.replay(i);
        self.next_seq += 1;
        if self.next_seq == self.seq_end {
            self.renumber();
        }
        true
    }

    /// Removes component `i`'s wake-up, if any.
    #[inline]
    pub fn clear(&mut self, i: usize) {
        if i < self.n {
            let leaf = self.leaves + i;
            if !self.is_empty(self.tree[leaf]) {
                self.tree[leaf] = self.empty(i);
                self.replay(i);
            }
        }
    }

    /// Component `i`'s wake-up cycle, if it has one.
    #[inline]
    pub fn get(&self, i: usize) -> Option<u64> {
        let key = *self.tree.get(self.leaves + i).filter(|_| i < self.n)?;
        (!self.is_empty(key)).then_some(Self::cycle_of(key))
    }

    /// The earliest wake-up: its cycle and component.
    #[inline]
    pub fn peek(&self) -> Option<(u64, usize)> {
        let key = self.tree[1];
        let component = (key as u64 & (self.leaves as u64 - 1)) as usize;
        (!self.is_empty(key)).then_some((Self::cycle_of(key), component))
    }

    /// The earliest wake-up cycle among the components other than `i` (`u64::MAX` if
    /// none has one).
    #[inline]
    pub fn earliest_other(&self, i: usize) -> u64 {
        let mut best = u64::MAX;
        let mut k = self.leaves + i;
        while k > 1 {
            best = best.min(Self::cycle_of(self.tree[k ^ 1]));
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

/// Recomputes the inner nodes above leaf `i` of a tree with `2^DEPTH` leaves, in
/// straight-line code without bounds checks past the first.
#[inline(always)]
fn replay_unrolled<const DEPTH: u32>(tree: &mut [Key], i: usize) {
    let leaves = 1usize << DEPTH;
    let tree = &mut tree[..2 * leaves];
    let mut k = leaves | (i & (leaves - 1));
    // The minimum carried up the path: each level reads only the sibling, so no load
    // waits for the store of the level below.
    let mut min = tree[k];
    for _ in 0..DEPTH {
        min = min.min(tree[k ^ 1]);
        k /= 2;
        tree[k] = min;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sim::{EventQueue, SimTime};

    /// The schedule pops in the same order as an event queue holding one event per
    /// component, under a deterministic pseudo-random mix of moves and removals.
    ///
    /// Run with the full sequence range and with one a little above `n`, where the
    /// pending wake-ups are renumbered every few moves; and with sizes whose tree
    /// updates are unrolled and one (200 components) whose are walked by a loop.
    #[test]
    fn pops_in_event_queue_order() {
        for (n, small_seq_end) in [1usize, 3, 8, 13, 32, 200]
            .into_iter()
            .flat_map(|n| [(n, false), (n, true)])
        {
            let mut w = if small_seq_end {
                WakeSchedule::with_seq_end(n, n as u64 + 2)
            } else {
                WakeSchedule::new(n)
            };
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

    /// Renumbering keeps the tie order of wake-ups at the same cycle and the order of
    /// different cycles.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut w = WakeSchedule::with_seq_end(4, 6);
        assert!(w.set(3, 7));
        assert!(w.set(1, 5));
        assert!(w.set(2, 7));
        assert!(w.set(0, 5));
        assert!(w.set(1, 7));
        // The sixth set reaches the end of the sequence and renumbers.
        assert!(w.set(0, 7));
        assert_eq!(w.next_seq, 4);
        let mut order = Vec::new();
        while let Some((cycle, i)) = w.peek() {
            order.push((cycle, i));
            w.advance_now(cycle);
            w.clear(i);
        }
        assert_eq!(order, [(7, 3), (7, 2), (7, 1), (7, 0)]);
    }

    /// The largest sequence field still leaves every key of a wake-up below the empty
    /// keys, at the largest cycle too.
    #[test]
    fn wake_ups_at_the_last_cycle_and_sequence() {
        let mut w = WakeSchedule::new(5);
        w.next_seq = w.seq_end - 1;
        assert!(w.set(4, u64::MAX));
        assert_eq!(w.next_seq, 1, "renumbered to one pending wake-up");
        assert_eq!(w.peek(), Some((u64::MAX, 4)));
        assert_eq!(w.get(4), Some(u64::MAX));
        assert_eq!(w.get(3), None);
        assert!(w.set(2, u64::MAX));
        assert_eq!(w.peek(), Some((u64::MAX, 4)));
        assert_eq!(w.earliest_other(4), u64::MAX);
        w.clear(4);
        assert_eq!(w.peek(), Some((u64::MAX, 2)));
        w.clear(2);
        assert_eq!(w.peek(), None);
        assert!(!w.set(5, 0), "not a component");
    }
}
