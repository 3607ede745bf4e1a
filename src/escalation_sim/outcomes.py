"""Outcomes: what is recorded each week, and what a whole run adds up to.

Weekly outcomes (``WEEKLY_OUTCOMES``) are the columns of ``timeseries.parquet``; flows (attacks,
infiltrations, strikes...) count the week's events, stocks (fighters, regions) are end-of-week
levels. Run-level outcomes (``run_outcomes``) summarise a run; ``isis_resurgence`` is defined by
three scenario parameters:

    ISIS resurgence  <=>  in some week ISIS holds at least ``resurgence_regions`` Iraqi regions
                          or at least ``resurgence_towns`` Iraqi towns (the territorial half),
                          or the mean of its weekly attacks in Iraq over ``resurgence_weeks``
                          consecutive weeks reaches ``resurgence_attacks``.

``isis_resurgence_record`` is defined against the observed record instead (docs/VALIDATION.md,
"Resurgence against the record"):

    ISIS resurgence (record)  <=>  in some week ISIS holds territory in Iraq (a town, when the
                          run reports towns; else at least ``resurgence_regions`` regions), or
                          the mean of its weekly attacks in Iraq over ``resurgence_record_weeks``
                          consecutive weeks reaches ``resurgence_record_multiple`` times the
                          record's 2024 level (:func:`record_level_iraq`).

Model attacks and the record's are counted alike: ``isis_attacks_iraq`` counts every model ISIS
attack in Iraq, the observation operator's ``incidents`` (escalation_sim.observed), which is the
operator of the record's reference series. ``isis_attacks_iraq_sustained_multiple`` (the run's
highest sustained level as a multiple of the record's) gives the outcome at every other
multiple: resurgence at multiple m <=> territory, or sustained multiple >= m.

The **escalation ladder** for Iraq (``escalation_level``), over the last ``escalation_window``
weeks:

    0  calm: no launches from Iraq, no Iraqi militias in Syria, no strikes
    1  militia activity: launches at Israel from Iraq, or Iraqi militia fighters in Syria
    2  Israel strikes Iraqi militias in Syria
    3  Israel strikes Iraqi territory
    4  strike campaign: at least ``campaign_strikes`` Israeli strikes on Iraq in the window
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation_sim.mechanisms import towns as towns_mod
from escalation_sim.mechanisms.common import iraqi_militia

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

#: A run's weeks: its weekly table, or the table's columns as arrays (the lean path's).
type Table = pd.DataFrame | Mapping[str, np.ndarray]

#: Weekly outcome -> description. The first ten are the names issue #2 fixes.
WEEKLY_OUTCOMES: dict[str, str] = {
    "isis_fighters_iraq": "ISIS fighters in Iraqi regions (end of week)",
    "isis_fighters_syria": "ISIS fighters in Syrian regions (end of week)",
    "isis_attacks_iraq": "ISIS attacks in Iraq this week",
    "isis_regions_iraq": "Iraqi regions ISIS holds (end of week)",
    "infiltrations": "ISIS crossings into Iraq attempted this week (groups)",
    "infiltrations_detected": "of which detected at the border",
    "militia_fighters_syria": "Iraqi militia fighters in Syria (end of week)",
    "israeli_strikes_iraq": "Israeli strikes on Iraqi territory this week",
    "escalation_level": "escalation ladder for Iraq, 0-4 (see docs/ODD.md)",
    "isis_attacks_syria": "ISIS attacks in Syria this week",
    "isis_deaths_iraq": "people killed in ISIS attacks in Iraq this week",
    "isis_deaths_syria": "people killed in ISIS attacks in Syria this week",
    "infiltrations_undetected": "crossings into Iraq that went undetected this week",
    "infiltrating_fighters": "ISIS fighters who reached Iraq undetected this week",
    "militia_launches": "drones and missiles launched at Israel from Iraq this week",
    "israeli_strikes_syria": "Israeli strikes on Iraqi militias in Syria this week",
    "israeli_strikes_iraq_blocked": "Israeli strikes on Iraq called off under US pressure",
    "israel_threat": "Israel's threat perception from Iraq",
    "iraq_us_alignment": "Iraq's alignment, 0 = Iran, 1 = US",
    "iran_demand": "Iran's demand for Iraqi militia action in Syria, 0-1",
    "iran_supply_delivered": "share of Iran's weekly supply reaching the regime, 0-1",
    "regime_strength": "Syrian regime's effective strength, share of its initial",
    "hts_regions": "regions HTS holds",
    "isis_cohesion": "ISIS leadership cohesion, 0-1",
    "isis_recruits_iraq": "new ISIS fighters recruited in Iraq this week",
    "isis_recruits_syria": "new ISIS fighters in Syria this week: recruits and freed fighters",
    "prison_escapees": "detainees who escaped this week",
    "isis_fighters_freed": "escaped detainees and camp residents who joined ISIS this week",
    "decapitations": "senior ISIS leaders killed this week",
    "breakouts": "prisons with escapes this week (breakout events)",
    "detainees_held": "suspected ISIS fighters held in prisons (end of week)",
    "camp_residents": "residents of camps for ISIS families (end of week)",
    "repatriated": "Iraqis repatriated from camps in Syria this week",
    "transferred": "Iraqi detainees transferred from prisons in Syria to Iraq this week",
    "syrian_soldiers_fled_iraq": "Syrian soldiers who fled into Iraq this week",
    "isis_towns_iraq": "Iraqi towns ISIS holds (end of week)",
    "isis_town_people_iraq": "people living in the Iraqi towns ISIS holds (end of week)",
    "towns_taken_isis": "towns ISIS took this week",
    "towns_retaken": "towns the state retook from ISIS this week",
    "town_forces_cohesion": "mean cohesion of the forces holding towns (in their regions), "
    "weighted by strength",
    "shrine_threat": "threat to the most threatened Syrian shrine, 0-1 (0 below shrine_threat_min)",
    "iran_loss_memory": "Iran's memory of its forces' losses in Syria, share of its expeditionary "
    "strength",
    "resistance_losses": "fighters lost this week by forces in territory a hostile actor holds",
}

#: Run-level outcome -> description.
RUN_OUTCOMES: dict[str, str] = {
    "isis_resurgence": "ISIS resurgence in Iraq: holds an Iraqi region, or sustained attacks",
    "resurgence_week": "first week the resurgence condition held (null if never)",
    "isis_resurgence_record": "ISIS resurgence against the record: territory in Iraq, or "
    "sustained attacks at resurgence_record_multiple times the record's 2024 level",
    "resurgence_record_week": "first week the record-based condition held (null if never)",
    "isis_territory_iraq": "ISIS held territory in Iraq in some week (a town if reported, else "
    "resurgence_regions regions)",
    "isis_attacks_iraq_sustained_max": "highest mean weekly ISIS attacks in Iraq over "
    "resurgence_record_weeks consecutive weeks",
    "isis_attacks_iraq_sustained_multiple": "isis_attacks_iraq_sustained_max over the record's "
    "2024 level in Iraq (attacks a week)",
    "isis_fighters_iraq_final": "ISIS fighters in Iraq at the end",
    "isis_fighters_iraq_peak": "highest weekly ISIS fighters in Iraq",
    "isis_fighters_syria_final": "ISIS fighters in Syria at the end",
    "isis_attacks_iraq_total": "ISIS attacks in Iraq over the run",
    "isis_deaths_iraq_total": "people killed by ISIS in Iraq over the run",
    "isis_regions_iraq_max": "most Iraqi regions ISIS held in any week",
    "infiltrations_total": "crossings into Iraq attempted",
    "infiltrations_detected_total": "crossings into Iraq detected",
    "infiltrations_undetected_total": "crossings into Iraq not detected",
    "infiltrating_fighters_total": "ISIS fighters who reached Iraq undetected",
    "militia_fighters_syria_peak": "most Iraqi militia fighters in Syria in any week",
    "militia_launches_total": "launches at Israel from Iraq",
    "israeli_strikes_iraq_total": "Israeli strikes on Iraq",
    "israeli_strikes_syria_total": "Israeli strikes on Iraqi militias in Syria",
    "first_strike_iraq_week": "week of the first Israeli strike on Iraq (null if none)",
    "escalation_level_max": "highest rung of the escalation ladder reached",
    "escalation_level_final": "rung at the end",
    "isis_towns_iraq_max": "most Iraqi towns ISIS held in any week",
    "isis_towns_iraq_final": "Iraqi towns ISIS holds at the end",
    "isis_town_weeks": "weeks in which ISIS held at least one Iraqi town",
    "first_town_week": "first week ISIS held an Iraqi town (null if never)",
    "breakouts_total": "breakout events (prison-weeks with escapes) over the run",
    "prison_escapees_total": "detainees who escaped over the run",
    "isis_fighters_freed_total": "escaped detainees and camp residents who joined ISIS",
    "camp_residents_final": "residents of camps for ISIS families at the end",
}


def measure(model: EscalationModel) -> None:
    """Compute this week's outcomes into ``model.now`` (last week's move to ``model.last_week``)."""
    w = model.world
    fighters = model.isis_by_region()
    militias = model.forces_flagged("iraqi_militia", iraqi_militia)
    counts, controller = model.counts, model.regions.controller
    militia_syria = sum(f.strength for f in militias if w.is_syria[f.region])
    isis, hts = model.roles["isis"], model.roles["hts"]
    isis_regions = sum(1 for r in np.flatnonzero(w.is_iraq) if controller[r] == isis)
    towns = model.towns
    isis_towns = towns.isis & w.is_iraq[towns.region]
    rows = model.force_table.rows()
    table = model.force_table
    defending = towns_mod.defenders(model) & model.constants.town_region[table.region[rows]]
    weight = model.force_table.strength[rows][defending]
    cohesion = model.force_table.cohesion[rows][defending]
    model.last_week = model.now
    model.now = {
        "isis_fighters_iraq": float(fighters[w.is_iraq].sum()),
        "isis_fighters_syria": float(fighters[w.is_syria].sum()),
        "isis_attacks_iraq": counts.attacks_iraq,
        "isis_regions_iraq": isis_regions,
        "infiltrations": counts.infiltrations,
        "infiltrations_detected": counts.infiltrations_detected,
        "militia_fighters_syria": float(militia_syria),
        "israeli_strikes_iraq": counts.strikes_iraq,
        "escalation_level": escalation_level(model, militia_syria),
        "isis_attacks_syria": counts.attacks_syria,
        "isis_deaths_iraq": counts.deaths_iraq,
        "isis_deaths_syria": counts.deaths_syria,
        "infiltrations_undetected": counts.infiltrations - counts.infiltrations_detected,
        "infiltrating_fighters": counts.infiltrating_fighters,
        "militia_launches": counts.launches,
        "israeli_strikes_syria": counts.strikes_syria,
        "israeli_strikes_iraq_blocked": counts.strikes_iraq_blocked,
        "israel_threat": float(model.actors[model.roles["israel"]].threat),
        "iraq_us_alignment": float(model.actors[model.roles["iraq"]].alignment),
        "iran_demand": float(model.actors[model.roles["iran"]].demand),
        "iran_supply_delivered": float(model.supply_delivered),
        "regime_strength": model.regime_effective() / max(model.initial_regime, 1e-9),
        "hts_regions": sum(1 for c in controller if c == hts),
        "isis_cohesion": float(model.isis_cohesion),
        "isis_recruits_iraq": counts.recruits_iraq,
        "isis_recruits_syria": counts.recruits_syria + counts.freed,
        "isis_fighters_freed": counts.freed,
        "prison_escapees": counts.escapees,
        "decapitations": counts.decapitations,
        "breakouts": counts.breakouts,
        "detainees_held": float(model.detention.held[~model.detention.is_camp].sum()),
        "camp_residents": float(model.detention.held[model.detention.is_camp].sum()),
        "repatriated": float(counts.repatriated),
        "transferred": float(counts.transferred),
        "syrian_soldiers_fled_iraq": counts.fled_to_iraq,
        "isis_towns_iraq": int(isis_towns.sum()),
        "isis_town_people_iraq": float(towns.population[isis_towns].sum()),
        "towns_taken_isis": counts.towns_taken,
        "towns_retaken": counts.towns_retaken,
        "town_forces_cohesion": float((weight * cohesion).sum() / weight.sum())
        if weight.sum() > 0
        else 0.0,
        "shrine_threat": float(model.shrine_threat),
        "iran_loss_memory": float(model.iran_loss_memory),
        "resistance_losses": float(counts.resistance_losses),
    }


def escalation_level(model: EscalationModel, militia_syria: float) -> int:
    """The rung of the escalation ladder (module docstring) over the recent window."""
    strikes_iraq = sum(model.strike_iraq_history)
    if strikes_iraq >= model.p.campaign_strikes:
        return 4
    if strikes_iraq > 0:
        return 3
    if sum(model.strike_syria_history) > 0:
        return 2
    if sum(model.launch_history) > 0 or militia_syria > 0:
        return 1
    return 0


_NUMBERS = (int, float, np.integer, np.floating)


class WeeklyRecorder:
    """The weekly outcomes of one run in a preallocated array: the lean path's DataCollector.

    One row per recorded week (week 0 is the initial state), one column per weekly outcome in
    ``WEEKLY_OUTCOMES`` order, held as float64; a column all of whose values were integers
    comes back as int64, as the DataCollector's table types it (every outcome is an int or a
    float, and both are exact in float64 below 2**53). The array doubles when a run outlasts
    ``capacity``. ``columns()`` gives what ``timeseries()`` holds, without building a table.
    """

    def __init__(self, capacity: int = 105, names: Iterable[str] | None = None) -> None:
        self.names = tuple(WEEKLY_OUTCOMES if names is None else names)
        self.values = np.empty((max(1, capacity), len(self.names)))
        self.integer = np.ones(len(self.names), dtype=bool)
        self.size = 0
        self._row = operator.itemgetter(*self.names)
        self._kinds: tuple[type, ...] = ()

    def record(self, now: Mapping[str, Any]) -> None:
        """Append this week's outcomes (``model.now``).

        The values' types are checked when they change from the previous week's (rarely: a
        count that becomes a float), so a week costs a few microseconds.

        Raises:
            TypeError: an outcome that is not an int or a float (a bool, a string...), which
                the DataCollector's table would type differently.
        """
        row = self._row(now)
        if len(self.names) == 1:
            row = (row,)
        kinds = tuple(map(type, row))
        if kinds != self._kinds:
            for j, kind in enumerate(kinds):
                if issubclass(kind, bool | np.bool_) or not issubclass(kind, _NUMBERS):
                    raise TypeError(f"weekly outcome {self.names[j]!r} is a {kind.__name__}")
            self.integer &= [issubclass(kind, int | np.integer) for kind in kinds]
            self._kinds = kinds
        if self.size == len(self.values):
            grown = np.empty((2 * len(self.values), len(self.names)))
            grown[: self.size] = self.values[: self.size]
            self.values = grown
        self.values[self.size] = row
        self.size += 1

    def columns(self) -> dict[str, np.ndarray]:
        """Each weekly outcome's values by week (int64 or float64, as ``timeseries()``)."""
        values = self.values[: self.size]
        return {
            name: values[:, j].astype(np.int64) if self.integer[j] else values[:, j].copy()
            for j, name in enumerate(self.names)
        }


