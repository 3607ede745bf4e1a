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

Whole runs differ by a few per cent only, less than the noise of a busy machine, so the
recording itself is also timed alone (``recording_ms_per_run``), on a model that has run: what
the full path does per run besides stepping (a DataCollector's ``collect`` for each of the
weeks + 1 rows, the weekly table, ``run_outcomes`` from it) against the lean path's (the
recorder's ``record`` for each row, ``columns()``, ``outcomes_from_columns``), ``--micro``
times each, medians.

    python benchmarks/bench_lean.py [OUT.json] [--runs 20]
"""

from __future__ import annotations

import statistics
import time

from benchlib import arguments, emit, load_average

from escalation_sim import EscalationModel, run, run_lean
from escalation_sim.outcomes import (
    WEEKLY_OUTCOMES,
    WeeklyRecorder,
    outcomes_from_columns,
    run_outcomes,
)


def model_alone(scenario: str, seed: int) -> None:
    model = EscalationModel(scenario, rng=seed, lean=True)
    model.run_for(model.spec.meta.weeks)


def recording(scenario: str, repeats: int) -> dict:
    """Milliseconds per run of each path's recording alone (module docstring)."""
    from mesa import DataCollector

    model = EscalationModel(scenario, rng=0)
    model.run_for(model.spec.meta.weeks)
    rows = model.spec.meta.weeks + 1

    def full() -> dict:
        reporters = {k: (lambda m, k=k: m.now[k]) for k in WEEKLY_OUTCOMES}
        model.datacollector = DataCollector(model_reporters=reporters)
        for _ in range(rows):
            model.datacollector.collect(model)
        return run_outcomes(model.timeseries(), model.p)

    def lean() -> dict:
        recorder = WeeklyRecorder(rows)
        for _ in range(rows):
            recorder.record(model.now)
        return outcomes_from_columns(recorder.columns(), model.p)

    times: dict[str, list[float]] = {"full": [], "lean": []}
    for _ in range(repeats):
        for name, fn in (("full", full), ("lean", lean)):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    assert full() == lean()
    med = {k: 1000 * statistics.median(v) for k, v in times.items()}
    return {"rows": rows, **med, "ratio_full_over_lean": med["full"] / med["lean"]}


def main() -> dict:
    ap = arguments(__doc__)
    ap.add_argument("--runs", type=int, default=20, help="seeds per way and scenario")
    ap.add_argument("--micro", type=int, default=50, help="repeats of the recording alone")
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
            "recording_ms_per_run": recording(scenario, args.micro),
        }
    return emit(result, args.out)


if __name__ == "__main__":
    main()
