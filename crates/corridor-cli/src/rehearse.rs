//! `corridor rehearse`: run a plan many times against the scenario's disruptions
//! and say how long the evacuation will really take, and where the time goes;
//! or compare two plans on the same random streams.

use std::path::{Path, PathBuf};

use corridor_core::{ClosureEnd, Figures, Plan, PossibleClosure, Scenario, Seconds};
use corridor_formats::{Loaded, Problem, read_plan};
use corridor_sim::{
    Comparison, Outcomes, Prepared, RunResult, Summary, Use, rehearse, shares_ranked,
};
use serde_json::{Value, json};

use crate::commands::{print_warnings, report_problems};
use crate::output::violations_text;
use crate::plots;
use crate::{EXIT_VIOLATIONS, Format};

/// Points on the evacuation curve.
const CURVE_POINTS: usize = 200;

/// How to rehearse.
pub(crate) struct RehearseArgs {
    pub(crate) runs: u64,
    pub(crate) seed: u64,
    pub(crate) threads: usize,
    pub(crate) deadline: Option<String>,
    pub(crate) output: Option<PathBuf>,
    pub(crate) format: Format,
    /// Print the report (the demo in JSON mode writes the files only: one JSON document on stdout).
    pub(crate) print: bool,
}

/// `corridor rehearse SCENARIO PLAN [PLAN_B]`.
pub(crate) fn run(
    scenario: &Path,
    state: Option<&Path>,
    plans: &[PathBuf],
    args: &RehearseArgs,
) -> anyhow::Result<u8> {
    let format = args.format;
    let loaded = match crate::commands::load_scenario_at(scenario, state, None, format) {
        Ok((l, _)) => l,
        Err(code) => return Ok(code),
    };
    print_warnings(&loaded.warnings, format);
    let mut read = Vec::new();
    for path in plans {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let p = Problem::in_file(shown, format!("cannot read the plan file: {e}"));
                return Ok(report_problems(&p.into(), format));
            }
        };
        let (plan, warnings) = match read_plan(&shown, &text, &loaded.scenario) {
            Ok(x) => x,
            Err(p) => return Ok(report_problems(&p, format)),
        };
        print_warnings(&warnings, format);
        read.push((shown, plan));
    }
    rehearse_loaded(&loaded, &read, args)
}

