"""The map of one week as inline SVG, written directly (no plotting library in the redraw).

The static part (country outlines, rivers, labels) comes from ``geography.layout`` once per
scenario; each redraw only writes what changes: region fills by holder, the ISIS symbols, the
border segments' colours and the forces. That keeps a redraw to a few milliseconds, where
rendering a matplotlib figure took a large part of a second (``benchmarks/bench_viz.py``).

Every region, border segment and force carries a ``<title>``, which the browser shows as a
tooltip on hover: no JavaScript and nothing from the network.
"""

from __future__ import annotations

import functools
import math
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.plots import CONTROLLER_COLOURS
from escalation_sim.viz.geography import LABEL_PX, MapLayout, layout

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

#: Fill of a holder without a colour of its own, and of land outside the theatre.
OTHER_COLOUR, LAND, SEA = "#BBBBBB", "#F3F1EC", "#DCEBF5"
#: Radius (px) of the ISIS symbol for ``isis_scale`` fighters; the area grows with fighters.
ISIS_RADIUS = 26.0
#: Symbol of each kind of force.
UNIT_SHAPES = {"army": "square", "militia": "triangle", "rebel": "diamond", "foreign": "cross"}
LEGEND_WIDTH = 230.0


def actor_names(model: EscalationModel) -> dict[str, str]:
    """Actor id -> the scenario's name for it (``hts`` -> ``Hay'at Tahrir al-Sham``)."""
    names = {a.id: a.name for a in model.spec.actors}
    names.setdefault("ungoverned", "ungoverned")
    return names


def holder_colour(actor: str) -> str:
    """The fill of a region held by ``actor``."""
    return CONTROLLER_COLOURS.get(actor, OTHER_COLOUR)


def isis_scale(model: EscalationModel) -> float:
    """The fighters drawn at ``ISIS_RADIUS``: a round number, twice the largest region's at start.

    Fixed for a run (``isis_start_max``, set when the page builds its model), so that sizes
    compare across weeks and between the two runs of compare mode.
    """
    start = float(getattr(model, "isis_start_max", 0.0)) or float(model.isis_by_region().max())
    target = max(2 * start, 100.0)
    for nice in (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000):
        if nice >= target:
            return float(nice)
    return float(10 ** math.ceil(math.log10(target)))


def wall_colour(wall: float) -> str:
    """Border colour by wall coverage: red open, green fully walled."""
    w = min(max(wall, 0.0), 1.0)
    r, g, b = 1 - 0.9 * w, 0.2 + 0.55 * w, 0.2
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def map_svg(
    model: EscalationModel,
    tooltips: dict[str, list[str]] | None = None,
    scale: float | None = None,
    caption: str = "",
    legend: bool = True,
) -> str:
    """The map of the model's current week as an ``<svg>`` element that fills its container.

    Args:
        model: The model to draw.
        tooltips: Text of each region (``regions``), border segment (``border``) and force
            (``units``), in node, segment and ``model.forces`` order; none if omitted.
        scale: Fighters drawn at ``ISIS_RADIUS`` (default ``isis_scale(model)``); give two maps
            the same to compare them.
        caption: What the map is, above it before the week (default: the scenario's title).
        legend: Draw the legend to the right of the map.
    """
    lay = layout(model.world)
    proj = lay.projection
    tips = tooltips or {}
    scale = scale or isis_scale(model)
    width = proj.width + (LEGEND_WIDTH if legend else 0)
    top = 22.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} '
        f'{proj.height + top:.0f}" width="100%" style="height:auto;display:block" '
        'font-family="sans-serif">',
        f'<text x="4" y="15" font-size="13" font-weight="bold">'
        f"{escape(_caption(model, caption))}</text>",
        f'<g transform="translate(0 {top})">',
        f'<rect width="{proj.width:.0f}" height="{proj.height:.0f}" fill="{SEA}"/>',
        _static(lay),
        _regions(model, lay, tips.get("regions")),
        _border(model, lay, tips.get("border")),
        _rivers_and_labels(lay),
        _isis(model, lay, scale),
        _towns(model, lay),
        _units(model, lay, tips.get("units")),
        "</g>",
    ]
    if legend:
        out.append(_legend(model, proj.width + 12, top, scale))
    out.append("</svg>")
    return "".join(out)


def _caption(model: EscalationModel, what: str = "") -> str:
    return f"{what or model.spec.meta.title}: week {model.steps} ({model.date:%d %b %Y})"


def _title(texts: list[str] | None, k: int) -> str:
    if texts is None or k >= len(texts):
        return ""
    return f"<title>{escape(texts[k])}</title>"


@functools.lru_cache(maxsize=8)
def _static(lay: MapLayout) -> str:
    """Land of every country in the file (the context), drawn once per layout."""
    paths = "".join(
        f'<path id="outline-{code}" d="{d}" data-country="{code}"/>'
        for code, d in lay.outlines.items()
    )
    return f'<g id="map-countries" fill="{LAND}" stroke="#8C8C8C" stroke-width="0.8">{paths}</g>'


