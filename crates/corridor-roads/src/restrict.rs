//! Closures and slowdowns: scenario data that re-weights the network's arcs without touching its
//! structure, so the router re-customises instead of re-contracting.

use corridor_core::{LatLon, great_circle_km};

use crate::network::{MAX_ARC_TENTHS, RoadNetwork};
use crate::router::CLOSED;

/// Which arcs a restriction applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// Every arc of one OpenStreetMap way.
    Way(i64),
    /// Every arc of the streets with this name (or `ref`, e.g. `B 104`).
    Street(String),
    /// Every arc with an end within `radius_m` metres of `centre`.
    Area {
        /// Centre of the area.
        centre: LatLon,
        /// Radius in metres.
        radius_m: f64,
    },
}

/// A change to travel times.
#[derive(Clone, Debug, PartialEq)]
pub enum Restriction {
    /// The place cannot be driven through.
    Closed(Place),
    /// Driving through the place takes `factor` times as long (a checkpoint approach, damage).
    Slower {
        /// Where.
        place: Place,
        /// Time multiplier, at least 1.
        factor: f64,
    },
}

impl Place {
    fn contains(&self, net: &RoadNetwork, tail: u32, arc: usize) -> bool {
        match self {
            Place::Way(id) => net.arc_way(arc) == *id,
            Place::Street(name) => net.arc_name(arc) == Some(name.as_str()),
            Place::Area { centre, radius_m } => [tail, net.arc_head(arc)]
                .iter()
                .any(|&v| great_circle_km(*centre, net.position(v)) * 1000.0 <= *radius_m),
        }
    }
}

/// Arc weights (tenths of a second; [`CLOSED`] when closed) with the restrictions applied to the
/// base times, and for each restriction the number of arcs it touched (0 usually means a typo).
pub fn restricted_weights(
    net: &RoadNetwork,
    restrictions: &[Restriction],
) -> (Vec<u32>, Vec<usize>) {
    let mut w = net.base_tenths().to_vec();
    let tails = net.arc_tails();
    let mut touched = vec![0usize; restrictions.len()];
    for (r, t) in restrictions.iter().zip(&mut touched) {
        let place = match r {
            Restriction::Closed(p) | Restriction::Slower { place: p, .. } => p,
        };
        for arc in 0..w.len() {
            if !place.contains(net, tails[arc], arc) {
                continue;
            }
            *t += 1;
            w[arc] = match r {
                Restriction::Closed(_) => CLOSED,
                Restriction::Slower { factor, .. } if w[arc] < CLOSED => {
                    (f64::from(w[arc]) * factor)
                        .round()
                        .min(f64::from(MAX_ARC_TENTHS)) as u32
                }
                Restriction::Slower { .. } => w[arc],
            };
        }
    }
    (w, touched)
}
