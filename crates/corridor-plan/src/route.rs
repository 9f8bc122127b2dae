//! Fast evaluation of one vehicle's trips on their own, for the search.
//!
//! Without shared checkpoint lanes or deals, vehicles do not interact and a move
//! changes only the routes it touches; this evaluator times one route in
//! O(its stops). Where vehicles interact, the search uses the joint
//! [`schedule`](crate::schedule::schedule) instead; both follow the same timing
//! rules, and a test checks they agree.

use corridor_core::{People, VehicleId};

use crate::instance::{Instance, UNREACHABLE};
use crate::schedule::Load;

/// One route's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RouteEval {
    /// Last unloading that carries people (0 if none).
    pub(crate) completion: i64,
    /// Time the vehicle's work exceeds its shift (0 when it keeps it).
    pub(crate) overrun: i64,
    /// Σ weight × people × unloading time.
    pub(crate) weighted_arrival: i128,
    /// Driving time.
    pub(crate) driving: i64,
    /// Whether every leg is reachable and every crossing finds a window.
    pub(crate) reachable: bool,
}

/// Times one load from `(t, at)`; returns the unloading end, or None if a leg is unreachable.
pub(crate) fn time_load(
    inst: &Instance<'_>,
    v: VehicleId,
    t: i64,
    at: corridor_core::SiteId,
    load: &Load,
    driving: &mut i64,
) -> Option<i64> {
    let (t, at, total) = time_load_until_final_leg(inst, v, t, at, load, driving)?;
    final_leg(inst, v, t, at, load.dest, total, driving)
}

/// The last leg of a load, from `at` (its last pickup or its checkpoint) at
/// `t`, to `dest`, and the unloading of `total` people there.
#[inline]
pub(crate) fn final_leg(
    inst: &Instance<'_>,
    v: VehicleId,
    t: i64,
    at: corridor_core::SiteId,
    dest: corridor_core::SiteId,
    total: i64,
    driving: &mut i64,
) -> Option<i64> {
    let leg = inst.tt(v, at, dest);
    if leg >= UNREACHABLE {
        return None;
    }
    *driving += leg;
    Some(t + leg + inst.s.vehicle_type_of(v).unloading(People(total as u32)).0)
}

/// Times a load's pickups and its checkpoint, which do not depend on its
/// destination: (time, place) when it sets off on the last leg, and the
/// people on board. Choosing among destinations then costs one leg each.
pub(crate) fn time_load_until_final_leg(
    inst: &Instance<'_>,
    v: VehicleId,
    t: i64,
    at: corridor_core::SiteId,
    load: &Load,
    driving: &mut i64,
) -> Option<(i64, corridor_core::SiteId, i64)> {
    let s = inst.s;
    let vt = s.vehicle_type_of(v);
    let (mut t, mut at) = (t, at);
    let mut corridor = None;
    let mut total = 0i64;
    for p in &load.pickups {
        let leg = inst.tt(v, at, p.site);
        if leg >= UNREACHABLE {
            return None;
        }
        *driving += leg;
        let mut ready = t + leg;
        let mut people = 0i64;
        for &h in &p.households {
            ready = ready.max(s.household(h).ready.0);
            people += inst.people(h);
        }
        total += people;
        t = ready + vt.boarding(People(people as u32)).0;
        at = p.site;
        if corridor.is_none() {
            corridor = inst.governed_by[p.site.index()];
        }
    }
    if let Some(c) = corridor {
        let k = inst.corridor(c);
        let leg = inst.tt(v, at, k.checkpoint);
        if leg >= UNREACHABLE {
            return None;
        }
        *driving += leg;
        let queued = t + leg;
        let mut start = queued;
        if let Some(rule) = &k.convoy
            && rule.min_convoy > 1
        {
            start = start.max(queued + rule.max_wait.0 - k.processing.0);
        }
        t = inst.window_start(c, start)? + k.processing.0;
        at = k.checkpoint;
    }
    Some((t, at, total))
}

/// Evaluates a whole route on its own.
pub(crate) fn eval_route(inst: &Instance<'_>, v: VehicleId, loads: &[Load]) -> RouteEval {
    let vehicle = inst.s.vehicle(v);
    let mut e = RouteEval {
        reachable: true,
        ..RouteEval::default()
    };
    let (mut t, mut at) = (vehicle.available_from.0, vehicle.depot);
    for load in loads {
        match time_load(inst, v, t, at, load, &mut e.driving) {
            Some(done) => {
                t = done;
                at = load.dest;
                let mut any = false;
                for h in load.households() {
                    e.weighted_arrival += i128::from(inst.weight(h)) * i128::from(t);
                    any = true;
                }
                if any {
                    e.completion = e.completion.max(t);
                }
            }
            None => {
                e.reachable = false;
                return e;
            }
        }
    }
    if let (Some(depot), false) = (vehicle.return_depot, loads.is_empty()) {
        let leg = inst.tt(v, at, depot);
        if leg >= UNREACHABLE {
            e.reachable = false;
            return e;
        }
        e.driving += leg;
        t += leg;
    }
    e.overrun = (t - vehicle.available_until.0).max(0);
    e
}
