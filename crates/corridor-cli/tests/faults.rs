//! Faults around the real `corridor serve` process: the disk filling up under the
//! SQLite store, the PostgreSQL server restarted while clients post events, devices
//! whose clocks are far off, and a damaged or truncated SQLite file.
//!
//! Each fault is made for real: a size-limited tmpfs mounted under the store (so the
//! test needs root, as `.ci/run` has; it fails, never skips, when it cannot mount),
//! a PostgreSQL cluster of the test's own stopped and started with `pg_ctl`, and
//! bytes of a real store cut or overwritten. The SIGKILL test lives in serve.rs.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
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

fn tutorial_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tutorial-plan.json")
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique() -> u64 {
    UNIQUE.fetch_add(1, Ordering::SeqCst)
}

fn os(parts: &[&str]) -> Vec<OsString> {
    parts.iter().map(OsString::from).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `corridor ARGS` to completion (at most a minute).
fn corridor(args: &[OsString]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("CORRIDOR_DATABASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("corridor starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "corridor {args:?} did not finish in a minute; stderr:\n{}",
                text(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// `corridor users add NAME --role coordinator STORE`: the token.
fn coordinator(store: &[OsString], name: &str) -> String {
    let mut args = os(&["users", "add", name, "--role", "coordinator"]);
    args.extend(store.iter().cloned());
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

/// A running `corridor serve`; killed when dropped.
struct Server {
    child: Option<Child>,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(store: &[OsString], logs: &Path, files: &[PathBuf]) -> Server {
        match Server::try_start(store, logs, files) {
            Ok(s) => s,
            Err((code, log)) => panic!("corridor serve exited ({code:?}) before serving:\n{log}"),
        }
    }

    /// Starts a server; `Err((exit code, stderr))` when it exits before serving.
    fn try_start(
        store: &[OsString],
        logs: &Path,
        files: &[PathBuf],
    ) -> Result<Server, (Option<i32>, String)> {
        let log = logs.join(format!("serve-{}.log", unique()));
        let mut args = os(&["serve"]);
        args.extend(store.iter().cloned());
        args.extend(os(&["--listen", "127.0.0.1:0"]));
        args.extend(files.iter().map(OsString::from));
        let mut child = Command::new(BIN)
            .args(&args)
            .current_dir(logs)
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
        loop {
            if let Ok(r) = agent(Duration::from_secs(5))
                .get(format!("{}/api/health", server.url))
                .call()
                && r.status().as_u16() == 200
            {
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

    /// Whether the process is still the one that was started.
    fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// SIGTERM and wait for the exit.
    fn stop(&mut self) {
        let mut child = self.child.take().expect("a running server");
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(ok.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = child.try_wait().expect("wait") {
                assert!(
                    s.success(),
                    "the server stopped with {s}:\n{}",
                    self.log_text()
                );
                return;
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
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// One answer: status, `Retry-After`, body.
struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

/// A coordinator's client of one server.
struct Api {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Api {
    fn new(base: &str, token: &str) -> Api {
        Api {
            agent: agent(Duration::from_secs(30)),
            base: base.to_string(),
            auth: format!("Bearer {token}"),
        }
    }

    fn get(&self, path: &str) -> Reply {
        let r = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .call();
        read_reply(r, path)
    }

    fn ok(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.body
    }

    fn post_events(&self, body: &Value) -> Reply {
        let r = self
            .agent
            .post(format!("{}/api/events", self.base))
            .header("Authorization", &self.auth)
            .header("Content-Type", "application/json")
            .send(body.to_string());
        read_reply(r, "/api/events")
    }

    /// POST /api/events that must answer 200 with every event `recorded`.
    fn record(&self, body: &Value) {
        let r = self.post_events(body);
        assert_eq!(r.status, 200, "POST /api/events: {}", r.body);
        for (id, result) in results(&r.body) {
            assert_eq!(result, "recorded", "{id}: {}", r.body);
        }
    }

    /// The whole log, paged.
    fn log(&self) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut after = 0;
        loop {
            let page = self.ok(&format!("/api/events?after={after}&limit=1000"));
            let events = page["events"].as_array().expect("events").clone();
            if events.is_empty() {
                return out;
            }
            after = events.last().and_then(|e| e["seq"].as_i64()).expect("seq");
            out.extend(events);
        }
    }
}

fn read_reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>, path: &str) -> Reply {
    let mut r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let t = r.body_mut().read_to_string().expect("a body");
    let body = serde_json::from_str(&t)
        .unwrap_or_else(|e| panic!("{path} ({status}) is not JSON ({e}): {t}"));
    Reply {
        status,
        retry_after,
        body,
    }
}

/// Posts batches of 200 new households until the full store refuses one with 503: every
/// accepted event must be `recorded` (and is added to `acked`). Returns the refused batch, its
/// answer and how many batches still fit. `server_log` and `store_log` explain a failure.
fn post_until_full(
    api: &Api,
    acked: &mut Vec<String>,
    server_log: impl Fn() -> String,
    store_log: impl Fn() -> String,
) -> (Value, Reply, usize) {
    let mut fit = 0;
    for b in 0..400 {
        let batch: Vec<Value> = (0..200)
            .map(|i| new_household(&format!("full-{b}-{i}"), i))
            .collect();
        let body = Value::Array(batch);
        let r = api.post_events(&body);
        match r.status {
            200 => {
                for (id, result) in results(&r.body) {
                    assert_eq!(result, "recorded", "{id}: {}", r.body);
                    acked.push(id);
                }
                fit += 1;
            }
            503 => return (body, r, fit),
            s => panic!("a full disk answered {s}: {}\n{}", r.body, server_log()),
        }
    }
    panic!(
        "400 batches of 200 events fit on a full disk?\n{}",
        store_log()
    )
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
fn ev(id: &str, kind: &str, at: &str, device: &str, fields: Value) -> Value {
    let mut v = json!({"id": id, "kind": kind, "at": at, "device": device});
    if let (Some(m), Value::Object(f)) = (v.as_object_mut(), fields) {
        m.extend(f);
    }
    v
}

const SITES: [&str; 3] = ["Market square", "Old mill", "Church hill"];

/// A registration of a household the registry did not list, at one of the tutorial's sites.
fn new_household(id: &str, n: usize) -> Value {
    ev(
        id,
        "registered",
        "1h",
        "tablet-1",
        json!({"household": format!("NEW-{id}"), "site": SITES[n % 3], "people": 1 + n % 4}),
    )
}

/// The log's ids, checked for doubles and gaps.
fn log_ids(api: &Api) -> Vec<String> {
    let log = api.log();
    let seqs: Vec<i64> = log
        .iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "the log has no gaps"
    );
    let ids: Vec<String> = log
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_string())
        .collect();
    let mut seen = BTreeSet::new();
    for id in &ids {
        assert!(seen.insert(id), "{id} is in the log twice");
    }
    ids
}

// ---------------------------------------------------------------- disk full

/// A tmpfs of `size` mounted on `at`; unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(at).expect("mount point");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(at)
            .output()
            .expect("the mount command runs");
        assert!(
            out.status.success(),
            "cannot mount a {size} tmpfs on {} for the disk-full test (it needs root, as .ci/run has): {}",
            at.display(),
            text(&out.stderr)
        );
        Mount(at.to_path_buf())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `path` with one file until the disk says no more; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut f = File::create(path).expect("filler file");
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut n = 0;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(k) => n += k as u64,
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "filling stops at ENOSPC: {e}");
                break;
            }
        }
    }
    let _ = f.sync_all();
    n
}

#[test]
fn disk_full_sqlite() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary folder");
    let disk = dir.path().join("disk");
    let _mount = Mount::tmpfs(&disk, "24m");
    let store = vec![OsString::from("--data"), disk.join("op").into()];
    let mut server = Server::start(&store, dir.path(), &[tutorial(), tutorial_plan()]);
    let token = coordinator(&store, "amal");
    let api = Api::new(&server.url, &token);

    // The import's own events (the plan's activation) come first.
    let mut acked: Vec<String> = log_ids(&api);
    let imported = acked.len();
    let before: Vec<Value> = (0..20)
        .map(|i| new_household(&format!("before-{i}"), i))
        .collect();
    api.record(&Value::Array(before.clone()));
    acked.extend(
        before
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string()),
    );

    let filled = fill(&disk.join("filler"));
    // Batches until the store runs out of room (the WAL reuses the space it already has first).
    let (refused_body, first, batches_after_full) =
        post_until_full(&api, &mut acked, || server.log_text(), || server.log_text());
    let message = first.body["error"].as_str().unwrap_or("").to_string();
    assert!(
        message.contains("out of space")
            && message.contains("nothing of this request was recorded"),
        "{message}"
    );
    assert!(first.retry_after.is_some(), "a 503 says when to retry");

    // Still full: more writes are refused the same way; reads still answer.
    for k in 0..5 {
        let r = api.post_events(&json!([new_household(&format!("still-full-{k}"), k)]));
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(
            r.body["error"]
                .as_str()
                .unwrap_or("")
                .contains("out of space"),
            "{}",
            r.body
        );
    }
    let health = api.ok("/api/health");
    assert_eq!(
        health["events"],
        json!(acked.len()),
        "reads answer on a full disk, and count only what was acknowledged"
    );
    assert_eq!(
        api.ok("/api/reconciliation")["totals"]["registered_households"],
        json!(acked.len() - imported)
    );
    assert!(server.running(), "the server stays up on a full disk");

    // Space returns: the same process takes the refused batch, and none of it was there before.
    std::fs::remove_file(disk.join("filler")).expect("free the space");
    let r = api.post_events(&refused_body);
    assert_eq!(
        r.status, 200,
        "once space returns the same server records again: {}",
        r.body
    );
    for (id, result) in results(&r.body) {
        assert_eq!(
            result, "recorded",
            "nothing of a refused request was recorded: {id}"
        );
        acked.push(id);
    }
    let after: Vec<Value> = (0..20)
        .map(|i| new_household(&format!("after-{i}"), i))
        .collect();
    api.record(&Value::Array(after.clone()));
    acked.extend(
        after
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string()),
    );

    let ids = log_ids(&api);
    assert_eq!(
        ids, acked,
        "the log holds exactly what was acknowledged, in order"
    );

    // The file passes SQLite's check on the next start and holds the same log.
    server.stop();
    let server = Server::start(&store, dir.path(), &[]);
    let api = Api::new(&server.url, &token);
    assert_eq!(
        log_ids(&api),
        acked,
        "the store reopens intact after the disk was full"
    );
    eprintln!(
        "disk full (SQLite on a 24 MiB tmpfs): filler {} MiB, {batches_after_full} batches of 200 still fit, then 503 \"{message}\"; {} events acknowledged, all in the log after space returned and a restart; {:.1} s",
        filled / (1024 * 1024),
        acked.len(),
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------- PostgreSQL restarted

/// A PostgreSQL cluster of this test's own (the shared test server must not be restarted
/// under other tests), in a temporary folder on a free port.
struct Cluster {
    dir: tempfile::TempDir,
    /// The data directory (inside `dir`, or on a filesystem of the test's).
    data: PathBuf,
    /// More server settings (`-c name=value ...`).
    options: String,
    bin: PathBuf,
    port: u16,
    root: bool,
}

impl Cluster {
    fn new() -> Cluster {
        Cluster::with(None, &[], "")
    }

    /// A cluster whose data directory is `data` (created, given to the postgres user),
    /// made with `initdb` options `initdb` and started with settings `options`.
    fn with(data: Option<PathBuf>, initdb: &[&str], options: &str) -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
            .filter(|(_, b)| b.join("pg_ctl").exists())
            .max()
            .map(|(_, b)| b)
            .expect("PostgreSQL's server binaries under /usr/lib/postgresql (apt-get install postgresql; .ci/run installs it)");
        let dir = tempfile::tempdir().expect("temporary folder");
        let root = text(&Command::new("id").arg("-u").output().expect("id").stdout).trim() == "0";
        if root {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(
                ok.success(),
                "cannot give the cluster's folder to the postgres user"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("port")
            .port();
        let data = data.unwrap_or_else(|| dir.path().join("data"));
        std::fs::create_dir_all(&data).expect("the data directory");
        if root {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(&data)
                .status()
                .expect("chown");
            assert!(
                ok.success(),
                "cannot give {} to the postgres user",
                data.display()
            );
        }
        let c = Cluster {
            dir,
            data: data.clone(),
            options: options.to_string(),
            bin,
            port,
            root,
        };
        let mut args = vec![
            OsString::from("-D"),
            data.into(),
            "-U".into(),
            "postgres".into(),
            "--auth=trust".into(),
            "-E".into(),
            "UTF8".into(),
            "--locale=C.UTF-8".into(),
        ];
        args.extend(initdb.iter().map(OsString::from));
        c.run("initdb", &args);
        c.start();
        c
    }

    /// Whether the server is running (`pg_ctl status`).
    fn running(&self) -> bool {
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        cmd.arg("-D")
            .arg(&self.data)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    fn run(&self, tool: &str, args: &[OsString]) {
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(tool));
            c
        } else {
            Command::new(self.bin.join(tool))
        };
        let out = cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    fn start(&self) {
        let d = self.dir.path();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c fsync=off {}",
            self.port,
            d.display(),
            self.options
        );
        self.run(
            "pg_ctl",
            &[
                OsString::from("-D"),
                self.data.clone().into(),
                "-l".into(),
                d.join("log").into(),
                "-w".into(),
                "-t".into(),
                "60".into(),
                "start".into(),
                "-o".into(),
                opts.into(),
            ],
        );
    }

    /// `pg_ctl stop -m MODE`: `fast` (clients disconnected, a clean shutdown) or `immediate` (as a crash).
    fn stop(&self, mode: &str) {
        let d = self.data.clone();
        self.run(
            "pg_ctl",
            &[
                OsString::from("-D"),
                d.into(),
                "-m".into(),
                mode.into(),
                "-w".into(),
                "stop".into(),
            ],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let d = self.data.clone();
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        let _ = cmd
            .arg("-D")
            .arg(d)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// What one streaming client saw.
#[derive(Default)]
struct Seen {
    acked: Vec<String>,
    /// 503 answers, and how many of them said when to retry.
    unavailable: u32,
    retry_after: u32,
    /// Requests that got no answer at all.
    no_answer: u32,
    /// Events a resend found already recorded (committed just before the connection died).
    duplicates: u32,
    /// One of the 503 messages.
    message: String,
    /// The longest wait for a 503, and for a 200.
    slowest_refusal: Duration,
    slowest_answer: Duration,
}

/// Sends batches of new registrations until told to stop; every batch is resent until it is answered 200.
fn stream(t: usize, url: String, token: String, stop: Arc<AtomicBool>) -> Seen {
    let agent = agent(Duration::from_secs(20));
    let mut seen = Seen::default();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let batch: Vec<Value> = (0..1 + t % 4)
            .map(|_| {
                n += 1;
                new_household(&format!("pg-{t}-{n}"), n)
            })
            .collect();
        let ids: Vec<String> = batch
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string())
            .collect();
        let body = Value::Array(batch).to_string();
        let deadline = Instant::now() + Duration::from_secs(40);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let sent = Instant::now();
            let answer = agent
                .post(format!("{url}/api/events"))
                .header("Authorization", format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .send(body.as_str());
            match answer {
                Ok(mut r) => {
                    let status = r.status().as_u16();
                    let retry = r.headers().get("retry-after").is_some();
                    let text = r.body_mut().read_to_string().expect("a body");
                    match status {
                        200 => {
                            seen.slowest_answer = seen.slowest_answer.max(sent.elapsed());
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
                                    "duplicate" if attempts > 1 => seen.duplicates += 1,
                                    _ => panic!(
                                        "client {t}: {id} answered {result} on attempt {attempts}: {text}"
                                    ),
                                }
                                seen.acked.push(id);
                            }
                            break;
                        }
                        503 => {
                            seen.unavailable += 1;
                            seen.slowest_refusal = seen.slowest_refusal.max(sent.elapsed());
                            seen.retry_after += u32::from(retry);
                            if seen.message.is_empty() {
                                seen.message = text;
                            }
                        }
                        s => panic!("client {t}: a restarting database answered {s}: {text}"),
                    }
                }
                Err(_) => seen.no_answer += 1,
            }
            assert!(Instant::now() < deadline, "client {t}: no 200 for 40 s");
            thread::sleep(Duration::from_millis(20));
        }
    }
    seen
}

#[test]
fn postgres_restarted_under_load() {
    let started = Instant::now();
    let cluster = Cluster::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let url = rt
        .block_on(corridor_store::create_database(
            &cluster.url(),
            "corridor_restart",
        ))
        .expect("CREATE DATABASE on the test's cluster");
    let logs = tempfile::tempdir().expect("temporary folder");
    let store = vec![OsString::from("--database"), url.into()];
    let mut server = Server::start(&store, logs.path(), &[tutorial(), tutorial_plan()]);
    let token = coordinator(&store, "amal");
    let api = Api::new(&server.url, &token);
    let imported = log_ids(&api);

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|t| {
            let (url, token, stop) = (server.url.clone(), token.clone(), stop.clone());
            thread::spawn(move || stream(t, url, token, stop))
        })
        .collect();
    let count = || api.ok("/api/health")["events"].as_u64().expect("events");
    let down = Mutex::new(Duration::ZERO);
    // Short outages are ridden out inside a request (the pool retries its connection for up
    // to 10 s); a longer one is answered 503 with Retry-After.
    for (mode, outage) in [("fast", 1500), ("immediate", 1500), ("fast", 12_000)] {
        thread::sleep(Duration::from_millis(700));
        let before = count();
        let t = Instant::now();
        cluster.stop(mode);
        thread::sleep(Duration::from_millis(outage));
        cluster.start();
        *down.lock().expect("down") += t.elapsed();
        // The same server process takes writes again by itself.
        let deadline = Instant::now() + Duration::from_secs(20);
        while count() <= before {
            assert!(
                Instant::now() < deadline,
                "no new event 20 s after PostgreSQL came back ({mode} stop):\n{}",
                server.log_text()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<Seen> = clients
        .into_iter()
        .map(|c| c.join().expect("a client failed"))
        .collect();
    assert!(
        server.running(),
        "the server rode out the restarts:\n{}",
        server.log_text()
    );

    let mut acked = BTreeSet::new();
    for s in &seen {
        for id in &s.acked {
            assert!(acked.insert(id.clone()), "{id} acknowledged twice");
        }
    }
    let ids = log_ids(&api);
    let in_log: BTreeSet<String> = ids
        .iter()
        .filter(|i| !imported.contains(i))
        .cloned()
        .collect();
    assert_eq!(
        in_log, acked,
        "the log holds exactly the acknowledged events: none lost, none doubled"
    );
    let unavailable: u32 = seen.iter().map(|s| s.unavailable).sum();
    let retry_after: u32 = seen.iter().map(|s| s.retry_after).sum();
    let no_answer: u32 = seen.iter().map(|s| s.no_answer).sum();
    let duplicates: u32 = seen.iter().map(|s| s.duplicates).sum();
    let slowest = seen
        .iter()
        .map(|s| s.slowest_refusal)
        .max()
        .unwrap_or_default();
    let slowest_ok = seen
        .iter()
        .map(|s| s.slowest_answer)
        .max()
        .unwrap_or_default();
    assert!(unavailable > 0, "the clients met the stopped database");
    assert_eq!(retry_after, unavailable, "every 503 says when to retry");
    assert_eq!(
        no_answer, 0,
        "the server answered every request, even with its database down"
    );
    let message = seen
        .iter()
        .map(|s| s.message.clone())
        .find(|m| !m.is_empty())
        .unwrap_or_default();
    assert!(
        message.contains("nothing"),
        "the refusal says nothing was recorded: {message}"
    );
    eprintln!(
        "PostgreSQL restarted 3 times (fast 1.5 s, immediate 1.5 s, fast 12 s) under 4 streaming clients: {} events acknowledged, all in the log once; {unavailable} answers 503 with Retry-After ({message}), the slowest 503 after {:.1} s, the slowest 200 after {:.1} s, {duplicates} found recorded on a resend, database down {:.1} s in all; {:.1} s",
        acked.len(),
        slowest.as_secs_f64(),
        slowest_ok.as_secs_f64(),
        down.lock().expect("down").as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------- clock skew

/// The tutorial household's gathering point, from its registry.
fn site_of(reference: &str) -> String {
    let text = std::fs::read_to_string(repo().join("examples/tutorial/households.csv"))
        .expect("tutorial households");
    text.lines()
        .find_map(|l| {
            let mut f = l.split(',');
            (f.next() == Some(reference)).then(|| f.next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| panic!("{reference} is in the tutorial"))
}

/// A store on SQLite (a new folder) or on a new PostgreSQL database of the shared test server.
fn fresh_store(postgres: bool, dir: &Path) -> Vec<OsString> {
    if postgres {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let url = rt.block_on(corridor_store::testing::new_database("corridor_faults"));
        vec!["--database".into(), url.into()]
    } else {
        vec!["--data".into(), dir.join("op").into()]
    }
}

/// Devices whose clocks are years off: their events are judged in the order the server's
/// log received them, and each keeps the device's time exactly as sent.
fn clock_skew(postgres: bool) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = fresh_store(postgres, dir.path());
    let server = Server::start(&store, dir.path(), &[tutorial(), tutorial_plan()]);
    let token = coordinator(&store, "amal");
    let api = Api::new(&server.url, &token);
    let imported = log_ids(&api).len();
    // The tutorial starts 2025-03-14T06:00:00+01:00; one tablet is six years fast, one ten years slow.
    let sent = vec![
        ev(
            "s1",
            "registered",
            "2025-03-14T06:30:00+01:00",
            "tablet-right",
            json!({"household": "RF-007", "site": site_of("RF-007")}),
        ),
        ev(
            "s2",
            "boarded",
            "2031-03-14T06:40:00+01:00",
            "tablet-fast",
            json!({"household": "RF-007", "vehicle": "bus-01", "trip": 1}),
        ),
        ev(
            "s3",
            "arrived",
            "2015-03-14T07:10:00+01:00",
            "tablet-slow",
            json!({"household": "RF-007", "vehicle": "bus-01", "trip": 1, "destination": "St. Anne hospital"}),
        ),
        ev(
            "s4",
            "registered",
            "2015-03-14T06:31:00+01:00",
            "tablet-slow",
            json!({"household": "RF-004", "site": site_of("RF-004")}),
        ),
        ev(
            "s5",
            "boarded",
            "2031-03-14T06:41:00+01:00",
            "tablet-fast",
            json!({"household": "RF-004", "vehicle": "bus-01", "trip": 1}),
        ),
    ];
    for e in &sent {
        // One request each, in this order: the order the server hears them.
        api.record(&json!([e]));
    }
    let log = api.log();
    assert_eq!(log.len(), imported + sent.len());
    for (k, (stored, e)) in log[imported..].iter().zip(&sent).enumerate() {
        assert_eq!(
            stored["seq"],
            json!(imported + k + 1),
            "the log's order is the order received: {stored}"
        );
        for field in ["id", "at", "device", "kind", "household"] {
            assert_eq!(
                stored[field], e[field],
                "the device's {field} is kept as reported: {stored}"
            );
        }
    }
    // Judged in the log's order: RF-007 boarded, then arrived, although the slow tablet's
    // arrival is stamped ten years before the fast tablet's boarding.
    let h = api.ok("/api/households/RF-007");
    assert_eq!(h["status"], json!("arrived"), "{h}");
    let h = api.ok("/api/households/RF-004");
    assert_eq!(h["status"], json!("on_board"), "{h}");
    // "Now" is the server's clock, not the latest device time (2031).
    let rec = api.ok("/api/reconciliation");
    let year = text(
        &Command::new("date")
            .args(["-u", "+%Y"])
            .output()
            .expect("date")
            .stdout,
    )
    .trim()
    .parse::<i32>()
    .expect("a year");
    let at = rec["at"].as_str().expect("at");
    let at_year: i32 = at[..4].parse().expect("a year");
    assert!(
        at_year == year || at_year == year + 1,
        "the reconciliation is at the server's time, not a device's: {at}"
    );
    assert_eq!(rec["totals"]["registered_households"], json!(2), "{rec}");
    assert_eq!(
        rec["open_conflicts"],
        json!(0),
        "devices' clocks alone make no conflict: {rec}"
    );
}

#[test]
fn clock_skew_sqlite() {
    clock_skew(false);
}

#[test]
fn clock_skew_postgres() {
    clock_skew(true);
}

// ---------------------------------------------------------------- a damaged SQLite file

/// What to do to a store file's bytes.
type Damage = Box<dyn Fn(&mut Vec<u8>)>;

/// Ways a store file gets damaged: (name, damage).
fn damages(page: usize) -> Vec<(&'static str, Damage)> {
    vec![
        ("cut to nothing", Box::new(|b: &mut Vec<u8>| b.clear())),
        (
            "cut inside the header",
            Box::new(|b: &mut Vec<u8>| b.truncate(60)),
        ),
        (
            "cut after the first page",
            Box::new(move |b: &mut Vec<u8>| b.truncate(page)),
        ),
        (
            "cut in half",
            Box::new(move |b: &mut Vec<u8>| b.truncate(b.len() / 2 / page * page)),
        ),
        (
            "last page missing",
            Box::new(move |b: &mut Vec<u8>| b.truncate(b.len() - page)),
        ),
        (
            "header overwritten",
            Box::new(|b: &mut Vec<u8>| b[..16].fill(0)),
        ),
        (
            "a page in the middle zeroed",
            Box::new(move |b: &mut Vec<u8>| {
                let p = b.len() / page / 2;
                b[p * page..(p + 1) * page].fill(0);
            }),
        ),
        (
            "the last page overwritten",
            Box::new(move |b: &mut Vec<u8>| {
                let n = b.len();
                b[n - page..]
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, x)| *x = (i * 7 + 3) as u8);
            }),
        ),
        (
            "an event's text altered",
            Box::new(|b: &mut Vec<u8>| {
                let needle = br#""kind":"registered""#;
                let at = b
                    .windows(needle.len())
                    .position(|w| w == needle)
                    .expect("a stored registration");
                b[at + 8..at + needle.len()].copy_from_slice(br#"registerXd""#);
            }),
        ),
    ]
}

#[test]
fn damaged_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let op = dir.path().join("op");
    let store = vec![OsString::from("--data"), op.clone().into()];
    let mut server = Server::start(&store, dir.path(), &[tutorial(), tutorial_plan()]);
    let token = coordinator(&store, "amal");
    let api = Api::new(&server.url, &token);
    for b in 0..6 {
        let batch: Vec<Value> = (0..500)
            .map(|i| new_household(&format!("d-{b}-{i}"), i))
            .collect();
        api.record(&Value::Array(batch));
    }
    let ids = log_ids(&api);
    server.stop();
    let db = op.join("corridor.db");
    let pristine = std::fs::read(&db).expect("the store file");
    assert!(
        std::fs::metadata(op.join("corridor.db-wal")).map_or(0, |m| m.len()) == 0,
        "a clean stop leaves everything in the main file"
    );
    let page = u16::from_be_bytes([pristine[16], pristine[17]]) as usize;
    assert!(
        page >= 512 && pristine.len() / page > 20,
        "a store of {} pages of {page} bytes",
        pristine.len() / page.max(1)
    );

    // An intact copy serves, so a refusal below is the damage's doing.
    let copy = |name: &str, bytes: &[u8]| -> (PathBuf, Vec<OsString>) {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).expect("copy folder");
        std::fs::write(d.join("corridor.db"), bytes).expect("copy");
        (
            d.join("corridor.db"),
            vec![OsString::from("--data"), d.into()],
        )
    };
    let (_, intact) = copy("intact", &pristine);
    let s = Server::start(&intact, dir.path(), &[]);
    assert_eq!(
        log_ids(&Api::new(&s.url, &token)),
        ids,
        "an undamaged copy serves the whole log"
    );
    drop(s);

    let mut refused = Vec::new();
    for (k, (name, damage)) in damages(page).into_iter().enumerate() {
        let mut bytes = pristine.clone();
        damage(&mut bytes);
        let (file, args) = copy(&format!("damaged-{k}"), &bytes);
        match Server::try_start(&args, dir.path(), &[tutorial(), tutorial_plan()]) {
            Ok(s) => panic!(
                "a store file with {name} was served at {}:\n{}",
                s.url,
                s.log_text()
            ),
            Err((code, log)) => {
                assert!(code.is_some_and(|c| c != 0), "{name}: exit code {code:?}");
                let shown = file.display().to_string();
                assert!(
                    log.contains(&shown),
                    "{name}: the message names the file {shown}:\n{log}"
                );
                assert!(
                    log.contains("restore it from a backup"),
                    "{name}: the message says what to do:\n{log}"
                );
                refused.push(format!(
                    "{name}: {}",
                    log.lines().last().unwrap_or("").trim()
                ));
            }
        }
    }
    eprintln!(
        "damaged store files refused ({}):\n  {}",
        refused.len(),
        refused.join("\n  ")
    );
}

/// PostgreSQL's data directory on a small tmpfs that fills up: the server answers 503
/// saying the store is out of space, and records again by itself once space returns.
#[test]
fn disk_full_postgres() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary folder");
    let disk = dir.path().join("disk");
    let _mount = Mount::tmpfs(&disk, "160m");
    // Small WAL segments, so the cluster fits and its WAL is mostly preallocated.
    let cluster = Cluster::with(
        Some(disk.join("data")),
        &["--wal-segsize=1"],
        "-c min_wal_size=4MB -c max_wal_size=16MB -c shared_buffers=16MB",
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let url = rt
        .block_on(corridor_store::create_database(
            &cluster.url(),
            "corridor_full",
        ))
        .expect("CREATE DATABASE on the test's cluster");
    let store = vec![OsString::from("--database"), url.into()];
    let mut server = Server::start(&store, dir.path(), &[tutorial(), tutorial_plan()]);
    let token = coordinator(&store, "amal");
    let api = Api::new(&server.url, &token);
    let mut acked = log_ids(&api);
    let before: Vec<Value> = (0..20)
        .map(|i| new_household(&format!("before-{i}"), i))
        .collect();
    api.record(&Value::Array(before.clone()));
    acked.extend(
        before
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string()),
    );

    let filled = fill(&disk.join("filler"));
    let (refused_body, first, fit) = post_until_full(
        &api,
        &mut acked,
        || server.log_text(),
        || cluster.log_text(),
    );
    let message = first.body["error"].as_str().unwrap_or("").to_string();
    assert!(first.retry_after.is_some(), "a 503 says when to retry");
    assert!(
        message.contains("out of space")
            && message.contains("nothing of this request was recorded"),
        "{message}\nserver:\n{}\nPostgreSQL:\n{}",
        server.log_text(),
        cluster.log_text()
    );
    let pg_up_while_full = cluster.running();

    std::fs::remove_file(disk.join("filler")).expect("free the space");
    // PostgreSQL stops itself when it cannot write its WAL; an operator starts it again.
    let restarted = !cluster.running();
    if restarted {
        cluster.start();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let r = loop {
        let r = api.post_events(&refused_body);
        if r.status == 200 {
            break r;
        }
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(
            Instant::now() < deadline,
            "no 200 within 30 s of space returning: {}",
            r.body
        );
        thread::sleep(Duration::from_millis(100));
    };
    for (id, result) in results(&r.body) {
        assert_eq!(
            result, "recorded",
            "nothing of a refused request was recorded: {id}"
        );
        acked.push(id);
    }
    let after: Vec<Value> = (0..20)
        .map(|i| new_household(&format!("after-{i}"), i))
        .collect();
    api.record(&Value::Array(after.clone()));
    acked.extend(
        after
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string()),
    );
    assert_eq!(
        log_ids(&api),
        acked,
        "the log holds exactly what was acknowledged, in order"
    );
    assert!(server.running(), "the same server process throughout");
    eprintln!(
        "disk full (PostgreSQL on a 160 MiB tmpfs): filler {} MiB, {fit} batches of 200 still fit, then 503 \"{message}\"; PostgreSQL {} while full{}; {} events acknowledged, all in the log; {:.1} s",
        filled / (1024 * 1024),
        if pg_up_while_full {
            "stayed up"
        } else {
            "stopped itself"
        },
        if restarted {
            " and was started again"
        } else {
            ""
        },
        acked.len(),
        started.elapsed().as_secs_f64()
    );
}
