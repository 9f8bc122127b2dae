//! One row per (instance, solver), written to and read back from `results.csv`,
//! and the summaries the report is made of. Kept free of I/O beyond CSV text so
//! that it is tested without any peer installed.

use std::collections::BTreeMap;

/// How a solver's answer fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Status {
    /// The validator accepts the plan and everyone is carried.
    Valid,
    /// The validator rejects the plan (the rule is in `rule`).
    Invalid,
    /// The plan leaves households behind (valid otherwise or not).
    Incomplete,
    /// No plan: the solver found none in time, crashed, or could not model the instance.
    Failed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Incomplete => "incomplete",
            Status::Failed => "failed",
        }
    }

    #[cfg(test)]
    fn parse(s: &str) -> anyhow::Result<Status> {
        Ok(match s {
            "valid" => Status::Valid,
            "invalid" => Status::Invalid,
            "incomplete" => Status::Incomplete,
            "failed" => Status::Failed,
            other => anyhow::bail!("unknown status `{other}`"),
        })
    }
}

/// One solver on one instance.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) suite: String,
    pub(crate) instance: String,
    pub(crate) solver: String,
    pub(crate) budget_s: f64,
    pub(crate) status: Status,
    /// The first broken rule (validator id) or why there is no plan.
    pub(crate) rule: String,
    /// Makespan in seconds as the validator's figures give it (valid or not, when a plan exists).
    pub(crate) makespan: Option<i64>,
    /// Corridor's lower bound on the makespan (the same for every solver on an instance).
    pub(crate) lower_bound: i64,
    /// Proven optimum, where known.
    pub(crate) optimum: Option<i64>,
    /// Published reference figure (literature suite), where known.
    pub(crate) published: Option<i64>,
    /// Seconds from start to the first complete plan the solver reported.
    pub(crate) first_s: Option<f64>,
    /// Seconds from start to the final plan.
    pub(crate) final_s: Option<f64>,
    /// Wall-clock seconds the solver used in all.
    pub(crate) wall_s: f64,
    /// Makespan at 10 s, 60 s (time-to-quality), where the trace reaches that far.
    pub(crate) at_10s: Option<i64>,
    pub(crate) at_60s: Option<i64>,
}

impl Row {
    /// The makespan that counts: only a valid, complete plan's.
    pub(crate) fn score(&self) -> Option<i64> {
        (self.status == Status::Valid)
            .then_some(self.makespan)
            .flatten()
    }
}

