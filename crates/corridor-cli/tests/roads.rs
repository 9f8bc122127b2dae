//! `corridor roads import` and `corridor export geojson`, and the Neubrandenburg example on real
//! roads, run with the real binary in a temporary directory per test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn path(rel: &str) -> String {
    root().join(rel).display().to_string()
}

/// Runs and checks the exit code, returning (stdout, stderr).
fn run(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_corridor"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the corridor binary runs");
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
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
fn import_reports_what_it_kept_and_dropped_and_writes_a_prepared_network() {
    let d = tmp();
    let (out, _) = run(
        d.path(),
        &[
            "roads",
            "import",
            &path("data/osm/neubrandenburg.osm.pbf"),
            "-o",
            "nb.roads",
        ],
        0,
    );
    assert!(
        out.contains("Kept:") && out.contains("highway=footway is not a road for cars"),
        "{out}"
    );
    assert!(
        out.contains("outside the largest strongly connected part"),
        "{out}"
    );
    let bytes = std::fs::read(d.path().join("nb.roads")).expect("written");
    assert!(bytes.starts_with(b"CORRIDOR-ROADS"));

    let (json, _) = run(
        d.path(),
        &[
            "roads",
            "import",
            &path("data/osm/helsinki-centre.osm.pbf"),
            "-o",
            "h.roads",
            "--format",
            "json",
        ],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert!(
        v["report"]["missing_node_refs"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{v}"
    );
    assert!(
        v["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("outside the extract")),
        "{v}"
    );

    std::fs::write(
        d.path().join("cut.osm.pbf"),
        &std::fs::read(path("data/osm/neubrandenburg.osm.pbf")).expect("read")[..50_000],
    )
    .expect("write");
    let (_, err) = run(
        d.path(),
        &["roads", "import", "cut.osm.pbf", "-o", "x.roads"],
        2,
    );
    assert!(
        err.contains("cut.osm.pbf") && err.contains("not a readable OpenStreetMap PBF file"),
        "{err}"
    );
    // A PBF cut short is not told to convert from XML, and its name is said once.
    assert_eq!(err.matches("cut.osm.pbf").count(), 1, "{err}");
    assert!(
        err.contains("seems cut short") && !err.contains("osmium"),
        "{err}"
    );
    assert!(!d.path().join("x.roads").exists());

    // An output folder that does not exist: the path and the cause, each said once.
    let out = d.path().join("no-such-folder").join("x.roads");
    let out = out.display().to_string();
    let (_, err) = run(
        d.path(),
        &[
            "roads",
            "import",
            &path("data/osm/neubrandenburg.osm.pbf"),
            "-o",
            &out,
        ],
        2,
    );
    assert_eq!(err.matches(out.as_str()).count(), 1, "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
}

#[test]
fn neubrandenburg_plans_checks_replans_for_closed_bridges_and_exports() {
    let d = tmp();
    let open = path("examples/neubrandenburg/scenario.toml");
    let closed = path("examples/neubrandenburg/scenario-bridges-closed.toml");
    let plan_args = ["--iterations", "300", "--time-limit", "60s", "--seed", "1"];
    let mut args = vec!["plan", open.as_str(), "-o", "open.json"];
    args.extend(plan_args);
    let (out, _) = run(d.path(), &args, 0);
    assert!(out.contains("People carried:        660"), "{out}");
    run(d.path(), &["check", &open, "open.json"], 0);

    // With the bridges closed the old plan drives too fast somewhere; a new plan is valid.
    let (out, _) = run(d.path(), &["check", &closed, "open.json"], 1);
    assert!(out.contains("[travel-too-fast]"), "{out}");
    let mut args = vec!["plan", closed.as_str(), "-o", "closed.json"];
    args.extend(plan_args);
    run(d.path(), &args, 0);
    run(d.path(), &["check", &closed, "closed.json"], 0);

    let (out, _) = run(
        d.path(),
        &[
            "export",
            "geojson",
            &closed,
            "closed.json",
            "-o",
            "nb.geojson",
        ],
        0,
    );
    assert!(out.contains("vehicle routes"), "{out}");
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.path().join("nb.geojson")).expect("written"),
    )
    .expect("GeoJSON");
    assert_eq!(v["type"], "FeatureCollection");
    let features = v["features"].as_array().expect("features");
    let layer = |f: &serde_json::Value| f["properties"]["layer"].as_str().unwrap_or("").to_string();
    assert!(features.iter().filter(|f| layer(f) == "road").count() > 1000);
    assert_eq!(features.iter().filter(|f| layer(f) == "site").count(), 12);
    let routes: Vec<&serde_json::Value> = features.iter().filter(|f| layer(f) == "route").collect();
    assert!(!routes.is_empty());
    // Drawn along the roads: many more points than the two ends.
    assert!(routes.iter().all(|r| {
        r["geometry"]["coordinates"]
            .as_array()
            .is_some_and(|c| c.len() > 2)
    }));

    // A plan that breaks rules is not drawn.
    run(
        d.path(),
        &[
            "export",
            "geojson",
            &closed,
            "open.json",
            "-o",
            "bad.geojson",
        ],
        1,
    );
    assert!(!d.path().join("bad.geojson").exists());
}

#[test]
fn a_prepared_network_gives_the_same_times_as_the_extract() {
    let d = tmp();
    run(
        d.path(),
        &[
            "roads",
            "import",
            &path("data/osm/neubrandenburg.osm.pbf"),
            "-o",
            "nb.roads",
        ],
        0,
    );
    let text = std::fs::read_to_string(root().join("examples/neubrandenburg/scenario.toml"))
        .expect("read")
        .replace("../../data/osm/neubrandenburg.osm.pbf", "nb.roads")
        .replace(
            "\"sites.csv\"",
            &format!("{:?}", path("examples/neubrandenburg/sites.csv")),
        );
    std::fs::write(d.path().join("prepared.toml"), text).expect("write");
    let (a, _) = run(d.path(), &["validate", "prepared.toml"], 0);
    let (b, _) = run(
        d.path(),
        &["validate", &path("examples/neubrandenburg/scenario.toml")],
        0,
    );
    let travel = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("Travel:"))
            .map(|l| l.split(" (").next().unwrap_or("").to_string())
    };
    assert!(travel(&a).is_some());
    assert_eq!(travel(&a), travel(&b));
}

