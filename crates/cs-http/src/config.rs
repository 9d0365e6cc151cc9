//! The service's config file: the server's settings and its tenants.
//!
//! ```toml
//! [server]
//! addr = "127.0.0.1:8080"      # where to listen (cs serve --addr overrides)
//! store = "data"               # a folder (SQLite) or postgres:// URL (--store overrides)
//! body_bytes_max = 65536       # larger request bodies get 413
//!
//! [[tenants]]
//! name = "acme"                # the tenant's partition in the store
//! token_sha256 = "5b1c..."     # hex SHA-256 of its bearer token; the token itself is never stored
//! requests_per_s = 200         # sustained rate; more gets 429 (default 1000)
//! burst = 400                  # requests allowed at once (default twice the rate)
//! engine_file = "acme.toml"    # the engine config, or inline as [tenants.engine]
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The default listening address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// The default largest request body, bytes.
pub const DEFAULT_BODY_BYTES_MAX: usize = 64 * 1024;

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    tenants: Vec<TenantSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    addr: Option<String>,
    store: Option<String>,
    body_bytes_max: Option<usize>,
    snapshot_every: Option<u64>,
    advertise: Option<String>,
    header_read_timeout_s: Option<f64>,
    body_read_timeout_s: Option<f64>,
    connections_max: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantSection {
    name: String,
    token_sha256: String,
    requests_per_s: Option<f64>,
    burst: Option<f64>,
    engine: Option<toml::Value>,
    engine_file: Option<PathBuf>,
}

/// The service's settings, checked.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Where to listen.
    pub addr: String,
    /// The store location, if the file names one.
    pub store: Option<String>,
    /// The largest request body, bytes.
    pub body_bytes_max: usize,
    /// Snapshot every this many events per tenant.
    pub snapshot_every: u64,
    /// The URL other nodes reach this one at (for forwarded writes), if not `http://ADDR`.
    pub advertise: Option<String>,
    /// A client must send a request's headers within this (idle keep-alive connections
    /// are closed after it too).
    pub header_read_timeout: std::time::Duration,
    /// A client must send a request's body within this (408 otherwise).
    pub body_read_timeout: std::time::Duration,
    /// Connections open at once; more are closed as they arrive.
    pub connections_max: usize,
    /// The tenants, in file order.
    pub tenants: Vec<TenantConfig>,
}

/// One tenant.
#[derive(Clone, Debug)]
pub struct TenantConfig {
    /// Its name, also its partition.
    pub name: String,
    /// The SHA-256 of its token, 32 bytes.
    pub token_sha256: [u8; 32],
    /// Sustained requests per second.
    pub requests_per_s: f64,
    /// Requests allowed at once.
    pub burst: f64,
    /// Its engine config.
    pub engine: cs_core::ConfigSpec,
}

/// A config file that could not be used: every problem, each with its place.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("; "))]
pub struct ConfigFileError {
    /// `FILE: PATH: what is wrong`, one per problem.
    pub problems: Vec<String>,
}

impl ServiceConfig {
    /// A service with no tenants, listening on the default address.
    pub fn empty() -> ServiceConfig {
        ServiceConfig {
            addr: DEFAULT_ADDR.to_owned(),
            store: None,
            body_bytes_max: DEFAULT_BODY_BYTES_MAX,
            snapshot_every: cs_durable::DurableOptions::default().snapshot_every,
            advertise: None,
            header_read_timeout: std::time::Duration::from_secs(10),
            body_read_timeout: std::time::Duration::from_secs(30),
            connections_max: 10_000,
            tenants: Vec::new(),
        }
    }

    /// Reads and checks a config file; engine files are read relative to it.
    ///
    /// # Errors
    /// Every problem found, each naming the file and the field.
    pub fn load(path: &Path) -> Result<ServiceConfig, ConfigFileError> {
        let label = path.display().to_string();
        let one = |m: String| ConfigFileError { problems: vec![m] };
        let text = std::fs::read_to_string(path).map_err(|e| one(format!("{label}: {e}")))?;
        ServiceConfig::parse(&text, &label, path.parent().unwrap_or(Path::new(".")))
    }

