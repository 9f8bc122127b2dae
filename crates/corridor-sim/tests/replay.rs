//! With no uncertainty a rehearsal replays the plan to the second; with
//! uncertainty, a seeded rehearsal gives the same runs on any number of threads.

use std::path::Path;

use corridor_core::{Plan, Scenario, Uncertainty};
use corridor_sim::{Prepared, rehearse};

fn example_text(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(rel);
    std::fs::read_to_string(p).expect("the examples are in the repository")
}

fn load(files: Vec<(String, String)>) -> Scenario {
    let mem = corridor_formats::InMemory(
        files
            .into_iter()
            .map(|(p, c)| (Path::new("s").join(p), c))
            .collect(),
    );
    match corridor_formats::load_scenario_with(&mem, Path::new("s/scenario.toml")) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

fn generated(o: corridor_generate::Options) -> Scenario {
    let files = corridor_generate::generate(&o).expect("valid options");
    load(files.into_iter().map(|f| (f.path, f.contents)).collect())
}

fn aleppo(convoy: bool) -> Scenario {
    let mut text = example_text("aleppo-2016/scenario.toml");
    if convoy {
        text = text.replace(
            "# convoy = { min_convoy = 10, max_wait = \"2h\" }",
            "convoy = { min_convoy = 4, max_wait = \"1h\", escorts_per_window = 40 }",
        );
        assert!(text.contains("min_convoy = 4"));
    }
    load(vec![("scenario.toml".into(), text)])
}

fn tutorial() -> Scenario {
    let files = ["scenario.toml", "sites.csv", "households.csv"]
        .iter()
        .map(|f| (f.to_string(), example_text(&format!("tutorial/{f}"))))
        .collect();
    load(files)
}

fn plan(s: &Scenario, iterations: u64) -> Plan {
    let options = corridor_plan::Options {
        seed: 3,
        iterations: Some(iterations),
        threads: 1,
        ..Default::default()
    };
    let out = corridor_plan::plan(s, &options, &|| false, &|_| {}).expect("plannable");
    let v = corridor_check::check(s, &out.plan);
    assert!(
        v.is_empty(),
        "{}: the planner's plan is invalid: {:?}",
        s.name,
        &v[..1]
    );
    out.plan
}

fn assert_replays(s: &Scenario, p: &Plan) {
    let none = Uncertainty::none();
    let prepared = Prepared::new(s, p, &none);
    for run in [0, 7] {
        let r = prepared.run(42, run, true);
        let executed = r.executed.as_ref().expect("recorded");
        assert_eq!(executed.routes.len(), p.routes.len(), "{}: routes", s.name);
        for (a, b) in executed.routes.iter().zip(&p.routes) {
            assert_eq!(
                a, b,
                "{}: vehicle {} differs from the plan",
                s.name, b.vehicle.0
            );
        }
        assert!(r.complete());
        assert!(r.losses.is_empty() && r.suspensions.is_empty());
        assert_eq!(r.makespan, corridor_core::Figures::of(s, p).makespan);
    }
}

#[test]
fn without_uncertainty_the_examples_replay_exactly() {
    let t = tutorial();
    assert_replays(&t, &plan(&t, 300));
    let a = aleppo(false);
    let p = plan(&a, 300);
    assert!(!a.deals.is_empty() && a.corridors[0].windows.len() == 3);
    assert_replays(&a, &p);
}

#[test]
fn without_uncertainty_convoys_replay_exactly() {
    let a = aleppo(true);
    let p = plan(&a, 200);
    assert!(
        p.trips()
            .any(|(_, t)| t.crossing.as_ref().is_some_and(|c| c.convoy.is_some()))
    );
    assert_replays(&a, &p);
}

#[test]
fn without_uncertainty_generated_scenarios_replay_exactly() {
    for (seed, corridor, windows, deal) in [
        (1, false, 0, false),
        (2, true, 0, false),
        (3, true, 3, false),
        (4, true, 2, true),
        (5, false, 0, true),
        (6, true, 4, true),
    ] {
        let s = generated(corridor_generate::Options {
            seed,
            households: 300,
            sites: 8,
            vehicles: 12,
            corridor,
            windows,
            deal,
            ..corridor_generate::Options::default()
        });
        assert_eq!(!s.deals.is_empty(), deal);
        assert_eq!(
            s.corridors.first().map_or(0, |c| c.windows.len()),
            if windows == 0 {
                usize::from(corridor)
            } else {
                windows as usize
            }
        );
        let p = plan(&s, 300);
        assert_replays(&s, &p);
    }
}

#[test]
fn a_seeded_rehearsal_is_the_same_on_any_number_of_threads() {
    let a = aleppo(false);
    let p = plan(&a, 200);
    let u = Uncertainty {
        losses_per_working_hour: 0.01, // make losses and recovery happen
        ..Uncertainty::default()
    };
    let prepared = [Prepared::new(&a, &p, &u)];
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        pool.install(|| rehearse(&prepared, 40, 9, &|| {}))
    };
    let one = on(1);
    let three = on(3);
    assert_eq!(one, three);
    // The runs differ from each other, and some lose vehicles and recover.
    let runs = &one[0];
    assert!(runs.iter().any(|r| r.makespan != runs[0].makespan));
    assert!(runs.iter().any(|r| !r.losses.is_empty()));
    assert!(
        runs.iter()
            .flat_map(|r| &r.losses)
            .any(|l| l.trips_to.iter().any(Option::is_some))
    );
    // Another seed is another world.
    let other = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool")
        .install(|| rehearse(&prepared, 40, 10, &|| {}));
    assert_ne!(one, other);
}

