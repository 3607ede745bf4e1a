"""Outcomes: what is recorded each week, and what a whole run adds up to.

Weekly outcomes (``WEEKLY_OUTCOMES``) are the columns of ``timeseries.parquet``; flows (attacks,
infiltrations, strikes...) count the week's events, stocks (fighters, regions) are end-of-week
levels. Run-level outcomes (``run_outcomes``) summarise a run; ``isis_resurgence`` is defined by
three scenario parameters:

    ISIS resurgence  <=>  in some week ISIS holds at least ``resurgence_regions`` Iraqi regions,
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
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation_sim.mechanisms.common import iraqi_militia

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

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
    "syrian_soldiers_fled_iraq": "Syrian soldiers who fled into Iraq this week",
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
        "syrian_soldiers_fled_iraq": counts.fled_to_iraq,
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


def resurgence_week(ts: pd.DataFrame, params: Mapping[str, Any]) -> int | None:
    """First week the resurgence condition holds, or None."""
    regions = ts["isis_regions_iraq"].to_numpy() >= params["resurgence_regions"]
    window = int(params["resurgence_weeks"])
    attacks = ts["isis_attacks_iraq"].to_numpy(dtype=float)
    sustained = np.zeros(len(ts), dtype=bool)
    if len(attacks) >= window:
        mean = np.convolve(attacks, np.ones(window) / window, mode="valid")
        sustained[window - 1 :] = mean >= params["resurgence_attacks"]
    hit = np.flatnonzero(regions | sustained)
    return int(ts["week"].iloc[hit[0]]) if len(hit) else None


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


def territory_weeks(ts: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    """Weeks ISIS holds territory in Iraq: a town where the run reports towns, else regions."""
    towns = [c for c in TOWN_COLUMNS if c in ts.columns]
    if towns:
        return np.asarray(ts[towns[0]].to_numpy() >= 1)
    return np.asarray(ts["isis_regions_iraq"].to_numpy() >= params["resurgence_regions"])


def sustained_attacks(ts: pd.DataFrame, weeks: int) -> np.ndarray:
    """Mean weekly ISIS attacks in Iraq over the ``weeks`` weeks ending at each week.

    NaN for the first ``weeks - 1`` weeks, which have no full window.
    """
    attacks = ts["isis_attacks_iraq"].to_numpy(dtype=float)
    out = np.full(len(attacks), np.nan)
    if len(attacks) >= weeks:
        out[weeks - 1 :] = np.convolve(attacks, np.ones(weeks) / weeks, mode="valid")
    return out


def record_resurgence(ts: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, Any]:
    """The record-based resurgence outcomes of a run (module docstring)."""
    level = record_level_iraq()
    held = territory_weeks(ts, params)
    sustained = sustained_attacks(ts, int(params["resurgence_record_weeks"]))
    peak = float(np.nanmax(sustained)) if np.isfinite(sustained).any() else 0.0
    threshold = float(params["resurgence_record_multiple"]) * level
    hit = np.flatnonzero(held | (np.nan_to_num(sustained, nan=-1.0) >= threshold))
    return {
        "isis_resurgence_record": bool(len(hit)),
        "resurgence_record_week": int(ts["week"].iloc[hit[0]]) if len(hit) else None,
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
    first_week = resurgence_week(ts, params)
    strikes = np.flatnonzero(ts["israeli_strikes_iraq"].to_numpy() > 0)
    out = {
        "isis_resurgence": first_week is not None,
        "resurgence_week": first_week,
        "isis_fighters_iraq_final": float(ts["isis_fighters_iraq"].iloc[-1]),
        "isis_fighters_iraq_peak": float(ts["isis_fighters_iraq"].max()),
        "isis_fighters_syria_final": float(ts["isis_fighters_syria"].iloc[-1]),
        "isis_attacks_iraq_total": int(ts["isis_attacks_iraq"].sum()),
        "isis_deaths_iraq_total": int(ts["isis_deaths_iraq"].sum()),
        "isis_regions_iraq_max": int(ts["isis_regions_iraq"].max()),
        "infiltrations_total": int(ts["infiltrations"].sum()),
        "infiltrations_detected_total": int(ts["infiltrations_detected"].sum()),
        "infiltrations_undetected_total": int(ts["infiltrations_undetected"].sum()),
        "infiltrating_fighters_total": int(ts["infiltrating_fighters"].sum()),
        "militia_fighters_syria_peak": float(ts["militia_fighters_syria"].max()),
        "militia_launches_total": int(ts["militia_launches"].sum()),
        "israeli_strikes_iraq_total": int(ts["israeli_strikes_iraq"].sum()),
        "israeli_strikes_syria_total": int(ts["israeli_strikes_syria"].sum()),
        "first_strike_iraq_week": int(ts["week"].iloc[strikes[0]]) if len(strikes) else None,
        "escalation_level_max": int(ts["escalation_level"].max()),
        "escalation_level_final": int(ts["escalation_level"].iloc[-1]),
        **record_resurgence(ts, params),
    }
    assert set(out) == set(RUN_OUTCOMES)
    return out
