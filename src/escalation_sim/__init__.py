"""escalation-sim: an agent-based model of escalation in the Iraq-Syria theatre (Mesa 3.5).

Public API::

    from escalation_sim import EscalationModel, run, load_scenario

    model = EscalationModel(rng=42)                 # the default scenario
    model.run_for(104)
    model.timeseries(), model.outcomes()

    result = run(overrides={"syria_collapse": 0.8}, seed=1)   # one run, as the CLI does it
"""

from typing import TYPE_CHECKING, Any

from escalation_sim.errors import ConfigError, ConfigErrors

# ``run`` is both a submodule and the function: importing the (light) submodule here binds the
# package's ``run`` to the function once, as before, so ``escalation_sim.run(...)`` and
# ``from escalation_sim import run`` keep working whatever is imported later.
from escalation_sim.run import LeanResult, RunResult, run, run_lean

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel
    from escalation_sim.outcomes import RUN_OUTCOMES, WEEKLY_OUTCOMES
    from escalation_sim.scenario import Scenario, apply_overrides, load_scenario

__version__ = "0.1.0"

#: The rest of the public API, imported on first use (PEP 562): ``import escalation_sim`` and
#: the command line's ``--help`` then import neither Mesa nor pandas.
_LAZY = {
    "EscalationModel": "escalation_sim.model",
    "RUN_OUTCOMES": "escalation_sim.outcomes",
    "WEEKLY_OUTCOMES": "escalation_sim.outcomes",
    "Scenario": "escalation_sim.scenario",
    "apply_overrides": "escalation_sim.scenario",
    "load_scenario": "escalation_sim.scenario",
}

__all__ = [
    "RUN_OUTCOMES",
    "WEEKLY_OUTCOMES",
    "ConfigError",
    "ConfigErrors",
    "EscalationModel",
    "LeanResult",
    "RunResult",
    "Scenario",
    "apply_overrides",
    "load_scenario",
    "run",
    "run_lean",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # once: later look-ups do not come here
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
