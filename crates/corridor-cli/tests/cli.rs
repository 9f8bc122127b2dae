//! The `corridor` binary, run for real in a temporary directory per test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(rel: &str) -> PathBuf {
    root().join("examples").join(rel)
}

fn corridor(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corridor"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the corridor binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and checks the exit code, returning (stdout, stderr).
fn run(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = corridor(dir, args);
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "corridor {args:?}\nstdout:\n{o}\nstderr:\n{e}"
    );
    (o, e)
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[test]
fn validate_summarises_the_aleppo_scenario() {
    let d = tmp();
    let s = example("aleppo-2016/scenario.toml");
    let (out, _) = run(d.path(), &["validate", s.to_str().unwrap()], 0);
    for expected in [
        "Scenario: Eastern Aleppo, December 2016",
        "Starts:   2016-12-15 00:00 (UTC+02:00)",
        "Sites:    6 pickup, 2 depot, 3 destination, 1 checkpoint",
        "People:   37500 in",
        "tier 1: 1468, tier 2: 3000, tier 3: 33032",
        "294 stretcher cases",
        "Fleet:    40 vehicles",
        "30 × bus (55 seats, 0 stretchers",
        "10 × ambulance (3 seats, 2 stretchers",
        "Corridor: Ramouseh at Ramouseh crossing: 2 lanes, 12min per vehicle, governs 4 sites",
        "open 2016-12-15 05:00 → 2016-12-16 11:00 (30.0 h)",
        "open 2016-12-18 23:00 → 2016-12-21 06:00 (55.0 h)",
        "open 2016-12-22 06:00 → 2016-12-22 20:25 (14.4 h)",
        "Deal:     Proportional departures: A ≤ 14 × B + 8000",
        "Deal:     Last convoys: A's last departure after B's",
        "Travel:   ",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn the_demo_plans_checks_and_writes_its_sheets_from_any_directory() {
    let d = tmp();
    let (out, _) = run(d.path(), &["demo", "--no-serve", "--time-limit", "1s"], 0);
    assert!(out.contains("Eastern Aleppo, December 2016"), "{out}");
    assert!(
        out.contains("Makespan:") && out.contains("Lower bound:"),
        "{out}"
    );
    for f in [
        "plan.json",
        "schedule.txt",
        "schedule.csv",
        "timetable.txt",
        "rehearsal/summary.json",
        "rehearsal/evacuation.svg",
    ] {
        assert!(
            d.path().join("corridor-demo").join(f).exists(),
            "{f} missing"
        );
    }
    // The plan it wrote is valid by the validator run on its own.
    let s = example("aleppo-2016/scenario.toml");
    run(
        d.path(),
        &["check", s.to_str().unwrap(), "corridor-demo/plan.json"],
        0,
    );
    let (json, _) = run(
        d.path(),
        &["demo", "--no-serve", "--time-limit", "1s", "--format", "json", "-o", "j"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["ok"], true);
}

#[test]
fn plan_writes_a_valid_plan_and_its_sheets() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    let (out, err) = run(
        d.path(),
        &[
            "plan",
            s.to_str().unwrap(),
            "--iterations",
            "3000",
            "-o",
            "plan.json",
            "--sheets",
            "sheets",
        ],
        0,
    );
    assert!(out.contains("People carried:        74"), "{out}");
    assert!(out.contains("Lower bound:") && out.contains("gap"), "{out}");
    assert!(err.contains("wrote the plan to plan.json"), "{err}");
    let (checked, _) = run(d.path(), &["check", s.to_str().unwrap(), "plan.json"], 0);
    assert!(checked.contains("The plan is valid"), "{checked}");
    let timetable = std::fs::read_to_string(d.path().join("sheets/timetable.txt")).unwrap();
    assert!(
        timetable.contains("Market square") && timetable.contains("RF-003 (1)"),
        "{timetable}"
    );
    let csv = std::fs::read_to_string(d.path().join("sheets/schedule.csv")).unwrap();
    assert!(
        csv.starts_with("vehicle,trip,event,place,time_s,time,people,households"),
        "{csv}"
    );
    let (json, _) = run(
        d.path(),
        &[
            "plan",
            s.to_str().unwrap(),
            "--iterations",
            "100",
            "--format",
            "json",
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["figures"]["carried"]["tier_1"], 5);
    assert!(
        v["lower_bound_s"]["value"].as_i64().unwrap()
            <= v["figures"]["makespan_s"].as_i64().unwrap()
    );
}

#[test]
fn the_same_seed_and_iterations_give_the_same_plan_file() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    for (out, threads) in [
        ("a.json", "1"),
        ("b.json", "1"),
        ("c.json", "2"),
        ("e.json", "2"),
    ] {
        run(
            d.path(),
            &[
                "plan",
                s.to_str().unwrap(),
                "--iterations",
                "2000",
                "--seed",
                "4",
                "--threads",
                threads,
                "-o",
                out,
            ],
            0,
        );
    }
    let read = |f: &str| std::fs::read(d.path().join(f)).unwrap();
    assert_eq!(read("a.json"), read("b.json"));
    assert_eq!(read("c.json"), read("e.json"));
}

#[test]
fn when_not_everyone_fits_the_most_urgent_go_and_the_rest_are_reported() {
    let d = tmp();
    for f in ["sites.csv", "households.csv"] {
        std::fs::copy(example("tutorial").join(f), d.path().join(f)).unwrap();
    }
    // One bus working 40 minutes and one ambulance working 50.
    let toml = std::fs::read_to_string(example("tutorial/scenario.toml"))
        .unwrap()
        .replace("count = 2", "count = 1")
        .replace("available_until = \"14h\"", "available_until = \"1h10min\"")
        .replace(
            "type = \"ambulance\"\ndepot = \"Bus depot\"\n",
            "type = \"ambulance\"\ndepot = \"Bus depot\"\navailable_until = \"50min\"\n",
        );
    std::fs::write(d.path().join("scenario.toml"), toml).unwrap();
    let (out, _) = run(
        d.path(),
        &[
            "plan",
            "scenario.toml",
            "--iterations",
            "2000",
            "-o",
            "p.json",
        ],
        0,
    );
    assert!(out.contains("warning: not everyone fits"), "{out}");
    assert!(
        out.contains("Church hill, tier 3:")
            && out.contains("not enough vehicle time inside the shifts"),
        "{out}"
    );
    assert!(
        out.contains("People carried:") && out.contains("tier 1: 5,"),
        "tier 1 goes first: {out}"
    );
    run(d.path(), &["check", "scenario.toml", "p.json"], 0);
}

#[test]
fn impossible_scenarios_fail_before_the_search() {
    let d = tmp();
    for f in ["sites.csv", "households.csv"] {
        std::fs::copy(example("tutorial").join(f), d.path().join(f)).unwrap();
    }
    let toml = std::fs::read_to_string(example("tutorial/scenario.toml")).unwrap();
    let no_ambulance = toml
        .split("[[vehicle]]\nname = \"ambulance-1\"")
        .next()
        .unwrap()
        .to_string();
    std::fs::write(d.path().join("scenario.toml"), no_ambulance).unwrap();
    let (_, err) = run(d.path(), &["plan", "scenario.toml"], 2);
    // Without ambulances in the fleet, the stretcher cases cannot be carried whole: an input error.
    assert!(
        err.contains("no vehicle can carry household `RF-003` (1 seated + 1 stretcher cases) without splitting it; the fleet has `bus` 50 seats + 0 stretchers"),
        "{err}"
    );
    let sites = std::fs::read_to_string(d.path().join("sites.csv"))
        .unwrap()
        .replace("40,true", "40,false");
    std::fs::write(d.path().join("sites.csv"), sites).unwrap();
    std::fs::write(d.path().join("scenario.toml"), toml).unwrap();
    let (_, err) = run(d.path(), &["plan", "scenario.toml"], 2);
    assert!(
        err.contains("no destination accepts stretcher cases"),
        "{err}"
    );
}

#[test]
fn a_literature_instance_imports_plans_and_checks() {
    let d = tmp();
    let inst = root().join("bench/instances/bep/loyola-random/BEP-1-2-2-2-i2.txt");
    let (_, err) = run(
        d.path(),
        &["import", "bep", inst.to_str().unwrap(), "-o", "bep"],
        0,
    );
    assert!(
        err.contains("wrote scenario.toml and travel-times.csv"),
        "{err}"
    );
    let (out, _) = run(
        d.path(),
        &[
            "plan",
            "bep/scenario.toml",
            "--iterations",
            "5000",
            "-o",
            "p.json",
        ],
        0,
    );
    // The proven optimum of this instance is 13 (bench/instances/bep/loyola-random-optima.csv).
    assert!(out.contains("Makespan:              00:00:13"), "{out}");
    run(d.path(), &["check", "bep/scenario.toml", "p.json"], 0);
    std::fs::write(d.path().join("bad.txt"), "2 1\n1 2\n2 4 3 x\n").unwrap();
    let (_, err) = run(d.path(), &["import", "bep", "bad.txt", "-o", "bad"], 2);
    assert!(
        err.contains("bad.txt:3: `x` is not a whole number; expected the demand of point 2"),
        "{err}"
    );
}

#[test]
fn generate_is_reproducible_and_valid() {
    let d = tmp();
    let args = |o: &'static str| {
        [
            "generate",
            "--seed",
            "7",
            "--households",
            "2000",
            "--sites",
            "40",
            "--vehicles",
            "30",
            "-o",
            o,
        ]
    };
    run(d.path(), &args("a"), 0);
    run(d.path(), &args("b"), 0);
    let mut names: Vec<_> = std::fs::read_dir(d.path().join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for n in &names {
        let a = std::fs::read(d.path().join("a").join(n)).unwrap();
        let b = std::fs::read(d.path().join("b").join(n)).unwrap();
        assert!(a == b, "{n:?} differs between two runs with the same seed");
    }
    let (out, _) = run(d.path(), &["validate", "a/scenario.toml"], 0);
    assert!(out.contains("in 2000 households"), "{out}");
}

#[test]
fn generate_with_corridor_windows_and_deal_validates() {
    let d = tmp();
    run(
        d.path(),
        &[
            "generate",
            "--seed",
            "3",
            "--households",
            "300",
            "--sites",
            "12",
            "--vehicles",
            "8",
            "--layout",
            "clustered",
            "--corridor",
            "--windows",
            "3",
            "--deal",
            "-o",
            "g",
        ],
        0,
    );
    let (out, _) = run(d.path(), &["validate", "g/scenario.toml"], 0);
    assert!(out.contains("Corridor:") && out.contains("Deal:"), "{out}");
}

#[test]
fn check_accepts_the_tutorial_plan_and_prints_its_figures() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    let p = example("tutorial/plan-by-hand.json");
    let (out, _) = run(
        d.path(),
        &["check", s.to_str().unwrap(), p.to_str().unwrap()],
        0,
    );
    for expected in [
        "The plan is valid",
        "People carried:        74 (tier 1: 5, tier 2: 16, tier 3: 53)",
        "Makespan:              03:30:00 (3.5 h; 2025-03-14 09:30)",
        "Vehicles used:         3 of 3, 3 trips",
        "Hill school shelter          69 of 120",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // A span since the start, never written like a clock time.
    let line = out
        .lines()
        .find(|l| l.starts_with("Weighted mean arrival:"))
        .unwrap_or_else(|| panic!("no mean arrival in:\n{out}"));
    assert!(line.contains(" h ") && line.contains(" min after the start"), "{line}");
    assert!(!line.contains(':') || line.find(':') == Some(21), "{line}");
}

#[test]
fn check_names_each_broken_rule_and_exits_1() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    let plan = std::fs::read_to_string(example("tutorial/plan-by-hand.json")).unwrap();
    // The first bus leaves its depot before its shift starts at 06:30.
    let broken = plan.replacen("\"departs\": 1800", "\"departs\": 600", 1);
    std::fs::write(d.path().join("broken.json"), broken).unwrap();
    let (out, _) = run(d.path(), &["check", s.to_str().unwrap(), "broken.json"], 1);
    assert!(out.contains("The plan breaks 1 rule:"), "{out}");
    assert!(out.contains("[outside-shift] `bus-01` leaves at 2025-03-14 06:10:00 (t = 600 s), before its shift starts at 2025-03-14 06:30:00 (t = 1800 s)"), "{out}");
    let (json, _) = run(
        d.path(),
        &[
            "check",
            s.to_str().unwrap(),
            "broken.json",
            "--format",
            "json",
        ],
        1,
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["ok"], false);
    assert_eq!(v["violations"][0]["rule"], "outside-shift");
    assert_eq!(v["violations"][0]["vehicle"], "bus-01");
}

#[test]
fn a_plan_for_another_scenario_is_bad_input() {
    let d = tmp();
    let s = example("aleppo-2016/scenario.toml");
    let p = example("tutorial/plan-by-hand.json");
    let (_, err) = run(
        d.path(),
        &["check", s.to_str().unwrap(), p.to_str().unwrap()],
        2,
    );
    // One sentence naming both scenarios, not a line per unknown name.
    assert!(
        err.contains("`scenario`: the plan was made for scenario `Riverside flood (tutorial)`, not `Eastern Aleppo, December 2016`: 3 of its names are not in this scenario (the first: no site named `Hill school shelter`"),
        "{err}"
    );
    assert!(err.contains("1 problem found"), "{err}");
}

#[test]
fn a_broken_scenario_is_reported_with_file_line_and_field() {
    let d = tmp();
    let tutorial = std::fs::read_to_string(example("tutorial/scenario.toml")).unwrap();
    for f in ["sites.csv", "households.csv"] {
        std::fs::copy(example("tutorial").join(f), d.path().join(f)).unwrap();
    }
    std::fs::write(
        d.path().join("scenario.toml"),
        tutorial.replacen("seats = 50", "sats = 50", 1),
    )
    .unwrap();
    let (_, err) = run(d.path(), &["validate", "scenario.toml"], 2);
    assert!(
        err.contains("error: scenario.toml:20:1: `sats`: unknown key `sats`"),
        "{err}"
    );
    assert!(err.contains("(did you mean `seats`?)"), "{err}");
    let (json, _) = run(
        d.path(),
        &["validate", "scenario.toml", "--format", "json"],
        2,
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["problems"][0]["line"], 20);
    assert_eq!(v["problems"][0]["field"], "sats");
}

#[test]
fn missing_files_and_bad_usage_exit_2() {
    let d = tmp();
    let (_, err) = run(d.path(), &["validate", "nowhere.toml"], 2);
    assert!(
        err.contains("nowhere.toml: cannot read the scenario file"),
        "{err}"
    );
    run(d.path(), &["frobnicate"], 2);
    run(d.path(), &["generate", "--windows", "3", "-o", "x"], 2);
    let (_, err) = run(d.path(), &["generate", "--households", "0", "-o", "x"], 2);
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn help_has_examples() {
    let d = tmp();
    let (out, _) = run(d.path(), &["--help"], 0);
    assert!(
        out.contains("Examples:") && out.contains("Exit codes"),
        "{out}"
    );
    for cmd in ["validate", "check", "generate", "demo", "plan", "sheets"] {
        let (out, _) = run(d.path(), &[cmd, "--help"], 0);
        assert!(out.contains("Examples:"), "{cmd}: {out}");
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_ends_the_search_and_keeps_the_best_plan() {
    let d = tmp();
    let s = example("aleppo-2016/scenario.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_corridor"))
        .args([
            "plan",
            s.to_str().unwrap(),
            "--time-limit",
            "10min",
            "-o",
            "p.json",
        ])
        .current_dir(d.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("ends");
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{o}\nstderr:\n{e}");
    assert!(
        e.contains("interrupted: keeping the best plan found so far"),
        "{e}"
    );
    run(d.path(), &["check", s.to_str().unwrap(), "p.json"], 0);
}

#[test]
fn explain_names_the_aleppo_checkpoint_and_its_windows_as_the_bottleneck() {
    let d = tmp();
    let s = example("aleppo-2016/scenario.toml");
    let s = s.to_str().unwrap();
    let (out, _) = run(
        d.path(),
        &["plan", s, "-o", "plan.json", "--iterations", "30"],
        0,
    );
    assert!(out.contains("Where the time goes"), "{out}");
    let (out, _) = run(d.path(), &["explain", s, "plan.json", "--vehicles"], 0);
    assert!(
        out.contains(
            "Bottleneck: corridor Ramouseh, at its checkpoint Ramouseh crossing. Vehicles waited"
        ),
        "{out}"
    );
    assert!(out.contains("for its windows"), "{out}");
    assert!(out.contains("Per vehicle (hours):"), "{out}");
    assert!(out.contains("\nbus-01 "), "{out}");
    let (json, _) = run(
        d.path(),
        &["explain", s, "plan.json", "--format", "json"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let window = v["time_use"]["fleet"]["waiting_for_window_s"]
        .as_i64()
        .unwrap();
    let driving = v["time_use"]["fleet"]["driving_s"].as_i64().unwrap();
    assert!(window > 0 && driving > 0, "{json}");
    assert_eq!(
        v["time_use"]["checkpoints"][0]["checkpoint"],
        "Ramouseh crossing"
    );
}

/// The tutorial's hand-made plan, worked out by hand: a household's wait runs
/// from its ready time to the start of loading at its stop, counted per person.
/// Tier 1: RF-003 (2 people) 30 min, RF-010 (3) 90 min. Tier 2: RF-002 (6) and
/// RF-013 (2) 60 min, RF-006 (7) and RF-008 (1) 120 min. Tier 3: RF-016 (9) 0,
/// RF-014 (6) and RF-015 (4) 15 min, RF-004 (5) and RF-005 (3) 30 min, RF-001
/// (4), RF-009 (5), RF-011 (8) and RF-012 (5) 60 min, RF-007 (4) 120 min.
#[test]
fn explain_reports_waits_per_tier() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    let p = example("tutorial/plan-by-hand.json");
    let (s, p) = (s.to_str().unwrap(), p.to_str().unwrap());
    let (out, _) = run(d.path(), &["explain", s, p], 0);
    for line in [
        "People waiting (from ready to the start of loading at their site, per person):",
        // (2 × 30 + 3 × 90) / 5 = 66 min; the 5th of 5 people waited 90 min.
        "  tier 1        5 people: mean 1 h 06 min, P90 1 h 30 min, longest 1 h 30 min",
        // 1440 / 16 = 90 min; the 15th of 16 people waited 120 min.
        "  tier 2       16 people: mean 1 h 30 min, P90 2 h 00 min, longest 2 h 00 min",
        // 2190 / 53 = 41.3 min; the 48th of 53 people waited 60 min.
        "  tier 3       53 people: mean 0 h 41 min, P90 1 h 00 min, longest 2 h 00 min",
        // 3960 / 74 = 53.5 min; the 67th of 74 people waited 120 min.
        "  all          74 people: mean 0 h 54 min, P90 2 h 00 min, longest 2 h 00 min",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    let (json, _) = run(d.path(), &["explain", s, p, "--format", "json"], 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let w = &v["waits"];
    assert_eq!(w["tier_1"]["people"], 5);
    assert_eq!(w["tier_1"]["households"], 2);
    assert_eq!(w["tier_1"]["mean_s"], 3960.0);
    assert_eq!(w["tier_1"]["p90_s"], 5400);
    assert_eq!(w["tier_2"]["mean_s"], 5400.0);
    assert_eq!(w["tier_2"]["max_s"], 7200);
    assert_eq!(w["tier_3"]["p90_s"], 3600);
    assert_eq!(w["tier_3"]["max_s"], 7200);
    let mean = w["tier_3"]["mean_s"].as_f64().unwrap();
    assert!((mean - 2190.0 * 60.0 / 53.0).abs() < 1e-6, "{mean}");
    assert_eq!(w["all"]["people"], 74);
    assert_eq!(w["all"]["households"], 16);
    assert_eq!(w["all"]["p90_s"], 7200);
}

#[test]
fn plan_reports_waits_per_tier() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    let (out, _) = run(
        d.path(),
        &[
            "plan",
            s.to_str().unwrap(),
            "--iterations",
            "50",
            "-o",
            "p.json",
        ],
        0,
    );
    assert!(out.contains("People waiting (from ready"), "{out}");
    assert!(out.contains("  all          74 people: mean "), "{out}");
    let (json, _) = run(
        d.path(),
        &[
            "plan",
            s.to_str().unwrap(),
            "--iterations",
            "50",
            "--format",
            "json",
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let w = &v["waits"];
    let people: u64 = ["tier_1", "tier_2", "tier_3"]
        .iter()
        .map(|t| w[t]["people"].as_u64().unwrap())
        .sum();
    assert_eq!(people, 74);
    assert_eq!(w["all"]["people"], 74);
    for t in ["tier_1", "tier_2", "tier_3", "all"] {
        let (mean, p90, max) = (
            w[t]["mean_s"].as_f64().unwrap(),
            w[t]["p90_s"].as_i64().unwrap(),
            w[t]["max_s"].as_i64().unwrap(),
        );
        assert!(mean >= 0.0 && mean <= max as f64 && p90 <= max, "{t}: {w}");
    }
}

#[test]
fn explain_refuses_a_plan_that_breaks_rules() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    let plan = std::fs::read_to_string(example("tutorial/plan-by-hand.json")).unwrap();
    let broken = plan.replacen("\"departs\": 1800", "\"departs\": 600", 1);
    std::fs::write(d.path().join("broken.json"), broken).unwrap();
    let (_, err) = run(
        d.path(),
        &["explain", s.to_str().unwrap(), "broken.json"],
        1,
    );
    assert!(err.contains("[outside-shift]"), "{err}");
    let (out, _) = run(
        d.path(),
        &[
            "explain",
            s.to_str().unwrap(),
            example("tutorial/plan-by-hand.json").to_str().unwrap(),
        ],
        0,
    );
    assert!(out.starts_with("Bottleneck: "), "{out}");
}

/// A state at `t0` that says the plan was carried out as written until then.
fn state_from_plan(
    plan: &serde_json::Value,
    t0: i64,
    lost: &str,
    closed: Option<&str>,
) -> serde_json::Value {
    let mut delivered = vec![];
    let mut vehicles = vec![];
    for r in plan["routes"].as_array().unwrap() {
        let name = r["vehicle"].as_str().unwrap();
        if name == lost {
            vehicles.push(serde_json::json!({ "vehicle": name, "out_of_service": true }));
            continue;
        }
        let mut at: Option<(String, i64)> = None;
        let mut on_board = vec![];
        for t in r["trips"].as_array().unwrap() {
            let hs = t["stops"].as_array().unwrap().iter().flat_map(|s| {
                s["households"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap().to_string())
            });
            let dest = t["destination"].as_str().unwrap().to_string();
            let unloaded = t["unloaded"].as_i64().unwrap();
            if unloaded <= t0 {
                delivered
                    .extend(hs.map(|h| serde_json::json!({ "household": h, "destination": dest })));
                at = Some((dest, unloaded));
            } else if t["stops"][0]["arrives"].as_i64().unwrap() <= t0 {
                on_board.extend(hs);
                at = Some((dest, unloaded));
                break;
            } else {
                break;
            }
        }
        if let Some((site, free)) = at {
            vehicles.push(serde_json::json!({
                "vehicle": name, "at": site, "free_from": format!("{free}s"), "on_board": on_board,
            }));
        }
    }
    let mut state = serde_json::json!({
        "format": "corridor-state", "version": 1, "at": format!("{t0}s"),
        "delivered": delivered, "vehicles": vehicles,
    });
    if let Some(c) = closed {
        state["closed"] =
            serde_json::json!([{ "corridor": c, "until": "2016-12-19T12:00:00+02:00" }]);
    }
    state
}

#[test]
fn replanning_from_a_state_keeps_the_past_and_checks() {
    let d = tmp();
    let s = example("aleppo-2016/scenario.toml");
    let s = s.to_str().unwrap();
    run(
        d.path(),
        &["plan", s, "-o", "plan.json", "--iterations", "30"],
        0,
    );
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("plan.json")).unwrap())
            .unwrap();
    // Mid-way through the second window: bus-03 is lost and the corridor closes until noon on the 19th.
    let t0 = 4 * 86_400;
    let state = state_from_plan(&plan, t0, "bus-03", Some("Ramouseh"));
    std::fs::write(d.path().join("state.json"), state.to_string()).unwrap();
    let (out, err) = run(
        d.path(),
        &[
            "plan",
            s,
            "--from-state",
            "state.json",
            "--previous",
            "plan.json",
            "-o",
            "replan.json",
            "--iterations",
            "30",
        ],
        0,
    );
    assert!(err.contains("From the state at 2016-12-19 00:00"), "{err}");
    assert!(out.contains("Makespan:"), "{out}");
    run(
        d.path(),
        &["check", s, "--from-state", "state.json", "replan.json"],
        0,
    );
    // Against the whole scenario the re-plan is not a plan: the past is missing from it.
    let (whole, _) = run(d.path(), &["check", s, "replan.json"], 1);
    assert!(
        whole.contains("[household-not-carried]") || whole.contains("household"),
        "{whole}"
    );

    let replan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("replan.json")).unwrap())
            .unwrap();
    let delivered: std::collections::HashSet<&str> = state["delivered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["household"].as_str().unwrap())
        .collect();
    assert!(!delivered.is_empty());
    let starts: std::collections::HashMap<&str, (&str, i64)> = state["vehicles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["at"].is_string())
        .map(|v| {
            let free = v["free_from"]
                .as_str()
                .unwrap()
                .trim_end_matches('s')
                .parse::<i64>()
                .unwrap();
            (
                v["vehicle"].as_str().unwrap(),
                (v["at"].as_str().unwrap(), free.max(t0)),
            )
        })
        .collect();
    let mut moved = 0;
    for r in replan["routes"].as_array().unwrap() {
        let name = r["vehicle"].as_str().unwrap();
        assert_ne!(name, "bus-03", "a lost vehicle is planned");
        let first = &r["trips"][0];
        assert!(
            first["departs"].as_i64().unwrap() >= t0,
            "{name} leaves before the state's instant"
        );
        if let Some((_, free)) = starts.get(name) {
            assert!(
                first["departs"].as_i64().unwrap() >= *free,
                "{name} leaves before it is free"
            );
        }
        for t in r["trips"].as_array().unwrap() {
            for st in t["stops"].as_array().unwrap() {
                for h in st["households"].as_array().unwrap() {
                    assert!(
                        !delivered.contains(h.as_str().unwrap()),
                        "{h} carried twice"
                    );
                }
            }
            let crossing = &t["crossing"];
            if crossing.is_object() {
                // Closed from t0 until noon on the 19th (t = 4.5 days).
                let starts = crossing["starts"].as_i64().unwrap();
                assert!(
                    starts >= 4 * 86_400 + 10 * 3600,
                    "crossing at {starts} while closed"
                );
            }
        }
        moved += 1;
    }
    assert!(moved > 0);
    let (explain, _) = run(
        d.path(),
        &["explain", s, "--from-state", "state.json", "replan.json"],
        0,
    );
    assert!(explain.starts_with("Bottleneck"), "{explain}");
    // ...and the re-plan can be rehearsed against what remains.
    let (rehearsal, _) = run(
        d.path(),
        &[
            "rehearse",
            s,
            "--from-state",
            "state.json",
            "replan.json",
            "--runs",
            "20",
        ],
        0,
    );
    assert!(rehearsal.contains("20 runs"), "{rehearsal}");
}

#[test]
fn a_broken_state_file_names_the_field() {
    let d = tmp();
    let s = example("aleppo-2016/scenario.toml");
    let s = s.to_str().unwrap();
    std::fs::write(
        d.path().join("state.json"),
        r#"{"format": "corridor-state", "version": 1, "at": "2016-12-16T12:00:00+02:00",
            "vehicles": [{"vehicle": "bus-99", "out_of_service": true},
                         {"vehicle": "bus-01", "at": "al-Rashidn", "free_from": "30h"}],
            "closed": [{"corridor": "Ramouseh", "until": "soon"}]}"#,
    )
    .unwrap();
    let (_, err) = run(
        d.path(),
        &["plan", s, "--from-state", "state.json", "--iterations", "5"],
        2,
    );
    assert!(
        err.contains("vehicles[0].vehicle") && err.contains("bus-99"),
        "{err}"
    );
    assert!(
        err.contains("vehicles[1].at") && err.contains("did you mean `al-Rashidin`?"),
        "{err}"
    );
    assert!(err.contains("closed[0].until"), "{err}");
    std::fs::write(
        d.path().join("state.json"),
        "{\"format\": \"corridor-state\",\n \"version\": 1,\n \"at\": 5}",
    )
    .unwrap();
    let (_, err) = run(d.path(), &["plan", s, "--from-state", "state.json"], 2);
    assert!(err.contains("state.json:3"), "{err}");
    // Contradictions name both places.
    let t = example("tutorial/scenario.toml");
    std::fs::write(
        d.path().join("state.json"),
        r#"{"format":"corridor-state","version":1,"at":"2h",
            "delivered":[{"household":"RF-003","destination":"Hill school shelter"},
                         {"household":"RF-004","destination":"Bus depot"}],
            "vehicles":[{"vehicle":"bus-01","at":"Hill school shelter","free_from":"2h","on_board":["RF-004"]}]}"#,
    )
    .unwrap();
    let (_, err) = run(
        d.path(),
        &["plan", t.to_str().unwrap(), "--from-state", "state.json"],
        2,
    );
    assert!(
        err.contains("`delivered[0].destination`") && err.contains("does not take it"),
        "{err}"
    );
    assert!(
        err.contains("`delivered[1].destination`") && err.contains("not a destination"),
        "{err}"
    );
    assert!(
        err.contains("`vehicles[0].on_board[0]`")
            && err.contains("listed twice, here and at `delivered[1].household`"),
        "{err}"
    );
}

#[test]
fn rehearse_reports_the_makespan_distribution_and_writes_plots() {
    let d = tmp();
    let s = example("tutorial/scenario.toml");
    let p = example("tutorial/plan-by-hand.json");
    let (s, p) = (s.to_str().unwrap(), p.to_str().unwrap());
    let (out, _) = run(
        d.path(),
        &[
            "rehearse",
            s,
            p,
            "--runs",
            "40",
            "--deadline",
            "12h",
            "-o",
            "r",
        ],
        0,
    );
    for needle in [
        "P50 (median)",
        "P90",
        "still waiting",
        "driving",
        "Everyone delivered by",
    ] {
        assert!(out.contains(needle), "{needle} missing in\n{out}");
    }
    for f in [
        "summary.json",
        "evacuation.svg",
        "makespan.svg",
        "time-use.svg",
    ] {
        let path = d.path().join("r").join(f);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{f}: {e}"));
        if f.ends_with(".svg") {
            assert!(
                text.contains("<svg") && text.contains("<text"),
                "{f} has no labels"
            );
        }
    }
    // The same seed on another number of threads gives the same numbers.
    let one = run(
        d.path(),
        &[
            "rehearse",
            s,
            p,
            "--runs",
            "40",
            "--threads",
            "1",
            "--format",
            "json",
        ],
        0,
    )
    .0;
    let two = run(
        d.path(),
        &[
            "rehearse",
            s,
            p,
            "--runs",
            "40",
            "--threads",
            "2",
            "--format",
            "json",
        ],
        0,
    )
    .0;
    assert_eq!(one, two);
    let v: serde_json::Value = serde_json::from_str(&one).expect("JSON");
    assert_eq!(
        v["plans"][0]["makespan_h_per_run"].as_array().map(Vec::len),
        Some(40)
    );
    // A plan compared with itself on common random numbers: no difference at all.
    let (cmp, _) = run(
        d.path(),
        &["rehearse", s, p, p, "--runs", "30", "--format", "json"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&cmp).expect("JSON");
    assert_eq!(v["comparison"]["p50"]["a_minus_b_s"], 0.0);
    assert_eq!(v["comparison"]["p90"]["better"], "neither");
    // A bad deadline is bad input.
    run(
        d.path(),
        &["rehearse", s, p, "--runs", "5", "--deadline", "soon"],
        2,
    );
}

/// The tutorial copied into `dir`, with `extra` appended to its scenario file.
fn tutorial_with(dir: &Path, extra: &str) -> (String, String) {
    for f in ["households.csv", "sites.csv", "plan-by-hand.json"] {
        std::fs::copy(example("tutorial").join(f), dir.join(f)).expect("copy the tutorial");
    }
    let scenario = std::fs::read_to_string(example("tutorial/scenario.toml")).expect("tutorial");
    std::fs::write(dir.join("scenario.toml"), format!("{scenario}\n{extra}\n")).expect("write");
    ("scenario.toml".into(), "plan-by-hand.json".into())
}

#[test]
fn a_rehearsal_where_runs_deliver_nobody_says_so() {
    let d = tmp();
    let (s, p) = tutorial_with(d.path(), "[rehearsal]\nlosses_per_working_hour = 10");
    let (out, _) = run(d.path(), &["rehearse", &s, &p, "--runs", "20"], 0);
    assert!(out.contains("Last delivery of any run"), "{out}");
    assert!(out.contains("P10 nothing delivered"), "{out}");
    let (json, _) = run(
        d.path(),
        &["rehearse", &s, &p, "--runs", "20", "--format", "json"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let plan = &v["plans"][0];
    assert!(plan["last_delivery_s"]["p10"].is_null(), "{plan}");
    assert!(plan["runs_delivering_nobody"].as_u64() >= Some(2), "{plan}");
}

#[test]
fn rehearse_refuses_bad_arguments_naming_what_to_fix() {
    let d = tmp();
    let (s, p) = tutorial_with(d.path(), "");
    let (_, err) = run(d.path(), &["rehearse", &s, &p, "--runs", "0"], 2);
    assert!(
        err.contains("--runs") && err.contains("at least one run"),
        "{err}"
    );
    // A huge count is refused with the largest accepted, never a failed allocation.
    let (_, err) = run(d.path(), &["rehearse", &s, &p, "--runs", "1000000000000"], 2);
    assert!(err.contains("--runs") && err.contains("at most 1000000 runs"), "{err}");
    let (out, err) = run(
        d.path(),
        &[
            "rehearse",
            &s,
            &p,
            "--runs",
            "2",
            "--deadline",
            "99999999999h",
        ],
        2,
    );
    assert!(err.contains("more than 100 years"), "{err}");
    assert!(out.is_empty(), "{out}");
    std::fs::write(d.path().join("taken"), "a file").expect("write");
    let (_, err) = run(
        d.path(),
        &["rehearse", &s, &p, "--runs", "2", "-o", "taken"],
        2,
    );
    assert!(err.contains("taken") && err.contains("directory"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.path().join("taken")).expect("still there"),
        "a file"
    );
    let (s, p) = tutorial_with(d.path(), "[[rehearsal]]\ntravel_time_cv = 0.1");
    let (_, err) = run(d.path(), &["rehearse", &s, &p, "--runs", "2"], 2);
    assert!(
        err.contains("single table") && err.contains("[rehearsal]"),
        "{err}"
    );
}

#[test]
fn a_state_written_from_a_plan_drives_a_replan() {
    let d = tmp();
    let s = example("aleppo-2016/scenario.toml");
    let s = s.to_str().unwrap();
    run(
        d.path(),
        &["plan", s, "-o", "plan.json", "--iterations", "30"],
        0,
    );
    let (_, err) = run(
        d.path(),
        &[
            "state",
            s,
            "plan.json",
            "--at",
            "2016-12-16T11:00:00+02:00",
            "--lost",
            "bus-07",
            "--closed",
            "Ramouseh=2016-12-18T23:00:00+02:00",
            "-o",
            "state.json",
        ],
        0,
    );
    assert!(err.contains("wrote the state at 2016-12-16 11:00"), "{err}");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("state.json")).unwrap())
            .unwrap();
    assert_eq!(state["format"], "corridor-state");
    assert_eq!(state["closed"][0]["until"], "2016-12-18T23:00:00+02:00");
    assert!(!state["delivered"].as_array().unwrap().is_empty());
    let lost = state["vehicles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vehicle"] == "bus-07")
        .unwrap();
    assert_eq!(lost["out_of_service"], true);
    run(
        d.path(),
        &[
            "plan",
            s,
            "--from-state",
            "state.json",
            "-o",
            "replan.json",
            "--iterations",
            "20",
        ],
        0,
    );
    run(
        d.path(),
        &["check", s, "--from-state", "state.json", "replan.json"],
        0,
    );
    // Bad arguments name the option and suggest the name meant.
    let (_, err) = run(
        d.path(),
        &["state", s, "plan.json", "--at", "30h", "--lost", "bus-99"],
        2,
    );
    assert!(
        err.contains("`--lost`") && err.contains("did you mean"),
        "{err}"
    );
    let (_, err) = run(d.path(), &["state", s, "plan.json", "--at", "soon"], 2);
    assert!(err.contains("`--at`"), "{err}");
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    let s = example("aleppo-2016/scenario.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_corridor"))
        .args(["validate", s.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the summary is printed, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn the_demo_refuses_a_bad_address_and_a_folder_it_would_empty_before_planning() {
    let d = tmp();
    let (_, err) = run(d.path(), &["demo", "--listen", "bogus"], 2);
    assert!(err.contains("--listen `bogus` is not an address and port"), "{err}");
    assert!(!d.path().join("corridor-demo/plan.json").exists(), "nothing planned");
    std::fs::create_dir_all(d.path().join("corridor-demo/operation")).expect("a folder");
    std::fs::write(d.path().join("corridor-demo/operation/notes.txt"), "mine").expect("a file");
    let (_, err) = run(d.path(), &["demo"], 2);
    assert!(err.contains("holds notes.txt") && err.contains("--output"), "{err}");
    assert!(d.path().join("corridor-demo/operation/notes.txt").exists(), "nothing removed");
}

#[test]
fn export_geojson_writes_to_standard_output_and_an_always_open_corridor_without_dates() {
    let d = tmp();
    let (s, _) = tutorial_with(
        d.path(),
        "[[corridor]]\nname = \"Bridge\"\ncheckpoint = \"Bridge\"\ngoverns = [\"Market square\"]\nprocessing = \"1min\"",
    );
    let mut sites = std::fs::read_to_string(d.path().join("sites.csv")).expect("sites");
    sites.push_str("Bridge,checkpoint,50.1100,8.7000,,\n");
    std::fs::write(d.path().join("sites.csv"), sites).expect("write");
    let (out, err) = run(d.path(), &["export", "geojson", &s, "-o", "-"], 0);
    assert!(!d.path().join("-").exists());
    assert!(err.contains("standard output"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("GeoJSON on standard output");
    let corridor = v["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["layer"] == "corridor")
        .expect("the corridor")
        .clone();
    assert_eq!(corridor["properties"]["always_open"], true, "{corridor}");
    assert!(corridor["properties"].get("windows").is_none(), "{corridor}");
}

/// A two-stage evacuation is one scenario that validates, plans, checks,
/// explains, rehearses and exports.
#[test]
fn an_evacuation_through_a_hub_is_one_scenario_from_plan_to_map() {
    let d = tmp();
    let s = example("hub-city/scenario.toml");
    let s = s.to_str().unwrap();
    let (out, _) = run(d.path(), &["validate", s], 0);
    assert!(out.contains("1 hub"), "{out}");
    assert!(
        out.contains("Hub:      Central terminal (processes 2500 people an hour; 67 vehicles serve it)"),
        "{out}"
    );
    let (out, _) = run(
        d.path(),
        &["plan", s, "--iterations", "200", "-o", "plan.json"],
        0,
    );
    assert!(out.contains("People carried:        4000"), "{out}");
    assert!(out.contains("onward from hubs"), "{out}");
    assert!(out.contains("Hub Central terminal: 3940 people"), "{out}");
    // The plan file lists a household once per leg: the bus to the terminal, then a coach.
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("plan.json")).unwrap())
            .unwrap();
    let mut boards: std::collections::HashMap<String, Vec<String>> = Default::default();
    for r in plan["routes"].as_array().unwrap() {
        for t in r["trips"].as_array().unwrap() {
            for stop in t["stops"].as_array().unwrap() {
                for h in stop["households"].as_array().unwrap() {
                    boards
                        .entry(h.as_str().unwrap().to_string())
                        .or_default()
                        .push(stop["site"].as_str().unwrap().to_string());
                }
            }
        }
    }
    assert_eq!(boards.len(), 1336);
    let trains = plan["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["vehicle"].as_str().unwrap().starts_with("train-"))
        .count();
    assert!(trains > 0, "the planner fills the fixed line's trains");
    let through = boards
        .values()
        .filter(|sites| sites.len() == 2 && sites[1] == "Central terminal")
        .count();
    assert_eq!(through, 1316, "every household without a stretcher case changes at the terminal");
    run(d.path(), &["check", s, "plan.json"], 0);
    let (out, _) = run(d.path(), &["explain", s, "plan.json"], 0);
    assert!(out.contains("Hub Central terminal: 3940 people in 1316 households"), "{out}");
    let (out, _) = run(d.path(), &["rehearse", s, "plan.json", "--runs", "20"], 0);
    assert!(out.contains("20 runs"), "{out}");
    run(
        d.path(),
        &["export", "geojson", s, "plan.json", "-o", "map.geojson"],
        0,
    );
    let map = std::fs::read_to_string(d.path().join("map.geojson")).unwrap();
    assert!(map.contains("\"hub\""), "the hub is on the map");
}

/// The tutorial's hospital keeps 30 of its 40 places for households with stretcher cases.
fn tutorial_with_reserved_beds(dir: &Path) -> String {
    let (s, _) = tutorial_with(dir, "");
    let sites: String = std::fs::read_to_string(dir.join("sites.csv"))
        .expect("sites")
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l},reserved_places\n"),
            1 => format!("{l},#capacity+reserved\n"),
            _ if l.starts_with("St. Anne hospital,") => format!("{l},30\n"),
            _ => format!("{l},\n"),
        })
        .collect();
    std::fs::write(dir.join("sites.csv"), sites).expect("write");
    s
}

#[test]
fn validate_plan_and_export_say_which_places_are_reserved() {
    let d = tmp();
    let s = tutorial_with_reserved_beds(d.path());
    let (out, _) = run(d.path(), &["validate", &s], 0);
    assert!(
        out.contains(
            "St. Anne hospital (capacity 40, accepts stretcher cases, 30 places reserved for households with stretcher cases)"
        ),
        "{out}"
    );
    let (out, _) = run(
        d.path(),
        &["plan", &s, "--iterations", "500", "-o", "plan.json"],
        0,
    );
    assert!(out.contains("People carried:        74"), "{out}");
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("St. Anne hospital"))
        .unwrap_or_else(|| panic!("the hospital's line: {out}"));
    assert!(
        line.contains("without stretcher cases, of the 10 places not reserved for them"),
        "{line}"
    );
    let (json, _) = run(d.path(), &["check", &s, "plan.json", "--format", "json"], 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let hospital = v["figures"]["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .find(|x| x["site"] == "St. Anne hospital")
        .expect("the hospital")
        .clone();
    assert_eq!(hospital["places_not_reserved"], 10, "{hospital}");
    assert!(
        hospital["people_without_stretcher_cases"]
            .as_u64()
            .expect("a count")
            <= 10,
        "{hospital}"
    );
    let (out, _) = run(d.path(), &["export", "geojson", &s, "-o", "-"], 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("GeoJSON");
    let site = |name: &str| {
        v["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["properties"]["name"] == name)
            .expect("the site")["properties"]
            .clone()
    };
    let hospital = site("St. Anne hospital");
    assert_eq!(hospital["reserved_for"], "stretcher_cases", "{hospital}");
    assert_eq!(hospital["reserved_places"], 30, "{hospital}");
    assert!(site("Hill school shelter").get("reserved_for").is_none());
}
