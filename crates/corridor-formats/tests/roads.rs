//! Scenarios on real roads (data/osm/neubrandenburg.osm.pbf, ODbL, see data/osm/ATTRIBUTION.md).

use std::path::{Path, PathBuf};

use corridor_core::SiteId;
use corridor_formats::{NetworkSource, load_scenario};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/neubrandenburg")
        .join(name)
}

#[test]
fn closures_lengthen_road_times_and_unknown_streets_are_named() {
    let open = load_scenario(&example("scenario.toml")).expect("the example loads");
    assert!(matches!(open.network, NetworkSource::Roads { .. }));
    assert!(open.warnings.is_empty(), "{:?}", open.warnings);
    let closed =
        load_scenario(&example("scenario-bridges-closed.toml")).expect("the variant loads");
    let n = open.scenario.sites.len();
    let (mut longer, mut shorter) = (0, 0);
    for i in 0..n as u32 {
        for j in 0..n as u32 {
            let a = open
                .scenario
                .travel
                .get(SiteId(i), SiteId(j))
                .expect("reachable");
            let b = closed
                .scenario
                .travel
                .get(SiteId(i), SiteId(j))
                .expect("reachable");
            longer += usize::from(b > a);
            shorter += usize::from(b < a);
        }
    }
    assert!(
        longer > 0 && shorter == 0,
        "{longer} longer, {shorter} shorter"
    );

    // A misspelt street: the problem names the scenario line and the street, with a suggestion.
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(example("scenario-bridges-closed.toml"))
        .expect("read")
        .replace(
            "../../data/osm/",
            &format!("{}/", example("../../data/osm").display()),
        )
        .replace("sites.csv", &example("sites.csv").display().to_string())
        .replace(
            "street = \"Woldegker Straße\"",
            "street = \"Woldeggker Straße\"",
        );
    let path = dir.path().join("typo.toml");
    std::fs::write(&path, &text).expect("write");
    let problems = load_scenario(&path).expect_err("unknown street").0;
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    let line = text
        .lines()
        .position(|l| l.contains("Woldeggker"))
        .expect("the line")
        + 1;
    assert_eq!((p.line, p.field.as_deref()), (Some(line), Some("street")));
    assert!(
        p.message
            .contains("street `Woldeggker Straße` matches no road"),
        "{}",
        p.message
    );
    assert!(
        p.hint
            .as_deref()
            .is_some_and(|h| h.contains("Woldegker Straße")),
        "{:?}",
        p.hint
    );
}

#[test]
fn a_site_far_from_any_road_is_a_warning_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sites = std::fs::read_to_string(example("sites.csv"))
        .expect("read")
        .replace(
            "Jahnsportforum,pickup,53.549685,13.256501",
            "Jahnsportforum,pickup,53.949685,13.256501",
        );
    std::fs::write(dir.path().join("sites.csv"), sites).expect("write");
    let text = std::fs::read_to_string(example("scenario.toml"))
        .expect("read")
        .replace(
            "../../data/osm/",
            &format!("{}/", example("../../data/osm").display()),
        );
    std::fs::write(dir.path().join("scenario.toml"), text).expect("write");
    let loaded = load_scenario(&dir.path().join("scenario.toml")).expect("loads, with a warning");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert_eq!(w.field.as_deref(), Some("Jahnsportforum"));
    assert!(
        w.message.contains("m from the nearest road"),
        "{}",
        w.message
    );
}

/// The bridges-closed example written to a temp dir with its closures replaced by `closures`.
fn with_closures(dir: &Path, closures: &str) -> (PathBuf, String) {
    let text = std::fs::read_to_string(example("scenario-bridges-closed.toml"))
        .expect("read")
        .replace(
            "../../data/osm/",
            &format!("{}/", example("../../data/osm").display()),
        )
        .replace("sites.csv", &example("sites.csv").display().to_string());
    let start = text.find("[[closure]]").expect("the example has closures");
    let end = text.find("[[slowdown]]").expect("and a slowdown");
    let text = format!("{}{closures}\n{}", &text[..start], &text[end..]);
    let path = dir.join("scenario.toml");
    std::fs::write(&path, &text).expect("write");
    (path, text)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the line")
        + 1
}

#[test]
fn a_closure_over_the_whole_city_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, text) = with_closures(
        dir.path(),
        "[[closure]]\ndescription = \"the whole city\"\narea = { lat = 53.5569, lon = 13.2678, radius_m = 30000 }\n",
    );
    let problems = load_scenario(&path)
        .expect_err("no pickup site is reachable")
        .0;
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(
        (p.line, p.field.as_deref()),
        (Some(line_of(&text, "radius_m = 30000")), Some("area"))
    );
    for site in ["Marktplatz (Rathaus)", "Jahnsportforum", "Grundschule Süd"] {
        assert!(p.message.contains(&format!("`{site}`")), "{}", p.message);
    }
    assert!(p.message.contains("the area of 30000 m"), "{}", p.message);
    assert!(
        p.message.contains("no one can be evacuated"),
        "{}",
        p.message
    );
}

#[test]
fn a_closure_cutting_off_one_site_is_a_warning_naming_the_site_and_the_closure() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Marktplatz is at 53.556941, 13.267798: 300 m around it closes every road out of it. The
    // second closure (a bridge) cuts no one off and is not named.
    let (path, text) = with_closures(
        dir.path(),
        "[[closure]]\ndescription = \"bridge\"\narea = { lat = 53.55296, lon = 13.26200, radius_m = 40 }\n\n\
         [[closure]]\ndescription = \"market\"\narea = { lat = 53.556941, lon = 13.267798, radius_m = 300 }\n",
    );
    let loaded = load_scenario(&path).expect("loads, with a warning");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert_eq!(
        (w.line, w.field.as_deref()),
        (Some(line_of(&text, "radius_m = 300 ")), Some("area"))
    );
    assert!(
        w.message.contains("`Marktplatz (Rathaus)`"),
        "{}",
        w.message
    );
    assert!(!w.message.contains("`Jahnsportforum`"), "{}", w.message);
    assert!(
        !w.message.contains("radius 40") && !w.message.contains("of 40 m"),
        "{}",
        w.message
    );
    assert!(w.message.contains("left behind"), "{}", w.message);
}

