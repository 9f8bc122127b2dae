//! The benchmark's instance sets: where each comes from and what it is compared with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use corridor_core::Scenario;
use corridor_formats::{InMemory, import_bep, load_scenario, load_scenario_with};

/// One instance, loaded, with its reference figures.
pub(crate) struct Instance {
    pub(crate) name: String,
    /// Group for the report's tables (the literature's set, the generator's size).
    pub(crate) set: String,
    pub(crate) scenario: Scenario,
    pub(crate) optimum: Option<i64>,
    /// Published figures per peer name (literature only).
    pub(crate) published: HashMap<String, i64>,
}

/// The suites `cargo xtask bench --suite` accepts.
pub(crate) const SUITES: [&str; 4] = ["literature", "exact", "medium", "city"];

pub(crate) fn load(root: &Path, suite: &str) -> anyhow::Result<Vec<Instance>> {
    match suite {
        "literature" => literature(root),
        "exact" => exact(root),
        "medium" => Ok(generated(MEDIUM)?),
        "city" => Ok(generated(CITY)?),
        path if path.ends_with(".toml") => {
            let loaded = load_scenario(Path::new(path)).map_err(|p| anyhow::anyhow!("{p}"))?;
            Ok(vec![Instance {
                name: loaded.scenario.name.clone(),
                set: "file".into(),
                scenario: loaded.scenario,
                optimum: None,
                published: HashMap::new(),
            }])
        }
        other => bail!(
            "unknown suite `{other}`; expected one of {} or a scenario file (.toml)",
            SUITES.join(", ")
        ),
    }
}

fn literature(root: &Path) -> anyhow::Result<Vec<Instance>> {
    let dir = root.join("bench/instances/bep");
    let optima = std::fs::read_to_string(dir.join("loyola-random-optima.csv"))
        .context("reading bench/instances/bep/loyola-random-optima.csv")?;
    let mut reader = csv::Reader::from_reader(optima.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec?;
        let name = rec[0].to_string();
        let text = std::fs::read_to_string(dir.join("loyola-random").join(&name))
            .with_context(|| format!("reading the instance {name}"))?;
        let files = import_bep(&name, &text, &name).map_err(|p| anyhow::anyhow!("{p}"))?;
        let mem = InMemory(
            files
                .into_iter()
                .map(|f| (PathBuf::from("bep").join(f.path), f.contents))
                .collect::<HashMap<_, _>>(),
        );
        let loaded = load_scenario_with(&mem, Path::new("bep/scenario.toml"))
            .map_err(|p| anyhow::anyhow!("{p}"))?;
        let num = |k: usize| -> anyhow::Result<i64> {
            rec[k].parse().with_context(|| {
                format!(
                    "loyola-random-optima.csv line {}, column {}: not a whole number",
                    i + 2,
                    k + 1
                )
            })
        };
        let published = [("ortools", 6), ("pyvrp", 7), ("vroom", 8)]
            .into_iter()
            .map(|(p, k)| Ok((p.to_string(), num(k)?)))
            .collect::<anyhow::Result<HashMap<_, _>>>()?;
        out.push(Instance {
            set: name.split("-i").next().unwrap_or(&name).to_string(),
            optimum: Some(num(5)?),
            name,
            scenario: loaded.scenario,
            published,
        });
    }
    Ok(out)
}

/// `bench/instances/exact/`: one scenario directory per instance and `optima.csv`
/// (`instance,optimum,...`) with the proven optima.
fn exact(root: &Path) -> anyhow::Result<Vec<Instance>> {
    let dir = root.join("bench/instances/exact");
    let optima = std::fs::read_to_string(dir.join("optima.csv"))
        .context("reading bench/instances/exact/optima.csv (made by bench/peers/exact.py)")?;
    let mut reader = csv::Reader::from_reader(optima.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec?;
        let name = rec[0].to_string();
        let optimum: i64 = rec[1].parse().with_context(|| {
            format!(
                "bench/instances/exact/optima.csv line {}: optimum `{}` is not a whole number",
                i + 2,
                &rec[1]
            )
        })?;
        let loaded = load_scenario(&dir.join(&name).join("scenario.toml"))
            .map_err(|p| anyhow::anyhow!("{p}"))?;
        out.push(Instance {
            set: name
                .rsplit_once('-')
                .map_or(name.clone(), |(a, _)| a.to_string()),
            name,
            scenario: loaded.scenario,
            optimum: Some(optimum),
            published: HashMap::new(),
        });
    }
    Ok(out)
}

/// (name, seed, households, sites, vehicles, clustered)
type Gen = (&'static str, u64, u32, u32, u32, bool);

/// Fixed seeds, so every run plans the same scenarios.
pub(crate) const MEDIUM: &[Gen] = &[
    ("m-100-2000-50-u", 11, 2_000, 100, 50, false),
    ("m-100-2000-50-c", 12, 2_000, 100, 50, true),
    ("m-250-4000-80-u", 13, 4_000, 250, 80, false),
    ("m-500-6000-120-c", 14, 6_000, 500, 120, true),
    ("m-750-8000-150-u", 15, 8_000, 750, 150, false),
    ("m-1000-10000-200-c", 16, 10_000, 1_000, 200, true),
];

pub(crate) const CITY: &[Gen] = &[("city-1000-25000-500", 1, 25_000, 1_000, 500, false)];

fn generated(list: &[Gen]) -> anyhow::Result<Vec<Instance>> {
    list.iter()
        .map(|&(name, seed, households, sites, vehicles, clustered)| {
            let files = corridor_generate::generate(&corridor_generate::Options {
                seed,
                households,
                sites,
                vehicles,
                layout: if clustered {
                    corridor_generate::Layout::Clustered
                } else {
                    corridor_generate::Layout::Uniform
                },
                ..corridor_generate::Options::default()
            })?;
            let mem = InMemory(
                files
                    .into_iter()
                    .map(|f| (PathBuf::from("gen").join(f.path), f.contents))
                    .collect(),
            );
            let loaded = load_scenario_with(&mem, Path::new("gen/scenario.toml"))
                .map_err(|p| anyhow::anyhow!("{p}"))?;
            Ok(Instance {
                name: name.to_string(),
                set: name.to_string(),
                scenario: loaded.scenario,
                optimum: None,
                published: HashMap::new(),
            })
        })
        .collect()
}
