//! The HTTP API: thin handlers over the journal, one error type, authentication as an extractor.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use corridor_core::{Scenario, Seconds};
use corridor_ops::{LiveState, What};
use corridor_store::{AuditEntry, Journal, Role, Submitted, User, now_ms, verify_token};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use utoipa::OpenApi;

/// Largest request body.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// Most events in one request.
pub const MAX_BATCH: usize = 10_000;

/// What every handler shares.
pub struct App {
    /// The log and its fold.
    pub journal: Journal,
    /// Tokens already checked against their hash: token id → (the hash it matched, its secret).
    verified: Mutex<HashMap<String, (String, String)>>,
    /// Failed sign-ins per address in the current minute: (minute, count).
    failures: Mutex<HashMap<String, (i64, u32)>>,
    /// The active plan's rehearsal band, for the progress chart.
    pub(crate) rehearsals: Arc<crate::rehearsal::Rehearsals>,
}

/// Failed sign-ins an address may make per minute before it must wait.
const FAILURES_PER_MINUTE: u32 = 20;

impl App {
    /// The application over a journal.
    pub fn new(journal: Journal) -> Arc<App> {
        Arc::new(App {
            journal,
            verified: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            rehearsals: Arc::default(),
        })
    }

    fn failed_sign_in(&self, origin: &str) {
        let minute = now_ms() / 60_000;
        if let Ok(mut m) = self.failures.lock() {
            if m.len() > 10_000 {
                m.retain(|_, v| v.0 == minute);
            }
            let e = m.entry(origin.to_string()).or_insert((minute, 0));
            if e.0 != minute {
                *e = (minute, 0);
            }
            e.1 += 1;
        }
    }

    /// Audits a refused sign-in (never the token itself).
    async fn refusal(&self, actor: &str, role: &str, origin: &str, why: &str) {
        let _ = self
            .journal
            .store()
            .audit(&AuditEntry {
                at_ms: now_ms(),
                actor: actor.into(),
                role: role.into(),
                action: "authenticate".into(),
                target: String::new(),
                origin: origin.into(),
                outcome: format!("refused: {why}"),
            })
            .await;
    }

    fn too_many_failures(&self, origin: &str) -> bool {
        let minute = now_ms() / 60_000;
        self.failures
            .lock()
            .ok()
            .and_then(|m| m.get(origin).copied())
            .is_some_and(|(mm, n)| mm == minute && n >= FAILURES_PER_MINUTE)
    }
}

type AppState = Arc<App>;

/// An error a client can act on, as `{"error": "..."}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, m: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: m.into(),
        }
    }
    /// What the client is told.
    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
    fn bad(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m)
    }
    pub(crate) fn not_found(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, m)
    }
    fn unavailable(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, m)
    }
}

impl From<corridor_store::StoreError> for ApiError {
    fn from(e: corridor_store::StoreError) -> Self {
        // Database details stay in the server's log.
        eprintln!("store error: {e}");
        if e.out_of_space() {
            return ApiError::unavailable(corridor_store::OUT_OF_SPACE);
        }
        ApiError::unavailable("the database is not answering; nothing was changed; try again shortly")
    }
}

/// The error body.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong and what to fix.
    pub error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(ErrorBody { error: self.message })).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// A query string read like `axum`'s `Query`, refused as `400` with the error body.
pub(crate) struct Q<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Q(q))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("{}; GET /api/openapi.json describes the parameters", e.body_text())))
    }
}

/// Path segments read like `axum`'s `Path`, refused as `400` with the error body.
pub(crate) struct P<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| P(p))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("{}; check the address", e.body_text())))
    }
}

/// The authenticated caller.
pub(crate) struct Caller {
    /// The user.
    pub user: User,
    /// The client's address.
    pub origin: String,
}

