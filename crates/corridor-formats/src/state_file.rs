//! The state file: what has happened by an instant, for planning what remains.
//!
//! Schema (format version 1); times are ISO 8601 instants with an offset, or
//! durations from the scenario's start ("30h"):
//!
//! ```text
//! { "format": "corridor-state", "version": 1, "at": TIME,
//!   "delivered": [ { "household": REFERENCE, "destination": SITE } ],
//!   "vehicles": [ { "vehicle": NAME, "at": SITE, "free_from": TIME, "on_board": [REFERENCE, ...] },
//!                 { "vehicle": NAME, "out_of_service": true } ],
//!   "closed": [ { "corridor": NAME, "until": TIME | null } ] }
//! ```
//!
//! A vehicle not listed is at its depot, free from the start of its shift (and
//! no earlier than `at`). A vehicle with people on board finishes its current
//! trip: `at` is the destination where it unloads them, `free_from` the end of
//! that unloading. Households neither delivered nor on board are waiting at
//! their pickup site. `"until": null` means nobody knows when it reopens.

use std::collections::HashMap;

use corridor_core::{
    Closure, CorridorId, HouseholdId, OperationState, Scenario, Seconds, SiteId, VehicleId,
    VehicleSituation,
};
use serde::Deserialize;

use crate::problem::{Problem, Problems, did_you_mean, json_problem};
use crate::time::parse_instant;

