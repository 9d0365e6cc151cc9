//! A log that stops inside a decision (a crash between two events of one decision, or a
//! hand edit) is folded as far as it goes, and `try_replay_report` says where that
//! decision starts: the state then may hold what no whole decision leaves.

use crate::fixture::{BILLING, TIER1, chats, configure, login, register, t};
use cs_core::{AgentId, Channel, Command, CustomerId, Engine, Event, TicketId, TicketSpec, TicketStatus};

fn engine() -> Engine {
    let mut e = Engine::new();
    for cmd in [configure(), register(0, "ann", TIER1, &[(BILLING, 1)], chats(2)), login(0, 0)] {
        e.execute(&cmd).unwrap();
    }
    e
}

/// A new ticket's assignment cut off: the ticket waits beside the agent who took it.
#[test]
fn a_ticket_created_without_its_assignment_is_a_cut_decision() {
    let mut e = engine();
    e.execute(&Command::CreateTicket { at: t(5), spec: TicketSpec::new(CustomerId(0), Channel::Chat) }).unwrap();
    let log = e.events().to_vec();
    let whole = cs_core::try_replay_report::<()>(&log).unwrap();
    assert_eq!(whole.cut, None);
    assert_eq!(whole.state, *e.state());

    let created = log.len() - 2;
    assert!(
        matches!(log[created], Event::TicketCreated { .. }) && matches!(log[created + 1], Event::TicketAssigned { .. })
    );
    let cut = cs_core::try_replay_report::<()>(&log[..=created]).unwrap();
    assert_eq!(cut.cut, Some(created));
    assert_eq!(cut.state, cs_core::replay(&log[..=created]));
    assert_eq!(cut.state.ticket(TicketId(0)).unwrap().status, TicketStatus::Queued);
}

/// A logout cut after its re-queue, before the agent goes offline (the event that names the
/// command): folded as far as it goes, the cut at the re-queue.
#[test]
fn a_logout_without_its_presence_change_is_a_cut_decision() {
    let mut e = engine();
    e.execute(&Command::CreateTicket { at: t(5), spec: TicketSpec::new(CustomerId(0), Channel::Chat) }).unwrap();
    e.execute(&Command::Logout { at: t(9), agent: AgentId(0) }).unwrap();
    let log = e.events().to_vec();
    let requeued = log.iter().position(|ev| matches!(ev, Event::TicketRequeued { .. })).expect("a re-queue");
    assert!(matches!(log[requeued + 1], Event::AgentPresenceChanged { .. }), "{log:#?}");
    let cut = cs_core::try_replay_report::<()>(&log[..=requeued]).unwrap();
    assert_eq!(cut.cut, Some(requeued));
    assert_eq!(cut.state, cs_core::replay(&log[..=requeued]));
    assert_eq!(cs_core::try_replay_report::<()>(&log).unwrap().cut, None);
}
