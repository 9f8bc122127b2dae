//! `corridor`: plan, check and study humanitarian evacuations by vehicle.
//!
//! This binary is glue: it parses the command line, reads files through
//! `corridor-formats`, calls the library crates and prints what they return.
//! Exit codes: 0 success, 1 the plan breaks rules, 2 bad usage or bad input.

mod commands;
mod demo;
mod output;
mod ops;
mod plots;
mod rehearse;
mod roads;
mod sheets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit code when a plan breaks rules.
const EXIT_VIOLATIONS: u8 = 1;
/// Exit code for bad usage or bad input.
const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "corridor",
    version,
    about = "Plan, check and study humanitarian evacuations by vehicle",
    long_about = "Corridor plans evacuations by bus and ambulance through corridors that open only \
in ceasefire windows: the wounded first, households never split, nobody lost.\n\n\
A scenario is a TOML file (see docs/formats.md) that may point to CSV tables of sites and \
households. A plan is a JSON file that says what every vehicle does, with the time of every event.",
    after_help = "Examples:\n  \
corridor demo\n  \
corridor validate examples/aleppo-2016/scenario.toml\n  \
corridor check examples/tutorial/scenario.toml plan.json\n  \
corridor generate --seed 7 --households 2000 --sites 40 --vehicles 30 -o /tmp/gen\n\n\
Exit codes: 0 success, 1 the plan breaks rules, 2 bad usage or bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people.
    #[default]
    Text,
    /// For programs: one JSON document on standard output.
    Json,
}

/// What a plan minimises first (`corridor plan --objective`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ObjectiveArg {
    /// The time the last person reaches safety; then how long people wait.
    Makespan,
    /// How long people wait to be picked up (priority-weighted); then the makespan.
    Waiting,
}

