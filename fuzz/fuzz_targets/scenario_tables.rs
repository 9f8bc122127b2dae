//! The scenario's CSV tables: the first byte chooses which table (sites, households with their
//! HXL hashtag row, or the travel-time matrix) the rest of the input replaces.
#![no_main]

use std::path::Path;

use corridor_formats::load_scenario_with;
use corridor_fuzz::{MATRIX_TOML, check_problems, files};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let table = ["sites.csv", "households.csv", "travel-times.csv"][usize::from(which % 3)];
    let text = String::from_utf8_lossy(rest);
    let src = files("s", MATRIX_TOML, Some((table, &text)));
    if let Err(p) = load_scenario_with(&src, Path::new("s/scenario.toml")) {
        check_problems(&p);
    }
});
