"""The 2013-2019 hindcast against the public record, year by year.

Runs the ``hindcast_2013`` scenario over several seeds (``numpy.random.SeedSequence(root)
.spawn(n)``), sums each run's weekly ISIS attacks and deaths in Iraq and in Syria by calendar
year, and sets them beside the observed yearly figures shipped in
``validation/data/observed_yearly.csv`` (citations in ``validation/data/sources.toml``; nothing is
downloaded). The observed figures count terrorism by all perpetrators (GTD via the Global
Terrorism Index) or civilian deaths by all perpetrators (Iraq Body Count), not ISIS alone: ISIS
was the main perpetrator in Iraq from 2014 on, so the ratios are indicative, and the shape (the
2014 peak, the 2018 collapse) matters more than the level.

Fit measures, per comparison: the model's mean and 5-95% range by year, the ratio of the mean to
the observed value, Pearson's correlation of the yearly series over the years both have, the
peak year of each, and whether each has "collapsed" by 2018 (2018 at most a quarter of its
peak).
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from escalation_sim.validation.runs import seeded_runs

SCENARIO = "hindcast_2013"

#: Model column -> observed (country, series) it is compared with.
COMPARISONS: dict[str, tuple[str, str]] = {
    "isis_deaths_iraq": ("IRQ", "terrorism_deaths"),
    "isis_attacks_iraq": ("IRQ", "terrorism_attacks"),
    "isis_deaths_iraq_vs_civilians": ("IRQ", "civilian_deaths"),
    "isis_deaths_syria": ("SYR", "terrorism_deaths"),
}
YEARLY = ("isis_attacks_iraq", "isis_deaths_iraq", "isis_attacks_syria", "isis_deaths_syria")
COLLAPSE_SHARE = 0.25


def observed() -> pd.DataFrame:
    """The observed yearly figures (``year``, ``country``, ``series``, ``value``, ``source``)."""
    data = resources.files("escalation_sim.validation") / "data" / "observed_yearly.csv"
    with resources.as_file(data) as path:
        return pd.read_csv(path)


def sources() -> dict[str, dict[str, str]]:
    """Citations of the observed figures, by key."""
    data = resources.files("escalation_sim.validation") / "data" / "sources.toml"
    return tomllib.loads(data.read_text())


def run_hindcast(
    seeds: int, root: int = 0, progress: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the hindcast ``seeds`` times; return the weekly series and the yearly sums of all runs.

    Both frames carry ``run`` (0..n-1) and ``seed`` (the run's own seed) on every row.
    """
    weekly, yearly = [], []
    for i, seed, result in seeded_runs(seeds, root, SCENARIO, None, progress, "hindcast runs"):
        ts = result.timeseries.assign(run=i, seed=seed)
        weekly.append(ts)
        flows = ts[ts["week"] > 0]
        year = pd.to_datetime(flows["date"]).dt.year.rename("year")
        sums = flows.groupby(year)[list(YEARLY)].sum().reset_index()
        yearly.append(sums.assign(run=i, seed=seed))
    return pd.concat(weekly, ignore_index=True), pd.concat(yearly, ignore_index=True)


