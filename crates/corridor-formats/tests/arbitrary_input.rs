//! Property tests of every reader of this crate on arbitrary input: valid files from the repository
//! (the examples, the malformed fixtures' bases and cases, the state and BEP samples) mutated the
//! way files get damaged, and fully random bytes and text.
//!
//! The property: the reader answers (no panic, within `mutate::HANG`), and a refusal is a list of
//! problems, each naming its file (and a line that exists) and saying what is wrong. What a reader
//! accepts must also survive its writer: a plan or state read, written and read again is the same,
//! and a BEP instance imported is a scenario that loads.
//!
//! Case counts are fixed (a few seconds in all) unless `PROPTEST_CASES` says otherwise; the seed
//! is fixed unless `PROPTEST_RNG_SEED` is set. A long run:
//! `PROPTEST_CASES=20000 cargo test --release -p corridor-formats --test arbitrary_input`.
//! The same readers are fuzzed with cargo-fuzz (`fuzz/README.md`); the inputs it found that broke
//! a reader are replayed by `fuzz_findings_are_refused_cleanly`.

#[path = "support/mutate.rs"]
mod mutate;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use corridor_core::Scenario;
use corridor_formats::{
    InMemory, Problems, import_bep, load_scenario_with, read_plan, read_state, write_plan,
    write_state,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const HERE: &str = env!("CARGO_MANIFEST_DIR");

fn repo(path: &str) -> PathBuf {
    Path::new(HERE).join("../..").join(path)
}

fn bytes(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file called `name` in the malformed fixtures (the bases and the cases that change it),
/// and the extra files given.
fn fixtures(name: &str, extra: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let dir = repo("crates/corridor-formats/tests/malformed");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("the malformed fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    cases.sort();
    for case in cases {
        let f = case.join(name);
        if f.is_file() {
            out.push((f.display().to_string(), bytes(&f)));
        }
    }
    for e in extra {
        out.push((e.to_string(), bytes(&repo(e))));
    }
    out
}

/// The base scenario's files (with a travel-time matrix) in memory under `s/`.
fn base_files() -> &'static HashMap<PathBuf, String> {
    static F: OnceLock<HashMap<PathBuf, String>> = OnceLock::new();
    F.get_or_init(|| {
        let m = repo("crates/corridor-formats/tests/malformed");
        [
            ("scenario.toml", m.join("base-matrix/scenario.toml")),
            ("sites.csv", m.join("base/sites.csv")),
            ("households.csv", m.join("base/households.csv")),
            ("travel-times.csv", m.join("base-matrix/travel-times.csv")),
        ]
        .into_iter()
        .map(|(name, path)| {
            let text = fs::read_to_string(&path).expect("a base file");
            (Path::new("s").join(name), text)
        })
        .collect()
    })
}

fn scenario_of(path: &str) -> Scenario {
    corridor_formats::load_scenario(&repo(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .scenario
}

fn tutorial() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| scenario_of("examples/tutorial/scenario.toml"))
}

fn aleppo() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| scenario_of("examples/aleppo-2016/scenario.toml"))
}

/// Fails the case unless `p` is a usable refusal of the files in `files`.
fn usable(p: &Problems, files: &HashMap<PathBuf, String>) -> Result<(), TestCaseError> {
    prop_assert!(!p.0.is_empty(), "an error without problems");
    for x in &p.0 {
        prop_assert!(!x.message.trim().is_empty(), "no message: {x:?}");
        prop_assert!(!x.file.trim().is_empty(), "no file: {x:?}");
        prop_assert!(
            x.line != Some(0) && x.column != Some(0),
            "line or column 0: {x:?}"
        );
        if let (Some(line), Some(text)) = (x.line, files.get(Path::new(&x.file))) {
            let n = text.split('\n').count();
            prop_assert!(line <= n, "line {line} of a file of {n} lines: {x:?}");
        }
        prop_assert!(
            x.field.as_deref().is_none_or(|f| !f.trim().is_empty()),
            "an empty field: {x:?}"
        );
        prop_assert!(
            x.hint.as_deref().is_none_or(|h| !h.trim().is_empty()),
            "an empty hint: {x:?}"
        );
        prop_assert!(!x.to_string().is_empty());
    }
    Ok(())
}

