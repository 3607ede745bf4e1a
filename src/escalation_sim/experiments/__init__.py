"""Experiments in batch: configs, designs, resumable parallel sweeps, effects, plots and reports.

Python API (what the ``sweep`` and ``report`` commands use)::

    from escalation_sim.experiments import run_sweep, load_results

    results = run_sweep("experiments/border_hardening.toml", out="results/bh", seeds=5)
    results.runs                # one row per run (pandas)
    results.summary()           # per point: mean and 95% interval of each outcome
    results.effects()           # per point: difference from the baseline, with its interval
    results.timeseries(points=[results.experiment.design.baseline.point_id])
    results.report()            # summary.csv, effects.csv, figures/*.png, report.md

    load_results("results/bh")  # reopen a sweep directory

    run_sweep(..., executor=DaskExecutor("tcp://host:8786"))  # on a Dask cluster (cluster.py)

Names are imported on first use, so the command line starts quickly.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Design": "design",
    "DesignPoint": "design",
    "DaskExecutor": "cluster",
    "Executor": "executors",
    "ProcessExecutor": "executors",
    "SerialExecutor": "executors",
    "make_executor": "executors",
    "Experiment": "config",
    "ExperimentConfig": "config",
    "derive_seeds": "config",
    "load_config": "config",
    "resolve": "config",
    "SweepResults": "results",
    "load_results": "results",
    "SweepInterrupted": "runner",
    "run_sweep": "runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"escalation_sim.experiments.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
