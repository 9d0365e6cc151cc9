//! Checking events from outside before they are folded: [`check`] and [`try_replay`].
//!
//! [`apply`](crate::apply()) trusts its events (`decide` checked each one before it was
//! produced) and asserts instead of checking. A log read back from a file is another
//! matter: it may have been edited, spliced from two runs or cut and pasted. [`check`]
//! says whether one event fits the state it is about to be folded into, naming what does
//! not fit, so that a log is refused with a reason instead of a crash.
//!
//! [`try_replay`] goes further and takes a log only if it is a history the engine could
//! have written: it derives from each event that starts a decision the command that made
//! it (a `TicketCreated` is a `CreateTicket`, an `AgentReplied` an `AgentReply`, ...),
//! has the engine decide that command, with every timer due before it fired first, and
//! requires the log to hold exactly the engine's events, in its order. So every event of
//! every type is checked against the state before it: a log with its `WrapUpEnded` events
//! deleted (agents in wrap-up taking tickets), an assignment no routing would make, a
//! timer's event at another time or a duplicated event is refused at the first event that
//! departs from what the engine would have written, saying what that was.

use crate::apply::{apply_projected, end_replay, fold_one, replay_projected};
use crate::command::Command;
use crate::config::Config;
use crate::config::IncompatibleChange;
use crate::engine::Engine;
use crate::event::{Assignment, Event, PresenceReason, RequeueReason, TransferReason, UnpinReason};
use crate::id::{AgentId, CategoryId, LanguageId, QueueId, SkillId, TeamId, TicketId};
use crate::projection::Projection;
use crate::skill::PROFICIENCY_MAX;
use crate::state::State;
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;

/// An event of a log that does not fit the state the events before it built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// Its position in the log, from 0.
    pub index: usize,
    /// Its time.
    pub at: Timestamp,
    /// Its type (`TicketAssigned`).
    pub event: &'static str,
    /// What does not fit.
    pub reason: String,
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event {} ({} at {}): {}", self.index + 1, self.event, self.at, self.reason)
    }
}

impl std::error::Error for ReplayError {}

/// The state a log leads to, if the engine could have written it: every event is checked
/// with [`check`], and then against what the engine decides for the commands the log's
/// events imply (see the module documentation); the first event that departs is the error.
/// The state is the engine's own, equal to [`replay`](crate::replay())'s.
///
/// A log that stops inside a decision (its last events a prefix of what the engine wrote)
/// is folded as far as it goes.
///
/// # Errors
/// [`ReplayError`] at the first event that does not fit, that the engine would not have
/// written there, or that no command or timer explains.
pub fn try_replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<State, ReplayError> {
    try_replay_projected::<()>(events).map(|(state, ())| state)
}

/// [`try_replay`], folding a projection `P` (the metrics, say) beside the state from its
/// empty value: the state and the projection as of the log's last event.
///
/// # Errors
/// As [`try_replay`].
pub fn try_replay_projected<'a, P: Projection + Default>(
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<(State, P), ReplayError> {
    try_replay_report(events).map(|r| (r.state, r.projection))
}

/// A log [`try_replay_report`] took: the state and projection it leads to, and whether it
/// stops inside a decision.
#[derive(Clone, Debug)]
pub struct Replayed<P> {
    /// The state as of the log's last event.
    pub state: State,
    /// The projection folded beside it.
    pub projection: P,
    /// Where the log stops inside a decision (cut short by a crash, or by hand), the
    /// position of that decision's first event: the engine would have written more events
    /// at that time (an assignment after a `TicketCreated`, say), so the state may hold
    /// what no complete decision leaves, such as an available agent beside a waiting ticket
    /// it could serve. `None` when every decision in the log is whole.
    pub cut: Option<usize>,
}

