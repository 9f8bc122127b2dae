//! The real `corridor serve` process, over HTTP: idempotent resends, an offline
//! batch full of conflicts, reconciliation after a partial day, role refusals,
//! restarts, paper imports, the state file from the log, two servers on one
//! PostgreSQL database, and SIGKILL at random moments while clients stream events.
//!
//! Every store test runs on SQLite and on PostgreSQL: on `DATABASE_URL`'s server (a
//! role that may create databases; `.ci/run` starts one and sets it), or on a
//! throwaway server started for this test binary. Each test creates a database of
//! its own; nothing skips.
//!
//! The tutorial's plan is committed (`tests/data/tutorial-plan.json`, planned with
//! `--iterations 2000 --seed 1`), so the trips below stay put when the planner
//! changes:
//! - bus-01 trip 1: RF-007 (4), RF-004 (5), RF-001 (4), RF-009 (5) to St. Anne hospital;
//! - bus-02 trip 1: RF-006, RF-005, RF-002, RF-012, RF-015, RF-011, RF-013, RF-014, RF-016
//!   (50 people) to Hill school shelter;
//! - ambulance-1 trip 1: RF-008 (1), RF-010 (3, one lying); trip 2: RF-003 (2, one lying),
//!   both to St. Anne hospital.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
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

