"""Analysis numbers on small inputs whose answers are known."""

import math

import numpy as np
import pandas as pd
import pytest

from escalation_sim.experiments import analysis, resolve
from escalation_sim.experiments.config import parse_config

CONFIG = """
name = "a"
outcomes = ["isis_resurgence", "isis_attacks_iraq_total"]
[seeds]
root = 3
per_point = {n}
common = {common}
[design.parameters]
syria_collapse = {{ values = [0.0, 1.0] }}
[analysis]
resamples = 999
"""


def experiment(n: int, common: bool = True):
    text = CONFIG.format(n=n, common=str(common).lower())
    return resolve(parse_config(text, source="a.toml"), source="a.toml")


def fake_runs(exp, attacks: dict[float, list[float]], resurgence: dict[float, list[bool]]):
    rows = []
    for p in exp.design.points:
        level = p.params["syria_collapse"]
        for i, (a, r) in enumerate(zip(attacks[level], resurgence[level], strict=True)):
            rows.append(
                {
                    "point_id": p.point_id,
                    "seed_index": i,
                    "status": "ok",
                    "isis_resurgence": r,
                    "isis_attacks_iraq_total": a,
                }
            )
    return pd.DataFrame(rows)


def test_wilson_interval_known_values():
    # Newcombe (1998), table I: 15/148 -> 0.0624 to 0.1605; 0/20 -> 0 to 0.1611.
    lo, hi = analysis.wilson_interval(15, 148)
    assert (round(lo, 4), round(hi, 4)) == (0.0624, 0.1605)
    lo, hi = analysis.wilson_interval(0, 20)
    assert lo == 0.0 and round(hi, 4) == 0.1611
    assert analysis.wilson_interval(20, 20)[1] == 1.0
    assert all(math.isnan(x) for x in analysis.wilson_interval(0, 0))


