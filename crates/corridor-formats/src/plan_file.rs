//! The plan file: JSON, versioned, referring to vehicles, sites and households by name.
//!
//! Schema (format version 1), all times whole seconds from the scenario's start:
//!
//! ```text
//! { "format": "corridor-plan", "version": 1, "scenario": NAME,
//!   "routes": [ { "vehicle": NAME, "returns_at": T?, "trips": [
//!       { "departs": T, "destination": SITE, "arrives": T, "unloaded": T,
//!         "stops": [ { "site": SITE, "arrives": T, "loading_starts": T, "departs": T,
//!                      "households": [REFERENCE, ...] } ],
//!         "crossing": { "corridor": NAME, "queued": T, "starts": T, "ends": T, "convoy": N? }? } ] } ],
//!   "uncarried": [ { "household": REFERENCE, "reason": TEXT } ] }
//! ```

use std::collections::HashMap;

use corridor_core::{
    CorridorId, Crossing, HouseholdId, Plan, Scenario, Seconds, SiteId, Stop, Trip, Uncarried,
    VehicleId, VehicleRoute,
};
use serde::{Deserialize, Serialize};

use crate::problem::{Problem, Problems, did_you_mean, json_problem};

/// The value of the plan file's `format` key.
pub const PLAN_FORMAT: &str = "corridor-plan";
/// The plan format version this build reads and writes.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanDoc {
    format: String,
    version: u32,
    scenario: String,
    routes: Vec<RouteDoc>,
    #[serde(default)]
    uncarried: Vec<UncarriedDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteDoc {
    vehicle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    returns_at: Option<i64>,
    trips: Vec<TripDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TripDoc {
    departs: i64,
    stops: Vec<StopDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crossing: Option<CrossingDoc>,
    destination: String,
    arrives: i64,
    unloaded: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StopDoc {
    site: String,
    arrives: i64,
    loading_starts: i64,
    departs: i64,
    households: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossingDoc {
    corridor: String,
    queued: i64,
    starts: i64,
    ends: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    convoy: Option<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UncarriedDoc {
    household: String,
    reason: String,
}

/// Writes a plan as pretty JSON.
pub fn write_plan(scenario: &Scenario, plan: &Plan) -> String {
    let site = |s: SiteId| scenario.site(s).name.clone();
    let doc = PlanDoc {
        format: PLAN_FORMAT.into(),
        version: PLAN_FORMAT_VERSION,
        scenario: scenario.name.clone(),
        routes: plan
            .routes
            .iter()
            .map(|r| RouteDoc {
                vehicle: scenario.vehicle(r.vehicle).name.clone(),
                returns_at: r.returns_at.map(|t| t.0),
                trips: r
                    .trips
                    .iter()
                    .map(|t| TripDoc {
                        departs: t.departs.0,
                        stops: t
                            .stops
                            .iter()
                            .map(|s| StopDoc {
                                site: site(s.site),
                                arrives: s.arrives.0,
                                loading_starts: s.loading_starts.0,
                                departs: s.departs.0,
                                households: s
                                    .households
                                    .iter()
                                    .map(|h| scenario.household(*h).reference.clone())
                                    .collect(),
                            })
                            .collect(),
                        crossing: t.crossing.as_ref().map(|c| CrossingDoc {
                            corridor: scenario.corridors[c.corridor.index()].name.clone(),
                            queued: c.queued.0,
                            starts: c.starts.0,
                            ends: c.ends.0,
                            convoy: c.convoy,
                        }),
                        destination: site(t.destination),
                        arrives: t.arrives.0,
                        unloaded: t.unloaded.0,
                    })
                    .collect(),
            })
            .collect(),
        uncarried: plan
            .uncarried
            .iter()
            .map(|u| UncarriedDoc {
                household: scenario.household(u.household).reference.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Reads a plan file against its scenario, resolving every name.
///
/// Unknown names are input errors (the plan does not belong to this scenario);
/// rule violations are the validator's business, not this reader's.
pub fn read_plan(
    file: &str,
    text: &str,
    scenario: &Scenario,
) -> Result<(Plan, Vec<Problem>), Problems> {
    let doc: PlanDoc = serde_json::from_str(text).map_err(|e| json_problem(file, &e))?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let limit = crate::scenario_file::MAX_TIME.0;
    let too_far = doc.routes.iter().flat_map(|r| {
        r.trips
            .iter()
            .flat_map(|t| {
                let stops = t
                    .stops
                    .iter()
                    .flat_map(|s| [s.arrives, s.loading_starts, s.departs]);
                let crossing = t.crossing.iter().flat_map(|c| [c.queued, c.starts, c.ends]);
                [t.departs, t.arrives, t.unloaded]
                    .into_iter()
                    .chain(stops)
                    .chain(crossing)
            })
            .chain(r.returns_at)
    });
    if let Some(t) = too_far.into_iter().find(|t| t.abs() > limit) {
        return Err(Problem::in_file(file, format!("time {t} is more than 100 years from the scenario's start; plan times are seconds from the start")).into());
    }
    if doc.format != PLAN_FORMAT {
        problems.push(
            Problem::in_file(
                file,
                format!(
                    "`format` is `{}`; a plan file says `{PLAN_FORMAT}`",
                    doc.format
                ),
            )
            .field("format"),
        );
    }
    if doc.version != PLAN_FORMAT_VERSION {
        problems.push(Problem::in_file(file, format!("plan format version {} is not readable by this build (it reads version {PLAN_FORMAT_VERSION})", doc.version)).field("version"));
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let other_scenario = doc.scenario != scenario.name;
    if other_scenario {
        warnings.push(
            Problem::in_file(
                file,
                format!(
                    "the plan was made for scenario `{}`, not `{}`",
                    doc.scenario, scenario.name
                ),
            )
            .field("scenario"),
        );
    }
    let sites: HashMap<&str, SiteId> = scenario
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), SiteId(i as u32)))
        .collect();
    let vehicles: HashMap<&str, VehicleId> = scenario
        .vehicles
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), VehicleId(i as u32)))
        .collect();
    let households: HashMap<&str, HouseholdId> = scenario
        .households
        .iter()
        .enumerate()
        .map(|(i, h)| (h.reference.as_str(), HouseholdId(i as u32)))
        .collect();
    let corridors: HashMap<&str, CorridorId> = scenario
        .corridors
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), CorridorId(i as u32)))
        .collect();

    // Candidates for "did you mean" come in the scenario's order, not a map's,
    // so that the same plan gets the same hint on every run.
    let mut unknown =
        |path: String, what: &str, name: &str, names: &mut dyn Iterator<Item = &str>| {
            problems.push(
                Problem::in_file(
                    file,
                    format!("no {what} named `{name}` in scenario `{}`", scenario.name),
                )
                .field(path)
                .hint(did_you_mean(name, names)),
            );
        };
    let mut plan = Plan::default();
    for (ri, r) in doc.routes.iter().enumerate() {
        let Some(&vehicle) = vehicles.get(r.vehicle.as_str()) else {
            unknown(
                format!("routes[{ri}].vehicle"),
                "vehicle",
                &r.vehicle,
                &mut scenario.vehicles.iter().map(|v| v.name.as_str()),
            );
            continue;
        };
        let mut trips = Vec::new();
        for (ti, t) in r.trips.iter().enumerate() {
            let p = format!("routes[{ri}].trips[{ti}]");
            let destination = match sites.get(t.destination.as_str()) {
                Some(&d) => d,
                None => {
                    unknown(
                        format!("{p}.destination"),
                        "site",
                        &t.destination,
                        &mut scenario.sites.iter().map(|s| s.name.as_str()),
                    );
                    continue;
                }
            };
            let mut stops = Vec::new();
            for (si, s) in t.stops.iter().enumerate() {
                let Some(&site) = sites.get(s.site.as_str()) else {
                    unknown(
                        format!("{p}.stops[{si}].site"),
                        "site",
                        &s.site,
                        &mut scenario.sites.iter().map(|s| s.name.as_str()),
                    );
                    continue;
                };
                let mut hs = Vec::new();
                for (hi, h) in s.households.iter().enumerate() {
                    match households.get(h.as_str()) {
                        Some(&id) => hs.push(id),
                        // References identify people: never suggest one.
                        None => unknown(
                            format!("{p}.stops[{si}].households[{hi}]"),
                            "household",
                            h,
                            &mut std::iter::empty(),
                        ),
                    }
                }
                stops.push(Stop {
                    site,
                    arrives: Seconds(s.arrives),
                    loading_starts: Seconds(s.loading_starts),
                    departs: Seconds(s.departs),
                    households: hs,
                });
            }
            let crossing = match &t.crossing {
                None => None,
                Some(c) => match corridors.get(c.corridor.as_str()) {
                    Some(&corridor) => Some(Crossing {
                        corridor,
                        queued: Seconds(c.queued),
                        starts: Seconds(c.starts),
                        ends: Seconds(c.ends),
                        convoy: c.convoy,
                    }),
                    None => {
                        unknown(
                            format!("{p}.crossing.corridor"),
                            "corridor",
                            &c.corridor,
                            &mut scenario.corridors.iter().map(|c| c.name.as_str()),
                        );
                        None
                    }
                },
            };
            trips.push(Trip {
                departs: Seconds(t.departs),
                stops,
                crossing,
                destination,
                arrives: Seconds(t.arrives),
                unloaded: Seconds(t.unloaded),
            });
        }
        plan.routes.push(VehicleRoute {
            vehicle,
            trips,
            returns_at: r.returns_at.map(Seconds),
        });
    }
    for (ui, u) in doc.uncarried.iter().enumerate() {
        match households.get(u.household.as_str()) {
            Some(&household) => plan.uncarried.push(Uncarried {
                household,
                reason: u.reason.clone(),
            }),
            None => unknown(
                format!("uncarried[{ui}].household"),
                "household",
                &u.household,
                &mut std::iter::empty(),
            ),
        }
    }
    if problems.is_empty() {
        Ok((plan, warnings))
    } else if other_scenario {
        // Hundreds of unknown names say one thing: the plan belongs to another scenario.
        Err(Problem::in_file(
            file,
            format!(
                "the plan was made for scenario `{}`, not `{}`: {} not in this scenario (the first: {})",
                doc.scenario,
                scenario.name,
                match problems.len() {
                    1 => "a name in it is".to_string(),
                    n => format!("{n} of its names are"),
                },
                problems[0].message
            ),
        )
        .field("scenario")
        .hint(Some(format!(
            "check it against the scenario it was made for, or make a plan for `{}` with `corridor plan`",
            scenario.name
        )))
        .into())
    } else {
        Err(Problems(problems))
    }
}
