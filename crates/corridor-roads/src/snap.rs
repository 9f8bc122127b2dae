//! Snapping places (sites) to the nearest road of the network, with an R-tree of road segments.

use corridor_core::LatLon;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

use crate::network::{NodeId, RoadNetwork};

/// A snap distance above which a site is reported with a warning: its road may be the wrong one.
pub const FAR_SNAP_M: f64 = 250.0;

/// Where a place was snapped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    /// The network node the place is routed from and to.
    pub node: NodeId,
    /// Distance from the place to the nearest road, metres.
    pub road_distance_m: f64,
    /// Distance from the place to the node used, metres.
    pub node_distance_m: f64,
}

impl Snap {
    /// Whether the snap is far enough from the place to warn about.
    pub fn is_far(&self) -> bool {
        self.road_distance_m > FAR_SNAP_M
    }
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A road segment in projected metres, with its two end nodes.
type Segment = GeomWithData<Line<[f64; 2]>, (NodeId, NodeId)>;

/// Nearest-road lookup. Coordinates are projected to metres around the network's centre
/// (equirectangular: exact enough at city and region scale, where snapping matters).
pub struct Snapper {
    tree: RTree<Segment>,
    lat0_cos: f64,
    lat0: f64,
    lon0: f64,
}

impl Snapper {
    /// Indexes every road segment of the network (each node pair once).
    pub fn new(net: &RoadNetwork) -> Snapper {
        let n = net.node_count().max(1);
        let lat0 = (0..net.node_count() as u32)
            .map(|v| net.position(v).lat)
            .sum::<f64>()
            / n as f64;
        let lon0 = (0..net.node_count() as u32)
            .map(|v| net.position(v).lon)
            .sum::<f64>()
            / n as f64;
        let mut s = Snapper {
            tree: RTree::new(),
            lat0_cos: lat0.to_radians().cos(),
            lat0,
            lon0,
        };
        let mut segs = Vec::new();
        for a in 0..net.node_count() as u32 {
            for arc in net.arcs_from(a) {
                let b = net.arc_head(arc);
                // Each undirected pair once; a one-way pair has only one arc and is kept as it is.
                if a < b || net.arc_between(b, a).is_none() {
                    let line = Line::new(s.project(net.position(a)), s.project(net.position(b)));
                    segs.push(GeomWithData::new(line, (a, b)));
                }
            }
        }
        s.tree = RTree::bulk_load(segs);
        s
    }

    fn project(&self, p: LatLon) -> [f64; 2] {
        [
            (p.lon - self.lon0).to_radians() * self.lat0_cos * EARTH_RADIUS_M,
            (p.lat - self.lat0).to_radians() * EARTH_RADIUS_M,
        ]
    }

    /// Snaps a place to the nearer end of the nearest road segment; `None` on an empty network.
    pub fn snap(&self, net: &RoadNetwork, place: LatLon) -> Option<Snap> {
        use rstar::PointDistance;
        let q = self.project(place);
        let seg = self.tree.nearest_neighbor(&q)?;
        let road_distance_m = seg.geom().distance_2(&q).sqrt();
        let (a, b) = seg.data;
        let da = self.project(net.position(a));
        let db = self.project(net.position(b));
        let d = |p: [f64; 2]| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
        let (node, node_distance_m) = if d(da) <= d(db) {
            (a, d(da))
        } else {
            (b, d(db))
        };
        Some(Snap {
            node,
            road_distance_m,
            node_distance_m,
        })
    }
}
