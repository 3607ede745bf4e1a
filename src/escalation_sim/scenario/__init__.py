"""Scenario files: schema, loader and the bundled scenarios (``data/*.toml``)."""

from escalation_sim.scenario.loader import (
    DEFAULT_SCENARIO,
    apply_overrides,
    bundled_scenarios,
    load_scenario,
    parse_assignments,
    parse_scenario,
)
from escalation_sim.scenario.schema import Scenario

__all__ = [
    "DEFAULT_SCENARIO",
    "Scenario",
    "apply_overrides",
    "bundled_scenarios",
    "load_scenario",
    "parse_assignments",
    "parse_scenario",
]
