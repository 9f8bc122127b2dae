//! Corridor's planner: multi-trip evacuation plans that minimise the time the
//! last person reaches safety, with proven lower bounds.
//!
//! The objective is lexicographic (`problem.md`): carry everyone (or the most
//! people in priority order), then minimise the makespan, then the
//! priority-weighted mean arrival, then driving. The planner builds a first plan
//! by placing households in priority order where each is unloaded earliest, then
//! improves it with a late-acceptance local search whose moves work on the
//! critical vehicle (trip relocations and swaps, reordering, destination changes,
//! ruin-and-recreate of households). Vehicles are scheduled together where they
//! interact (checkpoint lanes and windows, linked deals), so every plan it
//! returns follows the scenario's rules; callers still validate it.
//!
//! The planner is a pure function of the scenario, the options and the seed:
//! with an iteration budget, the same inputs and thread count give the same
//! plan. A time limit or an interrupt is the caller's `should_stop`.
//!
//! ```
//! use corridor_plan::{Options, plan};
//! # let scenario = corridor_core::Scenario {
//! #     name: "empty".into(), clock: None, sites: vec![], households: vec![],
//! #     vehicle_types: vec![], vehicles: vec![], corridors: vec![], deals: vec![],
//! #     travel: corridor_core::TravelMatrix::unreachable(0), planning: Default::default() };
//! let options = Options { iterations: Some(1_000), ..Options::default() };
//! let outcome = plan(&scenario, &options, &|| false, &|_| {}).unwrap();
//! assert_eq!(outcome.plan.routes.len(), 0);
//! ```

mod bounds;
mod construct;
mod detours;
mod instance;
mod lines;
mod route;
mod schedule;
mod search;
mod stages;
mod state;

use corridor_core::{HouseholdId, Plan, Scenario, Seconds, Uncarried};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub use bounds::{LowerBound, lower_bound};

use crate::instance::Instance;
use crate::search::{Budget, improve};
use crate::state::{Cost, State, objective};

pub use corridor_core::Objective;

/// How the planner searches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Seed of the random generator.
    pub seed: u64,
    /// Stop after this many iterations (per thread); `None` runs until `should_stop`.
    pub iterations: Option<u64>,
    /// Independent searches run in parallel, each from its own seed; the best wins.
    pub threads: usize,
    /// What the plan minimises first; `None` = the scenario's `[planning] objective`.
    pub objective: Option<Objective>,
    /// How long the caller lets planning take, when `should_stop` is a time
    /// limit: a plan through hubs gives each of its two stages half.
    pub time_limit: Option<std::time::Duration>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 1,
            iterations: None,
            threads: 1,
            objective: None,
            time_limit: None,
        }
    }
}

/// What the planner tells its caller while it searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The first complete plan exists (its makespan).
    FirstPlan(Seconds),
    /// A search found a better plan (its makespan).
    Improved(Seconds),
}

/// The planner's answer.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The plan, with every event time.
    pub plan: Plan,
    /// Lower bounds on the makespan.
    pub bound: LowerBound,
    /// Iterations done (all threads).
    pub iterations: u64,
}

/// Inputs no plan can serve; reported before any search.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Stretcher cases exist, but nothing can carry or receive them.
    #[error("{0}")]
    Impossible(String),
}

/// Checks what no search can fix: stretcher cases without stretcher slots or an accepting destination.
pub fn check_possible(s: &Scenario) -> Result<(), PlanError> {
    let stretcher: Vec<&str> = s
        .households
        .iter()
        .filter(|h| h.stretcher_cases.0 > 0)
        .map(|h| h.reference.as_str())
        .collect();
    if stretcher.is_empty() {
        return Ok(());
    }
    let example = stretcher
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    // A fleet with ambulances, all of them out of service (a re-plan), still carries everyone
    // else: the stretcher cases are then reported as left behind, not the whole plan refused.
    if !s.vehicle_types.iter().any(|t| t.stretchers.0 > 0) {
        return Err(PlanError::Impossible(format!(
            "{} households have stretcher cases (e.g. {example}), but no vehicle type has stretcher slots: add ambulances to the fleet",
            stretcher.len()
        )));
    }
    if !s.sites.iter().any(
        |x| matches!(&x.kind, corridor_core::SiteKind::Destination(d) if d.accepts_stretcher_cases),
    ) {
        return Err(PlanError::Impossible(format!(
            "{} households have stretcher cases (e.g. {example}), but no destination accepts stretcher cases: set `accepts_stretcher_cases = true` on a hospital",
            stretcher.len()
        )));
    }
    Ok(())
}