/// [`try_replay_projected`], also telling whether the log stops inside a decision
/// ([`Replayed::cut`]).
///
/// # Errors
/// As [`try_replay`].
pub fn try_replay_report<'a, P: Projection + Default>(
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<Replayed<P>, ReplayError> {
    let log: Vec<&Event> = events.into_iter().collect();
    let mut engine = Engine::with_projection(P::default());
    // The engine's events not yet matched against the log: `engine.events()[matched..]`.
    let mut matched = 0;
    // The position of the first event of the decision being matched.
    let mut decision = 0;
    for (index, &e) in log.iter().enumerate() {
        let refuse = |reason: String| ReplayError { index, at: e.at(), event: e.name(), reason };
        if matched == engine.events().len() {
            engine.clear_events();
            matched = 0;
            decision = index;
            check(engine.state(), e).map_err(|why| refuse(why.to_string()))?;
            // Timers due by the event's time fire first, as they would have.
            engine.advance_to(e.at());
            if engine.events().is_empty() {
                let cmd = match command_for(engine.state(), &log, index) {
                    Ok(cmd) => cmd,
                    Err(Unexplained::Cut) => {
                        let (state, projection) = fold_cut(&log, index, P::default())?;
                        return Ok(Replayed { state, projection, cut: Some(index) });
                    }
                    Err(Unexplained::Why(why)) => return Err(refuse(why)),
                };
                engine.execute(&cmd).map_err(|r| refuse(format!("the engine refuses it: {r}")))?;
                if engine.events().is_empty() {
                    return Err(refuse("it changes nothing: the engine writes no event for it here".to_owned()));
                }
            }
        }
        let want = &engine.events()[matched];
        if want != e {
            return Err(refuse(if want.name() == e.name() && want.at() == e.at() {
                format!("the engine would have written it as {want:?}")
            } else {
                // Another kind of event: say first what does not fit, if something plainly
                // does not (a ticket created twice, say).
                let instead = format!("the engine would have written {} here", describe(want));
                match check(engine.state(), e) {
                    Err(why) => format!("{why} ({instead})"),
                    Ok(()) => instead,
                }
            }));
        }
        matched += 1;
    }
    if matched < engine.events().len() {
        // The log stops inside a decision (cut short by a crash, or by hand): every event
        // it holds is one the engine wrote, so it folds as far as it goes.
        let mut projection = P::default();
        let state = replay_projected(log, &mut projection);
        return Ok(Replayed { state, projection, cut: Some(decision) });
    }
    let (state, projection) = engine.into_parts();
    Ok(Replayed { state, projection, cut: None })
}

/// A log whose events from `cut` on are the start of a decision the log stops inside (a
/// logout's re-queues, a reply's `SlaMet`, without the event they lead to): everything
/// before is what the engine wrote, and the rest is folded as far as each event fits.
fn fold_cut<P: Projection>(log: &[&Event], cut: usize, mut projection: P) -> Result<(State, P), ReplayError> {
    let mut state = replay_projected(log[..cut].iter().copied(), &mut projection);
    for (index, &e) in log.iter().enumerate().skip(cut) {
        check(&state, e).map_err(|why| ReplayError { index, at: e.at(), event: e.name(), reason: why.to_string() })?;
        apply_projected(&mut state, e, &mut projection);
    }
    Ok((state, projection))
}

/// A replay fed one event at a time, each event checked against the state before it
/// ([`check`]: ids that exist, statuses that fit, time not going back) before it is folded:
/// for a log read in pages from a store, or continued from a state restored from a
/// snapshot. Lighter than [`try_replay`], which also decides every command again: a store
/// written by an earlier version of the engine, whose routing may have decided ties
/// differently, must still open.
///
/// Like [`replay`](crate::replay()), it folds the tables only and builds the derived
/// indexes once, in [`Replayer::finish`].
#[derive(Debug)]
pub struct Replayer {
    state: State,
    pushed: usize,
}

impl Default for Replayer {
    fn default() -> Replayer {
        Replayer::new()
    }
}

impl Replayer {
    /// A replay from the empty state.
    pub fn new() -> Replayer {
        Replayer::from_state(State::new())
    }

    /// A replay continuing from `state` (for example one read back from a snapshot).
    pub fn from_state(state: State) -> Replayer {
        Replayer { state, pushed: 0 }
    }

    /// Checks the next event against the state and folds it.
    ///
    /// # Errors
    /// The event does not fit; [`ReplayError::index`] counts from the first event pushed.
    /// Nothing is folded, and the replayer may still be finished with the events before.
    pub fn push(&mut self, e: &Event) -> Result<(), ReplayError> {
        self.push_with(e, &mut ())
    }

    /// [`Replayer::push`], folding `projection` beside the state (the metrics a restored
    /// service keeps serving, say). The projection reads the tables only, which a replay
    /// keeps up to date event by event.
    ///
    /// # Errors
    /// As [`Replayer::push`]; the projection then sees nothing either.
    pub fn push_projected(&mut self, e: &Event, projection: &mut dyn Projection) -> Result<(), ReplayError> {
        self.push_with(e, projection)
    }

