//! One rehearsal run: a discrete-event simulation of carrying out a plan.
//!
//! Vehicles do their trips in the plan's order. Each waits where the world makes
//! it wait: for households not yet at the site, for boarding, in the checkpoint
//! queue (first come, first served, on the first free lane), for an open window
//! (the plan's windows minus sampled suspensions), for a convoy to gather, and
//! for a linked-evacuation deal. The joint rules are the planner's own (see
//! `problem.md`), applied to sampled times, so that with no uncertainty a run
//! replays the plan to the second.
//!
//! Drivers keep to the timetable: no event of a planned trip comes sooner than the
//! plan says (departures, arrivals, loading, crossing, unloading, the return).
//! That carries the plan's deliberate holds (deals) and slack into the run, makes
//! any valid plan replay exactly when nothing varies, and means a lucky fast leg
//! is not turned into an early departure that nobody at the next site expects:
//! disruptions can only delay. Trips taken over from a lost vehicle have no
//! timetable.
//!
//! Recovery when a vehicle is lost: losses happen as a trip begins (nobody on
//! board). The lost vehicle's remaining trips, in order, each go to the vehicle
//! that can take them earliest: among vehicles still running whose seats and
//! stretcher slots fit the trip, the one whose estimated free time (the plan's end
//! of its own work, plus the planned length of trips it already took over) plus
//! the drive to the trip's first pickup is smallest. It does them after its own
//! trips, without a timetable. A trip no vehicle can take strands its households.
//!
//! Road closures that may happen (`Uncertainty::closures`): each is drawn once per run (whether it
//! happens, when it begins and ends). A leg uses the travel times of the closures in force when it
//! sets out (one that begins during the leg does not stop it). When they make the leg impossible,
//! the vehicle waits where it is for the first moment a closure's end (or beginning) makes it
//! possible; when none ever does, the vehicle is cut off: its trip is lost (nobody picked up so far
//! is delivered) unless it had not yet set out, and its trips from then on go to other vehicles as
//! if it were lost, each recorded as a [`RoadCut`]. A taker's drive to a handed-over trip is judged
//! the same way: one held up by a closure that reopens counts from the reopening and takes the trip
//! late; only one that no closure's end ever frees (or that no road links) cannot take it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use corridor_core::{
    ClosureEnd, Crossing, HouseholdId, People, Plan, Scenario, Seconds, SiteId, Stop, Trip,
    Uncertainty, VehicleId, VehicleRoute,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::sample::{events, exponential, happens, lognormal_factor, uniform};

/// Where a vehicle's time went: the categories of [`RunResult::time_use`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Driving (return legs included).
    Driving,
    /// Stop time and boarding at pickup sites, crowd delays included.
    Boarding,
    /// Stop time and unloading at destinations.
    Unloading,
    /// At a pickup site, before the households were there.
    WaitingForHouseholds,
    /// In the checkpoint queue while the corridor was open, and waiting for a convoy.
    Queueing,
    /// Being inspected at the checkpoint.
    Inspection,
    /// At the checkpoint while the corridor was closed or suspended.
    WaitingForWindow,
    /// Held by a linked-evacuation deal (at a destination, or before the last departure).
    HeldByDeal,
    /// Repairing a breakdown.
    Breakdowns,
    /// Waiting for the timetable's departure time.
    Timetable,
    /// Waiting for a closed road to reopen.
    WaitingForRoad,
}

impl Use {
    /// All categories, in report order.
    pub const ALL: [Use; 11] = [
        Use::Driving,
        Use::Boarding,
        Use::Unloading,
        Use::WaitingForHouseholds,
        Use::Queueing,
        Use::Inspection,
        Use::WaitingForWindow,
        Use::HeldByDeal,
        Use::Breakdowns,
        Use::Timetable,
        Use::WaitingForRoad,
    ];

    /// How a report names it.
    pub fn label(self) -> &'static str {
        match self {
            Use::Driving => "driving",
            Use::Boarding => "boarding",
            Use::Unloading => "unloading",
            Use::WaitingForHouseholds => "waiting for households",
            Use::Queueing => "queueing at the checkpoint",
            Use::Inspection => "checkpoint inspection",
            Use::WaitingForWindow => "waiting for a window",
            Use::HeldByDeal => "held by the deal",
            Use::Breakdowns => "breakdowns",
            Use::Timetable => "waiting for the timetable",
            Use::WaitingForRoad => "waiting for a closed road",
        }
    }

    /// A name for programs (JSON keys).
    pub fn key(self) -> &'static str {
        match self {
            Use::Driving => "driving",
            Use::Boarding => "boarding",
            Use::Unloading => "unloading",
            Use::WaitingForHouseholds => "waiting_for_households",
            Use::Queueing => "queueing",
            Use::Inspection => "inspection",
            Use::WaitingForWindow => "waiting_for_window",
            Use::HeldByDeal => "held_by_deal",
            Use::Breakdowns => "breakdowns",
            Use::Timetable => "timetable",
            Use::WaitingForRoad => "waiting_for_road",
        }
    }
}

/// A vehicle lost during a run, and where its trips went.
#[derive(Clone, Debug, PartialEq)]
pub struct Loss {
    /// The vehicle.
    pub vehicle: VehicleId,
    /// When it was lost (as its next trip was to begin).
    pub at: Seconds,
    /// Each remaining trip's new vehicle, in order; `None` where no vehicle could take it.
    pub trips_to: Vec<Option<VehicleId>>,
}

/// A possible road closure as drawn for one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampledClosure {
    /// Whether it happened in this run.
    pub happened: bool,
    /// When it began (drawn whether or not it happened).
    pub from: Seconds,
    /// When it reopened; `None` when it stayed closed.
    pub until: Option<Seconds>,
}

/// A vehicle cut off by road closures that never reopen, and where its trips went.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadCut {
    /// The vehicle.
    pub vehicle: VehicleId,
    /// When it found the way closed.
    pub at: Seconds,
    /// Where it was.
    pub from: SiteId,
    /// Where it had to go.
    pub to: SiteId,
    /// The closures in force (bit `i` for possible closure `i`).
    pub closures: u32,
    /// People on board, who were not delivered.
    pub on_board: u32,
    /// The trips it had not done (the current one first when it had not set out), each one's new
    /// vehicle in order; `None` where no vehicle could take it.
    pub trips_to: Vec<Option<VehicleId>>,
}

