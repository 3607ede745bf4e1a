"""Detention as a system (issue 11, B.3): holders' guards, recovery, flows, breakout events.

Each claim with its expected sign (docs/ODD.md, 7.1a) over SEEDS seeds with a margin; runs are
short (half a year at most), so the file stays fast.
"""

from __future__ import annotations

import copy
import functools
import tomllib

import numpy as np
import pandas as pd
import pytest
from conftest import SEEDS
from scipy.stats import mannwhitneyu

from escalation_sim import ConfigError, EscalationModel
from escalation_sim.scenario import parse_scenario
from escalation_sim.scenario.loader import bundled_scenarios

DECEMBER_2024 = {"syria_collapse": 1.0, "collapse_guard_loss": 0.1}
WEEKS = 26


@functools.cache
def _base() -> dict:
    return tomllib.loads(bundled_scenarios()["iraq_syria_2024"].read_text(encoding="utf-8"))


def base() -> dict:
    return copy.deepcopy(_base())


def with_regime_prison() -> dict:
    """The 2024 file plus a prison the regime holds (a test fixture, not a claim)."""
    data = base()
    data["facilities"].append(
        {
            "id": "regime_prison",
            "name": "a regime prison",
            "kind": "prison",
            "region": "damascus",
            "holder": "syria",
            "held": 2000,
            "iraqi_share": 0.1,
            "guards": 1.0,
            "source": "test",
        }
    )
    return data


@functools.cache
def _runs(data_key: str, overrides: tuple, weeks: int = WEEKS) -> tuple[pd.DataFrame, ...]:
    data = {"base": base, "regime_prison": with_regime_prison}[data_key]()
    spec = parse_scenario(data, source="t.toml")
    outcomes, series, events = [], [], []
    for seed in range(SEEDS):
        m = EscalationModel(spec, dict(overrides), rng=seed)
        for _ in range(weeks):
            m.step()
        outcomes.append({"seed": seed, **m.outcomes()})
        series.append(m.timeseries().assign(seed=seed))
        events.append(m.breakouts_frame().assign(seed=seed))
        guards = dict(zip(m.detention.ids, m.detention.guards, strict=True))
        outcomes[-1].update({f"guards_{k}": v for k, v in guards.items()})
    return pd.DataFrame(outcomes), pd.concat(series, ignore_index=True), pd.concat(events)


def runs(overrides: dict | None = None, data: str = "base", weeks: int = WEEKS):
    return _runs(data, tuple(sorted((overrides or {}).items())), weeks)


def lower(a, b, ratio: float) -> None:
    """a is lower than b: one-sided Mann-Whitney p < 0.01 and mean(a) <= ratio * mean(b)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.mean() <= ratio * b.mean(), (a.mean(), b.mean())
    assert mannwhitneyu(a, b, alternative="less").pvalue < 0.01


def camp_freed(out: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """Camp residents who joined ISIS, by seed: all freed less the prisons' escapees who did."""
    prisons = events.groupby("seed").joined_isis.sum().reindex(out.seed, fill_value=0)
    return out.isis_fighters_freed_total.to_numpy() - prisons.to_numpy()


def test_a_regime_collapse_erodes_the_regimes_guards_only():
    out, _, events = runs(DECEMBER_2024 | {"collapse_guard_loss": 1.0}, data="regime_prison")
    # The regime's own prison loses its guards at the collapse and they recover only partly.
    assert (out.guards_regime_prison < 0.8).all()
    assert (out.guards_sdf_prisons == 1.0).all() and (out.guards_al_hol_roj == 0.97).all()
    escaped = events.groupby(["seed", "facility"]).escapees.sum().unstack(fill_value=0)
    assert len(escaped) == SEEDS and (escaped["regime_prison"] > 50).all()
    assert "sdf_prisons" not in escaped.columns  # the SDF's prisons, fully guarded, hold


def test_on_the_december_2024_path_the_sdf_prisons_hold():
    out, _, events = runs(DECEMBER_2024)
    assert out.breakouts_total.sum() == 0 and out.prison_escapees_total.sum() == 0
    assert events.empty
    # The camps' small leak (smuggling out of al-Hol) goes on.
    assert (out.isis_fighters_freed_total > 0).all()


