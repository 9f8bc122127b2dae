//! Evacuations through hubs, planned in two stages.
//!
//! A hub splits the fleet: vehicles that load at pickup sites work the first
//! legs (to a hub, or straight to a destination where their `serves` allows),
//! and vehicles that load only at hubs take people on. The first stage is an
//! ordinary plan in which each hub is a destination without limits; the hub's
//! processing then fixes, to the second, when each household it received may
//! board onward ([`corridor_core::transfers`]); the second stage is an
//! ordinary plan of those households, waiting at the hub from then. The two
//! plans join into one: a household's legs are its trips, in order.
//!
//! Decomposing costs what the stages cannot trade: the first stage does not
//! know how fast the second can clear a hub. It is what makes hubs plannable by
//! the same search, and the validator judges the joined plan as a whole.

use std::time::{Duration, Instant};

use corridor_core::{
    Destination, Household, HouseholdId, People, Plan, Planning, Scenario, Seconds, SiteId,
    SiteKind, Uncarried, VehicleId, transfers,
};

use crate::bounds::dijkstra;
use crate::instance::{Instance, UNREACHABLE};
use crate::{Options, Outcome, PlanError, Progress, plan_scenario};

/// Whether a vehicle works the first legs: it may load at a pickup site.
fn loads_at_pickups(s: &Scenario, v: VehicleId) -> bool {
    s.vehicle(v).serves.as_ref().is_none_or(|list| {
        list.iter()
            .any(|&x| matches!(s.site(x).kind, SiteKind::Pickup))
    })
}

/// Whether a vehicle takes people on from a hub: it loads at a hub and at no pickup site.
fn loads_at_hubs(s: &Scenario, v: VehicleId) -> bool {
    !loads_at_pickups(s, v)
        && s.vehicle(v)
            .serves
            .as_ref()
            .is_some_and(|list| list.iter().any(|&x| s.hub(x).is_some()))
}

/// Takes vehicle `v` out of a stage: it serves nothing and has no time.
fn idle(s: &mut Scenario, v: usize) {
    let veh = &mut s.vehicles[v];
    veh.serves = Some(Vec::new());
    veh.available_until = veh.available_from;
    veh.return_depot = None;
}

/// The first stage: every household, hubs as destinations without limits,
/// the vehicles that load at pickup sites. A vehicle without `serves` keeps to
/// pickup sites and destinations: only a vehicle that names a hub goes there.
pub(crate) fn first_stage(s: &Scenario) -> Scenario {
    first_legs(s, true)
}

/// The first legs; with `narrow`, vehicles without `serves` keep off hubs (the
/// planner's choice); without it they may go anywhere, as the rules allow (the
/// lower bound's relaxation).
pub(crate) fn first_legs(s: &Scenario, narrow: bool) -> Scenario {
    let mut first = s.clone();
    let stops: Vec<SiteId> =
        s.sites_where(|k| matches!(k, SiteKind::Pickup | SiteKind::Destination(_)));
    for site in &mut first.sites {
        if matches!(site.kind, SiteKind::Hub(_)) {
            site.kind = SiteKind::Destination(Destination {
                capacity: None,
                accepts_stretcher_cases: true,
                reserved: corridor_core::Reserved::Nothing,
                serves: None,
            });
        }
    }
    for v in 0..s.vehicles.len() {
        if !loads_at_pickups(s, VehicleId(v as u32)) {
            idle(&mut first, v);
        } else if narrow && first.vehicles[v].serves.is_none() {
            first.vehicles[v].serves = Some(stops.clone());
        }
    }
    first
}

/// The second stage of `s` after `first` (a plan of [`first_stage`]): the
/// households unloaded at hubs, each at its hub from the end of its
/// processing; the vehicles that load at hubs; destinations with what the first
/// stage left of their capacity. Returns the scenario and, per household in
/// it, its id in `s`.
fn second_stage(s: &Scenario, first: &Plan) -> (Scenario, Vec<HouseholdId>) {
    let mut second = s.clone();
    let mut delivered = vec![0u32; s.sites.len()];
    for (_, trip) in first.trips() {
        if s.destination(trip.destination).is_some() {
            for h in trip.households() {
                delivered[trip.destination.index()] += s.household(h).people.0;
            }
        }
    }
    for (i, site) in second.sites.iter_mut().enumerate() {
        match &mut site.kind {
            SiteKind::Hub(_) => site.kind = SiteKind::Pickup,
            SiteKind::Destination(d) => {
                // (Whom it serves is judged on each household's own site: the
                // second stage is planned with their origins.)
                d.capacity = d.capacity.map(|c| People(c.0.saturating_sub(delivered[i])));
            }
            _ => {}
        }
    }
    let mut ids = Vec::new();
    second.households = transfers(s, first)
        .into_iter()
        .map(|t| {
            ids.push(t.arrival.household);
            Household {
                site: t.hub,
                ready: t.processed,
                ..s.household(t.arrival.household).clone()
            }
        })
        .collect();
    for v in 0..s.vehicles.len() {
        if !loads_at_hubs(s, VehicleId(v as u32)) {
            idle(&mut second, v);
        }
    }
    // Deals count the first legs (people leaving the area); wait limits run
    // from being ready to the first loading. Neither concerns onward legs.
    second.deals.clear();
    second.planning = Planning {
        objective: s.planning.objective,
        max_wait: [None; 3],
    };
    (second, ids)
}

