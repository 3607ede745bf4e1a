"""Sweeps on a Dask cluster: ``DaskExecutor`` and the ``sweep`` command's cluster options.

Dask is optional: ``pip install 'escalation-sim[cluster]'``. Nothing here imports it until a
cluster is asked for, so the core install and the local runner never load it.

``DaskExecutor`` is an ``Executor`` (module ``executors``): the runner hands it the same batches
of runs it gives local processes and writes what comes back into the same resumable store, so a
sweep gives the same runs on one core, on local processes or on a cluster, and can be stopped on
one and finished on another. Tasks go to the scheduler a few per worker thread at a time (memory
stays flat on both sides) and each result is released on the cluster as soon as it is read.

A worker that dies mid-task (killed, out of memory, its node lost) costs nothing but time: the
scheduler runs its tasks again on another worker, and the runner, which stores a batch only when
its result arrives, stores each run exactly once. A task that kills every worker it lands on is
given up after ``distributed.scheduler.allowed-failures`` attempts (3 by default): the sweep then
stops with ``WorkerLostError``, keeping what finished, and rerunning resumes it.

Command line::

    escalation-sim sweep CONFIG --dask-local 4                  # a LocalCluster on 127.0.0.1
    escalation-sim sweep CONFIG --scheduler tcp://host:8786     # a running cluster

Python::

    from escalation_sim.experiments import run_sweep
    from escalation_sim.experiments.cluster import DaskExecutor

    with DaskExecutor("tcp://host:8786") as ex:     # or DaskExecutor(local_workers=4),
        run_sweep("experiments/border_hardening.toml", out="results/bh", executor=ex)

Workers must be able to import ``escalation_sim`` (install the package where they run). Start
a ``LocalCluster`` from a script under ``if __name__ == "__main__":``: its workers are new
processes that import the script.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from escalation_sim.errors import ConfigError
from escalation_sim.experiments.executors import Executor, WorkerLostError, abandon, next_tasks

if TYPE_CHECKING:
    import threading

    from distributed import Client, Future, LocalCluster

# What to install when Dask is missing, and the sweep's Dask options: in a light module, so that
# registering ``sweep`` (every ``escalation-sim --help``) does not import the executors.
from escalation_sim.experiments.cluster_options import INSTALL, add_cluster_options  # noqa: F401


def import_distributed(option: str = "Dask") -> Any:
    """Import ``distributed``, or raise a one-line ``ConfigError`` saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            option, None, f"needs Dask (dask.distributed), which is not installed: {INSTALL}"
        ) from None
    return distributed


class DaskExecutor(Executor):
    """Runs a sweep's tasks on a Dask cluster (module docstring).

    Give one of ``scheduler`` (an address such as ``tcp://host:8786``, or a connected
    ``distributed.Client``) or ``local_workers`` (start a ``LocalCluster`` of that many
    single-threaded worker processes on 127.0.0.1, dashboard off).

    Args:
        scheduler: Scheduler address or ``Client``.
        local_workers: Size of a ``LocalCluster`` to start (and stop on ``close``).
        in_flight: Tasks submitted ahead per worker thread.
        timeout: Seconds to wait for the scheduler to answer.

    Raises:
        ConfigError: Dask is not installed, or the scheduler cannot be reached.
    """

    cooperative_stop = True  # map_unordered honours StopRequest.now

    def __init__(
        self,
        scheduler: str | Client | None = None,
        *,
        local_workers: int | None = None,
        in_flight: int = 2,
        timeout: float = 30.0,
    ) -> None:
        if (scheduler is None) == (local_workers is None):
            raise ValueError("give either scheduler or local_workers")
        option = "--dask-local" if local_workers is not None else "--scheduler"
        distributed = import_distributed(option)
        self.in_flight = max(1, in_flight)
        self.cluster: LocalCluster | None = None
        self._own_client = not isinstance(scheduler, distributed.Client)
        if local_workers is not None:
            self.cluster = start_local_cluster(local_workers)
            self.client = distributed.Client(self.cluster, timeout=timeout)
            where = "LocalCluster"
        elif isinstance(scheduler, distributed.Client):
            self.client = scheduler
            where = str(scheduler.scheduler.address)
        else:
            try:
                self.client = distributed.Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                detail = " ".join(str(exc).split())[:200]
                raise ConfigError(
                    "--scheduler", None, f"cannot reach a Dask scheduler at {scheduler}: {detail}"
                ) from None
            where = str(scheduler)
        self._threads_seen = 0.0
        self.workers = self._threads(refresh=True)
        self.name = f"Dask {where}, {self.workers} worker threads"

    def _threads(self, refresh: bool = False) -> int:
        """Worker threads in the cluster now (asked at most every two seconds); at least 1."""
        now = time.monotonic()
        if refresh or now - self._threads_seen > 2.0:
            self._threads_seen = now
            self._nthreads = max(1, sum(self.client.nthreads().values()))
        return self._nthreads

    def map_unordered(  # noqa: D102  (see the base class)
        self,
        fn: Callable[..., Any],
        tasks: Iterable[tuple],
        *,
        stop: threading.Event | None = None,
    ) -> Iterator[Any]:
        from distributed import as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        client = self.client
        completed = as_completed(loop=client.loop)
        shared = _SharedArguments(client)
        pending: set[Future] = set()
        it = iter(tasks)
        exhausted = False
        finished = False
        try:
            while True:
                # A cluster may grow (adaptive SLURM jobs starting) or shrink: follow it.
                if not exhausted:
                    room = self._threads() * self.in_flight - len(pending)
                    new, exhausted = next_tasks(it, room, stop)
                    for task in new:
                        future = client.submit(fn, *shared.hoist(task), pure=False)
                        pending.add(future)
                        completed.add(future)
                if stop is not None and stop.is_set() and pending:
                    pending = self._drop_queued(pending)
                if not pending:
                    finished = True
                    return
                if abandon(stop):
                    return  # running tasks are cancelled below
                if not completed.has_ready():
                    time.sleep(0.05)  # wake up often enough to notice a stop
                    continue
                for future in completed.next_batch(block=False):
                    if future not in pending:  # cancelled after a stop
                        continue
                    pending.discard(future)
                    try:
                        result = future.result()
                    except KilledWorker as exc:
                        raise WorkerLostError(
                            f"a task killed every Dask worker it ran on ({exc})"
                        ) from exc
                    except FutureCancelledError as exc:  # cancelled on the cluster's side
                        raise WorkerLostError(f"the cluster cancelled a task ({exc})") from exc
                    except ImportError as exc:
                        raise ConfigError(
                            "--scheduler",
                            None,
                            f"the Dask workers cannot import the model ({exc}); install "
                            "escalation-sim where they run",
                        ) from None
                    future.release()  # free the result on the cluster now
                    yield result
        finally:
            if not finished and pending:
                client.cancel(list(pending))
            shared.release()

    def _drop_queued(self, pending: set[Future]) -> set[Future]:
        """After a stop: cancel the tasks no worker has started; keep the running ones."""
        try:
            running = {key for keys in self.client.processing().values() for key in keys}
        except Exception:  # the scheduler gone: the next result will say so
            return pending
        queued = [f for f in pending if f.key not in running]
        if queued:
            self.client.cancel(queued)
        return {f for f in pending if f.key in running}

    def close(self) -> None:
        """Disconnect; stop the LocalCluster if this executor started it."""
        client, self.client = getattr(self, "client", None), None
        if client is not None and self._own_client:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


