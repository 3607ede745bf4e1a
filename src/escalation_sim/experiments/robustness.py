"""Robustness of lever settings across deep uncertainty: regret and satisficing.

A config's ``[robustness]`` table says which design parameters are **levers** (what a decision
sets) and which are **uncertainties** (the states of the world nobody controls; by default every
other design parameter). In a grid design every lever setting is run in every state of the
world, and for each (setting, world) the probability of the outcome (ISIS resurgence) is the
share of its runs. Then, per lever setting:

- **regret** in a world: its probability minus the best (lowest) probability any setting gets in
  that world; the report gives the largest regret over the worlds (minimax regret, Savage) and
  the mean;
- **satisficing**: the share of the worlds where its probability stays at or below ``target``.

Intervals come from a bootstrap over seeds: seed indices are resampled (jointly for every point
under common random numbers, so the paired structure of the runs is kept), every probability is
recomputed, and with it the best setting of each world, the regrets and the shares. The
percentile interval of each statistic is reported.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from escalation_sim.experiments.brief import format_value

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment

_ROBUST = 5  # key of the bootstrap's random stream (analysis uses 1 and 2)
#: Bootstrap resamples at most (regret needs every point per resample; this bounds memory).
MAX_RESAMPLES = 2000


def roles(exp: Experiment) -> tuple[list[str], list[str]]:
    """The levers and the uncertainties (every other design parameter, when not listed)."""
    rob = exp.config.robustness
    if rob is None:
        raise ValueError("the config has no [robustness] table")
    levers = list(rob.levers)
    others = [n for n in exp.design.parameters if n not in levers]
    return levers, others


def _label(names: list[str], values: tuple[Any, ...]) -> str:
    return ", ".join(f"{n} = {format_value(v)}" for n, v in zip(names, values, strict=True)) or "-"


def analyse(runs: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """Per lever setting: max and mean regret, satisficing share, with bootstrap intervals.

    Columns: the levers, ``setting``, ``worlds``, ``mean_p`` (mean probability over the worlds),
    ``max_regret``/``_low``/``_high``, ``mean_regret``/``_low``/``_high``, ``satisficing``/
    ``_low``/``_high``, ``worst_world`` (where its regret is largest), ``runs``. Sorted by max
    regret, the most robust setting first.
    """
    rob = exp.config.robustness
    assert rob is not None
    levers, worlds_by = roles(exp)
    conf = exp.config.analysis.confidence
    points = [p for p in exp.design.points if p.in_design]
    settings = sorted({tuple(p.params[n] for n in levers) for p in points})
    worlds = sorted({tuple(p.params[n] for n in worlds_by) for p in points})
    index = {
        (tuple(p.params[n] for n in levers), tuple(p.params[n] for n in worlds_by)): p.point_id
        for p in points
    }
    n_seeds = exp.config.seeds.per_point
    ok = runs[runs["status"] == "ok"].dropna(subset=[rob.outcome])
    table = ok.pivot_table(
        index="point_id", columns="seed_index", values=rob.outcome, aggfunc="mean"
    ).reindex(columns=range(n_seeds))
    y = np.full((len(settings), len(worlds), n_seeds), np.nan)
    for i, s in enumerate(settings):
        for j, w in enumerate(worlds):
            pid = index.get((s, w))
            if pid is not None and pid in table.index:
                y[i, j] = table.loc[pid].to_numpy(dtype=float)
    b = min(exp.config.analysis.resamples, MAX_RESAMPLES)
    rng = np.random.default_rng([exp.analysis_seed, _ROBUST])
    if exp.config.seeds.common:
        draw = rng.integers(0, n_seeds, size=(b, 1, 1, n_seeds))
        draw = np.broadcast_to(draw, (b, len(settings), len(worlds), n_seeds))
    else:
        draw = rng.integers(0, n_seeds, size=(b, len(settings), len(worlds), n_seeds))
    boot = np.take_along_axis(np.broadcast_to(y, draw.shape), draw, axis=-1)
    stats_point = _statistics(_nanmean(y[None]), rob.target)
    stats_boot = _statistics(_nanmean(boot), rob.target)
    alpha = (1 - conf) / 2
    p = _nanmean(y[None])[0]
    records = []
    for i, s in enumerate(settings):
        row: dict[str, Any] = dict(zip(levers, s, strict=True))
        row["setting"] = _label(levers, s)
        row["worlds"] = int(np.isfinite(p[i]).sum())
        row["mean_p"] = float(np.nanmean(p[i])) if np.isfinite(p[i]).any() else math.nan
        for name in ("max_regret", "mean_regret", "satisficing"):
            row[name] = float(stats_point[name][0, i])
            values = stats_boot[name][:, i]
            values = values[np.isfinite(values)]
            lo, hi = (
                (float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha)))
                if len(values)
                else (math.nan, math.nan)
            )
            row[f"{name}_low"], row[f"{name}_high"] = lo, hi
        regret = stats_point["regret"][0, i]
        worst = int(np.nanargmax(regret)) if np.isfinite(regret).any() else 0
        row["worst_world"] = _label(worlds_by, worlds[worst])
        row["runs"] = int(np.isfinite(y[i]).sum())
        records.append(row)
    out = pd.DataFrame.from_records(records)
    return out.sort_values(["max_regret", "satisficing"], ascending=[True, False]).reset_index(
        drop=True
    )


def _nanmean(a: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        count = np.isfinite(a).sum(axis=-1)
        total = np.nansum(a, axis=-1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _statistics(p: np.ndarray, target: float) -> dict[str, np.ndarray]:
    """Regret and satisficing of ``p[resample, setting, world]``."""
    with np.errstate(all="ignore"):
        best = np.nanmin(np.where(np.isfinite(p), p, np.inf), axis=1, keepdims=True)
        regret = np.where(np.isfinite(p), p - best, np.nan)
        finite = np.isfinite(p)
        n = finite.sum(axis=2)
        ok = np.where(finite, p <= target + 1e-12, False).sum(axis=2)
        return {
            "regret": regret,
            "max_regret": np.where(n > 0, np.nanmax(np.where(finite, regret, -np.inf), 2), np.nan),
            "mean_regret": np.where(n > 0, np.nansum(regret, axis=2) / np.maximum(n, 1), np.nan),
            "satisficing": np.where(n > 0, ok / np.maximum(n, 1), np.nan),
        }


def figure(table: pd.DataFrame, exp: Experiment) -> Figure:
    """Max regret and satisficing share of each lever setting, with their intervals."""
    rob = exp.config.robustness
    assert rob is not None
    conf = f"{exp.config.analysis.confidence:.0%}"
    n = len(table)
    fig = Figure(figsize=(11, 1.6 + 0.32 * n), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    y = np.arange(n)[::-1]
    for ax, name, colour in ((ax1, "max_regret", "#C44E52"), (ax2, "satisficing", "#4C72B0")):
        centre = table[name].to_numpy(dtype=float)
        lo = table[f"{name}_low"].to_numpy(dtype=float)
        hi = table[f"{name}_high"].to_numpy(dtype=float)
        err = np.nan_to_num(np.clip(np.vstack([centre - lo, hi - centre]), 0, None))
        ax.barh(y, centre, color=colour, alpha=0.75, xerr=err, capsize=2)
        ax.xaxis.set_major_formatter(
            PercentFormatter(1.0, decimals=0)
            if name == "satisficing"
            else FuncFormatter(lambda v, _p: f"{v * 100:.0f}")
        )
        ax.grid(axis="x", alpha=0.3)
    ax1.set_yticks(y, table["setting"], fontsize=7)
    ax1.set_xlabel("largest regret over the worlds (percentage points of P(resurgence))")
    ax2.set_xlabel(f"share of the worlds with P(resurgence) <= {rob.target:.0%}")
    ax2.set_xlim(0, 1.02)
    fig.suptitle(
        f"Robustness of the lever settings over {table['worlds'].max()} states of the world "
        f"({conf} bootstrap intervals over seeds)",
        fontsize=10,
    )
    return fig


def section(table: pd.DataFrame, exp: Experiment) -> list[str]:
    """The report's section on robustness."""
    rob = exp.config.robustness
    assert rob is not None
    levers, worlds_by = roles(exp)
    conf = f"{exp.config.analysis.confidence:.0%}"
    if table.empty:
        return []
    best = table.iloc[0]
    sat = table.sort_values("satisficing", ascending=False).iloc[0]
    out = [
        "## Robustness of the lever settings",
        "",
        f"Levers: {', '.join(f'`{n}`' for n in levers)}; states of the world: every "
        f"combination of {', '.join(f'`{n}`' for n in worlds_by) or 'none'} "
        f"({int(table['worlds'].max())} in all). **Regret** of a setting in a world: its "
        "probability of ISIS resurgence minus the lowest any setting reaches there. "
        f"**Satisficing**: the share of the worlds where the probability stays at or below the "
        f"target, {rob.target:.0%}. Intervals: {conf} bootstrap over seeds (seed indices "
        "resampled together at every point).",
        "",
        f"Smallest largest regret (minimax regret): **{best['setting']}**, "
        f"{best['max_regret'] * 100:.0f} points [{best['max_regret_low'] * 100:.0f}, "
        f"{best['max_regret_high'] * 100:.0f}]. Most often within the target: "
        f"**{sat['setting']}**, in {sat['satisficing']:.0%} of the worlds "
        f"[{sat['satisficing_low']:.0%}, {sat['satisficing_high']:.0%}]. Settings whose "
        "intervals overlap cannot be ranked at these seeds.",
        "",
        "| lever setting | mean P(resurgence) | largest regret, points | mean regret, points "
        f"| share of worlds <= {rob.target:.0%} | worst world for it |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in table.head(30).iterrows():
        out.append(
            f"| {r['setting']} | {r['mean_p']:.0%} | {r['max_regret'] * 100:.0f} "
            f"[{r['max_regret_low'] * 100:.0f}, {r['max_regret_high'] * 100:.0f}] | "
            f"{r['mean_regret'] * 100:.0f} [{r['mean_regret_low'] * 100:.0f}, "
            f"{r['mean_regret_high'] * 100:.0f}] | {r['satisficing']:.0%} "
            f"[{r['satisficing_low']:.0%}, {r['satisficing_high']:.0%}] | {r['worst_world']} |"
        )
    return [*out, ""]
