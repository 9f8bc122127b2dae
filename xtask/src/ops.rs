//! `cargo xtask bench-ops`: the operations server under load, over loopback.
//!
//! Starts the real release `corridor serve` on a fresh store (SQLite in a new
//! directory, or an empty PostgreSQL database with `--database URL`), loads an
//! operation's history (default 1,000,000 events for about 100,000 people and
//! 5,000 vehicle trips), then measures what the operations room feels:
//! reconciliation and household look-ups over that history, sustained ingest of
//! single-event requests from many concurrent clients, and a reconnect burst of
//! devices uploading their queued batches at once. The load generator runs on the
//! same machine (plain HTTP/1.1 keep-alive over `TcpStream`, one connection per
//! client thread, so the client costs little CPU beside the server). See
//! docs/benchmarks.md, "Operations server".

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

mod soak;
use corridor_core::{Plan, Scenario, SiteKind};
use serde_json::{Value, json};

pub(crate) const USAGE: &str = "usage: cargo xtask bench-ops [--database URL] [--events 1000000] [--clients 100] [--duration 30s] [--burst-devices 100] [--burst-size 2000] [--households 24000] [--vehicles 150] [--lookups 2000] [--out DIR]\n       cargo xtask bench-ops --soak 30m [--rate 5000] [--interval 1m] [--database URL] [--events N] [--clients 100] [--out DIR] [--debug] [--strict]";

/// The benchmark's knobs.
pub(crate) struct OpsArgs {
    database: Option<String>,
    events: usize,
    clients: usize,
    duration: Duration,
    burst_devices: usize,
    burst_size: usize,
    households: usize,
    vehicles: usize,
    lookups: usize,
    out: Option<PathBuf>,
    /// Soak mode: hold `rate` events/s for this long, sampling every `interval`.
    soak: Option<Duration>,
    rate: usize,
    interval: Duration,
    /// The debug build (for a bounded check in CI; its figures are not the server's).
    pub(crate) debug: bool,
    /// Fail unless every request succeeded, the rate held and p99 did not run away (soak mode).
    pub(crate) strict: bool,
}

fn duration_arg(v: Option<&String>, what: &str) -> anyhow::Result<Duration> {
    let v = v.with_context(|| format!("{what} needs a duration, e.g. 30s or 30m"))?;
    let s = corridor_formats::parse_duration(v).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    Ok(Duration::from_secs(s.0.max(1) as u64))
}

pub(crate) fn parse_args(args: &[String]) -> anyhow::Result<OpsArgs> {
    let mut a = OpsArgs {
        database: None,
        events: 1_000_000,
        clients: 100,
        duration: Duration::from_secs(30),
        burst_devices: 100,
        burst_size: 2_000,
        households: 24_000,
        vehicles: 150,
        lookups: 2_000,
        out: None,
        soak: None,
        rate: 5_000,
        interval: Duration::from_secs(60),
        debug: false,
        strict: false,
    };
    let mut it = args.iter();
    let num = |v: Option<&String>, what: &str| -> anyhow::Result<usize> {
        let v = v.with_context(|| format!("{what} needs a number"))?;
        v.replace('_', "")
            .parse()
            .with_context(|| format!("{what}: `{v}` is not a number"))
    };
    while let Some(x) = it.next() {
        match x.as_str() {
            "--database" => a.database = Some(it.next().context("--database needs a postgres:// URL")?.clone()),
            "--events" => a.events = num(it.next(), "--events")?,
            "--clients" => a.clients = num(it.next(), "--clients")?.max(1),
            "--duration" => a.duration = duration_arg(it.next(), "--duration")?,
            "--soak" => a.soak = Some(duration_arg(it.next(), "--soak")?),
            "--interval" => a.interval = duration_arg(it.next(), "--interval")?,
            "--rate" => a.rate = num(it.next(), "--rate")?.max(1),
            "--burst-devices" => a.burst_devices = num(it.next(), "--burst-devices")?.max(1),
            "--burst-size" => a.burst_size = num(it.next(), "--burst-size")?.clamp(1, 10_000),
            "--households" => a.households = num(it.next(), "--households")?.max(100),
            "--vehicles" => a.vehicles = num(it.next(), "--vehicles")?.max(2),
            "--lookups" => a.lookups = num(it.next(), "--lookups")?.max(1),
            "--out" => a.out = Some(PathBuf::from(it.next().context("--out needs a directory")?)),
            "--debug" => a.debug = true,
            "--strict" => a.strict = true,
            other => bail!("unknown option `{other}`\n{USAGE}"),
        }
    }
    Ok(a)
}

