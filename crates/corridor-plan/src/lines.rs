//! Fixed lines (trains): a departure leaves its station at a set time for one
//! destination, so the planner fills it rather than routes it. Each departure,
//! in time order, takes the households waiting at its station in priority
//! order (tier, then ready time) that are ready in time to board before it
//! leaves, fit its seats and stretcher slots and the destination's room, and
//! keep their wait limit; the search then plans the rest without the lines.
//! A departure that would arrive after the plan the other vehicles make
//! without any line (its first construction) is left empty: it would only
//! make the evacuation end later.
//!
//! Not filled: a station that a corridor governs (the crossing would need a
//! lane and a window) or that belongs to a deal's group (the deal would count
//! these people); those departures run empty.

use corridor_core::{
    HouseholdId, People, Plan, Scenario, Seconds, SiteId, Stop, Trip, Uncarried, VehicleId,
    VehicleRoute,
};

use crate::instance::Instance;
use crate::{Options, Outcome, PlanError, Progress, search_scenario};

/// Every departure's trip, and which households they carry.
fn fill(s: &Scenario, inst: &Instance<'_>, latest: Seconds) -> (Vec<VehicleRoute>, Vec<bool>) {
    let mut taken = vec![false; s.households.len()];
    let mut room = inst.capacity.clone();
    // Places not reserved for stretcher cases, for the households without them.
    let mut general_room = inst.general_capacity.clone();
    let mut departures: Vec<(Seconds, usize)> = s
        .vehicles
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.timetable.map(|t| (t, i)))
        .collect();
    departures.sort();
    let mut routes = Vec::new();
    for (at, v) in departures {
        let vid = VehicleId(v as u32);
        let vehicle = s.vehicle(vid);
        let Some(&[station, end]) = vehicle.serves.as_deref() else {
            continue; // out of service in this stage
        };
        if inst.governed_by[station.index()].is_some()
            || s.deals
                .iter()
                .any(|d| d.group_a.contains(&station) || d.group_b.contains(&station))
        {
            continue;
        }
        let vt = s.vehicle_type_of(vid);
        let (Some(to_station), Some(journey)) = (
            s.travel_for(vid, vehicle.depot, station),
            s.travel_for(vid, station, end),
        ) else {
            continue;
        };
        if at + journey > latest {
            continue;
        }
        let arrives = vehicle.available_from + to_station;
        let mut waiting: Vec<HouseholdId> = (0..s.households.len() as u32)
            .map(HouseholdId)
            .filter(|&h| {
                let hh = s.household(h);
                hh.site == station
                    && !taken[h.index()]
                    && hh.ready <= at
                    && inst.carries(vid, h)
                    && inst.allowed_dest[h.index()].contains(&end)
            })
            .collect();
        waiting.sort_by_key(|&h| (s.household(h).tier, s.household(h).ready, h));
        let (mut seated, mut lying, mut people) = (People(0), People(0), People(0));
        let mut general = 0i64;
        let mut loading = arrives;
        let mut on: Vec<HouseholdId> = Vec::new();
        for h in waiting {
            let hh = s.household(h);
            let start = loading.max(hh.ready);
            let fits = seated + hh.seated() <= vt.seats
                && lying + hh.stretcher_cases <= vt.stretchers
                && i64::from((people + hh.people).0) <= room[end.index()]
                && general + inst.general_people(h) <= general_room[end.index()]
                && start + vt.boarding(people + hh.people) <= at
                && on.iter().chain([&h]).all(|&x| inst.late(x, start.0) == 0);
            if fits {
                seated += hh.seated();
                lying += hh.stretcher_cases;
                people += hh.people;
                general += inst.general_people(h);
                loading = start;
                on.push(h);
            }
        }
        if on.is_empty() {
            continue;
        }
        let unloaded = at + journey + vt.unloading(people);
        let returns_at = vehicle
            .return_depot
            .map(|d| s.travel_for(vid, end, d).map(|t| unloaded + t));
        let end_of_work = match returns_at {
            Some(None) => continue,
            Some(Some(r)) => r,
            None => unloaded,
        };
        if end_of_work > vehicle.available_until {
            continue;
        }
        room[end.index()] -= i64::from(people.0);
        general_room[end.index()] -= general;
        for &h in &on {
            taken[h.index()] = true;
        }
        routes.push(VehicleRoute {
            vehicle: vid,
            trips: vec![Trip {
                departs: vehicle.available_from,
                stops: vec![Stop {
                    site: station,
                    arrives,
                    loading_starts: loading,
                    departs: at,
                    households: on,
                }],
                crossing: None,
                destination: end,
                arrives: at + journey,
                unloaded,
            }],
            returns_at: returns_at.flatten(),
        });
    }
    (routes, taken)
}

