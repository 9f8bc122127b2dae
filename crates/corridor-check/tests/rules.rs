//! The validator's specification: a hand-built valid plan passes, and for every
//! rule a plan that breaks exactly that rule is caught and named.
//!
//! The fixture is a small scenario with round travel times (every leg 10 min,
//! except `P1` → `H`, which is unreachable), so each time below can be checked by
//! hand. Variant (b) adds a convoy rule to the corridor.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use corridor_check::{Rule, check};
use corridor_core::{
    CorridorId, Crossing, HouseholdId, Plan, Scenario, Seconds, SiteId, Stop, Trip, Uncarried,
    VehicleId, VehicleRoute,
};
use corridor_formats::{InMemory, load_scenario_with};

const SITES: &[(&str, &str)] = &[
    ("P1", "pickup"),
    ("P2", "pickup"),
    ("P3", "pickup"),
    ("P4", "pickup"),
    ("Q", "pickup"),
    ("D", "depot"),
    ("S", "destination"),
    ("H", "destination"),
    ("X", "destination"),
    ("C", "checkpoint"),
    ("C2", "checkpoint"),
];

fn scenario(convoy: Option<&str>) -> Scenario {
    scenario_with(convoy, "")
}

/// The fixture, with `h_keys` added to the hospital `H`'s `[[site]]` table.
fn scenario_with(convoy: Option<&str>, h_keys: &str) -> Scenario {
    let mut toml = String::from(
        r#"
[scenario]
name = "validator fixture"

[network]
matrix = "matrix.csv"

[[vehicle_type]]
name = "bus"
seats = 10
boarding_per_person = "10s"
stop_time = "1min"
unloading_per_person = "5s"

[[vehicle_type]]
name = "ambulance"
seats = 2
stretchers = 1
boarding_per_person = "30s"
stop_time = "1min"
unloading_per_person = "30s"

[[vehicle]]
name = "bus-1"
type = "bus"
depot = "D"
available_until = "10h"
return_depot = "D"

[[vehicle]]
name = "amb-1"
type = "ambulance"
depot = "D"
available_until = "10h"

[[household]]
reference = "h1"
site = "P1"
people = 4
[[household]]
reference = "h2"
site = "P1"
people = 3
tier = 2
[[household]]
reference = "h3"
site = "P2"
people = 2
stretcher_cases = 1
tier = 1
ready = "700s"
[[household]]
reference = "h4"
site = "P3"
people = 5
ready = "30min"
[[household]]
reference = "h5"
site = "Q"
people = 2
[[household]]
reference = "h6"
site = "P2"
people = 1
[[household]]
reference = "h7"
site = "P1"
people = 4
[[household]]
reference = "h8"
site = "P2"
people = 1
stretcher_cases = 1
tier = 1
[[household]]
reference = "h9"
site = "P3"
people = 1

[[corridor]]
name = "North gate"
checkpoint = "C"
governs = ["P3"]
lanes = 1
processing = "5min"
windows = [ { open = "1h", close = "3h" }, { open = "5h", close = "8h" } ]
"#,
    );
    if let Some(c) = convoy {
        toml.push_str(&format!("convoy = {c}\n"));
    }
    toml.push_str(
        r#"
[[corridor]]
name = "East gate"
checkpoint = "C2"
governs = ["P4"]
processing = "5min"

[[deal]]
name = "exchange"
group_a = ["P3"]
group_b = ["Q"]
ratio = 1.0
slack = 4
a_leaves_last = true
"#,
    );
    for (name, kind) in SITES {
        toml.push_str(&format!(
            "\n[[site]]\nname = \"{name}\"\nkind = \"{kind}\"\nlat = 0.0\nlon = 0.0\n"
        ));
        match *name {
            "S" => toml.push_str("capacity = 16\n"),
            "H" => toml.push_str(&format!(
                "capacity = 100\naccepts_stretcher_cases = true\n{h_keys}"
            )),
            "X" => toml.push_str("serves = [\"Q\"]\n"),
            _ => {}
        }
    }
    let mut matrix = String::from("from");
    for (n, _) in SITES {
        matrix.push_str(&format!(",{n}"));
    }
    for (a, _) in SITES {
        matrix.push_str(&format!("\n{a}"));
        for (b, _) in SITES {
            let t = if a == b {
                "0"
            } else if (*a, *b) == ("P1", "H") {
                "-"
            } else {
                "600"
            };
            matrix.push_str(&format!(",{t}"));
        }
    }
    load("fixture", toml, matrix)
}

