"""Sweeps on Dask (experiments.cluster): the same runs as serial and local processes, the same
resumable store, a worker killed mid-task loses and duplicates nothing, clear errors, loopback."""

import importlib.metadata
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import psutil
import pytest
from sweep_helpers import (
    CLI,
    assert_same_as_reference,
    comparable_runs,
    comparable_timeseries,
    read_dir,
    serial_reference,
    write_config,
)

from escalation_sim.cli import main
from escalation_sim.errors import ConfigError
from escalation_sim.experiments import run_sweep, runner
from escalation_sim.experiments.store import FAILPOINT_ENV

distributed = pytest.importorskip("distributed")

from dask_helpers import MARKS_ENV, marked_batch  # noqa: E402

from escalation_sim.experiments.cluster import DaskExecutor, start_local_cluster  # noqa: E402

SEEDS, WEEKS = 4, 6  # 3 points x 4 seeds = 12 runs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A serial sweep: the runs every backend must reproduce."""
    return serial_reference(tmp_path_factory.mktemp("ref"), SEEDS, WEEKS)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two worker processes, shared by the tests that do not harm it."""
    cluster = start_local_cluster(2)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def sweep_args(cfg, out, *extra):
    return ["sweep", str(cfg), "--out", str(out), "--quiet", "--no-report", *extra]


def test_serial_local_processes_and_dask_local_give_identical_runs(reference, tmp_path):
    cfg = reference[0]
    parallel = run_sweep(cfg, tmp_path / "processes", workers=2, progress=False, batch_size=2)
    assert parallel.complete
    assert_same_as_reference(tmp_path / "processes", reference)
    assert main(sweep_args(cfg, tmp_path / "dask", "--dask-local", "2")) == 0
    assert_same_as_reference(tmp_path / "dask", reference)


def test_scheduler_address_on_the_command_line(reference, client, tmp_path):
    address = client.scheduler.address
    assert main(sweep_args(reference[0], tmp_path / "out", "--scheduler", address)) == 0
    assert_same_as_reference(tmp_path / "out", reference)


def test_python_api_with_a_client_and_small_batches(reference, client, tmp_path):
    with DaskExecutor(client) as ex:
        res = run_sweep(reference[0], tmp_path / "out", executor=ex, batch_size=1, progress=False)
    assert res.complete and not client.status == "closed"  # a client we passed stays open
    assert_same_as_reference(tmp_path / "out", reference)


def test_a_sweep_killed_locally_is_finished_on_dask(reference, client, tmp_path):
    cfg, out = reference[0], tmp_path / "out"
    # The local sweep kills itself (SIGKILL) once its second chunk is committed.
    env = {**os.environ, FAILPOINT_ENV: "runs-committed:2"}
    cmd = [*CLI, *sweep_args(cfg, out, "--workers", "1", "--chunk-runs", "2")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    partial, _ = read_dir(out)
    assert 0 < len(partial) < 3 * SEEDS
    assert main(sweep_args(cfg, out, "--scheduler", client.scheduler.address)) == 0
    assert_same_as_reference(out, reference)


def test_a_worker_killed_mid_task_loses_and_duplicates_no_run(reference, tmp_path, monkeypatch):
    cfg = write_config(tmp_path, seeds=8, weeks=104)  # tasks of 4 runs: about a second each
    serial = run_sweep(cfg, tmp_path / "serial", workers=1, progress=False)
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv(MARKS_ENV, str(marks))  # before the workers start: they inherit it
    monkeypatch.setattr(runner, "run_batch", marked_batch)
    killed: list[str] = []

    def kill_a_worker_mid_task(pids, stop):
        while not stop.is_set():
            for mark in marks.glob("started-*"):
                pid = int(mark.name.split("-")[1])
                if pid in pids and not (marks / mark.name.replace("started", "done")).exists():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(mark.name.removeprefix("started-"))
                    return
            time.sleep(0.005)

    with DaskExecutor(local_workers=2) as ex:
        pids = set(ex.client.run(os.getpid).values())
        stop = threading.Event()
        killer = threading.Thread(target=kill_a_worker_mid_task, args=(pids, stop))
        killer.start()
        try:
            res = run_sweep(cfg, tmp_path / "dask", executor=ex, batch_size=4, progress=False)
        finally:
            stop.set()
            killer.join()
        after = set(ex.client.run(os.getpid).values())
    # The killed worker had started a task and never finished it; the nanny replaced it.
    assert len(killed) == 1
    assert not (marks / f"done-{killed[0]}").exists()
    assert int(killed[0].split("-")[0]) not in after
    # That task ran again elsewhere: every run once, the same as serial.
    task = killed[0].split("-", 1)[1]
    assert len(list(marks.glob(f"done-*-{task}"))) == 1
    runs, ts = read_dir(tmp_path / "dask")
    assert len(runs) == 24 and not runs.duplicated(["point_id", "seed_index"]).any()
    assert not ts.duplicated(["point_id", "seed_index", "week"]).any()
    pd.testing.assert_frame_equal(comparable_runs(res.runs), comparable_runs(serial.runs))
    pd.testing.assert_frame_equal(
        comparable_timeseries(res.timeseries()), comparable_timeseries(serial.timeseries())
    )


def test_local_cluster_listens_on_loopback_only(client):
    addresses = [client.scheduler.address, *client.scheduler_info()["workers"]]
    assert all(a.startswith("tcp://127.0.0.1:") for a in addresses)
    me = psutil.Process()
    listening = [
        c.laddr.ip
        for p in [me, *me.children(recursive=True)]
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening and set(listening) == {"127.0.0.1"}


def test_unreachable_scheduler_is_a_config_error():
    with pytest.raises(ConfigError, match=r"cannot reach a Dask scheduler at tcp://127\.0\.0\.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)


def test_dask_options_exclude_workers(reference, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(sweep_args(reference[0], out, "--dask-local", "2", "--workers", "2")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--workers" in err and not out.exists()
    with pytest.raises(SystemExit) as exc:  # argparse: the two Dask options exclude each other
        main(sweep_args(reference[0], out, "--dask-local", "2", "--scheduler", "x"))
    assert exc.value.code == 2 and "not allowed with" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("option", [["--dask-local", "2"], ["--scheduler", "tcp://h:8786"]])
def test_without_dask_one_line_says_what_to_install(reference, tmp_path, option):
    out = tmp_path / "out"
    args = sweep_args(reference[0], out, *option)
    code = (
        "import sys; sys.modules['distributed'] = None;"  # import distributed -> ImportError
        f"from escalation_sim.cli import main; sys.exit(main({args!r}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert (
        err.startswith(f"error: {option[0]}: ") and "pip install 'escalation-sim[cluster]'" in err
    )
    assert not out.exists()


def test_the_core_install_neither_needs_nor_imports_dask():
    requires = importlib.metadata.requires("escalation-sim") or []
    dask = [r for r in requires if r.lower().startswith(("dask", "distributed"))]
    assert dask and all("extra ==" in r for r in dask)
    assert any('extra == "cluster"' in r for r in dask)
    code = (
        "import sys, escalation_sim.cli as c; c.build_parser();"
        "from escalation_sim.experiments import cluster, run_sweep;"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_an_argument_every_task_shares_goes_to_the_cluster_once():
    from escalation_sim.experiments.cluster import _SharedArguments

    class Future:
        released = False

        def release(self):
            self.released = True

    class Client:
        def __init__(self):
            self.sent = []

        def submit(self, fn, *args, pure):
            self.sent.append(args)
            return Future()

    client = Client()
    shared = _SharedArguments(client)
    job = {"scenario": "large"}
    tasks = [(job, [i, i + 1], 3) for i in range(5)]
    calls = [shared.hoist(t) for t in tasks]
    assert client.sent == [(job,)]  # sent once, as a task of its own
    assert calls[0][0] is job and all(c[0] is calls[1][0] for c in calls[1:])
    assert [c[1] for c in calls] == [t[1] for t in tasks] and all(c[2] == 3 for c in calls)
    future = calls[1][0]
    shared.release()
    assert future.released
