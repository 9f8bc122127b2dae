//! Benchmark commands for the road router (docs/benchmarks.md, section "Roads"). Build with
//! `cargo build --release -p corridor-roads --example roads_bench`, then:
//!
//! - `roads_bench matrix NETWORK cch|dijkstra [N]`: an N × N matrix (default 1000) between seeded
//!   random nodes, by the hierarchy or by one plain Dijkstra per source (both in parallel).
//! - `roads_bench edges NETWORK OUT [N]`: the graph and the same N sources and targets as text, for
//!   a peer library to compute the same matrix (`bench/roads/igraph_matrix.py`).
//! - `roads_bench closure NETWORK`: re-weighting for a closure, timed in-process (median of 21).
//! - `roads_bench grid SIDE`: a generated SIDE × SIDE grid network prepared from scratch.
//!
//! Each prints a checksum of its matrix so that runs and engines can be compared.

use std::path::Path;
use std::time::Instant;

use corridor_core::LatLon;
use corridor_roads::{
    ArcSpec, CchRouter, NO_NAME, Place, Restriction, RoadNetwork, TravelTimes, read_network,
    restricted_weights,
};

fn nodes(net: &RoadNetwork, seed: u64, n: usize) -> Vec<u32> {
    // SplitMix64: a fixed, documented sequence, so the peer gets the very same nodes; distinct,
    // because igraph refuses a repeated target.
    let mut x = seed;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n.min(net.node_count()) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let v = (z % net.node_count() as u64) as u32;
        if seen.insert(v) {
            out.push(v);
        }
    }
    out
}

fn checksum(m: &[Option<u32>]) -> (u64, usize) {
    let sum = m.iter().flatten().map(|&t| u64::from(t)).sum();
    (sum, m.iter().filter(|t| t.is_none()).count())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| {
        args.get(i)
            .map(String::as_str)
            .ok_or("missing argument; see the doc comment")
    };
    match arg(1)? {
        "matrix" => {
            let t = Instant::now();
            let net = read_network(Path::new(arg(2)?))?;
            let load = t.elapsed();
            let n: usize = args.get(4).map_or(Ok(1000), |s| s.parse())?;
            let (src, dst) = (nodes(&net, 1, n), nodes(&net, 2, n));
            let t = Instant::now();
            let router = CchRouter::new(&net);
            let build = t.elapsed();
            let t = Instant::now();
            let m = match arg(3)? {
                "cch" => router.matrix(&src, &dst),
                "dijkstra" => router.dijkstra_matrix(&src, &dst),
                other => return Err(format!("unknown engine {other}").into()),
            };
            let query = t.elapsed();
            let (sum, unreachable) = checksum(&m);
            println!(
                "{} {n}x{n}: load {:.1} ms, hierarchy {:.1} ms, matrix {:.1} ms; checksum {sum} tenths, {unreachable} unreachable",
                arg(3)?,
                load.as_secs_f64() * 1e3,
                build.as_secs_f64() * 1e3,
                query.as_secs_f64() * 1e3
            );
        }
        "edges" => {
            use std::io::Write;
            let net = read_network(Path::new(arg(2)?))?;
            let n: usize = args.get(4).map_or(Ok(1000), |s| s.parse())?;
            let mut out = std::io::BufWriter::new(std::fs::File::create(arg(3)?)?);
            writeln!(out, "{} {}", net.node_count(), net.arc_count())?;
            let tails = net.arc_tails();
            for (a, &t) in tails.iter().enumerate() {
                writeln!(out, "{t} {} {}", net.arc_head(a), net.base_tenths()[a])?;
            }
            let line = |v: Vec<u32>| v.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
            writeln!(out, "{}", line(nodes(&net, 1, n)))?;
            writeln!(out, "{}", line(nodes(&net, 2, n)))?;
        }
        "closure" => {
            let net = read_network(Path::new(arg(2)?))?;
            let mut router = CchRouter::new(&net);
            // A 300 m circle around the network's middle node.
            let centre = net.position((net.node_count() / 2) as u32);
            let closure = [Restriction::Closed(Place::Area {
                centre,
                radius_m: 300.0,
            })];
            let mut times = Vec::new();
            let mut touched = 0;
            for _ in 0..21 {
                let t = Instant::now();
                let (w, hits) = restricted_weights(&net, &closure);
                router.reweight(w);
                times.push(t.elapsed().as_secs_f64() * 1e3);
                touched = hits[0];
            }
            times.sort_by(f64::total_cmp);
            println!(
                "closure of {touched} arcs: weights + re-customisation median {:.2} ms (min {:.2}, max {:.2}) over 21 runs",
                times[10], times[0], times[20]
            );
        }
        "grid" => {
            let side: u32 = arg(2)?.parse()?;
            let t = Instant::now();
            let mut pos = Vec::with_capacity((side * side) as usize);
            for r in 0..side {
                for c in 0..side {
                    // 100 m spacing around 53° N.
                    pos.push(LatLon {
                        lat: 53.0 + f64::from(r) * 0.0009,
                        lon: 13.0 + f64::from(c) * 0.0015,
                    });
                }
            }
            let mut arcs = Vec::with_capacity((side * side * 4) as usize);
            let id = |r: u32, c: u32| r * side + c;
            for r in 0..side {
                for c in 0..side {
                    let mut link = |a: u32, b: u32, tenths: u32| {
                        for (from, to) in [(a, b), (b, a)] {
                            arcs.push(ArcSpec {
                                from,
                                to,
                                tenths,
                                length_m: 100.0,
                                way: 0,
                                name: NO_NAME,
                            });
                        }
                    };
                    // Residential speed, with every tenth row and column a faster main road.
                    if c + 1 < side {
                        link(id(r, c), id(r, c + 1), if r % 10 == 0 { 72 } else { 120 });
                    }
                    if r + 1 < side {
                        link(id(r, c), id(r + 1, c), if c % 10 == 0 { 72 } else { 120 });
                    }
                }
            }
            let generated = t.elapsed();
            let t = Instant::now();
            let net = RoadNetwork::new(&pos, arcs, Vec::new())?;
            let order = t.elapsed();
            let t = Instant::now();
            let router = CchRouter::new(&net);
            let build = t.elapsed();
            let probe = nodes(&net, 3, 100);
            let m = router.matrix(&probe, &probe);
            let (sum, unreachable) = checksum(&m);
            println!(
                "grid {side}x{side} ({} nodes, {} arcs): generated {:.2} s, contraction order {:.2} s, hierarchy + customisation {:.2} s, total {:.2} s; checksum {sum}, {unreachable} unreachable",
                net.node_count(),
                net.arc_count(),
                generated.as_secs_f64(),
                order.as_secs_f64(),
                build.as_secs_f64(),
                (generated + order + build).as_secs_f64()
            );
        }
        other => return Err(format!("unknown command {other}").into()),
    }
    Ok(())
}
