"""The `exact` suite: small instances of the full model, written as ordinary scenario
directories under bench/instances/exact/, with their proven optimal makespans in
optima.csv. Run once (the results are committed); `cargo xtask bench --suite exact`
reads them. usage: exact.py OUT_DIR

The instances are built so that an exact method is simple to argue:

- travel times are whole minutes and metric (shortest-path closure), so no
  detour through another site is shorter than a direct leg;
- all households at one pickup site are ready at the same time, so splitting a
  site's households over two stops never helps (it only adds a stop time);
- a corridor (when there is one) has as many lanes as there are vehicles, so
  lanes never bind and the earliest crossing inside an open window is best;
- no deals, no convoys, no return depots, open-ended shifts.

Under these conditions an optimal plan exists in which every trip visits each
distinct pickup site of its households once, and every event happens at the
earliest time the rules allow (every rule is monotone in time). So:

1. per vehicle, a dynamic program enumerates every sequence of trips (household
   subset that fits the vehicle, order of its sites, accepting destination),
   keeping for each (households carried, people delivered per destination) the
   earliest finishing time: sequences with the same key are interchangeable in
   step 2, so keeping the earliest loses nothing;
2. a set-partitioning MIP in HiGHS picks one such schedule per vehicle so that
   every household is carried exactly once and no destination gets more people
   than its capacity, minimising the largest finishing time.

The optimum of the MIP (status Optimal, gap 0) is the optimal makespan.
"""

import itertools
import json
import os
import random
import sys
import time

import highspy
import numpy as np

MIN = 60


def generate(seed, households, pickups, dests, buses, corridor):
    rnd = random.Random(seed)
    names = ["Depot"] + [f"Pickup {i + 1}" for i in range(pickups)] + \
        ["Hospital"] + [f"Shelter {i + 1}" for i in range(dests - 1)] + (["Checkpoint"] if corridor else [])
    pos = [(rnd.uniform(0, 20), rnd.uniform(0, 20)) for _ in names]
    n = len(names)
    t = [[0 if a == b else int(((pos[a][0] - pos[b][0]) ** 2 + (pos[a][1] - pos[b][1]) ** 2) ** 0.5) + 1
          for b in range(n)] for a in range(n)]
    for k in range(n):  # metric: shortest-path closure
        for a in range(n):
            for b in range(n):
                t[a][b] = min(t[a][b], t[a][k] + t[k][b])
    pick = list(range(1, 1 + pickups))
    ready = {p: rnd.choice([0, 0, 10, 20, 30]) for p in pick}
    hh = []
    for i in range(households):
        site = rnd.choice(pick)
        if rnd.random() < 0.3:
            people, st = rnd.randint(1, 3), 1
        else:
            people, st = rnd.randint(1, 6), 0
        hh.append({"ref": f"H{i + 1:02d}", "site": site, "people": people, "stretcher": st,
                   "tier": 1 if st else rnd.choice([2, 3, 3]), "ready": ready[site]})
    total = sum(h["people"] for h in hh)
    need_h = sum(h["people"] for h in hh if h["stretcher"])
    d0 = 1 + pickups
    caps = {}
    caps[d0] = max(need_h, 1) + rnd.randint(0, 4)
    rest = max(0, total - caps[d0])
    for j in range(1, dests):
        # Tight on purpose: the shelters together hold a little more than the rest.
        caps[d0 + j] = max(2, int(rest * rnd.uniform(0.5, 0.9)) if dests > 2 else rest + rnd.randint(0, 5))
    if sum(caps.values()) < total:
        caps[d0 + dests - 1] += total - sum(caps.values())
    vehicles = [("bus", i) for i in range(buses)] + ([("ambulance", 0)] if any(h["stretcher"] for h in hh) else [])
    cor = None
    if corridor:
        cp = n - 1
        gov = sorted(rnd.sample(pick, rnd.randint(1, pickups)))
        w1 = rnd.choice([10, 20, 30])
        cor = {"checkpoint": cp, "governs": gov, "processing": rnd.choice([2, 3, 5]), "lanes": len(vehicles),
               "windows": [(w1, w1 + rnd.choice([20, 30, 40])), (w1 + 60, 2000)]}
    types = {
        "bus": {"seats": 10, "stretchers": 0, "boarding": 1, "stop": 1, "unloading": 0},
        "ambulance": {"seats": 3, "stretchers": 1, "boarding": 1, "stop": 2, "unloading": 1},
    }
    return {"names": names, "t": t, "hh": hh, "caps": caps, "dests": [d0 + j for j in range(dests)],
            "hospital": d0, "vehicles": vehicles, "corridor": cor, "types": types, "pickups": pick}


