//! Planning from a live state: what has happened by a time `t0` turns the
//! scenario into the smaller scenario of what remains.
//!
//! Re-planning is then ordinary planning (and ordinary checking) of that
//! remaining scenario: the planner and the validator need no notion of the
//! past. The translation is conservative: any plan valid for the remaining
//! scenario, joined to what already happened, keeps every rule of the original
//! one (the doc comments below argue each case).

use crate::plan::Plan;
use crate::scenario::{CorridorId, Household, HouseholdId, Scenario, SiteId, SiteKind, VehicleId, Window};
use crate::units::{People, Seconds};

/// What is known about the operation at one instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OperationState {
    /// The instant the state describes; the re-plan starts here.
    pub at: Seconds,
    /// Households already unloaded, with the destination that took them.
    pub delivered: Vec<(HouseholdId, SiteId)>,
    /// Vehicles whose situation differs from "at its depot, free from its shift start".
    pub vehicles: Vec<(VehicleId, VehicleSituation)>,
    /// Corridors closed at `at`.
    pub closures: Vec<Closure>,
    /// Households registered in the field that the scenario does not list. They
    /// take the ids after the scenario's own, in this order, so `delivered` and
    /// `on_board` may name them like any other household.
    pub registered: Vec<Household>,
}

/// Where a vehicle is and when it can take a new trip.
#[derive(Clone, Debug, PartialEq)]
pub enum VehicleSituation {
    /// Working. With people on board, `at` is the destination where the current
    /// trip unloads them and `free_from` the end of that unloading: a trip under
    /// way is finished as it was planned.
    InService {
        /// Where it is, or where its current trip ends.
        at: SiteId,
        /// When it can leave on a new trip.
        free_from: Seconds,
        /// Households on board, to be unloaded at `at`.
        on_board: Vec<HouseholdId>,
    },
    /// Lost, broken down or withdrawn: it takes no more trips.
    OutOfService,
}

/// A corridor closed at the state's instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closure {
    /// Which corridor.
    pub corridor: CorridorId,
    /// When it reopens; `None` when nobody knows.
    pub until: Option<Seconds>,
}

/// The scenario of what remains, and how its ids map back to the original's.
#[derive(Clone, Debug, PartialEq)]
pub struct Remaining {
    /// Households still waiting, the vehicles still in service, capacities and deals reduced.
    pub scenario: Scenario,
    /// For each household of `scenario`, its id in the original scenario
    /// (with the state's registered households numbered after the scenario's own).
    pub households: Vec<HouseholdId>,
    /// For each vehicle of `scenario`, its id in the original scenario.
    pub vehicles: Vec<VehicleId>,
    /// What the coordinator should know about the translation.
    pub notes: Vec<String>,
}

/// A state that contradicts itself or the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateError(pub String);

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}

impl Scenario {
    /// This scenario with `registered` appended to its households, as the ids of
    /// an [`OperationState`] that lists them count. Each must be new, wait at a
    /// pickup site, have someone in it and no more stretcher cases than people.
    pub fn with_registered(&self, registered: &[Household]) -> Result<Scenario, StateError> {
        let mut s = self.clone();
        let mut known: std::collections::HashSet<&str> = self.households.iter().map(|h| h.reference.as_str()).collect();
        for h in registered {
            let r = &h.reference;
            if !known.insert(r) {
                return Err(StateError(format!("registered household `{r}` is already a household of the scenario or listed twice")));
            }
            if !matches!(self.sites.get(h.site.index()).map(|x| &x.kind), Some(SiteKind::Pickup)) {
                return Err(StateError(format!("registered household `{r}` waits at a site that is not a pickup site")));
            }
            if h.people.0 == 0 || h.stretcher_cases > h.people {
                return Err(StateError(format!(
                    "registered household `{r}` has {} people and {} stretcher cases",
                    h.people, h.stretcher_cases
                )));
            }
        }
        s.households.extend(registered.iter().cloned());
        Ok(s)
    }