fn origin_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let origin = origin_of(parts);
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, m);
        // Every refusal is audited, without the token; `counted` ones count towards the
        // address's failed sign-ins.
        let refuse = |why: &'static str, counted: bool| {
            if counted {
                app.failed_sign_in(&origin);
            }
            app.refusal("anonymous", "none", &origin, why)
        };
        let Some(h) = parts.headers.get(header::AUTHORIZATION) else {
            refuse("no token", false).await;
            return Err(unauthorized(
                "this route needs `Authorization: Bearer TOKEN`; `corridor users add` makes a token",
            ));
        };
        let Some(token) = h.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim) else {
            refuse("not a Bearer token", false).await;
            return Err(unauthorized("the Authorization header must be `Bearer TOKEN`"));
        };
        let Some((id, secret)) = token.split_once('.') else {
            refuse("malformed token", true).await;
            return Err(unauthorized("this token is malformed; a token looks like `0123abcd.…` as `corridor users add` printed it"));
        };
        let Some((user, hash)) = app.journal.store().token_user(id).await? else {
            refuse("unknown token", true).await;
            return Err(unauthorized("this token is not valid; ask a coordinator for a new one"));
        };
        // A token verified before (against the hash stored now) skips argon2: its secret is
        // compared in constant time.
        let cached = app
            .verified
            .lock()
            .ok()
            .and_then(|m| m.get(id).cloned())
            .is_some_and(|(h, s)| h == hash && bool::from(s.as_bytes().ct_eq(secret.as_bytes())));
        if !cached {
            // The limit guards argon2's work: tokens already verified keep working, so one
            // device with a wrong token does not lock out the others behind the same address.
            if app.too_many_failures(&origin) {
                refuse("too many failed sign-ins from this address", false).await;
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many failed sign-ins from this address; wait a minute and use a valid token",
                ));
            }
            let (s, h) = (secret.to_string(), hash.clone());
            let ok = tokio::task::spawn_blocking(move || verify_token(&s, &h)).await.unwrap_or(false);
            if !ok {
                refuse("wrong token", true).await;
                return Err(unauthorized("this token is not valid; ask a coordinator for a new one"));
            }
            if let Ok(mut m) = app.verified.lock() {
                if m.len() > 10_000 {
                    m.clear();
                }
                m.insert(id.to_string(), (hash, secret.to_string()));
            }
        }
        if user.revoked_ms.is_some() {
            app.refusal(&user.name, user.role.as_str(), &origin, "revoked token").await;
            return Err(unauthorized(format!("the token of `{}` was revoked; ask a coordinator for a new one", user.name).as_str()));
        }
        if user.expires_ms.is_some_and(|e| e <= now_ms()) {
            app.refusal(&user.name, user.role.as_str(), &origin, "expired token").await;
            return Err(unauthorized(format!("the token of `{}` has expired; ask a coordinator for a new one", user.name).as_str()));
        }
        Ok(Caller { user, origin })
    }
}

impl Caller {
    /// An audit entry for what this caller does.
    pub(crate) fn entry(&self, action: &str, target: &str) -> AuditEntry {
        AuditEntry {
            at_ms: now_ms(),
            actor: self.user.name.clone(),
            role: self.user.role.as_str().into(),
            action: action.into(),
            target: target.into(),
            origin: self.origin.clone(),
            outcome: "ok".into(),
        }
    }

    /// Records a read of personal data (or of the audit log); a failure to record refuses the read.
    pub(crate) async fn audit_read(&self, app: &App, action: &str, target: &str) -> Result<(), ApiError> {
        app.journal.store().audit(&self.entry(action, target)).await?;
        Ok(())
    }

    async fn forbid(&self, app: &App, action: &str, target: &str, why: String) -> ApiError {
        let _ = app
            .journal
            .store()
            .audit(&AuditEntry {
                at_ms: now_ms(),
                actor: self.user.name.clone(),
                role: self.user.role.as_str().into(),
                action: action.into(),
                target: target.into(),
                origin: self.origin.clone(),
                outcome: format!("refused: {why}"),
            })
            .await;
        ApiError::new(StatusCode::FORBIDDEN, why)
    }

    pub(crate) async fn require(&self, app: &App, roles: &[Role], action: &str, target: &str) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(self
            .forbid(
                app,
                action,
                target,
                format!("a {} may not {action}; this needs the role {}", self.user.role.as_str(), names.join(" or ")),
            )
            .await)
    }
}

/// `GET /api/health`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// Always true when the server answers.
    pub ok: bool,
    /// The operation's scenario.
    pub scenario: String,
    /// Events in the log.
    pub events: u64,
}

