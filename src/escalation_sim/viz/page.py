"""The browser page: SolaraViz's step/play/reset, this page's own controls, one or two runs.

SolaraViz (Mesa's public API) gives the app bar, the sidebar's *Controls* card (Reset, ▶, Step
and its three settings), the step counter, and rebuilds the model on *Reset* from its model
parameters. This page passes it the seed (a text input in SolaraViz's *Model Parameters* card) and
one fixed model parameter, ``settings``: a ``PageSettings`` that the page's own controls write
to. They are drawn here rather than by SolaraViz because the page
needs what its inputs cannot do: a value on every slider, every control moving to a scenario's
values when that scenario is chosen, mechanism switches grouped and collapsible, and the compare
mode's choices. *Reset* then builds ``PageModel(settings=..., seed=...)``.

Compare mode runs a baseline and an intervention (one lever, parameter value or switch changed)
on the same seed; ``PageModel.step`` steps both, so Step and ▶ move them together. The page then
shows both maps side by side and the intervention's differences from the baseline over time.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from escalation_sim.kernels.compiled import warm_up
from escalation_sim.mechanisms import MECHANISMS
from escalation_sim.model import EscalationModel
from escalation_sim.scenario.loader import DEFAULT_SCENARIO, bundled_scenarios, load_scenario
from escalation_sim.viz.app import SLIDERS, BrowserModel, controls
from escalation_sim.viz.figures import (
    difference_charts,
    explanation,
    live_charts,
    map_with_tooltips,
)
from escalation_sim.viz.svgmap import isis_scale

#: The mechanism switches grouped by the claims of the analysis of early December 2024 on Iraq
#: and the Syrian offensive; a mechanism in no group goes under "Other".
MECHANISM_GROUPS: dict[str, tuple[str, ...]] = {
    "Syria and ISIS": (
        "syria_chaos",
        "sunni_syria_backlash",
        "militia_backlash",
        "isis_outbidding",
        "rival_absorption",
        "recruitment",
    ),
    "Border and counter-terrorism": (
        "border_defence",
        "decapitation_strikes",
        "leadership_losses_2024",
        "intel_sharing",
        "counter_terrorism",
    ),
    "Iraq, Iran and the militias": (
        "supply_interdiction",
        "iraq_balancing",
        "militia_autonomy",
        "shrine_defence",
        "iran_interests",
        "hostile_resistance",
    ),
    "Israel": ("israel_escalation",),
}

# Compile the numba kernels as the server loads the page, so that the first Step a user clicks
# does not wait the second or more numba takes (longer on a busy machine).
warm_up()

#: The seed, in SolaraViz's own *Model Parameters* card (a text input it can draw as it is).
SEED_INPUT = {"type": "InputText", "value": "0", "label": "Seed (a non-negative integer)"}

#: Milliseconds SolaraViz waits between two weeks while playing.
PLAY_INTERVAL = 50

MESA_CONTROLS_NOTE = (
    "<b>Play Interval</b>: the pause between two weeks while ▶ plays (ms). "
    "<b>Render Interval</b>: weeks simulated per redraw while playing or stepping (1 draws "
    "every week; Step then moves that many weeks). <b>Use Threads</b>: step and draw in "
    "separate threads; leave it off here, where a redraw is quicker than the pause."
)


def mechanism_groups() -> dict[str, list[str]]:
    """``MECHANISM_GROUPS`` restricted to the mechanisms there are, plus "Other" for the rest."""
    out = {g: [m for m in names if m in MECHANISMS] for g, names in MECHANISM_GROUPS.items()}
    grouped = {m for names in out.values() for m in names}
    rest = [m for m in MECHANISMS if m not in grouped]
    if rest:
        out["Other"] = rest
    return {g: names for g, names in out.items() if names}


def mechanism_label(name: str) -> str:
    """A switch's label: the mechanism's number in the analysis and its name."""
    number = MECHANISMS[name].split(".", 1)[0]
    return f"{number}. {name}" if number.isdigit() else f"{name} (background)"


def scenario_values(scenario_name: str) -> dict[str, Any]:
    """Every slider's and switch's value in a scenario, as the controls show them."""
    spec = load_scenario(scenario_name)
    values: dict[str, Any] = {name: spec.parameters[name].value for name in SLIDERS}
    values.update({name: bool(spec.mechanisms[name]) for name in MECHANISMS})
    return values


@dataclass
class PageSettings:
    """What the page's controls say: the next *Reset* builds its models from this.

    Attributes:
        scenario_name: A bundled scenario.
        seed: The seed as typed.
        values: Each slider's and mechanism switch's value.
        compare: Run an intervention beside the baseline.
        lever: What the intervention changes: a slider's parameter or a mechanism.
        lever_value: The intervention's value of it (a number, or a switch's True/False).
    """

    scenario_name: str = DEFAULT_SCENARIO
    seed: str = "0"
    values: dict[str, Any] = field(default_factory=lambda: scenario_values(DEFAULT_SCENARIO))
    compare: bool = False
    lever: str = "border_hardening"
    lever_value: float | bool = 1.0

    def choose_scenario(self, name: str) -> None:
        """Move every control to a scenario's values (the seed and compare choices stay)."""
        self.scenario_name = name
        self.values = scenario_values(name)
        if self.lever in MECHANISMS:
            self.lever_value = not self.values[self.lever]

    def choose_lever(self, lever: str) -> None:
        """Pick what the intervention changes; its value starts away from the baseline's."""
        self.lever = lever
        if lever in MECHANISMS:
            self.lever_value = not self.values[lever]
        else:
            slider = _controls(self.scenario_name)[lever]
            base = self.values[lever]
            self.lever_value = slider.max if base != slider.max else slider.min

    def intervention(self) -> str:
        """The intervention in words: ``border_hardening 0.59 -> 1.00``."""
        if self.lever in MECHANISMS:
            return f"{self.lever} {'on' if self.lever_value else 'off'}"
        return f"{self.lever} {_num(self.values[self.lever])} → {_num(self.lever_value)}"


