//! The live state of an operation: the event log folded in log order.
//!
//! [`LiveState::apply`] is the only way the state changes, and it is a pure
//! function of the state and the event, so replaying the log rebuilds exactly
//! the state that answered the clients, on any server process. Contradictions
//! are recorded as [`Conflict`]s with both versions; the first version stands
//! until a person settles it with a `resolved` event.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use corridor_core::{
    CorridorId, HouseholdId, People, Plan, Scenario, Seconds, SiteId, Tier, VehicleId,
};

use crate::event::{Accept, Event, What};

/// What the log made of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Appended; the state follows it.
    Recorded,
    /// Appended and flagged for a person to resolve.
    Conflict,
    /// Not appended: it cannot mean anything in this operation.
    Rejected,
}

impl Verdict {
    /// As the API says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Recorded => "recorded",
            Verdict::Conflict => "conflict",
            Verdict::Rejected => "rejected",
        }
    }
}

/// The verdict on an event, with what a person should read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Recorded, conflict or rejected.
    pub verdict: Verdict,
    /// What happened, or what to fix.
    pub message: String,
}

impl Outcome {
    fn recorded(m: impl Into<String>) -> Outcome {
        Outcome {
            verdict: Verdict::Recorded,
            message: m.into(),
        }
    }
    fn rejected(m: impl Into<String>) -> Outcome {
        Outcome {
            verdict: Verdict::Rejected,
            message: m.into(),
        }
    }
}

/// A household as the operation knows it now.
#[derive(Clone, Debug, PartialEq)]
pub struct HouseholdRecord {
    /// Pseudonymous reference.
    pub reference: String,
    /// Its gathering point (where it registered, or the registry's).
    pub site: SiteId,
    /// Size.
    pub people: People,
    /// Lying cases.
    pub stretcher_cases: People,
    /// Priority tier.
    pub tier: Tier,
    /// Its id in the scenario, when the registry listed it.
    pub registry: Option<HouseholdId>,
    /// When it registered at its gathering point.
    pub registered: Option<Seconds>,
    /// The vehicle trip it is on (or was on), and when it boarded.
    pub boarded: Option<(VehicleId, u32, Seconds)>,
    /// Where and when it arrived.
    pub arrived: Option<(SiteId, Seconds)>,
    /// When it failed to show.
    pub no_show: Option<Seconds>,
    /// When it was recorded as staying.
    pub stayed: Option<Seconds>,
    /// The household it split from.
    pub split_from: Option<String>,
    /// The latest event about it: (kind, device time, event id).
    pub last: Option<(&'static str, Seconds, String)>,
}

impl HouseholdRecord {
    /// Boarded and not arrived: someone must know where it is.
    pub fn on_board(&self) -> bool {
        self.boarded.is_some() && self.arrived.is_none()
    }

    /// Arrived, or explicitly accounted for.
    pub fn accounted(&self) -> bool {
        self.arrived.is_some() || self.stayed.is_some() || (self.no_show.is_some() && self.boarded.is_none())
    }

    /// In a word: `waiting`, `registered`, `on_board`, `arrived`, `no_show`, `stayed`.
    pub fn status(&self) -> &'static str {
        if self.arrived.is_some() {
            "arrived"
        } else if self.boarded.is_some() {
            "on_board"
        } else if self.stayed.is_some() {
            "stayed"
        } else if self.no_show.is_some() {
            "no_show"
        } else if self.registered.is_some() {
            "registered"
        } else {
            "waiting"
        }
    }
}

/// One vehicle trip as it actually went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TripRecord {
    /// Households boarded, in boarding order (indices into [`LiveState::households`]).
    pub boarded: Vec<usize>,
    /// Seated people on board.
    pub seated: People,
    /// Lying people on board.
    pub lying: People,
    /// When it left, and the driver's headcount.
    pub departed: Option<(Seconds, Option<u32>)>,
    /// The checkpoint it passed, when.
    pub checkpoint: Option<(CorridorId, Seconds)>,
    /// Where it arrived, when.
    pub arrived: Option<(SiteId, Seconds)>,
}

/// Where a vehicle's latest event puts it.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    /// The event kind.
    pub kind: &'static str,
    /// Device time.
    pub at: Seconds,
    /// Trip number.
    pub trip: u32,
    /// The site it was at, when the event names one.
    pub site: Option<SiteId>,
}

