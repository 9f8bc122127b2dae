//! What the operations room reads: manifests, timetables, reconciliation,
//! conflicts, one household's whereabouts, and aggregates without references.
//!
//! Every view is a typed, serialisable value computed from a [`LiveState`], so
//! the server, the command line and the tests present the same answer.

use corridor_core::{Scenario, Seconds, SiteId, SiteKind, VehicleId};
use serde::Serialize;

use crate::live::{HouseholdRecord, LiveState};

/// An instant for people and programs: `2016-12-15T05:00:00+02:00` when the
/// scenario has a start, else a duration from the start (`+1d 02:00`).
pub fn iso(s: &Scenario, t: Seconds) -> String {
    match &s.clock {
        None => format!("+{t}"),
        Some(c) => {
            let local = c
                .unix_start
                .saturating_add(t.0)
                .saturating_add(i64::from(c.utc_offset_minutes) * 60)
                .clamp(-(1 << 45), 1 << 45);
            let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
            let (y, m, d) = corridor_core::civil_from_days(days);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60,
                c.offset_text()
            )
        }
    }
}

/// One household on a manifest.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestHousehold {
    /// Reference.
    pub household: String,
    /// People.
    pub people: u32,
    /// Lying cases.
    pub stretcher_cases: u32,
    /// Tier 1–3.
    pub tier: u8,
    /// Gathering point.
    pub site: String,
    /// In the plan on this trip.
    pub planned: bool,
    /// `waiting`, `registered`, `on_board`, `arrived`, `no_show`, `stayed`, or `on_other_vehicle`.
    pub status: String,
    /// When it boarded this trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boarded_at: Option<String>,
    /// Where it went instead, when it boarded another vehicle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boarded_instead: Option<String>,
}

/// One planned stop.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestStop {
    /// Site.
    pub site: String,
    /// Planned arrival.
    pub arrives: String,
    /// Planned departure.
    pub departs: String,
    /// Households planned to board here.
    pub households: Vec<String>,
}

/// One trip of a vehicle: the plan and what happened.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestTrip {
    /// Trip number from 1.
    pub trip: u32,
    /// Planned departure from the first stop (absent for trips outside the plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departs: Option<String>,
    /// Planned destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Planned arrival at the destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrives: Option<String>,
    /// Corridor crossed, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corridor: Option<String>,
    /// Planned stops.
    pub stops: Vec<ManifestStop>,
    /// Planned and boarded households.
    pub households: Vec<ManifestHousehold>,
    /// People planned.
    pub planned_people: u32,
    /// People boarded.
    pub boarded_people: u32,
    /// When it departed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departed_at: Option<String>,
    /// Driver's headcount at departure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headcount: Option<u32>,
    /// When it passed the checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_at: Option<String>,
    /// Where it arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<String>,
    /// Destination it arrived at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_destination: Option<String>,
}

/// A vehicle's manifest.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Manifest {
    /// Vehicle.
    pub vehicle: String,
    /// Its type.
    pub vehicle_type: String,
    /// Seats.
    pub seats: u32,
    /// Stretcher slots.
    pub stretchers: u32,
    /// The active plan's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Out of service since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_service_since: Option<String>,
    /// Trips, planned ones first, then trips the field recorded beyond the plan.
    pub trips: Vec<ManifestTrip>,
}

fn manifest_household(st: &LiveState, h: &HouseholdRecord, v: VehicleId, trip: u32, planned: bool) -> ManifestHousehold {
    let s = &st.scenario;
    let (status, boarded_at, instead) = match h.boarded {
        Some((bv, bt, at)) if (bv, bt) == (v, trip) => (h.status().to_string(), Some(iso(s, at)), None),
        Some((bv, bt, _)) => (
            "on_other_vehicle".to_string(),
            None,
            Some(format!("{} trip {bt}", s.vehicle(bv).name)),
        ),
        None => (h.status().to_string(), None, None),
    };
    ManifestHousehold {
        household: h.reference.clone(),
        people: h.people.0,
        stretcher_cases: h.stretcher_cases.0,
        tier: h.tier.number(),
        site: s.site(h.site).name.clone(),
        planned,
        status,
        boarded_at,
        boarded_instead: instead,
    }
}

