//! The store on both databases: group-committed appends, duplicates, and the
//! log replayed into the same state by a fresh journal; SQLite and PostgreSQL
//! agree on the same event stream.
//!
//! PostgreSQL tests use `DATABASE_URL` (a role that may create databases; `.ci/run`
//! starts a server and sets it), or start a throwaway server themselves.

use std::path::Path;
use std::sync::Arc;

use corridor_ops::{EventIn, LiveState};
use corridor_store::{Journal, PlanReader, Store, Submitted};

const TUTORIAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/tutorial");

fn scenario() -> Arc<corridor_core::Scenario> {
    let loaded = corridor_formats::load_scenario(&Path::new(TUTORIAL).join("scenario.toml")).expect("tutorial reads");
    Arc::new(loaded.scenario)
}

fn reader(s: Arc<corridor_core::Scenario>) -> PlanReader {
    Arc::new(move |t: &str| corridor_formats::read_plan("plan", t, &s).map(|(p, _)| p).map_err(|p| format!("{p:?}")))
}

async fn new_postgres() -> Store {
    let url = corridor_store::testing::new_database("corridor_store").await;
    Store::open_url(&url).await.expect("the new PostgreSQL database opens")
}

async fn open(store: Store) -> Journal {
    let s = scenario();
    let files: Vec<(String, Vec<u8>)> = ["scenario.toml", "sites.csv", "households.csv"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(Path::new(TUTORIAL).join(f)).expect("tutorial file")))
        .collect();
    let plan = std::fs::read_to_string(Path::new(TUTORIAL).join("plan-by-hand.json")).expect("plan");
    if store.operation_name().await.expect("meta").is_none() {
        store.import(&s.name, "scenario.toml", &files, Some(("plan-1", &plan))).await.expect("import");
    }
    Journal::open(store, LiveState::new(s.clone()), reader(s)).await.expect("journal opens")
}

fn ev(id: &str, kind: &str, at: &str, extra: serde_json::Value) -> Submitted {
    let mut v = serde_json::json!({"id": id, "kind": kind, "at": at, "device": "test"});
    if let (Some(m), serde_json::Value::Object(x)) = (v.as_object_mut(), extra) {
        m.extend(x);
    }
    let raw: EventIn = serde_json::from_value(v).expect("event shape");
    let s = scenario();
    match corridor_ops::parse(&raw, &s, true) {
        Ok(e) => Submitted::Event(Box::new((raw, e))),
        Err(message) => Submitted::Malformed { id: id.into(), message },
    }
}

fn stream() -> Vec<Vec<Submitted>> {
    use serde_json::json;
    vec![
        vec![ev("a1", "plan_activated", "0s", json!({"plan": "plan-1"}))],
        vec![
            ev("r1", "registered", "1h", json!({"household": "RF-001", "site": "Market square"})),
            ev("r2", "registered", "1h", json!({"household": "RF-002", "site": "Market square"})),
            ev("n1", "registered", "1h", json!({"household": "FIELD-1", "site": "Old mill", "people": 3})),
        ],
        vec![ev("b1", "boarded", "1h10min", json!({"household": "RF-001", "vehicle": "bus-01", "trip": 1}))],
        vec![ev("b2", "boarded", "1h12min", json!({"household": "RF-001", "vehicle": "bus-02", "trip": 1}))],
        vec![ev("d1", "departed", "1h20min", json!({"vehicle": "bus-01", "trip": 1, "headcount": 9}))],
        vec![ev("x1", "arrived", "2h", json!({"vehicle": "bus-01", "trip": 1, "destination": "Hill school shelter"}))],
        vec![ev("x2", "arrived", "2h", json!({"vehicle": "bus-02", "trip": 1, "destination": "Hill school shelter", "household": "RF-003"}))],
        vec![ev("r1", "registered", "1h", json!({"household": "RF-001", "site": "Market square"}))],
        vec![ev("c1", "resolved", "3h", json!({"conflict": "b2", "accept": "second"}))],
    ]
}

