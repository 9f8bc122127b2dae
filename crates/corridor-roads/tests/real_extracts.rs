//! The importer and the router on real OpenStreetMap extracts (data/osm, ODbL, see ATTRIBUTION.md).

use std::path::PathBuf;

use corridor_roads::{
    CchRouter, FileError, ImportError, Place, Restriction, RoadNetwork, Snapper, TravelTimes,
    import_pbf, read_network, restricted_weights, write_network,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn extract(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/osm")
        .join(name)
}

fn import(name: &str) -> (RoadNetwork, corridor_roads::ImportReport) {
    import_pbf(&extract(name), &mut ()).expect("the committed extract imports")
}

/// Seeded random node pairs.
fn random_nodes(net: &RoadNetwork, seed: u64, count: usize) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| rng.random_range(0..net.node_count() as u32))
        .collect()
}

/// The hierarchy's matrix equals plain Dijkstra, and fast_paths (an independent contraction
/// hierarchy) agrees on the pairs.
fn differential(net: &RoadNetwork, seed: u64) {
    let router = CchRouter::new(net);
    let sources = random_nodes(net, seed, 40);
    let targets = random_nodes(net, seed + 1, 60);
    let ch = router.matrix(&sources, &targets);
    let reference = router.dijkstra_matrix(&sources, &targets);
    assert_eq!(ch, reference);
    // The largest strongly connected component was kept: everything reaches everything.
    assert!(ch.iter().all(Option::is_some));

    let mut input = fast_paths::InputGraph::new();
    let tails = net.arc_tails();
    for (arc, &t) in tails.iter().enumerate() {
        input.add_edge(
            t as usize,
            net.arc_head(arc) as usize,
            net.base_tenths()[arc] as usize,
        );
    }
    input.freeze();
    let fp = fast_paths::prepare(&input);
    let mut calc = fast_paths::create_calculator(&fp);
    for (i, &s) in sources.iter().enumerate().take(10) {
        for (j, &t) in targets.iter().enumerate() {
            let want = calc
                .calc_path(&fp, s as usize, t as usize)
                .map(|p| p.get_weight() as u32);
            assert_eq!(ch[i * targets.len() + j], want, "{s} -> {t}");
        }
    }
}

#[test]
fn neubrandenburg_imports_and_the_hierarchy_matches_dijkstra() {
    let (net, report) = import("neubrandenburg.osm.pbf");
    assert_eq!(
        report.missing_node_refs, 0,
        "the Neubrandenburg extract is complete"
    );
    assert!(report.nodes_kept > 5_000, "{report:?}");
    assert!(
        report.ways_dropped.keys().any(|r| r.contains("footway")),
        "{report:?}"
    );
    assert_eq!(net.node_count() as u64, report.nodes_kept);
    differential(&net, 7);
}

#[test]
fn matrices_do_not_depend_on_the_thread_count() {
    let (net, _) = import("liechtenstein-2013-08-03.osm.pbf");
    let router = CchRouter::new(&net);
    let sources = random_nodes(&net, 21, 200);
    let targets = random_nodes(&net, 22, 50);
    let with = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(|| router.matrix(&sources, &targets))
    };
    let one = with(1);
    assert_eq!(one.len(), 200 * 50);
    assert_eq!(one, with(2));
    assert_eq!(one, with(5));
}

#[test]
fn liechtenstein_hierarchy_matches_dijkstra() {
    let (net, _) = import("liechtenstein-2013-08-03.osm.pbf");
    differential(&net, 11);
}

#[test]
fn clipped_helsinki_imports_with_warnings_and_routes() {
    let (net, report) = import("helsinki-centre.osm.pbf");
    assert!(report.missing_node_refs > 0, "{report:?}");
    assert!(report.ways_with_missing_refs > 0);
    assert!(
        report
            .warnings()
            .iter()
            .any(|w| w.contains("outside the extract"))
    );
    assert!(
        report.nodes_outside_component() > 0,
        "clipping leaves stranded pieces: {report:?}"
    );
    differential(&net, 13);
}

