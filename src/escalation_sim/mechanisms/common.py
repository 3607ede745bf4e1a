"""Small helpers several phases share: new ISIS fighters, chaos's lift, weighted choices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce, IsisCell
from escalation_sim.kernels.cells import smallest_open_cells

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

#: Controller of a region nobody governs (after a collapse).
UNGOVERNED = "ungoverned"

PARAMETERS = ("isis_cell_size", "chaos_isis_boost", "isis_reactivation")


def add_recruits(model: EscalationModel, region: int, n: int, iraqi: bool) -> None:
    """Add ``n`` fighters in a region: top up the smallest cell of that origin, then new cells.

    Cells do not grow beyond ``isis_cell_size``; a clandestine network grows by more cells, not
    by larger ones.
    """
    want = np.zeros(model.world.n, dtype=bool)
    want[region] = iraqi
    add_recruits_to_regions(model, np.array([region]), np.array([n]), want)


def add_recruits_to_regions(
    model: EscalationModel, regions: np.ndarray, n: np.ndarray, iraqi: np.ndarray
) -> None:
    """``add_recruits`` for several regions in turn (``n[i]`` fighters in ``regions[i]``).

    ``iraqi``: per region (all the world's), the origin of its recruits. The smallest open cell
    of each region is found in one compiled pass over the cell table (``kernels.cells``), before
    any is topped up: a region's recruits touch only its own cells.
    """
    size = int(model.p.isis_cell_size)
    table = model.cell_table
    compactions = table.compactions
    rows, tied = smallest_open_cells(
        table.region[: table.size],
        table.iraqi[: table.size],
        table.strength[: table.size],
        iraqi,
        float(size),
    )
    isis_aff = model.actors[model.roles["isis"]].affinity
    for r, k in zip(regions.tolist(), n.tolist(), strict=True):
        if k <= 0:
            continue
        row = int(rows[r])
        if row >= 0:
            # The first of equals in the order the region holds them, as a scan would find.
            smallest = table.agent(row) if not tied[r] else _first_of_equals(model, r, row)
            take = min(k, size - int(table.strength[row]))
            smallest.add_fighters(take)
            k -= take
        while k > 0:
            take = min(k, size)
            cell = IsisCell(model, float(take), iraqi=bool(iraqi[r]), affinity=isis_aff)
            cell.move_to(model.space[r])
            k -= take
    assert table.compactions == compactions  # the rows found above are still the cells'


def _first_of_equals(model: EscalationModel, region: int, row: int) -> IsisCell:
    """Of the cells tied with ``row``'s (region, origin, strength), the region's first."""
    table = model.cell_table
    n = table.size
    tied = np.flatnonzero(
        (table.region[:n] == region)
        & (table.iraqi[:n] == table.iraqi[row])
        & (table.strength[:n] == table.strength[row])
    )
    here = model.space[region].agents
    return here[min(here.index(table.agent(t)) for t in tied.tolist())]


def chaos_boost(model: EscalationModel) -> np.ndarray:
    """Mechanism 1's lift to ISIS recruitment and attacks, per region.

    ``chaos_isis_boost`` x the region's own chaos, plus, in Iraq, ``isis_reactivation`` x the
    population-weighted chaos of Syria: a collapsing Syria reactivates ISIS "from within" Iraq
    too (seed), through propaganda, money and a sense of momentum, not only through fighters
    who cross.
    """
    p, w = model.p, model.world
    chaos = model.regions.chaos
    syria = w.inner_syria
    pop = w.total_population
    index = float((chaos[syria] * pop[syria]).sum() / max(pop[syria].sum(), 1.0))
    return p.chaos_isis_boost * chaos + p.isis_reactivation * index * w.is_iraq


def choice_cdf(weights: np.ndarray) -> list[float]:
    """Cumulative chances of weighted options, built as ``numpy.random.Generator.choice`` does.

    ``bisect.bisect_right(cdf, rng.random())`` then picks the option ``choice`` would, with one
    uniform draw, and the cdf can be kept while the weights hold.
    """
    cdf = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    return cdf.tolist()


def iraqi_militia(force: ArmedForce) -> bool:
    """``force.iraqi_militia``, as a flag function for ``model.force_flags``."""
    return force.iraqi_militia


def shia_militia(force: ArmedForce) -> bool:
    """``force.shia_militia``, as a flag function for ``model.force_flags``."""
    return force.shia_militia
