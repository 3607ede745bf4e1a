"""Print one SHA-256 per run of a fixed set of runs, for checking that a refactor is bit-identical.

Each hash covers a run's weekly series (``timeseries.to_csv()``), its events (``events.to_csv()``)
and its run-level outcomes (``json.dumps(outcomes, sort_keys=True)``); Parquet bytes are not
stable, so text forms are hashed. The set: the default scenario with seeds 0-2; a partial
collapse (``syria_collapse=0.9``); the December 2024 path (``syria_collapse=1``,
``collapse_guard_loss=0.1``); that path with each mechanism switched off in turn; the 2013
hindcast over its full horizon; a synthetic theatre of three copies of the default scenario.

Usage::

    python scripts/hash_runs.py > before.txt     # before a change
    python scripts/hash_runs.py | diff before.txt -   # after it: no output means bit-identical
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from escalation_sim.run import run
from escalation_sim.scenario.loader import load_scenario
from escalation_sim.scenario.schema import Scenario
from escalation_sim.scenario.synthetic import replicate

#: The December 2024 path: the regime dissolves at once and the SDF keeps most of its guards.
DECEMBER_2024 = {"syria_collapse": 1.0, "collapse_guard_loss": 0.1}

#: The switches as the set was first hashed (isis_competition, decapitation and
#: sectarian_backlash are now aliases that set the two switches each was split into), so the
#: set stays the same runs.
SWITCHES = (
    "syria_chaos",
    "border_defence",
    "decapitation",
    "supply_interdiction",
    "intel_sharing",
    "iraq_balancing",
    "militia_autonomy",
    "shrine_defence",
    "sectarian_backlash",
    "israel_escalation",
    "isis_competition",
    "recruitment",
    "counter_terrorism",
)


def cases() -> Iterator[tuple[str, str | Scenario, dict[str, Any], int, int | None]]:
    """(label, scenario, overrides, seed, weeks) of every run in the set."""
    for seed in range(3):
        yield f"default seed={seed}", "iraq_syria_2024", {}, seed, None
    yield "syria_collapse=0.9", "iraq_syria_2024", {"syria_collapse": 0.9}, 0, None
    yield "december_2024", "iraq_syria_2024", dict(DECEMBER_2024), 0, None
    for name in SWITCHES:
        overrides = {**DECEMBER_2024, f"mechanisms.{name}": False}
        yield f"december_2024 {name}=off", "iraq_syria_2024", overrides, 1, None
    yield "hindcast_2013", "hindcast_2013", {}, 0, None
    yield "synthetic x3", replicate(load_scenario("iraq_syria_2024"), 3), {}, 0, 52


def digest(
    scenario: str | Scenario, overrides: dict[str, Any], seed: int, weeks: int | None
) -> str:
    """SHA-256 of a run's weekly series, events and outcomes."""
    result = run(scenario, overrides, seed=seed, weeks=weeks)
    h = hashlib.sha256()
    h.update(result.timeseries.to_csv().encode())
    assert result.events is not None
    h.update(result.events.to_csv().encode())
    h.update(json.dumps(result.outcomes, sort_keys=True).encode())
    return h.hexdigest()


def main() -> None:
    """Print ``<hash>  <label>`` for every run of the set."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.parse_args()
    for label, scenario, overrides, seed, weeks in cases():
        print(f"{digest(scenario, overrides, seed, weeks)}  {label}", flush=True)


if __name__ == "__main__":
    main()