    /// The scenario of what remains at `state.at`.
    ///
    /// - Households the state registered are added first (see [`Scenario::with_registered`]).
    /// - Delivered and on-board households leave the scenario; their people
    ///   count against their destination's capacity, and those of households
    ///   without stretcher cases against the places it does not reserve (so
    ///   the reserved places left are the capacity left less the places left
    ///   to the others).
    /// - Households still waiting are ready no earlier than `at`.
    /// - Vehicles out of service leave the fleet; the others start where the
    ///   state says (or at their depot), no earlier than `at`.
    /// - A closure removes window time from `at` until the reopening (all of
    ///   it when the reopening is unknown).
    /// - A ratio deal keeps its meaning by carrying the past in its allowance:
    ///   with A₀ delivered or on board from group A and B₀ delivered from B,
    ///   the remaining allowance is `slack + ⌊ratio·B₀⌋ − A₀`. Because
    ///   `⌊r(B₀+B')⌋ ≥ ⌊rB₀⌋ + ⌊rB'⌋`, a remaining plan within it keeps the
    ///   original rule at every instant. People on board from B are not
    ///   counted until delivered, which only makes the rule stricter.
    pub fn remaining(&self, state: &OperationState) -> Result<Remaining, StateError> {
        if self.has_hubs() {
            // A household between its legs is neither waiting at its site nor delivered.
            return Err(StateError(
                "re-planning from a live state does not handle hubs yet: households part-way through a hub would be lost; plan the scenario whole instead".into(),
            ));
        }
        if state.registered.is_empty() {
            self.remaining_listed(state)
        } else {
            self.with_registered(&state.registered)?.remaining_listed(state)
        }
    }

