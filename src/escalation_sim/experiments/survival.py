"""Times to events: Kaplan-Meier curves per lever setting, and the rungs of the ladder by week.

Events, per run: ISIS resurgence (``resurgence_week``), the first Israeli strike on Iraqi
territory (``first_strike_iraq_week``) and the first week on each rung of the escalation ladder
or above (1 militia activity ... 4 strike campaign, from the weekly ``escalation_level``). A run
without the event is censored at the horizon. Curves are estimated per setting of the lever
(``brief.lever_of``: the first ``[robustness]`` lever or the first design parameter), pooled
over the other design parameters, by ``statsmodels``' ``SurvfuncRight`` with its pointwise
interval (log-log transform). The share of the runs on each rung in each week is tabulated too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from escalation_sim.experiments.brief import lever_of
from escalation_sim.plots import LADDER_RUNGS

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment
    from escalation_sim.experiments.results import SweepResults

#: Event -> its description in figures and the report.
EVENTS: dict[str, str] = {
    "resurgence": "ISIS resurgence in Iraq",
    "strike_iraq": "first Israeli strike on Iraq",
    **{f"rung_{k}": f"ladder rung {LADDER_RUNGS[k]} or higher" for k in range(1, 5)},
}

#: Most lever settings drawn as separate curves (more are grouped into "all runs").
MAX_GROUPS = 6


def _group_column(exp: Experiment) -> str | None:
    lever = lever_of(exp)
    if lever is None or exp.design.sampler != "grid":
        return None
    levels = exp.design.levels.get(lever, [])
    return lever if 1 < len(levels) <= MAX_GROUPS else None


def event_times(results: SweepResults) -> pd.DataFrame:
    """One row per run and event, censored at the horizon.

    Columns: ``point_id``, ``seed_index``, ``group``, ``event``, ``week``, ``observed`` (False:
    censored at the horizon).
    """
    exp = results.experiment
    ok = results.ok
    if ok.empty:
        return pd.DataFrame()
    horizon = exp.weeks
    column = _group_column(exp)
    in_design = {p.point_id for p in exp.design.points if p.in_design or column is None}
    runs = ok[ok["point_id"].isin(in_design)]
    group = runs[column].map(lambda v: f"{column} = {v:g}") if column else "all runs"
    base = pd.DataFrame(
        {"point_id": runs["point_id"], "seed_index": runs["seed_index"], "group": group}
    )
    frames = []
    for event, col in (
        ("resurgence", "resurgence_week"),
        ("strike_iraq", "first_strike_iraq_week"),
    ):
        week = runs[col]
        frames.append(
            base.assign(
                event=event,
                week=week.fillna(horizon).astype(float).to_numpy(),
                observed=week.notna().to_numpy(),
            )
        )
    ts = results.timeseries(
        points=sorted(set(runs["point_id"])),
        columns=["point_id", "seed_index", "week", "escalation_level"],
    )
    if not ts.empty:
        for k in range(1, 5):
            hit = ts[ts["escalation_level"] >= k].groupby(["point_id", "seed_index"])["week"].min()
            key = pd.MultiIndex.from_frame(base[["point_id", "seed_index"]])
            first = hit.reindex(key).to_numpy(dtype=float)
            frames.append(
                base.assign(
                    event=f"rung_{k}",
                    week=np.where(np.isnan(first), horizon, first),
                    observed=~np.isnan(first),
                )
            )
    return pd.concat(frames, ignore_index=True)


def curves(events: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """Kaplan-Meier estimates, per event and group.

    Columns: ``event``, ``group``, ``week``, ``survival``, ``ci_low``, ``ci_high``, ``at_risk``,
    ``runs``, ``events``, ``median_week`` (None when not reached).
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    alpha = 1 - exp.config.analysis.confidence
    records = []
    for key, g in events.groupby(["event", "group"], sort=False):
        event, group = str(key[0]), str(key[1])
        weeks = g["week"].to_numpy(dtype=float)
        observed = g["observed"].to_numpy(dtype=int)
        n_events = int(observed.sum())
        if n_events == 0:  # nothing happens: the curve stays at 1 to the horizon
            records.append(_row(event, group, 0.0, 1.0, 1.0, 1.0, len(g), len(g), 0, None))
            records.append(
                _row(event, group, float(exp.weeks), 1.0, 1.0, 1.0, len(g), len(g), 0, None)
            )
            continue
        sf = SurvfuncRight(weeks, observed)
        low, high = _pointwise(sf, alpha)
        median = _median(sf)
        records.append(_row(event, group, 0.0, 1.0, 1.0, 1.0, len(g), len(g), n_events, median))
        for t, s, lo, hi, r in zip(sf.surv_times, sf.surv_prob, low, high, sf.n_risk, strict=True):
            records.append(
                _row(event, group, float(t), float(s), lo, hi, int(r), len(g), n_events, median)
            )
        if float(sf.surv_times[-1]) < exp.weeks:  # carry the curve on to the horizon
            last = records[-1]
            records.append(
                {**last, "week": float(exp.weeks), "at_risk": int((weeks >= exp.weeks).sum())}
            )
    return pd.DataFrame.from_records(records)


