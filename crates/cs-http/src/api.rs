//! The API's vocabulary: request bodies (with the help desk's string ids), their
//! translation into the core's commands, and the JSON views of state. Nothing here decides:
//! the core does; this module names things.

use crate::error::ApiError;
use cs_core::agent::SupportTier;
use cs_core::channel::{CHANNELS_N, Channel};
use cs_core::{
    AgentId, Capacity, Command, Config, CustomerId, CustomerTier, Emotion, Event, LanguageSet, Presence, SkillNeed,
    SkillNeeds, State, Ticket, TicketId, TicketSpec, TicketStatus, Timestamp, Urgency,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// `POST /v1/agents`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// The help desk's id for the agent (a login): unique per tenant.
    pub id: String,
    /// The team's name, as configured.
    pub team: String,
    /// Skills with proficiency 1..=5, by name.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, u8>)]
    pub skills: BTreeMap<String, u8>,
    /// Concurrent tickets per channel (`chat`, `email`, `phone`, `social`, `other`); a
    /// channel left out is never routed to the agent.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, u8>)]
    pub capacity: BTreeMap<String, u8>,
    /// An optional unit budget: tickets also cost the config's per-channel units.
    #[serde(default)]
    pub units: Option<u16>,
    /// Languages spoken, by name.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Support tier (`L1`, `L2`, `L3`); default: the team's.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tier: Option<SupportTier>,
}

/// `POST /v1/agents/{id}/presence`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceBody {
    /// `available` (logs in), `away`, `busy`, `wrap_up` or `offline` (logs out: the
    /// agent's tickets go back to waiting, keeping their age).
    pub status: String,
}

/// `POST /v1/tickets`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// The help desk's id for the ticket: unique per tenant while the ticket is kept.
    pub id: String,
    /// The customer's id (sticky routing, repeat contacts and `GET /v1/customers/{id}/position`).
    pub customer: String,
    /// `chat`, `email`, `phone`, `social` or `other`.
    #[schema(value_type = String)]
    pub channel: Channel,
    /// Skills needed: a list of names (any proficiency) or a map of name to minimum level.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub skills: Option<Value>,
    /// The queue by name; default: the first queue that takes the channel and category.
    #[serde(default)]
    pub queue: Option<String>,
    /// `standard` (default), `silver`, `gold` or `vip`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tier: Option<CustomerTier>,
    /// `low`, `normal` (default), `high` or `critical`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub urgency: Option<Urgency>,
    /// `calm`, `neutral` (default), `frustrated` or `angry`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub emotion: Option<Emotion>,
    /// A category by name.
    #[serde(default)]
    pub category: Option<String>,
    /// The language needed, by name.
    #[serde(default)]
    pub language: Option<String>,
    /// The conversation starts with a bot (default false).
    #[serde(default)]
    pub bot: bool,
    /// Seconds the ticket may wait before it expires.
    #[serde(default)]
    pub ttl_s: Option<u32>,
}

/// `PATCH /v1/tickets/{id}`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    /// New tier.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tier: Option<CustomerTier>,
    /// New urgency.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub urgency: Option<Urgency>,
    /// New emotion.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub emotion: Option<Emotion>,
}

/// `POST /v1/tickets/{id}/actions`: `{"type": ..., ...}`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// The assigned agent replied to the customer.
    Reply,
    /// The customer wrote again.
    CustomerMessage,
    /// The agent waits on the customer.
    Pending,
    /// The ticket is resolved.
    Resolve,
    /// A resolved ticket is reopened.
    Reopen,
    /// Escalate: to a tier (its index in the config's tiers), or the next one.
    Escalate {
        /// Target tier.
        #[serde(default)]
        tier: Option<u16>,
        /// Why.
        #[serde(default)]
        note: Option<String>,
    },
    /// Move to another queue.
    Transfer {
        /// The queue's name.
        queue: String,
    },
    /// The customer left while waiting.
    Abandon,
    /// The agent offered the ticket accepts it.
    Accept,
    /// The agent offered the ticket declines it.
    Decline,
    /// A supervisor assigns the waiting ticket.
    Assign {
        /// The agent's id.
        agent: String,
        /// Exceed channel capacity on purpose.
        #[serde(default)]
        force: bool,
    },
    /// The bot resolved the conversation.
    BotResolve,
    /// The bot hands the conversation to a human.
    BotHandoff {
        /// Why the bot could not finish.
        reason: String,
        /// Where the transcript is kept.
        #[serde(default)]
        transcript: Option<String>,
    },
}