def compare(yearly: pd.DataFrame, obs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Model against observed, year by year, and the fit measures (module docstring)."""
    rows, fits = [], {}
    for name, (country, series) in COMPARISONS.items():
        column = name.removesuffix("_vs_civilians")
        stats = yearly.groupby("year")[column].agg(
            mean="mean", p05=lambda x: x.quantile(0.05), p95=lambda x: x.quantile(0.95)
        )
        o = obs[(obs["country"] == country) & (obs["series"] == series)].set_index("year")
        table = stats.join(o[["value", "source"]].rename(columns={"value": "observed"}))
        table["ratio"] = table["mean"] / table["observed"]
        table = table.reset_index().assign(comparison=name, model=column, observed_series=series)
        rows.append(table)
        both = table.dropna(subset=["observed"])
        fits[name] = _fit(table, both)
    cols = ["comparison", "model", "observed_series", "year", "mean", "p05", "p95", "observed"]
    return pd.concat(rows, ignore_index=True)[[*cols, "ratio", "source"]], fits


def _fit(table: pd.DataFrame, both: pd.DataFrame) -> dict[str, Any]:
    def collapsed(years: pd.Series, values: pd.Series) -> bool | None:
        if 2018 not in set(years) or values.max() <= 0:
            return None
        return bool(values[years == 2018].iloc[0] <= COLLAPSE_SHARE * values.max())

    r = None
    if len(both) >= 3 and both["observed"].std() > 0 and both["mean"].std() > 0:
        r = float(np.corrcoef(both["mean"], both["observed"])[0, 1])
    model_peak = int(table.loc[cast(Any, table["mean"].idxmax()), "year"])
    # The record names a peak (and so a collapse from it) only if it has at least three years
    # and covers the model's peak year: otherwise the highest observed year says nothing about
    # whether the two peaks coincide (Iraq's attacks lack 2014-16; Syria has one year).
    peaked = len(both) >= 3 and model_peak in set(both["year"])
    return {
        "years_compared": [int(y) for y in both["year"]],
        "pearson_r": r,
        "ratio_by_year": {
            int(y): round(float(v), 3) for y, v in zip(both.year, both.ratio, strict=True)
        },
        "ratio_median": float(both["ratio"].median()) if len(both) else None,
        "model_peak_year": model_peak,
        "observed_peak_year": int(both.loc[cast(Any, both["observed"].idxmax()), "year"])
        if peaked
        else None,
        "model_collapsed_by_2018": collapsed(table["year"], table["mean"]),
        "observed_collapsed_by_2018": collapsed(both["year"], both["observed"]) if peaked else None,
    }


def hindcast_report(seeds: int, root: int, out: Path, progress: bool = False) -> dict[str, Any]:
    """Run, compare and write every output of ``escalation-sim validate hindcast``."""
    weekly, yearly = run_hindcast(seeds, root, progress)
    obs = observed()
    table, fits = compare(yearly, obs)
    summary = {
        "scenario": SCENARIO,
        "runs": seeds,
        "root_seed": root,
        "fits": fits,
        "sources": sources(),
    }
    out.mkdir(parents=True, exist_ok=True)
    yearly.to_csv(out / "runs_yearly.csv", index=False)
    table.to_csv(out / "comparison.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (out / "summary.md").write_text(summary_markdown(summary, table))
    hindcast_figure(weekly, table).savefig(out / "hindcast.png", dpi=110)
    return summary


def summary_markdown(summary: dict[str, Any], table: pd.DataFrame) -> str:
    """The comparison as markdown tables."""
    lines = [
        f"# Hindcast 2013-2019 ({summary['runs']} runs, root seed {summary['root_seed']})",
        "",
        "| comparison | years | Pearson r | median ratio model/observed | peak year "
        "(model / observed) | collapsed by 2018 (model / observed) |",
        "|---|---|---|---|---|---|",
    ]
    for name, f in summary["fits"].items():
        r = f"{f['pearson_r']:.2f}" if f["pearson_r"] is not None else "n/a"
        ratio = f"{f['ratio_median']:.2f}" if f["ratio_median"] is not None else "n/a"
        years = ", ".join(str(y) for y in f["years_compared"]) or "none"
        keys = ("observed_peak_year", "observed_collapsed_by_2018")
        observed = ["-" if f[k] is None else f[k] for k in keys]
        lines.append(
            f"| {name} | {years} | {r} | {ratio} | {f['model_peak_year']} / "
            f"{observed[0]} | {f['model_collapsed_by_2018']} / {observed[1]} |"
        )
    lines += ["", "| comparison | year | model mean | model 5-95% | observed | ratio |"]
    lines.append("|---|---|---|---|---|---|")
    for _, row in table.iterrows():
        obs = f"{row['observed']:.0f}" if pd.notna(row["observed"]) else "-"
        ratio = f"{row['ratio']:.2f}" if pd.notna(row["ratio"]) else "-"
        lines.append(
            f"| {row['comparison']} | {row['year']} | {row['mean']:.0f} | "
            f"{row['p05']:.0f}-{row['p95']:.0f} | {obs} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def hindcast_figure(weekly: pd.DataFrame, table: pd.DataFrame) -> Figure:
    """Weekly series with a 5-95% band, and yearly model against observed."""
    fig = Figure(figsize=(13, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    dates = pd.to_datetime(weekly.groupby("week")["date"].first())
    for ax, cols, title in (
        (axes[0, 0], ("isis_fighters_iraq", "isis_fighters_syria"), "ISIS fighters"),
        (axes[0, 1], ("isis_attacks_iraq", "isis_attacks_syria"), "ISIS attacks / week"),
    ):
        for col, colour in zip(cols, ("#C44E52", "#4C72B0"), strict=True):
            g = weekly.groupby("week")[col]
            ax.fill_between(dates, g.quantile(0.05), g.quantile(0.95), color=colour, alpha=0.2)
            ax.plot(dates, g.mean(), color=colour, lw=1.2, label=col.split("_")[-1].title())
        ax.set_title(f"{title} (mean, 5-95% over runs)", fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    for ax, name, title in (
        (axes[1, 0], "isis_deaths_iraq", "Deaths in Iraq a year"),
        (axes[1, 1], "isis_attacks_iraq", "Attacks in Iraq a year"),
    ):
        d = table[table["comparison"] == name]
        ax.errorbar(
            d["year"] - 0.1,
            d["mean"],
            yerr=[d["mean"] - d["p05"], d["p95"] - d["mean"]],
            fmt="o-",
            color="#C44E52",
            label="model: ISIS",
            capsize=3,
        )
        ax.plot(
            d["year"] + 0.1,
            d["observed"],
            "s",
            color="#222222",
            label="observed: terrorism, all perpetrators (GTD/GTI)",
        )
        if name == "isis_deaths_iraq":
            civ = table[table["comparison"] == "isis_deaths_iraq_vs_civilians"]
            ax.plot(
                civ["year"], civ["observed"], "^:", color="#777777", label="civilian deaths (IBC)"
            )
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig
