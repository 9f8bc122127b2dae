//! The generator's promises: determinism, files the reader accepts, realistic
//! numbers, and clear errors for options that cannot make a scenario.

use corridor_core::{People, Scenario, Seconds, SiteKind};
use corridor_formats::load_scenario;
use corridor_generate::{GenerateError, GeneratedFile, Layout, Options, generate};

fn files(o: &Options) -> Vec<GeneratedFile> {
    match generate(o) {
        Ok(f) => f,
        Err(e) => panic!("generate({o:?}) failed: {e}"),
    }
}

fn file<'a>(files: &'a [GeneratedFile], path: &str) -> &'a str {
    files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.contents.as_str())
        .unwrap_or_else(|| panic!("no {path}"))
}

/// Writes the files to a temporary directory and reads them back, insisting on no problems and no warnings.
fn load(o: &Options) -> Scenario {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for f in files(o) {
        std::fs::write(dir.path().join(&f.path), &f.contents).expect("write");
    }
    match load_scenario(&dir.path().join("scenario.toml")) {
        Ok(loaded) => {
            assert!(
                loaded.warnings.is_empty(),
                "{o:?}: warnings {:?}",
                loaded.warnings
            );
            loaded.scenario
        }
        Err(problems) => panic!("{o:?}: the generated scenario does not load:\n{problems}"),
    }
}

fn pickups(s: &Scenario) -> usize {
    s.sites
        .iter()
        .filter(|x| x.kind == SiteKind::Pickup)
        .count()
}

#[test]
fn same_seed_same_files_different_seed_different_files() {
    for layout in [Layout::Uniform, Layout::Clustered] {
        let o = Options {
            seed: 42,
            layout,
            corridor: true,
            windows: 2,
            deal: true,
            ..Options::default()
        };
        assert_eq!(files(&o), files(&o.clone()));
        let other = files(&Options {
            seed: 43,
            ..o.clone()
        });
        let this = files(&o);
        for path in ["scenario.toml", "sites.csv", "households.csv"] {
            assert_ne!(
                file(&this, path),
                file(&other, path),
                "{path} with {layout:?}"
            );
        }
    }
}

#[test]
fn files_are_the_three_of_a_scenario() {
    let f = files(&Options::default());
    let paths: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["scenario.toml", "sites.csv", "households.csv"]);
    assert!(
        file(&f, "sites.csv").starts_with("name,kind,lat,lon,capacity,accepts_stretcher_cases\n")
    );
    assert!(
        file(&f, "households.csv")
            .starts_with("reference,site,people,stretcher_cases,tier,ready\n")
    );
    let toml = file(&f, "scenario.toml");
    assert!(toml.starts_with("# "));
    assert!(toml.contains(
        "corridor generate --seed 1 --households 200 --sites 10 --vehicles 10 -o <directory>"
    ));
    assert!(toml.contains("great_circle = { detour = 1.3, speed_kmh = 40 }"));
    assert!(file(&f, "households.csv").contains("\nG-000001,Pickup 001,"));
}

#[test]
fn the_header_reproduces_the_options() {
    let o = Options {
        seed: 9,
        households: 77,
        sites: 6,
        vehicles: 5,
        layout: Layout::Clustered,
        stretcher_share: 0.05,
        corridor: true,
        windows: 3,
        deal: true,
        ready_spread: Some(Seconds::from_hours(36)),
    };
    let f = files(&o);
    assert!(file(&f, "scenario.toml").contains(
        "corridor generate --seed 9 --households 77 --sites 6 --vehicles 5 --layout clustered \
         --stretcher-share 0.05 --corridor --windows 3 --deal --ready-spread 36h -o <directory>"
    ));
}

