//! An operation's registry in the store: importing a scenario (and its first
//! plan) into a new store, and reading it back when a server starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use corridor_core::{Plan, Scenario};
use corridor_formats::{FileSource, Loaded, NetworkSource};
use corridor_ops::{EventIn, LiveState};
use corridor_store::{Journal, PlanReader, Store, Submitted, relative_path};

/// A failure to start: the message says what to do.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl From<corridor_store::StoreError> for StartError {
    fn from(e: corridor_store::StoreError) -> Self {
        StartError(e.to_string())
    }
}

/// Reads files from disk and remembers each one, so that the store keeps exactly what was read.
struct Recording {
    read: Mutex<BTreeMap<PathBuf, String>>,
}

impl FileSource for Recording {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let text = std::fs::read_to_string(path)?;
        if let Ok(mut m) = self.read.lock() {
            m.insert(path.to_path_buf(), text.clone());
        }
        Ok(text)
    }
}

fn problems_text(p: &corridor_formats::Problems) -> String {
    p.0.iter().map(|x| format!("error: {x}")).collect::<Vec<_>>().join("\n")
}

/// A scenario read from disk, with the files it was read from (relative to its folder).
pub struct ScenarioFiles {
    /// The resolved scenario.
    pub loaded: Loaded,
    /// The scenario file's name in its folder.
    pub main: String,
    /// Every file it read, by relative path.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads a scenario and records its files.
pub fn read_scenario(path: &Path) -> Result<ScenarioFiles, StartError> {
    let rec = Recording {
        read: Mutex::new(BTreeMap::new()),
    };
    let loaded = corridor_formats::load_scenario_with(&rec, path).map_err(|p| StartError(problems_text(&p)))?;
    if loaded.scenario.has_hubs() {
        // The registry follows a household from its site to one destination; legs through a hub
        // would be recorded as arrivals at the hub. Refused rather than counted wrongly.
        return Err(StartError(format!(
            "{} has a hub: live operations do not follow households through hubs yet; plan, check, explain and rehearse it with the other commands",
            path.display()
        )));
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut files = Vec::new();
    let read = rec.read.into_inner().unwrap_or_default();
    for (p, text) in read {
        let rel = relative_path(&dir, &p).ok_or_else(|| {
            StartError(format!(
                "{} reads {}, which lies outside its folder; copy it into {} so the store can keep the whole scenario",
                path.display(),
                p.display(),
                dir.display()
            ))
        })?;
        files.push((rel, text.into_bytes()));
    }
    if let NetworkSource::Roads { file, .. } = &loaded.network {
        let bytes = std::fs::read(file).map_err(|e| StartError(format!("cannot read the road network {}: {e}", file.display())))?;
        let rel = relative_path(&dir, file).ok_or_else(|| {
            StartError(format!(
                "the road network {} lies outside the scenario's folder; copy it into {}",
                file.display(),
                dir.display()
            ))
        })?;
        files.push((rel, bytes));
    }
    let main = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| "scenario.toml".into());
    files.sort();
    Ok(ScenarioFiles { loaded, main, files })
}

/// Reads the scenario the store holds: its files are written to a temporary folder and read as from disk.
pub fn stored_scenario(main: &str, files: &[(String, Vec<u8>)]) -> Result<Loaded, StartError> {
    let dir = tempfile::tempdir().map_err(|e| StartError(format!("cannot create a temporary folder: {e}")))?;
    for (rel, body) in files {
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| StartError(format!("cannot write {}: {e}", p.display())))?;
        }
        std::fs::write(&p, body).map_err(|e| StartError(format!("cannot write {}: {e}", p.display())))?;
    }
    corridor_formats::load_scenario(&dir.path().join(main))
        .map_err(|p| StartError(format!("the store's scenario no longer reads:\n{}", problems_text(&p))))
}

/// Reads and validates a plan for a scenario; every violation is listed.
pub fn read_valid_plan(s: &Scenario, path: &Path) -> Result<(Plan, String), StartError> {
    let text = std::fs::read_to_string(path).map_err(|e| StartError(format!("cannot read the plan file {}: {e}", path.display())))?;
    let (plan, _) = corridor_formats::read_plan(&path.display().to_string(), &text, s).map_err(|p| StartError(problems_text(&p)))?;
    let violations = corridor_check::check(s, &plan);
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().take(20).map(|v| format!("  {}: {}", v.rule.id(), v.message)).collect();
        return Err(StartError(format!(
            "{} breaks {} rule{} of the scenario; fix it (or plan again with `corridor plan`) before it becomes the active plan:\n{}",
            path.display(),
            violations.len(),
            if violations.len() == 1 { "" } else { "s" },
            list.join("\n")
        )));
    }
    Ok((plan, text))
}

