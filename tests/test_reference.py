"""docs/scenario.md is current, and its worked example (docs/examples/toy.toml) runs."""

from __future__ import annotations

from pathlib import Path

from escalation_sim import EscalationModel, load_scenario
from escalation_sim.check import check_file
from escalation_sim.scenario.reference import COMMAND, DOC_PATH, TOY_PATH, render
from escalation_sim.scenario.schema import CAPS, Scenario

ROOT = Path(__file__).resolve().parents[1]


def test_scenario_reference_is_current():
    current = (ROOT / DOC_PATH).read_text(encoding="utf-8")
    assert current == render(ROOT), f"{DOC_PATH} is stale: regenerate it with `{COMMAND}`"


def test_reference_covers_every_field_parameter_and_cap():
    text = render(ROOT)
    schema = Scenario.model_json_schema(by_alias=True)
    for definition in schema["$defs"].values():
        for field in definition["properties"]:
            assert f"| `{field}` |" in text, field
    for name in load_scenario().parameters:
        assert f"| `{name}` |" in text, name
    for name in CAPS:
        assert f"`{name}`" in text


def test_toy_scenario_checks_clean_and_runs():
    report = check_file(ROOT / TOY_PATH)
    assert not report.errors, [str(e) for e in report.errors]
    assert not any("border_segments" in w or "regions:" in w for w in report.warnings)
    spec = load_scenario(ROOT / TOY_PATH)
    assert len(spec.regions) == 3 and spec.parameters["border_hardening"].value == 0.5
    assert set(spec.parameters) == set(load_scenario().parameters)  # from parameters_from
    model = EscalationModel(spec, rng=1)
    model.run_for(12)  # past the timeline entry of week 10
    ts = model.timeseries()
    assert len(ts) == 13 and ts["week"].iloc[-1] == 12
    assert any(getattr(a, "unit_id", None) == "us_anbar" for a in model.agents)