/// Plans a scenario with hubs: the first legs, then onward from the hubs, joined.
pub(crate) fn plan_in_stages(
    s: &Scenario,
    options: &Options,
    should_stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Outcome, PlanError> {
    let started = Instant::now();
    let share = |part: u32| options.time_limit.map(|t| t * part / 2);
    let before = |limit: Option<Duration>| {
        move || should_stop() || limit.is_some_and(|l| started.elapsed() >= l)
    };
    let first_s = first_stage(s);
    let stop_first = before(share(1));
    let one = plan_scenario(&first_s, None, options, &stop_first, &|_| {}, None)?;
    let (second_s, ids) = second_stage(s, &one.plan);
    let mut plan = one.plan;
    let mut iterations = one.iterations;
    if !second_s.households.is_empty() {
        let stop_second = before(share(2));
        let origin: Vec<SiteId> = ids.iter().map(|&h| s.household(h).site).collect();
        let first_done = plan
            .trips()
            .map(|(_, t)| t.unloaded)
            .max()
            .unwrap_or(Seconds::ZERO);
        // The second stage's plans are the whole plan's: it reports them.
        let report = |p: Progress| {
            progress(match p {
                Progress::FirstPlan(m) => Progress::FirstPlan(m.max(first_done)),
                Progress::Improved(m) => Progress::Improved(m.max(first_done)),
            })
        };
        let two = plan_scenario(
            &second_s,
            None,
            options,
            &stop_second,
            &report,
            Some(&origin),
        )?;
        iterations += two.iterations;
        let onward: Vec<usize> = two.plan.routes.iter().map(|r| r.vehicle.index()).collect();
        plan.routes.retain(|r| !onward.contains(&r.vehicle.index()));
        plan.routes
            .extend(crate::lines::renumbered(two.plan.routes, &ids));
        plan.routes.sort_by_key(|r| r.vehicle);
        for u in two.plan.uncarried {
            let h = ids[u.household.index()];
            let hub = &s.site(second_s.household(u.household).site).name;
            let at = s.show_time(second_s.household(u.household).ready);
            plan.uncarried.push(Uncarried {
                household: h,
                reason: format!(
                    "brought to hub `{hub}` (processed by {at}), but not taken on: {}",
                    u.reason
                ),
            });
        }
        plan.uncarried.sort_by_key(|u| u.household);
    }
    if second_s.households.is_empty() {
        let makespan = plan
            .trips()
            .map(|(_, t)| t.unloaded)
            .max()
            .unwrap_or(Seconds::ZERO);
        progress(Progress::FirstPlan(makespan));
    }
    Ok(Outcome {
        plan,
        bound: crate::lower_bound(s),
        iterations,
    })
}

/// A bound on the makespan from the onward legs. At most the places of the
/// destinations that a vehicle loading at pickup sites may reach can be filled
/// straight; everyone else goes through a hub. They reach it no earlier than
/// their ready time plus the quickest drive there; the hubs process them at
/// their rates; and the vehicles that load at hubs must carry them on
/// (`fleet_work`, given the scenario of those people waiting at the hubs).
pub(crate) fn onward_bound(
    s: &Scenario,
    fleet_work: impl Fn(&Instance<'_>, &[SiteId], i64) -> i64,
) -> i64 {
    let hubs = s.sites_where(|k| matches!(k, SiteKind::Hub(_)));
    let total: i64 = s.households.iter().map(|h| i64::from(h.people.0)).sum();
    // Places that direct trips may fill.
    let mut direct = 0i64;
    for d in s.sites_where(|k| matches!(k, SiteKind::Destination(_))) {
        let reachable = (0..s.vehicles.len()).any(|v| {
            let v = VehicleId(v as u32);
            loads_at_pickups(s, v) && s.vehicle_serves(v, d)
        });
        if reachable {
            match s.destination(d).and_then(|x| x.capacity) {
                Some(c) => direct += i64::from(c.0),
                None => return 0,
            }
        }
    }
    let through = total - direct;
    if through <= 0 {
        return 0;
    }
    // The quickest any vehicle type gets from `a` to `b`, by way of any sites
    // (a matrix may break the triangle inequality).
    let unrestricted = Instance::new(s);
    let n = s.sites.len();
    let paths = |from: SiteId, reverse: bool| -> Vec<i64> {
        let mut best = vec![UNREACHABLE; n];
        for table in &unrestricted.travel {
            let d = dijkstra(n, table, &[(from.index(), 0)], reverse);
            for (b, x) in best.iter_mut().zip(d) {
                *b = (*b).min(x);
            }
        }
        best
    };
    let to_hub: Vec<Vec<i64>> = hubs.iter().map(|&u| paths(u, true)).collect();
    let from_hub: Vec<Vec<i64>> = hubs.iter().map(|&u| paths(u, false)).collect();
    let quickest = |a: SiteId, b: SiteId| -> i64 {
        match (
            hubs.iter().position(|&u| u == b),
            hubs.iter().position(|&u| u == a),
        ) {
            (Some(k), _) => to_hub[k][a.index()],
            (None, Some(k)) => from_hub[k][b.index()],
            (None, None) => UNREACHABLE,
        }
    };
    // The scenario of everyone waiting at the hubs from the earliest they could be there.
    let mut onward = s.clone();
    for site in &mut onward.sites {
        match &mut site.kind {
            SiteKind::Hub(_) => site.kind = SiteKind::Pickup,
            // (Whom it serves is judged on the households' own sites, which
            // this scenario moves: left out, the bound stays a bound.)
            SiteKind::Destination(d) => d.serves = None,
            _ => {}
        }
    }
    let mut earliest_at_hub = i64::MAX;
    for h in &mut onward.households {
        let (hub, drive) = hubs
            .iter()
            .map(|&u| (u, quickest(h.site, u)))
            .min_by_key(|&(_, t)| t)
            .unwrap_or((h.site, UNREACHABLE));
        if drive >= UNREACHABLE {
            continue; // it cannot reach a hub: the first stage's bound speaks for it
        }
        h.ready = Seconds(h.ready.0 + drive);
        h.site = hub;
        earliest_at_hub = earliest_at_hub.min(h.ready.0);
    }
    // (Only the vehicles that may work onward legs: counted among the fleet,
    // the others would offer first trips that cost nothing.)
    let keep: Vec<bool> = (0..s.vehicles.len())
        .map(|v| {
            let vid = VehicleId(v as u32);
            hubs.iter().any(|&u| s.vehicle_serves(vid, u))
                && s.vehicle(vid)
                    .serves
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|&d| s.destination(d).is_some()))
        })
        .collect();
    // A fixed line's departure carries at most its load, once: the others carry the rest.
    let by_lines: i64 = (0..s.vehicles.len())
        .filter(|&v| keep[v] && s.vehicles[v].timetable.is_some())
        .map(|v| {
            let t = s.vehicle_type_of(VehicleId(v as u32));
            i64::from(t.seats.0 + t.stretchers.0)
        })
        .sum();
    let mut k = (0..s.vehicles.len()).map(|v| keep[v] && s.vehicles[v].timetable.is_none());
    onward.vehicles.retain(|_| k.next().unwrap_or(false));
    onward.deals.clear();
    onward.corridors.clear();
    let by_road = through - by_lines;
    // (With two hubs or more, which hub each household uses is not known: the
    // fleet's work is bounded only through one.)
    let work = if by_road > 0 && !onward.vehicles.is_empty() && hubs.len() == 1 {
        fleet_work(&Instance::new(&onward), &hubs, by_road)
    } else {
        0
    };
    // Processing: the hubs together handle at most the sum of their rates.
    let rates: Option<i64> = hubs
        .iter()
        .map(|&u| s.hub(u).and_then(|h| h.people_per_hour).map(i64::from))
        .sum();
    let processing = match rates {
        Some(r) if r > 0 && earliest_at_hub < i64::MAX => {
            let on = hubs
                .iter()
                .flat_map(|&u| {
                    s.sites_where(|k| matches!(k, SiteKind::Destination(_)))
                        .into_iter()
                        .map(move |d| (u, d))
                })
                .map(|(u, d)| quickest(u, d))
                .min()
                .unwrap_or(UNREACHABLE);
            if on >= UNREACHABLE {
                0
            } else {
                earliest_at_hub + (through * 3600 + r - 1) / r + on
            }
        }
        _ => 0,
    };
    work.max(processing)
}