/// Plans a scenario with fixed lines: the departures filled, the rest searched.
pub(crate) fn plan_with_lines(
    s: &Scenario,
    options: &Options,
    should_stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(Progress) + Sync),
    origins: Option<&[SiteId]>,
) -> Result<Outcome, PlanError> {
    let inst = Instance::with_origins(s, origins);
    let mut without = s.clone();
    out_of_service(&mut without);
    let first = search_scenario(
        &without,
        None,
        &Options {
            iterations: Some(0),
            threads: 1,
            ..options.clone()
        },
        &|| false,
        &|_| {},
        origins,
    )?;
    // (Where the other vehicles leave people behind, every departure may help.)
    let latest = if first.plan.uncarried.is_empty() {
        first
            .plan
            .trips()
            .map(|(_, t)| t.unloaded)
            .max()
            .unwrap_or(Seconds::MAX)
    } else {
        Seconds::MAX
    };
    let (line_routes, taken) = fill(s, &inst, latest);
    // The rest: the other households, the lines out of service.
    let mut rest = s.clone();
    let ids: Vec<HouseholdId> = (0..s.households.len() as u32)
        .map(HouseholdId)
        .filter(|h| !taken[h.index()])
        .collect();
    rest.households = ids.iter().map(|&h| s.household(h).clone()).collect();
    // What the lines deliver is no longer room at their destinations.
    for r in &line_routes {
        for t in &r.trips {
            let people: u32 = t.households().map(|h| s.household(h).people.0).sum();
            if let corridor_core::SiteKind::Destination(d) =
                &mut rest.sites[t.destination.index()].kind
            {
                d.capacity = d.capacity.map(|c| People(c.0.saturating_sub(people)));
            }
        }
    }
    out_of_service(&mut rest);
    let rest_origins: Option<Vec<SiteId>> =
        origins.map(|o| ids.iter().map(|h| o[h.index()]).collect());
    let mut out = search_scenario(
        &rest,
        None,
        options,
        should_stop,
        progress,
        rest_origins.as_deref(),
    )?;
    let mut plan = Plan {
        routes: Vec::new(),
        uncarried: Vec::new(),
    };
    plan.routes = renumbered(std::mem::take(&mut out.plan.routes), &ids);
    plan.routes.extend(line_routes);
    plan.routes.sort_by_key(|r| r.vehicle);
    plan.uncarried = out
        .plan
        .uncarried
        .into_iter()
        .map(|u| Uncarried {
            household: ids[u.household.index()],
            reason: u.reason,
        })
        .collect();
    out.plan = plan;
    out.bound = crate::lower_bound(s);
    Ok(out)
}

/// Takes the fixed lines out of the search: they serve nothing and have no time.
fn out_of_service(s: &mut Scenario) {
    for v in s.vehicles.iter_mut().filter(|v| v.timetable.is_some()) {
        v.serves = Some(Vec::new());
        v.available_until = v.available_from;
        v.return_depot = None;
    }
}

/// Routes planned for a part of a scenario's households, with each household
/// given its id in the whole (`ids[id in the part]`).
pub(crate) fn renumbered(mut routes: Vec<VehicleRoute>, ids: &[HouseholdId]) -> Vec<VehicleRoute> {
    for r in &mut routes {
        for t in &mut r.trips {
            for stop in &mut t.stops {
                for h in &mut stop.households {
                    *h = ids[h.index()];
                }
            }
        }
    }
    routes
}
