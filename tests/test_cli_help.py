"""Every flag of every sub-command has help text, and a flag with a default states it."""

from __future__ import annotations

import argparse

import pytest

from escalation_sim import cli
from escalation_sim.cli import LISTING, build_parser, stored_listing_text
from escalation_sim.scenario.loader import bundled_scenarios


def _actions(parser: argparse.ArgumentParser, name: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from _actions(subparser, f"{name} {sub}")
        elif not isinstance(action, argparse._HelpAction | argparse._VersionAction):
            yield name, action


def test_every_flag_has_help_with_its_default():
    seen = 0
    for name, action in _actions(build_parser(), "escalation-sim"):
        flag = "/".join(action.option_strings) or action.dest
        assert action.help, f"{name} {flag}: no help text"
        if action.default not in (None, False, [], argparse.SUPPRESS):
            assert f"default {action.default}" in action.help, f"{name} {flag}: {action.help!r}"
        seen += 1
    assert seen > 30


def test_tails_names_the_scenario_it_defaults_to(capsys):
    parser = build_parser()
    try:
        parser.parse_args(["validate", "tails", "--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "(default iraq_syria_2024)" in out and "(default 2024)" not in out


# ---------------------------------------------------------------------------------------------
# starting at once: what --help, params and scenarios import (no timing here: see make bench)

HEAVY = ("mesa", "pandas", "scipy", "matplotlib")


def _imported_by(code: str) -> set[str]:
    """Top-level packages in ``sys.modules`` after ``code`` runs in a fresh interpreter."""
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys, contextlib, io\n"
        f"{code}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


CLI_CALL = (
    "from escalation_sim.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n"
    "        main({argv!r})\n"
    "    except SystemExit:\n"
    "        pass"
)


def test_help_imports_no_model_pandas_scipy_or_matplotlib():
    for argv in (["--help"], ["sweep", "--help"], ["validate", "--help"], ["scenarios"]):
        loaded = _imported_by(CLI_CALL.format(argv=argv))
        assert not loaded & {*HEAVY, "numpy", "pydantic", "networkx"}, (argv, loaded)


def test_params_imports_no_model_pandas_scipy_or_matplotlib():
    # A bundled scenario's table is stored (scenario/data/listing.json): not even the schema.
    for argv in (["params"], ["params", "--json"], ["params", "--scenario", "hindcast_2013"]):
        loaded = _imported_by(CLI_CALL.format(argv=argv))
        assert not loaded & {*HEAVY, "numpy", "pydantic", "networkx"}, (argv, loaded)
    # A file given by path is validated, as before: the schema, but still not the model.
    path = str(bundled_scenarios()["history_dec2024"])
    loaded = _imported_by(CLI_CALL.format(argv=["params", "--scenario", path]))
    assert "pydantic" in loaded
    assert not loaded & set(HEAVY), loaded


# ---------------------------------------------------------------------------------------------
# params and scenarios of the bundled scenarios from the stored listing: the same bytes as
# through the schema


def test_the_stored_listing_is_what_the_schema_gives():
    # Fails after a bundled scenario, the schema or the loader changes until the listing is
    # written again (the commands then load the files as before: see the tests below).
    assert LISTING.read_text(encoding="utf-8") == stored_listing_text(), (
        "scenario/data/listing.json is stale: run python scripts/make_listing.py"
    )


def test_scenarios_prints_the_same_from_the_stored_listing_and_the_files(capsys, monkeypatch):
    assert cli.stored_scenario_listing() is not None  # the fast path is the one taken
    assert cli.main(["scenarios"]) == 0
    stored = capsys.readouterr()
    monkeypatch.setattr(cli, "stored_scenario_listing", lambda: None)
    assert cli.main(["scenarios"]) == 0
    parsed = capsys.readouterr()
    assert stored.out == parsed.out and stored.err == parsed.err == ""
    assert stored.out.count("\n") == len(bundled_scenarios())


@pytest.mark.parametrize("scenario", [None, *sorted(bundled_scenarios())])
@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_params_prints_the_same_from_the_stored_table_and_the_schema(
    scenario, flags, capsys, monkeypatch
):
    argv = ["params", *flags, *(["--scenario", scenario] if scenario else [])]
    assert cli.stored_params_table(scenario) is not None  # the fast path is the one taken
    assert cli.main(argv) == 0
    stored = capsys.readouterr()
    monkeypatch.setattr(cli, "stored_params_table", lambda scenario: None)
    assert cli.main(argv) == 0
    schema = capsys.readouterr()
    assert stored.out == schema.out and stored.err == schema.err == ""
    assert stored.out.startswith(("{", cli.params_table(scenario)["name"] + ": "))


def test_the_stored_listing_is_not_used_once_its_inputs_change(tmp_path, monkeypatch):
    assert cli.stored_params_table("iraq_syria_2024") is not None
    edited = tmp_path / "iraq_syria_2024.toml"
    edited.write_bytes(bundled_scenarios()["iraq_syria_2024"].read_bytes() + b"\n# edited\n")
    inputs = cli.listing_inputs()
    monkeypatch.setattr(
        cli, "listing_inputs", lambda: [edited if p.name == edited.name else p for p in inputs]
    )
    assert cli.stored_listing() is None
    assert cli.stored_params_table("iraq_syria_2024") is None
    assert cli.stored_params_table(None) is None
    assert cli.stored_scenario_listing() is None


def test_params_of_a_path_or_an_unknown_name_is_loaded_and_checked(tmp_path, capsys):
    assert cli.stored_params_table(str(bundled_scenarios()["iraq_syria_2024"])) is None
    assert cli.stored_params_table("no_such_scenario") is None
    bad = tmp_path / "bad.toml"
    bad.write_text('[meta]\nname = "bad"\n', encoding="utf-8")
    assert cli.main(["params", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}: meta.title: required field is missing" in err
    assert cli.main(["params", "--scenario", "no_such_scenario"]) == 2
    assert "scenario not found" in capsys.readouterr().err


def test_importing_the_package_is_light_and_run_stays_the_function():
    loaded = _imported_by("import escalation_sim")
    assert not loaded & set(HEAVY)
    code = (
        "import escalation_sim.run\n"
        "from escalation_sim.run import write_run\n"
        "import escalation_sim\n"
        "from escalation_sim import run, EscalationModel, WEEKLY_OUTCOMES\n"
        "assert callable(run) and run is escalation_sim.run, escalation_sim.run\n"
        "assert run.__module__ == 'escalation_sim.run' and write_run.__module__ == run.__module__\n"
        "assert escalation_sim.run(weeks=1).outcomes\n"
        "assert EscalationModel.__name__ == 'EscalationModel' and WEEKLY_OUTCOMES"
    )
    assert "mesa" in _imported_by(code)  # the model, once used, is there


def test_params_lists_the_mechanisms_own_descriptions():
    from escalation_sim.cli import mechanism_descriptions
    from escalation_sim.mechanisms import MECHANISMS

    assert mechanism_descriptions() == MECHANISMS


def test_scenarios_lists_what_the_loader_loads():
    from escalation_sim.cli import scenario_listing
    from escalation_sim.scenario.loader import bundled_scenarios, load_scenario

    listing = scenario_listing()
    assert set(listing) == set(bundled_scenarios())
    for name, (start, weeks, title) in listing.items():
        meta = load_scenario(name).meta
        assert (start, weeks, title) == (meta.start_date, meta.weeks, meta.title)


def test_the_sweep_bound_on_weeks_is_the_schemas():
    from escalation_sim.experiments import limits
    from escalation_sim.scenario import schema

    assert limits.MAX_WEEKS == schema.MAX_WEEKS
