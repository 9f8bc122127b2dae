//! Micro-benchmarks of the planner's hot paths: the first plan (construction and
//! joint scheduling), a fixed number of search iterations, and the lower bounds.
//!
//! Run with `cargo bench -p corridor-plan`. Compare runs made on the same machine
//! close together in time; absolute times on a shared machine mean little.

use std::path::Path;

use corridor_core::Scenario;
use corridor_plan::{Options, lower_bound, plan};

fn main() {
    divan::main();
}

fn scenario(households: u32, sites: u32, vehicles: u32, corridor: bool) -> Scenario {
    let options = corridor_generate::Options {
        seed: 11,
        households,
        sites,
        vehicles,
        corridor,
        windows: if corridor { 3 } else { 0 },
        ..corridor_generate::Options::default()
    };
    let files = corridor_generate::generate(&options).expect("valid options");
    let mem = corridor_formats::InMemory(
        files
            .into_iter()
            .map(|f| (Path::new("gen").join(f.path), f.contents))
            .collect(),
    );
    corridor_formats::load_scenario_with(&mem, Path::new("gen/scenario.toml"))
        .expect("generated scenario loads")
        .scenario
}

#[divan::bench(args = [(500, 20, 10), (5000, 200, 100)])]
fn first_plan(bencher: divan::Bencher, (h, s, v): (u32, u32, u32)) {
    let sc = scenario(h, s, v, false);
    let options = Options {
        iterations: Some(0),
        ..Options::default()
    };
    bencher.bench(|| plan(&sc, &options, &|| false, &|_| {}).expect("plan"));
}

#[divan::bench(args = [(500, 20, 10), (5000, 200, 100)])]
fn search_200_iterations(bencher: divan::Bencher, (h, s, v): (u32, u32, u32)) {
    let sc = scenario(h, s, v, false);
    let options = Options {
        iterations: Some(200),
        ..Options::default()
    };
    bencher.bench(|| plan(&sc, &options, &|| false, &|_| {}).expect("plan"));
}

#[divan::bench]
fn first_plan_with_corridor_windows(bencher: divan::Bencher) {
    let sc = scenario(2000, 40, 30, true);
    let options = Options {
        iterations: Some(0),
        ..Options::default()
    };
    bencher.bench(|| plan(&sc, &options, &|| false, &|_| {}).expect("plan"));
}

#[divan::bench(args = [(500, 20, 10), (5000, 200, 100)])]
fn bounds(bencher: divan::Bencher, (h, s, v): (u32, u32, u32)) {
    let sc = scenario(h, s, v, false);
    bencher.bench(|| lower_bound(&sc));
}
