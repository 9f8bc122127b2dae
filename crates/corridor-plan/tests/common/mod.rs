//! Scenarios for the planner's tests, read through the real file formats.

use std::path::Path;

use corridor_core::Scenario;

#[allow(dead_code)] // not every test file reads files by hand
/// A scenario from in-memory files (`name`, `contents`); `scenario.toml` is the entry.
pub(crate) fn from_files(files: &[(&str, &str)]) -> Scenario {
    let mem = corridor_formats::InMemory(
        files
            .iter()
            .map(|(p, c)| (Path::new("t").join(p), c.to_string()))
            .collect(),
    );
    match corridor_formats::load_scenario_with(&mem, Path::new("t/scenario.toml")) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

/// A generated scenario.
#[allow(dead_code)] // not every test file generates
pub(crate) fn generated(o: corridor_generate::Options) -> Scenario {
    let files = corridor_generate::generate(&o).expect("valid options");
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    from_files(&refs)
}
