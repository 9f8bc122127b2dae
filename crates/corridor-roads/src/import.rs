//! OpenStreetMap import: PBF → ways and nodes → the car network of the largest strongly connected
//! component, with a report of everything left out and why.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use corridor_core::{LatLon, great_circle_km};
use osmpbf::{BlobDecode, BlobReader};

use crate::network::{ArcSpec, BuildError, MAX_ARC_TENTHS, NO_NAME, NodeId, RoadNetwork};
use crate::profile::{Direction, car_rule};

/// Reports the progress of a long pass (reading, building, preparing). The CLI draws bars.
pub trait Progress {
    /// A pass starts; `total` is its length in the pass's own unit (bytes, steps).
    fn start(&mut self, pass: &str, total: u64);
    /// `done` units of the current pass are complete.
    fn advance(&mut self, done: u64);
    /// The current pass is complete.
    fn finish(&mut self);
}

/// No progress display.
impl Progress for () {
    fn start(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

/// A way as read from OpenStreetMap: only the tags the car profile and the street names use.
#[derive(Clone, Debug, PartialEq)]
pub struct OsmWay {
    /// OpenStreetMap way id.
    pub id: i64,
    /// `key=value` tags.
    pub tags: Vec<(String, String)>,
    /// Node ids, in the way's order.
    pub refs: Vec<i64>,
}

/// The raw material of a road network: node positions and highway ways.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OsmData {
    /// Positions of the nodes the highway ways use (and that the extract contains).
    pub nodes: HashMap<i64, LatLon>,
    /// Ways with a `highway` tag, in file order.
    pub ways: Vec<OsmWay>,
    /// Ways read in all (with or without a `highway` tag).
    pub ways_read: u64,
    /// Nodes read in all.
    pub nodes_read: u64,
}

/// What an import kept, what it left out and why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// Ways read from the file.
    pub ways_read: u64,
    /// Nodes read from the file.
    pub nodes_read: u64,
    /// Ways with a `highway` tag.
    pub highway_ways: u64,
    /// Ways the car profile accepted.
    pub ways_kept: u64,
    /// Ways left out, counted by reason (reason text → count), in a stable order.
    pub ways_dropped: BTreeMap<String, u64>,
    /// References from kept ways to nodes the extract does not contain (a clipped extract): the way
    /// is cut there. A warning, not a failure.
    pub missing_node_refs: u64,
    /// Kept ways with at least one missing node reference.
    pub ways_with_missing_refs: u64,
    /// Kept ways whose `maxspeed` could not be read (their class speed was used).
    pub unreadable_maxspeed: u64,
    /// Road nodes found before keeping the largest strongly connected component.
    pub road_nodes: u64,
    /// Road arcs (one per direction a car may drive) before keeping the largest component.
    pub road_arcs: u64,
    /// Nodes in the final network.
    pub nodes_kept: u64,
    /// Arcs in the final network.
    pub arcs_kept: u64,
}

impl ImportReport {
    /// Nodes left out because they lie outside the largest strongly connected component.
    pub fn nodes_outside_component(&self) -> u64 {
        self.road_nodes - self.nodes_kept
    }

    /// Arcs left out because they lie outside the largest strongly connected component.
    pub fn arcs_outside_component(&self) -> u64 {
        self.road_arcs - self.arcs_kept
    }

    /// Warnings a user should see (each one line).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.missing_node_refs > 0 {
            w.push(format!(
                "{} node references of {} ways point outside the extract (a clipped extract?); those ways were cut there",
                self.missing_node_refs, self.ways_with_missing_refs
            ));
        }
        if self.unreadable_maxspeed > 0 {
            w.push(format!(
                "{} ways have a maxspeed that could not be read; the speed of their road class was used",
                self.unreadable_maxspeed
            ));
        }
        w
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a readable OpenStreetMap PBF file (malformed, truncated, another format).
    #[error("{path} is not a readable OpenStreetMap PBF file (.osm.pbf): {message}")]
    Pbf {
        /// The file.
        path: PathBuf,
        /// What the PBF reader said, and what to do given how the file starts.
        message: String,
    },
    /// The extract holds no road a car may use.
    #[error(
        "{0} holds no road a car may use (no way with a car-usable highway tag and two known nodes)"
    )]
    NoRoads(String),
    /// The network could not be built (too large).
    #[error("{0}")]
    Build(#[from] BuildError),
}

