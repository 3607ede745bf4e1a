"""What the browser view draws, as plain functions of a model (no Solara here).

The map is ``svgmap.map_svg`` with a tooltip on every region, border segment and force; the
live plots are ``charts.line_chart`` panels of the weekly outcomes (and, in compare mode, of an
intervention's differences from its baseline); ``explanation`` is the text beside them, as HTML
(Solara's Markdown component would load KaTeX from a CDN). All are SVG or HTML strings written
directly, cheap enough to redraw every step (``benchmarks/bench_viz.py`` measures it).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.viz.charts import Series, line_chart
from escalation_sim.viz.geography import SHAPES_NOTE, SOURCES_NOTE
from escalation_sim.viz.svgmap import actor_names, map_svg

if TYPE_CHECKING:
    from escalation_sim.agents import ArmedForce
    from escalation_sim.model import EscalationModel

#: Panels of the live plots: title -> (y label, [(column, label)]) (the series issue #4 names).
#: A y label ending in "/ week" is a weekly count: compare mode shows its cumulative difference.
LIVE_PANELS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "ISIS fighters": (
        "fighters",
        [("isis_fighters_iraq", "in Iraq"), ("isis_fighters_syria", "in Syria")],
    ),
    "ISIS attacks in Iraq": ("attacks / week", [("isis_attacks_iraq", "attacks")]),
    "Iraqi militia fighters in Syria": ("fighters", [("militia_fighters_syria", "fighters")]),
    "Israeli strikes on Iraq": ("strikes / week", [("israeli_strikes_iraq", "strikes")]),
    "Escalation ladder (Iraq)": ("level (0-4)", [("escalation_level", "level")]),
    "Crossings into Iraq": (
        "crossings / week",
        [("infiltrations", "attempted"), ("infiltrations_detected", "detected")],
    ),
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


def map_with_tooltips(
    model: EscalationModel, caption: str = "", scale: float | None = None, legend: bool = True
) -> str:
    """``svgmap.map_svg`` of the model with a tooltip on every region, segment and force."""
    return map_svg(model, tooltips(model), scale=scale, caption=caption, legend=legend)


def tooltips(model: EscalationModel) -> dict[str, list[str]]:
    """Tooltip text of each region, border segment and force, in drawing order."""
    return {
        "regions": [region_tooltip(model, node) for node in range(model.world.n)],
        "border": [segment_tooltip(model, seg) for seg in range(len(model.world.segments))],
        "units": [unit_tooltip(model, f) for f in model.forces],
    }


def region_tooltip(model: EscalationModel, node: int) -> str:
    """Who holds a region, ISIS there, the forces there."""
    w = model.world
    cells = [c for c in model.cells if c.region == node]
    fighters = sum(c.strength for c in cells)
    lines = [
        f"{w.names[node]} ({w.country[node]})",
        f"held by: {actor_names(model).get(model.controller[node], model.controller[node])}",
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
    owner = actor_names(f.model).get(f.actor_id, f.actor_id)
    return (
        f"{_UNIT_SYMBOLS.get(f.kind, '•')} {f.unit_id} ({f.kind}, {owner}): "
        f"{f.strength:,.0f} fighters, cohesion {f.cohesion:.2f}"
    )


# ------------------------------------------------------------------------------------ plots


def collapse_week(model: EscalationModel) -> float | None:
    """The week of the Syrian collapse, if the run has one."""
    return float(model.p.syria_collapse_week) if model.p.syria_collapse > 0 else None


def live_charts(model: EscalationModel) -> list[str]:
    """The live plots: one SVG chart per panel of ``LIVE_PANELS``, the weeks so far."""
    ts = model.timeseries()
    out = []
    for title, (unit, series) in LIVE_PANELS.items():
        lines = [
            Series(label, ts[col].to_numpy(dtype=float), steps=col == "escalation_level")
            for col, label in series
            if col in ts
        ]
        ladder = series[0][0] == "escalation_level"
        out.append(
            line_chart(
                title,
                lines,
                model.start_date,
                unit,
                y_range=(0, 4) if ladder else None,
                marker_week=collapse_week(model),
            )
        )
    return out


def difference_charts(base: EscalationModel, other: EscalationModel) -> list[str]:
    """Compare mode: each panel of ``LIVE_PANELS`` as intervention minus baseline, week by week.

    Weekly counts are summed from week 0 (the cumulative difference), levels are not.
    """
    a, b = base.timeseries(), other.timeseries()
    weeks = min(len(a), len(b))
    out = []
    for title, (unit, series) in LIVE_PANELS.items():
        flow = unit.endswith("/ week")
        lines = []
        for col, label in series:
            if col in a and col in b:
                diff = b[col].to_numpy(dtype=float)[:weeks] - a[col].to_numpy(dtype=float)[:weeks]
                lines.append(Series(label, np.cumsum(diff) if flow else diff))
        heading = f"{title}: {'cumulative ' if flow else ''}difference"
        y_label = unit.replace(" / week", ", total") if flow else unit
        out.append(line_chart(heading, lines, base.start_date, y_label, zero_line=True))
    return out


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
            "<p><b>Map</b>: regions coloured by who holds them; a grey disc grows with the ISIS "
            "fighters in a region (its area with their number, see the scale). The thick line is "
            "the Iraq-Syria border along the real frontier, cut into the scenario's segments, "
            "green where walled, red where open. Small markers are forces "
            f"({units}) in their owner's colour; blue lines are the Euphrates and the Tigris. "
            f"{SHAPES_NOTE} {SOURCES_NOTE} <i>Hover over a region, a border segment or a "
            "unit for details.</i></p>",
            "<p><b>Plots</b>: the weekly outcomes so far"
            + ("; the dashed line is the Syrian collapse" if p.syria_collapse > 0 else "")
            + f". Escalation ladder: {ladder}.</p>",
            "<p><b>Controls</b>: <i>Step</i> advances one week, ▶ plays; change the scenario, "
            "the seed, the levers or the mechanisms, then press <i>Reset</i> to start again "
            "with them.</p>",
        ]
    )