/// A small deterministic random generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo { lo } else { lo + self.below((hi - lo + 1) as u64) as i64 }
    }
}

// ---------------------------------------------------------------- HTTP client

/// One keep-alive HTTP/1.1 connection to the server.
struct Conn {
    reader: BufReader<TcpStream>,
    host: String,
    token: String,
}

impl Conn {
    fn open(host: &str, token: &str) -> anyhow::Result<Conn> {
        let s = TcpStream::connect(host).with_context(|| format!("cannot connect to {host}"))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(300)))?;
        Ok(Conn {
            reader: BufReader::with_capacity(64 * 1024, s),
            host: host.to_string(),
            token: token.to_string(),
        })
    }

    /// Sends one request and reads the whole answer: (status, body).
    fn request(&mut self, method: &str, path: &str, body: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
        let mut req = Vec::with_capacity(256 + body.len());
        write!(
            req,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n",
            self.host, self.token
        )?;
        if method == "POST" {
            write!(req, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len())?;
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body);
        self.reader.get_mut().write_all(&req)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        if line.is_empty() {
            bail!("the server closed the connection");
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP status line: {line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim();
                if k == "content-length" {
                    length = v.parse::<usize>().ok();
                } else if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                }
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                    .context("bad chunk size")?;
                if n == 0 {
                    line.clear();
                    self.reader.read_line(&mut line)?;
                    break;
                }
                let start = out.len();
                out.resize(start + n, 0);
                self.reader.read_exact(&mut out[start..])?;
                let mut crlf = [0u8; 2];
                self.reader.read_exact(&mut crlf)?;
            }
        } else if let Some(n) = length {
            out.resize(n, 0);
            self.reader.read_exact(&mut out)?;
        } else {
            self.reader.read_to_end(&mut out)?;
        }
        Ok((status, out))
    }
}

/// Verdict counts of one `POST /api/events` answer.
fn verdicts(status: u16, body: &[u8], into: &mut BTreeMap<String, usize>, first_bad: &mut Option<String>) -> anyhow::Result<usize> {
    if status != 200 {
        bail!("POST /api/events answered {status}: {}", String::from_utf8_lossy(body));
    }
    let v: Value = serde_json::from_slice(body).context("POST /api/events answered no JSON")?;
    let results = v["results"].as_array().context("no `results` in the answer")?;
    for r in results {
        let res = r["result"].as_str().unwrap_or("?");
        *into.entry(res.to_string()).or_default() += 1;
        if res != "recorded" && first_bad.is_none() {
            *first_bad = Some(format!("{}: {} ({})", r["id"], res, r["message"].as_str().unwrap_or("")));
        }
    }
    Ok(results.len())
}

// ---------------------------------------------------------------- percentiles

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------- the server

struct Server {
    child: Child,
    host: String,
}

/// A run that fails part-way still takes its server down.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Server {
    fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let started = Instant::now();
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// CPU seconds (user + system) the server has used so far.
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command's closing parenthesis: utime is the 14th field overall.
        let rest = stat.rsplit_once(')').map_or("", |x| x.1);
        let f: Vec<&str> = rest.split_whitespace().collect();
        let tick = 100.0; // USER_HZ on Linux
        let u: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0);
        let s: f64 = f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
        (u + s) / tick
    }

    /// Resident memory in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|k| k.parse::<f64>().ok())
            .map_or(0.0, |k| k / 1024.0)
    }
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