/// A fixture's scenario file and travel-time matrix, read through the real reader.
fn load(dir: &str, toml: String, matrix: String) -> Scenario {
    let path = PathBuf::from(dir).join("scenario.toml");
    let files = InMemory(HashMap::from([
        (path.clone(), toml),
        (PathBuf::from(dir).join("matrix.csv"), matrix),
    ]));
    match load_scenario_with(&files, &path) {
        Ok(l) => l.scenario,
        Err(e) => panic!("fixture {dir} does not load:\n{e}"),
    }
}

fn plain() -> Scenario {
    scenario(None)
}

/// Two legs through a hub: `bus-1` serves the pickup site and the hub `U`
/// (3,600 people an hour: a second a person), `coach-1` the hub and the shelter
/// `S` (or only the hub, when `coach_serves_shelter` is false). Every leg 10 min.
fn hub_fixture(coach_serves_shelter: bool) -> Scenario {
    let coach_serves = if coach_serves_shelter {
        r#"["U", "S"]"#
    } else {
        r#"["U"]"#
    };
    let toml = format!(
        r#"
[scenario]
name = "hub fixture"

[network]
matrix = "matrix.csv"

[[site]]
name = "P1"
kind = "pickup"
lat = 0.0
lon = 0.0
[[site]]
name = "D"
kind = "depot"
lat = 0.0
lon = 0.0
[[site]]
name = "U"
kind = "hub"
people_per_hour = 3600
lat = 0.0
lon = 0.0
[[site]]
name = "S"
kind = "destination"
lat = 0.0
lon = 0.0

[[vehicle_type]]
name = "bus"
seats = 10
boarding_per_person = "10s"
stop_time = "1min"
unloading_per_person = "5s"

[[vehicle]]
name = "bus-1"
type = "bus"
depot = "D"
serves = ["P1", "U"]

[[vehicle]]
name = "coach-1"
type = "bus"
depot = "D"
serves = {coach_serves}

# A fixed line from the hub: one departure, at 2000 s.
[[vehicle]]
name = "train"
type = "bus"
departures = ["2000s"]
serves = ["U", "S"]

[[household]]
reference = "h1"
site = "P1"
people = 4
[[household]]
reference = "h2"
site = "P1"
people = 3
"#
    );
    let names = ["P1", "D", "U", "S"];
    let mut matrix = String::from("from,P1,D,U,S");
    for a in names {
        matrix.push_str(&format!("\n{a}"));
        for b in names {
            matrix.push_str(if a == b { ",0" } else { ",600" });
        }
    }
    load("hub", toml, matrix)
}

fn with_hub() -> Scenario {
    hub_fixture(true)
}

fn coach_only_at_hub() -> Scenario {
    hub_fixture(false)
}

/// The hub fixture's valid plan: the bus unloads 7 people at the hub at
/// 1330 + 60 + 35 = 1425; the hub processes h1 by 1429 and h2 by 1432; the
/// coach, waiting there since 600, loads from 1432 (60 + 70 s) and unloads at
/// `S` at 2162 + 95 = 2257.
fn hub_plan(s: &Scenario) -> Plan {
    let b = B(s);
    Plan {
        routes: vec![
            VehicleRoute {
                vehicle: VehicleId(0),
                trips: vec![b.trip(
                    0,
                    vec![b.stop("P1", 600, 600, 730, &["h1", "h2"])],
                    "U",
                    1330,
                    1425,
                )],
                returns_at: None,
            },
            VehicleRoute {
                vehicle: VehicleId(1),
                trips: vec![b.trip(
                    0,
                    vec![b.stop("U", 600, 1432, 1562, &["h1", "h2"])],
                    "S",
                    2162,
                    2257,
                )],
                returns_at: None,
            },
        ],
        uncarried: vec![],
    }
}

#[test]
fn a_two_leg_plan_through_a_hub_is_valid() {
    let s = with_hub();
    let v = check(&s, &hub_plan(&s));
    assert!(v.is_empty(), "unexpected violations: {v:#?}");
}

