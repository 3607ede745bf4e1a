"""``run_sweep``: every design point x seed of an experiment, run in parallel, stored safely.

Runs go to the executor in batches (several runs per task, so per-task overhead stays small),
results come back as batches complete and are written to the sweep directory in atomic Parquet
chunks (``store``). Memory stays flat: at most a few batches are in flight and at most one chunk
is buffered. A rerun into the same directory skips the runs already stored. Ctrl-C once: no new
task starts, running ones finish and are stored; twice: stop now (finished chunks are kept).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa

from escalation_sim.errors import ConfigError
from escalation_sim.experiments import adaptive
from escalation_sim.experiments.config import (
    Experiment,
    ExperimentConfig,
    resolve,
    sweep_provenance,
)
from escalation_sim.experiments.executors import Executor, StopRequest, make_executor
from escalation_sim.experiments.integrity import check_sweep_dir, expected_runs
from escalation_sim.experiments.results import SweepResults, load_results
from escalation_sim.experiments.store import RUNS, TIMESERIES, SweepStore, make_manifest
from escalation_sim.experiments.tasks import BatchResult, Job, RunSpec, execute_run, run_batch
from escalation_sim.outcomes import RUN_OUTCOMES


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C, SIGTERM or SIGHUP; what finished is stored, a rerun resumes it.

    Attributes:
        stored: Runs stored in the directory.
        total: Runs in the whole sweep.
        path: The sweep directory.
        signum: The signal that stopped it.
    """

    def __init__(self, stored: int, total: int, path: Path, signum: int = signal.SIGINT) -> None:
        self.stored, self.total, self.path, self.signum = stored, total, path, int(signum)
        name = signal.Signals(signum).name
        super().__init__(f"interrupted: {stored} of {total} runs stored in {path} ({name})")

    @property
    def exit_status(self) -> int:
        """128 + the signal's number, as a shell reports a command a signal stopped."""
        return 128 + self.signum


