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
//!   "closed": [ { "corridor": NAME, "until": TIME | null } ],
//!   "registered": [ { "household": REFERENCE, "site": SITE, "people": N,
//!                     "stretcher_cases": N, "tier": 1 | 2 | 3, "ready": TIME } ] }
//! ```
//!
//! A vehicle not listed is at its depot, free from the start of its shift (and
//! no earlier than `at`). A vehicle with people on board finishes its current
//! trip: `at` is the destination where it unloads them, `free_from` the end of
//! that unloading. Households neither delivered nor on board are waiting at
//! their pickup site. `"until": null` means nobody knows when it reopens.
//!
//! `registered` lists households registered in the field that the scenario
//! does not list, with the meaning of a scenario's household (`stretcher_cases`
//! defaults to 0, `tier` to 3, `ready` to the scenario's start). They join the
//! scenario's households before the rest is read, so `delivered` and `on_board`
//! may name them; a state without any leaves the key out.

use std::collections::HashMap;

use corridor_core::{
    Closure, CorridorId, Household, HouseholdId, OperationState, People, Scenario, Seconds,
    SiteId, SiteKind, Tier, VehicleId, VehicleSituation,
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
    #[serde(default)]
    registered: Vec<RegisteredDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisteredDoc {
    household: String,
    site: String,
    people: u32,
    #[serde(default)]
    stretcher_cases: u32,
    #[serde(default = "general_tier")]
    tier: u8,
    #[serde(default)]
    ready: Option<String>,
}

fn general_tier() -> u8 {
    Tier::GENERAL.number()
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
            // References identify people: never suggest one.
            self.unknown(field, "household", name, Vec::new());
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
    // Read first: the rest of the state may name these households. An entry in
    // error is `None` and keeps its place, so later ids and names still resolve.
    let registered = registered(&mut n, &doc.registered);
    let n_listed = scenario.households.len();
    let household_of = |h: HouseholdId| -> Option<&Household> {
        match h.index().checked_sub(n_listed) {
            None => Some(scenario.household(h)),
            Some(i) => registered.get(i).and_then(Option::as_ref),
        }
    };
    let reference_of = |h: HouseholdId| -> &str {
        match h.index().checked_sub(n_listed) {
            None => &scenario.household(h).reference,
            Some(i) => doc.registered[i].household.as_str(),
        }
    };
    // Where each household was first listed, so that a second listing names both places.
    let mut listed: HashMap<HouseholdId, String> = HashMap::new();
    let mut once = |n: &mut Names<'_>, h: HouseholdId, field: String| match listed.get(&h) {
        Some(first) => n.problems.push(
            Problem::in_file(
                file,
                format!(
                    "household `{}` is listed twice, here and at `{first}`",
                    reference_of(h)
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
            if household_of(h).is_some_and(|hh| !scenario.destination_accepts(site, hh)) {
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
        state.registered = registered.into_iter().flatten().collect();
        Ok(state)
    } else {
        Err(Problems(n.problems))
    }
}

/// The `registered` section, checked as a scenario checks its households; each
/// reference not in error is added to `n.households`, numbered after the scenario's.
fn registered<'a>(n: &mut Names<'a>, docs: &'a [RegisteredDoc]) -> Vec<Option<Household>> {
    let file = n.file;
    let mut out = Vec::with_capacity(docs.len());
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, d) in docs.iter().enumerate() {
        let field = |k: &str| format!("registered[{i}].{k}");
        let id = HouseholdId((n.s.households.len() + i) as u32);
        let mut ok = true;
        if n.households.contains_key(d.household.as_str()) && !first.contains_key(d.household.as_str()) {
            n.problems.push(
                Problem::in_file(
                    file,
                    format!(
                        "household `{}` is in the registry of scenario `{}`: only households the scenario does not list are registered here",
                        d.household, n.s.name
                    ),
                )
                .field(field("household")),
            );
            ok = false;
        } else if let Some(j) = first.get(d.household.as_str()) {
            n.problems.push(
                Problem::in_file(
                    file,
                    format!("household `{}` is registered twice, here and at `registered[{j}]`", d.household),
                )
                .field(field("household")),
            );
            ok = false;
        } else if d.household.trim().is_empty() {
            n.problems.push(
                Problem::in_file(file, "a household needs a reference (a pseudonymous id such as `H-0001`)")
                    .field(field("household")),
            );
            ok = false;
        } else {
            first.insert(&d.household, i);
            n.households.insert(&d.household, id);
        }
        let site = n.site(field("site"), &d.site);
        if let Some(site) = site
            && !matches!(n.s.site(site).kind, SiteKind::Pickup)
        {
            n.problems.push(
                Problem::in_file(
                    file,
                    format!("household `{}` is registered at `{}`, which is not a pickup site", d.household, d.site),
                )
                .field(field("site")),
            );
            ok = false;
        }
        if d.people == 0 {
            n.problems.push(
                Problem::in_file(file, format!("household `{}` has no people: `people` is at least 1", d.household))
                    .field(field("people")),
            );
            ok = false;
        } else if d.stretcher_cases > d.people {
            n.problems.push(
                Problem::in_file(
                    file,
                    format!(
                        "household `{}` has {} stretcher cases but only {} people; stretcher cases are counted among the people",
                        d.household, d.stretcher_cases, d.people
                    ),
                )
                .field(field("stretcher_cases")),
            );
            ok = false;
        }
        let tier = Tier::new(d.tier);
        if tier.is_none() {
            n.problems.push(
                Problem::in_file(file, format!("`tier` is {}; it is 1 (critical), 2 (vulnerable) or 3 (general)", d.tier))
                    .field(field("tier")),
            );
        }
        let ready = match &d.ready {
            None => Some(Seconds::ZERO),
            Some(t) => n.time(field("ready"), t),
        };
        out.push(match (ok, site, tier, ready) {
            (true, Some(site), Some(tier), Some(ready)) => Some(Household {
                reference: d.household.clone(),
                site,
                people: People(d.people),
                stretcher_cases: People(d.stretcher_cases),
                tier,
                ready,
            }),
            _ => None,
        });
    }
    out
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    registered: Vec<RegisteredOut<'a>>,
}

#[derive(serde::Serialize)]
struct RegisteredOut<'a> {
    household: &'a str,
    site: &'a str,
    people: u32,
    stretcher_cases: u32,
    tier: u8,
    ready: String,
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
    let n_listed = scenario.households.len();
    let reference = |h: HouseholdId| -> &str {
        match h.index().checked_sub(n_listed) {
            None => &scenario.household(h).reference,
            Some(i) => state.registered.get(i).map_or("", |x| x.reference.as_str()),
        }
    };
    let doc = StateOut {
        format: STATE_FORMAT,
        version: STATE_FORMAT_VERSION,
        at: time_text(scenario, state.at),
        delivered: state
            .delivered
            .iter()
            .map(|(h, d)| DeliveredOut {
                household: reference(*h),
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
                        on_board: on_board.iter().map(|h| reference(*h)).collect(),
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
        registered: state
            .registered
            .iter()
            .map(|h| RegisteredOut {
                household: &h.reference,
                site: &scenario.site(h.site).name,
                people: h.people.0,
                stretcher_cases: h.stretcher_cases.0,
                tier: h.tier.number(),
                ready: time_text(scenario, h.ready),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutorial() -> Scenario {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/tutorial/scenario.toml");
        crate::load_scenario(path.as_ref()).expect("the tutorial reads").scenario
    }

    fn state(rest: &str) -> String {
        format!(r#"{{"format": "corridor-state", "version": 1, "at": "2h", {rest}}}"#)
    }

    /// The JSON paths of the problems of `text`, and their messages.
    fn problems(text: &str) -> (Vec<String>, String) {
        let p = read_state("state.json", text, &tutorial()).expect_err("a state in error");
        let fields = p.0.iter().map(|x| x.field.clone().unwrap_or_default()).collect();
        (fields, p.to_string())
    }

    #[test]
    fn registered_households_join_the_scenario_before_the_rest() {
        let s = tutorial();
        let n = s.households.len() as u32;
        let text = state(
            r#""delivered": [{"household": "FX-2", "destination": "Hill school shelter"}],
               "vehicles": [{"vehicle": "ambulance-1", "at": "St. Anne hospital", "free_from": "2h30min", "on_board": ["FX-1"]}],
               "registered": [{"household": "FX-1", "site": "Old mill", "people": 3, "stretcher_cases": 1, "tier": 1, "ready": "1h"},
                              {"household": "FX-2", "site": "Church hill", "people": 2}]"#,
        );
        let st = read_state("state.json", &text, &s).expect("a valid state");
        assert_eq!(st.registered.len(), 2);
        let fx1 = &st.registered[0];
        assert_eq!((fx1.reference.as_str(), s.site(fx1.site).name.as_str()), ("FX-1", "Old mill"));
        assert_eq!((fx1.people, fx1.stretcher_cases, fx1.tier, fx1.ready), (People(3), People(1), Tier::CRITICAL, Seconds(3600)));
        let fx2 = &st.registered[1];
        assert_eq!((fx2.stretcher_cases, fx2.tier, fx2.ready), (People(0), Tier::GENERAL, Seconds::ZERO));
        assert_eq!(st.delivered[0].0, HouseholdId(n + 1));
        assert!(matches!(&st.vehicles[0].1, VehicleSituation::InService { on_board, .. } if on_board == &[HouseholdId(n)]));

        // Round trip: written, it reads back the same.
        let written = write_state(&s, &st);
        assert!(written.contains("\"registered\""));
        assert_eq!(read_state("again.json", &written, &s).expect("it reads back"), st);

        // Both are gone from what remains; the scenario's households all wait.
        let rem = s.remaining(&st).expect("the state fits");
        assert_eq!(rem.scenario.households.len(), s.households.len());
        assert!(rem.scenario.households.iter().all(|h| !h.reference.starts_with("FX-")));
    }

    #[test]
    fn a_state_without_registrations_leaves_the_key_out() {
        let s = tutorial();
        let st = read_state("state.json", &state(r#""closed": []"#), &s).expect("a valid state");
        assert!(st.registered.is_empty());
        assert!(!write_state(&s, &st).contains("registered"));
    }

    #[test]
    fn registered_households_are_checked_like_the_scenario_s() {
        let cases = [
            (r#"{"household": "FX-1", "site": "Old mil", "people": 3}"#, "registered[0].site", "Old mill"),
            (r#"{"household": "RF-001", "site": "Old mill", "people": 3}"#, "registered[0].household", "in the registry"),
            (r#"{"household": "FX-1", "site": "Old mill", "people": 0}"#, "registered[0].people", "at least 1"),
            (r#"{"household": "FX-1", "site": "Old mill", "people": 2, "stretcher_cases": 3}"#, "registered[0].stretcher_cases", "counted among the people"),
            (r#"{"household": "FX-1", "site": "Bus depot", "people": 2}"#, "registered[0].site", "not a pickup site"),
            (r#"{"household": "FX-1", "site": "Old mill", "people": 2, "tier": 4}"#, "registered[0].tier", "1 (critical)"),
            (r#"{"household": "FX-1", "site": "Old mill", "people": 2, "ready": "soon"}"#, "registered[0].ready", ""),
            (r#"{"household": "FX-1", "site": "Old mill", "people": 2, "ready": "999999999h"}"#, "registered[0].ready", "too far"),
        ];
        for (entry, field, says) in cases {
            let (fields, text) = problems(&state(&format!(r#""registered": [{entry}]"#)));
            assert_eq!(fields, [field], "{entry}: {text}");
            assert!(text.contains(says), "{entry}: {text}");
            assert!(text.contains("state.json"), "{text}");
        }
        let (fields, text) = problems(&state(
            r#""registered": [{"household": "FX-1", "site": "Old mill", "people": 2},
                              {"household": "FX-2", "site": "Old mill", "people": 1},
                              {"household": "FX-1", "site": "Church hill", "people": 2}]"#,
        ));
        assert_eq!(fields, ["registered[2].household"], "{text}");
        assert!(text.contains("registered twice, here and at `registered[0]`"), "{text}");
    }

    #[test]
    fn the_rest_of_the_state_may_name_registered_households_only_once() {
        let (fields, text) = problems(&state(
            r#""delivered": [{"household": "FX-1", "destination": "Hill school shelter"}],
               "vehicles": [{"vehicle": "bus-01", "at": "Hill school shelter", "free_from": "2h", "on_board": ["FX-1"]}],
               "registered": [{"household": "FX-1", "site": "Old mill", "people": 2}]"#,
        ));
        assert_eq!(fields, ["vehicles[0].on_board[0]"], "{text}");
        assert!(text.contains("`FX-1` is listed twice"), "{text}");
        // A stretcher case the shelter does not take.
        let (fields, text) = problems(&state(
            r#""delivered": [{"household": "FX-1", "destination": "Hill school shelter"}],
               "registered": [{"household": "FX-1", "site": "Old mill", "people": 2, "stretcher_cases": 1}]"#,
        ));
        assert_eq!(fields, ["delivered[0].destination"], "{text}");
        // A household in error is still known by name: no second problem for it.
        let (fields, _) = problems(&state(
            r#""delivered": [{"household": "FX-1", "destination": "Hill school shelter"}],
               "registered": [{"household": "FX-1", "site": "Nowhere", "people": 2}]"#,
        ));
        assert_eq!(fields, ["registered[0].site"]);
    }
}
