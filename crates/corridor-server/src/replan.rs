//! Re-planning from the live log: `POST /api/replan` plans what remains at an
//! instant (the state `corridor state --data DIR --at T` writes), warm-started
//! from the active plan, validates it and stores it as a proposal;
//! `POST /api/plans/{id}/activate` makes a stored plan the active one and
//! `GET /api/plans` lists them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use corridor_core::{HouseholdId, Plan, Remaining, Scenario, Seconds, SiteId, Trip, VehicleId, VehicleRoute};
use corridor_store::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::{ApiError, App, Caller, ErrorBody, P};

/// The default time limit of a re-plan.
pub(crate) const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(5);
/// The longest time limit a re-plan may ask for.
pub(crate) const MAX_TIME_LIMIT: Duration = Duration::from_secs(60);

type AppState = Arc<App>;

/// The re-planning routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/replan", post(replan))
        .route("/api/plans", get(plans))
        .route("/api/plans/{id}/activate", post(activate_plan))
}

/// `POST /api/replan`'s body; every field may be left out.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplanBody {
    /// The instant to plan from (default: now on the scenario's clock); events whose device
    /// time is later are left out.
    pub at: Option<String>,
    /// How long the planner may search, e.g. `5s` (default 5 s, at most 60 s).
    pub time_limit: Option<String>,
}

/// A re-plan's proposal.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Proposal {
    /// The stored plan's id, for `POST /api/plans/{id}/activate`.
    pub id: String,
    /// The instant planned from.
    pub at: String,
    /// The plan file (docs/formats.md) of what remains at `at`, as `corridor plan --from-state` writes it.
    #[schema(value_type = Object)]
    pub plan: Value,
    /// What changes against the active plan's trips not started by `at`.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// People carried per tier, makespan, lower bound, planning time.
    #[schema(value_type = Object)]
    pub figures: Value,
    /// What the coordinator should know about the state planned from.
    pub notes: Vec<String>,
}

/// One stored plan.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PlanRow {
    /// Its id.
    pub id: String,
    /// When it was stored, on the scenario's clock (or in ms since 1970 without one).
    pub created: String,
    /// Who stored it.
    pub created_by: String,
    /// Whether it is the active plan.
    pub active: bool,
}

/// `GET /api/plans`' answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PlanList {
    /// Oldest first.
    pub plans: Vec<PlanRow>,
}

/// `POST /api/plans/{id}/activate`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Activated {
    /// The plan now active.
    pub active: String,
}

fn unprocessable(m: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m)
}

fn time_limit(text: Option<&str>) -> Result<Duration, ApiError> {
    let Some(t) = text else {
        return Ok(DEFAULT_TIME_LIMIT);
    };
    let s = corridor_formats::parse_duration(t).map_err(|e| unprocessable(format!("`time_limit`: {e}; e.g. \"5s\"")))?;
    if s.0 <= 0 {
        return Err(unprocessable("`time_limit` must be more than 0 s; e.g. \"5s\""));
    }
    if s.0 > MAX_TIME_LIMIT.as_secs() as i64 {
        return Err(unprocessable(format!(
            "`time_limit` is {t}; a re-plan searches for at most {} s, so give 60s or less",
            MAX_TIME_LIMIT.as_secs()
        )));
    }
    Ok(Duration::from_secs(s.0 as u64))
}

/// Reads `POST /api/replan`'s body (empty, or a [`ReplanBody`]) and its search time limit.
fn read_replan_body(body: &[u8]) -> Result<(ReplanBody, Duration), ApiError> {
    let body: ReplanBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReplanBody::default()
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not a re-plan request ({e}); send {{\"at\": \"2016-12-16T11:00:00+02:00\", \"time_limit\": \"5s\"}}, both optional"),
            )
        })?
    };
    let limit = time_limit(body.time_limit.as_deref())?;
    Ok((body, limit))
}