def run_sweep(
    config: ExperimentConfig | Experiment | str | Path,
    out: str | Path | None = None,
    workers: int | None = None,
    resume: bool = False,
    *,
    seeds: int | None = None,
    weeks: int | None = None,
    progress: bool = True,
    executor: Executor | None = None,
    batch_size: int | None = None,
    chunk_runs: int = 500,
    flush_seconds: float = 15.0,
    repair: bool = False,
    precision: float | None = None,
    max_seeds: int | None = None,
) -> SweepResults:
    """Run (or finish) a sweep and return its results as pandas DataFrames.

    Args:
        config: Path of an experiment config, a parsed ``ExperimentConfig`` or a resolved
            ``Experiment``.
        out: Sweep directory. None: a temporary directory that lives as long as the results.
        workers: Worker processes (default: all cores; 1 runs in this process).
        resume: Require ``out`` to hold this sweep already (rerunning into ``out`` resumes
            anyway; ``resume`` only guards against a mistyped directory).
        seeds: Replace the config's seeds per point (a quick trial).
        weeks: Replace the config's horizon (a quick trial).
        progress: Show a progress bar (runs done, rate, time left) on stderr.
        executor: Where tasks run; default ``make_executor(workers)``. Any ``Executor``
            subclass works (module ``executors``).
        batch_size: Runs per task (default: about eight tasks per worker, at most 8 runs).
        chunk_runs: Runs per Parquet chunk (rounded up to whole tasks).
        flush_seconds: Write a chunk at least this often while runs complete.
        repair: Set aside (in ``DIR/quarantine/``) stored chunks that do not match the design,
            and run their runs again, instead of refusing the directory (``integrity``).
        precision: Adaptive replication (module ``adaptive``): after the first seeds, add
            seeds, round by round, only at points whose headline interval is wider than this
            (default: the config's ``[replication] precision``; None there: no rounds).
        max_seeds: Seeds per point at most for adaptive replication (default: the config's
            ``[replication] max_seeds``, else ``adaptive``'s default).

    Returns:
        The stored results (``runs``, ``design``; ``timeseries()`` reads weekly rows lazily).

    Raises:
        ConfigError: a bad config, or ``out`` holding something else, or chunks that do not
            match the design (without ``repair``); nothing is written.
        SweepInterrupted: Ctrl-C; finished runs are stored.
        WorkerLostError: a worker process died; finished runs are stored.
    """
    changes = (seeds, weeks, precision, max_seeds)
    if not isinstance(config, Experiment):
        exp = resolve(config, seeds=seeds, weeks=weeks, precision=precision, max_seeds=max_seeds)
    elif any(v is not None for v in changes):
        exp = resolve(
            config.config,
            source=config.source,
            scenario=config.scenario,
            seeds=seeds,
            weeks=weeks,
            precision=precision,
            max_seeds=max_seeds,
        )
    else:
        exp = config
    job = Job(scenario=exp.scenario, overrides=exp.overrides, weeks=exp.weeks)
    schemas = probe_schemas(exp, job)
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix=f"sweep-{exp.name}-")
        out = tmp.name
    out = Path(out)
    manifest = make_manifest(
        config=exp.config.model_dump(mode="json"),
        config_source=exp.source,
        config_hash=exp.config_hash(),
        identity=exp.identity(),
        scenario=exp.scenario.model_dump(mode="json", by_alias=True),
        runs_total=exp.runs_total,
        schemas=schemas,
        versions=_versions(),
    )
    manifest["provenance"] = sweep_provenance(exp)  # not compared on resume: the first run's
    store = SweepStore.open_for_sweep(out, manifest, resume=resume)
    exp = adaptive.attach_plan(exp, store.manifest)  # the rounds planned so far, if any
    own_executor = executor is None
    stop = StopRequest()
    sweep = _Sweep(store, job, schemas, batch_size, chunk_runs, flush_seconds, progress, stop)
    try:
        verdict = check_sweep_dir(store, exp, repair=repair)
        if verdict.quarantined and progress:
            print(
                f"repair: set aside {len(verdict.quarantined)} file(s) in "
                f"{verdict.quarantined[0].parent.parent}; their runs are run again",
                file=sys.stderr,
            )
        _write_design(exp, out)
        record = store.manifest.get(adaptive.KEY)
        rounds: list[dict[str, Any]] = list(record["rounds"]) if record else []
        while True:
            now = rounds[-1] if rounds else {"round": 0, "points": 0}
            executor = sweep.run_pending(exp, executor, workers, now if exp.adaptive else None)
            if stop.is_set() or not exp.adaptive:
                break
            plan = adaptive.next_plan(store.read_runs(), exp)
            if plan == {p.point_id: exp.seeds_at(p.point_id) for p in exp.design.points}:
                break  # every point meets the target or has its budget
            grown = sum(plan[pid] > exp.seeds_at(pid) for pid in plan)
            rounds.append({"round": len(rounds) + 1, "points": grown, "runs": sum(plan.values())})
            exp = exp.with_plan(plan)
            store.update_manifest(
                **{adaptive.KEY: adaptive.record(exp, plan, rounds), "runs_total": exp.runs_total}
            )  # written before its runs start: a resumed sweep runs the same round
    finally:
        store.close()
        if own_executor and executor is not None:
            executor.close()
    if stop.is_set():
        stored = len(SweepStore(out).with_manifest(store.manifest).completed())
        if stored < exp.runs_total:
            signum = sweep.signals.signum if sweep.signals is not None else signal.SIGINT
            raise SweepInterrupted(stored, exp.runs_total, out, signum)
    return load_results(out, _keepalive=tmp, _checked=True)


