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
           x (1 + intel_efficiency)(1 - intel_leak) [Iraq, mechanism 5] x (1 - chaos)

coalition = Iraq's alignment with the US in Iraq (where US forces are present anywhere in
Iraq), 1 where US forces stand in Syria, 0 elsewhere.

**Decapitation** (3, ``decapitation``): with probability ``decap_rate`` x coalition support in
Iraq (x (1 + intel_efficiency)(1 - intel_leak) with mechanism 5) a week, a strike kills a senior
leader and ISIS cohesion falls by ``decap_cohesion_loss``; cohesion recovers by
``cohesion_recovery`` x (1 - cohesion) a week. It starts at ``isis_leadership_cohesion_2024``
(the "Wali of Iraq" was killed a month before the offensive); with the mechanism off it is 1
throughout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.agents import ArmedForce
from escalation_sim.kernels.attacks import attack_targets
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
    "intel_leak",
)


def step(model: EscalationModel) -> None:
    """Attacks, then counter-terrorism, then decapitation."""
    attacks(model)
    support = coalition_support(model)  # neither phase below moves US forces or Iraq's stance
    if model.mech["counter_terrorism"]:
        counter_terrorism(model, support)
    decapitation(model, support)


def coalition_support(model: EscalationModel) -> np.ndarray:
    """Coalition air and intelligence support per region, in [0, 1]."""
    w = model.world
    us = model.force_by_region_of(model.roles["us"]) > 0
    support = np.where(w.is_syria & us, 1.0, 0.0)
    if us[w.is_iraq].any():
        support[w.is_iraq] = model.actors[model.roles["iraq"]].alignment
    air = float(model.p.coalition_air_support)
    return support * air if air != 1.0 else support


def intel_factor(model: EscalationModel) -> float:
    """Mechanism 5's net factor on counter-terrorism in Iraq: (1 + efficiency)(1 - leak)."""
    p = model.p
    return float((1 + p.intel_efficiency) * (1 - p.intel_leak))


def attacks(model: EscalationModel) -> None:
    """Draw each cell's attacks, their deaths and their targets."""
    p, w, rng = model.p, model.world, model.rng
    table = model.cell_table
    rows = table.rows()
    if not len(rows):
        return
    regions = table.region[rows]
    strength = table.strength[rows]
    motivation = 1 + chaos_boost(model)
    if model.mech["sunni_syria_backlash"]:
        motivation = motivation + p.sunni_tilt_motivation * model.sunni_tilt * w.is_iraq
    if model.mech["isis_outbidding"]:
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
    targets = _attack_targets(model, where, deaths, rng)
    isis = model.roles["isis"]
    model.record_events(where, isis, deaths, targets)
    counts = model.counts
    iraq, syria = w.is_iraq[where], w.is_syria[where] & ~w.is_iraq[where]
    counts.attacks_iraq += int(np.count_nonzero(iraq))
    counts.deaths_iraq += int(deaths[iraq].sum())
    counts.attacks_syria += int(np.count_nonzero(syria))
    counts.deaths_syria += int(deaths[syria].sum())


