//! The rules, one function per family, each pushing [`Violation`]s.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use corridor_core::{
    HouseholdId, People, Plan, Reserved, Scenario, Seconds, SiteId, SiteKind, Trip, VehicleId,
};

/// A rule of a valid plan. The kebab-case [`Rule::id`] is stable: scripts may match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A vehicle appears in more than one route.
    VehicleListedTwice,
    /// A household is neither carried nor listed as uncarried.
    HouseholdMissing,
    /// A household is carried more than once, or carried and listed as uncarried.
    HouseholdTwice,
    /// A household unloaded at a hub is neither taken on nor listed as uncarried.
    LeftAtHub,
    /// A household boards at a site other than its own.
    WrongPickupSite,
    /// A stop is at a site that is not a pickup site.
    NotAPickupSite,
    /// A trip unloads at a site that is not a destination.
    NotADestination,
    /// A vehicle loads or unloads at a site its `serves` does not list.
    VehicleDoesNotServe,
    /// A trip loads nobody: every trip visits at least one pickup site.
    TripWithoutPickup,
    /// A household boards before its ready time.
    LoadedBeforeReady,
    /// A household waits longer than its tier's `max_wait` for loading to start.
    MaxWaitExceeded,
    /// A household boards onward from a hub before the hub has processed it.
    BoardedBeforeProcessed,
    /// More seated people on board than seats.
    SeatsExceeded,
    /// More stretcher cases on board than stretcher slots.
    StretcherSlotsExceeded,
    /// Stretcher cases delivered to a destination that does not accept them.
    StretcherNotAccepted,
    /// A household delivered to a destination that does not serve its site.
    DestinationNotServing,
    /// More people delivered to a destination than its capacity.
    DestinationCapacity,
    /// More people of households without stretcher cases delivered to a
    /// destination than the places it does not reserve for stretcher cases.
    ReservedPlaces,
    /// A vehicle works outside its shift.
    OutsideShift,
    /// A fixed line's departure does not keep its timetable (one trip, leaving at its time).
    OffTimetable,
    /// A leg between two sites that the travel times say is unreachable.
    UnreachableLeg,
    /// An arrival sooner than the travel time allows.
    TravelTooFast,
    /// A departure sooner than the stop time and boarding allow.
    BoardingTooShort,
    /// Unloading finished sooner than the stop time and unloading allow.
    UnloadingTooShort,
    /// Events out of order (loading before arrival, a trip before the last one ended, ...).
    EventsOutOfOrder,
    /// A vehicle with a return depot does not return, or one without returns.
    ReturnMissing,
    /// A trip from a governed site does not cross its corridor's checkpoint.
    CrossingMissing,
    /// A trip crosses a corridor that governs none of its pickup sites.
    CrossingNotRequired,
    /// A trip loads at sites governed by two different corridors.
    TwoCorridors,
    /// A crossing outside the corridor's open windows.
    CrossingOutsideWindow,
    /// A crossing shorter than the checkpoint's processing time.
    CrossingTooShort,
    /// More vehicles crossing at once than the checkpoint has lanes.
    LanesExceeded,
    /// A crossing without a convoy where the corridor requires convoys.
    ConvoyMissing,
    /// A convoy smaller than `min_convoy` that left before `max_wait` had passed.
    ConvoyTooSmall,
    /// A convoy's vehicles do not leave the checkpoint together.
    ConvoyNotTogether,
    /// More convoys in one window than there are escorts.
    EscortsExceeded,
    /// A linked-evacuation deal's ratio is exceeded at some instant.
    DealRatio,
    /// A deal's ordering rule (group A leaves last) is broken.
    DealOrder,
}

impl Rule {
    /// Every rule, in the order of `problem.md`.
    pub const ALL: [Rule; 38] = [
        Rule::VehicleListedTwice,
        Rule::HouseholdMissing,
        Rule::HouseholdTwice,
        Rule::LeftAtHub,
        Rule::WrongPickupSite,
        Rule::NotAPickupSite,
        Rule::NotADestination,
        Rule::VehicleDoesNotServe,
        Rule::TripWithoutPickup,
        Rule::LoadedBeforeReady,
        Rule::MaxWaitExceeded,
        Rule::BoardedBeforeProcessed,
        Rule::SeatsExceeded,
        Rule::StretcherSlotsExceeded,
        Rule::StretcherNotAccepted,
        Rule::DestinationNotServing,
        Rule::DestinationCapacity,
        Rule::ReservedPlaces,
        Rule::OutsideShift,
        Rule::OffTimetable,
        Rule::UnreachableLeg,
        Rule::TravelTooFast,
        Rule::BoardingTooShort,
        Rule::UnloadingTooShort,
        Rule::EventsOutOfOrder,
        Rule::ReturnMissing,
        Rule::CrossingMissing,
        Rule::CrossingNotRequired,
        Rule::TwoCorridors,
        Rule::CrossingOutsideWindow,
        Rule::CrossingTooShort,
        Rule::LanesExceeded,
        Rule::ConvoyMissing,
        Rule::ConvoyTooSmall,
        Rule::ConvoyNotTogether,
        Rule::EscortsExceeded,
        Rule::DealRatio,
        Rule::DealOrder,
    ];

