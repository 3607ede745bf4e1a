"""``escalation-sim calibrate CONFIG``: the calibration against the record, on the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_calibrate(sub: argparse._SubParsersAction) -> None:
    """Register ``escalation-sim calibrate``."""
    from escalation_sim.cli import positive_int
    from escalation_sim.experiments.cluster_options import add_cluster_options

    p = sub.add_parser(
        "calibrate",
        help="calibrate uncertain parameters against the record before 27 Nov 2024",
        description="History matching with Gaussian-process emulators (scikit-learn) over "
        "waves of runs, then importance weights: writes DIR/posterior.csv (parameter sets with "
        "weights), DIR/posterior.json, DIR/report.md and DIR/figures/. Each wave's runs are "
        "stored as they finish (DIR/wave-NN): rerun the same command (or --resume) after an "
        "interruption to finish with the same posterior. Exit status: 0 done, 2 bad input, "
        "130 interrupted. docs/calibration.md explains the config.",
    )
    p.add_argument(
        "config", type=Path, help="calibration config (TOML), e.g. experiments/calibrate_*.toml"
    )
    p.add_argument("--out", type=Path, default=None, help="output directory (default results/NAME)")
    p.add_argument(
        "--workers", type=positive_int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument(
        "--resume", action="store_true", help="require DIR to hold this calibration already"
    )
    p.add_argument(
        "--until",
        type=_date,
        default=None,
        help="last day of the record used (replaces window.until)",
    )
    p.add_argument(
        "--holdout-until",
        type=_date,
        default=None,
        help="rolling origin: predict and score (until, DATE] (replaces window.holdout_until)",
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help="skip report.md and the figures (the posterior only)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_cluster_options(p)
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run the calibration, the hold-out check if asked, and the report."""
    from escalation_sim.calibration.config import resolve_calibration
    from escalation_sim.calibration.engine import calibrate
    from escalation_sim.calibration.holdout import run_holdout, skill_summary
    from escalation_sim.calibration.report import write_calibrated_values, write_report
    from escalation_sim.experiments.cluster import executor_from_args

    cal = resolve_calibration(args.config, until=args.until)
    if args.holdout_until is not None:
        from escalation_sim.calibration.config import check_window

        check_window(args.holdout_until, "--holdout-until", "")
        window = cal.config.window.model_copy(update={"holdout_until": args.holdout_until})
        cfg = cal.config.model_copy(update={"window": window})
        cal = resolve_calibration(cfg, source=cal.source)
    out = args.out or Path("results") / cal.config.name
    executor = executor_from_args(args)
    try:
        result = calibrate(
            cal,
            out,
            workers=args.workers,
            resume=args.resume,
            progress=not args.quiet,
            executor=executor,
        )
        scores = run_holdout(
            cal,
            out,
            result.posterior,
            result.meta,
            workers=args.workers,
            progress=not args.quiet,
            executor=executor,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished runs are stored in {out}; run the same command again to finish",
            file=sys.stderr,
        )
        return 130
    finally:
        if executor is not None:
            executor.close()
    holdout: dict[str, Any] | None = None
    if scores is not None:
        holdout = skill_summary(scores)
        meta = {
            **result.meta,
            "holdout": holdout,
            "holdout_until": str(cal.config.window.holdout_until),
        }
        (out / "holdout.json").write_text(json.dumps(holdout, indent=1))
        result.meta.update(meta)
    priors = cal.priors
    values = {n: float(cal.scenario.parameters[n].value) for n in priors}
    command = f"escalation-sim calibrate {args.config} --out {out}"
    for flag in ("until", "holdout_until", "workers", "scheduler", "dask_local"):
        if getattr(args, flag, None) is not None:
            command += f" --{flag.replace('_', '-')} {getattr(args, flag)}"
    write_calibrated_values(result.meta, out)
    report = out / "posterior.csv"
    if not args.no_report:
        report = write_report(result, priors, values, holdout, scores, command)
    if not args.quiet:
        m = result.meta
        print(
            f"{m['name']}: {m['sets']} parameter sets, effective sample size "
            f"{m['effective_sample_size']:.1f}, {m['targets']} targets in "
            f"{len(m['patterns'])} patterns; posterior {out / 'posterior.csv'}; report {report}"
        )
    return 0


def add_apply_calibration(sub: argparse._SubParsersAction) -> None:
    """Register ``escalation-sim apply-calibration``."""
    p = sub.add_parser(
        "apply-calibration",
        help="write a calibration's posterior medians into scenario files",
        description="Set each calibrated parameter's value in the scenario files to the "
        "weighted posterior median of a finished calibration (3 significant figures) and its "
        'source to "calibrated: ..." (config, sets, 90%% interval, window, date, prior), in '
        "place: comments and layout are kept, the source replaced stays as a comment. Every "
        "file is validated before any is written; applying again changes nothing. A "
        "calibration whose window goes past 26 Nov 2024 is refused. Exit status: 0 done, "
        "2 bad input. docs/calibration.md, 'Applying a posterior'.",
    )
    p.add_argument("results", type=Path, help="a finished calibration's directory (its --out)")
    p.add_argument(
        "--scenario",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help="scenario TOML file(s) to rewrite in place",
    )
    p.add_argument(
        "--parameters",
        nargs="+",
        default=None,
        metavar="NAME",
        help="only these calibrated parameters (default: every one the calibration estimated)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    p.set_defaults(func=cmd_apply_calibration)


def cmd_apply_calibration(args: argparse.Namespace) -> int:
    """Apply, then print one line per parameter and file: old -> new."""
    from escalation_sim.calibration.apply import apply_calibration

    changes, values = apply_calibration(
        args.results, args.scenario, args.parameters, write=not args.dry_run
    )
    for c in changes:
        what = f"{c.old} -> {c.new}" if c.changed else f"{c.new} (value unchanged)"
        print(f"{c.path}: {c.name} {what}")
    for v in values:
        if v.edge:
            print(f"warning: {v.name}: {v.edge}", file=sys.stderr)
    if args.dry_run:
        print("dry run: nothing written")
    return 0
