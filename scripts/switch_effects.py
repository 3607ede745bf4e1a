"""Each mechanism switch's effect on the December 2024 path, as a Markdown table.

The December 2024 path is the default scenario with the Syrian regime dissolving at once
(``syria_collapse=1``) and the SDF keeping most of its guards (``collapse_guard_loss=0.1``). For
each switch in ``escalation_sim.mechanisms.MECHANISMS`` the path is run with the switch off, on
the same seeds as the path with every switch on (common random numbers), and the table gives the
mean of each outcome with everything on, then the mean paired difference (switch off minus all
on) with its 95% t-interval over seeds. Written to compare the model before and after a change
of mechanisms (issue 11's note); it is a script, not a test, because it reports, not asserts.

Usage::

    python scripts/switch_effects.py --seeds 20 --workers 2 > switch_effects.md
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from escalation_sim.mechanisms import MECHANISMS
from escalation_sim.run import run

#: The December 2024 path: the regime dissolves at once and the SDF keeps most of its guards.
DECEMBER_2024 = {"syria_collapse": 1.0, "collapse_guard_loss": 0.1}

#: (column heading, how to read it off a run) of each outcome in the table.
MEASURES: tuple[tuple[str, str], ...] = (
    ("ISIS attacks in Iraq, 2 years", "isis_attacks_iraq_total"),
    ("ISIS fighters in Syria, end", "isis_fighters_syria_final"),
    ("militia fighters in Syria, week 8", "militia_week_8"),
    ("militia fighters in Syria, week 52", "militia_week_52"),
    ("launches at Israel, 2025", "launches_2025"),
    ("Israeli strikes on Iraq", "israeli_strikes_iraq_total"),
    ("P(resurgence)", "isis_resurgence"),
)


def measure(args: tuple[str | None, int]) -> dict[str, float]:
    """Run the path with ``switch`` off (``None``: all on) at ``seed``; the table's measures."""
    switch, seed = args
    overrides: dict[str, object] = dict(DECEMBER_2024)
    if switch is not None:
        overrides[f"mechanisms.{switch}"] = False
    result = run(overrides=overrides, seed=seed, events=False)
    ts = result.timeseries
    militia = ts["militia_fighters_syria"].to_numpy(dtype=float)
    year = ts["date"].astype(str).str.slice(0, 4)
    values = {key: float(result.outcomes[key]) for _, key in MEASURES if key in result.outcomes}
    values["militia_week_8"] = float(militia[min(7, len(militia) - 1)])
    values["militia_week_52"] = float(militia[min(51, len(militia) - 1)])
    values["launches_2025"] = float(ts.loc[year == "2025", "militia_launches"].sum())
    return values


def interval(diff: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval of paired differences."""
    mean = float(diff.mean())
    if len(diff) < 2 or float(diff.std(ddof=1)) == 0.0:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff)))
    return mean, mean - half, mean + half


def fmt(x: float, prob: bool) -> str:
    """A number as the table shows it: probabilities to 2 places, counts with separators."""
    if prob:
        return f"{x:+.2f}"
    return f"{x:+,.1f}" if abs(x) < 10 else f"{x:+,.0f}"


def table(seeds: int, workers: int, switches: Sequence[str]) -> str:
    """The Markdown table over ``seeds`` seeds."""
    tasks = [(s, seed) for s in (None, *switches) for seed in range(seeds)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(measure, tasks, chunksize=4))
    by_switch: dict[str | None, list[dict[str, float]]] = {}
    for (switch, _), values in zip(tasks, results, strict=True):
        by_switch.setdefault(switch, []).append(values)
    base = by_switch[None]
    head = "| switch off | " + " | ".join(name for name, _ in MEASURES) + " |"
    lines = [head, "|" + "---|" * (len(MEASURES) + 1)]
    row = [
        f"{np.mean([b[k] for b in base]):,.2f}"
        if k == "isis_resurgence"
        else f"{np.mean([b[k] for b in base]):,.1f}"
        for _, k in MEASURES
    ]
    lines.append("| (all on: mean) | " + " | ".join(row) + " |")
    for switch in switches:
        cells = []
        for _, key in MEASURES:
            diff = np.array([o[key] - b[key] for o, b in zip(by_switch[switch], base, strict=True)])
            mean, lo, hi = interval(diff)
            prob = key == "isis_resurgence"
            cells.append(f"{fmt(mean, prob)} ({fmt(lo, prob)} to {fmt(hi, prob)})")
        lines.append(f"| {switch} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        f"December 2024 path ({DECEMBER_2024}), {args.seeds} seeds; each row: switch off "
        "minus all on, mean (95% interval), paired by seed.\n"
    )
    print(table(args.seeds, args.workers, sorted(MECHANISMS)))


if __name__ == "__main__":
    main()
