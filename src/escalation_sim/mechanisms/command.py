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
regime's initial effective strength lost, shrine_threat the threat to the most threatened Syrian
shrine (mechanism 8, ``update_shrine_threat``: raised by hostile advances and ISIS attacks near
it, fading with a half-life) and sunni_tilt the share of Syria's population under HTS (mechanism
9). Iran orders deployment when demand > ``iran_deploy_threshold`` (to the most threatened
shrine, else to the regime region on the front nearest Iraq) and launches at Israel with
intensity ``iran_launch_intensity``.

**Iran's interests** (``iran_interests``). The terms that defend the regime are weighed by Iran's
stake, ``min(1, (1 - regime_loss) / iran_ally_floor) x (1 - iran_route_weight x (1 - ground))``
(the ally still standing, the land route open; ground from the supply phase), and a memory of its
forces' losses in Syria (half-life ``iran_loss_half_life``) weighs against the whole with
``iran_loss_aversion``. A shrine is lost, not defended, when a hostile actor holds it or it is
ungoverned next to a hostile actor's ground (one definition with the resistance phase:
``resistance.hostile_holder`` and ``resistance.hostile_vacuum``; HTS and ISIS for Iran and its
militias); a force on its own inclination whose target is no longer left to defend
(``model.defendable``: regions the regime's side holds, threatened shrines not lost) comes home.

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

from escalation_sim.mechanisms.resistance import hostile_holder, hostile_vacuum

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
    "shrine_threat_half_life",
    "shrine_advance_threat",
    "shrine_attack_threat",
    "shrine_threat_min",
    "iran_ally_floor",
    "iran_route_weight",
    "iran_loss_half_life",
    "iran_loss_aversion",
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

    Sets the theatre's ``shrine_threat``, ``threatened_shrines``, ``rally_shrines``,
    ``defendable`` and ``sunni_tilt`` (which other phases and the forces' decisions read) and
    has Iran update its demand, orders and deployment target.
    """
    w, p = model.world, model.p
    hts, regime = model.roles["hts"], model.roles["syrian_regime"]
    ctrl = model.regions.controller
    initial = max(model.initial_regime, 1e-9)
    regime_loss = max(0.0, 1.0 - model.regime_effective() / initial)
    interests = model.mech["iran_interests"]
    iran_id = model.roles["iran"]

    update_shrine_threat(model)
    threatened = model.threatened_shrines
    if interests:  # a shrine hostile-held, or an ungoverned one next to them: lost
        model.rally_shrines = [
            r
            for r in threatened
            if hostile_holder(model, r, iran_id) is None and not hostile_vacuum(model, r, iran_id)
        ]
    else:
        model.rally_shrines = list(threatened)

    if model.mech["sunni_syria_backlash"]:
        syr = w.inner_syria
        pop = w.total_population
        under_hts = sum(pop[r] for r in np.flatnonzero(syr) if ctrl[r] == hts)
        model.sunni_tilt = float(under_hts / max(pop[syr].sum(), 1.0))
    else:
        model.sunni_tilt = 0.0

    target = None
    held = [r for r in np.flatnonzero(w.is_syria) if ctrl[r] == regime]
    shrine_ok = model.rally_shrines if interests else [r for r in threatened[:1] if ctrl[r] != hts]
    if model.shrine_threat and shrine_ok:
        target = int(shrine_ok[0])
    else:
        front = [r for r in held if any(ctrl[q] == hts for q in w.adjacency[r])]
        pool = front or held
        if pool:  # the front region closest to Iraq (the corridor's end), ties by node order
            target = int(min(pool, key=lambda r: (w.dist_to_iraq[r], r)))
    iran = model.actors[iran_id]
    if not interests:
        model.defendable = frozenset()
        iran.update_demand(regime_loss, model.shrine_threat, model.sunni_tilt, target)
        return
    side = model.constants.regime_side
    model.defendable = frozenset(
        {int(r) for r in np.flatnonzero(w.is_syria) if ctrl[r] in side} | set(model.rally_shrines)
    )
    remember_losses(model)
    floor = float(p.iran_ally_floor)
    ally = min(1.0, (1.0 - regime_loss) / floor) if floor > 0 else 1.0
    route = 1.0 - p.iran_route_weight * (1.0 - model.supply_ground)
    iran.update_demand(
        regime_loss,
        model.shrine_threat,
        model.sunni_tilt,
        target,
        stake=ally * route,
        loss_memory=model.iran_loss_memory,
    )


def remember_losses(model: EscalationModel) -> None:
    """Iran's memory of the losses of its forces in Syria (``iran_interests``).

    m <- m x 2^(-1 / iran_loss_half_life) + (fighters lost since last week by the forces Iran
    commands, and its own, that stood in Syria last week) / their strength at the start.
    """
    w, p = model.world, model.p
    commanded = model.constants.iran_commanded | {model.roles["iran"]}
    now = {f.unique_id: f.strength for f in model.forces if f.actor_id in commanded}
    lost = sum(
        max(0.0, before - now.get(uid, 0.0)) for uid, before in model.iran_force_strength.items()
    )
    model.iran_force_strength = {
        f.unique_id: f.strength
        for f in model.forces
        if f.actor_id in commanded and w.is_syria[f.region]
    }
    decay = 0.5 ** (1.0 / max(float(p.iran_loss_half_life), 1e-9))
    norm = max(model.constants.iran_stake_norm, 1.0)
    model.iran_loss_memory = model.iran_loss_memory * decay + lost / norm


def update_shrine_threat(model: EscalationModel) -> None:
    """Mechanism 8: each Syrian shrine's threat, raised by hostile acts near it, fading.

    ``threat <- min(1, threat x 2^(-1 / shrine_threat_half_life) + shrine_advance_threat x
    (regions at or next to the shrine that a hostile actor took since last week) +
    shrine_attack_threat x (ISIS attacks in the shrine's region last week))``. Hostile: the
    holders hostile to Iran (``resistance.hostile_holders``: HTS and ISIS in 2024). A shrine
    counts as threatened while its threat is at least ``shrine_threat_min``; ``shrine_threat`` is
    the largest such threat (0 with ``shrine_defence`` off), ``threatened_shrines`` the shrines,
    most threatened first.
    """
    w, p = model.world, model.p
    ctrl, last = model.regions.controller, model.last_controller
    isis = model.roles["isis"]
    hostile = model.constants.hostile_holders.get(model.roles["iran"], frozenset())
    attacks: dict[int, int] = {}
    for event in reversed(model.events):
        if event[0] < model.steps - 1:
            break
        if event[0] == model.steps - 1 and event[3] == isis and event[4] == "attack":
            r = w.index[event[2]]
            attacks[r] = attacks.get(r, 0) + 1
    decay = 0.5 ** (1.0 / max(float(p.shrine_threat_half_life), 1e-9))
    level = model.shrine_threat_by_region
    shrines = np.flatnonzero(w.shrine & w.is_syria).tolist()
    for r in shrines:
        near = (r, *w.adjacency[r])
        advances = sum(1 for q in near if ctrl[q] in hostile and last[q] != ctrl[q])
        hits = attacks.get(r, 0)
        raised = level[r] * decay + p.shrine_advance_threat * advances
        level[r] = min(1.0, raised + p.shrine_attack_threat * hits)
    model.last_controller = list(ctrl)
    cut = float(p.shrine_threat_min)
    threatened = sorted(
        (r for r in shrines if level[r] >= cut and level[r] > 0), key=lambda r: (-level[r], r)
    )
    if not model.mech["shrine_defence"]:
        model.threatened_shrines, model.shrine_threat = [], 0.0
        return
    model.threatened_shrines = threatened
    model.shrine_threat = float(level[threatened[0]]) if threatened else 0.0
