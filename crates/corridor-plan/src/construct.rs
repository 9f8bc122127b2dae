//! The first plan: households in priority order, each placed where it is
//! unloaded earliest (joining a vehicle's last trip, or as a new trip).

use corridor_core::{HouseholdId, SiteId, VehicleId};

use crate::instance::Instance;
use crate::route::eval_route;
use crate::route::time_load;
use crate::schedule::{Load, Pickup};
use crate::state::{State, corridor_compatible, fits_with, has_room, nearest_dest, within_places};

/// Why a household could not be placed, for the report.
pub(crate) fn reason_unplaceable(inst: &Instance<'_>, st: &State, h: HouseholdId) -> String {
    let people = inst.people(h);
    let s = inst.s;
    let lying = s.household(h).stretcher_cases.0 > 0;
    if inst.fits[h.index()].is_empty()
        && lying
        && s.vehicles
            .iter()
            .all(|v| s.vehicle_types[v.vehicle_type.index()].stretchers.0 == 0)
    {
        "no vehicle in service has stretcher slots".into()
    } else if inst.fits[h.index()].is_empty() {
        "no vehicle can carry the household whole".into()
    } else if inst.allowed_dest[h.index()].is_empty() {
        if inst
            .destinations
            .iter()
            .any(|&d| s.destination_accepts(d, s.household(h)))
        {
            "the destinations that accept it keep all their places for households with stretcher cases".into()
        } else {
            "no destination accepts the household".into()
        }
    } else if !inst.allowed_dest[h.index()]
        .iter()
        .any(|&d| has_room(inst, st, d, h, people))
    {
        let reserves = |d: SiteId| {
            !lying
                && s.destination(d)
                    .is_some_and(|x| x.reserved != corridor_core::Reserved::Nothing)
        };
        let free: Vec<String> = inst.allowed_dest[h.index()]
            .iter()
            .filter(|&&d| inst.capacity[d.index()] < i64::MAX)
            .map(|&d| {
                let i = d.index();
                let left = (inst.capacity[i] - st.dest_load[i]).max(0);
                let name = &inst.s.site(d).name;
                if reserves(d) {
                    let others = st.dest_load[i] - st.stretcher_load[i];
                    let open = (inst.general_capacity[i] - others).clamp(0, left);
                    format!(
                        "{name} has {left} places left, {open} of them not reserved for stretcher cases"
                    )
                } else {
                    format!("{name} has {left} places left")
                }
            })
            .collect();
        let kept = inst.allowed_dest[h.index()]
            .iter()
            .any(|&d| within_places(inst, st, d, h, people));
        let reserved = inst.allowed_dest[h.index()]
            .iter()
            .any(|&d| st.dest_load[d.index()] + people <= inst.capacity[d.index()]);
        format!(
            "the destinations that accept it have no room for its {people} people{} ({})",
            if kept {
                " outside the places kept for stretcher cases"
            } else if reserved {
                " outside the places reserved for stretcher cases"
            } else {
                ""
            },
            free.join(", ")
        )
    } else {
        "not enough vehicle time inside the shifts and corridor windows".into()
    }
}

/// Households in the order they are placed: tier, then (within a tier) the
/// sites whose deliveries a deal's ratio waits for, then ready time and site.
pub(crate) fn priority_order(inst: &Instance<'_>) -> Vec<HouseholdId> {
    let s = inst.s;
    let unlocks = |site| {
        s.deals
            .iter()
            .any(|d| d.ratio.is_some() && d.group_b.contains(&site))
    };
    let mut order: Vec<HouseholdId> = (0..s.households.len() as u32).map(HouseholdId).collect();
    order.sort_by_key(|&h| {
        let hh = s.household(h);
        (
            hh.tier,
            !unlocks(hh.site),
            hh.ready,
            std::cmp::Reverse(hh.stretcher_cases),
            hh.site,
            std::cmp::Reverse(hh.people),
            h,
        )
    });
    order
}

/// Households in the order they become ready (then as [`priority_order`]):
/// placed so, each vehicle's trips follow the clock and nobody is queued
/// behind people who are ready hours later.
pub(crate) fn ready_order(inst: &Instance<'_>) -> Vec<HouseholdId> {
    let mut order = priority_order(inst);
    order.sort_by_key(|&h| inst.s.household(h).ready);
    order
}

