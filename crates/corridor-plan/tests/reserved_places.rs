//! A medical shelter that keeps places for stretcher cases: the planner sends
//! households without them to the general shelter beyond, even though the
//! medical one is nearer, and still carries everyone when the places allow.

mod common;

use corridor_core::{Plan, Scenario, SiteId};
use corridor_plan::{Options, plan};

/// A town of 530 people in households of 5, the first 10 of them with a
/// stretcher case (50 people), 480 without; a medical shelter 2 km away with
/// 600 places (`medical` keys added) and a general shelter 11 km away with
/// `general_places`.
fn town(medical: &str, general_places: u32) -> Scenario {
    let toml = format!(
        r#"
[scenario]
name = "medical shelter"

[network]
great_circle = {{ detour = 1.3, speed_kmh = 35 }}

[[site]]
name = "Town square"
kind = "pickup"
lat = 50.1000
lon = 8.6800

[[site]]
name = "Depot"
kind = "depot"
lat = 50.0950
lon = 8.6800

[[site]]
name = "Medical shelter"
kind = "destination"
lat = 50.1200
lon = 8.6800
capacity = 600
accepts_stretcher_cases = true
{medical}

[[site]]
name = "General shelter"
kind = "destination"
lat = 50.2000
lon = 8.6800
capacity = {general_places}

[[population]]
site = "Town square"
people = 530
household_size = 5
stretcher_cases = 10

[[vehicle_type]]
name = "bus"
seats = 50
boarding_per_person = "5s"
stop_time = "2min"
unloading_per_person = "3s"

[[vehicle_type]]
name = "ambulance"
seats = 4
stretchers = 2
boarding_per_person = "30s"
stop_time = "5min"
unloading_per_person = "30s"

[[vehicle]]
name = "bus"
count = 4
type = "bus"
depot = "Depot"

[[vehicle]]
name = "ambulance"
count = 2
type = "ambulance"
depot = "Depot"
"#
    );
    common::from_files(&[("scenario.toml", &toml)])
}

fn planned(s: &Scenario) -> Plan {
    let options = Options {
        seed: 5,
        iterations: Some(1500),
        ..Default::default()
    };
    let o = plan(s, &options, &|| false, &|_| {}).expect("plannable");
    let v = corridor_check::check(s, &o.plan);
    assert!(v.is_empty(), "{v:#?}");
    o.plan
}

fn site(s: &Scenario, name: &str) -> SiteId {
    SiteId(s.sites.iter().position(|x| x.name == name).expect("a site") as u32)
}

/// People delivered to `name`: (of households with stretcher cases, of the others).
fn delivered(s: &Scenario, p: &Plan, name: &str) -> (u32, u32) {
    let d = site(s, name);
    let (mut lying, mut others) = (0, 0);
    for (_, t) in p.trips().filter(|(_, t)| t.destination == d) {
        for h in t.households() {
            let hh = s.household(h);
            if hh.has_stretcher_cases() {
                lying += hh.people.0;
            } else {
                others += hh.people.0;
            }
        }
    }
    (lying, others)
}

/// Without a reservation, the nearer medical shelter fills with the general
/// population: what the reservation is there to prevent.
#[test]
fn without_a_reservation_the_nearer_medical_shelter_takes_the_others() {
    let s = town("", 400);
    let p = planned(&s);
    assert!(p.uncarried.is_empty(), "{:?}", p.uncarried);
    let (_, others) = delivered(&s, &p, "Medical shelter");
    assert!(others > 200, "{others} people without stretcher cases");
}

#[test]
fn households_without_stretcher_cases_stay_out_of_the_reserved_places() {
    let s = town("reserved_places = 400", 400);
    let p = planned(&s);
    assert!(p.uncarried.is_empty(), "everyone fits: {:?}", p.uncarried);
    let (lying, others) = delivered(&s, &p, "Medical shelter");
    assert_eq!(
        lying, 50,
        "the stretcher households go to the medical shelter"
    );
    assert!(
        others <= 600 - 400,
        "{others} people without stretcher cases"
    );
    let (_, beyond) = delivered(&s, &p, "General shelter");
    assert_eq!(others + beyond, 480);
}

#[test]
fn a_shelter_reserved_whole_takes_only_stretcher_households() {
    let s = town("reserved_for = \"stretcher_cases\"", 480);
    let p = planned(&s);
    assert!(p.uncarried.is_empty(), "everyone fits: {:?}", p.uncarried);
    assert_eq!(delivered(&s, &p, "Medical shelter"), (50, 0));
    assert_eq!(delivered(&s, &p, "General shelter"), (0, 480));
}

/// 200 places for the others at the medical shelter and 250 beyond, for 480
/// people: 30 stay behind, with the reserved places as the reason.
#[test]
fn who_cannot_be_placed_outside_the_reserved_places_is_left_behind_with_the_reason() {
    let s = town("reserved_places = 400", 250);
    let p = planned(&s);
    let left: u32 = p
        .uncarried
        .iter()
        .map(|u| s.household(u.household).people.0)
        .sum();
    assert_eq!(left, 30, "{:?}", p.uncarried);
    assert!(
        p.uncarried
            .iter()
            .all(|u| !s.household(u.household).has_stretcher_cases()
                && u.reason
                    .contains("outside the places reserved for stretcher cases")),
        "{:#?}",
        p.uncarried
    );
    assert_eq!(delivered(&s, &p, "Medical shelter"), (50, 200));
}
