//! The general solvers: their virtual environment, the instance they read, and the
//! conversion of their answer into a Corridor plan with every event timed.
//!
//! A peer answers with *what* each vehicle does (trips: pickup stops with
//! households, one destination); the times are computed here, the same way for
//! every peer (earliest start everywhere, waiting for a free lane inside an open
//! corridor window), so that no peer gains or loses by how it reports times.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use corridor_core::{
    Crossing, HouseholdId, People, Plan, Scenario, Seconds, SiteId, SiteKind, Stop, Trip,
    Uncarried, VehicleId, VehicleRoute,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The pinned peer packages, one `name==version` a line.
pub(crate) const REQUIREMENTS: &str = "bench/peers/requirements.txt";

/// The peers the harness knows.
pub(crate) const PEERS: [&str; 3] = ["ortools", "pyvrp", "vroom"];

/// Makes `target/bench/venv` with the pinned peers; returns its Python.
///
/// Done once: a stamp file records the requirements it was made from.
pub(crate) fn ensure_venv(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = root.join("target/bench/venv");
    let python = venv.join("bin/python");
    let req =
        std::fs::read_to_string(root.join(REQUIREMENTS)).context("reading the pinned peers")?;
    let stamp = venv.join("corridor-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(req.as_str()) {
        return Ok(python);
    }
    eprintln!("installing the peers into {} (once) ...", venv.display());
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("running `python3 -m venv`: is Python 3 installed?")?;
    if !made.success() || !python.exists() {
        bail!(
            "`python3 -m venv {}` failed. On Debian or Ubuntu install the venv module first:\n    sudo apt-get install python3-venv\nthen run the benchmark again.",
            venv.display()
        );
    }
    let ok = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(root.join(REQUIREMENTS))
        .status()
        .context("running pip")?;
    if !ok.success() {
        bail!(
            "installing the peers from PyPI failed (see pip's message above); the benchmark needs internet once for this step, or run it with --solvers corridor"
        );
    }
    std::fs::write(&stamp, req)?;
    Ok(python)
}

/// The instance as the peers read it: indices into the lists, times in seconds.
pub(crate) fn export(s: &Scenario) -> Value {
    let n = s.sites.len();
    let sites: Vec<Value> = s
        .sites
        .iter()
        .map(|x| match &x.kind {
            SiteKind::Destination(d) => json!({
                "name": x.name, "kind": "destination",
                "capacity": d.capacity.map(|c| c.0),
                "accepts_stretcher": d.accepts_stretcher_cases,
                "serves": d.serves.as_ref().map(|v| v.iter().map(|i| i.0).collect::<Vec<_>>()),
            }),
            SiteKind::Pickup => json!({"name": x.name, "kind": "pickup"}),
            SiteKind::Depot => json!({"name": x.name, "kind": "depot"}),
            SiteKind::Checkpoint => json!({"name": x.name, "kind": "checkpoint"}),
            // Peers know no transfers; a hub is exported for its name only.
            SiteKind::Hub(_) => json!({"name": x.name, "kind": "hub"}),
        })
        .collect();
    let matrix: Vec<Vec<Option<i64>>> = (0..n)
        .map(|a| {
            (0..n)
                .map(|b| {
                    s.travel
                        .get(SiteId(a as u32), SiteId(b as u32))
                        .map(|t| t.0)
                })
                .collect()
        })
        .collect();
    json!({
        "name": s.name,
        "sites": sites,
        "matrix": matrix,
        "vehicle_types": s.vehicle_types.iter().map(|t| json!({
            "name": t.name, "seats": t.seats.0, "stretchers": t.stretchers.0,
            "boarding": t.boarding_per_person.0, "stop": t.stop_time.0,
            "unloading": t.unloading_per_person.0, "factor": t.travel_time_factor,
        })).collect::<Vec<_>>(),
        "vehicles": s.vehicles.iter().map(|v| json!({
            "name": v.name, "type": v.vehicle_type.0, "depot": v.depot.0,
            "from": v.available_from.0, "until": v.available_until.0,
            "return_depot": v.return_depot.map(|d| d.0),
        })).collect::<Vec<_>>(),
        "households": s.households.iter().map(|h| json!({
            "site": h.site.0, "people": h.people.0, "stretcher": h.stretcher_cases.0,
            "tier": h.tier.number(), "ready": h.ready.0,
        })).collect::<Vec<_>>(),
        "corridors": s.corridors.iter().map(|c| json!({
            "checkpoint": c.checkpoint.0,
            "governs": c.governs.iter().map(|g| g.0).collect::<Vec<_>>(),
            "processing": c.processing.0, "lanes": c.lanes,
            "windows": c.windows.iter().map(|w| [w.start.0, w.end.0]).collect::<Vec<_>>(),
            "convoy": c.convoy.is_some(),
        })).collect::<Vec<_>>(),
        "deals": s.deals.len(),
    })
}

