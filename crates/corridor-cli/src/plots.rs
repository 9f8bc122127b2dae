//! The rehearsal's plots as SVG files (plotters, SVG backend only: no system fonts needed).

use std::path::Path;

use corridor_core::{Scenario, Seconds};
use corridor_sim::{RunResult, Summary, Use, shares_ranked};
use plotters::coord::Shift;
use plotters::prelude::*;

const SIZE: (u32, u32) = (1100, 620);
const TIER_COLOURS: [RGBColor; 4] = [
    RGBColor(200, 30, 30),
    RGBColor(230, 140, 0),
    RGBColor(30, 90, 200),
    RGBColor(40, 40, 40),
];
const TIER_NAMES: [&str; 4] = [
    "tier 1 (critical medical)",
    "tier 2 (vulnerable)",
    "tier 3 (general)",
    "everyone",
];

/// A plot's title: the subject, then as much of the scenario's name as fits on one line.
fn title(subject: &str, s: &Scenario) -> String {
    const WIDTH: usize = 88;
    let room = WIDTH.saturating_sub(subject.chars().count() + 3);
    let name: String = if s.name.chars().count() <= room {
        s.name.clone()
    } else {
        let mut n: String = s.name.chars().take(room.saturating_sub(1)).collect();
        n.push('…');
        n
    };
    format!("{name}: {subject}")
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the plot: {e}")
}

fn area(path: &Path) -> anyhow::Result<DrawingArea<SVGBackend<'_>, Shift>> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    Ok(root)
}

/// How the time axis is labelled: dates when the scenario has a start, else hours from it.
fn time_label(s: &Scenario, hours: f64) -> String {
    let t = Seconds((hours * 3600.0).round() as i64);
    match &s.clock {
        Some(c) => c.format(t).replacen(' ', "\n", 0),
        None => format!("+{hours:.0} h"),
    }
}

fn time_axis(s: &Scenario) -> String {
    match &s.clock {
        Some(c) => format!("local time (UTC{})", c.offset_text()),
        None => "hours from the start".into(),
    }
}

/// People delivered over time, per tier: the median run as a line, P10–P90 of runs as a band.
pub(crate) fn evacuation(
    path: &Path,
    s: &Scenario,
    sum: &Summary,
    runs: u64,
) -> anyhow::Result<()> {
    let root = area(path)?;
    let c = &sum.curve;
    let x_end = c.times.last().map_or(1.0, |t| t.as_hours()).max(1.0);
    let y_end = f64::from(c.total[3].max(1)) * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            title(
                &format!("people delivered over time ({runs} rehearsal runs)"),
                s,
            ),
            ("sans-serif", 24),
        )
        .margin(20)
        .margin_right(70)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..x_end, 0f64..y_end)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(7)
        .y_labels(8)
        .x_label_formatter(&|h| time_label(s, *h))
        .y_label_formatter(&|p| format!("{p:.0}"))
        .x_desc(time_axis(s))
        .y_desc("people delivered to a destination")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    for tier in (0..4).rev() {
        if c.total[tier] == 0 {
            continue;
        }
        let colour = TIER_COLOURS[tier];
        let xs: Vec<f64> = c.times.iter().map(|t| t.as_hours()).collect();
        let d = &c.delivered[tier];
        let mut band: Vec<(f64, f64)> = xs
            .iter()
            .zip(d)
            .map(|(&x, v)| (x, f64::from(v.2)))
            .collect();
        band.extend(xs.iter().zip(d).rev().map(|(&x, v)| (x, f64::from(v.0))));
        chart
            .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18))))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                xs.iter().zip(d).map(|(&x, v)| (x, f64::from(v.1))),
                colour.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!(
                "{} — {} people (median, band P10–P90)",
                TIER_NAMES[tier], c.total[tier]
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// How often each makespan happened, with the plan's own, P50, P90 and the deadline marked.
pub(crate) fn makespans(
    path: &Path,
    s: &Scenario,
    runs: &[RunResult],
    plan: Seconds,
    sum: &Summary,
    deadline: Option<Seconds>,
) -> anyhow::Result<()> {
    let root = area(path)?;
    // Every run's last delivery; runs that left people behind are drawn apart.
    let last = |r: &RunResult| r.makespan.as_hours();
    let all: Vec<(f64, bool)> = runs.iter().map(|r| (last(r), r.complete())).collect();
    let mut lo = all.iter().map(|x| x.0).fold(plan.as_hours(), f64::min);
    let mut hi = all.iter().map(|x| x.0).fold(plan.as_hours(), f64::max);
    if let Some(d) = deadline {
        lo = lo.min(d.as_hours());
        hi = hi.max(d.as_hours());
    }
    let span = (hi - lo).max(1.0);
    let (lo, hi) = (lo - span * 0.03, hi + span * 0.03);
    let bins = 40usize;
    let w = (hi - lo) / bins as f64;
    let mut done = vec![0u32; bins];
    let mut behind = vec![0u32; bins];
    for &(h, complete) in &all {
        let b = (((h - lo) / w) as usize).min(bins - 1);
        if complete {
            done[b] += 1;
        } else {
            behind[b] += 1;
        }
    }
    let top = done
        .iter()
        .zip(&behind)
        .map(|(a, b)| a + b)
        .max()
        .unwrap_or(1)
        .max(1);
    // Headroom for the legend above the tallest bar.
    let y_end = f64::from(top) * 1.5;
    let not_done = all.iter().filter(|x| !x.1).count();
    let caption = title(
        &format!("when the last evacuee arrives ({} runs)", runs.len()),
        s,
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 24))
        .margin(20)
        .margin_right(70)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(lo..hi, 0f64..y_end)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(7)
        .y_labels((top as usize + 1).min(10))
        .x_label_formatter(&|h| time_label(s, *h))
        .y_label_formatter(&|n| format!("{n:.0}"))
        .x_desc(format!("last evacuee unloaded, {}", time_axis(s)))
        .y_desc("runs")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    let bar = RGBColor(90, 120, 170);
    let grey = RGBColor(190, 190, 190);
    chart
        .draw_series(done.iter().enumerate().filter(|x| *x.1 > 0).map(|(i, &n)| {
            let x0 = lo + w * i as f64;
            Rectangle::new([(x0, 0.0), (x0 + w * 0.92, f64::from(n))], bar.filled())
        }))
        .map_err(err)?
        .label("runs that delivered everyone")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], bar.filled()));
    if not_done > 0 {
        chart
            .draw_series(
                behind
                    .iter()
                    .enumerate()
                    .filter(|x| *x.1 > 0)
                    .map(|(i, &n)| {
                        let x0 = lo + w * i as f64;
                        let base = f64::from(done[i]);
                        Rectangle::new(
                            [(x0, base), (x0 + w * 0.92, base + f64::from(n))],
                            grey.filled(),
                        )
                    }),
            )
            .map_err(err)?
            .label(format!(
                "runs that left people behind ({not_done}): their last delivery"
            ))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], grey.filled()));
    }
    let mut marks: Vec<(String, f64, RGBColor)> = vec![(
        format!("on paper: {}", s.show_time(plan)),
        plan.as_hours(),
        RGBColor(20, 150, 60),
    )];
    if let Some(p) = sum.p50 {
        marks.push((
            format!("P50: {}", s.show_time(p)),
            p.as_hours(),
            RGBColor(40, 40, 40),
        ));
    }
    if let Some(p) = sum.p90 {
        marks.push((
            format!("P90: {}", s.show_time(p)),
            p.as_hours(),
            RGBColor(150, 60, 160),
        ));
    }
    if let Some(d) = deadline {
        let share = sum.by_deadline.unwrap_or(0.0) * 100.0;
        marks.push((
            format!("deadline: {} ({share:.0} % of runs done)", s.show_time(d)),
            d.as_hours(),
            RGBColor(210, 30, 30),
        ));
    }
    // Where a corridor closes for good, nothing crosses after: worth seeing beside the runs.
    let closes = s
        .corridors
        .iter()
        .filter_map(|c| c.windows.last().map(|w| w.end))
        .filter(|&e| e < Seconds::MAX)
        .max();
    if let Some(e) = closes
        && e.as_hours() > lo
        && e.as_hours() < hi
    {
        marks.push((
            format!("last corridor window closes: {}", s.show_time(e)),
            e.as_hours(),
            RGBColor(230, 140, 0),
        ));
    }
    for (label, x, colour) in marks {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, y_end)],
                colour.stroke_width(2),
            )))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Where the vehicles' time went, as shares, largest first.
