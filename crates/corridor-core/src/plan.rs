//! A plan: for every vehicle an ordered list of trips, with the time of every event.

use crate::scenario::{CorridorId, HouseholdId, SiteId, VehicleId};
use crate::units::Seconds;

/// What the whole fleet does, and who is left behind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// One route per vehicle that moves; vehicles not listed stay at their depot.
    pub routes: Vec<VehicleRoute>,
    /// Households deliberately not carried, each with its reason.
    pub uncarried: Vec<Uncarried>,
}

/// A household the plan does not carry, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncarried {
    /// Who.
    pub household: HouseholdId,
    /// Why, in words a coordinator understands.
    pub reason: String,
}

/// One vehicle's day.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleRoute {
    /// Which vehicle.
    pub vehicle: VehicleId,
    /// Trips in order: the first starts at the depot, each next one where the last unloaded.
    pub trips: Vec<Trip>,
    /// Arrival at the vehicle's return depot, when it has one.
    pub returns_at: Option<Seconds>,
}

/// From where the vehicle is, through one or more pickup sites and perhaps a
/// checkpoint, to one destination where everything on board is unloaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Trip {
    /// When the vehicle leaves where it is (its depot, or the last destination).
    pub departs: Seconds,
    /// Pickup stops in visiting order.
    pub stops: Vec<Stop>,
    /// The checkpoint crossing, when a stop's site is governed by a corridor.
    pub crossing: Option<Crossing>,
    /// Where everyone on board is unloaded.
    pub destination: SiteId,
    /// Arrival at the destination.
    pub arrives: Seconds,
    /// When the last person is off: the moment they count as evacuated.
    pub unloaded: Seconds,
}

/// Loading whole households at one pickup site.
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    /// The pickup site.
    pub site: SiteId,
    /// Arrival.
    pub arrives: Seconds,
    /// Loading starts (no earlier than arrival and every loaded household's ready time).
    pub loading_starts: Seconds,
    /// Departure, after the fixed stop time and everyone's boarding.
    pub departs: Seconds,
    /// Households boarding here.
    pub households: Vec<HouseholdId>,
}

/// Passing a corridor checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    /// Which corridor.
    pub corridor: CorridorId,
    /// Arrival at the checkpoint: the vehicle joins the queue.
    pub queued: Seconds,
    /// Processing starts (inside an open window, on a free lane).
    pub starts: Seconds,
    /// Processing ends.
    pub ends: Seconds,
    /// The convoy this vehicle crosses with, where the corridor requires convoys.
    pub convoy: Option<u32>,
}

impl Trip {
    /// All households on board, in boarding order.
    pub fn households(&self) -> impl Iterator<Item = HouseholdId> + '_ {
        self.stops.iter().flat_map(|s| s.households.iter().copied())
    }

    /// When the vehicle leaves the checkpoint (or the last stop) for the destination.
    pub fn leaves_for_destination(&self) -> Seconds {
        match (&self.crossing, self.stops.last()) {
            (Some(c), _) => c.ends,
            (None, Some(s)) => s.departs,
            (None, None) => self.departs,
        }
    }
}

impl Plan {
    /// Every trip with its vehicle.
    pub fn trips(&self) -> impl Iterator<Item = (VehicleId, &Trip)> + '_ {
        self.routes
            .iter()
            .flat_map(|r| r.trips.iter().map(move |t| (r.vehicle, t)))
    }
}
