//! What the commands print: summaries, figures and violations, as text and as JSON.

use std::fmt::Write;

use corridor_check::Violation;
use corridor_core::{Figures, People, Scenario, Seconds, SiteId, SiteKind, Tier};
use corridor_formats::{Loaded, Problem, format_duration};
use serde_json::{Value, json};

/// `1 vehicle`, `2 vehicles`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn hours(t: Seconds) -> String {
    format!("{:.1} h", t.as_hours())
}

/// A span since the start as "16 h 43 min": "16:43:24" would read as a clock time.
fn after_start(t: Seconds) -> String {
    let min = (t.0.max(0) + 30) / 60;
    format!("{} h {} min", min / 60, min % 60)
}

fn tiers_text(counts: &[People; 3]) -> String {
    Tier::ALL
        .iter()
        .map(|t| format!("tier {}: {}", t.number(), counts[t.index()]))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tiers_json(counts: &[People; 3]) -> Value {
    json!({ "tier_1": counts[0].0, "tier_2": counts[1].0, "tier_3": counts[2].0 })
}

pub(crate) fn problems_json(problems: &[Problem]) -> Value {
    Value::Array(
        problems
            .iter()
            .map(|p| {
                json!({
                    "file": p.file, "line": p.line, "column": p.column, "field": p.field,
                    "message": p.message, "hint": p.hint,
                })
            })
            .collect(),
    )
}

fn kind_name(k: &SiteKind) -> &'static str {
    k.name()
}