fn start_server(bin: &Path, store: &[String], scenario: &Path, plan: &Path, log: &Path) -> anyhow::Result<Server> {
    let mut cmd = Command::new(bin);
    // The key that seals personal fields goes beside the log, not into the working directory.
    cmd.arg("serve")
        .args(store)
        .args(["--listen", "127.0.0.1:0"])
        .arg("--key-file")
        .arg(log.with_file_name("corridor.key"))
        .arg(scenario)
        .arg(plan)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log)?);
    let mut child = cmd.spawn().with_context(|| format!("cannot start {}", bin.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("http://") => break l,
            Some(Ok(_)) => continue,
            _ => {
                let _ = child.wait();
                bail!("the server did not start; see {}", log.display());
            }
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    Ok(Server { child, host })
}

// ---------------------------------------------------------------- the history

/// An event to send, with its device time and an order for ties.
struct Timed {
    at: i64,
    phase: u8,
    body: String,
}

/// What the ingest and burst phases can send in any order and still be recorded.
struct Material {
    pickups: Vec<String>,
    /// (vehicle, trip, corridor) of trips that passed their checkpoint.
    crossed: Vec<(String, u32, String)>,
    /// (household, vehicle, trip, destination) of households that arrived.
    arrived: Vec<(String, String, u32, String)>,
    /// Registry references, for look-ups.
    references: Vec<String>,
    /// The last device time of the history.
    end: i64,
}

/// One batch request's body: the events as a JSON array, in order.
fn batch_body(chunk: &[Timed]) -> Vec<u8> {
    let mut body = Vec::with_capacity(chunk.len() * 200 + 2);
    body.push(b'[');
    for (j, e) in chunk.iter().enumerate() {
        if j > 0 {
            body.push(b',');
        }
        body.extend_from_slice(e.body.as_bytes());
    }
    body.push(b']');
    body
}

struct History {
    events: Vec<Timed>,
    /// Events by kind (and what the fillers are).
    kinds: BTreeMap<&'static str, usize>,
    material: Material,
    trips: usize,
    trips_complete: usize,
    on_board_households: usize,
    people: u64,
}

fn at(t: i64) -> String {
    format!("{}s", t.max(0))
}

/// The operation as it happened up to a cut at 90 % of the plan's makespan, in the
/// devices' time order: per household a registration at its gathering point and a
/// boarding; per trip a departure with the driver's headcount, the checkpoint pass
/// and the arrival; per arrived household the reception desk's confirmation. To
/// reach `target` events, households are also scanned again while they wait
/// (roll calls: `registered` again at the same site, "nothing changes") and
/// while they ride (on-board scans: `boarded` again on the same trip).
fn history(s: &Scenario, plan: &Plan, target: usize) -> History {
    let mut rng = Rng(20_161_215);
    let makespan = plan
        .routes
        .iter()
        .flat_map(|r| r.trips.iter().map(|t| t.unloaded.0))
        .max()
        .unwrap_or(0);
    let cut = makespan * 9 / 10;
    let mut events: Vec<Timed> = Vec::new();
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut n = 0u64;
    let mut id = |prefix: &str| {
        n += 1;
        format!("{prefix}-{n:07}")
    };
    let mut push = |events: &mut Vec<Timed>, kind: &'static str, t: i64, phase: u8, v: Value| {
        if t <= cut {
            *kinds.entry(kind).or_default() += 1;
            events.push(Timed { at: t, phase, body: v.to_string() });
        }
    };
    // Windows in which fillers can go: (household, site, from, to, kind) with kind 0 = roll call, 1 = on-board scan.
    let mut windows: Vec<(usize, String, u32, i64, i64, u8)> = Vec::new();
    let mut crossed = Vec::new();
    let mut arrived = Vec::new();
    let (mut trips, mut trips_complete, mut on_board) = (0, 0, 0);
    for r in &plan.routes {
        let vname = &s.vehicle(r.vehicle).name;
        let device = format!("tablet-{vname}");
        for (ti, t) in r.trips.iter().enumerate() {
            let trip = ti as u32 + 1;
            trips += 1;
            let mut people = 0u32;
            let mut boarded_at = Vec::new();
            for stop in &t.stops {
                let site = &s.site(stop.site).name;
                let registrar = format!("registrar-{site}");
                for &h in &stop.households {
                    let hh = &s.households[h.index()];
                    people += hh.people.0;
                    let reg = (stop.loading_starts.0 - rng.between(20 * 60, 3 * 3600)).max(0);
                    let board = rng.between(stop.loading_starts.0, stop.departs.0.max(stop.loading_starts.0));
                    push(&mut events, "registered", reg, 0, json!({"id": id("reg"), "kind": "registered", "at": at(reg), "device": registrar,
                        "household": hh.reference, "site": site}));
                    push(&mut events, "boarded", board, 2, json!({"id": id("brd"), "kind": "boarded", "at": at(board), "device": device,
                        "household": hh.reference, "vehicle": vname, "trip": trip}));
                    if reg <= cut {
                        windows.push((h.index(), site.clone(), 0, reg, board.min(cut), 0));
                    }
                    if board <= cut {
                        boarded_at.push((h.index(), board));
                    }
                }
            }
            let departs = t.stops.last().map_or(t.departs.0, |x| x.departs.0);
            push(&mut events, "departed", departs, 3, json!({"id": id("dep"), "kind": "departed", "at": at(departs), "device": device,
                "vehicle": vname, "trip": trip, "headcount": people}));
            if let Some(c) = &t.crossing {
                let cname = &s.corridors[c.corridor.index()].name;
                push(&mut events, "checkpoint", c.ends.0, 5, json!({"id": id("chk"), "kind": "checkpoint", "at": at(c.ends.0), "device": format!("checkpoint-{cname}"),
                    "vehicle": vname, "trip": trip, "corridor": cname}));
                if c.ends.0 <= cut {
                    crossed.push((vname.clone(), trip, cname.clone()));
                }
            }
            let dest = &s.site(t.destination).name;
            push(&mut events, "arrived", t.arrives.0, 6, json!({"id": id("arr"), "kind": "arrived", "at": at(t.arrives.0), "device": device,
                "vehicle": vname, "trip": trip, "destination": dest}));
            let complete = t.arrives.0 <= cut;
            if complete {
                trips_complete += 1;
            }
            for &(h, board) in &boarded_at {
                let reference = &s.households[h].reference;
                let confirm = rng.between(t.arrives.0, t.unloaded.0.max(t.arrives.0));
                push(&mut events, "arrived", confirm, 7, json!({"id": id("desk"), "kind": "arrived", "at": at(confirm), "device": format!("desk-{dest}"),
                    "household": reference, "vehicle": vname, "trip": trip, "destination": dest}));
                if complete {
                    arrived.push((reference.clone(), vname.clone(), trip, dest.clone()));
                } else {
                    on_board += 1;
                }
                windows.push((h, vname.clone(), trip, board, t.arrives.0.min(cut), 1));
            }
        }
    }
    // Fillers, round robin over the windows, until the history holds `target` events.
    let base = events.len();
    let fill = target.saturating_sub(base);
    if !windows.is_empty() {
        for k in 0..fill {
            let (h, name, trip, from, to, kind) = &windows[k % windows.len()];
            let t = rng.between(*from, *to);
            let hh = &s.households[*h];
            if *kind == 0 {
                push(&mut events, "registered (roll call)", t, 1, json!({"id": id("roll"), "kind": "registered", "at": at(t), "device": format!("registrar-{name}"),
                    "household": hh.reference, "site": name}));
            } else {
                push(&mut events, "boarded (on-board scan)", t, 4, json!({"id": id("scan"), "kind": "boarded", "at": at(t), "device": format!("tablet-{name}"),
                    "household": hh.reference, "vehicle": name, "trip": trip}));
            }
        }
    }
    events.sort_by_key(|e| (e.at, e.phase));
    let end = events.last().map_or(0, |e| e.at);
    History {
        events,
        kinds,
        material: Material {
            pickups: s
                .sites
                .iter()
                .filter(|x| matches!(x.kind, SiteKind::Pickup))
                .map(|x| x.name.clone())
                .collect(),
            crossed,
            arrived,
            references: s.households.iter().map(|h| h.reference.clone()).collect(),
            end,
        },
        trips,
        trips_complete,
        on_board_households: on_board,
        people: s.households.iter().map(|h| h.people.0 as u64).sum(),
    }
}