class _Sweep:
    """Runs the pending runs of an experiment (one round of an adaptive sweep) into a store."""

    def __init__(
        self,
        store: SweepStore,
        job: Job,
        schemas: dict[str, pa.Schema],
        batch_size: int | None,
        chunk_runs: int,
        flush_seconds: float,
        progress: bool,
        stop: StopRequest,
    ) -> None:
        self.store, self.job, self.schemas = store, job, schemas
        self.batch_size, self.chunk_runs, self.flush_seconds = batch_size, chunk_runs, flush_seconds
        self.progress, self.stop = progress, stop
        self.signals: _SweepSignals | None = None

    def run_pending(
        self,
        exp: Experiment,
        executor: Executor | None,
        workers: int | None,
        round_: dict[str, Any] | None = None,
    ) -> Executor | None:
        """Run what ``exp`` plans and the store lacks; return the executor (made if needed).

        ``round_``: the adaptive round (``round``, ``points`` given more seeds), for the bar.
        """
        done = self.store.completed()
        stored = len(done)
        failed = int((done["status"] != "ok").sum())
        pending = exp.runs_total - stored
        if pending <= 0:
            return executor
        executor = executor or make_executor(workers)
        size = self.batch_size or _auto_batch(pending, executor.workers)
        specs = _pending_specs(exp, set(zip(done["point_id"], done["seed_index"], strict=True)))
        if self.batch_size:
            batches = itertools.batched(specs, size)
        else:
            batches = _guided_batches(specs, pending, executor.workers, size)
        tasks = ((self.job, list(b)) for b in batches)
        writer = _ChunkWriter(self.store, self.schemas, self.chunk_runs, self.flush_seconds)
        bar = _progress(self.progress, exp, stored, executor, size, round_)
        signals = _SweepSignals(self.stop, bar, interrupt=not executor.cooperative_stop)
        if self.signals is not None:
            signals.signum = self.signals.signum
        self.signals = signals
        try:
            with signals.installed():
                try:
                    for result in executor.map_unordered(run_batch, tasks, stop=self.stop):
                        with signals.deferred():  # a chunk is never cut by a signal
                            writer.add(result)
                        failed += sum(r["status"] != "ok" for r in result.runs)
                        if bar is not None:
                            bar.update(len(result.runs))
                            if failed:
                                bar.set_postfix(failed=failed, refresh=False)
                finally:
                    with signals.deferred():
                        writer.flush()  # keep every finished run, whatever stopped the loop
                    if bar is not None:
                        bar.close()
        except _StopNow:
            pass  # SIGTERM, SIGHUP or a second Ctrl-C: reported below, what finished kept
        return executor


def probe_schemas(exp: Experiment, job: Job) -> dict[str, pa.Schema]:
    """Column types of ``runs`` and ``timeseries``, from a one-week run of the baseline.

    Also checks, before anything is written, that the model accepts the experiment.
    """
    base = exp.design.baseline
    probe = Job(job.scenario, job.overrides, weeks=1)
    row, ts = execute_run(probe, RunSpec(base.point_id, 0, 0, base.params))
    if row["status"] != "ok":
        raise ConfigError(exp.source, None, f"the model cannot run this experiment: {row['error']}")
    assert ts is not None  # a run that succeeded has its weekly series
    key = [("point_id", pa.string()), ("seed_index", pa.int64()), ("seed", pa.int64())]
    params = [(n, _param_type(d.kind)) for n, d in exp.domains.items()]
    outcomes = [(n, _outcome_type(row[n])) for n in RUN_OUTCOMES]
    runs = pa.schema(
        [
            *key,
            *params,
            ("status", pa.string()),
            ("error", pa.string()),
            *outcomes,
            ("seconds", pa.float64()),
        ]
    )
    assert ts is not None  # a run that finished has its weekly series
    weekly = pa.Schema.from_pandas(ts.drop(columns=[k for k, _ in key]), preserve_index=False)
    timeseries = pa.schema([*key, *[(f.name, f.type) for f in weekly]])
    return {RUNS: runs, TIMESERIES: timeseries}


def _param_type(kind: str) -> pa.DataType:
    return {"switch": pa.bool_(), "int": pa.int64()}.get(kind, pa.float64())


def _outcome_type(value: Any) -> pa.DataType:
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, float):
        return pa.float64()
    return pa.int64()  # integers, and weeks that may be null ("never")


def _pending_specs(exp: Experiment, done: set[tuple[str, int]]) -> Iterator[RunSpec]:
    # The runs of the design (integrity.expected_runs, seed-major: every point gets seed 0
    # before any gets seed 1, so a sweep stopped half-way still has balanced seeds) not stored.
    params = {p.point_id: p.params for p in exp.design.points}
    want = expected_runs(exp)
    for pid, i, seed in zip(want["point_id"], want["seed_index"], want["seed"], strict=True):
        if (pid, int(i)) not in done:
            yield RunSpec(pid, int(i), int(seed), params[pid])


def _auto_batch(pending: int, workers: int) -> int:
    return max(1, min(8, math.ceil(pending / (8 * max(1, workers)))))


def _guided_batches(specs: Iterator[RunSpec], pending: int, workers: int, largest: int):
    """Batches of at most ``largest`` runs that shrink towards the end of the sweep.

    Guided scheduling: each batch takes about the remaining runs / (2 x workers), capped at
    ``largest``, so the last tasks are single runs and no worker sits idle while another
    finishes a full batch. Batching never changes a run's seed or result.
    """
    remaining = pending
    while remaining > 0:
        size = max(1, min(largest, math.ceil(remaining / (2 * max(1, workers)))))
        batch = list(itertools.islice(specs, size))
        if not batch:
            return
        remaining -= len(batch)
        yield batch


