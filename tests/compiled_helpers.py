"""Hashes of small runs, printed by a subprocess of ``tests/test_compiled.py``.

Run as a script so that the test can start it twice: compiled, and with ``NUMBA_DISABLE_JIT=1``
(numba's switch that runs the same kernels as plain Python, the uncompiled reference).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from escalation_sim.model import EscalationModel
from escalation_sim.outcomes import outcomes_from_columns

#: The December 2024 path, as in ``scripts/hash_runs.py``.
DECEMBER_2024 = {"syria_collapse": 1.0, "collapse_guard_loss": 0.1}

#: (scenario, overrides, seed, weeks): the three bundled scenarios, and switches that change
#: what the compiled kernels see (sectarian targeting, forces present, ISIS's recruits).
CASES: tuple[tuple[str, dict[str, Any], int, int], ...] = (
    ("iraq_syria_2024", {}, 0, 40),
    ("iraq_syria_2024", {}, 1, 40),
    ("iraq_syria_2024", DECEMBER_2024, 2, 40),
    ("iraq_syria_2024", {**DECEMBER_2024, "mechanisms.sunni_syria_backlash": False}, 3, 40),
    ("iraq_syria_2024", {**DECEMBER_2024, "mechanisms.counter_terrorism": False}, 4, 40),
    ("iraq_syria_2024", {**DECEMBER_2024, "mechanisms.recruitment": False}, 5, 30),
    ("hindcast_2013", {}, 0, 60),
    ("hindcast_2013", {"mechanisms.town_control": False}, 1, 60),
    ("history_dec2024", {}, 0, 40),
)


def digest(scenario: str, overrides: dict[str, Any], seed: int, weeks: int) -> str:
    """SHA-256 of a lean run's weekly series, events and outcomes."""
    model = EscalationModel(scenario, overrides, rng=seed, lean=True)
    model.run_for(weeks)
    assert model.recorder is not None
    h = hashlib.sha256()
    h.update(model.timeseries().to_csv().encode())
    h.update(model.events_frame().to_csv().encode())
    outcomes = outcomes_from_columns(model.recorder.columns(), model.p)
    h.update(json.dumps(outcomes, sort_keys=True).encode())
    return h.hexdigest()


if __name__ == "__main__":
    from escalation_sim.kernels.attacks import attack_targets

    # numba's dispatcher has signatures; with NUMBA_DISABLE_JIT=1 the kernel is the function.
    print("compiled" if hasattr(attack_targets, "signatures") else "plain")
    for case in CASES:
        print(digest(*case), flush=True)