/// A new event for the ingest and burst phases: `client` and `i` make the id unique.
/// Half are registrations of households the registry did not list (new
/// references), a quarter checkpoint passes, a quarter reception-desk
/// confirmations of households that arrived; all are recorded in any order.
fn live_event(m: &Material, phase: &str, client: usize, i: usize, rng: &mut Rng) -> String {
    let t = m.end + rng.between(0, 600);
    let id = format!("{phase}-{client:03}-{i:06}");
    let pick = rng.below(4);
    let device = format!("{phase}-device-{client:03}");
    let v = if pick == 1 && !m.crossed.is_empty() {
        let (v, trip, c) = &m.crossed[rng.below(m.crossed.len() as u64) as usize];
        json!({"id": id, "kind": "checkpoint", "at": at(t), "device": device, "vehicle": v, "trip": trip, "corridor": c})
    } else if pick == 0 && !m.arrived.is_empty() {
        let (h, v, trip, d) = &m.arrived[rng.below(m.arrived.len() as u64) as usize];
        json!({"id": id, "kind": "arrived", "at": at(t), "device": device, "household": h, "vehicle": v, "trip": trip, "destination": d})
    } else {
        let site = &m.pickups[rng.below(m.pickups.len() as u64) as usize];
        json!({"id": id, "kind": "registered", "at": at(t), "device": device,
            "household": format!("N-{phase}-{client:03}-{i:06}"), "site": site, "people": 1 + rng.below(6)})
    };
    v.to_string()
}