class _SharedArguments:
    """Arguments that every task shares (the sweep's ``Job``: its scenario) go to Dask once.

    An object passed, the very same, to two tasks in a row becomes a task of its own whose
    result the later tasks depend on. Each task's message then carries a reference instead of a
    copy: sent by value, the scenario (about 70 kB pickled, 400 kB unpickled) would travel with
    every task and sit in the scheduler's log of recent messages (1,000 of them), hundreds of
    megabytes. As a task, not scattered data, it is recomputed if the worker holding it dies.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.futures: dict[int, tuple[Any, Future]] = {}
        self.previous: tuple = ()

    def hoist(self, task: tuple) -> list:
        """The task's arguments, shared ones replaced by their futures."""
        args = list(task)
        for i, arg in enumerate(args):
            if isinstance(arg, (bool, int, float, str, bytes, type(None))):
                continue
            entry = self.futures.get(id(arg))
            if entry is not None and entry[0] is arg:
                args[i] = entry[1]
            elif i < len(self.previous) and self.previous[i] is arg:
                future = self.client.submit(_same, arg, pure=False)
                self.futures[id(arg)] = (arg, future)
                args[i] = future
        self.previous = task
        return args

    def release(self) -> None:
        """Let the cluster forget the shared arguments."""
        for _, future in self.futures.values():
            future.release()
        self.futures.clear()


def _same(value: Any) -> Any:
    """The task a shared argument becomes: it returns the argument."""
    return value


def start_local_cluster(workers: int) -> LocalCluster:
    """A ``LocalCluster`` of ``workers`` single-threaded processes, reachable on loopback only.

    The model is pure Python, so one thread per process; the scheduler and workers listen on
    127.0.0.1 only, and the Bokeh dashboard is off (the scheduler's small HTTP status endpoint
    also listens on 127.0.0.1, on a free port).
    """
    distributed = import_distributed("--dask-local")
    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
        silence_logs=40,  # logging.ERROR: a restarted worker is expected, not news
    )


# ---------------------------------------------------------------------------------------------
# command line


def executor_from_args(args: argparse.Namespace) -> DaskExecutor | None:
    """The Dask executor the options ask for, or None for the local runner.

    Raises:
        ConfigError: a Dask option together with ``--workers``, Dask missing, or the scheduler
            unreachable.
    """
    scheduler, local = getattr(args, "scheduler", None), getattr(args, "dask_local", None)
    if scheduler is None and local is None:
        return None
    option = "--scheduler" if scheduler is not None else "--dask-local"
    if getattr(args, "workers", None) is not None:
        raise ConfigError(
            option, None, "cannot be combined with --workers (the cluster has its own workers)"
        )
    if scheduler is not None:
        return DaskExecutor(scheduler)
    return DaskExecutor(local_workers=local)
