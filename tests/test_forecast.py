"""The pre-registered forecast (issue 12 items 6-7): history_dec2024, validate forecast, and
resurgence against the record."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from escalation_sim import observed, outcomes
from escalation_sim.cli import main
from escalation_sim.errors import ConfigError
from escalation_sim.run import run
from escalation_sim.scenario.loader import load_scenario, parse_scenario, resolve_scenario_path
from escalation_sim.validation import forecast

KNOWN_BY = dt.date(2024, 12, 15)


def _doc() -> dict:
    return tomllib.loads(resolve_scenario_path("history_dec2024").read_text(encoding="utf-8"))


def test_history_extends_the_default_and_holds_only_its_differences():
    base, hist = load_scenario("iraq_syria_2024"), load_scenario("history_dec2024")
    assert hist.meta.extends == "iraq_syria_2024" and hist.meta.start_date == base.meta.start_date
    assert hist.regions == base.regions and hist.units == base.units and hist.actors == base.actors
    assert {k: p.value for k, p in hist.parameters.items()} == {
        k: p.value for k, p in base.parameters.items()
    }, "the forecast scenario tunes no parameter"
    doc = _doc()
    assert set(doc) <= {"meta", "references", "parameters", "timeline"}
    # runs to the end of 2026
    assert hist.meta.start_date + dt.timedelta(weeks=hist.meta.weeks - 1) >= dt.date(2026, 12, 30)


def test_history_timeline_is_dated_sourced_and_at_the_right_week():
    hist = load_scenario("history_dec2024")
    assert hist.timeline, "the collapse is in the timeline"
    for entry in hist.timeline:
        assert entry.date is not None and entry.date <= KNOWN_BY, entry
        assert entry.source.strip(), entry
    collapse = [e for e in hist.timeline if e.parameter == "syria_collapse"]
    assert len(collapse) == 1 and collapse[0].value == 1.0
    assert collapse[0].date == dt.date(2024, 12, 8)
    assert hist.timeline_week(collapse[0]) == hist.parameters["syria_collapse_week"].value == 2
    guards = [e for e in hist.timeline if e.parameter == "collapse_guard_loss"]
    assert len(guards) == 1 and hist.timeline_week(guards[0]) == 2
    assert hist.timeline.index(guards[0]) < hist.timeline.index(collapse[0])  # before it strikes
    damascus = [e for e in hist.timeline if e.action == "set_controller" and e.region == "damascus"]
    assert len(damascus) == 1 and damascus[0].controller == hist.roles["hts"]


def test_history_timeline_never_sets_what_the_model_produces():
    doc = _doc()
    base = load_scenario("iraq_syria_2024")
    assert forecast.forbidden_entries(doc, base) == []
    roles = base.roles
    militias = {a.id for a in base.actors if a.kind == "militia"}
    barred_actors = militias | {roles["isis"], roles["iran"], roles["israel"]}
    unit_actor = {u.id: u.actor for u in base.units}
    for name in doc.get("parameters", {}):
        assert not forecast.forbidden_parameter(name), name
    for entry in doc["timeline"]:
        if entry["action"] == "set_parameter":
            name = entry["parameter"]
            assert not name.startswith(("militia", "iran", "isis", "israel", "launch")), name
            assert not forecast.forbidden_parameter(name), name
        if entry["action"] == "set_unit":
            assert unit_actor[entry["unit"]] not in barred_actors, entry
        if entry["action"] == "add_unit":
            assert entry["add"]["actor"] not in barred_actors, entry
        if entry["action"] == "set_controller":
            assert entry["controller"] != roles["isis"], entry


def test_forbidden_entries_are_found():
    base = load_scenario("iraq_syria_2024")
    bad = {
        "parameters": {"isis_cell_size": {}, "border_hardening": {}},
        "timeline": [
            {"action": "set_parameter", "parameter": "iran_supply", "value": 0.2},
            {"action": "set_parameter", "parameter": "israel_strike_rate", "value": 0.2},
            {"action": "set_parameter", "parameter": "launch_rate", "value": 0.2},
            {"action": "add_unit", "add": {"actor": "isis", "id": "x"}},
            {"action": "set_unit", "unit": next(u.id for u in base.units if u.actor == "kh")},
            {"action": "set_controller", "region": "mosul", "controller": "isis"},
            {"action": "set_parameter", "parameter": "syria_collapse", "value": 1.0},
        ],
    }
    problems = forecast.forbidden_entries(bad, base)
    assert len(problems) == 7, problems
    assert not any("syria_collapse" in p or "border_hardening" in p for p in problems)


def test_extends_merges_and_appends_the_timeline():
    text = """
[meta]
name = "mine"
title = "t"
extends = "hindcast_2013"

[parameters.border_hardening]
value = 0.9
min = 0.0
max = 1.0
doc = "the border, harder"
source = "assumption"

