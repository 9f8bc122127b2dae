//! `POST /api/events` bodies as the server reads them: the batch, each event's shape and names
//! against the tutorial, then folded into the live state with the tutorial's plan active.
#![no_main]

use std::sync::{Arc, OnceLock};

use corridor_fuzz::{check_message, tutorial, tutorial_plan};
use corridor_ops::{EventIn, LiveState, Verdict, events_of_body, parse, read_event};
use libfuzzer_sys::fuzz_target;

/// The server's limit (`corridor_server::MAX_BATCH`).
const MAX_BATCH: usize = 10_000;

fn live() -> &'static LiveState {
    static L: OnceLock<LiveState> = OnceLock::new();
    L.get_or_init(|| {
        let s = Arc::new(tutorial().clone());
        let mut live = LiveState::new(s.clone());
        live.add_plan("first", tutorial_plan());
        let activate = EventIn {
            id: "activate".into(),
            kind: "plan_activated".into(),
            at: "0s".into(),
            device: "server".into(),
            plan: Some("first".into()),
            ..EventIn::default()
        };
        let e = parse(&activate, &s, true).expect("the activation reads");
        live.apply(&e);
        live
    })
}

fuzz_target!(|data: &[u8]| {
    let items = match events_of_body(data, MAX_BATCH) {
        Ok(items) => items,
        Err(e) => return check_message(&e.to_string()),
    };
    let mut live = live().clone();
    let s = live.scenario.clone();
    for v in items {
        match read_event(v).and_then(|raw| parse(&raw, &s, false)) {
            Err(m) => check_message(&m),
            Ok(e) => {
                let o = live.apply(&e);
                if o.verdict != Verdict::Recorded {
                    check_message(&o.message);
                }
            }
        }
    }
});
