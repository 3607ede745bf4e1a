"""Calibration targets: the observed record seen through the observation operator.

Four patterns (pattern-oriented modelling), each a set of targets with an observed value or
range and a relation (``match``: fit it; ``lower_bound``: the model should be at or above it;
``upper_bound``: at or below it; ``range``: within it):

- ``series``: every row of ``observed.series()`` that ``observed.COMPARISONS`` marks
  ``calibrate = True`` (yearly UCDP totals for Iraq and Syria, GED's IS events and deaths by
  year, attack datasets by month, quarter or year...), compared with the row's operator
  (``observed.counterparts``); one pattern per source key, quantity and country;
- ``ged_monthly``: UCDP GED events and deaths in Iraq by month (``observed.compare_ged``);
- ``regions_held``: regions of Iraq with a town ISIS held, at every quarter's end, as a range
  (``observed.compare_regions_held``: the record's low and high counts);
- ``strength``: ISIS fighters in Iraq or Iraq and Syria on the estimates' dates, as ranges
  (``observed.compare_strength``; a single figure is taken +-25%).

A target is used only if its whole period lies in ``[start, until]`` of the run and before
27 November 2024: ``check_before_cutoff`` enforces it on every target set the calibration
builds, whatever the window asks, and rows flagged ``beyond_cutoff`` are never used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from escalation_sim.observed import observation as obs_op
from escalation_sim.observed import tables
from escalation_sim.observed.tables import CUTOFF

#: Range tolerance of a single strength figure (``observed.compare_strength``'s).
POINT_TOLERANCE = 0.25
#: GED's coverage of Iraq by month (``ged_iraq_monthly``).
GED_LAST = pd.Timestamp("2018-12-31")


class CutoffError(ValueError):
    """A target that uses the record on or after 27 November 2024."""


@dataclass(frozen=True)
class TargetSet:
    """The targets of one window, and what the worker needs to compute the model's values.

    Attributes:
        table: One row a target: ``name``, ``pattern``, ``kind``, ``relation``, ``low``,
            ``high`` (observed; equal for a value), ``start``, ``end`` (its period), ``key``
            (series: the row's index in ``series``; ged: ``year-month``; regions and strength:
            the date).
        series: The rows of ``observed.series()`` used (index = ``key``).
        strength: The rows of ``observed.strength()`` used.
    """

    table: pd.DataFrame
    series: pd.DataFrame
    strength: pd.DataFrame

    def __len__(self) -> int:
        return len(self.table)


def _in_window(start: pd.Series, end: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
    return (start >= lo) & (end <= hi) & (end < CUTOFF)


def build_targets(
    start: dt.date,
    until: dt.date,
    patterns: tuple[str, ...] | list[str],
    after: dt.date | None = None,
) -> TargetSet:
    """The targets whose period lies in ``[start, until]`` (and after ``after`` if given).

    ``after`` selects the held-out targets of a rolling-origin check: periods starting after
    the calibration window's end.
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(until)
    first = pd.Timestamp(after) + pd.Timedelta(days=1) if after is not None else lo
    rows: list[dict[str, Any]] = []
    series = pd.DataFrame()
    strength = pd.DataFrame()
    if "series" in patterns:
        s = tables.series()
        keep = _in_window(s["start"], s["end"], first, hi) & ~s["beyond_cutoff"].astype(bool)
        s = s[keep]
        none = obs_op.Comparison(None, None, "none")
        specs = [obs_op.COMPARISONS.get(str(k), none) for k in s["source_key"]]
        ops = [
            c.incidents if q == "incidents" else c.deaths
            for c, q in zip(specs, s["quantity"], strict=True)
        ]
        usable = [
            bool(c.calibrate and op and c.relation in ("match", "lower_bound", "upper_bound"))
            for c, op in zip(specs, ops, strict=True)
        ]
        series = s[usable]
        for idx, r in series.iterrows():
            relation = obs_op.COMPARISONS[str(r["source_key"])].relation
            grain = "year" if r["period"] == "year" else "period"
            rows.append(
                {
                    "name": f"{r['source_key']} {r['quantity']} {r['country']} {r['period']}"
                    + (f" {r['start'].year}" if r["period"] == "year" else ""),
                    "pattern": f"{r['source_key']} {r['quantity']} {r['country']} ({grain})",
                    "kind": "series",
                    "relation": relation,
                    "low": float(r["value"]),
                    "high": float(r["value"]),
                    "start": r["start"],
                    "end": r["end"],
                    "key": str(idx),
                }
            )
    if "ged_monthly" in patterns:
        for period in pd.period_range(first, min(hi, GED_LAST), freq="M"):
            p0, p1 = period.start_time.normalize(), period.end_time.normalize()
            if p0 < first or p1 > hi:
                continue  # only whole months
            rows += [
                {
                    "name": f"GED {what} Iraq {period}",
                    "pattern": f"GED {what} Iraq (month)",
                    "kind": "ged_monthly",
                    "relation": "match",
                    "low": np.nan,
                    "high": np.nan,
                    "start": p0,
                    "end": p1,
                    "key": f"{period.year}-{period.month}:{what}",
                }
                for what in ("events", "deaths")
            ]
        ged = obs_op.observed_ged("month", ())
        look = ged.set_index(["year", "month"])
        for rec in rows:
            if rec["kind"] == "ged_monthly":
                ym, what = rec["key"].split(":")
                y, m = (int(x) for x in ym.split("-"))
                v = float(look.loc[(y, m), what]) if (y, m) in look.index else 0.0
                rec["low"] = rec["high"] = v
    if "regions_held" in patterns:
        dates = [d for d in pd.date_range(first, hi, freq="QE") if d < CUTOFF]
        if dates:
            held = obs_op.observed_regions_held(dates, "IRQ")
            for d, low, high in zip(held["date"], held["held_low"], held["held_high"], strict=True):
                rows.append(
                    {
                        "name": f"regions held Iraq {d.date()}",
                        "pattern": "regions held in Iraq (quarter end)",
                        "kind": "regions_held",
                        "relation": "range",
                        "low": float(low),
                        "high": float(high),
                        "start": d,
                        "end": d,
                        "key": str(d.date()),
                    }
                )
    if "strength" in patterns:
        st = tables.strength()
        keep = (
            (st["quantity"] == "fighters")
            & st["area"].isin(list(obs_op.STRENGTH_AREAS))
            & (st["date"] >= first)
            & (st["date"] <= hi)
            & (st["date"] < CUTOFF)
        )
        strength = st[keep]
        for idx, r in strength.iterrows():
            point = r["low"] == r["high"]
            low = r["low"] * (1 - POINT_TOLERANCE) if point else r["low"]
            high = r["high"] * (1 + POINT_TOLERANCE) if point else r["high"]
            rows.append(
                {
                    "name": f"fighters {r['area']} {r['date'].date()} ({r['source_key']})",
                    "pattern": "ISIS fighters (estimates)",
                    "kind": "strength",
                    "relation": "range",
                    "low": float(low),
                    "high": float(high),
                    "start": r["date"],
                    "end": r["date"],
                    "key": str(idx),
                }
            )
    table = pd.DataFrame(
        rows,
        columns=["name", "pattern", "kind", "relation", "low", "high", "start", "end", "key"],
    )
    table = table.drop_duplicates("name", ignore_index=True)
    out = TargetSet(table, series, strength)
    check_before_cutoff(out)
    return out


