"""The peer for the road matrix benchmark (docs/benchmarks.md, "Roads"): python-igraph's
Dijkstra (`Graph.distances`, C core) on the very graph and node pairs Corridor routes.

    roads_bench edges nb.roads nb-edges.txt 1000
    python bench/roads/igraph_matrix.py nb-edges.txt

Input: a line "nodes arcs", one line "tail head tenths" per arc, then a line of sources and a line
of targets. Prints the same checksum as `roads_bench matrix`, so the results can be compared.
"""

import sys
import time

import igraph


def main() -> None:
    with open(sys.argv[1]) as f:
        n, m = map(int, f.readline().split())
        edges, weights = [], []
        for _ in range(m):
            t, h, w = f.readline().split()
            edges.append((int(t), int(h)))
            weights.append(int(w))
        sources = [int(x) for x in f.readline().split()]
        targets = [int(x) for x in f.readline().split()]
    t0 = time.perf_counter()
    g = igraph.Graph(n=n, edges=edges, directed=True)
    g.es["w"] = weights
    t1 = time.perf_counter()
    d = g.distances(source=sources, target=targets, weights="w", mode="out")
    t2 = time.perf_counter()
    total = sum(int(x) for row in d for x in row if x != float("inf"))
    unreachable = sum(1 for row in d for x in row if x == float("inf"))
    print(
        f"igraph {len(sources)}x{len(targets)}: graph {1e3 * (t1 - t0):.1f} ms, "
        f"matrix {1e3 * (t2 - t1):.1f} ms; checksum {total} tenths, {unreachable} unreachable"
    )


if __name__ == "__main__":
    main()
