//! What many runs came to: the makespan's distribution, the evacuation curve,
//! where the time went, and how two plans compare on the same random streams.

use corridor_core::Seconds;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::engine::{RunResult, Use};
use crate::sample::uniform;

/// The `q`-quantile (nearest rank) of sorted values; `None` sorts last ("never").
fn quantile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[k])
}

/// When a run finished: its makespan, or `None` when someone the plan carries was never delivered.
fn finish(r: &RunResult) -> Option<Seconds> {
    r.complete().then_some(r.makespan)
}

/// Sorted finish times, unfinished runs last.
fn sorted_finishes(runs: &[RunResult]) -> Vec<Option<Seconds>> {
    let mut xs: Vec<Option<Seconds>> = runs.iter().map(finish).collect();
    xs.sort_by_key(|x| x.map_or(i64::MAX, |s| s.0));
    xs
}

/// People delivered over time: P10, P50 and P90 over runs, per tier and in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// The times, from the scenario's start to the worst run's last delivery.
    pub times: Vec<Seconds>,
    /// `[tier][time]` (P10, P50, P90) of people delivered by then; tier index 3 is everyone.
    pub delivered: [Vec<(u32, u32, u32)>; 4],
    /// People per tier (index 3: everyone), carried or not, for "still waiting".
    pub total: [u32; 4],
}

/// The distribution of one plan's outcomes over many runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Number of runs.
    pub runs: usize,
    /// Runs in which everyone the plan carries was delivered.
    pub complete_runs: usize,
    /// Makespan P10, P50, P90 and worst; `None` where that share of runs never finished.
    pub p10: Option<Seconds>,
    /// The median makespan.
    pub p50: Option<Seconds>,
    /// 90 % of runs finish by then.
    pub p90: Option<Seconds>,
    /// The worst run.
    pub worst: Option<Seconds>,
    /// Mean makespan of the runs that finished.
    pub mean: Option<Seconds>,
    /// Share of runs that delivered everyone by the deadline, when one is given.
    pub by_deadline: Option<f64>,
    /// Share of all vehicle time per category of [`Use::ALL`].
    pub time_shares: [f64; 11],
    /// Mean vehicle hours per run per category.
    pub time_hours: [f64; 11],
    /// Mean vehicles lost per run.
    pub losses_per_run: f64,
    /// Share of runs with at least one loss.
    pub runs_with_losses: f64,
    /// Mean people stranded per run, by tier.
    pub stranded_per_run: [f64; 3],
    /// Every run's last delivery, those that left people behind included: P10, P50, P90.
    /// `None` where the run at that rank delivered nobody: such runs sort first, so that
    /// "nothing delivered" is never shown as a delivery at the scenario's start.
    pub last_delivery: (Option<Seconds>, Option<Seconds>, Option<Seconds>),
    /// People stranded in a run (all tiers): P50 and P90 over runs.
    pub stranded_p50_p90: (u32, u32),
    /// Mean corridor suspensions per run.
    pub suspensions_per_run: f64,
    /// The evacuation curve.
    pub curve: Curve,
    /// Per possible road closure, in the scenario's order: how often it happened and what it cost.
    pub closures: Vec<ClosureEffect>,
    /// Mean vehicles cut off by closures per run.
    pub road_cuts_per_run: f64,
}

/// Outcomes of a subset of runs (those with a closure, or those without).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcomes {
    /// Number of runs.
    pub runs: usize,
    /// Runs in which everyone the plan carries was delivered.
    pub complete_runs: usize,
    /// The median makespan (`None`: half the runs or more left people behind, or there are none).
    pub p50: Option<Seconds>,
    /// 90 % of these runs finish by then.
    pub p90: Option<Seconds>,
    /// Mean people left behind per run (all tiers).
    pub stranded_mean: f64,
}

impl Outcomes {
    fn of<'r>(runs: impl Iterator<Item = &'r RunResult>) -> Outcomes {
        let runs: Vec<&RunResult> = runs.collect();
        let mut fin: Vec<Option<Seconds>> = runs.iter().map(|r| finish(r)).collect();
        fin.sort_by_key(|x| x.map_or(i64::MAX, |s| s.0));
        let left: u64 = runs
            .iter()
            .map(|r| u64::from(r.stranded.iter().sum::<u32>()))
            .sum();
        Outcomes {
            runs: runs.len(),
            complete_runs: fin.iter().flatten().count(),
            p50: quantile(&fin, 0.5).flatten(),
            p90: quantile(&fin, 0.9).flatten(),
            stranded_mean: if runs.is_empty() {
                0.0
            } else {
                left as f64 / runs.len() as f64
            },
        }
    }
}

