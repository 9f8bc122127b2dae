//! Corridor's domain model: the words of `design/problem.md` as types.
//!
//! A [`Scenario`] says who must be moved (households at pickup sites), with what
//! (vehicles of given types inside their shifts), to where (destinations with
//! capacities and accepted needs), through what (corridor checkpoints with open
//! windows, linked-evacuation deals) and how long each move takes (a
//! [`TravelMatrix`]). A [`Plan`] says what every vehicle does, with the time of
//! every event, so it can be checked and executed without recomputation.
//! [`Figures`] are the plan's objective values; [`Waits`] how long people wait
//! to be picked up.
//!
//! This crate does no I/O and never reads the clock: everything is a pure
//! function of its inputs, so planners, validators and simulators can share it.
//!
//! ```
//! use corridor_core::{Seconds, People};
//! let boarding = Seconds::from_minutes(2) + Seconds(30);
//! assert_eq!(boarding.0, 150);
//! assert_eq!(People(3) + People(4), People(7));
//! ```

mod clock;
mod figures;
mod geo;
mod hubs;
mod operation_state;
mod plan;
mod scenario;
mod time_use;
mod uncertainty;
mod units;
mod waiting;

pub use clock::{Clock, civil_from_days, days_from_civil};
pub use figures::{DestinationLoad, Figures, TierCounts};
pub use geo::{LatLon, great_circle_km};
pub use hubs::{HubArrival, HubUse, Transfer, hub_processing, transfers};
pub use operation_state::{Closure, OperationState, Remaining, StateError, VehicleSituation};
pub use plan::{Crossing, Plan, Stop, Trip, Uncarried, VehicleRoute};
pub use scenario::{
    ConvoyRule, Corridor, CorridorId, Deal, DealId, Destination, Household, HouseholdId, Hub,
    Objective, Planning, Reserved, Scenario, Site, SiteId, SiteKind, Tier, TravelMatrix, Vehicle,
    VehicleId, VehicleType, VehicleTypeId, Window,
};
pub use time_use::{Activity, Breakdown, CheckpointUse, TimeUse};
pub use uncertainty::{ClosureEnd, PossibleClosure, RoadClosures, Uncertainty};
pub use units::{People, Seconds};
pub use waiting::{WaitSummary, Waits};
