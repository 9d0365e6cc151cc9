//! The timer schedule: the core's `BTreeSet<(Timestamp, Timer)>` against the
//! `priority-queue` crate (an indexed binary heap, the design brief's choice "where items
//! change priority"), on the core's own timer workload at 100,000 waiting tickets.
//!
//! - `timers/btreeset_100k_waiting` and `timers/priority_queue_100k_waiting`: one round is
//!   10 simulated milliseconds of a desk with 100,000 waiting tickets, each with a
//!   relaxation step (every 30 s), a first-response SLA clock (a reminder every 60 s once
//!   breached) and a time-to-live (1 h): the timers due fire in due order and each moves
//!   its own due time (a step passes, a reminder is due again) or goes (a ticket expires);
//!   one ticket is assigned (its step and time-to-live go, a reply timer comes), one SLA
//!   clock pauses (waiting on the customer: its timer goes) and one paused clock resumes
//!   (its timer comes back later); new tickets keep 100,000 waiting.
//!
//! Both schedules are driven by the same code through [`Schedule`], the operations the
//! core uses: `retime` (a timer's due time moves from `old` to `new`, either of which may
//! be none: the core always knows both, from the ticket's fields) and `first`. Before
//! timing, both are run side by side and must fire the same timers in the same order.

use criterion::{Criterion, criterion_group, criterion_main};
use cs_core::TicketId;
use cs_core::Timestamp;
use cs_core::sla::ClockKind;
use cs_core::state::Timer;
use priority_queue::PriorityQueue;
use rustc_hash::FxBuildHasher;
use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::hint::black_box;

const WAITING: u32 = 100_000;
const ROUND_MS: i64 = 10;
const STEP_MS: i64 = 30_000;
const REMINDER_MS: i64 = 60_000;
const TTL_MS: i64 = 3_600_000;
const REPLY_MS: i64 = 120_000;

/// The operations the core performs on its timer schedule.
trait Schedule {
    fn retime(&mut self, timer: Timer, old: Option<Timestamp>, new: Option<Timestamp>);
    fn first(&self) -> Option<(Timestamp, Timer)>;
}

/// The core's structure (`State::timers`): ordered by due time, ties by timer.
#[derive(Default)]
struct Tree(BTreeSet<(Timestamp, Timer)>);

impl Schedule for Tree {
    fn retime(&mut self, timer: Timer, old: Option<Timestamp>, new: Option<Timestamp>) {
        if old == new {
            return;
        }
        if let Some(old) = old {
            let removed = self.0.remove(&(old, timer));
            assert!(removed, "{timer:?} due {old:?} missing");
        }
        if let Some(new) = new {
            self.0.insert((new, timer));
        }
    }

    fn first(&self) -> Option<(Timestamp, Timer)> {
        self.0.first().copied()
    }
}

/// `priority-queue`: a binary heap indexed by a hash map from timer to heap slot, so a
/// timer's priority changes in place. The priority is the same `(due, timer)` pair
/// (reversed: the crate pops the greatest), so ties fire in the core's order.
struct Heap(PriorityQueue<Timer, Reverse<(Timestamp, Timer)>, FxBuildHasher>);

impl Default for Heap {
    fn default() -> Heap {
        Heap(PriorityQueue::with_default_hasher())
    }
}

impl Schedule for Heap {
    fn retime(&mut self, timer: Timer, old: Option<Timestamp>, new: Option<Timestamp>) {
        match (old, new) {
            (None, None) => {}
            (Some(_), None) => {
                let removed = self.0.remove(&timer);
                assert!(removed.is_some(), "{timer:?} missing");
            }
            (None, Some(new)) => {
                let before = self.0.push(timer, Reverse((new, timer)));
                assert!(before.is_none(), "{timer:?} already scheduled");
            }
            (Some(_), Some(new)) => {
                let before = self.0.change_priority(&timer, Reverse((new, timer)));
                assert!(before.is_some(), "{timer:?} missing");
            }
        }
    }

