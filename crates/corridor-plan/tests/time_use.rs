//! Where a plan's time goes: the breakdown accounts for every second of every
//! vehicle's day and names the wait that a scenario makes binding.

mod common;
use common::from_files as load;

use corridor_core::{Activity, Figures, Scenario, Seconds, TimeUse};
use corridor_plan::{Options, plan};

const SCENARIO: &str = r#"
[scenario]
name = "One bus behind a closed corridor"
format_version = 1
start = 2025-01-01T00:00:00Z

[network]
matrix = "tt.csv"

[[site]]
name = "Depot"
kind = "depot"
lat = 0.0
lon = 0.0

[[site]]
name = "Square"
kind = "pickup"
lat = 0.0
lon = 0.01

[[site]]
name = "Gate"
kind = "checkpoint"
lat = 0.0
lon = 0.02

[[site]]
name = "Camp"
kind = "destination"
lat = 0.0
lon = 0.03

[[vehicle_type]]
name = "bus"
seats = 50
boarding_per_person = "10s"
stop_time = "5min"
unloading_per_person = "5s"

[[vehicle]]
name = "bus-1"
type = "bus"
depot = "Depot"

[[household]]
reference = "H1"
site = "Square"
people = 4

[[corridor]]
name = "North"
checkpoint = "Gate"
governs = ["Square"]
lanes = 1
processing = "10min"
windows = [{ open = 2025-01-01T02:00:00Z, close = 2025-01-01T10:00:00Z }]
"#;

const MATRIX: &str = ",Depot,Square,Gate,Camp
Depot,0,600,700,1500
Square,600,0,300,1200
Gate,700,300,0,900
Camp,1500,1200,900,0
";

fn planned(s: &Scenario) -> corridor_core::Plan {
    let options = Options {
        seed: 1,
        iterations: Some(200),
        threads: 1,
        ..Default::default()
    };
    let out = plan(s, &options, &|| false, &|_| {}).expect("plannable");
    let v = corridor_check::check(s, &out.plan);
    assert!(v.is_empty(), "{v:#?}");
    out.plan
}

#[test]
fn a_closed_window_is_named_as_the_wait() {
    let s = load(&[("scenario.toml", SCENARIO), ("tt.csv", MATRIX)]);
    let p = planned(&s);
    let u = TimeUse::of(&s, &p);
    let b = u.fleet;
    // Depot -> Square 600 s, Square -> Gate 300 s, Gate -> Camp 900 s.
    assert_eq!(b.get(Activity::Driving), Seconds(1800));
    // 5 min stop + 4 people x 10 s.
    assert_eq!(b.get(Activity::Boarding), Seconds(340));
    // At the gate at 600 + 340 + 300 = 1240 s; it opens at 7200 s.
    assert_eq!(b.get(Activity::WaitingForWindow), Seconds(7200 - 1240));
    assert_eq!(b.get(Activity::Inspection), Seconds(600));
    assert_eq!(b.get(Activity::Unloading), Seconds(320));
    assert_eq!(b.total(), Figures::of(&s, &p).makespan);
    assert_eq!(u.main_wait(), Some(Activity::WaitingForWindow));
    let gate = &u.checkpoints[0];
    assert_eq!(gate.crossings, 1);
    assert_eq!(gate.busy, Seconds(600));
    assert_eq!(gate.closed, Seconds(7200 - 1240));
}

#[test]
fn every_second_of_a_working_day_is_accounted_for() {
    for (corridor, deal) in [(false, false), (true, false), (true, true)] {
        let s = common::generated(corridor_generate::Options {
            seed: 3,
            households: 120,
            sites: 6,
            vehicles: 8,
            corridor,
            windows: if corridor { 3 } else { 0 },
            deal,
            ..corridor_generate::Options::default()
        });
        let p = planned(&s);
        let u = TimeUse::of(&s, &p);
        for (v, b) in &u.vehicles {
            let route = p.routes.iter().find(|r| r.vehicle == *v).expect("listed");
            let first = route.trips[0].departs.min(s.vehicle(*v).available_from);
            let last = route
                .returns_at
                .unwrap_or(route.trips.last().expect("has trips").unloaded);
            assert_eq!(b.total(), last - first, "{}", s.vehicle(*v).name);
        }
        assert_eq!(u.fleet.get(Activity::Driving), Figures::of(&s, &p).driving);
        if corridor {
            assert!(!u.checkpoints.is_empty());
        }
    }
}
