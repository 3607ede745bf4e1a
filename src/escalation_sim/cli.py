"""The ``escalation-sim`` command line.

Every bad input (unknown parameter, value out of range, broken TOML, missing file) ends in one
line on stderr naming the file and the field, and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from escalation_sim.calibration.cli import add_apply_calibration, add_calibrate
from escalation_sim.check import add_check
from escalation_sim.errors import ConfigError
from escalation_sim.experiments import limits as lim
from escalation_sim.experiments.cli import add_discover, add_report, add_sweep
from escalation_sim.viz.server import add_viz

EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130
EXIT_IO = 1


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line, like the rest of the CLI's."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_CONFIG, f"error: {self.prog}: {message} (see --help)\n")


def int_at_least(
    minimum: int, what: str = "an integer", maximum: int | None = None
) -> Callable[[str], int]:
    """An argparse type: an integer (ASCII digits) from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        digits = text.strip()
        if not digits.isascii() or not digits.lstrip("+-").isdigit():
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} (ASCII digits only)")
        if len(digits) > 30:  # int() of a huge string is slow; no bound here has 30 digits
            raise argparse.ArgumentTypeError(f"{text[:20]!r}... is too large")
        value = int(digits)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                f"{value:,} is too large; allowed: {minimum} to {maximum:,}"
            )
        return value

    return parse


#: argparse types the subcommands share (``experiments``, ``validation`` and this module's).
positive_int = int_at_least(1)
seed_int = int_at_least(0, "an integer seed", maximum=lim.MAX_SEED)
# The old private names, for code written before they were public.
_positive_int, _seed = positive_int, seed_int
weeks_int = int_at_least(1, maximum=lim.MAX_WEEKS)  # the schema's cap on a run's length
_int_at_least = int_at_least  # the old private name


# ---------------------------------------------------------------------------------------------
# run


