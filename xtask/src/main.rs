//! Project automation: the benchmark.
//!
//! `cargo xtask bench --suite literature|exact|medium|city --budget 2s
//! [--solvers corridor,ortools,pyvrp,vroom] [--out DIR]` runs every solver on
//! every instance of the suite, one after the other, each with the same
//! wall-clock budget and one thread; checks every plan with the validator; and
//! writes `results.csv`, `traces.csv`, `report.md` (and plots, when the peers'
//! Python environment is there) into DIR (default `target/bench/<suite>`).
//! See bench/README.md.
//!
//! `cargo xtask bench-literature [--budget 1s] [--out DIR]` is the literature
//! suite with Corridor alone (no Python needed).
//!
//! `cargo xtask bench-ops [--database URL] [--events N] [--clients N] ...` loads
//! the real release `corridor serve` over loopback: a 1,000,000-event history,
//! reconciliation and look-ups, sustained ingest, a reconnect burst (`ops.rs`).

mod ops;
mod peers;
mod report;
mod results;
mod suites;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use corridor_core::{Figures, Plan, Scenario};
use corridor_formats::{parse_duration, write_plan};

use results::{Row, Status};

const USAGE: &str = "usage: cargo xtask bench --suite literature|exact|medium|city [--budget 2s] [--solvers corridor,ortools,pyvrp,vroom] [--out DIR] [--only NAME-PART]\n       cargo xtask bench-literature [--budget 1s] [--out DIR]\n       cargo xtask bench-ops [--database URL] [--events 1000000] [--clients 100] [--duration 30s] [--burst-devices 100] [--burst-size 2000] [--out DIR]";

struct Args {
    suite: String,
    budget: Duration,
    solvers: Vec<String>,
    out: Option<PathBuf>,
    /// Only instances whose name contains this (for quick looks; the report says so).
    only: Option<String>,
}

fn parse_args(args: &[String], corridor_only: bool) -> anyhow::Result<Args> {
    let mut a = Args {
        suite: "literature".into(),
        budget: Duration::from_secs(if corridor_only { 1 } else { 2 }),
        solvers: if corridor_only {
            vec!["corridor".into()]
        } else {
            ["corridor", "ortools", "pyvrp", "vroom"]
                .map(String::from)
                .to_vec()
        },
        out: None,
        only: None,
    };
    let mut it = args.iter();
    while let Some(x) = it.next() {
        match x.as_str() {
            "--budget" => {
                let v = it.next().context("--budget needs a duration, e.g. 2s")?;
                a.budget = Duration::from_secs(
                    parse_duration(v)
                        .map_err(|e| anyhow::anyhow!("--budget: {e}"))?
                        .0
                        .max(0) as u64,
                );
                if a.budget.is_zero() {
                    bail!("--budget must be at least 1s");
                }
            }
            "--only" => {
                a.only = Some(
                    it.next()
                        .context("--only needs part of an instance name")?
                        .clone(),
                )
            }
            "--out" => a.out = Some(PathBuf::from(it.next().context("--out needs a directory")?)),
            "--suite" if !corridor_only => {
                a.suite = it.next().context("--suite needs a name")?.clone();
                if !suites::SUITES.contains(&a.suite.as_str()) && !a.suite.ends_with(".toml") {
                    bail!(
                        "unknown suite `{}`; expected one of {}",
                        a.suite,
                        suites::SUITES.join(", ")
                    );
                }
            }
            "--solvers" if !corridor_only => {
                let v = it
                    .next()
                    .context("--solvers needs a list, e.g. corridor,vroom")?;
                a.solvers = v.split(',').map(|s| s.trim().to_string()).collect();
                for s in &a.solvers {
                    if s != "corridor" && !peers::PEERS.contains(&s.as_str()) {
                        bail!("unknown solver `{s}`; expected corridor, ortools, pyvrp or vroom");
                    }
                }
            }
            other => bail!("unknown option `{other}`\n{USAGE}"),
        }
    }
    Ok(a)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let a = match args.first().map(String::as_str) {
        Some("bench") => parse_args(&args[1..], false)?,
        Some("bench-literature") => parse_args(&args[1..], true)?,
        Some("bench-ops") => return ops::bench_ops(&ops::parse_args(&args[1..])?),
        _ => bail!("{USAGE}"),
    };
    bench(&a)
}