/// A vehicle as the operation knows it now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VehicleRecord {
    /// Since when it is out of service.
    pub out_of_service: Option<Seconds>,
    /// Its latest movement.
    pub position: Option<Position>,
}

/// A contradiction for a person to resolve.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The id of the event that contradicts what was recorded.
    pub event: String,
    /// Stable kebab-case name of the rule (`boarded-twice`, `headcount-mismatch`, ...).
    pub rule: &'static str,
    /// The household concerned.
    pub household: Option<String>,
    /// The vehicle concerned.
    pub vehicle: Option<VehicleId>,
    /// Both versions, in words.
    pub message: String,
    /// The earlier event it contradicts, when there is one.
    pub first: Option<String>,
    /// The device time of the conflicting event.
    pub at: Seconds,
    /// What would apply if the second version were accepted.
    pending: Option<What>,
    /// The `resolved` event that settled it, and which version stands.
    pub resolved: Option<(String, Accept)>,
}

impl Conflict {
    /// Whether accepting the second version would change the state.
    pub fn has_second_version(&self) -> bool {
        self.pending.is_some()
    }
}

/// A corridor's state from incidents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CorridorRecord {
    /// Closed since, and the expected reopening.
    pub closed: Option<(Seconds, Option<Seconds>)>,
}

/// The active plan, indexed for manifests.
#[derive(Clone, Debug)]
pub struct ActivePlan {
    /// Its id in the store.
    pub id: String,
    /// The plan.
    pub plan: Arc<Plan>,
    /// Per scenario household: the vehicle and trip number the plan puts it on.
    pub planned: Vec<Option<(VehicleId, u32)>>,
    /// Per vehicle: its route's index in `plan.routes`.
    pub route_of: Vec<Option<usize>>,
}

impl ActivePlan {
    /// Indexes a plan for `s`.
    pub fn new(id: &str, plan: Arc<Plan>, s: &Scenario) -> ActivePlan {
        let mut planned = vec![None; s.households.len()];
        let mut route_of = vec![None; s.vehicles.len()];
        for (ri, r) in plan.routes.iter().enumerate() {
            if let Some(slot) = route_of.get_mut(r.vehicle.index()) {
                *slot = Some(ri);
            }
            for (ti, t) in r.trips.iter().enumerate() {
                for h in t.households() {
                    if let Some(slot) = planned.get_mut(h.index()) {
                        *slot = Some((r.vehicle, ti as u32 + 1));
                    }
                }
            }
        }
        ActivePlan {
            id: id.to_string(),
            plan,
            planned,
            route_of,
        }
    }

    /// The planned trip `trip` (from 1) of vehicle `v`.
    pub fn trip(&self, v: VehicleId, trip: u32) -> Option<&corridor_core::Trip> {
        let r = self.route_of.get(v.index()).copied().flatten()?;
        self.plan.routes[r].trips.get(trip.checked_sub(1)? as usize)
    }
}

/// Everything the log says, folded.
#[derive(Clone, Debug)]
pub struct LiveState {
    /// The operation's registry.
    pub scenario: Arc<Scenario>,
    /// Plans known to the store, by id.
    plans: BTreeMap<String, Arc<Plan>>,
    /// The active plan.
    pub active: Option<ActivePlan>,
    /// Households: the registry's first (same order as the scenario), then those registered in the field.
    pub households: Vec<HouseholdRecord>,
    by_reference: HashMap<String, usize>,
    /// Vehicle trips as they went, by (vehicle, trip number).
    pub trips: BTreeMap<(VehicleId, u32), TripRecord>,
    /// Per vehicle.
    pub vehicles: Vec<VehicleRecord>,
    /// Per corridor.
    pub corridors: Vec<CorridorRecord>,
    /// Every conflict, open or resolved, in log order.
    pub conflicts: Vec<Conflict>,
    conflict_of: HashMap<String, usize>,
    /// Who last changed each household's boarding (event id), for conflict messages.
    boarded_by: HashMap<usize, String>,
    /// Ids of the events in the log.
    seen: HashSet<String>,
    /// Events in the log.
    pub events: u64,
    /// The latest device time in the log.
    pub latest: Option<Seconds>,
}

