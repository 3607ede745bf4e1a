"""Gather the benchmarks' JSON files into ``results.md`` (tables with the ratios) and one JSON.

``make bench`` runs every benchmark into ``benchmarks/out/`` and then this script:

    python benchmarks/results.py benchmarks/out benchmarks/results.md benchmarks/results.json
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

SECTIONS = {
    "model": "model_speed.json",
    "scaling": "scaling.json",
    "throughput": "throughput.json",
    "batch_run": "sweep_speed.json",
    "viz": "viz_speed.json",
    "cli": "cli_start.json",
    "lean": "lean.json",
    "ema": "ema.json",
}


def machine(out: Path) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    started = out / "started"
    elapsed = time.time() - float(started.read_text()) if started.exists() else None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    versions = {}
    for dist in ("escalation-sim", "mesa", "numpy", "dask", "distributed"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_end": list(os.getloadavg()),
        "python": platform.python_version(),
        "versions": versions,
        "bench_minutes": elapsed / 60 if elapsed is not None else None,
    }


def f(x: float, digits: int = 2) -> str:
    """A number for a table: thousands separated, ``digits`` significant decimals."""
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def aim(ok: bool) -> str:
    return "met" if ok else "**not met**"


def model_section(m: dict) -> tuple[list[str], list[list]]:
    d, v = m["default"], m["virus_on_network"]
    ratio = m["ratio_agent_steps_per_second_default_over_virus"]
    lines = [
        "## 1. Model speed: agent-steps per second against Mesa's virus_on_network",
        "",
        f"An agent-step is {m['agent_step']}; agent-steps per second = the sum over steps of the "
        "agents alive, divided by the wall time of the steps (building excluded). Both models "
        f"are stepped {m['weeks']} times, {m['repeats']} runs each, interleaved; medians.",
        "",
        *table(
            ["model", "agents (mean)", "agent-steps / s", "µs / agent-step"],
            [
                [
                    "escalation-sim, default scenario",
                    f(d["agents_mean"], 0),
                    f(d["agent_steps_per_second"]),
                    f(d["us_per_agent_step"]),
                ],
                [
                    "Mesa virus_on_network",
                    v["agents"],
                    f(v["agent_steps_per_second"]),
                    f(v["us_per_agent_step"]),
                ],
                ["**ratio** (escalation-sim / virus)", "", f"**{ratio:.2f}**", ""],
            ],
        ),
        f"virus_on_network: {v['parameters']}. Agents here: states, armed forces and ISIS cells "
        "(Mesa agents); the recruitment rule's representative recruits (200 per region) are "
        "numpy arrays and are not counted.",
        "",
        *_hindcast_lines(m),
        f"A default two-year run: {f(m['run_seconds_median'], 3)} s (slowest "
        f"{f(m['run_seconds_max'], 3)} s), {f(m['ms_per_week'], 3)} ms a week; building the "
        f"model {f(1000 * m['build_seconds_median'], 1)} ms; an empty Mesa model stepped as "
        f"often {f(1000 * m['empty_mesa_model_seconds'], 2)} ms.",
        "",
        "Where a step's time goes (``python benchmarks/profile_model.py`` for a full profile):",
        "",
        *table(
            ["phase", "ms / step", "share"],
            [
                [name, f(p["ms_per_step"], 3), f"{100 * p['share']:.0f}%"]
                for name, p in m["phases"].items()
            ],
        ),
    ]
    aims = [
        [
            "model: agent-steps/s at least twice virus_on_network's (ratio ≥ 2)",
            f"{ratio:.2f}",
            aim(ratio >= 2),
        ]
    ]
    return lines, aims


def _hindcast_lines(m: dict) -> list[str]:
    """The hindcast run and the kernels' compile time (absent from older model_speed.json)."""
    h = m.get("hindcast")
    if h is None:
        return []
    ratio = m["ratio_agent_steps_per_second_hindcast_over_virus"]
    how = "compiled (numba)" if m["compiled"] else "as plain Python (NUMBA_DISABLE_JIT=1)"
    return [
        f"The 2013-2019 hindcast on the lean path ({h['weeks']} weeks, "
        f"{f(h['agents_mean'], 0)} agents on average): **{f(h['run_seconds_median'], 3)} s a "
        f"run**, {f(h['agent_steps_per_second'])} agent-steps / s, **{ratio:.2f}** times "
        "virus_on_network's.",
        "",
        f"Kernels ran {how}; compiling them on the first call took "
        f"**{f(m['compile_seconds'], 2)} s**, once per process (a sweep worker compiles in its "
        "initialiser), outside every run's time.",
        "",
    ] + (
        [
            "numba caches the machine code on disk: a new process that finds it (a sweep worker, "
            f"a CLI run) loads it in **{f(m['cache_load_seconds'], 2)} s** instead.",
            "",
        ]
        if "cache_load_seconds" in m
        else []
    )


