//! `RankSet`: an ordered set of wait keys that answers "how many come before this one"
//! in O(log n), for queue positions.
//!
//! The keys live in sorted blocks of `BLOCK` to `2 * BLOCK` keys (fewer only at the
//! ends of a run of removals), in order, and a Fenwick tree over the blocks' lengths gives
//! the number of keys in the blocks before any block in O(log blocks). Finding a key's
//! block is a binary search over `lasts`, one array of the blocks' last keys (so the
//! search reads one buffer, not one block's buffer per probe), and within the block
//! another binary search: a rank costs O(log n). Each block is a ring buffer: inserting or
//! removing moves the nearer end's keys, at most `BLOCK`, and taking the first key (routing
//! takes the best ticket) or appending a last one (equal-priority arrivals come in order)
//! moves none. Either updates the Fenwick tree in O(log blocks). A block grown too large
//! or left too small first evens out with a neighbour that has room or keys to spare
//! (two updates); only a block that splits, empties or merges changes the block count and
//! rebuilds the tree in O(blocks), once every `BLOCK / 2` or so changes at worst. Blocks are contiguous, so this costs a few cache misses per change where a
//! balanced tree with a count per node would cost one per level.

use crate::id::TicketId;
use crate::priority::WaitKey;
use crate::time::Timestamp;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// Keys per block, at least (a split makes two of this many); a block evens out with a
/// neighbour, or else splits, above twice this, and evens out or merges with a neighbour
/// below a quarter of it. Small, because inserting into
/// or removing from a block moves up to half of it, and most queues are short.
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

type Block = VecDeque<Packed>;

/// A new block with room for a split's worth of keys, so it never grows.
fn new_block() -> Block {
    VecDeque::with_capacity(2 * BLOCK + 1)
}

