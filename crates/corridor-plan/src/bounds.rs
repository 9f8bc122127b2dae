//! Lower bounds on the makespan, each valid for every plan that carries every
//! household (the argument is in each function's comment). Travel times may be
//! asymmetric and need not satisfy the triangle inequality, so every distance
//! used here is a shortest path over the sites, never a single matrix entry.

use std::collections::HashMap;

use corridor_core::{Scenario, Seconds, SiteId, SiteKind};

use crate::instance::{Instance, UNREACHABLE};

/// The bounds and their maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LowerBound {
    /// The best (largest) of the bounds below.
    pub value: Seconds,
    /// Latest earliest-possible arrival over households.
    pub earliest_arrival: Seconds,
    /// The fleet's work shared by the vehicles inside their shifts.
    pub fleet_work: Seconds,
    /// Checkpoint throughput inside the windows.
    pub corridor: Seconds,
    /// What a linked deal's other side must deliver first.
    pub deal: Seconds,
    /// Through hubs: the people who cannot go straight to a destination,
    /// processed at the hubs' rates and taken on by the vehicles that load there.
    pub hubs: Seconds,
}

/// Dense Dijkstra over all sites from `sources` (with start offsets), on a type's travel table.
pub(crate) fn dijkstra(n: usize, table: &[i64], sources: &[(usize, i64)], reverse: bool) -> Vec<i64> {
    let mut dist = vec![UNREACHABLE; n];
    let mut done = vec![false; n];
    for &(s, d) in sources {
        dist[s] = dist[s].min(d);
    }
    for _ in 0..n {
        let Some(u) = (0..n)
            .filter(|&i| !done[i] && dist[i] < UNREACHABLE)
            .min_by_key(|&i| dist[i])
        else {
            break;
        };
        done[u] = true;
        for w in 0..n {
            let edge = if reverse {
                table[w * n + u]
            } else {
                table[u * n + w]
            };
            if edge < UNREACHABLE && dist[u] + edge < dist[w] {
                dist[w] = dist[u] + edge;
            }
        }
    }
    dist
}

/// Computes every bound for a scenario.
pub fn lower_bound(s: &Scenario) -> LowerBound {
    if s.has_hubs() {
        // Every household's first leg ends no later than its journey: a bound
        // on the first legs (hubs as destinations) bounds the makespan; and
        // the onward legs have a bound of their own.
        let mut b = lower_bound(&crate::stages::first_legs(s, false));
        b.hubs = Seconds(crate::stages::onward_bound(s, |inst, hubs, people| {
            fleet_work(inst, false, Some((hubs, people)))
        }));
        b.value = b.value.max(b.hubs);
        return b;
    }
    let inst = Instance::new(s);
    let e = earliest_arrival(&inst);
    // The whole fleet for everyone, and the stretcher-capable vehicles for the stretcher cases.
    let f = fleet_work(&inst, false, None)
        .max(fleet_work(&inst, true, None))
        .max(seat_work(&inst));
    let c = corridor_throughput(&inst);
    let d = deal_term(&inst);
    LowerBound {
        value: Seconds(e.max(f).max(c).max(d)),
        earliest_arrival: Seconds(e),
        fleet_work: Seconds(f),
        corridor: Seconds(c),
        deal: Seconds(d),
        hubs: Seconds::ZERO,
    }
}