    fn push_with<P: Projection + ?Sized>(&mut self, e: &Event, projection: &mut P) -> Result<(), ReplayError> {
        if let Err(why) = check(&self.state, e) {
            return Err(ReplayError { index: self.pushed, at: e.at(), event: e.name(), reason: why.to_string() });
        }
        fold_one(&mut self.state, e, projection, false);
        self.pushed += 1;
        Ok(())
    }

    /// Events folded so far.
    pub fn pushed(&self) -> usize {
        self.pushed
    }

    /// The state as of the last event folded, with its derived indexes built.
    pub fn finish(mut self) -> State {
        end_replay(&mut self.state);
        self.state
    }
}

/// Why no command explains an event.
enum Unexplained {
    /// None does.
    Why(String),
    /// The command's main event would follow, but the log ends first.
    Cut,
}

impl From<String> for Unexplained {
    fn from(why: String) -> Unexplained {
        Unexplained::Why(why)
    }
}

impl From<&str> for Unexplained {
    fn from(why: &str) -> Unexplained {
        Unexplained::Why(why.to_owned())
    }
}

/// `TicketAssigned (ticket T3, agent A1) at 2026-...`, for messages.
fn describe(e: &Event) -> String {
    let mut who = Vec::new();
    if let Some(t) = e.ticket() {
        who.push(format!("ticket {t}"));
    }
    if let Event::TicketAssigned { agent, .. }
    | Event::TicketOffered { agent, .. }
    | Event::WrapUpEnded { agent, .. }
    | Event::AgentPresenceChanged { agent, .. } = e
    {
        who.push(format!("agent {agent}"));
    }
    let who = if who.is_empty() { String::new() } else { format!(" ({})", who.join(", ")) };
    format!("{}{who} at {}", e.name(), e.at())
}

