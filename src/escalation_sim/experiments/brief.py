"""The decision brief that opens ``report.md``: the answer, in words tied to the intervals.

``brief(results, summary)`` computes, for the headline outcome (the probability of ISIS
resurgence when the config summarises it):

- the **contrast of the lever's settings** (lowest against highest level) at each level of the
  other design parameters, not only against one baseline: each setting's probability in
  estimative words for its interval (ICD 203's scale, ``ESTIMATIVE``) and the difference with
  Newcombe's interval;
- **what drives the outcome**: for grid designs, how far the probability moves, pooled over the
  other parameters, from a parameter's lowest level to its highest; for sampled designs, the
  rank correlation of each point's mean with each parameter;
- a **warning** wherever the seeds per point are too few for the precision the numbers seem to
  claim (intervals wider than ``PRECISION``), with the seeds that would give it.

The lever is the first of ``[robustness] levers`` when the config has them, else the first
design parameter. Notebook 02 calls the same functions for its prose (one source of truth).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from escalation_sim.experiments.analysis import newcombe_interval, wilson_interval

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment

#: ICD 203's estimative words: (upper bound of the band, word). Below 5%: almost no chance.
ESTIMATIVE: tuple[tuple[float, str], ...] = (
    (0.05, "almost no chance"),
    (0.20, "very unlikely"),
    (0.45, "unlikely"),
    (0.55, "roughly even chance"),
    (0.80, "likely"),
    (0.95, "very likely"),
    (1.00, "almost certain"),
)

#: The scale, as the brief states it.
SCALE_TEXT = (
    "Words follow the estimative scale of ICD 203: almost no chance (under 5%), very unlikely "
    "(5-20%), unlikely (20-45%), roughly even chance (45-55%), likely (55-80%), very likely "
    "(80-95%), almost certain (over 95%); a range of words spans the confidence interval."
)

#: Contrasts listed in the brief at most (every one is in ``contrasts.csv``).
MAX_CONTRASTS = 8

#: Half-width of a probability's interval (in probability) above which the brief warns.
PRECISION = 0.10


def estimative(p: float) -> str:
    """The ICD 203 word for a probability."""
    for upper, word in ESTIMATIVE:
        if p < upper or upper == 1.0:
            return word
    return ESTIMATIVE[-1][1]  # pragma: no cover


def estimative_range(low: float, high: float) -> str:
    """One word when the interval lies in one band, else "from WORD to WORD"."""
    a, b = estimative(low), estimative(high)
    return a if a == b else f"{a} to {b}"


def seeds_text(exp: Experiment) -> str:
    """Seeds per point in prose: ``30``, or ``10 to 40`` after adaptive replication."""
    counts = [exp.seeds_at(p.point_id) for p in exp.design.points]
    lo, hi = min(counts, default=0), max(counts, default=0)
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def seeds_for_precision(half_width: float, confidence: float = 0.95, p: float = 0.5) -> int:
    """Seeds per point for a probability's interval of ± ``half_width`` (normal approximation)."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    return math.ceil(z * z * p * (1 - p) / half_width**2)


@dataclass(frozen=True)
class Contrast:
    """The lever's lowest against its highest setting, at one level of the other parameters."""

    where: dict[str, Any]
    low: tuple[float, float, float, int]  # probability, interval low, high, runs
    high: tuple[float, float, float, int]
    diff: tuple[float, float, float]  # high minus low, Newcombe interval


def headline_outcome(exp: Experiment) -> str:
    """The outcome the brief answers for: ISIS resurgence when summarised, else the first."""
    outcomes = exp.config.outcomes
    return "isis_resurgence" if "isis_resurgence" in outcomes else outcomes[0]


def lever_of(exp: Experiment) -> str | None:
    """The lever whose settings the brief contrasts (None without design parameters)."""
    rob = getattr(exp.config, "robustness", None)
    if rob is not None and rob.levers:
        return rob.levers[0]
    return exp.design.parameters[0] if exp.design.parameters else None


