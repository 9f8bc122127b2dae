//! Re-planning from a live state: the remaining scenario's plans, joined to
//! what already happened, keep every rule of the original scenario (the
//! argument in `Scenario::remaining`, checked here by the validator).

mod common;
use common::generated;

use corridor_core::{
    Closure, CorridorId, OperationState, Plan, Scenario, Seconds, VehicleId, VehicleRoute,
    VehicleSituation,
};
use corridor_plan::{Options, plan, plan_following};

fn options() -> Options {
    Options {
        seed: 2,
        iterations: Some(150),
        threads: 1,
        ..Default::default()
    }
}

/// What happened by `t0` if `plan` was carried out as written: trips unloaded
/// by then are done; a trip whose people boarded and that has passed its
/// checkpoint (or has none) is finished as planned; a trip not yet past its
/// checkpoint is called off (its people wait again) and the vehicle is free
/// where its last finished trip left it.
fn past(plan: &Plan, t0: Seconds, lost: Option<VehicleId>) -> (OperationState, Vec<VehicleRoute>) {
    let mut state = OperationState {
        at: t0,
        ..OperationState::default()
    };
    let mut kept = Vec::new();
    for r in &plan.routes {
        if Some(r.vehicle) == lost {
            state
                .vehicles
                .push((r.vehicle, VehicleSituation::OutOfService));
            // What it did before it was lost still happened.
            let done: Vec<_> = r
                .trips
                .iter()
                .filter(|t| t.unloaded <= t0)
                .cloned()
                .collect();
            for t in &done {
                state
                    .delivered
                    .extend(t.households().map(|h| (h, t.destination)));
            }
            kept.push(VehicleRoute {
                vehicle: r.vehicle,
                trips: done,
                returns_at: None,
            });
            continue;
        }
        let mut trips = Vec::new();
        let mut situation = None;
        for t in &r.trips {
            if t.unloaded <= t0 {
                state
                    .delivered
                    .extend(t.households().map(|h| (h, t.destination)));
                situation = Some((t.destination, t.unloaded, vec![]));
                trips.push(t.clone());
            } else if t.departs <= t0
                && t.crossing.as_ref().is_none_or(|c| c.ends <= t0)
                && t.stops.iter().all(|st| st.departs <= t0)
            {
                situation = Some((t.destination, t.unloaded, t.households().collect()));
                trips.push(t.clone());
                break;
            } else {
                break;
            }
        }
        // A vehicle with no finished trip was called back: it is at its depot again.
        if let Some((at, free_from, on_board)) = situation {
            state.vehicles.push((
                r.vehicle,
                VehicleSituation::InService {
                    at,
                    free_from,
                    on_board,
                },
            ));
        }
        kept.push(VehicleRoute {
            vehicle: r.vehicle,
            trips,
            returns_at: None,
        });
    }
    (state, kept)
}

/// The past joined to the re-plan, in the original scenario's ids.
fn join(s: &Scenario, kept: Vec<VehicleRoute>, rem: &corridor_core::Remaining, new: &Plan) -> Plan {
    let convoy_base = kept
        .iter()
        .flat_map(|r| r.trips.iter())
        .filter_map(|t| t.crossing.as_ref().and_then(|c| c.convoy))
        .max()
        .map_or(0, |m| m + 1);
    let mut routes = kept;
    for r in &new.routes {
        let v = rem.vehicles[r.vehicle.index()];
        let slot = match routes.iter().position(|x| x.vehicle == v) {
            Some(i) => i,
            None => {
                routes.push(VehicleRoute {
                    vehicle: v,
                    trips: vec![],
                    returns_at: None,
                });
                routes.len() - 1
            }
        };
        for t in &r.trips {
            let mut t = t.clone();
            for st in &mut t.stops {
                for h in &mut st.households {
                    *h = rem.households[h.index()];
                }
            }
            if let Some(c) = t.crossing.as_mut() {
                c.convoy = c.convoy.map(|id| id + convoy_base);
            }
            routes[slot].trips.push(t);
        }
        routes[slot].returns_at = r.returns_at;
    }
    for r in &mut routes {
        if s.vehicle(r.vehicle).return_depot.is_some()
            && r.returns_at.is_none()
            && !r.trips.is_empty()
        {
            // A vehicle with nothing left to do goes home after its last trip.
            let last = r.trips.last().expect("has trips");
            let back = s.travel_for(
                r.vehicle,
                last.destination,
                s.vehicle(r.vehicle).return_depot.expect("set"),
            );
            r.returns_at = back.map(|b| last.unloaded + b);
        }
    }
    routes.retain(|r| !r.trips.is_empty());
    let mut uncarried = new.uncarried.clone();
    for u in &mut uncarried {
        u.household = rem.households[u.household.index()];
    }
    Plan { routes, uncarried }
}

