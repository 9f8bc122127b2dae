//! `corridor serve`: the operation's HTTP API (axum) over the store.
//!
//! Handlers are thin: they check the caller's role, hand events to the
//! journal (`corridor-store`) and present the views of `corridor-ops`. The
//! database is the only state, so several server processes can share one
//! PostgreSQL database.

mod http;
mod operation;
mod web;

use std::net::SocketAddr;

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
    let events = journal.events().await.map_err(|e| e.to_string())?;
    let mut live = journal.base();
    let s = live.scenario.clone();
    let t = match at {
        Some(a) => corridor_formats::parse_instant(a, s.clock.as_ref()).map_err(|e| format!("`at`: {e}"))?,
        None => events.iter().map(|e| e.at).max().unwrap_or(corridor_core::Seconds::ZERO),
    };
    corridor_ops::replay_until(&mut live, &events, t);
    let st = live.state_at(t);
    s.remaining(&st.state).map_err(|e| format!("the log's state at {} does not fit the scenario: {e}", s.show_time(t)))?;
    Ok(corridor_formats::write_state(&s, &st.state))
}
