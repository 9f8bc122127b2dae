//! Running an operation from the command line: `serve`, `users`, `events import`, and `state` from the log.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use corridor_store::{AuditEntry, Role, Store, Submitted, now_ms};

use crate::EXIT_BAD_INPUT;

/// Where the operation's database is.
#[derive(Args, Clone, Debug)]
#[group(required = true, multiple = false)]
pub(crate) struct StoreArgs {
    /// The embedded store: a folder holding the SQLite database (created when new).
    #[arg(long, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// A PostgreSQL database instead: postgres://user:password@host:port/database.
    #[arg(long, value_name = "URL", env = "CORRIDOR_DATABASE")]
    pub(crate) database: Option<String>,
}

/// `corridor users ...`.
#[derive(Subcommand)]
pub(crate) enum UsersCommand {
    /// Add a user; prints the new token once, as the last line.
    #[command(after_help = "Examples:\n  corridor users add amal --role coordinator --data op\n  corridor users add samir --role registrar --site \"Salah al-Din\" --data op\n  corridor users add driver-07 --role driver --vehicle bus-07 --expires 3d --data op\n  corridor users add icrc --role monitor --database postgres://corridor:pw@127.0.0.1/corridor\n\nThe token is shown only here: hand it to the user (it is stored hashed).")]
    Add {
        /// A unique name for the user.
        name: String,
        /// coordinator, registrar, driver or monitor.
        #[arg(long)]
        role: String,
        /// A registrar's gathering point.
        #[arg(long)]
        site: Option<String>,
        /// A driver's vehicle.
        #[arg(long)]
        vehicle: Option<String>,
        /// The token stops working after this long ("12h", "3d").
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a user's token at once.
    Revoke {
        /// The user.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users, their roles and whether their tokens work.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `corridor events ...`.
#[derive(Subcommand)]
pub(crate) enum EventsCommand {
    /// Read a typed-up paper manifest or registration sheet (CSV) as events.
    #[command(after_help = "Examples:\n  corridor events import manifest-bus-07.csv --at 2016-12-15T10:00:00+02:00 --data op\n  corridor events import registrations.csv --device \"paper: Salah al-Din desk\" --data op\n\nLayouts (docs/operations.md): a manifest `vehicle,trip,household,boarded`; a registration sheet `site,household,people`; an event sheet with a `kind` column. Rows already recorded are recognised and not recorded twice.")]
    Import {
        /// The CSV file.
        file: PathBuf,
        /// The time of rows that have no `at` column.
        #[arg(long)]
        at: Option<String>,
        /// The device name recorded with each event (default: paper and the file's name).
        #[arg(long)]
        device: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn open_store(a: &StoreArgs) -> anyhow::Result<Store> {
    Ok(Store::open(a.data.as_deref(), a.database.as_deref()).await?)
}

/// `corridor serve`.
/// The key file: given, or beside the embedded store, or in the current folder for PostgreSQL.
fn key_path(store: &StoreArgs, given: Option<&Path>) -> PathBuf {
    match (given, &store.data) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(d)) => d.join("corridor.key"),
        (None, None) => PathBuf::from("corridor.key"),
    }
}

pub(crate) fn serve(store: &StoreArgs, listen: &str, scenario: Option<&Path>, plan: Option<&Path>, key_file: Option<&Path>) -> anyhow::Result<u8> {
    let addr: SocketAddr = match listen.parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!("error: --listen `{listen}` is not an address and port such as 127.0.0.1:8080");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    runtime()?.block_on(async {
        let st = match open_store(store).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e:#}");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let Some(keys) = load_keys(&key_path(store, key_file)) else {
            return Ok(EXIT_BAD_INPUT);
        };
        let (journal, loaded) = match corridor_server::open_operation_with_keys(st.clone(), scenario, plan, Some(keys)).await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {addr}: {e}; choose another with --listen");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let bound = listener.local_addr().unwrap_or(addr);
        let (events, active) = journal.read(|l| (l.events, l.active.as_ref().map(|a| a.id.clone()))).await?;
        eprintln!(
            "Corridor is serving `{}` on http://{bound}/ (store: {}; {events} events in the log; active plan: {})",
            loaded.scenario.name,
            st.location,
            active.as_deref().unwrap_or("none")
        );
        if st.users().await?.is_empty() {
            let at = match (&store.data, &store.database) {
                (Some(d), _) => format!("--data {}", d.display()),
                _ => "--database URL".into(),
            };
            eprintln!("No users yet: `corridor users add NAME --role coordinator {at}` prints a token for the API.");
        }
        // The address as the last line, for scripts that start a server on port 0.
        println!("http://{bound}/");
        corridor_server::serve(journal, listener, shutdown()).await?;
        // Closing the connections lets SQLite fold its write-ahead log into the file, so a
        // stopped server leaves one self-contained file to copy.
        st.close().await;
        eprintln!("stopped; every event answered \"recorded\" is in the store");
        Ok(0)
    })
}

/// The key that seals personal fields, created (and said so) when the file is new.
pub(crate) fn load_keys(path: &Path) -> Option<corridor_store::Keyring> {
    match corridor_store::Keyring::load_or_create(path) {
        Ok((k, created)) => {
            if created {
                eprintln!(
                    "Created the key file {}: names, phone numbers and notes are sealed with it. Keep a copy apart from the database's backups; without it they cannot be read.",
                    path.display()
                );
            }
            Some(k)
        }
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM: the server then finishes the requests in flight.
pub(crate) async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn expires_ms(text: Option<&str>) -> Result<Option<i64>, String> {
    match text {
        None => Ok(None),
        Some(t) => {
            let d = corridor_formats::parse_duration(t).map_err(|e| format!("--expires: {e}"))?;
            if d.0 <= 0 {
                return Err("--expires must be a positive duration such as 12h or 3d".into());
            }
            Ok(Some(now_ms().saturating_add(d.0.saturating_mul(1000))))
        }
    }
}

/// `corridor users ...`.
pub(crate) fn users(cmd: &UsersCommand) -> anyhow::Result<u8> {
    runtime()?.block_on(async {
        match cmd {
            UsersCommand::Add {
                name,
                role,
                site,
                vehicle,
                expires,
                store,
            } => {
                let Some(r) = Role::parse(role) else {
                    eprintln!("error: --role `{role}` is not a role; use coordinator, registrar, driver or monitor");
                    return Ok(EXIT_BAD_INPUT);
                };
                let expires = match expires_ms(expires.as_deref()) {
                    Ok(e) => e,
                    Err(m) => {
                        eprintln!("error: {m}");
                        return Ok(EXIT_BAD_INPUT);
                    }
                };
                let st = open_store(store).await?;
                // Sites and vehicles are checked against the operation's registry.
                let Some(_) = st.operation_name().await? else {
                    eprintln!("error: {} holds no operation yet; start `corridor serve` with the scenario first", st.location);
                    return Ok(EXIT_BAD_INPUT);
                };
                let main = st.meta("scenario_file").await?.unwrap_or_default();
                let loaded = corridor_server::stored_scenario(&main, &st.scenario_files().await?)?;
                let s = &loaded.scenario;
                match (r, site, vehicle) {
                    (Role::Registrar, None, _) => {
                        eprintln!("error: a registrar acts at one gathering point: give --site");
                        return Ok(EXIT_BAD_INPUT);
                    }
                    (Role::Driver, _, None) => {
                        eprintln!("error: a driver drives one vehicle: give --vehicle");
                        return Ok(EXIT_BAD_INPUT);
                    }
                    _ => {}
                }
                if let Some(x) = site
                    && !s.sites.iter().any(|p| &p.name == x && matches!(p.kind, corridor_core::SiteKind::Pickup))
                {
                    let hint = corridor_formats::did_you_mean(
                        x,
                        s.sites.iter().filter(|p| matches!(p.kind, corridor_core::SiteKind::Pickup)).map(|p| p.name.as_str()),
                    );
                    eprintln!("error: --site: no gathering point named `{x}` in `{}`{}", s.name, hint.map(|h| format!(" ({h})")).unwrap_or_default());
                    return Ok(EXIT_BAD_INPUT);
                }
                if let Some(x) = vehicle
                    && !s.vehicles.iter().any(|v| &v.name == x)
                {
                    let hint = corridor_formats::did_you_mean(x, s.vehicles.iter().map(|v| v.name.as_str()));
                    eprintln!("error: --vehicle: no vehicle named `{x}` in `{}`{}", s.name, hint.map(|h| format!(" ({h})")).unwrap_or_default());
                    return Ok(EXIT_BAD_INPUT);
                }
                let token = match st.add_user(name, r, site.as_deref(), vehicle.as_deref(), expires).await {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return Ok(EXIT_BAD_INPUT);
                    }
                };
                st.audit(&operator_entry("users add", &format!("{name} ({})", r.as_str()), "ok".into())).await?;
                let scope = match (site, vehicle) {
                    (Some(x), _) if r == Role::Registrar => format!(" at {x}"),
                    (_, Some(v)) if r == Role::Driver => format!(" of {v}"),
                    _ => String::new(),
                };
                println!("Added {name}, {}{scope}. Their token (shown only now; stored hashed):", r.as_str());
                println!("{token}");
                Ok(0)
            }
            UsersCommand::Revoke { name, store } => {
                let st = open_store(store).await?;
                if !st.revoke_user(name).await? {
                    eprintln!("error: no user named `{name}`; `corridor users list` shows them");
                    return Ok(EXIT_BAD_INPUT);
                }
                st.audit(&operator_entry("users revoke", name, "ok".into())).await?;
                println!("Revoked the token of {name}.");
                Ok(0)
            }
            UsersCommand::List { store } => {
                let st = open_store(store).await?;
                let now = now_ms();
                for u in st.users().await? {
                    let state = if u.revoked_ms.is_some() {
                        "revoked"
                    } else if u.expires_ms.is_some_and(|e| e <= now) {
                        "expired"
                    } else {
                        "active"
                    };
                    let scope = u.site.or(u.vehicle).map(|x| format!(" ({x})")).unwrap_or_default();
                    println!("{}\t{}{scope}\t{state}", u.name, u.role.as_str());
                }
                Ok(0)
            }
        }
    })
}

/// `corridor events import`.
pub(crate) fn events(cmd: &EventsCommand) -> anyhow::Result<u8> {
    let EventsCommand::Import { file, at, device, store } = cmd;
    let shown = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {shown}: cannot read the sheet: {e}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let device = device.clone().unwrap_or_else(|| {
        format!("paper: {}", file.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default())
    });
    let rows = match corridor_ops::read_sheet(&text, at.as_deref(), &device) {
        Ok(r) => r,
        Err(problems) => {
            for p in &problems {
                let field = p.field.as_ref().map(|f| format!(" `{f}`:")).unwrap_or_default();
                eprintln!("error: {shown}:{}:{field} {}", p.line, p.message);
            }
            eprintln!("{} problem{} found; nothing was recorded", problems.len(), if problems.len() == 1 { "" } else { "s" });
            return Ok(EXIT_BAD_INPUT);
        }
    };
    runtime()?.block_on(async {
        let st = open_store(store).await?;
        let (journal, _) = match corridor_server::open_operation(st, None, None).await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let judged = journal
            .read(|live| {
                rows.iter()
                    .map(|(line, raw)| match corridor_ops::parse(raw, &live.scenario, false) {
                        Err(m) => (*line, Err(m)),
                        Ok(e) if live.has_event(&e.id) || live.already_known(&e) => (*line, Ok(None)),
                        Ok(e) => (*line, Ok(Some(Submitted::Event(Box::new((raw.clone(), e)))))),
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
        let mut bad = 0;
        let mut known = 0;
        let mut send = Vec::new();
        let mut lines = Vec::new();
        for (line, j) in judged {
            match j {
                Err(m) => {
                    bad += 1;
                    eprintln!("error: {shown}:{line}: {m}");
                }
                Ok(None) => known += 1,
                Ok(Some(s)) => {
                    send.push(s);
                    lines.push(line);
                }
            }
        }
        if bad > 0 {
            eprintln!("{bad} row{} cannot be read; nothing was recorded: fix them and import the sheet again", if bad == 1 { "" } else { "s" });
            return Ok(EXIT_BAD_INPUT);
        }
        let answers = match journal.submit(send, &device).await {
            Ok(a) => a,
            Err(m) => {
                eprintln!("error: {m}");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let (mut recorded, mut conflicts) = (0, 0);
        for (a, line) in answers.iter().zip(&lines) {
            match a.result {
                "recorded" => recorded += 1,
                "duplicate" => known += 1,
                "conflict" => {
                    conflicts += 1;
                    println!("{shown}:{line}: conflict: {}", a.message);
                }
                _ => println!("{shown}:{line}: {}: {}", a.result, a.message),
            }
        }
        journal
            .store()
            .audit(&AuditEntry {
                at_ms: now_ms(),
                actor: device.clone(),
                role: "operator".into(),
                action: "events import".into(),
                target: shown.clone(),
                origin: "command line".into(),
                outcome: format!("{recorded} recorded, {conflicts} conflicts, {known} already recorded"),
            })
            .await?;
        println!("{shown}: {recorded} recorded, {conflicts} conflicts (GET /api/conflicts), {known} already recorded");
        Ok(0)
    })
}

/// `corridor state --data DIR --at T`: the state from the log.
pub(crate) fn state_from_log(store: &StoreArgs, at: &str, output: Option<&Path>) -> anyhow::Result<u8> {
    runtime()?.block_on(async {
        let st = open_store(store).await?;
        let (journal, _) = match corridor_server::open_operation(st, None, None).await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let text = match corridor_server::state_file_at(&journal, Some(at)).await {
            Ok(t) => t,
            Err(m) => {
                eprintln!("error: {m}");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        match output {
            Some(p) => {
                std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?;
                eprintln!("wrote the state at {at} from the operation's log to {}", p.display());
            }
            None => print!("{text}"),
        }
        Ok(0)
    })
}

/// `corridor audit`.
pub(crate) fn audit(store: &StoreArgs, format: crate::Format) -> anyhow::Result<u8> {
    runtime()?.block_on(async {
        let st = open_store(store).await?;
        let mut offset = 0;
        loop {
            let page = st.audit_log(offset, 10_000).await?;
            if page.is_empty() {
                break;
            }
            offset += page.len() as i64;
            for e in page {
                let at = utc(e.at_ms);
                match format {
                    crate::Format::Text => println!("{at}\t{}\t{}\t{}\t{}\t{}\t{}", e.actor, e.role, e.action, e.target, e.origin, e.outcome),
                    crate::Format::Json => println!(
                        "{}",
                        serde_json::json!({"at": at, "actor": e.actor, "role": e.role, "action": e.action, "target": e.target, "origin": e.origin, "outcome": e.outcome})
                    ),
                }
            }
        }
        Ok(0)
    })
}

/// `2026-12-03T14:05:09.123Z`.
fn utc(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = corridor_core::civil_from_days(days);
    let s = rest / 1000;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, s / 60 % 60, s % 60, rest % 1000)
}

fn operator_entry(action: &str, target: &str, outcome: String) -> AuditEntry {
    AuditEntry {
        at_ms: now_ms(),
        actor: "command line".into(),
        role: "operator".into(),
        action: action.into(),
        target: target.into(),
        origin: "command line".into(),
        outcome,
    }
}

/// `corridor erase --before DATE`.
pub(crate) fn erase(store: &StoreArgs, before: &str) -> anyhow::Result<u8> {
    let ok = before.len() == 10
        && before.as_bytes()[4] == b'-'
        && before.as_bytes()[7] == b'-'
        && before.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !ok {
        eprintln!("error: --before `{before}` is not a date; write it as YYYY-MM-DD, e.g. 2017-01-01");
        return Ok(EXIT_BAD_INPUT);
    }
    runtime()?.block_on(async {
        let st = open_store(store).await?;
        let (days, rows) = st.erase_before(before).await?;
        st.audit(&operator_entry("erase personal fields", &format!("before {before}"), format!("{days} day keys and {rows} registrations' personal fields destroyed")))
            .await?;
        println!("Destroyed the personal fields of {rows} registrations ({days} day keys) received before {before}; counts, movements and the audit log are kept.");
        Ok(0)
    })
}

/// `corridor export registry`.
pub(crate) fn export_registry(store: &StoreArgs, names: bool, key_file: Option<&Path>, output: Option<&Path>) -> anyhow::Result<u8> {
    runtime()?.block_on(async {
        let st = open_store(store).await?;
        let keys = if names {
            match corridor_store::Keyring::load(&key_path(store, key_file)) {
                Ok(k) => Some(k),
                Err(e) => {
                    eprintln!("error: --names: {e}");
                    return Ok(EXIT_BAD_INPUT);
                }
            }
        } else {
            None
        };
        let (journal, _) = match corridor_server::open_operation(st.clone(), None, None).await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let mut personal = std::collections::HashMap::new();
        if let Some(k) = &keys {
            for r in st.personal_rows(k, None).await? {
                personal.insert(r.household, r.personal);
            }
        }
        let rows = journal
            .read(|l| {
                l.households
                    .iter()
                    .filter_map(|h| l.whereabouts(&h.reference))
                    .collect::<Vec<_>>()
            })
            .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["reference", "site", "people", "stretcher_cases", "tier", "status", "in_registry", "vehicle", "trip", "destination", "arrived_at"];
        if names {
            header.extend(["name", "phone", "note"]);
        }
        w.write_record(&header)?;
        for r in &rows {
            let mut rec = vec![
                r.household.clone(),
                r.site.clone(),
                r.people.to_string(),
                r.stretcher_cases.to_string(),
                r.tier.to_string(),
                r.status.clone(),
                r.in_registry.to_string(),
                r.vehicle.clone().unwrap_or_default(),
                r.trip.map(|t| t.to_string()).unwrap_or_default(),
                r.destination.clone().unwrap_or_default(),
                r.arrived_at.clone().unwrap_or_default(),
            ];
            if names {
                let p = personal.get(&r.household);
                rec.push(p.and_then(|p| p.name.clone()).unwrap_or_default());
                rec.push(p.and_then(|p| p.phone.clone()).unwrap_or_default());
                rec.push(p.and_then(|p| p.note.clone()).unwrap_or_default());
            }
            w.write_record(&rec)?;
        }
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        let target = output.map_or_else(|| "standard output".to_string(), |p| p.display().to_string());
        st.audit(&operator_entry(
            if names { "export registry with personal fields" } else { "export registry" },
            &target,
            format!("{} households", rows.len()),
        ))
        .await?;
        match output {
            Some(p) => {
                std::fs::write(p, &bytes).with_context(|| format!("cannot write {}", p.display()))?;
                eprintln!("wrote {} households to {}{}", rows.len(), p.display(), if names { " with their personal fields" } else { "" });
            }
            None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
        }
        Ok(0)
    })
}
