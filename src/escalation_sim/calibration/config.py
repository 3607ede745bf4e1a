"""Calibration configs: a TOML file naming the scenario, the parameters, their priors and budget.

A config (``experiments/calibrate_*.toml``) says which scenario is run, over which window of the
record (``window.until``: the last day of the record used; never on or after 27 November 2024),
which parameters are uncertain (``parameters``: default every parameter whose source is a stated
assumption) and their prior ranges (``[priors]``; default ``value * (1 +- default_spread)``
clipped to the scenario's range), which patterns are fitted, the errors assumed and the budget
(waves, points per wave, seeds per point). ``resolve`` checks it against the scenario and
returns a ``Calibration``: the priors, the targets' window and the run horizon.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from escalation_sim.errors import ConfigError
from escalation_sim.experiments import limits as lim
from escalation_sim.observed.tables import CUTOFF
from escalation_sim.scenario.loader import load_scenario, parse_toml_model, read_toml_file
from escalation_sim.scenario.schema import MAX_WEEKS, Parameter, Scenario

#: The last day of the record a calibration may use: the day before the model's start.
LAST_DAY = (CUTOFF - dt.timedelta(days=1)).date()
#: Patterns a config can fit (``targets``); every one by default.
PATTERNS = ("series", "ged_monthly", "regions_held", "strength")
#: Parameters the default selection ("assumption") leaves out: scenario levers and schedules,
#: which describe a scenario, not the world.
LEVERS = frozenset({"border_hardening", "syria_collapse", "syria_collapse_week"})


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prior(_Table):
    """A uniform prior on one parameter: ``[min, max]`` (within the scenario's range)."""

    min: float
    max: float


class Window(_Table):
    """The part of the record fitted: from the run's start to ``until`` (both included)."""

    until: dt.date = Field(LAST_DAY, description="last day of the record used")
    holdout_until: dt.date | None = Field(
        None, description="rolling origin: score the prediction of (until, holdout_until]"
    )


class Waves(_Table):
    """The history-matching budget."""

    count: int = Field(3, ge=1, le=20, description="waves of runs")
    points: int = Field(40, ge=4, le=5000, description="parameter sets run per wave")
    candidates: int = Field(
        4000, ge=10, le=200_000, description="prior draws screened by the emulators per wave"
    )
    cutoff: float = Field(3.0, gt=0, description="implausibility above which a set is ruled out")


class Errors(_Table):
    """Standard deviations on the log(1 + x) scale (0.2 is about 20%), added in quadrature."""

    observation: float = Field(0.2, ge=0, description="error of the observed figure")
    discrepancy: float = Field(0.3, ge=0, description="model discrepancy (a coarse model)")


class SeedsTable(_Table):
    """Seeds: runs per parameter set and the root of every seed and draw."""

    root: int = Field(0, ge=0, le=lim.MAX_SEED)
    per_point: int = Field(2, ge=1, le=100, description="runs (seeds) per parameter set")


class Holdout(_Table):
    """Rolling-origin prediction: posterior draws run over the held-out years."""

    draws: int = Field(20, ge=1, le=2000, description="parameter sets drawn from the posterior")
    seeds: int = Field(1, ge=1, le=100, description="runs per drawn set")


class CalibrationConfig(_Table):
    """A calibration config file (module docstring)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    title: str = ""
    description: str = ""
    scenario: str = Field("hindcast_2013", description="bundled name or path to a TOML file")
    parameters: list[str] | str = Field(
        "assumption", description='names, or "assumption": every parameter sourced as one'
    )
    exclude: list[str] = Field(default_factory=list, description="left out of the selection")
    priors: dict[str, Prior] = Field(default_factory=dict)
    default_spread: float = Field(0.5, gt=0, le=10)
    overrides: dict[str, bool | int | float] = Field(default_factory=dict)
    targets: list[str] = Field(default_factory=lambda: list(PATTERNS), min_length=1)
    window: Window = Field(default_factory=Window)
    waves: Waves = Field(default_factory=Waves)
    errors: Errors = Field(default_factory=Errors)
    seeds: SeedsTable = Field(default_factory=SeedsTable)
    holdout: Holdout = Field(default_factory=Holdout)

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PATTERNS))
        if unknown:
            raise ValueError(f"unknown pattern(s) {unknown}; allowed: {', '.join(PATTERNS)}")
        return value


@dataclass(frozen=True)
class Calibration:
    """A config resolved against its scenario.

    Attributes:
        config: The validated config (with command-line changes applied).
        source: The config file, for error messages.
        scenario: The scenario.
        priors: Parameter -> (low, high, is_int), in the config's order.
        start: The run's first day (the scenario's start).
        until: Last day of the record fitted.
        weeks: Weeks run (to ``until``, or to the hold-out's end for the hold-out runs).
    """

    config: CalibrationConfig
    source: str
    scenario: Scenario
    priors: dict[str, tuple[float, float, bool]]
    start: dt.date
    until: dt.date
    weeks: int

    @property
    def names(self) -> list[str]:
        """The calibrated parameters, in order."""
        return list(self.priors)

    def identity(self) -> dict[str, Any]:
        """Everything that decides the posterior (what resuming checks)."""
        cfg = self.config.model_dump(mode="json", exclude={"title", "description", "holdout"})
        cfg["window"].pop("holdout_until", None)
        return {
            "config": cfg,
            "scenario": self.scenario.model_dump(mode="json", by_alias=True),
            "priors": {k: list(v) for k, v in self.priors.items()},
            "weeks": self.weeks,
        }

    def identity_hash(self) -> str:
        """SHA-256 of ``identity()``."""
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def load_calibration_config(path: str | Path) -> CalibrationConfig:
    """Read and validate a calibration config file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(path, None, "calibration config not found")
    return parse_toml_model(
        CalibrationConfig, read_toml_file(path, "calibration config"), str(path)
    )


def is_assumption(p: Parameter) -> bool:
    """True when a parameter's value is a stated assumption (its value's source says so)."""
    text = p.sources.get("value", p.source)
    return "assumption" in text.lower()


def default_prior(p: Parameter, spread: float) -> tuple[float, float]:
    """``value * (1 +- spread)`` clipped to ``[min, max]``; from ``min`` when the value is 0."""
    lo, hi = float(p.min), float(p.max)
    v = float(p.value)
    if v == 0:
        return lo, min(hi, lo + spread * (hi - lo))
    a, b = sorted((v * (1 - spread), v * (1 + spread)))
    return max(lo, a), min(hi, b)


def resolve_calibration(
    config: CalibrationConfig | str | Path,
    *,
    source: str | None = None,
    until: dt.date | None = None,
) -> Calibration:
    """Check a config against its scenario; build the priors and the horizon.

    Args:
        config: A validated config, or its path.
        source: Its file name when ``config`` is already parsed.
        until: Replace ``window.until`` (``--until``).

    Raises:
        ConfigError: an unknown parameter, a prior outside the scenario's range, a window on or
            after 27 November 2024 or before the scenario's start.
    """
    if not isinstance(config, CalibrationConfig):
        source = str(config)
        config = load_calibration_config(config)
    source = source or "<calibration>"
    if until is not None:
        config = config.model_copy(
            update={"window": config.window.model_copy(update={"until": until})}
        )
    scenario = load_scenario(config.scenario)
    params = scenario.parameters
    check_window(config.window.until, source, "window.until")
    if config.window.holdout_until is not None:
        check_window(config.window.holdout_until, source, "window.holdout_until")
        if config.window.holdout_until <= config.window.until:
            raise ConfigError(source, "window.holdout_until", "must be after window.until")
    start = scenario.meta.start_date
    if config.window.until <= start:
        raise ConfigError(
            source, "window.until", f"{config.window.until} is not after the start {start}"
        )
    if isinstance(config.parameters, str):
        if config.parameters != "assumption":
            raise ConfigError(source, "parameters", 'allowed: a list of names, or "assumption"')
        names = [
            k for k, p in params.items() if is_assumption(p) and k not in LEVERS and p.min < p.max
        ]
    else:
        names = list(config.parameters)
    for field, listed in (
        ("parameters", names),
        ("exclude", config.exclude),
        ("priors", list(config.priors)),
    ):
        unknown = [n for n in listed if n not in params]
        if unknown:
            raise ConfigError(
                source, field, f"unknown parameter(s) {unknown} in scenario {scenario.meta.name}"
            )
    names = [n for n in names if n not in set(config.exclude)]
    names += [n for n in config.priors if n not in names]
    if not names:
        raise ConfigError(source, "parameters", "no parameter to calibrate")
    priors: dict[str, tuple[float, float, bool]] = {}
    for name in names:
        p = params[name]
        if name in config.priors:
            lo, hi = config.priors[name].min, config.priors[name].max
            if not (p.min <= lo < hi <= p.max):
                raise ConfigError(
                    source,
                    f"priors.{name}",
                    f"[{lo}, {hi}] must be a non-empty range within the scenario's "
                    f"[{p.min}, {p.max}]",
                )
        else:
            lo, hi = default_prior(p, config.default_spread)
        if not hi > lo:
            raise ConfigError(source, f"priors.{name}", "empty prior range; give min and max")
        priors[name] = (float(lo), float(hi), p.is_int)
    weeks = weeks_until(start, config.window.until)
    return Calibration(config, source, scenario, priors, start, config.window.until, weeks)


def check_window(day: dt.date, source: str, field: str) -> None:
    """Refuse a window that reaches 27 November 2024 (the forecast's start) or later."""
    if day > LAST_DAY:
        raise ConfigError(
            source,
            field,
            f"{day} is on or after {CUTOFF.date()}: a calibration may use the record up to "
            f"{LAST_DAY} only",
        )


def weeks_until(start: dt.date, until: dt.date) -> int:
    """Weeks from ``start`` whose last day is on or before ``until`` (week k ends start + 7k)."""
    weeks = math.floor((until - start).days / 7)
    if weeks < 1 or weeks > MAX_WEEKS:
        raise ConfigError(None, "window", f"{weeks} weeks; allowed: 1 to {MAX_WEEKS}")
    return weeks
