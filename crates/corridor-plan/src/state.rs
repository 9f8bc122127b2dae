//! The search state: an assignment, its cost, and the moves that change it.

use corridor_core::{HouseholdId, SiteId, VehicleId};

use crate::Objective;
use crate::instance::Instance;
use crate::route::{
    RouteEval, RouteTimes, eval_route, final_leg, load_summary, time_load,
    time_load_until_final_leg,
};
use crate::schedule::{Assignment, Load, Pickup, schedule};

/// What the search minimises, compared field by field (the lexicographic objective,
/// with shift overruns first so that the search is drawn back to feasible plans,
/// the work beyond a target makespan before the makespan itself, and the sum of
/// completions after it so that work moves off the critical vehicle even while
/// another is equally late). While waiting leads (see [`State::waiting_leads`]),
/// `lead` holds the weighted waits, so that they come right after the target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cost {
    pub(crate) overrun: i64,
    pub(crate) uncarried: [i64; 3],
    /// Σ over vehicles of the time their completion passes the target (one
    /// less than the best makespan yet): a max is flat under most moves, this
    /// sum is not, and it reaches zero exactly when the target is met.
    pub(crate) excess: i64,
    /// `wait` while waiting leads the search, 0 otherwise.
    pub(crate) lead: i128,
    pub(crate) makespan: i64,
    /// Vehicles whose completion is the makespan: with a makespan of whole
    /// units, most moves leave it unchanged, and fewer critical vehicles is
    /// the way down to a lower one.
    pub(crate) critical: i64,
    pub(crate) spread: i64,
    /// Σ priority weight × people × wait (ready to the start of loading).
    pub(crate) wait: i128,
    pub(crate) weighted: i128,
    pub(crate) driving: i64,
}

/// How good a plan is, whatever the search's target: as [`Cost`] without the
/// excess, with the planner's primary objective first.
pub(crate) fn standing(
    inst: &Instance<'_>,
    c: &Cost,
) -> (i64, [i64; 3], i128, i128, i64, i64, i128, i128, i64) {
    let (first, second) = match inst.objective {
        Objective::Makespan => (i128::from(c.makespan), c.lead),
        Objective::Waiting => (c.wait, i128::from(c.makespan)),
    };
    (
        c.overrun,
        c.uncarried,
        first,
        second,
        c.critical,
        c.spread,
        c.wait,
        c.weighted,
        c.driving,
    )
}

/// The final objective: as [`Cost`] without the search's balancing terms, the
/// makespan and the weighted waits in the planner's order.
pub(crate) fn objective(inst: &Instance<'_>, c: &Cost) -> (i64, [i64; 3], i128, i128, i128, i64) {
    let (first, second) = match inst.objective {
        Objective::Makespan => (i128::from(c.makespan), c.wait),
        Objective::Waiting => (c.wait, i128::from(c.makespan)),
    };
    (c.overrun, c.uncarried, first, second, c.weighted, c.driving)
}

#[derive(Clone)]
pub(crate) struct State {
    pub(crate) a: Assignment,
    pub(crate) evals: Vec<RouteEval>,
    pub(crate) uncarried: Vec<HouseholdId>,
    pub(crate) dest_load: Vec<i64>,
    /// People of households with stretcher cases unloaded per destination: they
    /// fill the room kept for them (see [`has_room`]).
    pub(crate) stretcher_load: Vec<i64>,
    pub(crate) cost: Cost,
    /// The makespan the search is trying to reach (see [`Cost::excess`]);
    /// `i64::MAX` when there is none.
    pub(crate) target: i64,
    /// Whether the weighted waits come right after the target (see [`Cost::lead`]).
    pub(crate) waiting_leads: bool,
}

/// A change to some routes (whole new versions of them).
pub(crate) struct Change {
    pub(crate) routes: Vec<(usize, Vec<Load>)>,
    pub(crate) uncarried: Option<Vec<HouseholdId>>,
}

