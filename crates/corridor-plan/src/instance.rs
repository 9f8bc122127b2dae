//! The scenario, precomputed for fast evaluation: per-type travel tables, compatibilities.

use crate::detours::{self, Detours};
use corridor_core::{Corridor, HouseholdId, Scenario, Seconds, SiteId, SiteKind, VehicleId};

/// Stands for "unreachable" in travel tables: large, but safe to add a few times.
pub(crate) const UNREACHABLE: i64 = i64::MAX / 16;

/// Read-only data the search evaluates against.
pub(crate) struct Instance<'a> {
    pub(crate) s: &'a Scenario,
    pub(crate) n_sites: usize,
    /// `travel[type][a * n + b]`, with the type's factor applied: the matrix's direct legs.
    pub(crate) travel: Vec<Vec<i64>>,
    /// Per vehicle, its class: vehicles of one type with the same `serves`
    /// share their legs.
    pub(crate) class: Vec<usize>,
    /// Per class, its vehicle type.
    pub(crate) class_type: Vec<usize>,
    /// The legs the search times, per class: `travel`, or shorter by way of
    /// empty stops (see [`crate::detours`]); unreachable into a pickup site, hub
    /// or destination the class's `serves` leaves out.
    pub(crate) legs: Vec<Vec<i64>>,
    /// Per class, the empty stops each shorter leg passes (None: every leg direct).
    pub(crate) detours: Vec<Option<Detours>>,
    /// Destination sites.
    pub(crate) destinations: Vec<SiteId>,
    /// For each household, the destinations that may receive it (for a
    /// household without stretcher cases, never one that reserves every place).
    pub(crate) allowed_dest: Vec<Vec<SiteId>>,
    /// For each household, the vehicles whose type can carry it whole.
    pub(crate) fits: Vec<Vec<VehicleId>>,
    /// For each site, the corridor governing it.
    pub(crate) governed_by: Vec<Option<usize>>,
    /// Capacity of each site as a destination (`i64::MAX` when unlimited or not a destination).
    pub(crate) capacity: Vec<i64>,
    /// Of each site's capacity as a destination, the places households without
    /// stretcher cases may take: the capacity less the places reserved for
    /// stretcher cases (`i64::MAX` when unlimited or not a destination).
    pub(crate) general_capacity: Vec<i64>,
    /// Whether vehicles interact (lanes, deals): then every evaluation schedules the whole fleet.
    pub(crate) coupled: bool,
    /// People in households with stretcher cases: room is kept for them.
    pub(crate) stretcher_need: i64,
    /// Destinations whose room is kept for stretcher cases: those that accept
    /// them and have a capacity (none when one that accepts them has no limit).
    pub(crate) keeps_room: Vec<bool>,
    /// Each household's position in the priority order (see [`crate::construct::priority_order`]).
    pub(crate) rank: Vec<u32>,
    /// What the plan minimises first after carrying everyone.
    pub(crate) objective: crate::Objective,
    /// Per household, the latest start of its loading that keeps its tier's
    /// `max_wait` (`i64::MAX` without a limit).
    pub(crate) load_by: Vec<i64>,
}

