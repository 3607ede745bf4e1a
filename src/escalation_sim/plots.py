"""Figures for one run: the main outcomes over time and a map of the theatre.

Built on ``matplotlib.figure.Figure`` (no pyplot state), so they work headless, in notebooks and
inside the browser view alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

if TYPE_CHECKING:
    from escalation_sim.agents import ArmedForce
    from escalation_sim.model import EscalationModel

#: Colours of region holders on the map (others fall back to grey).
CONTROLLER_COLOURS = {
    "iraq": "#4C72B0",
    "syria": "#C44E52",
    "hts": "#55A868",
    "sdf": "#DD8452",
    "isis": "#222222",
    "ungoverned": "#E5E5E5",
    "iran": "#8172B3",
    "israel": "#64B5CD",
    "jordan": "#CCB974",
    "turkey": "#937860",
}

#: Panels of the time-series figure: title -> (column, label) pairs.
PANELS: dict[str, list[tuple[str, str]]] = {
    "ISIS fighters": [("isis_fighters_iraq", "in Iraq"), ("isis_fighters_syria", "in Syria")],
    "ISIS attacks / week": [("isis_attacks_iraq", "in Iraq"), ("isis_attacks_syria", "in Syria")],
    "Infiltrations into Iraq / week": [
        ("infiltrations", "attempted"),
        ("infiltrations_detected", "detected"),
    ],
    "Iraqi militia fighters in Syria": [("militia_fighters_syria", "fighters")],
    "Launches and Israeli strikes / week": [
        ("militia_launches", "launches from Iraq"),
        ("israeli_strikes_syria", "strikes, militias in Syria"),
        ("israeli_strikes_iraq", "strikes on Iraq"),
    ],
    "Escalation ladder (Iraq)": [("escalation_level", "rung")],
}

#: The unit on the y axis of each panel.
PANEL_UNITS: dict[str, str] = {
    "ISIS fighters": "fighters",
    "ISIS attacks / week": "attacks per week",
    "Infiltrations into Iraq / week": "crossings per week (groups)",
    "Iraqi militia fighters in Syria": "fighters",
    "Launches and Israeli strikes / week": "launches or strikes per week",
    "Escalation ladder (Iraq)": "rung",
}

#: Panels whose values are counts (integer ticks).
COUNT_PANELS = frozenset(
    {
        "ISIS attacks / week",
        "Infiltrations into Iraq / week",
        "Launches and Israeli strikes / week",
        "Escalation ladder (Iraq)",
    }
)

#: The rungs of the escalation ladder for Iraq (``escalation_sim.outcomes``).
LADDER_RUNGS: dict[int, str] = {
    0: "0 calm",
    1: "1 militia activity",
    2: "2 strikes in Syria",
    3: "3 strikes on Iraq",
    4: "4 strike campaign",
}

COLLAPSE_COLOUR = "#7F3C8D"
THRESHOLD_COLOUR = "#B22222"


def thousands(value: float, _pos: object = None) -> str:
    """A tick or table number with thousands separators, never in scientific notation."""
    if not np.isfinite(value):
        return ""
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.2g}"


def format_axis(ax: Axes, axis: str = "y", integer: bool = False) -> None:
    """Plain numbers with thousands separators on ``axis``; whole-number ticks if ``integer``."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(thousands))
    if integer:
        target.set_major_locator(MaxNLocator(integer=True))


def ladder_axis(ax: Axes, axis: str = "y") -> None:
    """A fixed 0-4 axis whose ticks name the rungs of the escalation ladder."""
    rungs = list(LADDER_RUNGS)
    if axis == "y":
        ax.set_ylim(-0.2, 4.2)
        ax.set_yticks(rungs, [LADDER_RUNGS[r] for r in rungs], fontsize=7)
    else:
        ax.set_xlim(-0.5, 4.5)
        ax.set_xticks(rungs, [LADDER_RUNGS[r] for r in rungs], fontsize=7, rotation=20)


def collapse_week(params: Mapping[str, Any] | None) -> int | None:
    """The week of the Syrian collapse when the run has one (severity above 0), else None."""
    if not params or float(params.get("syria_collapse", 0) or 0) <= 0:
        return None
    week = params.get("syria_collapse_week")
    return None if week is None else int(week)


def mark_collapse(ax: Axes, x: float | pd.Timestamp, week: int, label: bool = True) -> None:
    """A vertical line at the Syrian collapse."""
    ax.axvline(
        x,  # type: ignore[arg-type]
        color=COLLAPSE_COLOUR,
        ls=":",
        lw=1.2,
        label=f"Syrian collapse (week {week})" if label else None,
    )


def mark_resurgence_attacks(ax: Axes, params: Mapping[str, Any] | None) -> None:
    """The attack rate above which (sustained) ISIS resurgence is declared."""
    if not params or "resurgence_attacks" not in params:
        return
    ax.axhline(
        float(params["resurgence_attacks"]),
        color=THRESHOLD_COLOUR,
        ls="--",
        lw=1,
        label=f"resurgence: mean {thousands(float(params['resurgence_attacks']))}/week over "
        f"{params.get('resurgence_weeks', '?')} weeks",
    )


