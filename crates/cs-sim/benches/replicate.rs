//! Replications on one thread against replications on several: wall time and speed-up on
//! this machine, the figures checked equal. A plain binary (`harness = false`) printing a
//! report.
//!
//! ```sh
//! cargo bench -p cs-sim --bench replicate
//! cargo bench -p cs-sim --bench replicate -- --replications 16 --threads 1,2,4 --rounds 3
//! ```
//!
//! Each round runs the same replications once per thread count (in turn, so that load from
//! elsewhere on the machine falls on all of them alike); the median wall time per thread
//! count is reported with its speed-up over the first count, and (on Linux) the process's
//! CPU time over its wall time: near the thread count when the threads really ran side by
//! side, lower when other work on the machine held the cores.

use cs_sim::{RunOptions, Scenario, replicate};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/mmc-check.toml");
    let mut replications = 8u32;
    let mut threads = vec![1usize, 2];
    let mut rounds = 3usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--scenario" => path = args.next().expect("--scenario PATH").into(),
            "--replications" => replications = args.next().and_then(|n| n.parse().ok()).expect("--replications N"),
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).expect("--rounds N"),
            "--threads" => {
                threads = args
                    .next()
                    .expect("--threads 1,2")
                    .split(',')
                    .map(|n| n.parse().expect("--threads: counts separated by commas"))
                    .collect();
            }
            _ => {} // `cargo bench` passes `--bench`; ignore what we do not know
        }
    }
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "scenario {} ({}), {replications} replications of {} s simulated, {rounds} rounds, {cores} cores",
        scenario.name(),
        path.display(),
        scenario.duration_s()
    );
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); threads.len()];
    let mut cpus: Vec<f64> = vec![0.0; threads.len()];
    let mut reference = None;
    let mut tickets = 0u64;
    for _ in 0..rounds {
        for (k, &n) in threads.iter().enumerate() {
            let opts = RunOptions {
                sample_every_s: 0.0,
                replications: Some(replications),
                threads: n,
                ..RunOptions::default()
            };
            let (t0, c0) = (Instant::now(), cpu_s());
            let r = replicate(&scenario, &opts, &mut |_| {}).expect("replications run");
            walls[k].push(t0.elapsed().as_secs_f64());
            cpus[k] += cpu_s() - c0;
            tickets = r.runs.iter().map(|x| x.tickets_simulated).sum();
            // The figures may not depend on the thread count.
            match &reference {
                None => reference = Some(r.runs),
                Some(runs) => assert_eq!(runs, &r.runs, "{n} threads changed the figures"),
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let base = median(&mut walls[0].clone());
    for (k, &n) in threads.iter().enumerate() {
        let total: f64 = walls[k].iter().sum();
        let m = median(&mut walls[k]);
        println!(
            "threads {n:>3}: wall {m:>8.3} s median | {:>10.0} tickets/s | speed-up {:.2}x over {} thread(s) | cpu/wall {:.2}",
            tickets as f64 / m,
            base / m,
            threads[0],
            cpus[k] / total
        );
        println!("speedup_{n}_threads={:.3}", base / m);
    }
}

/// This process's user + system CPU time in seconds, from `/proc/self/stat` (0 where it
/// cannot be read: the ratio then says nothing).
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = f.get(11..13).map_or(0.0, |v| v.iter().filter_map(|x| x.parse::<f64>().ok()).sum());
    // The kernel's USER_HZ, 100 on every Linux this runs on.
    ticks / 100.0
}