def _attack_targets(
    model: EscalationModel, where: np.ndarray, deaths: np.ndarray, rng: np.random.Generator
) -> list[str]:
    """Each attack's target label, drawn by the compiled loop (``kernels.attacks``).

    The options of each attacked region are gathered here, once: its civilians by sect and the
    forces present, in the order the region holds them; half the exposure is civilian (split by
    sect), half the forces' (by effective strength), each weighed by the sectarian distance to
    ISIS to the targeting exponent. The uniform draws are taken in one call, one per attack in a
    region with options, in the order the per-attack loop of the uncompiled model drew them.
    """
    exponent = model.p.sectarian_targeting if model.mech["sunni_syria_backlash"] else 0.0
    cache = model.caches.civilian_targets
    n = model.world.n
    civilian_at = np.zeros(n, dtype=np.int64)
    n_civilians = np.zeros(n, dtype=np.int64)
    force_at = np.zeros(n, dtype=np.int64)
    n_forces = np.zeros(n, dtype=np.int64)
    civilian_weight: list[float] = []
    force_row: list[int] = []
    force_distance: list[float] = []
    labels: dict[int, list[str]] = {}
    force_region = model.force_table.region[: model.force_table.size]
    for r in dict.fromkeys(where.tolist()):
        civilians = cache.get((r, exponent))
        if civilians is None:  # populations and affinities do not change during a run
            civilians = cache[(r, exponent)] = _civilian_targets(model, r, exponent)
        forces = _forces_in(model, r, force_region)
        civilian_at[r], n_civilians[r] = len(civilian_weight), len(civilians[0])
        force_at[r], n_forces[r] = len(force_row), len(forces)
        civilian_weight.extend(civilians[1])
        force_row.extend(f._row for f in forces)
        force_distance.extend(f.isis_distance**exponent for f in forces)
        labels[r] = [*civilians[0], *(f.unit_id for f in forces)]
    with_options = n_civilians[where] + n_forces[where] > 0
    u = rng.random(int(np.count_nonzero(with_options)))
    table = model.force_table
    chosen = attack_targets(
        where,
        deaths,
        u,
        np.array(civilian_weight, dtype=float),
        civilian_at,
        n_civilians,
        np.array(force_row, dtype=np.int64),
        np.array(force_distance, dtype=float),
        force_at,
        n_forces,
        table.strength,
        table.cohesion,
    )
    return [
        labels[r][k] if k >= 0 else "civilians"
        for r, k in zip(where.tolist(), chosen.tolist(), strict=True)
    ]


def _forces_in(model: EscalationModel, region: int, force_region: np.ndarray) -> list[ArmedForce]:
    """The forces in a region, in the order the region holds them.

    From the force table's rows: a scan of the region's agents, ISIS cells and all, cost more
    than the attacks.
    """
    table = model.force_table
    forces = [table.agent(row) for row in np.flatnonzero(force_region == region).tolist()]
    if len(forces) > 1:
        here = model.space[region].agents
        forces.sort(key=here.index)
    return forces


def _civilian_targets(
    model: EscalationModel, region: int, exponent: float
) -> tuple[list[str], list[float]]:
    """Civilians of each sect in a region as targets, and their (unnormalised) weights."""
    w = model.world
    distances = model.constants.sect_isis_distance.tolist()
    pop = w.population[region]
    total_pop = pop.sum()
    options, weights = [], []
    for k, sect in enumerate(w.sects):
        if pop[k] > 0:
            distance = distances[k]
            options.append(f"civilians:{sect}")
            weights.append(0.5 * pop[k] / total_pop * distance**exponent)
    return options, weights


def counter_terrorism(model: EscalationModel, support: np.ndarray) -> None:
    """Security forces remove ISIS fighters where they stand (``support``: coalition's)."""
    p, w, rng = model.p, model.world, model.rng
    security = model.force_by_region()
    rate = p.ct_rate * security / (security + p.ct_half)
    rate = rate * (1 + p.coalition_ct_bonus * support)
    if model.mech["intel_sharing"]:
        rate = rate * np.where(w.is_iraq, intel_factor(model), 1.0)
    rate = np.clip(rate * (1 - model.regions.chaos), 0.0, 1.0)
    # One binomial per cell where the rate is positive, in the cells' order: the same draws as
    # a loop over cells, in one call.
    table = model.cell_table
    rows = table.rows()
    cell_rate = rate[table.region[rows]]
    hit = cell_rate > 0
    rows, cell_rate = rows[hit], cell_rate[hit]
    if not len(rows):
        return
    losses = rng.binomial(table.strength[rows].astype(np.int64), cell_rate)
    for row in table.remove_fighters(rows, losses).tolist():
        table.agent(row).remove()


def decapitation(model: EscalationModel, support: np.ndarray) -> None:
    """Mechanism 3: leadership strikes with the coalition, and ISIS's recovery from them."""
    p = model.p
    if model.mech["decapitation_strikes"]:
        chance = p.decap_rate * support[model.world.is_iraq].max(initial=0.0)
        if model.mech["intel_sharing"]:
            chance *= intel_factor(model)
        if model.rng.random() < chance:
            model.isis_cohesion *= 1 - p.decap_cohesion_loss
            model.counts.decapitations += 1
    # Recovery is ISIS's own: from strikes, and from the losses of late 2024 (1 stays 1).
    model.isis_cohesion += p.cohesion_recovery * (1 - model.isis_cohesion)
