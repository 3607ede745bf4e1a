"""Phase 1, mechanism 1 (``syria_chaos``): the HTS offensive, state collapse, breakouts, chaos.

Seed: "the situation in Syria could reactivate ISIS, whether from outside Iraqi borders or from
within"; FACTS: ~11,000 suspected fighters held by the SDF, ~41,700 in al-Hol and Roj, >1,000
Syrian soldiers fled into Iraq at Al-Qaim on 7 Dec 2024.

* **Collapse** at week ``syria_collapse_week`` with severity s = ``syria_collapse``: every
  regime formation loses a share s of its strength and of its cohesion; a share
  ``collapse_flee_share`` of those lost next to Iraq flee across the border; prison and camp
  guards fall by s; regime regions whose remaining forces are below ``regime_hold_min`` become
  ungoverned; HTS momentum rises to at least s.
* **Offensive**: HTS attacks one region a week, the regime (or ungoverned) region next to its
  own where its odds are best; it falls with probability ``momentum * A / (A + D)``, A the HTS
  effective strength next door times ``hts_attack_advantage``, D the regime's and its allies'
  effective strength there (``momentum`` alone for an ungoverned region). The strongest attacker
  leaves a share ``hts_garrison_share`` of its fighters to hold it; defenders lose ``rout_loss``
  and fall back. Momentum decays by
  ``hts_momentum_decay`` a week.
* **Breakouts**: escapes ~ Binomial(detainees, ``detainee_escape_rate`` (1 - guards)), of whom
  ``detainee_rejoin_share`` rejoin ISIS; camp recruits ~ Binomial(camp,
  ``camp_recruit_rate`` (1 - guards)). They form cells in place, Iraqi by the region's shares.
* **Chaos** is 1 in a region that changed hands or is ungoverned, and decays by ``chaos_decay``
  a week where someone governs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce
from escalation_sim.mechanisms.common import UNGOVERNED, add_recruits

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "syria_collapse",
    "syria_collapse_week",
    "collapse_flee_share",
    "regime_hold_min",
    "hts_offensive_momentum",
    "hts_momentum_decay",
    "hts_attack_advantage",
    "rout_loss",
    "hts_garrison_share",
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
    offensive(model)
    breakouts(model)
    governed = np.array([c != UNGOVERNED for c in model.controller])
    model.chaos = np.where(governed, model.chaos * (1 - p.chaos_decay), 1.0)


def collapse(model: EscalationModel, severity: float) -> None:
    """Dissolve a share ``severity`` of the regime's forces and of prison and camp guards."""
    p, w = model.p, model.world
    regime = model.roles["syrian_regime"]
    for f in model.forces_of("syrian_regime"):
        lost = f.strength * severity
        f.strength -= lost
        f.cohesion *= 1 - severity
        if w.dist_to_iraq[f.region] == 1:
            model.fled_to_iraq += int(lost * p.collapse_flee_share)
    model.guards *= 1 - severity
    held = model.force_by_region(lambda f: f.actor_id == regime)
    for r, ctrl in enumerate(model.controller):
        if ctrl == regime and held[r] < p.regime_hold_min:
            model.controller[r] = UNGOVERNED
            model.chaos[r] = 1.0
    model.hts_momentum = max(model.hts_momentum, severity)


