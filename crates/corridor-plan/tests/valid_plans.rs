//! Every plan the planner writes passes the independent validator, on the
//! examples and on generated scenarios of every kind; the same seed and budget
//! give the same plan, run after run, for a given number of threads.

mod common;
use common::generated;

use std::path::Path;

use corridor_core::{Figures, Scenario};
use corridor_plan::{Options, Outcome, plan};

fn example(rel: &str) -> Scenario {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(rel);
    match corridor_formats::load_scenario(&p) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

fn run(s: &Scenario, iterations: u64, threads: usize) -> Outcome {
    let options = Options {
        seed: 5,
        iterations: Some(iterations),
        threads,
        ..Default::default()
    };
    plan(s, &options, &|| false, &|_| {}).expect("plannable")
}

fn assert_valid(s: &Scenario, o: &Outcome) -> Figures {
    let v = corridor_check::check(s, &o.plan);
    assert!(
        v.is_empty(),
        "{}: {} violations, first: {:#?}",
        s.name,
        v.len(),
        &v[..v.len().min(5)]
    );
    let f = Figures::of(s, &o.plan);
    if o.plan.uncarried.is_empty() {
        assert!(
            f.makespan >= o.bound.value,
            "{}: makespan {} below the lower bound {}",
            s.name,
            f.makespan,
            o.bound.value
        );
    }
    f
}

#[test]
fn tutorial_plan_is_valid_and_carries_everyone() {
    let s = example("tutorial/scenario.toml");
    let o = run(&s, 2000, 1);
    let f = assert_valid(&s, &o);
    assert!(o.plan.uncarried.is_empty());
    assert_eq!(f.total_carried().0, 74);
}

#[test]
fn aleppo_plan_is_valid() {
    let s = example("aleppo-2016/scenario.toml");
    let o = run(&s, 30, 1);
    assert_valid(&s, &o);
}

#[test]
fn generated_plans_are_valid() {
    use corridor_generate::{Layout, Options as G};
    let cases = [
        G {
            seed: 1,
            households: 60,
            sites: 6,
            vehicles: 4,
            ..G::default()
        },
        G {
            seed: 2,
            households: 400,
            sites: 20,
            vehicles: 12,
            layout: Layout::Clustered,
            ..G::default()
        },
        G {
            seed: 3,
            households: 300,
            sites: 12,
            vehicles: 8,
            corridor: true,
            windows: 3,
            ..G::default()
        },
        G {
            seed: 4,
            households: 300,
            sites: 12,
            vehicles: 8,
            deal: true,
            ..G::default()
        },
        G {
            seed: 5,
            households: 300,
            sites: 12,
            vehicles: 8,
            corridor: true,
            windows: 2,
            deal: true,
            layout: Layout::Clustered,
            ..G::default()
        },
        G {
            seed: 6,
            households: 8,
            sites: 3,
            vehicles: 2,
            ..G::default()
        },
    ];
    for g in cases {
        let s = generated(g.clone());
        let o = run(&s, 300, 1);
        assert_valid(&s, &o);
    }
}

#[test]
fn same_seed_budget_and_thread_count_give_the_same_plan() {
    let s = generated(corridor_generate::Options {
        seed: 9,
        households: 200,
        sites: 10,
        vehicles: 6,
        ..Default::default()
    });
    let a = run(&s, 400, 1);
    let b = run(&s, 400, 1);
    assert_eq!(a.plan, b.plan);
    let c = run(&s, 400, 2);
    let d = run(&s, 400, 2);
    assert_eq!(c.plan, d.plan);
    assert_valid(&s, &c);
}

#[test]
fn search_never_worsens_the_first_plan() {
    let s = generated(corridor_generate::Options {
        seed: 12,
        households: 500,
        sites: 25,
        vehicles: 10,
        ..Default::default()
    });
    let first = Figures::of(&s, &run(&s, 0, 1).plan);
    let later = Figures::of(&s, &run(&s, 2000, 1).plan);
    assert!(
        later.makespan <= first.makespan,
        "{} > {}",
        later.makespan,
        first.makespan
    );
}

#[test]
fn vehicles_gather_into_convoys_where_the_corridor_requires_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tutorial");
    let mut files = std::collections::HashMap::new();
    for f in ["sites.csv", "households.csv"] {
        files.insert(
            Path::new("t").join(f),
            std::fs::read_to_string(dir.join(f)).expect("tutorial file"),
        );
    }
    let toml = std::fs::read_to_string(dir.join("scenario.toml")).expect("tutorial scenario")
        + r#"
[[site]]
name = "Bridge"
kind = "checkpoint"
lat = 50.1
lon = 8.7

[[corridor]]
name = "Bridge gate"
checkpoint = "Bridge"
governs = ["Market square", "Old mill", "Church hill"]
lanes = 2
processing = "5min"
windows = [ { open = "1h", close = "5h" } ]
convoy = { min_convoy = 3, max_wait = "1h", escorts_per_window = 1 }
"#;
    files.insert(Path::new("t/scenario.toml").to_path_buf(), toml);
    let s = match corridor_formats::load_scenario_with(
        &corridor_formats::InMemory(files),
        Path::new("t/scenario.toml"),
    ) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    };
    let o = run(&s, 2000, 1);
    assert_valid(&s, &o);
    // One escort for the only window: everyone must cross in one convoy of all three vehicles.
    assert!(o.plan.uncarried.is_empty(), "{:?}", o.plan.uncarried);
    let convoys: std::collections::BTreeSet<_> = o
        .plan
        .trips()
        .filter_map(|(_, t)| t.crossing.as_ref().and_then(|c| c.convoy))
        .collect();
    assert_eq!(convoys.len(), 1, "{convoys:?}");
}
