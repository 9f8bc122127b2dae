//! Improvement: a late-acceptance local search with large-neighbourhood moves
//! that work on the critical vehicle (the one whose last unloading sets the
//! makespan): trip relocations, swaps and route-end exchanges between
//! vehicles, trip reordering, destination changes, and ruin-and-recreate of
//! households around it. It aims one unit below the best makespan (see
//! [`Cost::excess`](crate::state::Cost)) and starts again from the best plan,
//! shaken, when it stalls.

use corridor_core::{HouseholdId, VehicleId};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::Objective;
use crate::instance::{Instance, UNREACHABLE};
use crate::route::{RouteTimes, eval_route};
use crate::schedule::{Load, Pickup};
use crate::state::{
    Change, Cost, MAX_STOPS, State, best_destinations, best_insertion, corridor_compatible,
    fits_places, fits_with, has_room, load_general, load_people, objective, standing,
    within_places,
};

/// How long the search may go on, and who to tell about progress.
pub(crate) struct Budget<'a> {
    pub(crate) iterations: Option<u64>,
    pub(crate) should_stop: &'a (dyn Fn() -> bool + Sync),
    pub(crate) lower_bound: i64,
    pub(crate) on_improvement: &'a (dyn Fn(&Cost) + Sync),
    /// A plan built for short waits, to take up when the waits come to lead if
    /// it is as short as the best one.
    pub(crate) for_waits: Option<&'a State>,
}

const HISTORY: usize = 500;
/// Least loaded vehicles tried as partners, of any type and of the critical
/// one's type (three: each ruin inserts into fewer routes and the search does
/// more of them; 6 medium instances 0.5 % shorter at 10 s than with six, the
/// literature's count unchanged).
const CANDIDATES: usize = 3;
/// Iterations without a better plan before the search starts again from the best.
const STALL: u64 = 1500;
/// With the makespan first, the search turns to the waits once the makespan
/// meets its bound, or once it has not fallen for this many iterations and for
/// at least as long again as it took to reach it (a search still finding
/// shorter plans keeps at them).
const SETTLED: u64 = 20 * STALL;
/// A wide ruin stops taking trips once it has this many households: where
/// trips are full of small households (a city), more at once only slows the
/// search down (30 s runs on 25,000 households: 5.2 % gap to the bound with 12, 5.4 % with 24 and 40).
const RUIN_HOUSEHOLDS: usize = 12;
/// Ruins that shake the best plan at such a restart (one: more lose what made it best).
const KICKS: usize = 1;

/// The search's moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    Relocate,
    Swap,
    Tails,
    Reorder,
    Destination,
    SwapDestinations,
    Trade,
    Ruin,
}

/// Each move and its share of the iterations before the search has learnt
/// anything (percent; tuned on the literature's instances).
const MOVES: [(Move, f64); 8] = [
    (Move::Relocate, 26.0),
    (Move::Swap, 10.0),
    (Move::Tails, 8.0),
    (Move::Reorder, 8.0),
    (Move::Destination, 8.0),
    (Move::SwapDestinations, 6.0),
    (Move::Trade, 4.0),
    (Move::Ruin, 30.0),
];

/// What came of one move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Rejected,
    Accepted,
    Better,
    Best,
}

/// Iterations between two updates of the moves' weights.
const SEGMENT: u32 = 200;
/// How far one segment's results move a weight.
const REACTION: f64 = 0.3;

/// Adaptive choice of moves (Ropke & Pisinger's ALNS): every segment, each
/// move's weight moves toward what it earned per use: a new best plan, a
/// better current one, or a sideways step. Instances differ in what pays
/// (on city-sized ones, trading households between trips; on the
/// literature's, ruin and relocation), and this lets each run find out.
/// Half of each draw keeps the prior shares, so no move dies out. It depends
/// on outcomes only, never on time, so a seed and an iteration budget still
/// fix the plan.
struct Operators {
    weight: [f64; MOVES.len()],
    earned: [f64; MOVES.len()],
    used: [u32; MOVES.len()],
    draws: u32,
}

impl Operators {
    fn new() -> Operators {
        Operators {
            weight: MOVES.map(|(_, w)| w),
            earned: [0.0; MOVES.len()],
            used: [0; MOVES.len()],
            draws: 0,
        }
    }

    fn pick(&mut self, rng: &mut ChaCha8Rng) -> Move {
        let prior: f64 = MOVES.iter().map(|(_, w)| w).sum();
        let learnt: f64 = self.weight.iter().sum();
        let share = |i: usize| 0.5 * MOVES[i].1 / prior + 0.5 * self.weight[i] / learnt;
        let mut x = rng.random::<f64>();
        let mut chosen = MOVES.len() - 1;
        for i in 0..MOVES.len() {
            x -= share(i);
            if x < 0.0 {
                chosen = i;
                break;
            }
        }
        MOVES[chosen].0
    }

