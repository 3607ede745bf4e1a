"""Phase 1, mechanism 1 (``syria_chaos``): the HTS offensive, state collapse, chaos.

Seed: "the situation in Syria could reactivate ISIS, whether from outside Iraqi borders or from
within"; record: ~11,000 suspected fighters held by the SDF, ~41,700 in al-Hol and Roj, >1,000
Syrian soldiers fled into Iraq at Al-Qaim on 7 Dec 2024.

* **Collapse** at week ``syria_collapse_week`` with severity s = ``syria_collapse``: every
  regime formation loses a share s of its strength and of its cohesion; a share
  ``collapse_flee_share`` of those lost next to Iraq flee across the border; the guards of the
  prisons and camps the regime holds (only those: the SDF held the north-east's) fall by a share
  s x ``collapse_guard_loss`` (1 by default: the lever's definition); regime
  regions whose remaining forces are below ``regime_hold_min`` become ungoverned; HTS momentum
  rises to at least s.
* **Vacuum**: a rebel movement next to an ungoverned region takes it unopposed: HTS with
  probability max(momentum, ``vacuum_fill``), moving its spearhead in; others (the SDF) with
  probability ``vacuum_fill``, sending a garrison of ``hts_garrison_share`` of their strongest
  formation next door. HTS goes first where both are next door.
* **Offensive**: each week HTS attacks the ``hts_axes`` regions next to its own (regime- or
  ISIS-held) where its odds are best; each falls with probability ``momentum * A / (A + D)``, A
  the HTS effective strength next door times ``hts_attack_advantage``, D the effective strength
  of the regime's side there (of ISIS, for an ISIS-held region). The strongest attacker advances
  into it, leaving a share ``hts_garrison_share`` of its fighters behind if its old region would
  otherwise be empty; defenders lose ``rout_loss`` and fall back. Momentum decays by
  ``hts_momentum_decay`` a week.
* **Breakouts** from prisons and camps run in the detention phase
  (``escalation_sim.mechanisms.detention``), still behind this switch.
* **Chaos** is 1 in a region that changed hands or is ungoverned, and decays by ``chaos_decay``
  a week where someone governs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce, IsisCell
from escalation_sim.mechanisms.common import UNGOVERNED
from escalation_sim.mechanisms.detention import erode_holder

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "syria_collapse",
    "syria_collapse_week",
    "collapse_flee_share",
    "collapse_guard_loss",
    "regime_hold_min",
    "hts_offensive_momentum",
    "hts_momentum_decay",
    "hts_attack_advantage",
    "rout_loss",
    "hts_garrison_share",
    "hts_axes",
    "vacuum_fill",
    "detainee_escape_rate",
    "detainee_rejoin_share",
    "camp_recruit_rate",
    "chaos_decay",
)


def step(model: EscalationModel) -> None:
    """Run phase 1 (a no-op when ``syria_chaos`` is off: Syria then stays as it started)."""
    if not model.mech["syria_chaos"]:
        return
    p = model.p
    if p.syria_collapse > 0 and model.steps == p.syria_collapse_week:
        collapse(model, float(p.syria_collapse))
    fill_vacuum(model)
    offensive(model)
    regions = model.regions
    governed = np.array([c != UNGOVERNED for c in regions.controller])
    regions.chaos = np.where(governed, regions.chaos * (1 - p.chaos_decay), 1.0)


def collapse(model: EscalationModel, severity: float) -> None:
    """Dissolve a share ``severity`` of the regime's forces and of its facilities' guards."""
    p, w = model.p, model.world
    regime = model.roles["syrian_regime"]
    for f in model.forces_of("syrian_regime"):
        lost = f.strength * severity
        f.strength -= lost
        f.cohesion *= 1 - severity
        if w.dist_to_iraq[f.region] == 1:
            model.counts.fled_to_iraq += int(lost * p.collapse_flee_share)
    erode_holder(model, regime, severity * p.collapse_guard_loss)
    regions = model.regions
    held = model.force_by_region_of(regime)
    for r, ctrl in enumerate(regions.controller):
        if ctrl == regime and held[r] < p.regime_hold_min:
            regions.controller[r] = UNGOVERNED
            regions.chaos[r] = 1.0
    model.hts_momentum = max(model.hts_momentum, severity)


def offensive(model: EscalationModel) -> None:
    """HTS attacks up to ``hts_axes`` regime, ungoverned or ISIS-held regions next to its own."""
    p, w = model.p, model.world
    hts, regime, isis = model.roles["hts"], model.roles["syrian_regime"], model.roles["isis"]
    momentum = model.hts_momentum
    if momentum <= 1e-3:
        return
    hts_forces = model.forces_of("hts")
    hts_power = model.force_by_region_of(hts)
    defended_by = model.constants.regime_side
    defence = model.force_by_region_of(*defended_by)
    isis_defence = model.isis_by_region() * model.isis_cohesion
    controller = model.regions.controller
    candidates = []
    for r, ctrl in enumerate(controller):
        if ctrl not in (regime, isis) or not w.is_syria[r]:
            continue
        neighbours = [q for q in w.adjacency[r] if controller[q] == hts]
        if not neighbours:
            continue
        attack = sum(hts_power[q] for q in neighbours) * p.hts_attack_advantage
        held = isis_defence[r] if ctrl == isis else defence[r]
        chance = momentum * attack / (attack + held) if attack > 0 else 0.0
        candidates.append((-chance, r, neighbours))
    # The best odds first (ties by node order), one attempt per axis.
    for neg_chance, r, neighbours in sorted(candidates)[: int(p.hts_axes)]:
        if model.rng.random() < -neg_chance:
            attackers = [f for f in hts_forces if f.region in neighbours]
            _capture(model, r, hts, attackers, defended_by, advance=True)
            model.hts_capture_weeks.append(model.steps)
    model.hts_momentum = momentum * (1 - p.hts_momentum_decay)


def fill_vacuum(model: EscalationModel) -> None:
    """Rebel movements take ungoverned regions next to their own, unopposed.

    HTS moves in with probability max(momentum, ``vacuum_fill``), sending its spearhead; others
    (the SDF) with probability ``vacuum_fill``, sending a garrison.
    """
    p, w = model.p, model.world
    hts = model.roles["hts"]
    rebels = {a for a, actor in model.actors.items() if actor.kind == "rebel"}
    for r, ctrl in enumerate(model.regions.controller):
        if ctrl != UNGOVERNED or not w.is_syria[r]:
            continue
        # Rebel forces next door, in the model's order (the first of equals is chosen).
        near = [
            a
            for q in w.adjacency[r]
            for a in model.space[q].agents
            if isinstance(a, ArmedForce) and a.actor_id in rebels and a.strength > 0
        ]
        near.sort(key=lambda f: f.unique_id)
        if not near:
            continue
        best = max(near, key=lambda f: (f.actor_id == hts, f.effective, f.unit_id))
        is_hts = best.actor_id == hts
        chance = max(model.hts_momentum, p.vacuum_fill) if is_hts else p.vacuum_fill
        if model.rng.random() < chance:
            _capture(model, r, best.actor_id, [best], frozenset(), advance=is_hts)
            if is_hts:
                model.hts_capture_weeks.append(model.steps)


def _capture(
    model: EscalationModel,
    r: int,
    actor: str,
    attackers: list[ArmedForce],
    defended_by: frozenset[str],
    advance: bool,
) -> None:
    """Region r passes to ``actor``: defenders are routed, the strongest attacker moves in.

    With ``advance`` the attacker itself moves in (leaving a garrison behind only if its old
    region would be left empty); otherwise it sends a garrison and stays.
    """
    p, w = model.p, model.world
    controller = model.regions.controller
    controller[r] = actor
    model.regions.chaos[r] = 1.0
    regime = model.roles["syrian_regime"]
    # Defenders are routed and fall back to a regime region next door; with none, the regime's
    # own formations dissolve and its allies' stay, depleted.
    fallback = [q for q in w.adjacency[r] if controller[q] == regime]
    for a in list(model.space[r].agents):
        if isinstance(a, IsisCell):
            a.strength -= model.rng.binomial(int(a.strength), p.rout_loss)
            if a.strength < 1:
                a.remove()
        elif a.actor_id in defended_by:
            a.strength *= 1 - p.rout_loss
            if fallback:
                a.move_to(model.space[fallback[int(model.rng.integers(len(fallback)))]])
            elif a.actor_id == regime:
                a.remove()
    if not attackers:
        return
    best = max(attackers, key=lambda f: (f.effective, f.unit_id))
    if advance:
        # The spearhead moves into the captured region; a garrison stays behind if it leaves
        # its old region without any force of its own.
        old = best.region
        best.move_to(model.space[r])
        if any(f.actor_id == actor for f in model.space[old].agents if isinstance(f, ArmedForce)):
            return
        r = old
    _detach(model, best, r)


def _detach(model: EscalationModel, force: ArmedForce, region: int) -> None:
    """Split a garrison of ``hts_garrison_share`` off ``force`` and place it in ``region``."""
    garrison = force.strength * model.p.hts_garrison_share
    force.strength -= garrison
    detachment = ArmedForce(
        model,
        unit_id=f"{force.unit_id}_{model.world.ids[region]}",
        actor_id=force.actor_id,
        kind=force.kind,
        role="garrison",
        strength=garrison,
        cohesion=force.cohesion,
        home=region,
        links=force.links,
        affinity=force.affinity,
    )
    detachment.move_to(model.space[region])