    /// The stable kebab-case name.
    pub fn id(self) -> &'static str {
        match self {
            Rule::VehicleListedTwice => "vehicle-listed-twice",
            Rule::HouseholdMissing => "household-missing",
            Rule::HouseholdTwice => "household-carried-twice",
            Rule::LeftAtHub => "left-at-hub",
            Rule::WrongPickupSite => "wrong-pickup-site",
            Rule::NotAPickupSite => "not-a-pickup-site",
            Rule::NotADestination => "not-a-destination",
            Rule::VehicleDoesNotServe => "vehicle-does-not-serve",
            Rule::TripWithoutPickup => "trip-without-pickup",
            Rule::LoadedBeforeReady => "loaded-before-ready",
            Rule::MaxWaitExceeded => "max-wait-exceeded",
            Rule::BoardedBeforeProcessed => "boarded-before-processed",
            Rule::SeatsExceeded => "seats-exceeded",
            Rule::StretcherSlotsExceeded => "stretcher-slots-exceeded",
            Rule::StretcherNotAccepted => "stretcher-not-accepted",
            Rule::DestinationNotServing => "destination-not-serving",
            Rule::DestinationCapacity => "destination-capacity",
            Rule::ReservedPlaces => "reserved-places",
            Rule::OutsideShift => "outside-shift",
            Rule::OffTimetable => "off-timetable",
            Rule::UnreachableLeg => "unreachable-leg",
            Rule::TravelTooFast => "travel-too-fast",
            Rule::BoardingTooShort => "boarding-too-short",
            Rule::UnloadingTooShort => "unloading-too-short",
            Rule::EventsOutOfOrder => "events-out-of-order",
            Rule::ReturnMissing => "return-missing",
            Rule::CrossingMissing => "crossing-missing",
            Rule::CrossingNotRequired => "crossing-not-required",
            Rule::TwoCorridors => "two-corridors",
            Rule::CrossingOutsideWindow => "crossing-outside-window",
            Rule::CrossingTooShort => "crossing-too-short",
            Rule::LanesExceeded => "lanes-exceeded",
            Rule::ConvoyMissing => "convoy-missing",
            Rule::ConvoyTooSmall => "convoy-too-small",
            Rule::ConvoyNotTogether => "convoy-not-together",
            Rule::EscortsExceeded => "escorts-exceeded",
            Rule::DealRatio => "deal-ratio",
            Rule::DealOrder => "deal-order",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One broken rule, located as precisely as the rule allows.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Which rule.
    pub rule: Rule,
    /// The vehicle involved, if one.
    pub vehicle: Option<VehicleId>,
    /// The trip (0-based, in the vehicle's order), if one.
    pub trip: Option<usize>,
    /// The household involved, if one.
    pub household: Option<HouseholdId>,
    /// When it happens, if at one time.
    pub time: Option<Seconds>,
    /// What is wrong, with names and numbers.
    pub message: String,
}

impl Violation {
    fn new(rule: Rule, message: impl Into<String>) -> Violation {
        Violation {
            rule,
            vehicle: None,
            trip: None,
            household: None,
            time: None,
            message: message.into(),
        }
    }
    fn vehicle(mut self, v: VehicleId) -> Violation {
        self.vehicle = Some(v);
        self
    }
    fn trip(mut self, v: VehicleId, t: usize) -> Violation {
        self.vehicle = Some(v);
        self.trip = Some(t);
        self
    }
    fn household(mut self, h: HouseholdId) -> Violation {
        self.household = Some(h);
        self
    }
    fn at(mut self, t: Seconds) -> Violation {
        self.time = Some(t);
        self
    }
}

/// Checks every rule; an empty list means the plan is valid.
pub fn check(scenario: &Scenario, plan: &Plan) -> Vec<Violation> {
    let mut c = Checker {
        s: scenario,
        out: Vec::new(),
    };
    c.households(plan);
    for route in &plan.routes {
        c.route(route.vehicle, &route.trips, route.returns_at);
    }
    c.vehicles_once(plan);
    c.destinations(plan);
    c.corridors(plan);
    c.deals(plan);
    c.out
}

/// One leg of a household's journey: boarding one vehicle, to its unloading.
#[derive(Clone, Copy)]
struct Leg {
    vehicle: VehicleId,
    trip: usize,
    boards_at: SiteId,
    loading: Seconds,
    to: SiteId,
}

struct Checker<'a> {
    s: &'a Scenario,
    out: Vec<Violation>,
}

