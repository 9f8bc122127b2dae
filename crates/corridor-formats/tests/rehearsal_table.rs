//! The optional `[rehearsal]` table: defaults, values read with their units, and
//! errors naming file, line and field.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use corridor_core::{Seconds, Uncertainty};
use corridor_formats::{InMemory, load_scenario_with};

fn tutorial_with(extra: &str) -> Result<corridor_formats::Loaded, corridor_formats::Problems> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tutorial");
    let mut files = HashMap::new();
    for f in ["scenario.toml", "sites.csv", "households.csv"] {
        let mut text =
            std::fs::read_to_string(dir.join(f)).expect("the tutorial is in the repository");
        if f == "scenario.toml" {
            text.push_str(extra);
        }
        files.insert(PathBuf::from("t").join(f), text);
    }
    load_scenario_with(&InMemory(files), Path::new("t/scenario.toml"))
}

#[test]
fn without_the_table_the_defaults_apply() {
    let l = tutorial_with("").expect("the tutorial is valid");
    assert_eq!(l.uncertainty, Uncertainty::default());
}

#[test]
fn the_table_is_read_with_units_and_defaults_fill_the_rest() {
    let l = tutorial_with(
        "\n[rehearsal]\ntravel_time_cv = 0.5\nsuspension_mean = \"1d\"\nsuspensions_per_day = 1\nlosses_per_working_hour = 0.0\n",
    )
    .expect("valid");
    let u = l.uncertainty;
    assert_eq!(u.travel_time_cv, 0.5);
    assert_eq!(u.suspension_mean, Seconds(86_400));
    assert_eq!(u.suspensions_per_day, 1.0);
    assert_eq!(u.losses_per_working_hour, 0.0);
    assert_eq!(u.repair_mean, Uncertainty::default().repair_mean);
}

#[test]
fn bad_values_name_their_line_and_field() {
    let base = tutorial_with("").expect("valid");
    let _ = base;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tutorial/scenario.toml"),
    )
    .expect("readable");
    let first = text.lines().count() + 2; // the table header is on the line after a blank one
    let e = tutorial_with(
        "\n[rehearsal]\nlate_household_share = 1.5\nrepair_mean = 90\nbreakdowns = 1\n",
    )
    .expect_err("invalid");
    let shown = e.to_string();
    // Unknown keys stop the reading first, naming the key and the line.
    assert!(shown.contains("breakdowns"), "{shown}");
    let e = tutorial_with("\n[rehearsal]\nlate_household_share = 1.5\nrepair_mean = \"forever\"\n")
        .expect_err("invalid");
    assert_eq!(e.0.len(), 2, "{e}");
    let share =
        e.0.iter()
            .find(|p| p.field.as_deref() == Some("late_household_share"))
            .expect("named");
    assert_eq!(share.line, Some(first + 1));
    assert!(share.message.contains("from 0 to 1"), "{}", share.message);
    let repair =
        e.0.iter()
            .find(|p| p.field.as_deref() == Some("repair_mean"))
            .expect("named");
    assert_eq!(repair.line, Some(first + 2));
}

#[test]
fn an_array_of_rehearsal_tables_is_told_to_be_one_table() {
    let e = tutorial_with("\n[[rehearsal]]\nlosses_per_working_hour = 10\n").expect_err("invalid");
    let shown = e.to_string();
    assert!(
        shown.contains("single table") && shown.contains("`[rehearsal]`"),
        "{shown}"
    );
    assert!(!shown.contains("expected a number"), "{shown}");
}
