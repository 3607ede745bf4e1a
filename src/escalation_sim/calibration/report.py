"""Diagnostics of a calibration: posterior predictive for every pattern, marginals, correlations.

Written into ``DIR/figures/`` and summarised in ``DIR/report.md``. The posterior predictive is
the last wave's runs, each weighted by its parameter set's posterior weight (split over the
set's seeds): a weighted median and 5-95% band per target beside the observed value or range.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from escalation_sim.calibration.engine import CalibrationResult, weighted_quantile
from escalation_sim.experiments.store import atomic_write

PLAIN = FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}")


def _plain(ax: Any, x: bool = False) -> None:
    ax.yaxis.set_major_formatter(PLAIN)
    if x:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.3g}"))


def slug(text: str) -> str:
    """A file-name-safe version of a pattern's name."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:60]


def predictive(result: CalibrationResult) -> pd.DataFrame:
    """Weighted 5%, 50%, 95% of every target over the last wave's runs (module docstring)."""
    post = result.posterior.set_index("point_id")["weight"]
    last = result.runs[
        (result.runs["wave"] == result.posterior["wave"].max()) & (result.runs["status"] == "ok")
    ]
    per_seed = last.groupby("point_id")["seed_index"].transform("count")
    w = last["point_id"].map(post).fillna(0.0).to_numpy() / per_seed.to_numpy()
    rows = []
    for j, t in result.targets.table.reset_index(drop=True).iterrows():
        v = last[f"t{j:04d}"].to_numpy(dtype=float)
        ok = np.isfinite(v) & (w > 0)
        q = (
            [weighted_quantile(v[ok], w[ok], p) for p in (0.05, 0.5, 0.95)]
            if ok.any()
            else [np.nan] * 3
        )
        rows.append({**t.to_dict(), "p05": q[0], "median": q[1], "p95": q[2]})
    return pd.DataFrame(rows)


def predictive_figure(pattern: str, rows: pd.DataFrame) -> Figure:
    """Observed against the posterior predictive for one pattern."""
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.subplots()
    x = pd.to_datetime(rows["end"]).to_numpy()
    med = rows["median"].to_numpy(dtype=float)
    err = np.vstack(
        [med - rows["p05"].to_numpy(dtype=float), rows["p95"].to_numpy(dtype=float) - med]
    )
    ax.errorbar(
        x,
        med,
        yerr=np.clip(np.nan_to_num(err), 0, None),
        fmt="o",
        color="#C44E52",
        ms=3,
        lw=1,
        capsize=2,
        alpha=0.8,
        label="model: median and 5-95% (posterior predictive)",
    )
    rng_rows = rows["low"] != rows["high"]
    if rng_rows.any():
        ax.vlines(
            x[rng_rows.to_numpy()],
            rows.loc[rng_rows, "low"],
            rows.loc[rng_rows, "high"],
            color="#222222",
            lw=3,
            alpha=0.6,
            label="observed range",
        )
    pts = ~rng_rows
    if pts.any():
        rel = rows["relation"].iloc[0]
        label = {
            "lower_bound": "observed (model should be at or above)",
            "upper_bound": "observed (model should be at or below)",
        }.get(rel, "observed")
        ax.plot(x[pts.to_numpy()], rows.loc[pts, "low"], "s", color="#222222", ms=4, label=label)
    ax.set_title(pattern, fontsize=10)
    ax.set_xlabel("end of the observed period")
    ax.set_ylabel("count (model in the record's definition)")
    _plain(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def marginals_figure(
    result: CalibrationResult,
    priors: dict[str, tuple[float, float, bool]],
    scenario_values: dict[str, float],
) -> Figure:
    """Weighted histograms of each parameter over its prior range."""
    names = list(priors)
    cols = min(4, len(names))
    nrows = int(np.ceil(len(names) / cols))
    fig = Figure(figsize=(3.2 * cols, 2.6 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, cols)).ravel()
    w = result.posterior["weight"].to_numpy()
    for ax, n in zip(axes, names, strict=False):
        lo, hi, _ = priors[n]
        ax.hist(
            result.posterior[n],
            bins=12,
            range=(lo, hi),
            weights=w,
            color="#4C72B0",
            alpha=0.8,
            label="posterior",
        )
        ax.axhline(1 / 12, color="#999999", ls=":", lw=1, label="prior (uniform)")
        ax.axvline(scenario_values[n], color="#C44E52", lw=1.2, label="scenario value")
        ax.set_xlabel(n, fontsize=8)
        ax.set_ylabel("posterior probability", fontsize=8)
        ax.set_xlim(lo, hi)
        _plain(ax, x=True)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=6)
    return fig


