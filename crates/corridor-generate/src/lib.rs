//! A seeded generator of realistic evacuation scenarios, for tests and benchmarks.
//!
//! [`generate`] turns [`Options`] into the three files of a scenario
//! (`scenario.toml`, `sites.csv`, `households.csv`) that
//! `corridor_formats::load_scenario` reads. The same options always give the same
//! files, byte for byte: every random draw comes from one ChaCha8 stream seeded
//! with [`Options::seed`], and numbers are written with fixed precision.
//!
//! What a generated scenario looks like:
//!
//! - **Area.** A disc 6 km across centred on 45° N, 10° E (flat farmland of
//!   the Po valley in northern Italy, a neutral setting; places and people are
//!   invented). Pickup sites are spread evenly over it ([`Layout::Uniform`]) or
//!   gathered around 3–6 neighbourhood centres ([`Layout::Clustered`]).
//! - **Households.** 1 + Poisson people, at most 16, about 5 on average; each
//!   person a stretcher case with probability [`Options::stretcher_share`], at
//!   most 2 per household. Households with stretcher cases are tier 1 and fit
//!   an ambulance (2 stretchers + 3 seats): larger families are registered as
//!   the patient's household plus a tier-2 household for the rest. About 25 %
//!   of the other households are tier 2, the rest tier 3. Most are ready at the
//!   start, the others within the first hour. References are pseudonymous
//!   (`G-000001`).
//! - **Ready spread** ([`Options::ready_spread`]): households become ready over
//!   a span, as when some can leave at once and others only on a second day:
//!   half at the start, 35 % during the first half of the span (fewer as time
//!   goes on), the last 15 % in a late wave over the span's last sixth, so the
//!   makespan is set by late-ready households. Shifts last at least the span
//!   plus the fleet's work, and corridor windows reach past the span.
//! - **Fleet.** Buses (50 seats) and ambulances in proportion to the trips each must make (at least one when
//!   there are stretcher cases, at least one bus when there are two vehicles or
//!   more), at 1–2 depots 8–12 km out, working a shift of at least 24 h and
//!   returning to their depot.
//! - **Destinations.** 1–4, 15–40 km out on the safe side of the area; the
//!   first is a hospital (accepts stretcher cases). Together they take at least
//!   1.3 × everyone; some have no limit.
//! - **Travel times.** Great-circle distance × 1.3 at 40 km/h.
//! - **Corridor** ([`Options::corridor`]): a checkpoint 4.5 km out towards the
//!   destinations, 4 min per vehicle, governing every pickup site (or group
//!   A's when there is a deal), with 2 lanes or as many as it takes to pass
//!   everyone twice over in the open time; [`Options::windows`] open windows
//!   of 8 h (longer when the fleet's work needs it), 4 h apart, the first
//!   opening at 1 h.
//! - **Deal** ([`Options::deal`]): group B is 10–20 % of the pickup sites, close
//!   together (the smaller, linked community); group A the rest. People from A
//!   may not exceed `ratio` × people from B + `slack`, with `ratio` just above
//!   A's people ÷ B's and `slack` 5 % of A's people, so that carrying B first
//!   and then A is always allowed.
//!
//! ```
//! use corridor_generate::{Layout, Options, generate};
//!
//! let options = Options {
//!     seed: 7,
//!     households: 50,
//!     sites: 5,
//!     vehicles: 4,
//!     layout: Layout::Clustered,
//!     corridor: true,
//!     windows: 2,
//!     ..Options::default()
//! };
//! let files = generate(&options)?;
//! let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
//! assert_eq!(names, ["scenario.toml", "sites.csv", "households.csv"]);
//! assert!(files[0].contents.contains("corridor generate --seed 7"));
//! assert_eq!(generate(&options)?[2].contents, files[2].contents); // same options, same files
//! # Ok::<(), corridor_generate::GenerateError>(())
//! ```

mod area;
mod draw;
mod people;
mod write;

use area::Km;
use corridor_core::Seconds;
use draw::Draw;
use people::Household;

