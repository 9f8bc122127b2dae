//! Whatever the field sends, replaying the event log rebuilds the live state the events built
//! as they came, and the state `corridor state` writes from it reads back and re-plans to a
//! plan the validator accepts.
//!
//! Each case is a generated scenario (sometimes with a corridor), planned, and the events of
//! that plan carried out (`events_of_plan`, sometimes with a vehicle lost) as the field would
//! send them: cut off part-way, some lost, some sent twice, some recorded twice under a new id
//! with another vehicle, trip or destination (conflicts), devices' clocks skewed by up to
//! hours, neighbours swapped, random events of every kind mixed in (unknown households,
//! households registered in the field, splits, no-shows, incidents, resolutions of the
//! conflicts seen so far). They are folded into a live state the way the store does: a
//! duplicate id records nothing, a rejected event is not logged, the rest is logged as sent.
//!
//! The case count is `PROPTEST_CASES` (96 unless set, a few seconds in debug), the seed
//! `PROPTEST_RNG_SEED` (fixed unless set); a long run:
//! `PROPTEST_CASES=20000 cargo test --release -p corridor-ops --test properties`.

use std::path::Path;
use std::sync::Arc;

use corridor_core::{Figures, Plan, Scenario, Seconds, SiteId, SiteKind, VehicleId};
use corridor_ops::{EventIn, LiveState, Verdict, events_of_plan, iso, parse, parse_value};
use proptest::prelude::*;
use serde_json::Value;

/// splitmix64: the case's own choices, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn percent(&mut self, p: u32) -> bool {
        self.next() % 100 < u64::from(p)
    }
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    households: u32,
    vehicles: u32,
    corridor: bool,
    lose_a_vehicle: bool,
    /// Share of the operation's events sent at all, in percent (from its start).
    sent: u32,
    drop: u32,
    resend: u32,
    conflict: u32,
    skew_min: u32,
    swap: u32,
    random: u32,
    resolve: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            any::<u64>(),
            3u32..30,
            2u32..6,
            any::<bool>(),
            any::<bool>(),
        ),
        (10u32..=100, 0u32..30, 0u32..30, 0u32..20),
        (0u32..600, 0u32..30, 0u32..60, 0u32..60),
    )
        .prop_map(
            |(
                (seed, households, vehicles, corridor, lose_a_vehicle),
                (sent, drop, resend, conflict),
                (skew_min, swap, random, resolve),
            )| Case {
                seed,
                households,
                vehicles,
                corridor,
                lose_a_vehicle,
                sent,
                drop,
                resend,
                conflict,
                skew_min,
                swap,
                random,
                resolve,
            },
        )
}

fn scenario(c: &Case) -> Scenario {
    let o = corridor_generate::Options {
        seed: c.seed,
        households: c.households,
        sites: 3,
        vehicles: c.vehicles,
        stretcher_share: 0.1,
        corridor: c.corridor,
        windows: if c.corridor { 2 } else { 0 },
        ..corridor_generate::Options::default()
    };
    let mem = corridor_formats::InMemory(
        corridor_generate::generate(&o)
            .expect("valid options")
            .into_iter()
            .map(|f| (Path::new("g").join(f.path), f.contents))
            .collect(),
    );
    match corridor_formats::load_scenario_with(&mem, Path::new("g/scenario.toml")) {
        Ok(l) => l.scenario,
        Err(e) => panic!("the generator's scenario reads: {e}"),
    }
}

fn plan(s: &Scenario, seed: u64) -> Result<Plan, TestCaseError> {
    let options = corridor_plan::Options {
        seed,
        iterations: Some(30),
        threads: 1,
        ..Default::default()
    };
    let o = corridor_plan::plan(s, &options, &|| false, &|_| {})
        .map_err(|e| TestCaseError::fail(format!("plannable: {e:?}")))?;
    let v = corridor_check::check(s, &o.plan);
    prop_assert!(v.is_empty(), "{}: the plan breaks {:?}", s.name, v.first());
    Ok(o.plan)
}

fn time(s: &Scenario, t: Seconds) -> String {
    match &s.clock {
        Some(_) => iso(s, t),
        None => format!("{}s", t.0.max(0)),
    }
}

