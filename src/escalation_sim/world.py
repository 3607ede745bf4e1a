"""The region network and the Iraq-Syria border segments, built from a scenario.

Regions get integer node ids in file order (Mesa's network drawers and ``Network`` want integers);
``World.index`` maps a region id to its node. Static data lives here as numpy arrays so that
region-level mechanisms can be vectorised; what changes during a run lives on the model.

Nothing here grows faster than the network: hop distances come from breadth-first searches (one
from Iraq's regions; one from each militia destination, grown only as far as the militias heading
there need), never from an all-pairs table, so a theatre a hundred times larger costs about a
hundred times more to build and to route on, not ten thousand.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from escalation_sim.scenario.schema import Scenario

UNREACHABLE = 10_000


@dataclass(frozen=True)
class Segments:
    """Iraq-Syria border segments as parallel arrays (one entry per segment)."""

    ids: tuple[str, ...]
    iraq: np.ndarray  # node of the Iraqi side
    syria: np.ndarray  # node of the Syrian side
    length_km: np.ndarray
    wall: np.ndarray  # late-2024 values from the file
    surveillance: np.ndarray
    garrison: np.ndarray  # brigades
    smuggling: np.ndarray  # bool
    crossing: tuple[str, ...]
    by_edge: dict[tuple[int, int], int]  # (u, v) and (v, u) -> segment index

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class World:
    """Static geography: nodes, edges, populations, distances and border segments."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    index: dict[str, int]
    graph: nx.Graph
    country: np.ndarray
    is_iraq: np.ndarray
    is_syria: np.ndarray
    inner_syria: np.ndarray  # Syrian regions that are not border states
    external: np.ndarray
    coords: np.ndarray  # (n, 2) lon, lat
    sects: tuple[str, ...]
    population: np.ndarray  # (n, n_sects)
    total_population: np.ndarray  # (n,) all sects
    hardship: np.ndarray
    legitimacy: np.ndarray
    former_isis: np.ndarray
    shrine: np.ndarray
    dist_to_iraq: np.ndarray
    segments: Segments
    adjacency: tuple[tuple[int, ...], ...]  # neighbours of each node, in the graph's order
    _to: dict[int, _Search] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        """Number of regions."""
        return len(self.ids)

    def next_hop(self, here: int, goal: int) -> int:
        """The next node on a shortest road path from ``here`` to ``goal``.

        Of the neighbours one hop closer to the goal, the first in the graph's adjacency order:
        the path networkx's breadth-first ``shortest_path`` returns (it discovers nodes in that
        order), without a table of all pairs. With the goal unreachable, it stays where it is.
        """
        if here == goal:
            return here
        search = self._to.get(goal)
        if search is None:
            search = self._to[goal] = _Search(self.adjacency, goal)
        d = search.reach(here)
        if d >= UNREACHABLE:
            return here
        return next(q for q in self.adjacency[here] if search.dist[q] == d - 1)


class _Search:
    """A breadth-first search outwards from a goal that goes only as far as it is asked to.

    ``reach(node)`` resumes the search until ``node`` is found. Nodes are found layer by layer,
    so when ``node`` is found at distance d, every node at distance d - 1 is known: enough to
    pick the next hop from ``node``. A militia heading home explores only the ball between it
    and home, not the whole network.
    """

    def __init__(self, adjacency: tuple[tuple[int, ...], ...], goal: int) -> None:
        self.adjacency = adjacency
        self.dist = [UNREACHABLE] * len(adjacency)
        self.dist[goal] = 0
        self.queue = deque([goal])

    def reach(self, node: int) -> int:
        """Hop count from ``node`` to the goal (``UNREACHABLE`` if none)."""
        dist, queue, adjacency = self.dist, self.queue, self.adjacency
        while dist[node] >= UNREACHABLE and queue:
            v = queue.popleft()
            step = dist[v] + 1
            for q in adjacency[v]:
                if dist[q] >= UNREACHABLE:
                    dist[q] = step
                    queue.append(q)
        return dist[node]