/// An ordered set of wait keys with O(log n) rank queries. Equal when it holds the same
/// keys, however they are blocked.
#[derive(Clone, Debug, Default)]
pub(crate) struct RankSet {
    /// Sorted, non-empty blocks, in order (or one empty block once the set emptied, kept
    /// for its allocation: queues empty and fill again all the time).
    /// A ring too, so that a block split or merged near either end (routing drains the
    /// front, arrivals of equal priority fill the back) moves the few blocks on that side.
    blocks: VecDeque<Block>,
    /// Each block's last key (stale for the one kept empty block), as long as `blocks`.
    lasts: VecDeque<Packed>,
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
        let i = self.lasts.partition_point(|l| l < k);
        Some(i.min(self.blocks.len() - 1))
    }

    /// Adds `k`; whether it was new.
    pub(crate) fn insert(&mut self, k: WaitKey) -> bool {
        let k = Packed::of(&k);
        // The common case first: a ticket that ranks last (equal-priority arrivals come in
        // order) goes at the end of the last block, without a search.
        if self.len > 0
            && let Some(last) = self.lasts.back_mut()
            && *last < k
        {
            *last = k;
            self.blocks.back_mut().expect("as many blocks as lasts").push_back(k);
            self.len += 1;
            self.grown(self.blocks.len() - 1);
            return true;
        }
        let Some(bi) = self.block_for(&k) else {
            let mut b = new_block();
            b.push_back(k);
            self.blocks.push_back(b);
            self.lasts.push_back(k);
            self.len = 1;
            self.rebuild();
            return true;
        };
        let b = &mut self.blocks[bi];
        let Err(p) = b.binary_search(&k) else { return false };
        b.insert(p, k);
        if p + 1 == b.len() {
            self.lasts[bi] = k;
        }
        self.len += 1;
        self.grown(bi);
        true
    }

    /// Block `bi` took one more key: if that made it too large, even it out with a
    /// neighbour that has room, or else split it.
    #[inline]
    fn grown(&mut self, bi: usize) {
        if self.blocks[bi].len() <= 2 * BLOCK {
            self.add(bi, 1);
            return;
        }
        let roomy = |b: &Block| b.len() <= BLOCK * 3 / 2;
        if bi + 1 < self.blocks.len() && roomy(&self.blocks[bi + 1]) {
            self.add(bi, 1);
            self.even(bi);
        } else if bi > 0 && roomy(&self.blocks[bi - 1]) {
            self.add(bi, 1);
            self.even(bi - 1);
        } else {
            self.split(bi);
            self.rebuild();
        }
    }

    /// Evens out the keys of blocks `at` and `at + 1` (both non-empty), keeping their
    /// order: the block count stays, so the Fenwick tree takes two updates, not a rebuild.
    fn even(&mut self, at: usize) {
        let mut r = std::mem::take(&mut self.blocks[at + 1]);
        let l = &mut self.blocks[at];
        let (nl, nr) = (l.len(), r.len());
        let want = (nl + nr) / 2;
        if nl > want {
            for _ in want..nl {
                r.push_front(l.pop_back().expect("counted"));
            }
        } else {
            for _ in nl..want {
                l.push_back(r.pop_front().expect("counted"));
            }
        }
        self.lasts[at] = *l.back().expect("evened blocks are non-empty");
        self.blocks[at + 1] = r;
        self.add(at, want as i32 - nl as i32);
        self.add(at + 1, nl as i32 - want as i32);
    }

    /// Moves block `bi`'s keys from the `BLOCK`th on into a new block after it (the
    /// Fenwick tree is left for the caller to rebuild).
    fn split(&mut self, bi: usize) {
        let mut tail = new_block();
        tail.extend(self.blocks[bi].drain(BLOCK..));
        self.blocks.insert(bi + 1, tail);
        self.lasts.insert(bi + 1, self.lasts[bi]);
        self.lasts[bi] = *self.blocks[bi].back().expect("a split leaves keys before it");
    }

    /// Takes `k` out; whether it was there.
    pub(crate) fn remove(&mut self, k: &WaitKey) -> bool {
        let k = &Packed::of(k);
        // The common case first: routing takes the best ticket, the first of all.
        let bi = if self.blocks.front().and_then(|b| b.front()) == Some(k) {
            self.blocks[0].pop_front();
            0
        } else {
            let Some(bi) = self.block_for(k) else { return false };
            let b = &mut self.blocks[bi];
            let Ok(p) = b.binary_search(k) else { return false };
            b.remove(p);
            if p == b.len()
                && let Some(&l) = b.back()
            {
                self.lasts[bi] = l;
            }
            bi
        };
        let b = &self.blocks[bi];
        let (emptied, small) = (b.is_empty(), b.len() < BLOCK / 4);
        self.len -= 1;
        if emptied && self.blocks.len() == 1 {
            // Kept, empty, for the next ticket.
            self.add(0, -1);
        } else if emptied {
            self.blocks.remove(bi);
            self.lasts.remove(bi);
            self.rebuild();
        } else if small && self.blocks.len() > 1 {
            // Even out with a neighbour (the next, or the previous for the last block)
            // that has keys to spare, or else merge with it.
            self.add(bi, -1);
            let at = if bi + 1 < self.blocks.len() { bi } else { bi - 1 };
            if self.blocks[at].len() + self.blocks[at + 1].len() > BLOCK {
                self.even(at);
            } else {
                let next = self.blocks.remove(at + 1).expect("a neighbour");
                self.lasts[at] = self.lasts.remove(at + 1).expect("a neighbour");
                self.blocks[at].extend(next);
                self.rebuild();
            }
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
        let Some(k) = after else { return self.blocks.front().and_then(|b| b.front()).map(Packed::wait_key) };
        let k = &Packed::of(k);
        let bi = self.block_for(k)?;
        let p = match self.blocks[bi].binary_search(k) {
            Ok(p) => p + 1,
            Err(p) => p,
        };
        self.blocks[bi].get(p).or_else(|| self.blocks.get(bi + 1).and_then(|b| b.front())).map(Packed::wait_key)
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
        debug_assert_eq!(self.blocks.len(), self.lasts.len());
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

    /// The block bookkeeping agrees with the blocks: one last key per block, each its
    /// block's last, and a Fenwick tree that counts every key.
    fn check(set: &RankSet) {
        assert_eq!(set.blocks.len(), set.lasts.len());
        if set.len > 0 {
            for (b, l) in set.blocks.iter().zip(&set.lasts) {
                assert_eq!(b.back(), Some(l));
            }
        }
        assert_eq!(set.before(set.blocks.len()), set.len);
    }

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
            check(&set);
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
            check(&set);
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
