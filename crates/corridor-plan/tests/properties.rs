//! Whatever the instance, every plan the planner writes passes the validator, and the lower bound
//! never exceeds the makespan of a plan that carries everyone.
//!
//! Random scenarios from the generator (destination capacities, hospitals, stretcher cases,
//! corridors with windows), made harder the way the rehearsal's property test makes them: convoys
//! with escorts, deals with ratios and several "A leaves last" rules, a third vehicle type (a
//! minibus with a stretcher slot, on shift later), ready times spread over hours and hospitals
//! that reserve part or all of their capacity for households with stretcher cases. Some cases
//! plan from a live state instead: part of a first plan carried out, the rest re-planned as
//! `Scenario::remaining`. Iterations vary from none (the construction alone) to a few hundred.
//!
//! The case count is `PROPTEST_CASES` (512 unless set, a few seconds in debug), the seed
//! `PROPTEST_RNG_SEED` (fixed unless set); a long run:
//! `PROPTEST_CASES=100000 cargo test --release -p corridor-plan --test properties`.

use corridor_core::{Figures, OperationState, Plan, Scenario, Seconds, VehicleSituation};
use proptest::prelude::*;

/// A hash of (seed, i), for the per-household choices of a case.
fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    households: u32,
    sites: u32,
    vehicles: u32,
    stretcher_share: f64,
    corridor: bool,
    windows: u32,
    /// (min_convoy, max_wait in minutes, escorts per window).
    convoy: Option<(u32, u32, Option<u32>)>,
    deal: bool,
    a_leaves_last: bool,
    ratio: bool,
    /// A second deal, "A leaves last" only: group A's sites but the last, and that one as its B.
    second_deal: bool,
    ready_spread_min: u64,
    minibuses: u32,
    minibus_from_min: u32,
    iterations: u64,
    plan_seed: u64,
    /// Re-plan at this share of the first plan's makespan, in percent (none: plan once).
    replan_at: Option<u32>,
    /// Hospitals with a capacity reserve this share of it for stretcher cases, in percent.
    reserved_pct: Option<u32>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (any::<u64>(), 4u32..40, 2u32..6, 2u32..8, 0.0f64..0.3),
        (
            any::<bool>(),
            0u32..4,
            proptest::option::of((1u32..5, 5u32..180, proptest::option::of(1u32..4))),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        (0u64..720, 0u32..3, 0u32..240),
        (
            prop_oneof![Just(0u64), 1u64..10, 10u64..200],
            any::<u64>(),
            proptest::option::of(10u32..90),
            proptest::option::of(1u32..=100),
        ),
    )
        .prop_map(
            |(
                (seed, households, sites, vehicles, stretcher_share),
                (corridor, windows, convoy),
                (deal, a_leaves_last, ratio, second_deal),
                (ready_spread_min, minibuses, minibus_from_min),
                (iterations, plan_seed, replan_at, reserved_pct),
            )| Case {
                seed,
                households,
                sites,
                vehicles,
                stretcher_share,
                corridor,
                windows: if corridor { windows } else { 0 },
                convoy: convoy.filter(|_| corridor),
                deal,
                a_leaves_last,
                ratio,
                second_deal: deal && second_deal,
                ready_spread_min,
                minibuses,
                minibus_from_min,
                iterations,
                plan_seed,
                replan_at,
                reserved_pct,
            },
        )
}

/// The case's scenario: the generator's files, with the case's changes written into them, or
/// the loader's refusal.
fn scenario(c: &Case) -> Result<Scenario, String> {
    let o = corridor_generate::Options {
        seed: c.seed,
        households: c.households,
        sites: c.sites,
        vehicles: c.vehicles,
        stretcher_share: c.stretcher_share,
        corridor: c.corridor,
        windows: c.windows,
        deal: c.deal,
        ..corridor_generate::Options::default()
    };
    let mut files: Vec<(String, String)> = corridor_generate::generate(&o)
        .expect("valid options")
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect();
    for (path, text) in &mut files {
        match path.as_str() {
            "scenario.toml" => edit_scenario(c, text),
            "sites.csv" if c.reserved_pct.is_some() => reserve(c, text),
            "households.csv" if c.ready_spread_min > 0 => {
                let spread = c.ready_spread_min * 60;
                *text = text
                    .lines()
                    .enumerate()
                    .map(|(i, l)| {
                        if i < 2 {
                            return format!("{l}\n");
                        }
                        let (head, _) = l.rsplit_once(',').expect("a ready column");
                        format!("{head},{}s\n", mix(c.seed, i as u64) % (spread + 1))
                    })
                    .collect();
            }
            _ => {}
        }
    }
    let mem = corridor_formats::InMemory(
        files
            .into_iter()
            .map(|(p, t)| (std::path::Path::new("t").join(p), t))
            .collect(),
    );
    corridor_formats::load_scenario_with(&mem, std::path::Path::new("t/scenario.toml"))
        .map(|l| l.scenario)
        .map_err(|e| e.to_string())
}