/// A random event of any kind, names drawn from the scenario and a few it does not know.
fn random_event(s: &Scenario, r: &mut Rng, n: usize, at: Seconds) -> EventIn {
    let pick = |r: &mut Rng, kind: fn(&SiteKind) -> bool| -> String {
        let sites: Vec<&str> = s
            .sites
            .iter()
            .filter(|x| kind(&x.kind))
            .map(|x| x.name.as_str())
            .collect();
        if sites.is_empty() || r.percent(5) {
            "Nowhere".into()
        } else {
            sites[r.below(sites.len())].to_string()
        }
    };
    let household = |r: &mut Rng| -> String {
        match r.below(10) {
            0 => format!("FIELD-{}", r.below(6)),
            1 => "UNKNOWN-1".into(),
            _ => s.households[r.below(s.households.len())].reference.clone(),
        }
    };
    let vehicle = |r: &mut Rng| -> String {
        if r.percent(5) {
            "no such bus".into()
        } else {
            s.vehicles[r.below(s.vehicles.len())].name.clone()
        }
    };
    let corridor = |r: &mut Rng| -> String {
        s.corridors
            .first()
            .filter(|_| !r.percent(10))
            .map_or("Elsewhere".into(), |c| c.name.clone())
    };
    let mut e = EventIn {
        id: format!("random {n}"),
        at: time(s, at),
        device: format!("device {}", r.below(4)),
        ..EventIn::default()
    };
    let trip = |r: &mut Rng| r.below(4) as u32;
    match r.below(11) {
        0 => {
            e.kind = "registered".into();
            e.household = Some(household(r));
            e.site = Some(pick(r, |k| matches!(k, SiteKind::Pickup)));
            if r.percent(60) {
                let people = 1 + r.below(7) as u32;
                e.people = Some(people);
                e.stretcher_cases = Some(r.below(people.min(3) as usize + 1) as u32);
                e.tier = Some(1 + r.below(3) as u8);
            }
        }
        1 => {
            e.kind = "boarded".into();
            e.household = Some(household(r));
            e.vehicle = Some(vehicle(r));
            e.trip = Some(trip(r));
        }
        2 => {
            e.kind = "departed".into();
            e.vehicle = Some(vehicle(r));
            e.trip = Some(trip(r));
            e.headcount = r.percent(70).then(|| r.below(60) as u32);
        }
        3 => {
            e.kind = "checkpoint".into();
            e.vehicle = Some(vehicle(r));
            e.trip = Some(trip(r));
            e.corridor = Some(corridor(r));
        }
        4 => {
            e.kind = "arrived".into();
            e.vehicle = Some(vehicle(r));
            e.trip = Some(trip(r));
            e.destination = Some(pick(r, |k| matches!(k, SiteKind::Destination(_))));
            e.household = r.percent(30).then(|| household(r));
        }
        5 => {
            e.kind = "no_show".into();
            e.household = Some(household(r));
        }
        6 => {
            e.kind = "stayed".into();
            e.household = Some(household(r));
        }
        7 => {
            e.kind = "split".into();
            e.household = Some(household(r));
            e.new_household = Some(format!("SPLIT-{}", r.below(4)));
            e.people = Some(r.below(4) as u32);
            e.stretcher_cases = Some(r.below(2) as u32);
        }
        8 => {
            e.kind = "incident".into();
            match r.below(3) {
                0 => {
                    e.what = Some("vehicle_out_of_service".into());
                    e.vehicle = Some(vehicle(r));
                }
                1 => {
                    e.what = Some("corridor_closed".into());
                    e.corridor = Some(corridor(r));
                    e.until = r
                        .percent(50)
                        .then(|| time(s, at + Seconds(r.below(6 * 3600) as i64)));
                }
                _ => {
                    e.what = Some("corridor_reopened".into());
                    e.corridor = Some(corridor(r));
                }
            }
        }
        9 => {
            e.kind = "resolved".into();
            e.conflict = Some(format!("random {}", r.below(n + 1)));
        }
        _ => {
            e.kind = ["", "boarded", "teleported"][r.below(3)].into();
        }
    }
    e
}

/// What the field sends, in the order it reaches the server.
fn history(c: &Case, s: &Scenario, plan: &Plan, r: &mut Rng) -> Vec<EventIn> {
    let end = Figures::of(s, plan).makespan;
    let lost: Vec<(VehicleId, Seconds)> = if c.lose_a_vehicle && !plan.routes.is_empty() {
        let v = plan.routes[r.below(plan.routes.len())].vehicle;
        vec![(v, Seconds(end.0 * (20 + r.below(60)) as i64 / 100))]
    } else {
        vec![]
    };
    let cut = Seconds(end.0 * i64::from(c.sent) / 100);
    let mut out: Vec<EventIn> = Vec::new();
    for t in events_of_plan(s, plan, &lost) {
        if t.at > cut || r.percent(c.drop) {
            continue;
        }
        let mut e = t.event;
        if c.skew_min > 0 && r.percent(40) {
            let skew = r.below(2 * c.skew_min as usize * 60) as i64 - i64::from(c.skew_min) * 60;
            e.at = time(s, t.at + Seconds(skew));
        }
        if r.percent(c.conflict) {
            let mut other = e.clone();
            other.id = format!("{} again", e.id);
            other.device = "another device".into();
            match r.below(3) {
                0 => other.vehicle = Some(s.vehicles[r.below(s.vehicles.len())].name.clone()),
                1 => other.trip = other.trip.map(|t| t + 1),
                _ => {
                    other.destination = s
                        .sites
                        .iter()
                        .find(|x| {
                            matches!(x.kind, SiteKind::Destination(_))
                                && Some(&x.name) != e.destination.as_ref()
                        })
                        .map(|x| x.name.clone())
                        .or(other.destination)
                }
            }
            out.push(other);
        }
        let resent = r.percent(c.resend).then(|| e.clone());
        out.push(e);
        out.extend(resent);
    }
    for i in 1..out.len() {
        if r.percent(c.swap) {
            out.swap(i - 1, i);
        }
    }
    for n in 0..c.random as usize {
        let at = Seconds(r.below(end.0.max(1) as usize) as i64);
        let e = random_event(s, r, n, at);
        let i = r.below(out.len() + 1);
        out.insert(i, e);
    }
    out
}