/// How pickup sites are placed in the study area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Spread evenly over the area.
    Uniform,
    /// Gathered around 3–6 neighbourhood centres.
    Clustered,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Seed of the random generator: the same options always give the same files.
    pub seed: u64,
    /// Number of households (at least 1).
    pub households: u32,
    /// Number of pickup sites (at least 1).
    pub sites: u32,
    /// Number of vehicles, buses and ambulances together (at least 1).
    pub vehicles: u32,
    /// How pickup sites are placed.
    pub layout: Layout,
    /// Share of people who are stretcher cases, from 0 to 0.5 (default 0.02).
    pub stretcher_share: f64,
    /// Add a corridor checkpoint that trips from the pickup sites must pass.
    pub corridor: bool,
    /// Number of open windows of the corridor; 0 means always open. Needs `corridor`.
    pub windows: u32,
    /// Add a linked-evacuation deal between two groups of pickup sites (needs 2 sites or more).
    pub deal: bool,
    /// Households become ready over this span instead of within the first hour
    /// (see the module documentation for the shape); `None` for the first hour.
    pub ready_spread: Option<Seconds>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 1,
            households: 200,
            sites: 10,
            vehicles: 10,
            layout: Layout::Uniform,
            stretcher_share: 0.02,
            corridor: false,
            windows: 0,
            deal: false,
            ready_spread: None,
        }
    }
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Where it goes, relative to the scenario's directory (`scenario.toml`).
    pub path: String,
    /// Its text.
    pub contents: String,
}

/// Options that cannot make a scenario, with what to change.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Zero households.
    #[error(
        "the number of households must be at least 1 (--households): a scenario needs someone to evacuate"
    )]
    NoHouseholds,
    /// Zero pickup sites.
    #[error(
        "the number of pickup sites must be at least 1 (--sites): households wait at pickup sites"
    )]
    NoSites,
    /// Zero vehicles.
    #[error("the number of vehicles must be at least 1 (--vehicles): someone has to drive")]
    NoVehicles,
    /// A stretcher share that is not a number from 0 to 0.5.
    #[error(
        "the stretcher share must be a number from 0 to 0.5 (--stretcher-share; 0.02 means 2 % of people), got {0}"
    )]
    StretcherShare(f64),
    /// Corridor windows asked for without a corridor.
    #[error(
        "--windows {0} needs --corridor: windows are the open times of a corridor checkpoint; add --corridor, or leave out --windows"
    )]
    WindowsWithoutCorridor(u32),
    /// One vehicle cannot carry both stretcher cases (an ambulance) and large families (a bus).
    #[error(
        "one vehicle cannot be both the ambulance the stretcher cases need and the bus the larger families need; use --vehicles 2 or more, or --stretcher-share 0"
    )]
    OneVehicleForEveryone,
    /// A deal with fewer than two pickup sites.
    #[error(
        "a deal needs at least 2 pickup sites to split into two groups, got {0}; raise --sites or leave out --deal"
    )]
    DealNeedsTwoSites(u32),
    /// A ready spread that is not a positive span of at most 30 days.
    #[error(
        "the ready spread must be longer than zero and at most 30 days (--ready-spread, e.g. 36h), got {0}"
    )]
    ReadySpread(String),
    /// More of something than the generator (or the scenario reader) handles.
    #[error("{what} must be at most {max}, got {got}; {hint}")]
    TooLarge {
        /// What is too large, with its option.
        what: &'static str,
        /// The value asked for.
        got: u64,
        /// The largest value accepted.
        max: u64,
        /// Why the limit exists.
        hint: &'static str,
    },
}

/// Largest accepted household count.
const MAX_HOUSEHOLDS: u32 = 10_000_000;
/// Largest accepted pickup-site count.
const MAX_SITES: u32 = 4_990;
/// Largest accepted vehicle count (the scenario reader takes at most 100,000 per `[[vehicle]]` block).
const MAX_VEHICLES: u32 = 100_000;
/// Largest accepted ready spread: 30 days.
const MAX_READY_SPREAD: i64 = 30 * 24 * 3600;
/// Largest accepted number of corridor windows.
const MAX_WINDOWS: u32 = 1000;

