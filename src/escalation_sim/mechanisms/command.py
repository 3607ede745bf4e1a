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

from escalation_sim.mechanisms.common import is_shia_militia, sectarian_distance

if TYPE_CHECKING:
    from escalation_sim.agents import ArmedForce, StateActor
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
    """Update Iraq's balance and Iran's demand, issue orders, decide who follows whom."""
    iraq = model.actors[model.roles["iraq"]]
    update_alignment(model, iraq)
    restraint = float(
        np.clip(
            model.p.iraq_restraint + model.p.iraq_restraint_alignment * (iraq.alignment - 0.5), 0, 1
        )
    )
    iraq.order_deploy, iraq.order_launch = False, 0.0
    iran = model.actors[model.roles["iran"]]
    update_iran(model, iran)
    for force in model.forces:
        if force.role in ("expeditionary", "launcher") and force.links:
            decide(model, force, restraint)


def update_alignment(model: EscalationModel, iraq: StateActor) -> None:
    """Mechanism 6: Iraq's alignment drifts with ISIS attacks (to the US) and strikes (to Iran)."""
    p = model.p
    if not model.mech["iraq_balancing"]:
        iraq.alignment = float(p.iraq_us_alignment)
        return
    last = model.last_week
    isis_pressure = min(1.0, last.get("isis_attacks_iraq", 0.0) / max(1.0, p.resurgence_attacks))
    strike_pressure = min(1.0, last.get("israeli_strikes_iraq", 0.0))
    target = (
        p.iraq_us_alignment
        + p.alignment_isis_response * isis_pressure
        - p.alignment_strike_response * strike_pressure
    )
    target = min(1.0, max(0.0, target))
    iraq.alignment += p.alignment_speed * (target - iraq.alignment)


def update_iran(model: EscalationModel, iran: StateActor) -> None:
    """Iran's demand for militia action in Syria, its orders and its deployment target."""
    p, w = model.p, model.world
    hts, regime = model.roles["hts"], model.roles["syrian_regime"]
    ctrl = model.controller
    initial = max(model.initial_regime, 1e-9)
    regime_loss = max(0.0, 1.0 - model.regime_effective() / initial)

    model.threatened_shrines = threatened_shrines = [
        r
        for r in np.flatnonzero(w.shrine & w.is_syria)
        if ctrl[r] == hts or any(ctrl[q] == hts for q in w.adjacency[r])
    ]
    model.shrine_threat = 1.0 if threatened_shrines and model.mech["shrine_defence"] else 0.0

    if model.mech["sectarian_backlash"]:
        syr = w.inner_syria
        pop = w.total_population
        under_hts = sum(pop[r] for r in np.flatnonzero(syr) if ctrl[r] == hts)
        model.sunni_tilt = float(under_hts / max(pop[syr].sum(), 1.0))
    else:
        model.sunni_tilt = 0.0

    iran.demand = float(
        np.clip(
            p.iran_demand_base
            + p.regime_threat_weight * regime_loss
            + p.shrine_threat_weight * model.shrine_threat
            + p.sunni_tilt_weight * model.sunni_tilt,
            0.0,
            1.0,
        )
    )
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
    iran.deploy_target = target
    iran.order_deploy = iran.demand > p.iran_deploy_threshold and target is not None
    iran.order_launch = float(p.iran_launch_intensity)


def decide(model: EscalationModel, force: ArmedForce, restraint: float) -> None:
    """Mechanism 7: pick the commander with the strongest pull; comply with that probability."""
    p = model.p
    iraq_id = model.roles["iraq"]
    if model.mech["militia_autonomy"]:
        best, best_pull = None, 0.0
        for link in force.links:
            commander = model.actors[link.commander]
            pull = link.strength * (1 - link.autonomy)
            distance = sectarian_distance(
                model, (force.unique_id, link.commander), force.affinity, commander.affinity
            )
            pull *= 1 - p.affinity_weight * distance
            if link.commander == iraq_id:
                pull *= restraint
            if pull > best_pull:
                best, best_pull = commander, pull
    else:
        formal = [link for link in force.links if link.formal]
        best = model.actors[formal[0].commander] if formal else None
        best_pull = 1.0 if formal else 0.0

    if best is not None and model.rng.random() < best_pull:
        force.commander, force.complied = best.actor_id, True
        force.deployed = best.order_deploy and force.role == "expeditionary"
        force.deploy_target = best.deploy_target if force.deployed else None
        force.launching = best.order_launch if force.role == "launcher" else 0.0
        return
    # Own inclination: keep last week's course; a Shia militia rallies to a threatened shrine.
    force.commander, force.complied = None, False
    if (
        force.role == "expeditionary"
        and model.shrine_threat
        and is_shia_militia(model, force)
        and model.rng.random() < p.shrine_mobilisation
    ):
        force.deployed = True
        force.deploy_target = int(model.threatened_shrines[0])
