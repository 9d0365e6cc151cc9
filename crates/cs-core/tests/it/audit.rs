//! `cs_core::audit` finds a broken invariant in a state folded from events that `decide`
//! would never have produced.

use crate::fixture::*;
use cs_core::{AgentId, Engine, Event, TicketId, apply};

#[test]
fn audit_passes_a_decided_state_and_names_what_an_edited_log_broke() {
    let mut e = Engine::new();
    for c in [configure(), register(0, "ann", TIER1, &[(BILLING, 3)], chats(1)), login(1, 0), chat(2, 7)] {
        e.execute(&c).unwrap();
    }
    let events = e.take_events();
    assert_eq!(cs_core::audit(e.state()), Ok(()));
    assert!(events.iter().any(|ev| matches!(ev, Event::TicketAssigned { .. })));
    // The same log without the assignment: ann is free and the chat waits beside her.
    let mut s = cs_core::State::new();
    for ev in events.iter().filter(|ev| !matches!(ev, Event::TicketAssigned { .. })) {
        apply(&mut s, ev);
    }
    let err = cs_core::audit(&s).unwrap_err();
    assert_eq!(err, format!("available agent {} could serve waiting ticket {}", AgentId(0), TicketId(0)));
}
