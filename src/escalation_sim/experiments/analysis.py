"""Summaries, effects and sensitivity indices of a sweep's runs.

- **Summary** (``summarise``): per design point and outcome, the mean over seeds and its
  confidence interval: a bootstrap (BCa, over seeds) for numeric outcomes, the Wilson score
  interval for probabilities (``isis_resurgence``), which stays honest at 0 or 1 where a
  bootstrap collapses to a point.
- **Effects** (``effects``): per point and outcome, the difference from the baseline point.
  Numeric outcomes: with common random numbers, the mean of per-seed differences (paired
  bootstrap over seeds); otherwise a two-sample bootstrap. Probabilities: Newcombe's hybrid
  score interval for a difference of proportions (it treats the arms as independent, which is
  conservative under common random numbers).
- **Sensitivity** (``sensitivity``): Sobol indices (S1, ST) or Morris (mu*, sigma) of the
  per-point means, through SALib, for those designs.

Every resampling draws from a generator seeded by ``analysis.seed`` (default ``seeds.root``), so
a report is reproducible to the last digit. Failed runs are left out; ``n`` says how many
runs each figure rests on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment

_SUMMARY, _EFFECTS = 1, 2  # keys of independent random streams

EFFECT_COLUMNS = [
    "outcome",
    "baseline_mean",
    "mean",
    "effect",
    "ci_low",
    "ci_high",
    "n",
    "n_baseline",
    "paired",
    "method",
    "excludes_zero",
]


# ---------------------------------------------------------------------------------------------
# intervals


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n`` (NaN when ``n`` is 0)."""
    if n == 0:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else min(p, max(0.0, centre - half))
    hi = 1.0 if k == n else max(p, min(1.0, centre + half))
    return lo, hi


