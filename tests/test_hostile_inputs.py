"""Hostile inputs and damaged sweep directories (issue 15): each gives a non-zero exit, exactly
one line on stderr, no traceback, and leaves what was computed as it was.

The command line runs in this process (``cli.main``), so a traceback would fail the test as an
uncaught exception; the signal and process tests are in ``test_signals.py``.
"""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import TINY, comparable_runs, comparable_timeseries, snapshot, write_config

from escalation_sim.cli import main
from escalation_sim.experiments import run_sweep, store
from escalation_sim.experiments.integrity import expected_runs
from escalation_sim.experiments.limits import MAX_RUNS, MAX_SEEDS

SEEDS, WEEKS = 2, 3  # 3 points x 2 seeds = 6 runs in 3 chunks of 2


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """Run the CLI; return its exit status and its single stderr line (asserted single)."""
    status, lines = error_lines(capsys, argv, 1)
    return status, lines[0]


def error_lines(
    capsys: pytest.CaptureFixture[str], argv: list[str], count: int
) -> tuple[int, list[str]]:
    """Run the CLI; return its exit status and its stderr lines (``count``, one a mistake)."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors
        status = int(exc.code or 0)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == count, err
    assert all(line.startswith("error: ") for line in lines), err
    return status, lines


def files(directory: Path) -> dict[str, tuple[bytes, int]]:
    """What a refused command must not change (the lock file's pid aside)."""
    return {k: v for k, v in snapshot(directory).items() if k != ".lock"}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> tuple[Path, Path]:
    """A finished sweep with its report, and its config."""
    root = tmp_path_factory.mktemp("hostile")
    cfg = write_config(root, seeds=SEEDS, weeks=WEEKS)
    out = root / "sweep"
    run_sweep(cfg, out, workers=1, progress=False, chunk_runs=2).report()
    return cfg, out


@pytest.fixture(scope="module")
def foreign(tmp_path_factory) -> Path:
    """A sweep of other border_hardening values: its chunks have the same columns."""
    root = tmp_path_factory.mktemp("foreign")
    text = TINY.replace("[0.0, 0.5, 1.0]", "[0.1, 0.2, 0.3]").replace(
        "border_hardening = 0.5", "border_hardening = 0.2"
    )
    cfg = write_config(root, text, seeds=SEEDS, weeks=WEEKS)
    out = root / "sweep"
    run_sweep(cfg, out, workers=1, progress=False, chunk_runs=2)
    return out


@pytest.fixture
def copy(sweep, tmp_path) -> tuple[Path, Path]:
    cfg, out = sweep
    dest = tmp_path / "sweep"
    shutil.copytree(out, dest)
    return cfg, dest


def first(directory: Path) -> Path:
    return sorted(directory.glob("part-*.parquet"))[0]


def _copy_runs(d: Path) -> None:
    shutil.copy(first(d / "runs"), d / "runs" / "part-copy.parquet")


def _copy_weeks(d: Path) -> None:
    shutil.copy(first(d / "timeseries"), d / "timeseries" / "part-copy.parquet")


def _drop_runs_keep_weeks(d: Path) -> None:
    first(d / "runs").unlink()


def _truncate(d: Path) -> None:
    path = first(d / "runs")
    path.write_bytes(path.read_bytes()[:100])


def _empty(d: Path) -> None:
    first(d / "runs").write_bytes(b"")


def _stray(d: Path) -> None:
    pd.DataFrame({"a": [1, 2]}).to_parquet(d / "runs" / "part-stray.parquet")


def _manifest(edit: Callable[[dict], object]) -> Callable[[Path], None]:
    def apply(d: Path) -> None:
        doc = json.loads((d / "manifest.json").read_text())
        (d / "manifest.json").write_text(json.dumps(edit(doc)))

    return apply


def _far_start(doc: dict) -> dict:
    doc["scenario"]["meta"]["start_date"] = "9999-12-01"
    return doc


DAMAGE = {
    "copied runs chunk": (_copy_runs, "part-copy.parquet", "stored twice"),
    "copied weekly chunk": (_copy_weeks, "part-copy.parquet", "without their runs"),
    "runs chunk deleted, weekly kept": (_drop_runs_keep_weeks, "timeseries/part-", "without"),
    "truncated chunk": (_truncate, "runs/part-", "damaged"),
    "empty chunk": (_empty, "runs/part-", "empty"),
    "stray parquet": (_stray, "part-stray.parquet", "other columns"),
    "manifest a list": (_manifest(lambda d: [1, 2]), "manifest.json", "not an object"),
    "manifest without config": (
        _manifest(lambda d: {k: v for k, v in d.items() if k != "config"}),
        "manifest.json: config",
        "missing",
    ),
    "manifest without schema": (
        _manifest(lambda d: {k: v for k, v in d.items() if k != "schema"}),
        "manifest.json: schema",
        "missing",
    ),
    "start_date 9999-12-01": (_manifest(_far_start), "start_date", "9961-09-01"),
    "resamples 10^9 in a stored manifest": (
        _manifest(lambda d: {**d, "config": {**d["config"], "analysis": {"resamples": 10**9}}}),
        "analysis.resamples",
        "less than or equal to 100000",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_report_refuses_a_damaged_directory_and_keeps_the_old_report(copy, capsys, case):
    _, d = copy
    damage, where, what = DAMAGE[case]
    damage(d)
    before = files(d)
    status, line = one_error_line(capsys, ["report", str(d), "--quiet"])
    assert status == 2
    assert where in line and what in line, line
    assert files(d) == before  # summary.csv, report.md, figures: as they were


@pytest.mark.parametrize("case", ["copied runs chunk", "copied weekly chunk", "truncated chunk"])
def test_resume_refuses_then_repairs(copy, sweep, capsys, case):
    cfg, d = copy
    damage, where, _ = DAMAGE[case]
    damage(d)
    before = files(d)
    argv = ["sweep", str(cfg), "--out", str(d), "--workers", "1", "--quiet", "--no-report"]
    status, line = one_error_line(capsys, [*argv, "--resume"])
    assert status == 2 and where in line and "--repair" in line
    assert files(d) == before
    assert main([*argv, "--repair"]) == 0
    ref = sweep[1]
    pd.testing.assert_frame_equal(
        comparable_runs(pd.read_parquet(d / "runs")), comparable_runs(pd.read_parquet(ref / "runs"))
    )
    pd.testing.assert_frame_equal(
        comparable_timeseries(pd.read_parquet(d / "timeseries")),
        comparable_timeseries(pd.read_parquet(ref / "timeseries")),
    )
    assert list((d / "quarantine").rglob("*.parquet"))


def test_runs_outside_the_design_are_refused_not_counted(copy, foreign, capsys):
    cfg, d = copy
    _drop_runs_keep_weeks(d)  # 2 runs missing...
    (d / "timeseries" / first(d / "timeseries").name).unlink()
    shutil.copy(first(foreign / "runs"), d / "runs" / "part-foreign.parquet")  # ...2 foreign
    argv = ["sweep", str(cfg), "--out", str(d), "--workers", "1", "--quiet", "--no-report"]
    status, line = one_error_line(capsys, [*argv, "--resume"])
    assert status == 2 and "part-foreign.parquet" in line and "not in the design" in line
    status, line = one_error_line(capsys, ["report", str(d), "--quiet"])
    assert status == 2 and "part-foreign.parquet" in line
    assert main([*argv, "--repair"]) == 0
    runs = pd.read_parquet(d / "runs")
    assert len(runs) == 6 and set(runs["border_hardening"]) == {0.0, 0.5, 1.0}


def test_runs_not_a_directory_keeps_the_summary(copy, capsys):
    _, d = copy
    shutil.rmtree(d / "runs")
    (d / "runs").write_text("not a directory")
    before = files(d)
    status, line = one_error_line(capsys, ["report", str(d), "--quiet"])
    assert status == 2 and "runs" in line and "not a directory" in line
    assert files(d) == before


def test_report_removes_temporaries_a_killed_report_left(copy):
    _, d = copy
    stale = [d / ".summary.csv.x1y2.csv", d / "figures" / ".response.png.a1b2.png"]
    for path in stale:
        path.write_bytes(b"half")
    assert main(["report", str(d), "--quiet"]) == 0
    assert not any(p.exists() for p in stale)


def test_expected_runs_is_the_design(sweep):
    from escalation_sim.experiments import load_results

    exp = load_results(sweep[1]).experiment
    want = expected_runs(exp)
    assert len(want) == exp.runs_total == 6
    assert not want.duplicated(["point_id", "seed_index"]).any()
    stored = pd.read_parquet(sweep[1] / "runs")
    assert set(zip(want["point_id"], want["seed_index"], want["seed"], strict=True)) == set(
        zip(stored["point_id"], stored["seed_index"], stored["seed"], strict=True)
    )


# ---------------------------------------------------------------------------------------------
# sizes: refused at once, before anything is written


SMALL = TINY.format(seeds=SEEDS, weeks=WEEKS)

GRID = """
name = "huge"
[design]
sampler = "grid"
[design.parameters]
border_hardening = { min = 0.0, max = 1.0, levels = LEVELS }
syria_collapse = { min = 0.0, max = 1.0, levels = LEVELS }
"""

MORRIS = """
name = "huge"
[design]
sampler = "morris"
trajectories = 1000000000
[design.parameters]
border_hardening = { min = 0.0, max = 1.0 }
"""

SIZES = {
    "seeds per point 10^9": (SMALL.replace(f"per_point = {SEEDS}", "per_point = 1000000000"), []),
    "--seeds 10^9": (SMALL, ["--seeds", "1000000000"]),
    "grid 40,000 x 40,000": (GRID.replace("LEVELS", "40000"), []),
    "grid 1,000 x 1,000 (10^6 rows)": (GRID.replace("LEVELS", "1000"), []),
    "morris 10^9 trajectories": (MORRIS, []),
    "resamples 10^9": (SMALL.replace("resamples = 199", "resamples = 1000000000"), []),
    "--weeks 10^9": (SMALL, ["--weeks", "1000000000"]),
}


@pytest.mark.parametrize("case", list(SIZES))
def test_sizes_are_bounded_before_anything_is_written(tmp_path, capsys, case):
    text, extra = SIZES[case]
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    out = tmp_path / "out"
    mistakes = 2 if "40,000 x 40,000" in case else 1  # both parameters' levels, one line each
    status, lines = error_lines(capsys, ["sweep", str(cfg), "--out", str(out), *extra], mistakes)
    assert status == 2
    for line in lines:
        assert "allowed" in line or "less than or equal to" in line, line
    assert not out.exists()


def test_runs_bound_is_stated(tmp_path, capsys):
    values = ", ".join(f"{i / 10:.1f}" for i in range(11))  # 11 points x 100,000 seeds
    text = SMALL.replace("[0.0, 0.5, 1.0]", f"[{values}]")
    cfg = tmp_path / "c.toml"
    cfg.write_text(text.replace(f"per_point = {SEEDS}", f"per_point = {MAX_SEEDS}"))
    status, line = one_error_line(capsys, ["sweep", str(cfg), "--out", str(tmp_path / "o")])
    assert status == 2 and f"{MAX_RUNS:,}" in line


def test_resamples_changed_on_a_stored_sweep_is_refused_untouched(copy, capsys):
    cfg, d = copy
    bad = cfg.parent / "bad.toml"
    bad.write_text(cfg.read_text().replace("resamples = 199", "resamples = 1000000000"))
    before = files(d)
    status, line = one_error_line(capsys, ["sweep", str(bad), "--out", str(d), "--quiet"])
    assert status == 2 and "resamples" in line
    assert files(d) == before


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["validate", "hindcast", "--seeds", "1000000000"], "10,000"),
        (["validate", "tails", "--seeds", "1000000000"], "10,000"),
        (["validate", "tails", "--seeds", "1", "--weeks", "1"], "more --seeds"),
        (["validate", "epstein", "--set", "width=100000"], "1,000"),
        (["validate", "epstein", "--set", "vision=1000000"], "50"),
        (["validate", "epstein", "--ticks", "1000000000"], "100,000"),
        (["run", "--seed", "99999999999999999999"], "allowed"),
        (["run", "--set", "border_hardening=٠.٥"], "ASCII"),
        (["run", "--set", "border_hardening=1_0"], "underscores"),
        (["run", "--set", "border_hardening=0.5", "--set", "border_hardening=0.6"], "twice"),
    ],
)
def test_validation_and_run_inputs_are_one_line(tmp_path, capsys, argv, needle):
    out = tmp_path / "out"
    status, line = one_error_line(capsys, [*argv, "--out", str(out), "--quiet"])
    assert status == 2 and needle in line, line
    assert not out.exists()


