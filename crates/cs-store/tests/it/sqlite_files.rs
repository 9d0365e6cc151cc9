//! The SQLite store refuses what is not its own, or is damaged, at open, with a clear
//! error and without touching the file.

use crate::desk;
use crate::stores::unique;
use cs_store::{Append, EventStore, SqliteOptions, SqliteStore, StoreError};

fn open(path: &std::path::Path) -> Result<SqliteStore, StoreError> {
    SqliteStore::open(path, SqliteOptions::default())
}

/// A store file with a few thousand events, closed cleanly.
fn filled(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("desk.db");
    let store = open(&path).unwrap();
    let events = desk::events();
    let p = unique("fill");
    let mut head = 0;
    for _ in 0..200 {
        head = store.append(Append { partition: &p, expected: head, events: &events, commands: &[] }).unwrap().last;
    }
    drop(store);
    path
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "these are my notes, not a database\n").unwrap();
    let err = open(&path).err().unwrap();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("is not a cs event store"), "{err}");
    assert!(err.to_string().contains("these are my"), "names what the file starts with: {err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "these are my notes, not a database\n");
}

#[test]
fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE orders (id INTEGER PRIMARY KEY); INSERT INTO orders VALUES (1);").unwrap();
    drop(c);
    let err = open(&path).err().unwrap();
    assert!(err.to_string().contains("another program"), "{err}");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA application_id = 1234").unwrap();
    drop(c);
    let err = open(&path).err().unwrap();
    assert!(err.to_string().contains("application id is 0x4d2"), "{err}");
}

#[test]
fn a_store_written_by_a_newer_cs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(open(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA user_version = 9").unwrap();
    drop(c);
    let err = open(&path).err().unwrap();
    assert!(matches!(err, StoreError::NewerSchema { found: 9, supported: 1, .. }), "{err}");
    assert!(err.to_string().contains("upgrade cs"), "{err}");
}

#[test]
fn a_truncated_database_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 100_000, "the file has many pages ({len} bytes)");
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let err = open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("is damaged"), "{err}");
}

#[test]
fn a_database_with_damaged_pages_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    // Overwrite a stretch in the middle (B-tree pages of the events table).
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8192] {
        *b = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
}
