"""Adaptive replication (``sweep --precision``): seeds only where the headline interval is wide.

A tiny grid over ``isis_move_prob`` whose headline outcome (the first listed, crossings into
Iraq) has no spread at 0 (no cell moves: its interval is a point), a little at 0.05 and much at
0.3, so one point is precise from the start, one meets the target below the budget and one
needs the whole budget.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
from pathlib import Path

import pytest
from sweep_helpers import CLI, TINY, comparable_runs

from escalation_sim.cli import main
from escalation_sim.experiments import load_results, resolve, run_sweep
from escalation_sim.experiments.adaptive import headline_widths, next_plan, next_seeds
from escalation_sim.experiments.store import FAILPOINT_ENV

#: The tiny grid of ``sweep_helpers``, over ``isis_move_prob``, headline crossings into Iraq.
SWAPS = [
    (
        '"isis_resurgence", "isis_attacks_iraq_total", "infiltrations_total"',
        '"infiltrations_total", "isis_attacks_iraq_total"',
    ),
    (
        "border_hardening = { values = [0.0, 0.5, 1.0] }",
        "isis_move_prob = { values = [0.0, 0.05, 0.3] }",
    ),
    ("border_hardening = 0.5", "isis_move_prob = 0.05"),
]


def config_text(extra: str = "") -> str:
    text = TINY.format(weeks=5, seeds=4)
    for old, new in SWAPS:
        assert old in text
        text = text.replace(old, new)
    return text + extra


SEEDS, PRECISION, CAP = 4, 1.5, 40


def write(directory: Path, extra: str = "", name: str = "adaptive.toml") -> Path:
    path = Path(directory) / name
    path.write_text(config_text(extra))
    return path


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The adaptive sweep, serial and uninterrupted: its config and results."""
    tmp = tmp_path_factory.mktemp("adaptive")
    cfg = write(tmp)
    res = run_sweep(cfg, tmp / "out", workers=1, progress=False, precision=PRECISION, max_seeds=CAP)
    return cfg, res


def seeds_by_value(res) -> dict[float, int]:
    return res.runs.groupby("isis_move_prob").size().to_dict()


def test_next_seeds_rule():
    assert next_seeds(10, 0.1, 0.2, 40, 10) == 10  # precise: nothing more
    assert next_seeds(10, 0.3, 0.2, 40, 10) == 20  # (0.3 / 0.2)^2 x 10 = 22.5, at most doubled
    assert next_seeds(10, 0.21, 0.2, 40, 10) == 12  # ceil(11.03)
    assert next_seeds(30, 0.5, 0.2, 40, 30) == 40  # the budget
    assert next_seeds(40, 0.5, 0.2, 40, 40) == 40
    assert next_seeds(10, 0.5, 0.2, 40, 0) == 10  # every run failed: no more
    assert next_seeds(1, math.nan, 0.2, 40, 1) == 2  # interval undefined: wide


def test_stops_where_the_target_is_met(serial):
    _, res = serial
    exp = res.experiment
    counts = seeds_by_value(res)
    assert counts[0.0] == SEEDS  # precise from the start: no extra seed
    assert SEEDS < counts[0.05] < CAP  # noisy: more seeds, stopped when the target was met
    assert counts[0.3] == CAP  # very noisy: the whole budget
    widths = headline_widths(res.runs, exp).set_index("point_id")
    for p in exp.design.points:
        n = exp.seeds_at(p.point_id)
        assert n == int((res.runs["point_id"] == p.point_id).sum())
        assert widths.loc[p.point_id, "width"] <= PRECISION or n == CAP
    # Stopped: one more round would add nothing.
    assert next_plan(res.runs, exp) == {
        p.point_id: exp.seeds_at(p.point_id) for p in exp.design.points
    }
    # Common random numbers: seed k is the same at every point.
    assert (res.runs.groupby("seed_index")["seed"].nunique() == 1).all()
    record = json.loads((res.path / "manifest.json").read_text())["adaptive"]
    assert record["precision"] == PRECISION and record["max_seeds"] == CAP
    assert len(record["rounds"]) >= 2
    assert res.complete


