//! Households: sizes, stretcher cases, priority tiers and ready times.

use crate::draw::Draw;

/// Mean of the Poisson part of a household's size (size = 1 + Poisson, at most [`MAX_SIZE`]).
///
/// 4.4 rather than 4: families with a stretcher case are registered as two
/// households (the patient's, which fits an ambulance, and the rest of the
/// family), which brings the mean registered household back to about 5 people
/// at the default stretcher share.
pub(crate) const SIZE_LAMBDA: f64 = 4.4;
/// The largest household.
pub(crate) const MAX_SIZE: u32 = 16;
/// At most this many stretcher cases in one household (an ambulance's stretchers).
pub(crate) const MAX_STRETCHERS: u32 = 2;
/// At most this many seated people with stretcher cases (an ambulance's seats).
pub(crate) const MAX_COMPANIONS: u32 = 1;
/// Share of households without stretcher cases that are tier 2 (vulnerable).
const VULNERABLE_SHARE: f64 = 0.25;
/// Share of households that are at their site from the start.
const READY_AT_START: f64 = 0.7;
/// With a ready spread: share of households at their site from the start.
pub(crate) const SPREAD_AT_START: f64 = 0.5;
/// With a ready spread: share that come during the first half of the span
/// (the rest come in the late wave over the span's last sixth).
pub(crate) const SPREAD_FIRST_HALF: f64 = 0.35;

/// One generated household.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Household {
    /// Index of its pickup site.
    pub(crate) site: usize,
    pub(crate) people: u32,
    pub(crate) stretcher_cases: u32,
    pub(crate) tier: u8,
    /// Seconds from the start.
    pub(crate) ready: i64,
}

/// How many households wait at each of `sites` pickup sites.
///
/// Site sizes vary (log-normal weights). When there are at least as many
/// households as sites, every site gets at least one.
pub(crate) fn households_per_site(d: &mut Draw, households: u32, sites: usize) -> Vec<u32> {
    let mut cumulative = Vec::with_capacity(sites);
    let mut sum = 0.0;
    for _ in 0..sites {
        sum += (0.6 * d.normal()).exp();
        cumulative.push(sum);
    }
    let mut counts = vec![0u32; sites];
    let mut left = households;
    if households as usize >= sites {
        counts.iter_mut().for_each(|c| *c = 1);
        left -= sites as u32;
    }
    for _ in 0..left {
        counts[d.weighted(&cumulative)] += 1;
    }
    counts
}

/// Generates the households, site by site, exactly `counts[site]` at each site.
///
/// Each draw is a family of 1 + Poisson([`SIZE_LAMBDA`]) people (at most
/// [`MAX_SIZE`]); each person is a stretcher case with probability
/// `stretcher_share`, at most [`MAX_STRETCHERS`] per family. A family with
/// stretcher cases is tier 1. When it has more than [`MAX_COMPANIONS`] other
/// members it could not ride one ambulance, so it is registered as two
/// households: the stretcher cases with one companion (tier 1), and the rest
/// of the family (tier 2: "families of the severely injured"), who take the
/// site's next household slot. At a site's last slot the rest are left out.
pub(crate) fn generate_households(
    d: &mut Draw,
    counts: &[u32],
    stretcher_share: f64,
    ready_spread: Option<i64>,
) -> Vec<Household> {
    let total: usize = counts.iter().map(|&c| c as usize).sum();
    let mut out = Vec::with_capacity(total);
    for (site, &count) in counts.iter().enumerate() {
        let mut left = count;
        while left > 0 {
            let size = (1 + d.poisson(SIZE_LAMBDA)).min(MAX_SIZE);
            let stretcher = (0..size)
                .filter(|_| d.chance(stretcher_share))
                .count()
                .min(MAX_STRETCHERS as usize) as u32;
            let ready = match ready_spread {
                None => ready_time(d),
                Some(span) => spread_ready_time(d, span),
            };
            if stretcher == 0 {
                let tier = if d.chance(VULNERABLE_SHARE) { 2 } else { 3 };
                out.push(Household {
                    site,
                    people: size,
                    stretcher_cases: 0,
                    tier,
                    ready,
                });
                left -= 1;
                continue;
            }
            let with_patient = size.min(stretcher + MAX_COMPANIONS);
            out.push(Household {
                site,
                people: with_patient,
                stretcher_cases: stretcher,
                tier: 1,
                ready,
            });
            left -= 1;
            let rest = size - with_patient;
            if rest > 0 && left > 0 {
                out.push(Household {
                    site,
                    people: rest,
                    stretcher_cases: 0,
                    tier: 2,
                    ready,
                });
                left -= 1;
            }
        }
    }
    out
}

/// Most households are at their site from the start; the others arrive within the first hour.
fn ready_time(d: &mut Draw) -> i64 {
    if d.chance(READY_AT_START) {
        0
    } else {
        i64::from(d.int(1, 4)) * 15 * 60
    }
}

/// Ready times spread over `span` seconds, the way people leave when some can
/// go at once and others must wait for a second day: half are at their site
/// from the start; 35 % come during the first half of the span, fewer as time
/// goes on (a density falling linearly to zero at half the span); the last
/// 15 % come in a late wave, evenly over the span's last sixth, so the last
/// household is ready close to the end of the span. Whole minutes.
fn spread_ready_time(d: &mut Draw, span: i64) -> i64 {
    let r = d.unit();
    let t = if r < SPREAD_AT_START {
        0.0
    } else if r < SPREAD_AT_START + SPREAD_FIRST_HALF {
        let v = d.unit();
        span as f64 / 2.0 * (1.0 - (1.0 - v).sqrt())
    } else {
        span as f64 * (5.0 + d.unit()) / 6.0
    };
    ((t as i64) / 60 * 60).clamp(0, span)
}