/// Every household is unloaded no earlier than if the best vehicle for it left
/// its depot at the start of its shift, drove the shortest path to the household,
/// boarded it alone (ready time respected), drove the shortest path (through
/// the checkpoint at the first window that fits, where one governs the site) to
/// the nearest destination that accepts it, and unloaded it alone. Sharing a
/// trip only adds stops and people; so the latest of these arrivals over all
/// households is a lower bound on the makespan.
fn earliest_arrival(inst: &Instance<'_>) -> i64 {
    let s = inst.s;
    let n = inst.n_sites;
    // Vehicles that start alike (class, depot, shift start) give the same
    // arrivals: each household is tried once per such group, not per vehicle.
    let mut groups: Vec<(usize, SiteId, i64)> = Vec::new();
    let group_of: Vec<usize> = s
        .vehicles
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let key = (inst.class[i], v.depot, v.available_from.0);
            groups.iter().position(|g| *g == key).unwrap_or_else(|| {
                groups.push(key);
                groups.len() - 1
            })
        })
        .collect();
    let mut allowed_sets: HashMap<&[SiteId], usize> = HashMap::new();
    let mut to_dests: HashMap<(usize, usize), Vec<i64>> = HashMap::new();
    let mut from_depot: HashMap<(usize, SiteId), Vec<i64>> = HashMap::new();
    let mut to_cp: HashMap<(usize, usize), Vec<i64>> = HashMap::new();
    let mut best = 0i64;
    let mut seen = vec![false; groups.len()];
    for (hi, h) in s.households.iter().enumerate() {
        let allowed = &inst.allowed_dest[hi];
        let next_id = allowed_sets.len();
        let allowed_id = *allowed_sets.entry(allowed.as_slice()).or_insert(next_id);
        let mut earliest = i64::MAX;
        seen.iter_mut().for_each(|x| *x = false);
        for &v in &inst.fits[hi] {
            let g = group_of[v.index()];
            if std::mem::replace(&mut seen[g], true) {
                continue;
            }
            let vehicle = s.vehicle(v);
            // By class: a vehicle's `serves` keeps it from the sites it leaves out.
            let ty = inst.class[v.index()];
            let vt = &s.vehicle_types[inst.class_type[ty]];
            let table = &inst.legs[ty];
            let fd = from_depot
                .entry((ty, vehicle.depot))
                .or_insert_with(|| dijkstra(n, table, &[(vehicle.depot.index(), 0)], false));
            if fd[h.site.index()] >= UNREACHABLE {
                continue;
            }
            let arrive = vehicle.available_from.0 + fd[h.site.index()];
            let depart = arrive.max(h.ready.0) + vt.boarding(h.people).0;
            let dests = to_dests.entry((ty, allowed_id)).or_insert_with(|| {
                let src: Vec<(usize, i64)> = allowed.iter().map(|d| (d.index(), 0)).collect();
                dijkstra(n, table, &src, true)
            });
            let reach = match inst.governed_by[h.site.index()] {
                None => depart.saturating_add(dests[h.site.index()]),
                Some(c) => {
                    let k = inst.corridor(c);
                    let tc = to_cp
                        .entry((ty, c))
                        .or_insert_with(|| dijkstra(n, table, &[(k.checkpoint.index(), 0)], true));
                    let q = depart.saturating_add(tc[h.site.index()]);
                    if q >= UNREACHABLE {
                        continue;
                    }
                    match inst.window_start(c, q) {
                        Some(start) => {
                            (start + k.processing.0).saturating_add(dests[k.checkpoint.index()])
                        }
                        None => continue,
                    }
                }
            };
            if reach >= UNREACHABLE {
                continue;
            }
            earliest = earliest.min(reach + vt.unloading(h.people).0);
        }
        if earliest < i64::MAX {
            best = best.max(earliest);
        }
    }
    best
}

/// The cheapest legs around every site, over the vehicle types in `types`,
/// on shortest paths: what the fleet-work and seat-hour bounds charge trips.
///
/// For trips that must end at some destinations only (`to`: those that accept
/// stretcher cases), the legs out go there, and the legs in come from there
/// or, after a trip of another kind, from another destination `d`: that trip
/// stopped at some pickup site and drove to `d`, so it is charged at least
/// the shortest way from any pickup site to `d` and two stops on top of the
/// leg from `d` (a Dijkstra with that offset at `d`).
struct Legs {
    /// From where a vehicle of these types starts, or from any destination.
    in_any: Vec<i64>,
    /// From any destination (where every trip but a vehicle's first starts).
    in_dest: Vec<i64>,
    /// To the nearest destination, through the site's checkpoint where one governs it.
    out: Vec<i64>,
    /// `out_to[k]`: the same, to `inst.destinations[k]`.
    out_to: Vec<Vec<i64>>,
    /// The fewest seconds of stops a trip makes (one pickup, one destination).
    stops: i64,
    /// The fewest seconds of boarding and unloading per person.
    per_person: i64,
}