// ---------------------------------------------------------------- the run

struct Figures {
    rows: Vec<(String, String, String, String)>,
    notes: Vec<String>,
}

impl Figures {
    fn row(&mut self, what: &str, target: &str, measured: String, met: Option<bool>) {
        let met = match met {
            None => "".to_string(),
            Some(true) => "met".to_string(),
            Some(false) => "**missed**".to_string(),
        };
        eprintln!("  {what}: {measured} (target {target}) {met}");
        self.rows.push((what.to_string(), target.to_string(), measured, met));
    }
}

fn scenario_dir(root: &Path, bin: &Path, a: &OpsArgs) -> anyhow::Result<PathBuf> {
    let dir = root
        .join("target/bench-ops")
        .join(format!("scenario-h{}-v{}", a.households, a.vehicles));
    let scenario = dir.join("scenario.toml");
    let plan = dir.join("plan.json");
    if scenario.exists() && plan.exists() {
        eprintln!("reusing the scenario and plan in {}", dir.display());
        return Ok(dir);
    }
    eprintln!("generating {} households, {} vehicles into {}", a.households, a.vehicles, dir.display());
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(bin).args([
        "generate",
        "--seed",
        "1",
        "--households",
        &a.households.to_string(),
        "--sites",
        "100",
        "--vehicles",
        &a.vehicles.to_string(),
        "--corridor",
        "--stretcher-share",
        "0.07",
        "-o",
    ])
    .arg(&dir))?;
    eprintln!("planning it (30 s)");
    let tmp = dir.join("plan.json.tmp");
    run(Command::new(bin)
        .arg("plan")
        .arg(&scenario)
        .args(["--time-limit", "30s", "-o"])
        .arg(&tmp))?;
    std::fs::rename(&tmp, &plan)?;
    Ok(dir)
}

pub(crate) fn bench_ops(a: &OpsArgs) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().unwrap_or(root);
    let out = a.out.clone().unwrap_or_else(|| root.join("target/bench-ops"));
    std::fs::create_dir_all(&out)?;
    let (profile, flags): (&str, &[&str]) = if a.debug { ("debug", &[]) } else { ("release", &["--release"]) };
    eprintln!("building the {profile} server (cargo build {}-p corridor-cli)", if a.debug { "" } else { "--release " });
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("build")
        .args(flags)
        .args(["--quiet", "-p", "corridor-cli"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("cargo build -p corridor-cli failed");
    }
    // Where cargo put it: CARGO_TARGET_DIR when set, else the workspace's target folder.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bin = target.join(profile).join("corridor");
    let dir = scenario_dir(&root, &bin, a)?;
    let scenario_path = dir.join("scenario.toml");
    let plan_path = dir.join("plan.json");
    let loaded = corridor_formats::load_scenario(&scenario_path).map_err(|p| anyhow::anyhow!("{p}"))?;
    let s = loaded.scenario;
    let plan_text = std::fs::read_to_string(&plan_path)?;
    let (plan, _) = corridor_formats::read_plan("plan.json", &plan_text, &s).map_err(|p| anyhow::anyhow!("{p}"))?;

    let t0 = Instant::now();
    let h = history(&s, &plan, a.events);
    eprintln!(
        "history: {} events ({:?}) for {} people in {} households, {} planned trips ({} arrived by the cut), built in {:.1} s",
        h.events.len(),
        h.kinds,
        h.people,
        s.households.len(),
        h.trips,
        h.trips_complete,
        t0.elapsed().as_secs_f64()
    );

    let backend = if a.database.is_some() { "postgres" } else { "sqlite" };
    let store: Vec<String> = match &a.database {
        Some(url) => vec!["--database".into(), url.clone()],
        None => {
            let d = out.join("store-sqlite");
            let _ = std::fs::remove_dir_all(&d);
            vec!["--data".into(), d.display().to_string()]
        }
    };
    let log = out.join(format!("server-{backend}.log"));
    let server = start_server(&bin, &store, &scenario_path, &plan_path, &log)?;
    if let Some(length) = a.soak {
        let result = soak::soak(a, length, &bin, &store, &server, &h, backend, &out);
        server.stop();
        return result;
    }
    let result = measure(a, &bin, &store, &server, &h, &s, backend);
    let rss = server.rss_mib();
    server.stop();
    let mut f = result?;
    f.notes.push(format!("Server resident memory at the end: {rss:.0} MiB."));
    let text = report(a, &f, &h, &s, backend);
    std::fs::write(out.join("report.md"), &text)?;
    std::fs::write(out.join(format!("report-{backend}.md")), &text)?;
    print!("{text}");
    eprintln!("wrote {}", out.join("report.md").display());
    Ok(())
}