/// What one possible road closure did over the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ClosureEffect {
    /// Share of runs in which it happened.
    pub share: f64,
    /// The runs in which it happened.
    pub with: Outcomes,
    /// The runs in which it did not.
    pub without: Outcomes,
    /// Vehicles it cut off (alone or with others), over all runs.
    pub vehicles_cut_off: usize,
}

impl Summary {
    /// Summarises `runs` of a scenario with `people` per tier; `deadline` for the on-time share.
    pub fn of(
        runs: &[RunResult],
        people: [u32; 3],
        deadline: Option<Seconds>,
        points: usize,
    ) -> Summary {
        let n = runs.len();
        let fin = sorted_finishes(runs);
        let done: Vec<Seconds> = fin.iter().flatten().copied().collect();
        let q = |x: f64| quantile(&fin, x).flatten();
        let mut total_use = [0f64; 11];
        for r in runs {
            for (a, b) in total_use.iter_mut().zip(r.time_use) {
                *a += b as f64;
            }
        }
        let all: f64 = total_use.iter().sum();
        let time_shares = total_use.map(|x| if all > 0.0 { x / all } else { 0.0 });
        let per_run = |x: f64| if n > 0 { x / n as f64 } else { 0.0 };
        let time_hours = total_use.map(|x| per_run(x) / 3600.0);
        let mut stranded = [0f64; 3];
        for r in runs {
            for (a, b) in stranded.iter_mut().zip(r.stranded) {
                *a += f64::from(b);
            }
        }
        let mut stranded_runs: Vec<u32> = runs.iter().map(|r| r.stranded.iter().sum()).collect();
        stranded_runs.sort_unstable();
        let mut last: Vec<Option<Seconds>> = runs
            .iter()
            .map(|r| (!r.deliveries.is_empty()).then_some(r.makespan))
            .collect();
        last.sort_unstable();
        let lq = |q: f64| quantile(&last, q).flatten();
        Summary {
            runs: n,
            last_delivery: (lq(0.1), lq(0.5), lq(0.9)),
            stranded_p50_p90: (
                quantile(&stranded_runs, 0.5).unwrap_or(0),
                quantile(&stranded_runs, 0.9).unwrap_or(0),
            ),
            complete_runs: done.len(),
            p10: q(0.1),
            p50: q(0.5),
            p90: q(0.9),
            worst: fin.last().copied().flatten(),
            mean: (!done.is_empty())
                .then(|| Seconds(done.iter().map(|s| s.0).sum::<i64>() / done.len() as i64)),
            by_deadline: deadline.map(|d| {
                per_run(
                    runs.iter()
                        .filter(|r| finish(r).is_some_and(|f| f <= d))
                        .count() as f64,
                )
            }),
            time_shares,
            time_hours,
            losses_per_run: per_run(runs.iter().map(|r| r.losses.len()).sum::<usize>() as f64),
            runs_with_losses: per_run(runs.iter().filter(|r| !r.losses.is_empty()).count() as f64),
            stranded_per_run: stranded.map(per_run),
            suspensions_per_run: per_run(
                runs.iter().map(|r| r.suspensions.len()).sum::<usize>() as f64
            ),
            curve: curve(runs, people, points),
            closures: (0..runs.first().map_or(0, |r| r.closures.len()))
                .map(|i| {
                    let happened = |r: &RunResult| r.closures.get(i).is_some_and(|c| c.happened);
                    let with = Outcomes::of(runs.iter().filter(|r| happened(r)));
                    ClosureEffect {
                        share: per_run(with.runs as f64),
                        with,
                        without: Outcomes::of(runs.iter().filter(|r| !happened(r))),
                        vehicles_cut_off: runs
                            .iter()
                            .flat_map(|r| &r.road_cuts)
                            .filter(|c| c.closures >> i & 1 == 1)
                            .count(),
                    }
                })
                .collect(),
            road_cuts_per_run: per_run(runs.iter().map(|r| r.road_cuts.len()).sum::<usize>() as f64),
        }
    }

    /// People still waiting (not yet delivered) at time `t`, per tier and in all, at P50 and P90 of runs.
    pub fn waiting_at(&self, t: Seconds) -> [(u32, u32); 4] {
        let c = &self.curve;
        let i = c.times.partition_point(|&x| x <= t);
        std::array::from_fn(|tier| {
            if i == 0 {
                return (c.total[tier], c.total[tier]);
            }
            let (p10, p50, _) = c.delivered[tier][i - 1];
            (
                c.total[tier].saturating_sub(p50),
                c.total[tier].saturating_sub(p10),
            )
        })
    }
}

