"""The map's geography, fitted to a scenario's regions: outlines, rivers, region shapes, border.

``data/geography.json`` holds country outlines (Natural Earth, public domain), the Euphrates and
the Tigris (World Data Bank II, public domain) and the Iraq-Syria frontier, derived by
``scripts/make_geography.py``; nothing is downloaded. ``layout(world)`` fits them to whatever
regions a scenario has, once per scenario:

* region shapes: no district polygons ship offline, so each region is the Voronoi cell of its
  centre among the regions of its country (``shapely.voronoi_polygons``), clipped to the
  country's outline; a border state's single node gets its whole country;
* border segments: the frontier cut into the scenario's segments, in the order of their regions
  along it (each segment placed at the mean of its two region centres projected on the line)
  and in proportion to their ``length_km``;
* labels: placed greedily, most populous region first, at the first of eight spots around the
  centre that overlaps no placed label and no region centre (the least crowded spot if none is
  free).

Everything is returned in the page's pixel coordinates (an equirectangular projection scaled by
the cosine of the middle latitude), as SVG path data ready to draw.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, shape
from shapely.ops import substring

if TYPE_CHECKING:
    from escalation_sim.world import World

#: What the map shows (lon min, lat min, lon max, lat max), widened to every region centre.
VIEW = (34.2, 29.3, 48.6, 38.2)
#: Width of the map in pixels (its height follows from the projection).
WIDTH = 960.0
#: Label font size (px) and the width of one character at it, for placing labels.
LABEL_PX, CHAR_PX = 11.0, 6.1
#: How the page says where region shapes come from.
#: Where each river's name goes (lon, lat): along its middle course, clear of the labels.
RIVER_LABELS = {"Euphrates": (39.45, 35.62), "Tigris": (43.5, 35.2)}
SHAPES_NOTE = (
    "Region shapes are Voronoi cells of the region centres, clipped to the country outlines "
    "(no district boundaries ship with the model); border states are drawn whole."
)
SOURCES_NOTE = (
    "Outlines: Natural Earth (public domain); rivers: World Data Bank II (public domain)."
)


@functools.cache
def geography() -> dict[str, Any]:
    """The shipped geography file, parsed (``data/geography.json``)."""
    text = resources.files("escalation_sim.viz").joinpath("data/geography.json").read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


@dataclass(frozen=True)
class Projection:
    """Longitude and latitude to the map's pixels."""

    lon0: float
    lat1: float
    kx: float
    ky: float
    width: float
    height: float

    @classmethod
    def fit(cls, coords: np.ndarray, width: float = WIDTH) -> Projection:
        """A projection of ``VIEW`` widened to hold ``coords`` (lon, lat) with a margin."""
        lon_min = min(VIEW[0], float(coords[:, 0].min()) - 0.6)
        lon_max = max(VIEW[2], float(coords[:, 0].max()) + 0.6)
        lat_min = min(VIEW[1], float(coords[:, 1].min()) - 0.5)
        lat_max = max(VIEW[3], float(coords[:, 1].max()) + 0.5)
        shrink = math.cos(math.radians((lat_min + lat_max) / 2))
        kx = width / (lon_max - lon_min)
        ky = kx / shrink
        return cls(lon_min, lat_max, kx, ky, width, (lat_max - lat_min) * ky)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """The pixel of a point."""
        return (lon - self.lon0) * self.kx, (self.lat1 - lat) * self.ky

    def path(self, geom: shapely.Geometry) -> str:
        """SVG path data of a (multi) polygon or line."""
        parts: list[str] = []
        for part in shapely.get_parts(geom):
            if part.geom_type == "Polygon":
                for ring in (part.exterior, *part.interiors):
                    parts.append(self._ring(np.asarray(ring.coords), close=True))
            elif part.geom_type == "LineString":
                parts.append(self._ring(np.asarray(part.coords), close=False))
            elif part.geom_type in ("MultiPolygon", "MultiLineString", "GeometryCollection"):
                parts.append(self.path(part))
        return "".join(parts)

    def _ring(self, coords: np.ndarray, close: bool) -> str:
        if len(coords) < 2:
            return ""
        # Whole pixels, repeats dropped: a third of the bytes sent to the browser each week.
        xy = np.rint(
            np.column_stack(
                [(coords[:, 0] - self.lon0) * self.kx, (self.lat1 - coords[:, 1]) * self.ky]
            )
        ).astype(int)
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
        points = " ".join(f"{a} {b}" for a, b in xy[keep])
        return f"M{points}{'Z' if close else ''}"


@dataclass(frozen=True)
class Label:
    """A region's name on the map: its text and where it goes."""

    text: str
    x: float
    y: float
    anchor: str  # SVG text-anchor: start, middle or end


@dataclass(frozen=True, eq=False)  # hashed by identity: the drawing caches its static part
class MapLayout:
    """The static part of the map for one scenario, in pixels.

    Attributes:
        projection: Longitude and latitude to pixels.
        outlines: Country code -> outline path.
        rivers: River name -> (path, where its name goes).
        cells: Path of each region's shape, by node ("" where none can be drawn).
        centres: (n, 2) pixel of each region centre.
        segments: Path of each border segment along the frontier, by segment index.
        labels: Each region's label, by node.
    """

    projection: Projection
    outlines: dict[str, str]
    rivers: dict[str, tuple[str, tuple[float, float]]]
    cells: tuple[str, ...]
    centres: np.ndarray
    segments: tuple[str, ...]
    labels: tuple[Label, ...]


def short_name(name: str) -> str:
    """A region's name as the map labels it: ``Mosul / Nineveh`` -> ``Mosul``."""
    return name.split(" (")[0].split(" / ")[0]


