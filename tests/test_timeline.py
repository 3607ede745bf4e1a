"""The scenario timeline: validation against the file, application at the start of the week."""

import datetime as dt

import pytest
from conftest import with_timeline

from escalation_sim import ConfigError, EscalationModel, run


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        (
            {"week": 3, "action": "set_parameter", "parameter": "nope", "value": 1},
            "timeline[0].parameter",
            "unknown id",
        ),
        (
            {"week": 3, "action": "set_parameter", "parameter": "ct_rate", "value": 0.9},
            "timeline[0].value",
            "out of range",
        ),
        (
            {"week": 3, "action": "set_parameter", "parameter": "recruit_sample", "value": 50},
            "timeline[0].parameter",
            "read only",
        ),
        (
            {"week": 3, "action": "set_unit", "unit": "ghost", "strength": 5},
            "timeline[0].unit",
            "unknown id",
        ),
        (
            {"week": 3, "action": "set_unit", "unit": "isis_anbar", "strength": 5},
            "timeline[0].unit",
            "ISIS unit",
        ),
        ({"week": 3, "action": "set_unit", "unit": "peshmerga"}, "timeline[0]", "at least one"),
        (
            {"week": 3, "action": "set_controller", "region": "atlantis", "controller": "iraq"},
            "timeline[0].region",
            "unknown id",
        ),
        (
            {"week": 3, "action": "set_controller", "region": "mosul", "controller": "martians"},
            "timeline[0].controller",
            "unknown id",
        ),
        (
            {
                "date": "2020-01-01",
                "action": "set_controller",
                "region": "mosul",
                "controller": "isis",
            },
            "timeline[0].date",
            "before start_date",
        ),
        (
            {"action": "set_controller", "region": "mosul", "controller": "isis"},
            "timeline[0]",
            "exactly one of date or week",
        ),
        (
            {
                "week": 2,
                "action": "add_unit",
                "add": {
                    "id": "peshmerga",
                    "actor": "iraq",
                    "kind": "army",
                    "region": "mosul",
                    "strength": 10,
                    "cohesion": 0.5,
                    "source": "test",
                },
            },
            "timeline[0].add.id",
            "already used",
        ),
        (
            {
                "week": 2,
                "action": "add_unit",
                "add": {
                    "id": "new_one",
                    "actor": "iraq",
                    "kind": "army",
                    "region": "nowhere",
                    "strength": 10,
                    "cohesion": 0.5,
                    "source": "test",
                },
            },
            "timeline[0].add.region",
            "unknown id",
        ),
        ({"week": 2, "action": "teleport"}, "timeline[0].action", "Input should be"),
    ],
)
def test_bad_entries_are_one_line_errors_naming_the_field(base, entry, field, words):
    with pytest.raises(ConfigError) as err:
        with_timeline(base, entry)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("t.toml: ") and field in msg and words in msg, msg


def test_entries_apply_at_the_start_of_their_week(base):
    spec = with_timeline(
        base,
        {"week": 3, "action": "set_parameter", "parameter": "ct_rate", "value": 0.05},
        {
            "week": 3,
            "action": "set_unit",
            "unit": "peshmerga",
            "strength": 1234,
            "cohesion": 0.2,
            "region": "mosul",
        },
        {"date": "2024-12-20", "action": "set_controller", "region": "raqqa", "controller": "hts"},
        {
            "week": 4,
            "action": "add_unit",
            "add": {
                "id": "isis_new",
                "actor": "isis",
                "kind": "insurgent",
                "region": "sinjar",
                "strength": 400,
                "cohesion": 1.0,
                "cells": 10,
                "source": "test",
            },
        },
        {"week": 2, "action": "set_parameter", "parameter": "border_hardening", "value": 1.0},
    )
    assert spec.timeline_week(spec.timeline[2]) == 4  # 23 days after 27 Nov 2024: week 4
    # Without town battles and counter-terrorism: the added ISIS unit would attack the town of
    # Sinjar at once, and meet the ct_rate raised in week 3, and lose fighters to either, which
    # is not what this test is about.
    off = {"mechanisms.town_control": False, "mechanisms.counter_terrorism": False}
    m = EscalationModel(spec, off, rng=1)
    detect0 = m.detection.copy()
    m.step()
    assert m.p.ct_rate == 0.012 and m.timeline_log == []
    m.step()  # week 2: the border lever
    assert (m.detection >= detect0).all() and (m.detection > detect0).any()
    m.step()  # week 3
    pesh = next(f for f in m.forces if f.unit_id == "peshmerga")
    assert m.p.ct_rate == 0.05 and pesh.cohesion == 0.2 and pesh.region == m.world.index["mosul"]
    fighters_sinjar = m.isis_by_region()[m.world.index["sinjar"]]
    m.step()  # week 4
    raqqa = m.world.index["raqqa"]
    assert m.regions.home_controller[raqqa] == "hts" and m.chaos[raqqa] > 0.9
    assert m.isis_by_region()[m.world.index["sinjar"]] >= fighters_sinjar + 300
    assert [e["week"] for e in m.timeline_log] == [2, 3, 3, 4, 4]
    assert m.parameters()["ct_rate"] == 0.012  # the run's configuration, not the timeline's


def test_default_scenario_has_no_timeline(scenario):
    assert scenario.timeline == ()


def test_hindcast_runs_with_dates_and_its_timeline():
    r = run("hindcast_2013", seed=2, weeks=30, keep_model=True)
    ts = r.timeseries
    assert str(ts["date"].iloc[0].date()) == "2013-01-01" and len(ts) == 31
    assert str(ts["date"].iloc[30].date()) == "2013-07-30"
    # 1 July 2013, foreign fighters into Syria: in the week ending 2 July
    assert [e["week"] for e in r.model.timeline_log] == [26]
    assert ts["isis_attacks_iraq"].sum() > 0 and ts["isis_fighters_syria"].iloc[-1] > 0
    assert r.model.spec.meta.weeks == 365


def test_hindcast_timeline_applies_cleanly_to_the_end():
    model = EscalationModel("hindcast_2013", rng=0)
    # Entries after 2019 (the border wall) apply when a run goes on past the 365-week horizon
    # towards the cutoff, as the calibration's hold-out does: all before 27 November 2024.
    assert max(model.timeline_due) <= 621
    assert len(model.spec.timeline) >= 20
    assert all(e.date is None or e.date < dt.date(2024, 11, 27) for e in model.spec.timeline)
