//! The plan's objective values, in the lexicographic order of `problem.md`.

use crate::plan::Plan;
use crate::scenario::{Reserved, Scenario, SiteId};
use crate::units::{People, Seconds};

/// People per tier (index 0 = tier 1).
pub type TierCounts = [People; 3];

/// People delivered to one destination.
#[derive(Clone, Debug, PartialEq)]
pub struct DestinationLoad {
    /// The destination.
    pub site: SiteId,
    /// People delivered there.
    pub people: People,
    /// Its capacity, if limited.
    pub capacity: Option<People>,
    /// Of the people delivered, those of households without stretcher cases.
    pub general: People,
    /// Where the destination reserves places for stretcher cases, the places
    /// left to the others (see [`crate::Destination::general_places`]).
    pub general_places: Option<People>,
}

/// What a plan achieves.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// Objective 1: people carried, by tier.
    pub carried: TierCounts,
    /// People listed as uncarried, by tier.
    pub uncarried: TierCounts,
    /// Objective 2: the time the last evacuee is unloaded (zero when nobody moves).
    pub makespan: Seconds,
    /// Objective 3: mean unloading time per person, weighted 100/10/1 by tier, in seconds.
    pub weighted_mean_arrival: f64,
    /// Objective 4: total time vehicles spend driving (return legs included).
    pub driving: Seconds,
    /// Vehicles with at least one trip.
    pub vehicles_used: usize,
    /// Number of trips.
    pub trips: usize,
    /// People delivered per destination.
    pub destinations: Vec<DestinationLoad>,
}

impl Figures {
    /// Computes the figures of `plan`, trusting its references (validate first for trust in its times).
    pub fn of(scenario: &Scenario, plan: &Plan) -> Figures {
        let mut carried = [People(0); 3];
        let mut uncarried = [People(0); 3];
        let mut makespan = Seconds::ZERO;
        let (mut wsum, mut wtime) = (0.0f64, 0.0f64);
        let mut driving = Seconds::ZERO;
        let mut per_dest = vec![People(0); scenario.sites.len()];
        let mut general = vec![People(0); scenario.sites.len()];
        let mut trips = 0;

        for u in &plan.uncarried {
            let h = scenario.household(u.household);
            uncarried[h.tier.index()] += h.people;
        }
        for route in &plan.routes {
            let v = route.vehicle;
            let mut at = scenario.vehicle(v).depot;
            for trip in &route.trips {
                trips += 1;
                for stop in &trip.stops {
                    driving += scenario.travel_for(v, at, stop.site).unwrap_or_default();
                    at = stop.site;
                }
                if let Some(c) = &trip.crossing {
                    let cp = scenario.corridors[c.corridor.index()].checkpoint;
                    driving += scenario.travel_for(v, at, cp).unwrap_or_default();
                    at = cp;
                }
                driving += scenario
                    .travel_for(v, at, trip.destination)
                    .unwrap_or_default();
                at = trip.destination;
                let mut on_board = People(0);
                // A leg to a hub is not an arrival: people count once, where they end.
                let arrival = scenario.hub(trip.destination).is_none();
                for hid in trip.households() {
                    let h = scenario.household(hid);
                    on_board += h.people;
                    if !h.has_stretcher_cases() {
                        general[trip.destination.index()] += h.people;
                    }
                    if arrival {
                        carried[h.tier.index()] += h.people;
                        let w = f64::from(h.tier.weight()) * f64::from(h.people.0);
                        wsum += w;
                        wtime += w * trip.unloaded.0 as f64;
                    }
                }
                if on_board.0 > 0 {
                    makespan = makespan.max(trip.unloaded);
                }
                per_dest[trip.destination.index()] += on_board;
            }
            if let (Some(depot), Some(_)) = (scenario.vehicle(v).return_depot, route.returns_at) {
                driving += scenario.travel_for(v, at, depot).unwrap_or_default();
            }
        }
        let destinations = scenario
            .sites
            .iter()
            .enumerate()
            .filter_map(|(i, _)| {
                let site = SiteId(i as u32);
                scenario.destination(site).map(|d| DestinationLoad {
                    site,
                    people: per_dest[i],
                    capacity: d.capacity,
                    general: general[i],
                    general_places: d
                        .general_places()
                        .filter(|_| d.reserved != Reserved::Nothing),
                })
            })
            .collect();
        Figures {
            carried,
            uncarried,
            makespan,
            weighted_mean_arrival: if wsum > 0.0 { wtime / wsum } else { 0.0 },
            driving,
            vehicles_used: plan.routes.iter().filter(|r| !r.trips.is_empty()).count(),
            trips,
            destinations,
        }
    }

    /// Everyone carried.
    pub fn total_carried(&self) -> People {
        self.carried.iter().copied().sum()
    }
}
