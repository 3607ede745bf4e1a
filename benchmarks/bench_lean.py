"""Per-run cost of the lean run path (sweeps, calibration) against the full one (DataCollector).

Three ways to do the same run, in this process, interleaved run by run (so a machine getting
busier favours none), ``--runs`` seeds each:

* ``full``: ``escalation_sim.run(..., events=False)``, what a sweep ran before the lean path:
  Mesa's DataCollector each week, then the weekly table and the outcomes from it;
* ``lean_weekly``: ``run_lean(..., weekly=True)``: weekly outcomes into a preallocated array,
  outcomes from the arrays, the arrays returned (what a sweep storing weekly rows does per run;
  the table is built once per batch);
* ``lean``: ``run_lean(...)``: outcomes only (``weekly = false``, calibration).

Also ``model_alone``: the lean model built and stepped, and nothing else (its recorder's few
microseconds a week included), so that the overhead of each way, per run, is its time less
this. Both scenarios: the default
two-year run and the 2013-2019 hindcast (365 weeks). Every way gives the same outcomes
(checked). Medians.

    python benchmarks/bench_lean.py [OUT.json] [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchlib import emit, load_average

from escalation_sim import EscalationModel, run, run_lean


def model_alone(scenario: str, seed: int) -> None:
    model = EscalationModel(scenario, rng=seed, lean=True)
    model.run_for(model.spec.meta.weeks)


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, help="write the figures here as JSON")
    ap.add_argument("--runs", type=int, default=20, help="seeds per way and scenario")
    args = ap.parse_args()
    load = load_average()
    ways = {
        "full": lambda sc, s: run(sc, seed=s, events=False).outcomes,
        "lean_weekly": lambda sc, s: run_lean(sc, seed=s, weekly=True).outcomes,
        "lean": lambda sc, s: run_lean(sc, seed=s).outcomes,
        "model_alone": model_alone,
    }
    result: dict = {"runs": args.runs, "load_average_before": load, "scenarios": {}}
    for scenario in ("iraq_syria_2024", "hindcast_2013"):
        for fn in ways.values():  # warm: imports, caches, the scenario's parse
            fn(scenario, 0)
        times: dict[str, list[float]] = {k: [] for k in ways}
        identical = True
        for seed in range(args.runs):
            got = {}
            for name, fn in ways.items():
                t = time.perf_counter()
                got[name] = fn(scenario, seed)
                times[name].append(time.perf_counter() - t)
            identical &= got["full"] == got["lean"] == got["lean_weekly"]
        med = {k: statistics.median(v) for k, v in times.items()}
        base = med["model_alone"]
        result["scenarios"][scenario] = {
            "ms_per_run": {k: 1000 * v for k, v in med.items()},
            "overhead_ms_per_run": {k: 1000 * (v - base) for k, v in med.items()},
            "ratio_full_over_lean": med["full"] / med["lean"],
            "ratio_full_over_lean_weekly": med["full"] / med["lean_weekly"],
            "identical_outcomes": identical,
        }
    return emit(result, args.out)


if __name__ == "__main__":
    main()