#[test]
fn closure_reweights_without_recontraction_and_matches_dijkstra() {
    let (net, _) = import("liechtenstein-2013-08-03.osm.pbf");
    let mut router = CchRouter::new(&net);
    let sources = random_nodes(&net, 3, 30);
    let targets = random_nodes(&net, 4, 30);
    let before = router.matrix(&sources, &targets);
    // Close a 1 km circle around the middle of the network's first named street.
    let centre = net.position(net.arc_head(0));
    let (weights, touched) = restricted_weights(
        &net,
        &[Restriction::Closed(Place::Area {
            centre,
            radius_m: 1000.0,
        })],
    );
    assert!(touched[0] > 0);
    router.reweight(weights);
    let after = router.matrix(&sources, &targets);
    assert_eq!(after, router.dijkstra_matrix(&sources, &targets));
    assert!(before.iter().zip(&after).all(|(b, a)| match (b, a) {
        (Some(b), Some(a)) => a >= b,
        (_, None) => true,
        (None, Some(_)) => false,
    }));
    assert_ne!(before, after, "a 1 km closure changes some time");
}

#[test]
fn prepared_file_round_trips_and_damage_is_an_error() {
    let (net, _) = import("liechtenstein-2013-08-03.osm.pbf");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("li.roads");
    write_network(&net, &path).expect("written");
    let back = read_network(&path).expect("read back");
    assert_eq!(back, net);

    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
    let err = read_network(&path).expect_err("truncated");
    assert!(matches!(err, FileError::Invalid { .. }));
    assert!(err.to_string().contains("truncated"), "{err}");

    std::fs::write(&path, b"not a network at all").expect("write");
    let err = read_network(&path).expect_err("wrong file");
    assert!(err.to_string().contains("corridor roads import"), "{err}");
}

#[test]
fn malformed_and_truncated_pbf_give_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = std::fs::read(extract("liechtenstein-2013-08-03.osm.pbf")).expect("read");
    // Each case with the advice it gets: XML is converted, a truncated PBF was cut short.
    let xml = "osmium cat FILE.osm -o FILE.osm.pbf";
    let cut = "seems cut short";
    let cases: [(&str, Vec<u8>, Option<&str>); 5] = [
        (
            "truncated.osm.pbf",
            bytes[..bytes.len() / 3].to_vec(),
            Some(cut),
        ),
        ("early.osm.pbf", bytes[..40].to_vec(), Some(cut)),
        (
            "garbage.osm.pbf",
            b"<?xml version='1.0'?><osm></osm>".repeat(10),
            Some(xml),
        ),
        ("other.osm.pbf", b"PK\x03\x04 a zip file".repeat(10), None),
        ("empty.osm.pbf", Vec::new(), None),
    ];
    for (name, data, advice) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("write");
        let err = import_pbf(&path, &mut ()).expect_err(name);
        assert!(matches!(err, ImportError::Pbf { .. }), "{name}: {err:?}");
        let text = err.to_string();
        assert!(
            text.contains(name) && text.contains("not a readable OpenStreetMap PBF"),
            "{text}"
        );
        for a in [xml, cut] {
            assert_eq!(text.contains(a), advice == Some(a), "{name}: {text}");
        }
    }
    let err = import_pbf(&dir.path().join("absent.osm.pbf"), &mut ()).expect_err("absent");
    assert!(matches!(err, ImportError::Open { .. }), "{err:?}");
}

#[test]
fn sites_snap_to_the_nearest_road() {
    let (net, _) = import("neubrandenburg.osm.pbf");
    let snapper = Snapper::new(&net);
    let node = net.position(100);
    let near = snapper.snap(&net, node).expect("snapped");
    assert!(near.road_distance_m < 1.0 && !near.is_far());
    // 0.05 degrees of latitude north of the node: several kilometres out.
    let far = snapper
        .snap(
            &net,
            corridor_core::LatLon {
                lat: node.lat + 0.5,
                lon: node.lon,
            },
        )
        .expect("snapped");
    assert!(far.is_far() && far.road_distance_m > 1_000.0);
}
