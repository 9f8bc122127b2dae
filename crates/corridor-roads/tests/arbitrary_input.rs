//! Property tests of the road readers on arbitrary input: the OpenStreetMap PBF import (from a
//! file, as `corridor roads import` reads it) and the prepared network file, each fed small valid
//! files (`tests/data/tiny*.osm.pbf`, made by `make-tiny-pbf.py`, and the network prepared from
//! one) mutated the way files get damaged, and fully random bytes.
//!
//! The property: the reader answers (no panic, within `mutate::HANG`) with a network or an error
//! that says what is wrong; a prepared network read writes back the same bytes.
//!
//! Case counts are fixed (a few seconds) unless `PROPTEST_CASES` says otherwise; the seed is
//! fixed unless `PROPTEST_RNG_SEED` is set. The same readers are fuzzed with cargo-fuzz
//! (`fuzz/README.md`).

#[path = "../../corridor-formats/tests/support/mutate.rs"]
mod mutate;

use std::io::Write;
use std::path::{Path, PathBuf};

use corridor_roads::{from_bytes, import_pbf, to_bytes};
use proptest::prelude::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn pbf_bases() -> Vec<(String, Vec<u8>)> {
    ["tiny.osm.pbf", "tiny-uncompressed.osm.pbf"]
        .into_iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read(data(n)).expect("a committed PBF"),
            )
        })
        .collect()
}

fn network_bases() -> Vec<(String, Vec<u8>)> {
    let (net, _) = import_pbf(&data("tiny.osm.pbf"), &mut ()).expect("the tiny extract imports");
    vec![("tiny network".to_string(), to_bytes(&net))]
}

#[test]
fn the_tiny_extracts_import() {
    for (name, _) in pbf_bases() {
        let (net, report) = import_pbf(&data(&name), &mut ()).expect("imports");
        assert_eq!(net.node_count(), 9, "{name}");
        assert_eq!(report.ways_kept, 6, "{name}");
        assert_eq!(report.missing_node_refs, 1, "{name}");
    }
}

/// Inputs that broke the import when fuzzed (`fuzz/`), refused now with a message that says what
/// is wrong.
#[test]
fn fuzz_findings_are_refused_cleanly() {
    // A dense node whose position overflowed osmpbf's arithmetic (a panic in a debug build, any
    // value in a release one).
    let e = import_pbf(&data("regression-position-overflow.osm.pbf"), &mut ())
        .expect_err("a damaged file");
    let m = e.to_string();
    assert!(m.contains("which is not on the Earth"), "{m}");
    assert!(m.contains("regression-position-overflow.osm.pbf"), "{m}");
}

proptest! {
    #![proptest_config(mutate::config(1000))]

    #[test]
    fn osm_pbf_import((_what, bytes) in mutate::input(pbf_bases())) {
        let mut f = tempfile::Builder::new().suffix(".osm.pbf").tempfile().expect("a temporary file");
        f.write_all(&bytes).expect("written");
        f.flush().expect("flushed");
        let out = mutate::timed("import_pbf", || import_pbf(f.path(), &mut ()))?;
        if let Err(e) = out {
            let m = e.to_string();
            prop_assert!(m.contains(&f.path().display().to_string()) || matches!(e, corridor_roads::ImportError::Build(_)), "the error names no file: {m}");
            prop_assert!(!m.trim().is_empty());
        }
    }

    #[test]
    fn prepared_network((_what, bytes) in mutate::input(network_bases())) {
        match mutate::timed("from_bytes", || from_bytes(&bytes))? {
            Err(m) => prop_assert!(!m.trim().is_empty(), "an empty error"),
            Ok(net) => prop_assert_eq!(to_bytes(&net), bytes, "read and written again"),
        }
    }
}
