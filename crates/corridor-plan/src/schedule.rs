//! From an assignment (which vehicle carries which households, in which trips,
//! to which destination) to the time of every event.
//!
//! Vehicles are scheduled together, event by event in time order, because they
//! share checkpoint lanes and linked-evacuation deals: a vehicle joins the
//! checkpoint queue in arrival order (first come, first served, on the first free
//! lane, inside an open window), and a delivery that a deal does not yet allow
//! is held at the destination until the other group's deliveries allow it. Every
//! event is as early as these rules permit, so for a fixed assignment the
//! schedule is the earliest one.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use corridor_core::{
    CorridorId, Crossing, HouseholdId, People, Plan, SiteId, Stop, Trip, VehicleId, VehicleRoute,
};

use crate::instance::{Instance, UNREACHABLE, secs};

/// Overrun charged for a vehicle that cannot finish its trips at all.
pub(crate) const STUCK: i64 = 1 << 40;

/// Households boarding at one pickup site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pickup {
    pub(crate) site: SiteId,
    pub(crate) households: Vec<HouseholdId>,
}

/// One trip of a vehicle: pickups in order, then one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Load {
    pub(crate) pickups: Vec<Pickup>,
    pub(crate) dest: SiteId,
}

impl Load {
    pub(crate) fn households(&self) -> impl Iterator<Item = HouseholdId> + '_ {
        self.pickups
            .iter()
            .flat_map(|p| p.households.iter().copied())
    }
}

/// What the search changes: every vehicle's trips (index = vehicle id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Assignment {
    pub(crate) routes: Vec<Vec<Load>>,
}

/// The result of scheduling an assignment.
#[derive(Clone, Debug, Default)]
pub(crate) struct Schedule {
    /// Last unloading of each vehicle that carries people (0 otherwise).
    pub(crate) completion: Vec<i64>,
    /// Whether each vehicle's schedule keeps its shift and reaches every site.
    pub(crate) route_ok: Vec<bool>,
    /// Σ priority weight × people × unloading time.
    pub(crate) weighted_arrival: i128,
    /// Σ priority weight × people × (start of loading − ready).
    pub(crate) weighted_wait: i128,
    /// Total driving time.
    pub(crate) driving: i64,
    /// The plan with every event time, when asked for.
    pub(crate) plan: Option<Plan>,
    /// Time waited at the checkpoint (queue and windows) and held by deals, for reports.
    pub(crate) waiting: i64,
    /// Seconds by which vehicles overrun their shifts and loading starts pass
    /// households' wait limits, plus a large penalty per vehicle that cannot
    /// finish (an unreachable leg, no window left, a delivery held for ever).
    pub(crate) overrun: i64,
    /// Households whose loading starts past their tier's `max_wait`, with the vehicle.
    pub(crate) too_late: Vec<(HouseholdId, usize)>,
}

