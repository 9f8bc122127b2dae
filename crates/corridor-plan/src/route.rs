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
    /// Σ weight × people × (start of loading − ready): how long people wait.
    pub(crate) weighted_wait: i128,
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
    time_pickups(inst, v, t, at, load, driving, None)
}

/// [`time_load_until_final_leg`], adding to `wait` (when given) Σ weight ×
/// people × how long each household waits for loading to start, and the
/// seconds by which loading starts past households' wait limits.
fn time_pickups(
    inst: &Instance<'_>,
    v: VehicleId,
    t: i64,
    at: corridor_core::SiteId,
    load: &Load,
    driving: &mut i64,
    mut wait: Option<(&mut i128, &mut i64)>,
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
        if let Some((w, late)) = wait.as_mut() {
            for &h in &p.households {
                **w += i128::from(inst.weight(h)) * i128::from(ready - s.household(h).ready.0);
                **late += inst.late(h, ready);
            }
        }
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
    let mut late = 0i64;
    for load in loads {
        let timed = time_pickups(
            inst,
            v,
            t,
            at,
            load,
            &mut e.driving,
            Some((&mut e.weighted_wait, &mut late)),
        )
        .and_then(|(t, at, total)| final_leg(inst, v, t, at, load.dest, total, &mut e.driving));
        match timed {
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
    // A wait limit is kept like a shift: passing it is an overrun to remove.
    e.overrun = (t - vehicle.available_until.0).max(0) + late;
    e
}

/// Far enough below any time that adding a horizon's worth of driving keeps it below.
const NEVER: i64 = i64::MIN / 4;

/// `t ↦ max(t + add, floor)`: when a stretch of a route ends, given when it
/// is entered. Driving adds; waiting for households not yet ready is a max; and
/// such functions compose into one of the same form, as does the later of two.
/// So every suffix of a route is two numbers, and a candidate change is priced
/// in the time to time the changed trip, whatever follows it (PyVRP's
/// concatenable segments, for a makespan with ready times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stretch {
    add: i64,
    floor: i64,
}

impl Stretch {
    const NOTHING: Stretch = Stretch {
        add: 0,
        floor: NEVER,
    };

    fn drive(t: i64) -> Stretch {
        Stretch {
            add: t,
            floor: NEVER,
        }
    }

    #[inline]
    fn at(self, t: i64) -> i64 {
        (t + self.add).max(self.floor)
    }

    /// This stretch, then `next`.
    fn then(self, next: Stretch) -> Stretch {
        Stretch {
            add: self.add + next.add,
            floor: (self.floor + next.add).max(next.floor),
        }
    }

    /// The later of the two ends.
    fn later(self, other: Stretch) -> Stretch {
        Stretch {
            add: self.add.max(other.add),
            floor: self.floor.max(other.floor),
        }
    }
}

/// Where a load's first leg goes: its first pickup, or (with none) its destination.
fn entry(load: &Load) -> corridor_core::SiteId {
    load.pickups.first().map_or(load.dest, |p| p.site)
}

/// A load from its arrival at [`entry`] to the end of its unloading; None when
/// a leg inside it is unreachable or it crosses a corridor (whose windows are
/// steps, not a max).
fn load_stretch(inst: &Instance<'_>, v: VehicleId, load: &Load) -> Option<Stretch> {
    let vt = inst.s.vehicle_type_of(v);
    let mut s = Stretch::NOTHING;
    let mut at = None;
    let mut total = 0i64;
    for p in &load.pickups {
        if inst.governed_by[p.site.index()].is_some() {
            return None;
        }
        if let Some(from) = at {
            let leg = inst.tt(v, from, p.site);
            if leg >= UNREACHABLE {
                return None;
            }
            s = s.then(Stretch::drive(leg));
        }
        let mut ready = NEVER;
        let mut people = 0i64;
        for &h in &p.households {
            ready = ready.max(inst.s.household(h).ready.0);
            people += inst.people(h);
        }
        total += people;
        let board = vt.boarding(People(people as u32)).0;
        s = s.then(Stretch {
            add: board,
            floor: ready + board,
        });
        at = Some(p.site);
    }
    let last_leg = match at {
        Some(from) => inst.tt(v, from, load.dest),
        None => 0,
    };
    if last_leg >= UNREACHABLE {
        return None;
    }
    let unload = vt.unloading(People(total as u32)).0;
    Some(s.then(Stretch::drive(last_leg + unload)))
}

/// A load timed once from its arrival at its first stop, to be priced at many
/// positions (a [`Stretch`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoadSummary(Stretch);

/// The summary of `load` for vehicle `v`; None where it must be timed stop by
/// stop (a corridor's windows, an unreachable leg).
pub(crate) fn load_summary(inst: &Instance<'_>, v: VehicleId, load: &Load) -> Option<LoadSummary> {
    load_stretch(inst, v, load).map(LoadSummary)
}

/// One route timed once, so that a change at any position is priced without
/// re-timing the trips after it: the state before each trip, and each suffix
/// as a [`Stretch`] (when no trip of the route crosses a corridor).
pub(crate) struct RouteTimes {
    /// (time, place, last unloading with people so far) before each trip and
    /// after the last; shorter when a leg is unreachable.
    before: Vec<(i64, corridor_core::SiteId, i64)>,
    /// For each position: the route's end and its last unloading with people
    /// (None if no later trip carries anyone), from the arrival at that trip's
    /// [`entry`]. Empty when some trip crosses a corridor.
    after: Vec<Option<(Stretch, Option<Stretch>)>>,
}

impl RouteTimes {
    pub(crate) fn new(inst: &Instance<'_>, v: VehicleId, route: &[Load]) -> RouteTimes {
        let vehicle = inst.s.vehicle(v);
        let mut before = Vec::with_capacity(route.len() + 1);
        let (mut t, mut at, mut done) = (vehicle.available_from.0, vehicle.depot, 0i64);
        before.push((t, at, done));
        let mut d = 0;
        for l in route {
            let Some(end) = time_load(inst, v, t, at, l, &mut d) else {
                break;
            };
            t = end;
            at = l.dest;
            if l.households().next().is_some() {
                done = done.max(end);
            }
            before.push((t, at, done));
        }
        let mut after = vec![None; route.len()];
        let mut next: Option<(Stretch, Option<Stretch>)> = None;
        for i in (0..route.len()).rev() {
            let Some(own) = load_stretch(inst, v, &route[i]) else {
                if route[i]
                    .pickups
                    .iter()
                    .any(|p| inst.governed_by[p.site.index()].is_some())
                {
                    return RouteTimes {
                        before,
                        after: Vec::new(),
                    };
                }
                next = None;
                continue;
            };
            let carries = route[i].households().next().is_some().then_some(own);
            let here = if i + 1 == route.len() {
                Some((own, carries))
            } else {
                next.and_then(|(end, last)| {
                    let leg = inst.tt(v, route[i].dest, entry(&route[i + 1]));
                    if leg >= UNREACHABLE {
                        return None;
                    }
                    let to_next = own.then(Stretch::drive(leg));
                    let later = last.map(|l| to_next.then(l));
                    let last = match (carries, later) {
                        (Some(a), Some(b)) => Some(a.later(b)),
                        (a, b) => a.or(b),
                    };
                    Some((to_next.then(end), last))
                })
            };
            after[i] = here;
            next = here;
        }
        RouteTimes { before, after }
    }

    /// The route's completion and shift overrun (return leg included), as
    /// [`eval_route`] would give them, when trips `[..at]` are kept, then
    /// `changed` (with its [`load_summary`] when it is priced at many
    /// positions), then trips `[rest..]`; None if a leg is unreachable.
    #[allow(clippy::too_many_arguments)] // a route, a change and where it goes
    pub(crate) fn finish(
        &self,
        inst: &Instance<'_>,
        v: VehicleId,
        route: &[Load],
        at: usize,
        changed: &Load,
        summary: Option<LoadSummary>,
        rest: usize,
    ) -> Option<(i64, i64)> {
        self.splice(inst, v, at, Some((changed, summary)), self, route, rest)
    }

    /// As [`RouteTimes::finish`], for this route's trips `[..at]`, then
    /// `changed` (if any), then trips `[rest..]` of `tail_route` (timed in
    /// `tail`, for a vehicle of the same type as `v`): the routes of two
    /// vehicles exchanging their ends, or a trip.
    #[allow(clippy::too_many_arguments)] // two routes, each with its times and a position
    pub(crate) fn splice(
        &self,
        inst: &Instance<'_>,
        v: VehicleId,
        at: usize,
        changed: Option<(&Load, Option<LoadSummary>)>,
        tail: &RouteTimes,
        tail_route: &[Load],
        rest: usize,
    ) -> Option<(i64, i64)> {
        let &(mut t, mut place, mut done) = self.before.get(at)?;
        let mut d = 0;
        if let Some((changed, summary)) = changed {
            t = match summary {
                Some(LoadSummary(s)) => {
                    let leg = inst.tt(v, place, entry(changed));
                    if leg >= UNREACHABLE {
                        return None;
                    }
                    s.at(t + leg)
                }
                None => time_load(inst, v, t, place, changed, &mut d)?,
            };
            place = changed.dest;
            if changed.households().next().is_some() {
                done = done.max(t);
            }
        }
        if rest < tail_route.len() {
            if tail.after.is_empty() {
                // A corridor's windows: time the rest trip by trip.
                for l in &tail_route[rest..] {
                    t = time_load(inst, v, t, place, l, &mut d)?;
                    place = l.dest;
                    if l.households().next().is_some() {
                        done = done.max(t);
                    }
                }
            } else {
                let (end, last_unloading) = tail.after[rest]?;
                let leg = inst.tt(v, place, entry(&tail_route[rest]));
                if leg >= UNREACHABLE {
                    return None;
                }
                let x = t + leg;
                done = last_unloading.map_or(done, |l| done.max(l.at(x)));
                t = end.at(x);
                place = tail_route[tail_route.len() - 1].dest;
            }
        }
        let vehicle = inst.s.vehicle(v);
        let empty = at == 0 && changed.is_none() && rest >= tail_route.len();
        if let (Some(depot), false) = (vehicle.return_depot, empty) {
            let leg = inst.tt(v, place, depot);
            if leg >= UNREACHABLE {
                return None;
            }
            t += leg;
        }
        Some((done, (t - vehicle.available_until.0).max(0)))
    }
}

#[cfg(test)]
mod tests {
    use corridor_core::{HouseholdId, Seconds};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::schedule::Pickup;

    fn scenario(seed: u64, corridor: bool) -> corridor_core::Scenario {
        let o = corridor_generate::Options {
            seed,
            households: 30,
            sites: 5,
            vehicles: 3,
            corridor,
            windows: if corridor { 2 } else { 0 },
            ..corridor_generate::Options::default()
        };
        let files = corridor_generate::generate(&o).expect("valid options");
        let mem = corridor_formats::InMemory(
            files
                .iter()
                .map(|f| (std::path::Path::new("t").join(&f.path), f.contents.clone()))
                .collect(),
        );
        let path = std::path::Path::new("t/scenario.toml");
        match corridor_formats::load_scenario_with(&mem, path) {
            Ok(l) => l.scenario,
            Err(e) => panic!("{e}"),
        }
    }

    /// Pricing a change from the routes' summaries gives what timing the
    /// changed route from scratch gives: new trips, replaced and removed ones,
    /// two routes' ends exchanged, with households that are ready late, empty
    /// trips, trips with several stops, unreachable legs, return depots and
    /// corridors.
    #[test]
    fn priced_changes_match_a_full_timing() {
        let mut checked = 0;
        for seed in 0..36u64 {
            let mut s = scenario(seed, seed % 3 == 2);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for h in &mut s.households {
                if rng.random_bool(0.4) {
                    h.ready = Seconds(rng.random_range(0..4 * 3600));
                }
            }
            let mut inst = Instance::new(&s);
            // Some legs unreachable (a cut road), in a third of the scenarios.
            if seed % 3 == 1 {
                for table in &mut inst.legs {
                    for t in table.iter_mut() {
                        if rng.random_bool(0.1) {
                            *t = UNREACHABLE;
                        }
                    }
                }
            }
            let inst = inst;
            // A trip from household `h`'s site, sometimes with another household
            // there and up to two more stops elsewhere.
            let load_of = |h: usize, rng: &mut ChaCha8Rng| -> Option<Load> {
                let dests = &inst.allowed_dest[h];
                if dests.is_empty() {
                    return None;
                }
                let mut pickups: Vec<Pickup> = Vec::new();
                for k in 0..rng.random_range(1..=3) {
                    let h = if k == 0 {
                        h
                    } else {
                        rng.random_range(0..s.households.len())
                    };
                    let site = s.households[h].site;
                    let mut households = vec![HouseholdId(h as u32)];
                    if let Some(o) = (0..s.households.len())
                        .find(|&o| o != h && s.households[o].site == site && rng.random_bool(0.3))
                    {
                        households.push(HouseholdId(o as u32));
                    }
                    match pickups.iter_mut().find(|p| p.site == site) {
                        Some(p) => p.households.extend(households),
                        None => pickups.push(Pickup { site, households }),
                    }
                }
                Some(Load {
                    pickups,
                    dest: dests[rng.random_range(0..dests.len())],
                })
            };
            let mut routes = Vec::new();
            for _ in 0..s.vehicles.len() {
                let mut route = Vec::new();
                for _ in 0..rng.random_range(0..7) {
                    let h = rng.random_range(0..s.households.len());
                    if let Some(mut l) = load_of(h, &mut rng) {
                        if rng.random_bool(0.2) {
                            l.pickups.clear(); // a trip with nobody on board
                        }
                        route.push(l);
                    }
                }
                routes.push(route);
            }
            let times: Vec<RouteTimes> = routes
                .iter()
                .enumerate()
                .map(|(v, r)| RouteTimes::new(&inst, VehicleId(v as u32), r))
                .collect();
            for _ in 0..60 {
                let v = rng.random_range(0..routes.len());
                // The tail comes from the same route, or another of the same type.
                let w = rng.random_range(0..routes.len());
                let w = if s.vehicles[w].vehicle_type == s.vehicles[v].vehicle_type {
                    w
                } else {
                    v
                };
                let (route, tail) = (&routes[v], &routes[w]);
                let changed = if rng.random_bool(0.7) {
                    load_of(rng.random_range(0..s.households.len()), &mut rng)
                } else {
                    None
                };
                let at = rng.random_range(0..=route.len());
                let rest = if v == w {
                    // Insert before `at`, or replace the trip there.
                    if at < route.len() && rng.random_bool(0.5) {
                        at + 1
                    } else {
                        at
                    }
                } else {
                    rng.random_range(0..=tail.len())
                };
                let mut full: Vec<Load> = route[..at].to_vec();
                full.extend(changed.clone());
                full.extend_from_slice(&tail[rest..]);
                let vid = VehicleId(v as u32);
                let e = eval_route(&inst, vid, &full);
                let expected = e.reachable.then_some((e.completion, e.overrun));
                // The changed trip timed stop by stop, or from its summary.
                let summary = changed
                    .as_ref()
                    .and_then(|l| load_summary(&inst, vid, l))
                    .filter(|_| rng.random_bool(0.5));
                let changed = changed.as_ref().map(|l| (l, summary));
                let got = times[v].splice(&inst, vid, at, changed, &times[w], tail, rest);
                assert_eq!(got, expected, "seed {seed}, {v} at {at}, {w} from {rest}");
                checked += 1;
            }
        }
        assert!(checked >= 700, "only {checked} changes checked");
    }
}
