"""Phase 2, mechanism 4 (``supply_interdiction``): Iran's supply to the regime, and its obstacles.

Seed: "the ground transportation of Iranian weapons to Syria [...] will face significant
challenges due to the control of HTS over the main roads, especially the Aleppo-Damascus route
[...]. Even if air transport is utilized, similar challenges would arise. [...] smuggling through
the Al-Bukamal region may encounter additional obstacles due to the SDF deciding to cut off
routes towards Raqqa [...] the U.S. presence in the northeastern part of Syria [...] will further
tighten these measures."

Ground supply leaves Iran's border node and may cross only regions held by Iran, Iraq (which
lets it pass), the regime, or militias Iran commands; any other holder (HTS, the SDF, ISIS,
nobody) blocks the road. Each region on the way where US forces stand lets a convoy through
with probability ``1 - us_interdiction``. The ground share delivered is the regime's effective
strength reachable this way, weighted by the best path's survival; air supply (a share
``air_supply_share``) gets through with probability ``1 - air_interdiction``::

    delivered = iran_supply ((1 - air) ground + air (1 - air_interdiction)) + russia_supply

``russia_supply`` is supply and air support from outside Iran's routes (Russia's sealift to Tartus
and its air base at Hmeimim from 30 September 2015), on the same scale, neither road-bound nor
interdicted; the 2024 scenarios set it to 0, the hindcast's timeline raises it on its date.

Delivered supply lifts the cohesion of regime formations and of Iraqi militias in Syria by
``supply_cohesion_gain`` x delivered a week, against a decay of ``regime_cohesion_decay``.
Switched off, supply flows in full. What crosses Iraq by road (``supply_transit_iraq``) is what
Israel watches (mechanism 10).
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.mechanisms.common import iraqi_militia

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "iran_supply",
    "air_supply_share",
    "air_interdiction",
    "us_interdiction",
    "supply_cohesion_gain",
    "regime_cohesion_decay",
    "russia_supply",
)


def step(model: EscalationModel) -> None:
    """Compute this week's delivered supply and apply it to the regime side's cohesion."""
    p = model.p
    regime_forces = model.forces_of("syrian_regime")
    if not regime_forces:
        model.supply_delivered = 0.0
        model.supply_transit_iraq = 0.0
        model.supply_ground = 0.0
        return
    air = float(p.air_supply_share)
    if model.mech["supply_interdiction"]:
        ground = ground_share(model)
        air_ok = 1.0 - float(p.air_interdiction)
    else:
        ground, air_ok = 1.0, 1.0
    model.supply_ground = ground
    model.supply_delivered = float(p.iran_supply) * ((1 - air) * ground + air * air_ok) + float(
        p.russia_supply
    )
    model.supply_transit_iraq = float(p.iran_supply) * (1 - air) * ground
    gain = p.supply_cohesion_gain * model.supply_delivered - p.regime_cohesion_decay
    # Regime formations, and Iraqi militias in Syria, gain or lose cohesion (kept in [0, 1]).
    w, table = model.world, model.force_table
    rows = table.rows()
    militia = model.force_flags("iraqi_militia", iraqi_militia)
    fed = (table.actor[rows] == model.actor_codes[model.roles["syrian_regime"]]) | (
        militia & w.is_syria[table.region[rows]]
    )
    table.shift_cohesion(rows[fed], gain)


def ground_share(model: EscalationModel) -> float:
    """Share of the regime's effective strength that Iranian road convoys can reach this week."""
    w = model.world
    passable_actors = model.constants.supply_passable
    iran = model.roles["iran"]
    controller = model.regions.controller
    passable = [r for r, c in enumerate(controller) if c in passable_actors]
    sources = [r for r in passable if controller[r] == iran and w.external[r]]
    if not sources:
        return 0.0
    us_here = model.force_by_region_of(model.roles["us"]) > 0
    cost = -math.log(max(1e-9, 1.0 - float(model.p.us_interdiction)))
    # The roads open to convoys change only when regions change hands or US forces move.
    key = (tuple(passable), tuple(sources), us_here.tobytes(), cost)
    cached = model.caches.supply_routes
    if cached is not None and cached[0] == key:
        dist = cached[1]
    else:
        open_road = np.zeros(w.n, dtype=bool)
        open_road[passable] = True
        # Entering a region with US forces costs -log(1 - us_interdiction).
        entry = [cost if here else 0.0 for here in us_here.tolist()]
        dist = route_costs(w.adjacency, open_road.tolist(), sources, entry)
        model.caches.supply_routes = (key, dist)
    strength = model.force_by_region_of(model.roles["syrian_regime"])
    total = strength.sum()
    if total <= 0:
        return 0.0
    reached = sum(strength[r] * math.exp(-d) for r, d in dist.items() if w.is_syria[r])
    return float(np.clip(reached / total, 0.0, 1.0))


def route_costs(
    adjacency: tuple[tuple[int, ...], ...],
    open_road: list[bool],
    sources: list[int],
    entry: list[float],
) -> dict[int, float]:
    """Cheapest cost of reaching each region from the sources through open regions (Dijkstra).

    Entering region v costs ``entry[v]``. This is networkx's multi-source Dijkstra (the same
    heap of (cost, order pushed, node), the same neighbour order, so the same costs in the same
    order) on the network's adjacency lists, without building a subgraph every week.
    """
    dist: dict[int, float] = {}
    seen: dict[int, float] = {}
    order = itertools.count()
    fringe: list[tuple[float, int, int]] = []
    for source in sources:
        seen[source] = 0
        heapq.heappush(fringe, (0, next(order), source))
    while fringe:
        d, _, v = heapq.heappop(fringe)
        if v in dist:
            continue
        dist[v] = d
        for u in adjacency[v]:
            if not open_road[u] or u in dist:
                continue
            du = d + entry[u]
            if u not in seen or du < seen[u]:
                seen[u] = du
                heapq.heappush(fringe, (du, next(order), u))
    return dist