impl Legs {
    fn new(inst: &Instance<'_>, types: &[usize], to: Option<&[SiteId]>) -> Legs {
        let s = inst.s;
        let n = inst.n_sites;
        let dests = &inst.destinations;
        let ends_at = |d: &SiteId| to.is_none_or(|t| t.contains(d));
        let pickups = s.sites_where(|k| matches!(k, SiteKind::Pickup));
        let mut legs = Legs {
            in_any: vec![UNREACHABLE; n],
            in_dest: vec![UNREACHABLE; n],
            out: vec![UNREACHABLE; n],
            out_to: vec![vec![UNREACHABLE; n]; dests.len()],
            stops: i64::MAX,
            per_person: i64::MAX,
        };
        let ends: Vec<(usize, i64)> = dests
            .iter()
            .filter(|d| ends_at(d))
            .map(|x| (x.index(), 0))
            .collect();
        for &ty in types {
            let t = &s.vehicle_types[inst.class_type[ty]];
            let table = &inst.legs[ty];
            // Where a trip of this kind sets out from: a destination it may end
            // at, or any other after a trip that got there (see above).
            let mut dsrc = ends.clone();
            if to.is_some() {
                let src: Vec<(usize, i64)> = pickups.iter().map(|p| (p.index(), 0)).collect();
                let from_pickups = dijkstra(n, table, &src, false);
                for d in dests.iter().filter(|d| !ends_at(d)) {
                    let reach = from_pickups[d.index()];
                    if reach < UNREACHABLE {
                        dsrc.push((d.index(), reach + 2 * t.stop_time.0));
                    }
                }
            }
            // A vehicle starts where the scenario puts it: its depot, or (re-planning) any site.
            let mut starts = dsrc.clone();
            starts.extend(
                s.vehicles
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| inst.class[*i] == ty)
                    .map(|(_, v)| (v.depot.index(), 0)),
            );
            let to_cp: Vec<Vec<i64>> = s
                .corridors
                .iter()
                .map(|c| dijkstra(n, table, &[(c.checkpoint.index(), 0)], true))
                .collect();
            // `to` a destination from each site, through its checkpoint where one governs it.
            let through = |to: &[i64]| -> Vec<i64> {
                (0..n)
                    .map(|i| match inst.governed_by[i] {
                        None => to[i],
                        Some(c) => {
                            let k = inst.corridor(c);
                            to_cp[c][i]
                                .saturating_add(k.processing.0)
                                .saturating_add(to[k.checkpoint.index()])
                        }
                    })
                    .collect()
            };
            let fin = dijkstra(n, table, &starts, false);
            let from_dests = dijkstra(n, table, &dsrc, false);
            let out = through(&dijkstra(n, table, &ends, true));
            for i in 0..n {
                legs.in_any[i] = legs.in_any[i].min(fin[i]);
                legs.in_dest[i] = legs.in_dest[i].min(from_dests[i]);
                legs.out[i] = legs.out[i].min(out[i]);
            }
            for (k, d) in dests.iter().enumerate().filter(|(_, d)| ends_at(d)) {
                let out_k = through(&dijkstra(n, table, &[(d.index(), 0)], true));
                for i in 0..n {
                    legs.out_to[k][i] = legs.out_to[k][i].min(out_k[i]);
                }
            }
            legs.stops = legs.stops.min(2 * t.stop_time.0);
            legs.per_person = legs
                .per_person
                .min(t.boarding_per_person.0 + t.unloading_per_person.0);
        }
        legs
    }
}

/// The largest load any vehicle can carry.
fn max_load(s: &Scenario) -> i64 {
    s.vehicle_types
        .iter()
        .map(|t| i64::from(t.seats.0) + i64::from(t.stretchers.0))
        .max()
        .unwrap_or(1)
        .max(1)
}