impl From<ObjectiveArg> for corridor_plan::Objective {
    fn from(o: ObjectiveArg) -> corridor_plan::Objective {
        match o {
            ObjectiveArg::Makespan => corridor_plan::Objective::Makespan,
            ObjectiveArg::Waiting => corridor_plan::Objective::Waiting,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run Corridor on the built-in demo scenario (eastern Aleppo, December 2016).
    #[command(
        after_help = "Examples:\n  corridor demo\n  corridor demo --speed 60 --listen 0.0.0.0:8080\n  corridor demo --no-serve --time-limit 30s -o aleppo\n\n\
Reads and summarises the scenario, plans it, checks the plan and writes plan.json, schedule.txt, schedule.csv and timetable.txt; \
then rehearses the plan 200 times and writes rehearsal/ (summary.json and plots). Then it serves the operation from a fresh \
store in DIR/operation and replays one typical rehearsed run into its event log at --speed, printing a sign-in link for a \
coordinator, a registrar and a monitor; Ctrl-C stops it. --no-serve stops after the rehearsal."
    )]
    Demo {
        /// Directory for the plan, schedules, timetable, rehearsal and the demo's store.
        #[arg(short, long, default_value = "corridor-demo")]
        output: PathBuf,
        /// How long to search for a plan.
        #[arg(long, default_value = "5s", value_parser = parse_time_limit)]
        time_limit: std::time::Duration,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Plan and rehearse only; do not serve the operation.
        #[arg(long)]
        no_serve: bool,
        /// Address and port to listen on (default 127.0.0.1:8080, or a free port when that one is taken).
        #[arg(long)]
        listen: Option<String>,
        /// Seconds of the operation per second of replay (600: ten minutes a second).
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        speed: u32,
    },
    /// Read a scenario, report every problem, and summarise it.
    #[command(
        after_help = "Examples:\n  corridor validate examples/tutorial/scenario.toml\n  \
corridor validate examples/aleppo-2016/scenario.toml --format json\n\n\
Exit codes: 0 the scenario is usable, 2 it has problems (each named with file, line and field)."
    )]
    Validate {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Check a plan against its scenario: list every broken rule, or print the plan's figures.
    #[command(
        after_help = "Examples:\n  corridor check examples/tutorial/scenario.toml plan.json\n  \
corridor check scenario.toml plan.json --format json\n\n\
Exit codes: 0 the plan is valid, 1 it breaks rules, 2 a file cannot be read."
    )]
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Check against what remains at the instant of this state file (for a re-plan).
        #[arg(long, value_name = "STATE")]
        from_state: Option<PathBuf>,
        /// The plan file (JSON).
        plan: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Plan the evacuation: who goes in which vehicle, when, to where.
    #[command(
        after_help = "Examples:\n  corridor plan examples/tutorial/scenario.toml -o plan.json\n  \
corridor plan examples/aleppo-2016/scenario.toml --time-limit 10s -o aleppo.json --sheets aleppo-sheets\n  \
corridor plan scenario.toml --iterations 20000 --seed 3 --threads 2 --format json\n  \
corridor plan scenario.toml --from-state state.json --previous plan.json -o replan.json --time-limit 2s\n\n\
The plan is checked by the validator before it is written. Ctrl-C ends the search and keeps the best plan found.\n\
With --iterations (and no time limit reached), the same seed and --threads give the same plan.\n\
Exit codes: 0 planned (possibly leaving people behind, with a warning), 1 the plan failed the validator \
(not written; please report it), 2 bad input or an impossible scenario."
    )]
    Plan {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Plan only what remains at the instant of this state file (JSON; see docs/formats.md).
        #[arg(long, value_name = "STATE")]
        from_state: Option<PathBuf>,
        /// With --from-state: the plan being carried out, followed where it still fits.
        #[arg(long, value_name = "PLAN", requires = "from_state")]
        previous: Option<PathBuf>,
        /// Write the plan (JSON) here.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also write vehicle schedules (text, CSV) and the pickup timetable into this directory.
        #[arg(long)]
        sheets: Option<PathBuf>,
        /// Stop searching after this long ("30s", "2min").
        #[arg(long, default_value = "30s", value_parser = parse_time_limit)]
        time_limit: std::time::Duration,
        /// Stop after this many search iterations per thread (reproducible).
        #[arg(long)]
        iterations: Option<u64>,
        /// Seed of the search.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Independent searches in parallel; the best plan wins.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// What the plan minimises first (default: the scenario's `[planning] objective`, else makespan).
        #[arg(long, value_enum)]
        objective: Option<ObjectiveArg>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write the state of an operation at a time, as if its plan had been carried out until then.
    #[command(
        after_help = "Examples:\n  corridor state examples/aleppo-2016/scenario.toml plan.json --at 2016-12-16T11:00:00+02:00 --closed Ramouseh -o state.json\n  \
corridor state scenario.toml plan.json --at 30h --lost bus-07 --closed \"North gate=36h\" -o state.json\n  \
corridor state --data operation --at 2016-12-16T11:00:00+02:00 -o state.json\n  \
corridor plan scenario.toml --from-state state.json --previous plan.json -o replan.json\n\n\
Trips unloaded by then are delivered; a trip under way is finished as planned; every other vehicle waits where \
its last trip left it. A starting point for a drill or a re-plan: edit it to match what really happened \
(format in docs/formats.md).\n\n\
Exit codes: 0 written, 1 the plan breaks rules, 2 bad input."
    )]
    State {
        /// The scenario file (TOML); not with --data or --database.
        #[arg(required_unless_present_any = ["data", "database"], conflicts_with_all = ["data", "database"])]
        scenario: Option<PathBuf>,
        /// The plan being carried out (JSON); not with --data or --database.
        #[arg(required_unless_present_any = ["data", "database"])]
        plan: Option<PathBuf>,
        /// The state from a running operation's log instead: its embedded store.
        #[arg(long, value_name = "DIR", conflicts_with = "database")]
        data: Option<PathBuf>,
        /// The state from a running operation's log in PostgreSQL.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// The instant: an ISO 8601 time with offset, or a duration from the start ("30h").
        #[arg(long)]
        at: String,
        /// A vehicle lost or withdrawn at that time (repeat for more).
        #[arg(long, value_name = "VEHICLE")]
        lost: Vec<String>,
        /// A corridor closed at that time, with its reopening when known: NAME or NAME=TIME (repeat for more).
        #[arg(long, value_name = "CORRIDOR[=REOPENS]")]
        closed: Vec<String>,
        /// Write the state here (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Say where a valid plan's time goes and name its bottleneck.
    #[command(
        after_help = "Examples:\n  corridor explain examples/aleppo-2016/scenario.toml corridor-demo/plan.json\n  \
corridor explain scenario.toml plan.json --vehicles\n\n\
Splits every vehicle's working time into driving, boarding, unloading, waiting for people, waiting for a \
corridor window, for a convoy or for a lane, inspection, holds by a deal, and idle time; names the bottleneck.\n\n\
Exit codes: 0 explained, 1 the plan breaks rules, 2 a file cannot be read."
    )]
    Explain {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Check against what remains at the instant of this state file (for a re-plan).
        #[arg(long, value_name = "STATE")]
        from_state: Option<PathBuf>,
        /// The plan file (JSON).
        plan: PathBuf,
        /// Add a table with every vehicle's hours per activity.
        #[arg(long)]
        vehicles: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print a valid plan's vehicle schedules and pickup timetable.
    #[command(
        after_help = "Examples:\n  corridor sheets examples/tutorial/scenario.toml examples/tutorial/plan-by-hand.json -o sheets\n\n\
Writes schedule.txt, schedule.csv (one event per row) and timetable.txt (per pickup site: which vehicle, when, which households)."
    )]
    Sheets {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Check against what remains at the instant of this state file (for a re-plan).
        #[arg(long, value_name = "STATE")]
        from_state: Option<PathBuf>,
        /// The plan file (JSON).
        plan: PathBuf,
        /// Directory to write into (created if missing).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run a plan many times against realistic disruptions: how long will it really take?
    #[command(
        after_help = "Examples:\n  corridor rehearse examples/aleppo-2016/scenario.toml plan.json --deadline \"2016-12-20 18:00\" -o rehearsal\n  \
corridor rehearse scenario.toml plan-a.json plan-b.json --runs 2000 --seed 7\n\n\
The disruptions come from the scenario's [rehearsal] table, and on roads its [[rehearsal.closure]] tables \
(roads that may close; see docs/formats.md). With two plans, both run \
on the same random streams and the report says which is faster at P50 and P90, with 95 % intervals.\n\
The same seed gives the same runs on any number of threads.\n\
Exit codes: 0 rehearsed, 1 a plan breaks rules (not rehearsed), 2 bad input."
    )]
    Rehearse {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Rehearse a re-plan: what remains at the instant of this state file.
        #[arg(long, value_name = "STATE")]
        from_state: Option<PathBuf>,
        /// The plan file (JSON); give two to compare them.
        #[arg(required = true, num_args = 1..=2)]
        plans: Vec<PathBuf>,
        /// Number of runs (at least 1).
        #[arg(long, default_value_t = 1000)]
        runs: u64,
        /// Seed of the random streams.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Threads (results do not depend on it).
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Report the share of runs done by then ("2016-12-20 18:00" in the scenario's time, an ISO instant, or "72h").
        #[arg(long)]
        deadline: Option<String>,
        /// Write summary.json and the plots (SVG) into this directory.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Import a scenario from another format.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Road networks from OpenStreetMap.
    #[command(subcommand)]
    Roads(roads::RoadsCommand),
    /// Serve the operation's HTTP API: field events, manifests, reconciliation, roles.
    #[command(after_help = "Examples:\n  corridor serve --data operation examples/aleppo-2016/scenario.toml plan.json\n  corridor serve --data operation --listen 0.0.0.0:8080\n  corridor serve --database postgres://corridor:pw@127.0.0.1:5432/corridor scenario.toml plan.json\n\nOn a new store the scenario becomes the operation's registry and the plan (checked first) the active plan; on an existing store they may be left out, and another scenario is refused. Add users with `corridor users add`. The API is described at /api/openapi.json and in docs/operations.md.")]
    Serve {
        #[command(flatten)]
        store: ops::StoreArgs,
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The scenario to import on a new store.
        scenario: Option<PathBuf>,
        /// The plan that becomes the active plan.
        plan: Option<PathBuf>,
        /// The key file that seals personal fields (created when missing; default DIR/corridor.key
        /// with --data, ./corridor.key with --database). Keep it apart from database backups.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
    },
    /// Print the audit log: who did, saw or was refused what, when, from where.
    #[command(after_help = "Examples:\n  corridor audit --data op\n  corridor audit --database postgres://corridor:pw@127.0.0.1/corridor --format json")]
    Audit {
        #[command(flatten)]
        store: ops::StoreArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Destroy the personal fields of registrations received before a date; counts, movements and the audit stay.
    #[command(after_help = "Examples:\n  corridor erase --before 2017-01-01 --data op\n\nDeletes each day's data key and its sealed names, phone numbers and notes; nothing else changes. It cannot be undone.")]
    Erase {
        /// The first day to keep (YYYY-MM-DD, server time, UTC).
        #[arg(long, value_name = "DATE")]
        before: String,
        #[command(flatten)]
        store: ops::StoreArgs,
    },
    /// Add, revoke and list the users of an operation's API.
    #[command(subcommand)]
    Users(ops::UsersCommand),
    /// Field events from other sources: paper manifests and registration sheets.
    #[command(subcommand)]
    Events(ops::EventsCommand),
    /// Export a scenario and its plan for other programs.
    #[command(subcommand)]
    Export(roads::ExportCommand),
    /// Write a realistic scenario from a seed, for tests, benchmarks and exercises.
    #[command(after_help = "Examples:\n  \
corridor generate --seed 7 --households 2000 --sites 40 --vehicles 30 -o gen-7\n  \
corridor generate --seed 1 --households 500 --sites 12 --vehicles 8 --layout clustered --corridor --windows 3 --deal -o drill\n  \
corridor generate --households 2000 --sites 20 --vehicles 40 --ready-spread 36h -o second-day\n\n\
The same options always write the same files.")]
    Generate {
        /// Seed of the random generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of households.
        #[arg(long, default_value_t = 200)]
        households: u32,
        /// Number of pickup sites.
        #[arg(long, default_value_t = 10)]
        sites: u32,
        /// Number of vehicles (buses and ambulances).
        #[arg(long, default_value_t = 10)]
        vehicles: u32,
        /// How pickup sites are placed in the area.
        #[arg(long, value_enum, default_value_t = LayoutArg::Uniform)]
        layout: LayoutArg,
        /// Share of people who are stretcher cases (0.02 = 2 %).
        #[arg(long, default_value_t = 0.02)]
        stretcher_share: f64,
        /// Add a corridor checkpoint that trips from the pickup sites must pass.
        #[arg(long)]
        corridor: bool,
        /// Number of open windows of the corridor (0 = always open).
        #[arg(long, default_value_t = 0, requires = "corridor")]
        windows: u32,
        /// Add a linked-evacuation deal between two groups of pickup sites.
        #[arg(long)]
        deal: bool,
        /// Households become ready over this span (e.g. 36h) instead of within the
        /// first hour: half at the start, 35 % during the first half of the span,
        /// the last 15 % in a late wave over its last sixth.
        #[arg(long, value_name = "DURATION", value_parser = corridor_formats::parse_duration)]
        ready_spread: Option<corridor_core::Seconds>,
        /// Directory to write the scenario into (created if missing).
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A Bus Evacuation Problem instance of the literature (Goerigk et al. 2013 format).
    #[command(
        after_help = "Examples:\n  corridor import bep bench/instances/bep/loyola-random/BEP-1-5-5-3-i1.txt -o bep-5\n  corridor plan bep-5/scenario.toml --time-limit 1s\n\n\
Writes scenario.toml and travel-times.csv: one depot per yard, a pickup site per collection point holding \
demand / Q households of Q people, a destination per shelter with its capacity, buses of Q seats with no \
boarding or unloading time and no return; one time unit is one second; point-to-point and \
shelter-to-shelter moves stay forbidden."
    )]
    Bep {
        /// The instance file.
        file: PathBuf,
        /// Directory to write the scenario into (created if missing).
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// Pickup-site layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LayoutArg {
    /// Spread evenly over the area.
    Uniform,
    /// Gathered in a few neighbourhoods.
    Clustered,
}

fn parse_time_limit(s: &str) -> Result<std::time::Duration, String> {
    let t = corridor_formats::parse_duration(s)?;
    Ok(std::time::Duration::from_secs(t.0.max(0) as u64))
}

/// A reader that stops early (`corridor rehearse ... | head`) closes the pipe:
/// Rust's printing then panics, but for a command-line tool that is the end of
/// the output, not an error. Stop quietly; any other panic is reported as usual.
fn stop_quietly_on_a_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}

fn main() -> ExitCode {
    stop_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo {
            output,
            time_limit,
            format,
            no_serve,
            listen,
            speed,
        } => {
            let serve = (!no_serve).then_some(demo::Live { listen, speed });
            demo::run(format, &output, time_limit, serve)
        }
        Command::Validate { scenario, format } => commands::validate(&scenario, format),
        Command::Check {
            scenario,
            from_state,
            plan,
            format,
        } => commands::check(&scenario, from_state.as_deref(), &plan, format),
        Command::Plan {
            scenario,
            from_state,
            previous,
            output,
            sheets,
            time_limit,
            iterations,
            seed,
            threads,
            objective,
            format,
        } => {
            let args = commands::PlanArgs {
                time_limit,
                iterations,
                seed,
                threads,
                objective: objective.map(Into::into),
            };
            let from = commands::PlanFrom {
                state: from_state,
                previous,
            };
            commands::plan(
                &scenario,
                &from,
                &args,
                output.as_deref(),
                sheets.as_deref(),
                format,
            )
        }
        Command::State {
            data,
            database,
            at,
            output,
            ..
        } if data.is_some() || database.is_some() => {
            ops::state_from_log(&ops::StoreArgs { data, database }, &at, output.as_deref())
        }
        Command::State {
            scenario,
            plan,
            at,
            lost,
            closed,
            output,
            ..
        } => commands::state(
            scenario.as_deref().unwrap_or(std::path::Path::new("")),
            plan.as_deref().unwrap_or(std::path::Path::new("")),
            &commands::StateArgs {
                at: &at,
                lost: &lost,
                closed: &closed,
                output: output.as_deref(),
            },
            Format::Text,
        ),
        Command::Explain {
            scenario,
            from_state,
            plan,
            vehicles,
            format,
        } => commands::explain(&scenario, from_state.as_deref(), &plan, vehicles, format),
        Command::Sheets {
            scenario,
            from_state,
            plan,
            output,
        } => commands::sheets(&scenario, from_state.as_deref(), &plan, &output),
        Command::Rehearse {
            scenario,
            from_state,
            plans,
            runs,
            seed,
            threads,
            deadline,
            output,
            format,
        } => rehearse::run(
            &scenario,
            from_state.as_deref(),
            &plans,
            &rehearse::RehearseArgs {
                runs,
                seed,
                threads,
                deadline,
                output,
                format,
                print: true,
            },
        ),
        Command::Import(ImportCommand::Bep { file, output }) => {
            commands::import_bep(&file, &output)
        }
        Command::Roads(cmd) => roads::roads(cmd),
        Command::Serve {
            store,
            listen,
            scenario,
            plan,
            key_file,
        } => ops::serve(&store, &listen, scenario.as_deref(), plan.as_deref(), key_file.as_deref()),
        Command::Audit { store, format } => ops::audit(&store, format),
        Command::Erase { before, store } => ops::erase(&store, &before),
        Command::Users(cmd) => ops::users(&cmd),
        Command::Events(cmd) => ops::events(&cmd),
        Command::Export(cmd) => roads::export(cmd),
        Command::Generate {
            seed,
            households,
            sites,
            vehicles,
            layout,
            stretcher_share,
            corridor,
            windows,
            deal,
            ready_spread,
            output,
        } => {
            let options = corridor_generate::Options {
                seed,
                households,
                sites,
                vehicles,
                layout: match layout {
                    LayoutArg::Uniform => corridor_generate::Layout::Uniform,
                    LayoutArg::Clustered => corridor_generate::Layout::Clustered,
                },
                stretcher_share,
                corridor,
                windows,
                deal,
                ready_spread,
            };
            commands::generate(&options, &output)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