const HEADER: [&str; 17] = [
    "suite",
    "instance",
    "solver",
    "budget_s",
    "status",
    "rule",
    "makespan",
    "lower_bound",
    "optimum",
    "published",
    "gap_to_bound",
    "first_s",
    "final_s",
    "wall_s",
    "at_10s",
    "at_60s",
    "ratio_to_best",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

/// Writes the rows as CSV; `ratio_to_best` compares a valid makespan with the best valid one on the instance.
pub(crate) fn to_csv(rows: &[Row]) -> anyhow::Result<String> {
    let best = best_by_instance(rows);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for r in rows {
        let gap = r
            .makespan
            .filter(|_| r.lower_bound > 0)
            .map(|m| format!("{:.4}", (m - r.lower_bound) as f64 / r.lower_bound as f64));
        let ratio = r
            .score()
            .zip(best.get(&r.instance).copied())
            .map(|(m, b)| format!("{:.4}", m as f64 / b as f64));
        w.write_record([
            r.suite.clone(),
            r.instance.clone(),
            r.solver.clone(),
            format!("{}", r.budget_s),
            r.status.as_str().into(),
            r.rule.clone(),
            opt(r.makespan),
            r.lower_bound.to_string(),
            opt(r.optimum),
            opt(r.published),
            gap.unwrap_or_default(),
            opt(r.first_s.map(|x| format!("{x:.3}"))),
            opt(r.final_s.map(|x| format!("{x:.3}"))),
            format!("{:.3}", r.wall_s),
            opt(r.at_10s),
            opt(r.at_60s),
            ratio.unwrap_or_default(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Reads rows written by [`to_csv`] (derived columns are recomputed, not read).
#[cfg(test)]
pub(crate) fn from_csv(text: &str) -> anyhow::Result<Vec<Row>> {
    use anyhow::Context;
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec?;
        let line = i + 2;
        let get = |k: usize| rec.get(k).unwrap_or("");
        // An empty cell is "none"; anything else must parse as `T`, `what` says what was expected.
        fn cell<T: std::str::FromStr>(
            text: &str,
            line: usize,
            column: &str,
            what: &str,
        ) -> anyhow::Result<Option<T>>
        where
            T::Err: std::error::Error + Send + Sync + 'static,
        {
            if text.is_empty() {
                return Ok(None);
            }
            Ok(Some(text.parse().with_context(|| {
                format!("results.csv line {line}, column {column}: `{text}` is not {what}")
            })?))
        }
        let int = |k: usize| cell::<i64>(get(k), line, HEADER[k], "a whole number");
        let float = |k: usize| cell::<f64>(get(k), line, HEADER[k], "a number");
        rows.push(Row {
            suite: get(0).into(),
            instance: get(1).into(),
            solver: get(2).into(),
            budget_s: float(3)?.unwrap_or(0.0),
            status: Status::parse(get(4)).with_context(|| format!("results.csv line {line}"))?,
            rule: get(5).into(),
            makespan: int(6)?,
            lower_bound: int(7)?.unwrap_or(0),
            optimum: int(8)?,
            published: int(9)?,
            first_s: float(11)?,
            final_s: float(12)?,
            wall_s: float(13)?.unwrap_or(0.0),
            at_10s: int(14)?,
            at_60s: int(15)?,
        });
    }
    Ok(rows)
}

/// Best valid makespan per instance over all solvers (and the optimum, where known).
pub(crate) fn best_by_instance(rows: &[Row]) -> BTreeMap<String, i64> {
    let mut best: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows {
        for m in [r.score(), r.optimum].into_iter().flatten() {
            best.entry(r.instance.clone())
                .and_modify(|b| *b = (*b).min(m))
                .or_insert(m);
        }
    }
    best
}

/// Per solver: instances, valid, optimal (= optimum, or = best when none is known), mean and
/// geometric-mean ratio to the reference (optimum, else best of the run) over valid plans.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Summary {
    pub(crate) solver: String,
    pub(crate) instances: usize,
    pub(crate) valid: usize,
    pub(crate) at_reference: usize,
    pub(crate) mean_ratio: Option<f64>,
    pub(crate) geo_mean_ratio: Option<f64>,
    pub(crate) worst_ratio: Option<f64>,
    pub(crate) mean_gap_to_bound: Option<f64>,
    /// The first broken rule of invalid plans, with counts.
    pub(crate) failures: BTreeMap<String, usize>,
}

/// The reference an instance is measured against: its optimum if known, else the best of the run.
pub(crate) fn reference(rows: &[Row]) -> BTreeMap<String, i64> {
    let best = best_by_instance(rows);
    best.into_iter()
        .map(|(k, b)| {
            let o = rows
                .iter()
                .find(|r| r.instance == k)
                .and_then(|r| r.optimum);
            (k, o.unwrap_or(b))
        })
        .collect()
}

pub(crate) fn summarise(rows: &[Row], solvers: &[String]) -> Vec<Summary> {
    let refs = reference(rows);
    solvers
        .iter()
        .map(|s| {
            let mine: Vec<&Row> = rows.iter().filter(|r| &r.solver == s).collect();
            let ratios: Vec<f64> = mine
                .iter()
                .filter_map(|r| Some(r.score()? as f64 / *refs.get(&r.instance)? as f64))
                .collect();
            let gaps: Vec<f64> = mine
                .iter()
                .filter(|r| r.lower_bound > 0)
                .filter_map(|r| Some((r.score()? - r.lower_bound) as f64 / r.lower_bound as f64))
                .collect();
            let mut failures = BTreeMap::new();
            for r in mine.iter().filter(|r| r.status != Status::Valid) {
                *failures
                    .entry(format!("{}: {}", r.status.as_str(), r.rule))
                    .or_insert(0) += 1;
            }
            let n = ratios.len() as f64;
            Summary {
                solver: s.clone(),
                instances: mine.len(),
                valid: mine.iter().filter(|r| r.status == Status::Valid).count(),
                at_reference: mine
                    .iter()
                    .filter(|r| r.score().is_some() && r.score() == refs.get(&r.instance).copied())
                    .count(),
                mean_ratio: (!ratios.is_empty()).then(|| ratios.iter().sum::<f64>() / n),
                geo_mean_ratio: (!ratios.is_empty())
                    .then(|| (ratios.iter().map(|x| x.ln()).sum::<f64>() / n).exp()),
                worst_ratio: ratios.iter().copied().reduce(f64::max),
                mean_gap_to_bound: (!gaps.is_empty())
                    .then(|| gaps.iter().sum::<f64>() / gaps.len() as f64),
                failures,
            }
        })
        .collect()
}

/// Performance profile (Dolan–Moré): for each solver, the share of instances on which its
/// valid makespan is within τ × the best of the run, at the given τ.
pub(crate) fn profile(rows: &[Row], solver: &str, taus: &[f64]) -> Vec<f64> {
    let best = best_by_instance(rows);
    let instances: Vec<&String> = best.keys().collect();
    taus.iter()
        .map(|&tau| {
            let ok = instances
                .iter()
                .filter(|i| {
                    rows.iter().any(|r| {
                        &r.instance == **i
                            && r.solver == solver
                            && r.score()
                                .is_some_and(|m| m as f64 <= tau * best[**i] as f64 + 1e-9)
                    })
                })
                .count();
            ok as f64 / instances.len().max(1) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(instance: &str, solver: &str, status: Status, makespan: Option<i64>) -> Row {
        Row {
            suite: "literature".into(),
            instance: instance.into(),
            solver: solver.into(),
            budget_s: 1.0,
            status,
            rule: if status == Status::Valid {
                String::new()
            } else {
                "destination-capacity".into()
            },
            makespan,
            lower_bound: 8,
            optimum: Some(10),
            published: Some(11),
            first_s: Some(0.01),
            final_s: Some(0.5),
            wall_s: 1.0,
            at_10s: None,
            at_60s: None,
        }
    }

    #[test]
    fn csv_round_trip_keeps_every_field() {
        let rows = vec![
            row("a", "corridor", Status::Valid, Some(10)),
            row("a", "vroom", Status::Invalid, Some(9)),
            row("b", "pyvrp", Status::Failed, None),
        ];
        let text = to_csv(&rows).expect("writing to memory");
        assert_eq!(from_csv(&text).expect("reading back"), rows);
        // Derived columns: the gap to the bound and the ratio to the best valid plan.
        let first = text.lines().nth(1).expect("a data row");
        assert!(first.contains(",0.2500,"), "{first}");
        assert!(first.ends_with(",1.0000"), "{first}");
    }

    #[test]
    fn a_bad_number_names_line_and_column() {
        let mut text = to_csv(&[row("a", "corridor", Status::Valid, Some(10))]).expect("csv");
        text = text.replace(",10,8,", ",ten,8,");
        let e = format!("{:#}", from_csv(&text).expect_err("ten is not a number"));
        assert!(e.contains("line 2") && e.contains("makespan"), "{e}");
    }

    #[test]
    fn invalid_plans_never_count_even_when_shorter() {
        let rows = vec![
            row("a", "corridor", Status::Valid, Some(11)),
            row("a", "vroom", Status::Invalid, Some(9)),
        ];
        let s = summarise(&rows, &["corridor".into(), "vroom".into()]);
        assert_eq!(s[0].valid, 1);
        assert_eq!(s[0].at_reference, 0); // optimum 10 is the reference, not the invalid 9
        assert!((s[0].mean_ratio.expect("one ratio") - 1.1).abs() < 1e-12);
        assert_eq!(s[1].valid, 0);
        assert_eq!(s[1].mean_ratio, None);
        assert_eq!(s[1].failures.get("invalid: destination-capacity"), Some(&1));
    }

    #[test]
    fn performance_profile_counts_instances_within_tau_of_best() {
        let rows = vec![
            row("a", "corridor", Status::Valid, Some(10)),
            row("a", "pyvrp", Status::Valid, Some(12)),
            row("b", "corridor", Status::Valid, Some(15)),
            row("b", "pyvrp", Status::Valid, Some(15)),
        ];
        // Best: a = 10 (optimum), b = 10 (optimum 10 is the best known).
        assert_eq!(profile(&rows, "corridor", &[1.0, 1.5]), vec![0.5, 1.0]);
        assert_eq!(
            profile(&rows, "pyvrp", &[1.0, 1.2, 1.5]),
            vec![0.0, 0.5, 1.0]
        );
    }
}
