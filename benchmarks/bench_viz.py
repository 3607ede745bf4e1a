"""Browser view speed: the redraw for one step and the Play rate, against one model step.

Run with ``make bench`` (or ``python benchmarks/bench_viz.py [OUT.json]``). For the default
scenario it times, at weeks 5, 26, 52 and 104 (the plots grow with the run):

* ``map``: ``map_with_tooltips`` (the map's SVG with its tooltips);
* ``plots``: ``live_charts`` (the six SVG charts);
* ``page``: the whole dashboard (map, plots, text) re-rendered by Solara after a step, as the
  browser view does it, widgets included (not the browser's own drawing);
* ``compare_page``: the same in compare mode (two maps, the differences);

and ``play``: weeks a second while playing, SolaraViz's loop (a pause of the page's
``PLAY_INTERVAL`` ms, a step, a redraw) run for ``PLAY_WEEKS`` weeks. The reference, measured in
the same run, is one model step (``model.step()``). The figures to read are
``page_seconds_median`` (the aim: at most 0.1 s), ``play_weeks_per_second`` (at least 5) and
their ratios to the model step, ``page_over_step`` and ``play_over_model_rate``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara
from benchlib import emit
from mesa.visualization.utils import force_update

from escalation_sim import EscalationModel
from escalation_sim.viz.figures import live_charts, map_with_tooltips
from escalation_sim.viz.page import PLAY_INTERVAL, Dashboard, PageModel, PageSettings

WEEKS = (5, 26, 52, 104)
REPEATS = 5
PLAY_WEEKS = 40


def timed(fn: Callable[[], Any]) -> float:
    """Median wall time of ``fn()`` over ``REPEATS`` calls."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def step_seconds() -> float:
    """Median time of one model step over a default two-year run (the reference)."""
    model = EscalationModel(rng=0)
    times = []
    for _ in range(max(WEEKS)):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def page_seconds(model: PageModel) -> float:
    """Median redraw of the rendered dashboard after each of ``REPEATS`` steps.

    Solara re-renders every component that reads the step counter; the step is not counted.
    """
    times = []
    for _ in range(REPEATS):
        model.step()
        start = time.perf_counter()
        force_update()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def play_rate(settings: PageSettings) -> float:
    """Weeks a second of SolaraViz's play loop: pause, step, redraw, ``PLAY_WEEKS`` times."""
    model = PageModel(settings)
    _, rc = solara.render(Dashboard(model), handle_error=False)
    try:
        start = time.perf_counter()
        for _ in range(PLAY_WEEKS):
            time.sleep(PLAY_INTERVAL / 1000)
            model.step()
            force_update()
        return PLAY_WEEKS / (time.perf_counter() - start)
    finally:
        rc.close()


def by_week(settings: PageSettings) -> list[dict[str, float]]:
    """Map, plots and page redraw times at each of ``WEEKS``."""
    rows = []
    model = PageModel(settings)
    _, rc = solara.render(Dashboard(model), handle_error=False)
    try:
        for week in WEEKS:
            if week - REPEATS > model.steps:  # page_seconds steps on to ``week``
                model.run_for(week - REPEATS - model.steps)
            page = page_seconds(model)
            rows.append(
                {
                    "week": model.steps,
                    "map_seconds": timed(lambda: map_with_tooltips(model)),
                    "plots_seconds": timed(lambda: live_charts(model)),
                    "page_seconds": page,
                }
            )
    finally:
        rc.close()
    return rows


def main() -> dict:
    step = step_seconds()
    rows = by_week(PageSettings())
    compare = by_week(PageSettings(compare=True))
    play = play_rate(PageSettings())
    play_compare = play_rate(PageSettings(compare=True))
    page_median = statistics.median(r["page_seconds"] for r in rows)
    result = {
        "scenario": "iraq_syria_2024 (default)",
        "model_step_seconds": step,
        "by_week": rows,
        "page_seconds_median": page_median,
        "page_seconds_max": max(r["page_seconds"] for r in rows),
        "page_over_step": page_median / step,
        "compare_page_seconds_median": statistics.median(r["page_seconds"] for r in compare),
        "play_interval_ms": PLAY_INTERVAL,
        "play_weeks_per_second": play,
        "play_weeks_per_second_compare": play_compare,
        "play_over_model_rate": play * step,
        "aims": {
            "redraw_at_most_0.1_s": page_median <= 0.1,
            "play_at_least_5_weeks_a_second": play >= 5,
        },
    }
    return emit(result, Path(sys.argv[1]) if len(sys.argv) > 1 else None)


if __name__ == "__main__":
    main()
