//! The conflict rules as a table: a history of events, the verdict on the last
//! one, and the rule it flags. Replaying any history rebuilds the same state.

use std::sync::Arc;

use corridor_ops::{LiveState, Verdict, parse_value};
use serde_json::{Value, json};

fn live() -> LiveState {
    let loaded = corridor_formats::load_scenario(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/tutorial/scenario.toml").as_ref())
        .expect("tutorial reads");
    LiveState::new(Arc::new(loaded.scenario))
}

fn event(n: usize, v: &Value) -> Value {
    let mut e = json!({"id": format!("e{n}"), "at": format!("{}min", 60 + n), "device": "t"});
    if let (Some(m), Some(x)) = (e.as_object_mut(), v.as_object()) {
        m.extend(x.clone());
    }
    e
}

/// Applies `history`; returns the verdict of the last event and the rule it flagged.
fn check(history: &[Value]) -> (Verdict, Option<&'static str>, String) {
    let mut l = live();
    let mut last = None;
    for (n, v) in history.iter().enumerate() {
        let e = parse_value(event(n, v), &l.scenario).unwrap_or_else(|m| panic!("event {n} parses: {m}"));
        let o = l.apply(&e);
        last = Some((o, e.id));
    }
    let (o, id) = last.expect("at least one event");
    (o.verdict, l.conflict(&id).map(|c| c.rule), o.message)
}

fn board(h: &str, v: &str, t: u32) -> Value {
    json!({"kind": "boarded", "household": h, "vehicle": v, "trip": t})
}

#[test]
fn conflict_rules() {
    use Verdict::*;
    let arrive = |v: &str, h: Option<&str>| {
        let mut a = json!({"kind": "arrived", "vehicle": v, "trip": 1, "destination": "Hill school shelter"});
        if let Some(h) = h {
            a["household"] = json!(h);
        }
        a
    };
    let cases: Vec<(&str, Vec<Value>, Verdict, Option<&str>)> = vec![
        ("a boarding is recorded", vec![board("RF-001", "bus-01", 1)], Recorded, None),
        ("the same boarding again changes nothing", vec![board("RF-001", "bus-01", 1), board("RF-001", "bus-01", 1)], Recorded, None),
        ("boarded on two vehicles", vec![board("RF-001", "bus-01", 1), board("RF-001", "bus-02", 1)], Conflict, Some("boarded-twice")),
        ("boarded after arriving", vec![board("RF-001", "bus-01", 1), arrive("bus-01", None), board("RF-001", "bus-02", 2)], Conflict, Some("boarded-after-arriving")),
        ("arrived without boarding", vec![arrive("bus-01", Some("RF-002"))], Conflict, Some("arrived-without-boarding")),
        ("arrived on another vehicle", vec![board("RF-001", "bus-01", 1), arrive("bus-02", Some("RF-001"))], Conflict, Some("arrived-on-another-vehicle")),
        (
            "more people than seats",
            vec![board("RF-003", "ambulance-1", 1), board("RF-001", "ambulance-1", 1)],
            Conflict,
            Some("over-capacity"),
        ),
        (
            "a headcount that does not match",
            vec![board("RF-001", "bus-01", 1), json!({"kind": "departed", "vehicle": "bus-01", "trip": 1, "headcount": 3})],
            Conflict,
            Some("headcount-mismatch"),
        ),
        (
            "a matching headcount",
            vec![board("RF-001", "bus-01", 1), json!({"kind": "departed", "vehicle": "bus-01", "trip": 1, "headcount": 4})],
            Recorded,
            None,
        ),
        ("no-show after boarding", vec![board("RF-001", "bus-01", 1), json!({"kind": "no_show", "household": "RF-001"})], Conflict, Some("no-show-after-boarding")),
        (
            "registered elsewhere than the registry says",
            vec![json!({"kind": "registered", "household": "RF-001", "site": "Old mill"})],
            Conflict,
            Some("registered-differently"),
        ),
        ("a household nobody knows", vec![board("NOBODY-1", "bus-01", 1)], Rejected, None),
        (
            "a new household registered in the field",
            vec![json!({"kind": "registered", "household": "NEW-1", "site": "Old mill", "people": 3})],
            Recorded,
            None,
        ),
        (
            "boarding a vehicle out of service",
            vec![json!({"kind": "incident", "what": "vehicle_out_of_service", "vehicle": "bus-01"}), board("RF-001", "bus-01", 1)],
            Conflict,
            Some("vehicle-out-of-service"),
        ),
        ("a split moves part of a household", vec![json!({"kind": "split", "household": "RF-002", "new_household": "RF-002-B", "people": 2})], Recorded, None),
        (
            "a split after boarding is refused",
            vec![board("RF-002", "bus-01", 1), json!({"kind": "split", "household": "RF-002", "new_household": "RF-002-B", "people": 2})],
            Rejected,
            None,
        ),
        ("resolving a conflict that does not exist", vec![json!({"kind": "resolved", "conflict": "nope"})], Rejected, None),
    ];
    let mut failures = Vec::new();
    for (name, history, verdict, rule) in cases {
        let (v, r, m) = check(&history);
        if v != verdict || r != rule {
            failures.push(format!("{name}: got {v:?} {r:?} ({m}), expected {verdict:?} {rule:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn accepting_the_second_version_moves_the_boarding() {
    let mut l = live();
    let history = [
        board("RF-001", "bus-01", 1),
        board("RF-001", "bus-02", 1),
        json!({"kind": "resolved", "conflict": "e1", "accept": "second"}),
    ];
    for (n, v) in history.iter().enumerate() {
        let e = parse_value(event(n, v), &l.scenario).expect("parses");
        assert_ne!(l.apply(&e).verdict, Verdict::Rejected);
    }
    let w = l.whereabouts("RF-001").expect("known");
    assert_eq!((w.vehicle.as_deref(), w.trip), (Some("bus-02"), Some(1)));
    assert!(l.conflict_list(false).is_empty(), "no open conflict is left");
    let m = l.manifest(l.vehicle_id("bus-01").expect("bus-01"));
    assert!(m.trips.iter().all(|t| t.boarded_people == 0), "bus-01 no longer counts RF-001");
}

#[test]
fn complete_only_when_everyone_is_accounted_for() {
    let mut l = live();
    let refs: Vec<String> = l.households.iter().map(|h| h.reference.clone()).collect();
    let mut n = 0;
    let mut apply = |l: &mut LiveState, v: Value| {
        n += 1;
        let e = parse_value(event(n, &v), &l.scenario).expect("parses");
        l.apply(&e)
    };
    for (i, r) in refs.iter().enumerate() {
        if i == 0 {
            apply(&mut l, json!({"kind": "no_show", "household": r}));
        } else {
            apply(&mut l, json!({"kind": "boarded", "household": r, "vehicle": "bus-01", "trip": i as u32}));
        }
    }
    let rec = l.reconciliation(corridor_core::Seconds(10_000));
    assert!(!rec.complete);
    assert_eq!(rec.unaccounted.len(), refs.len() - 1, "everyone boarded is unaccounted until they arrive");
    for i in 1..refs.len() {
        apply(&mut l, json!({"kind": "arrived", "vehicle": "bus-01", "trip": i as u32, "destination": "St. Anne hospital"}));
    }
    let rec = l.reconciliation(corridor_core::Seconds(10_000));
    assert!(rec.unaccounted.is_empty());
    assert!(rec.complete, "arrived or a no-show: all accounted for");
}

#[test]
fn a_household_registered_smaller_never_has_more_people_lying_down_than_people() {
    let mut l = live();
    let s = l.scenario.clone();
    let reg = |n: usize, people: u32, lying: Option<u32>| {
        let mut v = json!({"kind": "registered", "household": "FX-1", "site": "Church hill", "people": people});
        if let Some(x) = lying {
            v["stretcher_cases"] = json!(x);
        }
        parse_value(event(n, &v), &s).expect("a registration")
    };
    let first = reg(0, 3, Some(2));
    l.apply(&first);
    let second = reg(1, 1, None);
    l.apply(&second);
    let (_, h) = l.household("FX-1").expect("registered");
    assert_eq!((h.people.0, h.stretcher_cases.0), (1, 1));
    // The state for a re-plan takes it as it is now.
    let st = l.state_at(corridor_core::Seconds(10_000));
    let fx = st.state.registered.iter().find(|x| x.reference == "FX-1").expect("in the state");
    assert!(fx.stretcher_cases <= fx.people);
}

#[test]
fn reconciliation_counts_the_others_where_places_are_reserved_for_stretcher_cases() {
    let mut s = corridor_formats::load_scenario(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/tutorial/scenario.toml").as_ref())
        .expect("tutorial reads")
        .scenario;
    for site in &mut s.sites {
        if let corridor_core::SiteKind::Destination(d) = &mut site.kind
            && site.name == "St. Anne hospital"
        {
            d.reserved = corridor_core::Reserved::Places(corridor_core::People(30));
        }
    }
    let mut l = LiveState::new(Arc::new(s));
    let history = [
        board("RF-001", "bus-01", 1),
        board("RF-003", "ambulance-1", 1),
        json!({"kind": "arrived", "vehicle": "bus-01", "trip": 1, "destination": "St. Anne hospital"}),
        json!({"kind": "arrived", "vehicle": "ambulance-1", "trip": 1, "destination": "St. Anne hospital"}),
    ];
    for (n, v) in history.iter().enumerate() {
        let e = parse_value(event(n, v), &l.scenario).expect("parses");
        l.apply(&e);
    }
    let rec = l.reconciliation(corridor_core::Seconds(10_000));
    let dest = |name: &str| rec.destinations.iter().find(|d| d.destination == name).expect("a destination").clone();
    let hospital = dest("St. Anne hospital");
    assert_eq!(
        (hospital.arrived_people, hospital.places_not_reserved, hospital.arrived_people_without_stretcher_cases),
        (6, Some(10), Some(4)),
        "RF-001 (4) without, RF-003 (2) with a stretcher case"
    );
    let school = dest("Hill school shelter");
    assert_eq!((school.places_not_reserved, school.arrived_people_without_stretcher_cases), (None, None));
    let json = serde_json::to_value(&school).expect("JSON");
    assert!(json.get("places_not_reserved").is_none(), "{json}");
}
