//! SVG charts of a simulation run, written with plotters (no fonts or images needed).
//!
//! - `load.svg`: tickets waiting, agents busy and agents staffed over time;
//! - `service-level.svg`: service level per 15-minute interval, with the goal line;
//! - `waits.svg`: the distribution of waits of answered tickets;
//! - [`forecast`] and [`plan`]: the charts `cs forecast --svg` and `cs plan --svg` write.
//!
//! Titles go through [`printable`]: plotters escapes `&` and `<`, but a control character
//! would make the SVG invalid XML.

use crate::table::printable;
use anyhow::Context as _;
use cs_core::Timestamp;
use cs_core::metrics::{Counts, INTERVAL_MS};
use cs_sim::{Histogram, Sample};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (960, 480);

/// The files [`Charts::write_all`] writes into its folder.
pub const FILES: [&str; 3] = ["load.svg", "service-level.svg", "waits.svg"];

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// What the charts of one run are drawn from.
pub struct Charts<'a> {
    /// The run's name, at the head of every chart.
    pub title: &'a str,
    /// The start of simulated time (hours on the x axes count from it).
    pub start: Timestamp,
    /// Load over time (tickets waiting, agents busy and staffed).
    pub samples: &'a [Sample],
    /// Figures per 15-minute interval.
    pub intervals: &'a [(Timestamp, Counts)],
    /// Waits of answered tickets.
    pub waits: &'a Histogram,
    /// The service-level goal (a fraction), drawn as a line.
    pub service_level_goal: f64,
    /// The service-level threshold, in seconds.
    pub service_level_s: f64,
}

impl Charts<'_> {
    /// Writes the three charts into `dir` (created if needed); returns their paths.
    pub fn write_all(&self, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the plot folder", dir.display()))?;
        let paths = FILES.map(|f| dir.join(f));
        load(&paths[0], self.title, self.samples)?;
        service_level(
            &paths[1],
            self.title,
            self.start,
            self.intervals,
            self.service_level_goal,
            self.service_level_s,
        )?;
        wait_distribution(&paths[2], self.title, self.waits)?;
        Ok(paths.to_vec())
    }
}

/// One line of the load chart: its label, colour and value.
type Line = (&'static str, RGBColor, fn(&Sample) -> u32);

/// Tickets waiting, agents busy and staffed, against hours since the start.
pub fn load(path: &Path, title: &str, samples: &[Sample]) -> anyhow::Result<()> {
    let title = printable(title);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let hours = |s: &Sample| s.at_s / 3600.0;
    let x_max = samples.last().map_or(1.0, hours).max(1.0 / 60.0);
    let y_max = samples.iter().map(|s| s.waiting.max(s.agents_staffed).max(s.agents_busy)).max().unwrap_or(1).max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{title}: load over time"), ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..x_max, 0u32..(y_max + y_max / 10 + 1))
        .map_err(err)?;
    chart.configure_mesh().x_desc("hours since start").y_desc("count").draw().map_err(err)?;
    let series: [Line; 3] = [
        ("tickets waiting", RED, |s| s.waiting),
        ("agents busy", BLUE, |s| s.agents_busy),
        ("agents staffed", GREEN, |s| s.agents_staffed),
    ];
    for (label, color, value) in series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (hours(s), value(s))), &color))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Service level (answered within the threshold over offered) per 15-minute interval, as
/// bars over hours since the start, with a horizontal line at the goal.
pub fn service_level(
    path: &Path,
    title: &str,
    start: Timestamp,
    intervals: &[(Timestamp, Counts)],
    goal: f64,
    service_level_s: f64,
) -> anyhow::Result<()> {
    let title = printable(title);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let hours = |t: Timestamp| t.since(start) as f64 / 3_600_000.0;
    let width = INTERVAL_MS as f64 / 3_600_000.0;
    let x_max = intervals.last().map_or(1.0, |(t, _)| hours(*t) + width).max(width);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{title}: service level per 15 minutes (answered within {service_level_s} s / offered)"),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..x_max, 0f64..100f64)
        .map_err(err)?;
    chart.configure_mesh().x_desc("hours since start").y_desc("service level, %").draw().map_err(err)?;
    chart
        .draw_series(intervals.iter().filter_map(|(t, c)| {
            let sl = c.service_level()?;
            let x = hours(*t);
            let color = if sl >= goal { GREEN.mix(0.7) } else { RED.mix(0.7) };
            Some(Rectangle::new([(x, 0.0), (x + width * 0.9, sl * 100.0)], color.filled()))
        }))
        .map_err(err)?
        .label("service level")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], GREEN.mix(0.7).filled()));
    chart
        .draw_series(LineSeries::new([(0.0, goal * 100.0), (x_max, goal * 100.0)], BLACK.stroke_width(2)))
        .map_err(err)?
        .label(format!("goal {:.0} %", goal * 100.0))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// The wait distribution of answered tickets: share of waits per bin, up to the bin below
