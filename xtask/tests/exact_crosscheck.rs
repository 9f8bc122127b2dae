//! The `exact` suite's optima (bench/instances/exact/optima.csv, computed by the
//! set-partitioning MIP of bench/peers/exact.py in HiGHS) against the planner's
//! independent exhaustive search (crates/corridor-plan/tests/exact/solver.rs, the
//! "full" model: every plan the validator accepts), on every instance that search
//! can take (at most two destinations; a corridor only with one vehicle). Two exact
//! methods written apart must agree; and the optimal plan the search builds must
//! pass the validator with that makespan. No Python is needed: the optima are committed.

#![allow(missing_docs, unreachable_pub)]

use std::path::Path;

use corridor_core::SiteKind;

#[path = "../../crates/corridor-plan/tests/exact/solver.rs"]
#[allow(dead_code)]
mod solver;

#[test]
fn stored_optima_agree_with_the_exhaustive_search() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/instances/exact");
    let text = std::fs::read_to_string(dir.join("optima.csv"))
        .expect("the exact suite's optima are committed");
    let mut checked = 0;
    let mut lines = 0;
    for line in text.lines().skip(1) {
        lines += 1;
        let mut f = line.split(',');
        let name = f.next().expect("instance column");
        let optimum: i64 = f
            .next()
            .expect("optimum column")
            .parse()
            .expect("a whole number");
        let loaded = corridor_formats::load_scenario(&dir.join(name).join("scenario.toml"))
            .unwrap_or_else(|p| panic!("{name}: {p}"));
        let s = &loaded.scenario;
        let dests = s
            .sites
            .iter()
            .filter(|x| matches!(x.kind, SiteKind::Destination(_)))
            .count();
        if dests > 2 || (!s.corridors.is_empty() && s.vehicles.len() > 1) {
            continue;
        }
        let sol =
            solver::solve(s, solver::Model::Full).unwrap_or_else(|| panic!("{name}: no plan"));
        assert_eq!(
            sol.makespan, optimum,
            "{name}: HiGHS says {optimum}, the exhaustive search {}",
            sol.makespan
        );
        let violations = corridor_check::check(s, &sol.plan);
        assert!(violations.is_empty(), "{name}: {:?}", violations.first());
        checked += 1;
    }
    assert!(lines >= 15, "the suite has {lines} instances");
    eprintln!("{checked} of {lines} instances cross-checked");
    assert!(checked >= 5, "only {checked} instances were cross-checked");
}