def _row(
    event: str,
    group: str,
    week: float,
    s: float,
    lo: float,
    hi: float,
    at_risk: int,
    runs: int,
    n_events: int,
    median: float | None,
) -> dict[str, object]:
    return {
        "event": event,
        "group": group,
        "week": week,
        "survival": s,
        "ci_low": lo,
        "ci_high": hi,
        "at_risk": at_risk,
        "runs": runs,
        "events": n_events,
        "median_week": median,
    }


def _pointwise(sf: Any, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Greenwood's pointwise interval on the log-log scale (stays within [0, 1])."""
    from scipy import stats

    s = np.asarray(sf.surv_prob, dtype=np.float64)
    se = np.asarray(sf.surv_prob_se, dtype=np.float64)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(all="ignore"):
        log_s = np.log(s)
        theta = se / (s * np.abs(log_s))
        low = np.exp(-np.exp(np.log(-log_s) + z * theta))
        high = np.exp(-np.exp(np.log(-log_s) - z * theta))
    # S = 1 (nothing yet) or S = 0 (everyone had it): the transform is undefined; use the value.
    low = np.where(np.isfinite(low), low, s)
    high = np.where(np.isfinite(high), high, s)
    return np.clip(low, 0, 1), np.clip(high, 0, 1)


def _median(sf: Any) -> float | None:
    s = np.asarray(sf.surv_prob, dtype=np.float64)
    t = np.asarray(sf.surv_times, dtype=np.float64)
    below = np.flatnonzero(s <= 0.5)
    return float(t[below[0]]) if len(below) else None


def figure(table: pd.DataFrame, exp: Experiment) -> Figure:
    """One panel per event: the share of runs without it yet, by week, one curve per group."""
    events, idle = drawn_events(table)
    ncols = 3
    nrows = math.ceil(len(events) / ncols)
    fig = Figure(figsize=(4.4 * ncols, 3.2 * nrows + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[len(events) :]:
        ax.set_visible(False)
    groups = list(dict.fromkeys(table["group"]))
    collapse = _collapse_week(exp)
    for ax, event in zip(axes, events, strict=False):
        for i, group in enumerate(groups):
            g = table[(table["event"] == event) & (table["group"] == group)]
            if g.empty:
                continue
            colour = f"C{i}"
            ax.step(g["week"], g["survival"], where="post", color=colour, lw=1.3, label=group)
            ax.fill_between(
                g["week"], g["ci_low"], g["ci_high"], step="post", color=colour, alpha=0.15, lw=0
            )
        if collapse is not None:
            ax.axvline(
                collapse, color="#7F3C8D", ls=":", lw=1.2, label=f"collapse (week {collapse})"
            )
        ax.set_title(EVENTS[event][0].upper() + EVENTS[event][1:], fontsize=9)
        ax.set_xlabel("week since the start", fontsize=8)
        ax.set_ylabel("share of runs without it yet", fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(0, exp.weeks)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=8)
    conf = f"{exp.config.analysis.confidence:.0%}"
    fig.suptitle(
        f"Time to events (Kaplan-Meier, censored at week {exp.weeks}; band: {conf} pointwise "
        "interval)"
        + (
            f"\nNot drawn (in no run, or in every run from week 0): {', '.join(idle)}"
            if idle
            else ""
        ),
        fontsize=10,
    )
    return fig


def drawn_events(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Events worth a panel, and the rest: none in any run, or all at week 0 (nothing to see)."""
    shown, idle = [], []
    for event in EVENTS:
        t = table[table["event"] == event]
        if t.empty:
            continue
        static = all(
            bool(
                (
                    g.loc[g["week"] > 0, "survival"] == g.loc[g["week"] == 0, "survival"].iloc[-1]
                ).all()
            )
            for _, g in t.groupby("group")
        )
        if t["events"].max() == 0 or static:
            idle.append(EVENTS[event])
        else:
            shown.append(event)
    return shown, idle


def _collapse_week(exp: Experiment) -> int | None:
    values = [p.params.get("syria_collapse") for p in exp.design.points]
    fixed = exp.config.overrides.get("syria_collapse")
    scenario = exp.scenario.parameters.get("syria_collapse")
    severities = [v for v in values if v is not None] or [
        fixed if fixed is not None else (scenario.value if scenario else 0)
    ]
    if not any(float(v) > 0 for v in severities):
        return None
    week = exp.config.overrides.get("syria_collapse_week")
    if week is None:
        prm = exp.scenario.parameters.get("syria_collapse_week")
        week = prm.value if prm is not None else None
    return None if week is None else int(week)


def rung_shares(results: SweepResults) -> pd.DataFrame:
    """Per group and week, the share of runs on each rung: ``group``, ``week``, ``rung_0``..."""
    exp = results.experiment
    column = _group_column(exp)
    ok = results.ok
    if ok.empty:
        return pd.DataFrame()
    in_design = {p.point_id for p in exp.design.points if p.in_design or column is None}
    runs = ok[ok["point_id"].isin(in_design)]
    ts = results.timeseries(
        points=sorted(set(runs["point_id"])), columns=["point_id", "week", "escalation_level"]
    )
    if ts.empty:
        return pd.DataFrame()
    if column:
        values = runs.drop_duplicates("point_id").set_index("point_id")[column]
        ts = ts.assign(group=ts["point_id"].map(values).map(lambda v: f"{column} = {v:g}"))
    else:
        ts = ts.assign(group="all runs")
    counts = ts.groupby(["group", "week"])["escalation_level"].value_counts(normalize=True)
    table = counts.unstack(fill_value=0).reindex(columns=range(5), fill_value=0.0)
    table.columns = [f"rung_{k}" for k in table.columns]
    return table.reset_index()


def rungs_figure(table: pd.DataFrame, exp: Experiment) -> Figure:
    """Stacked shares of the runs on each rung, by week; one panel per group."""
    groups = list(dict.fromkeys(table["group"]))
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    fig = Figure(figsize=(4.4 * ncols, 3.0 * nrows + 0.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel())
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    colours = ["#DDDDDD", "#F4C27A", "#E8833A", "#C44E52", "#6B0F1A"]
    collapse = _collapse_week(exp)
    for ax, group in zip(axes, groups, strict=False):
        g = table[table["group"] == group].sort_values("week")
        shares = [g[f"rung_{k}"].to_numpy(dtype=float) for k in range(5)]
        ax.stackplot(g["week"], *shares, colors=colours, labels=list(LADDER_RUNGS.values()))
        if collapse is not None:
            ax.axvline(
                collapse, color="#7F3C8D", ls=":", lw=1.2, label=f"collapse (week {collapse})"
            )
        ax.set_title(group, fontsize=9)
        ax.set_xlabel("week since the start", fontsize=8)
        ax.set_ylabel("share of runs", fontsize=8)
        ax.set_xlim(0, exp.weeks)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=6, fontsize=8)
    fig.suptitle("Rung of the escalation ladder for Iraq, by week (share of runs)", fontsize=10)
    return fig


def section(table: pd.DataFrame, exp: Experiment) -> list[str]:
    """The report's section: per event and group, the share with the event and the median."""
    conf = f"{exp.config.analysis.confidence:.0%}"
    out = [
        "## Time to events",
        "",
        f"Kaplan-Meier estimates (statsmodels), runs without the event censored at week "
        f"{exp.weeks}; {conf} pointwise intervals (Greenwood, log-log). Curves per setting of "
        "the lever, pooled over the other design parameters. `survival.csv` has every curve; "
        "`rungs.csv` the share of runs on each rung in each week.",
        "",
        f"| event | group | runs | with the event by week {exp.weeks} ({conf} CI) | median week |",
        "|---|---|---|---|---|",
    ]
    last = table.sort_values("week").groupby(["event", "group"], sort=False).tail(1)
    order = {e: i for i, e in enumerate(EVENTS)}
    last = last.assign(_o=last["event"].map(order)).sort_values(["_o", "group"])
    for _, r in last.iterrows():
        share = 1 - r["survival"]
        lo, hi = 1 - r["ci_high"], 1 - r["ci_low"]
        median = "not reached" if pd.isna(r["median_week"]) else f"{r['median_week']:.0f}"
        out.append(
            f"| {EVENTS[r['event']]} | {r['group']} | {int(r['runs'])} | {share:.0%} "
            f"[{lo:.0%}, {hi:.0%}] | {median} |"
        )
    return [*out, ""]
