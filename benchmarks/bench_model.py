"""Model speed: agent-steps per second of the default scenario against Mesa's virus_on_network.

An **agent-step** is one agent alive during one step: a run's agent-steps are the sum, over its
steps, of the number of agents in ``model.agents`` when the step starts (for this model: states,
armed forces and ISIS cells; the 200 representative recruits per region of the recruitment rule
are numpy arrays, not Mesa agents, and are not counted). Agent-steps per second is that sum
divided by the wall time of the steps (building the model is timed apart).

The reference, measured in the same run and interleaved with it (one run of each in turn, so a
machine getting busier favours neither): Mesa's own ``virus_on_network`` example
(``mesa.examples.basic.virus_on_network``), 1,000 agents on an Erdos-Renyi network with the
example's default parameters, stepped as many times. ``ratio`` above 1 means this model does more
agent-steps per second than the example.

Also reported: the 2013-2019 hindcast (``hindcast_2013``, 365 weeks, about a thousand agents, on
the lean path that sweeps and calibration use): seconds per run and its agent-steps per second
against the same virus_on_network runs; the first call's compile time of the numba kernels
(``escalation_sim.kernels.compiled.warm_up``), timed apart and before any run, as a sweep worker
pays it once; whether the kernels ran compiled (``NUMBA_DISABLE_JIT=1`` runs them as Python).
And: the seconds of a default two-year run (median and slowest), building the model,
an empty Mesa model stepped as often (Mesa's own overhead), and where a step's time goes, phase
by phase. ``python benchmarks/profile_model.py`` gives a full profile (pyinstrument).

    python benchmarks/bench_model.py [OUT.json] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# A cache of its own, empty, so that warm_up() below times a real compile, not a load of the
# machine code an earlier run cached (escalation_sim.kernels: cache=True).
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-numba-")

from benchlib import emit, step_through
from mesa import Model
from mesa.examples.basic.virus_on_network.model import VirusOnNetwork

import escalation_sim.model as model_module
from escalation_sim import EscalationModel
from escalation_sim.kernels.attacks import attack_targets
from escalation_sim.kernels.compiled import warm_up
from escalation_sim.mechanisms import PHASES, Phase

WEEKS = 104
VIRUS_AGENTS = 1000


def time_default(seed: int) -> dict:
    start = time.perf_counter()
    model = EscalationModel(rng=seed)
    build = time.perf_counter() - start
    seconds, agent_steps = step_through(model, WEEKS)
    return {"build": build, "seconds": seconds, "agent_steps": agent_steps}


def time_hindcast(seed: int) -> dict:
    """A lean run of the 2013-2019 hindcast over its full horizon."""
    model = EscalationModel("hindcast_2013", rng=seed, lean=True)
    seconds, agent_steps = step_through(model, int(model.spec.meta.weeks))
    return {"seconds": seconds, "agent_steps": agent_steps}


def time_virus(seed: int) -> dict:
    model = VirusOnNetwork(num_nodes=VIRUS_AGENTS, rng=seed)
    seconds, agent_steps = step_through(model, WEEKS)
    return {"seconds": seconds, "agent_steps": agent_steps}


def time_empty_model() -> float:
    class Empty(Model):
        def step(self) -> None:
            pass

    model = Empty(rng=0)
    start = time.perf_counter()
    model.run_for(WEEKS)
    return time.perf_counter() - start


def phase_breakdown(seeds: int = 5) -> dict:
    """Milliseconds per step spent in each weekly phase (and in recording outcomes)."""
    spent: Counter[str] = Counter()

    def timed(name, fn):
        def run(*args):
            start = time.perf_counter()
            fn(*args)
            spent[name] += time.perf_counter() - start

        return run

    original = model_module.PHASES
    model_module.PHASES = tuple(Phase(p.name, timed(p.name, p.run), p.mechanisms) for p in PHASES)
    try:
        total = 0.0
        for seed in range(seeds):
            model = EscalationModel(rng=seed)
            total += step_through(model, WEEKS)[0]
    finally:
        model_module.PHASES = original
    steps = seeds * WEEKS
    spent["outcomes and data collection"] = total - sum(spent.values())
    return {
        name: {"ms_per_step": 1000 * s / steps, "share": s / total}
        for name, s in spent.most_common()
    }


def cache_load_seconds() -> float:
    """What a new process (a sweep worker, a CLI run) pays once the kernels are cached: warm_up
    in a fresh interpreter reading the cache this process just wrote."""
    code = "from escalation_sim.kernels.compiled import warm_up; print(warm_up())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, help="write the figures here as JSON")
    ap.add_argument("--repeats", type=int, default=7, help="runs of each model (median)")
    args = ap.parse_args()
    compile_seconds = warm_up()  # the first call compiles the kernels: timed apart, once
    load_seconds = cache_load_seconds()
    time_default(0), time_virus(0)  # warm up (imports, caches)
    ours, virus, hindcast = [], [], []
    for seed in range(args.repeats):
        ours.append(time_default(seed))
        virus.append(time_virus(seed))
        hindcast.append(time_hindcast(seed))
    ours_rate = statistics.median(r["agent_steps"] / r["seconds"] for r in ours)
    virus_rate = statistics.median(r["agent_steps"] / r["seconds"] for r in virus)
    run_seconds = [r["seconds"] for r in ours]
    hindcast_rate = statistics.median(r["agent_steps"] / r["seconds"] for r in hindcast)
    result = {
        "weeks": WEEKS,
        "repeats": args.repeats,
        "agent_step": "one agent alive during one step (agents in model.agents at its start)",
        "default": {
            "agents_mean": statistics.mean(r["agent_steps"] / WEEKS for r in ours),
            "agent_steps_per_second": ours_rate,
            "us_per_agent_step": 1e6 / ours_rate,
        },
        "virus_on_network": {
            "agents": VIRUS_AGENTS,
            "parameters": "num_nodes=1000, the example's defaults otherwise (avg_node_degree 3, "
            "initial_outbreak_size 1, virus_spread_chance 0.4, virus_check_frequency 0.4, "
            "recovery_chance 0.3, gain_resistance_chance 0.5)",
            "agent_steps_per_second": virus_rate,
            "us_per_agent_step": 1e6 / virus_rate,
        },
        "ratio_agent_steps_per_second_default_over_virus": ours_rate / virus_rate,
        "hindcast": {
            "weeks": 365,
            "agents_mean": statistics.mean(r["agent_steps"] / 365 for r in hindcast),
            "run_seconds_median": statistics.median(r["seconds"] for r in hindcast),
            "agent_steps_per_second": hindcast_rate,
        },
        "ratio_agent_steps_per_second_hindcast_over_virus": hindcast_rate / virus_rate,
        "compiled": hasattr(attack_targets, "signatures"),
        "compile_seconds": compile_seconds,
        "cache_load_seconds": load_seconds,
        "run_seconds_median": statistics.median(run_seconds),
        "run_seconds_max": max(run_seconds),
        "build_seconds_median": statistics.median(r["build"] for r in ours),
        "ms_per_week": 1000 * statistics.median(run_seconds) / WEEKS,
        "empty_mesa_model_seconds": statistics.median(time_empty_model() for _ in range(5)),
        "phases": phase_breakdown(),
    }
    return emit(result, args.out)


if __name__ == "__main__":
    main()
