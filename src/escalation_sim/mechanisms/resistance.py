"""Phase 4 (after the militias march), part of mechanism 1 (``hostile_resistance``).

A force standing in a region that an actor hostile to it holds meets resistance: the holder's
forces there and next door, and a population and irregulars who are not its own. Each week it
loses a share of its fighters::

    loss share = hostile_attrition_floor
                 + (hostile_attrition - hostile_attrition_floor) x min(1, H / E)

with H the effective strength (strength x cohesion) of the holder's forces in the region and its
neighbours and E the force's own effective strength: a Lanchester-style ratio, capped, with a
floor that holds even where the holder has nobody near (nobody stays unopposed in hostile-held
territory). A force that meets resistance while acting on its own inclination (no commander
followed it there this week) breaks off: it stops being deployed and heads home. One that
follows an order stays, and its losses feed its commander's memory (Iran's loss aversion,
mechanism ``iran_interests`` in ``command``).

**Who is hostile.** From the relational network: a force's side is its actor, the actors it has
command links to, and their allies (alliance links, either direction); a holder is hostile when a
hostility link joins it to anyone on that side, and it is not on the side itself. In the 2024
scenario HTS is hostile to the Iraqi militias and Iran (HTS - regime), the SDF is not. ISIS-held
regions are left to the control and violence phases (insurgents hold ground by fighting there
already), and ungoverned regions resist nobody.

No random draws: with nobody in hostile-held territory the phase changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from escalation_sim.agents import ArmedForce

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = ("hostile_attrition", "hostile_attrition_floor")


def hostile_holders(
    relations: nx.MultiDiGraph, insurgents: frozenset[str]
) -> dict[str, frozenset[str]]:
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
        hostile = set().union(*(enemies[s] for s in side)) - side - insurgents
        out[a] = frozenset(hostile)
    return out


def step(model: EscalationModel) -> None:
    """Every force in hostile-held territory loses fighters; self-directed ones break off."""
    if not model.mech["hostile_resistance"]:
        return
    p, w = model.p, model.world
    controller = model.regions.controller
    hostile = model.constants.hostile_holders
    exposed: list[tuple[ArmedForce, str]] = []
    for f in model.forces:
        holder = controller[f.region]
        if holder in hostile.get(f.actor_id, ()):
            exposed.append((f, holder))
    if not exposed:
        return
    by_holder: dict[str, np.ndarray] = {}
    floor, top = float(p.hostile_attrition_floor), float(p.hostile_attrition)
    for f, holder in exposed:
        power = by_holder.get(holder)
        if power is None:
            power = by_holder[holder] = model.force_by_region_of(holder)
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
