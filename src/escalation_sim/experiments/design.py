"""Designs: which parameter values an experiment runs.

Four samplers: ``grid`` (full factorial over listed or evenly spaced levels), ``lhs`` (Latin
hypercube), ``sobol`` (Saltelli's scheme for Sobol indices) and ``morris`` (elementary-effect
trajectories), the last three through SALib. Bounds are checked against each parameter's
``[min, max]`` in the scenario; integer parameters are rounded (sampled over ``[min - 0.5,
max + 0.5]`` so every integer gets an equal share). Each distinct point gets a stable
``point_id``, a hash of its values, so it names the same point in every sweep and every file.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation_sim.errors import ConfigError

if TYPE_CHECKING:
    from escalation_sim.experiments.config import DesignTable, Range

SAMPLERS = ("grid", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class Domain:
    """What values a parameter (or mechanism switch) takes in the scenario."""

    name: str
    kind: str  # "float", "int" or "switch"
    min: Any
    max: Any
    default: Any
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, source: str, field_name: str) -> Any:
        """Return ``value`` in canonical form, or raise ConfigError if the domain excludes it."""
        if self.kind == "switch":
            if not isinstance(value, bool):
                raise ConfigError(
                    source, field_name, f"{value!r} is not a switch value; allowed: true or false"
                )
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "an integer" if self.kind == "int" else "a number"
            raise ConfigError(source, field_name, f"{value!r} is not {kind}; allowed: {kind}")
        if self.kind == "int" and not float(value).is_integer():
            raise ConfigError(source, field_name, f"{value!r} is not an integer; allowed: integers")
        if not math.isfinite(value) or not self.min <= value <= self.max:
            raise ConfigError(
                source,
                field_name,
                f"{value} is outside the domain of {self.name}; allowed: {self.min} to {self.max}",
            )
        return self.canonical(value)

    def canonical(self, value: Any) -> Any:
        """The value as the model gets it: rounded for integers, 12 significant digits else."""
        if self.kind == "switch":
            return bool(value)
        if self.kind == "int":
            return int(min(max(round(float(value)), self.min), self.max))
        return float(f"{float(value):.12g}")


@dataclass(frozen=True)
class DesignPoint:
    """One distinct point of a design.

    Attributes:
        point_id: Stable id, a hash of the values (``p`` + 12 hex digits).
        index: Position in the design (order of first appearance).
        params: Design parameter -> value.
        is_baseline: The point effects are measured against.
        in_design: False for a baseline that the design itself does not contain.
    """

    point_id: str
    index: int
    params: dict[str, Any]
    is_baseline: bool = False
    in_design: bool = True

    def label(self) -> str:
        """``border_hardening=0.5, syria_collapse=1`` (``scenario as is`` when empty)."""
        if not self.params:
            return "scenario as is"
        return ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())


@dataclass(frozen=True)
class Design:
    """A built design.

    Attributes:
        sampler: ``grid``, ``lhs``, ``sobol``, ``morris``, or ``none`` (baseline alone).
        parameters: Design parameter names, in config order.
        points: Distinct points to run (the baseline among them).
        rows: ``point_id`` of each sample row, in the sampler's order (SALib analyses need it;
            a row repeats a point when rounding makes two samples equal).
        samples: The sampler's raw matrix (rows x parameters) before rounding, or None.
        problem: SALib's problem dict, or None.
        levels: Grid only: each parameter's levels.
        settings: Sampler settings (samples, trajectories, levels, second_order, seed).
        screening: Sobol only, with ``screening = N`` in the table: a Morris design over the
            same parameters and bounds (its own ``rows`` and ``samples``), whose points are
            run with the Sobol points.
    """

    sampler: str
    parameters: tuple[str, ...]
    points: list[DesignPoint]
    rows: list[str]
    samples: np.ndarray | None = None
    problem: dict[str, Any] | None = None
    levels: dict[str, list[Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    screening: Design | None = None

    @property
    def baseline(self) -> DesignPoint:
        """The baseline point."""
        return next(p for p in self.points if p.is_baseline)

    def point(self, point_id: str) -> DesignPoint:
        """A point by its id."""
        return self._by_id()[point_id]

    def find(self, values: Mapping[str, Any]) -> DesignPoint | None:
        """The point whose values equal ``values`` (missing parameters: the baseline's)."""
        full = {**self.baseline.params, **values}
        pid = point_id({k: full.get(k) for k in self.parameters})
        return self._by_id().get(pid)

    def frame(self) -> pd.DataFrame:
        """One row per point: ``point``, ``point_id``, ``is_baseline``, ``in_design``, values."""
        rows = [
            {
                "point": p.index,
                "point_id": p.point_id,
                "is_baseline": p.is_baseline,
                "in_design": p.in_design,
                **p.params,
            }
            for p in self.points
        ]
        return pd.DataFrame(rows)

    def _by_id(self) -> dict[str, DesignPoint]:
        return {p.point_id: p for p in self.points}


def point_id(params: Mapping[str, Any]) -> str:
    """Stable id of a point: ``p`` + 12 hex digits of a hash of its canonical values."""
    text = json.dumps(dict(sorted(params.items())), sort_keys=True, separators=(",", ":"))
    return "p" + hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def build_design(
    table: DesignTable | None,
    domains: Mapping[str, Domain],
    *,
    baseline: Mapping[str, Any],
    default_seed: int,
    source: str,
) -> Design:
    """Build the design a ``[design]`` table describes (see the module docstring).

    Raises:
        ConfigError: unknown parameter, bounds outside the domain, empty design, settings that
            do not fit the sampler, a baseline outside the domain; naming the field.
    """
    if table is None:
        params: tuple[str, ...] = ()
        rows_values: list[dict[str, Any]] = [{}]
        extra: dict[str, Any] = {"sampler": "none"}
    else:
        params = tuple(table.parameters)
        if not params:
            raise ConfigError(
                source,
                "design.parameters",
                "empty design: name at least one parameter (e.g. [design.parameters] "
                "border_hardening = { min = 0.0, max = 1.0, levels = 5 }), or remove [design] "
                "to run the baseline alone",
            )
        for name in params:
            if name not in domains:
                raise ConfigError(
                    source,
                    f"design.parameters.{name}",
                    "unknown parameter; allowed: a parameter of the scenario (see "
                    "`escalation-sim params`) or mechanisms.<switch>",
                )
        _check_sampler_settings(table, source)
        if table.sampler == "grid":
            rows_values, extra = _grid(table, domains, source)
        else:
            rows_values, extra = _sampled(table, domains, default_seed, source)
    base = _baseline(baseline, params, domains, source)
    points: dict[str, DesignPoint] = {}

    def add(values_list: list[dict[str, Any]]) -> list[str]:
        ids = []
        for values in values_list:
            pid = point_id(values)
            ids.append(pid)
            if pid not in points:
                points[pid] = DesignPoint(pid, len(points), values, is_baseline=False)
        return ids

    rows = add(rows_values)
    screening = None
    if table is not None and table.screening is not None:
        morris_table = table.model_copy(
            update={"sampler": "morris", "trajectories": table.screening, "samples": None}
        )
        m_values, m_extra = _sampled(morris_table, domains, default_seed, source)
        screening = Design(
            sampler="morris",
            parameters=params,
            points=[],
            rows=add(m_values),
            samples=m_extra.pop("samples", None),
            problem=m_extra.pop("problem", None),
            settings={k: v for k, v in m_extra.items() if k != "sampler"},
        )
    base_id = point_id(base)
    if base_id in points:
        old = points[base_id]
        points[base_id] = DesignPoint(base_id, old.index, old.params, is_baseline=True)
    else:
        points[base_id] = DesignPoint(base_id, len(points), base, is_baseline=True, in_design=False)
    return Design(
        sampler=extra.pop("sampler", table.sampler if table else "none"),
        parameters=params,
        points=list(points.values()),
        rows=rows,
        samples=extra.pop("samples", None),
        problem=extra.pop("problem", None),
        levels=extra.pop("levels", {}),
        settings=extra,
        screening=screening,
    )


def _check_sampler_settings(table: DesignTable, source: str) -> None:
    s = table.sampler
    if s == "grid":
        for key in ("samples", "trajectories", "screening"):
            if getattr(table, key) is not None:
                raise ConfigError(
                    source,
                    f"design.{key}",
                    "not used by a grid; allowed with sampler = lhs, sobol or morris",
                )
        return
    if s in ("lhs", "sobol") and table.samples is None:
        raise ConfigError(source, "design.samples", f"required by sampler = {s!r}")
    if s == "sobol" and table.samples is not None and table.samples & (table.samples - 1):
        raise ConfigError(
            source,
            "design.samples",
            f"{table.samples} is not a power of 2; Sobol sequences need one (e.g. 64, 128, 256)",
        )
    if s == "morris" and table.trajectories is None:
        raise ConfigError(source, "design.trajectories", "required by sampler = 'morris'")
    if s != "morris" and table.trajectories is not None:
        raise ConfigError(source, "design.trajectories", "only used by sampler = 'morris'")
    if s == "morris" and table.samples is not None:
        raise ConfigError(source, "design.samples", "not used by morris; give trajectories")
    if s != "sobol" and table.screening is not None:
        raise ConfigError(
            source, "design.screening", "only used by sampler = 'sobol' (Morris trajectories)"
        )


def _grid(
    table: DesignTable, domains: Mapping[str, Domain], source: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    levels: dict[str, list[Any]] = {}
    for name, rng in table.parameters.items():
        levels[name] = _grid_levels(name, rng, domains[name], source)
    rows = [dict(zip(levels, combo, strict=True)) for combo in itertools.product(*levels.values())]
    return rows, {"levels": levels}


def _grid_levels(name: str, rng: Range, dom: Domain, source: str) -> list[Any]:
    where = f"design.parameters.{name}"
    if rng.values is not None:
        for key in ("min", "max", "levels"):
            if getattr(rng, key) is not None:
                raise ConfigError(
                    source, f"{where}.{key}", "give either values or min/max/levels, not both"
                )
        if not rng.values:
            raise ConfigError(source, f"{where}.values", "empty; list at least one value")
        out = [dom.check(v, source, f"{where}.values[{i}]") for i, v in enumerate(rng.values)]
        return _unique(out)
    if dom.kind == "switch":
        if any(getattr(rng, k) is not None for k in ("min", "max", "levels")):
            raise ConfigError(source, where, "a switch takes values = [true, false] only")
        return [True, False]
    if rng.levels is None:
        raise ConfigError(
            source, f"{where}.levels", "required for a grid (or list the values instead)"
        )
    lo, hi = _bounds(name, rng, dom, source)
    if rng.levels == 1 and lo != hi:
        raise ConfigError(source, f"{where}.levels", "1 level needs min = max; use 2 or more")
    raw = np.linspace(lo, hi, rng.levels)
    return _unique([dom.canonical(v) for v in raw])


def _sampled(
    table: DesignTable, domains: Mapping[str, Domain], default_seed: int, source: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from SALib.sample import latin, morris, sobol

    names = list(table.parameters)
    bounds, doms = [], []
    for name, rng in table.parameters.items():
        dom = domains[name]
        where = f"design.parameters.{name}"
        if dom.kind == "switch":
            raise ConfigError(
                source, where, f"a switch cannot be sampled by {table.sampler}; use a grid"
            )
        for key in ("values", "levels"):
            if getattr(rng, key) is not None:
                raise ConfigError(
                    source,
                    f"{where}.{key}",
                    f"only for a grid; give min and max for {table.sampler}",
                )
        lo, hi = _bounds(name, rng, dom, source)
        if lo >= hi:
            raise ConfigError(source, f"{where}.max", f"must be above min ({lo}) to sample")
        if dom.kind == "int":  # equal share for each integer once rounded
            lo, hi = lo - 0.5 + 1e-9, hi + 0.5 - 1e-9
        bounds.append([float(lo), float(hi)])
        doms.append(dom)
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    seed = default_seed if table.seed is None else table.seed
    settings: dict[str, Any] = {"seed": seed, "sampler": table.sampler, "problem": problem}
    if table.sampler == "lhs":
        x = latin.sample(problem, table.samples, seed=seed)
        settings["samples_n"] = table.samples
    elif table.sampler == "sobol":
        x = sobol.sample(problem, table.samples, calc_second_order=table.second_order, seed=seed)
        settings.update(samples_n=table.samples, second_order=table.second_order)
    else:
        x = morris.sample(problem, table.trajectories, num_levels=table.levels, seed=seed)
        settings.update(trajectories=table.trajectories, morris_levels=table.levels)
    rows = [{n: d.canonical(v) for n, d, v in zip(names, doms, row, strict=True)} for row in x]
    settings["samples"] = np.asarray(x)
    return rows, settings


def _bounds(name: str, rng: Range, dom: Domain, source: str) -> tuple[float, float]:
    where = f"design.parameters.{name}"
    lo = dom.min if rng.min is None else rng.min
    hi = dom.max if rng.max is None else rng.max
    for key, v in (("min", lo), ("max", hi)):
        if not dom.min <= v <= dom.max:
            raise ConfigError(
                source,
                f"{where}.{key}",
                f"{v} is outside the domain of {name}; allowed: {dom.min} to {dom.max}",
            )
    if lo > hi:
        raise ConfigError(source, f"{where}.min", f"{lo} is above max ({hi})")
    return lo, hi


def _baseline(
    values: Mapping[str, Any], params: Sequence[str], domains: Mapping[str, Domain], source: str
) -> dict[str, Any]:
    for key in values:
        if key not in params:
            raise ConfigError(
                source,
                f"baseline.{key}",
                f"not a design parameter; allowed: {', '.join(params) or 'none (no design)'}",
            )
    out = {}
    for name in params:
        dom = domains[name]
        if name in values:
            out[name] = dom.check(values[name], source, f"baseline.{name}")
        else:
            out[name] = dom.canonical(dom.default)
    return out


def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if not any(v == s and type(v) is type(s) for s in seen):
            seen.append(v)
    return seen


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