/// The command whose decision starts with `log[index]`, which no timer explains: the
/// event's own command, or for the events a decision writes before its main one (the
/// `WrapUpEnded` and re-queues of a logout, the `SlaMet` of a reply or a resolution) the
/// command of the main event, looked for among the next events at the same time.
fn command_for(state: &State, log: &[&Event], index: usize) -> Result<Command, Unexplained> {
    let e = log[index];
    let at = e.at();
    let same_time = || log[index..].iter().take_while(|x| x.at() == at);
    // Looked for and not found: the log may stop before the event it looked for.
    let missing = |why: String| {
        if same_time().count() == log.len() - index { Unexplained::Cut } else { Unexplained::Why(why) }
    };
    let logout_of = |agent: crate::id::AgentId| {
        let logs_out = same_time().any(|x| {
            matches!(x, Event::AgentPresenceChanged { agent: a, presence: crate::agent::Presence::Offline, reason: PresenceReason::Requested, .. } if *a == agent)
        });
        if logs_out {
            Ok(Command::Logout { at, agent })
        } else {
            Err(missing(format!("no timer is due and agent {agent} does not log out here: nothing explains it")))
        }
    };
    Ok(match e {
        Event::Configured { config, .. } => Command::Configure { at, config: Box::new(config.spec().clone()) },
        Event::AgentRegistered { key, team, tier, skills, languages, capacity, .. } => Command::RegisterAgent {
            at,
            key: key.clone(),
            team: *team,
            tier: Some(*tier),
            skills: skills.clone(),
            languages: *languages,
            capacity: *capacity,
        },
        Event::AgentPresenceChanged { agent, presence, reason: PresenceReason::Requested, .. } => {
            use crate::agent::Presence;
            match presence {
                Presence::Offline => Command::Logout { at, agent: *agent },
                Presence::Available if state.agent(*agent).is_some_and(|a| a.presence == Presence::Offline) => {
                    Command::Login { at, agent: *agent }
                }
                p => Command::SetPresence { at, agent: *agent, presence: *p },
            }
        }
        Event::AgentSkillsChanged { agent, skills, .. } => {
            Command::SetAgentSkills { at, agent: *agent, skills: skills.clone() }
        }
        Event::AgentCapacityChanged { agent, capacity, .. } => {
            Command::SetAgentCapacity { at, agent: *agent, capacity: *capacity }
        }
        Event::TicketCreated { spec, .. } => Command::CreateTicket { at, spec: spec.clone() },
        Event::TicketUpdated { ticket, tier, urgency, emotion, .. } => Command::UpdateTicket {
            at,
            ticket: *ticket,
            tier: Some(*tier),
            urgency: Some(*urgency),
            emotion: Some(*emotion),
        },
        // A supervisor's assignment; `force` lets it take a busy or away agent, and is
        // recorded as forced only where capacity was exceeded.
        Event::TicketAssigned { ticket, agent, how: Assignment::Manual { .. }, .. } => {
            Command::AssignTicket { at, ticket: *ticket, agent: *agent, force: true }
        }
        Event::AgentReplied { ticket, .. } => Command::AgentReply { at, ticket: *ticket },
        Event::CustomerReplied { ticket, .. } => Command::CustomerMessage { at, ticket: *ticket },
        Event::TicketPending { ticket, .. } => Command::SetPending { at, ticket: *ticket },
        Event::TicketTransferred { ticket, queue, reason: TransferReason::Requested, .. } => {
            Command::Transfer { at, ticket: *ticket, queue: *queue }
        }
        Event::TicketRequeued { ticket, reason: RequeueReason::OfferDeclined, .. } => {
            Command::DeclineOffer { at, ticket: *ticket }
        }
        Event::TicketRequeued { ticket, reason: RequeueReason::AgentOffline, .. } => {
            let agent = state.ticket(*ticket).and_then(|t| t.agent).ok_or("the ticket is held by nobody")?;
            logout_of(agent)?
        }
        Event::TicketUnpinned { ticket, reason: UnpinReason::AgentOffline, .. } => {
            let agent = state.ticket(*ticket).and_then(|t| t.pinned_to).ok_or("the ticket is reserved for nobody")?;
            logout_of(agent)?
        }
        Event::WrapUpEnded { agent, .. } => logout_of(*agent)?,
        Event::TicketResolved { ticket, .. } => Command::Resolve { at, ticket: *ticket },
        Event::BotResolved { ticket, .. } => Command::BotResolve { at, ticket: *ticket },
        Event::TicketReopened { ticket, .. } => Command::Reopen { at, ticket: *ticket },
        Event::TicketAbandoned { ticket, .. } => Command::Abandon { at, ticket: *ticket },
        Event::OfferAccepted { ticket, .. } => Command::AcceptOffer { at, ticket: *ticket },
        Event::BotHandedOff { ticket, reason, transcript, .. } => {
            Command::BotHandoff { at, ticket: *ticket, reason: reason.clone(), transcript: transcript.clone() }
        }
        Event::TicketEscalated { ticket, tier, trigger: crate::escalation::Trigger::Manual, note, .. } => {
            Command::Escalate { at, ticket: *ticket, tier: Some(*tier), note: note.clone() }
        }
        // The clocks a reply or a resolution stops are written before it.
        Event::SlaMet { ticket, .. } => {
            let main = same_time().find(|x| {
                x.ticket() == Some(*ticket)
                    && matches!(
                        x,
                        Event::AgentReplied { .. } | Event::TicketResolved { .. } | Event::BotResolved { .. }
                    )
            });
            match main {
                Some(Event::AgentReplied { .. }) => Command::AgentReply { at, ticket: *ticket },
                Some(Event::TicketResolved { .. }) => Command::Resolve { at, ticket: *ticket },
                Some(Event::BotResolved { .. }) => Command::BotResolve { at, ticket: *ticket },
                _ => {
                    return Err(missing(
                        "no reply or resolution of the ticket follows it: nothing explains it".to_owned(),
                    ));
                }
            }
        }
        other => {
            return Err(Unexplained::Why(format!(
                "no timer is due and no command writes a {} on its own: the engine would not have written it here",
                other.name()
            )));
        }
    })
}