#[utoipa::path(get, path = "/api/health", responses((status = 200, body = Health)))]
async fn health(State(app): State<AppState>) -> ApiResult<Health> {
    let (scenario, events) = app.journal.read(|l| (l.scenario.name.clone(), l.events)).await?;
    Ok(Json(Health {
        ok: true,
        scenario,
        events,
    }))
}

/// Who the token belongs to.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Me {
    /// User name.
    pub name: String,
    /// Role.
    pub role: String,
    /// A registrar's site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// A driver's vehicle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// Only when the operation runs on an accelerated clock (`corridor demo`): the
    /// operation's time now and how many times faster than the wall clock it runs, so
    /// that devices stamp their events on the operation's clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<OperationClock>,
}

/// An accelerated operation clock, as devices need it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct OperationClock {
    /// The operation's time now (ISO 8601 with offset, or a duration from the start).
    pub now: String,
    /// Seconds of operation time per second of wall time.
    pub speed: u32,
}

#[utoipa::path(get, path = "/api/me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("token" = [])))]
async fn me(State(app): State<AppState>, caller: Caller) -> ApiResult<Me> {
    let clock = match crate::clock::accelerated() {
        Some((now, speed)) => Some(OperationClock {
            now: app.journal.read(|l| corridor_ops::iso(&l.scenario, now)).await?,
            speed,
        }),
        None => None,
    };
    Ok(Json(Me {
        name: caller.user.name,
        role: caller.user.role.as_str().into(),
        site: caller.user.site,
        vehicle: caller.user.vehicle,
        clock,
    }))
}

/// One event's answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventResult {
    /// The client's id.
    pub id: String,
    /// `recorded`, `duplicate`, `conflict` or `rejected`.
    pub result: String,
    /// What happened, or what to fix.
    pub message: String,
}

/// `POST /api/events`' answer, in the order sent.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventResults {
    /// Per event.
    pub results: Vec<EventResult>,
}

/// Checks that the caller's role may send this event; `Err` says why not. Only a
/// registrar's check needs `live` (the households' sites); the others need the registry only.
fn may_send(user: &User, s: &Scenario, live: Option<&LiveState>, e: &corridor_ops::Event) -> Result<(), String> {
    let kind = e.what.kind();
    match user.role {
        Role::Coordinator => Ok(()),
        Role::Monitor => Err("a monitor reads aggregates only and sends no events".into()),
        Role::Registrar => {
            if !matches!(e.what, What::Registered { .. } | What::Boarded { .. } | What::NoShow { .. } | What::Stayed { .. } | What::Split { .. }) {
                return Err(format!("a registrar may not send `{kind}` events (event `{}`)", e.id));
            }
            let Some(live) = live else {
                return Err("a registrar's events are checked against the live state, which was not read".into());
            };
            let site = user.site.as_deref().unwrap_or("");
            match live.site_of(e) {
                Some(x) if s.site(x).name == site => Ok(()),
                Some(x) => Err(format!(
                    "event `{}` concerns {}, and this registrar acts at {site} only",
                    e.id,
                    s.site(x).name
                )),
                None => Ok(()),
            }
        }
        Role::Driver => {
            let mine = user.vehicle.as_deref().unwrap_or("");
            let ok_kind = matches!(
                e.what,
                What::Boarded { .. } | What::Departed { .. } | What::Checkpoint { .. } | What::Arrived { .. } | What::VehicleOutOfService { .. }
            );
            match e.what.vehicle() {
                Some(v) if ok_kind && s.vehicle(v).name == mine => Ok(()),
                _ => Err(format!("event `{}`: a driver sends the movements of {mine} only", e.id)),
            }
        }
    }
}

/// Parses a request's events and checks that the caller may send them; `Err` says why not.
fn check_events(user: &User, s: &Scenario, live: Option<&LiveState>, items: Vec<Value>) -> Result<Vec<Submitted>, String> {
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        let id = corridor_ops::id_of(&v);
        let parsed = corridor_ops::read_event(v).and_then(|raw| corridor_ops::parse(&raw, s, false).map(|e| (raw, e)));
        match parsed {
            Err(message) => out.push(Submitted::Malformed { id, message }),
            Ok((mut raw, e)) => {
                may_send(user, s, live, &e)?;
                // The log keeps what the device sent, without its personal fields.
                match raw.take_personal() {
                    Some(p) => out.push(Submitted::Registration(Box::new((raw, e, p)))),
                    None => out.push(Submitted::Event(Box::new((raw, e)))),
                }
            }
        }
    }
    Ok(out)
}