@functools.lru_cache(maxsize=8)
def _controls(scenario_name: str) -> dict[str, Any]:
    """``controls`` of a scenario, read once (they are drawn again on every change)."""
    return controls(scenario_name)


def _num(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else f"{value}"


class PageModel(BrowserModel):
    """The page's run: a ``BrowserModel`` from ``PageSettings``, with its intervention twin.

    In compare mode ``twin`` is the same scenario and seed with the intervention applied, and
    ``step`` steps both. ``isis_start_max`` (the largest region's ISIS at week 0) fixes the map's
    ISIS scale for both runs. While ▶ plays, SolaraViz steps in a thread of its own while the
    page may still be drawing the last week: ``lock`` is held by each step and by each drawing
    (``drawn``), so neither sees the model half-way through a week.

    Args:
        settings: The controls' values; the default scenario's when None.
        seed: The seed as typed in SolaraViz's *Model Parameters* card; ``settings.seed`` if
            None.
        scenario: Mesa's scenario object, which SolaraViz passes on *Reset*; ignored.
    """

    def __init__(
        self, settings: PageSettings | None = None, seed: str | None = None, scenario: Any = None
    ) -> None:
        s = copy.deepcopy(settings) if settings is not None else PageSettings()
        if seed is not None:
            s.seed = str(seed)
        super().__init__(s.scenario_name, s.seed, scenario, **s.values)
        self.settings = s
        self.lock = threading.RLock()
        # When this page last drew the model, which week, and how long that week's drawings took
        # (``drawn``); None until a page draws it.
        self.drawn_at: float | None = None
        self.drawn_week = -1
        self.week_drawn_from = 0.0
        self.draw_seconds = 0.0
        self.stepped_to = self.steps
        self.isis_start_max = float(self.isis_by_region().max())
        self.twin: BrowserModel | None = None
        if s.compare:
            twin = BrowserModel(
                # Its own model, not Mesa's scenario object, which the baseline already runs on.
                s.scenario_name,
                s.seed,
                None,
                **(s.values | {s.lever: s.lever_value}),
            )
            twin.isis_start_max = self.isis_start_max
            twin.lock = self.lock  # stepped with the baseline
            self.twin = twin
            if twin.problem:
                self.problem = "; ".join(
                    p for p in (self.problem, f"intervention: {twin.problem}") if p
                )

    def step(self) -> None:
        """One week of the baseline and, in compare mode, of the intervention."""
        self.wait_for_page()
        with self.lock:
            super().step()
            if self.twin is not None:
                self.twin.step()
            self.stepped_to = self.steps  # Mesa counts the step before it runs it

    def wait_for_page(self, most: float = 1.0) -> None:
        """Wait (``most`` seconds at most) until the page has drawn this week and rested.

        While ▶ plays, SolaraViz's thread steps and asks for a redraw every Play Interval. On a
        busy machine a redraw can outlast that interval, and Solara re-renders as long as the
        state changed during the last render, until it stops with "too many renders"; so a step
        waits until the last week's drawings are done and as long again has passed with none.
        A model no page draws (``drawn_at`` None) never waits.
        """
        deadline = time.monotonic() + most
        while self.drawn_at is not None and time.monotonic() < deadline:
            with self.lock:
                rested = time.monotonic() - self.drawn_at >= self.draw_seconds
                if self.drawn_week >= self.stepped_to and rested:
                    return
            time.sleep(0.005)


def drawn(model: EscalationModel, draw: Callable[[], str]) -> str:
    """``draw()`` while holding the page model's ``lock`` (no step under way meanwhile).

    Notes on a ``PageModel`` when this week was drawn and how long its drawings took, for
    ``PageModel.wait_for_page``.
    """
    lock = getattr(model, "lock", None)
    if lock is None:
        return draw()
    with lock:
        start = time.monotonic()
        out = draw()
        end = time.monotonic()
        if isinstance(model, PageModel):
            if model.drawn_week != model.steps:  # the first drawing of this week
                model.drawn_week, model.week_drawn_from = model.steps, start
            model.drawn_at = end
            model.draw_seconds = max(end - model.week_drawn_from, 0.005)
        return out


# ------------------------------------------------------------------------------ components


@solara.component
def MapView(
    model: EscalationModel, caption: str = "", scale: float | None = None, legend: bool = True
) -> None:
    """A run's map of the current week, with a tooltip on each region, segment and force."""
    counter = update_counter.get()
    svg = solara.use_memo(
        lambda: drawn(model, lambda: map_with_tooltips(model, caption, scale, legend)),
        [model, counter, caption, scale, legend],
    )
    solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["escalation-map"])