def check_before_cutoff(targets: TargetSet) -> None:
    """Raise ``CutoffError`` if any target or source row reaches 27 November 2024 or later."""
    t = targets.table
    late = t[(pd.to_datetime(t["end"]) >= CUTOFF) | (pd.to_datetime(t["start"]) >= CUTOFF)]
    if len(late):
        raise CutoffError(
            f"target {late['name'].iloc[0]!r} uses the record on or after {CUTOFF.date()}"
        )
    if len(targets.series) and (
        (targets.series["end"] >= CUTOFF).any() or targets.series["beyond_cutoff"].any()
    ):
        raise CutoffError(f"a series row reaches {CUTOFF.date()} or later")
    if len(targets.strength) and (targets.strength["date"] >= CUTOFF).any():
        raise CutoffError(f"a strength estimate is dated {CUTOFF.date()} or later")


def model_values(
    targets: TargetSet, events: pd.DataFrame, weekly: pd.DataFrame, actor: str = obs_op.ISIS
) -> np.ndarray:
    """The model's value of every target (in ``targets.table``'s order) for one run."""
    t = targets.table
    out = np.full(len(t), np.nan)
    kinds = t["kind"].to_numpy()
    if (kinds == "series").any():
        values = series_values(targets.series, events, weekly, actor)
        mask = kinds == "series"
        out[mask] = values.reindex(t.loc[mask, "key"]).to_numpy()
    mask = kinds == "ged_monthly"
    if mask.any():
        lo, hi = t.loc[mask, "start"].min(), t.loc[mask, "end"].max()
        ged = obs_op.compare_ged(events, "month", (), lo, hi, actor)
        look = {
            f"{y}-{m}:{w}": float(v)
            for w in ("events", "deaths")
            for y, m, v in zip(ged["year"], ged["month"], ged[f"model_{w}"], strict=True)
        }
        out[mask] = [look.get(k, 0.0) for k in t.loc[mask, "key"]]
    mask = kinds == "regions_held"
    if mask.any():
        out[mask] = obs_op.model_at(weekly, "isis_regions_iraq", t.loc[mask, "start"]).to_numpy()
    mask = kinds == "strength"
    if mask.any():
        st = obs_op.compare_strength(weekly, targets.strength)
        st.index = [str(i) for i in st.index]
        out[mask] = st["model"].reindex(t.loc[mask, "key"]).to_numpy()
    return out


