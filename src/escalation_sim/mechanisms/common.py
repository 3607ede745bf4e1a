"""Small helpers several phases share: new ISIS fighters, chaos's lift, weighted choices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce, IsisCell

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
    if n <= 0:
        return
    size = int(model.p.isis_cell_size)
    # The smallest cell here of that origin, below full size (the first of equals, in the order
    # the region holds them): found in the cell table's columns, since a scan of the region's
    # agents dominated this phase; the region's order is read only to break a tie.
    table = model.cell_table
    n_rows = table.size
    strength = table.strength[:n_rows]
    open_ = np.flatnonzero(
        (table.region[:n_rows] == region) & (table.iraqi[:n_rows] == iraqi) & (strength < size)
    )
    if len(open_):
        least = strength[open_].min()
        tied = open_[strength[open_] == least].tolist()
        if len(tied) == 1:
            smallest = table.agent(tied[0])
        else:
            here = model.space[region].agents
            smallest = here[min(here.index(table.agent(row)) for row in tied)]
        take = min(n, size - int(least))
        smallest.add_fighters(take)
        n -= take
    isis_aff = model.actors[model.roles["isis"]].affinity
    while n > 0:
        take = min(n, size)
        cell = IsisCell(model, float(take), iraqi=iraqi, affinity=isis_aff)
        cell.move_to(model.space[region])
        n -= take


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
