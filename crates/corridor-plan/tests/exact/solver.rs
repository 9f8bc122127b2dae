//! The exhaustive search of `exact.rs`: optimal makespans of tiny instances,
//! written from `problem.md` and the validator's rules, sharing no code with the
//! planner (only the core's types and its rounding of travel times).
//!
//! A trip's timing is a function of the time it starts, and for the base model
//! every such function has the form `t ↦ max(t + a, b)` ([`Fun`]): legs add a
//! constant, a ready time takes a maximum. The trips that load one set of
//! households from one start to one destination therefore form a small Pareto
//! set of `(a, b)` pairs. A corridor crossing (earliest start inside an open
//! window, then processing) is a monotone step applied after the pickups, so
//! the Pareto set is kept up to the arrival at the checkpoint.
//!
//! Per vehicle, a dynamic program over (households carried so far, where the
//! vehicle is, people delivered to the first destination) keeps the earliest
//! time; a second one splits the households among the vehicles and checks the
//! destination capacities. Earliest is best because every rule is monotone in
//! time. Limits: at most one corridor and then a single vehicle (lanes and
//! convoys are not modelled), no deals; a vehicle's return to its depot is the
//! direct leg (shifts in these instances never bind).

use std::collections::HashMap;

use corridor_core::{
    CorridorId, Crossing, HouseholdId, Plan, Scenario, Seconds, SiteId, SiteKind, Stop, Trip,
    VehicleId, VehicleRoute,
};

const INF: i64 = i64::MAX / 8;
const NEG: i64 = i64::MIN / 8;

/// Which plans the search ranges over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Model {
    /// One stop per distinct pickup site of a trip's households, direct legs.
    Structured,
    /// Every plan the validator accepts: households of a site split over
    /// several stops, empty stops and empty trips as detours.
    Full,
}

/// An optimal plan and its makespan.
#[derive(Clone, Debug)]
pub(crate) struct Solution {
    pub(crate) makespan: i64,
    pub(crate) plan: Plan,
}

/// The optimum of `s` in `model`; `None` when not everyone can be carried.
pub(crate) fn solve(s: &Scenario, model: Model) -> Option<Solution> {
    Exact::new(s, model).solve()
}

/// `t ↦ max(t + a, b)`.
#[derive(Clone, Copy, Debug)]
struct Fun {
    a: i64,
    b: i64,
}

impl Fun {
    const ID: Fun = Fun { a: 0, b: NEG };
    fn add(self, c: i64) -> Fun {
        Fun {
            a: self.a + c,
            b: self.b + c,
        }
    }
    fn at_least(self, r: i64) -> Fun {
        Fun {
            a: self.a,
            b: self.b.max(r),
        }
    }
    fn at(self, t: i64) -> i64 {
        (t + self.a).max(self.b)
    }
    fn dominates(self, o: Fun) -> bool {
        self.a <= o.a && self.b <= o.b
    }
}

/// Leg times between all sites for one vehicle type, with the detour each takes.
struct Legs {
    cost: Vec<i64>,
    /// Sites passed on the way (empty stops, or destinations ending empty trips).
    path: Vec<Vec<usize>>,
}

/// One stop of a trip: a pickup site and the households (bit set) boarding there.
type Block = (usize, u32);

/// The Pareto-best ways to do one trip.
struct TripOptions {
    /// Whether the trip crosses the corridor (the functions then end at the checkpoint).
    cross: bool,
    /// After the crossing starts: processing, the leg on and unloading.
    tail: i64,
    /// (timing, index into the set's sequences).
    entries: Vec<(Fun, usize)>,
}

#[derive(Clone, Copy)]
struct Back {
    prev: usize,
    set: u32,
    di: usize,
    from: usize,
    entry: usize,
}

