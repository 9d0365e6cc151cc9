//! Instruction counts of the surge cycle, for `valgrind --tool=callgrind`: builds the
//! 100,000-waiting surge (as `core`'s `assign/surge_100k_waiting`), then runs a fixed
//! number of cycles in which a busy agent resolves its ticket (and takes the best waiting
//! one it may) and a new ticket arrives, each cycle through `Engine::execute`. The cycles
//! run inside `cycles`, never inlined, so callgrind can count them alone:
//!
//! ```text
//! cargo bench -p cs-core --bench cycle --no-run
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='cycle::cycles' \
//!     target/release/deps/cycle-<hash> 20000 1
//! ```
//!
//! The arguments: cycles (default 20,000) and the most skills a ticket needs (1, or 2 for
//! the skill-pairs surge). Unlike wall-clock figures on a shared machine, the count is the
//! same run after run, so two builds compare within a fraction of a percent. It prints the
//! wall time per cycle (for runs without valgrind, alternating two builds) and the waiting
//! count after the cycles, which must stay 100,000.

#[path = "common/surge.rs"]
#[allow(dead_code)]
mod surge;

use cs_core::{Command, Engine};
use std::hint::black_box;
use surge::{Gen, surge, ticket_n};

/// `n` cycles of one resolution and one arrival, 1 ms apart.
#[inline(never)]
fn cycles(e: &mut Engine, g: &mut Gen, n: usize, skills_max: u64) {
    let now = e.state().last_event_at().plus_ms(1_000);
    let busy: Vec<_> = e.state().agents().iter().map(|a| a.id).collect();
    let mut clock = now;
    for k in 0..n {
        clock = clock.plus_ms(1);
        let agent = busy[k % busy.len()];
        if let Some(&held) = e.state().agent(agent).expect("registered").held.first() {
            let _ = black_box(e.execute(&Command::Resolve { at: clock, ticket: held }));
        }
        let _ = black_box(e.execute(&Command::CreateTicket { at: clock, spec: ticket_n(g, 1, skills_max) }));
        e.clear_events();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; the numbers are the positional arguments.
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(20_000) as usize;
    let skills_max = args.get(1).copied().unwrap_or(1).max(1);
    let (mut e, mut g) = surge(skills_max);
    let start = std::time::Instant::now();
    cycles(&mut e, &mut g, n, skills_max);
    let ns = start.elapsed().as_nanos() as f64 / n.max(1) as f64;
    let waiting = e.state().tickets().filter(|t| t.status == cs_core::TicketStatus::Queued).count();
    println!("{n} cycles (tickets needing up to {skills_max} skills): {ns:.0} ns each, {waiting} waiting after them");
}
