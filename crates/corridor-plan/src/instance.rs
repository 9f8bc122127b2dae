//! The scenario, precomputed for fast evaluation: per-type travel tables, compatibilities.

use corridor_core::{Corridor, HouseholdId, Scenario, Seconds, SiteId, SiteKind, VehicleId};

/// Stands for "unreachable" in travel tables: large, but safe to add a few times.
pub(crate) const UNREACHABLE: i64 = i64::MAX / 16;

/// Read-only data the search evaluates against.
pub(crate) struct Instance<'a> {
    pub(crate) s: &'a Scenario,
    pub(crate) n_sites: usize,
    /// `travel[type][a * n + b]`, with the type's factor applied.
    pub(crate) travel: Vec<Vec<i64>>,
    /// Destination sites.
    pub(crate) destinations: Vec<SiteId>,
    /// For each household, the destinations that may receive it.
    pub(crate) allowed_dest: Vec<Vec<SiteId>>,
    /// For each household, the vehicles whose type can carry it whole.
    pub(crate) fits: Vec<Vec<VehicleId>>,
    /// For each site, the corridor governing it.
    pub(crate) governed_by: Vec<Option<usize>>,
    /// Capacity of each site as a destination (`i64::MAX` when unlimited or not a destination).
    pub(crate) capacity: Vec<i64>,
    /// Whether vehicles interact (lanes, deals): then every evaluation schedules the whole fleet.
    pub(crate) coupled: bool,
    /// Room kept at each destination for households with stretcher cases (only
    /// destinations that accept them and have a capacity keep any).
    pub(crate) reserved: Vec<i64>,
    /// Each household's position in the priority order (see [`crate::construct::priority_order`]).
    pub(crate) rank: Vec<u32>,
}

impl<'a> Instance<'a> {
    pub(crate) fn new(s: &'a Scenario) -> Instance<'a> {
        let n = s.sites.len();
        let travel = s
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
        let destinations = s.sites_where(|k| matches!(k, SiteKind::Destination(_)));
        let allowed_dest = s
            .households
            .iter()
            .map(|h| {
                destinations
                    .iter()
                    .copied()
                    .filter(|&d| s.destination_accepts(d, h))
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
        let coupled = !s.deals.is_empty()
            || s.corridors
                .iter()
                .any(|c| c.processing.0 > 0 || c.convoy.is_some());
        let mut inst = Instance {
            s,
            n_sites: n,
            travel,
            destinations,
            allowed_dest,
            fits,
            governed_by,
            capacity,
            coupled,
            rank: vec![],
            reserved: vec![],
        };
        // Stretcher households' people, shared out over the accepting destinations by capacity.
        let need: i64 = s
            .households
            .iter()
            .filter(|h| h.stretcher_cases.0 > 0)
            .map(|h| i64::from(h.people.0))
            .sum();
        let accepting: Vec<usize> = (0..n)
            .filter(|&i| inst.capacity[i] < i64::MAX && matches!(&s.sites[i].kind, SiteKind::Destination(d) if d.accepts_stretcher_cases))
            .collect();
        let total: i64 = accepting.iter().map(|&i| inst.capacity[i]).sum();
        let unlimited = s.sites.iter().any(|x| matches!(&x.kind, SiteKind::Destination(d) if d.accepts_stretcher_cases && d.capacity.is_none()));
        let mut reserved = vec![0i64; n];
        if !unlimited && total > 0 {
            for &i in &accepting {
                reserved[i] = ((need * inst.capacity[i] + total - 1) / total).min(inst.capacity[i]);
            }
        }
        inst.reserved = reserved;
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

    /// Travel time for vehicle `v` from `a` to `b`.
    #[inline]
    pub(crate) fn tt(&self, v: VehicleId, a: SiteId, b: SiteId) -> i64 {
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

    /// Priority weight × people: the household's share of the weighted arrival sum.
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