#[utoipa::path(post, path = "/api/replan",
    request_body(content = ReplanBody, description = "`{\"at\": \"…\", \"time_limit\": \"5s\"}`, both optional"),
    responses((status = 200, body = Proposal), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn replan(State(app): State<AppState>, caller: Caller, body: axum::body::Bytes) -> Result<Json<Proposal>, ApiError> {
    let received = Instant::now();
    caller.require(&app, &[Role::Coordinator], "re-plan", "").await?;
    let (body, limit) = read_replan_body(&body)?;
    let now = app.journal.read(crate::http::now_in).await?;
    let at_state = crate::live_state_at(&app.journal, body.at.as_deref(), Some(now)).await.map_err(unprocessable)?;
    let crate::LiveAt { live, state, notes: mut state_notes } = at_state;
    let t = state.at;
    let unfit = |e: corridor_core::StateError| unprocessable(format!("the log's state at {} does not fit the scenario: {e}", live.scenario.show_time(t)));
    // The registry and the households registered in the field, in the state's ids.
    let s = live.scenario.with_registered(&state.registered).map_err(unfit)?;
    let remaining = live.scenario.remaining(&state).map_err(unfit)?;
    state_notes.extend(remaining.notes.iter().cloned());
    let active = live.active.as_ref().map(|a| (a.id.clone(), a.plan.clone()));
    let hint = active.as_ref().map(|(_, p)| remaining.carry_over(p));
    let remaining = Arc::new(remaining);
    let r2 = remaining.clone();
    let started = Instant::now();
    // The limit is the whole answer's: the search stops early enough to leave time to validate it.
    let deadline = received + limit - (limit / 5).max(Duration::from_millis(200)).min(limit / 2);
    let (outcome, violations) = tokio::task::spawn_blocking(move || {
        let should_stop = move || Instant::now() >= deadline;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        let options = corridor_plan::Options {
            seed: 1,
            iterations: None,
            threads,
            time_limit: Some(deadline.saturating_duration_since(Instant::now())),
            ..Default::default()
        };
        let outcome = corridor_plan::plan_following(&r2.scenario, hint.as_ref(), &options, &should_stop, &|_| {})?;
        let violations = corridor_check::check(&r2.scenario, &outcome.plan);
        Ok::<_, corridor_plan::PlanError>((outcome, violations))
    })
    .await
    .map_err(|e| {
        eprintln!("re-plan task failed: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the planner stopped unexpectedly; nothing was stored; try again")
    })?
    .map_err(|e| unprocessable(format!("nothing can be planned from the state at {}: {e}", s.show_time(t))))?;
    let seconds = started.elapsed().as_secs_f64();
    let rs = &remaining.scenario;
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().take(10).map(|v| format!("{}: {}", v.rule.id(), v.message)).collect();
        return Err(unprocessable(format!(
            "the re-plan breaks {} rule{} of what remains, so it is not proposed (please report this with the log): {}",
            violations.len(),
            if violations.len() == 1 { "" } else { "s" },
            list.join("; ")
        )));
    }
    let plan_text = corridor_formats::write_plan(rs, &outcome.plan);
    let plan_json: Value = serde_json::from_str(&plan_text).unwrap_or(Value::Null);

    let previous = active.as_ref().map(|(_, p)| p.as_ref());
    let (merged, kept) = merge(&s, previous, &remaining, &outcome.plan, &live, t);
    let changes = changes(&s, previous, &remaining, &merged, &kept);
    let f = corridor_core::Figures::of(rs, &outcome.plan);
    let tiers = |c: &[corridor_core::People; 3]| json!({"tier_1": c[0].0, "tier_2": c[1].0, "tier_3": c[2].0});
    let figures = json!({
        "carried": tiers(&f.carried),
        "uncarried": tiers(&f.uncarried),
        "makespan": s.show_time(f.makespan),
        "makespan_s": f.makespan.0,
        "lower_bound": outcome.plan.uncarried.is_empty().then(|| s.show_time(outcome.bound.value)),
        "lower_bound_s": outcome.plan.uncarried.is_empty().then_some(outcome.bound.value.0),
        "planning_s": seconds,
        "iterations": outcome.iterations,
        "households": rs.households.len(),
        "vehicles_in_service": rs.vehicles.len(),
        "trips": f.trips,
    });

    let (stored, left_out) = registry_only(&s, live.scenario.households.len(), &merged);
    if !left_out.is_empty() {
        state_notes.push(format!(
            "households registered in the field are planned here, but a stored plan names only the registry's households: \
             once it is active, the manifests leave out {} (their trips still stop for them); add them to the registry to list them",
            left_out.join(", ")
        ));
    }
    let full_text = corridor_formats::write_plan(&live.scenario, &stored);
    let id = store_proposal(&app, &full_text, &caller.user.name).await?;
    // A change of the store: audited (the plan is stored already, so a failure here only goes to the log).
    if let Err(e) = app.journal.store().audit(&caller.entry("re-plan", &id)).await {
        eprintln!("store error: {e}");
    }
    Ok(Json(Proposal {
        id,
        at: s.show_time(t),
        plan: plan_json,
        changes,
        figures,
        notes: state_notes,
    }))
}

