"""Every flag of every sub-command has help text, and a flag with a default states it."""

from __future__ import annotations

import argparse

from escalation_sim.cli import build_parser


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
