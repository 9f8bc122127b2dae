//! The rehearsal band on the "People delivered" chart: the active plan carried out
//! many times against the scenario's `[rehearsal]` disruptions, as `corridor
//! rehearse` does, and the P10–P90 of people delivered over time. It runs once per
//! activated plan, on a blocking thread, so no request waits for it: the progress
//! route says `running` until the band is ready.

use std::sync::{Arc, Mutex};

use corridor_core::{Plan, Scenario};
use corridor_store::Store;
use serde_json::{Value, json};

/// Runs per rehearsal, and the seed: the same band every time for the same plan.
const RUNS: u64 = 100;
const SEED: u64 = 1;
/// Points on the band's time axis.
const POINTS: usize = 200;

enum Band {
    /// Rehearsing this plan.
    Running(String),
    /// This plan's band, as the progress route sends it.
    Ready(String, Arc<Value>),
    /// This plan could not be rehearsed, and why.
    Failed(String, String),
}

/// The band of the active plan, computed at most once per plan.
#[derive(Default)]
pub(crate) struct Rehearsals(Mutex<Option<Band>>);

impl Rehearsals {
    /// The band of plan `id` for the progress route: ready, running (started now if
    /// it is a plan not seen before) or failed with the reason.
    pub(crate) fn band(self: &Arc<Self>, store: &Store, id: &str, scenario: Arc<Scenario>, plan: Arc<Plan>) -> Value {
        let Ok(mut b) = self.0.lock() else {
            return json!({"status": "failed", "why": "the rehearsal's state is unreadable; restart the server"});
        };
        match &*b {
            Some(Band::Ready(p, v)) if p == id => return (**v).clone(),
            Some(Band::Running(p)) if p == id => return json!({"status": "running", "plan": id}),
            Some(Band::Failed(p, why)) if p == id => return json!({"status": "failed", "plan": id, "why": why}),
            _ => {}
        }
        *b = Some(Band::Running(id.to_string()));
        let answer = json!({"status": "running", "plan": id});
        let (me, store, id) = (self.clone(), store.clone(), id.to_string());
        tokio::spawn(async move {
            let outcome = match uncertainty(&store).await {
                Ok(u) => tokio::task::spawn_blocking(move || rehearse(&scenario, &plan, &u))
                    .await
                    .map_err(|e| format!("the rehearsal stopped: {e}")),
                Err(e) => Err(e),
            };
            if let Ok(mut b) = me.0.lock() {
                // A newer plan may have been activated meanwhile: keep only the band of the one asked for.
                if matches!(&*b, Some(Band::Running(p)) if *p == id) {
                    *b = Some(match outcome {
                        Ok(mut v) => {
                            v["plan"] = json!(id);
                            Band::Ready(id, Arc::new(v))
                        }
                        Err(why) => Band::Failed(id, why),
                    });
                }
            }
        });
        answer
    }
}

/// The scenario's `[rehearsal]` table, read from the files the store holds.
async fn uncertainty(store: &Store) -> Result<corridor_core::Uncertainty, String> {
    let main = store.meta("scenario_file").await.map_err(|e| e.to_string())?.unwrap_or_else(|| "scenario.toml".into());
    let files = store.scenario_files().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || crate::stored_scenario(&main, &files).map(|l| l.uncertainty).map_err(|e| e.to_string()))
        .await
        .map_err(|e| e.to_string())?
}

