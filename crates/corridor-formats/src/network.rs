//! Where travel times come from: the seam between scenarios and road networks.
//!
//! Every source ends as a [`TravelMatrix`] over the scenario's sites; the planner
//! sees nothing else. A road network (an OpenStreetMap extract or a prepared
//! network file) is one more [`NetworkSource`]: its sites are snapped to the
//! nearest road, its closures and slowdowns re-weight the router, and its matrix
//! becomes the scenario's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corridor_core::{Seconds, Site, SiteId, SiteKind, TravelMatrix, great_circle_km};
use corridor_roads::{
    CLOSED, CchRouter, NodeId, Restriction, RoadNetwork, Snap, Snapper, TENTHS_PER_SECOND,
    TravelTimes, import_pbf, is_prepared_network, read_network, restricted_weights,
};

use crate::problem::{Problem, Problems, did_you_mean};
use crate::scenario_file::FileSource;

/// Longest travel time a matrix may give (30 days).
const MAX_LEG_SECONDS: f64 = 30.0 * 86_400.0;

/// A scenario's source of travel times.
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkSource {
    /// Great-circle distance × `detour` ÷ `speed_kmh`: for quick studies where no road data exists.
    GreatCircle {
        /// Road distance ÷ straight-line distance (1.3 is a fair estimate).
        detour: f64,
        /// Average driving speed.
        speed_kmh: f64,
    },
    /// An explicit matrix in a CSV file (relative to the scenario file).
    Matrix(PathBuf),
    /// A road network: an OpenStreetMap extract (`.osm.pbf`) or a prepared network file
    /// (`corridor roads import`), with the scenario's closures and slowdowns.
    Roads {
        /// The file, resolved against the scenario's folder.
        file: PathBuf,
        /// The scenario line that names it (for messages).
        line: usize,
        /// Closures and slowdowns, in the order the scenario gives them.
        changes: Vec<RoadChange>,
    },
}

/// A closure or slowdown of the road network, with where the scenario asks for it.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadChange {
    /// What changes.
    pub restriction: Restriction,
    /// The scenario line.
    pub line: usize,
    /// The key that names the place (`street`, `way`, `area`).
    pub field: String,
    /// The place as written, for messages.
    pub written: String,
}

impl NetworkSource {
    /// One line for summaries.
    pub fn describe(&self) -> String {
        match self {
            NetworkSource::GreatCircle { detour, speed_kmh } => {
                format!("great-circle distance × {detour} at {speed_kmh} km/h")
            }
            NetworkSource::Matrix(p) => format!("travel-time matrix {}", p.display()),
            NetworkSource::Roads { file, changes, .. } => {
                let closed = changes
                    .iter()
                    .filter(|c| matches!(c.restriction, Restriction::Closed(_)))
                    .count();
                format!(
                    "road network {} ({closed} closures, {} slowdowns)",
                    file.display(),
                    changes.len() - closed
                )
            }
        }
    }
}

/// Builds the travel-time matrix over `sites` from a source.
pub fn build_matrix(
    source: &NetworkSource,
    sites: &[Site],
    dir: &Path,
    files: &dyn FileSource,
) -> Result<TravelMatrix, Problems> {
    build_matrix_reporting(source, sites, dir, files, "the scenario").map(|(m, _)| m)
}

/// Builds the travel-time matrix over `sites` from a source, with the warnings worth a look (a
/// site far from any road, a clipped extract). `scenario_file` names the scenario in problems.
pub fn build_matrix_reporting(
    source: &NetworkSource,
    sites: &[Site],
    dir: &Path,
    files: &dyn FileSource,
    scenario_file: &str,
) -> Result<(TravelMatrix, Vec<Problem>), Problems> {
    build_matrices_reporting(source, sites, dir, files, scenario_file, &[]).map(|(m, _, w)| (m, w))
}

