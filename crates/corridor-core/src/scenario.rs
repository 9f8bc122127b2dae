//! The planning problem's inputs, resolved: every reference is an index that exists.
//!
//! Builders (the scenario file reader, the generator, the BEP importer) check
//! references and values before they construct these types; code that receives a
//! [`Scenario`] may index its vectors with the ids it holds.

use crate::clock::Clock;
use crate::geo::LatLon;
use crate::units::{People, Seconds};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            /// The index into the scenario's vector.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index of a site in [`Scenario::sites`].
    SiteId
);
id_type!(
    /// Index of a household in [`Scenario::households`].
    HouseholdId
);
id_type!(
    /// Index of a vehicle in [`Scenario::vehicles`].
    VehicleId
);
id_type!(
    /// Index of a vehicle type in [`Scenario::vehicle_types`].
    VehicleTypeId
);
id_type!(
    /// Index of a corridor in [`Scenario::corridors`].
    CorridorId
);
id_type!(
    /// Index of a deal in [`Scenario::deals`].
    DealId
);

/// A place with a role in the operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// Unique name, as people call the place.
    pub name: String,
    /// What happens there.
    pub kind: SiteKind,
    /// Where it is.
    pub location: LatLon,
}

/// The role of a site.
#[derive(Clone, Debug, PartialEq)]
pub enum SiteKind {
    /// A gathering point inside the area being evacuated.
    Pickup,
    /// Where vehicles start (and may return).
    Depot,
    /// A reception centre or hospital.
    Destination(Destination),
    /// A corridor checkpoint that governed trips pass between pickup and destination.
    Checkpoint,
    /// A transfer point: households are unloaded from one vehicle, processed, and
    /// board another that takes them on to a destination.
    Hub(Hub),
}

impl SiteKind {
    /// The word the scenario file uses (`kind = "hub"`).
    pub const fn name(&self) -> &'static str {
        match self {
            SiteKind::Pickup => "pickup",
            SiteKind::Depot => "depot",
            SiteKind::Destination(_) => "destination",
            SiteKind::Checkpoint => "checkpoint",
            SiteKind::Hub(_) => "hub",
        }
    }
}

/// What a hub does with the people unloaded there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hub {
    /// People processed per hour (registration, screening), one household after
    /// another in the order they are unloaded; `None` = no processing.
    pub people_per_hour: Option<u32>,
}

impl Hub {
    /// How long processing `n` people takes, rounded up to the second.
    pub fn processing(&self, n: People) -> Seconds {
        match self.people_per_hour {
            Some(r) if r > 0 => {
                let r = i64::from(r);
                Seconds((i64::from(n.0) * 3600 + r - 1) / r)
            }
            _ => Seconds::ZERO,
        }
    }
}

/// What a destination accepts.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Destination {
    /// At most this many people may be delivered here; `None` is unlimited.
    pub capacity: Option<People>,
    /// A hospital accepts stretcher cases; a reception centre may not.
    pub accepts_stretcher_cases: bool,
    /// Places kept for households with stretcher cases, so that a medical
    /// shelter does not fill with people who do not need it. Builders set it
    /// only where stretcher cases are accepted, and never above the capacity.
    pub reserved: Reserved,
    /// When set, only households from these pickup sites may be delivered here
    /// (e.g. the two sides of an exchange go to different shelters).
    pub serves: Option<Vec<SiteId>>,
}

/// How many of a destination's places are kept for households with stretcher
/// cases. A household with at least one stretcher case counts whole, its
/// seated members too (families travel together): such households may take any
/// place, reserved or not; the others only the places that are not reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reserved {
    /// No place is kept: anyone the destination accepts may take any place.
    #[default]
    Nothing,
    /// Every place (`reserved_for = "stretcher_cases"`): only households with
    /// stretcher cases may go there, however many places it has.
    All,
    /// This many of its `capacity` places (`reserved_places = N`): households
    /// without stretcher cases take at most `capacity − N`.
    Places(People),
}

impl Destination {
    /// The most people of households without stretcher cases it may receive: its
    /// capacity less the reserved places (zero when all are); `None` is unlimited.
    pub fn general_places(&self) -> Option<People> {
        match self.reserved {
            Reserved::Nothing => self.capacity,
            Reserved::All => Some(People(0)),
            // Builders give a capacity with reserved places; without one, the
            // reservation has nothing to be taken from and limits nobody.
            Reserved::Places(n) => self.capacity.map(|c| People(c.0.saturating_sub(n.0))),
        }
    }