/// Generates a scenario: `scenario.toml`, `sites.csv` and `households.csv`, in that order.
///
/// Fails only on options that cannot make a scenario (see [`GenerateError`]).
pub fn generate(options: &Options) -> Result<Vec<GeneratedFile>, GenerateError> {
    check(options)?;
    let world = World::build(options);
    Ok(vec![
        GeneratedFile {
            path: write::SCENARIO_FILE.into(),
            contents: write::scenario_toml(options, &world),
        },
        GeneratedFile {
            path: write::SITES_FILE.into(),
            contents: write::sites_csv(&world),
        },
        GeneratedFile {
            path: write::HOUSEHOLDS_FILE.into(),
            contents: write::households_csv(&world),
        },
    ])
}

fn check(o: &Options) -> Result<(), GenerateError> {
    if o.households == 0 {
        return Err(GenerateError::NoHouseholds);
    }
    if o.sites == 0 {
        return Err(GenerateError::NoSites);
    }
    if o.vehicles == 0 {
        return Err(GenerateError::NoVehicles);
    }
    if !(0.0..=0.5).contains(&o.stretcher_share) {
        return Err(GenerateError::StretcherShare(o.stretcher_share));
    }
    if o.windows > 0 && !o.corridor {
        return Err(GenerateError::WindowsWithoutCorridor(o.windows));
    }
    if o.vehicles == 1 && o.stretcher_share > 0.0 {
        return Err(GenerateError::OneVehicleForEveryone);
    }
    if let Some(span) = o.ready_spread
        && !(1..=MAX_READY_SPREAD).contains(&span.0)
    {
        return Err(GenerateError::ReadySpread(
            corridor_formats::format_duration(span),
        ));
    }
    if o.deal && o.sites < 2 {
        return Err(GenerateError::DealNeedsTwoSites(o.sites));
    }
    let limits = [
        (
            "the number of households (--households)",
            o.households,
            MAX_HOUSEHOLDS,
            "the files would run to gigabytes",
        ),
        (
            "the number of pickup sites (--sites)",
            o.sites,
            MAX_SITES,
            "the travel-time matrix grows with the square of the sites",
        ),
        (
            "the number of vehicles (--vehicles)",
            o.vehicles,
            MAX_VEHICLES,
            "the scenario reader takes at most 100,000 vehicles of one kind at one depot",
        ),
        (
            "the number of corridor windows (--windows)",
            o.windows,
            MAX_WINDOWS,
            "each window is 12 h, so that is more than a year",
        ),
    ];
    for (what, got, max, hint) in limits {
        if got > max {
            return Err(GenerateError::TooLarge {
                what,
                got: u64::from(got),
                max: u64::from(max),
                hint,
            });
        }
    }
    Ok(())
}

/// Seconds in an hour.
const HOUR: i64 = 3600;
/// Shifts last at least this long.
const MIN_SHIFT: i64 = 24 * HOUR;
/// Corridor windows: the first opens at 1 h; each is open 8 h, then closed 4 h.
const FIRST_WINDOW: i64 = HOUR;
/// How long a window stays open.
const WINDOW_OPEN: i64 = 8 * HOUR;
/// How long the corridor stays closed between windows.
const WINDOW_CLOSED: i64 = 4 * HOUR;
/// Inspection time per vehicle at the checkpoint, in seconds.
pub(crate) const PROCESSING: i64 = 4 * 60;
/// Destinations together take at least this many times everyone.
const CAPACITY_MARGIN: f64 = 1.3;

/// A destination.
#[derive(Clone, Debug)]
pub(crate) struct Destination {
    pub(crate) name: String,
    pub(crate) at: Km,
    pub(crate) hospital: bool,
    /// `None` is unlimited.
    pub(crate) capacity: Option<u64>,
}

/// Vehicles of one type at one depot.
#[derive(Clone, Debug)]
pub(crate) struct VehicleGroup {
    pub(crate) name: String,
    pub(crate) vehicle_type: &'static str,
    pub(crate) depot: usize,
    pub(crate) count: u32,
}

/// The corridor, when asked for.
#[derive(Clone, Debug)]
pub(crate) struct CorridorPlan {
    /// Indices of the governed pickup sites, ascending.
    pub(crate) governs: Vec<usize>,
    /// Open windows `[open, close)` in seconds from the start; empty = always open.
    pub(crate) windows: Vec<(i64, i64)>,
    /// Vehicles inspected at once.
    pub(crate) lanes: u32,
}

