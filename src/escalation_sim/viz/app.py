"""The model behind the browser view, and the ranges of its controls.

``BrowserModel`` is ``EscalationModel`` built from the values of the page's controls;
``controls`` describes those controls (SolaraViz's ``model_params``) for a scenario. The page
itself is ``escalation_sim.viz.page``, served by ``escalation-sim viz`` (or ``make viz``).
"""

from __future__ import annotations

from typing import Any

from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.visualization import Slider

from escalation_sim.errors import ConfigError
from escalation_sim.mechanisms import MECHANISMS
from escalation_sim.model import EscalationModel
from escalation_sim.scenario.loader import (
    DEFAULT_SCENARIO,
    apply_overrides,
    bundled_scenarios,
    load_scenario,
    resolve_scenario_path,
)

#: The levers with a slider, and the step each slider moves by.
SLIDERS = {"border_hardening": 0.01, "syria_collapse": 0.05, "syria_collapse_week": 1}


def parse_seed(seed: Any) -> int:
    """A seed typed in the page (text or a number) as a non-negative integer.

    Raises:
        ValueError: it is not one.
    """
    text = str(seed).strip()
    if not text.isdigit():
        raise ValueError(f"seed {text!r} is not a non-negative integer")
    return int(text)


class BrowserModel(EscalationModel):
    """``EscalationModel`` built from the page's controls.

    SolaraViz rebuilds the model on *Reset* as ``type(model)(**controls)``, plus the Mesa
    ``Scenario`` every Mesa 3.5 model carries as ``scenario=``, which ``EscalationModel`` accepts
    as Mesa's. The scenario file comes in as ``scenario_name`` (a control), the seed as ``seed``
    (text, as typed), and the remaining keywords are parameter values and mechanism switches, as
    ``EscalationModel`` takes them.

    A control at the chosen scenario's own value leaves it as the scenario has it; a control
    set elsewhere overrides it. Rather than fail in the page, a seed that is not a
    non-negative integer falls back to 0 and values the chosen scenario refuses fall back to the
    scenario's own; ``problem`` says so and the text panel shows it.

    Args:
        scenario_name: A bundled scenario name or a path; default ``iraq_syria_2024``.
        seed: The run's seed.
        scenario: Mesa's scenario object (see above), handed on to ``EscalationModel``.
        **params: Parameter values (``border_hardening=0.8``) and switches
            (``militia_autonomy=False``).
    """

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        seed: int | str = 0,
        scenario: MesaScenario | None = None,
        **params: Any,
    ) -> None:
        problems = []
        try:
            rng = parse_seed(seed)
        except ValueError as exc:
            problems.append(f"{exc}; using 0")
            rng = 0
        spec = load_scenario(scenario_name)
        start = initial_values(controls(scenario_name))
        overrides = {
            f"mechanisms.{k}" if k in spec.mechanisms else k: v
            for k, v in params.items()
            if k not in start or v != start[k]
        }
        try:
            apply_overrides(
                spec,
                overrides,
                scenario_source=str(resolve_scenario_path(scenario_name)),
                origin="control",
            )
        except ConfigError as exc:
            problems.append(f"{exc}; using the scenario's own values instead of the controls")
            overrides = {}
        super().__init__(scenario_name, overrides, rng=rng, scenario=scenario)
        self.seed = rng
        self.problem = "; ".join(problems) or None


def controls(scenario_name: str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """The page's model controls (SolaraViz's ``model_params``), set to a scenario's values.

    The scenario and the seed; a slider for each of ``SLIDERS`` over the parameter's range (a
    week only up to the longest horizon of the bundled scenarios, so the slider stays usable); a
    checkbox for each mechanism of ``MECHANISMS``, labelled with its switch name.
    """
    spec = load_scenario(scenario_name)
    horizon = max(load_scenario(name).meta.weeks for name in bundled_scenarios())
    out: dict[str, Any] = {
        "scenario_name": {
            "type": "Select",
            "value": scenario_name,
            "values": sorted(bundled_scenarios()),
            "label": "Scenario",
        },
        "seed": {"type": "InputText", "value": "0", "label": "Seed (a non-negative integer)"},
    }
    for name, step in SLIDERS.items():
        prm = spec.parameters[name]
        top = min(prm.max, horizon) if prm.unit == "week" else prm.max
        out[name] = Slider(
            f"{name} ({prm.unit})",
            value=prm.value,
            min=prm.min,
            max=top,
            step=step,
            dtype=int if isinstance(prm.value, int) else float,
        )
    for name, doc in MECHANISMS.items():
        number = doc.split(".", 1)[0]
        label = f"{number}. {name}" if number.isdigit() else f"{name} (background)"
        out[name] = {"type": "Checkbox", "value": spec.mechanisms[name], "label": label}
    return out


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """The value each control starts at: what the first model is built with."""
    return {k: (v.value if isinstance(v, Slider) else v["value"]) for k, v in params.items()}
