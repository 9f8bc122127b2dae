//! `corridor roads import` (prepare a road network from an OpenStreetMap extract) and
//! `corridor export geojson` (network, sites, corridors and vehicle routes for a GIS or a map).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use corridor_core::{LatLon, Plan, Scenario, Seconds, SiteId, SiteKind};
use corridor_formats::{NetworkSource, Problem, Roads, load_roads, load_scenario, read_plan};
use corridor_roads::{ImportError, ImportReport, TravelTimes, import_pbf, write_network};
use serde_json::{Value, json};

use crate::Format;
use crate::commands::{print_warnings, report_problems};

/// Road network commands.
#[derive(Subcommand)]
pub(crate) enum RoadsCommand {
    /// Prepare a road network from an OpenStreetMap extract, for scenarios to load in milliseconds.
    #[command(after_help = "Examples:\n  \
corridor roads import data/osm/neubrandenburg.osm.pbf -o neubrandenburg.roads\n  \
corridor roads import city.osm.pbf -o city.roads --format json\n\n\
Keeps the roads a car may use (the car profile: highway types and speeds, maxspeed, oneway, \
roundabouts, access tags), keeps the largest strongly connected part, and reports what it left out \
and why. A scenario uses the result with `[network] osm = \"city.roads\"`. An .osm XML file must be \
converted first: `osmium cat city.osm -o city.osm.pbf`.\n\n\
Exit codes: 0 prepared, 2 the extract cannot be read or holds no roads.")]
    Import {
        /// The OpenStreetMap extract (.osm.pbf).
        extract: PathBuf,
        /// Write the prepared network here.
        #[arg(short, long)]
        output: PathBuf,
        /// Output format of the report.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Export commands.
#[derive(Subcommand)]
pub(crate) enum ExportCommand {
    /// Write the scenario (and a plan's vehicle routes) as GeoJSON for a GIS or a web map.
    #[command(after_help = "Examples:\n  \
corridor export geojson examples/neubrandenburg/scenario.toml -o nb.geojson\n  \
corridor export geojson examples/neubrandenburg/scenario.toml plan.json -o nb-plan.geojson\n\n\
Features carry a `layer` property: `road` (the network, simplified for drawing; road networks only), \
`site`, `corridor` (checkpoints) and `route` (one line per leg of each vehicle, along the roads when \
the scenario has a road network, straight otherwise). The plan is checked first; a plan that breaks \
rules is not drawn.\n\n\
Exit codes: 0 written, 1 the plan breaks rules, 2 a file cannot be read.")]
    Geojson {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// A plan (JSON) whose vehicle routes to draw.
        plan: Option<PathBuf>,
        /// Write the GeoJSON here (`-` for standard output).
        #[arg(short, long)]
        output: PathBuf,
        /// Drop drawing detail smaller than this many metres from the network.
        #[arg(long, default_value_t = 5.0)]
        simplify_m: f64,
    },
    /// Write the operation's registry as CSV: references, counts, needs and where each household is.
    #[command(
        after_help = "Examples:\n  corridor export registry --data op -o registry.csv\n  corridor export registry --data op --names -o registry-with-names.csv\n\nNames, phone numbers and notes are written only with --names (the key file is needed); every export is written to the audit log."
    )]
    Registry {
        #[command(flatten)]
        store: crate::ops::StoreArgs,
        /// Also write the personal fields (name, phone, note) that registrations recorded.
        #[arg(long)]
        names: bool,
        /// The key file that opens the personal fields (default: DIR/corridor.key with --data).
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// Write the CSV here (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// Runs a `corridor roads` command.
pub(crate) fn roads(cmd: RoadsCommand) -> anyhow::Result<u8> {
    match cmd {
        RoadsCommand::Import {
            extract,
            output,
            format,
        } => import(&extract, &output, format),
    }
}

/// Runs a `corridor export` command.
pub(crate) fn export(cmd: ExportCommand) -> anyhow::Result<u8> {
    match cmd {
        ExportCommand::Geojson {
            scenario,
            plan,
            output,
            simplify_m,
        } => geojson(&scenario, plan.as_deref(), &output, simplify_m),
        ExportCommand::Registry {
            store,
            names,
            key_file,
            output,
        } => crate::ops::export_registry(&store, names, key_file.as_deref(), output.as_deref()),
    }
}

/// indicatif bars for the import's passes (hidden when standard error is not a terminal).
struct Bars {
    bar: Option<indicatif::ProgressBar>,
}

impl corridor_roads::Progress for Bars {
    fn start(&mut self, pass: &str, total: u64) {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:>22} [{bar:30}] {percent:>3}% {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(pass.to_string());
        self.bar = Some(bar);
    }
    fn advance(&mut self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

fn import(extract: &Path, output: &Path, format: Format) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let mut bars = Bars { bar: None };
    let (net, report) = match import_pbf(extract, &mut bars) {
        Ok(x) => x,
        Err(e) => {
            // The problem names the file; the message does not repeat it.
            let problem = match &e {
                ImportError::Open { path, source } => {
                    Problem::in_file(path.display().to_string(), format!("cannot open: {source}"))
                }
                ImportError::Pbf { path, message } => Problem::in_file(
                    path.display().to_string(),
                    format!("not a readable OpenStreetMap PBF file (.osm.pbf): {message}"),
                ),
                _ => Problem::in_file(extract.display().to_string(), e.to_string()),
            };
            return Ok(report_problems(&problem.into(), format));
        }
    };
    // The file error already names the path and the cause: said once, not as a chain.
    write_network(&net, output)
        .map_err(|e| anyhow::anyhow!("cannot write the prepared network: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    match format {
        Format::Text => {
            for w in report.warnings() {
                eprintln!("warning: {}: {w}", extract.display());
            }
            print!("{}", report_text(&report));
            println!(
                "Prepared {} in {seconds:.1} s; wrote {}",
                extract.display(),
                output.display()
            );
        }
        Format::Json => println!(
            "{}",
            json!({
                "ok": true,
                "output": output.display().to_string(),
                "report": report_json(&report),
                "warnings": report.warnings(),
            })
        ),
    }
    Ok(0)
}

fn report_text(r: &ImportReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Read:      {} ways, {} nodes ({} ways with a highway tag)",
        r.ways_read, r.nodes_read, r.highway_ways
    );
    let _ = writeln!(
        s,
        "Kept:      {} ways as {} nodes and {} one-way arcs",
        r.ways_kept, r.nodes_kept, r.arcs_kept
    );
    let _ = writeln!(
        s,
        "Left out:  {} nodes and {} arcs outside the largest strongly connected part (a car could not get back)",
        r.nodes_outside_component(),
        r.arcs_outside_component()
    );
    for (reason, n) in &r.ways_dropped {
        let _ = writeln!(s, "           {n:>6} ways: {reason}");
    }
    if r.missing_node_refs > 0 {
        let _ = writeln!(
            s,
            "Missing:   {} node references in {} kept ways (cut there)",
            r.missing_node_refs, r.ways_with_missing_refs
        );
    }
    s
}

fn report_json(r: &ImportReport) -> Value {
    json!({
        "ways_read": r.ways_read,
        "nodes_read": r.nodes_read,
        "highway_ways": r.highway_ways,
        "ways_kept": r.ways_kept,
        "ways_dropped": r.ways_dropped,
        "missing_node_refs": r.missing_node_refs,
        "ways_with_missing_refs": r.ways_with_missing_refs,
        "unreadable_maxspeed": r.unreadable_maxspeed,
        "nodes_kept": r.nodes_kept,
        "arcs_kept": r.arcs_kept,
        "nodes_outside_component": r.nodes_outside_component(),
        "arcs_outside_component": r.arcs_outside_component(),
    })
}

fn point(p: LatLon) -> Value {
    json!([round6(p.lon), round6(p.lat)])
}

/// Six decimals of a degree are about 0.1 m: more only makes the file larger.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn feature(geometry: Value, properties: Value) -> Value {
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

fn kind_name(k: &SiteKind) -> &'static str {
    k.name()
}

fn geojson(
    scenario_path: &Path,
    plan_path: Option<&Path>,
    output: &Path,
    simplify_m: f64,
) -> anyhow::Result<u8> {
    let loaded = match load_scenario(scenario_path) {
        Ok(l) => l,
        Err(p) => return Ok(report_problems(&p, Format::Text)),
    };
    print_warnings(&loaded.warnings, Format::Text);
    let s = &loaded.scenario;
    let roads: Option<Roads> = match &loaded.network {
        NetworkSource::Roads {
            file,
            line,
            changes,
        } => match load_roads(
            &scenario_path.display().to_string(),
            file,
            *line,
            changes,
            &s.sites,
        ) {
            Ok((r, _)) => Some(r),
            Err(p) => return Ok(report_problems(&p, Format::Text)),
        },
        _ => None,
    };
    let plan = match plan_path {
        None => None,
        Some(p) => {
            let shown = p.display().to_string();
            let text = match std::fs::read_to_string(p) {
                Ok(t) => t,
                Err(e) => {
                    let pr = Problem::in_file(shown, format!("cannot read the plan file: {e}"));
                    return Ok(report_problems(&pr.into(), Format::Text));
                }
            };
            let (plan, warnings) = match read_plan(&shown, &text, s) {
                Ok(x) => x,
                Err(p) => return Ok(report_problems(&p, Format::Text)),
            };
            print_warnings(&warnings, Format::Text);
            let violations = corridor_check::check(s, &plan);
            if !violations.is_empty() {
                eprintln!(
                    "error: the plan breaks {} rules; run `corridor check` to see them. Nothing was written.",
                    violations.len()
                );
                return Ok(crate::EXIT_VIOLATIONS);
            }
            Some(plan)
        }
    };

    let mut features = Vec::new();
    if let Some(r) = &roads {
        for road in r.network.drawing(simplify_m) {
            features.push(feature(
                json!({ "type": "LineString", "coordinates": road.points.iter().map(|p| point(*p)).collect::<Vec<_>>() }),
                json!({ "layer": "road", "name": road.name, "osm_way": road.way, "one_way": road.one_way }),
            ));
        }
    }
    for (i, site) in s.sites.iter().enumerate() {
        let mut props =
            json!({ "layer": "site", "name": site.name, "kind": kind_name(&site.kind) });
        if let SiteKind::Destination(d) = &site.kind {
            props["capacity"] = json!(d.capacity.map(|c| c.0));
            props["accepts_stretcher_cases"] = json!(d.accepts_stretcher_cases);
            // As the scenario file writes it: `reserved_for` alone keeps every place.
            if d.reserved != corridor_core::Reserved::Nothing {
                props["reserved_for"] = json!("stretcher_cases");
            }
            if let corridor_core::Reserved::Places(n) = d.reserved {
                props["reserved_places"] = json!(n.0);
            }
        }
        if let Some(r) = &roads {
            props["snapped_to_road_m"] = json!((r.snaps[i].road_distance_m * 10.0).round() / 10.0);
        }
        features.push(feature(
            json!({ "type": "Point", "coordinates": point(site.location) }),
            props,
        ));
    }
    for c in &s.corridors {
        // A corridor without windows is stored as one window from far before to far after the
        // operation; written as dates that would be absurd years, so it is said plainly instead.
        let unbounded = |t: Seconds| t <= Seconds(i64::MIN / 4) || t >= Seconds::MAX;
        let always_open = c
            .windows
            .iter()
            .any(|w| unbounded(w.start) && unbounded(w.end));
        let mut props = json!({
            "layer": "corridor",
            "name": c.name,
            "checkpoint": s.sites[c.checkpoint.index()].name,
            "lanes": c.lanes,
            "always_open": always_open,
        });
        if !always_open {
            let windows: Vec<Value> = c
                .windows
                .iter()
                .map(|w| {
                    let mut o = serde_json::Map::new();
                    if !unbounded(w.start) {
                        o.insert("open".into(), json!(time_text(s, w.start)));
                    }
                    if !unbounded(w.end) {
                        o.insert("close".into(), json!(time_text(s, w.end)));
                    }
                    Value::Object(o)
                })
                .collect();
            props["windows"] = json!(windows);
        }
        features.push(feature(
            json!({ "type": "Point", "coordinates": point(s.sites[c.checkpoint.index()].location) }),
            props,
        ));
    }
    if let Some(plan) = &plan {
        for leg in legs(s, plan) {
            let coords = leg_line(s, roads.as_ref(), leg.from, leg.to);
            features.push(feature(
                json!({ "type": "LineString", "coordinates": coords }),
                json!({
                    "layer": "route",
                    "vehicle": s.vehicles[leg.vehicle].name,
                    "trip": leg.trip,
                    "from": s.sites[leg.from.index()].name,
                    "to": s.sites[leg.to.index()].name,
                    "departs": time_text(s, leg.departs),
                    "arrives": time_text(s, leg.arrives),
                }),
            ));
        }
    }
    let doc = json!({
        "type": "FeatureCollection",
        "name": s.name,
        "attribution": roads.as_ref().map(|_| "Road network © OpenStreetMap contributors, ODbL 1.0"),
        "features": features,
    });
    let text = serde_json::to_string(&doc).context("cannot encode the GeoJSON")?;
    // `-o -` writes the GeoJSON to standard output and the summary to standard error.
    let to_stdout = output == Path::new("-");
    if to_stdout {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .context("cannot write the GeoJSON to standard output")?;
    } else {
        std::fs::write(output, text)
            .with_context(|| format!("cannot write {}", output.display()))?;
    }
    let summary = format!(
        "Wrote {} features ({}) to {}",
        doc["features"].as_array().map_or(0, Vec::len),
        if plan.is_some() {
            "network, sites, corridors and vehicle routes"
        } else {
            "network, sites and corridors"
        },
        if to_stdout {
            "standard output".to_string()
        } else {
            output.display().to_string()
        }
    );
    if to_stdout {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    Ok(0)
}

fn time_text(s: &Scenario, t: Seconds) -> String {
    match &s.clock {
        Some(c) => c.format(t),
        None => corridor_formats::format_duration(t),
    }
}

/// One drive of a vehicle from one site to the next.
struct Leg {
    vehicle: usize,
    trip: usize,
    from: SiteId,
    to: SiteId,
    departs: Seconds,
    arrives: Seconds,
}

/// Every drive of the plan, in order: depot → stops → (checkpoint) → destination → next trip …
/// → return depot.
fn legs(s: &Scenario, plan: &Plan) -> Vec<Leg> {
    let mut out = Vec::new();
    for route in &plan.routes {
        let v = route.vehicle.index();
        let mut at = s.vehicles[v].depot;
        let mut left = Seconds::ZERO;
        let mut push = |trip, from: &mut SiteId, to: SiteId, departs, arrives| {
            if *from != to {
                out.push(Leg {
                    vehicle: v,
                    trip,
                    from: *from,
                    to,
                    departs,
                    arrives,
                });
            }
            *from = to;
        };
        for (k, trip) in route.trips.iter().enumerate() {
            let mut departs = trip.departs;
            for stop in &trip.stops {
                push(k + 1, &mut at, stop.site, departs, stop.arrives);
                departs = stop.departs;
            }
            if let Some(c) = &trip.crossing {
                let checkpoint = s.corridors[c.corridor.index()].checkpoint;
                push(k + 1, &mut at, checkpoint, departs, c.queued);
                departs = c.ends;
            }
            push(k + 1, &mut at, trip.destination, departs, trip.arrives);
            left = trip.unloaded;
        }
        if let Some(back) = route.returns_at {
            let depot = s.vehicles[v].return_depot.unwrap_or(s.vehicles[v].depot);
            push(route.trips.len(), &mut at, depot, left, back);
        }
    }
    out
}

/// The leg's line: along the roads (site → its road → the route → the next site's road → site)
/// when there is a road network, straight otherwise.
fn leg_line(s: &Scenario, roads: Option<&Roads>, from: SiteId, to: SiteId) -> Vec<Value> {
    let a = s.sites[from.index()].location;
    let b = s.sites[to.index()].location;
    let mut coords = vec![point(a)];
    if let Some(r) = roads
        && let Some(path) = r
            .router
            .path(r.snaps[from.index()].node, r.snaps[to.index()].node)
    {
        coords.extend(path.iter().map(|&v| point(r.network.position(v))));
    }
    coords.push(point(b));
    coords
}
