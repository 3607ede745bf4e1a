"""The scenario file: schema, sources, the border's numbers, overrides and their errors."""

import tomllib

import pytest

from escalation_sim import ConfigError
from escalation_sim.mechanisms import MECHANISMS, REQUIRED_PARAMETERS
from escalation_sim.scenario import apply_overrides, parse_scenario
from escalation_sim.scenario.loader import bundled_scenarios, resolve_scenario_path
from escalation_sim.world import build_world, hardened_border


def test_default_scenario_covers_the_model(scenario):
    assert set(scenario.parameters) == REQUIRED_PARAMETERS
    assert set(scenario.mechanisms) == set(MECHANISMS)
    assert all(scenario.mechanisms.values())


@pytest.mark.parametrize(
    "table", ["regions", "roads", "border_segments", "actors", "links", "units", "parameters"]
)
@pytest.mark.parametrize("source", [None, "", "x"])
def test_a_record_without_a_real_source_is_refused(table, source):
    # Every record carries a citation: a missing, empty or one-letter source is a bad file.
    data = _default_toml()
    record = next(iter(data[table].values())) if table == "parameters" else data[table][-1]
    if source is None:
        record.pop("source")
    else:
        record["source"] = source
    with pytest.raises(ConfigError) as err:
        parse_scenario(data, source="edited.toml")
    assert "source" in str(err.value) and str(err.value).startswith("edited.toml: ")


def test_required_regions_present(scenario):
    ids = {r.id for r in scenario.regions}
    for rid in (
        "sinjar",
        "mosul",
        "tal_afar",
        "al_qaim",
        "ramadi",
        "salah_al_din",
        "kirkuk",
        "diyala",
        "baghdad",
        "shrine_cities",
        "kurdistan",
        "deir_ez_zor",
        "al_bukamal",
        "raqqa",
        "hasakah",
        "aleppo",
        "idlib",
        "hama",
        "homs",
        "badia",
        "damascus",
        "coast",
        "daraa",
        "jordan",
        "iran",
        "turkey",
        "israel",
    ):
        assert rid in ids
    # al-Hol and Roj are a facility in Hasakah since the detention system (issue 11, B.3).
    camps = [f for f in scenario.facilities if f.kind == "camp" and f.region == "hasakah"]
    assert camps and camps[0].held > 0 and scenario.region("damascus").shrine


def test_border_is_610_km_with_360_walled(scenario):
    segs = scenario.border_segments
    assert sum(s.length_km for s in segs) == pytest.approx(610)
    assert sum(s.length_km * s.wall for s in segs) == pytest.approx(360)
    assert scenario.parameters["border_hardening"].value == pytest.approx(360 / 610, abs=0.01)


def test_hardening_lever_anchors(scenario):
    segs = build_world(scenario).segments
    h24 = scenario.parameters["border_hardening_2024"].value
    wall, surv, _ = hardened_border(segs, h24, h24, 2.0)
    assert list(wall) == list(segs.wall) and list(surv) == list(segs.surveillance)
    assert all(x == 0 for arr in hardened_border(segs, 0.0, h24, 2.0) for x in arr)
    assert all(x == pytest.approx(1) for arr in hardened_border(segs, 1.0, h24, 2.0) for x in arr)
    low, high = hardened_border(segs, 0.3, h24, 2.0), hardened_border(segs, 0.8, h24, 2.0)
    assert all((h >= lo).all() for lo, h in zip(low, high, strict=True))


def test_overrides_apply_and_validate(scenario):
    s = apply_overrides(scenario, {"border_hardening": "0.9", "mechanisms.militia_autonomy": "off"})
    assert s.parameters["border_hardening"].value == 0.9
    assert s.mechanisms["militia_autonomy"] is False
    assert scenario.parameters["border_hardening"].value != 0.9  # the original is untouched
    assert (
        apply_overrides(scenario, {"syria_collapse_week": "3"})
        .parameters["syria_collapse_week"]
        .value
        == 3
    )