def scaling_section(s: dict) -> tuple[list[str], list[list]]:
    fit, top = s["exponent_fit"], s["exponent_largest_two"]
    lines = [
        "## 2. Scaling: 1x, 10x, 100x regions and agents",
        "",
        f"{s['scenario']}; {s['weeks']} weeks timed per run, {s['repeats']} runs per size "
        "(interleaved), medians.",
        "",
        *table(
            ["copies", "regions", "agents (mean)", "ms / step", "µs / agent-step", "build s"],
            [
                [
                    r["copies"],
                    r["regions"],
                    f(r["agents_mean"], 0),
                    f(r["ms_per_step"]),
                    f(r["us_per_agent_step"]),
                    f(r["build_seconds"], 3),
                ]
                for r in s["sizes"]
            ],
        ),
        f"Fitted exponent of time per step against size (log-log, all sizes): **{fit:.2f}**; "
        f"between the two largest sizes: **{top:.2f}**; against agents alive: "
        f"{s['exponent_fit_vs_agents']:.2f}. Building the model: exponent "
        f"{s['build_exponent_fit']:.2f}. (1 = linear; the small theatre pays a fixed cost per "
        "step that larger ones spread, which pulls the all-sizes fit below 1.)",
        "",
    ]
    aims = [
        ["scaling: fitted exponent < 1.1", f"{fit:.2f}", aim(fit < 1.1)],
        ["scaling: exponent between the two largest sizes < 1.1", f"{top:.2f}", aim(top < 1.1)],
    ]
    return lines, aims


def throughput_section(t: dict) -> tuple[list[str], list[list]]:
    names = {"local_1": "local, 1 worker (in process)", "local_2": "local, 2 processes"}
    names |= {"dask_1": "Dask LocalCluster, 1 worker", "dask_2": "Dask LocalCluster, 2 workers"}
    rows = []
    for key, label in names.items():
        r = t["throughput"][key]
        rows.append(
            [
                label,
                f(r["sweep_seconds"]),
                f(r["runs_per_second"]),
                f(r["seconds"]),
                f(r["cpu_seconds"]),
                f(r["cluster_start_seconds"]),
                f(r["peak_pss_mb"], 0),
                f(r["load_average_before"]),
            ]
        )
    local, dask = t["speedup_2_over_1_workers_local"], t["speedup_2_over_1_workers_dask"]
    ceil = t.get("parallel_ceiling", {}).get("speedup")
    lines = [
        "## 3. Sweep throughput: 1 and 2 workers, local processes and Dask",
        "",
        f"The same sweep ({t['design']}, {t['runs']} runs) four ways, each in a fresh "
        f"interpreter, ABBA order, {t['repeats']} pair(s), medians. 'sweep s' is run_sweep "
        "alone; 'command s' the whole process (interpreter, imports, cluster start).",
        "",
        *table(
            [
                "backend",
                "sweep s",
                "runs / s",
                "command s",
                "CPU s",
                "cluster start s",
                "peak PSS MB",
                "load before",
            ],
            rows,
        ),
        "On 2 cores the speed-up cannot exceed 2, and work by other processes ('load before') "
        "takes it down; so does the last task of a sweep running alone. "
        f"Speed-up, 2 workers over 1: local **{local:.2f}x**, Dask **{dask:.2f}x**. "
        + (
            f"The machine's own ceiling, measured in the same run (two processes running the "
            f"model alone, no runner, no I/O): **{ceil:.2f}x**; the runner reaches "
            f"{local / ceil:.0%} of it locally and {dask / ceil:.0%} on Dask. "
            if ceil
            else ""
        )
        + (
            f"The local backend's 2 workers start from a fork server that imports the model "
            f"first: {t['local_pool_start_seconds']:.2f} s before the first run (measured alone), "
            f"a fixed cost the 1-worker sweep, run in process, does not pay; without it the local "
            f"speed-up would be {t['speedup_2_over_1_workers_local_without_pool_start']:.2f}x, "
            f"and a longer sweep approaches that. "
            if "local_pool_start_seconds" in t
            else ""
        )
        + "Dask / "
        f"local throughput on 2 workers: {t['dask_over_local_runs_per_second_2_workers']:.2f}. "
        f"Identical runs all four ways: {t['identical_runs_all_four_ways']}.",
        "",
        "## 4. Peak memory at 200 and 2,000 runs",
        "",
        f"{t['memory_design']}; peaks over the whole process tree (sampled every 0.1 s).",
        "",
    ]
    mem_rows = []
    for backend in ("local", "dask"):
        for n in (200, 2000):
            r = t["memory"][f"{backend}_{n}"]
            mem_rows.append(
                [
                    backend,
                    f"{n:,}",
                    f(r["peak_pss_mb"], 0),
                    f(r["peak_rss_mb"], 0),
                    f(r["peak_driver_rss_mb"], 0),
                    f(r["seconds"]),
                ]
            )
        ratio = t["memory_ratio_2000_over_200"][backend]
        mem_rows.append(
            [
                f"**{backend}: 2,000 / 200**",
                "",
                f"**{ratio['peak_pss_mb']:.2f}**",
                f"{ratio['peak_rss_mb']:.2f}",
                f"{ratio['peak_driver_rss_mb']:.2f}",
                "",
            ]
        )
    lines += table(
        ["backend", "runs", "peak PSS MB (tree)", "peak RSS MB (tree)", "driver RSS MB", "s"],
        mem_rows,
    )
    flat = max(t["memory_ratio_2000_over_200"][b]["peak_pss_mb"] for b in ("local", "dask"))
    aims = [
        ["throughput: 2 workers ≥ 1.8x 1 worker (local)", f"{local:.2f}", aim(local >= 1.8)],
        ["throughput: 2 workers ≥ 1.8x 1 worker (Dask)", f"{dask:.2f}", aim(dask >= 1.8)],
        ["memory: flat from 200 to 2,000 runs (PSS ratio ≤ 1.1)", f"{flat:.2f}", aim(flat <= 1.1)],
    ]
    return lines, aims


