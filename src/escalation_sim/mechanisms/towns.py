"""Phases 'muster' and 'towns': who holds each town, and the cohesion of the forces holding them.

Regions are governorate-sized; towns (the scenario's ``[[towns]]``) are the scale at which ISIS
took and lost ground in 2014-2017. Each town lies in a region and has a holder. A region's
controlled share is the population share of its towns each actor holds
(``EscalationModel.town_share``). The **defenders** of a town are the forces of the actors that
hold towns at week 0 (the Iraqi state) and the militias formally under them, standing in its
region; a region's whole force defends each of its towns (it can reinforce the one attacked).

**Endogenous cohesion** (``endogenous_cohesion``). Each week, a defending formation f in a region
with towns has a brittleness::

    b_f = corruption + cohesion_sect_weight x d(f, people) + cohesion_legitimacy_weight x (1 - L)

with d the sectarian distance (1 - cosine) between its affinity and the region's population, L
the legitimacy of the state there (the region's, x (1 - chaos)); and its cohesion c moves by::

    dc = state_cohesion_recovery x (standing - c)
         - (cohesion_loss_shock x lost + momentum_shock x captures) x (1 + b_f)

``lost`` the share of its strength lost since the week's muster (ISIS attacks, strikes),
``captures`` the towns ISIS took in the last ``momentum_weeks`` weeks (the enemy's momentum):
with ``local_momentum`` only those within ``momentum_reach`` road hops of the formation's region
(fear spreads to the garrisons next in line, so towns fall in sequence; without it, every capture
in the theatre counts for every garrison),
``standing`` the cohesion of the file or of the timeline's latest ``set_unit``. Without shocks
cohesion stays at its standing value. In battle (below), a defender also loses::

    fear_f = min(max_cohesion_loss_week, morale_shock x P_A / P_D) x b_f

(fear of a stronger enemy, worse in a brittle formation). The cap makes breaking take sustained
pressure: a garrison at cohesion c and brittleness b needs about
(c - rout_breakpoint) / (max_cohesion_loss_week x b) weeks of battle, in which Lanchester
attrition wears the attacker down, unless the enemy overwhelms it (P_A beyond P_D after the
battle) or it was already near the breakpoint (the timeline's 2014 ``set_unit``). Expected sign:
a smaller cap, fewer towns fall; without it (``max_cohesion_loss_week`` = ``morale_shock`` x the
ratio) every attack at the trigger ratio broke a 2013 garrison in its first week.

**Engagement rule** (``town_control``, Lanchester's square law with morale). With A ISIS
fighters in a region, P_A = A x ISIS cohesion x ``isis_effectiveness`` and P_D the defenders'
effective strength (strength x cohesion, all forces there):

1. *Retake*: where ISIS holds a town and P_D >= ``retake_ratio`` x P_A, the state retakes the
   most populous one; ISIS loses a share ``retake_loss`` of its fighters in the region.
2. *Attack*: where the state holds a town, A >= ``town_attack_min``, P_A >=
   ``town_attack_ratio`` x P_D and no town of the region was retaken in the last
   ``momentum_weeks`` weeks, ISIS attacks the most populous one. ISIS loses
   ``lanchester_rate`` x P_D fighters (binomially over its cells there), the defenders
   ``lanchester_rate`` x P_A (in proportion to each one's effective strength), then the capped
   morale shock above. The town falls when ISIS's power after the battle exceeds the defenders'
   or the defenders' strength-weighted mean cohesion is below ``rout_breakpoint``; formations below
   the breakpoint rout and lose a share ``town_rout_loss`` of their fighters.

One battle and one retake per region a week. With ``town_control`` off no town changes hands;
with ``endogenous_cohesion`` off cohesion moves only by the other phases and the timeline, and a
town falls only to a garrison already below the breakpoint or overwhelmed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce
from escalation_sim.world import hop_distances

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "isis_effectiveness",
    "town_attack_ratio",
    "town_attack_min",
    "lanchester_rate",
    "morale_shock",
    "max_cohesion_loss_week",
    "rout_breakpoint",
    "town_rout_loss",
    "retake_ratio",
    "retake_loss",
    "corruption",
    "cohesion_sect_weight",
    "cohesion_legitimacy_weight",
    "cohesion_loss_shock",
    "momentum_shock",
    "momentum_weeks",
    "momentum_reach",
    "state_cohesion_recovery",
)


def muster(model: EscalationModel) -> None:
    """Record every force's strength after the timeline: losses from here on are this week's."""
    table = model.force_table
    rows = table.rows()
    model.town_muster = (table.compactions, rows, table.strength[rows].copy())


def step(model: EscalationModel) -> None:
    """Cohesion of the defenders, then retakes and battles; count ISIS's momentum."""
    towns = model.towns
    if len(towns):
        table = model.force_table
        rows = table.rows()
        defending = defenders(model) & model.constants.town_region[table.region[rows]]
        brittle = brittleness(model, rows)
        if model.mech["endogenous_cohesion"] and defending.any():
            drift(model, rows, defending, brittle)
        if model.mech["town_control"]:
            retakes(model)
            battles(model, rows, defending, brittle)
    model.town_captures.append(model.counts.towns_taken)


