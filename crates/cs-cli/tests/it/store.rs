//! `cs import`, `cs export` and `cs replay --store`: a log moves between a file and a store
//! unchanged, and replays the same from either.

use crate::{cs, desk, scratch};
use std::ffi::OsStr;

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_log_round_trips_through_a_store_and_replays_the_same() {
    let (path, events) = desk::log("store-round-trip.jsonl");
    let store = fresh_dir("store-round-trip");
    let store = store.to_str().unwrap();
    let r = cs([
        OsStr::new("import"),
        path.as_os_str(),
        "--store".as_ref(),
        store.as_ref(),
        "--partition".as_ref(),
        "acme".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["events"], events.len());
    // Out again, byte for byte.
    let out = scratch("store-round-trip.out.jsonl");
    let _ = std::fs::remove_file(&out);
    let r = cs([
        OsStr::new("export"),
        "--store".as_ref(),
        store.as_ref(),
        "--partition".as_ref(),
        "acme".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&path).unwrap());
    // Replaying the store prints what replaying the file prints.
    let until = desk::t(1200).to_string();
    let from_file = cs([OsStr::new("replay"), path.as_os_str(), "--until".as_ref(), until.as_ref(), "--json".as_ref()]);
    let from_store = cs(["replay", "--store", store, "--partition", "acme", "--until", &until, "--json"]);
    assert_eq!(from_store.code, 0, "{}", from_store.stderr);
    let (mut a, mut b) = (from_file.json(), from_store.json());
    assert!(a["more_after_until"].as_bool().unwrap(), "the cut is inside the log");
    a.as_object_mut().unwrap().remove("file");
    b.as_object_mut().unwrap().remove("file");
    assert_eq!(a, b);
}

#[test]
fn import_refuses_a_second_load_and_a_bad_log_without_touching_the_store() {
    let (path, _) = desk::log("store-refusals.jsonl");
    let store = fresh_dir("store-refusals");
    let store = store.to_str().unwrap();
    let import =
        |file: &std::path::Path| cs([OsStr::new("import"), file.as_os_str(), "--store".as_ref(), store.as_ref()]);
    assert_eq!(import(&path).code, 0);
    let again = import(&path);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("partition \"default\"") && again.stderr.contains("already holds"),
        "{}",
        again.stderr
    );
    // A log with an event that does not fit (a resolve of a ticket that never was).
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let at = serde_json::from_str::<serde_json::Value>(lines[4]).unwrap()["at"].clone();
    let bad = format!(r#"{{"v":1,"type":"TicketResolved","at":{at},"ticket":9999}}"#);
    lines.insert(5, &bad);
    let edited = scratch("store-refusals-edited.jsonl");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    let other = fresh_dir("store-refusals-2");
    let r = cs([OsStr::new("import"), edited.as_os_str(), "--store".as_ref(), other.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("store-refusals-edited.jsonl:6:"), "names the line: {}", r.stderr);
    assert!(!other.exists(), "the log is checked before the store is even created");
    // An empty store says what it holds.
    std::fs::create_dir_all(&other).unwrap();
    let r = cs([OsStr::new("export"), "--store".as_ref(), other.as_os_str(), "-".as_ref()]);
    assert_eq!(r.code, 1, "nothing was imported");
    assert!(r.stderr.contains("holds no events; it holds no partition"), "{}", r.stderr);
}

#[test]
fn export_names_the_partitions_a_store_has_and_keeps_existing_files() {
    let (path, _) = desk::log("store-names.jsonl");
    let store = fresh_dir("store-names");
    let store = store.to_str().unwrap();
    for p in ["acme", "globex"] {
        let r = cs([
            OsStr::new("import"),
            path.as_os_str(),
            "--store".as_ref(),
            store.as_ref(),
            "--partition".as_ref(),
            p.as_ref(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = cs(["export", "--store", store, "--partition", "initech", "-"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("it holds \"acme\", \"globex\""), "{}", r.stderr);
    let r = cs([
        OsStr::new("export"),
        "--store".as_ref(),
        store.as_ref(),
        "--partition".as_ref(),
        "acme".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    let r = cs(["export", "--store", "/nonexistent/store", "-"]);
    assert!(r.stderr.contains("no such store"), "{}", r.stderr);
    let r = cs(["export", "--store", store, "--partition", "acme", "-"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.as_bytes(), std::fs::read(&path).unwrap());
}
