"""Command-line start time: ``escalation-sim --help``, ``params`` and ``scenarios`` against
``python -c pass``.

Each command runs ``--repeats`` times in a fresh process, the commands interleaved round-robin
(as hyperfine does with several commands), after ``--warmup`` rounds that are not counted (the
page cache). Wall time per run, and CPU time (user + system of the child, from
``resource.getrusage``), which other work on the machine inflates much less than wall time.
Medians; the **ratio** is a command's median over ``python -c pass``'s, measured in the same
rounds. The aim: each command under 0.3 s.

Also: what ``--help`` imports (none of Mesa, pandas, scipy, matplotlib, numpy), read from
``sys.modules`` in a fresh interpreter, and the slowest imports of ``params`` by
``python -X importtime``.

    python benchmarks/bench_cli.py [OUT.json] [--repeats 20] [--warmup 2]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchlib import arguments, emit, load_average

PY = sys.executable
CLI = str(Path(PY).with_name("escalation-sim"))
COMMANDS = {
    "python -c pass": [PY, "-c", "pass"],
    "escalation-sim --help": [CLI, "--help"],
    "escalation-sim params": [CLI, "params"],
    "escalation-sim scenarios": [CLI, "scenarios"],
}
HEAVY = ("mesa", "pandas", "scipy", "matplotlib", "numpy", "pydantic", "networkx")


def once(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd`` (its output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def heavy_imports_of_help() -> list[str]:
    code = (
        "import sys, io, contextlib\n"
        "from escalation_sim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout
    return sorted(set(out.split()) & set(HEAVY))


def slowest_imports(argv: list[str], n: int = 8) -> list[dict]:
    """The ``n`` imports with the largest cumulative time (``-X importtime``), microseconds."""
    code = f"from escalation_sim.cli import main; main({argv!r})"
    err = subprocess.run(
        [PY, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    ).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, self_us, cum_us, name = (part.strip() for part in line.replace(":", "|", 1).split("|"))
        rows.append({"module": name, "self_us": int(self_us), "cumulative_us": int(cum_us)})
    return sorted(rows, key=lambda r: -r["cumulative_us"])[:n]


def main() -> dict:
    ap = arguments(__doc__)
    ap.add_argument("--repeats", type=int, default=20, help="runs of each command (median)")
    ap.add_argument("--warmup", type=int, default=2, help="uncounted rounds first")
    args = ap.parse_args()
    load = load_average()
    for _ in range(args.warmup):
        for cmd in COMMANDS.values():
            once(cmd)
    walls: dict[str, list[float]] = {k: [] for k in COMMANDS}
    cpus: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.repeats):
        for name, cmd in COMMANDS.items():
            wall, cpu = once(cmd)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base_wall = statistics.median(walls["python -c pass"])
    base_cpu = statistics.median(cpus["python -c pass"])
    commands = {}
    for name in COMMANDS:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        commands[name] = {
            "wall_seconds_median": wall,
            "wall_seconds_min": min(walls[name]),
            "cpu_seconds_median": cpu,
            "ratio_wall_over_python": wall / base_wall,
            "ratio_cpu_over_python": cpu / max(base_cpu, 1e-3),
        }
    result = {
        "repeats": args.repeats,
        "load_average_before": load,
        "commands": commands,
        "help_imports_heavy": heavy_imports_of_help(),
        "params_slowest_imports": slowest_imports(["params"]),
    }
    return emit(result, args.out)


if __name__ == "__main__":
    main()