#[test]
fn a_ready_spread_puts_late_households_at_the_end_of_the_span() {
    let span = Seconds::from_hours(36);
    let o = Options {
        seed: 3,
        households: 2000,
        sites: 20,
        vehicles: 40,
        ready_spread: Some(span),
        ..Options::default()
    };
    let s = load(&o);
    let n = s.households.len() as f64;
    let share =
        |f: &dyn Fn(Seconds) -> bool| s.households.iter().filter(|h| f(h.ready)).count() as f64 / n;
    assert!(
        s.households
            .iter()
            .all(|h| h.ready >= Seconds::ZERO && h.ready <= span)
    );
    assert!(s.households.iter().all(|h| h.ready.0 % 60 == 0));
    // Half at the start (a tier-2 rest of a family shares its patient's time).
    let at_start = share(&|t| t == Seconds::ZERO);
    assert!((0.45..0.56).contains(&at_start), "{at_start}");
    // 35 % during the first half, fewer as time goes on.
    let first_quarter = share(&|t| t > Seconds::ZERO && t <= Seconds::from_hours(9));
    let second_quarter = share(&|t| t > Seconds::from_hours(9) && t <= Seconds::from_hours(18));
    assert!((0.30..0.40).contains(&(first_quarter + second_quarter)));
    assert!(
        first_quarter > 2.0 * second_quarter,
        "{first_quarter} {second_quarter}"
    );
    // Nobody between half the span and its last sixth; 15 % in the late wave.
    assert_eq!(
        share(&|t| t > Seconds::from_hours(18) && t < Seconds::from_hours(30)),
        0.0
    );
    let late = share(&|t| t >= Seconds::from_hours(30));
    assert!((0.11..0.19).contains(&late), "{late}");
    let last = s
        .households
        .iter()
        .map(|h| h.ready)
        .max()
        .expect("households");
    assert!(last >= Seconds::from_hours(35), "{last:?}");
    // Every vehicle works long enough to carry the last of them.
    assert!(
        s.vehicles
            .iter()
            .all(|v| v.available_until >= last + Seconds::from_hours(4))
    );
    // Without the spread, everyone is ready within the first hour.
    let plain = load(&Options {
        ready_spread: None,
        ..o.clone()
    });
    assert!(
        plain
            .households
            .iter()
            .all(|h| h.ready <= Seconds::from_hours(1))
    );
    // With corridor windows, the last window closes after the last household is ready.
    let with_windows = load(&Options {
        corridor: true,
        windows: 2,
        ..o
    });
    let last = with_windows
        .households
        .iter()
        .map(|h| h.ready)
        .max()
        .expect("households");
    let closes = with_windows.corridors[0]
        .windows
        .iter()
        .map(|w| w.end)
        .max()
        .expect("windows");
    assert!(
        closes >= last + Seconds::from_hours(2),
        "{closes:?} {last:?}"
    );
}

