//! Field events: the wire format devices send, and the typed event it becomes
//! once its names are resolved against the operation's scenario.
//!
//! Parsing is per event, so one malformed event never spoils its batch: the
//! caller gets either an [`Event`] or a message that says what to fix.

use corridor_core::{CorridorId, People, Scenario, Seconds, SiteId, SiteKind, Tier, VehicleId};
use serde::{Deserialize, Serialize};

/// Longest client-made event id, device name or household reference.
pub const MAX_NAME: usize = 128;

/// An event as a device sends it (and as the log stores it). One flat object:
/// `kind` says which of the optional fields are needed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventIn {
    /// Made by the client, unique per event; sending the same id again records nothing new.
    pub id: String,
    /// `registered`, `boarded`, `departed`, `checkpoint`, `arrived`, `no_show`, `stayed`,
    /// `split`, `incident` or `resolved`.
    pub kind: String,
    /// The device's own time: an ISO 8601 instant with offset (`2016-12-15T09:30:00+02:00`),
    /// or a duration from the scenario's start (`26h30min`).
    pub at: String,
    /// The device (or person) that recorded it.
    pub device: String,
    /// Household reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household: Option<String>,
    /// Vehicle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// The trip's number on the vehicle's route in the plan, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip: Option<u32>,
    /// Gathering point (pickup site) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Destination site name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Corridor name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corridor: Option<String>,
    /// People in the household (`registered`; with `split`, how many move to the new household).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<u32>,
    /// Of them, how many travel lying down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stretcher_cases: Option<u32>,
    /// Priority tier 1–3 for a household the registry did not list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    /// `departed`: the driver's count of people on board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headcount: Option<u32>,
    /// `incident`: `vehicle_out_of_service`, `corridor_closed` or `corridor_reopened`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    /// `incident` `corridor_closed`: when it is expected to reopen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// `split`: the reference of the household that splits off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_household: Option<String>,
    /// `resolved`: the id of the event whose conflict this settles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<String>,
    /// `resolved`: `first` keeps what was recorded before (the default), `second` takes the conflicting event's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    /// `resolved`: why, in a few words (no personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `registered`: the household's name, where it is recorded (personal data: stored encrypted, never in the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `registered`: a phone number (personal data, encrypted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `registered`: a note about the household (personal data, encrypted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Internal `plan_activated`: the plan's id (not accepted from clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

/// The optional personal fields of a registration. They never enter the event
/// log: the store keeps them encrypted, apart, so that they can be erased.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Personal {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl EventIn {
    /// Takes the personal fields out of the event (what remains goes to the log).
    pub fn take_personal(&mut self) -> Option<Personal> {
        let p = Personal {
            name: self.name.take(),
            phone: self.phone.take(),
            note: self.note.take(),
        };
        (p != Personal::default()).then_some(p)
    }
}

/// An event whose names are resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The client's id.
    pub id: String,
    /// The device's time, from the scenario's start.
    pub at: Seconds,
    /// The device's time as it was sent.
    pub at_text: String,
    /// Who recorded it.
    pub device: String,
    /// What happened.
    pub what: What,
}

/// Which side of a conflict stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accept {
    /// What was recorded before.
    First,
    /// The conflicting event's version.
    Second,
}

