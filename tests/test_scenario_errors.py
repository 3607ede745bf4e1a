"""Bad scenario and experiment files: every mistake at once, one line each, exit 2, no traceback.

Covers issue 17's "every error at once" and ``check``, issue 11's B.10 (files accepted before that
made nonsense) and issue 15's scenario-file cases (inf rates, dates past the calendar, non-UTF-8,
a byte-order mark, deep nesting, a huge file).
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from escalation_sim import ConfigError, ConfigErrors
from escalation_sim.cli import main
from escalation_sim.errors import MAX_ERROR_LINES
from escalation_sim.scenario import parse_scenario
from escalation_sim.scenario.loader import bundled_scenarios, read_toml_file
from escalation_sim.scenario.schema import MAX_FILE_BYTES

CLI = [sys.executable, "-m", "escalation_sim.cli"]
DEFAULT = bundled_scenarios()["iraq_syria_2024"]


@pytest.fixture(scope="module")
def base() -> dict:
    return tomllib.loads(DEFAULT.read_text(encoding="utf-8"))


def _errors(data: dict) -> list[ConfigError]:
    with pytest.raises(ConfigError) as err:
        parse_scenario(data, source="s.toml")
    exc = err.value
    return exc.errors if isinstance(exc, ConfigErrors) else [exc]


def _fields(data: dict) -> list[str]:
    return [e.field or "" for e in _errors(data)]


def three_mistakes(text: str) -> str:
    """The default scenario with three independent mistakes (a range, an id, a reference)."""
    text = text.replace("hardship = 0.35\n", "hardship = 3.5\n", 1)
    first = text.index('controller = "iraq"\n', text.index('id = "tal_afar"'))
    text = text[:first] + 'controller = "irak"\n' + text[first + len('controller = "iraq"\n') :]
    unit = text.index("[[units]]")
    region = text.index("region = ", unit)
    return text[:region] + 'region = "mosull"' + text[text.index("\n", region) :]


THREE_FIELDS = [
    "regions[sinjar].hardship",
    "regions[tal_afar].controller",
    "units[iraq_army_nineveh].region",
]


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.err.strip().splitlines(), captured.out


# ---------------------------------------------------------------------------------------------
# Every error at once


def test_three_mistakes_three_lines_from_check_and_run(tmp_path):
    bad = tmp_path / "three.toml"
    bad.write_text(three_mistakes(DEFAULT.read_text(encoding="utf-8")), encoding="utf-8")
    for args in (
        ["check", str(bad)],
        ["run", "--scenario", str(bad), "--out", str(tmp_path / "o")],
    ):
        proc = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 3, proc.stderr
        for line, field in zip(lines, THREE_FIELDS, strict=True):
            assert line.startswith(f"error: {bad}: {field}: "), line
    assert "did you mean 'mosul'?" in lines[2] and "'iraq'" in lines[1]
    assert not (tmp_path / "o").exists()


def test_field_errors_and_reference_errors_come_together(base):
    data = copy.deepcopy(base)
    data["regions"][0]["hardship"] = 2.0  # a field error
    data["units"][0]["actor"] = "nobody"  # a reference error, found in the same pass
    data["regions"][2]["colour"] = "red"  # an unknown key
    fields = _fields(data)
    assert set(fields) == {
        "regions[sinjar].hardship",
        f"regions[{base['regions'][2]['id']}].colour",
        "units[iraq_army_nineveh].actor",
    }


def test_roads_and_links_are_named_by_their_ends(base):
    data = copy.deepcopy(base)
    road = data["roads"][13]
    data["roads"][13] = {**road, "b": "atlantis"}
    link = data["links"][0]
    data["links"][0] = {**link, "strength": 7.0}
    fields = _fields(data)
    assert f"roads[{road['a']}--atlantis].b" in fields
    assert f"links[{link['from']}->{link['to']}].strength" in fields
    assert not any("roads[13]" in f for f in fields)


def test_allowed_ids_are_listed_in_full_or_as_near_matches(base):
    data = copy.deepcopy(base)
    data["units"][0]["region"] = "zzz"
    (err,) = _errors(data)
    ids = sorted(r["id"] for r in base["regions"])
    assert "allowed: " + ", ".join(ids) in err.message  # every id, no "..."
    data["units"][0]["region"] = "ramadii"
    (err,) = _errors(data)
    assert "did you mean 'ramadi'?" in err.message


def test_many_mistakes_are_cut_after_the_stated_number(base):
    data = copy.deepcopy(base)
    for region in data["regions"]:
        region["hardship"] = 5.0
    err = _errors(data)
    assert len(err) == len(base["regions"]) > MAX_ERROR_LINES
    text = str(ConfigErrors(err))
    lines = text.splitlines()
    assert len(lines) == MAX_ERROR_LINES + 1
    assert lines[-1] == f"... and {len(err) - MAX_ERROR_LINES} more"


def test_errors_survive_pickling():
    one = ConfigError("a.toml", "meta.name", "bad")
    many = ConfigErrors([one, ConfigError("a.toml", None, "worse")])
    for err in (one, many):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err) and back.field == err.field


def test_experiment_config_mistakes_come_together(tmp_path, capsys):
    cfg = tmp_path / "exp.toml"
    cfg.write_text(
        'name = "x"\noutcomes = ["isis_resurgance"]\n'
        "[overrides]\nborder_hardenin = 0.5\nsyria_collapse = 7\n"
        "[seeds]\nper_point = 0\n",
        encoding="utf-8",
    )
    code, lines, _ = _cli(["check", str(cfg)], capsys)
    assert code == 2 and len(lines) == 1 and "seeds.per_point" in lines[0]  # schema first
    cfg.write_text(cfg.read_text().replace("per_point = 0", "per_point = 2"), encoding="utf-8")
    code, lines, _ = _cli(["check", str(cfg)], capsys)
    assert code == 2 and len(lines) == 3, lines
    assert "outcomes[0]" in lines[0] and "did you mean 'isis_resurgence'" in lines[0]
    assert "overrides.border_hardenin" in lines[1] and "border_hardening" in lines[1]
    assert "overrides.syria_collapse" in lines[2] and "0.0 to 1.0" in lines[2]


def test_several_bad_overrides_come_together(capsys):
    code, lines, _ = _cli(
        ["run", "--set", "bordr_hardening=1", "--set", "syria_collapse=5", "--weeks", "1"], capsys
    )
    assert code == 2 and len(lines) == 2, lines
    assert (
        "parameters.bordr_hardening" in lines[0] and "did you mean 'border_hardening'" in lines[0]
    )
    assert "parameters.syria_collapse" in lines[1] and "0.0 to 1.0" in lines[1]


def test_parameters_and_switches_the_model_lacks_come_together(base):
    from escalation_sim import EscalationModel

    data = copy.deepcopy(base)
    del data["parameters"]["ct_rate"], data["parameters"]["attack_rate"]
    data["parameters"]["not_a_rate"] = dict(data["parameters"]["ct_half"])
    del data["mechanisms"]["recruitment"]
    with pytest.raises(ConfigErrors) as err:
        EscalationModel(parse_scenario(data, source="s.toml"))
    fields = [e.field for e in err.value.errors]
    assert fields == [
        "parameters.attack_rate",
        "parameters.ct_rate",
        "parameters.not_a_rate",
        "mechanisms.recruitment",
    ]


# ---------------------------------------------------------------------------------------------
# check: warnings, exit 0


def test_check_default_scenario_and_experiments_pass(capsys):
    code, err, out = _cli(["check", str(DEFAULT)], capsys)
    assert code == 0 and not err
    assert "OK, scenario iraq_syria_2024" in out
    code, err, out = _cli(["check", "experiments/border_x_collapse.toml"], capsys)
    assert code == 0 and "780 runs" in out


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t.replace("length_km = 150\n", "length_km = 1500\n"), "add up to 1,960 km"),
        (
            lambda t: t.replace("length_km = 180\nwall = 1.0", "length_km = 180\nwall = 0.0"),
            "walled",
        ),
        (
            lambda t: (
                t.replace('name = "Hezbollah"', 'name = "Hezbollah"', 1)
                + '\n[[actors]]\nid = "idle"\nname = "Idle"\nkind = "militia"\n'
                'affinity = { shia_arab = 1.0 }\nsource = "test"\n'
            ),
            "actors[idle]: no units",
        ),
        (
            lambda t: t.replace("value = 0.59\nmin = 0.0\n", "value = 1.0\nmin = 0.0\n", 1),
            "border_hardening = 1.0 (max)",
        ),
    ],
)
def test_check_warns_and_exits_0(tmp_path, capsys, edit, needle):
    path = tmp_path / "w.toml"
    text = DEFAULT.read_text(encoding="utf-8")
    path.write_text(edit(text), encoding="utf-8")
    assert edit(text) != text
    code, err, out = _cli(["check", str(path)], capsys)
    assert code == 0, err
    assert needle in out, out


def test_a_part_of_the_network_cut_off_from_the_rest_is_an_error(base):
    # Issue 11, B.10: two regions joined only to each other were accepted with a warning;
    # nothing can move between them and the theatre, so the file is refused.
    data = copy.deepcopy(base)
    extra = [{**base["regions"][0], "id": i, "name": i} for i in ("islet_a", "islet_b")]
    data["regions"] += extra
    data["roads"].append({"a": "islet_a", "b": "islet_b", "source": "test"})
    errors = _errors(data)
    assert len(errors) == 1, errors
    assert errors[0].field == "regions" and "islet_a, islet_b reach no other region" in str(
        errors[0]
    )


def test_check_warns_about_a_network_no_border_reaches(base):
    from escalation_sim.check import scenario_warnings

    # One network, but without a border segment or border state: nothing crosses into it.
    data = copy.deepcopy(base)
    data["border_segments"] = []
    data["regions"] = [r for r in data["regions"] if not r.get("external")]
    ids = {r["id"] for r in data["regions"]}
    data["roads"] = [r for r in data["roads"] if r["a"] in ids and r["b"] in ids]
    iraq = [r["id"] for r in data["regions"] if r["country"] == "IRQ"]
    syria = [r["id"] for r in data["regions"] if r["country"] == "SYR"]
    data["roads"].append({"a": iraq[0], "b": syria[0], "source": "test"})
    try:
        spec = parse_scenario(data)
    except ConfigError as exc:  # the file may break other rules without its border
        pytest.skip(f"not a valid file without its border: {exc}")
    warnings = scenario_warnings(spec)
    assert any("cannot be reached from any border" in w for w in warnings)


def test_check_refuses_a_file_that_is_neither(tmp_path, capsys):
    path = tmp_path / "x.toml"
    path.write_text("colour = 'red'\n", encoding="utf-8")
    code, lines, _ = _cli(["check", str(path)], capsys)
    assert code == 2 and len(lines) == 1 and "neither a scenario" in lines[0]


# ---------------------------------------------------------------------------------------------
# Nonsense accepted before (issue 11, B.10): one line each


def _set(path: list, value):
    def edit(d: dict) -> None:
        node = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


NONSENSE = [
    (lambda d: d["meta"]["sects"].append("kurd"), "meta.sects", "listed 2 times"),
    (_set(["roles", "isis"], "iraq"), "roles.isis", "kind insurgent"),
    (_set(["roles", "hts"], "isis"), "roles.hts", "kind rebel"),
    (_set(["units", 0, "region"], "jordan"), "units[iraq_army_nineveh].region", "border state"),
    (lambda d: d["roads"].append(dict(d["roads"][0])), "roads[sinjar--tal_afar]", "second edge"),
    (_set(["roads", 0, "b"], "sinjar"), "roads[sinjar--sinjar].b", "to itself"),
    (lambda d: d["links"].append(dict(d["links"][0])), "links[", "second command link"),
    (_set(["links", 0, "to"], "pmf"), "links[pmf->pmf].to", "to itself"),
    (
        lambda d: d["regions"].append({**d["regions"][0], "id": "lonely"}),
        "regions[lonely]",
        "no road or border segment",
    ),
    (
        _set(["regions", 0, "population", "other"], 10**12),
        "regions[sinjar].population",
        "1,000,000,000",
    ),
    (_set(["units", 0, "strength"], 10**8), "units[iraq_army_nineveh].strength", "10000000"),
    (_set(["regions", 0, "lat"], float("nan")), "regions[sinjar].lat", "finite"),
    (_set(["meta", "start_date"], dt.date(9999, 12, 1)), "meta.start_date", "9961-"),
    (_set(["meta", "weeks"], 10**6), "meta.weeks", "2000"),
    (
        _set(["parameters", "attack_rate", "max"], float("inf")),
        "parameters.attack_rate.max",
        "finite",
    ),
    (_set(["parameters", "attack_rate", "max"], 1e308), "parameters.attack_rate", "100,000"),
    (
        _set(["parameters", "resurgence_weeks", "min"], 0),
        "parameters.resurgence_weeks.min",
        "at least 1",
    ),
]


@pytest.mark.parametrize(("edit", "field", "needle"), NONSENSE)
def test_nonsense_is_one_line_naming_the_field(base, edit, field, needle):
    data = copy.deepcopy(base)
    edit(data)
    errors = _errors(data)
    assert len(errors) == 1, [str(e) for e in errors]
    assert errors[0].field is not None and errors[0].field.startswith(field), str(errors[0])
    assert needle in errors[0].message, str(errors[0])
    assert "\n" not in str(errors[0])


def test_resurgence_weeks_0_is_refused(base):
    data = copy.deepcopy(base)
    data["parameters"]["resurgence_weeks"].update(value=0, min=0)
    fields = _fields(data)
    assert fields == ["parameters.resurgence_weeks.min"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("sunni_arab = 50000,", "sunni_arab = 1000000000000,", 1),
        lambda t: t.replace(
            'region = "ramadi"\nstrength = 300\ncohesion = 1.0\ncells = 8\n',
            'region = "ramadi"\nstrength = 5000000\ncohesion = 1.0\ncells = 5000000\n',
        ),
    ],
    ids=["population 10^12", "ISIS unit of 5,000,000 cells"],
)
def test_huge_magnitudes_end_with_one_line_before_running(tmp_path, edit):
    text = DEFAULT.read_text(encoding="utf-8")
    assert edit(text) != text
    bad = tmp_path / "huge.toml"
    bad.write_text(edit(text), encoding="utf-8")
    proc = subprocess.run(
        [*CLI, "run", "--scenario", str(bad), "--out", str(tmp_path / "o"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) >= 1 and all("past the cap" in x or "less than or equal" in x for x in lines)
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------------------------
# The file itself (issue 15): encodings, nesting, size


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + DEFAULT.read_bytes())
    assert parse_scenario(read_toml_file(path), source=str(path)).meta.name == "iraq_syria_2024"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"[meta]\nname = '\xff\xfe'\n", "not UTF-8 text (byte 0xff on line 2)"),
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (b"x = " + b"[" * 100 + b"]" * 100 + b"\n", "nested more than 64 levels deep"),
        (b"[meta\n", "invalid TOML"),
    ],
    ids=["latin-1", "nested 5000", "nested 100", "broken"],
)
@pytest.mark.parametrize("command", ["run", "sweep", "check"])
def test_broken_files_are_one_line(tmp_path, capsys, content, needle, command):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    args = {"run": ["run", "--scenario", str(path), "--out", str(tmp_path / "o")]}.get(
        command, [command, str(path)]
    )
    if command == "sweep":
        args += ["--out", str(tmp_path / "o")]
    code, lines, _ = _cli(args, capsys)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and needle in lines[0], lines
    assert not (tmp_path / "o").exists()


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, capsys):
    path = tmp_path / "huge.toml"
    with path.open("wb") as f:  # sparse: 2 GB on paper, nothing on disk
        f.truncate(2 * 2**30)
    for args in (["check", str(path)], ["run", "--scenario", str(path)]):
        code, lines, _ = _cli(args, capsys)
        assert code == 2 and len(lines) == 1
        assert f"at most {MAX_FILE_BYTES:,} bytes" in lines[0] and "2,147,483,648" in lines[0]


def test_experiment_config_with_inf_and_huge_rates(tmp_path, capsys):
    cfg = tmp_path / "exp.toml"
    cfg.write_text('name = "x"\n[overrides]\nattack_rate = inf\n', encoding="utf-8")
    code, lines, _ = _cli(["check", str(cfg)], capsys)
    assert code == 2 and len(lines) == 1 and "overrides.attack_rate" in lines[0]
    cfg.write_text(
        'name = "x"\n[design.parameters]\nattack_rate = { values = [1e308] }\n', encoding="utf-8"
    )
    code, lines, _ = _cli(["check", str(cfg)], capsys)
    assert code == 2 and len(lines) == 1 and "attack_rate" in lines[0], lines


def test_an_experiment_config_with_a_byte_order_mark_is_accepted(tmp_path):
    from escalation_sim.experiments.config import load_config

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + Path("experiments/baseline.toml").read_bytes())
    assert load_config(path).name == "baseline"


def test_toml_paths_in_parse_scenario_accept_bytes_with_bom():
    data = b"\xef\xbb\xbf" + DEFAULT.read_bytes()
    assert parse_scenario(data).meta.name == "iraq_syria_2024"
    assert parse_scenario(data.decode("utf-8")).meta.name == "iraq_syria_2024"


def test_scenario_path_is_a_directory(tmp_path, capsys):
    code, lines, _ = _cli(["check", str(tmp_path)], capsys)
    assert code == 2 and len(lines) == 1 and "is a directory" in lines[0]