fn plan_reader(s: Arc<Scenario>) -> PlanReader {
    Arc::new(move |text: &str| {
        corridor_formats::read_plan("stored plan", text, &s)
            .map(|(p, _)| p)
            .map_err(|p| problems_text(&p))
    })
}

/// The id of the plan imported with the scenario.
pub const FIRST_PLAN: &str = "plan-1";

/// Opens the operation in `store`. On a new store, `scenario` is imported (and `plan`,
/// validated, becomes the active plan); on an existing one they may be omitted, and a
/// different scenario is refused.
pub async fn open_operation(store: Store, scenario: Option<&Path>, plan: Option<&Path>) -> Result<(Journal, Loaded), StartError> {
    open_operation_with_keys(store, scenario, plan, None).await
}

/// As [`open_operation`], with the key that seals registrations' personal fields.
pub async fn open_operation_with_keys(
    store: Store,
    scenario: Option<&Path>,
    plan: Option<&Path>,
    keys: Option<corridor_store::Keyring>,
) -> Result<(Journal, Loaded), StartError> {
    let name = store.operation_name().await?;
    match name {
        None => {
            let Some(path) = scenario else {
                return Err(StartError(format!(
                    "{} holds no operation yet: give the scenario to import, e.g. `corridor serve --data DIR examples/aleppo-2016/scenario.toml plan.json`",
                    store.location
                )));
            };
            let files = read_scenario(path)?;
            let s = Arc::new(files.loaded.scenario.clone());
            let plan = match plan {
                Some(p) => Some(read_valid_plan(&s, p)?),
                None => None,
            };
            store
                .import(&s.name, &files.main, &files.files, plan.as_ref().map(|(_, t)| (FIRST_PLAN, t.as_str())))
                .await?;
            let journal = Journal::open_with_keys(store, LiveState::new(s.clone()), plan_reader(s.clone()), keys).await?;
            if plan.is_some() {
                activate(&journal, FIRST_PLAN, "import").await?;
            }
            Ok((journal, files.loaded))
        }
        Some(stored_name) => {
            let main = store.meta("scenario_file").await?.unwrap_or_else(|| "scenario.toml".into());
            let stored = store.scenario_files().await?;
            if let Some(path) = scenario {
                let given = read_scenario(path)?;
                if given.files != stored {
                    let what = if given.loaded.scenario.name == stored_name {
                        let changed: Vec<&str> = given
                            .files
                            .iter()
                            .filter(|f| !stored.contains(f))
                            .map(|f| f.0.as_str())
                            .collect();
                        format!("scenario `{stored_name}` as imported, but {} differs ({})", path.display(), changed.join(", "))
                    } else {
                        format!("scenario `{stored_name}`, and {} is scenario `{}`", path.display(), given.loaded.scenario.name)
                    };
                    return Err(StartError(format!(
                        "{} holds the operation of {what}; start without the scenario to serve the stored one, or use a new --data directory (or database) for another operation",
                        store.location
                    )));
                }
            }
            let loaded = stored_scenario(&main, &stored)?;
            let s = Arc::new(loaded.scenario.clone());
            let journal = Journal::open_with_keys(store, LiveState::new(s.clone()), plan_reader(s.clone()), keys).await?;
            if let Some(p) = plan {
                let (_, text) = read_valid_plan(&s, p)?;
                let stored = journal.store().plans().await?;
                let active = journal.read(|l| l.active.as_ref().map(|a| a.id.clone())).await?;
                match stored.iter().find(|(_, t)| *t == text) {
                    // The same plan again (a restart with the same command): nothing changes.
                    Some((id, _)) if active.as_deref() == Some(id.as_str()) => {}
                    Some((id, _)) => activate(&journal, id, "command line").await?,
                    None => {
                        let id = format!("plan-{}", stored.len() + 1);
                        journal.add_plan(&id, &text, "command line").await?;
                        activate(&journal, &id, "command line").await?;
                    }
                }
            }
            Ok((journal, loaded))
        }
    }
}

/// Makes a stored plan the active one, by an event in the log.
pub async fn activate(journal: &Journal, id: &str, by: &str) -> Result<(), StartError> {
    let s = journal.read(|l| l.scenario.clone()).await?;
    let raw = EventIn {
        id: format!("activate-{id}-{}", corridor_store::now_ms()),
        kind: "plan_activated".into(),
        at: "0s".into(),
        device: "server".into(),
        plan: Some(id.to_string()),
        ..EventIn::default()
    };
    let e = corridor_ops::parse(&raw, &s, true).map_err(StartError)?;
    let answers = journal
        .submit(vec![Submitted::Event(Box::new((raw, e)))], by)
        .await
        .map_err(StartError)?;
    match answers.first() {
        Some(a) if a.result == "recorded" => Ok(()),
        Some(a) => Err(StartError(a.message.clone())),
        None => Err(StartError("no answer from the log".into())),
    }
}