fn measure(a: &OpsArgs, bin: &Path, store: &[String], server: &Server, h: &History, s: &Scenario, backend: &str) -> anyhow::Result<Figures> {
    let mut f = Figures { rows: Vec::new(), notes: Vec::new() };
    let token_out = run(Command::new(bin).args(["users", "add", &format!("bench-{}", corridor_store_suffix()), "--role", "coordinator"]).args(store))?;
    let token = token_out.lines().last().context("no token printed")?.trim().to_string();
    let host = server.host.clone();
    let mut c = Conn::open(&host, &token)?;
    let (status, body) = c.request("GET", "/api/health", b"")?;
    let health: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status != 200 {
        bail!("GET /api/health answered {status}");
    }
    if health["events"].as_u64().unwrap_or(0) > 1 {
        bail!(
            "the store already holds {} events: give an empty database (a fresh one per run)",
            health["events"]
        );
    }

    // (3) The history, in batches of 10,000, one after the other (order matters).
    eprintln!("loading the history over HTTP");
    let mut counts = BTreeMap::new();
    let mut first_bad = None;
    let cpu0 = server.cpu_seconds();
    let started = Instant::now();
    let mut last_report = Instant::now();
    for (i, chunk) in h.events.chunks(10_000).enumerate() {
        let (st, answer) = c.request("POST", "/api/events", &batch_body(chunk))?;
        verdicts(st, &answer, &mut counts, &mut first_bad)?;
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("  {} events loaded, {:.0} s", (i + 1) * 10_000, started.elapsed().as_secs_f64());
            last_report = Instant::now();
        }
    }
    let load_s = started.elapsed().as_secs_f64();
    let recorded = counts.get("recorded").copied().unwrap_or(0);
    f.notes.push(format!(
        "History loaded in {load_s:.0} s ({:.0} events/s in batches of 10,000; server CPU {:.0} s); verdicts {counts:?}{}.",
        h.events.len() as f64 / load_s,
        server.cpu_seconds() - cpu0,
        first_bad.as_ref().map(|b| format!("; first not recorded: {b}")).unwrap_or_default()
    ));
    f.row("history loaded (events recorded)", &format!("{}", h.events.len()), format!("{recorded}"), Some(recorded == h.events.len()));

    // (4) Reconciliation and household look-ups over the loaded history.
    let mut rec = Vec::new();
    let mut size = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let (st, body) = c.request("GET", "/api/reconciliation", b"")?;
        rec.push(ms(t.elapsed()));
        if st != 200 {
            bail!("GET /api/reconciliation answered {st}: {}", String::from_utf8_lossy(&body));
        }
        size = body.len();
    }
    let mut sorted = rec.clone();
    sorted.sort_by(f64::total_cmp);
    let worst = sorted.last().copied().unwrap_or(f64::NAN);
    f.row(
        "reconciliation latency (7 calls)",
        "≤ 2 s",
        format!("median {:.0} ms, max {:.0} ms ({:.1} MB answer)", percentile(&sorted, 0.5), worst, size as f64 / 1e6),
        Some(worst <= 2000.0),
    );
    let mut rng = Rng(7);
    let mut look = Vec::with_capacity(a.lookups);
    for _ in 0..a.lookups {
        let r = &h.material.references[rng.below(h.material.references.len() as u64) as usize];
        let t = Instant::now();
        let (st, body) = c.request("GET", &format!("/api/households/{r}"), b"")?;
        look.push(ms(t.elapsed()));
        if st != 200 {
            bail!("GET /api/households/{r} answered {st}: {}", String::from_utf8_lossy(&body));
        }
    }
    look.sort_by(f64::total_cmp);
    let p95 = percentile(&look, 0.95);
    f.row(
        &format!("household look-up ({} random references, one client)", a.lookups),
        "p95 ≤ 200 ms",
        format!("p50 {:.2} ms, p95 {:.2} ms, max {:.1} ms", percentile(&look, 0.5), p95, look.last().copied().unwrap_or(0.0)),
        Some(p95 <= 200.0),
    );
    drop(c);

    // (5) Sustained ingest: single-event requests from many clients for a fixed time.
    eprintln!("sustained ingest: {} clients, {} s", a.clients, a.duration.as_secs());
    let barrier = Arc::new(Barrier::new(a.clients + 1));
    let material = Arc::new(Material {
        pickups: h.material.pickups.clone(),
        crossed: h.material.crossed.clone(),
        arrived: h.material.arrived.clone(),
        references: Vec::new(),
        end: h.material.end,
    });
    let mut handles = Vec::new();
    for client in 0..a.clients {
        let (barrier, m, host, token) = (barrier.clone(), material.clone(), host.clone(), token.clone());
        let duration = a.duration;
        handles.push(std::thread::spawn(move || -> anyhow::Result<(Vec<f64>, BTreeMap<String, usize>, Option<String>)> {
            let mut c = Conn::open(&host, &token)?;
            let mut rng = Rng(1000 + client as u64);
            let mut lat = Vec::new();
            let mut counts = BTreeMap::new();
            let mut bad = None;
            barrier.wait();
            let until = Instant::now() + duration;
            let mut i = 0;
            while Instant::now() < until {
                let body = live_event(&m, "ingest", client, i, &mut rng);
                i += 1;
                let t = Instant::now();
                let (st, answer) = c.request("POST", "/api/events", body.as_bytes())?;
                lat.push(ms(t.elapsed()));
                verdicts(st, &answer, &mut counts, &mut bad)?;
            }
            Ok((lat, counts, bad))
        }));
    }
    barrier.wait();
    let cpu0 = server.cpu_seconds();
    let started = Instant::now();
    let mut lat = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_bad = None;
    let mut failed = Vec::new();
    for hd in handles {
        match hd.join() {
            Ok(Ok((l, c, b))) => {
                lat.extend(l);
                for (k, v) in c {
                    *counts.entry(k).or_default() += v;
                }
                first_bad = first_bad.or(b);
            }
            Ok(Err(e)) => failed.push(e.to_string()),
            Err(_) => failed.push("a client thread panicked".into()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu0;
    lat.sort_by(f64::total_cmp);
    let recorded = counts.get("recorded").copied().unwrap_or(0);
    let rate = recorded as f64 / elapsed;
    let p99 = percentile(&lat, 0.99);
    f.row(
        &format!("sustained ingest, {} clients, single-event requests, {} s", a.clients, a.duration.as_secs()),
        "≥ 5,000 events/s",
        format!("{rate:.0} events/s ({recorded} recorded)"),
        Some(rate >= 5000.0),
    );
    f.row(
        "  latency of those requests",
        "p99 < 50 ms",
        format!("p50 {:.1} ms, p99 {:.1} ms, max {:.0} ms", percentile(&lat, 0.5), p99, lat.last().copied().unwrap_or(0.0)),
        Some(p99 < 50.0),
    );
    f.notes.push(format!(
        "Sustained ingest: verdicts {counts:?}{}{}; server CPU {cpu:.0} s in {elapsed:.0} s ({:.0} % of the 2 cores' {:.0} s).",
        first_bad.map(|b| format!("; first not recorded: {b}")).unwrap_or_default(),
        if failed.is_empty() { String::new() } else { format!("; {} clients failed: {}", failed.len(), failed[0]) },
        100.0 * cpu / (elapsed * cores() as f64),
        elapsed * cores() as f64
    ));

    // (6) Reconnect burst: every device uploads its queued batch at once.
    eprintln!("reconnect burst: {} devices x {} events", a.burst_devices, a.burst_size);
    let barrier = Arc::new(Barrier::new(a.burst_devices + 1));
    let mut handles = Vec::new();
    for device in 0..a.burst_devices {
        let (barrier, m, host, token) = (barrier.clone(), material.clone(), host.clone(), token.clone());
        let n = a.burst_size;
        handles.push(std::thread::spawn(move || -> anyhow::Result<(Instant, BTreeMap<String, usize>, Option<String>)> {
            let mut rng = Rng(5000 + device as u64);
            let mut body = String::from("[");
            for i in 0..n {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&live_event(&m, "burst", device, i, &mut rng));
            }
            body.push(']');
            let mut c = Conn::open(&host, &token)?;
            barrier.wait();
            let (st, answer) = c.request("POST", "/api/events", body.as_bytes())?;
            let done = Instant::now();
            let mut counts = BTreeMap::new();
            let mut bad = None;
            verdicts(st, &answer, &mut counts, &mut bad)?;
            Ok((done, counts, bad))
        }));
    }
    barrier.wait();
    let cpu0 = server.cpu_seconds();
    let started = Instant::now();
    let mut last = started;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_bad = None;
    let mut per = Vec::new();
    let mut failed = Vec::new();
    for hd in handles {
        match hd.join() {
            Ok(Ok((done, c, b))) => {
                last = last.max(done);
                per.push(done.duration_since(started).as_secs_f64());
                for (k, v) in c {
                    *counts.entry(k).or_default() += v;
                }
                first_bad = first_bad.or(b);
            }
            Ok(Err(e)) => failed.push(e.to_string()),
            Err(_) => failed.push("a device thread panicked".into()),
        }
    }
    let total = last.duration_since(started).as_secs_f64();
    per.sort_by(f64::total_cmp);
    let recorded = counts.get("recorded").copied().unwrap_or(0);
    let want = a.burst_devices * a.burst_size;
    f.row(
        &format!("reconnect burst, {} devices x {} events at once", a.burst_devices, a.burst_size),
        &format!("all {want} recorded in ≤ 20 s"),
        format!(
            "{recorded} recorded in {total:.1} s (first device answered after {:.1} s, median {:.1} s)",
            per.first().copied().unwrap_or(f64::NAN),
            percentile(&per, 0.5)
        ),
        Some(recorded == want && total <= 20.0 && failed.is_empty()),
    );
    f.notes.push(format!(
        "Reconnect burst: verdicts {counts:?}{}{}; server CPU {:.0} s.",
        first_bad.map(|b| format!("; first not recorded: {b}")).unwrap_or_default(),
        if failed.is_empty() { String::new() } else { format!("; {} devices failed: {}", failed.len(), failed[0]) },
        server.cpu_seconds() - cpu0
    ));

    // Reconciliation again, over the grown log.
    let mut c = Conn::open(&host, &token)?;
    let t = Instant::now();
    let (st, body) = c.request("GET", "/api/reconciliation", b"")?;
    let after = ms(t.elapsed());
    if st == 200 {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        f.row(
            &format!("reconciliation after the ingest phases ({} events in the log)", v["events"]),
            "≤ 2 s",
            format!("{after:.0} ms"),
            Some(after <= 2000.0),
        );
    }
    let _ = (s, backend);
    Ok(f)
}

fn corridor_store_suffix() -> String {
    format!("{}", std::process::id())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn report(a: &OpsArgs, f: &Figures, h: &History, s: &Scenario, backend: &str) -> String {
    let mut t = String::new();
    let store = match backend {
        "postgres" => "PostgreSQL (--database)",
        _ => "SQLite (--data, WAL, synchronous=FULL)",
    };
    t.push_str(&format!("## Operations server on {store}\n\n"));
    t.push_str(&format!(
        "`cargo xtask bench-ops{}{}` on {}; load generator and server on the same machine, over loopback.\n\n",
        if a.database.is_some() { " --database URL" } else { "" },
        if a.events != 1_000_000 { format!(" --events {}", a.events) } else { String::new() },
        crate::machine()
    ));
    t.push_str(&format!(
        "Operation: {} people in {} households, {} vehicles, {} planned vehicle trips ({} complete at the cut, {} households on board); \
         a history of {} events: {}.\n\n",
        h.people,
        s.households.len(),
        s.vehicles.len(),
        h.trips,
        h.trips_complete,
        h.on_board_households,
        h.events.len(),
        h.kinds.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
    ));
    t.push_str("| measure | target | measured | |\n|---|---|---|---|\n");
    for (w, tg, m, met) in &f.rows {
        t.push_str(&format!("| {w} | {tg} | {m} | {met} |\n"));
    }
    t.push('\n');
    for n in &f.notes {
        t.push_str(&format!("- {n}\n"));
    }
    t
}