def is_defender(model: EscalationModel, force: ArmedForce) -> bool:
    """A force of an actor that holds towns at week 0, or a militia formally under one."""
    holders = model.constants.town_holders
    return force.actor_id in holders or any(
        c.formal and c.commander in holders for c in force.links
    )


def defenders(model: EscalationModel) -> np.ndarray:
    """``is_defender`` for every force, in ``force_table.rows()`` order."""
    return model.force_flags("town_defender", lambda f: is_defender(model, f))


def brittleness(model: EscalationModel, rows: np.ndarray) -> np.ndarray:
    """b_f of each force where it stands (module docstring): corruption, distance, legitimacy."""
    p, w = model.p, model.world
    table = model.force_table
    region = table.region[rows]
    cached = model.caches.force_affinity
    if cached is None or cached[0] is not rows:
        forces = table.live()
        aff = np.array([f.affinity for f in forces], dtype=float).reshape(len(forces), -1)
        norm = np.linalg.norm(aff, axis=1, keepdims=True)
        unit = np.divide(aff, norm, out=np.zeros_like(aff), where=norm > 0)
        cached = model.caches.force_affinity = (rows, unit)
    unit = cached[1]
    people = model.constants.population_direction[region]
    cosine = np.einsum("ij,ij->i", unit, people)
    known = (np.abs(unit).sum(axis=1) > 0) & (np.abs(people).sum(axis=1) > 0)
    distance = np.where(known, 1.0 - cosine, 0.5)  # as agents.affinity_distance
    legitimacy = w.legitimacy[region] * (1.0 - model.regions.chaos[region])
    return np.asarray(
        p.corruption
        + p.cohesion_sect_weight * distance
        + p.cohesion_legitimacy_weight * (1.0 - legitimacy)
    )


def drift(
    model: EscalationModel, rows: np.ndarray, defending: np.ndarray, brittle: np.ndarray
) -> None:
    """Endogenous cohesion outside battle: recovery, losses and ISIS's momentum."""
    p, table = model.p, model.force_table
    here = rows[defending]
    strength = table.strength[here]
    lost = np.zeros(len(here))
    compactions, mustered, before = model.town_muster
    if compactions == table.compactions and len(mustered):
        at = np.searchsorted(mustered, here)
        at = np.minimum(at, len(mustered) - 1)
        found = mustered[at] == here
        prior = np.where(found, before[at], strength)
        lost = np.maximum(0.0, prior - strength) / np.maximum(prior, 1.0)
    if model.mech["local_momentum"]:
        momentum: float | np.ndarray = local_momentum(model)[table.region[here]]
    else:
        momentum = float(sum(model.town_captures))
    shock = (p.cohesion_loss_shock * lost + p.momentum_shock * momentum) * (1 + brittle[defending])
    cohesion = table.cohesion[here]
    table.set_cohesions(
        here, cohesion + p.state_cohesion_recovery * (table.standing[here] - cohesion) - shock
    )


def local_momentum(model: EscalationModel) -> np.ndarray:
    """Per region: towns ISIS took in the last momentum_weeks weeks, momentum_reach hops away."""
    p, w, towns = model.p, model.world, model.towns
    taken = towns.taken_week
    recent = (taken >= 0) & (taken >= model.steps - p.momentum_weeks)
    captures = np.bincount(towns.region[recent], minlength=w.n).astype(float)
    momentum = np.zeros(w.n)
    # Only the few regions with a recent capture spread fear, so hop counts are found from those
    # alone (roads are undirected: hops from c to r = hops from r to c) and kept per region; a
    # matrix of every pair cost O(regions²) memory and time each week on a large theatre.
    hops = model.caches.hops
    for c in np.flatnonzero(captures).tolist():
        if c not in hops:
            hops[c] = hop_distances(w.graph, [c])
        momentum += captures[c] * (hops[c] <= p.momentum_reach)
    return momentum


def isis_power(model: EscalationModel, fighters: np.ndarray) -> np.ndarray:
    """P_A: ISIS's effective strength per region."""
    return fighters * model.isis_cohesion * model.p.isis_effectiveness


