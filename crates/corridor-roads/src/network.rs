//! The prepared road network: nodes with positions, directed arcs with base travel times, and the
//! contraction order that lets every later load skip the expensive part of preparation.

use corridor_core::{LatLon, great_circle_km};

/// Index of a node of a [`RoadNetwork`].
pub type NodeId = u32;

/// Travel times are kept in tenths of a second: fine enough that rounding each arc does not add up
/// along a route, coarse enough that a 30-day leg fits the router's 31-bit range.
pub const TENTHS_PER_SECOND: u32 = 10;

/// Longest time one arc may take, in tenths of a second (one day): anything longer is bad data.
pub const MAX_ARC_TENTHS: u32 = 86_400 * TENTHS_PER_SECOND;

/// One directed road arc before the network is built.
#[derive(Clone, Debug, PartialEq)]
pub struct ArcSpec {
    /// Tail node.
    pub from: NodeId,
    /// Head node.
    pub to: NodeId,
    /// Travel time at the profile's speed, tenths of a second.
    pub tenths: u32,
    /// Length in metres.
    pub length_m: f32,
    /// OpenStreetMap way id (0 when the arc comes from no way).
    pub way: i64,
    /// Index into the network's street names, or [`NO_NAME`].
    pub name: u32,
}

/// The name index of an arc without a street name.
pub const NO_NAME: u32 = u32::MAX;

/// A directed road network in compressed-sparse-row form, ready for the router.
///
/// Invariants (checked by [`RoadNetwork::new`] and by the file reader): `first_out` has
/// `node_count + 1` non-decreasing entries ending at the arc count; every head is a node; every
/// name index is [`NO_NAME`] or in range; `order` is a permutation of the nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadNetwork {
    pub(crate) lat: Vec<f64>,
    pub(crate) lon: Vec<f64>,
    pub(crate) first_out: Vec<u32>,
    pub(crate) head: Vec<u32>,
    pub(crate) tenths: Vec<u32>,
    pub(crate) length_m: Vec<f32>,
    pub(crate) way: Vec<i64>,
    pub(crate) name: Vec<u32>,
    pub(crate) names: Vec<String>,
    pub(crate) order: Vec<u32>,
}

/// Why a network could not be built from parts.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BuildError {
    /// An arc names a node that does not exist.
    #[error("arc {arc} names node {node}, but the network has {nodes} nodes")]
    NodeOutOfRange {
        /// The arc's position in the input.
        arc: usize,
        /// The node it names.
        node: u32,
        /// Number of nodes.
        nodes: usize,
    },
    /// An arc's travel time is longer than [`MAX_ARC_TENTHS`].
    #[error("arc {arc} takes {tenths} tenths of a second; at most {MAX_ARC_TENTHS} are allowed")]
    TooLong {
        /// The arc's position in the input.
        arc: usize,
        /// Its travel time.
        tenths: u32,
    },
    /// An arc names a street that does not exist.
    #[error("arc {arc} names street {name}, but there are {names} street names")]
    NameOutOfRange {
        /// The arc's position in the input.
        arc: usize,
        /// The name index.
        name: u32,
        /// Number of names.
        names: usize,
    },
    /// More nodes or arcs than the router's 32-bit ids can hold.
    #[error("the network is too large: {0} nodes or arcs (at most 2^31)")]
    TooLarge(usize),
}

impl RoadNetwork {
    /// Builds a network from node positions and arcs, and computes its contraction order
    /// (inertial-flow nested dissection, see `order.rs`: the slow, metric-independent part of
    /// preparation).
    pub fn new(
        positions: &[LatLon],
        mut arcs: Vec<ArcSpec>,
        names: Vec<String>,
    ) -> Result<RoadNetwork, BuildError> {
        let n = positions.len();
        if n >= (1 << 31) || arcs.len() >= (1 << 31) {
            return Err(BuildError::TooLarge(n.max(arcs.len())));
        }
        for (i, a) in arcs.iter().enumerate() {
            for node in [a.from, a.to] {
                if node as usize >= n {
                    return Err(BuildError::NodeOutOfRange {
                        arc: i,
                        node,
                        nodes: n,
                    });
                }
            }
            if a.tenths > MAX_ARC_TENTHS {
                return Err(BuildError::TooLong {
                    arc: i,
                    tenths: a.tenths,
                });
            }
            if a.name != NO_NAME && a.name as usize >= names.len() {
                return Err(BuildError::NameOutOfRange {
                    arc: i,
                    name: a.name,
                    names: names.len(),
                });
            }
        }
        arcs.sort_by_key(|a| (a.from, a.to));
        let mut first_out = vec![0u32; n + 1];
        for a in &arcs {
            first_out[a.from as usize + 1] += 1;
        }
        for i in 0..n {
            first_out[i + 1] += first_out[i];
        }
        let lat: Vec<f64> = positions.iter().map(|p| p.lat).collect();
        let lon: Vec<f64> = positions.iter().map(|p| p.lon).collect();
        let tail: Vec<u32> = arcs.iter().map(|a| a.from).collect();
        let head: Vec<u32> = arcs.iter().map(|a| a.to).collect();
        let lat32: Vec<f32> = lat.iter().map(|&x| x as f32).collect();
        let lon32: Vec<f32> = lon.iter().map(|&x| x as f32).collect();
        let order = crate::order::contraction_order(
            &tail,
            &head,
            &lat32,
            &lon32,
            crate::order::SPLIT_MIN_NODES,
        );
        Ok(RoadNetwork {
            lat,
            lon,
            first_out,
            head,
            tenths: arcs.iter().map(|a| a.tenths).collect(),
            length_m: arcs.iter().map(|a| a.length_m).collect(),
            way: arcs.iter().map(|a| a.way).collect(),
            name: arcs.iter().map(|a| a.name).collect(),
            names,
            order,
        })
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.lat.len()
    }

