//! Malformed input, one case per fixture: each breaks one thing and must get
//! one problem that names the file, the line, the field, says what is wrong
//! and, where a name is close to a known one, hints at it.
//!
//! Layout of `tests/malformed/`:
//!
//! - `base/` is a valid scenario (a copy of `examples/tutorial/`) and a valid
//!   plan for it; `base-matrix/` adds a travel-time matrix to it.
//! - every other directory is a scenario case: it holds only the files it
//!   changes, and the others come from `base/` (and from `base-matrix/` for the
//!   `matrix-*` cases). So `ls` shows what a case breaks, and `diff base/X
//!   case/X` shows how.
//! - every `plan-*.json` is a plan case, read against the base scenario.
//!
//! The cases run in memory (an [`InMemory`] source keyed `CASE/FILE`), so the
//! files named in the problems read `CASE/scenario.toml`, `CASE/sites.csv`...
//!
//! The last test feeds thousands of mutated variants of the base files to the
//! readers and asserts only that they answer, with usable problems, and never panic.

use std::collections::HashMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use corridor_formats::{InMemory, Problem, Problems, load_scenario_with, read_plan};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/malformed");

// ---------------------------------------------------------------------------
// The harness

/// What a case must report: exactly one problem, with all of this.
#[derive(Debug)]
struct Expected {
    /// The file's name (its last path component).
    file: &'static str,
    /// The line, or `None` for a problem with the file as a whole.
    line: Option<usize>,
    /// The field (key, column, JSON path), or `None` when the problem has none.
    field: Option<&'static str>,
    /// A distinctive fragment of the message.
    message: &'static str,
    /// A fragment of the hint, or `None` when the problem must have no hint.
    hint: Option<&'static str>,
}

/// A problem at a line of a file.
fn at(file: &'static str, line: usize) -> Expected {
    Expected {
        file,
        line: Some(line),
        field: None,
        message: "",
        hint: None,
    }
}

/// A problem with a file as a whole (no line).
fn whole(file: &'static str) -> Expected {
    Expected {
        line: None,
        ..at(file, 0)
    }
}

impl Expected {
    fn field(mut self, field: &'static str) -> Expected {
        self.field = Some(field);
        self
    }

    fn says(mut self, fragment: &'static str) -> Expected {
        self.message = fragment;
        self
    }

    fn hint(mut self, fragment: &'static str) -> Expected {
        self.hint = Some(fragment);
        self
    }

    fn matches(&self, p: &Problem) -> bool {
        Path::new(&p.file).file_name().and_then(|n| n.to_str()) == Some(self.file)
            && p.line == self.line
            && p.field.as_deref() == self.field
            && p.message.contains(self.message)
            && match (self.hint, &p.hint) {
                (None, None) => true,
                (Some(want), Some(got)) => got.contains(want),
                _ => false,
            }
    }
}

/// The files of a scenario case: those of `base/` (and `base-matrix/`), then the case's own.
fn files_of(case: &str) -> InMemory {
    let mut layers = vec!["base"];
    if case.starts_with("matrix-") {
        layers.push("base-matrix");
    }
    layers.push(case);
    let mut files = HashMap::new();
    for layer in layers {
        let dir = Path::new(ROOT).join(layer);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            files.insert(
                Path::new(case).join(path.file_name().expect("a file name")),
                text,
            );
        }
    }
    InMemory(files)
}

fn load_case(case: &str) -> Result<corridor_formats::Loaded, Problems> {
    load_scenario_with(&files_of(case), &Path::new(case).join("scenario.toml"))
}

fn base_scenario() -> corridor_core::Scenario {
    match load_case("base") {
        Ok(loaded) => loaded.scenario,
        Err(p) => panic!("the base scenario must be valid:\n{p}"),
    }
}

/// The problems of a case: a scenario directory, or a `plan-*.json` file.
fn problems_of(case: &str) -> Problems {
    if case.ends_with(".json") {
        let text = fs::read_to_string(Path::new(ROOT).join(case))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        match read_plan(case, &text, &base_scenario()) {
            Ok(_) => panic!("case `{case}`: the plan was read without a problem"),
            Err(p) => p,
        }
    } else {
        match load_case(case) {
            Ok(_) => panic!("case `{case}`: the scenario was read without a problem"),
            Err(p) => p,
        }
    }
}

