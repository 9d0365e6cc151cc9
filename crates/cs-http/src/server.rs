//! Starting and stopping the service.

use crate::config::ServiceConfig;
use crate::routes::{App, Shared, router};
use crate::tenant::{Start, Tenant};
use crate::views::{MetricsView, StaffingView};
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
    /// The elastic staffing `GET /v1/staffing` answers with.
    pub staffing_view: StaffingView,
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

/// What protects the server from slow and idle clients.
#[derive(Clone, Copy, Debug)]
struct Limits {
    header_read_timeout: std::time::Duration,
    connections_max: usize,
    shutdown_grace: std::time::Duration,
}

/// A service bound to its address, with its tenants started: [`Bound::run`] serves.
pub struct Bound {
    listener: tokio::net::TcpListener,
    limits: Limits,
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
        staffing_view: opts.staffing_view,
        body_read_timeout: opts.config.body_read_timeout,
        stopping,
    });
    let limits = Limits {
        header_read_timeout: opts.config.header_read_timeout,
        connections_max: opts.config.connections_max,
        shutdown_grace: std::time::Duration::from_secs(30),
    };
    Ok(Bound { listener, limits, stop, app, addr, advertise })
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
        use hyper_util::rt::{TokioIo, TokioTimer};
        let limits = self.limits;
        let router = router(self.app.clone());
        let service = hyper_util::service::TowerToHyperService::new(router);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let connections = Arc::new(tokio::sync::Semaphore::new(limits.connections_max));
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    // Past the limit a connection is closed at once: open connections are
                    // memory, and an attacker's idle ones must not starve real clients of it.
                    let Ok(permit) = connections.clone().try_acquire_owned() else { continue };
                    let _ = stream.set_nodelay(true);
                    let mut http = hyper::server::conn::http1::Builder::new();
                    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
                    let conn = http.serve_connection(TokioIo::new(stream), service.clone());
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                        drop(permit);
                    });
                }
                () = &mut shutdown => break,
            }
        }
        // Event streams never end by themselves: tell them to, so that the graceful
        // shutdown (which waits for open responses) completes.
        let _ = self.stop.send(true);
        drop(self.listener);
        let _ = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await;
        Ok(())
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
