"""Sweep throughput and memory: this project's runner against Mesa's ``batch_run``.

Both run the same design on the same model with the same seeds on 2 processes, and produce the
same information: every run's weekly outcomes and its run-level outcomes. ``batch_run`` is given
the seeds as ``rng=[...]`` (it passes seed i to every parameter combination, which is what the
runner's common random numbers do) and ``data_collection_period=1``; its list of dicts is then
turned into the same two tables and written to Parquet, as a user would. The runner streams to
its Parquet store. ``identical_outcomes`` checks that both produced the same outcomes run by run.

Each side runs in a fresh interpreter, ``--repeats`` times in ABBA order (medians reported); this
process samples that interpreter and all its children every 0.1 s (psutil): peak RSS summed over
the tree, peak PSS (RSS with shared pages split between the processes sharing them: the fair sum
when workers are forked from a common parent, as the runner's are), and CPU seconds. Ratios are
runner / batch_run: throughput above 1 and memory below 1 favour the runner.

``batch_run_results_in_memory_mb`` is how much batch_run's parent grew while it collected the
rows it returns: memory that grows with runs x weeks, where the runner holds at most one chunk
(``--chunk-runs``, 500 runs or 15 s of results) whatever the number of runs.

Both sides spend nearly all their time inside the model's weekly step, so neither can be much
faster than the other on the same cores; what separates them is start-up, per-run overhead, and
memory: batch_run keeps every row in the parent until the end, the runner keeps at most one chunk.

    python benchmarks/bench_sweep.py [OUT.json] [--seeds 30] [--weeks 104] [--repeats 2]

Absolute times depend on the machine and on what else runs on it. ``batch_run`` appears only here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchlib import emit

LEVELS = [0.0, 0.5, 1.0]
ROOT = 20241208
CONFIG = """
name = "bench"
weeks = {weeks}
[seeds]
root = {root}
per_point = {seeds}
common = true
[design]
sampler = "grid"
[design.parameters]
border_hardening = {{ values = {levels} }}
syria_collapse = {{ values = {levels} }}
[baseline]
border_hardening = 0.0
syria_collapse = 0.0
"""


# ---------------------------------------------------------------------------------------------
# the two sides (each runs in its own interpreter)


def child_runner(workdir: Path, seeds: int, weeks: int, workers: int) -> None:
    from escalation_sim.experiments import run_sweep
    from escalation_sim.experiments.config import parse_config

    cfg = parse_config(CONFIG.format(weeks=weeks, root=ROOT, seeds=seeds, levels=LEVELS))
    run_sweep(cfg, workdir / "runner", workers=workers, progress=False)


def child_batch_run(workdir: Path, seeds: int, weeks: int, workers: int) -> None:
    import pandas as pd
    import psutil
    from mesa.batchrunner import batch_run

    from escalation_sim import EscalationModel
    from escalation_sim.experiments.config import derive_seeds
    from escalation_sim.outcomes import WEEKLY_OUTCOMES, run_outcomes
    from escalation_sim.scenario import load_scenario

    before = psutil.Process().memory_info().rss
    rows = batch_run(
        EscalationModel,
        parameters={"border_hardening": LEVELS, "syria_collapse": LEVELS},
        number_processes=workers,
        rng=derive_seeds(ROOT, seeds),
        max_steps=weeks,
        data_collection_period=1,
        display_progress=False,
    )
    held = psutil.Process().memory_info().rss - before  # the rows batch_run hands back
    ts = pd.DataFrame(rows).rename(columns={"Step": "week", "rng": "seed"})
    ts = ts[["RunId", "border_hardening", "syria_collapse", "seed", "week", *WEEKLY_OUTCOMES]]
    params = {k: v.value for k, v in load_scenario().parameters.items()}
    runs = [
        {
            "border_hardening": g["border_hardening"].iloc[0],
            "syria_collapse": g["syria_collapse"].iloc[0],
            "seed": g["seed"].iloc[0],
            **run_outcomes(g.sort_values("week"), params),
        }
        for _, g in ts.groupby("RunId")
    ]
    out = workdir / "batch_run"
    out.mkdir(parents=True)
    pd.DataFrame(runs).to_parquet(out / "runs.parquet", index=False)
    ts.to_parquet(out / "timeseries.parquet", index=False)
    (out / "memory.json").write_text(json.dumps({"results_mb": held / 2**20}))


# ---------------------------------------------------------------------------------------------
# the driver


def measure(side: str, workdir: Path, seeds: int, weeks: int, workers: int) -> dict:
    """Run one side in a fresh interpreter; sample its process tree's memory and CPU time."""
    from benchlib import measure as measure_tree

    cmd = [sys.executable, __file__, "--child", side, "--workdir", str(workdir)]
    cmd += ["--seeds", str(seeds), "--weeks", str(weeks), "--workers", str(workers)]
    return measure_tree(cmd)


