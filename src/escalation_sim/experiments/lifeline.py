"""Processes that end with the process that started them, whatever ends it (SIGKILL included).

A sweep's worker processes are children of multiprocessing's fork server, which is a child of
the sweep. If the sweep is killed, neither learns of it by itself: both keep running, re-parented
to init, holding the sweep's stderr (a caller reading that pipe waits for ever). On Linux each
asks the kernel for a parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, through ctypes):
the fork server dies with the sweep, and the workers with the fork server. Elsewhere (macOS) a
daemon thread in each worker polls ``os.getppid()`` instead (the fork server cannot run one: it
forks, and forking a threaded process is unsafe).

Linux sends the signal when the *thread* that started the process ends, so the fork server is
tied to the sweep only when the sweep runs in the main thread (``executors.ProcessExecutor``);
started from another thread, it outlives a killed sweep as before (its workers still end with
it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
PR_SET_PDEATHSIG = 1


def die_with_parent(*, watchdog: bool = False) -> None:
    """End this process (SIGKILL) when its parent process ends.

    Args:
        watchdog: Where the kernel cannot do it (not Linux), start a daemon thread that checks
            the parent twice a second. Only for processes that do not fork.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        failed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0
    else:  # pragma: no cover  (not Linux)
        failed = True
    if failed and watchdog:  # pragma: no cover
        _watch(parent)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _watch(parent: int) -> None:  # pragma: no cover  (the kernel does it on Linux)
    def loop() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=loop, name="lifeline", daemon=True).start()
