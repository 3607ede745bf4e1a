"""The browser view without a browser: the model it builds, what it draws, the components."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import ipyvuetify as v
import ipywidgets
import numpy as np
import pandas as pd
import pytest
import solara
from mesa.visualization import Slider
from mesa.visualization.solara_viz import _build_model_init_kwargs
from mesa.visualization.utils import force_update
from solara.widgets import HTML

from escalation_sim import EscalationModel
from escalation_sim.cli import main
from escalation_sim.mechanisms import MECHANISMS
from escalation_sim.scenario.loader import bundled_scenarios, load_scenario
from escalation_sim.viz import server
from escalation_sim.viz.app import (
    BrowserModel,
    Dashboard,
    Explanation,
    controls,
    initial_values,
    page,
    parse_seed,
)
from escalation_sim.viz.figures import (
    LIVE_PANELS,
    SVG_NS,
    add_tooltips,
    explanation,
    map_svg,
    plots_figure,
)

SVG = f"{{{SVG_NS}}}"


def _series(model: EscalationModel) -> pd.DataFrame:
    return model.timeseries().drop(columns=["date"])


# ------------------------------------------------------------------ the model behind the page


def test_page_model_is_the_model_the_cli_runs():
    ours, plain = BrowserModel(**initial_values(controls())), EscalationModel(rng=0)
    ours.run_for(12)
    plain.run_for(12)
    pd.testing.assert_frame_equal(_series(ours), _series(plain))


def test_controls_reach_the_model_through_solaraviz_reset():
    """SolaraViz's Reset passes the control values plus a Mesa scenario object."""
    first = BrowserModel()
    values = initial_values(controls())
    values.update(seed="7", border_hardening=0.9, syria_collapse=0.8, militia_autonomy=False)
    kwargs = _build_model_init_kwargs(
        first, values, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    rebuilt = type(first)(**kwargs)
    assert rebuilt.problem is None
    assert rebuilt.p.border_hardening == 0.9 and rebuilt.p.syria_collapse == 0.8
    assert rebuilt.mech["militia_autonomy"] is False
    plain = EscalationModel(rng=7, border_hardening=0.9, syria_collapse=0.8, militia_autonomy=False)
    rebuilt.run_for(8)
    plain.run_for(8)
    pd.testing.assert_frame_equal(_series(rebuilt), _series(plain))


def test_another_scenario_keeps_its_own_values_unless_a_control_was_moved():
    other = next(name for name in sorted(bundled_scenarios()) if name != "iraq_syria_2024")
    own = load_scenario(other).parameters["border_hardening"].value
    untouched = initial_values(controls()) | {"scenario_name": other}
    model = BrowserModel(**untouched)
    assert model.spec.meta.name == other and model.problem is None
    assert model.p.border_hardening == own != controls()["border_hardening"].value
    moved = BrowserModel(**(untouched | {"border_hardening": 0.9, "syria_chaos": False}))
    assert moved.p.border_hardening == 0.9 and moved.mech["syria_chaos"] is False


@pytest.mark.parametrize("seed", ["abc", "-3", "1.5", ""])
def test_a_bad_seed_falls_back_to_zero_and_says_so(seed):
    model = BrowserModel(seed=seed, border_hardening=0.9)
    assert model.seed == 0 and model.p.border_hardening == 0.9
    assert "not a non-negative integer" in model.problem
    _, rc = solara.render(Explanation(model), handle_error=False)
    try:
        alert = rc.find(v.Alert).widget
        assert "not a non-negative integer" in alert.children[0]
    finally:
        rc.close()


def test_a_refused_value_falls_back_to_the_scenario_and_says_so():
    model = BrowserModel(seed=" 5 ", border_hardening=1.5, syria_collapse=0.5)
    assert model.seed == 5
    assert model.p.border_hardening == 0.59 and model.p.syria_collapse == 0.0
    assert "border_hardening" in model.problem and "scenario's own values" in model.problem


def test_parse_seed():
    assert parse_seed(12) == 12 and parse_seed(" 3 ") == 3
    with pytest.raises(ValueError, match="non-negative integer"):
        parse_seed("x")


def test_controls_cover_the_levers_and_every_mechanism(scenario):
    params = controls()
    assert params["scenario_name"]["value"] == "iraq_syria_2024"
    assert "iraq_syria_2024" in params["scenario_name"]["values"]
    for name in ("border_hardening", "syria_collapse", "syria_collapse_week"):
        slider = params[name]
        assert isinstance(slider, Slider)
        assert slider.value == scenario.parameters[name].value
        assert slider.min == scenario.parameters[name].min
    assert params["border_hardening"].max == 1.0 and params["border_hardening"].is_float_slider
    assert not params["syria_collapse_week"].is_float_slider
    # Weeks only up to the longest bundled horizon, not the 520 the file allows.
    assert params["syria_collapse_week"].max == max(
        load_scenario(name).meta.weeks for name in bundled_scenarios()
    )
    assert params["syria_collapse_week"].max < scenario.parameters["syria_collapse_week"].max
    for name in MECHANISMS:
        assert params[name]["type"] == "Checkbox" and name in params[name]["label"]
    assert params["militia_autonomy"]["label"] == "7. militia_autonomy"
    assert params["recruitment"]["label"] == "recruitment (background)"


# ------------------------------------------------------------------------ what the page draws


def test_map_has_a_tooltip_on_every_region_segment_and_unit():
    model = EscalationModel(rng=1, syria_collapse=0.8)
    model.run_for(10)
    root = ET.fromstring(map_svg(model))
    assert root.get("width") == "100%" and root.get("height") is None and root.get("viewBox")

    def titles(gid):
        group = root.find(f".//{SVG}g[@id='{gid}']")
        return [t.text for t in group.iter(f"{SVG}title")]

    regions = titles("map-regions")
    assert len(regions) == model.world.n
    isis = model.isis_by_region()
    for node, text in enumerate(regions):
        assert text.startswith(model.world.names[node])
        assert f"held by: {model.controller[node]}" in text
        assert f"ISIS: {isis[node]:,.0f} fighters" in text
    border = titles("map-border")
    assert len(border) == len(model.world.segments)
    assert all("chance a crossing is detected" in t for t in border)
    units = [
        t for kind in ("army", "militia", "rebel", "foreign") for t in titles(f"map-units-{kind}")
    ]
    assert len(units) == len(model.forces)
    assert {t.split("\n")[0].split(" ")[1] for t in units} == {f.unit_id for f in model.forces}


def test_tooltips_are_not_attached_when_the_marks_do_not_match():
    svg = (
        f'<svg xmlns="{SVG_NS}" width="10pt" height="5pt" viewBox="0 0 10 5">'
        '<g id="a"><path d="M0 0"/><path d="M1 1"/></g></svg>'
    )
    assert "<title>" not in add_tooltips(svg, {"a": ["only one"]})
    out = ET.fromstring(add_tooltips(svg, {"a": ["first", "second & <third>"]}))
    assert [t.text for t in out.iter(f"{SVG}title")] == ["first", "second & <third>"]


def test_plots_show_the_weeks_so_far_and_mark_the_collapse():
    model = EscalationModel(rng=0, syria_collapse=0.8, syria_collapse_week=3)
    model.run_for(6)
    fig = plots_figure(model)
    assert [ax.get_title() for ax in fig.axes] == list(LIVE_PANELS)
    for ax, series in zip(fig.axes, LIVE_PANELS.values(), strict=True):
        data = [line for line in ax.lines if len(line.get_xdata()) == 7]
        assert len(data) == len(series)
        assert any(line.get_linestyle() == "--" for line in ax.lines)  # the collapse week
    fighters = fig.axes[0].lines[0].get_ydata()
    np.testing.assert_allclose(fighters, model.timeseries()["isis_fighters_iraq"])
    assert not any(
        line.get_linestyle() == "--" for line in plots_figure(EscalationModel(rng=0)).axes[0].lines
    )


def test_explanation_names_the_week_and_the_numbers():
    model = EscalationModel(rng=0, militia_autonomy=False)
    model.run_for(5)
    text = explanation(model)
    assert '<h3 class="week">Week 5: 01 January 2025</h3>' in text
    assert f"<b>{model.now['isis_fighters_iraq']:,.0f}</b> ISIS fighters in Iraq" in text
    assert "mechanisms off: militia_autonomy" in text
    assert "seed" not in text  # a plain model does not say its seed; the page's model does
    assert "seed <b>4</b>" in explanation(BrowserModel(seed=4))
    assert "Hover over a region" in text


# ----------------------------------------------------------------------- the Solara components


def test_dashboard_redraws_each_step():
    model = BrowserModel()
    _, rc = solara.render(Dashboard(model), handle_error=False)
    try:

        def drawn():
            mp = rc.find(HTML, attributes={"class": "escalation-map"}).widget.unsafe_innerHTML
            text = rc.find(HTML, attributes={"class": "escalation-text"}).widget.unsafe_innerHTML
            png = bytes(rc.find(ipywidgets.Image).widget.value)
            return mp, png, text

        seen = [drawn()]
        for _ in range(3):
            model.step()
            force_update()
            seen.append(drawn())
        for week, (mp, png, text) in enumerate(seen):
            assert mp.startswith("<svg") and png.startswith(b"\x89PNG")
            assert f"Week {week}:" in text
        for before, after in itertools.pairwise(seen):
            assert all(a != b for a, b in zip(before, after, strict=True))
    finally:
        rc.close()


def test_the_module_level_page_renders_the_dashboard():
    _, rc = solara.render(page, handle_error=False)
    try:
        text = rc.find(HTML, attributes={"class": "escalation-text"}).widget.unsafe_innerHTML
        assert "Week 0: 27 November 2024" in text
        assert rc.find(HTML, attributes={"class": "escalation-map"}).widget.unsafe_innerHTML
    finally:
        rc.close()


# -------------------------------------------------------------------------------- the command


def test_server_listens_on_localhost_only_and_calls_no_one():
    cmd = server.server_command(8765)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "8765"
    assert "--no-check-version" in cmd and "escalation_sim.viz.app" in cmd
    assert server.server_env({})["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_viz_command_rejects_a_bad_or_busy_port(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["viz", "--port", "70000"])
    assert exc.value.code == 2
    assert "70000 is not a port number" in capsys.readouterr().err
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["viz", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --port: 127.0.0.1:{port} is already in use; choose another with --port N"


def test_stopping_a_server_that_ignores_sigterm_kills_it_without_raising():
    # What `escalation-sim viz` does on Ctrl+C: a server deaf to SIGTERM must not leave the
    # command hanging or ending in a traceback.
    import subprocess
    import sys
    import time

    from escalation_sim.viz.server import _stop

    deaf = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", deaf])
    try:
        time.sleep(0.5)  # let it install the handler
        _stop(proc, group=False, grace=0.5)
        assert proc.returncode == -9
    finally:
        proc.kill()
        proc.wait()
