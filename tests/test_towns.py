"""Towns (``town_control``) and the endogenous cohesion of the forces holding them.

Statistical claims over 20 seeds with a margin, on short runs (16 weeks) of the default scenario
with ISIS massed against the Nineveh garrisons and no timeline.
"""

from __future__ import annotations

import copy
import functools
import tomllib

import numpy as np
import pandas as pd
import pytest

from escalation_sim import EscalationModel
from escalation_sim.errors import ConfigError
from escalation_sim.outcomes import run_outcomes
from escalation_sim.scenario import load_scenario
from escalation_sim.scenario.loader import bundled_scenarios, parse_scenario
from escalation_sim.scenario.schema import TimelineEntry

SEEDS = 20
WEEKS = 16
HOLD = 4  # consecutive weeks that count as holding a town


@functools.cache
def _base() -> dict:
    return tomllib.loads(bundled_scenarios()["iraq_syria_2024"].read_text())


@functools.cache
def massed(cohesion: float, fighters: int = 1500):
    """The default scenario with the Nineveh garrisons at ``cohesion`` and ISIS massed at Mosul."""
    data = copy.deepcopy(_base())
    for u in data["units"]:
        if u["id"] in ("iraq_army_nineveh", "iraq_army_tal_afar"):
            u["cohesion"] = cohesion
    data["units"].append(
        {
            "id": "isis_massed",
            "actor": "isis",
            "kind": "insurgent",
            "region": "mosul",
            "strength": fighters,
            "cohesion": 1.0,
            "cells": 10,
            "iraqi_share": 1.0,
            "source": "test: a Mosul-2014-sized column",
        }
    )
    return parse_scenario(data)


def longest_hold(towns: np.ndarray) -> int:
    """Longest run of consecutive weeks with at least one town held."""
    best = run = 0
    for x in towns:
        run = run + 1 if x > 0 else 0
        best = max(best, run)
    return best


@functools.cache
def arm(cohesion: float, overrides: tuple = ()) -> pd.DataFrame:
    """Per seed: longest hold of an Iraqi town, most towns held, resurgence."""
    rows = []
    for seed in range(SEEDS):
        m = EscalationModel(massed(cohesion), dict(overrides), rng=seed)
        m.run_for(WEEKS)
        towns = m.timeseries()["isis_towns_iraq"].to_numpy()
        rows.append(
            {
                "hold": longest_hold(towns),
                "held": longest_hold(towns) >= HOLD,
                "towns": towns.max(),
                "resurgence": m.outcomes()["isis_resurgence"],
            }
        )
    return pd.DataFrame(rows)


BRITTLE = (0.3, (("corruption", 0.6),))
COHESIVE = (0.9, (("corruption", 0.0),))
# Cohesion of the sign tests' garrisons: one that the morale rule can break within the weeks a
# 1,500-strong column survives Lanchester attrition (max_cohesion_loss_week caps the weekly loss
# at 0.05 x b, so a garrison at 0.5 outlasts the column whatever its brittleness).
MID = 0.35


def test_brittle_garrison_loses_a_town_and_isis_holds_it():
    brittle = arm(*BRITTLE)
    assert brittle["held"].mean() >= 0.75, brittle
    # ... and the territorial half of isis_resurgence fires with it.
    assert brittle.loc[brittle["held"], "resurgence"].all()


def test_cohesive_garrison_holds():
    cohesive = arm(*COHESIVE)
    assert cohesive["held"].mean() <= 0.2, cohesive
    assert arm(*BRITTLE)["held"].mean() - cohesive["held"].mean() >= 0.5


def test_town_control_switch_raises_isis_towns():
    """Expected sign: with town_control ISIS can take towns; without, it never does."""
    cohesion, overrides = BRITTLE
    off = arm(cohesion, (*overrides, ("mechanisms.town_control", False)))
    assert (off["towns"] == 0).all()
    assert arm(*BRITTLE)["towns"].mean() >= off["towns"].mean() + 1.0


def test_endogenous_cohesion_switch_breaks_brittle_garrisons():
    """Expected sign: endogenous cohesion lets a brittle garrison break (more ISIS towns)."""
    on = arm(MID, (("corruption", 0.8),))
    off = arm(MID, (("corruption", 0.8), ("mechanisms.endogenous_cohesion", False)))
    assert on["hold"].mean() >= off["hold"].mean() + 4, (on, off)