impl State {
    pub(crate) fn empty(inst: &Instance<'_>) -> State {
        let nv = inst.s.vehicles.len();
        let mut st = State {
            a: Assignment {
                routes: vec![Vec::new(); nv],
            },
            evals: (0..nv)
                .map(|v| eval_route(inst, VehicleId(v as u32), &[]))
                .collect(),
            uncarried: Vec::new(),
            dest_load: vec![0; inst.n_sites],
            stretcher_load: vec![0; inst.n_sites],
            cost: Cost::default(),
            target: i64::MAX,
            waiting_leads: inst.objective == Objective::Waiting,
        };
        st.cost = st.full_cost(inst);
        st
    }

    fn uncarried_cost(inst: &Instance<'_>, uncarried: &[HouseholdId]) -> [i64; 3] {
        let mut u = [0i64; 3];
        for &h in uncarried {
            u[inst.s.household(h).tier.index()] += inst.people(h);
        }
        u
    }

    /// The cost from scratch (joint schedule when vehicles interact).
    pub(crate) fn full_cost(&mut self, inst: &Instance<'_>) -> Cost {
        let uncarried = Self::uncarried_cost(inst, &self.uncarried);
        if inst.coupled {
            let s = schedule(inst, &self.a, None, true, &[], false);
            cost_of_schedule(&s, uncarried, self.target, self.waiting_leads)
        } else {
            for v in 0..self.a.routes.len() {
                self.evals[v] = eval_route(inst, VehicleId(v as u32), &self.a.routes[v]);
            }
            cost_of(&self.evals, uncarried, self.target, self.waiting_leads)
        }
    }

    /// Cost after `change`, without keeping it.
    pub(crate) fn try_change(&mut self, inst: &Instance<'_>, change: &Change) -> Cost {
        if !change_fits_capacity(inst, self, change) {
            return Cost {
                overrun: i64::MAX,
                ..Cost::default()
            };
        }
        let uncarried =
            Self::uncarried_cost(inst, change.uncarried.as_deref().unwrap_or(&self.uncarried));
        if inst.coupled {
            let mut old = Vec::with_capacity(change.routes.len());
            for (v, r) in &change.routes {
                old.push((*v, std::mem::replace(&mut self.a.routes[*v], r.clone())));
            }
            let s = schedule(inst, &self.a, None, true, &[], false);
            for (v, r) in old {
                self.a.routes[v] = r;
            }
            cost_of_schedule(&s, uncarried, self.target, self.waiting_leads)
        } else {
            let mut evals_changed: Vec<(usize, RouteEval)> =
                Vec::with_capacity(change.routes.len());
            for (v, r) in &change.routes {
                evals_changed.push((*v, eval_route(inst, VehicleId(*v as u32), r)));
            }
            let mut c = Cost {
                uncarried,
                ..Cost::default()
            };
            for (v, e) in self.evals.iter().enumerate() {
                let e = evals_changed
                    .iter()
                    .find(|(w, _)| *w == v)
                    .map_or(e, |(_, e)| e);
                add_eval(&mut c, e, self.target);
            }
            lead_with_waits(&mut c, self.waiting_leads);
            c
        }
    }

    /// A change to whole routes (nobody newly left behind), with its cost.
    pub(crate) fn price(
        &mut self,
        inst: &Instance<'_>,
        routes: Vec<(usize, Vec<Load>)>,
    ) -> (Change, Cost) {
        let change = Change {
            routes,
            uncarried: None,
        };
        let cost = self.try_change(inst, &change);
        (change, cost)
    }

    /// Keeps `change`, whose cost is `cost`.
    pub(crate) fn apply(&mut self, inst: &Instance<'_>, change: Change, cost: Cost) {
        for (v, r) in change.routes {
            self.set_route(inst, v, r);
        }
        if let Some(u) = change.uncarried {
            self.uncarried = u;
        }
        self.cost = cost;
    }

    /// Counts household `h` as unloaded at `d` (`sign` 1), or no longer (-1).
    pub(crate) fn count_household(
        &mut self,
        inst: &Instance<'_>,
        d: SiteId,
        h: HouseholdId,
        sign: i64,
    ) {
        let people = sign * inst.people(h);
        self.dest_load[d.index()] += people;
        if inst.s.household(h).stretcher_cases.0 > 0 {
            self.stretcher_load[d.index()] += people;
        }
    }

