"""The seeded runs the validation checks pool: one seed per run from ``SeedSequence(root)``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from escalation_sim.run import RunResult, run


def spawn_seeds(root: int, n: int) -> list[int]:
    """Per-run seeds from ``SeedSequence(root).spawn(n)`` (one 32-bit integer each)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(root).spawn(n)]


def seeded_runs(
    n: int,
    root: int = 0,
    scenario: str | None = None,
    weeks: int | None = None,
    progress: bool = False,
    desc: str = "runs",
) -> Iterator[tuple[int, int, RunResult]]:
    """Run ``scenario`` once per seed of ``spawn_seeds(root, n)``; yield (index, seed, result).

    With ``progress``, a tqdm bar counts the runs.
    """
    todo: Iterable[tuple[int, int]] = list(enumerate(spawn_seeds(root, n)))
    if progress:
        from tqdm import tqdm

        todo = tqdm(todo, desc=desc, unit="run", leave=False)
    for i, seed in todo:
        yield i, seed, run(scenario, seed=seed, weeks=weeks)
