//! The event log with group commit, and the live state folded from it.
//!
//! Writes go through one writer task per process. It takes every batch that is
//! waiting, opens one transaction under the database's write lock (SQLite's
//! `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), first folds any events other
//! processes appended since it last looked, judges the new events in order,
//! inserts them and commits. Only after the commit returns (on disk: WAL with
//! full synchronous commits, or PostgreSQL's durable commit) does any client
//! hear "recorded"; concurrent requests share that one commit.

use std::sync::Arc;

use corridor_core::Plan;
use corridor_ops::{Event, EventIn, LiveState, Personal, Verdict, What};
use sqlx::{QueryBuilder, Row};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::users::AuditEntry;
use crate::{Db, Keyring, Result, Store, StoreError, day_of, now_ms, on_pool};

/// One event of a request, as the server hands it over: parsed, or already
/// known to be malformed (so the answers keep the request's order).
#[derive(Clone, Debug)]
pub enum Submitted {
    /// Parsed against the scenario.
    Event(Box<(EventIn, Event)>),
    /// A registration with personal fields: they are stored encrypted, apart from the log.
    Registration(Box<(EventIn, Event, Personal)>),
    /// Malformed: answered `rejected` with this message, never stored.
    Malformed {
        /// The event's id, where it had one.
        id: String,
        /// What to fix.
        message: String,
    },
}

/// The answer for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The client's id.
    pub id: String,
    /// `recorded`, `duplicate`, `conflict` or `rejected`.
    pub result: &'static str,
    /// What happened, or what to fix.
    pub message: String,
}

/// Parses a stored plan file into a plan (the caller's reader: only the formats crate reads plan files).
pub type PlanReader = Arc<dyn Fn(&str) -> std::result::Result<Plan, String> + Send + Sync>;

struct Cache {
    live: LiveState,
    seq: i64,
    /// A failed commit may have left events in `live` that are not in the log: rebuild before use.
    stale: bool,
}

struct Inner {
    store: Store,
    keys: Option<Keyring>,
    base: LiveState,
    read_plan: PlanReader,
    cache: Mutex<Cache>,
}

struct Job {
    events: Vec<Submitted>,
    actor: String,
    /// Written in the same commit, its outcome filled in with the answers' counts.
    audit: Option<AuditEntry>,
    reply: oneshot::Sender<std::result::Result<Vec<Answer>, String>>,
}

/// The operation's log and its live state. Cheap to clone.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
    tx: mpsc::Sender<Job>,
}

/// Most events one commit takes: bounds the transaction and the lock time.
const GROUP_LIMIT: usize = 20_000;
/// Rows per INSERT statement.
const INSERT_CHUNK: usize = 500;

impl Journal {
    /// Opens the log over `base` (the registry and the plans, no events yet) and folds every stored event.
    pub async fn open(store: Store, base: LiveState, read_plan: PlanReader) -> Result<Journal> {
        Journal::open_with_keys(store, base, read_plan, None).await
    }

