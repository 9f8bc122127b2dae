//! The network simplified for drawing: chains of road between junctions as polylines, with points
//! that change the drawing by less than a tolerance removed.

use std::collections::BTreeSet;

use corridor_core::LatLon;

use crate::network::{NodeId, RoadNetwork};

/// One drawn stretch of road between junctions (or dead ends).
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnRoad {
    /// Street name, if the road has one.
    pub name: Option<String>,
    /// OpenStreetMap way id of its first arc.
    pub way: i64,
    /// Whether a car may drive it only one way.
    pub one_way: bool,
    /// The points, in driving order for a one-way road.
    pub points: Vec<LatLon>,
}

impl RoadNetwork {
    /// The roads as polylines between junctions, simplified within `tolerance_m` metres
    /// (Ramer–Douglas–Peucker on each polyline); every junction is kept, so roads still meet.
    pub fn drawing(&self, tolerance_m: f64) -> Vec<DrawnRoad> {
        let n = self.node_count();
        // Undirected neighbours of each node.
        let mut nbrs: Vec<BTreeSet<NodeId>> = vec![BTreeSet::new(); n];
        for v in 0..n as u32 {
            for a in self.arcs_from(v) {
                let w = self.arc_head(a);
                nbrs[v as usize].insert(w);
                nbrs[w as usize].insert(v);
            }
        }
        let same_road = |a: NodeId, b: NodeId, c: NodeId| {
            // A node continues a chain when both its arcs belong to the same way.
            let way = |x: NodeId, y: NodeId| {
                self.arc_between(x, y)
                    .or_else(|| self.arc_between(y, x))
                    .map(|arc| self.arc_way(arc))
            };
            way(a, b) == way(b, c)
        };
        let is_junction = |v: NodeId| {
            let nb = &nbrs[v as usize];
            if nb.len() != 2 {
                return true;
            }
            let mut it = nb.iter();
            match (it.next(), it.next()) {
                (Some(&a), Some(&c)) => !same_road(a, v, c),
                _ => true,
            }
        };
        let junction: Vec<bool> = (0..n as u32).map(is_junction).collect();
        let mut done: BTreeSet<(NodeId, NodeId)> = BTreeSet::new();
        let mut out = Vec::new();
        let mut walk = |start: NodeId, next: NodeId, out: &mut Vec<DrawnRoad>| {
            if done.contains(&(start.min(next), start.max(next))) {
                return;
            }
            let mut chain = vec![start, next];
            done.insert((start.min(next), start.max(next)));
            let (mut prev, mut cur) = (start, next);
            while !junction[cur as usize] && cur != start {
                let Some(&nx) = nbrs[cur as usize].iter().find(|&&x| x != prev) else {
                    break;
                };
                done.insert((cur.min(nx), cur.max(nx)));
                chain.push(nx);
                prev = cur;
                cur = nx;
            }
            let forward = self.arc_between(chain[0], chain[1]);
            let backward = self.arc_between(chain[1], chain[0]);
            let one_way = forward.is_none() || backward.is_none();
            if forward.is_none() {
                chain.reverse();
            }
            let Some(arc) = forward.or(backward) else {
                return;
            };
            let points: Vec<LatLon> = chain.iter().map(|&v| self.position(v)).collect();
            out.push(DrawnRoad {
                name: self.arc_name(arc).map(str::to_string),
                way: self.arc_way(arc),
                one_way,
                points: simplify(&points, tolerance_m),
            });
        };
        for v in 0..n as u32 {
            if junction[v as usize] {
                for &w in &nbrs[v as usize] {
                    walk(v, w, &mut out);
                }
            }
        }
        // Rings without any junction.
        for v in 0..n as u32 {
            if let Some(&w) = nbrs[v as usize].iter().next() {
                walk(v, w, &mut out);
            }
        }
        out
    }
}

/// Ramer–Douglas–Peucker in a local metric projection; the ends are always kept.
fn simplify(points: &[LatLon], tolerance_m: f64) -> Vec<LatLon> {
    if points.len() <= 2 || tolerance_m <= 0.0 {
        return points.to_vec();
    }
    let k = points[0].lat.to_radians().cos();
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.lon * k * 111_195.0, p.lat * 111_195.0))
        .collect();
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (ax, ay) = xy[a];
        let (bx, by) = xy[b];
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let mut far = (0.0, a);
        for (i, &(px, py)) in xy.iter().enumerate().take(b).skip(a + 1) {
            let t = if len2 > 0.0 {
                (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let d = ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt();
            if d > far.0 {
                far = (d, i);
            }
        }
        if far.0 > tolerance_m {
            keep[far.1] = true;
            stack.push((a, far.1));
            stack.push((far.1, b));
        }
    }
    points
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| *p)
        .collect()
}