/// Like [`build_matrix_reporting`], and also the matrices under every combination of the
/// `possible` closures (the `[[rehearsal.closure]]` tables, each a [`Restriction::Closed`]): the
/// matrix for bit mask `mask` (bit `i` for `possible[i]`) is at index `mask - 1`. `possible` is
/// only for a road network; with another source it must be empty.
pub fn build_matrices_reporting(
    source: &NetworkSource,
    sites: &[Site],
    dir: &Path,
    files: &dyn FileSource,
    scenario_file: &str,
    possible: &[RoadChange],
) -> Result<(TravelMatrix, Vec<TravelMatrix>, Vec<Problem>), Problems> {
    let m = match source {
        NetworkSource::GreatCircle { detour, speed_kmh } => {
            great_circle_matrix(sites, *detour, *speed_kmh)
        }
        NetworkSource::Matrix(rel) => {
            let path = dir.join(rel);
            let shown = path.display().to_string();
            let text = files.read(&path).map_err(|e| {
                Problem::in_file(&shown, format!("cannot read the travel-time matrix: {e}"))
            })?;
            read_matrix_csv(&shown, &text, sites)?
        }
        NetworkSource::Roads {
            file,
            line,
            changes,
        } => {
            let (mut roads, warnings) = load_roads(scenario_file, file, *line, changes, sites)?;
            let closed = possible_closure_matrices(&mut roads, possible, scenario_file, file)?;
            return Ok((roads.matrix(), closed, warnings));
        }
    };
    Ok((m, Vec::new(), Vec::new()))
}

/// The site-to-site matrices under every combination of `possible` closures, on top of the
/// closures and slowdowns the router already has (they are in force in every run). Each closure's
/// arcs are found once; a combination closes their union and re-customises the router, without
/// re-contraction. The router is left as it was. A place that matches no road is a problem.
fn possible_closure_matrices(
    roads: &mut Roads,
    possible: &[RoadChange],
    scenario_file: &str,
    file: &Path,
) -> Result<Vec<TravelMatrix>, Problems> {
    if possible.is_empty() {
        return Ok(Vec::new());
    }
    let fixed = roads.router.weights().to_vec();
    let mut arcs: Vec<Vec<usize>> = Vec::with_capacity(possible.len());
    let mut touched = Vec::with_capacity(possible.len());
    for c in possible {
        let (w, t) = restricted_weights(&roads.network, std::slice::from_ref(&c.restriction));
        touched.push(t.first().copied().unwrap_or(0));
        arcs.push((0..w.len()).filter(|&a| w[a] == CLOSED).collect());
    }
    let problems = unmatched(scenario_file, file, &roads.network, possible, &touched);
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let mut out = Vec::with_capacity((1 << possible.len()) - 1);
    for mask in 1u32..(1 << possible.len()) {
        let mut w = fixed.clone();
        for (i, closed) in arcs.iter().enumerate() {
            if mask >> i & 1 == 1 {
                for &a in closed {
                    w[a] = CLOSED;
                }
            }
        }
        roads.router.reweight(w);
        out.push(roads.matrix());
    }
    roads.router.reweight(fixed);
    Ok(out)
}

/// A problem for each change that touched no arc of the network, with a "did you mean" for a street.
fn unmatched(
    scenario_file: &str,
    file: &Path,
    network: &RoadNetwork,
    changes: &[RoadChange],
    touched: &[usize],
) -> Vec<Problem> {
    let shown = file.display().to_string();
    let mut problems = Vec::new();
    for (c, &t) in changes.iter().zip(touched) {
        if t == 0 {
            let hint = match &c.restriction {
                Restriction::Closed(corridor_roads::Place::Street(s))
                | Restriction::Slower {
                    place: corridor_roads::Place::Street(s),
                    ..
                } => did_you_mean(s, network.names().iter().map(String::as_str)),
                _ => None,
            };
            problems.push(
                Problem::in_file(
                    scenario_file,
                    format!("{} matches no road of the network `{shown}`", c.written),
                )
                .at_line(c.line)
                .field(c.field.clone())
                .hint(hint),
            );
        }
    }
    problems
}

/// A scenario's road network, ready to route: the network, the router with the scenario's
/// closures and slowdowns applied, and where each site was snapped.
pub struct Roads {
    /// The network.
    pub network: RoadNetwork,
    /// The router, re-weighted for the scenario's closures and slowdowns.
    pub router: CchRouter,
    /// Each site's snap to the nearest road, in site order.
    pub snaps: Vec<Snap>,
}