def weighted_corr(frame: pd.DataFrame, names: list[str], w: np.ndarray) -> pd.DataFrame:
    """Weighted Pearson correlations of the parameters."""
    x = frame[names].to_numpy(dtype=float)
    w = w / w.sum()
    mu = w @ x
    c = ((x - mu) * w[:, None]).T @ (x - mu)
    sd = np.sqrt(np.clip(np.diag(c), 1e-300, None))
    r = c / np.outer(sd, sd)
    r[np.diag(c) <= 1e-300] = np.nan
    return pd.DataFrame(r, index=names, columns=names)


def correlation_figure(corr: pd.DataFrame) -> Figure:
    """The weighted correlation matrix as a heat map, values written in."""
    n = len(corr)
    size = max(4.0, 0.45 * n + 2)
    fig = Figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(corr.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(n), corr.columns, rotation=90, fontsize=7)
    ax.set_yticks(range(n), corr.index, fontsize=7)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                v = float(corr.to_numpy()[i, j])
                if np.isfinite(v):
                    colour = "white" if abs(v) > 0.6 else "black"  # legible on dark cells
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color=colour)
    ax.set_xlabel("parameter")
    ax.set_ylabel("parameter")
    ax.set_title("Posterior correlations (weighted Pearson)", fontsize=10)
    fig.colorbar(im, ax=ax, label="correlation")
    return fig