def offensive(model: EscalationModel) -> None:
    """HTS takes regime or ungoverned regions next to its own, with decaying momentum."""
    p, w = model.p, model.world
    hts, regime = model.roles["hts"], model.roles["syrian_regime"]
    momentum = model.hts_momentum
    if momentum <= 1e-3:
        return
    hts_forces = model.forces_of("hts")
    hts_power = model.force_by_region(lambda f: f.actor_id == hts)
    defended_by = _regime_side(model)
    defence = model.force_by_region(lambda f: f.actor_id in defended_by)
    targets = [
        r
        for r, ctrl in enumerate(model.controller)
        if ctrl in (regime, UNGOVERNED)
        and w.is_syria[r]
        and any(model.controller[q] == hts for q in w.graph.neighbors(r))
    ]
    # One axis of advance a week: the target with the best odds (ties by node order).
    best, best_chance, best_from = None, 0.0, []
    for r in targets:
        neighbours = [q for q in w.graph.neighbors(r) if model.controller[q] == hts]
        attack = sum(hts_power[q] for q in neighbours) * p.hts_attack_advantage
        if model.controller[r] == UNGOVERNED:
            chance = momentum
        else:
            chance = momentum * attack / (attack + defence[r]) if attack > 0 else 0.0
        if chance > best_chance:
            best, best_chance, best_from = r, chance, neighbours
    if best is not None and model.rng.random() < best_chance:
        _capture(model, best, best_from, hts_forces, defended_by)
    model.hts_momentum = momentum * (1 - p.hts_momentum_decay)


def _regime_side(model: EscalationModel) -> set[str]:
    """Actors that defend regime regions: the regime and those allied with it or commanding it."""
    regime = model.roles["syrian_regime"]
    side = {regime, model.roles["iran"]}
    for u, v, d in model.relations.edges(data=True):
        if d["kind"] == "alliance" and regime in (u, v):
            side.add(v if u == regime else u)
    # Iraqi militias that Iran commands fight on the regime's side in Syria.
    for u, v, d in model.relations.edges(data=True):
        if d["kind"] == "command" and v == model.roles["iran"]:
            side.add(u)
    return side


def _capture(model: EscalationModel, r: int, neighbours: list[int], hts_forces, defended_by):
    p, w = model.p, model.world
    model.controller[r] = model.roles["hts"]
    model.chaos[r] = 1.0
    model.hts_captures += 1
    model.hts_capture_weeks.append(model.steps)
    # Defenders are routed and fall back to a friendly region next door, or dissolve.
    fallback = [
        q for q in w.graph.neighbors(r) if model.controller[q] == model.roles["syrian_regime"]
    ]
    for f in list(model.space[r].agents):
        if getattr(f, "actor_id", None) in defended_by:
            f.strength *= 1 - p.rout_loss
            if fallback:
                f.cell = model.space[fallback[int(model.rng.integers(len(fallback)))]]
            elif f.actor_id == model.roles["syrian_regime"]:
                f.remove()
    # The strongest attacking formation leaves a garrison in the captured region.
    attackers = [f for f in hts_forces if f.region in neighbours]
    if attackers:
        best = max(attackers, key=lambda f: (f.effective, f.unit_id))
        garrison = best.strength * p.hts_garrison_share
        best.strength -= garrison
        detachment = ArmedForce(
            model,
            unit_id=f"{best.unit_id}_{model.world.ids[r]}",
            actor_id=best.actor_id,
            kind=best.kind,
            role="garrison",
            strength=garrison,
            cohesion=best.cohesion,
            home=r,
            links=best.links,
            affinity=best.affinity,
        )
        detachment.cell = model.space[r]


def breakouts(model: EscalationModel) -> None:
    """Escapes from prisons and recruitment from camps where guards have thinned."""
    p, rng = model.p, model.rng
    leak = 1 - model.guards
    for r in np.flatnonzero((model.detainees > 0) | (model.camp > 0)):
        escapes = rng.binomial(int(model.detainees[r]), min(1.0, p.detainee_escape_rate * leak[r]))
        joined_camp = rng.binomial(int(model.camp[r]), min(1.0, p.camp_recruit_rate * leak[r]))
        model.detainees[r] -= escapes
        model.camp[r] -= joined_camp
        model.escapees += int(escapes)
        fighters = rng.binomial(escapes, p.detainee_rejoin_share)
        iraqi = rng.binomial(fighters, model.detainees_iraqi[r]) + rng.binomial(
            joined_camp, model.camp_iraqi[r]
        )
        total = fighters + joined_camp
        add_recruits(model, int(r), int(iraqi), iraqi=True)
        add_recruits(model, int(r), int(total - iraqi), iraqi=False)