/// A scenario at a glance: sites, people, fleet, corridors, deals, travel times.
pub(crate) fn summary_text(loaded: &Loaded) -> String {
    let s = &loaded.scenario;
    let mut o = String::new();
    let _ = writeln!(o, "Scenario: {}", s.name);
    if let Some(c) = &s.clock {
        let _ = writeln!(
            o,
            "Starts:   {} (UTC{})",
            c.format(Seconds::ZERO),
            c.offset_text()
        );
    }
    let count = |k: &str| s.sites.iter().filter(|x| kind_name(&x.kind) == k).count();
    let hubs = count("hub");
    let _ = writeln!(
        o,
        "Sites:    {} pickup, {} depot, {} destination, {} checkpoint{}",
        count("pickup"),
        count("depot"),
        count("destination"),
        count("checkpoint"),
        if hubs > 0 {
            format!(", {hubs} hub")
        } else {
            String::new()
        }
    );
    let by_tier = s.people_by_tier();
    let people: People = by_tier.iter().copied().sum();
    let stretchers: People = s.households.iter().map(|h| h.stretcher_cases).sum();
    let _ = writeln!(
        o,
        "People:   {} in {} ({}); {} stretcher cases",
        people,
        plural(s.households.len(), "household"),
        tiers_text(&by_tier),
        stretchers
    );
    let _ = writeln!(o, "Fleet:    {}", plural(s.vehicles.len(), "vehicle"));
    for (i, t) in s.vehicle_types.iter().enumerate() {
        let n = s
            .vehicles
            .iter()
            .filter(|v| v.vehicle_type.index() == i)
            .count();
        let _ = writeln!(
            o,
            "          {n} × {} ({} seats, {} stretchers; boarding {}/person, stop {})",
            t.name,
            t.seats,
            t.stretchers,
            format_duration(t.boarding_per_person),
            format_duration(t.stop_time)
        );
    }
    let _ = writeln!(o, "Destinations:");
    for site in &s.sites {
        if let SiteKind::Destination(d) = &site.kind {
            let cap = d
                .capacity
                .map_or("unlimited".to_string(), |c| format!("capacity {c}"));
            let str_ = if d.accepts_stretcher_cases {
                ", accepts stretcher cases"
            } else {
                ""
            };
            let kept = d.reservation().map_or(String::new(), |r| format!(", {r}"));
            let _ = writeln!(o, "          {} ({cap}{str_}{kept})", site.name);
        }
    }
    for (i, site) in s.sites.iter().enumerate() {
        if let SiteKind::Hub(h) = &site.kind {
            let rate = h
                .people_per_hour
                .map_or("no processing time".to_string(), |r| {
                    format!("processes {r} people an hour")
                });
            let onward = s
                .vehicles
                .iter()
                .filter(|v| {
                    v.serves
                        .as_ref()
                        .is_some_and(|l| l.contains(&SiteId(i as u32)))
                })
                .count();
            let _ = writeln!(
                o,
                "Hub:      {} ({rate}; {} serve it)",
                site.name,
                plural(onward, "vehicle")
            );
        }
    }
    for c in &s.corridors {
        let _ = writeln!(
            o,
            "Corridor: {} at {}: {} lane{}, {} per vehicle, governs {} site{}{}",
            c.name,
            s.site(c.checkpoint).name,
            c.lanes,
            if c.lanes == 1 { "" } else { "s" },
            format_duration(c.processing),
            c.governs.len(),
            if c.governs.len() == 1 { "" } else { "s" },
            c.convoy.as_ref().map_or(String::new(), |r| format!(
                "; convoys of at least {} (or after {})",
                r.min_convoy,
                format_duration(r.max_wait)
            ))
        );
        for w in &c.windows {
            if w.start.0 < -(1 << 40) && w.end == Seconds::MAX {
                let _ = writeln!(o, "          always open");
            } else {
                let _ = writeln!(
                    o,
                    "          open {} → {} ({})",
                    s.show_time(w.start),
                    s.show_time(w.end),
                    hours(w.end - w.start)
                );
            }
        }
    }
    for d in &s.deals {
        let names = |g: &[corridor_core::SiteId]| {
            g.iter()
                .map(|x| s.site(*x).name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut rules = Vec::new();
        if let Some(r) = d.ratio {
            rules.push(format!("A ≤ {r} × B + {}", d.slack));
        }
        if d.a_leaves_last {
            rules.push("A's last departure after B's".to_string());
        }
        let _ = writeln!(
            o,
            "Deal:     {}: {} (A: {}; B: {})",
            d.name,
            rules.join("; "),
            names(&d.group_a),
            names(&d.group_b)
        );
    }
    match s.travel.range() {
        Some((lo, hi)) => {
            let _ = writeln!(
                o,
                "Travel:   {} to {} between sites ({})",
                lo,
                hi,
                loaded.network.describe()
            );
        }
        None => {
            let _ = writeln!(
                o,
                "Travel:   no reachable pairs ({})",
                loaded.network.describe()
            );
        }
    }
    let possible = loaded.uncertainty.closures.closures();
    if !possible.is_empty() {
        let list: Vec<String> = possible
            .iter()
            .map(|c| format!("{} ({:.0} %)", c.name, c.chance * 100.0))
            .collect();
        let _ = writeln!(o, "Rehearsal: roads that may close: {}", list.join("; "));
    }
    o
}

pub(crate) fn summary_json(loaded: &Loaded) -> Value {
    let s = &loaded.scenario;
    let by_tier = s.people_by_tier();
    json!({
        "ok": true,
        "scenario": s.name,
        "sites": s.sites.iter().map(|x| json!({"name": x.name, "kind": kind_name(&x.kind), "lat": x.location.lat, "lon": x.location.lon})).collect::<Vec<_>>(),
        "households": s.households.len(),
        "people": tiers_json(&by_tier),
        "stretcher_cases": s.households.iter().map(|h| h.stretcher_cases.0).sum::<u32>(),
        "vehicle_types": s.vehicle_types.iter().enumerate().map(|(i, t)| json!({
            "name": t.name, "seats": t.seats.0, "stretchers": t.stretchers.0,
            "vehicles": s.vehicles.iter().filter(|v| v.vehicle_type.index() == i).count(),
        })).collect::<Vec<_>>(),
        "corridors": s.corridors.iter().map(|c| json!({
            "name": c.name, "checkpoint": s.site(c.checkpoint).name, "lanes": c.lanes,
            "processing_s": c.processing.0,
            "windows": c.windows.iter().map(|w| json!({"open_s": w.start.0, "close_s": w.end.0})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "deals": s.deals.iter().map(|d| json!({"name": d.name, "ratio": d.ratio, "slack": d.slack.0, "a_leaves_last": d.a_leaves_last})).collect::<Vec<_>>(),
        "travel_time_s": s.travel.range().map(|(lo, hi)| json!({"min": lo.0, "max": hi.0})),
        "network": loaded.network.describe(),
        "possible_closures": loaded.uncertainty.closures.closures().iter().map(|c| json!({"name": c.name, "chance": c.chance})).collect::<Vec<_>>(),
        "warnings": problems_json(&loaded.warnings),
    })
}

pub(crate) fn figures_text(s: &Scenario, f: &Figures) -> String {
    let mut o = String::new();
    let total: People = f.carried.iter().copied().sum();
    let _ = writeln!(
        o,
        "People carried:        {total} ({})",
        tiers_text(&f.carried)
    );
    let left: People = f.uncarried.iter().copied().sum();
    if left.0 > 0 {
        let _ = writeln!(
            o,
            "People left behind:    {left} ({})",
            tiers_text(&f.uncarried)
        );
    }
    let _ = writeln!(
        o,
        "Makespan:              {} ({}; {})",
        f.makespan,
        hours(f.makespan),
        s.show_time(f.makespan)
    );
    let _ = writeln!(
        o,
        "Weighted mean arrival: {} after the start (weights 100/10/1 by tier)",
        after_start(Seconds(f.weighted_mean_arrival.round() as i64))
    );
    let _ = writeln!(
        o,
        "Driving time:          {} ({})",
        f.driving,
        hours(f.driving)
    );
    let _ = writeln!(
        o,
        "Vehicles used:         {} of {}, {}",
        f.vehicles_used,
        s.vehicles.len(),
        plural(f.trips, "trip")
    );
    let _ = writeln!(o, "Delivered per destination:");
    for d in &f.destinations {
        let cap = d.capacity.map_or(String::new(), |c| format!(" of {c}"));
        let others = d.general_places.map_or(String::new(), |g| {
            format!(
                " ({} without stretcher cases, of the {g} places not reserved for them)",
                d.general
            )
        });
        let _ = writeln!(o, "  {:<28} {}{cap}{others}", s.site(d.site).name, d.people);
    }
    o
}

pub(crate) fn figures_json(s: &Scenario, f: &Figures) -> Value {
    json!({
        "carried": tiers_json(&f.carried),
        "uncarried": tiers_json(&f.uncarried),
        "makespan_s": f.makespan.0,
        "weighted_mean_arrival_s": f.weighted_mean_arrival,
        "driving_s": f.driving.0,
        "vehicles_used": f.vehicles_used,
        "trips": f.trips,
        "destinations": f.destinations.iter().map(|d| {
            let mut out = json!({
                "site": s.site(d.site).name, "people": d.people.0, "capacity": d.capacity.map(|c| c.0),
            });
            // Only where places are reserved for stretcher cases.
            if let Some(g) = d.general_places {
                out["people_without_stretcher_cases"] = json!(d.general.0);
                out["places_not_reserved"] = json!(g.0);
            }
            out
        }).collect::<Vec<_>>(),
    })
}

fn location(s: &Scenario, v: &Violation) -> String {
    let mut parts = Vec::new();
    if let Some(veh) = v.vehicle {
        parts.push(format!("vehicle {}", s.vehicle(veh).name));
    }
    if let Some(t) = v.trip {
        parts.push(format!("trip {}", t + 1));
    }
    if let Some(h) = v.household {
        parts.push(format!("household {}", s.household(h).reference));
    }
    if let Some(t) = v.time {
        parts.push(format!("at {}", s.show_time(t)));
    }
    parts.join(", ")
}

pub(crate) fn violations_text(s: &Scenario, violations: &[Violation]) -> String {
    let mut o = String::new();
    let n = violations.len();
    let _ = writeln!(
        o,
        "The plan breaks {n} rule{}:",
        if n == 1 { "" } else { "s" }
    );
    for v in violations {
        let loc = location(s, v);
        let _ = writeln!(
            o,
            "  [{}] {}{}",
            v.rule,
            v.message,
            if loc.is_empty() {
                String::new()
            } else {
                format!("  ({loc})")
            }
        );
    }
    o
}

pub(crate) fn violations_json(s: &Scenario, violations: &[Violation]) -> Value {
    Value::Array(
        violations
            .iter()
            .map(|v| {
                json!({
                    "rule": v.rule.id(),
                    "message": v.message,
                    "vehicle": v.vehicle.map(|x| s.vehicle(x).name.clone()),
                    "trip": v.trip.map(|t| t + 1),
                    "household": v.household.map(|h| s.household(h).reference.clone()),
                    "time_s": v.time.map(|t| t.0),
                })
            })
            .collect(),
    )
}
