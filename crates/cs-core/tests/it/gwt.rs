//! Given / when / then: given these commands (or events), when this command, expect these
//! events or this rejection.

use cs_core::metrics::Metrics;
use cs_core::{Command, Decision, Event, Rejection, State, apply_all, apply_projected};

/// Decides `cmd` on `state` step by step with the pure [`Decision`], applying each step's
/// events: every event applied, and whether the command was accepted (on a rejection, the
/// events are those of timers due before it, which stand).
pub fn decide_in(state: &mut State, cmd: &Command) -> (Vec<Event>, Result<(), Rejection>) {
    let mut decision = Decision::new(cmd);
    let mut all = Vec::new();
    loop {
        match decision.step(state) {
            Ok(Some(events)) => {
                apply_all(state, &events);
                all.extend(events);
            }
            Ok(None) => return (all, Ok(())),
            Err(r) => return (all, Err(r)),
        }
    }
}

/// The whole decision of `cmd` against `state`, decided on a copy (a test may copy; the
/// library never does): every event, or the rejection, as if nothing happened.
pub fn decide(state: &State, cmd: &Command) -> Result<Vec<Event>, Rejection> {
    let mut copy = state.clone();
    let (events, result) = decide_in(&mut copy, cmd);
    result.map(|()| events)
}

pub struct Given {
    pub state: State,
    pub log: Vec<Event>,
    /// The metrics projection, folded beside the state.
    pub metrics: Metrics,
}

/// The state after these commands, each decided and applied in turn; panics on a rejection.
pub fn given(cmds: &[Command]) -> Given {
    let mut g = Given { state: State::new(), log: Vec::new(), metrics: Metrics::default() };
    for c in cmds {
        g = g.and(c.clone());
    }
    g
}

impl Given {
    /// The state after these events.
    #[allow(dead_code)]
    pub fn events(events: &[Event]) -> Given {
        let mut metrics = Metrics::default();
        Given { state: cs_core::replay_projected(events, &mut metrics), log: events.to_vec(), metrics }
    }

    /// One more command, which must be accepted.
    pub fn and(mut self, cmd: Command) -> Given {
        let events = decide(&self.state, &cmd).unwrap_or_else(|r| panic!("given {cmd:?} was rejected: {r}"));
        for e in &events {
            apply_projected(&mut self.state, e, &mut self.metrics);
        }
        self.log.extend(events);
        self
    }

    pub fn when(&self, cmd: Command) -> Then {
        Then { result: decide(&self.state, &cmd), before: self.state.clone(), before_metrics: self.metrics.clone() }
    }
}

pub struct Then {
    pub result: Result<Vec<Event>, Rejection>,
    pub before: State,
    pub before_metrics: Metrics,
}

impl Then {
    #[track_caller]
    pub fn then_expect(&self, expected: &[Event]) {
        match &self.result {
            Ok(events) => assert_eq!(events.as_slice(), expected),
            Err(r) => panic!("expected events, got rejection: {r}"),
        }
    }

    #[track_caller]
    pub fn then_reject(&self, expected: Rejection) {
        match &self.result {
            Ok(events) => panic!("expected rejection {expected}, got events {events:#?}"),
            Err(r) => assert_eq!(r, &expected),
        }
    }

    /// The events, which must exist.
    #[track_caller]
    pub fn events(&self) -> &[Event] {
        self.result.as_ref().unwrap_or_else(|r| panic!("rejected: {r}"))
    }

    /// The state after applying the events to the state before.
    pub fn state_after(&self) -> State {
        self.after().0
    }

    /// The metrics after folding the events beside the state before.
    #[allow(dead_code)]
    pub fn metrics_after(&self) -> Metrics {
        self.after().1
    }

    fn after(&self) -> (State, Metrics) {
        let (mut s, mut m) = (self.before.clone(), self.before_metrics.clone());
        for e in self.events() {
            apply_projected(&mut s, e, &mut m);
        }
        (s, m)
    }
}
