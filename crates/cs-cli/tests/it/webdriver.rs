//! A small W3C WebDriver client over plain HTTP: enough to drive Debian's headless Chromium
//! through `chromedriver` (a session, navigation, scripts run in the page, screenshots).
//! `scripts/install-chromium.sh` installs both; without them a browser test says it is
//! skipped.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process on a loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    addr: String,
    /// Chromium's profile folder, fresh and empty for each driver.
    profile: tempfile::TempDir,
    /// chromedriver's own log, named in failure messages.
    pub log: PathBuf,
}

/// A browser session, closed when dropped.
pub struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Driver {
    /// Starts chromedriver, or says on stderr (past the harness's capture, so every run
    /// shows it) that `test` is skipped and returns `None` when Chromium or chromedriver is
    /// not installed.
    pub fn start(test: &str) -> Option<Driver> {
        if let Some(missing) = [CHROMIUM, CHROMEDRIVER].into_iter().find(|p| !Path::new(p).exists()) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {missing} is not installed (scripts/install-chromium.sh installs Debian's chromium and chromium-driver)"
            );
            return None;
        }
        // A free port: bind one, let it go, give it to chromedriver.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = crate::scratch(&format!("chromedriver-{port}.log"));
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, addr: format!("127.0.0.1:{port}"), profile: tempfile::tempdir().unwrap(), log };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(&driver.addr).is_ok()
                && driver.call("GET", "/status", None).is_ok_and(|v| v["ready"] == true)
            {
                return Some(driver);
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not get ready in 20 s (log: {})",
                driver.log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One WebDriver command: the answer's `value`, or its error and message.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let (status, body) = exchange(&self.addr, method, path, body.map(|b| b.to_string()))
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("{method} {path}: {e}: {body}"))?;
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(format!("{method} {path}: {status} {}: {}", v["value"]["error"], v["value"]["message"]))
        }
    }

    /// A headless Chromium session with a window of `width` x `height` CSS pixels.
    pub fn session(&self, width: u32, height: u32) -> Session<'_> {
        // The flags this machine needs (see MACHINE-NOTES): without the background-networking
        // ones Chromium's own connections out are refused and it stalls.
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", self.profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let v =
            self.call("POST", "/session", Some(caps)).unwrap_or_else(|e| panic!("{e} (log: {})", self.log.display()));
        let id = v["sessionId"].as_str().unwrap_or_else(|| panic!("no session id in {v}")).to_owned();
        Session { driver: self, id }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Session<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
            .unwrap_or_else(|e| panic!("{e} (log: {})", self.driver.log.display()))
    }

    /// Opens a URL and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs a script in the page (the body of a function; `return` gives its value).
    pub fn execute(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// Runs `script` until `done` holds for its value, for up to `timeout`; panics with the
    /// last value (and saves a screenshot next to the test's scratch files) if it never does.
    pub fn wait_for(&self, what: &str, timeout: Duration, script: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.execute(script);
            if done(&v) {
                return v;
            }
            if Instant::now() >= deadline {
                let shot = crate::scratch("dashboard-failure.png");
                let _ = std::fs::write(&shot, self.screenshot());
                panic!("waited {timeout:?} for {what}; the page shows {v:#}\n(screenshot: {})", shot.display());
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// The browser console's entries since the last call (`level`, `message`): script
    /// errors and Content-Security-Policy violations show up here.
    pub fn console(&self) -> Vec<Value> {
        let v = self.call("POST", "/se/log", Some(json!({ "type": "browser" })));
        v.as_array().cloned().unwrap_or_default()
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        let v = self.call("GET", "/screenshot", None);
        base64_decode(v.as_str().expect("a screenshot is a base64 string"))
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self.driver.call("DELETE", &format!("/session/{}", self.id), None);
    }
}

/// One HTTP/1.1 request to chromedriver, its body read by `Content-Length` (chromedriver
/// answers `Connection: close` but may keep the socket open, so reading to the end would
/// wait for its timeout).
fn exchange(addr: &str, method: &str, path: &str, body: Option<String>) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    // Starting a session starts Chromium; everything else answers at once.
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad status line {line:?}")))?;
    let mut length = None;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut bytes = Vec::new();
    match length {
        Some(n) => {
            bytes.resize(n, 0);
            r.read_exact(&mut bytes)?;
        }
        None => {
            r.read_to_end(&mut bytes)?;
        }
    }
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Decodes standard base64 (RFC 4648, padding optional), as WebDriver sends screenshots.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("{:?} is not a base64 digit", char::from(c)),
        }
    };
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &c)| n | (value(c) << (18 - 6 * i)));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decode_reads_rfc_4648_test_vectors() {
    for (expected, text) in
        [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")]
    {
        assert_eq!(base64_decode(text), expected.as_bytes(), "{text:?}");
    }
}
