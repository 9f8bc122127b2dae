//! The live state as the planner's [`OperationState`]: what the log says by an
//! instant, in the form `corridor plan --from-state` reads.

use corridor_core::{Closure, CorridorId, HouseholdId, OperationState, Seconds, VehicleId, VehicleSituation};

use crate::live::LiveState;

/// An [`OperationState`] and what could not be carried into it.
#[derive(Clone, Debug, PartialEq)]
pub struct StateAt {
    /// The state for the planner.
    pub state: OperationState,
    /// What a coordinator should know (households the registry does not list, odd events).
    pub notes: Vec<String>,
}

impl LiveState {
    /// The state at `at`. The caller folds only the events whose device time is no
    /// later than `at` into this live state (see [`crate::replay_until`]).
    ///
    /// - Arrived households are delivered, to the destination they arrived at.
    /// - Households boarded and not arrived are on board their vehicle, which is
    ///   headed for the planned destination of that trip (or where its trip was
    ///   seen arriving), free once the planned unloading ends, and never before `at`.
    /// - A vehicle that arrived somewhere last waits there from `at`.
    /// - Vehicles reported out of service are out of service; corridors closed by
    ///   an incident and not reopened are closed, until the time the incident gave.
    pub fn state_at(&self, at: Seconds) -> StateAt {
        let s = &self.scenario;
        let mut notes = Vec::new();
        let mut state = OperationState {
            at,
            ..OperationState::default()
        };
        let mut on_board: Vec<Vec<HouseholdId>> = vec![Vec::new(); s.vehicles.len()];
        let mut heading: Vec<Option<(corridor_core::SiteId, Seconds)>> = vec![None; s.vehicles.len()];
        for h in &self.households {
            let Some(id) = h.registry else {
                if h.status() != "waiting" {
                    notes.push(format!(
                        "household {} ({} people) was registered in the field and is not in the scenario: plan it by adding it to the registry",
                        h.reference, h.people.0
                    ));
                }
                continue;
            };
            if let Some((d, _)) = h.arrived {
                if s.destination_accepts(d, s.household(id)) {
                    state.delivered.push((id, d));
                } else {
                    notes.push(format!(
                        "household {} arrived at {}, which the scenario says does not take it; counted as delivered nowhere",
                        h.reference,
                        s.site(d).name
                    ));
                }
            } else if let Some((v, trip, _)) = h.boarded {
                if self.vehicles[v.index()].out_of_service.is_some() {
                    notes.push(format!(
                        "household {} is on board {}, which is out of service: it waits to be picked up again",
                        h.reference,
                        s.vehicle(v).name
                    ));
                    continue;
                }
                let planned = self.active.as_ref().and_then(|a| a.trip(v, trip));
                let dest = planned
                    .map(|t| (t.destination, t.unloaded))
                    .or_else(|| self.trips.get(&(v, trip)).and_then(|r| r.arrived).map(|a| (a.0, a.1)));
                match dest {
                    Some((d, _)) if s.destination_accepts(d, s.household(id)) => {
                        on_board[v.index()].push(id);
                        let free = dest.map_or(at, |x| x.1.max(at));
                        heading[v.index()] = Some((d, heading[v.index()].map_or(free, |h| h.1.max(free))));
                    }
                    _ => notes.push(format!(
                        "household {} is on board {} trip {trip}, whose destination is not known from the plan: it waits to be picked up again",
                        h.reference,
                        s.vehicle(v).name
                    )),
                }
            }
        }
        for (i, rec) in self.vehicles.iter().enumerate() {
            let v = VehicleId(i as u32);
            if rec.out_of_service.is_some() {
                state.vehicles.push((v, VehicleSituation::OutOfService));
                continue;
            }
            if let Some((d, free)) = heading[i] {
                state.vehicles.push((
                    v,
                    VehicleSituation::InService {
                        at: d,
                        free_from: free,
                        on_board: std::mem::take(&mut on_board[i]),
                    },
                ));
            } else if let Some(p) = &rec.position
                && let Some(site) = p.site
                && p.kind == "arrived"
            {
                state.vehicles.push((
                    v,
                    VehicleSituation::InService {
                        at: site,
                        free_from: at,
                        on_board: Vec::new(),
                    },
                ));
            }
        }
        for (i, c) in self.corridors.iter().enumerate() {
            if let Some((_, until)) = c.closed
                && until.is_none_or(|u| u > at)
            {
                state.closures.push(Closure {
                    corridor: CorridorId(i as u32),
                    until,
                });
            }
        }
        StateAt { state, notes }
    }
}
