"""escalation-sim: an agent-based model of escalation in the Iraq-Syria theatre (Mesa 3.5).

Public API::

    from escalation_sim import EscalationModel, run, load_scenario

    model = EscalationModel(rng=42)                 # the default scenario
    model.run_for(104)
    model.timeseries(), model.outcomes()

    result = run(overrides={"syria_collapse": 0.8}, seed=1)   # one run, as the CLI does it
"""

from escalation_sim.errors import ConfigError, ConfigErrors
from escalation_sim.model import EscalationModel
from escalation_sim.outcomes import RUN_OUTCOMES, WEEKLY_OUTCOMES
from escalation_sim.run import RunResult, run
from escalation_sim.scenario import Scenario, apply_overrides, load_scenario

__version__ = "0.1.0"

__all__ = [
    "RUN_OUTCOMES",
    "WEEKLY_OUTCOMES",
    "ConfigError",
    "ConfigErrors",
    "EscalationModel",
    "RunResult",
    "Scenario",
    "apply_overrides",
    "load_scenario",
    "run",
]
