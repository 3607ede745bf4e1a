"""Executors: where the tasks of a sweep run.

The runner hands an executor a function and an iterator of argument tuples and consumes results
as tasks complete; it never learns where they ran. ``SerialExecutor`` runs them in this process,
``ProcessExecutor`` on local worker processes. Another backend (a Dask cluster, say) is a subclass
implementing ``map_unordered`` and ``close``, passed to ``run_sweep(executor=...)``; the runner
needs no change. The contract every executor keeps:

- at most a bounded number of tasks in flight, so memory stays flat however many tasks there are;
- results yielded in completion order, as soon as each task finishes;
- once ``stop`` is set, no new task starts; results of tasks already running are still yielded;
- once ``stop`` is a ``StopRequest`` with ``now`` set as well, running tasks are abandoned and
  the generator ends within a fraction of a second (SIGTERM, SIGHUP, a second Ctrl-C);
- closing the generator early (an error in the consumer, a second Ctrl-C) abandons running tasks.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import ProcessPoolExecutor as _Pool
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from escalation_sim.experiments.mainguard import unguarded_script

#: Modules the fork server imports once, so each worker starts without importing them again;
#: the first ties the fork server's life to the sweep's (module ``lifeline``). The model is named
#: apart: ``escalation_sim.run`` imports it only when a run starts (the CLI starts at once).
PRELOAD = [
    "escalation_sim.experiments.forkserver_lifeline",
    "escalation_sim.experiments.tasks",
    "escalation_sim.model",
]


class StopRequest(threading.Event):
    """The ``stop`` a runner hands an executor: set = start no more tasks.

    Attributes:
        now: Set as well = abandon the running tasks too, and end as soon as possible.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = threading.Event()


def abandon(stop: threading.Event | None) -> bool:
    """True if ``stop`` asks to abandon running tasks (a ``StopRequest`` with ``now`` set)."""
    now = getattr(stop, "now", None)
    return isinstance(now, threading.Event) and now.is_set()


class WorkerLostError(RuntimeError):
    """A worker process died (killed, out of memory...) while running tasks."""


def default_workers() -> int:
    """Cores this process may use."""
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Executor(ABC):
    """Runs tasks somewhere and yields their results as they complete (module docstring).

    Attributes:
        workers: How many tasks run at once.
        name: Short description for progress messages.
    """

    workers: int = 1
    name: str = "executor"
    #: True if ``map_unordered`` honours ``StopRequest.now`` by itself; otherwise the runner
    #: interrupts it (an exception in the main thread) to stop at once.
    cooperative_stop: bool = False

    @abstractmethod
    def map_unordered(
        self,
        fn: Callable[..., Any],
        tasks: Iterable[tuple],
        *,
        stop: threading.Event | None = None,
    ) -> Iterator[Any]:
        """Yield ``fn(*task)`` for each task, in completion order.

        Args:
            fn: A picklable, importable function.
            tasks: Argument tuples; consumed lazily.
            stop: When set, start no more tasks; finish (and yield) the running ones, then end.
        """

    def close(self) -> None:  # noqa: B027  (optional for subclasses)
        """Release workers; abandons running tasks."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs each task in this process, one after the other (``--workers 1``)."""

    name = "serial"

    def map_unordered(self, fn, tasks, *, stop=None):  # noqa: D102  (see the base class)
        from escalation_sim.kernels.compiled import warm_up

        warm_up()  # compile the kernels once, before the first run (not in its time)
        for task in tasks:
            if stop is not None and stop.is_set():
                return
            yield fn(*task)


