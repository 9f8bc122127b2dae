//! The contraction order: the slow, metric-independent part of preparing a network.
//!
//! Inertial-flow nested dissection (`cch::inertial_order`) decides how much fill-in the hierarchy
//! gets, hence how fast it is to build, customise and query, so it is kept. Two things around it
//! make it cheaper on any network:
//!
//! - Each road is handed to it once. The crate symmetrises its input without removing repeats, so
//!   a two-way road given as its two arcs became four arcs in every max-flow cut, doubling the
//!   work (and counting a two-way road twice against a one-way one, which is meaningless for a
//!   node separator: the hierarchy is symmetric anyway).
//! - It runs on one thread. A large network is first cut in two by the best of four straight
//!   lines, and both halves are ordered at the same time; the nodes on the cut are contracted
//!   last, which is what nested dissection does with its own top separator.

use crate::network::NodeId;

/// Networks with fewer nodes are ordered in one piece: they take well under a second, and the
/// straight cut is a little worse than the one inertial flow would find.
pub(crate) const SPLIT_MIN_NODES: usize = 100_000;

/// Which part of a split a node belongs to.
const SEPARATOR: u8 = 2;

/// The contraction order of a network (position → node) from its arcs (`tail[i] → head[i]`) and
/// node coordinates (degrees). Deterministic: it does not depend on the number of threads.
pub(crate) fn contraction_order(
    tail: &[NodeId],
    head: &[NodeId],
    lat: &[f32],
    lon: &[f32],
    split_min_nodes: usize,
) -> Vec<NodeId> {
    let node_count = lat.len();
    let edges = undirected_edges(tail, head);
    if node_count < split_min_nodes.max(2) {
        let all: Vec<NodeId> = (0..node_count as NodeId).collect();
        return order_induced(&all, &edges, &vec![0; node_count], &all, lat, lon);
    }
    let part = split(&edges, lat, lon);
    // Each node's id within its own part.
    let mut members: [Vec<NodeId>; 3] = Default::default();
    let mut local = Vec::with_capacity(node_count);
    for (v, &p) in part.iter().enumerate() {
        local.push(members[p as usize].len() as NodeId);
        members[p as usize].push(v as NodeId);
    }
    let [first, second, separator] = &members;
    let (first, second) = rayon::join(
        || order_induced(first, &edges, &part, &local, lat, lon),
        || order_induced(second, &edges, &part, &local, lat, lon),
    );
    let top = order_induced(separator, &edges, &part, &local, lat, lon);
    [first, second, top].concat()
}

/// Each road once, as (lower node, higher node): no self-loops, no repeats.
fn undirected_edges(tail: &[NodeId], head: &[NodeId]) -> Vec<(NodeId, NodeId)> {
    use rayon::slice::ParallelSliceMut;
    let mut edges: Vec<(NodeId, NodeId)> = tail
        .iter()
        .zip(head)
        .filter(|(t, h)| t != h)
        .map(|(&t, &h)| (t.min(h), t.max(h)))
        .collect();
    edges.par_sort_unstable();
    edges.dedup();
    edges
}

/// Inertial-flow order of the subgraph induced by `nodes` (one whole part of `part`; `local`
/// gives each node's index within its part), as global node ids.
fn order_induced(
    nodes: &[NodeId],
    edges: &[(NodeId, NodeId)],
    part: &[u8],
    local: &[NodeId],
    lat: &[f32],
    lon: &[f32],
) -> Vec<NodeId> {
    let Some(&any) = nodes.first() else {
        return Vec::new();
    };
    let which = part[any as usize];
    let (mut tail, mut head) = (Vec::new(), Vec::new());
    for &(a, b) in edges {
        if part[a as usize] == which && part[b as usize] == which {
            tail.push(local[a as usize]);
            head.push(local[b as usize]);
        }
    }
    let sub_lat: Vec<f32> = nodes.iter().map(|&v| lat[v as usize]).collect();
    let sub_lon: Vec<f32> = nodes.iter().map(|&v| lon[v as usize]).collect();
    cch::inertial_order(nodes.len() as u32, &tail, &head, &sub_lat, &sub_lon)
        .into_iter()
        .map(|i| nodes[i as usize])
        .collect()
}

