//! "Where does the time go?": the plan's time use as a short report with the
//! bottleneck named first, so a coordinator sees at a glance what to push on.
//! `corridor explain` prints it; the server's plan page shows it.

use std::fmt::Write;

use corridor_core::{Activity, Breakdown, Scenario, Seconds, Tier, TimeUse, WaitSummary, Waits};
use serde_json::{Value, json};

/// Below this share of the fleet's time, waits are not what limits the operation.
const WAITS_MATTER: f64 = 0.15;
/// Above this share of idle time, the fleet is not what limits the operation.
const IDLE_MATTERS: f64 = 0.3;

fn pct(x: f64) -> String {
    format!("{:.0} %", 100.0 * x)
}

/// "3 h 05 min" under ten hours, "412 h" above: waits of minutes still show.
fn hours(t: Seconds) -> String {
    if t.0 < 10 * 3600 {
        format!("{} h {:02} min", t.0 / 3600, (t.0 % 3600 + 30) / 60)
    } else {
        format!("{:.0} h", t.as_hours())
    }
}

/// The activities that took time, largest first, as "driving 41 %, ...".
fn shares(b: &Breakdown) -> String {
    let mut used: Vec<Activity> = Activity::ALL
        .into_iter()
        .filter(|a| b.get(*a).0 > 0)
        .collect();
    used.sort_by_key(|a| std::cmp::Reverse(b.get(*a)));
    used.iter()
        .map(|a| format!("{} {}", a.describe(), pct(b.share(*a))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "a", "a and b", "a, b and c".
fn and_list(parts: &[String]) -> String {
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// One sentence naming what limits the operation.
pub fn bottleneck(s: &Scenario, u: &TimeUse) -> String {
    let total = u.fleet.total();
    let waits = Activity::ALL
        .into_iter()
        .filter(|a| a.is_wait() && *a != Activity::Idle)
        .map(|a| u.fleet.get(a))
        .fold(Seconds::ZERO, |a, b| a + b);
    let idle = u.fleet.share(Activity::Idle);
    let main = u.main_wait();
    if total.0 > 0 && (waits.0 as f64) < WAITS_MATTER * total.0 as f64 && idle >= IDLE_MATTERS {
        return format!(
            "Bottleneck: the last trips. Vehicles are idle {} of their working time, so more vehicles would not help; the operation ends when the vehicle carrying the last people is done.",
            pct(idle)
        );
    }
    let Some(main) = main else {
        return "Bottleneck: the fleet. Vehicles never wait; more vehicles would shorten the operation."
            .to_string();
    };
    if total.0 <= 0 || (waits.0 as f64) < WAITS_MATTER * total.0 as f64 {
        return format!(
            "Bottleneck: the fleet. Vehicles spend {} of their working time driving, boarding and unloading, and only {} waiting; more vehicles would shorten the operation.",
            pct(1.0 - u.fleet.share(Activity::Idle) - waits.0 as f64 / total.0 as f64),
            pct(waits.0 as f64 / total.0 as f64)
        );
    }
    match main {
        Activity::WaitingForWindow | Activity::FormingConvoy | Activity::Queueing => {
            let Some(cp) = u.checkpoints.iter().max_by_key(|c| {
                c.waits.get(Activity::WaitingForWindow)
                    + c.waits.get(Activity::FormingConvoy)
                    + c.waits.get(Activity::Queueing)
            }) else {
                return format!("Bottleneck: {}.", main.describe());
            };
            let corridor = &s.corridors[cp.corridor.index()];
            let waits = [
                (Activity::WaitingForWindow, "for its windows"),
                (Activity::FormingConvoy, "for convoys to form"),
                (Activity::Queueing, "for a lane"),
            ];
            let parts: Vec<String> = waits
                .iter()
                .filter(|(a, _)| cp.waits.get(*a).0 > 0)
                .map(|(a, why)| format!("{} {why}", hours(cp.waits.get(*a))))
                .collect();
            let waited = waits
                .iter()
                .fold(Seconds::ZERO, |t, (a, _)| t + cp.waits.get(*a));
            let mut text = format!(
                "Bottleneck: corridor {}, at its checkpoint {}. Vehicles waited {} there ({} of the fleet's working time).",
                corridor.name,
                s.site(corridor.checkpoint).name,
                and_list(&parts),
                pct(waited.0 as f64 / total.0 as f64),
            );
            let _ = write!(
                text,
                " It was closed for {} between the first arrival and the last crossing, and its lanes were busy {} of the time it was open.",
                hours(cp.closed),
                pct(cp.utilisation())
            );
            text
        }
        Activity::HeldByDeal => format!(
            "Bottleneck: the linked deal{} {}. Deliveries and departures were held {} in all ({} of the fleet's working time).",
            if s.deals.len() == 1 { "" } else { "s" },
            s.deals
                .iter()
                .map(|d| format!("`{}`", d.name))
                .collect::<Vec<_>>()
                .join(" and "),
            hours(u.fleet.get(Activity::HeldByDeal)),
            pct(u.fleet.share(Activity::HeldByDeal))
        ),
        Activity::WaitingForPeople => format!(
            "Bottleneck: people's readiness. Vehicles waited {} at pickup sites for households to be ready ({} of their working time).",
            hours(u.fleet.get(Activity::WaitingForPeople)),
            pct(u.fleet.share(Activity::WaitingForPeople))
        ),
        other => format!("Bottleneck: {}.", other.describe()),
    }
}

/// The report: bottleneck, fleet shares, the last arrival's vehicle, checkpoints and, when asked, every vehicle.
pub fn text(s: &Scenario, u: &TimeUse, per_vehicle: bool) -> String {
    let mut out = String::new();
    if u.vehicles.is_empty() {
        return "Nobody moves in this plan: no time to explain.\n".to_string();
    }
    let _ = writeln!(out, "{}", bottleneck(s, u));
    let _ = writeln!(
        out,
        "Fleet ({} vehicles, {} of working time): {}.",
        u.vehicles.len(),
        hours(u.fleet.total()),
        shares(&u.fleet)
    );
    if let Some((v, b)) = &u.critical {
        let _ = writeln!(
            out,
            "The last arrival is carried by {}: {}.",
            s.vehicle(*v).name,
            shares(b)
        );
    }
    for cp in &u.checkpoints {
        let corridor = &s.corridors[cp.corridor.index()];
        let _ = writeln!(
            out,
            "Checkpoint {} ({}): {} crossings, lanes busy {} of open time, closed {} between first arrival and last crossing.",
            s.site(corridor.checkpoint).name,
            corridor.name,
            cp.crossings,
            pct(cp.utilisation()),
            hours(cp.closed)
        );
    }
    for h in &u.hubs {
        let rate = s
            .hub(h.hub)
            .and_then(|x| x.people_per_hour)
            .map_or("no processing time".to_string(), |r| format!("{r} people an hour"));
        let _ = writeln!(
            out,
            "Hub {}: {} people in {} households, unloaded from {}; processing ({rate}) busy {}, done by {}; people waited there for an onward vehicle {} on average, at most {}.{}",
            s.site(h.hub).name,
            h.people,
            h.households,
            s.show_time(h.first_unloaded),
            hours(h.busy),
            s.show_time(h.last_processed),
            hours(h.mean_stay),
            hours(h.longest_stay),
            if h.left.0 > 0 {
                format!(" {} people are not taken on (listed as left behind).", h.left)
            } else {
                String::new()
            }
        );
    }
    if per_vehicle {
        let _ = writeln!(out, "\nPer vehicle (hours):");
        let _ = write!(out, "{:<16}", "vehicle");
        for a in Activity::ALL {
            let _ = write!(out, " {:>8}", short(a));
        }
        let _ = writeln!(out);
        for (v, b) in &u.vehicles {
            let _ = write!(out, "{:<16}", s.vehicle(*v).name);
            for a in Activity::ALL {
                let _ = write!(out, " {:>8.1}", b.get(a).as_hours());
            }
            let _ = writeln!(out);
        }
    }
    out
}

/// Column headings for the per-vehicle table.
fn short(a: Activity) -> &'static str {
    match a {
        Activity::Driving => "driving",
        Activity::WaitingForPeople => "people",
        Activity::Boarding => "boarding",
        Activity::WaitingForWindow => "window",
        Activity::FormingConvoy => "convoy",
        Activity::Queueing => "queue",
        Activity::Inspection => "inspect",
        Activity::HeldByDeal => "deal",
        Activity::Unloading => "unload",
        Activity::Idle => "idle",
    }
}

fn breakdown_json(b: &Breakdown) -> Value {
    let mut m = serde_json::Map::new();
    for a in Activity::ALL {
        m.insert(format!("{}_s", a.id()), json!(b.get(a).0));
    }
    Value::Object(m)
}

/// The same report for programs.
pub fn json(s: &Scenario, u: &TimeUse) -> Value {
    json!({
        "bottleneck": if u.vehicles.is_empty() { Value::Null } else { json!(bottleneck(s, u)) },
        "fleet": breakdown_json(&u.fleet),
        "last_arrival_vehicle": u.critical.as_ref().map(|(v, b)| json!({
            "vehicle": s.vehicle(*v).name, "time_use": breakdown_json(b),
        })),
        "checkpoints": u.checkpoints.iter().map(|c| {
            let corridor = &s.corridors[c.corridor.index()];
            json!({
                "corridor": corridor.name,
                "checkpoint": s.site(corridor.checkpoint).name,
                "crossings": c.crossings,
                "lane_utilisation": c.utilisation(),
                "closed_s": c.closed.0,
                "time_use": breakdown_json(&c.waits),
            })
        }).collect::<Vec<_>>(),
        "hubs": u.hubs.iter().map(|h| json!({
            "hub": s.site(h.hub).name,
            "people": h.people.0,
            "households": h.households,
            "first_unloaded_s": h.first_unloaded.0,
            "last_processed_s": h.last_processed.0,
            "processing_busy_s": h.busy.0,
            "mean_wait_for_onward_s": h.mean_stay.0,
            "longest_wait_for_onward_s": h.longest_stay.0,
            "not_taken_on": h.left.0,
        })).collect::<Vec<_>>(),
        "vehicles": u.vehicles.iter().map(|(v, b)| json!({
            "vehicle": s.vehicle(*v).name, "time_use": breakdown_json(b),
        })).collect::<Vec<_>>(),
    })
}

/// How long people waited to be picked up, per tier: from being ready at their
/// site to the start of loading there, counted per person.
pub fn waits_text(w: &Waits) -> String {
    let mut out = String::new();
    if w.all.households == 0 {
        return out;
    }
    let _ = writeln!(
        out,
        "People waiting (from ready to the start of loading at their site, per person):"
    );
    let line = |label: &str, x: &WaitSummary| {
        if x.households == 0 {
            format!("  {label:<8} nobody picked up\n")
        } else {
            format!(
                "  {label:<8} {:>6} people: mean {}, P90 {}, longest {}\n",
                x.people.0,
                hours(Seconds(x.mean.round() as i64)),
                hours(x.p90),
                hours(x.max)
            )
        }
    };
    for t in Tier::ALL {
        out.push_str(&line(&format!("tier {}", t.number()), w.tier(t)));
    }
    out.push_str(&line("all", &w.all));
    out
}

fn wait_json(x: &WaitSummary) -> Value {
    json!({
        "people": x.people.0,
        "households": x.households,
        "mean_s": x.mean,
        "p90_s": x.p90.0,
        "max_s": x.max.0,
    })
}

/// The waits for programs: per tier (`tier_1` … `tier_3`) and `all`, in seconds.
pub fn waits_json(w: &Waits) -> Value {
    json!({
        "tier_1": wait_json(&w.tiers[0]),
        "tier_2": wait_json(&w.tiers[1]),
        "tier_3": wait_json(&w.tiers[2]),
        "all": wait_json(&w.all),
    })
}