/// Whether `event` can be folded into `state`: `Ok` if it fits, else what does not (a
/// ticket or agent that does not exist, a ticket in the wrong status for the event, an id
/// out of the configuration's range, time going backwards).
///
/// # Errors
/// [`CheckError`], naming what does not fit; its `Display` is one line for a person.
pub fn check(state: &State, event: &Event) -> Result<(), CheckError> {
    let at = event.at();
    if at > Timestamp::LATEST {
        return Err(CheckError::AfterLatest { latest: Timestamp::LATEST });
    }
    let last = state.last_event_at();
    if at < last {
        return Err(if state.events_applied == 0 {
            CheckError::BeforeClockStart { start: last }
        } else {
            CheckError::TimeWentBack { previous: last }
        });
    }
    let cfg = match (event, state.config.as_deref()) {
        (Event::Configured { config, .. }, Some(old)) => {
            config.extends(old)?;
            // Waiting tickets take their queue's new needs on top of their own.
            for t in state.tickets.iter().filter(|t| t.status == TicketStatus::Queued) {
                fits(t, config, t.queue)?;
            }
            return Ok(());
        }
        (Event::Configured { .. }, None) => return Ok(()),
        (_, None) => return Err(CheckError::NotConfigured),
        (_, Some(cfg)) => cfg,
    };
    let c = Ctx { state, cfg, at };
    use TicketStatus::{Assigned, Bot, Offered, OnHold, Queued, Resolved, WaitingOnCustomer};
    match event {
        Event::Configured { .. } => unreachable!("checked above"),
        Event::AgentRegistered { agent, key, team, skills, .. } => {
            let next = state.agents.len();
            if agent.index() != next {
                return Err(CheckError::AgentIdNotNext { agent: *agent, next: AgentId(next as u32) });
            }
            if state.agent_keys.contains_key(key.as_str()) {
                return Err(CheckError::AgentKeyTaken { key: key.to_string() });
            }
            if team.index() >= cfg.teams().len() {
                return Err(CheckError::TeamNotConfigured { team: *team, teams: cfg.teams().len() });
            }
            c.skills(skills)
        }
        Event::AgentPresenceChanged { agent, .. } | Event::AgentCapacityChanged { agent, .. } => {
            c.agent(*agent).map(drop)
        }
        Event::AgentSkillsChanged { agent, skills, .. } => {
            c.agent(*agent)?;
            c.skills(skills)
        }
        Event::TicketCreated { ticket, spec, .. } => {
            let next = state.next_ticket_id();
            if *ticket != next {
                return Err(CheckError::TicketIdNotNext { ticket: *ticket, next });
            }
            if let Some(k) = &spec.key
                && let Some(held) = state.ticket_keys.get(k.as_str())
            {
                return Err(CheckError::TicketKeyTaken { key: k.to_string(), held: *held });
            }
            let queue = spec.queue.ok_or(CheckError::NoQueue)?;
            c.queue(queue)?;
            if let Some(k) = spec.category
                && k.index() >= cfg.category_names().len()
            {
                return Err(CheckError::CategoryNotConfigured { category: k });
            }
            if let Some(l) = spec.language
                && l.index() >= cfg.language_names().len()
            {
                return Err(CheckError::LanguageNotConfigured { language: l });
            }
            for n in spec.skills.iter() {
                c.skill(n.skill, n.min)?;
            }
            spec.skills.merged(&cfg.queue(queue).needs).map(drop).map_err(|_| CheckError::SpecTooManySkills { queue })
        }
        Event::TicketAssigned { ticket, agent, .. } | Event::TicketOffered { ticket, agent, .. } => {
            c.ticket_in(*ticket, &[Queued])?;
            c.agent(*agent).map(drop)
        }
        Event::OfferAccepted { ticket, agent, .. } => {
            let t = c.ticket_in(*ticket, &[Offered])?;
            match t.agent {
                Some(a) if a == *agent => Ok(()),
                _ => Err(CheckError::OfferedToAnother { ticket: *ticket, offered_to: t.agent, agent: *agent }),
            }
        }
        Event::AgentReplied { ticket, .. } | Event::TicketUpdated { ticket, .. } => c.ticket(*ticket).map(drop),
        Event::RecurringIssueDetected { .. } => Ok(()),
        Event::CustomerReplied { ticket, .. } => {
            c.ticket_in(*ticket, &[Queued, Assigned, Offered, WaitingOnCustomer, OnHold, Bot]).map(drop)
        }
        Event::TicketOnHold { ticket, .. } => c.ticket_in(*ticket, &[Assigned]).map(drop),
        Event::TicketPending { ticket, .. } | Event::TicketRequeued { ticket, .. } => {
            c.ticket_in(*ticket, &[Assigned, Offered]).map(drop)
        }
        Event::TicketReactivated { ticket, .. } => c.ticket_in(*ticket, &[WaitingOnCustomer, OnHold]).map(drop),
        Event::TicketTransferred { ticket, queue, .. } => {
            let t = c.ticket_in(*ticket, &[Queued, Assigned, Offered, WaitingOnCustomer, OnHold])?;
            c.queue(*queue)?;
            fits(t, cfg, *queue)
        }
        Event::TicketResolved { ticket, .. }
        | Event::BotResolved { ticket, .. }
        | Event::TicketAbandoned { ticket, .. }
        | Event::TicketExpired { ticket, .. } => {
            c.ticket_in(*ticket, &[Queued, Assigned, Offered, WaitingOnCustomer, OnHold, Bot]).map(drop)
        }
        Event::FollowUpDue { ticket, .. } => {
            let t = c.ticket_in(*ticket, &[Resolved])?;
            match t.follow_up_due {
                Some(due) if due == event.at() => Ok(()),
                Some(due) => Err(CheckError::FollowUpDueElsewhen { ticket: *ticket, due, at: event.at() }),
                None => Err(CheckError::NoFollowUp { ticket: *ticket }),
            }
        }
        Event::TicketReopened { ticket, .. } => {
            let t = c.ticket(*ticket)?;
            if t.status.is_closed() { Ok(()) } else { Err(CheckError::NotClosed { ticket: *ticket, status: t.status }) }
        }
        Event::BotHandedOff { ticket, .. } => c.ticket_in(*ticket, &[Bot]).map(drop),
        Event::TicketStepReached { ticket, step, .. } => {
            let t = c.ticket_in(*ticket, &[Queued])?;
            let steps = cfg.queue(t.queue).steps.len();
            if usize::from(*step) >= steps {
                return Err(CheckError::StepNotConfigured { step: *step, queue: t.queue, steps });
            }
            Ok(())
        }
        Event::TicketPinned { ticket, agent, .. } => {
            c.ticket_in(*ticket, &[Queued])?;
            c.agent(*agent).map(drop)
        }
        Event::TicketUnpinned { ticket, .. } => c.ticket_in(*ticket, &[Queued]).map(drop),
        Event::SlaWarning { ticket, policy, .. }
        | Event::SlaBreached { ticket, policy, .. }
        | Event::SlaReminder { ticket, policy, .. }
        | Event::SlaMet { ticket, policy, .. } => {
            c.ticket(*ticket)?;
            let n = cfg.sla.policies.len();
            if usize::from(*policy) >= n {
                return Err(CheckError::PolicyNotConfigured { policy: *policy, policies: n });
            }
            Ok(())
        }
        Event::TicketEscalated { ticket, queue, rule, .. } => {
            let t = c.ticket_in(*ticket, &[Queued, Assigned, Offered])?;
            if let Some(r) = rule
                && *r >= 32
            {
                return Err(CheckError::RuleOutOfRange { rule: *r });
            }
            c.queue(*queue)?;
            fits(t, cfg, *queue)
        }
        Event::OverflowOpened { queue, .. } | Event::OverflowClosed { queue, .. } => c.queue(*queue),
        Event::WrapUpEnded { agent, ticket, .. } => {
            let a = c.agent(*agent)?;
            if a.wrap_ups.iter().any(|w| w.2 == *ticket) {
                Ok(())
            } else {
                Err(CheckError::NotWrappingUp { agent: *agent, ticket: *ticket })
            }
        }
    }
}