def build_world(scenario: Scenario) -> World:
    """Build the region network and border arrays from a validated scenario."""
    regions = scenario.regions
    ids = tuple(r.id for r in regions)
    index = {rid: i for i, rid in enumerate(ids)}
    sects = tuple(scenario.meta.sects)

    graph: nx.Graph[int] = nx.Graph()
    for i, r in enumerate(regions):
        graph.add_node(i, id=r.id, name=r.name, country=r.country, pos=(r.lon, r.lat))
    for road in scenario.roads:
        graph.add_edge(index[road.a], index[road.b], kind=road.kind, name=road.name, segment=-1)
    by_edge: dict[tuple[int, int], int] = {}
    for k, seg in enumerate(scenario.border_segments):
        u, v = index[seg.iraq_region], index[seg.syria_region]
        if graph.has_edge(u, v):
            raise ValueError(
                f"border_segments[{seg.id}]: regions {seg.iraq_region} and {seg.syria_region} "
                "already share an edge; one edge per pair of regions"
            )
        graph.add_edge(u, v, kind="border", name=seg.crossing or seg.id, segment=k)
        by_edge[(u, v)] = by_edge[(v, u)] = k

    segs = scenario.border_segments
    segments = Segments(
        ids=tuple(s.id for s in segs),
        iraq=np.array([index[s.iraq_region] for s in segs], dtype=int),
        syria=np.array([index[s.syria_region] for s in segs], dtype=int),
        length_km=np.array([s.length_km for s in segs], dtype=float),
        wall=np.array([s.wall for s in segs], dtype=float),
        surveillance=np.array([s.surveillance for s in segs], dtype=float),
        garrison=np.array([s.garrison for s in segs], dtype=float),
        smuggling=np.array([s.smuggling_corridor for s in segs], dtype=bool),
        crossing=tuple(s.crossing for s in segs),
        by_edge=by_edge,
    )

    country = np.array([r.country for r in regions])
    is_iraq = country == "IRQ"
    external = np.array([r.external for r in regions], dtype=bool)
    population = np.array([[r.population.get(s, 0) for s in sects] for r in regions], dtype=float)
    return World(
        ids=ids,
        names=tuple(r.name for r in regions),
        index=index,
        graph=graph,
        country=country,
        is_iraq=is_iraq,
        is_syria=country == "SYR",
        inner_syria=(country == "SYR") & ~external,
        external=external,
        coords=np.array([(r.lon, r.lat) for r in regions], dtype=float),
        sects=sects,
        population=population,
        total_population=population.sum(axis=1),
        hardship=np.array([r.hardship for r in regions], dtype=float),
        legitimacy=np.array([r.legitimacy for r in regions], dtype=float),
        former_isis=np.array([r.former_isis for r in regions], dtype=bool),
        shrine=np.array([r.shrine for r in regions], dtype=bool),
        dist_to_iraq=hop_distances(graph, np.flatnonzero(is_iraq).tolist()),
        segments=segments,
        adjacency=tuple(tuple(graph.adj[i]) for i in range(len(ids))),
    )


def hop_distances(graph: nx.Graph, sources: list[int]) -> np.ndarray:
    """Hop counts from the nearest of ``sources`` to every node (``UNREACHABLE`` if none)."""
    dist = np.full(graph.number_of_nodes(), UNREACHABLE, dtype=int)
    if sources:
        for hops, layer in enumerate(nx.bfs_layers(graph, sources)):
            dist[layer] = hops
    return dist


def hardened_border(
    segments: Segments, level: float, level_2024: float, garrison_full: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wall, surveillance and garrison (as a share of full) of each segment at a hardening level.

    The ``border_hardening`` lever runs from 0 (no wall, no surveillance, no garrison) through
    ``level_2024`` (the segment values in the file, i.e. late 2024) to 1 (every segment walled,
    watched and fully garrisoned). Between those anchors each quantity is interpolated linearly,
    so the default level reproduces the file exactly.

    Args:
        segments: The border segments.
        level: The lever, in [0, 1].
        level_2024: The lever value the file's segment data describe, in (0, 1).
        garrison_full: Brigades per 100 km that count as a fully garrisoned segment.

    Returns:
        Arrays ``(wall, surveillance, garrison_share)``, each in [0, 1].
    """
    garrison = np.clip(segments.garrison / (garrison_full * segments.length_km / 100.0), 0, 1)
    base = np.vstack([segments.wall, segments.surveillance, garrison])
    if level <= level_2024:
        out = base * (level / level_2024 if level_2024 > 0 else 1.0)
    else:
        out = base + (1.0 - base) * (level - level_2024) / (1.0 - level_2024)
    return out[0], out[1], out[2]