def test_workers_above_the_cores_are_capped_with_a_note(tmp_path, capsys):
    cfg = write_config(tmp_path, seeds=1, weeks=1)
    argv = ["sweep", str(cfg), "--out", str(tmp_path / "o"), "--workers", "64", "--quiet"]
    assert main([*argv, "--no-report"]) == 0
    err = capsys.readouterr().err
    assert "capped at" in err and "Traceback" not in err


def test_run_clears_the_outputs_it_owns(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--weeks", "2", "--out", str(out), "--quiet"]) == 0
    assert (out / "timeseries.png").exists() and (out / "map.png").exists()
    assert main(["run", "--weeks", "2", "--out", str(out), "--quiet", "--no-plots"]) == 0
    assert not list(out.glob("*.png"))


def test_a_failed_creation_leaves_nothing_the_next_run_refuses(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path, seeds=1, weeks=1)
    out = tmp_path / "out"
    real = store.atomic_write

    def full(path, write):
        if Path(path).name == "manifest.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, write)

    monkeypatch.setattr(store, "atomic_write", full)
    status, line = one_error_line(capsys, ["sweep", str(cfg), "--out", str(out), "--quiet"])
    assert status == 1 and "No space left" in line
    assert not out.exists()
    out.mkdir()
    (out / ".lock").write_text("123")  # what an older version left behind
    monkeypatch.setattr(store, "atomic_write", real)
    assert main(["sweep", str(cfg), "--out", str(out), "--quiet", "--no-report"]) == 0
