"""P(resurgence) against its threshold: the record-based definition at every multiple.

``isis_resurgence_record`` holds when ISIS holds territory in Iraq, or its weekly attacks there,
averaged over ``resurgence_record_weeks`` weeks, reach ``resurgence_record_multiple`` times the
record's 2024 level (``escalation_sim.outcomes``). Each run stores the highest such average as a
multiple (``isis_attacks_iraq_sustained_multiple``) and whether ISIS held territory
(``isis_territory_iraq``), so the probability at any other multiple m is the share of runs with
territory or a multiple of at least m: a curve that cannot rise with m. The report draws it per
chosen point with Wilson intervals, beside the distribution of the continuous outcome beneath
it (the sustained multiple), so a reader sees how much of P(resurgence) is the threshold's
choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from escalation_sim.experiments.analysis import wilson_interval
from escalation_sim.outcomes import resurgence_curve

#: Threshold multiples of the record's 2024 level the curve is drawn at.
MULTIPLES = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
#: Run-level outcomes the curve is made of (runs stored before they existed have neither).
COLUMNS = ("isis_territory_iraq", "isis_attacks_iraq_sustained_multiple")


def curve(
    runs: pd.DataFrame, multiples: Sequence[float] = MULTIPLES, confidence: float = 0.90
) -> pd.DataFrame:
    """``multiple``, ``p``, ``low``, ``high``, ``runs`` of one group of runs (Wilson interval)."""
    ok = runs.dropna(subset=list(COLUMNS))
    n = len(ok)
    p = resurgence_curve(
        ok["isis_territory_iraq"].astype(bool).tolist(),
        ok["isis_attacks_iraq_sustained_multiple"].astype(float).tolist(),
        multiples,
    )
    rows = []
    for m, share in zip(multiples, p, strict=True):
        k = round(float(share) * n) if n else 0
        lo, hi = wilson_interval(k, n, confidence)
        rows.append({"multiple": float(m), "p": float(share), "low": lo, "high": hi, "runs": n})
    return pd.DataFrame(rows)


def curves(runs: pd.DataFrame, groups: dict[str, str], confidence: float = 0.90) -> pd.DataFrame:
    """The curve of each group: ``groups`` maps a ``point_id`` to its label."""
    frames = [
        curve(runs[runs["point_id"] == pid], confidence=confidence).assign(
            point_id=pid, label=label
        )
        for pid, label in groups.items()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def figure(
    table: pd.DataFrame,
    runs: pd.DataFrame,
    chosen_multiple: float | None = None,
    title: str = "",
) -> Figure:
    """Left: P(resurgence) against the threshold multiple; right: the sustained multiples."""
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.3, 1))
    labels = list(dict.fromkeys(table["label"])) if "label" in table else [""]
    for i, label in enumerate(labels):
        t = table[table["label"] == label] if "label" in table else table
        colour = f"C{i}"
        left.fill_between(t["multiple"], t["low"], t["high"], color=colour, alpha=0.15)
        left.plot(t["multiple"], t["p"], "o-", color=colour, label=label or None, ms=4)
        pid = t["point_id"].iloc[0] if "point_id" in t else None
        sel = runs if pid is None else runs[runs["point_id"] == pid]
        values = sel["isis_attacks_iraq_sustained_multiple"].dropna().astype(float)
        if len(values):
            jitter = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else [0.0]
            right.scatter(values, i + np.asarray(jitter), s=10, color=colour, alpha=0.6)
            right.boxplot(
                values, positions=[i], orientation="horizontal", widths=0.5, showfliers=False
            )
    if chosen_multiple is not None:
        for ax in (left, right):
            ax.axvline(
                chosen_multiple, color="k", ls="--", lw=1, label="resurgence_record_multiple"
            )
    left.set_xscale("log")
    left.set_xticks(list(MULTIPLES), [f"{m:g}" for m in MULTIPLES])
    left.set_ylim(-0.02, 1.02)
    left.set_xlabel("threshold: multiple of the record's 2024 attacks a week in Iraq")
    left.set_ylabel("P(resurgence)")
    left.set_title("P(isis_resurgence_record) by threshold (band: Wilson interval)", fontsize=10)
    left.grid(alpha=0.3)
    left.legend(fontsize=7)
    right.set_yticks(range(len(labels)), [str(label)[:28] for label in labels], fontsize=7)
    right.set_xlabel("highest sustained attacks a week, as a multiple of 2024")
    right.set_title("Sustained multiple per run (the continuous outcome)", fontsize=10)
    right.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def section_lines(table: pd.DataFrame, confidence: str) -> list[str]:
    """A markdown table of the curves: one row per group, one column per multiple."""
    multiples = sorted(set(table["multiple"]))
    lines = [
        "| point | " + " | ".join(f"x{m:g}" for m in multiples) + " |",
        "|---|" + "---|" * len(multiples),
    ]
    for label, t in table.groupby("label", sort=False):
        cells = [
            f"{r.p:.0%} ({r.low:.0%}-{r.high:.0%})" for r in t.sort_values("multiple").itertuples()
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return [
        "## Resurgence against the record, by threshold",
        "",
        "P(`isis_resurgence_record`) if its threshold were each multiple of the record's 2024 "
        f"level of ISIS attacks a week in Iraq (in brackets: the {confidence} Wilson interval). "
        "A run counts at a multiple when ISIS held territory in Iraq or its attacks, averaged "
        "over `resurgence_record_weeks` weeks, reached that multiple.",
        "",
        *lines,
        "",
    ]


def has_columns(runs: pd.DataFrame) -> bool:
    """True when the runs carry the outcomes the curve needs (sweeps stored since they exist)."""
    return all(c in runs.columns for c in COLUMNS) and bool(
        runs[list(COLUMNS)].notna().all(axis=1).any()
    )


def parameter(exp: Any, name: str) -> float | None:
    """A parameter at the baseline: its design value, a fixed override, or the scenario's."""
    for source in (exp.design.baseline.params, exp.config.overrides):
        if name in source:
            return float(source[name])
    prm = exp.scenario.parameters.get(name)
    return None if prm is None else float(prm.value)