impl Roads {
    /// Travel times between the sites, rounded to whole seconds.
    pub fn matrix(&self) -> TravelMatrix {
        let nodes: Vec<u32> = self.snaps.iter().map(|s| s.node).collect();
        let n = nodes.len();
        let m = self.router.matrix(&nodes, &nodes);
        let tenths = i64::from(TENTHS_PER_SECOND);
        TravelMatrix::from_fn(n, |i, j| {
            if i == j {
                Some(Seconds::ZERO)
            } else {
                m[i * n + j].map(|t| Seconds((i64::from(t) + tenths / 2) / tenths))
            }
        })
    }
}

/// Reads a road network (a prepared file, recognised by its header, or an OpenStreetMap extract),
/// applies the closures and slowdowns and snaps the sites to it.
pub fn load_roads(
    scenario_file: &str,
    file: &Path,
    line: usize,
    changes: &[RoadChange],
    sites: &[Site],
) -> Result<(Roads, Vec<Problem>), Problems> {
    let at_osm = |message: String| {
        Problem::in_file(scenario_file, message)
            .at_line(line)
            .field("osm")
    };
    let shown = file.display().to_string();
    let mut head = [0u8; 16];
    let prepared = std::fs::File::open(file)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| at_osm(format!("cannot use the road network `{shown}`: {e}")))
        .map(|n| is_prepared_network(&head[..n]))?;
    let mut warnings = Vec::new();
    let network = if prepared {
        read_network(file).map_err(|e| at_osm(format!("cannot use the road network: {e}")))?
    } else {
        let (net, report) = import_pbf(file, &mut ())
            .map_err(|e| at_osm(format!("cannot use the road network: {e}")))?;
        warnings.extend(
            report
                .warnings()
                .into_iter()
                .map(|w| Problem::in_file(&shown, w)),
        );
        net
    };
    let restrictions: Vec<Restriction> = changes.iter().map(|c| c.restriction.clone()).collect();
    let (weights, touched) = restricted_weights(&network, &restrictions);
    let problems = unmatched(scenario_file, file, &network, changes, &touched);
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let mut router = CchRouter::new(&network);
    let snapper = Snapper::new(&network);
    let mut snaps = Vec::with_capacity(sites.len());
    for s in sites {
        let Some(snap) = snapper.snap(&network, s.location) else {
            return Err(at_osm(format!("the road network `{shown}` has no roads")).into());
        };
        if snap.is_far() {
            warnings.push(
                Problem::in_file(
                    scenario_file,
                    format!(
                        "site `{}` is {:.0} m from the nearest road; its travel times start there. Check its position",
                        s.name, snap.road_distance_m
                    ),
                )
                .field(s.name.clone()),
            );
        }
        snaps.push(snap);
    }
    if !changes.is_empty() {
        let nodes: Vec<NodeId> = snaps.iter().map(|s| s.node).collect();
        let open = cut_off(&router, sites, &nodes);
        router.reweight(weights);
        let cut = cut_off(&router, sites, &nodes);
        if !cut.is_empty() {
            let problem = cut_off_problem(
                scenario_file,
                &network,
                &mut router,
                changes,
                sites,
                &nodes,
                (&open, &cut),
            );
            let pickups = sites
                .iter()
                .filter(|s| matches!(s.kind, SiteKind::Pickup))
                .count();
            if cut.len() == pickups {
                return Err(problem.into());
            }
            warnings.push(problem);
        }
    }
    Ok((
        Roads {
            network,
            router,
            snaps,
        },
        warnings,
    ))
}

/// Why a pickup site is cut off on the roads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// No destination can be reached from it.
    NoDestination,
    /// No depot reaches it.
    NoDepot,
}

/// A cut-off pickup site: its index in the scenario's sites, and why.
type CutSite = (usize, Cut);

