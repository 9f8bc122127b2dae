//! Outputs a person uses: each vehicle's schedule (text and CSV) and each
//! pickup site's timetable, which a registrar can print.

use std::fmt::Write;

use corridor_core::{People, Plan, Scenario, Seconds, SiteKind};

/// One row of a vehicle's schedule.
struct Row {
    vehicle: String,
    trip: usize,
    event: &'static str,
    site: String,
    time: Seconds,
    people: People,
    households: String,
}

fn rows(s: &Scenario, plan: &Plan) -> Vec<Row> {
    let mut out = Vec::new();
    for r in &plan.routes {
        let vname = s.vehicle(r.vehicle).name.clone();
        let depot = s.site(s.vehicle(r.vehicle).depot).name.clone();
        for (ti, t) in r.trips.iter().enumerate() {
            let row = |event, site: String, time, people, households| Row {
                vehicle: vname.clone(),
                trip: ti + 1,
                event,
                site,
                time,
                people,
                households,
            };
            let from = if ti == 0 {
                depot.clone()
            } else {
                s.site(r.trips[ti - 1].destination).name.clone()
            };
            out.push(row("leave", from, t.departs, People(0), String::new()));
            for st in &t.stops {
                let people: People = st.households.iter().map(|h| s.household(*h).people).sum();
                let refs = st
                    .households
                    .iter()
                    .map(|h| s.household(*h).reference.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push(row(
                    "arrive",
                    s.site(st.site).name.clone(),
                    st.arrives,
                    People(0),
                    String::new(),
                ));
                // A stop without households is passed on the way (a faster leg):
                // nobody boards there.
                if !st.households.is_empty() {
                    out.push(row(
                        "board",
                        s.site(st.site).name.clone(),
                        st.loading_starts,
                        people,
                        refs,
                    ));
                }
                out.push(row(
                    "depart",
                    s.site(st.site).name.clone(),
                    st.departs,
                    People(0),
                    String::new(),
                ));
            }
            if let Some(c) = &t.crossing {
                let cp = s
                    .site(s.corridors[c.corridor.index()].checkpoint)
                    .name
                    .clone();
                let convoy = c.convoy.map_or(String::new(), |id| format!("convoy {id}"));
                out.push(row("queue", cp.clone(), c.queued, People(0), String::new()));
                out.push(row("cross", cp.clone(), c.starts, People(0), convoy));
                out.push(row("crossed", cp, c.ends, People(0), String::new()));
            }
            let on_board: People = t.households().map(|h| s.household(h).people).sum();
            out.push(row(
                "arrive",
                s.site(t.destination).name.clone(),
                t.arrives,
                People(0),
                String::new(),
            ));
            out.push(row(
                "unloaded",
                s.site(t.destination).name.clone(),
                t.unloaded,
                on_board,
                String::new(),
            ));
        }
        if let (Some(at), Some(d)) = (r.returns_at, s.vehicle(r.vehicle).return_depot) {
            out.push(Row {
                vehicle: vname.clone(),
                trip: r.trips.len(),
                event: "return",
                site: s.site(d).name.clone(),
                time: at,
                people: People(0),
                households: String::new(),
            });
        }
    }
    out
}

/// Every vehicle's schedule as a text table.
pub(crate) fn schedule_text(s: &Scenario, plan: &Plan) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Vehicle schedules: {}\n", s.name);
    let mut last = String::new();
    for r in rows(s, plan) {
        if r.vehicle != last {
            let v = plan
                .routes
                .iter()
                .find(|x| s.vehicle(x.vehicle).name == r.vehicle)
                .map(|x| x.vehicle);
            let kind = v.map_or(String::new(), |v| s.vehicle_type_of(v).name.clone());
            let _ = writeln!(o, "\n{} ({kind})", r.vehicle);
            let _ = writeln!(
                o,
                "  {:>4}  {:<9} {:<18} {:<28} {:>6}  households",
                "trip", "event", "time", "place", "people"
            );
            last = r.vehicle.clone();
        }
        let people = if r.people.0 > 0 {
            r.people.to_string()
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "  {:>4}  {:<9} {:<18} {:<28} {:>6}  {}",
            r.trip,
            r.event,
            s.show_time(r.time),
            r.site,
            people,
            r.households
        );
    }
    o
}

/// Every vehicle's schedule as CSV (one event per row).
pub(crate) fn schedule_csv(s: &Scenario, plan: &Plan) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "vehicle",
        "trip",
        "event",
        "place",
        "time_s",
        "time",
        "people",
        "households",
    ])?;
    for r in rows(s, plan) {
        w.write_record([
            r.vehicle,
            r.trip.to_string(),
            r.event.to_string(),
            r.site,
            r.time.0.to_string(),
            s.show_time(r.time),
            r.people.0.to_string(),
            r.households,
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// For each pickup site, when which vehicle comes for which households.
pub(crate) fn timetable_text(s: &Scenario, plan: &Plan) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Pickup timetable: {}", s.name);
    for (si, site) in s.sites.iter().enumerate() {
        if !matches!(site.kind, SiteKind::Pickup) {
            continue;
        }
        let mut visits = Vec::new();
        for r in &plan.routes {
            for t in &r.trips {
                for st in t
                    .stops
                    .iter()
                    .filter(|x| x.site.index() == si && !x.households.is_empty())
                {
                    visits.push((st.loading_starts, r.vehicle, st, t.destination));
                }
            }
        }
        if visits.is_empty() {
            continue;
        }
        visits.sort_by_key(|(t, v, _, _)| (*t, *v));
        let total: People = visits
            .iter()
            .flat_map(|(_, _, st, _)| st.households.iter())
            .map(|h| s.household(*h).people)
            .sum();
        let _ = writeln!(
            o,
            "\n{} — {} vehicles, {} people",
            site.name,
            visits.len(),
            total
        );
        let _ = writeln!(
            o,
            "  {:<18} {:<16} {:<24} {:>6}  households (tier)",
            "boarding from", "vehicle", "to", "people"
        );
        for (t, v, st, dest) in visits {
            let people: People = st.households.iter().map(|h| s.household(*h).people).sum();
            let refs = st
                .households
                .iter()
                .map(|h| {
                    let hh = s.household(*h);
                    format!("{} ({})", hh.reference, hh.tier.number())
                })
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                o,
                "  {:<18} {:<16} {:<24} {:>6}  {}",
                s.show_time(t),
                s.vehicle(v).name,
                s.site(dest).name,
                people,
                refs
            );
        }
    }
    let left: Vec<_> = plan.uncarried.iter().collect();
    if !left.is_empty() {
        let _ = writeln!(o, "\nNot in this plan ({} households):", left.len());
        for u in left {
            let hh = s.household(u.household);
            let _ = writeln!(
                o,
                "  {} at {} ({} people, tier {}): {}",
                hh.reference,
                s.site(hh.site).name,
                hh.people,
                hh.tier.number(),
                u.reason
            );
        }
    }
    o
}