impl Schedule {
    pub(crate) fn makespan(&self) -> i64 {
        self.completion.iter().copied().max().unwrap_or(0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// The vehicle reaches the checkpoint of its current load.
    Queue,
    /// The vehicle finishes unloading its current load (a deal may hold it).
    Deliver,
    /// A gathering convoy has waited `max_wait` since its first vehicle came: it leaves.
    ConvoyDeadline(u32),
}

/// Vehicles gathering into a convoy at a checkpoint, in arrival order.
struct Gathering {
    id: u32,
    members: Vec<(usize, i64)>,
}

struct VehicleState {
    t: i64,
    at: SiteId,
    load: usize,
    trip: Option<Trip>,
    ok: bool,
}

/// Schedules `routes` (only the vehicles in `which`, or all), holding deliveries for deals when `deals` is set.
///
/// `holds[v][i]`, when present, delays the departure from the last pickup of
/// vehicle `v`'s trip `i` to at least that time (for "A leaves last" rules).
pub(crate) fn schedule(
    inst: &Instance<'_>,
    a: &Assignment,
    which: Option<&[usize]>,
    deals: bool,
    holds: &[(usize, usize, i64)],
    record: bool,
) -> Schedule {
    let s = inst.s;
    let nv = a.routes.len();
    let all: Vec<usize>;
    let vehicles: &[usize] = match which {
        Some(w) => w,
        None => {
            all = (0..nv).collect();
            &all
        }
    };
    let mut out = Schedule {
        completion: vec![0; nv],
        route_ok: vec![true; nv],
        ..Schedule::default()
    };
    let mut routes_out: Vec<Option<VehicleRoute>> = vec![None; nv];
    let mut st: Vec<VehicleState> = (0..nv)
        .map(|v| VehicleState {
            t: inst.from(VehicleId(v as u32)),
            at: s.vehicle(VehicleId(v as u32)).depot,
            load: 0,
            trip: None,
            ok: true,
        })
        .collect();
    let mut lanes: Vec<Vec<i64>> = s
        .corridors
        .iter()
        .map(|c| vec![i64::MIN; c.lanes as usize])
        .collect();
    let mut convoys_in_window: Vec<Vec<u32>> = s
        .corridors
        .iter()
        .map(|c| vec![0; c.windows.len()])
        .collect();
    let mut next_convoy = 1u32;
    let mut gathering: Vec<Option<Gathering>> = s.corridors.iter().map(|_| None).collect();
    // Per ratio deal: people delivered from A and from B so far.
    let ratio_deals: Vec<usize> = if deals {
        (0..s.deals.len())
            .filter(|&d| s.deals[d].ratio.is_some())
            .collect()
    } else {
        vec![]
    };
    let mut delivered = vec![(0i64, 0i64); s.deals.len()];
    let mut parked: Vec<(i64, usize)> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(i64, u8, Step, usize)>> = BinaryHeap::new();

    // Advances vehicle v from where it is through the pickups of its current load,
    // returning the next step, or None when it has no more loads.
    let advance = |v: usize, st: &mut VehicleState, out: &mut Schedule| -> Option<(i64, Step)> {
        let vid = VehicleId(v as u32);
        let load = a.routes[v].get(st.load)?;
        let vt = s.vehicle_type_of(vid);
        let mut trip = Trip {
            departs: secs(st.t),
            stops: Vec::new(),
            crossing: None,
            destination: load.dest,
            arrives: secs(0),
            unloaded: secs(0),
        };
        let mut corridor = None;
        let n_pickups = load.pickups.len();
        for (pi, p) in load.pickups.iter().enumerate() {
            let leg = inst.tt(vid, st.at, p.site);
            if leg >= UNREACHABLE {
                st.ok = false;
            }
            out.driving += leg.min(UNREACHABLE);
            let arrives = st.t + leg;
            let mut ready = arrives;
            let mut people = 0i64;
            for &h in &p.households {
                ready = ready.max(s.household(h).ready.0);
                people += inst.people(h);
            }
            for &h in &p.households {
                out.weighted_wait +=
                    i128::from(inst.weight(h)) * i128::from(ready - s.household(h).ready.0);
                let late = inst.late(h, ready);
                if late > 0 {
                    out.overrun += late;
                    out.route_ok[v] = false;
                    out.too_late.push((h, v));
                }
            }
            let mut departs = ready + vt.boarding(People(people as u32)).0;
            if pi + 1 == n_pickups {
                for &(hv, hl, t) in holds {
                    if hv == v && hl == st.load {
                        departs = departs.max(t);
                    }
                }
            }
            if record {
                pass_by(inst, vid, st.at, p.site, st.t, &mut trip.stops);
                trip.stops.push(Stop {
                    site: p.site,
                    arrives: secs(arrives),
                    loading_starts: secs(ready),
                    departs: secs(departs),
                    households: p.households.clone(),
                });
            }
            st.t = departs;
            st.at = p.site;
            if corridor.is_none() {
                corridor = inst.governed_by[p.site.index()];
            }
        }
        st.trip = Some(trip);
        match corridor {
            Some(c) => {
                let cp = inst.corridor(c).checkpoint;
                let leg = inst.tt(vid, st.at, cp);
                if leg >= UNREACHABLE {
                    st.ok = false;
                }
                out.driving += leg.min(UNREACHABLE);
                st.t += leg;
                st.at = cp;
                Some((st.t, Step::Queue))
            }
            None => Some((finish_leg(inst, vid, load, st, out), Step::Deliver)),
        }
    };

    for &v in vehicles {
        if let Some((t, step)) = advance(v, &mut st[v], &mut out) {
            heap.push(Reverse((
                t,
                priority(inst, &a.routes[v][0], step, &ratio_deals),
                step,
                v,
            )));
        }
    }

    type Ctx<'c> = (
        &'c mut Vec<(i64, i64)>,
        &'c mut Vec<VehicleState>,
        &'c mut Schedule,
        &'c mut Vec<Option<VehicleRoute>>,
        &'c mut BinaryHeap<Reverse<(i64, u8, Step, usize)>>,
    );
    // Unloads vehicle `v`'s current trip at `t` and sends it on to its next step.
    let deliver_and_go_on =
        |v: usize, t: i64, (delivered, st, out, routes_out, heap): &mut Ctx<'_>| {
            deliver(
                inst,
                a,
                v,
                t,
                &ratio_deals,
                delivered,
                st,
                out,
                routes_out,
                record,
            );
            if let Some((nt, step)) = advance(v, &mut st[v], out) {
                let l = &a.routes[v][st[v].load];
                heap.push(Reverse((
                    nt,
                    priority(inst, l, step, &ratio_deals),
                    step,
                    v,
                )));
            }
        };