def write(inst, name, out):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    names = inst["names"]
    with open(os.path.join(d, "travel-times.csv"), "w") as f:
        f.write("from," + ",".join(names) + "\n")
        for a, row in enumerate(inst["t"]):
            f.write(names[a] + "," + ",".join(str(x * MIN) for x in row) + "\n")
    L = [f"# An instance of the benchmark's exact suite (bench/peers/exact.py); its proven optimum is in ../optima.csv.",
         "", "[scenario]", f'name = "{name}"', "format_version = 1", "", "[network]", 'matrix = "travel-times.csv"', ""]
    for tn, ty in inst["types"].items():
        if tn == "ambulance" and not any(v[0] == "ambulance" for v in inst["vehicles"]):
            continue
        L += ["[[vehicle_type]]", f'name = "{tn}"', f'seats = {ty["seats"]}', f'stretchers = {ty["stretchers"]}',
              f'boarding_per_person = "{ty["boarding"]}min"', f'stop_time = "{ty["stop"]}min"',
              f'unloading_per_person = "{ty["unloading"]}min"', ""]
    for tn, i in inst["vehicles"]:
        L += ["[[vehicle]]", f'name = "{tn}-{i + 1}"', f'type = "{tn}"', 'depot = "Depot"', ""]
    for k, nm in enumerate(names):
        kind = "depot" if k == 0 else "pickup" if k in inst["pickups"] else \
            "destination" if k in inst["dests"] else "checkpoint"
        L += ["[[site]]", f'name = "{nm}"', f'kind = "{kind}"', "lat = 0.0", "lon = 0.0"]
        if kind == "destination":
            L += [f'capacity = {inst["caps"][k]}',
                  f'accepts_stretcher_cases = {"true" if k == inst["hospital"] else "false"}']
        L.append("")
    for h in inst["hh"]:
        L += ["[[household]]", f'reference = "{h["ref"]}"', f'site = "{names[h["site"]]}"', f'people = {h["people"]}',
              f'stretcher_cases = {h["stretcher"]}', f'tier = {h["tier"]}', f'ready = "{h["ready"]}min"', ""]
    c = inst["corridor"]
    if c:
        L += ["[[corridor]]", 'name = "Corridor"', 'checkpoint = "Checkpoint"',
              "governs = [" + ", ".join(f'"{names[g]}"' for g in c["governs"]) + "]",
              f'lanes = {c["lanes"]}', f'processing = "{c["processing"]}min"',
              "windows = [" + ", ".join(f'{{ open = "{a}min", close = "{b}min" }}' for a, b in c["windows"]) + "]", ""]
    with open(os.path.join(d, "scenario.toml"), "w") as f:
        f.write("\n".join(L))


def trip_end(inst, ty, at, start, sites_order, hs_by_site, dest):
    """Earliest event times of one structured trip (in minutes), as the validator's rules allow."""
    t = inst["t"]
    time_, loc, on_board = start, at, 0
    for s in sites_order:
        hs = hs_by_site[s]
        arrive = time_ + t[loc][s]
        ready = max(inst["hh"][h]["ready"] for h in hs)
        people = sum(inst["hh"][h]["people"] for h in hs)
        time_ = max(arrive, ready) + ty["stop"] + ty["boarding"] * people
        on_board += people
        loc = s
    c = inst["corridor"]
    if c and any(s in c["governs"] for s in sites_order):
        q = time_ + t[loc][c["checkpoint"]]
        st = None
        for a, b in c["windows"]:
            x = max(q, a)
            if x + c["processing"] <= b:
                st = x
                break
        if st is None:
            return None
        time_ = st + c["processing"]
        loc = c["checkpoint"]
    arrive = time_ + t[loc][dest]
    return arrive + ty["stop"] + ty["unloading"] * on_board


def schedules(inst, vtype):
    """Per vehicle type: {(mask, people per destination): earliest end} over all trip sequences."""
    ty = inst["types"][vtype]
    hh = inst["hh"]
    nh = len(hh)
    dests = inst["dests"]
    patterns = []  # (mask, sites order, hs_by_site, dest index)
    for mask in range(1, 1 << nh):
        hs = [h for h in range(nh) if mask >> h & 1]
        seated = sum(hh[h]["people"] - hh[h]["stretcher"] for h in hs)
        st = sum(hh[h]["stretcher"] for h in hs)
        if seated > ty["seats"] or st > ty["stretchers"]:
            continue
        by_site = {}
        for h in hs:
            by_site.setdefault(hh[h]["site"], []).append(h)
        for di, d in enumerate(dests):
            if st and d != inst["hospital"]:
                continue
            for order in itertools.permutations(sorted(by_site)):
                patterns.append((mask, order, by_site, di, sum(hh[h]["people"] for h in hs)))
    best = {}
    frontier = {(0, 0, tuple([0] * len(dests))): 0}  # (mask, location, dvec) -> earliest time
    seen = dict(frontier)
    while frontier:
        nxt = {}
        for (mask, loc, dvec), tm in frontier.items():
            for pm, order, by_site, di, people in patterns:
                if pm & mask:
                    continue
                end = trip_end(inst, ty, loc, tm, order, by_site, dests[di])
                if end is None:
                    continue
                dv = list(dvec)
                dv[di] += people
                if dv[di] > inst["caps"][dests[di]]:
                    continue
                key = (mask | pm, dests[di], tuple(dv))
                if key not in seen or seen[key] > end:
                    seen[key] = end
                    nxt[key] = end
        frontier = nxt
    for (mask, loc, dvec), tm in seen.items():
        k = (mask, dvec)
        if k not in best or best[k] > tm:
            best[k] = tm
    return best


