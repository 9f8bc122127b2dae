//! A city evacuation whose rehearsal panicked once vehicles could be lost (issue 19): a vehicle
//! the plan leaves unused took two trips of a vehicle lost as its first trip began, and was then
//! set going a second time with the first still under way.
//!
//! The data (tests/data/rehearse-vehicle-loss, invented, free to use) and the plan made for it by
//! `corridor plan --iterations 2000 --seed 1` are committed, so that the plan keeps the unused
//! vehicles that the panic needed whatever the planner does later.

use std::path::Path;

use corridor_core::{Plan, Scenario, Uncertainty};
use corridor_sim::{Prepared, rehearse};

mod support;

fn city() -> (Scenario, Uncertainty, Plan) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rehearse-vehicle-loss");
    let loaded = match corridor_formats::load_scenario(&dir.join("scenario.toml")) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    let text = std::fs::read_to_string(dir.join("plan.json")).expect("the plan is committed");
    let (plan, _) =
        corridor_formats::read_plan("plan.json", &text, &loaded.scenario).expect("a readable plan");
    let violations = corridor_check::check(&loaded.scenario, &plan);
    assert!(violations.is_empty(), "{:?}", &violations[..1]);
    (loaded.scenario, loaded.uncertainty, plan)
}

#[test]
fn rehearse_vehicle_loss_panic_issue_19() {
    let (s, u, plan) = city();
    assert!(u.losses_per_working_hour > 0.0);
    assert!(
        plan.routes.len() < s.vehicles.len(),
        "the plan leaves vehicles unused"
    );
    let prepared = [Prepared::new(&s, &plan, &u)];
    // The command of the report: 50 runs of seed 1.
    let runs = &rehearse(&prepared, 50, 1, &|| {})[0];
    assert!(runs.iter().any(|r| !r.losses.is_empty()));
    for (i, r) in runs.iter().enumerate() {
        support::run_is_sound(&s, &plan, r).unwrap_or_else(|e| panic!("run {i}: {e}"));
    }
    // The runs that lost a vehicle as its first trip began, recorded and checked event by event.
    let mut checked = 0;
    for run in 0..50 {
        if runs[run as usize].losses.is_empty() {
            continue;
        }
        let r = prepared[0].run(1, run, true);
        assert_eq!(r.deliveries, runs[run as usize].deliveries);
        support::run_is_sound(&s, &plan, &r).unwrap_or_else(|e| panic!("run {run}: {e}"));
        checked += 1;
    }
    assert!(checked > 0);
}