    fn reward(&mut self, m: Move, outcome: Outcome) {
        let i = MOVES.iter().position(|(x, _)| *x == m).unwrap_or(0);
        self.used[i] += 1;
        self.earned[i] += match outcome {
            Outcome::Rejected => 0.0,
            Outcome::Accepted => 1.0,
            Outcome::Better => 3.0,
            Outcome::Best => 10.0,
        };
        self.draws += 1;
        if self.draws < SEGMENT {
            return;
        }
        // Rates in the prior's units, so that a weight keeps its scale.
        let prior: f64 = MOVES.iter().map(|(_, w)| w).sum();
        // A move not drawn in this segment earns nothing and keeps its weight.
        let rates: Vec<Option<f64>> = (0..MOVES.len())
            .map(|i| (self.used[i] > 0).then(|| self.earned[i] / f64::from(self.used[i])))
            .collect();
        let total: f64 = rates.iter().flatten().sum();
        if total > 0.0 {
            for (w, rate) in self.weight.iter_mut().zip(&rates) {
                if let Some(rate) = rate {
                    *w = (1.0 - REACTION) * *w + REACTION * prior * rate / total;
                }
            }
        }
        self.earned = [0.0; MOVES.len()];
        self.used = [0; MOVES.len()];
        self.draws = 0;
    }
}

/// A plan the search keeps (its best, the one it returns). Most new bests
/// are found in a row while the current plan improves, so the copy is made
/// only when the current plan moves away from it.
struct Snapshot {
    /// None while the current plan is this one.
    state: Option<State>,
    cost: Cost,
}

impl Snapshot {
    /// The current plan, not copied.
    fn of(cur: &State) -> Snapshot {
        Snapshot {
            state: None,
            cost: cur.cost,
        }
    }

    /// The current plan is about to change: copy it if it is this one.
    fn leave(&mut self, cur: &State) {
        if self.state.is_none() {
            let mut copy = cur.clone();
            copy.cost = self.cost;
            self.state = Some(copy);
        }
    }

    fn state<'a>(&'a self, cur: &'a State) -> &'a State {
        self.state.as_ref().unwrap_or(cur)
    }

    fn into_state(self, cur: State) -> State {
        self.state.unwrap_or_else(|| {
            let mut cur = cur;
            cur.cost = self.cost;
            cur
        })
    }
}

/// Runs the search from `start`; returns the best state found and the iterations done.
pub(crate) fn improve(
    inst: &Instance<'_>,
    start: State,
    rng: &mut ChaCha8Rng,
    budget: &Budget<'_>,
) -> (State, u64) {
    let mut cur = start;
    // `best` leads the search (balance counts); `kept` is what it returns,
    // the best by the objective alone (among plans as short, the one whose
    // people arrive earliest, whatever the balance).
    let mut best = Snapshot::of(&cur);
    let mut kept = Snapshot::of(&cur);
    // Aim one below the best makespan. Where vehicles interact, re-aiming
    // would mean scheduling the whole fleet again: there the target stays off.
    // Once the waits lead, the target is the best makespan itself (a cap), or
    // none when the waits come first.
    let aim = |cur: &mut State, best: &Cost| {
        if cur.waiting_leads {
            if inst.objective == Objective::Makespan && best.makespan > 0 {
                cur.target = best.makespan;
                cur.cost = cur.full_cost(inst);
            }
        } else if !inst.coupled && best.makespan > 0 {
            cur.target = best.makespan - 1;
            cur.cost = cur.full_cost(inst);
        }
    };
    aim(&mut cur, &best.cost);
    let wait_floor = wait_floor(inst);
    let mut history = vec![cur.cost; HISTORY];
    let mut it = 0u64;
    let mut stalled = 0u64;
    let mut shorter_at = 0u64;
    let mut ops = Operators::new();
    let has_work = cur.a.routes.iter().any(|r| !r.is_empty());
    loop {
        if !has_work {
            break;
        }
        if budget.iterations.is_some_and(|n| it >= n) || (it % 8 == 0 && (budget.should_stop)()) {
            break;
        }
        let feasible = best.cost.overrun == 0 && best.cost.uncarried == [0; 3];
        let proven = feasible && best.cost.makespan <= budget.lower_bound;
        if !cur.waiting_leads
            && (proven || (it - shorter_at >= SETTLED && it - shorter_at >= shorter_at))
        {
            // The makespan is as low as it will get: from the best plan, the
            // waits now come right after it.
            kept.leave(&cur);
            best.leave(&cur);
            cur = best.state(&cur).clone();
            cur.waiting_leads = true;
            cur.cost = cur.full_cost(inst);
            aim(&mut cur, &best.cost);
            best = Snapshot::of(&cur);
            if let Some(alt) = budget.for_waits {
                // The plan built for short waits, where people wait less: the
                // search goes on from it (first back under the makespan, when
                // it is longer), while `best` keeps the plan to beat.
                let mut alt = alt.clone();
                alt.waiting_leads = true;
                alt.target = cur.target;
                alt.cost = alt.full_cost(inst);
                if alt.cost.overrun == 0
                    && alt.cost.uncarried <= cur.cost.uncarried
                    && alt.cost.wait < cur.cost.wait
                {
                    if alt.cost < cur.cost {
                        cur = alt;
                        best = Snapshot::of(&cur);
                    } else {
                        best.leave(&cur);
                        cur = alt;
                    }
                }
            }
            history.fill(cur.cost);
            stalled = 0;
        }
        if feasible
            && best.cost.wait <= wait_floor
            && (proven || inst.objective == Objective::Makespan && cur.waiting_leads)
        {
            break; // nobody waits longer than the fleet's reach makes them
        }
        if stalled >= STALL {
            // A local optimum the acceptance rule cannot leave: start again
            // from the best plan, shaken by a ruin kept whatever it costs.
            stalled = 0;
            kept.leave(&cur);
            best.leave(&cur);
            cur = best.state(&cur).clone();
            aim(&mut cur, &best.cost);
            for _ in 0..KICKS {
                // (Not one that overfills a destination: such a change is only priced, never kept.)
                if let Some((change, cost)) = ruin_recreate(inst, &mut cur, rng)
                    && cost.overrun != i64::MAX
                {
                    cur.apply(inst, change, cost);
                }
            }
            history.fill(cur.cost);
        }
        stalled += 1;
        let op = ops.pick(rng);
        let candidate = match op {
            Move::Relocate => relocate(inst, &mut cur, rng),
            Move::Swap => swap(inst, &mut cur, rng),
            Move::Tails => exchange_tails(inst, &mut cur, rng),
            Move::Reorder => reorder(inst, &mut cur, rng),
            Move::Destination => change_destination(inst, &mut cur, rng),
            Move::SwapDestinations => swap_destinations(inst, &mut cur, rng),
            Move::Trade => trade(inst, &mut cur, rng),
            Move::Ruin => ruin_recreate(inst, &mut cur, rng),
        };
        let mut outcome = Outcome::Rejected;
        if let Some((change, cost)) = candidate {
            let slot = (it as usize) % HISTORY;
            if cost <= cur.cost || cost <= history[slot] {
                outcome = if cost < cur.cost {
                    Outcome::Better
                } else {
                    Outcome::Accepted
                };
                let new_kept = objective(inst, &cost) < objective(inst, &kept.cost);
                let new_best = standing(inst, &cost) < standing(inst, &best.cost);
                if cost.makespan < best.cost.makespan {
                    shorter_at = it;
                }
                if !new_kept {
                    kept.leave(&cur);
                }
                if !new_best {
                    best.leave(&cur);
                }
                cur.apply(inst, change, cost);
                if new_kept {
                    kept = Snapshot::of(&cur);
                }
                if new_best {
                    outcome = Outcome::Best;
                    best = Snapshot::of(&cur);
                    stalled = 0;
                    (budget.on_improvement)(&best.cost);
                    if best.cost.makespan < cur.target
                        || (best.cost.makespan == cur.target && !cur.waiting_leads)
                    {
                        // (`best` keeps the cost it was found with: the
                        // target only steers, and `standing` leaves it out.)
                        aim(&mut cur, &best.cost);
                        history.fill(cur.cost);
                    }
                }
            }
            history[slot] = cur.cost;
        }
        ops.reward(op, outcome);
        it += 1;
    }
    let mut kept = kept.into_state(cur);
    polish(inst, &mut kept, budget.should_stop);
    (kept, it)
}