    /// The reservation in words, for reports: `None` when nothing is reserved.
    pub fn reservation(&self) -> Option<String> {
        match self.reserved {
            Reserved::Nothing => None,
            Reserved::All => Some("only for households with stretcher cases".into()),
            Reserved::Places(n) => Some(format!(
                "{n} {} reserved for households with stretcher cases",
                if n.0 == 1 { "place" } else { "places" }
            )),
        }
    }
}

/// Priority tier: 1 = critical medical, 2 = vulnerable, 3 = general.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tier(u8);

impl Tier {
    /// Critical medical.
    pub const CRITICAL: Tier = Tier(1);
    /// Vulnerable: children, elderly, families of the severely injured.
    pub const VULNERABLE: Tier = Tier(2);
    /// Everyone else.
    pub const GENERAL: Tier = Tier(3);
    /// All tiers, highest priority first.
    pub const ALL: [Tier; 3] = [Tier::CRITICAL, Tier::VULNERABLE, Tier::GENERAL];

    /// The tier numbered 1, 2 or 3; `None` for anything else.
    pub const fn new(n: u8) -> Option<Tier> {
        match n {
            1..=3 => Some(Tier(n)),
            _ => None,
        }
    }

    /// 1, 2 or 3.
    pub const fn number(self) -> u8 {
        self.0
    }

    /// Position in [`Tier::ALL`] (0, 1, 2).
    pub const fn index(self) -> usize {
        self.0 as usize - 1
    }

    /// Weight in the priority-weighted mean arrival time: 100 / 10 / 1.
    pub const fn weight(self) -> u32 {
        match self.0 {
            1 => 100,
            2 => 10,
            _ => 1,
        }
    }
}

/// The unit that is never split.
#[derive(Clone, Debug, PartialEq)]
pub struct Household {
    /// A pseudonymous reference (never a name): how the registry and the plan refer to it.
    pub reference: String,
    /// Where the household waits.
    pub site: SiteId,
    /// Everyone in the household, stretcher cases included.
    pub people: People,
    /// How many of them must lie down (only a stretcher slot will do).
    pub stretcher_cases: People,
    /// Priority tier.
    pub tier: Tier,
    /// When the household is at its site.
    pub ready: Seconds,
}

impl Household {
    /// People who take a seat: everyone but the stretcher cases.
    pub fn seated(&self) -> People {
        self.people - self.stretcher_cases
    }

    /// Whether anyone in it must lie down: then the whole household may take the
    /// places a destination reserves for stretcher cases.
    pub fn has_stretcher_cases(&self) -> bool {
        self.stretcher_cases.0 > 0
    }
}

/// What a kind of vehicle can carry and how fast it works.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleType {
    /// Unique name ("bus", "ambulance").
    pub name: String,
    /// Seats for people who can sit.
    pub seats: People,
    /// Slots for stretcher cases.
    pub stretchers: People,
    /// Time to board one person.
    pub boarding_per_person: Seconds,
    /// Fixed time at every stop (pickup or destination): doors, parking, paperwork.
    pub stop_time: Seconds,
    /// Time to unload one person.
    pub unloading_per_person: Seconds,
    /// Multiplies every travel time: 1.25 means this vehicle takes 25 % longer.
    pub travel_time_factor: f64,
}

impl VehicleType {
    /// This vehicle type's time for a leg that the matrix says takes `t`.
    ///
    /// Rounded to whole seconds, the same way everywhere, so that planner,
    /// validator and simulator agree to the second.
    pub fn travel(&self, t: Seconds) -> Seconds {
        if self.travel_time_factor == 1.0 {
            t
        } else {
            Seconds((t.0 as f64 * self.travel_time_factor).round() as i64)
        }
    }

    /// Fixed stop time plus boarding for `n` people.
    pub fn boarding(&self, n: People) -> Seconds {
        self.stop_time + self.boarding_per_person.times(n)
    }

    /// Fixed stop time plus unloading for `n` people.
    pub fn unloading(&self, n: People) -> Seconds {
        self.stop_time + self.unloading_per_person.times(n)
    }
}

