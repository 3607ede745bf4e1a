"""The report of a sweep: ``summary.csv``, ``effects.csv``, figures and ``report.md``.

``report.md`` is meant to be read by someone who did not run the sweep: it states the design, the
seeds, the horizon and what every interval means, shows the headline numbers as tables and embeds
the figures (``figures/*.png``). Every file is written atomically, so a report interrupted half
way leaves the previous one's files whole.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from escalation_sim.experiments import adaptive, plots
from escalation_sim.experiments.brief import brief, seeds_text
from escalation_sim.experiments.design import DesignPoint
from escalation_sim.experiments.html import markdown_to_html
from escalation_sim.experiments.store import atomic_write

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment
    from escalation_sim.experiments.results import SweepResults

#: Rows of a table in report.md before it is cut (the CSV files hold everything).
MAX_TABLE_ROWS = 30
#: Outcomes with a column in the effects table of report.md.
MAX_EFFECT_OUTCOMES = 4


def write_report(results: SweepResults, out: Path) -> list[Path]:
    """Write the report files into ``out``; return their paths."""
    exp = results.experiment
    out.mkdir(parents=True, exist_ok=True)
    figdir = out / "figures"
    figdir.mkdir(exist_ok=True)
    summary = results.summary()
    effects = results.effects()
    indices = results.sensitivity()
    written = [
        _csv(summary, out / "summary.csv"),
        _csv(effects, out / "effects.csv"),
    ]
    if indices is not None:
        written.append(_csv(indices, out / "indices.csv"))
    figures: list[tuple[str, str, str]] = []  # (file, title, caption)

    def save(fig: Figure, name: str, title: str, caption: str, listed: bool = True) -> None:
        path = figdir / name
        atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
        written.append(path)
        if listed:  # else the section that drew it embeds it (figure_lines)
            figures.append((f"figures/{name}", title, caption))

    conf = f"{exp.config.analysis.confidence:.0%}"
    params = exp.design.parameters
    if params and not summary.empty:
        save(
            plots.response_figure(summary, exp),
            "response.png",
            "Response to the design parameters",
            f"Mean of each outcome over the seeds of each design point; shaded band: its {conf} "
            "confidence interval (for probabilities, the Wilson interval). The star is the "
            "baseline.",
        )
    if _crossed(exp):
        save(
            plots.heatmap_figure(summary, exp),
            "heatmap.png",
            f"{params[0]} x {params[1]}",
            "Mean of each outcome at every combination of the two levers (probabilities in %).",
        )
    if not effects.empty and effects["point_id"].nunique() <= 60:
        save(
            plots.effects_figure(effects, exp, list(exp.config.outcomes[:MAX_EFFECT_OUTCOMES])),
            "effects.png",
            "Effects against the baseline",
            f"Difference between each point and the baseline with its {conf} interval; red where "
            "the interval excludes zero.",
        )
    chosen = chosen_points(exp, summary)
    columns = list(exp.config.report.timeseries)
    ts = results.timeseries(
        points=[p.point_id for p in chosen], columns=["point_id", "date", *columns]
    )
    if not ts.empty:
        save(
            plots.timeseries_figure(ts, exp, chosen, columns),
            "timeseries.png",
            "Weekly outcomes at chosen points",
            "Line: mean over the seeds; band: 10th to 90th percentile of the runs (where single "
            "runs fall, not a confidence interval).",
        )
    base_runs = results.ok[results.ok["point_id"] == exp.design.baseline.point_id]
    if len(base_runs) > 1:
        save(
            distribution_figure(base_runs, exp),
            "baseline_distribution.png",
            "Spread of outcomes at the baseline",
            "Histogram of each outcome over the baseline's runs (one run per seed).",
        )
    for kind, rows in [] if indices is None else indices.groupby("method", sort=False):
        save(
            plots.indices_figure(rows.dropna(axis=1, how="all"), exp),
            f"{kind}.png",
            "Sobol indices" if kind == "sobol" else "Morris screening",
            "First-order (S1) and total (ST) Sobol indices of the mean over seeds"
            if kind == "sobol"
            else "mu*: mean absolute elementary effect (importance); sigma: its spread "
            "(interactions or non-linearity)",
        )
    from escalation_sim.experiments.brief import contrasts_frame

    table = contrasts_frame(results.runs, exp)
    if not table.empty:
        written.append(_csv(table, out / "contrasts.csv"))
    extra: list[str] = []
    for section in (
        _resurgence_section,
        _robustness_section,
        _survival_section,
        _discovery_section,
    ):
        extra += section(results, out, save, written)
    text = render_markdown(results, summary, effects, indices, figures, extra)
    written.append(atomic_write(out / "report.md", lambda p: p.write_text(text)))
    page = markdown_to_html(text, out, title=exp.config.title or exp.name)
    written.append(atomic_write(out / "report.html", lambda p: p.write_text(page)))
    return written


Saver = Callable[..., None]


def figure_lines(name: str, title: str, caption: str) -> list[str]:
    """Markdown embedding ``figures/NAME`` under a heading, with its caption."""
    return [f"### {title}", "", f"![{title}](figures/{name})", "", caption, ""]


def _resurgence_section(
    results: SweepResults, out: Path, save: Saver, written: list[Path]
) -> list[str]:
    """P(resurgence against the record) by threshold multiple, beside the sustained multiples."""
    from escalation_sim.experiments import resurgence

    runs = results.ok
    if not resurgence.has_columns(runs):
        return []
    exp = results.experiment
    conf = exp.config.analysis.confidence
    points = chosen_points(exp, results.summary())
    groups = {p.point_id: p.label() for p in points}
    table = resurgence.curves(runs, groups, confidence=conf)
    written.append(_csv(table, out / "resurgence_curve.csv"))
    title = "P(resurgence) by threshold"
    caption = (
        f"Left: P(isis_resurgence_record) at each threshold multiple of the record's 2024 level "
        f"(band: {conf:.0%} Wilson interval) for the chosen points; right: each run's highest "
        "sustained attacks a week in Iraq as a multiple of 2024 (box: quartiles). Dashed: the "
        "scenario's resurgence_record_multiple."
    )
    chosen = resurgence.parameter(exp, "resurgence_record_multiple")
    sel = runs[runs["point_id"].isin(list(groups))]
    save(resurgence.figure(table, sel, chosen), "resurgence_threshold.png", title, caption, False)
    return [
        *resurgence.section_lines(table, f"{conf:.0%}"),
        *figure_lines("resurgence_threshold.png", title, caption),
    ]


def _robustness_section(
    results: SweepResults, out: Path, save: Saver, written: list[Path]
) -> list[str]:
    """Regret and satisficing of the lever settings, for a config with ``[robustness]``."""
    if results.experiment.config.robustness is None:
        return []
    from escalation_sim.experiments import robustness

    table = robustness.analyse(results.runs, results.experiment)
    written.append(_csv(table, out / "robustness.csv"))
    caption = (
        "Left: the largest regret of each lever setting over the states of the world (how much "
        "higher its probability of resurgence is than the best setting's in the worst world "
        "for it); right: the share of the states of the world where it keeps the probability "
        "at or below the target. Bars: bootstrap intervals over seeds."
    )
    title = "Regret and satisficing of each lever setting"
    save(robustness.figure(table, results.experiment), "robustness.png", title, caption, False)
    return [
        *robustness.section(table, results.experiment),
        *figure_lines("robustness.png", title, caption),
    ]


def _survival_section(
    results: SweepResults, out: Path, save: Saver, written: list[Path]
) -> list[str]:
    """Kaplan-Meier curves of the times to events, per lever setting."""
    from escalation_sim.experiments import survival

    events = survival.event_times(results)
    if events.empty:
        return []
    curves = survival.curves(events, results.experiment)
    written.append(_csv(curves, out / "survival.csv"))
    lines = survival.section(curves, results.experiment)
    title = "Time to events"
    caption = (
        "Share of runs in which the event has not yet happened, week by week (Kaplan-Meier, "
        "runs without the event censored at the horizon); band: its pointwise interval."
    )
    shown, idle = survival.drawn_events(curves)
    if shown:
        save(survival.figure(curves, results.experiment), "survival.png", title, caption, False)
        lines += figure_lines("survival.png", title, caption)
    else:
        lines += [
            f"No curve to draw: {', '.join(idle)}: in no run, or in every run from week 0.",
            "",
        ]
    rungs = survival.rung_shares(results)
    if not rungs.empty:
        written.append(_csv(rungs, out / "rungs.csv"))
        title = "Rung of the escalation ladder by week"
        caption = "Share of the runs on each rung of the escalation ladder in each week."
        save(survival.rungs_figure(rungs, results.experiment), "rungs.png", title, caption, False)
        lines += figure_lines("rungs.png", title, caption)
    return lines


def _discovery_section(
    results: SweepResults, out: Path, save: Saver, written: list[Path]
) -> list[str]:
    """The section of a scenario discovery run earlier (``escalation-sim discover``)."""
    from escalation_sim.experiments import discovery

    return discovery.report_section(out)


def chosen_points(exp: Experiment, summary: pd.DataFrame) -> list[DesignPoint]:
    """Points drawn as time-series bands: the config's, or the baseline and the extremes."""
    design = exp.design
    if exp.config.report.points:
        found = [design.find(v) for v in exp.config.report.points]
        return _dedupe([design.baseline, *[p for p in found if p is not None]])
    extremes: list[DesignPoint] = []
    if design.sampler == "grid" and design.levels:
        lo = {k: v[0] for k, v in design.levels.items()}
        hi = {k: v[-1] for k, v in design.levels.items()}
        names = list(design.levels)
        corners = [lo, hi]
        if len(names) == 2:
            corners = [
                lo,
                {names[0]: hi[names[0]], names[1]: lo[names[1]]},
                {names[0]: lo[names[0]], names[1]: hi[names[1]]},
                hi,
            ]
        extremes = [p for p in (design.find(c) for c in corners) if p is not None]
    elif design.parameters and not summary.empty:
        s = summary[(summary["outcome"] == exp.config.outcomes[0]) & summary["in_design"]]
        s = s.dropna(subset=["mean"])
        if not s.empty:
            ids = [
                s.loc[_label(s["mean"].idxmin()), "point_id"],
                s.loc[_label(s["mean"].idxmax()), "point_id"],
            ]
            extremes = [design.point(i) for i in ids]
    return _dedupe([design.baseline, *extremes])[:5]