def _regions(model: EscalationModel, lay: MapLayout, tips: list[str] | None) -> str:
    parts = ['<g id="map-regions" stroke="#FFFFFF" stroke-width="0.8">']
    for node, d in enumerate(lay.cells):
        colour = holder_colour(model.controller[node])
        opacity = 0.35 if model.world.external[node] else 0.62
        x, y = lay.centres[node]
        body = (
            f'<path d="{d}" fill="{colour}" fill-opacity="{opacity}"/>'
            if d
            else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{colour}"/>'
        )
        parts.append(
            f'<g class="region" data-node="{node}" data-holder="{escape(model.controller[node])}">'
            f"{_title(tips, node)}{body}"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{colour}" stroke="#333333" '
            'stroke-width="0.8"/></g>'
        )
    parts.append("</g>")
    # Country outlines over the region fills, so the frontiers stay visible (the paths of
    # ``_static``, reused: in compare mode the other map's have the same id and the same shape).
    parts.append(
        '<g fill="none" stroke="#555555" stroke-width="1.1">'
        + "".join(f'<use href="#outline-{code}"/>' for code in lay.outlines)
        + "</g>"
    )
    return "".join(parts)


def _border(model: EscalationModel, lay: MapLayout, tips: list[str] | None) -> str:
    parts = ['<g id="map-border" fill="none" stroke-linecap="butt">']
    for seg, d in enumerate(lay.segments):
        wall = float(model.border_wall[seg])
        parts.append(
            f'<path d="{d}" stroke="{wall_colour(wall)}" stroke-width="{3 + 4 * wall:.1f}" '
            f'data-segment="{escape(model.world.segments.ids[seg])}">{_title(tips, seg)}</path>'
        )
    parts.append("</g>")
    return "".join(parts)


@functools.lru_cache(maxsize=8)
def _rivers_and_labels(lay: MapLayout) -> str:
    """Rivers and region labels, drawn once per layout."""
    rivers = "".join(f'<path d="{d}"/>' for d, _ in lay.rivers.values())
    names = "".join(
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" font-style="italic" fill="#2B6CA3" '
        f'dx="6">{escape(name)}</text>'
        for name, (_, (x, y)) in lay.rivers.items()
    )
    labels = "".join(
        f'<text x="{lb.x:.1f}" y="{lb.y:.1f}" text-anchor="{lb.anchor}">{escape(lb.text)}</text>'
        for lb in lay.labels
    )
    return (
        f'<g id="map-rivers" fill="none" stroke="#3A86C8" stroke-width="1.6">{rivers}</g>'
        f"{names}"
        f'<g id="map-labels" font-size="{LABEL_PX:.0f}" fill="#1A1A1A" stroke="#FFFFFF" '
        f'stroke-width="2.6" paint-order="stroke">{labels}</g>'
    )


def _isis(model: EscalationModel, lay: MapLayout, scale: float) -> str:
    isis = model.isis_by_region()
    parts = ['<g id="map-isis" fill="#111111" fill-opacity="0.28" stroke="#111111">']
    for node in np.flatnonzero(isis > 0):
        x, y = lay.centres[node]
        r = ISIS_RADIUS * math.sqrt(float(isis[node]) / scale)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{max(r, 1.5):.1f}"/>')
    parts.append("</g>")
    return "".join(parts)


def _towns(model: EscalationModel, lay: MapLayout) -> str:
    """Each town of ``[[towns]]`` as a small square in its holder's colour (ISIS: black)."""
    towns = model.towns
    if not len(towns):
        return ""
    names = actor_names(model)
    parts = ['<g id="map-towns" stroke="#FFFFFF" stroke-width="0.8">']
    for k in range(len(towns)):
        x, y = lay.projection.xy(*towns.coords[k])
        holder = towns.holder[k]
        fill = "#111111" if towns.isis[k] else holder_colour(holder)
        tip = (
            f"{towns.names[k]} ({int(towns.population[k]):,} people): held by "
            f"{names.get(holder, holder)}"
        )
        parts.append(
            f'<rect class="town" data-town="{escape(towns.ids[k])}" '
            f'data-holder="{escape(holder)}" x="{x - 2.6:.1f}" y="{y - 2.6:.1f}" width="5.2" '
            f'height="5.2" fill="{fill}"><title>{escape(tip)}</title></rect>'
        )
    parts.append("</g>")
    return "".join(parts)