#[test]
fn the_past_joined_to_a_replan_keeps_every_rule() {
    for (seed, deal) in [(1, true), (2, true), (3, false)] {
        let s = generated(corridor_generate::Options {
            seed,
            households: 150,
            sites: 6,
            vehicles: 8,
            corridor: true,
            windows: 3,
            deal,
            ..corridor_generate::Options::default()
        });
        let first = plan(&s, &options(), &|| false, &|_| {})
            .expect("plannable")
            .plan;
        assert!(corridor_check::check(&s, &first).is_empty());
        let end = corridor_core::Figures::of(&s, &first).makespan;
        for (k, fraction) in [0.25, 0.5, 0.8].into_iter().enumerate() {
            let t0 = Seconds((end.0 as f64 * fraction) as i64);
            let lost = (k == 1).then_some(VehicleId(0));
            let (mut state, kept) = past(&first, t0, lost);
            if k == 2 {
                // The corridor closes now for two hours.
                state.closures.push(Closure {
                    corridor: CorridorId(0),
                    until: Some(t0 + Seconds::from_hours(2)),
                });
            }
            if k > 0 {
                assert!(
                    !state.delivered.is_empty(),
                    "seed {seed}: nothing happened by {t0}"
                );
            }
            let rem = s.remaining(&state).expect("a consistent state");
            let hint = rem.carry_over(&first);
            let new = plan_following(&rem.scenario, Some(&hint), &options(), &|| false, &|_| {})
                .expect("plannable")
                .plan;
            let v = corridor_check::check(&rem.scenario, &new);
            assert!(
                v.is_empty(),
                "seed {seed} at {t0}: the re-plan breaks rules: {v:#?}"
            );
            for r in &new.routes {
                let vehicle = rem.scenario.vehicle(r.vehicle);
                assert!(
                    r.trips[0].departs >= t0,
                    "a re-planned trip leaves before the state's instant"
                );
                assert!(r.trips[0].departs >= vehicle.available_from);
            }
            let joined = join(&s, kept, &rem, &new);
            let v = corridor_check::check(&s, &joined);
            assert!(
                v.is_empty(),
                "seed {seed} at {t0} (case {k}): the past and the re-plan together break rules: {v:#?}"
            );
        }
    }
}

#[test]
fn a_state_reduces_what_remains() {
    let s = generated(corridor_generate::Options {
        seed: 4,
        households: 60,
        sites: 4,
        vehicles: 5,
        corridor: true,
        windows: 2,
        deal: true,
        ..corridor_generate::Options::default()
    });
    let first = plan(&s, &options(), &|| false, &|_| {})
        .expect("plannable")
        .plan;
    let trip = &first.routes[0].trips[0];
    let delivered: Vec<_> = trip.households().map(|h| (h, trip.destination)).collect();
    let people: u32 = delivered
        .iter()
        .map(|(h, _)| s.household(*h).people.0)
        .sum();
    let state = OperationState {
        at: trip.unloaded,
        delivered: delivered.clone(),
        vehicles: vec![(VehicleId(1), VehicleSituation::OutOfService)],
        closures: vec![Closure {
            corridor: CorridorId(0),
            until: None,
        }],
        registered: Vec::new(),
    };
    let rem = s.remaining(&state).expect("consistent");
    assert_eq!(
        rem.scenario.households.len(),
        s.households.len() - delivered.len()
    );
    assert_eq!(rem.scenario.vehicles.len(), s.vehicles.len() - 1);
    assert!(
        rem.scenario
            .vehicles
            .iter()
            .all(|v| v.name != s.vehicles[1].name)
    );
    assert!(
        rem.scenario
            .households
            .iter()
            .all(|h| h.ready >= trip.unloaded)
    );
    if let (Some(before), Some(after)) = (
        s.destination(trip.destination).and_then(|d| d.capacity),
        rem.scenario
            .destination(trip.destination)
            .and_then(|d| d.capacity),
    ) {
        assert_eq!(after.0, before.0.saturating_sub(people));
    }
    // Closed with no known reopening: no window after the state's instant.
    assert!(
        rem.scenario.corridors[0]
            .windows
            .iter()
            .all(|w| w.end <= trip.unloaded)
    );
    assert!(rem.notes.iter().any(|n| n.contains("no known reopening")));
    // A household listed twice is an error, not a silent choice.
    let twice = OperationState {
        delivered: vec![delivered[0], delivered[0]],
        ..state
    };
    assert!(s.remaining(&twice).unwrap_err().0.contains("listed twice"));
}

