//! Re-planning from the live log through the real `corridor serve`, on SQLite and
//! PostgreSQL: `POST /api/replan` plans what remains at an instant, the proposal
//! passes `corridor check --from-state` with the state `corridor state --data DIR --at T`
//! writes for the same instant, plans nobody already delivered or on board, and
//! becomes the active plan with `POST /api/plans/{id}/activate`. Households registered
//! in the field are in the state's `registered` section and planned like the registry's.
//!
//! The tutorial's plan is committed (`tests/data/tutorial-plan.json`):
//! - bus-01 trip 1: RF-007, RF-004, RF-001, RF-009 to St. Anne hospital, departs 30min;
//! - bus-02 trip 1: RF-006, RF-005, RF-002, RF-012, RF-015, RF-011, RF-013, RF-014, RF-016
//!   to Hill school shelter, departs 30min;
//! - ambulance-1 trip 1: RF-008, RF-010; trip 2: RF-003, both to St. Anne hospital.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tutorial() -> PathBuf {
    repo().join("examples/tutorial/scenario.toml")
}

fn aleppo() -> PathBuf {
    repo().join("examples/aleppo-2016/scenario.toml")
}

fn tutorial_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tutorial-plan.json")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique() -> u64 {
    UNIQUE.fetch_add(1, Ordering::SeqCst)
}

/// A new, empty operation store for one test: a temporary folder (logs, files, and
/// the SQLite store), plus a database of its own on PostgreSQL.
struct StoreLoc {
    dir: tempfile::TempDir,
    url: Option<String>,
}

