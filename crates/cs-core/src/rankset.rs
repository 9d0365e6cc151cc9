//! `RankSet`: an ordered set of wait keys that answers "how many come before this one"
//! in O(log n), for queue positions.
//!
//! The keys live in sorted blocks of `BLOCK` to `2 * BLOCK` keys (fewer only at the
//! ends of a run of removals), in order, and a Fenwick tree over the blocks' lengths gives
//! the number of keys in the blocks before any block in O(log blocks). Finding a key's
//! block is a binary search over the blocks' last keys, and within the block another
//! binary search: a rank costs O(log n). Inserting or removing moves at most `2 * BLOCK`
//! keys inside one block and updates the Fenwick tree in O(log blocks); a block that
//! splits, empties or merges rebuilds the tree in O(blocks), once every `BLOCK / 2` or so
//! changes at worst. Blocks are contiguous, so this costs a few cache misses per change
//! where a balanced tree with a count per node would cost one per level.

use crate::id::TicketId;
use crate::priority::WaitKey;
use crate::time::Timestamp;
use std::cmp::Ordering;

/// Keys per block, at least (a split makes two of this many); a block splits above twice
/// this and merges with a neighbour below a quarter of it. Small, because inserting into
/// or removing from a block moves half of it on average, and most queues are short.
const BLOCK: usize = 64;

/// A wait key as held here: the fields that order it (`avoids` never decides the order,
/// ids being unique), 32 bytes where a `WaitKey` takes 40, so blocks move less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packed {
    key: i64,
    score: i64,
    since: Timestamp,
    ticket: TicketId,
}

impl Packed {
    #[inline]
    fn of(k: &WaitKey) -> Packed {
        Packed { key: k.key, score: k.score, since: k.since, ticket: k.ticket }
    }

    /// The wait key this was made from, but for `avoids`, which orders nothing.
    fn wait_key(&self) -> WaitKey {
        WaitKey { key: self.key, score: self.score, since: self.since, ticket: self.ticket, avoids: false }
    }
}

/// The order of [`WaitKey`], best first.
impl Ord for Packed {
    #[inline]
    fn cmp(&self, o: &Packed) -> Ordering {
        o.key
            .cmp(&self.key)
            .then(o.score.cmp(&self.score))
            .then(self.since.cmp(&o.since))
            .then(self.ticket.cmp(&o.ticket))
    }
}

impl PartialOrd for Packed {
    #[inline]
    fn partial_cmp(&self, o: &Packed) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// An ordered set of wait keys with O(log n) rank queries. Equal when it holds the same
/// keys, however they are blocked.
#[derive(Clone, Debug, Default)]
pub(crate) struct RankSet {
    /// Sorted, non-empty blocks, in order (or one empty block once the set emptied, kept
    /// for its allocation: queues empty and fill again all the time).
    blocks: Vec<Vec<Packed>>,
    /// Fenwick tree over the blocks' lengths, 1-based (`fen[0]` unused).
    fen: Vec<u32>,
    len: usize,
}

impl PartialEq for RankSet {
    fn eq(&self, other: &RankSet) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for RankSet {}

impl RankSet {
    /// Number of keys held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The keys, in order (with `avoids` false).
    pub(crate) fn iter(&self) -> impl Iterator<Item = WaitKey> + '_ {
        self.blocks.iter().flatten().map(Packed::wait_key)
    }

    /// The block where `k` is or would go: the first whose last key is not before `k`, or
    /// the last block. `None` when empty.
    #[inline]
    fn block_for(&self, k: &Packed) -> Option<usize> {
        if self.len == 0 {
            return (!self.blocks.is_empty()).then_some(0);
        }
        let i = self.blocks.partition_point(|b| b.last().expect("blocks are never empty") < k);
        Some(i.min(self.blocks.len() - 1))
    }

    /// Adds `k`; whether it was new.
    pub(crate) fn insert(&mut self, k: WaitKey) -> bool {
        let k = Packed::of(&k);
        // The common case first: a ticket that ranks last (equal-priority arrivals come in
        // order) goes at the end of the last block, without a search.
        let last = self.blocks.len().wrapping_sub(1);
        if let Some(b) = self.blocks.last_mut()
            && b.last().is_some_and(|l| *l < k)
        {
            b.push(k);
            self.len += 1;
            self.grown(last);
            return true;
        }
        let Some(bi) = self.block_for(&k) else {
            let mut b = Vec::with_capacity(2 * BLOCK + 1);
            b.push(k);
            self.blocks.push(b);
            self.len = 1;
            self.rebuild();
            return true;
        };
        let b = &mut self.blocks[bi];
        let Err(p) = b.binary_search(&k) else { return false };
        b.insert(p, k);
        self.len += 1;
        self.grown(bi);
        true
    }

