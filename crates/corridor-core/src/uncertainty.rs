//! What can go differently from the plan, for rehearsals: the scenario's `[rehearsal]` table.

use crate::scenario::TravelMatrix;
use crate::units::Seconds;

/// How uncertain the world is when a plan is carried out.
///
/// Every field is zero-able: with [`Uncertainty::none`] a rehearsal replays the plan
/// to the second, which is how the simulator is tested. Variabilities are
/// coefficients of variation (standard deviation ÷ mean) of a lognormal factor
/// with mean 1, so they scale times without changing their mean.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncertainty {
    /// Variation of each driving leg's time.
    pub travel_time_cv: f64,
    /// Variation of each stop's boarding time.
    pub boarding_time_cv: f64,
    /// Extra boarding time at a stop for every 100 people still waiting at the site (the crush).
    pub crowding_delay_per_100_waiting: Seconds,
    /// Variation of each vehicle's checkpoint processing time.
    pub checkpoint_processing_cv: f64,
    /// How often an open corridor is suspended, per day of open time.
    pub suspensions_per_day: f64,
    /// Mean length of a suspension.
    pub suspension_mean: Seconds,
    /// Variation of a suspension's length.
    pub suspension_cv: f64,
    /// Breakdowns per hour of driving; each costs a repair.
    pub breakdowns_per_driving_hour: f64,
    /// Mean time to repair a breakdown.
    pub repair_mean: Seconds,
    /// Variation of a repair's length.
    pub repair_cv: f64,
    /// Vehicles lost (burned, seized, stopped for good) per hour of work; a loss happens as a trip begins.
    pub losses_per_working_hour: f64,
    /// Share of households (0 to 1) not at their site at their ready time.
    pub late_household_share: f64,
    /// Mean lateness of such a household (exponentially distributed).
    pub late_household_mean: Seconds,
    /// Road closures that may happen (the `[[rehearsal.closure]]` tables), with the travel
    /// times under each combination of them.
    pub closures: RoadClosures,
}

impl Uncertainty {
    /// No variability at all: a rehearsal replays the plan's own times.
    pub fn none() -> Uncertainty {
        Uncertainty {
            travel_time_cv: 0.0,
            boarding_time_cv: 0.0,
            crowding_delay_per_100_waiting: Seconds::ZERO,
            checkpoint_processing_cv: 0.0,
            suspensions_per_day: 0.0,
            suspension_mean: Seconds::ZERO,
            suspension_cv: 0.0,
            breakdowns_per_driving_hour: 0.0,
            repair_mean: Seconds::ZERO,
            repair_cv: 0.0,
            losses_per_working_hour: 0.0,
            late_household_share: 0.0,
            late_household_mean: Seconds::ZERO,
            closures: RoadClosures::default(),
        }
    }
}

impl Default for Uncertainty {
    /// Moderate disruption, for a scenario that says nothing: roads vary by 20 %, a crowd
    /// slows boarding, and about once in three days of open corridor it is suspended for
    /// about 12 hours (eastern Aleppo, December 2016, saw 24–59 hours).
    fn default() -> Uncertainty {
        Uncertainty {
            travel_time_cv: 0.2,
            boarding_time_cv: 0.3,
            crowding_delay_per_100_waiting: Seconds(30),
            checkpoint_processing_cv: 0.3,
            suspensions_per_day: 0.3,
            suspension_mean: Seconds::from_hours(12),
            suspension_cv: 0.8,
            breakdowns_per_driving_hour: 0.01,
            repair_mean: Seconds::from_minutes(90),
            repair_cv: 0.5,
            losses_per_working_hour: 0.0005,
            late_household_share: 0.1,
            late_household_mean: Seconds::from_minutes(30),
            closures: RoadClosures::default(),
        }
    }
}

/// When a possible closure ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClosureEnd {
    /// It stays closed until the operation is over.
    Never,
    /// It reopens at this time.
    At(Seconds),
    /// It lasts an exponentially distributed time with this mean (most are short, a few long).
    MeanDuration(Seconds),
}

/// A road closure that may happen during a run: how likely, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct PossibleClosure {
    /// How reports name it (its description, or the place as written).
    pub name: String,
    /// Probability (0 to 1) that it happens in a run.
    pub chance: f64,
    /// The earliest time it closes.
    pub from: Seconds,
    /// The latest time it closes: the closing time is drawn evenly between `from` and this
    /// (equal to `from` for a known time).
    pub latest_from: Seconds,
    /// When it reopens.
    pub end: ClosureEnd,
}