/// The pickup sites that reach no destination or that no depot reaches, by site index. A check
/// is skipped when the scenario has no destination (or no depot): other checks report that.
fn cut_off(router: &CchRouter, sites: &[Site], nodes: &[NodeId]) -> Vec<CutSite> {
    let of = |f: fn(&SiteKind) -> bool| -> Vec<usize> {
        (0..sites.len()).filter(|&i| f(&sites[i].kind)).collect()
    };
    let pickups = of(|k| matches!(k, SiteKind::Pickup));
    let dests = of(|k| matches!(k, SiteKind::Destination(_)));
    let depots = of(|k| matches!(k, SiteKind::Depot));
    let at = |ix: &[usize]| -> Vec<NodeId> { ix.iter().map(|&i| nodes[i]).collect() };
    let mut out = Vec::new();
    if !dests.is_empty() {
        let m = router.matrix(&at(&pickups), &at(&dests));
        for (r, &p) in pickups.iter().enumerate() {
            if m[r * dests.len()..(r + 1) * dests.len()]
                .iter()
                .all(Option::is_none)
            {
                out.push((p, Cut::NoDestination));
            }
        }
    }
    if !depots.is_empty() {
        let m = router.matrix(&at(&depots), &at(&pickups));
        let n = pickups.len();
        for (c, &p) in pickups.iter().enumerate() {
            if (0..depots.len()).all(|r| m[r * n + c].is_none())
                && !out.iter().any(|&(q, _)| q == p)
            {
                out.push((p, Cut::NoDepot));
            }
        }
    }
    out.sort_unstable_by_key(|&(i, _)| i);
    out
}

/// The problem for pickup sites cut off with the closures applied (`open` and `cut` are
/// [`cut_off`] without and with them). It names the closures that cut a site off on their own
/// (all of them when none does alone) and is placed at the first of those; the router is left
/// with all the changes applied.
fn cut_off_problem(
    scenario_file: &str,
    network: &RoadNetwork,
    router: &mut CchRouter,
    changes: &[RoadChange],
    sites: &[Site],
    nodes: &[NodeId],
    (open, cut): (&[CutSite], &[CutSite]),
) -> Problem {
    let list = |which: Cut| -> Vec<String> {
        cut.iter()
            .filter(|&&(_, c)| c == which)
            .map(|&(i, _)| format!("`{}`", sites[i].name))
            .collect()
    };
    let mut parts = Vec::new();
    let no_dest = list(Cut::NoDestination);
    if !no_dest.is_empty() {
        parts.push(format!("{} can reach no destination", no_dest.join(", ")));
    }
    let no_depot = list(Cut::NoDepot);
    if !no_depot.is_empty() {
        parts.push(format!("no depot can reach {}", no_depot.join(", ")));
    }
    let what = parts.join(" and ");
    let pickups = sites
        .iter()
        .filter(|s| matches!(s.kind, SiteKind::Pickup))
        .count();
    let consequence = if cut.len() == pickups {
        "no one can be evacuated"
    } else if cut.len() == 1 {
        "its people will be left behind"
    } else {
        "their people will be left behind"
    };
    let caused: Vec<usize> = cut
        .iter()
        .map(|&(i, _)| i)
        .filter(|i| !open.iter().any(|(j, _)| j == i))
        .collect();
    let all_weights = router.weights().to_vec();
    if caused.is_empty() {
        return Problem::in_file(
            scenario_file,
            format!("on the roads of the network {what}, even without the closures: {consequence}"),
        )
        .hint(Some(
            "check the positions of these sites: each is on a road the others cannot reach".into(),
        ));
    }
    let closures: Vec<&RoadChange> = changes
        .iter()
        .filter(|c| matches!(c.restriction, Restriction::Closed(_)))
        .collect();
    let mut named: Vec<&RoadChange> = Vec::new();
    if closures.len() > 1 {
        for c in &closures {
            let (w, _) = restricted_weights(network, std::slice::from_ref(&c.restriction));
            router.reweight(w);
            let alone = cut_off(router, sites, nodes);
            if caused.iter().any(|i| alone.iter().any(|(j, _)| j == i)) {
                named.push(c);
            }
        }
        router.reweight(all_weights);
    }
    if named.is_empty() {
        named = closures;
    }
    let Some(first) = named.first() else {
        // Only closures cut arcs off; without any, `caused` is empty (handled above).
        return Problem::in_file(scenario_file, format!("on the roads {what}: {consequence}"));
    };
    let check: Vec<String> = named
        .iter()
        .map(|c| format!("line {} ({})", c.line, c.written))
        .collect();
    let by = if named.len() == 1 {
        "the closure"
    } else {
        "the closures"
    };
    let (it, they) = if cut.len() == 1 {
        ("it", "it is")
    } else {
        ("them", "they are")
    };
    Problem::in_file(
        scenario_file,
        format!(
            "with the closures, {what}, though the roads without closures reach {it}: {they} cut off by {by} at {}, so {consequence}",
            check.join(", ")
        ),
    )
    .at_line(first.line)
    .field(first.field.clone())
    .hint(Some(format!(
        "check {by}: is the place right, and is it meant to close every road out?"
    )))
}