def _grid(charts: list[str]) -> str:
    cells = "".join(f"<div>{c}</div>" for c in charts)
    return (
        '<div style="display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:6px 14px">'
        f"{cells}</div>"
    )


@solara.component
def LivePlots(model: EscalationModel) -> None:
    """The weekly outcomes so far."""
    counter = update_counter.get()
    html = solara.use_memo(
        lambda: drawn(model, lambda: _grid(live_charts(model))), [model, counter]
    )
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["escalation-plots"])


@solara.component
def DifferencePlots(model: EscalationModel, twin: EscalationModel) -> None:
    """Compare mode: the intervention minus the baseline, week by week."""
    counter = update_counter.get()
    html = solara.use_memo(
        lambda: drawn(model, lambda: _grid(difference_charts(model, twin))), [model, counter]
    )
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["escalation-differences"])


@solara.component
def Explanation(model: EscalationModel) -> None:
    """What is on screen, with the current week's date and numbers."""
    update_counter.get()
    if getattr(model, "problem", None):
        solara.Error(model.problem)
    text = drawn(model, lambda: explanation(model))
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=["escalation-text"])


@solara.component
def Dashboard(model: EscalationModel) -> None:
    """One run: the map beside the text, the live plots below. Two: both maps, the differences."""
    twin = getattr(model, "twin", None)
    with solara.Column(style={"padding": "4px 10px", "width": "100%"}):
        if twin is None:
            MapView(model)
            with solara.Columns([3, 1]):
                LivePlots(model)
                Explanation(model)
            return
        scale = isis_scale(model)
        what = model.settings.intervention() if isinstance(model, PageModel) else "intervention"
        with solara.Columns([24, 30]):  # the maps' widths: the right one carries the legend
            with solara.Div(classes=["escalation-baseline"]):
                MapView(model, caption="Baseline", scale=scale, legend=False)
            with solara.Div(classes=["escalation-intervention"]):
                MapView(twin, caption=f"Intervention ({what})", scale=scale)
        solara.HTML(
            tag="h3",
            unsafe_innerHTML=f"Intervention minus baseline ({escape(what)}), same seed",
            classes=["escalation-compare-heading"],
        )
        DifferencePlots(model, twin)
        Explanation(model)


