//! Legs that pass other pickup sites as empty stops.
//!
//! A plan may stop at a pickup site without loading anyone, for one fixed stop
//! time. Where the travel times break the triangle inequality (explicit
//! matrices often do; shortest paths on a road network do not, up to rounding) going by way
//! of such stops can be faster than the direct leg. The planner times its legs
//! on the closure computed here and writes the sites passed into the plan as
//! empty stops, so the validator sees every leg as the matrix gives it.
//!
//! Only pickup sites that no corridor governs are passed (a stop at a governed
//! site would make the trip cross), and only legs that a trip's stops can hold
//! are closed: legs to a pickup or a destination, from anywhere but a
//! checkpoint (after the crossing a trip has no more stops). Legs to depots and
//! checkpoints stay direct.

use crate::instance::UNREACHABLE;

/// No site passed: the direct leg.
const DIRECT: u32 = u32::MAX;

/// Past this many `sites² × passable sites` operations the closure is not
/// computed: at that size travel times come from a road network, which keeps
/// the triangle inequality.
const WORK_LIMIT: usize = 400_000_000;

/// One vehicle type's closed legs and how to follow them.
pub(crate) struct Detours {
    n: usize,
    /// For each leg, a site it passes (the last one the closure added), or [`DIRECT`].
    via: Vec<u32>,
}

/// Closes `direct` (n × n, with the type's factor applied) over empty stops of
/// `stop` seconds at the `passable` sites. Legs from a site with `from_ok`
/// false, or to one with `to_ok` false, are kept direct. Returns the closed
/// table and its detours, or None when no detour is shorter than its leg (or
/// the table is too large to close).
pub(crate) fn close(
    n: usize,
    direct: &[i64],
    stop: i64,
    passable: &[bool],
    from_ok: &[bool],
    to_ok: &[bool],
) -> Option<(Vec<i64>, Detours)> {
    let through: Vec<usize> = (0..n).filter(|&k| passable[k]).collect();
    if through.is_empty() || n.saturating_mul(n).saturating_mul(through.len()) > WORK_LIMIT {
        return None;
    }
    debug_assert!(through.iter().all(|&k| from_ok[k] && to_ok[k]));
    let rows: Vec<usize> = (0..n).filter(|&i| from_ok[i]).collect();
    let cols: Vec<usize> = (0..n).filter(|&j| to_ok[j]).collect();
    let mut d = direct.to_vec();
    let mut via = vec![DIRECT; n * n];
    let mut improved = false;
    // Floyd–Warshall over the passable sites only: a site's row and column are
    // final for paths through the earlier ones when it is taken as the middle.
    for &k in &through {
        for &i in &rows {
            let dik = d[i * n + k];
            if i == k || dik >= UNREACHABLE {
                continue;
            }
            let base = dik + stop;
            for &j in &cols {
                if j == i || j == k {
                    continue;
                }
                let dkj = d[k * n + j];
                if dkj < UNREACHABLE && base + dkj < d[i * n + j] {
                    d[i * n + j] = base + dkj;
                    via[i * n + j] = k as u32;
                    improved = true;
                }
            }
        }
    }
    improved.then_some((d, Detours { n, via }))
}

impl Detours {
    /// The sites the closed leg `a → b` passes, in order, appended to `out`.
    pub(crate) fn passed(&self, a: usize, b: usize, out: &mut Vec<usize>) {
        let k = self.via[a * self.n + b];
        if k != DIRECT {
            let k = k as usize;
            self.passed(a, k, out);
            out.push(k);
            self.passed(k, b, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every closed leg costs exactly its direct legs plus one stop per site
    /// passed, and no path through passable sites is shorter.
    #[test]
    fn closed_legs_are_real_paths_and_shortest() {
        let n = 6;
        let mut seed = 7u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let direct: Vec<i64> = (0..n * n)
                .map(|x| {
                    if x % (n + 1) == 0 {
                        0
                    } else if next() % 10 == 0 {
                        UNREACHABLE
                    } else {
                        60 + (next() % 900) as i64
                    }
                })
                .collect();
            let passable: Vec<bool> = (0..n).map(|k| k == 1 || k == 2 || k == 4).collect();
            let from_ok: Vec<bool> = (0..n).map(|i| i != 5).collect();
            let to_ok: Vec<bool> = (0..n).map(|j| j != 0).collect();
            let stop = 30;
            let Some((closed, detours)) = close(n, &direct, stop, &passable, &from_ok, &to_ok)
            else {
                continue;
            };
            for a in 0..n {
                for b in 0..n {
                    let mut path = Vec::new();
                    detours.passed(a, b, &mut path);
                    if !(from_ok[a] && to_ok[b]) || a == b {
                        assert!(path.is_empty());
                        assert_eq!(closed[a * n + b], direct[a * n + b]);
                        continue;
                    }
                    assert!(path.iter().all(|&k| passable[k] && k != a && k != b));
                    let mut at = a;
                    let mut cost = 0;
                    for &k in path.iter().chain([&b]) {
                        cost += direct[at * n + k];
                        at = k;
                    }
                    cost += stop * path.len() as i64;
                    if closed[a * n + b] < UNREACHABLE {
                        assert_eq!(cost, closed[a * n + b], "{a}→{b} via {path:?}");
                    }
                    // Brute force over every order of up to two passable sites.
                    let mut best = direct[a * n + b];
                    for &k in (0..n)
                        .filter(|&k| passable[k] && k != a && k != b)
                        .collect::<Vec<_>>()
                        .iter()
                    {
                        best = best.min(direct[a * n + k] + stop + direct[k * n + b]);
                        for l in (0..n).filter(|&l| passable[l] && l != a && l != b && l != k) {
                            best = best.min(
                                direct[a * n + k]
                                    + direct[k * n + l]
                                    + direct[l * n + b]
                                    + 2 * stop,
                            );
                        }
                    }
                    assert!(closed[a * n + b] <= best.min(UNREACHABLE), "{a}→{b}");
                }
            }
        }
    }
}
