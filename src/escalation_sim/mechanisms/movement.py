"""Phase 4, mechanisms 2, 5 and 11: militias deploy and return; ISIS cells move and infiltrate.

**Militias.** An expeditionary force that is deployed moves up to ``militia_speed`` hops a week
along the shortest road path to its target; one that is not deployed heads home the same way.
Iraqi border forces do not stop the PMF's own columns (the Al-Qaim crossing is theirs).

**ISIS cells** move with probability ``isis_move_prob`` a week, to a neighbouring region (border
states excluded) drawn with probability proportional to ``exp(score)``::

    score = isis_move_sunni x sunni_share + isis_move_chaos x chaos
            + isis_move_former x former_isis                       (mechanism 11 only)
            - isis_move_security x S / (S + ct_half)
            + isis_iraq_pull x (1 + chaos here) [Iraqi-origin cell, step towards or within Iraq]
            - isis_route_caution x P(detected on this edge)

with S the effective security strength there. A move across an Iraq-Syria border segment is a
crossing; into Iraq it counts as an **infiltration**. It is detected with the segment's
probability (mechanism 2, ``border_defence``; partial by design)::

    P = 1 - (1 - detect_wall x wall)(1 - detect_surveillance x surveillance)
          (1 - detect_garrison x garrison),   times (1 - corridor_leak) in the smuggling corridor

and intelligence sharing (mechanism 5, ``intel_sharing``) adds ``intel_efficiency``:
``P' = 1 - (1 - P)(1 - intel_efficiency)``. Wall, surveillance and garrison follow the
``border_hardening`` lever (``escalation_sim.world.hardened_border``). A detected group loses a
share ``detected_loss`` of its fighters and stays where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import IsisCell

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "border_hardening",
    "border_hardening_2024",
    "garrison_full",
    "detect_wall",
    "detect_surveillance",
    "detect_garrison",
    "corridor_leak",
    "intel_efficiency",
    "detected_loss",
    "militia_speed",
    "isis_move_prob",
    "isis_move_sunni",
    "isis_move_chaos",
    "isis_move_former",
    "isis_move_security",
    "isis_iraq_pull",
    "isis_route_caution",
)


def step(model: EscalationModel) -> None:
    """Move militias, then ISIS cells (with border crossings)."""
    move_militias(model)
    move_cells(model)


def move_militias(model: EscalationModel) -> None:
    """Deployed expeditionary forces head for their target; the others head home."""
    hops = int(model.p.militia_speed)
    nxt = model.world.next_hop
    for f in model.forces:
        if f.role != "expeditionary":
            continue
        goal = f.deploy_target if f.deployed and f.deploy_target is not None else f.home
        here = f.region
        for _ in range(hops):
            if here == goal:
                break
            here = int(nxt[here, goal])
        if here != f.region:
            f.cell = model.space[here]


def attractiveness(model: EscalationModel) -> np.ndarray:
    """Score of each region as a destination for ISIS cells (before route and origin terms)."""
    p, w = model.p, model.world
    pop = w.population.sum(axis=1)
    sunni = np.divide(model.recruit_pool, pop, out=np.zeros(w.n), where=pop > 0)
    security = model.force_by_region()
    score = p.isis_move_sunni * sunni + p.isis_move_chaos * model.chaos
    score -= p.isis_move_security * security / (security + p.ct_half)
    if model.mech["isis_competition"]:
        score += p.isis_move_former * w.former_isis
    return score


def move_cells(model: EscalationModel) -> None:
    """Each cell may move to a neighbouring region; crossings into Iraq may be detected."""
    p, w, rng = model.p, model.world, model.rng
    cells = [c for c in model.cells]
    if not cells:
        return
    moving = rng.random(len(cells)) < p.isis_move_prob
    if not moving.any():
        return
    score = attractiveness(model)
    by_edge = w.segments.by_edge
    for cell, go in zip(cells, moving, strict=True):
        if not go:
            continue
        here = cell.cell.coordinate
        options = [q for q in w.graph.neighbors(here) if not w.external[q]]
        if not options:
            continue
        s = score[options].copy()
        risk = np.array(
            [model.detection[by_edge[(here, q)]] if (here, q) in by_edge else 0.0 for q in options]
        )
        s -= p.isis_route_caution * risk
        if cell.iraqi:  # Iraqi cells head for Iraq, and once there stay in it
            towards = (w.dist_to_iraq[options] < w.dist_to_iraq[here]) | w.is_iraq[options]
            s += p.isis_iraq_pull * (1 + model.chaos[here]) * towards
        prob = np.exp(s - s.max())
        k = int(rng.choice(len(options), p=prob / prob.sum()))
        cross(model, cell, here, options[k], risk[k])


def cross(model: EscalationModel, cell: IsisCell, here: int, there: int, risk: float) -> None:
    """Move a cell one edge; on a border segment, face detection."""
    w = model.world
    inbound = w.is_iraq[there] and not w.is_iraq[here]
    if (here, there) in w.segments.by_edge:
        if inbound:
            model.infiltrations += 1
        if model.rng.random() < risk:
            if inbound:
                model.infiltrations_detected += 1
            lost = model.rng.binomial(int(cell.strength), model.p.detected_loss)
            cell.strength -= lost
            if cell.strength < 1:
                cell.remove()
            return
        if inbound:
            model.infiltrating_fighters += int(cell.strength)
    cell.cell = model.space[there]