/// The customer id the core uses for a help desk's customer string: the first 8 bytes of
/// its SHA-256, so the mapping needs no table and is the same on every node and restart.
pub fn customer_id(customer: &str) -> CustomerId {
    let d = crate::config::token_digest(customer);
    CustomerId(u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]))
}

/// The agent with the help desk's id, or 404.
pub fn agent_id(state: &State, key: &str) -> Result<AgentId, ApiError> {
    state.agent_by_key(key).map(|a| a.id).ok_or_else(|| ApiError::not_found("agent", key))
}

/// The ticket with the help desk's id, or 404.
pub fn ticket_id(state: &State, key: &str) -> Result<TicketId, ApiError> {
    state.ticket_by_key(key).map(|t| t.id).ok_or_else(|| ApiError::not_found("ticket", key))
}

fn bad(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("bad_field", format!("{field}: {message}"))
}

fn configured(state: &State) -> Result<&Config, ApiError> {
    state
        .config_opt()
        .map(|c| &**c)
        .ok_or_else(|| ApiError::unavailable("not_configured", "the tenant has no engine config yet"))
}

/// The command registering an agent.
pub fn register_agent(state: &State, at: Timestamp, a: NewAgent) -> Result<Command, ApiError> {
    let cfg = configured(state)?;
    check_id("id", &a.id)?;
    let team = cfg.team(&a.team).ok_or_else(|| {
        bad("team", format!("no team {:?} (teams: {})", a.team, names(cfg.teams().iter().map(|t| &t.name))))
    })?;
    let mut skills = Vec::with_capacity(a.skills.len());
    for (name, level) in &a.skills {
        let s = cfg.skill(name).ok_or_else(|| {
            bad(&format!("skills.{name}"), format!("no skill {name:?} (skills: {})", names(cfg.skill_names())))
        })?;
        if !(1..=5).contains(level) {
            return Err(bad(&format!("skills.{name}"), format!("proficiency {level} is not 1..=5")));
        }
        skills.push((s, *level));
    }
    let mut capacity = Capacity { units: a.units, ..Capacity::default() };
    for (name, n) in &a.capacity {
        let ch = Channel::parse(name)
            .ok_or_else(|| bad(&format!("capacity.{name}"), "not a channel (chat, email, phone, social, other)"))?;
        capacity.per_channel.set(ch, *n);
    }
    let mut languages = LanguageSet::default();
    for name in &a.languages {
        let l = cfg.language(name).ok_or_else(|| {
            bad("languages", format!("no language {name:?} (languages: {})", names(cfg.language_names())))
        })?;
        languages.insert(l);
    }
    Ok(Command::RegisterAgent { at, key: a.id, team, tier: a.tier, skills, languages, capacity })
}

/// The command changing an agent's presence.
pub fn presence(state: &State, at: Timestamp, key: &str, body: PresenceBody) -> Result<Command, ApiError> {
    let id = agent_id(state, key)?;
    let current = state.agent(id).map_or(Presence::Offline, |a| a.presence);
    let p = match body.status.as_str() {
        "available" => Presence::Available,
        "busy" => Presence::Busy,
        "wrap_up" => Presence::WrapUp,
        "away" => Presence::Away,
        "offline" => Presence::Offline,
        other => {
            return Err(bad("status", format!("{other:?} is not available, busy, wrap_up, away or offline")));
        }
    };
    Ok(match (current, p) {
        (Presence::Offline, Presence::Available) => Command::Login { at, agent: id },
        (_, Presence::Offline) => Command::Logout { at, agent: id },
        (_, p) => Command::SetPresence { at, agent: id, presence: p },
    })
}