impl<'a> Instance<'a> {
    pub(crate) fn new(s: &'a Scenario) -> Instance<'a> {
        Instance::with_origins(s, None)
    }

    /// Like [`Instance::new`], judging a destination's `serves` on `origins`
    /// (per household, the site it first waited at) rather than on the
    /// household's site: onward legs from a hub.
    pub(crate) fn with_origins(s: &'a Scenario, origins: Option<&[SiteId]>) -> Instance<'a> {
        let n = s.sites.len();
        let travel: Vec<Vec<i64>> = s
            .vehicle_types
            .iter()
            .map(|t| {
                let mut m = vec![UNREACHABLE; n * n];
                for a in 0..n {
                    for b in 0..n {
                        if let Some(x) = s.travel.get(SiteId(a as u32), SiteId(b as u32)) {
                            m[a * n + b] = t.travel(x).0;
                        }
                    }
                }
                m
            })
            .collect();
        let passable: Vec<bool> = (0..n)
            .map(|i| {
                let site = SiteId(i as u32);
                matches!(s.site(site).kind, SiteKind::Pickup)
                    && s.corridor_governing(site).is_none()
            })
            .collect();
        let from_ok: Vec<bool> = s
            .sites
            .iter()
            .map(|x| !matches!(x.kind, SiteKind::Checkpoint))
            .collect();
        // (A return depot's leg follows the last trip, outside any trip's
        // stops: it stays direct whatever kind of site the depot is.)
        let to_ok: Vec<bool> = s
            .sites
            .iter()
            .enumerate()
            .map(|(i, x)| {
                matches!(x.kind, SiteKind::Pickup | SiteKind::Destination(_))
                    && !s
                        .vehicles
                        .iter()
                        .any(|v| v.return_depot == Some(SiteId(i as u32)))
            })
            .collect();
        let mut classes: Vec<(usize, Option<&Vec<SiteId>>)> = Vec::new();
        let class: Vec<usize> = s
            .vehicles
            .iter()
            .map(|v| {
                let key = (v.vehicle_type.index(), v.serves.as_ref());
                classes.iter().position(|c| *c == key).unwrap_or_else(|| {
                    classes.push(key);
                    classes.len() - 1
                })
            })
            .collect();
        let (legs, detours) = classes
            .iter()
            .map(|&(ty, serves)| {
                let mut direct = travel[ty].clone();
                if let Some(serves) = serves {
                    for b in 0..n {
                        let site = SiteId(b as u32);
                        let stop = matches!(
                            s.site(site).kind,
                            SiteKind::Pickup | SiteKind::Hub(_) | SiteKind::Destination(_)
                        );
                        if stop && !serves.contains(&site) {
                            for a in (0..n).filter(|&a| a != b) {
                                direct[a * n + b] = UNREACHABLE;
                            }
                        }
                    }
                }
                let t = &s.vehicle_types[ty];
                match detours::close(n, &direct, t.stop_time.0, &passable, &from_ok, &to_ok) {
                    Some((closed, d)) => (closed, Some(d)),
                    None => (direct, None),
                }
            })
            .unzip();
        let destinations = s.sites_where(|k| matches!(k, SiteKind::Destination(_)));
        // A destination that keeps every place for stretcher cases never takes
        // a household without one.
        let closed_to_others = |d: SiteId| {
            s.destination(d)
                .and_then(|x| x.general_places())
                .is_some_and(|g| g.0 == 0)
        };
        let allowed_dest = s
            .households
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let origin = origins.and_then(|o| o.get(i).copied()).unwrap_or(h.site);
                let judged = corridor_core::Household {
                    site: origin,
                    ..h.clone()
                };
                destinations
                    .iter()
                    .copied()
                    .filter(|&d| s.destination_accepts(d, &judged))
                    .filter(|&d| h.has_stretcher_cases() || !closed_to_others(d))
                    .collect()
            })
            .collect();
        let fits = s
            .households
            .iter()
            .map(|h| {
                (0..s.vehicles.len() as u32)
                    .map(VehicleId)
                    .filter(|&v| {
                        let t = s.vehicle_type_of(v);
                        t.seats >= h.seated() && t.stretchers >= h.stretcher_cases
                    })
                    .collect()
            })
            .collect();
        let governed_by = (0..n)
            .map(|i| s.corridor_governing(SiteId(i as u32)).map(|c| c.index()))
            .collect();
        let capacity = s
            .sites
            .iter()
            .map(|site| match &site.kind {
                SiteKind::Destination(d) => d.capacity.map_or(i64::MAX, |c| i64::from(c.0)),
                _ => i64::MAX,
            })
            .collect();
        let general_capacity = s
            .sites
            .iter()
            .map(|site| match &site.kind {
                SiteKind::Destination(d) => d.general_places().map_or(i64::MAX, |c| i64::from(c.0)),
                _ => i64::MAX,
            })
            .collect();
        let coupled = !s.deals.is_empty()
            || s.corridors
                .iter()
                .any(|c| c.processing.0 > 0 || c.convoy.is_some());
        let mut inst = Instance {
            s,
            n_sites: n,
            travel,
            class_type: classes.iter().map(|c| c.0).collect(),
            class,
            legs,
            detours,
            destinations,
            allowed_dest,
            fits,
            governed_by,
            capacity,
            general_capacity,
            coupled,
            rank: vec![],
            objective: s.planning.objective,
            load_by: s
                .households
                .iter()
                .map(|h| {
                    s.planning
                        .max_wait(h.tier)
                        .map_or(i64::MAX, |w| h.ready.0.saturating_add(w.0))
                })
                .collect(),
            stretcher_need: 0,
            keeps_room: vec![],
        };
        inst.stretcher_need = s
            .households
            .iter()
            .filter(|h| h.stretcher_cases.0 > 0)
            .map(|h| i64::from(h.people.0))
            .sum();
        let accepts = |x: &corridor_core::Site| matches!(&x.kind, SiteKind::Destination(d) if d.accepts_stretcher_cases);
        let unlimited = s
            .sites
            .iter()
            .enumerate()
            .any(|(i, x)| accepts(x) && inst.capacity[i] == i64::MAX);
        inst.keeps_room = s
            .sites
            .iter()
            .map(|x| !unlimited && inst.stretcher_need > 0 && accepts(x))
            .collect();
        let mut rank = vec![0u32; s.households.len()];
        for (i, h) in crate::construct::priority_order(&inst)
            .into_iter()
            .enumerate()
        {
            rank[h.index()] = i as u32;
        }
        inst.rank = rank;
        inst
    }

