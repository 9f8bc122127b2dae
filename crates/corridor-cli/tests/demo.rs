//! `corridor demo` as a new user runs it: it plans and rehearses the built-in
//! scenario, then serves it and replays a rehearsed run into the live log.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get(agent: &ureq::Agent, url: &str, token: &str) -> Value {
    let mut r = agent
        .get(url)
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(r.status().as_u16(), 200, "GET {url}");
    serde_json::from_str(&r.body_mut().read_to_string().expect("a body")).expect("JSON")
}

/// The token in a printed sign-in link.
fn token_of(line: &str) -> (String, String) {
    let link = line.split_whitespace().last().expect("a link");
    let (base, token) = link.split_once("login?token=").unwrap_or_else(|| panic!("not a sign-in link: {line}"));
    (base.to_string(), token.to_string())
}

#[test]
fn the_demo_serves_the_operation_and_replays_a_rehearsed_run() {
    let d = tempfile::tempdir().expect("a temporary directory");
    // With 8080 taken (by this test, or by anything else), the demo picks a free port.
    let _held = std::net::TcpListener::bind("127.0.0.1:8080");
    let child = Command::new(env!("CARGO_BIN_EXE_corridor"))
        .args(["demo", "--time-limit", "1s", "--speed", "100000"])
        .current_dir(d.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the corridor binary runs");
    let mut demo = Demo(child);
    let stdout = demo.0.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut links = Vec::new();
    let mut url = None;
    let mut delivers = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    while links.len() < 3 || delivers.is_none() {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the demo prints its sign-in links");
        if let Some(rest) = line.strip_prefix("The operation is live at ") {
            url = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.trim_start().strip_prefix("In this run ") {
            delivers = rest.split_whitespace().next().and_then(|n| n.parse::<u64>().ok());
        }
        let t = line.trim_start();
        if t.starts_with("coordinator: ") || t.starts_with("registrar at ") || t.starts_with("monitor: ") {
            links.push(t.to_string());
        }
    }
    let url = url.expect("the demo prints its address");
    let delivers = Some(delivers.expect("the demo says how many people its run delivers"));
    assert!(url.starts_with("http://127.0.0.1:") && !url.contains(":8080/"), "{url}");
    let agent = agent();
    let mut roles = Vec::new();
    for line in &links {
        let (base, token) = token_of(line);
        assert_eq!(base, url, "{line}");
        // The link signs the browser in: the page, and the cookie the live stream uses.
        let r = agent.get(format!("{url}login?token={token}")).call().expect("the sign-in page");
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.headers().get("set-cookie").is_some(), "{line}");
        let me = get(&agent, &format!("{url}api/me"), &token);
        let role = me["role"].as_str().expect("a role").to_string();
        assert!(line.starts_with(&role), "{line} belongs to a {role}");
        assert!(me["clock"]["speed"] == 100000, "{me}");
        roles.push((role, token));
    }
    let coordinator = &roles.iter().find(|(r, _)| r == "coordinator").expect("a coordinator").1;
    // The replay moves the operation: people are delivered, as many as the run delivered.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let p = get(&agent, &format!("{url}api/progress"), coordinator);
        let events = p["events"].as_u64().expect("events");
        let people = p["people"].as_u64().expect("people");
        let delivered = p["actual"].as_array().and_then(|a| a.last()).map_or(0, |x| x[1].as_u64().unwrap_or(0));
        assert!(delivered <= people);
        if Some(delivered) == delivers {
            break;
        }
        assert!(Instant::now() < deadline, "the replay stalled at {events} events, {delivered} of {people} delivered, not {delivers:?}");
        std::thread::sleep(Duration::from_secs(2));
    }
    // What the demo wrote for the people reading it.
    for f in ["plan.json", "timetable.txt", "rehearsal/summary.json", "operation/corridor.db"] {
        assert!(d.path().join("corridor-demo").join(f).exists(), "{f} missing");
    }
}