/// P10, P50 and P90 of people delivered over time, with times on the progress route's axis;
/// then what the plan page draws beside it, as `corridor rehearse` does: each run's last
/// delivery and the people it left behind (the makespan's distribution), and where the
/// vehicles' time went.
fn rehearse(s: &Scenario, plan: &Plan, u: &corridor_core::Uncertainty) -> Value {
    let prepared = corridor_sim::Prepared::new(s, plan, u);
    let runs: Vec<corridor_sim::RunResult> = (0..RUNS).map(|r| prepared.run(SEED, r, false)).collect();
    let people = s.people_by_tier().map(|p| p.0);
    let summary = corridor_sim::Summary::of(&runs, people, None, POINTS);
    let c = &summary.curve;
    let base = s.clock.as_ref().map_or(0, |c| c.unix_start);
    let column = |f: fn(&(u32, u32, u32)) -> u32| c.delivered[3].iter().map(f).collect::<Vec<u32>>();
    let at = |t: Option<corridor_core::Seconds>| t.map(|t| base + t.0);
    let time_use: Vec<Value> = corridor_sim::shares_ranked(&summary)
        .into_iter()
        .filter(|(_, share)| *share > 0.0)
        .map(|(u, share)| {
            let i = corridor_sim::Use::ALL.iter().position(|&x| x == u).unwrap_or(0);
            json!({"use": u.key(), "label": u.label(), "share": share, "hours": summary.time_hours[i]})
        })
        .collect();
    json!({
        "status": "ready",
        "runs": RUNS,
        "seed": SEED,
        "times": c.times.iter().map(|t| base + t.0).collect::<Vec<i64>>(),
        "p10": column(|x| x.0),
        "p50": column(|x| x.1),
        "p90": column(|x| x.2),
        "complete_runs": summary.complete_runs,
        "plan_last_arrival": base + corridor_core::Figures::of(s, plan).makespan.0,
        "finish_p50": at(summary.p50),
        "finish_p90": at(summary.p90),
        "last_deliveries": runs.iter().map(|r| base + r.makespan.0).collect::<Vec<i64>>(),
        "left_behind": runs.iter().map(|r| r.stranded.iter().sum::<u32>()).collect::<Vec<u32>>(),
        "left_behind_per_run": {"tier_1": summary.stranded_per_run[0], "tier_2": summary.stranded_per_run[1], "tier_3": summary.stranded_per_run[2]},
        "vehicles_lost_per_run": summary.losses_per_run,
        "time_use": time_use,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_is_ordered_and_ends_with_what_the_runs_delivered() {
        let loaded = corridor_formats::load_scenario("../../examples/tutorial/scenario.toml".as_ref()).expect("the tutorial");
        let s = &loaded.scenario;
        let text = std::fs::read_to_string("../../examples/tutorial/plan-by-hand.json").expect("the plan");
        let (plan, _) = corridor_formats::read_plan("plan-by-hand.json", &text, s).expect("a plan");
        let v = rehearse(s, &plan, &loaded.uncertainty);
        let col = |k: &str| -> Vec<u64> { v[k].as_array().expect(k).iter().map(|x| x.as_u64().expect("a count")).collect() };
        let (p10, p50, p90, times) = (col("p10"), col("p50"), col("p90"), col("times"));
        assert_eq!(times.len(), POINTS);
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        for i in 0..POINTS {
            assert!(p10[i] <= p50[i] && p50[i] <= p90[i], "at {i}");
        }
        assert!(p10.windows(2).all(|w| w[0] <= w[1]), "people delivered never go down");
        let carried: u64 = plan.routes.iter().flat_map(|r| &r.trips).flat_map(|t| t.households()).map(|h| u64::from(s.household(h).people.0)).sum();
        assert_eq!(*p90.last().expect("points"), carried, "by the last delivery of any run, the runs that finished delivered everyone carried");
        // One last delivery and one count of people left behind per run; a run that left
        // nobody behind is a complete one.
        let (last, left) = (col("last_deliveries"), col("left_behind"));
        assert_eq!((last.len(), left.len()), (RUNS as usize, RUNS as usize));
        assert_eq!(left.iter().filter(|&&x| x == 0).count() as u64, v["complete_runs"].as_u64().expect("a count"));
        // Where the time went: shares of the vehicles' time, largest first, adding up to all of it.
        let shares: Vec<f64> = v["time_use"].as_array().expect("time use").iter().map(|x| x["share"].as_f64().expect("a share")).collect();
        assert!(!shares.is_empty() && shares.windows(2).all(|w| w[0] >= w[1]));
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-6, "shares add up to one: {shares:?}");
    }
}