    /// Counts a whole load at its destination (`sign` 1), or no longer (-1).
    pub(crate) fn count_load(&mut self, inst: &Instance<'_>, l: &Load, sign: i64) {
        for h in l.households() {
            self.count_household(inst, l.dest, h, sign);
        }
    }

    /// Replaces route `v`, keeping the destinations' loads (and the route's figures) current.
    pub(crate) fn set_route(&mut self, inst: &Instance<'_>, v: usize, route: Vec<Load>) {
        let old = std::mem::take(&mut self.a.routes[v]);
        for l in &old {
            self.count_load(inst, l, -1);
        }
        for l in &route {
            self.count_load(inst, l, 1);
        }
        if !inst.coupled {
            self.evals[v] = eval_route(inst, VehicleId(v as u32), &route);
        }
        self.a.routes[v] = route;
    }

    /// Completion time of each route (joint when coupled).
    pub(crate) fn completions(&self, inst: &Instance<'_>) -> Vec<i64> {
        if inst.coupled {
            schedule(inst, &self.a, None, true, &[], false).completion
        } else {
            self.evals.iter().map(|e| e.completion).collect()
        }
    }
}

fn add_eval(c: &mut Cost, e: &RouteEval, target: i64) {
    c.excess += (e.completion - target).max(0);
    c.overrun += e.overrun
        + if e.reachable {
            0
        } else {
            crate::schedule::STUCK
        };
    if e.completion > c.makespan {
        c.makespan = e.completion;
        c.critical = 1;
    } else if e.completion == c.makespan && e.completion > 0 {
        c.critical += 1;
    }
    c.spread += e.completion;
    c.wait += e.weighted_wait;
    c.weighted += e.weighted_arrival;
    c.driving += e.driving;
}

fn lead_with_waits(c: &mut Cost, waiting_leads: bool) {
    c.lead = if waiting_leads { c.wait } else { 0 };
}

fn cost_of_schedule(
    s: &crate::schedule::Schedule,
    uncarried: [i64; 3],
    target: i64,
    waiting_leads: bool,
) -> Cost {
    let mut c = Cost {
        overrun: s.overrun,
        uncarried,
        excess: s.completion.iter().map(|&c| (c - target).max(0)).sum(),
        makespan: s.makespan(),
        critical: s
            .completion
            .iter()
            .filter(|&&c| c > 0 && c == s.makespan())
            .count() as i64,
        spread: s.completion.iter().sum(),
        wait: s.weighted_wait,
        weighted: s.weighted_arrival,
        driving: s.driving,
        ..Cost::default()
    };
    lead_with_waits(&mut c, waiting_leads);
    c
}

pub(crate) fn cost_of(
    evals: &[RouteEval],
    uncarried: [i64; 3],
    target: i64,
    waiting_leads: bool,
) -> Cost {
    let mut c = Cost {
        uncarried,
        ..Cost::default()
    };
    for e in evals {
        add_eval(&mut c, e, target);
    }
    lead_with_waits(&mut c, waiting_leads);
    c
}

pub(crate) fn load_people(inst: &Instance<'_>, l: &Load) -> i64 {
    l.households().map(|h| inst.people(h)).sum()
}

/// People of households without stretcher cases in a load: they may not take
/// a destination's reserved places.
pub(crate) fn load_general(inst: &Instance<'_>, l: &Load) -> i64 {
    l.households().map(|h| inst.general_people(h)).sum()
}

/// Whether vehicle `v` can carry `load` plus household `h` (seats and stretcher slots).
pub(crate) fn fits_with(
    inst: &Instance<'_>,
    v: VehicleId,
    load: Option<&Load>,
    extra: Option<HouseholdId>,
) -> bool {
    let t = inst.s.vehicle_type_of(v);
    let (mut seated, mut stretchers) = (0u32, 0u32);
    for h in load.into_iter().flat_map(|l| l.households()).chain(extra) {
        let hh = inst.s.household(h);
        seated += hh.seated().0;
        stretchers += hh.stretcher_cases.0;
    }
    seated <= t.seats.0 && stretchers <= t.stretchers.0
}