/// `plan` (over `s`, whose households from `n` on were registered in the field)
/// without those households, which a stored plan cannot name; also the
/// references of those it carried.
fn registry_only(s: &Scenario, n: usize, plan: &Plan) -> (Plan, Vec<String>) {
    let mut out = plan.clone();
    let mut left_out = BTreeSet::new();
    for r in &mut out.routes {
        for trip in &mut r.trips {
            for stop in &mut trip.stops {
                stop.households.retain(|h| {
                    let listed = h.index() < n;
                    if !listed {
                        left_out.insert(*h);
                    }
                    listed
                });
            }
        }
    }
    out.uncarried.retain(|u| u.household.index() < n);
    (out, left_out.into_iter().map(|h| s.household(h).reference.clone()).collect())
}

/// Stores the full plan as `replan-N`, the first number free.
async fn store_proposal(app: &App, text: &str, by: &str) -> Result<String, ApiError> {
    let mut last = None;
    for _ in 0..5 {
        let known = app.journal.store().plan_rows().await?;
        let n = known
            .iter()
            .filter_map(|(id, _, _)| id.strip_prefix("replan-").and_then(|n| n.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1;
        let id = format!("replan-{n}");
        match app.journal.add_plan(&id, text, by).await {
            Ok(()) => return Ok(id),
            // Another server took the number: try the next one.
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(corridor_store::StoreError::Invalid(m)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the merged plan does not read back ({m}); nothing was stored"),
        )),
        Some(e) => Err(e.into()),
        None => Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the plan could not be stored; try again")),
    }
}

/// The trips of `route` that have begun by `t` (by the plan's departure, by the field's
/// reports, or because some of their households are gone): every trip up to the last such one.
fn started_trips(route: &VehicleRoute, live: &corridor_ops::LiveState, waiting: &BTreeSet<HouseholdId>, t: Seconds) -> usize {
    let mut n = 0;
    for (i, trip) in route.trips.iter().enumerate() {
        let reported = live.trips.contains_key(&(route.vehicle, i as u32 + 1));
        let gone = trip.households().any(|h| !waiting.contains(&h));
        if trip.departs <= t || reported || gone {
            n = i + 1;
        }
    }
    n
}

/// The remaining plan in the original ids.
fn mapped_back(remaining: &Remaining, plan: &Plan) -> Plan {
    let h = |x: HouseholdId| remaining.households.get(x.index()).copied().unwrap_or(x);
    let v = |x: VehicleId| remaining.vehicles.get(x.index()).copied().unwrap_or(x);
    let mut out = plan.clone();
    for r in &mut out.routes {
        r.vehicle = v(r.vehicle);
        for trip in &mut r.trips {
            for stop in &mut trip.stops {
                for x in &mut stop.households {
                    *x = h(*x);
                }
            }
        }
    }
    for u in &mut out.uncarried {
        u.household = h(u.household);
    }
    out
}

/// A plan over the whole scenario: the previous plan's trips begun by `t` (without the
/// households planned again), then each vehicle's new trips, numbered after them.
/// Also how many trips of each vehicle were kept.
fn merge(s: &Scenario, previous: Option<&Plan>, remaining: &Remaining, new: &Plan, live: &corridor_ops::LiveState, t: Seconds) -> (Plan, BTreeMap<VehicleId, usize>) {
    let waiting: BTreeSet<HouseholdId> = remaining.households.iter().copied().collect();
    let new = mapped_back(remaining, new);
    let mut routes: BTreeMap<VehicleId, VehicleRoute> = BTreeMap::new();
    let mut kept = BTreeMap::new();
    if let Some(p) = previous {
        for r in &p.routes {
            let n = started_trips(r, live, &waiting, t);
            if n == 0 {
                continue;
            }
            let mut route = r.clone();
            route.trips.truncate(n);
            for trip in &mut route.trips {
                for stop in &mut trip.stops {
                    stop.households.retain(|h| !waiting.contains(h));
                }
            }
            kept.insert(r.vehicle, n);
            routes.insert(r.vehicle, route);
        }
    }
    for r in new.routes {
        if r.trips.is_empty() {
            continue;
        }
        let e = routes.entry(r.vehicle).or_insert_with(|| VehicleRoute {
            vehicle: r.vehicle,
            trips: Vec::new(),
            returns_at: None,
        });
        e.trips.extend(r.trips);
        e.returns_at = r.returns_at;
    }
    let mut plan = Plan {
        routes: routes.into_values().filter(|r| r.vehicle.index() < s.vehicles.len()).collect(),
        uncarried: new.uncarried,
    };
    plan.routes.sort_by_key(|r| r.vehicle);
    (plan, kept)
}

/// One trip as the changes show it.
fn trip_json(s: &Scenario, number: usize, trip: &Trip) -> Value {
    let households: Vec<&str> = trip.households().map(|h| s.household(h).reference.as_str()).collect();
    let sites: Vec<&str> = trip.stops.iter().filter(|st| !st.households.is_empty()).map(|st| s.site(st.site).name.as_str()).collect();
    json!({
        "trip": number,
        "departs": s.show_time(trip.departs),
        "pickups": sites,
        "destination": s.site(trip.destination).name,
        "unloaded": s.show_time(trip.unloaded),
        "households": households,
    })
}

/// Where a plan puts each household: (vehicle, trip number, pickup site, time it leaves the pickup).
fn placements(p: &Plan, from_trip: impl Fn(VehicleId) -> usize) -> BTreeMap<HouseholdId, (VehicleId, usize, SiteId, Seconds)> {
    let mut out = BTreeMap::new();
    for r in &p.routes {
        for (i, trip) in r.trips.iter().enumerate().skip(from_trip(r.vehicle)) {
            for st in &trip.stops {
                for &h in &st.households {
                    out.insert(h, (r.vehicle, i + 1, st.site, st.departs));
                }
            }
        }
    }
    out
}

/// Per vehicle: trips added, removed and moved, comparing the proposal's new trips with
/// the previous plan's trips as they concern the households still waiting (a trip begun
/// whose households wait again counts as removed); households whose vehicle or time changed.
fn changes(s: &Scenario, previous: Option<&Plan>, remaining: &Remaining, merged: &Plan, kept: &BTreeMap<VehicleId, usize>) -> Value {
    let waiting: BTreeSet<HouseholdId> = remaining.households.iter().copied().collect();
    let empty = Plan::default();
    let previous = previous.unwrap_or(&empty);
    let kept_of = |v: VehicleId| -> usize { kept.get(&v).copied().unwrap_or(0) };
    // The previous plan's trips restricted to the households still waiting.
    let mut pending = previous.clone();
    for r in &mut pending.routes {
        for trip in &mut r.trips {
            for stop in &mut trip.stops {
                stop.households.retain(|h| waiting.contains(h));
            }
        }
    }
    let pending = &pending;
    let mut vehicles = Vec::new();
    let mut ids: BTreeSet<VehicleId> = previous.routes.iter().map(|r| r.vehicle).collect();
    ids.extend(merged.routes.iter().map(|r| r.vehicle));
    for v in ids {
        let kept = kept_of(v);
        let old: Vec<(usize, &Trip)> = pending
            .routes
            .iter()
            .find(|r| r.vehicle == v)
            .map(|r| {
                r.trips
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.households().next().is_some())
                    .map(|(i, x)| (i + 1, x))
                    .collect()
            })
            .unwrap_or_default();
        let new: Vec<(usize, &Trip)> = merged
            .routes
            .iter()
            .find(|r| r.vehicle == v)
            .map(|r| r.trips.iter().enumerate().skip(kept).map(|(i, x)| (i + 1, x)).collect())
            .unwrap_or_default();
        let key = |x: &Trip| {
            let mut h: Vec<HouseholdId> = x.households().filter(|h| waiting.contains(h)).collect();
            h.sort();
            (h, x.destination)
        };
        let mut matched_old = vec![false; old.len()];
        let (mut added, mut moved) = (Vec::new(), Vec::new());
        for (n, trip) in &new {
            let k = key(trip);
            match old.iter().enumerate().position(|(i, (_, o))| !matched_old[i] && key(o) == k) {
                Some(i) => {
                    matched_old[i] = true;
                    let (on, o) = old[i];
                    if on != *n || o.departs != trip.departs {
                        let mut j = trip_json(s, *n, trip);
                        j["was_trip"] = json!(on);
                        j["was_departs"] = json!(s.show_time(o.departs));
                        moved.push(j);
                    }
                }
                None => added.push(trip_json(s, *n, trip)),
            }
        }
        let removed: Vec<Value> = old
            .iter()
            .enumerate()
            .filter(|(i, _)| !matched_old[*i])
            .map(|(_, (n, o))| trip_json(s, *n, o))
            .collect();
        if added.is_empty() && removed.is_empty() && moved.is_empty() {
            continue;
        }
        vehicles.push(json!({
            "vehicle": s.vehicle(v).name,
            "in_service": remaining.vehicles.contains(&v),
            "added": added,
            "removed": removed,
            "moved": moved,
        }));
    }
    let before = placements(pending, |_| 0);
    let after = placements(merged, kept_of);
    let mut households = Vec::new();
    let mut sites: BTreeMap<SiteId, usize> = BTreeMap::new();
    for &h in &waiting {
        let (b, a) = (before.get(&h), after.get(&h));
        let same = match (b, a) {
            (Some(b), Some(a)) => b.0 == a.0 && b.3 == a.3,
            (None, None) => true,
            _ => false,
        };
        if same {
            continue;
        }
        let hh = s.household(h);
        *sites.entry(hh.site).or_default() += 1;
        let place = |p: Option<&(VehicleId, usize, SiteId, Seconds)>| match p {
            Some((v, n, _, d)) => json!({"vehicle": s.vehicle(*v).name, "trip": n, "leaves_pickup": s.show_time(*d)}),
            None => Value::Null,
        };
        households.push(json!({
            "household": hh.reference,
            "site": s.site(hh.site).name,
            "was": place(b),
            "now": place(a),
        }));
    }
    json!({
        "vehicles": vehicles,
        "households": households,
        "sites": sites.into_iter().map(|(site, n)| json!({"site": s.site(site).name, "households_changed": n})).collect::<Vec<_>>(),
    })
}

#[utoipa::path(get, path = "/api/plans",
    responses((status = 200, body = PlanList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn plans(State(app): State<AppState>, caller: Caller) -> Result<Json<PlanList>, ApiError> {
    caller.require(&app, &[Role::Coordinator], "list the plans", "").await?;
    let rows = app.journal.store().plan_rows().await?;
    let (clock, active) = app
        .journal
        .read(|l| (l.scenario.clock, l.active.as_ref().map(|a| a.id.clone())))
        .await?;
    let plans = rows
        .into_iter()
        .map(|(id, created_ms, created_by)| PlanRow {
            active: active.as_deref() == Some(id.as_str()),
            created: match &clock {
                Some(c) => c.format_seconds(c.since_start(created_ms.div_euclid(1000))),
                None => format!("{created_ms} ms"),
            },
            id,
            created_by,
        })
        .collect();
    Ok(Json(PlanList { plans }))
}

#[utoipa::path(post, path = "/api/plans/{id}/activate", params(("id" = String, Path, description = "A stored plan's id, e.g. `replan-1`", example = "plan-1")),
    responses((status = 200, body = Activated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("token" = [])))]
pub(crate) async fn activate_plan(State(app): State<AppState>, caller: Caller, P(id): P<String>) -> Result<Json<Activated>, ApiError> {
    caller.require(&app, &[Role::Coordinator], "activate a plan", &id).await?;
    let known = app.journal.store().plan_rows().await?;
    if !known.iter().any(|(k, _, _)| *k == id) {
        let ids: Vec<&str> = known.iter().map(|(k, _, _)| k.as_str()).collect();
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no plan `{id}` in the store; GET /api/plans lists them ({})", ids.join(", ")),
        ));
    }
    crate::activate(&app.journal, &id, &caller.user.name)
        .await
        .map_err(|e| unprocessable(format!("plan `{id}` was not activated: {e}")))?;
    if let Err(e) = app.journal.store().audit(&caller.entry("activate a plan", &id)).await {
        eprintln!("store error: {e}");
    }
    Ok(Json(Activated { active: id }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_core::{OperationState, VehicleSituation};
    use proptest::strategy::Strategy as _;

    fn tutorial() -> (Scenario, Plan) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let s = corridor_formats::load_scenario(&root.join("examples/tutorial/scenario.toml")).expect("the tutorial reads").scenario;
        let text = std::fs::read_to_string(root.join("crates/corridor-cli/tests/data/tutorial-plan.json")).expect("the tutorial's plan");
        let (p, _) = corridor_formats::read_plan("plan", &text, &s).expect("the plan reads");
        (s, p)
    }

    fn vehicle(s: &Scenario, name: &str) -> VehicleId {
        VehicleId(s.vehicles.iter().position(|v| v.name == name).expect("a vehicle") as u32)
    }

    fn household(s: &Scenario, reference: &str) -> HouseholdId {
        HouseholdId(s.households.iter().position(|h| h.reference == reference).expect("a household") as u32)
    }

    #[test]
    fn merged_plans_keep_begun_trips_and_number_new_ones_after_them() {
        let (s, previous) = tutorial();
        let (bus1, bus2, amb) = (vehicle(&s, "bus-01"), vehicle(&s, "bus-02"), vehicle(&s, "ambulance-1"));
        let hospital = previous.routes.iter().find(|r| r.vehicle == bus1).expect("bus-01").trips[0].destination;
        // 1 h in: ambulance-1's first trip delivered, bus-01 under way with two households, bus-02 lost.
        let state = OperationState {
            at: Seconds(3600),
            delivered: vec![(household(&s, "RF-008"), hospital), (household(&s, "RF-010"), hospital)],
            vehicles: vec![
                (
                    bus1,
                    VehicleSituation::InService {
                        at: hospital,
                        free_from: Seconds(4750),
                        on_board: vec![household(&s, "RF-007"), household(&s, "RF-004")],
                    },
                ),
                (bus2, VehicleSituation::OutOfService),
            ],
            closures: Vec::new(),
            registered: Vec::new(),
        };
        let remaining = s.remaining(&state).expect("the state fits");
        let live = corridor_ops::LiveState::new(Arc::new(s.clone()));
        let options = corridor_plan::Options {
            seed: 1,
            iterations: Some(200),
            threads: 1,
            ..Default::default()
        };
        let hint = remaining.carry_over(&previous);
        let new = corridor_plan::plan_following(&remaining.scenario, Some(&hint), &options, &|| false, &|_| {}).expect("a plan").plan;
        assert!(corridor_check::check(&remaining.scenario, &new).is_empty());
        let (merged, kept) = merge(&s, Some(&previous), &remaining, &new, &live, state.at);

        // Begun trips stay first, without the households planned again.
        assert_eq!(kept.get(&bus1), Some(&1));
        assert_eq!(kept.get(&bus2), Some(&1));
        let route = |v| merged.routes.iter().find(|r| r.vehicle == v);
        let b1 = route(bus1).expect("bus-01");
        let mut first: Vec<HouseholdId> = b1.trips[0].households().collect();
        first.sort();
        let mut want = vec![household(&s, "RF-007"), household(&s, "RF-004")];
        want.sort();
        assert_eq!(first, want);
        assert_eq!(route(bus2).expect("bus-02 keeps its begun trip").trips.len(), 1);
        assert!(route(bus2).expect("bus-02").trips[0].households().next().is_none());
        assert!(route(amb).is_some());
        // Every household once at most; everyone waiting is planned; the text reads back.
        let mut seen = BTreeSet::new();
        for r in &merged.routes {
            for trip in &r.trips {
                for h in trip.households() {
                    assert!(seen.insert(h), "{} twice", s.household(h).reference);
                }
            }
        }
        assert_eq!(seen.len() + merged.uncarried.len(), s.households.len());
        let text = corridor_formats::write_plan(&s, &merged);
        let (back, warnings) = corridor_formats::read_plan("merged", &text, &s).expect("the merged plan reads back");
        assert!(warnings.is_empty());
        assert_eq!(back, merged);

        // Changes: bus-02's trip is removed; its households move.
        let c = changes(&s, Some(&previous), &remaining, &merged, &kept);
        let v2 = c["vehicles"].as_array().expect("vehicles").iter().find(|v| v["vehicle"] == "bus-02").cloned().expect("bus-02 changes");
        assert_eq!(v2["removed"].as_array().map(Vec::len), Some(1));
        assert_eq!(v2["in_service"], json!(false));
    }

    #[test]
    fn a_stored_plan_leaves_out_households_registered_in_the_field() {
        let (s, previous) = tutorial();
        let n = s.households.len();
        let mut fx = s.households[0].clone();
        fx.reference = "FX-1".into();
        let ext = s.with_registered(std::slice::from_ref(&fx)).expect("a new household");
        let mut plan = previous.clone();
        plan.routes[0].trips[0].stops[0].households.push(HouseholdId(n as u32));
        let (stored, left_out) = registry_only(&ext, n, &plan);
        assert_eq!(left_out, ["FX-1"]);
        assert_eq!(stored, previous);
        let (back, _) = corridor_formats::read_plan("stored", &corridor_formats::write_plan(&s, &stored), &s).expect("it reads back");
        assert_eq!(back, previous);
        assert_eq!(registry_only(&ext, n, &previous), (previous.clone(), Vec::new()));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 1000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(18),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// `POST /api/replan` bodies: JSON-like objects of known and unknown keys with odd values,
        /// and random bytes. Every body is read or refused with a message; a body read gives a
        /// time limit within bounds, and its `at` is read or refused with a message.
        #[test]
        fn replan_bodies(body in proptest::prop_oneof![
            r#"\s*\{\s*("(at|time_limit|x|AT)"\s*:\s*("[-+:0-9a-zT.hmsd ]{0,30}"|"(5s|60s|61s|0s|-1s|1min|30h|2025-03-14T07:00:00\+01:00|9999-01-01T00:00:00Z)"|-?[0-9]{1,25}|null|true|\[\]|\{\}|1e400)\s*,?\s*){0,3}\}?\s*"#
                .prop_map(String::into_bytes),
            proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ]) {
            static S: std::sync::OnceLock<Scenario> = std::sync::OnceLock::new();
            let s = S.get_or_init(|| tutorial().0);
            match read_replan_body(&body) {
                Err(e) => proptest::prop_assert!(!e.message().trim().is_empty(), "a refusal without a message"),
                Ok((b, limit)) => {
                    proptest::prop_assert!(limit > Duration::ZERO && limit <= MAX_TIME_LIMIT, "{limit:?}");
                    if let Some(at) = b.at
                        && let Err(m) = corridor_formats::parse_instant(&at, s.clock.as_ref())
                    {
                        proptest::prop_assert!(!m.trim().is_empty(), "`at` refused without a message");
                    }
                }
            }
        }
    }

    #[test]
    fn time_limits() {
        assert_eq!(time_limit(None).ok(), Some(DEFAULT_TIME_LIMIT));
        assert_eq!(time_limit(Some("2s")).ok(), Some(Duration::from_secs(2)));
        assert_eq!(time_limit(Some("1min")).ok(), Some(Duration::from_secs(60)));
        for bad in ["61s", "0s", "five", "-3s"] {
            assert!(time_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