impl StoreLoc {
    fn new(backend: Backend) -> StoreLoc {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(new_postgres_database()),
        };
        StoreLoc { dir, url }
    }

    /// `--data DIR` or `--database URL`.
    fn args(&self) -> Vec<OsString> {
        match &self.url {
            None => vec!["--data".into(), self.dir.path().join("op").into()],
            Some(u) => vec!["--database".into(), u.into()],
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A database of its own on `DATABASE_URL`'s server, or on a throwaway server the store's
/// test support starts when `DATABASE_URL` is not set.
fn new_postgres_database() -> String {
    let _ = unique();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for CREATE DATABASE");
    rt.block_on(corridor_store::testing::new_database("corridor_replan"))
}

/// Runs `corridor ARGS` to completion (at most two minutes).
fn corridor(args: &[OsString]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("CORRIDOR_DATABASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("corridor starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "corridor {args:?} did not finish in 2 minutes; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn os(parts: &[&str]) -> Vec<OsString> {
    parts.iter().map(OsString::from).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `corridor users add NAME --role ROLE [EXTRA] STORE`: the token, the last line of stdout.
fn add_user(store: &StoreLoc, name: &str, role: &str, extra: &[&str]) -> String {
    let mut args = os(&["users", "add", name, "--role", role]);
    args.extend(os(extra));
    args.extend(store.args());
    let out = corridor(&args);
    assert!(
        out.status.success(),
        "users add {name} failed: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let token = stdout
        .lines()
        .last()
        .expect("a token line")
        .trim()
        .to_string();
    assert!(token.contains('.'), "the last line is the token: {stdout}");
    token
}

/// A running `corridor serve`; killed (SIGKILL) when dropped.
struct Server {
    child: Option<Child>,
    url: String,
    log: PathBuf,
}

impl Server {
    /// Starts a server and waits until `GET /api/health` answers; panics with its log otherwise.
    fn start(store: &StoreLoc, files: &[PathBuf]) -> Server {
        match Server::try_start(store, files) {
            Ok(s) => s,
            Err((code, log)) => panic!("corridor serve exited ({code:?}) before serving:\n{log}"),
        }
    }

    /// Starts a server; `Err((exit code, stderr))` when it exits before serving.
    fn try_start(store: &StoreLoc, files: &[PathBuf]) -> Result<Server, (Option<i32>, String)> {
        let log = store.path(&format!("serve-{}.log", unique()));
        let mut args = os(&["serve"]);
        args.extend(store.args());
        args.extend(os(&["--listen", "127.0.0.1:0"]));
        args.extend(files.iter().map(OsString::from));
        let mut child = Command::new(BIN)
            .args(&args)
            .current_dir(store.dir.path())
            .env_remove("CORRIDOR_DATABASE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("server log file"))
            .spawn()
            .expect("corridor serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let read_log = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) if line.starts_with("http://") => {
                    break line.trim().trim_end_matches('/').to_string();
                }
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("wait");
                    return Err((status.code(), read_log(&log)));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = child.try_wait().expect("wait") {
                        return Err((status.code(), read_log(&log)));
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        panic!(
                            "corridor serve printed no address in 60 s:\n{}",
                            read_log(&log)
                        );
                    }
                }
            }
        };
        let server = Server {
            child: Some(child),
            url,
            log,
        };
        let agent = agent(Duration::from_secs(5));
        loop {
            if let Ok(mut r) = agent.get(format!("{}/api/health", server.url)).call()
                && r.status().as_u16() == 200
            {
                let v: Value = r.body_mut().read_json().expect("health is JSON");
                assert_eq!(v["ok"], json!(true));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the server does not answer /api/health:\n{}",
                server.log_text()
            );
            thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn api(&self, token: &str) -> Api {
        Api::new(&self.url, Some(token))
    }

    /// SIGKILL: no shutdown at all.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// A client of one server, with or without a token.
struct Api {
    agent: ureq::Agent,
    base: String,
    auth: Option<String>,
}

impl Api {
    fn new(base: &str, token: Option<&str>) -> Api {
        Api {
            agent: agent(Duration::from_secs(60)),
            base: base.to_string(),
            auth: token.map(|t| format!("Bearer {t}")),
        }
    }

    fn get_text(&self, path: &str) -> (u16, String) {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let mut r = req.call().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = r.status().as_u16();
        (status, r.body_mut().read_to_string().expect("a body"))
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (s, t) = self.get_text(path);
        (
            s,
            serde_json::from_str(&t)
                .unwrap_or_else(|e| panic!("GET {path} ({s}) is not JSON ({e}): {t}")),
        )
    }

    /// GET that must answer 200.
    fn ok(&self, path: &str) -> Value {
        let (s, v) = self.get(path);
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let mut r = req
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = r.status().as_u16();
        let t = r.body_mut().read_to_string().expect("a body");
        (
            status,
            serde_json::from_str(&t)
                .unwrap_or_else(|e| panic!("POST {path} ({status}) is not JSON ({e}): {t}")),
        )
    }
}

fn results(v: &Value) -> Vec<(String, String)> {
    v["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {v}"))
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_string(),
                r["result"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// An event: `id`, `kind`, `at`, `device` and the fields of its kind.
fn ev(id: &str, kind: &str, at: &str, fields: Value) -> Value {
    let mut v = json!({"id": id, "kind": kind, "at": at, "device": "tablet-1"});
    if let (Some(m), Value::Object(f)) = (v.as_object_mut(), fields) {
        m.extend(f);
    }
    v
}

fn boarded(id: &str, at: &str, household: &str, vehicle: &str, trip: u32) -> Value {
    ev(
        id,
        "boarded",
        at,
        json!({"household": household, "vehicle": vehicle, "trip": trip}),
    )
}

fn arrived(id: &str, at: &str, vehicle: &str, trip: u32, destination: &str) -> Value {
    ev(
        id,
        "arrived",
        at,
        json!({"vehicle": vehicle, "trip": trip, "destination": destination}),
    )
}

fn departed(id: &str, at: &str, vehicle: &str, trip: u32) -> Value {
    ev(
        id,
        "departed",
        at,
        json!({"vehicle": vehicle, "trip": trip}),
    )
}

fn incident(id: &str, at: &str, fields: Value) -> Value {
    ev(id, "incident", at, fields)
}

/// One test per backend.
macro_rules! on_both {
    ($case:ident, $sqlite:ident, $postgres:ident) => {
        #[test]
        fn $sqlite() {
            $case(Backend::Sqlite);
        }
        #[test]
        fn $postgres() {
            $case(Backend::Postgres);
        }
    };
}

/// Every household a plan file carries.
fn planned(plan: &Value) -> BTreeSet<String> {
    plan["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .flat_map(|r| r["trips"].as_array().expect("trips").iter())
        .flat_map(|t| t["stops"].as_array().expect("stops").iter())
        .flat_map(|s| s["households"].as_array().expect("households").iter())
        .map(|h| h.as_str().expect("a reference").to_string())
        .collect()
}

/// The delivered and on-board households of a state file.
fn gone(state: &Value) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = state["delivered"]
        .as_array()
        .expect("delivered")
        .iter()
        .map(|d| d["household"].as_str().expect("h").to_string())
        .collect();
    for v in state["vehicles"].as_array().expect("vehicles") {
        if let Some(on) = v["on_board"].as_array() {
            out.extend(on.iter().map(|h| h.as_str().expect("h").to_string()));
        }
    }
    out
}

/// Writes the proposal's plan and the state `corridor state --data DIR --at AT` writes,
/// and checks the plan against the scenario from that state with the real binary.
/// Returns the state file's JSON.
fn check_from_state(store: &StoreLoc, scenario: &Path, at: &str, plan: &Value) -> Value {
    let n = unique();
    let plan_file = store.path(&format!("replan-{n}.json"));
    std::fs::write(&plan_file, plan.to_string()).expect("write the plan");
    let state_file = store.path(&format!("state-{n}.json"));
    let mut args = os(&["state", "--at", at, "-o"]);
    args.push(state_file.clone().into());
    args.extend(store.args());
    let out = corridor(&args);
    assert!(
        out.status.success(),
        "corridor state: {}",
        text(&out.stderr)
    );
    let mut args = os(&["check"]);
    args.push(scenario.into());
    args.push(plan_file.into());
    args.push("--from-state".into());
    args.push(state_file.clone().into());
    let out = corridor(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "check --from-state: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&state_file).expect("state file"))
        .expect("state JSON")
}

// 1. The tutorial: an ambulance delivered, a bus under way, the other bus lost.
fn tutorial_replan(backend: Backend) {
    let store = StoreLoc::new(backend);
    let server = Server::start(&store, &[tutorial(), tutorial_plan()]);
    let token = add_user(&store, "amal", "coordinator", &[]);
    let monitor = add_user(&store, "mona", "monitor", &[]);
    let api = server.api(&token);
    let r = results(
        &api.post(
            "/api/events",
            &json!([
                boarded("t1", "8min", "RF-008", "ambulance-1", 1),
                boarded("t2", "9min", "RF-010", "ambulance-1", 1),
                departed("t3", "14min", "ambulance-1", 1),
                arrived("t4", "25min", "ambulance-1", 1, "St. Anne hospital"),
                boarded("t5", "38min", "RF-007", "bus-01", 1),
                boarded("t6", "44min", "RF-004", "bus-01", 1),
                departed("t7", "50min", "bus-01", 1),
                incident(
                    "t8",
                    "55min",
                    json!({"what": "vehicle_out_of_service", "vehicle": "bus-02"})
                ),
                // After the instant: left out of the re-plan.
                arrived("t9", "3h", "bus-01", 1, "St. Anne hospital"),
            ]),
        )
        .1,
    );
    assert!(r.iter().all(|(_, v)| v == "recorded"), "{r:?}");

    // Refusals and mistakes, each with what to fix.
    let (s, v) = server.api(&monitor).post("/api/replan", &json!({}));
    assert_eq!(s, 403, "{v}");
    let (s, v) = api.post("/api/replan", &json!({"at": "1h", "time_limit": "90s"}));
    assert_eq!(s, 422, "{v}");
    assert!(v["error"].as_str().expect("error").contains("60"), "{v}");
    let (s, v) = api.post("/api/replan", &json!({"at": "noon"}));
    assert_eq!(s, 422, "{v}");
    let (s, v) = api.post("/api/replan", &json!({"when": "1h"}));
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].is_string(), "{v}");
    let (s, v) = api.post("/api/plans/replan-7/activate", &json!({}));
    assert_eq!(s, 404, "{v}");

    let (s, proposal) = api.post("/api/replan", &json!({"at": "1h", "time_limit": "1s"}));
    assert_eq!(s, 200, "{proposal}");
    assert_eq!(proposal["id"], json!("replan-1"));
    let plan = &proposal["plan"];
    assert_eq!(plan["format"], json!("corridor-plan"), "{plan}");
    let state = check_from_state(&store, &tutorial(), "1h", plan);
    let gone = gone(&state);
    assert_eq!(
        gone,
        ["RF-004", "RF-007", "RF-008", "RF-010"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let again = planned(plan);
    assert!(
        again.is_disjoint(&gone),
        "planned again: {:?}",
        again.intersection(&gone).collect::<Vec<_>>()
    );
    for h in ["RF-001", "RF-009", "RF-006", "RF-016", "RF-003"] {
        assert!(again.contains(h), "{h} waits and is planned: {plan}");
    }
    assert!(
        plan["routes"]
            .as_array()
            .expect("routes")
            .iter()
            .all(|r| r["vehicle"] != "bus-02"),
        "bus-02 is out of service: {plan}"
    );
    // What changed: bus-02's trip is gone; its households move to another vehicle.
    let changes = &proposal["changes"];
    let bus2 = changes["vehicles"]
        .as_array()
        .expect("vehicles")
        .iter()
        .find(|v| v["vehicle"] == "bus-02")
        .unwrap_or_else(|| panic!("bus-02 changes: {changes}"));
    assert_eq!(
        bus2["removed"].as_array().expect("removed").len(),
        1,
        "{bus2}"
    );
    assert_eq!(bus2["in_service"], json!(false));
    let rf006 = changes["households"]
        .as_array()
        .expect("households")
        .iter()
        .find(|h| h["household"] == "RF-006")
        .unwrap_or_else(|| panic!("RF-006 changes: {changes}"));
    assert_eq!(rf006["was"]["vehicle"], json!("bus-02"), "{rf006}");
    assert_ne!(rf006["now"]["vehicle"], json!("bus-02"), "{rf006}");
    let figures = &proposal["figures"];
    assert!(
        figures["makespan"].is_string() && figures["planning_s"].is_number(),
        "{figures}"
    );
    let carried: u64 = ["tier_1", "tier_2", "tier_3"]
        .iter()
        .map(|t| figures["carried"][t].as_u64().expect("n"))
        .sum();
    assert!(carried > 0, "{figures}");

    // The stored proposal, then active; manifests follow.
    let list = api.ok("/api/plans");
    let rows = list["plans"].as_array().expect("plans");
    assert_eq!(
        rows.iter()
            .map(|p| p["id"].as_str().expect("id"))
            .collect::<Vec<_>>(),
        ["plan-1", "replan-1"],
        "{list}"
    );
    assert_eq!(rows[0]["active"], json!(true));
    assert_eq!(rows[1]["active"], json!(false));
    let (s, v) = api.post("/api/plans/replan-1/activate", &json!({}));
    assert_eq!(s, 200, "{v}");
    let list = api.ok("/api/plans");
    assert_eq!(list["plans"][1]["active"], json!(true), "{list}");
    // Both changes are in the audit log.
    let audit = api.ok("/api/audit?limit=10000");
    let actions: Vec<(String, String)> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_string(),
                e["target"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for want in ["re-plan", "activate a plan"] {
        assert!(
            actions.contains(&(want.to_string(), "replan-1".to_string())),
            "{want} audited: {actions:?}"
        );
    }
    for v in changes["vehicles"].as_array().expect("vehicles") {
        let name = v["vehicle"].as_str().expect("vehicle");
        let manifest = api.ok(&format!("/api/manifests/{name}"));
        assert_eq!(manifest["plan"], json!("replan-1"), "{manifest}");
        for added in v["added"].as_array().expect("added") {
            let n = added["trip"].as_u64().expect("trip");
            let trip = manifest["trips"]
                .as_array()
                .expect("trips")
                .iter()
                .find(|t| t["trip"].as_u64() == Some(n))
                .unwrap_or_else(|| panic!("{name} trip {n} in the manifest: {manifest}"));
            let on: BTreeSet<&str> = trip["households"]
                .as_array()
                .expect("households")
                .iter()
                .map(|h| h["household"].as_str().expect("h"))
                .collect();
            let want: BTreeSet<&str> = added["households"]
                .as_array()
                .expect("households")
                .iter()
                .map(|h| h.as_str().expect("h"))
                .collect();
            assert_eq!(on, want, "{name} trip {n}: {manifest}");
        }
    }
    // bus-01's trip under way keeps its number; its new trips come after it.
    let bus1 = api.ok("/api/manifests/bus-01");
    let t1 = &bus1["trips"][0];
    assert_eq!(t1["trip"], json!(1));
    let on1: BTreeSet<&str> = t1["households"]
        .as_array()
        .expect("households")
        .iter()
        .map(|h| h["household"].as_str().expect("h"))
        .collect();
    assert_eq!(on1, ["RF-004", "RF-007"].into_iter().collect(), "{bus1}");
    // The arrival sent earlier still belongs to trip 1; a second re-plan starts from replan-1.
    let (s, second) = api.post("/api/replan", &json!({"at": "4h", "time_limit": "1s"}));
    assert_eq!(s, 200, "{second}");
    assert_eq!(second["id"], json!("replan-2"));
    let state = check_from_state(&store, &tutorial(), "4h", &second["plan"]);
    assert!(planned(&second["plan"]).is_disjoint(&self::gone(&state)));
}
on_both!(
    tutorial_replan,
    tutorial_replan_sqlite,
    tutorial_replan_postgres
);

// 2. Aleppo, 16 December 11:00: Ramouseh closed by an incident and a bus lost.
const ALEPPO_AT: &str = "2016-12-16T11:00:00+02:00";
/// The same instant in seconds from the scenario's start (15 December, 00:00 +02:00).
const ALEPPO_AT_S: i64 = 35 * 3600;

fn aleppo_replan(backend: Backend) {
    let store = StoreLoc::new(backend);
    let plan_file = store.path("aleppo-plan.json");
    let mut args = os(&["plan"]);
    args.push(aleppo().into());
    args.extend(os(&["--time-limit", "2s", "-o"]));
    args.push(plan_file.clone().into());
    let out = corridor(&args);
    assert!(out.status.success(), "corridor plan: {}", text(&out.stderr));
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_file).expect("plan"))
        .expect("plan JSON");
    let server = Server::start(&store, &[aleppo(), plan_file.clone()]);
    let token = add_user(&store, "amal", "coordinator", &[]);
    let api = server.api(&token);

    // The field follows the plan until 11:00: trips unloaded by then arrived, trips
    // that left their last pickup are under way with everyone on board.
    let mut events = Vec::new();
    let (mut delivered, mut aboard) = (BTreeSet::new(), BTreeSet::new());
    for r in plan["routes"].as_array().expect("routes").iter().take(12) {
        let vehicle = r["vehicle"].as_str().expect("vehicle");
        for (i, trip) in r["trips"].as_array().expect("trips").iter().enumerate() {
            let n = i as u32 + 1;
            // Everyone boarded and the vehicle left its last pickup by 11:00.
            let stops = trip["stops"].as_array().expect("stops");
            let departs = stops
                .last()
                .and_then(|s| s["departs"].as_i64())
                .expect("departs");
            if departs > ALEPPO_AT_S {
                break;
            }
            for stop in trip["stops"].as_array().expect("stops") {
                let at = format!("{}s", stop["loading_starts"].as_i64().expect("t"));
                for h in stop["households"].as_array().expect("households") {
                    let h = h.as_str().expect("h");
                    events.push(boarded(&format!("b-{h}"), &at, h, vehicle, n));
                }
            }
            events.push(departed(
                &format!("d-{vehicle}-{n}"),
                &format!("{departs}s"),
                vehicle,
                n,
            ));
            let arrives = trip["arrives"].as_i64().expect("arrives");
            let hs = trip["stops"]
                .as_array()
                .expect("stops")
                .iter()
                .flat_map(|s| s["households"].as_array().expect("h").iter())
                .map(|h| h.as_str().expect("h").to_string());
            if arrives <= ALEPPO_AT_S {
                let dest = trip["destination"].as_str().expect("destination");
                events.push(arrived(
                    &format!("a-{vehicle}-{n}"),
                    &format!("{arrives}s"),
                    vehicle,
                    n,
                    dest,
                ));
                delivered.extend(hs);
            } else {
                aboard.extend(hs);
            }
        }
    }
    events.push(incident(
        "i-ramouseh",
        ALEPPO_AT,
        json!({"what": "corridor_closed", "corridor": "Ramouseh", "until": "2016-12-19T06:00:00+02:00"}),
    ));
    events.push(incident(
        "i-bus",
        ALEPPO_AT,
        json!({"what": "vehicle_out_of_service", "vehicle": "bus-13"}),
    ));
    let r = results(&api.post("/api/events", &Value::Array(events)).1);
    let bad: Vec<_> = r.iter().filter(|(_, v)| v != "recorded").collect();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(!delivered.is_empty(), "some trips arrived before 11:00");

    let started = Instant::now();
    let (url, tok) = (server.url.clone(), token.clone());
    let request = thread::spawn(move || {
        let (s, proposal) = Api::new(&url, Some(&tok))
            .post("/api/replan", &json!({"at": ALEPPO_AT, "time_limit": "5s"}));
        (s, proposal, started.elapsed())
    });
    // The server keeps answering while it plans.
    let mut answers = 0;
    while !request.is_finished() {
        let asked = Instant::now();
        let health = api.ok("/api/health");
        assert_eq!(health["ok"], json!(true));
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "/api/health took {:?} during the re-plan",
            asked.elapsed()
        );
        answers += 1;
        thread::sleep(Duration::from_millis(200));
    }
    let (s, proposal, took) = request.join().expect("the re-plan request");
    assert!(
        answers >= 3,
        "the server answered {answers} times while planning"
    );
    assert_eq!(s, 200, "{proposal}");
    eprintln!(
        "Aleppo re-plan at {ALEPPO_AT} ({backend:?}): {:.2} s for the request, {:.2} s of planning; makespan {}, {} households",
        took.as_secs_f64(),
        proposal["figures"]["planning_s"]
            .as_f64()
            .unwrap_or(f64::NAN),
        proposal["figures"]["makespan"],
        proposal["figures"]["households"],
    );
    assert!(took < Duration::from_secs(60), "the re-plan took {took:?}");
    let state = check_from_state(&store, &aleppo(), ALEPPO_AT, &proposal["plan"]);
    let gone = gone(&state);
    for h in delivered.iter().chain(&aboard) {
        assert!(
            gone.contains(h),
            "{h} is delivered or on board in the state"
        );
    }
    let again = planned(&proposal["plan"]);
    assert!(
        again.is_disjoint(&gone),
        "planned again: {:?}",
        again.intersection(&gone).take(5).collect::<Vec<_>>()
    );
    assert!(
        proposal["plan"]["routes"]
            .as_array()
            .expect("routes")
            .iter()
            .all(|r| r["vehicle"] != "bus-13"),
        "bus-13 is out of service"
    );
    // The proposal over the whole operation can be activated.
    let id = proposal["id"].as_str().expect("id");
    let (s, v) = api.post(&format!("/api/plans/{id}/activate"), &json!({}));
    assert_eq!(s, 200, "{v}");
}
on_both!(aleppo_replan, aleppo_replan_sqlite, aleppo_replan_postgres);

// 3. Households the registry does not list, registered in the field: one waits at
// Church hill, one rides bus-01's trip under way.
fn field_registrations(backend: Backend) {
    let store = StoreLoc::new(backend);
    let server = Server::start(&store, &[tutorial(), tutorial_plan()]);
    let token = add_user(&store, "amal", "coordinator", &[]);
    let api = server.api(&token);
    let registered = |id: &str, at: &str, household: &str, site: &str, people: u32| {
        ev(id, "registered", at, json!({"household": household, "site": site, "people": people}))
    };
    let r = results(
        &api.post(
            "/api/events",
            &json!([
                registered("f1", "20min", "FX-01", "Church hill", 3),
                registered("f2", "25min", "FX-02", "Old mill", 2),
                boarded("f3", "38min", "RF-007", "bus-01", 1),
                boarded("f4", "40min", "FX-02", "bus-01", 1),
                departed("f5", "50min", "bus-01", 1),
            ]),
        )
        .1,
    );
    assert!(r.iter().all(|(_, v)| v == "recorded"), "{r:?}");

    // (a) The state names both, and FX-02 is on board bus-01.
    let state_file = store.path("state.json");
    let mut args = os(&["state", "--at", "1h", "-o"]);
    args.push(state_file.clone().into());
    args.extend(store.args());
    let out = corridor(&args);
    assert!(out.status.success(), "corridor state: {}", text(&out.stderr));
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&state_file).expect("state file")).expect("state JSON");
    let reg = state["registered"].as_array().unwrap_or_else(|| panic!("a `registered` section: {state}"));
    assert_eq!(reg.len(), 2, "{state}");
    assert_eq!(reg[0]["household"], json!("FX-01"));
    assert_eq!(reg[0]["site"], json!("Church hill"));
    assert_eq!(reg[0]["people"], json!(3));
    assert_eq!(reg[1]["household"], json!("FX-02"));
    let gone = gone(&state);
    assert!(gone.contains("FX-02") && !gone.contains("FX-01"), "{state}");

    // (b) `corridor plan --from-state` plans FX-01, and `corridor check --from-state` accepts it.
    let plan_file = store.path("field-plan.json");
    let mut args = os(&["plan"]);
    args.push(tutorial().into());
    args.push("--from-state".into());
    args.push(state_file.clone().into());
    args.extend(os(&["--time-limit", "1s", "-o"]));
    args.push(plan_file.clone().into());
    let out = corridor(&args);
    assert!(out.status.success(), "corridor plan --from-state: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 of them registered in the field"), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_file).expect("plan")).expect("plan JSON");
    let carried = planned(&plan);
    assert!(carried.contains("FX-01"), "{plan}");
    assert!(!carried.contains("FX-02"), "on board already: {plan}");
    let mut args = os(&["check"]);
    args.push(tutorial().into());
    args.push(plan_file.into());
    args.push("--from-state".into());
    args.push(state_file.into());
    let out = corridor(&args);
    assert_eq!(out.status.code(), Some(0), "check --from-state: {}{}", text(&out.stdout), text(&out.stderr));

    // (c) The re-plan carries FX-01 too; its stored plan, which names only the
    // registry's households, says so and can be activated.
    let (s, proposal) = api.post("/api/replan", &json!({"at": "1h", "time_limit": "1s"}));
    assert_eq!(s, 200, "{proposal}");
    let again = planned(&proposal["plan"]);
    assert!(again.contains("FX-01") && !again.contains("FX-02"), "{proposal}");
    check_from_state(&store, &tutorial(), "1h", &proposal["plan"]);
    let notes: Vec<&str> = proposal["notes"].as_array().expect("notes").iter().filter_map(Value::as_str).collect();
    assert!(notes.iter().any(|n| n.contains("manifests leave out FX-01")), "{notes:?}");
    let fx01 = proposal["changes"]["households"]
        .as_array()
        .expect("households")
        .iter()
        .find(|h| h["household"] == "FX-01")
        .unwrap_or_else(|| panic!("FX-01 is newly planned: {}", proposal["changes"]));
    assert_eq!(fx01["was"], Value::Null);
    let vehicle = fx01["now"]["vehicle"].as_str().expect("a vehicle").to_string();
    let id = proposal["id"].as_str().expect("id");
    let (s, v) = api.post(&format!("/api/plans/{id}/activate"), &json!({}));
    assert_eq!(s, 200, "{v}");
    let manifest = api.ok(&format!("/api/manifests/{vehicle}"));
    assert_eq!(manifest["plan"], json!(id), "{manifest}");
}
on_both!(
    field_registrations,
    field_registrations_sqlite,
    field_registrations_postgres
);
