"""The command line: outputs of `run`, and one-line errors without tracebacks."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from escalation_sim import WEEKLY_OUTCOMES
from escalation_sim.cli import main

CLI = [sys.executable, "-m", "escalation_sim.cli"]


def test_run_writes_outputs(tmp_path):
    out = tmp_path / "r"
    assert (
        main(
            [
                "run",
                "--seed",
                "4",
                "--weeks",
                "12",
                "--out",
                str(out),
                "--quiet",
                "--set",
                "border_hardening=0.8",
            ]
        )
        == 0
    )
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 13 and {"week", "date", *WEEKLY_OUTCOMES} <= set(ts.columns)
    doc = json.loads((out / "outcomes.json").read_text())
    assert doc["seed"] == 4 and doc["weeks"] == 12
    assert doc["parameters"]["border_hardening"] == 0.8
    assert "isis_resurgence" in doc["outcomes"]
    events = pd.read_parquet(out / "events.parquet")
    assert list(events.columns) == ["week", "date", "region", "actor", "kind", "target", "deaths"]
    for png in ("timeseries.png", "map.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_config_same_parquet(tmp_path):
    for name in ("a", "b"):
        main(
            [
                "run",
                "--seed",
                "9",
                "--weeks",
                "30",
                "--out",
                str(tmp_path / name),
                "--quiet",
                "--no-plots",
            ]
        )
    assert (tmp_path / "a/timeseries.parquet").read_bytes() == (
        tmp_path / "b/timeseries.parquet"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--set", "nonsense=1"], ["parameters.nonsense", "unknown parameter"]),
        (["--set", "border_hardening=1.5"], ["parameters.border_hardening", "0.0 to 1.0"]),
        (["--set", "border_hardening=high"], ["parameters.border_hardening", "not a number"]),
        (["--set", "border_hardening"], ["expected key=value"]),
        (["--scenario", "missing.toml"], ["missing.toml", "scenario not found"]),
        (["--weeks", "zero"], ["--weeks", "not an integer"]),
    ],
)
def test_bad_input_is_one_line_no_traceback(tmp_path, args, needles):
    proc = subprocess.run(
        [*CLI, "run", "--out", str(tmp_path / "x"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]
    assert not (tmp_path / "x").exists()  # nothing written


def test_broken_scenario_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[meta]\nname = 'x'\n[[regions]\n")
    proc = subprocess.run(
        [*CLI, "run", "--scenario", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and str(bad) in proc.stderr
    assert "invalid TOML" in proc.stderr


def test_params_lists_parameters_and_switches(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "border_hardening" in out and "mechanisms.NAME=false" in out
    assert main(["params", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["parameters"]["syria_collapse"]["max"] == 1.0


def test_unwritable_output_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = subprocess.run(
        [*CLI, "run", "--quiet", "--weeks", "2", "--out", str(blocker / "x")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert str(blocker / "x") in proc.stderr
