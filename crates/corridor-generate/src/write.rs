//! Writing the scenario: TOML for people to read, CSV tables for the long lists.

use std::fmt::Write as _;

use corridor_core::Seconds;
use corridor_formats::format_duration;

use crate::area::{AREA_RADIUS_KM, CENTRE_LAT, CENTRE_LON, Km};
use crate::{Layout, Options, World};

/// The scenario file's name.
pub(crate) const SCENARIO_FILE: &str = "scenario.toml";
/// The sites table's name.
pub(crate) const SITES_FILE: &str = "sites.csv";
/// The households table's name.
pub(crate) const HOUSEHOLDS_FILE: &str = "households.csv";

/// The scenario's start: a fixed instant, so that times show as clock times.
const START: &str = "2025-06-01T06:00:00+02:00";
/// Travel times: straight-line distance × detour at this average speed.
const DETOUR: &str = "1.3";
const SPEED_KMH: &str = "40";

/// Width of zero-padded numbers: at least `min` digits, more when `n` needs them.
fn width(n: usize, min: usize) -> usize {
    n.to_string().len().max(min)
}

/// Pickup site names: `Pickup 001`.
pub(crate) fn pickup_name(i: usize, n: usize) -> String {
    format!("Pickup {:0w$}", i + 1, w = width(n, 3))
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A duration as the scenario format reads it: whole hours as hours (`36h`,
/// easier to read on a 12-hour rhythm than `1d12h`), anything else as
/// [`format_duration`] writes it (`15min`).
fn duration_text(seconds: i64) -> String {
    if seconds > 0 && seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else {
        format_duration(Seconds(seconds))
    }
}

/// [`duration_text`], quoted.
fn duration(seconds: i64) -> String {
    quoted(&duration_text(seconds))
}

/// A TOML array of site names, wrapped to lines of about 100 characters.
fn name_list(key: &str, names: &[String]) -> String {
    let one_line = format!(
        "{key} = [{}]",
        names
            .iter()
            .map(|n| quoted(n))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if one_line.len() <= 100 {
        return one_line + "\n";
    }
    let mut out = format!("{key} = [\n");
    let mut line = String::new();
    for n in names {
        let item = format!("{},", quoted(n));
        if !line.is_empty() && line.len() + 1 + item.len() > 96 {
            let _ = writeln!(out, "    {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&item);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "    {line}");
    }
    out.push_str("]\n");
    out
}

/// The command line that reproduces these files.
pub(crate) fn command_line(o: &Options) -> String {
    let mut cmd = format!(
        "corridor generate --seed {} --households {} --sites {} --vehicles {}",
        o.seed, o.households, o.sites, o.vehicles
    );
    if o.layout == Layout::Clustered {
        cmd.push_str(" --layout clustered");
    }
    if o.stretcher_share != Options::default().stretcher_share {
        let _ = write!(cmd, " --stretcher-share {}", o.stretcher_share);
    }
    if o.corridor {
        cmd.push_str(" --corridor");
    }
    if o.windows > 0 {
        let _ = write!(cmd, " --windows {}", o.windows);
    }
    if o.deal {
        cmd.push_str(" --deal");
    }
    if let Some(span) = o.ready_spread {
        let _ = write!(cmd, " --ready-spread {}", duration_text(span.0));
    }
    cmd
}

/// Thousands separated by commas: 12,345.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A plural noun: `1 site`, `2 sites`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// `scenario.toml`.
pub(crate) fn scenario_toml(o: &Options, w: &World) -> String {
    let n_sites = w.pickups.len();
    let people = w.people();
    let (stretcher, stretcher_households) = w.stretcher_cases();
    let mut t = String::new();
    let layout = match o.layout {
        Layout::Uniform => "spread evenly over the area".to_string(),
        Layout::Clustered => format!("gathered in {} neighbourhoods", w.neighbourhoods),
    };

    // Header: how it was made, and what is in it.
    let _ = writeln!(
        t,
        "# A generated evacuation scenario: the places and people are invented."
    );
    let _ = writeln!(
        t,
        "# Made with (the same options always write the same files):"
    );
    let _ = writeln!(t, "#   {} -o <directory>", command_line(o));
    let _ = writeln!(t, "#");
    let _ = writeln!(
        t,
        "# Study area: a disc {} km across centred on {CENTRE_LAT:.5} N, {CENTRE_LON:.5} E (the Po valley,",
        2.0 * AREA_RADIUS_KM
    );
    let _ = writeln!(
        t,
        "# northern Italy, a neutral setting), with {} {layout}.",
        count(n_sites as u64, "pickup site", "pickup sites")
    );
    let _ = writeln!(
        t,
        "# {} with {}; {} in {}.",
        count(w.households.len() as u64, "household", "households"),
        count(people, "person", "people"),
        count(stretcher, "stretcher case", "stretcher cases"),
        count(stretcher_households as u64, "household", "households"),
    );
    t.push('\n');

    let _ = writeln!(t, "[scenario]");
    let _ = writeln!(
        t,
        "name = {}",
        quoted(&format!(
            "Generated scenario (seed {}, {} households, {} sites, {} vehicles)",
            o.seed, o.households, o.sites, o.vehicles
        ))
    );
    let _ = writeln!(t, "format_version = 1");
    let _ = writeln!(t, "start = {START}");
    let mut description = format!(
        "{} in {} at {}, a fleet of {} and {} from {}, {}",
        count(people, "person", "people"),
        count(w.households.len() as u64, "household", "households"),
        count(n_sites as u64, "pickup site", "pickup sites"),
        count(u64::from(w.buses), "bus", "buses"),
        count(u64::from(w.ambulances), "ambulance", "ambulances"),
        count(w.depots.len() as u64, "depot", "depots"),
        count(w.destinations.len() as u64, "destination", "destinations"),
    );
    if let Some(c) = &w.corridor {
        description.push_str(if c.windows.is_empty() {
            ", a corridor checkpoint"
        } else {
            ", a corridor checkpoint with open windows"
        });
    }
    if w.deal.is_some() {
        description.push_str(", a linked-evacuation deal");
    }
    description.push('.');
    let _ = writeln!(t, "description = {}", quoted(&description));
    t.push('\n');

    let _ = writeln!(t, "[network]");
    let _ = writeln!(
        t,
        "# No road data: straight-line distance x {DETOUR}, driven at {SPEED_KMH} km/h on average."
    );
    let _ = writeln!(
        t,
        "great_circle = {{ detour = {DETOUR}, speed_kmh = {SPEED_KMH} }}"
    );
    t.push('\n');

    let _ = writeln!(t, "[files]");
    let _ = writeln!(
        t,
        "sites = \"{SITES_FILE}\"            # pickup sites, depots, destinations{}",
        if w.corridor.is_some() {
            ", the checkpoint"
        } else {
            ""
        }
    );
    let _ = writeln!(
        t,
        "households = \"{HOUSEHOLDS_FILE}\"  # one row per household; references are pseudonymous"
    );
    t.push('\n');

    t.push_str(
        "# Vehicle types. A household is never split: up to 50 people fit a bus; a household\n\
         # with stretcher cases (at most 2, with at most 3 companions) fits an ambulance.\n",
    );
    t.push_str(
        "[[vehicle_type]]\n\
         name = \"bus\"\n\
         seats = 50\n\
         boarding_per_person = \"6s\"\n\
         stop_time = \"3min\"\n\
         unloading_per_person = \"3s\"\n\n",
    );
    t.push_str(
        "[[vehicle_type]]\n\
         name = \"ambulance\"\n\
         seats = 3\n\
         stretchers = 2\n\
         boarding_per_person = \"30s\"   # stretcher loading is slow\n\
         stop_time = \"5min\"\n\
         unloading_per_person = \"30s\"\n\
         travel_time_factor = 0.9      # blue lights: 10 % faster than the travel times\n\n",
    );

    let _ = writeln!(
        t,
        "# The fleet: {} and {}, on shift from the start until {}, back at their depot by then.",
        count(u64::from(w.buses), "bus", "buses"),
        count(u64::from(w.ambulances), "ambulance", "ambulances"),
        duration_text(w.shift_end)
    );
    if let Some(g) = w.fleet.first() {
        let wide = width(g.count as usize, 2);
        let _ = writeln!(
            t,
            "# With `count`, vehicles are numbered: {0}-{1:0wide$}, {0}-{2:0wide$}, ...",
            g.name, 1, 2
        );
    }
    for g in &w.fleet {
        let depot = depot_name(g.depot);
        let _ = writeln!(t, "[[vehicle]]");
        let _ = writeln!(t, "name = {}", quoted(&g.name));
        let _ = writeln!(t, "count = {}", g.count);
        let _ = writeln!(t, "type = {}", quoted(g.vehicle_type));
        let _ = writeln!(t, "depot = {}", quoted(&depot));
        let _ = writeln!(t, "available_from = {}", duration(0));
        let _ = writeln!(t, "available_until = {}", duration(w.shift_end));
        let _ = writeln!(t, "return_depot = {}", quoted(&depot));
        t.push('\n');
    }

    if let Some(c) = &w.corridor {
        let governs: Vec<String> = c.governs.iter().map(|&i| pickup_name(i, n_sites)).collect();
        let _ = writeln!(
            t,
            "# Every trip from the governed pickup sites passes the checkpoint on its way out:"
        );
        let open_hours = c.windows.first().map_or(0, |(a, b)| (b - a) / 3600);
        let _ = writeln!(
            t,
            "# {} vehicles inspected at once, 4 minutes each.{}",
            c.lanes,
            if c.windows.is_empty() {
                " It is always open.".to_string()
            } else {
                format!(" It opens only in the windows: {open_hours} h open, then 4 h closed.")
            }
        );
        if w.deal.is_some() {
            let _ = writeln!(
                t,
                "# It governs group A of the deal; group B's trips go another way."
            );
        }
        let _ = writeln!(t, "[[corridor]]");
        let _ = writeln!(t, "name = \"Corridor\"");
        let _ = writeln!(t, "checkpoint = \"Checkpoint\"");
        t.push_str(&name_list("governs", &governs));
        let _ = writeln!(t, "lanes = {}", c.lanes);
        let _ = writeln!(t, "processing = {}", duration(crate::PROCESSING));
        if !c.windows.is_empty() {
            let _ = writeln!(t, "windows = [");
            for &(open, close) in &c.windows {
                let _ = writeln!(
                    t,
                    "    {{ open = {}, close = {} }},",
                    duration(open),
                    duration(close)
                );
            }
            let _ = writeln!(t, "]");
        }
        t.push('\n');
    }

    if let Some(deal) = &w.deal {
        let names = |ids: &[usize]| -> Vec<String> {
            ids.iter().map(|&i| pickup_name(i, n_sites)).collect()
        };
        let ratio = format!("{}.{}", deal.ratio_tenths / 10, deal.ratio_tenths % 10);
        let _ = writeln!(
            t,
            "# A linked evacuation: people delivered from group A ({}) may at no time exceed",
            count(deal.people_a, "person", "people")
        );
        let _ = writeln!(
            t,
            "# {ratio} x those delivered from group B ({}) + {}. Carrying B first always satisfies it.",
            count(deal.people_b, "person", "people"),
            grouped(deal.slack)
        );
        let _ = writeln!(t, "[[deal]]");
        let _ = writeln!(t, "name = \"Linked evacuation\"");
        t.push_str(&name_list("group_a", &names(&deal.group_a)));
        t.push_str(&name_list("group_b", &names(&deal.group_b)));
        let _ = writeln!(t, "ratio = {ratio}");
        let _ = writeln!(t, "slack = {}", deal.slack);
        let _ = writeln!(t, "a_leaves_last = false");
        t.push('\n');
    }

    // No trailing blank line.
    while t.ends_with("\n\n") {
        t.pop();
    }
    t
}

/// Depot names: `Depot 1`.
fn depot_name(i: usize) -> String {
    format!("Depot {}", i + 1)
}

/// A position as `lat,lon` with 5 decimals (about a metre).
fn lat_lon(p: Km) -> String {
    let (lat, lon) = p.lat_lon();
    format!("{lat:.5},{lon:.5}")
}

/// `sites.csv`: pickup sites, depots, the checkpoint (with a corridor), destinations.
pub(crate) fn sites_csv(w: &World) -> String {
    let n = w.pickups.len();
    let mut t = String::with_capacity(64 * (n + 8));
    t.push_str("name,kind,lat,lon,capacity,accepts_stretcher_cases\n");
    t.push_str("#loc+name,#loc+type,#geo+lat,#geo+lon,#capacity+ind,#capacity+stretcher\n");
    for (i, &p) in w.pickups.iter().enumerate() {
        let _ = writeln!(t, "{},pickup,{},,", pickup_name(i, n), lat_lon(p));
    }
    for (i, &p) in w.depots.iter().enumerate() {
        let _ = writeln!(t, "{},depot,{},,", depot_name(i), lat_lon(p));
    }
    if w.corridor.is_some() {
        let _ = writeln!(t, "Checkpoint,checkpoint,{},,", lat_lon(w.checkpoint));
    }
    for d in &w.destinations {
        let capacity = d.capacity.map(|c| c.to_string()).unwrap_or_default();
        let _ = writeln!(
            t,
            "{},destination,{},{capacity},{}",
            d.name,
            lat_lon(d.at),
            d.hospital
        );
    }
    t
}

/// `households.csv`, grouped by site.
pub(crate) fn households_csv(w: &World) -> String {
    let n_sites = w.pickups.len();
    let wide = width(w.households.len(), 6);
    let mut t = String::with_capacity(40 * (w.households.len() + 2));
    t.push_str("reference,site,people,stretcher_cases,tier,ready\n");
    t.push_str(",#loc+name,#affected+ind,#affected+ind+stretcher,#priority,#date+ready\n");
    for (i, h) in w.households.iter().enumerate() {
        let _ = writeln!(
            t,
            "G-{:0wide$},{},{},{},{},{}",
            i + 1,
            pickup_name(h.site, n_sites),
            h.people,
            h.stretcher_cases,
            h.tier,
            duration_text(h.ready)
        );
    }
    t
}