    /// Block `bi` took one more key: split it if that made it too large.
    #[inline]
    fn grown(&mut self, bi: usize) {
        let b = &mut self.blocks[bi];
        if b.len() > 2 * BLOCK {
            let mut tail = Vec::with_capacity(2 * BLOCK + 1);
            tail.extend(b.drain(BLOCK..));
            self.blocks.insert(bi + 1, tail);
            self.rebuild();
        } else {
            self.add(bi, 1);
        }
    }

    /// Takes `k` out; whether it was there.
    pub(crate) fn remove(&mut self, k: &WaitKey) -> bool {
        let k = &Packed::of(k);
        // The common case first: routing takes the best ticket, the first of all.
        let (bi, p) = if self.blocks.first().and_then(|b| b.first()) == Some(k) {
            (0, 0)
        } else {
            let Some(bi) = self.block_for(k) else { return false };
            let Ok(p) = self.blocks[bi].binary_search(k) else { return false };
            (bi, p)
        };
        let b = &mut self.blocks[bi];
        b.remove(p);
        let (emptied, small) = (b.is_empty(), b.len() < BLOCK / 4);
        self.len -= 1;
        if emptied && self.blocks.len() == 1 {
            // Kept, empty, for the next ticket.
            self.add(0, -1);
        } else if emptied {
            self.blocks.remove(bi);
            self.rebuild();
        } else if small && self.blocks.len() > 1 {
            // Merge with a neighbour (the next, or the previous for the last block), and
            // split again if that makes one too large.
            let at = if bi + 1 < self.blocks.len() { bi } else { bi - 1 };
            let next = self.blocks.remove(at + 1);
            self.blocks[at].extend(next);
            if self.blocks[at].len() > 2 * BLOCK {
                let half = self.blocks[at].len() / 2;
                let mut tail = Vec::with_capacity(2 * BLOCK + 1);
                tail.extend(self.blocks[at].drain(half..));
                self.blocks.insert(at + 1, tail);
            }
            self.rebuild();
        } else {
            self.add(bi, -1);
        }
        true
    }

    /// How many keys come before `k` (whether or not `k` itself is held).
    pub(crate) fn rank(&self, k: &WaitKey) -> usize {
        let k = &Packed::of(k);
        let Some(bi) = self.block_for(k) else { return 0 };
        let within = match self.blocks[bi].binary_search(k) {
            Ok(p) | Err(p) => p,
        };
        self.before(bi) + within
    }

    /// The first key after `after` (the first of all when `None`).
    pub(crate) fn first_after(&self, after: Option<&WaitKey>) -> Option<WaitKey> {
        let Some(k) = after else { return self.blocks.first().and_then(|b| b.first()).map(Packed::wait_key) };
        let k = &Packed::of(k);
        let bi = self.block_for(k)?;
        let p = match self.blocks[bi].binary_search(k) {
            Ok(p) => p + 1,
            Err(p) => p,
        };
        self.blocks[bi].get(p).or_else(|| self.blocks.get(bi + 1).and_then(|b| b.first())).map(Packed::wait_key)
    }

    /// Whether `k` is held.
    pub(crate) fn contains(&self, k: &WaitKey) -> bool {
        let k = &Packed::of(k);
        self.block_for(k).is_some_and(|bi| self.blocks[bi].binary_search(k).is_ok())
    }

    /// Keys in the blocks before block `bi`.
    #[inline]
    fn before(&self, bi: usize) -> usize {
        if bi == 0 {
            return 0;
        }
        let mut i = bi;
        let mut sum = 0usize;
        while i > 0 {
            sum += self.fen[i] as usize;
            i &= i - 1;
        }
        sum
    }