def _write_design(exp: Experiment, out: Path) -> None:
    from escalation_sim.experiments.store import atomic_write

    frame = exp.design.frame()
    atomic_write(out / "design.csv", lambda p: frame.to_csv(p, index=False))


class _ChunkWriter:
    """Buffers finished batches and commits them as one chunk every N runs or T seconds."""

    def __init__(
        self, store: SweepStore, schemas: dict[str, pa.Schema], max_runs: int, seconds: float
    ) -> None:
        self.store, self.schemas = store, schemas
        self.max_runs, self.seconds = max(1, max_runs), seconds
        self.rows: list[dict[str, Any]] = []
        self.series: list[pa.Table] = []
        self.last = time.monotonic()

    def add(self, batch: BatchResult) -> None:
        self.rows.extend(batch.runs)
        if batch.timeseries is not None:
            self.series.append(
                pa.Table.from_pandas(
                    batch.timeseries, schema=self.schemas[TIMESERIES], preserve_index=False
                )
            )
        if len(self.rows) >= self.max_runs or time.monotonic() - self.last >= self.seconds:
            self.flush()

    def flush(self) -> None:
        # Detach the buffer before writing: an interrupt mid-write loses these runs (they are
        # run again on resume) but can never store them twice.
        rows, series = self.rows, self.series
        self.rows, self.series = [], []
        self.last = time.monotonic()
        if not rows:
            return
        runs = pa.Table.from_pylist(rows, schema=self.schemas[RUNS])
        ts = pa.concat_tables(series) if series else None
        self.store.write_chunk(runs, ts)


def _progress(
    enabled: bool,
    exp: Experiment,
    done: int,
    executor: Executor,
    size: int,
    round_: dict[str, Any] | None = None,
):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    where = ""
    if round_ is not None:
        counts = sorted(exp.seeds_at(p.point_id) for p in exp.design.points)
        if round_["round"] == 0:
            where = f" round 0: {counts[0]} seeds/point"
        else:
            span = f"{counts[0]}" if counts[0] == counts[-1] else f"{counts[0]}-{counts[-1]}"
            where = f" round {round_['round']}: +seeds at {round_['points']} point(s), {span}/point"
    return tqdm(
        total=exp.runs_total,
        initial=done,
        desc=f"{exp.name}{where} ({executor.name}, up to {size}/task)",
        unit="run",
        dynamic_ncols=True,
        smoothing=0.1,
    )


class _StopNow(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM, SIGHUP or a second Ctrl-C: stop at once."""


#: Signals a sweep treats as "stop": Ctrl-C, ``kill`` (and systemd, docker...), a closed terminal.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _SweepSignals:
    """What the sweep does on a signal; installed in the main thread only.

    First Ctrl-C: set ``stop`` (no new task starts; running ones finish and are stored).
    SIGTERM, SIGHUP or a second Ctrl-C: also abandon the running tasks now: ``stop.now``, which
    worker-process and Dask executors honour within 0.2 s (an exception there could cut a
    worker's start in two), or, with ``interrupt`` (tasks running in this thread), ``_StopNow``
    raised at once. The finished runs are flushed either way, and inside ``deferred()`` (a
    chunk being written) the stop waits until the chunk is committed: no signal cuts a chunk.
    """

    def __init__(self, stop: StopRequest, bar: Any, interrupt: bool) -> None:
        self.stop, self.bar, self.interrupt = stop, bar, interrupt
        self.signum = int(signal.SIGINT)
        self._critical = 0
        self._pending = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self._handler) for s in STOP_SIGNALS}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self._critical += 1
        try:
            yield
        finally:
            self._critical -= 1
        if not self._critical and self._pending:
            self._pending = False
            raise _StopNow

    def _handler(self, signum: int, frame: Any) -> None:
        first = not self.stop.is_set()
        if first:
            self.signum = signum
        self.stop.set()
        if first and signum == signal.SIGINT:
            msg = "stopping: finishing the running tasks (Ctrl-C again to stop at once)"
            if self.bar is not None:
                self.bar.write(msg)
            else:
                print(msg, file=sys.stderr)
            return
        self.stop.now.set()
        if not self.interrupt:
            return  # the executor ends its tasks and returns; the runner flushes
        if self._critical:
            self._pending = True
            return
        raise _StopNow


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("escalation-sim", "mesa", "numpy", "SALib", "pyarrow"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out
