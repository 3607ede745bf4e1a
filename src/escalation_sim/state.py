"""The model's state that is not an agent's: weekly counters, region arrays, run constants, caches.

Four kinds, each named for what it holds and how long it lives:

* ``WeekCounters``: what the phases count during one week (attacks, crossings, strikes...);
  replaced by a fresh one at the start of every step, read by ``outcomes.measure``.
* ``RegionState``: who holds each region and what is there that changes (chaos, recruits),
  one named array per quantity, indexed by node.
* ``TownState``: who holds each town (``[[towns]]``), one array per quantity, indexed by town.
* ``DetentionState``: the prisons and camps (who holds each, its guards, how many it holds),
  one named array per quantity, indexed by facility.
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
    breakouts: int = 0
    repatriated: float = 0.0
    transferred: float = 0.0
    decapitations: int = 0
    fled_to_iraq: int = 0
    towns_taken: int = 0
    towns_retaken: int = 0
    resistance_losses: float = 0.0


@dataclass
class RegionState:
    """What changes in each region during a run, one array (or list) per quantity, by node.

    Attributes:
        controller: Who holds each region now (an actor id or ``"ungoverned"``).
        home_controller: Who each region returns to when ISIS loses it (the timeline may change
            it).
        chaos: Disorder in [0, 1]: 1 where a region changed hands or nobody governs.
        recruit_pool: People ISIS can recruit from (population weighted by ISIS's affinity).
        active_share: Share of representative recruits Epstein's rule made active last week.
        recruits: ISIS recruits raised by the recruitment phase since week 0.
    """

    controller: list[str]
    home_controller: list[str]
    chaos: np.ndarray
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
            recruit_pool=world.population @ isis_affinity,
            active_share=np.zeros(world.n),
            recruits=np.zeros(world.n, dtype=np.int64),
        )


@dataclass
class TownState:
    """The scenario's towns: where they lie, how many live there, who holds them.

    Attributes:
        ids: Town ids, in file order.
        names: Town names.
        region: Node of the region each town lies in.
        population: People in each town.
        coords: (towns, 2) longitude, latitude.
        holder: Who holds each town now (an actor id).
        home: Who each town returns to when the state retakes it (its holder at week 0).
        isis: True where ISIS holds the town (``holder`` is ISIS's id).
        taken_week: Week ISIS last took each town (-1 if never).
        retaken_week: Week the state last retook each town from ISIS (-1 if never).
        by_size: Town indices, most populous first (the order attackers pick targets in).
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    region: np.ndarray
    population: np.ndarray
    coords: np.ndarray
    holder: list[str]
    home: list[str]
    isis: np.ndarray
    taken_week: np.ndarray
    retaken_week: np.ndarray
    by_size: np.ndarray

    @classmethod
    def from_scenario(cls, spec: Scenario, world: World) -> TownState:
        """The towns as the scenario file starts them (holder: the file's, else the region's)."""
        towns = spec.towns
        holder = [t.controller or spec.region(t.region).controller for t in towns]
        population = np.array([t.population for t in towns], dtype=float)
        return cls(
            ids=tuple(t.id for t in towns),
            names=tuple(t.name for t in towns),
            region=np.array([world.index[t.region] for t in towns], dtype=np.int64),
            population=population,
            coords=np.array([(t.lon, t.lat) for t in towns], dtype=float).reshape(-1, 2),
            holder=holder,
            home=list(holder),
            isis=np.array([h == spec.roles["isis"] for h in holder], dtype=bool),
            taken_week=np.full(len(towns), -1, dtype=np.int64),
            retaken_week=np.full(len(towns), -1, dtype=np.int64),
            by_size=np.argsort(-population, kind="stable"),
        )

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class DetentionState:
    """The prisons and camps, one entry per facility.

    Facilities come from ``[[facilities]]``, or from a region's older ``detainees`` and ``camp``,
    each then a prison or camp held by the region's controller.

    Attributes:
        ids: Each facility's id.
        region: The node it stands in.
        holder: The actor whose guards hold it.
        is_camp: True for a camp (families), False for a prison (suspected fighters).
        held: People held now.
        iraqi: Share of those held who are Iraqi.
        guards: Guard force now, in [0, 1].
        guards_full: Guard force at week 0, the level guards recover towards.
    """

    ids: list[str]
    region: np.ndarray
    holder: list[str]
    is_camp: np.ndarray
    held: np.ndarray
    iraqi: np.ndarray
    guards: np.ndarray
    guards_full: np.ndarray

    @classmethod
    def from_scenario(cls, spec: Scenario, world: World) -> DetentionState:
        """The facilities as the scenario file starts them."""
        rows: list[tuple[str, int, str, bool, float, float, float]] = [
            (
                f.id,
                world.index[f.region],
                f.holder,
                f.kind == "camp",
                f.held,
                f.iraqi_share,
                f.guards,
            )
            for f in spec.facilities
        ]
        for r in spec.regions:  # the older form: one prison and one camp per region
            older = (
                ("prisons", False, r.detainees, r.detainees_iraqi),
                ("camps", True, r.camp, r.camp_iraqi),
            )
            for suffix, is_camp, held, iraqi in older:
                if held > 0:
                    at = world.index[r.id]
                    rows.append(
                        (f"{r.id}_{suffix}", at, r.controller, is_camp, held, iraqi, r.guards)
                    )
        guards = np.array([row[6] for row in rows], dtype=float)
        return cls(
            ids=[row[0] for row in rows],
            region=np.array([row[1] for row in rows], dtype=np.int64),
            holder=[row[2] for row in rows],
            is_camp=np.array([row[3] for row in rows], dtype=bool),
            held=np.array([row[4] for row in rows], dtype=float),
            iraqi=np.array([row[5] for row in rows], dtype=float),
            guards=guards,
            guards_full=guards.copy(),
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
        town_holders: Actors that hold towns at week 0 (their forces defend them).
        town_region: True for each region with at least one town.
        population_direction: Each region's population by sect as a unit vector (zeros where
            nobody lives), for the sectarian distance between a force and the people there.
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
    town_holders: frozenset[str]
    town_region: np.ndarray
    population_direction: np.ndarray
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
        force_affinity: Unit-length affinity vectors of the live forces, with the rows array
            they were computed for (valid while no force is added or removed).
        recruit_work: Two scratch arrays the size of the recruit sample.
        hops: Road hops from a region to every region, by source region, found when a town
            there is first taken (the network does not change).
    """

    force_flags: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    civilian_targets: dict[tuple[int, float], tuple[list[str], list[float]]] = field(
        default_factory=dict
    )
    supply_routes: tuple[tuple, dict[int, float]] | None = None
    force_affinity: tuple[np.ndarray, np.ndarray] | None = None
    recruit_work: tuple[np.ndarray, np.ndarray] | None = None
    hops: dict[int, np.ndarray] = field(default_factory=dict)