    /// As [`Journal::open`], with the key that seals registrations' personal fields.
    pub async fn open_with_keys(store: Store, mut base: LiveState, read_plan: PlanReader, keys: Option<Keyring>) -> Result<Journal> {
        // A damaged store is refused at the start, naming where it is.
        let location = store.location.clone();
        let named = move |e: StoreError| match e {
            StoreError::Corrupt(m) => StoreError::Corrupt(format!("{location}: {m}; restore it from a backup")),
            e => e,
        };
        for (id, text) in store.plans().await? {
            let plan = read_plan(&text).map_err(|e| named(StoreError::Corrupt(format!("stored plan {id}: {e}"))))?;
            base.add_plan(&id, Arc::new(plan));
        }
        let inner = Arc::new(Inner {
            cache: Mutex::new(Cache {
                live: base.clone(),
                seq: 0,
                stale: false,
            }),
            store,
            keys,
            base,
            read_plan,
        });
        {
            let mut c = inner.cache.lock().await;
            inner.catch_up(&mut c).await.map_err(named)?;
        }
        let (tx, rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(writer(inner.clone(), rx));
        Ok(Journal { inner, tx })
    }

    /// The store under the log.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The operation's registry (sites, households, fleet), fixed for the store's life:
    /// enough to parse events without reading the live state.
    pub fn scenario(&self) -> Arc<corridor_core::Scenario> {
        self.inner.base.scenario.clone()
    }

    /// The key that opens personal fields, when the journal has one.
    pub fn keys(&self) -> Option<&Keyring> {
        self.inner.keys.as_ref()
    }

    /// Appends a batch; answers in the batch's order once the commit is durable.
    /// `Err` means nothing of the batch was recorded (the database failed): retry.
    pub async fn submit(&self, events: Vec<Submitted>, actor: &str) -> std::result::Result<Vec<Answer>, String> {
        self.submit_audited(events, actor, None).await
    }

    /// As [`Journal::submit`], with an audit entry committed together with the events.
    pub async fn submit_audited(&self, events: Vec<Submitted>, actor: &str, audit: Option<AuditEntry>) -> std::result::Result<Vec<Answer>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                events,
                actor: actor.to_string(),
                audit,
                reply,
            })
            .await
            .map_err(|_| "the writer has stopped; restart the server".to_string())?;
        rx.await.map_err(|_| "the writer has stopped; restart the server".to_string())?
    }

    /// Reads the live state, brought up to the log's head first.
    pub async fn read<T>(&self, f: impl FnOnce(&LiveState) -> T) -> Result<T> {
        let mut c = self.inner.cache.lock().await;
        self.inner.catch_up(&mut c).await?;
        Ok(f(&c.live))
    }

    /// The parsed events of the log, in log order (for states at an instant and for checks).
    pub async fn events(&self) -> Result<Vec<Event>> {
        let rows = self.inner.store.event_rows().await?;
        let s = self.inner.base.scenario.clone();
        rows.into_iter()
            .map(|(seq, _, _, body)| parse_stored(seq, &body, &s))
            .collect()
    }

    /// A fresh fold of the registry and plans, without events (to replay part of the log).
    pub fn base(&self) -> LiveState {
        self.inner.base.clone()
    }

    /// Stores a plan and makes the fold know it.
    pub async fn add_plan(&self, id: &str, text: &str, by: &str) -> Result<()> {
        let plan = (self.inner.read_plan)(text).map_err(StoreError::Invalid)?;
        self.inner.store.add_plan(id, text, by).await?;
        let mut c = self.inner.cache.lock().await;
        c.live.add_plan(id, Arc::new(plan));
        Ok(())
    }
}

fn parse_stored(seq: i64, body: &str, s: &corridor_core::Scenario) -> Result<Event> {
    let raw: EventIn = serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("event #{seq}: {e}")))?;
    corridor_ops::parse(&raw, s, true).map_err(|e| StoreError::Corrupt(format!("event #{seq}: {e}")))
}

impl Inner {
    /// Folds the stored events after the cache's position (all of them after a failed commit).
    async fn catch_up(&self, c: &mut Cache) -> Result<()> {
        if c.stale {
            c.live = self.base.clone();
            c.seq = 0;
            c.stale = false;
            for (id, text) in self.store.plans().await? {
                if !c.live.has_plan(&id) {
                    let plan = (self.read_plan)(&text).map_err(|e| StoreError::Corrupt(format!("stored plan {id}: {e}")))?;
                    c.live.add_plan(&id, Arc::new(plan));
                }
            }
        }
        loop {
            let rows = self.store.events_after(c.seq, 50_000).await?;
            if rows.is_empty() {
                return Ok(());
            }
            self.fold(c, rows).await?;
        }
    }

    async fn fold(&self, c: &mut Cache, rows: Vec<(i64, String)>) -> Result<()> {
        for (seq, body) in rows {
            if seq != c.seq + 1 {
                return Err(StoreError::Corrupt(format!("event #{} is missing from the log", c.seq + 1)));
            }
            let e = parse_stored(seq, &body, &c.live.scenario)?;
            if let What::PlanActivated { plan } = &e.what
                && !c.live.has_plan(plan)
            {
                // Another process stored it: read it now.
                for (id, text) in self.store.plans().await? {
                    if &id == plan {
                        let p = (self.read_plan)(&text).map_err(|e| StoreError::Corrupt(format!("stored plan {id}: {e}")))?;
                        c.live.add_plan(&id, Arc::new(p));
                    }
                }
            }
            c.live.apply(&e);
            c.seq = seq;
        }
        Ok(())
    }

