"""The sweep's directory: Parquet datasets written in atomic chunks, safe to kill at any moment.

Layout of ``DIR``::

    manifest.json          the resolved config, its hash, the scenario, the column schemas
    design.csv             one row per design point (point_id, values)
    runs/part-*.parquet    one row per run: point_id, seed_index, seed, values, status, error,
                           run-level outcomes, seconds
    timeseries/part-*.parquet  one row per run and week: point_id, seed_index, seed, week, date,
                           weekly outcomes
    .lock                  held while a sweep writes (another sweep into DIR is refused)

Both datasets read with ``pandas.read_parquet(DIR / "runs")``. A chunk is committed in three
steps, each an atomic rename of a fully written, fsynced file:

1. the chunk's weekly rows go to ``timeseries/_pending-NAME`` (readers skip ``_`` and ``.`` names);
2. its run rows go to ``runs/NAME``: **the commit point** (a run is done iff its row is in runs/);
3. ``timeseries/_pending-NAME`` is renamed to ``timeseries/NAME``.

A crash before step 2 leaves a pending file with no runs chunk: ``recover`` deletes it and the
runs are done again. A crash between steps 2 and 3 leaves a pending file whose runs chunk exists:
``recover`` completes the rename. So no run is ever lost or stored twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from escalation_sim.errors import ConfigError
from escalation_sim.run import fsync_dir, write_atomic

try:  # POSIX only; elsewhere two sweeps into one directory are not prevented
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
FORMAT = 1
RUNS = "runs"
TIMESERIES = "timeseries"
PENDING = "_pending-"

#: Crash tests set this to ``STAGE:N`` to SIGKILL the process the Nth time STAGE is reached.
FAILPOINT_ENV = "ESCALATION_SIM_FAILPOINT"
_failpoint_hits: dict[str, int] = {}


class SweepStore:
    """A sweep directory (module docstring). Open with ``open_for_sweep`` or ``open_existing``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / RUNS
        self.timeseries_dir = self.root / TIMESERIES
        self.manifest: dict[str, Any] = {}
        self._lock_fd: int | None = None
        self._token = dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        self._seq = 0

    # ------------------------------------------------------------------ opening

    @classmethod
    def open_for_sweep(
        cls, root: str | Path, manifest: dict[str, Any], *, resume: bool = False
    ) -> SweepStore:
        """Create ``root`` for a new sweep, or reopen it to continue the same sweep.

        Args:
            root: The sweep directory.
            manifest: What ``make_manifest`` builds for this sweep.
            resume: Require an existing sweep in ``root``.

        Raises:
            ConfigError: ``root`` holds a different sweep, or something that is not a sweep,
                or is in use by another sweep; nothing in it is changed.
        """
        store = cls(root)
        path = store.root / MANIFEST
        exists = path.is_file()
        if resume and not exists:
            raise ConfigError(
                store.root, None, "nothing to resume: no sweep here (no manifest.json)"
            )
        if not exists and store.root.exists():
            if not store.root.is_dir() or not _only_leftovers(store.root):
                raise ConfigError(
                    store.root,
                    None,
                    "exists and does not hold a sweep; choose a new or empty --out directory",
                )
        if exists:  # refuse a different sweep before touching anything, even the lock file
            _check_same(read_manifest(store.root), manifest, path)
        created = not store.root.exists()
        store.root.mkdir(parents=True, exist_ok=True)
        try:
            store._lock(busy_is_error=True)
        except OSError:
            if created:
                _remove_leftovers(store.root)
            raise
        try:
            if exists:
                old = read_manifest(store.root)
                _check_same(old, manifest, path)
                if old["config"] != manifest["config"]:
                    # Same runs, new analysis or report settings: keep them for `report DIR`.
                    old = {**old, "config": manifest["config"]}
                    old["config_source"] = manifest["config_source"]
                    atomic_write(path, lambda p: p.write_text(json.dumps(old, indent=1)))
                store.manifest = old
                for d in (store.runs_dir, store.timeseries_dir):
                    if not d.exists():  # deleted by hand: the check then names what is missing
                        d.mkdir()
            else:
                store.runs_dir.mkdir(exist_ok=True)
                store.timeseries_dir.mkdir(exist_ok=True)
                atomic_write(path, lambda p: p.write_text(json.dumps(manifest, indent=1)))
                store.manifest = manifest
            store.recover()
        except BaseException:
            store.close()
            if not exists:  # a failed creation (a full disk...) leaves nothing the next run refuses
                _remove_leftovers(store.root, remove_root=created)
            raise
        return store

    @classmethod
    def open_existing(cls, root: str | Path) -> SweepStore:
        """Open a sweep directory to read it.

        If no sweep is writing to it, finishes any chunk a crash left half committed first.
        """
        store = cls(root)
        store.manifest = read_manifest(store.root)
        if store._lock(busy_is_error=False):
            try:
                store.recover()
            finally:
                store.close()
        return store

    def with_manifest(self, manifest: dict[str, Any]) -> SweepStore:
        """Use an already read manifest (for reading only)."""
        self.manifest = manifest
        return self

    def update_manifest(self, **items: Any) -> None:
        """Merge ``items`` into ``manifest.json`` (atomically; the sweep holds the lock)."""
        new = {**self.manifest, **items}
        atomic_write(self.root / MANIFEST, lambda p: p.write_text(json.dumps(new, indent=1)))
        self.manifest = new

    def close(self) -> None:
        """Release the directory's lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _lock(self, busy_is_error: bool) -> bool:
        """Take the directory's lock; False (or ConfigError) if a sweep is writing to it."""
        if fcntl is None:
            return True
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if not busy_is_error:
                return False  # reading while a sweep writes: committed chunks only
            raise ConfigError(
                self.root,
                None,
                f"in use by another sweep (pid {holder}); wait for it or choose another --out",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd
        return True

    # ------------------------------------------------------------------ crash recovery

    def recover(self) -> None:
        """Finish or undo chunks a crash interrupted (module docstring); delete temp files.

        Called with the lock held, so every temporary file is a dead writer's: chunks'
        ``.NAME.tmp`` and the ``.manifest.json.*``/``.design.csv.*`` of ``atomic_write``.
        """
        for d in (self.runs_dir, self.timeseries_dir):
            if d.is_dir():
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
        for name in (MANIFEST, "design.csv"):
            for tmp in self.root.glob(f".{name}.*"):
                tmp.unlink(missing_ok=True)
        if not self.timeseries_dir.is_dir():
            return
        for pending in sorted(self.timeseries_dir.glob(PENDING + "*")):
            name = pending.name.removeprefix(PENDING)
            if (self.runs_dir / name).is_file():
                os.replace(pending, self.timeseries_dir / name)
            else:
                pending.unlink()
        fsync_dir(self.timeseries_dir)

    # ------------------------------------------------------------------ writing

    def write_chunk(self, runs: pa.Table, timeseries: pa.Table | None) -> str:
        """Commit one chunk: its weekly rows and its run rows (three steps, module docstring)."""
        self._seq += 1
        name = f"part-{self._token}-{self._seq:05d}.parquet"
        pending = self.timeseries_dir / (PENDING + name)
        if timeseries is not None and timeseries.num_rows:
            _write_parquet(timeseries, pending)
            _failpoint("timeseries-pending")
        tmp = self.runs_dir / f".{name}.tmp"
        _write_parquet(runs, tmp)
        _failpoint("runs-written")
        os.replace(tmp, self.runs_dir / name)
        fsync_dir(self.runs_dir)
        _failpoint("runs-committed")
        if pending.exists():
            os.replace(pending, self.timeseries_dir / name)
            fsync_dir(self.timeseries_dir)
        return name

    # ------------------------------------------------------------------ reading

    def _parts(self, directory: Path) -> list[Path]:
        if not directory.is_dir():
            return []
        return sorted(p for p in directory.glob("part-*.parquet"))

    def read_runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The committed runs (one row each), in commit order."""
        parts = self._parts(self.runs_dir)
        schema = self.schema(RUNS)
        if not parts:
            empty = schema.empty_table()
            return (empty.select(columns) if columns else empty).to_pandas()
        return pq.read_table(parts, columns=columns, schema=schema).to_pandas()

    def read_timeseries(
        self, points: list[str] | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """Weekly rows of the committed runs, optionally of some points and columns only."""
        parts = self._parts(self.timeseries_dir)
        schema = self.schema(TIMESERIES)
        if not parts:
            empty = schema.empty_table()
            return (empty.select(columns) if columns else empty).to_pandas()
        filters = [("point_id", "in", list(points))] if points is not None else None
        return pq.read_table(parts, columns=columns, filters=filters, schema=schema).to_pandas()

    def completed(self) -> pd.DataFrame:
        """``point_id``, ``seed_index``, ``status`` of every committed run.

        Raises:
            ConfigError: a run is stored twice (the directory was edited by hand).
        """
        df = self.read_runs(columns=["point_id", "seed_index", "status"])
        dup = df.duplicated(["point_id", "seed_index"])
        if dup.any():
            row = df[dup].iloc[0]
            raise ConfigError(
                self.runs_dir,
                None,
                f"run {row.point_id}/{row.seed_index} is stored twice; the directory was "
                "changed outside escalation-sim",
            )
        return df

    def schema(self, dataset: str) -> pa.Schema:
        """The Arrow schema of ``runs`` or ``timeseries``, as the manifest records it."""
        return schema_from_json(self.manifest["schema"][dataset])


# ---------------------------------------------------------------------------------------------
# manifest


def make_manifest(
    *,
    config: dict[str, Any],
    config_source: str,
    config_hash: str,
    identity: Mapping[str, Any],
    scenario: dict[str, Any],
    runs_total: int,
    schemas: Mapping[str, pa.Schema],
    versions: Mapping[str, str],
) -> dict[str, Any]:
    """What ``manifest.json`` holds: enough to check, resume and report the sweep."""
    summary = {
        key: (_digest(value) if key in ("scenario", "design") else value)
        for key, value in identity.items()
    }
    return {
        "format": FORMAT,
        "kind": "escalation-sim sweep",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": dict(versions),
        "config_hash": config_hash,
        "identity": summary,
        "runs_total": runs_total,
        "config_source": config_source,
        "config": config,
        "schema": {name: schema_to_json(s) for name, s in schemas.items()},
        "scenario": scenario,
    }


def read_manifest(root: Path) -> dict[str, Any]:
    """Read ``root/manifest.json``, or raise ConfigError if ``root`` holds no sweep."""
    path = Path(root) / MANIFEST
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(root, None, "not a sweep directory (no manifest.json)") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(path, None, f"unreadable manifest: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(
            path, None, f"damaged manifest: a JSON {type(doc).__name__}, not an object"
        )
    if doc.get("format") != FORMAT:
        raise ConfigError(path, "format", f"unknown format {doc.get('format')!r}; allowed: 1")
    for key, kind in _MANIFEST_FIELDS.items():
        if not isinstance(doc.get(key), kind):
            what = "missing" if key not in doc else f"a {type(doc[key]).__name__}"
            raise ConfigError(
                path, key, f"damaged manifest: {what}, not {kind.__name__}; restore manifest.json"
            )
    for name in (RUNS, TIMESERIES):
        try:
            schema_from_json(doc["schema"][name])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                path, f"schema.{name}", f"damaged manifest: not a column list ({exc})"
            ) from None
    return doc


#: What a manifest must hold, by key, to be read at all.
_MANIFEST_FIELDS: dict[str, type] = {
    "config_hash": str,
    "identity": dict,
    "config": dict,
    "schema": dict,
    "scenario": dict,
    "runs_total": int,
}


def _check_same(old: dict[str, Any], new: dict[str, Any], path: Path) -> None:
    if old["config_hash"] == new["config_hash"] and old["schema"] == new["schema"]:
        return
    advice = "choose another --out, or remove the directory to start again"
    for key, was in old["identity"].items():
        now = new["identity"].get(key)
        if was != now:
            field, was, now = _first_difference(key, was, now)
            if isinstance(was, str) and len(str(was)) > 40:
                detail = "differs"
            else:
                detail = f"{json.dumps(was)} there, {json.dumps(now)} in this config"
            raise ConfigError(
                path,
                field,
                f"this directory holds a sweep of a different config ({detail}); {advice}",
            )
    if old["schema"] != new["schema"]:
        raise ConfigError(
            path,
            "schema",
            f"the model's outcomes changed since this sweep started; {advice}",
        )
    raise ConfigError(path, None, f"this directory holds a sweep of a different config; {advice}")


def _first_difference(key: str, was: Any, now: Any) -> tuple[str, Any, Any]:
    if isinstance(was, dict) and isinstance(now, dict):
        for sub in sorted(set(was) | set(now)):
            if was.get(sub) != now.get(sub):
                return f"{key}.{sub}", was.get(sub), now.get(sub)
    return key, was, now


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# schemas


def schema_to_json(schema: pa.Schema) -> list[list[str]]:
    """``[[name, type], ...]`` (types as Arrow aliases: ``double``, ``timestamp[us]``...)."""
    return [[f.name, str(f.type)] for f in schema]


def schema_from_json(fields: list[list[str]]) -> pa.Schema:
    """Inverse of ``schema_to_json``."""
    return pa.schema([(name, pa.type_for_alias(kind)) for name, kind in fields])


# ---------------------------------------------------------------------------------------------
# files


def atomic_write(path: Path, write) -> Path:
    """Write ``path`` via a temporary file and an atomic rename, durably (``run.write_atomic``)."""
    return write_atomic(Path(path), write, durable=True)


def _write_parquet(table: pa.Table, path: Path) -> None:
    with open(path, "wb") as f:
        pq.write_table(table, f, compression="zstd")
        f.flush()
        os.fsync(f.fileno())


#: What a sweep's creation makes before its manifest: left by a creation that failed half way.
_LEFTOVERS = (".lock", RUNS, TIMESERIES)


def _only_leftovers(root: Path) -> bool:
    """True if ``root`` is empty, or holds only what a failed creation of a sweep leaves."""
    for entry in root.iterdir():
        if entry.name not in _LEFTOVERS:
            return False
        if entry.is_dir() and any(entry.iterdir()):
            return False
    return True


def _remove_leftovers(root: Path, remove_root: bool = False) -> None:
    """Undo a failed creation: the lock file, the empty datasets, ``root`` itself if we made it."""
    if not root.is_dir() or (root / MANIFEST).exists() or not _only_leftovers(root):
        return
    for name in _LEFTOVERS:
        path = root / name
        try:
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        except OSError:
            pass
    if remove_root:
        try:
            root.rmdir()
        except OSError:
            pass


def _failpoint(stage: str) -> None:
    spec = os.environ.get(FAILPOINT_ENV)
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != stage:
        return
    _failpoint_hits[stage] = _failpoint_hits.get(stage, 0) + 1
    if _failpoint_hits[stage] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
