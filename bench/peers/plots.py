"""Draws the benchmark's plots from results.csv and traces.csv in DIR (written by
`cargo xtask bench`): the performance profile, the ratio to the reference per
instance, and time-to-quality curves. usage: plots.py DIR"""

import csv
import math
import os
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"corridor": "#1b7837", "ortools": "#2166ac", "pyvrp": "#b2182b", "vroom": "#e08214"}


def main(out):
    rows = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    instances = list(dict.fromkeys(r["instance"] for r in rows))
    score = {}
    ref = {}
    for r in rows:
        if r["status"] == "valid" and r["makespan"]:
            score[(r["instance"], r["solver"])] = int(r["makespan"])
        if r["optimum"]:
            ref[r["instance"]] = int(r["optimum"])
    for i in instances:
        if i not in ref:
            vals = [score[(i, s)] for s in solvers if (i, s) in score]
            if vals:
                ref[i] = min(vals)
    reference = "optimum" if all(r["optimum"] for r in rows) else "best of the run"

    # Performance profile.
    fig, ax = plt.subplots(figsize=(6, 4))
    taus = [1 + k / 1000 for k in range(0, 501)]
    for s in solvers:
        ys = [sum(1 for i in instances if (i, s) in score and i in ref and score[(i, s)] <= t * ref[i] + 1e-9)
              / len(instances) for t in taus]
        ax.step(taus, ys, where="post", label=s, color=COLOURS.get(s))
    ax.set_xlabel(f"τ (makespan within τ × {reference})")
    ax.set_ylabel("share of instances")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right")
    ax.set_title("Performance profile (valid plans only)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "profile.svg"))

    # Ratio per instance.
    fig, ax = plt.subplots(figsize=(max(6, len(instances) * 0.08), 4))
    for k, s in enumerate(solvers):
        xs, ys = [], []
        for n, i in enumerate(instances):
            if (i, s) in score and i in ref:
                xs.append(n + (k - len(solvers) / 2) * 0.1)
                ys.append(score[(i, s)] / ref[i])
        ax.scatter(xs, ys, s=8, label=s, color=COLOURS.get(s))
    ax.set_xlabel("instance (in suite order)")
    ax.set_ylabel(f"makespan / {reference}")
    ax.legend(loc="upper left")
    ax.set_title("Ratio to the reference per instance (missing = no valid plan)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "ratios.svg"))

    # Time to quality: geometric mean over instances of (best makespan so far / reference).
    traces = list(csv.DictReader(open(os.path.join(out, "traces.csv"))))
    if traces:
        budget = max(float(r["budget_s"]) for r in rows)
        grid = [budget * k / 100 for k in range(1, 101)]
        fig, ax = plt.subplots(figsize=(6, 4))
        for s in solvers:
            per = {}
            for t in traces:
                if t["solver"] == s:
                    per.setdefault(t["instance"], []).append((float(t["seconds"]), int(t["makespan"])))
            # Only instances whose final plan is valid: a peer's trace is its own estimate.
            per = {i: v for i, v in per.items() if (i, s) in score and i in ref}
            if not per:
                continue
            ys = []
            for g in grid:
                vals = []
                for i, v in per.items():
                    seen = [m for (t, m) in v if t <= g]
                    vals.append(min(seen) / ref[i] if seen else None)
                known = [x for x in vals if x is not None]
                ys.append(math.exp(sum(math.log(x) for x in known) / len(known))
                          if len(known) == len(vals) else float("nan"))
            ax.plot(grid, ys, label=s, color=COLOURS.get(s))
        ax.set_xlabel("seconds")
        ax.set_ylabel(f"geometric mean of makespan / {reference}")
        ax.legend()
        ax.set_title("Time to quality (where every instance has a plan)")
        fig.tight_layout()
        fig.savefig(os.path.join(out, "time-to-quality.svg"))


if __name__ == "__main__":
    main(sys.argv[1])
