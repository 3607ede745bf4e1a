"""Model speed: wall time of the default scenario over two years, on one core.

Run with ``make bench`` (or ``python benchmarks/bench_model.py``). Reports the median of several
runs and, as a reference measured in the same process, the time of an empty Mesa model stepped
the same number of times, so the figure can be read as a ratio on any machine.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from mesa import Model

from escalation_sim import EscalationModel

WEEKS = 104
REPEATS = 7


def time_default(seed: int) -> float:
    model = EscalationModel(rng=seed)
    start = time.perf_counter()
    model.run_for(WEEKS)
    return time.perf_counter() - start


def time_empty_model() -> float:
    class Empty(Model):
        def step(self) -> None:
            pass

    model = Empty(rng=0)
    start = time.perf_counter()
    model.run_for(WEEKS)
    return time.perf_counter() - start


def main() -> dict:
    runs = [time_default(seed) for seed in range(REPEATS)]
    build = []
    for seed in range(REPEATS):
        start = time.perf_counter()
        EscalationModel(rng=seed)
        build.append(time.perf_counter() - start)
    empty = statistics.median(time_empty_model() for _ in range(REPEATS))
    result = {
        "weeks": WEEKS,
        "run_seconds_median": statistics.median(runs),
        "run_seconds_max": max(runs),
        "build_seconds_median": statistics.median(build),
        "ms_per_week": 1000 * statistics.median(runs) / WEEKS,
        "empty_mesa_model_seconds": empty,
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    out = main()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(json.dumps(out, indent=2))