impl LiveState {
    /// A vehicle by name.
    pub fn vehicle_id(&self, name: &str) -> Option<VehicleId> {
        self.scenario
            .vehicles
            .iter()
            .position(|v| v.name == name)
            .map(|i| VehicleId(i as u32))
    }

    /// A pickup site by name.
    pub fn site_id(&self, name: &str) -> Option<SiteId> {
        self.scenario
            .sites
            .iter()
            .position(|x| x.name == name)
            .map(|i| SiteId(i as u32))
    }

    /// The manifest of vehicle `v`: per trip, who the plan puts on it and who boarded.
    pub fn manifest(&self, v: VehicleId) -> Manifest {
        let s = &self.scenario;
        let vt = s.vehicle_type_of(v);
        let mut trips = Vec::new();
        let planned_trips = self
            .active
            .as_ref()
            .and_then(|a| a.route_of[v.index()].map(|r| a.plan.routes[r].trips.len()))
            .unwrap_or(0) as u32;
        let recorded_max = self
            .trips
            .range((v, 0)..=(v, u32::MAX))
            .map(|((_, t), _)| *t)
            .max()
            .unwrap_or(0);
        for n in 1..=planned_trips.max(recorded_max) {
            let plan_trip = self.active.as_ref().and_then(|a| a.trip(v, n));
            let record = self.trips.get(&(v, n));
            if plan_trip.is_none() && record.is_none() {
                continue;
            }
            let mut households = Vec::new();
            let mut stops = Vec::new();
            let mut planned_people = 0;
            if let Some(t) = plan_trip {
                for stop in &t.stops {
                    let mut refs = Vec::new();
                    for &h in &stop.households {
                        let rec = &self.households[h.index()];
                        planned_people += s.household(h).people.0;
                        refs.push(rec.reference.clone());
                        households.push(manifest_household(self, rec, v, n, true));
                    }
                    stops.push(ManifestStop {
                        site: s.site(stop.site).name.clone(),
                        arrives: iso(s, stop.arrives),
                        departs: iso(s, stop.departs),
                        households: refs,
                    });
                }
            }
            if let Some(r) = record {
                for &h in &r.boarded {
                    let rec = &self.households[h];
                    if !households.iter().any(|x: &ManifestHousehold| x.household == rec.reference) {
                        households.push(manifest_household(self, rec, v, n, false));
                    }
                }
            }
            trips.push(ManifestTrip {
                trip: n,
                departs: plan_trip.map(|t| iso(s, t.departs)),
                destination: plan_trip.map(|t| s.site(t.destination).name.clone()),
                arrives: plan_trip.map(|t| iso(s, t.arrives)),
                corridor: plan_trip
                    .and_then(|t| t.crossing.as_ref())
                    .map(|c| s.corridors[c.corridor.index()].name.clone()),
                stops,
                households,
                planned_people,
                boarded_people: record.map_or(0, |r| (r.seated + r.lying).0),
                departed_at: record.and_then(|r| r.departed).map(|d| iso(s, d.0)),
                headcount: record.and_then(|r| r.departed).and_then(|d| d.1),
                checkpoint_at: record.and_then(|r| r.checkpoint).map(|c| iso(s, c.1)),
                arrived_at: record.and_then(|r| r.arrived).map(|a| iso(s, a.1)),
                arrived_destination: record
                    .and_then(|r| r.arrived)
                    .map(|a| s.site(a.0).name.clone()),
            });
        }
        Manifest {
            vehicle: s.vehicle(v).name.clone(),
            vehicle_type: vt.name.clone(),
            seats: vt.seats.0,
            stretchers: vt.stretchers.0,
            plan: self.active.as_ref().map(|a| a.id.clone()),
            out_of_service_since: self.vehicles[v.index()].out_of_service.map(|t| iso(s, t)),
            trips,
        }
    }