    while let Some(Reverse((t, _, step, v))) = heap.pop() {
        let vid = VehicleId(v as u32);
        match step {
            Step::Queue => {
                let load = &a.routes[v][st[v].load];
                let c = load
                    .pickups
                    .iter()
                    .find_map(|p| inst.governed_by[p.site.index()])
                    .unwrap_or(0);
                let k = inst.corridor(c);
                if let Some(rule) = &k.convoy {
                    // Join the convoy gathering here (or start one); it leaves once it
                    // has `min_convoy` vehicles, or `max_wait` after its first came.
                    let g = gathering[c].get_or_insert_with(|| {
                        let id = next_convoy;
                        next_convoy += 1;
                        heap.push(Reverse((
                            t + rule.max_wait.0,
                            0,
                            Step::ConvoyDeadline(id),
                            c,
                        )));
                        Gathering {
                            id,
                            members: Vec::new(),
                        }
                    });
                    g.members.push((v, t));
                    if g.members.len() as u32 >= rule.min_convoy
                        && let Some(g) = gathering[c].take()
                    {
                        let mut ctx = (
                            &mut lanes,
                            &mut convoys_in_window,
                            &mut st,
                            &mut out,
                            &mut heap,
                        );
                        convoy_leaves(inst, a, c, g, t, &ratio_deals, &mut ctx);
                    }
                    continue;
                }
                let Some(end) = cross(inst, c, &mut lanes[c], t, t, None, &mut st[v], &mut out)
                else {
                    // No window left to cross in: this vehicle cannot finish.
                    out.route_ok[v] = false;
                    continue;
                };
                st[v].t = end;
                let load = &a.routes[v][st[v].load];
                let done = finish_leg(inst, vid, load, &mut st[v], &mut out);
                heap.push(Reverse((
                    done,
                    priority(inst, load, Step::Deliver, &ratio_deals),
                    Step::Deliver,
                    v,
                )));
            }
            Step::ConvoyDeadline(id) => {
                // Here `v` is the corridor's index.
                let c = v;
                if gathering[c].as_ref().is_some_and(|g| g.id == id)
                    && let Some(g) = gathering[c].take()
                {
                    let mut ctx = (
                        &mut lanes,
                        &mut convoys_in_window,
                        &mut st,
                        &mut out,
                        &mut heap,
                    );
                    convoy_leaves(inst, a, c, g, t, &ratio_deals, &mut ctx);
                }
            }
            Step::Deliver => {
                let load = &a.routes[v][st[v].load];
                if !ratio_deals.is_empty() && !deal_allows(inst, load, &ratio_deals, &delivered) {
                    parked.push((t, v));
                    continue;
                }
                let mut ctx = (
                    &mut delivered,
                    &mut st,
                    &mut out,
                    &mut routes_out,
                    &mut heap,
                );
                deliver_and_go_on(v, t, &mut ctx);
                // A delivery may release held ones, at this instant.
                loop {
                    let Some(i) = parked.iter().position(|&(_, pv)| {
                        deal_allows(inst, &a.routes[pv][st[pv].load], &ratio_deals, &delivered)
                    }) else {
                        break;
                    };
                    let (held_since, pv) = parked.remove(i);
                    out.waiting += t - held_since;
                    let mut ctx = (
                        &mut delivered,
                        &mut st,
                        &mut out,
                        &mut routes_out,
                        &mut heap,
                    );
                    deliver_and_go_on(pv, t, &mut ctx);
                }
            }
        }
    }
    // Deliveries still held when nothing else can happen never take place.
    for &(_, v) in &parked {
        out.route_ok[v] = false;
        out.overrun += STUCK;
    }
    for &v in vehicles {
        let vid = VehicleId(v as u32);
        let state = &st[v];
        if !state.ok {
            out.route_ok[v] = false;
        }
        let mut returns_at = None;
        if let Some(depot) = s.vehicle(vid).return_depot
            && !a.routes[v].is_empty()
        {
            let leg = inst.tt(vid, state.at, depot);
            if leg >= UNREACHABLE {
                out.route_ok[v] = false;
            }
            out.driving += leg.min(UNREACHABLE);
            returns_at = Some(state.t + leg);
        }
        let end = returns_at.unwrap_or(state.t);
        if end > inst.until(vid) {
            out.route_ok[v] = false;
            out.overrun += end - inst.until(vid);
        }
        if !state.ok || state.load < a.routes[v].len() {
            out.route_ok[v] = false;
            out.overrun += STUCK;
        }
        if record {
            let mut r = routes_out[v].take().unwrap_or(VehicleRoute {
                vehicle: vid,
                trips: vec![],
                returns_at: None,
            });
            r.returns_at = returns_at.map(secs);
            routes_out[v] = Some(r);
        }
    }
    if record {
        out.plan = Some(Plan {
            routes: routes_out
                .into_iter()
                .flatten()
                .filter(|r| !r.trips.is_empty())
                .collect(),
            uncarried: vec![],
        });
    }
    out
}

