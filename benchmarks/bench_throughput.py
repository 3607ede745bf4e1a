"""Sweep throughput on 1 and 2 workers, local processes against a Dask LocalCluster, and peak
memory of the process tree at 200 and 2,000 runs.

**Throughput.** The same sweep (``bench_sweep.py``'s 3 x 3 grid of ``border_hardening`` x
``syria_collapse``, ``--seeds`` seeds per point, ``--weeks`` weeks) runs four ways, each in a fresh
interpreter: ``--workers 1`` (in the process), ``--workers 2`` (local worker processes), and a Dask
LocalCluster of 1 and of 2 worker processes (``DaskExecutor(local_workers=N)``). Order ABBA over
the four, medians of ``--repeats`` pairs. Two timings: the whole command (interpreter, imports,
cluster start, sweep) and the sweep alone (``run_sweep``, timed inside the child; the cluster's
start is reported apart). Speed-up = sweep time on 1 worker / on 2; on 2 cores it cannot exceed 2,
and other work on the machine takes it down (``load_average_before``).

**Memory.** Short runs (``--memory-weeks``) so that 2,000 runs stay quick: 10 points x 20 seeds
= 200 runs, and x 200 seeds = 2,000 runs, on 2 local processes and on a 2-worker LocalCluster.
Peak PSS and RSS summed over the process tree (``benchlib.py``) and the driver's own RSS;
flat means the 2,000-run peak is about the 200-run peak.

    python benchmarks/bench_throughput.py [OUT.json] [--seeds 24] [--weeks 104] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_sweep import CONFIG, LEVELS, ROOT
from benchlib import emit

LINE = """
name = "bench_memory"
weeks = {weeks}
[seeds]
root = {root}
per_point = {seeds}
[design]
sampler = "grid"
[design.parameters]
border_hardening = {{ min = 0.0, max = 0.9, levels = 10 }}
[baseline]
border_hardening = 0.0
"""
MEMORY_RUNS = (200, 2000)


# ---------------------------------------------------------------------------------------------
# the child: one sweep in a fresh interpreter


def child(backend: str, workers: int, config: str, workdir: Path) -> None:
    from escalation_sim.experiments import run_sweep
    from escalation_sim.experiments.config import parse_config

    cfg = parse_config(config)
    timing: dict[str, float] = {"cluster_start_seconds": 0.0}
    if backend == "local":
        start = time.perf_counter()
        run_sweep(cfg, workdir / "out", workers=workers, progress=False)
    else:
        from escalation_sim.experiments.cluster import DaskExecutor

        start = time.perf_counter()
        with DaskExecutor(local_workers=workers) as executor:
            timing["cluster_start_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            run_sweep(cfg, workdir / "out", executor=executor, progress=False)
    timing["sweep_seconds"] = time.perf_counter() - start
    (workdir / "timing.json").write_text(json.dumps(timing))


# ---------------------------------------------------------------------------------------------
# the driver


def run_child(backend: str, workers: int, config: str, workdir: Path) -> dict:
    from benchlib import measure

    workdir.mkdir(parents=True)
    (workdir / "config.toml").write_text(config)
    cmd = [sys.executable, __file__, "--child", backend, "--workers", str(workers)]
    cmd += ["--workdir", str(workdir)]
    tree = measure(cmd)
    return {**tree, **json.loads((workdir / "timing.json").read_text())}


def same_runs(a: Path, b: Path) -> bool:
    import pandas as pd

    def runs(path: Path) -> pd.DataFrame:
        df = pd.read_parquet(path / "out" / "runs").drop(columns=["seconds"])
        return df.sort_values(["point_id", "seed_index"]).reset_index(drop=True)

    return runs(a).equals(runs(b))


def _model_runs(n: int) -> None:
    from escalation_sim import run

    for seed in range(n):
        run(seed=seed, weeks=104)


def parallel_ceiling(n: int = 40) -> dict:
    """The machine's own 2-process speed-up: the model alone, no runner, no I/O.

    One process runs n default runs; then two processes run n each at once (forked from a
    process that has imported everything). 2 x t1 / t2 is what any runner could hope for here.
    """
    import multiprocessing as mp

    _model_runs(1)  # imports and caches warm in the parent before forking
    t = time.perf_counter()
    _model_runs(n)
    one = time.perf_counter() - t
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_model_runs, args=(n,)) for _ in range(2)]
    t = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    two = time.perf_counter() - t
    return {"runs_per_process": n, "one_seconds": one, "two_seconds": two, "speedup": 2 * one / two}


def pool_start(workers: int = 2) -> float:
    """Seconds for the local backend to start its fork server and workers and return two no-ops.

    A fixed cost of every local sweep with more than one worker (the fork server imports the
    model before forking); a 1-worker sweep runs in process and does not pay it. The fork server
    outlives the pool, so only the first call in a process measures it: call it in a fresh one
    (``--pool-start``).
    """
    import operator

    from escalation_sim.experiments.executors import ProcessExecutor

    t = time.perf_counter()
    executor = ProcessExecutor(workers)
    try:
        list(executor.map_unordered(operator.abs, [(1,), (2,)]))
        return time.perf_counter() - t
    finally:
        executor.close()


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, help="write the figures here as JSON")
    ap.add_argument("--seeds", type=int, default=24, help="seeds per point (9 points)")
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--repeats", type=int, default=1, help="ABBA pairs (medians)")
    ap.add_argument("--memory-weeks", type=int, default=4, help="weeks per run, memory runs")
    ap.add_argument("--child", choices=["local", "dask"], help=argparse.SUPPRESS)
    ap.add_argument("--pool-start", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pool_start:
        print(pool_start())
        return {}
    if args.child:
        child(args.child, args.workers, (args.workdir / "config.toml").read_text(), args.workdir)
        return {}

    grid = CONFIG.format(weeks=args.weeks, root=ROOT, seeds=args.seeds, levels=LEVELS)
    runs = len(LEVELS) ** 2 * args.seeds
    ways = [("local", 1), ("local", 2), ("dask", 1), ("dask", 2)]
    measured: dict[tuple[str, int], list[dict]] = {w: [] for w in ways}
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        work = Path(tmp)
        order = (ways + ways[::-1]) * args.repeats
        for i, (backend, workers) in enumerate(order):
            measured[(backend, workers)].append(
                run_child(backend, workers, grid, work / f"t{i}-{backend}{workers}")
            )
        first = {w: work / f"t{order.index(w)}-{w[0]}{w[1]}" for w in ways}
        identical = all(same_runs(first[ways[0]], first[w]) for w in ways[1:])

        memory = {}
        for backend in ("local", "dask"):
            for n in MEMORY_RUNS:
                config = LINE.format(weeks=args.memory_weeks, root=ROOT, seeds=n // 10)
                memory[f"{backend}_{n}"] = run_child(backend, 2, config, work / f"m-{backend}{n}")

    ceiling = parallel_ceiling()
    start = statistics.median(
        float(
            subprocess.run(
                [sys.executable, __file__, "--pool-start"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(3)
    )
    throughput = {}
    for (backend, workers), ms in measured.items():
        med = {k: statistics.median(m[k] for m in ms) for k in ms[0]}
        med["runs_per_second"] = runs / med["sweep_seconds"]
        med["runs_per_second_whole_command"] = runs / med["seconds"]
        throughput[f"{backend}_{workers}"] = med

    def speedup(backend: str) -> float:
        return (
            throughput[f"{backend}_1"]["sweep_seconds"]
            / throughput[f"{backend}_2"]["sweep_seconds"]
        )

    result = {
        "design": f"3 x 3 grid x {args.seeds} seeds, {args.weeks} weeks",
        "runs": runs,
        "repeats": args.repeats,
        "identical_runs_all_four_ways": identical,
        "throughput": throughput,
        "speedup_2_over_1_workers_local": speedup("local"),
        "speedup_2_over_1_workers_dask": speedup("dask"),
        "parallel_ceiling": ceiling,
        "local_pool_start_seconds": start,
        "speedup_2_over_1_workers_local_without_pool_start": (
            throughput["local_1"]["sweep_seconds"]
            / (throughput["local_2"]["sweep_seconds"] - start)
        ),
        "dask_over_local_runs_per_second_2_workers": (
            throughput["dask_2"]["runs_per_second"] / throughput["local_2"]["runs_per_second"]
        ),
        "memory_design": f"10 points x 20 or 200 seeds, {args.memory_weeks} weeks, 2 workers",
        "memory": memory,
        "memory_ratio_2000_over_200": {
            backend: {
                key: memory[f"{backend}_2000"][key] / memory[f"{backend}_200"][key]
                for key in ("peak_pss_mb", "peak_rss_mb", "peak_driver_rss_mb")
            }
            for backend in ("local", "dask")
        },
    }
    return emit(result, args.out)


if __name__ == "__main__":
    main()