/// Carrying everyone takes at least `L = ceil(people / largest load)` trips. Each
/// trip drives into its first pickup (from a destination, except at most one
/// first trip per vehicle, which may come from its depot), stops there,
/// drives on to a destination and stops again; every person boards and is
/// unloaded once. Charging each trip the cheapest such legs over all vehicle
/// types and sites, and each person the cheapest boarding and unloading, gives
/// a total work `W` that the fleet must do between the start of each vehicle's
/// shift and the makespan `T`: `Σ_v (min(T, until_v) − from_v)⁺ ≥ W`. The
/// smallest such `T` is a bound. Where no trip can visit two pickup sites (every
/// pickup-to-pickup pair unreachable), each site's people need their own
/// `ceil(P_s / largest load)` trips, charged that site's own legs. The same
/// argument holds for the stretcher cases alone, which only vehicles with
/// stretcher slots can carry (at most their slots per trip, and, since a
/// household rides whole, their companions at most the seats per trip, and
/// every one of them boards and is unloaded by those vehicles), each such trip
/// ending at a destination that a stretcher household may go to (its legs in
/// as [`Legs`] says), sharing only those vehicles' time: both bounds are
/// computed and the larger kept.
fn fleet_work(inst: &Instance<'_>, stretcher_only: bool, only: Option<(&[SiteId], i64)>) -> i64 {
    let s = inst.s;
    let n = inst.n_sites;
    // The vehicle types (and so vehicles) that can do this work, and what a trip carries at most.
    // (Classes of vehicles: a type with one `serves`.)
    let types: Vec<usize> = (0..inst.class_type.len())
        .filter(|&c| !stretcher_only || s.vehicle_types[inst.class_type[c]].stretchers.0 > 0)
        .collect();
    let units = |h: &corridor_core::Household| {
        i64::from(if stretcher_only {
            h.stretcher_cases.0
        } else {
            h.people.0
        })
    };
    let cmax = types
        .iter()
        .map(|&t| {
            let vt = &s.vehicle_types[inst.class_type[t]];
            i64::from(if stretcher_only {
                vt.stretchers.0
            } else {
                vt.seats.0 + vt.stretchers.0
            })
        })
        .max()
        .unwrap_or(0);
    let in_scope =
        |h: &&corridor_core::Household| only.is_none_or(|(sites, _)| sites.contains(&h.site));
    let all: i64 = s.households.iter().filter(in_scope).map(units).sum();
    // With a cap, only that many of the people in scope need carrying: which
    // ones is not known, so every trip is charged the cheapest site's legs.
    let total = only.map_or(all, |(_, cap)| all.min(cap));
    let partial = total < all;
    if total == 0 || cmax == 0 {
        return 0;
    }
    let pickups = s.sites_where(|k| matches!(k, SiteKind::Pickup));
    // Trips with stretcher cases end where some stretcher household may go.
    let stretcher_dests: Vec<SiteId> = inst
        .destinations
        .iter()
        .copied()
        .filter(|d| {
            s.households
                .iter()
                .enumerate()
                .any(|(hi, h)| h.stretcher_cases.0 > 0 && inst.allowed_dest[hi].contains(d))
        })
        .collect();
    let legs = Legs::new(inst, &types, stretcher_only.then_some(&stretcher_dests[..]));
    let (in_leg, in_from_dest, out_leg) = (&legs.in_any, &legs.in_dest, &legs.out);
    let (stops, per_person) = (legs.stops, legs.per_person);
    let mut site_people = vec![0i64; n];
    // A stretcher household rides whole: its seated members fill the same vehicles' seats.
    let mut site_seated = vec![0i64; n];
    let seats_max = types
        .iter()
        .map(|&t| i64::from(s.vehicle_types[inst.class_type[t]].seats.0))
        .max()
        .unwrap_or(0);
    let trips_for = |units: i64, seated: i64| -> i64 {
        let by_units = (units + cmax - 1) / cmax;
        let by_seats = if stretcher_only && seated > 0 {
            if seats_max == 0 {
                i64::MAX / 4
            } else {
                (seated + seats_max - 1) / seats_max
            }
        } else {
            0
        };
        by_units.max(by_seats)
    };
    for h in s.households.iter().filter(in_scope) {
        site_people[h.site.index()] += units(h);
        if stretcher_only && h.stretcher_cases.0 > 0 {
            site_seated[h.site.index()] += i64::from(h.seated().0);
        }
    }
    let single_site_trips = !partial
        && pickups.iter().all(|&a| {
            pickups
                .iter()
                .all(|&b| a == b || s.travel.get(a, b).is_none())
        });
    let fleet: Vec<&corridor_core::Vehicle> = s
        .vehicles
        .iter()
        .enumerate()
        .filter(|(i, _)| types.contains(&inst.class[*i]))
        .map(|(_, v)| v)
        .collect();
    let first_trips = fleet.len() as i64;
    let inhabited: Vec<usize> = pickups
        .iter()
        .map(|p| p.index())
        .filter(|&i| site_people[i] > 0)
        .collect();
    if inhabited
        .iter()
        .any(|&i| in_leg[i] >= UNREACHABLE || out_leg[i] >= UNREACHABLE)
    {
        return 0;
    }
    // Σ of in-legs: each trip from a destination, except at most one first trip
    // per vehicle, which may instead come from a depot (saving at most `saving`).
    let saving = inhabited
        .iter()
        .map(|&i| in_from_dest[i].min(UNREACHABLE) - in_leg[i])
        .max()
        .unwrap_or(0);
    // A stretcher household rides whole, so its companions board and are
    // unloaded by the same vehicles.
    let companions: i64 = site_seated.iter().sum();
    let mut work = (total + companions) * per_person;
    if single_site_trips {
        let (mut legs, mut cheap_in, mut from_dest) = (0i64, 0i64, 0i64);
        for &i in &inhabited {
            let trips = trips_for(site_people[i], site_seated[i]);
            legs += trips * (out_leg[i] + stops);
            cheap_in += trips * in_leg[i];
            from_dest += trips * in_from_dest[i].min(UNREACHABLE);
        }
        work += legs + cheap_in.max(from_dest.saturating_sub(first_trips * saving));
    } else {
        let min_in = inhabited.iter().map(|&i| in_leg[i]).min().unwrap_or(0);
        let min_in_dest = inhabited
            .iter()
            .map(|&i| in_from_dest[i])
            .min()
            .unwrap_or(0)
            .min(UNREACHABLE);
        let min_out = inhabited.iter().map(|&i| out_leg[i]).min().unwrap_or(0);
        let seated = if partial { 0 } else { site_seated.iter().sum() };
        let trips = trips_for(total, seated);
        let later = (trips - first_trips).max(0);
        let cheapest = trips * (min_out + stops) + later * min_in_dest + (trips - later) * min_in;
        // Every site a trip visits costs it at least that site's way in (from
        // a destination) and way out, so a trip costs at least the dearest
        // site it visits. With people sorted by their site's cost, dearest
        // first, the j-th dearest trip is dearer than the person at position
        // j × (largest load): summing those is a bound (for a partial count,
        // over the cheapest people that could make it up). First trips may
        // come from a depot instead, saving at most `saving` each.
        let mut by_cost: Vec<(i64, i64)> = inhabited
            .iter()
            .map(|&i| {
                (
                    in_from_dest[i].min(UNREACHABLE) + out_leg[i],
                    site_people[i],
                )
            })
            .collect();
        by_cost.sort_unstable();
        let mut left = total;
        let mut chosen: Vec<(i64, i64)> = Vec::new();
        for (c, p) in by_cost {
            if left == 0 {
                break;
            }
            let take = p.min(left);
            chosen.push((c, take));
            left -= take;
        }
        chosen.reverse();
        let (mut dearest_first, mut position, mut next_trip_at) = (0i64, 0i64, 0i64);
        let mut counted = 0i64;
        for &(c, p) in &chosen {
            while next_trip_at < position + p && counted < trips {
                dearest_first = dearest_first.saturating_add(c);
                counted += 1;
                next_trip_at += cmax;
            }
            position += p;
        }
        // Trips beyond what the people need (seats for companions) cost at least the cheapest site.
        let cheapest_site = chosen.last().map_or(0, |&(c, _)| c);
        dearest_first = dearest_first.saturating_add((trips - counted).max(0) * cheapest_site);
        let by_site = dearest_first + trips * stops - trips.min(first_trips) * saving;
        work += cheapest.max(by_site);
        if !partial && trips >= first_trips {
            work += shared_trip_stops(&site_people, total, cmax, trips, stops);
        }
    }
    // Smallest T with Σ_v clamp(T) ≥ work, by bisection on T.
    let supply = |t: i64| -> i64 {
        fleet
            .iter()
            .map(|v| (t.min(v.available_until.0) - v.available_from.0).max(0))
            .fold(0i64, |a, b| a.saturating_add(b))
    };
    let (mut lo, mut hi) = (0i64, 1i64 << 40);
    if supply(hi) < work {
        return 0;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if supply(mid) >= work {
            hi = mid
        } else {
            lo = mid + 1
        }
    }
    lo
}

