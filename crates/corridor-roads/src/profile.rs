//! The car profile: which OpenStreetMap ways a car may use, in which direction, and how fast.
//!
//! The profile is data (tables below), so that a change of speeds or access rules is an edit of a
//! table and shows in a review, not a change of logic.

/// Typical driving speed in km/h by `highway` value. A way whose `highway` value is not in this
/// table is not a road for cars (footways, cycleways, tracks, paths, construction sites...).
///
/// These are typical speeds in traffic, not limits: a posted `maxspeed` only ever lowers them.
pub const HIGHWAY_SPEEDS_KMH: &[(&str, f64)] = &[
    ("motorway", 110.0),
    ("motorway_link", 60.0),
    ("trunk", 90.0),
    ("trunk_link", 50.0),
    ("primary", 65.0),
    ("primary_link", 45.0),
    ("secondary", 55.0),
    ("secondary_link", 40.0),
    ("tertiary", 45.0),
    ("tertiary_link", 35.0),
    ("unclassified", 40.0),
    ("residential", 30.0),
    ("road", 30.0),
    ("living_street", 10.0),
    ("service", 15.0),
];

/// `highway` values that are one-way even without an `oneway` tag.
pub const IMPLIED_ONEWAY_HIGHWAYS: &[&str] = &["motorway", "motorway_link"];

/// `junction` values that are one-way even without an `oneway` tag (roundabouts).
pub const IMPLIED_ONEWAY_JUNCTIONS: &[&str] = &["roundabout", "circular"];

/// Access keys, from the most general to the most specific: the most specific key present decides.
pub const ACCESS_KEYS: &[&str] = &["access", "vehicle", "motor_vehicle", "motorcar"];

/// Access values that close a way to a car.
pub const NO_ACCESS_VALUES: &[&str] = &[
    "no",
    "private",
    "agricultural",
    "forestry",
    "emergency",
    "military",
    "bus",
    "psv",
];

/// Speeds implied by `maxspeed` zone values such as `DE:urban`, by the part after the colon.
pub const MAXSPEED_ZONES_KMH: &[(&str, f64)] = &[
    ("urban", 50.0),
    ("rural", 100.0),
    ("motorway", 130.0),
    ("trunk", 100.0),
    ("living_street", 7.0),
    ("zone30", 30.0),
    ("zone20", 20.0),
    ("bicycle_road", 30.0),
];

/// Speed used for `maxspeed=walk`.
const WALK_KMH: f64 = 7.0;

/// In which directions a way may be driven, relative to the order of its nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    Both,
    /// Only in the order of the way's nodes.
    Forward,
    /// Only against the order of the way's nodes (`oneway=-1`).
    Backward,
}

/// What the profile decided for a way a car may use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WayRule {
    /// Driving speed, km/h.
    pub speed_kmh: f64,
    /// Directions a car may drive.
    pub direction: Direction,
    /// The way had a `maxspeed` the profile could not read (its class speed was used).
    pub unreadable_maxspeed: bool,
}

/// Why a way was left out of the network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dropped {
    /// Its `highway` value is not a road for cars.
    NotForCars(String),
    /// An access tag closes it to cars (`key=value`).
    NoAccess(String),
    /// It is an area (`area=yes`), not a line that can be driven along.
    Area,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dropped::NotForCars(v) => write!(f, "highway={v} is not a road for cars"),
            Dropped::NoAccess(kv) => write!(f, "closed to cars by {kv}"),
            Dropped::Area => write!(f, "area=yes (a surface, not a road)"),
        }
    }
}

/// Decides whether a car may use a way with these tags, and how.
///
/// Returns `None` when the way has no `highway` tag at all (not a road: nothing to report).
pub fn car_rule<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Result<WayRule, Dropped>> {
    let mut highway = None;
    let mut oneway = None;
    let mut junction = None;
    let mut maxspeed = None;
    let mut area = false;
    let mut access: [Option<&str>; 4] = [None; 4];
    for (k, v) in tags {
        match k {
            "highway" => highway = Some(v),
            "oneway" => oneway = Some(v),
            "junction" => junction = Some(v),
            "maxspeed" => maxspeed = Some(v),
            "area" => area = v == "yes",
            _ => {
                if let Some(i) = ACCESS_KEYS.iter().position(|a| *a == k) {
                    access[i] = Some(v);
                }
            }
        }
    }
    let highway = highway?;
    Some(decide(highway, oneway, junction, maxspeed, area, &access))
}

fn decide(
    highway: &str,
    oneway: Option<&str>,
    junction: Option<&str>,
    maxspeed: Option<&str>,
    area: bool,
    access: &[Option<&str>; 4],
) -> Result<WayRule, Dropped> {
    let Some(&(_, class_speed)) = HIGHWAY_SPEEDS_KMH.iter().find(|(h, _)| *h == highway) else {
        return Err(Dropped::NotForCars(highway.to_string()));
    };
    if area {
        return Err(Dropped::Area);
    }
    // The most specific access key present decides.
    if let Some((i, v)) = access
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|v| (i, v)))
        && NO_ACCESS_VALUES.contains(&v)
    {
        return Err(Dropped::NoAccess(format!("{}={v}", ACCESS_KEYS[i])));
    }
    let direction = match oneway {
        Some("yes" | "true" | "1") => Direction::Forward,
        Some("-1" | "reverse") => Direction::Backward,
        Some("no" | "false" | "0") => Direction::Both,
        _ => {
            if IMPLIED_ONEWAY_HIGHWAYS.contains(&highway)
                || junction.is_some_and(|j| IMPLIED_ONEWAY_JUNCTIONS.contains(&j))
            {
                Direction::Forward
            } else {
                Direction::Both
            }
        }
    };
    let (speed_kmh, unreadable_maxspeed) = match maxspeed.map(parse_maxspeed) {
        None | Some(Ok(None)) => (class_speed, false),
        Some(Ok(Some(limit))) => (class_speed.min(limit), false),
        Some(Err(UnreadableMaxspeed)) => (class_speed, true),
    };
    Ok(WayRule {
        speed_kmh,
        direction,
        unreadable_maxspeed,
    })
}