def distribution_figure(runs: pd.DataFrame, exp: Experiment) -> Figure:
    """Histograms of the summarised outcomes over the baseline's runs (zero ones left out)."""
    everything = list(exp.config.outcomes)
    zero = [
        o
        for o in everything
        if o != "isis_resurgence" and not (runs[o].dropna().astype(float) != 0).any()
    ]
    outcomes = [o for o in everything if o not in zero] or everything[:1]
    fig = Figure(figsize=(13, 2.6 * math.ceil(len(outcomes) / 4) + 0.8), layout="constrained")
    axes = fig.subplots(math.ceil(len(outcomes) / 4), 4, squeeze=False).ravel()
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    for ax, outcome in zip(axes, outcomes, strict=False):
        values = runs[outcome].dropna().astype(float)
        if outcome == "isis_resurgence":
            k = int(values.sum())
            ax.bar(["no", "yes"], [len(values) - k, k], color=["#4C72B0", "#C44E52"])
            ax.set_xlabel("resurgence", fontsize=7)
        else:
            ax.hist(values, bins=min(20, max(5, len(values) // 3)), color="#4C72B0")
            ax.axvline(values.mean(), color="k", lw=1, label="mean")
            ax.set_xlabel(plots.outcome_unit(outcome), fontsize=7)
            plots.value_axis(ax, outcome, "x")
        ax.set_ylabel("runs", fontsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(plots.outcome_label(outcome), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        f"Baseline ({exp.design.baseline.label()}): {len(runs)} runs" + plots.zero_note(zero)
    )
    return fig


# ---------------------------------------------------------------------------------------------
# markdown


def render_markdown(
    results: SweepResults,
    summary: pd.DataFrame,
    effects: pd.DataFrame,
    indices: pd.DataFrame | None,
    figures: list[tuple[str, str, str]],
    extra: list[str] | None = None,
) -> str:
    """The text of ``report.md``: the brief first, then the experiment and its numbers."""
    exp = results.experiment
    c = exp.config
    conf = f"{c.analysis.confidence:.0%}"
    runs = results.runs
    n_failed = int((runs["status"] != "ok").sum())
    lines: list[str] = [f"# {c.title or c.name}", ""]
    if c.description:
        lines += [" ".join(c.description.split()), ""]
    version = results.manifest.get("versions", {}).get("escalation-sim", "?")
    lines += [
        f"_Report of the sweep in `{results.path}`, made "
        f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by escalation-sim {version} from "
        f"`{exp.source}` (config hash `{results.manifest['config_hash'][:12]}`)._",
        "",
    ]
    if not results.complete:
        lines += [
            f"> **Incomplete sweep:** {len(runs)} of {exp.runs_total} runs are stored. The "
            "figures below use what is there; rerun the sweep command to finish it.",
            "",
        ]
    lines += brief(runs, exp, summary)
    lines += ["## The experiment", "", "| | |", "|---|---|"]
    for key, value in _experiment_rows(results, n_failed):
        lines.append(f"| {key} | {value} |")
    lines.append("")

    lines += _headline(exp, summary, effects, conf)
    for path, title, caption in figures:
        lines += [f"### {title}", "", f"![{title}]({path})", "", caption, ""]
    lines += _effects_section(exp, effects, conf)
    if indices is not None:
        lines += _indices_section(exp, indices, conf)
    lines += extra or []
    if n_failed:
        lines += _failures_section(results)
    lines += _reading_section(exp, conf)
    lines += _files_section(results)
    return "\n".join(lines) + "\n"


def _experiment_rows(results: SweepResults, n_failed: int) -> list[tuple[str, str]]:
    exp = results.experiment
    c, d, s = exp.config, exp.design, exp.config.seeds
    meta = exp.scenario.meta
    end = meta.start_date + dt.timedelta(weeks=exp.weeks)
    rows = [
        ("scenario", f"`{meta.name}`: {meta.title}"),
        ("horizon", f"{exp.weeks} weeks, {meta.start_date} to {end}"),
        ("design", _design_text(exp)),
        ("baseline", _baseline_text(exp)),
        (
            "seeds",
            f"{s.per_point} per point"
            + (", then adaptive (replication, below)" if exp.seed_plan is not None else "")
            + f" from root seed {s.root} "
            "(`numpy.random.SeedSequence(root).spawn`); "
            + (
                "common random numbers: seed *i* is the same at every point, so comparisons "
                "between points are paired"
                if s.common
                else "each point has its own seeds"
            ),
        ),
        (
            "fixed overrides",
            ", ".join(f"`{k} = {_fmt(v)}`" for k, v in c.overrides.items()) or "none",
        ),
        (
            "runs",
            f"{len(results.runs)} stored of {exp.runs_total} "
            f"({len(d.points)} points x {seeds_text(exp)} seeds); {n_failed} failed",
        ),
        *(
            [("replication", text)]
            if (text := adaptive.describe(exp, results.runs, results.manifest))
            else []
        ),
        *_provenance_rows(results.manifest),
    ]
    return rows


def _provenance_rows(manifest: dict) -> list[tuple[str, str]]:
    """Where the runs came from: the scenario file and its hash, the commit, the versions."""
    prov = manifest.get("provenance")
    if not prov:
        return []
    scen = prov.get("scenario") or {}
    rows = []
    if scen.get("path"):
        rows.append(("scenario file", f"`{scen['path']}` (sha256 `{scen['sha256'][:16]}`)"))
    commit = prov.get("git_commit")
    rows.append(
        (
            "code",
            "not a git checkout"
            if commit is None
            else f"git commit `{commit[:12]}`"
            + (" with uncommitted changes" if prov.get("git_dirty") else ""),
        )
    )
    versions = prov.get("versions") or {}
    rows.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    return rows


def _design_text(exp: Experiment) -> str:
    d = exp.design
    if d.sampler == "none":
        return "none: the baseline alone (the scenario with the fixed overrides)"
    if d.sampler == "grid":
        parts = [
            f"`{k}` ({len(v)} levels: {', '.join(_fmt(x) for x in v)})" for k, v in d.levels.items()
        ]
        return f"full grid over {' x '.join(parts)}: {len(d.rows)} points"
    problem = d.problem
    assert problem is not None  # every sampler but grid and none has one
    bounds = ", ".join(
        f"`{n}` in [{_fmt(lo)}, {_fmt(hi)}]"
        for n, (lo, hi) in zip(problem["names"], problem["bounds"], strict=True)
    )
    what = {
        "lhs": f"Latin hypercube of {d.settings.get('samples_n')} samples",
        "sobol": f"Sobol (Saltelli) design, N = {d.settings.get('samples_n')}, "
        f"{'with' if d.settings.get('second_order') else 'without'} second-order terms"
        + (
            f", plus Morris screening ({d.screening.settings.get('trajectories')} trajectories, "
            f"{len(d.screening.rows)} samples)"
            if d.screening is not None
            else ""
        ),
        "morris": f"Morris design, {d.settings.get('trajectories')} trajectories on "
        f"{d.settings.get('morris_levels')} levels",
    }[d.sampler]
    ints = [n for n, dom in exp.domains.items() if dom.kind == "int"]
    note = f"; integer parameters rounded ({', '.join(ints)})" if ints else ""
    return (
        f"{what} over {bounds} (SALib, seed {d.settings.get('seed')}): {len(d.rows)} samples, "
        f"{sum(p.in_design for p in d.points)} distinct points{note}"
    )


def _baseline_text(exp: Experiment) -> str:
    b = exp.design.baseline
    where = "a point of the design" if b.in_design else "run as an extra point"
    return f"{b.label()} ({where}); effects are differences from it"


def _headline(
    exp: Experiment, summary: pd.DataFrame, effects: pd.DataFrame, conf: str
) -> list[str]:
    out = ["## Headline", ""]
    first = (
        "isis_resurgence" if "isis_resurgence" in exp.config.outcomes else exp.config.outcomes[0]
    )
    s = summary[summary["outcome"] == first].sort_values("point")
    e = effects[effects["outcome"] == first].set_index("point_id")
    name = plots.outcome_label(first)
    base = s[s["is_baseline"]].iloc[0] if s["is_baseline"].any() else None
    if base is not None:
        out += [
            f"At the baseline ({exp.design.baseline.label()}), **{name}** is "
            f"**{_num(first, base['mean'])}** ({conf} CI {_ci(first, base)}, {base['n']} runs).",
            "",
        ]
    valid = s.dropna(subset=["mean"])
    if len(s) > 1 and not valid.empty:
        hi = valid.loc[_label(valid["mean"].idxmax())]
        lo = valid.loc[_label(valid["mean"].idxmin())]
        out += [
            f"Across the design it ranges from {_num(first, lo['mean'])} "
            f"{_at(valid, lo)} to {_num(first, hi['mean'])} {_at(valid, hi)}.",
            "",
            f"| point | {name} ({conf} CI) | difference from baseline ({conf} CI) | runs |",
            "|---|---|---|---|",
        ]
        for _, row in _cut(s).iterrows():
            diff = "baseline" if row["is_baseline"] else "n/a"
            if row["point_id"] in e.index:
                er = e.loc[row["point_id"]]
                star = " *" if er["excludes_zero"] else ""
                diff = f"{_num(first, er['effect'], signed=True)} {_ci(first, er)}{star}"
            out.append(
                f"| {row['label']} | {_num(first, row['mean'])} {_ci(first, row)} | "
                f"{diff} | {row['n']} |"
            )
        if len(s) > MAX_TABLE_ROWS:
            out.append(f"| ... {len(s) - MAX_TABLE_ROWS} more in summary.csv | | | |")
        out += ["", "\\* the interval excludes zero.", ""]
    return out


def _effects_section(exp: Experiment, effects: pd.DataFrame, conf: str) -> list[str]:
    if effects.empty:
        return []
    outcomes = [o for o in exp.config.outcomes if o != "isis_resurgence"][:MAX_EFFECT_OUTCOMES]
    if not outcomes:
        return []
    out = [
        "## Effects on other outcomes",
        "",
        f"Difference from the baseline ({conf} CI); \\* where the interval excludes zero. All "
        "outcomes are in `effects.csv`.",
        "",
        "| point | " + " | ".join(plots.outcome_label(o) for o in outcomes) + " |",
        "|---|" + "---|" * len(outcomes),
    ]
    table = effects[effects["outcome"].isin(outcomes)]
    points = table.drop_duplicates("point_id").sort_values("point")
    for _, p in _cut(points).iterrows():
        cells = []
        for o in outcomes:
            r = table[(table["point_id"] == p["point_id"]) & (table["outcome"] == o)]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            star = " *" if r["excludes_zero"] else ""
            cells.append(f"{_num(o, r['effect'], signed=True)} {_ci(o, r)}{star}")
        out.append(f"| {p['label']} | " + " | ".join(cells) + " |")
    if len(points) > MAX_TABLE_ROWS:
        out.append(f"| ... {len(points) - MAX_TABLE_ROWS} more in effects.csv |")
    return [*out, ""]


def _indices_section(exp: Experiment, indices: pd.DataFrame, conf: str) -> list[str]:
    out = ["## Sensitivity indices", ""]
    sobol = indices[indices["method"] == "sobol"]
    morris = indices[indices["method"] == "morris"]
    if len(sobol):
        out += [
            f"Sobol indices of the mean over seeds ({conf} bootstrap intervals from SALib). "
            "S1: share of the variance due to the parameter alone; ST: including its "
            "interactions. Estimates near zero can come out slightly negative.",
            "",
            "| outcome | parameter | S1 | ST |",
            "|---|---|---|---|",
        ]
        for _, r in sobol.iterrows():
            out.append(
                f"| {r['outcome']} | `{r['parameter']}` | {r['S1']:.3f} ± {r['S1_conf']:.3f} | "
                f"{r['ST']:.3f} ± {r['ST_conf']:.3f} |"
            )
        out.append("")
    if len(morris):
        out += [
            "Morris screening of the mean over seeds. mu*: mean absolute elementary effect "
            f"(importance, {conf} bootstrap interval); sigma: spread of the effects "
            "(interactions or non-linearity).",
            "",
            "| outcome | parameter | mu* | sigma |",
            "|---|---|---|---|",
        ]
        for _, r in morris.iterrows():
            out.append(
                f"| {r['outcome']} | `{r['parameter']}` | {number(r['mu_star'])} ± "
                f"{number(r['mu_star_conf'])} | {number(r['sigma'])} |"
            )
    return [*out, ""]


def _failures_section(results: SweepResults) -> list[str]:
    failed = results.failed
    out = [
        "## Failed runs",
        "",
        f"{len(failed)} runs raised an error; they are recorded in `runs/` (`status = error`) "
        "and left out of every number above.",
        "",
        "| point | seed index | seed | error |",
        "|---|---|---|---|",
    ]
    design = results.experiment.design
    for _, r in failed.head(10).iterrows():
        out.append(
            f"| {design.point(r['point_id']).label()} | {r['seed_index']} | {r['seed']} | "
            f"{str(r['error']).replace('|', '/')} |"
        )
    return [*out, ""]


def _reading_section(exp: Experiment, conf: str) -> list[str]:
    a = exp.config.analysis
    seed = exp.analysis_seed
    paired = exp.config.seeds.common
    return [
        "## How to read the numbers",
        "",
        f"- Each mean is over the runs of one design point, one run per seed. Intervals are "
        f"{conf} confidence intervals for that mean: they say how precisely "
        f"{seeds_text(exp)} seeds pin down the **model's** expected outcome at those "
        "parameter values. They do not cover uncertainty in the model's assumptions or in the "
        "world; for that, vary the assumptions (other sweeps).",
        f"- Numeric outcomes: bias-corrected and accelerated (BCa) bootstrap over seeds, "
        f"{a.resamples} resamples from a generator seeded with {seed}, so the report is "
        "reproducible; where every run gives the same value the interval is that value.",
        "- Probabilities (ISIS resurgence): Wilson score interval, which stays meaningful at "
        "0% or 100%. Differences of probabilities: Newcombe's hybrid score interval.",
        "- Differences of numeric outcomes: "
        + (
            "runs share seeds across points (common random numbers), so the interval is a "
            "bootstrap of the per-seed differences (paired)."
            if paired
            else "points have independent seeds, so the interval is a two-sample bootstrap."
        ),
        "- Many comparisons are shown: even with no real effect, about "
        f"{1 - a.confidence:.0%} of intervals would exclude zero by chance.",
        f"- **ISIS resurgence** holds when, in some week, ISIS holds at least "
        f"{_param(exp, 'resurgence_regions')} Iraqi region(s), or its attacks in Iraq average "
        f"at least {_param(exp, 'resurgence_attacks')} a week over "
        f"{_param(exp, 'resurgence_weeks')} consecutive weeks (parameters `resurgence_regions`, "
        "`resurgence_attacks`, `resurgence_weeks`; see `escalation-sim params`).",
        "",
    ]


def _files_section(results: SweepResults) -> list[str]:
    exp = results.experiment
    s = exp.config.seeds
    return [
        "## Files",
        "",
        '- `runs/`: one row per run (Parquet dataset: `pandas.read_parquet(DIR / "runs")`): '
        "`point_id`, `seed_index`, `seed`, the point's values, `status`, `error`, every "
        "run-level outcome, `seconds`.",
        "- `timeseries/`: one row per run and week: `point_id`, `seed_index`, `seed`, `week`, "
        "`date`, every weekly outcome.",
        "- `design.csv`: the design points; `manifest.json`: the resolved config, its hash and "
        "the scenario.",
        "- `summary.csv`: per point and outcome, `n`, `mean`, `ci_low`, `ci_high`, `std`, "
        "`method`. `effects.csv`: per point and outcome, `effect` against the baseline with "
        "`ci_low`, `ci_high`, `excludes_zero`."
        + (
            " `indices.csv`: sensitivity indices."
            if exp.design.sampler in ("sobol", "morris")
            else ""
        ),
        "- `contrasts.csv`: the brief's contrasts; `survival.csv`: the Kaplan-Meier curves; "
        "`rungs.csv`: the share of runs on each rung by week"
        + ("; `robustness.csv`: regret and satisficing" if exp.config.robustness else "")
        + "; `discovery/`: scenario discovery (`escalation-sim discover`).",
        "- `report.html`: this report as one page, figures embedded (opens offline).",
        "",
        "Reproduce with:",
        "",
        "```sh",
        f"escalation-sim sweep {exp.source} --seeds {s.per_point} --weeks {exp.weeks} "
        + _adaptive_flags(exp)
        + f"--out {results.path}",
        "```",
    ]


# ---------------------------------------------------------------------------------------------
# helpers


def _adaptive_flags(exp: Experiment) -> str:
    rep = exp.config.replication
    if rep is None or rep.precision is None:
        return ""
    return f"--precision {rep.precision:g} --max-seeds {rep.max_seeds} "


def _param(exp: Experiment, name: str):
    """A parameter's value in this experiment (fixed override, else the scenario's)."""
    if name in exp.config.overrides:
        return _fmt(exp.config.overrides[name])
    prm = exp.scenario.parameters.get(name)
    return "?" if prm is None else _fmt(prm.value)


def _crossed(exp: Experiment) -> bool:
    d = exp.design
    return (
        d.sampler == "grid"
        and len(d.parameters) == 2
        and all(len(v) > 1 for v in d.levels.values())
    )


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda p: frame.to_csv(p, index=False, float_format="%.6g"))


def _dedupe(points: list[DesignPoint]) -> list[DesignPoint]:
    seen, out = set(), []
    for p in points:
        if p.point_id not in seen:
            seen.add(p.point_id)
            out.append(p)
    return out


def _cut(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.head(MAX_TABLE_ROWS)


def _at(frame: pd.DataFrame, row) -> str:
    """``(at <point>)``, or ``(7 points, e.g. <point>)`` when several share the value."""
    ties = int((frame["mean"] == row["mean"]).sum())
    return f"(at {row['label']})" if ties == 1 else f"({ties} points, e.g. {row['label']})"


def _num(outcome: str, value: float, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if outcome == "isis_resurgence":
        return f"{_pp(value)} pp" if signed else f"{value:.0%}"
    return number(value, signed)


def number(value: float, signed: bool = False) -> str:
    """A number as report.md prints it: thousands separators, never scientific notation."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    v = float(value)
    sign = "+" if signed else ""
    if abs(v) >= 100:
        return f"{v:{sign},.0f}"
    if abs(v) >= 10:
        return f"{v:{sign},.1f}"
    if abs(v) >= 0.01 or v == 0:
        return f"{v:{sign}.2f}"
    return f"{v:{sign}.4f}"


def _pp(share: float) -> str:
    """A difference of probabilities in percentage points; 0.4 stays 0.4, not 0."""
    v = share * 100
    return f"{v:+.1g}" if 0 < abs(v) < 1 else f"{v:+.0f}"


def _ci(outcome: str, row) -> str:
    lo, hi = row["ci_low"], row["ci_high"]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "[n/a]"
    if outcome == "isis_resurgence":
        if "effect" in row.index:
            return f"[{_pp(lo)}, {_pp(hi)} pp]"
        return f"[{lo:.0%}, {hi:.0%}]"
    signed = "effect" in row.index
    return f"[{number(lo, signed)}, {number(hi, signed)}]"


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1000 else number(v)
    return str(v)


def _label(label: object) -> Any:
    """An index label from ``idxmin``/``idxmax``, typed for ``.loc`` (pandas-stubs: Hashable)."""
    return cast(Any, label)
