"""A sweep's stored results, as pandas: what ``run_sweep`` returns and ``load_results`` reopens."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from escalation_sim.errors import ConfigError
from escalation_sim.experiments.config import Experiment, ExperimentConfig, resolve
from escalation_sim.experiments.store import MANIFEST, SweepStore
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
        """True when every design point x seed is stored."""
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

        return write_report(self, Path(out) if out is not None else self.path)


def load_results(path: str | Path, *, _keepalive: Any = None) -> SweepResults:
    """Open a sweep directory (complete, interrupted or still running).

    Raises:
        ConfigError: not a sweep directory, or its design cannot be rebuilt identically.
    """
    store = SweepStore.open_existing(path)
    manifest = store.manifest
    source = manifest.get("config_source", "<config>")
    config = ExperimentConfig.model_validate(manifest["config"])
    scenario = Scenario.model_validate(manifest["scenario"])
    exp = resolve(config, source=source, scenario=scenario)
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