/// The route whose completion is latest (the critical vehicle), or a random busy one.
fn pick_route(inst: &Instance<'_>, st: &State, rng: &mut ChaCha8Rng) -> Option<usize> {
    let busy: Vec<usize> = (0..st.a.routes.len())
        .filter(|&v| !st.a.routes[v].is_empty())
        .collect();
    if busy.is_empty() {
        return None;
    }
    if rng.random_bool(0.7) {
        if st.waiting_leads {
            // The vehicle whose people wait longest, in all.
            return busy.iter().copied().max_by_key(|&v| {
                let wait = if inst.coupled {
                    eval_route(inst, VehicleId(v as u32), &st.a.routes[v]).weighted_wait
                } else {
                    st.evals[v].weighted_wait
                };
                (wait, std::cmp::Reverse(v))
            });
        }
        let c = st.completions(inst);
        busy.iter()
            .copied()
            .max_by_key(|&v| (c[v], std::cmp::Reverse(v)))
    } else {
        Some(busy[rng.random_range(0..busy.len())])
    }
}

/// Routes worth trying to move work to: the least loaded, the least loaded of
/// the same vehicle type (in a mixed fleet only those may be able to take a
/// trip with stretcher cases), and a couple at random.
fn targets(inst: &Instance<'_>, st: &State, except: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let c = st.completions(inst);
    let mut by_load: Vec<usize> = (0..st.a.routes.len()).filter(|&v| v != except).collect();
    by_load.sort_by_key(|&v| (c[v], v));
    let kind = inst.s.vehicles[except].vehicle_type;
    let same: Vec<usize> = by_load
        .iter()
        .copied()
        .filter(|&v| inst.s.vehicles[v].vehicle_type == kind)
        .collect();
    let mut order: Vec<usize> = by_load.iter().copied().take(CANDIDATES).collect();
    for &v in same.iter().take(CANDIDATES) {
        if !order.contains(&v) {
            order.push(v);
        }
    }
    // And one at random of any type, one of the same: a vehicle with slack
    // but not the least loaded may hold the trip that fits best.
    for pool in [&by_load, &same] {
        if !pool.is_empty() {
            let v = pool[rng.random_range(0..pool.len())];
            if !order.contains(&v) {
                order.push(v);
            }
        }
    }
    order
}

fn load_fits(inst: &Instance<'_>, v: usize, l: &Load) -> bool {
    let vid = VehicleId(v as u32);
    l.households().all(|h| inst.carries(vid, h)) && fits_with(inst, vid, Some(l), None)
}

/// Best position for `load` in route `v` by the route's own completion.
fn best_position(inst: &Instance<'_>, route: &[Load], v: usize, load: &Load) -> Option<Vec<Load>> {
    let vid = VehicleId(v as u32);
    let times = RouteTimes::new(inst, vid, route);
    let mut best: Option<(i64, usize)> = None;
    for pos in 0..=route.len() {
        let Some((completion, overrun)) = times.finish(inst, vid, route, pos, load, None, pos)
        else {
            continue;
        };
        let key = completion + overrun * 1000;
        if best.is_none_or(|(k, _)| key < k) {
            best = Some((key, pos));
        }
    }
    best.map(|(_, pos)| {
        let mut r = route.to_vec();
        r.insert(pos, load.clone());
        r
    })
}

