"""What the Dask tests ship to workers (importable there: workers get the test process's path)."""

from __future__ import annotations

import os
from pathlib import Path

from escalation_sim.experiments.tasks import BatchResult, Job, RunSpec, run_batch

#: Directory where ``marked_batch`` leaves its marks (set before the cluster starts).
MARKS_ENV = "ESCALATION_SIM_TEST_MARKS"


def task_name(specs: list[RunSpec]) -> str:
    """A task's name: its first run."""
    return f"{specs[0].point_id}-{specs[0].seed_index}"


def marked_batch(job: Job, specs: list[RunSpec]) -> BatchResult:
    """``run_batch``, leaving ``started-<pid>-<task>`` before it and ``done-<pid>-<task>`` after."""
    marks = Path(os.environ[MARKS_ENV])
    name = f"{os.getpid()}-{task_name(specs)}"
    (marks / f"started-{name}").touch()
    result = run_batch(job, specs)
    (marks / f"done-{name}").touch()
    return result
