//! The first plan: households in priority order, each placed where it is
//! unloaded earliest (joining a vehicle's last trip, or as a new trip).

use corridor_core::{HouseholdId, SiteId, VehicleId};

use crate::instance::Instance;
use crate::route::time_load;
use crate::schedule::{Load, Pickup};
use crate::state::{State, corridor_compatible, fits_with, nearest_dest};

/// Why a household could not be placed, for the report.
pub(crate) fn reason_unplaceable(inst: &Instance<'_>, h: HouseholdId) -> String {
    if inst.fits[h.index()].is_empty() {
        "no vehicle can carry the household whole".into()
    } else if inst.allowed_dest[h.index()].is_empty() {
        "no destination accepts the household".into()
    } else {
        "no vehicle can carry it to a destination with room inside its shift".into()
    }
}

/// Households in the order they are placed: tier, then (within a tier) the
/// sites whose deliveries a deal's ratio waits for, then ready time and site.
pub(crate) fn priority_order(inst: &Instance<'_>) -> Vec<HouseholdId> {
    let s = inst.s;
    let unlocks = |site| {
        s.deals
            .iter()
            .any(|d| d.ratio.is_some() && d.group_b.contains(&site))
    };
    let mut order: Vec<HouseholdId> = (0..s.households.len() as u32).map(HouseholdId).collect();
    order.sort_by_key(|&h| {
        let hh = s.household(h);
        (
            hh.tier,
            !unlocks(hh.site),
            hh.ready,
            std::cmp::Reverse(hh.stretcher_cases),
            hh.site,
            std::cmp::Reverse(hh.people),
            h,
        )
    });
    order
}

/// Builds the first plan.
pub(crate) fn construct(inst: &Instance<'_>) -> State {
    let s = inst.s;
    let nv = s.vehicles.len();
    let mut st = State::empty(inst);
    // (time, place) before the last trip and at the end of each vehicle's route.
    let start: Vec<(i64, SiteId)> = (0..nv)
        .map(|v| (inst.from(VehicleId(v as u32)), s.vehicles[v].depot))
        .collect();
    let mut before_last = start.clone();
    let mut end = start;
    let mut scratch = Load {
        pickups: vec![],
        dest: SiteId(0),
    };
    let mut d = 0i64;

    for h in priority_order(inst) {
        let hh = s.household(h);
        let people = inst.people(h);
        // (completion, vehicle, join last trip?)
        let mut best: Option<(i64, usize, bool, SiteId)> = None;
        // Checkpoint crossings are scarce: at a governed site, fill trips that
        // already stop there before starting new ones.
        let fill_first = inst.governed_by[hh.site.index()].is_some();
        for pass in 0..2 {
            if pass == 1 && best.is_some() {
                break;
            }
            for &vid in &inst.fits[h.index()] {
                let v = vid.index();
                let until = inst.until(vid);
                let ret = |t: i64, at: SiteId| {
                    s.vehicles[v]
                        .return_depot
                        .map_or(0, |dp| inst.tt(vid, at, dp))
                        + t
                };
                if let Some(last) = st.a.routes[v].last()
                    && fits_with(inst, vid, Some(last), Some(h))
                    && inst.allowed_dest[h.index()].contains(&last.dest)
                    && st.dest_load[last.dest.index()] + people <= inst.capacity[last.dest.index()]
                {
                    let same_site = last.pickups.iter().any(|p| p.site == hh.site);
                    let near = last.pickups.len() < 4
                        && corridor_compatible(inst, last, hh.site)
                        && last
                            .pickups
                            .last()
                            .is_some_and(|p| inst.tt(vid, p.site, hh.site) <= 900);
                    if same_site || (near && !fill_first) {
                        scratch.clone_from(last);
                        match scratch.pickups.iter_mut().find(|p| p.site == hh.site) {
                            Some(p) => p.households.push(h),
                            None => scratch.pickups.push(Pickup {
                                site: hh.site,
                                households: vec![h],
                            }),
                        }
                        if let Some(done) = time_load(
                            inst,
                            vid,
                            before_last[v].0,
                            before_last[v].1,
                            &scratch,
                            &mut d,
                        ) && ret(done, scratch.dest) <= until
                            && best.is_none_or(|b| (done, v) < (b.0, b.1))
                        {
                            best = Some((done, v, true, last.dest));
                        }
                    }
                }
                if fill_first && pass == 0 {
                    continue;
                }
                if let Some(dest) = nearest_dest(inst, &st, vid, hh.site, h, people) {
                    scratch.pickups.clear();
                    scratch.pickups.push(Pickup {
                        site: hh.site,
                        households: vec![h],
                    });
                    scratch.dest = dest;
                    if let Some(done) = time_load(inst, vid, end[v].0, end[v].1, &scratch, &mut d)
                        && ret(done, dest) <= until
                        && best.is_none_or(|b| (done, v) < (b.0, b.1))
                    {
                        best = Some((done, v, false, dest));
                    }
                }
            }
        }
        let Some((done, v, join, dest)) = best else {
            st.uncarried.push(h);
            continue;
        };
        let route = &mut st.a.routes[v];
        if join {
            let last = route.last_mut().expect("joined trip exists");
            match last.pickups.iter_mut().find(|p| p.site == hh.site) {
                Some(p) => p.households.push(h),
                None => last.pickups.push(Pickup {
                    site: hh.site,
                    households: vec![h],
                }),
            }
        } else {
            before_last[v] = end[v];
            route.push(Load {
                pickups: vec![Pickup {
                    site: hh.site,
                    households: vec![h],
                }],
                dest,
            });
        }
        end[v] = (done, dest);
        st.dest_load[dest.index()] += people;
    }
    st.cost = st.full_cost(inst);
    st
}