/// Delivered people at `points` times from 0 to the last delivery of any run.
fn curve(runs: &[RunResult], people: [u32; 3], points: usize) -> Curve {
    let end = runs
        .iter()
        .flat_map(|r| r.deliveries.iter().map(|d| d.0))
        .max()
        .unwrap_or(Seconds::ZERO);
    let points = points.max(2);
    let times: Vec<Seconds> = (0..points)
        .map(|i| Seconds(end.0 * i as i64 / (points as i64 - 1)))
        .collect();
    // at[tier][time][run]
    let mut at = vec![vec![vec![0u32; runs.len()]; points]; 4];
    for (ri, r) in runs.iter().enumerate() {
        let mut ds = r.deliveries.clone();
        ds.sort_by_key(|d| d.0);
        let mut acc = [0u32; 4];
        let mut k = 0;
        for (ti, &t) in times.iter().enumerate() {
            while k < ds.len() && ds[k].0 <= t {
                for tier in 0..3 {
                    acc[tier] += ds[k].1[tier];
                    acc[3] += ds[k].1[tier];
                }
                k += 1;
            }
            for tier in 0..4 {
                at[tier][ti][ri] = acc[tier];
            }
        }
    }
    let delivered = std::array::from_fn(|tier| {
        at[tier]
            .iter_mut()
            .map(|xs| {
                xs.sort_unstable();
                let q = |p| quantile(xs, p).unwrap_or(0);
                (q(0.1), q(0.5), q(0.9))
            })
            .collect()
    });
    Curve {
        times,
        delivered,
        total: [people[0], people[1], people[2], people.iter().sum()],
    }
}

/// A difference of makespans, plan A minus plan B, with a 95 % confidence interval, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// The estimate.
    pub estimate: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
}

impl Difference {
    /// "A", "B" or "neither" (the interval holds zero): which plan is faster.
    pub fn better(&self) -> &'static str {
        if self.high < 0.0 {
            "A"
        } else if self.low > 0.0 {
            "B"
        } else {
            "neither"
        }
    }
}

/// Two plans rehearsed on the same random streams.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Makespan P50(A) − P50(B), in seconds, with a paired bootstrap interval
    /// (a run that left people behind counts as never finishing; two such are a tie).
    pub p50: Difference,
    /// Makespan P90(A) − P90(B), likewise.
    pub p90: Difference,
    /// Mean over runs of the makespan difference, runs where both finished, with a normal interval.
    pub mean: Option<Difference>,
    /// People left behind per run, P50(A) − P50(B), with a paired bootstrap interval.
    pub left_p50: Difference,
    /// People left behind per run, P90(A) − P90(B).
    pub left_p90: Difference,
    /// Mean over runs of the difference in people left behind, with a normal interval.
    pub left_mean: Option<Difference>,
    /// Runs in which A finished earlier than B.
    pub a_earlier: usize,
    /// Runs in which B finished earlier than A.
    pub b_earlier: usize,
}

/// P50 and P90 differences of paired values with bootstrap intervals, and the mean difference.
fn paired(pairs: &[(f64, f64)], seed: u64) -> (Difference, Difference, Option<Difference>) {
    let diff = |x: f64, y: f64| if x == y { 0.0 } else { x - y };
    let qdiff = |idx: &[usize], q: f64| {
        let mut xs: Vec<f64> = idx.iter().map(|&i| pairs[i].0).collect();
        let mut ys: Vec<f64> = idx.iter().map(|&i| pairs[i].1).collect();
        xs.sort_by(f64::total_cmp);
        ys.sort_by(f64::total_cmp);
        diff(
            quantile(&xs, q).unwrap_or(0.0),
            quantile(&ys, q).unwrap_or(0.0),
        )
    };
    let n = pairs.len();
    let all: Vec<usize> = (0..n).collect();
    // Paired bootstrap: resample runs, keeping each run's A and B together.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let resamples = 1000;
    let mut boot50 = Vec::with_capacity(resamples);
    let mut boot90 = Vec::with_capacity(resamples);
    let mut idx = vec![0usize; n];
    for _ in 0..resamples {
        for x in &mut idx {
            *x = ((uniform(&mut rng) * n as f64) as usize).min(n.saturating_sub(1));
        }
        boot50.push(qdiff(&idx, 0.5));
        boot90.push(qdiff(&idx, 0.9));
    }
    let interval = |est: f64, mut boot: Vec<f64>| {
        boot.sort_by(f64::total_cmp);
        Difference {
            estimate: est,
            low: quantile(&boot, 0.025).unwrap_or(est),
            high: quantile(&boot, 0.975).unwrap_or(est),
        }
    };
    let finite: Vec<f64> = pairs
        .iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| x - y)
        .collect();
    let mean = (finite.len() >= 2).then(|| {
        let m = finite.len() as f64;
        let mu = finite.iter().sum::<f64>() / m;
        let var = finite.iter().map(|d| (d - mu).powi(2)).sum::<f64>() / (m - 1.0);
        let half = 1.96 * (var / m).sqrt();
        Difference {
            estimate: mu,
            low: mu - half,
            high: mu + half,
        }
    });
    (
        interval(qdiff(&all, 0.5), boot50),
        interval(qdiff(&all, 0.9), boot90),
        mean,
    )
}