def run_title(scenario: str, seed: int, overrides: Mapping[str, Any] | None = None) -> str:
    """Title of a single run's figure: the scenario, the seed and the overrides."""
    if overrides:
        what = ", ".join(f"{k} = {v}" for k, v in sorted(overrides.items()))
    else:
        what = "no overrides"
    return f"{scenario}, seed {seed}; {what}"


def draw_panel(
    ax: Axes,
    x: pd.Series,
    ts: pd.DataFrame,
    title: str,
    series: list[tuple[str, str]],
    fontsize: float = 10,
) -> None:
    """Draw one panel of weekly outcomes: each ``(column, label)`` of ``series`` against ``x``.

    The escalation ladder is drawn as steps on a fixed 0-4 axis whose ticks name the rungs;
    counts get whole-number ticks, every number thousands separators; columns missing from
    ``ts`` are skipped. ``fontsize``: the title's; the legend's is 2 points smaller.
    """
    for column, label in series:
        if column not in ts:
            continue
        if column == "escalation_level":
            ax.step(x, ts[column], where="post", label=label, color="#8B0000")
            ladder_axis(ax)
        else:
            ax.plot(x, ts[column], label=label, lw=1.4)
    if not any(column == "escalation_level" for column, _ in series):
        format_axis(ax, "y", integer=title in COUNT_PANELS)
        ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=fontsize)
    if title in PANEL_UNITS:
        ax.set_ylabel(PANEL_UNITS[title], fontsize=fontsize - 2)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=fontsize - 2, loc="upper left")


def always_zero(ts: pd.DataFrame, series: list[tuple[str, str]]) -> bool:
    """True when every column of a panel is zero (or missing) in every week."""
    cols = [c for c, _ in series if c in ts]
    return not cols or not bool((ts[cols].fillna(0).to_numpy() != 0).any())