impl LiveState {
    /// The state before any event: the registry as the scenario lists it.
    pub fn new(scenario: Arc<Scenario>) -> LiveState {
        let households: Vec<HouseholdRecord> = scenario
            .households
            .iter()
            .enumerate()
            .map(|(i, h)| HouseholdRecord {
                reference: h.reference.clone(),
                site: h.site,
                people: h.people,
                stretcher_cases: h.stretcher_cases,
                tier: h.tier,
                registry: Some(HouseholdId(i as u32)),
                registered: None,
                boarded: None,
                arrived: None,
                no_show: None,
                stayed: None,
                split_from: None,
                last: None,
            })
            .collect();
        let by_reference = households
            .iter()
            .enumerate()
            .map(|(i, h)| (h.reference.clone(), i))
            .collect();
        LiveState {
            vehicles: vec![VehicleRecord::default(); scenario.vehicles.len()],
            corridors: vec![CorridorRecord::default(); scenario.corridors.len()],
            scenario,
            plans: BTreeMap::new(),
            active: None,
            households,
            by_reference,
            trips: BTreeMap::new(),
            conflicts: Vec::new(),
            conflict_of: HashMap::new(),
            boarded_by: HashMap::new(),
            seen: HashSet::new(),
            events: 0,
            latest: None,
        }
    }

    /// Makes a stored plan known, so that a `plan_activated` event can refer to it.
    pub fn add_plan(&mut self, id: &str, plan: Arc<Plan>) {
        self.plans.insert(id.to_string(), plan);
    }

    /// Whether a plan id is known.
    pub fn has_plan(&self, id: &str) -> bool {
        self.plans.contains_key(id)
    }