    /// Parses config text; `label` names it in messages and engine files are read from `dir`.
    ///
    /// # Errors
    /// Every problem found.
    pub fn parse(text: &str, label: &str, dir: &Path) -> Result<ServiceConfig, ConfigFileError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let de =
            toml::Deserializer::parse(text).map_err(|e| ConfigFileError { problems: vec![format!("{label}: {e}")] })?;
        let file: File = serde_path_to_error::deserialize(de).map_err(|e| ConfigFileError {
            problems: vec![format!("{label}: {}: {}", e.path(), e.inner().message())],
        })?;
        let mut problems = Vec::new();
        let mut out = ServiceConfig::empty();
        if let Some(a) = file.server.addr {
            out.addr = a;
        }
        out.store = file.server.store;
        out.advertise = file.server.advertise;
        if let Some(b) = file.server.body_bytes_max {
            if b == 0 {
                problems.push(format!("{label}: server.body_bytes_max: 0 must be at least 1"));
            }
            out.body_bytes_max = b;
        }
        if let Some(n) = file.server.snapshot_every {
            out.snapshot_every = n;
        }
        let mut seconds = |v: Option<f64>, name: &str, into: &mut std::time::Duration| {
            if let Some(s) = v {
                if s.is_finite() && (0.001..=3600.0).contains(&s) {
                    *into = std::time::Duration::from_secs_f64(s);
                } else {
                    problems.push(format!("{label}: server.{name}: {s} must be 0.001 to 3600 seconds"));
                }
            }
        };
        seconds(file.server.header_read_timeout_s, "header_read_timeout_s", &mut out.header_read_timeout);
        seconds(file.server.body_read_timeout_s, "body_read_timeout_s", &mut out.body_read_timeout);
        if let Some(n) = file.server.connections_max {
            if n == 0 {
                problems.push(format!("{label}: server.connections_max: 0 must be at least 1"));
            }
            out.connections_max = n.max(1);
        }
        for (i, t) in file.tenants.into_iter().enumerate() {
            let at = format!("{label}: tenants[{i}]");
            if let Err(e) = cs_store::check_partition(&t.name) {
                problems.push(format!("{at}.name: {e}"));
            }
            if out.tenants.iter().any(|o: &TenantConfig| o.name == t.name) {
                problems.push(format!("{at}.name: {:?} is already a tenant", t.name));
            }
            let token = match decode_sha256(&t.token_sha256) {
                Ok(d) => d,
                Err(why) => {
                    problems.push(format!("{at}.token_sha256: {why}"));
                    [0; 32]
                }
            };
            if out.tenants.iter().any(|o| o.token_sha256 == token) {
                problems.push(format!("{at}.token_sha256: the same token as another tenant's"));
            }
            let rate = t.requests_per_s.unwrap_or(1000.0);
            if !(rate.is_finite() && rate > 0.0) {
                problems.push(format!("{at}.requests_per_s: {rate} must be a number above 0"));
            }
            let burst = t.burst.unwrap_or(2.0 * rate);
            if !(burst.is_finite() && burst >= 1.0) {
                problems.push(format!("{at}.burst: {burst} must be at least 1"));
            }
            let engine = match (t.engine, t.engine_file) {
                (Some(_), Some(_)) => {
                    problems.push(format!("{at}: give engine or engine_file, not both"));
                    None
                }
                (None, None) => {
                    problems.push(format!("{at}: the tenant needs its engine config: [tenants.engine] or engine_file"));
                    None
                }
                (Some(v), None) => engine_spec(v, &format!("{at}.engine"), &mut problems),
                (None, Some(f)) => {
                    let path = dir.join(&f);
                    match std::fs::read_to_string(&path) {
                        Ok(text) => match toml::from_str::<toml::Value>(&text) {
                            Ok(v) => engine_spec(v, &path.display().to_string(), &mut problems),
                            Err(e) => {
                                problems.push(format!("{}: {e}", path.display()));
                                None
                            }
                        },
                        Err(e) => {
                            problems.push(format!("{at}.engine_file: {}: {e}", path.display()));
                            None
                        }
                    }
                }
            };
            if let Some(engine) = engine {
                out.tenants.push(TenantConfig {
                    name: t.name,
                    token_sha256: token,
                    requests_per_s: rate,
                    burst,
                    engine,
                });
            }
        }
        if problems.is_empty() { Ok(out) } else { Err(ConfigFileError { problems }) }
    }
}

/// An engine config from a TOML table, checked by the core (every problem named).
fn engine_spec(v: toml::Value, at: &str, problems: &mut Vec<String>) -> Option<cs_core::ConfigSpec> {
    let spec: cs_core::ConfigSpec = match serde_path_to_error::deserialize(v) {
        Ok(s) => s,
        Err(e) => {
            problems.push(format!("{at}: {}: {}", e.path(), e.inner()));
            return None;
        }
    };
    match cs_core::Config::new(spec.clone()) {
        Ok(_) => Some(spec),
        Err(e) => {
            problems.extend(e.problems.iter().map(|p| format!("{at}: {p}")));
            None
        }
    }
}

/// The 32 bytes of a hex SHA-256.
fn decode_sha256(hex: &str) -> Result<[u8; 32], String> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return Err(format!(
            "{hex:?} is not 64 hexadecimal digits (the SHA-256 of the token, e.g. from `printf %s TOKEN | sha256sum`)"
        ));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| format!("{hex:?} is not hexadecimal"))?;
    }
    Ok(out)
}

/// The SHA-256 of a token, as a tenant's `token_sha256` holds it.
pub fn token_digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// A digest in lower-case hex.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