def timeseries_figure(
    ts: pd.DataFrame, title: str = "", params: Mapping[str, Any] | None = None
) -> Figure:
    """Panels of the main weekly outcomes against the calendar date.

    Panels that stay at zero through the run are left out (the figure says which). With the
    run's ``params`` the Syrian collapse is marked (a dotted line at its week) and so is the
    attack rate that counts as a resurgence.
    """
    shown = {k: v for k, v in PANELS.items() if not always_zero(ts, v)}
    empty = [k for k in PANELS if k not in shown]
    n = max(1, len(shown))
    ncols = 3 if n > 4 else 2
    nrows = -(-n // ncols)
    fig = Figure(figsize=(4.4 * ncols, 3.5 * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel())
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    x = pd.to_datetime(ts["date"]) if "date" in ts else ts["week"]
    week = collapse_week(params)
    at = None
    if week is not None and "week" in ts:
        rows = np.flatnonzero(ts["week"].to_numpy() == week)
        at = x.iloc[rows[0]] if len(rows) else None
    for ax, (panel, series) in zip(axes, shown.items(), strict=False):
        if panel == "ISIS attacks / week":
            mark_resurgence_attacks(ax, params)
        if at is not None and week is not None:
            mark_collapse(ax, at, week)
        draw_panel(ax, x, ts, panel, series)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        spec = ax.get_subplotspec()
        if spec is not None and spec.is_last_row():  # the x axis is shared
            ax.set_xlabel("date" if "date" in ts else "week", fontsize=8)
    note = f"Always zero in this run, not drawn: {', '.join(empty)}." if empty else ""
    if title or note:
        fig.suptitle("\n".join(t for t in (title, note) if t), fontsize=10)
    return fig


def plot_timeseries(
    ts: pd.DataFrame, path: str | Path, title: str = "", params: Mapping[str, Any] | None = None
) -> Path:
    """Save ``timeseries_figure`` as PNG."""
    fig = timeseries_figure(ts, title, params)
    fig.savefig(path, dpi=110, format="png")
    return Path(path)


#: Marker of each kind of force on the map.
UNIT_MARKERS = {"army": "s", "militia": "^", "rebel": "D", "foreign": "P"}


@dataclass(frozen=True)
class MapMarks:
    """What each mark ``draw_map`` drew stands for, in drawing order.

    Each group of marks is one matplotlib collection whose ``gid`` is the key here, so a caller
    can find the marks again in the output (the browser view adds tooltips to them in the SVG).

    Attributes:
        regions: Node of each region marker (gid ``map-regions``).
        segments: Border segment index of each thick border line (gid ``map-border``).
        units: Unit kind -> the forces drawn with that marker (gid ``map-units-KIND``).
    """

    regions: list[int] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)
    units: dict[str, list[ArmedForce]] = field(default_factory=dict)


def draw_map(model: EscalationModel, ax: Axes, show_units: bool = True) -> MapMarks:
    """Draw the region network at the scenario's coordinates on ``ax``.

    Regions are coloured by who controls them and ringed in proportion to ISIS fighters there;
    roads are grey, Iraq-Syria border segments are drawn thick and coloured by wall coverage
    (red = open, green = fully walled, at the current ``border_hardening``); forces are small
    markers around their region. Marks of a kind are drawn as one collection each, which keeps
    the drawing fast enough to redraw every step in the browser.

    Returns:
        Which region, border segment or force each mark stands for.
    """
    w = model.world
    xy = w.coords
    marks = MapMarks()
    roads: dict[str, list] = {"-": [], ":": []}
    border, border_colours, border_widths = [], [], []
    for u, v, data in w.graph.edges(data=True):
        seg = data.get("segment", -1)
        if seg >= 0:
            wall = float(model.border_wall[seg])
            border.append([xy[u], xy[v]])
            border_colours.append((1 - wall, 0.55 * wall + 0.2, 0.2))
            border_widths.append(2 + 4 * wall)
            marks.segments.append(seg)
        else:
            roads[":" if data.get("kind") in ("track", "border") else "-"].append([xy[u], xy[v]])
    for style, lines in roads.items():
        ax.add_collection(
            LineCollection(lines, colors="#9A9A9A", linewidths=0.8, linestyles=style, zorder=0)
        )
    ax.add_collection(
        LineCollection(
            border,
            colors=border_colours,
            linewidths=border_widths,
            capstyle="round",
            zorder=1,
            gid="map-border",
        )
    )
    isis = model.isis_by_region()
    colours = [CONTROLLER_COLOURS.get(c, "#BBBBBB") for c in model.controller]
    sizes = np.where(w.external, 260, 180)
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=sizes,
        c=colours,
        edgecolors="#555555",  # a white edge hid ungoverned (light grey) regions
        linewidths=0.7,
        zorder=3,
        gid="map-regions",
    )
    marks.regions.extend(range(w.n))
    ring = 60 + 900 * np.sqrt(isis / max(isis.max(), 1.0))
    has = isis > 0
    ax.scatter(
        xy[has, 0],
        xy[has, 1],
        s=ring[has],
        facecolors="none",
        edgecolors="black",
        linewidths=1.2,
        zorder=4,
    )
    for i, name in enumerate(w.names):
        label = name.split(" (")[0].split(" / ")[0]
        ax.annotate(label, xy[i], xytext=(5, 5), textcoords="offset points", fontsize=7, zorder=5)
    if show_units:
        by_region: dict[int, int] = {}
        points: dict[str, list[tuple[float, float, str]]] = {}
        for f in model.forces:
            k = by_region.get(f.region, 0)
            by_region[f.region] = k + 1
            angle = 2 * np.pi * k / 8
            colour = CONTROLLER_COLOURS.get(
                f.actor_id, "#6A5ACD" if f.kind == "militia" else "#777777"
            )
            points.setdefault(f.kind, []).append(
                (
                    xy[f.region, 0] + 0.22 * np.cos(angle),
                    xy[f.region, 1] + 0.22 * np.sin(angle),
                    colour,
                )
            )
            marks.units.setdefault(f.kind, []).append(f)
        for kind, pts in points.items():
            px, py, pc = zip(*pts, strict=True)
            ax.scatter(
                px,
                py,
                marker=UNIT_MARKERS.get(kind, "o"),
                s=18,
                c=list(pc),
                edgecolors="k",
                linewidths=0.4,
                zorder=6,
                gid=f"map-units-{kind}",
            )
    names = {a.id: a.name for a in model.spec.actors}
    names.setdefault("ungoverned", "ungoverned")
    handles = [
        Line2D([], [], marker="o", ls="", color=c, label=names.get(k, k), markersize=7)
        for k, c in CONTROLLER_COLOURS.items()
        if k in set(model.controller)
    ]
    handles.append(
        Line2D([], [], marker="o", ls="", mfc="none", mec="k", label="ISIS fighters (ring)")
    )
    handles.append(Line2D([], [], color=(0, 0.75, 0.2), lw=5, label="border, walled"))
    handles.append(Line2D([], [], color=(1, 0.2, 0.2), lw=2, label="border, open"))
    # Outside the axes: inside, it hid the south-western regions (Israel, Daraa).
    ax.legend(
        handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.85
    )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_title(f"{model.spec.meta.title}: week {model.steps} ({model.date:%d %b %Y})", fontsize=9)
    return marks


def map_figure(model: EscalationModel) -> Figure:
    """A figure holding ``draw_map``."""
    fig = Figure(figsize=(11, 5.6), layout="constrained")  # the theatre is twice as wide as tall
    draw_map(model, fig.add_subplot())
    return fig


def plot_map(model: EscalationModel, path: str | Path) -> Path:
    """Save the map of the model's current state as PNG."""
    map_figure(model).savefig(path, dpi=110, format="png")
    return Path(path)