/// The value of the state file's `format` key.
pub const STATE_FORMAT: &str = "corridor-state";
/// The state format version this build reads.
pub const STATE_FORMAT_VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateDoc {
    format: String,
    version: u32,
    at: String,
    #[serde(default)]
    delivered: Vec<DeliveredDoc>,
    #[serde(default)]
    vehicles: Vec<VehicleDoc>,
    #[serde(default)]
    closed: Vec<ClosedDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveredDoc {
    household: String,
    destination: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VehicleDoc {
    vehicle: String,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    free_from: Option<String>,
    #[serde(default)]
    on_board: Vec<String>,
    #[serde(default)]
    out_of_service: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosedDoc {
    corridor: String,
    until: Option<String>,
}

/// Names to ids, in the scenario's order for stable "did you mean" hints.
struct Names<'a> {
    s: &'a Scenario,
    file: &'a str,
    sites: HashMap<&'a str, SiteId>,
    vehicles: HashMap<&'a str, VehicleId>,
    households: HashMap<&'a str, HouseholdId>,
    corridors: HashMap<&'a str, CorridorId>,
    problems: Vec<Problem>,
}

impl<'a> Names<'a> {
    fn unknown(&mut self, field: String, what: &str, name: &str, names: Vec<&str>) {
        self.problems.push(
            Problem::in_file(
                self.file,
                format!("no {what} named `{name}` in scenario `{}`", self.s.name),
            )
            .field(field)
            .hint(did_you_mean(name, names)),
        );
    }

    fn site(&mut self, field: String, name: &str) -> Option<SiteId> {
        let found = self.sites.get(name).copied();
        if found.is_none() {
            let names = self.s.sites.iter().map(|x| x.name.as_str()).collect();
            self.unknown(field, "site", name, names);
        }
        found
    }

    fn household(&mut self, field: String, name: &str) -> Option<HouseholdId> {
        let found = self.households.get(name).copied();
        if found.is_none() {
            let names = self
                .s
                .households
                .iter()
                .map(|x| x.reference.as_str())
                .collect();
            self.unknown(field, "household", name, names);
        }
        found
    }

    fn time(&mut self, field: String, text: &str) -> Option<Seconds> {
        match parse_instant(text, self.s.clock.as_ref()) {
            Ok(t) if t.0.abs() <= crate::scenario_file::MAX_TIME.0 => Some(t),
            Ok(_) => {
                self.problems.push(
                    Problem::in_file(
                        self.file,
                        format!("`{text}` is too far from the scenario's start"),
                    )
                    .field(field),
                );
                None
            }
            Err(e) => {
                self.problems
                    .push(Problem::in_file(self.file, e).field(field));
                None
            }
        }
    }
}

/// Reads a state file for `scenario`, naming every problem with its JSON path.
pub fn read_state(file: &str, text: &str, scenario: &Scenario) -> Result<OperationState, Problems> {
    let doc: StateDoc = serde_json::from_str(text).map_err(|e| json_problem(file, &e))?;
    let mut n = Names {
        s: scenario,
        file,
        sites: index(scenario.sites.iter().map(|x| x.name.as_str()), SiteId),
        vehicles: index(scenario.vehicles.iter().map(|x| x.name.as_str()), VehicleId),
        households: index(
            scenario.households.iter().map(|x| x.reference.as_str()),
            HouseholdId,
        ),
        corridors: index(
            scenario.corridors.iter().map(|x| x.name.as_str()),
            CorridorId,
        ),
        problems: Vec::new(),
    };
    if doc.format != STATE_FORMAT {
        n.problems.push(
            Problem::in_file(
                file,
                format!(
                    "`format` is `{}`; a state file says `{STATE_FORMAT}`",
                    doc.format
                ),
            )
            .field("format"),
        );
    }
    if doc.version != STATE_FORMAT_VERSION {
        n.problems.push(
            Problem::in_file(
                file,
                format!("state format version {} is not readable by this build (it reads version {STATE_FORMAT_VERSION})", doc.version),
            )
            .field("version"),
        );
    }
    let at = n.time("at".into(), &doc.at).unwrap_or_default();
    let mut state = OperationState {
        at,
        ..OperationState::default()
    };
    // Where each household was first listed, so that a second listing names both places.
    let mut listed: HashMap<HouseholdId, String> = HashMap::new();
    let mut once = |n: &mut Names<'_>, h: HouseholdId, field: String| match listed.get(&h) {
        Some(first) => n.problems.push(
            Problem::in_file(
                file,
                format!(
                    "household `{}` is listed twice, here and at `{first}`",
                    scenario.household(h).reference
                ),
            )
            .field(field),
        ),
        None => {
            listed.insert(h, field);
        }
    };
    for (i, d) in doc.delivered.iter().enumerate() {
        let h = n.household(format!("delivered[{i}].household"), &d.household);
        let site = n.site(format!("delivered[{i}].destination"), &d.destination);
        if let (Some(h), Some(site)) = (h, site) {
            once(&mut n, h, format!("delivered[{i}].household"));
            if !scenario.destination_accepts(site, scenario.household(h)) {
                let why = if scenario.destination(site).is_none() {
                    "which is not a destination"
                } else {
                    "which does not take it (stretcher cases, or a destination that serves other sites)"
                };
                n.problems.push(
                    Problem::in_file(
                        file,
                        format!(
                            "household `{}` is delivered to `{}`, {why}",
                            d.household, d.destination
                        ),
                    )
                    .field(format!("delivered[{i}].destination")),
                );
            }
            state.delivered.push((h, site));
        }
    }
    for (i, v) in doc.vehicles.iter().enumerate() {
        let Some(id) = n.vehicles.get(v.vehicle.as_str()).copied() else {
            let names = scenario.vehicles.iter().map(|x| x.name.as_str()).collect();
            n.unknown(
                format!("vehicles[{i}].vehicle"),
                "vehicle",
                &v.vehicle,
                names,
            );
            continue;
        };
        if v.out_of_service {
            if v.at.is_some() || v.free_from.is_some() || !v.on_board.is_empty() {
                n.problems.push(
                    Problem::in_file(file, format!("vehicle `{}` is out of service, so it has no `at`, `free_from` or `on_board`", v.vehicle))
                        .field(format!("vehicles[{i}]"))
                        .hint(Some("people who were on it are waiting again: leave them out of the state".into())),
                );
            }
            state.vehicles.push((id, VehicleSituation::OutOfService));
            continue;
        }
        let (Some(at_name), Some(free)) = (&v.at, &v.free_from) else {
            n.problems.push(
                Problem::in_file(file, format!("vehicle `{}` needs `at` (a site) and `free_from` (a time), or `\"out_of_service\": true`", v.vehicle))
                    .field(format!("vehicles[{i}]")),
            );
            continue;
        };
        let at = n.site(format!("vehicles[{i}].at"), at_name);
        let free_from = n.time(format!("vehicles[{i}].free_from"), free);
        let mut on_board: Vec<HouseholdId> = Vec::new();
        for (j, h) in v.on_board.iter().enumerate() {
            let field = format!("vehicles[{i}].on_board[{j}]");
            if let Some(id) = n.household(field.clone(), h) {
                once(&mut n, id, field);
                on_board.push(id);
            }
        }
        if let (Some(at), Some(free_from)) = (at, free_from) {
            state.vehicles.push((
                id,
                VehicleSituation::InService {
                    at,
                    free_from,
                    on_board,
                },
            ));
        }
    }
    for (i, c) in doc.closed.iter().enumerate() {
        let Some(corridor) = n.corridors.get(c.corridor.as_str()).copied() else {
            let names = scenario.corridors.iter().map(|x| x.name.as_str()).collect();
            n.unknown(
                format!("closed[{i}].corridor"),
                "corridor",
                &c.corridor,
                names,
            );
            continue;
        };
        let until = match &c.until {
            None => None,
            Some(t) => match n.time(format!("closed[{i}].until"), t) {
                Some(t) => Some(t),
                None => continue,
            },
        };
        state.closures.push(Closure { corridor, until });
    }
    if n.problems.is_empty() {
        Ok(state)
    } else {
        Err(Problems(n.problems))
    }
}

fn index<'a, T>(names: impl Iterator<Item = &'a str>, id: fn(u32) -> T) -> HashMap<&'a str, T> {
    names.enumerate().map(|(i, x)| (x, id(i as u32))).collect()
}