    fn first(&self) -> Option<(Timestamp, Timer)> {
        self.0.peek().map(|(_, Reverse(key))| *key)
    }
}

/// A ticket's timer fields, as the core keeps them on the ticket.
#[derive(Clone, Copy, Default)]
struct Dues {
    step: Option<Timestamp>,
    sla: Option<Timestamp>,
    expiry: Option<Timestamp>,
    reply: Option<Timestamp>,
    /// A paused SLA clock's remaining time.
    paused_ms: Option<i64>,
}

/// A tiny deterministic generator (xorshift), so benches need no random crate.
struct Gen(u64);
impl Gen {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The desk: tickets' timer fields, the schedule derived from them, and the clock.
struct Desk<S> {
    schedule: S,
    tickets: Vec<Dues>,
    /// Tickets waiting (with a step and a time-to-live), in no order.
    waiting: Vec<u32>,
    /// Where each ticket is in `waiting` (`u32::MAX` if it is not waiting).
    waiting_at: Vec<u32>,
    /// Tickets whose SLA clock is paused.
    paused: Vec<u32>,
    now: Timestamp,
    rng: Gen,
    /// Timers fired so far, hashed in order, to compare two schedules.
    fired: u64,
}

impl<S: Schedule + Default> Desk<S> {
    fn new() -> Desk<S> {
        let mut desk = Desk {
            schedule: S::default(),
            tickets: Vec::new(),
            waiting: Vec::new(),
            waiting_at: Vec::new(),
            paused: Vec::new(),
            now: Timestamp::from_ms(TTL_MS),
            rng: Gen(0x9e37_79b9_7f4a_7c15),
            fired: 0,
        };
        // Tickets created over the last hour: their next step, reminder and end of life
        // spread over the next 30 s, minute and hour (none overdue).
        let spread = |i: u32, over_ms: i64| i64::from(i) * over_ms / i64::from(WAITING) + 1;
        for i in 0..WAITING {
            let now = desk.now;
            desk.create_due(
                now.plus_ms(spread(i.wrapping_mul(7919) % WAITING, STEP_MS)),
                now.plus_ms(spread(i.wrapping_mul(104_729) % WAITING, REMINDER_MS)),
                now.plus_ms(spread(i, TTL_MS)),
            );
        }
        desk
    }

    fn set(&mut self, id: u32, timer: Timer, new: Option<Timestamp>) {
        let d = &mut self.tickets[id as usize];
        let field = match timer {
            Timer::Step(_) => &mut d.step,
            Timer::Sla(..) => &mut d.sla,
            Timer::Expiry(_) => &mut d.expiry,
            Timer::Reply(_) => &mut d.reply,
            _ => unreachable!("not a timer of this workload"),
        };
        let old = std::mem::replace(field, new);
        self.schedule.retime(timer, old, new);
    }

    fn create(&mut self, created: Timestamp) {
        self.create_due(created.plus_ms(STEP_MS), created.plus_ms(REMINDER_MS), created.plus_ms(TTL_MS));
    }

    fn create_due(&mut self, step: Timestamp, sla: Timestamp, expiry: Timestamp) {
        let id = self.tickets.len() as u32;
        self.tickets.push(Dues::default());
        self.waiting_at.push(self.waiting.len() as u32);
        self.waiting.push(id);
        let t = TicketId(u64::from(id));
        self.set(id, Timer::Step(t), Some(step));
        self.set(id, Timer::Sla(t, ClockKind::FirstResponse), Some(sla));
        self.set(id, Timer::Expiry(t), Some(expiry));
    }

    fn unwait(&mut self, id: u32) {
        let at = std::mem::replace(&mut self.waiting_at[id as usize], u32::MAX) as usize;
        self.waiting.swap_remove(at);
        if let Some(&moved) = self.waiting.get(at) {
            self.waiting_at[moved as usize] = at as u32;
        }
    }