/// What an event says happened.
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    /// A household arrived at a gathering point (also one the registry did not list).
    Registered {
        /// Reference.
        household: String,
        /// Where.
        site: SiteId,
        /// Size, when given (required for a household not in the registry).
        people: Option<People>,
        /// Lying cases, when given.
        stretcher_cases: Option<People>,
        /// Tier, when given.
        tier: Option<Tier>,
    },
    /// A household got on a vehicle's trip.
    Boarded {
        /// Reference.
        household: String,
        /// Vehicle.
        vehicle: VehicleId,
        /// Trip number from 1.
        trip: u32,
    },
    /// A vehicle left with its trip's passengers.
    Departed {
        /// Vehicle.
        vehicle: VehicleId,
        /// Trip number.
        trip: u32,
        /// The driver's count of people on board.
        headcount: Option<u32>,
    },
    /// A vehicle passed a corridor's checkpoint.
    Checkpoint {
        /// Vehicle.
        vehicle: VehicleId,
        /// Trip number.
        trip: u32,
        /// Corridor.
        corridor: CorridorId,
    },
    /// A vehicle's trip (or one household of it) reached a destination.
    Arrived {
        /// Vehicle.
        vehicle: VehicleId,
        /// Trip number.
        trip: u32,
        /// Destination.
        destination: SiteId,
        /// Only this household, when given; otherwise everyone boarded on the trip.
        household: Option<String>,
    },
    /// A household did not come when its vehicle loaded.
    NoShow {
        /// Reference.
        household: String,
    },
    /// A household chose to stay: accounted for, not to be moved.
    Stayed {
        /// Reference.
        household: String,
    },
    /// Part of a household becomes a household of its own: the logged exception to
    /// "families stay together".
    Split {
        /// The household that splits.
        household: String,
        /// The new household's reference.
        new_household: String,
        /// People who move to it.
        people: People,
        /// Of them, lying cases.
        stretcher_cases: People,
    },
    /// A vehicle can no longer work.
    VehicleOutOfService {
        /// Vehicle.
        vehicle: VehicleId,
    },
    /// A corridor closed.
    CorridorClosed {
        /// Corridor.
        corridor: CorridorId,
        /// Expected reopening.
        until: Option<Seconds>,
    },
    /// A corridor reopened.
    CorridorReopened {
        /// Corridor.
        corridor: CorridorId,
    },
    /// A person settles a conflict.
    Resolved {
        /// The id of the event that was flagged.
        conflict: String,
        /// Which version stands.
        accept: Accept,
    },
    /// A plan became the active plan (written by the server, never by a device).
    PlanActivated {
        /// The plan's id.
        plan: String,
    },
}

impl What {
    /// The event kind as clients name it.
    pub fn kind(&self) -> &'static str {
        match self {
            What::Registered { .. } => "registered",
            What::Boarded { .. } => "boarded",
            What::Departed { .. } => "departed",
            What::Checkpoint { .. } => "checkpoint",
            What::Arrived { .. } => "arrived",
            What::NoShow { .. } => "no_show",
            What::Stayed { .. } => "stayed",
            What::Split { .. } => "split",
            What::VehicleOutOfService { .. }
            | What::CorridorClosed { .. }
            | What::CorridorReopened { .. } => "incident",
            What::Resolved { .. } => "resolved",
            What::PlanActivated { .. } => "plan_activated",
        }
    }

    /// The household the event is about, if it names one.
    pub fn household(&self) -> Option<&str> {
        match self {
            What::Registered { household, .. }
            | What::Boarded { household, .. }
            | What::NoShow { household }
            | What::Stayed { household }
            | What::Split { household, .. } => Some(household),
            What::Arrived { household, .. } => household.as_deref(),
            _ => None,
        }
    }

    /// The vehicle the event is about, if it names one.
    pub fn vehicle(&self) -> Option<VehicleId> {
        match self {
            What::Boarded { vehicle, .. }
            | What::Departed { vehicle, .. }
            | What::Checkpoint { vehicle, .. }
            | What::Arrived { vehicle, .. }
            | What::VehicleOutOfService { vehicle } => Some(*vehicle),
            _ => None,
        }
    }
}

/// The kinds a client may send.
pub const KINDS: [&str; 10] = [
    "registered",
    "boarded",
    "departed",
    "checkpoint",
    "arrived",
    "no_show",
    "stayed",
    "split",
    "incident",
    "resolved",
];

/// The `id` of a JSON event, when it has a usable one (to answer even a malformed event by its id).
pub fn id_of(value: &serde_json::Value) -> String {
    value
        .get("id")
        .and_then(|v| v.as_str())
        .map(|s| s.chars().take(MAX_NAME).collect())
        .unwrap_or_default()
}

/// Why a request body holds no events to judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// The body is not JSON, or not one event or an array of events; the message says what to send.
    Malformed(String),
    /// More events than one request may carry; the message says how many are allowed.
    TooMany(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Malformed(m) | BodyError::TooMany(m) => f.write_str(m),
        }
    }
}

/// Splits a request body into its events: one event (an object) or an array of at most
/// `max_batch` of them. Each is still to be read with [`read_event`], so that one malformed
/// event is answered on its own rather than spoiling the batch.
pub fn events_of_body(body: &[u8], max_batch: usize) -> Result<Vec<serde_json::Value>, BodyError> {
    let body: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        BodyError::Malformed(format!(
            "the body is not JSON ({e}); send one event (an object) or an array of events"
        ))
    })?;
    let items = match body {
        serde_json::Value::Array(a) => a,
        v @ serde_json::Value::Object(_) => vec![v],
        _ => {
            return Err(BodyError::Malformed(
                "send one event (an object) or an array of events".into(),
            ));
        }
    };
    if items.len() > max_batch {
        return Err(BodyError::TooMany(format!(
            "at most {max_batch} events per request; send the rest in another"
        )));
    }
    Ok(items)
}