def solve(inst):
    dests = inst["dests"]
    nh = len(inst["hh"])
    per_type = {}
    cols = []  # (vehicle index, mask, dvec, end)
    for v, (tn, _) in enumerate(inst["vehicles"]):
        if tn not in per_type:
            per_type[tn] = schedules(inst, tn)
        for (mask, dvec), end in per_type[tn].items():
            cols.append((v, mask, dvec, end))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    n = len(cols) + 1  # last: the makespan Z
    lb = np.zeros(n)
    ub = np.ones(n)
    ub[-1] = 1e9
    h.addVars(n, lb, ub)
    h.changeColsIntegrality(n - 1, np.arange(n - 1, dtype=np.int32), np.ones(n - 1, dtype=np.uint8))
    cost = np.zeros(n)
    cost[-1] = 1
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    for v in range(len(inst["vehicles"])):
        ks = [k for k, c in enumerate(cols) if c[0] == v]
        h.addRow(1, 1, len(ks), np.array(ks, dtype=np.int32), np.ones(len(ks)))
    for hh in range(nh):
        ks = [k for k, c in enumerate(cols) if c[1] >> hh & 1]
        h.addRow(1, 1, len(ks), np.array(ks, dtype=np.int32), np.ones(len(ks)))
    for di, d in enumerate(dests):
        ks = [k for k, c in enumerate(cols) if c[2][di] > 0]
        if ks:
            h.addRow(0, inst["caps"][d], len(ks), np.array(ks, dtype=np.int32),
                     np.array([float(cols[k][2][di]) for k in ks]))
    for k, c in enumerate(cols):  # Z >= end * z
        if c[3] > 0:
            h.addRow(0, 1e9, 2, np.array([n - 1, k], dtype=np.int32), np.array([1.0, -float(c[3])]))
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        return None, status, len(cols)
    return round(h.getInfo().objective_function_value), status, len(cols)


CONFIGS = [
    # (households, pickup sites, destinations, buses, corridor)
    (3, 2, 2, 1, False), (4, 2, 2, 1, False), (4, 3, 2, 1, False), (5, 2, 2, 1, False),
    (4, 2, 3, 1, False), (5, 3, 3, 1, False), (5, 2, 4, 1, False), (6, 3, 4, 1, False),
    (4, 2, 2, 2, False), (5, 3, 3, 2, False), (6, 2, 3, 2, False), (6, 3, 4, 2, False),
    (3, 2, 2, 1, True), (4, 2, 3, 1, True), (5, 3, 2, 1, True), (5, 2, 4, 1, True),
    (4, 2, 2, 2, True), (5, 3, 3, 2, True), (6, 2, 4, 2, True), (6, 3, 3, 1, True),
]


def main(out):
    os.makedirs(out, exist_ok=True)
    rows = []
    for k, (nh, npk, nd, nb, cor) in enumerate(CONFIGS):
        for attempt in range(20):  # a draw whose households cannot all be placed is redrawn
            seed = 1000 + k + 100 * attempt
            inst = generate(seed, nh, npk, nd, nb, cor)
            name = f"x{nh}h-{npk}p-{nd}d-{len(inst['vehicles'])}v{'-corridor' if cor else ''}-s{seed}"
            t0 = time.monotonic()
            opt, status, ncols = solve(inst)
            secs = time.monotonic() - t0
            if opt is not None:
                break
            print(f"{name}: {status}, redrawn", file=sys.stderr)
        if opt is None:
            continue
        write(inst, name, out)
        rows.append((name, opt * MIN, ncols, f"{secs:.2f}"))
        print(f"{name}: optimum {opt} min ({ncols} schedules, {secs:.2f} s)", file=sys.stderr)
    with open(os.path.join(out, "optima.csv"), "w") as f:
        f.write("instance,optimum,schedules,solve_seconds\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