def _unit_shape(kind: str, x: float, y: float, colour: str) -> str:
    shape = UNIT_SHAPES.get(kind, "circle")
    style = f'fill="{colour}" stroke="#000000" stroke-width="0.6"'
    if shape == "square":
        return f'<rect x="{x - 3.2:.1f}" y="{y - 3.2:.1f}" width="6.4" height="6.4" {style}/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 4:.1f}l4 7h-8Z" {style}/>'
    if shape == "diamond":
        return f'<path d="M{x:.1f} {y - 4:.1f}l4 4l-4 4l-4 -4Z" {style}/>'
    if shape == "cross":
        return (
            f'<path d="M{x - 1.5:.1f} {y - 4:.1f}h3v2.5h2.5v3h-2.5v2.5h-3v-2.5h-2.5v-3h2.5Z" '
            f"{style}/>"
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" {style}/>'


def unit_colour(actor_id: str, kind: str) -> str:
    """The colour of a force: its owner's, else purple for militias and grey for others."""
    return CONTROLLER_COLOURS.get(actor_id, "#6A5ACD" if kind == "militia" else "#777777")


def _units(model: EscalationModel, lay: MapLayout, tips: list[str] | None) -> str:
    parts = ['<g id="map-units">']
    by_region: dict[int, int] = {}
    for k, f in enumerate(model.forces):
        slot = by_region.get(f.region, 0)
        by_region[f.region] = slot + 1
        angle = math.pi / 2 + 2 * math.pi * slot / 10
        x = lay.centres[f.region, 0] + 11 * math.cos(angle)
        y = lay.centres[f.region, 1] + 11 * math.sin(angle)
        parts.append(
            f'<g class="unit" data-kind="{f.kind}">{_title(tips, k)}'
            f"{_unit_shape(f.kind, x, y, unit_colour(f.actor_id, f.kind))}</g>"
        )
    parts.append("</g>")
    return "".join(parts)


def _short(name: str, most: int = 30) -> str:
    """A name cut to fit the legend (its full text is the tooltip)."""
    return name if len(name) <= most else name[: most - 1].rstrip() + "…"


def _legend(model: EscalationModel, x0: float, top: float, scale: float) -> str:
    """Holders by name, the ISIS size scale, the border's wall coverage, forces and rivers."""
    names = actor_names(model)
    held = sorted(set(model.controller), key=lambda a: names.get(a, a))
    y = top + 8
    parts = [f'<g id="map-legend" font-size="12.5" transform="translate({x0:.0f} 0)">']
    parts.append(f'<text y="{y + 4:.0f}" font-weight="bold">Held by</text>')
    for actor in held:
        name = names.get(actor, actor)
        y += 17
        parts.append(
            f'<rect x="0" y="{y - 9:.0f}" width="14" height="11" fill="{holder_colour(actor)}" '
            f'fill-opacity="0.7"/><text x="20" y="{y:.0f}"><title>{escape(name)}</title>'
            f"{escape(_short(name))}</text>"
        )
    y += 26
    parts.append(f'<text y="{y:.0f}" font-weight="bold">ISIS fighters in a region</text>')
    steps = [scale, scale / 5, scale / 25]
    y += 8 + ISIS_RADIUS
    cx = ISIS_RADIUS + 2
    for value in steps:
        r = ISIS_RADIUS * math.sqrt(value / scale)
        parts.append(
            f'<circle cx="{cx:.0f}" cy="{y + ISIS_RADIUS - r:.1f}" r="{r:.1f}" fill="#111111" '
            'fill-opacity="0.28" stroke="#111111"/>'
        )
        ty = y + ISIS_RADIUS - 2 * r
        parts.append(
            f'<line x1="{cx:.0f}" x2="{2 * ISIS_RADIUS + 12:.0f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#777777" stroke-width="0.6"/>'
            f'<text x="{2 * ISIS_RADIUS + 15:.0f}" y="{ty + 4:.1f}">'
            f"{value:,.0f}</text>"
        )
    y += 2 * ISIS_RADIUS + 22
    parts.append(f'<text y="{y:.0f}" font-weight="bold">Iraq–Syria border</text>')
    for wall, text in ((1.0, "fully walled"), (0.5, "half walled"), (0.0, "open")):
        y += 16
        parts.append(
            f'<line x1="0" x2="24" y1="{y - 4:.0f}" y2="{y - 4:.0f}" stroke="{wall_colour(wall)}" '
            f'stroke-width="{3 + 4 * wall:.0f}"/><text x="30" y="{y:.0f}">{text}</text>'
        )
    y += 26
    parts.append(f'<text y="{y:.0f}" font-weight="bold">Forces (owner\'s colour)</text>')
    for kind in UNIT_SHAPES:
        y += 16
        parts.append(
            _unit_shape(kind, 7, y - 4, "#FFFFFF") + f'<text x="20" y="{y:.0f}">{kind}</text>'
        )
    y += 20
    parts.append(
        f'<line x1="0" x2="24" y1="{y - 4:.0f}" y2="{y - 4:.0f}" stroke="#3A86C8" '
        f'stroke-width="1.6"/><text x="30" y="{y:.0f}">river</text>'
    )
    if len(model.towns):
        y += 18
        parts.append(
            f'<rect x="4" y="{y - 7:.0f}" width="5.2" height="5.2" fill="#111111" '
            f'stroke="#FFFFFF" stroke-width="0.8"/><text x="20" y="{y:.0f}">town '
            "(holder's colour; black: ISIS)</text>"
        )
    parts.append("</g>")
    return "".join(parts)
