//! Corridor's files: the scenario (TOML, with CSV tables that may carry HXL
//! hashtags), travel-time sources, and the plan (versioned JSON).
//!
//! Readers never panic on input: they return the resolved value, or every
//! [`Problem`] found, each naming the file, line, field, the bad value and what
//! was expected, with a "did you mean" where a name is close to a known one.
//!
//! ```
//! use corridor_formats::parse_duration;
//! assert_eq!(parse_duration("1h30min").unwrap().0, 5400);
//! assert!(parse_duration("30").is_err()); // seconds or minutes? say which
//! ```

mod bep;
mod hxl;
mod network;
mod plan_file;
mod problem;
mod scenario_file;
mod state_file;
mod time;
mod values;

pub use bep::{ScenarioFile, import_bep};
pub use network::{
    NetworkSource, RoadChange, Roads, build_matrices_reporting, build_matrix,
    build_matrix_reporting, great_circle_matrix, load_roads, read_matrix_csv,
};
pub use plan_file::{PLAN_FORMAT, PLAN_FORMAT_VERSION, read_plan, write_plan};
pub use problem::{Problem, Problems, did_you_mean, line_col, suggest};
pub use scenario_file::{
    Disk, FileSource, InMemory, Loaded, MAX_TIME, SCENARIO_FORMAT_VERSION, hxl_mapping,
    load_scenario, load_scenario_with,
};
pub use state_file::{STATE_FORMAT, STATE_FORMAT_VERSION, read_state, write_state};
pub use time::{format_duration, parse_duration, parse_instant};
