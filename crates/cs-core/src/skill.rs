//! Skills as bitsets, proficiency levels, and the requirement check on the hot path.

use crate::id::SkillId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most skills a config may define; a [`SkillSet`] has one bit for each.
pub const SKILLS_MAX: usize = 256;
/// The highest proficiency level (levels run 1..=5).
pub const PROFICIENCY_MAX: u8 = 5;
/// The most skills one ticket may require.
pub const TICKET_SKILLS_MAX: usize = 8;

/// A set of skills, one bit per [`SkillId`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillSet([u64; SKILLS_MAX / 64]);

impl SkillSet {
    /// The empty set.
    pub const EMPTY: SkillSet = SkillSet([0; SKILLS_MAX / 64]);

    /// Adds `s`.
    #[inline]
    pub fn insert(&mut self, s: SkillId) {
        let i = s.index();
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Whether `s` is in the set.
    #[inline]
    pub fn contains(&self, s: SkillId) -> bool {
        let i = s.index();
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// Whether every skill of `self` is also in `other`.
    #[inline]
    pub fn is_subset(&self, other: &SkillSet) -> bool {
        self.0.iter().zip(other.0.iter()).all(|(a, b)| a & !b == 0)
    }
}

/// One skill a ticket needs, at a minimum proficiency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SkillNeed {
    /// The skill.
    pub skill: SkillId,
    /// The lowest proficiency (1..=5) that satisfies the need.
    pub min: u8,
}

/// The skills a ticket needs: at most [`TICKET_SKILLS_MAX`], sorted by skill, each once.
///
/// Stored inline so that creating a ticket allocates nothing for its requirements.
#[derive(Clone, Copy, Eq, PartialOrd, Ord, Default)]
pub struct SkillNeeds {
    /// The needs in `items[..len]`; the rest stay `(0, 0)`, so that the derived order
    /// agrees with equality on the needs in use.
    items: [(u16, u8); TICKET_SKILLS_MAX],
    len: u8,
}

/// Compares the needs in use only (the routing index compares requirement classes on every
/// arrival).
impl PartialEq for SkillNeeds {
    #[inline]
    fn eq(&self, other: &SkillNeeds) -> bool {
        self.len == other.len && self.items[..usize::from(self.len)] == other.items[..usize::from(other.len)]
    }
}

/// Hashes the needs in use only, one word each (the routing index looks requirement
/// classes up on every arrival); equal needs hash equally.
impl std::hash::Hash for SkillNeeds {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u8(self.len);
        for &(skill, min) in &self.items[..usize::from(self.len)] {
            h.write_u32((u32::from(skill) << 8) | u32::from(min));
        }
    }
}

impl SkillNeeds {
    /// No requirements.
    pub const NONE: SkillNeeds = SkillNeeds { items: [(0, 0); TICKET_SKILLS_MAX], len: 0 };

    /// Builds a requirement list, merging duplicates (the higher minimum wins).
    ///
    /// Fails if more than [`TICKET_SKILLS_MAX`] distinct skills are named or a minimum is
    /// outside 1..=5.
    pub fn new(needs: impl IntoIterator<Item = SkillNeed>) -> Result<SkillNeeds, SkillNeedsError> {
        let mut out = SkillNeeds::NONE;
        for n in needs {
            out.insert(n)?;
        }
        Ok(out)
    }

    /// Adds a need, keeping the list sorted; a skill already present keeps the higher minimum.
    pub fn insert(&mut self, n: SkillNeed) -> Result<(), SkillNeedsError> {
        if n.min == 0 || n.min > PROFICIENCY_MAX {
            return Err(SkillNeedsError::Proficiency { skill: n.skill, min: n.min });
        }
        let len = self.len as usize;
        match self.items[..len].binary_search_by_key(&n.skill.0, |&(s, _)| s) {
            Ok(i) => self.items[i].1 = self.items[i].1.max(n.min),
            Err(i) => {
                if len == TICKET_SKILLS_MAX {
                    return Err(SkillNeedsError::TooMany { max: TICKET_SKILLS_MAX });
                }
                self.items.copy_within(i..len, i + 1);
                self.items[i] = (n.skill.0, n.min);
                self.len += 1;
            }
        }
        Ok(())
    }

    /// Both lists of needs in one, a skill in both keeping the higher minimum.
    ///
    /// Fails if together they name more than [`TICKET_SKILLS_MAX`] skills.
    pub fn merged(&self, other: &SkillNeeds) -> Result<SkillNeeds, SkillNeedsError> {
        if self.is_empty() {
            return Ok(*other); // most tickets need no more than their queue does
        }
        let mut out = *self;
        for n in other.iter() {
            out.insert(n)?;
        }
        Ok(out)
    }

