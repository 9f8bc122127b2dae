//! A two-stage evacuation is one scenario: the planner carries people to the
//! hub and on, the validator accepts the joined plan, and a rehearsal plays the
//! hub's dependency (a late first leg makes a late second leg).
//!
//! The scenario is `examples/hub-city` with fewer people at each pickup point.

use std::path::Path;

use corridor_check::{Rule, check};
use corridor_core::{Figures, Plan, Scenario, SiteId, Uncertainty};
use corridor_sim::Prepared;

fn hub_city(people: u32) -> Scenario {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hub-city/scenario.toml");
    let text = std::fs::read_to_string(p).expect("the examples are in the repository");
    load(&text, people)
}

fn load(text: &str, people: u32) -> Scenario {
    let small: String = text
        .lines()
        .map(|l| {
            if l.starts_with("people = ") && people > 0 {
                format!("people = {people}")
            } else if l.starts_with("stretcher_cases = ") {
                "stretcher_cases = 1".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mem = corridor_formats::InMemory(
        [(Path::new("h/scenario.toml").to_path_buf(), small)]
            .into_iter()
            .collect(),
    );
    match corridor_formats::load_scenario_with(&mem, Path::new("h/scenario.toml")) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

fn site(s: &Scenario, name: &str) -> SiteId {
    SiteId(s.sites.iter().position(|x| x.name == name).expect("site") as u32)
}

fn planned(s: &Scenario) -> (Plan, corridor_plan::LowerBound) {
    let options = corridor_plan::Options {
        seed: 2,
        iterations: Some(400),
        ..Default::default()
    };
    let out = corridor_plan::plan(s, &options, &|| false, &|_| {}).expect("plannable");
    let v = check(s, &out.plan);
    assert!(
        v.is_empty(),
        "the plan breaks rules: {:#?}",
        &v[..v.len().min(3)]
    );
    (out.plan, out.bound)
}

#[test]
fn households_travel_to_the_hub_and_on_in_one_valid_plan() {
    let s = hub_city(45);
    let (plan, bound) = planned(&s);
    assert!(plan.uncarried.is_empty(), "{:?}", &plan.uncarried[..1]);
    let hub = site(&s, "Central terminal");
    let medical = site(&s, "Medical shelter");
    let mut legs = vec![0; s.households.len()];
    let mut trains_used = 0;
    for (v, trip) in plan.trips() {
        let name = &s.vehicle(v).name;
        for stop in trip.stops.iter().filter(|x| !x.households.is_empty()) {
            for &h in &stop.households {
                legs[h.index()] += 1;
            }
            // Each kind of vehicle keeps to its `serves`.
            if name.starts_with("coach") {
                assert_eq!(stop.site, hub, "{name} loads only at the terminal");
            } else {
                assert_ne!(stop.site, hub, "{name} does not load at the terminal");
            }
        }
        if name.starts_with("city-bus") {
            assert_eq!(trip.destination, hub);
        }
        if name.starts_with("ambulance") {
            assert_eq!(trip.destination, medical);
        }
        // A train of the fixed line leaves the terminal when its timetable says.
        if let Some(at) = s.vehicle(v).timetable {
            assert_eq!(trip.stops.len(), 1);
            assert_eq!((trip.stops[0].site, trip.stops[0].departs), (hub, at));
            trains_used += 1;
        }
    }
    // (Here the other vehicles are done before a train could arrive: the trains run empty.)
    assert_eq!(trains_used, 0);
    // Everyone but the ambulances' households changes vehicle once.
    let two = legs.iter().filter(|&&n| n == 2).count();
    let one = legs.iter().filter(|&&n| n == 1).count();
    assert_eq!(two + one, s.households.len());
    assert!(
        two > one,
        "{two} households through the hub, {one} straight"
    );
    // Figures count each person once, where they arrive.
    let f = Figures::of(&s, &plan);
    let total: u32 = s.households.iter().map(|h| h.people.0).sum();
    assert_eq!(f.total_carried().0, total);
    assert!(
        bound.hubs.0 > 0 && bound.value <= f.makespan,
        "{bound:?} vs {:?}",
        f.makespan
    );
}

#[test]
fn a_rehearsal_without_uncertainty_replays_a_plan_through_a_hub() {
    let s = hub_city(30);
    let (plan, _) = planned(&s);
    let none = Uncertainty::none();
    let r = Prepared::new(&s, &plan, &none).run(1, 0, true);
    assert!(r.complete(), "stranded {:?}", r.stranded);
    assert_eq!(r.makespan, Figures::of(&s, &plan).makespan);
    let executed = r.executed.expect("recorded");
    for (a, b) in executed.routes.iter().zip(&plan.routes) {
        assert_eq!(a, b, "vehicle {} differs from the plan", b.vehicle.0);
    }
    // Delivered once each: the legs to the hub are not deliveries.
    let delivered: u32 = r
        .deliveries
        .iter()
        .map(|(_, t)| t.iter().sum::<u32>())
        .sum();
    assert_eq!(
        delivered,
        s.households.iter().map(|h| h.people.0).sum::<u32>()
    );
}

#[test]
fn a_late_first_leg_makes_a_late_second_leg() {
    let s = hub_city(30);
    let (plan, _) = planned(&s);
    // The same plan on a day when the city buses are half again as slow.
    let mut slow = s.clone();
    let bus = slow
        .vehicle_types
        .iter()
        .position(|t| t.name == "city bus")
        .expect("city bus");
    slow.vehicle_types[bus].travel_time_factor = 1.5;
    let none = Uncertainty::none();
    let r = Prepared::new(&slow, &plan, &none).run(1, 0, true);
    let executed = r.executed.expect("recorded");
    let hub = site(&s, "Central terminal");
    let onward = |p: &Plan| -> Vec<i64> {
        let mut v: Vec<i64> = p
            .trips()
            .flat_map(|(_, t)| t.stops.iter())
            .filter(|x| x.site == hub && !x.households.is_empty())
            .map(|x| x.loading_starts.0)
            .collect();
        v.sort_unstable();
        v
    };
    let (before, after) = (onward(&plan), onward(&executed));
    assert_eq!(before.len(), after.len());
    assert!(after.iter().zip(&before).all(|(a, b)| a >= b));
    assert!(after.last() > before.last(), "the last coach leaves later");
    // The coaches waited for the people to come and be processed.
    let rules: Vec<Rule> = check(&slow, &executed)
        .into_iter()
        .map(|v| v.rule)
        .collect();
    assert!(!rules.contains(&Rule::BoardedBeforeProcessed), "{rules:?}");
    assert!(r.makespan > Figures::of(&s, &plan).makespan);
}

/// The trains fill only the places a shelter does not keep for stretcher cases.
#[test]
fn the_trains_keep_out_of_reserved_places() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hub-city/scenario.toml");
    let text = std::fs::read_to_string(p).expect("the examples are in the repository");
    let reserved = text.replacen(
        "name = \"Northern shelter\"\nkind = \"destination\"\ncapacity = 2500",
        "name = \"Northern shelter\"\nkind = \"destination\"\ncapacity = 2500\naccepts_stretcher_cases = true\nreserved_places = 1900",
        1,
    );
    assert_ne!(reserved, text, "the shelter's table is as expected");
    // (0: the example's own numbers of people.)
    let s = load(&reserved, 0);
    let (plan, _) = planned(&s);
    let northern = site(&s, "Northern shelter");
    let by_train: u32 = plan
        .trips()
        .filter(|(v, t)| s.vehicle(*v).timetable.is_some() && t.destination == northern)
        .flat_map(|(_, t)| t.households())
        .map(|h| s.household(h).people.0)
        .sum();
    assert!(by_train > 0 && by_train <= 600, "{by_train} by train");
}
