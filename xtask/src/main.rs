//! Project automation. `cargo xtask bench-literature [--budget 1s] [--out DIR]` plans
//! every published Bus Evacuation Problem instance in `bench/instances/bep/`
//! with the same wall-clock budget each, checks every plan with the validator,
//! compares the makespan with the proven optimum, and writes `results.csv` and
//! `report.md` into DIR (default `target/bench/literature`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use corridor_formats::{InMemory, import_bep, load_scenario_with, parse_duration};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench-literature") => {
            let mut budget = Duration::from_secs(1);
            let mut out = PathBuf::from("target/bench/literature");
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--budget" => {
                        let v = it.next().context("--budget needs a duration, e.g. 1s")?;
                        budget = Duration::from_secs_f64(
                            parse_duration(v).map_err(anyhow::Error::msg)?.0 as f64,
                        );
                    }
                    "--out" => out = PathBuf::from(it.next().context("--out needs a directory")?),
                    other => bail!("unknown option `{other}`; expected --budget or --out"),
                }
            }
            bench_literature(budget, &out)
        }
        _ => bail!("usage: cargo xtask bench-literature [--budget 1s] [--out DIR]"),
    }
}

struct Row {
    instance: String,
    set: String,
    optimum: i64,
    makespan: Option<i64>,
    bound: i64,
    valid: bool,
    published: [i64; 3],
}

fn bench_literature(budget: Duration, out: &Path) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("bench/instances/bep");
    let optima = std::fs::read_to_string(dir.join("loyola-random-optima.csv"))
        .context("reading the optima")?;
    let mut reader = csv::Reader::from_reader(optima.as_bytes());
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec?;
        let name = rec[0].to_string();
        let text = std::fs::read_to_string(dir.join("loyola-random").join(&name))?;
        let files = import_bep(&name, &text, &name).map_err(|p| anyhow::anyhow!("{p}"))?;
        let mem = InMemory(
            files
                .into_iter()
                .map(|f| (PathBuf::from("bep").join(f.path), f.contents))
                .collect::<HashMap<_, _>>(),
        );
        let loaded = load_scenario_with(&mem, Path::new("bep/scenario.toml"))
            .map_err(|p| anyhow::anyhow!("{p}"))?;
        let s = &loaded.scenario;
        let started = Instant::now();
        let stop = || started.elapsed() >= budget;
        let outcome = corridor_plan::plan(s, &corridor_plan::Options::default(), &stop, &|_| {})?;
        let valid =
            corridor_check::check(s, &outcome.plan).is_empty() && outcome.plan.uncarried.is_empty();
        let f = corridor_core::Figures::of(s, &outcome.plan);
        let set = name.split("-i").next().unwrap_or(&name).to_string();
        let num = |i: usize| rec[i].parse::<i64>().unwrap_or(0);
        rows.push(Row {
            instance: name,
            set,
            optimum: num(5),
            makespan: valid.then_some(f.makespan.0),
            bound: outcome.bound.value.0,
            valid,
            published: [num(6), num(7), num(8)],
        });
        eprint!(".");
    }
    eprintln!();
    std::fs::create_dir_all(out)?;
    let mut w = csv::Writer::from_path(out.join("results.csv"))?;
    w.write_record([
        "instance",
        "optimum",
        "corridor",
        "valid",
        "lower_bound",
        "ortools_2s_published",
        "pyvrp_2s_published",
        "vroom_2s_published",
    ])?;
    for r in &rows {
        w.write_record([
            r.instance.clone(),
            r.optimum.to_string(),
            r.makespan.map_or(String::new(), |m| m.to_string()),
            r.valid.to_string(),
            r.bound.to_string(),
            r.published[0].to_string(),
            r.published[1].to_string(),
            r.published[2].to_string(),
        ])?;
    }
    w.flush()?;
    let report = report(&rows, budget);
    std::fs::write(out.join("report.md"), &report)?;
    print!("{report}");
    Ok(())
}

fn report(rows: &[Row], budget: Duration) -> String {
    let ratio = |m: i64, o: i64| m as f64 / o as f64;
    let mut by_set: BTreeMap<(usize, String), Vec<&Row>> = BTreeMap::new();
    for r in rows {
        let size = r
            .set
            .split('-')
            .nth(2)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        by_set.entry((size, r.set.clone())).or_default().push(r);
    }
    let mut o = format!(
        "Budget {:.1} s per instance, one thread. Published peers: 2 s each on one core, from loyola-random-optima.csv (not run here).\n\n\
         | set | instances | Corridor optimal | Corridor mean ratio | best published peer optimal | bound = optimum |\n|---|---|---|---|---|---|\n",
        budget.as_secs_f64()
    );
    let mut totals = (0usize, 0usize, 0.0f64, 0usize, 0usize, 0usize);
    for ((_, set), rs) in &by_set {
        let opt = rs.iter().filter(|r| r.makespan == Some(r.optimum)).count();
        let mean: f64 = rs
            .iter()
            .map(|r| r.makespan.map_or(f64::NAN, |m| ratio(m, r.optimum)))
            .sum::<f64>()
            / rs.len() as f64;
        let peer = rs
            .iter()
            .filter(|r| r.published.iter().min() == Some(&r.optimum))
            .count();
        let tight = rs.iter().filter(|r| r.bound == r.optimum).count();
        let invalid = rs.iter().filter(|r| !r.valid).count();
        o.push_str(&format!(
            "| {set} | {} | {opt} | {mean:.3} | {peer} | {tight} |\n",
            rs.len()
        ));
        totals.0 += rs.len();
        totals.1 += opt;
        totals.2 += mean * rs.len() as f64;
        totals.3 += peer;
        totals.4 += tight;
        totals.5 += invalid;
    }
    o.push_str(&format!(
        "| **all** | {} | **{}** | **{:.4}** | {} | {} |\n\nInvalid or incomplete plans: {}. Mean ratio to the optimum of each published peer over all instances: {}.\n",
        totals.0,
        totals.1,
        totals.2 / totals.0 as f64,
        totals.3,
        totals.4,
        totals.5,
        ["OR-Tools", "PyVRP", "VROOM"]
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n} {:.3}", rows.iter().map(|r| ratio(r.published[i], r.optimum)).sum::<f64>() / rows.len() as f64))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    o
}