fn edit_scenario(c: &Case, text: &mut String) {
    if let Some((min_convoy, max_wait, escorts)) = c.convoy {
        let escorts = escorts.map_or(String::new(), |e| format!(", escorts_per_window = {e}"));
        let line = format!(
            "convoy = {{ min_convoy = {min_convoy}, max_wait = \"{max_wait}min\"{escorts} }}\n"
        );
        *text = text.replacen("processing = ", &format!("{line}processing = "), 1);
    }
    if c.deal && c.a_leaves_last {
        *text = text.replace("a_leaves_last = false", "a_leaves_last = true");
        if !c.ratio {
            *text = text
                .lines()
                .filter(|l| !l.starts_with("ratio = ") && !l.starts_with("slack = "))
                .map(|l| format!("{l}\n"))
                .collect();
        }
    }
    if c.second_deal
        && let Some(line) = text.lines().find(|l| l.starts_with("group_a = ["))
    {
        let sites: Vec<String> = line["group_a = [".len()..line.len() - 1]
            .split(", ")
            .map(str::to_string)
            .collect();
        if let [a @ .., b] = &sites[..]
            && !a.is_empty()
        {
            text.push_str(&format!(
                "\n[[deal]]\nname = \"Second\"\ngroup_a = [{}]\ngroup_b = [{b}]\n\
                 a_leaves_last = true\n",
                a.join(", ")
            ));
        }
    }
    if c.minibuses > 0 {
        text.push_str(&format!(
            "\n[[vehicle_type]]\nname = \"minibus\"\nseats = 12\nstretchers = 1\n\
             boarding_per_person = \"20s\"\nstop_time = \"4min\"\n\
             unloading_per_person = \"10s\"\ntravel_time_factor = 1.2\n\n\
             [[vehicle]]\nname = \"minibus\"\ncount = {}\ntype = \"minibus\"\n\
             depot = \"Depot 1\"\navailable_from = \"{}min\"\navailable_until = \"48h\"\n",
            c.minibuses, c.minibus_from_min
        ));
    }
}

/// Adds a `reserved_places` column: each hospital with a capacity keeps the
/// case's share of it (at least one place) for households with stretcher cases.
fn reserve(c: &Case, text: &mut String) {
    let pct = u64::from(c.reserved_pct.unwrap_or(0));
    *text = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let cell = match i {
                0 => "reserved_places".to_string(),
                1 => "#capacity+reserved".to_string(),
                _ => {
                    let cells: Vec<&str> = l.split(',').collect();
                    match (cells.first(), cells.get(4), cells.get(5)) {
                        (Some(name), Some(cap), Some(&"true")) if name.starts_with("Hospital") => {
                            cap.parse::<u64>()
                                .map_or(String::new(), |c| (c * pct / 100).max(1).to_string())
                        }
                        _ => String::new(),
                    }
                }
            };
            format!("{l},{cell}\n")
        })
        .collect();
}

/// Plans `s` and holds the planner to both promises.
fn plan_is_sound(s: &Scenario, c: &Case, what: &str) -> Result<Plan, TestCaseError> {
    let options = corridor_plan::Options {
        seed: c.plan_seed,
        iterations: Some(c.iterations),
        threads: 1,
        ..Default::default()
    };
    let o = corridor_plan::plan(s, &options, &|| false, &|_| {}).expect("plannable");
    let v = corridor_check::check(s, &o.plan);
    prop_assert!(
        v.is_empty(),
        "{what}: {} violations, first: {:#?}",
        v.len(),
        &v[..v.len().min(3)]
    );
    if o.plan.uncarried.is_empty() {
        let f = Figures::of(s, &o.plan);
        prop_assert!(
            f.makespan >= o.bound.value,
            "{what}: makespan {} below the lower bound {:?}",
            f.makespan,
            o.bound
        );
    }
    Ok(o.plan)
}

/// What happened by `t0` if `plan` was carried out: trips unloaded by then are done and each
/// vehicle is free where its last such trip ended; everyone else is still waiting.
fn state_at(plan: &Plan, t0: Seconds) -> OperationState {
    let mut state = OperationState {
        at: t0,
        ..OperationState::default()
    };
    for r in &plan.routes {
        let done: Vec<_> = r.trips.iter().take_while(|t| t.unloaded <= t0).collect();
        for t in &done {
            state
                .delivered
                .extend(t.households().map(|h| (h, t.destination)));
        }
        if let Some(last) = done.last() {
            state.vehicles.push((
                r.vehicle,
                VehicleSituation::InService {
                    at: last.destination,
                    free_from: last.unloaded,
                    on_board: vec![],
                },
            ));
        }
    }
    state
}

fn check_case(c: &Case) -> Result<(), TestCaseError> {
    // A second deal whose group A holds nobody is refused by the loader (group B could never
    // leave); such a case says nothing about the planner.
    let s = match scenario(c) {
        Ok(s) => s,
        Err(e) if c.second_deal && e.contains("no household waits at group A's sites") => {
            return Err(TestCaseError::reject("group A of the second deal is empty"));
        }
        Err(e) => return Err(TestCaseError::fail(format!("scenario: {e}"))),
    };
    let first = plan_is_sound(&s, c, "plan")?;
    if let Some(pct) = c.replan_at {
        let makespan = Figures::of(&s, &first).makespan;
        let t0 = Seconds(makespan.0 * i64::from(pct) / 100);
        let rem = s
            .remaining(&state_at(&first, t0))
            .map_err(|e| TestCaseError::fail(format!("state: {e}")))?;
        if !rem.scenario.households.is_empty() {
            plan_is_sound(&rem.scenario, c, "re-plan")?;
        }
    }
    Ok(())
}

/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED` as proptest reads them, with this test's defaults.
fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 512;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(23);
    }
    // A failing case is printed whole; nothing is written into the source tree.
    c.failure_persistence = None;
    c
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plans_pass_the_validator_and_respect_the_bound(c in case()) {
        check_case(&c)?;
    }
}