/// Builds the first plan.
pub(crate) fn construct(inst: &Instance<'_>) -> State {
    build(inst, &priority_order(inst), false)
}

/// A first plan for short waits: households in [`ready_order`], and a trip
/// already stopping at a household's site is joined only where that delays
/// none of the vehicle's work.
pub(crate) fn construct_for_waits(inst: &Instance<'_>) -> State {
    build(inst, &ready_order(inst), true)
}

fn build(inst: &Instance<'_>, order: &[HouseholdId], keep_times: bool) -> State {
    let s = inst.s;
    let nv = s.vehicles.len();
    let mut st = State::empty(inst);
    // (time, place) before the last trip and at the end of each vehicle's route.
    let start: Vec<(i64, SiteId)> = (0..nv)
        .map(|v| (inst.from(VehicleId(v as u32)), s.vehicles[v].depot))
        .collect();
    let mut before_last = start.clone();
    let mut end = start;
    let mut scratch = Load {
        pickups: vec![],
        dest: SiteId(0),
    };
    let mut d = 0i64;

    // Loads that stop at each site: (vehicle, trip index), to be filled before new ones start.
    let mut open: Vec<Vec<(usize, usize)>> = vec![Vec::new(); inst.n_sites];

    for &h in order {
        let hh = s.household(h);
        let people = inst.people(h);
        // Fill trips that already stop at the site before starting new ones: a
        // half-empty trip costs a whole round trip (and, at a checkpoint, a
        // whole crossing). Among them, the one whose vehicle then finishes
        // earliest. The search rebalances the work between vehicles later.
        let mut join: Option<(i64, usize, usize)> = None;
        for &(v, i) in &open[hh.site.index()] {
            let vid = VehicleId(v as u32);
            let l = &st.a.routes[v][i];
            if !inst.carries(vid, h)
                || !fits_with(inst, vid, Some(l), Some(h))
                || !inst.allowed_dest[h.index()].contains(&l.dest)
                || !has_room(inst, &st, l.dest, h, people)
            {
                continue;
            }
            let mut r = st.a.routes[v].clone();
            if let Some(p) = r[i].pickups.iter_mut().find(|p| p.site == hh.site) {
                p.households.push(h);
            }
            let e = eval_route(inst, vid, &r);
            if keep_times && e.completion > end[v].0 {
                continue;
            }
            if e.reachable && e.overrun == 0 && join.is_none_or(|b| (e.completion, v, i) < b) {
                join = Some((e.completion, v, i));
            }
        }
        if let Some((_, v, i)) = join {
            let l = &mut st.a.routes[v][i];
            if let Some(p) = l.pickups.iter_mut().find(|p| p.site == hh.site) {
                p.households.push(h);
            }
            let d = l.dest;
            st.count_household(inst, d, h, 1);
            (before_last[v], end[v]) = ends(inst, v, &st.a.routes[v]);
            continue;
        }
        // Otherwise: add a stop to a vehicle's last trip nearby, or start a new trip,
        // whichever unloads the household earliest.
        let mut best: Option<(i64, usize, bool, SiteId)> = None;
        for &vid in &inst.fits[h.index()] {
            let v = vid.index();
            let until = inst.until(vid);
            let ret = |t: i64, at: SiteId| {
                s.vehicles[v]
                    .return_depot
                    .map_or(0, |dp| inst.tt(vid, at, dp))
                    + t
            };
            if let Some(last) = st.a.routes[v].last()
                && fits_with(inst, vid, Some(last), Some(h))
                && inst.allowed_dest[h.index()].contains(&last.dest)
                && has_room(inst, &st, last.dest, h, people)
                && last.pickups.len() < 4
                && corridor_compatible(inst, last, hh.site)
                && last
                    .pickups
                    .last()
                    .is_some_and(|p| inst.tt(vid, p.site, hh.site) <= 900)
            {
                scratch.clone_from(last);
                scratch.pickups.push(Pickup {
                    site: hh.site,
                    households: vec![h],
                });
                if let Some(done) = time_load(
                    inst,
                    vid,
                    before_last[v].0,
                    before_last[v].1,
                    &scratch,
                    &mut d,
                ) && ret(done, scratch.dest) <= until
                    && best.is_none_or(|b| (done, v) < (b.0, b.1))
                {
                    best = Some((done, v, true, last.dest));
                }
            }
            if let Some(dest) = nearest_dest(inst, &st, vid, hh.site, h, people) {
                scratch.pickups.clear();
                scratch.pickups.push(Pickup {
                    site: hh.site,
                    households: vec![h],
                });
                scratch.dest = dest;
                if let Some(done) = time_load(inst, vid, end[v].0, end[v].1, &scratch, &mut d)
                    && ret(done, dest) <= until
                    && best.is_none_or(|b| (done, v) < (b.0, b.1))
                {
                    best = Some((done, v, false, dest));
                }
            }
        }
        let Some((done, v, join_last, dest)) = best else {
            st.uncarried.push(h);
            continue;
        };
        let route = &mut st.a.routes[v];
        if join_last {
            let i = route.len() - 1;
            route[i].pickups.push(Pickup {
                site: hh.site,
                households: vec![h],
            });
            open[hh.site.index()].push((v, i));
        } else {
            before_last[v] = end[v];
            route.push(Load {
                pickups: vec![Pickup {
                    site: hh.site,
                    households: vec![h],
                }],
                dest,
            });
            open[hh.site.index()].push((v, route.len() - 1));
        }
        end[v] = (done, dest);
        st.count_household(inst, dest, h, 1);
    }
    st.cost = st.full_cost(inst);
    st
}