    /// A gathering point's timetable: every planned trip that loads there, in time order.
    pub fn timetable(&self, site: SiteId) -> Timetable {
        let s = &self.scenario;
        let mut rows = Vec::new();
        if let Some(a) = &self.active {
            for r in &a.plan.routes {
                for (ti, t) in r.trips.iter().enumerate() {
                    for stop in t.stops.iter().filter(|x| x.site == site && !x.households.is_empty()) {
                        let trip = ti as u32 + 1;
                        let boarded = self.trips.get(&(r.vehicle, trip));
                        rows.push(TimetableRow {
                            vehicle: s.vehicle(r.vehicle).name.clone(),
                            trip,
                            arrives: iso(s, stop.arrives),
                            departs: iso(s, stop.departs),
                            destination: s.site(t.destination).name.clone(),
                            households: stop
                                .households
                                .iter()
                                .map(|h| self.households[h.index()].reference.clone())
                                .collect(),
                            people: stop.households.iter().map(|&h| s.household(h).people.0).sum(),
                            parties: stop
                                .households
                                .iter()
                                .map(|&h| {
                                    // As registered now (a corrected size, a split), like the manifests.
                                    let r = &self.households[h.index()];
                                    Party {
                                        household: r.reference.clone(),
                                        people: r.people.0,
                                        stretcher_cases: r.stretcher_cases.0,
                                    }
                                })
                                .collect(),
                            boarded_people: boarded.map_or(0, |b| {
                                b.boarded
                                    .iter()
                                    .filter(|&&h| self.households[h].site == site)
                                    .map(|&h| self.households[h].people.0)
                                    .sum()
                            }),
                            departed: boarded.is_some_and(|b| b.departed.is_some()),
                            sort: stop.arrives,
                        });
                    }
                }
            }
        }
        rows.sort_by(|a, b| a.sort.cmp(&b.sort).then_with(|| a.vehicle.cmp(&b.vehicle)));
        Timetable {
            site: s.site(site).name.clone(),
            plan: self.active.as_ref().map(|a| a.id.clone()),
            rows,
        }
    }

    /// Where a household is: registered where, boarded which vehicle and trip, arrived where and when.
    pub fn whereabouts(&self, reference: &str) -> Option<Whereabouts> {
        let (i, h) = self.household(reference)?;
        let s = &self.scenario;
        let planned = self.active.as_ref().and_then(|a| {
            h.registry
                .and_then(|r| a.planned.get(r.index()).copied().flatten())
                .map(|(v, t)| PlannedTrip {
                    vehicle: s.vehicle(v).name.clone(),
                    trip: t,
                    departs: a.trip(v, t).map(|x| iso(s, x.departs)),
                    destination: a.trip(v, t).map(|x| s.site(x.destination).name.clone()),
                })
        });
        let _ = i;
        Some(Whereabouts {
            household: h.reference.clone(),
            people: h.people.0,
            stretcher_cases: h.stretcher_cases.0,
            tier: h.tier.number(),
            site: s.site(h.site).name.clone(),
            status: h.status().to_string(),
            in_registry: h.registry.is_some(),
            registered_at: h.registered.map(|t| iso(s, t)),
            planned,
            vehicle: h.boarded.map(|b| s.vehicle(b.0).name.clone()),
            trip: h.boarded.map(|b| b.1),
            boarded_at: h.boarded.map(|b| iso(s, b.2)),
            destination: h.arrived.map(|a| s.site(a.0).name.clone()),
            arrived_at: h.arrived.map(|a| iso(s, a.1)),
            split_from: h.split_from.clone(),
            last_event: h.last.as_ref().map(|l| LastEvent {
                kind: l.0.to_string(),
                at: iso(s, l.1),
                id: l.2.clone(),
            }),
        })
    }

    /// Open and resolved conflicts, open first.
    pub fn conflict_list(&self, include_resolved: bool) -> Vec<ConflictView> {
        let s = &self.scenario;
        let mut out: Vec<ConflictView> = self
            .conflicts
            .iter()
            .filter(|c| include_resolved || c.resolved.is_none())
            .map(|c| ConflictView {
                event: c.event.clone(),
                rule: c.rule.to_string(),
                household: c.household.clone(),
                vehicle: c.vehicle.map(|v| s.vehicle(v).name.clone()),
                message: c.message.clone(),
                first: c.first.clone(),
                at: iso(s, c.at),
                second_version: c.has_second_version(),
                resolved_by: c.resolved.as_ref().map(|r| r.0.clone()),
                accepted: c.resolved.as_ref().map(|r| {
                    match r.1 {
                        crate::event::Accept::First => "first",
                        crate::event::Accept::Second => "second",
                    }
                    .to_string()
                }),
            })
            .collect();
        out.sort_by_key(|c| c.resolved_by.is_some());
        out
    }