pub(crate) fn time_use(path: &Path, s: &Scenario, sum: &Summary, runs: u64) -> anyhow::Result<()> {
    let root = area(path)?;
    let ranked: Vec<(Use, f64)> = shares_ranked(sum)
        .into_iter()
        .filter(|x| x.1 > 0.0)
        .collect();
    let n = ranked.len().max(1) as i32;
    let x_end = ranked.first().map_or(10.0, |x| x.1 * 100.0).max(1.0) * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            title(
                &format!("where the vehicles' time went (mean of {runs} runs)"),
                s,
            ),
            ("sans-serif", 24),
        )
        .margin(20)
        .margin_right(70)
        .x_label_area_size(55)
        .y_label_area_size(230)
        .build_cartesian_2d(0f64..x_end, (0..n - 1).into_segmented())
        .map_err(err)?;
    let labels: Vec<String> = ranked.iter().map(|(u, _)| u.label().to_string()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(ranked.len().max(1))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => labels
                .get((n - 1 - *i).max(0) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|x| format!("{x:.0} %"))
        .x_desc("share of vehicle time, from the start of each working vehicle's shift to its last event")
        .label_style(("sans-serif", 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    let colour = RGBColor(90, 120, 170);
    chart
        .draw_series(ranked.iter().enumerate().map(|(i, (_, share))| {
            let row = n - 1 - i as i32;
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row)),
                    (share * 100.0, SegmentValue::Exact(row + 1)),
                ],
                colour.filled(),
            );
            // A gap between rows, so each bar reads as its own.
            bar.set_margin(7, 7, 0, 0);
            bar
        }))
        .map_err(err)?;
    chart
        .draw_series(ranked.iter().enumerate().map(|(i, (u, share))| {
            let row = n - 1 - i as i32;
            Text::new(
                format!(
                    "{:.1} % · {:.0} h per run",
                    share * 100.0,
                    sum.time_hours[*u as usize]
                ),
                (share * 100.0 + x_end * 0.01, SegmentValue::CenterOf(row)),
                ("sans-serif", 15),
            )
        }))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