type ConvoyCtx<'c> = (
    &'c mut Vec<Vec<i64>>,
    &'c mut Vec<Vec<u32>>,
    &'c mut Vec<VehicleState>,
    &'c mut Schedule,
    &'c mut BinaryHeap<Reverse<(i64, u8, Step, usize)>>,
);

/// A gathered convoy leaves at `t` (or in the first later window with an escort
/// free): each vehicle is processed on the first free lane, and all of them
/// drive on together once the last is through.
fn convoy_leaves(
    inst: &Instance<'_>,
    a: &Assignment,
    c: usize,
    g: Gathering,
    t: i64,
    ratio_deals: &[usize],
    (lanes, convoys_in_window, st, out, heap): &mut ConvoyCtx<'_>,
) {
    let k = inst.corridor(c);
    let escorts = k.convoy.as_ref().and_then(|r| r.escorts_per_window);
    let mut from = t;
    let opened = loop {
        let Some(s0) = inst.window_start(c, from) else {
            break None;
        };
        let w = k
            .windows
            .iter()
            .position(|w| w.start.0 <= s0 && s0 <= w.end.0)
            .unwrap_or(0);
        if escorts.is_some_and(|e| convoys_in_window[c][w] >= e) {
            match k.windows.get(w + 1) {
                Some(next) => from = next.start.0,
                None => break None,
            }
            continue;
        }
        convoys_in_window[c][w] += 1;
        break Some(s0);
    };
    let Some(s0) = opened else {
        for &(m, _) in &g.members {
            st[m].ok = false;
            out.route_ok[m] = false;
        }
        return;
    };
    let mut leave = s0;
    for &(m, queued) in &g.members {
        match cross(
            inst,
            c,
            &mut lanes[c],
            s0,
            queued,
            Some(g.id),
            &mut st[m],
            out,
        ) {
            Some(end) => leave = leave.max(end),
            // The window closed before this vehicle's turn: it cannot cross.
            None => out.route_ok[m] = false,
        }
    }
    for &(m, _) in &g.members {
        if !st[m].ok {
            continue;
        }
        st[m].t = leave;
        let load = &a.routes[m][st[m].load];
        let done = finish_leg(inst, VehicleId(m as u32), load, &mut st[m], out);
        heap.push(Reverse((
            done,
            priority(inst, load, Step::Deliver, ratio_deals),
            Step::Deliver,
            m,
        )));
    }
}