def newcombe_interval(
    k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``k1/n1 - k2/n2`` (method 10 of Newcombe 1998)."""
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def bootstrap_means(
    samples: Sequence[np.ndarray],
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
    baseline: np.ndarray | None = None,
) -> list[tuple[float, float]]:
    """Bootstrap intervals of means: of each sample, or of ``mean(sample) - mean(baseline)``.

    Samples of equal length are resampled together (one vectorised ``scipy.stats.bootstrap``
    call), BCa first; where BCa is undefined the percentile interval is used, and a sample
    without spread gets the degenerate interval at its mean. Fewer than two values: NaN.
    """
    out: list[tuple[float, float]] = [(math.nan, math.nan)] * len(samples)
    by_len: dict[int, list[int]] = {}
    for i, s in enumerate(samples):
        by_len.setdefault(len(s), []).append(i)
    for n, idx in sorted(by_len.items()):
        if n < 2 or (baseline is not None and len(baseline) < 2):
            continue
        data = np.vstack([np.asarray(samples[i], dtype=float) for i in idx])
        if baseline is None:
            arrays: tuple[np.ndarray, ...] = (data,)

            def stat(x, axis=-1):
                return np.mean(x, axis=axis)

            flat = np.ptp(data, axis=1) == 0
        else:
            arrays = (data, np.asarray(baseline, dtype=float)[None, :])

            def stat(x, b, axis=-1):  # type: ignore[misc]  # the other variant has no b
                return np.mean(x, axis=axis) - np.mean(b, axis=axis)

            flat = (np.ptp(data, axis=1) == 0) & (np.ptp(baseline) == 0)
        lo, hi = _bootstrap(arrays, stat, confidence, resamples, rng, "BCa")
        redo = (np.isnan(lo) | np.isnan(hi)) & ~flat
        if redo.any():
            lo2, hi2 = _bootstrap(arrays, stat, confidence, resamples, rng, "percentile")
            lo, hi = np.where(redo, lo2, lo), np.where(redo, hi2, hi)
        point = stat(*arrays)
        lo, hi = np.where(flat, point, lo), np.where(flat, point, hi)
        for j, i in enumerate(idx):
            out[i] = (float(lo[j]), float(hi[j]))
    return out


def _bootstrap(
    arrays: tuple[np.ndarray, ...],
    stat: Callable,
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
    method: str,
) -> tuple[np.ndarray, np.ndarray]:
    rows, n = arrays[0].shape
    batch = max(1, int(2e7 // max(1, rows * n)))  # bound memory: ~160 MB of resamples at once
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # degenerate samples are handled by the caller
        res = stats.bootstrap(
            arrays,
            stat,
            n_resamples=resamples,
            batch=batch,
            vectorized=True,
            axis=-1,
            confidence_level=confidence,
            method=method,
            rng=rng,
        )
    ci = res.confidence_interval
    return np.atleast_1d(ci.low).astype(float), np.atleast_1d(ci.high).astype(float)


# ---------------------------------------------------------------------------------------------
# tables


def is_binary(runs: pd.DataFrame, outcome: str) -> bool:
    """True for a yes/no outcome (stored as booleans), summarised as a probability."""
    if pd.api.types.is_bool_dtype(runs[outcome]):
        return True
    col = runs[outcome].dropna()
    return len(col) > 0 and all(isinstance(v, bool | np.bool_) for v in col)


def summarise(
    runs: pd.DataFrame, exp: Experiment, outcomes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per design point and outcome: ``n``, ``mean``, ``ci_low``, ``ci_high``, ``std``, ``method``.

    For ``isis_resurgence`` (and any yes/no outcome) ``mean`` is the probability. ``n`` counts
    the runs with a value (failed runs, and "never" for week-valued outcomes, are left out).
    ``outcomes``: only these of the config's (each with the interval the full summary gives it).
    """
    a = exp.config.analysis
    seed = exp.analysis_seed
    ok = runs[runs["status"] == "ok"]
    groups = {pid: g for pid, g in ok.groupby("point_id", sort=False)}
    stored = runs.groupby("point_id").size()
    points = exp.design.points
    records = []
    for k, outcome in enumerate(exp.config.outcomes):
        if outcomes is not None and outcome not in outcomes:
            continue
        rng = np.random.default_rng([seed, _SUMMARY, k])
        binary = is_binary(ok, outcome)
        values = [_values(groups.get(p.point_id), outcome) for p in points]
        if binary:
            cis = [wilson_interval(int(v.sum()), len(v), a.confidence) for v in values]
        else:
            cis = bootstrap_means(values, a.confidence, a.resamples, rng)
        for p, v, (lo, hi) in zip(points, values, cis, strict=True):
            records.append(
                {
                    **_point_columns(p, exp),
                    "outcome": outcome,
                    "n": len(v),
                    "failed": int(stored.get(p.point_id, 0)) - _count(groups.get(p.point_id)),
                    "mean": float(v.mean()) if len(v) else math.nan,
                    "ci_low": lo,
                    "ci_high": hi,
                    "std": float(v.std(ddof=1)) if len(v) > 1 else math.nan,
                    "method": "wilson" if binary else "bootstrap",
                }
            )
    return pd.DataFrame.from_records(records)


def effects(runs: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """Per point (other than the baseline) and outcome: difference from the baseline.

    Columns: the point, ``outcome``, ``baseline_mean``, ``mean``, ``effect`` (point minus
    baseline), ``ci_low``, ``ci_high``, ``n``, ``n_baseline``, ``paired``, ``method`` and
    ``excludes_zero`` (the interval lies wholly above or below 0).
    """
    a = exp.config.analysis
    seed = exp.analysis_seed
    paired = exp.config.seeds.common
    ok = runs[runs["status"] == "ok"]
    groups = {pid: g for pid, g in ok.groupby("point_id", sort=False)}
    base = exp.design.baseline
    others = [p for p in exp.design.points if not p.is_baseline]
    records = []
    for k, outcome in enumerate(exp.config.outcomes):
        rng = np.random.default_rng([seed, _EFFECTS, k])
        binary = is_binary(ok, outcome)
        b_series = _series(groups.get(base.point_id), outcome)
        b = b_series.to_numpy(dtype=float)
        rows = []
        if binary:
            for p in others:
                x = _values(groups.get(p.point_id), outcome)
                ci = newcombe_interval(int(x.sum()), len(x), int(b.sum()), len(b), a.confidence)
                rows.append((p, x.mean() if len(x) else math.nan, len(x), ci, "newcombe"))
        elif paired:
            diffs, xs = [], []
            for p in others:
                x_series = _series(groups.get(p.point_id), outcome)
                common = x_series.index.intersection(b_series.index)
                diffs.append((x_series[common] - b_series[common]).to_numpy(dtype=float))
                xs.append(x_series.to_numpy(dtype=float))
            cis = bootstrap_means(diffs, a.confidence, a.resamples, rng)
            for p, x, d, ci in zip(others, xs, diffs, cis, strict=True):
                mean = x.mean() if len(x) else math.nan
                rows.append((p, mean, len(d), ci, "paired bootstrap"))
        else:
            xs = [_values(groups.get(p.point_id), outcome) for p in others]
            cis = bootstrap_means(xs, a.confidence, a.resamples, rng, baseline=b)
            for p, x, ci in zip(others, xs, cis, strict=True):
                rows.append((p, x.mean() if len(x) else math.nan, len(x), ci, "bootstrap"))
        b_mean = b.mean() if len(b) else math.nan
        for p, mean, n, (lo, hi), method in rows:
            records.append(
                {
                    **_point_columns(p, exp),
                    "outcome": outcome,
                    "baseline_mean": float(b_mean),
                    "mean": float(mean),
                    "effect": float(mean - b_mean),
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": n,
                    "n_baseline": len(b),
                    "paired": paired and not binary,
                    "method": method,
                    "excludes_zero": bool(lo > 0 or hi < 0),
                }
            )
    columns = [*_point_columns(base, exp), *EFFECT_COLUMNS]
    return pd.DataFrame.from_records(records, columns=columns)


def sensitivity(runs: pd.DataFrame, exp: Experiment) -> pd.DataFrame | None:
    """Sobol (S1, ST) and/or Morris (mu*, sigma) indices of the per-point means, by outcome.

    A Sobol design with ``screening`` gets both. The ``method`` column says which index a row
    holds. Returns None when the design is neither, or when a design point has no finished run
    (the indices need every sample).
    """
    design = exp.design
    if design.sampler not in ("sobol", "morris") or design.problem is None:
        return None
    designs = [design] + ([design.screening] if design.screening is not None else [])
    a = exp.config.analysis
    seed = exp.analysis_seed
    ok = runs[runs["status"] == "ok"]
    records = []
    for k, outcome in enumerate(exp.config.outcomes):
        means = ok.groupby("point_id")[outcome].apply(lambda s: s.dropna().astype(float).mean())
        for sub in designs:
            y = means.reindex(sub.rows).to_numpy(dtype=float)
            if np.isnan(y).any():
                return None
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                records.extend(_indices(sub, outcome, y, a.confidence, seed + 7919 * k))
    return pd.DataFrame.from_records(records)


#: Resamples of SALib's bootstrap for the index intervals (fixed; ``[analysis] resamples`` sets
#: those of the BCa and effect intervals).
SALIB_RESAMPLES = 1000

#: The columns each SALib method gives per parameter (with intervals from SALib's own bootstrap).
INDEX_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "mu", "sigma"),
}


