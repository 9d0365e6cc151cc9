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
//! scenario has (see [`SCENARIO_KEYS`]), or a key only a scenario's queues or teams have
//! (`arrivals`, `agents`, ...), makes it a scenario, anything else a config. A file that
//! does not parse is one syntax problem, of no kind.

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
    /// `null` when the file does not parse (or is empty) and `--kind` was not given.
    kind: Option<Kind>,
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

/// Keys of queue and team entries that only a scenario has (a config's queues take
/// `channels`, not `channel`, and its teams hold no agents).
const SCENARIO_QUEUE_KEYS: &[&str] = &[
    "channel",
    "arrivals",
    "handle_time",
    "handle_time_by_category",
    "patience",
    "mix",
    "bot",
    "first_reply",
    "conversation",
    "reopen",
    "transfer",
    "engine",
];
const SCENARIO_TEAM_KEYS: &[&str] = &["agents", "named", "capacity", "languages", "shifts", "at_shift_end", "engine"];

/// What the file looks like: a scenario if a top-level key, or a key of one of its queues
/// or teams, is one only a scenario has; a config otherwise. `None` for a file holding
/// nothing (empty, comments only, `{}`). A
/// file that does not parse is a syntax problem.
fn guess_kind(text: &str, format: Format) -> Result<Option<Kind>, Problem> {
    let top: serde_json::Map<String, serde_json::Value> = match format {
        Format::Toml => match text.parse::<toml::Table>() {
            Ok(t) => serde_json::to_value(t).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default(),
            Err(e) => {
                let p = toml_problem(text, &e);
                return Err(Problem { message: format!("TOML syntax error: {}", p.message), ..p });
            }
        },
        Format::Json => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => {
                return Err(Problem { path: "(top level)".to_owned(), message: "expected a JSON object".to_owned() });
            }
            Err(e) => {
                let p = json_problem(&e);
                return Err(Problem { message: format!("JSON syntax error: {}", p.message), ..p });
            }
        },
    };
    if top.is_empty() {
        return Ok(None);
    }
    let entries_have = |list: &str, keys: &[&str]| {
        top.get(list).and_then(|v| v.as_array()).is_some_and(|entries| {
            entries.iter().filter_map(|e| e.as_object()).any(|e| e.keys().any(|k| keys.contains(&k.as_str())))
        })
    };
    let scenario = top.keys().any(|k| SCENARIO_KEYS.contains(&k.as_str()))
        || entries_have("queues", SCENARIO_QUEUE_KEYS)
        || entries_have("teams", SCENARIO_TEAM_KEYS);
    Ok(Some(if scenario { Kind::Scenario } else { Kind::Config }))
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
    // Decoded through `serde_path_to_error`, so that a field of the wrong type or an
    // unknown name is reported at its path (`teams[2].tier`), with its line and column.
    let at_path = |path: &serde_path_to_error::Path, p: Problem| {
        let path = path.to_string();
        if path.is_empty() || path == "." {
            p
        } else {
            Problem { message: format!("{} ({})", p.message, p.path), path }
        }
    };
    let spec: cs_core::ConfigSpec = match format {
        Format::Toml => {
            let de = match toml::Deserializer::parse(text) {
                Ok(de) => de,
                Err(e) => return vec![toml_problem(text, &e)],
            };
            match serde_path_to_error::deserialize(de) {
                Ok(s) => s,
                Err(e) => return vec![at_path(e.path(), toml_problem(text, e.inner()))],
            }
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize(&mut de) {
                Ok(s) => s,
                Err(e) => return vec![at_path(e.path(), json_problem(e.inner()))],
            }
        }
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
    let text = cs_sim::read_text(&a.file).map_err(|why| anyhow::anyhow!("{file}: {why}"))?;
    let (kind, problems) = match guess_kind(&text, format) {
        Err(p) => (a.kind, vec![p]),
        Ok(guessed) => match a.kind.or(guessed) {
            Some(Kind::Config) => (Some(Kind::Config), config_problems(&text, format)),
            Some(Kind::Scenario) => (Some(Kind::Scenario), scenario_problems(&text, format, &file)),
            None => {
                let message = match format {
                    Format::Toml => "holds nothing: a scenario needs at least name, duration_s, [[queues]] and \
                                     [[teams]]; a config at least skills, teams and queues",
                    Format::Json => "holds nothing: a config needs at least skills, teams and queues",
                };
                (None, vec![Problem { path: "(file)".to_owned(), message: message.to_owned() }])
            }
        },
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