impl Checker<'_> {
    fn push(&mut self, v: Violation) {
        self.out.push(v);
    }

    fn vname(&self, v: VehicleId) -> &str {
        &self.s.vehicle(v).name
    }

    fn site(&self, s: SiteId) -> &str {
        &self.s.site(s).name
    }

    fn href(&self, h: HouseholdId) -> &str {
        &self.s.household(h).reference
    }

    fn when(&self, t: Seconds) -> String {
        format!("{} (t = {} s)", self.s.show_time_precise(t), t.0)
    }

    fn vehicles_once(&mut self, plan: &Plan) {
        let mut seen = vec![false; self.s.vehicles.len()];
        for r in &plan.routes {
            if std::mem::replace(&mut seen[r.vehicle.index()], true) {
                let m = format!(
                    "vehicle `{}` has more than one route; give it one route with all its trips",
                    self.vname(r.vehicle)
                );
                self.push(Violation::new(Rule::VehicleListedTwice, m).vehicle(r.vehicle));
            }
        }
    }

    /// Each household is carried once: one leg from its own site, and where a
    /// leg ends at a hub, one more from that hub after its processing, until a
    /// destination; or it is listed as uncarried (possibly after reaching a hub).
    fn households(&mut self, plan: &Plan) {
        let n = self.s.households.len();
        let mut legs: Vec<Vec<Leg>> = vec![Vec::new(); n];
        for r in &plan.routes {
            for (ti, trip) in r.trips.iter().enumerate() {
                for stop in &trip.stops {
                    for &h in &stop.households {
                        legs[h.index()].push(Leg {
                            vehicle: r.vehicle,
                            trip: ti,
                            boards_at: stop.site,
                            loading: stop.loading_starts,
                            to: trip.destination,
                        });
                    }
                }
            }
        }
        let processed: HashMap<(HouseholdId, VehicleId, usize), Seconds> =
            corridor_core::transfers(self.s, plan)
                .into_iter()
                .map(|t| {
                    (
                        (t.arrival.household, t.arrival.vehicle, t.arrival.trip),
                        t.processed,
                    )
                })
                .collect();
        let mut listed = vec![false; n];
        for u in &plan.uncarried {
            let h = u.household;
            if listed[h.index()] {
                let m = format!("household `{}` is listed as uncarried twice", self.href(h));
                self.push(Violation::new(Rule::HouseholdTwice, m).household(h));
            }
            listed[h.index()] = true;
        }
        for (i, legs) in legs.iter_mut().enumerate() {
            let h = HouseholdId(i as u32);
            legs.sort_by_key(|l| l.loading);
            let at_hub = legs.last().is_some_and(|l| self.s.hub(l.to).is_some());
            if legs.is_empty() && !listed[i] {
                let m = format!(
                    "household `{}` ({} people at `{}`) is neither carried nor listed as uncarried with a reason",
                    self.href(h),
                    self.s.household(h).people,
                    self.site(self.s.household(h).site)
                );
                self.push(Violation::new(Rule::HouseholdMissing, m).household(h));
            } else if !legs.is_empty() && listed[i] && !at_hub {
                let m = format!(
                    "household `{}` is carried but also listed as uncarried",
                    self.href(h)
                );
                self.push(Violation::new(Rule::HouseholdTwice, m).household(h));
            } else if at_hub
                && !listed[i]
                && let Some(last) = legs.last()
            {
                let m = format!(
                    "household `{}` is unloaded at hub `{}` by `{}` and never taken on: carry it on to a destination, or list it as uncarried with a reason",
                    self.href(h),
                    self.site(last.to),
                    self.vname(last.vehicle)
                );
                self.push(
                    Violation::new(Rule::LeftAtHub, m)
                        .trip(last.vehicle, last.trip)
                        .household(h),
                );
            }
            if let Some(first) = legs.first()
                && self.s.hub(first.boards_at).is_some()
            {
                let m = format!(
                    "household `{}` boards at hub `{}`, where no vehicle unloaded it before",
                    self.href(h),
                    self.site(first.boards_at)
                );
                self.push(
                    Violation::new(Rule::WrongPickupSite, m)
                        .trip(first.vehicle, first.trip)
                        .household(h)
                        .at(first.loading),
                );
            }
            for k in 1..legs.len() {
                let (prev, next) = (legs[k - 1], legs[k]);
                let here = |x: Violation| x.trip(next.vehicle, next.trip).household(h);
                if self.s.hub(prev.to).is_none() {
                    let m = format!(
                        "household `{}` is carried again by `{}` after `{}` delivered it to `{}`",
                        self.href(h),
                        self.vname(next.vehicle),
                        self.vname(prev.vehicle),
                        self.site(prev.to)
                    );
                    self.push(here(Violation::new(Rule::HouseholdTwice, m)));
                } else if next.boards_at != prev.to {
                    let m = format!(
                        "household `{}` is unloaded at hub `{}` but boards next at `{}`",
                        self.href(h),
                        self.site(prev.to),
                        self.site(next.boards_at)
                    );
                    self.push(here(Violation::new(Rule::WrongPickupSite, m)));
                } else if let Some(&done) = processed.get(&(h, prev.vehicle, prev.trip))
                    && next.loading < done
                {
                    let m = format!(
                        "household `{}` boards `{}` at hub `{}` from {}, before the hub has processed it at {}",
                        self.href(h),
                        self.vname(next.vehicle),
                        self.site(prev.to),
                        self.when(next.loading),
                        self.when(done)
                    );
                    self.push(here(
                        Violation::new(Rule::BoardedBeforeProcessed, m).at(next.loading),
                    ));
                }
            }
        }
    }

    /// One vehicle's trips: positions, capacities, timing, shift.
    fn route(&mut self, v: VehicleId, trips: &[Trip], returns_at: Option<Seconds>) {
        let vehicle = self.s.vehicle(v).clone();
        let vt = self.s.vehicle_type_of(v).clone();
        if let Some(at) = vehicle.timetable {
            if trips.len() > 1 {
                let m = format!(
                    "`{}` is a departure of a fixed line and makes one trip, not {}",
                    vehicle.name,
                    trips.len()
                );
                self.push(Violation::new(Rule::OffTimetable, m).trip(v, 1));
            }
            for (ti, trip) in trips.iter().enumerate() {
                if let Some(last) = trip.stops.last()
                    && last.departs != at
                {
                    let m = format!(
                        "`{}` leaves `{}` at {}; its timetable says {}",
                        vehicle.name,
                        self.site(last.site),
                        self.when(last.departs),
                        self.when(at)
                    );
                    self.push(
                        Violation::new(Rule::OffTimetable, m)
                            .trip(v, ti)
                            .at(last.departs),
                    );
                }
            }
        }
        let mut at = vehicle.depot;
        let mut free = vehicle.available_from;
        let mut last_event = vehicle.available_from;
        if let Some(first) = trips.first()
            && first.departs < vehicle.available_from
        {
            let m = format!(
                "`{}` leaves at {}, before its shift starts at {}",
                vehicle.name,
                self.when(first.departs),
                self.when(vehicle.available_from)
            );
            self.push(
                Violation::new(Rule::OutsideShift, m)
                    .trip(v, 0)
                    .at(first.departs),
            );
        }
        for (ti, trip) in trips.iter().enumerate() {
            let here = |x: Violation| x.trip(v, ti);
            if ti > 0 && trip.departs < free {
                let m = format!(
                    "trip {} of `{}` leaves at {}, before the vehicle is free at {}",
                    ti + 1,
                    vehicle.name,
                    self.when(trip.departs),
                    self.when(free)
                );
                self.push(here(
                    Violation::new(Rule::EventsOutOfOrder, m).at(trip.departs),
                ));
            }
            if trip.stops.is_empty() {
                let m = format!(
                    "trip {} of `{}` visits no pickup site",
                    ti + 1,
                    vehicle.name
                );
                self.push(here(Violation::new(Rule::TripWithoutPickup, m)));
            }
            let mut clock = trip.departs;
            let (mut seated, mut stretcher) = (People(0), People(0));
            for stop in &trip.stops {
                self.leg(v, ti, at, stop.site, clock, stop.arrives);
                at = stop.site;
                let at_hub = self.s.hub(stop.site).is_some();
                if !matches!(
                    self.s.site(stop.site).kind,
                    SiteKind::Pickup | SiteKind::Hub(_)
                ) {
                    let m = format!(
                        "trip {} of `{}` stops at `{}`, which is neither a pickup site nor a hub",
                        ti + 1,
                        vehicle.name,
                        self.site(stop.site)
                    );
                    self.push(here(Violation::new(Rule::NotAPickupSite, m)));
                }
                if stop.loading_starts < stop.arrives {
                    let m = format!(
                        "loading at `{}` starts at {}, before `{}` arrives at {}",
                        self.site(stop.site),
                        self.when(stop.loading_starts),
                        vehicle.name,
                        self.when(stop.arrives)
                    );
                    self.push(here(
                        Violation::new(Rule::EventsOutOfOrder, m).at(stop.loading_starts),
                    ));
                }
                if !self.s.vehicle_serves(v, stop.site) {
                    let m = format!(
                        "`{}` stops at `{}`, which its `serves` does not list",
                        vehicle.name,
                        self.site(stop.site)
                    );
                    self.push(here(
                        Violation::new(Rule::VehicleDoesNotServe, m).at(stop.loading_starts),
                    ));
                }
                let mut boarding = People(0);
                for &h in &stop.households {
                    let hh = self.s.household(h);
                    if at_hub {
                        // An onward leg: the chain of legs is checked per household.
                        boarding += hh.people;
                        seated += hh.seated();
                        stretcher += hh.stretcher_cases;
                        continue;
                    }
                    if hh.site != stop.site {
                        let m = format!(
                            "household `{}` waits at `{}` but boards at `{}`",
                            hh.reference,
                            self.site(hh.site),
                            self.site(stop.site)
                        );
                        self.push(here(Violation::new(Rule::WrongPickupSite, m).household(h)));
                    }
                    if stop.loading_starts < hh.ready {
                        let m = format!(
                            "household `{}` boards from {}, before it is ready at {}",
                            hh.reference,
                            self.when(stop.loading_starts),
                            self.when(hh.ready)
                        );
                        self.push(here(
                            Violation::new(Rule::LoadedBeforeReady, m)
                                .household(h)
                                .at(stop.loading_starts),
                        ));
                    }
                    if let Some(limit) = self.s.planning.max_wait(hh.tier)
                        && stop.loading_starts - hh.ready > limit
                    {
                        let m = format!(
                            "household `{}` (tier {}) waits {} for loading, from {} to {}: longer than its tier's max_wait of {}",
                            hh.reference,
                            hh.tier.number(),
                            span(stop.loading_starts - hh.ready),
                            self.when(hh.ready),
                            self.when(stop.loading_starts),
                            span(limit)
                        );
                        self.push(here(
                            Violation::new(Rule::MaxWaitExceeded, m)
                                .household(h)
                                .at(stop.loading_starts),
                        ));
                    }
                    boarding += hh.people;
                    seated += hh.seated();
                    stretcher += hh.stretcher_cases;
                }
                let need = stop.loading_starts + vt.boarding(boarding);
                if stop.departs < need {
                    let m = format!(
                        "`{}` leaves `{}` at {}, but the stop time and boarding {} people take until {}",
                        vehicle.name,
                        self.site(stop.site),
                        self.when(stop.departs),
                        boarding,
                        self.when(need)
                    );
                    self.push(here(
                        Violation::new(Rule::BoardingTooShort, m).at(stop.departs),
                    ));
                }
                if seated > vt.seats {
                    let m = format!(
                        "`{}` has {} seated people on board leaving `{}`, but {} seats",
                        vehicle.name,
                        seated,
                        self.site(stop.site),
                        vt.seats
                    );
                    self.push(here(
                        Violation::new(Rule::SeatsExceeded, m).at(stop.departs),
                    ));
                }
                if stretcher > vt.stretchers {
                    let m = format!(
                        "`{}` has {} stretcher cases on board leaving `{}`, but {} stretcher slots",
                        vehicle.name,
                        stretcher,
                        self.site(stop.site),
                        vt.stretchers
                    );
                    self.push(here(
                        Violation::new(Rule::StretcherSlotsExceeded, m).at(stop.departs),
                    ));
                }
                clock = stop.departs;
            }
            if let Some(c) = &trip.crossing {
                let cp = self
                    .s
                    .corridors
                    .get(c.corridor.index())
                    .map(|k| k.checkpoint);
                if let Some(cp) = cp {
                    self.leg(v, ti, at, cp, clock, c.queued);
                    at = cp;
                }
                if c.starts < c.queued || c.ends < c.starts {
                    let m = format!(
                        "`{}`'s crossing events are out of order (queued {}, starts {}, ends {})",
                        vehicle.name,
                        self.when(c.queued),
                        self.when(c.starts),
                        self.when(c.ends)
                    );
                    self.push(here(Violation::new(Rule::EventsOutOfOrder, m).at(c.starts)));
                }
                clock = c.ends;
            }
            self.leg(v, ti, at, trip.destination, clock, trip.arrives);
            at = trip.destination;
            let dest_ok = self.s.destination(trip.destination).is_some();
            if !dest_ok && self.s.hub(trip.destination).is_none() {
                let m = format!(
                    "trip {} of `{}` unloads at `{}`, which is neither a destination nor a hub",
                    ti + 1,
                    vehicle.name,
                    self.site(trip.destination)
                );
                self.push(here(Violation::new(Rule::NotADestination, m)));
            }
            if !self.s.vehicle_serves(v, trip.destination) {
                let m = format!(
                    "`{}` unloads at `{}`, which its `serves` does not list",
                    vehicle.name,
                    self.site(trip.destination)
                );
                self.push(here(
                    Violation::new(Rule::VehicleDoesNotServe, m).at(trip.unloaded),
                ));
            }
            let on_board: People = trip.households().map(|h| self.s.household(h).people).sum();
            let need = trip.arrives + vt.unloading(on_board);
            if trip.unloaded < need {
                let m = format!(
                    "`{}` finishes unloading at `{}` at {}, but the stop time and unloading {} people take until {}",
                    vehicle.name,
                    self.site(trip.destination),
                    self.when(trip.unloaded),
                    on_board,
                    self.when(need)
                );
                self.push(here(
                    Violation::new(Rule::UnloadingTooShort, m).at(trip.unloaded),
                ));
            }
            if dest_ok {
                for h in trip.households() {
                    let hh = self.s.household(h);
                    let d = self
                        .s
                        .destination(trip.destination)
                        .cloned()
                        .unwrap_or_default();
                    if hh.stretcher_cases.0 > 0 && !d.accepts_stretcher_cases {
                        let m = format!(
                            "household `{}` has {} stretcher cases but `{}` does not accept stretcher cases",
                            hh.reference,
                            hh.stretcher_cases,
                            self.site(trip.destination)
                        );
                        self.push(here(
                            Violation::new(Rule::StretcherNotAccepted, m).household(h),
                        ));
                    }
                    if d.serves.as_ref().is_some_and(|s| !s.contains(&hh.site)) {
                        let m = format!(
                            "`{}` does not receive households from `{}` (household `{}`)",
                            self.site(trip.destination),
                            self.site(hh.site),
                            hh.reference
                        );
                        self.push(here(
                            Violation::new(Rule::DestinationNotServing, m).household(h),
                        ));
                    }
                }
            }
            free = trip.unloaded;
            last_event = trip.unloaded;
        }
        match (vehicle.return_depot, returns_at, trips.is_empty()) {
            (Some(depot), Some(r), false) => {
                let ti = trips.len() - 1;
                self.leg(v, ti, at, depot, free, r);
                last_event = r;
            }
            (Some(depot), None, false) => {
                let m = format!(
                    "`{}` must end its shift at `{}`, but the plan has no return",
                    vehicle.name,
                    self.site(depot)
                );
                self.push(Violation::new(Rule::ReturnMissing, m).vehicle(v));
            }
            (None, Some(_), _) => {
                let m = format!(
                    "the plan returns `{}` to a depot, but the vehicle has no return depot",
                    vehicle.name
                );
                self.push(Violation::new(Rule::ReturnMissing, m).vehicle(v));
            }
            (Some(_), Some(_), true) => {
                let m = format!(
                    "the plan returns `{}` to its depot, but gives it no trips",
                    vehicle.name
                );
                self.push(Violation::new(Rule::ReturnMissing, m).vehicle(v));
            }
            _ => {}
        }
        if !trips.is_empty() && last_event > vehicle.available_until {
            let m = format!(
                "`{}` works until {}, after its shift ends at {}",
                vehicle.name,
                self.when(last_event),
                self.when(vehicle.available_until)
            );
            self.push(
                Violation::new(Rule::OutsideShift, m)
                    .vehicle(v)
                    .at(last_event),
            );
        }
    }

    /// A leg from `a` (left at `left`) to `b` (reached at `arrived`).
    fn leg(
        &mut self,
        v: VehicleId,
        ti: usize,
        a: SiteId,
        b: SiteId,
        left: Seconds,
        arrived: Seconds,
    ) {
        match self.s.travel_for(v, a, b) {
            None => {
                let m = format!(
                    "`{}` drives from `{}` to `{}`, which the travel times say is unreachable",
                    self.vname(v),
                    self.site(a),
                    self.site(b)
                );
                self.push(Violation::new(Rule::UnreachableLeg, m).trip(v, ti).at(left));
            }
            Some(t) if arrived < left + t => {
                let m = format!(
                    "`{}` reaches `{}` at {}, but leaving `{}` at {} it needs {} and cannot arrive before {}",
                    self.vname(v),
                    self.site(b),
                    self.when(arrived),
                    self.site(a),
                    self.when(left),
                    t,
                    self.when(left + t)
                );
                self.push(
                    Violation::new(Rule::TravelTooFast, m)
                        .trip(v, ti)
                        .at(arrived),
                );
            }
            Some(_) => {}
        }
    }

    fn destinations(&mut self, plan: &Plan) {
        let mut load: BTreeMap<SiteId, People> = BTreeMap::new();
        for (_, t) in plan.trips() {
            let p: People = t.households().map(|h| self.s.household(h).people).sum();
            *load.entry(t.destination).or_default() += p;
        }
        for (site, people) in load {
            if let Some(cap) = self.s.destination(site).and_then(|d| d.capacity)
                && people > cap
            {
                let m = format!(
                    "{} people are delivered to `{}`, whose capacity is {}",
                    people,
                    self.site(site),
                    cap
                );
                self.push(Violation::new(Rule::DestinationCapacity, m));
            }
        }
        self.reserved_places(plan);
    }

    /// Households without stretcher cases take no more of a destination than
    /// the places it does not reserve for stretcher cases. The violation names
    /// the household whose unloading first goes over (in the order of
    /// unloading), with its vehicle, trip and time.
    fn reserved_places(&mut self, plan: &Plan) {
        // Per destination: (unloaded, vehicle, trip, household) of households without stretcher cases.
        let mut others: BTreeMap<SiteId, Vec<(Seconds, VehicleId, usize, HouseholdId)>> =
            BTreeMap::new();
        for route in &plan.routes {
            for (ti, t) in route.trips.iter().enumerate() {
                for h in t.households() {
                    if !self.s.household(h).has_stretcher_cases() {
                        others.entry(t.destination).or_default().push((
                            t.unloaded,
                            route.vehicle,
                            ti,
                            h,
                        ));
                    }
                }
            }
        }
        for (site, mut deliveries) in others {
            let Some(d) = self.s.destination(site) else {
                continue;
            };
            let Some(open) = d.general_places() else {
                continue;
            };
            let kept = match (d.reserved, d.capacity) {
                (Reserved::Nothing, _) => continue,
                (Reserved::Places(n), Some(c)) => format!(
                    "reserves {n} of its {c} places for households with stretcher cases, leaving {open} to others"
                ),
                _ => "reserves all its places for households with stretcher cases".to_string(),
            };
            deliveries.sort();
            let total: People = deliveries
                .iter()
                .map(|x| self.s.household(x.3).people)
                .sum();
            if total <= open {
                continue;
            }
            let mut sum = People(0);
            let Some(&(t, v, ti, h)) = deliveries.iter().find(|x| {
                sum += self.s.household(x.3).people;
                sum > open
            }) else {
                continue;
            };
            let people = self.s.household(h).people;
            let m = format!(
                "`{}` {kept}, but {total} people of households without stretcher cases are delivered there; household `{}` ({people} {}, unloaded by `{}` at {}) is the first {}",
                self.site(site),
                self.href(h),
                if people.0 == 1 { "person" } else { "people" },
                self.vname(v),
                self.when(t),
                if open.0 == 0 {
                    "of them".to_string()
                } else {
                    format!("beyond {open}")
                }
            );
            self.push(
                Violation::new(Rule::ReservedPlaces, m)
                    .trip(v, ti)
                    .household(h)
                    .at(t),
            );
        }
    }

    fn corridors(&mut self, plan: &Plan) {
        // Which crossing each trip needs.
        for route in &plan.routes {
            let v = route.vehicle;
            for (ti, trip) in route.trips.iter().enumerate() {
                let mut needed: Vec<usize> = trip
                    .stops
                    .iter()
                    .filter_map(|s| self.s.corridor_governing(s.site).map(|c| c.index()))
                    .collect();
                needed.sort_unstable();
                needed.dedup();
                if needed.len() > 1 {
                    let names: Vec<&str> = needed
                        .iter()
                        .map(|&c| self.s.corridors[c].name.as_str())
                        .collect();
                    let m = format!(
                        "trip {} of `{}` loads at sites governed by different corridors ({})",
                        ti + 1,
                        self.vname(v),
                        names.join(", ")
                    );
                    self.push(Violation::new(Rule::TwoCorridors, m).trip(v, ti));
                }
                match (&trip.crossing, needed.first()) {
                    (None, Some(&c)) => {
                        let m = format!(
                            "trip {} of `{}` loads at a site governed by corridor `{}` but does not cross its checkpoint",
                            ti + 1,
                            self.vname(v),
                            self.s.corridors[c].name
                        );
                        self.push(Violation::new(Rule::CrossingMissing, m).trip(v, ti));
                    }
                    (Some(x), _) if !needed.contains(&x.corridor.index()) => {
                        let m = format!(
                            "trip {} of `{}` crosses corridor `{}`, which governs none of its pickup sites",
                            ti + 1,
                            self.vname(v),
                            self.s.corridors[x.corridor.index()].name
                        );
                        self.push(Violation::new(Rule::CrossingNotRequired, m).trip(v, ti));
                    }
                    _ => {}
                }
            }
        }
        for (ci, corridor) in self.s.corridors.iter().enumerate() {
            // (vehicle, trip index, trip) of every crossing of this corridor.
            let crossings: Vec<(VehicleId, usize, &Trip)> = plan
                .routes
                .iter()
                .flat_map(|r| {
                    r.trips
                        .iter()
                        .enumerate()
                        .map(move |(i, t)| (r.vehicle, i, t))
                })
                .filter(|(_, _, t)| {
                    t.crossing
                        .as_ref()
                        .is_some_and(|c| c.corridor.index() == ci)
                })
                .collect();
            let mut intervals = Vec::new();
            for &(v, ti, t) in &crossings {
                let Some(c) = &t.crossing else { continue };
                if c.ends < c.starts + corridor.processing {
                    let m = format!(
                        "`{}` crosses `{}` in {}, less than the processing time {}",
                        self.vname(v),
                        corridor.name,
                        c.ends - c.starts,
                        corridor.processing
                    );
                    self.push(
                        Violation::new(Rule::CrossingTooShort, m)
                            .trip(v, ti)
                            .at(c.starts),
                    );
                }
                if corridor.window_containing(c.starts, c.ends).is_none() {
                    let m = format!(
                        "`{}` crosses `{}` from {} to {}, outside its open windows",
                        self.vname(v),
                        corridor.name,
                        self.when(c.starts),
                        self.when(c.ends)
                    );
                    self.push(
                        Violation::new(Rule::CrossingOutsideWindow, m)
                            .trip(v, ti)
                            .at(c.starts),
                    );
                }
                intervals.push((c.starts, c.ends, v, ti));
            }
            // Lanes: sweep over start and end events; an end at t frees its lane for a start at t.
            let mut events: Vec<(Seconds, i32, VehicleId, usize)> = Vec::new();
            for &(s, e, v, ti) in &intervals {
                events.push((s, 1, v, ti));
                events.push((e, -1, v, ti));
            }
            events.sort_by_key(|&(t, d, v, ti)| (t, d, v, ti));
            let mut busy = 0i32;
            for (t, d, v, ti) in events {
                busy += d;
                if d > 0 && busy > corridor.lanes as i32 {
                    let m = format!(
                        "{} vehicles are at the `{}` checkpoint at {}, which has {} lane{}",
                        busy,
                        corridor.name,
                        self.when(t),
                        corridor.lanes,
                        if corridor.lanes == 1 { "" } else { "s" }
                    );
                    self.push(Violation::new(Rule::LanesExceeded, m).trip(v, ti).at(t));
                }
            }
            if let Some(rule) = &corridor.convoy {
                let mut convoys: BTreeMap<u32, Vec<(VehicleId, usize, &Trip)>> = BTreeMap::new();
                for &(v, ti, t) in &crossings {
                    match t.crossing.as_ref().and_then(|c| c.convoy) {
                        Some(id) => convoys.entry(id).or_default().push((v, ti, t)),
                        None => {
                            let m = format!(
                                "`{}` crosses `{}` outside a convoy, but the corridor requires convoys",
                                self.vname(v),
                                corridor.name
                            );
                            self.push(Violation::new(Rule::ConvoyMissing, m).trip(v, ti));
                        }
                    }
                }
                let mut per_window: HashMap<usize, u32> = HashMap::new();
                for (id, members) in &convoys {
                    let xs: Vec<_> = members
                        .iter()
                        .filter_map(|(_, _, t)| t.crossing.as_ref())
                        .collect();
                    let first = xs.iter().map(|c| c.queued).min().unwrap_or_default();
                    let leaves = xs.iter().map(|c| c.ends).max().unwrap_or_default();
                    let (v0, t0, _) = members[0];
                    if (members.len() as u32) < rule.min_convoy && leaves < first + rule.max_wait {
                        let m = format!(
                            "convoy {id} at `{}` leaves at {} with {} vehicles, fewer than the minimum {}, before waiting {} since its first vehicle arrived at {}",
                            corridor.name,
                            self.when(leaves),
                            members.len(),
                            rule.min_convoy,
                            rule.max_wait,
                            self.when(first)
                        );
                        self.push(
                            Violation::new(Rule::ConvoyTooSmall, m)
                                .trip(v0, t0)
                                .at(leaves),
                        );
                    }
                    for &(v, ti, t) in members {
                        let onward = self
                            .s
                            .travel_for(v, corridor.checkpoint, t.destination)
                            .unwrap_or_default();
                        if t.arrives < leaves + onward {
                            let m = format!(
                                "`{}` reaches `{}` at {}, as if it left the checkpoint before its convoy {id} left at {}",
                                self.vname(v),
                                self.site(t.destination),
                                self.when(t.arrives),
                                self.when(leaves)
                            );
                            self.push(
                                Violation::new(Rule::ConvoyNotTogether, m)
                                    .trip(v, ti)
                                    .at(t.arrives),
                            );
                        }
                    }
                    let starts = xs.iter().map(|c| c.starts).min().unwrap_or_default();
                    if let Some(w) = corridor
                        .windows
                        .iter()
                        .position(|w| w.start <= starts && starts <= w.end)
                    {
                        *per_window.entry(w).or_default() += 1;
                    }
                }
                if let Some(max) = rule.escorts_per_window {
                    let mut windows: Vec<_> = per_window.into_iter().collect();
                    windows.sort_unstable();
                    for (w, n) in windows {
                        if n > max {
                            let win = corridor.windows[w];
                            let m = format!(
                                "{n} convoys cross `{}` in the window from {} to {}, but there are escorts for {max}",
                                corridor.name,
                                self.when(win.start),
                                self.when(win.end)
                            );
                            self.push(Violation::new(Rule::EscortsExceeded, m).at(win.start));
                        }
                    }
                }
            }
        }
    }

    fn deals(&mut self, plan: &Plan) {
        for deal in &self.s.deals {
            // Deliveries and departures per group.
            let mut deliveries: Vec<(Seconds, bool, People)> = Vec::new(); // (time, is A, people)
            let (mut last_a, mut last_b): (Option<Seconds>, Option<Seconds>) = (None, None);
            for (_, trip) in plan.trips() {
                let (mut a, mut b) = (People(0), People(0));
                for stop in &trip.stops {
                    let p: People = stop
                        .households
                        .iter()
                        .map(|h| self.s.household(*h).people)
                        .sum();
                    if p.0 == 0 {
                        continue;
                    }
                    if deal.group_a.contains(&stop.site) {
                        a += p;
                        last_a = last_a.max(Some(stop.departs));
                    } else if deal.group_b.contains(&stop.site) {
                        b += p;
                        last_b = last_b.max(Some(stop.departs));
                    }
                }
                if a.0 > 0 {
                    deliveries.push((trip.unloaded, true, a));
                }
                if b.0 > 0 {
                    deliveries.push((trip.unloaded, false, b));
                }
            }
            if deal.ratio.is_some() {
                deliveries.sort_by_key(|&(t, is_a, _)| (t, is_a));
                let (mut a, mut b) = (People(0), People(0));
                let mut i = 0;
                while i < deliveries.len() {
                    let t = deliveries[i].0;
                    let mut a_grew = false;
                    while i < deliveries.len() && deliveries[i].0 == t {
                        if deliveries[i].1 {
                            a += deliveries[i].2;
                            a_grew = true;
                        } else {
                            b += deliveries[i].2;
                        }
                        i += 1;
                    }
                    let allowed = deal.allowance(b).unwrap_or(People(u32::MAX));
                    if a_grew && a > allowed {
                        let m = format!(
                            "deal `{}`: at {} group A has {} people delivered, more than {} × {} from group B + {} = {}",
                            deal.name,
                            self.when(t),
                            a,
                            deal.ratio.unwrap_or_default(),
                            b,
                            deal.slack,
                            allowed
                        );
                        self.push(Violation::new(Rule::DealRatio, m).at(t));
                    }
                }
            }
            if deal.a_leaves_last
                && let Some(lb) = last_b
                && last_a.is_none_or(|la| la < lb)
            {
                let a_text = last_a.map_or("never".to_string(), |t| format!("at {}", self.when(t)));
                let m = format!(
                    "deal `{}`: the last departure from group A is {a_text}, but group B's last departure is later, at {}",
                    deal.name,
                    self.when(lb)
                );
                self.push(Violation::new(Rule::DealOrder, m).at(lb));
            }
        }
    }
}

/// `8 h 20 min 5 s`: a span of time, not an instant.
fn span(d: Seconds) -> String {
    let s = d.0.max(0);
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} s"));
    }
    parts.join(" ")
}
