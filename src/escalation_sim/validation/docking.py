"""The Epstein docking report: one run's outbursts and the legitimacy contrast, with figures.

``escalation-sim validate epstein`` calls ``docking_report``; it writes ``actives.csv``,
``outbursts.csv``, ``legitimacy.csv``, ``summary.json``, ``summary.md``, ``actives.png`` and
``legitimacy.png``.

The legitimacy contrast follows Epstein's Figs. 9 and 10 ("large legitimacy reduction in small
increments" against "small legitimacy reduction in one jump, t = 77"). The paper's values for
those runs could not be checked, so the levels here are our own choice (``LegitimacyContrast``),
run twice: with the run's J_max and with jail terms longer than the run ("life").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from escalation_sim.validation.epstein import (
    OUTBURST_LEVEL,
    EpsteinParams,
    gradual_decline,
    outburst_summary,
    outbursts,
    params_dict,
    run_epstein,
    sudden_drop,
)

#: What the paper shows, in words (figure captions of Epstein 2002; no numbers taken from it).
PAPER = {
    "punctuated_equilibrium": "Figs. 3-4: long quiet stretches punctuated by outbursts of "
    "activity that persist over long runs (Run 2 inputs)",
    "waiting_times": "Fig. 5: a distribution of waiting times between outbursts",
    "total_activation": "Fig. 7: a distribution of total activation per outburst",
    "legitimacy": "Figs. 9-10: a large legitimacy reduction in small increments brings no "
    "outburst; a small reduction in one jump (t = 77) does",
}


@dataclass(frozen=True)
class LegitimacyContrast:
    """Levels of the gradual-decline and sudden-drop runs (our choice; see module docstring)."""

    start: float = 0.9
    gradual_to: float = 0.6
    gradual_from_tick: int = 50
    gradual_until_tick: int = 350
    sudden_to: float = 0.8
    sudden_at: int = 77


def docking_report(
    params: EpsteinParams,
    ticks: int,
    seed: int,
    out: Path,
    run: int | None = None,
    contrast: LegitimacyContrast | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run Model I and the legitimacy contrast, write every output, return the summary."""
    contrast = contrast or LegitimacyContrast()
    counts = run_epstein(params, ticks, seed=seed, progress=progress)
    table = outbursts(counts)
    legit = legitimacy_runs(params, ticks, seed, contrast)
    summary = {
        "run": run,
        "seed": seed,
        "ticks": ticks,
        "params": params_dict(params),
        "outbursts": outburst_summary(counts),
        "legitimacy_contrast": {
            "levels": asdict(contrast),
            "results": _contrast_results(legit),
        },
        "paper": PAPER,
    }
    out.mkdir(parents=True, exist_ok=True)
    counts[["tick", "active", "jailed", "quiet"]].to_csv(out / "actives.csv", index=False)
    table.to_csv(out / "outbursts.csv", index=False)
    legit.to_csv(out / "legitimacy.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    (out / "summary.md").write_text(summary_markdown(summary))
    actives_figure(counts, params).savefig(out / "actives.png", dpi=110)
    legitimacy_figure(legit, contrast).savefig(out / "legitimacy.png", dpi=110)
    return summary


def legitimacy_runs(
    params: EpsteinParams, ticks: int, seed: int, contrast: LegitimacyContrast
) -> pd.DataFrame:
    """Gradual decline and sudden drop, each with the run's J_max and with life terms."""
    frames = []
    jails = {"run": params.j_max, "life": max(params.j_max, ticks + 1)}
    schedules = {
        "gradual": gradual_decline(
            contrast.start,
            contrast.gradual_to,
            contrast.gradual_from_tick,
            contrast.gradual_until_tick,
        ),
        "sudden": sudden_drop(contrast.start, contrast.sudden_to, contrast.sudden_at),
    }
    for jail, j_max in jails.items():
        for name, schedule in schedules.items():
            counts = run_epstein(replace(params, j_max=j_max), ticks, seed, legitimacy=schedule)
            frames.append(counts.assign(schedule=name, jail=jail, j_max=j_max))
    return pd.concat(frames, ignore_index=True)


def _contrast_results(legit: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for (jail, name), counts in legit.groupby(["jail", "schedule"], sort=False):
        table = outbursts(counts)
        rows.append(
            {
                "schedule": name,
                "jail": jail,
                "j_max": int(counts["j_max"].iloc[0]),
                "legitimacy_end": float(counts["legitimacy"].iloc[-1]),
                "outbursts": len(table),
                "first_outburst_tick": int(table["start"].iloc[0]) if len(table) else None,
                "max_actives": int(counts["active"].max()),
            }
        )
    return rows


def summary_markdown(summary: dict[str, Any]) -> str:
    """The summary as a short markdown report."""
    p, o = summary["params"], summary["outbursts"]

    def fmt(stats: dict[str, float | None]) -> str:
        if stats["mean"] is None:
            return "n/a"
        return (
            f"mean {stats['mean']:.1f}, median {stats['median']:.1f}, "
            f"range {stats['min']:.0f}-{stats['max']:.0f}"
        )

    lines = [
        f"# Epstein (2002) Model I, run {summary['run']}, arrest rule `{p['rule']}`",
        "",
        f"Seed {summary['seed']}, {summary['ticks']} ticks, {p['width']}x{p['height']} torus, "
        f"vision {p['vision']} ({p['shape']}), legitimacy {p['legitimacy']}, J_max {p['j_max']}, "
        f"agent density {p['agent_density']}, cop density {p['cop_density']}, "
        f"threshold {p['threshold']}, k {p['k']:.1f}.",
        "",
        f"| outbursts (> {o['level']} actives) | waiting time (ticks) | peak actives | "
        "total activation | duration (ticks) |",
        "|---|---|---|---|---|",
        f"| {o['outbursts']} | {fmt(o['waiting_time'])} | {fmt(o['peak_actives'])} | "
        f"{fmt(o['total_activation'])} | {fmt(o['duration'])} |",
        "",
        f"Most actives in one tick: {o['max_actives']}; mean actives outside outbursts: "
        + (
            f"{o['actives_between_outbursts_mean']:.1f}."
            if o["actives_between_outbursts_mean"] is not None
            else "n/a."
        ),
        "",
        "## Legitimacy: gradual decline against a sudden drop",
        "",
        "| schedule | jail terms | J_max | legitimacy at the end | outbursts | first at tick | "
        "most actives |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in summary["legitimacy_contrast"]["results"]:
        first = r["first_outburst_tick"] if r["first_outburst_tick"] is not None else "-"
        lines.append(
            f"| {r['schedule']} | {r['jail']} | {r['j_max']} | {r['legitimacy_end']:.2f} | "
            f"{r['outbursts']} | {first} | {r['max_actives']} |"
        )
    lines += ["", "## What the paper shows (figure captions)", ""]
    lines += [f"- {text}" for text in summary["paper"].values()]
    return "\n".join(lines) + "\n"


def actives_figure(counts: pd.DataFrame, params: EpsteinParams) -> Figure:
    """Actives and jailed agents over time, with the outburst level."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(counts["tick"], counts["active"], color="#C44E52", lw=1.0, label="active")
    ax.plot(counts["tick"], counts["jailed"], color="#555555", lw=1.0, label="jailed")
    ax.axhline(OUTBURST_LEVEL, color="#C44E52", ls=":", lw=1, label=f"{OUTBURST_LEVEL} actives")
    ax.set_xlabel("tick")
    ax.set_ylabel("agents")
    ax.set_title(
        f"Epstein Model I, arrest rule '{params.rule}' (legitimacy {params.legitimacy}, "
        f"J_max {params.j_max}, vision {params.vision} {params.shape})",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    return fig


def legitimacy_figure(legit: pd.DataFrame, contrast: LegitimacyContrast) -> Figure:
    """Actives under a gradual decline and a sudden drop, with the run's and life jail terms."""
    fig = Figure(figsize=(11, 6), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True, sharey=True)
    for i, jail in enumerate(["run", "life"]):
        for j, name in enumerate(["gradual", "sudden"]):
            ax = axes[i, j]
            d = legit[(legit["jail"] == jail) & (legit["schedule"] == name)]
            ax.plot(d["tick"], d["active"], color="#C44E52", lw=1.0, label="active")
            ax.axhline(OUTBURST_LEVEL, color="#C44E52", ls=":", lw=1)
            twin = ax.twinx()
            twin.plot(d["tick"], d["legitimacy"], color="#4C72B0", lw=1.2, label="legitimacy")
            twin.set_ylim(0.5, 1.0)
            if j == 1:
                twin.set_ylabel("legitimacy", color="#4C72B0")
            else:
                twin.set_yticklabels([])
            what = (
                f"gradual {contrast.start} -> {contrast.gradual_to}"
                if name == "gradual"
                else f"sudden {contrast.start} -> {contrast.sudden_to} at t={contrast.sudden_at}"
            )
            ax.set_title(f"{what}; J_max {int(d['j_max'].iloc[0])}", fontsize=9)
            ax.grid(alpha=0.3)
            if j == 0:
                ax.set_ylabel("active agents")
            if i == 1:
                ax.set_xlabel("tick")
    return fig
