//! The operation's clock. A real operation runs on the wall clock (mapped onto the
//! scenario's start). A demonstration replays a rehearsed run faster than real time,
//! and then "now" (the ages in the reconciliation, a re-plan's default instant, the
//! time devices stamp on their events) must follow the replay, not the wall clock.
//! One operation is served per process, so the clock is the process's.

use std::sync::OnceLock;

use corridor_core::Seconds;
use corridor_store::now_ms;

struct Accelerated {
    wall_origin_ms: i64,
    origin: Seconds,
    speed: u32,
}

static CLOCK: OnceLock<Accelerated> = OnceLock::new();

/// From now on the operation's clock reads `origin` (on the scenario's clock) and
/// runs `speed` times faster than the wall clock. It can be set once per process;
/// a second call is refused.
pub fn accelerate_clock(origin: Seconds, speed: u32) -> Result<(), String> {
    CLOCK
        .set(Accelerated {
            wall_origin_ms: now_ms(),
            origin,
            speed: speed.max(1),
        })
        .map_err(|_| "the operation's clock is already accelerated".to_string())
}

/// The accelerated clock's reading and speed, if the clock is accelerated.
pub(crate) fn accelerated() -> Option<(Seconds, u32)> {
    CLOCK.get().map(|c| {
        let wall = now_ms().saturating_sub(c.wall_origin_ms);
        (c.origin + Seconds(wall.saturating_mul(i64::from(c.speed)) / 1000), c.speed)
    })
}

/// The accelerated clock's reading, if the clock is accelerated.
pub fn accelerated_now() -> Option<Seconds> {
    accelerated().map(|(t, _)| t)
}
