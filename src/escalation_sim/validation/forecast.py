"""The pre-registered 2025-2026 forecast: ``history_dec2024`` over many seeds.

Runs the ``history_dec2024`` scenario (the default plus what was known on 15 December 2024) once
per seed of ``SeedSequence(root).spawn(n)`` and summarises each calendar year of ``YEARS``:

- ISIS attacks and deaths in Iraq and in Syria through the observation operator
  (``escalation_sim.observed``): ``incidents`` counts every model ISIS attack (as reported-incident
  series do), ``ged`` the attacks with at least one death (as UCDP GED counts events), ``deaths``
  the deaths in all of them. An attack is in the year of its date (the end of its model week).
- ISIS fighters in Iraq and in Syria and Iraqi militia fighters in Syria at the year's end (the
  last week dated on or before 31 December) and at their peak in the year.
- The most Iraqi regions ISIS held in any week of the year (and towns, when the run reports
  ``isis_towns_iraq``).
- Launches at Israel from Iraq and Israeli strikes on Iraq in the year.
- P(resurgence) over 2025-2026: ``isis_resurgence`` (the scenario's old definition) and
  ``isis_resurgence_record`` (against the record: ``outcomes.record_resurgence``), both on the
  weeks dated in the forecast years, and the curve of the record-based one against its multiple.

Each quantity gets its median, 50% and 90% intervals over runs (a probability gets its share
and a Wilson 90% interval). ``forecast_report`` writes ``runs.csv`` (one row a run and year),
``runs_resurgence.csv`` (one row a run), ``forecast.csv``, ``resurgence_curve.csv``,
``forecast.json`` (the table, the curve and the provenance), ``resurgence_threshold.png`` and
``forecast.md``
and, with ``write_validation``, replaces the marked section of ``docs/VALIDATION.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation_sim import observed, outcomes
from escalation_sim.experiments import resurgence
from escalation_sim.scenario.schema import Scenario
from escalation_sim.validation.runs import seeded_runs

SCENARIO = "history_dec2024"
YEARS = (2025, 2026)
MARK_BEGIN = "<!-- BEGIN forecast (escalation-sim validate forecast --write-validation) -->"
MARK_END = "<!-- END forecast -->"
#: Threshold multiples of the record's 2024 level the resurgence curve is drawn at.
CURVE_MULTIPLES = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)

#: Quantity -> (description, unit). Order is the table's.
QUANTITIES: dict[str, tuple[str, str]] = {
    "isis_attacks_iraq_incidents": ("ISIS attacks in Iraq, all (incidents operator)", "attacks"),
    "isis_attacks_iraq_ged": ("ISIS attacks in Iraq with >= 1 death (GED-like)", "events"),
    "isis_deaths_iraq": ("killed in ISIS attacks in Iraq (deaths operator)", "deaths"),
    "isis_attacks_syria_incidents": ("ISIS attacks in Syria, all (incidents)", "attacks"),
    "isis_attacks_syria_ged": ("ISIS attacks in Syria with >= 1 death (GED-like)", "events"),
    "isis_deaths_syria": ("killed in ISIS attacks in Syria (deaths)", "deaths"),
    "isis_fighters_iraq_end": ("ISIS fighters in Iraq, 31 December", "fighters"),
    "isis_fighters_syria_end": ("ISIS fighters in Syria, 31 December", "fighters"),
    "isis_regions_iraq_max": ("most Iraqi regions ISIS held in a week", "regions"),
    "isis_towns_iraq_max": ("most Iraqi towns ISIS held in a week", "towns"),
    "militia_fighters_syria_end": ("Iraqi militia fighters in Syria, 31 December", "fighters"),
    "militia_fighters_syria_peak": ("Iraqi militia fighters in Syria, peak week", "fighters"),
    "militia_launches": ("launches at Israel from Iraq", "launches"),
    "israeli_strikes_iraq": ("Israeli strikes on Iraqi territory", "strikes"),
}

# ------------------------------------------------------------------------- the scenario's rules

#: Parameters the forecast scenario may not set (the model produces these itself): the Iraqi
#: militias' moves, Iran's choices, ISIS's strength and attacks, Israel's strikes.
FORBIDDEN_PREFIXES = (
    "iran_",
    "israel_",
    "isis_",
    "militia_",
    "launch_",
    "shrine_",
    "recruit",
    "attack_",
    "decap_",
    "ct_",
    "iraq_restraint",
)
FORBIDDEN_PARAMETERS = frozenset(
    {
        "regime_threat_weight",
        "sunni_tilt_weight",
        "affinity_weight",
        "outbidding",
        "pottery_factor",
        "us_restraint",
        "strike_casualty_share",
        "deaths_alpha",
        "sectarian_targeting",
        "coalition_ct_bonus",
        "cohesion_recovery",
        "chaos_isis_boost",
        "sunni_tilt_motivation",
        "rival_absorption",
        "detainee_rejoin_share",
        "camp_recruit_rate",
        "supply_cohesion_gain",
        "air_supply_share",
        "air_interdiction",
        "us_interdiction",
        "campaign_strikes",
    }
)


def forbidden_parameter(name: str) -> bool:
    """True for a parameter the forecast scenario must leave to the model."""
    return name in FORBIDDEN_PARAMETERS or name.startswith(FORBIDDEN_PREFIXES)


def forbidden_entries(doc: Mapping[str, Any], base: Scenario) -> list[str]:
    """What a forecast scenario's own file (parsed TOML ``doc``) sets that the model must produce.

    Checks the file's ``[parameters]`` and ``[[timeline]]`` (not the base's): no forbidden
    parameter (``forbidden_parameter``), no unit of ISIS, Iran, Israel or a militia changed or
    added, no region handed to ISIS. ``base`` gives the actors' roles and kinds.
    """
    roles = dict(base.roles)
    kinds = {a.id: a.kind for a in base.actors}
    units = {u.id: u.actor for u in base.units}
    barred = {roles["isis"], roles["iran"], roles["israel"]}
    barred |= {a for a, k in kinds.items() if k == "militia"}
    problems = [
        f"parameters.{name}: left to the model"
        for name in doc.get("parameters", {})
        if forbidden_parameter(name)
    ]
    for i, entry in enumerate(doc.get("timeline", [])):
        at, action = f"timeline[{i}]", entry.get("action")
        if action == "set_parameter" and forbidden_parameter(str(entry.get("parameter"))):
            problems.append(f"{at}: sets {entry.get('parameter')}, left to the model")
        if action == "set_unit" and units.get(str(entry.get("unit"))) in barred:
            problems.append(f"{at}: changes unit {entry.get('unit')} of a barred actor")
        if action == "add_unit" and (entry.get("add") or {}).get("actor") in barred:
            problems.append(f"{at}: adds a unit of {entry['add']['actor']}")
        if action == "set_controller" and entry.get("controller") == roles["isis"]:
            problems.append(f"{at}: hands {entry.get('region')} to ISIS")
    return problems


def check_scenario() -> None:
    """Refuse to forecast from a ``history_dec2024`` that sets what the model must produce."""
    import tomllib

    from escalation_sim.errors import ConfigError
    from escalation_sim.scenario.loader import load_scenario, resolve_scenario_path

    path = resolve_scenario_path(SCENARIO)
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    base = load_scenario(doc["meta"].get("extends") or SCENARIO)
    problems = forbidden_entries(doc, base)
    if problems:
        raise ConfigError(path, None, "; ".join(problems))


# ------------------------------------------------------------------------------------ the runs


def year_rows(
    ts: pd.DataFrame, events: pd.DataFrame, years: tuple[int, ...] = YEARS
) -> list[dict[str, Any]]:
    """One row per forecast year of one run: every quantity of ``QUANTITIES``."""
    attacks = observed.model_attacks(events)
    dates = pd.to_datetime(ts["date"])
    rows = []
    for year in years:
        start, end = pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-31")
        weeks = ts[(ts["week"] > 0) & (dates >= start) & (dates <= end)]
        row: dict[str, Any] = {"year": year}
        for country, tag in (("IRQ", "iraq"), ("SYR", "syria")):
            for op, name in (
                ("incidents", f"isis_attacks_{tag}_incidents"),
                ("ged", f"isis_attacks_{tag}_ged"),
                ("deaths", f"isis_deaths_{tag}"),
            ):
                row[name] = observed.operate(op, attacks, ts, (country,), start, end)
        last = weeks.iloc[-1] if len(weeks) else None
        for col in ("isis_fighters_iraq", "isis_fighters_syria", "militia_fighters_syria"):
            row[f"{col}_end"] = float(last[col]) if last is not None else np.nan
        row["militia_fighters_syria_peak"] = float(weeks["militia_fighters_syria"].max())
        row["isis_regions_iraq_max"] = float(weeks["isis_regions_iraq"].max())
        row["isis_towns_iraq_max"] = (
            float(weeks["isis_towns_iraq"].max()) if "isis_towns_iraq" in weeks else np.nan
        )
        row["militia_launches"] = float(weeks["militia_launches"].sum())
        row["israeli_strikes_iraq"] = float(weeks["israeli_strikes_iraq"].sum())
        rows.append(row)
    return rows


def forecast_window(ts: pd.DataFrame, years: tuple[int, ...] = YEARS) -> pd.DataFrame:
    """The weeks of a run dated in the forecast years."""
    dates = pd.to_datetime(ts["date"])
    keep = (ts["week"] > 0) & (dates.dt.year >= min(years)) & (dates.dt.year <= max(years))
    return ts[keep].reset_index(drop=True)


def run_forecast(
    seeds: int, root: int = 0, progress: bool = False, weeks: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Run the scenario; return the yearly rows, the per-run resurgence rows and the parameters.

    ``weeks`` shortens the runs (the tests' tiny size); by default the scenario's 110.
    """
    rows, runs = [], []
    params: dict[str, Any] = {}
    for i, seed, result in seeded_runs(seeds, root, SCENARIO, weeks, progress, "forecast runs"):
        assert result.events is not None  # seeded_runs keeps the events
        params = result.parameters
        rows += [{**r, "run": i, "seed": seed} for r in year_rows(result.timeseries, result.events)]
        window = forecast_window(result.timeseries)
        record = (
            outcomes.record_resurgence(window, params)
            if len(window)
            else outcomes.record_resurgence(result.timeseries.iloc[:0], params)
        )
        old = outcomes.resurgence_week(window, params) if len(window) else None
        runs.append({"run": i, "seed": seed, "isis_resurgence": old is not None, **record})
    return pd.DataFrame(rows), pd.DataFrame(runs), params


