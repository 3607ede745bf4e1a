"""Scenario discovery over a sweep: which combinations of parameters lead to an outcome.

``escalation-sim discover DIR --outcome NAME`` finds boxes in the space of the design
parameters where the outcome of interest is concentrated:

- **PRIM** (the patient rule induction method, Friedman and Fisher 1999) from EMA Workbench
  (``ema_workbench.analysis.prim``), the library exploratory modellers use;
- **CART** (a regression tree, scikit-learn), whose leaves richer than the average are boxes;
- **feature scores** (extra trees, scikit-learn): how much each parameter explains.

**Seeds.** Runs at one design point are replicates, not independent cases, so the cases are the
design points and each point's value is the share of its runs of interest (a probability). The
seeds are split: boxes are fitted on the runs of the even seed indices and their coverage and
density are checked on the odd ones (held out). Density intervals are a cluster bootstrap over
design points (points resampled whole, with their share), on the training and the held-out
runs alike.

**Which box on PRIM's peeling trajectory.** Among the boxes keeping at least ``min_coverage`` of
the cases of interest, take the best density d*; then the box with the most coverage whose
density reaches ``base + 0.95 (d* - base)`` (``base``: the density of the whole space). PRIM's
last boxes trade a little density for much coverage; this keeps the box before that happens.

Writes ``DIR/discovery/``: ``boxes.csv`` (``box``, ``parameter``, ``low``, ``high``,
``coverage``, ``density`` and the intervals and held-out values, one row per restricted
parameter of each box), ``trajectory.csv``, ``feature_scores.csv``, ``discovery.json`` and the
figures ``peeling.png``, ``boxes.png``, ``feature_scores.png``; ``report.md`` then has a section.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from escalation_sim.errors import ConfigError
from escalation_sim.experiments.store import atomic_write

if TYPE_CHECKING:
    from escalation_sim.experiments.results import SweepResults

METHODS = ("prim", "cart")
DIRNAME = "discovery"
BOX_COLUMNS = [
    "box",
    "parameter",
    "low",
    "high",
    "coverage",
    "density",
    "density_low",
    "density_high",
    "coverage_heldout",
    "density_heldout",
    "density_heldout_low",
    "density_heldout_high",
    "points",
    "method",
]
#: Share of PRIM's best density gain over the base rate a chosen box keeps (module docstring).
DENSITY_KEEP = 0.95
_INSTALL = "install the discovery extra: pip install 'escalation-sim[discovery]'"


@dataclass
class Cases:
    """Design points as the cases of scenario discovery.

    Attributes:
        x: One row per point, one column per design parameter (floats).
        train: Per point, the share of its training runs (even seed indices) of interest.
        heldout: The same over the held-out runs (odd seed indices); NaN without them.
        runs_train: Training runs per point.
        runs_heldout: Held-out runs per point.
        point_id: Each row's point.
    """

    x: pd.DataFrame
    train: np.ndarray
    heldout: np.ndarray
    runs_train: np.ndarray
    runs_heldout: np.ndarray
    point_id: list[str] = field(default_factory=list)


@dataclass
class Box:
    """A box: limits of its restricted parameters, and how it does."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    density_ci: tuple[float, float]
    coverage_heldout: float
    density_heldout: float
    density_heldout_ci: tuple[float, float]
    points: int


def of_interest(runs: pd.DataFrame, outcome: str, threshold: float | None) -> pd.Series:
    """Per run, whether the outcome is of interest.

    True for a yes/no outcome; above ``threshold`` for a number (default: above the runs' 80th
    percentile).
    """
    values = runs[outcome]
    if pd.api.types.is_bool_dtype(values) or set(values.dropna().unique()) <= {True, False}:
        return values.fillna(False).astype(bool)
    numbers = values.astype(float)
    if threshold is None:
        threshold = float(numbers.quantile(0.8))
    return numbers > threshold


def default_threshold(runs: pd.DataFrame, outcome: str) -> float | None:
    """The threshold ``of_interest`` uses when none is given (None for yes/no outcomes)."""
    values = runs[outcome]
    if pd.api.types.is_bool_dtype(values) or set(values.dropna().unique()) <= {True, False}:
        return None
    return float(values.astype(float).quantile(0.8))