fn relocate(inst: &Instance<'_>, st: &mut State, rng: &mut ChaCha8Rng) -> Option<(Change, Cost)> {
    let r = pick_route(inst, st, rng)?;
    let i = rng.random_range(0..st.a.routes[r].len());
    let load = st.a.routes[r][i].clone();
    let mut from = st.a.routes[r].clone();
    from.remove(i);
    let optimise_dests = rng.random_bool(0.5);
    let mut best: Option<(Change, Cost)> = None;
    for b in targets(inst, st, r, rng) {
        if !load_fits(inst, b, &load) {
            continue;
        }
        let Some(mut to) = best_position(inst, &st.a.routes[b], b, &load) else {
            continue;
        };
        let mut from = from.clone();
        if optimise_dests {
            best_destinations(inst, st, b, &mut to);
            best_destinations(inst, st, r, &mut from);
        }
        let (change, cost) = st.price(inst, vec![(r, from), (b, to)]);
        if best.as_ref().is_none_or(|(_, c)| cost < *c) {
            best = Some((change, cost));
        }
    }
    best
}

/// Two vehicles' work after a change, compared: shift overruns, then the later
/// completion, then both (the makespan is a max, so the pair's sum breaks ties).
fn pair_key(a: (i64, i64), b: (i64, i64)) -> (i64, i64, i64) {
    (a.1 + b.1, a.0.max(b.0), a.0 + b.0)
}

/// The critical vehicle and another, their routes and their summaries.
struct Pair<'s> {
    r: usize,
    b: usize,
    ra: &'s [Load],
    rb: &'s [Load],
    ta: RouteTimes,
    tb: RouteTimes,
}

impl<'s> Pair<'s> {
    fn pick(inst: &Instance<'_>, st: &'s State, rng: &mut ChaCha8Rng) -> Option<Pair<'s>> {
        let r = pick_route(inst, st, rng)?;
        let t = targets(inst, st, r, rng);
        if t.is_empty() {
            return None; // a fleet of one vehicle has nobody to exchange with
        }
        let b = t[rng.random_range(0..t.len())];
        let (ra, rb) = (&st.a.routes[r][..], &st.a.routes[b][..]);
        Some(Pair {
            r,
            b,
            ra,
            rb,
            ta: RouteTimes::new(inst, VehicleId(r as u32), ra),
            tb: RouteTimes::new(inst, VehicleId(b as u32), rb),
        })
    }

    /// The positions `(i, j)` whose change `price` (both vehicles' work
    /// after it, None where it does not fit) finds best: trips (`0..len`) or
    /// cuts (`0..=len`, not both at the end).
    fn best(
        &self,
        cuts: bool,
        price: impl Fn(&Pair<'s>, usize, usize) -> Option<((i64, i64), (i64, i64))>,
    ) -> Option<(usize, usize)> {
        let (na, nb) = (
            self.ra.len() + usize::from(cuts),
            self.rb.len() + usize::from(cuts),
        );
        let mut best: Option<((i64, i64, i64), usize, usize)> = None;
        for i in 0..na {
            for j in 0..nb {
                if cuts && i == self.ra.len() && j == self.rb.len() {
                    continue; // nothing exchanged
                }
                let Some((a, b)) = price(self, i, j) else {
                    continue;
                };
                let key = pair_key(a, b);
                if best.is_none_or(|(k, _, _)| key < k) {
                    best = Some((key, i, j));
                }
            }
        }
        best.map(|(_, i, j)| (i, j))
    }
}

/// The best exchange of one trip of the critical vehicle with one of
/// another's, every pair priced from the two routes' summaries.
fn swap(inst: &Instance<'_>, st: &mut State, rng: &mut ChaCha8Rng) -> Option<(Change, Cost)> {
    let p = Pair::pick(inst, st, rng)?;
    let (r, b) = (p.r, p.b);
    let (va, vb) = (VehicleId(r as u32), VehicleId(b as u32));
    // Which trips each vehicle can take (a mixed fleet: seats, stretchers).
    let a_takes: Vec<bool> = p.rb.iter().map(|l| load_fits(inst, r, l)).collect();
    let b_takes: Vec<bool> = p.ra.iter().map(|l| load_fits(inst, b, l)).collect();
    let (i, j) = p.best(false, |p, i, j| {
        if !a_takes[j] || !b_takes[i] {
            return None;
        }
        let a = p.ta.finish(inst, va, p.ra, i, &p.rb[j], None, i + 1)?;
        let b = p.tb.finish(inst, vb, p.rb, j, &p.ra[i], None, j + 1)?;
        Some((a, b))
    })?;
    let mut ra = p.ra.to_vec();
    let mut rb = p.rb.to_vec();
    std::mem::swap(&mut ra[i], &mut rb[j]);
    if rng.random_bool(0.5) {
        best_destinations(inst, st, r, &mut ra);
        best_destinations(inst, st, b, &mut rb);
    }
    Some(st.price(inst, vec![(r, ra), (b, rb)]))
}

/// Whether vehicle `v` can take every trip of `route[k..]`, for each `k` (and the empty end).
fn takes_ends(inst: &Instance<'_>, v: usize, route: &[Load]) -> Vec<bool> {
    let mut ok = vec![true; route.len() + 1];
    for k in (0..route.len()).rev() {
        ok[k] = ok[k + 1] && load_fits(inst, v, &route[k]);
    }
    ok
}

