//! Proof of a plan by simulation: the plan's scenario run with the real engine in the
//! loop, replications in parallel, each interval's figures per queue against the target.
//!
//! Per queue and interval, the counts of every replication are pooled (answered within
//! the threshold over offered, summed over replications): the interval's expected figure,
//! not one day's luck. An interval is met when every queue that had contacts in it meets
//! the service level (and the ASA and abandonment caps, when set). The simulation sees
//! what Erlang does not: contacts carried over from one interval to the next, shift
//! edges, the engine's routing.

use crate::PlanError;
use crate::plan::Plan;
use cs_core::metrics::{Counts, INTERVAL_MS};
use cs_sim::{Arrival, RunOptions, Scenario, replication_seed};
use serde::Serialize;

/// How to verify.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Replications (at least 1).
    pub replications: u32,
    /// Threads to run them on (at least 1); the result does not depend on it.
    pub threads: usize,
    /// Base seed.
    pub seed: u64,
    /// What really arrived (from a log), instead of arrivals drawn from the forecast;
    /// timed from the plan's start.
    pub arrivals: Option<Vec<Arrival>>,
}

/// One queue in one interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueCheck {
    /// Queue name.
    pub name: String,
    /// Contacts offered per replication (mean).
    pub offered: f64,
    /// Agents the plan has on the phones.
    pub scheduled: u32,
    /// Agents Erlang requires (no reserve).
    pub required: u32,
    /// Answered within the threshold over offered.
    pub service_level: Option<f64>,
    /// Average speed of answer, seconds.
    pub asa_s: Option<f64>,
    /// Abandoned over offered.
    pub abandon_rate: Option<f64>,
    /// Whether the targets are met (no contact: met).
    pub met: bool,
    /// Which targets are missed: `service_level`, `asa_s`, `abandon_rate`.
    pub misses: Vec<&'static str>,
}

/// One interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntervalCheck {
    /// Its start (RFC 3339).
    pub start: String,
    /// Whether every queue met its targets.
    pub met: bool,
    /// Per queue.
    pub queues: Vec<QueueCheck>,
}

/// The outcome of a verification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verification {
    /// Replications run.
    pub replications: u32,
    /// Whether the arrivals were a recorded log's.
    pub recorded_arrivals: bool,
    /// Intervals checked.
    pub intervals: usize,
    /// Of those, met.
    pub intervals_met: usize,
    /// Per interval.
    pub checks: Vec<IntervalCheck>,
}

impl Verification {
    /// Intervals met over intervals.
    #[must_use]
    pub fn met_share(&self) -> f64 {
        if self.intervals == 0 { 1.0 } else { self.intervals_met as f64 / self.intervals as f64 }
    }

    /// The intervals missed.
    pub fn missed(&self) -> impl Iterator<Item = &IntervalCheck> {
        self.checks.iter().filter(|c| !c.met)
    }
}

/// Simulates `plan` (its scenario, [`crate::plan::scenario_toml`]) and checks every
/// interval.
///
/// # Errors
/// [`PlanError::Simulation`] when the scenario is refused (a bug) or a run fails (e.g.
/// recorded arrivals naming a queue the plan lacks).
pub fn verify(plan: &Plan, opts: &VerifyOptions) -> Result<Verification, PlanError> {
    use rayon::prelude::*;
    if opts.replications == 0 || opts.threads == 0 {
        return Err(PlanError::Simulation("replications and threads must be at least 1".into()));
    }
    let text = crate::plan::scenario_toml(plan, opts.seed, opts.replications);
    let scenario =
        Scenario::from_toml_str(&text, "the plan's scenario").map_err(|e| PlanError::Simulation(e.to_string()))?;
    let n = plan.horizon_intervals;
    let q = plan.queues.len();
    // The scenario's queue of each planned queue (a queue without shifts is not in it).
    let names: Vec<&str> = scenario.queue_names().collect();
    let index: Vec<Option<usize>> = plan.queues.iter().map(|p| names.iter().position(|n| *n == p.name)).collect();
    let run_one = |i: u32| -> Result<Vec<Vec<Counts>>, PlanError> {
        let ro = RunOptions {
            seed: Some(replication_seed(opts.seed, i)),
            arrivals: opts.arrivals.clone(),
            sample_every_s: 0.0,
            ..RunOptions::default()
        };
        let run =
            cs_sim::run(&scenario, &ro, &mut |_| {}, &mut |_| {}).map_err(|e| PlanError::Simulation(e.to_string()))?;
        let mut per = vec![vec![Counts::default(); q]; n];
        for (at, counts) in &run.queue_intervals {
            let k = at.since(plan.start()) / INTERVAL_MS;
            if (0..n as i64).contains(&k) {
                for (planned, scenario_q) in index.iter().enumerate() {
                    if let Some(sq) = scenario_q {
                        per[k as usize][planned] = counts[*sq].clone();
                    }
                }
            }
        }
        Ok(per)
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| PlanError::Simulation(format!("cannot start {} threads: {e}", opts.threads)))?;
    let runs: Vec<Result<Vec<Vec<Counts>>, PlanError>> =
        pool.install(|| (0..opts.replications).into_par_iter().with_max_len(1).map(run_one).collect());
    // Pooled in replication order, so the sums do not depend on the threads.
    let mut pooled = vec![vec![Counts::default(); q]; n];
    for r in runs {
        for (t, per) in r?.into_iter().enumerate() {
            for (k, c) in per.iter().enumerate() {
                pooled[t][k].add(c);
            }
        }
    }
    let reps = f64::from(opts.replications);
    let checks: Vec<IntervalCheck> = pooled
        .iter()
        .enumerate()
        .map(|(t, per)| {
            let queues: Vec<QueueCheck> = per
                .iter()
                .zip(&plan.queues)
                .map(|(c, qp)| {
                    let mut misses = Vec::new();
                    if c.offered > 0 {
                        if c.service_level().is_some_and(|s| s < plan.service_level) {
                            misses.push("service_level");
                        }
                        if let (Some(max), Some(a)) = (plan.asa_s_max, c.asa_s())
                            && a > max
                        {
                            misses.push("asa_s");
                        }
                        if let (Some(max), Some(a)) = (plan.abandon_rate_max, c.abandon_rate())
                            && a > max
                        {
                            misses.push("abandon_rate");
                        }
                    }
                    QueueCheck {
                        name: qp.name.clone(),
                        offered: c.offered as f64 / reps,
                        scheduled: qp.scheduled[t],
                        required: qp.required[t],
                        service_level: c.service_level(),
                        asa_s: c.asa_s(),
                        abandon_rate: c.abandon_rate(),
                        met: misses.is_empty(),
                        misses,
                    }
                })
                .collect();
            IntervalCheck { start: plan.interval(t).to_string(), met: queues.iter().all(|c| c.met), queues }
        })
        .collect();
    Ok(Verification {
        replications: opts.replications,
        recorded_arrivals: opts.arrivals.is_some(),
        intervals: n,
        intervals_met: checks.iter().filter(|c| c.met).count(),
        checks,
    })
}
