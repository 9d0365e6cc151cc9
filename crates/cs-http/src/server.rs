//! Starting and stopping the service.

use crate::config::ServiceConfig;
use crate::routes::{App, Shared, router};
use crate::tenant::{Start, Tenant};
use crate::views::MetricsView;
use cs_store::EventStore;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// What [`serve`] needs.
pub struct ServeOptions {
    /// The settings and tenants.
    pub config: ServiceConfig,
    /// The store every tenant's partition lives in.
    pub store: Arc<dyn EventStore>,
    /// The metrics summary `GET /v1/metrics` answers with.
    pub metrics_view: MetricsView,
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        error: std::io::Error,
    },
    /// A tenant could not be started.
    #[error("{0}")]
    Tenant(String),
    /// The server failed while serving.
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

/// A service bound to its address, with its tenants started: [`Bound::run`] serves.
pub struct Bound {
    listener: tokio::net::TcpListener,
    stop: tokio::sync::watch::Sender<bool>,
    app: Shared,
    /// The address it listens on (with the port the OS chose for `:0`).
    pub addr: SocketAddr,
    /// The URL other nodes forward writes to.
    pub advertise: String,
}

/// Binds the address and starts every tenant (as writer, or follower where another node
/// writes it).
///
/// # Errors
/// [`ServeError`] naming the address or the tenant.
pub async fn bind(opts: ServeOptions) -> Result<Bound, ServeError> {
    let listener = tokio::net::TcpListener::bind(&opts.config.addr)
        .await
        .map_err(|error| ServeError::Bind { addr: opts.config.addr.clone(), error })?;
    let addr = listener.local_addr().map_err(|error| ServeError::Bind { addr: opts.config.addr.clone(), error })?;
    let advertise = opts.config.advertise.clone().unwrap_or_else(|| format!("http://{addr}"));
    let (config, store, adv) = (opts.config.clone(), opts.store.clone(), advertise.clone());
    let tenants = tokio::task::spawn_blocking(move || {
        config
            .tenants
            .iter()
            .map(|t| {
                Tenant::start(Start {
                    config: t.clone(),
                    store: store.clone(),
                    snapshot_every: config.snapshot_every,
                    advertise: adv.clone(),
                })
            })
            .collect::<Result<Vec<_>, String>>()
    })
    .await
    .map_err(|e| ServeError::Tenant(e.to_string()))?
    .map_err(ServeError::Tenant)?;
    let by_token: HashMap<[u8; 32], Arc<Tenant>> = tenants.iter().map(|t| (t.token_sha256, t.clone())).collect();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let app = Arc::new(App {
        tenants,
        by_token,
        body_bytes_max: opts.config.body_bytes_max,
        client: crate::client::Client::new(),
        metrics_view: opts.metrics_view,
        stopping,
    });
    Ok(Bound { listener, stop, app, addr, advertise })
}

impl Bound {
    /// The tenants, for a start-up message.
    pub fn tenants(&self) -> Vec<(String, bool, u64)> {
        self.app
            .tenants
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.owner.load(std::sync::atomic::Ordering::SeqCst),
                    t.seq.load(std::sync::atomic::Ordering::SeqCst),
                )
            })
            .collect()
    }

    /// Serves until `shutdown` completes, then stops taking connections, lets the requests
    /// in flight finish, and stops the tenants (each finishes its batch and snapshot).
    ///
    /// # Errors
    /// [`ServeError::Serve`].
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
        let router = router(self.app.clone());
        let stop = self.stop;
        let shutdown = async move {
            shutdown.await;
            // Event streams never end by themselves: tell them to, so that the graceful
            // shutdown (which waits for open responses) completes.
            let _ = stop.send(true);
        };
        axum::serve(self.listener, router).with_graceful_shutdown(shutdown).await.map_err(ServeError::Serve)
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
