//! A routing explanation (`cs_core::explain`) with the outside world's names: tickets by
//! key (or `T<id>` when they have none), agents by key, queues, skills and languages by
//! their config names. `cs explain` prints it.
//! The explanation itself is named by the service's `cs_http::api::explanation_view`, so
//! the CLI and `GET /v1/tickets/{id}` show the same.

use cs_core::explain::{Explanation, TicketChoice};
use cs_core::{AgentId, State, TicketId};
use serde_json::{Value, json};

/// A ticket's outside name: its key, or `T<id>`.
#[must_use]
pub fn ticket_name(state: &State, id: TicketId) -> String {
    state.ticket(id).and_then(|t| t.key.as_deref().map(str::to_owned)).unwrap_or_else(|| format!("T{}", id.0))
}

/// An agent's key, or `A<id>` for an agent the state does not know.
#[must_use]
pub fn agent_name(state: &State, id: AgentId) -> String {
    state.agent(id).map_or_else(|| format!("A{}", id.0), |a| a.key.to_string())
}

/// The explanation as JSON with names for ids: the service's own view of it
/// (`cs_http::api::explanation_view`), so `cs explain` and `GET /v1/tickets/{id}` agree.
#[must_use]
pub fn named(state: &State, e: &Explanation) -> Value {
    cs_http::api::explanation_view(state, e)
}

/// What an agent could take, named.
#[must_use]
pub fn named_choices(state: &State, choices: &[TicketChoice]) -> Value {
    Value::Array(
        choices
            .iter()
            .map(|c| json!({ "ticket": ticket_name(state, c.ticket), "priority_points": c.priority_points, "reserved": c.reserved }))
            .collect(),
    )
}
