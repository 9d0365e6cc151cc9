//! Projections: read models folded from the same events as the state, beside it.
//!
//! In the manner of cqrs-es's queries, reporting is not part of the fold of the routing
//! state: [`apply`](crate::apply()) keeps the tables routing decides on and nothing else,
//! and a caller who wants a read model (the metrics, [`crate::metrics::Metrics`]) folds it
//! beside the state, with [`crate::apply_projected`], [`crate::replay_projected`], an
//! [`Engine`](crate::Engine) made with [`Engine::with_projection`](crate::Engine::with_projection)
//! or [`crate::try_replay_projected`].
//!
//! A projection sees every event twice: just before it is folded into the state (what
//! the event ends, such as a ticket's wait or its agent's hold, is still there to read)
//! and just after (what it starts, such as an agent's new load). It reads the state and
//! never changes it, so a projection can never change a decision.

use crate::event::Event;
use crate::state::State;

/// A read model folded from events beside the state.
pub trait Projection {
    /// Sees `event` with the state just before it is folded.
    fn before(&mut self, state: &State, event: &Event);

    /// Sees `event` with the state just after it was folded.
    fn after(&mut self, state: &State, event: &Event);

    /// Whether it is called at all: `false` (the empty projection `()`) lets the engine
    /// fold events without calling it, exactly as with no projection.
    fn observes(&self) -> bool {
        true
    }

    /// Folds `events` into `state` and this projection beside it, as
    /// [`crate::apply_all_projected`] does, with `before` and `after` called directly rather
    /// than through a vtable: one dynamic call per batch instead of two per event (the
    /// engine folds its projection this way). Not meant to be overridden.
    #[doc(hidden)]
    fn fold_all(&mut self, state: &mut State, events: &[Event]) {
        crate::apply::fold_all(state, events, self);
    }
}

/// No projection: the state alone.
impl Projection for () {
    #[inline]
    fn before(&mut self, _: &State, _: &Event) {}

    #[inline]
    fn after(&mut self, _: &State, _: &Event) {}

    #[inline]
    fn observes(&self) -> bool {
        false
    }
}
