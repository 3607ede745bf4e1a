"""Where a result came from: the scenario file and its hash, the code's commit, the versions.

Every output records ``provenance(...)``: a single run's ``outcomes.json`` and a sweep's
``manifest.json`` and ``report.md``. The scenario is identified by its path and the SHA-256 of
the file's bytes, so an edited copy of a bundled scenario is told apart from the original even
when both keep the same ``meta.name``. The git commit is that of the checkout the package is
imported from (``None`` for an installed wheel); ``dirty`` says whether tracked files differ from
it.
"""

from __future__ import annotations

import functools
import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

#: Distributions whose versions every output records.
PACKAGES = ("escalation-sim", "mesa", "numpy", "pandas")


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def git_info() -> dict[str, Any] | None:
    """``{"commit": ..., "dirty": ...}`` of the checkout holding this package, or None.

    Cached: asked once per process (two short ``git`` calls), never per run.
    """
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None  # not a checkout, or no git on the machine
    return {"commit": commit, "dirty": bool(status.strip())}


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Python's version and each installed package's."""
    out = {"python": platform.python_version()}
    for dist in packages:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def scenario_record(path: str | Path | None) -> dict[str, Any]:
    """The scenario's resolved path and the SHA-256 of its bytes (None when given no file)."""
    if path is None:
        return {"path": None, "sha256": None}
    p = Path(path).resolve()
    return {"path": str(p), "sha256": file_sha256(p)}


def provenance(scenario_path: str | Path | None) -> dict[str, Any]:
    """The provenance record of an output made from the scenario file ``scenario_path``."""
    git = git_info()
    return {
        "scenario": scenario_record(scenario_path),
        "git_commit": None if git is None else git["commit"],
        "git_dirty": None if git is None else git["dirty"],
        "versions": versions(),
    }