#[utoipa::path(post, path = "/api/events",
    request_body(content = Vec<corridor_ops::EventIn>, description = "One event or an array of events"),
    responses((status = 200, body = EventResults), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("token" = [])))]
async fn post_events(State(app): State<AppState>, caller: Caller, body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>) -> ApiResult<EventResults> {
    // A monitor writes nothing, not even a rejected event or an empty batch.
    caller.require(&app, &[Role::Coordinator, Role::Registrar, Role::Driver], "send events", "").await?;
    // Any content type: field devices and curl do not always say JSON.
    let body = body.map_err(|e| ApiError::new(e.status(), format!("cannot read the body: {}; at most {MAX_BODY} bytes per request", e.body_text())))?;
    let items = corridor_ops::events_of_body(&body, MAX_BATCH).map_err(|e| match e {
        corridor_ops::BodyError::Malformed(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
        corridor_ops::BodyError::TooMany(m) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, m),
    })?;
    let user = caller.user.clone();
    // Parsing needs only the registry. Reading the live state means bringing it up to the
    // log's head first (a database round trip under the fold's lock, which the writer holds
    // through its commits), so only a registrar's site check pays for it; the writer judges
    // every event against the head of the log in any case.
    let checked = if user.role == Role::Registrar {
        app.journal.read(move |live| check_events(&user, &live.scenario, Some(live), items)).await?
    } else {
        check_events(&user, &app.journal.scenario(), None, items)
    };
    let submitted = match checked {
        Ok(s) => s,
        Err(why) => return Err(caller.forbid(&app, "send events", "", format!("{why}; nothing of this request was recorded")).await),
    };
    let audit = caller.entry("send events", &format!("{} events", submitted.len()));
    let answers = app
        .journal
        .submit_audited(submitted, &caller.user.name, Some(audit))
        .await
        .map_err(ApiError::unavailable)?;
    Ok(Json(EventResults {
        results: answers
            .into_iter()
            .map(|a| EventResult {
                id: a.id,
                result: a.result.into(),
                message: a.message,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/manifests/{vehicle}", params(("vehicle" = String, Path, description = "Vehicle name", example = "bus-01")),
    responses((status = 200, body = corridor_ops::Manifest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
async fn manifest(State(app): State<AppState>, caller: Caller, P(vehicle): P<String>) -> ApiResult<corridor_ops::Manifest> {
    match caller.user.role {
        Role::Coordinator => {}
        Role::Driver if caller.user.vehicle.as_deref() == Some(vehicle.as_str()) => {}
        Role::Driver => {
            let why = format!("a driver reads the manifest of {} only", caller.user.vehicle.as_deref().unwrap_or("their vehicle"));
            return Err(caller.forbid(&app, "read a manifest", &vehicle, why).await);
        }
        _ => caller.require(&app, &[Role::Coordinator, Role::Driver], "read a manifest", &vehicle).await?,
    }
    let m = app.journal.read(|l| l.vehicle_id(&vehicle).map(|v| l.manifest(v))).await?;
    m.map(Json).ok_or_else(|| ApiError::not_found(format!("no vehicle named `{vehicle}` in the operation")))
}

/// One line per vehicle.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ManifestIndex {
    /// Vehicles with their planned and boarded people.
    pub vehicles: Vec<ManifestIndexRow>,
}

/// A vehicle's totals.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ManifestIndexRow {
    /// Vehicle.
    pub vehicle: String,
    /// Trips planned or recorded.
    pub trips: u32,
    /// People planned.
    pub planned_people: u32,
    /// People boarded.
    pub boarded_people: u32,
    /// Each trip in one line, for the coordinator's live list of trips per vehicle.
    pub schedule: Vec<TripLine>,
}

/// One trip of a vehicle, as the coordinator's trips list shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TripLine {
    /// Trip number from 1.
    pub trip: u32,
    /// `to_come`, `boarding` (someone is on board, not departed), `under_way` or `arrived`.
    pub state: &'static str,
    /// Planned departure (absent for trips outside the plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departs: Option<String>,
    /// Planned destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Planned arrival.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrives: Option<String>,
    /// People planned.
    pub planned_people: u32,
    /// People boarded.
    pub boarded_people: u32,
    /// When it departed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departed_at: Option<String>,
    /// When it arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<String>,
}

impl TripLine {
    fn of(t: &corridor_ops::ManifestTrip) -> TripLine {
        let state = if t.arrived_at.is_some() {
            "arrived"
        } else if t.departed_at.is_some() {
            "under_way"
        } else if t.boarded_people > 0 {
            "boarding"
        } else {
            "to_come"
        };
        TripLine {
            trip: t.trip,
            state,
            departs: t.departs.clone(),
            destination: t.destination.clone(),
            arrives: t.arrives.clone(),
            planned_people: t.planned_people,
            boarded_people: t.boarded_people,
            departed_at: t.departed_at.clone(),
            arrived_at: t.arrived_at.clone(),
        }
    }
}

#[utoipa::path(get, path = "/api/manifests", responses((status = 200, body = ManifestIndex), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("token" = [])))]
async fn manifests(State(app): State<AppState>, caller: Caller) -> ApiResult<ManifestIndex> {
    caller.require(&app, &[Role::Coordinator], "list manifests", "").await?;
    let rows = app
        .journal
        .read(|l| {
            (0..l.scenario.vehicles.len())
                .map(|i| {
                    let m = l.manifest(corridor_core::VehicleId(i as u32));
                    ManifestIndexRow {
                        trips: m.trips.len() as u32,
                        planned_people: m.trips.iter().map(|t| t.planned_people).sum(),
                        boarded_people: m.trips.iter().map(|t| t.boarded_people).sum(),
                        schedule: m.trips.iter().map(TripLine::of).collect(),
                        vehicle: m.vehicle,
                    }
                })
                .collect()
        })
        .await?;
    Ok(Json(ManifestIndex { vehicles: rows }))
}

#[utoipa::path(get, path = "/api/timetables/{site}", params(("site" = String, Path, description = "Gathering point name", example = "Market square")),
    responses((status = 200, body = corridor_ops::Timetable), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
async fn timetable(State(app): State<AppState>, caller: Caller, P(site): P<String>) -> ApiResult<corridor_ops::Timetable> {
    match caller.user.role {
        Role::Coordinator => {}
        Role::Registrar if caller.user.site.as_deref() == Some(site.as_str()) => {}
        Role::Registrar => {
            let why = format!("a registrar reads the timetable of {} only", caller.user.site.as_deref().unwrap_or("their site"));
            return Err(caller.forbid(&app, "read a timetable", &site, why).await);
        }
        _ => caller.require(&app, &[Role::Coordinator, Role::Registrar], "read a timetable", &site).await?,
    }
    let t = app
        .journal
        .read(|l| {
            l.site_id(&site)
                .filter(|&s| matches!(l.scenario.site(s).kind, corridor_core::SiteKind::Pickup))
                .map(|s| l.timetable(s))
        })
        .await?;
    t.map(Json).ok_or_else(|| ApiError::not_found(format!("no gathering point named `{site}` in the operation")))
}

/// `?at=` for views that measure ages.
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct AtQuery {
    /// The instant to measure at (ISO 8601 with offset, or a duration from the start); default now.
    pub at: Option<String>,
}

pub(crate) fn now_in(l: &LiveState) -> Seconds {
    if let Some(t) = crate::clock::accelerated_now() {
        return t;
    }
    match &l.scenario.clock {
        Some(c) => c.since_start(now_ms() / 1000),
        None => l.latest.unwrap_or(Seconds::ZERO),
    }
}

fn instant(l: &LiveState, at: &Option<String>) -> Result<Seconds, String> {
    match at {
        None => Ok(now_in(l)),
        Some(t) => corridor_formats::parse_instant(t, l.scenario.clock.as_ref()).map_err(|e| format!("`at`: {e}")),
    }
}

#[utoipa::path(get, path = "/api/reconciliation", params(AtQuery),
    responses((status = 200, body = corridor_ops::Reconciliation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
async fn reconciliation(State(app): State<AppState>, caller: Caller, Q(q): Q<AtQuery>) -> ApiResult<corridor_ops::Reconciliation> {
    caller.require(&app, &[Role::Coordinator], "read the reconciliation", "").await?;
    let r = app.journal.read(|l| instant(l, &q.at).map(|t| l.reconciliation(t))).await?;
    r.map(Json).map_err(ApiError::bad)
}

/// `?all=true` also lists resolved conflicts.
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ConflictQuery {
    /// Include resolved conflicts.
    pub all: Option<bool>,
}

/// Conflicts, open first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Conflicts {
    /// The list.
    pub conflicts: Vec<corridor_ops::ConflictView>,
}

#[utoipa::path(get, path = "/api/conflicts", params(ConflictQuery),
    responses((status = 200, body = Conflicts), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = [])))]
async fn conflicts(State(app): State<AppState>, caller: Caller, Q(q): Q<ConflictQuery>) -> ApiResult<Conflicts> {
    caller.require(&app, &[Role::Coordinator], "read conflicts", "").await?;
    let c = app.journal.read(|l| l.conflict_list(q.all.unwrap_or(false))).await?;
    Ok(Json(Conflicts { conflicts: c }))
}

#[utoipa::path(get, path = "/api/households/{reference}", params(("reference" = String, Path, description = "Household reference", example = "H-0001")),
    responses((status = 200, body = HouseholdView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
async fn household(State(app): State<AppState>, caller: Caller, P(reference): P<String>) -> ApiResult<HouseholdView> {
    caller.require(&app, &[Role::Coordinator, Role::Registrar], "look up a household", "").await?;
    let w = app.journal.read(|l| l.whereabouts(&reference)).await?;
    let Some(w) = w else {
        caller.audit_read(&app, "look up a household", "not found").await?;
        return Err(ApiError::not_found("no household with this reference in the operation; check the reference on the card"));
    };
    // A registrar acts on their own site only: a refusal, logged like every other, and
    // without the other site's name or anything else about the household.
    if caller.user.role == Role::Registrar && caller.user.site.as_deref() != Some(w.site.as_str()) {
        let why = format!("a registrar looks up the households of {} only", caller.user.site.as_deref().unwrap_or("their site"));
        return Err(caller.forbid(&app, "look up a household", &reference, why).await);
    }
    caller.audit_read(&app, "look up a household", &w.household).await?;
    let personal = match (caller.user.role, app.journal.keys()) {
        (Role::Coordinator, Some(k)) => app.journal.store().personal_rows(k, Some(&w.household)).await?.pop().map(|r| r.personal),
        _ => None,
    };
    Ok(Json(HouseholdView { whereabouts: w, personal }))
}

/// A household's whereabouts and, for coordinators, the personal fields its registration recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct HouseholdView {
    #[serde(flatten)]
    whereabouts: corridor_ops::Whereabouts,
    /// Name, phone and note, where the registration recorded them (coordinators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    personal: Option<corridor_ops::Personal>,
}

/// `?name=` for a family-links search.
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct NameQuery {
    /// At least three characters of a recorded name (case does not matter).
    #[param(min_length = 3, example = "Haddad")]
    pub name: Option<String>,
}

/// At most this many households answer a name search: an enquiry, not a list.
const NAME_MATCHES: usize = 5;

/// Matches of a name search.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct NameMatches {
    /// At most five households.
    pub households: Vec<HouseholdView>,
    /// Whether more households matched than are shown (ask with more of the name).
    pub more: bool,
}

#[utoipa::path(get, path = "/api/households", params(NameQuery),
    responses((status = 200, body = NameMatches), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
async fn households(State(app): State<AppState>, caller: Caller, Q(q): Q<NameQuery>) -> ApiResult<NameMatches> {
    caller.require(&app, &[Role::Coordinator], "search households by name", "").await?;
    let name = q.name.unwrap_or_default();
    let needle = name.trim().to_lowercase();
    if needle.chars().count() < 3 {
        return Err(ApiError::bad("give `name` with at least three characters; households are answered one enquiry at a time, never listed"));
    }
    caller.audit_read(&app, "search households by name", &format!("{} characters", needle.chars().count())).await?;
    let Some(keys) = app.journal.keys() else {
        return Ok(Json(NameMatches { households: Vec::new(), more: false }));
    };
    let rows = app.journal.store().personal_rows(keys, None).await?;
    let mut latest: std::collections::BTreeMap<String, corridor_ops::Personal> = std::collections::BTreeMap::new();
    for r in rows {
        latest.insert(r.household, r.personal);
    }
    let hits: Vec<(String, corridor_ops::Personal)> = latest
        .into_iter()
        .filter(|(_, p)| p.name.as_ref().is_some_and(|n| n.to_lowercase().contains(&needle)))
        .collect();
    let more = hits.len() > NAME_MATCHES;
    let found = app
        .journal
        .read(|l| {
            hits.into_iter()
                .take(NAME_MATCHES)
                .filter_map(|(h, p)| l.whereabouts(&h).map(|w| HouseholdView { whereabouts: w, personal: Some(p) }))
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(NameMatches { households: found, more }))
}

/// `GET /api/audit` paging.
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct AuditQuery {
    /// Skip this many entries (oldest first).
    pub offset: Option<i64>,
    /// At most this many (default 1000, at most 10000).
    pub limit: Option<i64>,
}

/// One audit entry.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditView {
    /// When, by the server's clock (UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// Their role.
    pub role: String,
    /// What they did or tried.
    pub action: String,
    /// On what.
    pub target: String,
    /// From where.
    pub origin: String,
    /// `ok`, counts, or `refused: …`.
    pub outcome: String,
}

/// A page of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditPage {
    /// Entries, oldest first.
    pub entries: Vec<AuditView>,
}

/// `2026-12-03T14:05:09.123Z`.
pub(crate) fn utc(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = corridor_core::civil_from_days(days);
    let s = rest / 1000;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, s / 60 % 60, s % 60, rest % 1000)
}

#[utoipa::path(get, path = "/api/audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = [])))]
async fn audit(State(app): State<AppState>, caller: Caller, Q(q): Q<AuditQuery>) -> ApiResult<AuditPage> {
    caller.require(&app, &[Role::Coordinator], "read the audit log", "").await?;
    caller.audit_read(&app, "read the audit log", "").await?;
    let rows = app
        .journal
        .store()
        .audit_log(q.offset.unwrap_or(0).max(0), q.limit.unwrap_or(1000).clamp(1, 10_000))
        .await?;
    Ok(Json(AuditPage {
        entries: rows
            .into_iter()
            .map(|e| AuditView {
                at: utc(e.at_ms),
                actor: e.actor,
                role: e.role,
                action: e.action,
                target: e.target,
                origin: e.origin,
                outcome: e.outcome,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/summary",
    responses((status = 200, body = corridor_ops::Summary), (status = 401, body = ErrorBody)),
    security(("token" = [])))]
async fn summary(State(app): State<AppState>, _caller: Caller) -> ApiResult<corridor_ops::Summary> {
    Ok(Json(app.journal.read(|l| l.summary()).await?))
}

/// Vehicle positions.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Vehicles {
    /// One per vehicle.
    pub vehicles: Vec<corridor_ops::VehiclePosition>,
}

#[utoipa::path(get, path = "/api/vehicles",
    responses((status = 200, body = Vehicles), (status = 401, body = ErrorBody)),
    security(("token" = [])))]
async fn vehicles(State(app): State<AppState>, _caller: Caller) -> ApiResult<Vehicles> {
    Ok(Json(Vehicles {
        vehicles: app.journal.read(|l| l.positions()).await?,
    }))
}

#[utoipa::path(get, path = "/api/plan",
    responses((status = 200, description = "The active plan, in the plan file format (docs/formats.md)", body = Object, content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = [])))]
async fn plan(State(app): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(&app, &[Role::Coordinator], "read the active plan", "").await?;
    let text = app
        .journal
        .read(|l| l.active.as_ref().map(|a| corridor_formats::write_plan(&l.scenario, &a.plan)))
        .await?;
    let text = text.ok_or_else(|| ApiError::not_found("the operation has no active plan"))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

#[utoipa::path(get, path = "/api/state", params(AtQuery),
    responses((status = 200, description = "The state file (docs/formats.md) from the events no later than `at`", body = Object, content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("token" = [])))]
async fn state(State(app): State<AppState>, caller: Caller, Q(q): Q<AtQuery>) -> Result<Response, ApiError> {
    caller.require(&app, &[Role::Coordinator], "read the state", "").await?;
    let text = crate::state_file_at(&app.journal, q.at.as_deref()).await.map_err(ApiError::bad)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// `GET /api/events` paging.
#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct LogQuery {
    /// Events after this position in the log (default 0).
    pub after: Option<i64>,
    /// At most this many (default 1000, at most 10000).
    pub limit: Option<i64>,
}

/// A page of the log.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LogPage {
    /// Events, each with its position `seq`.
    pub events: Vec<Value>,
}

#[utoipa::path(get, path = "/api/events", params(LogQuery),
    responses((status = 200, body = LogPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("token" = [])))]
