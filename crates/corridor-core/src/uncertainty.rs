//! What can go differently from the plan, for rehearsals: the scenario's `[rehearsal]` table.

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
        }
    }
}
