"""The browser view: Mesa's SolaraViz page for ``EscalationModel``.

Serve it with ``escalation-sim viz`` (or ``make viz``), which runs
``solara run escalation_sim.viz.app`` on 127.0.0.1 with telemetry and version checks off. The page
works with no internet: Solara's front-end comes from ``solara-assets`` and everything is drawn
with matplotlib on the server (Altair charts would need vega from a CDN).

The page has the controls SolaraViz gives (play, step, reset) and the model's own: the scenario,
the seed, the ``border_hardening`` and ``syria_collapse`` levers, the collapse week and every
mechanism switch. Three components redraw each step: the map (``MapView``), the live plots
(``LivePlots``) and a text panel (``Explanation``). Each browser session gets its own model.
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

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
from escalation_sim.viz.figures import explanation, map_svg, plots_figure

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

    The controls start at the default scenario's values; a control still at its starting value
    leaves the chosen scenario's own value (a hindcast keeps its own border, not 2024's), a
    control the user moved overrides it. Rather than fail in the page, a seed that is not a
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
        start = initial_values(controls())
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


@solara.component
def MapView(model: EscalationModel):
    """The map of the current week, with a tooltip on each region, border segment and unit."""
    counter = update_counter.get()
    svg = solara.use_memo(lambda: map_svg(model), [model, counter])
    solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["escalation-map"])


@solara.component
def LivePlots(model: EscalationModel):
    """The weekly outcomes so far."""
    counter = update_counter.get()
    figure = solara.use_memo(lambda: plots_figure(model), [model, counter])
    with solara.Div(classes=["escalation-plots"]):
        solara.FigureMatplotlib(figure, format="png", dependencies=[model, counter])


@solara.component
def Explanation(model: EscalationModel):
    """What is on screen, with the current week's date and numbers."""
    update_counter.get()
    if getattr(model, "problem", None):
        solara.Error(model.problem)
    solara.HTML(tag="div", unsafe_innerHTML=explanation(model), classes=["escalation-text"])


@solara.component
def Dashboard(model: EscalationModel):
    """The map above the live plots, the text panel beside them."""
    with solara.Columns([3, 2], style={"padding": "12px"}):
        with solara.Column():
            MapView(model)
            LivePlots(model)
        Explanation(model)


@solara.component
def EscalationPage():
    """SolaraViz with this model's controls, and the dashboard; one model per browser session.

    SolaraViz gives the app bar, the sidebar (play, step and reset; the model controls; the step
    counter) and rebuilds the model on *Reset*. The dashboard is laid out here rather than in
    SolaraViz's draggable grid, which would give the map half the width at most.
    """
    params = solara.use_memo(controls, [])
    first = solara.use_memo(lambda: BrowserModel(**initial_values(params)), [])
    model: solara.Reactive[BrowserModel] = solara.use_reactive(first)
    SolaraViz(
        model,
        components=[],
        model_params=params,
        name="escalation-sim: the Iraq-Syria theatre, week by week",
        play_interval=150,
    )
    Dashboard(model.value)


page = EscalationPage()
