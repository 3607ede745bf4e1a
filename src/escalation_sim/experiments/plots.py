"""Figures of a sweep: response curves, a heatmap, time-series bands, effects, sensitivity.

Each function takes the tables of ``analysis`` (and the experiment) and returns a
``matplotlib.figure.Figure`` (no pyplot state: safe headless, in notebooks and in threads).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from escalation_sim.outcomes import RUN_OUTCOMES, WEEKLY_OUTCOMES
from escalation_sim.plots import (
    collapse_week,
    format_axis,
    ladder_axis,
    mark_collapse,
    mark_resurgence_attacks,
    thousands,
)

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment

BAND_ALPHA = 0.22
BASELINE_COLOUR = "#222222"


def outcome_label(outcome: str) -> str:
    """Axis label of a run-level outcome."""
    if outcome == "isis_resurgence":
        return "P(ISIS resurgence in Iraq)"
    text = RUN_OUTCOMES.get(outcome, outcome)
    return text[0].upper() + text[1:]


#: Run-level outcomes whose values are whole numbers (integer ticks).
COUNT_OUTCOMES = frozenset(
    name
    for name in RUN_OUTCOMES
    if name.endswith(("_total", "_max", "_final", "_week")) and "fighters" not in name
)

#: Run-level outcomes on the escalation ladder (ticks name the rungs).
LADDER_OUTCOMES = frozenset({"escalation_level_max", "escalation_level_final"})

#: Unit of each weekly outcome drawn as bands (others: the description says it).
WEEKLY_UNITS = {
    "isis_fighters_iraq": "fighters",
    "isis_fighters_syria": "fighters",
    "militia_fighters_syria": "fighters",
    "isis_attacks_iraq": "attacks per week",
    "isis_attacks_syria": "attacks per week",
    "infiltrations": "crossings per week (groups)",
    "infiltrations_detected": "crossings per week (groups)",
    "israeli_strikes_iraq": "strikes per week",
    "escalation_level": "rung",
}

#: Weekly outcomes that count events (integer ticks).
WEEKLY_COUNTS = frozenset(
    {
        "isis_attacks_iraq",
        "isis_attacks_syria",
        "isis_regions_iraq",
        "infiltrations",
        "infiltrations_detected",
        "infiltrations_undetected",
        "militia_launches",
        "israeli_strikes_iraq",
        "israeli_strikes_syria",
        "decapitations",
        "hts_regions",
    }
)


def outcome_unit(outcome: str) -> str:
    """The unit of a run-level outcome, for its axis."""
    if outcome == "isis_resurgence":
        return "probability"
    if outcome in LADDER_OUTCOMES:
        return "rung of the ladder"
    if outcome.endswith("_week"):
        return "week"
    if "fighters" in outcome:
        return "fighters"
    if "deaths" in outcome:
        return "people killed"
    if "regions" in outcome:
        return "regions"
    if "strikes" in outcome:
        return "strikes"
    if "launches" in outcome:
        return "launches"
    if "infiltrat" in outcome:
        return "crossings (groups)"
    if "attacks" in outcome:
        return "attacks"
    return "value"


def value_axis(ax: Axes, outcome: str, axis: str = "y") -> None:
    """Ticks of an outcome's values: percent, rungs, or plain numbers (integers for counts)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if outcome == "isis_resurgence":
        target.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif outcome in LADDER_OUTCOMES:
        ladder_axis(ax, axis)
    else:
        count = outcome in COUNT_OUTCOMES
        format_axis(ax, axis, integer=count)
        if count and axis == "y":  # a span of at least 1, so the ticks can be whole numbers
            lo, hi = ax.get_ylim()
            if hi - lo < 1:
                ax.set_ylim(min(lo, 0), max(hi, min(lo, 0) + 1))


def always_zero(summary: pd.DataFrame, outcome: str) -> bool:
    """True when an outcome's mean and interval are zero at every point (a panel with nothing)."""
    s = summary[summary["outcome"] == outcome][["mean", "ci_low", "ci_high"]]
    return bool(len(s)) and bool((s.fillna(0).to_numpy() == 0).all())


def shown_outcomes(summary: pd.DataFrame, exp: Experiment) -> tuple[list[str], list[str]]:
    """The outcomes worth a panel, and those left out because they are zero everywhere."""
    outcomes = list(exp.config.outcomes)
    zero = [o for o in outcomes if always_zero(summary, o)]
    shown = [o for o in outcomes if o not in zero]
    return (shown or outcomes[:1]), zero


