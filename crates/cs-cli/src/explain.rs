//! A routing explanation (`cs_core::explain`) with the outside world's names: tickets by
//! key (or `T<id>` when they have none), agents by key, queues, skills and languages by
//! their config names. `cs explain` prints it.
//!
//! The service's `GET /v1/tickets/{id}?explain` names an explanation the same way in
//! `cs-http`'s `api::explanation_view`; folding that one onto this (cs-http cannot depend
//! on cs-cli, so both would move to a crate they share) is left to whoever next changes
//! cs-http.

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

/// The explanation as JSON with names for ids.
#[must_use]
pub fn named(state: &State, e: &Explanation) -> Value {
    let cfg = state.config();
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    v["ticket"] = json!(ticket_name(state, e.ticket));
    v["at"] = json!(e.at.to_string());
    v["queue"] = json!(cfg.queue(e.queue).name);
    v["chosen"] = e.chosen.map_or(Value::Null, |a| json!(agent_name(state, a)));
    if let Some(cands) = v["candidates"].as_array_mut() {
        for (c, orig) in cands.iter_mut().zip(&e.candidates) {
            c["agent"] = json!(agent_name(state, orig.agent));
        }
    }
    v["excluded"] = Value::Array(
        e.excluded
            .iter()
            .map(|(a, why)| {
                let mut w = serde_json::to_value(why).unwrap_or(Value::Null);
                if let Some(skill) = w.get("skill").and_then(Value::as_u64) {
                    w["skill"] = json!(cfg.skill_name(cs_core::SkillId(skill as u16)));
                }
                if let Some(l) = w.get("language").and_then(Value::as_u64) {
                    w["language"] = json!(cfg.language_names().get(l as usize));
                }
                if let Some(o) = w.get("agent").and_then(Value::as_u64) {
                    w["agent"] = json!(agent_name(state, AgentId(o as u32)));
                }
                json!({ "agent": agent_name(state, *a), "why": w })
            })
            .collect(),
    );
    v
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
