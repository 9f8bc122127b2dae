//! Where things are: the study area, its pickup sites, and the places around it.
//!
//! Positions are kept in kilometres east and north of the centre and turned
//! into degrees only when written (an equirectangular projection, accurate to
//! well under 1 % over the 40 km the generator uses).

use crate::Layout;
use crate::draw::Draw;

/// Centre of the study area: 45° N, 10° E, flat farmland of the Po valley
/// (northern Italy), chosen as a neutral setting; the scenario is invented.
pub(crate) const CENTRE_LAT: f64 = 45.0;
/// Longitude of the centre.
pub(crate) const CENTRE_LON: f64 = 10.0;
/// The study area is a disc of this radius (6 km across).
pub(crate) const AREA_RADIUS_KM: f64 = 3.0;
/// Depots lie this far from the centre.
pub(crate) const DEPOT_KM: (f64, f64) = (8.0, 12.0);
/// Destinations lie this far from the centre.
pub(crate) const DESTINATION_KM: (f64, f64) = (15.0, 40.0);
/// The checkpoint lies on the way out, just outside the area.
pub(crate) const CHECKPOINT_KM: f64 = 4.5;

/// Kilometres per degree of latitude (on a sphere of the Earth's mean radius).
const KM_PER_DEGREE: f64 = 6371.0088 * std::f64::consts::PI / 180.0;

/// A position in kilometres east and north of the centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Km {
    pub(crate) east: f64,
    pub(crate) north: f64,
}

impl Km {
    /// The point `distance` km from the centre on a compass `bearing` (radians, clockwise from north).
    pub(crate) fn toward(bearing: f64, distance: f64) -> Km {
        Km {
            east: distance * bearing.sin(),
            north: distance * bearing.cos(),
        }
    }

    /// Squared distance to another point, in km².
    pub(crate) fn distance2(self, other: Km) -> f64 {
        let (de, dn) = (self.east - other.east, self.north - other.north);
        de * de + dn * dn
    }

    /// Latitude and longitude in degrees.
    pub(crate) fn lat_lon(self) -> (f64, f64) {
        let lat = CENTRE_LAT + self.north / KM_PER_DEGREE;
        let lon = CENTRE_LON + self.east / (KM_PER_DEGREE * CENTRE_LAT.to_radians().cos());
        (lat, lon)
    }
}

/// A point uniform in the disc of `radius` km around `centre`.
fn in_disc(d: &mut Draw, centre: Km, radius: f64) -> Km {
    let r = radius * d.unit().sqrt();
    let p = Km::toward(d.uniform(0.0, std::f64::consts::TAU), r);
    Km {
        east: centre.east + p.east,
        north: centre.north + p.north,
    }
}

/// The pickup sites, and the number of neighbourhoods they gather in (clustered layout only).
pub(crate) fn pickup_sites(d: &mut Draw, n: usize, layout: Layout) -> (Vec<Km>, usize) {
    let origin = Km {
        east: 0.0,
        north: 0.0,
    };
    match layout {
        Layout::Uniform => (
            (0..n).map(|_| in_disc(d, origin, AREA_RADIUS_KM)).collect(),
            0,
        ),
        Layout::Clustered => {
            let k = d.int(3, 6) as usize;
            let centres: Vec<Km> = (0..k)
                .map(|_| in_disc(d, origin, AREA_RADIUS_KM * 0.7))
                .collect();
            let sites = (0..n)
                .map(|i| {
                    // Round-robin, so that every neighbourhood has sites.
                    let c = centres[i % k];
                    let mut p = c;
                    for _ in 0..20 {
                        p = Km {
                            east: c.east + 0.35 * d.normal(),
                            north: c.north + 0.35 * d.normal(),
                        };
                        if p.distance2(origin) <= AREA_RADIUS_KM * AREA_RADIUS_KM {
                            break;
                        }
                        p = c;
                    }
                    p
                })
                .collect();
            (sites, k)
        }
    }
}
