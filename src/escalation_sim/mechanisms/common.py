"""Small helpers several phases share: new ISIS fighters, who counts as a Shia militia."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce, IsisCell, affinity_distance

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
    # the region holds them).
    strength = model.cell_table.strength
    smallest, least = -1, float(size)
    for c in model.space[region].agents:
        if c.__class__ is IsisCell and c.iraqi == iraqi:
            s = strength.item(c._row)
            if s < least:
                smallest, least = c._row, s
    if smallest >= 0:
        take = min(n, size - int(least))
        strength[smallest] += take
        n -= take
    isis_aff = model.actors[model.roles["isis"]].affinity
    while n > 0:
        take = min(n, size)
        cell = IsisCell(model, float(take), iraqi=iraqi, affinity=isis_aff)
        cell.cell = model.space[region]
        n -= take


def chaos_boost(model: EscalationModel) -> np.ndarray:
    """Mechanism 1's lift to ISIS recruitment and attacks, per region.

    ``chaos_isis_boost`` x the region's own chaos, plus, in Iraq, ``isis_reactivation`` x the
    population-weighted chaos of Syria: a collapsing Syria reactivates ISIS "from within" Iraq
    too (seed), through propaganda, money and a sense of momentum, not only through fighters
    who cross.
    """
    p, w = model.p, model.world
    syria = w.inner_syria
    pop = w.total_population
    index = float((model.chaos[syria] * pop[syria]).sum() / max(pop[syria].sum(), 1.0))
    return p.chaos_isis_boost * model.chaos + p.isis_reactivation * index * w.is_iraq


def shia_share(model: EscalationModel, affinity: np.ndarray) -> float:
    """Share of an affinity vector on the Shia sect (0 if the scenario has no such sect)."""
    sects = model.world.sects
    if "shia_arab" not in sects:
        return 0.0
    total = float(affinity.sum())
    return float(affinity[sects.index("shia_arab")] / total) if total > 0 else 0.0


def is_shia_militia(model: EscalationModel, force: ArmedForce) -> bool:
    """A militia whose affinity is mostly Shia (the Wilayati factions, the Atabat units)."""
    key = ("shia_militia", force.unique_id)  # kind and affinity never change: decide once
    value = model.memo.get(key)
    if value is None:
        value = model.memo[key] = (
            force.kind == "militia" and shia_share(model, force.affinity) > 0.5
        )
    return value


def iraqi_militia(model: EscalationModel, force: ArmedForce) -> bool:
    """An Iraqi militia: a militia whose formal chain of command leads to the Iraqi state."""
    key = ("iraqi_militia", force.unique_id)  # kind and links never change: decide once
    value = model.memo.get(key)
    if value is None:
        iraq = model.roles["iraq"]
        value = model.memo[key] = force.kind == "militia" and any(
            c.formal and c.commander == iraq for c in force.links
        )
    return value


def sectarian_distance(model: EscalationModel, key: tuple, a: np.ndarray, b: np.ndarray) -> float:
    """``affinity_distance(a, b)``, memoised on the model under ``key``.

    Affinities do not change during a run, so each pair is computed once.
    """
    memo = model.memo
    key = ("distance", *key)
    value = memo.get(key)
    if value is None:
        value = memo[key] = affinity_distance(a, b)
    return value


def choice_cdf(weights: np.ndarray) -> list[float]:
    """Cumulative chances of weighted options, built as ``numpy.random.Generator.choice`` does.

    ``bisect.bisect_right(cdf, rng.random())`` then picks the option ``choice`` would, with one
    uniform draw, and the cdf can be kept while the weights hold.
    """
    cdf = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    return cdf.tolist()


def iran_commanded(model: EscalationModel) -> frozenset[str]:
    """Actors with a command link to Iran (the Wilayati militias).

    Decided once per run: the relational network does not change.
    """
    value = model.memo.get("iran_commanded")
    if value is None:
        iran = model.roles["iran"]
        edges = model.relations.edges(data=True)
        value = model.memo["iran_commanded"] = frozenset(
            u for u, v, d in edges if d["kind"] == "command" and v == iran
        )
    return value
