//! The plan validator: every rule of `problem.md`'s "valid plan", checked from
//! the plan's own event times and the scenario, sharing no code with any planner.
//!
//! [`check`] returns every [`Violation`] found, each naming its [`Rule`], the
//! vehicle, trip, household and time where it applies. A plan is valid when the
//! list is empty. Every command that writes or serves a plan runs this first.
//!
//! ```
//! use corridor_core::{Plan, Scenario, TravelMatrix};
//! let empty = Scenario {
//!     name: "empty".into(), clock: None, sites: vec![], households: vec![],
//!     vehicle_types: vec![], vehicles: vec![], corridors: vec![], deals: vec![],
//!     travel: TravelMatrix::unreachable(0), planning: Default::default(),
//! };
//! assert!(corridor_check::check(&empty, &Plan::default()).is_empty());
//! ```

mod rules;

pub use rules::{Rule, Violation, check};
