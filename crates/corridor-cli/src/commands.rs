//! The subcommands: read inputs, call the libraries, print, choose the exit code.

use std::path::Path;

use anyhow::Context;
use corridor_formats::{Loaded, Problem, Problems, load_scenario, read_plan};
use serde_json::json;

use crate::output::{figures_json, figures_text, problems_json, summary_json, summary_text, violations_json, violations_text};
use crate::{EXIT_BAD_INPUT, EXIT_VIOLATIONS, Format};

/// Prints problems for people (stderr) or programs (stdout JSON) and returns exit code 2.
pub(crate) fn report_problems(problems: &Problems, format: Format) -> u8 {
    match format {
        Format::Text => {
            for p in &problems.0 {
                eprintln!("error: {p}");
            }
            let n = problems.0.len();
            eprintln!("{n} problem{} found; nothing was changed", if n == 1 { "" } else { "s" });
        }
        Format::Json => println!("{}", json!({ "ok": false, "problems": problems_json(&problems.0) })),
    }
    EXIT_BAD_INPUT
}

pub(crate) fn print_warnings(warnings: &[Problem], format: Format) {
    if format == Format::Text {
        for w in warnings {
            eprintln!("warning: {w}");
        }
    }
}

pub(crate) fn validate(path: &Path, format: Format) -> anyhow::Result<u8> {
    match load_scenario(path) {
        Err(problems) => Ok(report_problems(&problems, format)),
        Ok(loaded) => {
            print_loaded(&loaded, format);
            Ok(0)
        }
    }
}

pub(crate) fn print_loaded(loaded: &Loaded, format: Format) {
    print_warnings(&loaded.warnings, format);
    match format {
        Format::Text => print!("{}", summary_text(loaded)),
        Format::Json => println!("{}", summary_json(loaded)),
    }
}

pub(crate) fn check(scenario_path: &Path, plan_path: &Path, format: Format) -> anyhow::Result<u8> {
    let loaded = match load_scenario(scenario_path) {
        Ok(l) => l,
        Err(p) => return Ok(report_problems(&p, format)),
    };
    let shown = plan_path.display().to_string();
    let text = match std::fs::read_to_string(plan_path) {
        Ok(t) => t,
        Err(e) => {
            let p = Problem::in_file(shown, format!("cannot read the plan file: {e}"));
            return Ok(report_problems(&p.into(), format));
        }
    };
    let s = &loaded.scenario;
    let (plan, warnings) = match read_plan(&shown, &text, s) {
        Ok(x) => x,
        Err(p) => return Ok(report_problems(&p, format)),
    };
    print_warnings(&loaded.warnings, format);
    print_warnings(&warnings, format);
    let violations = corridor_check::check(s, &plan);
    let figures = corridor_core::Figures::of(s, &plan);
    match format {
        Format::Text => {
            if violations.is_empty() {
                println!("The plan is valid: it keeps every rule of the scenario \"{}\".\n", s.name);
                print!("{}", figures_text(s, &figures));
            } else {
                print!("{}", violations_text(s, &violations));
            }
        }
        Format::Json => println!(
            "{}",
            json!({
                "ok": violations.is_empty(),
                "violations": violations_json(s, &violations),
                "figures": figures_json(s, &figures),
            })
        ),
    }
    Ok(if violations.is_empty() { 0 } else { EXIT_VIOLATIONS })
}

pub(crate) fn generate(options: &corridor_generate::Options, dir: &Path) -> anyhow::Result<u8> {
    let files = match corridor_generate::generate(options) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the directory {}", dir.display()))?;
    for f in &files {
        let path = dir.join(&f.path);
        std::fs::write(&path, &f.contents).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let scenario = dir.join("scenario.toml");
    eprintln!(
        "wrote {} files to {}; try: corridor validate {}",
        files.len(),
        dir.display(),
        scenario.display()
    );
    Ok(0)
}