/// Stops that trips must make beyond one pickup each, in seconds (`stops` is
/// a trip's two stops, so one stop is half of it). A site whose `units` are
/// not a multiple of the most a trip carries (`cmax`) has a trip that carries
/// some of its units and is either not full or takes units from another site
/// too (were all its trips full of its units alone, their count would divide
/// it). With `T` trips at most `cmax·T − total` are not full, so at least
/// `o − (cmax·T − total)` such sites, of `o`, share a trip with another site,
/// and a trip taking units from `j ≥ 2` sites makes `j − 1 ≥ j / 2` stops
/// beyond its first: at least half that many extra stops. A plan may use more
/// trips than the fewest, `trips`, to avoid them; once every vehicle has a
/// first trip (`trips` at least the fleet) each one more adds at least its two
/// stops to both fleet-work sums, so the least over `T ≥ trips` of those
/// stops plus the extra stops is a bound on work the sums leave out.
fn shared_trip_stops(units: &[i64], total: i64, cmax: i64, trips: i64, stops: i64) -> i64 {
    let odd = units.iter().filter(|&&u| u > 0 && u % cmax != 0).count() as i64;
    let one_stop = stops / 2;
    let mut best = i64::MAX;
    let mut t = trips;
    loop {
        let shared = (odd - (cmax * t - total)).max(0);
        let cost = (t - trips) * stops + one_stop * ((shared + 1) / 2);
        best = best.min(cost);
        if shared == 0 {
            break;
        }
        t += 1;
    }
    best
}

