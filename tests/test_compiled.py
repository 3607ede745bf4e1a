"""The compiled kernels (``escalation_sim.kernels``) give results bit-identical to plain Python.

The reference is the same code with ``NUMBA_DISABLE_JIT=1`` (plain Python), in a subprocess.
The sums the kernels write out are checked against numpy's and Python's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from escalation_sim.kernels.sums import pairwise_sum, python_sum

HELPER = Path(__file__).with_name("compiled_helpers.py")


def test_pairwise_sum_adds_as_numpy_does():
    rng = np.random.default_rng(0)
    for n in [*range(0, 20), 127, 128, 129, 255, 256, 257, 1000, 4099]:
        a = rng.random(n) * 10.0 ** rng.integers(-6, 6, n)
        assert pairwise_sum(a, 0, n) == a.sum(), n
        if n > 3:  # from an offset, as the kernels read a region's slice of a flat array
            assert pairwise_sum(a, 3, n - 3) == a[3:].sum(), n


def test_python_sum_adds_as_python_does():
    rng = np.random.default_rng(1)
    for n in range(0, 40):
        a = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)
        assert python_sum(a, 0, n) == sum(a.tolist()), n


def _hashes(disable_jit: bool) -> list[str]:
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1" if disable_jit else "0"}
    out = subprocess.run(
        [sys.executable, str(HELPER)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    jit, *hashes = out.stdout.split()
    assert jit == ("plain" if disable_jit else "compiled")
    return hashes


def test_compiled_runs_hash_as_the_uncompiled_ones():
    compiled, reference = _hashes(False), _hashes(True)
    assert len(compiled) == 9
    assert compiled == reference


def test_the_kernel_cache_is_named_for_every_kernel_file_and_a_users_folder_wins(tmp_path):
    """numba checks a cached kernel against its own file only, so the folder carries a hash of
    all of them (an edit to ``sums.py`` must not leave ``attacks.py``'s old machine code)."""
    import hashlib

    import escalation_sim.kernels as kernels

    digest = hashlib.sha256()
    for path in sorted(Path(kernels.__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    code = (
        "import os; from escalation_sim.kernels.compiled import warm_up; warm_up(); "
        "print(os.environ['NUMBA_CACHE_DIR'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path), NUMBA_DISABLE_JIT="0")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    folder = tmp_path / "escalation-sim" / f"numba-{digest.hexdigest()[:16]}"
    assert out.stdout.strip() == str(folder)
    assert list(folder.rglob("*.nbi")), "no kernel was cached"
    # A user's folder is left as it is, in the environment and in numba's config (no compile:
    # the first half showed that numba caches into the folder its config names).
    mine = tmp_path / "mine"
    check = (
        "import os; import escalation_sim.kernels; import numba.core.config as c; "
        "print(os.environ['NUMBA_CACHE_DIR'], c.CACHE_DIR)"
    )
    out = subprocess.run(
        [sys.executable, "-c", check],
        env={**env, "NUMBA_CACHE_DIR": str(mine)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [str(mine), str(mine)]