def _indices(design, outcome: str, y: np.ndarray, confidence: float, seed: int) -> list[dict]:
    from SALib.analyze import morris, sobol

    problem = design.problem
    method = "sobol" if design.sampler == "sobol" else "morris"
    if method == "sobol":
        res = sobol.analyze(
            problem,
            y,
            calc_second_order=bool(design.settings.get("second_order")),
            num_resamples=SALIB_RESAMPLES,
            conf_level=confidence,
            # A generator, not the integer: SALib's sobol.analyze seeds its bootstrap only
            # when `seed` is truthy, so a seed of 0 would draw from the global generator.
            # The generator draws what the integer would for every other seed.
            seed=np.random.default_rng(seed),
        )
    else:
        res = morris.analyze(
            problem,
            design.samples,
            y,
            num_resamples=SALIB_RESAMPLES,
            conf_level=confidence,
            num_levels=int(design.settings.get("morris_levels", 4)),
            seed=seed,
        )
    return [
        {
            "method": method,
            "outcome": outcome,
            "parameter": name,
            **{col: float(res[col][i]) for col in INDEX_COLUMNS[method]},
        }
        for i, name in enumerate(problem["names"])
    ]


def _series(group: pd.DataFrame | None, outcome: str) -> pd.Series:
    """A point's values of an outcome, by seed index (missing values dropped).

    Sorted by seed index: runs are stored in the order they finish, which parallel workers
    change from one sweep to the next, and the bootstrap's resamples depend on the order.
    """
    if group is None:
        return pd.Series(dtype=float)
    s = group.set_index("seed_index")[outcome].dropna().sort_index()
    return s.astype(float)


def _count(group: pd.DataFrame | None) -> int:
    return 0 if group is None else len(group)


def _values(group: pd.DataFrame | None, outcome: str) -> np.ndarray:
    return _series(group, outcome).to_numpy(dtype=float)


def _point_columns(point, exp: Experiment) -> dict:
    return {
        "point": point.index,
        "point_id": point.point_id,
        "label": point.label(),
        "is_baseline": point.is_baseline,
        "in_design": point.in_design,
        **{name: point.params.get(name) for name in exp.design.parameters},
    }
