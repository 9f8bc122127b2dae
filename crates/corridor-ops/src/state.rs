//! The live state as the planner's [`OperationState`]: what the log says by an
//! instant, in the form `corridor plan --from-state` reads.

use corridor_core::{Closure, CorridorId, Household, HouseholdId, OperationState, Seconds, SiteId, VehicleId, VehicleSituation};

use crate::live::LiveState;

/// An [`OperationState`] and what could not be carried into it.
#[derive(Clone, Debug, PartialEq)]
pub struct StateAt {
    /// The state for the planner.
    pub state: OperationState,
    /// What a coordinator should know (odd events, households the state cannot carry).
    pub notes: Vec<String>,
}

impl LiveState {
    /// The state at `at`. The caller folds only the events whose device time is no
    /// later than `at` into this live state (see [`crate::replay_until`]).
    ///
    /// - Households registered in the field are the state's `registered`, in the
    ///   order they registered, and are then treated like the registry's.
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
        // Per vehicle, who is aboard: (trip, its destination, free from, household).
        let mut aboard: Vec<Vec<(u32, SiteId, Seconds, HouseholdId, Household)>> = vec![Vec::new(); s.vehicles.len()];
        let ids = self.field_households(at, &mut state.registered, &mut notes);
        for (h, id) in self.households.iter().zip(ids) {
            let Some(id) = id else {
                continue;
            };
            let n = s.households.len();
            let hh = match id.index().checked_sub(n) {
                None => s.household(id),
                Some(i) => &state.registered[i],
            };
            if let Some((d, _)) = h.arrived {
                if s.destination_accepts(d, hh) {
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
                    Some((d, free)) if s.destination_accepts(d, hh) => {
                        aboard[v.index()].push((trip, d, free.max(at), id, hh.clone()));
                    }
                    _ => notes.push(format!(
                        "household {} is on board {} trip {trip}, whose destination is not known from the plan: it waits to be picked up again",
                        h.reference,
                        s.vehicle(v).name
                    )),
                }
            }
        }
        let mut heading: Vec<Option<(SiteId, Seconds)>> = vec![None; s.vehicles.len()];
        let mut on_board: Vec<Vec<HouseholdId>> = vec![Vec::new(); s.vehicles.len()];
        for (v, list) in aboard.iter_mut().enumerate() {
            // People from several trips aboard at once (an arrival not reported) are all
            // unloaded at one destination: the earliest trip's that takes every one of them,
            // or else the earliest trip's, and those it does not take wait to be picked up.
            list.sort_by_key(|x| x.0);
            let Some(first) = list.first() else {
                continue;
            };
            let d = list
                .iter()
                .map(|x| x.1)
                .find(|&d| list.iter().all(|x| s.destination_accepts(d, &x.4)))
                .unwrap_or(first.1);
            let mut free = at;
            for (trip, _, f, id, hh) in list.iter() {
                if s.destination_accepts(d, hh) {
                    on_board[v].push(*id);
                    free = free.max(*f);
                } else {
                    notes.push(format!(
                        "household {} is on board {} trip {trip}, but the vehicle is headed for {}, which does not take it: it waits to be picked up again",
                        hh.reference,
                        s.vehicle(VehicleId(v as u32)).name,
                        s.site(d).name
                    ));
                }
            }
            heading[v] = Some((d, free));
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

    /// Appends the households registered in the field to `registered` and gives
    /// each live household its id in the scenario so extended (`None`: left out).
    /// A household split from one of the registry's is left out: the state keeps
    /// the registry's size, which still counts its people.
    fn field_households(&self, at: Seconds, registered: &mut Vec<Household>, notes: &mut Vec<String>) -> Vec<Option<HouseholdId>> {
        let n = self.scenario.households.len();
        let mut ids = Vec::with_capacity(self.households.len());
        for h in &self.households {
            if let Some(id) = h.registry {
                ids.push(Some(id));
                continue;
            }
            let mut root = h;
            let mut steps = 0;
            while let Some(parent) = root.split_from.as_deref().and_then(|r| self.household(r))
                && steps < self.households.len()
            {
                root = parent.1;
                steps += 1;
            }
            if let Some(from) = root.registry {
                notes.push(format!(
                    "household {} ({} people) split from {}, which the state counts at the registry's size: the re-plan plans them as that one household",
                    h.reference,
                    h.people.0,
                    self.scenario.household(from).reference
                ));
                ids.push(None);
                continue;
            }
            if h.people.0 == 0 {
                notes.push(format!("household {} has nobody in it and is left out", h.reference));
                ids.push(None);
                continue;
            }
            ids.push(Some(HouseholdId((n + registered.len()) as u32)));
            registered.push(Household {
                reference: h.reference.clone(),
                site: h.site,
                people: h.people,
                stretcher_cases: h.stretcher_cases,
                tier: h.tier,
                ready: h.registered.unwrap_or(at).min(at),
            });
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use corridor_core::{People, Tier};
    use serde_json::json;

    use super::*;
    use crate::parse_value;

    fn live(events: &[serde_json::Value]) -> LiveState {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/tutorial/scenario.toml");
        let s = corridor_formats::load_scenario(path.as_ref()).expect("the tutorial reads").scenario;
        let mut l = LiveState::new(Arc::new(s));
        for (i, v) in events.iter().enumerate() {
            let mut e = json!({"id": format!("e{i}"), "at": format!("{}min", 10 + i), "device": "t"});
            e.as_object_mut().expect("an object").extend(v.as_object().expect("an object").clone());
            let e = parse_value(e, &l.scenario).expect("the event parses");
            l.apply(&e);
        }
        l
    }

    #[test]
    fn households_registered_in_the_field_are_in_the_state() {
        let l = live(&[
            json!({"kind": "registered", "household": "FX-1", "site": "Old mill", "people": 3, "stretcher_cases": 1}),
            json!({"kind": "registered", "household": "FX-2", "site": "Church hill", "people": 2, "tier": 2}),
            json!({"kind": "boarded", "household": "FX-2", "vehicle": "bus-01", "trip": 1}),
            json!({"kind": "arrived", "vehicle": "bus-01", "trip": 1, "destination": "Hill school shelter"}),
            json!({"kind": "registered", "household": "FX-3", "site": "Market square", "people": 4}),
            json!({"kind": "split", "household": "FX-3", "new_household": "FX-3b", "people": 1}),
            json!({"kind": "split", "household": "RF-001", "new_household": "RF-001b", "people": 1}),
        ]);
        let st = l.state_at(Seconds(3600));
        let s = &l.scenario;
        let n = s.households.len() as u32;
        let refs: Vec<&str> = st.state.registered.iter().map(|h| h.reference.as_str()).collect();
        assert_eq!(refs, ["FX-1", "FX-2", "FX-3", "FX-3b"]);
        let fx1 = &st.state.registered[0];
        assert_eq!((fx1.people, fx1.stretcher_cases, fx1.tier), (People(3), People(1), Tier::CRITICAL));
        assert_eq!(s.site(fx1.site).name, "Old mill");
        assert_eq!(fx1.ready, Seconds(600));
        assert_eq!(st.state.registered[2].people, People(3));
        // Delivered by the id after the scenario's; the split from the registry is only a note.
        assert_eq!(st.state.delivered.len(), 1);
        assert_eq!(st.state.delivered[0].0, HouseholdId(n + 1));
        assert_eq!(s.site(st.state.delivered[0].1).name, "Hill school shelter");
        assert!(st.notes.iter().any(|m| m.contains("RF-001b")), "{:?}", st.notes);
        assert!(!st.notes.iter().any(|m| m.contains("FX-")), "{:?}", st.notes);

        let rem = s.remaining(&st.state).expect("the state fits");
        let waiting: Vec<&str> = rem.scenario.households.iter().map(|h| h.reference.as_str()).collect();
        assert!(waiting.contains(&"FX-1") && waiting.contains(&"FX-3b") && !waiting.contains(&"FX-2"));
        assert_eq!(rem.scenario.households.len(), s.households.len() + 3);

        let text = corridor_formats::write_state(s, &st.state);
        assert_eq!(corridor_formats::read_state("state.json", &text, s).expect("it reads back"), st.state);
    }

    #[test]
    fn a_field_household_on_a_trip_of_unknown_destination_waits_again() {
        let l = live(&[
            json!({"kind": "registered", "household": "FX-1", "site": "Old mill", "people": 3}),
            json!({"kind": "boarded", "household": "FX-1", "vehicle": "bus-02", "trip": 1}),
            json!({"kind": "departed", "vehicle": "bus-02", "trip": 1}),
        ]);
        let st = l.state_at(Seconds(3600));
        // No active plan says where the trip goes: it waits again, and says so.
        assert!(st.state.vehicles.is_empty());
        assert!(st.notes.iter().any(|m| m.contains("FX-1")), "{:?}", st.notes);
        assert_eq!(st.state.registered.len(), 1);
        let rem = l.scenario.remaining(&st.state).expect("the state fits");
        assert_eq!(rem.households.last(), Some(&HouseholdId(l.scenario.households.len() as u32)));
    }
}
