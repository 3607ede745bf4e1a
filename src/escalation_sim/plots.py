"""Figures for one run: the main outcomes over time and a map of the theatre.

Built on ``matplotlib.figure.Figure`` (no pyplot state), so they work headless, in notebooks and
inside the browser view alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

if TYPE_CHECKING:
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
    "Escalation ladder (Iraq)": [("escalation_level", "level 0-4")],
}


def timeseries_figure(ts: pd.DataFrame, title: str = "") -> Figure:
    """Six panels of the main weekly outcomes against the calendar date."""
    fig = Figure(figsize=(13, 7.5), layout="constrained")
    axes = fig.subplots(2, 3, sharex=True).ravel()
    x = pd.to_datetime(ts["date"]) if "date" in ts else ts["week"]
    for ax, (panel, series) in zip(axes, PANELS.items(), strict=True):
        for column, label in series:
            if column not in ts:
                continue
            if column == "escalation_level":
                ax.step(x, ts[column], where="post", label=label, color="#8B0000")
                ax.set_ylim(-0.2, 4.2)
            else:
                ax.plot(x, ts[column], label=label, lw=1.4)
        ax.set_title(panel, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_timeseries(ts: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Save ``timeseries_figure`` as PNG."""
    fig = timeseries_figure(ts, title)
    fig.savefig(path, dpi=110, format="png")
    return Path(path)


def draw_map(model: EscalationModel, ax: Axes, show_units: bool = True) -> None:
    """Draw the region network at the scenario's coordinates on ``ax``.

    Regions are coloured by who controls them and ringed in proportion to ISIS fighters there;
    roads are grey, Iraq-Syria border segments are drawn thick and coloured by wall coverage
    (red = open, green = fully walled, at the current ``border_hardening``); forces are small
    markers around their region.
    """
    w = model.world
    xy = w.coords
    for u, v, data in w.graph.edges(data=True):
        (x0, y0), (x1, y1) = xy[u], xy[v]
        seg = data.get("segment", -1)
        if seg >= 0:
            wall = float(model.border_wall[seg])
            colour = (1 - wall, 0.55 * wall + 0.2, 0.2)
            ax.plot(
                [x0, x1], [y0, y1], color=colour, lw=2 + 4 * wall, zorder=1, solid_capstyle="round"
            )
        else:
            style = ":" if data.get("kind") in ("track", "border") else "-"
            ax.plot([x0, x1], [y0, y1], color="#9A9A9A", lw=0.8, ls=style, zorder=0)
    isis = model.isis_by_region()
    colours = [CONTROLLER_COLOURS.get(c, "#BBBBBB") for c in model.controller]
    sizes = np.where(w.external, 260, 180)
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=colours, edgecolors="white", linewidths=1.0, zorder=3)
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
        kinds = {"army": "s", "militia": "^", "rebel": "D", "foreign": "P"}
        by_region: dict[int, int] = {}
        for f in model.forces:
            k = by_region.get(f.region, 0)
            by_region[f.region] = k + 1
            angle = 2 * np.pi * k / 8
            px = xy[f.region, 0] + 0.22 * np.cos(angle)
            py = xy[f.region, 1] + 0.22 * np.sin(angle)
            colour = CONTROLLER_COLOURS.get(
                f.actor_id, "#6A5ACD" if f.kind == "militia" else "#777777"
            )
            ax.scatter(
                [px],
                [py],
                marker=kinds.get(f.kind, "o"),
                s=18,
                c=[colour],
                edgecolors="k",
                linewidths=0.4,
                zorder=6,
            )
    handles = [
        Line2D([], [], marker="o", ls="", color=c, label=k, markersize=7)
        for k, c in CONTROLLER_COLOURS.items()
        if k in set(model.controller)
    ]
    handles.append(
        Line2D([], [], marker="o", ls="", mfc="none", mec="k", label="ISIS fighters (ring)")
    )
    handles.append(Line2D([], [], color=(0, 0.75, 0.2), lw=5, label="border, walled"))
    handles.append(Line2D([], [], color=(1, 0.2, 0.2), lw=2, label="border, open"))
    ax.legend(handles=handles, fontsize=7, loc="lower left", framealpha=0.85)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect("equal")
    ax.set_title(f"{model.spec.meta.title}: week {model.steps} ({model.date:%d %b %Y})", fontsize=9)


def map_figure(model: EscalationModel) -> Figure:
    """A figure holding ``draw_map``."""
    fig = Figure(figsize=(10, 7), layout="constrained")
    draw_map(model, fig.add_subplot())
    return fig


def plot_map(model: EscalationModel, path: str | Path) -> Path:
    """Save the map of the model's current state as PNG."""
    map_figure(model).savefig(path, dpi=110, format="png")
    return Path(path)