/// Everything the live state shows, as the server would serve it.
fn views(l: &LiveState, now: Seconds) -> Value {
    let s = &l.scenario;
    serde_json::json!({
        "reconciliation": l.reconciliation(now),
        "conflicts": l.conflict_list(true),
        "summary": l.summary(),
        "positions": l.positions(),
        "manifests": (0..s.vehicles.len()).map(|v| l.manifest(VehicleId(v as u32))).collect::<Vec<_>>(),
        "timetables": (0..s.sites.len()).map(|x| l.timetable(SiteId(x as u32))).collect::<Vec<_>>(),
    })
}

fn check_case(c: &Case) -> Result<(), TestCaseError> {
    let s = Arc::new(scenario(c));
    let p = Arc::new(plan(&s, c.seed)?);
    let mut r = Rng(c.seed ^ 0x5EED);
    let activation = EventIn {
        id: "activate the plan".into(),
        kind: "plan_activated".into(),
        at: time(&s, Seconds::ZERO),
        device: "server".into(),
        plan: Some("p1".into()),
        ..EventIn::default()
    };

    // As the store ingests: a known id records nothing, a rejected event is not logged.
    let mut live = LiveState::new(s.clone());
    live.add_plan("p1", p.clone());
    let mut log: Vec<String> = Vec::new();
    let e = parse(&activation, &s, true).map_err(TestCaseError::fail)?;
    prop_assert_eq!(live.apply(&e).verdict, Verdict::Recorded);
    log.push(serde_json::to_string(&activation).expect("serialises"));
    let mut now = Seconds::ZERO;
    let mut resolutions = 0;
    for raw in history(c, &s, &p, &mut r) {
        let value = serde_json::to_value(&raw).expect("serialises");
        let e = match parse_value(value, &s) {
            Ok(e) => e,
            Err(m) => {
                prop_assert!(!m.trim().is_empty(), "a rejection without a message");
                continue;
            }
        };
        if live.has_event(&e.id) {
            continue;
        }
        let o = live.apply(&e);
        prop_assert!(
            !o.message.trim().is_empty(),
            "{} answered without a message",
            e.id
        );
        if o.verdict != Verdict::Rejected {
            log.push(serde_json::to_string(&raw).expect("serialises"));
            now = now.max(e.at);
        }
        // A coordinator settles some of the open conflicts as they come.
        let open = live.conflict_list(false);
        if !open.is_empty() && r.percent(c.resolve) {
            let conflict = serde_json::to_value(&open[r.below(open.len())]).expect("serialises");
            let id = conflict["event"].as_str().unwrap_or_default().to_string();
            resolutions += 1;
            let settle = EventIn {
                id: format!("settle {resolutions}"),
                kind: "resolved".into(),
                at: time(&s, now),
                device: "coordinator".into(),
                conflict: Some(id),
                accept: Some(["first", "second"][r.below(2)].into()),
                reason: Some("checked with the driver".into()),
                ..EventIn::default()
            };
            let e = parse(&settle, &s, false).map_err(TestCaseError::fail)?;
            if live.apply(&e).verdict != Verdict::Rejected {
                log.push(serde_json::to_string(&settle).expect("serialises"));
            }
        }
    }

    // The log, read back as a restarted server reads it, rebuilds the same state.
    let mut replayed = LiveState::new(s.clone());
    replayed.add_plan("p1", p.clone());
    for (seq, body) in log.iter().enumerate() {
        let raw: EventIn =
            serde_json::from_str(body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let e = parse(&raw, &s, true)
            .map_err(|m| TestCaseError::fail(format!("event #{seq} of the log: {m}")))?;
        let o = replayed.apply(&e);
        prop_assert!(
            o.verdict != Verdict::Rejected,
            "event #{} of the log is rejected on replay: {}",
            seq,
            o.message
        );
    }
    prop_assert_eq!(views(&replayed, now), views(&live, now));
    let at = live.state_at(now);
    prop_assert_eq!(&replayed.state_at(now), &at);

    // The state file reads back as written, and re-plans to a valid plan.
    let text = corridor_formats::write_state(&s, &at.state);
    let read = corridor_formats::read_state("state.json", &text, &s).map_err(|e| {
        TestCaseError::fail(format!("the written state does not read: {e}\n{text}"))
    })?;
    let rem = s
        .remaining(&read)
        .map_err(|e| TestCaseError::fail(format!("the state does not re-plan: {}\n{text}", e.0)))?;
    if !rem.scenario.households.is_empty() {
        plan(&rem.scenario, c.seed ^ 1)?;
    }
    Ok(())
}

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 96;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(31);
    }
    c.failure_persistence = None;
    c
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_log_rebuilds_the_state_and_the_state_re_plans(c in case()) {
        check_case(&c)?;
    }
}