@solara.component
def LeverSlider(
    name: str, value: Any, on_value: Callable[[Any], None], scenario_name: str, label: str = ""
) -> None:
    """A parameter's slider, its value written in its label."""
    slider: Slider = _controls(scenario_name)[name]
    text = f"{label or slider.label}: {_num(value)}"
    if slider.is_float_slider:
        solara.SliderFloat(
            text,
            value=float(value),
            min=slider.min,
            max=slider.max,
            step=slider.step,
            on_value=on_value,
        )
    else:
        solara.SliderInt(
            text,
            value=int(value),
            min=int(slider.min),
            max=int(slider.max),
            step=int(slider.step or 1),
            on_value=on_value,
        )


@solara.component
def Controls(settings: PageSettings) -> None:
    """The page's controls; each change goes to ``settings``, used by the next *Reset*."""
    _, redraw = solara.use_state(0)  # ``settings`` is plain data: a new count redraws

    def change(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        def handler(value: Any) -> None:
            fn(value)
            redraw(lambda v: v + 1)

        return handler

    def set_value(name: str) -> Callable[[Any], None]:
        return change(lambda v: settings.values.__setitem__(name, v))

    with solara.Card("Scenario and levers", classes=["escalation-controls"]):
        solara.Select(
            "Scenario",
            values=sorted(bundled_scenarios()),
            value=settings.scenario_name,
            on_value=change(settings.choose_scenario),
        )
        for name in SLIDERS:
            LeverSlider(name, settings.values[name], set_value(name), settings.scenario_name)
        solara.Text("Changes take effect on Reset (above).", style={"font-style": "italic"})
    with solara.Card("Mechanisms", classes=["escalation-mechanisms"]):
        for group, names in mechanism_groups().items():
            on = sum(bool(settings.values[m]) for m in names)
            with solara.Details(summary=f"{group} ({on} of {len(names)} on)", expand=False):
                for m in names:
                    solara.Checkbox(
                        label=mechanism_label(m),
                        value=bool(settings.values[m]),
                        on_value=set_value(m),
                    )
    with solara.Card("Compare", classes=["escalation-compare"]):
        solara.Checkbox(
            label="Compare with an intervention (same seed)",
            value=settings.compare,
            on_value=change(lambda v: setattr(settings, "compare", v)),
        )
        if settings.compare:
            solara.Select(
                "The intervention changes",
                values=[*SLIDERS, *MECHANISMS],
                value=settings.lever,
                on_value=change(settings.choose_lever),
            )
            if settings.lever in MECHANISMS:
                solara.Checkbox(
                    label=f"{settings.lever} in the intervention",
                    value=bool(settings.lever_value),
                    on_value=change(lambda v: setattr(settings, "lever_value", v)),
                )
            else:
                LeverSlider(
                    settings.lever,
                    settings.lever_value,
                    change(lambda v: setattr(settings, "lever_value", v)),
                    settings.scenario_name,
                    label=f"intervention's {settings.lever}",
                )
            solara.Text(f"Baseline: the controls above. Intervention: {settings.intervention()}.")
    with solara.Details(summary="The Controls card above, explained", expand=False):
        solara.HTML(tag="div", unsafe_innerHTML=f"<small>{MESA_CONTROLS_NOTE}</small>")


@solara.component
def SidebarControls(settings: PageSettings) -> None:
    """``Controls`` in the sidebar, below SolaraViz's cards.

    Solara orders the sidebar by how deep in the page each ``Sidebar`` is: one level below
    SolaraViz's, ``_InSidebar`` puts these cards after its Controls card (Reset, ▶, Step).
    """
    _InSidebar(settings)


@solara.component
def _InSidebar(settings: PageSettings) -> None:
    with solara.Sidebar():
        Controls(settings)


@solara.component
def EscalationPage() -> None:
    """SolaraViz with this page's settings and controls, and the dashboard; a model per session."""
    settings: PageSettings = solara.use_memo(PageSettings, [])
    first: PageModel = solara.use_memo(lambda: PageModel(settings), [])
    model: solara.Reactive[PageModel] = solara.use_reactive(first)
    SolaraViz(
        model,
        components=[],
        model_params={"settings": settings, "seed": SEED_INPUT},
        name="escalation-sim: the Iraq-Syria theatre, week by week",
        play_interval=PLAY_INTERVAL,
    )
    SidebarControls(settings)
    Dashboard(model.value)


page = EscalationPage()
