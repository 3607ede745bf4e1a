"""Sweeps: parallel = serial, failures recorded, resume, the stored datasets, the report."""

import json

import pandas as pd
import pytest
from sweep_helpers import (
    REPO,
    comparable_runs,
    comparable_timeseries,
    read_dir,
    write_config,
)

from escalation_sim import RUN_OUTCOMES, WEEKLY_OUTCOMES
from escalation_sim.cli import main
from escalation_sim.experiments import load_results, run_sweep, tasks
from escalation_sim.experiments.executors import SerialExecutor


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serial")
    cfg = write_config(tmp, weeks=6, seeds=4)
    return cfg, run_sweep(cfg, tmp / "out", workers=1, progress=False, chunk_runs=3)


def test_serial_and_two_workers_give_identical_runs(serial_sweep, tmp_path):
    cfg, serial = serial_sweep
    parallel = run_sweep(cfg, tmp_path / "par", workers=2, progress=False, batch_size=2)
    pd.testing.assert_frame_equal(comparable_runs(serial.runs), comparable_runs(parallel.runs))
    pd.testing.assert_frame_equal(
        comparable_timeseries(serial.timeseries()), comparable_timeseries(parallel.timeseries())
    )
    # Seeds are per (point, seed index), stored in every row, the same at every point (CRN).
    seeds = serial.runs.groupby("seed_index")["seed"].nunique()
    assert (seeds == 1).all() and serial.runs["seed"].nunique() == 4


def test_datasets_read_with_pandas(serial_sweep):
    _, res = serial_sweep
    runs, ts = read_dir(res.path)
    assert (
        len(runs) == 3 * 4
        and res.complete
        and not runs.duplicated(["point_id", "seed_index"]).any()
    )
    assert {
        "point_id",
        "seed_index",
        "seed",
        "border_hardening",
        "status",
        "error",
        "seconds",
    } <= set(runs)
    assert set(RUN_OUTCOMES) <= set(runs.columns)
    assert (runs["status"] == "ok").all() and runs["error"].isna().all()
    assert len(ts) == 3 * 4 * 7  # weeks 0..6
    assert {"point_id", "seed_index", "seed", "week", "date", *WEEKLY_OUTCOMES} <= set(ts.columns)
    chunks = sorted((res.path / "runs").glob("part-*.parquet"))
    # chunk_runs=3: a chunk is committed once it holds 3 runs or more (whole tasks; the tasks
    # shrink towards the end of the sweep), the last one with what is left.
    sizes = [len(pd.read_parquet(c)) for c in chunks]
    assert sum(sizes) == 12 and all(n >= 3 for n in sizes[:-1]) and len(chunks) >= 3
    assert sorted(p.name for p in (res.path / "timeseries").iterdir()) == [c.name for c in chunks]
    manifest = json.loads((res.path / "manifest.json").read_text())
    assert manifest["runs_total"] == 12 and len(manifest["config_hash"]) == 64
    design = pd.read_csv(res.path / "design.csv")
    assert list(design["border_hardening"]) == [0.0, 0.5, 1.0]


def test_same_as_single_runs(serial_sweep):
    from escalation_sim import run

    _, res = serial_sweep
    row = res.runs.iloc[5]
    single = run(
        overrides={"border_hardening": row["border_hardening"]}, seed=int(row["seed"]), weeks=6
    )
    for key in ("isis_attacks_iraq_total", "infiltrations_total", "isis_fighters_iraq_final"):
        assert single.outcomes[key] == row[key]


def test_rerun_resumes_and_adds_nothing(serial_sweep, capsys):
    cfg, res = serial_sweep
    before = sorted(p.name for p in (res.path / "runs").iterdir())
    again = run_sweep(cfg, res.path, workers=1, progress=False, resume=True)
    assert sorted(p.name for p in (res.path / "runs").iterdir()) == before
    pd.testing.assert_frame_equal(comparable_runs(again.runs), comparable_runs(res.runs))


