//! Simulated tickets per second on the M/M/50+M `mmc-check` scenario with the full engine
//! in the loop, on one core. A plain binary (`harness = false`) printing a report.
//!
//! ```sh
//! cargo bench -p cs-sim --bench simulate
//! cargo bench -p cs-sim --bench simulate -- --runs 20 --scenario path/to/scenario.toml
//! ```
//!
//! Each run loads nothing (the scenario is parsed once), builds a fresh engine, simulates
//! the whole scenario and reports tickets created per wall-clock second. The figure
//! printed last (`tickets_per_s_median=`) is what `benches/peers/run.sh` reads.

use cs_sim::{RunOptions, Scenario, run};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/mmc-check.toml");
    let mut runs = 10usize;
    let mut with_log = true;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--scenario" => path = args.next().expect("--scenario PATH").into(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--no-log" => with_log = false,
            _ => {} // `cargo bench` passes `--bench`; ignore what we do not know
        }
    }
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions { sample_every_s: 0.0, ..RunOptions::default() };
    println!(
        "scenario {} ({}), {} agents, {} s simulated, {runs} runs",
        scenario.name(),
        path.display(),
        scenario.agents_n(),
        scenario.duration_s()
    );

    let measure = |label: &str, sink: &mut dyn FnMut(&cs_core::Event)| {
        let mut rates = Vec::new();
        let mut tickets = 0;
        let mut events = 0;
        for _ in 0..runs {
            let t0 = Instant::now();
            let r = run(&scenario, &opts, sink, &mut |_| {}).expect("run completes");
            let s = t0.elapsed().as_secs_f64();
            tickets = r.tickets_simulated;
            events = r.events;
            rates.push(r.tickets_simulated as f64 / s);
        }
        rates.sort_by(f64::total_cmp);
        let median = rates[rates.len() / 2];
        let best = rates[rates.len() - 1];
        println!(
            "{label:<34} {tickets:>9} tickets {events:>9} events per run | tickets/s median {median:>10.0} best {best:>10.0} | events/s median {:>10.0}",
            median * events as f64 / tickets as f64
        );
        median
    };
    let median = measure("simulate (no event sink)", &mut |_| {});
    if with_log {
        let mut line = Vec::with_capacity(512);
        let mut bytes = 0u64;
        measure("simulate + JSON-lines event log", &mut |e| {
            line.clear();
            serde_json::to_writer(&mut line, &cs_core::Envelope::new(e.clone())).expect("serialises");
            line.push(b'\n');
            bytes += line.len() as u64;
        });
        std::hint::black_box(bytes);
    }
    println!("tickets_per_s_median={median:.0}");
}
