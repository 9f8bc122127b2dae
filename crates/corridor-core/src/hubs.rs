//! Transfers at hubs: when each household unloaded at a hub is processed and
//! may board onward. Planner, validator and simulator share this rule (like
//! [`crate::VehicleType::unloading`]), so that they agree to the second.

use crate::plan::Plan;
use crate::scenario::{HouseholdId, Hub, Scenario, SiteId, VehicleId};
use crate::units::{People, Seconds};

/// A household unloaded at a hub, waiting for its processing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubArrival {
    /// When its vehicle finished unloading.
    pub unloaded: Seconds,
    /// That vehicle.
    pub vehicle: VehicleId,
    /// That vehicle's trip (0-based).
    pub trip: usize,
    /// Who.
    pub household: HouseholdId,
    /// How many people.
    pub people: People,
}

/// When each household's processing at `hub` ends: households unloaded
/// earlier first; at one instant, by vehicle (the scenario's order) and trip;
/// within a trip, in the order given (boarding order). Returns the arrivals in
/// processing order, each with its end.
pub fn hub_processing(hub: &Hub, mut arrivals: Vec<HubArrival>) -> Vec<(HubArrival, Seconds)> {
    arrivals.sort_by_key(|a| (a.unloaded, a.vehicle, a.trip));
    let mut free = Seconds(i64::MIN);
    arrivals
        .into_iter()
        .map(|a| {
            let end = a.unloaded.max(free) + hub.processing(a.people);
            free = end;
            (a, end)
        })
        .collect()
}

/// One household's change of vehicle at a hub, as a plan has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The hub.
    pub hub: SiteId,
    /// How it got there.
    pub arrival: HubArrival,
    /// When its processing ends: it may board onward from then.
    pub processed: Seconds,
}

/// Every household a plan unloads at a hub, per hub in processing order.
/// Trusts the plan's references (validate first, or build them yourself).
pub fn transfers(s: &Scenario, plan: &Plan) -> Vec<Transfer> {
    let mut at: Vec<Vec<HubArrival>> = vec![Vec::new(); s.sites.len()];
    for r in &plan.routes {
        for (ti, trip) in r.trips.iter().enumerate() {
            if s.hub(trip.destination).is_none() {
                continue;
            }
            for h in trip.households() {
                at[trip.destination.index()].push(HubArrival {
                    unloaded: trip.unloaded,
                    vehicle: r.vehicle,
                    trip: ti,
                    household: h,
                    people: s.household(h).people,
                });
            }
        }
    }
    let mut out = Vec::new();
    for (i, arrivals) in at.into_iter().enumerate() {
        let hub_id = SiteId(i as u32);
        let Some(hub) = s.hub(hub_id) else { continue };
        out.extend(
            hub_processing(hub, arrivals)
                .into_iter()
                .map(|(arrival, processed)| Transfer {
                    hub: hub_id,
                    arrival,
                    processed,
                }),
        );
    }
    out
}

/// What one hub did in a plan: the `explain` report's hub line.
#[derive(Clone, Debug, PartialEq)]
pub struct HubUse {
    /// The hub.
    pub hub: SiteId,
    /// People unloaded there.
    pub people: People,
    /// Households unloaded there.
    pub households: usize,
    /// The first unloading there.
    pub first_unloaded: Seconds,
    /// The end of the last processing.
    pub last_processed: Seconds,
    /// Time spent processing (the processing desks' busy time).
    pub busy: Seconds,
    /// Per household taken on: from the end of its processing to the start of
    /// its onward loading (the wait for an onward vehicle), the mean over people.
    pub mean_stay: Seconds,
    /// The longest such stay.
    pub longest_stay: Seconds,
    /// People unloaded there whom no onward trip takes (listed as uncarried).
    pub left: People,
}

impl HubUse {
    /// Reads every hub's use off `plan`, trusting its references.
    pub fn of(s: &Scenario, plan: &Plan) -> Vec<HubUse> {
        // Onward loading per household and hub.
        let mut onward: std::collections::HashMap<(HouseholdId, SiteId), Seconds> =
            std::collections::HashMap::new();
        for (_, trip) in plan.trips() {
            for stop in trip.stops.iter().filter(|x| s.hub(x.site).is_some()) {
                for &h in &stop.households {
                    onward.insert((h, stop.site), stop.loading_starts);
                }
            }
        }
        let all = transfers(s, plan);
        s.sites_where(|k| matches!(k, crate::SiteKind::Hub(_)))
            .into_iter()
            .filter_map(|hub| {
                let here: Vec<&Transfer> = all.iter().filter(|t| t.hub == hub).collect();
                let first = here.iter().map(|t| t.arrival.unloaded).min()?;
                let rule = s.hub(hub).copied().unwrap_or_default();
                let (mut weighted, mut taken, mut longest, mut left) = (0i128, 0i64, 0i64, 0u32);
                for t in &here {
                    match onward.get(&(t.arrival.household, hub)) {
                        Some(&at) => {
                            let stay = (at - t.processed).0.max(0);
                            weighted += i128::from(stay) * i128::from(t.arrival.people.0);
                            taken += i64::from(t.arrival.people.0);
                            longest = longest.max(stay);
                        }
                        None => left += t.arrival.people.0,
                    }
                }
                Some(HubUse {
                    hub,
                    people: here.iter().map(|t| t.arrival.people).sum(),
                    households: here.len(),
                    first_unloaded: first,
                    last_processed: here.iter().map(|t| t.processed).max().unwrap_or(first),
                    busy: here.iter().map(|t| rule.processing(t.arrival.people)).sum(),
                    mean_stay: Seconds(if taken > 0 {
                        (weighted / i128::from(taken)) as i64
                    } else {
                        0
                    }),
                    longest_stay: Seconds(longest),
                    left: People(left),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(t: i64, v: u32, trip: usize, h: u32, n: u32) -> HubArrival {
        HubArrival {
            unloaded: Seconds(t),
            vehicle: VehicleId(v),
            trip,
            household: HouseholdId(h),
            people: People(n),
        }
    }

    #[test]
    fn a_hub_processes_households_one_after_another_in_unloading_order() {
        let hub = Hub {
            people_per_hour: Some(3600),
        };
        // Vehicle 1 unloads first; vehicle 0's two households follow at one
        // instant in boarding order; vehicle 2 comes when the hub is idle again.
        let got = hub_processing(
            &hub,
            vec![
                arrival(100, 0, 0, 7, 5),
                arrival(100, 0, 0, 3, 2),
                arrival(90, 1, 0, 4, 20),
                arrival(500, 2, 1, 9, 1),
            ],
        );
        let ends: Vec<(u32, i64)> = got.iter().map(|(a, e)| (a.household.0, e.0)).collect();
        assert_eq!(ends, vec![(4, 110), (7, 115), (3, 117), (9, 501)]);
    }

    #[test]
    fn without_a_rate_people_may_board_onward_once_unloaded() {
        let got = hub_processing(&Hub::default(), vec![arrival(60, 0, 0, 1, 40)]);
        assert_eq!(got[0].1, Seconds(60));
        let slow = Hub {
            people_per_hour: Some(7),
        };
        // 3 people at 7 an hour: 1542.86 s, rounded up.
        assert_eq!(slow.processing(People(3)), Seconds(1543));
    }
}
