"""``escalation-sim sweep`` and ``escalation-sim report``: the CLI of the experiments package.

Exit status of ``sweep``: 0 when every run finished, 1 when some run failed (recorded in
``runs/`` with its error) or a worker died, 2 for a bad config or output directory (or one whose
chunks do not match the design: ``--repair``), 128 + the signal when interrupted (130 Ctrl-C,
143 SIGTERM, 129 SIGHUP; what finished is stored; rerunning the command resumes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from escalation_sim.experiments.cluster import add_cluster_options, executor_from_args

EXIT_RUNS_FAILED = 1


def add_sweep(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim sweep``: run an experiment config in batch."""
    from escalation_sim.cli import int_at_least, positive_int, weeks_int
    from escalation_sim.experiments import limits as lim

    p = sub.add_parser(
        "sweep",
        help="run every design point x seed of an experiment config, in parallel, resumably",
        description="Run every design point x seed of an experiment config on local worker "
        "processes and store the results in DIR: runs/ (one row per run), timeseries/ (one row "
        "per run and week), both Parquet datasets written in atomic chunks, then the report "
        "(summary.csv, effects.csv, figures/, report.md). Rerunning into DIR skips the runs "
        "already stored (a sweep killed at any moment loses no finished chunk); a different "
        "config is refused. Exit status: 0 all runs finished, 1 some run failed, 2 bad config, "
        "130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (what finished is stored). With --scheduler or "
        "--dask-local the runs go to a Dask cluster instead (the same runs, the same "
        "directory).",
    )
    p.add_argument("config", type=Path, help="experiment config (TOML), e.g. experiments/*.toml")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="worker processes (default: all cores; 1 = in this process)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="sweep directory (default results/<name>)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in DIR; fail if DIR holds none (rerunning resumes anyway)",
    )
    p.add_argument(
        "--seeds",
        type=int_at_least(1, maximum=lim.MAX_SEEDS),
        default=None,
        help="seeds per point, a quick trial (default: the config's seeds.per_point; "
        f"at most {lim.MAX_SEEDS:,})",
    )
    p.add_argument(
        "--weeks",
        type=weeks_int,
        default=None,
        help="weeks per run, a quick trial (default: the config's weeks, else the scenario's)",
    )
    p.add_argument(
        "--precision",
        type=_positive_float,
        default=None,
        metavar="W",
        help="adaptive replication: after the first seeds, add seeds (common random numbers) "
        "round by round only at points whose headline interval (P(ISIS resurgence), Wilson) "
        "is wider than W (high - low; 0.2 = the brief's +/-10 points); default: the config's "
        "[replication] precision, else none",
    )
    p.add_argument(
        "--max-seeds",
        type=int_at_least(1, maximum=lim.MAX_SEEDS),
        default=None,
        metavar="N",
        help="adaptive replication: at most N seeds per point (default: the config's "
        "[replication] max_seeds, else enough for W at a probability of 0.5)",
    )
    p.add_argument(
        "--chunk-runs",
        type=int_at_least(1, maximum=lim.MAX_CHUNK_RUNS),
        default=500,
        help="runs per Parquet chunk, rounded up to whole tasks (default 500)",
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="move chunks that do not match the design (damaged, duplicated, outside it) into "
        "DIR/quarantine/ and run their runs again, instead of refusing the directory",
    )
    p.add_argument("--no-report", action="store_true", help="skip the report at the end")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_cluster_options(p)  # --scheduler, --dask-local (experiments.cluster)
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep, then its report; the exit status says whether any run failed."""
    from escalation_sim.experiments.config import resolve
    from escalation_sim.experiments.executors import WorkerLostError, default_workers
    from escalation_sim.experiments.runner import SweepInterrupted, run_sweep

    exp = resolve(
        args.config,
        seeds=args.seeds,
        weeks=args.weeks,
        precision=args.precision,
        max_seeds=args.max_seeds,
    )
    out = args.out or Path("results") / exp.name
    workers = args.workers
    cores = default_workers()
    if workers is not None and workers > cores and not (args.scheduler or args.dask_local):
        print(f"note: --workers {workers} capped at {cores}, the cores available", file=sys.stderr)
        workers = cores
    executor = executor_from_args(args)  # a Dask cluster, or None for local processes
    try:
        results = run_sweep(
            exp,
            out,
            workers=workers,
            resume=args.resume,
            repair=args.repair,
            progress=not args.quiet,
            chunk_runs=args.chunk_runs,
            executor=executor,
        )
    except SweepInterrupted as exc:
        print(f"{exc}; run the same command again to finish", file=sys.stderr)
        return exc.exit_status
    except WorkerLostError as exc:
        print(f"error: {exc}; finished runs are stored in {out}; rerun to resume", file=sys.stderr)
        return EXIT_RUNS_FAILED
    finally:
        if executor is not None:
            executor.close()
    n_failed = len(results.failed)
    if not args.no_report:
        try:
            results.report()
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP while drawing
            signum = getattr(exc, "signum", 2)
            print(
                f"interrupted while writing the report: all {len(results.runs)} runs are stored "
                f"in {out}; `escalation-sim report {out}` writes it",
                file=sys.stderr,
            )
            return 128 + signum
    if not args.quiet:
        from escalation_sim.experiments.brief import seeds_text

        seeds = seeds_text(results.experiment)
        print(
            f"{exp.name}: {len(results.runs)} runs ({len(exp.design.points)} points x "
            f"{seeds} seeds, {exp.weeks} weeks), {n_failed} failed; "
            f"stored in {out}" + ("" if args.no_report else f"; report: {out / 'report.md'}")
        )
    if n_failed:
        first = results.failed.iloc[0]
        print(
            f"error: {n_failed} run(s) failed (see {out}/runs, status = error); first: point "
            f"{first['point_id']} seed {first['seed']}: {first['error']}",
            file=sys.stderr,
        )
        return EXIT_RUNS_FAILED
    return 0


def _positive_float(text: str) -> float:
    """An argparse type: a finite number above 0."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed; allowed: a number above 0")
    return value