/// A time as the state file writes it: an instant with its offset when the
/// scenario has a start, else a duration from the start.
fn time_text(scenario: &Scenario, t: Seconds) -> String {
    match &scenario.clock {
        Some(c) => format!(
            "{}{}",
            c.format_seconds(t).replacen(' ', "T", 1),
            c.offset_text()
        ),
        None => format!("{}s", t.0),
    }
}

#[derive(serde::Serialize)]
struct StateOut<'a> {
    format: &'a str,
    version: u32,
    at: String,
    delivered: Vec<DeliveredOut<'a>>,
    vehicles: Vec<VehicleOut<'a>>,
    closed: Vec<ClosedOut<'a>>,
}

#[derive(serde::Serialize)]
struct DeliveredOut<'a> {
    household: &'a str,
    destination: &'a str,
}

#[derive(serde::Serialize)]
struct VehicleOut<'a> {
    vehicle: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    free_from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    on_board: Vec<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    out_of_service: bool,
}

#[derive(serde::Serialize)]
struct ClosedOut<'a> {
    corridor: &'a str,
    until: Option<String>,
}

/// Writes `state` as a state file that [`read_state`] reads back.
pub fn write_state(scenario: &Scenario, state: &OperationState) -> String {
    let doc = StateOut {
        format: STATE_FORMAT,
        version: STATE_FORMAT_VERSION,
        at: time_text(scenario, state.at),
        delivered: state
            .delivered
            .iter()
            .map(|(h, d)| DeliveredOut {
                household: &scenario.household(*h).reference,
                destination: &scenario.site(*d).name,
            })
            .collect(),
        vehicles: state
            .vehicles
            .iter()
            .map(|(v, situation)| {
                let vehicle = scenario.vehicle(*v).name.as_str();
                match situation {
                    VehicleSituation::OutOfService => VehicleOut {
                        vehicle,
                        at: None,
                        free_from: None,
                        on_board: vec![],
                        out_of_service: true,
                    },
                    VehicleSituation::InService {
                        at,
                        free_from,
                        on_board,
                    } => VehicleOut {
                        vehicle,
                        at: Some(scenario.site(*at).name.as_str()),
                        free_from: Some(time_text(scenario, *free_from)),
                        on_board: on_board
                            .iter()
                            .map(|h| scenario.household(*h).reference.as_str())
                            .collect(),
                        out_of_service: false,
                    },
                }
            })
            .collect(),
        closed: state
            .closures
            .iter()
            .map(|c| ClosedOut {
                corridor: &scenario.corridors[c.corridor.index()].name,
                until: c.until.map(|t| time_text(scenario, t)),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