def layout(world: World) -> MapLayout:
    """The map of a scenario's regions (cached: scenarios are few and their geography fixed)."""
    key = (
        world.names,
        tuple(map(str, world.country)),
        tuple(bool(e) for e in world.external),
        world.coords.round(4).tobytes(),
        world.segments.ids,
        tuple(int(i) for i in world.segments.iraq),
        tuple(int(s) for s in world.segments.syria),
        tuple(float(k) for k in world.segments.length_km),
        tuple(float(p) for p in world.total_population),
    )
    return _layout(key)


@functools.lru_cache(maxsize=8)
def _layout(key: tuple) -> MapLayout:
    names, countries, external, coords_bytes, _ids, seg_iraq, seg_syria, seg_km, pop = key
    coords = np.frombuffer(coords_bytes, dtype=float).reshape(-1, 2)
    geo = geography()
    outlines = {code: shape(g) for code, g in geo["countries"].items()}
    proj = Projection.fit(coords)
    cells = region_cells(coords, countries, external, outlines)
    frontier = shape(geo["iraq_syria_border"])
    cuts = border_cuts(frontier, coords, seg_iraq, seg_syria, seg_km)
    centres = np.array([proj.xy(lon, lat) for lon, lat in coords])
    rivers = {}
    for name, g in geo["rivers"].items():
        line = shape(g)
        if name in RIVER_LABELS:
            spot = Point(RIVER_LABELS[name])
        else:
            spot = max(shapely.get_parts(line), key=lambda p: p.length).interpolate(0.5, True)
        rivers[name] = (proj.path(line), proj.xy(spot.x, spot.y))
    return MapLayout(
        projection=proj,
        outlines={code: proj.path(g) for code, g in outlines.items()},
        rivers=rivers,
        cells=tuple(proj.path(c) if c is not None else "" for c in cells),
        centres=centres,
        segments=tuple(proj.path(c) for c in cuts),
        labels=place_labels([short_name(n) for n in names], centres, np.asarray(pop)),
    )


def region_cells(
    coords: np.ndarray,
    countries: tuple[str, ...],
    external: tuple[bool, ...],
    outlines: dict[str, shapely.Geometry],
) -> list[shapely.Geometry | None]:
    """Each region's shape: its Voronoi cell within its country, or the whole country.

    None for a region whose country has no outline in the geography file.
    """
    out: list[shapely.Geometry | None] = [None] * len(coords)
    by_country: dict[str, list[int]] = {}
    for node, code in enumerate(countries):
        by_country.setdefault(code, []).append(node)
    for code, nodes in by_country.items():
        country = outlines.get(code)
        if country is None:
            continue
        if len(nodes) == 1 or all(external[n] for n in nodes):
            for n in nodes:
                out[n] = country
            continue
        points = MultiPoint([tuple(coords[n]) for n in nodes])
        cells = shapely.voronoi_polygons(points, extend_to=country.envelope.buffer(1.0))
        for n in nodes:
            here = Point(coords[n])
            cell = next((c for c in cells.geoms if c.covers(here)), None)
            out[n] = None if cell is None else cell.intersection(country)
    return out


def border_cuts(
    frontier: LineString,
    coords: np.ndarray,
    iraq: tuple[int, ...],
    syria: tuple[int, ...],
    length_km: tuple[float, ...],
) -> list[LineString]:
    """The frontier cut into the scenario's border segments, by segment index.

    Segments are ordered by where their two region centres project on the frontier (mean of the
    two), then given consecutive stretches in proportion to ``length_km``.
    """
    if not iraq:
        return []
    position = [
        (frontier.project(Point(coords[i])) + frontier.project(Point(coords[s]))) / 2
        for i, s in zip(iraq, syria, strict=True)
    ]
    order = sorted(range(len(iraq)), key=lambda k: position[k])
    km = np.array([max(length_km[k], 1e-9) for k in order])
    ends = np.concatenate([[0.0], np.cumsum(km) / km.sum()])
    out: list[LineString] = [LineString()] * len(iraq)
    for rank, seg in enumerate(order):
        out[seg] = substring(frontier, ends[rank], ends[rank + 1], normalized=True)
    return out


#: Where a label may go around its centre: (dx, dy, anchor), first choice first.
_SPOTS = (
    (9, -6, "start"),
    (-9, -6, "end"),
    (0, -12, "middle"),
    (0, 19, "middle"),
    (9, 12, "start"),
    (-9, 12, "end"),
    (12, 4, "start"),
    (-12, 4, "end"),
)


def place_labels(texts: list[str], centres: np.ndarray, weight: np.ndarray) -> tuple[Label, ...]:
    """Labels that do not overlap one another or any region centre (greedy; see module doc)."""
    boxes: list[tuple[float, float, float, float]] = [
        (x - 5, y - 5, x + 5, y + 5) for x, y in centres
    ]
    dots = len(boxes)
    placed: list[Label | None] = [None] * len(texts)
    for node in sorted(range(len(texts)), key=lambda k: -weight[k]):
        x, y = centres[node]
        w = CHAR_PX * len(texts[node])
        best: tuple[float, Label, tuple[float, float, float, float]] | None = None
        for dx, dy, anchor in _SPOTS:
            left = x + dx - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
            box = (left, y + dy - LABEL_PX + 2, left + w, y + dy + 2)
            crowd = sum(
                _overlap(box, other) for k, other in enumerate(boxes) if k != node or k >= dots
            )
            if best is None or crowd < best[0]:
                best = (crowd, Label(texts[node], x + dx, y + dy, anchor), box)
            if crowd == 0:
                break
        assert best is not None
        placed[node] = best[1]
        boxes.append(best[2])
    return tuple(label for label in placed if label is not None)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)
