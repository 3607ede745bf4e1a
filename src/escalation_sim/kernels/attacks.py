"""The attacks' targets (``mechanisms.violence.attacks``): one compiled loop over a week's attacks.

An attack in a region picks a target with one uniform draw against the cumulative chances of
its civilians (by sect) and the forces present (``violence._attack_targets``); a hit on a force
lowers its strength, which changes the chances for the next attack there. The loop is
sequential, so it is compiled (numba) instead of vectorised; it adds exactly as the uncompiled
model did (numpy's pairwise sum for the weights, Python's sum for the forces' security,
``kernels.sums``), so results are bit-identical.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from escalation_sim.kernels.sums import pairwise_sum, python_sum


@njit(cache=True)
def _region_cdf(
    cdf: np.ndarray,
    at: int,
    civilian_weight: np.ndarray,
    civilian_at: int,
    n_civilians: int,
    force_row: np.ndarray,
    force_distance: np.ndarray,
    force_at: int,
    n_forces: int,
    strength: np.ndarray,
    cohesion: np.ndarray,
) -> None:
    """Write one region's cumulative target chances into ``cdf[at:at + n]`` (as ``choice_cdf``)."""
    n = n_civilians + n_forces
    for j in range(n_civilians):
        cdf[at + j] = civilian_weight[civilian_at + j]
    effective = np.empty(n_forces)
    for j in range(n_forces):
        row = force_row[force_at + j]
        effective[j] = strength[row] * cohesion[row]
    security = max(python_sum(effective, 0, n_forces), 1e-9)
    for j in range(n_forces):
        cdf[at + n_civilians + j] = 0.5 * effective[j] / security * force_distance[force_at + j]
    for j in range(n):
        cdf[at + j] += 1e-12
    total = pairwise_sum(cdf, at, n)
    acc = 0.0
    for j in range(n):
        acc += cdf[at + j] / total
        cdf[at + j] = acc
    last = cdf[at + n - 1]
    for j in range(n):
        cdf[at + j] /= last


@njit(cache=True)
def attack_targets(
    where: np.ndarray,
    deaths: np.ndarray,
    u: np.ndarray,
    civilian_weight: np.ndarray,
    civilian_at: np.ndarray,
    n_civilians: np.ndarray,
    force_row: np.ndarray,
    force_distance: np.ndarray,
    force_at: np.ndarray,
    n_forces: np.ndarray,
    strength: np.ndarray,
    cohesion: np.ndarray,
) -> np.ndarray:
    """The target of each attack: an option index in its region, -1 where there is none.

    Args:
        where: Region of each attack, in the order the attacks are drawn.
        deaths: Deaths of each attack (a force hit loses as many, keeping at least 1).
        u: One uniform draw per attack in a region with options, in order.
        civilian_weight: Civilian targets' weights, region after region.
        civilian_at: Where each region's civilian weights start.
        n_civilians: How many civilian targets each region has.
        force_row: Table rows of the forces present, region after region, in each region's
            order.
        force_distance: Each of those forces' sectarian distance to ISIS to the targeting
            exponent.
        force_at: Where each region's forces start.
        n_forces: How many forces each region has.
        strength: The force table's strength column (written to: the hits).
        cohesion: The force table's cohesion column.

    Options in a region are its civilians first, then its forces (``violence._attack_targets``).
    """
    n_regions = len(n_civilians)
    cdf = np.empty(len(civilian_weight) + len(force_row))
    valid = np.zeros(n_regions, dtype=np.bool_)
    target = np.empty(len(where), dtype=np.int64)
    k = 0
    for a in range(len(where)):
        r = where[a]
        nc = n_civilians[r]
        n = nc + n_forces[r]
        if n == 0:
            target[a] = -1
            continue
        at = civilian_at[r] + force_at[r]
        if not valid[r]:
            _region_cdf(
                cdf,
                at,
                civilian_weight,
                civilian_at[r],
                nc,
                force_row,
                force_distance,
                force_at[r],
                n_forces[r],
                strength,
                cohesion,
            )
            valid[r] = True
        x = u[k]
        k += 1
        lo, hi = 0, n  # bisect_right: the first option whose cumulative chance exceeds x
        while lo < hi:
            mid = (lo + hi) // 2
            if x < cdf[at + mid]:
                hi = mid
            else:
                lo = mid + 1
        target[a] = lo
        if lo >= nc:
            row = force_row[force_at[r] + lo - nc]
            strength[row] = max(1.0, strength[row] - deaths[a])
            valid[r] = False
    return target
