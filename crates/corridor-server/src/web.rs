//! The browser front end: the pages and their assets (built from `web/` and
//! embedded in the binary by `build.rs`), signing in with a link, the live
//! stream of log changes (server-sent events), and the map's and the progress
//! chart's data. None of these routes carries a household reference, so every
//! role may read them.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use corridor_core::{Seconds, SiteKind};
use corridor_ops::LiveState;
use serde_json::{Value, json};

use crate::http::{App, ApiError, Caller, P};

/// The built front end: (file name, bytes, content type).
static ASSETS: &[(&str, &[u8], &str)] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The cookie that carries a browser's token to the routes an `EventSource` calls.
const COOKIE: &str = "corridor_token";

fn asset(name: &str) -> Option<(&'static [u8], &'static str)> {
    ASSETS.iter().find(|a| a.0 == name).map(|a| (a.1, a.2))
}

/// The routes of the front end, merged into the API's router.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(index))
        .route("/login", get(login))
        .route("/assets/{file}", get(asset_file))
        .route("/api/stream", get(stream))
        .route("/api/map", get(map))
        .route("/api/progress", get(progress))
        .route("/api/plan/explanation", get(explanation))
}

fn page() -> Response {
    match asset("index.html") {
        Some((bytes, kind)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            ],
            bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "this build of corridor has no web front end").into_response(),
    }
}

#[utoipa::path(get, path = "/", responses((status = 200, description = "The web front end's page (the coordinator, registrar and monitor views)", body = String, content_type = "text/html")))]
pub(crate) async fn index() -> Response {
    page()
}

/// `/login?token=TOKEN`: the page stores the token and takes it out of the
/// address bar; the cookie set here lets the live stream authenticate.
#[utoipa::path(get, path = "/login", params(("token" = Option<String>, Query, description = "The token; the page stores it and takes it out of the address bar")),
    responses((status = 200, description = "The web front end's page; with a well-formed token it also sets the cookie the live stream reads", body = String, content_type = "text/html")))]
pub(crate) async fn login(axum::extract::RawQuery(q): axum::extract::RawQuery) -> Response {
    let token = q
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .unwrap_or("")
        .to_string();
    let mut r = page();
    // Only the token's own characters (hex and a dot) go into the header.
    if !token.is_empty() && token.len() <= 200 && token.chars().all(|c| c.is_ascii_hexdigit() || c == '.') {
        let cookie = format!("{COOKIE}={token}; Path=/api/; HttpOnly; SameSite=Strict; Max-Age=2592000");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    r
}

#[utoipa::path(get, path = "/assets/{file}", params(("file" = String, Path, description = "A file of the built front end, e.g. `app.js`", example = "app.js")),
    responses((status = 200, description = "The file", content(
        (String = "text/javascript"), (String = "text/css"), (String = "image/svg+xml"), (String = "image/png"), (String = "application/json"), (String = "application/octet-stream"))),
        (status = 400, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody)))]
pub(crate) async fn asset_file(P(file): P<String>) -> Response {
    match asset(&file) {
        Some((bytes, kind)) if file != "index.html" => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            bytes,
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, Json(json!({"error": "no such file"}))).into_response(),
    }
}

/// A caller authenticated by the `Authorization` header, or else by the
/// browser's cookie or `?token=` (an `EventSource` cannot send headers).
pub(crate) struct BrowserCaller;

impl FromRequestParts<Arc<App>> for BrowserCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            let from_query = parts
                .uri
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .map(str::to_string);
            let from_cookie = parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|kv| kv.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_string));
            if let Some(t) = from_query.or(from_cookie)
                && let Ok(v) = HeaderValue::from_str(&format!("Bearer {t}"))
            {
                parts.headers.insert(header::AUTHORIZATION, v);
            }
        }
        Caller::from_request_parts(parts, app).await.map(|_| BrowserCaller)
    }
}

/// One server-sent event of `GET /api/stream`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only described: the stream writes it as `event:` and `data:` lines
pub(crate) struct StreamEvent {
    /// Always `message`.
    event: String,
    /// A `StreamMessage` as JSON.
    #[schema(content_media_type = "application/json")]
    data: String,
}