def test_newcombe_interval_known_values():
    # Newcombe (1998), table II, example (a): 56/70 - 48/80 -> 0.0524 to 0.3339.
    lo, hi = analysis.newcombe_interval(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    # example (f): 0/10 - 0/20 -> -0.1611 to 0.2775
    lo, hi = analysis.newcombe_interval(0, 10, 0, 20)
    assert (round(lo, 4), round(hi, 4)) == (-0.1611, 0.2775)


def test_bootstrap_is_seeded_and_handles_degenerate_samples():
    rng = np.random.default_rng(0)
    data = [rng.normal(10, 2, 40), np.full(40, 3.0), rng.normal(0, 1, 12), np.array([5.0])]
    a = analysis.bootstrap_means(data, 0.95, 999, np.random.default_rng(1))
    b = analysis.bootstrap_means(data, 0.95, 999, np.random.default_rng(1))
    assert a == b
    assert a[0][0] < data[0].mean() < a[0][1]
    assert 0.8 < a[0][1] - a[0][0] < 2.0  # about 2 x 1.96 x 2 / sqrt(40) = 1.24
    assert a[1] == (3.0, 3.0)
    assert all(math.isnan(x) for x in a[3])


def test_summary_means_and_probabilities():
    exp = experiment(4)
    runs = fake_runs(
        exp,
        attacks={0.0: [10, 12, 14, 16], 1.0: [20, 20, 20, 20]},
        resurgence={0.0: [False] * 4, 1.0: [True, True, True, False]},
    )
    s = analysis.summarise(runs, exp).set_index(["syria_collapse", "outcome"])
    r = s.loc[(1.0, "isis_resurgence")]
    assert r["mean"] == 0.75 and r["method"] == "wilson" and r["n"] == 4
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(analysis.wilson_interval(3, 4))
    a = s.loc[(0.0, "isis_attacks_iraq_total")]
    assert (
        a["mean"] == 13
        and a["ci_low"] < 13 < a["ci_high"]
        and a["std"] == pytest.approx(np.std([10, 12, 14, 16], ddof=1))
    )
    assert s.loc[(1.0, "isis_attacks_iraq_total"), ["ci_low", "ci_high"]].tolist() == [20, 20]
    again = analysis.summarise(runs, exp)
    pd.testing.assert_frame_equal(analysis.summarise(runs, exp), again)


def test_paired_effects_use_per_seed_differences():
    exp = experiment(5, common=True)
    base = [10.0, 30.0, 50.0, 70.0, 90.0]
    runs = fake_runs(
        exp,
        attacks={0.0: base, 1.0: [b + 2 for b in base]},  # +2 in every seed
        resurgence={0.0: [False] * 5, 1.0: [True] * 5},
    )
    e = analysis.effects(runs, exp).set_index("outcome")
    att = e.loc["isis_attacks_iraq_total"]
    assert att["effect"] == 2 and att["paired"] and (att["ci_low"], att["ci_high"]) == (2, 2)
    assert att["excludes_zero"]
    res = e.loc["isis_resurgence"]
    assert res["effect"] == 1.0 and res["method"] == "newcombe"
    assert (res["ci_low"], res["ci_high"]) == pytest.approx(analysis.newcombe_interval(5, 5, 0, 5))


def test_unpaired_effects_without_common_random_numbers():
    exp = experiment(5, common=False)
    runs = fake_runs(
        exp,
        attacks={0.0: [10.0, 30.0, 50.0, 70.0, 90.0], 1.0: [12.0, 32.0, 52.0, 72.0, 92.0]},
        resurgence={0.0: [False] * 5, 1.0: [False] * 5},
    )
    att = analysis.effects(runs, exp).set_index("outcome").loc["isis_attacks_iraq_total"]
    assert att["effect"] == 2 and not att["paired"]
    assert att["ci_low"] < 0 < att["ci_high"]  # the spread between seeds swamps +2 unpaired


def test_failed_runs_are_left_out():
    exp = experiment(4)
    runs = fake_runs(
        exp,
        attacks={0.0: [10, 12, 14, 16], 1.0: [20, 20, 20, 20]},
        resurgence={0.0: [False] * 4, 1.0: [True] * 4},
    )
    runs = runs.astype({"isis_resurgence": object, "isis_attacks_iraq_total": float})
    runs.loc[0, "status"] = "error"
    runs.loc[0, ["isis_attacks_iraq_total", "isis_resurgence"]] = None
    s = analysis.summarise(runs, exp)
    first = s[(s["point_id"] == runs.loc[0, "point_id"]) & (s["outcome"] == "isis_resurgence")]
    assert first["n"].item() == 3 and first["failed"].item() == 1


SOBOL_CONFIG = """
name = "s"
outcomes = ["isis_attacks_iraq_total"]
[seeds]
root = 0
per_point = 1
[design]
sampler = "sobol"
samples = 8
[design.parameters]
syria_collapse = { min = 0.0, max = 1.0 }
border_hardening = { min = 0.0, max = 1.0 }
"""


def test_sobol_intervals_are_reproducible_with_a_root_seed_of_zero():
    # SALib falls back to the global generator for a falsy seed; the analysis must not.
    exp = resolve(parse_config(SOBOL_CONFIG, source="s.toml"), source="s.toml")
    rng = np.random.default_rng(5)
    runs = pd.DataFrame(
        {
            "point_id": [p.point_id for p in exp.design.points],
            "seed_index": 0,
            "status": "ok",
            "isis_attacks_iraq_total": [
                100 * p.params["syria_collapse"] + 10 * p.params["border_hardening"] + rng.normal()
                for p in exp.design.points
            ],
        }
    )
    np.random.seed(1)  # noqa: NPY002  (the global state SALib falls back to)
    first = analysis.sensitivity(runs, exp)
    np.random.seed(2)  # noqa: NPY002  (another global state: the same intervals)
    second = analysis.sensitivity(runs, exp)
    assert first is not None and (first["S1_conf"] > 0).all()
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    # The collapse drives the outcome, the border barely does.
    s1 = first.set_index("parameter")["S1"]
    assert s1["syria_collapse"] > 0.8 > 0.2 > s1["border_hardening"]