#[test]
fn corridor_and_deal_leave_the_rest_as_it_was() {
    let plain = files(&Options {
        seed: 5,
        ..Options::default()
    });
    let both = files(&Options {
        seed: 5,
        corridor: true,
        windows: 2,
        deal: true,
        ..Options::default()
    });
    assert_eq!(
        file(&plain, "households.csv"),
        file(&both, "households.csv")
    );
    let without_checkpoint: String = file(&both, "sites.csv")
        .lines()
        .filter(|l| !l.starts_with("Checkpoint,"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(file(&plain, "sites.csv"), without_checkpoint);
}

#[test]
fn generated_scenarios_load_without_problems() {
    let sizes = [(200, 10, 10), (2000, 40, 30)];
    let extras = [
        (false, 0, false),
        (true, 0, false),
        (true, 3, false),
        (false, 0, true),
        (true, 2, true),
    ];
    for (seed, layout) in [(1, Layout::Uniform), (2, Layout::Clustered)] {
        for (households, sites, vehicles) in sizes {
            for (corridor, windows, deal) in extras {
                let o = Options {
                    seed,
                    households,
                    sites,
                    vehicles,
                    layout,
                    corridor,
                    windows,
                    deal,
                    ..Options::default()
                };
                let s = load(&o);
                assert_eq!(s.households.len(), households as usize, "{o:?}");
                assert_eq!(pickups(&s), sites as usize, "{o:?}");
                assert_eq!(s.vehicles.len(), vehicles as usize, "{o:?}");
                assert_eq!(s.corridors.len(), usize::from(corridor), "{o:?}");
                assert_eq!(s.deals.len(), usize::from(deal), "{o:?}");
                if let Some(c) = s.corridors.first() {
                    assert!(c.lanes >= 2);
                    assert_eq!(c.processing.0, 240);
                    assert!(c.convoy.is_none());
                    // The open time could pass everyone it governs twice over, 40 to a crossing.
                    let governed: u64 = s
                        .households
                        .iter()
                        .filter(|h| c.governs.contains(&h.site))
                        .map(|h| u64::from(h.people.0))
                        .sum();
                    let open: i64 = c
                        .windows
                        .iter()
                        .map(|w| w.end.0.min(s.vehicles[0].available_until.0) - w.start.0)
                        .sum();
                    assert!(
                        i64::from(c.lanes) * open
                            >= (governed as f64 / 40.0).ceil() as i64 * 240 * 2
                                - i64::from(c.lanes) * 240,
                        "{o:?}: {} lanes for {governed} people in {open} s",
                        c.lanes
                    );
                    if windows > 0 {
                        assert_eq!(c.windows.len(), windows as usize);
                        assert_eq!(c.windows[0].start.0, 3600);
                        // Windows are 8 h, longer when the fleet's work needs it, 4 h apart.
                        let open = c.windows[0].end.0 - c.windows[0].start.0;
                        assert!(open >= 8 * 3600 && open % 3600 == 0, "{o:?}");
                        for pair in c.windows.windows(2) {
                            assert_eq!(pair[1].start.0 - pair[0].end.0, 4 * 3600);
                        }
                    } else {
                        assert_eq!(c.windows.len(), 1, "always open");
                    }
                    // With a deal the corridor governs group A; otherwise every pickup site.
                    let governed = match s.deals.first() {
                        Some(d) => d.group_a.len(),
                        None => sites as usize,
                    };
                    assert_eq!(c.governs.len(), governed);
                }
                for v in &s.vehicles {
                    assert_eq!(v.return_depot, Some(v.depot));
                    assert!(v.available_until.0 >= 24 * 3600);
                    if let Some(last) = s.corridors.first().and_then(|c| c.windows.last())
                        && windows > 0
                    {
                        assert!(
                            last.end < v.available_until,
                            "the shift outlasts the windows"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn edge_options_load_too() {
    let cases = [
        Options {
            households: 1,
            sites: 1,
            vehicles: 1,
            stretcher_share: 0.0,
            ..Options::default()
        },
        Options {
            households: 3,
            sites: 20,
            vehicles: 2,
            deal: true,
            corridor: true,
            ..Options::default()
        },
        Options {
            households: 300,
            sites: 2,
            vehicles: 2,
            stretcher_share: 0.5,
            deal: true,
            ..Options::default()
        },
        Options {
            households: 500,
            sites: 5,
            vehicles: 3,
            stretcher_share: 0.0,
            layout: Layout::Clustered,
            corridor: true,
            windows: 1,
            ..Options::default()
        },
    ];
    for o in cases {
        let s = load(&o);
        assert_eq!(s.households.len(), o.households as usize);
        assert_eq!(s.vehicles.len(), o.vehicles as usize);
    }
}

#[test]
fn households_look_like_households() {
    for (seed, layout) in [
        (11, Layout::Uniform),
        (12, Layout::Clustered),
        (13, Layout::Uniform),
    ] {
        let s = load(&Options {
            seed,
            households: 2000,
            sites: 40,
            vehicles: 30,
            layout,
            ..Options::default()
        });
        let people: u32 = s.households.iter().map(|h| h.people.0).sum();
        let stretcher: u32 = s.households.iter().map(|h| h.stretcher_cases.0).sum();
        for h in &s.households {
            assert!((1..=16).contains(&h.people.0), "{h:?}");
            assert!(h.stretcher_cases.0 <= 2, "{h:?}");
            if h.stretcher_cases.0 > 0 {
                assert_eq!(h.tier.number(), 1, "{h:?}");
                assert!(h.seated().0 <= 3, "{h:?}");
            } else {
                assert_ne!(h.tier.number(), 1, "{h:?}");
            }
            assert!((0..=3600).contains(&h.ready.0), "{h:?}");
            assert!(
                s.vehicle_types
                    .iter()
                    .any(|t| t.seats >= h.seated() && t.stretchers >= h.stretcher_cases),
                "no vehicle type fits {h:?}"
            );
        }
        let mean = f64::from(people) / s.households.len() as f64;
        assert!((4.5..=5.5).contains(&mean), "mean household {mean}");
        let share = f64::from(stretcher) / f64::from(people);
        assert!((0.01..=0.03).contains(&share), "stretcher share {share}");
        let tier2 = s.households.iter().filter(|h| h.tier.number() == 2).count();
        let share2 = tier2 as f64 / s.households.len() as f64;
        assert!((0.18..=0.35).contains(&share2), "tier 2 share {share2}");
        let at_start = s.households.iter().filter(|h| h.ready.0 == 0).count();
        assert!(
            at_start * 2 > s.households.len(),
            "most are ready at the start"
        );

        let destinations: Vec<_> = s
            .sites
            .iter()
            .filter_map(|x| match &x.kind {
                SiteKind::Destination(d) => Some(d),
                _ => None,
            })
            .collect();
        assert!((1..=4).contains(&destinations.len()));
        assert!(destinations.iter().any(|d| d.accepts_stretcher_cases));
        let capacity: Option<u32> = destinations.iter().map(|d| d.capacity.map(|c| c.0)).sum();
        if let Some(c) = capacity {
            assert!(f64::from(c) >= 1.3 * f64::from(people));
        }

        let ambulances = s
            .vehicles
            .iter()
            .filter(|v| s.vehicle_types[v.vehicle_type.index()].stretchers.0 > 0)
            .count();
        // Balanced against the trips: about a third of the fleet at 2 % stretcher cases.
        assert!(
            (5..=15).contains(&ambulances),
            "{ambulances} ambulances of 30"
        );
    }
}

#[test]
fn places_are_where_the_docs_say() {
    use corridor_core::{LatLon, great_circle_km};
    let centre = LatLon {
        lat: 45.0,
        lon: 10.0,
    };
    for layout in [Layout::Uniform, Layout::Clustered] {
        let s = load(&Options {
            seed: 3,
            sites: 200,
            layout,
            corridor: true,
            ..Options::default()
        });
        for site in &s.sites {
            let km = great_circle_km(centre, site.location);
            let ok = match site.kind {
                SiteKind::Pickup => km <= 3.01,
                SiteKind::Depot => (7.95..=12.05).contains(&km),
                SiteKind::Checkpoint => (4.4..=4.6).contains(&km),
                SiteKind::Destination(_) => (14.9..=40.1).contains(&km),
                SiteKind::Hub(_) => false,
            };
            assert!(ok, "{} at {km:.2} km", site.name);
        }
    }
}

#[test]
fn the_deal_can_be_kept() {
    for seed in 0..10 {
        let s = load(&Options {
            seed,
            households: 400,
            sites: 15,
            deal: true,
            corridor: true,
            windows: 2,
            ..Options::default()
        });
        let deal = &s.deals[0];
        let people_in = |group: &[corridor_core::SiteId]| -> u32 {
            s.households
                .iter()
                .filter(|h| group.contains(&h.site))
                .map(|h| h.people.0)
                .sum()
        };
        let (a, b) = (people_in(&deal.group_a), people_in(&deal.group_b));
        assert!(b > 0);
        assert!(!deal.a_leaves_last);
        // Once all of B is delivered, all of A is allowed.
        assert!(
            deal.allowance(People(b))
                .is_some_and(|allowed| allowed.0 >= a)
        );
        // B is the smaller community: 10–20 % of the sites (at least one).
        let share = deal.group_b.len() as f64 / 15.0;
        assert!((0.06..=0.21).contains(&share), "group B share {share}");
        // The slack is about 5 % of A.
        assert!(f64::from(deal.slack.0) >= 0.05 * f64::from(a));
        assert!(f64::from(deal.slack.0) <= 0.05 * f64::from(a) + 1.0);
    }
}

#[test]
fn a_large_scenario_loads() {
    let o = Options {
        seed: 2024,
        households: 25_000,
        sites: 1_000,
        vehicles: 500,
        layout: Layout::Clustered,
        corridor: true,
        windows: 4,
        deal: true,
        ..Options::default()
    };
    let s = load(&o);
    assert_eq!(s.households.len(), 25_000);
    assert_eq!(pickups(&s), 1_000);
    assert_eq!(s.vehicles.len(), 500);
}

#[test]
fn bad_options_are_refused_with_what_to_fix() {
    let bad = |o: Options| match generate(&o) {
        Ok(_) => panic!("{o:?} was accepted"),
        Err(e) => e,
    };
    let e = bad(Options {
        households: 0,
        ..Options::default()
    });
    assert!(matches!(e, GenerateError::NoHouseholds));
    assert!(e.to_string().contains("--households"));

    let e = bad(Options {
        sites: 0,
        ..Options::default()
    });
    assert!(matches!(e, GenerateError::NoSites));
    assert!(e.to_string().contains("--sites"));

    let e = bad(Options {
        vehicles: 0,
        ..Options::default()
    });
    assert!(matches!(e, GenerateError::NoVehicles));
    let one = Options {
        vehicles: 1,
        ..Options::default()
    };
    let e = corridor_generate::generate(&one).expect_err("one vehicle cannot be bus and ambulance");
    assert!(e.to_string().contains("--vehicles 2"), "{e}");
    assert!(e.to_string().contains("--vehicles"));

    for share in [-0.01, 0.51, f64::NAN, f64::INFINITY] {
        let e = bad(Options {
            stretcher_share: share,
            ..Options::default()
        });
        assert!(matches!(e, GenerateError::StretcherShare(_)), "{share}");
        assert!(e.to_string().contains("from 0 to 0.5"));
    }
    for share in [0.0, 0.5] {
        assert!(
            generate(&Options {
                stretcher_share: share,
                ..Options::default()
            })
            .is_ok()
        );
    }

    let e = bad(Options {
        windows: 3,
        ..Options::default()
    });
    assert!(matches!(e, GenerateError::WindowsWithoutCorridor(3)));
    assert!(e.to_string().contains("add --corridor"));

    for span in [
        Seconds::ZERO,
        Seconds(-60),
        Seconds::from_hours(24 * 30 + 1),
    ] {
        let e = bad(Options {
            ready_spread: Some(span),
            ..Options::default()
        });
        assert!(matches!(e, GenerateError::ReadySpread(_)), "{span:?}");
        assert!(e.to_string().contains("--ready-spread"), "{e}");
    }
    assert!(
        generate(&Options {
            ready_spread: Some(Seconds::from_hours(24 * 30)),
            ..Options::default()
        })
        .is_ok()
    );

    let e = bad(Options {
        sites: 1,
        deal: true,
        ..Options::default()
    });
    assert!(matches!(e, GenerateError::DealNeedsTwoSites(1)));
    assert!(e.to_string().contains("--sites"));

    let e = bad(Options {
        corridor: true,
        windows: 5000,
        ..Options::default()
    });
    assert!(matches!(e, GenerateError::TooLarge { .. }));
    assert!(e.to_string().contains("--windows"));
}
