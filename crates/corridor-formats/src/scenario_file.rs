//! The scenario file: TOML that a person writes and diffs, pointing to CSV tables where lists are long.
//!
//! Reading happens in two steps: serde reads the TOML into documents that keep
//! each value's position (unknown keys are errors), then `resolve` checks every
//! value and reference and builds the core [`Scenario`]. All problems found are
//! reported together, each with its file, line, field and a hint.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use corridor_core::{
    Clock, ClosureEnd, ConvoyRule, Corridor, Deal, Destination, Household, Hub, LatLon, Objective,
    People, Planning, PossibleClosure, Reserved, RoadClosures, Scenario, Seconds, Site, SiteId,
    SiteKind, Tier, Uncertainty, Vehicle, VehicleType, VehicleTypeId, Window,
};
use serde::Deserialize;
use toml::Spanned;

use crate::hxl::{ColumnSpec, read_table};
use crate::network::{self, NetworkSource, RoadChange};
use crate::problem::{
    Problem, Problems, did_you_mean, explain_serde_message, floor_boundary, line_col,
};
use crate::time::{
    instant_of_datetime, looks_like_instant, parse_duration, parse_instant, unix_of,
};
use crate::values::{DurationText, TimeValue};
use corridor_roads::{Place, Restriction};

/// Longest duration a scenario may give (30 days): keeps every sum of times far from overflow.
const MAX_DURATION: Seconds = Seconds(30 * 86_400);
/// Longest per-person boarding or unloading time.
const MAX_PER_PERSON: Seconds = Seconds(3600);
/// Farthest time from the start (100 years): any time a user gives, in a file or on the command line.
pub const MAX_TIME: Seconds = Seconds(100 * 365 * 86_400);
/// Most seats or stretcher slots in one vehicle type.
const MAX_SEATS: i64 = 100_000;
/// Largest capacity or deal slack, in people.
const MAX_PEOPLE: i64 = 1_000_000_000;
/// Most sites: the travel-time matrix grows with the square of this.
pub(crate) const MAX_SITES: usize = 5_000;

/// The scenario format version this build reads and writes.
pub const SCENARIO_FORMAT_VERSION: i64 = 1;