/// Reads the JSON shape of one event of a request body.
pub fn read_event(value: serde_json::Value) -> Result<EventIn, String> {
    serde_json::from_value(value).map_err(|e| {
        let m = e.to_string();
        if m.contains("unknown field") {
            format!("{m}; an event has `id`, `kind`, `at`, `device` and the fields of its kind (docs/operations.md)")
        } else {
            m
        }
    })
}

/// Reads one event of a request body: the JSON shape first, then its names against the scenario.
pub fn parse_value(value: serde_json::Value, scenario: &Scenario) -> Result<Event, String> {
    parse(&read_event(value)?, scenario, false)
}

fn check_name(field: &str, v: &str) -> Result<(), String> {
    if v.trim().is_empty() {
        return Err(format!("`{field}` is empty"));
    }
    if v.chars().count() > MAX_NAME {
        return Err(format!("`{field}` is longer than {MAX_NAME} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("`{field}` holds a control character"));
    }
    Ok(())
}

fn need<'a>(kind: &str, field: &str, v: &'a Option<String>) -> Result<&'a str, String> {
    let v = v
        .as_deref()
        .ok_or_else(|| format!("a `{kind}` event needs `{field}`"))?;
    check_name(field, v)?;
    Ok(v)
}

fn need_trip(kind: &str, trip: Option<u32>) -> Result<u32, String> {
    match trip {
        None => Err(format!(
            "a `{kind}` event needs `trip`: the trip's number on the vehicle's route, from 1"
        )),
        Some(0) => Err("`trip` counts from 1 (the vehicle's first trip in the plan)".into()),
        Some(t) => Ok(t),
    }
}

fn suggest<'a>(v: &str, names: impl Iterator<Item = &'a str>) -> String {
    corridor_formats::did_you_mean(v, names)
        .map(|h| format!(" ({h})"))
        .unwrap_or_default()
}

fn vehicle_named(s: &Scenario, v: &str) -> Result<VehicleId, String> {
    s.vehicles
        .iter()
        .position(|x| x.name == v)
        .map(|i| VehicleId(i as u32))
        .ok_or_else(|| {
            format!(
                "no vehicle named `{v}` in the operation{}",
                suggest(v, s.vehicles.iter().map(|x| x.name.as_str()))
            )
        })
}

fn site_named(s: &Scenario, v: &str, want: &str, ok: impl Fn(&SiteKind) -> bool) -> Result<SiteId, String> {
    let names = || s.sites.iter().filter(|x| ok(&x.kind)).map(|x| x.name.as_str());
    match s.sites.iter().position(|x| x.name == v) {
        Some(i) if ok(&s.sites[i].kind) => Ok(SiteId(i as u32)),
        Some(_) => Err(format!("`{v}` is not a {want}{}", suggest(v, names()))),
        None => Err(format!("no {want} named `{v}` in the operation{}", suggest(v, names()))),
    }
}

fn corridor_named(s: &Scenario, v: &str) -> Result<CorridorId, String> {
    s.corridors
        .iter()
        .position(|x| x.name == v)
        .map(|i| CorridorId(i as u32))
        .ok_or_else(|| {
            format!(
                "no corridor named `{v}` in the operation{}",
                suggest(v, s.corridors.iter().map(|x| x.name.as_str()))
            )
        })
}