/// Whether adding a pickup at `site` keeps the load to at most one corridor.
pub(crate) fn corridor_compatible(inst: &Instance<'_>, l: &Load, site: SiteId) -> bool {
    let c = inst.governed_by[site.index()];
    c.is_none()
        || l.pickups
            .iter()
            .all(|p| inst.governed_by[p.site.index()].is_none_or(|x| Some(x) == c))
}

/// The allowed destination nearest to `site` for household `h` with room for `people` more.
pub(crate) fn nearest_dest(
    inst: &Instance<'_>,
    st: &State,
    v: VehicleId,
    site: SiteId,
    h: HouseholdId,
    people: i64,
) -> Option<SiteId> {
    inst.allowed_dest[h.index()]
        .iter()
        .copied()
        .filter(|&d| has_room(inst, st, d, h, people))
        .min_by_key(|&d| (inst.tt(v, site, d), d))
}

/// Whether destination `d` has room for `people` more of household `h`. Places
/// and insertions leave the room that stretcher households need at the
/// destinations that accept them to those households.
pub(crate) fn has_room(
    inst: &Instance<'_>,
    st: &State,
    d: SiteId,
    h: HouseholdId,
    people: i64,
) -> bool {
    if !within_places(inst, st, d, h, people) {
        return false;
    }
    if inst.s.household(h).stretcher_cases.0 > 0 || !inst.keeps_room[d.index()] {
        return true;
    }
    // Another household may take room at a destination that accepts stretcher
    // cases while those still to place fit in what all of them have left.
    let (mut placed, mut left) = (0, 0);
    for x in &inst.destinations {
        let i = x.index();
        placed += st.stretcher_load[i];
        if inst.keeps_room[i] {
            left += inst.capacity[i] - st.dest_load[i];
        }
    }
    left - people >= inst.stretcher_need - placed
}

/// Whether `people` more of household `h` fit destination `d`'s capacity and,
/// for a household without stretcher cases, the places it does not reserve.
pub(crate) fn within_places(
    inst: &Instance<'_>,
    st: &State,
    d: SiteId,
    h: HouseholdId,
    people: i64,
) -> bool {
    let general = if inst.s.household(h).has_stretcher_cases() {
        0
    } else {
        people
    };
    fits_places(inst, st, d, people, general)
}

/// Whether `people` more at destination `d`, `general` of them of households
/// without stretcher cases, fit its capacity and the places it does not reserve.
pub(crate) fn fits_places(
    inst: &Instance<'_>,
    st: &State,
    d: SiteId,
    people: i64,
    general: i64,
) -> bool {
    let i = d.index();
    st.dest_load[i] + people <= inst.capacity[i]
        && st.dest_load[i] - st.stretcher_load[i] + general <= inst.general_capacity[i]
}

/// Most stops a trip is given by insertion.
pub(crate) const MAX_STOPS: usize = 4;