    /// The needs, sorted by skill.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = SkillNeed> + '_ {
        self.items[..self.len as usize].iter().map(|&(s, min)| SkillNeed { skill: SkillId(s), min })
    }

    /// Number of skills required.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether nothing is required.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The same skills with every minimum replaced by `min`.
    pub fn with_min(&self, min: u8) -> SkillNeeds {
        let mut out = *self;
        for item in &mut out.items[..out.len as usize] {
            item.1 = min;
        }
        out
    }

    /// The first need `skills` does not meet, if any.
    #[inline]
    pub fn first_unmet(&self, skills: &SkillLevels) -> Option<SkillNeed> {
        self.iter().find(|n| !skills.at_least(n.min).contains(n.skill))
    }

    /// Sum of the holder's proficiency over the required skills (the "best proficiency" score).
    pub fn proficiency_sum(&self, skills: &SkillLevels) -> u32 {
        self.iter().map(|n| u32::from(skills.level(n.skill))).sum()
    }
}

impl fmt::Debug for SkillNeeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|n| (n.skill, n.min))).finish()
    }
}

impl Serialize for SkillNeeds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for SkillNeeds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<SkillNeed>::deserialize(d)?;
        SkillNeeds::new(v).map_err(serde::de::Error::custom)
    }
}

/// A skill requirement that cannot be represented.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SkillNeedsError {
    /// More distinct skills than a ticket may require.
    #[error("a ticket may require at most {max} skills")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// A minimum proficiency outside 1..=5.
    #[error("proficiency {min} for skill {skill} is outside 1..=5")]
    Proficiency {
        /// The skill.
        skill: SkillId,
        /// The rejected level.
        min: u8,
    },
}

/// An agent's skills: for each level 1..=5, the set of skills held at that level or higher.
///
/// Checking a requirement is then one bit test per required skill.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillLevels {
    at_least: [SkillSet; PROFICIENCY_MAX as usize],
}

impl SkillLevels {
    /// Builds the level sets from `(skill, proficiency)` pairs; proficiencies must be 1..=5.
    pub fn new(skills: impl IntoIterator<Item = (SkillId, u8)>) -> SkillLevels {
        let mut out = SkillLevels::default();
        for (s, p) in skills {
            debug_assert!((1..=PROFICIENCY_MAX).contains(&p), "proficiency {p} out of range");
            for level in 1..=p.min(PROFICIENCY_MAX) {
                out.at_least[usize::from(level - 1)].insert(s);
            }
        }
        out
    }

    /// Skills held at proficiency `level` or higher (`level` in 1..=5).
    #[inline]
    pub fn at_least(&self, level: u8) -> &SkillSet {
        &self.at_least[usize::from(level.clamp(1, PROFICIENCY_MAX) - 1)]
    }

    /// The proficiency held in `s` (0 if not held).
    pub fn level(&self, s: SkillId) -> u8 {
        self.at_least.iter().take_while(|set| set.contains(s)).count() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(s: u16, min: u8) -> SkillNeed {
        SkillNeed { skill: SkillId(s), min }
    }

    #[test]
    fn needs_are_sorted_and_merged() {
        let n = SkillNeeds::new([need(9, 2), need(3, 1), need(9, 4)]).unwrap();
        let v: Vec<_> = n.iter().collect();
        assert_eq!(v, vec![need(3, 1), need(9, 4)]);
    }

    #[test]
    fn needs_refuse_bad_levels_and_overflow() {
        assert_eq!(SkillNeeds::new([need(1, 6)]), Err(SkillNeedsError::Proficiency { skill: SkillId(1), min: 6 }));
        let many = (0..9).map(|s| need(s, 1));
        assert_eq!(SkillNeeds::new(many), Err(SkillNeedsError::TooMany { max: 8 }));
    }

    #[test]
    fn levels_answer_requirements() {
        let agent = SkillLevels::new([(SkillId(3), 4), (SkillId(200), 1)]);
        assert_eq!(agent.level(SkillId(3)), 4);
        assert_eq!(agent.level(SkillId(200)), 1);
        assert_eq!(agent.level(SkillId(7)), 0);
        let ok = SkillNeeds::new([need(3, 4), need(200, 1)]).unwrap();
        assert_eq!(ok.first_unmet(&agent), None);
        let too_high = SkillNeeds::new([need(3, 5)]).unwrap();
        assert_eq!(too_high.first_unmet(&agent), Some(need(3, 5)));
        assert_eq!(ok.proficiency_sum(&agent), 5);
    }
}