def batch_run_section(b: dict) -> tuple[list[str], list[list]]:
    rows = [
        [
            side,
            f(b[side]["seconds"]),
            f(b[side]["runs_per_second"]),
            f(b[side]["cpu_seconds"]),
            f(b[side]["peak_pss_mb"], 0),
            f(b[side]["peak_rss_mb"], 0),
        ]
        for side in ("runner", "batch_run")
    ]
    thr = b["throughput_ratio_runner_over_batch_run"]
    pss = b["peak_pss_ratio_runner_over_batch_run"]
    lines = [
        "## 5. The runner against Mesa's batch_run (from the sweep issue)",
        "",
        f"{b['design']}, {b['runs']} runs of {b['weeks']} weeks on {b['workers']} processes, "
        f"same model and seeds; {b['repeats']} runs per side, ABBA, medians "
        "(``benchmarks/bench_sweep.py``).",
        "",
        *table(["side", "seconds", "runs / s", "CPU s", "peak PSS MB", "peak RSS MB"], rows),
        f"Runner / batch_run: throughput **{thr:.2f}**, CPU seconds "
        f"{b['cpu_seconds_ratio_runner_over_batch_run']:.2f}, peak PSS **{pss:.2f}**, peak RSS "
        f"{b['peak_rss_ratio_runner_over_batch_run']:.2f}. Identical outcomes: "
        f"{b['identical_outcomes']}. batch_run held {f(b['batch_run_results_in_memory_mb'], 1)} "
        f"MB of results in memory ({f(b['batch_run_results_mb_per_100_runs'], 2)} MB per 100 "
        "runs, growing with runs x weeks); the runner holds at most one chunk. Both spend "
        "nearly all their time in the model's step, so a faster model speeds both alike.",
        "",
    ]
    aims = [
        ["runner vs batch_run: ≥ 2x throughput", f"{thr:.2f}", aim(thr >= 2)],
        [
            "runner vs batch_run: the same memory or better (PSS ratio ≤ 1.05, sampling noise)",
            f"{pss:.2f}",
            aim(pss <= 1.05),
        ],
    ]
    return lines, aims