    /// One group commit. Returns the answers per job.
    async fn write_group(&self, jobs: &[Job]) -> Result<Vec<Vec<Answer>>> {
        let mut c = self.cache.lock().await;
        if c.stale {
            self.catch_up(&mut c).await?;
        }
        let result = match &self.store.db {
            Db::Sqlite(p) => {
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let rows = fetch_after(&mut tx, c.seq).await?;
                self.fold(&mut c, rows).await?;
                let (answers, new, personal) = judge(&mut c, jobs);
                insert_sqlite(&mut tx, &new).await?;
                if !personal.is_empty() {
                    let key = day_key_sqlite(&mut tx, self.keys.as_ref()).await?;
                    insert_personal_sqlite(&mut tx, &key, &personal).await?;
                }
                audit_sqlite(&mut tx, &audits(jobs, &answers)).await?;
                tx.commit().await?;
                answers
            }
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(7290514)").execute(&mut *tx).await?;
                let rows = fetch_after_pg(&mut tx, c.seq).await?;
                self.fold(&mut c, rows).await?;
                let (answers, new, personal) = judge(&mut c, jobs);
                insert_pg(&mut tx, &new).await?;
                if !personal.is_empty() {
                    let key = day_key_pg(&mut tx, self.keys.as_ref()).await?;
                    insert_personal_pg(&mut tx, &key, &personal).await?;
                }
                audit_pg(&mut tx, &audits(jobs, &answers)).await?;
                tx.commit().await?;
                answers
            }
        };
        Ok(result)
    }
}

/// A row to insert.
struct NewRow {
    seq: i64,
    id: String,
    kind: &'static str,
    body: String,
    actor: String,
    verdict: &'static str,
    message: String,
}

/// A registration's personal fields to seal: (event id, household, fields).
type PersonalNew = (String, String, Personal);

/// The audit entries of a group, each with the counts of its job's answers.
fn audits(jobs: &[Job], answers: &[Vec<Answer>]) -> Vec<AuditEntry> {
    jobs.iter()
        .zip(answers)
        .filter_map(|(j, a)| {
            let mut e = j.audit.clone()?;
            let n = |r: &str| a.iter().filter(|x| x.result == r).count();
            e.outcome = format!(
                "{} recorded, {} conflicts, {} duplicates, {} rejected",
                n("recorded"),
                n("conflict"),
                n("duplicate"),
                n("rejected")
            );
            Some(e)
        })
        .collect()
}

fn judge(c: &mut Cache, jobs: &[Job]) -> (Vec<Vec<Answer>>, Vec<NewRow>, Vec<PersonalNew>) {
    let mut personal = Vec::new();
    let mut rows = Vec::new();
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let mut answers = Vec::with_capacity(job.events.len());
        for s in &job.events {
            match s {
                Submitted::Malformed { id, message } => answers.push(Answer {
                    id: id.clone(),
                    result: "rejected",
                    message: message.clone(),
                }),
                Submitted::Event(_) | Submitted::Registration(_) => {
                    let (raw, e, p) = match s {
                        Submitted::Event(b) => (&b.0, &b.1, None),
                        Submitted::Registration(b) => (&b.0, &b.1, Some(&b.2)),
                        Submitted::Malformed { .. } => continue,
                    };
                    if c.live.has_event(&e.id) {
                        answers.push(Answer {
                            id: e.id.clone(),
                            result: "duplicate",
                            message: "this id was recorded before; nothing changes".into(),
                        });
                        continue;
                    }
                    let o = c.live.apply(e);
                    if o.verdict != Verdict::Rejected {
                        if let (Some(p), Some(h)) = (p, e.what.household()) {
                            personal.push((e.id.clone(), h.to_string(), p.clone()));
                        }
                        c.seq += 1;
                        rows.push(NewRow {
                            seq: c.seq,
                            id: e.id.clone(),
                            kind: e.what.kind(),
                            body: serde_json::to_string(raw).unwrap_or_default(),
                            actor: job.actor.clone(),
                            verdict: o.verdict.as_str(),
                            message: o.message.clone(),
                        });
                    }
                    answers.push(Answer {
                        id: e.id.clone(),
                        result: o.verdict.as_str(),
                        message: o.message,
                    });
                }
            }
        }
        out.push(answers);
    }
    (out, rows, personal)
}

macro_rules! fetch_after {
    ($name:ident, $conn:ty) => {
        /// Events after `seq`, read inside the writer's transaction.
        async fn $name(conn: &mut $conn, seq: i64) -> Result<Vec<(i64, String)>> {
            let rows = sqlx::query("SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq")
                .bind(seq)
                .fetch_all(conn)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
                .collect()
        }
    };
}
fetch_after!(fetch_after, sqlx::SqliteConnection);
fetch_after!(fetch_after_pg, sqlx::PgConnection);

