//! `cs serve`: the HTTP service (`cs-http`) on a store: an SQLite folder, by default a
//! local data folder named at start-up, or a `postgres://` URL shared by several nodes.

use anyhow::Context;
use cs_cli::summary::Summary;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `cs serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The service's config: tenants with their hashed tokens and engine configs
    /// (`examples/server.toml` is a working demo).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The store: a folder (the embedded SQLite store, created if missing) or a
    /// `postgres://` URL. Default: the config's `server.store`, else a local data folder.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// Where to listen. Default: the config's `server.addr`, else 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<String>,
    /// The URL other nodes reach this one at, to forward writes (default http://ADDR).
    #[arg(long, value_name = "URL")]
    pub advertise: Option<String>,
}

/// The local data folder used when no store is named: `$XDG_DATA_HOME/cs`, else
/// `~/.local/share/cs`, else `./cs-data`.
fn default_store() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("cs");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".local/share/cs");
    }
    PathBuf::from("cs-data")
}

/// Runs `cs serve` until SIGINT or SIGTERM.
pub fn run(a: Args) -> anyhow::Result<()> {
    let mut config = match &a.config {
        Some(path) => cs_http::ServiceConfig::load(path).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => cs_http::ServiceConfig::empty(),
    };
    if let Some(addr) = a.addr {
        config.addr = addr;
    }
    if let Some(adv) = a.advertise {
        config.advertise = Some(adv);
    }
    let location = a.store.or_else(|| config.store.clone()).unwrap_or_else(|| default_store().display().to_string());
    if config.tenants.is_empty() {
        eprintln!("warning: no tenants configured: every /v1 request will be refused (give --config FILE)");
    }
    let store = cs_store::open(&location).with_context(|| format!("opening the store {location}"))?;
    let metrics_view: cs_http::views::MetricsView = Arc::new(|state, metrics, from, to| {
        let summary = if to >= state.last_event_at() {
            Summary::of_state(state, metrics, from, to)
        } else {
            let report = metrics.report(cs_core::metrics::interval_start(from), to, to);
            report.map(|r| Summary::from_report(&r, state.config()))
        };
        summary.map(|s| serde_json::to_value(s).unwrap_or(serde_json::Value::Null)).map_err(|e| e.to_string())
    });
    let staffing_view: cs_http::views::StaffingView = Arc::new(|state, metrics, at, q| {
        let request = cs_plan::elastic::Request {
            target_s: q.target_s,
            service_level: q.service_level,
            reserve: q.reserve,
            ahead: q.ahead,
            patience_s: q.patience_s,
        };
        let report = cs_plan::elastic::report(state, metrics, at, &request).map_err(|e| e.to_string())?;
        Ok(serde_json::to_value(report).unwrap_or(serde_json::Value::Null))
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let describe = store.describe();
        let bound = cs_http::bind(cs_http::ServeOptions { config, store, metrics_view, staffing_view }).await?;
        eprintln!("cs serve: listening on http://{} (store {describe}); dashboard at http://{}/", bound.addr, bound.addr);
        for (name, owner, seq) in bound.tenants() {
            let role = if owner { "writes" } else { "follows" };
            eprintln!("cs serve: tenant {name:?}: this node {role} it, at event {seq}");
        }
        bound.run(cs_http::shutdown_signal()).await?;
        eprintln!("cs serve: stopped");
        Ok::<(), anyhow::Error>(())
    })
}