def zero_note(zero: list[str]) -> str:
    """The line a figure adds for the outcomes it leaves out."""
    return f"\nZero at every point, not drawn: {', '.join(zero)}" if zero else ""


def experiment_params(exp: Experiment, point: Any | None = None) -> dict[str, Any]:
    """Parameter values of a point: the scenario's, the fixed overrides, then the point's."""
    out: dict[str, Any] = {n: p.value for n, p in exp.scenario.parameters.items()}
    out.update(exp.config.overrides)
    if point is not None:
        out.update(point.params)
    return out


def parameter_label(exp: Experiment, name: str) -> str:
    """Axis label of a design parameter: name and unit."""
    dom = exp.domains.get(name)
    unit = f" ({dom.unit})" if dom is not None and dom.unit else ""
    return f"{name}{unit}"


def _panels(n: int, ncols: int = 3, size: tuple[float, float] = (4.3, 3.2)):
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _x(values: pd.Series) -> np.ndarray:
    return values.astype(float).to_numpy()


def response_figure(summary: pd.DataFrame, exp: Experiment) -> Figure:
    """Mean of each outcome against the design parameters, with its confidence band.

    One lever: a curve per outcome. Two crossed levers: a curve against the first for each
    level of the second. Sampled designs (or more levers): each point's mean against each
    parameter, as a scatter.
    """
    params = list(exp.design.parameters)
    outcomes, zero = shown_outcomes(summary, exp)
    conf = f"{exp.config.analysis.confidence:.0%}"
    if exp.design.sampler == "grid" and len(params) in (1, 2):
        fig, axes = _panels(len(outcomes))
        x_name = params[0]
        for ax, outcome in zip(axes, outcomes, strict=True):
            s = summary[(summary["outcome"] == outcome) & summary["in_design"]]
            if len(params) == 1:
                _curve(ax, s, x_name, colour="C0", label=None)
            else:
                hue = params[1]
                for i, (level, g) in enumerate(s.groupby(hue, sort=True)):
                    _curve(ax, g, x_name, colour=f"C{i}", label=f"{hue} = {_fmt(level)}")
            _mark_baseline(ax, summary, outcome, x_name, exp)
            ax.set_title(outcome_label(outcome), fontsize=9)
            ax.set_xlabel(parameter_label(exp, x_name), fontsize=8)
            ax.set_ylabel(outcome_unit(outcome), fontsize=8)
            value_axis(ax, outcome)
            ax.grid(alpha=0.3)
            if outcome == "isis_resurgence":
                ax.set_ylim(-0.03, 1.03)
        if len(params) == 2:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=min(6, len(labels)))
        fig.suptitle(
            f"{exp.config.title or exp.name}: mean over seeds, band = {conf} confidence interval"
            + zero_note(zero),
            fontsize=10,
        )
        return fig
    shown = outcomes[:6]
    fig, axes = _panels(len(shown) * len(params), ncols=len(params), size=(3.4, 2.7))
    for i, outcome in enumerate(shown):
        s = summary[(summary["outcome"] == outcome) & summary["in_design"]]
        for j, name in enumerate(params):
            ax = axes[i * len(params) + j]
            ax.scatter(_x(s[name]), s["mean"], s=10, alpha=0.7)
            if i == len(shown) - 1:
                ax.set_xlabel(parameter_label(exp, name), fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{outcome_label(outcome)}\n({outcome_unit(outcome)})", fontsize=7)
            value_axis(ax, outcome)
            ax.grid(alpha=0.3)
    fig.suptitle(
        f"{exp.config.title or exp.name}: mean over seeds at each design point" + zero_note(zero),
        fontsize=10,
    )
    return fig


def _curve(ax, s: pd.DataFrame, x_name: str, colour: str, label: str | None) -> None:
    s = s.sort_values(x_name)
    x = _x(s[x_name])
    ax.plot(x, s["mean"], marker="o", ms=3, color=colour, label=label, lw=1.4)
    ax.fill_between(x, s["ci_low"], s["ci_high"], color=colour, alpha=BAND_ALPHA, lw=0)


def _mark_baseline(ax, summary: pd.DataFrame, outcome: str, x_name: str, exp) -> None:
    b = summary[(summary["outcome"] == outcome) & summary["is_baseline"]]
    if b.empty:
        return
    row = b.iloc[0]
    x = float(row[x_name])
    ax.errorbar(
        [x],
        [row["mean"]],
        yerr=_err(row["mean"], row["ci_low"], row["ci_high"]),
        fmt="*",
        ms=9,
        color=BASELINE_COLOUR,
        capsize=2,
        label="baseline",
        zorder=5,
    )


def heatmap_figure(summary: pd.DataFrame, exp: Experiment) -> Figure:
    """Two crossed levers: the mean of each outcome over the grid, one panel per outcome.

    Each cell shows its mean and, below, its confidence interval, so a colour that noise alone
    could give is read as such. Probabilities use a fixed 0-100% scale.
    """
    xa, ya = exp.design.parameters[:2]
    outcomes, zero = shown_outcomes(summary, exp)
    conf = f"{exp.config.analysis.confidence:.0%}"
    fig, axes = _panels(len(outcomes), size=(4.6, 3.8))
    for ax, outcome in zip(axes, outcomes, strict=True):
        s = summary[(summary["outcome"] == outcome) & summary["in_design"]]
        cells = {
            k: s.pivot_table(index=ya, columns=xa, values=k, aggfunc="mean").sort_index()
            for k in ("mean", "ci_low", "ci_high")
        }
        grid = cells["mean"]
        prob = outcome == "isis_resurgence"
        im = ax.imshow(
            grid.to_numpy(dtype=float),
            origin="lower",
            aspect="auto",
            cmap="Reds" if prob else "viridis",
            vmin=0 if prob else None,
            vmax=1 if prob else None,
        )
        ax.set_xticks(range(len(grid.columns)), [_fmt(v) for v in grid.columns], fontsize=7)
        ax.set_yticks(range(len(grid.index)), [_fmt(v) for v in grid.index], fontsize=7)
        ax.set_xlabel(parameter_label(exp, xa), fontsize=8)
        ax.set_ylabel(parameter_label(exp, ya), fontsize=8)
        ax.set_title(outcome_label(outcome), fontsize=9)
        values = grid.to_numpy(dtype=float)
        lows = cells["ci_low"].reindex_like(grid).to_numpy(dtype=float)
        highs = cells["ci_high"].reindex_like(grid).to_numpy(dtype=float)
        if values.size <= 49:
            for (r, c), v in np.ndenumerate(values):
                red, green, blue, _ = im.cmap(im.norm(v))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                text = (
                    _cell(v, prob)
                    + f"\n[{_cell(float(lows[r, c]), prob)}-{_cell(float(highs[r, c]), prob)}]"
                )
                ax.text(
                    c,
                    r,
                    text,
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if dark else "black",
                )
        bar = fig.colorbar(im, ax=ax, shrink=0.8)
        bar.set_label(outcome_unit(outcome), fontsize=7)
        bar.ax.yaxis.set_major_formatter(
            PercentFormatter(1.0, decimals=0) if prob else FuncFormatter(thousands)
        )
    fig.suptitle(
        f"{exp.config.title or exp.name}: mean over seeds at each grid point, "
        f"[{conf} interval] below" + zero_note(zero),
        fontsize=10,
    )
    return fig


def _cell(v: float, prob: bool) -> str:
    if not math.isfinite(v):
        return "n/a"
    return f"{v:.0%}" if prob else _short(v)


def timeseries_figure(
    ts: pd.DataFrame, exp: Experiment, points: list, columns: list[str]
) -> Figure:
    """Weekly outcomes at chosen points: mean over seeds, band = 10th to 90th percentile.

    The Syrian collapse is marked where a chosen point has one, and the attack rate that counts
    as a resurgence on the panel of ISIS attacks in Iraq.
    """
    fig, axes = _panels(len(columns), ncols=2, size=(6.0, 3.0))
    weeks = {collapse_week(experiment_params(exp, p)) for p in points} - {None}
    for ax, col in zip(axes, columns, strict=True):
        for i, p in enumerate(points):
            g = ts[ts["point_id"] == p.point_id]
            if g.empty:
                continue
            by = g.groupby("date")[col]
            mean, lo, hi = by.mean(), by.quantile(0.1), by.quantile(0.9)
            colour = BASELINE_COLOUR if p.is_baseline else f"C{i}"
            label = ("baseline: " if p.is_baseline else "") + p.label()
            ax.plot(mean.index, mean.to_numpy(), color=colour, lw=1.4, label=label)
            ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=colour, alpha=0.15)
        start = pd.Timestamp(exp.scenario.meta.start_date)
        for week in sorted(w for w in weeks if w is not None):
            mark_collapse(ax, start + pd.Timedelta(weeks=week), week, label=ax is axes[0])
        if col == "isis_attacks_iraq":
            mark_resurgence_attacks(ax, experiment_params(exp))
            ax.legend(fontsize=7, loc="upper left")
        text = WEEKLY_OUTCOMES.get(col, col)
        ax.set_title(text[0].upper() + text[1:], fontsize=9)
        ax.set_ylabel(WEEKLY_UNITS.get(col, ""), fontsize=8)
        ax.set_xlabel("date", fontsize=8)
        if col == "escalation_level":
            ladder_axis(ax)
        else:
            format_axis(ax, "y", integer=col in WEEKLY_COUNTS)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(labels)), fontsize=8)
    fig.suptitle("Weekly outcomes: mean over seeds; band = 10th-90th percentile of the runs")
    return fig


