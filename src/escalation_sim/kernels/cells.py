"""The smallest open ISIS cell of each region, for recruits to top up (``common.add_recruits``).

One compiled pass over the cell table's rows finds, for every region at once, the cell of the
wanted origin with the fewest fighters below full size, and whether another cell there ties
with it (the caller breaks a tie by the order the region holds its agents, as the uncompiled
model did).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def smallest_open_cells(
    region: np.ndarray,
    iraqi: np.ndarray,
    strength: np.ndarray,
    want_iraqi: np.ndarray,
    size: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per region: the row of the smallest cell below ``size`` (-1 if none) and whether it ties.

    Args:
        region: Each row's region (-1 for removed agents).
        iraqi: Each row's origin (True: Iraqi).
        strength: Each row's fighters.
        want_iraqi: Per region, the origin of the recruits it gets.
        size: Full cell size (``isis_cell_size``).
    """
    n = len(want_iraqi)
    best = np.full(n, size)
    row = np.full(n, -1, dtype=np.int64)
    tied = np.zeros(n, dtype=np.bool_)
    for i in range(len(region)):
        r = region[i]
        if r < 0 or iraqi[i] != want_iraqi[r]:
            continue
        s = strength[i]
        if s < best[r]:
            best[r] = s
            row[r] = i
            tied[r] = False
        elif s == best[r] and row[r] >= 0:
            tied[r] = True
    return row, tied