def test_sdf_guard_loss_raises_breakouts_and_freed_fighters():
    calm, _, _ = runs(DECEMBER_2024)
    shock, _, events = runs(DECEMBER_2024 | {"sdf_guard_loss": 0.1})
    assert (shock.breakouts_total > 0).all() and (shock.prison_escapees_total > 500).all()
    lower(calm.isis_fighters_freed_total, shock.isis_fighters_freed_total, 0.2)
    # Each event records its escapees and, of them, those who joined ISIS.
    assert (events.joined_isis <= events.escapees).all() and (events.escapees > 0).all()
    per_run = events.groupby("seed").escapees.sum()
    assert (per_run.to_numpy() == shock.prison_escapees_total.to_numpy()).all()


def test_a_dissolved_sdf_frees_its_prisoners():
    # sdf_status caps the SDF's guards (g <= g0 x status): dissolved from week 0, nobody guards.
    intact, _, _ = runs(DECEMBER_2024)
    gone, _, events = runs(DECEMBER_2024 | {"sdf_status": 0.0})
    assert intact.breakouts_total.sum() == 0
    assert (gone.breakouts_total >= 10).all() and (gone.prison_escapees_total > 500).all()
    assert (gone.guards_sdf_prisons == 0.0).all() and (gone.guards_al_hol_roj == 0.0).all()
    lower(intact.isis_fighters_freed_total, gone.isis_fighters_freed_total, 0.2)
    assert set(events.facility) <= {"sdf_prisons"}
    # At 1 the cap is the week-0 level: the run is what it was before the cap existed.
    a = EscalationModel(overrides=DECEMBER_2024, rng=0)
    b = EscalationModel(overrides={**DECEMBER_2024, "sdf_status": 1.0}, rng=0)
    a.run_for(WEEKS)
    b.run_for(WEEKS)
    assert a.outcomes() == b.outcomes()
    assert np.array_equal(a.detention.guards, b.detention.guards)


def _shock_then_calm(recovery: float):
    """An SDF status shock from week 2 to 6 set by the timeline, then calm."""
    data = base()
    data["timeline"] = [
        {"week": 2, "action": "set_parameter", "parameter": "sdf_guard_loss", "value": 0.2},
        {"week": 7, "action": "set_parameter", "parameter": "sdf_guard_loss", "value": 0.0},
        {
            "week": 2,
            "action": "set_parameter",
            "parameter": "guard_recovery_rate",
            "value": recovery,
        },
    ]
    data["timeline"] = [{"source": "test", **e} for e in data["timeline"]]
    spec = parse_scenario(data, source="t.toml")
    late, guards = [], []
    for seed in range(SEEDS):
        m = EscalationModel(spec, DECEMBER_2024, rng=seed)
        for _ in range(WEEKS):
            m.step()
        ts = m.timeseries()
        late.append(ts[ts.week >= 14].prison_escapees.sum())
        guards.append(m.detention.guards[m.detention.ids.index("sdf_prisons")])
    return np.array(late), np.array(guards)


def test_guards_recover_after_a_shock_and_escapes_fall():
    late_slow, guards_slow = _shock_then_calm(0.0)
    late_fast, guards_fast = _shock_then_calm(0.1)
    assert (guards_slow < 0.4).all() and (guards_fast > 0.9).all()
    lower(late_fast, late_slow, 0.3)


def test_without_guard_dynamics_sdf_guard_loss_does_nothing():
    out, _, _ = runs(DECEMBER_2024 | {"sdf_guard_loss": 0.1, "mechanisms.guard_dynamics": False})
    assert out.prison_escapees_total.sum() == 0 and (out.guards_sdf_prisons == 1.0).all()


def test_repatriation_lowers_camp_residents_and_camp_recruits():
    shock = DECEMBER_2024 | {"sdf_guard_loss": 0.1}
    none_out, _, none_ev = runs(shock | {"repatriation_rate": 0.0})
    many_out, many_ts, many_ev = runs(shock | {"repatriation_rate": 1000.0})
    lower(many_out.camp_residents_final, none_out.camp_residents_final, 0.7)
    lower(camp_freed(many_out, many_ev), camp_freed(none_out, none_ev), 0.85)
    # Repatriation takes only Iraqis: at most the 18,160 or so in the camps at the start.
    assert (many_ts.groupby("seed").repatriated.sum() <= 41700 * 0.44 + 1e-6).all()


