"""The observation operator: what a model run shows in each observed series' terms.

A model run gives an events table (``events.parquet``: ``week``, ``date``, ``region``,
``actor``, ``kind``, ``target``, ``deaths``, one row an attack or a strike) and weekly series
(``timeseries.parquet``). The observed series count different things (docs/observed.md), so each
has its own operator, and a relation saying how the two may be compared:

- ``ged``: a UCDP GED event is an event with at least one death, dated by its start. One model
  ISIS attack with ``deaths >= 1`` is one GED event; one with 0 deaths is none. Deaths are the
  attack's deaths. (GED also counts fatal clashes the state starts and IS's own dead, which the
  model's attacks do not: expect the model at or below GED where state offensives dominate.)
- ``ged_armed``: the same for the GED extract that leaves out one-sided violence: only attacks on
  an armed force (``target`` not ``civilians``).
- ``incidents``: a reported incident (a media-reported attack, a claimed attack, an attack in an
  author's dataset) is any model ISIS attack, whatever its deaths.
- ``civilian_deaths``: deaths in model ISIS attacks on civilians (``target`` ``civilians`` or
  ``civilians:<sect>``).
- ``deaths``: deaths in every model ISIS attack; ``armed_deaths``: in attacks on forces only.
- ``per_day`` and ``per_quarter``: incidents divided by the days or quarters of the period.
- ``zero_weeks``: weeks of the period without an ISIS attack in the country (weekly series).
- ``launches``: the weekly ``militia_launches`` (drones and missiles at Israel from Iraq).

Relations: ``match`` (like with like: fit it), ``lower_bound`` (the observed series counts a
subset of what the model counts: claimed attacks, a part of the country, a subset of a
database: the model should be at or above it), ``upper_bound`` (the observed series counts more:
all perpetrators, all dyads, militants killed: the model should be at or below it), ``shape``
(only the shape over time compares) and ``none``.

Every model event is put in the calendar month or year of its ``date``, which is the end of the
model's week; a period ``[start, end]`` takes the events dated in it, both ends included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from escalation_sim.observed import tables

Freq = Literal["month", "year"]
ISIS = "isis"
CIVILIANS = "civilians"
#: GED's three types seen through the model's target: civilians -> one-sided, a force -> armed.
ARMED = "armed"


@dataclass(frozen=True)
class Comparison:
    """How one source key's series is compared with the model.

    Attributes:
        incidents: Operator for the key's ``incidents`` rows (a name in the module docstring),
            or ``None`` when the model has no counterpart.
        deaths: Operator for its ``deaths`` rows, or ``None``.
        relation: ``match``, ``lower_bound``, ``upper_bound``, ``shape`` or ``none``.
        calibrate: Suitable as a calibration target (pattern-oriented modelling).
    """

    incidents: str | None
    deaths: str | None
    relation: str
    calibrate: bool = False


_NONE = Comparison(None, None, "none")

#: Source key of ``series()`` -> how it is compared (docs/observed.md explains each choice).
COMPARISONS: dict[str, Comparison] = {
    # UCDP: GED events match fatal attacks; country-year deaths bound them
    "UCDP_GED_HDX": Comparison("ged", "deaths", "match", True),
    "UCDP_GED_CSIF": Comparison("ged_armed", "armed_deaths", "match", True),
    "UCDP_CY251_OS_NSG": Comparison(None, "civilian_deaths", "match", True),
    "UCDP_CY251_SB": Comparison(None, "deaths", "upper_bound", True),
    "UCDP_CY251_ALL": Comparison(None, "deaths", "upper_bound", True),
    # Iraq: attack datasets and reported incidents
    "CTC_KNIGHTS": Comparison("incidents", None, "match", True),
    "CTC_KNIGHTS_QAVG": Comparison("per_quarter", None, "match", True),
    "WING_IS": Comparison("incidents", "deaths", "match", True),
    "MEI_LISTER": Comparison("incidents", None, "match", True),
    "WING_ALLINC": Comparison("incidents", "deaths", "upper_bound"),
    "WING_ALLINC_ALT": Comparison("incidents", None, "upper_bound"),
    "WING_ALLINC_EXGRAVES": Comparison(None, "deaths", "upper_bound"),
    "WING_PERDAY": Comparison("per_day", None, "upper_bound"),
    "WING_ZEROWEEKS": Comparison("zero_weeks", None, "match", True),
    "WING_PROIRAN": _NONE,
    "WING_RESISTANCE": Comparison("launches", None, "upper_bound"),
    "WING_TABLE2022_DEAD": _NONE,
    "BI_2020": Comparison("incidents", None, "match"),
    "JTIC": Comparison("incidents", "deaths", "upper_bound"),
    "BBCM": Comparison("incidents", None, "lower_bound"),
    "CENTCOM_2024": Comparison("incidents", None, "lower_bound"),
    "USDOS_ANNEX_ISCLAIMED": Comparison("incidents", None, "lower_bound"),
    "USDOS_ANNEX_ALL": Comparison("incidents", None, "upper_bound"),
    "GTD_SUBSET": Comparison("incidents", "deaths", "shape"),
    # Iraq: deaths of all perpetrators or all conflicts
    "AW_ALL": Comparison(None, "deaths", "upper_bound"),
    "AW_IS": Comparison(None, "deaths", "upper_bound"),
    "AW_MILITANTS": _NONE,
    "IBC": Comparison(None, "civilian_deaths", "upper_bound"),
    "IBC_BY_IS": Comparison(None, "civilian_deaths", "match", True),
    "UNAMI": Comparison(None, "civilian_deaths", "upper_bound"),
    "CSIS_VIA_LEBANONID": Comparison(None, "deaths", "upper_bound"),
    # Syria: part-of-country monitors count a subset of Syria's attacks
    "RIC": Comparison("incidents", "deaths", "lower_bound", True),
    "RIC_CASUALTIES": _NONE,
    "CEP": Comparison("incidents", "deaths", "lower_bound", True),
    "NPA": Comparison("incidents", None, "lower_bound"),
    "SOHR_SDF": Comparison("incidents", "deaths", "lower_bound"),
    "SOHR_SDF_PARTIAL": Comparison("incidents", None, "lower_bound"),
    "SOHR_BADIA_PARTIAL": Comparison("incidents", "deaths", "lower_bound"),
    "SOHR_2019_2024": Comparison("incidents", "deaths", "match"),
    "SOHR_ALL_SYRIA": Comparison(None, "deaths", "match"),
    "SYRIAWEEKLY": Comparison("incidents", None, "match", True),
    "ISWNEWS": Comparison("incidents", None, "match"),
    "NEWZINO": Comparison("incidents", None, "match"),
    "WATERS_MEI_2020": Comparison(None, "deaths", "lower_bound"),
}

_COUNTRY_CODES = {"Iraq": ("IRQ",), "Syria": ("SYR",), "Iraq+Syria": ("IRQ", "SYR")}
_WEEKLY_ATTACKS = {"IRQ": "isis_attacks_iraq", "SYR": "isis_attacks_syria"}


def region_table(mapping: pd.DataFrame | None = None) -> pd.DataFrame:
    """Region id -> ``country`` and ``area``, one row a region (from :func:`tables.regions`)."""
    frame = tables.regions() if mapping is None else mapping
    frame = frame[frame["region"] != ""]
    return frame.drop_duplicates("region").set_index("region")[["country", "area"]]


def model_attacks(
    events: pd.DataFrame, actor: str = ISIS, mapping: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The model's attacks by ``actor`` with ``country``, ``area`` and ``violence_type`` added.

    ``violence_type`` is ``one_sided`` for an attack on civilians (target ``civilians`` or
    ``civilians:<sect>``) and ``armed`` for one on a force. Regions outside the mapping
    (Jordan, Iran...) get an empty country and area.
    """
    attacks = events[(events["actor"] == actor) & (events["kind"] == "attack")].copy()
    regions = region_table(mapping)
    attacks["country"] = attacks["region"].map(regions["country"]).fillna("")
    attacks["area"] = attacks["region"].map(regions["area"]).fillna("")
    on_civilians = attacks["target"].astype(str).str.startswith(CIVILIANS)
    attacks["violence_type"] = np.where(on_civilians, "one_sided", ARMED)
    attacks["date"] = pd.to_datetime(attacks["date"])
    return attacks