def make_cases(
    runs: pd.DataFrame, parameters: list[str], interest: pd.Series, split: bool = True
) -> Cases:
    """Per design point: its parameters and the share of runs of interest, by seed half."""
    data = runs.assign(_y=interest.astype(float).to_numpy())
    heldout = (data["seed_index"] % 2 == 1) if split else np.zeros(len(data), dtype=bool)
    train = data[~heldout]
    test = data[heldout]
    points = list(dict.fromkeys(data["point_id"]))
    x = data.drop_duplicates("point_id").set_index("point_id").loc[points, parameters]
    x = x.astype(float).reset_index(drop=True)
    tr = train.groupby("point_id")["_y"].agg(["mean", "size"]).reindex(points)
    te = test.groupby("point_id")["_y"].agg(["mean", "size"]).reindex(points)
    return Cases(
        x=x,
        train=tr["mean"].to_numpy(dtype=float),
        heldout=te["mean"].to_numpy(dtype=float),
        runs_train=tr["size"].fillna(0).to_numpy(dtype=int),
        runs_heldout=te["size"].fillna(0).to_numpy(dtype=int),
        point_id=points,
    )


def in_box(x: pd.DataFrame, limits: dict[str, tuple[float, float]]) -> np.ndarray:
    """Which rows of ``x`` lie in the box (limits inclusive)."""
    mask = np.ones(len(x), dtype=bool)
    for name, (lo, hi) in limits.items():
        v = x[name].to_numpy(dtype=float)
        mask &= (v >= lo - 1e-12) & (v <= hi + 1e-12)
    return mask


