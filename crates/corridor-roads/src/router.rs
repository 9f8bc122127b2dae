//! Travel times on a road network: Corridor's own [`TravelTimes`] trait, its customizable
//! contraction hierarchy implementation, and a plain Dijkstra kept as the reference.
//!
//! The `cch` crate is young and has one author, so nothing outside this module names it: a swap
//! of router stays local. The hierarchy's structure depends only on the network and its order;
//! the weights (closures, slowdowns) are applied by re-customising in milliseconds.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::network::{NodeId, RoadNetwork};

/// Travel time in tenths of a second, or `None` when unreachable.
pub type Tenths = Option<u32>;

/// What the rest of Corridor asks of a road router.
pub trait TravelTimes: Sync {
    /// Number of nodes of the network routed on.
    fn node_count(&self) -> usize;
    /// Row-major `sources × targets` travel times (tenths of a second, `None` when unreachable).
    fn matrix(&self, sources: &[NodeId], targets: &[NodeId]) -> Vec<Tenths>;
    /// The nodes of a quickest route, both ends included; `None` when unreachable.
    fn path(&self, from: NodeId, to: NodeId) -> Option<Vec<NodeId>>;
}

/// A travel time the router treats as "this arc cannot be used" (a closure).
pub const CLOSED: u32 = cch::INF_WEIGHT;

/// Rows computed per parallel task: enough to amortise pinning the targets, few enough to balance.
const ROWS_PER_TASK: usize = 32;

/// Customizable contraction hierarchy over a [`RoadNetwork`].
pub struct CchRouter {
    cch: cch::Cch,
    metric: cch::Metric,
    weights: Vec<u32>,
    first_out: Vec<u32>,
    head: Vec<u32>,
}

impl CchRouter {
    /// Builds the hierarchy from the network's stored order and customises it with the base times.
    pub fn new(net: &RoadNetwork) -> CchRouter {
        let graph = net.csr(net.base_tenths().to_vec());
        let cch = cch::Cch::build(&graph, &net.order);
        let metric = cch.customize(&graph.weight);
        CchRouter {
            cch,
            metric,
            weights: graph.weight,
            first_out: graph.first_out,
            head: graph.head,
        }
    }

    /// Replaces every arc's travel time (tenths of a second; [`CLOSED`] for a closed arc) and
    /// re-customises the hierarchy. No re-contraction: the structure is kept.
    ///
    /// # Panics
    /// If `weights` does not have one entry per arc (a programming error, not input).
    pub fn reweight(&mut self, weights: Vec<u32>) {
        assert_eq!(weights.len(), self.weights.len(), "one weight per arc");
        let weights: Vec<u32> = weights.into_iter().map(|w| w.min(CLOSED)).collect();
        let customizer = self.cch.customizer();
        customizer.customize_into(&weights, &mut self.metric);
        self.weights = weights;
    }

    /// The travel time of each arc in use (tenths of a second; [`CLOSED`] when closed).
    pub fn weights(&self) -> &[u32] {
        &self.weights
    }

    /// The same distances by a plain Dijkstra per source on the current weights: the reference the
    /// hierarchy is tested and benchmarked against.
    pub fn dijkstra_matrix(&self, sources: &[NodeId], targets: &[NodeId]) -> Vec<Tenths> {
        let rows: Vec<Vec<Tenths>> = sources
            .par_iter()
            .map(|&s| {
                let d = dijkstra(&self.first_out, &self.head, &self.weights, s);
                targets.iter().map(|&t| d[t as usize]).collect()
            })
            .collect();
        rows.concat()
    }
}

impl TravelTimes for CchRouter {
    fn node_count(&self) -> usize {
        self.first_out.len() - 1
    }

    fn matrix(&self, sources: &[NodeId], targets: &[NodeId]) -> Vec<Tenths> {
        if sources.is_empty() || targets.is_empty() {
            return Vec::new();
        }
        let view = self.cch.view();
        let metric = self.metric.view();
        // Chunks in order, collected by index: the result does not depend on the thread count.
        let chunks: Vec<Vec<Tenths>> = sources
            .par_chunks(ROWS_PER_TASK)
            .map(|chunk| {
                let mut q = cch::ElimTreeQuery::new(&view);
                q.pin_targets(targets);
                let mut row = vec![0u32; targets.len()];
                let mut out = Vec::with_capacity(chunk.len() * targets.len());
                for &s in chunk {
                    q.reset_source();
                    q.add_source_and_run(&metric, s);
                    q.get_distances_to_targets(&mut row);
                    out.extend(row.iter().map(|&d| (d < CLOSED).then_some(d)));
                }
                out
            })
            .collect();
        chunks.concat()
    }

    fn path(&self, from: NodeId, to: NodeId) -> Option<Vec<NodeId>> {
        cch::node_path(&self.cch.view(), &self.metric.view(), from, to)
    }
}

/// Plain Dijkstra from one source over a CSR graph; `None` where unreachable. Arcs weighing
/// [`CLOSED`] or more are not used.
pub fn dijkstra(first_out: &[u32], head: &[u32], weight: &[u32], source: NodeId) -> Vec<Tenths> {
    let n = first_out.len() - 1;
    let mut dist = vec![u64::MAX; n];
    let mut heap = BinaryHeap::new();
    dist[source as usize] = 0;
    heap.push(Reverse((0u64, source)));
    while let Some(Reverse((d, v))) = heap.pop() {
        if d > dist[v as usize] {
            continue;
        }
        for a in first_out[v as usize] as usize..first_out[v as usize + 1] as usize {
            if weight[a] >= CLOSED {
                continue;
            }
            let nd = d + u64::from(weight[a]);
            let w = head[a] as usize;
            if nd < dist[w] {
                dist[w] = nd;
                heap.push(Reverse((nd, head[a])));
            }
        }
    }
    dist.into_iter()
        .map(|d| (d < u64::from(CLOSED)).then_some(d as u32))
        .collect()
}