/// What one run of a plan came to.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// When the last evacuee was unloaded (zero when nobody moved).
    pub makespan: Seconds,
    /// Each delivery: when, and how many people of each tier.
    pub deliveries: Vec<(Seconds, [u32; 3])>,
    /// People the plan carries who were not delivered in this run, by tier
    /// (their trip was stranded by losses, or held for ever by a deal or a closed corridor).
    pub stranded: [u32; 3],
    /// Vehicle time per category of [`Use::ALL`], in seconds.
    pub time_use: [i64; 11],
    /// Vehicles lost.
    pub losses: Vec<Loss>,
    /// Corridor suspensions sampled for the run: (corridor index, start, end).
    pub suspensions: Vec<(usize, Seconds, Seconds)>,
    /// Each possible road closure as drawn for the run, in the scenario's order.
    pub closures: Vec<SampledClosure>,
    /// Vehicles cut off by closures.
    pub road_cuts: Vec<RoadCut>,
    /// The plan as it was carried out, when recording was asked for.
    pub executed: Option<Plan>,
}

impl RunResult {
    /// Whether everyone the plan carries was delivered.
    pub fn complete(&self) -> bool {
        self.stranded == [0; 3]
    }
}

/// What every run of one plan shares: indexes prepared once.
pub struct Prepared<'a> {
    s: &'a Scenario,
    plan: &'a Plan,
    u: &'a Uncertainty,
    /// Households at each site, for the crowd count.
    site_households: Vec<Vec<HouseholdId>>,
    /// Per (route, trip): seated and stretcher people on board at the end.
    trip_load: Vec<Vec<(u32, u32)>>,
    /// Per (route, trip): the trip unloads people of group A of a ratio deal.
    limited: Vec<Vec<bool>>,
    /// Ratio deals (indices into the scenario's deals).
    ratio_deals: Vec<usize>,
    /// "A leaves last" rules: (deal, gated stop (route, trip, stop), B stops with households).
    gates: Vec<(usize, (usize, usize, usize), usize)>,
    /// Whether a site is in group B of each gate's deal.
    in_b: Vec<Vec<bool>>,
    /// Whether a site is in group A of an "A leaves last" deal (for naming planned holds).
    in_a_last: Vec<bool>,
    /// The plan's end of each vehicle's work (for the recovery estimate).
    planned_end: Vec<i64>,
    /// Each vehicle's route in the plan.
    route_of: Vec<Option<usize>>,
    /// No suspension is sampled after this time.
    horizon: i64,
    /// People the plan carries, by tier.
    carried: [u32; 3],
}

impl<'a> Prepared<'a> {
    /// Indexes `plan` for runs; trusts its references (validate the plan first).
    pub fn new(s: &'a Scenario, plan: &'a Plan, u: &'a Uncertainty) -> Prepared<'a> {
        let mut site_households = vec![Vec::new(); s.sites.len()];
        for (i, h) in s.households.iter().enumerate() {
            site_households[h.site.index()].push(HouseholdId(i as u32));
        }
        let ratio_deals: Vec<usize> = (0..s.deals.len())
            .filter(|&d| s.deals[d].ratio.is_some())
            .collect();
        let mut trip_load = Vec::new();
        let mut limited = Vec::new();
        let mut carried = [0u32; 3];
        let mut planned_end = s
            .vehicles
            .iter()
            .map(|v| v.available_from.0)
            .collect::<Vec<_>>();
        let mut horizon = 0i64;
        let mut route_of = vec![None; s.vehicles.len()];
        for (ri, r) in plan.routes.iter().enumerate() {
            route_of[r.vehicle.index()] = Some(ri);
            let mut loads = Vec::new();
            let mut lim = Vec::new();
            for t in &r.trips {
                let (mut seated, mut stretchers) = (0u32, 0u32);
                // People count as carried on the leg that ends at a destination.
                let arrives = s.hub(t.destination).is_none();
                for h in t.households() {
                    let hh = s.household(h);
                    seated += hh.seated().0;
                    stretchers += hh.stretcher_cases.0;
                    if arrives {
                        carried[hh.tier.index()] += hh.people.0;
                    }
                }
                loads.push((seated, stretchers));
                lim.push(ratio_deals.iter().any(|&d| {
                    t.stops
                        .iter()
                        .any(|p| s.deals[d].group_a.contains(&p.site) && !p.households.is_empty())
                }));
                horizon = horizon.max(t.unloaded.0);
            }
            if let Some(t) = r.trips.last() {
                planned_end[r.vehicle.index()] = t.unloaded.0;
            }
            trip_load.push(loads);
            limited.push(lim);
        }
        let mut gates = Vec::new();
        let mut in_b = Vec::new();
        let mut in_a_last = vec![false; s.sites.len()];
        for (d, deal) in s.deals.iter().enumerate().filter(|(_, d)| d.a_leaves_last) {
            let mut last: Option<(i64, (usize, usize, usize))> = None;
            let mut b_stops = 0;
            for (ri, r) in plan.routes.iter().enumerate() {
                for (ti, t) in r.trips.iter().enumerate() {
                    for (si, stop) in t.stops.iter().enumerate() {
                        if stop.households.is_empty() {
                            continue;
                        }
                        if deal.group_a.contains(&stop.site)
                            && last.is_none_or(|(l, _)| stop.departs.0 > l)
                        {
                            last = Some((stop.departs.0, (ri, ti, si)));
                        }
                        if deal.group_b.contains(&stop.site) {
                            b_stops += 1;
                        }
                    }
                }
            }
            for &a in &deal.group_a {
                in_a_last[a.index()] = true;
            }
            if let Some((_, at)) = last {
                let mut b = vec![false; s.sites.len()];
                for &x in &deal.group_b {
                    b[x.index()] = true;
                }
                gates.push((d, at, b_stops));
                in_b.push(b);
            }
        }
        // Suspensions matter only while someone may still need the corridor:
        // three times the plan's length, and at least a week, is far beyond any run.
        let horizon = horizon.max(0) * 3 + 7 * 86_400;
        Prepared {
            s,
            plan,
            u,
            site_households,
            trip_load,
            limited,
            ratio_deals,
            gates,
            in_b,
            in_a_last,
            planned_end,
            route_of,
            horizon,
            carried,
        }
    }

    fn trip(&self, j: Job) -> &'a Trip {
        &self.plan.routes[j.route].trips[j.trip]
    }