/// The deal, when asked for.
#[derive(Clone, Debug)]
pub(crate) struct DealPlan {
    /// Indices of group A's pickup sites, ascending.
    pub(crate) group_a: Vec<usize>,
    /// Indices of group B's pickup sites, ascending.
    pub(crate) group_b: Vec<usize>,
    pub(crate) people_a: u64,
    pub(crate) people_b: u64,
    /// The ratio in tenths (63 = 6.3), so that it is written exactly.
    pub(crate) ratio_tenths: u64,
    pub(crate) slack: u64,
}

/// Everything generated, before it is written.
#[derive(Clone, Debug)]
pub(crate) struct World {
    pub(crate) pickups: Vec<Km>,
    /// Number of neighbourhoods (clustered layout), 0 for uniform.
    pub(crate) neighbourhoods: usize,
    pub(crate) households: Vec<Household>,
    pub(crate) depots: Vec<Km>,
    pub(crate) checkpoint: Km,
    pub(crate) destinations: Vec<Destination>,
    pub(crate) fleet: Vec<VehicleGroup>,
    pub(crate) buses: u32,
    pub(crate) ambulances: u32,
    /// Shift end, seconds from the start.
    pub(crate) shift_end: i64,
    pub(crate) corridor: Option<CorridorPlan>,
    pub(crate) deal: Option<DealPlan>,
}

impl World {
    /// Builds the scenario. Options must have passed [`check`].
    ///
    /// The draws for the corridor and the deal come last, so that adding either
    /// to the same seed leaves the sites, households and fleet as they were.
    fn build(o: &Options) -> World {
        let mut d = Draw::new(o.seed);
        let n_sites = o.sites as usize;
        let (pickups, neighbourhoods) = area::pickup_sites(&mut d, n_sites, o.layout);
        let counts = people::households_per_site(&mut d, o.households, n_sites);
        let spread = o.ready_spread.map(|s| s.0);
        let households = people::generate_households(&mut d, &counts, o.stretcher_share, spread);

        // The way out: depots, checkpoint and destinations lie on the safe side.
        let exit = d.uniform(0.0, std::f64::consts::TAU);
        let n_depots = d.int(1, 2).min(o.vehicles) as usize;
        let depots: Vec<Km> = (0..n_depots)
            .map(|_| {
                let bearing = exit + d.uniform(-0.5, 0.5) * std::f64::consts::PI;
                Km::toward(bearing, d.uniform(area::DEPOT_KM.0, area::DEPOT_KM.1))
            })
            .collect();
        let checkpoint = Km::toward(exit, area::CHECKPOINT_KM);
        let destinations = destinations(&mut d, exit, &households);

        let stretcher_cases: u64 = households
            .iter()
            .map(|h| u64::from(h.stretcher_cases))
            .sum();
        let people: u64 = households.iter().map(|h| u64::from(h.people)).sum();
        let (buses, ambulances) = fleet_mix(o.vehicles, stretcher_cases, people);
        let fleet = vehicle_groups(buses, ambulances, n_depots);

        // Leave time after the last window to unload and drive back to the depot,
        // and at least twice the work a vehicle of the busier kind has to do
        // (its trips × a round trip to the farthest destination), so that the
        // fleet can carry everyone.
        let farthest_km = destinations
            .iter()
            .map(|x| {
                x.at.distance2(Km {
                    east: 0.0,
                    north: 0.0,
                })
                .sqrt()
            })
            .fold(0.0, f64::max);
        let round_trip_h = 2.0 * (farthest_km + area::AREA_RADIUS_KM) * 1.3 / 40.0 + 0.5;
        let bus_trips =
            (people.saturating_sub(stretcher_cases) as f64 / 50.0) / f64::from(buses.max(1));
        let ambulance_trips = (stretcher_cases as f64 / 2.0) / f64::from(ambulances.max(1));
        let work = (bus_trips.max(ambulance_trips) * round_trip_h * 2.0).ceil() as i64 * HOUR;
        // Windows stay open long enough for that work (at least 8 h each).
        let window_open = if o.windows == 0 {
            WINDOW_OPEN
        } else {
            let per_window = work / i64::from(o.windows);
            // With a ready spread, the last window closes after the last
            // household is ready, with time for two round trips.
            let n = i64::from(o.windows);
            let late = spread.map_or(0, |s| {
                let needed = s + (2.0 * round_trip_h * HOUR as f64).ceil() as i64;
                ((needed - FIRST_WINDOW - (n - 1) * WINDOW_CLOSED).max(0) + n - 1) / n
            });
            ((per_window.max(late) + HOUR - 1) / HOUR * HOUR).max(WINDOW_OPEN)
        };
        let windows: Vec<(i64, i64)> = (0..i64::from(o.windows))
            .map(|i| {
                let open = FIRST_WINDOW + i * (window_open + WINDOW_CLOSED);
                (open, open + window_open)
            })
            .collect();
        let shift_end = windows
            .last()
            .map_or(MIN_SHIFT, |&(_, close)| (close + 3 * HOUR).max(MIN_SHIFT))
            .max(work)
            // Time after the last household is ready for the work of the fleet.
            .max(spread.map_or(0, |s| s + work));

        let deal = o.deal.then(|| deal(&mut d, &pickups, &households, &counts));
        let corridor = o.corridor.then(|| {
            let governs: Vec<usize> = match &deal {
                Some(deal) => deal.group_a.clone(),
                None => (0..n_sites).collect(),
            };
            // Enough lanes that the open time could pass everyone twice over,
            // at 40 people a crossing: the windows bind, the lanes need not.
            let governed: u64 = households
                .iter()
                .filter(|h| governs.binary_search(&h.site).is_ok())
                .map(|h| u64::from(h.people))
                .sum();
            let open: i64 = if windows.is_empty() {
                shift_end - FIRST_WINDOW
            } else {
                windows.iter().map(|(a, b)| b - a).sum()
            };
            let lane_seconds = (governed as f64 / 40.0).ceil() * PROCESSING as f64 * 2.0;
            // At most the 1,000 lanes a scenario may have.
            let lanes = ((lane_seconds / open.max(1) as f64).ceil() as u32).clamp(2, 1000);
            CorridorPlan {
                governs,
                windows,
                lanes,
            }
        });
        World {
            pickups,
            neighbourhoods,
            households,
            depots,
            checkpoint,
            destinations,
            fleet,
            buses,
            ambulances,
            shift_end,
            corridor,
            deal,
        }
    }

