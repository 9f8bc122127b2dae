//! How long people wait from being ready to the start of their loading: the
//! search lowers it once the makespan has settled, `Objective::Waiting` puts it
//! first, and the `[planning]` table's `max_wait` is kept or the household is
//! left behind with that reason.

mod common;

use corridor_core::{Figures, Scenario, Seconds, Tier, Waits};
use corridor_plan::{Objective, Options, Outcome, plan};

/// A generated city whose households become ready over 12 hours, with
/// `planning` (TOML lines) appended to its scenario file.
fn city(planning: &str) -> Scenario {
    let files = corridor_generate::generate(&corridor_generate::Options {
        seed: 4,
        households: 300,
        sites: 8,
        vehicles: 12,
        ready_spread: Some(Seconds(12 * 3600)),
        ..Default::default()
    })
    .expect("valid options");
    let files: Vec<(String, String)> = files
        .into_iter()
        .map(|f| {
            let text = if f.path == "scenario.toml" {
                format!("{}\n{planning}\n", f.contents)
            } else {
                f.contents
            };
            (f.path, text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    common::from_files(&refs)
}

fn run(s: &Scenario, iterations: u64, objective: Option<Objective>) -> Outcome {
    let options = Options {
        seed: 3,
        iterations: Some(iterations),
        objective,
        ..Default::default()
    };
    let o = plan(s, &options, &|| false, &|_| {}).expect("plannable");
    let v = corridor_check::check(s, &o.plan);
    assert!(
        v.is_empty(),
        "{} violations, first: {:#?}",
        v.len(),
        &v[..v.len().min(3)]
    );
    o
}

/// Σ tier weight × people × wait, the quantity the search lowers.
fn weighted_wait(s: &Scenario, o: &Outcome) -> i128 {
    let mut total = 0i128;
    for (_, trip) in o.plan.trips() {
        for stop in &trip.stops {
            for &h in &stop.households {
                let hh = s.household(h);
                total += i128::from(hh.tier.weight())
                    * i128::from(hh.people.0)
                    * i128::from((stop.loading_starts - hh.ready).0);
            }
        }
    }
    total
}

#[test]
fn the_search_lowers_waits_without_giving_up_makespan() {
    let s = city("");
    let first = run(&s, 0, None);
    let searched = run(&s, 6000, None);
    assert!(searched.plan.uncarried.is_empty());
    let (f0, f1) = (
        Figures::of(&s, &first.plan),
        Figures::of(&s, &searched.plan),
    );
    assert!(
        f1.makespan <= f0.makespan,
        "{} > {}",
        f1.makespan,
        f0.makespan
    );
    let (w0, w1) = (weighted_wait(&s, &first), weighted_wait(&s, &searched));
    assert!(
        w1 * 10 < w0 * 9,
        "weighted waits {w1} not 10 % below the first plan's {w0}"
    );
}

#[test]
fn the_waiting_objective_waits_less_than_the_makespan_objective() {
    let s = city("");
    let by_makespan = run(&s, 3000, Some(Objective::Makespan));
    let by_waits = run(&s, 3000, Some(Objective::Waiting));
    let (a, b) = (
        weighted_wait(&s, &by_makespan),
        weighted_wait(&s, &by_waits),
    );
    assert!(b <= a, "waiting objective {b} > makespan objective {a}");
    // The scenario's own `[planning] objective` is the default.
    let s2 = city("[planning]\nobjective = \"waiting\"");
    assert_eq!(run(&s2, 3000, None).plan, by_waits.plan);
}

#[test]
fn a_wait_limit_that_can_be_kept_is_kept_for_everyone() {
    let unlimited = city("");
    let free = Waits::of(&unlimited, &run(&unlimited, 0, None).plan);
    // Below what the first plan makes tier 3 wait, above what the fleet can do.
    let limit = Seconds(free.tier(Tier::GENERAL).max.0 / 2).max(Seconds(3 * 3600));
    let s = city(&format!(
        "[planning]\nmax_wait = {{ tier_3 = \"{}s\" }}",
        limit.0
    ));
    let o = run(&s, 3000, None);
    assert!(
        o.plan.uncarried.is_empty(),
        "{:?}",
        &o.plan.uncarried[..o.plan.uncarried.len().min(3)]
    );
    assert!(Waits::of(&s, &o.plan).tier(Tier::GENERAL).max <= limit);
}

#[test]
fn a_wait_limit_that_cannot_be_kept_leaves_households_behind_with_that_reason() {
    // Nobody can be reached within a minute of being ready: every vehicle starts at a depot.
    let s =
        city("[planning]\nmax_wait = { tier_1 = \"1min\", tier_2 = \"1min\", tier_3 = \"1min\" }");
    let o = run(&s, 500, None);
    assert!(!o.plan.uncarried.is_empty());
    for u in &o.plan.uncarried {
        assert!(u.reason.contains("max_wait of 1 min"), "{}", u.reason);
    }
    assert!(Waits::of(&s, &o.plan).all.max <= Seconds(60));
}
