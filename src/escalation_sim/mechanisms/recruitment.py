"""Phase 5: grievance-driven recruitment into ISIS (Epstein 2002) and sectarian backlash (9).

Each region holds ``recruit_sample`` representative potential recruits with fixed draws u, R ~
U(0, 1). Through the shared kernel (``escalation_sim.kernels.civil_violence``)::

    hardship   H = min(1, 2 u h),   h = region hardship (its mean for h <= 0.5)
    legitimacy L = L0 (1 - chaos) (1 - backlash_strength x min(1, Shia militia / backlash_norm))
                      (the backlash term is mechanism 9), where L0 is the region's legitimacy in
                      the file while its first holder rules, and ``legitimacy_new_ruler`` x (1 -
                      d(ruler, ISIS)) under a new one: a co-sectarian ruler such as HTS wins
                      Sunni legitimacy that ISIS then cannot recruit against
    grievance  G = H (1 - L)
    arrest     P = 1 - exp(-k C / A), counted within an agent's vision of ``recruit_vision``
                   people: C = recruit_vision x deterrence_scale x security strength / population,
                   A = 1 + recruit_vision x last week's active share (the agent counts itself)
    active     G - R P > recruitment_threshold

With Epstein's Run 2 (vision 7 along four axes at density 0.7, about 20 agents in view, cop
density 0.04) in mind, ``deterrence_scale`` = 10 gives Iraqi regions cop densities of the same
order. The weekly number of recruits is Poisson with mean::

    recruit_rate x active share x recruit pool / 1e6 x presence x ISIS cohesion
        x (1 + chaos boost) x (1 + sunni_tilt_motivation x sunni_tilt [Iraq, 9])

where presence = F / (F + ``recruit_presence_half`` + ``rival_absorption`` x R), F the ISIS
fighters in the region (clandestine groups recruit through the networks they already have there)
and R the effective strength of co-sectarian rival movements there (HTS; with mechanism 11 only:
rivals compete for the same recruits), and the chaos boost is mechanism 1's
(``common.chaos_boost``: the region's own chaos and, in Iraq, Syria's).

The recruit pool is the population weighted by ISIS's sectarian affinity. Where ISIS rules or
nobody does, no one is arrested.
**Foreign fighters** (``foreign_fighters``): each week Poisson(``foreign_fighter_inflow``)
foreign fighters join ISIS in Syria, spread over the Syrian regions in proportion to the ISIS
fighters there (recruits travel to the networks that receive them, through Turkey in 2013-15).
The inflow is exogenous context: set by date from the record (a timeline's ``set_parameter``);
at 0 (the 2024 scenario) the step draws nothing.

Seed: a Sunni-weighted Syria under HTS "could motivate ISIS to rise again against those Shiite
militias in Iraq".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.kernels.civil_violence import arrest_probability, grievance, is_active
from escalation_sim.mechanisms.common import add_recruits_to_regions, chaos_boost, shia_militia

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "recruit_sample",
    "recruit_rate",
    "recruit_vision",
    "recruit_presence_half",
    "rival_absorption",
    "recruitment_threshold",
    "legitimacy_new_ruler",
    "arrest_k",
    "deterrence_scale",
    "backlash_strength",
    "backlash_norm",
    "sunni_tilt_motivation",
    "foreign_fighter_inflow",
)


def step(model: EscalationModel) -> None:
    """Update each region's active share and add the week's recruits."""
    if not model.mech["recruitment"]:
        return
    p, w = model.p, model.world
    share = active_shares(model)
    model.regions.active_share = share
    boost = 1 + chaos_boost(model)
    tilt = 1 + p.sunni_tilt_motivation * model.sunni_tilt * w.is_iraq
    fighters = model.isis_by_region()
    rivals = rival_strength(model) if model.mech["rival_absorption"] else 0.0
    presence = fighters / (fighters + p.recruit_presence_half + p.rival_absorption * rivals)
    mean = p.recruit_rate * share * model.regions.recruit_pool / 1e6 * presence
    mean = mean * model.isis_cohesion * boost * tilt
    mean[w.external] = 0.0
    recruits = model.rng.poisson(mean)
    model.regions.recruits += recruits
    where = np.flatnonzero(recruits)
    add_recruits_to_regions(model, where, recruits[where], w.is_iraq)
    model.counts.recruits_iraq += int(recruits[w.is_iraq].sum())
    model.counts.recruits_syria += int(recruits[w.is_syria].sum())
    if model.mech["foreign_fighters"] and p.foreign_fighter_inflow > 0:
        foreign_fighters(model, fighters)


def foreign_fighters(model: EscalationModel, fighters: np.ndarray) -> None:
    """The week's foreign fighters join ISIS in Syria where its fighters are (docstring)."""
    w = model.world
    weight = np.where(w.is_syria & ~w.external, fighters, 0.0)
    if weight.sum() <= 0:
        return
    arrivals = model.rng.multinomial(
        model.rng.poisson(model.p.foreign_fighter_inflow), weight / weight.sum()
    )
    where = np.flatnonzero(arrivals)
    add_recruits_to_regions(model, where, arrivals[where], np.zeros(w.n, dtype=bool))
    model.regions.recruits += arrivals
    model.counts.recruits_syria += int(arrivals.sum())


def rival_strength(model: EscalationModel) -> np.ndarray:
    """Effective strength per region of rebel movements close to ISIS's sectarian profile (HTS)."""
    return model.force_by_region_of(*model.constants.isis_rivals)


def active_shares(model: EscalationModel) -> np.ndarray:
    """Share of each region's representative recruits that Epstein's rule makes active."""
    p, w = model.p, model.world
    regions = model.regions
    legitimacy = w.legitimacy.copy()
    for r, ctrl in enumerate(regions.controller):
        if ctrl != regions.home_controller[r] and ctrl in model.actors:
            distance = model.actors[ctrl].isis_distance
            legitimacy[r] = p.legitimacy_new_ruler * (1 - distance)
    legitimacy *= 1 - regions.chaos
    if model.mech["militia_backlash"]:
        militia = model.force_flags("shia_militia", shia_militia)
        shia = model.force_table.sum_by_region(w.n, militia)
        legitimacy = legitimacy * (
            1 - p.backlash_strength * np.minimum(1.0, shia / p.backlash_norm)
        )
    hardship = model.constants.recruit_hardship
    # Work arrays the size of the sample, reused every week (large theatres: megabytes each).
    work = model.caches.recruit_work
    if work is None:
        work = model.caches.recruit_work = (np.empty_like(hardship), np.empty_like(hardship))
    g = grievance(hardship, legitimacy[:, None], out=work[0])
    security = model.force_by_region()
    isis = model.roles["isis"]
    lawless = np.array([c in (isis, "ungoverned") for c in regions.controller])
    security[lawless] = 0.0
    pop = w.total_population
    density = np.divide(p.deterrence_scale * security, pop, out=np.zeros(w.n), where=pop > 0)
    cops = p.recruit_vision * density
    actives = 1.0 + p.recruit_vision * regions.active_share
    arrest = arrest_probability(cops, actives, k=p.arrest_k)
    active = is_active(g, model.sample_risk, arrest[:, None], p.recruitment_threshold, work=work[1])
    return np.count_nonzero(active, axis=1) / active.shape[1]  # the mean, exactly