def add_report(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim report``: summary, effects, figures and report.md of a sweep."""
    p = sub.add_parser(
        "report",
        help="write the report of a sweep directory (summary, effects, figures, report.md)",
        description="Analyse the runs stored in a sweep directory (complete, interrupted or "
        "still running) and write DIR/summary.csv, DIR/effects.csv, DIR/figures/*.png and "
        "DIR/report.md.",
    )
    p.add_argument("dir", type=Path, help="sweep directory")
    p.add_argument(
        "--out", type=Path, default=None, help="write the report here instead (default: DIR)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of a sweep directory."""
    from escalation_sim.experiments.results import load_results

    results = load_results(args.dir)
    written = results.report(args.out)
    if not args.quiet:
        for path in written:
            print(f"  wrote {path}")
    return 0


def add_discover(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim discover``: scenario discovery (PRIM, CART) over a sweep's runs."""
    p = sub.add_parser(
        "discover",
        help="scenario discovery over a sweep: where in the design an outcome is concentrated",
        description="Find boxes in the space of a sweep's design parameters where an outcome "
        "of interest is concentrated: PRIM (EMA Workbench) or CART (scikit-learn), with extra-"
        "trees feature scores. Cases are the design points (each with the share of its runs of "
        "interest); boxes are fitted on the even seed indices and checked on the odd ones. "
        "Writes DIR/discovery/ (boxes.csv, trajectory.csv, feature_scores.csv, figures) and "
        "rewrites DIR/report.md with a section on it. Needs the discovery extra: pip install "
        "'escalation-sim[discovery]'.",
    )
    p.add_argument("dir", type=Path, help="sweep directory")
    p.add_argument(
        "--outcome",
        required=True,
        help="run-level outcome, e.g. isis_resurgence (see escalation_sim.RUN_OUTCOMES)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="a run is of interest when a numeric outcome is above this (default: the runs' "
        "80th percentile; ignored for yes/no outcomes)",
    )
    p.add_argument("--method", choices=["prim", "cart"], default="prim", help="default prim")
    p.add_argument(
        "--min-coverage",
        type=float,
        default=0.5,
        help="PRIM: the box keeps at least this share of the cases of interest (default 0.5)",
    )
    p.add_argument("--no-report", action="store_true", help="do not rewrite report.md")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    """Run scenario discovery on a sweep directory and add it to the report."""
    from escalation_sim.errors import ConfigError
    from escalation_sim.experiments.discovery import discover
    from escalation_sim.experiments.results import load_results

    if not 0 < args.min_coverage <= 1:
        raise ConfigError("--min-coverage", None, f"{args.min_coverage} must be in (0, 1]")
    results = load_results(args.dir)
    written = discover(
        results,
        args.outcome,
        args.threshold,
        args.method,
        min_coverage=args.min_coverage,
    )
    if not args.no_report:
        written += results.report()
    if not args.quiet:
        for path in written:
            print(f"  wrote {path}")
    return 0