    /// Travel time for vehicle `v` from `a` to `b`, by way of empty stops where
    /// that is faster (see [`crate::detours`]).
    #[inline]
    pub(crate) fn tt(&self, v: VehicleId, a: SiteId, b: SiteId) -> i64 {
        self.legs[self.class[v.index()]][a.index() * self.n_sites + b.index()]
    }

    /// The sites vehicle `v` passes as empty stops on the leg `a → b` of [`Instance::tt`].
    pub(crate) fn passed(&self, v: VehicleId, a: SiteId, b: SiteId) -> Vec<SiteId> {
        let mut out = Vec::new();
        if let Some(d) = &self.detours[self.class[v.index()]] {
            d.passed(a.index(), b.index(), &mut out);
        }
        out.into_iter().map(|k| SiteId(k as u32)).collect()
    }

    /// Whether vehicle `v` can carry household `h` whole (as [`Instance::fits`], in O(1)).
    #[inline]
    pub(crate) fn carries(&self, v: VehicleId, h: HouseholdId) -> bool {
        let t = self.s.vehicle_type_of(v);
        let hh = self.s.household(h);
        t.seats >= hh.seated() && t.stretchers >= hh.stretcher_cases
    }

    /// The matrix's own travel time for vehicle `v` from `a` to `b`.
    pub(crate) fn direct(&self, v: VehicleId, a: SiteId, b: SiteId) -> i64 {
        let t = self.s.vehicle(v).vehicle_type.index();
        self.travel[t][a.index() * self.n_sites + b.index()]
    }

    pub(crate) fn corridor(&self, c: usize) -> &Corridor {
        &self.s.corridors[c]
    }

    /// Earliest start `>= t` of a crossing that fits in one of the corridor's windows.
    pub(crate) fn window_start(&self, c: usize, t: i64) -> Option<i64> {
        let k = self.corridor(c);
        let p = k.processing.0;
        k.windows.iter().find_map(|w| {
            let s = t.max(w.start.0);
            (s + p <= w.end.0).then_some(s)
        })
    }

    pub(crate) fn people(&self, h: HouseholdId) -> i64 {
        i64::from(self.s.household(h).people.0)
    }

    /// The household's people who may not take places reserved for stretcher
    /// cases: all of them when none is a stretcher case, else none.
    pub(crate) fn general_people(&self, h: HouseholdId) -> i64 {
        let hh = self.s.household(h);
        if hh.has_stretcher_cases() {
            0
        } else {
            i64::from(hh.people.0)
        }
    }

    /// Priority weight × people: the household's share of the weighted arrival sum.
    /// How far loading at `start` passes the household's wait limit (0 within it).
    pub(crate) fn late(&self, h: HouseholdId, start: i64) -> i64 {
        (start - self.load_by[h.index()]).max(0)
    }

    pub(crate) fn weight(&self, h: HouseholdId) -> i64 {
        let hh = self.s.household(h);
        i64::from(hh.tier.weight()) * i64::from(hh.people.0)
    }

    pub(crate) fn until(&self, v: VehicleId) -> i64 {
        self.s.vehicle(v).available_until.0
    }

    pub(crate) fn from(&self, v: VehicleId) -> i64 {
        self.s.vehicle(v).available_from.0
    }
}

/// Seconds as the core's type.
pub(crate) fn secs(t: i64) -> Seconds {
    Seconds(t)
}