def test_corruption_raises_isis_holds():
    """Expected sign: corruption (pay) makes garrisons brittler, so ISIS holds towns longer."""
    clean = arm(MID, (("corruption", 0.0),))
    corrupt = arm(MID, (("corruption", 0.8),))
    assert corrupt["hold"].mean() >= clean["hold"].mean() + 2, (clean, corrupt)


def test_legitimacy_weight_raises_isis_holds():
    """Expected sign: the less legitimate the state among the garrisoned, the brittler."""
    low = arm(MID, (("corruption", 0.0), ("cohesion_legitimacy_weight", 0.0)))
    high = arm(MID, (("corruption", 0.0), ("cohesion_legitimacy_weight", 2.0)))
    assert high["hold"].mean() >= low["hold"].mean() + 2, (low, high)


def test_towns_are_reproducible_and_region_share_is_population_share():
    a = EscalationModel(massed(0.3), {"corruption": 0.6}, rng=3)
    b = EscalationModel(massed(0.3), {"corruption": 0.6}, rng=3)
    a.run_for(8)
    b.run_for(8)
    assert a.town_log == b.town_log and a.town_log
    towns = a.towns
    share = a.town_share()
    for r in np.unique(towns.region).tolist():
        here = towns.region == r
        expected = towns.population[here & towns.isis].sum() / towns.population[here].sum()
        assert share[r] == pytest.approx(expected)
    frame = a.regions_frame()
    assert frame["isis_town_share"].to_numpy() == pytest.approx(share)


def test_resurgence_fires_on_a_town():
    params = {
        **{k: v.value for k, v in load_scenario().parameters.items()},
        "resurgence_regions": 1,
        "resurgence_attacks": 10**6,
        "resurgence_weeks": 4,
        "resurgence_towns": 1,
    }
    weeks = 6
    ts = pd.DataFrame(
        {
            "week": range(weeks),
            "isis_regions_iraq": 0,
            "isis_attacks_iraq": 0,
            "isis_towns_iraq": [0, 0, 0, 1, 1, 0],
            "israeli_strikes_iraq": 0,
        }
    )
    for col in (
        "isis_fighters_iraq",
        "isis_fighters_syria",
        "isis_deaths_iraq",
        "infiltrations",
        "infiltrations_detected",
        "infiltrations_undetected",
        "infiltrating_fighters",
        "militia_fighters_syria",
        "militia_launches",
        "israeli_strikes_syria",
        "escalation_level",
        "breakouts",
        "prison_escapees",
        "isis_fighters_freed",
        "camp_residents",
    ):
        ts[col] = 0
    out = run_outcomes(ts, params)
    assert out["isis_resurgence"] and out["resurgence_week"] == 3
    assert out["isis_towns_iraq_max"] == 1 and out["isis_town_weeks"] == 2
    assert out["first_town_week"] == 3
    ts["isis_towns_iraq"] = 0
    assert not run_outcomes(ts, params)["isis_resurgence"]


def test_hindcast_has_towns_and_timeline_cohesion_still_applies():
    spec = load_scenario("hindcast_2013")
    assert len(spec.towns) >= 15
    # The hindcast's timeline no longer sets Iraqi garrisons (tests/test_hindcast_endogenous.py);
    # a set_unit of one still sets the cohesion it recovers towards.
    entry = TimelineEntry(
        week=60, action="set_unit", unit="iraq_army_nineveh", cohesion=0.1, source="test entry"
    )
    spec = spec.model_copy(update={"timeline": (*spec.timeline, entry)})
    m = EscalationModel(spec, rng=0)
    m.run_for(60)
    force = next(f for f in m.forces if f.unit_id == "iraq_army_nineveh")
    assert force.standing_cohesion == entry.cohesion
    assert force.cohesion <= entry.cohesion + 1e-9


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region": "mosull"}, "towns[mosul_city].region"),
        ({"region": "jordan"}, "towns[mosul_city].region"),
        ({"population": 9_000_000}, "towns"),
        ({"controller": "nobody"}, "towns[mosul_city].controller"),
    ],
)
def test_bad_towns_get_one_clear_line(change, field):
    data = copy.deepcopy(_base())
    town = next(t for t in data["towns"] if t["id"] == "mosul_city")
    town.update(change)
    with pytest.raises(ConfigError) as err:
        parse_scenario(data, "bad.toml")
    assert field in str(err.value)