    /// [`Scenario::remaining`] once every household of the state is in `self`.
    fn remaining_listed(&self, state: &OperationState) -> Result<Remaining, StateError> {
        let t0 = state.at;
        let n = self.households.len();
        let mut gone = vec![false; n];
        let mut taken = vec![People(0); self.sites.len()];
        // Of `taken`, people of households without stretcher cases.
        let mut taken_general = vec![People(0); self.sites.len()];
        let mut done_from_site = vec![People(0); self.sites.len()];
        let mut aboard_from_site = vec![People(0); self.sites.len()];
        let mut mark = |h: HouseholdId, what: &str| -> Result<(), StateError> {
            let i = h.index();
            if i >= n {
                return Err(StateError(format!("household #{i} is not in the scenario")));
            }
            if std::mem::replace(&mut gone[i], true) {
                return Err(StateError(format!(
                    "household `{}` is listed twice (again as {what})",
                    self.households[i].reference
                )));
            }
            Ok(())
        };
        for &(h, d) in &state.delivered {
            mark(h, "delivered")?;
            if self.destination(d).is_none() {
                return Err(StateError(format!(
                    "household `{}` is said to be delivered to `{}`, which is not a destination",
                    self.household(h).reference,
                    self.site(d).name
                )));
            }
            let hh = self.household(h);
            if !self.destination_accepts(d, hh) {
                return Err(StateError(format!(
                    "household `{}` is said to be delivered to `{}`, which does not take it",
                    hh.reference,
                    self.site(d).name
                )));
            }
            taken[d.index()] += hh.people;
            if !hh.has_stretcher_cases() {
                taken_general[d.index()] += hh.people;
            }
            done_from_site[hh.site.index()] += hh.people;
        }
        let mut late = Vec::new();
        let mut start: Vec<Option<(SiteId, Seconds)>> = vec![None; self.vehicles.len()];
        let mut out_of_service = vec![false; self.vehicles.len()];
        let mut seen = vec![false; self.vehicles.len()];
        for (v, situation) in &state.vehicles {
            if std::mem::replace(&mut seen[v.index()], true) {
                return Err(StateError(format!(
                    "vehicle `{}` is listed twice",
                    self.vehicle(*v).name
                )));
            }
            match situation {
                VehicleSituation::OutOfService => out_of_service[v.index()] = true,
                VehicleSituation::InService {
                    at,
                    free_from,
                    on_board,
                } => {
                    if !on_board.is_empty() && self.destination(*at).is_none() {
                        return Err(StateError(format!(
                            "vehicle `{}` has people on board, so `at` must be the destination where it unloads them, not `{}`",
                            self.vehicle(*v).name,
                            self.site(*at).name
                        )));
                    }
                    let name = &self.vehicle(*v).name;
                    let vt = self.vehicle_type_of(*v);
                    let (mut seated, mut lying) = (People(0), People(0));
                    for &h in on_board {
                        mark(h, "on board")?;
                        let hh = self.household(h);
                        if !self.destination_accepts(*at, hh) {
                            return Err(StateError(format!(
                                "vehicle `{name}` is to unload household `{}` at `{}`, which does not take it",
                                hh.reference,
                                self.site(*at).name
                            )));
                        }
                        seated += hh.seated();
                        lying += hh.stretcher_cases;
                        taken[at.index()] += hh.people;
                        if !hh.has_stretcher_cases() {
                            taken_general[at.index()] += hh.people;
                        }
                        aboard_from_site[hh.site.index()] += hh.people;
                    }
                    // People already aboard are a fact, not a plan: the vehicle takes them
                    // where it is headed and is free after, so an overfull report is told,
                    // not refused (refusing it would stop the whole re-plan).
                    if seated > vt.seats || lying > vt.stretchers {
                        late.push(format!(
                            "vehicle `{name}` has {seated} seated and {lying} lying on board, more than its {} seats and {} stretcher slots; re-planned as reported",
                            vt.seats, vt.stretchers
                        ));
                    }
                    if *free_from > self.vehicle(*v).available_until {
                        late.push(format!(
                            "vehicle `{name}` is free only at {}, after its shift ends: it takes no new trip",
                            self.show_time(*free_from)
                        ));
                    }
                    start[v.index()] = Some((*at, *free_from));
                }
            }
        }

        let mut notes = late;
        let mut s = self.clone();
        let mut households = Vec::new();
        s.households = self
            .households
            .iter()
            .enumerate()
            .filter(|(i, _)| !gone[*i])
            .map(|(i, h)| {
                households.push(HouseholdId(i as u32));
                let mut h = h.clone();
                h.ready = h.ready.max(t0);
                h
            })
            .collect();
        let mut vehicles = Vec::new();
        s.vehicles = self
            .vehicles
            .iter()
            .enumerate()
            .filter(|(i, _)| !out_of_service[*i])
            .map(|(i, v)| {
                vehicles.push(VehicleId(i as u32));
                let mut v = v.clone();
                let (depot, free) = start[i].unwrap_or((v.depot, v.available_from));
                v.depot = depot;
                v.available_from = free.max(t0).max(v.available_from);
                v
            })
            .collect();
        for (i, site) in s.sites.iter_mut().enumerate() {
            let crate::scenario::SiteKind::Destination(d) = &mut site.kind else {
                continue;
            };
            // The places left to households without stretcher cases, before
            // the capacity shrinks: what they have taken comes off them.
            let general = d.general_places();
            if let Some(g) = general
                && taken_general[i] > g
                && d.reserved != crate::scenario::Reserved::Nothing
            {
                notes.push(format!(
                    "`{}` has taken {} people of households without stretcher cases, more than the {} places it does not reserve for stretcher cases",
                    site.name, taken_general[i], g
                ));
            }
            if let Some(c) = d.capacity.as_mut() {
                if taken[i] > *c {
                    notes.push(format!(
                        "`{}` has taken {} people, more than its capacity of {}",
                        site.name, taken[i], c
                    ));
                }
                *c = People(c.0.saturating_sub(taken[i].0));
            }
            // What remains reserved keeps the rule over the whole operation:
            // the general places left are `general − taken_general`, and the
            // capacity left less them is reserved.
            if let (crate::scenario::Reserved::Places(_), Some(c), Some(g)) =
                (d.reserved, d.capacity, general)
            {
                let open = People(g.0.saturating_sub(taken_general[i].0).min(c.0));
                d.reserved = crate::scenario::Reserved::Places(c - open);
            }
        }
        for closure in &state.closures {
            let c = &mut s.corridors[closure.corridor.index()];
            let reopens = closure.until.unwrap_or(Seconds::MAX);
            c.windows = cut(&c.windows, t0, reopens);
            if closure.until.is_none() {
                notes.push(format!(
                    "corridor `{}` is closed with no known reopening: nobody behind it can be planned",
                    c.name
                ));
            }
        }
        let group = |sites: &[SiteId], per_site: &[People]| -> People {
            sites.iter().map(|x| per_site[x.index()]).sum()
        };
        let waiting = |sites: &[SiteId], hs: &[crate::scenario::Household]| {
            hs.iter().any(|h| sites.contains(&h.site))
        };
        for deal in &mut s.deals {
            if let Some(r) = deal.ratio {
                let a0 =
                    group(&deal.group_a, &done_from_site) + group(&deal.group_a, &aboard_from_site);
                let b0 = group(&deal.group_b, &done_from_site);
                let allowance =
                    (r * f64::from(b0.0)).floor() + f64::from(deal.slack.0) - f64::from(a0.0);
                if allowance < 0.0 {
                    notes.push(format!(
                        "deal `{}` is already exceeded by {:.0} people; the re-plan only keeps further deliveries within it",
                        deal.name, -allowance
                    ));
                }
                deal.slack = People(allowance.clamp(0.0, f64::from(u32::MAX)) as u32);
            }
            if deal.a_leaves_last
                && !waiting(&deal.group_a, &s.households)
                && waiting(&deal.group_b, &s.households)
            {
                notes.push(format!(
                    "deal `{}`: group A has left already, so its last departure cannot follow group B's; the rule is dropped from the re-plan",
                    deal.name
                ));
                deal.a_leaves_last = false;
            }
        }
        Ok(Remaining {
            scenario: s,
            households,
            vehicles,
            notes,
        })
    }
}