    /// Everyone to evacuate.
    pub(crate) fn people(&self) -> u64 {
        self.households.iter().map(|h| u64::from(h.people)).sum()
    }

    /// Stretcher cases, and the households that have them.
    pub(crate) fn stretcher_cases(&self) -> (u64, usize) {
        let with: Vec<&Household> = self
            .households
            .iter()
            .filter(|h| h.stretcher_cases > 0)
            .collect();
        (
            with.iter().map(|h| u64::from(h.stretcher_cases)).sum(),
            with.len(),
        )
    }
}

/// Rounds up to a multiple of 10.
fn ceil10(x: f64) -> u64 {
    ((x / 10.0).ceil().max(1.0) as u64) * 10
}

/// 1–4 destinations on the safe side, 15–40 km out; the first is a hospital.
///
/// Capacities: each limited destination gets its share (by a random weight,
/// hospitals weighing half) of 1.3 × everyone, rounded up to tens, so that
/// together the destinations take at least 1.3 × everyone; hospitals together
/// take at least 1.3 × the people of households with stretcher cases (who can
/// go nowhere else). Some destinations have no limit.
fn destinations(d: &mut Draw, exit: f64, households: &[Household]) -> Vec<Destination> {
    let n = d.int(1, 4) as usize;
    let people: u64 = households.iter().map(|h| u64::from(h.people)).sum();
    let tier1: u64 = households
        .iter()
        .filter(|h| h.stretcher_cases > 0)
        .map(|h| u64::from(h.people))
        .sum();
    let unlimited_chance = if n == 1 { 0.5 } else { 0.25 };
    let mut drafts = Vec::with_capacity(n);
    for i in 0..n {
        let bearing = exit + d.uniform(-1.0, 1.0) * std::f64::consts::FRAC_PI_3;
        let at = Km::toward(
            bearing,
            d.uniform(area::DESTINATION_KM.0, area::DESTINATION_KM.1),
        );
        let hospital = i == 0 || d.chance(0.3);
        let unlimited = d.chance(unlimited_chance);
        let weight = d.uniform(0.6, 1.4) * if hospital { 0.5 } else { 1.0 };
        drafts.push((at, hospital, unlimited, weight));
    }
    let total_weight: f64 = drafts.iter().map(|t| t.3).sum();
    let (mut hospitals, mut receptions) = (0, 0);
    let mut out: Vec<Destination> = drafts
        .iter()
        .map(|&(at, hospital, unlimited, weight)| {
            let name = if hospital {
                hospitals += 1;
                format!("Hospital {hospitals}")
            } else {
                receptions += 1;
                format!("Reception {receptions}")
            };
            Destination {
                name,
                at,
                hospital,
                capacity: (!unlimited)
                    .then(|| ceil10(CAPACITY_MARGIN * people as f64 * weight / total_weight)),
            }
        })
        .collect();
    let hospital_caps: Option<u64> = out.iter().filter(|x| x.hospital).map(|x| x.capacity).sum();
    if let Some(caps) = hospital_caps {
        let needed = ceil10(CAPACITY_MARGIN * tier1 as f64);
        if caps < needed
            && let Some(first) = out.first_mut()
            && let Some(c) = &mut first.capacity
        {
            *c += needed - caps;
        }
    }
    out
}

