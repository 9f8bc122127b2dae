//! The field events a plan produces when it is carried out as written: a rehearsed
//! run (the plan as the simulation executed it, with its delays and lost vehicles)
//! turned into what the devices would have sent. `corridor demo` replays these into
//! a live server at an accelerated clock, so the dashboard moves as a real
//! operation would.

use corridor_core::{Plan, Scenario, Seconds, VehicleId};

use crate::EventIn;

/// One event and the device time it is sent at.
#[derive(Clone, Debug)]
pub struct Timed {
    /// When the device records it, on the scenario's clock.
    pub at: Seconds,
    /// The event, as a device sends it.
    pub event: EventIn,
}

/// How long before its pickup a household registers at its gathering point (no earlier
/// than it is ready to leave): people come to the gathering point shortly before the bus.
const REGISTERS_BEFORE: i64 = 2 * 3600;

/// The events of `plan` carried out as written, in device time order: per household
/// a registration at its gathering point and a boarding; per trip a departure with
/// the driver's headcount, the checkpoint pass and the arrival; per household the
/// reception desk's confirmation; per lost vehicle an incident when it was lost.
///
/// Trip numbers are each vehicle's own, from 1, in the order it ran them: a trip a
/// vehicle took over from a lost one is numbered after its own, as a driver would
/// report it, and the live state judges it against the active plan.
pub fn events_of_plan(s: &Scenario, plan: &Plan, lost: &[(VehicleId, Seconds)]) -> Vec<Timed> {
    let time = |t: Seconds| match &s.clock {
        Some(_) => crate::iso(s, t),
        None => format!("{}s", t.0.max(0)),
    };
    let mut out: Vec<(Seconds, u8, EventIn)> = Vec::new();
    let mut push = |at: Seconds, phase: u8, e: EventIn| out.push((at, phase, EventIn { at: time(at), ..e }));
    for r in &plan.routes {
        let vehicle = &s.vehicle(r.vehicle).name;
        let device = format!("tablet {vehicle}");
        for (i, t) in r.trips.iter().enumerate() {
            let trip = i as u32 + 1;
            let mut people = 0;
            let mut aboard = Vec::new();
            for stop in &t.stops {
                let site = &s.site(stop.site).name;
                let n = stop.households.len() as i64;
                for (k, &h) in stop.households.iter().enumerate() {
                    let hh = s.household(h);
                    people += hh.people.0;
                    aboard.push(hh);
                    let registers = (stop.loading_starts - Seconds(REGISTERS_BEFORE)).max(hh.ready).max(Seconds::ZERO).min(stop.loading_starts);
                    push(registers, 0, EventIn {
                        id: format!("registered {}", hh.reference),
                        kind: "registered".into(),
                        device: format!("registrar {site}"),
                        household: Some(hh.reference.clone()),
                        site: Some(site.clone()),
                        ..EventIn::default()
                    });
                    let loading = (stop.departs - stop.loading_starts).0.max(0);
                    push(stop.loading_starts + Seconds(loading * k as i64 / n.max(1)), 1, EventIn {
                        id: format!("boarded {} {vehicle} {trip}", hh.reference),
                        kind: "boarded".into(),
                        device: device.clone(),
                        household: Some(hh.reference.clone()),
                        vehicle: Some(vehicle.clone()),
                        trip: Some(trip),
                        ..EventIn::default()
                    });
                }
            }
            if aboard.is_empty() {
                continue;
            }
            let departs = t.stops.last().map_or(t.departs, |x| x.departs);
            push(departs, 2, EventIn {
                id: format!("departed {vehicle} {trip}"),
                kind: "departed".into(),
                device: device.clone(),
                vehicle: Some(vehicle.clone()),
                trip: Some(trip),
                headcount: Some(people),
                ..EventIn::default()
            });
            if let Some(c) = &t.crossing {
                let corridor = &s.corridors[c.corridor.index()].name;
                push(c.ends, 3, EventIn {
                    id: format!("checkpoint {vehicle} {trip}"),
                    kind: "checkpoint".into(),
                    device: format!("checkpoint {corridor}"),
                    vehicle: Some(vehicle.clone()),
                    trip: Some(trip),
                    corridor: Some(corridor.clone()),
                    ..EventIn::default()
                });
            }
            let destination = &s.site(t.destination).name;
            push(t.arrives, 4, EventIn {
                id: format!("arrived {vehicle} {trip}"),
                kind: "arrived".into(),
                device: device.clone(),
                vehicle: Some(vehicle.clone()),
                trip: Some(trip),
                destination: Some(destination.clone()),
                ..EventIn::default()
            });
            let n = aboard.len() as i64;
            let unloading = (t.unloaded - t.arrives).0.max(0);
            for (k, hh) in aboard.into_iter().enumerate() {
                push(t.arrives + Seconds(unloading * (k as i64 + 1) / n), 5, EventIn {
                    id: format!("arrived {}", hh.reference),
                    kind: "arrived".into(),
                    device: format!("reception desk {destination}"),
                    household: Some(hh.reference.clone()),
                    vehicle: Some(vehicle.clone()),
                    trip: Some(trip),
                    destination: Some(destination.clone()),
                    ..EventIn::default()
                });
            }
        }
    }
    for &(v, at) in lost {
        let vehicle = &s.vehicle(v).name;
        push(at, 0, EventIn {
            id: format!("out of service {vehicle}"),
            kind: "incident".into(),
            what: Some("vehicle_out_of_service".into()),
            device: "dispatch".into(),
            vehicle: Some(vehicle.clone()),
            ..EventIn::default()
        });
    }
    out.sort_by_key(|(at, phase, _)| (*at, *phase));
    out.into_iter().map(|(at, _, event)| Timed { at, event }).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{LiveState, Verdict, parse};

    fn tutorial() -> Scenario {
        corridor_formats::load_scenario("../../examples/tutorial/scenario.toml".as_ref())
            .expect("the tutorial scenario")
            .scenario
    }

    /// The tutorial's plan made by hand.
    fn by_hand(s: &Scenario) -> Plan {
        let text = std::fs::read_to_string("../../examples/tutorial/plan-by-hand.json").expect("the tutorial plan");
        corridor_formats::read_plan("plan.json", &text, s).expect("a valid plan").0
    }

    #[test]
    fn a_carried_out_plan_is_recorded_without_a_conflict_and_everyone_arrives() {
        let s = Arc::new(tutorial());
        let plan = by_hand(&s);
        let events = events_of_plan(&s, &plan, &[]);
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at), "in device time order");
        let mut live = LiveState::new(s.clone());
        live.active = Some(crate::ActivePlan::new("plan-1", Arc::new(plan.clone()), &s));
        for t in &events {
            let e = parse(&t.event, &s, false).unwrap_or_else(|m| panic!("{}: {m}", t.event.id));
            let o = live.apply(&e);
            assert_eq!(o.verdict, Verdict::Recorded, "{}: {:?}", t.event.id, o.message);
        }
        let carried: usize = plan.routes.iter().flat_map(|r| &r.trips).map(|t| t.households().count()).sum();
        let arrived = live.households.iter().filter(|h| h.arrived.is_some()).count();
        assert_eq!(arrived, carried);
        assert!(carried > 0);
    }

    #[test]
    fn a_lost_vehicle_is_an_incident_at_the_time_it_was_lost() {
        let s = tutorial();
        let plan = by_hand(&s);
        let v = plan.routes[0].vehicle;
        let events = events_of_plan(&s, &plan, &[(v, Seconds(3600))]);
        let lost: Vec<_> = events.iter().filter(|t| t.event.kind == "incident").collect();
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].at, Seconds(3600));
        assert_eq!(lost[0].event.vehicle.as_deref(), Some(s.vehicle(v).name.as_str()));
        assert_eq!(lost[0].event.what.as_deref(), Some("vehicle_out_of_service"));
    }
}
