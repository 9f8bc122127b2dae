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
