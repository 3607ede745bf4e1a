"""A sweep's stored results, as pandas: what ``run_sweep`` returns and ``load_results`` reopens."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from escalation_sim.errors import ConfigError
from escalation_sim.experiments.adaptive import attach_plan
from escalation_sim.experiments.config import Experiment, ExperimentConfig, resolve
from escalation_sim.experiments.integrity import check_sweep_dir
from escalation_sim.experiments.store import MANIFEST, SweepStore, fcntl
from escalation_sim.scenario.schema import Scenario


@dataclass
class SweepResults:
    """The results of a sweep directory.

    Attributes:
        path: The sweep directory.
        experiment: The resolved experiment (config, scenario, design).
        runs: One row per stored run: ``point_id``, ``seed_index``, ``seed``, the point's
            values, ``status`` (``ok``/``error``), ``error``, run-level outcomes, ``seconds``.
        manifest: The directory's manifest.
    """

    path: Path
    experiment: Experiment
    runs: pd.DataFrame
    manifest: dict[str, Any] = field(repr=False)
    _keepalive: Any = field(default=None, repr=False)  # a TemporaryDirectory, when out=None

    @property
    def design(self) -> pd.DataFrame:
        """One row per design point: ``point``, ``point_id``, ``is_baseline``, values."""
        return self.experiment.design.frame()

    @property
    def ok(self) -> pd.DataFrame:
        """Runs that finished."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        """Runs that raised, with their values, seed and error."""
        return self.runs[self.runs["status"] != "ok"]

    @property
    def complete(self) -> bool:
        """True when every design point x seed (of the adaptive plan, if any) is stored."""
        return len(self.runs) == self.experiment.runs_total

    def timeseries(
        self, points: list[str] | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """Weekly rows (``point_id``, ``seed_index``, ``seed``, ``week``, ``date``, outcomes).

        Read from disk on each call; pass ``points`` (ids) and ``columns`` to read less.
        """
        return SweepStore(self.path).with_manifest(self.manifest).read_timeseries(points, columns)

    def summary(self) -> pd.DataFrame:
        """Per point and outcome: mean and confidence interval (``analysis.summarise``)."""
        from escalation_sim.experiments import analysis

        return analysis.summarise(self.runs, self.experiment)

    def effects(self) -> pd.DataFrame:
        """Per point and outcome: difference from the baseline with its interval."""
        from escalation_sim.experiments import analysis

        return analysis.effects(self.runs, self.experiment)

    def sensitivity(self) -> pd.DataFrame | None:
        """Sobol or Morris indices for those designs (None for others, or if incomplete)."""
        from escalation_sim.experiments import analysis

        return analysis.sensitivity(self.runs, self.experiment)

    def report(self, out: str | Path | None = None) -> list[Path]:
        """Write ``summary.csv``, ``effects.csv``, figures and ``report.md`` (default: here)."""
        from escalation_sim.experiments.report import write_report

        if self.runs.empty:  # an empty report would replace a good one with n = 0 everywhere
            raise ConfigError(
                self.path / "runs", None, "no runs stored yet: nothing to report (run the sweep)"
            )
        target = Path(out) if out is not None else self.path
        target.mkdir(parents=True, exist_ok=True)
        with report_lock(target):
            return write_report(self, target)


#: Files a report writes into its directory; a killed report leaves ``.NAME.*`` temporaries.
REPORT_FILES = ("summary.csv", "effects.csv", "indices.csv", "report.md")


@contextlib.contextmanager
def report_lock(out: Path) -> Iterator[None]:
    """Hold ``out`` (a lock on the directory itself) while a report writes into it.

    Reports into one directory take turns, and each first deletes the temporary files a
    killed report left there (in ``out`` and ``out/figures``): with the lock held, they are
    nobody's.
    """
    fd = os.open(out, os.O_RDONLY) if fcntl is not None else None  # POSIX: lock the directory
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        stale = [t for name in REPORT_FILES for t in out.glob(f".{name}.*")]
        stale += list((out / "figures").glob(".*.png"))
        for tmp in stale:
            with contextlib.suppress(OSError):
                tmp.unlink()
        yield
    finally:
        if fd is not None:
            os.close(fd)


def load_results(
    path: str | Path, *, _keepalive: Any = None, _checked: bool = False
) -> SweepResults:
    """Open a sweep directory (complete, interrupted or still running).

    Raises:
        ConfigError: not a sweep directory, a damaged manifest, chunks that do not match the
            design (``integrity.check_sweep_dir``), or a design that cannot be rebuilt.
    """
    store = SweepStore.open_existing(path)
    manifest = store.manifest
    source = manifest.get("config_source", "<config>")
    where = Path(path) / MANIFEST
    try:
        config = ExperimentConfig.model_validate(manifest["config"])
        scenario = Scenario.model_validate(manifest["scenario"])
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(str(x) for x in err["loc"])
        raise ConfigError(
            where,
            field_name,
            f"the stored config or scenario is not valid: {err['msg']}; rerun the sweep with a "
            "corrected config (the runs are kept when only [analysis] or [report] change)",
        ) from None
    _check_dates(scenario, config, where)
    exp = attach_plan(resolve(config, source=source, scenario=scenario), manifest)
    if not _checked:  # run_sweep checked the directory when it opened it
        check_sweep_dir(store, exp)
    if exp.config_hash() != manifest["config_hash"]:
        raise ConfigError(
            Path(path) / MANIFEST,
            "design",
            "the design cannot be rebuilt as it was (another escalation-sim or SALib "
            f"version?); versions then: {manifest.get('versions')}",
        )
    return SweepResults(
        path=Path(path),
        experiment=exp,
        runs=store.read_runs(),
        manifest=manifest,
        _keepalive=_keepalive,
    )


def _check_dates(scenario: Scenario, config: ExperimentConfig, where: Path) -> None:
    """Refuse a horizon whose weekly dates pandas cannot represent (after 2262-04-11)."""
    import datetime as dt

    weeks = config.weeks or scenario.meta.weeks
    last = pd.Timestamp.max.date()
    try:
        end = scenario.meta.start_date + dt.timedelta(weeks=weeks)
    except OverflowError:
        end = dt.date.max
    if end > last:
        raise ConfigError(
            where,
            "scenario.meta.start_date",
            f"{scenario.meta.start_date} + {weeks} weeks ends after {last}; allowed: a start "
            f"date whose horizon ends by {last} (the last date the weekly series can hold)",
        )
