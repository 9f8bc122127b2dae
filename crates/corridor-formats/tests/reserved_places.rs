//! Places a destination keeps for households with stretcher cases, written in
//! the sites table (CSV, by column title or HXL hashtag) or as `[[site]]` keys:
//! each form reads to the same reservation. (Malformed reservations are cases
//! of `malformed.rs`.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corridor_core::{People, Reserved, Scenario};
use corridor_formats::{InMemory, load_scenario_with};

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/malformed/base");

/// The base scenario with its sites file replaced by `sites` and `extra`
/// appended to its scenario file.
fn load(sites: Option<&str>, extra: &str) -> (Scenario, Vec<String>) {
    let mut files = HashMap::new();
    for name in ["scenario.toml", "sites.csv", "households.csv"] {
        let mut text = std::fs::read_to_string(Path::new(BASE).join(name)).expect("the base files");
        match name {
            "sites.csv" => {
                if let Some(s) = sites {
                    text = s.to_string();
                }
            }
            "scenario.toml" => text.push_str(extra),
            _ => {}
        }
        files.insert(PathBuf::from("case").join(name), text);
    }
    let loaded = load_scenario_with(&InMemory(files), &Path::new("case").join("scenario.toml"))
        .unwrap_or_else(|e| panic!("a valid scenario: {e}"));
    let warnings = loaded.warnings.iter().map(|w| w.to_string()).collect();
    (loaded.scenario, warnings)
}

fn reserved(s: &Scenario, name: &str) -> Reserved {
    let site = s
        .sites
        .iter()
        .position(|x| x.name == name)
        .expect("the site");
    s.destination(corridor_core::SiteId(site as u32))
        .expect("a destination")
        .reserved
}

const SITES_HEADER: &str = "name,kind,lat,lon,capacity,accepts_stretcher_cases,reserved_for,reserved_places\n\
#loc+name,#loc+type,#geo+lat,#geo+lon,#capacity+ind,#capacity+stretcher,#capacity+reserved+type,#capacity+reserved\n\
Market square,pickup,50.1010,8.6800,,,,\n\
Old mill,pickup,50.0950,8.6900,,,,\n\
Church hill,pickup,50.1060,8.6950,,,,\n\
Bus depot,depot,50.1200,8.6600,,,,\n\
Hill school shelter,destination,50.1400,8.7200,120,false,,\n";

#[test]
fn the_sites_table_reserves_a_number_of_places_or_all_of_them() {
    for (reserved_for, places, want) in [
        ("", "", Reserved::Nothing),
        ("stretcher_cases", "", Reserved::All),
        ("stretcher_cases", "30", Reserved::Places(People(30))),
        ("", "30", Reserved::Places(People(30))),
        ("", "40", Reserved::Places(People(40))),
    ] {
        let sites = format!(
            "{SITES_HEADER}St. Anne hospital,destination,50.1300,8.6400,40,true,{reserved_for},{places}\n"
        );
        let (s, _) = load(Some(&sites), "");
        assert_eq!(
            reserved(&s, "St. Anne hospital"),
            want,
            "`{reserved_for}`, `{places}`"
        );
        assert_eq!(reserved(&s, "Hill school shelter"), Reserved::Nothing);
    }
}

#[test]
fn columns_titled_otherwise_are_found_by_their_hashtags() {
    let sites = SITES_HEADER
        .replacen("reserved_for,reserved_places", "Reserved for,Beds kept", 1)
        .replacen("#capacity+reserved+type", "#capacity +type +reserved", 1);
    let sites = format!("{sites}St. Anne hospital,destination,50.1300,8.6400,40,true,,25\n");
    let (s, _) = load(Some(&sites), "");
    assert_eq!(
        reserved(&s, "St. Anne hospital"),
        Reserved::Places(People(25))
    );
}

#[test]
fn a_site_in_the_scenario_file_reserves_with_the_same_keys() {
    let site = |keys: &str| {
        format!(
            "\n[[site]]\nname = \"Field hospital\"\nkind = \"destination\"\nlat = 50.1350\nlon = 8.7100\ncapacity = 600\naccepts_stretcher_cases = true\n{keys}\n"
        )
    };
    for (keys, want) in [
        ("", Reserved::Nothing),
        ("reserved_for = \"stretcher_cases\"", Reserved::All),
        (
            "reserved_for = \"stretcher_cases\"\nreserved_places = 400",
            Reserved::Places(People(400)),
        ),
        ("reserved_places = 600", Reserved::Places(People(600))),
    ] {
        let (s, _) = load(None, &site(keys));
        assert_eq!(reserved(&s, "Field hospital"), want, "{keys}");
    }
}

#[test]
fn too_few_places_left_to_the_others_is_a_warning() {
    let (s, warnings) = load(None, "");
    assert!(
        !warnings
            .iter()
            .any(|x| x.contains("places to households without"))
    );
    let others: u32 = s
        .households
        .iter()
        .filter(|h| !h.has_stretcher_cases())
        .map(|h| h.people.0)
        .sum();
    // The hospital reserved whole: the others still have the school's 120 places.
    let hospital = "St. Anne hospital,destination,50.1300,8.6400,40,true,stretcher_cases,\n";
    let (_, w) = load(Some(&format!("{SITES_HEADER}{hospital}")), "");
    assert!(
        others <= 120 && !w.iter().any(|x| x.contains("places to households without")),
        "{others} people, 120 places: {w:?}"
    );
    // A school with one place fewer than they are: told.
    let tight = format!("{SITES_HEADER}{hospital}").replace(
        "Hill school shelter,destination,50.1400,8.7200,120,",
        &format!(
            "Hill school shelter,destination,50.1400,8.7200,{},",
            others - 1
        ),
    );
    let (_, w) = load(Some(&tight), "");
    let want = format!(
        "the destinations leave {} places to households without stretcher cases",
        others - 1
    );
    assert!(w.iter().any(|x| x.contains(&want)), "{w:?}");
}
