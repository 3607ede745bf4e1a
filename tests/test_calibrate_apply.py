"""escalation-sim apply-calibration: posterior medians into a scenario file, in place.

One tiny calibration (experiments/calibrate_tiny.toml cut to the first half of 2013, as in
tests/test_calibrate.py), applied to copies of the bundled scenarios in a temporary directory.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from escalation_sim.calibration.engine import read_posterior, weighted_quantile
from escalation_sim.cli import main
from escalation_sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "experiments" / "calibrate_tiny.toml"
DATA = ROOT / "src" / "escalation_sim" / "scenario" / "data"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("apply") / "tiny"
    args = ["calibrate", str(TINY), "--out", str(out), "--until", "2013-06-30"]
    assert main([*args, "--quiet", "--no-report", "--workers", "1"]) == 0
    return out


def _copy(tmp_path: Path, name: str = "hindcast_2013") -> Path:
    path = tmp_path / f"{name}.toml"
    shutil.copy(DATA / f"{name}.toml", path)
    return path


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_applies_medians_keeps_comments_and_is_idempotent(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(tmp_path)
    before = path.read_text(encoding="utf-8")
    assert main(["apply-calibration", str(results), "--scenario", str(path)]) == 0
    out = capsys.readouterr().out
    post, meta = read_posterior(results)
    w = post["weight"].to_numpy()
    scenario = load_scenario(path)  # the loader validates the rewritten file
    for name in meta["parameters"]:
        median = weighted_quantile(post[name].to_numpy(), w, 0.5)
        p = scenario.parameters[name]
        assert p.value == pytest.approx(median, rel=5e-3)  # 3 significant figures
        assert p.value == float(f"{median:.3g}")
        assert p.source.startswith("calibrated: calibrate_tiny, posterior median of 6 ")
        assert "2013-06-30" in p.source and f"run {meta['finished']}" in p.source
        assert f"{name} " in out and " -> " in out
    after = path.read_text(encoding="utf-8")
    # Every comment and every other line is kept; the replaced sources become comments.
    old_lines = [line for line in before.splitlines() if not line.startswith(("value", "source"))]
    new_lines = after.splitlines()
    assert all(line in new_lines for line in old_lines)
    assert after.count("# before calibration: ") == len(meta["parameters"])
    assert len(new_lines) == len(before.splitlines()) + len(meta["parameters"])
    assert (
        scenario.parameters["attack_rate"].doc
        == load_scenario("hindcast_2013").parameters["attack_rate"].doc
    )
    # Applying the same results again changes nothing.
    assert main(["apply-calibration", str(results), "--scenario", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == after
    assert "value unchanged" in capsys.readouterr().out


def test_subset_and_dry_run(results: Path, tmp_path: Path) -> None:
    path = _copy(tmp_path)
    before = path.read_bytes()
    args = ["apply-calibration", str(results), "--scenario", str(path)]
    assert main([*args, "--dry-run"]) == 0
    assert path.read_bytes() == before
    assert main([*args, "--parameters", "ct_rate"]) == 0
    scenario = load_scenario(path)
    assert scenario.parameters["ct_rate"].source.startswith("calibrated:")
    assert not scenario.parameters["attack_rate"].source.startswith("calibrated:")


def test_refusals(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(tmp_path)
    before = path.read_bytes()

    def refused(*args: str) -> str:
        assert main(["apply-calibration", *args]) == 2
        assert path.read_bytes() == before
        return _one_error(capsys)

    assert "not a finished calibration" in refused(
        str(results / "wave-01"), "--scenario", str(path)
    )
    assert "not found" in refused(str(tmp_path / "nowhere"), "--scenario", str(path))
    assert "scenario file not found" in refused(
        str(results), "--scenario", str(tmp_path / "missing.toml")
    )
    assert "not estimated" in refused(
        str(results), "--scenario", str(path), "--parameters", "isis_move_prob"
    )
    # history_dec2024 takes its parameters from iraq_syria_2024: not in that file.
    other = _copy(tmp_path, "history_dec2024")
    msg = refused(str(results), "--scenario", str(path), str(other))
    assert "parameters.attack_rate" in msg and "iraq_syria_2024" in msg
    # A calibration whose window reaches 27 November 2024 or later is refused.
    late = tmp_path / "late"
    shutil.copytree(results, late, ignore=shutil.ignore_patterns("wave-*"))
    meta = json.loads((late / "posterior.json").read_text())
    meta["window"]["until"] = "2024-11-27"
    (late / "posterior.json").write_text(json.dumps(meta))
    assert "2024-11-26" in refused(str(late), "--scenario", str(path))
    # An unfinished one: the waves' stores but no posterior yet.
    (late / "posterior.json").unlink()
    assert "not a finished calibration" in refused(str(late), "--scenario", str(path))


def test_value_outside_the_files_range_is_refused(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post, _ = read_posterior(results)
    median = weighted_quantile(post["ct_rate"].to_numpy(), post["weight"].to_numpy(), 0.5)
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    head = "[parameters.ct_rate]\nvalue = 0.012\nmin = 0.0\nmax = 0.5\n"
    assert head in text
    narrow = f"[parameters.ct_rate]\nvalue = 0.0\nmin = 0.0\nmax = {median / 2:.6g}\n"
    path.write_text(text.replace(head, narrow), encoding="utf-8")
    assert main(["apply-calibration", str(results), "--scenario", str(path)]) == 2
    err = _one_error(capsys)
    assert "parameters.ct_rate.value" in err and "outside" in err


def test_medians_at_a_priors_edge_are_flagged(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from escalation_sim.calibration.apply import _edge, calibrated_values

    assert _edge(0.19, 0.01, 0.2) is not None and "top tenth" in str(_edge(0.19, 0.01, 0.2))
    assert _edge(6.5, 6.0, 18.0) is not None and _edge(1.0, 0.5, 1.5) is None
    path = _copy(tmp_path)
    assert main(["apply-calibration", str(results), "--scenario", str(path), "--dry-run"]) == 0
    err = capsys.readouterr().err
    for v in calibrated_values(results)[0]:
        assert (f"warning: {v.name}: " in err) == (v.edge is not None)
