"""Try each nonsense scenario of issue 11's B.10 on ``escalation-sim check`` and report.

Each case edits the default scenario (as parsed TOML, or as TOML text where the mistake is one
TOML itself refuses), writes it to a temporary file and runs ``escalation-sim check`` on it with
a time limit. A case passes when check exits non-zero within the limit with error lines that
name the field, and no traceback. Cases that check accepts are run for two weeks (``run``), to
see whether they hang.

Usage: ``python scripts/audit_hostile_scenarios.py`` (prints one line per case; exit 1 if any
case is not rejected cleanly).
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from escalation_sim.scenario.loader import bundled_scenarios

DEFAULT = bundled_scenarios()["iraq_syria_2024"]
CLI = [sys.executable, "-m", "escalation_sim.cli"]
LIMIT = 60  # seconds


def _toml(value: object) -> str:
    """A TOML value (enough of TOML for the scenario files)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)  # dates


def dump(data: dict) -> str:
    """Write a parsed scenario back as TOML."""
    out: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict) and key == "parameters":
            for name, spec in value.items():
                out.append(f"[parameters.{name}]")
                out += [f"{k} = {_toml(v)}" for k, v in spec.items()]
        elif isinstance(value, dict):
            out.append(f"[{key}]")
            out += [f"{k} = {_toml(v)}" for k, v in value.items()]
        elif isinstance(value, list):
            for row in value:
                out.append(f"[[{key}]]")
                out += [f"{k} = {_toml(v)}" for k, v in row.items()]
    return "\n".join(out) + "\n"


def region(data: dict, rid: str) -> dict:
    """The region ``rid`` of a parsed scenario."""
    return next(r for r in data["regions"] if r["id"] == rid)


def unit_of(data: dict, actor: str) -> dict:
    """The first unit of ``actor`` in a parsed scenario."""
    return next(u for u in data["units"] if u["actor"] == actor)


def _islands(d: dict) -> None:
    # Two regions joined only to each other: every region has an edge, but they are unreachable.
    for rid, lon in (("island_a", 40.0), ("island_b", 40.1)):
        d["regions"].append(
            {
                "id": rid,
                "name": rid,
                "country": "SYR",
                "lon": lon,
                "lat": 35.0,
                "controller": "syria",
                "source": "audit",
            }
        )
    d["roads"].append({"a": "island_a", "b": "island_b", "source": "audit"})


EDITS: dict[str, Callable[[dict], None]] = {
    "a sect listed twice": lambda d: d["meta"]["sects"].append(d["meta"]["sects"][0]),
    "isis = 'iraq' (a role naming an actor of the wrong kind)": lambda d: d["roles"].update(
        isis="iraq"
    ),
    "a unit placed in an external border state": lambda d: d["units"][0].update(region="jordan"),
    "a region no road reaches": lambda d: d["roads"].__setitem__(
        slice(None), [r for r in d["roads"] if "hama" not in (r["a"], r["b"])]
    ),
    "two regions joined only to each other (unreachable island)": _islands,
    "a duplicate road": lambda d: d["roads"].append(dict(d["roads"][0])),
    "a duplicate road, reversed": lambda d: d["roads"].append(
        {**d["roads"][0], "a": d["roads"][0]["b"], "b": d["roads"][0]["a"]}
    ),
    "a duplicate link": lambda d: d["links"].append(dict(d["links"][0])),
    "a road from a region to itself": lambda d: d["roads"].append(
        {"a": "mosul", "b": "mosul", "source": "audit"}
    ),
    "a link from an actor to itself": lambda d: d["links"].append(
        {"from": "iran", "to": "iran", "kind": "alliance", "strength": 0.5, "source": "audit"}
    ),
    "population above 10^9": lambda d: region(d, "mosul")["population"].update(
        sunni_arab=2 * 10**9
    ),
    "population of 10^12": lambda d: region(d, "mosul")["population"].update(sunni_arab=10**12),
    "a strength above 10^7": lambda d: d["units"][0].update(strength=2 * 10**7),
    "an ISIS unit of 5,000,000 cells": lambda d: unit_of(d, "isis").update(
        strength=5_000_000, cells=5_000_000
    ),
    "a rate that overflows a Poisson draw (parameter 1e300)": lambda d: d["parameters"][
        "isis_attack_rate" if "isis_attack_rate" in d["parameters"] else next(iter(d["parameters"]))
    ].update(value=1e300, max=1e300),
    "a run length past the cap (meta.weeks = 10^6)": lambda d: d["meta"].update(weeks=10**6),
    "a start date the calendar cannot hold a run from (9999-12-01)": lambda d: d["meta"].update(
        start_date=__import__("datetime").date(9999, 12, 1)
    ),
    "a facility in a border state": lambda d: d["facilities"][0].update(region="jordan"),
    "a facility holding 10^9": lambda d: d["facilities"][0].update(held=10**9),
}

#: Mistakes TOML or the text itself carries: (case, text replacement on the dumped file).
TEXT_EDITS: dict[str, tuple[str, str]] = {
    "a non-finite number (nan hardship)": ("hardship = 0.35", "hardship = nan"),
    "a non-finite number (inf longitude)": ("lon = 41.87", "lon = inf"),
    "an impossible date (2024-02-30)": ("start_date = ", "start_date = 2024-02-30\n#"),
}


def check(text: str) -> tuple[int | None, str]:
    """``escalation-sim check`` on ``text``: exit code (None on timeout) and stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.toml"
        path.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run(
                [*CLI, "check", str(path)], capture_output=True, text=True, timeout=LIMIT
            )
        except subprocess.TimeoutExpired:
            return None, "timed out"
        return done.returncode, done.stderr + done.stdout


def main() -> int:
    """Check every case; print one line each; 1 if any is not refused cleanly."""
    base = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    cases: list[tuple[str, str]] = []
    for name, edit in EDITS.items():
        data = copy.deepcopy(base)
        edit(data)
        cases.append((name, dump(data)))
    text = dump(base)
    for name, (old, new) in TEXT_EDITS.items():
        assert old in text, old
        cases.append((name, text.replace(old, new, 1)))
    bad = 0
    for name, toml in cases:
        rc, out = check(toml)
        errors = [line for line in out.splitlines() if line.startswith(("error", "s.toml", "/"))]
        clean = rc not in (0, None) and "Traceback" not in out and errors
        bad += not clean
        first = next((e for e in out.splitlines() if "error" in e or ".toml:" in e), out.strip())
        print(f"{'ok  ' if clean else 'FAIL'} {name}: rc={rc}: {first[:160]}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