/// which 99 % of waits fall (the rest are summed in the last bar).
pub fn wait_distribution(path: &Path, title: &str, h: &Histogram) -> anyhow::Result<()> {
    let title = printable(title);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let total = h.count.max(1) as f64;
    // Show bins up to the 99th percentile, at least 10.
    let mut seen = 0;
    let mut last = h.counts.len();
    for (i, &c) in h.counts.iter().enumerate() {
        seen += c;
        if seen as f64 >= 0.99 * total {
            last = i + 1;
            break;
        }
    }
    let last = last.max(10).min(h.counts.len());
    let rest: u64 = h.counts[last..].iter().sum::<u64>() + h.overflow;
    let mut bars: Vec<(f64, f64)> =
        h.counts[..last].iter().enumerate().map(|(i, &c)| (i as f64 * h.bin_s, c as f64 / total)).collect();
    if rest > 0 {
        bars.push((last as f64 * h.bin_s, rest as f64 / total));
    }
    let y_max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(0.01) * 1.1;
    let x_max = (bars.len() as f64) * h.bin_s;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{title}: waits of answered tickets ({} answered)", h.count), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(format!("wait, s (bins of {} s; the last bar holds everything longer)", h.bin_s))
        .y_desc("share of answered tickets")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            bars.iter().map(|&(x, y)| Rectangle::new([(x, 0.0), (x + h.bin_s * 0.9, y)], BLUE.mix(0.7).filled())),
        )
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// The last week of history, the forecast and its prediction interval, one colour per
/// queue, against hours from the forecast's start (history at negative hours).
pub fn forecast(path: &Path, history: &cs_plan::History, f: &cs_plan::forecast::Forecast) -> anyhow::Result<()> {
    const PALETTE: [RGBColor; 6] = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let shown = history.len().min(cs_plan::INTERVALS_PER_WEEK);
    let first = history.len() - shown;
    let hour = |i: i64| i as f64 / 4.0;
    let y_max = history
        .queues
        .iter()
        .flat_map(|q| q.counts[first..].iter().copied())
        .chain(f.queues.iter().flat_map(|q| q.intervals.iter().map(|p| p.upper)))
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption("arrivals per 15 minutes: history, forecast and prediction interval", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(hour(-(shown as i64))..hour(f.horizon_intervals as i64), 0f64..y_max * 1.05)
        .map_err(err)?;
    chart.configure_mesh().x_desc("hours from the forecast's start").y_desc("arrivals").draw().map_err(err)?;
    for (k, (h, q)) in history.queues.iter().zip(&f.queues).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let band: Vec<(f64, f64)> = q
            .intervals
            .iter()
            .enumerate()
            .map(|(i, p)| (hour(i as i64), p.upper))
            .chain(q.intervals.iter().enumerate().rev().map(|(i, p)| (hour(i as i64), p.lower)))
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.15)))).map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                h.counts[first..].iter().enumerate().map(|(i, &c)| (hour(i as i64 - shown as i64), c)),
                color.mix(0.5),
            ))
            .map_err(err)?
            .label(format!("{} history", printable(&h.name)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.mix(0.5)));
        chart
            .draw_series(LineSeries::new(
                q.intervals.iter().enumerate().map(|(i, p)| (hour(i as i64), p.arrivals)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!("{} forecast", printable(&q.name)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// A plan per queue: agents required (no reserve), with the reserve, and scheduled by the
/// shifts per 15-minute interval; with a verification, the intervals that miss marked.
pub fn plan(
    path: &Path,
    plan: &cs_plan::plan::Plan,
    verified: Option<&cs_plan::verify::Verification>,
) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (SIZE.0, SIZE.1 * plan.queues.len().max(1) as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let areas = root.split_evenly((plan.queues.len().max(1), 1));
    for (k, (q, area)) in plan.queues.iter().zip(&areas).enumerate() {
        let hour = |i: usize| i as f64 / 4.0;
        let y_max = q.scheduled.iter().chain(&q.with_reserve).copied().max().unwrap_or(1).max(1);
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{}: agents per 15 minutes (reserve {:.0} %)", printable(&q.name), plan.reserve * 100.0),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..hour(plan.horizon_intervals), 0f64..f64::from(y_max) * 1.1 + 1.0)
            .map_err(err)?;
        chart.configure_mesh().x_desc("hours from the plan's start").y_desc("agents").draw().map_err(err)?;
        let steps = |v: &[u32]| -> Vec<(f64, f64)> {
            v.iter().enumerate().flat_map(|(i, &a)| [(hour(i), f64::from(a)), (hour(i + 1), f64::from(a))]).collect()
        };
        type Row<'a> = (&'a str, RGBColor, &'a [u32]);
        let rows: [Row; 3] = [
            ("required", RED, &q.required),
            ("with reserve", MAGENTA, &q.with_reserve),
            ("scheduled", BLUE, &q.scheduled),
        ];
        for (label, color, v) in rows {
            chart
                .draw_series(LineSeries::new(steps(v), color.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        if let Some(v) = verified {
            let missed: Vec<(f64, f64)> = v
                .checks
                .iter()
                .enumerate()
                .filter(|(_, c)| c.queues.get(k).is_some_and(|qc| !qc.met))
                .map(|(i, _)| (hour(i) + 0.125, 0.5))
                .collect();
            chart
                .draw_series(missed.into_iter().map(|p| Cross::new(p, 5, RED.stroke_width(2))))
                .map_err(err)?
                .label("interval missing the target (simulated)")
                .legend(|(x, y)| Cross::new((x + 10, y), 5, RED.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title holding a control character (which the scenarios refuse, but a caller may
    /// pass anything) still gives a chart whose text is valid XML: no raw control byte.
    #[test]
    fn titles_with_control_characters_stay_valid_xml() {
        let dir = std::env::temp_dir().join(format!("cs-plot-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("load.svg");
        load(&path, "A & B <x> \u{7}\u{1b}[31m", &[]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!svg.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r'), "{svg}");
        assert!(svg.contains("A &amp; B &lt;x&gt; \\u{7}\\u{1b}[31m"), "{svg}");
    }
}