/// Processes one vehicle at checkpoint `c` on the first free lane, from `from`
/// on, inside a window; records the crossing and returns when it ends (None,
/// and the vehicle marked stuck, when no window is left).
#[allow(clippy::too_many_arguments)]
fn cross(
    inst: &Instance<'_>,
    c: usize,
    lanes: &mut [i64],
    from: i64,
    queued: i64,
    convoy: Option<u32>,
    vehicle: &mut VehicleState,
    out: &mut Schedule,
) -> Option<i64> {
    let lane = (0..lanes.len()).min_by_key(|&i| lanes[i]).unwrap_or(0);
    let Some(start) = inst.window_start(c, from.max(lanes[lane])) else {
        vehicle.ok = false;
        return None;
    };
    let end = start + inst.corridor(c).processing.0;
    lanes[lane] = end;
    out.waiting += start - queued;
    if let Some(trip) = vehicle.trip.as_mut() {
        trip.crossing = Some(Crossing {
            corridor: CorridorId(c as u32),
            queued: secs(queued),
            starts: secs(start),
            ends: secs(end),
            convoy,
        });
    }
    Some(end)
}

/// Drives from where the vehicle is to the load's destination and unloads; returns the unloading end.
fn finish_leg(
    inst: &Instance<'_>,
    vid: VehicleId,
    load: &Load,
    st: &mut VehicleState,
    out: &mut Schedule,
) -> i64 {
    let vt = inst.s.vehicle_type_of(vid);
    let leg = inst.tt(vid, st.at, load.dest);
    if leg >= UNREACHABLE {
        st.ok = false;
    }
    out.driving += leg.min(UNREACHABLE);
    let arrives = st.t + leg;
    let people: i64 = load.households().map(|h| inst.people(h)).sum();
    let unloaded = arrives + vt.unloading(People(people as u32)).0;
    if let Some(trip) = st.trip.as_mut() {
        pass_by(inst, vid, st.at, load.dest, st.t, &mut trip.stops);
        trip.arrives = secs(arrives);
        trip.unloaded = secs(unloaded);
    }
    st.at = load.dest;
    st.t = unloaded;
    unloaded
}

/// Writes the empty stops that the leg `from → to`, set out on at `t`, passes
/// (see [`crate::detours`]); the leg's time already counts them.
fn pass_by(
    inst: &Instance<'_>,
    vid: VehicleId,
    from: SiteId,
    to: SiteId,
    t: i64,
    stops: &mut Vec<Stop>,
) {
    let stop = inst.s.vehicle_type_of(vid).stop_time.0;
    let (mut t, mut at) = (t, from);
    for w in inst.passed(vid, from, to) {
        let arrives = t + inst.direct(vid, at, w);
        t = arrives + stop;
        at = w;
        stops.push(Stop {
            site: w,
            arrives: secs(arrives),
            loading_starts: secs(arrives),
            departs: secs(t),
            households: Vec::new(),
        });
    }
}

/// Deliveries that only help a deal go before those it limits, at the same instant.
fn priority(inst: &Instance<'_>, load: &Load, step: Step, ratio_deals: &[usize]) -> u8 {
    if step == Step::Queue {
        return 0;
    }
    let limited = ratio_deals.iter().any(|&d| {
        let deal = &inst.s.deals[d];
        load.pickups
            .iter()
            .any(|p| deal.group_a.contains(&p.site) && !p.households.is_empty())
    });
    if limited { 2 } else { 1 }
}

fn group_people(inst: &Instance<'_>, load: &Load, group: &[SiteId]) -> i64 {
    load.pickups
        .iter()
        .filter(|p| group.contains(&p.site))
        .flat_map(|p| p.households.iter())
        .map(|&h| inst.people(h))
        .sum()
}

fn deal_allows(
    inst: &Instance<'_>,
    load: &Load,
    ratio_deals: &[usize],
    delivered: &[(i64, i64)],
) -> bool {
    ratio_deals.iter().all(|&d| {
        let deal = &inst.s.deals[d];
        let a = group_people(inst, load, &deal.group_a);
        if a == 0 {
            return true;
        }
        let b = group_people(inst, load, &deal.group_b);
        let (da, db) = delivered[d];
        let allowance = deal
            .allowance(corridor_core::People(
                (db + b).clamp(0, i64::from(u32::MAX)) as u32,
            ))
            .map_or(i64::MAX, |p| i64::from(p.0));
        da + a <= allowance
    })
}