@pytest.mark.parametrize(
    ("overrides", "field", "needle"),
    [
        ({"nonsense": 1}, "parameters.nonsense", "unknown parameter"),
        ({"border_hardening": 1.5}, "parameters.border_hardening", "0.0 to 1.0"),
        ({"border_hardening": "abc"}, "parameters.border_hardening", "not a number"),
        ({"syria_collapse_week": 2.5}, "parameters.syria_collapse_week", "integer"),
        ({"border_hardening": True}, "parameters.border_hardening", "not a number"),
        ({"mechanisms.warp_drive": True}, "mechanisms.warp_drive", "unknown mechanism"),
        ({"mechanisms.recruitment": "maybe"}, "mechanisms.recruitment", "true or false"),
    ],
)
def test_bad_overrides_name_the_field(scenario, overrides, field, needle):
    with pytest.raises(ConfigError) as err:
        apply_overrides(scenario, overrides, scenario_source="the.toml")
    assert err.value.field == field
    assert needle in str(err.value) and "the.toml" in str(err.value)
    assert "\n" not in str(err.value)


def _default_toml() -> dict:
    return tomllib.loads(bundled_scenarios()["iraq_syria_2024"].read_text())


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["regions"][0].update(controller="nobody"), "regions[sinjar].controller"),
        (lambda d: d["regions"][0].update(hardship=2.0), "regions[sinjar].hardship"),
        (lambda d: d["regions"][0].update(colour="red"), "regions[sinjar].colour"),
        (lambda d: d["regions"][0].pop("source"), "regions[sinjar].source"),
        (lambda d: d["units"][0].update(region="atlantis"), "units[iraq_army_nineveh].region"),
        (lambda d: d["parameters"]["ct_rate"].update(value=0.9), "parameters.ct_rate"),
        (
            lambda d: d["border_segments"][0].update(iraq_region="hasakah"),
            "border_segments[faysh_khabur].iraq_region",
        ),
        (lambda d: d["roles"].pop("israel"), "roles"),
    ],
)
def test_bad_scenarios_name_the_field(mutate, field):
    data = _default_toml()
    mutate(data)
    with pytest.raises(ConfigError) as err:
        parse_scenario(data, source="edited.toml")
    assert err.value.field == field, str(err.value)
    assert str(err.value).startswith("edited.toml: ")
    assert "\n" not in str(err.value)


def test_broken_toml_and_missing_file():
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid TOML: .*line 1"):
        parse_scenario("[meta\nname=", source="bad.toml")
    with pytest.raises(ConfigError, match=r"scenario not found; allowed: .*iraq_syria_2024"):
        resolve_scenario_path("no_such_scenario")


def test_model_rejects_incomplete_scenario():
    from escalation_sim import EscalationModel

    data = _default_toml()
    del data["parameters"]["ct_rate"]
    spec = parse_scenario(data)
    with pytest.raises(ConfigError, match=r"parameters\.ct_rate: required by the model"):
        EscalationModel(spec, rng=0)


def test_a_file_with_the_old_switch_names_keeps_their_meaning():
    # Files written before the split (one switch per causal claim) carry the old names.
    data = _default_toml()
    mechs = data["mechanisms"]
    for old, new in (
        ("isis_competition", ("isis_outbidding", "rival_absorption")),
        ("decapitation", ("decapitation_strikes", "leadership_losses_2024")),
        ("sectarian_backlash", ("sunni_syria_backlash", "militia_backlash")),
    ):
        for name in new:
            del mechs[name]
        mechs[old] = old != "decapitation"
    mechs["militia_backlash"] = True  # a switch named itself wins over its alias
    spec = parse_scenario(data, source="old.toml")
    assert set(spec.mechanisms) == set(MECHANISMS)
    assert not spec.mechanisms["decapitation_strikes"]
    assert not spec.mechanisms["leadership_losses_2024"]
    assert spec.mechanisms["isis_outbidding"] and spec.mechanisms["rival_absorption"]
    assert spec.mechanisms["sunni_syria_backlash"] and spec.mechanisms["militia_backlash"]