/// People a plan brings to a hub but cannot take on are listed as uncarried,
/// with their reason: that is a valid plan, not one that loses them.
#[test]
fn households_stranded_at_a_hub_may_be_listed_as_uncarried() {
    let s = with_hub();
    let mut plan = hub_plan(&s);
    plan.routes.pop();
    for h in ["h1", "h2"] {
        plan.uncarried.push(Uncarried {
            household: B(&s).hh(h),
            reason: "no coach".into(),
        });
    }
    assert!(check(&s, &plan).is_empty());
}

/// The plain scenario with every tier's `max_wait` one second below the
/// valid plan's longest wait.
fn wait_limited() -> Scenario {
    let mut s = plain();
    let longest = corridor_core::Waits::of(&s, &valid_plan(&s)).all.max;
    assert!(
        longest > Seconds(1),
        "the valid plan must make someone wait"
    );
    s.planning.max_wait = [Some(longest - Seconds(1)); 3];
    s
}

/// With limits at the longest wait, the valid plan keeps them.
#[test]
fn a_plan_within_its_wait_limits_is_valid() {
    let mut s = plain();
    let longest = corridor_core::Waits::of(&s, &valid_plan(&s)).all.max;
    s.planning.max_wait = [Some(longest); 3];
    assert!(check(&s, &valid_plan(&s)).is_empty());
}

/// `H` keeps 93 of its 100 places for stretcher cases: the 7 left to others
/// are exactly what the valid plan delivers there (h6, h9 and h4).
fn seven_left_at_h() -> Scenario {
    scenario_with(None, "reserved_places = 93\n")
}

/// `H` takes only households with stretcher cases.
fn h_reserved_whole() -> Scenario {
    scenario_with(None, "reserved_for = \"stretcher_cases\"\n")
}

#[test]
fn a_plan_within_the_reserved_places_is_valid() {
    for s in [
        seven_left_at_h(),
        scenario_with(
            None,
            "reserved_for = \"stretcher_cases\"\nreserved_places = 90\n",
        ),
    ] {
        let v = check(&s, &valid_plan(&s));
        assert!(v.is_empty(), "unexpected violations: {v:#?}");
    }
}

/// Two more people without stretcher cases at `H` (h5 and h7 come along): the
/// first over the 7 places, in the order of unloading, is h9, on the
/// ambulance's second trip.
#[test]
fn the_reserved_places_violation_names_the_destination_the_numbers_and_the_household() {
    let s = seven_left_at_h();
    let mut plan = valid_plan(&s);
    plan.routes[BUS].trips[1].destination = B(&s).site("H");
    let v = check(&s, &plan);
    assert_eq!(v.len(), 1, "{v:#?}");
    let v = &v[0];
    assert_eq!(
        (v.rule, v.vehicle, v.trip, v.household, v.time),
        (
            Rule::ReservedPlaces,
            Some(VehicleId(1)),
            Some(1),
            Some(B(&s).hh("h9")),
            Some(Seconds(6300))
        )
    );
    assert_eq!(
        v.message,
        "`H` reserves 93 of its 100 places for households with stretcher cases, leaving 7 to others, but 13 people of households without stretcher cases are delivered there; household `h9` (1 person, unloaded by `amb-1` at +01:45:00 (t = 6300 s)) is the first beyond 7"
    );
    let s = h_reserved_whole();
    let v = check(&s, &valid_plan(&s));
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].household, Some(B(&s).hh("h6")));
    assert!(
        v[0].message.starts_with(
            "`H` reserves all its places for households with stretcher cases, but 7 people"
        ),
        "{}",
        v[0].message
    );
}

fn with_convoys() -> Scenario {
    scenario(Some(
        "{ min_convoy = 2, max_wait = \"30min\", escorts_per_window = 2 }",
    ))
}

fn one_escort() -> Scenario {
    scenario(Some(
        "{ min_convoy = 2, max_wait = \"30min\", escorts_per_window = 1 }",
    ))
}

/// Name lookups for building plans by hand.
struct B<'a>(&'a Scenario);

impl B<'_> {
    fn site(&self, n: &str) -> SiteId {
        SiteId(self.0.sites.iter().position(|s| s.name == n).expect("site") as u32)
    }
    fn hh(&self, r: &str) -> HouseholdId {
        HouseholdId(
            self.0
                .households
                .iter()
                .position(|h| h.reference == r)
                .expect("household") as u32,
        )
    }
    fn stop(&self, site: &str, arrives: i64, loading: i64, departs: i64, hs: &[&str]) -> Stop {
        Stop {
            site: self.site(site),
            arrives: Seconds(arrives),
            loading_starts: Seconds(loading),
            departs: Seconds(departs),
            households: hs.iter().map(|h| self.hh(h)).collect(),
        }
    }
    fn trip(
        &self,
        departs: i64,
        stops: Vec<Stop>,
        dest: &str,
        arrives: i64,
        unloaded: i64,
    ) -> Trip {
        Trip {
            departs: Seconds(departs),
            stops,
            crossing: None,
            destination: self.site(dest),
            arrives: Seconds(arrives),
            unloaded: Seconds(unloaded),
        }
    }
}