/// Whether ticket `t`'s own skills and `queue`'s needs fit together in one requirement.
fn fits(t: &Ticket, cfg: &Config, queue: QueueId) -> Result<(), CheckError> {
    t.own_skills
        .merged(&cfg.queue(queue).needs)
        .map(drop)
        .map_err(|_| CheckError::TicketTooManySkills { ticket: t.id, queue })
}

/// The state, its configuration and the event's time, for the checks.
struct Ctx<'a> {
    state: &'a State,
    cfg: &'a Config,
    at: Timestamp,
}

impl<'a> Ctx<'a> {
    /// A ticket the state holds when the event is folded: `apply` first retires the closed
    /// tickets whose retention ends by the event's time.
    fn ticket(&self, id: TicketId) -> Result<&'a Ticket, CheckError> {
        let retention = self.cfg.limits.closed_ticket_retention_ms;
        let kept = self
            .state
            .ticket(id)
            .filter(|t| !(t.status.is_closed() && t.closed_at.is_some_and(|c| c.plus_ms(retention) <= self.at)));
        kept.ok_or_else(|| {
            if id < self.state.next_ticket_id() {
                CheckError::TicketNoLongerKept { ticket: id }
            } else {
                CheckError::TicketMissing { ticket: id }
            }
        })
    }

    fn ticket_in(&self, id: TicketId, statuses: &'static [TicketStatus]) -> Result<&'a Ticket, CheckError> {
        let t = self.ticket(id)?;
        if statuses.contains(&t.status) {
            Ok(t)
        } else {
            Err(CheckError::TicketStatus { ticket: id, status: t.status, expected: statuses })
        }
    }

    fn agent(&self, id: AgentId) -> Result<&'a crate::agent::Agent, CheckError> {
        self.state.agent(id).ok_or(CheckError::AgentNotRegistered { agent: id })
    }

    fn queue(&self, q: QueueId) -> Result<(), CheckError> {
        let n = self.cfg.queues().len();
        if q.index() < n { Ok(()) } else { Err(CheckError::QueueNotConfigured { queue: q, queues: n }) }
    }

    fn skill(&self, s: SkillId, level: u8) -> Result<(), CheckError> {
        let n = self.cfg.skill_names().len();
        if s.index() >= n {
            return Err(CheckError::SkillNotConfigured { skill: s, skills: n });
        }
        if !(1..=PROFICIENCY_MAX).contains(&level) {
            return Err(CheckError::ProficiencyOutOfRange { skill: s, level });
        }
        Ok(())
    }

    fn skills(&self, skills: &[(SkillId, u8)]) -> Result<(), CheckError> {
        skills.iter().try_for_each(|&(s, level)| self.skill(s, level))
    }
}