    /// Per site, vehicle trip and destination: who is where; the unaccounted; whether all are accounted for.
    pub fn reconciliation(&self, now: Seconds) -> Reconciliation {
        let s = &self.scenario;
        let mut sites: Vec<SiteCounts> = Vec::new();
        let mut site_row = vec![usize::MAX; s.sites.len()];
        for (i, site) in s.sites.iter().enumerate() {
            if matches!(site.kind, SiteKind::Pickup) {
                site_row[i] = sites.len();
                sites.push(SiteCounts {
                    site: site.name.clone(),
                    ..SiteCounts::default()
                });
            }
        }
        let mut dests: Vec<DestinationCounts> = Vec::new();
        let mut dest_row = vec![usize::MAX; s.sites.len()];
        for (i, site) in s.sites.iter().enumerate() {
            if let SiteKind::Destination(d) = &site.kind {
                dest_row[i] = dests.len();
                let places_not_reserved = d
                    .general_places()
                    .filter(|_| d.reserved != corridor_core::Reserved::Nothing)
                    .map(|c| c.0);
                dests.push(DestinationCounts {
                    destination: site.name.clone(),
                    capacity: d.capacity.map(|c| c.0),
                    places_not_reserved,
                    arrived_people_without_stretcher_cases: places_not_reserved.map(|_| 0),
                    ..DestinationCounts::default()
                });
            }
        }
        let mut totals = SiteCounts {
            site: "all".into(),
            ..SiteCounts::default()
        };
        let mut unaccounted = Vec::new();
        let mut complete = true;
        for h in &self.households {
            let p = h.people.0;
            count(&mut totals, h, p);
            if let Some(&row) = site_row.get(h.site.index())
                && row != usize::MAX
            {
                count(&mut sites[row], h, p);
            }
            if let Some((d, _)) = h.arrived
                && let Some(&j) = dest_row.get(d.index())
                && j != usize::MAX
            {
                dests[j].arrived_households += 1;
                dests[j].arrived_people += p;
                if h.stretcher_cases.0 == 0
                    && let Some(others) = &mut dests[j].arrived_people_without_stretcher_cases
                {
                    *others += p;
                }
            }
            if !h.accounted() {
                complete = false;
            }
            if h.on_board() {
                let last = h.last.as_ref();
                unaccounted.push(Unaccounted {
                    household: h.reference.clone(),
                    people: p,
                    site: s.site(h.site).name.clone(),
                    vehicle: h.boarded.map(|b| s.vehicle(b.0).name.clone()),
                    trip: h.boarded.map(|b| b.1),
                    last_event: last.map(|l| LastEvent {
                        kind: l.0.to_string(),
                        at: iso(s, l.1),
                        id: l.2.clone(),
                    }),
                    age_seconds: last.map_or(0, |l| (now - l.1).0.max(0)),
                });
            }
        }
        unaccounted.sort_by(|a, b| b.age_seconds.cmp(&a.age_seconds).then_with(|| a.household.cmp(&b.household)));
        let trips = self
            .trips
            .iter()
            .map(|(&(v, t), r)| {
                let arrived: Vec<_> = r.boarded.iter().filter(|&&h| self.households[h].arrived.is_some()).collect();
                TripCounts {
                    vehicle: s.vehicle(v).name.clone(),
                    trip: t,
                    boarded_households: r.boarded.len() as u32,
                    boarded_people: (r.seated + r.lying).0,
                    arrived_households: arrived.len() as u32,
                    arrived_people: arrived.iter().map(|&&h| self.households[h].people.0).sum(),
                    departed: r.departed.is_some(),
                    headcount: r.departed.and_then(|d| d.1),
                    destination: r.arrived.map(|a| s.site(a.0).name.clone()),
                }
            })
            .collect();
        Reconciliation {
            at: iso(s, now),
            events: self.events,
            totals,
            sites,
            trips,
            destinations: dests,
            unaccounted,
            open_conflicts: self.conflicts.iter().filter(|c| c.resolved.is_none()).count() as u32,
            complete,
        }
    }

