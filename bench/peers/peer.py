"""Runs one general solver (OR-Tools routing, PyVRP or VROOM) on an instance
exported by `cargo xtask bench`, within a wall-clock budget and on one thread,
and writes what each vehicle does (trips: pickup stops with households, one
destination). The harness times the answer into a Corridor plan and has the
validator judge it. Modelling choices are documented in bench/README.md.

usage: peer.py --solver ortools|pyvrp|vroom --budget SECONDS INSTANCE.json ANSWER.json
"""

import argparse
import json
import sys
import time

import numpy as np

BIG = 10**7  # stands for "unreachable" in matrices; never driven (checked on output)


class Problem:
    """The instance plus what every model shares: loads, legs, services, destinations."""

    def __init__(self, inst, mip="highs"):
        self.inst = inst
        self.mip = mip
        self.sites = inst["sites"]
        self.M = inst["matrix"]
        self.types = inst["vehicle_types"]
        self.vehicles = inst["vehicles"]
        self.hh = inst["households"]
        self.dests = [i for i, s in enumerate(self.sites) if s["kind"] == "destination"]
        self.governed = {}
        for c in inst["corridors"]:
            for g in c["governs"]:
                self.governed[g] = c
        self.loads = self.make_loads()

    def travel(self, a, b):
        t = self.M[a][b]
        return BIG if t is None else t

    def leg(self, a, b):
        """Travel a -> b, through the checkpoint when a is a governed pickup and b a destination
        (windows are not expressible in the peers and are left to the harness's timing)."""
        c = self.governed.get(a)
        if c is not None and self.sites[b]["kind"] == "destination":
            x, y = self.M[a][c["checkpoint"]], self.M[c["checkpoint"]][b]
            if x is None or y is None:
                return BIG
            return x + c["processing"] + y
        return self.travel(a, b)

    def make_loads(self):
        """Households bundled per site: households with stretcher cases one by one; the others
        first-fit decreasing into bundles of at most the largest vehicle's seats. A bundle is
        never split by the peers (it is their unit of work); households are never split anyway."""
        seats = max(t["seats"] for t in self.types)
        by_site = {}
        for i, h in enumerate(self.hh):
            by_site.setdefault(h["site"], []).append(i)
        loads = []
        for site, hs in sorted(by_site.items()):
            stretcher = [i for i in hs if self.hh[i]["stretcher"] > 0]
            seated = sorted((i for i in hs if self.hh[i]["stretcher"] == 0),
                            key=lambda i: -self.hh[i]["people"])
            for i in stretcher:
                loads.append([i])
            bins = []
            for i in seated:
                p = self.hh[i]["people"]
                for b in bins:
                    if b[0] + p <= seats:
                        b[0] += p
                        b[1].append(i)
                        break
                else:
                    bins.append([p, [i]])
            loads.extend(b[1] for b in bins)
        out = []
        for hs in loads:
            people = sum(self.hh[i]["people"] for i in hs)
            st = sum(self.hh[i]["stretcher"] for i in hs)
            carrier = self.carrier_type(people - st, st)
            out.append({
                "site": self.hh[hs[0]]["site"], "households": hs, "people": people,
                "seated": people - st, "stretcher": st,
                "ready": max(self.hh[i]["ready"] for i in hs),
                "board": carrier["stop"] + carrier["boarding"] * people,
                "unload": carrier["stop"] + carrier["unloading"] * people,
            })
        return out

    def carrier_type(self, seated, stretcher):
        ok = [t for t in self.types if t["seats"] >= seated and t["stretchers"] >= stretcher]
        ok = ok or self.types
        return min(ok, key=lambda t: (t["stretchers"] if stretcher == 0 else 0, -t["seats"]))

    def unit_loads(self):
        """True when every load fills every vehicle exactly (the literature's busloads)."""
        return (len({v["type"] for v in self.vehicles}) == 1
                and all(l["stretcher"] == 0 and l["people"] == self.types[self.vehicles[0]["type"]]["seats"]
                        for l in self.loads)
                and not self.inst["corridors"])

    def accepts(self, load, d):
        s = self.sites[d]
        if load["stretcher"] > 0 and not s["accepts_stretcher"]:
            return False
        if s.get("serves") is not None and load["site"] not in s["serves"]:
            return False
        return self.leg(load["site"], d) < BIG

    def assign_destinations(self, seconds):
        """The transportation problem: each load to one accepting destination, capacities
        respected, least total people x travel time (HiGHS, as a small MIP; time-limited)."""
        cols = [(l, d) for l, load in enumerate(self.loads) for d in self.dests if self.accepts(load, d)]
        x = self.transport_ortools(cols, seconds) if self.mip == "ortools" else self.transport_highs(cols, seconds)
        assign = [None] * len(self.loads)
        if len(x) == len(cols):
            for k, (l, d) in enumerate(cols):
                if x[k] > 0.5:
                    assign[l] = d
        # Fallback where the MIP gave nothing in time: nearest accepting destination with room.
        room = {d: (self.sites[d]["capacity"] if self.sites[d]["capacity"] is not None else 10**12) for d in self.dests}
        for l, d in enumerate(assign):
            if d is not None:
                room[d] -= self.loads[l]["people"]
        for l, d in enumerate(assign):
            if d is None:
                options = [d for d in self.dests if self.accepts(self.loads[l], d)]
                options.sort(key=lambda d: (room[d] < self.loads[l]["people"], self.leg(self.loads[l]["site"], d)))
                if options:
                    assign[l] = options[0]
                    room[options[0]] -= self.loads[l]["people"]
        return assign

    def transport_ortools(self, cols, seconds):
        """The same MIP with OR-Tools' own solver: highspy and ortools 9.15 cannot share a
        process (ortools bundles its own HiGHS and their symbols clash)."""
        from ortools.linear_solver import pywraplp
        s = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("CBC")
        s.SetTimeLimit(int(max(0.05, seconds) * 1000))
        s.SetNumThreads(1)
        xs = [s.BoolVar(f"x{k}") for k in range(len(cols))]
        by_load, by_dest = {}, {}
        for k, (l, d) in enumerate(cols):
            by_load.setdefault(l, []).append(k)
            by_dest.setdefault(d, []).append(k)
        for l in range(len(self.loads)):
            s.Add(sum(xs[k] for k in by_load.get(l, [])) == 1)
        for d, ks in by_dest.items():
            cap = self.sites[d]["capacity"]
            if cap is not None:
                s.Add(sum(self.loads[cols[k][0]]["people"] * xs[k] for k in ks) <= cap)
        s.Minimize(sum(self.loads[l]["people"] * self.leg(self.loads[l]["site"], d) * xs[k]
                       for k, (l, d) in enumerate(cols)))
        st = s.Solve()
        if st not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return []
        return [v.solution_value() for v in xs]

    def transport_highs(self, cols, seconds):
        import highspy
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", max(0.05, seconds))
        n = len(cols)
        h.addVars(n, np.zeros(n), np.ones(n))
        cost = np.array([self.loads[l]["people"] * self.leg(self.loads[l]["site"], d) for l, d in cols], dtype=float)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8))
        by_load = {}
        by_dest = {}
        for k, (l, d) in enumerate(cols):
            by_load.setdefault(l, []).append(k)
            by_dest.setdefault(d, []).append(k)
        for l in range(len(self.loads)):
            ks = by_load.get(l, [])
            h.addRow(1, 1, len(ks), np.array(ks, dtype=np.int32), np.ones(len(ks)))
        for d, ks in by_dest.items():
            cap = self.sites[d]["capacity"]
            if cap is not None:
                h.addRow(0, cap, len(ks), np.array(ks, dtype=np.int32),
                         np.array([float(self.loads[cols[k][0]]["people"]) for k in ks]))
        h.run()
        return list(h.getSolution().col_value)

    def makespan(self, routes):
        """The makespan these routes would have (the solver's view: no windows, no lanes)."""
        worst = 0
        for r in routes:
            v = self.vehicles[r["vehicle"]]
            t, at = v["from"], v["depot"]
            for trip in r["trips"]:
                people = 0
                for st in trip["stops"]:
                    t += self.travel(at, st["site"]) if at != st["site"] else 0
                    t = max(t, max(self.hh[i]["ready"] for i in st["households"]))
                    ty = self.types[v["type"]]
                    n = sum(self.hh[i]["people"] for i in st["households"])
                    t += ty["stop"] + ty["boarding"] * n
                    people += n
                    at = st["site"]
                t += self.leg(at, trip["destination"])
                t += self.types[v["type"]]["stop"] + self.types[v["type"]]["unloading"] * people
                at = trip["destination"]
                worst = max(worst, t)
        return worst

    def trips_from_sequences(self, seqs):
        """Each vehicle's visits -> trips. seqs: {vehicle: [("pickup", load) | ("deliver", site)]}.
        A Corridor trip unloads everyone at one destination, while a shipment model may carry loads
        for two destinations at once; so a trip ends at the first delivery block after its pickups,
        and unloads at the first destination of that block that accepts everyone on board and has
        room left (capacities are totals, so a ledger over all vehicles decides), else at the nearest
        other destination that does, else at the block's first destination (and the validator
        judges). The harness re-times everything, so the detour is paid for."""
        room = {d: (self.sites[d]["capacity"] if self.sites[d]["capacity"] is not None else 10**12)
                for d in self.dests}
        routes = []
        for k, seq in seqs.items():
            trips, board, i = [], [], 0
            seq = list(seq)
            if any(kind == "pickup" for kind, _ in seq[-1:]) or (
                    seq and max((n for n, (kind, _) in enumerate(seq) if kind == "pickup"), default=-1)
                    > max((n for n, (kind, _) in enumerate(seq) if kind == "deliver"), default=-1)):
                # Loads still on board when the route ends (a model whose last unload is its end
                # depot): they unload at the nearest destination with room.
                seq.append(("deliver", None))
            while i < len(seq):
                kind, x = seq[i]
                if kind == "pickup":
                    board.append(x)
                    i += 1
                    continue
                block = []
                while i < len(seq) and seq[i][0] == "deliver":
                    if seq[i][1] is not None:
                        block.append(seq[i][1])
                    i += 1
                if not board:
                    continue
                people = sum(self.loads[l]["people"] for l in board)
                last = self.loads[board[-1]]["site"]
                others = sorted((d for d in self.dests if d not in block), key=lambda d: self.leg(last, d))
                ok = [d for d in block + others
                      if room[d] >= people and all(self.accepts(self.loads[l], d) for l in board)]
                if not any(self.loads[l]["stretcher"] for l in board):
                    # Keep room at hospitals for the stretcher cases that can go nowhere else.
                    ok.sort(key=lambda d: self.sites[d]["accepts_stretcher"])
                dest = ok[0] if ok else (block or others)[0]
                room[dest] -= people
                stops = []
                for l in board:
                    load = self.loads[l]
                    if stops and stops[-1]["site"] == load["site"]:
                        stops[-1]["households"].extend(load["households"])
                    else:
                        stops.append({"site": load["site"], "households": list(load["households"])})
                trips.append({"stops": stops, "destination": dest})
                board = []
            if trips:
                routes.append({"vehicle": k, "trips": trips})
        return routes


