//! `cs forecast`: arrivals per queue per 15-minute interval for a horizon, from an event
//! log (a file or a store's partition) or a CSV of interval counts, with `cs_plan`'s
//! MSTL + AutoETS model beside a seasonal-naive baseline; `--backtest` holds out the last
//! days and scores both.

use anyhow::{Context as _, bail};
use cs_cli::table::{Table, percent};
use cs_plan::History;
use cs_plan::forecast::{Options, Surge, backtest, forecast};
use std::path::PathBuf;

/// Flags of `cs forecast`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The history: a JSON-lines event log, or a CSV of interval counts (a `.csv` file:
    /// columns interval, queue, arrivals and optionally channel).
    #[arg(value_name = "HISTORY", required_unless_present = "store", conflicts_with = "store")]
    pub history: Option<PathBuf>,
    /// Read the history from a store's partition instead: a folder or a `postgres://` URL.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// The partition of `--store`.
    #[arg(long, value_name = "P", default_value = cs_durable::DEFAULT_PARTITION, requires = "store")]
    pub partition: String,
    /// How far ahead: a duration in whole 15 minutes (48h, 2d, 90m), up to four weeks.
    #[arg(long, value_name = "DURATION", default_value = "48h", value_parser = horizon)]
    pub horizon: usize,
    /// Hold out the last --days days, forecast them from the rest, and report WAPE and
    /// bias per queue against the seasonal-naive baseline.
    #[arg(long)]
    pub backtest: bool,
    /// Days held out by --backtest. Default: 7, or as many as leave two days to fit on
    /// in a shorter history (at least 1).
    #[arg(long, value_name = "N", requires = "backtest", value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: Option<u32>,
    /// Level of the prediction interval: 0.8, 80 or 80%.
    #[arg(long, value_name = "SHARE", default_value = "0.8", value_parser = cs_cli::flags::service_level)]
    pub level: f64,
    /// A known surge: FROM,TO,MULTIPLIER[,QUEUE] (RFC 3339 times), e.g.
    /// 2026-02-02T10:00:00Z,2026-02-02T12:00:00Z,3,chat. Repeatable; overlapping surges
    /// multiply.
    #[arg(long, value_name = "SURGE", value_parser = surge)]
    pub surge: Vec<Surge>,
    /// Print one JSON object instead of tables (the input of `cs plan`).
    #[arg(long)]
    pub json: bool,
    /// Also write the forecast as CSV (interval, queue, channel, arrivals, lower, upper,
    /// baseline).
    #[arg(long, value_name = "FILE", conflicts_with = "backtest")]
    pub csv: Option<PathBuf>,
    /// Also write an SVG chart: the last week of history, the forecast and its prediction
    /// interval per queue.
    #[arg(long, value_name = "FILE", conflicts_with = "backtest")]
    pub svg: Option<PathBuf>,
}

fn surge(s: &str) -> Result<Surge, String> {
    s.parse()
}

/// `48h`, `2d`, `90m` as 15-minute intervals.
pub fn horizon(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, unit_min) = match t.char_indices().last() {
        Some((i, 'h')) => (&t[..i], 60.0),
        Some((i, 'd')) => (&t[..i], 1440.0),
        Some((i, 'm')) => (&t[..i], 1.0),
        _ => return Err(format!("{t:?}: give a duration with its unit: 48h, 2d or 90m")),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("{t:?}: {num:?} is not a number"))?;
    let minutes = v * unit_min;
    if !(minutes.is_finite() && minutes >= 15.0 && (minutes / 15.0).fract() == 0.0) {
        return Err(format!("{t:?} must be a positive whole number of 15 minutes"));
    }
    let n = (minutes / 15.0) as usize;
    if n > cs_plan::forecast::HORIZON_MAX {
        return Err(format!("{t:?} is more than four weeks"));
    }
    Ok(n)
}

/// Reads the history from a CSV, a log file or a store.
pub fn read_history(path: Option<&std::path::Path>, store: Option<&str>, partition: &str) -> anyhow::Result<(String, History)> {
    match (path, store) {
        (Some(path), _) if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).with_context(|| format!("{name}: cannot read"))?;
            Ok((name.clone(), History::from_csv(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?))
        }
        (Some(path), _) => {
            let name = path.display().to_string();
            let read = super::replay::read(path, None)?;
            if let Some(t) = &read.torn_tail {
                eprintln!("warning: {name}:{}: torn last line ignored", t.line);
            }
            let Some(cs_core::Event::Configured { .. }) = read.events.first() else {
                bail!("{name}: the first event is not Configured: this is not the start of an event log");
            };
            // Checked as `cs replay` checks it, a bad event named by its line.
            let (_, metrics) = super::replay_log::<cs_core::metrics::Metrics>(path, &read.events)?;
            Ok((name.clone(), History::from_log(&read.events, &metrics).map_err(|e| anyhow::anyhow!("{name}: {e}"))?))
        }
        (None, Some(location)) => {
            let s = super::open_existing_store(location)?;
            let name = format!("{} partition {partition}", s.describe());
            let read = super::replay::read_store(&*s, partition, None)?;
            Ok((name.clone(), History::from_events(&read.events).map_err(|e| anyhow::anyhow!("{name}: {e}"))?))
        }
        (None, None) => bail!("give a history file or --store"),
    }
}