/// Splits the nodes into two halves and a separator: no road joins the halves directly.
///
/// For each of the four directions inertial flow also tries (north-south, east-west and the two
/// diagonals), the nodes are halved at the median, and the smaller of the two boundaries (nodes
/// with a road to the other half) is the candidate separator; the smallest candidate wins.
fn split(edges: &[(NodeId, NodeId)], lat: &[f32], lon: &[f32]) -> Vec<u8> {
    let n = lat.len();
    let keys: [&dyn Fn(usize) -> f32; 4] = [&|v| lat[v], &|v| lon[v], &|v| lat[v] + lon[v], &|v| {
        lat[v] - lon[v]
    }];
    let mut best: Option<(usize, Vec<u8>)> = None;
    for key in keys {
        // Halves by (key, node id), so ties and equal positions still split exactly.
        let mut ids: Vec<NodeId> = (0..n as NodeId).collect();
        ids.select_nth_unstable_by(n / 2, |&a, &b| {
            key(a as usize).total_cmp(&key(b as usize)).then(a.cmp(&b))
        });
        let mut part = vec![0u8; n];
        for &v in &ids[n / 2..] {
            part[v as usize] = 1;
        }
        let mut boundary = [vec![false; n], vec![false; n]];
        let mut size = [0usize; 2];
        for &(a, b) in edges {
            let (pa, pb) = (part[a as usize], part[b as usize]);
            if pa != pb {
                for (v, p) in [(a, pa), (b, pb)] {
                    let seen = &mut boundary[p as usize][v as usize];
                    size[p as usize] += usize::from(!*seen);
                    *seen = true;
                }
            }
        }
        let side = usize::from(size[1] < size[0]);
        if best.as_ref().is_none_or(|(s, _)| size[side] < *s) {
            for (v, &on) in boundary[side].iter().enumerate() {
                if on {
                    part[v] = SEPARATOR;
                }
            }
            best = Some((size[side], part));
        }
    }
    best.map(|(_, part)| part).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `side` × `side` grid with both arcs of every road, coordinates row and column.
    fn grid(side: u32) -> (Vec<NodeId>, Vec<NodeId>, Vec<f32>, Vec<f32>) {
        let (mut tail, mut head, mut lat, mut lon) = (vec![], vec![], vec![], vec![]);
        for r in 0..side {
            for c in 0..side {
                lat.push(r as f32);
                lon.push(c as f32);
                let v = r * side + c;
                for w in [
                    (c + 1 < side).then_some(v + 1),
                    (r + 1 < side).then_some(v + side),
                ]
                .into_iter()
                .flatten()
                {
                    tail.extend([v, w]);
                    head.extend([w, v]);
                }
            }
        }
        (tail, head, lat, lon)
    }

    fn is_permutation(order: &[NodeId], n: usize) -> bool {
        let mut seen = vec![false; n];
        order.len() == n
            && order
                .iter()
                .all(|&v| (v as usize) < n && !std::mem::replace(&mut seen[v as usize], true))
    }

    #[test]
    fn roads_are_given_once() {
        let edges = undirected_edges(&[0, 1, 1, 2, 2, 3, 0], &[1, 0, 1, 3, 3, 2, 1]);
        assert_eq!(edges, vec![(0, 1), (2, 3)]);
    }

    #[test]
    fn split_cuts_a_grid_along_one_line_with_no_road_across() {
        let (tail, head, lat, lon) = grid(10);
        let edges = undirected_edges(&tail, &head);
        let part = split(&edges, &lat, &lon);
        // The cheapest straight cut of a 10 × 10 grid is one row or column: 10 nodes.
        assert_eq!(part.iter().filter(|&&p| p == SEPARATOR).count(), 10);
        assert!(part.iter().filter(|&&p| p == 0).count() >= 40);
        assert!(part.iter().filter(|&&p| p == 1).count() >= 40);
        for &(a, b) in &edges {
            let (pa, pb) = (part[a as usize], part[b as usize]);
            assert!(pa == pb || pa == SEPARATOR || pb == SEPARATOR, "{a}-{b}");
        }
    }

    #[test]
    fn split_order_is_a_permutation_with_the_separator_last() {
        let (tail, head, lat, lon) = grid(12);
        let order = contraction_order(&tail, &head, &lat, &lon, 2);
        assert!(is_permutation(&order, 144));
        let part = split(&undirected_edges(&tail, &head), &lat, &lon);
        let separator = part.iter().filter(|&&p| p == SEPARATOR).count();
        assert!(
            order[144 - separator..]
                .iter()
                .all(|&v| part[v as usize] == SEPARATOR)
        );
        // Whole and split orders are both permutations; small networks are not split.
        let whole = contraction_order(&tail, &head, &lat, &lon, SPLIT_MIN_NODES);
        assert!(is_permutation(&whole, 144));
        assert_ne!(whole, order);
    }

    #[test]
    fn hierarchy_on_a_split_order_matches_dijkstra() {
        use crate::{ArcSpec, CchRouter, NO_NAME, RoadNetwork, TravelTimes};
        use corridor_core::LatLon;
        let side = 15;
        let (tail, head, lat, lon) = grid(side);
        let positions: Vec<LatLon> = lat
            .iter()
            .zip(&lon)
            .map(|(&r, &c)| LatLon {
                lat: 53.0 + f64::from(r) * 0.0009,
                lon: 13.0 + f64::from(c) * 0.0015,
            })
            .collect();
        // Uneven times (one direction slower) so that a wrong shortcut would show.
        let arcs = tail
            .iter()
            .zip(&head)
            .map(|(&from, &to)| ArcSpec {
                from,
                to,
                tenths: 50 + (from * 7 + to * 13) % 90,
                length_m: 100.0,
                way: 0,
                name: NO_NAME,
            })
            .collect();
        let mut net = RoadNetwork::new(&positions, arcs, Vec::new()).expect("a valid grid");
        net.order = contraction_order(&tail, &head, &lat, &lon, 2);
        let router = CchRouter::new(&net);
        let all: Vec<NodeId> = (0..side * side).collect();
        assert_eq!(
            router.matrix(&all, &all),
            router.dijkstra_matrix(&all, &all)
        );
    }
}