/// The fleet's seat-hours against the people-hours the operation needs, with
/// the destinations' room respected. A trip from site `s` to destination `d`
/// lasts at least `c(s, d)`: the shortest way in from a destination plus the
/// shortest way out to `d` (through the checkpoint where one governs `s`),
/// plus two stops. A trip carries at most `C_v` people, each of whom it costs
/// at least their own `c`, so `C_v × (trip time) ≥ Σ over its people of
/// (c + stop time × 2 + boarding and unloading)`. Summed over a vehicle's trips,
/// its seat-hours `C_v × (T − start)` cover its people's needs, after a first
/// trip that may come from the depot instead (saving at most `saving` each).
/// The people's `c` is smallest when they are sent where the room allows at
/// least cost: a transportation problem, solved exactly by successive
/// shortest paths. The smallest `T` with enough seat-hours is a bound.
/// The room is each destination's whole capacity: households without
/// stretcher cases may take less of it (the places reserved for stretcher
/// cases are not theirs), so every plan's destinations are also a solution
/// here and the least cost stays a lower bound. (A destination that reserves
/// every place is not among theirs at all: [`Instance::allowed_dest`].)
fn seat_work(inst: &Instance<'_>) -> i64 {
    let s = inst.s;
    let dests = &inst.destinations;
    if s.households.is_empty() || dests.is_empty() {
        return 0;
    }
    let all_types: Vec<usize> = (0..inst.class_type.len()).collect();
    let legs = Legs::new(inst, &all_types, None);
    let (in_dest, in_any, out) = (&legs.in_dest, &legs.in_any, &legs.out_to);
    let (stops, per_person) = (legs.stops, legs.per_person);
    // Groups of people with the same site and the same accepting destinations.
    let mut groups: Vec<(usize, Vec<usize>, i64)> = Vec::new();
    for (hi, h) in s.households.iter().enumerate() {
        let allowed: Vec<usize> = (0..dests.len())
            .filter(|&k| inst.allowed_dest[hi].contains(&dests[k]))
            .collect();
        let site = h.site.index();
        match groups.iter_mut().find(|g| g.0 == site && g.1 == allowed) {
            Some(g) => g.2 += i64::from(h.people.0),
            None => groups.push((site, allowed, i64::from(h.people.0))),
        }
    }
    let room: Vec<i64> = dests.iter().map(|d| inst.capacity[d.index()]).collect();
    let Some(transport) = transport_cost(&groups, &room, |g, k| {
        let site = groups[g].0;
        in_dest[site].min(UNREACHABLE).saturating_add(out[k][site])
    }) else {
        return 0;
    };
    let people: i64 = groups.iter().map(|g| g.2).sum();
    let need = transport.saturating_add(people.saturating_mul(stops + per_person));
    let saving = groups
        .iter()
        .map(|g| in_dest[g.0].min(UNREACHABLE) - in_any[g.0].min(UNREACHABLE))
        .max()
        .unwrap_or(0)
        .max(0);
    let seats = |v: &corridor_core::Vehicle| {
        let t = &s.vehicle_types[v.vehicle_type.index()];
        i64::from(t.seats.0) + i64::from(t.stretchers.0)
    };
    let supply = |t: i64| -> i64 {
        s.vehicles
            .iter()
            .map(|v| {
                let hours = (t.min(v.available_until.0) - v.available_from.0).max(0);
                seats(v).saturating_mul(if hours > 0 { hours + saving } else { 0 })
            })
            .fold(0i64, |a, b| a.saturating_add(b))
    };
    let (mut lo, mut hi) = (0i64, 1i64 << 40);
    if supply(hi) < need {
        return 0;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if supply(mid) >= need {
            hi = mid
        } else {
            lo = mid + 1
        }
    }
    lo
}

