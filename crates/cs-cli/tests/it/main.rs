//! Integration tests of the `cs` binary: each runs the built executable on real inputs.

mod chaos;
mod dashboard;
mod desk;
mod erlang;
mod explain;
mod forecast;
mod hostile;
mod hostile_cli;
mod http;
mod plan;
mod replay;
mod serve;
mod serve_cluster;
mod simulate;
mod soak;
mod store;
mod validate;
mod webdriver;

use std::process::Command;

/// What a run of `cs` printed and how it ended.
pub struct Run {
    /// Exit status code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout parsed as one JSON object.
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.stdout.lines().count(), 1, "one JSON object on one line: {}", self.stdout);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// Runs `cs` with these arguments.
pub fn cs<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_cs")).args(args).output().expect("cs runs");
    Run {
        code: out.status.code().expect("cs exits with a code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A fresh path under cargo's scratch directory for integration tests.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cs-cli-it");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Asserts `a` and `b` agree to 12 significant digits (JSON float parsing is best-effort
/// to the last bit).
pub fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0), "{what}: {a} != {b}");
}

/// Asserts a JSON figure equals an optional ratio (`null` for `None`).
pub fn same(json: &serde_json::Value, expect: Option<f64>, what: &str) {
    match expect {
        None => assert!(json.is_null(), "{what}: expected null, got {json}"),
        Some(x) => close(json.as_f64().unwrap_or_else(|| panic!("{what}: {json} is not a number")), x, what),
    }
}