impl Comparison {
    /// Compares paired runs (run `i` of A met the world of run `i` of B); `seed` drives the bootstrap.
    pub fn of(a: &[RunResult], b: &[RunResult], seed: u64) -> Comparison {
        let val = |r: &RunResult| finish(r).map_or(f64::INFINITY, |s| s.0 as f64);
        let pairs: Vec<(f64, f64)> = a.iter().zip(b).map(|(x, y)| (val(x), val(y))).collect();
        let left = |r: &RunResult| f64::from(r.stranded.iter().sum::<u32>());
        let lefts: Vec<(f64, f64)> = a.iter().zip(b).map(|(x, y)| (left(x), left(y))).collect();
        let (p50, p90, mean) = paired(&pairs, seed);
        let (left_p50, left_p90, left_mean) = paired(&lefts, seed);
        Comparison {
            p50,
            p90,
            mean,
            left_p50,
            left_p90,
            left_mean,
            a_earlier: pairs.iter().filter(|(x, y)| x < y).count(),
            b_earlier: pairs.iter().filter(|(x, y)| y < x).count(),
        }
    }
}

/// The categories with their shares, largest first, for reports.
pub fn shares_ranked(s: &Summary) -> Vec<(Use, f64)> {
    let mut v: Vec<(Use, f64)> = Use::ALL.iter().copied().zip(s.time_shares).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(makespan_h: f64, stranded: u32) -> RunResult {
        RunResult {
            makespan: Seconds((makespan_h * 3600.0) as i64),
            deliveries: vec![(Seconds((makespan_h * 3600.0) as i64), [0, 0, 10])],
            stranded: [0, 0, stranded],
            time_use: [0; 11],
            losses: vec![],
            suspensions: vec![],
            closures: vec![],
            road_cuts: vec![],
            executed: None,
        }
    }

    #[test]
    fn percentiles_count_unfinished_runs_as_never() {
        let runs: Vec<RunResult> = (1..=10)
            .map(|h| run(f64::from(h), u32::from(h == 10) * 5))
            .collect();
        let s = Summary::of(&runs, [0, 0, 15], Some(Seconds(5 * 3600)), 20);
        assert_eq!(s.p50, Some(Seconds(5 * 3600)));
        assert_eq!(s.p90, Some(Seconds(9 * 3600)));
        assert_eq!(s.worst, None);
        assert_eq!(s.complete_runs, 9);
        assert_eq!(s.by_deadline, Some(0.5));
        assert_eq!(s.stranded_p50_p90, (0, 0));
        // The curve ends with everyone of the median run delivered.
        assert_eq!(s.curve.delivered[2].last().map(|x| x.1), Some(10));
    }

    #[test]
    fn runs_that_deliver_nobody_have_no_last_delivery() {
        let nobody = RunResult {
            makespan: Seconds::ZERO,
            deliveries: vec![],
            stranded: [0, 0, 10],
            ..run(0.0, 0)
        };
        // Two of ten runs deliver nobody: P10 is "nothing delivered", not the scenario's start.
        let mut runs = vec![nobody.clone(), nobody];
        runs.extend((3..=10).map(|h| run(f64::from(h), 5)));
        let s = Summary::of(&runs, [0, 0, 15], None, 20);
        assert_eq!(s.last_delivery.0, None);
        assert_eq!(s.last_delivery.1, Some(Seconds(5 * 3600)));
        assert_eq!(s.last_delivery.2, Some(Seconds(9 * 3600)));
    }

    #[test]
    fn a_plan_an_hour_slower_in_every_run_is_found_slower_with_a_tight_interval() {
        let b: Vec<RunResult> = (0..300)
            .map(|i| run(10.0 + f64::from(i % 17) / 4.0, 0))
            .collect();
        let a: Vec<RunResult> = b
            .iter()
            .map(|r| run(r.makespan.as_hours() + 1.0, 0))
            .collect();
        let c = Comparison::of(&a, &b, 1);
        assert!((c.p50.estimate - 3600.0).abs() < 1.0, "{:?}", c.p50);
        assert!(c.p50.low > 0.0 && c.p90.low > 0.0, "{c:?}");
        assert_eq!(c.p50.better(), "B");
        let m = c.mean.expect("finite");
        assert!((m.estimate - 3600.0).abs() < 1.0 && m.high - m.low < 1.0);
        assert_eq!((c.a_earlier, c.b_earlier), (0, 300));
        // Against itself: no difference.
        let same = Comparison::of(&b, &b, 1);
        assert_eq!(same.p50.estimate, 0.0);
        assert_eq!(same.p90.better(), "neither");
    }
}