macro_rules! insert_rows {
    ($name:ident, $db:ty, $tx:ty) => {
        async fn $name(tx: &mut $tx, rows: &[NewRow]) -> Result<()> {
            let received = now_ms();
            for chunk in rows.chunks(INSERT_CHUNK) {
                let mut q = QueryBuilder::<$db>::new(
                    "INSERT INTO events (seq, id, kind, body, actor, received_ms, verdict, message) ",
                );
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(r.seq)
                        .push_bind(r.id.as_str())
                        .push_bind(r.kind)
                        .push_bind(r.body.as_str())
                        .push_bind(r.actor.as_str())
                        .push_bind(received)
                        .push_bind(r.verdict)
                        .push_bind(r.message.as_str());
                });
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }
    };
}
insert_rows!(insert_sqlite, sqlx::Sqlite, sqlx::Transaction<'static, sqlx::Sqlite>);
insert_rows!(insert_pg, sqlx::Postgres, sqlx::Transaction<'static, sqlx::Postgres>);

macro_rules! extras {
    ($day_key:ident, $insert_personal:ident, $audit:ident, $db:ty, $tx:ty) => {
        /// Today's data key, created (and stored wrapped) on the day's first registration.
        async fn $day_key(tx: &mut $tx, keys: Option<&Keyring>) -> Result<[u8; 32]> {
            let keys = keys.ok_or_else(|| StoreError::Invalid("this server has no key file, so it cannot record personal fields".into()))?;
            let day = day_of(now_ms());
            let row = sqlx::query("SELECT wrapped FROM data_keys WHERE day = $1").bind(&day).fetch_optional(&mut **tx).await?;
            match row {
                Some(r) => keys.day_key(&day, &r.try_get::<Vec<u8>, _>(0)?),
                None => {
                    let (key, wrapped) = keys.new_day_key(&day)?;
                    sqlx::query("INSERT INTO data_keys (day, wrapped) VALUES ($1, $2)").bind(&day).bind(wrapped).execute(&mut **tx).await?;
                    Ok(key)
                }
            }
        }

        async fn $insert_personal(tx: &mut $tx, key: &[u8; 32], rows: &[PersonalNew]) -> Result<()> {
            let day = day_of(now_ms());
            for (id, household, p) in rows {
                let (nonce, sealed) = Keyring::seal_personal(key, id, p)?;
                sqlx::query("INSERT INTO personal (event_id, household, day, nonce, sealed) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(household).bind(&day).bind(nonce).bind(sealed)
                    .execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// A group's audit entries in multi-row statements: one round trip per chunk, not
        /// per request, which is what a group of a hundred single-event requests costs on PostgreSQL.
        async fn $audit(tx: &mut $tx, entries: &[AuditEntry]) -> Result<()> {
            for chunk in entries.chunks(AUDIT_CHUNK) {
                let ids = chunk.iter().map(|e| crate::users::audit_id(e.at_ms)).collect::<Result<Vec<String>>>()?;
                let mut q = QueryBuilder::<$db>::new("INSERT INTO audit (id, at_ms, actor, role, action, target, origin, outcome) ");
                q.push_values(chunk.iter().zip(&ids), |mut b, (e, id)| {
                    b.push_bind(id.as_str())
                        .push_bind(e.at_ms)
                        .push_bind(e.actor.as_str())
                        .push_bind(e.role.as_str())
                        .push_bind(e.action.as_str())
                        .push_bind(e.target.as_str())
                        .push_bind(e.origin.as_str())
                        .push_bind(e.outcome.as_str());
                });
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }
    };
}
/// Audit rows per statement: 8 parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535.
const AUDIT_CHUNK: usize = 1000;
extras!(day_key_sqlite, insert_personal_sqlite, audit_sqlite, sqlx::Sqlite, sqlx::Transaction<'static, sqlx::Sqlite>);
extras!(day_key_pg, insert_personal_pg, audit_pg, sqlx::Postgres, sqlx::Transaction<'static, sqlx::Postgres>);

async fn writer(inner: Arc<Inner>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut n = first.events.len();
        let mut jobs = vec![first];
        while n < GROUP_LIMIT {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.events.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        match inner.write_group(&jobs).await {
            Ok(answers) => {
                for (job, a) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(Ok(a));
                }
            }
            Err(e) => {
                // Nothing of the group is in the log; the fold may hold some of it.
                inner.cache.lock().await.stale = true;
                let message = describe(&e);
                for job in jobs {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
    on_pool!(&inner.store.db, p => p.close().await);
}

/// What a client hears when the store's disk is full.
pub const OUT_OF_SPACE: &str = "the store is out of space: nothing of this request was recorded; send it again once space is freed";

/// A database failure in words a client can act on (no SQL, no personal data).
fn describe(e: &StoreError) -> String {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if e.out_of_space() {
        OUT_OF_SPACE.into()
    } else if lower.contains("locked") || lower.contains("busy") {
        "the database is busy: nothing of this request was recorded; send it again".into()
    } else {
        "the database could not record this request (nothing of it was recorded); send it again shortly".into()
    }
}
