//! `corridor demo`: Corridor's main job on the built-in scenario, eastern Aleppo
//! in December 2016: read and summarise it, plan it, check the plan, and write
//! the plan, the vehicle schedules and the pickup timetable, and rehearse the plan
//! against the scenario's disruptions. Then it serves the operation from a fresh
//! store and replays one typical rehearsed run into the event log at an
//! accelerated clock, so the dashboard moves as a real operation would.
//!
//! The scenario is compiled into the binary, so the demo runs from any directory.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use corridor_core::{Plan, Seconds, VehicleId};
use corridor_formats::{InMemory, load_scenario_with};
use corridor_store::{Role, Submitted};

use crate::Format;
use crate::commands::{PlanArgs, plan_loaded, print_loaded, report_problems, write_outputs};

const SCENARIO: &str = include_str!("../../../examples/aleppo-2016/scenario.toml");

/// How the demo serves its operation (`None`: `--no-serve`).
pub(crate) struct Live {
    /// `--listen`; without it 127.0.0.1:8080, or a free port when that one is taken.
    pub(crate) listen: Option<String>,
    /// Seconds of the operation per second of replay.
    pub(crate) speed: u32,
}

/// The rehearsal's seed and number of runs; the replayed run is one of them.
const SEED: u64 = 1;
const RUNS: u64 = 200;

pub(crate) fn run(
    format: Format,
    out: &Path,
    time_limit: std::time::Duration,
    live: Option<Live>,
) -> anyhow::Result<u8> {
    // A bad address is said before minutes of planning, not after.
    if let Some(a) = live.as_ref().and_then(|l| l.listen.as_deref())
        && a.parse::<SocketAddr>().is_err()
    {
        eprintln!("error: --listen `{a}` is not an address and port such as 127.0.0.1:8080");
        return Ok(crate::EXIT_BAD_INPUT);
    }
    if live.is_some()
        && let Err(e) = may_empty(&out.join("operation"))
    {
        eprintln!("error: {e}");
        return Ok(crate::EXIT_BAD_INPUT);
    }
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
        objective: None,
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
        runs: RUNS,
        seed: SEED,
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
    let [(_, plan)] = plans;
    match live {
        None => Ok(0),
        Some(live) => serve(&loaded, &plan, out, &live, format),
    }
}

/// The run of the rehearsal whose last arrival is the median one: neither the
/// luckiest nor the worst week. Returns its number and the plan as carried out.
fn typical_run(loaded: &corridor_formats::Loaded, plan: &Plan) -> (u64, corridor_sim::RunResult) {
    let prepared = corridor_sim::Prepared::new(&loaded.scenario, plan, &loaded.uncertainty);
    let mut spans: Vec<(Seconds, u64)> = (0..RUNS).map(|r| (prepared.run(SEED, r, false).makespan, r)).collect();
    spans.sort_unstable();
    let run = spans[spans.len() / 2].1;
    (run, prepared.run(SEED, run, true))
}

/// A fresh data directory: made new, or emptied when it holds a Corridor store.
fn fresh_store_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        may_empty(dir)?;
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Whether the demo may empty `dir`: it holds nothing but a Corridor store, or nothing.
fn may_empty(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        // Only the store's own files: the database, its journal files and the key.
        let ours = |name: &str| name.starts_with(corridor_store::DB_FILE) || name == "corridor.key";
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name();
            if !ours(&name.to_string_lossy()) {
                anyhow::bail!(
                    "{} holds {}, which is not a Corridor store's; move it away or give another --output",
                    dir.display(),
                    name.to_string_lossy()
                );
            }
        }
    }
    Ok(())
}

/// 127.0.0.1:8080, or a free port when that one is taken; exactly `--listen` when given.
async fn listener(listen: Option<&str>) -> anyhow::Result<tokio::net::TcpListener> {
    match listen {
        Some(a) => {
            let addr: SocketAddr = a
                .parse()
                .map_err(|_| anyhow::anyhow!("--listen `{a}` is not an address and port such as 127.0.0.1:8080"))?;
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}; choose another with --listen"))
        }
        None => match tokio::net::TcpListener::bind("127.0.0.1:8080").await {
            Ok(l) => Ok(l),
            Err(_) => Ok(tokio::net::TcpListener::bind("127.0.0.1:0").await?),
        },
    }
}