def retakes(model: EscalationModel) -> None:
    """Where the state is strong enough, it retakes ISIS's most populous town in the region."""
    towns, p = model.towns, model.p
    if not towns.isis.any():
        return
    power = isis_power(model, model.isis_by_region())
    security = model.force_by_region()
    for r in np.unique(towns.region[towns.isis]).tolist():
        if security[r] < p.retake_ratio * power[r]:
            continue
        t = next(int(k) for k in towns.by_size if towns.isis[k] and towns.region[k] == r)
        towns.holder[t] = towns.home[t]
        towns.isis[t] = False
        towns.retaken_week[t] = model.steps
        model.counts.towns_retaken += 1
        model.town_log.append((model.steps, towns.ids[t], towns.home[t]))
        cull_cells(model, r, p.retake_loss)


def battles(
    model: EscalationModel, rows: np.ndarray, defending: np.ndarray, brittle: np.ndarray
) -> None:
    """ISIS attacks a town in each region where it has massed enough (module docstring)."""
    towns, p, w = model.towns, model.p, model.world
    fighters = model.isis_by_region()
    power = isis_power(model, fighters)
    security = model.force_by_region()
    open_town = np.zeros(w.n, dtype=bool)
    open_town[towns.region[~towns.isis]] = True
    # A town retaken in the last momentum_weeks weeks costs ISIS its momentum in the region.
    recent = towns.retaken_week >= model.steps - p.momentum_weeks + 1
    open_town[towns.region[recent & (towns.retaken_week >= 0)]] = False
    attack = (
        open_town
        & (fighters >= p.town_attack_min)
        & (power >= p.town_attack_ratio * security)
        & (power > 0)
    )
    if not attack.any():
        return
    table = model.force_table
    region = table.region[rows]
    for r in np.flatnonzero(attack).tolist():
        here = region == r
        fight(model, r, rows[here], defending[here], brittle[here], fighters[r], power[r])


def fight(
    model: EscalationModel,
    r: int,
    rows: np.ndarray,
    defending: np.ndarray,
    brittle: np.ndarray,
    fighters: float,
    power: float,
) -> None:
    """One week's battle for the most populous town the state holds in region ``r``."""
    p, towns, table = model.p, model.towns, model.force_table
    t = next(int(k) for k in towns.by_size if not towns.isis[k] and towns.region[k] == r)
    strength, cohesion = table.strength[rows], table.cohesion[rows]
    effective = strength * cohesion
    defence = float(effective.sum())
    # Lanchester: each side loses in proportion to the other's effective strength.
    cull_cells(model, r, min(1.0, p.lanchester_rate * defence / max(fighters, 1.0)))
    if defence > 0:
        share = effective / defence
        strength = np.maximum(1.0, strength - p.lanchester_rate * power * share)
        table.set_strengths(rows, strength)
    if model.mech["endogenous_cohesion"] and defending.any():
        # Capped: a garrison breaks under sustained pressure, not in the first week's scare.
        scare = min(p.max_cohesion_loss_week, p.morale_shock * power / max(defence, 1e-9))
        fear = scare * brittle
        cohesion = np.where(defending, np.clip(cohesion - fear, 0.0, 1.0), cohesion)
        table.set_cohesions(rows, cohesion)
    after = float(isis_power(model, model.isis_by_region())[r])
    held = float((strength * cohesion).sum())
    broken = False
    if defending.any():
        weight = strength[defending]
        mean = float((cohesion[defending] * weight).sum() / max(weight.sum(), 1e-9))
        broken = mean < p.rout_breakpoint
    if after <= 0 or not (after > held or broken):
        return
    routed = defending & (cohesion < p.rout_breakpoint)
    if routed.any():
        table.set_strengths(rows[routed], strength[routed] * (1 - p.town_rout_loss))
    towns.holder[t] = model.roles["isis"]
    towns.isis[t] = True
    towns.taken_week[t] = model.steps
    model.counts.towns_taken += 1
    model.town_log.append((model.steps, towns.ids[t], towns.holder[t]))


def cull_cells(model: EscalationModel, r: int, share: float) -> None:
    """Each ISIS cell in region ``r`` loses Binomial(fighters, share) fighters."""
    if share <= 0:
        return
    table = model.cell_table
    rows = table.rows()
    rows = rows[table.region[rows] == r]
    if not len(rows):
        return
    losses = model.rng.binomial(table.strength[rows].astype(np.int64), min(1.0, share))
    for row in table.remove_fighters(rows, losses).tolist():
        table.agent(row).remove()