#[allow(clippy::too_many_arguments)]
fn deliver(
    inst: &Instance<'_>,
    a: &Assignment,
    v: usize,
    t: i64,
    ratio_deals: &[usize],
    delivered: &mut [(i64, i64)],
    st: &mut [VehicleState],
    out: &mut Schedule,
    routes_out: &mut [Option<VehicleRoute>],
    record: bool,
) {
    let load = &a.routes[v][st[v].load];
    for &d in ratio_deals {
        let deal = &inst.s.deals[d];
        delivered[d].0 += group_people(inst, load, &deal.group_a);
        delivered[d].1 += group_people(inst, load, &deal.group_b);
    }
    let state = &mut st[v];
    state.t = state.t.max(t);
    let mut carried = false;
    for h in load.households() {
        out.weighted_arrival += i128::from(inst.weight(h)) * i128::from(state.t);
        carried = true;
    }
    if carried {
        out.completion[v] = out.completion[v].max(state.t);
    }
    if let Some(mut trip) = state.trip.take() {
        trip.unloaded = secs(state.t);
        if record {
            routes_out[v]
                .get_or_insert_with(|| VehicleRoute {
                    vehicle: VehicleId(v as u32),
                    trips: vec![],
                    returns_at: None,
                })
                .trips
                .push(trip);
        }
    }
    state.load += 1;
}

/// The joint schedule, with departures from deal groups held where an "A leaves
/// last" rule requires it. The rule needs the recorded departures, so every
/// round records; `record` only says whether the caller wants the plan kept.
pub(crate) fn with_order_rules(inst: &Instance<'_>, a: &Assignment, record: bool) -> Schedule {
    let s = inst.s;
    if !s.deals.iter().any(|d| d.a_leaves_last) {
        return schedule(inst, a, None, true, &[], record);
    }
    let keep = |mut sched: Schedule| {
        if !record {
            sched.plan = None;
        }
        sched
    };
    let mut holds: Vec<(usize, usize, i64)> = Vec::new();
    // Holding group A's last departure can delay group B (through a ratio deal),
    // so the hold is renewed with a growing margin until the rule holds.
    for round in 0..24 {
        let margin = if round == 0 {
            0
        } else {
            60i64 << (round - 1).min(12)
        };
        let sched = schedule(inst, a, None, true, &holds, true);
        let Some(plan) = &sched.plan else {
            return keep(sched);
        };
        let mut changed = false;
        for deal in s.deals.iter().filter(|d| d.a_leaves_last) {
            let last = |group: &[corridor_core::SiteId]| -> Option<(i64, usize, usize)> {
                let mut best: Option<(i64, usize, usize)> = None;
                for r in &plan.routes {
                    let v = r.vehicle.index();
                    // Trips in the plan follow the route's order, skipping none.
                    for (ti, t) in r.trips.iter().enumerate() {
                        for stop in t
                            .stops
                            .iter()
                            .filter(|x| group.contains(&x.site) && !x.households.is_empty())
                        {
                            if best.is_none_or(|b| stop.departs.0 > b.0) {
                                best = Some((stop.departs.0, v, ti));
                            }
                        }
                    }
                }
                best
            };
            if let (Some((la, v, ti)), Some((lb, _, _))) =
                (last(&deal.group_a), last(&deal.group_b))
                && la < lb
            {
                // Hold a group-A trip that is its vehicle's last, so that the wait
                // delays nothing else; otherwise the latest one.
                let (hv, hti) = plan
                    .routes
                    .iter()
                    .filter_map(|r| {
                        let t = r.trips.last()?;
                        let dep = t
                            .stops
                            .iter()
                            .filter(|x| deal.group_a.contains(&x.site) && !x.households.is_empty())
                            .map(|x| x.departs.0)
                            .max()?;
                        Some((dep, r.vehicle.index(), r.trips.len() - 1))
                    })
                    .max()
                    .map_or((v, ti), |(_, hv, hti)| (hv, hti));
                holds.retain(|&(x, y, _)| (x, y) != (hv, hti));
                holds.push((hv, hti, lb + margin));
                changed = true;
            }
        }
        if !changed {
            return keep(sched);
        }
    }
    keep(schedule(inst, a, None, true, &holds, true))
}