fn crossing(queued: i64, starts: i64, ends: i64, convoy: Option<u32>) -> Option<Crossing> {
    Some(Crossing {
        corridor: CorridorId(0),
        queued: Seconds(queued),
        starts: Seconds(starts),
        ends: Seconds(ends),
        convoy,
    })
}

const BUS: usize = 0;
const AMB: usize = 1;

/// The hand-built valid plan; every time is checked by hand in the comments.
fn valid_plan(s: &Scenario) -> Plan {
    if s.has_hubs() {
        return hub_plan(s);
    }
    let b = B(s);
    let mut t3 = b.trip(
        3620,
        vec![b.stop("P3", 4220, 4220, 4340, &["h4"])],
        "H",
        7340,
        7440,
    );
    // queued 4340 + 600; a lone vehicle waits max_wait (30 min) before its convoy may leave.
    t3.crossing = crossing(4940, 6440, 6740, Some(1));
    let mut a2 = b.trip(
        1700,
        vec![
            b.stop("P2", 2300, 2300, 2400, &["h8"]),
            b.stop("P3", 3000, 3000, 3100, &["h9"]),
        ],
        "H",
        6100,
        6300,
    );
    a2.crossing = crossing(3700, 5200, 5500, Some(2));
    Plan {
        routes: vec![
            VehicleRoute {
                vehicle: VehicleId(0),
                trips: vec![
                    // 7 people: 600 + 60 + 70 = 730 <= 800; unloading 1400 + 60 + 35 <= 1520.
                    b.trip(
                        0,
                        vec![b.stop("P1", 600, 600, 800, &["h1", "h2"])],
                        "S",
                        1400,
                        1520,
                    ),
                    b.trip(
                        1520,
                        vec![
                            b.stop("P1", 2120, 2120, 2220, &["h7"]),
                            b.stop("Q", 2820, 2820, 2920, &["h5"]),
                        ],
                        "S",
                        3520,
                        3620,
                    ),
                    t3,
                ],
                returns_at: Some(Seconds(8040)),
            },
            VehicleRoute {
                vehicle: VehicleId(1),
                trips: vec![
                    b.trip(
                        0,
                        vec![b.stop("P2", 600, 700, 900, &["h3", "h6"])],
                        "H",
                        1500,
                        1700,
                    ),
                    a2,
                ],
                returns_at: None,
            },
        ],
        uncarried: vec![],
    }
}

fn rules_of(s: &Scenario, plan: &Plan) -> BTreeSet<Rule> {
    check(s, plan).into_iter().map(|v| v.rule).collect()
}

fn remove(plan: &mut Plan, h: HouseholdId) {
    for r in &mut plan.routes {
        for t in &mut r.trips {
            for st in &mut t.stops {
                st.households.retain(|&x| x != h);
            }
        }
    }
}

fn uncarried(plan: &mut Plan, h: HouseholdId) {
    remove(plan, h);
    plan.uncarried.push(Uncarried {
        household: h,
        reason: "test".into(),
    });
}

#[test]
fn the_hand_built_plan_is_valid_in_every_variant() {
    for s in [plain(), with_convoys()] {
        let v = check(&s, &valid_plan(&s));
        assert!(v.is_empty(), "unexpected violations: {v:#?}");
    }
}

type Mutation = fn(&Scenario, &mut Plan);