    /// A ticket leaves: every timer of it goes.
    fn close(&mut self, id: u32) {
        let t = TicketId(u64::from(id));
        if self.waiting_at[id as usize] != u32::MAX {
            self.unwait(id);
        }
        self.set(id, Timer::Step(t), None);
        self.set(id, Timer::Sla(t, ClockKind::FirstResponse), None);
        self.set(id, Timer::Expiry(t), None);
        self.set(id, Timer::Reply(t), None);
    }

    /// One round: 10 ms of the desk.
    fn round(&mut self) {
        self.now = self.now.plus_ms(ROUND_MS);
        while let Some((due, timer)) = self.schedule.first()
            && due <= self.now
        {
            self.fired = self.fired.rotate_left(5) ^ (due.ms() as u64) ^ timer_bits(timer);
            match timer {
                Timer::Step(t) => self.set(t.0 as u32, timer, Some(due.plus_ms(STEP_MS))),
                Timer::Sla(t, _) => self.set(t.0 as u32, timer, Some(due.plus_ms(REMINDER_MS))),
                Timer::Expiry(t) | Timer::Reply(t) => self.close(t.0 as u32),
                _ => unreachable!("not a timer of this workload"),
            }
        }
        // An agent takes a waiting ticket: no more steps or time-to-live; a reply is due.
        if !self.waiting.is_empty() {
            let id = self.waiting[self.rng.below(self.waiting.len())];
            let t = TicketId(u64::from(id));
            self.unwait(id);
            self.set(id, Timer::Step(t), None);
            self.set(id, Timer::Expiry(t), None);
            self.set(id, Timer::Reply(t), Some(self.now.plus_ms(REPLY_MS)));
        }
        // A clock pauses (the ticket waits on the customer) and another resumes.
        let id = self.rng.below(self.tickets.len()) as u32;
        if let Some(due) = self.tickets[id as usize].sla
            && self.tickets[id as usize].paused_ms.is_none()
        {
            self.tickets[id as usize].paused_ms = Some(due.ms() - self.now.ms());
            self.set(id, Timer::Sla(TicketId(u64::from(id)), ClockKind::FirstResponse), None);
            self.paused.push(id);
        }
        if self.paused.len() > 64 {
            let id = self.paused.swap_remove(self.rng.below(self.paused.len()));
            if let Some(left) = self.tickets[id as usize].paused_ms.take()
                && (self.waiting_at[id as usize] != u32::MAX || self.tickets[id as usize].reply.is_some())
            {
                let due = self.now.plus_ms(left.max(1));
                self.set(id, Timer::Sla(TicketId(u64::from(id)), ClockKind::FirstResponse), Some(due));
            }
        }
        // New tickets keep the desk at its size.
        while self.waiting.len() < WAITING as usize {
            self.create(self.now);
        }
    }
}

fn timer_bits(timer: Timer) -> u64 {
    match timer {
        Timer::Step(t) => t.0 << 3,
        Timer::Sla(t, _) => t.0 << 3 | 1,
        Timer::Expiry(t) => t.0 << 3 | 2,
        Timer::Reply(t) => t.0 << 3 | 3,
        _ => 7,
    }
}

fn timers(c: &mut Criterion) {
    // The two schedules fire the same timers in the same order.
    let (mut tree, mut heap) = (Desk::<Tree>::new(), Desk::<Heap>::new());
    for _ in 0..20_000 {
        tree.round();
        heap.round();
    }
    assert_eq!(tree.fired, heap.fired, "the schedules fired differently");
    assert_eq!(tree.schedule.0.len(), heap.schedule.0.len());

    // Each desk is built once, outside the timed routine (criterion calls it once per
    // sample), and runs on from round to round.
    let mut g = c.benchmark_group("timers");
    g.bench_function("btreeset_100k_waiting", |b| {
        b.iter(|| {
            tree.round();
            black_box(tree.fired)
        });
    });
    g.bench_function("priority_queue_100k_waiting", |b| {
        b.iter(|| {
            heap.round();
            black_box(heap.fired)
        });
    });
    g.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
