"""``escalation-sim check FILE``: validate a scenario or an experiment config without running it.

Errors are what ``run`` or ``sweep`` would refuse, all of them at once, one line each (the
schema's checks, the model's required parameters and switches, an experiment's outcomes,
overrides and design). Warnings are legal but suspicious things in a scenario:

* border segments whose lengths do not add up to the border (``meta.border_length_km``);
* segment walls that no longer match ``border_hardening_2024``, the lever value the segment data
  are meant to describe, so that the default ``border_hardening`` means another border;
* regions in a part of the network that no border reaches (no Iraq-Syria segment, no border
  state);
* actors with no units that hold no region and play no role;
* parameters at the edge of their range (a sweep or ``--set`` cannot go past them).

Exit status 0 when there are no errors (warnings or not), 2 when there are errors.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from escalation_sim.errors import ConfigError, ConfigErrors
from escalation_sim.scenario.loader import (
    bundled_scenarios,
    parse_scenario,
    parse_toml,
    read_toml_file,
)
from escalation_sim.scenario.schema import Scenario, allowed_ids

#: How far the segments' total length may be from the border's length before a warning.
LENGTH_TOLERANCE = 0.01  # share of meta.border_length_km
#: How far the walled share of the border may be from ``border_hardening_2024``.
WALL_TOLERANCE = 0.05


@dataclass
class CheckReport:
    """What ``check`` found in one file.

    Attributes:
        source: The file.
        kind: ``scenario``, ``experiment`` or ``unknown``.
        errors: Mistakes that ``run`` or ``sweep`` would refuse, one per line.
        warnings: Legal but suspicious things, one per line.
        summary: One line on what the file holds (empty when it has errors).
    """

    source: str
    kind: str = "unknown"
    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: str = ""

    def output(self) -> list[str]:
        """What ``check`` prints on stdout for a file without errors: warnings, then a summary."""
        n = len(self.warnings)
        lines = [f"warning: {self.source}: {w}" for w in self.warnings]
        return [*lines, f"{self.source}: OK, {self.summary}; {n} warning{'s' if n != 1 else ''}"]


def check_file(path: str | Path) -> CheckReport:
    """Validate a scenario or experiment config (told apart by its keys) and collect warnings."""
    source = str(path)
    report = CheckReport(source)
    try:
        doc = parse_toml(read_toml_file(path, "scenario or experiment"), source)
        report.kind = _kind(doc, source)
        if report.kind == "scenario":
            _check_scenario(doc, report)
        else:
            _check_experiment(doc, report)
    except ConfigErrors as exc:
        report.errors.extend(exc.errors)
    except ConfigError as exc:
        report.errors.append(exc)
    return report


def _kind(doc: Mapping[str, Any], source: str) -> str:
    if "meta" in doc or "regions" in doc:
        return "scenario"
    if "name" in doc or {"design", "seeds", "overrides", "baseline"} & set(doc):
        return "experiment"
    raise ConfigError(
        source,
        None,
        "neither a scenario (it has no [meta] table) nor an experiment config (it has no name); "
        "allowed: a file like src/escalation_sim/scenario/data/*.toml or experiments/*.toml",
    )


def _check_scenario(doc: Mapping[str, Any], report: CheckReport) -> None:
    spec = parse_scenario(doc, source=report.source)
    report.errors.extend(model_problems(spec, report.source))
    if report.errors:
        return
    report.warnings.extend(scenario_warnings(spec))
    counts = [
        _count(len(spec.regions), "region"),
        _count(len(spec.border_segments), "border segment"),
        _count(len(spec.actors), "actor"),
        _count(len(spec.units), "unit"),
        _count(len(spec.parameters), "parameter"),
        _count(len(spec.timeline), "timeline entry", "timeline entries"),
    ]
    report.summary = f"scenario {spec.meta.name}: " + ", ".join(counts)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _check_experiment(doc: Mapping[str, Any], report: CheckReport) -> None:
    from escalation_sim.experiments.config import parse_config, resolve

    config = parse_config(doc, source=report.source)
    exp = resolve(config, source=report.source)
    report.errors.extend(model_problems(exp.scenario, f"{report.source}: scenario"))
    if report.errors:
        return
    if config.scenario not in bundled_scenarios():  # a scenario of the user's: check it too
        report.warnings += [
            f"scenario {config.scenario}: {w}" for w in scenario_warnings(exp.scenario)
        ]
    points = _count(len(exp.design.points), "design point")
    seeds = _count(exp.config.seeds.per_point, "seed")
    report.summary = (
        f"experiment {exp.name}: scenario {exp.scenario.meta.name}, {points} x {seeds} = "
        f"{_count(exp.runs_total, 'run')} of {_count(exp.weeks, 'week')}"
    )
    rep = exp.config.replication
    if rep is not None and rep.precision is not None and rep.max_seeds is not None:
        most = len(exp.design.points) * rep.max_seeds
        report.summary += (
            f", then adaptive replication to an interval width of {rep.precision:g}: up to "
            f"{_count(rep.max_seeds, 'seed')} per point ({_count(most, 'run')} at most)"
        )


def model_problems(spec: Scenario, source: str) -> list[ConfigError]:
    """Parameters and switches the model requires but the file lacks, or reads no such name."""
    from escalation_sim.mechanisms import MECHANISMS, REQUIRED_PARAMETERS

    errors = []
    for name in sorted(REQUIRED_PARAMETERS - set(spec.parameters)):
        errors.append(
            ConfigError(
                source,
                f"parameters.{name}",
                "required by the model but missing from the file (or set [meta] "
                "parameters_from to a bundled scenario to take its parameters)",
            )
        )
    for name in sorted(set(spec.parameters) - REQUIRED_PARAMETERS):
        near = allowed_ids(name, REQUIRED_PARAMETERS)
        hint = f"; {near}" if near.startswith("did you mean") else ""
        errors.append(
            ConfigError(
                source,
                f"parameters.{name}",
                f"unknown parameter; the model reads no such name{hint}",
            )
        )
    for name in sorted(set(MECHANISMS) - set(spec.mechanisms)):
        errors.append(
            ConfigError(source, f"mechanisms.{name}", "switch missing; allowed: true or false")
        )
    for name in sorted(set(spec.mechanisms) - set(MECHANISMS)):
        errors.append(
            ConfigError(
                source, f"mechanisms.{name}", f"unknown switch; {allowed_ids(name, MECHANISMS)}"
            )
        )
    return errors


def scenario_warnings(spec: Scenario) -> list[str]:
    """Legal but suspicious things in a valid scenario, one line each (see the module doc)."""
    out: list[str] = []
    segs = spec.border_segments
    border = spec.meta.border_length_km
    total = sum(s.length_km for s in segs)
    if segs and abs(total - border) > LENGTH_TOLERANCE * border:
        longest = max(segs, key=lambda s: s.length_km)
        out.append(
            f"border_segments.length_km: the segments add up to {total:,.0f} km but the border is "
            f"{border:,.0f} km (meta.border_length_km); the longest is {longest.id} at "
            f"{longest.length_km:,.0f} km. Correct a length, or set border_length_km"
        )
    anchor = spec.parameters.get("border_hardening_2024")
    if segs and total > 0 and anchor is not None:
        walled = sum(s.length_km * s.wall for s in segs) / total
        if abs(walled - float(anchor.value)) > WALL_TOLERANCE:
            lever = spec.parameters.get("border_hardening")
            default = f" (default {lever.value})" if lever is not None else ""
            out.append(
                f"border_segments.wall: the segments are {walled:.0%} walled but "
                f"border_hardening_2024 = {anchor.value} says they are the lever's "
                f"{anchor.value} point, so border_hardening{default} now means another border; "
                f"if the walls changed, set border_hardening_2024 (and border_hardening) to "
                f"{walled:.2f}"
            )
    out.extend(_unreachable(spec))
    busy = {u.actor for u in spec.units} | {e.add.actor for e in spec.timeline if e.add}
    busy |= {r.controller for r in spec.regions} | set(spec.roles.values())
    busy |= {e.controller for e in spec.timeline if e.controller}
    for a in spec.actors:
        if a.id not in busy:
            out.append(
                f"actors[{a.id}]: no units, holds no region and plays no role; it acts only "
                "through its links (add a [[units]] entry if it fights)"
            )
    edge = [
        f"{name} = {p.value} ({'min' if p.value == p.min else 'max'})"
        for name, p in spec.parameters.items()
        if p.min < p.max and p.value in (p.min, p.max)
    ]
    if edge:
        out.append(
            "parameters: at the edge of their range (a sweep or --set cannot go past it): "
            + ", ".join(edge)
        )
    return out


def _unreachable(spec: Scenario) -> list[str]:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(r.id for r in spec.regions)
    graph.add_edges_from((r.a, r.b) for r in spec.roads)
    graph.add_edges_from((s.iraq_region, s.syria_region) for s in spec.border_segments)
    borders = {s.iraq_region for s in spec.border_segments}
    borders |= {r.id for r in spec.regions if r.external}
    out = []
    for part in nx.connected_components(graph):
        if not part & borders:
            ids = ", ".join(sorted(part))
            out.append(
                f"regions: {ids} cannot be reached from any border (no Iraq-Syria segment or "
                "border state in their part of the network); add a road joining them"
            )
    return out


# ---------------------------------------------------------------------------------------------
# CLI


def add_check(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim check FILE``."""
    p = sub.add_parser(
        "check",
        help="validate a scenario or an experiment config without running it",
        description="Validate a scenario or an experiment config (told apart by its keys) "
        "without running it. Prints every error, one line each (the first 20, then a count), "
        "and warnings about legal but suspicious things: segment lengths that do not add up to "
        "the border, walls that move the meaning of border_hardening, regions no border "
        "reaches, actors with no units, parameters at the edge of their range. Exit status 0 "
        "with or without warnings, 2 with errors.",
    )
    p.add_argument("file", type=Path, help="a scenario (.toml) or an experiment config (.toml)")
    p.add_argument("--quiet", action="store_true", help="print errors only, no warnings or summary")
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """Print the check's errors (stderr), warnings and summary (stdout); 2 if any error."""
    report = check_file(args.file)
    if report.errors:
        raise ConfigErrors(report.errors)  # printed one line each by the CLI, exit 2
    if not args.quiet:
        print("\n".join(report.output()))
    return 0