    /// Runs the plan once with the random streams of (`seed`, `run`), recording the executed plan when asked.
    pub fn run(&self, seed: u64, run: u64, record: bool) -> RunResult {
        Run::new(self, seed, run, record).go()
    }
}

/// A random stream for one purpose in one run: the same entity (a vehicle, a
/// corridor) draws from the same stream whatever the plan, so that two plans
/// rehearsed with the same seed meet the same world (common random numbers).
pub(crate) fn stream(seed: u64, run: u64, purpose: u64, index: u64) -> ChaCha8Rng {
    let mix = seed
        ^ purpose.wrapping_mul(0xA076_1D64_78BD_642F)
        ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut rng = ChaCha8Rng::seed_from_u64(mix);
    rng.set_stream(run);
    rng
}

const CORRIDORS: u64 = 1;
const HOUSEHOLDS: u64 = 2;
const VEHICLES: u64 = 3;
const CLOSURES: u64 = 4;

/// Why a leg cannot be driven.
#[derive(Clone, Copy, Debug)]
enum Blocked {
    /// Not even on the open roads.
    Unreachable,
    /// The closures of this mask are in force and none that would free the way ever ends.
    Closed(u32),
}

/// A trip of the plan, by position, and whether it keeps the plan's timetable.
#[derive(Clone, Copy, Debug)]
struct Job {
    route: usize,
    trip: usize,
    planned: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrive,
    Leave,
    Queue,
    Deliver,
    ConvoyDeadline(u32),
}

/// (time, priority, kind, vehicle or corridor index): the planner's order of simultaneous events.
type Event = Reverse<(i64, u8, Kind, usize)>;

struct Current {
    job: Job,
    stop: usize,
    /// The trip as carried out (stops only when recording).
    rec: Trip,
    /// When the current step would end without holds (stop departure, unloading end).
    due: i64,
    /// Sampled processing time at the checkpoint.
    processing: i64,
}

struct Vehicle {
    t: i64,
    at: SiteId,
    jobs: VecDeque<Job>,
    cur: Option<Current>,
    alive: bool,
    /// No trip in hand: waiting for work (or finished).
    idle: bool,
    returns_at: Option<i64>,
    rng: ChaCha8Rng,
    trips: Vec<Trip>,
    est_free: i64,
    worked: bool,
    /// It does trips of a lost vehicle: its own plan's return time no longer applies.
    took_over: bool,
}

struct Gathering {
    id: u32,
    members: Vec<(usize, i64)>,
}

struct Run<'p, 'a> {
    p: &'p Prepared<'a>,
    record: bool,
    ready: Vec<i64>,
    /// Per household unloaded at a hub in this run, the end of its processing there.
    hub_ready: Vec<Option<i64>>,
    /// Per hub, when its processing is free again.
    hub_free: Vec<i64>,
    /// Vehicles at a hub waiting for households that have not yet come: (vehicle, arrival).
    at_hub: Vec<(usize, i64)>,
    /// Households that will never reach the hub in this run (their first leg was lost).
    never: Vec<bool>,
    /// Per site: (ready time, people ready by then), sorted by time.
    present: Vec<Vec<(i64, u32)>>,
    picked: Vec<u32>,
    /// Per corridor: open intervals (start, end, window index).
    open: Vec<Vec<(i64, i64, usize)>>,
    lanes: Vec<Vec<i64>>,
    convoys_in_window: Vec<Vec<u32>>,
    gathering: Vec<Option<Gathering>>,
    next_convoy: u32,
    delivered: Vec<(i64, i64)>,
    parked: Vec<(i64, usize)>,
    gate_left: Vec<usize>,
    gate_parked: Vec<Vec<(i64, usize)>>,
    v: Vec<Vehicle>,
    heap: BinaryHeap<Event>,
    out: RunResult,
    delivered_people: [u32; 3],
}

