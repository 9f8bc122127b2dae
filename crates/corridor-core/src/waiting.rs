//! How long people wait: from the moment a household is ready at its pickup
//! site to the moment a vehicle starts loading at that site's stop.
//!
//! A wait ends when loading starts (`Stop::loading_starts`), not when the
//! vehicle leaves: boarding and the stop's fixed time are part of the journey,
//! and the planner cannot shorten them by sending a vehicle earlier. Every
//! figure counts people, not households: a family of six waiting five hours
//! weighs six times a person alone, so the mean is the mean over people and the
//! P90 is the wait that nine in ten people did not exceed. Households the plan
//! leaves behind are not waits (they are counted as uncarried).

use crate::plan::Plan;
use crate::scenario::{Scenario, Tier};
use crate::units::{People, Seconds};

/// The waits of one group of people (one tier, or everyone).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WaitSummary {
    /// People picked up.
    pub people: People,
    /// Households picked up.
    pub households: usize,
    /// Mean wait per person, in seconds (0 when nobody is picked up).
    pub mean: f64,
    /// The smallest wait that at least 90 % of the people did not exceed
    /// (nearest rank over people).
    pub p90: Seconds,
    /// The longest wait.
    pub max: Seconds,
}

/// Waits per tier and for everyone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Waits {
    /// Index 0 = tier 1, as [`Tier::index`].
    pub tiers: [WaitSummary; 3],
    /// Every tier together.
    pub all: WaitSummary,
}

impl Waits {
    /// Reads the waits off `plan`, trusting its references (validate first to trust its times).
    /// A wait is never negative: a stop that starts loading before a household is
    /// ready (an invalid plan) counts as no wait.
    pub fn of(scenario: &Scenario, plan: &Plan) -> Waits {
        // (wait, people) per household picked up, by tier.
        let mut by_tier: [Vec<(Seconds, People)>; 3] = Default::default();
        for (_, trip) in plan.trips() {
            for stop in &trip.stops {
                for &hid in &stop.households {
                    let h = scenario.household(hid);
                    if stop.site != h.site {
                        continue; // boarding onward at a hub: the wait to be picked up is over
                    }
                    let wait = (stop.loading_starts - h.ready).max(Seconds::ZERO);
                    by_tier[h.tier.index()].push((wait, h.people));
                }
            }
        }
        let mut everyone: Vec<(Seconds, People)> = by_tier.iter().flatten().copied().collect();
        let tiers = Tier::ALL.map(|t| summarise(&mut by_tier[t.index()]));
        Waits {
            tiers,
            all: summarise(&mut everyone),
        }
    }

    /// The summary of one tier.
    pub fn tier(&self, t: Tier) -> &WaitSummary {
        &self.tiers[t.index()]
    }
}

