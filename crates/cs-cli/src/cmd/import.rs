//! `cs import FILE.jsonl --store STORE --partition P`: load a JSON-lines event log into a
//! store, so a durable engine (or `cs serve`) carries on from it.
//!
//! The whole log is read and replayed, every event checked, before anything is written: a
//! log that does not replay is refused naming its line, and the store is left untouched.
//! The events go in with one append (one transaction), under the partition's writer lock,
//! into a partition that must be empty: importing twice, or over a live desk, is refused.

use anyhow::{Context, bail};
use std::path::PathBuf;

/// Flags of `cs import`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The JSON-lines event log (as `cs simulate --events` or `cs export` write it).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The store: a folder (the embedded SQLite store, created if missing) or a
    /// `postgres://` URL.
    #[arg(long, value_name = "STORE")]
    pub store: String,
    /// The partition (tenant, desk) to load the log into.
    #[arg(long, value_name = "P", default_value = cs_durable::DEFAULT_PARTITION)]
    pub partition: String,
    /// Print one JSON object instead of a sentence.
    #[arg(long)]
    pub json: bool,
}

/// Runs `cs import`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let file = a.file.display().to_string();
    let events = cs_store::read_all(&a.file)?;
    if events.is_empty() {
        bail!("{file}: the log holds no event; nothing to import");
    }
    super::replay_log::<()>(&a.file, &events)?;
    let store = cs_store::open(&a.store)?;
    let _lock = store.lock_writer(&a.partition, std::time::Duration::ZERO)?;
    let head = store.head(&a.partition)?;
    if head > 0 {
        bail!(
            "partition {:?} of {} already holds {head} events; import loads a log into an empty partition only \
             (export it first, or choose another --partition)",
            a.partition,
            store.describe()
        );
    }
    let appended = store
        .append(cs_store::Append { partition: &a.partition, expected: 0, events: &events, commands: &[] })
        .with_context(|| format!("importing {file}"))?;
    if a.json {
        return super::print_json(&serde_json::json!({
            "file": file,
            "store": store.describe(),
            "partition": a.partition,
            "events": appended.last,
        }));
    }
    super::print(&format!(
        "{file}: {} events imported into partition {:?} of {}\n",
        appended.last,
        a.partition,
        store.describe()
    ))
}