[[timeline]]
week = 3
action = "set_parameter"
parameter = "border_hardening"
value = 0.1
source = "assumption"
"""
    base = load_scenario("hindcast_2013")
    mine = parse_scenario(text, "mine.toml")
    assert mine.meta.start_date == base.meta.start_date and mine.meta.name == "mine"
    assert mine.parameters["border_hardening"].value == 0.9
    assert len(mine.timeline) == len(base.timeline) + 1
    assert mine.timeline[: len(base.timeline)] == base.timeline
    assert mine.timeline[-1].week == 3


@pytest.mark.parametrize("name", ['"nowhere"', '"mine"', '["iraq_syria_2024"]', "3"])
def test_extends_an_unknown_scenario_is_one_line(name):
    text = f'[meta]\nname = "mine"\ntitle = "t"\nextends = {name}\n'
    with pytest.raises(ConfigError) as err:
        parse_scenario(text, "mine.toml")
    msg = str(err.value)
    assert "meta.extends" in msg and "iraq_syria_2024" in msg and "\n" not in msg


def test_record_level_is_lister_before_the_cutoff():
    level = outcomes.record_level_iraq()
    assert level == pytest.approx(35 / (182 / 7))  # 35 attacks, 1 Jan - 30 Jun 2024
    assert observed.COMPARISONS[outcomes.RECORD_LEVEL_KEY].incidents == "incidents"


@pytest.fixture(scope="module")
def tiny_run():
    return run("history_dec2024", seed=3, weeks=60)


def test_weekly_attacks_are_the_incidents_operator(tiny_run):
    ts, events = tiny_run.timeseries, tiny_run.events
    attacks = observed.model_attacks(events)
    weekly = observed.weekly_counts(ts, ["isis_attacks_iraq"], "year").set_index("year")
    for year, row in weekly.iterrows():
        start, end = pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-31")
        assert observed.operate("incidents", attacks, ts, ("IRQ",), start, end) == float(
            row["isis_attacks_iraq"]
        )


def test_record_resurgence_outcomes(tiny_run):
    o, p, ts = tiny_run.outcomes, tiny_run.parameters, tiny_run.timeseries
    level = outcomes.record_level_iraq()
    sustained = outcomes.sustained_attacks(ts, int(p["resurgence_record_weeks"]))
    assert o["isis_attacks_iraq_sustained_max"] == pytest.approx(np.nanmax(sustained))
    assert o["isis_attacks_iraq_sustained_multiple"] == pytest.approx(
        o["isis_attacks_iraq_sustained_max"] / level
    )
    expect = o["isis_territory_iraq"] or (
        o["isis_attacks_iraq_sustained_multiple"] >= p["resurgence_record_multiple"]
    )
    assert o["isis_resurgence_record"] == expect
    # the old outcome keeps its meaning
    assert o["isis_resurgence"] == (outcomes.resurgence_week(ts, p) is not None)


def test_resurgence_curve_is_monotone_non_increasing():
    from escalation_sim.experiments import resurgence

    rng = np.random.default_rng(0)
    multiple = rng.lognormal(1.0, 0.7, 40)
    territory = rng.random(40) < 0.2
    runs = pd.DataFrame(
        {"isis_territory_iraq": territory, "isis_attacks_iraq_sustained_multiple": multiple}
    )
    thresholds = np.linspace(0.5, 12, 60)
    p = outcomes.resurgence_curve(territory, multiple, thresholds)
    assert (np.diff(p) <= 0).all() and p[0] > p[-1] >= territory.mean()
    table = resurgence.curve(runs)
    assert (np.diff(table["p"]) <= 0).all()
    assert ((table["low"] <= table["p"]) & (table["p"] <= table["high"])).all()


def test_forecast_command_tiny(tmp_path):
    md = tmp_path / "VALIDATION.md"
    md.write_text("# Validation\n\nbefore\n")
    out = tmp_path / "fc"
    args = ["validate", "forecast", "--seeds", "2", "--weeks", "60", "--out", str(out)]
    assert main([*args, "--quiet", "--write-validation", str(md)]) == 0
    for name in ("runs.csv", "forecast.csv", "forecast.json", "forecast.md"):
        assert (out / name).is_file(), name
    assert (out / "resurgence_threshold.png").read_bytes()[:4] == b"\x89PNG"
    data = json.loads((out / "forecast.json").read_text())
    prov = data["meta"]["provenance"]
    assert prov["scenario"]["sha256"] and prov["base_scenario"]["sha256"]
    table = pd.read_csv(out / "forecast.csv")
    y2025 = table[table["year"] == 2025].set_index("quantity")
    for q in ("isis_attacks_iraq_ged", "isis_attacks_syria_incidents", "militia_launches"):
        assert y2025.loc[q, "p05"] <= y2025.loc[q, "median"] <= y2025.loc[q, "p95"]
    runs = pd.read_csv(out / "runs.csv")
    assert (runs["isis_attacks_iraq_ged"] <= runs["isis_attacks_iraq_incidents"]).all()
    curve = pd.read_csv(out / "resurgence_curve.csv")
    assert (np.diff(curve["p"]) <= 0).all()
    text = md.read_text()
    assert text.count(forecast.MARK_BEGIN) == 1 and "before" in text
    assert main([*args, "--quiet", "--write-validation", str(md)]) == 0  # replaces, not appends
    again = md.read_text()
    assert again.count(forecast.MARK_BEGIN) == 1 and again.count(forecast.MARK_END) == 1


def test_forecast_write_validation_missing_file_is_one_line(tmp_path, capsys):
    code = main(
        [
            "validate",
            "forecast",
            "--seeds",
            "1",
            "--weeks",
            "2",
            "--out",
            str(tmp_path / "o"),
            "--write-validation",
            str(tmp_path / "none.md"),
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and "none.md" in err and "Traceback" not in err


def test_sweep_report_shows_resurgence_by_threshold(tmp_path):
    from sweep_helpers import write_config

    from escalation_sim.experiments import run_sweep

    cfg = write_config(tmp_path, weeks=3, seeds=2)
    out = tmp_path / "sweep"
    results = run_sweep(cfg, out, workers=1, progress=False)
    results.report(out)
    text = (out / "report.md").read_text()
    assert "## Resurgence against the record, by threshold" in text
    assert "figures/resurgence_threshold.png" in text
    assert (out / "figures" / "resurgence_threshold.png").read_bytes()[:4] == b"\x89PNG"
    curve = pd.read_csv(out / "resurgence_curve.csv")
    for _, c in curve.groupby("point_id"):
        assert (np.diff(c.sort_values("multiple")["p"]) <= 0).all()