def transform(x: np.ndarray | float) -> np.ndarray:
    """The scale targets are compared on: ``log(1 + x)`` (counts span orders of magnitude)."""
    return np.log1p(np.maximum(np.asarray(x, dtype=float), 0.0))


def bounds(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Transformed lower and upper bounds of each target (``-inf``/``inf`` where open)."""
    rel = table["relation"].to_numpy()
    lo = transform(table["low"].to_numpy())
    hi = transform(table["high"].to_numpy())
    lo = np.where(rel == "upper_bound", -np.inf, lo)
    hi = np.where(rel == "lower_bound", np.inf, hi)
    return lo, hi


def residuals(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """How far transformed model values ``y`` lie outside ``[lo, hi]`` (0 inside), signed."""
    below = np.where(y < lo, y - lo, 0.0)
    above = np.where(y > hi, y - hi, 0.0)
    return np.nan_to_num(below + above, nan=0.0)


#: ``series()``'s country -> the model's country codes (as the observation operator reads them).
COUNTRY_CODES = {"Iraq": ("IRQ",), "Syria": ("SYR",), "Iraq+Syria": ("IRQ", "SYR")}
#: Operators :func:`series_values` sums from sorted attack dates (the rest: ``observed.operate``).
_CUMULATIVE = frozenset(
    {"ged", "ged_armed", "incidents", "per_day", "per_quarter", "deaths", "armed_deaths"}
    | {"civilian_deaths"}
)


def series_values(
    rows: pd.DataFrame, events: pd.DataFrame, weekly: pd.DataFrame, actor: str = obs_op.ISIS
) -> pd.Series:
    """``observed.counterparts``'s ``model`` for ``rows`` (index as strings), computed fast.

    The same operators (``observed.operate``) on the same attacks, but each period's sums come
    from cumulative sums over the attacks sorted by date (two binary searches a row instead of
    a filter of every attack): a run to 2024 has some 200 rows and 6,000 attacks.
    """
    attacks = obs_op.model_attacks(events, actor)
    armed = (attacks["violence_type"] == obs_op.ARMED).to_numpy()
    deaths = attacks["deaths"].to_numpy(dtype=float)
    columns = {
        "ged": (deaths >= 1).astype(float),
        "ged_armed": ((deaths >= 1) & armed).astype(float),
        "incidents": np.ones(len(attacks)),
        "deaths": deaths,
        "armed_deaths": np.where(armed, deaths, 0.0),
        "civilian_deaths": np.where(~armed, deaths, 0.0),
    }
    country = attacks["country"].to_numpy()
    dates = attacks["date"].to_numpy()
    cache: dict[tuple[str, ...], tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    values = {}
    none = obs_op.Comparison(None, None, "none")
    for idx, r in rows.iterrows():
        spec = obs_op.COMPARISONS.get(str(r["source_key"]), none)
        op = spec.incidents if r["quantity"] == "incidents" else spec.deaths
        codes = COUNTRY_CODES[str(r["country"])] if op else ()
        start, end = pd.Timestamp(r["start"]), pd.Timestamp(r["end"])
        if op is None:
            values[str(idx)] = np.nan
            continue
        if op not in _CUMULATIVE:
            values[str(idx)] = obs_op.operate(op, attacks, weekly, codes, start, end)
            continue
        if codes not in cache:
            sel = np.isin(country, codes)
            order = np.argsort(dates[sel], kind="stable")
            cums = {
                k: np.concatenate([[0.0], np.cumsum(v[sel][order])]) for k, v in columns.items()
            }
            cache[codes] = (dates[sel][order], cums)
        d, cums = cache[codes]
        i0 = int(np.searchsorted(d, start.to_datetime64(), "left"))
        i1 = int(np.searchsorted(d, end.to_datetime64(), "right"))
        base = {"per_day": "incidents", "per_quarter": "incidents"}.get(op, op)
        v = float(cums[base][i1] - cums[base][i0])
        days = (end - start).days + 1
        if op == "per_day":
            v /= days
        elif op == "per_quarter":
            v /= days / (365.25 / 4)
        values[str(idx)] = v
    return pd.Series(values, dtype=float)