def weekly_frame(columns: Mapping[str, np.ndarray], start_date: Any) -> pd.DataFrame:
    """The ``timeseries()`` table of one or more runs' weekly columns: ``week``, ``date``, ...

    ``columns`` may hold a ``week`` column (several runs stacked); otherwise weeks count from 0.
    """
    n = len(next(iter(columns.values())))
    df = pd.DataFrame({k: v for k, v in columns.items() if k != "week"})
    week = columns["week"] if "week" in columns else np.arange(n, dtype=int)
    df.insert(0, "week", week)
    df.insert(1, "date", pd.Timestamp(start_date) + pd.to_timedelta(df.week * 7, unit="D"))
    return df


def resurgence_week(ts: pd.DataFrame, params: Mapping[str, Any]) -> int | None:
    """First week the resurgence condition holds, or None."""
    return _resurgence_week(_arrays(ts), params)


def _arrays(ts: pd.DataFrame) -> dict[str, np.ndarray]:
    names = ("week", *WEEKLY_OUTCOMES, *TOWN_COLUMNS)
    return {name: ts[name].to_numpy() for name in dict.fromkeys(names) if name in ts}


def _resurgence_week(cols: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> int | None:
    regions = cols["isis_regions_iraq"] >= params["resurgence_regions"]
    if "isis_towns_iraq" in cols:  # series recorded before towns existed have no such column
        regions |= cols["isis_towns_iraq"] >= params.get("resurgence_towns", 1)
    window = int(params["resurgence_weeks"])
    attacks = cols["isis_attacks_iraq"].astype(float)
    sustained = np.zeros(len(attacks), dtype=bool)
    if len(attacks) >= window:
        mean = np.convolve(attacks, np.ones(window) / window, mode="valid")
        sustained[window - 1 :] = mean >= params["resurgence_attacks"]
    hit = np.flatnonzero(regions | sustained)
    return int(cols["week"][hit[0]]) if len(hit) else None


#: The record's series that sets the 2024 level (``observed.series()`` source key), and the
#: weekly outcome of the model's towns ISIS holds in Iraq, read when a run reports it.
RECORD_LEVEL_KEY = "MEI_LISTER"
TOWN_COLUMNS = ("isis_towns_iraq",)


@functools.cache
def record_level_iraq() -> float:
    """ISIS attacks a week in Iraq in 2024 per the record, before the cutoff (27 Nov 2024).

    Charles Lister's count (``MEI_LISTER``): 35 ISIS attacks in Iraq from January to June 2024,
    1.35 a week. Its operator is ``incidents`` (any reported attack), as the model's
    ``isis_attacks_iraq`` is. Rows marked ``beyond_cutoff`` are left out.
    """
    from escalation_sim import observed

    s = observed.series()
    rows = s[
        (s["source_key"] == RECORD_LEVEL_KEY)
        & (s["country"] == "Iraq")
        & (s["quantity"] == "incidents")
        & (pd.to_datetime(s["start"]) >= pd.Timestamp("2024-01-01"))
        & ~s["beyond_cutoff"].astype(bool)
    ]
    assert observed.COMPARISONS[RECORD_LEVEL_KEY].incidents == "incidents"
    days = float(
        sum(
            (pd.Timestamp(e) - pd.Timestamp(b)).days + 1
            for b, e in zip(rows["start"], rows["end"], strict=True)
        )
    )
    return float(rows["value"].sum()) / (days / 7)


def territory_weeks(ts: Table, params: Mapping[str, Any]) -> np.ndarray:
    """Weeks ISIS holds territory in Iraq: a town where the run reports towns, else regions.

    ``ts``: a weekly table, or its columns as arrays (the lean path's), as in every function
    here that reads a run's weeks.
    """
    towns = [c for c in TOWN_COLUMNS if c in ts]
    if towns:
        return np.asarray(np.asarray(ts[towns[0]]) >= 1)
    return np.asarray(np.asarray(ts["isis_regions_iraq"]) >= params["resurgence_regions"])


def sustained_attacks(ts: Table, weeks: int) -> np.ndarray:
    """Mean weekly ISIS attacks in Iraq over the ``weeks`` weeks ending at each week.

    NaN for the first ``weeks - 1`` weeks, which have no full window.
    """
    attacks = np.asarray(ts["isis_attacks_iraq"], dtype=float)
    out = np.full(len(attacks), np.nan)
    if len(attacks) >= weeks:
        out[weeks - 1 :] = np.convolve(attacks, np.ones(weeks) / weeks, mode="valid")
    return out


def record_resurgence(ts: Table, params: Mapping[str, Any]) -> dict[str, Any]:
    """The record-based resurgence outcomes of a run (module docstring)."""
    level = record_level_iraq()
    held = territory_weeks(ts, params)
    sustained = sustained_attacks(ts, int(params["resurgence_record_weeks"]))
    peak = float(np.nanmax(sustained)) if np.isfinite(sustained).any() else 0.0
    threshold = float(params["resurgence_record_multiple"]) * level
    hit = np.flatnonzero(held | (np.nan_to_num(sustained, nan=-1.0) >= threshold))
    return {
        "isis_resurgence_record": bool(len(hit)),
        "resurgence_record_week": int(np.asarray(ts["week"])[hit[0]]) if len(hit) else None,
        "isis_territory_iraq": bool(held.any()),
        "isis_attacks_iraq_sustained_max": peak,
        "isis_attacks_iraq_sustained_multiple": peak / level,
    }


def resurgence_curve(
    territory: Sequence[bool], multiple: Sequence[float], thresholds: Sequence[float]
) -> np.ndarray:
    """P(resurgence) at each threshold multiple, from the runs' outcomes.

    ``territory`` and ``multiple`` are the runs' ``isis_territory_iraq`` and
    ``isis_attacks_iraq_sustained_multiple``; the result is the share of runs with territory or
    a sustained multiple at least the threshold (non-increasing in the threshold by
    construction).
    """
    held = np.asarray(territory, dtype=bool)
    peak = np.asarray(multiple, dtype=float)
    return np.array(
        [float(np.mean(held | (peak >= m))) if len(held) else np.nan for m in thresholds]
    )


def run_outcomes(ts: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, Any]:
    """Summarise a weekly time series into the run-level outcomes (``RUN_OUTCOMES``)."""
    return outcomes_from_columns(_arrays(ts), params)


def outcomes_from_columns(
    cols: Mapping[str, np.ndarray], params: Mapping[str, Any]
) -> dict[str, Any]:
    """``run_outcomes`` of a run's weekly columns (``WeeklyRecorder.columns()``), no table.

    ``cols`` maps each weekly outcome to its values by week; ``week`` defaults to 0, 1, ...
    Both paths compute the same numbers from the same arrays, so they agree bit for bit.
    """
    if "week" not in cols:
        n = len(cols["isis_fighters_iraq"])
        cols = {**cols, "week": np.arange(n, dtype=np.int64)}
    first_week = _resurgence_week(cols, params)
    strikes = np.flatnonzero(cols["israeli_strikes_iraq"] > 0)
    towns = cols.get("isis_towns_iraq")
    if towns is None:
        towns = np.zeros(len(cols["week"]), dtype=np.int64)
    town_weeks = np.flatnonzero(towns > 0)

    def total(name: str) -> int:
        return int(cols[name].sum())

    def peak(name: str) -> Any:
        return cols[name].max()

    out = {
        "isis_resurgence": first_week is not None,
        "resurgence_week": first_week,
        "isis_fighters_iraq_final": float(cols["isis_fighters_iraq"][-1]),
        "isis_fighters_iraq_peak": float(peak("isis_fighters_iraq")),
        "isis_fighters_syria_final": float(cols["isis_fighters_syria"][-1]),
        "isis_attacks_iraq_total": total("isis_attacks_iraq"),
        "isis_deaths_iraq_total": total("isis_deaths_iraq"),
        "isis_regions_iraq_max": int(peak("isis_regions_iraq")),
        "infiltrations_total": total("infiltrations"),
        "infiltrations_detected_total": total("infiltrations_detected"),
        "infiltrations_undetected_total": total("infiltrations_undetected"),
        "infiltrating_fighters_total": total("infiltrating_fighters"),
        "militia_fighters_syria_peak": float(peak("militia_fighters_syria")),
        "militia_launches_total": total("militia_launches"),
        "israeli_strikes_iraq_total": total("israeli_strikes_iraq"),
        "israeli_strikes_syria_total": total("israeli_strikes_syria"),
        "first_strike_iraq_week": int(cols["week"][strikes[0]]) if len(strikes) else None,
        "escalation_level_max": int(peak("escalation_level")),
        "escalation_level_final": int(cols["escalation_level"][-1]),
        "isis_towns_iraq_max": int(towns.max()),
        "isis_towns_iraq_final": int(towns[-1]),
        "isis_town_weeks": len(town_weeks),
        "first_town_week": int(cols["week"][town_weeks[0]]) if len(town_weeks) else None,
        "breakouts_total": total("breakouts"),
        "prison_escapees_total": total("prison_escapees"),
        "isis_fighters_freed_total": total("isis_fighters_freed"),
        "camp_residents_final": float(cols["camp_residents"][-1]),
        **record_resurgence(cols, params),
    }
    assert set(out) == set(RUN_OUTCOMES)
    return out