def viz_section(v: dict) -> tuple[list[str], list[list]]:
    lines = [
        "## 6. Browser view",
        "",
        f"Redrawing the page after a step: median {f(v['page_seconds_median'], 3)} s, slowest "
        f"{f(v['page_seconds_max'], 3)} s; one model step {f(1000 * v['model_step_seconds'], 2)} "
        f"ms, so a redraw costs {f(v['page_over_step'], 0)} model steps "
        "(``benchmarks/bench_viz.py``).",
        "",
    ]
    aims = [
        [
            "browser: a redraw well under a second",
            f(v["page_seconds_max"], 3),
            aim(v["page_seconds_max"] < 1),
        ]
    ]
    if "play_weeks_per_second" in v:
        lines[-1:-1] = [
            "",
            f"Play ({v['play_interval_ms']} ms pause a week): "
            f"{f(v['play_weeks_per_second'], 1)} weeks a second "
            f"({f(v['play_weeks_per_second_compare'], 1)} in compare mode, two runs); compare "
            f"mode's redraw: median {f(v['compare_page_seconds_median'], 3)} s.",
        ]
        aims += [
            [
                "browser: one redraw at most 0.1 s (median)",
                f(v["page_seconds_median"], 3),
                aim(v["page_seconds_median"] <= 0.1),
            ],
            [
                "browser: Play at least 5 weeks a second",
                f(v["play_weeks_per_second"], 1),
                aim(v["play_weeks_per_second"] >= 5),
            ],
        ]
    return lines, aims


def cli_section(c: dict) -> tuple[list[str], list[list]]:
    rows = [
        [
            f"`{name}`",
            f(r["wall_seconds_median"], 3),
            f(r["wall_seconds_min"], 3),
            f(r["cpu_seconds_median"], 3),
            f"**{r['ratio_wall_over_python']:.1f}**",
        ]
        for name, r in c["commands"].items()
    ]
    heavy = ", ".join(c["help_imports_heavy"]) or "none"
    slow = ", ".join(
        f"{r['module']} {r['cumulative_us'] / 1000:.0f} ms" for r in c["params_slowest_imports"][:4]
    )
    lines = [
        "## 7. Command-line start",
        "",
        f"Each command {c['repeats']} times in a fresh process, interleaved round-robin, after "
        "uncounted warm-up rounds; medians (``benchmarks/bench_cli.py``). The ratio is the "
        "command's median wall time over ``python -c pass``'s in the same rounds. CPU time "
        "(user + system) suffers much less than wall time when other work shares the cores "
        f"(load average before: {c['load_average_before']:.2f}).",
        "",
        *table(["command", "wall s (median)", "wall s (min)", "CPU s", "ratio to python"], rows),
        f"Heavy packages ``--help`` imports (Mesa, pandas, scipy, matplotlib, numpy, pydantic, "
        f"networkx): {heavy}. Slowest imports of ``params`` (``-X importtime``, cumulative): "
        f"{slow}.",
        "",
    ]
    aims = [
        [
            f"CLI: `{name}` under 0.3 s (median wall)",
            f(r["wall_seconds_median"], 3),
            aim(r["wall_seconds_median"] < 0.3),
        ]
        for name, r in c["commands"].items()
        if name != "python -c pass"
    ]
    return lines, aims


def lean_section(d: dict) -> tuple[list[str], list[list]]:
    rows, rec_rows = [], []
    for name, r in d["scenarios"].items():
        ms = r["ms_per_run"]
        rows.append(
            [
                name,
                f(ms["full"], 1),
                f(ms["lean_weekly"], 1),
                f(ms["lean"], 1),
                f(ms["model_alone"], 1),
                f"{r['ratio_full_over_lean']:.3f}",
                r["identical_outcomes"],
            ]
        )
        rec = r["recording_ms_per_run"]
        rec_rows.append(
            [
                name,
                rec["rows"],
                f(rec["full"], 2),
                f(rec["lean"], 2),
                f"**{rec['ratio_full_over_lean']:.1f}**",
            ]
        )
    lines = [
        "## 8. Lean run path: per-run cost",
        "",
        f"{d['runs']} runs each way, interleaved, medians (``benchmarks/bench_lean.py``). "
        "``full``: ``run()`` with Mesa's DataCollector and pandas tables (what sweeps ran "
        "before); ``lean (weekly)``: ``run_lean(weekly=True)``, weekly outcomes in a "
        "preallocated array; ``lean``: outcomes only; ``model alone``: the model built and "
        "stepped, nothing else.",
        "",
        *table(
            [
                "scenario",
                "full ms",
                "lean (weekly) ms",
                "lean ms",
                "model alone ms",
                "full / lean",
                "identical",
            ],
            rows,
        ),
        "The recording alone, per run (what each path does besides stepping, timed on a model "
        "that has run):",
        "",
        *table(["scenario", "weeks + 1", "full ms", "lean ms", "full / lean"], rec_rows),
    ]
    aims = [
        [
            "lean path: outcomes identical to the full path",
            str(all(r["identical_outcomes"] for r in d["scenarios"].values())),
            aim(all(r["identical_outcomes"] for r in d["scenarios"].values())),
        ]
    ]
    return lines, aims


