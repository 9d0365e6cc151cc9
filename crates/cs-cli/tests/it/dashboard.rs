//! The dashboard in a real browser: `cs serve` on a loopback port, headless Chromium
//! driven through chromedriver, agents and tickets created through the API while the page
//! stays open; the page's tables must follow without a reload.
//!
//! `CS_UPDATE_SCREENSHOT=1 cargo test -p cs-cli --test it dashboard` also writes the
//! screenshot `docs/HTTP.md` shows, `docs/img/dashboard.png`.

use crate::http::Server;
use crate::webdriver::{Driver, Session};
use serde_json::{Value, json};
use std::time::Duration;

const TOKEN: &str = "acme-token";

/// Generous: the machine is shared and the page refreshes a quarter second after an event.
const WAIT: Duration = Duration::from_secs(20);

/// One tenant with three queues, an escalation path from `general` (L1) to `experts` (L2)
/// for angry customers and repeat contacts, chats due in 4 minutes and e-mails in 2 seconds.
fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let text = format!(
        r#"
[[tenants]]
name = "acme"
token_sha256 = "{digest}"

[tenants.engine]
skills = ["general", "billing"]
teams = [{{ name = "support" }}, {{ name = "experts", tier = "L2" }}]

[[tenants.engine.queues]]
name = "general"
channels = ["chat", "email"]
skills = {{ general = 1 }}
teams = ["support"]
service_level_s = 20

[[tenants.engine.queues]]
name = "billing"
channels = ["chat", "email"]
skills = {{ billing = 1 }}
service_level_s = 60

[[tenants.engine.queues]]
name = "experts"
skills = {{ general = 3 }}
teams = ["experts"]
service_level_s = 30

[[tenants.engine.sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 240

[[tenants.engine.sla_policies]]
name = "e-mail"
channels = ["email"]
first_response_s = 2

[tenants.engine.escalation]
tiers = [{{ name = "L1", queue = "general" }}, {{ name = "L2", queue = "experts" }}]
edges = [["L1", "L2"]]
rules = [
    {{ trigger = "emotion", emotion_at_least = "angry", boost = 30 }},
    {{ trigger = "repeat_contact", contacts_at_least = 2, window_s = 3600, boost = 10 }},
]
"#,
        digest = cs_http::config::hex(&cs_http::token_digest(TOKEN))
    );
    let path = dir.join("server.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// What the page shows, read from its DOM: per queue and agent the cells' text, the
/// tickets near breach, the alerts, the connection state, and the marker the test left in
/// the page (gone if the page reloaded).
const READ: &str = r#"
const text = (root, sel) => { const e = root.querySelector(sel); return e ? e.textContent.trim() : null; };
const queues = {};
for (const r of document.querySelectorAll('#queues tr[data-queue]')) {
  queues[r.dataset.queue] = { waiting: text(r, '[data-field=waiting]'), service_level: text(r, '[data-field=service_level]'),
    at_risk: text(r, '[data-field=at_risk]'), today: text(r, '[data-field=today]'), oldest: text(r, '[data-field=oldest_wait]') };
}
const agents = {};
for (const r of document.querySelectorAll('#agents tr[data-agent]')) {
  agents[r.dataset.agent] = { presence: text(r, '[data-field=presence]'), load: text(r, '[data-field=load]'), tickets: text(r, '[data-field=tickets]') };
}
return {
  status: document.getElementById('status').dataset.state,
  board: !document.getElementById('board').hidden,
  login: !document.getElementById('login').hidden,
  login_error: document.getElementById('login-error').textContent,
  marker: window.csTestMarker ?? null,
  hash: location.hash,
  stored: sessionStorage.getItem('cs.dashboard.token'),
  queues, agents,
  risk: [...document.querySelectorAll('#risk tr[data-ticket]')].map(r => [r.dataset.ticket, text(r, '.countdown')]),
  alerts: [...document.querySelectorAll('#alerts li')].map(li => li.dataset.kind + ': ' + li.textContent),
};
"#;

fn page(s: &Session<'_>, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    s.wait_for(what, WAIT, READ, done)
}

fn post(server: &Server, path: &str, body: Value) -> Value {
    let r = server.call("POST", path, Some(TOKEN), Some(&body.to_string()));
    assert!(r.status == 200 || r.status == 201, "{path}: {} {}", r.status, r.body);
    r.json()
}

fn agent(server: &Server, id: &str, team: &str, skills: Value, capacity: Value, presence: &str) {
    post(server, "/v1/agents", json!({"id": id, "team": team, "skills": skills, "capacity": capacity}));
    if presence != "offline" {
        if presence != "available" {
            post(server, &format!("/v1/agents/{id}/presence"), json!({"status": "available"}));
        }
        post(server, &format!("/v1/agents/{id}/presence"), json!({"status": presence}));
    }
}

fn ticket(server: &Server, body: Value) -> Value {
    post(server, "/v1/tickets", body)
}

fn has_alert(p: &Value, kind: &str, about: &str) -> bool {
    p["alerts"].as_array().is_some_and(|a| {
        a.iter().any(|x| x.as_str().is_some_and(|x| x.starts_with(&format!("{kind}:")) && x.contains(about)))
    })
}

#[test]
fn the_dashboard_follows_the_api_live_in_a_browser() {
    let Some(driver) = Driver::start("the_dashboard_follows_the_api_live_in_a_browser") else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&config(dir.path()), dir.path().join("store").to_str().unwrap(), &[]);
    let base = format!("http://{}", server.addr);
    let s = driver.session(1600, 900);

    // A kiosk opens the page with the token in the fragment: it is kept in the tab's session
    // storage and wiped from the address bar; the page connects and shows the empty desk.
    s.goto(&format!("{base}/#token={TOKEN}"));
    let p = page(&s, "the empty desk, live", |p| {
        p["status"] == "live" && p["queues"]["general"]["waiting"] == "0" && p["queues"].as_object().unwrap().len() == 3
    });
    assert_eq!((p["hash"].as_str(), p["stored"].as_str()), (Some(""), Some(TOKEN)), "{p:#}");
    assert_eq!(p["agents"], json!({}), "{p:#}");
    assert_eq!(p["queues"]["general"]["service_level"], "–", "nothing offered yet: {p:#}");
    s.execute("window.csTestMarker = 'loaded once';");

    // Agents log in through the API: the agent table follows.
    agent(&server, "ann", "support", json!({"general": 3}), json!({"chat": 2}), "available");
    agent(&server, "bob", "support", json!({"general": 2}), json!({"chat": 3, "email": 2}), "away");
    agent(&server, "cat", "experts", json!({"general": 4}), json!({"chat": 2}), "offline");
    agent(&server, "dan", "support", json!({"general": 2}), json!({"email": 2}), "available");
    let p = page(&s, "four agents with their presence", |p| {
        p["agents"]["ann"]["presence"] == "available"
            && p["agents"]["bob"]["presence"] == "away"
            && p["agents"]["cat"]["presence"] == "offline"
            && p["agents"]["dan"]["presence"] == "available"
    });
    assert_eq!(p["agents"]["ann"]["load"], "chat 0/2", "{p:#}");

    // Three chats: ann takes two, the third waits; every chat's first response is due
    // within the at-risk horizon, so all three count down.
    for (id, customer) in [("T-1", "c-1"), ("T-2", "c-2"), ("T-3", "c-3")] {
        ticket(&server, json!({"id": id, "customer": customer, "channel": "chat", "skills": ["general"]}));
    }
    let p = page(&s, "ann full and one chat waiting", |p| {
        p["queues"]["general"]["waiting"] == "1"
            && p["agents"]["ann"]["load"] == "chat 2/2"
            && p["risk"].as_array().is_some_and(|r| r.len() == 3)
    });
    assert!(p["agents"]["ann"]["tickets"].as_str().is_some_and(|t| t.contains("T-1") && t.contains("T-2")), "{p:#}");
    assert_eq!(p["queues"]["general"]["at_risk"], "3", "{p:#}");
    assert_eq!(p["queues"]["general"]["today"], "3 · 2 · 0", "{p:#}");
    // The countdowns move by themselves between refreshes.
    let first = p["risk"][0][1].clone();
    page(&s, "the countdown to move", |p| p["risk"][0][1] != first && p["risk"][0][1].is_string());

    // An angry customer is escalated to L2 on arrival; an e-mail nobody can take breaches
    // its 2-second target; a customer's second contact raises a recurring-issue alert.
    ticket(
        &server,
        json!({"id": "T-4", "customer": "c-4", "channel": "chat", "skills": ["general"], "emotion": "angry"}),
    );
    ticket(
        &server,
        json!({"id": "E-1", "customer": "c-5", "channel": "email", "queue": "billing", "skills": ["billing"]}),
    );
    ticket(&server, json!({"id": "T-5", "customer": "c-1", "channel": "chat", "skills": ["general"]}));
    let p = page(&s, "the escalations, the breach and the recurring issue in the alert feed", |p| {
        has_alert(p, "TicketEscalated", "T-4")
            && has_alert(p, "TicketEscalated", "T-5")
            && has_alert(p, "RecurringIssueDetected", "2 contacts")
            && has_alert(p, "SlaBreached", "E-1")
    });
    assert!(has_alert(&p, "TicketEscalated", "→ L2"), "the tier by its name: {p:#}");
    assert!(has_alert(&p, "RecurringIssueDetected", "T-5"), "the contact that raised it: {p:#}");
    // The breach refreshed the queues: the breached e-mail is no longer counted at risk.
    let p = page(&s, "the escalated tickets waiting for experts and the breached e-mail off the risk list", |p| {
        p["queues"]["experts"]["waiting"] == "2"
            && p["queues"]["billing"]["waiting"] == "1"
            && p["queues"]["billing"]["at_risk"] == "0"
            && p["risk"].as_array().is_some_and(|r| r.len() == 5 && r.iter().all(|t| t[0] != "E-1"))
    });
    // All of it arrived on the open page: it never reloaded, and the browser logged no
    // script error and no refusal by the page's Content-Security-Policy.
    assert_eq!(p["marker"], "loaded once", "{p:#}");
    assert_eq!(p["status"], "live", "{p:#}");
    let console = s.console();
    let problems: Vec<&Value> = console.iter().filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING").collect();
    assert!(problems.is_empty(), "the browser console: {problems:#?}");

    let png = s.screenshot();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    std::fs::write(crate::scratch("dashboard.png"), &png).unwrap();
    if std::env::var_os("CS_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/img/dashboard.png");
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::write(&docs, &png).unwrap();
    }

    // A token the server refuses: the page says so and asks for another.
    s.goto(&format!("{base}/?again#token=not-a-token"));
    let p = page(&s, "the token form with the refusal", |p| p["login"] == true && p["board"] == false);
    assert_eq!(p["login_error"], "the token is not a tenant's", "{p:#}");
    assert_eq!(p["stored"], Value::Null, "a refused token is forgotten: {p:#}");
}