/// Great-circle distance × detour ÷ speed, rounded to whole seconds.
pub fn great_circle_matrix(sites: &[Site], detour: f64, speed_kmh: f64) -> TravelMatrix {
    TravelMatrix::from_fn(sites.len(), |i, j| {
        let km = great_circle_km(sites[i].location, sites[j].location) * detour;
        Some(Seconds((km / speed_kmh * 3600.0).round() as i64))
    })
}

/// Reads a square CSV matrix: a header of site names, then one row per site,
/// values in seconds; an empty cell or `-` means unreachable.
pub fn read_matrix_csv(file: &str, text: &str, sites: &[Site]) -> Result<TravelMatrix, Problems> {
    let mut problems = Vec::new();
    let by_name: HashMap<&str, usize> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let names = || sites.iter().map(|s| s.name.as_str());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for r in reader.records() {
        match r {
            Ok(r) => rows.push(r),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return Err(Problem::in_file(file, format!("unreadable CSV: {e}"))
                    .at_line(line)
                    .into());
            }
        }
    }
    let line_of = |r: &csv::StringRecord| r.position().map_or(0, |p| p.line() as usize);
    let Some(header) = rows.first() else {
        return Err(Problem::in_file(
            file,
            "the matrix file is empty; expected a header row of site names",
        )
        .into());
    };
    let mut cols = Vec::new();
    for (k, name) in header.iter().enumerate().skip(1) {
        let name = name.trim();
        match by_name.get(name) {
            Some(&i) => cols.push(i),
            None => problems.push(
                Problem::in_file(
                    file,
                    format!(
                        "column {} names `{name}`, which is not a site of the scenario",
                        k + 1
                    ),
                )
                .at_line(1)
                .hint(did_you_mean(name, names())),
            ),
        }
    }
    let data = &rows[1..];
    if data.len() != header.len().saturating_sub(1) {
        problems.push(Problem::in_file(
            file,
            format!(
                "the matrix is not square: {} columns of sites but {} rows",
                header.len().saturating_sub(1),
                data.len()
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let mut m = TravelMatrix::unreachable(sites.len());
    let mut seen_rows = vec![false; sites.len()];
    for row in data {
        let line = line_of(row);
        if row.len() != header.len() {
            problems.push(
                Problem::in_file(
                    file,
                    format!(
                        "this row has {} cells; the header has {}",
                        row.len(),
                        header.len()
                    ),
                )
                .at_line(line),
            );
            continue;
        }
        let name = row[0].trim();
        let Some(&from) = by_name.get(name) else {
            problems.push(
                Problem::in_file(
                    file,
                    format!("row names `{name}`, which is not a site of the scenario"),
                )
                .at_line(line)
                .hint(did_you_mean(name, names())),
            );
            continue;
        };
        seen_rows[from] = true;
        for (k, &to) in cols.iter().enumerate() {
            let raw = row[k + 1].trim();
            let value = if raw.is_empty() || raw == "-" {
                None
            } else {
                match raw.parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.0..=MAX_LEG_SECONDS).contains(&x) => {
                        Some(Seconds(x.round() as i64))
                    }
                    _ => {
                        problems.push(
                            Problem::in_file(file, format!("`{raw}` is not a travel time; expected seconds from 0 to 2592000 (30 days), or empty / `-` for unreachable"))
                                .at_line(line)
                                .field(sites[to].name.clone()),
                        );
                        continue;
                    }
                }
            };
            if from == to && value.is_some_and(|v| v != Seconds::ZERO) {
                problems.push(
                    Problem::in_file(
                        file,
                        format!("travel time from `{name}` to itself must be 0"),
                    )
                    .at_line(line)
                    .field(name.to_string()),
                );
            }
            m.set(
                SiteId(from as u32),
                SiteId(to as u32),
                if from == to {
                    Some(Seconds::ZERO)
                } else {
                    value
                },
            );
        }
    }
    for (i, s) in sites.iter().enumerate() {
        if !seen_rows[i] || !cols.contains(&i) {
            problems.push(Problem::in_file(
                file,
                format!(
                    "site `{}` is missing from the matrix (every site needs a row and a column)",
                    s.name
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(m)
    } else {
        Err(Problems(problems))
    }
}
