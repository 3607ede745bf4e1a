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

**Like with like.** The runs go on past the scenario's 2019 horizon to 19 November 2024 (the
last full week before the record's cutoff), and every yearly row of the observed record that the
model has a counterpart for (``observed.tables.series()``: ISIS-attributed events, incidents and
deaths in Iraq and Syria, each source key one definition) is set beside the model's value in that
definition (the observation operator, ``observed.observation.counterparts``): ``record.csv``, one
row per observed year and series, and per series the years, Pearson's r, the median ratio and the
share of years within a factor of 2.
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
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from escalation_sim.observed import observation
from escalation_sim.validation.runs import seeded_runs

SCENARIO = "hindcast_2013"
#: Weeks from 1 January 2013 to 19 November 2024, the last full week before the record's cutoff.
RECORD_WEEKS = 620
#: The GTD comparisons end with the scenario's horizon.
LAST_GTD_YEAR = 2019
#: A yearly record row is "near" when the model's mean is within this factor of it.
NEAR_FACTOR = 2.0

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
    seeds: int, root: int = 0, progress: bool = False, weeks: int = RECORD_WEEKS
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the hindcast ``seeds`` times for ``weeks`` weeks.

    Returns the weekly series, the yearly sums and the record rows with the model's value in
    each row's definition (``observation.counterparts``; yearly rows with a counterpart only), of
    all runs. Every frame carries ``run`` (0..n-1) and ``seed`` (the run's own seed) on every row.
    """
    weekly, yearly, record = [], [], []
    runs = seeded_runs(seeds, root, SCENARIO, weeks, progress, "hindcast runs")
    for i, seed, result in runs:
        ts = result.timeseries.assign(run=i, seed=seed)
        weekly.append(ts)
        flows = ts[ts["week"] > 0]
        year = pd.to_datetime(flows["date"]).dt.year.rename("year")
        sums = flows.groupby(year)[list(YEARLY)].sum().reset_index()
        yearly.append(sums.assign(run=i, seed=seed))
        assert result.events is not None  # seeded_runs keeps the events
        rows = observation.counterparts(result.events, result.timeseries)
        rows = rows[(rows["period"] == "year") & ~rows["beyond_cutoff"] & rows["model"].notna()]
        record.append(rows.assign(run=i, seed=seed))
    return (
        pd.concat(weekly, ignore_index=True),
        pd.concat(yearly, ignore_index=True),
        pd.concat(record, ignore_index=True),
    )


def _band(grouped: Any) -> pd.DataFrame:
    """Mean and 5-95% over runs of each group of a grouped column."""
    return grouped.agg(mean="mean", p05=lambda x: x.quantile(0.05), p95=lambda x: x.quantile(0.95))


def _pearson(model: pd.Series, observed: pd.Series) -> float | None:
    """Pearson's r over three years or more, where both series vary; else ``None``."""
    if len(model) < 3 or not (model.std() > 0 and observed.std() > 0):
        return None
    return float(np.corrcoef(model, observed)[0, 1])


def compare_record(record: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model against each yearly record row, and a summary per series (module docstring).

    Returns ``(rows, series)``: per observed year and series, the model's mean and 5-95% over
    runs, the ratio of the mean to the observed value and whether it is within
    ``NEAR_FACTOR``; per series (source key, country, quantity, measure), its relation (match,
    lower or upper bound, shape), years, Pearson's r (three years or more), median ratio and
    share of years near.
    """
    keys = ["source_key", "country", "quantity", "measure", "relation", "operator"]
    record = record.assign(year=pd.to_datetime(record["start"]).dt.year)
    grouped = record.groupby([*keys, "year"], observed=True)
    rows = _band(grouped["model"])
    rows = rows.join(grouped["value"].first().rename("observed")).reset_index()
    rows["ratio"] = rows["mean"] / rows["observed"].where(rows["observed"] > 0)
    rows["near"] = rows["ratio"].between(1 / NEAR_FACTOR, NEAR_FACTOR)
    summary = []
    for key, g in rows.groupby(keys, observed=True):
        summary.append(
            {
                **dict(zip(keys, key, strict=True)),
                "years": f"{g['year'].min()}-{g['year'].max()}"
                if len(g) > 1
                else str(g["year"].iloc[0]),
                "n_years": len(g),
                "pearson_r": _pearson(g["mean"], g["observed"]),
                "ratio_median": float(g["ratio"].median()),
                "near_share": float(g["near"].mean()),
            }
        )
    return rows, pd.DataFrame(summary)


def compare(yearly: pd.DataFrame, obs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Model against observed, year by year, and the fit measures (module docstring)."""
    rows, fits = [], {}
    for name, (country, series) in COMPARISONS.items():
        column = name.removesuffix("_vs_civilians")
        stats = _band(yearly.groupby("year")[column])
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

    r = _pearson(both["mean"], both["observed"])
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


def hindcast_report(
    seeds: int, root: int, out: Path, progress: bool = False, weeks: int = RECORD_WEEKS
) -> dict[str, Any]:
    """Run, compare and write every output of ``escalation-sim validate hindcast``."""
    weekly, yearly, record = run_hindcast(seeds, root, progress, weeks)
    obs = observed()
    table, fits = compare(yearly[yearly["year"] <= LAST_GTD_YEAR], obs)
    rows, series = compare_record(record)
    summary = {
        "scenario": SCENARIO,
        "runs": seeds,
        "root_seed": root,
        "weeks": weeks,
        "fits": fits,
        "record": series.to_dict(orient="records"),
        "sources": sources(),
    }
    out.mkdir(parents=True, exist_ok=True)
    yearly.to_csv(out / "runs_yearly.csv", index=False)
    table.to_csv(out / "comparison.csv", index=False)
    rows.to_csv(out / "record.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (out / "summary.md").write_text(summary_markdown(summary, table, rows, series))
    hindcast_figure(weekly, table).savefig(out / "hindcast.png", dpi=110)
    return summary


def summary_markdown(
    summary: dict[str, Any], table: pd.DataFrame, rows: pd.DataFrame, series: pd.DataFrame
) -> str:
    """The comparisons as markdown tables."""
    lines = [
        f"# Hindcast from January 2013 ({summary['runs']} runs, root seed "
        f"{summary['root_seed']}, {summary['weeks']} weeks)",
        "",
        f"Against terrorism by all perpetrators (GTD/GTI) and IBC, 2013-{LAST_GTD_YEAR}:",
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
    if len(series):
        lines += _record_markdown(rows, series)
    return "\n".join(lines) + "\n"


def _record_markdown(rows: pd.DataFrame, series: pd.DataFrame) -> list[str]:
    lines = [
        "",
        "## Against the record, like with like (observation operator)",
        "",
        "Each observed yearly series (one source key, one definition) against the model's value "
        "in that definition; `relation` says how they may be compared (match: fit it; "
        "lower_bound: the record counts a subset, the model should be at or above; upper_bound: "
        f"the record counts more). Near: the model's mean within a factor of {NEAR_FACTOR:g}.",
        "",
        "| series | country | relation | years | Pearson r | median ratio model/observed "
        "| years near |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in series.to_dict(orient="records"):
        pearson = s["pearson_r"]
        r = "n/a" if pearson is None or np.isnan(float(pearson)) else f"{float(pearson):.2f}"
        lines.append(
            f"| {s['source_key']} {s['quantity']} ({s['measure']}) | {s['country']} | "
            f"{s['relation']} | {s['years']} | {r} | {s['ratio_median']:.2f} | "
            f"{s['near_share']:.0%} |"
        )
    lines += [
        "",
        "| series | country | year | model mean | model 5-95% | observed | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows.to_dict(orient="records"):
        ratio = "-" if np.isnan(float(row["ratio"])) else f"{float(row['ratio']):.2f}"
        lines.append(
            f"| {row['source_key']} {row['quantity']} | {row['country']} | {row['year']} | "
            f"{row['mean']:,.0f} | {row['p05']:,.0f}-{row['p95']:,.0f} | "
            f"{row['observed']:,.0f} | {ratio} |"
        )
    return lines


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
        ax.set_ylabel("fighters" if "fighters" in title else "attacks per week")
        ax.set_xlabel("date")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
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
        ax.set_ylabel("deaths per year" if "Deaths" in title else "attacks per year")
        ax.set_xlabel("year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig
