//! `cs validate`: check a file and list every problem, one per line, `FILE: PATH: MESSAGE`.
//!
//! Configs (TOML or JSON, by extension) are decoded into `cs_core::ConfigSpec` and checked
//! by `cs_core::Config::new`, which reports every problem with its field path. A file that
//! does not even decode (a syntax error, an unknown field, a wrong type) has one problem
//! whose path is its line and column.
//!
//! Scenarios (TOML) are checked by `cs_sim::Scenario`, the same parser `cs simulate` uses,
//! which lists every problem with its field path, including the engine config the scenario
//! builds.
//!
//! The kind of file is `--kind`, or guessed from the content: a top-level key that only a
//! scenario has (see [`SCENARIO_KEYS`]) makes it a scenario, anything else a config.

use anyhow::bail;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Top-level keys that mark a scenario file rather than a config: the keys of a
/// `cs-sim` scenario that a `ConfigSpec` does not have (a scenario shares `queues` and
/// `teams` with a config).
pub const SCENARIO_KEYS: &[&str] =
    &["name", "seed", "start", "duration_s", "warmup_s", "service_level_target_s", "replications", "customers", "engine"];

/// What kind of file to check.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An engine config (skills, teams, queues, priority, limits).
    Config,
    /// A simulation scenario (TOML).
    Scenario,
}

/// Flags of `cs validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The file to check: `.toml` or `.json`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// What the file is (default: guessed from its top-level keys).
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Print one JSON object (`file`, `kind`, `ok`, `problems`) instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// One problem: where and what.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field path (`queues[1].skills.billing`) or, for a file that does not decode,
    /// `line L, column C`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Serialize, Debug)]
struct Output<'a> {
    file: String,
    kind: Kind,
    ok: bool,
    problems: &'a [Problem],
}

/// The file's syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Toml,
    Json,
}

fn format_of(path: &Path) -> anyhow::Result<Format> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("toml") => Ok(Format::Toml),
        Some("json") => Ok(Format::Json),
        _ => bail!("{}: unknown file type; expected a .toml or .json file", path.display()),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The top-level keys, or a syntax problem.
fn top_level_keys(text: &str, format: Format) -> Result<Vec<String>, Problem> {
    match format {
        Format::Toml => match text.parse::<toml::Table>() {
            Ok(t) => Ok(t.keys().cloned().collect()),
            Err(e) => Err(toml_problem(text, &e)),
        },
        Format::Json => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => Ok(m.keys().cloned().collect()),
            Ok(_) => Err(Problem { path: "(top level)".to_owned(), message: "expected a JSON object".to_owned() }),
            Err(e) => Err(json_problem(&e)),
        },
    }
}

fn toml_problem(text: &str, e: &toml::de::Error) -> Problem {
    let path = e.span().map_or_else(
        || "(file)".to_owned(),
        |s| {
            let (l, c) = line_col(text, s.start);
            format!("line {l}, column {c}")
        },
    );
    Problem { path, message: one_line(e.message()) }
}

fn json_problem(e: &serde_json::Error) -> Problem {
    // serde_json appends " at line L column C" to its message; the path carries it instead.
    let msg = e.to_string();
    let message = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m);
    Problem { path: format!("line {}, column {}", e.line(), e.column()), message: one_line(message) }
}

/// Every problem of a config text.
fn config_problems(text: &str, format: Format) -> Vec<Problem> {
    let spec: cs_core::ConfigSpec = match format {
        Format::Toml => match toml::from_str(text) {
            Ok(s) => s,
            Err(e) => return vec![toml_problem(text, &e)],
        },
        Format::Json => match serde_json::from_str(text) {
            Ok(s) => s,
            Err(e) => return vec![json_problem(&e)],
        },
    };
    match cs_core::Config::new(spec) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.into_iter().map(|p| Problem { path: p.path, message: one_line(&p.message) }).collect(),
    }
}

/// Every problem of a scenario text.
fn scenario_problems(text: &str, format: Format, file: &str) -> Vec<Problem> {
    if format != Format::Toml {
        return vec![Problem { path: "(file)".to_owned(), message: "scenarios are TOML files".to_owned() }];
    }
    match cs_sim::Scenario::from_toml_str(text, file) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.into_iter().map(|p| Problem { path: p.field, message: one_line(&p.reason) }).collect(),
    }
}

/// Runs `cs validate`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let file = a.file.display().to_string();
    let format = format_of(&a.file)?;
    let text = std::fs::read_to_string(&a.file).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let (kind, problems) = match top_level_keys(&text, format) {
        Err(p) => (a.kind.unwrap_or(Kind::Config), vec![p]),
        Ok(keys) => {
            let guessed = if keys.iter().any(|k| SCENARIO_KEYS.contains(&k.as_str())) {
                Kind::Scenario
            } else {
                Kind::Config
            };
            match a.kind.unwrap_or(guessed) {
                Kind::Config => (Kind::Config, config_problems(&text, format)),
                Kind::Scenario => (Kind::Scenario, scenario_problems(&text, format, &file)),
            }
        }
    };
    if a.json {
        super::print_json(&Output { file: file.clone(), kind, ok: problems.is_empty(), problems: &problems })?;
    } else if problems.is_empty() {
        super::print(&format!("{file}: ok\n"))?;
    } else {
        let lines: String = problems.iter().map(|p| format!("{file}: {}: {}\n", p.path, p.message)).collect();
        super::print(&lines)?;
    }
    if !problems.is_empty() {
        let n = problems.len();
        bail!("{file}: {n} problem{} found", if n == 1 { "" } else { "s" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
