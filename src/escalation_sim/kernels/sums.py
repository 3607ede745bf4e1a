"""Compiled sums that add in the order numpy and Python do, so results stay bit-identical.

Numba's ``np.sum`` adds left to right; numpy's adds pairwise (blocks of eight, halves beyond 128
elements), so the two differ in the last bits. Python's ``sum`` of floats (3.12 on) is Neumaier's
compensated sum. A kernel that replaces one of them calls the matching function here.

Kernels in this package are plain functions under ``numba.njit``: with ``NUMBA_DISABLE_JIT=1``
they run as ordinary Python, the reference the compiled path is tested against
(``tests/test_compiled.py``). They take arrays, never a ``numpy.random.Generator`` (passing one
into a compiled function costs about 9 us a call): the caller draws the random numbers in numpy,
in the order the uncompiled model drew them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: numpy's block size for its pairwise sum (``PW_BLOCKSIZE`` in numpy's loops_utils).
_BLOCK = 128


@njit(cache=True)
def pairwise_sum(a: np.ndarray, start: int, n: int) -> float:
    """``a[start:start + n].sum()`` exactly as numpy adds a contiguous float64 array."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i]
        return res
    if n <= _BLOCK:
        r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
        r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
        i = 8
        while i < n - (n % 8):
            j = start + i
            r0 += a[j]
            r1 += a[j + 1]
            r2 += a[j + 2]
            r3 += a[j + 3]
            r4 += a[j + 4]
            r5 += a[j + 5]
            r6 += a[j + 6]
            r7 += a[j + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[start + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, start, n2) + pairwise_sum(a, start + n2, n - n2)


@njit(cache=True)
def python_sum(a: np.ndarray, start: int, n: int) -> float:
    """``sum(a[start:start + n].tolist())`` as Python 3.12+ adds floats (Neumaier)."""
    f = 0.0
    c = 0.0
    for i in range(start, start + n):
        x = a[i]
        t = f + x
        if abs(f) >= abs(x):
            c += (f - t) + x
        else:
            c += (x - t) + f
        f = t
    return f + c
