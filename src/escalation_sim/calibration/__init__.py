"""Calibration against the observed record: history matching, posteriors, rolling origin.

``escalation-sim calibrate CONFIG`` (module ``cli``) resolves a calibration config
(``config``), builds the observed targets through the observation operator (``targets``), runs
waves of history matching with Gaussian-process emulators on the sweep executors with a
resumable store (``engine``), writes the posterior ensemble and its diagnostics (``report``),
and, with a hold-out window, scores the prediction of the following years (``holdout``).
``escalation-sim apply-calibration DIR --scenario FILE`` writes the posterior medians into
scenario files (``apply``).
``docs/calibration.md`` describes the method and the config. Python::

    from escalation_sim.calibration import calibrate, resolve_calibration

    cal = resolve_calibration("experiments/calibrate_tiny.toml")
    result = calibrate(cal, "results/calibrate_tiny", workers=2)
    result.posterior            # parameter sets with weights (posterior.csv)

Names are imported on first use, so the command line starts quickly.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Calibration": "config",
    "CalibrationConfig": "config",
    "load_calibration_config": "config",
    "resolve_calibration": "config",
    "CalibrationResult": "engine",
    "calibrate": "engine",
    "draw_posterior": "engine",
    "read_posterior": "engine",
    "CutoffError": "targets",
    "build_targets": "targets",
    "check_before_cutoff": "targets",
    "apply_calibration": "apply",
    "run_holdout": "holdout",
    "write_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"escalation_sim.calibration.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
