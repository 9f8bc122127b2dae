//! Where a plan's time goes: every second of every vehicle's working day given
//! one activity, so a coordinator sees the bottleneck at a glance.
//!
//! Everything is read off the plan's own event times (a valid plan records
//! every wait); nothing is re-planned. The split of a wait follows what the
//! rules of `problem.md` allow to cause it: at a checkpoint, time before the
//! window opens is the window's, time before the convoy's first vehicle starts
//! is the convoy's, the rest is the queue for a lane.

use crate::plan::{Plan, Trip};
use crate::scenario::{CorridorId, Scenario, VehicleId};
use crate::units::{People, Seconds};

/// What a vehicle is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activity {
    /// Moving between sites.
    Driving,
    /// At a pickup site before its households are ready.
    WaitingForPeople,
    /// Stop time and boarding at pickup sites.
    Boarding,
    /// At a checkpoint while the corridor is closed.
    WaitingForWindow,
    /// At a checkpoint while the convoy gathers.
    FormingConvoy,
    /// At a checkpoint waiting for a free lane.
    Queueing,
    /// Being inspected at a checkpoint.
    Inspection,
    /// Held by a linked-evacuation deal (delivery or last departure).
    HeldByDeal,
    /// Stop time and unloading at destinations.
    Unloading,
    /// Nothing to do: before a trip starts, or parked between trips.
    Idle,
}

impl Activity {
    /// Every activity, in the order reports list them.
    pub const ALL: [Activity; 10] = [
        Activity::Driving,
        Activity::WaitingForPeople,
        Activity::Boarding,
        Activity::WaitingForWindow,
        Activity::FormingConvoy,
        Activity::Queueing,
        Activity::Inspection,
        Activity::HeldByDeal,
        Activity::Unloading,
        Activity::Idle,
    ];

    /// Words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Activity::Driving => "driving",
            Activity::WaitingForPeople => "waiting for people to be ready",
            Activity::Boarding => "boarding",
            Activity::WaitingForWindow => "waiting for a corridor window",
            Activity::FormingConvoy => "waiting for a convoy to form",
            Activity::Queueing => "queueing for a checkpoint lane",
            Activity::Inspection => "checkpoint inspection",
            Activity::HeldByDeal => "held by a deal",
            Activity::Unloading => "unloading",
            Activity::Idle => "idle",
        }
    }

    /// A stable identifier for machine-readable output.
    pub fn id(self) -> &'static str {
        match self {
            Activity::Driving => "driving",
            Activity::WaitingForPeople => "waiting_for_people",
            Activity::Boarding => "boarding",
            Activity::WaitingForWindow => "waiting_for_window",
            Activity::FormingConvoy => "forming_convoy",
            Activity::Queueing => "queueing",
            Activity::Inspection => "inspection",
            Activity::HeldByDeal => "held_by_deal",
            Activity::Unloading => "unloading",
            Activity::Idle => "idle",
        }
    }

    /// Whether the time is spent waiting on something rather than moving people.
    pub fn is_wait(self) -> bool {
        !matches!(
            self,
            Activity::Driving | Activity::Boarding | Activity::Unloading | Activity::Inspection
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Seconds per activity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breakdown([Seconds; 10]);

impl Breakdown {
    /// Time spent on `a`.
    pub fn get(&self, a: Activity) -> Seconds {
        self.0[a.index()]
    }

    /// All activities together.
    pub fn total(&self) -> Seconds {
        self.0.iter().copied().fold(Seconds::ZERO, |a, b| a + b)
    }

    /// The share of the total spent on `a` (0 when nothing was recorded).
    pub fn share(&self, a: Activity) -> f64 {
        let total = self.total().0;
        if total <= 0 {
            0.0
        } else {
            self.get(a).0 as f64 / total as f64
        }
    }

    fn add(&mut self, a: Activity, t: Seconds) {
        if t.0 > 0 {
            self.0[a.index()] += t;
        }
    }

    fn absorb(&mut self, other: &Breakdown) {
        for (x, y) in self.0.iter_mut().zip(other.0) {
            *x += y;
        }
    }
}

/// How one corridor's checkpoint was used.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointUse {
    /// Which corridor.
    pub corridor: CorridorId,
    /// Vehicles that crossed.
    pub crossings: usize,
    /// Lane time spent inspecting (crossings × processing).
    pub busy: Seconds,
    /// Lane time on offer: open window time up to the last crossing, times the lanes.
    pub open: Seconds,
    /// Window time closed between the first queue entry and the last crossing.
    pub closed: Seconds,
    /// Vehicle time spent here: waiting for windows, convoys and lanes, and inspection.
    pub waits: Breakdown,
}

impl CheckpointUse {
    /// Share of the open lane time spent inspecting.
    pub fn utilisation(&self) -> f64 {
        if self.open.0 <= 0 {
            0.0
        } else {
            self.busy.0 as f64 / self.open.0 as f64
        }
    }
}

/// Where a plan's time goes.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeUse {
    /// Per vehicle with at least one trip, from the start of its shift to its last event.
    pub vehicles: Vec<(VehicleId, Breakdown)>,
    /// The whole fleet together.
    pub fleet: Breakdown,
    /// The vehicle whose unloading ends last, and its breakdown over its whole working day
    /// (the drive back to its depot included): where the time of the last arrival's vehicle went.
    pub critical: Option<(VehicleId, Breakdown)>,
    /// Per corridor with at least one crossing.
    pub checkpoints: Vec<CheckpointUse>,
    /// Per hub that received anyone.
    pub hubs: Vec<crate::HubUse>,
}

