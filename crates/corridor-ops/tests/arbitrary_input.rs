//! Property test of `POST /api/events` bodies as the server reads them, on arbitrary input: the
//! batch (`events_of_body`), each event's shape (`read_event`) and names against the tutorial
//! (`parse`), then the event folded into the live state with the tutorial's plan active (`apply`).
//! The bodies are the events of `tests/data/events-tutorial.json` (the batch and each event alone)
//! mutated the way requests get damaged or mistyped, and fully random bytes and text.
//!
//! The property: every step answers (no panic, within `mutate::HANG`), and every refusal, rejected
//! event or conflict comes with a message.
//!
//! Case counts are fixed (a few seconds) unless `PROPTEST_CASES` says otherwise; the seed is
//! fixed unless `PROPTEST_RNG_SEED` is set. The same path is fuzzed with cargo-fuzz
//! (`fuzz/README.md`, target `api_events`).

#[path = "../../corridor-formats/tests/support/mutate.rs"]
mod mutate;

use std::sync::{Arc, OnceLock};

use corridor_ops::{EventIn, LiveState, Verdict, events_of_body, parse, read_event};
use proptest::prelude::*;

/// The server's limit (`corridor_server::MAX_BATCH`).
const MAX_BATCH: usize = 10_000;

const EVENTS: &str = include_str!("data/events-tutorial.json");

fn live() -> &'static LiveState {
    static L: OnceLock<LiveState> = OnceLock::new();
    L.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let s = corridor_formats::load_scenario(
            format!("{root}/examples/tutorial/scenario.toml").as_ref(),
        )
        .expect("the tutorial reads")
        .scenario;
        let text = std::fs::read_to_string(format!(
            "{root}/crates/corridor-cli/tests/data/tutorial-plan.json"
        ))
        .expect("the plan");
        let (plan, _) = corridor_formats::read_plan("plan", &text, &s).expect("the plan reads");
        let s = Arc::new(s);
        let mut live = LiveState::new(s.clone());
        live.add_plan("first", Arc::new(plan));
        let activate = EventIn {
            id: "activate".into(),
            kind: "plan_activated".into(),
            at: "0s".into(),
            device: "server".into(),
            plan: Some("first".into()),
            ..EventIn::default()
        };
        let e = parse(&activate, &s, true).expect("the activation reads");
        assert_eq!(live.apply(&e).verdict, Verdict::Recorded);
        live
    })
}

fn bases() -> Vec<(String, Vec<u8>)> {
    let all: Vec<serde_json::Value> = serde_json::from_str(EVENTS).expect("the events file");
    let mut out = vec![(
        "events-tutorial.json".to_string(),
        EVENTS.as_bytes().to_vec(),
    )];
    for (i, e) in all.iter().enumerate() {
        out.push((format!("event {}", i + 1), e.to_string().into_bytes()));
    }
    out
}

/// Folds a body into a copy of the live state; `Err` names what broke the property.
fn fold(body: &[u8]) -> Result<(usize, usize), String> {
    let items = match events_of_body(body, MAX_BATCH) {
        Ok(items) => items,
        Err(e) if e.to_string().trim().is_empty() => {
            return Err("a body refused without a message".into());
        }
        Err(_) => return Ok((0, 0)),
    };
    let mut live = live().clone();
    let s = live.scenario.clone();
    let (mut recorded, mut refused) = (0, 0);
    for v in items {
        match read_event(v).and_then(|raw| parse(&raw, &s, false)) {
            Err(m) if m.trim().is_empty() => {
                return Err("an event refused without a message".into());
            }
            Err(_) => refused += 1,
            Ok(e) => {
                let o = live.apply(&e);
                if o.verdict == Verdict::Recorded {
                    recorded += 1;
                } else if o.message.trim().is_empty() {
                    return Err(format!("a {:?} without a message", o.verdict));
                } else {
                    refused += 1;
                }
            }
        }
    }
    Ok((recorded, refused))
}

#[test]
fn the_sample_events_are_judged() {
    let (recorded, refused) = fold(EVENTS.as_bytes()).expect("answers");
    // The checkpoint names a corridor the tutorial does not have; the rest are recorded or conflicts.
    assert!(recorded >= 10, "{recorded} recorded, {refused} refused");
    assert!(refused >= 1, "{recorded} recorded, {refused} refused");
}

proptest! {
    #![proptest_config(mutate::config(1000))]

    #[test]
    fn event_bodies((_what, body) in mutate::input(bases())) {
        let out = mutate::timed("the events body", || fold(&body))?;
        prop_assert!(out.is_ok(), "{}", out.err().unwrap_or_default());
    }
}