def _periods(dates: pd.Series, freq: Freq) -> dict[str, pd.Series]:
    cols = {"year": dates.dt.year.astype("int64").rename("year")}
    if freq == "month":
        cols["month"] = dates.dt.month.astype("int64").rename("month")
    return cols


def ged_counts(
    events: pd.DataFrame,
    freq: Freq = "month",
    by: Iterable[str] = ("country",),
    actor: str = ISIS,
    armed_only: bool = False,
) -> pd.DataFrame:
    """The model's GED-like events: attacks with at least one death, and their deaths.

    Args:
        events: A run's events table.
        freq: ``month`` or ``year`` of the event's date.
        by: Further keys: any of ``country``, ``area``, ``violence_type``.
        actor: The ISIS actor id of the scenario.
        armed_only: Count attacks on forces only (the GED extract without one-sided violence).

    Returns:
        One row per period and key with ``events`` and ``deaths`` (periods without an event
        are absent; :func:`compare_ged` fills them).
    """
    attacks = model_attacks(events, actor)
    fatal = attacks[attacks["deaths"] >= 1]
    if armed_only:
        fatal = fatal[fatal["violence_type"] == ARMED]
    keys = list(by)
    cols = {**_periods(fatal["date"], freq), **{k: fatal[k] for k in keys}}
    frame = pd.DataFrame(cols).assign(events=1, deaths=fatal["deaths"].astype("int64"))
    out = frame.groupby([*cols], as_index=False)[["events", "deaths"]].sum()
    return out.astype({"events": "int64", "deaths": "int64"})