/// Imports a PBF extract: reads it (two passes: ways, then the nodes they use) and builds the car
/// network of its largest strongly connected component.
pub fn import_pbf(
    path: &Path,
    progress: &mut dyn Progress,
) -> Result<(RoadNetwork, ImportReport), ImportError> {
    let data = read_pbf(path, progress)?;
    build_network(&data, &path.display().to_string(), progress)
}

/// What to do about an unreadable PBF file, judged by how it starts: an XML file is converted
/// first, a file that starts like a PBF file was most likely cut short in a download or copy.
fn pbf_advice(path: &Path) -> &'static str {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    let head = &head[..n];
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if text.trim_ascii_start().starts_with(b"<") {
        return ". It looks like an .osm XML file: convert it first with `osmium cat FILE.osm -o FILE.osm.pbf`";
    }
    // A PBF file starts with a 4-byte header length, then a blob header whose type is `OSMHeader`.
    if head.len() > 4 && head[4..].windows(9).take(8).any(|w| w == b"OSMHeader") {
        return ". The file starts like a PBF file but seems cut short (or damaged): download or copy it again";
    }
    ". The file does not start like a PBF file: give an OpenStreetMap extract in PBF format"
}

/// Reads the highway ways of a PBF file and the positions of the nodes they use.
pub fn read_pbf(path: &Path, progress: &mut dyn Progress) -> Result<OsmData, ImportError> {
    let pbf = |e: osmpbf::Error| ImportError::Pbf {
        path: path.to_path_buf(),
        message: format!("{e}{}", pbf_advice(path)),
    };
    let total = std::fs::metadata(path)
        .map_err(|source| ImportError::Open {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let open = || BlobReader::seekable_from_path(path).map_err(pbf);
    let mut data = OsmData::default();
    let mut blobs = 0usize;

    progress.start("reading ways", total);
    let mut read = 0u64;
    for blob in open()? {
        let blob = blob.map_err(pbf)?;
        read = blob.offset().map_or(read, |o| o.0);
        blobs += 1;
        if let BlobDecode::OsmData(block) = blob.decode().map_err(pbf)? {
            for group in block.groups() {
                for way in group.ways() {
                    data.ways_read += 1;
                    if !way.tags().any(|(k, _)| k == "highway") {
                        continue;
                    }
                    let tags = way
                        .tags()
                        .filter(|(k, _)| KEPT_KEYS.contains(k))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    data.ways.push(OsmWay {
                        id: way.id(),
                        tags,
                        refs: way.refs().collect(),
                    });
                }
            }
        }
        progress.advance(read.min(total));
    }
    progress.finish();
    if blobs == 0 {
        return Err(ImportError::Pbf {
            path: path.to_path_buf(),
            message: "the file is empty".into(),
        });
    }

    let wanted: HashSet<i64> = data
        .ways
        .iter()
        .flat_map(|w| w.refs.iter().copied())
        .collect();
    progress.start("reading nodes", total);
    let mut read = 0u64;
    // osmpbf decodes positions with plain arithmetic: on a damaged file they come out anywhere
    // (the workspace builds it without overflow checks, as a release build does). A position off
    // the Earth is refused here rather than routed.
    let keep = |data: &mut OsmData, id: i64, position: &dyn Fn() -> (f64, f64)| {
        data.nodes_read += 1;
        if wanted.contains(&id) {
            let (lat, lon) = position();
            if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
                return Err(ImportError::Pbf {
                    path: path.to_path_buf(),
                    message: format!(
                        "node {id} lies at latitude {lat}, longitude {lon}, which is not on the Earth. \
                         The file seems damaged: download or copy it again"
                    ),
                });
            }
            data.nodes.insert(id, LatLon { lat, lon });
        }
        Ok::<(), ImportError>(())
    };
    for blob in open()? {
        let blob = blob.map_err(pbf)?;
        read = blob.offset().map_or(read, |o| o.0);
        if let BlobDecode::OsmData(block) = blob.decode().map_err(pbf)? {
            for group in block.groups() {
                for n in group.dense_nodes() {
                    keep(&mut data, n.id(), &|| (n.lat(), n.lon()))?;
                }
                for n in group.nodes() {
                    keep(&mut data, n.id(), &|| (n.lat(), n.lon()))?;
                }
            }
        }
        progress.advance(read.min(total));
    }
    progress.finish();
    Ok(data)
}

/// Tags kept from highway ways: those the car profile reads, and the street name.
const KEPT_KEYS: &[&str] = &[
    "highway",
    "oneway",
    "junction",
    "maxspeed",
    "area",
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "name",
    "ref",
];

/// Builds the car network from OpenStreetMap ways and nodes (largest strongly connected component).
/// `source` names the data in messages.
pub fn build_network(
    data: &OsmData,
    source: &str,
    progress: &mut dyn Progress,
) -> Result<(RoadNetwork, ImportReport), ImportError> {
    let mut report = ImportReport {
        ways_read: data.ways_read,
        nodes_read: data.nodes_read,
        ..ImportReport::default()
    };
    progress.start("building the network", 3);
    let mut index: HashMap<i64, NodeId> = HashMap::new();
    let mut positions: Vec<LatLon> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut name_index: HashMap<String, u32> = HashMap::new();
    let mut arcs: Vec<ArcSpec> = Vec::new();
    for way in &data.ways {
        let Some(rule) = car_rule(way.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))) else {
            continue;
        };
        report.highway_ways += 1;
        let rule = match rule {
            Ok(r) => r,
            Err(reason) => {
                *report.ways_dropped.entry(reason.to_string()).or_default() += 1;
                continue;
            }
        };
        let missing = way
            .refs
            .iter()
            .filter(|r| !data.nodes.contains_key(r))
            .count() as u64;
        if missing > 0 {
            report.missing_node_refs += missing;
            report.ways_with_missing_refs += 1;
        }
        let label = way
            .tags
            .iter()
            .find(|(k, _)| k == "name")
            .or_else(|| way.tags.iter().find(|(k, _)| k == "ref"))
            .map(|(_, v)| v.clone());
        let name = match label {
            None => NO_NAME,
            Some(l) => *name_index.entry(l.clone()).or_insert_with(|| {
                names.push(l);
                (names.len() - 1) as u32
            }),
        };
        let mut produced = false;
        for pair in way.refs.windows(2) {
            let (Some(&pa), Some(&pb)) = (data.nodes.get(&pair[0]), data.nodes.get(&pair[1]))
            else {
                continue;
            };
            if pair[0] == pair[1] {
                continue;
            }
            let mut id = |osm: i64, p: LatLon| {
                *index.entry(osm).or_insert_with(|| {
                    positions.push(p);
                    (positions.len() - 1) as u32
                })
            };
            let (a, b) = (id(pair[0], pa), id(pair[1], pb));
            let length_m = great_circle_km(pa, pb) * 1000.0;
            // At least one tenth: fast_paths, the test oracle, skips zero-weight arcs, and no road takes no time.
            let tenths = (length_m / (rule.speed_kmh / 3.6) * 10.0)
                .round()
                .clamp(1.0, MAX_ARC_TENTHS as f64) as u32;
            let arc = |from, to| ArcSpec {
                from,
                to,
                tenths,
                length_m: length_m as f32,
                way: way.id,
                name,
            };
            if rule.direction != Direction::Backward {
                arcs.push(arc(a, b));
            }
            if rule.direction != Direction::Forward {
                arcs.push(arc(b, a));
            }
            produced = true;
        }
        if produced {
            report.ways_kept += 1;
            report.unreadable_maxspeed += u64::from(rule.unreadable_maxspeed);
        } else {
            *report
                .ways_dropped
                .entry("fewer than two of its nodes are in the extract".to_string())
                .or_default() += 1;
        }
    }
    progress.advance(1);
    report.road_nodes = positions.len() as u64;
    report.road_arcs = arcs.len() as u64;
    if arcs.is_empty() {
        return Err(ImportError::NoRoads(source.to_string()));
    }

    let pairs: Vec<(u32, u32)> = arcs.iter().map(|a| (a.from, a.to)).collect();
    let keep = crate::network::largest_strong_component(positions.len(), &pairs);
    let mut renumber = vec![u32::MAX; positions.len()];
    let mut kept_positions = Vec::new();
    for (i, p) in positions.iter().enumerate() {
        if keep[i] {
            renumber[i] = kept_positions.len() as u32;
            kept_positions.push(*p);
        }
    }
    let kept_arcs: Vec<ArcSpec> = arcs
        .into_iter()
        .filter(|a| keep[a.from as usize] && keep[a.to as usize])
        .map(|a| ArcSpec {
            from: renumber[a.from as usize],
            to: renumber[a.to as usize],
            ..a
        })
        .collect();
    report.nodes_kept = kept_positions.len() as u64;
    report.arcs_kept = kept_arcs.len() as u64;
    progress.advance(2);
    let network = RoadNetwork::new(&kept_positions, kept_arcs, names)?;
    progress.advance(3);
    progress.finish();
    Ok((network, report))
}
