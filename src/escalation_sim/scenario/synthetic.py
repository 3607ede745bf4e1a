"""Synthetic scenarios for scaling studies: a theatre replicated k times, as one valid ``Scenario``.

``replicate(scenario, k)`` lays k copies of a scenario's region network side by side on a grid
and joins each copy to its grid neighbours by roads, so the model sees one connected network with
k times the regions, border segments, units and agents. Everything the scenario says about
actors (roles, links, affinities), parameters and mechanism switches is kept as it is: the copies
share the same states, militias and ISIS, and the same parameter values. Copy 0 keeps the
original ids; copy i > 0 suffixes every region, unit and border segment id with ``_i``.

This is a device for measuring cost (``benchmarks/bench_scaling.py``), not a model of anything:
some mechanisms act on the whole theatre (HTS attacks on at most ``hts_axes`` fronts a week, Iran
picks one deployment target, the resurgence thresholds count all Iraqi regions), so a k-fold
theatre does not behave like k independent ones.
"""

from __future__ import annotations

import math
from typing import Any

from escalation_sim.scenario.schema import Scenario

#: Degrees left between neighbouring copies on the map.
MARGIN = 2.0


def replicate(scenario: Scenario | None = None, copies: int = 1) -> Scenario:
    """The scenario's theatre ``copies`` times over, connected, validated as a ``Scenario``.

    Args:
        scenario: The scenario to replicate (default: the bundled ``iraq_syria_2024``).
        copies: How many copies (1 returns the scenario under a new name).

    Returns:
        A scenario named ``<name>_x<copies>`` with ``copies`` times the regions, roads (plus two
        roads joining each pair of neighbouring copies), border segments, units and timeline
        entries of the original.

    Raises:
        ValueError: ``copies`` is below 1, or the scenario has no non-external region to join
            copies by.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, not {copies}")
    if scenario is None:
        from escalation_sim.scenario.loader import load_scenario

        scenario = load_scenario()
    base = scenario.model_dump(mode="python", by_alias=True)
    cols = math.ceil(math.sqrt(copies))
    rows = math.ceil(copies / cols)
    dlon, dlat = _spacing(scenario, cols, rows)

    doc: dict[str, Any] = {
        **base,
        "meta": {
            **base["meta"],
            "name": f"{scenario.meta.name}_x{copies}",
            "title": f"{scenario.meta.title} (synthetic: {copies} copies)",
            "description": f"{copies} copies of {scenario.meta.name}, joined by roads "
            "(escalation_sim.scenario.synthetic)",
        },
        "regions": [],
        "roads": [],
        "border_segments": [],
        "units": [],
        "timeline": [],
    }
    for i in range(copies):
        row, col = divmod(i, cols)
        shift = ((col - (cols - 1) / 2) * dlon, ((rows - 1) / 2 - row) * dlat)
        doc["regions"] += [_region(r, i, shift) for r in base["regions"]]
        doc["roads"] += [{**r, "a": _id(r["a"], i), "b": _id(r["b"], i)} for r in base["roads"]]
        doc["border_segments"] += [
            {
                **s,
                "id": _id(s["id"], i),
                "iraq_region": _id(s["iraq_region"], i),
                "syria_region": _id(s["syria_region"], i),
            }
            for s in base["border_segments"]
        ]
        doc["units"] += [_unit(u, i) for u in base["units"]]
        doc["timeline"] += [
            _entry(e, i)
            for e in base["timeline"]
            if i == 0 or e["action"] != "set_parameter"  # parameters change once, for all
        ]
    doc["roads"] += _joins(scenario, copies, cols)
    return Scenario.model_validate(doc)


def _id(name: str, copy: int) -> str:
    return name if copy == 0 else f"{name}_{copy}"


def _region(region: dict[str, Any], copy: int, shift: tuple[float, float]) -> dict[str, Any]:
    return {
        **region,
        "id": _id(region["id"], copy),
        "lon": round(region["lon"] + shift[0], 4),
        "lat": round(region["lat"] + shift[1], 4),
    }


def _unit(unit: dict[str, Any], copy: int) -> dict[str, Any]:
    out = {**unit, "id": _id(unit["id"], copy), "region": _id(unit["region"], copy)}
    if unit.get("home") is not None:
        out["home"] = _id(unit["home"], copy)
    return out


def _entry(entry: dict[str, Any], copy: int) -> dict[str, Any]:
    out = dict(entry)
    for key in ("unit", "region"):
        if out.get(key) is not None:
            out[key] = _id(out[key], copy)
    if out.get("add") is not None:
        out["add"] = _unit(out["add"], copy)
    return out


def _joins(scenario: Scenario, copies: int, cols: int) -> list[dict[str, Any]]:
    """Roads joining each copy to its right and lower neighbours on the grid.

    Two roads per pair: between the copies' first Iraqi regions and between their first Syrian
    regions (first in file order, border states excluded); or, for a scenario with neither,
    between their first regions that are not border states.
    """
    inner = [r for r in scenario.regions if not r.external]
    if not inner:
        raise ValueError("the scenario has no region that is not a border state to join copies by")
    gates = [
        next(r.id for r in inner if r.country == c)
        for c in ("IRQ", "SYR")
        if any(r.country == c for r in inner)
    ] or [inner[0].id]
    roads = []
    for i in range(copies):
        col = i % cols
        for j in (i + 1 if col + 1 < cols else None, i + cols):
            if j is None or j >= copies:
                continue
            roads += [
                {
                    "a": _id(g, i),
                    "b": _id(g, j),
                    "name": f"synthetic link {i}-{j}",
                    "kind": "road",
                    "source": "synthetic: joins copies of the theatre (scenario.synthetic)",
                }
                for g in gates
            ]
    return roads


def _spacing(scenario: Scenario, cols: int, rows: int) -> tuple[float, float]:
    """Degrees between copies: the theatre's extent plus a margin, squeezed to stay on the map."""
    lons = [r.lon for r in scenario.regions]
    lats = [r.lat for r in scenario.regions]
    dlon = max(lons) - min(lons) + MARGIN
    dlat = max(lats) - min(lats) + MARGIN
    # Keep every copy within [-180, 180] x [-90, 90], overlapping on the map if it must.
    room_lon = 360.0 - 2 * max(abs(x) for x in lons) - 1.0
    room_lat = 180.0 - 2 * max(abs(y) for y in lats) - 1.0
    if cols > 1:
        dlon = min(dlon, max(room_lon, 0.0) / (cols - 1))
    if rows > 1:
        dlat = min(dlat, max(room_lat, 0.0) / (rows - 1))
    return dlon, dlat