/// The best way to add household `h` to route `v`, by the route's resulting
/// completion: join a load that already stops at its site, add a stop to a load,
/// or a new trip at some position. `append_only` looks only at the route's end.
pub(crate) fn best_insertion(
    inst: &Instance<'_>,
    st: &State,
    v: usize,
    h: HouseholdId,
    append_only: bool,
    noise: &mut dyn FnMut() -> f64,
) -> Option<(i64, Vec<Load>)> {
    let vid = VehicleId(v as u32);
    if !inst.carries(vid, h) {
        return None;
    }
    let hh = inst.s.household(h);
    let people = inst.people(h);
    let route = &st.a.routes[v];
    // The route timed up to each trip once; each candidate then re-times only
    // what follows its change, without copying the route.
    let times = RouteTimes::new(inst, vid, route);
    enum Choice {
        Join(usize, Load),
        New(usize, SiteId),
    }
    let mut best: Option<(i64, Choice)> = None;
    let mut consider = |completion: i64, overrun: i64, choice: &dyn Fn() -> Choice| {
        let key = ((completion + overrun * 1000) as f64 * noise()) as i64;
        if best.as_ref().is_none_or(|(k, _)| key < *k) {
            best = Some((key, choice()));
        }
    };
    let first = if append_only {
        route.len().saturating_sub(1)
    } else {
        0
    };
    for i in first..route.len() {
        let l = &route[i];
        if !fits_with(inst, vid, Some(l), Some(h))
            || !inst.allowed_dest[h.index()].contains(&l.dest)
            || !within_places(inst, st, l.dest, h, people)
        {
            continue;
        }
        // Board at a stop the trip already makes at the site, or at a stop of
        // its own anywhere in the trip: a second stop at the same site lets a
        // household that is ready late board after the others, and sometimes
        // another site fits better in between.
        for k in 0..l.pickups.len() {
            if l.pickups[k].site != hh.site {
                continue;
            }
            let mut l2 = l.clone();
            l2.pickups[k].households.push(h);
            if let Some((completion, overrun)) = times.finish(inst, vid, route, i, &l2, None, i + 1)
            {
                consider(completion, overrun, &|| Choice::Join(i, l2.clone()));
            }
        }
        if l.pickups.len() >= MAX_STOPS || !corridor_compatible(inst, l, hh.site) {
            continue;
        }
        for k in 0..=l.pickups.len() {
            let mut l2 = l.clone();
            l2.pickups.insert(
                k,
                Pickup {
                    site: hh.site,
                    households: vec![h],
                },
            );
            if let Some((completion, overrun)) = times.finish(inst, vid, route, i, &l2, None, i + 1)
            {
                consider(completion, overrun, &|| Choice::Join(i, l2.clone()));
            }
        }
    }
    // A new trip, to every destination with room (the next trip starts there,
    // so the nearest is not always the best), at every position.
    let positions = if append_only {
        route.len()..=route.len()
    } else {
        0..=route.len()
    };
    for &d in &inst.allowed_dest[h.index()] {
        if !has_room(inst, st, d, h, people) {
            continue;
        }
        let new = Load {
            pickups: vec![Pickup {
                site: hh.site,
                households: vec![h],
            }],
            dest: d,
        };
        let summary = load_summary(inst, vid, &new);
        for pos in positions.clone() {
            let Some((completion, overrun)) =
                times.finish(inst, vid, route, pos, &new, summary, pos)
            else {
                continue;
            };
            consider(completion, overrun, &|| Choice::New(pos, d));
        }
    }
    let (key, choice) = best?;
    let mut r = route.clone();
    match choice {
        Choice::Join(i, l) => r[i] = l,
        Choice::New(pos, d) => r.insert(
            pos,
            Load {
                pickups: vec![Pickup {
                    site: hh.site,
                    households: vec![h],
                }],
                dest: d,
            },
        ),
    }
    Some((key, r))
}

