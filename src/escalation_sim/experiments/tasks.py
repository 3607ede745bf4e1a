"""The unit of work of a sweep: a batch of model runs, executed wherever the executor puts it.

Everything here is picklable and free of state, so a process pool (or, later, a Dask cluster)
can run ``run_batch`` anywhere: one call runs several design point x seed pairs with
``escalation_sim.run.run_lean`` (no DataCollector, no table per run) and returns their run-level
outcomes and, unless the experiment turns weekly storage off (``Job.weekly``), their weekly
series as one table for the whole batch. A run that raises is returned as a row with
``status = "error"`` and the error, and the batch goes on.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation_sim.outcomes import weekly_frame
from escalation_sim.run import run_lean
from escalation_sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Job:
    """What every run of a sweep shares.

    Attributes:
        scenario: The scenario (before overrides).
        overrides: Fixed overrides of the experiment.
        weeks: Horizon of each run.
        weekly: Return each run's weekly series (the experiment's ``weekly`` key); False:
            run-level outcomes only.
    """

    scenario: Scenario
    overrides: dict[str, Any]
    weeks: int
    weekly: bool = True


@dataclass(frozen=True)
class RunSpec:
    """One run: a design point and a seed.

    Attributes:
        point_id: The design point's id.
        seed_index: Which of the point's seeds (0, 1, ...).
        seed: The seed itself (derived from the root seed; see ``derive_seeds``).
        params: The point's design values.
    """

    point_id: str
    seed_index: int
    seed: int
    params: dict[str, Any]


@dataclass
class BatchResult:
    """What a batch returns: one row per run, and the weekly series of the runs that finished."""

    runs: list[dict[str, Any]]
    timeseries: pd.DataFrame | None


def execute_lean(job: Job, spec: RunSpec) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    """Run one design point x seed; return its ``runs`` row and its weekly values (or None).

    The weekly values are arrays by week (``run_lean``), None when the run failed or
    ``job.weekly`` is off. Exceptions other than interrupts are caught and recorded in the row
    (``status``, ``error``): one bad run must not end a sweep of thousands.
    """
    row: dict[str, Any] = {
        "point_id": spec.point_id,
        "seed_index": spec.seed_index,
        "seed": spec.seed,
        **spec.params,
    }
    start = time.perf_counter()
    try:
        result = run_lean(
            scenario=job.scenario,
            overrides={**job.overrides, **spec.params},
            seed=spec.seed,
            weeks=job.weeks,
            weekly=job.weekly,
        )
    except Exception as exc:
        row.update(status="error", error=describe_error(exc))
        row["seconds"] = time.perf_counter() - start
        return row, None
    row.update(status="ok", error=None, **result.outcomes)
    row["seconds"] = time.perf_counter() - start
    return row, result.weekly


def execute_run(job: Job, spec: RunSpec) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """``execute_lean`` with the weekly series as a table (``point_id``, ..., ``week``, ...)."""
    row, weekly = execute_lean(job, spec)
    if weekly is None:
        return row, None
    return row, batch_frame(job, [(spec, weekly)])


def run_batch(job: Job, specs: list[RunSpec]) -> BatchResult:
    """Run several design point x seed pairs in turn (one task of an executor).

    The weekly values of the batch's runs become one table at the end (``batch_frame``).
    """
    rows, series = [], []
    for spec in specs:
        row, weekly = execute_lean(job, spec)
        rows.append(row)
        if weekly is not None:
            series.append((spec, weekly))
    return BatchResult(rows, batch_frame(job, series) if series else None)


def batch_frame(job: Job, series: list[tuple[RunSpec, dict[str, np.ndarray]]]) -> pd.DataFrame:
    """The weekly rows of some runs as one table, run after run (what ``timeseries/`` stores).

    Columns: ``point_id``, ``seed_index``, ``seed``, ``week``, ``date``, the weekly outcomes.
    """
    lengths = [len(next(iter(weekly.values()))) for _, weekly in series]
    names = list(series[0][1])
    columns = {
        "week": np.concatenate([np.arange(n, dtype=int) for n in lengths]),
        **{name: np.concatenate([weekly[name] for _, weekly in series]) for name in names},
    }
    df = weekly_frame(columns, job.scenario.meta.start_date)
    df.insert(0, "seed", np.repeat([spec.seed for spec, _ in series], lengths))
    df.insert(0, "seed_index", np.repeat([spec.seed_index for spec, _ in series], lengths))
    df.insert(0, "point_id", np.repeat([spec.point_id for spec, _ in series], lengths))
    return df


def describe_error(exc: BaseException) -> str:
    """``ValueError: message (at mechanisms/violence.py:120 in attacks)``, on one line."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        f = frames[-1]
        path = Path(f.filename)
        where = "/".join(path.parts[-2:]) if "escalation_sim" in path.parts else path.name
        text += f" (at {where}:{f.lineno} in {f.name})"
    return text
