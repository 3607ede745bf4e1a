"""Sweep throughput: this project's runner (lean path) against EMA Workbench's evaluators.

The same model, design and seeds on both sides: ``bench_sweep.py``'s 3 x 3 grid of
``border_hardening`` x ``syria_collapse``, ``--seeds`` seeds per point (common random numbers,
the runner's derived seeds), ``--weeks`` weeks. Sides, each in a fresh interpreter:

* ``runner_1`` / ``runner_2``: ``run_sweep`` on 1 worker (in process) and 2 worker processes,
  with ``weekly = false`` (run-level outcomes into ``runs/``, what EMA returns) and, as
  ``runner_weekly_2``, storing every weekly row too;
* ``ema_sequential`` / ``ema_multiprocessing``: EMA Workbench's ``SequentialEvaluator`` and
  ``MultiprocessingEvaluator(n_processes=2)`` over the same 9 x seeds points (``Sample``s with
  the two levers and the seed), the model function being what an EMA user writes:
  ``escalation_sim.run(...)``'s outcomes as ``ScalarOutcome``s (all 19; "never" as NaN);
* ``ema_multiprocessing_lean``: the same with ``run_lean`` as the model function, which leaves
  only the evaluators' own overhead between the two.

ABBA order over the sides, ``--repeats`` rounds, medians. Two timings: the sweep alone (timed
inside the child: ``run_sweep`` or ``perform_experiments``, the worker pools' start included)
and the whole command. Ratios are runner runs per second over EMA's, on the same number of
processes, measured in the same run; above 1 favours the runner. ``cpu_ratio_*``: the same
with CPU seconds of the whole process tree (EMA's over the runner's, imports included), which
other work on the machine disturbs less than wall time. Outcomes are compared run by
run (``identical_outcomes``). EMA Workbench is a dev/bench dependency only.

    python benchmarks/bench_ema.py [OUT.json] [--seeds 12] [--weeks 104] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_sweep import CONFIG, LEVELS, ROOT
from benchlib import arguments, emit

SIDES = (
    "runner_1",
    "ema_sequential",
    "runner_2",
    "ema_multiprocessing",
    "ema_multiprocessing_lean",
    "runner_weekly_2",
)
KEY = ["border_hardening", "syria_collapse", "seed"]


# ---------------------------------------------------------------------------------------------
# EMA's model functions (module level, so that its worker processes can unpickle them)


def ema_model(
    border_hardening: float = 0.0, syria_collapse: float = 0.0, seed: int = 0, weeks: int = 104
) -> dict:
    """One run through ``escalation_sim.run``, its outcomes as numbers (None: NaN)."""
    from escalation_sim import run

    levers = {"border_hardening": border_hardening, "syria_collapse": syria_collapse}
    result = run(overrides=levers, seed=int(seed), weeks=int(weeks), events=False)
    return _numbers(result.outcomes)


def ema_model_lean(
    border_hardening: float = 0.0, syria_collapse: float = 0.0, seed: int = 0, weeks: int = 104
) -> dict:
    """The same run through ``run_lean``."""
    from escalation_sim import run_lean

    levers = {"border_hardening": border_hardening, "syria_collapse": syria_collapse}
    return _numbers(run_lean(overrides=levers, seed=int(seed), weeks=int(weeks)).outcomes)


def _numbers(outcomes: dict) -> dict:
    return {k: math.nan if v is None else float(v) for k, v in outcomes.items()}


# ---------------------------------------------------------------------------------------------
# the sides (each runs in its own interpreter)


def child(side: str, workdir: Path, seeds: int, weeks: int) -> None:
    import pandas as pd

    from escalation_sim.experiments.config import derive_seeds

    if side.startswith("runner"):
        from escalation_sim.experiments import run_sweep
        from escalation_sim.experiments.config import parse_config

        text = CONFIG.format(weeks=weeks, root=ROOT, seeds=seeds, levels=LEVELS)
        if side != "runner_weekly_2":
            text = text.replace(f"weeks = {weeks}\n", f"weeks = {weeks}\nweekly = false\n", 1)
        start = time.perf_counter()
        results = run_sweep(
            parse_config(text), workdir / "out", workers=int(side[-1]), progress=False
        )
        seconds = time.perf_counter() - start
        runs = results.runs
    else:
        from ema_workbench import (
            Constant,
            IntegerParameter,
            Model,
            MultiprocessingEvaluator,
            RealParameter,
            Sample,
            ScalarOutcome,
            SequentialEvaluator,
        )

        from escalation_sim import RUN_OUTCOMES

        fn = ema_model_lean if side.endswith("lean") else ema_model
        model = Model("escalation", function=fn)
        model.uncertainties = [
            RealParameter("border_hardening", 0.0, 1.0),
            RealParameter("syria_collapse", 0.0, 1.0),
            IntegerParameter("seed", 0, 2**63 - 1),
        ]
        model.constants = [Constant("weeks", weeks)]
        model.outcomes = [ScalarOutcome(name) for name in RUN_OUTCOMES]
        points = [
            Sample(border_hardening=b, syria_collapse=c, seed=s)
            for b in LEVELS
            for c in LEVELS
            for s in derive_seeds(ROOT, seeds)
        ]
        start = time.perf_counter()  # the evaluator's pool start counts, as the runner's does
        if side == "ema_sequential":
            with SequentialEvaluator(model) as evaluator:
                experiments, outcomes = evaluator.perform_experiments(scenarios=points)
        else:
            with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
                experiments, outcomes = evaluator.perform_experiments(scenarios=points)
        seconds = time.perf_counter() - start
        runs = pd.concat([experiments[KEY].reset_index(drop=True), pd.DataFrame(outcomes)], axis=1)
    compared = [*KEY, "isis_attacks_iraq_total", "infiltrations_total", "isis_fighters_iraq_peak"]
    runs[compared].to_csv(workdir / "outcomes.csv", index=False)
    (workdir / "timing.json").write_text(json.dumps({"sweep_seconds": seconds}))


# ---------------------------------------------------------------------------------------------
# the driver


def measure(side: str, workdir: Path, seeds: int, weeks: int) -> dict:
    from benchlib import measure as measure_tree

    workdir.mkdir(parents=True)
    cmd = [sys.executable, __file__, "--child", side, "--workdir", str(workdir)]
    cmd += ["--seeds", str(seeds), "--weeks", str(weeks)]
    tree = measure_tree(cmd)
    return {**tree, **json.loads((workdir / "timing.json").read_text())}


def same_outcomes(dirs: list[Path]) -> bool:
    import pandas as pd

    frames = [
        pd.read_csv(d / "outcomes.csv").astype(float).sort_values(KEY).reset_index(drop=True)
        for d in dirs
    ]
    return all(f.equals(frames[0]) for f in frames[1:])


def main() -> dict:
    ap = arguments(__doc__)
    ap.add_argument("--seeds", type=int, default=12, help="seeds per point (9 points)")
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--repeats", type=int, default=1, help="ABBA rounds (medians)")
    ap.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.workdir, args.seeds, args.weeks)
        return {}
    runs = len(LEVELS) ** 2 * args.seeds
    measured: dict[str, list[dict]] = {s: [] for s in SIDES}
    order = (list(SIDES) + list(SIDES[::-1])) * args.repeats
    with tempfile.TemporaryDirectory(prefix="bench-ema-") as tmp:
        work = Path(tmp)
        first: dict[str, Path] = {}
        for i, side in enumerate(order):
            d = work / f"{i}-{side}"
            first.setdefault(side, d)
            measured[side].append(measure(side, d, args.seeds, args.weeks))
        identical = same_outcomes([first[s] for s in SIDES])
    sides = {}
    for side, ms in measured.items():
        med = {k: statistics.median(m[k] for m in ms) for k in ms[0]}
        med["runs_per_second"] = runs / med["sweep_seconds"]
        med["runs_per_second_whole_command"] = runs / med["seconds"]
        sides[side] = med

    def ratio(ours: str, theirs: str, key: str = "runs_per_second") -> float:
        return sides[ours][key] / sides[theirs][key]

    def cpu_ratio(ours: str, theirs: str) -> float:  # runs per CPU second, theirs / ours
        return sides[theirs]["cpu_seconds"] / sides[ours]["cpu_seconds"]

    result = {
        "design": f"3 x 3 grid (border_hardening x syria_collapse) x {args.seeds} seeds",
        "runs": runs,
        "weeks": args.weeks,
        "repeats": args.repeats,
        "identical_outcomes": identical,
        "sides": sides,
        "ratio_runner_over_ema_sequential": ratio("runner_1", "ema_sequential"),
        "ratio_runner_over_ema_multiprocessing": ratio("runner_2", "ema_multiprocessing"),
        "ratio_runner_over_ema_multiprocessing_lean": ratio("runner_2", "ema_multiprocessing_lean"),
        "ratio_runner_weekly_over_ema_multiprocessing": ratio(
            "runner_weekly_2", "ema_multiprocessing"
        ),
        "cpu_ratio_runner_over_ema_sequential": cpu_ratio("runner_1", "ema_sequential"),
        "cpu_ratio_runner_over_ema_multiprocessing": cpu_ratio("runner_2", "ema_multiprocessing"),
        "ratio_whole_command_runner_over_ema_sequential": ratio(
            "runner_1", "ema_sequential", "runs_per_second_whole_command"
        ),
        "ratio_whole_command_runner_over_ema_multiprocessing": ratio(
            "runner_2", "ema_multiprocessing", "runs_per_second_whole_command"
        ),
    }
    return emit(result, args.out)


if __name__ == "__main__":
    main()
