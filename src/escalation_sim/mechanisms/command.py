"""Phase 3, mechanisms 6, 7, 8 (and Iran's reading of 9): orders and who follows them.

**Iraq balances** (6, ``iraq_balancing``). Iraq's alignment a (0 = Iran, 1 = US) relaxes at rate
``alignment_speed`` towards ``a0 + alignment_isis_response x min(1, attacks / resurgence_attacks)
- alignment_strike_response x min(1, strikes on Iraq)``, using last week's counts: ISIS attacks
push Baghdad to the coalition, Israeli strikes on Iraq push it towards Tehran. Off: a stays a0.
Iraq orders its forces and the PMF to stay out of Syria and not to launch, with strength
``restraint = clip(iraq_restraint + iraq_restraint_alignment (a - 0.5), 0, 1)``.

**Iran's demand** for militia action in Syria:
``demand = clip(iran_demand_base + regime_threat_weight x regime_loss + shrine_threat_weight x
shrine_threat + sunni_tilt_weight x sunni_tilt, 0, 1)``, with regime_loss the share of the
regime's initial effective strength lost, shrine_threat 1 when HTS holds or borders a shrine
region (mechanism 8) and sunni_tilt the share of Syria's population under HTS (mechanism 9). Iran
orders deployment when demand > ``iran_deploy_threshold`` (to a threatened shrine, else to the
regime region on the front nearest Iraq) and launches at Israel with intensity
``iran_launch_intensity``.

**Compliance** (7, ``militia_autonomy``). Each expeditionary or launcher force weighs every
commander c it has a link to: ``pull_c = strength_c (1 - autonomy_c) (1 - affinity_weight x
d(force, c))``, with d the sectarian distance (1 - cosine similarity), times ``restraint`` for
Iraq. It follows the strongest pull with probability equal to that pull; otherwise it acts on its
own inclination: it keeps what it did last week, except that a Shia militia deploys to a
threatened shrine with probability ``shrine_mobilisation`` (8). With ``militia_autonomy`` off,
only formal links count and they are obeyed: the Wilayati factions follow the Iraqi state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "iraq_us_alignment",
    "alignment_speed",
    "alignment_isis_response",
    "alignment_strike_response",
    "iraq_restraint",
    "iraq_restraint_alignment",
    "iran_demand_base",
    "regime_threat_weight",
    "shrine_threat_weight",
    "sunni_tilt_weight",
    "iran_deploy_threshold",
    "iran_launch_intensity",
    "affinity_weight",
    "shrine_mobilisation",
)


def step(model: EscalationModel) -> None:
    """Iraq balances, Iran reads the theatre and gives orders, each force decides whom to obey.

    The decisions are the agents' own (``StateActor.update_alignment``, ``update_demand``,
    ``ArmedForce.decide``); this phase reads the theatre for them and runs them in order.
    """
    iraq = model.actors[model.roles["iraq"]]
    iraq.update_alignment()
    restraint = iraq.restraint()
    iraq.order_deploy, iraq.order_launch = False, 0.0
    update_iran(model)
    for force in model.forces:
        if force.role in ("expeditionary", "launcher") and force.links:
            force.decide(restraint)


def update_iran(model: EscalationModel) -> None:
    """What Iran sees (the regime's losses, threatened shrines, a Sunni tilt), then its posture.

    Sets the theatre's ``shrine_threat``, ``threatened_shrines`` and ``sunni_tilt`` (which other
    phases read) and has Iran update its demand, orders and deployment target.
    """
    w = model.world
    hts, regime = model.roles["hts"], model.roles["syrian_regime"]
    ctrl = model.regions.controller
    initial = max(model.initial_regime, 1e-9)
    regime_loss = max(0.0, 1.0 - model.regime_effective() / initial)

    model.threatened_shrines = threatened_shrines = [
        int(r)
        for r in np.flatnonzero(w.shrine & w.is_syria)
        if ctrl[r] == hts or any(ctrl[q] == hts for q in w.adjacency[r])
    ]
    model.shrine_threat = 1.0 if threatened_shrines and model.mech["shrine_defence"] else 0.0

    if model.mech["sunni_syria_backlash"]:
        syr = w.inner_syria
        pop = w.total_population
        under_hts = sum(pop[r] for r in np.flatnonzero(syr) if ctrl[r] == hts)
        model.sunni_tilt = float(under_hts / max(pop[syr].sum(), 1.0))
    else:
        model.sunni_tilt = 0.0

    target = None
    if model.shrine_threat and ctrl[threatened_shrines[0]] != hts:
        target = int(threatened_shrines[0])
    else:
        front = [
            r
            for r in np.flatnonzero(w.is_syria)
            if ctrl[r] == regime and any(ctrl[q] == hts for q in w.adjacency[r])
        ]
        held = [r for r in np.flatnonzero(w.is_syria) if ctrl[r] == regime]
        pool = front or held
        if pool:  # the front region closest to Iraq (the corridor's end), ties by node order
            target = int(min(pool, key=lambda r: (w.dist_to_iraq[r], r)))
    iran = model.actors[model.roles["iran"]]
    iran.update_demand(regime_loss, model.shrine_threat, model.sunni_tilt, target)
