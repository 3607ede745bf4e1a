"""Summaries and effects do not depend on the order runs were stored in.

Parallel workers store runs in the order they finish, which changes from one sweep to the
next; a report must come out the same to the last digit whatever that order was.
"""

import numpy as np
import pandas as pd

from escalation_sim.experiments import analysis, resolve
from escalation_sim.experiments.config import parse_config

CONFIG = """
name = "order"
outcomes = ["isis_resurgence", "isis_attacks_iraq_total"]
[seeds]
root = 11
per_point = 12
[design.parameters]
border_hardening = { values = [0.0, 1.0] }
[baseline]
border_hardening = 0.0
[analysis]
resamples = 999
"""


def runs_and_experiment():
    exp = resolve(parse_config(CONFIG, source="order.toml"), source="order.toml")
    rng = np.random.default_rng(0)
    rows = [
        {
            "point_id": p.point_id,
            "seed_index": i,
            "status": "ok",
            "isis_resurgence": bool(rng.random() < 0.5),
            "isis_attacks_iraq_total": float(rng.poisson(200 + 50 * k)),
        }
        for k, p in enumerate(exp.design.points)
        for i in range(12)
    ]
    return pd.DataFrame(rows), exp


def test_summary_and_effects_ignore_the_storage_order():
    runs, exp = runs_and_experiment()
    shuffled = runs.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert not shuffled["seed_index"].equals(runs["seed_index"])
    pd.testing.assert_frame_equal(analysis.summarise(runs, exp), analysis.summarise(shuffled, exp))
    pd.testing.assert_frame_equal(analysis.effects(runs, exp), analysis.effects(shuffled, exp))
