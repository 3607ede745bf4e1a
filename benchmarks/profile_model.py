"""Profile the model's weekly step with pyinstrument (a dev dependency), to see what dominates.

    python benchmarks/profile_model.py [--copies 1] [--runs 10] [--weeks 104] [--html out.html]

Profiles ``--runs`` runs of the default scenario (or of it replicated ``--copies`` times,
``escalation_sim.scenario.synthetic``), building excluded, and prints the call tree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pyinstrument import Profiler

from escalation_sim import EscalationModel
from escalation_sim.scenario import load_scenario
from escalation_sim.scenario.synthetic import replicate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=1, help="theatre replicated this many times")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--html", type=Path, help="also write an HTML report here")
    args = ap.parse_args()
    scenario = replicate(load_scenario(), args.copies)
    models = [EscalationModel(scenario, rng=seed) for seed in range(args.runs)]
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for model in models:
        model.run_for(args.weeks)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))
    if args.html:
        args.html.write_text(profiler.output_html())


if __name__ == "__main__":
    main()