impl TimeUse {
    /// Reads the breakdown off `plan` (validate it first: times are trusted).
    pub fn of(s: &Scenario, plan: &Plan) -> TimeUse {
        let mut vehicles = Vec::new();
        let mut fleet = Breakdown::default();
        let mut critical: Option<(Seconds, VehicleId, Breakdown)> = None;
        let convoy_start = convoy_starts(plan);
        let mut at_checkpoint = vec![Breakdown::default(); s.corridors.len()];
        for route in &plan.routes {
            if route.trips.is_empty() {
                continue;
            }
            let v = route.vehicle;
            let vehicle = s.vehicle(v);
            let vt = s.vehicle_type_of(v);
            let mut b = Breakdown::default();
            let mut at = vehicle.depot;
            let mut t = vehicle.available_from.min(route.trips[0].departs);
            let mut last_unloaded = Seconds::ZERO;
            for trip in &route.trips {
                b.add(Activity::Idle, trip.departs - t);
                t = trip.departs;
                let mut on_board = People(0);
                for (i, stop) in trip.stops.iter().enumerate() {
                    let leg = s.travel_for(v, at, stop.site).unwrap_or_default();
                    b.add(Activity::Driving, leg.min(stop.arrives - t));
                    b.add(Activity::Idle, stop.arrives - t - leg);
                    b.add(
                        Activity::WaitingForPeople,
                        stop.loading_starts - stop.arrives,
                    );
                    let people: People =
                        stop.households.iter().map(|&h| s.household(h).people).sum();
                    on_board += people;
                    let boarding = vt.boarding(people);
                    b.add(
                        Activity::Boarding,
                        boarding.min(stop.departs - stop.loading_starts),
                    );
                    let held = stop.departs - stop.loading_starts - boarding;
                    // The last stop that boards anyone (empty stops passed on the
                    // way to the destination may follow it).
                    let last = trip.stops[i + 1..].iter().all(|x| x.households.is_empty());
                    let order_rule = s
                        .deals
                        .iter()
                        .any(|d| d.a_leaves_last && d.group_a.contains(&stop.site));
                    let why = if last && order_rule {
                        Activity::HeldByDeal
                    } else {
                        Activity::Idle
                    };
                    b.add(why, held);
                    at = stop.site;
                    t = stop.departs;
                }
                if let Some(c) = &trip.crossing {
                    let corridor = &s.corridors[c.corridor.index()];
                    let leg = s.travel_for(v, at, corridor.checkpoint).unwrap_or_default();
                    b.add(Activity::Driving, leg.min(c.queued - t));
                    b.add(Activity::Idle, c.queued - t - leg);
                    let opens = corridor
                        .windows
                        .iter()
                        .find(|w| w.start <= c.starts && c.starts <= w.end)
                        .map_or(c.queued, |w| w.start);
                    // Split the wait at the checkpoint: window, then convoy, then lane.
                    let window_open = c.queued.max(opens).min(c.starts);
                    let gathered = c
                        .convoy
                        .and_then(|id| convoy_start.iter().find(|(k, _)| *k == (c.corridor, id)))
                        .map_or(window_open, |(_, first)| {
                            (*first).clamp(window_open, c.starts)
                        });
                    let here = &mut at_checkpoint[c.corridor.index()];
                    for (what, t) in [
                        (Activity::WaitingForWindow, window_open - c.queued),
                        (Activity::FormingConvoy, gathered - window_open),
                        (Activity::Queueing, c.starts - gathered),
                        (Activity::Inspection, c.ends - c.starts),
                    ] {
                        b.add(what, t);
                        here.add(what, t);
                    }
                    at = corridor.checkpoint;
                    t = c.ends;
                }
                let leg = s.travel_for(v, at, trip.destination).unwrap_or_default();
                b.add(Activity::Driving, leg.min(trip.arrives - t));
                b.add(Activity::Idle, trip.arrives - t - leg);
                let unloading = vt.unloading(on_board);
                b.add(
                    Activity::Unloading,
                    unloading.min(trip.unloaded - trip.arrives),
                );
                let held = trip.unloaded - trip.arrives - unloading;
                let limited = s.deals.iter().any(|d| {
                    d.ratio.is_some() && trip.stops.iter().any(|st| d.group_a.contains(&st.site))
                });
                b.add(
                    if limited {
                        Activity::HeldByDeal
                    } else {
                        Activity::Idle
                    },
                    held,
                );
                at = trip.destination;
                t = trip.unloaded;
                if on_board.0 > 0 {
                    last_unloaded = last_unloaded.max(trip.unloaded);
                }
            }
            if let (Some(depot), Some(back)) = (vehicle.return_depot, route.returns_at) {
                let leg = s.travel_for(v, at, depot).unwrap_or_default();
                b.add(Activity::Driving, leg.min(back - t));
                b.add(Activity::Idle, back - t - leg);
            }
            fleet.absorb(&b);
            if critical.as_ref().is_none_or(|(t, _, _)| last_unloaded > *t) {
                critical = Some((last_unloaded, v, b));
            }
            vehicles.push((v, b));
        }
        TimeUse {
            vehicles,
            fleet,
            critical: critical.map(|(_, v, b)| (v, b)),
            checkpoints: checkpoint_use(s, plan, &at_checkpoint),
            hubs: crate::HubUse::of(s, plan),
        }
    }

