"""Seed noise and parameter uncertainty, apart: for a sweep with ``[uncertainty]``.

Seed ``i`` of every design point runs posterior draw ``i mod draws`` (``config.Uncertainty``).
Per point and numeric outcome, the runs' variance is split (one-way analysis of variance by
draw): ``seed_var``, the mean variance between the runs of one draw (seed noise), and
``parameter_var``, the variance of the draws' means less its seed share (``seed_var / runs
per draw``, floored at 0). ``parameter_share`` is ``parameter_var / (parameter_var +
seed_var)``. A draw with a single run gives no seed variance: use ``seeds.per_point`` at least
twice ``draws`` for the split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation_sim.experiments.config import Experiment


def split(runs: pd.DataFrame, exp: Experiment, outcomes: list[str] | None = None) -> pd.DataFrame:
    """One row per design point and outcome: ``seed_var``, ``parameter_var``, the share."""
    n = len(exp.posterior_draws)
    if not n:
        return pd.DataFrame()
    ok = runs[runs["status"] == "ok"].assign(draw=lambda f: f["seed_index"] % n)
    names = outcomes or [
        c for c in exp.config.outcomes if c in ok and pd.api.types.is_numeric_dtype(ok[c])
    ]
    rows: list[dict[str, Any]] = []
    for pid, g in ok.groupby("point_id", sort=True):
        for name in names:
            x = g[[name, "draw"]].dropna().astype({name: float})
            by = x.groupby("draw")[name]
            sizes = by.size()
            within = by.var(ddof=1).dropna()
            seed_var = float(within.mean()) if len(within) else float("nan")
            means = by.mean()
            between = float(means.var(ddof=1)) if len(means) > 1 else float("nan")
            per = float(sizes.mean()) if len(sizes) else 1.0
            param_var = max(0.0, between - seed_var / per) if np.isfinite(seed_var) else between
            total = param_var + seed_var
            rows.append(
                {
                    "point_id": pid,
                    "outcome": name,
                    "runs": len(x),
                    "draws": len(means),
                    "seed_var": seed_var,
                    "parameter_var": param_var,
                    "parameter_share": param_var / total
                    if total and np.isfinite(total)
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)


def report_section(runs: pd.DataFrame, exp: Experiment, out: Path) -> tuple[list[str], Path | None]:
    """The report's section and ``uncertainty.csv`` (nothing without ``[uncertainty]``)."""
    table = split(runs, exp)
    if table.empty:
        return [], None
    path = out / "uncertainty.csv"
    table.to_csv(path, index=False)
    u = exp.config.uncertainty
    assert u is not None
    lines = [
        "## Seed noise and parameter uncertainty",
        "",
        f"Parameters drawn from the posterior ensemble `{u.posterior}` ({u.draws} draws; seed i "
        "of each point runs draw i mod draws). Share of each outcome's variance due to the "
        "parameters (the rest is seed noise), at the baseline point; every point in "
        "`uncertainty.csv`.",
        "",
        "| outcome | seed variance | parameter variance | parameter share |",
        "|---|---|---|---|",
    ]
    base = table[table["point_id"] == exp.design.baseline.point_id]
    for r in base.to_dict(orient="records"):
        ps, sv, pv = float(r["parameter_share"]), float(r["seed_var"]), float(r["parameter_var"])
        share = "-" if not np.isfinite(ps) else f"{ps:.2f}"
        lines.append(f"| {r['outcome']} | {sv:,.3g} | {pv:,.3g} | {share} |")
    return [*lines, ""], path