    /// Adds `delta` to block `bi`'s length in the Fenwick tree.
    #[inline]
    fn add(&mut self, bi: usize, delta: i32) {
        let mut i = bi + 1;
        while i < self.fen.len() {
            self.fen[i] = self.fen[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Builds the Fenwick tree afresh from the blocks' lengths, in O(blocks).
    fn rebuild(&mut self) {
        let n = self.blocks.len();
        self.fen.clear();
        self.fen.resize(n + 1, 0);
        for (i, b) in self.blocks.iter().enumerate() {
            self.fen[i + 1] += b.len() as u32;
            let parent = (i + 1) + ((i + 1) & (i + 1).wrapping_neg());
            if parent <= n {
                self.fen[parent] += self.fen[i + 1];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::TicketId;
    use crate::time::Timestamp;
    use std::collections::BTreeSet;

    fn key(k: u64) -> WaitKey {
        WaitKey {
            key: (k % 97) as i64,
            score: (k % 13) as i64,
            since: Timestamp(k as i64),
            ticket: TicketId(k),
            avoids: false,
        }
    }

    /// Random inserts and removals (heavier at the front, as routing takes the best) keep
    /// every rank equal to a B-tree set's count, through splits, merges and emptied blocks.
    #[test]
    fn ranks_match_a_sorted_set_through_splits_and_merges() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut set = RankSet::default();
        let mut oracle = BTreeSet::new();
        for round in 0..20_000u64 {
            let r = next();
            if r % 3 != 0 || oracle.is_empty() {
                let k = key(next() % 5_000);
                assert_eq!(set.insert(k), oracle.insert(k));
            } else if r % 2 == 0 {
                let k = *oracle.iter().next().unwrap();
                assert!(set.remove(&k) && oracle.remove(&k));
            } else {
                let k = key(next() % 5_000);
                assert_eq!(set.remove(&k), oracle.remove(&k));
            }
            assert_eq!(set.len(), oracle.len());
            if round % 97 == 0 {
                for probe in (0..5_000).step_by(37).map(key) {
                    assert_eq!(set.rank(&probe), oracle.range(..probe).count(), "rank of {probe:?}");
                    assert_eq!(set.contains(&probe), oracle.contains(&probe));
                }
                assert!(set.iter().eq(oracle.iter().copied()));
            }
        }
        // Drain everything from the back half first, then the rest.
        let all: Vec<WaitKey> = oracle.iter().copied().collect();
        for k in all.iter().rev().take(all.len() / 2).chain(all.iter().take(all.len() - all.len() / 2)) {
            assert!(set.remove(k));
        }
        assert_eq!(set.len(), 0);
        assert_eq!(set, RankSet::default());
        // Emptied, it keeps one empty block and fills again.
        assert!(set.insert(key(3)) && set.insert(key(1)));
        assert_eq!(set.rank(&key(3)), set.iter().position(|k| k == key(3)).unwrap());
        assert_eq!(set.first_after(None), set.iter().next());
    }

    /// Keys arriving in order (the append fast path) and leaving from the front (the
    /// front-removal fast path), mixed with a few out of order, keep every rank right
    /// through splits and merges.
    #[test]
    fn in_order_arrivals_and_front_removals_match_a_sorted_set() {
        let mut set = RankSet::default();
        let mut oracle = BTreeSet::new();
        let at = |n: u64| WaitKey {
            key: if n.is_multiple_of(17) { 1 } else { 0 },
            score: 0,
            since: Timestamp(n as i64),
            ticket: TicketId(n),
            avoids: false,
        };
        for n in 0..3_000u64 {
            assert!(set.insert(at(n)) && oracle.insert(at(n)));
            if n % 3 == 2 {
                let first = *oracle.iter().next().unwrap();
                assert!(set.remove(&first) && oracle.remove(&first));
            }
            // Again: not new unless the removal just took it (a higher key ranks first).
            assert_eq!(set.insert(at(n)), oracle.insert(at(n)));
            if n.is_multiple_of(50) {
                for probe in (0..=n).step_by(7).map(at) {
                    assert_eq!(set.rank(&probe), oracle.range(..probe).count(), "rank of {probe:?}");
                }
            }
        }
        assert!(set.iter().eq(oracle.iter().copied()));
        while let Some(&first) = oracle.iter().next() {
            assert!(set.remove(&first) && oracle.remove(&first));
            assert!(!set.remove(&first));
        }
        assert_eq!(set.len(), 0);
    }
}