async fn run_stream(j: &Journal) -> Vec<Vec<(String, &'static str)>> {
    let mut out = Vec::new();
    for batch in stream() {
        let a = j.submit(batch, "test").await.expect("durable commit");
        out.push(a.into_iter().map(|x| (x.id, x.result)).collect());
    }
    out
}

fn summary_json(l: &LiveState) -> String {
    let mut s = l.summary();
    s.at = String::new();
    let r = l.reconciliation(corridor_core::Seconds(0));
    format!("{}\n{}\n{:?}", serde_json::to_string(&s).unwrap_or_default(), serde_json::to_string(&r).unwrap_or_default(), l.conflict_list(true))
}

async fn replay_equals_live(store: Store) -> String {
    let j = open(store.clone()).await;
    let answers = run_stream(&j).await;
    let flat: Vec<(String, &str)> = answers.into_iter().flatten().collect();
    let expect = [
        ("a1", "recorded"),
        ("r1", "recorded"),
        ("r2", "recorded"),
        ("n1", "recorded"),
        ("b1", "recorded"),
        ("b2", "conflict"),
        ("d1", "conflict"),
        ("x1", "recorded"),
        ("x2", "conflict"),
        ("r1", "duplicate"),
        ("c1", "recorded"),
    ];
    let got: Vec<(&str, &str)> = flat.iter().map(|(i, r)| (i.as_str(), *r)).collect();
    assert_eq!(got, expect);
    let live = j.read(summary_json).await.expect("read");
    // A second journal on the same database (another process, or a restart) replays the log.
    let again = open(store).await;
    let replayed = again.read(summary_json).await.expect("read");
    assert_eq!(live, replayed, "replaying the log rebuilds the same state");
    // The second version of b2 stands: RF-001 is on bus-02.
    let w = again.read(|l| l.whereabouts("RF-001")).await.expect("read").expect("known");
    assert_eq!(w.vehicle.as_deref(), Some("bus-02"));
    live
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_replay_rebuilds_the_state() {
    let dir = tempfile::tempdir().expect("temp");
    replay_equals_live(Store::open_dir(dir.path()).await.expect("store")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replay_rebuilds_the_state() {
    replay_equals_live(new_postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_agree_on_the_same_stream() {
    let dir = tempfile::tempdir().expect("temp");
    let a = replay_equals_live(Store::open_dir(dir.path()).await.expect("store")).await;
    let b = replay_equals_live(new_postgres().await).await;
    assert_eq!(a, b);
}

async fn concurrent_appends(store: Store) {
    let j = open(store.clone()).await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let j = j.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for n in 0..25 {
                let id = format!("t{t}-{n}");
                let e = ev(&id, "registered", "1h", serde_json::json!({"household": format!("N-{t}-{n}"), "site": "Old mill", "people": 1}));
                let a = j.submit(vec![e.clone(), e], "test").await.expect("commit");
                assert_eq!(a[0].result, "recorded");
                assert_eq!(a[1].result, "duplicate");
                ok += 1;
            }
            ok
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    assert_eq!(total, 200);
    let rows = store.event_rows().await.expect("rows");
    assert_eq!(rows.len(), 200);
    let seqs: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(seqs, (1..=200).collect::<Vec<i64>>(), "gapless, in commit order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_appends_are_gapless_and_once() {
    let dir = tempfile::tempdir().expect("temp");
    concurrent_appends(Store::open_dir(dir.path()).await.expect("store")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_appends_are_gapless_and_once() {
    concurrent_appends(new_postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(dir.path().join(corridor_store::DB_FILE), b"this is not a database, it was truncated").expect("write");
    let e = Store::open_dir(dir.path()).await.expect_err("refused");
    let m = e.to_string();
    assert!(m.contains("restore it from a backup"), "{m}");
}