def effects_figure(effects: pd.DataFrame, exp: Experiment, outcomes: list[str]) -> Figure:
    """Forest plot: each point's difference from the baseline with its confidence interval."""
    conf = f"{exp.config.analysis.confidence:.0%}"
    points = effects.drop_duplicates("point_id").sort_values("point")
    n = len(points)
    fig = Figure(figsize=(2.2 + 3.2 * len(outcomes), 1.4 + 0.2 * n), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(outcomes), sharey=True, squeeze=False).ravel())
    y_of = {pid: n - 1 - i for i, pid in enumerate(points["point_id"])}
    for ax, outcome in zip(axes, outcomes, strict=True):
        e = effects[effects["outcome"] == outcome]
        y = e["point_id"].map(y_of).to_numpy(dtype=float)
        sig = e["excludes_zero"].to_numpy(dtype=bool)
        for mask, colour in ((sig, "#C44E52"), (~sig, "#4C72B0")):
            if not mask.any():
                continue
            part = e[mask]
            ax.errorbar(
                part["effect"],
                y[mask],
                xerr=_err(part["effect"], part["ci_low"], part["ci_high"]),
                fmt="o",
                ms=3,
                color=colour,
                capsize=2,
            )
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_title(outcome_label(outcome), fontsize=8)
        if outcome == "isis_resurgence":
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:+.0f}"))
            ax.set_xlabel("difference, percentage points", fontsize=7)
        else:
            format_axis(ax, "x")
            ax.set_xlabel(f"difference, {outcome_unit(outcome)}", fontsize=7)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].set_yticks(list(y_of.values()), points["label"], fontsize=7)
    base = exp.design.baseline.label()
    fig.suptitle(
        f"Difference from the baseline ({base}), {conf} interval; red: excludes 0", fontsize=10
    )
    return fig