/// One vehicle of the fleet.
#[derive(Clone, Debug, PartialEq)]
pub struct Vehicle {
    /// Unique name ("bus-07"), as drivers and the radio call it.
    pub name: String,
    /// Its type.
    pub vehicle_type: VehicleTypeId,
    /// Where it starts.
    pub depot: SiteId,
    /// It works only inside `[available_from, available_until]`.
    pub available_from: Seconds,
    /// End of its shift: the last event (unloading, or arrival at its return depot) is no later.
    pub available_until: Seconds,
    /// When set, the vehicle ends its shift there.
    pub return_depot: Option<SiteId>,
    /// When set, the only pickup sites, hubs and destinations where it may load
    /// or unload (city buses between the pickup sites and a hub, coaches from
    /// the hub to the shelters); `None` = anywhere.
    pub serves: Option<Vec<SiteId>>,
    /// A departure of a fixed line (a train): the vehicle makes at most one
    /// trip, loading at its depot (the line's station) and leaving it at this
    /// time for the destination its `serves` names. The planner fills it
    /// rather than routes it.
    pub timetable: Option<Seconds>,
}

/// A time interval `[start, end]` during which a corridor is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Opens.
    pub start: Seconds,
    /// Closes; a crossing must end by then.
    pub end: Seconds,
}

impl Window {
    /// Whether `[from, to]` lies inside the window.
    pub fn contains(&self, from: Seconds, to: Seconds) -> bool {
        self.start <= from && to <= self.end
    }
}

/// Vehicles cross the checkpoint together, escorted.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvoyRule {
    /// A convoy may leave as soon as it has this many vehicles...
    pub min_convoy: u32,
    /// ...or, with fewer, once this long has passed since its first vehicle arrived.
    pub max_wait: Seconds,
    /// At most this many convoys may leave in one window (escorts are scarce); `None` is unlimited.
    pub escorts_per_window: Option<u32>,
}

/// A checkpoint that every trip from a set of pickup sites must pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Corridor {
    /// Unique name.
    pub name: String,
    /// The checkpoint site (a site of kind [`SiteKind::Checkpoint`]).
    pub checkpoint: SiteId,
    /// Trips that load at any of these pickup sites pass the checkpoint before unloading.
    pub governs: Vec<SiteId>,
    /// Open windows, sorted and disjoint; outside them nothing crosses.
    pub windows: Vec<Window>,
    /// Vehicles processed at once.
    pub lanes: u32,
    /// Inspection time per vehicle.
    pub processing: Seconds,
    /// When set, vehicles cross in convoys.
    pub convoy: Option<ConvoyRule>,
}

impl Corridor {
    /// The open window containing `[from, to]`, if any.
    pub fn window_containing(&self, from: Seconds, to: Seconds) -> Option<usize> {
        self.windows.iter().position(|w| w.contains(from, to))
    }
}

/// A linked-evacuation deal between two groups of pickup sites.
#[derive(Clone, Debug, PartialEq)]
pub struct Deal {
    /// Unique name.
    pub name: String,
    /// Group A.
    pub group_a: Vec<SiteId>,
    /// Group B.
    pub group_b: Vec<SiteId>,
    /// When set, people delivered from A never exceed `ratio` × those from B + `slack`, at any instant.
    pub ratio: Option<f64>,
    /// The allowance of the ratio rule.
    pub slack: People,
    /// When true, the last departure from a site of A is no earlier than the last from B.
    pub a_leaves_last: bool,
}

impl Deal {
    /// The most people A may have delivered when B has delivered `b`.
    pub fn allowance(&self, b: People) -> Option<People> {
        // In floating point, clamped: a generous deal must not wrap around.
        self.ratio.map(|r| {
            let a = (r * f64::from(b.0)).floor() + f64::from(self.slack.0);
            People(a.clamp(0.0, f64::from(u32::MAX)) as u32)
        })
    }
}

/// Directed travel times between all sites, in seconds; `None` where a pair is unreachable.
#[derive(Clone, Debug, PartialEq)]
pub struct TravelMatrix {
    n: usize,
    times: Vec<Option<Seconds>>,
}

impl TravelMatrix {
    /// A matrix of `n` × `n` unreachable pairs, with zero on the diagonal.
    pub fn unreachable(n: usize) -> TravelMatrix {
        let mut m = TravelMatrix {
            n,
            times: vec![None; n * n],
        };
        for i in 0..n {
            m.times[i * n + i] = Some(Seconds::ZERO);
        }
        m
    }

    /// Builds a matrix from a function of (from, to).
    pub fn from_fn(n: usize, mut f: impl FnMut(usize, usize) -> Option<Seconds>) -> TravelMatrix {
        let mut times = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                times.push(f(i, j));
            }
        }
        TravelMatrix { n, times }
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the matrix has no sites.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Travel time from `a` to `b`, `None` when unreachable.
    pub fn get(&self, a: SiteId, b: SiteId) -> Option<Seconds> {
        self.times[a.index() * self.n + b.index()]
    }

    /// Sets the travel time from `a` to `b`.
    pub fn set(&mut self, a: SiteId, b: SiteId, t: Option<Seconds>) {
        self.times[a.index() * self.n + b.index()] = t;
    }

    /// Shortest and longest reachable travel times between distinct sites.
    pub fn range(&self) -> Option<(Seconds, Seconds)> {
        let mut out: Option<(Seconds, Seconds)> = None;
        for i in 0..self.n {
            for j in 0..self.n {
                if i == j {
                    continue;
                }
                if let Some(t) = self.times[i * self.n + j] {
                    out = Some(match out {
                        None => (t, t),
                        Some((lo, hi)) => (lo.min(t), hi.max(t)),
                    });
                }
            }
        }
        out
    }
}

/// What a plan minimises first, once it carries everyone it can (the other
/// comes second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Objective {
    /// The time the last person is unloaded at safety, then the weighted waits.
    #[default]
    Makespan,
    /// The priority-weighted time people wait between being ready and the start
    /// of their loading, then the makespan.
    Waiting,
}

impl Objective {
    /// The name users write (`--objective`, `objective = …`).
    pub const fn name(self) -> &'static str {
        match self {
            Objective::Makespan => "makespan",
            Objective::Waiting => "waiting",
        }
    }
}

/// What the scenario asks of its plans beyond the rules of movement (the
/// `[planning]` table): the objective, and per tier the longest a household may
/// wait from being ready to the start of its loading. A wait limit is a rule of
/// a valid plan: a household that cannot be reached in time is left behind with
/// that reason rather than picked up late, so that a coordinator sees the limit
/// cannot be kept instead of a plan that quietly breaks it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Planning {
    /// What the planner minimises first, unless told otherwise.
    pub objective: Objective,
    /// Index 0 = tier 1, as [`Tier::index`]; `None` = no limit.
    pub max_wait: [Option<Seconds>; 3],
}

impl Planning {
    /// The wait limit of a tier, if it has one.
    pub fn max_wait(&self, t: Tier) -> Option<Seconds> {
        self.max_wait[t.index()]
    }
}

/// Everything the planner, the validator and the simulator need to know.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// A title for reports.
    pub name: String,
    /// The start as a calendar instant, when the scenario gives one (for printing clock times).
    pub clock: Option<Clock>,
    /// Sites of every kind.
    pub sites: Vec<Site>,
    /// Households to evacuate.
    pub households: Vec<Household>,
    /// Kinds of vehicle.
    pub vehicle_types: Vec<VehicleType>,
    /// The fleet.
    pub vehicles: Vec<Vehicle>,
    /// Corridor checkpoints.
    pub corridors: Vec<Corridor>,
    /// Linked-evacuation deals.
    pub deals: Vec<Deal>,
    /// Travel times between sites (a vehicle type's factor still applies).
    pub travel: TravelMatrix,
    /// The objective and the wait limits (the `[planning]` table).
    pub planning: Planning,
}

impl Scenario {
    /// A site by id.
    pub fn site(&self, id: SiteId) -> &Site {
        &self.sites[id.index()]
    }

    /// A household by id.
    pub fn household(&self, id: HouseholdId) -> &Household {
        &self.households[id.index()]
    }

    /// A vehicle by id.
    pub fn vehicle(&self, id: VehicleId) -> &Vehicle {
        &self.vehicles[id.index()]
    }

    /// The type of a vehicle.
    pub fn vehicle_type_of(&self, id: VehicleId) -> &VehicleType {
        &self.vehicle_types[self.vehicle(id).vehicle_type.index()]
    }

    /// The destination rules of a site, if it is a destination.
    pub fn destination(&self, id: SiteId) -> Option<&Destination> {
        match &self.site(id).kind {
            SiteKind::Destination(d) => Some(d),
            _ => None,
        }
    }

    /// A time as people read it: a local date and time when the start is known, else `+1d 02:00:00`.
    pub fn show_time(&self, t: Seconds) -> String {
        match &self.clock {
            Some(c) => c.format(t),
            None => format!("+{t}"),
        }
    }