/// The tutorial's household references, read from its registry.
fn tutorial_references() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("examples/tutorial/households.csv"))
        .expect("tutorial households");
    let refs: Vec<String> = text
        .lines()
        .skip(2) // the header and the HXL tag row
        .filter_map(|l| l.split(',').next())
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(refs.len(), 16, "the tutorial lists 16 households");
    refs
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
    rt.block_on(corridor_store::testing::new_database("corridor_serve"))
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

    /// SIGTERM, as an operator's `kill` or a service manager stops it; waits for the exit.
    fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("a running server");
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(ok.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = child.try_wait().expect("wait") {
                return s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server did not stop within 30 s of SIGTERM:\n{}",
                    self.log_text()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
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

    /// With this exact `Authorization` header (or none).
    fn with_header(&self, auth: Option<&str>) -> Api {
        Api {
            agent: self.agent.clone(),
            base: self.base.clone(),
            auth: auth.map(str::to_string),
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

    /// POST /api/events that must answer 200; the results as (id, result).
    fn events(&self, body: &Value) -> Vec<(String, String)> {
        let (s, v) = self.post("/api/events", body);
        assert_eq!(s, 200, "POST /api/events: {v}");
        results(&v)
    }

    /// The whole log, paged.
    fn log(&self) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut after = 0;
        loop {
            let page = self.ok(&format!("/api/events?after={after}&limit=200"));
            let events = page["events"].as_array().expect("events").clone();
            if events.is_empty() {
                return out;
            }
            after = events.last().and_then(|e| e["seq"].as_i64()).expect("seq");
            out.extend(events);
        }
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

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
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

fn registered(id: &str, at: &str, household: &str, site: &str) -> Value {
    ev(
        id,
        "registered",
        at,
        json!({"household": household, "site": site}),
    )
}

/// A fresh store with the tutorial and its plan, a server on it and a coordinator's token.
fn operation(backend: Backend) -> (StoreLoc, Server, String) {
    let store = StoreLoc::new(backend);
    let server = Server::start(&store, &[tutorial(), tutorial_plan()]);
    let token = add_user(&store, "amal", "coordinator", &[]);
    (store, server, token)
}

/// Fixed instant for views that measure ages (4 h after the tutorial's start).
const AT: &str = "at=4h";

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

// 1. Sending the same batch twice records it once.

fn idempotent_resend(backend: Backend) {
    let (_store, server, token) = operation(backend);
    let api = server.api(&token);
    let batch = json!([
        registered("s1", "20min", "RF-008", "Old mill"),
        registered("s2", "20min", "RF-010", "Old mill"),
        boarded("s3", "25min", "RF-008", "ambulance-1", 1),
        boarded("s4", "26min", "RF-010", "ambulance-1", 1),
        ev(
            "s5",
            "departed",
            "30min",
            json!({"vehicle": "ambulance-1", "trip": 1, "headcount": 4})
        ),
        arrived("s6", "45min", "ambulance-1", 1, "St. Anne hospital"),
        ev(
            "s7",
            "registered",
            "50min",
            json!({"household": "FIELD-1", "site": "Church hill", "people": 3})
        ),
    ]);
    let ids = ["s1", "s2", "s3", "s4", "s5", "s6", "s7"];
    let first = api.events(&batch);
    assert_eq!(first, pairs(&ids.map(|i| (i, "recorded"))), "first send");
    let reconciliation = api.ok(&format!("/api/reconciliation?{AT}"));
    let log = api.log();
    assert_eq!(
        log.len(),
        1 + ids.len(),
        "the plan's activation and the batch"
    );

    let second = api.events(&batch);
    assert_eq!(
        second,
        pairs(&ids.map(|i| (i, "duplicate"))),
        "the same batch again"
    );
    assert_eq!(
        api.ok(&format!("/api/reconciliation?{AT}")),
        reconciliation,
        "a resend changes no count"
    );
    assert_eq!(api.log(), log, "a resend appends nothing");

    // Part of the batch again, with one new event: only the new one is recorded.
    let mixed = json!([
        batch[5].clone(),
        arrived("s8", "46min", "ambulance-1", 1, "St. Anne hospital"),
        batch[0].clone()
    ]);
    assert_eq!(
        api.events(&mixed),
        pairs(&[("s6", "duplicate"), ("s8", "recorded"), ("s1", "duplicate")])
    );
    let totals = &api.ok(&format!("/api/reconciliation?{AT}"))["totals"];
    assert_eq!(totals["arrived_households"], json!(2));
    assert_eq!(totals["arrived_people"], json!(4));
    assert_eq!(totals["registered_households"], json!(3));
    assert_eq!(api.log().len(), 1 + ids.len() + 1);
    // A single event (an object, not an array) resent is a duplicate too.
    assert_eq!(api.events(&batch[6]), pairs(&[("s7", "duplicate")]));
    // The same id twice in one batch is recorded once; an id already used keeps its first
    // meaning even when the event says something else.
    let twice = json!([
        ev("s9", "no_show", "1h", json!({"household": "RF-016"})),
        ev("s9", "no_show", "1h", json!({"household": "RF-016"})),
        ev("s1", "no_show", "1h", json!({"household": "RF-015"})),
    ]);
    assert_eq!(
        api.events(&twice),
        pairs(&[("s9", "recorded"), ("s9", "duplicate"), ("s1", "duplicate")])
    );
    assert_eq!(api.ok("/api/households/RF-015")["status"], json!("waiting"));
    assert_eq!(api.log().len(), 1 + ids.len() + 2);
}
on_both!(
    idempotent_resend,
    idempotent_resend_sqlite,
    idempotent_resend_postgres
);

// 2. An offline batch with conflicts.

fn offline_batch_with_conflicts(backend: Backend) {
    let (_store, server, token) = operation(backend);
    let api = server.api(&token);
    // Recorded on a device that was offline for an hour, sent at once.
    let batch = json!([
        boarded("o1", "40min", "RF-007", "bus-01", 1),
        boarded("o2", "41min", "RF-007", "bus-02", 1),
        ev("o3", "arrived", "50min", json!({"vehicle": "bus-01", "trip": 1, "destination": "St. Anne hospital", "household": "RF-001"})),
        {"id": "o4", "kind": "boarded", "at": "42min", "device": "tablet-1", "vehicle": "bus-01", "trip": 1},
        boarded("o5", "10min", "RF-008", "ambulance-1", 1),
        boarded("o6", "11min", "RF-010", "ambulance-1", 1),
        boarded("o7", "12min", "RF-005", "ambulance-1", 1),
        ev("o8", "departed", "55min", json!({"vehicle": "bus-01", "trip": 1, "headcount": 9})),
        {"id": "o9", "kind": "teleported", "at": "1h", "device": "tablet-1"},
        ev("o10", "departed", "15min", json!({"vehicle": "ambulance-1", "trip": 1})),
    ]);
    let r = api.events(&batch);
    assert_eq!(
        r,
        pairs(&[
            ("o1", "recorded"),
            ("o2", "conflict"),
            ("o3", "conflict"),
            ("o4", "rejected"),
            ("o5", "recorded"),
            ("o6", "recorded"),
            ("o7", "conflict"),
            ("o8", "conflict"),
            ("o9", "rejected"),
            ("o10", "recorded"),
        ]),
        "results in the order sent; a malformed event aborts nothing"
    );
    let conflicts = api.ok("/api/conflicts")["conflicts"]
        .as_array()
        .expect("conflicts")
        .clone();
    let rules: BTreeMap<String, String> = conflicts
        .iter()
        .map(|c| {
            (
                c["event"].as_str().expect("event").to_string(),
                c["rule"].as_str().expect("rule").to_string(),
            )
        })
        .collect();
    let want: BTreeMap<String, String> = [
        ("o2", "boarded-twice"),
        ("o3", "arrived-without-boarding"),
        ("o7", "over-capacity"),
        ("o8", "headcount-mismatch"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(
        rules, want,
        "every conflict listed with its rule: {conflicts:?}"
    );
    let twice = conflicts.iter().find(|c| c["event"] == "o2").expect("o2");
    assert_eq!(twice["household"], json!("RF-007"));
    assert_eq!(
        twice["first"],
        json!("o1"),
        "the earlier event it contradicts"
    );
    assert_eq!(twice["second_version"], json!(true));
    assert!(
        twice["message"]
            .as_str()
            .expect("message")
            .contains("bus-01")
    );
    // The first version stands until a person decides.
    assert_eq!(api.ok("/api/households/RF-007")["vehicle"], json!("bus-01"));
    // Malformed events were never stored.
    let log = api.log();
    assert_eq!(log.len(), 1 + 8);
    assert!(log.iter().all(|e| e["id"] != "o4" && e["id"] != "o9"));

    // Resolving with the second version moves the boarding.
    let resolve = ev(
        "z1",
        "resolved",
        "1h10min",
        json!({"conflict": "o2", "accept": "second", "reason": "seen on bus-02"}),
    );
    assert_eq!(api.events(&resolve), pairs(&[("z1", "recorded")]));
    let w = api.ok("/api/households/RF-007");
    assert_eq!(
        (w["vehicle"].clone(), w["trip"].clone(), w["status"].clone()),
        (json!("bus-02"), json!(1), json!("on_board"))
    );
    let on = |m: &Value, trip: u64, h: &str| -> Value {
        m["trips"]
            .as_array()
            .expect("trips")
            .iter()
            .find(|t| t["trip"] == trip)
            .and_then(|t| {
                t["households"]
                    .as_array()
                    .expect("households")
                    .iter()
                    .find(|x| x["household"] == h)
                    .cloned()
            })
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        on(&api.ok("/api/manifests/bus-02"), 1, "RF-007")["status"],
        json!("on_board")
    );
    let bus1 = on(&api.ok("/api/manifests/bus-01"), 1, "RF-007");
    assert_eq!(bus1["status"], json!("on_other_vehicle"));
    assert_eq!(bus1["boarded_instead"], json!("bus-02 trip 1"));
    // Vehicle movements follow: RF-007's four people are on bus-02 now, none on bus-01.
    let vehicles = api.ok("/api/vehicles");
    let aboard = |v: &str| {
        vehicles["vehicles"]
            .as_array()
            .expect("vehicles")
            .iter()
            .find(|x| x["vehicle"] == v)
            .map(|x| x["people_on_board"].clone())
    };
    assert_eq!(
        (aboard("bus-01"), aboard("bus-02")),
        (Some(json!(0)), Some(json!(4))),
        "{vehicles}"
    );
    let rec = api.ok(&format!("/api/reconciliation?{AT}"));
    let trip = |v: &str, t: u64| -> Value {
        rec["trips"]
            .as_array()
            .expect("trips")
            .iter()
            .find(|x| x["vehicle"] == v && x["trip"] == t)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(trip("bus-01", 1)["boarded_households"], json!(0));
    assert_eq!(trip("bus-02", 1)["boarded_households"], json!(1));
    assert_eq!(rec["open_conflicts"], json!(3));
    let open: Vec<Value> = api.ok("/api/conflicts")["conflicts"]
        .as_array()
        .expect("conflicts")
        .clone();
    assert!(
        open.iter().all(|c| c["event"] != "o2"),
        "resolved conflicts leave the open list"
    );
    let all = api.ok("/api/conflicts?all=true");
    let settled = all["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .find(|c| c["event"] == "o2")
        .cloned()
        .expect("o2 kept");
    assert_eq!(
        (settled["resolved_by"].clone(), settled["accepted"].clone()),
        (json!("z1"), json!("second"))
    );
    // A conflict is resolved once.
    let again = ev(
        "z2",
        "resolved",
        "1h11min",
        json!({"conflict": "o2", "accept": "first"}),
    );
    assert_eq!(api.events(&again), pairs(&[("z2", "rejected")]));
}
on_both!(
    offline_batch_with_conflicts,
    offline_batch_with_conflicts_sqlite,
    offline_batch_with_conflicts_postgres
);

// 3. Reconciliation after a partial day.

fn unaccounted(rec: &Value) -> BTreeSet<String> {
    rec["unaccounted"]
        .as_array()
        .expect("unaccounted")
        .iter()
        .map(|u| u["household"].as_str().expect("household").to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn reconciliation_after_a_partial_day(backend: Backend) {
    let (_store, server, token) = operation(backend);
    let api = server.api(&token);
    // Morning: the ambulance's first trip is done; bus-01 has left with four households.
    let morning = json!([
        registered("m1", "5min", "RF-008", "Old mill"),
        registered("m2", "5min", "RF-010", "Old mill"),
        boarded("m3", "8min", "RF-008", "ambulance-1", 1),
        boarded("m4", "9min", "RF-010", "ambulance-1", 1),
        ev(
            "m5",
            "departed",
            "14min",
            json!({"vehicle": "ambulance-1", "trip": 1, "headcount": 4})
        ),
        arrived("m6", "25min", "ambulance-1", 1, "St. Anne hospital"),
        boarded("m7", "38min", "RF-007", "bus-01", 1),
        boarded("m8", "44min", "RF-004", "bus-01", 1),
        boarded("m9", "47min", "RF-001", "bus-01", 1),
        boarded("m10", "1h", "RF-009", "bus-01", 1),
        ev(
            "m11",
            "departed",
            "1h4min",
            json!({"vehicle": "bus-01", "trip": 1, "headcount": 18})
        ),
        ev(
            "m12",
            "checkpoint",
            "1h10min",
            json!({"vehicle": "bus-01", "trip": 1, "corridor": "x"})
        ),
    ]);
    let r = api.events(&morning);
    // The tutorial has no corridor: the checkpoint is rejected, everything else recorded.
    let mut want: Vec<(String, String)> = (1..=11)
        .map(|i| (format!("m{i}"), "recorded".to_string()))
        .collect();
    want.push(("m12".into(), "rejected".into()));
    assert_eq!(r, want);
    let rec = api.ok("/api/reconciliation?at=2h");
    assert_eq!(
        unaccounted(&rec),
        set(&["RF-001", "RF-004", "RF-007", "RF-009"]),
        "exactly those on board"
    );
    assert_eq!(rec["complete"], json!(false));
    let rows = rec["unaccounted"].as_array().expect("unaccounted");
    let rf009 = rows
        .iter()
        .find(|u| u["household"] == "RF-009")
        .expect("RF-009");
    assert_eq!(rf009["vehicle"], json!("bus-01"));
    assert_eq!(rf009["trip"], json!(1));
    assert_eq!(rf009["last_event"]["id"], json!("m10"));
    assert_eq!(
        rf009["age_seconds"],
        json!(3600),
        "boarded at 1h, measured at 2h"
    );
    assert_eq!(
        rows[0]["household"],
        json!("RF-007"),
        "the oldest last event first"
    );
    let t = &rec["totals"];
    assert_eq!(
        (
            t["boarded_households"].clone(),
            t["boarded_people"].clone(),
            t["arrived_households"].clone(),
            t["arrived_people"].clone()
        ),
        (json!(6), json!(22), json!(2), json!(4))
    );
    assert_eq!(t["waiting_households"], json!(10));
    let site = |rec: &Value, name: &str| {
        rec["sites"]
            .as_array()
            .expect("sites")
            .iter()
            .find(|s| s["site"] == name)
            .cloned()
            .expect("site")
    };
    assert_eq!(site(&rec, "Old mill")["boarded_households"], json!(4));
    assert_eq!(site(&rec, "Old mill")["registered_households"], json!(2));
    let hospital = rec["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .find(|d| d["destination"] == "St. Anne hospital")
        .cloned()
        .expect("hospital");
    assert_eq!(hospital["arrived_people"], json!(4));
    let trips = rec["trips"].as_array().expect("trips");
    let bus1 = trips
        .iter()
        .find(|x| x["vehicle"] == "bus-01")
        .expect("bus-01 trip");
    assert_eq!(
        (
            bus1["boarded_people"].clone(),
            bus1["arrived_households"].clone(),
            bus1["departed"].clone()
        ),
        (json!(18), json!(0), json!(true))
    );

    // Afternoon: bus-01 arrives, bus-02 carries all but RF-016, a no-show; the ambulance's second trip.
    let mut afternoon = vec![arrived("p1", "1h20min", "bus-01", 1, "St. Anne hospital")];
    for (i, h) in [
        "RF-006", "RF-005", "RF-002", "RF-012", "RF-015", "RF-011", "RF-013", "RF-014",
    ]
    .iter()
    .enumerate()
    {
        afternoon.push(boarded(&format!("p{}", i + 2), "50min", h, "bus-02", 1));
    }
    afternoon.push(ev("p10", "no_show", "1h", json!({"household": "RF-016"})));
    afternoon.push(ev(
        "p11",
        "departed",
        "1h5min",
        json!({"vehicle": "bus-02", "trip": 1, "headcount": 41}),
    ));
    afternoon.push(boarded("p12", "42min", "RF-003", "ambulance-1", 2));
    let r = api.events(&Value::Array(afternoon));
    assert!(r.iter().all(|(_, v)| v == "recorded"), "{r:?}");
    let rec = api.ok("/api/reconciliation?at=2h");
    assert_eq!(
        unaccounted(&rec),
        set(&[
            "RF-002", "RF-003", "RF-005", "RF-006", "RF-011", "RF-012", "RF-013", "RF-014",
            "RF-015"
        ])
    );
    assert_eq!(rec["complete"], json!(false));

    let r = api.events(&json!([
        arrived("q1", "1h25min", "bus-02", 1, "Hill school shelter"),
        arrived("q2", "55min", "ambulance-1", 2, "St. Anne hospital")
    ]));
    assert_eq!(r, pairs(&[("q1", "recorded"), ("q2", "recorded")]));
    let rec = api.ok("/api/reconciliation?at=2h");
    assert!(unaccounted(&rec).is_empty(), "{rec}");
    assert_eq!(rec["totals"]["waiting_households"], json!(0));
    assert_eq!(rec["totals"]["arrived_households"], json!(15));
    assert_eq!(rec["totals"]["no_show_households"], json!(1));
    assert_eq!(
        rec["complete"],
        json!(true),
        "every household arrived or is a no-show"
    );
    assert_eq!(rec["open_conflicts"], json!(0));

    // A household registered in the field keeps it incomplete until it is accounted for.
    api.events(&ev(
        "f1",
        "registered",
        "1h30min",
        json!({"household": "FIELD-9", "site": "Market square", "people": 2}),
    ));
    assert_eq!(
        api.ok("/api/reconciliation?at=2h")["complete"],
        json!(false)
    );
    api.events(&ev(
        "f2",
        "stayed",
        "1h31min",
        json!({"household": "FIELD-9"}),
    ));
    assert_eq!(api.ok("/api/reconciliation?at=2h")["complete"], json!(true));
}
on_both!(
    reconciliation_after_a_partial_day,
    reconciliation_sqlite,
    reconciliation_postgres
);

// 4. Role refusals.

fn role_refusals(backend: Backend) {
    let (store, server, token) = operation(backend);
    let api = server.api(&token);
    let registrar = server.api(&add_user(
        &store,
        "samir",
        "registrar",
        &["--site", "Market square"],
    ));
    let driver = server.api(&add_user(
        &store,
        "driver-1",
        "driver",
        &["--vehicle", "bus-01"],
    ));
    let monitor = server.api(&add_user(&store, "icrc", "monitor", &[]));
    let leaving = add_user(&store, "leaving", "coordinator", &[]);

    // Some events first, so the monitor's views have people in them.
    let r = api.events(&json!([
        boarded("k1", "38min", "RF-007", "bus-01", 1),
        boarded("k2", "44min", "RF-004", "bus-01", 1),
        ev(
            "k3",
            "registered",
            "45min",
            json!({"household": "FIELD-77", "site": "Church hill", "people": 2})
        ),
        boarded("k4", "46min", "FIELD-77", "bus-02", 1),
        boarded("k5", "10min", "RF-008", "ambulance-1", 1),
        arrived("k6", "25min", "ambulance-1", 1, "St. Anne hospital"),
    ]));
    assert!(r.iter().all(|(_, v)| v == "recorded"), "{r:?}");

    // No token, or a token that does not work: 401, with a message.
    assert_eq!(
        Api::new(&server.url, None).get("/api/health").0,
        200,
        "health needs no token"
    );
    let anonymous = Api::new(&server.url, None);
    let (id, secret) = token.split_once('.').expect("id.secret");
    let flipped: String = secret.chars().rev().collect();
    let wrong = format!("{id}.{flipped}");
    for (what, header) in [
        ("no token", None),
        ("malformed token", Some("Bearer not-a-token".to_string())),
        ("not Bearer", Some(format!("Basic {token}"))),
        ("empty token", Some("Bearer ".to_string())),
        (
            "unknown id",
            Some(format!("Bearer 0000000000000000.{secret}")),
        ),
        ("wrong secret", Some(format!("Bearer {wrong}"))),
    ] {
        let c = anonymous.with_header(header.as_deref());
        for path in [
            "/api/reconciliation",
            "/api/me",
            "/api/summary",
            "/api/manifests/bus-01",
            "/api/openapi.json",
        ] {
            let (s, v) = c.get(path);
            assert_eq!(s, 401, "{what}: GET {path}: {v}");
            assert!(
                v["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{what}: an error message: {v}"
            );
        }
        let (s, v) = c.post("/api/events", &boarded("x1", "1h", "RF-001", "bus-01", 1));
        assert_eq!(s, 401, "{what}: POST /api/events: {v}");
    }
    // Revoked: works, then is refused at once by the running server.
    let gone = Api::new(&server.url, Some(&leaving));
    assert_eq!(gone.get("/api/me").0, 200);
    let mut args = os(&["users", "revoke", "leaving"]);
    args.extend(store.args());
    let out = corridor(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (s, v) = gone.get("/api/me");
    assert_eq!(s, 401, "a revoked token: {v}");
    assert!(
        v["error"].as_str().expect("error").contains("revoked"),
        "{v}"
    );
    assert_eq!(
        gone.post("/api/events", &boarded("x2", "1h", "RF-001", "bus-01", 1))
            .0,
        401
    );

    // A monitor sends no events.
    let (s, v) = monitor.post(
        "/api/events",
        &ev("x3", "no_show", "1h", json!({"household": "RF-013"})),
    );
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("monitor")),
        "{v}"
    );
    for path in [
        "/api/reconciliation",
        "/api/conflicts",
        "/api/households/RF-007",
        "/api/events",
        "/api/manifests/bus-01",
        "/api/manifests",
        "/api/plan",
        "/api/state",
    ] {
        let (s, v) = monitor.get(path);
        assert_eq!(s, 403, "monitor GET {path}: {v}");
    }

    // A registrar of Market square: their own households yes, Old mill's no (and nothing of that request).
    assert_eq!(
        registrar.events(&boarded("g1", "47min", "RF-001", "bus-01", 1)),
        pairs(&[("g1", "recorded")])
    );
    let (s, v) = registrar.post(
        "/api/events",
        &json!([
            boarded("g2", "1h", "RF-005", "bus-02", 1),
            boarded("g3", "40min", "RF-006", "bus-02", 1)
        ]),
    );
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("Old mill")),
        "{v}"
    );
    let (s, v) = registrar.post(
        "/api/events",
        &ev(
            "g4",
            "registered",
            "1h",
            json!({"household": "RF-011", "site": "Church hill"}),
        ),
    );
    assert_eq!(s, 403, "registering at another site: {v}");
    assert_eq!(
        api.ok("/api/households/RF-005")["status"],
        json!("waiting"),
        "the refused request recorded nothing"
    );
    assert!(
        api.log()
            .iter()
            .all(|e| e["id"] != "g2" && e["id"] != "g3" && e["id"] != "g4")
    );
    assert_eq!(registrar.get("/api/households/RF-001").0, 200);
    assert_eq!(
        registrar.get("/api/households/RF-007").0,
        403,
        "an Old mill household"
    );
    assert_eq!(registrar.get("/api/timetables/Market%20square").0, 200);
    assert_eq!(registrar.get("/api/timetables/Old%20mill").0, 403);
    assert_eq!(registrar.get("/api/manifests/bus-01").0, 403);

    // A driver reads their own manifest only, and sends their vehicle's movements only.
    let (s, m) = driver.get("/api/manifests/bus-01");
    assert_eq!((s, m["vehicle"].clone()), (200, json!("bus-01")));
    for v in ["bus-02", "ambulance-1", "no-such-bus"] {
        let (s, body) = driver.get(&format!("/api/manifests/{v}"));
        assert_eq!(s, 403, "driver of bus-01 reading {v}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("bus-01")),
            "{body}"
        );
    }
    assert_eq!(
        driver
            .post(
                "/api/events",
                &ev(
                    "d1",
                    "departed",
                    "1h",
                    json!({"vehicle": "bus-02", "trip": 1})
                )
            )
            .0,
        403
    );
    assert_eq!(
        driver.events(&ev(
            "d2",
            "departed",
            "1h",
            json!({"vehicle": "bus-01", "trip": 1, "headcount": 13})
        )),
        pairs(&[("d2", "recorded")])
    );
    assert_eq!(driver.get("/api/reconciliation").0, 403);

    // A monitor sees aggregates and vehicle movements, never a household reference.
    let mut refs = tutorial_references();
    refs.push("FIELD-77".into());
    for path in ["/api/summary", "/api/vehicles"] {
        let (s, body) = monitor.get_text(path);
        assert_eq!(s, 200, "monitor GET {path}: {body}");
        for r in &refs {
            assert!(
                !body.contains(r.as_str()),
                "monitor's {path} shows household {r}: {body}"
            );
        }
        assert!(!body.contains("RF-") && !body.contains("FIELD-"), "{body}");
    }
    let summary = monitor.ok("/api/summary");
    assert_eq!(
        summary["totals"]["boarded_households"],
        json!(5),
        "the aggregates are there: {summary}"
    );
    let vehicles = monitor.ok("/api/vehicles");
    let bus1 = vehicles["vehicles"]
        .as_array()
        .expect("vehicles")
        .iter()
        .find(|v| v["vehicle"] == "bus-01")
        .cloned()
        .expect("bus-01");
    assert_eq!(
        (bus1["status"].clone(), bus1["people_on_board"].clone()),
        (json!("departed"), json!(13))
    );
    assert_eq!(
        bus1["site"],
        json!("Market square"),
        "a departed bus was last seen where it boarded, not at its depot"
    );
}
on_both!(role_refusals, role_refusals_sqlite, role_refusals_postgres);

// 5. Restart on the same store; another scenario is refused.

/// Everything a coordinator can read, for comparing two servers or two runs.
fn snapshot(api: &Api) -> Value {
    let manifests: Vec<Value> = ["bus-01", "bus-02", "ambulance-1"]
        .iter()
        .map(|v| api.ok(&format!("/api/manifests/{v}")))
        .collect();
    let timetables: Vec<Value> = ["Market%20square", "Old%20mill", "Church%20hill"]
        .iter()
        .map(|s| api.ok(&format!("/api/timetables/{s}")))
        .collect();
    let households: Vec<Value> = ["RF-001", "RF-007", "RF-009", "FIELD-5"]
        .iter()
        .map(|h| api.get(&format!("/api/households/{h}")).1)
        .collect();
    let (s, plan) = api.get_text("/api/plan");
    assert_eq!(s, 200);
    let mut health = api.ok("/api/health");
    health.as_object_mut().map(|m| m.remove("ok"));
    json!({
        "health": health,
        "reconciliation": api.ok(&format!("/api/reconciliation?{AT}")),
        "conflicts": api.ok("/api/conflicts?all=true"),
        "summary": api.ok("/api/summary"),
        "vehicles": api.ok("/api/vehicles"),
        "manifests": manifests,
        "manifest_index": api.ok("/api/manifests"),
        "timetables": timetables,
        "households": households,
        "log": api.log(),
        "plan": plan,
        "state": api.get_text(&format!("/api/state?{AT}")).1,
    })
}

fn restart(backend: Backend) {
    let (store, mut server, token) = operation(backend);
    let day = json!([
        registered("a1", "20min", "RF-007", "Old mill"),
        boarded("a2", "38min", "RF-007", "bus-01", 1),
        boarded("a3", "39min", "RF-007", "bus-02", 1),
        boarded("a4", "47min", "RF-001", "bus-01", 1),
        ev(
            "a5",
            "registered",
            "50min",
            json!({"household": "FIELD-5", "site": "Old mill", "people": 2})
        ),
        ev(
            "a6",
            "departed",
            "1h4min",
            json!({"vehicle": "bus-01", "trip": 1, "headcount": 8})
        ),
        ev("a7", "resolved", "1h5min", json!({"conflict": "a3"})),
        arrived("a8", "1h20min", "bus-01", 1, "St. Anne hospital"),
        ev("a9", "no_show", "1h", json!({"household": "RF-009"})),
    ]);
    let first = server.api(&token).events(&day);
    assert_eq!(
        first.iter().filter(|(_, r)| r == "conflict").count(),
        1,
        "{first:?}"
    );
    let before = snapshot(&server.api(&token));

    let status = server.stop();
    assert!(
        status.success(),
        "SIGTERM stops the server cleanly ({status:?}):\n{}",
        server.log_text()
    );
    assert!(
        server.log_text().contains("stopped"),
        "{}",
        server.log_text()
    );

    // Again, without the scenario: the store holds it.
    let mut again = Server::start(&store, &[]);
    let api = again.api(&token);
    assert_eq!(snapshot(&api), before, "the same state after a restart");
    assert_eq!(
        api.events(&day),
        pairs(&["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"].map(|i| (i, "duplicate"))),
        "ids known after a restart"
    );
    again.stop();

    // The same scenario given again is fine; another one is refused with both names.
    let same = Server::start(&store, &[tutorial()]);
    assert_eq!(snapshot(&same.api(&token)), before);
    drop(same);
    match Server::try_start(&store, &[aleppo()]) {
        Ok(_) => panic!("a store of the tutorial served the Aleppo scenario"),
        Err((code, log)) => {
            assert_eq!(
                code,
                Some(2),
                "exit code 2 for a different scenario:\n{log}"
            );
            assert!(
                log.contains("Riverside flood (tutorial)")
                    && log.contains("Eastern Aleppo, December 2016"),
                "names both scenarios:\n{log}"
            );
        }
    }
    // The refusal changed nothing.
    let last = Server::start(&store, &[]);
    assert_eq!(snapshot(&last.api(&token)), before);
}
on_both!(restart, restart_sqlite, restart_postgres);

// 6. A paper manifest imported twice.

fn import_counts(out: &Output) -> (u32, u32, u32) {
    assert!(
        out.status.success(),
        "events import failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap_or("").to_string();
    let number_before = |word: &str| -> u32 {
        let end = last
            .find(word)
            .unwrap_or_else(|| panic!("no `{word}` in `{last}`"));
        let head = last[..end].trim_end();
        let digits: String = head
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("no count before `{word}` in `{last}`"))
    };
    (
        number_before(" recorded,"),
        number_before(" conflicts"),
        number_before(" already recorded"),
    )
}

fn paper_import_twice(backend: Backend) {
    let (store, server, token) = operation(backend);
    let api = server.api(&token);
    // A device already recorded one of the rows.
    assert_eq!(
        api.events(&boarded("dev1", "47min", "RF-001", "bus-01", 1)),
        pairs(&[("dev1", "recorded")])
    );
    let manifest = store.path("manifest-bus-01.csv");
    std::fs::write(
        &manifest,
        "vehicle,trip,household,boarded\nbus-01,1,RF-007,x\nbus-01,1,RF-004,yes\nbus-01,1,RF-001,x\nbus-01,1,RF-009,\n",
    )
    .expect("write the sheet");
    let sheet = store.path("registrations.csv");
    std::fs::write(
        &sheet,
        "site,household,people\nMarket square,RF-002,6\nChurch hill,PAPER-1,4\n",
    )
    .expect("write the sheet");
    let import = |file: &Path| {
        let mut args = os(&["events", "import"]);
        args.push(file.into());
        args.extend(os(&["--at", "1h"]));
        args.extend(store.args());
        corridor(&args)
    };
    assert_eq!(
        import_counts(&import(&manifest)),
        (2, 0, 1),
        "RF-001 was recorded by a device; RF-009 is not ticked"
    );
    assert_eq!(import_counts(&import(&sheet)), (2, 0, 0));
    let log = api.log();
    assert_eq!(
        import_counts(&import(&manifest)),
        (0, 0, 3),
        "the second time nothing is recorded"
    );
    assert_eq!(import_counts(&import(&sheet)), (0, 0, 2));
    assert_eq!(api.log(), log, "the log is unchanged");
    // The running server sees the paper.
    let m = api.ok("/api/manifests/bus-01");
    let trip = &m["trips"][0];
    assert_eq!(trip["boarded_people"], json!(13), "{m}");
    assert_eq!(api.ok("/api/households/PAPER-1")["people"], json!(4));
    assert_eq!(api.ok("/api/households/RF-009")["status"], json!("waiting"));
}
on_both!(
    paper_import_twice,
    paper_import_twice_sqlite,
    paper_import_twice_postgres
);

// 7. The state file from the log, read by the planner and the validator.

fn state_from_the_log(backend: Backend) {
    let (store, server, token) = operation(backend);
    let api = server.api(&token);
    let r = api.events(&json!([
        boarded("t1", "8min", "RF-008", "ambulance-1", 1),
        boarded("t2", "9min", "RF-010", "ambulance-1", 1),
        ev(
            "t3",
            "departed",
            "14min",
            json!({"vehicle": "ambulance-1", "trip": 1})
        ),
        arrived("t4", "25min", "ambulance-1", 1, "St. Anne hospital"),
        boarded("t5", "38min", "RF-007", "bus-01", 1),
        boarded("t6", "44min", "RF-004", "bus-01", 1),
        ev(
            "t7",
            "departed",
            "50min",
            json!({"vehicle": "bus-01", "trip": 1, "headcount": 9})
        ),
        // After the instant of the state: left out.
        arrived("t8", "3h", "bus-01", 1, "St. Anne hospital"),
    ]));
    assert!(r.iter().all(|(_, v)| v == "recorded"), "{r:?}");
    let state = store.path("state.json");
    let mut args = os(&["state", "--at", "2h", "-o"]);
    args.push(state.clone().into());
    args.extend(store.args());
    let out = corridor(&args);
    assert!(
        out.status.success(),
        "corridor state: {}",
        text(&out.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&state).expect("state file"))
        .expect("state JSON");
    assert_eq!(v["format"], json!("corridor-state"));
    let delivered: BTreeSet<String> = v["delivered"]
        .as_array()
        .expect("delivered")
        .iter()
        .map(|d| d["household"].as_str().expect("h").to_string())
        .collect();
    assert_eq!(delivered, set(&["RF-008", "RF-010"]));
    let bus1 = v["vehicles"]
        .as_array()
        .expect("vehicles")
        .iter()
        .find(|x| x["vehicle"] == "bus-01")
        .cloned()
        .expect("bus-01 in the state");
    let on_board: BTreeSet<String> = bus1["on_board"]
        .as_array()
        .expect("on_board")
        .iter()
        .map(|h| h.as_str().expect("h").to_string())
        .collect();
    assert_eq!(
        on_board,
        set(&["RF-004", "RF-007"]),
        "the arrival at 3h is after the state's instant"
    );

    let replan = store.path("replan.json");
    let mut args = os(&["plan"]);
    args.push(tutorial().into());
    args.push("--from-state".into());
    args.push(state.clone().into());
    args.extend(os(&["--iterations", "200", "--seed", "1", "-o"]));
    args.push(replan.clone().into());
    let out = corridor(&args);
    assert!(
        out.status.success(),
        "plan --from-state: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let mut args = os(&["check"]);
    args.push(tutorial().into());
    args.push(replan.into());
    args.push("--from-state".into());
    args.push(state.into());
    let out = corridor(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "check --from-state: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
on_both!(
    state_from_the_log,
    state_from_the_log_sqlite,
    state_from_the_log_postgres
);

// 8. Two servers on one PostgreSQL database.

#[test]
fn two_servers_on_one_postgres_database() {
    let store = StoreLoc::new(Backend::Postgres);
    let a = Server::start(&store, &[tutorial(), tutorial_plan()]);
    let b = Server::start(&store, &[]);
    let token = add_user(&store, "amal", "coordinator", &[]);
    let (ca, cb) = (a.api(&token), b.api(&token));

    let events = [
        registered("w1", "20min", "RF-008", "Old mill"),
        boarded("w2", "25min", "RF-008", "ambulance-1", 1),
        boarded("w3", "26min", "RF-010", "ambulance-1", 1),
        ev(
            "w4",
            "departed",
            "30min",
            json!({"vehicle": "ambulance-1", "trip": 1, "headcount": 4}),
        ),
        arrived("w5", "45min", "ambulance-1", 1, "St. Anne hospital"),
        ev(
            "w7",
            "registered",
            "50min",
            json!({"household": "FIELD-2", "site": "Church hill", "people": 3}),
        ),
        boarded("w8", "52min", "FIELD-2", "bus-02", 1),
    ];
    for (i, e) in events.iter().enumerate() {
        let (server, other) = if i % 2 == 0 { (&ca, &cb) } else { (&cb, &ca) };
        let id = e["id"].as_str().expect("id");
        assert_eq!(server.events(e), pairs(&[(id, "recorded")]));
        // The other server knows it at once.
        assert_eq!(
            other.events(e),
            pairs(&[(id, "duplicate")]),
            "{id} sent again to the other server"
        );
    }
    // Boarded on bus-01 via A, then on bus-02 via B: a conflict, not an overwrite.
    assert_eq!(
        ca.events(&boarded("w6", "38min", "RF-007", "bus-01", 1)),
        pairs(&[("w6", "recorded")])
    );
    assert_eq!(
        cb.events(&boarded("w9", "40min", "RF-007", "bus-02", 1)),
        pairs(&[("w9", "conflict")])
    );
    let conflicts = ca.ok("/api/conflicts");
    let c = &conflicts["conflicts"][0];
    assert_eq!(
        (c["event"].clone(), c["rule"].clone(), c["first"].clone()),
        (json!("w9"), json!("boarded-twice"), json!("w6")),
        "{conflicts}"
    );
    assert_eq!(
        ca.ok(&format!("/api/reconciliation?{AT}")),
        cb.ok(&format!("/api/reconciliation?{AT}"))
    );

    // Both at once: each server boards the same households onto a different bus. Exactly
    // one of each pair stands; the other is a conflict, whichever server took it.
    let waiting = [
        "RF-001", "RF-002", "RF-004", "RF-005", "RF-006", "RF-009", "RF-011", "RF-012", "RF-013",
    ];
    let race = |api: Api, side: &'static str, vehicle: &'static str| {
        thread::spawn(move || {
            let mut out = Vec::new();
            for (i, h) in waiting.iter().enumerate() {
                let id = format!("race-{side}-{i}");
                let mut batch = vec![boarded(&id, "1h", h, vehicle, 1)];
                // And events of its own, for both to interleave.
                batch.push(ev(&format!("new-{side}-{i}"), "registered", "1h", json!({"household": format!("NEW-{side}-{i}"), "site": "Old mill", "people": 1})));
                let r = api.events(&Value::Array(batch));
                assert_eq!(r[1].1, "recorded", "{r:?}");
                out.push(r[0].1.clone());
            }
            out
        })
    };
    let ra = race(a.api(&token), "a", "bus-01");
    let rb = race(b.api(&token), "b", "bus-02");
    let (ra, rb) = (ra.join().expect("client A"), rb.join().expect("client B"));
    for (i, h) in waiting.iter().enumerate() {
        let mut pair = [ra[i].as_str(), rb[i].as_str()];
        pair.sort_unstable();
        assert_eq!(
            pair,
            ["conflict", "recorded"],
            "{h}: one boarding stands, the other is flagged"
        );
    }
    let snap_a = snapshot(&ca);
    assert_eq!(snap_a, snapshot(&cb), "both servers answer the same");
    let open = snap_a["reconciliation"]["open_conflicts"]
        .as_u64()
        .expect("open conflicts");
    assert_eq!(open, 1 + waiting.len() as u64);
    assert_eq!(
        snap_a["health"]["events"],
        json!(1 + events.len() + 2 + 2 * 2 * waiting.len())
    );
}

// 9. SIGKILL at random moments while four clients stream events.

/// A small deterministic generator (the test needs no randomness crate).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// What one client saw.
struct ClientLog {
    acked: Vec<String>,
    /// Sends that failed (server down or restarting) and were repeated.
    retries: u32,
    /// Events a resend found already recorded (the server died after the commit, before the answer).
    duplicates: u32,
}

fn stream_client(
    t: usize,
    url: Arc<Mutex<String>>,
    token: String,
    stop: Arc<AtomicBool>,
) -> ClientLog {
    let agent = agent(Duration::from_secs(10));
    let sites = ["Market square", "Old mill", "Church hill"];
    let mut rng = Lcg(t as u64 + 1);
    let mut n = 0;
    let mut log = ClientLog {
        acked: Vec::new(),
        retries: 0,
        duplicates: 0,
    };
    while !stop.load(Ordering::SeqCst) {
        let size = if rng.below(3) == 0 {
            1
        } else {
            1 + rng.below(5) as usize
        };
        let batch: Vec<Value> = (0..size)
            .map(|_| {
                n += 1;
                ev(
                    &format!("crash-{t}-{n}"),
                    "registered",
                    "1h",
                    json!({"household": format!("CRASH-{t}-{n}"), "site": sites[n % 3], "people": 1}),
                )
            })
            .collect();
        let ids: Vec<String> = batch
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string())
            .collect();
        // A single event is sent as an object, a batch as an array.
        let body = if size == 1 && rng.below(2) == 0 {
            batch[0].clone()
        } else {
            Value::Array(batch)
        }
        .to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut attempts = 0;
        loop {
            let base = url.lock().expect("url").clone();
            attempts += 1;
            let answer = agent
                .post(format!("{base}/api/events"))
                .header("Authorization", format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .send(body.as_str())
                .and_then(|mut r| Ok((r.status().as_u16(), r.body_mut().read_to_string()?)));
            match answer {
                Ok((200, text)) => {
                    let v: Value = serde_json::from_str(&text).expect("results JSON");
                    let r = results(&v);
                    assert_eq!(
                        r.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
                        ids,
                        "answers in the order sent"
                    );
                    for (id, result) in r {
                        match result.as_str() {
                            "recorded" => {}
                            // Only a resend may find its events already there.
                            "duplicate" if attempts > 1 => log.duplicates += 1,
                            _ => panic!(
                                "client {t}: {id} answered {result} on attempt {attempts}: {text}"
                            ),
                        }
                        log.acked.push(id);
                    }
                    break;
                }
                // Down, restarting, or the database not answering: the same batch again.
                Ok((503, _)) | Err(_) => {
                    log.retries += 1;
                    assert!(Instant::now() < deadline, "client {t}: no answer for 60 s");
                    thread::sleep(Duration::from_millis(15));
                }
                Ok((status, text)) => panic!("client {t}: {status}: {text}"),
            }
        }
    }
    log
}

fn crash(backend: Backend) {
    let started = Instant::now();
    let (store, mut server, token) = operation(backend);
    let url = Arc::new(Mutex::new(server.url.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|t| {
            let (url, token, stop) = (url.clone(), token.clone(), stop.clone());
            thread::spawn(move || stream_client(t, url, token, stop))
        })
        .collect();
    let mut rng = Lcg(match backend {
        Backend::Sqlite => 14,
        Backend::Postgres => 41,
    });
    for _ in 0..10 {
        thread::sleep(Duration::from_millis(100 + rng.below(500)));
        server.kill();
        thread::sleep(Duration::from_millis(rng.below(150)));
        server = Server::start(&store, &[]);
        *url.lock().expect("url") = server.url.clone();
    }
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let logs: Vec<ClientLog> = clients
        .into_iter()
        .map(|c| c.join().expect("a client failed"))
        .collect();

    let mut acked = BTreeSet::new();
    for l in &logs {
        for id in &l.acked {
            assert!(acked.insert(id.clone()), "{id} acknowledged twice");
        }
    }
    let api = server.api(&token);
    let log = api.log();
    let mut in_log = BTreeSet::new();
    for e in &log {
        let id = e["id"].as_str().expect("id").to_string();
        assert!(in_log.insert(id.clone()), "{id} is in the log twice");
    }
    let missing: Vec<&String> = acked.difference(&in_log).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not in the log: {missing:?}"
    );
    let crash_ids: BTreeSet<String> = in_log
        .iter()
        .filter(|i| i.starts_with("crash-"))
        .cloned()
        .collect();
    assert_eq!(
        crash_ids, acked,
        "every batch was answered in the end, so the log holds exactly the acknowledged ids"
    );
    let seqs: Vec<i64> = log
        .iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "the log has no gaps"
    );
    assert_eq!(api.ok("/api/health")["events"], json!(log.len()));
    let households = api.ok("/api/reconciliation")["totals"]["registered_households"]
        .as_u64()
        .expect("count");
    assert_eq!(
        households,
        acked.len() as u64,
        "each acknowledged registration is one household"
    );
    let retries: u32 = logs.iter().map(|l| l.retries).sum();
    let duplicates: u32 = logs.iter().map(|l| l.duplicates).sum();
    assert!(
        acked.len() > 100,
        "the clients got through: {} events",
        acked.len()
    );
    assert!(retries > 0, "the clients met the dead server");
    eprintln!(
        "crash test ({backend:?}): {} events acknowledged by 4 clients across 10 SIGKILLs, {retries} retries, {duplicates} found recorded on a resend, {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
}
on_both!(crash, crash_sqlite, crash_postgres);

// 10. People's data: personal fields sealed at rest, read one enquiry at a time and audited,
// never shown to a monitor, exported only on purpose, erasable.

const NAMES: [&str; 3] = ["Zainab Haddad", "Omar Khalil", "+963 944 000 111"];

fn audit_actions(api: &Api) -> Vec<(String, String)> {
    let a = api.ok("/api/audit?limit=10000");
    a["entries"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|e| (e["action"].as_str().unwrap_or("").to_string(), e["target"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn personal_data(backend: Backend) {
    let (store, server, token) = operation(backend);
    let api = server.api(&token);
    let r = api.events(&json!([
        ev("p1", "registered", "1h", json!({"household": "FIELD-1", "site": "Old mill", "people": 3, "name": NAMES[0], "phone": NAMES[2], "note": "grandmother uses a wheelchair"})),
        ev("p2", "registered", "1h", json!({"household": "RF-001", "site": "Market square", "name": NAMES[1]})),
    ]));
    assert_eq!(r, pairs(&[("p1", "recorded"), ("p2", "recorded")]));
    // The log holds no personal field.
    let log = serde_json::to_string(&api.log()).expect("json");
    for n in NAMES {
        assert!(!log.contains(n), "the event log must not hold `{n}`");
    }
    // Personal fields are only on registrations.
    let bad = api.events(&json!([ev("p3", "boarded", "1h", json!({"household": "RF-001", "vehicle": "bus-01", "trip": 1, "name": "x"}))]));
    assert_eq!(bad[0].1, "rejected");

    // A family-links enquiry: by reference, and by at least three letters of a name; each read is audited.
    let w = api.ok("/api/households/FIELD-1");
    assert_eq!(w["personal"]["name"], NAMES[0]);
    assert_eq!(w["site"], "Old mill");
    let (code, _) = api.get("/api/households?name=za");
    assert_eq!(code, 422, "two letters are not an enquiry");
    let found = api.ok("/api/households?name=ZAIN");
    let hits = found["households"].as_array().expect("list");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["household"], "FIELD-1");
    let actions = audit_actions(&api);
    assert!(actions.iter().any(|(a, t)| a == "look up a household" && t == "FIELD-1"), "{actions:?}");
    assert!(actions.iter().any(|(a, _)| a == "search households by name"), "{actions:?}");
    assert!(actions.iter().any(|(a, _)| a == "send events"), "changes are audited too: {actions:?}");

    // A registrar of another site is refused, and learns nothing about the household.
    let reg = add_user(&store, "samir", "registrar", &["--site", "Market square"]);
    let (code, body) = server.api(&reg).get_text("/api/households/FIELD-1");
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("Market square") && !body.contains(NAMES[0]) && !body.contains("people"), "{body}");
    let audit = api.ok("/api/audit?limit=10000");
    assert!(
        audit["entries"].as_array().expect("entries").iter().any(|e| e["actor"] == "samir"
            && e["action"] == "look up a household"
            && e["outcome"].as_str().is_some_and(|o| o.starts_with("refused"))),
        "the refusal is logged: {audit}"
    );
    let (code, body) = server.api(&reg).get_text("/api/households/RF-001");
    assert_eq!(code, 200);
    assert!(!body.contains(NAMES[1]), "registrars do not see personal fields: {body}");

    // A monitor walks every route of the API document: no reference, name or phone anywhere.
    let monitor = add_user(&store, "icrc", "monitor", &[]);
    let m = server.api(&monitor);
    let doc = api.ok("/api/openapi.json");
    let mut refs = tutorial_references();
    refs.push("FIELD-1".into());
    let mut walked = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        if path.contains("stream") {
            continue; // a live stream never ends; its messages are counts (web tests read them)
        }
        let concrete = path.replace("{vehicle}", "bus-01").replace("{site}", "Market%20square").replace("{reference}", "RF-001").replace("{id}", "plan-1");
        for method in ops.as_object().expect("ops").keys() {
            let (code, body) = match method.as_str() {
                "get" => m.get_text(&concrete),
                "post" => {
                    let (c, v) = m.post(&concrete, &json!({}));
                    (c, v.to_string())
                }
                _ => continue,
            };
            walked += 1;
            assert!(code < 500, "{method} {concrete}: {code}");
            assert!(!body.contains("no such route"), "the API document lists {method} {path}, which the server does not route");
            for r in &refs {
                assert!(!body.contains(r.as_str()), "{method} {concrete} shows `{r}` to a monitor");
            }
            for n in NAMES {
                assert!(!body.contains(n), "{method} {concrete} shows `{n}` to a monitor");
            }
        }
    }
    assert!(walked >= 15, "walked {walked} routes");

    // Export: counts without names by default; names only when asked, with the key; both audited.
    let key = match backend {
        Backend::Sqlite => store.path("op").join("corridor.key"),
        Backend::Postgres => store.path("corridor.key"),
    };
    let mut plain = os(&["export", "registry"]);
    plain.extend(store.args());
    let out = corridor(&plain);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.contains("FIELD-1") && !csv.contains(NAMES[0]));
    let mut named = plain.clone();
    named.extend([OsString::from("--names"), OsString::from("--key-file"), key.clone().into()]);
    let out = corridor(&named);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(NAMES[0]));
    let actions = audit_actions(&api);
    assert!(actions.iter().any(|(a, _)| a == "export registry"), "{actions:?}");
    assert!(actions.iter().any(|(a, _)| a == "export registry with personal fields"), "{actions:?}");

    // A copied database file holds no readable name (SQLite: the file and its journal).
    if backend == Backend::Sqlite {
        for f in ["corridor.db", "corridor.db-wal"] {
            let Ok(bytes) = std::fs::read(store.path("op").join(f)) else { continue };
            for n in NAMES {
                let hit = bytes.windows(n.len()).any(|w| w == n.as_bytes());
                assert!(!hit, "{f} holds `{n}` in the clear");
            }
        }
    }

    // Erasure destroys the personal fields and keeps counts, movements and the audit.
    let before = api.ok(&format!("/api/reconciliation?{AT}"));
    let mut erase = os(&["erase", "--before", "2999-01-01"]);
    erase.extend(store.args());
    let out = corridor(&erase);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let w = api.ok("/api/households/FIELD-1");
    assert!(w.get("personal").is_none(), "erased: {w}");
    assert_eq!(api.ok(&format!("/api/reconciliation?{AT}")), before);
    let out = corridor(&named);
    assert!(!text(&out.stdout).contains(NAMES[0]));
    let mut audit = os(&["audit"]);
    audit.extend(store.args());
    let out = corridor(&audit);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("erase personal fields"));
    drop(server);
}

on_both!(personal_data, personal_data_sqlite, personal_data_postgres);

// The progress chart's rehearsal band: computed in the background once per active plan.

fn rehearsal_band(backend: Backend) {
    let (_store, server, token) = operation(backend);
    let api = server.api(&token);
    let first = api.ok("/api/progress");
    assert!(["running", "ready"].contains(&first["rehearsal"]["status"].as_str().unwrap_or("")), "{first}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let band = loop {
        let p = api.ok("/api/progress");
        match p["rehearsal"]["status"].as_str() {
            Some("ready") => break p["rehearsal"].clone(),
            Some("running") if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            _ => panic!("no rehearsal band: {p}"),
        }
    };
    assert_eq!(band["plan"], "plan-1");
    assert_eq!(band["runs"], 100);
    let col = |k: &str| -> Vec<u64> { band[k].as_array().expect(k).iter().map(|x| x.as_u64().expect("a count")).collect() };
    let (p10, p90, times) = (col("p10"), col("p90"), col("times"));
    assert!(times.len() > 10 && p10.len() == times.len() && p90.len() == times.len());
    assert!(p10.iter().zip(&p90).all(|(a, b)| a <= b), "{band}");
    let planned: u64 = api.ok("/api/progress")["planned"].as_array().and_then(|a| a.last()).and_then(|x| x[1].as_u64()).expect("planned");
    assert_eq!(p90.last().copied(), Some(planned), "the runs deliver what the plan carries");
    // The same band again, not a new rehearsal.
    assert_eq!(api.ok("/api/progress")["rehearsal"], band);
}

on_both!(rehearsal_band, rehearsal_band_sqlite, rehearsal_band_postgres);