/// The best exchange of route ends between the critical vehicle and another
/// (`a[..i] + b[j..]` and `b[..j] + a[i..]`), every cut priced from the two
/// routes' summaries: how a vehicle that shuttles to a far site hands its last
/// trips to one that finished early.
fn exchange_tails(
    inst: &Instance<'_>,
    st: &mut State,
    rng: &mut ChaCha8Rng,
) -> Option<(Change, Cost)> {
    let p = Pair::pick(inst, st, rng)?;
    let (r, b) = (p.r, p.b);
    let (va, vb) = (VehicleId(r as u32), VehicleId(b as u32));
    // A route's summaries hold for one vehicle type: each end timed for the
    // vehicle that would drive it.
    let same = inst.s.vehicles[r].vehicle_type == inst.s.vehicles[b].vehicle_type;
    let (rb_for_a, ra_for_b) = if same {
        (None, None)
    } else {
        (
            Some(RouteTimes::new(inst, va, p.rb)),
            Some(RouteTimes::new(inst, vb, p.ra)),
        )
    };
    let (a_takes, b_takes) = (takes_ends(inst, r, p.rb), takes_ends(inst, b, p.ra));
    let (i, j) = p.best(true, |p, i, j| {
        if !a_takes[j] || !b_takes[i] {
            return None;
        }
        let a = p.ta.splice(
            inst,
            va,
            i,
            None,
            rb_for_a.as_ref().unwrap_or(&p.tb),
            p.rb,
            j,
        )?;
        let b = p.tb.splice(
            inst,
            vb,
            j,
            None,
            ra_for_b.as_ref().unwrap_or(&p.ta),
            p.ra,
            i,
        )?;
        Some((a, b))
    })?;
    let mut na: Vec<Load> = p.ra[..i].to_vec();
    na.extend_from_slice(&p.rb[j..]);
    let mut nb: Vec<Load> = p.rb[..j].to_vec();
    nb.extend_from_slice(&p.ra[i..]);
    Some(st.price(inst, vec![(r, na), (b, nb)]))
}

/// Households priced per trade: the move looks at this many partners at most.
const TRADE_PARTNERS: usize = 12;

/// Takes household `h` out of `load` (dropping its stop if it empties).
fn without(load: &Load, h: HouseholdId) -> Load {
    let mut l = load.clone();
    for p in &mut l.pickups {
        p.households.retain(|&x| x != h);
    }
    l.pickups.retain(|p| !p.households.is_empty());
    l
}

/// Puts household `h` into `load`: at a stop the trip makes at its site, or
/// at `pos` (clamped) as a stop of its own.
fn with(inst: &Instance<'_>, load: &Load, h: HouseholdId, pos: usize) -> Load {
    let site = inst.s.household(h).site;
    let mut l = load.clone();
    if let Some(p) = l.pickups.iter_mut().find(|p| p.site == site) {
        p.households.push(h);
    } else {
        let pos = pos.min(l.pickups.len());
        l.pickups.insert(
            pos,
            crate::schedule::Pickup {
                site,
                households: vec![h],
            },
        );
    }
    l
}

/// Two households at different sites trade trips so that a trip stops at
/// fewer sites: a household of a trip with several stops goes to another
/// trip, whose household from a site the first trip already stops at takes
/// its place. A stop saved is a stop time and a leg saved; where households
/// are small and trips full (stretcher cases in ambulances), no move of one
/// household alone can do it.
fn trade(inst: &Instance<'_>, st: &mut State, rng: &mut ChaCha8Rng) -> Option<(Change, Cost)> {
    let r = pick_route(inst, st, rng)?;
    let route = st.a.routes[r].clone();
    let multi: Vec<usize> = (0..route.len())
        .filter(|&i| route[i].pickups.len() >= 2)
        .collect();
    if multi.is_empty() {
        return None;
    }
    let i = multi[rng.random_range(0..multi.len())];
    let load = &route[i];
    let m = rng.random_range(0..load.pickups.len());
    let leaving = &load.pickups[m];
    let h = leaving.households[rng.random_range(0..leaving.households.len())];
    let kept: Vec<_> = load
        .pickups
        .iter()
        .map(|p| p.site)
        .filter(|&x| x != leaving.site)
        .collect();
    let (vr, hh) = (VehicleId(r as u32), inst.s.household(h));
    // Partners: households at a site the trip keeps, in other trips.
    let mut partners: Vec<(usize, usize, HouseholdId, usize)> = Vec::new();
    for (v, rv) in st.a.routes.iter().enumerate() {
        for (j, l) in rv.iter().enumerate() {
            if v == r && j == i {
                continue;
            }
            // Only partners whose vehicles can carry each other's household.
            let vv = VehicleId(v as u32);
            if !fits_with(inst, vv, None, Some(h)) {
                continue;
            }
            for (k, p) in l.pickups.iter().enumerate() {
                if kept.contains(&p.site) {
                    partners.extend(
                        p.households
                            .iter()
                            .filter(|&&x| fits_with(inst, vr, None, Some(x)))
                            .map(|&x| (v, j, x, k)),
                    );
                }
            }
        }
    }
    if partners.len() > TRADE_PARTNERS {
        for n in 0..TRADE_PARTNERS {
            let pick = rng.random_range(n..partners.len());
            partners.swap(n, pick);
        }
        partners.truncate(TRADE_PARTNERS);
    }
    let mut best: Option<(Change, Cost)> = None;
    for (v, j, x, k) in partners {
        let vv = VehicleId(v as u32);
        let other = st.a.routes[v][j].clone();
        if !inst.allowed_dest[x.index()].contains(&load.dest)
            || !inst.allowed_dest[h.index()].contains(&other.dest)
            || !corridor_compatible(inst, &other, hh.site)
        {
            continue;
        }
        let a = with(inst, &without(load, h), x, usize::MAX);
        let b = with(inst, &without(&other, x), h, k);
        if !fits_with(inst, vr, Some(&a), None) || !fits_with(inst, vv, Some(&b), None) {
            continue;
        }
        let routes = if v == r {
            let mut one = route.clone();
            one[i] = a;
            one[j] = b;
            vec![(r, one)]
        } else {
            let mut ra = route.clone();
            ra[i] = a;
            let mut rb = st.a.routes[v].clone();
            rb[j] = b;
            vec![(r, ra), (v, rb)]
        };
        let priced = st.price(inst, routes);
        if best.as_ref().is_none_or(|(_, c)| priced.1 < *c) {
            best = Some(priced);
        }
    }
    best
}

