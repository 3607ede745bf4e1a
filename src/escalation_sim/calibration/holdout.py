"""Rolling origin: predict the years after the calibration window and score the prediction.

A calibration fitted to ``[start, until]`` is asked to predict ``(until, holdout_until]``:
``holdout.draws`` parameter sets drawn from its posterior by weight are run (``holdout.seeds``
each) to ``holdout_until``, and every held-out target (the same patterns, periods starting
after ``until``) gets the ensemble of their model values. Two naive forecasts made from the
record inside the window are scored beside it, per target with a history in the window (the
same source key, quantity and country):

- persistence: the series' last rate per day in the window, times the target period's days;
- linear trend: a least-squares line through the series' rates per day against the periods'
  mid-dates (at least two of them), extrapolated to the target's mid-date (at least 0).

A series whose observation operator is already a rate (``per_day``, ``per_quarter``) is
forecast as that rate, not scaled by the target period's length.

Scores on the ``log(1 + x)`` scale: the CRPS of the ensemble (``crps_ensemble``; of a point
forecast it is the absolute error), and whether the observed value lies in the ensemble's
central 90% interval. Only ``match`` targets are scored. ``holdout_until`` is checked like every
window: nothing on or after 27 November 2024 is ever used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation_sim.calibration.config import Calibration, check_window, weeks_until
from escalation_sim.calibration.engine import (
    CalibJob,
    draw_posterior,
    iter_runs,
    open_store,
    run_into_store,
)
from escalation_sim.calibration.targets import build_targets, check_before_cutoff, transform
from escalation_sim.experiments.executors import Executor, make_executor
from escalation_sim.experiments.store import atomic_write
from escalation_sim.observed import observation as obs_op

HOLDOUT_TAG = 7001


def crps_ensemble(members: np.ndarray, y: float) -> float:
    """CRPS of an ensemble forecast: ``E|X - y| - 0.5 E|X - X'|`` (members equally weighted)."""
    x = np.asarray(members, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return float("nan")
    return float(np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


#: Operators whose observed value is a rate, not a total over its period.
_RATE_OPERATORS = frozenset({"per_day", "per_quarter"})


def is_rate(pattern: str) -> bool:
    """Whether a series pattern (``"<source_key> <quantity> ..."``) is observed as a rate."""
    key, _, rest = pattern.partition(" ")
    spec = obs_op.COMPARISONS.get(key)
    if spec is None:
        return False
    op = spec.incidents if rest.startswith("incidents") else spec.deaths
    return op in _RATE_OPERATORS


def naive_forecasts(held: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Persistence and linear-trend forecasts of held-out targets (module docstring).

    Args:
        held: Held-out targets (``pattern``, ``start``, ``end``).
        history: The calibration window's targets, with their observed ``low``.
    """
    hist = history[history["relation"] == "match"].copy()
    # A rate series keeps its value as the rate (one "day" per period), a total is per day.
    rate = hist["pattern"].map(is_rate).astype(bool)
    hist["days"] = np.where(rate, 1, (hist["end"] - hist["start"]).dt.days + 1)
    hist["rate"] = hist["low"] / hist["days"]
    hist["mid"] = hist["start"] + (hist["end"] - hist["start"]) / 2
    groups = {k: g.sort_values("end") for k, g in hist.groupby("pattern")}
    out = []
    for _, r in held.iterrows():
        g = groups.get(r["pattern"])
        days = 1 if is_rate(str(r["pattern"])) else (r["end"] - r["start"]).days + 1
        persistence = trend = np.nan
        if g is not None and len(g):
            persistence = float(g["rate"].iloc[-1] * days)
            if g["mid"].nunique() >= 2:
                t = (g["mid"] - g["mid"].min()).dt.days.to_numpy(dtype=float)
                slope, icpt = np.polyfit(t, g["rate"].to_numpy(dtype=float), 1)
                mid = r["start"] + (r["end"] - r["start"]) / 2
                tt = float((mid - g["mid"].min()).days)
                trend = float(max(0.0, icpt + slope * tt) * days)
        out.append({"persistence": persistence, "trend": trend})
    return pd.DataFrame(out, index=held.index)


def run_holdout(
    cal: Calibration,
    out: str | Path,
    posterior: pd.DataFrame,
    meta: dict[str, Any],
    *,
    workers: int | None = None,
    progress: bool = True,
    executor: Executor | None = None,
) -> pd.DataFrame | None:
    """Run the posterior draws over the hold-out and score them; ``None`` without a hold-out.

    Writes ``DIR/holdout/`` (a resumable store), ``holdout_scores.csv`` (one row per held-out
    target) and returns the scores.
    """
    holdout_until = cal.config.window.holdout_until
    if holdout_until is None:
        return None
    check_window(holdout_until, cal.source, "window.holdout_until")
    out = Path(out)
    targets = build_targets(cal.start, holdout_until, tuple(cal.config.targets), after=cal.until)
    check_before_cutoff(targets)
    if not len(targets):
        return pd.DataFrame()
    hc = cal.config.holdout
    job = CalibJob(
        scenario=cal.scenario,
        overrides=dict(cal.config.overrides),
        weeks=weeks_until(cal.start, holdout_until),
        targets=targets,
        names=tuple(cal.names),
        is_int=tuple(cal.priors[n][2] for n in cal.names),
    )
    draws = draw_posterior(posterior, meta, hc.draws, cal.config.seeds.root + HOLDOUT_TAG)
    specs = list(iter_runs(job, draws, hc.seeds, cal.config.seeds.root, HOLDOUT_TAG))
    identity = {
        "calibration": cal.identity_hash(),
        "holdout_until": str(holdout_until),
        "draws": [list(s.values) for s in specs],
        "seeds": hc.seeds,
    }
    store = open_store(out / "holdout", cal, identity, len(specs) * hc.seeds, len(targets))
    own = executor is None
    ex = executor or make_executor(workers)
    try:
        runs = run_into_store(store, job, specs, ex, "hold-out" if progress else None)
    finally:
        if own:
            ex.close()
    runs = runs[runs["status"] == "ok"].sort_values(["point_id", "seed_index"])
    history = build_targets(cal.start, cal.until, tuple(cal.config.targets)).table
    scores = score(targets.table, history, runs)
    atomic_write(out / "holdout_scores.csv", lambda p: scores.to_csv(p, index=False))
    return scores


def score(table: pd.DataFrame, history: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per held-out ``match`` target: observed, ensemble quantiles, naive forecasts, CRPS, cover.

    Args:
        table: The held-out targets.
        history: The calibration window's targets (for the naive forecasts).
        runs: The hold-out runs, one row each, with every target's model value (``tNNNN``).
    """
    table = table.reset_index(drop=True)
    naive = naive_forecasts(table, history)
    rows = []
    for j in range(len(table)):
        t = table.iloc[j]
        if t["relation"] != "match":
            continue
        members = runs[f"t{j:04d}"].to_numpy(dtype=float)
        y = float(transform(t["low"]))
        z = transform(members)
        finite = np.isfinite(z)
        lo, hi = np.quantile(z[finite], [0.05, 0.95]) if finite.any() else (np.nan, np.nan)
        p, trend = naive["persistence"].iloc[j], naive["trend"].iloc[j]
        rows.append(
            {
                "target": t["name"],
                "pattern": t["pattern"],
                "start": t["start"].date(),
                "end": t["end"].date(),
                "observed": float(t["low"]),
                "model_median": float(np.median(members[finite])) if finite.any() else np.nan,
                "model_p05": float(np.expm1(lo)),
                "model_p95": float(np.expm1(hi)),
                "persistence": p,
                "trend": trend,
                "crps_model": crps_ensemble(z, y),
                "crps_persistence": abs(float(transform(p)) - y) if np.isfinite(p) else np.nan,
                "crps_trend": abs(float(transform(trend)) - y) if np.isfinite(trend) else np.nan,
                "covered_90": bool(lo <= y <= hi) if np.isfinite(lo) else False,
            }
        )
    return pd.DataFrame(rows)


def skill_summary(scores: pd.DataFrame) -> dict[str, Any]:
    """Mean CRPS of model, persistence and trend over the targets all three score, and cover."""
    if scores is None or not len(scores):
        return {"targets": 0}
    both = scores.dropna(subset=["crps_model", "crps_persistence", "crps_trend"])
    out: dict[str, Any] = {
        "targets": len(scores),
        "coverage_90": float(scores["covered_90"].mean()),
        "compared": len(both),
    }
    if len(both):
        out.update(
            crps_model=float(both["crps_model"].mean()),
            crps_persistence=float(both["crps_persistence"].mean()),
            crps_trend=float(both["crps_trend"].mean()),
        )
        out["skill_vs_persistence"] = (
            1 - out["crps_model"] / out["crps_persistence"] if out["crps_persistence"] > 0 else None
        )
        out["skill_vs_trend"] = (
            1 - out["crps_model"] / out["crps_trend"] if out["crps_trend"] > 0 else None
        )
    return out
