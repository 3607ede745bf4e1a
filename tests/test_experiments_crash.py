"""A sweep killed with SIGKILL at any moment, then resumed, ends with exactly the runs of an
uninterrupted sweep: same rows, none twice, none missing. The sweep runs as a real process (the
CLI) and is killed from outside, or kills itself at a chosen point of a chunk's commit."""

import os
import signal
import subprocess
import time

import pandas as pd
import pytest
from sweep_helpers import (
    CLI,
    assert_same_as_reference,
    read_dir,
    serial_reference,
    write_config,
)

from escalation_sim.experiments import run_sweep
from escalation_sim.experiments.store import FAILPOINT_ENV

SEEDS, WEEKS = 4, 5  # 3 points x 4 seeds = 12 runs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return serial_reference(tmp_path_factory.mktemp("ref"), SEEDS, WEEKS)


def sweep_cmd(cfg, out, *extra):
    return [*CLI, "sweep", str(cfg), "--out", str(out), "--quiet", "--no-report", *extra]


def resume(cfg, out):
    proc = subprocess.run(sweep_cmd(cfg, out), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("failpoint", "stored"),
    [
        ("timeseries-pending:2", 2),  # chunk 2's weekly rows written, its runs not: undone
        ("runs-written:2", 2),  # chunk 2's runs written to a temp file, not renamed: undone
        ("runs-committed:2", 4),  # chunk 2 committed, its weekly rows not yet visible: completed
        ("runs-committed:5", 10),
    ],
)
def test_sigkill_inside_a_chunk_commit_then_resume(tmp_path, reference, failpoint, stored):
    cfg = reference[0]
    out = tmp_path / "out"
    env = {**os.environ, FAILPOINT_ENV: failpoint}
    cmd = sweep_cmd(cfg, out, "--workers", "1", "--chunk-runs", "2")  # chunks of 2 runs
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert len(list((out / "timeseries").glob("_pending-*"))) == 1
    # Readers never see a run twice nor weekly rows of an uncommitted run.
    runs, ts = read_dir(out)
    assert len(runs) == stored
    committed = set(zip(runs["point_id"], runs["seed_index"], strict=True))
    assert set(zip(ts["point_id"], ts["seed_index"], strict=True)) <= committed
    run_sweep(cfg, out, workers=1, progress=False)  # resume
    assert_same_as_reference(out, reference)


@pytest.mark.parametrize("after_chunks", [0, 2])
def test_sigkill_from_outside_with_two_workers_then_resume(tmp_path, reference, after_chunks):
    cfg, ref_runs, _ = reference
    out = tmp_path / "out"
    cmd = sweep_cmd(cfg, out, "--workers", "2", "--chunk-runs", "1")
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            parts = list((out / "runs").glob("part-*")) if (out / "runs").is_dir() else []
            if (after_chunks == 0 and (out / "manifest.json").exists()) or (
                after_chunks and len(parts) >= after_chunks
            ):
                break
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep, its fork server and its workers
        proc.wait(timeout=60)
    stored = len(pd.read_parquet(out / "runs")) if list((out / "runs").glob("part-*")) else 0
    assert stored <= len(ref_runs)
    resume(cfg, out)
    assert_same_as_reference(out, reference)


def test_ctrl_c_keeps_finished_chunks_and_exits_130(tmp_path):
    cfg = write_config(tmp_path, seeds=20, weeks=30)  # 60 runs: long enough to interrupt
    out = tmp_path / "out"
    cmd = [*CLI, "sweep", str(cfg), "--out", str(out), "--workers", "1", "--chunk-runs", "1"]
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "runs").is_dir() and list((out / "runs").glob("part-*")):
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted:" in err and "of 60 runs stored" in err
    stored = len(pd.read_parquet(out / "runs"))
    assert 0 < stored < 60
    assert not list((out / "timeseries").glob("_pending-*"))
    assert f"{stored} of 60" in err