    /// Counts only, for monitors: per site and tier, corridor, destination, and vehicle positions.
    /// No household reference appears in it.
    pub fn summary(&self) -> Summary {
        let s = &self.scenario;
        let now = self.latest.unwrap_or(Seconds::ZERO);
        let rec = self.reconciliation(now);
        let mut tiers = [TierCounts::default(), TierCounts::default(), TierCounts::default()];
        for (i, t) in tiers.iter_mut().enumerate() {
            t.tier = i as u8 + 1;
        }
        for h in &self.households {
            let t = &mut tiers[h.tier.index()];
            t.people += h.people.0;
            match h.status() {
                "arrived" => t.arrived += h.people.0,
                "on_board" => t.on_board += h.people.0,
                "no_show" | "stayed" => t.accounted_otherwise += h.people.0,
                _ => t.waiting += h.people.0,
            }
        }
        let corridors = s
            .corridors
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let crossed: u32 = self
                    .trips
                    .values()
                    .filter(|t| t.checkpoint.is_some_and(|x| x.0.index() == i))
                    .map(|t| (t.seated + t.lying).0)
                    .sum();
                let closed = self.corridors[i].closed;
                CorridorCounts {
                    corridor: c.name.clone(),
                    closed: closed.is_some(),
                    closed_since: closed.map(|x| iso(s, x.0)),
                    reopens: closed.and_then(|x| x.1).map(|t| iso(s, t)),
                    crossings: self
                        .trips
                        .values()
                        .filter(|t| t.checkpoint.is_some_and(|x| x.0.index() == i))
                        .count() as u32,
                    people_crossed: crossed,
                }
            })
            .collect();
        Summary {
            at: rec.at,
            events: rec.events,
            totals: rec.totals,
            sites: rec.sites,
            tiers: tiers.to_vec(),
            corridors,
            destinations: rec.destinations,
            vehicles: self.positions(),
            unaccounted_households: rec.unaccounted.len() as u32,
            unaccounted_people: rec.unaccounted.iter().map(|u| u.people).sum(),
            open_conflicts: rec.open_conflicts,
            complete: rec.complete,
        }
    }

    /// Every vehicle with its latest movement (no household references).
    pub fn positions(&self) -> Vec<VehiclePosition> {
        let s = &self.scenario;
        s.vehicles
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let r = &self.vehicles[i];
                let pos = r.position.as_ref();
                let aboard = pos.map_or(0, |p| {
                    self.trips
                        .get(&(VehicleId(i as u32), p.trip))
                        .map_or(0, |t| {
                            t.boarded
                                .iter()
                                .filter(|&&h| self.households[h].on_board())
                                .map(|&h| self.households[h].people.0)
                                .sum()
                        })
                });
                let site = pos.and_then(|p| p.site).unwrap_or(v.depot);
                VehiclePosition {
                    vehicle: v.name.clone(),
                    vehicle_type: s.vehicle_types[v.vehicle_type.index()].name.clone(),
                    status: if r.out_of_service.is_some() {
                        "out_of_service".into()
                    } else {
                        pos.map_or("at_depot", |p| p.kind).to_string()
                    },
                    trip: pos.map(|p| p.trip),
                    site: s.site(site).name.clone(),
                    lat: s.site(site).location.lat,
                    lon: s.site(site).location.lon,
                    at: pos.map(|p| iso(s, p.at)),
                    people_on_board: aboard,
                }
            })
            .collect()
    }
}

fn count(r: &mut SiteCounts, h: &HouseholdRecord, p: u32) {
    if h.registry.is_some() {
        r.expected_households += 1;
        r.expected_people += p;
    }
    if h.registered.is_some() {
        r.registered_households += 1;
        r.registered_people += p;
    }
    if h.boarded.is_some() {
        r.boarded_households += 1;
        r.boarded_people += p;
    }
    if h.arrived.is_some() {
        r.arrived_households += 1;
        r.arrived_people += p;
    }
    if h.no_show.is_some() && h.boarded.is_none() {
        r.no_show_households += 1;
    }
    if h.stayed.is_some() {
        r.stayed_households += 1;
    }
    if h.boarded.is_none() && h.arrived.is_none() && h.no_show.is_none() && h.stayed.is_none() {
        r.waiting_households += 1;
        r.waiting_people += p;
    }
}