def same_outcomes(runner_dir: Path, batch_run_dir: Path) -> bool:
    """True when both sides produced the same run-level outcomes for every (point, seed)."""
    import pandas as pd

    ours = pd.read_parquet(runner_dir / "runs")
    theirs = pd.read_parquet(batch_run_dir / "runs.parquet")
    key = ["border_hardening", "syria_collapse", "seed"]
    cols = ["isis_resurgence", "isis_attacks_iraq_total", "infiltrations_total"]
    merged = ours.merge(theirs, on=key, suffixes=("_ours", "_theirs"))
    return len(merged) == len(ours) == len(theirs) and all(
        (merged[f"{c}_ours"] == merged[f"{c}_theirs"]).all() for c in cols
    )


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, help="write the figures here as JSON")
    ap.add_argument("--seeds", type=int, default=30, help="seeds per point (9 points)")
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2, help="measurements per side (median)")
    ap.add_argument("--child", choices=["runner", "batch_run"], help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        fn = child_runner if args.child == "runner" else child_batch_run
        fn(args.workdir, args.seeds, args.weeks, args.workers)
        return {}
    runs = len(LEVELS) ** 2 * args.seeds
    sides: dict[str, list[dict]] = {"batch_run": [], "runner": []}
    # ABBA order over the repeats, so a machine getting busier or quieter favours neither side.
    order = ["batch_run", "runner", "runner", "batch_run"] * args.repeats
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        work = Path(tmp)
        dirs: dict[str, Path] = {}
        for i, side in enumerate(order[: 2 * args.repeats]):
            dirs.setdefault(side, work / str(i))
            sides[side].append(measure(side, work / str(i), args.seeds, args.weeks, args.workers))
        identical = same_outcomes(dirs["runner"] / "runner", dirs["batch_run"] / "batch_run")
        held = json.loads((dirs["batch_run"] / "batch_run" / "memory.json").read_text())
    ref, ours = (_median(sides[k]) for k in ("batch_run", "runner"))
    result = {
        "design": f"3 x 3 grid (border_hardening x syria_collapse) x {args.seeds} seeds",
        "runs": runs,
        "weeks": args.weeks,
        "workers": args.workers,
        "repeats": args.repeats,
        "identical_outcomes": identical,
        "batch_run": {**ref, "runs_per_second": runs / ref["seconds"]},
        "runner": {**ours, "runs_per_second": runs / ours["seconds"]},
        "throughput_ratio_runner_over_batch_run": ref["seconds"] / ours["seconds"],
        "cpu_seconds_ratio_runner_over_batch_run": ours["cpu_seconds"] / ref["cpu_seconds"],
        "peak_rss_ratio_runner_over_batch_run": ours["peak_rss_mb"] / ref["peak_rss_mb"],
        "peak_pss_ratio_runner_over_batch_run": ours["peak_pss_mb"] / ref["peak_pss_mb"],
        "batch_run_results_in_memory_mb": held["results_mb"],
        "batch_run_results_mb_per_100_runs": 100 * held["results_mb"] / runs,
    }
    return emit(result, args.out)


def _median(measurements: list[dict]) -> dict:
    return {k: statistics.median(m[k] for m in measurements) for k in measurements[0]}


if __name__ == "__main__":
    main()
