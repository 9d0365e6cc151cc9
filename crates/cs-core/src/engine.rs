//! [`Engine`]: a state plus an outbox of events, deciding and applying in place.
//!
//! The engine is the convenient way to embed the core: `execute` decides a command and
//! applies its events to the engine's own state without copying it, and keeps the events
//! in an outbox for the caller to persist or publish. It does no I/O either. An engine made
//! with [`Engine::with_projection`] also folds a read model beside its state (the metrics,
//! say); the plain engine folds the state alone.

use crate::command::Command;
use crate::decide::{Decider, Released, Task, Work, check_command};
use crate::event::Event;
use crate::projection::Projection;
use crate::rejection::Rejection;
use crate::state::State;
use crate::time::Timestamp;

/// A state that decides and applies commands in place, and the projection `P` it folds
/// beside the state (none, `()`, by default).
#[derive(Clone, Debug, Default)]
pub struct Engine<P = ()> {
    state: State,
    projection: P,
    outbox: Vec<Event>,
    /// The agenda of the decision under way, kept for its allocation; empty between calls.
    agenda: Vec<Task>,
    /// What the timers of the instant under way released; `None` between calls.
    released: Option<Released>,
}

impl Engine {
    /// An unconfigured engine; its first command must be `Configure`.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// An engine continuing from a state (for example one rebuilt by replay).
    pub fn from_state(state: State) -> Engine {
        Engine::from_parts(state, ())
    }
}

impl<P: Projection> Engine<P> {
    /// An unconfigured engine folding `projection` beside its state from the first event.
    pub fn with_projection(projection: P) -> Engine<P> {
        Engine::from_parts(State::new(), projection)
    }

    /// An engine continuing from a state and the projection folded beside it up to the
    /// same event (both rebuilt by [`crate::replay_projected`], say).
    pub fn from_parts(state: State, projection: P) -> Engine<P> {
        Engine { state, projection, outbox: Vec::new(), agenda: Vec::new(), released: None }
    }

    /// The current state.
    #[inline]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The projection, as of the last event.
    #[inline]
    pub fn projection(&self) -> &P {
        &self.projection
    }

    /// Gives the state back.
    pub fn into_state(self) -> State {
        self.state
    }

    /// Gives the state and the projection back.
    pub fn into_parts(self) -> (State, P) {
        (self.state, self.projection)
    }

    /// Decides `cmd` and applies its events.
    ///
    /// Timers due at or before the command's time fire first; their events enter the
    /// outbox even if the command is then rejected, because they would have happened
    /// anyway. A rejected command adds nothing of its own.
    pub fn execute(&mut self, cmd: &Command) -> Result<(), Rejection> {
        self.parts().execute(cmd)
    }

    /// Fires every timer due at or before `now`.
    #[inline]
    pub fn advance_to(&mut self, now: Timestamp) {
        if self.state.config.is_none() || self.state.next_deadline().is_none_or(|t| t > now) {
            return;
        }
        self.parts().fire_due(now);
    }

    /// The engine's parts, borrowed for one decision (a command, or the timers due).
    #[inline]
    fn parts(&mut self) -> Parts<'_> {
        Parts {
            state: &mut self.state,
            projection: projection_of(&mut self.projection),
            outbox: &mut self.outbox,
            agenda: &mut self.agenda,
            released: &mut self.released,
        }
    }

    /// The next time a timer is due.
    #[inline]
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.state.next_deadline()
    }

    /// Events produced since the outbox was last drained.
    #[inline]
    pub fn events(&self) -> &[Event] {
        &self.outbox
    }

    /// Takes the outbox.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.outbox)
    }

    /// Empties the outbox, keeping its allocation.
    #[inline]
    pub fn clear_events(&mut self) {
        self.outbox.clear();
    }
}

/// The projection to fold beside the state, none when it observes nothing (so that the
/// plain engine folds exactly as `apply_all`).
#[inline]
fn projection_of<P: Projection>(projection: &mut P) -> Option<&mut dyn Projection> {
    if projection.observes() { Some(projection) } else { None }
}

/// An engine's parts, borrowed, with its projection made dynamic: the decision code below
/// is compiled once, in this crate, whatever the engine's projection.
struct Parts<'a> {
    state: &'a mut State,
    projection: Option<&'a mut dyn Projection>,
    outbox: &'a mut Vec<Event>,
    agenda: &'a mut Vec<Task>,
    released: &'a mut Option<Released>,
}

impl Parts<'_> {
    /// [`Engine::execute`].
    fn execute(&mut self, cmd: &Command) -> Result<(), Rejection> {
        check_command(self.state, cmd)?;
        if self.state.config.is_some() && self.state.next_deadline().is_some_and(|t| t <= cmd.at()) {
            self.fire_due(cmd.at());
        }
        let start = self.outbox.len();
        let mut d = Decider::new(
            Work::InPlace(self.state, reborrow(&mut self.projection)),
            self.outbox,
            self.agenda,
            self.released,
        );
        // The command itself, then what it left on the agenda (work that must see its
        // events applied), applying in place in between.
        let result = d.command(cmd).and_then(|()| d.drain(None));
        match result {
            Ok(()) => d.commit(),
            Err(_) => {
                debug_assert_eq!(d.applied, start, "a rejected command applied nothing");
                self.outbox.truncate(start);
                self.agenda.clear();
                *self.released = None;
            }
        }
        result
    }

    /// Fires every timer due at or before `now`, once one is known to be due.
    #[inline(never)]
    fn fire_due(&mut self, now: Timestamp) {
        self.agenda.push(Task::Timers { now });
        let mut d = Decider::new(
            Work::InPlace(self.state, reborrow(&mut self.projection)),
            self.outbox,
            self.agenda,
            self.released,
        );
        d.drain(None).expect("firing timers refuses nothing");
        d.commit();
    }
}

/// The projection borrowed for one decision.
#[inline]
fn reborrow<'s>(projection: &'s mut Option<&mut dyn Projection>) -> Option<&'s mut dyn Projection> {
    match projection {
        Some(p) => Some(&mut **p),
        None => None,
    }
}