fn bench(a: &Args) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = a.out.clone().unwrap_or_else(|| {
        let name = Path::new(&a.suite).with_extension("");
        let name = name
            .file_name()
            .map_or("file".into(), |n| n.to_string_lossy().to_string());
        root.join("target/bench").join(name)
    });
    let wants_peers = a.solvers.iter().any(|s| s != "corridor");
    let python = if wants_peers {
        Some(peers::ensure_venv(&root)?)
    } else {
        None
    };
    let mut instances = suites::load(&root, &a.suite)?;
    if let Some(only) = &a.only {
        instances.retain(|i| i.name.contains(only.as_str()));
    }
    std::fs::create_dir_all(out.join("work"))?;
    std::fs::create_dir_all(out.join("plans"))?;
    let mut rows = Vec::new();
    let mut traces = csv::Writer::from_path(out.join("traces.csv"))?;
    traces.write_record(["instance", "solver", "seconds", "makespan"])?;
    let machine = machine();
    eprintln!(
        "{} suite: {} instances, solvers {}, budget {} s each, on {machine}",
        a.suite,
        instances.len(),
        a.solvers.join(","),
        a.budget.as_secs_f64()
    );
    for inst in &instances {
        let s = &inst.scenario;
        let bound = corridor_plan::lower_bound(s).value.0;
        let exported = out.join("work").join(format!("{}.json", inst.name));
        if wants_peers {
            std::fs::write(&exported, peers::export(s).to_string())?;
        }
        for solver in &a.solvers {
            let (plan, why_none, trace, first_s, final_s, wall_s) = if solver == "corridor" {
                run_corridor(s, a.budget)
            } else {
                let python = python.as_deref().context("the peers' Python")?;
                let answer_path = out
                    .join("work")
                    .join(format!("{}.{solver}.json", inst.name));
                let (answer, wall) =
                    peers::run(&root, python, solver, &exported, &answer_path, a.budget)?;
                let first = answer.trace.first().map(|x| x.0);
                let last = answer.trace.last().map(|x| x.0);
                let trace: Vec<(f64, i64)> = answer
                    .trace
                    .iter()
                    .map(|&(t, m)| (t, m.round() as i64))
                    .collect();
                match (&answer.error, peers::to_plan(s, &answer)) {
                    (Some(e), _) => (None, e.clone(), trace, first, last, wall),
                    (None, Ok(p)) => (Some(p), String::new(), trace, first, last, wall),
                    (None, Err(e)) => (None, e, trace, first, last, wall),
                }
            };
            for (t, m) in &trace {
                traces.write_record([
                    inst.name.clone(),
                    solver.clone(),
                    format!("{t:.3}"),
                    m.to_string(),
                ])?;
            }
            let at = |limit: f64| {
                (a.budget.as_secs_f64() >= limit)
                    .then(|| {
                        trace
                            .iter()
                            .filter(|(t, _)| *t <= limit)
                            .map(|x| x.1)
                            .last()
                    })
                    .flatten()
            };
            let (status, rule, makespan) = match &plan {
                None => (Status::Failed, why_none, None),
                Some(p) => {
                    let dir = out.join("plans").join(&inst.name);
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(dir.join(format!("{solver}.plan.json")), write_plan(s, p))?;
                    judge(s, p)
                }
            };
            let row = Row {
                suite: a.suite.clone(),
                instance: inst.name.clone(),
                solver: solver.clone(),
                budget_s: a.budget.as_secs_f64(),
                status,
                rule,
                makespan,
                lower_bound: bound,
                optimum: inst.optimum,
                published: inst.published.get(solver).copied(),
                first_s,
                final_s,
                wall_s,
                // Only Corridor's trace holds validated makespans; the peers' are their own estimates.
                at_10s: if solver == "corridor" { at(10.0) } else { None },
                at_60s: if solver == "corridor" { at(60.0) } else { None },
            };
            eprintln!(
                "{:<28} {:<9} {:<10} {:>8} {}",
                inst.name,
                solver,
                row.status.as_str(),
                row.makespan.map_or("-".into(), |m| m.to_string()),
                row.rule
            );
            rows.push(row);
        }
    }
    traces.flush()?;
    std::fs::write(out.join("results.csv"), results::to_csv(&rows)?)?;
    let plots = match &python {
        Some(py) => report::plots(&root, py, &out),
        None => Vec::new(),
    };
    let text = report::markdown(&rows, &instances, a, &machine, &plots);
    std::fs::write(out.join("report.md"), &text)?;
    print!("{text}");
    eprintln!("wrote {}", out.display());
    Ok(())
}

type Run = (
    Option<Plan>,
    String,
    Vec<(f64, i64)>,
    Option<f64>,
    Option<f64>,
    f64,
);

/// Corridor's planner in this process, one thread, stopped at the budget.
fn run_corridor(s: &Scenario, budget: Duration) -> Run {
    let started = Instant::now();
    let trace = Mutex::new(Vec::new());
    let stop = || started.elapsed() >= budget;
    let progress = |p: corridor_plan::Progress| {
        let m = match p {
            corridor_plan::Progress::FirstPlan(m) | corridor_plan::Progress::Improved(m) => m.0,
        };
        if let Ok(mut t) = trace.lock() {
            t.push((started.elapsed().as_secs_f64(), m));
        }
    };
    let outcome = corridor_plan::plan(s, &corridor_plan::Options::default(), &stop, &progress);
    let wall = started.elapsed().as_secs_f64();
    let trace = trace.into_inner().unwrap_or_default();
    let first = trace.first().map(|x| x.0);
    let last = trace.last().map(|x| x.0);
    match outcome {
        Ok(o) => (Some(o.plan), String::new(), trace, first, last, wall),
        Err(e) => (None, e.to_string(), trace, first, last, wall),
    }
}

/// The validator's verdict: status, the most frequent broken rule, makespan.
fn judge(s: &Scenario, p: &Plan) -> (Status, String, Option<i64>) {
    let violations = corridor_check::check(s, p);
    let makespan = Some(Figures::of(s, p).makespan.0);
    if violations.is_empty() {
        if p.uncarried.is_empty() {
            (Status::Valid, String::new(), makespan)
        } else {
            (
                Status::Incomplete,
                format!("{} households uncarried", p.uncarried.len()),
                makespan,
            )
        }
    } else {
        let mut counts = std::collections::BTreeMap::new();
        for v in &violations {
            *counts.entry(v.rule.id()).or_insert(0usize) += 1;
        }
        let (rule, n) = counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(r, n)| (*r, *n))
            .unwrap_or(("", 0));
        (
            Status::Invalid,
            format!("{rule} ({n}x of {} violations)", violations.len()),
            makespan,
        )
    }
}

/// What the report says about the machine: CPU model and cores.
pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|x| x.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {}", std::env::consts::ARCH)
}