    /// Whether an event id is already in the log.
    pub fn has_event(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// A household by reference.
    pub fn household(&self, reference: &str) -> Option<(usize, &HouseholdRecord)> {
        let &i = self.by_reference.get(reference)?;
        Some((i, &self.households[i]))
    }

    /// The conflict raised by event `id`.
    pub fn conflict(&self, id: &str) -> Option<&Conflict> {
        self.conflict_of.get(id).map(|&i| &self.conflicts[i])
    }

    /// The gathering point an event concerns, for a registrar's scope: the site it
    /// names, or the site of the household it names.
    pub fn site_of(&self, e: &Event) -> Option<SiteId> {
        match &e.what {
            What::Registered { site, .. } => Some(*site),
            w => w
                .household()
                .and_then(|h| self.household(h))
                .map(|(_, h)| h.site),
        }
    }

    /// Whether the state already holds what `e` says (a paper row typed up after a
    /// device recorded the same thing): importing it again would change nothing.
    pub fn already_known(&self, e: &Event) -> bool {
        let h = |r: &str| self.household(r).map(|(_, h)| h);
        match &e.what {
            What::Registered { household, site, .. } => h(household).is_some_and(|x| x.registered.is_some() && x.site == *site),
            What::Boarded { household, vehicle, trip } => {
                h(household).is_some_and(|x| x.boarded.is_some_and(|b| (b.0, b.1) == (*vehicle, *trip)))
            }
            What::NoShow { household } => h(household).is_some_and(|x| x.no_show.is_some()),
            What::Stayed { household } => h(household).is_some_and(|x| x.stayed.is_some()),
            What::Arrived { household: Some(household), destination, .. } => {
                h(household).is_some_and(|x| x.arrived.is_some_and(|a| a.0 == *destination))
            }
            What::Departed { vehicle, trip, .. } => self.trips.get(&(*vehicle, *trip)).is_some_and(|t| t.departed.is_some()),
            What::Checkpoint { vehicle, trip, .. } => self.trips.get(&(*vehicle, *trip)).is_some_and(|t| t.checkpoint.is_some()),
            _ => false,
        }
    }

    /// Appends an event to the state. A rejected event changes nothing; a
    /// duplicate id is the caller's to catch first ([`LiveState::has_event`]).
    pub fn apply(&mut self, e: &Event) -> Outcome {
        let out = self.apply_inner(e);
        if out.verdict != Verdict::Rejected {
            self.seen.insert(e.id.clone());
            self.events += 1;
            self.latest = Some(self.latest.map_or(e.at, |l| l.max(e.at)));
        }
        out
    }

    fn touch(&mut self, h: usize, kind: &'static str, e: &Event) {
        self.households[h].last = Some((kind, e.at, e.id.clone()));
    }

    fn flag(&mut self, e: &Event, rule: &'static str, household: Option<usize>, message: String, first: Option<String>, pending: Option<What>) -> Outcome {
        let c = Conflict {
            event: e.id.clone(),
            rule,
            household: household.map(|h| self.households[h].reference.clone()),
            vehicle: e.what.vehicle(),
            message: message.clone(),
            first,
            at: e.at,
            pending,
            resolved: None,
        };
        self.conflict_of.insert(e.id.clone(), self.conflicts.len());
        self.conflicts.push(c);
        Outcome {
            verdict: Verdict::Conflict,
            message,
        }
    }

    fn vname(&self, v: VehicleId) -> &str {
        &self.scenario.vehicle(v).name
    }

    fn sname(&self, s: SiteId) -> &str {
        &self.scenario.site(s).name
    }

    fn find(&self, reference: &str) -> Result<usize, Outcome> {
        self.by_reference.get(reference).copied().ok_or_else(|| {
            // Never suggest another reference: references identify people.
            Outcome::rejected(format!(
                "household `{reference}` is not in the registry; register it first with a `registered` event that gives its `site` and `people`"
            ))
        })
    }

    fn apply_inner(&mut self, e: &Event) -> Outcome {
        match e.what.clone() {
            What::Registered {
                household,
                site,
                people,
                stretcher_cases,
                tier,
            } => self.registered(e, &household, site, people, stretcher_cases, tier),
            What::Boarded {
                household,
                vehicle,
                trip,
            } => match self.find(&household) {
                Err(o) => o,
                Ok(h) => self.boarded(e, h, vehicle, trip),
            },
            What::Departed {
                vehicle,
                trip,
                headcount,
            } => self.departed(e, vehicle, trip, headcount),
            What::Checkpoint {
                vehicle,
                trip,
                corridor,
            } => {
                self.trips.entry((vehicle, trip)).or_default().checkpoint = Some((corridor, e.at));
                let closed = self.corridors[corridor.index()].closed.is_some_and(|(from, until)| from <= e.at && until.is_none_or(|u| e.at < u));
                self.vehicles[vehicle.index()].position = Some(Position {
                    kind: "checkpoint",
                    at: e.at,
                    trip,
                    site: Some(self.scenario.corridors[corridor.index()].checkpoint),
                });
                let m = format!(
                    "{} trip {trip} passed {}",
                    self.vname(vehicle),
                    self.scenario.corridors[corridor.index()].name
                );
                if closed {
                    let m = format!("{m}, which an incident reported closed at that time; check the report or record the reopening");
                    return self.flag(e, "crossed-while-closed", None, m, None, None);
                }
                Outcome::recorded(m)
            }
            What::Arrived {
                vehicle,
                trip,
                destination,
                household,
            } => self.arrived(e, vehicle, trip, destination, household.as_deref()),
            What::NoShow { household } => match self.find(&household) {
                Err(o) => o,
                Ok(h) => self.no_show(e, h, false),
            },
            What::Stayed { household } => match self.find(&household) {
                Err(o) => o,
                Ok(h) => self.no_show(e, h, true),
            },
            What::Split {
                household,
                new_household,
                people,
                stretcher_cases,
            } => self.split(e, &household, &new_household, people, stretcher_cases),
            What::VehicleOutOfService { vehicle } => {
                let v = &mut self.vehicles[vehicle.index()];
                if v.out_of_service.is_some() {
                    return Outcome::recorded("already out of service; nothing changes");
                }
                v.out_of_service = Some(e.at);
                let aboard: u32 = self
                    .trips
                    .range((vehicle, 0)..=(vehicle, u32::MAX))
                    .flat_map(|(_, t)| t.boarded.iter())
                    .filter(|&&h| self.households[h].on_board())
                    .map(|&h| self.households[h].people.0)
                    .sum();
                let tail = if aboard > 0 {
                    format!("; {aboard} people on board are unaccounted until they arrive somewhere")
                } else {
                    String::new()
                };
                Outcome::recorded(format!("{} is out of service{tail}", self.vname(vehicle)))
            }
            What::CorridorClosed { corridor, until } => {
                self.corridors[corridor.index()].closed = Some((e.at, until));
                Outcome::recorded(format!("{} closed", self.scenario.corridors[corridor.index()].name))
            }
            What::CorridorReopened { corridor } => {
                let was = self.corridors[corridor.index()].closed.take();
                let name = &self.scenario.corridors[corridor.index()].name;
                Outcome::recorded(if was.is_some() {
                    format!("{name} reopened")
                } else {
                    format!("{name} was not closed; nothing changes")
                })
            }
            What::Resolved { conflict, accept } => self.resolve(e, &conflict, accept),
            What::PlanActivated { plan } => match self.plans.get(&plan) {
                None => Outcome::rejected(format!("no plan with id `{plan}` in the store")),
                Some(p) => {
                    self.active = Some(ActivePlan::new(&plan, p.clone(), &self.scenario));
                    Outcome::recorded(format!("plan {plan} is now the active plan"))
                }
            },
        }
    }

    fn registered(
        &mut self,
        e: &Event,
        reference: &str,
        site: SiteId,
        people: Option<People>,
        lying: Option<People>,
        tier: Option<Tier>,
    ) -> Outcome {
        let Some(&h) = self.by_reference.get(reference) else {
            let Some(people) = people else {
                return Outcome::rejected(format!(
                    "household `{reference}` is not in the registry: give its `people` (and `stretcher_cases`, `tier` where they apply) to register it"
                ));
            };
            let lying = lying.unwrap_or(People(0));
            let tier = tier.unwrap_or(if lying.0 > 0 { Tier::CRITICAL } else { Tier::GENERAL });
            let i = self.households.len();
            self.households.push(HouseholdRecord {
                reference: reference.to_string(),
                site,
                people,
                stretcher_cases: lying,
                tier,
                registry: None,
                registered: Some(e.at),
                boarded: None,
                arrived: None,
                no_show: None,
                stayed: None,
                split_from: None,
                last: None,
            });
            self.by_reference.insert(reference.to_string(), i);
            self.touch(i, "registered", e);
            return Outcome::recorded(format!(
                "new household {reference} ({} people) registered at {}; it is not in the active plan until a re-plan",
                people.0,
                self.sname(site)
            ));
        };
        let rec = self.households[h].clone();
        if rec.boarded.is_some() || rec.arrived.is_some() {
            return self.flag(
                e,
                "registered-after-boarding",
                Some(h),
                format!(
                    "household {reference} registered at {} after it was recorded {}",
                    self.sname(site),
                    rec.status().replace('_', " ")
                ),
                rec.last.as_ref().map(|l| l.2.clone()),
                None,
            );
        }
        let size_differs = people.is_some_and(|p| p != rec.people)
            || lying.is_some_and(|l| l != rec.stretcher_cases);
        let moved = site != rec.site;
        {
            let r = &mut self.households[h];
            r.registered.get_or_insert(e.at);
            r.no_show = None;
            r.site = site;
            if let Some(p) = people {
                r.people = p;
            }
            // Never more people lying down than people: a smaller household given without
            // its stretcher cases keeps at most as many as it now has.
            r.stretcher_cases = lying.unwrap_or(r.stretcher_cases).min(r.people);
            if let Some(t) = tier {
                r.tier = t;
            }
        }
        self.touch(h, "registered", e);
        if moved || size_differs {
            let mut what = Vec::new();
            if moved {
                what.push(format!(
                    "at {} although {} had it at {}",
                    self.sname(site),
                    if rec.registered.is_some() { "an earlier registration" } else { "the registry" },
                    self.sname(rec.site)
                ));
            }
            if size_differs {
                what.push(format!(
                    "with {} people ({} lying) where {} had {} ({} lying)",
                    people.unwrap_or(rec.people).0,
                    lying.unwrap_or(rec.stretcher_cases).0,
                    if rec.registered.is_some() { "an earlier registration" } else { "the registry" },
                    rec.people.0,
                    rec.stretcher_cases.0
                ));
            }
            // The household is where the registrar saw it: the state follows the
            // registration, and a person confirms that the plan must change.
            return self.flag(
                e,
                "registered-differently",
                Some(h),
                format!("household {reference} registered {}; the plan may no longer fit it", what.join(" and ")),
                rec.last.as_ref().map(|l| l.2.clone()),
                None,
            );
        }
        Outcome::recorded(if rec.registered.is_some() {
            format!("household {reference} was already registered; nothing changes")
        } else {
            format!("household {reference} registered at {}", self.sname(site))
        })
    }

    fn board(&mut self, e_id: &str, h: usize, vehicle: VehicleId, trip: u32, at: Seconds) {
        if let Some((v0, t0, _)) = self.households[h].boarded
            && let Some(old) = self.trips.get_mut(&(v0, t0))
        {
            old.boarded.retain(|&x| x != h);
            old.seated = old.seated - (self.households[h].people - self.households[h].stretcher_cases);
            old.lying = old.lying - self.households[h].stretcher_cases;
        }
        let r = &mut self.households[h];
        r.boarded = Some((vehicle, trip, at));
        r.no_show = None;
        let (seated, lying) = (r.people - r.stretcher_cases, r.stretcher_cases);
        let t = self.trips.entry((vehicle, trip)).or_default();
        t.boarded.push(h);
        t.seated += seated;
        t.lying += lying;
        self.boarded_by.insert(h, e_id.to_string());
    }

    fn boarded(&mut self, e: &Event, h: usize, vehicle: VehicleId, trip: u32) -> Outcome {
        let rec = self.households[h].clone();
        let reference = rec.reference.clone();
        if let Some((d, t)) = rec.arrived {
            return self.flag(
                e,
                "boarded-after-arriving",
                Some(h),
                format!(
                    "household {reference} boarded {} trip {trip}, but it had arrived at {} at {}",
                    self.vname(vehicle),
                    self.sname(d),
                    self.scenario.show_time(t)
                ),
                rec.last.as_ref().map(|l| l.2.clone()),
                Some(e.what.clone()),
            );
        }
        if rec.stayed.is_some() {
            return self.flag(
                e,
                "boarded-after-staying",
                Some(h),
                format!("household {reference} boarded {} trip {trip}, but it was recorded as staying", self.vname(vehicle)),
                rec.last.as_ref().map(|l| l.2.clone()),
                Some(e.what.clone()),
            );
        }
        if let Some((v0, t0, _)) = rec.boarded {
            if (v0, t0) == (vehicle, trip) {
                return Outcome::recorded(format!("household {reference} was already on {} trip {trip}; nothing changes", self.vname(vehicle)));
            }
            return self.flag(
                e,
                "boarded-twice",
                Some(h),
                format!(
                    "household {reference} boarded {} trip {trip}, but it is already on {} trip {t0}",
                    self.vname(vehicle),
                    self.vname(v0)
                ),
                self.boarded_by.get(&h).cloned(),
                Some(e.what.clone()),
            );
        }
        self.board(&e.id, h, vehicle, trip, e.at);
        self.touch(h, "boarded", e);
        self.vehicles[vehicle.index()].position = Some(Position {
            kind: "boarded",
            at: e.at,
            trip,
            site: Some(rec.site),
        });
        let vt = self.scenario.vehicle_type_of(vehicle);
        let t = &self.trips[&(vehicle, trip)];
        let mut notes = Vec::new();
        let planned = self
            .active
            .as_ref()
            .and_then(|a| rec.registry.and_then(|r| a.planned.get(r.index()).copied().flatten()));
        if let Some((pv, pt)) = planned
            && (pv, pt) != (vehicle, trip)
        {
            notes.push(format!("the plan had it on {} trip {pt}", self.vname(pv)));
        }
        if self.vehicles[vehicle.index()].out_of_service.is_some() {
            let m = format!(
                "household {reference} boarded {}, which was reported out of service",
                self.vname(vehicle)
            );
            return self.flag(e, "vehicle-out-of-service", Some(h), m, None, None);
        }
        if t.seated > vt.seats || t.lying > vt.stretchers {
            let m = format!(
                "{} trip {trip} now has {} seated and {} lying on board, more than its {} seats and {} stretcher slots (household {reference} boarded last)",
                self.vname(vehicle),
                t.seated.0,
                t.lying.0,
                vt.seats.0,
                vt.stretchers.0
            );
            return self.flag(e, "over-capacity", Some(h), m, None, None);
        }
        Outcome::recorded(format!(
            "household {reference} on {} trip {trip}{}",
            self.vname(vehicle),
            if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) }
        ))
    }

    fn departed(&mut self, e: &Event, vehicle: VehicleId, trip: u32, headcount: Option<u32>) -> Outcome {
        let t = self.trips.entry((vehicle, trip)).or_default();
        let on_board = (t.seated + t.lying).0;
        let already = t.departed.is_some();
        if !already {
            t.departed = Some((e.at, headcount));
        }
        // Leaving, it was last seen where it boarded (not back at its depot).
        let last_site = self.vehicles[vehicle.index()].position.as_ref().and_then(|p| p.site);
        self.vehicles[vehicle.index()].position = Some(Position {
            kind: "departed",
            at: e.at,
            trip,
            site: last_site,
        });
        if let Some(n) = headcount
            && n != on_board
        {
            let m = format!(
                "{} trip {trip}: the driver counted {n} people on board, the boarded households hold {on_board}; check before the vehicle is out of reach",
                self.vname(vehicle)
            );
            return self.flag(e, "headcount-mismatch", None, m, None, None);
        }
        Outcome::recorded(if already {
            format!("{} trip {trip} had already departed; nothing changes", self.vname(vehicle))
        } else {
            format!("{} trip {trip} departed with {on_board} people", self.vname(vehicle))
        })
    }

    fn arrive(&mut self, h: usize, destination: SiteId, e: &Event) {
        self.households[h].arrived = Some((destination, e.at));
        self.touch(h, "arrived", e);
    }

    fn arrived(&mut self, e: &Event, vehicle: VehicleId, trip: u32, destination: SiteId, household: Option<&str>) -> Outcome {
        if let Some(r) = household
            && let Err(o) = self.find(r)
        {
            return o;
        }
        self.vehicles[vehicle.index()].position = Some(Position {
            kind: "arrived",
            at: e.at,
            trip,
            site: Some(destination),
        });
        let dname = self.sname(destination).to_string();
        let vname = self.vname(vehicle).to_string();
        let Some(reference) = household else {
            let t = self.trips.entry((vehicle, trip)).or_default();
            t.arrived.get_or_insert((destination, e.at));
            let aboard: Vec<usize> = t.boarded.clone();
            let mut n = (0, 0);
            for h in aboard {
                if self.households[h].arrived.is_none() {
                    n.0 += 1;
                    n.1 += self.households[h].people.0;
                    self.arrive(h, destination, e);
                }
            }
            return Outcome::recorded(if n.0 == 0 {
                format!("{vname} trip {trip} arrived at {dname}; no household on board was waiting to arrive")
            } else {
                format!("{vname} trip {trip} arrived at {dname}: {} households, {} people", n.0, n.1)
            });
        };
        let h = match self.find(reference) {
            Ok(h) => h,
            Err(o) => return o,
        };
        let rec = self.households[h].clone();
        if let Some((d0, t0)) = rec.arrived {
            if d0 == destination {
                return Outcome::recorded(format!("household {reference} had already arrived at {dname}; nothing changes"));
            }
            return self.flag(
                e,
                "arrived-twice",
                Some(h),
                format!(
                    "household {reference} arrived at {dname}, but it had arrived at {} at {}",
                    self.sname(d0),
                    self.scenario.show_time(t0)
                ),
                rec.last.as_ref().map(|l| l.2.clone()),
                Some(e.what.clone()),
            );
        }
        match rec.boarded {
            None => {
                // People are where the destination saw them: record the arrival, flag the gap.
                self.arrive(h, destination, e);
                self.flag(
                    e,
                    "arrived-without-boarding",
                    Some(h),
                    format!("household {reference} arrived at {dname} on {vname} trip {trip}, but no boarding was recorded"),
                    None,
                    None,
                )
            }
            Some((v0, t0, _)) if (v0, t0) != (vehicle, trip) => {
                self.arrive(h, destination, e);
                let m = format!(
                    "household {reference} arrived at {dname} on {vname} trip {trip}, but it boarded {} trip {t0}",
                    self.vname(v0)
                );
                self.flag(e, "arrived-on-another-vehicle", Some(h), m, self.boarded_by.get(&h).cloned(), None)
            }
            Some(_) => {
                self.arrive(h, destination, e);
                Outcome::recorded(format!("household {reference} arrived at {dname}"))
            }
        }
    }

    fn no_show(&mut self, e: &Event, h: usize, stayed: bool) -> Outcome {
        let rec = self.households[h].clone();
        let reference = &rec.reference;
        let word = if stayed { "stayed" } else { "no-show" };
        if rec.boarded.is_some() || rec.arrived.is_some() {
            return self.flag(
                e,
                if stayed { "stayed-after-boarding" } else { "no-show-after-boarding" },
                Some(h),
                format!("household {reference} recorded as {word}, but it was recorded {}", rec.status().replace('_', " ")),
                rec.last.as_ref().map(|l| l.2.clone()),
                Some(e.what.clone()),
            );
        }
        if stayed {
            self.households[h].stayed.get_or_insert(e.at);
        } else {
            self.households[h].no_show.get_or_insert(e.at);
        }
        self.touch(h, if stayed { "stayed" } else { "no_show" }, e);
        Outcome::recorded(format!("household {reference} recorded as {word}"))
    }

    fn split(&mut self, e: &Event, reference: &str, new: &str, people: People, lying: People) -> Outcome {
        let h = match self.find(reference) {
            Ok(h) => h,
            Err(o) => return o,
        };
        if self.by_reference.contains_key(new) {
            return Outcome::rejected(format!("`new_household` `{new}` is already a household's reference; choose a new one"));
        }
        let rec = self.households[h].clone();
        if rec.boarded.is_some() || rec.arrived.is_some() {
            return Outcome::rejected(format!(
                "household {reference} is already {}: split it before it boards",
                rec.status().replace('_', " ")
            ));
        }
        if people >= rec.people || lying > rec.stretcher_cases || rec.people - people < rec.stretcher_cases - lying {
            return Outcome::rejected(format!(
                "household {reference} has {} people ({} lying): a split moves some of them, at least one stays, and lying cases stay lying",
                rec.people.0, rec.stretcher_cases.0
            ));
        }
        {
            let r = &mut self.households[h];
            r.people = r.people - people;
            r.stretcher_cases = r.stretcher_cases - lying;
        }
        self.touch(h, "split", e);
        let i = self.households.len();
        self.households.push(HouseholdRecord {
            reference: new.to_string(),
            site: rec.site,
            people,
            stretcher_cases: lying,
            tier: rec.tier,
            registry: None,
            registered: rec.registered,
            boarded: None,
            arrived: None,
            no_show: None,
            stayed: None,
            split_from: Some(reference.to_string()),
            last: None,
        });
        self.by_reference.insert(new.to_string(), i);
        self.touch(i, "split", e);
        Outcome::recorded(format!(
            "household {reference} split: {} people now travel as {new} (an exception to keeping families together, logged)",
            people.0
        ))
    }

    fn resolve(&mut self, e: &Event, id: &str, accept: Accept) -> Outcome {
        let Some(&ci) = self.conflict_of.get(id) else {
            return Outcome::rejected(format!("no conflict was raised by an event with id `{id}`; GET /api/conflicts lists them"));
        };
        if let Some((by, _)) = &self.conflicts[ci].resolved {
            return Outcome::rejected(format!("the conflict of `{id}` was already resolved by `{by}`"));
        }
        let pending = self.conflicts[ci].pending.clone();
        if accept == Accept::Second && pending.is_none() {
            return Outcome::rejected(
                "this conflict has one version only (the state already follows the event); resolve it with `accept` = `first`".to_string(),
            );
        }
        let mut message = if pending.is_some() {
            format!("conflict of `{id}` resolved, the first version stands")
        } else {
            format!("conflict of `{id}` resolved: acknowledged, the state follows the recorded event")
        };
        if accept == Accept::Second
            && let Some(w) = pending
        {
            let at = self.conflicts[ci].at;
            message = format!("conflict of `{id}` resolved, the second version stands");
            match w {
                What::Boarded { household, vehicle, trip } => {
                    if let Some(&h) = self.by_reference.get(&household) {
                        self.households[h].arrived = None;
                        self.households[h].stayed = None;
                        self.board(id, h, vehicle, trip, at);
                        self.touch(h, "boarded", e);
                        // A vehicle with no movement yet is where the household boarded it,
                        // so its people on board show in the vehicle views.
                        let site = self.households[h].site;
                        self.vehicles[vehicle.index()].position.get_or_insert(Position {
                            kind: "boarded",
                            at,
                            trip,
                            site: Some(site),
                        });
                    }
                }
                What::Arrived { destination, household: Some(household), .. } => {
                    if let Some(&h) = self.by_reference.get(&household) {
                        self.households[h].arrived = Some((destination, at));
                        self.touch(h, "arrived", e);
                    }
                }
                What::NoShow { household } | What::Stayed { household } => {
                    if let Some(&h) = self.by_reference.get(&household) {
                        let stayed = matches!(self.conflicts[ci].rule, "stayed-after-boarding");
                        if let Some((v, t, _)) = self.households[h].boarded.take()
                            && let Some(tr) = self.trips.get_mut(&(v, t))
                        {
                            tr.boarded.retain(|&x| x != h);
                            tr.seated = tr.seated - (self.households[h].people - self.households[h].stretcher_cases);
                            tr.lying = tr.lying - self.households[h].stretcher_cases;
                        }
                        self.households[h].arrived = None;
                        if stayed {
                            self.households[h].stayed = Some(at);
                        } else {
                            self.households[h].no_show = Some(at);
                        }
                        self.touch(h, if stayed { "stayed" } else { "no_show" }, e);
                    }
                }
                _ => {}
            }
        }
        self.conflicts[ci].resolved = Some((e.id.clone(), accept));
        Outcome::recorded(message)
    }
}
