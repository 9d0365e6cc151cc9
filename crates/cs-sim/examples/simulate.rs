//! Runs a scenario file and prints its headline figures (a development aid; the `cs`
//! binary is the real front end).
//!
//! `cargo run --release -p cs-sim --example simulate -- examples/scenarios/mmc-check.toml`

use cs_sim::{RunOptions, Scenario, run};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "examples/scenarios/mmc-check.toml".into());
    let scenario = match Scenario::load(path.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let t0 = Instant::now();
    let r = run(&scenario, &RunOptions::default(), &mut |_| {}, &mut |_| {}).expect("run completes");
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{}: {} tickets, {} events in {secs:.3} s ({:.0} tickets/s)",
        scenario.name(),
        r.tickets_simulated,
        r.events,
        r.tickets_simulated as f64 / secs
    );
    println!("total: {:?}", r.figures());
    for (i, name) in scenario.queue_names().enumerate() {
        println!("{name}: {:?}", r.queue_figures(i).expect("queue"));
    }
    println!(
        "held max {}, waits p50 {:?} p90 {:?}",
        r.tickets_held_max,
        r.waits.quantile_s(0.5),
        r.waits.quantile_s(0.9)
    );
}