impl<'p, 'a> Run<'p, 'a> {
    fn new(p: &'p Prepared<'a>, seed: u64, run: u64, record: bool) -> Run<'p, 'a> {
        let s = p.s;
        let u = p.u;
        // Each possible closure: its own stream, three draws whatever the outcome.
        let closures = u
            .closures
            .closures()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut rng = stream(seed, run, CLOSURES, i as u64);
                let happened = uniform(&mut rng) < c.chance;
                let spread = (c.latest_from.0 - c.from.0) as f64;
                let from = c.from.0 + (spread * uniform(&mut rng)).round() as i64;
                let lasts = exponential(&mut rng, 1.0);
                let until = match c.end {
                    ClosureEnd::Never => None,
                    ClosureEnd::At(t) => Some(t),
                    ClosureEnd::MeanDuration(m) => {
                        Some(Seconds(from + ((m.0 as f64 * lasts).round() as i64).max(1)))
                    }
                };
                SampledClosure {
                    happened,
                    from: Seconds(from),
                    until,
                }
            })
            .collect();
        // Households: one stream, in household order.
        let mut hr = stream(seed, run, HOUSEHOLDS, 0);
        let ready: Vec<i64> = s
            .households
            .iter()
            .map(|h| {
                if u.late_household_share > 0.0 && uniform(&mut hr) < u.late_household_share {
                    h.ready.0 + exponential(&mut hr, u.late_household_mean.0 as f64).round() as i64
                } else {
                    h.ready.0
                }
            })
            .collect();
        let present = p
            .site_households
            .iter()
            .map(|hs| {
                let mut xs: Vec<(i64, u32)> = hs
                    .iter()
                    .map(|&h| (ready[h.index()], s.household(h).people.0))
                    .collect();
                xs.sort_unstable();
                let mut acc = 0u32;
                for x in &mut xs {
                    acc += x.1;
                    x.1 = acc;
                }
                xs
            })
            .collect();
        let mut suspensions = Vec::new();
        let open = s
            .corridors
            .iter()
            .enumerate()
            .map(|(c, k)| {
                let mut rng = stream(seed, run, CORRIDORS, c as u64);
                let mut out = Vec::new();
                for (wi, w) in k.windows.iter().enumerate() {
                    let mut start = w.start.0;
                    let end = w.end.0;
                    // A Poisson process of suspensions over the open time, per day.
                    let mut t = start.max(0);
                    loop {
                        if u.suspensions_per_day <= 0.0 || t >= end.min(p.horizon) {
                            break;
                        }
                        t += exponential(&mut rng, 86_400.0 / u.suspensions_per_day).round() as i64;
                        if t >= end.min(p.horizon) {
                            break;
                        }
                        let d = (u.suspension_mean.0 as f64
                            * lognormal_factor(&mut rng, u.suspension_cv))
                        .round() as i64;
                        suspensions.push((c, Seconds(t), Seconds(t + d)));
                        if t > start {
                            out.push((start, t, wi));
                        }
                        start = t + d;
                        t = start;
                    }
                    if start < end {
                        out.push((start, end, wi));
                    }
                }
                out
            })
            .collect();
        let v = s
            .vehicles
            .iter()
            .enumerate()
            .map(|(i, veh)| Vehicle {
                t: veh.available_from.0,
                at: veh.depot,
                jobs: VecDeque::new(),
                cur: None,
                alive: true,
                idle: true,
                returns_at: None,
                rng: stream(seed, run, VEHICLES, i as u64),
                trips: Vec::new(),
                est_free: p.planned_end[i],
                worked: false,
                took_over: false,
            })
            .collect();
        Run {
            p,
            record,
            ready,
            present,
            picked: vec![0; s.sites.len()],
            hub_ready: vec![None; s.households.len()],
            hub_free: vec![i64::MIN; s.sites.len()],
            at_hub: Vec::new(),
            never: vec![false; s.households.len()],
            open,
            lanes: s
                .corridors
                .iter()
                .map(|c| vec![i64::MIN; c.lanes as usize])
                .collect(),
            convoys_in_window: s
                .corridors
                .iter()
                .map(|c| vec![0; c.windows.len()])
                .collect(),
            gathering: s.corridors.iter().map(|_| None).collect(),
            next_convoy: 1,
            delivered: vec![(0, 0); s.deals.len()],
            parked: Vec::new(),
            gate_left: p.gates.iter().map(|g| g.2).collect(),
            gate_parked: p.gates.iter().map(|_| Vec::new()).collect(),
            v,
            heap: BinaryHeap::new(),
            out: RunResult {
                makespan: Seconds::ZERO,
                deliveries: Vec::new(),
                stranded: [0; 3],
                time_use: [0; 11],
                losses: Vec::new(),
                suspensions,
                closures,
                road_cuts: Vec::new(),
                executed: None,
            },
            delivered_people: [0; 3],
        }
    }

    fn spend(&mut self, what: Use, secs: i64) {
        self.out.time_use[what as usize] += secs.max(0);
    }

    fn go(mut self) -> RunResult {
        for (ri, r) in self.p.plan.routes.iter().enumerate() {
            let v = r.vehicle.index();
            // Busy from the start: a loss elsewhere only queues trips behind its own.
            self.v[v].idle = r.trips.is_empty();
            self.v[v].jobs.extend((0..r.trips.len()).map(|ti| Job {
                route: ri,
                trip: ti,
                planned: true,
            }));
        }
        // The plan's vehicles set out, in vehicle order. One the plan leaves unused is not started
        // here: trips of a vehicle lost as its first trip began start it as they are handed over.
        for v in 0..self.v.len() {
            let planned =
                self.p.route_of[v].is_some_and(|r| !self.p.plan.routes[r].trips.is_empty());
            if planned {
                let t = self.v[v].t;
                self.begin(v, t);
            }
        }
        let mut last = 0i64;
        loop {
            while let Some(Reverse((t, _, kind, i))) = self.heap.pop() {
                last = last.max(t);
                match kind {
                    Kind::Arrive => self.arrive(i, t),
                    Kind::Leave => self.leave(i, t),
                    Kind::Queue => self.queue(i, t),
                    Kind::Deliver => self.deliver_or_hold(i, t),
                    Kind::ConvoyDeadline(id) => {
                        if self.gathering[i].as_ref().is_some_and(|g| g.id == id)
                            && let Some(g) = self.gathering[i].take()
                        {
                            self.convoy_leaves(i, g, t);
                        }
                    }
                }
            }
            // Vehicles still waiting at a hub wait for households whose first leg
            // never came (its trip was lost): once nothing else can happen, they
            // leave without them, and those households are stranded.
            let waiting = std::mem::take(&mut self.at_hub);
            if waiting.is_empty() {
                break;
            }
            for &(w, _) in &waiting {
                if let Some(cur) = &self.v[w].cur {
                    let stop = &self.p.trip(cur.job).stops[cur.stop];
                    for &h in &stop.households {
                        if self.hub_ready[h.index()].is_none() {
                            self.never[h.index()] = true;
                        }
                    }
                }
            }
            for (w, arrived) in waiting {
                self.arrive(w, arrived.max(last));
            }
        }
        let mut out = self.out;
        for tier in 0..3 {
            out.stranded[tier] = self.p.carried[tier].saturating_sub(self.delivered_people[tier]);
        }
        if self.record {
            out.executed = Some(Plan {
                routes: self
                    .v
                    .iter_mut()
                    .enumerate()
                    .filter(|(_, x)| !x.trips.is_empty())
                    .map(|(i, x)| VehicleRoute {
                        vehicle: VehicleId(i as u32),
                        trips: std::mem::take(&mut x.trips),
                        returns_at: x.returns_at.map(Seconds),
                    })
                    .collect(),
                uncarried: self.p.plan.uncarried.clone(),
            });
        }
        out
    }

    fn push(&mut self, t: i64, prio: u8, kind: Kind, i: usize) {
        self.heap.push(Reverse((t, prio, kind, i)));
    }

    /// The closures in force at `t` (bit `i` for possible closure `i`).
    fn closed_at(&self, t: i64) -> u32 {
        let mut mask = 0;
        for (i, c) in self.out.closures.iter().enumerate() {
            if c.happened && c.from.0 <= t && c.until.is_none_or(|u| t < u.0) {
                mask |= 1 << i;
            }
        }
        mask
    }

    /// Vehicle `v`'s planned time from `a` to `b` with the closures of `mask` in force.
    fn travel_in(&self, mask: u32, v: usize, a: SiteId, b: SiteId) -> Option<Seconds> {
        let vid = VehicleId(v as u32);
        match self.p.u.closures.travel(mask) {
            Some(m) => m.get(a, b).map(|t| self.p.s.vehicle_type_of(vid).travel(t)),
            None => self.p.s.travel_for(vid, a, b),
        }
    }

    /// When vehicle `v` can set out from `a` to `b` at `t` or later, and the planned time of the
    /// leg then: now, or the first moment the closures in force change so that the leg is possible.
    fn set_out(&self, v: usize, t: i64, a: SiteId, b: SiteId) -> Result<(i64, i64), Blocked> {
        let mask = self.closed_at(t);
        if mask == 0 || self.p.s.travel_for(VehicleId(v as u32), a, b).is_none() {
            return self
                .p
                .s
                .travel_for(VehicleId(v as u32), a, b)
                .map(|l| (t, l.0))
                .ok_or(Blocked::Unreachable);
        }
        if let Some(l) = self.travel_in(mask, v, a, b) {
            return Ok((t, l.0));
        }
        let mut changes: Vec<i64> = self
            .out
            .closures
            .iter()
            .filter(|c| c.happened)
            .flat_map(|c| [Some(c.from.0), c.until.map(|u| u.0)])
            .flatten()
            .filter(|&x| x > t)
            .collect();
        changes.sort_unstable();
        changes.dedup();
        changes
            .into_iter()
            .find_map(|x| self.travel_in(self.closed_at(x), v, a, b).map(|l| (x, l.0)))
            .ok_or(Blocked::Closed(mask))
    }

    /// Drives vehicle `v` from where it is to `to`, from `t` (after waiting for closed roads);
    /// returns the arrival.
    fn drive(&mut self, v: usize, t: i64, to: SiteId) -> Result<i64, Blocked> {
        let (t, leg) = match self.set_out(v, t, self.v[v].at, to) {
            Ok((at, leg)) => {
                self.spend(Use::WaitingForRoad, at - t);
                (at, leg)
            }
            Err(b) => return Err(b),
        };
        let u = self.p.u;
        let veh = &mut self.v[v];
        let f = lognormal_factor(&mut veh.rng, u.travel_time_cv);
        let leg = if f == 1.0 {
            leg
        } else {
            (leg as f64 * f).round() as i64
        };
        // A Poisson number of breakdowns on the leg, each with its own repair: a single
        // yes/no draw would cap the rate at one per leg and fall short on long legs.
        let breakdowns = events(
            &mut veh.rng,
            u.breakdowns_per_driving_hour,
            leg as f64 / 3600.0,
        );
        let repair: i64 = (0..breakdowns)
            .map(|_| {
                (u.repair_mean.0 as f64 * lognormal_factor(&mut veh.rng, u.repair_cv)).round()
                    as i64
            })
            .sum();
        veh.at = to;
        self.spend(Use::Driving, leg);
        self.spend(Use::Breakdowns, repair);
        Ok(t + leg + repair)
    }

    /// Vehicle `v` is free at `t`: it begins its next trip, or goes home. A vehicle with a trip in
    /// hand is not free: its events belong to that trip, and it begins the next when it delivers.
    fn begin(&mut self, v: usize, t: i64) {
        let veh = &mut self.v[v];
        if veh.cur.is_some() {
            return;
        }
        veh.t = veh.t.max(t);
        let Some(job) = veh.jobs.pop_front() else {
            veh.idle = true;
            if veh.worked
                && let Some(depot) = self.p.s.vehicle(VehicleId(v as u32)).return_depot
            {
                let t = veh.t;
                let planned = match (veh.took_over, self.p.route_of[v]) {
                    (false, Some(r)) => self.p.plan.routes[r].returns_at.map(|x| x.0),
                    _ => None,
                };
                // Cut off from its depot for good, it stays where it is: nobody is on board.
                if let Ok(back) = self.drive(v, t, depot) {
                    let back = self.keep_time(back, planned);
                    self.v[v].returns_at = Some(back);
                    self.v[v].t = back;
                }
            }
            return;
        };
        veh.idle = false;
        veh.returns_at = None;
        let trip = self.p.trip(job);
        let hours = (trip.unloaded.0 - trip.departs.0).max(0) as f64 / 3600.0;
        if happens(&mut veh.rng, self.p.u.losses_per_working_hour, hours) {
            let now = veh.t;
            self.lose(v, now, job);
            return;
        }
        let departs = if job.planned {
            veh.t.max(trip.departs.0)
        } else {
            veh.t
        };
        let waited = departs - veh.t;
        veh.worked = true;
        veh.cur = Some(Current {
            job,
            stop: 0,
            rec: Trip {
                departs: Seconds(departs),
                stops: Vec::new(),
                crossing: None,
                destination: trip.destination,
                arrives: Seconds::ZERO,
                unloaded: Seconds::ZERO,
            },
            due: departs,
            processing: 0,
        });
        self.spend(Use::Timetable, waited);
        self.next_leg(v, departs);
    }

    /// From where the vehicle is at `t`, on to the next stop, the checkpoint or the destination.
    fn next_leg(&mut self, v: usize, t: i64) {
        let Some(cur) = &self.v[v].cur else { return };
        let (job, stop, crossed) = (cur.job, cur.stop, cur.rec.crossing.is_some());
        let trip = self.p.trip(job);
        let planned = job.planned;
        if let Some(next) = trip.stops.get(stop) {
            match self.drive(v, t, next.site) {
                Ok(at) => {
                    let at = self.keep_time(at, planned.then_some(next.arrives.0));
                    self.push(at, 0, Kind::Arrive, v);
                }
                Err(b) => self.blocked(v, t, next.site, b),
            }
            return;
        }
        if let Some(c) = &trip.crossing
            && !crossed
        {
            let cp = self.p.s.corridors[c.corridor.index()].checkpoint;
            match self.drive(v, t, cp) {
                Ok(at) => {
                    let at = self.keep_time(at, planned.then_some(c.queued.0));
                    self.push(at, 0, Kind::Queue, v);
                }
                Err(b) => self.blocked(v, t, cp, b),
            }
            return;
        }
        let dest = trip.destination;
        let arrives = match self.drive(v, t, dest) {
            Ok(at) => at,
            Err(b) => {
                self.blocked(v, t, dest, b);
                return;
            }
        };
        let arrives = self.keep_time(arrives, planned.then_some(trip.arrives.0));
        let (seated, stretchers) = self.p.trip_load[job.route][job.trip];
        let vt = self.p.s.vehicle_type_of(VehicleId(v as u32));
        let unloading = vt.unloading(People(seated + stretchers)).0;
        self.spend(Use::Unloading, unloading);
        let prio = if self.p.limited[job.route][job.trip] {
            2
        } else {
            1
        };
        if let Some(cur) = self.v[v].cur.as_mut() {
            cur.rec.arrives = Seconds(arrives);
            cur.due = arrives + unloading;
        }
        // Unloading ends no sooner than the plan says: the part of a wait up to then is
        // the plan's own deal hold for a trip the deal limits, else the timetable.
        let unloaded = arrives + unloading;
        let at = if planned {
            let at = unloaded.max(trip.unloaded.0);
            let held_as = if prio == 2 {
                Use::HeldByDeal
            } else {
                Use::Timetable
            };
            self.spend(held_as, at - unloaded);
            if let Some(cur) = self.v[v].cur.as_mut() {
                cur.due = at;
            }
            at
        } else {
            unloaded
        };
        self.push(at, prio, Kind::Deliver, v);
    }

    /// An event that the timetable says comes no sooner than `planned`: the wait is the timetable's.
    fn keep_time(&mut self, at: i64, planned: Option<i64>) -> i64 {
        match planned {
            Some(p) if p > at => {
                self.spend(Use::Timetable, p - at);
                p
            }
            _ => at,
        }
    }

    /// Vehicle `v` cannot drive on to `to` at `t`. Closed roads that never reopen cut it off: its
    /// trip is lost unless it had not set out (then it goes to another vehicle, like its later
    /// trips). A leg unreachable on the open roads only ends the vehicle's work, as before.
    fn blocked(&mut self, v: usize, t: i64, to: SiteId, why: Blocked) {
        let Blocked::Closed(closures) = why else {
            self.stuck(v);
            return;
        };
        let from = self.v[v].at;
        let Some(cur) = self.v[v].cur.take() else {
            return;
        };
        let trip = self.p.trip(cur.job);
        let on_board: u32 = trip.stops[..cur.stop.min(trip.stops.len())]
            .iter()
            .flat_map(|s| s.households.iter())
            .map(|&h| self.p.s.household(h).people.0)
            .sum();
        let mut jobs = Vec::new();
        if cur.stop == 0 {
            jobs.push(cur.job);
        }
        jobs.extend(self.v[v].jobs.drain(..));
        self.v[v].alive = false;
        self.v[v].idle = true;
        let trips_to = self.hand_over(t, jobs);
        self.out.road_cuts.push(RoadCut {
            vehicle: VehicleId(v as u32),
            at: Seconds(t),
            from,
            to,
            closures,
            on_board,
            trips_to,
        });
    }

    /// The vehicle cannot go on (an unreachable leg, no window left): its trip and later ones never
    /// happen, and its work is over. It takes no trips of lost vehicles: whoever it picked up is
    /// still on board.
    fn stuck(&mut self, v: usize) {
        self.v[v].cur = None;
        self.v[v].jobs.clear();
        self.v[v].idle = true;
        self.v[v].alive = false;
    }

    fn arrive(&mut self, v: usize, t: i64) {
        let u = self.p.u;
        let Some(cur) = &self.v[v].cur else { return };
        let trip = self.p.trip(cur.job);
        let stop = &trip.stops[cur.stop];
        let planned = cur.job.planned;
        let mut ready = t;
        let mut people = 0u32;
        let at_hub = self.p.s.hub(stop.site).is_some();
        for &h in &stop.households {
            if self.never[h.index()] {
                continue;
            }
            let here = if at_hub {
                // Onward from a hub: once its first leg has brought it and the hub processed it.
                match self.hub_ready[h.index()] {
                    Some(r) => r,
                    None => {
                        self.at_hub.push((v, t));
                        return;
                    }
                }
            } else {
                self.ready[h.index()]
            };
            ready = ready.max(here);
            people += self.p.s.household(h).people.0;
        }
        let world_ready = ready;
        if planned {
            ready = ready.max(stop.loading_starts.0);
        }
        let site = stop.site.index();
        // The crowd: people at the site by now, not yet picked up, beyond those boarding.
        let present = &self.present[site];
        let here = match present.partition_point(|x| x.0 <= t) {
            0 => 0,
            k => present[k - 1].1,
        };
        let waiting = here
            .saturating_sub(self.picked[site])
            .saturating_sub(people);
        self.picked[site] += people;
        let vt = self.p.s.vehicle_type_of(VehicleId(v as u32));
        let base = vt.boarding(People(people)).0;
        let f = lognormal_factor(&mut self.v[v].rng, u.boarding_time_cv);
        let mut boarding = if f == 1.0 {
            base
        } else {
            (base as f64 * f).round() as i64
        };
        boarding += u.crowding_delay_per_100_waiting.0 * i64::from(waiting) / 100;
        let mut departs = ready + boarding;
        let mut hold = 0;
        if planned && stop.departs.0 > departs {
            hold = stop.departs.0 - departs;
            departs = stop.departs.0;
        }
        let held_as = if self.p.in_a_last[site] {
            Use::HeldByDeal
        } else {
            Use::Timetable
        };
        self.spend(Use::WaitingForHouseholds, world_ready - t);
        self.spend(Use::Timetable, ready - world_ready);
        self.spend(Use::Boarding, boarding);
        self.spend(held_as, hold);
        if self.record
            && let Some(cur) = self.v[v].cur.as_mut()
        {
            cur.rec.stops.push(Stop {
                site: stop.site,
                arrives: Seconds(t),
                loading_starts: Seconds(ready),
                departs: Seconds(departs),
                households: stop.households.clone(),
            });
        }
        if let Some(cur) = self.v[v].cur.as_mut() {
            cur.due = departs;
        }
        self.push(departs, 0, Kind::Leave, v);
    }

    fn leave(&mut self, v: usize, t: i64) {
        let Some(cur) = &self.v[v].cur else { return };
        let here = (cur.job.route, cur.job.trip, cur.stop);
        for g in 0..self.p.gates.len() {
            if self.p.gates[g].1 == here && self.gate_left[g] > 0 {
                self.gate_parked[g].push((t, v));
                return;
            }
        }
        self.depart_stop(v, t);
    }

    fn depart_stop(&mut self, v: usize, t: i64) {
        let Some(cur) = self.v[v].cur.as_mut() else {
            return;
        };
        let held = t - cur.due;
        if let Some(s) = cur.rec.stops.last_mut() {
            s.departs = Seconds(t);
        }
        let trip = self.p.trip(cur.job);
        let stop = &trip.stops[cur.stop];
        cur.stop += 1;
        self.spend(Use::HeldByDeal, held);
        if !stop.households.is_empty() {
            for g in 0..self.p.gates.len() {
                if self.p.in_b[g][stop.site.index()] && self.gate_left[g] > 0 {
                    self.gate_left[g] -= 1;
                    if self.gate_left[g] == 0 {
                        // Released by this deal, each may still wait for another deal's gate.
                        for (_, w) in std::mem::take(&mut self.gate_parked[g]) {
                            self.leave(w, t);
                        }
                    }
                }
            }
        }
        self.next_leg(v, t);
    }

    fn queue(&mut self, v: usize, t: i64) {
        let Some(cur) = &self.v[v].cur else { return };
        let trip = self.p.trip(cur.job);
        let Some(c) = trip.crossing.as_ref().map(|c| c.corridor.index()) else {
            return;
        };
        let k = &self.p.s.corridors[c];
        let f = lognormal_factor(&mut self.v[v].rng, self.p.u.checkpoint_processing_cv);
        let p = if f == 1.0 {
            k.processing.0
        } else {
            (k.processing.0 as f64 * f).round() as i64
        };
        if let Some(cur) = self.v[v].cur.as_mut() {
            cur.processing = p;
        }
        if let Some(rule) = &k.convoy {
            if self.gathering[c].is_none() {
                let id = self.next_convoy;
                self.next_convoy += 1;
                self.push(t + rule.max_wait.0, 0, Kind::ConvoyDeadline(id), c);
                self.gathering[c] = Some(Gathering {
                    id,
                    members: Vec::new(),
                });
            }
            if let Some(g) = self.gathering[c].as_mut() {
                g.members.push((v, t));
                if g.members.len() as u32 >= rule.min_convoy
                    && let Some(g) = self.gathering[c].take()
                {
                    self.convoy_leaves(c, g, t);
                }
            }
            return;
        }
        match self.cross(c, t, t, None, v) {
            Some(end) => self.next_leg(v, end),
            None => self.stuck(v),
        }
    }

    /// The first time from `t` at which `[s, s + p]` lies in an open interval of corridor `c`.
    fn window_start(&self, c: usize, t: i64, p: i64) -> Option<(i64, usize)> {
        self.open[c].iter().find_map(|&(a, b, w)| {
            let s = t.max(a);
            (s + p <= b).then_some((s, w))
        })
    }

    /// Time in `[from, to]` during which corridor `c` is closed.
    fn closed_between(&self, c: usize, from: i64, to: i64) -> i64 {
        let open: i64 = self.open[c]
            .iter()
            .map(|&(a, b, _)| (b.min(to) - a.max(from)).max(0))
            .sum();
        (to - from - open).max(0)
    }

    /// Processes vehicle `v` at checkpoint `c` on the first free lane from `from`; returns the end.
    fn cross(
        &mut self,
        c: usize,
        from: i64,
        queued: i64,
        convoy: Option<u32>,
        v: usize,
    ) -> Option<i64> {
        let cur = self.v[v].cur.as_ref()?;
        let p = cur.processing;
        // Processing starts no sooner than the plan says.
        let from = match (cur.job.planned, &self.p.trip(cur.job).crossing) {
            (true, Some(x)) => from.max(x.starts.0),
            _ => from,
        };
        let lanes = &self.lanes[c];
        let lane = (0..lanes.len()).min_by_key(|&i| lanes[i]).unwrap_or(0);
        let (start, _) = self.window_start(c, from.max(lanes[lane]), p)?;
        let end = start + p;
        self.lanes[c][lane] = end;
        let closed = self.closed_between(c, queued, start);
        self.spend(Use::WaitingForWindow, closed);
        self.spend(Use::Queueing, start - queued - closed);
        self.spend(Use::Inspection, p);
        if let Some(cur) = self.v[v].cur.as_mut() {
            cur.rec.crossing = Some(Crossing {
                corridor: corridor_core::CorridorId(c as u32),
                queued: Seconds(queued),
                starts: Seconds(start),
                ends: Seconds(end),
                convoy,
            });
        }
        Some(end)
    }

    /// A gathered convoy leaves at `t`, or in the first later window with an escort free.
    fn convoy_leaves(&mut self, c: usize, g: Gathering, t: i64) {
        let k = &self.p.s.corridors[c];
        let escorts = k.convoy.as_ref().and_then(|r| r.escorts_per_window);
        let mut from = t;
        let opened = loop {
            let Some((s0, w)) = self.window_start(c, from, k.processing.0) else {
                break None;
            };
            if escorts.is_some_and(|e| self.convoys_in_window[c][w] >= e) {
                match k.windows.get(w + 1) {
                    Some(next) => from = next.start.0,
                    None => break None,
                }
                continue;
            }
            self.convoys_in_window[c][w] += 1;
            break Some(s0);
        };
        let Some(s0) = opened else {
            for &(m, _) in &g.members {
                self.stuck(m);
            }
            return;
        };
        let mut leave = s0;
        let mut through = Vec::new();
        for &(m, queued) in &g.members {
            match self.cross(c, s0, queued, Some(g.id), m) {
                Some(end) => {
                    leave = leave.max(end);
                    through.push((m, end));
                }
                None => self.stuck(m),
            }
        }
        for (m, end) in through {
            self.spend(Use::Queueing, leave - end);
            self.next_leg(m, leave);
        }
    }

    fn deliver_or_hold(&mut self, v: usize, t: i64) {
        let Some(cur) = &self.v[v].cur else { return };
        if !self.p.ratio_deals.is_empty() && !self.deal_allows(cur.job) {
            self.parked.push((t, v));
            return;
        }
        self.deliver(v, t);
        // A delivery may release held ones, at this instant.
        while let Some(i) = self.parked.iter().position(|&(_, pv)| {
            self.v[pv]
                .cur
                .as_ref()
                .is_some_and(|c| self.deal_allows(c.job))
        }) {
            let (_, pv) = self.parked.remove(i);
            self.deliver(pv, t);
        }
    }

    fn group_people(&self, trip: &Trip, group: &[SiteId]) -> i64 {
        trip.stops
            .iter()
            .filter(|p| group.contains(&p.site))
            .flat_map(|p| p.households.iter())
            .map(|&h| i64::from(self.p.s.household(h).people.0))
            .sum()
    }

    fn deal_allows(&self, job: Job) -> bool {
        let trip = self.p.trip(job);
        self.p.ratio_deals.iter().all(|&d| {
            let deal = &self.p.s.deals[d];
            let a = self.group_people(trip, &deal.group_a);
            if a == 0 {
                return true;
            }
            let b = self.group_people(trip, &deal.group_b);
            let (da, db) = self.delivered[d];
            let allowance = deal
                .allowance(People((db + b).clamp(0, i64::from(u32::MAX)) as u32))
                .map_or(i64::MAX, |p| i64::from(p.0));
            da + a <= allowance
        })
    }

    fn deliver(&mut self, v: usize, t: i64) {
        let Some(mut cur) = self.v[v].cur.take() else {
            return;
        };
        let trip = self.p.trip(cur.job);
        for &d in &self.p.ratio_deals {
            let deal = &self.p.s.deals[d];
            self.delivered[d].0 += self.group_people(trip, &deal.group_a);
            self.delivered[d].1 += self.group_people(trip, &deal.group_b);
        }
        let t = t.max(self.v[v].t);
        self.spend(Use::HeldByDeal, t - cur.due);
        let mut tiers = [0u32; 3];
        if let Some(hub) = self.p.s.hub(trip.destination) {
            // Processed one household after another, in the order they come off.
            let site = trip.destination.index();
            for h in trip.households() {
                let end =
                    t.max(self.hub_free[site]) + hub.processing(self.p.s.household(h).people).0;
                self.hub_free[site] = end;
                self.hub_ready[h.index()] = Some(end);
            }
        } else {
            for h in trip.households().filter(|h| !self.never[h.index()]) {
                let hh = self.p.s.household(h);
                tiers[hh.tier.index()] += hh.people.0;
            }
        }
        if tiers != [0; 3] {
            self.out.makespan = self.out.makespan.max(Seconds(t));
            for (d, x) in self.delivered_people.iter_mut().zip(tiers) {
                *d += x;
            }
            self.out.deliveries.push((Seconds(t), tiers));
        }
        cur.rec.unloaded = Seconds(t);
        if self.record {
            self.v[v].trips.push(cur.rec);
        }
        self.v[v].t = t;
        self.v[v].at = trip.destination;
        let to_hub = self.p.s.hub(trip.destination).is_some();
        self.begin(v, t);
        if to_hub {
            // Vehicles waiting at a hub for these households try again, from their arrival.
            for (w, arrived) in std::mem::take(&mut self.at_hub) {
                self.arrive(w, arrived);
            }
        }
    }

    /// Vehicle `v` is lost at `t` as `job` was to begin: its trips go to others.
    fn lose(&mut self, v: usize, t: i64, job: Job) {
        self.v[v].alive = false;
        self.v[v].idle = true;
        let mut jobs: Vec<Job> = vec![job];
        jobs.extend(self.v[v].jobs.drain(..));
        let trips_to = self.hand_over(t, jobs);
        self.out.losses.push(Loss {
            vehicle: VehicleId(v as u32),
            at: Seconds(t),
            trips_to,
        });
    }

    /// Trips of a vehicle that stopped at `t` go, in order, each to the running vehicle that can
    /// start it earliest; returns each one's new vehicle (`None`: nobody could take it).
    fn hand_over(&mut self, t: i64, jobs: Vec<Job>) -> Vec<Option<VehicleId>> {
        let mut trips_to = Vec::new();
        for j in jobs {
            let trip = self.p.trip(j);
            let (seated, stretchers) = self.p.trip_load[j.route][j.trip];
            let first = trip.stops.first().map_or(trip.destination, |s| s.site);
            let s = self.p.s;
            let best = (0..self.v.len())
                .filter(|&w| self.v[w].alive)
                .filter(|&w| {
                    let wid = VehicleId(w as u32);
                    let vt = s.vehicle_type_of(wid);
                    // Only a vehicle that may stop where the trip does; a fixed line keeps its timetable.
                    vt.seats.0 >= seated
                        && vt.stretchers.0 >= stretchers
                        && s.vehicle(wid).timetable.is_none()
                        && trip.stops.iter().all(|x| s.vehicle_serves(wid, x.site))
                        && s.vehicle_serves(wid, trip.destination)
                })
                .filter_map(|w| {
                    let x = &self.v[w];
                    let from = x.jobs.back().map_or(x.at, |b| self.p.trip(*b).destination);
                    // As a leg sets out: a taker held up by a closure that reopens waits for it
                    // and takes the trip late; only one cut off for good (or never linked) cannot.
                    let (start, leg) = self.set_out(w, x.est_free.max(t), from, first).ok()?;
                    Some((start + leg, w))
                })
                .min();
            match best {
                Some((_, w)) => {
                    let planned_len = (trip.unloaded.0 - trip.departs.0).max(0);
                    let x = &mut self.v[w];
                    x.est_free = x.est_free.max(t) + planned_len;
                    x.took_over = true;
                    x.jobs.push_back(Job {
                        planned: false,
                        ..j
                    });
                    trips_to.push(Some(VehicleId(w as u32)));
                    if x.idle && x.cur.is_none() {
                        let at = x.t.max(t);
                        // A vehicle back at its depot sets out again from there.
                        self.begin(w, at);
                    }
                }
                None => trips_to.push(None),
            }
        }
        trips_to
    }
}
