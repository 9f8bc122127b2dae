//! The deal term of the lower bound on a scenario small enough to solve by
//! hand: group A may deliver at most B's deliveries + 10, so A's last ten
//! people wait for all twenty of B's, who live far away.

mod common;

use corridor_core::{Figures, Seconds};
use corridor_plan::{Options, lower_bound, plan};

const SCENARIO: &str = r#"
[scenario]
name = "A waits for B"
format_version = 1

[network]
matrix = "tt.csv"

[[site]]
name = "Depot"
kind = "depot"
lat = 0.0
lon = 0.0

[[site]]
name = "Far village"
kind = "pickup"
lat = 0.0
lon = 0.01

[[site]]
name = "Near town"
kind = "pickup"
lat = 0.0
lon = 0.02

[[site]]
name = "Camp"
kind = "destination"
lat = 0.0
lon = 0.03

[[vehicle_type]]
name = "bus"
seats = 10
boarding_per_person = "0s"
stop_time = "0s"
unloading_per_person = "0s"

[[vehicle]]
name = "bus-1"
type = "bus"
depot = "Depot"

[[population]]
site = "Far village"
people = 20
household_size = 10

[[population]]
site = "Near town"
people = 30
household_size = 10

[[deal]]
name = "Exchange"
group_a = ["Near town"]
group_b = ["Far village"]
ratio = 1.0
slack = 10
"#;

const MATRIX: &str = ",Depot,Far village,Near town,Camp
Depot,0,300,60,1000
Far village,300,0,1000,300
Near town,60,1000,0,50
Camp,1000,300,50,0
";

#[test]
fn the_deal_term_is_what_b_must_deliver_first() {
    let s = common::from_files(&[("scenario.toml", SCENARIO), ("tt.csv", MATRIX)]);
    let b = lower_bound(&s);
    // A's 30 people need B >= 20 delivered: two trips to the far village,
    // each 300 s in and 300 s out.
    assert_eq!(b.deal, Seconds(1200), "{b:?}");
    // The bus's seat-hours are tighter still, and here exact: 20 people need
    // 600 s of a 10-seat bus each (300 in, 300 out), 30 need 100 s: 1,500 s.
    assert_eq!(b.fleet_work, Seconds(1500), "{b:?}");
    assert_eq!(b.value, Seconds(1500), "{b:?}");
    // By hand: the best is B, B, then A three times (or A interleaved, 10 s later): 1500 s.
    let o = Options {
        seed: 1,
        iterations: Some(2000),
        threads: 1,
        ..Default::default()
    };
    let out = plan(&s, &o, &|| false, &|_| {}).expect("plannable");
    assert!(corridor_check::check(&s, &out.plan).is_empty());
    let makespan = Figures::of(&s, &out.plan).makespan;
    assert!(makespan >= b.value);
    assert_eq!(makespan, Seconds(1500));
}