/// Plans the evacuation.
///
/// `should_stop` is polled during the search (time limits, Ctrl-C); `progress`
/// hears of the first plan and of every improvement.
pub fn plan(
    s: &Scenario,
    options: &Options,
    should_stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Outcome, PlanError> {
    plan_following(s, None, options, should_stop, progress)
}

/// Like [`plan`], warm-started from `hint`, a plan for the same scenario (for
/// a re-plan: the previous plan restricted to what remains). Its trips are
/// kept where they still fit; the search starts from whichever of it and the
/// usual construction is better. A scenario with hubs is planned in two
/// stages (see `stages`), without the hint.
pub fn plan_following(
    s: &Scenario,
    hint: Option<&Plan>,
    options: &Options,
    should_stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Outcome, PlanError> {
    check_possible(s)?;
    if s.has_hubs() {
        return stages::plan_in_stages(s, options, should_stop, progress);
    }
    plan_scenario(s, hint, options, should_stop, progress, None)
}

/// Plans a scenario without hubs: its fixed lines filled first (see
/// `lines`), then the search for the rest. `origins`, per household, is
/// where a destination's `serves` judges it from (see [`Instance::with_origins`]).
pub(crate) fn plan_scenario(
    s: &Scenario,
    hint: Option<&Plan>,
    options: &Options,
    should_stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(Progress) + Sync),
    origins: Option<&[corridor_core::SiteId]>,
) -> Result<Outcome, PlanError> {
    if s.vehicles.iter().any(|v| v.timetable.is_some()) {
        return lines::plan_with_lines(s, options, should_stop, progress, origins);
    }
    search_scenario(s, hint, options, should_stop, progress, origins)
}

/// The search for a scenario without hubs or fixed lines to fill.
pub(crate) fn search_scenario(
    s: &Scenario,
    hint: Option<&Plan>,
    options: &Options,
    should_stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(Progress) + Sync),
    origins: Option<&[corridor_core::SiteId]>,
) -> Result<Outcome, PlanError> {
    let mut inst = Instance::with_origins(s, origins);
    inst.objective = options.objective.unwrap_or(s.planning.objective);
    let bound = lower_bound(s);
    let mut first = construct::construct(&inst);
    let for_waits = construct::construct_for_waits(&inst);
    if inst.objective == Objective::Waiting
        && objective(&inst, &for_waits.cost) < objective(&inst, &first.cost)
    {
        first = for_waits.clone();
    }
    if let Some(hint) = hint {
        let warm = construct::follow(&inst, hint);
        if objective(&inst, &warm.cost) < objective(&inst, &first.cost) {
            first = warm;
        }
    }
    if first.cost.overrun == 0 {
        progress(Progress::FirstPlan(Seconds(first.cost.makespan)));
    }
    let threads = options.threads.max(1);
    let on_improvement = |c: &Cost| {
        if c.overrun == 0 {
            progress(Progress::Improved(Seconds(c.makespan)));
        }
    };
    let budget = Budget {
        iterations: options.iterations,
        should_stop,
        lower_bound: bound.value.0,
        on_improvement: &on_improvement,
        for_waits: (inst.objective == Objective::Makespan).then_some(&for_waits),
    };
    let runs: Vec<(State, u64)> = (0..threads)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
            rng.set_stream(i as u64);
            improve(&inst, first.clone(), &mut rng, &budget)
        })
        .collect();
    let iterations = runs.iter().map(|(_, n)| n).sum();
    let best = runs
        .into_iter()
        .enumerate()
        .min_by(|(i, (a, _)), (j, (b, _))| {
            (objective(&inst, &a.cost), *i).cmp(&(objective(&inst, &b.cost), *j))
        })
        .map(|(_, (st, _))| st)
        .unwrap_or(first);
    let plan = finish(&inst, best);
    Ok(Outcome {
        plan,
        bound,
        iterations,
    })
}

