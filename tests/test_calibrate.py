"""escalation-sim calibrate: history matching to the record, reproducible and resumable.

Tiny budgets (experiments/calibrate_tiny.toml cut to the first half of 2013): these test the
machinery (same seed, same posterior; killed and resumed, the same posterior; nothing on or
after 27 November 2024), not the calibrated values.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation_sim.calibration import build_targets, check_before_cutoff, resolve_calibration
from escalation_sim.calibration import targets as targets_mod
from escalation_sim.calibration.config import LAST_DAY, default_prior, is_assumption
from escalation_sim.calibration.engine import draw_posterior, read_posterior
from escalation_sim.calibration.holdout import crps_ensemble, is_rate, naive_forecasts
from escalation_sim.calibration.targets import CutoffError, TargetSet
from escalation_sim.cli import main
from escalation_sim.errors import ConfigError
from escalation_sim.observed.tables import CUTOFF

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "experiments" / "calibrate_tiny.toml"
FULL = ROOT / "experiments" / "calibrate_hindcast.toml"
ARGS = ["--until", "2013-06-30", "--quiet"]


def _calibrate(out: Path, *extra: str) -> int:
    return main(["calibrate", str(TINY), "--out", str(out), *ARGS, *extra])


def _posterior_only(out: Path, *extra: str) -> int:
    return _calibrate(out, "--no-report", *extra)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("calib") / "serial"
    assert _calibrate(out, "--workers", "1") == 0
    return out


def test_outputs_and_posterior(reference: Path) -> None:
    post, meta = read_posterior(reference)
    assert meta["parameters"] == ["attack_rate", "recruit_rate", "ct_rate"]
    assert len(post) == 6 and np.isclose(post["weight"].sum(), 1.0)
    assert (post["weight"] >= 0).all()
    for name, (lo, hi) in [(n, meta["summary"][n]["prior"]) for n in meta["parameters"]]:
        assert post[name].between(lo, hi).all()
    assert meta["window"]["until"] == "2013-06-30"
    nroy = reference / "not_ruled_out.csv"
    assert nroy.exists() == (meta["not_ruled_out"] > 0)
    if nroy.exists():
        equal = read_posterior(nroy)[0]["weight"]
        assert np.allclose(equal, 1 / len(equal)) and len(equal) == meta["not_ruled_out"]
    for f in ("report.md", "predictive.csv", "figures/marginals.png", "figures/correlations.png"):
        assert (reference / f).is_file(), f
    pred = pd.read_csv(reference / "predictive.csv")
    patterns = set(pred["pattern"])
    assert {"GED events Iraq (month)", "regions held in Iraq (quarter end)"} <= patterns
    figs = list((reference / "figures").glob("predictive_*.png"))
    assert len(figs) == len(patterns)  # a posterior predictive figure for every pattern
    report = (reference / "report.md").read_text()
    assert "## Posterior" in report and "[uncertainty]" in report
    import tomllib

    values = tomllib.loads((reference / "calibrated_parameters.toml").read_text())["parameters"]
    assert set(values) == set(meta["parameters"])
    for name, table in values.items():
        assert table["value"] == pytest.approx(meta["summary"][name]["median"], rel=1e-5)
        assert table["source"].startswith("calibrated: ")


def test_same_posterior_on_two_workers(reference: Path, tmp_path: Path) -> None:
    assert _posterior_only(tmp_path / "two", "--workers", "2") == 0
    a = (reference / "posterior.csv").read_bytes()
    assert (tmp_path / "two" / "posterior.csv").read_bytes() == a


def test_killed_and_resumed_gives_the_same_posterior(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "escalation_sim.cli", "calibrate", str(TINY), "--out", str(out)]
    cmd += [*ARGS, "--workers", "1", "--no-report"]
    env = {**os.environ, "ESCALATION_SIM_FAILPOINT": "runs-committed:8"}  # mid wave 2
    killed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not (out / "posterior.csv").exists()
    stored = pd.read_parquet(out / "wave-02" / "runs")
    assert 0 < len(stored) < 6
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (out / "posterior.csv").read_bytes() == (reference / "posterior.csv").read_bytes()
    assert len(pd.read_parquet(out / "wave-02" / "runs")) == 6  # each run stored once


def test_other_config_in_the_directory_is_refused(reference: Path, capsys) -> None:
    code = main(["calibrate", str(TINY), "--out", str(reference), "--until", "2013-09-30"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "different config" in err[0]


def test_window_on_or_after_the_cutoff_is_refused(tmp_path: Path, capsys) -> None:
    for until in ("2024-11-27", "2025-01-01"):
        code = main(["calibrate", str(TINY), "--out", str(tmp_path / "x"), "--until", until])
        assert code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "2024-11-26" in err[0]
    with pytest.raises(ConfigError, match="on or after 2024-11-27"):
        resolve_calibration(TINY, until=dt.date(2024, 11, 27))
    assert LAST_DAY == dt.date(2024, 11, 26)
    assert not (tmp_path / "x").exists()


def test_no_target_uses_the_record_on_or_after_the_cutoff(monkeypatch) -> None:
    start, end = dt.date(2013, 1, 1), LAST_DAY
    allp = ("series", "ged_monthly", "regions_held", "strength")
    targets = build_targets(start, end, allp)
    assert len(targets) > 300
    assert (pd.to_datetime(targets.table["end"]) < CUTOFF).all()
    assert not targets.series["beyond_cutoff"].any()
    # a row that reaches past the cutoff (and one flagged beyond it) is never taken
    real = targets_mod.tables.series

    def doctored():
        s = real()
        late = s.iloc[[0, 0]].copy()
        late["start"] = pd.to_datetime(["2024-11-01", "2024-01-01"])
        late["end"] = pd.to_datetime(["2024-11-30", "2024-10-31"])
        late["beyond_cutoff"] = [False, True]
        late["period"] = ["2024-11", "2024-01..2024-10"]
        return pd.concat([s, late], ignore_index=True)

    monkeypatch.setattr(targets_mod.tables, "series", doctored)
    again = build_targets(start, end, allp)
    assert len(again) == len(targets)
    # and the guard refuses any target set that does
    bad = targets.table.copy()
    bad.loc[0, "end"] = CUTOFF
    with pytest.raises(CutoffError):
        check_before_cutoff(TargetSet(bad, targets.series, targets.strength))


def test_priors_from_the_scenario() -> None:
    cal = resolve_calibration(TINY)
    v = cal.scenario.parameters["attack_rate"].value  # 0.05 until a calibration is applied
    assert cal.priors["attack_rate"][:2] == pytest.approx((0.5 * v, 1.5 * v))
    full = resolve_calibration(
        cal.config.model_copy(update={"parameters": "assumption"}), source="t"
    )
    params = cal.scenario.parameters
    assert all(is_assumption(params[n]) for n in full.priors)
    assert "border_hardening" not in full.priors
    for name, (lo, hi, _) in full.priors.items():
        p = params[name]
        assert p.min <= lo < hi <= p.max
        assert (lo, hi) == default_prior(p, 0.5)


def test_unknown_parameter_is_one_line(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(TINY.read_text().replace('"ct_rate"', '"no_such_rate"'))
    assert main(["calibrate", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_rate" in err[0] and "c.toml" in err[0]


def test_draws_follow_the_weights(reference: Path) -> None:
    post, meta = read_posterior(reference / "posterior.csv")
    a = draw_posterior(post, meta, 200, seed=3)
    assert a == draw_posterior(post, meta, 200, seed=3)
    best = post.loc[post["weight"].idxmax(), "attack_rate"]
    share = np.mean([d["attack_rate"] == best for d in a])
    assert abs(share - post["weight"].max()) < 0.02


def test_crps_and_naive_forecasts() -> None:
    assert crps_ensemble(np.array([2.0]), 5.0) == pytest.approx(3.0)
    # two members 0 and 2, y = 1: E|X-y| = 1, E|X-X'| = 1 -> 0.5
    assert crps_ensemble(np.array([0.0, 2.0]), 1.0) == pytest.approx(0.5)
    ts = pd.Timestamp
    hist = pd.DataFrame(
        {
            "pattern": ["p", "p"],
            "relation": ["match", "match"],
            "low": [365.0, 730.0],
            "start": [ts("2018-01-01"), ts("2019-01-01")],
            "end": [ts("2018-12-31"), ts("2019-12-31")],
        }
    )
    held = pd.DataFrame({"pattern": ["p"], "start": [ts("2020-01-01")], "end": [ts("2020-12-31")]})
    f = naive_forecasts(held, hist).iloc[0]
    assert f["persistence"] == pytest.approx(732.0)  # 2 a day, 366 days
    assert f["trend"] == pytest.approx(1098, rel=0.01)  # 1, 2, then about 3 a day


def test_naive_forecasts_keep_a_rate_series_as_a_rate() -> None:
    # CTC's quarterly average is a rate: persistence over a 17-month period is the last value,
    # not the value scaled by the periods' lengths.
    ts = pd.Timestamp
    pattern = "CTC_KNIGHTS_QAVG incidents Iraq (period)"
    assert is_rate(pattern) and not is_rate("GED events Iraq (month)")
    hist = pd.DataFrame(
        {
            "pattern": [pattern, pattern],
            "relation": ["match", "match"],
            "low": [300.0, 200.0],
            "start": [ts("2018-01-01"), ts("2019-01-01")],
            "end": [ts("2018-03-31"), ts("2019-12-31")],
        }
    )
    held = pd.DataFrame(
        {"pattern": [pattern], "start": [ts("2020-07-01")], "end": [ts("2021-11-30")]}
    )
    f = naive_forecasts(held, hist).iloc[0]
    assert f["persistence"] == pytest.approx(200.0)
    assert 0 <= f["trend"] < 200.0  # falling from 300 to 200 a quarter


def test_rolling_origin_scores_the_held_out_months(tmp_path: Path) -> None:
    out = tmp_path / "ro"
    assert _calibrate(out, "--workers", "1", "--holdout-until", "2013-12-31") == 0
    scores = pd.read_csv(out / "holdout_scores.csv")
    assert len(scores) and (pd.to_datetime(scores["start"]) > pd.Timestamp("2013-06-30")).all()
    assert {"crps_model", "crps_persistence", "crps_trend", "covered_90"} <= set(scores.columns)
    summary = json.loads((out / "holdout.json").read_text())
    assert summary["targets"] == len(scores)
    assert "Rolling origin" in (out / "report.md").read_text()
    with pytest.raises(ConfigError, match="2024-11-27"):
        cfg = resolve_calibration(TINY).config
        window = cfg.window.model_copy(update={"holdout_until": dt.date(2024, 12, 31)})
        resolve_calibration(cfg.model_copy(update={"window": window}), source="t")


def test_full_config_resolves() -> None:
    from escalation_sim.check import check_file

    cal = resolve_calibration(FULL)
    assert cal.until <= LAST_DAY and cal.scenario.meta.name == "hindcast_2013"
    assert len(cal.priors) >= 5
    for path in (FULL, TINY):
        report = check_file(path)
        assert report.kind == "calibration" and not report.errors, report.errors


def test_experiment_draws_parameters_from_the_posterior(reference: Path, tmp_path: Path) -> None:
    from escalation_sim.experiments import resolve, run_sweep
    from escalation_sim.run import run

    cfg = tmp_path / "u.toml"
    cfg.write_text(
        'name = "u"\nscenario = "iraq_syria_2024"\nweeks = 3\n'
        "[seeds]\nroot = 5\nper_point = 4\n"
        f'[uncertainty]\nposterior = "{(reference / "posterior.csv").as_posix()}"\ndraws = 2\n'
    )
    exp = resolve(cfg)
    post, meta = read_posterior(reference)
    assert exp.draw_for(0) == draw_posterior(post, meta, 2, 5)[0]
    assert exp.draw_for(2) == exp.draw_for(0) and set(exp.draw_for(1)) == set(meta["parameters"])
    plain = resolve(_without_uncertainty(cfg))
    assert plain.config_hash() != exp.config_hash()
    results = run_sweep(exp, tmp_path / "sweep", workers=1, progress=False)
    runs = results.runs.sort_values("seed_index")
    for i in (0, 1):
        row = runs.iloc[i]
        again = run("iraq_syria_2024", overrides=exp.draw_for(i), seed=int(row["seed"]), weeks=3)
        assert again.outcomes["isis_attacks_iraq_total"] == row["isis_attacks_iraq_total"]
    results.report()
    split = pd.read_csv(tmp_path / "sweep" / "uncertainty.csv")
    assert {"seed_var", "parameter_var", "parameter_share"} <= set(split.columns)
    assert "Seed noise and parameter uncertainty" in (tmp_path / "sweep" / "report.md").read_text()


def _without_uncertainty(cfg: Path) -> Path:
    plain = cfg.with_name("plain.toml")
    plain.write_text(cfg.read_text().split("[uncertainty]")[0])
    return plain


def test_missing_posterior_is_one_line(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "u.toml"
    cfg.write_text('name = "u"\nweeks = 2\n[uncertainty]\nposterior = "nowhere/posterior.csv"\n')
    assert main(["sweep", str(cfg), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "uncertainty.posterior" in err[0] and "u.toml" in err[0]


def test_fast_series_values_equal_the_observation_operator() -> None:
    from escalation_sim.calibration.targets import series_values
    from escalation_sim.observed import counterparts
    from escalation_sim.run import run

    targets = build_targets(dt.date(2013, 1, 1), dt.date(2015, 12, 31), ("series",))
    result = run("hindcast_2013", seed=4, weeks=156)
    fast = series_values(targets.series, result.events, result.timeseries)
    slow = counterparts(result.events, result.timeseries, targets.series)["model"]
    slow.index = [str(i) for i in slow.index]
    assert len(slow) >= 20
    assert np.allclose(fast.reindex(slow.index), slow, equal_nan=True)