/// The least total cost of sending every group's people to destinations
/// within their room (`cost(group, destination)` per person), by successive
/// shortest paths on the residual network; `None` when they do not fit.
fn transport_cost(
    groups: &[(usize, Vec<usize>, i64)],
    room: &[i64],
    cost: impl Fn(usize, usize) -> i64,
) -> Option<i64> {
    let (ng, nd) = (groups.len(), room.len());
    // flow[g][k]: people of group g sent to destination k.
    let mut flow = vec![vec![0i64; nd]; ng];
    let mut left: Vec<i64> = groups.iter().map(|g| g.2).collect();
    let mut free = room.to_vec();
    let c = |g: usize, k: usize| -> Option<i64> {
        groups[g]
            .1
            .contains(&k)
            .then(|| cost(g, k))
            .filter(|&x| x < UNREACHABLE)
    };
    let mut total = 0i64;
    // Groups one at a time: each augmenting path starts at the group and may
    // reroute earlier groups through destination → group → destination steps.
    for g0 in 0..ng {
        while left[g0] > 0 {
            // Bellman-Ford over destinations: dist[k] = cheapest way to put one
            // more person of g0 into destination k (moving others along).
            let mut dist = vec![i64::MAX; nd];
            let mut via: Vec<Option<(usize, usize)>> = vec![None; nd];
            for k in 0..nd {
                if let Some(x) = c(g0, k) {
                    dist[k] = x;
                }
            }
            for _ in 0..nd {
                let mut changed = false;
                for k in 0..nd {
                    if dist[k] == i64::MAX {
                        continue;
                    }
                    // Move a person of some group g from destination j to k... as a residual step
                    // k ← j: someone at k (group g) moves to j instead.
                    for g in 0..ng {
                        if flow[g][k] == 0 {
                            continue;
                        }
                        let Some(ck) = c(g, k) else { continue };
                        for j in 0..nd {
                            if j == k {
                                continue;
                            }
                            let Some(cj) = c(g, j) else { continue };
                            let d = dist[k] - ck + cj;
                            if d < dist[j] {
                                dist[j] = d;
                                via[j] = Some((g, k));
                                changed = true;
                            }
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            // The cheapest destination with room ends the path.
            let end = (0..nd)
                .filter(|&k| free[k] > 0 && dist[k] < i64::MAX)
                .min_by_key(|&k| (dist[k], k))?;
            // How much can travel along the path.
            let mut amount = left[g0].min(free[end]);
            let mut k = end;
            while let Some((g, from)) = via[k] {
                amount = amount.min(flow[g][from]);
                k = from;
            }
            // Apply it.
            let mut k = end;
            while let Some((g, from)) = via[k] {
                flow[g][k] += amount;
                flow[g][from] -= amount;
                k = from;
            }
            flow[g0][k] += amount;
            free[end] -= amount;
            left[g0] -= amount;
            total = total.saturating_add(amount.saturating_mul(dist[end]));
        }
    }
    Some(total)
}

/// Under a ratio deal, group A's last delivery brings A to all its `P_A`
/// people, which the rule allows only once B has delivered at least
/// `B* = min { b : ⌊ratio·b⌋ + slack ≥ P_A }`. So the makespan is no earlier
/// than the time the fleet needs to deliver any `B*` people of group B, which
/// the fleet-work argument bounds (charging every trip the cheapest legs of
/// B's sites, since which people go first is not known).
fn deal_term(inst: &Instance<'_>) -> i64 {
    let s = inst.s;
    let people = |group: &[SiteId]| -> i64 {
        s.households
            .iter()
            .filter(|h| group.contains(&h.site))
            .map(|h| i64::from(h.people.0))
            .sum()
    };
    let mut best = 0;
    for deal in &s.deals {
        let Some(r) = deal.ratio else { continue };
        let (pa, pb) = (people(&deal.group_a), people(&deal.group_b));
        let slack = i64::from(deal.slack.0);
        if pa <= slack || r <= 0.0 {
            continue;
        }
        let allows = |b: i64| (r * b as f64).floor() as i64 + slack >= pa;
        let mut b = ((pa - slack) as f64 / r).ceil().max(0.0) as i64;
        while b > 0 && allows(b - 1) {
            b -= 1;
        }
        while b <= pb && !allows(b) {
            b += 1;
        }
        // More than B has: not everyone can be carried, and no bound is claimed.
        if b == 0 || b > pb {
            continue;
        }
        best = best.max(fleet_work(inst, false, Some((&deal.group_b, b))));
    }
    best
}

/// The fewest trips that carry `people`, `stretcher_cases` of them lying down
/// (see [`corridor_throughput`] for the argument).
fn min_crossings(s: &Scenario, people: i64, stretcher_cases: i64, cmax: i64) -> i64 {
    let plain = (people + cmax - 1) / cmax;
    let slots = s
        .vehicle_types
        .iter()
        .map(|t| i64::from(t.stretchers.0))
        .max()
        .unwrap_or(0);
    if stretcher_cases == 0 || slots == 0 {
        return plain;
    }
    let c_s = s
        .vehicle_types
        .iter()
        .filter(|t| t.stretchers.0 > 0)
        .map(|t| i64::from(t.seats.0) + i64::from(t.stretchers.0))
        .max()
        .unwrap_or(0);
    if c_s > cmax {
        return plain;
    }
    let with_stretchers = (stretcher_cases + slots - 1) / slots;
    let rest = (people - with_stretchers * c_s).max(0);
    plain.max(with_stretchers + (rest + cmax - 1) / cmax)
}

/// Every trip with people from a governed site crosses that site's checkpoint,
/// and a trip carries at most the largest load: at least
/// `ceil(people governed / largest load)` crossings, each holding a lane for the
/// processing time inside an open window. Stretcher cases tighten the count:
/// they need at least `S = ceil(stretcher cases / most slots)` crossings by
/// vehicles with slots, each carrying at most `c_s` people (the largest load
/// of such a type). With `k ≥ S` of those and buses carrying at most `c`, the
/// crossings number at least `k + ceil((P − k·c_s)⁺ / c)`, which does not
/// decrease in `k` when `c_s ≤ c`, so `k = S` gives the bound. The last of them cannot end before
/// the time `T_c` at which the windows have offered that much lane time, and
/// its people still have to reach the nearest destination and be unloaded.
fn corridor_throughput(inst: &Instance<'_>) -> i64 {
    let s = inst.s;
    let cmax = max_load(s);
    let mut best = 0;
    for (c, k) in s.corridors.iter().enumerate() {
        let governed: i64 = s
            .households
            .iter()
            .filter(|h| inst.governed_by[h.site.index()] == Some(c))
            .map(|h| i64::from(h.people.0))
            .sum();
        if governed == 0 || k.processing.0 == 0 {
            continue;
        }
        let stretcher_cases: i64 = s
            .households
            .iter()
            .filter(|h| inst.governed_by[h.site.index()] == Some(c))
            .map(|h| i64::from(h.stretcher_cases.0))
            .sum();
        let crossings = min_crossings(s, governed, stretcher_cases, cmax);
        let need = crossings * k.processing.0;
        let lanes = i64::from(k.lanes);
        let mut offered = 0i64;
        let mut t_c = None;
        for w in &k.windows {
            // Only whole crossings fit: each lane serves floor(length / processing) of them.
            let per_lane = (w.end.0.saturating_sub(w.start.0)) / k.processing.0;
            let here = per_lane
                .saturating_mul(lanes)
                .saturating_mul(k.processing.0);
            if offered + here >= need {
                let remaining_crossings = (need - offered) / k.processing.0;
                let rounds = (remaining_crossings + lanes - 1) / lanes;
                t_c = Some(w.start.0 + rounds * k.processing.0);
                break;
            }
            offered += here;
        }
        let Some(t_c) = t_c else { continue };
        let onward = inst
            .class_type
            .iter()
            .enumerate()
            .map(|(c, &ty)| {
                let t = &s.vehicle_types[ty];
                let src: Vec<(usize, i64)> =
                    inst.destinations.iter().map(|d| (d.index(), 0)).collect();
                let d = dijkstra(inst.n_sites, &inst.legs[c], &src, true)[k.checkpoint.index()];
                d.saturating_add(t.stop_time.0 + t.unloading_per_person.0)
            })
            .min()
            .unwrap_or(0);
        if onward < UNREACHABLE {
            best = best.max(t_c + onward);
        }
    }
    best
}
