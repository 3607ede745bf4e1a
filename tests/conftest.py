"""Shared helpers: cached batches of runs so statistical tests stay quick; slow tests announced.

``make test`` runs pytest with ``-v``, so each test's name shows as it runs; the modules in
``SLOW_MODULES`` print a line before their first test, since they run for a long time with
nothing to show until each test ends.
"""

from __future__ import annotations

import functools
import tomllib
from collections import Counter

import pandas as pd
import pytest

from escalation_sim.outcomes import weekly_frame
from escalation_sim.run import run_lean
from escalation_sim.scenario import load_scenario, parse_scenario
from escalation_sim.scenario.loader import bundled_scenarios

SEEDS = 20  # seeds per arm of a statistical comparison


@functools.lru_cache(maxsize=64)
def _batch(overrides: tuple, seeds: int, weeks: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    # The lean path of sweeps (no DataCollector, no events table): its outcomes and weekly
    # table are bit-identical to run()'s (tests/test_lean.py), at less cost per run.
    outcomes, series = [], []
    for seed in range(seeds):
        r = run_lean(overrides=dict(overrides), seed=seed, weeks=weeks, weekly=True)
        assert r.weekly is not None
        outcomes.append({"seed": seed, **r.outcomes})
        series.append(weekly_frame(r.weekly, r.start_date).assign(seed=seed))
    return pd.DataFrame(outcomes), pd.concat(series, ignore_index=True)


def batch(overrides: dict | None = None, seeds: int = SEEDS, weeks: int = 104):
    """Run-level outcomes and weekly series of ``seeds`` runs (cached across tests)."""
    return _batch(tuple(sorted((overrides or {}).items())), seeds, weeks)


@pytest.fixture(scope="session")
def scenario():
    return load_scenario()


@pytest.fixture(scope="module")
def base():
    """The bundled 2024 scenario as the TOML's plain data (for ``with_timeline``)."""
    return tomllib.loads(bundled_scenarios()["iraq_syria_2024"].read_text())


def with_timeline(base, *entries):
    """The scenario ``base`` with a timeline of ``entries`` (each given a ``source``)."""
    data = dict(base)
    data["timeline"] = [{"source": "test", **e} for e in entries]
    return parse_scenario(data, source="t.toml")


#: Modules that run long without output: the line printed before their first test.
SLOW_MODULES = {
    "test_notebooks.py": "running {the} notebook tests: each notebook executes top to bottom on "
    "a fresh kernel (about {seconds} s in all; nothing prints until each ends)",
    "test_viz_browser.py": "running {the} browser tests: the browser view in headless Chromium "
    "(about {seconds} s in all)",
}
#: Wall-clock seconds of each slow module, measured with --durations on 2 busy cores.
SLOW_SECONDS = {"test_notebooks.py": 100, "test_viz_browser.py": 40}

_slow_counts: Counter[str] = Counter()
_announced: set[str] = set()


def pytest_collection_finish(session: pytest.Session) -> None:
    _slow_counts.clear()
    _slow_counts.update(p.path.name for p in session.items if p.path.name in SLOW_MODULES)


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    if module in SLOW_MODULES and module not in _announced:
        _announced.add(module)
        # Under pytest-xdist the process that prints has collected nothing: no count then.
        n = _slow_counts[module]
        the = f"the {n}" if n else "the"
        line = SLOW_MODULES[module].format(the=the, seconds=SLOW_SECONDS[module])
        reporter = _CONFIG[0].pluginmanager.get_plugin("terminalreporter") if _CONFIG else None
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line, bold=True)


_CONFIG: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]


#: The longest test files (wall seconds on 2 busy cores, `--durations`, 3 December 2026). Run
#: first, so that under `-n 2 --dist loadfile` the short files fill in at the end instead of one
#: long file running alone on one worker while the other waits (longest first; 925 CPU-s took
#: 571 s of wall time on 2 workers in collection order).
LONG_FILES_FIRST = (
    "test_experiments_sweep.py",
    "test_dask_sweep.py",
    "test_notebooks.py",
    "test_discovery.py",
    "test_iran_mechanisms.py",
    "test_experiments_crash.py",
    "test_signals.py",
    "test_adaptive.py",
    "test_calibrate.py",
    "test_mechanisms.py",
    "test_validation.py",
    "test_epstein.py",
    "test_viz_browser.py",
    "test_compiled.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: the files keep their order within each rank, and tests their order in a file.
    rank = {name: i for i, name in enumerate(LONG_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