/// (time, place) before a route's last trip and at its end, trips timed on their own.
fn ends(inst: &Instance<'_>, v: usize, route: &[Load]) -> ((i64, SiteId), (i64, SiteId)) {
    let vid = VehicleId(v as u32);
    let mut at = (inst.from(vid), inst.s.vehicle(vid).depot);
    let mut before = at;
    let mut d = 0;
    for l in route {
        before = at;
        if let Some(t) = time_load(inst, vid, at.0, at.1, l, &mut d) {
            at = (t, l.dest);
        }
    }
    (before, at)
}

/// A first plan that follows `hint` (a plan for this scenario, e.g. the
/// previous plan carried over to what remains): its trips are kept where the
/// households still fit, in order; everyone else is inserted where they are
/// unloaded earliest. A re-plan then starts close to what drivers already
/// know, and the search only has to repair what changed.
pub(crate) fn follow(inst: &Instance<'_>, hint: &corridor_core::Plan) -> State {
    let s = inst.s;
    let mut st = State::empty(inst);
    let mut placed = vec![false; s.households.len()];
    for r in &hint.routes {
        let v = r.vehicle.index();
        if v >= s.vehicles.len() {
            continue;
        }
        let mut route: Vec<Load> = Vec::new();
        for trip in &r.trips {
            if trip.destination.index() >= inst.n_sites {
                continue;
            }
            let mut load = Load {
                pickups: vec![],
                dest: trip.destination,
            };
            for stop in &trip.stops {
                let mut households = Vec::new();
                for &h in &stop.households {
                    let people = inst.people(h);
                    if h.index() < placed.len()
                        && !placed[h.index()]
                        && s.household(h).site == stop.site
                        && inst.carries(r.vehicle, h)
                        && fits_with(inst, r.vehicle, Some(&load), Some(h))
                        && inst.allowed_dest[h.index()].contains(&trip.destination)
                        && has_room(inst, &st, trip.destination, h, people)
                    {
                        placed[h.index()] = true;
                        st.count_household(inst, trip.destination, h, 1);
                        households.push(h);
                    }
                }
                if !households.is_empty() {
                    load.pickups.push(Pickup {
                        site: stop.site,
                        households,
                    });
                }
            }
            if !load.pickups.is_empty() {
                route.push(load);
            }
        }
        // Loads were counted as they were kept; `set_route` counts them again.
        for l in &route {
            st.count_load(inst, l, -1);
        }
        st.set_route(inst, v, route);
    }
    let mut none = || 0.0;
    for h in priority_order(inst) {
        if placed[h.index()] {
            continue;
        }
        let mut best: Option<(i64, usize, Vec<Load>)> = None;
        for &vid in &inst.fits[h.index()] {
            let v = vid.index();
            if let Some((key, route)) =
                crate::state::best_insertion(inst, &st, v, h, false, &mut none)
                && best.as_ref().is_none_or(|(k, bv, _)| (key, v) < (*k, *bv))
            {
                best = Some((key, v, route));
            }
        }
        match best {
            Some((_, v, route)) => st.set_route(inst, v, route),
            None => st.uncarried.push(h),
        }
    }
    st.cost = st.full_cost(inst);
    st
}