struct Exact<'a> {
    s: &'a Scenario,
    model: Model,
    n: usize,
    nh: usize,
    dests: Vec<usize>,
    is_pickup: Vec<bool>,
    governed: Vec<bool>,
    people: Vec<i64>,
    /// Per vehicle type: direct travel, legs while loaded, legs to a trip's first stop.
    tt: Vec<Vec<i64>>,
    loaded: Vec<Legs>,
    reach: Vec<Legs>,
    /// Per household set: its stop sequences.
    seqs: Vec<Vec<Vec<Block>>>,
    /// (type, household set, start site, destination index) → options.
    options: HashMap<(usize, u32, usize, usize), TripOptions>,
}

fn bits(set: u32) -> impl Iterator<Item = usize> {
    (0..32).filter(move |i| set >> i & 1 == 1)
}

impl<'a> Exact<'a> {
    fn new(s: &'a Scenario, model: Model) -> Exact<'a> {
        assert!(s.deals.is_empty(), "the exact search does not model deals");
        assert!(
            s.corridors.is_empty() || (s.corridors.len() == 1 && s.vehicles.len() == 1),
            "the exact search models one corridor with one vehicle only"
        );
        assert!(s.corridors.iter().all(|c| c.convoy.is_none()));
        assert!(s.households.len() <= 8);
        let n = s.sites.len();
        let dests: Vec<usize> = (0..n)
            .filter(|&i| matches!(s.sites[i].kind, SiteKind::Destination(_)))
            .collect();
        let is_pickup: Vec<bool> = s
            .sites
            .iter()
            .map(|x| matches!(x.kind, SiteKind::Pickup))
            .collect();
        let governed: Vec<bool> = (0..n)
            .map(|i| {
                s.corridors
                    .iter()
                    .any(|c| c.governs.contains(&SiteId(i as u32)))
            })
            .collect();
        let tt: Vec<Vec<i64>> = s
            .vehicle_types
            .iter()
            .map(|vt| {
                let mut m = vec![INF; n * n];
                for a in 0..n {
                    for b in 0..n {
                        let t = s.travel.get(SiteId(a as u32), SiteId(b as u32));
                        m[a * n + b] = t.map_or(INF, |t| vt.travel(t).0);
                    }
                }
                m
            })
            .collect();
        let mut e = Exact {
            s,
            model,
            n,
            nh: s.households.len(),
            dests,
            is_pickup,
            governed,
            people: s.households.iter().map(|h| i64::from(h.people.0)).collect(),
            tt,
            loaded: Vec::new(),
            reach: Vec::new(),
            seqs: Vec::new(),
            options: HashMap::new(),
        };
        for ty in 0..s.vehicle_types.len() {
            let (l, r) = match model {
                Model::Structured => (e.direct(ty), e.direct(ty)),
                Model::Full => (e.loaded_legs(ty), e.reach_legs(ty)),
            };
            if !s.corridors.is_empty() {
                // Detours through governed sites would need crossings of their own;
                // corridor instances are metric, so no detour is shorter.
                assert!(
                    l.path.iter().chain(&r.path).all(|p| p.is_empty()),
                    "corridor instances must have metric travel times"
                );
            }
            e.loaded.push(l);
            e.reach.push(r);
        }
        let full = (1u32 << e.nh) - 1;
        e.seqs = (0..=full).map(|set| e.sequences(set)).collect();
        e.build_options();
        e
    }

    fn stop_time(&self, ty: usize) -> i64 {
        self.s.vehicle_types[ty].stop_time.0
    }

    fn direct(&self, ty: usize) -> Legs {
        Legs {
            cost: self.tt[ty].clone(),
            path: vec![Vec::new(); self.n * self.n],
        }
    }

    /// Legs with people on board: they may pass other pickup sites as empty stops.
    fn loaded_legs(&self, ty: usize) -> Legs {
        let n = self.n;
        let tt = &self.tt[ty];
        let stop = self.stop_time(ty);
        let mut out = self.direct(ty);
        for a in 0..n {
            // Earliest arrival at each site leaving `a` at 0; only pickups are passed.
            let mut arr: Vec<i64> = (0..n).map(|w| tt[a * n + w]).collect();
            let mut pred: Vec<Option<usize>> = vec![None; n];
            let mut done = vec![false; n];
            arr[a] = 0;
            done[a] = true;
            while let Some(u) = (0..n)
                .filter(|&u| !done[u] && arr[u] < INF)
                .min_by_key(|&u| arr[u])
            {
                done[u] = true;
                if !self.is_pickup[u] {
                    continue;
                }
                for w in 0..n {
                    if !done[w] && arr[u] + stop + tt[u * n + w] < arr[w] {
                        arr[w] = arr[u] + stop + tt[u * n + w];
                        pred[w] = Some(u);
                    }
                }
            }
            for b in 0..n {
                out.cost[a * n + b] = arr[b];
                let mut path = Vec::new();
                let mut at = pred[b];
                while let Some(u) = at {
                    path.push(u);
                    at = pred[u];
                }
                path.reverse();
                out.path[a * n + b] = path;
            }
        }
        out
    }

    /// Legs of an empty vehicle from a depot or destination to a trip's first
    /// stop: it may pass pickup sites as empty stops and, once its (empty) trip
    /// has a stop, end that trip at a destination and start another.
    fn reach_legs(&self, ty: usize) -> Legs {
        let n = self.n;
        let tt = &self.tt[ty];
        let stop = self.stop_time(ty);
        let is_dest = |i: usize| self.dests.contains(&i);
        let mut out = self.direct(ty);
        for x in 0..n {
            // Departure states (site, whether the current trip has a stop yet).
            let st = |site: usize, f: bool| site * 2 + usize::from(f);
            let mut dep = vec![INF; 2 * n];
            let mut pred: Vec<Option<usize>> = vec![None; 2 * n];
            let mut done = vec![false; 2 * n];
            dep[st(x, false)] = 0;
            while let Some(k) = (0..2 * n)
                .filter(|&k| !done[k] && dep[k] < INF)
                .min_by_key(|&k| dep[k])
            {
                done[k] = true;
                let (u, f) = (k / 2, k % 2 == 1);
                for w in 0..n {
                    if w == u || tt[u * n + w] >= INF {
                        continue;
                    }
                    let arrive = dep[k] + tt[u * n + w];
                    let next = if self.is_pickup[w] {
                        Some(st(w, true))
                    } else if is_dest(w) && f {
                        Some(st(w, false))
                    } else {
                        None
                    };
                    if let Some(j) = next
                        && !done[j]
                        && arrive + stop < dep[j]
                    {
                        dep[j] = arrive + stop;
                        pred[j] = Some(k);
                    }
                }
            }
            for p in 0..n {
                if p == x {
                    continue;
                }
                let best = (0..2 * n)
                    .filter(|&k| dep[k] < INF && k / 2 != p && tt[(k / 2) * n + p] < INF)
                    .min_by_key(|&k| (dep[k] + tt[(k / 2) * n + p], k != st(x, false)));
                let Some(k) = best else {
                    out.cost[x * n + p] = INF;
                    continue;
                };
                out.cost[x * n + p] = dep[k] + tt[(k / 2) * n + p];
                let mut path = Vec::new();
                let mut at = Some(k);
                while let Some(j) = at {
                    if j != st(x, false) {
                        path.push(j / 2);
                    }
                    at = pred[j];
                }
                path.reverse();
                out.path[x * n + p] = path;
            }
        }
        out
    }

    /// The stop sequences that load exactly `set`.
    fn sequences(&self, set: u32) -> Vec<Vec<Block>> {
        let mut out = Vec::new();
        if set == 0 {
            return out;
        }
        match self.model {
            Model::Structured => {
                let mut blocks: Vec<Block> = Vec::new();
                for i in bits(set) {
                    let site = self.s.households[i].site.index();
                    match blocks.iter_mut().find(|b| b.0 == site) {
                        Some(b) => b.1 |= 1 << i,
                        None => blocks.push((site, 1 << i)),
                    }
                }
                permutations(&mut blocks, 0, &mut out);
            }
            Model::Full => self.partitions(set, &mut Vec::new(), &mut out),
        }
        out
    }

    /// Every ordered partition of `rest` into blocks of one site each.
    fn partitions(&self, rest: u32, cur: &mut Vec<Block>, out: &mut Vec<Vec<Block>>) {
        if rest == 0 {
            out.push(cur.clone());
            return;
        }
        let mut sites: Vec<usize> = bits(rest)
            .map(|i| self.s.households[i].site.index())
            .collect();
        sites.sort_unstable();
        sites.dedup();
        for site in sites {
            let here: u32 = bits(rest)
                .filter(|&i| self.s.households[i].site.index() == site)
                .fold(0, |m, i| m | 1 << i);
            let mut sub = here;
            while sub != 0 {
                cur.push((site, sub));
                self.partitions(rest & !sub, cur, out);
                cur.pop();
                sub = (sub - 1) & here;
            }
        }
    }

    fn set_people(&self, set: u32) -> i64 {
        bits(set).map(|i| self.people[i]).sum()
    }

    fn ready(&self, set: u32) -> i64 {
        bits(set)
            .map(|i| self.s.households[i].ready.0)
            .max()
            .unwrap_or(NEG)
    }

    fn fits(&self, ty: usize, set: u32) -> bool {
        let vt = &self.s.vehicle_types[ty];
        let seated: u32 = bits(set).map(|i| self.s.households[i].seated().0).sum();
        let stretcher: u32 = bits(set)
            .map(|i| self.s.households[i].stretcher_cases.0)
            .sum();
        seated <= vt.seats.0 && stretcher <= vt.stretchers.0
    }

    fn accepts(&self, d: usize, set: u32) -> bool {
        let SiteKind::Destination(dest) = &self.s.sites[d].kind else {
            return false;
        };
        if dest
            .capacity
            .is_some_and(|c| i64::from(c.0) < self.set_people(set))
        {
            return false;
        }
        bits(set).all(|i| {
            let h = &self.s.households[i];
            (h.stretcher_cases.0 == 0 || dest.accepts_stretcher_cases)
                && dest.serves.as_ref().is_none_or(|v| v.contains(&h.site))
        })
    }

    /// Earliest start `>= t` of a crossing inside an open window.
    fn crossing_start(&self, t: i64) -> Option<i64> {
        let k = &self.s.corridors[0];
        k.windows.iter().find_map(|w| {
            let start = t.max(w.start.0);
            (start + k.processing.0 <= w.end.0).then_some(start)
        })
    }

    /// Timing of one stop sequence from `x` to destination `d`, up to the
    /// unloading end (or, for a trip that crosses, the checkpoint arrival).
    fn trip_fun(&self, ty: usize, seq: &[Block], x: usize, d: usize) -> (Fun, bool, i64) {
        let n = self.n;
        let vt = &self.s.vehicle_types[ty];
        let mut f = Fun::ID.add(self.reach[ty].cost[x * n + seq[0].0]);
        let mut at = seq[0].0;
        let mut people = 0;
        for (i, &(site, set)) in seq.iter().enumerate() {
            if i > 0 {
                f = f.add(self.loaded[ty].cost[at * n + site]);
            }
            let p = self.set_people(set);
            people += p;
            f = f
                .at_least(self.ready(set))
                .add(vt.stop_time.0 + vt.boarding_per_person.0 * p);
            at = site;
        }
        let unload = vt.stop_time.0 + vt.unloading_per_person.0 * people;
        if seq.iter().any(|b| self.governed[b.0]) {
            let k = &self.s.corridors[0];
            let cp = k.checkpoint.index();
            let f = f.add(self.tt[ty][at * n + cp]);
            (f, true, k.processing.0 + self.tt[ty][cp * n + d] + unload)
        } else {
            (
                f.add(self.loaded[ty].cost[at * n + d]).add(unload),
                false,
                0,
            )
        }
    }

    fn build_options(&mut self) {
        let full = (1u32 << self.nh) - 1;
        let mut types: Vec<usize> = self
            .s
            .vehicles
            .iter()
            .map(|v| v.vehicle_type.index())
            .collect();
        types.sort_unstable();
        types.dedup();
        let mut options = HashMap::new();
        for &ty in &types {
            let mut starts: Vec<usize> = self
                .s
                .vehicles
                .iter()
                .filter(|v| v.vehicle_type.index() == ty)
                .map(|v| v.depot.index())
                .chain(self.dests.iter().copied())
                .collect();
            starts.sort_unstable();
            starts.dedup();
            for set in 1..=full {
                if !self.fits(ty, set) {
                    continue;
                }
                for &x in &starts {
                    for (di, &d) in self.dests.iter().enumerate() {
                        if !self.accepts(d, set) {
                            continue;
                        }
                        let mut opt = TripOptions {
                            cross: false,
                            tail: 0,
                            entries: Vec::new(),
                        };
                        for (si, seq) in self.seqs[set as usize].iter().enumerate() {
                            let (f, cross, tail) = self.trip_fun(ty, seq, x, d);
                            opt.cross = cross;
                            opt.tail = tail;
                            if f.a >= INF / 2 || opt.entries.iter().any(|(g, _)| g.dominates(f)) {
                                continue;
                            }
                            opt.entries.retain(|(g, _)| !f.dominates(*g));
                            opt.entries.push((f, si));
                        }
                        if !opt.entries.is_empty() {
                            options.insert((ty, set, x, di), opt);
                        }
                    }
                }
            }
        }
        self.options = options;
    }

    /// Earliest end of a trip started at `t`, and the sequence that achieves it.
    fn eval(&self, opt: &TripOptions, t: i64) -> Option<(i64, usize)> {
        let (f, si) = opt
            .entries
            .iter()
            .min_by_key(|(f, si)| (f.at(t), *si))
            .copied()?;
        let end = f.at(t);
        if opt.cross {
            Some((self.crossing_start(end)? + opt.tail, si))
        } else {
            Some((end, si))
        }
    }

    fn solve(&self) -> Option<Solution> {
        let nh = self.nh;
        let full = (1u32 << nh) - 1;
        let nd = self.dests.len();
        let total: i64 = self.people.iter().sum();
        let np = total as usize + 1;
        let nm = full as usize + 1;
        // Per vehicle: the table of its own DP, and its finish per (set, people to dests[0]).
        struct VehicleTable {
            back: Vec<Option<Back>>,
            fin: Vec<(i64, usize)>,
        }
        let nl = 1 + nd;
        let idx = |mask: u32, loc: usize, p: usize| (mask as usize * nl + loc) * np + p;
        let mut tables = Vec::new();
        for v in &self.s.vehicles {
            let ty = v.vehicle_type.index();
            let depot = v.depot.index();
            let until = v.available_until.0;
            let mut time = vec![INF; nm * nl * np];
            let mut back: Vec<Option<Back>> = vec![None; nm * nl * np];
            time[idx(0, 0, 0)] = v.available_from.0;
            for mask in 0..=full {
                for loc in 0..nl {
                    for p in 0..np {
                        let i = idx(mask, loc, p);
                        let t = time[i];
                        if t >= INF {
                            continue;
                        }
                        let x = if loc == 0 { depot } else { self.dests[loc - 1] };
                        let rest = full & !mask;
                        let mut sub = rest;
                        while sub != 0 {
                            for di in 0..nd {
                                let Some(opt) = self.options.get(&(ty, sub, x, di)) else {
                                    continue;
                                };
                                let Some((t2, entry)) = self.eval(opt, t) else {
                                    continue;
                                };
                                if t2 > until {
                                    continue;
                                }
                                let p2 = p + if di == 0 {
                                    self.set_people(sub) as usize
                                } else {
                                    0
                                };
                                let j = idx(mask | sub, 1 + di, p2);
                                if t2 < time[j] {
                                    time[j] = t2;
                                    back[j] = Some(Back {
                                        prev: i,
                                        set: sub,
                                        di,
                                        from: x,
                                        entry,
                                    });
                                }
                            }
                            sub = (sub - 1) & rest;
                        }
                    }
                }
            }
            let mut fin = vec![(INF, 0usize); nm * np];
            fin[0] = (0, idx(0, 0, 0));
            for mask in 1..=full {
                for p in 0..np {
                    for loc in 1..nl {
                        let i = idx(mask, loc, p);
                        let t = time[i];
                        let ret = v
                            .return_depot
                            .map_or(0, |r| self.tt[ty][self.dests[loc - 1] * self.n + r.index()]);
                        if t < fin[mask as usize * np + p].0 && t.saturating_add(ret) <= until {
                            fin[mask as usize * np + p] = (t, i);
                        }
                    }
                }
            }
            tables.push(VehicleTable { back, fin });
        }
        // Split the households among the vehicles: g[(mask, p)] = best makespan.
        let mut g = vec![INF; nm * np];
        g[0] = 0;
        let mut choices: Vec<Vec<(u32, usize)>> = Vec::new();
        for t in &tables {
            let mut g2 = vec![INF; nm * np];
            let mut choice = vec![(0u32, 0usize); nm * np];
            for mask in 0..=full {
                for p in 0..np {
                    // Every submask, the empty one included.
                    let mut sub = mask;
                    loop {
                        for q in 0..=p {
                            let a = g[(mask ^ sub) as usize * np + p - q];
                            let b = t.fin[sub as usize * np + q].0;
                            if a < INF && b < INF && a.max(b) < g2[mask as usize * np + p] {
                                g2[mask as usize * np + p] = a.max(b);
                                choice[mask as usize * np + p] = (sub, q);
                            }
                        }
                        if sub == 0 {
                            break;
                        }
                        sub = (sub - 1) & mask;
                    }
                }
            }
            g = g2;
            choices.push(choice);
        }
        let cap = |di: usize| match &self.s.sites[self.dests[di]].kind {
            SiteKind::Destination(d) => d.capacity.map_or(INF, |c| i64::from(c.0)),
            _ => INF,
        };
        let best_p = (0..np)
            .filter(|&p| {
                let to0 = p as i64;
                let to1 = total - to0;
                to0 <= cap(0) && (if nd > 1 { to1 <= cap(1) } else { to1 == 0 })
            })
            .filter(|&p| g[full as usize * np + p] < INF)
            .min_by_key(|&p| (g[full as usize * np + p], p))?;
        let makespan = g[full as usize * np + best_p];
        // Walk back: which households each vehicle carries, then its trips.
        let (mut mask, mut p) = (full, best_p);
        let mut routes = Vec::new();
        for (vi, t) in tables.iter().enumerate().rev() {
            let (sub, q) = choices[vi][mask as usize * np + p];
            mask ^= sub;
            p -= q;
            if sub == 0 {
                continue;
            }
            let mut j = t.fin[sub as usize * np + q].1;
            let end = t.fin[sub as usize * np + q].0;
            let mut trips = Vec::new();
            while let Some(b) = t.back[j] {
                trips.push(b);
                j = b.prev;
            }
            trips.reverse();
            let route = self.build_route(vi, &trips);
            let last = route.trips.last().map(|x| x.unloaded.0);
            assert_eq!(last, Some(end), "rebuilt times differ from the search's");
            routes.push(route);
        }
        routes.reverse();
        Some(Solution {
            makespan,
            plan: Plan {
                routes,
                uncarried: Vec::new(),
            },
        })
    }

    /// The vehicle's trips as a plan route, with every event at its earliest.
    fn build_route(&self, vi: usize, trips: &[Back]) -> VehicleRoute {
        let n = self.n;
        let v = &self.s.vehicles[vi];
        let ty = v.vehicle_type.index();
        let vt = &self.s.vehicle_types[ty];
        let tt = &self.tt[ty];
        let stop = vt.stop_time.0;
        let mut at = v.depot.index();
        let mut t = v.available_from.0;
        let mut out: Vec<Trip> = Vec::new();
        let empty_stop = |site: usize, arrives: i64| Stop {
            site: SiteId(site as u32),
            arrives: Seconds(arrives),
            loading_starts: Seconds(arrives),
            departs: Seconds(arrives + stop),
            households: Vec::new(),
        };
        for b in trips {
            assert_eq!(b.from, at);
            let opt = &self.options[&(ty, b.set, b.from, b.di)];
            let seq = &self.seqs[b.set as usize][b.entry];
            let d = self.dests[b.di];
            let mut departs = t;
            let mut stops: Vec<Stop> = Vec::new();
            for &w in &self.reach[ty].path[at * n + seq[0].0] {
                let arrives = t + tt[at * n + w];
                if self.is_pickup[w] {
                    stops.push(empty_stop(w, arrives));
                    t = arrives + stop;
                } else {
                    out.push(Trip {
                        departs: Seconds(departs),
                        stops: std::mem::take(&mut stops),
                        crossing: None,
                        destination: SiteId(w as u32),
                        arrives: Seconds(arrives),
                        unloaded: Seconds(arrives + stop),
                    });
                    t = arrives + stop;
                    departs = t;
                }
                at = w;
            }
            let mut people = 0;
            for (i, &(site, set)) in seq.iter().enumerate() {
                if i > 0 {
                    for &w in &self.loaded[ty].path[at * n + site] {
                        let arrives = t + tt[at * n + w];
                        stops.push(empty_stop(w, arrives));
                        t = arrives + stop;
                        at = w;
                    }
                }
                let arrives = t + tt[at * n + site];
                let loading = arrives.max(self.ready(set));
                let p = self.set_people(set);
                people += p;
                t = loading + stop + vt.boarding_per_person.0 * p;
                stops.push(Stop {
                    site: SiteId(site as u32),
                    arrives: Seconds(arrives),
                    loading_starts: Seconds(loading),
                    departs: Seconds(t),
                    households: bits(set).map(|h| HouseholdId(h as u32)).collect(),
                });
                at = site;
            }
            let crossing = if stops.iter().any(|x| self.governed[x.site.index()]) {
                assert!(opt.cross);
                let k = &self.s.corridors[0];
                let cp = k.checkpoint.index();
                let queued = t + tt[at * n + cp];
                let starts = self
                    .crossing_start(queued)
                    .expect("the search only keeps trips that cross");
                t = starts + k.processing.0;
                at = cp;
                Some(Crossing {
                    corridor: CorridorId(0),
                    queued: Seconds(queued),
                    starts: Seconds(starts),
                    ends: Seconds(t),
                    convoy: None,
                })
            } else {
                for &w in &self.loaded[ty].path[at * n + d] {
                    let arrives = t + tt[at * n + w];
                    stops.push(empty_stop(w, arrives));
                    t = arrives + stop;
                    at = w;
                }
                None
            };
            let arrives = t + tt[at * n + d];
            t = arrives + stop + vt.unloading_per_person.0 * people;
            out.push(Trip {
                departs: Seconds(departs),
                stops,
                crossing,
                destination: SiteId(d as u32),
                arrives: Seconds(arrives),
                unloaded: Seconds(t),
            });
            at = d;
        }
        VehicleRoute {
            vehicle: VehicleId(vi as u32),
            trips: out,
            returns_at: v.return_depot.map(|r| Seconds(t + tt[at * n + r.index()])),
        }
    }
}

/// Every order of `xs[k..]`, appended to `out`.
fn permutations(xs: &mut Vec<Block>, k: usize, out: &mut Vec<Vec<Block>>) {
    if k == xs.len() {
        out.push(xs.clone());
        return;
    }
    for i in k..xs.len() {
        xs.swap(k, i);
        permutations(xs, k + 1, out);
        xs.swap(k, i);
    }
}
