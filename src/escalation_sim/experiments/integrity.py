"""A sweep directory checked against its design: which runs belong there, and which files do not.

``expected_runs`` is **the single source of the runs a sweep should hold**: one row per (design
point, seed index) with its seed, computed from the resolved experiment (so from the manifest
when a directory is reopened). The runner schedules from it, ``check_sweep_dir`` matches the
stored chunks against it on resume and on ``report``, and anything else that needs "the runs of
this design" should call it rather than rebuild the product. With adaptive replication the
seeds per point are uneven: the plan the manifest records (``adaptive``) says how many each
point has, and ``check_sweep_dir`` applies it, so an uneven directory is not taken for a
damaged one.

``check_sweep_dir`` reads only Parquet footers and key columns, chunk by chunk, so it stays cheap
and its memory flat however many weekly rows there are. What it refuses, each naming the file:

- a chunk that cannot be read (empty, truncated) or whose columns are not the manifest's;
- a file in ``runs/`` or ``timeseries/`` that is not a chunk of the sweep;
- runs that are not a (point, seed) of the design, or with another seed than the design's;
- a run stored twice (in one chunk or in two), a week of a run stored twice;
- weekly rows whose run is not in the matching runs chunk, and finished runs with no weekly rows.

With ``repair=True`` the offending chunks (and the other half of their pair: a chunk's runs and
weekly rows are written under the same name) are moved into ``DIR/quarantine/<time>/`` instead,
and the runs they held are simply missing, so the sweep runs them again.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from escalation_sim.errors import ConfigError
from escalation_sim.experiments.store import PENDING, RUNS, TIMESERIES, SweepStore

if TYPE_CHECKING:
    from escalation_sim.experiments.config import Experiment

QUARANTINE = "quarantine"
_KEY = ["point_id", "seed_index"]


def expected_runs(exp: Experiment) -> pd.DataFrame:
    """The runs of ``exp``'s sweep: ``point_id``, ``seed_index``, ``seed``, one row per run.

    Seed-major order (every point's seed 0, then every point's seed 1...), the order the runner
    schedules them in, so a sweep stopped half way has balanced seeds. With adaptive
    replication (``exp.seed_plan``) each point has its own number of seeds, the first
    ``seeds.per_point`` of them at every point; the extra ones come after, seed-major too.
    """
    points = [p.point_id for p in exp.design.points]
    counts = {pid: exp.seeds_at(pid) for pid in points}
    seeds = {pid: exp.seeds_for(pid) for pid in points}
    top = max(counts.values(), default=0)
    keys = [(pid, i) for i in range(top) for pid in points if i < counts[pid]]
    return pd.DataFrame(
        {
            "point_id": [pid for pid, _ in keys],
            "seed_index": [i for _, i in keys],
            "seed": [seeds[pid][i] for pid, i in keys],
        }
    )


@dataclass
class Problem:
    """One file that does not belong to the sweep as it is.

    Attributes:
        path: The file (or directory).
        what: What is wrong with it and what to do, on one line.
        partner: The other half of its chunk pair, set aside with it on repair.
    """

    path: Path
    what: str
    partner: Path | None = None


@dataclass
class Verdict:
    """What ``check_sweep_dir`` found, and what it moved aside."""

    problems: list[Problem] = field(default_factory=list)
    quarantined: list[Path] = field(default_factory=list)


def check_sweep_dir(store: SweepStore, exp: Experiment, *, repair: bool = False) -> Verdict:
    """Match every stored chunk against ``expected_runs(exp)`` (module docstring).

    Args:
        store: The open sweep directory (with its manifest).
        exp: The experiment the manifest describes.
        repair: Move offending chunks into ``DIR/quarantine/`` instead of refusing.

    Returns:
        The problems found (all repaired when ``repair``; none otherwise).

    Raises:
        ConfigError: the first problem, naming its file, when not repairing; or a directory
            whose ``runs``/``timeseries`` is not a directory (not repairable: the sweep's own
            layout is broken).
    """
    for d in (store.runs_dir, store.timeseries_dir):
        if d.exists() and not d.is_dir():
            raise ConfigError(
                d,
                None,
                f"is not a directory; a sweep keeps its chunks in {d.name}/ (restore it, or "
                "start the sweep again in a new --out)",
            )
    from escalation_sim.experiments.adaptive import attach_plan

    problems = _problems(store, attach_plan(exp, store.manifest))
    verdict = Verdict(problems=problems)
    if not problems:
        return verdict
    if not repair:
        first = problems[0]
        more = f" ({len(problems) - 1} more file(s) too)" if len(problems) > 1 else ""
        raise ConfigError(
            first.path,
            None,
            f"{first.what}{more}; move it out of the sweep directory, or rerun the sweep with "
            "--repair to set it aside in quarantine/ and run its runs again",
        )
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    target = store.root / QUARANTINE / stamp
    for prob in problems:
        for path in (prob.path, prob.partner):
            if path is None or not path.exists():
                continue
            dest = target / path.parent.name / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dest)
            verdict.quarantined.append(dest)
    if verdict.quarantined:
        (target / "README.txt").write_text(
            "Files escalation-sim sweep --repair set aside (not part of the sweep any more):\n"
            + "".join(f"{p.path.name}: {p.what}\n" for p in problems)
        )
    return verdict


def _problems(store: SweepStore, exp: Experiment) -> list[Problem]:
    schemas = {RUNS: store.schema(RUNS), TIMESERIES: store.schema(TIMESERIES)}
    problems: list[Problem] = []
    bad: set[Path] = set()

    def flag(path: Path, what: str, partner: Path | None = None) -> None:
        if path not in bad:
            bad.add(path)
            problems.append(Problem(path, what, partner))

    # In this order, so that a sweep committing a chunk meanwhile (runs/NAME, then the rename
    # of timeseries/_pending-NAME) never makes a committed chunk look half there.
    runs_files = _visible(store.runs_dir)
    pending = {p.name.removeprefix(PENDING) for p in store.timeseries_dir.glob(PENDING + "*")}
    ts_files = _visible(store.timeseries_dir)
    for path in [*runs_files, *ts_files]:
        dataset = path.parent.name
        partner = (store.timeseries_dir if dataset == RUNS else store.runs_dir) / path.name
        reason = _unreadable(path, schemas[dataset])
        if reason:
            flag(path, reason, partner if dataset == RUNS else None)

    expected = expected_runs(exp)
    keys_all = zip(expected["point_id"], expected["seed_index"], strict=True)
    seed_of = dict(zip(keys_all, expected["seed"], strict=True))
    owner: dict[tuple[str, int], Path] = {}
    ok_runs: dict[str, set[tuple[str, int]]] = {}
    for path in runs_files:
        if path in bad:
            continue
        partner = store.timeseries_dir / path.name
        rows = pq.read_table(path, columns=[*_KEY, "seed", "status"]).to_pylist()
        keys: set[tuple[str, int]] = set()
        for row in rows:
            key = (row["point_id"], int(row["seed_index"]))
            if key not in seed_of:
                flag(path, f"holds run {key[0]}/{key[1]}, which is not in the design", partner)
                break
            if row["seed"] != seed_of[key]:
                flag(path, f"run {key[0]}/{key[1]} has seed {row['seed']}, not the design's")
                break
            if key in keys or key in owner:
                where = path.name if key in keys else owner[key].name
                flag(path, f"run {key[0]}/{key[1]} is stored twice (also in {where})", partner)
                break
            keys.add(key)
        if path in bad:
            continue
        for key in keys:
            owner[key] = path
        ok_runs[path.name] = {
            (r["point_id"], int(r["seed_index"])) for r in rows if r["status"] == "ok"
        }

    seen_ts: set[str] = set()
    for path in ts_files:
        if path in bad:
            continue
        seen_ts.add(path.name)
        mine = ok_runs.get(path.name)
        runs_path = store.runs_dir / path.name
        if mine is None:
            if runs_path in bad or runs_path.exists():
                continue  # set aside with its runs chunk, or committed since runs/ was listed
            flag(path, "weekly rows without their runs chunk (runs/ has no file of this name)")
            continue
        frame = pq.read_table(path, columns=[*_KEY, "week"]).to_pandas()
        keys = set(zip(frame["point_id"], frame["seed_index"].astype(int), strict=True))
        if frame.duplicated([*_KEY, "week"]).any():
            row = frame[frame.duplicated([*_KEY, "week"])].iloc[0]
            what = f"week {row.week} of run {row.point_id}/{row.seed_index} is stored twice"
            flag(path, what, runs_path)
        elif keys - mine:
            pid, i = sorted(keys - mine)[0]
            flag(path, f"weekly rows of run {pid}/{i}, which its runs chunk lacks", runs_path)
        elif mine - keys:
            pid, i = sorted(mine - keys)[0]
            flag(path, f"lacks the weekly rows of run {pid}/{i} (its runs chunk has it)", runs_path)
    for name, mine in ok_runs.items():
        path = store.runs_dir / name
        if mine and name not in seen_ts and name not in pending and path not in bad:
            flag(path, "finished runs whose weekly rows are missing (no timeseries/ chunk)")
    return problems


def _visible(directory: Path) -> list[Path]:
    """Files a reader of the dataset sees (pyarrow and pandas skip ``_`` and ``.`` names)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if not p.name.startswith(("_", ".")))


def _unreadable(path: Path, schema: pa.Schema) -> str | None:
    """Why ``path`` is not a chunk of this dataset, or None."""
    if not path.is_file() or not path.name.endswith(".parquet"):
        return "is not a Parquet chunk of the sweep"
    try:
        found = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        size = path.stat().st_size
        kind = "empty" if size == 0 else f"damaged ({size:,} bytes, {type(exc).__name__})"
        return f"is {kind}: not a readable Parquet chunk"
    want = {f.name: f.type for f in schema}
    got = {f.name: f.type for f in found}
    if set(want) != set(got):
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        detail = f"lacks {missing[0]}" if missing else f"has an extra column {extra[0]}"
        return f"has other columns than the sweep's ({detail}): not a chunk of this sweep"
    for name, kind in want.items():
        if got[name] != kind:
            return f"column {name} is {got[name]}, not {kind}: not a chunk of this sweep"
    return None