/// A state may leave a vehicle anywhere, here at a pickup site: the bounds
/// must count its first trip from there, not from a depot.
#[test]
fn bounds_start_vehicles_where_the_state_leaves_them() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/tutorial/scenario.toml");
    let s = corridor_formats::load_scenario(&path)
        .expect("the tutorial loads")
        .scenario;
    // RF-003 and RF-010 have a stretcher case: only the hospital takes them.
    let delivered: Vec<String> = (3..=16)
        .map(|i| {
            let to = if i == 3 || i == 10 {
                "St. Anne hospital"
            } else {
                "Hill school shelter"
            };
            format!(r#"{{"household":"RF-{i:03}","destination":"{to}"}}"#)
        })
        .collect();
    let text = format!(
        r#"{{"format":"corridor-state","version":1,"at":"2h","delivered":[{}],
            "vehicles":[{{"vehicle":"bus-01","at":"Market square","free_from":"2h"}},
                        {{"vehicle":"bus-02","out_of_service":true}},
                        {{"vehicle":"ambulance-1","out_of_service":true}}]}}"#,
        delivered.join(",")
    );
    let state = corridor_formats::read_state("state.json", &text, &s).expect("a valid state");
    let rem = s.remaining(&state).expect("consistent");
    let out = plan(&rem.scenario, &options(), &|| false, &|_| {}).expect("plannable");
    assert!(corridor_check::check(&rem.scenario, &out.plan).is_empty());
    let makespan = corridor_core::Figures::of(&rem.scenario, &out.plan).makespan;
    let bound = corridor_plan::lower_bound(&rem.scenario);
    assert!(out.plan.uncarried.is_empty());
    assert!(
        bound.value <= makespan,
        "bound {bound:?} above a valid plan's makespan {makespan}"
    );
}

#[test]
fn contradictory_states_are_refused() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/tutorial/scenario.toml");
    let s = corridor_formats::load_scenario(&path)
        .expect("the tutorial loads")
        .scenario;
    let household = |r: &str| {
        corridor_core::HouseholdId(
            s.households
                .iter()
                .position(|h| h.reference == r)
                .expect("listed") as u32,
        )
    };
    let site = |n: &str| {
        corridor_core::SiteId(s.sites.iter().position(|x| x.name == n).expect("listed") as u32)
    };
    let vehicle =
        |n: &str| VehicleId(s.vehicles.iter().position(|v| v.name == n).expect("listed") as u32);
    let refuse = |state: OperationState, expect: &str| {
        let e = s.remaining(&state).expect_err("refused");
        assert!(e.0.contains(expect), "{}", e.0);
    };
    // A stretcher case at a shelter that takes none.
    refuse(
        OperationState {
            at: Seconds::from_hours(2),
            delivered: vec![(household("RF-003"), site("Hill school shelter"))],
            ..OperationState::default()
        },
        "does not take it",
    );
    // More on board than the ambulance holds: a fact from the field, told and re-planned
    // (the vehicle unloads them and is free after), not refused.
    let told = |state: OperationState, expect: &str| {
        let r = s.remaining(&state).expect("re-planned");
        assert!(r.notes.iter().any(|n| n.contains(expect)), "{:?}", r.notes);
    };
    told(
        OperationState {
            at: Seconds::from_hours(2),
            vehicles: vec![(
                vehicle("ambulance-1"),
                VehicleSituation::InService {
                    at: site("Hill school shelter"),
                    free_from: Seconds::from_hours(3),
                    on_board: (4..=9).map(|i| household(&format!("RF-{i:03}"))).collect(),
                },
            )],
            ..OperationState::default()
        },
        "more than its",
    );
}