def quantiles(values: pd.Series) -> dict[str, float | None]:
    """Median and the 50% and 90% central intervals (None when every value is missing)."""
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return dict.fromkeys(("median", "p25", "p75", "p05", "p95"))
    q = np.quantile(v, [0.5, 0.25, 0.75, 0.05, 0.95])
    return dict(zip(("median", "p25", "p75", "p05", "p95"), (float(x) for x in q), strict=True))


def summarise(yearly: pd.DataFrame, runs: pd.DataFrame) -> dict[str, Any]:
    """The forecast table (quantity x year) and the probabilities with Wilson 90% intervals."""
    from escalation_sim.experiments.analysis import wilson_interval

    table = []
    for name, (what, unit) in QUANTITIES.items():
        for year in YEARS:
            values = yearly.loc[yearly["year"] == year, name] if name in yearly else pd.Series()
            table.append(
                {"quantity": name, "description": what, "unit": unit, "year": year}
                | quantiles(values)
            )
    n = len(runs)
    probs = {}
    for name in ("isis_resurgence", "isis_resurgence_record", "isis_territory_iraq"):
        k = int(runs[name].sum()) if n else 0
        lo, hi = wilson_interval(k, n, 0.90) if n else (np.nan, np.nan)
        probs[name] = {"p": k / n if n else None, "p05": lo, "p95": hi, "runs": n}
    curve = resurgence.curve(runs, CURVE_MULTIPLES, 0.90) if n else pd.DataFrame()
    rows = curve.rename(columns={"low": "p05", "high": "p95"}).to_dict("records")
    return {"table": table, "probabilities": probs, "curve": rows}


