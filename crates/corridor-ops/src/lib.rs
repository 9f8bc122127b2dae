//! Running an operation: field events folded into the live state, with the
//! conflict rules, manifests, timetables, reconciliation and the state the
//! planner reads for a re-plan.
//!
//! The event log is the truth. [`LiveState::apply`] folds one event at a time,
//! deterministically, so any process that replays the same log in the same
//! order reaches the same state, and every answer (recorded, conflict,
//! rejected) can be reproduced. This crate speaks neither HTTP nor SQL and
//! never reads the clock: the store orders and persists events, the server
//! presents these views.
//!
//! ```
//! use std::sync::Arc;
//! use corridor_ops::{LiveState, Verdict, parse_value};
//! let loaded = corridor_formats::load_scenario("../../examples/tutorial/scenario.toml".as_ref()).unwrap();
//! let mut live = LiveState::new(Arc::new(loaded.scenario));
//! let e = serde_json::json!({"id": "e1", "kind": "registered", "at": "1h", "device": "tablet-1",
//!     "household": "RF-001", "site": "Market square"});
//! let event = parse_value(e, &live.scenario).unwrap();
//! assert_eq!(live.apply(&event).verdict, Verdict::Recorded);
//! ```

mod event;
pub mod explain;
mod live;
mod paper;
mod replay;
mod state;
mod views;

pub use event::{
    Accept, BodyError, Event, EventIn, KINDS, MAX_NAME, Personal, What, events_of_body, id_of, parse, parse_value,
    read_event,
};
pub use live::{
    ActivePlan, Conflict, CorridorRecord, HouseholdRecord, LiveState, Outcome, Position, TripRecord,
    VehicleRecord, Verdict,
};
pub use paper::{PaperProblem, read_sheet};
pub use replay::{Timed, events_of_plan};
pub use state::StateAt;
pub use views::*;

/// Folds events into `live` in order, keeping only those whose device time is no later than `until`.
pub fn replay_until<'a>(live: &mut LiveState, events: impl IntoIterator<Item = &'a Event>, until: corridor_core::Seconds) {
    for e in events {
        if e.at <= until || matches!(e.what, What::PlanActivated { .. }) {
            live.apply(e);
        }
    }
}
