"""Phase 4 (after the militias march), part of mechanism 1 (``hostile_resistance``).

A force standing in a region that an actor hostile to it holds meets resistance: the holder's
forces there and next door, and a population and irregulars who are not its own. Each week it
loses a share of its fighters::

    loss share = hostile_attrition_floor
                 + (hostile_attrition - hostile_attrition_floor) x min(1, H / E)

with H the effective strength (strength x cohesion) of the holder's forces (for ISIS, its forces and
cells) in the region and its neighbours and E the force's own effective strength: a Lanchester-style
ratio, capped, with a floor that holds even where the holder has nobody near (nobody stays unopposed
in hostile-held territory). A force that meets resistance while acting on its own inclination (no
commander followed it there this week) breaks off: it stops being deployed and heads home. One that
follows an order stays, and its losses feed its commander's memory (Iran's loss aversion, mechanism
``iran_interests`` in ``command``).

**Who is hostile** (``hostile_holders``, the one definition that this phase, the shrine threat and
the shrines militias rally to in ``command`` all use; ``hostile_holder`` reads it for a region).
From the relational network: a force's side is its actor, the actors it has command links to, and
their allies (alliance links, either direction); a holder is hostile when a hostility link joins it
to anyone on that side, and it is not on the side itself. In the 2024 scenario HTS (HTS - regime)
and ISIS (ISIS - Iraq, Iraq being Iran's ally and the militias' commander) are hostile to the Iraqi
militias and Iran; the SDF is not. ISIS-held ground resists the forces that march (expeditionary
forces, the columns the command phase sends to a shrine or a front): a column in Damascus after ISIS
took it is not safe there because insurgents, not a government, hold it. A standing force (garrison,
border, launcher) already fights ISIS for the ground where it stands: the control phase counts it
against ISIS's hold (that rule is the state's counter-offensive and a garrison's defence), so it
takes no resistance on top.

**An ungoverned region** has no holder and resists nobody (``hostile_vacuum`` is only read by
``command``): a Syrian shrine in an ungoverned region next to a hostile actor's ground is lost,
not defended, so neither Iran's orders nor a militia's own inclination send a column there, and
a self-directed column whose target it was comes home.

No random draws: with nobody in hostile-held territory the phase changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from escalation_sim.agents import ArmedForce
from escalation_sim.mechanisms.common import UNGOVERNED

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = ("hostile_attrition", "hostile_attrition_floor")

MARCHING = ("expeditionary",)  # the columns the command phase sends abroad


def hostile_holders(relations: nx.MultiDiGraph) -> dict[str, frozenset[str]]:
    """For each actor, the holders of regions that are hostile to it (module docstring)."""
    allies: dict[str, set[str]] = {a: set() for a in relations.nodes}
    commanders: dict[str, set[str]] = {a: set() for a in relations.nodes}
    enemies: dict[str, set[str]] = {a: set() for a in relations.nodes}
    for u, v, d in relations.edges(data=True):
        kind = d["kind"]
        if kind == "alliance":
            allies[u].add(v)
            allies[v].add(u)
        elif kind == "command":
            commanders[u].add(v)
        elif kind == "hostility":
            enemies[u].add(v)
            enemies[v].add(u)
    out: dict[str, frozenset[str]] = {}
    for a in relations.nodes:
        side = {a} | commanders[a] | allies[a]
        for c in commanders[a]:
            side |= allies[c]
        hostile = set().union(*(enemies[s] for s in side)) - side
        out[a] = frozenset(hostile)
    return out


def holder_power(model: EscalationModel, actor_id: str) -> np.ndarray:
    """Effective strength per region of an actor's forces, and for ISIS of its cells too."""
    power = model.force_by_region_of(actor_id)
    if actor_id == model.roles["isis"]:
        power = power + model.cell_table.sum_by_region(model.world.n)
    return power


def hostile_holder(model: EscalationModel, region: int, actor_id: str) -> str | None:
    """The holder of ``region`` if it is hostile to ``actor_id`` (module docstring), else None."""
    holder = model.regions.controller[region]
    return holder if holder in model.constants.hostile_holders.get(actor_id, ()) else None


def hostile_vacuum(model: EscalationModel, region: int, actor_id: str) -> bool:
    """``region`` is ungoverned and a neighbour is held by an actor hostile to ``actor_id``."""
    ctrl = model.regions.controller
    if ctrl[region] != UNGOVERNED:
        return False
    return any(hostile_holder(model, q, actor_id) for q in model.world.adjacency[region])


def step(model: EscalationModel) -> None:
    """Every force in hostile-held territory loses fighters; self-directed ones break off."""
    if not model.mech["hostile_resistance"]:
        return
    p, w = model.p, model.world
    isis = model.roles["isis"]
    exposed: list[tuple[ArmedForce, str]] = []
    for f in model.forces:
        holder = hostile_holder(model, f.region, f.actor_id)
        if holder is None or (holder == isis and f.role not in MARCHING):
            continue  # a standing force fights ISIS for the ground in the control phase
        exposed.append((f, holder))
    if not exposed:
        return
    by_holder: dict[str, np.ndarray] = {}
    floor, top = float(p.hostile_attrition_floor), float(p.hostile_attrition)
    for f, holder in exposed:
        power = by_holder.get(holder)
        if power is None:
            power = by_holder[holder] = holder_power(model, holder)
        r = f.region
        near = float(power[r] + sum(power[q] for q in w.adjacency[r]))
        own = f.effective
        ratio = 1.0 if own <= 0 else min(1.0, near / own)
        share = min(1.0, floor + max(0.0, top - floor) * ratio)
        lost = f.strength * share
        f.strength = f.strength - lost
        model.counts.resistance_losses += lost
        if f.commander is None:  # acting on its own inclination: it breaks off
            f.deployed = False
            f.deploy_target = None