# ---------------------------------------------------------------- OR-Tools

def solve_ortools(P, deadline, trace, t0):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    V = len(P.vehicles)
    nodes = []  # (kind, load or dest, site)
    unit = P.unit_loads()
    for l, load in enumerate(P.loads):
        nodes.append(("pickup", l, load["site"]))
    pairs = []
    if unit:
        # Shelter choice by the solver: one optional slot node per busload a shelter can take.
        q = P.loads[0]["people"] if P.loads else 1
        for d in P.dests:
            cap = P.sites[d]["capacity"]
            slots = len(P.loads) if cap is None else min(cap // q, len(P.loads))
            for _ in range(slots):
                nodes.append(("slot", d, d))
    else:
        assign = P.assign_destinations(min(0.1 * (deadline - time.monotonic()), 5))
        for l, d in enumerate(assign):
            pairs.append((l, len(nodes)))
            nodes.append(("deliver", l, d))
    first_vehicle_node = len(nodes)
    for v in P.vehicles:
        nodes.append(("start", None, v["depot"]))
    for v in P.vehicles:
        nodes.append(("end", None, v["return_depot"]))
    starts = [first_vehicle_node + k for k in range(V)]
    ends = [first_vehicle_node + V + k for k in range(V)]
    man = pywrapcp.RoutingIndexManager(len(nodes), V, starts, ends)
    routing = pywrapcp.RoutingModel(man)

    def service(n):
        kind, x, _ = nodes[n]
        if kind == "pickup":
            return P.loads[x]["board"]
        if kind == "deliver":
            return P.loads[x]["unload"]
        if kind == "slot":
            return P.loads[0]["unload"] if P.loads else 0
        return 0

    def leg(a, b):
        ka, _, sa = nodes[a]
        kb, _, sb = nodes[b]
        if kb == "end":
            return 0 if sb is None else P.travel(sa, sb)
        if ka == "end" or kb == "start":
            return BIG
        return 0 if sa == sb else P.leg(sa, sb)

    n = len(nodes)
    if n > 4000:
        return None, f"not modelled: {n} nodes is too many for the dense OR-Tools model"
    transit = [[service(a) + leg(a, b) for b in range(n)] for a in range(n)]

    # A matrix, not a Python callback: the search then runs at C++ speed.
    ti = routing.RegisterTransitMatrix(transit)
    routing.SetArcCostEvaluatorOfAllVehicles(ti)
    horizon = max(v["until"] for v in P.vehicles)
    routing.AddDimension(ti, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    tdim.SetGlobalSpanCostCoefficient(100)
    for k, v in enumerate(P.vehicles):
        tdim.CumulVar(routing.Start(k)).SetRange(v["from"], v["from"])
        tdim.CumulVar(routing.End(k)).SetMax(v["until"])
    for a in range(n):
        if nodes[a][0] == "pickup":
            idx = man.NodeToIndex(a)
            tdim.CumulVar(idx).SetMin(P.loads[nodes[a][1]]["ready"])
    # Forbidden moves stay forbidden.
    for a in range(n):
        if nodes[a][0] == "end":
            continue
        ia = man.NodeToIndex(a) if nodes[a][0] != "start" else None
        for b in range(n):
            if a != b and transit[a][b] >= BIG and nodes[b][0] not in ("start",):
                if nodes[a][0] == "start":
                    for k in range(V):
                        if starts[k] == a and nodes[b][0] != "end":
                            routing.NextVar(routing.Start(k)).RemoveValue(man.NodeToIndex(b))
                elif nodes[b][0] != "end":
                    routing.NextVar(ia).RemoveValue(man.NodeToIndex(b))
    if unit:
        di = routing.RegisterUnaryTransitVector(
            [1 if k == "pickup" else (-1 if k == "slot" else 0) for k, _, _ in nodes])
        routing.AddDimension(di, 0, 1, True, "load")
        ld = routing.GetDimensionOrDie("load")
        for k in range(V):
            ld.CumulVar(routing.End(k)).SetRange(0, 0)
        for a in range(n):
            if nodes[a][0] == "slot":
                routing.AddDisjunction([man.NodeToIndex(a)], 0)
    else:
        for name, key, capkey in (("seats", "seated", "seats"), ("stretchers", "stretcher", "stretchers")):
            di = routing.RegisterUnaryTransitVector(
                [P.loads[x][key] if k == "pickup" else (-P.loads[x][key] if k == "deliver" else 0)
                 for k, x, _ in nodes])
            routing.AddDimensionWithVehicleCapacity(
                di, 0, [P.types[v["type"]][capkey] for v in P.vehicles], True, name)
        for p, d in pairs:
            pi, de = man.NodeToIndex(p), man.NodeToIndex(d)
            routing.AddPickupAndDelivery(pi, de)
            routing.solver().Add(routing.VehicleVar(pi) == routing.VehicleVar(de))
            routing.solver().Add(tdim.CumulVar(pi) <= tdim.CumulVar(de))

    def on_solution():
        trace.append((time.monotonic() - t0, routing.CostVar().Max() / 100.0))

    routing.AddAtSolutionCallback(on_solution)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC if unit
        else routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    left = max(0.05, deadline - time.monotonic())
    params.time_limit.FromMilliseconds(int(left * 1000))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return None, "no solution found within the budget"
    seqs = {}
    for k in range(V):
        seq = []
        i = sol.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(i):
            kind, x, site = nodes[man.IndexToNode(i)]
            if kind == "pickup":
                seq.append(("pickup", x))
            else:
                seq.append(("deliver", site))
            i = sol.Value(routing.NextVar(i))
        seqs[k] = seq
    return P.trips_from_sequences(seqs), None


# ---------------------------------------------------------------- bisection

def bisect(P, solve_limited, deadline, trace, t0):
    """Pushes the makespan down: solve with a hard limit on every route (its duration, or its
    travel time), halve the interval between the last infeasible limit and the best feasible
    measure found, until the budget ends. `solve_limited(limit, until)` returns
    ((routes, measure), error); the best routes by makespan are kept."""
    (best, hi), err = solve_limited(None, deadline - (deadline - time.monotonic()) * 0.6)
    if best is None:
        return None, err
    trace.append((time.monotonic() - t0, P.makespan(best)))
    lo = 0
    while lo < hi - 1 and time.monotonic() < deadline - 0.02:
        mid = (lo + hi) // 2
        steps = max(1, int(np.ceil(np.log2(max(2, hi - lo)))))
        step_deadline = time.monotonic() + (deadline - time.monotonic()) / steps
        (r, measure), _ = solve_limited(mid, step_deadline)
        if r is not None and measure <= mid:
            hi = measure
            if P.makespan(r) <= P.makespan(best):
                best = r
                trace.append((time.monotonic() - t0, P.makespan(best)))
        else:
            lo = mid
    return best, None


# ---------------------------------------------------------------- VROOM

def solve_vroom(P, deadline, trace, t0):
    import datetime
    import vroom

    assign = P.assign_destinations(min(0.1 * (deadline - time.monotonic()), 5))
    n = len(P.sites)
    mat = np.array([[0 if a == b else min(P.leg(a, b), BIG) for b in range(n)] for a in range(n)], dtype=np.uint32)

    def solve(limit, until):
        left = until - time.monotonic()
        if left <= 0.01:
            return (None, None), "budget spent"
        inp = vroom.Input()
        inp.set_durations_matrix("car", mat)
        for k, v in enumerate(P.vehicles):
            ty = P.types[v["type"]]
            inp.add_vehicle(vroom.Vehicle(
                k, start=v["depot"], end=v["return_depot"],
                capacity=[ty["seats"], ty["stretchers"]],
                time_window=vroom.TimeWindow(v["from"], min(v["until"], 2**31 - 1)),
                max_travel_time=limit))
        for l, load in enumerate(P.loads):
            inp.add_shipment(
                vroom.ShipmentStep(2 * l, load["site"], default_service=load["board"],
                                   time_windows=[vroom.TimeWindow(load["ready"], 2**31 - 1)]),
                vroom.ShipmentStep(2 * l + 1, assign[l], default_service=load["unload"]),
                amount=vroom.Amount([load["seated"], load["stretcher"]]))
        # VROOM's construction ignores the timeout and grows fast with the exploration level:
        # full exploration on small instances, the cheapest on large ones.
        level = 5 if len(P.loads) <= 150 else 0
        sol = inp.solve(exploration_level=level, nb_threads=1, timeout=datetime.timedelta(seconds=left))
        df = sol.routes
        seqs = {}
        served = set()
        travel = 0
        for k, g in df.groupby("vehicle_id"):
            travel = max(travel, int(g["duration"].max()))
            seq = []
            for _, row in g.iterrows():
                if row["type"] == "pickup":
                    seq.append(("pickup", int(row["id"]) // 2))
                    served.add(int(row["id"]) // 2)
                elif row["type"] == "delivery":
                    seq.append(("deliver", assign[int(row["id"]) // 2]))
            seqs[int(k)] = seq
        routes = P.trips_from_sequences(seqs)
        if len(served) < len(P.loads):
            return (None, None), f"{len(P.loads) - len(served)} shipments left unassigned"
        return (routes, travel), None

    return bisect(P, solve, deadline, trace, t0)


# ---------------------------------------------------------------- PyVRP

def solve_pyvrp(P, deadline, trace, t0):
    import pyvrp
    from pyvrp.stop import MaxRuntime

    if not P.unit_loads():
        return solve_pyvrp_reload(P, deadline, trace, t0)
    assign = P.assign_destinations(min(0.1 * (deadline - time.monotonic()), 5))
    # One client per busload trip (its pickup site -> its LP-assigned shelter); the trip's
    # own duration is the client's service; arcs are shelter -> next pickup site.
    yards = sorted({v["depot"] for v in P.vehicles})

    def build(limit):
        m = pyvrp.Model()
        deps = {y: m.add_location(x=0, y=0) for y in yards}
        depots = {y: m.add_depot(deps[y], name=f"yard{y}") for y in yards}
        sink = m.add_location(x=0, y=0)
        sink_depot = m.add_depot(sink, name="end")
        clients = []
        for l, load in enumerate(P.loads):
            loc = m.add_location(x=0, y=0)
            clients.append(loc)
            m.add_client(loc, service_duration=P.leg(load["site"], assign[l]),
                                        tw_early=load["ready"], name=f"l{l}")
        for y in yards:
            count = sum(1 for v in P.vehicles if v["depot"] == y)
            until = max(v["until"] for v in P.vehicles if v["depot"] == y)
            m.add_vehicle_type(num_available=count, start_depot=depots[y], end_depot=sink_depot,
                               tw_late=until, shift_duration=limit if limit is not None else until,
                               unit_distance_cost=1, unit_duration_cost=0, name=f"yard{y}")
            for l, c in enumerate(clients):
                t = P.travel(y, P.loads[l]["site"])
                m.add_edge(deps[y], c, distance=t, duration=t)
            m.add_edge(deps[y], sink, distance=0, duration=0)
        for a, ca in enumerate(clients):
            m.add_edge(ca, sink, distance=0, duration=0)
            for b, cb in enumerate(clients):
                if a != b:
                    t = P.travel(assign[a], P.loads[b]["site"])
                    m.add_edge(ca, cb, distance=t, duration=t)
        return m

    def solve(limit, until):
        left = until - time.monotonic()
        if left <= 0.01:
            return (None, None), "budget spent"
        m = build(limit)
        res = m.solve(stop=MaxRuntime(left), display=False, collect_stats=False)
        if not res.is_feasible():
            return (None, None), "no feasible solution within the limit"
        routes = []
        vt_vehicles = {}
        for y in yards:
            vt_vehicles[y] = [k for k, v in enumerate(P.vehicles) if v["depot"] == y]
        used = {y: 0 for y in yards}
        for r in res.best.routes():
            y = yards[r.vehicle_type()]
            k = vt_vehicles[y][used[y]]
            used[y] += 1
            trips = []
            for act in r:
                if not act.is_client():
                    continue
                l = act.idx
                load = P.loads[l]
                trips.append({"stops": [{"site": load["site"], "households": list(load["households"])}],
                              "destination": assign[l]})
            if trips:
                routes.append({"vehicle": k, "trips": trips})
        return (routes, P.makespan(routes)), None

    return bisect(P, solve, deadline, trace, t0)


def solve_pyvrp_reload(P, deadline, trace, t0):
    """The general model: loads are clients with a pickup amount (seats, stretchers); every
    destination is a reload depot where the vehicle unloads and starts its next trip; the route
    ends at a sink whose distance from a client is its nearest destination (plus the return leg).
    PyVRP chooses the destinations; capacities and which destination accepts stretcher cases
    are not expressible and are left to the conversion's ledger and the validator."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    n = len(P.sites)
    groups = {}
    for k, v in enumerate(P.vehicles):
        groups.setdefault((v["depot"], v["type"], v["return_depot"], v["from"], v["until"]), []).append(k)
    keys = list(groups)
    ty_unload = max((t["stop"] + t["unloading"] * t["seats"] for t in P.types), default=0)

    def build(limit):
        m = pyvrp.Model()
        locs = [m.add_location(x=0, y=0) for _ in range(n)]
        sinks = {}
        starts = {}
        for key in keys:
            dep = key[0]
            if dep not in starts:
                starts[dep] = m.add_depot(locs[dep], name=f"start{dep}")
        reload = [m.add_depot(locs[d], service_duration=ty_unload // 2, name=f"dest{d}") for d in P.dests]
        for key in keys:
            ret = key[2]
            if ret not in sinks:
                loc = m.add_location(x=0, y=0)
                sinks[ret] = (loc, m.add_depot(loc, name=f"sink{ret}"))
        for l, load in enumerate(P.loads):
            m.add_client(locs[load["site"]], pickup=[load["seated"], load["stretcher"]],
                         service_duration=load["board"], tw_early=load["ready"], name=f"l{l}")
        for key in keys:
            dep, ty, ret, frm, until = key
            t = P.types[ty]
            m.add_vehicle_type(num_available=len(groups[key]), capacity=[t["seats"], t["stretchers"]],
                               start_depot=starts[dep], end_depot=sinks[ret][1], reload_depots=reload,
                               tw_early=frm, tw_late=min(until, 2**62),
                               shift_duration=limit if limit is not None else min(until, 2**62),
                               name=f"g{keys.index(key)}")
        for a in range(n):
            for b in range(n):
                if a != b:
                    t = P.leg(a, b)
                    m.add_edge(locs[a], locs[b], distance=t, duration=t)
        for ret, (loc, _) in sinks.items():
            for a in range(n):
                if P.sites[a]["kind"] in ("pickup",):
                    t = min(P.leg(a, d) + (0 if ret is None else P.travel(d, ret)) for d in P.dests)
                elif P.sites[a]["kind"] == "destination":
                    t = 0 if ret is None else P.travel(a, ret)
                else:
                    t = 0 if ret is None or ret == a else P.travel(a, ret)
                m.add_edge(locs[a], loc, distance=t, duration=t)
        return m

    def solve(limit, until):
        left = until - time.monotonic()
        if left <= 0.01:
            return (None, None), "budget spent"
        m = build(limit)
        res = m.solve(stop=MaxRuntime(max(0.01, until - time.monotonic())), display=False, collect_stats=False)
        if not res.is_feasible():
            return (None, None), "no feasible solution within the limit"
        seqs = {}
        used = {key: 0 for key in keys}
        longest = 0
        for r in res.best.routes():
            key = keys[r.vehicle_type()]
            k = groups[key][used[key]]
            used[key] += 1
            longest = max(longest, r.duration())
            seq = []
            for act in r:
                if act.is_client():
                    seq.append(("pickup", act.idx))
                elif act.is_depot() and act.idx >= len({kk[0] for kk in keys}) \
                        and act.idx < len({kk[0] for kk in keys}) + len(P.dests):
                    seq.append(("deliver", P.dests[act.idx - len({kk[0] for kk in keys})]))
            seqs[k] = seq
        return (P.trips_from_sequences(seqs), longest), None

    return bisect(P, solve, deadline, trace, t0)


SOLVERS = {"ortools": solve_ortools, "pyvrp": solve_pyvrp, "vroom": solve_vroom}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--solver", required=True, choices=sorted(SOLVERS))
    ap.add_argument("--budget", type=float, required=True)
    ap.add_argument("instance")
    ap.add_argument("answer")
    a = ap.parse_args()
    # The solver's own modules are loaded before the clock starts (as Corridor's code is).
    if a.solver != "ortools":
        import highspy  # noqa: F401
    __import__({"ortools": "ortools.constraint_solver.pywrapcp", "pyvrp": "pyvrp", "vroom": "vroom"}[a.solver])
    with open(a.instance) as f:
        inst = json.load(f)
    t0 = time.monotonic()
    deadline = t0 + a.budget
    trace = []
    try:
        P = Problem(inst, mip="ortools" if a.solver == "ortools" else "highs")
        routes, err = SOLVERS[a.solver](P, deadline, trace, t0)
    except Exception as e:  # reported as a failed run with the reason, never hidden
        routes, err = None, f"error: {type(e).__name__}: {e}"
    out = {"elapsed": time.monotonic() - t0, "trace": trace}
    if routes is None:
        out["error"] = err
    else:
        out["routes"] = routes
        if not trace or trace[-1][1] != P.makespan(routes):
            trace.append((time.monotonic() - t0, P.makespan(routes)))
    with open(a.answer, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    sys.exit(main())