def indices_figure(indices: pd.DataFrame, exp: Experiment) -> Figure:
    """Sobol (first-order and total) or Morris (mu*) indices with their intervals."""
    outcomes = list(dict.fromkeys(indices["outcome"]))[:6]
    fig, axes = _panels(len(outcomes), size=(4.4, 3.0))
    sobol = "S1" in indices.columns
    for ax, outcome in zip(axes, outcomes, strict=True):
        d = indices[indices["outcome"] == outcome]
        x = np.arange(len(d))
        if sobol:
            ax.bar(x - 0.2, d["S1"], 0.4, yerr=d["S1_conf"], capsize=2, label="first order S1")
            ax.bar(x + 0.2, d["ST"], 0.4, yerr=d["ST_conf"], capsize=2, label="total ST")
        else:
            ax.bar(x, d["mu_star"], 0.6, yerr=d["mu_star_conf"], capsize=2, label="mu*")
            ax.plot(x, d["sigma"], "kD", ms=4, label="sigma")
        ax.set_xticks(x, d["parameter"], rotation=30, ha="right", fontsize=7)
        ax.set_title(outcome_label(outcome), fontsize=9)
        ax.set_ylabel(
            "index (share of variance)" if sobol else f"effect ({outcome_unit(outcome)})",
            fontsize=7,
        )
        format_axis(ax, "y")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    conf = f"{exp.config.analysis.confidence:.0%}"
    kind = "Sobol indices" if sobol else "Morris elementary effects"
    fig.suptitle(f"{kind} of the mean over seeds (bars: {conf} bootstrap intervals)")
    return fig


def _err(centre, low, high) -> np.ndarray:
    """Error-bar lengths, never negative (and zero where the interval is undefined)."""
    c, lo, hi = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (centre, low, high))
    return np.nan_to_num(np.clip(np.vstack([c - lo, hi - c]), 0, None))


def _fmt(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "on" if value else "off"
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value)


def _short(v: float) -> str:
    if not math.isfinite(v):
        return ""
    return thousands(round(v) if abs(v) >= 100 else round(v, 2))