#[test]
fn sampled_travel_times_keep_their_mean_over_runs() {
    let s = generated(corridor_generate::Options {
        seed: 11,
        households: 300,
        sites: 8,
        vehicles: 12,
        ..corridor_generate::Options::default()
    });
    let p = plan(&s, 200);
    let planned = corridor_core::Figures::of(&s, &p).driving.0 as f64;
    let mut u = Uncertainty::none();
    u.travel_time_cv = 0.3;
    let prepared = [Prepared::new(&s, &p, &u)];
    let runs = &rehearse(&prepared, 400, 3, &|| {})[0];
    let driving: Vec<f64> = runs
        .iter()
        .map(|r| r.time_use[corridor_sim::Use::Driving as usize] as f64)
        .collect();
    let mean = driving.iter().sum::<f64>() / driving.len() as f64;
    // Each run's driving is a sum of many legs × factors of mean 1: the mean over
    // runs is the plan's driving within a fraction of a percent (rounding aside).
    assert!(
        (mean / planned - 1.0).abs() < 0.01,
        "mean {mean}, planned {planned}"
    );
    assert!(driving.iter().any(|&d| d != planned));
    // Nothing else varies: every run still delivers everyone.
    assert!(runs.iter().all(|r| r.complete()));
}

#[test]
fn a_lost_vehicles_trips_go_to_others_and_its_people_still_arrive() {
    let s = generated(corridor_generate::Options {
        seed: 12,
        households: 300,
        sites: 8,
        vehicles: 12,
        ..corridor_generate::Options::default()
    });
    let p = plan(&s, 200);
    let mut u = Uncertainty::none();
    u.losses_per_working_hour = 0.05;
    let prepared = [Prepared::new(&s, &p, &u)];
    let runs = &rehearse(&prepared, 60, 4, &|| {})[0];
    let mut moved = 0;
    for r in runs {
        let all_taken = r
            .losses
            .iter()
            .all(|l| l.trips_to.iter().all(Option::is_some));
        if all_taken {
            // Every trip found a vehicle: everyone is delivered, later than planned or not.
            assert!(r.complete(), "{:?}", r.stranded);
        } else {
            assert!(!r.complete());
        }
        moved += r.losses.iter().map(|l| l.trips_to.len()).sum::<usize>();
        for l in &r.losses {
            assert!(l.trips_to.iter().flatten().all(|&v| v != l.vehicle));
        }
    }
    assert!(
        moved > 0,
        "no trip was ever moved: the loss rate is too low for the test"
    );
}

#[test]
fn without_uncertainty_a_plan_made_by_hand_replays_exactly() {
    let t = tutorial();
    let text = example_text("tutorial/plan-by-hand.json");
    let (p, _) =
        corridor_formats::read_plan("plan-by-hand.json", &text, &t).expect("a valid plan file");
    assert!(corridor_check::check(&t, &p).is_empty());
    assert_replays(&t, &p);
}

#[test]
fn disruptions_only_delay_a_plan_kept_to_its_timetable() {
    let s = generated(corridor_generate::Options {
        seed: 13,
        households: 300,
        sites: 8,
        vehicles: 12,
        corridor: true,
        windows: 3,
        deal: true,
        ..corridor_generate::Options::default()
    });
    let p = plan(&s, 200);
    let on_paper = corridor_core::Figures::of(&s, &p).makespan;
    let u = Uncertainty::default();
    let prepared = [Prepared::new(&s, &p, &u)];
    let runs = &rehearse(&prepared, 100, 5, &|| {})[0];
    assert!(
        runs.iter()
            .filter(|r| r.complete())
            .all(|r| r.makespan >= on_paper)
    );
    assert!(runs.iter().any(|r| r.makespan > on_paper));
}

#[test]
fn breakdowns_happen_at_the_configured_rate_per_driving_hour() {
    let s = generated(corridor_generate::Options {
        seed: 11,
        households: 300,
        sites: 8,
        vehicles: 12,
        ..corridor_generate::Options::default()
    });
    let p = plan(&s, 200);
    let mut u = Uncertainty::none();
    // A high rate, so that many legs see more than one breakdown: a single draw
    // per leg would fall well short of it.
    u.breakdowns_per_driving_hour = 3.0;
    u.repair_mean = corridor_core::Seconds(3600);
    u.repair_cv = 0.0;
    let prepared = [Prepared::new(&s, &p, &u)];
    let runs = &rehearse(&prepared, 100, 5, &|| {})[0];
    let total = |k: corridor_sim::Use| runs.iter().map(|r| r.time_use[k as usize]).sum::<i64>();
    // Every repair takes exactly an hour: the repair hours are the number of breakdowns.
    let breakdowns = total(corridor_sim::Use::Breakdowns) as f64 / 3600.0;
    let driving_hours = total(corridor_sim::Use::Driving) as f64 / 3600.0;
    let rate = breakdowns / driving_hours;
    // Thousands of breakdowns: the standard error of the rate is under 2 %.
    assert!(breakdowns > 2000.0, "only {breakdowns} breakdowns");
    assert!(
        (rate / 3.0 - 1.0).abs() < 0.06,
        "{rate} per driving hour, {breakdowns} breakdowns"
    );
}