/// The command creating a ticket.
pub fn create_ticket(state: &State, at: Timestamp, t: NewTicket) -> Result<Command, ApiError> {
    let cfg = configured(state)?;
    check_id("id", &t.id)?;
    check_id("customer", &t.customer)?;
    let mut spec = TicketSpec::new(customer_id(&t.customer), t.channel);
    spec.key = Some(t.id);
    spec.customer_key = Some(t.customer);
    if let Some(q) = &t.queue {
        spec.queue = Some(cfg.queue_id(q).ok_or_else(|| {
            bad("queue", format!("no queue {q:?} (queues: {})", names(cfg.queues().iter().map(|q| &q.name))))
        })?);
    }
    if let Some(c) = &t.category {
        spec.category = Some(cfg.category(c).ok_or_else(|| {
            bad("category", format!("no category {c:?} (categories: {})", names(cfg.category_names())))
        })?);
    }
    if let Some(l) = &t.language {
        spec.language = Some(cfg.language(l).ok_or_else(|| {
            bad("language", format!("no language {l:?} (languages: {})", names(cfg.language_names())))
        })?);
    }
    spec.skills = skill_needs(cfg, t.skills.as_ref())?;
    spec.tier = t.tier.unwrap_or_default();
    spec.urgency = t.urgency.unwrap_or_default();
    spec.emotion = t.emotion.unwrap_or_default();
    spec.bot = t.bot;
    spec.ttl_s = t.ttl_s;
    Ok(Command::CreateTicket { at, spec })
}

/// A ticket's skills from `["billing"]` (any proficiency) or `{"billing": 3}`.
fn skill_needs(cfg: &Config, v: Option<&Value>) -> Result<SkillNeeds, ApiError> {
    let mut needs = Vec::new();
    let skill = |name: &str| {
        cfg.skill(name).ok_or_else(|| {
            bad(&format!("skills.{name}"), format!("no skill {name:?} (skills: {})", names(cfg.skill_names())))
        })
    };
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                let Some(name) = item.as_str() else {
                    return Err(bad(&format!("skills[{i}]"), format!("{item} is not a skill name")));
                };
                needs.push(SkillNeed { skill: skill(name)?, min: 1 });
            }
        }
        Some(Value::Object(map)) => {
            for (name, level) in map {
                let min = level
                    .as_u64()
                    .filter(|l| (1..=5).contains(l))
                    .ok_or_else(|| bad(&format!("skills.{name}"), format!("minimum level {level} is not 1..=5")))?;
                needs.push(SkillNeed { skill: skill(name)?, min: min as u8 });
            }
        }
        Some(other) => {
            return Err(bad(
                "skills",
                format!("{other} is neither a list of names nor a map of name to minimum level"),
            ));
        }
    }
    SkillNeeds::new(needs).map_err(|e| bad("skills", e))
}

/// The command an action on a ticket stands for.
pub fn action(state: &State, at: Timestamp, key: &str, a: Action) -> Result<Command, ApiError> {
    let ticket = ticket_id(state, key)?;
    Ok(match a {
        Action::Reply => Command::AgentReply { at, ticket },
        Action::CustomerMessage => Command::CustomerMessage { at, ticket },
        Action::Pending => Command::SetPending { at, ticket },
        Action::Resolve => Command::Resolve { at, ticket },
        Action::Reopen => Command::Reopen { at, ticket },
        Action::Escalate { tier, note } => Command::Escalate { at, ticket, tier, note },
        Action::Transfer { queue } => {
            let cfg = configured(state)?;
            let q = cfg.queue_id(&queue).ok_or_else(|| bad("queue", format!("no queue {queue:?}")))?;
            Command::Transfer { at, ticket, queue: q }
        }
        Action::Abandon => Command::Abandon { at, ticket },
        Action::Accept => Command::AcceptOffer { at, ticket },
        Action::Decline => Command::DeclineOffer { at, ticket },
        Action::Assign { agent, force } => Command::AssignTicket { at, ticket, agent: agent_id(state, &agent)?, force },
        Action::BotResolve => Command::BotResolve { at, ticket },
        Action::BotHandoff { reason, transcript } => Command::BotHandoff { at, ticket, reason, transcript },
    })
}