impl Remaining {
    /// `plan` (made for the original scenario) restricted to what remains, in
    /// this scenario's ids: the vehicles still in service and the households
    /// still waiting, with the trips' order and destinations as they were.
    /// Its times are the old ones: a hint for the planner, not a plan to check.
    pub fn carry_over(&self, plan: &Plan) -> Plan {
        let invert = |ids: &[u32], n: usize| {
            let mut back = vec![None; n];
            for (new, &old) in ids.iter().enumerate() {
                if let Some(slot) = back.get_mut(old as usize) {
                    *slot = Some(new as u32);
                }
            }
            back
        };
        let hs: Vec<u32> = self.households.iter().map(|h| h.0).collect();
        let vs: Vec<u32> = self.vehicles.iter().map(|v| v.0).collect();
        let max_h = hs.iter().max().map_or(0, |m| *m as usize + 1);
        let max_v = vs.iter().max().map_or(0, |m| *m as usize + 1);
        let (h_new, v_new) = (invert(&hs, max_h), invert(&vs, max_v));
        let mut out = Plan::default();
        for r in &plan.routes {
            let Some(Some(v)) = v_new.get(r.vehicle.index()) else {
                continue;
            };
            let mut route = r.clone();
            route.vehicle = VehicleId(*v);
            for trip in &mut route.trips {
                for stop in &mut trip.stops {
                    stop.households = stop
                        .households
                        .iter()
                        .filter_map(|h| h_new.get(h.index()).copied().flatten().map(HouseholdId))
                        .collect();
                }
                trip.stops.retain(|st| !st.households.is_empty());
            }
            route.trips.retain(|t| !t.stops.is_empty());
            out.routes.push(route);
        }
        out
    }
}

impl Plan {
    /// What has happened by `t` if this plan was carried out as written: trips
    /// unloaded by then are delivered; a trip under way (its vehicle has left
    /// for it) is finished as planned, with its households on board; every
    /// other vehicle waits where its last trip left it. `lost` vehicles are out
    /// of service (the households of their trip under way wait again).
    pub fn state_at(&self, s: &Scenario, t: Seconds, lost: &[VehicleId]) -> OperationState {
        let mut state = OperationState {
            at: t,
            ..OperationState::default()
        };
        for r in &self.routes {
            let is_lost = lost.contains(&r.vehicle);
            let mut situation: Option<(SiteId, Seconds, Vec<HouseholdId>)> = None;
            for trip in &r.trips {
                if trip.unloaded <= t {
                    state
                        .delivered
                        .extend(trip.households().map(|h| (h, trip.destination)));
                    situation = Some((trip.destination, trip.unloaded, Vec::new()));
                } else {
                    if trip.departs <= t && !is_lost {
                        situation =
                            Some((trip.destination, trip.unloaded, trip.households().collect()));
                    }
                    break;
                }
            }
            if is_lost {
                state
                    .vehicles
                    .push((r.vehicle, VehicleSituation::OutOfService));
            } else if let Some((at, free_from, on_board)) = situation {
                state.vehicles.push((
                    r.vehicle,
                    VehicleSituation::InService {
                        at,
                        free_from,
                        on_board,
                    },
                ));
            }
        }
        for &v in lost {
            if !self.routes.iter().any(|r| r.vehicle == v) && v.index() < s.vehicles.len() {
                state.vehicles.push((v, VehicleSituation::OutOfService));
            }
        }
        state
    }
}