/// (rule, which scenario, how the valid plan is broken)
fn cases() -> Vec<(Rule, fn() -> Scenario, Mutation)> {
    vec![
        (Rule::VehicleListedTwice, plain, |_, p| {
            let rest: Vec<Trip> = p.routes[BUS].trips.drain(1..).collect();
            p.routes[BUS].returns_at = Some(Seconds(2120));
            p.routes.push(VehicleRoute {
                vehicle: VehicleId(0),
                trips: rest,
                returns_at: Some(Seconds(8040)),
            });
        }),
        (Rule::HouseholdMissing, plain, |s, p| {
            remove(p, B(s).hh("h1"))
        }),
        (Rule::HouseholdTwice, plain, |s, p| {
            p.uncarried.push(Uncarried {
                household: B(s).hh("h1"),
                reason: "x".into(),
            })
        }),
        (Rule::LeftAtHub, with_hub, |_, p| {
            p.routes.pop();
        }),
        (Rule::WrongPickupSite, with_hub, |s, p| {
            // h2 boards the coach at the hub, where the bus never brought it.
            let h2 = B(s).hh("h2");
            p.routes[0].trips[0].stops[0]
                .households
                .retain(|&h| h != h2);
        }),
        (Rule::VehicleDoesNotServe, coach_only_at_hub, |_, _| {}),
        (Rule::BoardedBeforeProcessed, with_hub, |_, p| {
            p.routes[1].trips[0].stops[0].loading_starts = Seconds(1430)
        }),
        (Rule::WrongPickupSite, plain, |s, p| {
            let h6 = B(s).hh("h6");
            remove(p, h6);
            p.routes[BUS].trips[0].stops[0].households.push(h6);
        }),
        (Rule::NotAPickupSite, plain, |s, p| {
            let b = B(s);
            p.routes[AMB].trips.push(b.trip(
                6300,
                vec![b.stop("D", 6900, 6900, 6960, &[])],
                "H",
                7560,
                7620,
            ));
        }),
        (Rule::NotADestination, plain, |s, p| {
            p.routes[AMB].trips[0].destination = B(s).site("D")
        }),
        (Rule::TripWithoutPickup, plain, |s, p| {
            p.routes[AMB]
                .trips
                .push(B(s).trip(6300, vec![], "S", 6900, 6960))
        }),
        (Rule::LoadedBeforeReady, plain, |_, p| {
            p.routes[AMB].trips[0].stops[0].loading_starts = Seconds(600)
        }),
        // Every tier's limit is one second below the valid plan's longest wait.
        (Rule::MaxWaitExceeded, wait_limited, |_, _| {}),
        (Rule::SeatsExceeded, plain, |s, p| {
            let h7 = B(s).hh("h7");
            remove(p, h7);
            p.routes[BUS].trips[0].stops[0].households.push(h7);
        }),
        (Rule::StretcherSlotsExceeded, plain, |s, p| {
            let h8 = B(s).hh("h8");
            remove(p, h8);
            p.routes[AMB].trips[0].stops[0].households.push(h8);
        }),
        (Rule::StretcherNotAccepted, plain, |s, p| {
            p.routes[AMB].trips[0].destination = B(s).site("S")
        }),
        (Rule::DestinationNotServing, plain, |s, p| {
            p.routes[BUS].trips[0].destination = B(s).site("X")
        }),
        (Rule::DestinationCapacity, plain, |s, p| {
            p.routes[BUS].trips[2].destination = B(s).site("S")
        }),
        // Trip 2 of the bus (h7, h5) to `H` instead of `S`: 13 others where 7 may go.
        (Rule::ReservedPlaces, seven_left_at_h, |s, p| {
            p.routes[BUS].trips[1].destination = B(s).site("H")
        }),
        // Nobody without a stretcher case may go to `H`: the valid plan sends three there.
        (Rule::ReservedPlaces, h_reserved_whole, |_, _| {}),
        (Rule::OutsideShift, plain, |_, p| {
            p.routes[BUS].returns_at = Some(Seconds(40_000))
        }),
        (Rule::OffTimetable, with_hub, |s, p| {
            // The train leaves ten seconds early (with nobody: only the timetable is broken).
            let b = B(s);
            p.routes.push(VehicleRoute {
                vehicle: VehicleId(2),
                trips: vec![b.trip(0, vec![b.stop("U", 0, 0, 1990, &[])], "S", 2590, 2650)],
                returns_at: None,
            });
        }),
        (Rule::UnreachableLeg, plain, |s, p| {
            p.routes[BUS].trips[0].destination = B(s).site("H")
        }),
        (Rule::TravelTooFast, plain, |_, p| {
            p.routes[BUS].trips[0].stops[0].arrives = Seconds(500)
        }),
        (Rule::BoardingTooShort, plain, |_, p| {
            p.routes[BUS].trips[0].stops[0].departs = Seconds(700)
        }),
        (Rule::UnloadingTooShort, plain, |_, p| {
            p.routes[BUS].trips[0].unloaded = Seconds(1450)
        }),
        (Rule::EventsOutOfOrder, plain, |_, p| {
            p.routes[BUS].trips[1].departs = Seconds(1500)
        }),
        (Rule::ReturnMissing, plain, |_, p| {
            p.routes[BUS].returns_at = None
        }),
        (Rule::CrossingMissing, plain, |_, p| {
            p.routes[BUS].trips[2].crossing = None
        }),
        (Rule::CrossingNotRequired, plain, |s, p| {
            let b = B(s);
            let mut t = b.trip(
                6300,
                vec![b.stop("P2", 6900, 6900, 6960, &[])],
                "H",
                8460,
                8520,
            );
            t.crossing = crossing(7560, 7560, 7860, None);
            p.routes[AMB].trips.push(t);
        }),
        (Rule::TwoCorridors, plain, |s, p| {
            let t = &mut p.routes[BUS].trips[2];
            t.stops.push(B(s).stop("P4", 4940, 4940, 5000, &[]));
            t.crossing = crossing(5600, 6440, 6740, Some(1));
        }),
        (Rule::CrossingOutsideWindow, plain, |_, p| {
            let t = &mut p.routes[BUS].trips[2];
            t.crossing = crossing(4940, 10_600, 10_900, Some(1));
            t.arrives = Seconds(11_500);
            t.unloaded = Seconds(11_600);
            p.routes[BUS].returns_at = Some(Seconds(12_200));
        }),
        (Rule::CrossingTooShort, plain, |_, p| {
            p.routes[BUS].trips[2].crossing = crossing(4940, 6440, 6640, Some(1))
        }),
        (Rule::LanesExceeded, plain, |_, p| {
            let t = &mut p.routes[AMB].trips[1];
            t.crossing = crossing(3700, 6500, 6800, Some(2));
            t.arrives = Seconds(7400);
            t.unloaded = Seconds(7520);
        }),
        (Rule::ConvoyMissing, with_convoys, |_, p| {
            p.routes[BUS].trips[2].crossing = crossing(4940, 6440, 6740, None)
        }),
        (Rule::ConvoyTooSmall, with_convoys, |_, p| {
            p.routes[AMB].trips[1].crossing = crossing(3700, 3700, 4000, Some(2))
        }),
        (Rule::ConvoyNotTogether, with_convoys, |_, p| {
            p.routes[AMB].trips[1].crossing = crossing(3700, 5200, 5500, Some(1))
        }),
        // The valid plan's two convoys share a window; with one escort per window it is one too many.
        (Rule::EscortsExceeded, one_escort, |_, _| {}),
        (Rule::DealRatio, plain, |s, p| uncarried(p, B(s).hh("h5"))),
        (Rule::DealOrder, plain, |s, p| {
            uncarried(p, B(s).hh("h4"));
            uncarried(p, B(s).hh("h9"));
        }),
    ]
}