/// The command changing a ticket's tier, urgency or emotion.
pub fn patch(state: &State, at: Timestamp, key: &str, p: TicketPatch) -> Result<Command, ApiError> {
    let ticket = ticket_id(state, key)?;
    if p.tier.is_none() && p.urgency.is_none() && p.emotion.is_none() {
        return Err(bad("body", "give at least one of tier, urgency, emotion"));
    }
    Ok(Command::UpdateTicket { at, ticket, tier: p.tier, urgency: p.urgency, emotion: p.emotion })
}

/// Ids are the help desk's: 1 to 256 bytes, no control characters.
fn check_id(field: &str, id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 256 {
        return Err(bad(field, "must be 1 to 256 bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err(bad(field, "must not hold control characters"));
    }
    Ok(())
}

fn names<'a>(it: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<&str> = it.into_iter().map(String::as_str).collect();
    if v.is_empty() { "none".to_owned() } else { v.join(", ") }
}

/// A refused command as the API answers it: the engine's words with its ticket and agent
/// numbers (`T12`, `A3`) replaced by the help desk's ids.
pub fn rejection(state: &State, r: &cs_core::Rejection) -> ApiError {
    let mut e = ApiError::from(r.clone());
    e.message = with_keys(state, &e.message);
    e
}

/// Replaces each word `T<number>` or `A<number>` naming a ticket or agent the state holds
/// by that ticket's or agent's id, quoted.
fn with_keys(state: &State, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let c = bytes[i];
        if boundary && (c == b'T' || c == b'A') {
            let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            let end = i + 1 + digits;
            let whole = end == text.len() || !bytes[end].is_ascii_alphanumeric();
            if digits > 0
                && whole
                && let Ok(n) = text[i + 1..end].parse::<u64>()
            {
                let key = if c == b'T' {
                    state.ticket(TicketId(n)).and_then(|t| t.key.as_deref().map(str::to_owned))
                } else {
                    u32::try_from(n).ok().and_then(|n| state.agent(AgentId(n))).map(|a| a.key.to_string())
                };
                if let Some(k) = key {
                    out += &format!("{k:?}");
                    i = end;
                    continue;
                }
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

// ---------------------------------------------------------------------------------------
// Views.
// ---------------------------------------------------------------------------------------

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn status_name(s: TicketStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| format!("{s:?}"))
}

/// An agent's key (`A<id>` for an agent the state does not know).
fn agent_key(state: &State, a: AgentId) -> Value {
    Value::String(state.agent(a).map_or_else(|| format!("A{}", a.0), |a| a.key.to_string()))
}

/// A ticket's id (`T<id>` for a ticket without one).
fn ticket_key(state: &State, t: TicketId) -> Value {
    state
        .ticket(t)
        .and_then(|t| t.key.as_deref())
        .map_or_else(|| Value::String(format!("T{}", t.0)), |k| Value::String(k.to_owned()))
}

/// A ticket as `GET /v1/tickets/{id}` shows it.
pub fn ticket_view(state: &State, t: &Ticket, now: Timestamp, detail: bool) -> Value {
    let cfg = state.config();
    let waiting = t.status == TicketStatus::Queued;
    let mut v = json!({
        "id": t.key.as_deref(),
        "customer": t.customer_key.as_deref(),
        "state": status_name(t.status),
        "channel": t.channel.name(),
        "queue": cfg.queue(t.queue).name,
        "agent": t.agent.map(|a| agent_key(state, a)),
        "tier": t.tier,
        "urgency": t.urgency,
        "emotion": t.emotion,
        "created_at": t.created_at.to_string(),
        "position": if waiting { state.queue_position(t.id) } else { None },
        "estimated_wait_s": if waiting { state.estimated_wait_ms(t.id).map(seconds) } else { None },
        "wait_s": if waiting { Some(seconds(now.since(t.queued_since).max(0))) } else { None },
        "escalations": t.escalations,
        "reopens": t.reopen_count,
    });
    if detail {
        let clocks: Vec<Value> = state
            .sla_view(t.id, now)
            .into_iter()
            .map(|c| {
                json!({
                    "clock": c.kind,
                    "policy": c.policy,
                    "state": c.state,
                    "started_at": c.started_at.to_string(),
                    "deadline": c.deadline.map(|d| d.to_string()),
                    "remaining_s": seconds(c.remaining_ms),
                    "warned": c.warned,
                    "breached": c.breached,
                })
            })
            .collect();
        v["sla"] = Value::Array(clocks);
        v["escalation_history"] = Value::Array(
            t.escalation_history
                .iter()
                .map(|e| {
                    json!({
                        "at": e.at.to_string(),
                        "tier": cfg.escalation.tiers.get(usize::from(e.tier)).map(|t| t.name.clone()),
                        "queue": cfg.queues().get(e.queue.index()).map(|q| q.name.clone()),
                        "trigger": e.trigger,
                    })
                })
                .collect(),
        );
        v["explanation"] = if waiting {
            cs_core::explain(state, t.id, now).map_or(Value::Null, |e| explanation_view(state, &e))
        } else {
            Value::Null
        };
    }
    v
}

/// The core's explanation with the help desk's ids (`T<id>` for a ticket without one) and
/// the config's names; `cs explain` prints the same.
pub fn explanation_view(state: &State, e: &cs_core::Explanation) -> Value {
    let cfg = state.config();
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    v["ticket"] = ticket_key(state, e.ticket);
    v["at"] = Value::String(e.at.to_string());
    v["queue"] = Value::String(cfg.queue(e.queue).name.clone());
    v["chosen"] = e.chosen.map_or(Value::Null, |a| agent_key(state, a));
    if let Some(cands) = v["candidates"].as_array_mut() {
        for (c, orig) in cands.iter_mut().zip(&e.candidates) {
            c["agent"] = agent_key(state, orig.agent);
        }
    }
    v["excluded"] = Value::Array(
        e.excluded
            .iter()
            .map(|(a, why)| {
                let mut w = serde_json::to_value(why).unwrap_or(Value::Null);
                if let Some(skill) = w.get("skill").and_then(Value::as_u64) {
                    w["skill"] = Value::String(cfg.skill_name(cs_core::SkillId(skill as u16)));
                }
                if let Some(l) = w.get("language").and_then(Value::as_u64) {
                    w["language"] = json!(cfg.language_names().get(l as usize));
                }
                if let Some(o) = w.get("agent").and_then(Value::as_u64) {
                    w["agent"] = agent_key(state, AgentId(o as u32));
                }
                json!({ "agent": agent_key(state, *a), "why": w })
            })
            .collect(),
    );
    v
}

/// An agent as `GET /v1/agents/{id}` shows it.
pub fn agent_view(state: &State, a: &cs_core::Agent) -> Value {
    let cfg = state.config();
    let mut load = serde_json::Map::new();
    let mut capacity = serde_json::Map::new();
    for ch in Channel::ALL {
        let cap = a.capacity.per_channel.get(ch);
        if cap > 0 || a.load.per_channel.get(ch) > 0 {
            capacity.insert(ch.name().to_owned(), json!(cap));
            load.insert(ch.name().to_owned(), json!(a.load.per_channel.get(ch)));
        }
    }
    debug_assert!(Channel::ALL.len() == CHANNELS_N);
    json!({
        "id": &*a.key,
        "team": cfg.teams().get(a.team.index()).map(|t| t.name.clone()),
        "tier": a.tier,
        "presence": a.presence.name(),
        "skills": a.skills.iter().map(|(s, p)| (cfg.skill_name(*s), *p)).collect::<BTreeMap<_, _>>(),
        "capacity": capacity,
        "units": a.capacity.units,
        "load": load,
        "tickets": a.held.iter().map(|t| ticket_key(state, *t)).collect::<Vec<_>>(),
        "idle_since": a.idle_since.to_string(),
    })
}

/// An event as the stream shows it: its type, time and sequence number, with the help
/// desk's ids for tickets and agents and the config's names for queues and teams. The
/// configuration event is shown without its (large) body.
pub fn event_view(state: &State, seq: u64, e: &Event) -> Value {
    let mut v = match e {
        Event::Configured { .. } => json!({ "type": "Configured" }),
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    };
    v["seq"] = json!(seq);
    v["at"] = Value::String(e.at().to_string());
    // Every other instant in an event, as RFC 3339 like `at`.
    for field in ["deadline", "expires_at", "until", "due"] {
        if let Some(ms) = v.get(field).and_then(Value::as_i64) {
            v[field] = Value::String(Timestamp(ms).to_string());
        }
    }
    if let Some(cfg) = state.config_opt() {
        if let Some(t) = v.get("ticket").and_then(Value::as_u64) {
            v["ticket"] = ticket_key(state, TicketId(t));
        }
        if let Some(a) = v.get("agent").and_then(Value::as_u64) {
            v["agent"] = agent_key(state, AgentId(a as u32));
        }
        if let Some(q) = v.get("queue").and_then(Value::as_u64) {
            v["queue"] = json!(cfg.queues().get(q as usize).map(|q| q.name.clone()));
        }
        if let Some(t) = v.get("team").and_then(Value::as_u64) {
            v["team"] = json!(cfg.teams().get(t as usize).map(|t| t.name.clone()));
        }
        if let Some(p) = v.get("policy").and_then(Value::as_u64) {
            v["policy"] = json!(cfg.sla.policies.get(p as usize).map(|p| p.name.clone()));
        }
        if let Event::TicketCreated { spec, .. } = e {
            v["spec"] = json!({
                "customer": spec.customer_key,
                "channel": spec.channel.name(),
                "queue": spec.queue.and_then(|q| cfg.queues().get(q.index()).map(|q| q.name.clone())),
                "tier": spec.tier,
                "urgency": spec.urgency,
                "emotion": spec.emotion,
                "bot": spec.bot,
            });
        }
        if let Event::AgentRegistered { skills, .. } | Event::AgentSkillsChanged { skills, .. } = e {
            v["skills"] = json!(skills.iter().map(|(s, p)| (cfg.skill_name(*s), *p)).collect::<BTreeMap<_, _>>());
        }
        if let Event::AgentRegistered { capacity, .. } | Event::AgentCapacityChanged { capacity, .. } = e {
            let per: BTreeMap<&str, u8> = Channel::ALL
                .iter()
                .filter(|&&c| capacity.per_channel.get(c) > 0)
                .map(|&c| (c.name(), capacity.per_channel.get(c)))
                .collect();
            v["capacity"] = json!(per);
            if let Some(u) = capacity.units {
                v["units"] = json!(u);
            }
        }
        if let Event::AgentRegistered { languages, .. } = e {
            let names: Vec<&String> = cfg
                .language_names()
                .iter()
                .enumerate()
                .filter(|(i, _)| languages.contains(cs_core::LanguageId(*i as u8)))
                .map(|(_, n)| n)
                .collect();
            v["languages"] = json!(names);
        }
    }
    v
}
