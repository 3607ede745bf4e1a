"""Shared helpers: cached batches of runs so statistical tests stay quick."""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from escalation_sim import run
from escalation_sim.scenario import load_scenario

SEEDS = 20  # seeds per arm of a statistical comparison


@functools.lru_cache(maxsize=64)
def _batch(overrides: tuple, seeds: int, weeks: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    outcomes, series = [], []
    for seed in range(seeds):
        r = run(overrides=dict(overrides), seed=seed, weeks=weeks)
        outcomes.append({"seed": seed, **r.outcomes})
        series.append(r.timeseries.assign(seed=seed))
    return pd.DataFrame(outcomes), pd.concat(series, ignore_index=True)


def batch(overrides: dict | None = None, seeds: int = SEEDS, weeks: int = 104):
    """Run-level outcomes and weekly series of ``seeds`` runs (cached across tests)."""
    return _batch(tuple(sorted((overrides or {}).items())), seeds, weeks)


@pytest.fixture(scope="session")
def scenario():
    return load_scenario()
