"""Behavioural kernels shared by the escalation model and its validation runs.

The numba kernels here are compiled with ``cache=True``: the machine code goes to a cache on
disk, so that a new process (a sweep worker, a CLI run, a test's subprocess) loads it in well
under a second instead of compiling for two or more. numba checks a cached kernel against its
own file only, not against the helpers it calls in other files (``sums.py``), so the cache lives
in a folder named for a hash of every kernel file's source: any edit here compiles afresh.
``NUMBA_CACHE_DIR``, when set, overrides the folder (and this check).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def _cache_dir() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return str(base / "escalation-sim" / f"numba-{digest.hexdigest()[:16]}")


if not os.environ.get("NUMBA_CACHE_DIR"):
    # numba reads the variable when it is imported and again before each compilation.
    os.environ["NUMBA_CACHE_DIR"] = _cache_dir()
    if "numba" in sys.modules:
        import numba.core.config

        # config is filled from the environment at run time, so its stubs lack the name.
        setattr(numba.core.config, "CACHE_DIR", os.environ["NUMBA_CACHE_DIR"])  # noqa: B010