/// Reads a `maxspeed` value: `Ok(Some(km/h))`, `Ok(None)` when it sets no limit the car profile
/// uses (`none`, `signals`, `variable`), `Err` when unreadable.
///
/// ```
/// use corridor_roads::parse_maxspeed;
/// assert_eq!(parse_maxspeed("50"), Ok(Some(50.0)));
/// assert_eq!(parse_maxspeed("30 mph").map(|s| s.map(f64::round)), Ok(Some(48.0)));
/// assert_eq!(parse_maxspeed("DE:urban"), Ok(Some(50.0)));
/// assert_eq!(parse_maxspeed("50;30"), Ok(Some(30.0)));
/// assert_eq!(parse_maxspeed("none"), Ok(None));
/// assert!(parse_maxspeed("fast").is_err());
/// ```
pub fn parse_maxspeed(raw: &str) -> Result<Option<f64>, UnreadableMaxspeed> {
    let mut best: Option<f64> = None;
    let mut any = false;
    for part in raw.split(';') {
        let part = part.trim();
        let v = match part {
            "none" | "signals" | "variable" | "unlimited" => None,
            "walk" => Some(WALK_KMH),
            _ => Some(parse_one(part)?),
        };
        any = true;
        if let Some(v) = v {
            best = Some(best.map_or(v, |b| b.min(v)));
        }
    }
    if any {
        Ok(best)
    } else {
        Err(UnreadableMaxspeed)
    }
}

/// A `maxspeed` value the profile cannot read (the way keeps its class speed, and is counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnreadableMaxspeed;

fn parse_one(part: &str) -> Result<f64, UnreadableMaxspeed> {
    if let Some((_, zone)) = part.split_once(':') {
        return MAXSPEED_ZONES_KMH
            .iter()
            .find(|(z, _)| *z == zone)
            .map(|(_, v)| *v)
            .ok_or(UnreadableMaxspeed);
    }
    let (number, factor) = if let Some(n) = part.strip_suffix("mph") {
        (n.trim(), 1.609_344)
    } else if let Some(n) = part.strip_suffix("knots") {
        (n.trim(), 1.852)
    } else if let Some(n) = part.strip_suffix("km/h") {
        (n.trim(), 1.0)
    } else {
        (part, 1.0)
    };
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 300.0 => Ok(v * factor),
        _ => Err(UnreadableMaxspeed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(tags: &[(&'static str, &'static str)]) -> Option<Result<WayRule, Dropped>> {
        car_rule(tags.iter().copied())
    }

    #[test]
    fn oneway_variants_and_implied_oneways() {
        let dir =
            |t: &[(&'static str, &'static str)]| rule(t).and_then(Result::ok).map(|r| r.direction);
        assert_eq!(dir(&[("highway", "residential")]), Some(Direction::Both));
        assert_eq!(
            dir(&[("highway", "residential"), ("oneway", "yes")]),
            Some(Direction::Forward)
        );
        assert_eq!(
            dir(&[("highway", "residential"), ("oneway", "-1")]),
            Some(Direction::Backward)
        );
        assert_eq!(
            dir(&[("highway", "primary"), ("junction", "roundabout")]),
            Some(Direction::Forward)
        );
        assert_eq!(
            dir(&[
                ("highway", "primary"),
                ("junction", "roundabout"),
                ("oneway", "no")
            ]),
            Some(Direction::Both)
        );
        assert_eq!(dir(&[("highway", "motorway")]), Some(Direction::Forward));
    }

    #[test]
    fn access_the_most_specific_key_decides() {
        assert_eq!(
            rule(&[("highway", "service"), ("access", "private")]),
            Some(Err(Dropped::NoAccess("access=private".into())))
        );
        assert!(
            rule(&[
                ("highway", "service"),
                ("access", "no"),
                ("motor_vehicle", "yes")
            ])
            .is_some_and(|r| r.is_ok())
        );
        assert_eq!(
            rule(&[("highway", "residential"), ("motor_vehicle", "no")]),
            Some(Err(Dropped::NoAccess("motor_vehicle=no".into())))
        );
        assert_eq!(
            rule(&[("highway", "footway")]),
            Some(Err(Dropped::NotForCars("footway".into())))
        );
        assert_eq!(rule(&[("building", "yes")]), None);
    }

    #[test]
    fn maxspeed_only_lowers_the_class_speed() {
        let speed =
            |t: &[(&'static str, &'static str)]| rule(t).and_then(Result::ok).map(|r| r.speed_kmh);
        assert_eq!(
            speed(&[("highway", "primary"), ("maxspeed", "30")]),
            Some(30.0)
        );
        assert_eq!(
            speed(&[("highway", "primary"), ("maxspeed", "100")]),
            Some(65.0)
        );
        let odd = rule(&[("highway", "primary"), ("maxspeed", "fast")]).and_then(Result::ok);
        assert!(odd.is_some_and(|r| r.unreadable_maxspeed && r.speed_kmh == 65.0));
    }
}
