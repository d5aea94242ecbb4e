//! A first-in first-out queue kept as one contiguous slice, for the controller's
//! request queue: it is scanned oldest first at every decision, takes its oldest entry
//! far more often than any other, and sometimes takes one from the middle. The memory
//! system keeps its pending completions in one too, inserted in completion order and
//! taken a run at a time from the front.

/// A queue over a vector read from a moving head. Taking the oldest entry advances the
/// head; the slots before the head are reclaimed when a push finds the vector full (or
/// at once when the queue empties), so the entries always form one slice.
#[derive(Clone, Debug)]
pub struct SliceQueue<T> {
    items: Vec<T>,
    head: usize,
}

impl<T: Copy> SliceQueue<T> {
    /// An empty queue with room for about `depth` entries before its slots are
    /// reclaimed (twice as many slots, so reclaiming moves at most every other push).
    pub fn with_depth(depth: usize) -> Self {
        SliceQueue {
            items: Vec::with_capacity(2 * depth.max(1)),
            head: 0,
        }
    }

    /// Entries queued.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len() - self.head
    }

    /// True if nothing is queued.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, oldest first.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.items[self.head..]
    }

    /// The oldest entry.
    #[inline]
    pub fn front(&self) -> Option<&T> {
        self.items.get(self.head)
    }

    /// The entry at position `i` (0 is the oldest).
    #[inline]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(self.head + i)
    }

    /// Adds `item` as the youngest entry.
    #[inline]
    pub fn push_back(&mut self, item: T) {
        if self.items.len() == self.items.capacity() && self.head > 0 {
            self.items.drain(..self.head);
            self.head = 0;
        }
        self.items.push(item);
    }

    /// Takes the oldest entry.
    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        let item = *self.items.get(self.head)?;
        self.head += 1;
        if self.head == self.items.len() {
            self.items.clear();
            self.head = 0;
        }
        Some(item)
    }

    /// Adds `item` in front of the youngest entries whose `key` is greater than its own
    /// (they move one place), so that a queue filled only this way stays sorted by
    /// `key`, equal keys oldest first. Cheap when items come nearly in order.
    #[inline]
    pub fn insert_sorted_by_key<K: Ord>(&mut self, item: T, key: impl Fn(&T) -> K) {
        self.push_back(item);
        let k = key(&item);
        let mut j = self.items.len() - 1;
        while j > self.head && key(&self.items[j - 1]) > k {
            self.items[j] = self.items[j - 1];
            j -= 1;
        }
        self.items[j] = item;
    }

    /// Removes the oldest `n` entries (all of them if fewer are queued).
    #[inline]
    pub fn drop_front(&mut self, n: usize) {
        self.head += n.min(self.len());
        if self.head == self.items.len() {
            self.items.clear();
            self.head = 0;
        }
    }

    /// Takes the entry at position `i` (0 is the oldest).
    #[inline]
    pub fn remove(&mut self, i: usize) -> Option<T> {
        if i == 0 {
            return self.pop_front();
        }
        (i < self.len()).then(|| self.items.remove(self.head + i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// The queue holds what a `VecDeque` holds under a deterministic mix of pushes,
    /// sorted insertions, pops, removals from the middle and drops from the front.
    #[test]
    fn behaves_as_a_vecdeque() {
        let mut q = SliceQueue::with_depth(4);
        let mut reference = VecDeque::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for n in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 5 {
                0 if reference.len() < 9 => {
                    q.push_back(n);
                    reference.push_back(n);
                }
                1 if reference.len() < 9 => {
                    let item = n % 64;
                    q.insert_sorted_by_key(item, |&v| v / 4);
                    let mut at = reference.len();
                    while at > 0 && reference[at - 1] / 4 > item / 4 {
                        at -= 1;
                    }
                    reference.insert(at, item);
                }
                2 => assert_eq!(q.pop_front(), reference.pop_front()),
                4 if n.is_multiple_of(3) => {
                    let k = (x >> 8) as usize % 4;
                    q.drop_front(k);
                    reference.drain(..k.min(reference.len()));
                }
                3 => {
                    let i = (x >> 8) as usize % (reference.len() + 1);
                    assert_eq!(q.remove(i), reference.remove(i));
                }
                _ => {
                    if let Some(e) = q.get_mut(0) {
                        *e += 1;
                        reference[0] += 1;
                    }
                }
            }
            assert_eq!(q.len(), reference.len());
            assert_eq!(q.front(), reference.front());
            assert!(q.as_slice().iter().eq(reference.iter()));
        }
    }

    /// A queue filled by key stays sorted by key, equal keys in insertion order.
    #[test]
    fn sorted_insertion_keeps_key_then_insertion_order() {
        let mut q = SliceQueue::with_depth(8);
        let mut held = 0usize;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for seq in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Keys rise with time, with a jitter that puts some items behind others.
            q.insert_sorted_by_key((seq / 2 + x % 5, seq), |&(k, _)| k);
            held += 1;
            if x.is_multiple_of(3) {
                let n = (x >> 8) as usize % 4;
                q.drop_front(n);
                held -= n.min(held);
            }
            assert_eq!(q.len(), held);
            assert!(q.as_slice().windows(2).all(|w| w[0] < w[1]));
        }
    }
}