/// Runs `cs forecast`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let (name, history) = read_history(a.history.as_deref(), a.store.as_deref(), &a.partition)?;
    if a.backtest {
        let whole_days = history.len() / cs_plan::INTERVALS_PER_DAY;
        let days = a.days.map_or_else(|| whole_days.saturating_sub(2).clamp(1, 7), |d| d as usize);
        let b = backtest(&history, days, a.level).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if a.json {
            return super::print_json(&b);
        }
        let mut out = format!(
            "{name}: backtest holding out {} day(s), {} .. {}, fitted on {} intervals (seasons {:?})\n\n",
            b.holdout_days, b.from, b.to, b.train_intervals, b.seasons
        );
        let mut t = Table::new(&["queue", "method", "actual", "forecast", "WAPE", "bias", "naive WAPE", "naive bias", "better"])
            .left(0)
            .left(1);
        for q in &b.queues {
            t.row(vec![
                q.name.clone(),
                q.method.clone(),
                format!("{:.0}", q.actual),
                format!("{:.0}", q.forecast),
                percent(q.wape),
                percent(q.bias),
                percent(q.baseline_wape),
                percent(q.baseline_bias),
                if q.beats_baseline { "yes" } else { "no" }.to_owned(),
            ]);
        }
        out += &t.render();
        return super::print(&out);
    }
    let f = forecast(&history, &Options { horizon: a.horizon, level: a.level, surges: a.surge.clone() })
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if let Some(path) = &a.csv {
        let mut text = String::from("interval,queue,channel,arrivals,lower,upper,baseline\n");
        for q in &f.queues {
            for p in &q.intervals {
                text += &format!(
                    "{},{},{},{},{},{},{}\n",
                    p.start,
                    q.name,
                    q.channel.as_deref().unwrap_or(""),
                    p.arrivals,
                    p.lower,
                    p.upper,
                    p.baseline
                );
            }
        }
        std::fs::write(path, text).with_context(|| format!("{}: cannot write the CSV", path.display()))?;
    }
    if let Some(path) = &a.svg {
        cs_cli::plot::forecast(path, &history, &f).with_context(|| format!("{}: writing the chart", path.display()))?;
    }
    if a.json {
        return super::print_json(&f);
    }
    let mut out = format!(
        "{name}: {} intervals of history from {}; forecast of {} intervals from {} (seasons {:?}, {:.0} % prediction \
         intervals)\n\n",
        f.history_intervals,
        f.history_start,
        f.horizon_intervals,
        f.start,
        f.seasons,
        f.level * 100.0
    );
    let mut t = Table::new(&["queue", "channel", "method", "arrivals", "peak / 15 min"]).left(0).left(1).left(2);
    for q in &f.queues {
        let peak = q.intervals.iter().map(|p| p.arrivals).fold(0.0, f64::max);
        t.row(vec![
            q.name.clone(),
            q.channel.clone().unwrap_or_default(),
            q.method.clone(),
            format!("{:.0}", q.total),
            format!("{peak:.1}"),
        ]);
    }
    out += &t.render();
    // Hourly sums, one column per queue.
    let mut header = vec!["hour"];
    header.extend(f.queues.iter().map(|q| q.name.as_str()));
    let mut hours = Table::new(&header).left(0);
    for h in (0..f.horizon_intervals).step_by(4) {
        let mut row = vec![f.queues[0].intervals[h].start.clone()];
        for q in &f.queues {
            let sum: f64 = q.intervals[h..(h + 4).min(f.horizon_intervals)].iter().map(|p| p.arrivals).sum();
            row.push(format!("{sum:.1}"));
        }
        hours.row(row);
    }
    out += "\nper hour\n";
    out += &hours.render();
    if let Some(p) = &a.csv {
        out += &format!("\nforecast written to {}\n", p.display());
    }
    if let Some(p) = &a.svg {
        out += &format!("chart written to {}\n", p.display());
    }
    super::print(&out)
}