def test_transfer_lowers_prison_escapees():
    shock = DECEMBER_2024 | {"sdf_guard_loss": 0.1}
    none, _, _ = runs(shock | {"transfer_rate": 0.0})
    many, _, _ = runs(shock | {"transfer_rate": 500.0})
    lower(many.prison_escapees_total, none.prison_escapees_total, 0.9)


def test_without_detention_flows_nobody_leaves_but_by_breakout():
    out, ts, _ = runs({"mechanisms.detention_flows": False})
    assert ts.repatriated.sum() == 0 and ts.transferred.sum() == 0
    freed = out.isis_fighters_freed_total.to_numpy()
    assert np.allclose(out.camp_residents_final.to_numpy(), 41700 - freed)


def test_without_syria_chaos_no_breakouts_but_flows_go_on():
    off = {"sdf_guard_loss": 0.1, "mechanisms.syria_chaos": False}
    out, ts, _ = runs(off, weeks=8)
    assert out.breakouts_total.sum() == 0 and out.isis_fighters_freed_total.sum() == 0
    assert (ts[ts.week >= 1].repatriated == 75.0).all() and (
        ts[ts.week >= 1].transferred == 10
    ).all()


def test_the_timeline_changes_a_rate_by_date():
    data = base()
    data["timeline"] = [
        {
            "source": "test",
            "week": 5,
            "action": "set_parameter",
            "parameter": "repatriation_rate",
            "value": 0.0,
        },
    ]
    m = EscalationModel(parse_scenario(data, source="t.toml"), rng=0)
    for _ in range(8):
        m.step()
    ts = m.timeseries()
    assert (ts[(ts.week >= 1) & (ts.week < 5)].repatriated == 75.0).all()
    assert (ts[ts.week >= 5].repatriated == 0).all()


def test_transfers_enter_a_prison_iraq_holds():
    data = base()
    data["facilities"].append(
        {
            "id": "iraq_prison",
            "name": "an Iraqi prison",
            "kind": "prison",
            "region": "baghdad",
            "holder": "iraq",
            "held": 100,
            "source": "test",
        }
    )
    m = EscalationModel(parse_scenario(data, source="t.toml"), rng=0)
    for _ in range(4):
        m.step()
    frame = m.facilities_frame()
    assert frame.loc["iraq_prison", "held"] == pytest.approx(140.0)
    assert frame.loc["iraq_prison", "iraqi_share"] == pytest.approx(40 / 140)


def test_the_older_region_form_still_works_as_facilities_of_the_regions_controller():
    data = base()
    data.pop("facilities")
    hasakah = next(r for r in data["regions"] if r["id"] == "hasakah")
    hasakah.update(detainees=11000, detainees_iraqi=0.32, camp=41700, camp_iraqi=0.44, guards=0.97)
    m = EscalationModel(parse_scenario(data, source="t.toml"), rng=0)
    frame = m.facilities_frame()
    assert list(frame.index) == ["hasakah_prisons", "hasakah_camps"]
    assert (frame.holder == "sdf").all() and (frame.guards == 0.97).all()
    m.step()
    assert m.now["prison_escapees"] > 0  # the older form's leak at 0.97 guards


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"region": "jordan"}, "facilities[sdf_prisons].region", "border state"),
        ({"region": "atlantis"}, "facilities[sdf_prisons].region", "unknown id"),
        ({"holder": "nobody"}, "facilities[sdf_prisons].holder", "unknown id"),
        ({"held": 10**8}, "facilities[sdf_prisons].held", "less than or equal"),
        ({"id": "al_hol_roj"}, "facilities[al_hol_roj].id", "appears 2 times"),
    ],
)
def test_bad_facilities_are_one_line_errors(change, field, words):
    data = base()
    data["facilities"][0].update(change)
    with pytest.raises(ConfigError) as err:
        parse_scenario(data, source="t.toml")
    text = str(err.value)
    assert field in text and words in text, text


def test_a_file_gives_detainees_in_one_form_only():
    data = base()
    next(r for r in data["regions"] if r["id"] == "hasakah")["detainees"] = 100
    with pytest.raises(ConfigError, match=r"regions\[hasakah\]\.detainees.*facilit"):
        parse_scenario(data, source="t.toml")


def test_hindcast_2013_validates_and_runs_with_its_detention_data():
    m = EscalationModel("hindcast_2013", rng=0)
    assert m.detention.ids == []  # no SDF prisons or camps before 2017
    for _ in range(4):
        m.step()
    assert m.now["breakouts"] == 0 and m.now["camp_residents"] == 0
