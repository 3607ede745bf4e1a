"""``escalation-sim validate``: the validation checks of ``docs/VALIDATION.md`` as commands.

``validate epstein`` (docking with Epstein 2002), ``validate hindcast`` (2013-2019 against the
public record), ``validate tails`` (the tail of deaths per attack) and ``validate forecast`` (the
pre-registered 2025-2026 forecast of ``history_dec2024``). Each writes its data, a
summary (JSON and markdown) and its figures into ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_validate(sub: argparse._SubParsersAction) -> None:
    """Register ``escalation-sim validate`` and its sub-commands."""
    from escalation_sim import cli
    from escalation_sim.experiments import limits as lim

    runs = cli.int_at_least(1, maximum=lim.MAX_VALIDATION_SEEDS)

    p = sub.add_parser(
        "validate",
        help="validation checks: Epstein docking, 2013-2019 hindcast, heavy tails, forecast",
        description="Validation checks (docs/VALIDATION.md gives each with its command).",
    )
    checks = p.add_subparsers(dest="check", required=True, parser_class=type(p))

    e = checks.add_parser(
        "epstein",
        help="dock the activation kernel with Epstein (2002) Model I on a 40x40 torus",
        description="Run Epstein's civil violence Model I through the kernel the model uses. "
        "Writes DIR/actives.csv (tick, active, jailed, quiet), DIR/outbursts.csv, "
        "DIR/legitimacy.csv, DIR/summary.json, DIR/summary.md, DIR/actives.png and "
        "DIR/legitimacy.png.",
    )
    e.add_argument("--run", type=int, default=2, help="Epstein's Table 2 run (default 2)")
    e.add_argument(
        "--arrest-rule",
        choices=("literal", "floor"),
        default="literal",
        help="C/A as printed (literal) or floor(C/A) as in NetLogo's Rebellion (default literal)",
    )
    e.add_argument("--seed", type=cli.seed_int, default=0, help="random seed (default 0)")
    e.add_argument(
        "--ticks",
        type=cli.int_at_least(1, maximum=lim.MAX_EPSTEIN_TICKS),
        default=500,
        help=f"ticks (default 500, at most {lim.MAX_EPSTEIN_TICKS:,})",
    )
    e.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change an input, e.g. shape=disk or j_max=15 (repeatable)",
    )
    e.add_argument(
        "--out",
        type=Path,
        default=Path("results/validation/epstein"),
        help="output directory (default results/validation/epstein)",
    )
    e.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    e.set_defaults(func=cmd_epstein)

    h = checks.add_parser(
        "hindcast",
        help="run hindcast_2013 and compare yearly ISIS attacks and deaths with the record",
        description="Run the hindcast_2013 scenario over several seeds and compare its yearly "
        "ISIS attacks and deaths in Iraq, and deaths in Syria, with the observed figures "
        "shipped in escalation_sim/validation/data (cited there); the runs go on to 19 November "
        "2024 and every yearly series of the observed record is compared in its own definition "
        "(the observation operator). Writes DIR/runs_yearly.csv, DIR/comparison.csv, "
        "DIR/record.csv, DIR/summary.json, DIR/summary.md and DIR/hindcast.png.",
    )
    add_runs_options(h, runs, 20, "hindcast")
    h.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    h.set_defaults(func=cmd_hindcast)

    t = checks.add_parser(
        "tails",
        help="fit the tail of deaths per ISIS attack (Clauset et al. 2009) over many runs",
        description="Pool the ISIS attacks of several runs (seeds from SeedSequence(--seed)), "
        "fit the tail of deaths per attack by maximum likelihood with a KS-chosen x_min "
        "(powerlaw package) and set it beside Bohorquez et al. 2009 (~2.5). Writes "
        "DIR/events_pooled.parquet, DIR/fit.json, DIR/fit.md and DIR/ccdf.png.",
    )
    t.add_argument("--seeds", type=runs, default=50, help="runs (default 50, at most 10,000)")
    t.add_argument("--seed", type=cli.seed_int, default=0, help="root seed (default 0)")
    t.add_argument(
        "--scenario", default=None, help="bundled name or path (default iraq_syria_2024)"
    )
    t.add_argument(
        "--weeks",
        type=cli.weeks_int,
        default=None,
        help="weeks per run (default: the scenario's meta.weeks)",
    )
    t.add_argument(
        "--out",
        type=Path,
        default=Path("results/validation/tails"),
        help="output directory (default results/validation/tails)",
    )
    t.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    t.set_defaults(func=cmd_tails)

    f = checks.add_parser(
        "forecast",
        help="the pre-registered 2025-2026 forecast of history_dec2024 (docs/VALIDATION.md)",
        description="Run the history_dec2024 scenario (the default plus what was known on 15 "
        "December 2024) over several seeds and summarise 2025 and 2026: ISIS attacks and "
        "deaths in Iraq and Syria through the observation operator (all attacks and GED-like "
        "attacks with at least one death), ISIS fighters, regions held, militia fighters in "
        "Syria, launches at Israel, Israeli strikes on Iraq and P(resurgence), each with its "
        "median and 50% and 90% intervals. Writes DIR/runs.csv, DIR/runs_resurgence.csv, "
        "DIR/forecast.csv, DIR/resurgence_curve.csv, DIR/forecast.json (with provenance), "
        "DIR/resurgence_threshold.png and DIR/forecast.md.",
    )
    add_runs_options(f, runs, 20, "forecast")
    f.add_argument(
        "--weeks",
        type=cli.weeks_int,
        default=None,
        help="weeks per run (default: the scenario's 110, to the end of 2026; fewer for a "
        "quick look)",
    )
    f.add_argument(
        "--write-validation",
        nargs="?",
        const=Path("docs/VALIDATION.md"),
        default=None,
        type=Path,
        metavar="FILE",
        help="also replace the forecast section of FILE (default docs/VALIDATION.md) between "
        "its markers",
    )
    f.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    f.set_defaults(func=cmd_forecast)


def add_runs_options(h: argparse.ArgumentParser, runs: Any, seeds: int, name: str) -> None:
    """``--seeds``, ``--seed`` and ``--out`` (default ``results/validation/NAME``) of a check."""
    from escalation_sim import cli
    from escalation_sim.experiments import limits as lim

    most = f"{lim.MAX_VALIDATION_SEEDS:,}"
    h.add_argument(
        "--seeds", type=runs, default=seeds, help=f"runs (default {seeds}, at most {most})"
    )
    h.add_argument("--seed", type=cli.seed_int, default=0, help="root seed (default 0)")
    h.add_argument(
        "--out",
        type=Path,
        default=Path(f"results/validation/{name}"),
        help=f"output directory (default results/validation/{name})",
    )


def cmd_epstein(args: argparse.Namespace) -> int:
    """Run the docking and write its outputs."""
    from escalation_sim.scenario.loader import parse_assignments
    from escalation_sim.validation.docking import docking_report
    from escalation_sim.validation.epstein import table2_params, with_changes

    params = table2_params(args.run, rule=args.arrest_rule)
    params = with_changes(params, parse_assignments(args.assignments))
    check_epstein_size(params)
    summary = docking_report(
        params, args.ticks, args.seed, args.out, run=args.run, progress=not args.quiet
    )
    if not args.quiet:
        o = summary["outbursts"]
        wait = o["waiting_time"]["mean"]
        print(
            f"Epstein run {args.run}, rule {params.rule}, seed {args.seed}, {args.ticks} ticks: "
            f"{o['outbursts']} outbursts above {o['level']} actives"
            + (f", mean wait {wait:.1f} ticks" if wait is not None else "")
            + f", most actives {o['max_actives']}"
        )
        for r in summary["legitimacy_contrast"]["results"]:
            print(
                f"  legitimacy {r['schedule']:7s} (J_max {r['j_max']}): "
                f"{r['outbursts']} outbursts, most actives {r['max_actives']}"
            )
        print(f"  wrote {args.out}/")
    return 0


def check_epstein_size(params: Any) -> None:
    """Refuse a torus or a vision whose neighbour tables would not fit in memory.

    Raises:
        ConfigError: naming the input and the bound (``experiments.limits``).
    """
    from escalation_sim.errors import ConfigError
    from escalation_sim.experiments import limits as lim
    from escalation_sim.validation.epstein import vision_offsets

    for name in ("width", "height"):
        if getattr(params, name) > lim.MAX_EPSTEIN_SIDE:
            raise ConfigError(
                "--set",
                name,
                f"{getattr(params, name):,} cells is too large; allowed: 3 to "
                f"{lim.MAX_EPSTEIN_SIDE:,}",
            )
    for name in ("vision", "cop_vision"):
        if getattr(params, name) > lim.MAX_EPSTEIN_VISION:
            raise ConfigError(
                "--set",
                name,
                f"{getattr(params, name):,} is too large; allowed: 1 to {lim.MAX_EPSTEIN_VISION}",
            )
    radius = max(params.vision, params.cop_vision)
    size = params.width * params.height * len(vision_offsets(radius, params.shape))
    if size > lim.MAX_EPSTEIN_NEIGHBOURS:
        raise ConfigError(
            "--set",
            "width",
            f"a {params.width}x{params.height} torus with vision {radius} needs {size:,} "
            f"neighbour entries; allowed: at most {lim.MAX_EPSTEIN_NEIGHBOURS:,} (a smaller "
            "torus or vision)",
        )


def cmd_hindcast(args: argparse.Namespace) -> int:
    """Run the hindcast comparison and write its outputs."""
    from escalation_sim.validation.hindcast import hindcast_report

    summary = hindcast_report(args.seeds, args.seed, args.out, progress=not args.quiet)
    if not args.quiet:
        for name, f in summary["fits"].items():
            r = f"{f['pearson_r']:.2f}" if f["pearson_r"] is not None else "n/a"
            ratio = f"{f['ratio_median']:.2f}" if f["ratio_median"] is not None else "n/a"
            print(
                f"{name}: r = {r}, median ratio model/observed {ratio}, peak "
                f"{f['model_peak_year']} (observed {f['observed_peak_year'] or 'n/a'})"
            )
        matched = [s for s in summary["record"] if s["relation"] == "match"]
        for s in matched:
            print(
                f"record {s['source_key']} {s['quantity']} {s['country']} ({s['years']}): "
                f"median ratio {s['ratio_median']:.2f}, {s['near_share']:.0%} of years within x2"
            )
        print(f"  wrote {args.out}/")
    return 0


def cmd_tails(args: argparse.Namespace) -> int:
    """Fit the tail of deaths per attack and write its outputs."""
    from escalation_sim.validation.tails import tails_report

    s = tails_report(
        args.seeds, args.seed, args.out, args.scenario, args.weeks, progress=not args.quiet
    )
    if not args.quiet:
        f = s["fit"]
        print(
            f"{s['attacks']} attacks from {s['runs']} runs: alpha = {f['alpha']:.3f} "
            f"± {f['sigma']:.3f} (x_min {f['xmin']:.0f}, {f['n_tail']} in the tail); "
            f"Bohorquez et al. 2009: {s['bohorquez_2009_alpha']} (z = {s['z_vs_bohorquez']:.2f})"
        )
        print(f"  wrote {args.out}/")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """Run the forecast and write its outputs."""
    from escalation_sim.errors import ConfigError
    from escalation_sim.validation.forecast import forecast_report

    target = args.write_validation
    if target is not None and not target.is_file():
        raise ConfigError(
            target, None, "--write-validation: file not found; allowed: an existing markdown file"
        )
    s = forecast_report(
        args.seeds, args.seed, args.out, not args.quiet, args.weeks, validation=target
    )
    if not args.quiet:
        for name, p in s["probabilities"].items():
            print(f"P({name}) over 2025-2026 = {p['p']:.2f} (90%: {p['p05']:.2f}-{p['p95']:.2f})")
        print(f"  wrote {args.out}/" + (f" and the forecast section of {target}" if target else ""))
    return 0
