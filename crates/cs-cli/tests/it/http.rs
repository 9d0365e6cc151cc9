//! A blocking HTTP/1.1 client over `std::net`, enough to drive the real `cs serve` over
//! loopback: requests with `Connection: close`, chunked or sized bodies, and server-sent
//! event streams read line by line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `cs serve` process on a loopback port, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Its stderr after start-up, drained on a thread.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `cs serve --config CONFIG --store STORE --addr 127.0.0.1:0 EXTRA...` and waits
    /// for the port it prints.
    pub fn start(config: &std::path::Path, store: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cs"))
            .args(["serve", "--config"])
            .arg(config)
            .args(["--store", store, "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cs serve starts");
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let mut seen = Vec::new();
        let addr = loop {
            line.clear();
            if err.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                panic!("cs serve stopped before listening: {}", seen.join(""));
            }
            seen.push(line.clone());
            if let Some(rest) = line.strip_prefix("cs serve: listening on http://") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        let log = std::sync::Arc::new(std::sync::Mutex::new(seen));
        let sink = log.clone();
        std::thread::spawn(move || {
            for l in err.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(l);
            }
        });
        Server { child, addr, log }
    }

    /// Sends a request as `token`'s tenant.
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Reply {
        self.call_with(method, path, token, body, &[])
    }

    /// Sends a request with extra headers.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        request(&self.addr, method, path, token, body, headers)
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failing test shows what the server said.
        if std::thread::panicking() {
            eprintln!("cs serve said:\n{}", self.log.lock().map(|l| l.join("\n")).unwrap_or_default());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The error code of an error response.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error: {}", self.body)).to_owned()
    }
}

fn write_request(
    s: &mut TcpStream,
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> std::io::Result<()> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        head += &format!("Authorization: Bearer {t}\r\n");
    }
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    if let Some(b) = body {
        head += &format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len());
    }
    head += "\r\n";
    s.write_all(head.as_bytes())?;
    if let Some(b) = body {
        s.write_all(b)?;
    }
    Ok(())
}

fn read_head(r: &mut impl BufRead) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let bad = |what: String| std::io::Error::other(what);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or_else(|| bad(format!("bad header {l:?}")))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    Ok((status, headers))
}

/// One request on a fresh connection.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    raw(addr, method, path, token, body.map(str::as_bytes), headers)
}

/// One request with a body of raw bytes.
pub fn raw(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> Reply {
    try_raw(addr, method, path, token, body, headers).unwrap_or_else(|e| panic!("{method} {path} on {addr}: {e}"))
}

/// One request, or the I/O error that stopped it (the server is gone, the connection broke).
pub fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> std::io::Result<Reply> {
    try_raw(addr, method, path, token, body.map(str::as_bytes), headers)
}

fn try_raw(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write_request(&mut s, addr, method, path, token, body, headers)?;
    let mut r = BufReader::new(s);
    let (status, headers) = read_head(&mut r)?;
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).map_err(|e| std::io::Error::other(e.to_string()))?;
            if n == 0 {
                break;
            }
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// A server-sent event.
#[derive(Clone, Debug, PartialEq)]
pub struct Sse {
    pub id: u64,
    pub event: String,
    pub data: serde_json::Value,
}

/// A server-sent event stream.
pub struct Stream {
    r: BufReader<TcpStream>,
    pending: Vec<u8>,
}

impl Stream {
    /// Opens `/v1/events` (with `Last-Event-ID` when given).
    pub fn open(addr: &str, token: &str, last_event_id: Option<u64>) -> (u16, Stream) {
        let mut s = TcpStream::connect(addr).unwrap();
        let id = last_event_id.map(|n| n.to_string());
        let headers: Vec<(&str, &str)> = id.as_deref().map(|v| vec![("Last-Event-ID", v)]).unwrap_or_default();
        write_request(&mut s, addr, "GET", "/v1/events", Some(token), None, &headers).unwrap();
        let mut r = BufReader::new(s);
        let (status, _) = read_head(&mut r).unwrap();
        (status, Stream { r, pending: Vec::new() })
    }

    /// The next event, waiting up to `timeout`; `None` on timeout.
    pub fn next(&mut self, timeout: Duration) -> Option<Sse> {
        let deadline = Instant::now() + timeout;
        loop {
            // A complete event is a block ending in a blank line.
            if let Some(end) = find(&self.pending, b"\n\n") {
                let block: Vec<u8> = self.pending.drain(..end + 2).collect();
                let text = String::from_utf8_lossy(&block);
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for l in text.lines() {
                    if let Some(v) = l.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = l.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = l.strip_prefix("data:") {
                        data += v.trim_start();
                    }
                }
                if let Some(id) = id {
                    return Some(Sse { id, event, data: serde_json::from_str(&data).unwrap() });
                }
                continue; // a keep-alive comment
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.r.get_ref().set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
            // Chunked framing: a size line, the data, CRLF.
            let mut size = String::new();
            match self.r.read_line(&mut size) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(_) => return None,
            }
            let Ok(n) = usize::from_str_radix(size.trim(), 16) else { continue };
            if n == 0 {
                return None;
            }
            let mut chunk = vec![0; n + 2];
            self.r.get_ref().set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            if self.r.read_exact(&mut chunk).is_err() {
                return None;
            }
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Writes `dir/FILE`: a service config with one tenant `name`, reached with `token`, with
/// `tenant_keys` (TOML lines such as `requests_per_s = 10`), and an engine with the skill
/// `general`, a team `support`, the tables in `engine_extra` (`[tenants.engine.limits]`,
/// `[[tenants.engine.sla_policies]]`...) and a chat queue `general`.
pub fn one_tenant_config(
    dir: &std::path::Path,
    file: &str,
    name: &str,
    token: &str,
    tenant_keys: &str,
    engine_extra: &str,
) -> std::path::PathBuf {
    let text = format!(
        r#"
[[tenants]]
name = "{name}"
token_sha256 = "{digest}"
{tenant_keys}
[tenants.engine]
skills = ["general"]
teams = [{{ name = "support" }}]
{engine_extra}
[[tenants.engine.queues]]
name = "general"
channels = ["chat"]
skills = {{ general = 1 }}
"#,
        digest = cs_http::config::hex(&cs_http::token_digest(token))
    );
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}
