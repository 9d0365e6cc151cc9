//! [`OrdSet`]: an ordered set of small `Copy` keys, kept as a sorted ring buffer while
//! small and as a B-tree once large.
//!
//! The routing index keeps one per pool, channel and strategy order (the free agents),
//! and changes it on every assignment and release. Most pools hold a few dozen agents;
//! there a binary search and a short move in a contiguous buffer cost a fraction of a
//! B-tree's node search and rebalancing, and the commonest changes (the longest idle
//! agent leaves the front, an agent idle since now joins the back) move nothing at all.
//! A pool of thousands keeps the B-tree's logarithmic worst case.

use std::collections::{BTreeSet, VecDeque, btree_set, vec_deque};

/// Entries above which the sorted buffer becomes a B-tree.
const SMALL_MAX: usize = 64;
/// Entries below which a B-tree becomes a sorted buffer again (well under
/// [`SMALL_MAX`], so that a set hovering at the limit does not convert back and forth).
const LARGE_MIN: usize = SMALL_MAX / 2;

/// An ordered set; equal when it holds the same keys, whatever its representation.
#[derive(Clone, Debug)]
pub(crate) enum OrdSet<K> {
    Small(VecDeque<K>),
    Large(BTreeSet<K>),
}

impl<K> Default for OrdSet<K> {
    fn default() -> Self {
        OrdSet::Small(VecDeque::new())
    }
}

impl<K: Ord + Copy> OrdSet<K> {
    /// Adds `k`; whether it was absent.
    pub(crate) fn insert(&mut self, k: K) -> bool {
        match self {
            OrdSet::Small(v) if v.back().is_none_or(|b| *b < k) && v.len() < SMALL_MAX => {
                v.push_back(k);
                true
            }
            OrdSet::Small(v) => match v.binary_search(&k) {
                Ok(_) => false,
                Err(_) if v.len() >= SMALL_MAX => {
                    let mut large: BTreeSet<K> = v.iter().copied().collect();
                    large.insert(k);
                    *self = OrdSet::Large(large);
                    true
                }
                Err(i) => {
                    v.insert(i, k);
                    true
                }
            },
            OrdSet::Large(s) => s.insert(k),
        }
    }

    /// Removes `k`; whether it was present.
    pub(crate) fn remove(&mut self, k: &K) -> bool {
        match self {
            OrdSet::Small(v) if v.front() == Some(k) => {
                v.pop_front();
                true
            }
            OrdSet::Small(v) => match v.binary_search(k) {
                Ok(i) => {
                    v.remove(i);
                    true
                }
                Err(_) => false,
            },
            OrdSet::Large(s) => {
                let removed = s.remove(k);
                if s.len() < LARGE_MIN {
                    *self = OrdSet::Small(s.iter().copied().collect());
                }
                removed
            }
        }
    }

    /// The keys in order.
    pub(crate) fn iter(&self) -> Iter<'_, K> {
        match self {
            OrdSet::Small(v) => Iter::Small(v.iter()),
            OrdSet::Large(s) => Iter::Large(s.iter()),
        }
    }

    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        match self {
            OrdSet::Small(v) => v.len(),
            OrdSet::Large(s) => s.len(),
        }
    }
}

impl<K: Ord + Copy> PartialEq for OrdSet<K> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<K: Ord + Copy> Eq for OrdSet<K> {}

/// The keys of an [`OrdSet`] in order.
pub(crate) enum Iter<'a, K> {
    Small(vec_deque::Iter<'a, K>),
    Large(btree_set::Iter<'a, K>),
}

impl<'a, K> Iterator for Iter<'a, K> {
    type Item = &'a K;

    #[inline]
    fn next(&mut self) -> Option<&'a K> {
        match self {
            Iter::Small(i) => i.next(),
            Iter::Large(i) => i.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any run of inserts and removes leaves the same keys in the same order as a
        /// `BTreeSet` given the same run, through both representations and back.
        #[test]
        fn behaves_as_a_btree_set(ops in proptest::collection::vec((any::<bool>(), 0u16..200), 0..600)) {
            let mut set = OrdSet::default();
            let mut model = BTreeSet::new();
            for (insert, k) in ops {
                if insert {
                    prop_assert_eq!(set.insert(k), model.insert(k));
                } else {
                    prop_assert_eq!(set.remove(&k), model.remove(&k));
                }
                prop_assert_eq!(set.len(), model.len());
                prop_assert!(set.iter().eq(model.iter()));
            }
        }
    }

    #[test]
    fn grows_into_a_tree_and_shrinks_back_with_hysteresis() {
        let mut set = OrdSet::default();
        for k in 0..SMALL_MAX as u32 {
            set.insert(k);
        }
        assert!(matches!(set, OrdSet::Small(_)));
        set.insert(1000);
        assert!(matches!(set, OrdSet::Large(_)));
        // Just under the limit it stays a tree; well under it, a vector again.
        set.remove(&1000);
        set.remove(&0);
        assert!(matches!(set, OrdSet::Large(_)));
        for k in 1..=(SMALL_MAX - LARGE_MIN) as u32 {
            set.remove(&k);
        }
        assert!(matches!(set, OrdSet::Small(_)));
        assert_eq!(set.len(), LARGE_MIN - 1);
        assert_eq!(set.iter().next(), Some(&((SMALL_MAX - LARGE_MIN + 1) as u32)));
    }

    #[test]
    fn equality_ignores_the_representation() {
        let small: OrdSet<u32> = OrdSet::Small([1, 2, 3].into());
        let large: OrdSet<u32> = OrdSet::Large([3, 2, 1].into_iter().collect());
        assert_eq!(small, large);
        assert_ne!(small, OrdSet::Small([1, 2].into()));
    }
}