/// Why an event does not fit the state it would be folded into ([`check`]).
///
/// Each variant holds the facts that make the event wrong; `Display` says them in one line
/// (the text `cs replay` and the stores print).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The event's time is past [`Timestamp::LATEST`].
    #[error("after {latest}, the latest time the engine takes")]
    AfterLatest {
        /// The latest time the engine takes.
        latest: Timestamp,
    },
    /// The first event is before the state's clock starts (a snapshot's time).
    #[error("before {start}, where the engine's clock starts")]
    BeforeClockStart {
        /// Where the clock starts.
        start: Timestamp,
    },
    /// The event is before the one folded last.
    #[error("time goes backwards: the event before was at {previous}")]
    TimeWentBack {
        /// The time of the event before.
        previous: Timestamp,
    },
    /// A new configuration that does not extend the one in force.
    #[error(transparent)]
    IncompatibleConfig(#[from] IncompatibleChange),
    /// An event other than `Configured` before any configuration.
    #[error("the engine is not configured yet (a log starts with Configured)")]
    NotConfigured,
    /// An agent registered under another id than the next one.
    #[error("agent {agent} registered, but the next agent id is {next}")]
    AgentIdNotNext {
        /// The id in the event.
        agent: AgentId,
        /// The next id.
        next: AgentId,
    },
    /// An agent key registered twice.
    #[error("agent key {key:?} is already registered")]
    AgentKeyTaken {
        /// The key.
        key: String,
    },
    /// A team out of the configuration's range.
    #[error("team {team} is not configured ({teams} teams)")]
    TeamNotConfigured {
        /// The team.
        team: TeamId,
        /// How many teams are configured.
        teams: usize,
    },
    /// A ticket created under another id than the next one.
    #[error("ticket {ticket} created, but the next ticket id is {next}")]
    TicketIdNotNext {
        /// The id in the event.
        ticket: TicketId,
        /// The next id.
        next: TicketId,
    },
    /// A ticket key already held by a kept ticket.
    #[error("ticket key {key:?} is already ticket {held}'s")]
    TicketKeyTaken {
        /// The key.
        key: String,
        /// The ticket holding it.
        held: TicketId,
    },
    /// A ticket created without a queue.
    #[error("the ticket has no queue")]
    NoQueue,
    /// A category out of the configuration's range.
    #[error("category {category} is not configured")]
    CategoryNotConfigured {
        /// The category.
        category: CategoryId,
    },
    /// A language out of the configuration's range.
    #[error("language {language} is not configured")]
    LanguageNotConfigured {
        /// The language.
        language: LanguageId,
    },
    /// A new ticket's skills and its queue's needs do not fit in one requirement.
    #[error("the ticket's skills and queue {queue}'s need too many skills together")]
    SpecTooManySkills {
        /// The queue.
        queue: QueueId,
    },
    /// A ticket's own skills and a queue's needs do not fit in one requirement.
    #[error("ticket {ticket}'s own skills and queue {queue}'s needs are too many skills together")]
    TicketTooManySkills {
        /// The ticket.
        ticket: TicketId,
        /// The queue it would join.
        queue: QueueId,
    },
    /// An offer accepted by an agent it was not offered to.
    #[error("ticket {ticket} is offered to {}, not {agent}", fmt_agent(*.offered_to))]
    OfferedToAnother {
        /// The ticket.
        ticket: TicketId,
        /// The agent it is offered to, if any.
        offered_to: Option<AgentId>,
        /// The agent in the event.
        agent: AgentId,
    },
    /// A follow-up at another time than it is due.
    #[error("ticket {ticket}'s follow-up is due at {due}, not at {at}")]
    FollowUpDueElsewhen {
        /// The ticket.
        ticket: TicketId,
        /// When its follow-up is due.
        due: Timestamp,
        /// The event's time.
        at: Timestamp,
    },
    /// A follow-up for a ticket that has none pending.
    #[error("ticket {ticket} has no follow-up pending")]
    NoFollowUp {
        /// The ticket.
        ticket: TicketId,
    },
    /// A reopen of a ticket that is not closed.
    #[error("ticket {ticket} is {status:?}, not closed")]
    NotClosed {
        /// The ticket.
        ticket: TicketId,
        /// Its status.
        status: TicketStatus,
    },
    /// A step out of the ticket's queue's range.
    #[error("step {step} of queue {queue} is not configured ({steps} steps)")]
    StepNotConfigured {
        /// The step.
        step: u8,
        /// The ticket's queue.
        queue: QueueId,
        /// How many steps the queue has.
        steps: usize,
    },
    /// An SLA policy out of the configuration's range.
    #[error("SLA policy {policy} is not configured ({policies} policies)")]
    PolicyNotConfigured {
        /// The policy.
        policy: crate::sla::PolicyId,
        /// How many policies are configured.
        policies: usize,
    },
    /// An escalation rule past the most there can be.
    #[error("escalation rule {rule} is out of range (at most 32 rules)")]
    RuleOutOfRange {
        /// The rule.
        rule: u16,
    },
    /// A wrap-up ended that the agent is not in.
    #[error("agent {agent} is not wrapping up ticket {ticket}")]
    NotWrappingUp {
        /// The agent.
        agent: AgentId,
        /// The ticket.
        ticket: TicketId,
    },
    /// A ticket closed and retired after its retention.
    #[error("ticket {ticket} is no longer kept (closed and past its retention)")]
    TicketNoLongerKept {
        /// The ticket.
        ticket: TicketId,
    },
    /// A ticket never created.
    #[error("ticket {ticket} does not exist (not created before)")]
    TicketMissing {
        /// The ticket.
        ticket: TicketId,
    },
    /// A ticket in a status the event does not apply to.
    #[error("ticket {ticket} is {}, not {}", .status.name(), fmt_statuses(.expected))]
    TicketStatus {
        /// The ticket.
        ticket: TicketId,
        /// Its status.
        status: TicketStatus,
        /// The statuses the event applies to.
        expected: &'static [TicketStatus],
    },
    /// An agent never registered.
    #[error("agent {agent} is not registered")]
    AgentNotRegistered {
        /// The agent.
        agent: AgentId,
    },
    /// A queue out of the configuration's range.
    #[error("queue {queue} is not configured ({queues} queues)")]
    QueueNotConfigured {
        /// The queue.
        queue: QueueId,
        /// How many queues are configured.
        queues: usize,
    },
    /// A skill out of the configuration's range.
    #[error("skill {skill} is not configured ({skills} skills)")]
    SkillNotConfigured {
        /// The skill.
        skill: SkillId,
        /// How many skills are configured.
        skills: usize,
    },
    /// A proficiency outside `1..=PROFICIENCY_MAX`.
    #[error("proficiency {level} in skill {skill} is not in 1..={PROFICIENCY_MAX}")]
    ProficiencyOutOfRange {
        /// The skill.
        skill: SkillId,
        /// The level.
        level: u8,
    },
}

fn fmt_agent(a: Option<AgentId>) -> String {
    a.map_or_else(|| "nobody".to_owned(), |a| a.to_string())
}

fn fmt_statuses(statuses: &[TicketStatus]) -> String {
    statuses.iter().map(|s| s.name()).collect::<Vec<_>>().join(" or ")
}