/// `windows` without the time `[from, until)`.
fn cut(windows: &[Window], from: Seconds, until: Seconds) -> Vec<Window> {
    let mut out = Vec::new();
    for w in windows {
        if w.end <= from || w.start >= until {
            out.push(*w);
            continue;
        }
        if w.start < from {
            out.push(Window {
                start: w.start,
                end: from,
            });
        }
        if w.end > until {
            out.push(Window {
                start: until,
                end: w.end,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Destination, Reserved, Site, Tier, TravelMatrix};

    /// A pickup site and a shelter of 10 places, `reserved` for stretcher
    /// cases; households of 3 (general), 2 (with a stretcher case) and 4 (general).
    fn shelter(reserved: Reserved) -> Scenario {
        let site = |name: &str, kind| Site {
            name: name.into(),
            kind,
            location: crate::LatLon { lat: 0.0, lon: 0.0 },
        };
        let household = |n: u32, people, lying| Household {
            reference: format!("h{n}"),
            site: SiteId(0),
            people: People(people),
            stretcher_cases: People(lying),
            tier: Tier::GENERAL,
            ready: Seconds::ZERO,
        };
        Scenario {
            name: "shelter".into(),
            clock: None,
            sites: vec![
                site("P", SiteKind::Pickup),
                site(
                    "Medical shelter",
                    SiteKind::Destination(Destination {
                        capacity: Some(People(10)),
                        accepts_stretcher_cases: true,
                        reserved,
                        serves: None,
                    }),
                ),
            ],
            households: vec![household(0, 3, 0), household(1, 2, 1), household(2, 4, 0)],
            vehicle_types: vec![],
            vehicles: vec![],
            corridors: vec![],
            deals: vec![],
            travel: TravelMatrix::unreachable(2),
            planning: Default::default(),
        }
    }

    fn left_after(s: &Scenario, delivered: &[u32]) -> (Destination, Vec<String>) {
        let state = OperationState {
            delivered: delivered
                .iter()
                .map(|&h| (HouseholdId(h), SiteId(1)))
                .collect(),
            ..OperationState::default()
        };
        let r = s.remaining(&state).expect("a consistent state");
        let d = r
            .scenario
            .destination(SiteId(1))
            .cloned()
            .expect("a destination");
        (d, r.notes)
    }

    #[test]
    fn what_others_have_taken_comes_off_the_places_not_reserved() {
        // 10 places, 6 reserved: 4 for others. 3 general and 2 lying delivered:
        // 5 places left, of which 1 for others, so 4 still reserved.
        let s = shelter(Reserved::Places(People(6)));
        let (d, notes) = left_after(&s, &[0, 1]);
        assert_eq!(d.capacity, Some(People(5)));
        assert_eq!(d.reserved, Reserved::Places(People(4)));
        assert_eq!(d.general_places(), Some(People(1)));
        assert!(notes.is_empty(), "{notes:?}");
        // The stretcher household alone: 8 left, 4 for others, 4 reserved.
        let (d, _) = left_after(&s, &[1]);
        assert_eq!(
            (d.capacity, d.general_places()),
            (Some(People(8)), Some(People(4)))
        );
        // 7 general people already there, 4 allowed: told, and none left to others.
        let (d, notes) = left_after(&s, &[0, 2]);
        assert_eq!(d.capacity, Some(People(3)));
        assert_eq!(d.general_places(), Some(People(0)));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("7 people of households without stretcher cases"));
    }

    #[test]
    fn a_shelter_reserved_whole_stays_reserved_whole() {
        let (d, _) = left_after(&shelter(Reserved::All), &[1]);
        assert_eq!(d.reserved, Reserved::All);
        assert_eq!(d.capacity, Some(People(8)));
    }

    fn w(a: i64, b: i64) -> Window {
        Window {
            start: Seconds(a),
            end: Seconds(b),
        }
    }

    #[test]
    fn a_closure_cuts_windows() {
        let ws = [w(0, 10), w(20, 30), w(40, 50)];
        assert_eq!(
            cut(&ws, Seconds(5), Seconds(25)),
            vec![w(0, 5), w(25, 30), w(40, 50)]
        );
        assert_eq!(cut(&ws, Seconds(12), Seconds(18)), ws.to_vec());
        assert_eq!(cut(&ws, Seconds(5), Seconds::MAX), vec![w(0, 5)]);
        assert_eq!(
            cut(&ws, Seconds(20), Seconds(30)),
            vec![w(0, 10), w(40, 50)]
        );
    }
}
