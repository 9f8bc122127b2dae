//! The scenario TOML, read with the tutorial's tables and matrix beside it.
#![no_main]

use std::path::Path;

use corridor_formats::load_scenario_with;
use corridor_fuzz::{check_problems, files};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let src = files("s", &text, None);
    if let Err(p) = load_scenario_with(&src, Path::new("s/scenario.toml")) {
        check_problems(&p);
    }
});