/// What a `StreamEvent` carries.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct StreamMessage {
    /// Events in the log.
    pub events: u64,
    /// The latest event's time (ISO 8601).
    pub at: String,
}

/// `GET /api/stream`: server-sent events, one small JSON message
/// (`{"events": N, "at": "…"}`) at once and whenever the log grows.
#[utoipa::path(get, path = "/api/stream",
    params(("token" = Option<String>, Query, description = "The token, for clients that cannot send headers (EventSource); a browser signed in with /login sends a cookie instead")),
    responses((status = 200, description = "Server-sent events, one `StreamMessage` at once and another whenever the log grows", body = StreamEvent, content_type = "text/event-stream"), (status = 401, body = crate::http::ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn stream(State(app): State<Arc<App>>, _caller: BrowserCaller) -> impl IntoResponse {
    let s = futures_util::stream::unfold((app, None::<u64>), |(app, last)| async move {
        loop {
            if last.is_some() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let Ok((events, at)) = app
                .journal
                .read(|l| (l.events, corridor_ops::iso(&l.scenario, l.latest.unwrap_or(Seconds::ZERO))))
                .await
            else {
                // The database is not answering: stay quiet; the page shows the age of its data.
                continue;
            };
            if last != Some(events) {
                let msg = SseEvent::default().data(json!(StreamMessage { events, at }).to_string());
                return Some((Ok::<_, Infallible>(msg), (app, Some(events))));
            }
        }
    });
    let mut r = Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn point(lon: f64, lat: f64, props: Value) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
}

/// The operation's "now" for states that depend on time: the latest device time in the log.
fn op_now(l: &LiveState) -> Seconds {
    l.latest.unwrap_or(Seconds::ZERO)
}

/// A corridor's state at `now`: `open`, `closed` (by an incident), `between windows` or `no more windows`,
/// with the next window's start when there is one.
fn corridor_state(l: &LiveState, i: usize, now: Seconds) -> (String, Option<String>) {
    let s = &l.scenario;
    let c = &s.corridors[i];
    let next = c.windows.iter().filter(|w| w.start > now).map(|w| w.start).min();
    let next_text = next.map(|t| corridor_ops::iso(s, t));
    if l.corridors[i].closed.is_some() {
        return ("closed".into(), next_text);
    }
    if c.windows.is_empty() || c.windows.iter().any(|w| w.start <= now && now < w.end) {
        return ("open".into(), next_text);
    }
    if next.is_some() {
        ("between windows".into(), next_text)
    } else {
        ("no more windows".into(), None)
    }
}

/// The map's data: one GeoJSON feature collection.
fn map_of(l: &LiveState) -> Value {
    let s = &l.scenario;
    let now = op_now(l);
    let n = s.sites.len();
    let mut waiting = vec![[0u32; 3]; n];
    let mut expected = vec![0u32; n];
    let mut arrived = vec![0u32; n];
    for h in &l.households {
        let p = h.people.0;
        expected[h.site.index()] += p;
        if h.boarded.is_none() && h.arrived.is_none() && h.no_show.is_none() && h.stayed.is_none() {
            waiting[h.site.index()][h.tier.index()] += p;
        }
        if let Some((d, _)) = h.arrived {
            arrived[d.index()] += p;
        }
    }
    let mut features = Vec::new();
    for (i, site) in s.sites.iter().enumerate() {
        let (lat, lon) = (site.location.lat, site.location.lon);
        let w = waiting[i];
        let props = match &site.kind {
            SiteKind::Pickup => json!({
                "layer": "site", "name": site.name, "waiting": w[0] + w[1] + w[2],
                "waiting_tier1": w[0], "waiting_tier2": w[1], "waiting_tier3": w[2], "expected": expected[i],
            }),
            SiteKind::Depot => json!({"layer": "depot", "name": site.name}),
            SiteKind::Hub(hub) => json!({"layer": "hub", "name": site.name, "people_per_hour": hub.people_per_hour}),
            SiteKind::Destination(d) => json!({
                "layer": "destination", "name": site.name, "arrived": arrived[i],
                "capacity": d.capacity.map(|c| c.0),
                "load": d.capacity.filter(|c| c.0 > 0).map(|c| f64::from(arrived[i]) / f64::from(c.0)),
                "places_not_reserved": d.general_places().filter(|_| d.reserved != corridor_core::Reserved::Nothing).map(|c| c.0),
            }),
            SiteKind::Checkpoint => {
                let corridors: Vec<usize> = (0..s.corridors.len()).filter(|&c| s.corridors[c].checkpoint.index() == i).collect();
                let (state, next) = corridors.first().map_or(("open".to_string(), None), |&c| corridor_state(l, c, now));
                json!({
                    "layer": "checkpoint", "name": site.name,
                    "corridor": corridors.iter().map(|&c| s.corridors[c].name.clone()).collect::<Vec<_>>().join(", "),
                    "state": state, "next_window": next,
                })
            }
        };
        features.push(point(lon, lat, props));
    }
    if let Some(a) = &l.active {
        for r in &a.plan.routes {
            let v = &s.vehicles[r.vehicle.index()];
            let mut from = v.depot;
            for (ti, t) in r.trips.iter().enumerate() {
                let mut path = vec![from];
                path.extend(t.stops.iter().map(|x| x.site));
                if let Some(c) = &t.crossing {
                    path.push(s.corridors[c.corridor.index()].checkpoint);
                }
                path.push(t.destination);
                path.dedup();
                let coords: Vec<[f64; 2]> = path.iter().map(|&p| [s.site(p).location.lon, s.site(p).location.lat]).collect();
                let people: u32 = t.households().map(|h| s.household(h).people.0).sum();
                features.push(json!({
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {"layer": "leg", "vehicle": v.name, "trip": ti + 1, "people": people,
                        "departs": corridor_ops::iso(s, t.departs), "arrives": corridor_ops::iso(s, t.arrives)},
                }));
                from = t.destination;
            }
        }
    }
    for p in l.positions() {
        features.push(point(
            p.lon,
            p.lat,
            json!({"layer": "vehicle", "name": p.vehicle, "vehicle_type": p.vehicle_type, "status": p.status,
                "trip": p.trip, "site": p.site, "at": p.at, "people_on_board": p.people_on_board}),
        ));
    }
    let corridors: Vec<Value> = (0..s.corridors.len())
        .map(|i| {
            let c = &s.corridors[i];
            let (state, next) = corridor_state(l, i, now);
            // The active plan's crossings of this checkpoint, in time order, with their convoy.
            let mut crossings: Vec<(Seconds, String, Option<u32>)> = l
                .active
                .iter()
                .flat_map(|a| a.plan.routes.iter())
                .flat_map(|r| r.trips.iter().map(move |t| (r.vehicle, t)))
                .filter_map(|(v, t)| t.crossing.as_ref().filter(|x| x.corridor.index() == i).map(|x| (x.starts, s.vehicle(v).name.clone(), x.convoy)))
                .collect();
            crossings.sort();
            json!({"corridor": c.name, "checkpoint": s.site(c.checkpoint).name, "state": state, "next_window": next,
                "closed_since": l.corridors[i].closed.map(|x| corridor_ops::iso(s, x.0)),
                "crossings": crossings.iter().map(|(t, v, convoy)| json!({"at": corridor_ops::iso(s, *t), "vehicle": v, "convoy": convoy})).collect::<Vec<_>>(),
                "windows": c.windows.iter().map(|w| json!({"start": corridor_ops::iso(s, w.start), "end": corridor_ops::iso(s, w.end)})).collect::<Vec<_>>()})
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "features": features,
        "scenario": s.name,
        "plan": l.active.as_ref().map(|a| a.id.clone()),
        "events": l.events,
        "at": corridor_ops::iso(s, now),
        "corridors": corridors,
    })
}

/// `GET /api/map`: sites (people waiting per tier), depots, destinations (people arrived, capacity),
/// checkpoints (their corridor's state), the active plan's legs as straight lines, and vehicles at their
/// latest positions, as one GeoJSON feature collection. Counts only, no household reference.
#[utoipa::path(get, path = "/api/map",
    responses((status = 200, description = "A GeoJSON FeatureCollection; each feature's `layer` is site, depot, destination, checkpoint, leg or vehicle", body = Object, content_type = "application/geo+json"), (status = 401, body = crate::http::ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn map(State(app): State<Arc<App>>, _caller: BrowserCaller) -> Result<Response, ApiError> {
    let v = app.journal.read(map_of).await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], v.to_string()).into_response())
}

/// People delivered over time: the active plan's (each trip's people once unloaded) and the log's
/// (each household's arrival), as cumulative steps. Times are Unix seconds when the scenario has a
/// start, else seconds from the start.
fn progress_of(l: &LiveState) -> Value {
    let s = &l.scenario;
    let base = s.clock.as_ref().map_or(0, |c| c.unix_start);
    let mut planned: Vec<(i64, u32)> = Vec::new();
    if let Some(a) = &l.active {
        for r in &a.plan.routes {
            for t in &r.trips {
                let p: u32 = t.households().map(|h| s.household(h).people.0).sum();
                if p > 0 {
                    planned.push((t.unloaded.0, p));
                }
            }
        }
    }
    let mut actual: Vec<(i64, u32)> = l.households.iter().filter_map(|h| h.arrived.map(|a| (a.1.0, h.people.0))).collect();
    let cumulative = |v: &mut Vec<(i64, u32)>| {
        v.sort_unstable();
        let mut total = 0u32;
        let mut out: Vec<[i64; 2]> = vec![[base, 0]];
        for &(t, p) in v.iter() {
            total += p;
            match out.last_mut() {
                Some(last) if last[0] == base + t => last[1] = i64::from(total),
                _ => out.push([base + t, i64::from(total)]),
            }
        }
        out
    };
    let total: u32 = l.households.iter().map(|h| h.people.0).sum();
    json!({
        "unix": s.clock.is_some(),
        "utc_offset_minutes": s.clock.as_ref().map_or(0, |c| c.utc_offset_minutes),
        "start": base,
        "now": base + op_now(l).0,
        "people": total,
        "planned": cumulative(&mut planned),
        "actual": cumulative(&mut actual),
        "events": l.events,
    })
}

/// `GET /api/progress`: people delivered over time, planned and actual (counts only).
#[utoipa::path(get, path = "/api/progress",
    responses((status = 200, description = "`planned` and `actual`: arrays of [time, people delivered so far]; `unix` says whether times are Unix seconds or seconds from the start; `rehearsal`: the active plan's rehearsal (`status` running, ready or failed; when ready, `times` with `p10`, `p50` and `p90` of people delivered by then over `runs` runs)", body = Object, content_type = "application/json"), (status = 401, body = crate::http::ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn progress(State(app): State<Arc<App>>, _caller: BrowserCaller) -> Result<Json<Value>, ApiError> {
    let (mut v, active) = app
        .journal
        .read(|l| (progress_of(l), l.active.as_ref().map(|a| (a.id.clone(), l.scenario.clone(), a.plan.clone()))))
        .await?;
    if let Some((id, s, plan)) = active {
        v["rehearsal"] = app.rehearsals.band(app.journal.store(), &id, s, plan);
    }
    Ok(Json(v))
}

/// `GET /api/plan/explanation`: where the active plan's time goes, the bottleneck named first
/// (what `corridor explain` prints). Vehicle and checkpoint names and durations only.
#[utoipa::path(get, path = "/api/plan/explanation",
    responses((status = 200, description = "`plan` (its id), `text` (the report, bottleneck first) and `time_use` (the same figures as `corridor explain --format json`)", body = Object, content_type = "application/json"), (status = 401, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn explanation(State(app): State<Arc<App>>, _caller: BrowserCaller) -> Result<Json<Value>, ApiError> {
    let v = app
        .journal
        .read(|l| {
            l.active.as_ref().map(|a| {
                let u = corridor_core::TimeUse::of(&l.scenario, &a.plan);
                json!({
                    "plan": a.id,
                    "text": corridor_ops::explain::text(&l.scenario, &u, false),
                    "time_use": corridor_ops::explain::json(&l.scenario, &u),
                })
            })
        })
        .await?;
    v.map(Json).ok_or_else(|| ApiError::not_found("no active plan yet: import or activate one"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The tutorial with its committed plan active, before any event.
    fn tutorial() -> LiveState {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let files = crate::read_scenario(&root.join("examples/tutorial/scenario.toml")).expect("the tutorial reads");
        let s = Arc::new(files.loaded.scenario);
        let (plan, _) = crate::read_valid_plan(&s, &root.join("crates/corridor-cli/tests/data/tutorial-plan.json")).expect("the plan is valid");
        let mut live = LiveState::new(s.clone());
        live.active = Some(corridor_ops::ActivePlan::new("plan-1", Arc::new(plan), &s));
        live
    }

    fn layer<'a>(map: &'a Value, name: &str) -> Vec<&'a Value> {
        map["features"]
            .as_array()
            .map(|f| f.iter().filter(|x| x["properties"]["layer"] == name).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_map_has_every_site_leg_and_vehicle_and_no_reference() {
        let live = tutorial();
        let map = map_of(&live);
        let sites = layer(&map, "site");
        assert_eq!(sites.len(), 3);
        let waiting: u64 = sites.iter().map(|x| x["properties"]["waiting"].as_u64().unwrap_or(0)).sum();
        assert_eq!(waiting, 74, "everyone waits before the first event");
        for x in &sites {
            let p = &x["properties"];
            let tiers: u64 = (1..=3).map(|t| p[format!("waiting_tier{t}")].as_u64().unwrap_or(0)).sum();
            assert_eq!(Some(tiers), p["waiting"].as_u64(), "tiers add up at {}", p["name"]);
        }
        assert_eq!(layer(&map, "destination").len(), 2);
        assert_eq!(layer(&map, "vehicle").len(), 3);
        let trips: usize = live.active.as_ref().map_or(0, |a| a.plan.routes.iter().map(|r| r.trips.len()).sum());
        assert_eq!(layer(&map, "leg").len(), trips, "one straight leg per planned trip");
        for l in layer(&map, "leg") {
            assert!(l["geometry"]["coordinates"].as_array().is_some_and(|c| c.len() >= 2));
        }
        let text = map.to_string() + &progress_of(&live).to_string();
        for h in &live.households {
            assert!(!text.contains(&h.reference), "the map or the progress names {}", h.reference);
        }
    }

    #[test]
    fn progress_climbs_to_everyone_the_plan_carries() {
        let p = progress_of(&tutorial());
        let planned = p["planned"].as_array().expect("planned");
        assert_eq!(planned.first().and_then(|x| x[1].as_i64()), Some(0));
        assert_eq!(planned.last().and_then(|x| x[1].as_i64()), Some(74));
        assert!(planned.windows(2).all(|w| w[0][0].as_i64() < w[1][0].as_i64() && w[0][1].as_i64() <= w[1][1].as_i64()));
        assert_eq!(p["actual"].as_array().map(Vec::len), Some(1), "nobody delivered yet");
        assert_eq!(p["unix"], true);
    }

    #[test]
    fn corridor_states_follow_windows_and_incidents() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let files = crate::read_scenario(&root.join("examples/aleppo-2016/scenario.toml")).expect("Aleppo reads");
        let s = Arc::new(files.loaded.scenario);
        let mut live = LiveState::new(s.clone());
        let w = s.corridors[0].windows.clone();
        assert!(w.len() >= 2);
        assert_eq!(corridor_state(&live, 0, w[0].start).0, "open");
        let between = w[0].end + Seconds(1);
        if between < w[1].start {
            let (state, next) = corridor_state(&live, 0, between);
            assert_eq!(state, "between windows");
            assert_eq!(next, Some(corridor_ops::iso(&s, w[1].start)));
        }
        let last = w.iter().map(|x| x.end).max().unwrap_or(Seconds::ZERO);
        assert_eq!(corridor_state(&live, 0, last + Seconds(1)).0, "no more windows");
        live.corridors[0].closed = Some((w[0].start, None));
        assert_eq!(corridor_state(&live, 0, w[0].start).0, "closed");
    }
}