    /// Number of directed arcs.
    pub fn arc_count(&self) -> usize {
        self.head.len()
    }

    /// Position of a node.
    pub fn position(&self, node: NodeId) -> LatLon {
        LatLon {
            lat: self.lat[node as usize],
            lon: self.lon[node as usize],
        }
    }

    /// The arcs leaving `node`, as arc indices.
    pub fn arcs_from(&self, node: NodeId) -> std::ops::Range<usize> {
        self.first_out[node as usize] as usize..self.first_out[node as usize + 1] as usize
    }

    /// Head node of an arc.
    pub fn arc_head(&self, arc: usize) -> NodeId {
        self.head[arc]
    }

    /// Tail node of every arc, in arc order.
    pub fn arc_tails(&self) -> Vec<NodeId> {
        let mut tails = Vec::with_capacity(self.arc_count());
        for v in 0..self.node_count() {
            tails.extend(std::iter::repeat_n(
                v as u32,
                self.arcs_from(v as u32).len(),
            ));
        }
        tails
    }

    /// Base travel time of each arc (tenths of a second), in arc order.
    pub fn base_tenths(&self) -> &[u32] {
        &self.tenths
    }

    /// Length of an arc in metres.
    pub fn arc_length_m(&self, arc: usize) -> f32 {
        self.length_m[arc]
    }

    /// OpenStreetMap way id of an arc (0 when none).
    pub fn arc_way(&self, arc: usize) -> i64 {
        self.way[arc]
    }

    /// Street name of an arc, if it has one.
    pub fn arc_name(&self, arc: usize) -> Option<&str> {
        self.names.get(self.name[arc] as usize).map(String::as_str)
    }

    /// All street names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The arc from `a` to `b` with the least base time, if any.
    pub fn arc_between(&self, a: NodeId, b: NodeId) -> Option<usize> {
        self.arcs_from(a)
            .filter(|&i| self.head[i] == b)
            .min_by_key(|&i| self.tenths[i])
    }

    /// Length of the straight line between two nodes, metres.
    pub fn distance_m(&self, a: NodeId, b: NodeId) -> f64 {
        great_circle_km(self.position(a), self.position(b)) * 1000.0
    }

    pub(crate) fn csr(&self, weights: Vec<u32>) -> cch::graph::Graph {
        cch::graph::Graph {
            first_out: self.first_out.clone(),
            head: self.head.clone(),
            weight: weights,
        }
    }
}

/// For each node, whether it lies in the largest strongly connected component of the arcs.
///
/// A car dropped in a smaller component could not get out again (or in), so routing there would
/// give "unreachable" for most pairs; Kosaraju's two depth-first passes, iterative so that long
/// roads do not overflow the stack.
pub fn largest_strong_component(node_count: usize, arcs: &[(u32, u32)]) -> Vec<bool> {
    let csr = |rev: bool| {
        let mut first = vec![0usize; node_count + 1];
        for &(a, b) in arcs {
            first[if rev { b } else { a } as usize + 1] += 1;
        }
        for i in 0..node_count {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut adj = vec![0u32; arcs.len()];
        for &(a, b) in arcs {
            let (t, h) = if rev { (b, a) } else { (a, b) };
            adj[fill[t as usize]] = h;
            fill[t as usize] += 1;
        }
        (first, adj)
    };
    let (f_first, f_adj) = csr(false);
    let (r_first, r_adj) = csr(true);
    // Pass 1: finishing order on the forward graph.
    let mut seen = vec![false; node_count];
    let mut finished = Vec::with_capacity(node_count);
    let mut stack: Vec<(u32, usize)> = Vec::new();
    for s in 0..node_count {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        stack.push((s as u32, f_first[s]));
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if *next < f_first[v as usize + 1] {
                let w = f_adj[*next];
                *next += 1;
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    stack.push((w, f_first[w as usize]));
                }
            } else {
                finished.push(v);
                stack.pop();
            }
        }
    }
    // Pass 2: components on the reverse graph in reverse finishing order.
    let mut comp = vec![u32::MAX; node_count];
    let mut sizes: Vec<usize> = Vec::new();
    let mut todo = Vec::new();
    for &s in finished.iter().rev() {
        if comp[s as usize] != u32::MAX {
            continue;
        }
        let c = sizes.len() as u32;
        sizes.push(0);
        comp[s as usize] = c;
        todo.push(s);
        while let Some(v) = todo.pop() {
            sizes[c as usize] += 1;
            for &w in &r_adj[r_first[v as usize]..r_first[v as usize + 1]] {
                if comp[w as usize] == u32::MAX {
                    comp[w as usize] = c;
                    todo.push(w);
                }
            }
        }
    }
    // Ties go to the lowest component number, so the choice does not depend on anything but input.
    let best = sizes
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i as u32);
    comp.iter().map(|&c| Some(c) == best).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_component_excludes_one_way_dead_ends() {
        // 0 <-> 1 <-> 2 is strongly connected; 2 -> 3 only (a one-way out); 4 <-> 5 smaller.
        let arcs = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (4, 5), (5, 4)];
        assert_eq!(
            largest_strong_component(6, &arcs),
            vec![true, true, true, false, false, false]
        );
    }
}