def write_report(
    result: CalibrationResult,
    priors: dict[str, tuple[float, float, bool]],
    scenario_values: dict[str, float],
    holdout: dict[str, Any] | None = None,
    scores: pd.DataFrame | None = None,
    command: str = "",
) -> Path:
    """Figures into ``DIR/figures``, ``predictive.csv`` and ``report.md``; returns the report."""
    out = result.out
    figs = out / "figures"
    figs.mkdir(exist_ok=True)
    pred = predictive(result)
    atomic_write(out / "predictive.csv", lambda p: pred.to_csv(p, index=False))
    pattern_files = []
    for pattern, rows in pred.groupby("pattern", sort=False):
        name = f"predictive_{slug(str(pattern))}.png"
        predictive_figure(str(pattern), rows).savefig(figs / name, dpi=100)
        pattern_files.append((str(pattern), name, rows))
    marginals_figure(result, priors, scenario_values).savefig(figs / "marginals.png", dpi=100)
    names = list(priors)
    corr = weighted_corr(result.posterior, names, result.posterior["weight"].to_numpy())
    atomic_write(out / "correlations.csv", lambda p: corr.to_csv(p))
    correlation_figure(corr).savefig(figs / "correlations.png", dpi=100)

    meta = result.meta
    lines = [
        f"# Calibration {meta['name']}: scenario {meta['scenario']}, record "
        f"{meta['window']['start']} to {meta['window']['until']}",
        "",
        "Method: history matching with scikit-learn Gaussian-process emulators over "
        f"{meta['waves']} wave(s), then importance weights on the last wave's runs "
        "(docs/calibration.md). Nothing on or after 27 November 2024 is used.",
        "",
    ]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [
        f"- {meta['targets']} targets in {len(meta['patterns'])} patterns; "
        f"{len(names)} parameters; {meta['sets']} parameter sets in the posterior, effective "
        f"sample size {meta['effective_sample_size']:.1f}; {meta.get('not_ruled_out', 0)} of "
        f"them not ruled out by their runs (implausibility at most the cutoff"
        + (", in `not_ruled_out.csv`)." if meta.get("not_ruled_out") else ")."),
        f"- Errors (log(1 + x) scale): observation {meta['errors']['observation']}, "
        f"discrepancy {meta['errors']['discrepancy']}; seeds per set "
        f"{meta['seeds']['per_point']}, root {meta['seeds']['root']}.",
        "",
        "## Waves",
        "",
        "| wave | runs | failed | candidates | not ruled out | share | emulator R² | "
        "seconds | seconds per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w in result.waves:
        r2 = w.get("emulator_r2")
        lines.append(
            f"| {w['wave']} | {w['runs']} | {w['failed']} | {w.get('candidates') or '-'} | "
            f"{w.get('not_ruled_out') if w.get('not_ruled_out') is not None else '-'} | "
            f"{w['share']:.3f} | {'-' if r2 is None else f'{r2:.2f}'} | {w['seconds']:.1f} | "
            f"{w['run_seconds_mean']:.2f} |"
        )
    small = [
        w
        for w in result.waves
        if w.get("not_ruled_out") is not None
        and w["not_ruled_out"] < w["runs"] / max(1, meta["seeds"]["per_point"])
    ]
    if small:
        lines += [
            "",
            "Some waves had fewer sets not ruled out than points: they ran the least "
            "implausible candidates instead. The model may not reach every pattern with "
            "these parameters and priors (read the predictive figures).",
        ]
    lines += [
        "",
        "## Posterior",
        "",
        "| parameter | prior | scenario value | median | 5-95% |",
        "|---|---|---|---|---|",
    ]
    for n, s in meta["summary"].items():
        lines.append(
            f"| {n} | {_num(s['prior'][0])} to {_num(s['prior'][1])} | "
            f"{_num(s['scenario_value'])} | {_num(s['median'])} | "
            f"{_num(s['p05'])} to {_num(s['p95'])} |"
        )
    lines += [
        "",
        "![marginals](figures/marginals.png)",
        "",
        "![correlations](figures/correlations.png)",
        "",
        "## Posterior predictive, by pattern",
        "",
        "Share of targets whose observed value or range meets the model's 5-95% band.",
        "",
        "| pattern | targets | met |",
        "|---|---|---|",
    ]
    for pattern, _name, rows in pattern_files:
        lines.append(f"| {pattern} | {len(rows)} | {_met(rows):.2f} |")
    lines.append("")
    for pattern, name, _rows in pattern_files:
        lines += [f"![{pattern}](figures/{name})", ""]
    if holdout is not None:
        lines += ["## Rolling origin: prediction of the held-out years", ""]
        if holdout.get("targets", 0) == 0:
            lines += ["No held-out `match` target in the hold-out window.", ""]
        else:
            lines += [
                f"{holdout['targets']} held-out targets; the observed value lies in the model's "
                f"90% interval for {holdout['coverage_90']:.0%} of them.",
                "",
            ]
            if holdout.get("compared"):
                lines += [
                    "Mean CRPS on the log(1 + x) scale (lower is better) over the "
                    f"{holdout['compared']} targets with a history in the window:",
                    "",
                    "| forecast | mean CRPS |",
                    "|---|---|",
                    f"| model (posterior predictive) | {holdout['crps_model']:.3f} |",
                    f"| persistence | {holdout['crps_persistence']:.3f} |",
                    f"| linear trend | {holdout['crps_trend']:.3f} |",
                    "",
                ]
            else:
                lines += [
                    "No held-out target has a history in the window: no naive forecast "
                    "to compare with.",
                    "",
                ]
            lines += ["Per target: `holdout_scores.csv`.", ""]
    lines += [
        "## Using the posterior",
        "",
        "An experiment config draws its parameter sets from this ensemble:",
        "",
        "```toml",
        "[uncertainty]",
        f'posterior = "{(out / "posterior.csv").as_posix()}"',
        "draws = 20   # parameter sets per design point",
        "```",
        "",
    ]
    report = out / "report.md"
    atomic_write(report, lambda p: p.write_text("\n".join(lines)))
    return report


def _met(rows: pd.DataFrame) -> float:
    lo = rows["low"].where(rows["relation"] != "upper_bound", -np.inf)
    hi = rows["high"].where(rows["relation"] != "lower_bound", np.inf)
    ok = (rows["p95"] >= lo) & (rows["p05"] <= hi)
    return float(ok.mean()) if len(rows) else float("nan")


def _num(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def write_calibrated_values(meta: dict[str, Any], out: Path) -> Path:
    """``DIR/calibrated_parameters.toml``: each parameter's posterior median, ready for a scenario.

    Paste its tables over the scenario's (or apply them with ``--set``): each keeps the
    scenario's range and doc, and says where its value came from in ``source``.
    """
    lines = [
        f"# Posterior medians of calibration {meta['name']} (scenario {meta['scenario']}, record "
        f"{meta['window']['start']} to {meta['window']['until']}); 5-95% in the comments.",
        "# Replace `value` and `source` of these parameters in a scenario TOML.",
        "",
    ]
    ints = set(meta.get("integer_parameters", []))
    for name, s in meta["summary"].items():
        value = round(s["median"]) if name in ints else float(f"{s['median']:.6g}")
        lines += [
            f"[parameters.{name}]",
            f"value = {value}  # 5-95%: {s['p05']:.6g} to {s['p95']:.6g}; "
            f"was {s['scenario_value']:.6g}",
            f'source = "calibrated: posterior median of {meta["name"]} '
            f"(history matching to the record {meta['window']['start']} to "
            f'{meta["window"]["until"]}; docs/calibration.md)"',
            "",
        ]
    path = out / "calibrated_parameters.toml"
    atomic_write(path, lambda p: p.write_text("\n".join(lines)))
    return path