/// Loads the base scenario with `file` replaced by `text`; checks the answer.
fn check_scenario(file: &str, text: &[u8]) -> Result<(), TestCaseError> {
    let mut files = base_files().clone();
    files.insert(
        Path::new("s").join(file),
        String::from_utf8_lossy(text).into_owned(),
    );
    let src = InMemory(files.clone());
    let out = mutate::timed("load_scenario", || {
        load_scenario_with(&src, Path::new("s/scenario.toml"))
    })?;
    if let Err(p) = out {
        usable(&p, &files)?;
    }
    Ok(())
}

fn check_plan(text: &[u8], s: &Scenario) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(text);
    let files = HashMap::from([(PathBuf::from("plan.json"), text.to_string())]);
    match mutate::timed("read_plan", || read_plan("plan.json", &text, s))? {
        Err(p) => usable(&p, &files)?,
        Ok((plan, _)) => {
            let again = write_plan(s, &plan);
            match read_plan("again.json", &again, s) {
                Ok((back, _)) => prop_assert_eq!(back, plan, "read, written and read again"),
                Err(p) => prop_assert!(false, "a plan read does not read back: {p}\n{again}"),
            }
        }
    }
    Ok(())
}

fn check_state(text: &[u8], s: &Scenario) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(text);
    let files = HashMap::from([(PathBuf::from("state.json"), text.to_string())]);
    match mutate::timed("read_state", || read_state("state.json", &text, s))? {
        Err(p) => usable(&p, &files)?,
        Ok(state) => {
            let again = write_state(s, &state);
            match read_state("again.json", &again, s) {
                Ok(back) => prop_assert_eq!(back, state, "read, written and read again"),
                Err(p) => prop_assert!(false, "a state read does not read back: {p}\n{again}"),
            }
        }
    }
    Ok(())
}

fn check_bep(text: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(text);
    let files = HashMap::from([(PathBuf::from("instance.txt"), text.to_string())]);
    match mutate::timed("import_bep", || import_bep("instance.txt", &text, "fuzzed"))? {
        Err(p) => usable(&p, &files)?,
        Ok(out) => {
            let m: HashMap<PathBuf, String> = out
                .into_iter()
                .map(|f| (Path::new("b").join(f.path), f.contents))
                .collect();
            let loaded = mutate::timed("loading an imported instance", || {
                load_scenario_with(&InMemory(m.clone()), Path::new("b/scenario.toml"))
            })?;
            if let Err(p) = loaded {
                prop_assert!(false, "an imported instance does not load: {p}");
            }
        }
    }
    Ok(())
}

fn bep_bases() -> Vec<(String, Vec<u8>)> {
    let dir = repo("bench/instances/bep/loyola-random");
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("the BEP instances")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    names
        .into_iter()
        .step_by(15)
        .map(|p| (p.display().to_string(), bytes(&p)))
        .collect()
}

fn plan_bases() -> Vec<(String, Vec<u8>)> {
    let mut out = fixtures("plan.json", &["examples/tutorial/plan-by-hand.json"]);
    for e in fs::read_dir(repo("crates/corridor-formats/tests/malformed")).expect("fixtures") {
        let p = e.expect("an entry").path();
        if p.extension().is_some_and(|x| x == "json") {
            out.push((p.display().to_string(), bytes(&p)));
        }
    }
    out.push((
        "tutorial-plan.json".into(),
        bytes(&repo("crates/corridor-cli/tests/data/tutorial-plan.json")),
    ));
    out.sort();
    out
}

fn state_bases() -> Vec<(String, Vec<u8>)> {
    ["state-tutorial.json", "state-aleppo.json"]
        .into_iter()
        .map(|n| {
            let p = Path::new(HERE).join("tests/data").join(n);
            (n.to_string(), bytes(&p))
        })
        .collect()
}