fn reorder(inst: &Instance<'_>, st: &mut State, rng: &mut ChaCha8Rng) -> Option<(Change, Cost)> {
    let r = pick_route(inst, st, rng)?;
    let n = st.a.routes[r].len();
    if n < 2 {
        return None;
    }
    let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
    if i == j {
        return None;
    }
    let mut route = st.a.routes[r].clone();
    let l = route.remove(i);
    route.insert(j, l);
    Some(st.price(inst, vec![(r, route)]))
}

fn change_destination(
    inst: &Instance<'_>,
    st: &mut State,
    rng: &mut ChaCha8Rng,
) -> Option<(Change, Cost)> {
    let r = pick_route(inst, st, rng)?;
    let i = rng.random_range(0..st.a.routes[r].len());
    let load = &st.a.routes[r][i];
    let first = load.households().next()?;
    let people = load_people(inst, load);
    let general = load_general(inst, load);
    let options: Vec<_> = inst.allowed_dest[first.index()]
        .iter()
        .copied()
        .filter(|&d| d != load.dest)
        .filter(|&d| {
            load.households()
                .all(|h| inst.allowed_dest[h.index()].contains(&d))
        })
        .filter(|&d| fits_places(inst, st, d, people, general))
        .collect();
    if options.is_empty() {
        return None;
    }
    let mut best: Option<(Change, Cost)> = None;
    for d in options {
        let mut route = st.a.routes[r].clone();
        route[i].dest = d;
        let (change, cost) = st.price(inst, vec![(r, route)]);
        if best.as_ref().is_none_or(|(_, c)| cost < *c) {
            best = Some((change, cost));
        }
    }
    best
}

/// Two trips exchange destinations: the way out when destinations are full.
fn swap_destinations(
    inst: &Instance<'_>,
    st: &mut State,
    rng: &mut ChaCha8Rng,
) -> Option<(Change, Cost)> {
    let r = pick_route(inst, st, rng)?;
    let i = rng.random_range(0..st.a.routes[r].len());
    let busy: Vec<usize> = (0..st.a.routes.len())
        .filter(|&v| !st.a.routes[v].is_empty())
        .collect();
    let b = busy[rng.random_range(0..busy.len())];
    let j = rng.random_range(0..st.a.routes[b].len());
    if (r, i) == (b, j) {
        return None;
    }
    let (li, lj) = (&st.a.routes[r][i], &st.a.routes[b][j]);
    let (di, dj) = (li.dest, lj.dest);
    if di == dj
        || !li
            .households()
            .all(|h| inst.allowed_dest[h.index()].contains(&dj))
        || !lj
            .households()
            .all(|h| inst.allowed_dest[h.index()].contains(&di))
    {
        return None;
    }
    let (pi, pj) = (load_people(inst, li), load_people(inst, lj));
    let (gi, gj) = (load_general(inst, li), load_general(inst, lj));
    if !fits_places(inst, st, dj, pi - pj, gi - gj) || !fits_places(inst, st, di, pj - pi, gj - gi)
    {
        return None;
    }
    let routes = if r == b {
        let mut route = st.a.routes[r].clone();
        route[i].dest = dj;
        route[j].dest = di;
        vec![(r, route)]
    } else {
        let mut ra = st.a.routes[r].clone();
        let mut rb = st.a.routes[b].clone();
        ra[i].dest = dj;
        rb[j].dest = di;
        vec![(r, ra), (b, rb)]
    };
    Some(st.price(inst, routes))
}