/// The first "A leaves last" deal that `plan` breaks, with the (vehicle, trip) of group B's
/// latest departure.
fn b_after_a(s: &Scenario, plan: &Plan) -> Option<(String, usize, usize)> {
    s.deals.iter().filter(|d| d.a_leaves_last).find_map(|deal| {
        let last = |group: &[corridor_core::SiteId]| {
            plan.routes
                .iter()
                .flat_map(|r| {
                    r.trips
                        .iter()
                        .enumerate()
                        .map(move |(ti, t)| (r.vehicle, ti, t))
                })
                .flat_map(|(v, ti, t)| {
                    t.stops
                        .iter()
                        .filter(|x| group.contains(&x.site) && !x.households.is_empty())
                        .map(move |x| (x.departs, v.index(), ti))
                })
                .max()
        };
        let (lb, v, ti) = last(&deal.group_b)?;
        last(&deal.group_a)
            .is_none_or(|(la, _, _)| la < lb)
            .then(|| (deal.name.clone(), v, ti))
    })
}

/// Makes the best assignment a plan: drops trips that cannot be done inside
/// shifts (their households are reported as uncarried), applies the deals'
/// ordering rules, and records every event time.
fn finish(inst: &Instance<'_>, mut st: State) -> Plan {
    let s = inst.s;
    let mut reasons: Vec<(HouseholdId, String)> = st
        .uncarried
        .iter()
        .map(|&h| {
            let why = construct::reason_unplaceable(inst, &st, h);
            // Time ran out for a household with a wait limit: the limit is why.
            if why.starts_with("not enough vehicle time")
                && s.planning.max_wait(s.household(h).tier).is_some()
            {
                (h, too_late_reason(inst, h))
            } else {
                (h, why)
            }
        })
        .collect();
    // Within one trip, group A's stops follow group B's: holding the trip would delay
    // both alike, so only the order of its stops can keep an "A leaves last" rule.
    for deal in s.deals.iter().filter(|d| d.a_leaves_last) {
        let in_a = |p: &schedule::Pickup| deal.group_a.contains(&p.site);
        let a_before_b = |l: &schedule::Load| {
            l.pickups
                .iter()
                .skip_while(|p| !in_a(p))
                .any(|p| deal.group_b.contains(&p.site))
        };
        for v in 0..st.a.routes.len() {
            if st.a.routes[v].iter().any(a_before_b) {
                let mut route = st.a.routes[v].clone();
                for l in route.iter_mut().filter(|l| a_before_b(l)) {
                    l.pickups.sort_by_key(in_a);
                }
                st.set_route(inst, v, route);
            }
        }
    }
    // An "A leaves last" rule is kept by holding a group-A trip until group B has
    // gone; so that the wait delays nothing else, one group-A trip becomes the
    // last trip of the vehicle that is free earliest.
    for deal in s.deals.iter().filter(|d| d.a_leaves_last) {
        let is_a = |l: &schedule::Load| {
            l.pickups
                .iter()
                .any(|p| deal.group_a.contains(&p.site) && !p.households.is_empty())
        };
        if st.a.routes.iter().any(|r| r.last().is_some_and(is_a)) {
            continue;
        }
        let Some((v, i)) = (0..st.a.routes.len())
            .find_map(|v| st.a.routes[v].iter().rposition(is_a).map(|i| (v, i)))
        else {
            continue;
        };
        let load = st.a.routes[v][i].clone();
        let ends = st.completions(inst);
        let target = (0..st.a.routes.len())
            .filter(|&w| {
                let wid = corridor_core::VehicleId(w as u32);
                load.households().all(|h| inst.carries(wid, h))
                    && state::fits_with(inst, wid, Some(&load), None)
            })
            .min_by_key(|&w| (ends[w], w));
        if let Some(w) = target {
            let mut from = st.a.routes[v].clone();
            from.remove(i);
            st.set_route(inst, v, from);
            let mut to = st.a.routes[w].clone();
            to.push(load);
            st.set_route(inst, w, to);
        }
    }
    // Households the search could not reach within their wait limit are left
    // behind, named, rather than picked up late; then the least urgent trips of
    // vehicles that overrun their shift are dropped until none does.
    loop {
        let sched = schedule::with_order_rules(inst, &st.a, true);
        if !sched.too_late.is_empty() {
            for &(h, v) in &sched.too_late {
                let mut route = st.a.routes[v].clone();
                for l in &mut route {
                    for p in &mut l.pickups {
                        p.households.retain(|&x| x != h);
                    }
                    l.pickups.retain(|p| !p.households.is_empty());
                }
                route.retain(|l| !l.pickups.is_empty());
                st.set_route(inst, v, route);
                reasons.push((h, too_late_reason(inst, h)));
            }
            continue;
        }
        let Some(v) = (0..st.a.routes.len()).find(|&v| !sched.route_ok[v]) else {
            // Where holding group A could not keep an "A leaves last" rule (group A's
            // trips were dropped, or the hold would overrun), group B's latest trip
            // stays behind instead: a plan that breaks the deal is no plan at all.
            let Some((name, v, i)) = sched.plan.as_ref().and_then(|p| b_after_a(s, p)) else {
                break;
            };
            let load = st.a.routes[v].remove(i);
            st.count_load(inst, &load, -1);
            let reason = format!(
                "deal `{name}`: group A must leave last, and no later departure from group A could be planned"
            );
            reasons.extend(load.households().map(|h| (h, reason.clone())));
            continue;
        };
        let route = &mut st.a.routes[v];
        // The least urgent trip goes first, and trips that a deal waits for last.
        let unlocks = |l: &schedule::Load| {
            l.pickups.iter().any(|p| {
                s.deals
                    .iter()
                    .any(|d| d.ratio.is_some() && d.group_b.contains(&p.site))
            })
        };
        let Some(i) = (0..route.len()).max_by_key(|&i| {
            let tier = route[i].households().map(|h| s.household(h).tier).min();
            (tier, !unlocks(&route[i]), i)
        }) else {
            break;
        };
        let load = route.remove(i);
        st.count_load(inst, &load, -1);
        for h in load.households() {
            reasons.push((
                h,
                "not enough vehicle time inside the shifts and corridor windows".to_string(),
            ));
        }
    }
    let sched = schedule::with_order_rules(inst, &st.a, true);
    let mut plan = sched.plan.unwrap_or_default();
    // Whatever the schedule could not deliver is reported, never lost.
    let mut seen = vec![false; s.households.len()];
    for (_, t) in plan.trips() {
        for h in t.households() {
            seen[h.index()] = true;
        }
    }
    for (h, _) in &reasons {
        seen[h.index()] = true;
    }
    for (i, _) in seen.iter().enumerate().filter(|(_, s)| !**s) {
        reasons.push((
            HouseholdId(i as u32),
            "its trip cannot be completed under the scenario's rules".into(),
        ));
    }
    reasons.sort_by_key(|(h, _)| *h);
    plan.uncarried = reasons
        .into_iter()
        .map(|(household, reason)| Uncarried { household, reason })
        .collect();
    plan
}

/// Why a household with a wait limit is left behind.
fn too_late_reason(inst: &Instance<'_>, h: HouseholdId) -> String {
    let tier = inst.s.household(h).tier;
    let limit = inst.s.planning.max_wait(tier).map_or(0, |w| w.0);
    format!(
        "no vehicle could start loading it within tier {}'s max_wait of {} (the scenario's [planning] table) without breaking another rule",
        tier.number(),
        hours_minutes(limit)
    )
}

/// `8 h`, `1 h 30 min`, `45 min`: a span, not a clock time.
fn hours_minutes(s: i64) -> String {
    let (h, m) = (s / 3600, s / 60 % 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

