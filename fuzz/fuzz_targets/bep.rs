//! The BEP importer; an instance it imports must load as a scenario.
#![no_main]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corridor_formats::{InMemory, import_bep, load_scenario_with};
use corridor_fuzz::check_problems;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match import_bep("instance.txt", &text, "fuzzed") {
        Err(p) => check_problems(&p),
        Ok(files) => {
            let m: HashMap<PathBuf, String> = files.into_iter().map(|f| (Path::new("b").join(f.path), f.contents)).collect();
            if let Err(p) = load_scenario_with(&InMemory(m), Path::new("b/scenario.toml")) {
                panic!("an imported instance does not load: {p}");
            }
        }
    }
});