/// Buses and ambulances in proportion to the trips each kind must make
/// (stretcher cases two to an ambulance, everyone else fifty to a bus), so that
/// neither kind alone sets the pace; at least one ambulance when anyone needs a
/// stretcher, at least one bus when there are two vehicles or more.
fn fleet_mix(vehicles: u32, stretcher_cases: u64, people: u64) -> (u32, u32) {
    // Two stretcher cases and their companions (one each) to an ambulance.
    let ambulance_trips = stretcher_cases.div_ceil(2) as f64;
    let bus_trips = (people.saturating_sub(stretcher_cases) as f64 / 50.0).max(1.0);
    let share = if stretcher_cases == 0 {
        0.0
    } else {
        (ambulance_trips / (ambulance_trips + bus_trips)).clamp(0.05, 0.5)
    };
    let mut ambulances = (f64::from(vehicles) * share).round() as u32;
    if stretcher_cases > 0 {
        ambulances = ambulances.max(1);
    }
    if vehicles >= 2 {
        ambulances = ambulances.min(vehicles - 1);
    }
    ambulances = ambulances.min(vehicles);
    (vehicles - ambulances, ambulances)
}

/// Splits the fleet over the depots (the first depot takes the odd one).
fn vehicle_groups(buses: u32, ambulances: u32, depots: usize) -> Vec<VehicleGroup> {
    let depots = depots.max(1);
    let mut out = Vec::new();
    for (vehicle_type, total) in [("bus", buses), ("ambulance", ambulances)] {
        for depot in 0..depots {
            let share = total / depots as u32 + u32::from((depot as u32) < total % depots as u32);
            if share == 0 {
                continue;
            }
            let name = if depots == 1 {
                vehicle_type.to_string()
            } else {
                format!("{vehicle_type}-d{}", depot + 1)
            };
            out.push(VehicleGroup {
                name,
                vehicle_type,
                depot,
                count: share,
            });
        }
    }
    out
}

