//! Covering a requirement of agents per interval with shifts: a greedy set multicover.
//!
//! Each shift pattern covers a run of consecutive intervals. Covering a requirement with
//! the fewest agent-hours is an integer program; with one shift length the interval matrix
//! is totally unimodular and a left-to-right sweep is exact, but with several lengths it
//! is not. No kept pure-Rust MIP solver fits here (`good_lp` needs a solver back end: CBC
//! or HiGHS are C/C++ builds, `microlp` solves this size slowly and only as an LP), so the
//! cover is greedy, as Chvátal's set-cover heuristic: add one agent on the pattern that
//! covers the most still-uncovered interval-agents per hour paid (ties: more covered, then
//! earlier start, then shorter), until nothing is uncovered; then drop any shift that is
//! not needed (longest first). The result always covers the requirement; it may
//! over-cover where the patterns cannot fit the requirement's shape, which the plan
//! reports as scheduled above required.

/// A shift pattern: starting at interval `start`, lasting `len` intervals (it may run past
/// the horizon; only the intervals within it count as covered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pattern {
    /// First interval.
    pub start: usize,
    /// Length in intervals (at least 1).
    pub len: usize,
}

/// Agents per pattern that together cover `required` (agents per interval): `(pattern
/// index, agents)`, by pattern index, agents > 0.
///
/// # Errors
/// The first interval that needs agents and that no pattern covers.
pub fn cover(required: &[u32], patterns: &[Pattern]) -> Result<Vec<(usize, u32)>, usize> {
    let n = required.len();
    if let Some(t) = (0..n).find(|&t| required[t] > 0 && !patterns.iter().any(|p| p.start <= t && t < p.start + p.len))
    {
        return Err(t);
    }
    let mut deficit: Vec<u32> = required.to_vec();
    let mut count = vec![0u32; patterns.len()];
    let span = |p: &Pattern| p.start.min(n)..(p.start + p.len).min(n);
    loop {
        let mut best: Option<(usize, usize)> = None; // (pattern, gain)
        for (i, p) in patterns.iter().enumerate() {
            let gain = deficit[span(p)].iter().filter(|&&d| d > 0).count();
            if gain == 0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((b, bg)) => {
                    let q = &patterns[b];
                    // gain / len compared exactly, then the tie-breaks.
                    let (l, r) = (gain * q.len, bg * p.len);
                    l > r || (l == r && (gain > bg || (gain == bg && (p.start, p.len) < (q.start, q.len))))
                }
            };
            if better {
                best = Some((i, gain));
            }
        }
        let Some((i, _)) = best else { break };
        // Add as many agents at once as keep every covered interval's gain: the smallest
        // positive deficit under the pattern.
        let k = deficit[span(&patterns[i])].iter().copied().filter(|&d| d > 0).min().expect("gain > 0");
        count[i] += k;
        for d in &mut deficit[span(&patterns[i])] {
            *d = d.saturating_sub(k);
        }
    }
    // Drop what is not needed, longest shifts first.
    let mut covered = vec![0u32; n];
    for (i, p) in patterns.iter().enumerate() {
        for c in &mut covered[span(p)] {
            *c += count[i];
        }
    }
    let mut order: Vec<usize> = (0..patterns.len()).filter(|&i| count[i] > 0).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(patterns[i].len), patterns[i].start));
    for i in order {
        while count[i] > 0 && span(&patterns[i]).all(|t| covered[t] > required[t]) {
            count[i] -= 1;
            for c in &mut covered[span(&patterns[i])] {
                *c -= 1;
            }
        }
    }
    Ok(count.into_iter().enumerate().filter(|&(_, c)| c > 0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(required: &[u32], patterns: &[Pattern], plan: &[(usize, u32)]) -> Vec<u32> {
        let mut c = vec![0; required.len()];
        for &(i, k) in plan {
            let p = patterns[i];
            for x in &mut c[p.start..(p.start + p.len).min(required.len())] {
                *x += k;
            }
        }
        c
    }

    #[test]
    fn one_length_covers_exactly_a_flat_requirement() {
        let required = vec![3; 8];
        let patterns: Vec<Pattern> = (0..8).map(|s| Pattern { start: s, len: 4 }).collect();
        let plan = cover(&required, &patterns).unwrap();
        assert_eq!(covered(&required, &patterns, &plan), required);
        assert_eq!(plan, vec![(0, 3), (4, 3)]);
    }

    #[test]
    fn a_peak_is_covered_and_nothing_is_short() {
        let required = [1, 1, 2, 5, 6, 6, 3, 1, 0, 0, 2, 2];
        let mut patterns = Vec::new();
        for s in 0..12 {
            for len in [2, 4] {
                patterns.push(Pattern { start: s, len });
            }
        }
        let plan = cover(&required, &patterns).unwrap();
        let c = covered(&required, &patterns, &plan);
        assert!(c.iter().zip(&required).all(|(c, r)| c >= r), "{c:?} covers {required:?}");
        let hours: u32 = plan.iter().map(|&(i, k)| k * patterns[i].len as u32).sum();
        let need: u32 = required.iter().sum();
        assert!(hours <= need + need / 3, "{hours} interval-agents for {need}");
    }

    #[test]
    fn an_uncoverable_interval_is_named() {
        assert_eq!(cover(&[0, 1, 1], &[Pattern { start: 0, len: 2 }]), Err(2));
    }
}
