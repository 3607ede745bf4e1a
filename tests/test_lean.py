"""The lean run path (sweeps, calibration) gives what the full path gives, bit for bit.

Across both scenarios and several switch settings: the weekly table, the run-level outcomes and
the events of ``EscalationModel(lean=True)`` equal those of the DataCollector's model exactly;
``run_lean`` equals ``run``; a sweep's batch table equals the per-run tables; and an experiment
with ``weekly = false`` stores its runs alone, with the same outcomes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import write_config

from escalation_sim import EscalationModel, run, run_lean
from escalation_sim.experiments import load_results, run_sweep
from escalation_sim.experiments.config import parse_config, resolve
from escalation_sim.experiments.tasks import Job, RunSpec, batch_frame, execute_lean, run_batch
from escalation_sim.outcomes import WeeklyRecorder, outcomes_from_columns, run_outcomes

DECEMBER_2024 = {"syria_collapse": 1.0, "collapse_guard_loss": 0.1}

#: (scenario, overrides, seed, weeks): both scenarios, levers and switches off.
CASES = [
    ("iraq_syria_2024", {}, 0, 104),
    ("iraq_syria_2024", {}, 3, 60),
    ("iraq_syria_2024", DECEMBER_2024, 1, 104),
    ("iraq_syria_2024", {**DECEMBER_2024, "mechanisms.recruitment": False}, 2, 80),
    ("iraq_syria_2024", {**DECEMBER_2024, "mechanisms.israel_escalation": False}, 4, 80),
    ("iraq_syria_2024", {**DECEMBER_2024, "mechanisms.militia_autonomy": False}, 5, 80),
    ("iraq_syria_2024", {"border_hardening": 0.0, "mechanisms.border_defence": False}, 6, 80),
    ("iraq_syria_2024", {"mechanisms.counter_terrorism": False}, 7, 150),  # past the capacity
    ("hindcast_2013", {}, 0, None),
    ("hindcast_2013", {"mechanisms.syria_chaos": False}, 1, 120),
]


def _both(scenario, overrides, seed, weeks):
    full = EscalationModel(scenario, overrides, rng=seed)
    lean = EscalationModel(scenario, overrides, rng=seed, lean=True)
    horizon = weeks if weeks is not None else full.spec.meta.weeks
    full.run_for(horizon)
    lean.run_for(horizon)
    return full, lean


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_lean_model_is_bit_identical(case):
    full, lean = _both(*case)
    assert not hasattr(lean, "datacollector") and lean.recorder is not None
    ts_full, ts_lean = full.timeseries(), lean.timeseries()
    pd.testing.assert_frame_equal(ts_lean, ts_full, check_exact=True)
    assert ts_lean.to_csv() == ts_full.to_csv()
    columns = lean.recorder.columns()
    for name, values in columns.items():
        np.testing.assert_array_equal(values, ts_full[name].to_numpy(), strict=True)
    assert outcomes_from_columns(columns, lean.p) == full.outcomes() == lean.outcomes()
    pd.testing.assert_frame_equal(lean.events_frame(), full.events_frame(), check_exact=True)


def test_run_lean_equals_run():
    for scenario, overrides, seed, weeks in CASES[::3]:
        full = run(scenario, overrides, seed=seed, weeks=weeks, events=False)
        lean = run_lean(scenario, overrides, seed=seed, weeks=weeks, weekly=True)
        assert lean.outcomes == full.outcomes
        assert lean.weekly is not None
        assert list(lean.weekly) == list(full.timeseries.columns[2:])
        for name, values in lean.weekly.items():
            np.testing.assert_array_equal(values, full.timeseries[name].to_numpy(), strict=True)
        assert run_lean(scenario, overrides, seed=seed, weeks=weeks).weekly is None


def test_batch_table_equals_the_per_run_tables(scenario):
    job = Job(scenario, dict(DECEMBER_2024), weeks=30)
    specs = [
        RunSpec("pa", 0, 11, {"border_hardening": 0.2}),
        RunSpec("pa", 1, 12, {"border_hardening": 0.2}),
        RunSpec("pb", 0, 11, {"mechanisms.recruitment": False}),
    ]
    batch = run_batch(job, specs)
    expected = []
    for spec in specs:
        r = run(scenario, {**job.overrides, **spec.params}, seed=spec.seed, weeks=job.weeks)
        ts = r.timeseries
        ts.insert(0, "seed", spec.seed)
        ts.insert(0, "seed_index", spec.seed_index)
        ts.insert(0, "point_id", spec.point_id)
        expected.append(ts)
        key = (spec.point_id, spec.seed_index)
        row = next(x for x in batch.runs if (x["point_id"], x["seed_index"]) == key)
        assert {k: row[k] for k in r.outcomes} == r.outcomes and row["status"] == "ok"
    assert batch.timeseries is not None
    pd.testing.assert_frame_equal(
        batch.timeseries, pd.concat(expected, ignore_index=True), check_exact=True
    )
    off = run_batch(Job(scenario, dict(DECEMBER_2024), weeks=30, weekly=False), specs)
    assert (
        off.timeseries is None
        and off.runs[0]["isis_attacks_iraq_total"] == (batch.runs[0]["isis_attacks_iraq_total"])
    )
    row, weekly = execute_lean(Job(scenario, {}, weeks=5), RunSpec("p", 0, 1, {}))
    assert weekly is not None and len(batch_frame(job, [(specs[0], weekly)])) == 6


def test_recorder_types_columns_as_the_datacollector():
    rec = WeeklyRecorder(capacity=1, names=("a", "b", "c"))
    rows = [{"a": 1, "b": 0, "c": 0.5}, {"a": np.int64(2), "b": 1.5, "c": np.float64(2)}]
    for r in rows:
        rec.record(r)
    cols = rec.columns()
    frame = pd.DataFrame(rows)
    for name in rec.names:
        np.testing.assert_array_equal(cols[name], frame[name].to_numpy(), strict=True)
    for bad in ("x", True, np.bool_(False)):
        with pytest.raises(TypeError, match="'a'"):
            rec.record({"a": bad, "b": 1, "c": 1.0})
    assert rec.size == 2


def test_run_outcomes_of_a_table_and_of_its_columns_agree():
    ts = run(seed=2, weeks=40, events=False).timeseries
    cols = {k: ts[k].to_numpy() for k in ts.columns if k != "date"}
    params = EscalationModel(rng=0).p
    assert run_outcomes(ts, params) == outcomes_from_columns(cols, params)


def test_weekly_false_stores_runs_only(tmp_path):
    cfg = write_config(tmp_path, weeks=6, seeds=2)
    on = run_sweep(cfg, tmp_path / "on", workers=1, progress=False)
    off_cfg = tmp_path / "off.toml"
    off_cfg.write_text(cfg.read_text().replace("weeks = 6", "weeks = 6\nweekly = false"))
    off = run_sweep(off_cfg, tmp_path / "off", workers=1, progress=False)
    key = ["point_id", "seed_index"]
    a = on.runs.drop(columns="seconds").sort_values(key).reset_index(drop=True)
    b = off.runs.drop(columns="seconds").sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert len(on.timeseries()) == 3 * 2 * 7 and off.timeseries().empty
    assert not list((tmp_path / "off" / "timeseries").glob("part-*"))
    # Reopened and resumed: the directory checks out (no "weekly rows missing"), nothing reruns.
    again = run_sweep(off_cfg, tmp_path / "off", workers=1, progress=False)
    assert len(again.runs) == len(off.runs)
    load_results(tmp_path / "off").report()
    assert "`weekly = false`" in (tmp_path / "off" / "report.md").read_text()


def test_weekly_is_in_the_hash_only_when_off():
    base = 'name = "h"\nweeks = 3\n'
    on, default = resolve(parse_config(base + "weekly = true\n")), resolve(parse_config(base))
    off = resolve(parse_config(base + "weekly = false\n"))
    assert "weekly" not in default.identity() and on.config_hash() == default.config_hash()
    assert off.identity()["weekly"] is False and off.config_hash() != on.config_hash()


def test_a_sweep_directory_refuses_the_other_weekly_setting(tmp_path):
    from escalation_sim.errors import ConfigError

    cfg = write_config(tmp_path, weeks=3, seeds=1)
    run_sweep(cfg, tmp_path / "out", workers=1, progress=False)
    off_cfg = tmp_path / "off.toml"
    off_cfg.write_text(cfg.read_text().replace("weeks = 3", "weeks = 3\nweekly = false"))
    with pytest.raises(ConfigError, match="weekly"):
        run_sweep(off_cfg, tmp_path / "out", workers=1, progress=False)