/// Re-chooses the destination of every trip of route `v` (keeping the trips and
/// their order) to finish the route earliest: a trip's destination is where the
/// next trip starts, so the nearest destination is not always the best. Dynamic
/// programming over (trip, destination); kept only if the destinations' room,
/// counting the rest of the plan, allows it.
pub(crate) fn best_destinations(inst: &Instance<'_>, st: &State, v: usize, route: &mut [Load]) {
    if route.is_empty() || inst.destinations.len() < 2 {
        return;
    }
    let vid = VehicleId(v as u32);
    let vehicle = inst.s.vehicle(vid);
    let dests = &inst.destinations;
    let nd = dests.len();
    // best[i][k]: earliest end of trip i unloading at dests[k], with the parent choice.
    let mut best: Vec<Vec<Option<(i64, usize)>>> = vec![vec![None; nd]; route.len()];
    let mut scratch = route[0].clone();
    let mut driving = 0;
    for i in 0..route.len() {
        // The pickups (and checkpoint) do not depend on this trip's
        // destination, only on where the previous trip ended: the best
        // previous destination is the one that sets off earliest on the last
        // leg, whatever this trip's destination (ties to the first).
        let set_off = if i == 0 {
            time_load_until_final_leg(
                inst,
                vid,
                vehicle.available_from.0,
                vehicle.depot,
                &route[i],
                &mut driving,
            )
            .map(|x| (x, usize::MAX))
        } else {
            let mut choice: Option<((i64, SiteId, i64), usize)> = None;
            for (pk, prev) in best[i - 1].iter().enumerate() {
                let Some((pt, _)) = prev else { continue };
                if let Some(x) =
                    time_load_until_final_leg(inst, vid, *pt, dests[pk], &route[i], &mut driving)
                    && choice.is_none_or(|(c, _)| x.0 < c.0)
                {
                    choice = Some((x, pk));
                }
            }
            choice
        };
        let Some(((t, at, total), parent)) = set_off else {
            continue;
        };
        if route[i].pickups.is_empty() {
            // A trip with no pickup sets off from the previous destination itself.
            for (k, &d) in dests.iter().enumerate() {
                scratch.clone_from(&route[i]);
                scratch.dest = d;
                let mut choice: Option<(i64, usize)> = None;
                if i == 0 {
                    choice = time_load(inst, vid, t, vehicle.depot, &scratch, &mut driving)
                        .map(|e| (e, usize::MAX));
                } else {
                    for (pk, prev) in best[i - 1].iter().enumerate() {
                        let Some((pt, _)) = prev else { continue };
                        if let Some(e) =
                            time_load(inst, vid, *pt, dests[pk], &scratch, &mut driving)
                            && choice.is_none_or(|(c, _)| e < c)
                        {
                            choice = Some((e, pk));
                        }
                    }
                }
                best[i][k] = choice;
            }
            continue;
        }
        for (k, &d) in dests.iter().enumerate() {
            if !route[i]
                .households()
                .all(|h| inst.allowed_dest[h.index()].contains(&d))
            {
                continue;
            }
            best[i][k] = final_leg(inst, vid, t, at, d, total, &mut driving).map(|e| (e, parent));
        }
    }
    let last = route.len() - 1;
    let Some((mut k, _)) = best[last]
        .iter()
        .enumerate()
        .filter_map(|(k, c)| c.map(|(t, _)| (k, t)))
        .min_by_key(|&(k, t)| (t, k))
    else {
        return;
    };
    let mut chosen = vec![0usize; route.len()];
    for i in (0..route.len()).rev() {
        chosen[i] = k;
        k = best[i][k].map_or(0, |(_, p)| p);
    }
    // Room: everything else in the plan stays where it is.
    let mut load = Loads::of(st);
    for l in &st.a.routes[v] {
        load.add(inst, l, l.dest, -1);
    }
    for (i, l) in route.iter().enumerate() {
        load.add(inst, l, dests[chosen[i]], 1);
    }
    if load.fit(inst) {
        for (i, l) in route.iter_mut().enumerate() {
            l.dest = dests[chosen[i]];
        }
    }
}

/// Whether a change keeps every destination within its capacity and its
/// places reserved for stretcher cases.
pub(crate) fn change_fits_capacity(inst: &Instance<'_>, st: &State, change: &Change) -> bool {
    let mut load = Loads::of(st);
    for (v, r) in &change.routes {
        for l in &st.a.routes[*v] {
            load.add(inst, l, l.dest, -1);
        }
        for l in r {
            load.add(inst, l, l.dest, 1);
        }
    }
    load.fit(inst)
}

/// People unloaded per destination, and of them those of households without
/// stretcher cases, for weighing a change against capacities and reservations.
struct Loads {
    all: Vec<i64>,
    general: Vec<i64>,
}

impl Loads {
    fn of(st: &State) -> Loads {
        Loads {
            all: st.dest_load.clone(),
            general: st
                .dest_load
                .iter()
                .zip(&st.stretcher_load)
                .map(|(a, s)| a - s)
                .collect(),
        }
    }

    /// Counts load `l` unloaded at `d` (`sign` 1), or no longer (-1).
    fn add(&mut self, inst: &Instance<'_>, l: &Load, d: SiteId, sign: i64) {
        self.all[d.index()] += sign * load_people(inst, l);
        self.general[d.index()] += sign * load_general(inst, l);
    }

    fn fit(&self, inst: &Instance<'_>) -> bool {
        self.all.iter().zip(&inst.capacity).all(|(l, c)| l <= c)
            && self
                .general
                .iter()
                .zip(&inst.general_capacity)
                .all(|(l, c)| l <= c)
    }
}
