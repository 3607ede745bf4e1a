"""Experiment configs: a TOML file that says what to sweep, validated against the scenario.

An experiment names a scenario, fixed overrides, a design over named parameters, seeds per design
point, a horizon, the outcomes to summarise and a baseline point for effects. ``load_config``
reads and validates the file (pydantic); ``resolve`` checks it against the scenario's parameter
domains and builds the design. Every mistake is a ``ConfigError`` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from escalation_sim.errors import ConfigError, raise_errors
from escalation_sim.experiments import limits as lim
from escalation_sim.experiments.design import SAMPLERS, Design, Domain, build_design
from escalation_sim.outcomes import RUN_OUTCOMES, WEEKLY_OUTCOMES
from escalation_sim.scenario.loader import (
    bundled_scenarios,
    load_scenario,
    parse_toml_model,
    read_toml_file,
    resolve_scenario_path,
)
from escalation_sim.scenario.schema import MECHANISM_ALIASES, Scenario, allowed_ids

#: Run-level outcomes summarised when a config does not list its own.
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "isis_resurgence",
    "isis_attacks_iraq_total",
    "isis_deaths_iraq_total",
    "isis_fighters_iraq_peak",
    "isis_fighters_iraq_final",
    "isis_regions_iraq_max",
    "infiltrations_total",
    "infiltrations_detected_total",
    "infiltrating_fighters_total",
    "militia_fighters_syria_peak",
    "israeli_strikes_iraq_total",
    "escalation_level_max",
)

#: Weekly outcomes drawn as time-series bands when a config does not list its own.
DEFAULT_TIMESERIES: tuple[str, ...] = (
    "isis_fighters_iraq",
    "isis_attacks_iraq",
    "infiltrations",
    "escalation_level",
)

Value = bool | int | float


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Table):
    """How one design parameter varies: explicit ``values`` (grid) or ``min``/``max``."""

    values: list[Value] | None = Field(
        None, max_length=lim.MAX_LEVELS, description="grid: the levels, listed"
    )
    min: float | None = Field(None, description="lower bound (default: the scenario's min)")
    max: float | None = Field(None, description="upper bound (default: the scenario's max)")
    levels: int | None = Field(
        None, ge=1, le=lim.MAX_LEVELS, description="grid: evenly spaced levels, min to max"
    )


class Seeds(_Table):
    """Seeds of the runs at each design point."""

    root: int = Field(0, ge=0, le=lim.MAX_SEED, description="root of numpy.random.SeedSequence")
    per_point: int = Field(30, ge=1, le=lim.MAX_SEEDS, description="runs (seeds) per design point")
    common: bool = Field(
        True, description="common random numbers: seed i is the same at every design point"
    )


class DesignTable(_Table):
    """The ``[design]`` table: sampler and parameters."""

    sampler: str = "grid"
    parameters: dict[str, Range] = Field(default_factory=dict)
    samples: int | None = Field(
        None, ge=1, le=lim.MAX_DESIGN_ROWS, description="lhs: points; sobol: base samples N"
    )
    trajectories: int | None = Field(
        None, ge=2, le=lim.MAX_TRAJECTORIES, description="morris: trajectories"
    )
    levels: int = Field(4, ge=2, le=lim.MAX_MORRIS_LEVELS, description="morris: grid levels")
    second_order: bool = Field(False, description="sobol: also second-order indices")
    screening: int | None = Field(
        None,
        ge=2,
        le=lim.MAX_TRAJECTORIES,
        description="sobol: also Morris screening with this many trajectories",
    )
    seed: int | None = Field(
        None, ge=0, le=lim.MAX_SEED, description="sampler seed (default: seeds.root)"
    )

    @field_validator("sampler")
    @classmethod
    def _known_sampler(cls, value: str) -> str:
        if value not in SAMPLERS:
            raise ValueError(f"unknown sampler; allowed: {', '.join(SAMPLERS)}")
        return value


class Analysis(_Table):
    """How summaries and effects are computed."""

    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="level of every interval")
    resamples: int = Field(4999, ge=99, le=lim.MAX_RESAMPLES, description="bootstrap resamples")
    seed: int | None = Field(
        None, ge=0, le=lim.MAX_SEED, description="bootstrap seed (default: seeds.root)"
    )


class ReportTable(_Table):
    """What the report draws."""

    timeseries: list[str] = Field(default_factory=lambda: list(DEFAULT_TIMESERIES))
    points: list[dict[str, Value]] = Field(
        default_factory=list, description="design points drawn as time-series bands"
    )


class Robustness(_Table):
    """The ``[robustness]`` table: which design parameters are levers, which uncertainties.

    Every lever setting must be run in every state of the world (a grid design over both).
    """

    levers: list[str] = Field(min_length=1, description="design parameters a decision sets")
    uncertainties: list[str] = Field(
        default_factory=list, description="design parameters nobody controls (states of the world)"
    )
    outcome: str = Field("isis_resurgence", description="a yes/no outcome to keep low")
    target: float = Field(
        0.2, ge=0.0, le=1.0, description="satisficing: probability at or below this is acceptable"
    )


class Replication(_Table):
    """The ``[replication]`` table: adaptive replication (``sweep --precision``).

    After the first ``seeds.per_point`` seeds, seeds are added (common random numbers: seed
    ``i`` is the same at every point) only at points whose headline interval is wider than
    ``precision``, round by round, until ``max_seeds`` per point (module ``adaptive``).
    """

    precision: float | None = Field(
        None,
        gt=0,
        description="target width (high - low) of each point's headline interval, in the "
        "outcome's units (a probability for isis_resurgence)",
    )
    max_seeds: int | None = Field(
        None,
        ge=1,
        le=lim.MAX_SEEDS,
        description="seeds per point at most (default: enough for the target at p = 0.5 for a "
        "probability, else 4 x seeds.per_point)",
    )


class ExperimentConfig(_Table):
    """An experiment config file (TOML), as validated by pydantic.

    See ``experiments/*.toml`` for commented examples. Keys at the top level: ``name``,
    ``title``, ``description``, ``scenario``, ``weeks``, ``outcomes``; tables ``[seeds]``,
    ``[overrides]``, ``[design]``, ``[baseline]``, ``[analysis]``, ``[report]``, ``[robustness]``,
    ``[replication]``.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    title: str = ""
    description: str = ""
    scenario: str = Field("iraq_syria_2024", description="bundled name or path to a TOML file")
    weeks: int | None = Field(
        None, ge=1, le=lim.MAX_WEEKS, description="horizon (default: scenario's)"
    )
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES), min_length=1)
    seeds: Seeds = Field(default_factory=Seeds)
    overrides: dict[str, Value] = Field(default_factory=dict)
    design: DesignTable | None = None
    baseline: dict[str, Value] = Field(default_factory=dict)
    analysis: Analysis = Field(default_factory=Analysis)
    report: ReportTable = Field(default_factory=ReportTable)
    robustness: Robustness | None = None
    replication: Replication | None = None


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment config file (not yet checked against the scenario).

    Raises:
        ConfigError: missing file, invalid TOML or a field that breaks the schema.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(path, None, "experiment config not found")
    # The scenarios' reader: size checked before reading, UTF-8 with or without a BOM.
    return parse_config(read_toml_file(path, "experiment config"), source=str(path))


def parse_config(data: str | Mapping[str, Any], source: str = "<config>") -> ExperimentConfig:
    """Validate a config given as TOML text or an already parsed mapping."""
    return parse_toml_model(ExperimentConfig, data, source)


@dataclass(frozen=True)
class Experiment:
    """A config resolved against its scenario: ready to run, hash and report.

    Attributes:
        config: The validated config (with ``--seeds``/``--weeks`` applied).
        source: The config file (for error messages).
        scenario: The scenario, before the fixed overrides.
        weeks: Horizon of every run.
        domains: Each design parameter's domain in the scenario.
        design: The design points, the baseline among them.
        seed_plan: Adaptive replication only: seeds planned at each point (point_id -> n), as
            the sweep's manifest records them (``adaptive``); None: ``seeds.per_point`` each.
    """

    config: ExperimentConfig
    source: str
    scenario: Scenario
    weeks: int
    domains: dict[str, Domain]
    design: Design
    seed_plan: Mapping[str, int] | None = None
    _seeds: dict[tuple[str, int], list[int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.config.name

    @property
    def overrides(self) -> dict[str, Value]:
        """Fixed overrides applied to every run."""
        return dict(self.config.overrides)

    @property
    def runs_total(self) -> int:
        """Runs in the whole sweep: design points x seeds per point (the plan's, if adaptive)."""
        return sum(self.seeds_at(p.point_id) for p in self.design.points)

    def seeds_at(self, point_id: str) -> int:
        """Seeds planned at a design point: ``seeds.per_point``, or the adaptive plan's."""
        n = self.config.seeds.per_point
        if self.seed_plan is None:
            return n
        return max(n, int(self.seed_plan.get(point_id, n)))

    def with_plan(self, plan: Mapping[str, int] | None) -> Experiment:
        """This experiment with an adaptive plan of seeds per point (None: uniform)."""
        import dataclasses

        return dataclasses.replace(self, seed_plan=None if plan is None else dict(plan), _seeds={})

    @property
    def adaptive(self) -> bool:
        """True when the sweep adds seeds where the headline interval is wide (``--precision``)."""
        r = self.config.replication
        return r is not None and r.precision is not None

    @property
    def analysis_seed(self) -> int:
        """Seed of the analysis' bootstrap generator: ``[analysis] seed``, else the seeds' root."""
        a = self.config.analysis
        return self.config.seeds.root if a.seed is None else a.seed

    def seeds_for(self, point_id: str) -> list[int]:
        """The seeds of a design point's runs, by seed index (see ``derive_seeds``).

        As many as ``seeds_at(point_id)``; seed ``i`` does not depend on how many there are,
        so the seeds adaptive replication adds extend the first ones.
        """
        s = self.config.seeds
        n = self.seeds_at(point_id)
        key = ("" if s.common else point_id, n)
        if key not in self._seeds:
            self._seeds[key] = derive_seeds(s.root, n, None if s.common else point_id)
        return self._seeds[key]

    def identity(self) -> dict[str, Any]:
        """Everything that decides the runs' results (what the store's config hash covers)."""
        return {
            "scenario": self.scenario.model_dump(mode="json", by_alias=True),
            "overrides": _canonical(self.overrides),
            "weeks": self.weeks,
            "seeds": self.config.seeds.model_dump(),
            "design": [[p.point_id, _canonical(p.params)] for p in self.design.points],
        }

    def config_hash(self) -> str:
        """SHA-256 of ``identity()``: two sweeps with equal hashes produce the same runs."""
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def derive_seeds(root: int, n: int, point_id: str | None = None) -> list[int]:
    """Seeds for ``n`` runs: children of ``numpy.random.SeedSequence(root)``, as 63-bit integers.

    With common random numbers (``point_id`` None) seed ``i`` is the same at every design point,
    so effects against the baseline compare runs that share their random stream at the start.
    Otherwise each point gets its own family, keyed by its ``point_id`` (a hash of its values),
    so a point's seeds do not depend on the design's order or size. Either way seeds depend
    only on (root, point, seed index), never on workers or batching.
    """
    if point_id is None:
        seq = np.random.SeedSequence(root)
    else:
        seq = np.random.SeedSequence(root, spawn_key=(int(point_id.removeprefix("p"), 16),))
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in seq.spawn(n)]


def resolve(
    config: ExperimentConfig | str | Path,
    *,
    source: str | None = None,
    seeds: int | None = None,
    weeks: int | None = None,
    scenario: Scenario | None = None,
    precision: float | None = None,
    max_seeds: int | None = None,
) -> Experiment:
    """Check a config against its scenario and build the design.

    Args:
        config: A validated config, or the path of a config file.
        source: Name of the config file (for errors) when ``config`` is already parsed.
        seeds: Replace ``seeds.per_point`` (a quick trial).
        weeks: Replace ``weeks`` (a quick trial).
        scenario: Use this scenario instead of loading ``config.scenario`` (reopening a store).
        precision: Replace ``[replication] precision`` (``sweep --precision``).
        max_seeds: Replace ``[replication] max_seeds`` (``sweep --max-seeds``).

    Raises:
        ConfigError: an unknown parameter or outcome, a range outside a parameter's domain, an
            empty design, a missing scenario... naming the config file and the field.
    """
    if not isinstance(config, ExperimentConfig):
        source = str(config)
        config = load_config(config)
    src = source or "<config>"
    update: dict[str, Any] = {}
    if seeds is not None:
        if not 1 <= seeds <= lim.MAX_SEEDS:
            raise ConfigError(
                "--seeds",
                None,
                f"{seeds} is not allowed; allowed: 1 to {lim.grouped(lim.MAX_SEEDS)}",
            )
        update["seeds"] = config.seeds.model_copy(update={"per_point": seeds})
    if weeks is not None:
        if not 1 <= weeks <= lim.MAX_WEEKS:
            raise ConfigError(
                "--weeks",
                None,
                f"{weeks} is not allowed; allowed: 1 to {lim.grouped(lim.MAX_WEEKS)}",
            )
        update["weeks"] = weeks
    if update:
        config = config.model_copy(update=update)
    config = _replication(config, precision, max_seeds, src)
    if scenario is None:
        scenario = _load_scenario(config.scenario, src)
    # Every mistake at once: outcomes, overrides and the design are checked independently.
    errors = _check_outcomes(config, src)
    domains_all = scenario_domains(scenario)
    errors += _check_overrides(config, domains_all, src)
    try:
        _check_design_size(config, domains_all, src)
        design = build_design(
            config.design,
            domains_all,
            baseline=config.baseline,
            default_seed=config.seeds.root,
            source=src,
        )
    except ConfigError as exc:
        raise_errors([*errors, exc])
        raise
    raise_errors(errors)
    domains = {name: domains_all[name] for name in design.parameters}
    exp = Experiment(
        config=config,
        source=src,
        scenario=scenario,
        weeks=int(config.weeks or scenario.meta.weeks),
        domains=domains,
        design=design,
    )
    _check_report_points(exp, src)
    if exp.runs_total > lim.MAX_RUNS:
        raise ConfigError(
            src,
            "seeds.per_point",
            f"{len(design.points):,} design points x {config.seeds.per_point:,} seeds = "
            f"{exp.runs_total:,} runs; allowed: at most {lim.grouped(lim.MAX_RUNS)} runs per sweep",
        )
    _check_robustness(exp, src)
    cap = exp.config.replication.max_seeds if exp.config.replication else None
    if cap is not None and len(design.points) * cap > lim.MAX_RUNS:
        raise ConfigError(
            "--max-seeds" if max_seeds is not None else src,
            None if max_seeds is not None else "replication.max_seeds",
            f"{len(design.points):,} design points x {cap:,} seeds = "
            f"{len(design.points) * cap:,} runs; allowed: at most {lim.grouped(lim.MAX_RUNS)} "
            "runs per sweep",
        )
    return exp


def _replication(
    config: ExperimentConfig, precision: float | None, max_seeds: int | None, src: str
) -> ExperimentConfig:
    """Apply ``--precision``/``--max-seeds`` over ``[replication]``, fill in the default cap."""
    rep = config.replication or Replication()
    flag = {"precision": precision is not None, "max_seeds": max_seeds is not None}

    def where(key: str) -> tuple[str, str | None]:
        return ("--" + key.replace("_", "-"), None) if flag[key] else (src, f"replication.{key}")

    if precision is not None:
        if not math.isfinite(precision) or precision <= 0:
            raise ConfigError(
                "--precision", None, f"{precision} is not allowed; allowed: a number above 0"
            )
        rep = rep.model_copy(update={"precision": float(precision)})
    if max_seeds is not None:
        rep = rep.model_copy(update={"max_seeds": int(max_seeds)})
    if rep.precision is None:
        if rep.max_seeds is not None:
            name, field_name = where("max_seeds")
            raise ConfigError(
                name,
                field_name,
                "needs a precision target (--precision W, or [replication] precision = W)",
            )
        return (
            config
            if config.replication is None
            else config.model_copy(update={"replication": None})
        )
    n = config.seeds.per_point
    if rep.max_seeds is None:
        from escalation_sim.experiments.brief import seeds_for_precision

        if "isis_resurgence" in config.outcomes and rep.precision < 1:
            cap = seeds_for_precision(rep.precision / 2, config.analysis.confidence)
        else:
            cap = 4 * n
        rep = rep.model_copy(update={"max_seeds": min(lim.MAX_SEEDS, max(n, cap))})
    elif rep.max_seeds < n:
        name, field_name = where("max_seeds")
        raise ConfigError(
            name,
            field_name,
            f"{rep.max_seeds} is below the {n} seeds per point the sweep starts with; allowed: "
            f"{n} to {lim.grouped(lim.MAX_SEEDS)}",
        )
    return config.model_copy(update={"replication": rep})


def design_rows(table: DesignTable | None, domains: Mapping[str, Domain]) -> tuple[int, str]:
    """Rows the sampler of ``table`` will produce, and the field that sets them.

    Computed from the settings alone (nothing is sampled), so an oversized design is refused
    before it exists.
    """
    if table is None:
        return 1, "design"
    d = len(table.parameters)
    if table.sampler == "grid":
        rows = 1
        for name, rng in table.parameters.items():
            dom = domains.get(name)
            if rng.values is not None:
                n = len(rng.values)
            elif dom is not None and dom.kind == "switch":
                n = 2
            else:
                n = rng.levels or 1
            rows *= max(1, n)
        return rows, "design.parameters"
    if table.sampler == "morris":
        return (table.trajectories or 0) * (d + 1), "design.trajectories"
    n = table.samples or 0
    if table.sampler == "sobol":
        rows = n * (2 * d + 2 if table.second_order else d + 2)
        return rows + (table.screening or 0) * (d + 1), "design.samples"
    return n, "design.samples"


def _check_design_size(config: ExperimentConfig, domains: Mapping[str, Domain], src: str) -> None:
    rows, where = design_rows(config.design, domains)
    if rows > lim.MAX_DESIGN_ROWS:
        raise ConfigError(
            src,
            where,
            f"the design would have {rows:,} rows; allowed: at most "
            f"{lim.grouped(lim.MAX_DESIGN_ROWS)} (fewer levels, samples or trajectories)",
        )


def _check_robustness(exp: Experiment, source: str) -> None:
    rob = exp.config.robustness
    if rob is None:
        return
    params = list(exp.design.parameters)
    for key in ("levers", "uncertainties"):
        for i, name in enumerate(getattr(rob, key)):
            if name not in params:
                raise ConfigError(
                    source,
                    f"robustness.{key}[{i}]",
                    f"{name!r} is not a design parameter; allowed: {', '.join(params) or 'none'}",
                )
    both = sorted(set(rob.levers) & set(rob.uncertainties))
    if both:
        raise ConfigError(
            source, "robustness.uncertainties", f"{both[0]!r} is also a lever; name it once"
        )
    if exp.design.sampler != "grid":
        raise ConfigError(
            source,
            "robustness",
            "needs every lever setting run in every state of the world: a grid design",
        )
    if rob.outcome not in exp.config.outcomes or rob.outcome != "isis_resurgence":
        raise ConfigError(
            source,
            "robustness.outcome",
            "allowed: isis_resurgence (a yes/no outcome), listed in outcomes",
        )


def scenario_domains(scenario: Scenario) -> dict:
    """Every parameter and mechanism switch of a scenario as a ``Domain``, default its value.

    (A fixed override cannot also be a design parameter, so the defaults the baseline falls back
    on are the scenario's own.)
    """
    out: dict[str, Domain] = {}
    for name, prm in scenario.parameters.items():
        kind = "int" if prm.is_int else "float"
        out[name] = Domain(name, kind, prm.min, prm.max, prm.value, prm.doc, prm.unit)
    for name, on in scenario.mechanisms.items():
        key = f"mechanisms.{name}"
        out[key] = Domain(key, "switch", False, True, on, "switch", "")
    for alias, targets in MECHANISM_ALIASES.items():  # an old name that sets several switches
        key = f"mechanisms.{alias}"
        on = all(scenario.mechanisms.get(t, False) for t in targets)
        out[key] = Domain(key, "switch", False, True, on, f"switch: {' + '.join(targets)}", "")
    return out


def _scenario_ref(ref: str, source: str) -> str:
    """A config's scenario reference, a relative path taken relative to the config file."""
    path = Path(ref)
    if ref not in bundled_scenarios() and not path.is_absolute() and source != "<config>":
        candidate = Path(source).parent / path  # paths are relative to the config file
        if candidate.is_file():
            return str(candidate)
    return ref


def sweep_provenance(exp: Experiment) -> dict[str, Any]:
    """The provenance record of a sweep (``escalation_sim.provenance``).

    The scenario file and its hash, the git commit, the versions; the file is None when it
    cannot be found any more.
    """
    from escalation_sim.provenance import provenance

    try:
        path: Path | None = resolve_scenario_path(_scenario_ref(exp.config.scenario, exp.source))
    except ConfigError:
        path = None
    return provenance(path)


def _load_scenario(ref: str, source: str) -> Scenario:
    ref = _scenario_ref(ref, source)
    try:
        resolve_scenario_path(ref)
    except ConfigError as exc:
        raise ConfigError(source, "scenario", f"{exc.message} (got {ref!r})") from None
    return load_scenario(ref)


def _check_outcomes(config: ExperimentConfig, source: str) -> list[ConfigError]:
    errors = []
    for i, name in enumerate(config.outcomes):
        if name not in RUN_OUTCOMES:
            errors.append(
                ConfigError(
                    source,
                    f"outcomes[{i}]",
                    f"unknown run-level outcome {name!r}; {allowed_ids(name, RUN_OUTCOMES)}",
                )
            )
    for i, name in enumerate(config.report.timeseries):
        if name not in WEEKLY_OUTCOMES:
            errors.append(
                ConfigError(
                    source,
                    f"report.timeseries[{i}]",
                    f"unknown weekly outcome {name!r}; {allowed_ids(name, WEEKLY_OUTCOMES)}",
                )
            )
    return errors


def _check_overrides(
    config: ExperimentConfig, domains: dict[str, Domain], source: str
) -> list[ConfigError]:
    design_params = set(config.design.parameters) if config.design else set()
    errors = []
    for key, value in config.overrides.items():
        field_name = f"overrides.{key}"
        dom = domains.get(key.removeprefix("parameters."))
        if dom is None:
            near = allowed_ids(key, domains)
            hint = f"; {near}" if near.startswith("did you mean") else ""
            errors.append(
                ConfigError(
                    source,
                    field_name,
                    "unknown parameter; allowed: a parameter of the scenario (see "
                    f"`escalation-sim params`) or mechanisms.<switch>{hint}",
                )
            )
        elif dom.name in design_params:
            errors.append(
                ConfigError(source, field_name, "also a design parameter; set it in one place only")
            )
        else:
            try:
                dom.check(value, source, field_name)
            except ConfigError as exc:
                errors.append(exc)
    return errors


def _check_report_points(exp: Experiment, source: str) -> None:
    for i, values in enumerate(exp.config.report.points):
        field_name = f"report.points[{i}]"
        unknown = sorted(set(values) - set(exp.design.parameters))
        if unknown:
            raise ConfigError(
                source,
                f"{field_name}.{unknown[0]}",
                f"not a design parameter; allowed: {', '.join(exp.design.parameters) or 'none'}",
            )
        if exp.design.find(values) is None:
            raise ConfigError(source, field_name, "not a point of the design")


def _canonical(values: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in sorted(values.items()):
        if isinstance(value, float) and math.isfinite(value):
            value = float(f"{value:.12g}")
        out[key] = value
    return out
