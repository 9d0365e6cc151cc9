//! Hostile clients against the real `cs serve`: bodies trickled byte by byte, idle and
//! surplus connections, deep JSON, wrong types, huge and negative numbers, unicode edge
//! cases, forged tokens. Each gets its documented answer; none a hang, a crash or a
//! server that stops answering others.

use crate::http::{Server, try_request};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const TOKEN: &str = "hostile-token";

fn start(dir: &tempfile::TempDir, server: &str) -> Server {
    let text = format!(
        r#"
[server]
{server}

[[tenants]]
name = "acme"
token_sha256 = "{}"
[tenants.engine]
skills = ["general"]
teams = [{{ name = "support" }}]
[[tenants.engine.queues]]
name = "general"
channels = ["chat"]
"#,
        cs_http::config::hex(&cs_http::token_digest(TOKEN))
    );
    let path = dir.path().join("hostile.toml");
    std::fs::write(&path, text).unwrap();
    Server::start(&path, dir.path().join("store").to_str().unwrap(), &[])
}

/// Reads until the server closes the connection or `within` passes; true if it closed.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
        if Instant::now() >= deadline {
            return false;
        }
    }
}

#[test]
fn a_body_trickled_byte_by_byte_gets_408_and_others_are_served_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir, "body_read_timeout_s = 1");
    let body = br#"{"id":"T-1","customer":"c","channel":"chat"}"#;
    let mut sock = TcpStream::connect(&s.addr).unwrap();
    let head = format!(
        "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    for b in body.iter() {
        // Meanwhile the server answers everyone else.
        assert_eq!(s.call("GET", "/healthz", None, None).status, 200);
        if sock.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(150));
        sock.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
        let mut buf = [0u8; 4096];
        if let Ok(n) = sock.read(&mut buf) {
            answer += &String::from_utf8_lossy(&buf[..n]);
            if n == 0 || answer.contains("\r\n\r\n{") {
                break;
            }
        }
    }
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut rest = Vec::new();
    let _ = sock.read_to_end(&mut rest);
    answer += &String::from_utf8_lossy(&rest);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_too_slow"), "{answer}");
    assert_eq!(s.call("GET", "/v1/tickets/T-1", Some(TOKEN), None).status, 404, "nothing was created");
}

#[test]
fn idle_and_surplus_connections_are_closed_and_real_clients_served() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir, "header_read_timeout_s = 1\nconnections_max = 16");
    // 16 idle connections fill the server's allowance...
    let mut idle: Vec<TcpStream> = (0..16).map(|_| TcpStream::connect(&s.addr).unwrap()).collect();
    // ...so further ones are closed as they come (the OS may still accept them first).
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(&s.addr).unwrap();
    assert!(closed_within(&mut extra, Duration::from_secs(2)), "a connection past the limit is closed");
    // Idle connections that never send headers are closed after the header timeout...
    for c in &mut idle {
        assert!(closed_within(c, Duration::from_secs(5)), "an idle connection is closed");
    }
    // ...and the server answers again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(r) = try_request(&s.addr, "GET", "/healthz", None, None, &[])
            && r.status == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not recover");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Half a request line, then nothing: closed too.
    let mut half = TcpStream::connect(&s.addr).unwrap();
    half.write_all(b"POST /v1/tick").unwrap();
    assert!(closed_within(&mut half, Duration::from_secs(5)));
}

#[test]
fn hostile_bodies_get_their_documented_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir, "body_bytes_max = 65536");
    let post = |path: &str, body: &str| s.call("POST", path, Some(TOKEN), Some(body));
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (deep, "/v1/tickets", 400, "bad_field"),
        (
            format!(
                r#"{{"id": "T", "customer": "c", "channel": "chat", "skills": {}{}}}"#,
                "[".repeat(5000),
                "]".repeat(5000)
            ),
            "/v1/tickets",
            400,
            "bad_json",
        ),
        (r#"{"id": 7, "customer": "c", "channel": "chat"}"#.into(), "/v1/tickets", 400, "bad_field"),
        (r#"{"id": "T", "customer": "c", "channel": "chat", "ttl_s": -5}"#.into(), "/v1/tickets", 400, "bad_field"),
        (r#"{"id": "T", "customer": "c", "channel": "chat", "ttl_s": 1e400}"#.into(), "/v1/tickets", 400, "bad_json"),
        (r#"{"id": "a", "team": "support", "capacity": {"chat": 300}}"#.into(), "/v1/agents", 400, "bad_field"),
        (r#"{"id": "a", "team": "support", "skills": {"general": 9}}"#.into(), "/v1/agents", 400, "bad_field"),
        (r#"{"id": "T\u0000x", "customer": "c", "channel": "chat"}"#.into(), "/v1/tickets", 400, "bad_field"),
        (
            format!(r#"{{"id": "{}", "customer": "c", "channel": "chat"}}"#, "é".repeat(200)),
            "/v1/tickets",
            400,
            "bad_field",
        ),
        ("\u{feff}{}".into(), "/v1/tickets", 400, "bad_json"),
        (r#"["id", "T"]"#.into(), "/v1/tickets", 400, "bad_field"),
        ("null".into(), "/v1/tickets", 400, "bad_field"),
    ];
    for (body, path, status, code) in cases {
        let r = post(path, &body);
        assert_eq!((r.status, r.code().as_str()), (status, code), "{}: {}", &body[..body.len().min(60)], r.body);
    }
    // Unicode that is fine is fine: an emoji id round-trips.
    let r = post("/v1/tickets", r#"{"id": "🎫-1", "customer": "ç-ü", "channel": "chat"}"#);
    assert_eq!(r.status, 201, "{}", r.body);
    let got = s.call("GET", "/v1/tickets/%F0%9F%8E%AB-1", Some(TOKEN), None);
    assert_eq!(got.json()["id"], "🎫-1", "{}", got.body);
    // Forged tokens: a prefix, the hash itself, another scheme.
    for auth in [TOKEN[..5].to_owned(), cs_http::config::hex(&cs_http::token_digest(TOKEN)), String::new()] {
        let r = s.call("GET", "/v1/queues", Some(&auth), None);
        assert_eq!(r.status, 401, "{auth:?}");
    }
    let r = s.call_with("GET", "/v1/queues", None, None, &[("Authorization", &format!("Basic {TOKEN}"))]);
    assert_eq!(r.status, 401);
}
