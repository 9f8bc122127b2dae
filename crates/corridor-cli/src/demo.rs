//! `corridor demo`: Corridor's main job on the built-in scenario, eastern Aleppo in December 2016.
//!
//! The scenario files are compiled into the binary, so the demo runs from any
//! directory with no files around it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corridor_formats::{InMemory, load_scenario_with};

use crate::Format;
use crate::commands::{print_loaded, report_problems};

const SCENARIO: &str = include_str!("../../../examples/aleppo-2016/scenario.toml");

pub(crate) fn run(format: Format) -> anyhow::Result<u8> {
    let path = Path::new("aleppo-2016/scenario.toml");
    let files = InMemory(HashMap::from([(PathBuf::from(path), SCENARIO.to_string())]));
    let loaded = match load_scenario_with(&files, path) {
        Ok(l) => l,
        Err(p) => return Ok(report_problems(&p, format)),
    };
    if format == Format::Text {
        println!("Corridor demo: the built-in scenario (examples/aleppo-2016/scenario.toml)\n");
    }
    print_loaded(&loaded, format);
    Ok(0)
}