const NORTH_BRIDGE: &str = "area = { lat = 53.55296, lon = 13.26200, radius_m = 40 }";

#[test]
fn a_certain_possible_closure_gives_the_times_of_the_same_closure_in_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let load = |name: &str, closures: &str| {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).expect("dir");
        load_scenario(&with_closures(&sub, closures).0).expect("loads")
    };
    let open = load("open", "");
    let bridge = load("bridge", &format!("[[closure]]\n{NORTH_BRIDGE}\n"));
    let street = load("street", "[[closure]]\nstreet = \"Woldegker Straße\"\n");
    let both = load(
        "both",
        &format!("[[closure]]\n{NORTH_BRIDGE}\n\n[[closure]]\nstreet = \"Woldegker Straße\"\n"),
    );
    let possible = load(
        "possible",
        &format!(
            "[[rehearsal.closure]]\n{NORTH_BRIDGE}\nchance = 1\n\n\
             [[rehearsal.closure]]\nstreet = \"Woldegker Straße\"\nchance = 1\n"
        ),
    );
    // The plan's own times are those of the open roads; each combination is its closures in force.
    let c = &possible.uncertainty.closures;
    assert_eq!(c.closures().len(), 2);
    assert_eq!(possible.scenario.travel, open.scenario.travel);
    assert_eq!(c.travel(0), None);
    assert_eq!(c.travel(1), Some(&bridge.scenario.travel));
    assert_eq!(c.travel(2), Some(&street.scenario.travel));
    assert_eq!(c.travel(3), Some(&both.scenario.travel));
    assert_ne!(street.scenario.travel, open.scenario.travel);
    assert_eq!(c.closures()[1].name, "street `Woldegker Straße`");
}

#[test]
fn a_possible_closure_of_an_unknown_street_is_named_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, text) = with_closures(
        dir.path(),
        "[[rehearsal.closure]]\nstreet = \"Woldeggker Straße\"\nchance = 0.3\n",
    );
    let problems = load_scenario(&path).expect_err("unknown street").0;
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(
        (p.line, p.field.as_deref()),
        (Some(line_of(&text, "Woldeggker")), Some("street"))
    );
    assert!(
        p.message
            .contains("street `Woldeggker Straße` matches no road"),
        "{}",
        p.message
    );
    assert!(
        p.hint
            .as_deref()
            .is_some_and(|h| h.contains("Woldegker Straße")),
        "{:?}",
        p.hint
    );
}

#[test]
fn more_possible_closures_than_can_be_routed_are_an_error_at_the_first_too_many() {
    let dir = tempfile::tempdir().expect("temp dir");
    let one = "[[rehearsal.closure]]\nstreet = \"Woldegker Straße\"\nchance = 0.1\n\n";
    let (path, text) = with_closures(
        dir.path(),
        &one.repeat(corridor_core::RoadClosures::MAX + 1),
    );
    let problems = load_scenario(&path).expect_err("too many").0;
    assert_eq!(problems.len(), 1, "{problems:?}");
    let ninth = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("[[rehearsal.closure]]"))
        .nth(corridor_core::RoadClosures::MAX)
        .map(|(i, _)| i + 1);
    assert_eq!(
        (problems[0].line, problems[0].field.as_deref()),
        (ninth, Some("closure"))
    );
    assert!(problems[0].message.contains("at most 8 possible closures"));
}

#[test]
fn possible_closures_whose_tables_would_not_fit_in_memory_are_refused_before_routing() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 400 sites: every combination of 8 closures would take 400² × 16 bytes × 255 ≈ 620 MiB,
    // over the 512 MiB allowed, so at most 7.
    let mut sites = std::fs::read_to_string(example("sites.csv")).expect("read sites");
    let have = sites.lines().count() - 2;
    for i in have..400 {
        let (lat, lon) = (
            53.55 + (i % 20) as f64 * 0.001,
            13.25 + (i / 20) as f64 * 0.001,
        );
        sites.push_str(&format!("Extra stop {i},pickup,{lat:.6},{lon:.6},,\n"));
    }
    let sites_path = dir.path().join("many-sites.csv");
    std::fs::write(&sites_path, &sites).expect("write sites");
    assert_eq!(corridor_core::RoadClosures::max_for_sites(400), 7);
    let one = "[[rehearsal.closure]]\nstreet = \"Woldegker Straße\"\nchance = 0.1\n\n";
    let (path, text) = with_closures(dir.path(), &one.repeat(8));
    let text = text.replace(
        &example("sites.csv").display().to_string(),
        &sites_path.display().to_string(),
    );
    std::fs::write(&path, &text).expect("write");
    let problems = load_scenario(&path).expect_err("too many for 400 sites").0;
    assert_eq!(problems.len(), 1, "{problems:?}");
    let eighth = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("[[rehearsal.closure]]"))
        .nth(7)
        .map(|(i, _)| i + 1);
    let p = &problems[0];
    assert_eq!((p.line, p.field.as_deref()), (eighth, Some("closure")));
    assert!(
        p.message
            .contains("with 400 sites at most 7 possible closures")
            && p.message.contains("512 MiB"),
        "{}",
        p.message
    );
}
