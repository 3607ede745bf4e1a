"""One model run, as the CLI, the sweep runner and the notebooks do it.

``run`` is the interactive path: Mesa's DataCollector, pandas tables, the events, the model kept
for inspection. ``run_lean`` is the path of sweeps and calibration: the weekly outcomes go into a
preallocated array (``outcomes.WeeklyRecorder``), the run-level outcomes are computed from it,
and no table is built; its outcomes and weekly values are bit-identical to ``run``'s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The model, numpy and pandas are imported where a run needs them: the package's __init__
# imports this module, and the command line's --help must not pay for them.
if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from escalation_sim.model import EscalationModel
    from escalation_sim.scenario.schema import Scenario


@dataclass
class RunResult:
    """What one run produces.

    Attributes:
        timeseries: One row per week (``week``, ``date``, every weekly outcome).
        outcomes: Run-level outcomes (``isis_resurgence`` and totals).
        events: One row per attack or strike (``None`` when the run was asked not to keep them).
        parameters: Parameter values and switches used.
        seed: The seed of the run.
        scenario: The scenario's name.
        model: The model itself (kept for inspection; ``None`` when not kept).
        overrides: The overrides asked for (what the title of the run's figure names).
        scenario_path: The scenario file (``None`` when given a ``Scenario`` object), whose path
            and hash ``outcomes.json`` records (``escalation_sim.provenance``).
    """

    timeseries: pd.DataFrame
    outcomes: dict[str, Any]
    events: pd.DataFrame | None
    parameters: dict[str, Any]
    seed: int
    scenario: str
    model: EscalationModel | None = field(default=None, repr=False)
    overrides: dict[str, Any] = field(default_factory=dict)
    scenario_path: Path | None = None


def run(
    scenario: str | Path | Scenario | None = None,
    overrides: Mapping[str, Any] | None = None,
    seed: int = 0,
    weeks: int | None = None,
    progress: bool = False,
    keep_model: bool = False,
    events: bool = True,
) -> RunResult:
    """Build a model, run it for ``weeks`` (default: the scenario's horizon), collect results.

    Args:
        scenario: Bundled name, path or ``Scenario``; default ``iraq_syria_2024``.
        overrides: Parameter values and switches (``{"border_hardening": 0.9}``).
        seed: Seed for the model's random generator.
        weeks: Weeks to simulate.
        progress: Show a progress bar (tqdm) on stderr.
        keep_model: Keep the model on the result (for notebooks).
        events: Build the table of events (a sweep, which does not store them, skips it).
    """
    from escalation_sim.model import EscalationModel
    from escalation_sim.outcomes import run_outcomes
    from escalation_sim.scenario.loader import resolve_scenario_path
    from escalation_sim.scenario.schema import Scenario

    model = EscalationModel(scenario, overrides, rng=seed)
    scenario_path = None if isinstance(scenario, Scenario) else resolve_scenario_path(scenario)
    horizon = int(weeks if weeks is not None else model.spec.meta.weeks)
    if progress:
        from tqdm import tqdm

        for _ in tqdm(range(horizon), desc="weeks", unit="wk", leave=False):
            model.step()
    else:
        model.run_for(horizon)
    timeseries = model.timeseries()
    return RunResult(
        timeseries=timeseries,
        outcomes=run_outcomes(timeseries, model.p),  # as model.outcomes(), without a second table
        events=model.events_frame() if events else None,
        parameters=model.parameters(),
        seed=int(seed),
        scenario=model.spec.meta.name,
        model=model if keep_model else None,
        overrides=dict(overrides or {}),
        scenario_path=scenario_path,
    )


@dataclass
class LeanResult:
    """What ``run_lean`` produces: outcomes, and the weekly values as arrays if asked for.

    Attributes:
        outcomes: Run-level outcomes, as ``RunResult.outcomes``.
        weekly: Each weekly outcome's values by week (week 0 first), int64 or float64 as the
            columns of ``RunResult.timeseries``; ``None`` unless asked for.
        seed: The seed of the run.
        start_date: The scenario's first week (``outcomes.weekly_frame`` adds the dates).
    """

    outcomes: dict[str, Any]
    weekly: dict[str, np.ndarray] | None
    seed: int
    start_date: Any


def run_lean(
    scenario: str | Path | Scenario | None = None,
    overrides: Mapping[str, Any] | None = None,
    seed: int = 0,
    weeks: int | None = None,
    weekly: bool = False,
) -> LeanResult:
    """One run without DataCollector or tables: the sweeps' and calibration's path.

    Args:
        scenario: Bundled name, path or ``Scenario``; default ``iraq_syria_2024``.
        overrides: Parameter values and switches.
        seed: Seed for the model's random generator.
        weeks: Weeks to simulate (default: the scenario's horizon).
        weekly: Also return the weekly values (``LeanResult.weekly``).
    """
    from escalation_sim.model import EscalationModel
    from escalation_sim.outcomes import outcomes_from_columns

    model = EscalationModel(scenario, overrides, rng=seed, lean=True)
    model.run_for(int(weeks if weeks is not None else model.spec.meta.weeks))
    assert model.recorder is not None  # a lean model records into its recorder
    columns = model.recorder.columns()
    return LeanResult(
        outcomes=outcomes_from_columns(columns, model.p),
        weekly=columns if weekly else None,
        seed=int(seed),
        start_date=model.start_date,
    )


#: The files ``write_run`` owns in its directory.
RUN_FILES = ("timeseries.parquet", "events.parquet", "outcomes.json", "timeseries.png", "map.png")


def write_run(result: RunResult, out: Path, plots: bool = True) -> list[Path]:
    """Write ``timeseries.parquet``, ``events.parquet`` (if kept), ``outcomes.json`` and plots.

    Each file is written to a temporary name and moved into place, so a crash never leaves a
    half-written file behind. Outputs of an earlier run that this one does not write (its
    plots, with ``plots=False``; its events) are removed first, so ``out`` never mixes two runs.
    """
    out.mkdir(parents=True, exist_ok=True)
    keep = {"timeseries.parquet", "outcomes.json"}
    keep |= {"events.parquet"} if result.events is not None else set()
    keep |= (
        ({"timeseries.png"} | ({"map.png"} if result.model is not None else set()))
        if plots
        else set()
    )
    for name in RUN_FILES:
        if name not in keep:
            (out / name).unlink(missing_ok=True)
    written = [
        write_atomic(
            out / "timeseries.parquet", lambda p: result.timeseries.to_parquet(p, index=False)
        )
    ]
    events, model = result.events, result.model
    if events is not None:
        written.append(
            write_atomic(out / "events.parquet", lambda p: events.to_parquet(p, index=False))
        )
    written.append(
        write_atomic(
            out / "outcomes.json",
            lambda p: p.write_text(json.dumps(_outcomes_doc(result), indent=2)),
        )
    )
    if plots:
        from escalation_sim import plots as plotting

        written.append(
            write_atomic(
                out / "timeseries.png",
                lambda p: plotting.plot_timeseries(
                    result.timeseries,
                    p,
                    title=plotting.run_title(result.scenario, result.seed, result.overrides),
                    params=result.parameters,
                ),
            )
        )
        if model is not None:
            written.append(write_atomic(out / "map.png", lambda p: plotting.plot_map(model, p)))
    return written


def _outcomes_doc(result: RunResult) -> dict[str, Any]:
    from escalation_sim.provenance import provenance

    return {
        "scenario": result.scenario,
        "seed": result.seed,
        "weeks": int(result.timeseries["week"].iloc[-1]),
        "overrides": {k: _jsonable(v) for k, v in result.overrides.items()},
        "outcomes": result.outcomes,
        "parameters": result.parameters,
        "provenance": provenance(result.scenario_path),
    }


def _jsonable(value: Any) -> Any:
    """An override as JSON holds it (``--set`` gives strings; the API numbers or booleans)."""
    return value if isinstance(value, bool | int | float | str) else str(value)


def write_atomic(path: Path, write: Callable[[Path], object], durable: bool = False) -> Path:
    """Write ``path`` via ``write(tmp)`` on a temporary file and an atomic rename.

    With ``durable`` the file's data reach the disk before the rename and the rename before the
    return (fsync of the file, then of its directory), so after a power loss the path holds the
    old file or the whole new one, never an empty one.
    """
    import tempfile  # here, not at the top: every --help imports this module (the package)

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        if durable:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)
    return path


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where directories can be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover  (platforms without directory fds)
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# The old private names, for code written before they were public.
_atomic, _fsync_dir = write_atomic, fsync_dir