/// Serves the demo operation and replays a typical rehearsed run into it.
fn serve(loaded: &corridor_formats::Loaded, plan: &Plan, out: &Path, live: &Live, format: Format) -> anyhow::Result<u8> {
    let s = &loaded.scenario;
    let (run, result) = typical_run(loaded, plan);
    let executed = result.executed.as_ref().unwrap_or(plan);
    let lost: Vec<(VehicleId, Seconds)> = result.losses.iter().map(|l| (l.vehicle, l.at)).collect();
    let events = corridor_ops::events_of_plan(s, executed, &lost);
    let (Some(first), Some(last)) = (events.first().map(|e| e.at), events.last().map(|e| e.at)) else {
        anyhow::bail!("the rehearsed run moved nobody; nothing to replay");
    };
    let data = out.join("operation");
    fresh_store_dir(&data)?;
    let scenario_file = out.join("scenario.toml");
    std::fs::write(&scenario_file, SCENARIO)?;
    crate::ops::runtime()?.block_on(async {
        let store = corridor_store::Store::open(Some(&data), None).await?;
        let Some(keys) = crate::ops::load_keys(&data.join("corridor.key")) else {
            return Ok(crate::EXIT_BAD_INPUT);
        };
        let (journal, _) = corridor_server::open_operation_with_keys(store.clone(), Some(&scenario_file), Some(&out.join("plan.json")), Some(keys))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // A registrar at the gathering point with the most households.
        let mut at_site = vec![0usize; s.sites.len()];
        for h in &s.households {
            at_site[h.site.index()] += 1;
        }
        let busiest = (0..s.sites.len()).max_by_key(|&i| at_site[i]).map(|i| s.sites[i].name.clone());
        let coordinator = store.add_user("coordinator", Role::Coordinator, None, None, None).await?;
        let registrar = match &busiest {
            Some(site) => Some((site, store.add_user("registrar", Role::Registrar, Some(site), None, None).await?)),
            None => None,
        };
        let monitor = store.add_user("monitor", Role::Monitor, None, None, None).await?;
        let l = listener(live.listen.as_deref()).await?;
        let url = format!("http://{}/", l.local_addr()?);
        let login = |token: &str| format!("{url}login?token={token}");
        // The operation's clock starts a few minutes before the first event.
        let origin = first - Seconds(600);
        corridor_server::accelerate_clock(origin, live.speed).map_err(|e| anyhow::anyhow!(e))?;
        let replay_minutes = ((last - origin).0 / i64::from(live.speed) + 59) / 60;
        let took = match replay_minutes {
            0 | 1 => "about a minute".to_string(),
            m => format!("about {m} minutes"),
        };
        let delivered: u32 = result.deliveries.iter().map(|(_, p)| p.iter().sum::<u32>()).sum();
        let people: u32 = s.households.iter().map(|h| h.people.0).sum();
        match format {
            Format::Text => {
                println!("\nThe operation is live at {url} (store: {}).", data.display());
                println!("Sign in by opening a link:");
                println!("  coordinator: {}", login(&coordinator));
                if let Some((site, token)) = &registrar {
                    println!("  registrar at {site}: {}", login(token));
                }
                println!("  monitor: {}", login(&monitor));
                println!(
                    "Replaying rehearsal run {} of {RUNS} (a typical week: its last arrival is the median) into the event log:\n  \
                     {} events from {} to {}, at {}× the real pace ({took}).\n  \
                     In this run {delivered} of the {people} people are delivered{}.\nCtrl-C stops the server.",
                    run + 1,
                    events.len(),
                    corridor_ops::iso(s, first),
                    corridor_ops::iso(s, last),
                    live.speed,
                    match result.losses.len() {
                        0 => String::new(),
                        1 => "; one vehicle is lost".to_string(),
                        n => format!("; {n} vehicles are lost"),
                    }
                );
            }
            Format::Json => println!(
                "{}",
                serde_json::json!({
                    "url": url,
                    "logins": {
                        "coordinator": login(&coordinator),
                        "registrar": registrar.as_ref().map(|(_, t)| login(t)),
                        "monitor": login(&monitor),
                    },
                    "replay": {"run": run + 1, "events": events.len(), "speed": live.speed, "people": people, "delivered": delivered, "vehicles_lost": result.losses.len()},
                })
            ),
        }
        use std::io::Write as _;
        std::io::stdout().flush()?;
        let replayer = tokio::spawn(replay(journal.clone(), events, format == Format::Text));
        corridor_server::serve(journal, l, crate::ops::shutdown()).await?;
        replayer.abort();
        Ok(0)
    })
}

/// Submits each event once the operation's clock has reached its device time.
async fn replay(journal: corridor_store::Journal, events: Vec<corridor_ops::Timed>, tell: bool) {
    let s = match journal.read(|l| l.scenario.clone()).await {
        Ok(s) => s,
        Err(e) => return eprintln!("the replay stopped: {e}"),
    };
    let mut pending = events.into_iter().peekable();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    while pending.peek().is_some() {
        tick.tick().await;
        let Some(now) = corridor_server::accelerated_now() else { return };
        let mut batch = Vec::new();
        while let Some(t) = pending.next_if(|t| t.at <= now) {
            match corridor_ops::parse(&t.event, &s, false) {
                Ok(e) => batch.push(Submitted::Event(Box::new((t.event, e)))),
                Err(m) => eprintln!("the replay skipped {}: {m}", t.event.id),
            }
        }
        for chunk in batch.chunks(corridor_server::MAX_BATCH).map(<[Submitted]>::to_vec) {
            if let Err(e) = journal.submit(chunk, "demo replay").await {
                return eprintln!("the replay stopped: {e}");
            }
        }
    }
    if tell {
        eprintln!("The replay has reached the run's last event; the server keeps serving.");
    }
}
