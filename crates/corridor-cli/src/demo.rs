//! `corridor demo`: Corridor's main job on the built-in scenario, eastern Aleppo
//! in December 2016: read and summarise it, plan it, check the plan, and write
//! the plan, the vehicle schedules and the pickup timetable, and rehearse the plan
//! against the scenario's disruptions.
//!
//! The scenario is compiled into the binary, so the demo runs from any directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corridor_formats::{InMemory, load_scenario_with};

use crate::Format;
use crate::commands::{PlanArgs, plan_loaded, print_loaded, report_problems, write_outputs};

const SCENARIO: &str = include_str!("../../../examples/aleppo-2016/scenario.toml");

pub(crate) fn run(
    format: Format,
    out: &Path,
    time_limit: std::time::Duration,
) -> anyhow::Result<u8> {
    let path = Path::new("aleppo-2016/scenario.toml");
    let files = InMemory(HashMap::from([(PathBuf::from(path), SCENARIO.to_string())]));
    let loaded = match load_scenario_with(&files, path) {
        Ok(l) => l,
        Err(p) => return Ok(report_problems(&p, format)),
    };
    if format == Format::Text {
        println!("Corridor demo: the built-in scenario (examples/aleppo-2016/scenario.toml)\n");
        print_loaded(&loaded, format);
        println!();
    }
    let args = PlanArgs {
        time_limit,
        iterations: None,
        seed: 1,
        threads: 1,
    };
    let plan = match plan_loaded(&loaded, None, &args, format) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    std::fs::create_dir_all(out)?;
    write_outputs(
        &loaded.scenario,
        &plan,
        Some(&out.join("plan.json")),
        Some(out),
        format == Format::Json,
    )?;
    // A modest number of runs keeps the demo quick; `corridor rehearse` does more.
    let rehearsal = out.join("rehearsal");
    if format == Format::Text {
        println!();
    }
    let args = crate::rehearse::RehearseArgs {
        runs: 200,
        seed: 1,
        threads: 2,
        deadline: None,
        output: Some(rehearsal.clone()),
        format,
        print: format == Format::Text,
    };
    let plans = [("plan.json".to_string(), plan)];
    let code = crate::rehearse::rehearse_loaded(&loaded, &plans, &args)?;
    if code != 0 {
        return Ok(code);
    }
    if format == Format::Text {
        println!(
            "\nThe plan passed `corridor check`. Open {}/timetable.txt for what each gathering point should expect,\n\
             and {}/schedule.txt for each vehicle's day; {}/ holds the rehearsal's plots.",
            out.display(),
            out.display(),
            rehearsal.display()
        );
    }
    Ok(0)
}
