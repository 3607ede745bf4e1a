"""The unit of work of a sweep: a batch of model runs, executed wherever the executor puts it.

Everything here is picklable and free of state, so a process pool (or, later, a Dask cluster)
can run ``run_batch`` anywhere: one call runs several design point x seed pairs with
``escalation_sim.run.run`` and returns their run-level outcomes and weekly series. A run that
raises is returned as a row with ``status = "error"`` and the error, and the batch goes on.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from escalation_sim.run import run
from escalation_sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Job:
    """What every run of a sweep shares.

    Attributes:
        scenario: The scenario (before overrides).
        overrides: Fixed overrides of the experiment.
        weeks: Horizon of each run.
    """

    scenario: Scenario
    overrides: dict[str, Any]
    weeks: int


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


def execute_run(job: Job, spec: RunSpec) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one design point x seed; return its ``runs`` row and its weekly series (or None).

    Exceptions other than interrupts are caught and recorded in the row (``status``,
    ``error``): one bad run must not end a sweep of thousands.
    """
    row: dict[str, Any] = {
        "point_id": spec.point_id,
        "seed_index": spec.seed_index,
        "seed": spec.seed,
        **spec.params,
    }
    start = time.perf_counter()
    try:
        result = run(
            scenario=job.scenario,
            overrides={**job.overrides, **spec.params},
            seed=spec.seed,
            weeks=job.weeks,
            events=False,  # a sweep stores runs and weekly series only
        )
    except Exception as exc:
        row.update(status="error", error=describe_error(exc))
        row["seconds"] = time.perf_counter() - start
        return row, None
    row.update(status="ok", error=None, **result.outcomes)
    row["seconds"] = time.perf_counter() - start
    ts = result.timeseries
    ts.insert(0, "seed", spec.seed)
    ts.insert(0, "seed_index", spec.seed_index)
    ts.insert(0, "point_id", spec.point_id)
    return row, ts


def run_batch(job: Job, specs: list[RunSpec]) -> BatchResult:
    """Run several design point x seed pairs in turn (one task of an executor)."""
    rows, series = [], []
    for spec in specs:
        row, ts = execute_run(job, spec)
        rows.append(row)
        if ts is not None:
            series.append(ts)
    return BatchResult(rows, pd.concat(series, ignore_index=True) if series else None)


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