#[test]
fn the_bases_are_valid() {
    let files = base_files().clone();
    load_scenario_with(&InMemory(files), Path::new("s/scenario.toml")).expect("the base scenario");
    for (name, text) in plan_bases() {
        if name.ends_with("plan.json") && !name.contains("malformed/plan-") {
            read_plan(&name, &String::from_utf8_lossy(&text), tutorial()).expect("a valid plan");
        }
    }
    let [(_, t), (_, a)] = <[_; 2]>::try_from(state_bases()).expect("two states");
    read_state("tutorial", &String::from_utf8_lossy(&t), tutorial()).expect("the tutorial state");
    read_state("aleppo", &String::from_utf8_lossy(&a), aleppo()).expect("the Aleppo state");
    for (name, text) in bep_bases() {
        let files = import_bep(&name, &String::from_utf8_lossy(&text), "b").expect("an instance");
        assert_eq!(files.len(), 2, "{name}");
    }
}

/// Inputs that broke a reader's promises when fuzzed (`fuzz/`), each refused now with a problem at
/// a line that exists and a message that says what is wrong. (The HXL finding of these tests is a
/// fixture of its own: `tests/malformed/hxl-malformed-hashtag-untitled-column`.)
#[test]
fn fuzz_findings_are_refused_cleanly() {
    // (what, input, line, a fragment of the message)
    let bep = [
        (
            // A count too large on the last line: the problem was at line 0.
            "too many collection points, at the end of the file",
            "6 1\n1 6\n800000 ",
            3,
            "800000 collection points is more than this importer handles",
        ),
        (
            // A travel time the scenario's matrix refuses (over 30 days): the import wrote a
            // scenario that did not load.
            "a travel time over 30 days",
            "3 1\n1 3\n4 9 1 2 1 5\n4 24 5 5 4 10\n\n1 6 5 6 8\n\n1 4 1 9 2\n2 2 7 4331333 6\n3 10 8 2 10\n4 1 7 0 6\n",
            9,
            "the travel time between point 2 and shelter 3 is 4331333, more than 30 days (2592000 s)",
        ),
    ];
    for (what, text, line, says) in bep {
        let p = import_bep("instance.txt", text, "x").expect_err(what);
        assert_eq!(p.0.len(), 1, "{what}: {p}");
        assert_eq!(p.0[0].line, Some(line), "{what}: {p}");
        assert!(p.0[0].message.contains(says), "{what}: {p}");
    }
}

proptest! {
    #![proptest_config(mutate::config(1000))]

    /// The scenario TOML: the tutorial's, the fixtures' variants of it, and the Aleppo example.
    #[test]
    fn scenario_toml((_what, text) in mutate::input(fixtures(
        "scenario.toml",
        &["examples/aleppo-2016/scenario.toml", "examples/tutorial/scenario.toml"],
    ))) {
        check_scenario("scenario.toml", &text)?;
    }

    /// The sites table (with HXL hashtags) and the fixtures' variants of it.
    #[test]
    fn sites_csv((_what, text) in mutate::input(fixtures("sites.csv", &[]))) {
        check_scenario("sites.csv", &text)?;
    }

    /// The households table (with HXL hashtags) and the fixtures' variants of it.
    #[test]
    fn households_csv((_what, text) in mutate::input(fixtures("households.csv", &[]))) {
        check_scenario("households.csv", &text)?;
    }

    /// The travel-time matrix and the fixtures' variants of it.
    #[test]
    fn travel_time_matrix((_what, text) in mutate::input(fixtures("travel-times.csv", &[]))) {
        check_scenario("travel-times.csv", &text)?;
    }

    /// Plan files, against the tutorial.
    #[test]
    fn plan_file((_what, text) in mutate::input(plan_bases())) {
        check_plan(&text, tutorial())?;
    }

    /// BEP instances of the literature.
    #[test]
    fn bep_instance((_what, text) in mutate::input(bep_bases())) {
        check_bep(&text)?;
    }
}

proptest! {
    // Fewer cases: each indexes the names of the Aleppo scenario's thousands of households.
    #![proptest_config(mutate::config(200))]

    /// State files, against the tutorial and the Aleppo scenario (corridors, closures).
    #[test]
    fn state_file((_what, text) in mutate::input(state_bases())) {
        check_state(&text, tutorial())?;
        check_state(&text, aleppo())?;
    }
}
