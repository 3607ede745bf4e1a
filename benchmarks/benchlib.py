"""What the benchmarks share: sampling a command's process tree, and writing their figures.

``measure`` runs a command and samples its whole process tree: wall time, CPU time, peak memory.
Every 0.1 s (psutil) the command and all its descendants are read: RSS summed over the tree,
PSS summed over the tree (RSS with pages shared between processes split among them: the fair
total when workers share pages with a parent or a fork server), and each process's CPU seconds.
The driver's own RSS (the command's process alone) is kept too: it is where results pile up when
a runner holds them in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path


def load_average() -> float:
    """The 1-minute load average (what else the machine is doing), or -1 where unknown."""
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return -1.0


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``cmd`` to the end; return its timings and peak memory (SystemExit if it fails)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    parent = psutil.Process(proc.pid)
    peak_rss = peak_pss = peak_driver = 0
    peak_procs = 1
    cpu: dict[int, float] = {}  # pid -> last CPU seconds seen (user + system)
    load = load_average()
    while proc.poll() is None:
        rss = pss = 0
        try:
            tree = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in tree:
            try:
                with p.oneshot():
                    info = p.memory_full_info()
                    t = p.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            cpu[p.pid] = t.user + t.system
            if p.pid == proc.pid:
                peak_driver = max(peak_driver, info.rss)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        peak_procs = max(peak_procs, len(tree))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed with exit status {proc.returncode}")
    return {
        "seconds": seconds,
        "cpu_seconds": sum(cpu.values()),
        "peak_rss_mb": peak_rss / 2**20,
        "peak_pss_mb": peak_pss / 2**20,
        "peak_driver_rss_mb": peak_driver / 2**20,
        "processes": peak_procs,
        "load_average_before": load,
    }


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's parser: described by its docstring's first line, with the ``OUT.json``."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, help="write the figures here as JSON")
    return ap


def emit(result: dict, out: Path | None) -> dict:
    """Print a benchmark's figures as JSON, and write them to ``out`` if given."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        Path(out).write_text(text + "\n")
    return result


def step_through(model, steps: int) -> tuple[float, int]:
    """Step a Mesa ``model``; return the wall time of the steps and the agent-steps done.

    An agent-step is one agent alive at the start of a step.
    """
    agent_steps = 0
    start = time.perf_counter()
    for _ in range(steps):
        agent_steps += len(model.agents)
        model.step()
    return time.perf_counter() - start, agent_steps
