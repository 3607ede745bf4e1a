"""The model's state that is not an agent's: weekly counters, region arrays, run constants, caches.

Four kinds, each named for what it holds and how long it lives:

* ``WeekCounters``: what the phases count during one week (attacks, crossings, strikes...);
  replaced by a fresh one at the start of every step, read by ``outcomes.measure``.
* ``RegionState``: who holds each region and what is there that changes (chaos, guards,
  detainees, camp residents, recruits), one named array per quantity, indexed by node.
* ``RunConstants``: what the model derives once, when it is built, from things that never change
  during a run (populations, affinities, the road network, the relational network).
* ``WeekCaches``: values recomputed only when what they depend on changes (the set of forces, the
  roads open to Iran's convoys), and scratch arrays reused from week to week. Each entry carries
  the key it was computed for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from escalation_sim.scenario.schema import Scenario
    from escalation_sim.world import World


@dataclass
class WeekCounters:
    """Counts of what happened this week, added to by the phases (one fresh set per step)."""

    attacks_iraq: int = 0
    attacks_syria: int = 0
    deaths_iraq: int = 0
    deaths_syria: int = 0
    infiltrations: int = 0
    infiltrations_detected: int = 0
    infiltrating_fighters: int = 0
    launches: int = 0
    strikes_iraq: int = 0
    strikes_iraq_blocked: int = 0
    strikes_syria: int = 0
    recruits_iraq: int = 0
    recruits_syria: int = 0
    escapees: int = 0
    freed: int = 0
    decapitations: int = 0
    fled_to_iraq: int = 0
    resistance_losses: float = 0.0


@dataclass
class RegionState:
    """What changes in each region during a run, one array (or list) per quantity, by node.

    Attributes:
        controller: Who holds each region now (an actor id or ``"ungoverned"``).
        home_controller: Who each region returns to when ISIS loses it (the timeline may change
            it).
        chaos: Disorder in [0, 1]: 1 where a region changed hands or nobody governs.
        guards: Strength of prison and camp guards, in [0, 1].
        detainees: Suspected ISIS fighters held in prisons.
        camp: Residents of camps (al-Hol, Roj).
        detainees_iraqi: Share of the detainees who are Iraqi.
        camp_iraqi: Share of the camp residents who are Iraqi.
        recruit_pool: People ISIS can recruit from (population weighted by ISIS's affinity).
        active_share: Share of representative recruits Epstein's rule made active last week.
        recruits: ISIS recruits raised by the recruitment phase since week 0.
    """

    controller: list[str]
    home_controller: list[str]
    chaos: np.ndarray
    guards: np.ndarray
    detainees: np.ndarray
    camp: np.ndarray
    detainees_iraqi: np.ndarray
    camp_iraqi: np.ndarray
    recruit_pool: np.ndarray
    active_share: np.ndarray
    recruits: np.ndarray

    @classmethod
    def from_scenario(cls, spec: Scenario, world: World, isis_affinity: np.ndarray) -> RegionState:
        """The regions as the scenario file starts them."""
        regions = spec.regions
        controller = [r.controller for r in regions]
        return cls(
            controller=controller,
            home_controller=list(controller),
            chaos=np.zeros(world.n),
            guards=np.array([r.guards for r in regions], dtype=float),
            detainees=np.array([r.detainees for r in regions], dtype=float),
            camp=np.array([r.camp for r in regions], dtype=float),
            detainees_iraqi=np.array([r.detainees_iraqi for r in regions]),
            camp_iraqi=np.array([r.camp_iraqi for r in regions]),
            recruit_pool=world.population @ isis_affinity,
            active_share=np.zeros(world.n),
            recruits=np.zeros(world.n, dtype=np.int64),
        )


#: Where an ISIS cell in a region may move: the neighbours (border states excluded), the border
#: segment each edge crosses (-1 for none) and which steps lead towards or within Iraq.
Routes = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class RunConstants:
    """What the model derives once when it is built: inputs that never change during a run.

    Attributes:
        sunni_share: Share of each region's population ISIS can recruit from (movement's pull).
        recruit_hardship: Hardship of each region's representative recruits, min(1, 2 u h).
        routes: Where a cell in each region may move (``Routes``), None where nowhere.
        iran_commanded: Actors with a command link to Iran (the Wilayati militias).
        regime_side: Actors that defend regime regions: the regime, Iran, the regime's allies
            and the militias Iran commands.
        supply_passable: Holders whose regions let Iranian convoys through.
        isis_rivals: Rebel movements close to ISIS's sectarian profile (HTS), who compete with
            it for recruits.
        sect_isis_distance: Sectarian distance from ISIS to a civilian of each sect.
        hostile_holders: For each actor, the holders of regions hostile to it
            (``mechanisms.resistance``).
        iran_stake_norm: Fighters of the expeditionary forces Iran commands at the start, the
            scale of Iran's loss memory (``mechanisms.command``).
    """

    sunni_share: np.ndarray
    recruit_hardship: np.ndarray
    routes: tuple[Routes | None, ...]
    iran_commanded: frozenset[str]
    regime_side: frozenset[str]
    supply_passable: frozenset[str]
    isis_rivals: tuple[str, ...]
    sect_isis_distance: np.ndarray
    hostile_holders: dict[str, frozenset[str]]
    iran_stake_norm: float


@dataclass
class WeekCaches:
    """Values kept while what they depend on holds, and scratch arrays reused each week.

    Attributes:
        force_flags: A boolean per live force row, by flag name, with the rows array it was
            computed for (valid while no force is added or removed).
        civilian_targets: Civilians of each sect in a region as targets and their weights, by
            (region, targeting exponent) (populations and affinities do not change).
        supply_routes: Iran's cheapest route cost to each region, with the key (passable
            regions, sources, US presence, cost) it was computed for.
        recruit_work: Two scratch arrays the size of the recruit sample.
    """

    force_flags: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    civilian_targets: dict[tuple[int, float], tuple[list[str], list[float]]] = field(
        default_factory=dict
    )
    supply_routes: tuple[tuple, dict[int, float]] | None = None
    recruit_work: tuple[np.ndarray, np.ndarray] | None = None