def ema_section(e: dict) -> tuple[list[str], list[list]]:
    labels = {
        "runner_1": "runner, 1 worker (weekly = false)",
        "ema_sequential": "EMA SequentialEvaluator (model: run())",
        "runner_2": "runner, 2 processes (weekly = false)",
        "ema_multiprocessing": "EMA MultiprocessingEvaluator, 2 (model: run())",
        "ema_multiprocessing_lean": "EMA MultiprocessingEvaluator, 2 (model: run_lean())",
        "runner_weekly_2": "runner, 2 processes, weekly rows stored",
    }
    rows = [
        [
            label,
            f(e["sides"][k]["sweep_seconds"]),
            f(e["sides"][k]["runs_per_second"]),
            f(e["sides"][k]["seconds"]),
            f(e["sides"][k]["cpu_seconds"]),
            f(e["sides"][k]["peak_pss_mb"], 0),
        ]
        for k, label in labels.items()
    ]
    seq, mp = e["ratio_runner_over_ema_sequential"], e["ratio_runner_over_ema_multiprocessing"]
    lines = [
        "## 9. The runner against EMA Workbench's evaluators",
        "",
        f"{e['design']}, {e['runs']} runs of {e['weeks']} weeks, same model and seeds; each side "
        f"in a fresh interpreter, ABBA, {e['repeats']} round(s), medians "
        "(``benchmarks/bench_ema.py``). 'sweep s' is ``run_sweep`` or ``perform_experiments`` "
        "alone (worker pools' start included); 'command s' the whole process.",
        "",
        *table(["side", "sweep s", "runs / s", "command s", "CPU s", "peak PSS MB"], rows),
        f"Runner / EMA, runs per second: **{seq:.2f}** against the SequentialEvaluator, "
        f"**{mp:.2f}** against the MultiprocessingEvaluator (2 processes); "
        f"{e['ratio_runner_over_ema_multiprocessing_lean']:.2f} against EMA calling the lean "
        "path (the evaluators' own overhead only); storing every weekly row, "
        f"{e['ratio_runner_weekly_over_ema_multiprocessing']:.2f}. Whole commands (interpreter "
        f"and imports included): {e['ratio_whole_command_runner_over_ema_sequential']:.2f} and "
        f"{e['ratio_whole_command_runner_over_ema_multiprocessing']:.2f}; in CPU seconds of the "
        f"whole process tree: {e['cpu_ratio_runner_over_ema_sequential']:.2f} and "
        f"{e['cpu_ratio_runner_over_ema_multiprocessing']:.2f}. Identical outcomes: "
        f"{e['identical_outcomes']}. Every side spends nearly all its time in the model's step, "
        "so the ratios stay near 1 until the step itself is faster.",
        "",
    ]
    aims = [
        ["runner vs EMA SequentialEvaluator: ≥ 3x throughput", f"{seq:.2f}", aim(seq >= 3)],
        ["runner vs EMA MultiprocessingEvaluator: ≥ 3x throughput", f"{mp:.2f}", aim(mp >= 3)],
    ]
    return lines, aims


def main() -> None:
    out, md_path, json_path = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    data = {}
    for name, file in SECTIONS.items():
        path = out / file
        if path.exists():
            data[name] = json.loads(path.read_text())
    info = machine(out)
    builders = {
        "model": model_section,
        "scaling": scaling_section,
        "throughput": throughput_section,
        "batch_run": batch_run_section,
        "viz": viz_section,
        "cli": cli_section,
        "lean": lean_section,
        "ema": ema_section,
    }
    body, aims = [], []
    for name, build in builders.items():
        if name in data:
            lines, section_aims = build(data[name])
            body += lines
            aims += section_aims
    minutes = info["bench_minutes"]
    head = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {info['date']} (commit {info['commit']}"
        + (f", {minutes:.1f} minutes in all" if minutes is not None else "")
        + f"). Machine: {info['cpu'] or platform.machine()}, {info['cores']} cores; Python "
        f"{info['python']}; "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        + ". Load average at the end: "
        + ", ".join(f"{x:.2f}" for x in info["load_average_at_end"])
        + " (above 0 means other work shared the cores: absolute times are then pessimistic; "
        "the ratios, measured in the same run and interleaved, much less so).",
        "",
        "## The aims",
        "",
        *table(["aim", "measured", ""], aims),
    ]
    md_path.write_text("\n".join(head + body))
    json_path.write_text(json.dumps({"machine": info, **data}, indent=2) + "\n")
    print(f"wrote {md_path} and {json_path}")


if __name__ == "__main__":
    main()