/// Runs a case and checks that it reports exactly the expected problem.
fn check(case: &str, expected: Expected) {
    let problems = problems_of(case);
    let shown: Vec<String> = problems
        .0
        .iter()
        .map(|p| format!("  {p}\n    {p:?}"))
        .collect();
    assert!(
        problems.0.len() == 1 && expected.matches(&problems.0[0]),
        "case `{case}`: expected exactly one problem like\n  {expected:?}\ngot {}:\n{}",
        problems.0.len(),
        shown.join("\n")
    );
}

macro_rules! cases {
    ($($(#[$doc:meta])* $test:ident: $case:literal => $expected:expr;)*) => {
        $(
            $(#[$doc])*
            #[test]
            fn $test() {
                check($case, $expected);
            }
        )*
        /// Every case, for checking that no fixture is left without one.
        const CASES: &[&str] = &[$($case),*];
    };
}

cases! {
    // -----------------------------------------------------------------------
    // Scenario cases: scenario.toml

    /// An unterminated string: the TOML parser's own message, at the line and column.
    toml_syntax_error: "toml-syntax-error" =>
        at("scenario.toml", 22).field("stop_time").says("invalid basic string");
    /// `seats = "fifty"`: the type is named in words, not as `i64`.
    wrong_value_type: "seats-not-a-number" =>
        at("scenario.toml", 20).field("seats")
            .says("invalid type: string \"fifty\", expected a whole number");
    /// A type error inside an inline table names the inner key, not `great_circle`.
    wrong_value_type_in_inline_table: "great-circle-speed-not-a-number" =>
        at("scenario.toml", 12).field("speed_kmh")
            .says("invalid type: string \"fast\", expected a number");
    negative_number: "negative-stretchers" =>
        at("scenario.toml", 28).field("stretchers").says("stretchers must be from 0 to 100000, got -2");
    /// Neither seats nor stretchers; the households with stretcher cases are
    /// not also reported as uncarriable.
    zero_seats_and_stretchers: "carries-nobody" =>
        at("scenario.toml", 27).field("seats")
            .says("vehicle type `ambulance` carries nobody: give it seats or stretchers");
    unknown_key_with_did_you_mean: "unknown-key-sats" =>
        at("scenario.toml", 20).field("sats")
            .says("unknown key `sats`; expected one of `name`, `seats`, `stretchers`")
            .hint("did you mean `seats`?");
    /// `[[vehicles]]`: a table header has no key to name, but the hint has.
    unknown_section: "unknown-section" =>
        at("scenario.toml", 43).says("unknown key `vehicles`").hint("did you mean `vehicle`?");
    /// The last `depot = ...` removed: reported at the `[[vehicle]]` header.
    missing_required_key: "missing-required-key" =>
        at("scenario.toml", 44).field("depot").says("a vehicle needs a `depot` (where it starts)");
    /// A `[[site]]` in the scenario file reserving for a need that is not one.
    unknown_reserved_for_value: "reserved-for-unknown" =>
        at("scenario.toml", 55).field("reserved_for")
            .says("unknown reserved_for value `stretcher cases`; expected `stretcher_cases`")
            .hint("did you mean `stretcher_cases`?");
    unknown_site_kind_in_toml: "unknown-site-kind-in-toml" =>
        at("scenario.toml", 50).field("kind")
            .says("unknown value `checkpiont`")
            .hint("did you mean `checkpoint`?");
    unknown_vehicle_type: "unknown-vehicle-type" =>
        at("scenario.toml", 45).field("type")
            .says("no vehicle type named `ambulnce`")
            .hint("did you mean `ambulance`?");
    depot_that_is_not_a_depot: "depot-not-a-depot" =>
        at("scenario.toml", 46).field("depot")
            .says("`Market square` is a pickup site, expected a depot");
    vehicle_count_zero: "count-zero" =>
        at("scenario.toml", 36).field("count").says("count must be from 1 to 100000, got 0");
    shift_ends_before_it_starts: "shift-ends-before-start" =>
        at("scenario.toml", 40).field("available_until")
            .says("the shift ends before it starts");
    missing_csv_file: "missing-csv" =>
        at("scenario.toml", 16).field("households")
            .says("cannot read `missing-csv/household.csv`");
    /// `[planning] objective` names one of two objectives.
    /// A vehicle's `serves` names sites where it may load or unload.
    vehicle_serves_unknown_site: "vehicle-serves-unknown-site" =>
        at("scenario.toml", 47).field("serves")
            .says("no site named `St. Anne hospitl`")
            .hint("did you mean `St. Anne hospital`?");
    vehicle_serves_a_depot: "vehicle-serves-a-depot" =>
        at("scenario.toml", 47).field("serves")
            .says("`Bus depot` is a depot, expected a pickup site or a hub or a destination");
    /// A fixed line has one vehicle per departure and names its two ends.
    fixed_line_with_count: "fixed-line-with-count" =>
        at("scenario.toml", 52).field("count")
            .says("a fixed line has one vehicle per departure: leave out `count`");
    fixed_line_without_serves: "fixed-line-without-serves" =>
        at("scenario.toml", 51).field("serves")
            .says("a fixed line (`departures`) names its two ends in `serves`");
    planning_unknown_objective: "planning-unknown-objective" =>
        at("scenario.toml", 49).field("objective")
            .says("unknown objective `fastest`; expected `makespan`");
    planning_max_wait_without_unit: "planning-max-wait-without-unit" =>
        at("scenario.toml", 50).field("max_wait.tier_3").says("`8` has no unit");
    planning_max_wait_unknown_tier: "planning-max-wait-unknown-tier" =>
        at("scenario.toml", 51).field("tier_4").says("unknown key `tier_4`; expected one of `tier_1`, `tier_2`, `tier_3`").hint("did you mean");
    duration_without_unit: "duration-without-unit" =>
        at("scenario.toml", 22).field("stop_time").says("`30` has no unit");
    /// A TOML number where a duration goes: seconds or minutes?
    duration_as_a_bare_number: "duration-bare-number" =>
        at("scenario.toml", 22).field("stop_time")
            .says("a bare number (30) is not a duration; write it with its unit");
    absolute_time_without_start: "absolute-time-without-start" =>
        at("scenario.toml", 38).field("available_from")
            .says("is an absolute time, but the scenario has no `start`");
    time_without_utc_offset: "time-without-offset" =>
        at("scenario.toml", 39).field("available_from")
            .says("`2025-03-14T06:30:00` has no UTC offset");
    /// An unreadable `start` is one problem: the absolute times that depend on
    /// it are not also reported as "the scenario has no `start`".
    start_that_is_not_an_instant: "start-not-an-instant" =>
        at("scenario.toml", 7).field("start").says("`tomorrow 6am` is not an ISO 8601 instant");
    format_version_too_new: "format-version-too-new" =>
        at("scenario.toml", 6).field("format_version")
            .says("this scenario is format version 2, but this build of Corridor reads version 1");
    empty_scenario_name: "empty-scenario-name" =>
        at("scenario.toml", 5).field("name").says("the scenario needs a name");
    network_with_two_sources: "network-two-sources" =>
        at("scenario.toml", 10).field("network").says("give exactly one travel-time source");
    /// The road network file is missing: named at the line of `osm`.
    network_osm_file_missing: "network-osm" =>
        at("scenario.toml", 12).field("osm")
            .says("cannot use the road network `network-osm/hessen-latest.osm.pbf`");
    network_osm_not_a_file_name: "network-osm-not-a-file-name" =>
        at("scenario.toml", 12).field("osm").says("give the road network as a file name");
    /// A closure needs roads to close: a great-circle network has none.
    closure_without_roads: "closure-without-roads" =>
        at("scenario.toml", 48).field("closure").says("closures and slowdowns need a road network");
    closure_naming_two_places: "closure-two-places" =>
        at("scenario.toml", 48).field("closure").says("a closure names exactly one place");
    closure_with_a_factor: "closure-with-factor" =>
        at("scenario.toml", 50).field("factor").says("a closure has no factor");
    /// A closure the rehearsal may draw closes roads too: without a road network it cannot.
    rehearsal_closure_without_roads: "rehearsal-closure-without-roads" =>
        at("scenario.toml", 48).field("closure").says("possible closures (`[[rehearsal.closure]]`) close roads, so they need a road network");
    rehearsal_closure_chance_above_one: "rehearsal-closure-chance-above-one" =>
        at("scenario.toml", 50).field("chance").says("the chance is a probability from 0 to 1");
    rehearsal_closure_without_chance: "rehearsal-closure-without-chance" =>
        at("scenario.toml", 48).field("chance").says("a possible closure needs a `chance`");
    rehearsal_closure_reopening_before_it_closes: "rehearsal-closure-reopens-before-closing" =>
        at("scenario.toml", 52).field("until").says("the closure would reopen before it begins");
    rehearsal_closure_with_until_and_mean_duration: "rehearsal-closure-until-and-mean-duration" =>
        at("scenario.toml", 52).field("mean_duration").says("give either `until`");
    rehearsal_closure_naming_two_places: "rehearsal-closure-two-places" =>
        at("scenario.toml", 48).field("closure").says("a closure names exactly one place");
    slowdown_factor_below_one: "slowdown-factor-below-one" =>
        at("scenario.toml", 50).field("factor").says("the factor must be from 1 to 100");
    slowdown_area_of_radius_zero: "slowdown-area-radius-zero" =>
        at("scenario.toml", 49).field("radius_m").says("the radius must be from 1 to 100000 metres");
    window_closes_before_it_opens: "window-closes-before-opening" =>
        at("scenario.toml", 61).field("close").says("the window closes before it opens");
    overlapping_windows: "overlapping-windows" =>
        at("scenario.toml", 61).field("open")
            .says("this one opens before the previous one closes");
    /// A number where a time goes, inside an inline table inside an array.
    window_time_as_a_bare_number: "window-time-bare-number" =>
        at("scenario.toml", 61).field("open").says("a bare number (5) is not a time");
    deal_with_a_site_in_both_groups: "deal-site-in-both-groups" =>
        at("scenario.toml", 51).field("group_b")
            .says("`Market square` is in both groups of deal `Mill before market`");
    /// Nobody waits at group A's only site, so group B could never leave.
    deal_whose_group_a_is_empty: "deal-group-a-empty" =>
        at("scenario.toml", 50).field("group_a")
            .says("no household waits at group A's sites, so group B could never leave");

    // -----------------------------------------------------------------------
    // Scenario cases: sites.csv (a broken site row does not make every household
    // and vehicle that names the site report "no site named ...")

    zero_capacity: "zero-capacity" =>
        at("sites.csv", 7).field("capacity")
            .says("a destination's capacity must be from 1 to 1000000000, got 0");
    unknown_site_kind: "unknown-site-kind" =>
        at("sites.csv", 4).field("kind")
            .says("unknown site kind `pikup`")
            .hint("did you mean `pickup`?");
    duplicate_site_names: "duplicate-site-name" =>
        at("sites.csv", 6).field("name")
            .says("duplicate site name `Old mill` (first defined in duplicate-site-name/sites.csv at line 4)");
    latitude_out_of_range: "latitude-out-of-range" =>
        at("sites.csv", 3).field("lat").says("latitude must be from -90 to 90, got 150.101");
    coordinate_not_a_number: "site-number-not-a-number" =>
        at("sites.csv", 5).field("lon").says("`8.69S0` is not a number");
    capacity_on_a_depot: "capacity-on-a-depot" =>
        at("sites.csv", 6).field("capacity")
            .says("only destinations have `capacity`; `Bus depot` is a depot");
    /// A processing rate belongs to a hub.
    people_per_hour_on_a_destination: "people-per-hour-on-a-destination" =>
        at("sites.csv", 7).field("people_per_hour")
            .says("only hubs have `people_per_hour` (their processing rate); `Hill school shelter` is a destination");
    not_yes_or_no: "accepts-not-yes-no" =>
        at("sites.csv", 8).field("accepts_stretcher_cases").says("`maybe` is not yes/no");
    /// Places kept for stretcher cases at a shelter that takes none (the
    /// hospital's row, with both keys, is valid).
    reserved_places_where_stretcher_cases_are_not_accepted: "reserved-without-stretcher-cases" =>
        at("sites.csv", 7).field("reserved_places")
            .says("`Hill school shelter` reserves places for stretcher cases but does not accept stretcher cases; add `accepts_stretcher_cases = true`");
    reserved_places_above_capacity: "reserved-places-above-capacity" =>
        at("sites.csv", 8).field("reserved_places")
            .says("`St. Anne hospital` reserves 50 places, more than its capacity of 40");
    /// N of unlimited places leaves unlimited places to others: no reservation at all.
    reserved_places_without_capacity: "reserved-places-without-capacity" =>
        at("sites.csv", 8).field("reserved_places")
            .says("`St. Anne hospital` reserves 10 places but has no `capacity`");
    reserved_places_on_a_depot: "reserved-on-a-depot" =>
        at("sites.csv", 6).field("reserved_places")
            .says("only destinations have `reserved_places`; `Bus depot` is a depot");
    site_row_too_short: "site-row-too-short" =>
        at("sites.csv", 4).says("this row has 3 cells; the header has 6");
    /// `#geo+lon` over the `lat` column.
    hxl_wrong_tag_on_a_column: "hxl-wrong-tag" =>
        at("sites.csv", 2).field("lat")
            .says("bad HXL row: column `lat` is tagged `#geo+lon`, expected `#geo+lat`");
    /// A trailing comma on every line: a seventh column without a title.
    untitled_column: "untitled-column" =>
        at("sites.csv", 1).says("column 7 has no title").hint("give it a title");
    /// A header and a hashtag row, no sites: said once, not once per site reference.
    no_sites_at_all: "sites-file-only-header" =>
        whole("scenario.toml").field("site").says("the scenario has no sites");
    hxl_empty_attribute: "hxl-empty-attribute" =>
        at("sites.csv", 2).field("capacity")
            .says("`#capacity++ind` has an empty or malformed attribute");

    // -----------------------------------------------------------------------
    // Scenario cases: households.csv

    stretcher_cases_exceed_people: "stretchers-exceed-people" =>
        at("households.csv", 3).field("stretcher_cases")
            .says("household `RF-001` has 5 stretcher cases but only 4 people");
    unknown_site_of_a_household: "unknown-household-site" =>
        at("households.csv", 8).field("site")
            .says("no site named `Old mil`")
            .hint("did you mean `Old mill`?");
    duplicate_household_references: "duplicate-household-reference" =>
        at("households.csv", 10).field("reference")
            .says("duplicate household reference `RF-007` (first at duplicate-household-reference/households.csv:9)");
    /// `affected+ind` in the hashtag row: still the hashtag row, with a bad tag,
    /// not a data row with four bad numbers.
    /// A malformed hashtag under a column without a title (found by fuzzing: the field was empty).
    hxl_malformed_hashtag_under_an_untitled_column: "hxl-malformed-hashtag-untitled-column" =>
        at("sites.csv", 2)
            .says("`capacity` is not an HXL hashtag (it must start with `#`) (under column 7, which has no title)");
    hxl_malformed_hashtag: "hxl-malformed-hashtag" =>
        at("households.csv", 2).field("people")
            .says("bad HXL row: `affected+ind` is not an HXL hashtag (it must start with `#`)");
    hxl_tag_on_the_personal_reference_column: "hxl-tag-on-reference" =>
        at("households.csv", 2).field("reference")
            .says("column `reference` holds personal data and must not carry an HXL hashtag (found `#contact+id`)")
            .hint("leave its cell in the hashtag row empty");
    /// `refrence` has no hashtag to be matched by (`reference` never has one).
    unknown_csv_column: "unknown-csv-column" =>
        at("households.csv", 1).field("refrence")
            .says("unknown column `refrence`; expected columns `reference`, `site`")
            .hint("did you mean `reference`?");
    csv_row_with_wrong_number_of_cells: "csv-row-wrong-cell-count" =>
        at("households.csv", 5).says("this row has 5 cells; the header has 6");
    household_larger_than_every_vehicle: "household-larger-than-every-vehicle" =>
        at("households.csv", 18).field("people")
            .says("no vehicle can carry household `RF-016` (60 seated + 0 stretcher cases) without splitting it");
    tier_out_of_range: "tier-out-of-range" =>
        at("households.csv", 13).field("tier").says("tier must be from 1 to 3, got 4");
    ready_without_unit: "ready-without-unit" =>
        at("households.csv", 6).field("ready").says("`30` has no unit");
    empty_households_file: "households-file-empty" =>
        whole("households.csv").says("the file is empty; expected a header row");
    /// Saved from a spreadsheet with semicolons between the columns.
    households_separated_by_semicolons: "households-semicolons" =>
        at("households.csv", 1).says("the columns are separated by semicolons; Corridor reads comma-separated files")
            .hint("use commas between columns");
    households_table_without_rows: "households-no-rows" =>
        whole("households.csv").says("holds no households, so there is nobody to evacuate");

    // -----------------------------------------------------------------------
    // Scenario cases: travel-times.csv

    /// The last row is missing.
    matrix_not_square: "matrix-not-square" =>
        whole("travel-times.csv").says("the matrix is not square: 6 columns of sites but 5 rows");
    matrix_naming_an_unknown_site: "matrix-unknown-site" =>
        at("travel-times.csv", 1)
            .says("column 3 names `Old mil`, which is not a site of the scenario")
            .hint("did you mean `Old mill`?");
    /// `-600` in the `Church hill` row, `Bus depot` column.
    matrix_bad_value: "matrix-bad-value" =>
        at("travel-times.csv", 4).field("Bus depot").says("`-600` is not a travel time");

    // -----------------------------------------------------------------------
    // Plan cases, read against the base scenario

    plan_json_syntax_error: "plan-json-syntax.json" =>
        at("plan-json-syntax.json", 17).says("expected `,` or `}`");
    plan_unknown_key: "plan-unknown-key.json" =>
        at("plan-unknown-key.json", 7)
            .says("unknown key `vehicel`; expected one of `vehicle`, `returns_at`, `trips`")
            .hint("did you mean `vehicle`?");
    plan_wrong_format: "plan-wrong-format.json" =>
        whole("plan-wrong-format.json").field("format")
            .says("`format` is `corridor-scenario`; a plan file says `corridor-plan`");
    plan_version_too_new: "plan-version-too-new.json" =>
        whole("plan-version-too-new.json").field("version")
            .says("plan format version 2 is not readable by this build");
    /// References identify people: an unknown one gets no "did you mean".
    plan_unknown_household: "plan-unknown-household.json" =>
        whole("plan-unknown-household.json").field("routes[0].trips[0].stops[0].households[2]")
            .says("no household named `RF-04` in scenario `Riverside flood (tutorial)`");
    /// A plan of another scenario gets one sentence naming both, not a line per name.
    plan_of_another_scenario: "plan-other-scenario.json" =>
        whole("plan-other-scenario.json").field("scenario")
            .says("the plan was made for scenario `Lakeside storm`, not `Riverside flood (tutorial)`: ")
            .hint("make a plan for `Riverside flood (tutorial)` with `corridor plan`");
    plan_unknown_vehicle: "plan-unknown-vehicle.json" =>
        whole("plan-unknown-vehicle.json").field("routes[0].vehicle")
            .says("no vehicle named `bus-1`")
            .hint("did you mean `bus-01`?");
    plan_unknown_site: "plan-unknown-site.json" =>
        whole("plan-unknown-site.json").field("routes[0].trips[0].destination")
            .says("no site named `Hill school`")
            .hint("did you mean `Hill school shelter`?");
}

// ---------------------------------------------------------------------------
// The bases, the fixtures, the rendering

#[test]
fn the_bases_are_valid() {
    for base in ["base", "base-matrix"] {
        if let Err(p) = load_case(base) {
            panic!("`{base}` must load without problems:\n{p}");
        }
    }
    let text = fs::read_to_string(Path::new(ROOT).join("base/plan.json")).expect("base/plan.json");
    if let Err(p) = read_plan("base/plan.json", &text, &base_scenario()) {
        panic!("base/plan.json must read without problems:\n{p}");
    }
}

#[test]
fn every_fixture_has_a_case() {
    let mut orphans = Vec::new();
    for entry in fs::read_dir(ROOT).expect("tests/malformed") {
        let name = entry.expect("a directory entry").file_name();
        let name = name.to_string_lossy();
        if !name.starts_with("base") && !CASES.contains(&name.as_ref()) {
            orphans.push(name.into_owned());
        }
    }
    assert!(orphans.is_empty(), "fixtures without a case: {orphans:?}");
}

#[test]
fn problems_render_as_file_line_column_field_message_hint() {
    let p = &problems_of("unknown-key-sats").0[0];
    assert_eq!(
        p.to_string(),
        format!(
            "unknown-key-sats/scenario.toml:20:1: `sats`: {} (did you mean `seats`?)",
            p.message
        )
    );
    let p = &problems_of("matrix-not-square").0[0];
    assert_eq!(
        p.to_string(),
        "matrix-not-square/travel-times.csv: the matrix is not square: 6 columns of sites but 5 rows"
    );
}

// ---------------------------------------------------------------------------
// Mutations: nothing panics, every problem is usable

/// Deterministic variants of a text: every truncation, every single-character
/// deletion, a character replaced by each of a few troublesome ones at every
/// `step`-th position, and every line deleted, doubled or swapped with the next.
fn mutants(text: &str, step: usize) -> Vec<(String, String)> {
    const REPLACEMENTS: &[&str] = &[
        "\"",
        "'",
        "=",
        "[",
        "]",
        "{",
        "}",
        "\n",
        "#",
        ",",
        ";",
        "0",
        "9",
        "-",
        "+",
        ".",
        "x",
        " ",
        "",
        "é",
        "\u{feff}",
        "\0",
        "\r",
        "\t",
        "999999999999999999999",
        "-1",
        "1e400",
    ];
    let mut out = Vec::new();
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    for (k, &i) in bounds.iter().enumerate() {
        let next = bounds.get(k + 1).copied().unwrap_or(text.len());
        out.push((format!("truncated at byte {i}"), text[..i].to_string()));
        out.push((
            format!("byte {i} deleted"),
            format!("{}{}", &text[..i], &text[next..]),
        ));
        if k % step == 0 {
            for r in REPLACEMENTS {
                out.push((
                    format!("byte {i} replaced by {r:?}"),
                    format!("{}{r}{}", &text[..i], &text[next..]),
                ));
            }
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    for i in 0..lines.len() {
        let mut deleted = lines.clone();
        deleted.remove(i);
        out.push((format!("line {} deleted", i + 1), deleted.join("\n")));
        let mut doubled = lines.clone();
        doubled.insert(i, lines[i]);
        out.push((format!("line {} doubled", i + 1), doubled.join("\n")));
        if i + 1 < lines.len() {
            let mut swapped = lines.clone();
            swapped.swap(i, i + 1);
            out.push((
                format!("lines {} and {} swapped", i + 1, i + 2),
                swapped.join("\n"),
            ));
        }
    }
    out
}

/// What is wrong with a problem as a report, if anything.
fn unusable(p: &Problem, files: &HashMap<PathBuf, String>) -> Option<String> {
    if p.message.trim().is_empty() {
        return Some("empty message".into());
    }
    if p.file.trim().is_empty() {
        return Some("no file name".into());
    }
    if p.line == Some(0) || p.column == Some(0) {
        return Some("line or column 0 (they count from 1)".into());
    }
    if let (Some(line), Some(text)) = (p.line, files.get(Path::new(&p.file))) {
        let lines = text.split('\n').count();
        if line > lines {
            return Some(format!("line {line}, but the file has {lines}"));
        }
    }
    if p.field.as_deref().is_some_and(|f| f.trim().is_empty()) {
        return Some("empty field".into());
    }
    if p.hint.as_deref().is_some_and(|h| h.trim().is_empty()) {
        return Some("empty hint".into());
    }
    None
}

#[test]
fn mutated_inputs_never_panic_and_every_problem_is_usable() {
    let mut failures: Vec<String> = Vec::new();
    let mut runs = 0;
    let mut rejected = 0;
    let base_plan = fs::read_to_string(Path::new(ROOT).join("base/plan.json")).expect("plan");
    let scenario = base_scenario();
    for (case, file, step) in [
        ("base", "scenario.toml", 11),
        ("base", "sites.csv", 5),
        ("base", "households.csv", 5),
        ("base-matrix", "travel-times.csv", 5),
        ("base-matrix", "scenario.toml", 37),
        ("base", "plan.json", 13),
    ] {
        let InMemory(files) = files_of(case);
        let key = Path::new(case).join(file);
        let original = if file == "plan.json" {
            base_plan.clone()
        } else {
            files[&key].clone()
        };
        for (what, text) in mutants(&original, step) {
            runs += 1;
            let mut files = files.clone();
            files.insert(key.clone(), text.clone());
            let result = catch_unwind(AssertUnwindSafe(|| {
                if file == "plan.json" {
                    read_plan(&key.display().to_string(), &text, &scenario).map(|_| ())
                } else {
                    let src = InMemory(files.clone());
                    load_scenario_with(&src, &Path::new(case).join("scenario.toml")).map(|_| ())
                }
            }));
            let context = || format!("{} with {what}", key.display());
            match result {
                Err(_) => failures.push(format!("{}: panicked", context())),
                Ok(Ok(())) => {}
                Ok(Err(problems)) => {
                    rejected += 1;
                    if problems.0.is_empty() {
                        failures.push(format!("{}: an error without problems", context()));
                    }
                    for p in &problems.0 {
                        if let Some(why) = unusable(p, &files) {
                            failures.push(format!("{}: {why}: {p:?}", context()));
                        }
                        let _ = p.to_string();
                    }
                }
            }
        }
    }
    eprintln!("{runs} variants, {rejected} rejected");
    assert!(runs > 5000, "only {runs} variants");
    assert!(
        rejected > runs / 4,
        "only {rejected} of {runs} variants rejected"
    );
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} of {runs} variants failed, e.g.:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Extreme numbers are refused with a message, never wrapped around: every sum
/// of times and people the planner and the validator make stays far from overflow.
#[test]
fn extreme_values_are_refused_not_wrapped() {
    let cases = [
        (
            "boarding_per_person = \"6s\"",
            "boarding_per_person = \"1000000000000000s\"",
            "too long; expected at most 1h",
        ),
        (
            "stop_time = \"3min\"",
            "stop_time = \"400d\"",
            "too long; expected at most 30d",
        ),
        (
            "seats = 50",
            "seats = 4294967295",
            "seats must be from 0 to 100000",
        ),
        (
            "available_until = \"14h\"",
            "available_until = \"1000000d\"",
            "more than 100 years",
        ),
        (
            "speed_kmh = 35",
            "speed_kmh = 0.0001",
            "speed must be from 1 to 300 km/h",
        ),
    ];
    for (from, to, says) in cases {
        let InMemory(mut files) = files_of("base");
        let key = Path::new("base").join("scenario.toml");
        let text = files[&key].clone();
        assert!(text.contains(from), "the base scenario has `{from}`");
        files.insert(key.clone(), text.replacen(from, to, 1));
        let err = load_scenario_with(&InMemory(files), &key).expect_err("refused");
        assert!(err.to_string().contains(says), "`{to}`: {err}");
    }
}
