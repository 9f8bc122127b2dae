//! Lists the named squares, schools, town halls and similar places of an OpenStreetMap extract with
//! their coordinates, to place a scenario's sites on real ground (this is how the positions in
//! `examples/neubrandenburg` were taken).
//!
//! `cargo run -p corridor-roads --example named_places -- data/osm/neubrandenburg.osm.pbf`

use std::collections::HashMap;

use osmpbf::{Element, ElementReader};

/// Tags that mark a place worth gathering at or receiving people in.
const WANTED: &[(&str, &str)] = &[
    ("place", "square"),
    ("amenity", "school"),
    ("amenity", "townhall"),
    ("amenity", "hospital"),
    ("amenity", "bus_station"),
    ("amenity", "marketplace"),
    ("railway", "station"),
    ("leisure", "stadium"),
    ("leisure", "sports_centre"),
    ("amenity", "community_centre"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: named_places EXTRACT.osm.pbf")?;
    let mut coords: HashMap<i64, (f64, f64)> = HashMap::new();
    let mut ways: Vec<(String, String, Vec<i64>)> = Vec::new();
    let mut out: Vec<(String, String, f64, f64)> = Vec::new();
    let kind = |tags: &mut dyn Iterator<Item = (&str, &str)>| {
        let tags: Vec<(&str, &str)> = tags.collect();
        let name = tags
            .iter()
            .find(|(k, _)| *k == "name")
            .map(|(_, v)| v.to_string())?;
        // Road bridges: the places a closure most often hits.
        if tags.contains(&("bridge", "yes")) && tags.iter().any(|(k, _)| *k == "highway") {
            let hw = tags
                .iter()
                .find(|(k, _)| *k == "highway")
                .map(|(_, v)| *v)
                .unwrap_or("");
            return Some((format!("bridge highway={hw}"), name));
        }
        let k = tags
            .iter()
            .find(|t| WANTED.contains(t))
            .map(|(k, v)| format!("{k}={v}"))?;
        Some((k, name))
    };
    ElementReader::from_path(&path)?.for_each(|e| match e {
        Element::DenseNode(n) => {
            coords.insert(n.id(), (n.lat(), n.lon()));
            if let Some((k, name)) = kind(&mut n.tags()) {
                out.push((k, name, n.lat(), n.lon()));
            }
        }
        Element::Node(n) => {
            coords.insert(n.id(), (n.lat(), n.lon()));
            if let Some((k, name)) = kind(&mut n.tags()) {
                out.push((k, name, n.lat(), n.lon()));
            }
        }
        Element::Way(w) => {
            if let Some((k, name)) = kind(&mut w.tags()) {
                ways.push((k, name, w.refs().collect()));
            }
        }
        Element::Relation(_) => {}
    })?;
    for (k, name, refs) in ways {
        let pts: Vec<(f64, f64)> = refs.iter().filter_map(|r| coords.get(r)).copied().collect();
        if !pts.is_empty() {
            let n = pts.len() as f64;
            let lat = pts.iter().map(|p| p.0).sum::<f64>() / n;
            let lon = pts.iter().map(|p| p.1).sum::<f64>() / n;
            out.push((k, name, lat, lon));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    for (k, name, lat, lon) in out {
        println!("{k}\t{name}\t{lat:.6}\t{lon:.6}");
    }
    Ok(())
}
