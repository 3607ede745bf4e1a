"""Heavy tails: deaths per ISIS attack, fitted by maximum likelihood with a KS-chosen cutoff.

Clauset, A., Shalizi, C. R. and Newman, M. E. J. (2009). Power-law distributions in empirical
data. SIAM Review 51, 661-703. https://doi.org/10.1137/070710111 — implemented by the
``powerlaw`` package (Alstott, Bullmore and Plenz 2014, PLoS ONE 9(1): e85777): for each
candidate x_min the discrete MLE of the exponent alpha is found, and the x_min whose fitted tail
is closest to the data in the Kolmogorov-Smirnov distance is kept. The standard error of alpha
is (alpha - 1) / sqrt(n_tail) (Clauset et al., eq. 3.2).

Bohorquez, J. C., Gourley, S., Dixon, A. R., Spagat, M. and Johnson, N. F. (2009). Common
ecology quantifies human insurgency. Nature 462, 911-914: the size distribution of insurgent
attacks follows a power law with exponent near 2.5.

Note: the model draws deaths per attack from a Lomax law whose tail exponent is the parameter
``deaths_alpha`` (2.5 by default, taken from Bohorquez et al.). The fit therefore checks that the
model delivers the tail it was given, after pooling regions and weeks and the cap at
``attack_deaths_max``; it is not independent evidence that the model explains the exponent.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from escalation_sim.errors import ConfigError
from escalation_sim.scenario.loader import DEFAULT_SCENARIO
from escalation_sim.validation.runs import seeded_runs

BOHORQUEZ_ALPHA = 2.5
#: Fewest distinct deaths-per-attack values a tail fit is attempted on.
MIN_DISTINCT_SIZES = 5


def fit_tail(sizes: np.ndarray, discrete: bool = True) -> dict[str, Any]:
    """Fit a power-law tail; return alpha, its standard error, x_min, n_tail, KS distance.

    Args:
        sizes: Event sizes (deaths per attack); values below 1 are dropped (no log of zero).
        discrete: Fit the discrete power law (integer sizes).
    """
    import powerlaw

    x = np.asarray(sizes, dtype=float)
    x = x[x >= 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(x, discrete=discrete, verbose=False)
        alpha = float(fit.power_law.alpha)
        n_tail = int((x >= fit.xmin).sum())
        r_exp, p_exp = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
    return {
        "alpha": alpha,
        "sigma": (alpha - 1) / np.sqrt(n_tail),
        "xmin": float(fit.xmin),
        "n_tail": n_tail,
        "n": len(x),
        "ks_distance": float(fit.power_law.D),
        "loglik_ratio_vs_exponential": float(r_exp),
        "p_vs_exponential": float(p_exp),
    }


def pooled_events(
    seeds: int,
    root: int = 0,
    scenario: str | None = None,
    weeks: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """ISIS attacks of ``seeds`` runs, pooled, with ``run`` and ``seed`` on every row."""
    frames = []
    for i, seed, result in seeded_runs(seeds, root, scenario, weeks, progress):
        ev = result.events
        assert ev is not None  # seeded_runs keeps the events
        ev = ev[(ev["actor"] == "isis") & (ev["kind"] == "attack")]
        frames.append(ev.assign(run=i, seed=seed))
    return pd.concat(frames, ignore_index=True)


def tails_report(
    seeds: int,
    root: int,
    out: Path,
    scenario: str | None = None,
    weeks: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Pool the attacks of many runs, fit the tail, write the outputs of ``validate tails``."""
    events = pooled_events(seeds, root, scenario, weeks, progress)
    deaths = events["deaths"].to_numpy() if len(events) else np.zeros(0)
    sizes = np.unique(deaths[deaths >= 1])
    if len(sizes) < MIN_DISTINCT_SIZES:
        raise ConfigError(
            "--seeds",
            None,
            f"{seeds} run(s) gave {int((deaths >= 1).sum())} deadly attacks of {len(sizes)} "
            f"distinct sizes; a tail fit needs at least {MIN_DISTINCT_SIZES} distinct sizes: "
            "give more --seeds or --weeks (the default 50 seeds give thousands)",
        )
    try:
        fit = fit_tail(deaths)
    except (ValueError, ZeroDivisionError) as exc:  # powerlaw's "no data points in range"...
        raise ConfigError(
            "--seeds",
            None,
            f"the tail fit failed on {len(sizes)} distinct sizes ({exc}); give "
            "more --seeds or --weeks",
        ) from None
    z = (fit["alpha"] - BOHORQUEZ_ALPHA) / fit["sigma"]
    summary = {
        "scenario": scenario or DEFAULT_SCENARIO,
        "runs": seeds,
        "root_seed": root,
        "attacks": len(events),
        "fit": fit,
        "bohorquez_2009_alpha": BOHORQUEZ_ALPHA,
        "z_vs_bohorquez": float(z),
    }
    out.mkdir(parents=True, exist_ok=True)
    events.to_parquet(out / "events_pooled.parquet", index=False)
    (out / "fit.json").write_text(json.dumps(summary, indent=2))
    (out / "fit.md").write_text(fit_markdown(summary))
    ccdf_figure(events["deaths"].to_numpy(), fit).savefig(out / "ccdf.png", dpi=110)
    return summary


def fit_markdown(summary: dict[str, Any]) -> str:
    """The fit as a markdown table."""
    f = summary["fit"]
    return (
        f"# Deaths per ISIS attack: tail fit ({summary['runs']} runs of {summary['scenario']}, "
        f"{summary['attacks']} attacks)\n\n"
        "| alpha | ± s.e. | x_min | attacks in the tail | KS distance | "
        "Bohorquez et al. 2009 | z |\n|---|---|---|---|---|---|---|\n"
        f"| {f['alpha']:.3f} | {f['sigma']:.3f} | {f['xmin']:.0f} | {f['n_tail']} | "
        f"{f['ks_distance']:.4f} | {summary['bohorquez_2009_alpha']} | "
        f"{summary['z_vs_bohorquez']:.2f} |\n\n"
        f"Power law against exponential: normalised log-likelihood ratio "
        f"{f['loglik_ratio_vs_exponential']:.2f} (p = {f['p_vs_exponential']:.3g}).\n"
    )


def ccdf_figure(sizes: np.ndarray, fit: dict[str, Any]) -> Figure:
    """Empirical CCDF of deaths per attack (log-log) with the fitted power-law tail."""
    x = np.sort(np.asarray(sizes, dtype=float)[np.asarray(sizes) >= 1])
    ccdf = 1.0 - np.arange(len(x)) / len(x)
    fig = Figure(figsize=(6.5, 4.8), layout="constrained")
    ax = fig.subplots()
    ax.loglog(x, ccdf, ".", ms=2, color="#4C72B0", label="model: P(deaths >= x)")
    xmin, alpha = fit["xmin"], fit["alpha"]
    tail = x[x >= xmin]
    share = len(tail) / len(x)
    grid = np.logspace(np.log10(xmin), np.log10(x.max()), 50)
    ax.loglog(
        grid,
        share * (grid / xmin) ** (1 - alpha),
        color="#C44E52",
        label=f"fit: alpha = {alpha:.2f} ± {fit['sigma']:.2f}, x_min = {xmin:.0f}",
    )
    ax.loglog(
        grid,
        share * (grid / xmin) ** (1 - BOHORQUEZ_ALPHA),
        ":",
        color="#222222",
        label=f"alpha = {BOHORQUEZ_ALPHA} (Bohorquez et al. 2009)",
    )
    ax.set_xlabel("deaths in one attack")
    ax.set_ylabel("CCDF")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig
