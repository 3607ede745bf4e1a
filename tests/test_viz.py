"""The browser view without a browser: the model it builds, what it draws, the components."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import ipyvuetify as v
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
from escalation_sim.viz.app import BrowserModel, controls, initial_values, parse_seed
from escalation_sim.viz.figures import (
    LIVE_PANELS,
    difference_charts,
    explanation,
    live_charts,
    map_with_tooltips,
)
from escalation_sim.viz.geography import border_cuts, geography, layout, place_labels
from escalation_sim.viz.page import (
    MECHANISM_GROUPS,
    Controls,
    Dashboard,
    Explanation,
    PageModel,
    PageSettings,
    mechanism_groups,
    page,
    scenario_values,
)
from escalation_sim.viz.svgmap import isis_scale

SVG = "{http://www.w3.org/2000/svg}"


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


def test_another_scenario_keeps_its_own_values_unless_a_control_sets_another():
    other = next(name for name in sorted(bundled_scenarios()) if name != "iraq_syria_2024")
    own = load_scenario(other).parameters["border_hardening"].value
    untouched = initial_values(controls(other))
    model = BrowserModel(**untouched)
    assert model.spec.meta.name == other and model.problem is None
    assert model.p.border_hardening == own != controls()["border_hardening"].value
    # The default scenario's value is a choice like any other in another scenario.
    moved = BrowserModel(**(untouched | {"border_hardening": 0.59, "syria_chaos": False}))
    assert moved.p.border_hardening == 0.59 and moved.mech["syria_chaos"] is False


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


def _titles(root, gid):
    group = root.find(f".//{SVG}g[@id='{gid}']")
    return [t.text for t in group.iter(f"{SVG}title")]


def test_map_has_outlines_rivers_region_shapes_and_a_tooltip_on_every_mark():
    model = EscalationModel(rng=1, syria_collapse=0.8)
    model.run_for(10)
    root = ET.fromstring(map_with_tooltips(model))
    assert root.get("width") == "100%" and root.get("viewBox")
    countries = {p.get("data-country") for p in root.iter(f"{SVG}path") if p.get("data-country")}
    assert {"IRQ", "SYR", "JOR", "TUR", "IRN"} <= countries
    assert len(root.find(f".//{SVG}g[@id='map-rivers']")) == 2  # the Euphrates and the Tigris
    regions = root.find(f".//{SVG}g[@id='map-regions']")
    shapes = [g.find(f"{SVG}path") for g in regions]
    assert len(shapes) == model.world.n and all(p is not None and p.get("d") for p in shapes)
    names = {a.id: a.name for a in model.spec.actors}
    isis = model.isis_by_region()
    for node, text in enumerate(_titles(root, "map-regions")):
        assert text.startswith(model.world.names[node])
        assert f"held by: {names.get(model.controller[node], 'ungoverned')}" in text
        assert f"ISIS: {isis[node]:,.0f} fighters" in text
    border = _titles(root, "map-border")
    assert len(border) == len(model.world.segments)
    assert all("chance a crossing is detected" in t for t in border)
    units = _titles(root, "map-units")
    assert len(units) == len(model.forces)
    assert {t.split("\n")[0].split(" ")[1] for t in units} == {f.unit_id for f in model.forces}
    legend = "".join(root.find(f".//{SVG}g[@id='map-legend']").itertext())
    assert "Hay'at Tahrir al-Sham" in legend and "hts" not in legend.split()
    scale = isis_scale(model)
    assert "ISIS fighters in a region" in legend and f"{scale:,.0f}{scale / 5:,.0f}" in legend


def test_region_shapes_are_voronoi_cells_inside_their_country():
    import shapely
    from shapely.geometry import Point, shape

    model = EscalationModel(rng=0)
    lay = layout(model.world)
    assert lay is layout(EscalationModel(rng=3).world)  # computed once per scenario
    outlines = {c: shape(g) for c, g in geography()["countries"].items()}
    from escalation_sim.viz.geography import region_cells

    w = model.world
    cells = region_cells(
        w.coords, tuple(map(str, w.country)), tuple(map(bool, w.external)), outlines
    )
    for node, cell in enumerate(cells):
        country = outlines[str(w.country[node])]
        assert cell.covers(Point(w.coords[node])) or w.external[node]
        assert country.buffer(1e-6).covers(cell)
    iraq = [c for n, c in enumerate(cells) if w.country[n] == "IRQ"]
    assert shapely.union_all(iraq).area == pytest.approx(outlines["IRQ"].area, rel=1e-3)


def test_border_segments_follow_the_frontier_in_order_and_by_length():
    from shapely.geometry import shape

    frontier = shape(geography()["iraq_syria_border"])
    model = EscalationModel(rng=0)
    s, w = model.world.segments, model.world
    cuts = border_cuts(frontier, w.coords, tuple(s.iraq), tuple(s.syria), tuple(s.length_km))
    assert sum(c.length for c in cuts) == pytest.approx(frontier.length)
    share = [c.length / frontier.length for c in cuts]
    np.testing.assert_allclose(share, s.length_km / s.length_km.sum(), atol=1e-6)
    ids = list(s.ids)
    start = {ids[k]: frontier.project(shape(cuts[k]).interpolate(0)) for k in range(len(ids))}
    # North to south: Faysh Khabur, then Rabia, ..., and Anbar-Badia last.
    assert sorted(ids, key=start.get) == [
        "faysh_khabur",
        "rabia",
        "sinjar",
        "jazira",
        "al_qaim",
        "anbar_badia",
    ]


def test_labels_do_not_overlap():
    from escalation_sim.viz.geography import CHAR_PX, LABEL_PX

    model = EscalationModel(rng=0)
    lay = layout(model.world)
    boxes = []
    for lb in lay.labels:
        w = CHAR_PX * len(lb.text)
        left = lb.x - (w if lb.anchor == "end" else w / 2 if lb.anchor == "middle" else 0)
        boxes.append((left, lb.y - LABEL_PX + 2, left + w, lb.y + 2))
    for a, b in itertools.combinations(boxes, 2):
        assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (a, b)
    # Crowded points still get a spot each.
    crowd = place_labels(
        ["Tal Afar", "Mosul"], np.array([[100.0, 100.0], [104.0, 101.0]]), np.array([1.0, 2.0])
    )
    assert len(crowd) == 2 and (crowd[0].x, crowd[0].y) != (crowd[1].x, crowd[1].y)


def test_plots_show_the_weeks_so_far_and_mark_the_collapse():
    model = EscalationModel(rng=0, syria_collapse=0.8, syria_collapse_week=3)
    model.run_for(6)
    charts = [ET.fromstring(c) for c in live_charts(model)]
    assert len(charts) == len(LIVE_PANELS)
    for root, (title, (_, series)) in zip(charts, LIVE_PANELS.items(), strict=True):
        assert title in "".join(root.itertext())
        lines = [p for p in root.iter(f"{SVG}path") if p.get("class") == "series"]
        assert len(lines) == len(series)
        assert any(e.get("class") == "collapse" for e in root.iter(f"{SVG}line"))
    first = next(p for p in charts[0].iter(f"{SVG}path") if p.get("class") == "series")
    assert first.get("d").count("L") == 6  # seven weeks: 0..6
    plain = ET.fromstring(live_charts(EscalationModel(rng=0))[0])
    assert not any(e.get("class") == "collapse" for e in plain.iter(f"{SVG}line"))


def test_differences_are_intervention_minus_baseline():
    base, other = EscalationModel(rng=2), EscalationModel(rng=2, border_hardening=1.0)
    base.run_for(8)
    other.run_for(8)
    charts = difference_charts(base, base)
    assert len(charts) == len(LIVE_PANELS)
    assert "cumulative difference" in charts[1] and "ISIS fighters: difference" in charts[0]
    same = ET.fromstring(charts[0])
    assert "0 in the latest week" in "".join(same.itertext())
    assert difference_charts(base, other) != charts


def test_explanation_names_the_week_and_the_numbers():
    model = EscalationModel(rng=0, militia_autonomy=False)
    model.run_for(5)
    text = explanation(model)
    assert '<h3 class="week">Week 5: 01 January 2025</h3>' in text
    assert f"<b>{model.now['isis_fighters_iraq']:,.0f}</b> ISIS fighters in Iraq" in text
    assert "mechanisms off: militia_autonomy" in text
    assert "seed <b>" not in text  # a plain model does not say its seed; the page's model does
    assert "seed <b>4</b>" in explanation(BrowserModel(seed=4))
    assert "Hover over a region" in text and "Voronoi cells" in text and "Natural Earth" in text


# ------------------------------------------------------------------------------ the page's model


def test_page_settings_follow_the_scenario():
    settings = PageSettings()
    assert settings.values == scenario_values("iraq_syria_2024")
    settings.values["border_hardening"] = 0.9
    settings.choose_scenario("hindcast_2013")
    assert settings.values["border_hardening"] == 0.05  # every control moves to the scenario
    assert settings.values == scenario_values("hindcast_2013")
    model = PageModel(settings)
    assert model.spec.meta.name == "hindcast_2013" and model.p.border_hardening == 0.05


def test_compare_mode_steps_both_runs_on_the_same_seed():
    settings = PageSettings(seed="3", compare=True)
    settings.choose_lever("border_hardening")
    assert settings.lever_value == 1.0 and "0.59 → 1.00" in settings.intervention()
    model = PageModel(settings)
    assert model.twin is not None and model.twin.p.border_hardening == 1.0
    for _ in range(6):
        model.step()
    assert model.steps == model.twin.steps == 6
    plain = EscalationModel(rng=3, border_hardening=1.0)
    plain.run_for(6)
    pd.testing.assert_frame_equal(_series(model.twin), _series(plain))
    settings.choose_lever("militia_autonomy")
    assert settings.lever_value is False and settings.intervention() == "militia_autonomy off"
    assert PageModel(settings).twin.mech["militia_autonomy"] is False
    assert PageModel(PageSettings()).twin is None


def test_mechanism_groups_cover_every_mechanism_once():
    groups = mechanism_groups()
    names = [m for ms in groups.values() for m in ms]
    assert sorted(names) == sorted(MECHANISMS) and len(names) == len(set(names))
    assert list(groups)[: len(MECHANISM_GROUPS)] == list(MECHANISM_GROUPS)


# ----------------------------------------------------------------------- the Solara components


def _html(rc, cls):
    return rc.find(HTML, attributes={"class": cls}).widget.unsafe_innerHTML


def test_dashboard_redraws_each_step():
    model = PageModel()
    _, rc = solara.render(Dashboard(model), handle_error=False)
    try:

        def drawn():
            return tuple(
                _html(rc, c) for c in ("escalation-map", "escalation-plots", "escalation-text")
            )

        seen = [drawn()]
        for _ in range(3):
            model.step()
            force_update()
            seen.append(drawn())
        for week, (mp, plots, text) in enumerate(seen):
            assert mp.startswith("<svg") and plots.count("<svg") == len(LIVE_PANELS)
            assert f"Week {week}:" in text
        for before, after in itertools.pairwise(seen):
            assert all(a != b for a, b in zip(before, after, strict=True))
    finally:
        rc.close()


def test_dashboard_in_compare_mode_shows_two_maps_and_the_differences():
    model = PageModel(PageSettings(compare=True))
    _, rc = solara.render(Dashboard(model), handle_error=False)
    try:
        maps = rc.find(HTML, attributes={"class": "escalation-map"})
        assert len(maps.widgets) == 2
        model.step()
        force_update()
        captions = [w.unsafe_innerHTML for w in maps.widgets]
        assert "Baseline: week 1" in captions[0] and "Intervention (border_hardening" in captions[1]
        assert _html(rc, "escalation-differences").count("<svg") == len(LIVE_PANELS)
    finally:
        rc.close()


def test_controls_show_values_and_move_with_the_scenario():
    settings = PageSettings()
    _, rc = solara.render(Controls(settings), handle_error=False)
    try:
        sliders = rc.find(v.Slider)
        labels = [w.label for w in sliders.widgets]
        assert "border_hardening (share): 0.59" in labels
        rc.find(v.Select, label="Scenario").widget.v_model = "hindcast_2013"
        assert settings.scenario_name == "hindcast_2013"
        labels = [w.label for w in rc.find(v.Slider).widgets]
        assert "border_hardening (share): 0.05" in labels
        assert rc.find(v.Slider, label="border_hardening (share): 0.05").widget.v_model == 0.05
        headers = [str(w.children) for w in rc.find(v.ExpansionPanelHeader).widgets]
        for group, names in mechanism_groups().items():
            assert any(f"{group} ({len(names)} of {len(names)} on)" in h for h in headers), headers
    finally:
        rc.close()


def test_the_module_level_page_renders_the_dashboard():
    _, rc = solara.render(page, handle_error=False)
    try:
        assert "Week 0: 27 November 2024" in _html(rc, "escalation-text")
        assert _html(rc, "escalation-map")
    finally:
        rc.close()


# -------------------------------------------------------------------------------- the command


def test_server_listens_on_localhost_only_and_calls_no_one():
    cmd = server.server_command(8765)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "8765"
    assert "--no-check-version" in cmd and "escalation_sim.viz.page" in cmd
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


def test_solaraviz_reset_builds_the_page_model_from_the_settings_and_the_seed():
    settings = PageSettings(compare=True)
    settings.choose_scenario("hindcast_2013")
    first = PageModel()
    kwargs = _build_model_init_kwargs(
        first,
        {"settings": settings, "seed": "7"},
        add_scenario_when_empty=True,
        require_model_accepts_scenario=True,
    )
    rebuilt = type(first)(**kwargs)
    assert rebuilt.seed == 7 and rebuilt.twin is not None and rebuilt.twin.seed == 7
    assert rebuilt.spec.meta.name == rebuilt.twin.spec.meta.name == "hindcast_2013"
    settings.values["border_hardening"] = 0.3  # after Reset: the running model keeps its own
    assert rebuilt.p.border_hardening == 0.05
