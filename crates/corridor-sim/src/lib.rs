//! Rehearsal: carry out a plan many times in a world that does not keep to it,
//! and say how long the evacuation will really take and where the time goes.
//!
//! A plan's makespan on paper is not what a coordinator needs; "90 % sure
//! everyone is out by Thursday night, and the checkpoint is where we lose most"
//! is. [`Prepared::run`] simulates one execution (see the `engine` module docs
//! for the rules and the recovery policy when a vehicle is lost);
//! [`rehearse`] runs many in parallel, [`Summary`] and [`Comparison`] say what
//! they came to.
//!
//! Reproducible: run `r` of seed `s` draws from ChaCha8 streams keyed by
//! (`s`, `r`, the entity drawing), so results do not depend on the number of
//! threads, and two plans rehearsed with one seed meet the same world
//! (common random numbers). This crate depends on the core only.

mod engine;
mod sample;
mod summary;

pub use engine::{Loss, Prepared, RoadCut, RunResult, SampledClosure, Use};
pub use summary::{ClosureEffect, Comparison, Curve, Difference, Outcomes, Summary, shares_ranked};

use rayon::prelude::*;

/// Runs every plan `runs` times with the streams of `seed`; results are `[plan][run]`.
///
/// Run `r` of every plan uses the same random streams. `progress` is called once
/// per run (all plans), from any thread. Uses the current rayon pool: install a
/// pool to choose the number of threads; results do not depend on it.
pub fn rehearse(
    plans: &[Prepared<'_>],
    runs: u64,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Vec<Vec<RunResult>> {
    let by_run: Vec<Vec<RunResult>> = (0..runs)
        .into_par_iter()
        .map(|r| {
            let out = plans.iter().map(|p| p.run(seed, r, false)).collect();
            progress();
            out
        })
        .collect();
    let mut out: Vec<Vec<RunResult>> = plans
        .iter()
        .map(|_| Vec::with_capacity(by_run.len()))
        .collect();
    for run in by_run {
        for (i, r) in run.into_iter().enumerate() {
            out[i].push(r);
        }
    }
    out
}
