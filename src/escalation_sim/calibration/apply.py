"""Writing a calibration's posterior medians into scenario files, comments and layout kept.

``escalation-sim apply-calibration DIR --scenario FILE...`` sets each calibrated parameter's
``value`` to its weighted posterior median (3 significant figures; integers rounded) and its
``source`` to ``calibrated: ...`` (the config, the number of weighted sets, the 90% interval,
the record's window, the run's date and the prior). The edit is line by line on the
``[parameters.NAME]`` tables the bundled scenarios are written in: only the ``value`` and
``source`` lines change (and the source they replace is kept as a ``# before calibration:``
comment the first time), so comments, order and every other field stay byte for byte. Each new
text is validated by the scenario loader before any file is written; applying the same results
again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalation_sim.calibration.config import LAST_DAY
from escalation_sim.errors import ConfigError

#: A parameter's table header, as the scenarios write them.
_HEADER = re.compile(r"^\[\s*parameters\.([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_VALUE = re.compile(r"^(\s*value\s*=\s*)([^\s#]+)(.*)$", re.DOTALL)
_SOURCE = re.compile(r"^(\s*)source\s*=")
#: The comment that keeps the source a calibration replaced.
BEFORE = "# before calibration: "
PREFIX = "calibrated:"


@dataclass(frozen=True)
class Calibrated:
    """One parameter's value and source from a posterior."""

    name: str
    value: float | int
    source: str
    #: Set when the median lies in the outer tenth of the prior: the prior, not the record,
    #: may have set it.
    edge: str | None = None


@dataclass(frozen=True)
class Change:
    """What applying did to one parameter of one file."""

    path: Path
    name: str
    old: float | int
    new: float | int

    @property
    def changed(self) -> bool:
        """True when the value moved (the source may change even when it did not)."""
        return self.old != self.new


def _num(x: float) -> str:
    return f"{x:.3g}"


def _round(x: float, is_int: bool) -> float | int:
    return round(x) if is_int else float(f"{x:.3g}")