/// A gathering point's planned pickups.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timetable {
    /// Site.
    pub site: String,
    /// Active plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Pickups in time order.
    pub rows: Vec<TimetableRow>,
}

/// One pickup.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimetableRow {
    /// Vehicle.
    pub vehicle: String,
    /// Trip number.
    pub trip: u32,
    /// Planned arrival at the site.
    pub arrives: String,
    /// Planned departure.
    pub departs: String,
    /// Where it goes.
    pub destination: String,
    /// Households to board here.
    pub households: Vec<String>,
    /// People to board here.
    pub people: u32,
    /// Each household to board here with its people, in the order of `households`: what a
    /// boarding card says, for a registrar who may not read the vehicles' manifests.
    pub parties: Vec<Party>,
    /// People from this site boarded so far.
    pub boarded_people: u32,
    /// Whether the trip has left.
    pub departed: bool,
    #[serde(skip)]
    sort: Seconds,
}

/// A household on a timetable: its reference and how many it is.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party {
    /// Household reference.
    pub household: String,
    /// People in it.
    pub people: u32,
    /// Of whom lying down.
    pub stretcher_cases: u32,
}

/// The latest event about someone.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastEvent {
    /// Kind.
    pub kind: String,
    /// Device time.
    pub at: String,
    /// Event id.
    pub id: String,
}

/// Where the plan puts a household.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedTrip {
    /// Vehicle.
    pub vehicle: String,
    /// Trip number.
    pub trip: u32,
    /// Planned departure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departs: Option<String>,
    /// Planned destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// One household's whereabouts.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Whereabouts {
    /// Reference.
    pub household: String,
    /// People.
    pub people: u32,
    /// Lying cases.
    pub stretcher_cases: u32,
    /// Tier.
    pub tier: u8,
    /// Gathering point.
    pub site: String,
    /// `waiting`, `registered`, `on_board`, `arrived`, `no_show`, `stayed`.
    pub status: String,
    /// Whether the registry listed it.
    pub in_registry: bool,
    /// When it registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    /// Its place in the active plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned: Option<PlannedTrip>,
    /// The vehicle it boarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// The trip number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trip: Option<u32>,
    /// When it boarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boarded_at: Option<String>,
    /// Where it arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// When it arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<String>,
    /// The household it split from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_from: Option<String>,
    /// The latest event about it (last seen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event: Option<LastEvent>,
}

/// A conflict for the operations room.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConflictView {
    /// The id of the event that raised it; a `resolved` event names it in `conflict`.
    pub event: String,
    /// The rule (`boarded-twice`, `headcount-mismatch`, ...).
    pub rule: String,
    /// Household.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household: Option<String>,
    /// Vehicle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// Both versions, in words.
    pub message: String,
    /// The earlier event it contradicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Device time of the conflicting event.
    pub at: String,
    /// Whether `accept: second` would change the state.
    pub second_version: bool,
    /// The `resolved` event, once settled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    /// `first` or `second`, once settled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
}

/// Counts of households and people at one gathering point (or all of them).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteCounts {
    /// Site name, or `all`.
    pub site: String,
    /// Listed by the registry.
    pub expected_households: u32,
    /// People listed by the registry.
    pub expected_people: u32,
    /// Registered at the gathering point.
    pub registered_households: u32,
    /// People registered.
    pub registered_people: u32,
    /// Boarded.
    pub boarded_households: u32,
    /// People boarded.
    pub boarded_people: u32,
    /// Arrived at a destination.
    pub arrived_households: u32,
    /// People arrived.
    pub arrived_people: u32,
    /// No-shows (not boarded since).
    pub no_show_households: u32,
    /// Stayed by choice.
    pub stayed_households: u32,
    /// Not yet boarded nor accounted for.
    pub waiting_households: u32,
    /// People waiting.
    pub waiting_people: u32,
}

