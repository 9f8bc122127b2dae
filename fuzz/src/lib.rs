//! What the fuzz targets share: the valid files they start from (compiled in, so a target runs
//! from any directory) and the property every reader must keep: it answers, and every refusal
//! is a problem that says which file and what is wrong.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use corridor_core::{Plan, Scenario};
use corridor_formats::{InMemory, Problems, load_scenario_with};

/// The tutorial's scenario, its tables and a travel-time matrix for it.
pub const TUTORIAL_TOML: &str = include_str!("../../crates/corridor-formats/tests/malformed/base/scenario.toml");
/// The tutorial's scenario reading its travel times from `travel-times.csv`.
pub const MATRIX_TOML: &str = include_str!("../../crates/corridor-formats/tests/malformed/base-matrix/scenario.toml");
/// The tutorial's sites.
pub const SITES_CSV: &str = include_str!("../../crates/corridor-formats/tests/malformed/base/sites.csv");
/// The tutorial's households, with an HXL hashtag row.
pub const HOUSEHOLDS_CSV: &str = include_str!("../../crates/corridor-formats/tests/malformed/base/households.csv");
/// A travel-time matrix of the tutorial's sites.
pub const MATRIX_CSV: &str = include_str!("../../crates/corridor-formats/tests/malformed/base-matrix/travel-times.csv");
/// A valid plan of the tutorial.
pub const TUTORIAL_PLAN: &str = include_str!("../../crates/corridor-cli/tests/data/tutorial-plan.json");
/// The Aleppo example: corridors, windows, convoys and a deal, all in one TOML file.
pub const ALEPPO_TOML: &str = include_str!("../../examples/aleppo-2016/scenario.toml");

/// The scenario's files in memory, under `dir/`, with `replace` put in place of one of them.
pub fn files(dir: &str, toml: &str, replace: Option<(&str, &str)>) -> InMemory {
    let mut m: HashMap<PathBuf, String> = HashMap::new();
    for (name, text) in [
        ("scenario.toml", toml),
        ("sites.csv", SITES_CSV),
        ("households.csv", HOUSEHOLDS_CSV),
        ("travel-times.csv", MATRIX_CSV),
    ] {
        m.insert(Path::new(dir).join(name), text.to_string());
    }
    if let Some((name, text)) = replace {
        m.insert(Path::new(dir).join(name), text.to_string());
    }
    InMemory(m)
}

/// Panics (a finding) unless `p` is a usable refusal: at least one problem, each naming its file
/// and saying what is wrong, with no empty field or hint and lines counted from 1.
pub fn check_problems(p: &Problems) {
    assert!(!p.0.is_empty(), "an error without problems");
    for x in &p.0 {
        assert!(!x.message.trim().is_empty(), "a problem without a message: {x:?}");
        assert!(!x.file.trim().is_empty(), "a problem without a file: {x:?}");
        assert!(x.line != Some(0) && x.column != Some(0), "line or column 0: {x:?}");
        assert!(x.field.as_deref().is_none_or(|f| !f.trim().is_empty()), "an empty field: {x:?}");
        assert!(x.hint.as_deref().is_none_or(|h| !h.trim().is_empty()), "an empty hint: {x:?}");
        assert!(!x.to_string().is_empty());
    }
}

/// Panics unless an error message says something.
pub fn check_message(m: &str) {
    assert!(!m.trim().is_empty(), "an empty error message");
}

fn load(toml: &str) -> Scenario {
    let src = files("s", toml, None);
    load_scenario_with(&src, Path::new("s/scenario.toml")).expect("the fixture scenario reads").scenario
}

/// The tutorial scenario, read once.
pub fn tutorial() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| load(TUTORIAL_TOML))
}

/// The Aleppo scenario, read once.
pub fn aleppo() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| load(ALEPPO_TOML))
}

/// The tutorial's plan, read once.
pub fn tutorial_plan() -> Arc<Plan> {
    static P: OnceLock<Arc<Plan>> = OnceLock::new();
    P.get_or_init(|| {
        let (p, _) = corridor_formats::read_plan("plan.json", TUTORIAL_PLAN, tutorial()).expect("the fixture plan reads");
        Arc::new(p)
    })
    .clone()
}
