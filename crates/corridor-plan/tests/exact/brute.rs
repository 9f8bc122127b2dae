//! A second, naive search for the structured model, to check the dynamic
//! program of `solver.rs`: every assignment of households to (vehicle, trip),
//! every order of each trip's pickup sites and every destination of each trip,
//! timed from scratch. Base model only (no corridor).

use corridor_core::{Scenario, SiteId, SiteKind, VehicleId};

/// The structured model's optimal makespan by plain enumeration; `None` when nobody can carry everyone.
pub(crate) fn brute_force(s: &Scenario) -> Option<i64> {
    assert!(s.corridors.is_empty() && s.deals.is_empty());
    let mut b = Brute {
        s,
        trips: vec![Vec::new(); s.vehicles.len()],
        best: None,
    };
    b.assign(0);
    b.best
}

struct Brute<'a> {
    s: &'a Scenario,
    /// Per vehicle, its trips in order, each a list of household indices.
    trips: Vec<Vec<Vec<usize>>>,
    best: Option<i64>,
}

impl Brute<'_> {
    /// Places household `h` (and the rest after it) in every possible trip.
    fn assign(&mut self, h: usize) {
        if h == self.s.households.len() {
            self.choose();
            return;
        }
        for v in 0..self.trips.len() {
            for t in 0..self.trips[v].len() {
                self.trips[v][t].push(h);
                self.assign(h + 1);
                self.trips[v][t].pop();
            }
            for pos in 0..=self.trips[v].len() {
                self.trips[v].insert(pos, vec![h]);
                self.assign(h + 1);
                self.trips[v].remove(pos);
            }
        }
    }

    /// Every (site order, destination) per trip, for the current assignment.
    fn choose(&mut self) {
        // Trips as (vehicle, households, sites in first-seen order).
        let mut all: Vec<(usize, Vec<usize>, Vec<usize>)> = Vec::new();
        for (v, trips) in self.trips.iter().enumerate() {
            let vt = self.s.vehicle_type_of(VehicleId(v as u32));
            for t in trips {
                let seated: u32 = t.iter().map(|&h| self.s.households[h].seated().0).sum();
                let stretcher: u32 = t
                    .iter()
                    .map(|&h| self.s.households[h].stretcher_cases.0)
                    .sum();
                if seated > vt.seats.0 || stretcher > vt.stretchers.0 {
                    return;
                }
                let mut sites: Vec<usize> = Vec::new();
                for &h in t {
                    let site = self.s.households[h].site.index();
                    if !sites.contains(&site) {
                        sites.push(site);
                    }
                }
                all.push((v, t.clone(), sites));
            }
        }
        let dests: Vec<usize> = (0..self.s.sites.len())
            .filter(|&i| matches!(self.s.sites[i].kind, SiteKind::Destination(_)))
            .collect();
        // Per trip, the list of (site order, destination) choices.
        let choices: Vec<Vec<(Vec<usize>, usize)>> = all
            .iter()
            .map(|(_, hs, sites)| {
                let mut out = Vec::new();
                for order in orders(sites) {
                    for &d in &dests {
                        if hs.iter().all(|&h| {
                            self.s
                                .destination_accepts(SiteId(d as u32), &self.s.households[h])
                        }) {
                            out.push((order.clone(), d));
                        }
                    }
                }
                out
            })
            .collect();
        let mut pick = vec![0usize; all.len()];
        loop {
            if choices.iter().all(|c| !c.is_empty()) {
                self.evaluate(&all, &choices, &pick);
            } else {
                return;
            }
            // Next combination.
            let mut k = 0;
            loop {
                if k == pick.len() {
                    return;
                }
                pick[k] += 1;
                if pick[k] < choices[k].len() {
                    break;
                }
                pick[k] = 0;
                k += 1;
            }
        }
    }

    fn evaluate(
        &mut self,
        all: &[(usize, Vec<usize>, Vec<usize>)],
        choices: &[Vec<(Vec<usize>, usize)>],
        pick: &[usize],
    ) {
        let s = self.s;
        let mut delivered = vec![0u32; s.sites.len()];
        let mut makespan = 0i64;
        let mut k = 0;
        for (v, trips) in self.trips.iter().enumerate() {
            let vid = VehicleId(v as u32);
            let vehicle = s.vehicle(vid);
            let vt = s.vehicle_type_of(vid);
            let leg = |a: usize, b: usize| {
                s.travel_for(vid, SiteId(a as u32), SiteId(b as u32))
                    .map(|t| t.0)
            };
            let mut at = vehicle.depot.index();
            let mut t = vehicle.available_from.0;
            for _ in trips {
                let (_, hs, _) = &all[k];
                let (order, d) = &choices[k][pick[k]];
                k += 1;
                for &site in order {
                    let Some(l) = leg(at, site) else { return };
                    let arrives = t + l;
                    let here: Vec<usize> = hs
                        .iter()
                        .copied()
                        .filter(|&h| s.households[h].site.index() == site)
                        .collect();
                    let ready = here
                        .iter()
                        .map(|&h| s.households[h].ready.0)
                        .max()
                        .unwrap_or(0);
                    let people: u32 = here.iter().map(|&h| s.households[h].people.0).sum();
                    t = arrives.max(ready)
                        + vt.stop_time.0
                        + vt.boarding_per_person.0 * i64::from(people);
                    at = site;
                }
                let Some(l) = leg(at, *d) else { return };
                let people: u32 = hs.iter().map(|&h| s.households[h].people.0).sum();
                t = t + l + vt.stop_time.0 + vt.unloading_per_person.0 * i64::from(people);
                delivered[*d] += people;
                at = *d;
                makespan = makespan.max(t);
                if t > vehicle.available_until.0 {
                    return;
                }
            }
            if !trips.is_empty()
                && let Some(r) = vehicle.return_depot
            {
                let Some(l) = leg(at, r.index()) else { return };
                if t + l > vehicle.available_until.0 {
                    return;
                }
            }
        }
        for (i, &p) in delivered.iter().enumerate() {
            if let Some(c) = s.destination(SiteId(i as u32)).and_then(|d| d.capacity)
                && p > c.0
            {
                return;
            }
        }
        if self.best.is_none_or(|b| makespan < b) {
            self.best = Some(makespan);
        }
    }
}

/// Every order of `xs`.
fn orders(xs: &[usize]) -> Vec<Vec<usize>> {
    if xs.len() <= 1 {
        return vec![xs.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..xs.len() {
        let mut rest = xs.to_vec();
        let x = rest.remove(i);
        for mut o in orders(&rest) {
            o.insert(0, x);
            out.push(o);
        }
    }
    out
}
