//! Roads from OpenStreetMap: import with a car profile that is data, a prepared network file that
//! loads in milliseconds, travel-time matrices by customizable contraction hierarchies (closures
//! and slowdowns re-weight without re-contraction), and snapping of places to the nearest road.
//!
//! ```
//! use corridor_core::LatLon;
//! use corridor_roads::{ArcSpec, CchRouter, NO_NAME, RoadNetwork, TravelTimes};
//! // Two nodes 100 m apart, a two-way road at 10 m/s: 10 s = 100 tenths each way.
//! let p = [LatLon { lat: 53.0, lon: 13.0 }, LatLon { lat: 53.0009, lon: 13.0 }];
//! let arc = |from, to| ArcSpec { from, to, tenths: 100, length_m: 100.0, way: 1, name: NO_NAME };
//! let net = RoadNetwork::new(&p, vec![arc(0, 1), arc(1, 0)], vec![]).unwrap();
//! let router = CchRouter::new(&net);
//! assert_eq!(router.matrix(&[0, 1], &[0, 1]), vec![Some(0), Some(100), Some(100), Some(0)]);
//! ```

mod draw;
mod file;
mod import;
mod network;
mod order;
mod profile;
mod restrict;
mod router;
mod snap;

pub use draw::DrawnRoad;
pub use file::{
    FileError, MAGIC, VERSION, from_bytes, is_prepared_network, read_network, to_bytes,
    write_network,
};
pub use import::{
    ImportError, ImportReport, OsmData, OsmWay, Progress, build_network, import_pbf, read_pbf,
};
pub use network::{
    ArcSpec, BuildError, MAX_ARC_TENTHS, NO_NAME, NodeId, RoadNetwork, TENTHS_PER_SECOND,
    largest_strong_component,
};
pub use profile::{
    ACCESS_KEYS, Direction, Dropped, HIGHWAY_SPEEDS_KMH, IMPLIED_ONEWAY_HIGHWAYS,
    IMPLIED_ONEWAY_JUNCTIONS, MAXSPEED_ZONES_KMH, NO_ACCESS_VALUES, UnreadableMaxspeed, WayRule,
    car_rule, parse_maxspeed,
};
pub use restrict::{Place, Restriction, restricted_weights};
pub use router::{CLOSED, CchRouter, Tenths, TravelTimes, dijkstra};
pub use snap::{FAR_SNAP_M, Snap, Snapper};