/// Group B: 10–20 % of the pickup sites (at least one, never all), the sites
/// nearest one inhabited site; group A the rest. The ratio is A's people ÷ B's,
/// rounded up to a tenth, plus a tenth; the slack 5 % of A's people. So once
/// all of B is delivered all of A is allowed: a plan that carries B first is valid.
fn deal(d: &mut Draw, pickups: &[Km], households: &[Household], counts: &[u32]) -> DealPlan {
    let n = pickups.len();
    let share = d.uniform(0.10, 0.20);
    let size = ((n as f64 * share).round() as usize).clamp(1, n.saturating_sub(1).max(1));
    let inhabited: Vec<usize> = (0..n).filter(|&i| counts[i] > 0).collect();
    let seed_site = inhabited
        .get(d.index(inhabited.len()))
        .copied()
        .unwrap_or(0);
    let centre = pickups.get(seed_site).copied().unwrap_or(Km {
        east: 0.0,
        north: 0.0,
    });
    let mut by_distance: Vec<usize> = (0..n).collect();
    by_distance.sort_by(|&a, &b| {
        pickups[a]
            .distance2(centre)
            .total_cmp(&pickups[b].distance2(centre))
            .then(a.cmp(&b))
    });
    let mut group_b: Vec<usize> = by_distance[..size].to_vec();
    group_b.sort_unstable();
    let mut in_b = vec![false; n];
    group_b.iter().for_each(|&i| in_b[i] = true);
    let group_a: Vec<usize> = (0..n).filter(|&i| !in_b[i]).collect();
    let (mut people_a, mut people_b) = (0u64, 0u64);
    for h in households {
        if in_b[h.site] {
            people_b += u64::from(h.people);
        } else {
            people_a += u64::from(h.people);
        }
    }
    // The seed site is inhabited and in B, so B has people.
    let ratio_tenths = (10 * people_a).div_ceil(people_b.max(1)) + 1;
    DealPlan {
        group_a,
        group_b,
        people_a,
        people_b,
        ratio_tenths,
        slack: (people_a * 5).div_ceil(100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_mix_rules() {
        assert_eq!(fleet_mix(1, 0, 100), (1, 0));
        assert_eq!(fleet_mix(1, 2, 100), (0, 1));
        assert_eq!(fleet_mix(2, 2, 100), (1, 1));
        assert_eq!(fleet_mix(3, 0, 100), (3, 0));
        // 2 % stretcher cases: 0.01 P ambulance trips against 0.0196 P bus trips.
        assert_eq!(fleet_mix(500, 2200, 110_000), (331, 169));
        assert_eq!(fleet_mix(10, 2, 1000), (9, 1));
    }

    #[test]
    fn vehicle_groups_cover_the_fleet() {
        let g = vehicle_groups(5, 1, 2);
        let total: u32 = g.iter().map(|g| g.count).sum();
        assert_eq!(total, 6);
        assert_eq!(g.len(), 3);
        assert_eq!(g[0].name, "bus-d1");
        assert_eq!(g[0].count, 3);
        assert_eq!(g[2].name, "ambulance-d1");
        let g = vehicle_groups(1, 0, 1);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].name, "bus");
    }

    #[test]
    fn deal_allows_carrying_b_first() {
        for seed in 0..20 {
            let o = Options {
                seed,
                households: 300,
                sites: 12,
                deal: true,
                ..Options::default()
            };
            let w = World::build(&o);
            let deal = w.deal.as_ref().expect("a deal");
            assert!(!deal.group_a.is_empty() && !deal.group_b.is_empty());
            assert!(deal.people_b > 0);
            // ratio × B ≥ A, in integers.
            assert!(deal.ratio_tenths * deal.people_b >= 10 * deal.people_a);
            assert_eq!(deal.people_a + deal.people_b, w.people());
        }
    }

    #[test]
    fn destinations_take_everyone() {
        for seed in 0..50 {
            let w = World::build(&Options {
                seed,
                stretcher_share: 0.3,
                ..Options::default()
            });
            let people = w.people();
            let total: Option<u64> = w.destinations.iter().map(|d| d.capacity).sum();
            if let Some(total) = total {
                assert!(total as f64 >= 1.3 * people as f64, "seed {seed}");
            }
            let tier1: u64 = w
                .households
                .iter()
                .filter(|h| h.stretcher_cases > 0)
                .map(|h| u64::from(h.people))
                .sum();
            let hospitals: Option<u64> = w
                .destinations
                .iter()
                .filter(|d| d.hospital)
                .map(|d| d.capacity)
                .sum();
            if let Some(h) = hospitals {
                assert!(h >= tier1, "seed {seed}");
            }
        }
    }
}