def box_stats(y: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Coverage and density of a box over per-point shares ``y`` (NaN points left out)."""
    ok = np.isfinite(y)
    total = y[ok].sum()
    inside = y[ok & mask]
    coverage = float(inside.sum() / total) if total > 0 else math.nan
    density = float(inside.mean()) if len(inside) else math.nan
    return coverage, density


def cluster_interval(
    y: np.ndarray,
    mask: np.ndarray,
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Bootstrap interval of a box's density, resampling its design points whole."""
    inside = y[mask & np.isfinite(y)]
    if len(inside) < 2:
        return math.nan, math.nan
    draws = rng.integers(0, len(inside), size=(resamples, len(inside)))
    means = inside[draws].mean(axis=1)
    alpha = (1 - confidence) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def choose(trajectory: pd.DataFrame, base: float, min_coverage: float) -> int:
    """The index of the box taken from PRIM's peeling trajectory (module docstring)."""
    t = trajectory.reset_index(drop=True)
    eligible = t[t["coverage"] >= min_coverage - 1e-12]
    if eligible.empty:
        eligible = t
    best = float(eligible["density"].max())
    keep = base + DENSITY_KEEP * (best - base)
    good = eligible[eligible["density"] >= keep - 1e-12]
    return int(good.sort_values(["coverage", "density"], ascending=False).index[0])


def restricted(
    limits: pd.DataFrame, initial: pd.DataFrame, names: list[str]
) -> dict[str, tuple[float, float]]:
    """The parameters a box's limits restrict (EMA's box limits: two rows, low and high)."""
    out = {}
    for name in names:
        lo, hi = float(limits[name].iloc[0]), float(limits[name].iloc[1])
        lo0, hi0 = float(initial[name].iloc[0]), float(initial[name].iloc[1])
        if lo > lo0 + 1e-12 or hi < hi0 - 1e-12:
            out[name] = (lo, hi)
    return out


def prim_trajectory(
    x: pd.DataFrame, y: np.ndarray, peel_alpha: float = 0.05, mass_min: float = 0.05
) -> tuple[pd.DataFrame, list[pd.DataFrame], pd.DataFrame, list[dict[str, list[float]]]]:
    """EMA Workbench's PRIM on cases ``x`` with values ``y``.

    Returns:
        The peeling trajectory, each step's box limits, the starting box, and each step's
        quasi-p-values per restricted parameter (Bryant and Lempert 2010).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # EMA warns about optional packages on import
            from ema_workbench.analysis import prim
    except ImportError:
        raise ConfigError("discover", "--method", f"PRIM needs EMA Workbench; {_INSTALL}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(x, np.asarray(y, dtype=float), peel_alpha=peel_alpha, mass_min=mass_min)
        box = p.find_box()
    if box is None:
        raise ConfigError("discover", "--outcome", "PRIM found no box (no case of interest?)")
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim", "n"]]
    return trajectory.reset_index(drop=True), list(box.box_lims), p.box_init, list(box.p_values)


#: A restriction whose quasi-p-values both exceed this is dropped from the chosen box: it does
#: not make the box significantly denser (EMA Workbench's ``inspect`` shows the same numbers).
QUASI_P = 0.05


def fit_prim(
    cases: Cases, min_coverage: float = 0.5, peel_alpha: float = 0.05
) -> tuple[dict[str, tuple[float, float]], pd.DataFrame, int]:
    """PRIM's box on the training shares: its limits, the trajectory, the chosen index.

    Restrictions that are not significant (``QUASI_P``) are dropped from the chosen box.
    """
    ok = np.isfinite(cases.train)
    x = cases.x[ok].reset_index(drop=True)
    y = cases.train[ok]
    trajectory, limits, initial, qp = prim_trajectory(x, y, peel_alpha=peel_alpha)
    i = choose(trajectory, float(np.mean(y)), min_coverage)
    box = restricted(limits[i], initial, list(x.columns))
    return significant(box, qp[i]), trajectory, i


def significant(
    box: dict[str, tuple[float, float]], qp: dict[str, list[float]]
) -> dict[str, tuple[float, float]]:
    """The box without its insignificant restrictions.

    A restriction goes when its quasi-p-values (EMA's; -1: not restricted on that side) are all
    above ``QUASI_P``; the box stays whole if none would be left.
    """
    kept = {
        name: lim
        for name, lim in box.items()
        if any(0 <= float(v) <= QUASI_P for v in qp.get(name, [0.0]))
    }
    return kept or box


def fit_cart(cases: Cases, seed: int, max_depth: int = 3) -> list[dict[str, tuple[float, float]]]:
    """Leaves of a regression tree on the training shares whose mean beats the base rate."""
    try:
        from sklearn.tree import DecisionTreeRegressor
    except ImportError:
        raise ConfigError("discover", "--method", f"CART needs scikit-learn; {_INSTALL}") from None
    ok = np.isfinite(cases.train)
    x, y = cases.x[ok], cases.train[ok]
    leaf = max(2, math.ceil(0.05 * len(x)))
    tree = DecisionTreeRegressor(max_depth=max_depth, min_samples_leaf=leaf, random_state=seed)
    tree.fit(x.to_numpy(), y, sample_weight=cases.runs_train[ok])
    t = tree.tree_
    names = list(x.columns)
    lo0 = {n: float(x[n].min()) for n in names}
    hi0 = {n: float(x[n].max()) for n in names}
    boxes: list[tuple[float, dict[str, tuple[float, float]]]] = []

    def walk(node: int, bounds: dict[str, tuple[float, float]]) -> None:
        if t.children_left[node] == -1:
            value = float(t.value[node].ravel()[0])
            if value > float(np.mean(y)):
                limits = {n: b for n, b in bounds.items() if b[0] > lo0[n] + 1e-12 or b[1] < hi0[n]}
                if limits:
                    boxes.append((value, limits))
            return
        name = names[t.feature[node]]
        cut = float(t.threshold[node])
        lo, hi = bounds[name]
        # The tree splits at midpoints; the box's limits are the points' values either side.
        values = x[name].to_numpy(dtype=float)
        left_hi = float(values[values <= cut].max(initial=lo))
        right_lo = float(values[values > cut].min(initial=hi))
        walk(t.children_left[node], {**bounds, name: (lo, min(hi, left_hi))})
        walk(t.children_right[node], {**bounds, name: (max(lo, right_lo), hi)})

    walk(0, {n: (lo0[n], hi0[n]) for n in names})
    return [b for _, b in sorted(boxes, key=lambda item: -item[0])]


def feature_scores(cases: Cases, seed: int) -> pd.DataFrame:
    """Extra-trees importances of each parameter for the per-point shares (all seeds)."""
    try:
        from sklearn.ensemble import ExtraTreesRegressor
    except ImportError:
        raise ConfigError(
            "discover", "--method", f"feature scores need scikit-learn; {_INSTALL}"
        ) from None
    runs = cases.runs_train + cases.runs_heldout
    y = np.where(
        runs > 0,
        (
            np.nan_to_num(cases.train) * cases.runs_train
            + np.nan_to_num(cases.heldout) * cases.runs_heldout
        )
        / np.maximum(runs, 1),
        np.nan,
    )
    ok = np.isfinite(y)
    model = ExtraTreesRegressor(n_estimators=300, random_state=seed, min_samples_leaf=2)
    model.fit(cases.x[ok].to_numpy(), y[ok], sample_weight=runs[ok])
    scores = pd.DataFrame({"parameter": cases.x.columns, "score": model.feature_importances_})
    return scores.sort_values("score", ascending=False).reset_index(drop=True)


def evaluate(
    cases: Cases,
    limits: dict[str, tuple[float, float]],
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
) -> Box:
    """Coverage and density of a box on the training and held-out runs, with intervals."""
    mask = in_box(cases.x, limits)
    cov, den = box_stats(cases.train, mask)
    cov_h, den_h = box_stats(cases.heldout, mask)
    return Box(
        limits=limits,
        coverage=cov,
        density=den,
        density_ci=cluster_interval(cases.train, mask, confidence, resamples, rng),
        coverage_heldout=cov_h,
        density_heldout=den_h,
        density_heldout_ci=cluster_interval(cases.heldout, mask, confidence, resamples, rng),
        points=int(mask.sum()),
    )


def boxes_frame(boxes: list[Box], method: str) -> pd.DataFrame:
    """``boxes.csv``: one row per restricted parameter of each box."""
    rows = []
    for i, b in enumerate(boxes, start=1):
        for name, (lo, hi) in b.limits.items():
            rows.append(
                {
                    "box": i,
                    "parameter": name,
                    "low": lo,
                    "high": hi,
                    "coverage": b.coverage,
                    "density": b.density,
                    "density_low": b.density_ci[0],
                    "density_high": b.density_ci[1],
                    "coverage_heldout": b.coverage_heldout,
                    "density_heldout": b.density_heldout,
                    "density_heldout_low": b.density_heldout_ci[0],
                    "density_heldout_high": b.density_heldout_ci[1],
                    "points": b.points,
                    "method": method,
                }
            )
    return pd.DataFrame.from_records(rows, columns=BOX_COLUMNS)


def discover(
    results: SweepResults,
    outcome: str,
    threshold: float | None = None,
    method: str = "prim",
    *,
    min_coverage: float = 0.5,
    max_boxes: int = 3,
) -> list[Path]:
    """Scenario discovery over a sweep's runs, written into ``DIR/discovery/``.

    Raises:
        ConfigError: an unknown outcome or method, no design parameter, no case of interest,
            or the discovery extra missing.
    """
    from escalation_sim.outcomes import RUN_OUTCOMES

    exp = results.experiment
    if outcome not in RUN_OUTCOMES:
        raise ConfigError(
            "--outcome", None, f"unknown outcome {outcome!r}; allowed: {', '.join(RUN_OUTCOMES)}"
        )
    if method not in METHODS:
        raise ConfigError("--method", None, f"allowed: {', '.join(METHODS)}")
    params = [n for n in exp.design.parameters]
    if not params:
        raise ConfigError(results.path, "design", "no design parameters to discover boxes in")
    ok = results.ok.dropna(subset=[outcome]) if outcome != "isis_resurgence" else results.ok
    if ok.empty:
        raise ConfigError(results.path, "runs", "no finished run")
    used = default_threshold(ok, outcome) if threshold is None else threshold
    interest = of_interest(ok, outcome, used)
    if not interest.any():
        raise ConfigError("--threshold", None, f"no run has {outcome} above {used}")
    split = exp.config.seeds.per_point > 1
    cases = make_cases(ok, params, interest, split=split)
    a = exp.config.analysis
    seed = exp.analysis_seed
    rng = np.random.default_rng([seed, 11])
    resamples = min(a.resamples, 2000)
    out = results.path / DIRNAME
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    trajectory = None
    chosen = None
    if method == "prim":
        limits, trajectory, chosen = fit_prim(cases, min_coverage)
        found = [limits] if limits else []
    else:
        found = fit_cart(cases, seed)[:max_boxes]
    boxes = [evaluate(cases, lim, a.confidence, resamples, rng) for lim in found]
    frame = boxes_frame(boxes, method)
    written.append(_csv(frame, out / "boxes.csv"))
    if trajectory is not None:
        written.append(
            _csv(trajectory.rename_axis("box_index").reset_index(), out / "trajectory.csv")
        )
    scores = feature_scores(cases, seed)
    written.append(_csv(scores, out / "feature_scores.csv"))
    base_train = box_stats(cases.train, np.ones(len(cases.x), dtype=bool))[1]
    meta = {
        "outcome": outcome,
        "threshold": used,
        "method": method,
        "min_coverage": min_coverage,
        "chosen": chosen,
        "base_density": base_train,
        "points": len(cases.x),
        "seeds_per_point": exp.config.seeds.per_point,
        "heldout": split,
        "confidence": a.confidence,
        "parameters": params,
    }
    written.append(
        atomic_write(out / "discovery.json", lambda p: p.write_text(json.dumps(meta, indent=1)))
    )
    figures = []
    if trajectory is not None and chosen is not None:
        figures.append(("peeling.png", peeling_figure(trajectory, chosen, base_train)))
    if boxes:
        figures.append(("boxes.png", boxes_figure(boxes, cases, outcome)))
    figures.append(("feature_scores.png", scores_figure(scores, outcome)))
    for name, fig in figures:
        written.append(
            atomic_write(out / name, lambda p, f=fig: f.savefig(p, dpi=110, format="png"))
        )
    return written


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda p: frame.to_csv(p, index=False, float_format="%.6g"))


def peeling_figure(trajectory: pd.DataFrame, chosen: int, base: float) -> Figure:
    """PRIM's peeling trajectory: density against coverage, coloured by restricted parameters."""
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.add_subplot()
    dims = trajectory["res_dim"].astype(int)
    sc = ax.scatter(
        trajectory["coverage"], trajectory["density"], c=dims, cmap="viridis", s=22, zorder=3
    )
    ax.plot(trajectory["coverage"], trajectory["density"], color="#999", lw=0.8, zorder=2)
    row = trajectory.iloc[chosen]
    ax.scatter(
        [row["coverage"]],
        [row["density"]],
        s=160,
        facecolors="none",
        edgecolors="#C44E52",
        linewidths=2,
        zorder=4,
        label=f"chosen box (step {chosen})",
    )
    ax.axhline(base, color="#444", ls=":", lw=1, label=f"whole space ({base:.0%})")
    ax.set_xlabel("coverage (share of the cases of interest inside the box)")
    ax.set_ylabel("density (share of interest inside the box)")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    bar = fig.colorbar(sc, ax=ax, ticks=sorted(set(dims)))
    bar.set_label("restricted parameters")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3)
    ax.set_title("PRIM peeling trajectory (training seeds)", fontsize=10)
    return fig


def boxes_figure(boxes: list[Box], cases: Cases, outcome: str) -> Figure:
    """Each box's limits on every restricted parameter, against the parameter's whole range."""
    names = list(dict.fromkeys(n for b in boxes for n in b.limits))
    fig = Figure(figsize=(7.5, 1.4 + 0.5 * len(names) * len(boxes)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(boxes), 1, squeeze=False).ravel())
    for ax, (i, b) in zip(axes, enumerate(boxes, start=1), strict=True):
        ys = np.arange(len(b.limits))[::-1]
        for y, (name, (lo, hi)) in zip(ys, b.limits.items(), strict=True):
            full_lo, full_hi = float(cases.x[name].min()), float(cases.x[name].max())
            span = (full_hi - full_lo) or 1.0
            ax.barh(y, 1.0, left=0.0, color="#EEEEEE", height=0.6)
            ax.barh(y, (hi - lo) / span, left=(lo - full_lo) / span, color="#4C72B0", height=0.6)
            ax.text(-0.02, y, f"{name}\n[{lo:g}, {hi:g}]", ha="right", va="center", fontsize=7)
        ax.set_yticks([])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("position in the parameter's range in the design", fontsize=8)
        held = (
            f"; held-out density {b.density_heldout:.0%}"
            if math.isfinite(b.density_heldout)
            else ""
        )
        ax.set_title(
            f"Box {i}: coverage {b.coverage:.0%}, density {b.density:.0%}{held}", fontsize=9
        )
    fig.suptitle(f"Boxes where {outcome} is of interest", fontsize=10)
    return fig


def scores_figure(scores: pd.DataFrame, outcome: str) -> Figure:
    """Extra-trees feature scores, largest first."""
    fig = Figure(figsize=(6.4, 1.2 + 0.35 * len(scores)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(scores))[::-1]
    ax.barh(y, scores["score"], color="#4C72B0")
    ax.set_yticks(y, scores["parameter"], fontsize=8)
    ax.set_xlabel("feature score (extra trees, share of the explained variance)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"What explains {outcome} across the design points", fontsize=10)
    return fig


def report_section(sweep_dir: Path) -> list[str]:
    """The report's section for a discovery written earlier into ``sweep_dir`` (or nothing)."""
    out = Path(sweep_dir) / DIRNAME
    meta_path = out / "discovery.json"
    if not meta_path.is_file() or not (out / "boxes.csv").is_file():
        return []
    meta: dict[str, Any] = json.loads(meta_path.read_text())
    boxes = pd.read_csv(out / "boxes.csv")
    conf = f"{meta.get('confidence', 0.95):.0%}"
    what = (
        f"`{meta['outcome']}`"
        if meta.get("threshold") is None
        else f"`{meta['outcome']}` above {meta['threshold']:,.6g}"
    )
    lines = [
        "## Scenario discovery",
        "",
        f"Where in the design is {what} concentrated? Method: {meta['method'].upper()} "
        f"(`escalation-sim discover`), over {meta['points']} design points as cases, each "
        "with the share of its runs of interest (runs at one point are replicates, not "
        "independent cases). "
        + (
            "Boxes are fitted on the even seed indices and checked on the odd ones (held out). "
            if meta.get("heldout")
            else "With one seed per point there is no held-out check. "
        )
        + f"Density intervals: {conf} cluster bootstrap over design points. In the whole "
        f"space the density is {meta['base_density']:.0%}.",
        "",
    ]
    if boxes.empty:
        lines += ["No box: no region is richer in cases of interest than the whole space.", ""]
    else:
        lines += [
            "| box | parameter | low | high | coverage | density | held-out coverage | "
            "held-out density |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for _, r in boxes.iterrows():
            lines.append(
                f"| {int(r['box'])} | `{r['parameter']}` | {r['low']:,.4g} | {r['high']:,.4g} | "
                f"{r['coverage']:.0%} | {_pct_ci(r, 'density')} | "
                f"{_pct(r['coverage_heldout'])} | {_pct_ci(r, 'density_heldout')} |"
            )
        lines.append("")
    for name, title in (
        ("peeling.png", "PRIM peeling trajectory"),
        ("boxes.png", "Boxes"),
        ("feature_scores.png", "Feature scores"),
    ):
        if (out / name).is_file():
            lines += [f"![{title}]({DIRNAME}/{name})", ""]
    return lines


def _pct(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:.0%}"


def _pct_ci(r: pd.Series, key: str) -> str:
    lo, hi = r[f"{key}_low"], r[f"{key}_high"]
    ci = f" [{lo:.0%}, {hi:.0%}]" if np.isfinite(lo) and np.isfinite(hi) else ""
    return f"{_pct(r[key])}{ci}"