def add_run(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim run``: one run of a scenario."""
    p = sub.add_parser(
        "run",
        help="run a scenario once and write its time series, outcomes and plots",
        description="Run a scenario once into DIR (--out, default results/run), and print "
        "what it wrote. Writes DIR/timeseries.parquet (one row per week), "
        "DIR/events.parquet (one row per attack or strike), DIR/outcomes.json (run-level "
        "outcomes with the seed and parameters), DIR/timeseries.png and DIR/map.png.",
    )
    p.add_argument(
        "--scenario", default=None, help="bundled name or path (default iraq_syria_2024)"
    )
    p.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (border_hardening=0.9) or a switch "
        "(mechanisms.militia_autonomy=false); repeatable",
    )
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--weeks",
        type=weeks_int,
        default=None,
        help=f"weeks to simulate, at most {lim.MAX_WEEKS:,} (default: the scenario's meta.weeks, "
        "104 for iraq_syria_2024)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results/run"),
        help="output directory (default results/run)",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """Run once and write the outputs."""
    from escalation_sim.run import run, write_run
    from escalation_sim.scenario.loader import parse_assignments

    overrides = parse_assignments(args.assignments)
    result = run(
        scenario=args.scenario,
        overrides=overrides,
        seed=args.seed,
        weeks=args.weeks,
        progress=not args.quiet,
        keep_model=not args.no_plots,
    )
    written = write_run(result, args.out, plots=not args.no_plots)
    if not args.quiet:
        o = result.outcomes
        print(
            f"{result.scenario}, seed {result.seed}, {len(result.timeseries) - 1} weeks: "
            f"ISIS resurgence {'YES' if o['isis_resurgence'] else 'no'}; "
            f"ISIS fighters in Iraq {o['isis_fighters_iraq_final']:.0f} "
            f"(peak {o['isis_fighters_iraq_peak']:.0f}); attacks in Iraq "
            f"{o['isis_attacks_iraq_total']}; infiltrations {o['infiltrations_total']} "
            f"({o['infiltrations_detected_total']} detected); Israeli strikes on Iraq "
            f"{o['israeli_strikes_iraq_total']}; escalation max {o['escalation_level_max']}"
        )
        for path in written:
            print(f"  wrote {path}")
    return 0


# ---------------------------------------------------------------------------------------------
# params / scenarios


def add_params(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim params``: list a scenario's parameters and switches."""
    p = sub.add_parser("params", help="list a scenario's parameters, ranges and switches")
    p.add_argument(
        "--scenario", default=None, help="bundled name or path (default iraq_syria_2024)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output (JSON)")
    p.set_defaults(func=cmd_params)


def cmd_params(args: argparse.Namespace) -> int:
    """Print parameters (value, range, meaning, source) and mechanism switches."""
    table = stored_params_table(args.scenario) or params_table(args.scenario)
    if args.json:
        doc = {"parameters": table["parameters"], "mechanisms": table["mechanisms"]}
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{table['name']}: {table['title']}\n\nparameters (--set NAME=VALUE):")
    for name, prm in table["parameters"].items():
        print(f"  {name:32s} {prm['value']!s:>9}  [{prm['min']}, {prm['max']}] {prm['unit']}")
        print(f"  {'':32s} {prm['doc']}")
    print("\nmechanisms (--set mechanisms.NAME=false):")
    described = mechanism_descriptions()
    for name, on in table["mechanisms"].items():
        print(f"  {name:22s} {'on ' if on else 'off'}  {described.get(name, '')}")
    print("\naliases (each sets the switches it was split into):")
    for alias, targets in table["aliases"].items():
        print(f"  {alias:22s} {' + '.join(targets)}")
    return 0


def params_table(scenario: str | None) -> dict[str, Any]:
    """What ``params`` prints, from the scenario loaded and validated (the schema, pydantic).

    ``name`` and ``title`` (its ``[meta]``), ``parameters`` (each ``Parameter`` dumped without
    its per-field ``sources``), ``mechanisms`` (the switches, aliases expanded) and ``aliases``
    (``MECHANISM_ALIASES``): plain JSON values.

    Raises:
        ConfigError: the scenario is missing or invalid (``load_scenario``).
    """
    from escalation_sim.scenario.loader import load_scenario
    from escalation_sim.scenario.schema import MECHANISM_ALIASES

    spec = load_scenario(scenario)
    return {
        "name": spec.meta.name,
        "title": spec.meta.title,
        "parameters": {k: v.model_dump(exclude={"sources"}) for k, v in spec.parameters.items()},
        "mechanisms": dict(spec.mechanisms),
        "aliases": {alias: list(targets) for alias, targets in MECHANISM_ALIASES.items()},
    }


#: What ``params`` and ``scenarios`` print of the bundled scenarios, stored so that neither
#: imports the schema (pydantic builds its validators in about 0.3 s) nor parses every file.
#: ``scripts/make_listing.py`` writes it; tests/test_cli_help.py fails when it differs from what
#: the schema gives.
LISTING = Path(__file__).parent / "scenario" / "data" / "listing.json"


def listing_inputs() -> list[Path]:
    """The files ``LISTING`` is made from.

    Every bundled scenario (``extends`` and ``parameters_from`` name one another), the schema
    and the loader.
    """
    package = LISTING.parents[1]
    return [*sorted(LISTING.parent.glob("*.toml")), package / "schema.py", package / "loader.py"]


def listing_checksum() -> str:
    """CRC-32 and total size of ``listing_inputs()`` (names and bytes): whether they changed.

    Not a defence against tampering (the files are the package's own); CRC-32 because ``zlib``
    is already imported where ``hashlib`` would cost a few milliseconds more.
    """
    import zlib

    crc, size = 0, 0
    for path in listing_inputs():
        data = path.read_bytes()
        crc = zlib.crc32(data, zlib.crc32(path.name.encode(), crc))
        size += len(data)
    return f"crc32:{crc:08x} bytes:{size}"


def stored_listing() -> dict[str, Any] | None:
    """``LISTING``, or None when it is missing, unreadable or older than its inputs.

    Used only while the files it was made from are unchanged (``listing_checksum``), so an
    edited scenario or schema is loaded, and its mistakes reported, as before.
    """
    try:
        stored = json.loads(LISTING.read_text(encoding="utf-8"))
        if stored["inputs"] != listing_checksum():
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stored if isinstance(stored, dict) else None


def stored_params_table(scenario: str | None) -> dict[str, Any] | None:
    """``params_table(scenario)`` from ``LISTING``, or None (a path, or no usable listing).

    Only bundled scenarios, by name, are stored: a path is loaded and validated as before.
    """
    stored = stored_listing()
    if stored is None:
        return None
    try:
        table = stored["params"].get(stored["default"] if scenario is None else scenario)
    except (KeyError, TypeError, AttributeError):
        return None
    return table if isinstance(table, dict) else None


def stored_scenario_listing() -> dict[str, tuple[Any, int, str]] | None:
    """``scenario_listing()`` from ``LISTING`` (dates as ISO text), or None."""
    stored = stored_listing()
    if stored is None:
        return None
    try:
        return {
            name: (start, weeks, title)
            for name, (start, weeks, title) in stored["scenarios"].items()
        }
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def stored_listing_text() -> str:
    """What ``LISTING`` should hold now, from the schema: JSON."""
    from escalation_sim.scenario.loader import DEFAULT_SCENARIO, bundled_scenarios, load_scenario

    names = sorted(bundled_scenarios())
    metas = {name: load_scenario(name).meta for name in names}
    doc = {
        "about": "what escalation-sim params and scenarios print of the bundled scenarios; "
        "written by scripts/make_listing.py, used while `inputs` matches (escalation_sim.cli)",
        "inputs": listing_checksum(),
        "default": DEFAULT_SCENARIO,
        "scenarios": {n: [m.start_date.isoformat(), m.weeks, m.title] for n, m in metas.items()},
        "params": {name: params_table(name) for name in names},
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def write_listing(path: Path = LISTING) -> str:
    """Write ``LISTING`` from the schema; return the text written (``stored_listing_text``)."""
    text = stored_listing_text()
    path.write_text(text, encoding="utf-8")
    return text


def mechanism_descriptions() -> dict[str, str]:
    """``escalation_sim.mechanisms.MECHANISMS`` (switch -> what it does), without importing it.

    The mechanisms package imports Mesa, pandas and scipy; reading its source instead lets
    ``params`` start at once. The dict is a literal in the package's ``__init__.py``; if it
    ever stops being one, the package is imported instead (tests/test_cli_help.py checks that
    both give the same).
    """
    import ast
    import importlib.util

    spec = importlib.util.find_spec("escalation_sim.mechanisms")
    try:
        assert spec is not None and spec.origin is not None
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.AnnAssign) or node.value is None:
                continue
            if isinstance(node.target, ast.Name) and node.target.id == "MECHANISMS":
                value = ast.literal_eval(node.value)
                if isinstance(value, dict):
                    return value
    except (AssertionError, OSError, SyntaxError, ValueError):
        pass
    from escalation_sim.mechanisms import MECHANISMS

    return dict(MECHANISMS)


def add_scenarios(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim scenarios``: list bundled scenarios."""
    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=cmd_scenarios)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """Print the bundled scenarios with their titles."""
    listing = stored_scenario_listing() or scenario_listing()
    for name, (start, weeks, title) in sorted(listing.items()):
        print(f"{name:20s} {start} + {weeks} weeks  {title}")
    return 0


def scenario_listing() -> dict[str, tuple[Any, int, str]]:
    """``(start_date, weeks, title)`` of each bundled scenario, by name.

    Read from each file's ``[meta]`` table with ``tomllib`` (merged over the ``[meta]`` of the
    scenario it ``extends``, as the loader merges it), without the schema (pydantic), so that
    ``scenarios`` starts at once; a file whose ``[meta]`` does not give the three plainly is
    loaded and validated instead. (``check`` validates a file; this only lists them.)
    ``scenarios`` reads ``LISTING`` instead while that is up to date (``stored_scenario_listing``).
    """
    import datetime as dt
    import importlib.util
    import tomllib

    # The package's directory without importing it (its __init__ imports the schema).
    spec = importlib.util.find_spec("escalation_sim.scenario")
    if spec is None or spec.origin is None:  # pragma: no cover  (not an installed package)
        from escalation_sim.scenario.loader import bundled_scenarios

        files = list(bundled_scenarios().values())
    else:
        files = sorted(Path(spec.origin).parent.joinpath("data").glob("*.toml"))
    metas: dict[str, Any] = {}
    for path in files:
        try:
            metas[path.name.removesuffix(".toml")] = tomllib.loads(
                path.read_text(encoding="utf-8-sig")
            ).get("meta")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            metas[path.name.removesuffix(".toml")] = None
    out: dict[str, tuple[Any, int, str]] = {}
    for name, meta in metas.items():
        base = metas.get(str(meta.get("extends"))) if isinstance(meta, dict) else None
        if isinstance(base, dict) and "extends" not in base:  # [meta] merged key by key
            meta = {**base, **meta}
        try:
            start, weeks, title = meta["start_date"], meta["weeks"], meta["title"]
            plain = type(start) is dt.date and type(weeks) is int and isinstance(title, str)
        except (KeyError, TypeError):
            plain = False
        if not plain:
            from escalation_sim.scenario.loader import load_scenario

            m = load_scenario(name).meta
            start, weeks, title = m.start_date, m.weeks, m.title
        out[name] = (start, weeks, title)
    return out


def add_validate(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim validate``: the checks of docs/VALIDATION.md (``validation.cli``)."""
    from escalation_sim.validation.cli import add_validate as register

    register(sub)


#: Sub-command registrars, in the order ``--help`` lists them.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_run,
    add_params,
    add_scenarios,
    add_validate,
]
COMMANDS.append(add_viz)
COMMANDS.append(add_check)  # validate a file without running it (escalation_sim.check)
COMMANDS += [add_sweep, add_report, add_discover]  # experiments in batch (experiments/)
COMMANDS.append(add_calibrate)  # calibration against the record (calibration/)
COMMANDS.append(add_apply_calibration)  # its posterior medians into scenario files


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command."""
    parser = _Parser(
        prog="escalation-sim",
        description="Agent-based simulation of escalation in the Iraq-Syria theatre (Mesa 3.5).",
    )
    from escalation_sim import __version__

    parser.add_argument("--version", action="version", version=f"escalation-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for register in COMMANDS:
        register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread so that they stop a command like Ctrl-C.

    Every command then unwinds as it does on Ctrl-C: temporary files are removed, a sweep
    flushes its finished runs (``runner``), worker processes are ended.

    Attributes:
        signum: The signal received.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def install_signal_handlers() -> dict[int, Any]:
    """Make SIGTERM and SIGHUP behave like Ctrl-C (``Terminated``), in the main thread.

    Returns:
        The handlers replaced, to put back when the command ends.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    names = [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    return {getattr(signal, n): signal.signal(getattr(signal, n), _raise_terminated) for n in names}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``escalation-sim``; returns the exit status.

    Exit status: 0 done, 1 runs failed or an output could not be written, 2 bad input, and
    128 + the signal's number when stopped by one (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
    """
    previous = install_signal_handlers()
    try:
        return _dispatch(argv)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _dispatch(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:  # one line per mistake (ConfigErrors holds several)
        for line in exc.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + int(signum)
    except OSError as exc:  # an output directory that cannot be written, a full disk...
        where = exc.filename or "output"
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO


if __name__ == "__main__":
    sys.exit(main())