fn summarise(waits: &mut [(Seconds, People)]) -> WaitSummary {
    waits.sort_by_key(|&(w, _)| w);
    let people: u64 = waits.iter().map(|&(_, p)| u64::from(p.0)).sum();
    if people == 0 {
        return WaitSummary {
            households: waits.len(),
            ..WaitSummary::default()
        };
    }
    let total: f64 = waits
        .iter()
        .map(|&(w, p)| w.0 as f64 * f64::from(p.0))
        .sum();
    // Nearest rank: the first wait at which the people counted so far reach 90 %.
    let mut seen = 0u64;
    let mut p90 = Seconds::ZERO;
    for &(w, p) in waits.iter() {
        seen += u64::from(p.0);
        if seen * 10 >= people * 9 {
            p90 = w;
            break;
        }
    }
    WaitSummary {
        people: People(u32::try_from(people).unwrap_or(u32::MAX)),
        households: waits.len(),
        mean: total / people as f64,
        p90,
        max: waits.last().map_or(Seconds::ZERO, |&(w, _)| w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::LatLon;
    use crate::plan::{Stop, Trip, Uncarried, VehicleRoute};
    use crate::scenario::{
        Destination, Household, HouseholdId, Site, SiteId, SiteKind, TravelMatrix, Vehicle,
        VehicleId, VehicleType, VehicleTypeId,
    };

    fn site(name: &str, kind: SiteKind) -> Site {
        Site {
            name: name.into(),
            kind,
            location: LatLon { lat: 0.0, lon: 0.0 },
        }
    }

    fn household(n: usize, site: u32, people: u32, tier: u8, ready_min: i64) -> Household {
        Household {
            reference: format!("H-{n}"),
            site: SiteId(site),
            people: People(people),
            stretcher_cases: People(0),
            tier: Tier::new(tier).expect("a tier from 1 to 3"),
            ready: Seconds::from_minutes(ready_min),
        }
    }

    /// Two pickup sites (0, 1), a depot (2), a destination (3); six households.
    fn scenario() -> Scenario {
        Scenario {
            name: "waits".into(),
            clock: None,
            sites: vec![
                site("A", SiteKind::Pickup),
                site("B", SiteKind::Pickup),
                site("Depot", SiteKind::Depot),
                site("Shelter", SiteKind::Destination(Destination::default())),
            ],
            households: vec![
                household(0, 0, 4, 1, 0),  // tier 1, ready at 0
                household(1, 0, 1, 1, 30), // tier 1, ready at 30 min
                household(2, 1, 5, 3, 0),  // tier 3, ready at 0
                household(3, 1, 2, 3, 60), // tier 3, ready at 1 h
                household(4, 1, 3, 3, 0),  // tier 3, ready at 0
                household(5, 0, 6, 2, 0),  // tier 2: left behind
            ],
            vehicle_types: vec![VehicleType {
                name: "bus".into(),
                seats: People(50),
                stretchers: People(0),
                boarding_per_person: Seconds(10),
                stop_time: Seconds::from_minutes(2),
                unloading_per_person: Seconds(5),
                travel_time_factor: 1.0,
            }],
            vehicles: vec![Vehicle {
                name: "bus-1".into(),
                vehicle_type: VehicleTypeId(0),
                depot: SiteId(2),
                available_from: Seconds::ZERO,
                available_until: Seconds::from_hours(24),
                return_depot: None,
                serves: None,
                timetable: None,
            }],
            corridors: vec![],
            deals: vec![],
            travel: TravelMatrix::unreachable(4),
            planning: Default::default(),
        }
    }

    fn stop(site: u32, loading_min: i64, households: &[u32]) -> Stop {
        Stop {
            site: SiteId(site),
            arrives: Seconds::from_minutes(loading_min),
            loading_starts: Seconds::from_minutes(loading_min),
            departs: Seconds::from_minutes(loading_min + 5),
            households: households.iter().map(|&h| HouseholdId(h)).collect(),
        }
    }

    fn trip(stops: Vec<Stop>) -> Trip {
        Trip {
            departs: Seconds::ZERO,
            stops,
            crossing: None,
            destination: SiteId(3),
            arrives: Seconds::from_hours(5),
            unloaded: Seconds::from_hours(5),
        }
    }

    fn plan() -> Plan {
        Plan {
            routes: vec![VehicleRoute {
                vehicle: VehicleId(0),
                trips: vec![
                    // Loading at A at 40 min: households 0 (waits 40 min) and 1 (10 min).
                    // Then at B at 70 min: household 2 (70 min) and 3 (10 min).
                    trip(vec![stop(0, 40, &[0, 1]), stop(1, 70, &[2, 3])]),
                    // Later, B again at 190 min: household 4 (190 min).
                    trip(vec![stop(1, 190, &[4])]),
                ],
                returns_at: None,
            }],
            uncarried: vec![Uncarried {
                household: HouseholdId(5),
                reason: "no room".into(),
            }],
        }
    }

    #[test]
    fn waits_are_counted_per_person_by_tier() {
        let w = Waits::of(&scenario(), &plan());
        let t1 = w.tier(Tier::CRITICAL);
        assert_eq!(t1.people, People(5));
        assert_eq!(t1.households, 2);
        // (4 × 40 + 1 × 10) / 5 = 34 min.
        assert_eq!(t1.mean, 34.0 * 60.0);
        // 90 % of 5 people is 4.5: the 5th person, who waited 40 min.
        assert_eq!(t1.p90, Seconds::from_minutes(40));
        assert_eq!(t1.max, Seconds::from_minutes(40));

        // The tier-2 household is left behind: no waits.
        assert_eq!(*w.tier(Tier::VULNERABLE), WaitSummary::default());

        let t3 = w.tier(Tier::GENERAL);
        assert_eq!(t3.people, People(10));
        assert_eq!(t3.households, 3);
        // (5 × 70 + 2 × 10 + 3 × 190) / 10 = 94 min.
        assert_eq!(t3.mean, 94.0 * 60.0);
        // Sorted: 2 people at 10 min, 5 at 70, 3 at 190; the 9th person waited 190 min.
        assert_eq!(t3.p90, Seconds::from_minutes(190));
        assert_eq!(t3.max, Seconds::from_minutes(190));

        let all = w.all;
        assert_eq!(all.people, People(15));
        assert_eq!(all.households, 5);
        // (170 + 940) min·people / 15 = 74 min.
        assert_eq!(all.mean, 74.0 * 60.0);
        // 13.5 of 15: 3 at 10, 4 at 40, 5 at 70 make 12; the 13th waited 190 min.
        assert_eq!(all.p90, Seconds::from_minutes(190));
        assert_eq!(all.max, Seconds::from_minutes(190));
    }

    #[test]
    fn the_p90_is_the_wait_nine_in_ten_people_did_not_exceed() {
        let mut w = vec![
            (Seconds(100), People(9)),
            (Seconds(5000), People(1)),
            (Seconds(0), People(0)),
        ];
        let s = summarise(&mut w);
        // 9 of 10 people waited 100 s: that is 90 %, so the P90 is 100 s.
        assert_eq!(s.p90, Seconds(100));
        assert_eq!(s.max, Seconds(5000));
        assert_eq!(s.mean, 590.0);
        assert_eq!(s.households, 3);
    }

    #[test]
    fn a_stop_that_loads_before_anyone_is_ready_counts_no_wait() {
        let s = scenario();
        let mut p = plan();
        // Household 3 is ready at 60 min; pretend loading started at 20 min.
        p.routes[0].trips[0].stops[1].loading_starts = Seconds::from_minutes(20);
        let w = Waits::of(&s, &p);
        // Household 3 now waits 0, household 2 waits 20 min.
        let t3 = w.tier(Tier::GENERAL);
        assert_eq!(t3.mean, (5.0 * 20.0 + 3.0 * 190.0) / 10.0 * 60.0);
    }

    #[test]
    fn nobody_picked_up_is_all_zero() {
        let w = Waits::of(&scenario(), &Plan::default());
        assert_eq!(w, Waits::default());
    }
}