#[test]
fn a_scenario_without_roads_exports_straight_legs() {
    let d = tmp();
    let s = path("examples/tutorial/scenario.toml");
    let p = path("examples/tutorial/plan-by-hand.json");
    run(
        d.path(),
        &["export", "geojson", &s, &p, "-o", "t.geojson"],
        0,
    );
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.path().join("t.geojson")).expect("written"),
    )
    .expect("GeoJSON");
    let features = v["features"].as_array().expect("features");
    assert!(features.iter().all(|f| f["properties"]["layer"] != "road"));
    let routes: Vec<_> = features
        .iter()
        .filter(|f| f["properties"]["layer"] == "route")
        .collect();
    assert!(!routes.is_empty());
    assert!(routes.iter().all(|r| {
        r["geometry"]["coordinates"]
            .as_array()
            .is_some_and(|c| c.len() == 2)
    }));
    let (_, err) = run(
        d.path(),
        &["export", "geojson", "absent.toml", "-o", "x.geojson"],
        2,
    );
    assert!(err.contains("absent.toml"), "{err}");
}

#[test]
fn neubrandenburg_rehearsal_reports_what_each_possible_closure_costs() {
    let d = tmp();
    let scenario = path("examples/neubrandenburg/scenario.toml");
    run(
        d.path(),
        &[
            "plan",
            &scenario,
            "-o",
            "nb.json",
            "--iterations",
            "300",
            "--seed",
            "1",
        ],
        0,
    );
    let rehearse = [
        "rehearse",
        scenario.as_str(),
        "nb.json",
        "--runs",
        "300",
        "--seed",
        "2",
    ];
    let (out, _) = run(d.path(), &["validate", &scenario], 0);
    assert!(
        out.contains("Rehearsal: roads that may close: Neustrelitzer Straße bridge, northern (may be found damaged) (30 %); Woldegker Straße flooded (20 %)"),
        "{out}"
    );
    let (out, _) = run(d.path(), &rehearse, 0);
    assert!(out.contains("Possible road closures"), "{out}");
    assert!(
        out.contains("Woldegker Straße flooded (closes between"),
        "{out}"
    );
    assert!(out.contains("with it:    makespan P50"), "{out}");
    assert!(out.contains("without it: makespan P50"), "{out}");

    let mut args = rehearse.to_vec();
    args.extend(["--format", "json"]);
    let (out, _) = run(d.path(), &args, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let closures = v["plans"][0]["closures"].as_array().expect("closures");
    assert_eq!(closures.len(), 2);
    assert_eq!(v["uncertainty"]["closures"][1]["mean_duration_s"], 3 * 3600);
    for (c, chance) in closures.iter().zip([0.3, 0.2]) {
        assert_eq!(c["chance"], chance);
        let with = c["with"]["runs"].as_u64().expect("runs");
        assert_eq!(with + c["without"]["runs"].as_u64().expect("runs"), 300);
        assert_eq!(c["happened_runs"].as_u64(), Some(with));
        // 300 runs: a share's standard deviation is under 0.03; the seed is fixed.
        let share = c["happened_share"].as_f64().expect("share");
        assert!((share - chance).abs() < 0.1, "{c}");
    }
    // Flooding the road to a reception centre for hours slows the runs it happens in.
    let p50 = |side: &str| {
        closures[1][side]["makespan_s"]["p50"]
            .as_i64()
            .expect("finished")
    };
    assert!(p50("with") > p50("without"), "{}", closures[1]);

    // A chance that is not a probability is named with its file, line and field.
    let text = std::fs::read_to_string(&scenario)
        .expect("read")
        .replace("../../data/osm/", &format!("{}/", path("data/osm")))
        .replace(
            "\"sites.csv\"",
            &format!("\"{}\"", path("examples/neubrandenburg/sites.csv")),
        )
        .replace("chance = 0.2", "chance = 20");
    std::fs::write(d.path().join("bad.toml"), &text).expect("write");
    let line = text
        .lines()
        .position(|l| l.contains("chance = 20"))
        .expect("line")
        + 1;
    let (_, err) = run(d.path(), &["rehearse", "bad.toml", "nb.json"], 2);
    assert!(err.contains(&format!("bad.toml:{line}")), "{err}");
    assert!(
        err.contains("`chance`") && err.contains("probability from 0 to 1"),
        "{err}"
    );
}