/// The possible closures of a scenario on roads, with the site-to-site travel times under every
/// combination of them.
///
/// The matrices are computed before the runs, all of them: the road network is re-weighted
/// without re-contraction, which takes milliseconds per combination, so with at most
/// [`RoadClosures::MAX`] closures (255 combinations) this costs less than the runs themselves,
/// keeps the simulator a pure function of the core's data (no router, cache or lock shared by
/// parallel runs) and makes every run see exactly the same times whatever the thread count.
/// A lazily filled cache behind a trait would allow more closures, but an operations room
/// weighs a handful of doubtful roads, not dozens.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoadClosures {
    closures: Vec<PossibleClosure>,
    /// `travel[mask - 1]`: the times when exactly the closures of bit mask `mask` are in force.
    travel: Vec<TravelMatrix>,
}

impl RoadClosures {
    /// Most possible closures a scenario may list (2^8 − 1 = 255 combinations to compute).
    pub const MAX: usize = 8;

    /// Most memory the travel times under every combination may take (512 MiB): they are all
    /// kept while the scenario is loaded, and an operations-room laptop must not run out of memory
    /// because many sites meet many doubtful roads.
    pub const MEMORY_BUDGET: u64 = 512 * 1024 * 1024;

    /// Bytes the travel times under every combination of `closures` possible closures take for
    /// `sites` sites: 2^k − 1 matrices of `sites`² entries.
    pub fn table_bytes(sites: usize, closures: usize) -> u64 {
        let entry = std::mem::size_of::<Option<Seconds>>() as u64;
        let combinations = (1u64 << closures.min(63)) - 1;
        let n = sites as u64;
        n.saturating_mul(n)
            .saturating_mul(entry)
            .saturating_mul(combinations)
    }

    /// Most possible closures that `sites` sites allow: [`RoadClosures::MAX`], or fewer when the
    /// travel times under every combination would exceed [`RoadClosures::MEMORY_BUDGET`].
    pub fn max_for_sites(sites: usize) -> usize {
        (0..=Self::MAX)
            .rev()
            .find(|&k| Self::table_bytes(sites, k) <= Self::MEMORY_BUDGET)
            .unwrap_or(0)
    }

    /// Closures with their matrices: `travel[mask - 1]` holds the times when exactly the
    /// closures in bit mask `mask` (bit `i` for `closures[i]`) are in force. `None` when there
    /// are more than [`RoadClosures::MAX`] closures, the number of matrices is not 2^k − 1, or a
    /// matrix is not the size of the first.
    pub fn new(closures: Vec<PossibleClosure>, travel: Vec<TravelMatrix>) -> Option<RoadClosures> {
        let k = closures.len();
        let size = travel.first().map(TravelMatrix::len);
        (k <= Self::MAX
            && travel.len() == (1usize << k) - 1
            && travel.iter().all(|m| Some(m.len()) == size))
        .then_some(RoadClosures { closures, travel })
    }

    /// The possible closures, in the scenario's order.
    pub fn closures(&self) -> &[PossibleClosure] {
        &self.closures
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.closures.is_empty()
    }

    /// The travel times when exactly the closures of bit mask `mask` are in force; `None` for
    /// the empty mask (the scenario's own times apply) or a mask beyond the closures.
    pub fn travel(&self, mask: u32) -> Option<&TravelMatrix> {
        (mask as usize)
            .checked_sub(1)
            .and_then(|i| self.travel.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::RoadClosures;

    #[test]
    fn the_closures_allowed_shrink_as_the_sites_grow_to_keep_the_tables_in_the_budget() {
        // 16 bytes an entry: 500 sites take 4 MB a matrix, 1,000 sites 16 MB.
        assert_eq!(RoadClosures::table_bytes(500, 8), 250_000 * 16 * 255);
        assert_eq!(RoadClosures::max_for_sites(10), RoadClosures::MAX);
        assert_eq!(RoadClosures::max_for_sites(300), RoadClosures::MAX);
        assert_eq!(RoadClosures::max_for_sites(500), 7);
        assert_eq!(RoadClosures::max_for_sites(1_000), 5);
        assert_eq!(RoadClosures::max_for_sites(6_000), 0);
        for sites in [1, 362, 363, 500, 1_000, 2_000, 5_792, 5_793, 100_000] {
            let k = RoadClosures::max_for_sites(sites);
            assert!(RoadClosures::table_bytes(sites, k) <= RoadClosures::MEMORY_BUDGET);
            if k < RoadClosures::MAX {
                assert!(RoadClosures::table_bytes(sites, k + 1) > RoadClosures::MEMORY_BUDGET);
            }
        }
    }
}