#[test]
fn each_broken_rule_is_caught_and_named_alone() {
    let mut failures = Vec::new();
    for (rule, make, mutate) in cases() {
        let s = make();
        let mut plan = valid_plan(&s);
        mutate(&s, &mut plan);
        let found = rules_of(&s, &plan);
        if found != BTreeSet::from([rule]) {
            failures.push(format!(
                "{rule}: found {found:?}\n  {:#?}",
                check(&s, &plan)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case() {
    let covered: BTreeSet<Rule> = cases().into_iter().map(|(r, _, _)| r).collect();
    let all: BTreeSet<Rule> = Rule::ALL.into_iter().collect();
    assert_eq!(covered, all, "rules without a test case");
}

#[test]
fn violations_name_vehicle_trip_household_and_time() {
    let s = plain();
    let mut plan = valid_plan(&s);
    plan.routes[AMB].trips[0].stops[0].loading_starts = Seconds(600);
    let v = check(&s, &plan);
    assert_eq!(v.len(), 1);
    let v = &v[0];
    assert_eq!(
        (v.vehicle, v.trip, v.household, v.time),
        (
            Some(VehicleId(1)),
            Some(0),
            Some(B(&s).hh("h3")),
            Some(Seconds(600))
        )
    );
    assert_eq!(
        v.message,
        "household `h3` boards from +00:10:00 (t = 600 s), before it is ready at +00:11:40 (t = 700 s)"
    );
}