def calibrated_values(
    results: str | Path, names: list[str] | None = None
) -> tuple[list[Calibrated], dict[str, Any]]:
    """The posterior medians of a finished calibration in ``results`` (its directory).

    Raises:
        ConfigError: not a finished calibration, a window past 26 November 2024, or a name
            the calibration did not estimate.
    """
    import numpy as np

    from escalation_sim.calibration.engine import POSTERIOR_META, read_posterior, weighted_quantile

    results = Path(results)
    if not results.exists():
        raise ConfigError(results, None, "calibration results not found")
    folder = results if results.is_dir() else results.parent
    meta_path = folder / POSTERIOR_META
    if not meta_path.is_file():
        raise ConfigError(
            folder,
            None,
            f"not a finished calibration (no {POSTERIOR_META}); run or resume "
            "`escalation-sim calibrate CONFIG --out DIR` until it ends",
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(meta_path, None, f"not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("kind") != "escalation-sim posterior":
        raise ConfigError(meta_path, "kind", "not a calibration's posterior")
    frame, meta = read_posterior(folder)
    try:
        until = dt.date.fromisoformat(str(meta["window"]["until"]))
        start = str(meta["window"]["start"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(meta_path, "window", "no window.until date") from None
    if until > LAST_DAY:
        raise ConfigError(
            meta_path,
            "window.until",
            f"{until} is after {LAST_DAY}: a calibration that uses the record on or after "
            "27 November 2024 may not set a scenario's parameters",
        )
    estimated = list(meta["parameters"])
    if names:
        unknown = [n for n in names if n not in estimated]
        if unknown:
            raise ConfigError(
                folder,
                "parameters",
                f"{unknown} not estimated by calibration {meta['name']}; it estimated "
                f"{', '.join(estimated)}",
            )
    ints = set(meta.get("integer_parameters", []))
    w = frame["weight"].to_numpy(dtype=float)
    ess = float(w.sum() ** 2 / np.sum(w**2))
    run_day = meta.get("finished") or dt.date.fromtimestamp(meta_path.stat().st_mtime).isoformat()
    out = []
    for name in names or estimated:
        v = frame[name].to_numpy(dtype=float)
        med, p05, p95 = (weighted_quantile(v, w, q) for q in (0.5, 0.05, 0.95))
        lo, hi = meta["summary"][name]["prior"]
        source = (
            f"{PREFIX} {meta['name']}, posterior median of {len(frame)} weighted sets "
            f"(effective sample size {ess:.1f}; 90% interval {_num(p05)} to {_num(p95)}), "
            f"record {start} to {until}, run {run_day}; prior {_num(lo)} to {_num(hi)} "
            "(docs/calibration.md)"
        )
        out.append(Calibrated(name, _round(med, name in ints), source, _edge(med, lo, hi)))
    return out, meta


def _edge(median: float, lo: float, hi: float) -> str | None:
    """A warning when ``median`` is within a tenth of the prior's width from one of its ends."""
    share = (median - lo) / (hi - lo) if hi > lo else 0.5
    if 0.1 <= share <= 0.9:
        return None
    end = "top" if share > 0.9 else "bottom"
    return (
        f"median {_num(median)} is in the {end} tenth of its prior {_num(lo)} to {_num(hi)}: "
        "widen the prior and rerun the calibration before trusting it"
    )


def _table_spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """``[parameters.NAME]`` -> (header line, end line exclusive)."""
    spans: dict[str, tuple[int, int]] = {}
    current: tuple[str, int] | None = None
    for i, line in enumerate(lines):
        if line.lstrip().startswith("["):
            if current is not None:
                spans[current[0]] = (current[1], i)
                current = None
            m = _HEADER.match(line.strip())
            if m:
                current = (m.group(1), i)
    if current is not None:
        spans[current[0]] = (current[1], len(lines))
    return spans


def _where_defined(data: dict[str, Any]) -> str:
    meta = data.get("meta", {})
    base = meta.get("extends") or meta.get("parameters_from")
    return f" (this file takes it from {base}: apply to that scenario's file)" if base else ""


def apply_to_text(text: str, path: Path, values: list[Calibrated]) -> tuple[str, list[Change]]:
    """``text`` (a scenario file) with ``values`` written in; the changes.

    Raises:
        ConfigError: a parameter the file does not list, a value outside the file's range, or
            a table not written as ``[parameters.NAME]`` with one-line ``value`` and ``source``.
    """
    from escalation_sim.scenario.loader import parse_toml

    data = parse_toml(text, str(path))
    own = data.get("parameters", {}) if isinstance(data.get("parameters"), dict) else {}
    lines = text.splitlines(keepends=True)
    spans = _table_spans(lines)
    changes = []
    # Last table first, so inserting a comment line does not move the spans still to edit.
    order = sorted(values, key=lambda c: -spans.get(c.name, (0, 0))[0])
    for cal in order:
        field = f"parameters.{cal.name}"
        if cal.name not in own:
            raise ConfigError(path, field, f"not in this scenario file{_where_defined(data)}")
        if cal.name not in spans:
            raise ConfigError(path, field, "not written as a [parameters.NAME] table")
        table = own[cal.name]
        if "value" in table.get("sources", {}):
            raise ConfigError(path, f"{field}.sources.value", "edit this one by hand")
        lo, hi = table.get("min"), table.get("max")
        new = cal.value
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            if not lo <= new <= hi:
                raise ConfigError(
                    path, f"{field}.value", f"calibrated {new} is outside [{lo}, {hi}]"
                )
        start, end = spans[cal.name]
        iv = next((i for i in range(start + 1, end) if _VALUE.match(lines[i])), None)
        isrc = next((i for i in range(start + 1, end) if _SOURCE.match(lines[i])), None)
        if iv is None:
            raise ConfigError(path, f"{field}.value", "no one-line `value = ...` in the table")
        m = _VALUE.match(lines[iv])
        assert m is not None
        lines[iv] = f"{m.group(1)}{new!r}{m.group(3)}"
        quoted = json.dumps(cal.source, ensure_ascii=False)
        if isrc is None:
            lines.insert(iv + 1, f"source = {quoted}\n")
        else:
            old_line = lines[isrc]
            try:
                old_source = str(tomllib.loads(old_line)["source"])
            except (tomllib.TOMLDecodeError, KeyError):
                raise ConfigError(
                    path, f"{field}.source", "not a one-line string; edit it by hand"
                ) from None
            indent = old_line[: len(old_line) - len(old_line.lstrip())]
            ending = old_line[len(old_line.rstrip("\r\n")) :] or "\n"
            lines[isrc] = f"{indent}source = {quoted}{ending}"
            if not old_source.startswith(PREFIX):
                lines.insert(isrc, f"{indent}{BEFORE}{old_source}{ending}")
        changes.append(Change(path, cal.name, table["value"], new))
    changes.sort(key=lambda c: [v.name for v in values].index(c.name))
    return "".join(lines), changes


def apply_calibration(
    results: str | Path,
    scenarios: list[str | Path],
    names: list[str] | None = None,
    *,
    write: bool = True,
) -> tuple[list[Change], list[Calibrated]]:
    """Write a finished calibration's posterior medians into scenario files (module docstring).

    Every file is edited and validated before any is written, so a refusal changes nothing.
    Returns the changes, one per parameter and file, and the values written (with their
    ``edge`` warnings).

    Raises:
        ConfigError: see ``calibrated_values`` and ``apply_to_text``; a missing file; a result
            the scenario loader refuses.
    """
    from escalation_sim.experiments.store import atomic_write
    from escalation_sim.scenario.loader import parse_scenario, read_toml_file

    values, _meta = calibrated_values(results, names)
    edited: list[tuple[Path, str, str]] = []
    changes: list[Change] = []
    for s in scenarios:
        path = Path(s)
        if not path.is_file():
            raise ConfigError(path, None, "scenario file not found")
        text = read_toml_file(path, "scenario")
        new_text, file_changes = apply_to_text(text, path, values)
        try:
            loaded = parse_scenario(new_text, str(path))
        except ConfigError as exc:
            raise ConfigError(
                path, None, f"would not load once calibrated: {exc.lines[0]}"
            ) from None
        wrong = [c.name for c in file_changes if loaded.parameters[c.name].value != c.new]
        if wrong:  # the file's own value is overridden by something the loader merges in
            raise ConfigError(path, None, f"{wrong} do not take the written value when loaded")
        edited.append((path, text, new_text))
        changes += file_changes
    if write:
        for path, text, new_text in edited:
            if new_text != text:
                atomic_write(path, lambda p, t=new_text: p.write_text(t, encoding="utf-8"))
    return changes, values