/// Removes the households of a few trips (on the critical vehicle and perhaps
/// others; sometimes two whole routes) and puts them back one by one, each
/// where it lengthens its vehicle's work least without reaching the makespan
/// to beat (or, where nowhere keeps under it, where it is unloaded earliest).
fn ruin_recreate(
    inst: &Instance<'_>,
    st: &mut State,
    rng: &mut ChaCha8Rng,
) -> Option<(Change, Cost)> {
    let r = pick_route(inst, st, rng)?;
    // The ruin works on the state itself and puts back every route it
    // changed before pricing (a copy of a city-sized state costs more than
    // the whole move).
    let mut undo = Undo {
        routes: Vec::new(),
        uncarried: st.uncarried.clone(),
    };
    let ws = st;
    let mut touched = vec![r];
    let mut removed: Vec<HouseholdId> = Vec::new();
    let take = |ws: &mut State,
                undo: &mut Undo,
                v: usize,
                removed: &mut Vec<HouseholdId>,
                rng: &mut ChaCha8Rng| {
        if ws.a.routes[v].is_empty() {
            return;
        }
        undo.keep(ws, v);
        let i = rng.random_range(0..ws.a.routes[v].len());
        let l = ws.a.routes[v].remove(i);
        ws.count_load(inst, &l, -1);
        removed.extend(l.households());
    };
    if rng.random_bool(0.1) {
        // Sometimes whole routes, the critical one and another, rebuilt
        // together: a plan stuck in a local optimum often needs two vehicles
        // to exchange their roles (one serving a far site's many busloads
        // alone, the other taking the near sites' loads elsewhere).
        let o = rng.random_range(0..ws.a.routes.len());
        for v in [r, o] {
            while !ws.a.routes[v].is_empty() {
                take(ws, &mut undo, v, &mut removed, rng);
            }
            if !touched.contains(&v) {
                touched.push(v);
            }
        }
    }
    for _ in 0..rng.random_range(1..=2u32) {
        take(ws, &mut undo, r, &mut removed, rng);
    }
    // Sometimes a wider ruin: a random share of all trips (small instances need
    // several trips to change at once, e.g. when destinations are full).
    let total: usize = ws.a.routes.iter().map(Vec::len).sum();
    let extra = if rng.random_bool(0.5) {
        1
    } else {
        rng.random_range(1..=(total * 3 / 10).clamp(1, 12))
    };
    for _ in 0..extra {
        if removed.len() >= RUIN_HOUSEHOLDS {
            break;
        }
        let o = rng.random_range(0..ws.a.routes.len());
        take(ws, &mut undo, o, &mut removed, rng);
        if !touched.contains(&o) {
            touched.push(o);
        }
    }
    // A few previously uncarried households get another chance.
    for _ in 0..ws.uncarried.len().min(8) {
        let k = rng.random_range(0..ws.uncarried.len());
        removed.push(ws.uncarried.swap_remove(k));
    }
    // Priority order, with ties between equally urgent households broken at
    // random; while the waits lead, the order they become ready in.
    let mut keyed: Vec<(i64, u32, HouseholdId)> = removed
        .iter()
        .map(|&h| {
            let noise = if rng.random_bool(0.5) {
                rng.random_range(0..1000)
            } else {
                inst.rank[h.index()]
            };
            let hh = inst.s.household(h);
            let first = if ws.waiting_leads {
                hh.ready.0
            } else {
                i64::from(hh.tier.number())
            };
            (first, noise, h)
        })
        .collect();
    keyed.sort_unstable();
    let removed: Vec<HouseholdId> = keyed.into_iter().map(|(_, _, h)| h).collect();
    let mut cands = targets(inst, ws, r, rng);
    cands.extend(touched.iter().copied());
    cands.sort_unstable();
    cands.dedup();
    // Half the time, insertion costs get a little noise, so that the greedy
    // choice (e.g. the nearest destination) is not always the one made.
    let noisy = rng.random_bool(0.5);
    let mut noise_rng = ChaCha8Rng::seed_from_u64(rng.random());
    let mut noise = move || {
        if noisy {
            1.0 + noise_rng.random_range(-0.2..0.2)
        } else {
            1.0
        }
    };
    // Each household goes where it lengthens its vehicle's work least among
    // the places that keep it under the makespan to beat (one less than the
    // current); only where none does, where it is unloaded earliest. Pure
    // "earliest unloading" spreads a site's many busloads over all vehicles,
    // while the optimum often chains them on one vehicle that shuttles.
    let target = ws.cost.makespan - 1;
    for h in removed {
        if ws.waiting_leads {
            let cap = ws.target;
            let mut best: Option<((i64, i128), usize, Vec<Load>)> = None;
            for &v in &cands {
                if let Some((key, route)) = insertion_by_wait(inst, ws, v, h, cap, &mut noise)
                    && best.as_ref().is_none_or(|(k, bv, _)| (key, v) < (*k, *bv))
                {
                    best = Some((key, v, route));
                }
            }
            match best {
                Some((_, v, route)) => {
                    undo.keep(ws, v);
                    ws.set_route(inst, v, route);
                    if !touched.contains(&v) {
                        touched.push(v);
                    }
                }
                None => ws.uncarried.push(h),
            }
            continue;
        }
        let mut best: Option<((i64, i64), usize, Vec<Load>)> = None;
        for &v in &cands {
            if let Some((key, route)) = best_insertion(inst, ws, v, h, false, &mut noise) {
                let old = eval_route(inst, VehicleId(v as u32), &ws.a.routes[v]).completion;
                let key = (key.max(target), key - old);
                if best.as_ref().is_none_or(|(k, bv, _)| (key, v) < (*k, *bv)) {
                    best = Some((key, v, route));
                }
            }
        }
        match best {
            Some((_, v, route)) => {
                undo.keep(ws, v);
                ws.set_route(inst, v, route);
                if !touched.contains(&v) {
                    touched.push(v);
                }
            }
            None => ws.uncarried.push(h),
        }
    }
    if rng.random_bool(0.5) {
        for &v in &touched {
            let mut route = ws.a.routes[v].clone();
            best_destinations(inst, ws, v, &mut route);
            ws.set_route(inst, v, route);
        }
    }
    let change = Change {
        routes: touched
            .iter()
            .map(|&v| (v, ws.a.routes[v].clone()))
            .collect(),
        uncarried: Some(ws.uncarried.clone()),
    };
    undo.restore(inst, ws);
    let cost = ws.try_change(inst, &change);
    Some((change, cost))
}