# ---------------------------------------------------------------------------------- the report


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.1f}".rstrip("0").rstrip(".") if x else "0"


def forecast_markdown(summary: dict[str, Any]) -> str:
    """The forecast as markdown: the table, the probabilities and the curve."""
    m = summary["meta"]
    lines = [
        f"Forecast of `{m['scenario']}` for {YEARS[0]}-{YEARS[-1]}: {m['runs']} runs, root seed "
        f"{m['root_seed']}, {m['weeks']} weeks from {m['start_date']}; code "
        f"{(m['provenance']['git_commit'] or 'unknown')[:10]}"
        + (" (uncommitted changes)" if m["provenance"]["git_dirty"] else "")
        + f". Record's 2024 level in Iraq: {m['record_level_iraq']:.2f} attacks a week "
        f"({outcomes.RECORD_LEVEL_KEY}, incidents operator).",
        "",
        "| quantity | year | median | 50% interval | 90% interval |",
        "|---|---|---|---|---|",
    ]
    for row in summary["table"]:
        if row["median"] is None:
            continue
        lines.append(
            f"| {row['description']} | {row['year']} | {_fmt(row['median'])} | "
            f"{_fmt(row['p25'])}-{_fmt(row['p75'])} | {_fmt(row['p05'])}-{_fmt(row['p95'])} |"
        )
    lines += ["", "| over 2025-2026 | P | 90% interval (Wilson) |", "|---|---|---|"]
    for name, p in summary["probabilities"].items():
        lines.append(f"| `{name}` | {p['p']:.2f} | {p['p05']:.2f}-{p['p95']:.2f} |")
    lines += [
        "",
        "P(`isis_resurgence_record`) by threshold multiple of the 2024 level (sustained over "
        f"{m['resurgence_record_weeks']} weeks, or territory):",
        "",
        "| multiple | " + " | ".join(f"{c['multiple']:g}" for c in summary["curve"]) + " |",
        "|---|" + "---|" * len(summary["curve"]),
        "| P | " + " | ".join(f"{c['p']:.2f}" for c in summary["curve"]) + " |",
        "| 90% | " + " | ".join(f"{c['p05']:.2f}-{c['p95']:.2f}" for c in summary["curve"]) + " |",
    ]
    return "\n".join(lines) + "\n"


