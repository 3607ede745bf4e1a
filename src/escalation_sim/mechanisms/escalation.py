"""Phase 7, mechanism 10 (``israel_escalation``): militia launches, Israel's threat, its strikes.

Seed: "if Iraqi militias elevate their threat levels against Israel, this could alter the
situation, prompting actions to target them in Syria"; Washington "may not intervene if Israel
undertakes such a step"; "if Tel Aviv currently perceives that other parties might engage in
conflict with Iraqi factions, it may let 'pottery break potteries'". Record: "hundreds" of drones
and missiles launched from Iraq since September 2024.

* **Launches.** A launcher force in Iraq that carries a launch order of intensity i fires
  Poisson(``launch_rate`` x i x cohesion) drones or missiles a week (this happens whether or not
  the mechanism is on; it is the militias' side).
* **Threat.** Israel's threat perception T decays by ``israel_threat_decay`` a week and rises by
  ``israel_threat_per_launch`` per launch and by ``israel_threat_logistics`` x the Iranian supply
  that crossed Iraq by road (Iraq as a logistic node of Iran).
* **Strikes in Syria**: Poisson(``israel_strike_rate`` x (T - ``israel_strike_threshold_syria``))
  on Iraqi militias in Syria, when there are any.
* **Strikes in Iraq**: Poisson(``israel_strike_rate`` x (P - threshold)) with the pressure P =
  T + ``israel_confrontation_weight`` x ``israel_iran_confrontation`` (the state of the
  Israel-Iran confrontation, a scenario value the timeline can set; ``mechanisms.context``) and
  threshold = ``israel_strike_threshold_iraq`` x (1 + ``pottery_factor`` x e), e the share of
  Iraqi militia strength in Syria that stands on a front with HTS (others are fighting them
  already). Each strike is called off with probability ``us_restraint`` x (0.5 + Iraq's
  alignment with the US), capped at 1; ``us_restraint`` too can change by date. A strike hits
  an Iraqi militia force in Iraq (launchers first) and costs it ``strike_casualty_share`` of its
  strength.

With the default parameters the logistic term alone keeps T below both thresholds, so strikes
follow launches; ``tests/test_mechanisms.py`` checks the order in time over many seeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.mechanisms.common import iraqi_militia

if TYPE_CHECKING:
    from escalation_sim.agents import ArmedForce
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "launch_rate",
    "israel_threat_per_launch",
    "israel_threat_logistics",
    "israel_threat_decay",
    "israel_strike_threshold_syria",
    "israel_strike_threshold_iraq",
    "israel_strike_rate",
    "pottery_factor",
    "us_restraint",
    "strike_casualty_share",
    "israel_confrontation_weight",
)


def step(model: EscalationModel) -> None:
    """Launches from Iraq, Israel's threat update, then strikes in Syria and in Iraq."""
    p, w, rng = model.p, model.world, model.rng
    counts = model.counts
    militias = model.forces_flagged("iraqi_militia", iraqi_militia)
    launchers = [f for f in militias if f.launching > 0 and w.is_iraq[f.region]]
    if launchers:
        lam = np.array([p.launch_rate * f.launching * f.cohesion for f in launchers])
        counts.launches += int(rng.poisson(lam).sum())

    israel = model.actors[model.roles["israel"]]
    israel.threat = israel.threat * (1 - p.israel_threat_decay)
    israel.threat += p.israel_threat_per_launch * counts.launches
    israel.threat += p.israel_threat_logistics * model.supply_transit_iraq
    if not model.mech["israel_escalation"]:
        return

    in_syria = [f for f in militias if w.is_syria[f.region]]
    if in_syria and israel.threat > p.israel_strike_threshold_syria:
        n = rng.poisson(p.israel_strike_rate * (israel.threat - p.israel_strike_threshold_syria))
        for _ in range(int(n)):
            strike(model, in_syria, "strike_syria")
        counts.strikes_syria += int(n)

    engaged = _engaged_share(model, in_syria)
    threshold = p.israel_strike_threshold_iraq * (1 + p.pottery_factor * engaged)
    in_iraq = [f for f in militias if w.is_iraq[f.region]]
    pressure = iraq_strike_pressure(model)
    if in_iraq and pressure > threshold:
        n = int(rng.poisson(p.israel_strike_rate * (pressure - threshold)))
        alignment = model.actors[model.roles["iraq"]].alignment
        block = min(1.0, p.us_restraint * (0.5 + alignment))
        for _ in range(n):
            if rng.random() < block:
                counts.strikes_iraq_blocked += 1
                continue
            targets = [f for f in in_iraq if f.launching > 0] or in_iraq
            strike(model, targets, "strike_iraq")
            counts.strikes_iraq += 1


def iraq_strike_pressure(model: EscalationModel) -> float:
    """Israel's pressure to strike Iraq: its threat plus the Israel-Iran confrontation's weight."""
    p = model.p
    threat = model.actors[model.roles["israel"]].threat
    return float(threat + p.israel_confrontation_weight * p.israel_iran_confrontation)


def _engaged_share(model: EscalationModel, in_syria: list[ArmedForce]) -> float:
    """Share of Iraqi militia strength in Syria standing next to HTS-held regions."""
    total = sum(f.strength for f in in_syria)
    if total <= 0:
        return 0.0
    hts, adjacency, ctrl = model.roles["hts"], model.world.adjacency, model.regions.controller
    engaged = sum(f.strength for f in in_syria if any(ctrl[q] == hts for q in adjacency[f.region]))
    return engaged / total


def strike(model: EscalationModel, targets: list[ArmedForce], kind: str) -> None:
    """One Israeli strike on a force drawn by strength; it loses a share of its fighters."""
    weights = np.array([f.strength for f in targets], dtype=float)
    f = targets[int(model.rng.choice(len(targets), p=weights / weights.sum()))]
    lost = f.strength * model.p.strike_casualty_share
    f.strength = max(1.0, f.strength - lost)
    model.record_event(f.region, model.roles["israel"], round(lost), f.unit_id, kind=kind)