async fn log(State(app): State<AppState>, caller: Caller, Q(q): Q<LogQuery>) -> ApiResult<LogPage> {
    caller.require(&app, &[Role::Coordinator], "read the event log", "").await?;
    let rows = app
        .journal
        .store()
        .events_after(q.after.unwrap_or(0).max(0), q.limit.unwrap_or(1000).clamp(1, 10_000))
        .await?;
    let events = rows
        .into_iter()
        .map(|(seq, body)| {
            let mut v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("seq".into(), json!(seq));
            }
            v
        })
        .collect();
    Ok(Json(LogPage { events }))
}

struct TokenScheme;

impl utoipa::Modify for TokenScheme {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme("token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The answers every route of a kind can give, added to each so the document says all a
/// client may get: `400` where the route takes parameters (one that does not read),
/// `401` and `429` where it needs a token, `503` where it reads the store.
struct CommonAnswers;

impl utoipa::Modify for CommonAnswers {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build()
        };
        for (path, item) in api.paths.paths.iter_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                let answers = &mut op.responses.responses;
                let mut add = |code: &str, what: &str| {
                    answers.entry(code.to_string()).or_insert_with(|| error(what).into());
                };
                if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    add("400", "A parameter does not read (a number that is not one, a path that is not UTF-8)");
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "No token, or a malformed, unknown, wrong, revoked or expired one");
                    add("429", "Too many failed sign-ins from this address in this minute, and this token is not yet verified");
                }
                if path.starts_with("/api/") && path != "/api/openapi.json" {
                    add("503", "The database is not answering; nothing was changed; try again shortly");
                }
            }
        }
    }
}

