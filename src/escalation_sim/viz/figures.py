"""What the browser view draws, as plain functions of a model (no Solara here).

The map is ``escalation_sim.plots.draw_map`` rendered to SVG with a ``<title>`` on every region,
border segment and unit, so the browser shows a tooltip on hover with nothing but the page itself
(no JavaScript library, no network). The live plots are a lean matplotlib figure of the weekly
outcomes, and ``explanation`` is the text beside them, as HTML (Solara's Markdown component
would load KaTeX from a CDN). Each is cheap enough to redraw every step
(``benchmarks/bench_viz.py`` measures it).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from html import escape
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from escalation_sim.plots import MapMarks, draw_map, draw_panel

if TYPE_CHECKING:
    from escalation_sim.agents import ArmedForce
    from escalation_sim.model import EscalationModel

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

#: Panels of the live plots: title -> (column, label) pairs (the series issue #4 names).
LIVE_PANELS: dict[str, list[tuple[str, str]]] = {
    "ISIS fighters": [("isis_fighters_iraq", "in Iraq"), ("isis_fighters_syria", "in Syria")],
    "ISIS attacks in Iraq / week": [("isis_attacks_iraq", "attacks")],
    "Iraqi militia fighters in Syria": [("militia_fighters_syria", "fighters")],
    "Israeli strikes on Iraq / week": [("israeli_strikes_iraq", "strikes")],
    "Escalation ladder (Iraq)": [("escalation_level", "level 0-4")],
    "Crossings into Iraq / week": [
        ("infiltrations", "attempted"),
        ("infiltrations_detected", "detected"),
    ],
}

#: Rungs of the escalation ladder (``escalation_sim.outcomes``), for the text panel.
LADDER = (
    "calm",
    "militia activity",
    "Israel strikes Iraqi militias in Syria",
    "Israel strikes Iraqi territory",
    "an Israeli strike campaign on Iraq",
)

_UNIT_SYMBOLS = {"army": "■", "militia": "▲", "rebel": "◆", "foreign": "✚"}


# ------------------------------------------------------------------------------------- map


def map_svg(model: EscalationModel) -> str:
    """The map of the model's current state as inline SVG, with a tooltip on every mark.

    The SVG scales to the width of its container (``viewBox`` kept, fixed size dropped).
    """
    fig = Figure(figsize=(8.0, 3.9))
    # Fixed margins instead of a layout engine: a layout pass costs more than the drawing.
    ax = fig.add_axes((0.065, 0.1, 0.76, 0.83))
    marks = draw_map(model, ax)
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "escalation-sim"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return add_tooltips(buf.getvalue(), tooltips(model, marks))


def tooltips(model: EscalationModel, marks: MapMarks) -> dict[str, list[str]]:
    """Tooltip text of each mark ``draw_map`` drew, by the gid of its collection."""
    out = {
        "map-regions": [region_tooltip(model, node) for node in marks.regions],
        "map-border": [segment_tooltip(model, seg) for seg in marks.segments],
    }
    for kind, forces in marks.units.items():
        out[f"map-units-{kind}"] = [unit_tooltip(model, f) for f in forces]
    return out


def add_tooltips(svg: str, titles: dict[str, list[str]]) -> str:
    """Give each mark of each gid group in a matplotlib SVG a ``<title>`` (a native tooltip).

    matplotlib writes a collection as a group holding one child per mark, in drawing order (a
    ``<path>``, or a ``<g>`` around a ``<use>``), after an optional ``<defs>``. A group whose
    count of marks differs from its titles is left without tooltips rather than mislabelled.
    The result is an ``<svg>`` element ready to inline in HTML, scaled to its container's width.
    """
    root = ET.fromstring(svg)
    root.attrib.pop("height", None)
    root.set("width", "100%")
    root.set("style", "height: auto; display: block")
    for metadata in root.findall(f"{{{SVG_NS}}}metadata"):
        root.remove(metadata)
    for group in root.iter(f"{{{SVG_NS}}}g"):
        texts = titles.get(group.get("id", ""))
        if texts is None:
            continue
        children = [c for c in group if c.tag != f"{{{SVG_NS}}}defs"]
        if len(children) != len(texts):
            continue
        for child, text in zip(children, texts, strict=True):
            title = ET.Element(f"{{{SVG_NS}}}title")
            title.text = text
            child.insert(0, title)
    return ET.tostring(root, encoding="unicode")


def region_tooltip(model: EscalationModel, node: int) -> str:
    """Who holds a region, ISIS there, the forces there."""
    w = model.world
    cells = [c for c in model.cells if c.region == node]
    fighters = sum(c.strength for c in cells)
    lines = [
        f"{w.names[node]} ({w.country[node]})",
        f"held by: {model.controller[node]}",
        f"ISIS: {fighters:,.0f} fighters in {len(cells)} cells",
    ]
    forces = [f for f in model.forces if f.region == node]
    if forces:
        lines.append("forces:")
        lines += [f"  {_force_line(f)}" for f in forces]
    if not w.external[node]:
        lines.append(
            f"population {w.population[node].sum() / 1e6:.2f} M, chaos {model.chaos[node]:.2f}"
        )
    return "\n".join(lines)


def segment_tooltip(model: EscalationModel, seg: int) -> str:
    """Length, wall, surveillance, garrison and detection of a border segment."""
    s, w = model.world.segments, model.world
    name = s.crossing[seg] or s.ids[seg]
    lines = [
        f"Iraq-Syria border: {name} ({w.names[s.iraq[seg]]} - {w.names[s.syria[seg]]})",
        f"{s.length_km[seg]:.0f} km; wall {model.border_wall[seg]:.0%}, "
        f"surveillance {model.border_surveillance[seg]:.0%}, "
        f"garrison {model.border_garrison[seg]:.0%} of full",
        f"chance a crossing is detected: {model.detection[seg]:.0%}",
    ]
    if s.smuggling[seg]:
        lines.append("smuggling corridor")
    return "\n".join(lines)


def unit_tooltip(model: EscalationModel, force: ArmedForce) -> str:
    """A force: what it is, its strength and where it is."""
    lines = [_force_line(force), f"in {model.world.names[force.region]}; role {force.role}"]
    if force.deployed:
        lines.append("deployed")
    if force.commander:
        lines.append(f"this week followed: {force.commander}")
    return "\n".join(lines)


def _force_line(f: ArmedForce) -> str:
    return (
        f"{_UNIT_SYMBOLS.get(f.kind, '•')} {f.unit_id} ({f.kind}, {f.actor_id}): "
        f"{f.strength:,.0f} fighters, cohesion {f.cohesion:.2f}"
    )


# ------------------------------------------------------------------------------------ plots


def plots_figure(model: EscalationModel) -> Figure:
    """The live plots: ``LIVE_PANELS`` of the weekly outcomes so far, against the date.

    A dashed line marks the week of the Syrian collapse when the scenario has one.
    """
    ts = model.timeseries()
    fig = Figure(figsize=(7.6, 4.9))
    fig.subplots_adjust(left=0.08, right=0.985, top=0.94, bottom=0.08, hspace=0.45, wspace=0.22)
    axes = fig.subplots(3, 2, sharex=True).ravel()
    x = pd.to_datetime(ts["date"])
    collapse = None
    if model.p.syria_collapse > 0:
        collapse = pd.Timestamp(model.start_date) + pd.Timedelta(
            weeks=int(model.p.syria_collapse_week)
        )
    for ax, (panel, series) in zip(axes, LIVE_PANELS.items(), strict=True):
        draw_panel(ax, x, ts, panel, series, fontsize=9)
        ax.tick_params(labelsize=7)
        if series[0][0] != "escalation_level":  # counts: from zero, whole numbers
            ax.set_ylim(0, max(ax.get_ylim()[1], 1.0))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        if collapse is not None and collapse <= x.iloc[-1]:
            ax.axvline(collapse, color="#555555", ls="--", lw=0.8)
    locator = mdates.AutoDateLocator(maxticks=6)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if len(x) == 1:  # a single week: give the date axis some width
        axes[-1].set_xlim(x.iloc[0] - pd.Timedelta(days=7), x.iloc[0] + pd.Timedelta(days=7))
    return fig


# ------------------------------------------------------------------------------------- text


def explanation(model: EscalationModel) -> str:
    """The text panel, as HTML: the current week, its headline numbers, and how to read the page."""
    now, p = model.now, model.p
    off = [name for name, on in model.mech.items() if not on]
    collapse = (
        f"severity {p.syria_collapse:.2f} at week {int(p.syria_collapse_week)}"
        if p.syria_collapse > 0
        else "none"
    )
    level = int(now["escalation_level"])
    units = ", ".join(f"{symbol} {kind}" for kind, symbol in _UNIT_SYMBOLS.items())
    ladder = "; ".join(f"{k} {rung}" for k, rung in enumerate(LADDER))
    meta = model.spec.meta
    return "\n".join(
        [
            f'<h3 class="week">Week {model.steps}: {model.date:%d %B %Y}</h3>',
            f"<p><b>{escape(meta.title)}</b> (scenario <code>{escape(meta.name)}</code>"
            + (f", seed <b>{model.seed}</b>" if getattr(model, "seed", None) is not None else "")
            + "). "
            f"Border hardening {p.border_hardening:.2f}; Syrian collapse: {collapse}; "
            f"mechanisms off: {escape(', '.join(off)) if off else 'none'}.</p>",
            f"<p>This week: <b>{now['isis_fighters_iraq']:,.0f}</b> ISIS fighters in Iraq and "
            f"<b>{now['isis_fighters_syria']:,.0f}</b> in Syria; <b>{now['isis_attacks_iraq']}</b> "
            f"attacks in Iraq; <b>{now['militia_fighters_syria']:,.0f}</b> Iraqi militia fighters "
            f"in Syria; <b>{now['israeli_strikes_iraq']}</b> Israeli strikes on Iraq; escalation "
            f"level <b>{level}</b> ({LADDER[level]}).</p>",
            "<p><b>Map</b>: regions at their coordinates, coloured by who holds them; a black "
            "ring grows with the ISIS fighters in a region. Thick lines are the Iraq-Syria border "
            "segments, green where walled, red where open. Small markers are forces "
            f"({units}) in their owner's colour. <i>Hover over a region, a border segment or a "
            "unit for details.</i></p>",
            "<p><b>Plots</b>: the weekly outcomes so far"
            + ("; the dashed line is the Syrian collapse" if p.syria_collapse > 0 else "")
            + f". Escalation ladder: {ladder}.</p>",
            "<p><b>Controls</b>: <i>Step</i> advances one week, ▶ plays; change the model "
            "parameters, then press <i>Reset</i> to start again with them.</p>",
        ]
    )
