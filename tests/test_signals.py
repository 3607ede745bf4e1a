"""Signals (issue 15): SIGTERM and SIGHUP stop a sweep like Ctrl-C, keeping what finished;
whatever ends the sweep, SIGKILL included, no process of it outlives it; resuming then gives
exactly the runs of an uninterrupted sweep."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from sweep_helpers import CLI, assert_same_as_reference, serial_reference

from escalation_sim.experiments import run_sweep

SEEDS, WEEKS = 6, 20  # 3 points x 6 seeds = 18 runs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return serial_reference(tmp_path_factory.mktemp("ref"), SEEDS, WEEKS)


def start(cfg: Path, out: Path) -> subprocess.Popen[str]:
    cmd = [*CLI, "sweep", str(cfg), "--out", str(out), "--quiet", "--no-report"]
    cmd += ["--workers", "2", "--chunk-runs", "1"]
    # Its own session: the process group holds the sweep, its fork server and its workers.
    return subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.01)


def group(pgid: int) -> list[psutil.Process]:
    """Live processes of the process group ``pgid`` (zombies are dead)."""
    alive = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return alive


def assert_group_ends(pgid: int) -> None:
    wait_for(lambda: not group(pgid), seconds=20)
    left = group(pgid)
    for p in left:  # do not leave them to the next test
        p.kill()
    assert not left, [p.cmdline() for p in left]


def stored(out: Path) -> int:
    parts = list((out / "runs").glob("part-*"))
    return len(pd.read_parquet(out / "runs")) if parts else 0


@pytest.mark.parametrize(
    ("signum", "moment"),
    [(signal.SIGTERM, 0), (signal.SIGHUP, 1), (signal.SIGTERM, 2)],
)
def test_sigterm_and_sighup_keep_finished_runs_and_leave_no_process(
    tmp_path, reference, signum, moment
):
    cfg = reference[0]
    out = tmp_path / "out"
    proc = start(cfg, out)
    wait_for(lambda: (out / "manifest.json").exists() or proc.poll() is not None)
    time.sleep(random.Random(moment).uniform(0.0, 4.0))  # a random moment of the sweep
    if proc.poll() is None:
        os.kill(proc.pid, signum)  # the parent only, as `kill PID` or systemd does
    _, err = proc.communicate(timeout=120)
    assert_group_ends(proc.pid)
    assert "Traceback" not in err
    n = stored(out)
    if proc.returncode == 0:  # finished before the signal came
        assert n == 3 * SEEDS
    else:
        assert proc.returncode == 128 + signum, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert f"interrupted: {n} of {3 * SEEDS} runs stored" in lines[0]
        assert signal.Signals(signum).name in lines[0]
    assert not list((out / "timeseries").glob("_pending-*"))
    run_sweep(cfg, out, workers=1, resume=True, progress=False)
    assert_same_as_reference(out, reference)


def test_sigkill_of_the_parent_ends_its_fork_server_and_workers(tmp_path, reference):
    cfg = reference[0]
    out = tmp_path / "out"
    proc = start(cfg, out)
    wait_for(lambda: stored(out) >= 2 or proc.poll() is not None)
    assert proc.poll() is None, "the sweep ended before it could be killed"
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children  # the fork server and its workers
    os.kill(proc.pid, signal.SIGKILL)  # the parent only: its children are not told
    proc.communicate(timeout=60)  # returns: nothing holds the stderr pipe any more
    assert_group_ends(proc.pid)
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
    run_sweep(cfg, out, workers=1, progress=False)
    assert_same_as_reference(out, reference)


def test_sigterm_stops_a_single_run_in_one_line(tmp_path):
    out = tmp_path / "run"
    cmd = [*CLI, "run", "--weeks", "2000", "--out", str(out)]
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    proc.stderr.read(1)  # the progress bar has started: the run is under way
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].split("\r")[-1].strip() == "interrupted (SIGTERM)"
    assert not out.exists() or not any(p.name.startswith(".") for p in out.iterdir())
