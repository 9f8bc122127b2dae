//! The subcommands: read inputs, call the libraries, print, choose the exit code.

use std::path::Path;

use anyhow::Context;
use corridor_core::Seconds;
use corridor_formats::{Loaded, Problem, Problems, load_scenario, read_plan};
use serde_json::json;

use crate::output::{
    figures_json, figures_text, problems_json, summary_json, summary_text, violations_json,
    violations_text,
};
use crate::{EXIT_BAD_INPUT, EXIT_VIOLATIONS, Format};

/// Prints problems for people (stderr) or programs (stdout JSON) and returns exit code 2.
pub(crate) fn report_problems(problems: &Problems, format: Format) -> u8 {
    match format {
        Format::Text => {
            for p in &problems.0 {
                eprintln!("error: {p}");
            }
            let n = problems.0.len();
            eprintln!("{n} problem{} found", if n == 1 { "" } else { "s" });
        }
        Format::Json => println!(
            "{}",
            json!({ "ok": false, "problems": problems_json(&problems.0) })
        ),
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

fn read_text(path: &Path, what: &str, format: Format) -> Result<String, u8> {
    std::fs::read_to_string(path).map_err(|e| {
        let p = Problem::in_file(
            path.display().to_string(),
            format!("cannot read the {what} file: {e}"),
        );
        report_problems(&p.into(), format)
    })
}

/// Reads a scenario; with a state file, the scenario of what remains at the
/// state's instant (see `docs/formats.md`). With `previous`, also that plan
/// (made for the whole scenario) restricted to what remains, as a warm start.
/// Problems are printed; `Err` holds the exit code.
pub(crate) fn load_scenario_at(
    scenario_path: &Path,
    state_path: Option<&Path>,
    previous: Option<&Path>,
    format: Format,
) -> Result<(Loaded, Option<corridor_core::Plan>), u8> {
    let mut loaded = load_scenario(scenario_path).map_err(|p| report_problems(&p, format))?;
    let read_previous = |s: &corridor_core::Scenario| -> Result<Option<corridor_core::Plan>, u8> {
        let Some(path) = previous else {
            return Ok(None);
        };
        let text = read_text(path, "previous plan", format)?;
        let (plan, _) = read_plan(&path.display().to_string(), &text, s)
            .map_err(|p| report_problems(&p, format))?;
        Ok(Some(plan))
    };
    let Some(state_path) = state_path else {
        let hint = read_previous(&loaded.scenario)?;
        return Ok((loaded, hint));
    };
    let shown = state_path.display().to_string();
    let text = read_text(state_path, "state", format)?;
    let state = corridor_formats::read_state(&shown, &text, &loaded.scenario)
        .map_err(|p| report_problems(&p, format))?;
    let remaining = loaded
        .scenario
        .remaining(&state)
        .map_err(|e| report_problems(&Problem::in_file(shown.clone(), e.0).into(), format))?;
    let hint = read_previous(&loaded.scenario)?.map(|p| remaining.carry_over(&p));
    if format == Format::Text {
        let s = &loaded.scenario;
        let on_board: usize = state
            .vehicles
            .iter()
            .map(|(_, v)| match v {
                corridor_core::VehicleSituation::InService { on_board, .. } => on_board.len(),
                corridor_core::VehicleSituation::OutOfService => 0,
            })
            .sum();
        let people: u32 = remaining
            .scenario
            .households
            .iter()
            .map(|h| h.people.0)
            .sum();
        let field = match remaining.households.iter().filter(|h| h.index() >= s.households.len()).count() {
            0 => String::new(),
            n => format!(", {n} of them registered in the field"),
        };
        eprintln!(
            "From the state at {}: {} households delivered, {} on board, {} of {} vehicles in service; {} households ({} people) remain{field}.",
            s.show_time(state.at),
            state.delivered.len(),
            on_board,
            remaining.scenario.vehicles.len(),
            s.vehicles.len(),
            remaining.scenario.households.len(),
            people
        );
    }
    // Notes change what the re-plan means: shown in either format (on standard error).
    for note in &remaining.notes {
        eprintln!("note: {note}");
    }
    loaded.scenario = remaining.scenario;
    Ok((loaded, hint))
}

/// Reads a scenario (at a state, when given) and a plan for it, printing any problem; `Err` holds the exit code.
fn read_scenario_and_plan(
    scenario_path: &Path,
    state_path: Option<&Path>,
    plan_path: &Path,
    format: Format,
) -> Result<(Loaded, corridor_core::Plan), u8> {
    let (loaded, _) = load_scenario_at(scenario_path, state_path, None, format)?;
    let shown = plan_path.display().to_string();
    let text = read_text(plan_path, "plan", format)?;
    let (plan, warnings) =
        read_plan(&shown, &text, &loaded.scenario).map_err(|p| report_problems(&p, format))?;
    print_warnings(&loaded.warnings, format);
    print_warnings(&warnings, format);
    Ok((loaded, plan))
}

pub(crate) fn check(
    scenario_path: &Path,
    state_path: Option<&Path>,
    plan_path: &Path,
    format: Format,
) -> anyhow::Result<u8> {
    let (loaded, plan) = match read_scenario_and_plan(scenario_path, state_path, plan_path, format)
    {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let s = &loaded.scenario;
    let violations = corridor_check::check(s, &plan);
    let figures = corridor_core::Figures::of(s, &plan);
    match format {
        Format::Text => {
            if violations.is_empty() {
                println!(
                    "The plan is valid: it keeps every rule of the scenario \"{}\".\n",
                    s.name
                );
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
    Ok(if violations.is_empty() {
        0
    } else {
        EXIT_VIOLATIONS
    })
}

/// `corridor explain`: where a valid plan's time goes.
pub(crate) fn explain(
    scenario_path: &Path,
    state_path: Option<&Path>,
    plan_path: &Path,
    per_vehicle: bool,
    format: Format,
) -> anyhow::Result<u8> {
    let (loaded, plan) = match read_scenario_and_plan(scenario_path, state_path, plan_path, format)
    {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let s = &loaded.scenario;
    let violations = corridor_check::check(s, &plan);
    if !violations.is_empty() {
        if format == Format::Json {
            println!(
                "{}",
                json!({ "ok": false, "violations": violations_json(s, &violations) })
            );
        } else {
            eprintln!(
                "error: the plan breaks the scenario's rules, so its times cannot be explained:"
            );
            eprint!("{}", violations_text(s, &violations));
        }
        return Ok(EXIT_VIOLATIONS);
    }
    let u = corridor_core::TimeUse::of(s, &plan);
    let waits = corridor_core::Waits::of(s, &plan);
    match format {
        Format::Text => {
            print!("{}", corridor_ops::explain::text(s, &u, per_vehicle));
            print!("{}", corridor_ops::explain::waits_text(&waits));
        }
        Format::Json => println!(
            "{}",
            json!({
                "ok": true,
                "time_use": corridor_ops::explain::json(s, &u),
                "waits": corridor_ops::explain::waits_json(&waits),
            })
        ),
    }
    Ok(0)
}

pub(crate) fn generate(options: &corridor_generate::Options, dir: &Path) -> anyhow::Result<u8> {
    let files = match corridor_generate::generate(options) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    for f in &files {
        let path = dir.join(&f.path);
        std::fs::write(&path, &f.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
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

/// Search settings from the command line.
pub(crate) struct PlanArgs {
    pub(crate) time_limit: std::time::Duration,
    pub(crate) iterations: Option<u64>,
    pub(crate) seed: u64,
    pub(crate) threads: usize,
    /// What the plan minimises first; `None` takes the scenario's choice.
    pub(crate) objective: Option<corridor_plan::Objective>,
}

/// Where a re-plan starts from.
pub(crate) struct PlanFrom {
    /// The state file: plan only what remains at its instant.
    pub(crate) state: Option<std::path::PathBuf>,
    /// The previous plan, followed where it still fits.
    pub(crate) previous: Option<std::path::PathBuf>,
}

/// Plans a loaded scenario with a progress bar, validates the plan, and prints its report.
/// Returns the plan (valid) or an exit code.
pub(crate) fn plan_loaded(
    loaded: &Loaded,
    hint: Option<&corridor_core::Plan>,
    args: &PlanArgs,
    format: Format,
) -> Result<corridor_core::Plan, u8> {
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    use std::time::Instant;

    let s = &loaded.scenario;
    let started = Instant::now();
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    // A second handler cannot be installed; the first one stays in force.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} planning {elapsed:>4} / {prefix}  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_prefix(format!("{:.0}s", args.time_limit.as_secs_f64()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let bound = corridor_plan::lower_bound(s);
    let first_ms = AtomicI64::new(-1);
    let best = AtomicI64::new(i64::MAX);
    let show = |m: i64| {
        let gap = gap_percent(m, bound.value.0);
        bar.set_message(format!(
            "best makespan {} · bound {} · gap {gap:.1} %",
            Seconds(m),
            bound.value
        ));
    };
    let progress = |p: corridor_plan::Progress| {
        // Both report a valid plan: the first of them, whichever it is, is the time to a first plan.
        let m = match p {
            corridor_plan::Progress::FirstPlan(m) | corridor_plan::Progress::Improved(m) => m,
        };
        let _ = first_ms.compare_exchange(
            -1,
            started.elapsed().as_millis() as i64,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        if best.fetch_min(m.0, Ordering::SeqCst) > m.0 {
            show(m.0);
        }
    };
    let limit = args.time_limit;
    let should_stop = || INTERRUPTED.load(Ordering::SeqCst) || started.elapsed() >= limit;
    let options = corridor_plan::Options {
        seed: args.seed,
        iterations: args.iterations,
        threads: args.threads,
        objective: args.objective,
        time_limit: Some(limit.saturating_sub(started.elapsed())),
    };
    let outcome = match corridor_plan::plan_following(s, hint, &options, &should_stop, &progress) {
        Ok(o) => o,
        Err(e) => {
            bar.finish_and_clear();
            eprintln!("error: {e}");
            return Err(EXIT_BAD_INPUT);
        }
    };
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if INTERRUPTED.load(Ordering::SeqCst) && format == Format::Text {
        eprintln!("interrupted: keeping the best plan found so far");
    }
    // The search stops at the limit, but the first plan must place everyone before it can
    // stop: on a very large scenario that alone can outlast the limit. Say so, with the times.
    let first_s = first_ms.load(Ordering::SeqCst) as f64 / 1000.0;
    if args.iterations.is_none()
        && elapsed > limit + std::time::Duration::from_secs(1)
        && format == Format::Text
    {
        let why = if first_s >= limit.as_secs_f64() || first_s < 0.0 {
            format!(
                "preparing the first plan of {} households took {:.1} s, and it cannot stop part-way (everyone must be placed or named as left behind first); the search then stopped at once",
                s.households.len(),
                first_s.max(0.0)
            )
        } else {
            format!(
                "finishing the plan after the search took {:.1} s",
                (elapsed - limit).as_secs_f64()
            )
        };
        eprintln!(
            "note: planning took {:.1} s, more than the {:.0} s limit: {why}",
            elapsed.as_secs_f64(),
            limit.as_secs_f64()
        );
    }
    let violations = corridor_check::check(s, &outcome.plan);
    if !violations.is_empty() {
        eprintln!(
            "error: the planner produced a plan that breaks the scenario's rules; it was not written. Please report this with the scenario."
        );
        eprint!("{}", violations_text(s, &violations));
        return Err(EXIT_VIOLATIONS);
    }
    let objective = args.objective.unwrap_or(s.planning.objective);
    let figures = corridor_core::Figures::of(s, &outcome.plan);
    let waits = corridor_core::Waits::of(s, &outcome.plan);
    let first = first_ms.load(Ordering::SeqCst);
    match format {
        Format::Text => {
            println!(
                "Planned \"{}\" in {:.1} s ({} iterations{}), {}.\n",
                s.name,
                elapsed.as_secs_f64(),
                outcome.iterations,
                if first >= 0 {
                    format!("; first valid plan after {:.2} s", first as f64 / 1000.0)
                } else {
                    String::new()
                },
                match objective {
                    corridor_plan::Objective::Makespan =>
                        "the makespan first, then the priority-weighted waits",
                    corridor_plan::Objective::Waiting =>
                        "the priority-weighted waits first, then the makespan",
                }
            );
            print!("{}", figures_text(s, &figures));
            let b = &outcome.bound;
            let gap = if outcome.plan.uncarried.is_empty() {
                format!("gap {:.1} %", gap_percent(figures.makespan.0, b.value.0))
            } else {
                "the bound is for carrying everyone, so no gap while people are left behind"
                    .to_string()
            };
            let mut deal = if b.deal.0 > 0 {
                format!(", deal {}", b.deal)
            } else {
                String::new()
            };
            if b.hubs.0 > 0 {
                deal.push_str(&format!(", onward from hubs {}", b.hubs));
            }
            println!(
                "Lower bound:           {} (earliest arrival {}, fleet work {}, corridor {}{deal}); {gap}",
                b.value, b.earliest_arrival, b.fleet_work, b.corridor
            );
            print!("{}", corridor_ops::explain::waits_text(&waits));
            if !outcome.plan.uncarried.is_empty() {
                print!("{}", left_behind_text(s, &outcome.plan));
            }
            let u = corridor_core::TimeUse::of(s, &outcome.plan);
            if !u.vehicles.is_empty() {
                println!("\nWhere the time goes (details: corridor explain):");
                print!("{}", corridor_ops::explain::text(s, &u, false));
            }
        }
        Format::Json => println!(
            "{}",
            json!({
                "ok": true,
                "scenario": s.name,
                "objective": objective.name(),
                "figures": figures_json(s, &figures),
                "waits": corridor_ops::explain::waits_json(&waits),
                "lower_bound_s": { "value": outcome.bound.value.0, "earliest_arrival": outcome.bound.earliest_arrival.0,
                                   "fleet_work": outcome.bound.fleet_work.0, "corridor": outcome.bound.corridor.0, "hubs": outcome.bound.hubs.0,
                                   "deal": outcome.bound.deal.0 },
                "gap_percent": outcome.plan.uncarried.is_empty().then(|| gap_percent(figures.makespan.0, outcome.bound.value.0)),
                "iterations": outcome.iterations,
                "seconds": elapsed.as_secs_f64(),
                "time_limit_s": args.iterations.is_none().then(|| limit.as_secs_f64()),
                "first_valid_plan_s": (first >= 0).then(|| first as f64 / 1000.0),
                "left_behind": left_behind_json(s, &outcome.plan),
                "time_use": corridor_ops::explain::json(s, &corridor_core::TimeUse::of(s, &outcome.plan)),
            })
        ),
    }
    Ok(outcome.plan)
}

fn gap_percent(makespan: i64, bound: i64) -> f64 {
    if bound <= 0 {
        0.0
    } else {
        100.0 * (makespan - bound) as f64 / bound as f64
    }
}

/// Who is left behind, per site and tier, and why.
fn left_behind_groups(
    s: &corridor_core::Scenario,
    plan: &corridor_core::Plan,
) -> Vec<(String, u8, String, usize, u32)> {
    let mut groups: std::collections::BTreeMap<(String, u8, String), (usize, u32)> =
        std::collections::BTreeMap::new();
    for u in &plan.uncarried {
        let h = s.household(u.household);
        let e = groups
            .entry((
                s.site(h.site).name.clone(),
                h.tier.number(),
                u.reason.clone(),
            ))
            .or_default();
        e.0 += 1;
        e.1 += h.people.0;
    }
    groups
        .into_iter()
        .map(|((site, tier, reason), (n, p))| (site, tier, reason, n, p))
        .collect()
}

fn left_behind_text(s: &corridor_core::Scenario, plan: &corridor_core::Plan) -> String {
    let groups = left_behind_groups(s, plan);
    let people: u32 = groups.iter().map(|g| g.4).sum();
    let mut o = format!(
        "\nwarning: not everyone fits: {people} people in {} households are left behind:\n",
        plan.uncarried.len()
    );
    for (site, tier, reason, n, p) in groups {
        o.push_str(&format!(
            "  {site}, tier {tier}: {p} people in {n} households: {reason}\n"
        ));
    }
    o
}

fn left_behind_json(s: &corridor_core::Scenario, plan: &corridor_core::Plan) -> serde_json::Value {
    serde_json::Value::Array(
        left_behind_groups(s, plan)
            .into_iter()
            .map(|(site, tier, reason, n, p)| json!({"site": site, "tier": tier, "reason": reason, "households": n, "people": p}))
            .collect(),
    )
}

/// Writes the plan file and, when asked, the schedules and timetable.
pub(crate) fn write_outputs(
    s: &corridor_core::Scenario,
    plan: &corridor_core::Plan,
    plan_path: Option<&Path>,
    sheets_dir: Option<&Path>,
    quiet: bool,
) -> anyhow::Result<()> {
    if let Some(p) = plan_path {
        std::fs::write(p, corridor_formats::write_plan(s, plan))
            .with_context(|| format!("cannot write {}", p.display()))?;
        if !quiet {
            eprintln!("wrote the plan to {}", p.display());
        }
    }
    if let Some(dir) = sheets_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let files = [
            ("schedule.txt", crate::sheets::schedule_text(s, plan)),
            ("schedule.csv", crate::sheets::schedule_csv(s, plan)?),
            ("timetable.txt", crate::sheets::timetable_text(s, plan)),
        ];
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
        }
        if !quiet {
            eprintln!(
                "wrote schedule.txt, schedule.csv and timetable.txt to {}",
                dir.display()
            );
        }
    }
    Ok(())
}

pub(crate) fn plan(
    scenario: &Path,
    from: &PlanFrom,
    args: &PlanArgs,
    out: Option<&Path>,
    sheets: Option<&Path>,
    format: Format,
) -> anyhow::Result<u8> {
    let (loaded, hint) = match load_scenario_at(
        scenario,
        from.state.as_deref(),
        from.previous.as_deref(),
        format,
    ) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    print_warnings(&loaded.warnings, format);
    match plan_loaded(&loaded, hint.as_ref(), args, format) {
        Ok(plan) => {
            write_outputs(&loaded.scenario, &plan, out, sheets, format == Format::Json)?;
            if out.is_none() && format == Format::Text {
                eprintln!("(the plan was not saved: add -o plan.json to keep it)");
            }
            Ok(0)
        }
        Err(code) => Ok(code),
    }
}

/// Writes the schedules and timetable of an existing (valid) plan.
pub(crate) fn sheets(
    scenario: &Path,
    state_path: Option<&Path>,
    plan_path: &Path,
    dir: &Path,
) -> anyhow::Result<u8> {
    let (loaded, plan) = match read_scenario_and_plan(scenario, state_path, plan_path, Format::Text)
    {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let s = &loaded.scenario;
    let violations = corridor_check::check(s, &plan);
    if !violations.is_empty() {
        eprint!("{}", violations_text(s, &violations));
        eprintln!("error: the plan breaks rules; fix it (or plan again) before printing schedules");
        return Ok(EXIT_VIOLATIONS);
    }
    write_outputs(s, &plan, None, Some(dir), false)?;
    Ok(0)
}

pub(crate) fn import_bep(file: &Path, dir: &Path) -> anyhow::Result<u8> {
    let shown = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            return Ok(report_problems(
                &Problem::in_file(shown, format!("cannot read the instance: {e}")).into(),
                Format::Text,
            ));
        }
    };
    let name = file.file_stem().map_or("BEP instance".to_string(), |s| {
        s.to_string_lossy().into_owned()
    });
    let files = match corridor_formats::import_bep(&shown, &text, &name) {
        Ok(f) => f,
        Err(p) => return Ok(report_problems(&p, Format::Text)),
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    for f in &files {
        let p = dir.join(&f.path);
        std::fs::write(&p, &f.contents).with_context(|| format!("cannot write {}", p.display()))?;
    }
    eprintln!(
        "wrote {} to {}; try: corridor plan {}",
        files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(" and "),
        dir.display(),
        dir.join("scenario.toml").display()
    );
    Ok(0)
}

/// What `corridor state` is asked for.
pub(crate) struct StateArgs<'a> {
    pub(crate) at: &'a str,
    pub(crate) lost: &'a [String],
    pub(crate) closed: &'a [String],
    pub(crate) output: Option<&'a Path>,
}

/// `corridor state`: the state of an operation at a time if the plan was carried out as written.
pub(crate) fn state(
    scenario_path: &Path,
    plan_path: &Path,
    args: &StateArgs<'_>,
    format: Format,
) -> anyhow::Result<u8> {
    let (loaded, plan) = match read_scenario_and_plan(scenario_path, None, plan_path, format) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let s = &loaded.scenario;
    let violations = corridor_check::check(s, &plan);
    if !violations.is_empty() {
        eprintln!("error: the plan breaks the scenario's rules; a state cannot follow it:");
        eprint!("{}", violations_text(s, &violations));
        return Ok(EXIT_VIOLATIONS);
    }
    let bad = |field: &str, message: String, hint: Option<String>| {
        let p = Problem::in_file("command line", message)
            .field(field)
            .hint(hint);
        Ok(report_problems(&p.into(), format))
    };
    let at = match corridor_formats::parse_instant(args.at, s.clock.as_ref()) {
        Ok(t) => t,
        Err(e) => return bad("--at", e, None),
    };
    let mut lost = Vec::new();
    for name in args.lost {
        match s.vehicles.iter().position(|v| &v.name == name) {
            Some(i) => lost.push(corridor_core::VehicleId(i as u32)),
            None => {
                return bad(
                    "--lost",
                    format!("no vehicle named `{name}` in scenario `{}`", s.name),
                    corridor_formats::did_you_mean(
                        name,
                        s.vehicles.iter().map(|v| v.name.as_str()),
                    ),
                );
            }
        }
    }
    let mut state = plan.state_at(s, at, &lost);
    for spec in args.closed {
        let (name, until) = match spec.split_once('=') {
            Some((n, u)) => (n, Some(u)),
            None => (spec.as_str(), None),
        };
        let Some(c) = s.corridors.iter().position(|c| c.name == name) else {
            return bad(
                "--closed",
                format!("no corridor named `{name}` in scenario `{}`", s.name),
                corridor_formats::did_you_mean(name, s.corridors.iter().map(|c| c.name.as_str())),
            );
        };
        let until = match until.map(|u| corridor_formats::parse_instant(u, s.clock.as_ref())) {
            None => None,
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => return bad("--closed", e, None),
        };
        state.closures.push(corridor_core::Closure {
            corridor: corridor_core::CorridorId(c as u32),
            until,
        });
    }
    if let Err(e) = s.remaining(&state) {
        return bad("--at", e.0, None);
    }
    let text = corridor_formats::write_state(s, &state);
    match args.output {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?;
            if format == Format::Text {
                eprintln!(
                    "wrote the state at {} to {}: {} households delivered, {} vehicles listed",
                    s.show_time(at),
                    p.display(),
                    state.delivered.len(),
                    state.vehicles.len()
                );
            }
        }
        None => print!("{text}"),
    }
    Ok(0)
}
