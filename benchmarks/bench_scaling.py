"""Scaling: time per step of a synthetic theatre at 1x, 10x and 100x the regions and agents.

The synthetic scenario is the default theatre replicated k times and joined by roads
(``escalation_sim.scenario.synthetic.replicate``): k times the regions, border segments, forces
and ISIS cells, the same actors and parameters. For each k the model is built, then stepped
``--weeks`` weeks, ``--repeats`` times with different seeds (the sizes interleaved); the figure
is the median time per step. The fitted exponent b of ``time per step = a k^b`` (least squares
on log-log over the sizes) says how cost grows: 1 is linear, 2 quadratic. Because a small
theatre pays a fixed cost per step (recording outcomes, Mesa's own bookkeeping) that a large one
spreads over more agents, the slope between the two largest sizes is reported too: it is the
honest figure for large theatres. The same fit against the number of agents alive is given as well.

    python benchmarks/bench_scaling.py [OUT.json] [--sizes 1 10 100] [--weeks 26] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from benchlib import emit, step_through

from escalation_sim import EscalationModel
from escalation_sim.scenario import load_scenario
from escalation_sim.scenario.synthetic import replicate


def measure(copies: int, weeks: int, seed: int) -> dict:
    scenario = replicate(load_scenario(), copies)
    start = time.perf_counter()
    model = EscalationModel(scenario, rng=seed)
    build = time.perf_counter() - start
    seconds, agent_steps = step_through(model, weeks)
    return {
        "regions": model.world.n,
        "build_seconds": build,
        "seconds_per_step": seconds / weeks,
        "agents_mean": agent_steps / weeks,
    }


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) on log(x)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.mean(lx), statistics.mean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, help="write the figures here as JSON")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--weeks", type=int, default=26, help="steps timed per run")
    ap.add_argument("--repeats", type=int, default=3, help="runs per size (median)")
    args = ap.parse_args()
    measure(1, 2, 0)  # warm up
    # Sizes interleaved within each repeat, so a machine getting busier favours none of them.
    by_size: dict[int, list[dict]] = {k: [] for k in args.sizes}
    for seed in range(args.repeats):
        for k in args.sizes:
            by_size[k].append(measure(k, args.weeks, seed))
    rows = []
    for k, runs in by_size.items():
        step = statistics.median(r["seconds_per_step"] for r in runs)
        agents = statistics.median(r["agents_mean"] for r in runs)
        rows.append(
            {
                "copies": k,
                "regions": runs[0]["regions"],
                "agents_mean": agents,
                "build_seconds": statistics.median(r["build_seconds"] for r in runs),
                "ms_per_step": 1000 * step,
                "us_per_agent_step": 1e6 * step / agents,
            }
        )
    ks = [r["copies"] for r in rows]
    steps = [r["ms_per_step"] for r in rows]
    agents = [r["agents_mean"] for r in rows]
    result = {
        "scenario": "iraq_syria_2024 replicated k times (scenario.synthetic.replicate)",
        "weeks": args.weeks,
        "repeats": args.repeats,
        "sizes": rows,
        "exponent_fit": slope(ks, steps),
        "exponent_largest_two": slope(ks[-2:], steps[-2:]),
        "exponent_fit_vs_agents": slope(agents, steps),
        "build_exponent_fit": slope(ks, [r["build_seconds"] for r in rows]),
    }
    return emit(result, args.out)


if __name__ == "__main__":
    main()
