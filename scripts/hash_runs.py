"""Print one SHA-256 per run of a fixed set of runs, for checking that a refactor is bit-identical.

Each hash covers a run's weekly series (``timeseries.to_csv()``), its events (``events.to_csv()``)
and its run-level outcomes (``json.dumps(outcomes, sort_keys=True)``); Parquet bytes are not
stable, so text forms are hashed. The set: the default scenario with seeds 0-2; a partial
collapse (``syria_collapse=0.9``); the December 2024 path (``syria_collapse=1``,
``collapse_guard_loss=0.1``); that path with each mechanism switched off in turn; the 2013
hindcast over its full horizon; a synthetic theatre of three copies of the default scenario.

With ``--lean`` the same set runs on the lean path (``EscalationModel(lean=True)``: weekly
outcomes in preallocated arrays, no DataCollector; run-level outcomes from the arrays,
``outcomes.outcomes_from_columns``): the hashes must equal the default path's.

With ``--sweep`` it hashes what sweeps store instead: two small sweeps run in this process
(``run_sweep``, one worker), one hash per run over its ``runs`` row (without ``seconds``, the
run's wall time) and its weekly rows in ``timeseries/``. The designs cross levers with mechanism
switches on both scenarios (``SWEEPS``).

Usage::

    python scripts/hash_runs.py > before.txt     # before a change
    python scripts/hash_runs.py | diff before.txt -   # after it: no output means bit-identical
    python scripts/hash_runs.py --lean | diff before.txt -    # the lean path: the same hashes
    python scripts/hash_runs.py --sweep > sweep-before.txt   # the same for sweep outputs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
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
    scenario: str | Scenario,
    overrides: dict[str, Any],
    seed: int,
    weeks: int | None,
    lean: bool = False,
) -> str:
    """SHA-256 of a run's weekly series, events and outcomes (``lean``: on the lean path)."""
    if lean:
        from escalation_sim.model import EscalationModel
        from escalation_sim.outcomes import outcomes_from_columns

        model = EscalationModel(scenario, overrides, rng=seed, lean=True)
        model.run_for(int(weeks if weeks is not None else model.spec.meta.weeks))
        assert model.recorder is not None
        columns = model.recorder.columns()
        timeseries, events = model.timeseries(), model.events_frame()
        result_outcomes = outcomes_from_columns(columns, model.p)
    else:
        result = run(scenario, overrides, seed=seed, weeks=weeks)
        assert result.events is not None
        timeseries, events, result_outcomes = result.timeseries, result.events, result.outcomes
    h = hashlib.sha256()
    h.update(timeseries.to_csv().encode())
    h.update(events.to_csv().encode())
    h.update(json.dumps(result_outcomes, sort_keys=True).encode())
    return h.hexdigest()


#: The sweeps of ``--sweep``: levers crossed with switches, on both scenarios (20 runs in all).
SWEEPS = {
    "december_2024": """
name = "hash_december_2024"
weeks = 52
[seeds]
root = 7
per_point = 2
[overrides]
syria_collapse = 1.0
collapse_guard_loss = 0.1
[design]
sampler = "grid"
[design.parameters]
border_hardening = { values = [0.0, 0.9] }
"mechanisms.recruitment" = { values = [true, false] }
"mechanisms.militia_autonomy" = { values = [true, false] }
[baseline]
border_hardening = 0.0
"mechanisms.recruitment" = true
"mechanisms.militia_autonomy" = true
""",
    "hindcast_2013": """
name = "hash_hindcast_2013"
scenario = "hindcast_2013"
[seeds]
root = 11
per_point = 2
[design]
sampler = "grid"
[design.parameters]
"mechanisms.counter_terrorism" = { values = [true, false] }
[baseline]
"mechanisms.counter_terrorism" = true
""",
}


def sweep_digests() -> Iterator[str]:
    """``<hash>  <sweep> <point> seed=<i>`` for every run of the ``SWEEPS``."""
    from escalation_sim.experiments import run_sweep
    from escalation_sim.experiments.config import parse_config

    for name, text in SWEEPS.items():
        with tempfile.TemporaryDirectory(prefix="hash-sweep-") as tmp:
            results = run_sweep(parse_config(text), f"{tmp}/out", workers=1, progress=False)
            key = ["point_id", "seed_index"]
            runs = results.runs.drop(columns=["seconds"]).sort_values(key)
            ts = results.timeseries().sort_values([*key, "week"])
            by_run = dict(iter(ts.groupby(key, sort=False)))
            for _, row in runs.iterrows():
                h = hashlib.sha256()
                h.update(row.to_frame().T.to_csv(index=False).encode())
                weekly = by_run.get((row.point_id, row.seed_index))
                if weekly is not None:
                    h.update(weekly.reset_index(drop=True).to_csv().encode())
                yield f"{h.hexdigest()}  {name} {row.point_id} seed={row.seed_index}"


def main() -> None:
    """Print ``<hash>  <label>`` for every run of the set (or of the sweeps, ``--sweep``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sweep", action="store_true", help="hash the outputs of two small sweeps")
    ap.add_argument("--lean", action="store_true", help="run the set on the lean path")
    args = ap.parse_args()
    if args.sweep:
        for line in sweep_digests():
            print(line, flush=True)
        return
    for label, scenario, overrides, seed, weeks in cases():
        print(f"{digest(scenario, overrides, seed, weeks, args.lean)}  {label}", flush=True)


if __name__ == "__main__":
    main()