def observed_ged(freq: Freq = "month", by: Iterable[str] = ("country",)) -> pd.DataFrame:
    """GED events in Iraq (``ged_iraq_monthly``) on the keys of :func:`ged_counts`.

    ``country`` is ``IRQ``; ``area`` comes from the region mapping (``not modelled`` and
    ``unknown`` included); ``violence_type`` is ``one_sided`` or ``armed`` (state-based and
    non-state together, as the model cannot tell them apart).
    """
    ged = tables.ged_iraq_monthly()
    gov_area = tables.regions().query("country == 'IRQ'").drop_duplicates("governorate")
    ged = ged.assign(
        country="IRQ",
        area=ged["governorate"].map(gov_area.set_index("governorate")["area"]),
        violence_type=np.where(ged["violence_type"] == "one_sided", "one_sided", ARMED),
    )
    keys = ["year", "month"][: 2 if freq == "month" else 1] + list(by)
    out = ged.groupby(keys, as_index=False)[["events", "deaths"]].sum()
    return out.astype({"events": "int64", "deaths": "int64"})


def compare_ged(
    events: pd.DataFrame,
    freq: Freq = "month",
    by: Iterable[str] = ("country",),
    start: str | pd.Timestamp = "2004-01-01",
    end: str | pd.Timestamp = "2018-12-31",
    actor: str = ISIS,
) -> pd.DataFrame:
    """Model against GED in Iraq, zero-filled over ``[start, end]`` (within GED's 2004-2018).

    Returns one row per period and key with ``model_events``, ``model_deaths``,
    ``observed_events``, ``observed_deaths``. Pass the run's first and last dates as ``start``
    and ``end`` so that months the model did not cover are not counted as zeros.
    """
    keys = list(by)
    model = ged_counts(events, freq, dict.fromkeys(["country", *keys]), actor)
    model = model[model["country"] == "IRQ"]
    pk = ["year", "month"][: 2 if freq == "month" else 1]
    model = model.groupby(pk + keys, as_index=False)[["events", "deaths"]].sum()
    obs = observed_ged(freq, keys)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if freq == "month":
        idx = pd.period_range(lo, hi, freq="M")
        periods = pd.DataFrame({"year": idx.year, "month": idx.month})
    else:
        periods = pd.DataFrame({"year": range(lo.year, hi.year + 1)})
    pkeys = list(periods.columns)
    grid = periods
    for key in keys:  # every value of every key, in every period
        values = sorted(set(model[key]) | set(obs[key]))
        grid = grid.merge(pd.DataFrame({key: values}), how="cross")
    out = grid.merge(model, on=pkeys + keys, how="left").merge(
        obs, on=pkeys + keys, how="left", suffixes=("_model", "_observed")
    )
    out = out.rename(
        columns={
            "events_model": "model_events",
            "deaths_model": "model_deaths",
            "events_observed": "observed_events",
            "deaths_observed": "observed_deaths",
        }
    )
    counts = ["model_events", "model_deaths", "observed_events", "observed_deaths"]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out.sort_values(pkeys + keys, ignore_index=True)


