//! Routing behaviour on small road maps drawn as ASCII art, through the real car profile.
//!
//! Upper-case letters are junctions; a run of one lower-case letter between two junctions, across
//! or down, is a way whose tags the legend gives. A way runs left to right or top to bottom (so
//! `oneway=yes` there means east- or southbound, `oneway=-1` west- or northbound). One character
//! is 10 metres.

use std::collections::HashMap;

use corridor_core::LatLon;
use corridor_roads::{
    CchRouter, ImportReport, OsmData, OsmWay, Place, Restriction, RoadNetwork, TravelTimes,
    build_network, restricted_weights,
};

const CELL_M: f64 = 10.0;

struct Map {
    net: RoadNetwork,
    report: ImportReport,
    /// Junction letter → network node.
    node: HashMap<char, u32>,
}

fn parse(art: &str, legend: &[(char, &str)]) -> Map {
    let rows: Vec<Vec<char>> = art.lines().map(|l| l.chars().collect()).collect();
    let at = |r: usize, c: usize| {
        rows.get(r)
            .and_then(|row| row.get(c))
            .copied()
            .unwrap_or(' ')
    };
    let mut data = OsmData::default();
    let mut osm_id = HashMap::new();
    for (r, row) in rows.iter().enumerate() {
        for (c, &ch) in row.iter().enumerate() {
            if ch.is_ascii_uppercase() {
                let id = osm_id.len() as i64 + 1;
                osm_id.insert(ch, id);
                // 53.5° N; 10 m of latitude ≈ 0.0000899°; longitude scaled by cos(53.5°).
                let lat = 53.5 - r as f64 * CELL_M / 111_195.0;
                let lon = 13.0 + c as f64 * CELL_M / (111_195.0 * 53.5f64.to_radians().cos());
                data.nodes.insert(id, LatLon { lat, lon });
            }
        }
    }
    let tags = |code: char| -> Vec<(String, String)> {
        let (_, t) = legend
            .iter()
            .find(|(c, _)| *c == code)
            .expect("every way letter is in the legend");
        t.split_whitespace()
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("legend tags are key=value");
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    for (r, row) in rows.iter().enumerate() {
        for (c, &ch) in row.iter().enumerate() {
            if !ch.is_ascii_uppercase() {
                continue;
            }
            // Across, then down.
            for (dr, dc) in [(0, 1), (1, 0)] {
                let (mut rr, mut cc) = (r + dr, c + dc);
                let code = at(rr, cc);
                if !code.is_ascii_lowercase() {
                    continue;
                }
                while at(rr, cc) == code {
                    rr += dr;
                    cc += dc;
                }
                let end = at(rr, cc);
                assert!(
                    end.is_ascii_uppercase(),
                    "way `{code}` from {ch} ends in a junction"
                );
                data.ways.push(OsmWay {
                    id: data.ways.len() as i64 + 100,
                    tags: tags(code),
                    refs: vec![osm_id[&ch], osm_id[&end]],
                });
            }
        }
    }
    let (net, report) = build_network(&data, "the map", &mut ()).expect("the map builds");
    let mut node = HashMap::new();
    for (ch, id) in &osm_id {
        let p = data.nodes[id];
        if let Some(v) = (0..net.node_count() as u32).find(|&v| net.position(v) == p) {
            node.insert(*ch, v);
        }
    }
    Map { net, report, node }
}

impl Map {
    /// Seconds from one junction to another, rounded; `None` when unreachable.
    fn secs(&self, router: &CchRouter, a: char, b: char) -> Option<f64> {
        let m = router.matrix(&[self.node[&a]], &[self.node[&b]]);
        m[0].map(|t| f64::from(t) / 10.0)
    }
}

/// 100 m at 30 km/h (residential) is 12.0 s.
const BLOCK_30: f64 = 12.0;

#[test]
fn one_way_street_forces_a_detour() {
    let map = parse(
        "AoooooooooB\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         CrrrrrrrrrD",
        &[
            ('o', "highway=residential oneway=yes"),
            ('r', "highway=residential"),
        ],
    );
    let router = CchRouter::new(&map.net);
    // A→B along the one-way top street: 100 m.
    let top = BLOCK_30;
    let close = |x: Option<f64>, want: f64| x.is_some_and(|x| (x - want).abs() < 0.3);
    assert!(
        close(map.secs(&router, 'A', 'B'), top),
        "{:?}",
        map.secs(&router, 'A', 'B')
    );
    // B→A must go round: down 100 m, across 100 m, up 100 m.
    assert!(
        close(map.secs(&router, 'B', 'A'), 3.0 * top),
        "{:?}",
        map.secs(&router, 'B', 'A')
    );
}

#[test]
fn oneway_minus_one_runs_against_the_drawing() {
    let map = parse(
        "AxxxxxxxxxB\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         CrrrrrrrrrD",
        &[
            ('x', "highway=residential oneway=-1"),
            ('r', "highway=residential"),
        ],
    );
    let router = CchRouter::new(&map.net);
    let b_to_a = map.secs(&router, 'B', 'A').expect("reachable");
    let a_to_b = map.secs(&router, 'A', 'B').expect("reachable");
    assert!((b_to_a - BLOCK_30).abs() < 0.3, "{b_to_a}");
    assert!((a_to_b - 3.0 * BLOCK_30).abs() < 0.5, "{a_to_b}");
}

#[test]
fn roundabout_is_driven_one_way_only() {
    // Every `j` way is tagged junction=roundabout and no oneway: the profile makes each one-way in
    // its drawn direction (east or south). B→D is on the ring; D→B cannot go back against it and
    // must leave by the two-way streets D-F-E-B. A (only ever left) and C (only ever reached from A)
    // cannot be both reached and left, so the largest strongly connected component drops them.
    let map = parse(
        "AjjjjjjjjjBeeeeeeeeeE\n\
         j         j         s\n\
         j         j         s\n\
         j         j         s\n\
         j         j         s\n\
         j         j         s\n\
         j         j         s\n\
         j         j         s\n\
         j         j         s\n\
         j         j         s\n\
         CjjjjjjjjjDsssssssssF",
        &[
            ('j', "highway=primary junction=roundabout"),
            ('e', "highway=residential"),
            ('s', "highway=residential"),
        ],
    );
    let router = CchRouter::new(&map.net);
    // 100 m at 65 km/h (primary) ≈ 5.54 s.
    let ring = 10.0 * CELL_M / (65.0 / 3.6);
    let b_to_d = map.secs(&router, 'B', 'D').expect("on the ring");
    assert!((b_to_d - ring).abs() < 0.2, "{b_to_d}");
    let d_to_b = map.secs(&router, 'D', 'B').expect("round the outside");
    assert!((d_to_b - 3.0 * BLOCK_30).abs() < 0.5, "{d_to_b}");
    assert!(!map.node.contains_key(&'A') && !map.node.contains_key(&'C'));
    assert_eq!(map.report.nodes_outside_component(), 2);
}

#[test]
fn access_restricted_road_is_not_used() {
    let map = parse(
        "ApppppppppB\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         CrrrrrrrrrD",
        &[
            ('p', "highway=service access=private"),
            ('r', "highway=residential"),
        ],
    );
    let router = CchRouter::new(&map.net);
    let secs = map
        .secs(&router, 'A', 'B')
        .expect("reachable round the private road");
    assert!((secs - 3.0 * BLOCK_30).abs() < 0.5, "{secs}");
    assert_eq!(
        map.report
            .ways_dropped
            .get("closed to cars by access=private"),
        Some(&1)
    );
}

#[test]
fn closure_and_slowdown_reweight_the_map() {
    let map = parse(
        "ArrrrrrrrrB\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         r         r\n\
         CbbbbbbbbbD",
        &[
            ('r', "highway=residential"),
            ('b', "highway=residential name=Bridge_Street"),
        ],
    );
    let mut router = CchRouter::new(&map.net);
    assert!((map.secs(&router, 'C', 'D').expect("open") - BLOCK_30).abs() < 0.3);
    // Drawn as the four streets between the four junctions, each a straight line of two points.
    let drawn = map.net.drawing(5.0);
    assert_eq!(drawn.len(), 4);
    assert!(drawn.iter().all(|r| r.points.len() == 2 && !r.one_way));
    assert_eq!(
        drawn
            .iter()
            .filter(|r| r.name.as_deref() == Some("Bridge_Street"))
            .count(),
        1
    );
    let (w, touched) = restricted_weights(
        &map.net,
        &[Restriction::Closed(Place::Street("Bridge_Street".into()))],
    );
    assert_eq!(touched, vec![2], "both directions of the one bridge way");
    router.reweight(w);
    let detour = map.secs(&router, 'C', 'D').expect("round the top");
    assert!((detour - 3.0 * BLOCK_30).abs() < 0.5, "{detour}");

    let (w, _) = restricted_weights(
        &map.net,
        &[Restriction::Slower {
            place: Place::Street("Bridge_Street".into()),
            factor: 2.0,
        }],
    );
    router.reweight(w);
    let slow = map.secs(&router, 'C', 'D').expect("open, slower");
    assert!((slow - 2.0 * BLOCK_30).abs() < 0.3, "{slow}");
}