/// A peer's answer: what each vehicle does, and how its search went.
#[derive(Debug, Deserialize)]
pub(crate) struct Answer {
    #[serde(default)]
    pub(crate) routes: Vec<AnswerRoute>,
    /// Households the peer left out.
    #[serde(default)]
    pub(crate) uncarried: Vec<u32>,
    /// Why there is no plan, when there is none.
    #[serde(default)]
    pub(crate) error: Option<String>,
    /// (seconds since start, makespan the solver believed) at every improvement.
    #[serde(default)]
    pub(crate) trace: Vec<(f64, f64)>,
    /// Seconds from the peer's clock start to its answer.
    #[serde(default)]
    pub(crate) elapsed: f64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AnswerRoute {
    pub(crate) vehicle: u32,
    pub(crate) trips: Vec<AnswerTrip>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AnswerTrip {
    pub(crate) stops: Vec<AnswerStop>,
    pub(crate) destination: u32,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AnswerStop {
    pub(crate) site: u32,
    pub(crate) households: Vec<u32>,
}

/// Runs one peer on one exported instance, in its own process with one thread.
///
/// The peer stops itself at `budget` (measured from when it has read the
/// instance, like Corridor's clock); the harness kills it at `budget` + 20 s.
pub(crate) fn run(
    root: &Path,
    python: &Path,
    peer: &str,
    instance: &Path,
    answer: &Path,
    budget: Duration,
) -> anyhow::Result<(Answer, f64)> {
    let _ = std::fs::remove_file(answer);
    let started = Instant::now();
    let mut child = Command::new(python)
        .arg(root.join("bench/peers/peer.py"))
        .args([
            "--solver",
            peer,
            "--budget",
            &format!("{}", budget.as_secs_f64()),
        ])
        .arg(instance)
        .arg(answer)
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting the {peer} peer"))?;
    let limit = budget + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait()? {
            let wall = started.elapsed().as_secs_f64();
            let text = std::fs::read_to_string(answer).unwrap_or_default();
            if text.is_empty() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                let last = err.lines().last().unwrap_or("no message").to_string();
                return Ok((
                    Answer {
                        routes: vec![],
                        uncarried: vec![],
                        error: Some(format!("crashed ({status}): {last}")),
                        trace: vec![],
                        elapsed: wall,
                    },
                    wall,
                ));
            }
            let mut a: Answer = serde_json::from_str(&text).with_context(|| {
                format!("reading the {peer} peer's answer {}", answer.display())
            })?;
            // Solvers whose construction ignores the time limit may answer late; a late
            // answer had more time than Corridor and does not count.
            let tolerance = (0.1 * budget.as_secs_f64()).max(0.5);
            if a.error.is_none() && a.elapsed > budget.as_secs_f64() + tolerance {
                a.error = Some(format!("over budget: answered after {:.1} s", a.elapsed));
            }
            return Ok((a, wall));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Ok((
                Answer {
                    routes: vec![],
                    uncarried: vec![],
                    error: Some("timeout: killed 20 s after its budget".into()),
                    trace: vec![],
                    elapsed: started.elapsed().as_secs_f64(),
                },
                started.elapsed().as_secs_f64(),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Turns a peer's answer into a plan, timing every event at the earliest the rules allow.
///
/// Refuses (with the reason) an answer that names something out of range or
/// drives a leg the travel times say is unreachable; everything else is left for
/// the validator to judge.
pub(crate) fn to_plan(s: &Scenario, a: &Answer) -> Result<Plan, String> {
    let nh = s.households.len();
    let ns = s.sites.len();
    let mut busy: Vec<Vec<(i64, i64)>> = vec![Vec::new(); s.corridors.len()];
    let mut plan = Plan::default();
    for r in &a.routes {
        if r.trips.is_empty() {
            continue;
        }
        let v = VehicleId(r.vehicle);
        let vehicle = s
            .vehicles
            .get(r.vehicle as usize)
            .ok_or_else(|| format!("vehicle index {} out of range", r.vehicle))?;
        let vt = s.vehicle_type_of(v);
        let leg = |a: SiteId, b: SiteId| -> Result<i64, String> {
            s.travel_for(v, a, b).map(|t| t.0).ok_or_else(|| {
                format!(
                    "unreachable-leg: `{}` -> `{}`",
                    s.site(a).name,
                    s.site(b).name
                )
            })
        };
        let mut at = vehicle.depot;
        let mut t = vehicle.available_from.0;
        let mut trips = Vec::new();
        for tr in &r.trips {
            if tr.destination as usize >= ns {
                return Err(format!("destination index {} out of range", tr.destination));
            }
            let departs = t;
            let mut stops: Vec<Stop> = Vec::new();
            for st in &tr.stops {
                if st.site as usize >= ns {
                    return Err(format!("site index {} out of range", st.site));
                }
                if let Some(h) = st.households.iter().find(|&&h| h as usize >= nh) {
                    return Err(format!("household index {h} out of range"));
                }
                let site = SiteId(st.site);
                let households = st.households.iter().map(|&h| HouseholdId(h));
                // Consecutive visits to one site are one stop.
                match stops.last_mut() {
                    Some(last) if last.site == site => last.households.extend(households),
                    _ => stops.push(Stop {
                        site,
                        arrives: Seconds(0),
                        loading_starts: Seconds(0),
                        departs: Seconds(0),
                        households: households.collect(),
                    }),
                }
            }
            // Earliest times: drive, wait for the households to be ready, board.
            let mut on_board = 0u32;
            for stop in &mut stops {
                let arrive = t + leg(at, stop.site)?;
                let ready = stop
                    .households
                    .iter()
                    .map(|h| s.household(*h).ready.0)
                    .max()
                    .unwrap_or(0);
                let people: u32 = stop
                    .households
                    .iter()
                    .map(|h| s.household(*h).people.0)
                    .sum();
                on_board += people;
                stop.arrives = Seconds(arrive);
                stop.loading_starts = Seconds(arrive.max(ready));
                stop.departs = Seconds(stop.loading_starts.0 + vt.boarding(People(people)).0);
                t = stop.departs.0;
                at = stop.site;
            }
            let Some(last) = stops.last() else {
                return Err("a trip without pickup stops".into());
            };
            let mut leave = last.departs.0;
            let dest = SiteId(tr.destination);
            let governed = stops.iter().find_map(|x| s.corridor_governing(x.site));
            let crossing = match governed {
                Some(c) => {
                    let corridor = &s.corridors[c.index()];
                    let queued = leave + leg(at, corridor.checkpoint)?;
                    let start = earliest_crossing(corridor, &busy[c.index()], queued)
                        .ok_or_else(|| "no open window left for a crossing".to_string())?;
                    let end = start + corridor.processing.0;
                    busy[c.index()].push((start, end));
                    at = corridor.checkpoint;
                    leave = end;
                    Some(Crossing {
                        corridor: c,
                        queued: Seconds(queued),
                        starts: Seconds(start),
                        ends: Seconds(end),
                        convoy: None,
                    })
                }
                None => None,
            };
            let arrives = leave + leg(at, dest)?;
            let unloaded = arrives + vt.unloading(People(on_board)).0;
            trips.push(Trip {
                departs: Seconds(departs),
                stops,
                crossing,
                destination: dest,
                arrives: Seconds(arrives),
                unloaded: Seconds(unloaded),
            });
            at = dest;
            t = unloaded;
        }
        let returns_at = match vehicle.return_depot {
            Some(d) => Some(Seconds(t + leg(at, d)?)),
            None => None,
        };
        plan.routes.push(VehicleRoute {
            vehicle: v,
            trips,
            returns_at,
        });
    }
    for &h in &a.uncarried {
        if h as usize >= nh {
            return Err(format!("household index {h} out of range"));
        }
        plan.uncarried.push(Uncarried {
            household: HouseholdId(h),
            reason: "left out by the solver".into(),
        });
    }
    Ok(plan)
}

/// The earliest start at or after `queued` inside an open window with a free lane.
fn earliest_crossing(c: &corridor_core::Corridor, busy: &[(i64, i64)], queued: i64) -> Option<i64> {
    let p = c.processing.0;
    let windows: Vec<(i64, i64)> = if c.windows.is_empty() {
        vec![(i64::MIN / 4, i64::MAX / 4)]
    } else {
        c.windows.iter().map(|w| (w.start.0, w.end.0)).collect()
    };
    for (ws, we) in windows {
        let mut start = queued.max(ws);
        while start + p <= we {
            let overlapping: Vec<&(i64, i64)> = busy
                .iter()
                .filter(|(a, b)| *a < start + p && start < *b)
                .collect();
            if (overlapping.len() as u32) < c.lanes {
                return Some(start);
            }
            // Try again when the first overlapping crossing ends.
            start = overlapping
                .iter()
                .map(|(_, b)| *b)
                .min()
                .unwrap_or(start + 1)
                .max(start + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_core::{Corridor, SiteId, Window};

    /// What a peer would answer for the same structure as `plan`: only trips, stops and destinations.
    fn answer_of(plan: &Plan) -> Answer {
        Answer {
            routes: plan
                .routes
                .iter()
                .map(|r| AnswerRoute {
                    vehicle: r.vehicle.0,
                    trips: r
                        .trips
                        .iter()
                        .map(|t| AnswerTrip {
                            stops: t
                                .stops
                                .iter()
                                .map(|s| AnswerStop {
                                    site: s.site.0,
                                    households: s.households.iter().map(|h| h.0).collect(),
                                })
                                .collect(),
                            destination: t.destination.0,
                        })
                        .collect(),
                })
                .collect(),
            uncarried: plan.uncarried.iter().map(|u| u.household.0).collect(),
            error: None,
            trace: vec![],
            elapsed: 0.0,
        }
    }

    fn generated(corridor: bool) -> Scenario {
        let files = corridor_generate::generate(&corridor_generate::Options {
            seed: 3,
            households: 60,
            sites: 5,
            vehicles: 4,
            corridor,
            windows: if corridor { 2 } else { 0 },
            ..corridor_generate::Options::default()
        })
        .expect("valid options");
        let mem = corridor_formats::InMemory(
            files
                .into_iter()
                .map(|f| (std::path::PathBuf::from("g").join(f.path), f.contents))
                .collect(),
        );
        corridor_formats::load_scenario_with(&mem, Path::new("g/scenario.toml"))
            .expect("the generator writes valid scenarios")
            .scenario
    }

    #[test]
    fn timing_the_planners_own_structure_gives_a_valid_plan_no_later() {
        for corridor in [false, true] {
            let s = generated(corridor);
            let options = corridor_plan::Options {
                iterations: Some(300),
                ..corridor_plan::Options::default()
            };
            let planned = corridor_plan::plan(&s, &options, &|| false, &|_| {}).expect("plannable");
            let timed = to_plan(&s, &answer_of(&planned.plan)).expect("in range");
            let violations = corridor_check::check(&s, &timed);
            assert!(
                violations.is_empty(),
                "corridor {corridor}: {:?}",
                violations.first()
            );
            let m = |p: &Plan| corridor_core::Figures::of(&s, p).makespan;
            if !corridor {
                // Earliest times everywhere cannot finish later than any valid timing of the same trips.
                assert!(m(&timed) <= m(&planned.plan));
            }
        }
    }

    #[test]
    fn an_index_out_of_range_is_refused_with_the_reason() {
        let s = generated(false);
        let mut a = answer_of(&Plan::default());
        a.routes.push(AnswerRoute {
            vehicle: 99,
            trips: vec![AnswerTrip {
                stops: vec![],
                destination: 0,
            }],
        });
        assert_eq!(
            to_plan(&s, &a).expect_err("no vehicle 99"),
            "vehicle index 99 out of range"
        );
    }

    #[test]
    fn a_crossing_waits_for_a_free_lane_inside_an_open_window() {
        let c = Corridor {
            name: "c".into(),
            checkpoint: SiteId(0),
            governs: vec![],
            windows: vec![
                Window {
                    start: Seconds(100),
                    end: Seconds(200),
                },
                Window {
                    start: Seconds(300),
                    end: Seconds(400),
                },
            ],
            lanes: 1,
            processing: Seconds(30),
            convoy: None,
        };
        let busy = [(100, 130)];
        assert_eq!(earliest_crossing(&c, &busy, 90), Some(130)); // window opens, lane busy until 130
        assert_eq!(earliest_crossing(&c, &busy, 180), Some(300)); // would end after 200: next window
        assert_eq!(earliest_crossing(&c, &busy, 390), None); // nothing left
        let two = Corridor { lanes: 2, ..c };
        assert_eq!(earliest_crossing(&two, &busy, 100), Some(100));
    }
}