    /// A time to the second: the local date and time when the start is known, else `+1d 02:00:07`.
    pub fn show_time_precise(&self, t: Seconds) -> String {
        match &self.clock {
            Some(c) => c.format_seconds(t),
            None => format!("+{t}"),
        }
    }

    /// Travel time from `a` to `b` for vehicle `v` (its type's factor applied).
    pub fn travel_for(&self, v: VehicleId, a: SiteId, b: SiteId) -> Option<Seconds> {
        self.travel
            .get(a, b)
            .map(|t| self.vehicle_type_of(v).travel(t))
    }

    /// The corridor whose checkpoint governs trips from pickup site `s`, if any.
    pub fn corridor_governing(&self, s: SiteId) -> Option<CorridorId> {
        self.corridors
            .iter()
            .position(|c| c.governs.contains(&s))
            .map(|i| CorridorId(i as u32))
    }

    /// The processing rules of a site, if it is a hub.
    pub fn hub(&self, id: SiteId) -> Option<&Hub> {
        match &self.site(id).kind {
            SiteKind::Hub(h) => Some(h),
            _ => None,
        }
    }

    /// Whether the scenario has a hub (then households may travel in two legs).
    pub fn has_hubs(&self) -> bool {
        self.sites
            .iter()
            .any(|x| matches!(x.kind, SiteKind::Hub(_)))
    }

    /// Whether vehicle `v` may load or unload at `site` (its `serves`).
    pub fn vehicle_serves(&self, v: VehicleId, site: SiteId) -> bool {
        self.vehicle(v)
            .serves
            .as_ref()
            .is_none_or(|s| s.contains(&site))
    }

    /// Ids of all sites of a kind.
    pub fn sites_where(&self, pred: impl Fn(&SiteKind) -> bool) -> Vec<SiteId> {
        (0..self.sites.len() as u32)
            .map(SiteId)
            .filter(|&s| pred(&self.site(s).kind))
            .collect()
    }

    /// Whether destination `d` may receive household `h` (needs and `serves`).
    /// Capacity and reserved places are counts over a whole plan, not a
    /// property of one household: see [`Destination::general_places`].
    pub fn destination_accepts(&self, d: SiteId, h: &Household) -> bool {
        match self.destination(d) {
            None => false,
            Some(dest) => {
                (h.stretcher_cases.0 == 0 || dest.accepts_stretcher_cases)
                    && dest.serves.as_ref().is_none_or(|s| s.contains(&h.site))
            }
        }
    }

    /// Total people, by tier.
    pub fn people_by_tier(&self) -> [People; 3] {
        let mut out = [People(0); 3];
        for h in &self.households {
            out[h.tier.index()] += h.people;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_places_leave_the_rest_of_the_capacity_to_others() {
        let dest = |capacity: Option<u32>, reserved: Reserved| Destination {
            capacity: capacity.map(People),
            accepts_stretcher_cases: true,
            reserved,
            serves: None,
        };
        let general = |d: Destination| d.general_places().map(|p| p.0);
        assert_eq!(general(dest(Some(600), Reserved::Nothing)), Some(600));
        assert_eq!(general(dest(None, Reserved::Nothing)), None);
        assert_eq!(
            general(dest(Some(600), Reserved::Places(People(400)))),
            Some(200)
        );
        assert_eq!(
            general(dest(Some(600), Reserved::Places(People(600)))),
            Some(0)
        );
        assert_eq!(general(dest(Some(600), Reserved::All)), Some(0));
        assert_eq!(general(dest(None, Reserved::All)), Some(0));
        assert_eq!(dest(Some(600), Reserved::Nothing).reservation(), None);
        assert_eq!(
            dest(Some(600), Reserved::Places(People(1))).reservation(),
            Some("1 place reserved for households with stretcher cases".into())
        );
    }

    #[test]
    fn a_generous_deal_clamps_instead_of_wrapping() {
        let deal = |ratio: f64, slack: u32| Deal {
            name: "d".into(),
            group_a: vec![],
            group_b: vec![],
            ratio: Some(ratio),
            slack: People(slack),
            a_leaves_last: false,
        };
        assert_eq!(
            deal(1.0, u32::MAX).allowance(People(3)),
            Some(People(u32::MAX))
        );
        assert_eq!(deal(1e10, 1).allowance(People(5)), Some(People(u32::MAX)));
        assert_eq!(deal(14.0, 8000).allowance(People(100)), Some(People(9400)));
        assert_eq!(deal(0.5, 0).allowance(People(3)), Some(People(1)));
    }
}
