//! The Markdown report and its plots.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::Args;
use crate::results::{self, Row, Status};
use crate::suites::Instance;

/// Draws the plots with the peers' Python (matplotlib); returns the files written.
pub(crate) fn plots(root: &Path, python: &Path, out: &Path) -> Vec<String> {
    let ok = Command::new(python)
        .arg(root.join("bench/peers/plots.py"))
        .arg(out)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("drawing the plots failed; the report has tables only");
        return Vec::new();
    }
    ["profile.svg", "ratios.svg", "time-to-quality.svg"]
        .into_iter()
        .filter(|f| out.join(f).exists())
        .map(String::from)
        .collect()
}

fn f3(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.3}"))
}

pub(crate) fn markdown(
    rows: &[Row],
    instances: &[Instance],
    a: &Args,
    machine: &str,
    plots: &[String],
) -> String {
    let mut o = String::new();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "# Benchmark: {} suite\n\n{date}, {machine}. Command:\n\n```sh\ncargo xtask bench --suite {} --budget {}s --solvers {}\n```\n\n\
         {} instances; every solver gets {} s of wall-clock time per instance and one thread, one after the other \
         in one run; every plan is checked by Corridor's validator and counts only when valid with everyone carried. \
         The machine is shared: read ratios, not absolute times.\n",
        a.suite,
        a.suite,
        a.budget.as_secs_f64(),
        a.solvers.join(","),
        instances.len(),
        a.budget.as_secs_f64()
    );
    let has_optima = instances.iter().all(|i| i.optimum.is_some());
    let reference = if has_optima {
        "optimum"
    } else {
        "best of the run"
    };
    let sums = results::summarise(rows, &a.solvers);
    let _ = writeln!(
        o,
        "| solver | valid | = {reference} | mean ratio to {reference} | geometric mean | worst | mean gap to Corridor's lower bound |\n|---|---|---|---|---|---|---|"
    );
    for s in &sums {
        let _ = writeln!(
            o,
            "| {} | {}/{} | {} | {} | {} | {} | {} |",
            s.solver,
            s.valid,
            s.instances,
            s.at_reference,
            f3(s.mean_ratio),
            f3(s.geo_mean_ratio),
            f3(s.worst_ratio),
            s.mean_gap_to_bound
                .map_or("–".into(), |g| format!("{:.1} %", 100.0 * g))
        );
    }
    let taus = [1.0, 1.01, 1.02, 1.05, 1.1, 1.25];
    let _ = write!(
        o,
        "\nPerformance profile (share of instances with a valid plan within τ × the best known):\n\n| solver |"
    );
    for t in taus {
        let _ = write!(o, " τ = {t} |");
    }
    let _ = writeln!(o, "\n|---|{}", "---|".repeat(taus.len()));
    for s in &a.solvers {
        let _ = write!(o, "| {s} |");
        for p in results::profile(rows, s, &taus) {
            let _ = write!(o, " {:.0} % |", 100.0 * p);
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "\nRatios are over each solver's valid plans only; an instance without a valid plan is counted in `valid`, not in the ratios."
    );
    // Per set: how often each solver reaches the reference.
    let mut sets: BTreeMap<(usize, String), Vec<&Instance>> = BTreeMap::new();
    for i in instances {
        let size = i
            .set
            .split('-')
            .nth(2)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        sets.entry((size, i.set.clone())).or_default().push(i);
    }
    if sets.len() > 1 && sets.len() < instances.len() {
        let refs = results::reference(rows);
        let _ = write!(o, "\n| set | instances |");
        for s in &a.solvers {
            let _ = write!(o, " {s} = {reference} | {s} mean ratio |");
        }
        let _ = write!(o, "\n|---|---|");
        for _ in &a.solvers {
            let _ = write!(o, "---|---|");
        }
        let _ = writeln!(o);
        for ((_, set), insts) in &sets {
            let _ = write!(o, "| {set} | {} |", insts.len());
            for s in &a.solvers {
                let mine: Vec<(i64, i64)> = rows
                    .iter()
                    .filter(|r| &r.solver == s && insts.iter().any(|i| i.name == r.instance))
                    .filter_map(|r| Some((r.score()?, *refs.get(&r.instance)?)))
                    .collect();
                let hit = mine.iter().filter(|(m, r)| m == r).count();
                let mean = (!mine.is_empty()).then(|| {
                    mine.iter().map(|(m, r)| *m as f64 / *r as f64).sum::<f64>() / mine.len() as f64
                });
                let _ = write!(o, " {hit} | {} |", f3(mean));
            }
            let _ = writeln!(o);
        }
    }
    // Published figures (literature): the same peers, measured elsewhere.
    if instances.iter().any(|i| !i.published.is_empty()) {
        let _ = writeln!(
            o,
            "\nPublished reference (bench/instances/bep/loyola-random-optima.csv: the same three peers at 2 s, run earlier, not in this run):\n\n| peer | published = optimum | published mean ratio |\n|---|---|---|"
        );
        for p in ["ortools", "pyvrp", "vroom"] {
            let v: Vec<(i64, i64)> = instances
                .iter()
                .filter_map(|i| Some((*i.published.get(p)?, i.optimum?)))
                .collect();
            let hit = v.iter().filter(|(a, b)| a == b).count();
            let mean =
                v.iter().map(|(a, b)| *a as f64 / *b as f64).sum::<f64>() / v.len().max(1) as f64;
            let _ = writeln!(o, "| {p} | {hit} | {mean:.3} |");
        }
    }
    // Failures by rule.
    let failures: Vec<&Row> = rows.iter().filter(|r| r.status != Status::Valid).collect();
    if !failures.is_empty() {
        let _ = writeln!(
            o,
            "\nPlans that do not count (the validator's most frequent rule, or why there is no plan):\n\n| solver | status | rule | instances |\n|---|---|---|---|"
        );
        let mut by: BTreeMap<(String, &str, String), usize> = BTreeMap::new();
        for r in failures {
            let rule = r.rule.split(" (").next().unwrap_or("").to_string();
            *by.entry((r.solver.clone(), r.status.as_str(), rule))
                .or_insert(0) += 1;
        }
        for ((s, st, rule), n) in by {
            let _ = writeln!(o, "| {s} | {st} | {rule} | {n} |");
        }
    }
    // Per instance, for the suites without optima (few instances): makespan, bound and gap.
    if !has_optima {
        let _ = write!(o, "\n| instance | lower bound |");
        for s in &a.solvers {
            let _ = write!(o, " {s} | gap |");
        }
        let _ = write!(o, "\n|---|---|");
        for _ in &a.solvers {
            let _ = write!(o, "---|---|");
        }
        let _ = writeln!(o);
        for i in instances {
            let lb = rows
                .iter()
                .find(|r| r.instance == i.name)
                .map_or(0, |r| r.lower_bound);
            let _ = write!(o, "| {} | {} |", i.name, hours(lb));
            for s in &a.solvers {
                let r = rows.iter().find(|r| r.instance == i.name && &r.solver == s);
                match r.and_then(|r| r.score()) {
                    Some(m) => {
                        let _ = write!(
                            o,
                            " {} | {:.0} % |",
                            hours(m),
                            100.0 * (m - lb) as f64 / lb.max(1) as f64
                        );
                    }
                    None => {
                        let _ = write!(o, " {} | – |", r.map_or("–", |r| r.status.as_str()));
                    }
                }
            }
            let _ = writeln!(o);
        }
        let timed: Vec<&Row> = rows.iter().filter(|r| r.solver == "corridor").collect();
        if timed.iter().any(|r| r.at_10s.is_some()) {
            let _ = writeln!(
                o,
                "\nCorridor, time to quality:\n\n| instance | first plan after | makespan at 10 s | at 60 s | final |\n|---|---|---|---|---|"
            );
            for r in timed {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    r.instance,
                    r.first_s.map_or("–".into(), |x| format!("{x:.1} s")),
                    r.at_10s.map_or("–".into(), hours),
                    r.at_60s.map_or("–".into(), hours),
                    r.score().map_or("–".into(), hours)
                );
            }
        }
    }
    for p in plots {
        let _ = writeln!(o, "\n![{p}]({p})");
    }
    o
}

fn hours(s: i64) -> String {
    if s < 3600 {
        format!("{s}")
    } else {
        format!("{}h{:02}", s / 3600, (s % 3600) / 60)
    }
}