class ProcessExecutor(Executor):
    """Runs tasks on local worker processes (``concurrent.futures.ProcessPoolExecutor``).

    Workers start from a fork server that has already imported the model, so starting them is
    cheap and safe even when this process has threads (pyarrow's, tqdm's), and pages they do not
    write stay shared (measured with ``benchmarks/bench_sweep.py``: less memory in all than
    ``spawn``, by PSS; more by summed RSS, which counts the server's shared pages twice). Workers
    ignore SIGINT, SIGTERM and SIGHUP, so a signal to the whole process group (Ctrl-C, a closed
    terminal, ``kill -TERM -PGID``) reaches only the parent, which decides what to keep and then
    ends them with SIGKILL. Whatever ends the parent, SIGKILL included, ends the fork server and
    the workers too (module ``lifeline``).

    Args:
        workers: Number of worker processes (default: all cores).
        in_flight: Tasks submitted ahead per worker (keeps workers busy, memory bounded).
        start_method: ``forkserver`` (default on POSIX), ``spawn`` or ``fork``; ``fork`` by
            default for a script without an ``if __name__ == "__main__":`` guard, whose
            workers would otherwise run it again (``mainguard``).
    """

    def __init__(
        self, workers: int | None = None, in_flight: int = 2, start_method: str | None = None
    ) -> None:
        self.workers = max(1, workers or default_workers())
        self.in_flight = max(1, in_flight)
        methods = multiprocessing.get_all_start_methods()
        self.start_method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        if start_method is None and "fork" in methods and unguarded_script():
            self.start_method = "fork"  # workers must not re-run the script (mainguard.py)
        self.name = f"{self.workers} processes"
        self._pool: _Pool | None = None
        self.cooperative_stop = True  # an exception inside pool.submit can cut a worker's start

    def _ensure_pool(self) -> _Pool:
        if self._pool is None:
            ctx = multiprocessing.get_context(self.start_method)
            if self.start_method == "forkserver":
                # Linux sends the parent-death signal when the *thread* that started the fork
                # server ends: tie it to the sweep only when that thread is the main one.
                main = threading.current_thread() is threading.main_thread()
                ctx.set_forkserver_preload(PRELOAD if main else PRELOAD[1:])
            self._pool = _Pool(max_workers=self.workers, mp_context=ctx, initializer=_init_worker)
        return self._pool

    def map_unordered(self, fn, tasks, *, stop=None):  # noqa: D102  (see the base class)
        pool = self._ensure_pool()
        limit = self.workers * self.in_flight
        pending: set[Future] = set()
        it = iter(tasks)
        exhausted = False
        finished = False
        try:
            while True:
                if not exhausted:
                    new, exhausted = next_tasks(it, limit - len(pending), stop)
                    pending.update(pool.submit(fn, *task) for task in new)
                if stop is not None and stop.is_set():
                    pending = {f for f in pending if not f.cancel()}  # drop tasks not started
                if not pending:
                    finished = True
                    return
                if abandon(stop):
                    return  # the finally below ends the workers
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool as exc:
                        raise WorkerLostError(
                            "a worker process died unexpectedly (killed, or out of memory)"
                        ) from exc
                    yield result
        finally:
            if not finished:
                for fut in pending:
                    fut.cancel()
                self._terminate()

    def close(self) -> None:  # noqa: D102  (see the base class)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _terminate(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if hasattr(pool, "kill_workers"):  # Python >= 3.14 (workers ignore SIGTERM)
            pool.kill_workers()
            return
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            if proc.is_alive():
                proc.kill()
        for proc in processes:
            proc.join(timeout=5)


def next_tasks(
    tasks: Iterator[tuple], room: int, stop: threading.Event | None
) -> tuple[list[tuple], bool]:
    """Up to ``room`` more tasks, none once ``stop`` is set.

    Returns:
        The tasks, and True once there are no more to start (all taken, or stopped).
    """
    taken: list[tuple] = []
    while len(taken) < room:
        if stop is not None and stop.is_set():
            return taken, True
        try:
            taken.append(next(tasks))
        except StopIteration:
            return taken, True
    return taken, False


def make_executor(workers: int | None = None) -> Executor:
    """A serial executor for one worker, local processes for more (default: all cores)."""
    n = workers or default_workers()
    return SerialExecutor() if n <= 1 else ProcessExecutor(n)


def _init_worker() -> None:
    """Leave stop signals to the parent, die with it, and compile the kernels once per worker."""
    from escalation_sim.experiments.lifeline import die_with_parent
    from escalation_sim.kernels.compiled import warm_up

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    die_with_parent(watchdog=True)
    warm_up()