/// The API's OpenAPI document, generated from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(title = "Corridor operations API", description = "Field events, manifests, reconciliation and aggregates of one evacuation operation. Every route but /api/health needs `Authorization: Bearer TOKEN`."),
    paths(crate::web::index, crate::web::login, crate::web::asset_file, health, me, post_events, log, manifests, manifest, timetable, reconciliation, conflicts, household, households, audit, summary, vehicles, plan, state, openapi, crate::replan::replan, crate::replan::plans, crate::replan::activate_plan, crate::web::stream, crate::web::map, crate::web::progress, crate::web::explanation),
    modifiers(&TokenScheme, &CommonAnswers)
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "This document", body = Object, content_type = "application/json"), (status = 401, body = ErrorBody)), security(("token" = [])))]
async fn openapi(_caller: Caller) -> Response {
    let text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

async fn fallback() -> ApiError {
    ApiError::not_found("no such route; GET /api/openapi.json lists them")
}

/// The router.
pub fn router(app: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/me", get(me))
        .route("/api/events", post(post_events).get(log))
        .route("/api/manifests", get(manifests))
        .route("/api/manifests/{vehicle}", get(manifest))
        .route("/api/timetables/{site}", get(timetable))
        .route("/api/reconciliation", get(reconciliation))
        .route("/api/conflicts", get(conflicts))
        .route("/api/households", get(households))
        .route("/api/households/{reference}", get(household))
        .route("/api/audit", get(audit))
        .route("/api/summary", get(summary))
        .route("/api/vehicles", get(vehicles))
        .route("/api/plan", get(plan))
        .route("/api/state", get(state))
        .route("/api/openapi.json", get(openapi))
        .merge(crate::replan::routes())
        .merge(crate::web::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(|| async { ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "this route does not take that method; GET /api/openapi.json lists the routes") })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}
