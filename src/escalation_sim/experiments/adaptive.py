"""Adaptive replication: more seeds only where the headline interval is still too wide.

``escalation-sim sweep CONFIG --precision W [--max-seeds N]`` (or ``[replication] precision``
and ``max_seeds`` in the config) first runs ``seeds.per_point`` seeds at every design point,
then goes in rounds. Each round computes, from the stored runs, the report's interval of the
headline outcome (``brief.headline_outcome``: the probability of ISIS resurgence, Wilson score
interval; else the first outcome, BCa bootstrap over seeds) at every point, exactly as
``analysis.summarise`` gives it, and plans more seeds at the points whose interval is wider
than ``W`` (``high - low``), up to ``N`` seeds a point:

    next = min(N, max(n + 1, min(2 n, ceil(n (width / W) ** 2))))

(the width shrinks as 1/sqrt(n); at most doubling per round, so a noisy first estimate does not
overshoot). Points already precise get no extra seed. Seeds are common random numbers when
``seeds.common`` (seed ``i`` is the same at every point), and seed ``i`` does not depend on how
many a point gets, so the added seeds extend the first ones.

The plan is written to the sweep's ``manifest.json`` (key ``adaptive``) *before* its runs
start, so a sweep killed mid-round resumes the same round, and a round's plan depends only on
the runs of the rounds before: killed and resumed gives the same runs as uninterrupted, and so
does any number of workers. ``integrity.check_sweep_dir`` and ``load_results`` read the plan,
so a directory with uneven seeds per point is checked against it and never taken for damage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment

#: The manifest's key for the adaptive plan.
KEY = "adaptive"


def plan_of(manifest: Mapping[str, Any]) -> dict[str, int] | None:
    """Seeds planned per point (point_id -> n) as the manifest records them, or None."""
    record = manifest.get(KEY)
    if not isinstance(record, dict) or not isinstance(record.get("seeds"), dict):
        return None
    return {str(k): int(v) for k, v in record["seeds"].items()}


def attach_plan(exp: Experiment, manifest: Mapping[str, Any]) -> Experiment:
    """``exp`` with the manifest's plan of seeds per point (unchanged if there is none)."""
    plan = plan_of(manifest)
    if plan is None or exp.seed_plan == plan:
        return exp
    return exp.with_plan(plan)


def headline_widths(runs: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """Per point: ``point_id``, ``n`` (runs with a value), ``ci_low``, ``ci_high``, ``width``.

    The interval of the headline outcome as the report's summary gives it.
    """
    from escalation_sim.experiments.analysis import summarise
    from escalation_sim.experiments.brief import headline_outcome

    outcome = headline_outcome(exp)
    s = summarise(runs, exp, outcomes=[outcome])
    s = s[["point_id", "n", "ci_low", "ci_high"]].copy()
    s["width"] = s["ci_high"] - s["ci_low"]
    return s.reset_index(drop=True)


def next_seeds(n: int, width: float, precision: float, cap: int, finished: int) -> int:
    """Seeds a point with ``n`` planned seeds and this interval width gets in the next round.

    ``finished``: its runs with a value. A point whose runs all failed gets no more; an
    interval too few runs leave undefined (NaN) counts as wide.
    """
    if n >= cap or finished == 0:
        return n
    if math.isnan(width):
        return min(cap, 2 * n)
    if width <= precision:
        return n
    want = math.ceil(n * (width / precision) ** 2)
    return min(cap, max(n + 1, min(2 * n, want)))


def next_plan(runs: pd.DataFrame, exp: Experiment) -> dict[str, int]:
    """The plan of the next round: seeds per point, never fewer than planned now."""
    rep = exp.config.replication
    assert rep is not None and rep.precision is not None and rep.max_seeds is not None
    widths = headline_widths(runs, exp)
    plan = {}
    for pid, width, finished in zip(widths["point_id"], widths["width"], widths["n"], strict=True):
        n = exp.seeds_at(str(pid))
        plan[str(pid)] = next_seeds(n, float(width), rep.precision, rep.max_seeds, int(finished))
    return plan


def record(exp: Experiment, plan: Mapping[str, int], rounds: list[dict[str, Any]]) -> dict:
    """The manifest's ``adaptive`` entry: the target, the plan and the rounds so far."""
    from escalation_sim.experiments.brief import headline_outcome

    rep = exp.config.replication
    assert rep is not None
    return {
        "outcome": headline_outcome(exp),
        "precision": rep.precision,
        "max_seeds": rep.max_seeds,
        "confidence": exp.config.analysis.confidence,
        "seeds": dict(plan),
        "rounds": rounds,
    }


def describe(exp: Experiment, runs: pd.DataFrame, manifest: Mapping[str, Any]) -> str | None:
    """One sentence on the adaptive replication of a sweep, for its report (None if not)."""
    record_ = manifest.get(KEY)
    if not isinstance(record_, dict) or exp.seed_plan is None:
        return None
    counts = [exp.seeds_at(p.point_id) for p in exp.design.points]
    w = headline_widths(runs, exp)
    precision = float(record_.get("precision") or math.nan)
    met = int((w["width"] <= precision).sum())
    rounds = len(record_.get("rounds", []))
    return (
        f"adaptive: seeds added where the {record_.get('confidence', 0.95):.0%} interval of "
        f"`{record_.get('outcome')}` was wider than {precision:g}, up to "
        f"{record_.get('max_seeds')} per point, in {rounds} round(s); {min(counts)} to "
        f"{max(counts)} seeds per point; {met} of {len(counts)} points meet the target"
    )
