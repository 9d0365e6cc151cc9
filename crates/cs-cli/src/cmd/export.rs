//! `cs export --store STORE --partition P FILE.jsonl`: write a partition's events as a
//! JSON-lines log, the format `cs replay` and `cs import` read.
//!
//! Events are read in pages and written as they come, so a log of any length is exported in
//! bounded memory. An existing file is not overwritten unless `--force` is given; `-`
//! writes to standard output. The export reads a consistent prefix: events appended while
//! it runs may or may not be included, never half of a command's.

use anyhow::{Context, bail};
use cs_store::{JsonlWriter, Range};
use std::io::Write;
use std::path::PathBuf;

/// Flags of `cs export`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The JSON-lines file to write, or `-` for standard output.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The store: a folder (the embedded SQLite store) or a `postgres://` URL.
    #[arg(long, value_name = "STORE")]
    pub store: String,
    /// The partition (tenant, desk) to export.
    #[arg(long, value_name = "P", default_value = cs_durable::DEFAULT_PARTITION)]
    pub partition: String,
    /// Export the events at or before this time only (RFC 3339 or ms since the epoch).
    #[arg(long, value_name = "TIME", value_parser = super::replay::parse_time)]
    pub until: Option<cs_core::Timestamp>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `cs export`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let store = super::open_existing_store(&a.store)?;
    let head = store.head(&a.partition)?;
    if head == 0 {
        bail!("{}", super::no_such_partition(&*store, &a.partition)?);
    }
    let to_stdout = a.file.as_os_str() == "-";
    if !to_stdout && !a.force && std::fs::metadata(&a.file).is_ok_and(|m| m.len() > 0) {
        bail!("{} exists; give --force to overwrite it", a.file.display());
    }
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        let f = std::fs::File::create(&a.file).with_context(|| format!("creating {}", a.file.display()))?;
        Box::new(std::io::BufWriter::with_capacity(1 << 16, f))
    };
    let mut w = JsonlWriter::new(sink);
    let range = Range { from: 1, limit: 4096, until: a.until };
    let last = cs_store::for_each(&*store, &a.partition, range, |s| {
        w.append(&s.event).map_err(|e| cs_store::StoreError::Backend { store: a.file.display().to_string(), message: e.to_string() })
    })?;
    w.flush()?;
    let mut sink = w.into_inner();
    sink.flush()?;
    drop(sink);
    if !to_stdout {
        std::fs::File::open(&a.file)?.sync_all()?;
        eprintln!("{}: {last} events of partition {:?} of {}", a.file.display(), a.partition, store.describe());
    }
    Ok(())
}
