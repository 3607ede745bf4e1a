"""The observed tables shipped in ``escalation_sim/observed/data``, as typed DataFrames.

Each table is a compact CSV written by ``scripts/derive_observed.py`` from the observed record to
November 2024 (the analysis of early December 2024 on Iraq and the Syrian offensive compiled
it); ``docs/observed.md`` defines every series. Every row carries a ``source_key``; each key is
one definition, cited in ``sources.toml`` (:func:`sources`). Never add or compare values across
keys without reading their definitions.

Only the record before :data:`CUTOFF` (27 November 2024, the model's start) is here, except
yearly 2024 totals and the fall of Damascus on 8 December 2024, which have
``beyond_cutoff = True``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pandas as pd

#: The model's start: the record stops here (see the module docstring for the exceptions).
CUTOFF = pd.Timestamp("2024-11-27")

#: Categories of the categorical columns.
VIOLENCE_TYPES = ("state_based", "non_state", "one_sided")
TERRITORY_EVENTS = ("captured", "partly captured", "partly retaken", "retaken")
PRECISIONS = ("day", "month", "quarter", "year", "range")

# Column -> type: "int", "float", "date", "bool", "str" or a tuple of categories.
_Schema = dict[str, Any]

SCHEMAS: dict[str, _Schema] = {
    "ged_iraq_monthly": {
        "year": "int",
        "month": "int",
        "governorate": "str",
        "violence_type": VIOLENCE_TYPES,
        "events": "int",
        "deaths": "int",
        "deaths_low": "int",
        "deaths_high": "int",
        "events_imprecise": "int",
        "source_key": "str",
    },
    "series": {
        "country": "str",
        "period": "str",
        "start": "date",
        "end": "date",
        "source_key": "str",
        "quantity": ("incidents", "deaths"),
        "measure": "str",
        "value": "float",
        "qualifier": "str",
        "beyond_cutoff": "bool",
        "note": "str",
    },
    "territory": {
        "date": "date",
        "date_precision": PRECISIONS,
        "place": "str",
        "country": "str",
        "governorate": "str",
        "region": "str",
        "event": TERRITORY_EVENTS,
        "description": "str",
        "source_key": "str",
        "note": "str",
    },
    "strength": {
        "date": "date",
        "date_precision": PRECISIONS,
        "quantity": "str",
        "area": "str",
        "low": "float",
        "high": "float",
        "qualifier": "str",
        "as_reported": "str",
        "description": "str",
        "source_key": "str",
        "note": "str",
    },
    "context": {
        "date": "date",
        "date_precision": PRECISIONS,
        "event": "str",
        "source_key": "str",
        "beyond_cutoff": "bool",
        "note": "str",
    },
    "militia_israel": {
        "period": "str",
        "start": "date",
        "end": "date",
        "kind": ("count", "event"),
        "quantity": "str",
        "value": "float",
        "qualifier": "str",
        "description": "str",
        "strike_on_iraq": ("", "israel", "unattributed", "us"),
        "source_key": "str",
        "beyond_cutoff": "bool",
        "note": "str",
    },
    "regions": {"region": "str", "country": "str", "governorate": "str", "area": "str"},
}


def _typed(frame: pd.DataFrame, schema: _Schema) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for column, kind in schema.items():
        raw = frame[column]
        if kind == "int":
            out[column] = raw.astype("int64")
        elif kind == "float":
            out[column] = pd.to_numeric(raw.replace("", None), errors="raise").astype("float64")
        elif kind == "date":
            out[column] = pd.to_datetime(raw, format="%Y-%m-%d")
        elif kind == "bool":
            out[column] = raw.map({"True": True, "False": False}).astype(bool)
        elif isinstance(kind, tuple):
            out[column] = pd.Categorical(raw, categories=list(kind))
        else:
            out[column] = raw.astype(str)
    return pd.DataFrame(out, index=frame.index)


def load(name: str) -> pd.DataFrame:
    """One table by name (a key of :data:`SCHEMAS`), with its columns typed."""
    if name not in SCHEMAS:
        raise KeyError(f"no observed table {name!r}; there are {sorted(SCHEMAS)}")
    data = resources.files("escalation_sim.observed") / "data" / f"{name}.csv"
    with data.open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return _typed(frame, SCHEMAS[name])


def ged_iraq_monthly() -> pd.DataFrame:
    """UCDP GED events in Iraq with IS as side A or B, 2004-2018, one row a non-empty cell.

    Columns: ``year``, ``month`` (of the event's ``date_start``), ``governorate`` (GED's
    ``adm_1``; ``unknown`` where GED places the event only in a part of Iraq),
    ``violence_type`` (``state_based``, ``non_state``, ``one_sided``), ``events`` (events with
    at least one death: GED records no others), ``deaths`` (sum of GED's best estimate),
    ``deaths_low``, ``deaths_high``, ``events_imprecise`` (of the events, those GED dates only
    to a span of days to months, ``date_prec > 1``; they are counted in the month they start),
    ``source_key`` (``UCDP_GED_HDX``). A month, governorate and
    type without a row had no event.
    """
    return load("ged_iraq_monthly")


def series() -> pd.DataFrame:
    """Every other count, one number a row: monthly, quarterly, yearly and other periods.

    Columns: ``country`` (Iraq, Syria or Iraq+Syria), ``period`` (``year``, ``YYYY-MM``,
    ``YYYYQn``, a range as given or ``year-to-date``), ``start`` and ``end`` (the days it
    covers, both included), ``source_key``, ``quantity`` (``incidents`` or ``deaths``; read the
    key's definition for what is counted), ``measure`` (the record's name for the number, e.g.
    ``incidents_per_day_avg``), ``value``, ``qualifier`` (``~``, ``<``, ``>`` or empty, as
    reported), ``beyond_cutoff`` and ``note``.
    """
    return load("series")


def territory() -> pd.DataFrame:
    """Towns taken and retaken: ``date``, ``date_precision``, ``place``, ``country``,
    ``governorate``, ``region`` (the bundled scenarios' region id), ``event`` (captured, partly
    captured, partly retaken, retaken), ``description``, ``source_key``, ``note``.

    A month-only date is the first of the month (``date_precision = "month"``).
    """  # noqa: D205
    return load("territory")


def strength() -> pd.DataFrame:
    """ISIS strength estimates: ``date``, ``date_precision``, ``quantity`` (fighters, members,
    members and supporters, detained), ``area`` (Iraq, Iraq+Syria...), ``low`` and ``high``
    (equal for a single number; ``low = 0`` for "fewer than"), ``qualifier``, ``as_reported``,
    ``description``, ``source_key``, ``note``.
    """  # noqa: D205
    return load("strength")


def context() -> pd.DataFrame:
    """Exogenous context by date (withdrawals, campaigns, governments, operations): ``date``,
    ``date_precision``, ``event``, ``source_key``, ``beyond_cutoff``, ``note``.
    """  # noqa: D205
    return load("context")


def militia_israel() -> pd.DataFrame:
    """Iraqi militia attacks and launches (``kind = "count"``) and dated events such as strikes
    on militias in Iraq (``kind = "event"``): ``period``, ``start``, ``end``, ``kind``,
    ``quantity``, ``value``, ``qualifier``, ``description``, ``strike_on_iraq`` (for a strike
    on Iraqi territory, who the source says struck: ``israel``, even if unconfirmed,
    ``unattributed`` or ``us``; empty for other rows), ``source_key``, ``beyond_cutoff``,
    ``note``.
    """  # noqa: D205
    return load("militia_israel")


def regions() -> pd.DataFrame:
    """The bundled scenarios' region ids against governorates, and the area both map onto.

    A region spanning two governorates has two rows; governorates no region covers have an empty
    ``region`` and the area ``not modelled``. Columns: ``region``, ``country`` (IRQ, SYR),
    ``governorate``, ``area``.
    """
    return load("regions")


def sources() -> dict[str, dict[str, Any]]:
    """Citation, definition and licence of every source key, by key (``sources.toml``)."""
    data = resources.files("escalation_sim.observed") / "data" / "sources.toml"
    return tomllib.loads(data.read_text(encoding="utf-8"))
