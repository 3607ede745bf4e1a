"""Phase 6: ISIS attacks, counter-terrorism and decapitation (mechanisms 3, 9, 11, background).

**Attacks.** A cell of s fighters makes Poisson(``attack_rate`` x s / ``isis_cell_size`` x ISIS
cohesion x motivation) attacks a week, with::

    motivation = 1 + chaos boost (common.chaos_boost)                 (mechanism 1)
                   + sunni_tilt_motivation x sunni_tilt [in Iraq]     (mechanism 9)
                   + outbidding x min(1, HTS captures in 8 weeks / 4)  (mechanism 11)

Each attack kills ``floor(attack_deaths_scale (U^(-1/(deaths_alpha - 1)) - 1))`` people, capped
at ``attack_deaths_max``: a Lomax law whose tail has density exponent ``deaths_alpha``
(Bohorquez et al. 2009 find about 2.5 for insurgencies). The target is a force in the region or
its civilians of one sect, drawn with weight exposure x d^``sectarian_targeting`` (d the
sectarian distance from ISIS; exponent 0 without mechanism 9). Deaths among a force reduce it.

**Counter-terrorism** (``counter_terrorism``). In a region with effective security strength S,
each cell loses Binomial(s, rate) fighters with::

    rate = ct_rate x S / (S + ct_half) x (1 + coalition_ct_bonus x coalition)
           x (1 + intel_efficiency [Iraq, mechanism 5]) x (1 - chaos)

coalition = Iraq's alignment with the US in Iraq (where US forces are present anywhere in
Iraq), 1 where US forces stand in Syria, 0 elsewhere.

**Decapitation** (3, ``decapitation``): with probability ``decap_rate`` x coalition support in
Iraq (x (1 + intel_efficiency) with mechanism 5) a week, a strike kills a senior leader and ISIS
cohesion falls by ``decap_cohesion_loss``; cohesion recovers by ``cohesion_recovery`` x (1 -
cohesion) a week. It starts at ``isis_leadership_cohesion_2024`` (the "Wali of Iraq" was killed a
month before the offensive); with the mechanism off it is 1 throughout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce, affinity_distance
from escalation_sim.mechanisms.common import chaos_boost

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "attack_rate",
    "deaths_alpha",
    "attack_deaths_scale",
    "attack_deaths_max",
    "sectarian_targeting",
    "outbidding",
    "ct_rate",
    "ct_half",
    "coalition_ct_bonus",
    "decap_rate",
    "decap_cohesion_loss",
    "cohesion_recovery",
    "isis_leadership_cohesion_2024",
)


def step(model: EscalationModel) -> None:
    """Attacks, then counter-terrorism, then decapitation."""
    attacks(model)
    if model.mech["counter_terrorism"]:
        counter_terrorism(model)
    decapitation(model)


def coalition_support(model: EscalationModel) -> np.ndarray:
    """Coalition air and intelligence support per region, in [0, 1]."""
    w = model.world
    us = model.force_by_region(lambda f: f.actor_id == model.roles["us"]) > 0
    support = np.where(w.is_syria & us, 1.0, 0.0)
    if us[w.is_iraq].any():
        support[w.is_iraq] = model.actors[model.roles["iraq"]].alignment
    return support


def attacks(model: EscalationModel) -> None:
    """Draw each cell's attacks, their deaths and their targets."""
    p, w, rng = model.p, model.world, model.rng
    cells = list(model.cells)
    if not cells:
        return
    regions = np.fromiter((c.cell.coordinate for c in cells), dtype=int, count=len(cells))
    strength = np.fromiter((c.strength for c in cells), dtype=float, count=len(cells))
    motivation = 1 + chaos_boost(model)
    if model.mech["sectarian_backlash"]:
        motivation = motivation + p.sunni_tilt_motivation * model.sunni_tilt * w.is_iraq
    if model.mech["isis_competition"]:
        recent = sum(1 for wk in model.hts_capture_weeks if wk > model.steps - 8)
        motivation = motivation + p.outbidding * min(1.0, recent / 4)
    rate = p.attack_rate * strength / p.isis_cell_size * model.isis_cohesion * motivation[regions]
    counts = rng.poisson(rate)
    total = int(counts.sum())
    if total == 0:
        return
    where = np.repeat(regions, counts)
    u = rng.random(total)
    deaths = np.floor(p.attack_deaths_scale * (u ** (-1.0 / (p.deaths_alpha - 1.0)) - 1.0))
    deaths = np.minimum(deaths, p.attack_deaths_max).astype(int)
    isis_aff = model.actors[model.roles["isis"]].affinity
    for r, d in zip(where, deaths, strict=True):
        target = pick_target(model, int(r), isis_aff)
        if isinstance(target, ArmedForce):
            target.strength = max(1.0, target.strength - d)
            label = target.unit_id
        else:
            label = target
        model.record_event(int(r), model.roles["isis"], int(d), label)
        if w.is_iraq[r]:
            model.attacks_iraq += 1
            model.deaths_iraq += int(d)
        elif w.is_syria[r]:
            model.attacks_syria += 1
            model.deaths_syria += int(d)