def weekly_counts(weekly: pd.DataFrame, columns: Iterable[str], freq: Freq) -> pd.DataFrame:
    """Weekly flows (e.g. ``isis_attacks_iraq``) summed by month or year of the week's date.

    Week 0 (the initial state) is left out.
    """
    flows = weekly[weekly["week"] > 0]
    dates = pd.to_datetime(flows["date"])
    keys = _periods(dates, freq)
    cols = list(columns)
    return flows[cols].groupby([keys[k] for k in keys]).sum().reset_index()


def _in_period(attacks: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return attacks[(attacks["date"] >= start) & (attacks["date"] <= end)]


def operate(
    operator: str,
    attacks: pd.DataFrame,
    weekly: pd.DataFrame | None,
    countries: tuple[str, ...],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> float:
    """One operator (module docstring) over ``[start, end]`` in some countries.

    ``attacks`` is :func:`model_attacks` of the run; ``weekly`` its weekly series (needed by
    ``zero_weeks`` and ``launches``; ``NaN`` without it).
    """
    sel = _in_period(attacks[attacks["country"].isin(countries)], start, end)
    days = (end - start).days + 1
    if operator == "ged":
        return float((sel["deaths"] >= 1).sum())
    if operator == "ged_armed":
        return float(((sel["deaths"] >= 1) & (sel["violence_type"] == ARMED)).sum())
    if operator == "incidents":
        return float(len(sel))
    if operator == "per_day":
        return len(sel) / days
    if operator == "per_quarter":
        return len(sel) / (days / (365.25 / 4))
    if operator == "deaths":
        return float(sel["deaths"].sum())
    if operator == "armed_deaths":
        return float(sel.loc[sel["violence_type"] == ARMED, "deaths"].sum())
    if operator == "civilian_deaths":
        return float(sel.loc[sel["violence_type"] == "one_sided", "deaths"].sum())
    if weekly is None:
        return float("nan")
    dates = pd.to_datetime(weekly["date"])
    weeks = weekly[(weekly["week"] > 0) & (dates >= start) & (dates <= end)]
    if operator == "zero_weeks":
        total = weeks[[_WEEKLY_ATTACKS[c] for c in countries]].sum(axis=1)
        return float((total == 0).sum())
    if operator == "launches":
        return float(weeks["militia_launches"].sum())
    raise ValueError(f"unknown observation operator {operator!r}")


def counterparts(
    events: pd.DataFrame,
    weekly: pd.DataFrame | None = None,
    observed: pd.DataFrame | None = None,
    actor: str = ISIS,
    comparisons: Mapping[str, Comparison] = COMPARISONS,
) -> pd.DataFrame:
    """Every row of ``series()`` (or ``observed``) with the model's value in its definition.

    Adds ``operator``, ``relation``, ``calibrate`` and ``model`` (``NaN`` where the model has no
    counterpart or the run does not cover the row's period: give the run's events and weekly
    series over the whole period). Rows outside the run's weeks are dropped when ``weekly`` is
    given.
    """
    obs = tables.series() if observed is None else observed.copy()
    attacks = model_attacks(events, actor)
    if weekly is not None:
        dates = pd.to_datetime(weekly["date"])
        first = dates[weekly["week"] > 0].min() - pd.Timedelta(days=7)  # week 1 ends a week in
        obs = obs[(obs["start"] >= first) & (obs["end"] <= dates.max())]
    ops, relations, calibrate, values = [], [], [], []
    for row in obs.itertuples():
        spec = comparisons.get(str(row.source_key), _NONE)
        op = spec.incidents if row.quantity == "incidents" else spec.deaths
        ops.append(op or "")
        relations.append(spec.relation if op else "none")
        calibrate.append(spec.calibrate and op is not None)
        if op is None:
            values.append(float("nan"))
            continue
        countries = _COUNTRY_CODES[str(row.country)]
        start, end = pd.Timestamp(str(row.start)), pd.Timestamp(str(row.end))
        values.append(operate(op, attacks, weekly, countries, start, end))
    return obs.assign(operator=ops, relation=relations, calibrate=calibrate, model=values)


# --------------------------------------------------------------------------- territory, strength


def observed_regions_held(
    dates: Iterable[str | pd.Timestamp], country: str = "IRQ"
) -> pd.DataFrame:
    """Model regions with a town ISIS held on each date, per the record (``territory()``).

    A town is held from a ``captured`` (or ``partly captured``) event until its next
    ``retaken``; ``partly retaken`` leaves it held. A region is held while any of its towns is.
    Towns whose first event in the record is a retaking (Tal Afar, Hawija, al-Qaim, Rawa: their
    2014 capture is not in it) were held for an unknown span before it: ``held_low`` counts them
    as not held, ``held_high`` as held since the record's first capture in the country. In Iraq
    nothing is held after Rawa (17 November 2017, "the last IS-held town in Iraq").

    Returns:
        ``date``, ``held_low``, ``held_high`` (numbers of regions) and ``regions_low``,
        ``regions_high`` (their ids, comma-separated).
    """
    ter = tables.territory()
    ter = ter[ter["country"] == country].sort_values("date", kind="stable")
    first_capture = ter.loc[ter["event"].isin(["captured", "partly captured"]), "date"].min()
    last_retake = ter.loc[ter["event"] == "retaken", "date"].max()
    rows = []
    for d in pd.to_datetime(pd.Series(list(dates))):
        low: set[str] = set()
        high: set[str] = set()
        for _place, events in ter.groupby("place", sort=False):
            before = events[events["date"] <= d]
            region = str(events["region"].iloc[0])
            if country == "IRQ" and d >= last_retake:
                continue  # nothing held after the last town's retaking
            if len(before):
                if str(before["event"].iloc[-1]) != "retaken":
                    low.add(region)
                    high.add(region)
            elif str(events["event"].iloc[0]) == "retaken" and d >= first_capture:
                high.add(region)
        rows.append(
            {
                "date": d,
                "held_low": len(low),
                "held_high": len(high),
                "regions_low": ",".join(sorted(low)),
                "regions_high": ",".join(sorted(high)),
            }
        )
    return pd.DataFrame(rows)


def model_at(weekly: pd.DataFrame, column: str, dates: Iterable[str | pd.Timestamp]) -> pd.Series:
    """A weekly stock (e.g. ``isis_regions_iraq``) at each date: its last week on or before it.

    ``NaN`` for a date before the run's first week or more than a week after its last.
    """
    ts = weekly.assign(date=pd.to_datetime(weekly["date"])).sort_values("date")
    when = pd.DataFrame({"when": pd.to_datetime(pd.Series(list(dates)))})
    order = when.sort_values("when")
    hit = pd.merge_asof(order, ts[["date", column]], left_on="when", right_on="date")
    values = hit[column].astype("float64").to_numpy(copy=True)
    values[(order["when"] > ts["date"].max() + pd.Timedelta(days=6)).to_numpy()] = np.nan
    return pd.Series(values, index=order.index).sort_index()


def compare_regions_held(
    weekly: pd.DataFrame, dates: Iterable[str | pd.Timestamp], country: str = "IRQ"
) -> pd.DataFrame:
    """Observed regions held (low, high) beside the model's ``isis_regions_iraq`` on each date."""
    if country != "IRQ":
        raise ValueError("the model reports regions held in Iraq only (isis_regions_iraq)")
    dates = list(dates)
    out = observed_regions_held(dates, country)
    return out.assign(model=model_at(weekly, "isis_regions_iraq", dates).to_numpy())


#: strength() area -> the model's weekly fighters columns it is compared with.
STRENGTH_AREAS = {
    "Iraq": ("isis_fighters_iraq",),
    "Iraq+Syria": ("isis_fighters_iraq", "isis_fighters_syria"),
}


def compare_strength(
    weekly: pd.DataFrame, observed: pd.DataFrame | None = None, point_tolerance: float = 0.25
) -> pd.DataFrame:
    """Strength estimates beside the model's ISIS fighters on their dates.

    Only ``fighters`` estimates for Iraq or Iraq+Syria are compared (members and supporters
    count more people than the model's fighters; detainees are not fighters). Adds ``model``
    and ``within``: ``low <= model <= high`` for a range; for a single figure (``low == high``,
    e.g. "~15,000") within ``point_tolerance`` of it (a share: 0.25 is +-25%, a choice of ours,
    as the record gives no range). Rows not compared get ``NaN`` and ``False``.
    """
    obs = tables.strength() if observed is None else observed.copy()
    model = pd.Series(np.nan, index=obs.index)
    for area, columns in STRENGTH_AREAS.items():
        rows = obs.index[(obs["area"] == area) & (obs["quantity"] == "fighters")]
        if len(rows):
            dates = obs.loc[rows, "date"]
            model[rows] = sum(model_at(weekly, c, dates).to_numpy() for c in columns)
    point = obs["low"] == obs["high"]
    low = obs["low"].where(~point, obs["low"] * (1 - point_tolerance))
    high = obs["high"].where(~point, obs["high"] * (1 + point_tolerance))
    return obs.assign(model=model, within=(low <= model) & (model <= high))


# --------------------------------------------------------------------------- militias, strikes

#: militia_israel() count quantity -> (operator, relation). Claims of attacks on Israel are
#: compared with the model's launches at Israel; attacks on US forces have no model counterpart;
#: single-day press reports are not a series (a model week cannot be cut into days).
MILITIA_COMPARISONS: dict[str, tuple[str | None, str]] = {
    "IRI_claimed_attacks_on_Israel": ("launches", "match"),
    "IRI_claimed_attacks_on_Israel_partial": ("launches", "match"),
    "IRI_claimed_attacks_on_Israel_Alma": ("launches", "match"),
    "IRI_attacks_on_Israel_past_2.5_weeks": ("launches", "match"),
    "IRI_claimed_launches_at_Israel_cumulative": ("launches", "match"),
    "IRI_claimed_attacks_on_Israel_cumulative": ("launches", "match"),
    "IRI_attacks_US_bases_and_Israeli_sites_cumulative": ("launches", "upper_bound"),
    "Wing_Iraqi_Resistance_incidents_total_year": ("launches", "upper_bound"),
    "IRI_claimed_attacks_on_Israel_that_day": (None, "none"),
    "IAMG_attacks_on_OIR_Oct-Dec": (None, "none"),
    "attacks_on_US_bases_Iraq_Syria": (None, "none"),
    "attacks_on_US_forces_Iraq_Syria": (None, "none"),
    "IRI_strikes_on_US_coalition_bases_Iraq_Syria_cumulative": (None, "none"),
}


def compare_militia(weekly: pd.DataFrame, observed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Militia counts (``militia_israel()``, ``kind = "count"``) beside the model's launches.

    ``model`` is the weekly ``militia_launches`` summed over the weeks dated in the row's
    period (``NaN`` where the quantity has no counterpart or the run does not cover the period);
    adds ``operator`` and ``relation`` (:data:`MILITIA_COMPARISONS`). Claims are claims, not
    verified launches, and one claim may be several drones.
    """
    obs = tables.militia_israel() if observed is None else observed.copy()
    obs = obs[obs["kind"] == "count"]
    dates = pd.to_datetime(weekly["date"])
    first = dates[weekly["week"] > 0].min() - pd.Timedelta(days=7)
    ops, relations, values = [], [], []
    for row in obs.itertuples():
        op, relation = MILITIA_COMPARISONS.get(str(row.quantity), (None, "none"))
        start, end = pd.Timestamp(str(row.start)), pd.Timestamp(str(row.end))
        covered = start >= first and end <= dates.max()
        ops.append(op or "")
        relations.append(relation)
        if op is None or not covered:
            values.append(float("nan"))
            continue
        values.append(operate(op, _NO_ATTACKS, weekly, ("IRQ",), start, end))
    return obs.assign(operator=ops, relation=relations, model=values)


_NO_ATTACKS = pd.DataFrame({"country": [], "date": pd.to_datetime([]), "deaths": []})


def observed_strikes_iraq(
    freq: Freq = "year", attributed: Iterable[str] = ("israel",)
) -> pd.DataFrame:
    """Strikes on Iraqi territory in ``militia_israel()`` by year (or month) of their start.

    Counts distinct dates (two sources on one strike are one strike) among the events whose
    ``strike_on_iraq`` is in ``attributed`` (add ``"unattributed"`` for the upper count).
    Compare with the model's weekly ``israeli_strikes_iraq`` summed by :func:`weekly_counts`.
    """
    mil = tables.militia_israel()
    hits = mil[mil["strike_on_iraq"].isin(list(attributed))]
    distinct = hits.drop_duplicates("start")
    keys = _periods(distinct["start"], freq)
    frame = pd.DataFrame(keys).assign(strikes=1)
    return frame.groupby(list(keys))["strikes"].sum().reset_index()
