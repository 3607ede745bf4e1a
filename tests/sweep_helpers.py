"""Helpers shared by the experiment tests: tiny configs and comparable views of a sweep."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from escalation_sim.experiments import run_sweep

CLI = [sys.executable, "-m", "escalation_sim.cli"]
REPO = Path(__file__).resolve().parent.parent

TINY = """
name = "tiny"
weeks = {weeks}
outcomes = ["isis_resurgence", "isis_attacks_iraq_total", "infiltrations_total"]

[seeds]
root = 7
per_point = {seeds}

[design]
sampler = "grid"

[design.parameters]
border_hardening = {{ values = [0.0, 0.5, 1.0] }}

[baseline]
border_hardening = 0.5

[analysis]
resamples = 199
"""


def write_config(directory: Path, text: str | None = None, name: str = "tiny.toml", **fmt) -> Path:
    """Write a config (default: the tiny grid: 3 points, ``seeds`` seeds, ``weeks`` weeks)."""
    path = Path(directory) / name
    values = {"weeks": 5, "seeds": 4, **fmt}
    path.write_text((text or TINY).format(**values))
    return path


def comparable_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs sorted by (point, seed index), without the wall-clock column."""
    return (
        frame.drop(columns=["seconds"])
        .sort_values(["point_id", "seed_index"])
        .reset_index(drop=True)
    )


def comparable_timeseries(frame: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows sorted by (point, seed index, week)."""
    return frame.sort_values(["point_id", "seed_index", "week"]).reset_index(drop=True)


def read_dir(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both datasets of a sweep directory, read as a user would, with pandas."""
    return pd.read_parquet(out / "runs"), pd.read_parquet(out / "timeseries")


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``directory`` with its bytes and modification time."""
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def serial_reference(directory: Path, seeds: int, weeks: int):
    """A serial sweep of the tiny grid: its config, and its runs and weekly rows to compare with."""
    cfg = write_config(directory, seeds=seeds, weeks=weeks)
    res = run_sweep(cfg, Path(directory) / "out", workers=1, progress=False)
    return cfg, comparable_runs(res.runs), comparable_timeseries(res.timeseries())


def assert_same_as_reference(out: Path, reference) -> None:
    """``out`` holds exactly the reference's runs and weekly rows: none twice, none missing."""
    _, ref_runs, ref_ts = reference
    runs, ts = read_dir(out)
    assert not runs.duplicated(["point_id", "seed_index"]).any()
    assert not ts.duplicated(["point_id", "seed_index", "week"]).any()
    pd.testing.assert_frame_equal(comparable_runs(runs), ref_runs)
    pd.testing.assert_frame_equal(comparable_timeseries(ts), ref_ts)
    leftovers = [p.name for d in ("runs", "timeseries") for p in (out / d).iterdir()]
    assert all(name.startswith("part-") for name in leftovers), leftovers