/// Rehearses one plan, or compares two; prints the report and writes files into `args.output`.
pub(crate) fn rehearse_loaded(
    loaded: &Loaded,
    plans: &[(String, Plan)],
    args: &RehearseArgs,
) -> anyhow::Result<u8> {
    let s = &loaded.scenario;
    let format = args.format;
    if args.runs == 0 {
        let p = Problem::in_file("--runs", "at least one run is needed");
        return Ok(report_problems(&p.into(), format));
    }
    // Every run's result is kept for the percentiles, so a huge count would abort on a failed
    // allocation instead of saying so.
    if args.runs > MAX_RUNS {
        let p = Problem::in_file(
            "--runs",
            &format!(
                "at most {MAX_RUNS} runs: each run's result is kept in memory for the percentiles (10,000 runs already pin the P90 down to about half a percentile)"
            ),
        );
        return Ok(report_problems(&p.into(), format));
    }
    // Checked before the runs, so that a bad directory does not waste them.
    if let Some(dir) = &args.output
        && dir.exists()
        && !dir.is_dir()
    {
        let p = Problem::in_file(
            dir.display().to_string(),
            "this is a file; -o names a directory to write summary.json and the plots into",
        );
        return Ok(report_problems(&p.into(), format));
    }
    // A plan that breaks rules would rehearse a fiction: check it first.
    for (name, plan) in plans {
        let v = corridor_check::check(s, plan);
        if !v.is_empty() {
            match format {
                Format::Text => {
                    eprintln!("{name} breaks rules of the scenario; rehearse a valid plan:");
                    eprint!("{}", violations_text(s, &v));
                }
                Format::Json => println!(
                    "{}",
                    json!({"ok": false, "plan": name, "violations": v.len()})
                ),
            }
            return Ok(EXIT_VIOLATIONS);
        }
    }
    let deadline = match &args.deadline {
        None => None,
        Some(text) => match parse_deadline(text, s) {
            Ok(t) => Some(t),
            Err(m) => {
                let p = Problem::in_file("--deadline", m);
                return Ok(report_problems(&p.into(), format));
            }
        },
    };
    let runs = args.runs;
    let prepared: Vec<Prepared<'_>> = plans
        .iter()
        .map(|(_, p)| Prepared::new(s, p, &loaded.uncertainty))
        .collect();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(runs),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "rehearsing {bar:30} {pos}/{len} runs {elapsed:>4} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.max(1))
        .build()?;
    let results = pool.install(|| rehearse(&prepared, runs, args.seed, &|| bar.inc(1)));
    bar.finish_and_clear();

    let people = s.people_by_tier().map(|p| p.0);
    let summaries: Vec<Summary> = results
        .iter()
        .map(|r| Summary::of(r, people, deadline, CURVE_POINTS))
        .collect();
    let comparison =
        (results.len() == 2).then(|| Comparison::of(&results[0], &results[1], args.seed));

    let mut docs = Vec::new();
    for (i, ((name, plan), sum)) in plans.iter().zip(&summaries).enumerate() {
        let figures = Figures::of(s, plan);
        let mut doc = summary_json(s, name, &figures, sum, &results[i], deadline);
        doc["closures"] = closures_json(s, loaded.uncertainty.closures.closures(), sum);
        docs.push(doc);
    }
    let doc = json!({
        "ok": true,
        "scenario": s.name,
        "runs": runs,
        "seed": args.seed,
        "uncertainty": uncertainty_json(&loaded.uncertainty),
        "deadline": deadline.map(|d| s.show_time(d)),
        "plans": docs,
        "comparison": comparison.as_ref().map(comparison_json),
    });
    if let Some(dir) = &args.output {
        if let Err(e) = std::fs::create_dir_all(dir) {
            let p = Problem::in_file(
                dir.display().to_string(),
                format!("cannot create the output directory: {e}"),
            );
            return Ok(report_problems(&p.into(), format));
        }
        std::fs::write(
            dir.join("summary.json"),
            serde_json::to_string_pretty(&doc)?,
        )?;
        for (i, ((_, plan), sum)) in plans.iter().zip(&summaries).enumerate() {
            let prefix = match plans.len() {
                1 => String::new(),
                _ => format!("{}-", ["a", "b"][i.min(1)]),
            };
            let plan_makespan = Figures::of(s, plan).makespan;
            plots::evacuation(&dir.join(format!("{prefix}evacuation.svg")), s, sum, runs)?;
            plots::makespans(
                &dir.join(format!("{prefix}makespan.svg")),
                s,
                &results[i],
                plan_makespan,
                sum,
                deadline,
            )?;
            plots::time_use(&dir.join(format!("{prefix}time-use.svg")), s, sum, runs)?;
        }
    }
    if !args.print {
        return Ok(0);
    }
    match format {
        Format::Json => println!("{doc}"),
        Format::Text => {
            for (i, ((name, plan), sum)) in plans.iter().zip(&summaries).enumerate() {
                if plans.len() == 2 {
                    println!("Plan {} ({name})", ["A", "B"][i.min(1)]);
                }
                print!("{}", summary_text(s, plan, sum, runs, deadline));
                print!(
                    "{}",
                    closures_text(s, loaded.uncertainty.closures.closures(), sum)
                );
                println!();
            }
            if let Some(c) = &comparison {
                print!("{}", comparison_text(c, &summaries));
            }
            if let Some(dir) = &args.output {
                println!(
                    "Wrote {}: summary.json, evacuation.svg, makespan.svg, time-use.svg{}.",
                    dir.display(),
                    if plans.len() == 2 {
                        " (a- and b- for each plan)"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(0)
}

/// `2016-12-20 18:00` (in the scenario's offset), an ISO 8601 instant, or a duration from the start.
fn parse_deadline(text: &str, s: &Scenario) -> Result<Seconds, String> {
    let t = text.trim();
    let b = t.as_bytes();
    let local = b.len() == 16 && b[10] == b' ' && b[13] == b':';
    let full = match (&s.clock, local) {
        (Some(c), true) => format!("{}T{}:00{}", &t[..10], &t[11..], c.offset_text()),
        _ => t.to_string(),
    };
    let d = corridor_formats::parse_instant(&full, s.clock.as_ref())
        .map_err(|m| format!("cannot read the deadline `{t}`: {m}"))?;
    // The same bound as every time in a scenario or state file: far beyond any evacuation,
    // and far from overflowing the clock when the deadline is shown as a date.
    if d.0.abs() > corridor_formats::MAX_TIME.0 {
        return Err(format!(
            "the deadline `{t}` is more than 100 years from the scenario's start"
        ));
    }
    Ok(d)
}

fn hours(t: Seconds) -> f64 {
    (t.as_hours() * 10.0).round() / 10.0
}

/// A makespan as a time people read, with its length from the start.
fn when(s: &Scenario, t: Option<Seconds>) -> String {
    match t {
        Some(t) => format!("{} ({:.1} h)", s.show_time(t), t.as_hours()),
        None => "not everyone delivered".into(),
    }
}

fn summary_text(
    s: &Scenario,
    plan: &Plan,
    sum: &Summary,
    runs: u64,
    deadline: Option<Seconds>,
) -> String {
    let mut o = String::new();
    let f = Figures::of(s, plan);
    o += &format!("Rehearsal of the plan for \"{}\": {runs} runs.\n\n", s.name);
    o += &format!("  On paper:      {}\n", when(s, Some(f.makespan)));
    o += &format!("  P10:           {}\n", when(s, sum.p10));
    o += &format!("  P50 (median):  {}\n", when(s, sum.p50));
    o += &format!("  P90:           {}\n", when(s, sum.p90));
    o += &format!("  Worst:         {}\n", when(s, sum.worst));
    if let (Some(d), Some(p)) = (deadline, sum.by_deadline) {
        o += &format!(
            "  Everyone delivered by {}: {:.0} % of runs\n",
            s.show_time(d),
            p * 100.0
        );
    }
    if sum.complete_runs < sum.runs {
        o += &format!(
            "  Everyone delivered in {} of {} runs. In the others people were left behind (the corridor\n  \
             closed on them, or a deal or a lost vehicle held them): {} per run at P50, {} at P90\n  \
             (mean by tier: {:.0} / {:.0} / {:.0}).\n",
            sum.complete_runs,
            sum.runs,
            sum.stranded_p50_p90.0,
            sum.stranded_p50_p90.1,
            sum.stranded_per_run[0],
            sum.stranded_per_run[1],
            sum.stranded_per_run[2]
        );
        let (a, b, c) = sum.last_delivery;
        let last = |t: Option<Seconds>| t.map_or("nothing delivered".into(), |t| s.show_time(t));
        o += &format!(
            "  Last delivery of any run, whether or not it left people behind: P10 {}, P50 {}, P90 {}.\n",
            last(a),
            last(b),
            last(c)
        );
    }
    o += &format!(
        "  Disruptions per run (mean): {:.2} corridor suspensions, {:.2} vehicles lost ({:.0} % of runs lose one)\n",
        sum.suspensions_per_run,
        sum.losses_per_run,
        sum.runs_with_losses * 100.0
    );
    if sum.road_cuts_per_run > 0.0 {
        o += &format!(
            "  Vehicles cut off by road closures that never reopened: {:.2} per run\n",
            sum.road_cuts_per_run
        );
    }
    o += "\nPeople still waiting (median run; in brackets the P90 run):\n";
    o += &format!(
        "  {:<18} {:>16} {:>16} {:>16} {:>16}\n",
        "time", "tier 1", "tier 2", "tier 3", "everyone"
    );
    let end = sum
        .worst
        .or(sum.curve.times.last().copied())
        .unwrap_or(Seconds::ZERO);
    let start = sum.curve.times.first().copied().unwrap_or(Seconds::ZERO);
    for k in 0..=8 {
        let t = Seconds(start.0 + (end.0 - start.0) * k / 8);
        let w = sum.waiting_at(t);
        let cell = |(a, b): (u32, u32)| format!("{a} [{b}]");
        o += &format!(
            "  {:<18} {:>16} {:>16} {:>16} {:>16}\n",
            s.show_time(t),
            cell(w[0]),
            cell(w[1]),
            cell(w[2]),
            cell(w[3])
        );
    }
    o += "\nWhere the vehicles' time went:\n";
    for (u, share) in shares_ranked(sum) {
        if share > 0.0 {
            o += &format!(
                "  {:<28} {:>5.1} %  ({:.0} vehicle-hours per run)\n",
                u.label(),
                share * 100.0,
                sum.time_hours[u as usize]
            );
        }
    }
    o
}

/// When a possible closure happens, in words.
fn closure_when(s: &Scenario, c: &PossibleClosure) -> String {
    let begins = if c.latest_from > c.from {
        format!(
            "closes between {} and {}",
            s.show_time(c.from),
            s.show_time(c.latest_from)
        )
    } else if c.from <= Seconds::ZERO {
        "closed from the start".to_string()
    } else {
        format!("closes at {}", s.show_time(c.from))
    };
    let ends = match c.end {
        ClosureEnd::Never => "and stays closed".to_string(),
        ClosureEnd::At(t) => format!("until {}", s.show_time(t)),
        ClosureEnd::MeanDuration(m) => format!("for {:.1} h on average", m.as_hours()),
    };
    format!("{begins} {ends}")
}

/// How often each possible road closure happened and what it cost; empty without any.
fn closures_text(s: &Scenario, closures: &[PossibleClosure], sum: &Summary) -> String {
    if closures.is_empty() {
        return String::new();
    }
    let show = |x: Option<Seconds>| {
        x.map_or("not everyone delivered".to_string(), |t| {
            format!("{:.1} h", t.as_hours())
        })
    };
    let outcomes = |o: &Outcomes| {
        if o.runs == 0 {
            return "no run".to_string();
        }
        let mut x = format!("makespan P50 {}, P90 {}", show(o.p50), show(o.p90));
        if o.stranded_mean > 0.0 {
            x += &format!(", {:.1} people left behind per run", o.stranded_mean);
        }
        x
    };
    let mut o = String::from("\nPossible road closures (each drawn in every run):\n");
    for (c, e) in closures.iter().zip(&sum.closures) {
        o += &format!(
            "  {} ({}; chance {:.0} %): happened in {} of {} runs ({:.0} %)\n",
            c.name,
            closure_when(s, c),
            c.chance * 100.0,
            e.with.runs,
            sum.runs,
            e.share * 100.0
        );
        o += &format!("    with it:    {}\n", outcomes(&e.with));
        o += &format!("    without it: {}\n", outcomes(&e.without));
        if e.vehicles_cut_off > 0 {
            o += &format!(
                "    {} vehicles cut off over all runs (their trips went to others where one could take them)\n",
                e.vehicles_cut_off
            );
        }
    }
    o
}

/// The closures' effects for programs.
fn closures_json(s: &Scenario, closures: &[PossibleClosure], sum: &Summary) -> Value {
    let secs = |t: Option<Seconds>| t.map(|t| t.0);
    let outcomes = |o: &Outcomes| {
        json!({
            "runs": o.runs, "runs_complete": o.complete_runs,
            "makespan_s": { "p50": secs(o.p50), "p90": secs(o.p90) },
            "stranded_per_run": o.stranded_mean,
        })
    };
    closures
        .iter()
        .zip(&sum.closures)
        .map(|(c, e)| {
            json!({
                "name": c.name,
                "chance": c.chance,
                "when": closure_when(s, c),
                "happened_runs": e.with.runs,
                "happened_share": e.share,
                "with": outcomes(&e.with),
                "without": outcomes(&e.without),
                "vehicles_cut_off": e.vehicles_cut_off,
            })
        })
        .collect()
}

fn comparison_text(c: &Comparison, sums: &[Summary]) -> String {
    let verdict = |d: &corridor_sim::Difference| match d.better() {
        "A" => "A is better",
        "B" => "B is better",
        _ => "no clear difference",
    };
    let hours = |name: &str, d: &corridor_sim::Difference| {
        format!(
            "  {name}: A − B = {:+.1} h (95 % interval {:+.1} h to {:+.1} h): {}\n",
            d.estimate / 3600.0,
            d.low / 3600.0,
            d.high / 3600.0,
            verdict(d)
        )
    };
    let people = |name: &str, d: &corridor_sim::Difference| {
        format!(
            "  {name}: A − B = {:+.0} (95 % interval {:+.0} to {:+.0}): {}\n",
            d.estimate,
            d.low,
            d.high,
            verdict(d)
        )
    };
    let mut o = String::from("Comparison on the same random streams (common random numbers):\n");
    let show = |x: Option<Seconds>| {
        x.map_or("not everyone delivered".to_string(), |t| {
            format!("{:.1} h", t.as_hours())
        })
    };
    if let [a, b] = sums {
        o += &format!(
            "  Makespan P50: A {} · B {};  P90: A {} · B {}\n",
            show(a.p50),
            show(b.p50),
            show(a.p90),
            show(b.p90)
        );
    }
    o += &hours("Makespan at P50", &c.p50);
    o += &hours("Makespan at P90", &c.p90);
    if let Some(m) = &c.mean {
        o += &hours("Makespan, mean of paired runs where both finished", m);
    }
    if c.left_p90.estimate != 0.0 || c.left_p90.low != 0.0 || c.left_p90.high != 0.0 {
        o += &people("People left behind per run at P50", &c.left_p50);
        o += &people("People left behind per run at P90", &c.left_p90);
        if let Some(m) = &c.left_mean {
            o += &people("People left behind per run, mean", m);
        }
    }
    o += &format!(
        "  A finished first in {} runs, B in {} runs.\n",
        c.a_earlier, c.b_earlier
    );
    o
}

fn summary_json(
    s: &Scenario,
    name: &str,
    f: &Figures,
    sum: &Summary,
    runs: &[RunResult],
    deadline: Option<Seconds>,
) -> Value {
    let secs = |t: Option<Seconds>| t.map(|t| t.0);
    let shares: serde_json::Map<String, Value> = Use::ALL
        .iter()
        .map(|u| (u.key().to_string(), json!(sum.time_shares[*u as usize])))
        .collect();
    let c = &sum.curve;
    let tiers = ["tier_1", "tier_2", "tier_3", "everyone"];
    let curve: serde_json::Map<String, Value> = tiers
        .iter()
        .enumerate()
        .map(|(i, k)| {
            (
                k.to_string(),
                json!({
                    "total": c.total[i],
                    "p10": c.delivered[i].iter().map(|x| x.0).collect::<Vec<_>>(),
                    "p50": c.delivered[i].iter().map(|x| x.1).collect::<Vec<_>>(),
                    "p90": c.delivered[i].iter().map(|x| x.2).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    let losses: usize = runs.iter().map(|r| r.losses.len()).sum();
    let reassigned: usize = runs
        .iter()
        .flat_map(|r| &r.losses)
        .map(|l| l.trips_to.iter().filter(|x| x.is_some()).count())
        .sum();
    json!({
        "plan": name,
        "plan_makespan_s": f.makespan.0,
        "plan_makespan": s.show_time(f.makespan),
        "makespan_s": {
            "p10": secs(sum.p10), "p50": secs(sum.p50), "p90": secs(sum.p90),
            "worst": secs(sum.worst), "mean": secs(sum.mean),
        },
        "makespan": {
            "p10": sum.p10.map(|t| s.show_time(t)), "p50": sum.p50.map(|t| s.show_time(t)),
            "p90": sum.p90.map(|t| s.show_time(t)), "worst": sum.worst.map(|t| s.show_time(t)),
        },
        "makespan_h_per_run": runs.iter().map(|r| r.complete().then(|| hours(r.makespan))).collect::<Vec<_>>(),
        "runs_complete": sum.complete_runs,
        "by_deadline": sum.by_deadline,
        "deadline_s": deadline.map(|d| d.0),
        "time_shares": shares,
        "suspensions_per_run": sum.suspensions_per_run,
        "road_cuts_per_run": sum.road_cuts_per_run,
        "losses": { "total": losses, "per_run": sum.losses_per_run, "runs_with_losses": sum.runs_with_losses, "trips_reassigned": reassigned },
        "stranded_per_run": sum.stranded_per_run,
        // null where the run at that rank delivered nobody.
        "last_delivery_s": { "p10": secs(sum.last_delivery.0), "p50": secs(sum.last_delivery.1), "p90": secs(sum.last_delivery.2) },
        "runs_delivering_nobody": runs.iter().filter(|r| r.deliveries.is_empty()).count(),
        "stranded_p50": sum.stranded_p50_p90.0,
        "stranded_p90": sum.stranded_p50_p90.1,
        "curve": { "times_s": c.times.iter().map(|t| t.0).collect::<Vec<_>>(), "delivered": curve },
    })
}

fn comparison_json(c: &Comparison) -> Value {
    let d = |x: &corridor_sim::Difference| json!({"a_minus_b_s": x.estimate, "low_s": x.low, "high_s": x.high, "better": x.better()});
    json!({
        "p50": d(&c.p50),
        "p90": d(&c.p90),
        "mean": c.mean.as_ref().map(d),
        "left_behind_p50": d(&c.left_p50),
        "left_behind_p90": d(&c.left_p90),
        "left_behind_mean": c.left_mean.as_ref().map(d),
        "a_earlier_runs": c.a_earlier,
        "b_earlier_runs": c.b_earlier,
    })
}

fn uncertainty_json(u: &corridor_core::Uncertainty) -> Value {
    json!({
        "travel_time_cv": u.travel_time_cv,
        "boarding_time_cv": u.boarding_time_cv,
        "crowding_delay_per_100_waiting_s": u.crowding_delay_per_100_waiting.0,
        "checkpoint_processing_cv": u.checkpoint_processing_cv,
        "suspensions_per_day": u.suspensions_per_day,
        "suspension_mean_s": u.suspension_mean.0,
        "suspension_cv": u.suspension_cv,
        "breakdowns_per_driving_hour": u.breakdowns_per_driving_hour,
        "repair_mean_s": u.repair_mean.0,
        "repair_cv": u.repair_cv,
        "losses_per_working_hour": u.losses_per_working_hour,
        "late_household_share": u.late_household_share,
        "late_household_mean_s": u.late_household_mean.0,
        "closures": u.closures.closures().iter().map(|c| json!({
            "name": c.name,
            "chance": c.chance,
            "from_s": c.from.0,
            "latest_from_s": c.latest_from.0,
            "until_s": match c.end { ClosureEnd::At(t) => Some(t.0), _ => None },
            "mean_duration_s": match c.end { ClosureEnd::MeanDuration(m) => Some(m.0), _ => None },
        })).collect::<Vec<_>>(),
    })
}

/// The most runs a rehearsal accepts: a million already gives percentiles far finer than the
/// disruption rates they come from are known.
const MAX_RUNS: u64 = 1_000_000;