/// What a ruin changed in the state, to put back.
struct Undo {
    routes: Vec<(usize, Vec<Load>)>,
    uncarried: Vec<HouseholdId>,
}

impl Undo {
    /// Remembers route `v` as it is, unless it already was.
    fn keep(&mut self, st: &State, v: usize) {
        if !self.routes.iter().any(|(w, _)| *w == v) {
            self.routes.push((v, st.a.routes[v].clone()));
        }
    }

    fn restore(self, inst: &Instance<'_>, st: &mut State) {
        for (v, route) in self.routes {
            st.set_route(inst, v, route);
        }
        st.uncarried = self.uncarried;
    }
}

/// With the makespan fixed, moves higher-priority trips earlier where that lowers
/// the weighted arrival without delaying the last evacuee.
fn polish(inst: &Instance<'_>, st: &mut State, should_stop: &(dyn Fn() -> bool + Sync)) {
    // Where vehicles interact every try schedules the whole fleet: one pass,
    // and a bounded number of tries, so that a city-scale plan is not held up.
    let passes = if inst.coupled { 1 } else { 3 };
    let mut tries = if inst.coupled { 64 } else { usize::MAX };
    for _ in 0..passes {
        let mut improved = false;
        for v in 0..st.a.routes.len() {
            let n = st.a.routes[v].len();
            for i in 1..n {
                // At city scale one pass schedules the fleet thousands of times: the time limit holds here too.
                if tries == 0 || should_stop() {
                    return;
                }
                tries -= 1;
                let mut route = st.a.routes[v].clone();
                route.swap(i - 1, i);
                let (change, cost) = st.price(inst, vec![(v, route)]);
                if objective(inst, &cost) < objective(inst, &st.cost) {
                    st.apply(inst, change, cost);
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// No plan makes people wait less than this (Σ weight × people × wait): a
/// household waits at least until the first vehicle that can carry it could
/// reach its site straight from its depot.
fn wait_floor(inst: &Instance<'_>) -> i128 {
    let s = inst.s;
    (0..s.households.len() as u32)
        .map(HouseholdId)
        .map(|h| {
            let hh = s.household(h);
            let reach = inst.fits[h.index()]
                .iter()
                .map(|&v| {
                    let leg = inst.tt(v, s.vehicle(v).depot, hh.site);
                    if leg >= UNREACHABLE {
                        i64::MAX
                    } else {
                        inst.from(v) + leg
                    }
                })
                .min()
                .unwrap_or(i64::MAX);
            if reach == i64::MAX {
                0
            } else {
                i128::from(inst.weight(h)) * i128::from((reach - hh.ready.0).max(0))
            }
        })
        .sum()
}

/// While the waits lead: the best way to add household `h` to route `v` among
/// the insertions [`best_insertion`] looks at, each timed whole, by the time
/// the route then ends past `cap` (and its shift overrun), then by the waits it
/// adds. (The waits of a route's later trips depend on when it gets to them in
/// a way two numbers cannot summarise, unlike its end.)
fn insertion_by_wait(
    inst: &Instance<'_>,
    st: &State,
    v: usize,
    h: HouseholdId,
    cap: i64,
    noise: &mut dyn FnMut() -> f64,
) -> Option<((i64, i128), Vec<Load>)> {
    let vid = VehicleId(v as u32);
    if !inst.carries(vid, h) {
        return None;
    }
    let hh = inst.s.household(h);
    let people = inst.people(h);
    let route = &st.a.routes[v];
    let before = eval_route(inst, vid, route).weighted_wait;
    let mut best: Option<((i64, i128), Vec<Load>)> = None;
    let mut consider = |r: Vec<Load>| {
        let e = eval_route(inst, vid, &r);
        if !e.reachable {
            return;
        }
        let late = (e.completion - cap)
            .max(0)
            .saturating_add(e.overrun.saturating_mul(1000));
        let key = (late, ((e.weighted_wait - before) as f64 * noise()) as i128);
        if best.as_ref().is_none_or(|(k, _)| key < *k) {
            best = Some((key, r));
        }
    };
    for (i, l) in route.iter().enumerate() {
        if !fits_with(inst, vid, Some(l), Some(h))
            || !inst.allowed_dest[h.index()].contains(&l.dest)
            || !within_places(inst, st, l.dest, h, people)
        {
            continue;
        }
        for k in 0..l.pickups.len() {
            if l.pickups[k].site == hh.site {
                let mut r = route.clone();
                r[i].pickups[k].households.push(h);
                consider(r);
            }
        }
        if l.pickups.len() >= MAX_STOPS || !corridor_compatible(inst, l, hh.site) {
            continue;
        }
        for k in 0..=l.pickups.len() {
            let mut r = route.clone();
            r[i].pickups.insert(
                k,
                Pickup {
                    site: hh.site,
                    households: vec![h],
                },
            );
            consider(r);
        }
    }
    for &d in &inst.allowed_dest[h.index()] {
        if !has_room(inst, st, d, h, people) {
            continue;
        }
        for pos in 0..=route.len() {
            let mut r = route.clone();
            r.insert(
                pos,
                Load {
                    pickups: vec![Pickup {
                        site: hh.site,
                        households: vec![h],
                    }],
                    dest: d,
                },
            );
            consider(r);
        }
    }
    best
}