def test_uneven_directory_is_valid_resumable_and_reported(serial, tmp_path, capsys):
    cfg, res = serial
    before = comparable_runs(res.runs)
    again = load_results(res.path)  # the integrity check accepts uneven seeds per point
    assert again.complete and again.experiment.runs_total == len(res.runs)
    # Resuming, with or without --precision, runs nothing and keeps every run.
    for extra in ([], ["--precision", str(PRECISION), "--max-seeds", str(CAP)]):
        code = main(["sweep", str(cfg), "--out", str(res.path), "--resume", "--quiet", *extra])
        assert code == 0
        assert comparable_runs(load_results(res.path).runs).equals(before)
    text = (res.path / "report.md").read_text()
    assert f"{SEEDS} to {CAP} seeds" in text
    assert "2 of 3 points meet the target" in text


def test_two_workers_give_identical_results(serial, tmp_path):
    cfg, res = serial
    two = run_sweep(
        cfg, tmp_path / "out", workers=2, progress=False, precision=PRECISION, max_seeds=CAP
    )
    assert comparable_runs(two.runs).equals(comparable_runs(res.runs))
    plan = json.loads((two.path / "manifest.json").read_text())["adaptive"]
    assert plan == json.loads((res.path / "manifest.json").read_text())["adaptive"]


# Round 0 is 12 runs in 6 tasks of 2 (one chunk each with --chunk-runs 1): killed at the 6th
# commit it has finished round 0 and planned nothing; at the 9th it is inside round 1.
@pytest.mark.parametrize("kill_at", [6, 9])
def test_killed_and_resumed_gives_the_same_results(serial, tmp_path, kill_at):
    cfg, res = serial
    out = tmp_path / "out"
    flags = ["--precision", str(PRECISION), "--max-seeds", str(CAP)]
    cmd = [*CLI, "sweep", str(cfg), "--out", str(out), "--quiet", "--no-report", "--workers", "1"]
    env = {**os.environ, FAILPOINT_ENV: f"runs-committed:{kill_at}"}
    proc = subprocess.run(
        [*cmd, "--chunk-runs", "1", *flags], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert ("adaptive" in manifest) == (kill_at > 6)
    stored = load_results(out)  # a killed adaptive directory is valid as it is
    assert 0 < len(stored.runs) < len(res.runs)
    proc = subprocess.run([*cmd, *flags], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    resumed = load_results(out)
    assert comparable_runs(resumed.runs).equals(comparable_runs(res.runs))
    assert (
        json.loads((out / "manifest.json").read_text())["adaptive"]["seeds"]
        == (json.loads((res.path / "manifest.json").read_text())["adaptive"]["seeds"])
    )


def test_config_table_and_flags_override(tmp_path):
    cfg = write(tmp_path, "\n[replication]\nprecision = 2.5\nmax_seeds = 12\n")
    rep = resolve(cfg).config.replication
    assert (rep.precision, rep.max_seeds) == (2.5, 12)
    rep = resolve(cfg, precision=0.5, max_seeds=20).config.replication
    assert (rep.precision, rep.max_seeds) == (0.5, 20)
    assert resolve(write(tmp_path, name="plain.toml")).config.replication is None
    # The default budget for a probability: the seeds that give the target at p = 0.5.
    text = config_text().replace(
        'outcomes = ["infiltrations_total"', 'outcomes = ["isis_resurgence"'
    )
    (tmp_path / "p.toml").write_text(text)
    assert resolve(tmp_path / "p.toml", precision=0.2).config.replication.max_seeds == 97


@pytest.mark.parametrize(
    ("args", "extra", "needle"),
    [
        (["--precision", "0"], "", "--precision"),
        (["--precision", "-1"], "", "--precision"),
        (["--precision", "nan"], "", "--precision"),
        (["--precision", "0.2", "--max-seeds", "3"], "", "below the 4 seeds per point"),
        (["--max-seeds", "10"], "", "needs a precision target"),
        ([], "\n[replication]\nprecision = 0\n", "replication.precision"),
        ([], "\n[replication]\nprecision = 1\nmax_seeds = 2\n", "replication.max_seeds"),
    ],
)
def test_bad_values_are_one_line(tmp_path, capsys, args, extra, needle):
    cfg = write(tmp_path, extra)
    try:
        code = main(["sweep", str(cfg), "--out", str(tmp_path / "out"), "--quiet", *args])
    except SystemExit as exc:  # argparse's own check of a flag's type
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1, err
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
