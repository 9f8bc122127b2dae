//! `corridor serve`: the operation's HTTP API (axum) over the store.
//!
//! Handlers are thin: they check the caller's role, hand events to the
//! journal (`corridor-store`) and present the views of `corridor-ops`. The
//! database is the only state, so several server processes can share one
//! PostgreSQL database.

mod clock;
mod http;
mod operation;
mod rehearsal;
mod replan;
mod web;

use std::net::SocketAddr;

pub use clock::{accelerate_clock, accelerated_now};
pub use http::{ApiDoc, App, MAX_BATCH, MAX_BODY, router};
pub use operation::{
    FIRST_PLAN, StartError, activate, open_operation, open_operation_with_keys, read_scenario, read_valid_plan, stored_scenario,
};

use corridor_store::Journal;

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(journal: Journal, listener: tokio::net::TcpListener, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let app = router(App::new(journal));
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// The state file (`corridor plan --from-state` reads it) from the events whose
/// device time is no later than `at` (default: every event).
pub async fn state_file_at(journal: &Journal, at: Option<&str>) -> Result<String, String> {
    let LiveAt { live, state, .. } = live_state_at(journal, at, None).await?;
    let s = &live.scenario;
    s.remaining(&state)
        .map_err(|e| format!("the log's state at {} does not fit the scenario: {e}", s.show_time(state.at)))?;
    Ok(corridor_formats::write_state(s, &state))
}

/// The log folded up to an instant, and the planner's state there.
pub(crate) struct LiveAt {
    /// The events whose device time is no later than the instant, folded (every plan activation counts).
    pub live: corridor_ops::LiveState,
    /// The state at the instant.
    pub state: corridor_core::OperationState,
    /// What could not be carried into the state.
    pub notes: Vec<String>,
}

/// Folds the events whose device time is no later than `at` (default: `default`, or
/// the latest event) and takes the state there: what `corridor state --data DIR --at T`
/// writes and what a re-plan plans from.
pub(crate) async fn live_state_at(journal: &Journal, at: Option<&str>, default: Option<corridor_core::Seconds>) -> Result<LiveAt, String> {
    let events = journal.events().await.map_err(|e| e.to_string())?;
    let mut live = journal.base();
    let s = live.scenario.clone();
    // Plans stored since the journal opened are activated by events of the log: read them too.
    let rows = journal.store().plan_rows().await.map_err(|e| e.to_string())?;
    if rows.iter().any(|(id, _, _)| !live.has_plan(id)) {
        for (id, text) in journal.store().plans().await.map_err(|e| e.to_string())? {
            if !live.has_plan(&id) {
                let (p, _) = corridor_formats::read_plan(&id, &text, &s).map_err(|e| format!("stored plan {id} does not read: {e}"))?;
                live.add_plan(&id, std::sync::Arc::new(p));
            }
        }
    }
    let t = match (at, default) {
        (Some(a), _) => corridor_formats::parse_instant(a, s.clock.as_ref()).map_err(|e| format!("`at`: {e}"))?,
        (None, Some(d)) => d,
        (None, None) => events.iter().map(|e| e.at).max().unwrap_or(corridor_core::Seconds::ZERO),
    };
    corridor_ops::replay_until(&mut live, &events, t);
    let st = live.state_at(t);
    Ok(LiveAt {
        live,
        state: st.state,
        notes: st.notes,
    })
}