def pick_target(model: EscalationModel, region: int, isis_aff: np.ndarray) -> ArmedForce | str:
    """A force in the region or ``civilians:<sect>``, by exposure and sectarian distance."""
    w = model.world
    exponent = model.p.sectarian_targeting if model.mech["sectarian_backlash"] else 0.0
    forces = [a for a in model.space[region].agents if isinstance(a, ArmedForce)]
    pop = w.population[region]
    total_pop = pop.sum()
    security = sum(f.effective for f in forces)
    options: list[ArmedForce | str] = []
    weights: list[float] = []
    # Half the exposure is civilian (split by sect), half the forces present (by strength).
    for k, sect in enumerate(w.sects):
        if pop[k] > 0:
            distance = _distance(model, ("sect", k), isis_aff, np.eye(len(w.sects))[k])
            options.append(f"civilians:{sect}")
            weights.append(0.5 * pop[k] / total_pop * distance**exponent)
    for f in forces:
        distance = _distance(model, ("force", f.unique_id), isis_aff, f.affinity)
        options.append(f)
        weights.append(0.5 * f.effective / max(security, 1e-9) * distance**exponent)
    if not options:
        return "civilians"
    wts = np.asarray(weights) + 1e-12
    return options[int(model.rng.choice(len(options), p=wts / wts.sum()))]


def _distance(model: EscalationModel, key: tuple, a: np.ndarray, b: np.ndarray) -> float:
    """Sectarian distance from ISIS, memoised per target (affinities do not change in a run)."""
    cache = model.__dict__.setdefault("_isis_distance", {})
    if key not in cache:
        cache[key] = affinity_distance(a, b)
    return cache[key]


def counter_terrorism(model: EscalationModel) -> None:
    """Security forces remove ISIS fighters where they stand."""
    p, w, rng = model.p, model.world, model.rng
    security = model.force_by_region()
    rate = p.ct_rate * security / (security + p.ct_half)
    rate = rate * (1 + p.coalition_ct_bonus * coalition_support(model))
    if model.mech["intel_sharing"]:
        rate = rate * (1 + p.intel_efficiency * w.is_iraq)
    rate = np.clip(rate * (1 - model.chaos), 0.0, 1.0)
    for cell in list(model.cells):
        r = cell.cell.coordinate
        if rate[r] > 0:
            cell.strength -= rng.binomial(int(cell.strength), rate[r])
            if cell.strength < 1:
                cell.remove()


def decapitation(model: EscalationModel) -> None:
    """Mechanism 3: leadership strikes with the coalition, and ISIS's recovery from them."""
    p = model.p
    if not model.mech["decapitation"]:
        model.isis_cohesion = 1.0
        return
    support = coalition_support(model)[model.world.is_iraq].max(initial=0.0)
    chance = p.decap_rate * support
    if model.mech["intel_sharing"]:
        chance *= 1 + p.intel_efficiency
    if model.rng.random() < chance:
        model.isis_cohesion *= 1 - p.decap_cohesion_loss
        model.decapitations += 1
    model.isis_cohesion += p.cohesion_recovery * (1 - model.isis_cohesion)