/// One vehicle trip's counts.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TripCounts {
    /// Vehicle.
    pub vehicle: String,
    /// Trip number.
    pub trip: u32,
    /// Households boarded.
    pub boarded_households: u32,
    /// People boarded.
    pub boarded_people: u32,
    /// Of them, households arrived.
    pub arrived_households: u32,
    /// People arrived.
    pub arrived_people: u32,
    /// Whether it departed.
    pub departed: bool,
    /// Driver's headcount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headcount: Option<u32>,
    /// Where it arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// A destination's arrivals.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DestinationCounts {
    /// Destination.
    pub destination: String,
    /// Households arrived.
    pub arrived_households: u32,
    /// People arrived.
    pub arrived_people: u32,
    /// Capacity, when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Where places are reserved for stretcher cases: the places left to
    /// households without them (capacity less the reserved places).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub places_not_reserved: Option<u32>,
    /// Where places are reserved for stretcher cases: people arrived of
    /// households without them, who may fill at most `places_not_reserved`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_people_without_stretcher_cases: Option<u32>,
}

/// Boarded and not arrived.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unaccounted {
    /// Reference.
    pub household: String,
    /// People.
    pub people: u32,
    /// Gathering point.
    pub site: String,
    /// Vehicle boarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// Trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trip: Option<u32>,
    /// Last event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event: Option<LastEvent>,
    /// Seconds since the last event (device time).
    pub age_seconds: i64,
}

/// The reconciliation report.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reconciliation {
    /// The instant ages are measured at.
    pub at: String,
    /// Events in the log.
    pub events: u64,
    /// All sites together.
    pub totals: SiteCounts,
    /// Per gathering point.
    pub sites: Vec<SiteCounts>,
    /// Per vehicle trip that has events.
    pub trips: Vec<TripCounts>,
    /// Per destination.
    pub destinations: Vec<DestinationCounts>,
    /// Boarded, not arrived: oldest last event first.
    pub unaccounted: Vec<Unaccounted>,
    /// Conflicts not yet resolved.
    pub open_conflicts: u32,
    /// True only when every household has arrived somewhere or is accounted for (no-show, stayed).
    pub complete: bool,
}

/// People per tier by status.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierCounts {
    /// Tier 1–3.
    pub tier: u8,
    /// People.
    pub people: u32,
    /// Waiting.
    pub waiting: u32,
    /// On board.
    pub on_board: u32,
    /// Arrived.
    pub arrived: u32,
    /// No-show or stayed.
    pub accounted_otherwise: u32,
}

/// A corridor's counts and state.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorridorCounts {
    /// Corridor.
    pub corridor: String,
    /// Closed by an incident.
    pub closed: bool,
    /// Since when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_since: Option<String>,
    /// Expected reopening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopens: Option<String>,
    /// Vehicle trips that passed.
    pub crossings: u32,
    /// People carried through.
    pub people_crossed: u32,
}

/// A vehicle's latest known position.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VehiclePosition {
    /// Vehicle.
    pub vehicle: String,
    /// Type.
    pub vehicle_type: String,
    /// `at_depot`, `boarded`, `departed`, `checkpoint`, `arrived`, `out_of_service`.
    pub status: String,
    /// Trip number of its latest event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trip: Option<u32>,
    /// The last site it was seen at (its depot before any event).
    pub site: String,
    /// Latitude of that site.
    pub lat: f64,
    /// Longitude of that site.
    pub lon: f64,
    /// Device time of its latest event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// People on board.
    pub people_on_board: u32,
}

/// Aggregates for monitors: counts and vehicle movements, never a household reference.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// The latest device time in the log.
    pub at: String,
    /// Events in the log.
    pub events: u64,
    /// All sites together.
    pub totals: SiteCounts,
    /// Per gathering point.
    pub sites: Vec<SiteCounts>,
    /// Per tier.
    pub tiers: Vec<TierCounts>,
    /// Per corridor.
    pub corridors: Vec<CorridorCounts>,
    /// Per destination.
    pub destinations: Vec<DestinationCounts>,
    /// Vehicle positions.
    pub vehicles: Vec<VehiclePosition>,
    /// Households boarded and not arrived.
    pub unaccounted_households: u32,
    /// Their people.
    pub unaccounted_people: u32,
    /// Conflicts not yet resolved.
    pub open_conflicts: u32,
    /// Everyone accounted for.
    pub complete: bool,
}
