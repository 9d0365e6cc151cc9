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

use crate::priority::WaitKey;

/// Keys per block, at least (a split makes two of this many); a block splits above twice
/// this and merges with a neighbour below a quarter of it.
const BLOCK: usize = 64;

/// An ordered set of wait keys with O(log n) rank queries. Equal when it holds the same
/// keys, however they are blocked.
#[derive(Clone, Debug, Default)]
pub(crate) struct RankSet {
    /// Sorted, non-empty blocks, in order.
    blocks: Vec<Vec<WaitKey>>,
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

    /// The keys, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &WaitKey> + '_ {
        self.blocks.iter().flatten()
    }

    /// The block where `k` is or would go: the first whose last key is not before `k`, or
    /// the last block. `None` when empty.
    #[inline]
    fn block_for(&self, k: &WaitKey) -> Option<usize> {
        if self.blocks.is_empty() {
            return None;
        }
        let i = self.blocks.partition_point(|b| b.last().expect("blocks are never empty") < k);
        Some(i.min(self.blocks.len() - 1))
    }

    /// Adds `k`; whether it was new.
    pub(crate) fn insert(&mut self, k: WaitKey) -> bool {
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
        if b.len() > 2 * BLOCK {
            let mut tail = Vec::with_capacity(2 * BLOCK + 1);
            tail.extend(b.drain(BLOCK..));
            self.blocks.insert(bi + 1, tail);
            self.rebuild();
        } else {
            self.add(bi, 1);
        }
        true
    }

    /// Takes `k` out; whether it was there.
    pub(crate) fn remove(&mut self, k: &WaitKey) -> bool {
        let Some(bi) = self.block_for(k) else { return false };
        let b = &mut self.blocks[bi];
        let Ok(p) = b.binary_search(k) else { return false };
        b.remove(p);
        self.len -= 1;
        if b.is_empty() {
            self.blocks.remove(bi);
            self.rebuild();
        } else if b.len() < BLOCK / 4 && self.blocks.len() > 1 {
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
        let Some(bi) = self.block_for(k) else { return 0 };
        let within = match self.blocks[bi].binary_search(k) {
            Ok(p) | Err(p) => p,
        };
        self.before(bi) + within
    }

    /// Whether `k` is held.
    pub(crate) fn contains(&self, k: &WaitKey) -> bool {
        self.block_for(k).is_some_and(|bi| self.blocks[bi].binary_search(k).is_ok())
    }

    /// Keys in the blocks before block `bi`.
    #[inline]
    fn before(&self, bi: usize) -> usize {
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
                assert!(set.iter().eq(oracle.iter()));
            }
        }
        // Drain everything from the back half first, then the rest.
        let all: Vec<WaitKey> = oracle.iter().copied().collect();
        for k in all.iter().rev().take(all.len() / 2).chain(all.iter().take(all.len() - all.len() / 2)) {
            assert!(set.remove(k));
        }
        assert_eq!(set.len(), 0);
        assert_eq!(set, RankSet::default());
    }
}