def _binary_counts(runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"].dropna(subset=[outcome])
    return ok.assign(_y=ok[outcome].astype(float))


def contrasts(runs: pd.DataFrame, exp: Experiment, outcome: str, lever: str) -> list[Contrast]:
    """Lowest against highest setting of ``lever`` at each level of the other grid parameters.

    For a grid design; other designs give an empty list. Points outside the design (a baseline
    run as an extra point) are left out.
    """
    design = exp.design
    if design.sampler != "grid" or lever not in design.levels or len(design.levels[lever]) < 2:
        return []
    conf = exp.config.analysis.confidence
    data = _binary_counts(runs, outcome)
    in_design = {p.point_id for p in design.points if p.in_design}
    data = data[data["point_id"].isin(in_design)]
    lo_v, hi_v = design.levels[lever][0], design.levels[lever][-1]
    others = [n for n in design.parameters if n != lever]
    combos = itertools.product(*[design.levels[n] for n in others]) if others else [()]
    out = []
    for combo in combos:
        where = dict(zip(others, combo, strict=True))
        mask = np.ones(len(data), dtype=bool)
        for name, value in where.items():
            mask &= _equal(data[name], value)
        sub = data[mask]
        a = sub[_equal(sub[lever], lo_v)]["_y"]
        b = sub[_equal(sub[lever], hi_v)]["_y"]
        if a.empty or b.empty:
            continue
        ka, kb = int(a.sum()), int(b.sum())
        la, ha = wilson_interval(ka, len(a), conf)
        lb, hb = wilson_interval(kb, len(b), conf)
        dl, dh = newcombe_interval(kb, len(b), ka, len(a), conf)
        out.append(
            Contrast(
                where=where,
                low=(ka / len(a), la, ha, len(a)),
                high=(kb / len(b), lb, hb, len(b)),
                diff=(kb / len(b) - ka / len(a), dl, dh),
            )
        )
    return out


def drivers(runs: pd.DataFrame, exp: Experiment, outcome: str) -> pd.DataFrame:
    """How much each design parameter moves the outcome, largest first.

    Grid designs: the pooled mean at the parameter's lowest and highest level (over every level
    of the others) and their difference (``shift``). Sampled designs: Spearman's rank correlation
    of each point's mean with the parameter (``shift`` holds it).
    """
    design = exp.design
    data = _binary_counts(runs, outcome)
    in_design = {p.point_id for p in design.points if p.in_design}
    data = data[data["point_id"].isin(in_design)]
    rows = []
    for name in design.parameters:
        if design.sampler == "grid" and name in design.levels:
            levels = design.levels[name]
            lo = _pooled_values(data, name, levels[0])
            hi = _pooled_values(data, name, levels[-1])
            if lo.empty or hi.empty:
                continue
            rows.append(
                {
                    "parameter": name,
                    "kind": "pooled",
                    "low_level": levels[0],
                    "high_level": levels[-1],
                    "low_mean": float(lo.mean()),
                    "high_mean": float(hi.mean()),
                    "shift": float(hi.mean() - lo.mean()),
                    "n": int(len(lo) + len(hi)),
                }
            )
        else:
            means = data.groupby("point_id").agg(y=("_y", "mean"), x=(name, "first"))
            if len(means) < 3 or means["x"].nunique() < 2 or means["y"].nunique() < 2:
                continue
            rho = float(stats.spearmanr(means["x"].astype(float), means["y"]).statistic)
            rows.append({"parameter": name, "kind": "spearman", "shift": rho, "n": len(means)})
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        return frame
    return frame.reindex(frame["shift"].abs().sort_values(ascending=False).index)


def pooled(runs: pd.DataFrame, exp: Experiment, outcome: str, parameter: str, value: Any) -> Pooled:
    """A yes/no outcome pooled over every design point where ``parameter`` equals ``value``.

    The pooling ``drivers`` does (points outside the design left out), with the count of runs
    and the Wilson interval at ``[analysis] confidence``.
    """
    data = _binary_counts(runs, outcome)
    in_design = {p.point_id for p in exp.design.points if p.in_design}
    y = _pooled_values(data[data["point_id"].isin(in_design)], parameter, value)
    k, n = int(y.sum()), len(y)
    low, high = wilson_interval(k, n, exp.config.analysis.confidence)
    return Pooled(k / n if n else math.nan, low, high, k, n)


@dataclass(frozen=True)
class Pooled:
    """A pooled probability: share, interval, runs with the outcome, runs."""

    share: float
    low: float
    high: float
    k: int
    n: int

    def text(self) -> str:
        """``37% (30%-44%, 74 of 200 runs)``."""
        return f"{_pct(self.share)} ({_pct(self.low)}-{_pct(self.high)}, {self.k} of {self.n} runs)"


def _pooled_values(data: pd.DataFrame, parameter: str, value: Any) -> pd.Series:
    return data[_equal(data[parameter], value)]["_y"]


def _equal(column: pd.Series, value: Any) -> pd.Series:
    if isinstance(value, bool | np.bool_):
        return column.astype(bool) == bool(value)
    return pd.Series(np.isclose(column.astype(float), float(value)), index=column.index)


def _pct(p: float) -> str:
    return "n/a" if not math.isfinite(p) else f"{p:.0%}"


def _pp(d: float) -> str:
    """Percentage points, signed; under one point keeps a decimal (never "-0")."""
    if not math.isfinite(d):
        return "n/a"
    v = d * 100
    return f"{v:+.1g}" if 0 < abs(v) < 0.5 else f"{v:+.0f}"


def format_value(v: Any) -> str:
    """A design parameter's value in prose: ``on``/``off`` for switches, ``0.59`` for numbers."""
    if isinstance(v, bool | np.bool_):
        return "on" if v else "off"
    if isinstance(v, float | np.floating):
        return f"{float(v):g}"
    return str(v)


def setting_text(p: tuple[float, float, float, int]) -> str:
    """A contrast's setting in prose: ``37% (unlikely, interval 25%-50%)`` (as the brief says)."""
    return f"{_pct(p[0])} ({estimative_range(p[1], p[2])}, interval {_pct(p[1])}-{_pct(p[2])})"


_setting = setting_text


def brief(runs: pd.DataFrame, exp: Experiment, summary: pd.DataFrame) -> list[str]:
    """The lines of the brief (markdown): a paragraph, one bullet per contrast, the warnings."""
    outcome = headline_outcome(exp)
    lever = lever_of(exp)
    conf = exp.config.analysis.confidence
    conf_text = f"{conf:.0%}"
    n = seeds_text(exp)
    binary = outcome == "isis_resurgence"
    lines = ["## Brief", ""]
    what = "the probability of ISIS resurgence in Iraq" if binary else f"`{outcome}`"
    horizon = f"within {exp.weeks} weeks"
    if lever is None or not binary:
        base = summary[(summary["outcome"] == outcome) & summary["is_baseline"]]
        if not base.empty and binary:
            r = base.iloc[0]
            lines += [
                f"With no design to compare, {what} {horizon} is {_pct(r['mean'])} "
                f"({estimative_range(r['ci_low'], r['ci_high'])}; {conf_text} interval "
                f"{_pct(r['ci_low'])}-{_pct(r['ci_high'])}, {int(r['n'])} runs). {SCALE_TEXT}",
                "",
            ]
        elif not binary:
            lines += [
                f"The brief answers for the probability of ISIS resurgence, which this config "
                f"does not summarise; the headline below is for `{outcome}`.",
                "",
            ]
        return [*lines, *_warnings(summary, exp, outcome)]
    cs = contrasts(runs, exp, outcome, lever)
    levels = exp.design.levels.get(lever, [])
    text = []
    if cs:
        lo_v, hi_v = format_value(levels[0]), format_value(levels[-1])
        clear = [c for c in cs if c.diff[1] > 0 or c.diff[2] < 0]
        text.append(
            f"Raising `{lever}` from {lo_v} to {hi_v} changes {what} {horizon} by "
            + (
                f"{_pp(cs[0].diff[0])} percentage points ({conf_text} interval "
                f"{_pp(cs[0].diff[1])} to {_pp(cs[0].diff[2])}): from {_setting(cs[0].low)} to "
                f"{_setting(cs[0].high)}."
                if len(cs) == 1 and not cs[0].where
                else f"between {_pp(min(c.diff[0] for c in cs))} and "
                f"{_pp(max(c.diff[0] for c in cs))} percentage points across the "
                f"{len(cs)} settings of the other parameters; {len(clear)} of these "
                f"differences have a {conf_text} interval that excludes zero."
            )
        )
    drv = drivers(runs, exp, outcome)
    if not drv.empty:
        top = drv.iloc[0]
        if top["kind"] == "pooled":
            parts = [
                f"`{r['parameter']}` ({_pct(r['low_mean'])} at {format_value(r['low_level'])}, "
                f"{_pct(r['high_mean'])} at {format_value(r['high_level'])}, pooled over the rest)"
                for _, r in drv.iterrows()
            ]
        else:
            parts = [
                f"`{r['parameter']}` (rank correlation {r['shift']:+.2f})"
                for _, r in drv.iterrows()
            ]
        text.append(f"What drives it most is `{top['parameter']}`; in order: {'; '.join(parts)}.")
    text.append(SCALE_TEXT)
    lines += [" ".join(text), ""]
    shown = (
        sorted(cs, key=lambda c: -abs(c.diff[0]))[:MAX_CONTRASTS] if len(cs) > MAX_CONTRASTS else cs
    )
    for c in shown:
        where = ", ".join(f"`{k}` = {format_value(v)}" for k, v in c.where.items()) or "as fixed"
        verdict = (
            "an interval that excludes zero"
            if c.diff[1] > 0 or c.diff[2] < 0
            else f"an interval that includes zero: at {n} seeds per point, not told from chance"
        )
        lines.append(
            f"- {where}: {_setting(c.low)} with `{lever}` = {format_value(levels[0])}, "
            f"{_setting(c.high)} with {format_value(levels[-1])}; difference {_pp(c.diff[0])} "
            f"points [{_pp(c.diff[1])}, {_pp(c.diff[2])}], {verdict}."
        )
    if len(cs) > MAX_CONTRASTS:
        lines.append(
            f"- ... the {MAX_CONTRASTS} largest differences of {len(cs)} are shown; every one is "
            "in `contrasts.csv`."
        )
    if cs:
        lines.append("")
    return [*lines, *_robust_line(runs, exp), *_warnings(summary, exp, outcome)]


def contrasts_frame(runs: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """``contrasts.csv``: every contrast of the brief, one row each."""
    outcome, lever = headline_outcome(exp), lever_of(exp)
    if lever is None or outcome != "isis_resurgence":
        return pd.DataFrame()
    rows = []
    for c in contrasts(runs, exp, outcome, lever):
        rows.append(
            {
                **c.where,
                "lever": lever,
                "low_level": exp.design.levels[lever][0],
                "high_level": exp.design.levels[lever][-1],
                "p_low": c.low[0],
                "p_low_ci_low": c.low[1],
                "p_low_ci_high": c.low[2],
                "p_high": c.high[0],
                "p_high_ci_low": c.high[1],
                "p_high_ci_high": c.high[2],
                "difference": c.diff[0],
                "ci_low": c.diff[1],
                "ci_high": c.diff[2],
                "runs_low": c.low[3],
                "runs_high": c.high[3],
            }
        )
    return pd.DataFrame.from_records(rows)


def _robust_line(runs: pd.DataFrame, exp: Experiment) -> list[str]:
    """One sentence on the most robust lever setting, for a config with ``[robustness]``."""
    if getattr(exp.config, "robustness", None) is None:
        return []
    from escalation_sim.experiments import robustness

    table = robustness.analyse(runs, exp)
    if table.empty:
        return []
    best = table.iloc[0]
    target = exp.config.robustness.target  # type: ignore[union-attr]
    return [
        f"Across the states of the world, the setting with the smallest largest regret is "
        f"**{best['setting']}** ({best['max_regret'] * 100:.0f} points "
        f"[{best['max_regret_low'] * 100:.0f}, {best['max_regret_high'] * 100:.0f}]); it keeps "
        f"P(resurgence) at or below {target:.0%} in {best['satisficing']:.0%} of them (section "
        "Robustness of the lever settings).",
        "",
    ]


def _warnings(summary: pd.DataFrame, exp: Experiment, outcome: str) -> list[str]:
    """A warning where a probability's interval is wider than ``PRECISION`` either side."""
    if outcome != "isis_resurgence":
        return []
    s = summary[summary["outcome"] == outcome].dropna(subset=["ci_low", "ci_high"])
    if s.empty:
        return []
    half = (s["ci_high"] - s["ci_low"]) / 2
    wide = s[half > PRECISION]
    if wide.empty:
        return []
    conf = exp.config.analysis.confidence
    need = seeds_for_precision(PRECISION, conf)
    n = seeds_text(exp)
    return [
        f"> **Too few seeds for this precision:** with {n} seeds per point, {len(wide)} of "
        f"{len(s)} points have a {conf:.0%} interval wider than ±{PRECISION * 100:.0f} "
        f"percentage points (up to ±{half.max() * 100:.0f}); differences smaller than that "
        f"cannot be told from chance. About {need} seeds per point give ±"
        f"{PRECISION * 100:.0f} points at a 50% probability (`--seeds {need}`), or add seeds "
        + (
            f"only where needed (`--precision {2 * PRECISION:g}`, adaptive replication)."
            if exp.seed_plan is None
            else f"where needed up to a larger budget (`--max-seeds {need}`)."
        ),
        "",
    ]