/// Resolves a wire event. `internal` admits the kinds only the server writes.
pub fn parse(raw: &EventIn, s: &Scenario, internal: bool) -> Result<Event, String> {
    check_name("id", &raw.id)?;
    check_name("device", &raw.device)?;
    let kind = raw.kind.as_str();
    let at = corridor_formats::parse_instant(&raw.at, s.clock.as_ref())
        .map_err(|e| format!("`at`: {e}"))?;
    if at.0.abs() > corridor_formats::MAX_TIME.0 {
        return Err("`at` is more than 100 years from the scenario's start".into());
    }
    let household = || need(kind, "household", &raw.household).map(str::to_string);
    let vehicle = || vehicle_named(s, need(kind, "vehicle", &raw.vehicle)?);
    let what = match kind {
        "registered" => {
            let site = site_named(s, need(kind, "site", &raw.site)?, "gathering point (pickup site)", |k| {
                matches!(k, SiteKind::Pickup)
            })?;
            if raw.people == Some(0) {
                return Err("`people` must be at least 1".into());
            }
            if let (Some(p), Some(l)) = (raw.people, raw.stretcher_cases)
                && l > p
            {
                return Err(format!("`stretcher_cases` ({l}) is more than `people` ({p})"));
            }
            let tier = match raw.tier {
                None => None,
                Some(n) => Some(Tier::new(n).ok_or("`tier` is 1, 2 or 3")?),
            };
            What::Registered {
                household: household()?,
                site,
                people: raw.people.map(People),
                stretcher_cases: raw.stretcher_cases.map(People),
                tier,
            }
        }
        "boarded" => What::Boarded {
            household: household()?,
            vehicle: vehicle()?,
            trip: need_trip(kind, raw.trip)?,
        },
        "departed" => What::Departed {
            vehicle: vehicle()?,
            trip: need_trip(kind, raw.trip)?,
            headcount: raw.headcount,
        },
        "checkpoint" => What::Checkpoint {
            vehicle: vehicle()?,
            trip: need_trip(kind, raw.trip)?,
            corridor: corridor_named(s, need(kind, "corridor", &raw.corridor)?)?,
        },
        "arrived" => What::Arrived {
            vehicle: vehicle()?,
            trip: need_trip(kind, raw.trip)?,
            destination: site_named(s, need(kind, "destination", &raw.destination)?, "destination", |k| {
                matches!(k, SiteKind::Destination(_))
            })?,
            household: match &raw.household {
                None => None,
                Some(h) => {
                    check_name("household", h)?;
                    Some(h.clone())
                }
            },
        },
        "no_show" => What::NoShow {
            household: household()?,
        },
        "stayed" => What::Stayed {
            household: household()?,
        },
        "split" => {
            let people = match raw.people {
                None | Some(0) => {
                    return Err("a `split` event needs `people`: how many (at least 1) move to `new_household`".into());
                }
                Some(p) => People(p),
            };
            let lying = People(raw.stretcher_cases.unwrap_or(0));
            if lying > people {
                return Err("`stretcher_cases` is more than `people`".into());
            }
            What::Split {
                household: household()?,
                new_household: need(kind, "new_household", &raw.new_household)?.to_string(),
                people,
                stretcher_cases: lying,
            }
        }
        "incident" => {
            let corridor = || corridor_named(s, need(kind, "corridor", &raw.corridor)?);
            match raw.what.as_deref() {
                Some("vehicle_out_of_service") => What::VehicleOutOfService { vehicle: vehicle()? },
                Some("corridor_closed") => What::CorridorClosed {
                    corridor: corridor()?,
                    until: match &raw.until {
                        None => None,
                        Some(u) => Some(
                            corridor_formats::parse_instant(u, s.clock.as_ref())
                                .map_err(|e| format!("`until`: {e}"))?,
                        ),
                    },
                },
                Some("corridor_reopened") => What::CorridorReopened { corridor: corridor()? },
                Some(other) => {
                    return Err(format!(
                        "unknown incident `{other}`; `what` is `vehicle_out_of_service`, `corridor_closed` or `corridor_reopened`"
                    ));
                }
                None => {
                    return Err("an `incident` event needs `what`: `vehicle_out_of_service`, `corridor_closed` or `corridor_reopened`".into());
                }
            }
        }
        "resolved" => What::Resolved {
            conflict: need(kind, "conflict", &raw.conflict)?.to_string(),
            accept: match raw.accept.as_deref() {
                None | Some("first") => Accept::First,
                Some("second") => Accept::Second,
                Some(o) => return Err(format!("`accept` is `first` or `second`, not `{o}`")),
            },
        },
        "plan_activated" if internal => What::PlanActivated {
            plan: need(kind, "plan", &raw.plan)?.to_string(),
        },
        other => {
            return Err(format!(
                "unknown kind `{other}`; expected one of {}{}",
                KINDS.join(", "),
                suggest(other, KINDS.iter().copied())
            ));
        }
    };
    if let Some(r) = &raw.reason
        && r.chars().count() > 500
    {
        return Err("`reason` is longer than 500 characters".into());
    }
    for (field, v) in [("name", &raw.name), ("phone", &raw.phone), ("note", &raw.note)] {
        if let Some(v) = v {
            if kind != "registered" {
                return Err(format!("`{field}` belongs on a `registered` event only (personal data is recorded once, at registration)"));
            }
            if v.chars().count() > 500 || v.chars().any(|c| c.is_control() && c != '\n') {
                return Err(format!("`{field}` must be at most 500 printable characters"));
            }
        }
    }
    Ok(Event {
        id: raw.id.clone(),
        at,
        at_text: raw.at.clone(),
        device: raw.device.clone(),
        what,
    })
}