def replace_section(text: str, section: str) -> str:
    """``text`` with the part between the forecast markers replaced (appended when absent)."""
    block = f"{MARK_BEGIN}\n{section.rstrip()}\n{MARK_END}"
    pattern = re.compile(re.escape(MARK_BEGIN) + r".*?" + re.escape(MARK_END), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip() + "\n\n" + block + "\n"


def forecast_report(
    seeds: int,
    root: int,
    out: Path,
    progress: bool = False,
    weeks: int | None = None,
    validation: Path | None = None,
) -> dict[str, Any]:
    """Run, summarise and write every output of ``escalation-sim validate forecast``."""
    from escalation_sim.provenance import provenance, scenario_record
    from escalation_sim.run import write_atomic
    from escalation_sim.scenario.loader import load_scenario, resolve_scenario_path

    check_scenario()
    spec = load_scenario(SCENARIO)
    yearly, runs, params = run_forecast(seeds, root, progress, weeks)
    summary = summarise(yearly, runs)
    path = resolve_scenario_path(SCENARIO)
    prov = provenance(path)
    if spec.meta.extends:
        prov["base_scenario"] = scenario_record(resolve_scenario_path(spec.meta.extends))
    summary["meta"] = {
        "scenario": SCENARIO,
        "runs": seeds,
        "root_seed": root,
        "weeks": int(weeks if weeks is not None else spec.meta.weeks),
        "start_date": str(spec.meta.start_date),
        "years": list(YEARS),
        "record_level_iraq": outcomes.record_level_iraq(),
        "record_level_key": outcomes.RECORD_LEVEL_KEY,
        "resurgence_record_multiple": params.get("resurgence_record_multiple"),
        "resurgence_record_weeks": params.get("resurgence_record_weeks"),
        "operators": {
            "incidents": "every model ISIS attack (reported-incident series)",
            "ged": "model ISIS attacks with at least one death (UCDP GED events)",
            "deaths": "deaths in every model ISIS attack",
        },
        "provenance": prov,
    }
    out.mkdir(parents=True, exist_ok=True)
    yearly.to_csv(out / "runs.csv", index=False)
    runs.to_csv(out / "runs_resurgence.csv", index=False)
    pd.DataFrame(summary["table"]).to_csv(out / "forecast.csv", index=False)
    pd.DataFrame(summary["curve"]).to_csv(out / "resurgence_curve.csv", index=False)
    (out / "forecast.json").write_text(json.dumps(summary, indent=2, default=str))
    curve = pd.DataFrame(summary["curve"]).rename(columns={"p05": "low", "p95": "high"})
    if len(curve):
        fig = resurgence.figure(
            curve,
            runs,
            params.get("resurgence_record_multiple"),
            f"{SCENARIO}: P(resurgence) over {YEARS[0]}-{YEARS[-1]}, {seeds} runs",
        )
        fig.savefig(out / "resurgence_threshold.png", dpi=110)
    md = forecast_markdown(summary)
    (out / "forecast.md").write_text(md)
    if validation is not None:
        text = replace_section(validation.read_text(encoding="utf-8"), md)
        write_atomic(validation, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return summary