    /// The fleet's largest wait, if any wait takes time at all.
    pub fn main_wait(&self) -> Option<Activity> {
        Activity::ALL
            .into_iter()
            .filter(|a| a.is_wait() && *a != Activity::Idle)
            .max_by_key(|a| self.fleet.get(*a))
            .filter(|a| self.fleet.get(*a).0 > 0)
    }
}

fn convoy_starts(plan: &Plan) -> Vec<((CorridorId, u32), Seconds)> {
    let mut out: Vec<((CorridorId, u32), Seconds)> = Vec::new();
    for (_, trip) in plan.trips() {
        if let Some(c) = &trip.crossing
            && let Some(id) = c.convoy
        {
            match out.iter_mut().find(|(k, _)| *k == (c.corridor, id)) {
                Some((_, t)) => *t = (*t).min(c.starts),
                None => out.push(((c.corridor, id), c.starts)),
            }
        }
    }
    out
}

fn checkpoint_use(s: &Scenario, plan: &Plan, waits: &[Breakdown]) -> Vec<CheckpointUse> {
    let crossings: Vec<(&Trip, CorridorId)> = plan
        .trips()
        .filter_map(|(_, t)| t.crossing.as_ref().map(|c| (t, c.corridor)))
        .collect();
    s.corridors
        .iter()
        .enumerate()
        .filter_map(|(i, corridor)| {
            let id = CorridorId(i as u32);
            let mine: Vec<_> = crossings
                .iter()
                .filter(|(_, c)| *c == id)
                .filter_map(|(t, _)| t.crossing.as_ref())
                .collect();
            let first = mine.iter().map(|c| c.queued).min()?;
            let last = mine.iter().map(|c| c.ends).max()?;
            let busy = mine
                .iter()
                .fold(Seconds::ZERO, |a, c| a + (c.ends - c.starts));
            let mut open = Seconds::ZERO;
            let mut closed = Seconds::ZERO;
            let mut cursor = first;
            for w in &corridor.windows {
                let (from, to) = (w.start.max(first), w.end.min(last));
                if from < to {
                    open += to - from;
                    closed += (from - cursor).max(Seconds::ZERO);
                    cursor = to;
                }
            }
            Some(CheckpointUse {
                corridor: id,
                crossings: mine.len(),
                busy,
                open: open.times(People(corridor.lanes)),
                closed,
                waits: waits[i],
            })
        })
        .collect()
}
