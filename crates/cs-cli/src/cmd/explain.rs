//! `cs explain`: why a ticket went (or would go) to whom, from an event log: replayed to
//! the instant asked, then `cs_core::explain` (who could take it, who was excluded and
//! why, the tie-break, the priority). For a ticket already assigned by then, the last
//! assignment at or before it is explained over the state just before it
//! (`cs_core::explain_assignment`), with what that agent could have taken instead.

use anyhow::bail;
use cs_cli::explain::{agent_name, named, named_choices, ticket_name};
use cs_cli::table::Table;
use cs_core::{Event, Timestamp};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Flags of `cs explain`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The JSON-lines event log.
    #[arg(value_name = "EVENTS")]
    pub events: PathBuf,
    /// The ticket: its key, or its id (`T12` or `12`).
    #[arg(long, value_name = "KEY")]
    pub ticket: String,
    /// The instant: RFC 3339 or milliseconds since the epoch. Default: the log's end.
    #[arg(long, value_name = "TIME", value_parser = super::replay::parse_time)]
    pub at: Option<Timestamp>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `cs explain`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let file = a.events.display().to_string();
    let read = super::replay::read(&a.events, a.at)?;
    let events = read.events;
    let Some(Event::Configured { .. }) = events.first() else {
        bail!("{file}: the first event is not Configured: this is not the start of an event log");
    };
    let (state, ()) = super::replay_log(&a.events, &events)?;
    let at = a.at.unwrap_or_else(|| state.last_event_at());
    let key = a.ticket.as_str();
    // Looked up in the log, not only the state: a ticket closed long before the instant
    // has been retired from memory, but its creation and assignment are in the log.
    let by_id = key.strip_prefix('T').unwrap_or(key).parse::<u64>().ok().map(cs_core::TicketId);
    let found = events.iter().find_map(|e| match e {
        Event::TicketCreated { ticket, spec, .. } if spec.key.as_deref() == Some(key) || Some(*ticket) == by_id => {
            Some((*ticket, spec.key.clone()))
        }
        _ => None,
    });
    let Some((id, ticket_key)) = found else {
        bail!("{file}: no ticket {key:?} was created by {at} (neither a key nor an id)");
    };
    let name = ticket_key.unwrap_or_else(|| ticket_name(&state, id));
    let status = state.ticket(id).map_or("closed and retired", |t| t.status.name());
    let out = if let Some(e) = cs_core::explain(&state, id, at) {
        json!({ "ticket": name, "status": status, "as_of": at.to_string(), "kind": "waiting", "explanation": named(&state, &e) })
    } else {
        // The last assignment or offer of the ticket at or before the instant.
        let index = events.iter().rposition(|e| match e {
            Event::TicketAssigned { ticket, .. } | Event::TicketOffered { ticket, .. } => *ticket == id,
            _ => false,
        });
        let Some(index) = index else {
            bail!("{file}: ticket {name} is {status} as of {at} and was never assigned or offered by then: nothing to explain");
        };
        let Some((e, choices)) = cs_core::explain_assignment(&events, index) else {
            bail!("{file}: the assignment of {name} at {} cannot be explained (the ticket was not waiting just before it)", events[index].at());
        };
        let before = cs_core::replay(&events[..index]);
        let agent = match &events[index] {
            Event::TicketAssigned { agent, .. } | Event::TicketOffered { agent, .. } => agent_name(&before, *agent),
            _ => unreachable!("found above"),
        };
        json!({
            "ticket": name,
            "status": status,
            "as_of": at.to_string(),
            "kind": if matches!(events[index], Event::TicketOffered { .. }) { "offer" } else { "assignment" },
            "assigned_at": events[index].at().to_string(),
            "agent": agent,
            "explanation": named(&before, &e),
            "agent_could_take": named_choices(&before, &choices),
        })
    };
    if a.json {
        return super::print_json(&out);
    }
    super::print(&text(&out))
}

fn text(v: &Value) -> String {
    let e = &v["explanation"];
    let s = |x: &Value| x.as_str().map_or_else(|| x.to_string(), str::to_owned);
    let mut out = match s(&v["kind"]).as_str() {
        "waiting" => format!("{} waits in {} (step {}) as of {}", s(&v["ticket"]), s(&e["queue"]), e["step"], s(&v["as_of"])),
        kind => format!(
            "{} was {} to {} at {} from {} (step {}); now {}",
            s(&v["ticket"]),
            if kind == "offer" { "offered" } else { "assigned" },
            s(&v["agent"]),
            s(&v["assigned_at"]),
            s(&e["queue"]),
            e["step"],
            s(&v["status"])
        ),
    };
    let p = &e["priority"];
    out += &format!(
        "\nstrategy {}; priority {:.1} points (tier {}, urgency {}, emotion {}, channel {}, waiting {:.1})\n",
        s(&e["strategy"]),
        p["total"].as_f64().unwrap_or_default(),
        p["tier"],
        p["urgency"],
        p["emotion"],
        p["channel"],
        p["aging"].as_f64().unwrap_or_default()
    );
    match &e["chosen"] {
        Value::Null => out += "no agent can take it\n",
        c => out += &format!("routing gives it to {} (decided by: {})\n", s(c), s(&e["tie_break"])),
    }
    let mut t = Table::new(&["candidate", "rank", "proficiency", "overflow"]).left(0);
    for c in e["candidates"].as_array().into_iter().flatten() {
        t.row(vec![s(&c["agent"]), c["rank"]["primary"].to_string(), c["proficiency_sum"].to_string(), c["overflow"].to_string()]);
    }
    if !t.is_empty() {
        out += "\n";
        out += &t.render();
    }
    let mut x = Table::new(&["excluded", "why"]).left(0).left(1);
    for c in e["excluded"].as_array().into_iter().flatten() {
        let why = &c["why"];
        let mut detail = s(&why["reason"]);
        if let Some(o) = why.as_object() {
            for (k, val) in o.iter().filter(|(k, _)| *k != "reason") {
                detail += &format!(" {k}={}", s(val));
            }
        }
        x.row(vec![s(&c["agent"]), detail]);
    }
    if !x.is_empty() {
        out += "\n";
        out += &x.render();
    }
    if let Some(list) = v["agent_could_take"].as_array().filter(|l| !l.is_empty()) {
        out += &format!("\nwhat {} could take then, best first: ", s(&v["agent"]));
        out += &list.iter().map(|c| s(&c["ticket"])).collect::<Vec<_>>().join(", ");
        out += "\n";
    }
    out
}
