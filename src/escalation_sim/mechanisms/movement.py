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

and intelligence sharing (mechanism 5, ``intel_sharing``) adds ``intel_efficiency`` and may leak
(``intel_leak``): ``P' = (1 - (1 - P)(1 - intel_efficiency))(1 - intel_leak)``. Wall,
surveillance and garrison follow the ``border_hardening`` lever
(``escalation_sim.world.hardened_border``). A detected group loses a share ``detected_loss`` of
its fighters and stays where it was.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import IsisCell
from escalation_sim.mechanisms.common import choice_cdf

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

#: Parameters from which the model derives the border's detection chances
#: (``EscalationModel.derive_border``): a change to any of them means deriving them again.
BORDER_PARAMETERS = (
    "border_hardening",
    "border_hardening_2024",
    "garrison_full",
    "detect_wall",
    "detect_surveillance",
    "detect_garrison",
    "corridor_leak",
    "intel_efficiency",
    "intel_leak",
)

PARAMETERS = (
    *BORDER_PARAMETERS,
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
    for f in model.forces:
        if f.role == "expeditionary":
            f.march(hops)


def attractiveness(model: EscalationModel) -> np.ndarray:
    """Score of each region as a destination for ISIS cells (before route and origin terms)."""
    p, w = model.p, model.world
    sunni = model.constants.sunni_share
    security = model.force_by_region()
    score = p.isis_move_sunni * sunni + p.isis_move_chaos * model.regions.chaos
    score -= p.isis_move_security * security / (security + p.ct_half)
    if model.mech["isis_outbidding"]:
        score += p.isis_move_former * w.former_isis
    return score


def move_cells(model: EscalationModel) -> None:
    """Each cell may move to a neighbouring region; crossings into Iraq may be detected."""
    p, rng = model.p, model.rng
    table = model.cell_table
    rows = table.rows()
    if not len(rows):
        return
    moving = rng.random(len(rows)) < p.isis_move_prob
    if not moving.any():
        return
    score = attractiveness(model)
    # Detection chance of each segment, and 0 (the last entry) for edges that are not on the border.
    detection = np.append(model.detection, 0.0)
    # Where a cell may go depends only on its region and origin this week: build each choice once.
    choices: dict[tuple[int, bool], tuple[list[int], list[float], list[float]] | None] = {}
    movers = rows[moving]
    # Regions and origins read from the table at once (a cell's move changes only its own row).
    for row, here, iraqi in zip(
        movers.tolist(), table.region[movers].tolist(), table.iraqi[movers].tolist(), strict=True
    ):
        cell = table.agent(row)
        key = (here, iraqi)
        if key not in choices:
            choices[key] = move_choice(model, here, iraqi, score, detection)
        choice = choices[key]
        if choice is None:
            continue
        options, cdf, risk = choice
        k = bisect.bisect_right(cdf, rng.random())
        cross(model, cell, here, options[k], risk[k])


def move_choice(
    model: EscalationModel, here: int, iraqi: bool, score: np.ndarray, detection: np.ndarray
) -> tuple[list[int], list[float], list[float]] | None:
    """Where a cell in ``here`` may move: neighbours, cumulative chances, detection risks.

    None if it has nowhere to go. The cumulative chances are those
    ``numpy.random.Generator.choice`` builds from the probabilities, so one uniform draw picks
    the neighbour ``choice`` would.
    """
    p = model.p
    routes = model.constants.routes[here]
    if routes is None:
        return None
    options, edge_segment, towards = routes
    risk = detection[edge_segment]
    s = score[options] - p.isis_route_caution * risk
    if iraqi:  # Iraqi cells head for Iraq, and once there stay in it
        s += p.isis_iraq_pull * (1 + model.regions.chaos[here]) * towards
    return options.tolist(), choice_cdf(np.exp(s - s.max())), risk.tolist()


def cross(model: EscalationModel, cell: IsisCell, here: int, there: int, risk: float) -> None:
    """Move a cell one edge; on a border segment, face detection."""
    w = model.world
    inbound = w.is_iraq[there] and not w.is_iraq[here]
    if (here, there) in w.segments.by_edge:
        if inbound:
            model.counts.infiltrations += 1
        if model.rng.random() < risk:
            if inbound:
                model.counts.infiltrations_detected += 1
            lost = model.rng.binomial(int(cell.strength), model.p.detected_loss)
            cell.strength -= lost
            if cell.strength < 1:
                cell.remove()
            return
        if inbound:
            model.counts.infiltrating_fighters += int(cell.strength)
    cell.move_to(model.space[there])
