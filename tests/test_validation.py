"""The hindcast comparison and the tail fitter (Clauset et al. 2009 via powerlaw)."""

import json

import numpy as np
import pandas as pd
import pytest

from escalation_sim.cli import main
from escalation_sim.validation.hindcast import compare, observed, sources
from escalation_sim.validation.runs import spawn_seeds
from escalation_sim.validation.tails import fit_tail


def test_tail_fitter_recovers_a_known_exponent():
    # Continuous Pareto, alpha = 2.5, x_min = 1: inverse transform. 20,000 draws give a
    # standard error of about 0.011; allow 0.1.
    rng = np.random.default_rng(7)
    x = (1 - rng.random(20000)) ** (-1 / 1.5)
    fit = fit_tail(x, discrete=False)
    assert fit["alpha"] == pytest.approx(2.5, abs=0.1)
    assert fit["sigma"] == pytest.approx((fit["alpha"] - 1) / np.sqrt(fit["n_tail"]))


def test_tail_fitter_finds_the_cutoff_above_a_non_power_law_body():
    # Exponential body below 20, alpha = 3 power law above 20 (30% of the mass).
    rng = np.random.default_rng(11)
    body = rng.exponential(4.0, 4200)  # a third of the first version's sample: 4x faster, and
    body = body[body < 20]  # the fit still lands within 0.05 of 3 on seeds 1-3 and 11
    tail = 20 * (1 - rng.random(1800)) ** (-1 / 2.0)
    fit = fit_tail(np.concatenate([body, tail]) + 1, discrete=False)
    assert fit["alpha"] == pytest.approx(3.0, abs=0.15)
    assert fit["xmin"] >= 15  # above the exponential body (KS may pick a higher cutoff)


def test_observed_figures_are_cited():
    obs, refs = observed(), sources()
    assert set(obs["source"]) <= set(refs)
    assert all(refs[k]["url"].startswith("https://") for k in refs)
    iraq = obs[(obs.country == "IRQ") & (obs.series == "terrorism_deaths")].set_index("year")
    assert iraq.loc[2014, "value"] == 9929 and 2015 not in iraq.index  # not found: left out


def test_compare_on_a_toy_series():
    yearly = pd.DataFrame(
        {
            "year": [2013, 2014, 2016, 2017, 2018, 2019] * 2,
            "isis_deaths_iraq": [10, 20, 15, 8, 2, 1] * 2,
            "isis_attacks_iraq": [1] * 12,
            "isis_attacks_syria": [1] * 12,
            "isis_deaths_syria": [1] * 12,
            "run": [0] * 6 + [1] * 6,
        }
    )
    table, fits = compare(yearly, observed())
    f = fits["isis_deaths_iraq"]
    assert f["model_peak_year"] == 2014 and f["observed_peak_year"] == 2014
    assert f["model_collapsed_by_2018"] and f["observed_collapsed_by_2018"]
    assert f["pearson_r"] > 0.8
    row = table[(table.comparison == "isis_deaths_iraq") & (table.year == 2014)].iloc[0]
    assert row["ratio"] == pytest.approx(20 / 9929)


def test_hindcast_names_no_observed_peak_where_the_record_misses_the_models():
    # Iraq's attacks are recorded for 2013 and 2017-19 only: a model peaking in 2014 cannot be
    # said to peak earlier or later than the record, nor the record to collapse from 2013.
    years = list(range(2013, 2020))
    yearly = pd.DataFrame(
        {
            "year": years,
            "isis_deaths_iraq": [10, 20, 18, 15, 8, 2, 1],
            "isis_attacks_iraq": [5, 30, 20, 10, 5, 2, 1],
            "isis_attacks_syria": [1] * 7,
            "isis_deaths_syria": [1] * 7,
            "run": [0] * 7,
        }
    )
    _, fits = compare(yearly, observed())
    attacks = fits["isis_attacks_iraq"]
    assert attacks["model_peak_year"] == 2014
    assert attacks["observed_peak_year"] is None and attacks["observed_collapsed_by_2018"] is None
    assert fits["isis_deaths_syria"]["observed_peak_year"] is None  # one observed year
    assert fits["isis_deaths_iraq"]["observed_peak_year"] == 2014  # 2014 is in the record


def test_seeds_are_spawned_reproducibly():
    assert spawn_seeds(0, 3) == spawn_seeds(0, 3)
    assert len(set(spawn_seeds(0, 50))) == 50 and spawn_seeds(1, 3) != spawn_seeds(0, 3)


def test_validate_tails_and_hindcast_commands(tmp_path):
    assert (
        main(
            [
                "validate",
                "tails",
                "--seeds",
                "2",
                "--weeks",
                "20",
                "--quiet",
                "--out",
                str(tmp_path / "t"),
            ]
        )
        == 0
    )
    fit = json.loads((tmp_path / "t" / "fit.json").read_text())
    assert fit["runs"] == 2 and fit["fit"]["alpha"] > 1
    assert (tmp_path / "t" / "ccdf.png").read_bytes()[:4] == b"\x89PNG"
    assert (
        main(["validate", "hindcast", "--seeds", "2", "--quiet", "--out", str(tmp_path / "h")]) == 0
    )
    table = pd.read_csv(tmp_path / "h" / "comparison.csv")
    assert set(table.year) == set(range(2013, 2020))
    runs = pd.read_csv(tmp_path / "h" / "runs_yearly.csv")
    assert set(runs.seed) == set(spawn_seeds(0, 2))
    assert (tmp_path / "h" / "hindcast.png").exists()
    # Like with like: the runs reach 2024 and each yearly record row meets the model's value in
    # its own definition; GED's IS events of 2013-2019 (an extract without one-sided violence)
    # are matched by fatal model attacks on forces.
    record = pd.read_csv(tmp_path / "h" / "record.csv")
    assert record.year.max() >= 2022 and record.year.min() == 2013
    assert (record.observed > 0).all() and {"ratio", "near", "p05", "p95"} <= set(record.columns)
    ged = record[(record.source_key == "UCDP_GED_CSIF") & (record.country == "Iraq")]
    assert set(ged.year) == set(range(2013, 2020))
    assert set(ged.operator) == {"ged_armed", "armed_deaths"}
    assert "## Against the record, like with like" in (tmp_path / "h" / "summary.md").read_text()