def test_partial_sweep_is_completed_by_a_rerun(tmp_path):
    cfg = write_config(tmp_path, weeks=4, seeds=3)
    small = run_sweep(cfg, tmp_path / "ref", workers=1, progress=False)
    out = tmp_path / "out"
    # Stop the first sweep after two batches, as Ctrl-C would.
    from escalation_sim.experiments.runner import SweepInterrupted

    class StopAfter(SerialExecutor):
        def map_unordered(self, fn, tasks, *, stop=None):
            for i, result in enumerate(super().map_unordered(fn, tasks, stop=stop)):
                if i == 1:
                    stop.set()
                yield result

    with pytest.raises(SweepInterrupted) as exc:
        run_sweep(cfg, out, executor=StopAfter(), batch_size=2, progress=False)
    assert exc.value.stored == 4 and exc.value.total == 9
    partial = load_results(out)
    assert not partial.complete and len(partial.runs) == 4
    assert sorted(partial.runs["seed_index"]) == [0, 0, 0, 1]  # seed-major order
    done = run_sweep(cfg, out, workers=1, progress=False)
    pd.testing.assert_frame_equal(comparable_runs(done.runs), comparable_runs(small.runs))


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    real_run = tasks.run_lean

    def flaky(*args, seed, **kw):
        if seed == target:
            raise ZeroDivisionError("boom")
        return real_run(*args, seed=seed, **kw)

    from escalation_sim.experiments.config import derive_seeds

    target = derive_seeds(7, 3)[1]
    monkeypatch.setattr(tasks, "run_lean", flaky)
    cfg = write_config(tmp_path, weeks=3, seeds=3)
    out = tmp_path / "out"
    assert main(["sweep", str(cfg), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "3 run(s) failed" in err and "ZeroDivisionError: boom" in err
    runs = pd.read_parquet(out / "runs")
    failed = runs[runs["status"] == "error"]
    assert len(runs) == 9 and len(failed) == 3  # seed 1 at each of the three points
    assert (failed["seed"] == target).all() and (failed["seed_index"] == 1).all()
    assert failed["error"].str.contains("ZeroDivisionError: boom").all()
    assert failed["isis_resurgence"].isna().all()
    assert sorted(failed["border_hardening"]) == [0.0, 0.5, 1.0]
    ts = pd.read_parquet(out / "timeseries")
    assert set(ts["seed_index"]) == {0, 2}
    report = (out / "report.md").read_text()
    assert "## Failed runs" in report and "boom" in report
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["n"] == 2).all() and (summary["failed"] == 1).all()


def test_report_files(serial_sweep, tmp_path):
    _, res = serial_sweep
    assert main(["report", str(res.path), "--out", str(tmp_path / "rep"), "--quiet"]) == 0
    rep = tmp_path / "rep"
    summary = pd.read_csv(rep / "summary.csv")
    effects = pd.read_csv(rep / "effects.csv")
    assert len(summary) == 3 * 3 and set(summary["outcome"]) == {
        "isis_resurgence",
        "isis_attacks_iraq_total",
        "infiltrations_total",
    }
    assert len(effects) == 2 * 3  # every point but the baseline, every outcome
    for name in ("response.png", "effects.png", "timeseries.png", "baseline_distribution.png"):
        assert (rep / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (rep / "report.md").read_text()
    for needle in (
        "## The experiment",
        "4 per point from root seed 7",
        "6 weeks",
        "![Response to the design parameters](figures/response.png)",
        "How to read the numbers",
        "Wilson",
    ):
        assert needle in text
    for link in [
        line.split("](")[1].rstrip(")") for line in text.splitlines() if "](figures/" in line
    ]:
        assert (rep / link).is_file()


@pytest.mark.parametrize(
    "name",
    [
        "baseline",
        "border_hardening",
        "syria_collapse",
        "border_x_collapse",
        "sensitivity",
        "robust_border",
    ],
)
def test_shipped_configs_run(tmp_path, name):
    out = tmp_path / name
    cfg = REPO / "experiments" / f"{name}.toml"
    seeds = "1" if name == "sensitivity" else "2"
    if name == "sensitivity":
        # The shipped design, smaller (80 Sobol + 36 Morris rows, not 820): the same
        # parameters, samplers and report at a seventh of the runs.
        text = cfg.read_text()
        for full, small in (
            ("samples = 64 ", "samples = 8 "),
            ("screening = 20 ", "screening = 4 "),
        ):
            assert full in text, f"experiments/sensitivity.toml no longer has {full!r}"
            text = text.replace(full, small)
        cfg = tmp_path / "sensitivity.toml"
        cfg.write_text(text)
    args = ["sweep", str(cfg), "--seeds", seeds, "--weeks", "3", "--out", str(out), "--quiet"]
    assert main([*args, "--workers", "1"]) == 0
    assert (out / "report.md").is_file() and (out / "summary.csv").is_file()
    if name == "border_x_collapse":
        assert (out / "figures" / "heatmap.png").is_file()
    if name == "robust_border":  # regret and satisficing per lever setting
        table = pd.read_csv(out / "robustness.csv")
        assert len(table) == 3 * 2 and {"max_regret", "satisficing_low"} <= set(table.columns)
        assert (out / "figures" / "robustness.png").is_file()
        assert "## Robustness of the lever settings" in (out / "report.md").read_text()
    if name == "sensitivity":  # Morris screening and Sobol indices from one sweep
        indices = pd.read_csv(out / "indices.csv")
        assert set(indices["method"]) == {"sobol", "morris"}
        assert set(indices["outcome"]) == {
            "isis_resurgence",
            "isis_fighters_iraq_final",
            "isis_attacks_iraq_total",
        }
        assert (out / "figures" / "sobol.png").is_file()
        assert (out / "figures" / "morris.png").is_file()
        text = (out / "report.md").read_text()
        assert (
            "| outcome | parameter | S1 | ST |" in text and "| outcome | parameter | mu* |" in text
        )
    res = load_results(out)
    assert res.complete and res.failed.empty


def test_sampled_design_reports_indices(tmp_path):
    text = """
name = "sob"
weeks = 3
outcomes = ["isis_attacks_iraq_total", "infiltrations_total"]
[seeds]
per_point = 1
[design]
sampler = "sobol"
samples = 8
[design.parameters]
border_hardening = {{ min = 0.0, max = 1.0 }}
syria_collapse = {{ min = 0.0, max = 1.0 }}
[analysis]
resamples = 199
"""
    cfg = write_config(tmp_path, text)
    res = run_sweep(cfg, tmp_path / "out", workers=1, progress=False)
    idx = res.sensitivity()
    assert set(idx["parameter"]) == {"border_hardening", "syria_collapse"}
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(idx.columns)
    res.report()
    assert (tmp_path / "out" / "indices.csv").is_file()
    assert (tmp_path / "out" / "figures" / "sobol.png").is_file()
    assert "Sobol indices" in (tmp_path / "out" / "report.md").read_text()


def test_api_without_a_directory():
    import textwrap

    from escalation_sim.experiments.config import parse_config

    cfg = parse_config(
        textwrap.dedent(
            """
            name = "mem"
            weeks = 2
            [seeds]
            per_point = 2
            """
        )
    )
    res = run_sweep(cfg, workers=1, progress=False)
    assert res.path.is_dir() and len(res.runs) == 2 and len(res.timeseries()) == 2 * 3
    assert set(res.summary()["outcome"]) >= {"isis_resurgence"}


def test_new_analysis_settings_apply_without_rerunning(tmp_path):
    from sweep_helpers import TINY

    cfg = write_config(tmp_path, weeks=3, seeds=2)
    first = run_sweep(cfg, tmp_path / "out", workers=1, progress=False)
    parts = sorted((tmp_path / "out" / "runs").iterdir())
    cfg.write_text(
        TINY.format(weeks=3, seeds=2).replace(
            '"infiltrations_total"]', '"infiltrations_total", "escalation_level_max"]'
        )
    )
    again = run_sweep(cfg, tmp_path / "out", workers=1, progress=False)
    assert sorted((tmp_path / "out" / "runs").iterdir()) == parts  # nothing run again
    assert "escalation_level_max" in set(again.summary()["outcome"])
    assert "escalation_level_max" not in set(first.summary()["outcome"])
    assert "escalation_level_max" in set(load_results(tmp_path / "out").summary()["outcome"])


def test_guided_batches_shrink_towards_the_end():
    from escalation_sim.experiments.runner import _guided_batches

    specs = iter(range(108))
    sizes = [len(b) for b in _guided_batches(specs, 108, workers=2, largest=7)]
    assert sum(sizes) == 108 and max(sizes) == 7
    assert sizes == sorted(sizes, reverse=True)  # never grows
    assert sizes[-3:] == [1, 1, 1]  # the tail is single runs: no worker idles on a full batch