/// Where files come from: the disk, or memory (the built-in demo, tests).
pub trait FileSource {
    /// The text of a file.
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// Files on disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl FileSource for Disk {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Files held in memory, by path.
#[derive(Clone, Debug, Default)]
pub struct InMemory(pub HashMap<PathBuf, String>);

impl FileSource for InMemory {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

/// A scenario read from its files, with what is odd but not wrong.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The resolved scenario.
    pub scenario: Scenario,
    /// Where its travel times come from.
    pub network: NetworkSource,
    /// Things worth a look that do not stop the scenario from being used.
    pub warnings: Vec<Problem>,
    /// What may go differently from a plan, for rehearsals (the `[rehearsal]` table, or its defaults).
    pub uncertainty: Uncertainty,
}

/// Reads a scenario file (and the CSV files it names) from disk.
pub fn load_scenario(path: &Path) -> Result<Loaded, Problems> {
    load_scenario_with(&Disk, path)
}

/// Reads a scenario file (and the CSV files it names) from a [`FileSource`].
pub fn load_scenario_with(src: &dyn FileSource, path: &Path) -> Result<Loaded, Problems> {
    let file = path.display().to_string();
    let text = src
        .read(path)
        .map_err(|e| Problem::in_file(&file, format!("cannot read the scenario file: {e}")))?;
    let doc: Doc = toml::from_str(&text).map_err(|e| {
        let (message, hint) = explain_serde_message(e.message(), "a table");
        let mut p = Problem::in_file(&file, message).hint(hint);
        if let Some(span) = e.span() {
            let (l, c) = line_col(&text, span.start);
            p.line = Some(l);
            p.column = Some(c);
            p.field = key_at(&text, span);
        }
        Problems(vec![p])
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut r = Resolver {
        file,
        text: &text,
        dir,
        src,
        problems: vec![],
        warnings: vec![],
        clock: None,
        start_broken: false,
        sites_incomplete: false,
        broken_types: vec![],
    };
    let out = r.resolve(doc);
    match out {
        Some((scenario, network, uncertainty)) if r.problems.is_empty() => Ok(Loaded {
            scenario,
            network,
            warnings: r.warnings,
            uncertainty,
        }),
        _ => Err(Problems(r.problems)),
    }
}

/// The key at an error span, for naming the field: the key itself when the span
/// starts at one, else the key whose value the span is in (the nearest `key =`
/// before it on its line, so that `{ detour = 1.3, speed_kmh = "x" }` names `speed_kmh`).
fn key_at(text: &str, span: Range<usize>) -> Option<String> {
    let at = floor_boundary(text, span.start);
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let (before, after) = (&text[start..at], &text[at..end]);
    let at_key = before.trim_end().is_empty() || before.trim_end().ends_with(['{', ',']);
    let key = at_key
        .then(|| after.split_once('=').map(|(k, _)| k))
        .flatten()
        .or_else(|| {
            let (lhs, _) = before.rsplit_once('=')?;
            lhs.rsplit(['{', ',']).next()
        })?
        .trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.trim_matches('"').to_string())
}

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    scenario: Header,
    network: S<NetworkDoc>,
    #[serde(default)]
    files: FilesDoc,
    #[serde(default)]
    site: Vec<SiteDoc>,
    #[serde(default)]
    household: Vec<HouseholdDoc>,
    #[serde(default)]
    population: Vec<PopulationDoc>,
    #[serde(default)]
    vehicle_type: Vec<VehicleTypeDoc>,
    #[serde(default)]
    vehicle: Vec<VehicleDoc>,
    #[serde(default)]
    corridor: Vec<CorridorDoc>,
    #[serde(default)]
    deal: Vec<DealDoc>,
    #[serde(default, deserialize_with = "one_rehearsal_table")]
    rehearsal: Option<RehearsalDoc>,
    #[serde(default)]
    planning: Option<PlanningDoc>,
    #[serde(default)]
    closure: Vec<S<RoadChangeDoc>>,
    #[serde(default)]
    slowdown: Vec<S<RoadChangeDoc>>,
}

/// A closure (`[[closure]]`) or slowdown (`[[slowdown]]`) of the road network: one place, and for
/// a slowdown its time factor.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoadChangeDoc {
    #[serde(default)]
    street: Option<S<String>>,
    #[serde(default)]
    way: Option<S<i64>>,
    #[serde(default)]
    area: Option<S<AreaDoc>>,
    #[serde(default)]
    factor: Option<S<f64>>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaDoc {
    lat: S<f64>,
    lon: S<f64>,
    radius_m: S<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: S<String>,
    #[serde(default)]
    format_version: Option<S<i64>>,
    #[serde(default)]
    start: Option<S<TimeValue>>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkDoc {
    #[serde(default)]
    great_circle: Option<S<GreatCircleDoc>>,
    #[serde(default)]
    matrix: Option<S<String>>,
    #[serde(default)]
    osm: Option<S<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GreatCircleDoc {
    detour: S<f64>,
    speed_kmh: S<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FilesDoc {
    #[serde(default)]
    sites: Option<S<String>>,
    #[serde(default)]
    households: Option<S<String>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum KindDoc {
    Pickup,
    Depot,
    Destination,
    Checkpoint,
    Hub,
}

impl KindDoc {
    fn parse(s: &str) -> Result<KindDoc, String> {
        match s.trim().to_lowercase().as_str() {
            "pickup" => Ok(KindDoc::Pickup),
            "depot" => Ok(KindDoc::Depot),
            "destination" => Ok(KindDoc::Destination),
            "checkpoint" => Ok(KindDoc::Checkpoint),
            "hub" => Ok(KindDoc::Hub),
            _ => Err(format!(
                "unknown site kind `{s}`; expected `pickup`, `depot`, `destination`, `checkpoint` or `hub`"
            )),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            KindDoc::Pickup => "a pickup site",
            KindDoc::Depot => "a depot",
            KindDoc::Destination => "a destination",
            KindDoc::Checkpoint => "a checkpoint",
            KindDoc::Hub => "a hub",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteDoc {
    name: S<String>,
    kind: S<KindDoc>,
    lat: S<f64>,
    lon: S<f64>,
    #[serde(default)]
    capacity: Option<S<i64>>,
    #[serde(default)]
    accepts_stretcher_cases: Option<S<bool>>,
    #[serde(default)]
    reserved_for: Option<S<String>>,
    #[serde(default)]
    reserved_places: Option<S<i64>>,
    #[serde(default)]
    serves: Option<S<Vec<String>>>,
    #[serde(default)]
    people_per_hour: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HouseholdDoc {
    reference: S<String>,
    site: S<String>,
    people: S<i64>,
    #[serde(default)]
    stretcher_cases: Option<S<i64>>,
    #[serde(default)]
    tier: Option<S<i64>>,
    #[serde(default)]
    ready: Option<S<TimeValue>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PopulationDoc {
    site: S<String>,
    people: S<i64>,
    #[serde(default)]
    tier: Option<S<i64>>,
    #[serde(default)]
    household_size: Option<S<i64>>,
    #[serde(default)]
    stretcher_cases: Option<S<i64>>,
    #[serde(default)]
    ready: Option<S<TimeValue>>,
    #[serde(default)]
    reference_prefix: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VehicleTypeDoc {
    name: S<String>,
    seats: S<i64>,
    #[serde(default)]
    stretchers: Option<S<i64>>,
    #[serde(default)]
    boarding_per_person: Option<S<DurationText>>,
    #[serde(default)]
    stop_time: Option<S<DurationText>>,
    #[serde(default)]
    unloading_per_person: Option<S<DurationText>>,
    #[serde(default)]
    travel_time_factor: Option<S<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VehicleDoc {
    name: S<String>,
    #[serde(rename = "type")]
    vehicle_type: S<String>,
    #[serde(default)]
    depot: Option<S<String>>,
    #[serde(default)]
    count: Option<S<i64>>,
    #[serde(default)]
    available_from: Option<S<TimeValue>>,
    #[serde(default)]
    available_until: Option<S<TimeValue>>,
    #[serde(default)]
    return_depot: Option<S<String>>,
    #[serde(default)]
    serves: Option<S<Vec<String>>>,
    #[serde(default)]
    departures: Option<Vec<S<TimeValue>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorridorDoc {
    name: S<String>,
    checkpoint: S<String>,
    governs: S<Vec<String>>,
    #[serde(default)]
    lanes: Option<S<i64>>,
    processing: S<DurationText>,
    #[serde(default)]
    windows: Option<Vec<S<WindowDoc>>>,
    #[serde(default)]
    convoy: Option<S<ConvoyDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowDoc {
    open: S<TimeValue>,
    close: S<TimeValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConvoyDoc {
    min_convoy: S<i64>,
    max_wait: S<DurationText>,
    #[serde(default)]
    escorts_per_window: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DealDoc {
    name: S<String>,
    group_a: S<Vec<String>>,
    group_b: S<Vec<String>>,
    #[serde(default)]
    ratio: Option<S<f64>>,
    #[serde(default)]
    slack: Option<S<i64>>,
    #[serde(default)]
    a_leaves_last: Option<S<bool>>,
}

/// Reads the `[rehearsal]` table; an array of tables (`[[rehearsal]]`) gets a message
/// saying so, where serde alone would say "invalid type: map, expected a number".
fn one_rehearsal_table<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<RehearsalDoc>, D::Error> {
    struct Table;
    impl<'de> serde::de::Visitor<'de> for Table {
        type Value = RehearsalDoc;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the table `[rehearsal]`")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RehearsalDoc, A::Error> {
            RehearsalDoc::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<RehearsalDoc, A::Error> {
            Err(serde::de::Error::custom(
                "`rehearsal` is a single table: write `[rehearsal]`, not `[[rehearsal]]`",
            ))
        }
    }
    d.deserialize_any(Table).map(Some)
}

/// The `[planning]` table: what plans minimise first, and how long each tier may wait.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanningDoc {
    #[serde(default)]
    objective: Option<S<String>>,
    #[serde(default)]
    max_wait: Option<MaxWaitDoc>,
}

/// `max_wait = { tier_1 = "1h", tier_2 = "3h", tier_3 = "8h" }`: any tier may be left out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaxWaitDoc {
    #[serde(default)]
    tier_1: Option<S<DurationText>>,
    #[serde(default)]
    tier_2: Option<S<DurationText>>,
    #[serde(default)]
    tier_3: Option<S<DurationText>>,
}

/// The `[rehearsal]` table: every field optional, defaults from [`Uncertainty::default`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RehearsalDoc {
    #[serde(default)]
    travel_time_cv: Option<S<f64>>,
    #[serde(default)]
    boarding_time_cv: Option<S<f64>>,
    #[serde(default)]
    crowding_delay_per_100_waiting: Option<S<DurationText>>,
    #[serde(default)]
    checkpoint_processing_cv: Option<S<f64>>,
    #[serde(default)]
    suspensions_per_day: Option<S<f64>>,
    #[serde(default)]
    suspension_mean: Option<S<DurationText>>,
    #[serde(default)]
    suspension_cv: Option<S<f64>>,
    #[serde(default)]
    breakdowns_per_driving_hour: Option<S<f64>>,
    #[serde(default)]
    repair_mean: Option<S<DurationText>>,
    #[serde(default)]
    repair_cv: Option<S<f64>>,
    #[serde(default)]
    losses_per_working_hour: Option<S<f64>>,
    #[serde(default)]
    late_household_share: Option<S<f64>>,
    #[serde(default)]
    late_household_mean: Option<S<DurationText>>,
    #[serde(default)]
    closure: Vec<S<PossibleClosureDoc>>,
}

/// A closure that may happen in a rehearsal run (`[[rehearsal.closure]]`): one place, how likely
/// it is, and when.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PossibleClosureDoc {
    #[serde(default)]
    street: Option<S<String>>,
    #[serde(default)]
    way: Option<S<i64>>,
    #[serde(default)]
    area: Option<S<AreaDoc>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    chance: Option<S<f64>>,
    #[serde(default)]
    from: Option<S<TimeValue>>,
    #[serde(default)]
    latest_from: Option<S<TimeValue>>,
    #[serde(default)]
    until: Option<S<TimeValue>>,
    #[serde(default)]
    mean_duration: Option<S<DurationText>>,
}

/// Where a value came from: a file and a line.
#[derive(Clone, Debug)]
struct At {
    file: String,
    line: usize,
}

impl At {
    fn of<T>(&self, v: T) -> F<T> {
        F {
            v,
            at: self.clone(),
        }
    }

    fn problem(&self, field: &str, message: impl Into<String>) -> Problem {
        Problem::in_file(self.file.clone(), message)
            .at_line(self.line)
            .field(field)
    }
}

/// A value and where it came from.
#[derive(Clone, Debug)]
struct F<T> {
    v: T,
    at: At,
}

/// A site before resolution, from TOML or CSV.
struct SiteIn {
    name: F<String>,
    kind: F<KindDoc>,
    lat: F<f64>,
    lon: F<f64>,
    capacity: Option<F<i64>>,
    accepts: Option<F<bool>>,
    reserved_for: Option<F<String>>,
    reserved_places: Option<F<i64>>,
    serves: Option<F<Vec<String>>>,
    people_per_hour: Option<F<i64>>,
}

/// A household before resolution, from TOML, CSV or a population block.
struct HouseholdIn {
    reference: F<String>,
    site: F<String>,
    people: F<i64>,
    stretcher: F<i64>,
    tier: F<i64>,
    ready: Seconds,
}

const SITE_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "name",
        hxl: Some("#loc+name"),
        required: true,
        personal: false,
    },
    ColumnSpec {
        name: "kind",
        hxl: Some("#loc+type"),
        required: true,
        personal: false,
    },
    ColumnSpec {
        name: "lat",
        hxl: Some("#geo+lat"),
        required: true,
        personal: false,
    },
    ColumnSpec {
        name: "lon",
        hxl: Some("#geo+lon"),
        required: true,
        personal: false,
    },
    ColumnSpec {
        name: "capacity",
        hxl: Some("#capacity+ind"),
        required: false,
        personal: false,
    },
    ColumnSpec {
        name: "accepts_stretcher_cases",
        hxl: Some("#capacity+stretcher"),
        required: false,
        personal: false,
    },
    ColumnSpec {
        name: "serves",
        hxl: Some("#loc+serves"),
        required: false,
        personal: false,
    },
    ColumnSpec {
        name: "reserved_for",
        hxl: Some("#capacity+reserved+type"),
        required: false,
        personal: false,
    },
    ColumnSpec {
        name: "reserved_places",
        hxl: Some("#capacity+reserved"),
        required: false,
        personal: false,
    },
    ColumnSpec {
        name: "people_per_hour",
        hxl: Some("#capacity+rate"),
        required: false,
        personal: false,
    },
];

const HOUSEHOLD_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "reference",
        hxl: None,
        required: true,
        personal: true,
    },
    ColumnSpec {
        name: "site",
        hxl: Some("#loc+name"),
        required: true,
        personal: false,
    },
    ColumnSpec {
        name: "people",
        hxl: Some("#affected+ind"),
        required: true,
        personal: false,
    },
    ColumnSpec {
        name: "stretcher_cases",
        hxl: Some("#affected+ind+stretcher"),
        required: false,
        personal: false,
    },
    ColumnSpec {
        name: "tier",
        hxl: Some("#priority"),
        required: false,
        personal: false,
    },
    ColumnSpec {
        name: "ready",
        hxl: Some("#date+ready"),
        required: false,
        personal: false,
    },
];

/// The documented mapping between CSV columns and HXL hashtags, for help texts.
pub fn hxl_mapping() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    SITE_COLUMNS
        .iter()
        .map(|c| ("sites", c.name, c.hxl))
        .chain(
            HOUSEHOLD_COLUMNS
                .iter()
                .map(|c| ("households", c.name, c.hxl)),
        )
        .collect()
}

struct Resolver<'a> {
    file: String,
    text: &'a str,
    dir: PathBuf,
    src: &'a dyn FileSource,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    clock: Option<Clock>,
    /// The `start` is given but unreadable (already reported): absolute times cannot be placed.
    start_broken: bool,
    /// Some sites could not be read (already reported): an unknown site name may be one of them.
    sites_incomplete: bool,
    /// Vehicle types defined with errors (already reported), by name.
    broken_types: Vec<String>,
}

impl<'a> Resolver<'a> {
    fn at(&self, span: Range<usize>) -> At {
        At {
            file: self.file.clone(),
            line: line_col(self.text, span.start).0,
        }
    }

    fn f<T: Clone>(&self, s: &S<T>) -> F<T> {
        F {
            v: s.get_ref().clone(),
            at: self.at(s.span()),
        }
    }

    fn err(&mut self, p: Problem) {
        self.problems.push(p);
    }

    fn time(&mut self, field: &str, v: &S<TimeValue>) -> Option<Seconds> {
        if self.start_broken
            && match v.get_ref() {
                TimeValue::Date(_) => true,
                TimeValue::Text(t) => looks_like_instant(t),
            }
        {
            return None; // the unreadable `start` is reported; this time cannot be placed without it
        }
        let r = match v.get_ref() {
            TimeValue::Date(d) => instant_of_datetime(d, self.clock.as_ref()),
            TimeValue::Text(t) => parse_instant(t, self.clock.as_ref()),
        };
        let t = r
            .map_err(|m| {
                let at = self.at(v.span());
                self.err(at.problem(field, m));
            })
            .ok()?;
        if t.0.abs() > MAX_TIME.0 {
            let at = self.at(v.span());
            self.err(at.problem(
                field,
                "this time is more than 100 years from the scenario's start",
            ));
            return None;
        }
        Some(t)
    }

    fn duration(&mut self, field: &str, v: &S<DurationText>) -> Option<Seconds> {
        // Per-person times are seconds or minutes; anything else at most a month.
        let (max, what) = if field.ends_with("_per_person") {
            (MAX_PER_PERSON, "1h")
        } else {
            (MAX_DURATION, "30d")
        };
        let d = parse_duration(&v.get_ref().0)
            .map_err(|m| {
                let at = self.at(v.span());
                self.err(at.problem(field, m));
            })
            .ok()?;
        if d > max {
            let at = self.at(v.span());
            self.err(at.problem(
                field,
                format!("`{}` is too long; expected at most {what}", v.get_ref().0),
            ));
            return None;
        }
        Some(d)
    }

    /// A whole number in `min..=max`, or a problem naming the field and the bad value.
    fn int(&mut self, field: &str, v: &F<i64>, min: i64, max: i64, what: &str) -> Option<u32> {
        if v.v < min || v.v > max {
            let range = if max == i64::from(u32::MAX) {
                format!("at least {min}")
            } else {
                format!("from {min} to {max}")
            };
            self.err(v.at.problem(field, format!("{what} must be {range}, got {}", v.v)));
            None
        } else {
            Some(v.v as u32)
        }
    }

    fn read_csv(&mut self, key: &str, rel: &S<String>) -> Option<(String, String)> {
        let path = self.dir.join(rel.get_ref());
        let shown = path.display().to_string();
        match self.src.read(&path) {
            Ok(t) => Some((shown, t)),
            Err(e) => {
                let at = self.at(rel.span());
                self.err(at.problem(key, format!("cannot read `{shown}`: {e}")));
                None
            }
        }
    }

    /// A number in `[min, max]`, or a problem naming the field and the bad value.
    fn real(&mut self, field: &str, v: &Option<S<f64>>, min: f64, max: f64, default: f64) -> f64 {
        let Some(v) = v else { return default };
        let x = *v.get_ref();
        if x.is_finite() && (min..=max).contains(&x) {
            x
        } else {
            let at = self.at(v.span());
            self.err(at.problem(field, format!("must be from {min} to {max}, got {x}")));
            default
        }
    }

    fn resolve_planning(&mut self, doc: Option<&PlanningDoc>) -> Planning {
        let mut out = Planning::default();
        let Some(p) = doc else { return out };
        if let Some(o) = &p.objective {
            let word = o.get_ref().trim();
            match word {
                "makespan" => out.objective = Objective::Makespan,
                "waiting" => out.objective = Objective::Waiting,
                _ => {
                    let at = self.at(o.span());
                    self.err(
                        at.problem(
                            "objective",
                            format!(
                                "unknown objective `{word}`; expected `makespan` (the time the last person reaches safety comes first) or `waiting` (how long people wait to be picked up comes first)"
                            ),
                        )
                        .hint(did_you_mean(word, ["makespan", "waiting"])),
                    );
                }
            }
        }
        if let Some(m) = &p.max_wait {
            for (i, v) in [&m.tier_1, &m.tier_2, &m.tier_3].into_iter().enumerate() {
                let Some(v) = v else { continue };
                let field = format!("max_wait.tier_{}", i + 1);
                let Some(d) = self.duration(&field, v) else {
                    continue;
                };
                if d <= Seconds::ZERO {
                    let at = self.at(v.span());
                    self.err(at.problem(
                        &field,
                        "a wait limit must be longer than zero (leave the tier out for no limit)",
                    ));
                    continue;
                }
                out.max_wait[i] = Some(d);
            }
        }
        out
    }

    fn resolve_rehearsal(&mut self, doc: Option<&RehearsalDoc>) -> Uncertainty {
        let d = Uncertainty::default();
        let Some(r) = doc else { return d };
        let dur = |me: &mut Self, field: &str, v: &Option<S<DurationText>>, default: Seconds| {
            v.as_ref()
                .map_or(Some(default), |v| me.duration(field, v))
                .unwrap_or(default)
        };
        // Coefficients of variation above 5 describe no real operation and overflow nothing
        // useful; rates are capped where they would mean one event every few minutes.
        Uncertainty {
            travel_time_cv: self.real(
                "travel_time_cv",
                &r.travel_time_cv,
                0.0,
                5.0,
                d.travel_time_cv,
            ),
            boarding_time_cv: self.real(
                "boarding_time_cv",
                &r.boarding_time_cv,
                0.0,
                5.0,
                d.boarding_time_cv,
            ),
            crowding_delay_per_100_waiting: dur(
                self,
                "crowding_delay_per_100_waiting",
                &r.crowding_delay_per_100_waiting,
                d.crowding_delay_per_100_waiting,
            ),
            checkpoint_processing_cv: self.real(
                "checkpoint_processing_cv",
                &r.checkpoint_processing_cv,
                0.0,
                5.0,
                d.checkpoint_processing_cv,
            ),
            suspensions_per_day: self.real(
                "suspensions_per_day",
                &r.suspensions_per_day,
                0.0,
                100.0,
                d.suspensions_per_day,
            ),
            suspension_mean: dur(
                self,
                "suspension_mean",
                &r.suspension_mean,
                d.suspension_mean,
            ),
            suspension_cv: self.real("suspension_cv", &r.suspension_cv, 0.0, 5.0, d.suspension_cv),
            breakdowns_per_driving_hour: self.real(
                "breakdowns_per_driving_hour",
                &r.breakdowns_per_driving_hour,
                0.0,
                10.0,
                d.breakdowns_per_driving_hour,
            ),
            repair_mean: dur(self, "repair_mean", &r.repair_mean, d.repair_mean),
            repair_cv: self.real("repair_cv", &r.repair_cv, 0.0, 5.0, d.repair_cv),
            losses_per_working_hour: self.real(
                "losses_per_working_hour",
                &r.losses_per_working_hour,
                0.0,
                10.0,
                d.losses_per_working_hour,
            ),
            late_household_share: self.real(
                "late_household_share",
                &r.late_household_share,
                0.0,
                1.0,
                d.late_household_share,
            ),
            late_household_mean: dur(
                self,
                "late_household_mean",
                &r.late_household_mean,
                d.late_household_mean,
            ),
            // Filled once the road network is read.
            closures: RoadClosures::default(),
        }
    }

    fn resolve(&mut self, doc: Doc) -> Option<(Scenario, NetworkSource, Uncertainty)> {
        if let Some(v) = &doc.scenario.format_version
            && *v.get_ref() != SCENARIO_FORMAT_VERSION
        {
            let at = self.at(v.span());
            self.err(at.problem(
                "format_version",
                format!(
                    "this scenario is format version {}, but this build of Corridor reads version {SCENARIO_FORMAT_VERSION}",
                    v.get_ref()
                ),
            ));
            return None;
        }
        if let Some(start) = &doc.scenario.start {
            let r = match start.get_ref() {
                TimeValue::Date(d) => unix_of(d),
                TimeValue::Text(t) => t
                    .trim()
                    .parse::<toml::value::Datetime>()
                    .map_err(|_| format!("`{t}` is not an ISO 8601 instant"))
                    .and_then(|d| unix_of(&d)),
            };
            match r {
                Ok((unix, offset)) => {
                    self.clock = Some(Clock {
                        unix_start: unix,
                        utc_offset_minutes: offset,
                    })
                }
                Err(m) => {
                    self.start_broken = true;
                    let at = self.at(start.span());
                    self.err(at.problem("start", format!("{m}; the start must be an instant with an offset, e.g. 2016-12-15T00:00:00+02:00")));
                }
            }
        }
        let name = doc.scenario.name.get_ref().trim().to_string();
        if name.is_empty() {
            let at = self.at(doc.scenario.name.span());
            self.err(at.problem("name", "the scenario needs a name"));
        }

        let before = self.problems.len();
        let sites_in = self.collect_sites(&doc);
        // A site row that could not be read is still named by vehicles and households:
        // reporting those names as unknown would only bury the real problem.
        self.sites_incomplete = self.problems.len() > before;
        let (sites, site_ids, kinds) = self.resolve_sites(sites_in);
        let types = self.resolve_vehicle_types(&doc.vehicle_type);
        let before_vehicles = self.problems.len();
        let vehicles = self.resolve_vehicles(&doc.vehicle, &types, &site_ids, &kinds);
        let vehicles_complete = self.problems.len() == before_vehicles && !self.start_broken;
        let households_in = self.collect_households(&doc);
        // Only vehicle types that some vehicle has can carry anyone.
        let fleet_types: Vec<(VehicleType, At)> = if vehicles.is_empty() || !vehicles_complete {
            types.clone()
        } else {
            types
                .iter()
                .enumerate()
                .filter(|(i, _)| vehicles.iter().any(|v| v.vehicle_type.index() == *i))
                .map(|(_, t)| t.clone())
                .collect()
        };
        let households = self.resolve_households(households_in, &site_ids, &kinds, &fleet_types);
        let corridors = self.resolve_corridors(&doc.corridor, &site_ids, &kinds);
        let deals = self.resolve_deals(&doc.deal, &site_ids, &kinds, &households);
        let network = self.resolve_network(&doc.network, &doc.closure, &doc.slowdown);
        let mut uncertainty = self.resolve_rehearsal(doc.rehearsal.as_ref());
        let planning = self.resolve_planning(doc.planning.as_ref());
        let before_possible = self.problems.len();
        let possible = self.resolve_possible_closures(
            doc.rehearsal.as_ref(),
            doc.network.get_ref().osm.is_some(),
            sites.len(),
        );
        let possible_broken = self.problems.len() > before_possible;

        // Whether the file has them at all: those it has but that have errors are reported already.
        if doc.vehicle_type.is_empty() {
            self.err(
                Problem::in_file(&self.file, "the scenario has no [[vehicle_type]]")
                    .field("vehicle_type"),
            );
        }
        if doc.vehicle.is_empty() && !doc.vehicle_type.is_empty() {
            self.err(
                Problem::in_file(&self.file, "the scenario has no [[vehicle]]").field("vehicle"),
            );
        }
        if !self.problems.is_empty() {
            return None;
        }
        let network = network?;
        if possible_broken {
            return None;
        }
        let (changes, closures): (Vec<RoadChange>, Vec<PossibleClosure>) =
            possible.unwrap_or_default().into_iter().unzip();
        let built = network::build_matrices_reporting(
            &network, &sites, &self.dir, self.src, &self.file, &changes,
        );
        let travel = match built {
            Ok((m, closed, warnings)) => {
                self.warnings.extend(warnings);
                match RoadClosures::new(closures, closed) {
                    Some(c) => uncertainty.closures = c,
                    None => {
                        self.err(Problem::in_file(&self.file, "the travel times under the possible closures could not be computed").field("closure"));
                        return None;
                    }
                }
                m
            }
            Err(p) => {
                self.problems.extend(p.0);
                return None;
            }
        };
        let scenario = Scenario {
            name,
            clock: self.clock,
            sites,
            households,
            vehicle_types: types.into_iter().map(|(t, _)| t).collect(),
            vehicles,
            corridors,
            deals,
            travel,
            planning,
        };
        self.warn_about(&scenario);
        Some((scenario, network, uncertainty))
    }

    fn collect_sites(&mut self, doc: &Doc) -> Vec<SiteIn> {
        let mut out: Vec<SiteIn> = doc
            .site
            .iter()
            .map(|s| SiteIn {
                name: self.f(&s.name),
                kind: self.f(&s.kind),
                lat: self.f(&s.lat),
                lon: self.f(&s.lon),
                capacity: s.capacity.as_ref().map(|c| self.f(c)),
                accepts: s.accepts_stretcher_cases.as_ref().map(|c| self.f(c)),
                reserved_for: s.reserved_for.as_ref().map(|c| self.f(c)),
                reserved_places: s.reserved_places.as_ref().map(|c| self.f(c)),
                serves: s.serves.as_ref().map(|c| self.f(c)),
                people_per_hour: s.people_per_hour.as_ref().map(|c| self.f(c)),
            })
            .collect();
        let Some(rel) = &doc.files.sites else {
            return out;
        };
        let Some((file, text)) = self.read_csv("sites", rel) else {
            return out;
        };
        let Some(table) = read_table(&file, &text, SITE_COLUMNS, &mut self.problems) else {
            return out;
        };
        for row in &table.rows {
            let at = At {
                file: file.clone(),
                line: row.line,
            };
            let cell = |c: &str| table.cell(row, c);
            let name = cell("name").unwrap_or_default().to_string();
            let raw_kind = cell("kind").unwrap_or_default();
            let kind = match KindDoc::parse(raw_kind) {
                Ok(k) => k,
                Err(m) => {
                    let kinds = ["pickup", "depot", "destination", "checkpoint", "hub"];
                    self.err(
                        table
                            .problem(row, "kind", m)
                            .hint(did_you_mean(raw_kind, kinds)),
                    );
                    continue;
                }
            };
            let mut num = |c: &str| -> Option<f64> {
                let raw = cell(c).unwrap_or_default();
                match raw.parse::<f64>() {
                    Ok(x) if x.is_finite() => Some(x),
                    _ => {
                        self.problems.push(table.problem(
                            row,
                            c,
                            format!(
                                "`{raw}` is not a number; expected decimal degrees, e.g. 36.185"
                            ),
                        ));
                        None
                    }
                }
            };
            let (Some(lat), Some(lon)) = (num("lat"), num("lon")) else {
                continue;
            };
            let capacity = match cell("capacity").map(|c| (c, c.parse::<i64>())) {
                None => None,
                Some((_, Ok(n))) => Some(at.of(n)),
                Some((raw, Err(_))) => {
                    self.err(table.problem(
                        row,
                        "capacity",
                        format!("`{raw}` is not a whole number of people"),
                    ));
                    continue;
                }
            };
            let accepts = match cell("accepts_stretcher_cases").map(|c| (c, parse_bool(c))) {
                None => None,
                Some((_, Some(b))) => Some(at.of(b)),
                Some((raw, None)) => {
                    self.err(table.problem(
                        row,
                        "accepts_stretcher_cases",
                        format!("`{raw}` is not yes/no; expected `true` or `false`"),
                    ));
                    continue;
                }
            };
            let reserved_for = cell("reserved_for").map(|c| at.of(c.to_string()));
            let reserved_places = match cell("reserved_places").map(|c| (c, c.parse::<i64>())) {
                None => None,
                Some((_, Ok(n))) => Some(at.of(n)),
                Some((raw, Err(_))) => {
                    self.err(table.problem(
                        row,
                        "reserved_places",
                        format!("`{raw}` is not a whole number of places"),
                    ));
                    continue;
                }
            };
            let serves = cell("serves").map(|s| {
                at.of(s
                    .split(';')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect())
            });
            let people_per_hour = match cell("people_per_hour").map(|c| (c, c.parse::<i64>())) {
                None => None,
                Some((_, Ok(n))) => Some(at.of(n)),
                Some((raw, Err(_))) => {
                    self.err(table.problem(
                        row,
                        "people_per_hour",
                        format!("`{raw}` is not a whole number of people per hour"),
                    ));
                    continue;
                }
            };
            out.push(SiteIn {
                name: at.of(name),
                kind: at.of(kind),
                lat: at.of(lat),
                lon: at.of(lon),
                capacity,
                accepts,
                reserved_for,
                reserved_places,
                serves,
                people_per_hour,
            });
        }
        out
    }

    #[allow(clippy::type_complexity)]
    fn resolve_sites(
        &mut self,
        input: Vec<SiteIn>,
    ) -> (Vec<Site>, HashMap<String, SiteId>, Vec<KindDoc>) {
        let mut ids: HashMap<String, SiteId> = HashMap::new();
        let mut first_at: HashMap<String, At> = HashMap::new();
        let mut sites = Vec::new();
        let mut kinds = Vec::new();
        for s in &input {
            let name = s.name.v.trim().to_string();
            if name.is_empty() {
                self.err(s.name.at.problem("name", "a site needs a name"));
                continue;
            }
            if let Some(prev) = first_at.get(&name) {
                self.err(s.name.at.problem(
                    "name",
                    format!(
                        "duplicate site name `{name}` (first defined in {} at line {})",
                        prev.file, prev.line
                    ),
                ));
                continue;
            }
            if !(-90.0..=90.0).contains(&s.lat.v) {
                self.err(s.lat.at.problem(
                    "lat",
                    format!("latitude must be from -90 to 90, got {}", s.lat.v),
                ));
            }
            if !(-180.0..=180.0).contains(&s.lon.v) {
                self.err(s.lon.at.problem(
                    "lon",
                    format!("longitude must be from -180 to 180, got {}", s.lon.v),
                ));
            }
            if s.kind.v != KindDoc::Destination {
                for (field, at) in [
                    ("capacity", s.capacity.as_ref().map(|c| &c.at)),
                    ("accepts_stretcher_cases", s.accepts.as_ref().map(|c| &c.at)),
                    ("reserved_for", s.reserved_for.as_ref().map(|c| &c.at)),
                    ("reserved_places", s.reserved_places.as_ref().map(|c| &c.at)),
                    ("serves", s.serves.as_ref().map(|c| &c.at)),
                ] {
                    if let Some(at) = at {
                        self.err(at.problem(
                            field,
                            format!(
                                "only destinations have `{field}`; `{name}` is {}",
                                s.kind.v.noun()
                            ),
                        ));
                    }
                }
            }
            if let (Some(r), false) = (&s.people_per_hour, s.kind.v == KindDoc::Hub) {
                self.err(r.at.problem(
                    "people_per_hour",
                    format!(
                        "only hubs have `people_per_hour` (their processing rate); `{name}` is {}",
                        s.kind.v.noun()
                    ),
                ));
            }
            let capacity = match &s.capacity {
                Some(c) => self
                    .int("capacity", c, 1, MAX_PEOPLE, "a destination's capacity")
                    .map(|n| Some(People(n))),
                None => Some(None),
            };
            let rate = match &s.people_per_hour {
                Some(r) => self
                    .int(
                        "people_per_hour",
                        r,
                        1,
                        MAX_PEOPLE,
                        "a hub's processing rate in people per hour",
                    )
                    .map(Some),
                None => Some(None),
            };
            let reserved = match (s.kind.v, &capacity) {
                (KindDoc::Destination, Some(c)) => self.reservation(s, &name, *c),
                // Not a destination, or an unreadable capacity (both already reported).
                _ => Reserved::Nothing,
            };
            first_at.insert(name.clone(), s.name.at.clone());
            ids.insert(name.clone(), SiteId(sites.len() as u32));
            kinds.push(s.kind.v);
            let kind = match s.kind.v {
                KindDoc::Pickup => SiteKind::Pickup,
                KindDoc::Depot => SiteKind::Depot,
                KindDoc::Checkpoint => SiteKind::Checkpoint,
                KindDoc::Hub => SiteKind::Hub(Hub {
                    people_per_hour: rate.flatten(),
                }),
                KindDoc::Destination => SiteKind::Destination(Destination {
                    capacity: capacity.flatten(),
                    accepts_stretcher_cases: s.accepts.as_ref().is_some_and(|a| a.v),
                    reserved,
                    serves: None,
                }),
            };
            sites.push(Site {
                name,
                kind,
                location: LatLon {
                    lat: s.lat.v,
                    lon: s.lon.v,
                },
            });
        }
        // `serves` names pickup sites, which may come later in the file.
        for s in &input {
            let (Some(serves), Some(&id)) = (&s.serves, ids.get(s.name.v.trim())) else {
                continue;
            };
            let list: Vec<SiteId> = serves
                .v
                .iter()
                .filter_map(|n| {
                    self.site_ref(
                        "serves",
                        &F {
                            v: n.clone(),
                            at: serves.at.clone(),
                        },
                        &ids,
                        &kinds,
                        &[KindDoc::Pickup],
                    )
                })
                .collect();
            if let SiteKind::Destination(d) = &mut sites[id.index()].kind {
                d.serves = Some(list);
            }
        }
        if sites.len() > MAX_SITES {
            let n = sites.len();
            self.err(Problem::in_file(&self.file, format!("the scenario has {n} sites; this version handles at most {MAX_SITES} (the travel-time matrix grows with the square of the number of sites)")).field("site"));
        }
        if sites.is_empty() && self.problems.is_empty() {
            self.err(
                Problem::in_file(
                    &self.file,
                    "the scenario has no sites; add [[site]] tables or `files.sites`",
                )
                .field("site"),
            );
        }
        (sites, ids, kinds)
    }

    /// The places destination `name` (of `capacity`) reserves for households
    /// with stretcher cases: every place with `reserved_for = "stretcher_cases"`
    /// alone, `reserved_places` of them with it or without it.
    fn reservation(&mut self, s: &SiteIn, name: &str, capacity: Option<People>) -> Reserved {
        if let Some(f) = &s.reserved_for {
            let word = f.v.trim();
            if word != "stretcher_cases" {
                self.err(
                    f.at.problem(
                        "reserved_for",
                        format!(
                            "unknown reserved_for value `{word}`; expected `stretcher_cases` (a destination reserves places only for households with stretcher cases)"
                        ),
                    )
                    .hint(did_you_mean(word, ["stretcher_cases"])),
                );
                return Reserved::Nothing;
            }
        }
        let places = match &s.reserved_places {
            Some(p) => match self.int("reserved_places", p, 1, MAX_PEOPLE, "reserved_places") {
                Some(n) => Some((People(n), p)),
                None => return Reserved::Nothing,
            },
            None => None,
        };
        // The key that makes the reservation, to name in problems.
        let (field, at) = match (&places, &s.reserved_for) {
            (Some((_, p)), _) => ("reserved_places", &p.at),
            (None, Some(f)) => ("reserved_for", &f.at),
            (None, None) => return Reserved::Nothing,
        };
        if !s.accepts.as_ref().is_some_and(|a| a.v) {
            self.err(at.problem(
                field,
                format!(
                    "`{name}` reserves places for stretcher cases but does not accept stretcher cases; add `accepts_stretcher_cases = true`, or remove `{field}`"
                ),
            ));
            return Reserved::Nothing;
        }
        let Some((n, p)) = places else {
            return Reserved::All;
        };
        match capacity {
            None => {
                self.err(p.at.problem(
                    "reserved_places",
                    format!(
                        "`{name}` reserves {n} places but has no `capacity`, so the places left to others would be unlimited; give its capacity, or reserve every place with `reserved_for = \"stretcher_cases\"` alone"
                    ),
                ));
                Reserved::Nothing
            }
            Some(c) if n > c => {
                self.err(p.at.problem(
                    "reserved_places",
                    format!("`{name}` reserves {n} places, more than its capacity of {c}"),
                ));
                Reserved::Nothing
            }
            Some(_) => Reserved::Places(n),
        }
    }

    /// Resolves a site name to a site of one of the `allowed` kinds.
    fn site_ref(
        &mut self,
        field: &str,
        name: &F<String>,
        ids: &HashMap<String, SiteId>,
        kinds: &[KindDoc],
        allowed: &[KindDoc],
    ) -> Option<SiteId> {
        let n = name.v.trim();
        let Some(&id) = ids.get(n) else {
            if self.sites_incomplete || ids.is_empty() {
                return None; // the unreadable sites, or the lack of any, are reported already
            }
            let candidates: Vec<&str> = ids
                .iter()
                .filter(|(_, id)| allowed.contains(&kinds[id.index()]))
                .map(|(k, _)| k.as_str())
                .collect();
            let mut sorted = candidates.clone();
            sorted.sort_unstable();
            let hint = did_you_mean(n, sorted.iter().copied());
            self.err(
                name.at
                    .problem(field, format!("no site named `{n}`"))
                    .hint(hint),
            );
            return None;
        };
        let k = kinds[id.index()];
        if !allowed.contains(&k) {
            let want: Vec<&str> = allowed.iter().map(|k| k.noun()).collect();
            self.err(name.at.problem(
                field,
                format!("`{n}` is {}, expected {}", k.noun(), want.join(" or ")),
            ));
            return None;
        }
        Some(id)
    }

    fn resolve_vehicle_types(&mut self, docs: &[VehicleTypeDoc]) -> Vec<(VehicleType, At)> {
        let mut out: Vec<(VehicleType, At)> = Vec::new();
        for d in docs {
            let before = self.problems.len();
            let name = self.f(&d.name);
            let n = name.v.trim().to_string();
            if let Some((_, prev)) = out.iter().find(|(t, _)| t.name == n) {
                let msg = format!(
                    "duplicate vehicle type `{n}` (first defined at line {})",
                    prev.line
                );
                self.err(name.at.problem("name", msg));
                continue;
            }
            let seats = self.int("seats", &self.f(&d.seats), 0, MAX_SEATS, "seats");
            let stretchers = match &d.stretchers {
                Some(s) => self.int("stretchers", &self.f(s), 0, MAX_SEATS, "stretchers"),
                None => Some(0),
            };
            if let (Some(0), Some(0)) = (seats, stretchers) {
                self.err(self.f(&d.seats).at.problem(
                    "seats",
                    format!("vehicle type `{n}` carries nobody: give it seats or stretchers"),
                ));
            }
            let dur = |r: &mut Self, field: &str, v: &Option<S<DurationText>>| match v {
                Some(v) => r.duration(field, v),
                None => Some(Seconds::ZERO),
            };
            let boarding = dur(self, "boarding_per_person", &d.boarding_per_person);
            let stop = dur(self, "stop_time", &d.stop_time);
            let unloading = dur(self, "unloading_per_person", &d.unloading_per_person);
            let factor = match &d.travel_time_factor {
                Some(f) if !(f.get_ref().is_finite() && *f.get_ref() > 0.0) => {
                    let at = self.at(f.span());
                    self.err(at.problem(
                        "travel_time_factor",
                        format!(
                            "must be a positive number (1.0 = as the travel times say), got {}",
                            f.get_ref()
                        ),
                    ));
                    None
                }
                Some(f) => Some(*f.get_ref()),
                None => Some(1.0),
            };
            if let (Some(seats), Some(stretchers), Some(b), Some(s), Some(u), Some(fac)) =
                (seats, stretchers, boarding, stop, unloading, factor)
                && self.problems.len() == before
            {
                out.push((
                    VehicleType {
                        name: n,
                        seats: People(seats),
                        stretchers: People(stretchers),
                        boarding_per_person: b,
                        stop_time: s,
                        unloading_per_person: u,
                        travel_time_factor: fac,
                    },
                    name.at,
                ));
            } else {
                self.broken_types.push(n);
            }
        }
        out
    }

    /// A fixed line's station and end: its `serves` must name exactly one site
    /// to load at (a pickup site or a hub) and one destination.
    fn fixed_line(
        &mut self,
        d: &VehicleDoc,
        serves: Option<&[SiteId]>,
        kinds: &[KindDoc],
    ) -> Option<(SiteId, SiteId)> {
        let first = d.departures.as_ref().and_then(|x| x.first());
        let at = self.at(first.map_or(d.name.span(), |x| x.span()));
        if d.count.is_some() {
            self.err(at.problem(
                "count",
                "a fixed line has one vehicle per departure: leave out `count`",
            ));
            return None;
        }
        if first.is_none() {
            self.err(at.problem("departures", "a fixed line needs at least one departure"));
            return None;
        }
        let Some(serves) = serves else {
            self.err(at.problem(
                "serves",
                "a fixed line (`departures`) names its two ends in `serves`: the pickup site or hub it loads at, and the destination it goes to",
            ));
            return None;
        };
        let load: Vec<SiteId> = serves
            .iter()
            .copied()
            .filter(|x| matches!(kinds[x.index()], KindDoc::Pickup | KindDoc::Hub))
            .collect();
        let ends: Vec<SiteId> = serves
            .iter()
            .copied()
            .filter(|x| kinds[x.index()] == KindDoc::Destination)
            .collect();
        match (load.as_slice(), ends.as_slice()) {
            ([station], [end]) => Some((*station, *end)),
            _ => {
                self.err(at.problem(
                    "serves",
                    format!(
                        "a fixed line loads at one site and goes to one destination; its `serves` names {} site(s) to load at and {} destination(s)",
                        load.len(),
                        ends.len()
                    ),
                ));
                None
            }
        }
    }

    fn resolve_vehicles(
        &mut self,
        docs: &[VehicleDoc],
        types: &[(VehicleType, At)],
        ids: &HashMap<String, SiteId>,
        kinds: &[KindDoc],
    ) -> Vec<Vehicle> {
        let mut out: Vec<Vehicle> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for d in docs {
            let tname = self.f(&d.vehicle_type);
            let t = types.iter().position(|(t, _)| t.name == tname.v.trim());
            if t.is_none() && !self.broken_types.iter().any(|b| b == tname.v.trim()) {
                let hint = did_you_mean(&tname.v, types.iter().map(|(t, _)| t.name.as_str()));
                self.err(
                    tname
                        .at
                        .problem("type", format!("no vehicle type named `{}`", tname.v))
                        .hint(hint),
                );
            }
            let depot = match (&d.depot, &d.departures) {
                (Some(depot), _) => self
                    .site_ref("depot", &self.f(depot), ids, kinds, &[KindDoc::Depot])
                    .map(Some),
                // A fixed line starts at its station (the site its `serves` loads at).
                (None, Some(_)) => Some(None),
                (None, None) => {
                    let at = self.at(d.name.span());
                    self.err(at.problem(
                        "depot",
                        "a vehicle needs a `depot` (where it starts), unless it is a fixed line with `departures`",
                    ));
                    None
                }
            };
            let ret = match &d.return_depot {
                Some(r) => self
                    .site_ref("return_depot", &self.f(r), ids, kinds, &[KindDoc::Depot])
                    .map(Some),
                None => Some(None),
            };
            let from = match &d.available_from {
                Some(v) => self.time("available_from", v),
                None => Some(Seconds::ZERO),
            };
            let until = match &d.available_until {
                Some(v) => self.time("available_until", v),
                None => Some(Seconds::MAX),
            };
            if let (Some(f), Some(u)) = (from, until)
                && u <= f
            {
                let at = self.at(d
                    .available_until
                    .as_ref()
                    .map_or(d.name.span(), |v| v.span()));
                self.err(at.problem("available_until", "the shift ends before it starts: `available_until` must be later than `available_from`"));
            }
            let count = match &d.count {
                Some(c) => self.int("count", &self.f(c), 1, 100_000, "count"),
                None => Some(1),
            };
            let serves = match &d.serves {
                None => Some(None),
                Some(list) => {
                    let at = self.at(list.span());
                    if list.get_ref().is_empty() {
                        self.err(at.problem(
                            "serves",
                            "an empty `serves` leaves the vehicle nowhere to load or unload; list its pickup sites, hubs and destinations, or leave `serves` out",
                        ));
                    }
                    let ids: Vec<Option<SiteId>> = list
                        .get_ref()
                        .iter()
                        .map(|n| {
                            self.site_ref(
                                "serves",
                                &F {
                                    v: n.clone(),
                                    at: at.clone(),
                                },
                                ids,
                                kinds,
                                &[KindDoc::Pickup, KindDoc::Hub, KindDoc::Destination],
                            )
                        })
                        .collect();
                    ids.into_iter().collect::<Option<Vec<_>>>().map(Some)
                }
            };
            let (
                Some(t),
                Some(depot),
                Some(ret),
                Some(from),
                Some(until),
                Some(count),
                Some(serves),
            ) = (t, depot, ret, from, until, count, serves)
            else {
                continue;
            };
            if let Some(departures) = &d.departures {
                if let Some((station, line_end)) = self.fixed_line(d, serves.as_deref(), kinds) {
                    let base = d.name.get_ref().trim();
                    let width = departures.len().to_string().len().max(2);
                    for (i, dep) in departures.iter().enumerate() {
                        let Some(at) = self.time("departures", dep) else {
                            continue;
                        };
                        out.push(Vehicle {
                            name: format!("{base}-{:0width$}", i + 1),
                            vehicle_type: VehicleTypeId(t as u32),
                            depot: depot.unwrap_or(station),
                            available_from: from.min(at),
                            available_until: until,
                            return_depot: ret,
                            serves: Some(vec![station, line_end]),
                            timetable: Some(at),
                        });
                    }
                }
                continue;
            }
            let Some(depot) = depot else { continue };
            let base = d.name.get_ref().trim();
            let width = count.to_string().len().max(2);
            for i in 1..=count {
                let name = if d.count.is_some() {
                    format!("{base}-{i:0width$}")
                } else {
                    base.to_string()
                };
                let line = line_col(self.text, d.name.span().start).0;
                if let Some(prev) = names.insert(name.clone(), line) {
                    let at = self.at(d.name.span());
                    self.err(at.problem(
                        "name",
                        format!("duplicate vehicle name `{name}` (also at line {prev})"),
                    ));
                    break;
                }
                out.push(Vehicle {
                    name,
                    vehicle_type: VehicleTypeId(t as u32),
                    depot,
                    available_from: from,
                    available_until: until,
                    return_depot: ret,
                    serves: serves.clone(),
                    timetable: None,
                });
            }
        }
        out
    }

    fn collect_households(&mut self, doc: &Doc) -> Vec<HouseholdIn> {
        let mut out = Vec::new();
        for h in &doc.household {
            let ready = match &h.ready {
                Some(r) => match self.time("ready", r) {
                    Some(t) => t,
                    None => continue,
                },
                None => Seconds::ZERO,
            };
            out.push(HouseholdIn {
                reference: self.f(&h.reference),
                site: self.f(&h.site),
                people: self.f(&h.people),
                stretcher: h.stretcher_cases.as_ref().map_or(
                    F {
                        v: 0,
                        at: self.at(h.people.span()),
                    },
                    |s| self.f(s),
                ),
                tier: h.tier.as_ref().map_or(
                    F {
                        v: 3,
                        at: self.at(h.people.span()),
                    },
                    |s| self.f(s),
                ),
                ready,
            });
        }
        // A households table without rows (and no household elsewhere) plans an evacuation of nobody.
        let mut empty_table = None;
        if let Some(rel) = &doc.files.households
            && let Some((file, text)) = self.read_csv("households", rel)
            && let Some(table) = read_table(&file, &text, HOUSEHOLD_COLUMNS, &mut self.problems)
        {
            if table.rows.is_empty() {
                empty_table = Some(file.clone());
            }
            for row in &table.rows {
                let at = At {
                    file: file.clone(),
                    line: row.line,
                };
                let cell = |c: &str| table.cell(row, c);
                let mut whole = |c: &str, default: i64| -> Option<i64> {
                    match cell(c) {
                        None => Some(default),
                        Some(raw) => match raw.parse::<i64>() {
                            Ok(n) => Some(n),
                            Err(_) => {
                                self.problems.push(table.problem(
                                    row,
                                    c,
                                    format!("`{raw}` is not a whole number"),
                                ));
                                None
                            }
                        },
                    }
                };
                let people = whole("people", 0);
                let stretcher = whole("stretcher_cases", 0);
                let tier = whole("tier", 3);
                let ready = match cell("ready") {
                    None => Some(Seconds::ZERO),
                    Some(raw) if self.start_broken && looks_like_instant(raw) => None,
                    Some(raw) => match parse_instant(raw, self.clock.as_ref()) {
                        Ok(t) => Some(t),
                        Err(m) => {
                            self.err(table.problem(row, "ready", m));
                            None
                        }
                    },
                };
                let (Some(people), Some(stretcher), Some(tier), Some(ready)) =
                    (people, stretcher, tier, ready)
                else {
                    continue;
                };
                out.push(HouseholdIn {
                    reference: at.of(cell("reference").unwrap_or_default().to_string()),
                    site: at.of(cell("site").unwrap_or_default().to_string()),
                    people: at.of(people),
                    stretcher: at.of(stretcher),
                    tier: at.of(tier),
                    ready,
                });
            }
        }
        for p in &doc.population {
            self.expand_population(p, &mut out);
        }
        if let Some(file) = empty_table
            && out.is_empty()
        {
            self.problems.push(Problem::in_file(
                file,
                "the households table holds no households, so there is nobody to evacuate: add one household per line below the header",
            ));
        }
        out
    }

    /// Splits a population block into households of nearly equal size, deterministically.
    ///
    /// For when only counts are known ("about 9,000 people in al-Sukkari"):
    /// `people` split into `ceil(people / household_size)` households whose sizes
    /// differ by at most one; the first `stretcher_cases` households each hold one
    /// stretcher case.
    fn expand_population(&mut self, p: &PopulationDoc, out: &mut Vec<HouseholdIn>) {
        let people = self.int("people", &self.f(&p.people), 1, 10_000_000, "people");
        let size = match &p.household_size {
            Some(s) => self.int("household_size", &self.f(s), 1, 100, "household_size"),
            None => Some(5),
        };
        let stretchers = match &p.stretcher_cases {
            Some(s) => self.int(
                "stretcher_cases",
                &self.f(s),
                0,
                i64::from(u32::MAX),
                "stretcher_cases",
            ),
            None => Some(0),
        };
        let ready = match &p.ready {
            Some(r) => self.time("ready", r),
            None => Some(Seconds::ZERO),
        };
        let (Some(people), Some(size), Some(stretchers), Some(ready)) =
            (people, size, stretchers, ready)
        else {
            return;
        };
        let n = people.div_ceil(size);
        if stretchers > n {
            let at = self.at(p
                .stretcher_cases
                .as_ref()
                .map_or(p.people.span(), |s| s.span()));
            self.err(at.problem("stretcher_cases", format!("{stretchers} stretcher cases need at least {stretchers} households, but {people} people in households of {size} make {n}")));
            return;
        }
        let at = self.at(p.site.span());
        let prefix = p
            .reference_prefix
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_else(|| default_prefix(p.site.get_ref()));
        let tier = p.tier.as_ref().map_or(3, |t| *t.get_ref());
        let width = n.to_string().len().max(4);
        for i in 0..n {
            let sz = people / n + u32::from(i < people % n);
            out.push(HouseholdIn {
                reference: F {
                    v: format!("{prefix}-T{tier}-{:0width$}", i + 1),
                    at: at.clone(),
                },
                site: F {
                    v: p.site.get_ref().clone(),
                    at: at.clone(),
                },
                people: F {
                    v: i64::from(sz),
                    at: at.clone(),
                },
                stretcher: F {
                    v: i64::from(i < stretchers),
                    at: at.clone(),
                },
                tier: F {
                    v: tier,
                    at: at.clone(),
                },
                ready,
            });
        }
    }

    fn resolve_households(
        &mut self,
        input: Vec<HouseholdIn>,
        ids: &HashMap<String, SiteId>,
        kinds: &[KindDoc],
        types: &[(VehicleType, At)],
    ) -> Vec<Household> {
        let mut refs: HashMap<String, At> = HashMap::new();
        let mut out = Vec::with_capacity(input.len());
        for h in input {
            let reference = h.reference.v.trim().to_string();
            if reference.is_empty() {
                self.err(h.reference.at.problem(
                    "reference",
                    "a household needs a reference (a pseudonymous id such as `H-0001`)",
                ));
                continue;
            }
            if let Some(prev) = refs.get(&reference) {
                let msg = format!(
                    "duplicate household reference `{reference}` (first at {}:{})",
                    prev.file, prev.line
                );
                self.err(h.reference.at.problem("reference", msg));
                continue;
            }
            refs.insert(reference.clone(), h.reference.at.clone());
            let site = self.site_ref("site", &h.site, ids, kinds, &[KindDoc::Pickup]);
            let people = self.int("people", &h.people, 1, 10_000, "a household's people");
            let stretcher = self.int(
                "stretcher_cases",
                &h.stretcher,
                0,
                10_000,
                "stretcher_cases",
            );
            let tier = self.int("tier", &h.tier, 1, 3, "tier");
            let (Some(site), Some(people), Some(stretcher), Some(tier)) =
                (site, people, stretcher, tier)
            else {
                continue;
            };
            if stretcher > people {
                self.err(h.stretcher.at.problem(
                    "stretcher_cases",
                    format!("household `{reference}` has {stretcher} stretcher cases but only {people} people; stretcher cases are counted among the people"),
                ));
                continue;
            }
            let seated = people - stretcher;
            // With a vehicle type in error, the largest vehicle is not known.
            if !types.is_empty()
                && self.broken_types.is_empty()
                && !types
                    .iter()
                    .any(|(t, _)| t.seats.0 >= seated && t.stretchers.0 >= stretcher)
            {
                let largest: Vec<String> = types
                    .iter()
                    .map(|(t, _)| {
                        format!(
                            "`{}` {} seats + {} stretchers",
                            t.name, t.seats, t.stretchers
                        )
                    })
                    .collect();
                self.err(h.people.at.problem(
                    "people",
                    format!(
                        "no vehicle can carry household `{reference}` ({seated} seated + {stretcher} stretcher cases) without splitting it; the fleet has {}",
                        largest.join(", ")
                    ),
                ));
                continue;
            }
            out.push(Household {
                reference,
                site,
                people: People(people),
                stretcher_cases: People(stretcher),
                tier: Tier::new(tier as u8).unwrap_or(Tier::GENERAL),
                ready: h.ready,
            });
        }
        out
    }

    fn resolve_corridors(
        &mut self,
        docs: &[CorridorDoc],
        ids: &HashMap<String, SiteId>,
        kinds: &[KindDoc],
    ) -> Vec<Corridor> {
        let mut out: Vec<Corridor> = Vec::new();
        let mut governed: HashMap<SiteId, String> = HashMap::new();
        for d in docs {
            let name = d.name.get_ref().trim().to_string();
            if out.iter().any(|c| c.name == name) {
                let at = self.at(d.name.span());
                self.err(at.problem("name", format!("duplicate corridor name `{name}`")));
            }
            let checkpoint = self.site_ref(
                "checkpoint",
                &self.f(&d.checkpoint),
                ids,
                kinds,
                &[KindDoc::Checkpoint],
            );
            let gov_f = self.f(&d.governs);
            let mut governs = Vec::new();
            for g in &gov_f.v {
                if let Some(id) = self.site_ref(
                    "governs",
                    &F {
                        v: g.clone(),
                        at: gov_f.at.clone(),
                    },
                    ids,
                    kinds,
                    &[KindDoc::Pickup],
                ) {
                    if let Some(other) = governed.insert(id, name.clone()) {
                        self.err(gov_f.at.problem("governs", format!("pickup site `{g}` is already governed by corridor `{other}`; a site's trips pass one checkpoint")));
                    }
                    governs.push(id);
                }
            }
            if gov_f.v.is_empty() {
                self.err(
                    gov_f
                        .at
                        .problem("governs", "a corridor must govern at least one pickup site"),
                );
            }
            let lanes = match &d.lanes {
                Some(l) => self.int("lanes", &self.f(l), 1, 1000, "lanes"),
                None => Some(1),
            };
            let processing = self.duration("processing", &d.processing);
            let mut windows = Vec::new();
            match &d.windows {
                None => windows.push(Window {
                    start: Seconds(i64::MIN / 4),
                    end: Seconds::MAX,
                }),
                Some(ws) => {
                    for w in ws {
                        let (open, close) = (
                            self.time("open", &w.get_ref().open),
                            self.time("close", &w.get_ref().close),
                        );
                        let (Some(open), Some(close)) = (open, close) else {
                            continue;
                        };
                        let at = self.at(w.span());
                        if close <= open {
                            self.err(at.problem("close", "the window closes before it opens: `close` must be later than `open`"));
                            continue;
                        }
                        if let Some(prev) = windows.last().copied()
                            && open < prev.end
                        {
                            self.err(at.problem("open", "windows must be listed in time order without overlapping; this one opens before the previous one closes"));
                            continue;
                        }
                        windows.push(Window {
                            start: open,
                            end: close,
                        });
                    }
                    if ws.is_empty() {
                        let at = self.at(d.name.span());
                        self.err(at.problem("windows", "an empty list of windows means the corridor never opens; leave `windows` out for a corridor that is always open"));
                    }
                }
            }
            let convoy = match &d.convoy {
                None => Some(None),
                Some(c) => {
                    let c = c.get_ref();
                    let min = self.int(
                        "min_convoy",
                        &self.f(&c.min_convoy),
                        1,
                        10_000,
                        "min_convoy",
                    );
                    let wait = self.duration("max_wait", &c.max_wait);
                    let escorts = match &c.escorts_per_window {
                        Some(e) => self
                            .int(
                                "escorts_per_window",
                                &self.f(e),
                                1,
                                10_000,
                                "escorts_per_window",
                            )
                            .map(Some),
                        None => Some(None),
                    };
                    match (min, wait, escorts) {
                        (Some(m), Some(w), Some(e)) => Some(Some(ConvoyRule {
                            min_convoy: m,
                            max_wait: w,
                            escorts_per_window: e,
                        })),
                        _ => None,
                    }
                }
            };
            if let (Some(checkpoint), Some(lanes), Some(processing), Some(convoy)) =
                (checkpoint, lanes, processing, convoy)
            {
                out.push(Corridor {
                    name,
                    checkpoint,
                    governs,
                    windows,
                    lanes,
                    processing,
                    convoy,
                });
            }
        }
        out
    }

    fn resolve_deals(
        &mut self,
        docs: &[DealDoc],
        ids: &HashMap<String, SiteId>,
        kinds: &[KindDoc],
        households: &[Household],
    ) -> Vec<Deal> {
        let mut out = Vec::new();
        for d in docs {
            let name = d.name.get_ref().trim().to_string();
            let group = |r: &mut Self, field: &str, g: &S<Vec<String>>| -> Vec<SiteId> {
                let f = r.f(g);
                if f.v.is_empty() {
                    r.err(f.at.problem(field, "a deal's group needs at least one pickup site"));
                }
                f.v.iter()
                    .filter_map(|n| {
                        r.site_ref(
                            field,
                            &F {
                                v: n.clone(),
                                at: f.at.clone(),
                            },
                            ids,
                            kinds,
                            &[KindDoc::Pickup],
                        )
                    })
                    .collect()
            };
            let a = group(self, "group_a", &d.group_a);
            let b = group(self, "group_b", &d.group_b);
            if let Some(both) = d
                .group_b
                .get_ref()
                .iter()
                .find(|n| ids.get(n.trim()).is_some_and(|id| a.contains(id)))
            {
                let at = self.at(d.group_b.span());
                self.err(at.problem(
                    "group_b",
                    format!(
                        "`{}` is in both groups of deal `{name}`; a site cannot be in both",
                        both.trim()
                    ),
                ));
            }
            let ratio = match &d.ratio {
                Some(r) if !(r.get_ref().is_finite() && *r.get_ref() > 0.0) => {
                    let at = self.at(r.span());
                    self.err(at.problem(
                        "ratio",
                        format!("must be a positive number, got {}", r.get_ref()),
                    ));
                    continue;
                }
                r => r.as_ref().map(|r| *r.get_ref()),
            };
            let slack = match &d.slack {
                Some(s) => match self.int("slack", &self.f(s), 0, MAX_PEOPLE, "slack") {
                    Some(n) => People(n),
                    None => continue,
                },
                None => People(0),
            };
            let a_leaves_last = d.a_leaves_last.as_ref().is_some_and(|b| *b.get_ref());
            if ratio.is_none() && !a_leaves_last {
                let at = self.at(d.name.span());
                self.err(at.problem("ratio", format!("deal `{name}` says nothing: give a `ratio` (with `slack`), or `a_leaves_last = true`, or both")));
                continue;
            }
            // With nobody at group A's sites, A can only leave last if B never leaves:
            // no plan could carry B, so the rule is a slip in the file.
            let holds = |g: &[SiteId]| households.iter().any(|h| g.contains(&h.site));
            if a_leaves_last && !a.is_empty() && !holds(&a) && holds(&b) {
                let at = self.at(d.group_a.span());
                self.err(at.problem(
                    "group_a",
                    format!(
                        "deal `{name}` says group A leaves last, but no household waits at group A's sites, so group B could never leave; add group A's households or set `a_leaves_last = false`"
                    ),
                ));
                continue;
            }
            out.push(Deal {
                name,
                group_a: a,
                group_b: b,
                ratio,
                slack,
                a_leaves_last,
            });
        }
        out
    }

    fn resolve_network(
        &mut self,
        n: &S<NetworkDoc>,
        closures: &[S<RoadChangeDoc>],
        slowdowns: &[S<RoadChangeDoc>],
    ) -> Option<NetworkSource> {
        let doc = n.get_ref();
        if doc.osm.is_none()
            && let Some(c) = closures.first().or(slowdowns.first())
        {
            let at = self.at(c.span());
            let key = if closures.is_empty() {
                "slowdown"
            } else {
                "closure"
            };
            self.err(at.problem(key, "closures and slowdowns need a road network: `[network] osm = \"EXTRACT.osm.pbf\"` (or a prepared network file)"));
            return None;
        }
        self.resolve_network_source(n, closures, slowdowns)
    }

    fn resolve_road_change(&mut self, c: &S<RoadChangeDoc>, closure: bool) -> Option<RoadChange> {
        let d = c.get_ref();
        let at = self.at(c.span());
        let kind = if closure { "closure" } else { "slowdown" };
        let (place, field, written, line) =
            self.resolve_place(&at, kind, &d.street, &d.way, &d.area)?;
        let factor = match (&d.factor, closure) {
            (Some(f), true) => {
                let at = self.at(f.span());
                self.err(at.problem(
                    "factor",
                    "a closure has no factor (nothing passes); for slower traffic use [[slowdown]]",
                ));
                return None;
            }
            (None, true) => 1.0,
            (None, false) => {
                self.err(at.problem("factor", "a slowdown needs a `factor`: how many times longer driving through takes, e.g. `factor = 2.0`"));
                return None;
            }
            (Some(f), false) => {
                let v = *f.get_ref();
                if !(v.is_finite() && (1.0..=100.0).contains(&v)) {
                    let at = self.at(f.span());
                    self.err(at.problem(
                        "factor",
                        format!("the factor must be from 1 to 100 (times as long), got {v}"),
                    ));
                    return None;
                }
                v
            }
        };
        let restriction = if closure {
            Restriction::Closed(place)
        } else {
            Restriction::Slower { place, factor }
        };
        Some(RoadChange {
            restriction,
            line,
            field: field.to_string(),
            written,
        })
    }

    /// The one place a closure or slowdown names (`kind` says which, for messages): the place,
    /// its key, how to show it and its line.
    fn resolve_place(
        &mut self,
        at: &At,
        kind: &str,
        street: &Option<S<String>>,
        way: &Option<S<i64>>,
        area: &Option<S<AreaDoc>>,
    ) -> Option<(Place, &'static str, String, usize)> {
        let given = usize::from(street.is_some())
            + usize::from(way.is_some())
            + usize::from(area.is_some());
        if given != 1 {
            self.err(at.problem(kind, format!("a {kind} names exactly one place: `street = \"name\"`, `way = OSM_WAY_ID` or `area = {{ lat = 53.56, lon = 13.26, radius_m = 200 }}`")));
            return None;
        }
        Some(if let Some(st) = street {
            let name = st.get_ref().trim().to_string();
            let line = self.at(st.span()).line;
            (
                Place::Street(name.clone()),
                "street",
                format!("street `{name}`"),
                line,
            )
        } else if let Some(w) = way {
            let line = self.at(w.span()).line;
            (
                Place::Way(*w.get_ref()),
                "way",
                format!("way {}", w.get_ref()),
                line,
            )
        } else {
            let a = area.as_ref()?;
            let ad = a.get_ref();
            let (lat, lon, r) = (*ad.lat.get_ref(), *ad.lon.get_ref(), *ad.radius_m.get_ref());
            let line = self.at(a.span()).line;
            let valid = |v: f64, max: f64| v.is_finite() && (-max..=max).contains(&v);
            if !valid(lat, 90.0) || !valid(lon, 180.0) {
                self.err(at.problem("area", format!("the area's centre must be a latitude from -90 to 90 and a longitude from -180 to 180, got {lat}, {lon}")));
                return None;
            }
            if !(r.is_finite() && (1.0..=100_000.0).contains(&r)) {
                let at = self.at(ad.radius_m.span());
                self.err(at.problem(
                    "radius_m",
                    format!("the radius must be from 1 to 100000 metres, got {r}"),
                ));
                return None;
            }
            (
                Place::Area {
                    centre: LatLon { lat, lon },
                    radius_m: r,
                },
                "area",
                format!("the area of {r} m around {lat}, {lon}"),
                line,
            )
        })
    }

    /// The `[[rehearsal.closure]]` tables: each one's place (as a closure of the roads) and its
    /// chance and timing. `None` when one has a problem (reported).
    fn resolve_possible_closures(
        &mut self,
        doc: Option<&RehearsalDoc>,
        on_roads: bool,
        sites: usize,
    ) -> Option<Vec<(RoadChange, PossibleClosure)>> {
        let list = doc.map_or(&[][..], |r| &r.closure[..]);
        let first = list.first()?;
        if !on_roads {
            let at = self.at(first.span());
            self.err(at.problem("closure", "possible closures (`[[rehearsal.closure]]`) close roads, so they need a road network: `[network] osm = \"EXTRACT.osm.pbf\"` (or a prepared network file)"));
            return None;
        }
        if let Some(extra) = list.get(RoadClosures::MAX) {
            let at = self.at(extra.span());
            self.err(at.problem("closure", format!("at most {} possible closures can be rehearsed (every combination of them is routed before the runs); merge closures that happen together into one, or make the surest ones `[[closure]]`", RoadClosures::MAX)));
            return None;
        }
        // Checked before anything is routed: the tables would be built, and kept, in full.
        let allowed = RoadClosures::max_for_sites(sites);
        if let Some(extra) = list.get(allowed) {
            let at = self.at(extra.span());
            let mib = RoadClosures::MEMORY_BUDGET / (1024 * 1024);
            let would = RoadClosures::table_bytes(sites, list.len()).div_ceil(1024 * 1024);
            let msg = if allowed == 0 {
                format!(
                    "with {sites} sites no possible closure can be rehearsed: the travel times between every pair of sites under a closure alone would take more than the {mib} MiB allowed; make the closure a `[[closure]]` or rehearse fewer sites"
                )
            } else {
                format!(
                    "with {sites} sites at most {allowed} possible closures can be rehearsed: the travel times between every pair of sites under every combination of the {} listed would take {would} MiB, more than the {mib} MiB allowed; merge closures that happen together into one, or make the surest ones `[[closure]]`",
                    list.len()
                )
            };
            self.err(at.problem("closure", msg));
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for c in list {
            match self.resolve_possible_closure(c) {
                Some(x) => out.push(x),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn resolve_possible_closure(
        &mut self,
        c: &S<PossibleClosureDoc>,
    ) -> Option<(RoadChange, PossibleClosure)> {
        let d = c.get_ref();
        let at = self.at(c.span());
        let place = self.resolve_place(&at, "closure", &d.street, &d.way, &d.area);
        let chance = match &d.chance {
            None => {
                self.err(at.problem("chance", "a possible closure needs a `chance`: the probability (0 to 1) that it happens in a run, e.g. `chance = 0.3`"));
                None
            }
            Some(v) => {
                let x = *v.get_ref();
                if x.is_finite() && (0.0..=1.0).contains(&x) {
                    Some(x)
                } else {
                    let at = self.at(v.span());
                    self.err(at.problem("chance", format!("the chance is a probability from 0 to 1 (0.3 means in about 3 runs of 10), got {x}")));
                    None
                }
            }
        };
        let time = |me: &mut Self, field: &str, v: &Option<S<TimeValue>>| match v {
            None => Some(None),
            Some(v) => me.time(field, v).map(Some),
        };
        let from = time(self, "from", &d.from);
        let latest = time(self, "latest_from", &d.latest_from);
        let until = time(self, "until", &d.until);
        let mean = match &d.mean_duration {
            None => Some(None),
            Some(v) => match self.duration("mean_duration", v) {
                Some(x) if x > Seconds::ZERO => Some(Some(x)),
                Some(_) => {
                    let at = self.at(v.span());
                    self.err(at.problem("mean_duration", "the mean duration must be longer than zero; leave the closure out if it never happens"));
                    None
                }
                None => None,
            },
        };
        let (place, chance, from, latest, until, mean) =
            (place?, chance?, from?, latest?, until?, mean?);
        let from_t = from.unwrap_or(Seconds::ZERO);
        let latest_t = latest.unwrap_or(from_t);
        if latest_t < from_t
            && let Some(v) = &d.latest_from
        {
            let at = self.at(v.span());
            self.err(at.problem("latest_from", "`latest_from` is the latest time the closure begins; it must not come before `from`, the earliest"));
            return None;
        }
        let end = match (until, mean) {
            (Some(_), Some(_)) => {
                let at = self.at(d.mean_duration.as_ref().map_or(c.span(), |v| v.span()));
                self.err(at.problem("mean_duration", "give either `until` (a known reopening time) or `mean_duration` (an uncertain one), not both"));
                return None;
            }
            (Some(u), None) => {
                if u <= latest_t {
                    let at = self.at(d.until.as_ref().map_or(c.span(), |v| v.span()));
                    let after = if d.latest_from.is_some() {
                        "`latest_from`"
                    } else {
                        "`from` (or the scenario's start)"
                    };
                    self.err(at.problem("until", format!("the closure would reopen before it begins: `until` must come after {after}")));
                    return None;
                }
                ClosureEnd::At(u)
            }
            (None, Some(m)) => ClosureEnd::MeanDuration(m),
            (None, None) => ClosureEnd::Never,
        };
        let (place, field, written, line) = place;
        let name = d
            .description
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map_or_else(|| written.clone(), str::to_string);
        Some((
            RoadChange {
                restriction: Restriction::Closed(place),
                line,
                field: field.to_string(),
                written,
            },
            PossibleClosure {
                name,
                chance,
                from: from_t,
                latest_from: latest_t,
                end,
            },
        ))
    }

    fn resolve_network_source(
        &mut self,
        n: &S<NetworkDoc>,
        closures: &[S<RoadChangeDoc>],
        slowdowns: &[S<RoadChangeDoc>],
    ) -> Option<NetworkSource> {
        let doc = n.get_ref();
        let given = usize::from(doc.great_circle.is_some())
            + usize::from(doc.matrix.is_some())
            + usize::from(doc.osm.is_some());
        let at = self.at(n.span());
        if given != 1 {
            self.err(at.problem("network", "give exactly one travel-time source: `great_circle = { detour = 1.3, speed_kmh = 40 }`, `matrix = \"travel-times.csv\"` or `osm = \"EXTRACT.osm.pbf\"`"));
            return None;
        }
        if let Some(o) = &doc.osm {
            let at = self.at(o.span());
            let Some(rel) = o.get_ref().as_str() else {
                self.err(at.problem("osm", "give the road network as a file name: an OpenStreetMap extract (`osm = \"city.osm.pbf\"`) or a prepared network (`osm = \"city.roads\"`, from `corridor roads import`)"));
                return None;
            };
            let mut changes = Vec::new();
            let mut ok = true;
            for (list, closure) in [(closures, true), (slowdowns, false)] {
                for c in list {
                    match self.resolve_road_change(c, closure) {
                        Some(rc) => changes.push(rc),
                        None => ok = false,
                    }
                }
            }
            return ok.then(|| NetworkSource::Roads {
                file: self.dir.join(rel),
                line: at.line,
                changes,
            });
        }
        if let Some(gc) = &doc.great_circle {
            let g = gc.get_ref();
            let (detour, speed) = (*g.detour.get_ref(), *g.speed_kmh.get_ref());
            let mut ok = true;
            if !(detour.is_finite() && (1.0..=10.0).contains(&detour)) {
                let at = self.at(g.detour.span());
                self.err(at.problem("detour", format!("the detour factor must be from 1 (roads are never shorter than the straight line) to 10, got {detour}")));
                ok = false;
            }
            if !(speed.is_finite() && (1.0..=300.0).contains(&speed)) {
                let at = self.at(g.speed_kmh.span());
                self.err(at.problem(
                    "speed_kmh",
                    format!("speed must be from 1 to 300 km/h, got {speed}"),
                ));
                ok = false;
            }
            return ok.then_some(NetworkSource::GreatCircle {
                detour,
                speed_kmh: speed,
            });
        }
        doc.matrix
            .as_ref()
            .map(|m| NetworkSource::Matrix(PathBuf::from(m.get_ref())))
    }

    fn warn_about(&mut self, s: &Scenario) {
        let stretcher_households = s
            .households
            .iter()
            .filter(|h| h.stretcher_cases.0 > 0)
            .count();
        if stretcher_households > 0 {
            if !s.vehicle_types.iter().any(|t| t.stretchers.0 > 0) {
                self.warnings.push(Problem::in_file(&self.file, format!("{stretcher_households} households have stretcher cases, but no vehicle type has stretcher slots")));
            }
            if !s.sites.iter().any(
                |site| matches!(&site.kind, SiteKind::Destination(d) if d.accepts_stretcher_cases),
            ) {
                self.warnings.push(Problem::in_file(&self.file, format!("{stretcher_households} households have stretcher cases, but no destination accepts them")));
            }
        }
        self.warn_about_far_sites(s);
        let people: u64 = s.households.iter().map(|h| u64::from(h.people.0)).sum();
        let cap: Option<u64> = s
            .sites
            .iter()
            .filter_map(|site| match &site.kind {
                SiteKind::Destination(d) => Some(d.capacity.map(|c| u64::from(c.0))),
                _ => None,
            })
            .sum();
        if let Some(cap) = cap
            && cap < people
        {
            self.warnings.push(Problem::in_file(
                &self.file,
                format!(
                    "the destinations take {cap} people in all, fewer than the {people} to evacuate"
                ),
            ));
        }
        let reserves = s.sites.iter().any(
            |site| matches!(&site.kind, SiteKind::Destination(d) if d.reserved != Reserved::Nothing),
        );
        let others: u64 = s
            .households
            .iter()
            .filter(|h| !h.has_stretcher_cases())
            .map(|h| u64::from(h.people.0))
            .sum();
        let open: Option<u64> = s
            .sites
            .iter()
            .filter_map(|site| match &site.kind {
                SiteKind::Destination(d) => Some(d.general_places().map(|c| u64::from(c.0))),
                _ => None,
            })
            .sum();
        if reserves
            && let Some(open) = open
            && open < others
        {
            self.warnings.push(Problem::in_file(
                &self.file,
                format!(
                    "the destinations leave {open} places to households without stretcher cases (the others are reserved for stretcher cases), fewer than the {others} people of such households"
                ),
            ));
        }
    }
}

/// A site this far from every other one, and many times farther than the sites usually are
/// from their nearest neighbour, is almost surely a typing slip: evacuations by road reach
/// shelters hundreds of kilometres away, not thousands.
const FAR_KM: f64 = 1000.0;
const FAR_RATIO: f64 = 20.0;

impl Resolver<'_> {
    /// Warns about a site thousands of kilometres from all the others, and says which slip
    /// (a longitude's or latitude's sign, or the two swapped) would bring it among them.
    fn warn_about_far_sites(&mut self, s: &Scenario) {
        if s.sites.len() < 3 {
            return;
        }
        let nearest = |at: corridor_core::LatLon, me: usize| {
            s.sites
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != me)
                .map(|(_, o)| corridor_core::great_circle_km(at, o.location))
                .fold(f64::INFINITY, f64::min)
        };
        let mut spacing: Vec<f64> = s
            .sites
            .iter()
            .enumerate()
            .map(|(i, x)| nearest(x.location, i))
            .collect();
        spacing.sort_by(f64::total_cmp);
        let usual = spacing[spacing.len() / 2];
        for (i, site) in s.sites.iter().enumerate() {
            let here = site.location;
            let d = nearest(here, i);
            if d <= FAR_KM || d <= FAR_RATIO * usual {
                continue;
            }
            let slips = [
                (
                    "the longitude's sign is wrong",
                    corridor_core::LatLon {
                        lat: here.lat,
                        lon: -here.lon,
                    },
                ),
                (
                    "the latitude's sign is wrong",
                    corridor_core::LatLon {
                        lat: -here.lat,
                        lon: here.lon,
                    },
                ),
                (
                    "latitude and longitude are swapped",
                    corridor_core::LatLon {
                        lat: here.lon,
                        lon: here.lat,
                    },
                ),
            ];
            let guess = slips
                .iter()
                .filter(|(_, at)| at.lat.abs() <= 90.0 && nearest(*at, i) <= FAR_KM)
                .map(|(why, _)| *why)
                .next();
            self.warnings.push(Problem::in_file(
                &self.file,
                format!(
                    "site `{}` ({:.4}, {:.4}) is {:.0} km from every other site; {}",
                    site.name,
                    here.lat,
                    here.lon,
                    d,
                    match guess {
                        Some(why) => format!("perhaps {why}"),
                        None => "check its latitude and longitude".to_string(),
                    }
                ),
            ));
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// `al-Sukkari` → `SUK`: a short prefix for generated household references.
fn default_prefix(site: &str) -> String {
    let letters: String = site
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| {
            !w.is_empty() && !matches!(w.to_lowercase().as_str(), "al" | "el" | "the" | "de")
        })
        .flat_map(|w| w.chars().take(3))
        .filter(|c| c.is_alphanumeric())
        .take(6)
        .collect();
    if letters.is_empty() {
        "HH".into()
    } else {
        letters.to_uppercase()
    }
}
