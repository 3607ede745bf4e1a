"""Compile the numba kernels ahead of the first run: once per process, outside any run's time.

numba compiles a kernel on its first call (about a second or two for all of them here), or loads
it from the on-disk cache (``escalation_sim.kernels``) in a fraction of that; a sweep
worker calls ``warm_up`` in its initialiser, and the benchmarks time it apart (``compile_seconds``
in ``benchmarks/bench_model.py``). With ``NUMBA_DISABLE_JIT=1`` the kernels are plain Python and
this costs nothing.
"""

from __future__ import annotations

import time

import numpy as np

from escalation_sim.kernels.attacks import attack_targets
from escalation_sim.kernels.cells import smallest_open_cells

_warm = False


def warm_up() -> float:
    """Compile every kernel (first call only); return the seconds it took (0 once warm)."""
    global _warm
    if _warm:
        return 0.0
    start = time.perf_counter()
    one_int, one = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
    attack_targets(
        one_int,
        one_int,
        np.zeros(1),
        np.ones(1),
        one_int,
        one,
        np.zeros(1, dtype=np.int64),
        np.ones(1),
        one_int,
        one,
        np.ones(1),
        np.ones(1),
    )
    smallest_open_cells(one_int, np.zeros(1, dtype=bool), np.ones(1), np.zeros(1, dtype=bool), 2.0)
    _warm = True
    return time.perf_counter() - start
