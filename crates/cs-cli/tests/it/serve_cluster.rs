//! Three `cs serve` nodes on one PostgreSQL database (run when `DATABASE_URL` is set; each
//! test says it was skipped otherwise): writes sent to any node land, and when the node
//! that writes a tenant is killed during a surge, another takes over with every
//! acknowledged ticket present exactly once.

use crate::http::{Server, try_request};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const TOKEN: &str = "cluster-token";

pub fn database(test: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: DATABASE_URL is not set");
            None
        }
    }
}

/// A config with one tenant whose name no other run uses (the database is shared).
fn config(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let tenant = format!("cluster-{}-{nanos}", std::process::id());
    let path = crate::http::one_tenant_config(dir, "cluster.toml", &tenant, TOKEN, "", "");
    (path, tenant)
}

/// Whether a node writes the tenant, from its health check.
fn owns(s: &Server) -> bool {
    let h = s.call("GET", "/healthz", None, None).json();
    h["nodes"][0]["owner"].as_bool().unwrap_or(false)
}

/// Creates a ticket through `addr`, retrying 503s with the same key; `Some(id)` once
/// acknowledged, `None` if the node could not be reached in time.
fn create(addr: &str, id: &str, until: Instant) -> Option<String> {
    let body = json!({"id": id, "customer": "c", "channel": "chat"}).to_string();
    let key = format!("k-{id}");
    while Instant::now() < until {
        match try_request(addr, "POST", "/v1/tickets", Some(TOKEN), Some(&body), &[("Idempotency-Key", &key)]) {
            Ok(r) if r.status == 201 => return Some(id.to_owned()),
            Ok(r) if r.status == 503 => std::thread::sleep(Duration::from_millis(50)),
            Ok(r) => panic!("creating {id} through {addr}: {} {}", r.status, r.body),
            // The connection broke mid-request: whether it landed is unknown, so the client
            // retries with its key, which answers the first outcome if it did.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    None
}

#[test]
fn writes_to_any_node_land_and_a_follower_takes_over_from_a_killed_owner() {
    let Some(url) = database("writes_to_any_node_land_and_a_follower_takes_over_from_a_killed_owner") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _tenant) = config(dir.path());
    let nodes: Vec<Server> = (0..3).map(|_| Server::start(&cfg, &url, &[])).collect();
    let owners: Vec<usize> = (0..3).filter(|&i| owns(&nodes[i])).collect();
    assert_eq!(owners.len(), 1, "exactly one node writes the tenant");
    let owner = owners[0];
    // Writes through every node land (followers forward them to the owner).
    let until = Instant::now() + Duration::from_secs(30);
    let mut acked: BTreeSet<String> = BTreeSet::new();
    for (i, n) in nodes.iter().enumerate() {
        let id = format!("via-{i}");
        acked.insert(create(&n.addr, &id, until).expect("acknowledged"));
    }
    // Reads on a follower catch up with the writes.
    let follower = &nodes[(owner + 1) % 3];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = follower.call("GET", "/v1/tickets", Some(TOKEN), None);
        if r.json().as_array().unwrap().len() == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the follower never saw the writes: {}", r.body);
        std::thread::sleep(Duration::from_millis(50));
    }
    // A bounded surge through the followers; the owner dies in the middle of it.
    let followers: Vec<String> = (0..3).filter(|&i| i != owner).map(|i| nodes[i].addr.clone()).collect();
    let surge_until = Instant::now() + Duration::from_secs(60);
    let mut nodes = nodes;
    let dead = nodes.remove(owner);
    let results: Vec<Option<String>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let followers = followers.clone();
                s.spawn(move || {
                    (0..25)
                        .map(|n| create(&followers[(w + n) % followers.len()], &format!("surge-{w}-{n}"), surge_until))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        dead.kill();
        workers.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let surged = results.iter().flatten().count();
    acked.extend(results.into_iter().flatten());
    assert_eq!(surged, 200, "every request of the surge was acknowledged in the end");
    // A follower took over.
    let deadline = Instant::now() + Duration::from_secs(30);
    let new_owner = loop {
        if let Some(n) = nodes.iter().find(|n| owns(n)) {
            break n;
        }
        assert!(Instant::now() < deadline, "no follower took over");
        std::thread::sleep(Duration::from_millis(100));
    };
    let all = new_owner.call("GET", "/v1/tickets?limit=1000", Some(TOKEN), None).json();
    let ids: Vec<String> = all.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "no ticket twice");
    let missing: Vec<&String> = acked.difference(&unique).collect();
    assert!(missing.is_empty(), "acknowledged but gone: {missing:?}");
}
