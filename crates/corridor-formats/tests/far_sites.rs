//! A site typed with a wrong sign or with latitude and longitude swapped lands thousands of
//! kilometres from the others: the scenario still loads, with a warning naming the site and
//! the likely slip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corridor_formats::{InMemory, load_scenario_with};

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/malformed/base");

/// The base scenario's warnings, with its sites file changed by `edit`.
fn warnings_with(edit: impl Fn(&str) -> String) -> Vec<String> {
    let mut files = HashMap::new();
    for name in ["scenario.toml", "sites.csv", "households.csv"] {
        let text = std::fs::read_to_string(Path::new(BASE).join(name)).expect("the base files");
        let text = if name == "sites.csv" {
            edit(&text)
        } else {
            text
        };
        files.insert(PathBuf::from("case").join(name), text);
    }
    let loaded = load_scenario_with(&InMemory(files), &Path::new("case").join("scenario.toml"))
        .unwrap_or_else(|e| panic!("still a valid scenario: {e}"));
    loaded.warnings.iter().map(|w| w.to_string()).collect()
}

#[test]
fn sites_close_together_give_no_warning() {
    let w = warnings_with(|t| t.to_string());
    assert!(
        !w.iter().any(|x| x.contains("from every other site")),
        "{w:?}"
    );
}

/// The one far-site warning the base scenario gets with the sites row `from` typed as `to`.
fn far_warning(from: &str, to: &str) -> String {
    let w = warnings_with(|t| t.replace(from, to));
    let far: Vec<&String> = w
        .iter()
        .filter(|x| x.contains("from every other site"))
        .collect();
    assert_eq!(far.len(), 1, "{w:?}");
    far[0].clone()
}

#[test]
fn a_longitude_with_the_wrong_sign_is_named() {
    let far = far_warning(
        "Old mill,pickup,50.0950,8.6900",
        "Old mill,pickup,50.0950,-8.6900",
    );
    assert!(
        far.contains("`Old mill`") && far.contains("longitude's sign is wrong"),
        "{far}"
    );
}

#[test]
fn latitude_and_longitude_swapped_are_named() {
    let far = far_warning(
        "Church hill,pickup,50.1060,8.6950",
        "Church hill,pickup,8.6950,50.1060",
    );
    assert!(
        far.contains("`Church hill`") && far.contains("swapped"),
        "{far}"
    );
}
